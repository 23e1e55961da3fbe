//! The git history source: every blob reachable from every ref (or from the
//! commits of a range), each scanned once, each finding attributed to the
//! commit that introduced it.
//!
//! Phases, each with its own progress counter:
//! 1. *walking commits*: from every ref (branches, tags, remotes, stash and
//!    HEAD), or from the tip of a range minus its excluded side;
//! 2. *indexing trees*: every distinct tree is decoded once, in parallel,
//!    into a compact index with dense ids for trees and blobs;
//! 3. *scanning blobs*: every distinct blob once, in parallel, in pack order;
//! 4. *attributing*: only for blobs with findings (see [`attribute`]).
//!
//! The source knows nothing of rules or findings: it hands each blob and
//! each commit message to the scan driver's [`BlobSink`]s (which say how
//! many findings each held), and returns where the blobs with findings are
//! ([`History::placements`]) with the commits' metadata.
//!
//! Uses gix (gitoxide): pure Rust, with thread-local repository handles that
//! scale across workers (git2 serialises on global locks). Sources never
//! print: warnings go to [`Events`], errors are returned.

mod attribute;
mod blobs;
mod delta;
mod graph;
mod odb;
mod pack;
mod range;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::time::Instant;

use gix::objs::{Find, FindHeader};
use gix::ObjectId;

use crate::source::{Admission, Events, Skip, Stats};
use crate::text::one_line;
use graph::{Index, Missing, Pass};

/// What the scan driver does with the blobs history yields: one sink per
/// worker thread.
pub trait BlobSink {
    /// Scan blob `blob` (a dense id, the one [`Placement::blob`] names);
    /// returns how many findings it held.
    fn scan(&mut self, blob: u32, bytes: &[u8]) -> usize;

    /// Scan only `regions` of a blob (those that differ from its clean
    /// base): whether any of them holds a finding, or `None` when the blob
    /// cannot be scanned in part (it is not plain text).
    fn probe(&mut self, bytes: &[u8], regions: &[(usize, usize)]) -> Option<bool>;
}

/// Makes one [`BlobSink`] per worker thread.
pub type MakeSink<'s> = dyn Fn() -> Box<dyn BlobSink + 's> + Sync + 's;

/// How to read history.
#[derive(Debug, Clone, Copy)]
pub struct HistoryOptions {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Which blobs are scanned.
    pub admission: Admission,
    /// Whole-history scans: also scan the blobs that no ref reaches (loose
    /// or packed). Off by default: a local clone holds the blobs of commits
    /// that were amended, reset or refused by a hook, which never left the
    /// machine.
    pub unreachable: bool,
}

/// A commit's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitMeta {
    /// Full 40-hex commit id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the commit message.
    pub summary: String,
}

/// A blob with findings at one path of history.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Dense blob id (as given to [`BlobSink::scan`]).
    pub blob: u32,
    /// Path in the commit's tree; for a blob no ref reaches, its object id.
    pub path: String,
    /// No ref reaches the blob: it has no path and no commit.
    pub unreachable: bool,
    /// The commit that introduced the blob at this path (an index into
    /// [`History::commits`]).
    pub commit: Option<u32>,
    /// Position of that commit in topological order (the earliest of
    /// several placements of one secret wins).
    pub order: usize,
    /// Scanned commits whose tree has the blob at this path.
    pub commits: usize,
    /// Whether HEAD's tree has the blob at this path.
    pub in_head: bool,
}

/// An annotated tag that a ref reaches (directly, or through other tags).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagMeta {
    /// The tag's name (its `tag` header).
    pub name: String,
    /// Full 40-hex id of the object it points at, peeled through tags.
    pub target: String,
    /// Tagger name (empty for a tag without a tagger).
    pub tagger: String,
    /// Tagger email.
    pub email: String,
    /// Tag date, RFC 3339.
    pub date: String,
    /// First line of the message.
    pub summary: String,
    /// The message (with any signature), to scan.
    pub message: Vec<u8>,
}

