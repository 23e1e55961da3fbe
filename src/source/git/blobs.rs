//! Scanning blobs: each distinct blob once, in parallel.
//!
//! Blobs are decoded along the pack's delta trees: a blob stored as a delta
//! against another blob of the scan is rebuilt from that blob's bytes (kept
//! while its dependents are decoded), so each delta is inflated and applied
//! once, instead of every lookup re-inflating its chain. Each worker takes
//! whole trees (largest first), with its own repository handle and
//! [`BlobSink`]. Blobs whose base is not part of the scan (and loose
//! objects) are read through gix.
//!
//! A delta blob whose base was scanned and is clean is scanned only where
//! it differs from its base (see [`super::delta`]), with exact positions.
//! Bytes copied from the base were scanned as part of the base (or of its
//! own base, down to a blob scanned whole). So that every version of a file
//! that holds a secret reports it (for attribution: `in_head`, `commits`),
//! a blob is scanned whole when its changed regions hold a finding, when
//! its base has a finding or was not scanned, or when its base was
//! scanned whole for one of these reasons and has a finding.
//!
//! Blobs are scanned without a path: the driver places their findings at
//! each path the blob has in history later, when they are attributed.

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use gix::odb::pack::data::entry::{Header, Location};
use gix::ObjectId;

use super::delta;
use super::graph::Missing;
use super::odb;
use super::pack::{key, ofs_base, PackedEntries, Resolver};
use super::{BlobSink, MakeSink, Progress};
use crate::source::{Admission, Stats};

/// One blob to scan.
pub(crate) struct Job {
    /// Dense blob id (returned with its findings).
    pub blob: u32,
    /// Object id.
    pub id: ObjectId,
}

/// What scanning the blobs produced.
#[derive(Default)]
pub(crate) struct Scanned {
    /// Dense ids of the blobs with findings.
    pub with_findings: Vec<u32>,
    /// Blobs that could not be read.
    pub missing: Vec<Missing>,
    /// Blobs rebuilt from their base's bytes, and those scanned partially.
    pub rebuilt: u64,
    pub partial: u64,
    /// Bytes the detector ran over in partial scans, and in whole scans.
    pub partial_bytes: u64,
    pub whole_bytes: u64,
    /// Of the whole bytes, those of blobs not rebuilt from a base.
    pub root_bytes: u64,
}

/// Blobs larger than this are not kept for their dependents (which are then
/// read through gix).
const KEEP_MAX: usize = 16 << 20;
/// Pack cache of each worker, for the blobs read through gix (whose delta
/// chains are not rebuilt from a blob kept here).
const BLOB_CACHE: usize = 16 << 20;
/// No parent (a delta tree root).
const NONE: u32 = u32::MAX;

/// The jobs in pack order with their delta trees.
struct Plan<'a> {
    source: &'a odb::Source,
    packed: &'a PackedEntries,
    admission: &'a Admission,
    stats: &'a Stats,
    progress: &'a Progress,
    jobs: Vec<Job>,
    /// Pack location of each job (None: loose).
    locs: Vec<Option<Location>>,
    /// Children of job `i`: `kids[kid_start[i]..kid_start[i + 1]]`.
    kid_start: Vec<u32>,
    kids: Vec<u32>,
    /// Roots, largest tree first.
    roots: Vec<u32>,
    /// Whether delta-aware scanning is on (`KEYSCAN_GIT_WHOLE_BLOBS` turns
    /// it off: every blob is scanned whole).
    partial: bool,
}

