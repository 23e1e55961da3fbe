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
mod ignore_rules;
pub mod repos;
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
///
/// Media (images, audio, video, fonts) are skipped, decided by content:
/// by magic bytes when the rest of the header is consistent with that
/// format, or by a media name when the bytes are not text. A name alone
/// never skips text, nor do magic bytes at the start of text. Only the
/// first [`HEAD`] bytes are looked at, so a source can decide from the
/// head of a large file without reading the rest.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    /// Larger blobs are skipped.
    pub max_size: u64,
    /// Skip every binary blob.
    pub skip_binary: bool,
}

/// The bytes [`Admission::by_content`] looks at: a blob's first 8 KiB.
pub const HEAD: usize = 8192;

impl Admission {
    /// By its size, before it is read: a blob over the cap is skipped.
    pub fn by_size(&self, size: u64) -> Result<(), Skip> {
        if size > self.max_size {
            return Err(Skip::TooLarge);
        }
        Ok(())
    }

    /// By its first bytes (`head`, of which the first [`HEAD`] count) and
    /// its name when it has one: media, and binary blobs under
    /// `--no-binary`, are skipped. `Ok(binary)`.
    pub fn by_content(&self, name: Option<&str>, head: &[u8]) -> Result<bool, Skip> {
        let head = &head[..head.len().min(HEAD)];
        if is_media_magic(head)
            || (name.is_some_and(|n| is_media_path(std::path::Path::new(n)))
                && !looks_like_text(head))
        {
            return Err(Skip::Media);
        }
        let binary = is_binary(head);
        if binary && self.skip_binary {
            return Err(Skip::Binary);
        }
        Ok(binary)
    }