/// What a history scan found where.
#[derive(Debug, Default)]
pub struct History {
    /// Where each blob with findings is.
    pub placements: Vec<Placement>,
    /// Metadata of the commits that placements and message findings name.
    pub commits: HashMap<u32, CommitMeta>,
    /// The annotated tags of a whole-history scan, with their messages
    /// (scanned by the driver, like commit messages).
    pub tags: Vec<TagMeta>,
}

/// Which commits to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every commit reachable from any ref (and, with
    /// [`HistoryOptions::unreachable`], the blobs no ref reaches, loose or
    /// packed, scanned without commit metadata).
    All,
    /// Commits reachable from `to` and not from `from` (`from..to`): only
    /// the blobs they introduced. With `symmetric` (`from...to`), commits
    /// reachable from either side and not from both: each side's commits
    /// since their merge base.
    Range {
        /// Excluded side (a revision); with `symmetric`, one of the two sides.
        from: String,
        /// Included side (a revision).
        to: String,
        /// `A...B` rather than `A..B`.
        symmetric: bool,
    },
}

impl Selection {
    /// Parse `A..B` or `A...B`. An empty `B` means HEAD; an empty `A` is
    /// kept empty (no base: the scan falls back to the pushed commits, see
    /// `range`), unlike git's `..B`.
    pub fn parse_range(spec: &str) -> Result<Selection, Error> {
        let symmetric = spec.contains("...");
        let split = if symmetric {
            spec.split_once("...")
        } else {
            spec.split_once("..")
        };
        let Some((a, b)) = split.filter(|(a, b)| {
            !a.contains("..") && !b.contains("..") && !a.ends_with('.') && !b.starts_with('.')
        }) else {
            return Err(Error::Revision {
                spec: spec.to_string(),
                reason: "expected a range A..B or A...B".into(),
            });
        };
        let side = |s: &str| {
            if s.is_empty() {
                "HEAD".to_string()
            } else {
                s.to_string()
            }
        };
        // An empty base is kept empty, unlike git's `..B` (HEAD..B): it is
        // what a CI job's unset "previous commit" variable gives, and is
        // resolved to the pushed commits with a warning (see `range`).
        Ok(Selection::Range {
            from: a.trim().to_string(),
            to: side(b),
            symmetric,
        })
    }
}

/// Errors that stop a history scan (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path is not in a git repository.
    #[error("{path}: not a git repository ({reason})")]
    NotARepository {
        /// The path given.
        path: PathBuf,
        /// Why gix refused it.
        reason: String,
    },
    /// A revision could not be resolved.
    #[error("cannot resolve {spec:?}: {reason}")]
    Revision {
        /// The revision or range.
        spec: String,
        /// Why.
        reason: String,
    },
    /// The repository could not be read.
    #[error("{0}")]
    Repository(String),
}

/// Phases of a git scan, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Opening the repository and reading refs.
    Opening = 0,
    /// Walking commits.
    Commits = 1,
    /// Decoding and indexing trees.
    Trees = 2,
    /// Scanning blobs.
    Blobs = 3,
    /// Attributing findings to commits.
    Attributing = 4,
}

/// Live progress of a git scan, read by the CLI's progress bar.
#[derive(Debug, Default)]
pub struct Progress {
    phase: AtomicU8,
    /// Items done in the current phase.
    pub done: AtomicU64,
    /// Items in the current phase (0 if unknown).
    pub total: AtomicU64,
}

impl Progress {
    fn enter(&self, phase: Phase, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            1 => Phase::Commits,
            2 => Phase::Trees,
            3 => Phase::Blobs,
            4 => Phase::Attributing,
            _ => Phase::Opening,
        }
    }

    /// One line for a progress display, e.g. `scanning blobs 1200/5000`.
    pub fn message(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        let what = match self.phase() {
            Phase::Opening => return "opening repository".to_string(),
            Phase::Commits => "walking commits",
            Phase::Trees => "indexing trees",
            Phase::Blobs => "scanning blobs",
            Phase::Attributing => return "attributing findings".to_string(),
        };
        if total > 0 {
            format!("{what} {done}/{total}")
        } else {
            format!("{what} {done}")
        }
    }
}

