//! The file-tree source: the `ignore` crate's parallel walker.
//!
//! Honours `.gitignore`, `.ignore` and git's exclude files (unless
//! `--no-ignore`), scans hidden files (unless `--no-hidden`), never enters
//! `.git/`, never opens FIFOs, sockets or devices, and skips (and counts)
//! media files and files over the size cap. Contents are read as bytes.
//!
//! Ignore files are read and applied by [`super::ignore_rules`], not by
//! the crate (which opens them unchecked: a FIFO hangs it, a link to
//! `/dev/zero` exhausts memory); the walk tells what they kept it from
//! visiting ([`Ignored`]), so that the scan driver can scan the files git
//! tracks among them.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use ignore::{DirEntry, Match, WalkBuilder, WalkState};

use super::chunk::Chunker;
use super::ignore_rules::Rules;
use super::{is_media_path, Admission, Blob, Events, Origin, Skip, Stats, HEAD};
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
    /// The directory that shown paths are relative to: the work tree of
    /// the repository the roots are in, so that a report names a file the
    /// same way whatever paths the scan was given and wherever it ran.
    /// None (or a root outside it): relative to the one directory root, or
    /// as given when there are several roots. See [`Shown`].
    pub base: Option<PathBuf>,
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
            base: None,
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

/// How the paths under each root are shown: under [`WalkOptions::base`]
/// (the repository's work tree) relative to it, else as
/// [`display_path`] shows them.
#[derive(Debug, Clone)]
pub struct Shown {
    /// Per root: its path relative to the base (`/` separators; empty for
    /// the base itself), or None when it is not under the base.
    prefixes: Vec<Option<String>>,
    single_dir_root: bool,
}

impl Shown {
    /// The scheme for `roots` under `base`.
    pub fn new(roots: &[PathBuf], base: Option<&Path>) -> Shown {
        let base = base.and_then(|b| b.canonicalize().ok());
        let prefixes = roots
            .iter()
            .map(|r| {
                let base = base.as_ref()?;
                let abs = r.canonicalize().ok()?;
                let rel = abs.strip_prefix(base).ok()?;
                let s = rel.to_str()?;
                Some(s.replace(std::path::MAIN_SEPARATOR, "/"))
            })
            .collect();
        Shown {
            prefixes,
            single_dir_root: roots.len() == 1 && roots[0].is_dir(),
        }
    }

    /// The path shown for `path`, found under root number `i` (`root`).
    pub fn path(&self, i: usize, root: &Path, path: &Path) -> String {
        let Some(Some(prefix)) = self.prefixes.get(i) else {
            return display_path(root, path, self.single_dir_root);
        };
        let rel = path.strip_prefix(root).unwrap_or(path);
        let rel = rel.to_string_lossy();
        let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        match (prefix.is_empty(), rel.is_empty()) {
            (true, true) => display_path(root, path, self.single_dir_root),
            (true, false) => rel.to_string(),
            (false, true) => prefix.clone(),
            (false, false) => format!("{prefix}/{rel}"),
        }
    }
}

/// What ignore rules kept a walk from visiting: for each root (in the
/// order given), the paths of the files and directories they matched,
/// relative to the root with `/` separators. A directory stands for
/// everything under it.
#[derive(Debug, Default)]
pub struct Ignored {
    by_root: Vec<HashSet<String>>,
}

impl Ignored {
    /// Whether nothing was ignored.
    pub fn is_empty(&self) -> bool {
        self.by_root.iter().all(HashSet::is_empty)
    }

    /// Whether `rel` (a path relative to root number `root`) was ignored,
    /// itself or a directory above it.
    pub fn hides(&self, root: usize, rel: &str) -> bool {
        let Some(set) = self.by_root.get(root).filter(|s| !s.is_empty()) else {
            return false;
        };
        let mut p = rel;
        loop {
            if set.contains(p) {
                return true;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return false,
            }
        }
    }
}

/// Which entries the walk visits: never `.git`; not what the ignore rules
/// ignore (recorded in [`Ignored`]); not hidden files under `--no-hidden`,
/// unless a rule whitelists them. Shared by the walk's threads.
struct EntryFilter {
    /// None under `--no-ignore`.
    rules: Option<Rules>,
    no_hidden: bool,
    roots: Vec<PathBuf>,
    ignored: Mutex<Vec<HashSet<String>>>,
}

