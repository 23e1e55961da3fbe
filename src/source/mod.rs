//! Sources: where the bytes to scan come from (the file tree, standard
//! input; git history and the staged index later).
//!
//! Sources know nothing of rules or output. They hand each blob's bytes and
//! its display path to a visitor, and count what they skip and why.

pub mod fs;
pub mod git;
pub mod staged;

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

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
    /// What archives, notebooks, decoding and UTF-16 opened.
    pub sources: crate::expand::SourceStats,
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
    /// What each expanded source (notebooks, archives, decoded values,
    /// UTF-16, env files, browser bundles) opened and contributed.
    pub sources: crate::expand::SourceCounts,
}

/// Whether the first 8 KiB hold a NUL byte (git's and ripgrep's test).
/// UTF-16 text with a byte-order mark is text, NUL bytes and all.
pub fn is_binary(bytes: &[u8]) -> bool {
    !crate::expand::utf16::has_bom(bytes)
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
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA_EXTENSIONS.iter().any(|m| m.eq_ignore_ascii_case(e)))
}
