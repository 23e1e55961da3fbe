//! Sources: where the bytes to scan come from (the file tree, standard
//! input, the staged index, git history).
//!
//! Sources know nothing of rules, findings or output. Each hands blobs
//! ([`Blob`]: bytes and a typed [`Origin`]) to the scan driver, decides with
//! the one [`Admission`] policy which blobs are read and scanned, and counts
//! what it skips and why. Warnings go to an [`Events`] sink.

pub mod chunk;
pub mod fs;
pub mod git;
pub mod staged;

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Where a blob handed to the scan driver comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// A file of a tree or of the index, shown at this path (relative to
    /// the scanned root, `/` separators).
    File(&'a str),
    /// Standard input.
    Stdin,
    /// A blob of git history: placed at its paths once history is
    /// attributed.
    GitBlob,
    /// A commit's message.
    CommitMessage,
    /// An annotated tag's message.
    TagMessage,
}

impl<'a> Origin<'a> {
    /// The path known now (a git blob has none until it is placed).
    pub fn path(&self) -> Option<&'a str> {
        match self {
            Origin::File(p) => Some(p),
            Origin::Stdin | Origin::GitBlob | Origin::CommitMessage | Origin::TagMessage => None,
        }
    }
}

/// Bytes to scan and where they come from.
#[derive(Debug, Clone, Copy)]
pub struct Blob<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Where they come from.
    pub origin: Origin<'a>,
    /// For a large file read in chunks: where this chunk sits.
    pub chunk: Option<ChunkPos>,
}

impl<'a> Blob<'a> {
    /// A whole blob.
    pub fn whole(bytes: &'a [u8], origin: Origin<'a>) -> Blob<'a> {
        Blob {
            bytes,
            origin,
            chunk: None,
        }
    }
}

/// Where a chunk sits in its file, and which of its matches it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPos {
    /// Byte offset of the chunk in the file.
    pub offset: u64,
    /// 1-based line of the chunk's first byte.
    pub line: usize,
    /// Characters between that line's start and the chunk's first byte.
    pub column: usize,
    /// Report only matches starting at or after this chunk offset...
    pub report_from: usize,
    /// ...and before this one (the rest belongs to the next chunk).
    pub report_to: usize,
}

impl ChunkPos {
    /// A whole file of `len` bytes.
    pub fn whole(len: usize) -> ChunkPos {
        ChunkPos {
            offset: 0,
            line: 1,
            column: 0,
            report_from: 0,
            report_to: len,
        }
    }
}

/// Something a source or the scan driver wants to tell the user (a
/// warning) without printing.
pub trait Events: Sync {
    /// A file, object or entry could not be read, or reading stopped at a
    /// limit; the scan goes on.
    fn warning(&self, message: String);

    /// A file was skipped (already counted in [`Stats`]); for `--verbose`.
    fn skipped(&self, _path: &str, _why: Skip) {}
}

/// Events that go nowhere (tests, fuzzing, in-memory scans).
#[derive(Debug, Default)]
pub struct NoEvents;

impl Events for NoEvents {
    fn warning(&self, _message: String) {}
}

/// Which blobs are read and scanned: one policy for files, staged entries,
/// git blobs and archive entries.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    /// Larger blobs are skipped.
    pub max_size: u64,
    /// Skip every binary blob.
    pub skip_binary: bool,
}

impl Admission {
    /// By its name, before anything is read: a media file is skipped.
    pub fn by_path(&self, path: &str) -> Result<(), Skip> {
        if is_media_path(std::path::Path::new(path)) {
            return Err(Skip::Media);
        }
        Ok(())
    }

    /// By its size, before it is read: a blob over the cap is skipped.
    pub fn by_size(&self, size: u64) -> Result<(), Skip> {
        if size > self.max_size {
            return Err(Skip::TooLarge);
        }
        Ok(())
    }

    /// By its first bytes (`head`): media by magic bytes, and binary blobs
    /// under `--no-binary`, are skipped. `Ok(binary)`.
    pub fn by_content(&self, head: &[u8]) -> Result<bool, Skip> {
        if is_media_magic(head) {
            return Err(Skip::Media);
        }
        let binary = is_binary(head);
        if binary && self.skip_binary {
            return Err(Skip::Binary);
        }
        Ok(binary)
    }

    /// Every check on a blob already in memory (`path`: when it has one).
    pub fn check(&self, path: Option<&str>, bytes: &[u8]) -> Result<bool, Skip> {
        if let Some(p) = path {
            self.by_path(p)?;
        }
        self.by_size(bytes.len() as u64)?;
        self.by_content(bytes)
    }
}