/// Open the repository at (or above) `path`.
pub(crate) fn open(path: &Path) -> Result<gix::ThreadSafeRepository, Error> {
    if !path.exists() {
        return Err(Error::NotARepository {
            path: path.to_path_buf(),
            reason: "no such file or directory".into(),
        });
    }
    gix::discover(path)
        .map(|r| r.into_sync())
        .map_err(|e| Error::NotARepository {
            path: path.to_path_buf(),
            reason: one_line(&e.to_string()),
        })
}

/// What the refs point at, peeled.
#[derive(Default)]
struct Tips {
    commits: Vec<ObjectId>,
    trees: Vec<ObjectId>,
    blobs: Vec<ObjectId>,
    tags: Vec<TagMeta>,
}

fn ref_tips(repo: &gix::Repository, events: &dyn Events) -> Result<Tips, Error> {
    let mut ids: Vec<ObjectId> = Vec::new();
    // Annotated tags the refs name directly (their targets may be tags too).
    let mut tag_ids: Vec<ObjectId> = Vec::new();
    if let Ok(id) = repo.head_id() {
        ids.push(id.detach());
    }
    let platform = repo
        .references()
        .map_err(|e| Error::Repository(format!("cannot read refs: {e}")))?;
    let all = platform
        .all()
        .map_err(|e| Error::Repository(format!("cannot read refs: {e}")))?;
    for r in all {
        let mut r = match r {
            Ok(r) => r,
            Err(e) => {
                events.warning(format!(
                    "skipping an unreadable ref: {}",
                    one_line(&e.to_string())
                ));
                continue;
            }
        };
        if let Some(direct) = r.target().try_id() {
            tag_ids.push(direct.to_owned());
        }
        match r.peel_to_id() {
            Ok(id) => ids.push(id.detach()),
            Err(e) => events.warning(format!(
                "{}: cannot be resolved: {}",
                r.name().as_bstr(),
                one_line(&e.to_string())
            )),
        }
    }
    ids.sort();
    ids.dedup();
    let mut tips = Tips {
        tags: annotated_tags(repo, tag_ids),
        ..Tips::default()
    };
    for id in ids {
        match repo.objects.try_header(&id) {
            Ok(Some(h)) => match h.kind {
                gix::objs::Kind::Commit => tips.commits.push(id),
                gix::objs::Kind::Tree => tips.trees.push(id),
                gix::objs::Kind::Blob => tips.blobs.push(id),
                gix::objs::Kind::Tag => {}
            },
            _ => events.warning(format!("a ref points at missing object {id}")),
        }
    }
    Ok(tips)
}

