//! The files keyscan is given by name and reads or writes whole: a
//! configuration, a baseline, a report.
//!
//! Each is read only if it is a regular file (after symlinks: a FIFO would
//! block the read forever, `/dev/zero` never ends), and only up to a size
//! limit. Each is written to a new private file beside the target, then
//! renamed into place, and only over a regular file: never through a
//! symlink, into a FIFO or a device. Scanned files are the sources'
//! business, not this module's. A leaf: it uses only the text helpers.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::text::human_bytes;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The system said no (missing, unreadable, not UTF-8...).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A FIFO, a device, a directory, a socket.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// Longer than the limit for this kind of file.
    #[error("larger than {}, the limit for {what}", human_bytes(*limit))]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// What the file is (`a configuration file`).
        what: &'static str,
    },
}

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The system said no (no such directory, no permission, disk full...).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The target is a symlink, a FIFO, a device, a directory, a socket:
    /// keyscan replaces only regular files.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
}

/// What kind of file `t` is, for an error (`a FIFO`), or `None` for a
/// regular file.
fn not_regular(t: std::fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    if t.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a file")
}

/// Open `path` for reading if it is a regular file (symlinks followed) of
/// at most `limit` bytes; the reader fails once more than `limit` bytes
/// come out of it (a file that grows while it is read). `what` names the
/// kind of file in errors (`a baseline`).
///
/// The type is checked before opening, the open does not wait (a FIFO
/// swapped in between is opened without blocking on a writer), and the
/// opened file is checked again.
pub fn open_regular(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<Bounded<File>, ReadError> {
    let meta = std::fs::metadata(path)?;
    if let Some(kind) = not_regular(meta.file_type()) {
        return Err(ReadError::NotRegular(kind));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Ignored for regular files, which are what is read below.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if let Some(kind) = not_regular(meta.file_type()) {
        return Err(ReadError::NotRegular(kind));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit, what });
    }
    Ok(Bounded::new(file, limit, what))
}

/// Read `path` whole as UTF-8 text, on the terms of [`open_regular`].
pub fn read_regular_to_string(
    path: &Path,
    limit: u64,
    what: &'static str,
) -> Result<String, ReadError> {
    let mut reader = open_regular(path, limit, what)?;
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Err(reader.error(e));
    }
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// A reader that fails, with [`ReadError::TooLarge`] inside the
/// `io::Error`, once its input goes past a limit.
#[derive(Debug)]
pub struct Bounded<R> {
    inner: R,
    /// Bytes that may still be read.
    left: u64,
    limit: u64,
    what: &'static str,
    /// Set once the input went past the limit.
    exceeded: bool,
}

impl<R: Read> Bounded<R> {
    /// `inner`, cut off after `limit` bytes; `what` names the input in the
    /// error (`a baseline`).
    pub fn new(inner: R, limit: u64, what: &'static str) -> Bounded<R> {
        Bounded {
            inner,
            left: limit,
            limit,
            what,
            exceeded: false,
        }
    }

    /// Whether the input went past the limit.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// The error to report for `e`, an error this reader returned (or one
    /// that wraps it): [`ReadError::TooLarge`] if the input went past the
    /// limit, else the I/O error.
    pub fn error(&self, e: io::Error) -> ReadError {
        if self.exceeded {
            ReadError::TooLarge {
                limit: self.limit,
                what: self.what,
            }
        } else {
            ReadError::Io(e)
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the limit: the input must end here.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded = true;
            return Err(io::Error::other(ReadError::TooLarge {
                limit: self.limit,
                what: self.what,
            }));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Whether `path` may be written by [`write_replacing`]: it does not
/// exist, or it is a regular file (not a symlink to one).
pub fn check_replaceable(path: &Path) -> Result<(), WriteError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => match not_regular(m.file_type()) {
            Some(kind) => Err(WriteError::NotRegular(kind)),
            None => Ok(()),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Write `path` whole with `write`, readable by its owner only (0600).
///
/// The contents go to a new file in the same directory (created
/// exclusively, with a unique name and mode 0600), which is renamed over
/// `path` once complete. So a symlink at `path` is replaced, never
/// followed, and a reader never sees half a file; but a target that is
/// not a regular file (a symlink, a FIFO, a device, a directory) is
/// refused, before anything is created. On any error the new file is
/// removed and `path` is left as it was.
pub fn write_replacing<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<T>,
) -> Result<T, WriteError> {
    check_replaceable(path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".keyscan-")
        .suffix(".tmp")
        .tempfile_in(dir)
        // tempfile's message names the temporary file; the caller names
        // the target.
        .map_err(|e| io::Error::new(e.kind(), without_path(&e)))?;
    let value = {
        let mut out = io::BufWriter::new(temp.as_file_mut());
        let value = write(&mut out)?;
        out.flush()?;
        value
    };
    // Checked again: the target may have been swapped meanwhile. (A rename
    // replaces a symlink itself, so even a later swap is never followed.)
    check_replaceable(path)?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(value)
}

/// An I/O error's message without the `at path "..."` tempfile adds.
fn without_path(e: &io::Error) -> String {
    let m = e.to_string();
    match m.find(" at path ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_reader_stops_past_its_limit() {
        let mut ok = Bounded::new(&b"12345"[..], 5, "a test");
        let mut out = Vec::new();
        ok.read_to_end(&mut out).unwrap();
        assert_eq!((out.as_slice(), ok.exceeded()), (&b"12345"[..], false));

        let mut over = Bounded::new(&b"123456"[..], 5, "a test");
        let e = over.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(over.exceeded());
        assert_eq!(
            over.error(e).to_string(),
            "larger than 5 B, the limit for a test"
        );
    }

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let e = open_regular(dir.path(), 10, "a test").unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
        let p = dir.path().join("f");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_regular_to_string(&p, 5, "a test").unwrap(), "hello");
        let e = read_regular_to_string(&p, 4, "a test").unwrap_err();
        assert_eq!(e.to_string(), "larger than 4 B, the limit for a test");
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_replace_regular_files_and_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        write_replacing(&p, |w| w.write_all(b"one")).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_replacing(&p, |w| w.write_all(b"two")).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A writer that fails half-way: the target keeps its contents and
        // the new file is gone.
        let e = write_replacing(&p, |w| {
            w.write_all(b"half")?;
            Err::<(), _>(io::Error::other("the report failed"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "the report failed");
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["out.txt"]);
        // A missing directory: an error that names no temporary file.
        let e = write_replacing(&dir.path().join("no/such/dir/f"), |_| Ok(())).unwrap_err();
        assert!(!e.to_string().contains(".keyscan-"), "{e}");
        let e = write_replacing(dir.path(), |_| Ok(())).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
    }
}