/// Scan `jobs` with `threads` workers, each with a sink from `sinks`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan<'s>(
    source: &odb::Source,
    packed: &PackedEntries,
    admission: &Admission,
    jobs: Vec<Job>,
    threads: usize,
    stats: &Stats,
    progress: &Progress,
    sinks: &MakeSink<'s>,
) -> Scanned {
    let (keys, locs, jobs) = sort_by_location(packed, jobs);
    let parents = delta_parents(source, packed, &keys, &locs);
    let n = jobs.len();
    // Children lists (CSR) and tree sizes; a parent always sorts before
    // its children, so one backward pass sums the trees.
    let mut kid_start = vec![0u32; n + 1];
    for &p in &parents {
        if p != NONE {
            kid_start[p as usize + 1] += 1;
        }
    }
    for i in 0..n {
        kid_start[i + 1] += kid_start[i];
    }
    let mut fill = kid_start.clone();
    let mut kids = vec![0u32; kid_start[n] as usize];
    for (i, &p) in parents.iter().enumerate() {
        if p != NONE {
            kids[fill[p as usize] as usize] = i as u32;
            fill[p as usize] += 1;
        }
    }
    let mut size: Vec<u64> = locs
        .iter()
        .map(|l| l.as_ref().map_or(1, |l| l.entry_size as u64))
        .collect();
    for i in (0..n).rev() {
        if parents[i] != NONE {
            size[parents[i] as usize] += size[i];
        }
    }
    let mut roots: Vec<u32> = (0..n as u32)
        .filter(|&i| parents[i as usize] == NONE)
        .collect();
    roots.sort_by_key(|&r| std::cmp::Reverse(size[r as usize]));
    let plan = Plan {
        source,
        packed,
        admission,
        stats,
        progress,
        jobs,
        locs,
        kid_start,
        kids,
        roots,
        partial: std::env::var_os("KEYSCAN_GIT_WHOLE_BLOBS").is_none(),
    };
    plan.run(threads, sinks)
}

/// For each job, the job its pack entry is a delta against (`NONE` if it is
/// not a delta, or its base is not a job). Only bases that sort before the
/// job are taken, so the trees have no cycles.
fn delta_parents(
    source: &odb::Source,
    packed: &PackedEntries,
    keys: &[u64],
    locs: &[Option<Location>],
) -> Vec<u32> {
    locs.iter()
        .enumerate()
        .map(|(i, loc)| {
            let Some(loc) = loc else { return NONE };
            let base = match packed.header(loc, source.hash()) {
                Some(Header::OfsDelta { base_distance }) => ofs_base(loc, base_distance),
                Some(Header::RefDelta { base_id }) => packed.find(&base_id).map(|l| key(&l)),
                _ => None,
            };
            let Some(base) = base else { return NONE };
            match keys[..i].binary_search(&base) {
                Ok(j) => j as u32,
                Err(_) => NONE,
            }
        })
        .collect()
}

/// A blob on the way down a delta tree.
struct Visit {
    job: u32,
    /// The parent's bytes and whether the parent is clean: scanned (whole,
    /// or partially with a clean base) without findings.
    parent: Option<(Rc<Vec<u8>>, bool)>,
}

/// Per-worker buffers.
struct Scratch<'p> {
    resolver: Resolver<'p>,
    /// A pack entry's bytes as read.
    raw: Vec<u8>,
    delta: Vec<u8>,
    changes: Vec<(usize, usize)>,
    inflate: gix::zlib::Inflate,
    rebuilt: u64,
    partial: u64,
    partial_bytes: u64,
    whole_bytes: u64,
    root_bytes: u64,
}

