//! Expansion: the file kinds whose secrets a plain byte scan misses or
//! misplaces, turned into text the detector can read, with every position
//! mapped back to the place a user can open.
//!
//! [`scan_blob`] is what [`Worker::scan`](crate::scan::Worker::scan) runs for
//! every blob of every source. It looks once at the path and the first
//! bytes ([`sniff`]); an ordinary file goes straight to the detector, with
//! no allocation and no second pass. Otherwise:
//!
//! - UTF-16 text with a byte-order mark is transcoded to UTF-8 ([`utf16`]);
//!   lines are unchanged, so line numbers stay right.
//! - Jupyter notebooks ([`notebook`]): each cell's source and each output
//!   is decoded from its JSON strings and scanned as the text the user
//!   sees; a finding reports the file line and the cell and line in the cell.
//! - Archives ([`archive`]): zip (jar, whl, ...), tar, tar.gz and gzip are
//!   read entry by entry, within limits on depth, entries and uncompressed
//!   bytes; a finding's path is `outer.zip!inner/path`.
//! - Encoded values ([`decode`]): matches of rules that carry a `handler`
//!   (HTTP Basic headers, Docker registry auths, Kubernetes Secret data) are
//!   not findings themselves: their base64 is decoded and scanned, and a
//!   finding inside is located at the encoded text.
//!
//! Findings then get notes on where they sit ([`path_notes`]): env example
//! files, and assets shipped to browsers. Tracked env files are a finding of
//! their own ([`envfile`]).
//!
//! This module never prints: warnings go to the worker's event sink, counts
//! to [`SourceStats`].

pub mod archive;
pub mod decode;
pub mod envfile;
pub mod notebook;
pub mod utf16;

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::filter;
use crate::finding::Finding;
use crate::scan::Worker;
use crate::source::fs::ChunkPos;

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