/// The annotated tags among `ids` and the tags they point at, each once,
/// in object id order (other objects are skipped).
fn annotated_tags(repo: &gix::Repository, mut ids: Vec<ObjectId>) -> Vec<TagMeta> {
    let hash = repo.object_hash();
    let mut seen: gix::hashtable::HashSet<ObjectId> = Default::default();
    let mut out: Vec<(ObjectId, TagMeta)> = Vec::new();
    let mut buf = Vec::new();
    while let Some(id) = ids.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Ok(Some(data)) = repo.objects.try_find(&id, &mut buf) else {
            continue;
        };
        if data.kind != gix::objs::Kind::Tag {
            continue;
        }
        let Ok(tag) = gix::objs::TagRef::from_bytes(data.data, hash) else {
            continue;
        };
        let target = tag.target();
        if tag.target_kind == gix::objs::Kind::Tag {
            ids.push(target);
        }
        let mut meta = TagMeta {
            name: tag.name.to_string(),
            target: target.to_string(),
            summary: tag
                .message
                .split(|&b| b == b'\n')
                .next()
                .map(|l| String::from_utf8_lossy(l).trim().to_string())
                .unwrap_or_default(),
            message: tag.message.to_vec(),
            ..TagMeta::default()
        };
        if let Some(sig) = tag.signature {
            meta.message.extend_from_slice(sig);
        }
        if let Ok(Some(tagger)) = tag.tagger() {
            let tagger = tagger.trim();
            meta.tagger = tagger.name.to_string();
            meta.email = tagger.email.to_string();
            if let Ok(t) = tagger.time() {
                meta.date = t.format_or_unix(gix::date::time::format::ISO8601_STRICT);
            }
        }
        out.push((id, meta));
    }
    // A tag of a tag: its target is the peeled object, as for its ref.
    out.sort_by_key(|a| a.0);
    let peeled: HashMap<String, String> = out
        .iter()
        .map(|(id, m)| (id.to_string(), m.target.clone()))
        .collect();
    out.into_iter()
        .map(|(_, mut m)| {
            let mut hops = 0;
            while let Some(next) = peeled.get(&m.target) {
                m.target = next.clone();
                hops += 1;
                if hops > 64 {
                    break;
                }
            }
            m
        })
        .collect()
}

fn resolve(repo: &gix::Repository, spec: &str) -> Result<ObjectId, Error> {
    let id = repo
        .rev_parse_single(spec)
        .map_err(|e| Error::Revision {
            spec: spec.to_string(),
            reason: one_line(&e.to_string()),
        })?
        .detach();
    // Peel annotated tags to their commit.
    let obj = repo.find_object(id).map_err(|e| Error::Revision {
        spec: spec.to_string(),
        reason: one_line(&e.to_string()),
    })?;
    let commit = obj.peel_to_commit().map_err(|e| Error::Revision {
        spec: spec.to_string(),
        reason: one_line(&e.to_string()),
    })?;
    Ok(commit.id)
}

