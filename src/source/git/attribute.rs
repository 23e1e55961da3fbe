//! Attribution: which commit introduced a blob at a path, in how many
//! commits' trees it appears, and whether HEAD still has it.
//!
//! Only blobs with findings ("targets") are attributed, so the work is one
//! memoised pass over the tree index: each tree gets the list of (target,
//! relative path) pairs below it, built from its children's lists; most
//! lists are empty. Each commit, in topological order (parents first, older
//! first among unrelated commits), then reads its root tree's list: the
//! first commit to show a pair introduced it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::graph::{Commits, Fx, FxMap, Index, Names, BLOB, ROOT};

/// Relative paths as cons cells (name, rest), interned.
#[derive(Default)]
struct Rel {
    map: FxMap<(u32, u32), u32>,
    nodes: Vec<(u32, u32)>,
}

impl Rel {
    fn intern(&mut self, name: u32, rest: u32) -> u32 {
        *self.map.entry((name, rest)).or_insert_with(|| {
            self.nodes.push((name, rest));
            (self.nodes.len() - 1) as u32
        })
    }

    fn render(&self, mut id: u32, names: &Names) -> String {
        let mut out = Vec::new();
        while id != ROOT {
            let (name, rest) = self.nodes[id as usize];
            if !out.is_empty() {
                out.push(b'/');
            }
            out.extend_from_slice(names.get(name));
            id = rest;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// A blob with findings, at one path.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    /// Dense blob id.
    pub blob: u32,
    /// Path in the commit's tree.
    pub path: String,
    /// The commit that introduced the blob at this path (index into
    /// [`Commits`]), if any scanned commit has it.
    pub commit: Option<u32>,
    /// Position of that commit in the topological order (for choosing the
    /// earliest of several pairs).
    pub order: usize,
    /// Number of scanned commits whose tree has the blob at this path.
    pub commits: usize,
    /// Whether HEAD's tree has the blob at this path.
    pub in_head: bool,
}

/// The lists of (target, relative path) pairs below each tree. Lists are
/// interned: the versions of a directory mostly hold the same targets at
/// the same paths (a file with a finding that stays while others change),
/// so each distinct list is stored once, however many trees share it.
struct Lists<'a> {
    index: &'a Index,
    target: &'a [bool],
    memo: Vec<(u32, u32)>,
    items: Vec<(u32, u32)>,
    /// Hash of a list's pairs → its span in `items`.
    interned: FxMap<u64, (u32, u32)>,
    rel: Rel,
}

const TODO: (u32, u32) = (u32::MAX, 0);

impl Lists<'_> {
    /// (start, len) in `items` of the (blob, relative path) pairs below `t`.
    fn of(&mut self, t: u32) -> (u32, u32) {
        if self.memo[t as usize] != TODO {
            return self.memo[t as usize];
        }
        let index = self.index;
        for (e, _) in index.entries(t) {
            if e & BLOB == 0 {
                self.of(e);
            }
        }
        let mut tmp: Vec<(u32, u32)> = Vec::new();
        for (e, n) in index.entries(t) {
            if e & BLOB != 0 {
                let b = e & !BLOB;
                if self.target[b as usize] {
                    tmp.push((b, self.rel.intern(n, ROOT)));
                }
            } else {
                let (s, l) = self.memo[e as usize];
                for k in s..s + l {
                    let (b, r) = self.items[k as usize];
                    let r = self.rel.intern(n, r);
                    tmp.push((b, r));
                }
            }
        }
        let span = if tmp.is_empty() {
            (0, 0)
        } else {
            let mut h = std::hash::BuildHasher::build_hasher(&BuildHasherDefault::<Fx>::default());
            tmp.hash(&mut h);
            let h = h.finish();
            match self.interned.get(&h) {
                Some(&(s, l)) if self.items[s as usize..(s + l) as usize] == tmp[..] => (s, l),
                found => {
                    let span = (self.items.len() as u32, tmp.len() as u32);
                    self.items.extend(tmp);
                    if found.is_none() {
                        self.interned.insert(h, span);
                    }
                    span
                }
            }
        };
        self.memo[t as usize] = span;
        span
    }
}

