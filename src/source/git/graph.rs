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

use super::pack::{PackedEntries, Resolver};
use super::{odb, Progress};

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
    /// Root tree of each commit (emptied once the trees are indexed: see
    /// `roots`).
    pub trees: Vec<ObjectId>,
    /// Dense id (in [`Index`]) of each commit's root tree, once indexed.
    pub roots: Vec<u32>,
    /// Parents (indices into `ids`) that are part of the walk: those of
    /// commit `c` are `parent_list[parent_start[c]..parent_start[c + 1]]`.
    pub parent_start: Vec<u32>,
    pub parent_list: Vec<u32>,
    /// Committer time (seconds), for tie-breaking the topological order.
    pub times: Vec<i64>,
    /// Commit id → index (dropped once no longer needed).
    pub map: gix::hashtable::HashMap<ObjectId, u32>,
    /// Parents outside the walk (range boundaries), deduplicated.
    pub boundary: Vec<ObjectId>,
}

impl Commits {
    /// The parents of commit `c` that are part of the walk.
    pub(crate) fn parents(&self, c: u32) -> &[u32] {
        let c = c as usize;
        &self.parent_list[self.parent_start[c] as usize..self.parent_start[c + 1] as usize]
    }

    /// Commits from parent lists (for tests).
    #[cfg(test)]
    pub(crate) fn with_parents(parents: &[&[u32]], times: &[i64]) -> Commits {
        let mut c = Commits {
            ids: vec![ObjectId::null(gix::hash::Kind::Sha1); parents.len()],
            times: times.to_vec(),
            parent_start: vec![0],
            ..Default::default()
        };
        for ps in parents {
            c.parent_list.extend_from_slice(ps);
            c.parent_start.push(c.parent_list.len() as u32);
        }
        c
    }
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
#[allow(clippy::too_many_arguments)]
pub(crate) fn walk_commits(
    source: &odb::Source,
    tips: &[ObjectId],
    stop: &gix::hashtable::HashSet<ObjectId>,
    shallow: &gix::hashtable::HashSet<ObjectId>,
    progress: &Progress,
    missing: &mut Vec<Missing>,
    on_message: &mut dyn FnMut(u32, &[u8]),
) -> Commits {
    let hash = source.hash();
    let budget = odb::Budget::new();
    let mut objects = source.open(0, &budget);
    let mut c = Commits::default();
    // Parent ids of each commit, flat: those of commit `i` end at
    // `parent_end[i]`.
    let mut parent_ids: Vec<ObjectId> = Vec::new();
    let mut parent_end: Vec<usize> = Vec::new();
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
        let data = match objects.get().try_find(&id, &mut buf) {
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
        parent_ids.extend_from_slice(&parents);
        parent_end.push(parent_ids.len());
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    drop(objects);
    c.parent_start.reserve_exact(c.ids.len() + 1);
    c.parent_start.push(0);
    let mut from = 0;
    for end in parent_end {
        let walked = parent_ids[from..end]
            .iter()
            .filter_map(|p| c.map.get(p).copied());
        c.parent_list.extend(walked);
        c.parent_start.push(c.parent_list.len() as u32);
        from = end;
    }
    c.parent_list.shrink_to_fit();
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
///
/// A tree's entries are stored encoded, in `edges` (see [`Entries`]):
/// each entry is a varint of the difference between its child's dense id
/// and the previous child of the same kind in that tree, with two flag
/// bits (blob or tree; named or not). Children that a tree gained with it
/// were numbered in entry order, and a tree's next version keeps most of
/// the previous one's children, so most entries take one byte. The name
/// is stored (as a varint name id) only where it differs from the name of
/// the path the child was first met at: renames, and one content at
/// several names. A history of N tree entries (the sum over distinct
/// trees of their entry counts) costs little more than N bytes, where two
/// `u32`s each cost 8N.
#[derive(Default)]
pub(crate) struct Index {
    pub tree_map: gix::hashtable::HashMap<ObjectId, u32>,
    pub tree_flags: Vec<u8>,
    /// First path each tree was met at.
    pub tree_path: Vec<u32>,
    /// Where each tree's encoded entries start in `edges`; `UNDECODED` for
    /// a tree not (yet) decoded.
    tree_at: Vec<u64>,
    /// Encoded entries of the decoded trees.
    edges: Vec<u8>,
    /// Entries encoded (for the debug timings).
    pub entry_count: u64,
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

const UNDECODED: u64 = u64::MAX;
/// Entry flag: the child is a blob.
const E_BLOB: u64 = 2;
/// Entry flag: a name id follows.
const E_NAMED: u64 = 1;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A varint written by [`put_varint`] (the encoding is ours: never
/// malformed, never past the end).
#[inline]
fn get_varint(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// The entries of one tree: (child id, `| BLOB` for a blob; name id).
pub(crate) struct Entries<'a> {
    index: &'a Index,
    pos: usize,
    left: u64,
    prev: [u32; 2],
}

impl Iterator for Entries<'_> {
    type Item = (u32, u32);

    #[inline]
    fn next(&mut self) -> Option<(u32, u32)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let edges = &self.index.edges;
        let v = get_varint(edges, &mut self.pos);
        let blob = v & E_BLOB != 0;
        let z = v >> 2;
        let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let kind = blob as usize;
        let child = (self.prev[kind] as i64 + delta) as u32;
        self.prev[kind] = child;
        let name = if v & E_NAMED != 0 {
            get_varint(edges, &mut self.pos) as u32
        } else {
            let first = if blob {
                self.index.blob_path[child as usize]
            } else {
                self.index.tree_path[child as usize]
            };
            self.index.paths_name(first)
        };
        Some((if blob { child | BLOB } else { child }, name))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Entries<'_> {}

/// Encodes one tree's entries (see [`Index`]).
struct Encoder {
    at: usize,
    count: u64,
    prev: [u32; 2],
}

impl Encoder {
    /// Start a tree's entries at the end of `edges`, with room for its
    /// count (at most 10 bytes, fixed up by [`Encoder::finish`]).
    fn start(edges: &mut Vec<u8>) -> Encoder {
        let at = edges.len();
        edges.push(0);
        Encoder {
            at,
            count: 0,
            prev: [0; 2],
        }
    }

    /// Add child `child` (a blob if `blob`), named `name` unless its name is
    /// that of its first path.
    #[inline]
    fn push(&mut self, edges: &mut Vec<u8>, child: u32, blob: bool, name: Option<u32>) {
        let kind = blob as usize;
        let delta = child as i64 - self.prev[kind] as i64;
        self.prev[kind] = child;
        let z = ((delta << 1) ^ (delta >> 63)) as u64;
        let mut v = z << 2;
        if blob {
            v |= E_BLOB;
        }
        if name.is_some() {
            v |= E_NAMED;
        }
        put_varint(edges, v);
        if let Some(n) = name {
            put_varint(edges, n as u64);
        }
        self.count += 1;
    }

    /// Write the count in front of the entries.
    fn finish(self, edges: &mut Vec<u8>) {
        if self.count < 0x80 {
            edges[self.at] = self.count as u8;
        } else {
            let mut head = Vec::with_capacity(10);
            put_varint(&mut head, self.count);
            edges.splice(self.at..self.at + 1, head);
        }
    }
}

impl Index {
    /// The dense id of tree `id`, added if new, and whether it is new.
    pub(crate) fn tree(&mut self, id: ObjectId, path: u32) -> u32 {
        self.tree_entry(id, path).0
    }

    fn tree_entry(&mut self, id: ObjectId, path: u32) -> (u32, bool) {
        let next = self.tree_flags.len() as u32;
        match self.tree_map.entry(id) {
            gix::hashtable::hash_map::Entry::Occupied(e) => (*e.get(), false),
            gix::hashtable::hash_map::Entry::Vacant(e) => {
                e.insert(next);
                self.tree_flags.push(0);
                self.tree_path.push(path);
                self.tree_at.push(UNDECODED);
                (next, true)
            }
        }
    }

    /// Number of trees met.
    pub(crate) fn tree_count(&self) -> usize {
        self.tree_flags.len()
    }

    /// Bytes of encoded tree entries.
    pub(crate) fn edge_bytes(&self) -> usize {
        self.edges.len()
    }

    /// The dense id of blob `id`, added if new (met at `path`).
    pub(crate) fn add_blob(&mut self, id: &gix::oid, path: u32) -> u32 {
        self.blob(id, path)
    }

    /// The name (last component) of path `p`.
    pub(crate) fn paths_name(&self, p: u32) -> u32 {
        self.paths.nodes[p as usize].1
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

    /// Entries of tree `t` (child, `| BLOB` for blobs; name), none if it
    /// was never decoded.
    pub(crate) fn entries(&self, t: u32) -> Entries<'_> {
        let at = self.tree_at[t as usize];
        let mut e = Entries {
            index: self,
            pos: 0,
            left: 0,
            prev: [0; 2],
        };
        if at != UNDECODED {
            e.pos = at as usize;
            e.left = get_varint(&self.edges, &mut e.pos);
        }
        e
    }

    /// Drop what only the walk and the search for unreached objects need
    /// (object id maps): the entries, flags and first paths stay.
    pub(crate) fn drop_maps(&mut self) {
        self.tree_map = Default::default();
        self.blob_map = Default::default();
        self.link_blobs = Default::default();
        self.names.map = Default::default();
        self.paths.map = Default::default();
        self.edges.shrink_to_fit();
    }

    /// Mark `roots` (dense id and object id of each) for `pass` and decode
    /// every tree below them that no earlier pass reached, with `threads`
    /// workers.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn walk(
        &mut self,
        source: &odb::Source,
        packed: &PackedEntries,
        roots: &[(u32, ObjectId)],
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
        let mut queue: Vec<(u32, ObjectId)> = Vec::new();
        for &(r, id) in roots {
            if self.enter_tree(r, pass, flag) {
                queue.push((r, id));
            }
        }
        if queue.is_empty() {
            return;
        }
        let hash = source.hash();
        const CHUNK: usize = 64;
        let threads = threads.max(1);
        let budget = odb::Budget::new();
        type Decoded = Vec<(u32, ObjectId, Result<Vec<u8>, String>)>;
        let (job_tx, job_rx) = mpsc::channel::<Vec<(u32, ObjectId)>>();
        let job_rx = Mutex::new(job_rx);
        let (res_tx, res_rx) = mpsc::sync_channel::<Decoded>(threads * 4);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..threads {
                let res_tx = res_tx.clone();
                let job_rx = &job_rx;
                let stop = &stop;
                let budget = &budget;
                s.spawn(move || {
                    // Trees are read by pack location, with a cache of
                    // delta bases of the walker's own: the store needs no
                    // cache (nor, mostly, its pack index).
                    let mut objects = source.open(0, budget);
                    let mut resolver = Resolver::new(packed, hash);
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
                        let out: Decoded = job
                            .into_iter()
                            .map(|(t, id)| {
                                let r = match resolver.read(objects.get(), &id, &mut buf) {
                                    Ok(Some(gix::objs::Kind::Tree)) => Ok(buf.clone()),
                                    Ok(Some(kind)) => Err(format!("is a {kind}, not a tree")),
                                    Ok(None) => Err("missing".to_string()),
                                    Err(e) => Err(e),
                                };
                                (t, id, r)
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
            let send = |q: &mut Vec<(u32, ObjectId)>, outstanding: &mut usize| {
                while !q.is_empty() {
                    let n = q.len().min(CHUNK);
                    let chunk: Vec<(u32, ObjectId)> = q.drain(q.len() - n..).collect();
                    *outstanding += 1;
                    let _ = job_tx.send(chunk);
                }
            };
            send(&mut queue, &mut outstanding);
            while outstanding > 0 {
                let Ok(batch) = res_rx.recv() else { break };
                outstanding -= 1;
                for (t, id, r) in batch {
                    match r {
                        Ok(data) => self.add_tree(t, &data, hash, pass, flag, &mut queue),
                        Err(message) => missing.push(Missing {
                            id,
                            what: "tree",
                            message,
                        }),
                    }
                    progress.done.fetch_add(1, Ordering::Relaxed);
                }
                send(&mut queue, &mut outstanding);
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
        enter && self.tree_at[t as usize] == UNDECODED
    }

    /// The name id to store for `filename`, for an entry whose object was
    /// first met at path `first`: none when it is that path's name (most
    /// entries name an object already met, under the same name, which then
    /// needs no hashing).
    #[inline]
    fn name_at(&mut self, first: u32, filename: &[u8]) -> Option<u32> {
        if first != ROOT {
            let n = self.paths.nodes[first as usize].1;
            if self.names.get(n) == filename {
                return None;
            }
        }
        Some(self.names.intern(filename))
    }

    fn add_tree(
        &mut self,
        t: u32,
        data: &[u8],
        hash: gix::hash::Kind,
        pass: Pass,
        flag: u8,
        queue: &mut Vec<(u32, ObjectId)>,
    ) {
        let mut edges = std::mem::take(&mut self.edges);
        let at = edges.len() as u64;
        let mut enc = Encoder::start(&mut edges);
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
                        (self.tree_entry(e.oid.to_owned(), p).0, None)
                    }
                };
                if self.enter_tree(c, pass, flag) {
                    queue.push((c, e.oid.to_owned()));
                }
                enc.push(&mut edges, c, false, name);
            } else if mode.is_blob() {
                let (b, name) = match self.blob_map.get(e.oid) {
                    Some(&b) => (b, self.name_at(self.blob_path[b as usize], e.filename)),
                    None => {
                        let name = self.names.intern(e.filename);
                        let p = self.paths.intern(path, name);
                        (self.blob(e.oid, p), None)
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
                enc.push(&mut edges, b, true, name);
            } else if mode.is_commit() {
                self.submodules += 1;
            } else if mode.is_link() {
                self.symlinks += 1;
                self.link_blobs.insert(e.oid.to_owned());
            }
        }
        self.entry_count += enc.count;
        enc.finish(&mut edges);
        self.edges = edges;
        self.tree_at[t as usize] = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of one tree with the given entries (child, blob?, name),
    /// whose children were all first met at paths named `first`.
    fn encoded(entries: &[(u32, bool, u32)]) -> Index {
        let mut index = Index::default();
        let first_name = index.names.intern(b"first");
        let first = index.paths.intern(ROOT, first_name);
        let max = entries.iter().map(|e| e.0).max().unwrap_or(0) as usize + 1;
        index.tree_path = vec![first; max];
        index.blob_path = vec![first; max];
        index.tree_at = vec![UNDECODED; max];
        let mut edges = Vec::new();
        let mut enc = Encoder::start(&mut edges);
        for &(c, blob, name) in entries {
            enc.push(&mut edges, c, blob, (name != first_name).then_some(name));
        }
        enc.finish(&mut edges);
        index.edges = edges;
        index.tree_at[0] = 0;
        index
    }

    #[test]
    fn tree_entries_round_trip_through_their_encoding() {
        let first = 0; // the name id of "first", interned first
        let cases: Vec<Vec<(u32, bool, u32)>> = vec![
            vec![],
            vec![(5, true, first)],
            vec![
                (7, false, 3),
                (0, true, first),
                (1 << 20, true, 9),
                (1, false, first),
            ],
            (0..300).map(|i| (1000 - i, i % 3 == 0, first)).collect(),
        ];
        for entries in cases {
            let index = encoded(&entries);
            let got: Vec<(u32, bool, u32)> = index
                .entries(0)
                .map(|(e, n)| (e & !BLOB, e & BLOB != 0, n))
                .collect();
            assert_eq!(got, entries);
            assert_eq!(index.entries(0).len(), entries.len());
        }
    }

    #[test]
    fn a_tree_of_new_children_costs_about_a_byte_an_entry() {
        // A tree whose children were numbered in entry order (as a tree met
        // for the first time numbers its new children), a few of them
        // renamed: the memory of a history grows by about one byte per tree
        // entry, not by eight.
        let entries: Vec<(u32, bool, u32)> = (0..1000u32)
            .map(|i| (10_000 + i, i % 10 != 0, if i % 100 == 0 { 42 } else { 0 }))
            .collect();
        let index = encoded(&entries);
        assert!(index.edges.len() <= 1000 + 40, "{}", index.edges.len());
        // A later version: the same children but one changed, far off.
        let mut next = entries.clone();
        next[500].0 = 5_000_000;
        let index = encoded(&next);
        assert!(index.edges.len() <= 1000 + 50, "{}", index.edges.len());
    }
}