/// Read the history of the repository at `path`: each commit message goes
/// to `messages` (the commit's index, its bytes; returns its findings),
/// each blob to a sink made by `sinks`, one per thread. `skip_path` excludes
/// blobs by their path before they are read (allowlisted paths).
#[allow(clippy::too_many_arguments)]
pub fn history<'s>(
    path: &Path,
    selection: &Selection,
    opts: &HistoryOptions,
    stats: &Stats,
    events: &dyn Events,
    progress: &Progress,
    skip_path: &(dyn Fn(&str) -> bool + Sync),
    messages: &mut dyn FnMut(u32, &[u8]) -> usize,
    sinks: &MakeSink<'s>,
) -> Result<History, Error> {
    progress.enter(Phase::Opening, 0);
    // Resolving refs reads many objects (every tag and tip commit, and for
    // a range the commits of its excluded side) through the repository's
    // store, whose mapped pages stay while it lives: that store is dropped
    // before the walk, which reopens the repository.
    let scratch = open(path)?.to_thread_local();
    let repo = &scratch;
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };

    let shallow: gix::hashtable::HashSet<ObjectId> = match repo.shallow_commits() {
        Ok(Some(c)) => c.iter().copied().collect(),
        _ => Default::default(),
    };
    if !shallow.is_empty() {
        events.warning(format!(
            "{}: shallow clone: history beyond its {} boundary commit{} is not in the repository and was not scanned",
            path.display(),
            shallow.len(),
            if shallow.len() == 1 { "" } else { "s" }
        ));
    }

    let mut missing: Vec<Missing> = Vec::new();
    let (mut tips, stop) = match selection {
        Selection::All => (ref_tips(repo, events)?, Default::default()),
        Selection::Range {
            from,
            to,
            symmetric,
        } => {
            let b = resolve(repo, to)?;
            match range::base(repo, from, &shallow)? {
                Err(why) => {
                    let stop = range::pushed(repo, from, why, b, &shallow, events);
                    let tips = Tips {
                        commits: vec![b],
                        ..Default::default()
                    };
                    (tips, stop)
                }
                Ok(a) => {
                    let (commits, stop) = if *symmetric {
                        // What both sides reach (their merge bases and
                        // everything before) is left out; each side's own
                        // commits are scanned.
                        let from_a = graph::reachable_commits(repo, &[a], &shallow);
                        let from_b = graph::reachable_commits(repo, &[b], &shallow);
                        let both = from_a.intersection(&from_b).copied().collect();
                        (vec![a, b], both)
                    } else {
                        (vec![b], graph::reachable_commits(repo, &[a], &shallow))
                    };
                    range::check_depth(repo, from, &commits, &stop, &shallow)?;
                    let tips = Tips {
                        commits,
                        ..Default::default()
                    };
                    (tips, stop)
                }
            }
        }
    };

    let tags = std::mem::take(&mut tips.tags);
    drop(scratch);
    let sync = open(path)?;
    let repo = sync.to_thread_local();

    let debug = std::env::var_os("KEYSCAN_DEBUG_TIMINGS").is_some();
    let t0 = Instant::now();
    let lap = |what: &str, t: &mut Instant| {
        if debug {
            events.warning(format!(
                "timing: {what}: {:.3} s",
                t.elapsed().as_secs_f64()
            ));
        }
        *t = Instant::now();
    };
    let mut t = t0;
    progress.enter(Phase::Commits, 0);
    let source = odb::Source::of(&sync);
    // Commit messages are scanned as the commits are read (`git log -p`
    // shows them too, and "add key sk-..." happens).
    let mut message_commits: Vec<u32> = Vec::new();
    let mut commits = graph::walk_commits(
        &source,
        &tips.commits,
        &stop,
        &shallow,
        progress,
        &mut missing,
        &mut |c, message| {
            if messages(c, message) > 0 {
                message_commits.push(c);
            }
        },
    );

    lap("commits", &mut t);
    // Trees: boundaries (known content), then the scanned commits, then
    // HEAD's tree for `in_head` if no scanned commit has it.
    progress.enter(Phase::Trees, 0);
    let mut index = Index::default();
    // Where every packed object sits: trees and blobs are read by location.
    // Worth its fraction of a second for a whole history, not for the few
    // objects of a pull request's range (read through gix by id instead).
    let mut packed = if *selection == Selection::All {
        pack::PackedEntries::read(&source)
    } else {
        pack::PackedEntries::default()
    };
    let mut buf = Vec::new();
    let base_roots: Vec<(u32, ObjectId)> = commits
        .boundary
        .iter()
        .filter_map(|c| commit_tree(&repo, c, &mut buf))
        .map(|t| (index.tree(t, graph::ROOT), t))
        .collect();
    index.walk(
        &source,
        &packed,
        &base_roots,
        Pass::Base,
        threads,
        progress,
        &mut missing,
    );
    let mut scan_roots: Vec<(u32, ObjectId)> = commits
        .trees
        .iter()
        .map(|t| (index.tree(*t, graph::ROOT), *t))
        .collect();
    scan_roots.extend(tips.trees.iter().map(|t| (index.tree(*t, graph::ROOT), *t)));
    commits.roots = scan_roots[..commits.ids.len()]
        .iter()
        .map(|r| r.0)
        .collect();
    commits.trees = Vec::new();
    index.walk(
        &source,
        &packed,
        &scan_roots,
        Pass::Scan,
        threads,
        progress,
        &mut missing,
    );
    drop(scan_roots);
    let head_tree = repo.head_tree_id().ok().map(|t| {
        let t = t.detach();
        (index.tree(t, graph::ROOT), t)
    });
    if let Some(t) = head_tree {
        index.walk(
            &source,
            &packed,
            &[t],
            Pass::Index,
            threads,
            progress,
            &mut missing,
        );
    }
    let head_tree = head_tree.map(|t| t.0);

    lap("trees", &mut t);
    if debug {
        events.warning(format!(
            "index: {} commits, {} trees, {} entries in {} bytes, {} blobs, {} names, {} paths",
            commits.ids.len(),
            index.tree_count(),
            index.entry_count,
            index.edge_bytes(),
            index.blob_ids.len(),
            index.names.len(),
            index.paths.len()
        ));
    }
    // Blobs: those the scanned trees introduced, blobs refs point at, and
    // (for whole-history scans) loose blobs no commit reaches.
    let mut jobs: Vec<blobs::Job> = Vec::new();
    for &b in &index.to_scan {
        let p = index.blob_path[b as usize];
        if skip_path(&index.paths.render(p, &index.names)) {
            stats.skip(Skip::Allowlisted);
            continue;
        }
        jobs.push(blobs::Job {
            blob: b,
            id: index.blob_ids[b as usize],
        });
    }
    // A range with many blobs is worth placing them all at once too.
    if packed.is_empty() && jobs.len() > 4096 {
        packed = pack::PackedEntries::read(&source);
    }
    let mut unreachable: Vec<u32> = Vec::new();
    if *selection == Selection::All {
        let mut extra: Vec<ObjectId> = tips.blobs.clone();
        if opts.unreachable {
            extra.extend(loose_unreachable(&repo, &index, &commits));
            extra.extend(packed.unreached_blobs(&source, |id| reached(&index, &commits, id)));
        }
        for id in extra {
            if index.blob_map.contains_key(&id) {
                continue;
            }
            let b = index.add_blob(&id, graph::ROOT);
            unreachable.push(b);
            jobs.push(blobs::Job { blob: b, id });
        }
    }
    // What only the walk and the search for unreached objects needed.
    index.drop_maps();
    commits.map = Default::default();
    lap("jobs", &mut t);
    progress.enter(Phase::Blobs, jobs.len() as u64);
    let scanned = blobs::scan(
        &source,
        &packed,
        &opts.admission,
        jobs,
        threads,
        stats,
        progress,
        sinks,
    );
    lap("blobs", &mut t);
    if debug {
        events.warning(format!(
            "object stores renewed to bound mapped pack pages: {}",
            odb::renewals()
        ));
        events.warning(format!(
            "blobs: {} rebuilt from their delta base, {} scanned where they differ from it; detector ran over {} MiB of partial and {} MiB of whole blobs ({} MiB not rebuilt from a base)",
            scanned.rebuilt,
            scanned.partial,
            scanned.partial_bytes >> 20,
            scanned.whole_bytes >> 20,
            scanned.root_bytes >> 20
        ));
    }
    missing.extend(scanned.missing);

    progress.enter(Phase::Attributing, 0);
    let mut targets: Vec<u32> = scanned.with_findings;
    targets.sort_unstable();
    targets.dedup();
    let topo = attribute::topo_order(&commits);
    let pairs = attribute::attribute(&index, &commits, &topo, head_tree, &targets);
    let mut out = History {
        tags,
        ..History::default()
    };
    for p in pairs {
        let unreachable = p.commit.is_none() && unreachable.binary_search(&p.blob).is_ok();
        if let Some(c) = p.commit {
            out.commits
                .entry(c)
                .or_insert_with(|| commit_meta(&repo, &commits.ids[c as usize]));
        }
        out.placements.push(Placement {
            blob: p.blob,
            path: if unreachable {
                index.blob_ids[p.blob as usize].to_string()
            } else {
                p.path
            },
            unreachable,
            commit: p.commit,
            order: p.order,
            commits: p.commits,
            in_head: p.in_head,
        });
    }
    for c in message_commits {
        out.commits
            .entry(c)
            .or_insert_with(|| commit_meta(&repo, &commits.ids[c as usize]));
    }

    lap("attribution", &mut t);
    report_missing(&missing, stats, events);
    if index.submodules > 0 {
        events.warning(format!(
            "{} submodule entr{} (gitlinks) in history were not descended; scan those repositories separately",
            index.submodules,
            if index.submodules == 1 { "y" } else { "ies" }
        ));
    }
    Ok(out)
}

