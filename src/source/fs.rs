//! The file-tree source: the `ignore` crate's parallel walker.
//!
//! Honours `.gitignore`, `.ignore` and git's exclude files (unless
//! `--no-ignore`), scans hidden files (unless `--no-hidden`), never enters
//! `.git/`, never opens FIFOs, sockets or devices, and skips (and counts)
//! media files and files over the size cap. Contents are read as bytes.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use ignore::{WalkBuilder, WalkState};

use super::{is_binary, is_media_magic, is_media_path, Skip, Stats};

/// How to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Scan hidden files and directories (default true).
    pub hidden: bool,
    /// Honour ignore files (default true).
    pub ignore_files: bool,
    /// Follow symbolic links.
    pub follow: bool,
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Skip every binary file.
    pub skip_binary: bool,
    /// Worker threads (0 = one per core).
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            hidden: true,
            ignore_files: true,
            follow: false,
            max_file_size: 25 * 1024 * 1024,
            skip_binary: false,
            threads: 0,
        }
    }
}

/// A file the walker hands to a visitor.
pub struct FileBlob<'a> {
    /// Path relative to the scanned root (`/` separators).
    pub path: &'a str,
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// Whether it looked binary.
    pub binary: bool,
}

/// Something a visitor wants to tell the user (a warning) without printing.
pub trait Events: Sync {
    /// A file or directory could not be read; the scan goes on.
    fn warning(&self, message: String);
}

/// Compute the path shown for `path` found under `root`: relative to the root
/// when there is a single directory root, otherwise as given.
fn display_path(root: &Path, path: &Path, single_dir_root: bool) -> String {
    let rel = if single_dir_root {
        path.strip_prefix(root).unwrap_or(path)
    } else {
        path
    };
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    let s = rel.to_string_lossy();
    let s = if std::path::MAIN_SEPARATOR != '/' {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    } else {
        s.into_owned()
    };
    if s.is_empty() {
        // The root itself is a file.
        path.to_string_lossy().into_owned()
    } else {
        s
    }
}

/// Walk `roots` in parallel. `skip_path(display_path)` may exclude files
/// before they are read; `make_visitor` is called once per worker thread and
/// its visitor receives every file to scan.
pub fn walk<V, F>(
    roots: &[PathBuf],
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    skip_path: &(dyn Fn(&str) -> bool + Sync),
    make_visitor: F,
) where
    F: Fn() -> V + Sync,
    V: FnMut(FileBlob<'_>) + Send,
{
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let single_dir_root = rest.is_empty() && first.is_dir();
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder
        .hidden(!opts.hidden)
        .follow_links(opts.follow)
        .threads(opts.threads)
        .ignore(opts.ignore_files)
        .git_ignore(opts.ignore_files)
        .git_global(opts.ignore_files)
        .git_exclude(opts.ignore_files)
        .parents(opts.ignore_files)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git");
    let walker = builder.build_parallel();
    walker.run(|| {
        let mut visit = make_visitor();
        let mut buf: Vec<u8> = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    stats.unreadable.fetch_add(1, Ordering::Relaxed);
                    events.warning(one_line(&err.to_string()));
                    return WalkState::Continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                return WalkState::Continue; // stdin never reaches here
            };
            if ft.is_dir() {
                return WalkState::Continue;
            }
            if ft.is_symlink() {
                stats.skip(Skip::Symlink);
                return WalkState::Continue;
            }
            if !ft.is_file() {
                stats.skip(Skip::Special);
                return WalkState::Continue;
            }
            let path = entry.path();
            let root = roots
                .iter()
                .find(|r| path.starts_with(r))
                .map(PathBuf::as_path)
                .unwrap_or(first);
            let shown = display_path(root, path, single_dir_root);
            if skip_path(&shown) {
                stats.skip(Skip::Allowlisted);
                return WalkState::Continue;
            }
            if is_media_path(path) {
                stats.skip(Skip::Media);
                return WalkState::Continue;
            }
            match read_file(path, opts.max_file_size, &mut buf) {
                Ok(true) => {}
                Ok(false) => {
                    stats.skip(Skip::TooLarge);
                    return WalkState::Continue;
                }
                Err(err) => {
                    stats.unreadable.fetch_add(1, Ordering::Relaxed);
                    events.warning(format!("{}: {}", shown, one_line(&err.to_string())));
                    return WalkState::Continue;
                }
            }
            if is_media_magic(&buf) {
                stats.skip(Skip::Media);
                return WalkState::Continue;
            }
            let binary = is_binary(&buf);
            if binary && opts.skip_binary {
                stats.skip(Skip::Binary);
                return WalkState::Continue;
            }
            stats.scanned(buf.len(), binary);
            visit(FileBlob {
                path: &shown,
                bytes: &buf,
                binary,
            });
            WalkState::Continue
        })
    });
}

/// Read a whole file into `buf`; `Ok(false)` if it exceeds `max` bytes (the
/// check is made on the open file, so a file that grows past the cap while
/// it is read is cut off at the cap + 1 byte and reported as too large).
fn read_file(path: &Path, max: u64, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Ok(false);
    }
    buf.reserve(len as usize + 1);
    file.take(max + 1).read_to_end(buf)?;
    Ok(buf.len() as u64 <= max)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths() {
        assert_eq!(
            display_path(Path::new("."), Path::new("./src/a.rs"), true),
            "src/a.rs"
        );
        assert_eq!(
            display_path(Path::new("repo"), Path::new("repo/x/y"), true),
            "x/y"
        );
        assert_eq!(display_path(Path::new("a"), Path::new("a/x"), false), "a/x");
        assert_eq!(
            display_path(Path::new("f.txt"), Path::new("f.txt"), false),
            "f.txt"
        );
    }
}