impl EntryFilter {
    fn new(roots: &[PathBuf], opts: &WalkOptions) -> EntryFilter {
        EntryFilter {
            rules: opts.ignore_files.then(|| Rules::new(roots)),
            no_hidden: !opts.hidden,
            roots: roots.to_vec(),
            ignored: Mutex::new(vec![HashSet::new(); roots.len()]),
        }
    }

    /// Whether the walk visits `e` (and, for a directory, enters it; its
    /// ignore files are read now, before its entries are listed).
    fn keep(&self, e: &DirEntry) -> bool {
        if e.file_name() == ".git" {
            return false;
        }
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        let m = match &self.rules {
            Some(rules) => rules.matched(e.path(), is_dir),
            None => Match::None,
        };
        if m.is_ignore() {
            self.record(e.path());
            return false;
        }
        if self.no_hidden && !m.is_whitelist() && is_hidden(e) {
            return false;
        }
        if is_dir {
            if let Some(rules) = &self.rules {
                rules.enter(e.path());
            }
        }
        true
    }

    fn record(&self, path: &Path) {
        let Some(i) = self.roots.iter().position(|r| path.starts_with(r)) else {
            return;
        };
        let rel = path.strip_prefix(&self.roots[i]).unwrap_or(path);
        let mut rel = rel.to_string_lossy().into_owned();
        if std::path::MAIN_SEPARATOR != '/' {
            rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
        }
        let mut ignored = self.ignored.lock().unwrap_or_else(|e| e.into_inner());
        ignored[i].insert(rel);
    }

    /// Tell the warnings the rules gathered (bad ignore files).
    fn tell(&self, events: &dyn Events) {
        if let Some(rules) = &self.rules {
            for w in rules.take_warnings() {
                events.warning(w);
            }
        }
    }
}

/// Whether an entry is hidden: its name starts with a dot (or, on
/// Windows, it has the hidden attribute).
fn is_hidden(e: &DirEntry) -> bool {
    #[cfg(windows)]
    {
        use std::os::windows::fs::MetadataExt;
        const FILE_ATTRIBUTE_HIDDEN: u32 = 0x2;
        if e.metadata()
            .is_ok_and(|m| m.file_attributes() & FILE_ATTRIBUTE_HIDDEN != 0)
        {
            return true;
        }
    }
    e.file_name().as_encoded_bytes().first() == Some(&b'.')
}

/// Walk `roots` in parallel. `skip_path(display_path)` may exclude files
/// before they are read; `make_visitor` is called once per worker thread and
/// its visitor receives every file to scan. Returns what the ignore rules
/// kept the walk from visiting.
pub fn walk<V, F>(
    roots: &[PathBuf],
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    skip_path: &(dyn Fn(&str) -> bool + Sync),
    make_visitor: F,
) -> Ignored
where
    F: Fn() -> V + Sync,
    V: FnMut(Blob<'_>) + Send,
{
    let Some((first, rest)) = roots.split_first() else {
        return Ignored::default();
    };
    let shown_paths = Shown::new(roots, opts.base.as_deref());
    let filter = Arc::new(EntryFilter::new(roots, opts));
    filter.tell(events);
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    // The crate reads no ignore file and hides nothing itself: the filter
    // does both (a rule may whitelist a hidden file).
    let f = Arc::clone(&filter);
    builder
        .hidden(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .parents(false)
        .require_git(false)
        .follow_links(opts.follow)
        .threads(opts.threads)
        .filter_entry(move |e| f.keep(e));
    let walker = builder.build_parallel();
    walker.run(|| {
        let mut visit = make_visitor();
        let mut buf: Vec<u8> = Vec::new();
        let filter = &filter;
        let shown_paths = &shown_paths;
        Box::new(move |entry| {
            filter.tell(events);
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
            let i = roots.iter().position(|r| path.starts_with(r)).unwrap_or(0);
            let shown = shown_paths.path(i, &roots[i], path);
            visit_file(
                path, &shown, ft, opts, stats, events, skip_path, &mut buf, &mut visit,
            );
            WalkState::Continue
        })
    });
    filter.tell(events);
    let ignored = std::mem::take(&mut *filter.ignored.lock().unwrap_or_else(|e| e.into_inner()));
    Ignored { by_root: ignored }
}

/// Scan `files` (each a path and the path shown for it) in parallel, each
/// as the walk scans a file it lists: links (unless followed), special
/// files, allowlisted paths, media and files over the size cap are skipped
/// and counted; see [`listed_type`] for what is passed over.
/// `make_visitor` is called once per thread.
pub fn scan_files<V, F>(
    files: &[(PathBuf, String)],
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
    skip_path: &(dyn Fn(&str) -> bool + Sync),
    make_visitor: F,
) where
    F: Fn() -> V + Sync,
    V: FnMut(Blob<'_>),
{
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(files.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut visit = make_visitor();
                let mut buf: Vec<u8> = Vec::new();
                while let Some((path, shown)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let Some(ft) = listed_type(path, shown, opts, stats, events) else {
                        continue;
                    };
                    visit_file(
                        path, shown, ft, opts, stats, events, skip_path, &mut buf, &mut visit,
                    );
                }
            });
        }
    });
}