/// Why a file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Larger than `--max-file-size`.
    TooLarge,
    /// An image, audio, video or font file.
    Media,
    /// A binary file under `--no-binary`.
    Binary,
    /// A FIFO, socket or device: never opened.
    Special,
    /// A symbolic link, not followed without `--follow`.
    Symlink,
    /// Excluded by a path allowlist.
    Allowlisted,
}

/// Counters a scan updates from many threads.
#[derive(Debug, Default)]
pub struct Stats {
    /// Files (or blobs) scanned.
    pub files_scanned: AtomicU64,
    /// Bytes scanned.
    pub bytes_scanned: AtomicU64,
    /// Binary files scanned as bytes.
    pub binary_scanned: AtomicU64,
    /// Findings so far (for progress display).
    pub findings: AtomicU64,
    skipped: [AtomicU64; 6],
    /// Files or directories that could not be read.
    pub unreadable: AtomicU64,
    /// Findings not reported: past the per-file cap.
    pub findings_over_cap: AtomicU64,
    /// What archives, notebooks, decoding and UTF-16 opened.
    pub sources: SourceStats,
}

impl Stats {
    /// Count a skipped file.
    pub fn skip(&self, why: Skip) {
        self.skipped[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Count a scanned blob of `len` bytes.
    pub fn scanned(&self, len: usize, binary: bool) {
        self.files_scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes_scanned.fetch_add(len as u64, Ordering::Relaxed);
        if binary {
            self.binary_scanned.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A plain snapshot of the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            files_scanned: g(&self.files_scanned),
            bytes_scanned: g(&self.bytes_scanned),
            binary_files_scanned: g(&self.binary_scanned),
            skipped: SkipCounts {
                too_large: g(&self.skipped[Skip::TooLarge as usize]),
                media: g(&self.skipped[Skip::Media as usize]),
                binary: g(&self.skipped[Skip::Binary as usize]),
                special: g(&self.skipped[Skip::Special as usize]),
                symlink: g(&self.skipped[Skip::Symlink as usize]),
                allowlisted: g(&self.skipped[Skip::Allowlisted as usize]),
            },
            unreadable: g(&self.unreadable),
            findings_over_cap: g(&self.findings_over_cap),
            sources: self.sources.snapshot(),
        }
    }
}

/// Skipped files by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SkipCounts {
    /// Larger than the size cap.
    pub too_large: u64,
    /// Media and font files.
    pub media: u64,
    /// Binary files under `--no-binary`.
    pub binary: u64,
    /// FIFOs, sockets, devices.
    pub special: u64,
    /// Symbolic links not followed.
    pub symlink: u64,
    /// Excluded by a path allowlist.
    pub allowlisted: u64,
}

impl SkipCounts {
    /// Total skipped.
    pub fn total(&self) -> u64 {
        self.too_large + self.media + self.binary + self.special + self.symlink + self.allowlisted
    }
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// Files (or blobs) scanned.
    pub files_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Binary files that were scanned as bytes.
    pub binary_files_scanned: u64,
    /// Files skipped, by reason.
    pub skipped: SkipCounts,
    /// Files or directories that could not be read.
    pub unreadable: u64,
    /// Findings not reported because their file had more than
    /// `--max-findings-per-file`.
    pub findings_over_cap: u64,
    /// What each expanded source (notebooks, archives, decoded values,
    /// UTF-16, env files, browser bundles) opened and contributed.
    pub sources: SourceCounts,
}

impl StatsSnapshot {
    /// What a scan could not read in full: unreadable files and archives
    /// whose reading a limit stopped. A scan with any cannot call the input
    /// clean.
    pub fn incomplete(&self) -> u64 {
        self.unreadable + self.sources.archives.stopped
    }
}

/// Counters of what the expansions opened, updated live by the scan driver.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// Notebooks scanned cell by cell.
    pub notebooks: AtomicU64,
    /// Files named like notebooks that did not parse.
    pub notebooks_malformed: AtomicU64,
    /// Archives opened (nested ones included).
    pub archives: AtomicU64,
    /// Archive entries scanned.
    pub archive_entries: AtomicU64,
    /// Archives whose reading was stopped by a limit.
    pub archives_stopped: AtomicU64,
    /// Base64 values decoded.
    pub decoded: AtomicU64,
    /// UTF-16 files transcoded.
    pub utf16: AtomicU64,
}

