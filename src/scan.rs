//! The scan pipeline: sources → detector → findings → filters.
//!
//! [`Engine`] owns the detector and the configuration. It turns each blob's
//! raw matches into [`Finding`]s (locating them, redacting, fingerprinting)
//! and applies the per-blob filters (inline allow comments, allowlists).
//! It never prints: warnings go to an [`Events`] sink, results are returned.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::detect::{Detector, Match, Scratch};
use crate::filter;
use crate::finding::{self, Finding, Locator};
use crate::rules::Severity;
use crate::source::fs::{self, ChunkPos, Events, WalkOptions};
use crate::source::{Stats, StatsSnapshot};

/// Options that shape a scan (beyond the rule set and configuration).
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// How to walk file trees.
    pub walk: WalkOptions,
    /// Honour inline `keyscan:allow` comments.
    pub inline_allow: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            walk: WalkOptions::default(),
            inline_allow: true,
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
    /// Findings suppressed by inline comments or allowlists.
    pub suppressed: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// The scanning engine.
#[derive(Debug, Clone)]
pub struct Engine {
    detector: Detector,
    config: Config,
    options: ScanOptions,
}

/// Per-thread state of a scan.
pub struct Worker<'e> {
    engine: &'e Engine,
    scratch: Scratch,
    matches: Vec<Match>,
    /// Findings of this worker.
    pub findings: Vec<Finding>,
    /// Findings this worker suppressed.
    pub suppressed: u64,
}

impl<'e> Worker<'e> {
    /// Scan one blob, appending its findings to `self.findings`.
    pub fn scan(&mut self, path: &str, bytes: &[u8]) -> usize {
        self.scan_chunk(path, bytes, None)
    }

    /// Scan one blob, or one chunk of a large file (`chunk` says where it
    /// sits and which of its matches are its to report).
    pub fn scan_chunk(&mut self, path: &str, bytes: &[u8], chunk: Option<ChunkPos>) -> usize {
        self.matches.clear();
        self.engine
            .detector
            .detect(bytes, &mut self.scratch, &mut self.matches);
        if self.matches.is_empty() {
            return 0;
        }
        let before = self.findings.len();
        let rules = self.engine.detector.rules().rules();
        let chunk = chunk.unwrap_or_else(|| ChunkPos::whole(bytes.len()));
        let mut locator = Locator::with_base(bytes, chunk.line, chunk.column);
        for m in &self.matches {
            if m.start < chunk.report_from || m.start >= chunk.report_to {
                continue;
            }
            let rule = &rules[m.rule];
            if self.engine.options.inline_allow
                && filter::inline::is_allowed(bytes, m.start, m.end, rule.id())
            {
                self.suppressed += 1;
                continue;
            }
            let raw = &bytes[m.start..m.end];
            let secret = String::from_utf8_lossy(raw).into_owned();
            if self.engine.config.allows(rule.id(), path, &secret) {
                self.suppressed += 1;
                continue;
            }
            let (line, column) = locator.locate(m.start);
            let (end_line, end_column) = locator.locate(m.end);
            let redacted = finding::redact(&secret, m.prefix_len);
            let mut severity = rule.spec.severity;
            let mut notes = Vec::new();
            if let Some(var) = client_exposed(bytes, m.start) {
                severity = Severity::Critical;
                notes.push(format!(
                    "exposed to browsers: {var} variables are inlined into the client bundle, so the key reaches every visitor"
                ));
            }
            self.findings.push(Finding {
                rule_id: rule.spec.id.clone(),
                rule_name: rule.spec.name.clone(),
                provider: rule.spec.provider.clone(),
                severity,
                path: path.to_string(),
                line,
                column,
                end_line,
                end_column,
                offset: chunk.offset as usize + m.start,
                fingerprint: finding::fingerprint(rule.id(), path, raw),
                secret,
                redacted,
                entropy: m.entropy,
                verified: if m.verified {
                    rule.spec.check.as_ref().map(|c| c.describe())
                } else {
                    None
                },
                notes,
                commit: None,
            });
        }
        self.findings.len() - before
    }

