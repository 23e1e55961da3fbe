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
    /// Archives, notebooks, encoded values, UTF-16, env files.
    pub expand: crate::expand::ExpandOptions,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            walk: WalkOptions::default(),
            inline_allow: true,
            expand: Default::default(),
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
    pub(crate) scratch: Scratch,
    pub(crate) matches: Vec<Match>,
    /// Findings of this worker.
    pub findings: Vec<Finding>,
    /// Findings this worker suppressed.
    pub suppressed: u64,
    /// Where expansions count what they open (archives, notebooks...).
    stats: Option<&'e Stats>,
    /// Where expansions report problems (a zip bomb stopped, a broken notebook).
    events: Option<&'e dyn Events>,
}

impl<'e> Worker<'e> {
    /// Scan one blob, appending its findings to `self.findings`. Archives,
    /// notebooks, UTF-16 text and encoded values are expanded first (see
    /// [`crate::expand`]); an ordinary file goes straight to the detector.
    pub fn scan(&mut self, path: &str, bytes: &[u8]) -> usize {
        let before = self.findings.len();
        crate::expand::scan_blob(self, path, bytes);
        self.findings.len() - before
    }

    /// Scan one blob, or one chunk of a large file (`chunk` says where it
    /// sits and which of its matches are its to report).
    pub fn scan_chunk(&mut self, path: &str, bytes: &[u8], chunk: Option<ChunkPos>) -> usize {
        let Some(chunk) = chunk else {
            return self.scan(path, bytes);
        };
        let before = self.findings.len();
        // Matches outside the chunk's own range belong to its neighbours.
        let skip = [(0, chunk.report_from), (chunk.report_to, usize::MAX)];
        let mut hits = Vec::new();
        crate::expand::collect_hits(self, bytes, 0, &mut Default::default(), &skip, &mut hits);
        self.emit(path, bytes, hits, &[], chunk);
        self.findings.len() - before
    }

    /// Count what this worker's expansions open in `stats`, and send their
    /// warnings to `events` (without them, both are dropped).
    pub fn attach(&mut self, stats: &'e Stats, events: &'e dyn Events) {
        self.stats = Some(stats);
        self.events = Some(events);
    }

