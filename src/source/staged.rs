//! The staged source: what `git add` put in the index and no commit holds
//! yet, for pre-commit hooks.
//!
//! Each staged file whose blob differs from HEAD's is handed to the scan
//! driver with HEAD's version, scanned whole (so that rules see their
//! context), and a finding is kept only if one of its lines was added or
//! changed ([`added_lines`]). Lines are numbered as in the staged file. A line
//! counts as unchanged when the HEAD version has the same line (multiset
//! matching: a line moved within the file is not new); this is linear in
//! the file's size and never reports a secret that HEAD already had there.

use std::collections::HashMap;
use std::path::Path;

use gix::bstr::{BString, ByteSlice};
use gix::objs::Find;
use gix::ObjectId;

use super::git::{self, Error};
use super::{Admission, Events, Skip, Stats};

/// A staged file that differs from HEAD's.
#[derive(Debug)]
pub struct Staged<'a> {
    /// Its path in the repository.
    pub path: &'a str,
    /// Its staged bytes and HEAD's version (empty for a new file), when it
    /// is admitted for scanning (`None`: skipped by size, media or binary,
    /// or unreadable; counted and told already).
    pub blob: Option<(&'a [u8], &'a [u8])>,
}

/// Hand every staged file that differs from HEAD's to `visit`, in index
/// order. `skip_path` excludes files by path before anything is read
/// (allowlisted paths).
pub fn staged(
    path: &Path,
    admission: &Admission,
    skip_path: &dyn Fn(&str) -> bool,
    stats: &Stats,
    events: &dyn Events,
    visit: &mut dyn FnMut(Staged<'_>),
) -> Result<(), Error> {
    let sync = git::open(path)?;
    let repo = sync.to_thread_local();
    if repo.workdir().is_none() {
        return Err(Error::Repository(format!(
            "{}: a bare repository has no staged changes",
            path.display()
        )));
    }
    let index = repo
        .index_or_empty()
        .map_err(|e| Error::Repository(format!("cannot read the index: {e}")))?;
    let mut head: HashMap<BString, ObjectId> = HashMap::new();
    if let Ok(tree) = repo.head_tree_id() {
        let mut buf = Vec::new();
        tree_files(
            &repo,
            tree.detach(),
            &mut BString::default(),
            &mut head,
            &mut buf,
        );
    }
    let mut new_buf = Vec::new();
    let mut old_buf = Vec::new();
    for entry in index.entries() {
        if entry.stage_raw() != 0
            || entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD)
        {
            continue;
        }
        let mode = entry.mode;
        if mode != gix::index::entry::Mode::FILE && mode != gix::index::entry::Mode::FILE_EXECUTABLE
        {
            continue;
        }
        let rel = entry.path(&index);
        let old_id = head.get(rel);
        if old_id == Some(&entry.id) {
            continue;
        }
        let shown = rel.to_str_lossy().into_owned();
        if skip_path(&shown) {
            stats.skip(Skip::Allowlisted);
            continue;
        }
        let new = match repo.objects.try_find(&entry.id, &mut new_buf) {
            Ok(Some(d)) => d.data,
            _ => {
                stats
                    .unreadable
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                events.warning(format!("{shown}: staged blob {} cannot be read", entry.id));
                visit(Staged {
                    path: &shown,
                    blob: None,
                });
                continue;
            }
        };
        let binary = match admission.check(Some(&shown), new) {
            Ok(binary) => binary,
            Err(why) => {
                stats.skip(why);
                visit(Staged {
                    path: &shown,
                    blob: None,
                });
                continue;
            }
        };
        stats.scanned(new.len(), binary);
        let old: &[u8] = match old_id.map(|id| repo.objects.try_find(id, &mut old_buf)) {
            Some(Ok(Some(d))) => d.data,
            _ => &[],
        };
        visit(Staged {
            path: &shown,
            blob: Some((new, old)),
        });
    }
    Ok(())
}

/// Every file (blob) of `tree`, by path.
fn tree_files(
    repo: &gix::Repository,
    tree: ObjectId,
    prefix: &mut BString,
    out: &mut HashMap<BString, ObjectId>,
    buf: &mut Vec<u8>,
) {
    let entries: Vec<(gix::objs::tree::EntryMode, BString, ObjectId)> =
        match repo.objects.try_find(&tree, buf) {
            Ok(Some(d)) => gix::objs::TreeRefIter::from_bytes(d.data, repo.object_hash())
                .filter_map(Result::ok)
                .map(|e| (e.mode, e.filename.to_owned(), e.oid.to_owned()))
                .collect(),
            _ => return,
        };
    for (mode, name, id) in entries {
        let len = prefix.len();
        if !prefix.is_empty() {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(&name);
        if mode.is_tree() {
            tree_files(repo, id, prefix, out, buf);
        } else if mode.is_blob() {
            out.insert(prefix.clone(), id);
        }
        prefix.truncate(len);
    }
}

/// Split into lines the way [`crate::finding::Locator`] counts them: a line
/// ends at `\n`, `\r\n` or a lone `\r`.
fn lines(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                out.push(&b[start..i]);
                start = i + 1;
            }
            b'\r' => {
                out.push(&b[start..i]);
                if b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&b[start..]);
    out
}

/// For each line of `new` (0-based), whether it is added or changed with
/// respect to `old`: lines of `old` are matched at most once each.
pub fn added_lines(old: &[u8], new: &[u8]) -> Vec<bool> {
    let mut pool: HashMap<&[u8], u32> = HashMap::new();
    for l in lines(old) {
        *pool.entry(l).or_default() += 1;
    }
    lines(new)
        .into_iter()
        .map(|l| match pool.get_mut(l) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_match_lines_once() {
        let old = b"a\nb\nb\nc\n";
        let new = b"a\nb\nx\nb\nb\nc\n";
        assert_eq!(
            added_lines(old, new),
            vec![false, false, true, false, true, false, false]
        );
        assert_eq!(added_lines(b"", b"k\r\nv"), vec![true, true]);
        assert_eq!(lines(b"a\rb\r\nc"), vec![&b"a"[..], b"b", b"c"]);
    }
}
