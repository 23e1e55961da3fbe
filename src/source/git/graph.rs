//! The commit graph and the tree index of one history scan.
//!
//! Commits are walked once from their tips; trees are decoded once each, in
//! parallel, by workers with their own repository handles, while one thread
//! merges what they decode: it gives every tree and blob a dense integer id,
//! interns entry names and records each tree's entries as two flat integer
//! arrays. Nothing here reads a blob: blobs are only discovered (with the
//! first path they were seen at) and marked for scanning.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use gix::objs::Find;
use gix::ObjectId;

use super::Progress;

/// Id of "no path" (the root) in [`Paths`].
pub(crate) const ROOT: u32 = u32::MAX;
/// High bit of an edge: the child is a blob (else a tree).
pub(crate) const BLOB: u32 = 1 << 31;

/// Fast hash for small byte strings (file names) and integer pairs: FxHash.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.add(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A `HashMap` keyed by small values, hashed with [`Fx`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Interned file names (tree entry names).
#[derive(Default)]
pub(crate) struct Names {
    map: FxMap<Box<[u8]>, u32>,
    list: Vec<Box<[u8]>>,
}

impl Names {
    pub(crate) fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(&i) = self.map.get(name) {
            return i;
        }
        let i = self.list.len() as u32;
        let b: Box<[u8]> = name.into();
        self.list.push(b.clone());
        self.map.insert(b, i);
        i
    }

    /// Number of names.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// The bytes of name `i`.
    pub(crate) fn get(&self, i: u32) -> &[u8] {
        &self.list[i as usize]
    }
}

/// Interned paths: each is a (parent path, name) pair, so a path costs one
/// entry however deep it is.
#[derive(Default)]
pub(crate) struct Paths {
    map: FxMap<(u32, u32), u32>,
    nodes: Vec<(u32, u32)>,
}

impl Paths {
    /// The id of `parent/name`.
    pub(crate) fn intern(&mut self, parent: u32, name: u32) -> u32 {
        *self.map.entry((parent, name)).or_insert_with(|| {
            self.nodes.push((parent, name));
            (self.nodes.len() - 1) as u32
        })
    }

