//! Archives: zip (and jar, whl, apk, docx...), tar, tar.gz and gzip, read
//! entry by entry from memory and never written to disk. [`read`] hands
//! each entry to a visitor as a child blob, shown as `outer.zip!inner/path`;
//! the scan driver puts it through the same admission and classification as
//! a file (media are skipped, notebooks and UTF-16 text are expanded, and
//! archives inside archives are opened down to `--archive-depth`). Entries
//! are handed over one at a time (internal iteration, because a tar entry
//! borrows its stream), so one entry is in memory at a time; problems are
//! handed over as [`Event`]s too: this module never warns, counts or scans.
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
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use memchr::memmem;

use super::Kind;

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

/// The limits of reading one archive found by a source (nested archives
/// included).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Uncompressed bytes, headers and skipped data included.
    pub max_bytes: u64,
    /// Entries.
    pub max_entries: u64,
    /// An entry larger than this is not kept in memory (`--max-file-size`).
    pub max_entry_size: u64,
}

/// What one archive found by a source may still cost, shared by the
/// archives nested in it.
#[derive(Debug)]
pub struct Budget {
    bytes: Cell<u64>,
    entries: Cell<u64>,
    limits: Limits,
    /// Why reading stopped, once it has.
    stopped: RefCell<Option<String>>,
}

/// Reading stopped at a limit; [`Budget::stopped`] says which.
#[derive(Debug)]
pub struct Stop;

impl Budget {
    /// A fresh budget.
    pub fn new(limits: Limits) -> Budget {
        Budget {
            bytes: Cell::new(limits.max_bytes),
            entries: Cell::new(limits.max_entries),
            limits,
            stopped: RefCell::new(None),
        }
    }

    /// Why reading stopped, if it has.
    pub fn stopped(&self) -> Option<String> {
        self.stopped.borrow().clone()
    }

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
                self.limits.max_entries
            ))),
            n => {
                self.entries.set(n - 1);
                Ok(())
            }
        }
    }
}

/// What reading an archive yields.
#[derive(Debug)]
pub enum Event<'a> {
    /// An entry, read into memory within the limits.
    Entry {
        /// Its path inside the archive.
        name: &'a str,
        /// Its bytes.
        bytes: &'a [u8],
    },
    /// The archive is not readable as a `what` archive: its bytes (those
    /// given) are to be scanned as they are.
    Unreadable {
        /// `zip`, `tar` or `gzip`.
        what: &'static str,
        /// Why.
        error: String,
        /// The bytes to scan instead (empty for a tar stream inside gzip).
        bytes: &'a [u8],
    },
    /// An entry that cannot be read (encrypted, damaged): it is skipped.
    /// Told once per archive.
    EntryUnreadable {
        /// Its path inside the archive.
        name: String,
        /// Why.
        error: String,
    },
    /// Reading an entry's bytes failed part way: it is skipped.
    EntryFailed {
        /// Its path inside the archive.
        name: String,
        /// Why.
        error: String,
    },
    /// The tar stream is damaged: the rest of it is skipped.
    Damaged {
        /// Why.
        error: String,
    },
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
                crate::text::human_bytes(self.budget.limits.max_bytes)
            ));
            return Err(io::Error::other("archive limit reached"));
        }
        self.budget.bytes.set(left - n as u64);
        Ok(n)
    }
}

/// Whether an entry is unwanted, by its name and (once read) its head:
/// see [`read`].
pub type Skip<'s> = dyn Fn(&str, Option<&[u8]>) -> bool + 's;

/// The bytes of an entry [`read`] reads before it asks whether the entry
/// is wanted.
pub const HEAD: usize = 8192;

/// The visitor of [`read`]: it gets each entry and problem, and may stop
/// the reading (a nested archive that hit a limit).
pub type Visit<'v> = dyn FnMut(Event<'_>) -> Result<(), Stop> + 'v;

/// Read the archive `data` of `kind`, named `name` (its path, for the
/// name of a gzip stream's single file), handing each entry to `visit`.
/// `skip(entry_name, head)` says that an entry is not wanted: asked with
/// no head before the entry is read (an allowlisted path), then with its
/// first [`HEAD`] bytes (media), so the rest of an unwanted entry is not
/// read. `Err(Stop)` when a limit stopped the reading.
pub fn read(
    data: &[u8],
    kind: Kind,
    name: &str,
    budget: &Budget,
    skip: &Skip<'_>,
    visit: &mut Visit<'_>,
) -> Result<(), Stop> {
    let r = Reader { budget, skip };
    match kind {
        Kind::Zip => r.zip(data, visit),
        Kind::Tar => {
            let m = Metered {
                inner: data,
                budget,
            };
            r.tar(m, data, visit)
        }
        _ => r.gzip(data, name, visit),
    }
}

