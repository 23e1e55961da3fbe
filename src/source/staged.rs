//! The staged source: what `git add` put in the index and no commit holds
//! yet, for pre-commit hooks.
//!
//! Each staged file whose blob differs from HEAD's is scanned whole (so that
//! rules see their context), and a finding is kept only if one of its lines
//! was added or changed. Lines are numbered as in the staged file. A line
//! counts as unchanged when the HEAD version has the same line (multiset
//! matching: a line moved within the file is not new); this is linear in
//! the file's size and never reports a secret that HEAD already had there.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use gix::bstr::{BString, ByteSlice};
use gix::objs::Find;
use gix::ObjectId;

use super::fs::Events;
use super::git::{self, Error};
use super::{is_binary, is_media_magic, is_media_path, Skip, Stats};
use crate::scan::{self, Engine, ScanOutcome};

/// Scan the staged changes of the repository at `path`.
pub fn scan_staged(
    engine: &Engine,
    path: &Path,
    stats: &Stats,
    events: &dyn Events,
) -> Result<ScanOutcome, Error> {
    let start = Instant::now();
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
    let opts = &engine.options().walk;
    let config = engine.config();
    let mut worker = engine.worker();
    let mut kept = Vec::new();
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
        if config.allowlist.allows_path(&shown) {
            stats.skip(Skip::Allowlisted);
            continue;
        }
        if is_media_path(Path::new(&shown)) {
            stats.skip(Skip::Media);
            continue;
        }
        // A live env file about to be committed is a leak of its own,
        // whatever it holds (as a tracked one is in a directory scan).
        if engine.options().expand.env_files {
            let before = worker.findings.len();
            if crate::expand::envfile::report_staged(&mut worker, &shown) {
                kept.extend(worker.findings.drain(before..));
            }
        }
        let new = match repo.objects.try_find(&entry.id, &mut new_buf) {
            Ok(Some(d)) => d.data,
            _ => {
                stats
                    .unreadable
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                events.warning(format!("{shown}: staged blob {} cannot be read", entry.id));
                continue;
            }
        };
        if new.len() as u64 > opts.max_file_size {
            stats.skip(Skip::TooLarge);
            continue;
        }
        if is_media_magic(new) {
            stats.skip(Skip::Media);
            continue;
        }
        let binary = is_binary(new);
        if binary && opts.skip_binary {
            stats.skip(Skip::Binary);
            continue;
        }
        stats.scanned(new.len(), binary);
        let before = worker.findings.len();
        if worker.scan(&shown, new) == 0 {
            continue;
        }
        let old: &[u8] = match old_id.map(|id| repo.objects.try_find(id, &mut old_buf)) {
            Some(Ok(Some(d))) => d.data,
            _ => &[],
        };
        let added = added_lines(old, new);
        for f in worker.findings.drain(before..) {
            if (f.line..=f.end_line).any(|l| added.get(l - 1).copied().unwrap_or(true)) {
                kept.push(f);
            }
        }
    }
    scan::finish(&mut kept);
    Ok(ScanOutcome {
        findings: kept,
        stats: stats.snapshot(),
        suppressed: worker.suppressed,
        elapsed: start.elapsed(),
    })
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