fn commit_tree(repo: &gix::Repository, id: &ObjectId, buf: &mut Vec<u8>) -> Option<ObjectId> {
    let data = repo.objects.try_find(id, buf).ok()??;
    gix::objs::CommitRefIter::from_bytes(data.data, repo.object_hash())
        .tree_id()
        .ok()
}

/// The kind of object `id` if the walk met it (a commit, a tree, a blob,
/// or a symbolic link's target).
fn reached(index: &Index, commits: &graph::Commits, id: &ObjectId) -> Option<gix::objs::Kind> {
    if index.blob_map.contains_key(id) || index.link_blobs.contains(id) {
        Some(gix::objs::Kind::Blob)
    } else if index.tree_map.contains_key(id) {
        Some(gix::objs::Kind::Tree)
    } else if commits.map.contains_key(id) {
        Some(gix::objs::Kind::Commit)
    } else {
        None
    }
}

/// Loose blobs that no walked tree names (dropped `git add`s, amended or
/// reset work): scanned without commit metadata.
fn loose_unreachable(
    repo: &gix::Repository,
    index: &Index,
    commits: &graph::Commits,
) -> Vec<ObjectId> {
    let dir = repo.common_dir().join("objects");
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    for sub in rd.flatten() {
        let name = sub.file_name();
        let Some(prefix) = name.to_str().filter(|n| n.len() == 2) else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(sub.path()) else {
            continue;
        };
        for f in files.flatten() {
            let rest = f.file_name();
            let Some(rest) = rest.to_str() else { continue };
            let Ok(id) = ObjectId::from_hex(format!("{prefix}{rest}").as_bytes()) else {
                continue;
            };
            if reached(index, commits, &id).is_some() {
                continue;
            }
            if let Ok(Some(h)) = repo.objects.try_header(&id) {
                if h.kind == gix::objs::Kind::Blob {
                    out.push(id);
                }
            }
        }
    }
    out.sort();
    out
}