impl SourceStats {
    /// A snapshot; finding counts are filled in by the report summary.
    pub fn snapshot(&self) -> SourceCounts {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SourceCounts {
            notebooks: NotebookCount {
                scanned: g(&self.notebooks),
                malformed: g(&self.notebooks_malformed),
                findings: 0,
            },
            archives: ArchiveCount {
                scanned: g(&self.archives),
                entries: g(&self.archive_entries),
                stopped: g(&self.archives_stopped),
                findings: 0,
            },
            decoded: Count {
                scanned: g(&self.decoded),
                findings: 0,
            },
            utf16: Count {
                scanned: g(&self.utf16),
                findings: 0,
            },
            env_files: FindingCount { findings: 0 },
            bundles: FindingCount { findings: 0 },
        }
    }
}

/// Items scanned and findings contributed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Items opened (files, values).
    pub scanned: u64,
    /// Findings that came through this source.
    pub findings: u64,
}

/// Findings contributed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FindingCount {
    /// Findings that came through this source.
    pub findings: u64,
}

/// Notebooks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NotebookCount {
    /// Notebooks scanned cell by cell.
    pub scanned: u64,
    /// Notebooks that did not parse (scanned as plain text).
    pub malformed: u64,
    /// Findings in cells and outputs.
    pub findings: u64,
}

/// Archives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ArchiveCount {
    /// Archives opened, nested ones included.
    pub scanned: u64,
    /// Entries scanned.
    pub entries: u64,
    /// Archives stopped by a limit (zip bombs).
    pub stopped: u64,
    /// Findings inside archives.
    pub findings: u64,
}

/// What each source opened and contributed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SourceCounts {
    /// Jupyter notebooks.
    pub notebooks: NotebookCount,
    /// Archives.
    pub archives: ArchiveCount,
    /// Base64 values decoded.
    pub decoded: Count,
    /// UTF-16 files.
    pub utf16: Count,
    /// Committed env files and keys in example files.
    pub env_files: FindingCount,
    /// Keys in files shipped to browsers.
    pub bundles: FindingCount,
}

impl SourceCounts {
    /// Whether any source opened or found anything.
    pub fn is_empty(&self) -> bool {
        *self == SourceCounts::default()
    }
}
/// Whether the first 8 KiB hold a NUL byte (git's and ripgrep's test).
/// UTF-16 text with a byte-order mark is text, NUL bytes and all.
pub fn is_binary(bytes: &[u8]) -> bool {
    !crate::text::has_utf16_bom(bytes)
        && memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}

/// Media and font formats recognised by their magic bytes.
pub fn is_media_magic(b: &[u8]) -> bool {
    b.starts_with(b"\x89PNG\r\n\x1a\n")
        || b.starts_with(b"\xff\xd8\xff")
        || b.starts_with(b"GIF87a")
        || b.starts_with(b"GIF89a")
        || (b.len() >= 12 && &b[..4] == b"RIFF" && matches!(&b[8..12], b"WEBP" | b"WAVE" | b"AVI "))
        || b.starts_with(b"OggS")
        || b.starts_with(b"fLaC")
        || b.starts_with(b"ID3")
        || b.starts_with(b"wOFF")
        || b.starts_with(b"wOF2")
        || b.starts_with(b"OTTO")
        || b.starts_with(b"\x00\x01\x00\x00\x00")
        || (b.len() >= 12 && &b[4..8] == b"ftyp")
        || b.starts_with(b"\x1a\x45\xdf\xa3")
        || b.starts_with(b"BM") && b.len() > 14 && b[6..10] == [0, 0, 0, 0]
        || b.starts_with(b"II*\x00")
        || b.starts_with(b"MM\x00*")
        || b.starts_with(b"\x00\x00\x01\x00")
}

/// Media and font file extensions (lower case), skipped without reading.
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "psd", "heic",
    "avif", "mp3", "mp4", "m4a", "m4v", "wav", "ogg", "oga", "ogv", "flac", "aac", "opus", "avi",
    "mov", "mkv", "webm", "wmv", "flv", "mpg", "mpeg", "woff", "woff2", "ttf", "otf", "eot", "ttc",
];

/// Whether a path's extension is a known media or font format.
pub fn is_media_path(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| is_media_extension(e.as_encoded_bytes()))
}

/// Whether an extension (without its dot, any case) is a known media or
/// font format.
pub fn is_media_extension(ext: &[u8]) -> bool {
    MEDIA_EXTENSIONS
        .iter()
        .any(|m| m.as_bytes().eq_ignore_ascii_case(ext))
}