    /// The engine.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// Add one to an expansion counter.
    pub(crate) fn source_stats(
        &self,
        counter: impl FnOnce(&crate::expand::SourceStats) -> &std::sync::atomic::AtomicU64,
    ) {
        if let Some(s) = self.stats {
            counter(&s.sources).fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Report a problem that does not stop the scan.
    pub(crate) fn warn(&self, message: String) {
        if let Some(e) = self.events {
            e.warning(message);
        }
    }

    /// Turn hits into findings: `hay` is the text their spans refer to and
    /// that lines and columns are counted in, `chunk` where it sits in its
    /// file; `notes` go on every finding.
    pub(crate) fn emit(
        &mut self,
        path: &str,
        hay: &[u8],
        mut hits: Vec<crate::expand::Hit>,
        notes: &[String],
        chunk: ChunkPos,
    ) {
        if hits.is_empty() {
            return;
        }
        hits.sort_by_key(|h| (h.start, h.end));
        let rules = self.engine.detector.rules().rules();
        let mut locator = Locator::with_base(hay, chunk.line, chunk.column);
        for h in hits {
            let rule = &rules[h.rule];
            let raw = h.secret.as_deref().unwrap_or(&hay[h.start..h.end]);
            let secret = String::from_utf8_lossy(raw).into_owned();
            if self.engine.config.allows(rule.id(), path, &secret) {
                self.suppressed += 1;
                continue;
            }
            let (line, column) = locator.locate(h.start);
            let (end_line, end_column) = locator.locate(h.end);
            let redacted = finding::redact(&secret, h.prefix_len);
            let mut severity = rule.spec.severity;
            let mut all_notes = notes.to_vec();
            all_notes.extend(h.notes);
            if let Some(var) = client_exposed(hay, h.start) {
                severity = Severity::Critical;
                all_notes.push(format!(
                    "exposed to browsers: {var} variables are inlined into the client bundle, so the key reaches every visitor"
                ));
            }
            crate::expand::path_notes(
                path,
                filter::inline::line_at(hay, h.start).1,
                &mut all_notes,
            );
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
                offset: chunk.offset as usize + h.start,
                fingerprint: finding::fingerprint(rule.id(), path, raw),
                secret,
                redacted,
                entropy: h.entropy,
                verified: if h.verified {
                    rule.spec.check.as_ref().map(|c| c.describe())
                } else {
                    None
                },
                notes: all_notes,
                commit: None,
            });
        }
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
            stats: None,
            events: None,
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
        let env_files = self.options.expand.env_files;
        let walked_env: Mutex<Vec<String>> = Mutex::new(Vec::new());
        fs::walk(roots, &self.options.walk, stats, events, &skip_path, || {
            let mut sink = Flush {
                worker: self.worker(),
                shared: &shared,
            };
            sink.worker.attach(stats, events);
            let walked_env = &walked_env;
            move |blob: fs::FileBlob<'_>| {
                let sink = &mut sink; // capture the whole `Flush`, so it flushes on drop
                if env_files
                    && crate::expand::envfile::is_env_path(blob.path)
                    && blob.chunk.is_none()
                {
                    let mut g = walked_env.lock().unwrap_or_else(|e| e.into_inner());
                    g.push(blob.path.to_string());
                }
                let n = match blob.chunk {
                    None => sink.worker.scan(blob.path, blob.bytes),
                    Some(c) => sink.worker.scan_chunk(blob.path, blob.bytes, Some(c)),
                };
                if n > 0 {
                    stats.findings.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        });
        if env_files {
            // Env files git tracks, from the index: reported, and scanned if
            // the walk skipped them (ignored, yet in the repository).
            let walked = walked_env.into_inner().unwrap_or_else(|e| e.into_inner());
            let mut sink = Flush {
                worker: self.worker(),
                shared: &shared,
            };
            sink.worker.attach(stats, events);
            crate::expand::envfile::scan_tracked(&mut sink.worker, roots, &walked);
            let n = sink.worker.findings.len() as u64;
            stats.findings.fetch_add(n, Ordering::Relaxed);
        }
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
    let (line_start, line) = filter::inline::line_at(bytes, start);
    let before = &line[..start.saturating_sub(line_start).min(line.len())];
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::CommitInfo;
    use crate::rules::Severity;

    fn at(commit: &str, fingerprint: &str) -> Finding {
        Finding {
            rule_id: "r".into(),
            rule_name: "R".into(),
            provider: "P".into(),
            severity: Severity::High,
            path: "a.txt".into(),
            line: 2,
            column: 3,
            end_line: 2,
            end_column: 9,
            offset: 10,
            secret: "s".into(),
            redacted: "*".into(),
            fingerprint: fingerprint.into(),
            entropy: 0.0,
            verified: None,
            notes: Vec::new(),
            commit: Some(CommitInfo {
                commit: commit.into(),
                author: String::new(),
                email: String::new(),
                date: String::new(),
                summary: String::new(),
                in_head: false,
                commits: 1,
            }),
        }
    }

    /// History scans place findings from several commits at one spot: the
    /// order must not depend on which worker finished first, and a repeat
    /// must be dropped even when another commit's finding came between.
    #[test]
    fn finish_orders_by_commit_and_drops_repeats_that_were_apart() {
        let mut v = vec![at("c2", "f"), at("c1", "f"), at("c2", "f"), at("c1", "g")];
        finish(&mut v);
        let got: Vec<_> = v
            .iter()
            .map(|f| {
                (
                    f.commit.as_ref().unwrap().commit.as_str(),
                    f.fingerprint.as_str(),
                )
            })
            .collect();
        assert_eq!(got, [("c1", "f"), ("c1", "g"), ("c2", "f")]);
    }
}
