//! Expansion: the file kinds whose secrets a plain byte scan misses or
//! misplaces, turned into child blobs the detector can read, each with what
//! it takes to map its positions back to the place a user can open.
//!
//! Expansions produce data and nothing else: they never run the detector,
//! warn, count or suppress. The scan driver ([`crate::scan`]) looks once at
//! a blob's path and first bytes ([`sniff`]); an ordinary file goes straight
//! to the detector, with no allocation and no second pass. Otherwise it
//! asks the expansion for the children:
//!
//! - UTF-16 text with a byte-order mark is transcoded to UTF-8 ([`utf16`]);
//!   lines are unchanged, so line numbers stay right.
//! - Jupyter notebooks ([`notebook`]): each cell's source and each output
//!   is decoded from its JSON strings, with a map from decoded offsets back
//!   to the file's.
//! - Archives ([`archive`]): zip (jar, whl, ...), tar, tar.gz and gzip are
//!   read entry by entry, within limits on depth, entries and uncompressed
//!   bytes.
//! - Encoded values ([`decode`]): matches of rules that carry a `handler`
//!   (HTTP Basic headers, Docker registry auths, Kubernetes Secret data)
//!   are not findings themselves: their base64 is decoded into a child
//!   whose findings are located at the encoded text.

pub mod archive;
pub mod decode;
pub mod notebook;
pub mod utf16;

/// Which expansions run, and the limits of archive reading.
#[derive(Debug, Clone)]
pub struct ExpandOptions {
    /// Read archives (zip, jar, whl, tar, tar.gz, gz) entry by entry.
    pub archives: bool,
    /// Deepest entry scanned: 1 reads the entries of the archive found on
    /// disk only, 2 also the entries of archives inside it, and so on.
    pub archive_depth: usize,
    /// Uncompressed bytes read from one archive on disk, nested ones included.
    pub archive_max_bytes: u64,
    /// Entries read from one archive on disk, nested ones included.
    pub archive_max_entries: u64,
    /// Scan Jupyter notebooks cell by cell.
    pub notebooks: bool,
    /// Decode base64 where secrets are stored encoded.
    pub decode: bool,
    /// Transcode UTF-16 text with a byte-order mark.
    pub utf16: bool,
    /// Report env files that git tracks.
    pub env_files: bool,
}

impl Default for ExpandOptions {
    fn default() -> Self {
        ExpandOptions {
            archives: true,
            archive_depth: 5,
            archive_max_bytes: 256 * 1024 * 1024,
            archive_max_entries: 100_000,
            notebooks: true,
            decode: true,
            utf16: true,
            env_files: true,
        }
    }
}

/// What a blob is, as far as expansion cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bytes to scan as they are.
    Plain,
    /// UTF-16 with a byte-order mark; `true` for big-endian.
    Utf16 {
        /// Big-endian.
        big_endian: bool,
    },
    /// A Jupyter notebook.
    Notebook,
    /// A zip archive (also jar, whl, apk, docx...).
    Zip,
    /// A tar archive.
    Tar,
    /// A gzip stream (a .tar.gz or a single compressed file).
    Gzip,
}

impl Kind {
    /// Whether this kind holds entries.
    pub fn is_archive(self) -> bool {
        matches!(self, Kind::Zip | Kind::Tar | Kind::Gzip)
    }
}

/// Classify a blob by its first bytes and its path. Cheap: a few byte
/// comparisons and one suffix test; reads nothing past the first 262 bytes
/// except for a path-less blob (git history) that starts like JSON.
pub fn sniff(path: &str, b: &[u8], o: &ExpandOptions) -> Kind {
    match b {
        [0xFF, 0xFE, ..] if o.utf16 => return Kind::Utf16 { big_endian: false },
        [0xFE, 0xFF, ..] if o.utf16 => return Kind::Utf16 { big_endian: true },
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] if o.archives => return Kind::Zip,
        [0x1F, 0x8B, ..] if o.archives => return Kind::Gzip,
        _ => {}
    }
    if o.archives && b.len() >= 263 && &b[257..262] == b"ustar" {
        return Kind::Tar;
    }
    if o.notebooks && (has_suffix(path, ".ipynb") || path.is_empty() && notebook::looks_like(b)) {
        return Kind::Notebook;
    }
    Kind::Plain
}

/// Whether a blob whose path is `path` and that starts with `head` is
/// expanded as a whole (an archive, a notebook, UTF-16 text), so that a
/// source must not hand it over in chunks.
pub fn needs_whole(path: &str, head: &[u8]) -> bool {
    sniff(path, head, &ExpandOptions::default()) != Kind::Plain
}