    /// Every check on a blob already in memory (`name`: its path, when it
    /// has one).
    pub fn check(&self, name: Option<&str>, bytes: &[u8]) -> Result<bool, Skip> {
        self.by_size(bytes.len() as u64)?;
        self.by_content(name, bytes)
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
    /// Findings so far that the filter stage keeps (for progress display,
    /// so that its last count is the summary's; a history scan counts its
    /// blobs' detections before they are placed and grouped).
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
        && memchr::memchr(0, &bytes[..bytes.len().min(HEAD)]).is_some()
}

/// Whether the first 8 KiB read as text: UTF-16 with a byte-order mark,
/// or no NUL byte and either valid UTF-8 (a character cut at the end
/// aside) or at most 1 in 20 bytes a control character (text in a legacy
/// 8-bit encoding).
pub fn looks_like_text(bytes: &[u8]) -> bool {
    let b = &bytes[..bytes.len().min(HEAD)];
    if crate::text::has_utf16_bom(b) {
        return true;
    }
    if memchr::memchr(0, b).is_some() {
        return false;
    }
    match std::str::from_utf8(b) {
        Ok(_) => return true,
        Err(e) if e.error_len().is_none() => return true,
        Err(_) => {}
    }
    let control = b
        .iter()
        .filter(|&&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || c == 0x7f)
        .count();
    control * 20 <= b.len()
}

/// Media and font formats recognised by their magic bytes: the magic, the
/// rest of the header consistent with the format's specification, and
/// bytes that do not read as text.
pub fn is_media_magic(b: &[u8]) -> bool {
    let b = &b[..b.len().min(HEAD)];
    media_header(b) && !looks_like_text(b)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A four-character code: ASCII letters, digits, spaces and a few signs.
fn is_fourcc(b: &[u8]) -> bool {
    b.len() == 4 && b.iter().all(|&c| (0x20..0x7f).contains(&c))
}

/// Whether `b` starts with the header of a media or font format.
fn media_header(b: &[u8]) -> bool {
    let is = |format: fn(&[u8]) -> Option<bool>| format(b).unwrap_or(false);
    match b.first() {
        Some(0x89) => is(png),
        Some(0xff) => is(jpeg),
        Some(b'G') => is(gif),
        Some(b'R') => is(riff),
        Some(b'O') => is(ogg) || is(sfnt),
        Some(b'f') => is(flac),
        Some(b'I') => is(id3) || is(tiff),
        Some(b'M') => is(tiff),
        Some(b'w') => is(woff),
        Some(0x00) => is(sfnt) || is(ico) || is(ftyp),
        Some(0x1a) => is(ebml),
        Some(b'B') => is(bmp),
        Some(_) => is(ftyp),
        None => false,
    }
}

/// PNG: the full signature, then a chunk (length under 2^31, a type of
/// four letters: IHDR, or CgBI for Apple's variant).
fn png(b: &[u8]) -> Option<bool> {
    Some(
        b.starts_with(b"\x89PNG\r\n\x1a\n")
            && *b.get(8)? < 0x80
            && b.get(12..16)?.iter().all(u8::is_ascii_alphabetic),
    )
}

/// JPEG: start of image, then a marker (FF C0..FE).
fn jpeg(b: &[u8]) -> Option<bool> {
    Some(b.starts_with(b"\xff\xd8\xff") && *b.get(3)? >= 0xc0)
}

/// GIF87a/89a: the logical screen descriptor, the global colour table if
/// it has one, then an extension (21 with label 01, F9, FE or FF) or an
/// image descriptor (2C, its local colour table, an LZW code size 2..8).
fn gif(b: &[u8]) -> Option<bool> {
    if !(b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")) {
        return Some(false);
    }
    let table = |packed: u8| {
        if packed & 0x80 != 0 {
            3usize << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let at = 13 + table(*b.get(10)?);
    Some(match *b.get(at)? {
        0x21 => matches!(*b.get(at + 1)?, 0x01 | 0xf9 | 0xfe | 0xff),
        0x2c => {
            let lzw = at + 10 + table(*b.get(at + 9)?);
            (2..=8).contains(b.get(lzw)?)
        }
        _ => false,
    })
}

/// RIFF: WAVE, AVI or WebP, a size that holds the form type, then a
/// chunk with a four-character code.
fn riff(b: &[u8]) -> Option<bool> {
    Some(
        b.starts_with(b"RIFF")
            && matches!(b.get(8..12)?, b"WEBP" | b"WAVE" | b"AVI ")
            && le32(b, 4)? >= 4
            && is_fourcc(b.get(12..16)?),
    )
}

/// Ogg: stream structure version 0, header type flags within 0..7.
fn ogg(b: &[u8]) -> Option<bool> {
    Some(b.starts_with(b"OggS") && *b.get(4)? == 0 && *b.get(5)? & !7 == 0 && b.len() >= 27)
}

/// FLAC: the first metadata block is STREAMINFO (type 0), 34 bytes long.
fn flac(b: &[u8]) -> Option<bool> {
    Some(b.starts_with(b"fLaC") && *b.get(4)? & 0x7f == 0 && b.get(5..8)? == [0, 0, 0x22])
}

/// ID3v2: major version 2 to 4, revision below FF, only the flags the
/// version defines, and a syncsafe size (each byte below 80).
fn id3(b: &[u8]) -> Option<bool> {
    if !b.starts_with(b"ID3") {
        return Some(false);
    }
    let undefined_flags = match *b.get(3)? {
        2 => 0x3f,
        3 => 0x1f,
        4 => 0x0f,
        _ => return Some(false),
    };
    Some(
        *b.get(4)? != 0xff
            && *b.get(5)? & undefined_flags == 0
            && b.get(6..10)?.iter().all(|&c| c < 0x80),
    )
}

/// TrueType (00 01 00 00) or OpenType/CFF (OTTO): 1 to 1024 tables, whose
/// records (as many as the head holds) have a four-character tag and an
/// offset past the table directory.
fn sfnt(b: &[u8]) -> Option<bool> {
    if !(b.starts_with(b"\x00\x01\x00\x00") || b.starts_with(b"OTTO")) {
        return Some(false);
    }
    let n = be16(b, 4)? as usize;
    if !(1..=1024).contains(&n) {
        return Some(false);
    }
    let dir_end = 12 + 16 * n;
    let records = n.min(b.len().saturating_sub(12) / 16);
    Some(
        records > 0
            && (0..records).all(|i| {
                let r = 12 + 16 * i;
                is_fourcc(&b[r..r + 4]) && be32(b, r + 8).is_some_and(|o| o as usize >= dir_end)
            }),
    )
}

/// WOFF and WOFF2: 1 to 1024 tables, the reserved field zero, a length
/// that holds the header.
fn woff(b: &[u8]) -> Option<bool> {
    let header = if b.starts_with(b"wOFF") {
        44
    } else if b.starts_with(b"wOF2") {
        48
    } else {
        return Some(false);
    };
    Some(
        b.len() >= header
            && be32(b, 8)? >= header as u32
            && (1..=1024).contains(&be16(b, 12)?)
            && be16(b, 14)? == 0,
    )
}

/// ISO base media (MP4, MOV, M4A, HEIF, AVIF): an `ftyp` box of 16 to
/// 4096 bytes, a multiple of 4, with a four-character major brand.
fn ftyp(b: &[u8]) -> Option<bool> {
    let size = be32(b, 0)?;
    Some(
        b.get(4..8)? == b"ftyp"
            && (16..=4096).contains(&size)
            && size % 4 == 0
            && is_fourcc(b.get(8..12)?),
    )
}

/// Matroska and WebM: the EBML magic, and the document type within the
/// EBML header.
fn ebml(b: &[u8]) -> Option<bool> {
    let head = b.get(..b.len().min(64))?;
    Some(
        head.starts_with(b"\x1a\x45\xdf\xa3")
            && (memchr::memmem::find(head, b"webm").is_some()
                || memchr::memmem::find(head, b"matroska").is_some()),
    )
}

/// BMP: reserved fields zero, and a DIB header of a known size.
fn bmp(b: &[u8]) -> Option<bool> {
    Some(
        b.starts_with(b"BM")
            && b.get(6..10)? == [0, 0, 0, 0]
            && matches!(le32(b, 14)?, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124),
    )
}

/// TIFF: byte order, 42, and the first directory past the header.
fn tiff(b: &[u8]) -> Option<bool> {
    Some(if b.starts_with(b"II*\x00") {
        le32(b, 4)? >= 8
    } else if b.starts_with(b"MM\x00*") {
        be32(b, 4)? >= 8
    } else {
        false
    })
}

/// ICO: 1 to 256 images, the first entry's reserved byte zero, 0 or 1
/// planes, a known bit depth.
fn ico(b: &[u8]) -> Option<bool> {
    Some(
        b.starts_with(b"\x00\x00\x01\x00")
            && (1..=256).contains(&le16(b, 4)?)
            && *b.get(9)? == 0
            && le16(b, 10)? <= 1
            && matches!(le16(b, 12)?, 0 | 1 | 2 | 4 | 8 | 16 | 24 | 32),
    )
}

/// Media and font file extensions (lower case): a file named so is
/// skipped unless its bytes read as text.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn admission() -> Admission {
        Admission {
            max_size: 1 << 20,
            skip_binary: false,
        }
    }

    #[test]
    fn text_that_starts_like_media_is_text() {
        for magic in [
            "ID3",
            "ID3\u{3}",
            "OTTO",
            "GIF89a",
            "GIF87a",
            "OggS",
            "fLaC",
            "wOFF",
            "wOF2",
            "RIFF",
            "BM",
            "II*",
            "\u{1a}E",
            "\u{89}PNG",
        ] {
            for rest in [
                "",
                " notes: token=abc\n",
                "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
            ] {
                let text = format!("{magic}{rest}");
                assert!(!is_media_magic(text.as_bytes()), "{text:?}");
                assert_eq!(
                    admission().by_content(Some("a.txt"), text.as_bytes()),
                    Ok(false)
                );
            }
        }
        // A signature with nothing consistent after it.
        assert!(!is_media_magic(b"\x89PNG\r\n\x1a\nnot a chunk"));
        assert!(!is_media_magic(b"OggS\x01\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"));
        assert!(!is_media_magic(b"fLaC\x84\x00\x00\x22"));
        assert!(!is_media_magic(b"ID3\x05\x00\x00\x00\x00\x00\x0a"));
        assert!(!is_media_magic(b"ID3\x03\x00\x01\x00\x00\x00\x0a"));
        assert!(!is_media_magic(b"ID3\x03\x00\x00\x00\x80\x00\x0a"));
        assert!(!is_media_magic(
            b"wOFF\x00\x01\x00\x00\x00\x00\x04\x00\x00\x0a\x00\x01"
        ));
        assert!(!is_media_magic(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"));
    }

    #[test]
    fn text_named_like_media_is_text_binary_is_media() {
        let a = admission();
        assert_eq!(a.by_content(Some("logo.png"), b"token=abc\n"), Ok(false));
        assert_eq!(
            a.by_content(Some("x/y.JPG"), b"caf\xe9 cr\xe8me\n"),
            Ok(false)
        );
        assert_eq!(a.by_content(Some("a.woff"), b""), Ok(false));
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend("k=v\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(a.by_content(Some("a.png"), &utf16), Ok(false));
        assert_eq!(
            a.by_content(Some("a.psd"), b"8BPS\x00\x01\x00\x00"),
            Err(Skip::Media)
        );
        assert_eq!(
            a.by_content(
                Some("a.mp3"),
                b"\xff\xfb\x90\x64\x01\x02\x03\x04\x05\x06\x07\x08"
            ),
            Err(Skip::Media)
        );
        // The same bytes under another name are binary, not media.
        assert_eq!(
            a.by_content(Some("a.bin"), b"8BPS\x00\x01\x00\x00"),
            Ok(true)
        );
        assert_eq!(a.by_content(None, b"8BPS\x00\x01\x00\x00"), Ok(true));
    }

    #[test]
    fn only_the_head_decides() {
        // A NUL past the head does not make a text file binary or media.
        let mut text = vec![b'a'; HEAD];
        text.extend_from_slice(b"\x00\x00");
        assert!(looks_like_text(&text));
        assert_eq!(admission().by_content(Some("a.png"), &text), Ok(false));
        // A UTF-8 character cut by the end of the head is still text.
        let mut cut = vec![b'a'; HEAD - 1];
        cut.extend_from_slice("é".as_bytes());
        assert!(looks_like_text(&cut));
        assert!(!looks_like_text(b"a\x01\x02\x03\x04\x05\x06\x07\x08\xff"));
    }
}