impl Plan<'_> {
    fn run<'s>(&self, threads: usize, sinks: &MakeSink<'s>) -> Scanned {
        let next = AtomicUsize::new(0);
        let out = Mutex::new(Scanned::default());
        let budget = odb::Budget::new();
        std::thread::scope(|s| {
            for _ in 0..threads.max(1) {
                s.spawn(|| {
                    // For blobs read through gix: bases of the chains they need.
                    let mut objects = self.source.open(BLOB_CACHE, &budget);
                    let mut sink = sinks();
                    let mut with_findings: Vec<u32> = Vec::new();
                    let mut missing = Vec::new();
                    let mut scratch = Scratch {
                        resolver: Resolver::new(self.packed, self.source.hash()),
                        raw: Vec::new(),
                        delta: Vec::new(),
                        changes: Vec::new(),
                        inflate: gix::zlib::Inflate::default(),
                        rebuilt: 0,
                        partial: 0,
                        partial_bytes: 0,
                        whole_bytes: 0,
                        root_bytes: 0,
                    };
                    let mut stack: Vec<Visit> = Vec::new();
                    loop {
                        let r = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&root) = self.roots.get(r) else {
                            break;
                        };
                        stack.push(Visit {
                            job: root,
                            parent: None,
                        });
                        while let Some(v) = stack.pop() {
                            self.progress.done.fetch_add(1, Ordering::Relaxed);
                            let i = v.job as usize;
                            let kids = &self.kids
                                [self.kid_start[i] as usize..self.kid_start[i + 1] as usize];
                            let (bytes, clean, found) = self.one(
                                objects.get(),
                                i,
                                v.parent,
                                &mut *sink,
                                &mut scratch,
                                &mut missing,
                                !kids.is_empty(),
                            );
                            if found {
                                with_findings.push(self.jobs[i].blob);
                            }
                            let bytes = bytes.map(Rc::new);
                            for &k in kids.iter().rev() {
                                stack.push(Visit {
                                    job: k,
                                    parent: bytes.as_ref().map(|b| (Rc::clone(b), clean)),
                                });
                            }
                        }
                    }
                    let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
                    o.with_findings.append(&mut with_findings);
                    o.missing.append(&mut missing);
                    o.rebuilt += scratch.rebuilt;
                    o.partial += scratch.partial;
                    o.partial_bytes += scratch.partial_bytes;
                    o.whole_bytes += scratch.whole_bytes;
                    o.root_bytes += scratch.root_bytes;
                });
            }
        });
        out.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Rebuild job `i` from its parent's bytes, or read it through gix.
    /// Sets `scratch.changes` and returns true when rebuilt from the parent.
    fn read(
        &self,
        objects: &gix::odb::Handle,
        i: usize,
        parent: Option<&[u8]>,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<bool, String> {
        if let (Some(base), Some(loc)) = (parent, self.locs[i].as_ref()) {
            if self.rebuild(loc, base, scratch, out).is_some() {
                scratch.rebuilt += 1;
                return Ok(true);
            }
        }
        match scratch.resolver.read(objects, &self.jobs[i].id, out) {
            Ok(Some(gix::objs::Kind::Blob)) => Ok(false),
            Ok(Some(kind)) => Err(format!("is a {kind}, not a blob")),
            Ok(None) => Err("missing".into()),
            Err(e) => Err(e),
        }
    }

    /// Inflate the delta at `loc` and apply it to `base`.
    fn rebuild(
        &self,
        loc: &Location,
        base: &[u8],
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        let mut raw = std::mem::take(&mut scratch.raw);
        let r = self.rebuild_from(loc, base, scratch, &mut raw, out);
        scratch.raw = raw;
        r
    }

    fn rebuild_from(
        &self,
        loc: &Location,
        base: &[u8],
        scratch: &mut Scratch,
        raw: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Option<()> {
        self.packed.entry(loc, raw)?;
        let e = gix::odb::pack::data::Entry::from_bytes(raw, loc.pack_offset, self.source.hash())
            .ok()?;
        if !e.header.is_delta() {
            return None;
        }
        let size = usize::try_from(e.decompressed_size).ok()?;
        // A delta is at most about as large as its base plus its result.
        if size > base.len().saturating_mul(4).max(1 << 20) {
            return None;
        }
        let compressed = raw.get((e.data_offset - loc.pack_offset) as usize..)?;
        scratch.delta.clear();
        scratch.delta.resize(size, 0);
        scratch.inflate.reset();
        let (_, _, produced) = scratch.inflate.once(compressed, &mut scratch.delta).ok()?;
        if produced != size {
            return None;
        }
        delta::apply(base, &scratch.delta, out, &mut scratch.changes)
    }

    /// Read and scan job `i`: its bytes (if its dependents need them),
    /// whether it is clean, and whether it had findings.
    #[allow(clippy::too_many_arguments)]
    fn one(
        &self,
        objects: &gix::odb::Handle,
        i: usize,
        parent: Option<(Rc<Vec<u8>>, bool)>,
        sink: &mut dyn BlobSink,
        scratch: &mut Scratch,
        missing: &mut Vec<Missing>,
        keep: bool,
    ) -> (Option<Vec<u8>>, bool, bool) {
        let mut data = Vec::new();
        let rebuilt = match self.read(
            objects,
            i,
            parent.as_ref().map(|(b, _)| b.as_slice()),
            scratch,
            &mut data,
        ) {
            Ok(r) => r,
            Err(message) => {
                missing.push(Missing {
                    id: self.jobs[i].id,
                    what: "blob",
                    message,
                });
                return (None, false, false);
            }
        };
        let base_clean = parent.as_ref().is_some_and(|(_, c)| *c);
        drop(parent);
        let keep = keep && data.len() <= KEEP_MAX;
        let done = |data: Vec<u8>, clean: bool, found: bool| (keep.then_some(data), clean, found);
        let binary = match self.admission.check(None, &data) {
            Ok(binary) => binary,
            Err(why) => {
                self.stats.skip(why);
                return done(data, false, false);
            }
        };
        self.stats.scanned(data.len(), binary);
        if rebuilt && base_clean && self.partial {
            if let Some(regions) = self.regions(&data, &scratch.changes) {
                // Findings of a partial scan are never kept (the blob is
                // then scanned whole), so only whether something is found
                // matters.
                if let Some(found) = sink.probe(&data, &regions) {
                    if !found {
                        scratch.partial_bytes +=
                            regions.iter().map(|(lo, hi)| (hi - lo) as u64).sum::<u64>();
                        scratch.partial += 1;
                        return done(data, true, false);
                    }
                }
                // A finding: scan it whole, as every version holding it is.
            }
        }
        scratch.whole_bytes += data.len() as u64;
        if !rebuilt {
            scratch.root_bytes += data.len() as u64;
        }
        let n = sink.scan(self.jobs[i].blob, &data);
        if n > 0 {
            self.stats.findings.fetch_add(n as u64, Ordering::Relaxed);
        }
        done(data, n == 0, n > 0)
    }

    /// The regions of `data` to scan for `changes`, if they cover at most
    /// half of it (None: scan it whole).
    fn regions(&self, data: &[u8], changes: &[(usize, usize)]) -> Option<Vec<(usize, usize)>> {
        // Small blobs gain nothing.
        if data.len() < 2 * delta::CONTEXT_BYTES {
            return None;
        }
        let regions = delta::regions(data, changes);
        let covered: usize = regions.iter().map(|(lo, hi)| hi - lo).sum();
        (covered * 2 <= data.len()).then_some(regions)
    }
}

/// Sort jobs by where their objects sit in the packs (loose objects last):
/// the sort keys, the locations and the jobs.
fn sort_by_location(
    packed: &PackedEntries,
    jobs: Vec<Job>,
) -> (Vec<u64>, Vec<Option<Location>>, Vec<Job>) {
    let mut keyed: Vec<(u64, Option<Location>, Job)> = jobs
        .into_iter()
        .map(|j| {
            // Objects the pack indices do not place (loose objects, those
            // of alternates) are read through gix, whole.
            let loc = packed.find(&j.id);
            (loc.as_ref().map_or(u64::MAX, key), loc, j)
        })
        .collect();
    keyed.sort_unstable_by_key(|(k, _, _)| *k);
    let mut keys = Vec::with_capacity(keyed.len());
    let mut locs = Vec::with_capacity(keyed.len());
    let mut jobs = Vec::with_capacity(keyed.len());
    for (k, l, j) in keyed {
        keys.push(k);
        locs.push(l);
        jobs.push(j);
    }
    (keys, locs, jobs)
}