fn has_suffix(path: &str, suffix: &str) -> bool {
    path.len() >= suffix.len()
        && path.as_bytes()[path.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// How the offsets of a child blob map back to its parent's: the one
/// mechanism by which a finding in a child is located in the text a user
/// opens. (Archive entries and transcoded UTF-16 are located in themselves:
/// an entry is a file of its own, and transcoding keeps lines.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetMap {
    /// Every offset maps to one span of the parent: a decoded value is
    /// located at its encoded text.
    Whole {
        /// The span in the parent.
        start: usize,
        /// Its end (exclusive).
        end: usize,
    },
    /// Runs of bytes map linearly: (child offset, parent offset) at the
    /// start of each run, sorted (a notebook string, where each escape is a
    /// run of its own).
    Runs(Vec<(usize, usize)>),
}

impl Default for OffsetMap {
    fn default() -> Self {
        OffsetMap::Runs(Vec::new())
    }
}

impl OffsetMap {
    /// The parent span of the child span `[start, end)`.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        match self {
            OffsetMap::Whole { start: s, end: e } => (*s, *e),
            OffsetMap::Runs(runs) => {
                let at = |d: usize| {
                    let i = runs.partition_point(|r| r.0 <= d).saturating_sub(1);
                    runs.get(i).map_or(0, |&(c, p)| p + (d - c))
                };
                let s = at(start);
                // The end maps from the last byte of the span, so that a
                // span ending just before an escape does not take it.
                let e = if end == 0 { at(0) } else { at(end - 1) + 1 };
                (s, e.max(s))
            }
        }
    }

    /// Record that child offset `child` maps to parent offset `parent` from
    /// here on (building a [`OffsetMap::Runs`] map, in order).
    pub fn mark(&mut self, child: usize, parent: usize) {
        if let OffsetMap::Runs(runs) = self {
            match runs.last_mut() {
                Some(last) if last.0 == child => last.1 = parent,
                _ => runs.push((child, parent)),
            }
        }
    }
}

/// Bounds on the decoding work done for one blob.
#[derive(Debug)]
pub struct DecodeBudget {
    /// Values that may still be decoded.
    pub values: u32,
    /// Decoded bytes that may still be produced.
    pub bytes: usize,
    /// Encoded values already decoded (by address), so that a manifest
    /// holding several Secrets decodes each value once.
    pub seen: Vec<usize>,
}

impl Default for DecodeBudget {
    fn default() -> Self {
        DecodeBudget {
            values: decode::MAX_VALUES,
            bytes: decode::MAX_BYTES,
            seen: Vec::new(),
        }
    }
}

/// Whether `pos` lies in one of the sorted, disjoint `spans`.
pub fn in_spans(spans: &[(usize, usize)], pos: usize) -> bool {
    let i = spans.partition_point(|s| s.1 <= pos);
    spans.get(i).is_some_and(|s| s.0 <= pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_kinds_cheaply() {
        let o = ExpandOptions::default();
        assert_eq!(sniff("a.txt", b"hello", &o), Kind::Plain);
        assert_eq!(sniff("a.txt", b"", &o), Kind::Plain);
        assert_eq!(
            sniff("a.ps1", b"\xff\xfea\0", &o),
            Kind::Utf16 { big_endian: false }
        );
        assert_eq!(
            sniff("a", b"\xfe\xff\0a", &o),
            Kind::Utf16 { big_endian: true }
        );
        assert_eq!(sniff("x.bin", b"PK\x03\x04....", &o), Kind::Zip);
        assert_eq!(sniff("x.bin", b"\x1f\x8b\x08", &o), Kind::Gzip);
        let mut tar = vec![0u8; 600];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff("x", &tar, &o), Kind::Tar);
        assert_eq!(sniff("n/A.IPYNB", b"{}", &o), Kind::Notebook);
        let off = ExpandOptions {
            archives: false,
            notebooks: false,
            utf16: false,
            ..o
        };
        assert_eq!(sniff("x.ipynb", b"PK\x03\x04", &off), Kind::Plain);
        assert_eq!(sniff("x", b"\xff\xfe", &off), Kind::Plain);
    }

    #[test]
    fn offset_maps() {
        let whole = OffsetMap::Whole { start: 10, end: 30 };
        assert_eq!(whole.span(0, 5), (10, 30));
        // "ab\"cd" in the file (at 100) decodes to `ab"cd`: the escape is a
        // run of its own.
        let mut runs = OffsetMap::default();
        runs.mark(0, 100);
        runs.mark(2, 102);
        runs.mark(3, 104);
        assert_eq!(runs.span(0, 2), (100, 102));
        assert_eq!(runs.span(3, 5), (104, 106));
        // A span ending at the escape does not take it; one through it does.
        assert_eq!(runs.span(1, 2), (101, 102));
        assert_eq!(runs.span(1, 4), (101, 105));
    }

    #[test]
    fn spans_lookup() {
        let spans = [(2, 5), (10, 12)];
        assert!(!in_spans(&spans, 1));
        assert!(in_spans(&spans, 2));
        assert!(in_spans(&spans, 4));
        assert!(!in_spans(&spans, 5));
        assert!(in_spans(&spans, 11));
        assert!(!in_spans(&spans, 12));
        assert!(!in_spans(&[], 0));
    }
}
