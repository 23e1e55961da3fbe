//! The scan driver: sources → expansions → detector → findings → filters.
//!
//! Sources hand [`Blob`]s to a [`Worker`] (one per thread). The worker walks
//! each blob's tree of children depth-first: it asks [`crate::expand`] for
//! a blob's children (archive entries, notebook cells, transcoded UTF-16,
//! decoded values), runs the [`Detector`] on each text, maps every span
//! back to the blob it is located in, and records a [`Detection`] with the
//! typed [`Layer`]s it was found through. Expansions only produce data;
//! this module is the one place that scans, warns and counts.
//!
//! A detection becomes a [`Finding`] once its blob has a place (at once for
//! a file, after attribution for git history: see [`history`]), and every
//! finding of a scan then goes through the one filter stage
//! ([`crate::filter::Filter`]) in [`Engine::finish`].

pub mod history;
pub mod staged;
pub mod tree;

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::detect::{Detector, Match, Scratch};
use crate::expand::{self, archive, decode, notebook, utf16, DecodeBudget, Kind, OffsetMap};
use crate::filter::{self, Filter};
use crate::finding::{self, remark, Detection, Finding, Layer, Place, Remark};
use crate::rules::checks::Verdict;
use crate::rules::{Handler, Severity};
use crate::source::fs::{self, WalkOptions};
use crate::source::{Admission, Blob, ChunkPos, Events, Origin, Stats, StatsSnapshot};
use crate::text::{line_at, Locator};

/// Options that shape a scan (beyond the rule set and configuration).
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// How to walk file trees.
    pub walk: WalkOptions,
    /// Honour inline `keyscan:allow` comments.
    pub inline_allow: bool,
    /// Archives, notebooks, encoded values, UTF-16, env files.
    pub expand: crate::expand::ExpandOptions,
    /// Print secrets in full: commit messages, paths and labels are not
    /// masked either.
    pub show_secrets: bool,
    /// Findings reported per file (or blob) at most, 0 for no cap; the
    /// rest are counted and told, so that a file of generated credentials
    /// cannot make memory grow without bound.
    pub max_findings_per_file: usize,
    /// Findings of a lower confidence are not reported (counted as
    /// suppressed).
    pub min_confidence: crate::rules::Confidence,
    /// History scans: also scan blobs that no ref reaches.
    pub unreachable: bool,
}

/// The default of [`ScanOptions::max_findings_per_file`].
pub const MAX_FINDINGS_PER_FILE: usize = 10_000;

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            walk: WalkOptions::default(),
            inline_allow: true,
            expand: Default::default(),
            show_secrets: false,
            max_findings_per_file: MAX_FINDINGS_PER_FILE,
            min_confidence: crate::rules::Confidence::Low,
            unreachable: false,
        }
    }
}

/// Findings plus the counters of the scan that produced them.
#[derive(Debug, Clone, Default)]
pub struct ScanOutcome {
    /// Findings, sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// What was scanned and skipped.
    pub stats: StatsSnapshot,
    /// Findings suppressed by the filter stage.
    pub suppressed: u64,
    /// The masks of every secret detected, for warnings that may hold one
    /// (empty under `--show-secrets`).
    pub masks: crate::finding::Masks,
    /// Wall time.
    pub elapsed: Duration,
}

/// The scanning engine: the detector, the configuration, the options and
/// the filter stage they make.
#[derive(Debug, Clone)]
pub struct Engine {
    detector: Detector,
    config: Config,
    options: ScanOptions,
    filter: Filter,
}

/// Per-thread state of a scan: the detector's scratch space and the
/// detections of the blobs scanned so far.
pub struct Worker<'e> {
    engine: &'e Engine,
    scratch: Scratch,
    matches: Vec<Match>,
    /// Detections of this worker, in the order found.
    pub detections: Vec<Detection>,
    /// Where expansions are counted (archives, notebooks...).
    stats: Option<&'e Stats>,
    /// Where problems are told (a zip bomb stopped, a broken notebook).
    events: Option<&'e dyn Events>,
    /// Hits of the file being scanned, and those past the cap.
    file_hits: usize,
    file_over: u64,
}

/// A match on its way to becoming a detection, in the coordinates of the
/// text it is reported against.
#[derive(Debug, Clone)]
struct Hit {
    rule: usize,
    /// Byte span reported (for a decoded secret: the encoded text).
    start: usize,
    end: usize,
    /// The secret, when it is not the bytes of the span (decoded values,
    /// notebook strings with escapes).
    secret: Option<Vec<u8>>,
    entropy: f64,
    format_valid: bool,
    prefix_len: usize,
    /// The values of a multi-value secret (the credential last).
    parts: Vec<HitPart>,
    /// Layers inside the text it is reported against (outermost first).
    layers: Vec<Layer>,
    /// An allow marker on one of its lines, at any layer, covers its rule.
    inline_allow: bool,
    /// What the rule's check said of it (a note, a severity).
    verdict: Verdict,
}

