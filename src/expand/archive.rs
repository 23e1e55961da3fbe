//! Archives: zip (and jar, whl, apk, docx...), tar, tar.gz and gzip, read
//! entry by entry from memory and never written to disk. Each entry is a
//! blob of its own, shown as `outer.zip!inner/path`, and goes through the
//! same classification as a file: media are skipped, notebooks and UTF-16
//! text are expanded, and archives inside archives are opened down to
//! `--archive-depth`.
//!
//! Limits bound the work whatever an archive holds (a zip bomb is stopped
//! and reported as such, and the scan goes on):
//! - every decompressed byte, tar headers and skipped data included, is
//!   counted against `--archive-max-size` for the archive found on disk;
//! - entries are counted against `--archive-max-entries`, and a zip whose
//!   directory declares more is not parsed at all;
//! - an entry larger than `--max-file-size` is not kept in memory;
//! - entry buffers held by all threads together stay under
//!   [`MEMORY_CAP`], so peak memory stays well under 1 GiB.
//!
//! tar and gzip are streams; a zip needs its central directory, which is
//! read from the bytes already in memory. The `zip`, `tar` and `flate2`
//! crates do the decoding.

use std::cell::{Cell, RefCell};
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use memchr::memmem;

use super::{scan_leaf, sniff, utf16, Kind, INSIDE_ARCHIVE};
use crate::scan::Worker;
use crate::source::{is_binary, is_media_magic, is_media_path};

/// Bytes of entry buffers all threads may hold at once.
pub const MEMORY_CAP: u64 = 512 * 1024 * 1024;

/// Entry buffers held now, across threads.
static HELD: AtomicU64 = AtomicU64::new(0);

/// Bytes read from an entry at a time.
const STEP: u64 = 256 * 1024;

/// A share of [`MEMORY_CAP`], given back on drop.
struct Held(u64);

impl Held {
    fn grow_to(&mut self, n: u64) -> bool {
        if n <= self.0 {
            return true;
        }
        let more = n - self.0;
        if HELD.fetch_add(more, Ordering::Relaxed) + more > MEMORY_CAP {
            HELD.fetch_sub(more, Ordering::Relaxed);
            return false;
        }
        self.0 = n;
        true
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        HELD.fetch_sub(self.0, Ordering::Relaxed);
    }
}

/// What one archive found on disk may still cost, shared by the archives
/// nested in it.
struct Budget {
    bytes: Cell<u64>,
    entries: Cell<u64>,
    max_bytes: u64,
    max_entries: u64,
    /// Why reading stopped, once it has.
    stopped: RefCell<Option<String>>,
}

/// Reading stopped at a limit; the reason is in the budget.
struct Stop;

impl Budget {
    fn stop(&self, reason: String) -> Stop {
        self.stopped.borrow_mut().get_or_insert(reason);
        Stop
    }

    fn is_stopped(&self) -> bool {
        self.stopped.borrow().is_some()
    }

    fn take_entry(&self) -> Result<(), Stop> {
        match self.entries.get() {
            0 => Err(self.stop(format!(
                "more than {} entries (--archive-max-entries)",
                self.max_entries
            ))),
            n => {
                self.entries.set(n - 1);
                Ok(())
            }
        }
    }
}

/// A reader that counts what it yields against the budget and fails once
/// the budget is spent: decompression never runs past the limit.
struct Metered<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.is_stopped() {
            return Err(io::Error::other("archive limit reached"));
        }
        let n = self.inner.read(buf)?;
        let left = self.budget.bytes.get();
        if n as u64 > left {
            self.budget.bytes.set(0);
            self.budget.stop(format!(
                "more than {} uncompressed (--archive-max-size)",
                crate::report::human_bytes(self.budget.max_bytes)
            ));
            return Err(io::Error::other("archive limit reached"));
        }
        self.budget.bytes.set(left - n as u64);
        Ok(n)
    }
}

/// Scan an archive found by a source (`depth` 0: a file, a blob).
pub fn scan(w: &mut Worker<'_>, path: &str, bytes: &[u8], kind: Kind) {
    let o = &w.engine().options().expand;
    let budget = Budget {
        bytes: Cell::new(o.archive_max_bytes),
        entries: Cell::new(o.archive_max_entries),
        max_bytes: o.archive_max_bytes,
        max_entries: o.archive_max_entries,
        stopped: RefCell::new(None),
    };
    if walk(w, path, bytes, kind, 1, &budget).is_err() {
        w.source_stats(|s| &s.archives_stopped);
        let reason = budget.stopped.borrow().clone().unwrap_or_default();
        w.warn(format!(
            "{}: archive reading stopped at a limit: {reason}; likely a zip bomb, \
             the rest of it was not scanned",
            super::display(path)
        ));
    }
}

