//! The file-tree source: the `ignore` crate's parallel walker.
//!
//! Honours `.gitignore`, `.ignore` and git's exclude files (unless
//! `--no-ignore`), scans hidden files (unless `--no-hidden`), never enters
//! `.git/`, never opens FIFOs, sockets or devices, and skips (and counts)
//! media files and files over the size cap. Contents are read as bytes.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use ignore::{WalkBuilder, WalkState};

use super::{is_media_path, Admission, Blob, ChunkPos, Events, Origin, Skip, Stats, HEAD};
use crate::text::one_line;

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

impl WalkOptions {
    /// The admission policy these options make.
    pub fn admission(&self) -> Admission {
        Admission {
            max_size: self.max_file_size,
            skip_binary: self.skip_binary,
        }
    }
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

/// Count a skipped file and tell `events` about it.
fn skip(stats: &Stats, events: &dyn Events, path: &str, why: Skip) {
    stats.skip(why);
    events.skipped(path, why);
}

/// Compute the path shown for `path` found under `root`: relative to the root
/// when there is a single directory root, otherwise as given.
pub(crate) fn display_path(root: &Path, path: &Path, single_dir_root: bool) -> String {
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
    V: FnMut(Blob<'_>) + Send,
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
                    // Under --follow, a link loop or a dangling link is a
                    // link not followed, not content we failed to read.
                    if let Some(why) = unfollowable_link(&err) {
                        stats.skip(Skip::Symlink);
                        events.warning(why);
                    } else {
                        stats.unreadable.fetch_add(1, Ordering::Relaxed);
                        events.warning(one_line(&err.to_string()));
                    }
                    return WalkState::Continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                return WalkState::Continue; // stdin never reaches here
            };
            if ft.is_dir() {
                return WalkState::Continue;
            }
            let path = entry.path();
            let root = roots
                .iter()
                .find(|r| path.starts_with(r))
                .map(PathBuf::as_path)
                .unwrap_or(first);
            let shown = display_path(root, path, single_dir_root);
            visit_file(
                path, &shown, ft, opts, stats, events, skip_path, &mut buf, &mut visit,
            );
            WalkState::Continue
        })
    });
}

/// Files larger than this, and files named like media, are judged by
/// their head before they are read whole: real media is skipped without
/// reading the rest of it.
const JUDGE_HEAD_FIRST: u64 = 1024 * 1024;

/// Scan the file at `path` (shown as `shown`, of type `ft` as listed) the
/// way every file of a walk is: links, special files, allowlisted paths,
/// files over the size cap and media are skipped and counted; the rest is
/// read (in chunks when large) and handed to `visit`.
#[allow(clippy::too_many_arguments)]
fn visit_file<V: FnMut(Blob<'_>)>(
    path: &Path,
    shown: &str,
    ft: std::fs::FileType,
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    skip_path: &(dyn Fn(&str) -> bool + Sync),
    buf: &mut Vec<u8>,
    visit: &mut V,
) {
    if ft.is_symlink() {
        skip(stats, events, shown, Skip::Symlink);
        return;
    }
    if !ft.is_file() {
        skip(stats, events, shown, Skip::Special);
        return;
    }
    if skip_path(shown) {
        skip(stats, events, shown, Skip::Allowlisted);
        return;
    }
    let unreadable = |err: io::Error| {
        stats.unreadable.fetch_add(1, Ordering::Relaxed);
        events.warning(format!("{}: {}", shown, one_line(&err.to_string())));
    };
    let mut file = match File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len()))) {
        Ok(fm) => fm,
        Err(err) => return unreadable(err),
    };
    if file.1 > JUDGE_HEAD_FIRST || is_media_path(path) {
        match judge_head(&mut file.0, shown, opts, buf) {
            Ok(Some(why)) => return skip(stats, events, shown, why),
            Ok(None) => {}
            Err(err) => return unreadable(err),
        }
    }
    if let Err(why) = opts.admission().by_size(file.1) {
        skip(stats, events, shown, why);
        return;
    }
    let read = if file.1 > CHUNK_SIZE as u64 && !is_archive_path(path) {
        scan_chunked
    } else {
        scan_whole
    };
    if let Err(err) = read(&mut file, shown, opts, stats, events, buf, visit) {
        unreadable(err);
    }
}

/// Read the first [`HEAD`] bytes of `file` and rewind it: why the file is
/// skipped (media, or binary under `--no-binary`), if it is. The head
/// decides as the whole file would.
fn judge_head(
    file: &mut File,
    shown: &str,
    opts: &WalkOptions,
    buf: &mut Vec<u8>,
) -> io::Result<Option<Skip>> {
    ensure_len(buf, HEAD);
    let n = read_into(file, &mut buf[..HEAD])?;
    file.seek(SeekFrom::Start(0))?;
    Ok(opts.admission().by_content(Some(shown), &buf[..n]).err())
}

/// Files larger than this are read and scanned in chunks, so memory stays
/// bounded whatever the file size.
pub const CHUNK_SIZE: usize = 16 * 1024 * 1024;
/// Bytes each chunk repeats from the end of the previous one: more than any
/// rule's window, so a secret across a chunk boundary is seen whole.
pub const CHUNK_OVERLAP: usize = 64 * 1024;