fn has_suffix(path: &str, suffix: &str) -> bool {
    path.len() >= suffix.len()
        && path.as_bytes()[path.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// A match on its way to becoming a finding, in the coordinates of the
/// text it is reported against.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Rule index in the detector's rule set.
    pub rule: usize,
    /// Byte span reported (for a decoded secret: the encoded text).
    pub start: usize,
    /// End of the span (exclusive).
    pub end: usize,
    /// The secret, when it is not the bytes of the span (decoded values,
    /// notebook strings with escapes).
    pub secret: Option<Vec<u8>>,
    /// Shannon entropy of the secret.
    pub entropy: f64,
    /// Whether the rule's structural check verified it.
    pub verified: bool,
    /// Length of the secret's recognisable prefix.
    pub prefix_len: usize,
    /// How it was found (outermost first).
    pub notes: Vec<String>,
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

/// Scan one blob of a source: expand it if its kind asks for it, else run
/// the detector on it as it is.
pub fn scan_blob(w: &mut Worker<'_>, path: &str, bytes: &[u8]) {
    let kind = sniff(path, bytes, &w.engine().options().expand);
    if kind.is_archive() {
        archive::scan(w, path, bytes, kind);
    } else {
        scan_leaf(w, path, bytes, kind, &[]);
    }
}

/// Scan a blob that is not an archive; `notes` are added to its findings
/// (e.g. where an archive entry came from).
pub fn scan_leaf(w: &mut Worker<'_>, path: &str, bytes: &[u8], kind: Kind, notes: &[String]) {
    match kind {
        Kind::Utf16 { big_endian } => {
            let text = utf16::to_utf8(bytes, big_endian);
            w.source_stats(|s| &s.utf16);
            let mut all = notes.to_vec();
            all.push(format!(
                "{DECODED_UTF16}{}",
                if big_endian { "BE" } else { "LE" }
            ));
            scan_text(w, path, &text, &all);
            // The bytes as they are, too: FF FE or FE FF may open a file that
            // is not UTF-16 at all, and must not hide its keys. (The raw bytes
            // of real UTF-16 text interleave NULs with ASCII, so no rule
            // matches them twice.)
            scan_text(w, path, bytes, notes);
        }
        Kind::Notebook => {
            if let Err(e) = notebook::scan(w, path, bytes, notes) {
                w.source_stats(|s| &s.notebooks_malformed);
                w.warn(format!(
                    "{}: not a valid notebook ({e}); scanned as plain text",
                    display(path)
                ));
                scan_text(w, path, bytes, notes);
            }
        }
        _ => scan_text(w, path, bytes, notes),
    }
}

/// Run the detector on `hay`, expand what the handler rules matched, and
/// turn the hits into findings located in `hay`.
pub fn scan_text(w: &mut Worker<'_>, path: &str, hay: &[u8], notes: &[String]) {
    let mut hits = Vec::new();
    collect_hits(w, hay, 0, &mut DecodeBudget::default(), &[], &mut hits);
    if !hits.is_empty() {
        w.emit(path, hay, hits, notes, ChunkPos::whole(hay.len()));
    }
}

/// Run the detector on `hay` and append its hits. Matches of handler rules
/// are expanded (decoded and scanned) instead; `level` counts the decodings
/// around `hay`. Matches that start inside a `skip` span are dropped (sorted
/// spans of text scanned another way).
pub fn collect_hits(
    w: &mut Worker<'_>,
    hay: &[u8],
    level: u32,
    budget: &mut DecodeBudget,
    skip: &[(usize, usize)],
    out: &mut Vec<Hit>,
) {
    let mut matches = std::mem::take(&mut w.matches);
    matches.clear();
    let engine = w.engine();
    engine.detector().detect(hay, &mut w.scratch, &mut matches);
    let rules = engine.detector().rules().rules();
    let inline = engine.options().inline_allow;
    let decoding = engine.options().expand.decode;
    let first = out.len();
    let mut decoded = false;
    for m in &matches {
        if !skip.is_empty() && in_spans(skip, m.start) {
            continue;
        }
        let rule = &rules[m.rule];
        match rule.spec.handler {
            None => {
                if inline && filter::inline::is_allowed(hay, m.start, m.end, rule.id()) {
                    w.suppressed += 1;
                    continue;
                }
                out.push(Hit {
                    rule: m.rule,
                    start: m.start,
                    end: m.end,
                    secret: None,
                    entropy: m.entropy,
                    verified: m.verified,
                    prefix_len: m.prefix_len,
                    notes: Vec::new(),
                });
            }
            Some(h) if decoding && level < decode::MAX_LEVEL => {
                let name = &rule.spec.name;
                let before = out.len();
                decode::expand(w, h, hay, m.start, m.end, level, budget, out, name);
                decoded |= out.len() > before;
            }
            Some(_) => {}
        }
    }
    if decoded {
        // A generic rule that matched the encoded text (`token: <base64>`)
        // yields to what was found inside it.
        let spans: Vec<(usize, usize)> = out[first..]
            .iter()
            .filter(|h| h.secret.is_some() && !h.notes.is_empty())
            .map(|h| (h.start, h.end))
            .collect();
        let mut i = first;
        while i < out.len() {
            let h = &out[i];
            if h.secret.is_none()
                && rules[h.rule].spec.generic
                && spans.iter().any(|&(s, e)| h.start < e && s < h.end)
            {
                out.remove(i);
            } else {
                i += 1;
            }
        }
    }
    matches.clear();
    w.matches = matches;
}

/// Whether `pos` lies in one of the sorted, disjoint `spans`.
pub fn in_spans(spans: &[(usize, usize)], pos: usize) -> bool {
    let i = spans.partition_point(|s| s.1 <= pos);
    spans.get(i).is_some_and(|s| s.0 <= pos)
}

/// The path as shown in warnings (`<blob>` for git history blobs).
pub fn display(path: &str) -> &str {
    if path.is_empty() {
        "<blob>"
    } else {
        path
    }
}

// Note texts. Their first words are how the summary tells which source a
// finding came from (see `Source::of`).
/// Prefix of a notebook cell note.
pub const NOTEBOOK_CELL: &str = "notebook cell";
/// Prefix of an archive note.
pub const INSIDE_ARCHIVE: &str = "inside archive";
/// Prefix of a base64 note.
pub const DECODED_BASE64: &str = "decoded from base64";
/// Prefix of a UTF-16 note.
pub const DECODED_UTF16: &str = "decoded from UTF-16";
/// Prefix of a browser note.
pub const SHIPPED: &str = "shipped to browsers";
/// Prefix of an example-file note.
pub const EXAMPLE_FILE: &str = "example file";

/// Notes that follow from a finding's path alone: an example file, an asset
/// shipped to browsers. `line` is the line holding the secret (a minified
/// bundle is told by its long lines).
pub fn path_notes(path: &str, line: &[u8], out: &mut Vec<String>) {
    // Inside an archive, the entry's own path decides.
    let inner = path.rsplit('!').next().unwrap_or(path);
    let name = inner.rsplit('/').next().unwrap_or(inner);
    if envfile::is_example_name(name) {
        out.push(format!(
            "{EXAMPLE_FILE}: example files must hold placeholders, not real keys; \
             put a placeholder here and rotate the key"
        ));
    }
    if let Some(what) = browser_asset(inner, name, line) {
        out.push(format!(
            "{SHIPPED} ({what}): anyone who loads the site can read it"
        ));
    }
}

/// Whether a file is served to browsers, and as what.
fn browser_asset(path: &str, name: &str, line: &[u8]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".js.map") || lower.ends_with(".mjs.map") || lower.ends_with(".css.map") {
        return Some("source map");
    }
    let js = [".js", ".mjs", ".cjs"].iter().any(|e| lower.ends_with(e));
    if js {
        let stem = &lower[..lower.rfind('.').unwrap_or(0)];
        let hashed = stem
            .rsplit(['.', '-'])
            .next()
            .is_some_and(|h| h.len() >= 8 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if [".min", ".bundle", ".chunk", ".prod"]
            .iter()
            .any(|m| stem.contains(m))
            || hashed
            || line.len() > 1000
        {
            return Some("built bundle");
        }
    }
    let mut dirs = path.split('/').rev().skip(1);
    if dirs.any(|d| matches!(d, "public" | "static" | "dist" | "_next" | "wwwroot")) {
        return Some(if js { "built bundle" } else { "public asset" });
    }
    None
}

/// The sources of findings that the summary counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A notebook cell or output.
    Notebook,
    /// An archive entry.
    Archive,
    /// A decoded base64 value.
    Decoded,
    /// UTF-16 text.
    Utf16,
    /// A committed env file, or a key in an example file.
    EnvFile,
    /// A file shipped to browsers.
    Bundle,
}

impl Source {
    /// Every source a finding went through.
    pub fn of(f: &Finding) -> impl Iterator<Item = Source> + '_ {
        let env = (f.rule_id == envfile::RULE_ID).then_some(Source::EnvFile);
        env.into_iter().chain(f.notes.iter().filter_map(|n| {
            Some(if n.starts_with(NOTEBOOK_CELL) {
                Source::Notebook
            } else if n.starts_with(INSIDE_ARCHIVE) {
                Source::Archive
            } else if n.starts_with(DECODED_BASE64) {
                Source::Decoded
            } else if n.starts_with(DECODED_UTF16) {
                Source::Utf16
            } else if n.starts_with(EXAMPLE_FILE) {
                Source::EnvFile
            } else if n.starts_with(SHIPPED) {
                Source::Bundle
            } else {
                return None;
            })
        }))
    }
}