/// One value of a multi-value hit.
#[derive(Debug, Clone)]
struct HitPart {
    name: &'static str,
    start: usize,
    end: usize,
    /// The value, when it is not the bytes of the span.
    value: Option<Vec<u8>>,
    prefix_len: usize,
}

impl Hit {
    /// The credential's bytes: the last part's, or the secret's.
    fn secret_bytes<'h>(&'h self, hay: &'h [u8]) -> &'h [u8] {
        match self.parts.last() {
            Some(p) => p.value.as_deref().unwrap_or(&hay[p.start..p.end]),
            None => self.secret.as_deref().unwrap_or(&hay[self.start..self.end]),
        }
    }

    /// Move a hit found in a child blob (`child`, its bytes) to the
    /// parent's coordinates through the child's offset map, entering
    /// `layer`: the one way every child's hits are mapped back. The secret
    /// and the parts' values are taken from the child first.
    fn lift(mut self, child: &[u8], map: &OffsetMap, layer: Layer) -> Hit {
        self.secret = Some(self.secret_bytes(child).to_vec());
        for p in &mut self.parts {
            if p.value.is_none() {
                p.value = Some(child[p.start..p.end].to_vec());
            }
            (p.start, p.end) = map.span(p.start, p.end);
        }
        (self.start, self.end) = map.span(self.start, self.end);
        self.layers.insert(0, layer);
        self
    }
}

/// Where the worker is in a blob's tree of children.
struct Ctx<'p> {
    /// The path shown so far (`outer.zip!inner`); empty for a git blob.
    path: Cow<'p, str>,
    /// The layers entered so far, outermost first.
    layers: Vec<Layer>,
}

impl<'e> Worker<'e> {
    /// Scan one blob of a source, appending its detections; returns how
    /// many it had.
    pub fn scan(&mut self, blob: Blob<'_>) -> usize {
        let before = self.detections.len();
        if blob.chunk.is_none_or(|c| c.offset == 0) {
            (self.file_hits, self.file_over) = (0, 0);
        }
        match blob.chunk {
            Some(chunk) => self.chunk(blob.bytes, chunk),
            None => {
                let mut ctx = Ctx {
                    path: Cow::Borrowed(blob.origin.path().unwrap_or("")),
                    layers: Vec::new(),
                };
                self.node(&mut ctx, blob.bytes);
            }
        }
        let last = blob.chunk.is_none_or(|c| c.report_to == blob.bytes.len());
        if last && self.file_over > 0 {
            let cap = self.engine.options.max_findings_per_file;
            if let Some(s) = self.stats {
                s.findings_over_cap
                    .fetch_add(self.file_over, Ordering::Relaxed);
            }
            self.warn(format!(
                "{}: {} more findings not reported: over the cap of {cap} per file \
                 (--max-findings-per-file)",
                blob.origin.path().map_or("<blob>", display),
                self.file_over
            ));
        }
        self.detections.len() - before
    }

    /// Count what this worker's expansions open in `stats`, and send their
    /// problems to `events` (without them, both are dropped).
    pub fn attach(&mut self, stats: &'e Stats, events: &'e dyn Events) {
        self.stats = Some(stats);
        self.events = Some(events);
    }

    /// The engine.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Regex searches this worker has run (for tests and profiling).
    pub fn regex_runs(&self) -> u64 {
        self.scratch.regex_runs
    }

    /// Whether a partial scan of `bytes` (changed regions only) can stand
    /// for a whole one: plain text, with no expansion to run.
    pub fn is_plain(&self, bytes: &[u8]) -> bool {
        self.is_plain_at("", bytes)
    }

    /// Whether `bytes`, found at `path`, are scanned as they are (no
    /// archive, notebook or UTF-16 to expand).
    pub fn is_plain_at(&self, path: &str, bytes: &[u8]) -> bool {
        expand::sniff(path, bytes, &self.engine.options.expand) == Kind::Plain
    }

    fn count(
        &self,
        counter: impl FnOnce(&crate::source::SourceStats) -> &std::sync::atomic::AtomicU64,
    ) {
        if let Some(s) = self.stats {
            counter(&s.sources).fetch_add(1, Ordering::Relaxed);
        }
    }

    fn warn(&self, message: String) {
        if let Some(e) = self.events {
            e.warning(message);
        }
    }

    /// One chunk of a large file: matches outside the chunk's own range
    /// belong to its neighbours.
    fn chunk(&mut self, bytes: &[u8], chunk: ChunkPos) {
        let skip = [(0, chunk.report_from), (chunk.report_to, usize::MAX)];
        let hits = self.collect(bytes, 0, &mut DecodeBudget::default(), &skip);
        let ctx = Ctx {
            path: Cow::Borrowed(""),
            layers: Vec::new(),
        };
        self.emit(&ctx, bytes, hits, chunk);
    }