/// The type of `path`, a file [`scan_files`] was given, as the walk would
/// list it (a link followed under `--follow`); None when it is not to be
/// scanned: not there (the index may list files deleted from the work
/// tree), a directory (a submodule), or not readable (warned and counted).
fn listed_type(
    path: &Path,
    shown: &str,
    opts: &WalkOptions,
    stats: &Stats,
    events: &dyn Events,
) -> Option<std::fs::FileType> {
    let ft = match std::fs::symlink_metadata(path) {
        Ok(m) => m.file_type(),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return None;
        }
        Err(e) => {
            stats.unreadable.fetch_add(1, Ordering::Relaxed);
            events.warning(format!("{shown}: {}", one_line(&e.to_string())));
            return None;
        }
    };
    let ft = if ft.is_symlink() && opts.follow {
        match std::fs::metadata(path) {
            Ok(m) => m.file_type(),
            Err(_) => {
                stats.skip(Skip::Symlink);
                events.warning(format!("{shown}: broken symbolic link; not followed"));
                return None;
            }
        }
    } else {
        ft
    };
    (!ft.is_dir()).then_some(ft)
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
    let read = if file.1 > CHUNK_SIZE as u64 {
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

/// Read on from `buf[..len]` to the end of `reader`, growing `buf`: the
/// length read, or `None` once more than `limit` bytes are in.
fn read_on<R: Read + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    mut len: usize,
    limit: u64,
) -> io::Result<Option<usize>> {
    loop {
        if len as u64 > limit {
            return Ok(None);
        }
        ensure_len(buf, len * 2);
        let end = buf.len();
        len += read_into(reader, &mut buf[len..end])?;
        if len < end {
            return Ok(Some(len));
        }
    }
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
        match read_on(file, buf, n, opts.max_file_size)? {
            Some(all) => n = all,
            None => {
                skip(stats, events, shown, Skip::TooLarge);
                return Ok(());
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
    len: usize,
    stream: &Stream<'_>,
    limit: u64,
    stats: &Stats,
    events: &dyn Events,
    buf: &mut Vec<u8>,
    binary: bool,
    visit: &mut V,
) -> io::Result<()> {
    let len = match read_on(reader, buf, len, limit)? {
        Some(all) if all as u64 <= limit => all,
        _ => {
            skip(stats, events, stream.shown, Skip::TooLarge);
            return Ok(());
        }
    };
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
    fn shown_paths_start_at_the_base() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("sub/dir")).unwrap();
        std::fs::write(base.join("sub/dir/f"), "x").unwrap();
        let roots = vec![base.join("sub"), base.join("sub/dir/f")];
        let shown = Shown::new(&roots, Some(base));
        assert_eq!(
            shown.path(0, &roots[0], &base.join("sub/dir/f")),
            "sub/dir/f"
        );
        assert_eq!(shown.path(1, &roots[1], &roots[1]), "sub/dir/f");
        // Without a base: relative to the one directory root.
        let one = vec![base.join("sub")];
        let shown = Shown::new(&one, None);
        assert_eq!(shown.path(0, &one[0], &base.join("sub/dir/f")), "dir/f");
    }

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