/// Read the entries of an archive at `path` whose entries sit at `depth`.
fn walk(
    w: &mut Worker<'_>,
    path: &str,
    data: &[u8],
    kind: Kind,
    depth: usize,
    budget: &Budget,
) -> Result<(), Stop> {
    w.source_stats(|s| &s.archives);
    match kind {
        Kind::Zip => zip(w, path, data, depth, budget),
        Kind::Tar => {
            let r = Metered {
                inner: data,
                budget,
            };
            tar(w, path, r, data, depth, budget)
        }
        _ => gzip(w, path, data, depth, budget),
    }
}

/// An archive that cannot be read is scanned as the bytes it is.
fn unreadable(
    w: &mut Worker<'_>,
    path: &str,
    data: &[u8],
    what: &str,
    err: &dyn std::fmt::Display,
) {
    w.warn(format!(
        "{}: not a readable {what} archive ({err}); scanned as bytes",
        super::display(path)
    ));
    scan_leaf(w, path, data, Kind::Plain, &[]);
}

fn zip(
    w: &mut Worker<'_>,
    path: &str,
    data: &[u8],
    depth: usize,
    budget: &Budget,
) -> Result<(), Stop> {
    if let Some(n) = declared_entries(data) {
        if n > budget.entries.get() {
            return Err(budget.stop(format!(
                "its directory lists {n} entries, more than {} (--archive-max-entries)",
                budget.max_entries
            )));
        }
    }
    let mut z = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(z) => z,
        Err(e) => {
            unreadable(w, path, data, "zip", &e);
            return Ok(());
        }
    };
    let mut warned = false;
    for i in 0..z.len() {
        let entry_name = z.name_for_index(i).unwrap_or("?").to_string();
        let mut f = match z.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                // Encrypted or damaged; one warning per archive is enough.
                if !warned {
                    warned = true;
                    w.warn(format!(
                        "{}: entry {entry_name} cannot be read ({e}); it is skipped",
                        super::display(path),
                    ));
                }
                continue;
            }
        };
        if !f.is_file() {
            continue;
        }
        let size = f.size();
        let mut r = Metered {
            inner: &mut f,
            budget,
        };
        entry(w, path, &entry_name, &mut r, size, depth, budget)?;
    }
    Ok(())
}

/// Read a tar stream; `data` is the archive's bytes when it was not compressed
/// (to fall back to scanning them).
fn tar<R: Read>(
    w: &mut Worker<'_>,
    path: &str,
    r: R,
    data: &[u8],
    depth: usize,
    budget: &Budget,
) -> Result<(), Stop> {
    let mut ar = tar::Archive::new(r);
    let entries = match ar.entries() {
        Ok(e) => e,
        Err(e) => {
            unreadable(w, path, data, "tar", &e);
            return Ok(());
        }
    };
    for e in entries {
        let mut e = match e {
            Ok(e) => e,
            Err(err) => {
                if budget.is_stopped() {
                    return Err(Stop);
                }
                w.warn(format!(
                    "{}: the tar archive is damaged ({err}); the rest of it is skipped",
                    super::display(path)
                ));
                return Ok(());
            }
        };
        if !e.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let size = e.size();
        entry(w, path, &name, &mut e, size, depth, budget)?;
    }
    Ok(())
}

fn gzip(
    w: &mut Worker<'_>,
    path: &str,
    data: &[u8],
    depth: usize,
    budget: &Budget,
) -> Result<(), Stop> {
    let mut r = Metered {
        inner: MultiGzDecoder::new(data),
        budget,
    };
    let mut head = Vec::with_capacity(512);
    if let Err(e) = (&mut r).take(512).read_to_end(&mut head) {
        if budget.is_stopped() {
            return Err(Stop);
        }
        unreadable(w, path, data, "gzip", &e);
        return Ok(());
    }
    let rest = Cursor::new(head).chain(r);
    let is_tar = {
        let h = rest.get_ref().0.get_ref();
        h.len() >= 262 && &h[257..262] == b"ustar"
    };
    if is_tar {
        return tar(w, path, rest, &[], depth, budget);
    }
    // A single compressed file: `notes.txt.gz` holds `notes.txt`.
    let name = path.rsplit(['/', '!']).next().unwrap_or("");
    let lower = name.to_ascii_lowercase();
    let inner = if lower.ends_with(".gz") {
        &name[..name.len() - 3]
    } else {
        "data"
    };
    let inner = if inner.is_empty() { "data" } else { inner };
    let mut rest = rest;
    entry(w, path, inner, &mut rest, 0, depth, budget)
}