    /// A blob: an archive's entries, or its text.
    fn node(&mut self, ctx: &mut Ctx<'_>, bytes: &[u8]) {
        let kind = expand::sniff(&ctx.path, bytes, &self.engine.options.expand);
        if !kind.is_archive() {
            return self.leaf(ctx, bytes, kind);
        }
        let o = &self.engine.options;
        let budget = archive::Budget::new(archive::Limits {
            max_bytes: o.expand.archive_max_bytes,
            max_entries: o.expand.archive_max_entries,
            max_entry_size: o.walk.max_file_size,
        });
        let before = self.detections.len();
        if self.archive(ctx, bytes, kind, &budget, 1).is_err() {
            self.count(|s| &s.archives_stopped);
            self.warn(format!(
                "{}: archive reading stopped at a limit: {}; likely a zip bomb: the \
                 rest of its entries were not expanded (its raw bytes are scanned instead)",
                display(&ctx.path),
                budget.stopped().unwrap_or_default()
            ));
            // What the archive holds uncompressed (a tar, stored zip
            // entries) is still found in its raw bytes; what its entries
            // already yielded is not reported twice.
            let found: HashSet<(String, String)> = self.detections[before..]
                .iter()
                .map(|d| (d.rule_id.clone(), d.secret.clone()))
                .collect();
            let raw = self.detections.len();
            self.text(ctx, bytes);
            let mut seen = 0;
            self.detections.retain(|d| {
                seen += 1;
                seen <= raw || !found.contains(&(d.rule_id.clone(), d.secret.clone()))
            });
        }
    }

    /// The entries of an archive whose entries sit at `depth`.
    fn archive(
        &mut self,
        ctx: &mut Ctx<'_>,
        data: &[u8],
        kind: Kind,
        budget: &archive::Budget,
        depth: usize,
    ) -> Result<(), archive::Stop> {
        self.count(|s| &s.archives);
        let engine = self.engine;
        let outer = ctx.path.clone().into_owned();
        let admission = engine.options.walk.admission();
        let skip = |name: &str, head: Option<&[u8]>| match head {
            None => engine.filter.skips_path(&format!("{outer}!{name}")),
            Some(head) => admission.by_content(Some(name), head).is_err(),
        };
        archive::read(
            data,
            kind,
            &outer,
            budget,
            &skip,
            &mut |event| match event {
                archive::Event::Entry { name, bytes } => {
                    self.count(|s| &s.archive_entries);
                    let expand = &engine.options.expand;
                    let kind = expand::sniff(name, bytes, expand);
                    let nested = kind.is_archive() && depth < expand.archive_depth;
                    let saved =
                        std::mem::replace(&mut ctx.path, Cow::Owned(format!("{outer}!{name}")));
                    ctx.layers.push(Layer::Archive {
                        entry: name.to_string(),
                        too_deep: kind.is_archive() && !nested,
                    });
                    let result = if nested {
                        self.archive(ctx, bytes, kind, budget, depth + 1)
                    } else {
                        let kind = if kind.is_archive() { Kind::Plain } else { kind };
                        self.leaf(ctx, bytes, kind);
                        Ok(())
                    };
                    ctx.layers.pop();
                    ctx.path = saved;
                    result
                }
                archive::Event::Unreadable { what, error, bytes } => {
                    self.warn(format!(
                        "{}: not a readable {what} archive ({error}); scanned as bytes",
                        display(&outer)
                    ));
                    self.leaf(ctx, bytes, Kind::Plain);
                    Ok(())
                }
                archive::Event::EntryUnreadable { name, error } => {
                    self.warn(format!(
                        "{}: entry {name} cannot be read ({error}); it is skipped",
                        display(&outer)
                    ));
                    Ok(())
                }
                archive::Event::EntryFailed { name, error } => {
                    self.warn(format!(
                        "{outer}!{name}: cannot be read ({error}); it is skipped"
                    ));
                    Ok(())
                }
                archive::Event::Damaged { error } => {
                    self.warn(format!(
                        "{}: the tar archive is damaged ({error}); the rest of it is skipped",
                        display(&outer)
                    ));
                    Ok(())
                }
            },
        )
    }