    /// Regex searches this worker has run (for tests and profiling).
    pub fn regex_runs(&self) -> u64 {
        self.scratch.regex_runs
    }
}

impl Engine {
    /// An engine over a detector and configuration.
    pub fn new(detector: Detector, config: Config, options: ScanOptions) -> Engine {
        Engine {
            detector,
            config,
            options,
        }
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

    /// A fresh per-thread worker.
    pub fn worker(&self) -> Worker<'_> {
        Worker {
            engine: self,
            scratch: Scratch::default(),
            matches: Vec::new(),
            findings: Vec::new(),
            suppressed: 0,
        }
    }

    /// Scan one in-memory blob (stdin, tests, fuzzing).
    pub fn scan_bytes(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        let mut w = self.worker();
        w.scan(path, bytes);
        let mut f = w.findings;
        finish(&mut f);
        f
    }

    /// Scan file trees (or single files). `stats` is updated live so a
    /// progress display can read it.
    pub fn scan_paths(&self, roots: &[PathBuf], stats: &Stats, events: &dyn Events) -> ScanOutcome {
        let start = Instant::now();
        let shared: Mutex<(Vec<Finding>, u64)> = Mutex::new((Vec::new(), 0));
        let skip_path = |p: &str| self.config.allows_path(p);
        fs::walk(roots, &self.options.walk, stats, events, &skip_path, || {
            let mut sink = Flush {
                worker: self.worker(),
                shared: &shared,
            };
            move |blob: fs::FileBlob<'_>| {
                let sink = &mut sink; // capture the whole `Flush`, so it flushes on drop
                let n = match blob.chunk {
                    None => sink.worker.scan(blob.path, blob.bytes),
                    Some(c) => sink.worker.scan_chunk(blob.path, blob.bytes, Some(c)),
                };
                if n > 0 {
                    stats.findings.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        });
        let (mut findings, suppressed) = shared.into_inner().unwrap_or_else(|e| e.into_inner());
        finish(&mut findings);
        ScanOutcome {
            findings,
            stats: stats.snapshot(),
            suppressed,
            elapsed: start.elapsed(),
        }
    }
}

/// Variable prefixes that bundlers inline into client-side code.
const CLIENT_PREFIXES: &[&str] = &[
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "EXPO_PUBLIC_",
    "NUXT_PUBLIC_",
    "GATSBY_",
    "PUBLIC_",
];

/// If the secret at `start` is assigned to a variable that bundlers ship to
/// browsers (`NEXT_PUBLIC_OPENAI_KEY=...`), the prefix.
pub fn client_exposed(bytes: &[u8], start: usize) -> Option<&'static str> {
    let line = filter::inline::line_at(bytes, start);
    let line_start = start - line_offset(bytes, start);
    let before = &line[..(start - line_start).min(line.len())];
    // The variable name: the last identifier before the `=` or `:` that
    // precedes the secret.
    let eq = before.iter().rposition(|&b| b == b'=' || b == b':')?;
    let name_end = before[..eq]
        .iter()
        .rposition(|b| b.is_ascii_alphanumeric() || *b == b'_')?
        + 1;
    let name_start = before[..name_end]
        .iter()
        .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .map_or(0, |i| i + 1);
    let name = &before[name_start..name_end];
    CLIENT_PREFIXES
        .iter()
        .find(|p| name.len() > p.len() && name.starts_with(p.as_bytes()))
        .copied()
}

/// Bytes between the start of the line holding `offset` and `offset`.
fn line_offset(bytes: &[u8], offset: usize) -> usize {
    offset - memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |i| i + 1)
}

/// Sort findings deterministically and drop repeats.
pub fn finish(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    filter::dedup(findings);
}

/// Hands a worker's findings to the shared list when its thread ends, so
/// that threads do not contend on a lock per finding.
struct Flush<'e, 's> {
    worker: Worker<'e>,
    shared: &'s Mutex<(Vec<Finding>, u64)>,
}

impl Drop for Flush<'_, '_> {
    fn drop(&mut self) {
        let mut g = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        g.0.append(&mut self.worker.findings);
        g.1 += self.worker.suppressed;
    }
}