fn report_missing(missing: &[Missing], stats: &Stats, events: &dyn Events) {
    const SHOWN: usize = 10;
    for m in missing.iter().take(SHOWN) {
        events.warning(format!(
            "{} {}: {}; skipped",
            m.what,
            m.id,
            one_line(&m.message)
        ));
    }
    if missing.len() > SHOWN {
        events.warning(format!(
            "{} more missing or corrupt objects skipped",
            missing.len() - SHOWN
        ));
    }
    stats
        .unreadable
        .fetch_add(missing.len() as u64, Ordering::Relaxed);
}

fn commit_meta(repo: &gix::Repository, id: &ObjectId) -> CommitMeta {
    let mut info = CommitMeta {
        id: id.to_string(),
        ..CommitMeta::default()
    };
    let mut buf = Vec::new();
    let Ok(Some(data)) = repo.objects.try_find(id, &mut buf) else {
        return info;
    };
    let Ok(c) = gix::objs::CommitRef::from_bytes(data.data, repo.object_hash()) else {
        return info;
    };
    if let Ok(author) = c.author() {
        let author = author.trim();
        info.author = author.name.to_string();
        info.email = author.email.to_string();
        if let Ok(t) = author.time() {
            info.date = t.format_or_unix(gix::date::time::format::ISO8601_STRICT);
        }
    }
    info.summary = c.message_summary().to_string();
    info
}

/// `path` if it is a directory, else the directory holding it (`.` for a
/// bare file name).
fn containing_dir(path: &Path) -> Option<&Path> {
    let dir = if path.is_dir() { path } else { path.parent()? };
    Some(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    })
}

/// The work tree of the repository `path` is in (canonical), if any: the
/// directory reports name files relative to. A bare repository has none.
pub fn work_tree(path: &Path) -> Option<PathBuf> {
    let dir = containing_dir(path)?;
    // Discovered from a relative path, a linked worktree's work dir comes
    // back relative to it (`""`), which canonicalizes to nothing: start
    // from the absolute directory.
    let repo = gix::discover(dir.canonicalize().ok()?).ok()?;
    repo.workdir()?.canonicalize().ok()
}