/// Commits in topological order: parents before children, older first.
pub(crate) fn topo_order(commits: &Commits) -> Vec<u32> {
    let n = commits.ids.len();
    let mut pending: Vec<u32> = (0..n as u32)
        .map(|c| commits.parents(c).len() as u32)
        .collect();
    // Children lists, flat: those of commit `p` are
    // `children[child_start[p]..child_start[p + 1]]`.
    let mut child_start = vec![0u32; n + 1];
    for &p in &commits.parent_list {
        child_start[p as usize + 1] += 1;
    }
    for i in 0..n {
        child_start[i + 1] += child_start[i];
    }
    let mut fill = child_start.clone();
    let mut children = vec![0u32; commits.parent_list.len()];
    for c in 0..n as u32 {
        for &p in commits.parents(c) {
            children[fill[p as usize] as usize] = c;
            fill[p as usize] += 1;
        }
    }
    drop(fill);
    let mut heap: BinaryHeap<Reverse<(i64, u32)>> = (0..n as u32)
        .filter(|&c| pending[c as usize] == 0)
        .map(|c| Reverse((commits.times[c as usize], c)))
        .collect();
    let mut out = Vec::with_capacity(n);
    while let Some(Reverse((_, c))) = heap.pop() {
        out.push(c);
        let kids =
            &children[child_start[c as usize] as usize..child_start[c as usize + 1] as usize];
        for &ch in kids {
            pending[ch as usize] -= 1;
            if pending[ch as usize] == 0 {
                heap.push(Reverse((commits.times[ch as usize], ch)));
            }
        }
    }
    out
}

/// Attribute the `targets` (dense blob ids with findings).
pub(crate) fn attribute(
    index: &Index,
    commits: &Commits,
    topo: &[u32],
    head_tree: Option<u32>,
    targets: &[u32],
) -> Vec<Pair> {
    let mut target = vec![false; index.blob_ids.len()];
    for &b in targets {
        target[b as usize] = true;
    }
    let mut lists = Lists {
        index,
        target: &target,
        memo: vec![TODO; index.tree_count()],
        items: Vec::new(),
        interned: FxMap::default(),
        rel: Rel::default(),
    };
    // (blob, rel) → (commit, order, count, in_head)
    let mut acc: FxMap<(u32, u32), (u32, usize, usize, bool)> = FxMap::default();
    for (order, &c) in topo.iter().enumerate() {
        let t = commits.roots[c as usize];
        let (s, l) = lists.of(t);
        for k in s..s + l {
            let key = lists.items[k as usize];
            acc.entry(key).or_insert((c, order, 0, false)).2 += 1;
        }
    }
    if let Some(t) = head_tree {
        let (s, l) = lists.of(t);
        for k in s..s + l {
            let key = lists.items[k as usize];
            if let Some(a) = acc.get_mut(&key) {
                a.3 = true;
            }
        }
    }
    let mut seen = vec![false; index.blob_ids.len()];
    let mut out: Vec<Pair> = acc
        .into_iter()
        .map(|((blob, rel), (c, order, count, in_head))| {
            seen[blob as usize] = true;
            Pair {
                blob,
                path: lists.rel.render(rel, &index.names),
                commit: Some(c),
                order,
                commits: count,
                in_head,
            }
        })
        .collect();
    // Targets no scanned commit shows (a tag pointing at a tree or a blob):
    // reported at the first path they were met at, without a commit.
    for &b in targets {
        if !seen[b as usize] {
            seen[b as usize] = true;
            out.push(Pair {
                blob: b,
                path: index
                    .paths
                    .render(index.blob_path[b as usize], &index.names),
                commit: None,
                order: usize::MAX,
                commits: 0,
                in_head: false,
            });
        }
    }
    out.sort_by(|a, b| (a.blob, &a.path).cmp(&(b.blob, &b.path)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topological_order_puts_parents_first_and_older_first() {
        // 0 ← 1 ← 3, 0 ← 2 ← 3 (a merge); 2 is older than 1.
        let commits = Commits::with_parents(&[&[], &[0], &[0], &[1, 2]], &[10, 30, 20, 40]);
        assert_eq!(topo_order(&commits), vec![0, 2, 1, 3]);
        // A child older than its parent (clock skew) still comes after it.
        let skewed = Commits::with_parents(&[&[], &[0]], &[50, 5]);
        assert_eq!(topo_order(&skewed), vec![0, 1]);
    }

    #[test]
    fn relative_paths_render_outside_in() {
        let mut names = Names::default();
        let (a, b) = (names.intern(b"src"), names.intern(b"key.env"));
        let mut rel = Rel::default();
        let leaf = rel.intern(b, ROOT);
        let full = rel.intern(a, leaf);
        assert_eq!(rel.render(full, &names), "src/key.env");
        assert_eq!(rel.intern(a, leaf), full);
    }
}
