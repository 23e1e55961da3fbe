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

use super::chunk::Chunker;
use super::{Admission, Blob, Events, Origin, Skip, Stats};
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
    /// Whether a file too large to read at once must still be read whole,
    /// from its path and first chunk (the scan driver knows: an archive, a
    /// notebook or UTF-16 text is expanded whole). By default, none is.
    pub whole: fn(&str, &[u8]) -> bool,
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
            whole: |_, _| false,
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
            if ft.is_symlink() {
                skip(stats, events, &shown, Skip::Symlink);
                return WalkState::Continue;
            }
            if !ft.is_file() {
                skip(stats, events, &shown, Skip::Special);
                return WalkState::Continue;
            }
            if skip_path(&shown) {
                skip(stats, events, &shown, Skip::Allowlisted);
                return WalkState::Continue;
            }
            let admission = opts.admission();
            if let Err(why) = admission.by_path(&shown) {
                skip(stats, events, &shown, why);
                return WalkState::Continue;
            }
            let mut file = match File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len()))) {
                Ok(fm) => fm,
                Err(err) => {
                    stats.unreadable.fetch_add(1, Ordering::Relaxed);
                    events.warning(format!("{}: {}", shown, one_line(&err.to_string())));
                    return WalkState::Continue;
                }
            };
            if let Err(why) = admission.by_size(file.1) {
                skip(stats, events, &shown, why);
                return WalkState::Continue;
            }
            let read = if file.1 > CHUNK_SIZE as u64 {
                scan_chunked
            } else {
                scan_whole
            };
            let result = read(&mut file, &shown, opts, stats, events, &mut buf, &mut visit);
            if let Err(err) = result {
                stats.unreadable.fetch_add(1, Ordering::Relaxed);
                events.warning(format!("{}: {}", shown, one_line(&err.to_string())));
            }
            WalkState::Continue
        })
    });
}

/// Files larger than this are read and scanned in chunks, so memory stays
/// bounded whatever the file size (see [`chunk`](super::chunk)).
pub const CHUNK_SIZE: usize = super::chunk::DEFAULT.size;
/// Bytes each chunk repeats from the end of the previous one.
pub const CHUNK_OVERLAP: usize = super::chunk::DEFAULT.overlap;

/// Read into `buf[from..]` until it is full or the file ends; returns the
/// number of bytes read. `buf` stays initialised between calls, so reads
/// never pay for zeroing memory.
fn read_into<R: Read + ?Sized>(file: &mut R, buf: &mut [u8]) -> io::Result<usize> {
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
    match opts.admission().by_content(head) {
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

/// Read and scan a large file chunk by chunk (see [`read_stream`]).
fn scan_chunked<V: FnMut(Blob<'_>)>(
    (file, _): &mut (File, u64),
    shown: &str,
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    buf: &mut Vec<u8>,
    visit: &mut V,
) -> io::Result<()> {
    let stream = Stream {
        origin: Origin::File(shown),
        shown,
        limit: Some(opts.max_file_size),
        admit: true,
    };
    read_stream(file, &stream, opts, stats, events, buf, visit)
}

/// A stream to read in chunks: where its bytes come from.
#[derive(Debug, Clone, Copy)]
pub struct Stream<'a> {
    /// The origin of its blobs.
    pub origin: Origin<'a>,
    /// The name warnings give it.
    pub shown: &'a str,
    /// Bytes read at most (a file's size cap); `None` for a stream read to
    /// its end (standard input: memory stays bounded by the chunks).
    pub limit: Option<u64>,
    /// Whether the admission policy (media, `--no-binary`) applies.
    pub admit: bool,
}

/// Read `reader` chunk by chunk (see [`Chunker`]) and hand each chunk to
/// `visit`, or read it whole when its first chunk shows that an expansion
/// needs all of it ([`WalkOptions::whole`]: an archive, a notebook, UTF-16
/// text), up to the size cap.
pub fn read_stream<R: Read + ?Sized, V: FnMut(Blob<'_>)>(
    reader: &mut R,
    stream: &Stream<'_>,
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    buf: &mut Vec<u8>,
    visit: &mut V,
) -> io::Result<()> {
    let shown = stream.shown;
    let size = super::chunk::DEFAULT;
    let cap = size.capacity();
    ensure_len(buf, cap);
    let mut chunker = Chunker::new(size);
    let mut binary = false;
    let mut total = 0u64;
    loop {
        let carried = chunker.carried();
        let mut n = read_into(reader, &mut buf[carried..cap])?;
        let mut eof = carried + n < cap;
        // The size was checked before reading: a file past the cap now grew
        // while being read (a log being written). Earlier chunks are already
        // scanned, so scan up to the cap and say so.
        if let Some(limit) = stream.limit {
            if total + n as u64 > limit {
                n = (limit - total.min(limit)) as usize;
                eof = true;
                events.warning(format!(
                    "{shown}: grew past the size cap while being read; scanned its first {} bytes",
                    total + n as u64
                ));
            }
        }
        let len = carried + n;
        if total == 0 {
            binary = if stream.admit {
                let Some(b) = admit(&buf[..len], shown, opts, stats, events) else {
                    return Ok(());
                };
                b
            } else {
                super::is_binary(&buf[..len])
            };
            if !eof && (opts.whole)(stream.origin.path().unwrap_or(""), &buf[..len]) {
                let limit = stream.limit.unwrap_or(opts.max_file_size);
                return read_rest(
                    reader, len, stream, limit, stats, events, buf, binary, visit,
                );
            }
        }
        let chunk = if total == 0 && eof {
            None // all of it at once: a whole blob, expanded as any
        } else {
            Some(chunker.pos(&buf[..len], eof))
        };
        total += n as u64;
        visit(Blob {
            bytes: &buf[..len],
            origin: stream.origin,
            chunk,
        });
        if eof {
            break;
        }
        let keep_from = chunker.advance(&buf[..len]);
        buf.copy_within(keep_from..len, 0);
    }
    stats.scanned(total as usize, binary);
    Ok(())
}

/// Read the rest of a stream whose first `len` bytes are in `buf`, up to
/// `limit` bytes (past it, the stream is skipped as too large), and scan it
/// whole.
#[allow(clippy::too_many_arguments)]
fn read_rest<R: Read + ?Sized, V: FnMut(Blob<'_>)>(
    reader: &mut R,
    mut len: usize,
    stream: &Stream<'_>,
    limit: u64,
    stats: &Stats,
    events: &dyn Events,
    buf: &mut Vec<u8>,
    binary: bool,
    visit: &mut V,
) -> io::Result<()> {
    let over = |len: usize| len as u64 > limit;
    loop {
        if over(len) {
            skip(stats, events, stream.shown, Skip::TooLarge);
            return Ok(());
        }
        ensure_len(buf, len * 2);
        let end = buf.len();
        let k = read_into(reader, &mut buf[len..end])?;
        len += k;
        if len < end {
            break;
        }
    }
    if over(len) {
        skip(stats, events, stream.shown, Skip::TooLarge);
        return Ok(());
    }
    stats.scanned(len, binary);
    visit(Blob::whole(&buf[..len], stream.origin));
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