/// The full id of the commit HEAD points at in the repository `path` is
/// in, if it has one.
pub fn head_commit(path: &Path) -> Option<String> {
    let dir = containing_dir(path)?;
    let repo = gix::discover(dir).ok()?;
    repo.head_id().ok().map(|id| id.to_string())
}

/// Paths, relative to `root`, of the files under it that the git index
/// holds and `select` picks; an empty path when `root` is itself one.
/// `select` is given each path relative to the repository's work tree and
/// relative to `root` (`/` separators). Outside a repository nothing is
/// tracked; an index that cannot be read is an error (its message names
/// `root`).
pub fn tracked_under(
    root: &Path,
    select: &dyn Fn(&str, &str) -> bool,
) -> Result<Vec<PathBuf>, Error> {
    let dir = if root.is_dir() {
        root
    } else {
        match root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    };
    let Ok(repo) = gix::discover(dir) else {
        return Ok(Vec::new()); // not in a repository: nothing is tracked
    };
    let Some(workdir) = repo.workdir().and_then(|p| p.canonicalize().ok()) else {
        return Ok(Vec::new());
    };
    let Ok(root_abs) = root.canonicalize() else {
        return Ok(Vec::new());
    };
    // The root relative to the work tree, as index paths spell it.
    let Some(prefix) = root_abs
        .strip_prefix(&workdir)
        .ok()
        .and_then(|p| p.to_str())
        .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"))
    else {
        return Ok(Vec::new());
    };
    let index = repo.index_or_empty().map_err(|e| {
        Error::Repository(format!(
            "{}: cannot read the git index to find tracked files: {e}",
            root.display()
        ))
    })?;
    let mut out = Vec::new();
    for entry in index.entries() {
        if entry.stage_raw() > 1 {
            continue; // a conflicted path is listed once per stage
        }
        let Ok(rel) = std::str::from_utf8(entry.path(&index)) else {
            continue;
        };
        let under = if prefix.is_empty() {
            rel
        } else if rel == prefix {
            ""
        } else {
            match rel
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                Some(u) => u,
                None => continue,
            }
        };
        if select(rel, under) {
            out.push(PathBuf::from(under));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_with_head_as_the_default_side() {
        let r = |from: &str, to: &str| Selection::Range {
            from: from.into(),
            to: to.into(),
            symmetric: false,
        };
        assert_eq!(
            Selection::parse_range("origin/main..HEAD").unwrap(),
            r("origin/main", "HEAD")
        );
        assert_eq!(
            Selection::parse_range("v1.0..v2.0").unwrap(),
            r("v1.0", "v2.0")
        );
        assert_eq!(Selection::parse_range("main..").unwrap(), r("main", "HEAD"));
        assert_eq!(Selection::parse_range("..topic").unwrap(), r("", "topic"));
        assert!(Selection::parse_range("main").is_err());
        assert_eq!(
            Selection::parse_range("origin/main...topic").unwrap(),
            Selection::Range {
                from: "origin/main".into(),
                to: "topic".into(),
                symmetric: true,
            }
        );
        assert_eq!(
            Selection::parse_range("main...").unwrap(),
            Selection::Range {
                from: "main".into(),
                to: "HEAD".into(),
                symmetric: true,
            }
        );
        assert!(Selection::parse_range("a..b..c").is_err());
        assert!(Selection::parse_range("a....b").is_err());
    }

    #[test]
    fn progress_messages_name_the_phase() {
        let p = Progress::default();
        assert_eq!(p.message(), "opening repository");
        p.enter(Phase::Blobs, 10);
        p.done.store(3, Ordering::Relaxed);
        assert_eq!(p.message(), "scanning blobs 3/10");
        p.enter(Phase::Trees, 0);
        assert_eq!(p.message(), "indexing trees 0");
    }
}