fn is_archive_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        ".zip", ".jar", ".whl", ".tar", ".tgz", ".tar.gz", ".gz", ".war", ".ear", ".apk",
    ]
    .iter()
    .any(|e| name.ends_with(e))
}

/// Read into `buf[from..]` until it is full or the file ends; returns the
/// number of bytes read. `buf` stays initialised between calls, so reads
/// never pay for zeroing memory.
fn read_into(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Grow `buf` (never shrink) to at least `len` initialised bytes.
fn ensure_len(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        buf.resize(len.next_power_of_two().max(64 * 1024), 0);
    }
}

/// Whether a file whose first bytes are `head` is scanned: `Some(binary)`,
/// or `None` after counting it as skipped (media, or binary with
/// `--no-binary`).
fn admit(
    head: &[u8],
    shown: &str,
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
) -> Option<bool> {
    match opts.admission().by_content(Some(shown), head) {
        Ok(binary) => Some(binary),
        Err(why) => {
            skip(stats, events, shown, why);
            None
        }
    }
}

/// Read and scan a file that fits in memory.
fn scan_whole<V: FnMut(Blob<'_>)>(
    (file, len): &mut (File, u64),
    shown: &str,
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    buf: &mut Vec<u8>,
    visit: &mut V,
) -> io::Result<()> {
    // The size the caller read from the open file (one `fstat` per file).
    let len = *len as usize;
    // One byte more than expected, to notice a file that grew.
    ensure_len(buf, len + 1);
    let mut n = read_into(file, &mut buf[..len + 1])?;
    if n == len + 1 {
        // The file grew while we read it: read on up to the size cap.
        loop {
            if n as u64 > opts.max_file_size {
                skip(stats, events, shown, Skip::TooLarge);
                return Ok(());
            }
            ensure_len(buf, n * 2);
            let end = buf.len();
            let k = read_into(file, &mut buf[n..end])?;
            n += k;
            if n < end {
                break;
            }
        }
    }
    let bytes = &buf[..n];
    let Some(binary) = admit(bytes, shown, opts, stats, events) else {
        return Ok(());
    };
    stats.scanned(n, binary);
    visit(Blob::whole(bytes, Origin::File(shown)));
    Ok(())
}

/// Read and scan a large file chunk by chunk, each chunk repeating the last
/// [`CHUNK_OVERLAP`] bytes of the one before.
fn scan_chunked<V: FnMut(Blob<'_>)>(
    (file, _): &mut (File, u64),
    shown: &str,
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    buf: &mut Vec<u8>,
    visit: &mut V,
) -> io::Result<()> {
    ensure_len(buf, CHUNK_SIZE + CHUNK_OVERLAP);
    let cap = CHUNK_SIZE + CHUNK_OVERLAP;
    let mut carried = 0usize; // bytes at the start of buf repeated from the previous chunk
    let mut offset = 0u64; // file offset of buf[0]
    let (mut line, mut column) = (1usize, 0usize);
    let mut first = true;
    let mut binary = false;
    let mut total = 0u64;
    loop {
        let mut n = read_into(file, &mut buf[carried..cap])?;
        let mut eof = carried + n < cap;
        // The size was checked before reading: a file past the cap now grew
        // while being read (a log being written). Earlier chunks are already
        // scanned, so scan up to the cap and say so.
        if total + n as u64 > opts.max_file_size {
            n = (opts.max_file_size - total.min(opts.max_file_size)) as usize;
            eof = true;
            events.warning(format!(
                "{shown}: grew past the size cap while being read; scanned its first {} bytes",
                total + n as u64
            ));
        }
        let len = carried + n;
        if first {
            let Some(b) = admit(&buf[..len], shown, opts, stats, events) else {
                return Ok(());
            };
            binary = b;
        }
        total += n as u64;
        let report_to = if eof { len } else { len - CHUNK_OVERLAP };
        visit(Blob {
            bytes: &buf[..len],
            origin: Origin::File(shown),
            chunk: Some(ChunkPos {
                offset,
                line,
                column,
                report_from: if first { 0 } else { carried },
                report_to,
            }),
        });
        if eof {
            break;
        }
        // Advance the line/column state over the part not carried over,
        // counting exactly as findings are located (`\r\n`, lone `\r`, BOM).
        let keep_from = len - CHUNK_OVERLAP;
        let (l, c) = crate::text::Locator::with_base(&buf[..len], line, column).locate(keep_from);
        (line, column) = (l, c - 1);
        buf.copy_within(keep_from..len, 0);
        carried = CHUNK_OVERLAP;
        offset += keep_from as u64;
        first = false;
    }
    stats.scanned(total as usize, binary);
    Ok(())
}

/// Why a walk error is a symbolic link that cannot be followed (a loop
/// back to an ancestor, or a link to nothing), if it is one.
fn unfollowable_link(err: &ignore::Error) -> Option<String> {
    match err {
        ignore::Error::Loop { ancestor, child } => Some(format!(
            "{}: symbolic link loop (back to {}); not followed",
            child.display(),
            ancestor.display()
        )),
        ignore::Error::WithPath { path, err } => {
            let dangling = err
                .io_error()
                .is_some_and(|e| e.kind() == io::ErrorKind::NotFound)
                && path
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
            if dangling {
                Some(format!(
                    "{}: broken symbolic link; not followed",
                    path.display()
                ))
            } else {
                unfollowable_link(err)
            }
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            unfollowable_link(err)
        }
        _ => None,
    }
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