    /// A blob that is not an archive.
    fn leaf(&mut self, ctx: &mut Ctx<'_>, bytes: &[u8], kind: Kind) {
        match kind {
            Kind::Utf16 { big_endian } => {
                let text = utf16::to_utf8(bytes, big_endian);
                self.count(|s| &s.utf16);
                ctx.layers.push(Layer::Utf16 { big_endian });
                self.text(ctx, &text);
                ctx.layers.pop();
                // The bytes as they are, too: FF FE or FE FF may open a file that
                // is not UTF-16 at all, and must not hide its keys. (The raw bytes
                // of real UTF-16 text interleave NULs with ASCII, so no rule
                // matches them twice.)
                self.text(ctx, bytes);
            }
            Kind::Notebook => match notebook::parse(bytes) {
                Ok(nb) => {
                    self.count(|s| &s.notebooks);
                    self.notebook(ctx, bytes, &nb);
                }
                Err(e) => {
                    self.count(|s| &s.notebooks_malformed);
                    self.warn(format!(
                        "{}: not a valid notebook ({e}); scanned as plain text",
                        display(&ctx.path)
                    ));
                    self.text(ctx, bytes);
                }
            },
            _ => self.text(ctx, bytes),
        }
    }

    /// Text located in itself.
    fn text(&mut self, ctx: &Ctx<'_>, hay: &[u8]) {
        let hits = self.collect(hay, 0, &mut DecodeBudget::default(), &[]);
        if !hits.is_empty() {
            self.emit(ctx, hay, hits, ChunkPos::whole(hay.len()));
        }
    }

    /// A parsed notebook: each part's hits are mapped back to the raw
    /// file, then the raw bytes outside the parts are scanned.
    fn notebook(&mut self, ctx: &Ctx<'_>, bytes: &[u8], nb: &notebook::Notebook) {
        let mut hits: Vec<Hit> = Vec::new();
        let mut budget = DecodeBudget::default();
        for part in &nb.parts {
            let buf = &part.text.buf;
            for h in self.collect(buf, 0, &mut budget, &[]) {
                let line = 1 + memchr::memchr_iter(b'\n', &buf[..h.start]).count();
                let layer = Layer::Notebook {
                    part: part.label.clone(),
                    line,
                };
                hits.push(h.lift(buf, &part.text.map, layer));
            }
        }
        hits.extend(self.collect(bytes, 0, &mut budget, &nb.covered));
        self.emit(ctx, bytes, hits, ChunkPos::whole(bytes.len()));
    }

    /// Whether the file being scanned has reached the findings cap (and
    /// count one more past it if so); counts one more hit if not.
    fn over_cap(&mut self) -> bool {
        let cap = self.engine.options.max_findings_per_file;
        if cap > 0 && self.file_hits >= cap {
            self.file_over += 1;
            true
        } else {
            self.file_hits += 1;
            false
        }
    }

    /// Run the detector on `hay` and return its hits. Matches of handler
    /// rules are expanded (decoded and scanned) instead; `level` counts the
    /// decodings around `hay`. Matches that start inside a `skip` span are
    /// dropped (sorted spans of text scanned another way).
    fn collect(
        &mut self,
        hay: &[u8],
        level: u32,
        budget: &mut DecodeBudget,
        skip: &[(usize, usize)],
    ) -> Vec<Hit> {
        let mut matches = std::mem::take(&mut self.matches);
        matches.clear();
        let engine = self.engine;
        engine.detector.detect(hay, &mut self.scratch, &mut matches);
        let rules = engine.detector.rules().rules();
        let decoding = engine.options.expand.decode;
        let mut out: Vec<Hit> = Vec::new();
        let mut decoded = false;
        for m in &matches {
            if !skip.is_empty() && expand::in_spans(skip, m.start) {
                continue;
            }
            let rule = &rules[m.rule];
            match rule.spec.handler {
                None if self.over_cap() => {}
                None => out.push(Hit {
                    rule: m.rule,
                    start: m.start,
                    end: m.end,
                    secret: None,
                    entropy: m.entropy,
                    format_valid: m.format_valid,
                    prefix_len: m.prefix_len,
                    parts: m
                        .parts
                        .iter()
                        .map(|p| HitPart {
                            name: p.name,
                            start: p.start,
                            end: p.end,
                            value: None,
                            prefix_len: p.prefix_len,
                        })
                        .collect(),
                    layers: Vec::new(),
                    inline_allow: filter::inline::is_allowed(hay, m.start, m.end, rule.id()),
                    verdict: m.verdict.clone(),
                }),
                Some(h) if decoding && level < decode::MAX_LEVEL => {
                    let before = out.len();
                    let encoded = match h {
                        Handler::Base64 => decode::Encoded::Base64,
                        Handler::KubernetesSecret => decode::Encoded::KubernetesSecret,
                    };
                    for v in decode::values(encoded, hay, m.start, m.end, budget, &rule.spec.name) {
                        self.count(|s| &s.decoded);
                        self.decoded(hay, v, level, budget, &mut out);
                    }
                    decoded |= out.len() > before;
                }
                Some(_) => {}
            }
        }
        if decoded {
            // A generic rule that matched the encoded text (`token: <base64>`)
            // yields to what was found inside it.
            let spans: Vec<(usize, usize)> = out
                .iter()
                .filter(|h| h.secret.is_some() && !h.layers.is_empty())
                .map(|h| (h.start, h.end))
                .collect();
            out.retain(|h| {
                !(h.secret.is_none()
                    && rules[h.rule].spec.generic
                    && spans.iter().any(|&(s, e)| h.start < e && s < h.end))
            });
        }
        matches.clear();
        // A file dense with matches must not keep its high-water mark for
        // the rest of the scan.
        if matches.capacity() > 1 << 16 {
            matches.shrink_to(1 << 12);
        }
        self.matches = matches;
        out
    }

