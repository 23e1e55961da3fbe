//! Reporters: render findings and a summary. They never scan or read files.
//!
//! Every reporter shows [`Finding::redacted`] unless the report was built
//! with `show_secrets`.

pub mod csv;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod merge;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::finding::{Finding, Layer, Remark, VerifyStatus};
use crate::rules::{RuleSet, Severity};
use crate::source::{SourceCounts, StatsSnapshot};

pub use crate::text::{human_bytes, printable};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Coloured text for people: one entry per secret, each place with its
    /// line, the secret masked and underlined, and its fingerprint.
    Text,
    /// One JSON document: `{"version": 1, "findings": [...], "stats": {...}}`.
    Json,
    /// One JSON finding per line, nothing else.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitLab's secret-detection report.
    Gitlab,
    /// JUnit XML, for CI test tabs: a test suite per rule, a failing test
    /// case per finding.
    Junit,
    /// CSV (RFC 4180) with a header row; cells guarded against formulas.
    Csv,
    /// A self-contained HTML page: a findings table with filters.
    Html,
}

/// The summary every reporter may show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Findings reported.
    pub findings: usize,
    /// Findings by severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Distinct files with findings.
    pub files_with_findings: usize,
    /// Findings suppressed by inline comments, allowlists or a baseline.
    pub suppressed: u64,
    /// What was scanned and skipped.
    #[serde(flatten)]
    pub stats: StatsSnapshot,
    /// Wall time in milliseconds.
    pub elapsed_ms: u128,
    /// With `--verify`: the findings by what their provider said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verified>,
}

/// Findings by verification status (`--verify`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Findings whose secret the provider accepted.
    pub live: usize,
    /// Findings whose secret the provider refused.
    pub invalid: usize,
    /// Findings with no answer either way.
    pub unknown: usize,
}

impl Verified {
    /// Count the findings' verifications; `None` when none was verified.
    pub fn count(findings: &[Finding]) -> Option<Verified> {
        let mut out: Option<Verified> = None;
        for v in findings.iter().filter_map(|f| f.verification.as_ref()) {
            let c = out.get_or_insert_default();
            match v.status {
                VerifyStatus::Live => c.live += 1,
                VerifyStatus::Invalid => c.invalid += 1,
                VerifyStatus::Unknown => c.unknown += 1,
            }
        }
        out
    }
}

impl Summary {
    /// `"2 critical"`, `"1 medium"`...: the severities with findings, most
    /// severe first (the text and HTML summaries' parenthesis).
    pub fn severity_counts(&self) -> Vec<String> {
        Severity::ALL
            .iter()
            .rev()
            .filter_map(|sv| {
                let n = self.by_severity.get(sv).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {sv}"))
            })
            .collect()
    }

    /// Build a summary of `findings`.
    pub fn new(
        findings: &[Finding],
        stats: StatsSnapshot,
        suppressed: u64,
        elapsed: Duration,
    ) -> Summary {
        let mut by_severity = BTreeMap::new();
        for s in Severity::ALL {
            by_severity.insert(s, 0);
        }
        for f in findings {
            *by_severity.entry(f.severity).or_default() += 1;
        }
        let mut files: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        files.dedup();
        let mut stats = stats;
        count_sources(&mut stats.sources, findings);
        Summary {
            findings: findings.len(),
            by_severity,
            files_with_findings: files.len(),
            suppressed,
            stats,
            elapsed_ms: elapsed.as_millis(),
            verified: Verified::count(findings),
        }
    }
}

/// Set the finding counts of each source from the findings reported: a
/// finding counts once for each kind of layer or remark it has.
fn count_sources(c: &mut SourceCounts, findings: &[Finding]) {
    c.notebooks.findings = 0;
    c.archives.findings = 0;
    c.decoded.findings = 0;
    c.utf16.findings = 0;
    c.env_files.findings = 0;
    c.bundles.findings = 0;
    for f in findings {
        let layer = |pick: fn(&Layer) -> bool| u64::from(f.layers.iter().any(pick));
        let remark = |pick: fn(&Remark) -> bool| u64::from(f.remarks.iter().any(pick));
        c.notebooks.findings += layer(|l| matches!(l, Layer::Notebook { .. }));
        c.archives.findings += layer(|l| matches!(l, Layer::Archive { .. }));
        c.decoded.findings += layer(|l| matches!(l, Layer::Decoded { .. }));
        c.utf16.findings += layer(|l| matches!(l, Layer::Utf16 { .. }));
        c.env_files.findings +=
            remark(|r| matches!(r, Remark::TrackedFile(_) | Remark::ExampleFile));
        c.bundles.findings += remark(|r| matches!(r, Remark::Shipped(_)));
    }
}

/// Everything a reporter needs.
pub struct Report<'a> {
    /// Findings, sorted.
    pub findings: &'a [Finding],
    /// The summary.
    pub summary: &'a Summary,
    /// The rules (for names and remediation).
    pub rules: &'a RuleSet,
    /// Print secrets in full.
    pub show_secrets: bool,
    /// Use ANSI colours.
    pub color: bool,
    /// SARIF settings.
    pub sarif: sarif::SarifOptions,
}

impl Report<'_> {
    /// The secret as it may be shown: redacted unless `show_secrets`.
    pub fn shown_secret<'f>(&self, f: &'f Finding) -> &'f str {
        if self.show_secrets {
            &f.secret
        } else {
            &f.redacted
        }
    }

    /// The secret as it may be shown, naming each part of a secret that has
    /// several: `id AKIA…, secret wJ…`.
    pub fn shown_value(&self, f: &Finding) -> String {
        if f.parts.is_empty() {
            return self.shown_secret(f).to_string();
        }
        let parts: Vec<String> = f
            .parts
            .iter()
            .map(|p| {
                let v = if self.show_secrets {
                    &p.value
                } else {
                    &p.redacted
                };
                format!("{} {v}", p.name)
            })
            .collect();
        parts.join(", ")
    }

    /// Render in `format` to `out`. Returns a notice for stderr, if any
    /// (e.g. that SARIF results were truncated to fit upload limits).
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<Option<String>> {
        match format {
            Format::Text => text::write_findings(self, out).map(|_| None),
            Format::Json => json::write_json(self, out).map(|_| None),
            Format::Jsonl => json::write_jsonl(self, out).map(|_| None),
            Format::Sarif => sarif::write_sarif(self, &self.sarif, out),
            Format::Gitlab => gitlab::write_gitlab(self, out).map(|_| None),
            Format::Junit => junit::write_junit(self, out).map(|_| None),
            Format::Csv => csv::write_csv(self, out).map(|_| None),
            Format::Html => html::write_html(self, out).map(|_| None),
        }
    }
}