/// Counters of what the expansions opened, updated live by the workers.
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
    /// A snapshot; finding counts are filled in by [`SourceCounts::count`].
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
    /// Set the finding counts from the findings finally reported.
    pub fn count(&mut self, findings: &[Finding]) {
        self.notebooks.findings = 0;
        self.archives.findings = 0;
        self.decoded.findings = 0;
        self.utf16.findings = 0;
        self.env_files.findings = 0;
        self.bundles.findings = 0;
        for f in findings {
            let mut seen = [false; 6];
            for s in Source::of(f) {
                if std::mem::replace(&mut seen[s as usize], true) {
                    continue;
                }
                match s {
                    Source::Notebook => self.notebooks.findings += 1,
                    Source::Archive => self.archives.findings += 1,
                    Source::Decoded => self.decoded.findings += 1,
                    Source::Utf16 => self.utf16.findings += 1,
                    Source::EnvFile => self.env_files.findings += 1,
                    Source::Bundle => self.bundles.findings += 1,
                }
            }
        }
    }

    /// Whether any source opened or found anything.
    pub fn is_empty(&self) -> bool {
        *self == SourceCounts::default()
    }
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

    #[test]
    fn browser_assets() {
        let b = |p: &str, line: &[u8]| {
            let name = p.rsplit('/').next().unwrap();
            browser_asset(p, name, line)
        };
        assert_eq!(b("web/app.min.js", b""), Some("built bundle"));
        assert_eq!(b("web/main.3f2a1b9c.js", b""), Some("built bundle"));
        assert_eq!(b("web/app.js.map", b""), Some("source map"));
        assert_eq!(b("site/public/config.json", b""), Some("public asset"));
        assert_eq!(b("dist/index.js", b""), Some("built bundle"));
        assert_eq!(b("src/app.js", &[b'a'; 2000]), Some("built bundle"));
        assert_eq!(b("src/app.js", b"const x = 1;"), None);
        assert_eq!(b("src/static.py", b""), None);
        assert_eq!(b("public", b""), None);
    }

    #[test]
    fn example_and_bundle_notes() {
        let mut n = Vec::new();
        path_notes("cfg/.env.example", b"", &mut n);
        assert!(n[0].starts_with(EXAMPLE_FILE), "{n:?}");
        n.clear();
        path_notes("web.zip!dist/app.js", b"", &mut n);
        assert!(n[0].starts_with(SHIPPED), "{n:?}");
        n.clear();
        path_notes("src/main.rs", b"", &mut n);
        assert!(n.is_empty());
    }
}