    /// Scan a decoded value and report what it holds at its encoded span.
    fn decoded(
        &mut self,
        hay: &[u8],
        v: decode::Value,
        level: u32,
        budget: &mut DecodeBudget,
        out: &mut Vec<Hit>,
    ) {
        let (s, e) = v.span;
        let inner = self.collect(&v.text, level + 1, budget, &[]);
        let rules = self.engine.detector.rules().rules();
        let mut seen: Vec<(usize, Vec<u8>)> = Vec::new();
        for h in inner {
            // Every value inside is located at the encoded text.
            let layer = Layer::Decoded {
                label: v.label.clone(),
            };
            let mut h = h.lift(&v.text, &OffsetMap::Whole { start: s, end: e }, layer);
            let secret = h.secret_bytes(hay).to_vec();
            if seen.iter().any(|(r, x)| *r == h.rule && *x == secret) {
                continue;
            }
            h.inline_allow |= filter::inline::is_allowed(hay, s, e, rules[h.rule].id());
            seen.push((h.rule, secret));
            if h.parts.is_empty() {
                // A `user:password` value whose password is the finding:
                // both are the credential.
                if let Some((user, pass)) = &v.userinfo {
                    if h.secret.as_ref() == Some(pass) {
                        h.parts = [("user", user), ("password", pass)]
                            .into_iter()
                            .map(|(name, value)| HitPart {
                                name,
                                start: s,
                                end: e,
                                value: Some(value.clone()),
                                prefix_len: 0,
                            })
                            .collect();
                    }
                }
            }
            out.push(h);
        }
    }

    /// Turn hits into detections: `hay` is the text their spans refer to and
    /// that lines and columns are counted in, `chunk` where it sits in its
    /// file.
    fn emit(&mut self, ctx: &Ctx<'_>, hay: &[u8], mut hits: Vec<Hit>, chunk: ChunkPos) {
        if hits.is_empty() {
            return;
        }
        hits.sort_by_key(|h| (h.start, h.end));
        let rules = self.engine.detector.rules().rules();
        let mut locator = Locator::with_base(hay, chunk.line, chunk.column);
        let masks = excerpt_masks(hay, &hits, self.engine.options.show_secrets);
        for h in hits {
            let rule = &rules[h.rule];
            let raw = h.secret_bytes(hay);
            let secret = String::from_utf8_lossy(raw).into_owned();
            let parts = h
                .parts
                .iter()
                .map(|p| {
                    let value = p.value.as_deref().unwrap_or(&hay[p.start..p.end]);
                    let value = String::from_utf8_lossy(value).into_owned();
                    let (line, column) = locator.locate(p.start);
                    let (end_line, end_column) = locator.locate(p.end);
                    finding::Part {
                        name: p.name.to_string(),
                        redacted: finding::redact(&value, p.prefix_len),
                        value,
                        line,
                        column,
                        end_line,
                        end_column,
                    }
                })
                .collect();
            let (line, column) = locator.locate(h.start);
            let (end_line, end_column) = locator.locate(h.end);
            let redacted = finding::redact(&secret, h.prefix_len);
            let mut severity = h.verdict.severity.unwrap_or(rule.spec.severity);
            let (line_start, line_bytes) = line_at(hay, h.start);
            let mut remarks = Vec::new();
            if let Some(note) = h.verdict.note {
                remarks.push(Remark::Check(note));
            }
            if let Some(var) = remark::client_exposed(line_bytes, h.start - line_start) {
                severity = Severity::Critical;
                remarks.push(Remark::ClientExposed(var));
            }
            let excerpt = line_excerpt(line_start, line_bytes, (h.start, h.end), &masks);
            let mut layers = ctx.layers.clone();
            layers.extend(h.layers);
            self.detections.push(Detection {
                rule_id: rule.spec.id.clone(),
                rule_name: rule.spec.name.clone(),
                provider: rule.spec.provider.clone(),
                severity,
                confidence: h.verdict.confidence.unwrap_or_else(|| rule.confidence()),
                line,
                column,
                end_line,
                end_column,
                offset: chunk.offset as usize + h.start,
                secret,
                redacted,
                entropy: h.entropy,
                format_check: if h.format_valid {
                    rule.spec.check.as_ref().map(|c| c.describe())
                } else {
                    None
                },
                parts,
                layers,
                remarks,
                inline_allow: h.inline_allow,
                long_line: line_bytes.len() > remark::LONG_LINE,
                excerpt: Some(excerpt),
            });
        }
    }
}