    /// Number of paths.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Render path `id` with `/` separators.
    pub(crate) fn render(&self, mut id: u32, names: &Names) -> String {
        let mut parts = Vec::new();
        while id != ROOT {
            let (parent, name) = self.nodes[id as usize];
            parts.push(name);
            id = parent;
        }
        let mut out = Vec::new();
        for (i, n) in parts.iter().rev().enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(names.get(*n));
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The commits of a scan.
#[derive(Default)]
pub(crate) struct Commits {
    /// Commit ids.
    pub ids: Vec<ObjectId>,
    /// Root tree of each commit.
    pub trees: Vec<ObjectId>,
    /// Parents (indices into `ids`) that are part of the walk.
    pub parents: Vec<Vec<u32>>,
    /// Committer time (seconds), for tie-breaking the topological order.
    pub times: Vec<i64>,
    /// Commit id → index.
    pub map: gix::hashtable::HashMap<ObjectId, u32>,
    /// Parents outside the walk (range boundaries), deduplicated.
    pub boundary: Vec<ObjectId>,
}

/// What went wrong reading one object (the scan goes on).
pub(crate) struct Missing {
    pub id: ObjectId,
    pub what: &'static str,
    pub message: String,
}

/// Walk commits from `tips`, not entering `stop` (commits of the excluded
/// side of a range) nor the parents of `shallow` commits. Parents that are
/// in `stop` are recorded as boundaries. `on_message` gets each commit's
/// message (its index in [`Commits`], the bytes).
pub(crate) fn walk_commits(
    repo: &gix::Repository,
    tips: &[ObjectId],
    stop: &gix::hashtable::HashSet<ObjectId>,
    shallow: &gix::hashtable::HashSet<ObjectId>,
    progress: &Progress,
    missing: &mut Vec<Missing>,
    on_message: &mut dyn FnMut(u32, &[u8]),
) -> Commits {
    let hash = repo.object_hash();
    let mut c = Commits::default();
    let mut parent_ids: Vec<Vec<ObjectId>> = Vec::new();
    let mut stack: Vec<ObjectId> = Vec::new();
    let mut boundary: gix::hashtable::HashSet<ObjectId> = Default::default();
    for t in tips {
        if !stop.contains(t) {
            stack.push(*t);
        }
    }
    let mut buf = Vec::new();
    while let Some(id) = stack.pop() {
        if c.map.contains_key(&id) {
            continue;
        }
        let data = match repo.objects.try_find(&id, &mut buf) {
            Ok(Some(d)) if d.kind == gix::objs::Kind::Commit => d,
            Ok(Some(_)) => continue,
            Ok(None) => {
                missing.push(Missing {
                    id,
                    what: "commit",
                    message: "missing".into(),
                });
                continue;
            }
            Err(e) => {
                missing.push(Missing {
                    id,
                    what: "commit",
                    message: e.to_string(),
                });
                continue;
            }
        };
        let mut tree = None;
        let mut parents = Vec::new();
        let mut time = 0;
        for token in gix::objs::CommitRefIter::from_bytes(data.data, hash) {
            match token {
                Ok(gix::objs::commit::ref_iter::Token::Tree { id }) => tree = Some(id),
                Ok(gix::objs::commit::ref_iter::Token::Parent { id }) => parents.push(id),
                Ok(gix::objs::commit::ref_iter::Token::Committer { signature }) => {
                    time = signature.seconds();
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let Some(tree) = tree else {
            missing.push(Missing {
                id,
                what: "commit",
                message: "cannot be decoded".into(),
            });
            continue;
        };
        let idx = c.ids.len() as u32;
        c.map.insert(id, idx);
        c.ids.push(id);
        c.trees.push(tree);
        c.times.push(time);
        // The message follows the first empty line (header continuation
        // lines, as in a signature, start with a space).
        if let Some(at) = memchr::memmem::find(data.data, b"\n\n") {
            on_message(idx, &data.data[at + 2..]);
        }
        if shallow.contains(&id) {
            parents.clear();
        }
        for p in &parents {
            if stop.contains(p) {
                boundary.insert(*p);
            } else if !c.map.contains_key(p) {
                stack.push(*p);
            }
        }
        parent_ids.push(parents);
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    c.parents = parent_ids
        .iter()
        .map(|ps| ps.iter().filter_map(|p| c.map.get(p).copied()).collect())
        .collect();
    c.boundary = boundary.into_iter().collect();
    c.boundary.sort();
    c
}

/// Every commit reachable from `tips` (commits only, no trees): the excluded
/// side of a range.
pub(crate) fn reachable_commits(
    repo: &gix::Repository,
    tips: &[ObjectId],
    shallow: &gix::hashtable::HashSet<ObjectId>,
) -> gix::hashtable::HashSet<ObjectId> {
    let hash = repo.object_hash();
    let mut seen: gix::hashtable::HashSet<ObjectId> = Default::default();
    let mut stack: Vec<ObjectId> = tips.to_vec();
    let mut buf = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if shallow.contains(&id) {
            continue;
        }
        let Ok(Some(data)) = repo.objects.try_find(&id, &mut buf) else {
            continue;
        };
        if data.kind != gix::objs::Kind::Commit {
            continue;
        }
        for token in gix::objs::CommitRefIter::from_bytes(data.data, hash) {
            match token {
                Ok(gix::objs::commit::ref_iter::Token::Tree { .. }) => {}
                Ok(gix::objs::commit::ref_iter::Token::Parent { id }) => {
                    if !seen.contains(&id) {
                        stack.push(id)
                    }
                }
                _ => break,
            }
        }
    }
    seen
}

/// Flags of trees and blobs.
pub(crate) const F_BASE: u8 = 1;
pub(crate) const F_SCAN: u8 = 2;
pub(crate) const F_INDEX: u8 = 4;

/// Why a tree walk is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Trees of range boundaries: their blobs are known, not scanned.
    Base,
    /// Trees of the commits to scan: new blobs are scanned.
    Scan,
    /// Trees needed for attribution only (HEAD's, outside a range).
    Index,
}

/// Every tree and blob met, with dense ids, and each tree's entries.
#[derive(Default)]
pub(crate) struct Index {
    pub tree_ids: Vec<ObjectId>,
    pub tree_map: gix::hashtable::HashMap<ObjectId, u32>,
    pub tree_flags: Vec<u8>,
    /// First path each tree was met at.
    pub tree_path: Vec<u32>,
    /// (start, len) of each tree's entries in `edges`/`names`; `len ==
    /// u32::MAX` for a tree not (yet) decoded.
    pub tree_span: Vec<(u32, u32)>,
    /// Child id, `| BLOB` for blobs.
    pub edges: Vec<u32>,
    /// Interned entry name, parallel to `edges`.
    pub edge_names: Vec<u32>,
    pub blob_ids: Vec<ObjectId>,
    pub blob_map: gix::hashtable::HashMap<ObjectId, u32>,
    pub blob_flags: Vec<u8>,
    /// First path each blob was met at.
    pub blob_path: Vec<u32>,
    /// Blobs to scan, in discovery order.
    pub to_scan: Vec<u32>,
    pub names: Names,
    pub paths: Paths,
    /// Submodule entries (gitlinks) met, not descended.
    pub submodules: u64,
    /// Symbolic links met, not scanned.
    pub symlinks: u64,
    /// The blobs symbolic links point at (a link's target path): reached,
    /// but not scanned.
    pub link_blobs: gix::hashtable::HashSet<ObjectId>,
}

const UNDECODED: (u32, u32) = (0, u32::MAX);

impl Index {
    /// The dense id of tree `id`, added if new.
    pub(crate) fn tree(&mut self, id: ObjectId, path: u32) -> u32 {
        if let Some(&i) = self.tree_map.get(&id) {
            return i;
        }
        let i = self.tree_ids.len() as u32;
        self.tree_ids.push(id);
        self.tree_map.insert(id, i);
        self.tree_flags.push(0);
        self.tree_path.push(path);
        self.tree_span.push(UNDECODED);
        i
    }

    /// The dense id of blob `id`, added if new (met at `path`).
    pub(crate) fn add_blob(&mut self, id: &gix::oid, path: u32) -> u32 {
        self.blob(id, path)
    }

    fn blob(&mut self, id: &gix::oid, path: u32) -> u32 {
        if let Some(&i) = self.blob_map.get(id) {
            return i;
        }
        let i = self.blob_ids.len() as u32;
        self.blob_ids.push(id.to_owned());
        self.blob_map.insert(id.to_owned(), i);
        self.blob_flags.push(0);
        self.blob_path.push(path);
        i
    }

    /// Entries of tree `t` (edges, names), empty if it was never decoded.
    pub(crate) fn entries(&self, t: u32) -> (&[u32], &[u32]) {
        let (s, n) = self.tree_span[t as usize];
        if n == u32::MAX {
            return (&[], &[]);
        }
        let r = s as usize..(s + n) as usize;
        (&self.edges[r.clone()], &self.edge_names[r])
    }

    /// Mark `root` for `pass` and decode every tree below it that no
    /// earlier pass reached, with `threads` workers.
    pub(crate) fn walk(
        &mut self,
        sync: &gix::ThreadSafeRepository,
        roots: &[u32],
        pass: Pass,
        threads: usize,
        progress: &Progress,
        missing: &mut Vec<Missing>,
    ) {
        let flag = match pass {
            Pass::Base => F_BASE,
            Pass::Scan => F_SCAN,
            Pass::Index => F_INDEX,
        };
        let mut queue: Vec<u32> = Vec::new();
        for &r in roots {
            if self.enter_tree(r, pass, flag) {
                queue.push(r);
            }
        }
        if queue.is_empty() {
            return;
        }
        let hash = sync.to_thread_local().object_hash();
        const CHUNK: usize = 64;
        let threads = threads.max(1);
        let (job_tx, job_rx) = mpsc::channel::<Vec<(u32, ObjectId)>>();
        let job_rx = Mutex::new(job_rx);
        let (res_tx, res_rx) =
            mpsc::sync_channel::<Vec<(u32, Result<Vec<u8>, String>)>>(threads * 4);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..threads {
                let res_tx = res_tx.clone();
                let job_rx = &job_rx;
                let stop = &stop;
                s.spawn(move || {
                    let mut repo = sync.to_thread_local();
                    repo.objects.set_pack_cache(|| {
                        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
                            32 * 1024 * 1024,
                        ))
                    });
                    let mut buf = Vec::new();
                    loop {
                        let job = {
                            let rx = job_rx.lock().unwrap_or_else(|e| e.into_inner());
                            rx.recv()
                        };
                        let Ok(job) = job else { break };
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let out: Vec<_> = job
                            .into_iter()
                            .map(|(t, id)| {
                                let r = match repo.objects.try_find(&id, &mut buf) {
                                    Ok(Some(d)) if d.kind == gix::objs::Kind::Tree => {
                                        Ok(d.data.to_vec())
                                    }
                                    Ok(Some(d)) => Err(format!("is a {}, not a tree", d.kind)),
                                    Ok(None) => Err("missing".to_string()),
                                    Err(e) => Err(e.to_string()),
                                };
                                (t, r)
                            })
                            .collect();
                        if res_tx.send(out).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(res_tx);
            // The merge loop: send work, receive decoded trees, parse them,
            // send the new subtrees they name.
            let mut outstanding = 0usize;
            let send = |q: &mut Vec<u32>, this: &Index, outstanding: &mut usize| {
                while !q.is_empty() {
                    let n = q.len().min(CHUNK);
                    let chunk: Vec<(u32, ObjectId)> = q
                        .drain(q.len() - n..)
                        .map(|t| (t, this.tree_ids[t as usize]))
                        .collect();
                    *outstanding += 1;
                    let _ = job_tx.send(chunk);
                }
            };
            send(&mut queue, self, &mut outstanding);
            while outstanding > 0 {
                let Ok(batch) = res_rx.recv() else { break };
                outstanding -= 1;
                for (t, r) in batch {
                    match r {
                        Ok(data) => self.add_tree(t, &data, hash, pass, flag, &mut queue),
                        Err(message) => missing.push(Missing {
                            id: self.tree_ids[t as usize],
                            what: "tree",
                            message,
                        }),
                    }
                    progress.done.fetch_add(1, Ordering::Relaxed);
                }
                send(&mut queue, self, &mut outstanding);
            }
            stop.store(true, Ordering::Relaxed);
            drop(job_tx);
        });
    }

    /// Whether tree `t` is to be decoded in this pass (and mark it).
    fn enter_tree(&mut self, t: u32, pass: Pass, flag: u8) -> bool {
        let f = &mut self.tree_flags[t as usize];
        let enter = match pass {
            Pass::Base => *f & F_BASE == 0,
            Pass::Scan => *f & (F_BASE | F_SCAN) == 0,
            Pass::Index => *f == 0,
        };
        if enter {
            *f |= flag;
        }
        enter && self.tree_span[t as usize] == UNDECODED
    }

    /// The name id of `filename`, for an entry whose object was first met
    /// at path `first`: most entries name an object already met, under the
    /// same name, which then needs no hashing.
    #[inline]
    fn name_at(&mut self, first: u32, filename: &[u8]) -> u32 {
        if first != ROOT {
            let n = self.paths.nodes[first as usize].1;
            if self.names.get(n) == filename {
                return n;
            }
        }
        self.names.intern(filename)
    }

    fn add_tree(
        &mut self,
        t: u32,
        data: &[u8],
        hash: gix::hash::Kind,
        pass: Pass,
        flag: u8,
        queue: &mut Vec<u32>,
    ) {
        let start = self.edges.len() as u32;
        let path = self.tree_path[t as usize];
        for entry in gix::objs::TreeRefIter::from_bytes(data, hash) {
            let Ok(e) = entry else { break };
            let mode = e.mode;
            if mode.is_tree() {
                let (c, name) = match self.tree_map.get(e.oid) {
                    Some(&c) => (c, self.name_at(self.tree_path[c as usize], e.filename)),
                    None => {
                        let name = self.names.intern(e.filename);
                        let p = self.paths.intern(path, name);
                        (self.tree(e.oid.to_owned(), p), name)
                    }
                };
                if self.enter_tree(c, pass, flag) {
                    queue.push(c);
                }
                self.edges.push(c);
                self.edge_names.push(name);
            } else if mode.is_blob() {
                let (b, name) = match self.blob_map.get(e.oid) {
                    Some(&b) => (b, self.name_at(self.blob_path[b as usize], e.filename)),
                    None => {
                        let name = self.names.intern(e.filename);
                        let p = self.paths.intern(path, name);
                        (self.blob(e.oid, p), name)
                    }
                };
                let f = &mut self.blob_flags[b as usize];
                match pass {
                    Pass::Base => *f |= F_BASE,
                    Pass::Scan => {
                        if *f & (F_BASE | F_SCAN) == 0 {
                            *f |= F_SCAN;
                            self.to_scan.push(b);
                        }
                    }
                    Pass::Index => *f |= F_INDEX,
                }
                self.edges.push(b | BLOB);
                self.edge_names.push(name);
            } else if mode.is_commit() {
                self.submodules += 1;
            } else if mode.is_link() {
                self.symlinks += 1;
                self.link_blobs.insert(e.oid.to_owned());
            }
        }
        let len = self.edges.len() as u32 - start;
        self.tree_span[t as usize] = (start, len);
    }
}