/// Scan one entry named `name` of the archive at `outer`.
#[allow(clippy::too_many_arguments)]
fn entry(
    w: &mut Worker<'_>,
    outer: &str,
    name: &str,
    r: &mut dyn Read,
    size: u64,
    depth: usize,
    budget: &Budget,
) -> Result<(), Stop> {
    budget.take_entry()?;
    let name = name.trim_start_matches("./");
    let shown = format!("{outer}!{name}");
    let engine = w.engine();
    if engine.config().allows_path(&shown) || is_media_path(Path::new(name)) {
        return Ok(());
    }
    let opts = &engine.options();
    let cap = opts.walk.max_file_size;
    let mut buf = Vec::with_capacity(size.min(cap).min(STEP) as usize);
    let mut held = Held(0);
    loop {
        if !held.grow_to(buf.capacity() as u64) {
            return Err(budget.stop(format!(
                "entries held in memory by all threads reached {}",
                crate::report::human_bytes(MEMORY_CAP)
            )));
        }
        let want = (cap + 1 - buf.len() as u64).min(STEP);
        if want == 0 {
            break;
        }
        match (&mut *r).take(want).read_to_end(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                if budget.is_stopped() {
                    return Err(Stop);
                }
                w.warn(format!(
                    "{}: cannot be read ({e}); it is skipped",
                    super::display(&shown)
                ));
                return Ok(());
            }
        }
    }
    if buf.len() as u64 > cap {
        // Too large to keep, like a file over --max-file-size. Streams must
        // still be read past it (and that is counted too).
        drop(buf);
        if io::copy(r, &mut io::sink()).is_err() && budget.is_stopped() {
            return Err(Stop);
        }
        return Ok(());
    }
    if is_media_magic(&buf) || opts.walk.skip_binary && is_binary(&buf) && !utf16::has_bom(&buf) {
        return Ok(());
    }
    w.source_stats(|s| &s.archive_entries);
    let kind = sniff(name, &buf, &opts.expand);
    if kind.is_archive() && depth < opts.expand.archive_depth {
        return walk(w, &shown, &buf, kind, depth + 1, budget);
    }
    // (A git history blob is scanned without a path, so `shown` starts
    // with `!`; the blob's path is put in front of it when the finding is
    // placed in history.)
    let note = if kind.is_archive() {
        format!("{INSIDE_ARCHIVE}, nested deeper than --archive-depth: scanned as bytes")
    } else {
        INSIDE_ARCHIVE.to_string()
    };
    let kind = if kind.is_archive() { Kind::Plain } else { kind };
    scan_leaf(w, &shown, &buf, kind, &[note]);
    Ok(())
}

/// The entry count a zip's end-of-central-directory record declares.
fn declared_entries(d: &[u8]) -> Option<u64> {
    let from = d.len().saturating_sub(22 + 65535);
    let pos = from + memmem::rfind(&d[from..], b"PK\x05\x06")?;
    let eocd = d.get(pos..pos + 22)?;
    let n = u64::from(u16::from_le_bytes([eocd[10], eocd[11]]));
    if n != 0xFFFF {
        return Some(n);
    }
    // Zip64: the locator just before points to the zip64 record.
    let loc = d.get(pos.checked_sub(20)?..pos)?;
    if &loc[..4] != b"PK\x06\x07" {
        return Some(n);
    }
    let off = usize::try_from(u64::from_le_bytes(loc[8..16].try_into().ok()?)).ok()?;
    let rec = d.get(off..off.checked_add(56)?)?;
    if &rec[..4] != b"PK\x06\x06" {
        return Some(n);
    }
    Some(u64::from_le_bytes(rec[32..40].try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_share_is_returned() {
        let before = HELD.load(Ordering::Relaxed);
        {
            let mut h = Held(0);
            assert!(h.grow_to(1000));
            assert!(h.grow_to(10));
            assert!(!h.grow_to(MEMORY_CAP + 1));
        }
        assert_eq!(HELD.load(Ordering::Relaxed), before);
    }

    #[test]
    fn eocd_count() {
        let mut z = b"PK\x03\x04junk".to_vec();
        z.extend_from_slice(b"PK\x05\x06\0\0\0\0\x07\0\x07\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(declared_entries(&z), Some(7));
        assert_eq!(declared_entries(b"PK\x03\x04"), None);
    }
}