/// A secret's span in a blob and its mask.
type ExcerptMask = (usize, usize, String);

/// Spans longer than this are few (private key blocks) and kept apart, so
/// that the masks reaching into an excerpt are found by a binary search.
const SHORT_SPAN: usize = 1024;

/// What the excerpts of a blob's findings show instead of each secret:
/// (start, end, mask) in `hay`, each value of a secret of several on its
/// own; short spans sorted by start, then long ones. Empty under
/// `--show-secrets`.
fn excerpt_masks(
    hay: &[u8],
    hits: &[Hit],
    show_secrets: bool,
) -> (Vec<ExcerptMask>, Vec<ExcerptMask>) {
    let mut out = Vec::new();
    if show_secrets {
        return (out, Vec::new());
    }
    for h in hits {
        if h.parts.is_empty() {
            let secret = String::from_utf8_lossy(h.secret_bytes(hay));
            out.push((h.start, h.end, finding::redact(&secret, h.prefix_len)));
        }
        for p in &h.parts {
            let value = p.value.as_deref().unwrap_or(&hay[p.start..p.end]);
            let value = String::from_utf8_lossy(value);
            out.push((p.start, p.end, finding::redact(&value, p.prefix_len)));
        }
    }
    let (mut short, long): (Vec<_>, Vec<_>) =
        out.into_iter().partition(|m| m.1 - m.0 <= SHORT_SPAN);
    short.sort_by_key(|m| m.0);
    (short, long)
}

/// The excerpt of the line at `line_start` (`line`) with the secret at
/// `span` in the blob, and every mask that meets the part of the line
/// shown.
fn line_excerpt(
    line_start: usize,
    line: &[u8],
    span: (usize, usize),
    masks: &(Vec<ExcerptMask>, Vec<ExcerptMask>),
) -> finding::Excerpt {
    use finding::excerpt::{Mask, AFTER_COLS, BEFORE_COLS, MARK_COLS};
    // A window of the line wide enough for the columns shown (a character
    // is at most 4 bytes): the rest of a long line is never looked at.
    let rel = (span.0 - line_start, span.1 - line_start);
    let from = rel.0.saturating_sub(4 * BEFORE_COLS + 4);
    let to = line.len().min(
        rel.1
            .max(rel.0 + 4 * MARK_COLS)
            .saturating_add(4 * AFTER_COLS + 4),
    );
    let (abs_from, abs_to) = (line_start + from, line_start + to);
    let (short, long) = masks;
    let first = short.partition_point(|m| m.0 + SHORT_SPAN < abs_from);
    let last = short.partition_point(|m| m.0 < abs_to);
    let window: Vec<Mask<'_>> = short[first..last.max(first)]
        .iter()
        .chain(long.iter())
        .filter(|m| m.1 > abs_from && m.0 < abs_to)
        .map(|m| Mask {
            start: m.0.saturating_sub(abs_from),
            end: m.1 - abs_from,
            with: if m.0 < abs_from { "****" } else { &m.2 },
        })
        .collect();
    let mut e = finding::excerpt::excerpt(&line[from..to], (rel.0 - from, rel.1 - from), &window);
    // Cut by the window, not by the excerpt's own columns: say so.
    if from > 0 && !e.text.starts_with('…') {
        e.text.insert(0, '…');
        e.mark += 1;
    }
    if to < line.len() && !e.text.ends_with('…') && rel.1 < to {
        e.text.push('…');
    }
    e
}

/// The path as shown in warnings (`<blob>` for git history blobs).
fn display(path: &str) -> &str {
    if path.is_empty() {
        "<blob>"
    } else {
        path
    }
}

/// The warning that `files` (path, shown), tracked by git, are matched by
/// ignore rules and scanned anyway, naming the first few.
fn tracked_but_ignored(files: &[(PathBuf, String)]) -> String {
    const NAMED: usize = 3;
    let mut names: Vec<&str> = files.iter().take(NAMED).map(|f| f.1.as_str()).collect();
    if files.len() > NAMED {
        names.push("...");
    }
    format!(
        "{} file{} tracked by git {} matched by ignore rules (.gitignore, .ignore \
         or git's excludes); scanned anyway: {}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        if files.len() == 1 { "is" } else { "are" },
        names.join(", ")
    )
}

impl Engine {
    /// An engine over a detector and configuration.
    pub fn new(detector: Detector, config: Config, mut options: ScanOptions) -> Engine {
        // A large file that an expansion reads whole is not chunked.
        options.walk.whole = expand::needs_whole;
        let filter = Filter::new(
            config.allowlists(),
            options.inline_allow,
            !options.show_secrets,
        )
        .with_min_confidence(options.min_confidence);
        Engine {
            detector,
            config,
            options,
            filter,
        }
    }