struct Reader<'a> {
    budget: &'a Budget,
    skip: &'a Skip<'a>,
}

impl Reader<'_> {
    fn zip(&self, data: &[u8], visit: &mut Visit<'_>) -> Result<(), Stop> {
        let budget = self.budget;
        if let Some(n) = declared_entries(data) {
            if n > budget.entries.get() {
                return Err(budget.stop(format!(
                    "its directory lists {n} entries, more than {} (--archive-max-entries)",
                    budget.limits.max_entries
                )));
            }
        }
        let mut z = match zip::ZipArchive::new(Cursor::new(data)) {
            Ok(z) => z,
            Err(e) => {
                return visit(Event::Unreadable {
                    what: "zip",
                    error: e.to_string(),
                    bytes: data,
                })
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
                        visit(Event::EntryUnreadable {
                            name: entry_name,
                            error: e.to_string(),
                        })?;
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
            self.entry(&entry_name, &mut r, size, visit)?;
        }
        Ok(())
    }

    /// Read a tar stream; `data` is the archive's bytes when it was not
    /// compressed (to fall back to scanning them).
    fn tar<R: Read>(&self, r: R, data: &[u8], visit: &mut Visit<'_>) -> Result<(), Stop> {
        let mut ar = tar::Archive::new(r);
        let entries = match ar.entries() {
            Ok(e) => e,
            Err(e) => {
                return visit(Event::Unreadable {
                    what: "tar",
                    error: e.to_string(),
                    bytes: data,
                })
            }
        };
        for e in entries {
            let mut e = match e {
                Ok(e) => e,
                Err(err) => {
                    if self.budget.is_stopped() {
                        return Err(Stop);
                    }
                    return visit(Event::Damaged {
                        error: err.to_string(),
                    });
                }
            };
            if !e.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let size = e.size();
            self.entry(&name, &mut e, size, visit)?;
        }
        Ok(())
    }

    fn gzip(&self, data: &[u8], name: &str, visit: &mut Visit<'_>) -> Result<(), Stop> {
        let mut r = Metered {
            inner: MultiGzDecoder::new(data),
            budget: self.budget,
        };
        let mut head = Vec::with_capacity(512);
        if let Err(e) = (&mut r).take(512).read_to_end(&mut head) {
            if self.budget.is_stopped() {
                return Err(Stop);
            }
            return visit(Event::Unreadable {
                what: "gzip",
                error: e.to_string(),
                bytes: data,
            });
        }
        let rest = Cursor::new(head).chain(r);
        let is_tar = {
            let h = rest.get_ref().0.get_ref();
            h.len() >= 262 && &h[257..262] == b"ustar"
        };
        if is_tar {
            return self.tar(rest, &[], visit);
        }
        // A single compressed file: `notes.txt.gz` holds `notes.txt`.
        let name = name.rsplit(['/', '!']).next().unwrap_or("");
        let lower = name.to_ascii_lowercase();
        let inner = if lower.ends_with(".gz") {
            &name[..name.len() - 3]
        } else {
            "data"
        };
        let inner = if inner.is_empty() { "data" } else { inner };
        let mut rest = rest;
        self.entry(inner, &mut rest, 0, visit)
    }

    /// Read one entry named `name` and hand it over.
    fn entry(
        &self,
        name: &str,
        r: &mut dyn Read,
        size: u64,
        visit: &mut Visit<'_>,
    ) -> Result<(), Stop> {
        let budget = self.budget;
        budget.take_entry()?;
        let name = name.trim_start_matches("./");
        if (self.skip)(name, None) {
            return Ok(());
        }
        let cap = budget.limits.max_entry_size;
        let mut buf = Vec::with_capacity(size.min(cap).min(STEP) as usize);
        let mut held = Held(0);
        let mut judged = false;
        loop {
            if !judged && buf.len() >= HEAD {
                judged = true;
                if (self.skip)(name, Some(&buf[..HEAD])) {
                    return Ok(());
                }
            }
            if !held.grow_to(buf.capacity() as u64) {
                return Err(budget.stop(format!(
                    "entries held in memory by all threads reached {}",
                    crate::text::human_bytes(MEMORY_CAP)
                )));
            }
            let step = if judged { STEP } else { HEAD as u64 };
            let want = (cap + 1 - buf.len() as u64).min(step);
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
                    return visit(Event::EntryFailed {
                        name: name.to_string(),
                        error: e.to_string(),
                    });
                }
            }
        }
        if !judged && (self.skip)(name, Some(&buf)) {
            return Ok(());
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
        visit(Event::Entry { name, bytes: &buf })
    }
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