    /// Report only findings whose fingerprints a baseline does not hold.
    pub fn with_baseline(mut self, fingerprints: filter::baseline::Fingerprints) -> Engine {
        self.filter = self.filter.with_baseline(fingerprints);
        self
    }

    /// Also suppress the findings at the places a gitleaks JSON report
    /// (read as a baseline) lists.
    pub fn with_baseline_places(mut self, places: filter::ignorefile::Ignores) -> Engine {
        self.filter = self.filter.with_baseline_places(places);
        self
    }

    /// Also suppress the findings that ignore files list.
    pub fn with_ignores(mut self, ignores: filter::ignorefile::Ignores) -> Engine {
        self.filter = self.filter.with_ignores(ignores);
        self
    }

    /// The detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The scan options.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// The filter stage.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// A fresh per-thread worker.
    pub fn worker(&self) -> Worker<'_> {
        Worker {
            engine: self,
            scratch: Scratch::default(),
            matches: Vec::new(),
            detections: Vec::new(),
            stats: None,
            events: None,
            file_hits: 0,
            file_over: 0,
        }
    }

    /// The admission policy of every source.
    pub fn admission(&self) -> Admission {
        self.options.walk.admission()
    }

    /// The filter stage over every finding of a scan: the outcome.
    pub fn finish(&self, findings: Vec<Finding>, stats: &Stats, started: Instant) -> ScanOutcome {
        let filtered = self.filter.apply(findings);
        ScanOutcome {
            findings: filtered.findings,
            stats: stats.snapshot(),
            suppressed: filtered.suppressed,
            masks: filtered.masks,
            elapsed: started.elapsed(),
        }
    }

    /// Scan one in-memory blob shown at `path` (tests, fuzzing), filters
    /// included.
    pub fn scan_bytes(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        let mut w = self.worker();
        w.scan(Blob::whole(bytes, Origin::File(path)));
        let findings = w
            .detections
            .into_iter()
            .map(|d| Finding::new(d, Place::File, path, None))
            .collect();
        self.filter.apply(findings).findings
    }

    /// Findings of standard input (unfiltered).
    pub fn collect_stdin(&self, bytes: &[u8], stats: &Stats, events: &dyn Events) -> Vec<Finding> {
        self.collect_stream(&mut &bytes[..], stats, events)
            .unwrap_or_default()
    }

    /// Findings of a stream read to its end, such as standard input
    /// (unfiltered): read in chunks, so memory stays bounded however much
    /// is piped in.
    pub fn collect_stream(
        &self,
        reader: &mut dyn std::io::Read,
        stats: &Stats,
        events: &dyn Events,
    ) -> std::io::Result<Vec<Finding>> {
        let mut w = self.worker();
        w.attach(stats, events);
        let stream = fs::Stream {
            origin: Origin::Stdin,
            shown: "<stdin>",
            limit: None,
            admit: false,
        };
        let mut buf = Vec::new();
        let mut out = Vec::new();
        fs::read_stream(
            reader,
            &stream,
            &self.options.walk,
            stats,
            events,
            &mut buf,
            &mut |b| {
                w.scan(b);
                out.extend(
                    w.detections
                        .drain(..)
                        .map(|d| Finding::new(d, Place::Stdin, finding::STDIN, None)),
                );
            },
        )?;
        Ok(out)
    }

    /// Scan file trees (or single files), filters included. `stats` is
    /// updated live so a progress display can read it.
    pub fn scan_paths(&self, roots: &[PathBuf], stats: &Stats, events: &dyn Events) -> ScanOutcome {
        let start = Instant::now();
        let findings = self.collect_paths(roots, stats, events);
        self.finish(findings, stats, start)
    }

    /// Findings of file trees (or single files), unfiltered.
    pub fn collect_paths(
        &self,
        roots: &[PathBuf],
        stats: &Stats,
        events: &dyn Events,
    ) -> Vec<Finding> {
        let shared: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
        let skip_path = |p: &str| self.filter.skips_path(p);
        let make_visitor = || {
            let mut sink = Flush {
                worker: self.worker(),
                findings: Vec::new(),
                shared: &shared,
            };
            sink.worker.attach(stats, events);
            move |blob: Blob<'_>| {
                let sink = &mut sink; // capture the whole `Flush`, so it flushes on drop
                let Some(path) = blob.origin.path() else {
                    return;
                };
                let n = sink.worker.scan(blob);
                if n > 0 {
                    let from = sink.findings.len();
                    sink.place(path);
                    // The progress line counts what the report will: the
                    // findings the filter stage keeps.
                    let kept = sink.findings[from..]
                        .iter()
                        .filter(|f| self.filter.suppression(f).is_none())
                        .count();
                    stats.findings.fetch_add(kept as u64, Ordering::Relaxed);
                }
            }
        };
        let opts = &self.options.walk;
        let ignored = fs::walk(roots, opts, stats, events, &skip_path, make_visitor);
        let mut path_findings = Vec::new();
        let hidden = self.tracked_files(roots, &ignored, events, &mut path_findings);
        if !hidden.is_empty() {
            events.warning(tracked_but_ignored(&hidden));
            fs::scan_files(&hidden, opts, stats, events, &skip_path, make_visitor);
        }
        let mut findings = shared.into_inner().unwrap_or_else(|e| e.into_inner());
        let kept = path_findings
            .iter()
            .filter(|f| self.filter.suppression(f).is_none())
            .count();
        stats.findings.fetch_add(kept as u64, Ordering::Relaxed);
        findings.append(&mut path_findings);
        findings
    }

    /// Whether path rules run (`--no-env-files` turns them off).
    fn path_rules_on(&self) -> bool {
        self.options.expand.env_files && self.detector.has_path_rules()
    }

    /// The files under `roots` that git tracks (read from the index): the
    /// path rules' findings for those a path rule matches (such as a live
    /// env file) go to `out`; those the walk did not visit because ignore
    /// rules match them (`ignored`) are returned, each with the path shown
    /// for it, to be scanned: they are part of the repository.
    fn tracked_files(
        &self,
        roots: &[PathBuf],
        ignored: &fs::Ignored,
        events: &dyn Events,
        out: &mut Vec<Finding>,
    ) -> Vec<(PathBuf, String)> {
        let path_rules = self.path_rules_on();
        let mut hidden = Vec::new();
        if !path_rules && ignored.is_empty() {
            return hidden;
        }
        let shown_paths = fs::Shown::new(roots, self.options.walk.base.as_deref());
        for (i, root) in roots.iter().enumerate() {
            let path_rule = |rel: &str| path_rules && !self.detector.detect_path(rel).is_empty();
            let select = |rel: &str, under: &str| path_rule(rel) || ignored.hides(i, under);
            let tracked = match crate::source::git::tracked_under(root, &select) {
                Ok(t) => t,
                Err(e) => {
                    events.warning(e.to_string());
                    continue;
                }
            };
            for under in tracked {
                let walker_path = root.join(&under);
                let path = if under.as_os_str().is_empty() {
                    root.clone()
                } else {
                    walker_path
                };
                let shown = shown_paths.path(i, root, &path);
                let rel = under.to_string_lossy();
                if ignored.hides(i, &rel) {
                    hidden.push((path, shown.clone()));
                }
                if !self.filter.skips_path(&shown) {
                    out.extend(self.path_findings(&shown));
                }
            }
        }
        hidden
    }

    /// The findings of the path rules for `path`, a file that git tracks
    /// or is about to commit (none when path rules are off).
    pub fn path_findings(&self, path: &str) -> Vec<Finding> {
        if !self.path_rules_on() {
            return Vec::new();
        }
        let rules = self.detector.rules().rules();
        let mut out = Vec::new();
        for (r, s, e) in self.detector.detect_path(path) {
            let rule = &rules[r];
            let secret = path[s..e].to_string();
            let note = rule
                .spec
                .note
                .as_deref()
                .map(|n| n.replace("{path}", path))
                .unwrap_or_else(|| rule.description());
            let d = Detection {
                rule_id: rule.spec.id.clone(),
                rule_name: rule.spec.name.clone(),
                provider: rule.spec.provider.clone(),
                severity: rule.spec.severity,
                confidence: rule.confidence(),
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
                offset: 0,
                // Nothing secret to hide: the "secret" is the file itself.
                redacted: secret.clone(),
                secret,
                entropy: 0.0,
                format_check: None,
                parts: Vec::new(),
                layers: Vec::new(),
                remarks: vec![Remark::TrackedFile(note)],
                inline_allow: false,
                long_line: false,
                excerpt: None,
            };
            out.push(Finding::new(d, Place::File, path, None));
        }
        out
    }
}

/// A walk thread's worker and findings, handed to the shared list when the
/// thread ends, so that threads do not contend on a lock per finding.
struct Flush<'e, 's> {
    worker: Worker<'e>,
    findings: Vec<Finding>,
    shared: &'s Mutex<Vec<Finding>>,
}

impl Flush<'_, '_> {
    /// Place the worker's detections at `path`.
    fn place(&mut self, path: &str) {
        let placed = self
            .worker
            .detections
            .drain(..)
            .map(|d| Finding::new(d, Place::File, path, None));
        self.findings.extend(placed);
    }
}

impl Drop for Flush<'_, '_> {
    fn drop(&mut self) {
        let mut g = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        g.append(&mut self.findings);
    }
}
