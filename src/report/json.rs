//! JSON and JSON Lines output. The schema is documented in
//! `docs/json-schema.json` and checked by the tests.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Summary};
use crate::finding::{CommitInfo, Finding, Verification};

/// Version of the JSON document format.
pub const JSON_VERSION: u32 = 1;

/// One finding as serialised.
#[derive(Debug, Serialize)]
pub struct JsonFinding<'a> {
    /// Rule id.
    pub rule_id: &'a str,
    /// Rule name.
    pub rule_name: &'a str,
    /// Provider.
    pub provider: &'a str,
    /// Severity.
    pub severity: &'a str,
    /// How sure the rule is that this is a credential: `high`, `medium`
    /// or `low`.
    pub confidence: &'static str,
    /// Path relative to the scanned root.
    pub path: &'a str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive).
    pub end_column: usize,
    /// Redacted secret.
    pub secret_redacted: &'a str,
    /// The secret, only with `--show-secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
    /// Stable fingerprint.
    pub fingerprint: &'a str,
    /// Shannon entropy, bits per byte.
    pub entropy: f64,
    /// The values of a secret that holds several (an AWS key id and its
    /// secret, a URL's user and password), the credential last.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<JsonPart<'a>>,
    /// `valid` when the rule's offline format check (a checksum, a marker)
    /// passed, `absent` when the rule has none. An invalid format is never
    /// a finding. Not a claim that the key is live.
    pub format_check: &'static str,
    /// What the format check found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_check_detail: Option<&'a str>,
    /// Where to revoke and rotate the key.
    pub remediation: &'a str,
    /// Remarks about how it was found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// History scans: commit metadata.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'a CommitInfo>,
    /// With `--verify`: what the provider said about the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<&'a Verification>,
}

/// One value of a multi-value secret as serialised.
#[derive(Debug, Serialize)]
pub struct JsonPart<'a> {
    /// `id`, `secret`, `user`, `password`...
    pub name: &'a str,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive).
    pub end_column: usize,
    /// Redacted value.
    pub secret_redacted: &'a str,
    /// The value, only with `--show-secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
}

impl<'a> JsonFinding<'a> {
    /// Serialisable view of a finding.
    pub fn new(report: &Report<'a>, f: &'a Finding) -> Self {
        JsonFinding {
            rule_id: &f.rule_id,
            rule_name: &f.rule_name,
            provider: &f.provider,
            severity: f.severity.as_str(),
            confidence: f.confidence.as_str(),
            path: &f.path,
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            secret_redacted: &f.redacted,
            secret: report.show_secrets.then_some(f.secret.as_str()),
            fingerprint: &f.fingerprint,
            entropy: (f.entropy * 1000.0).round() / 1000.0,
            parts: f
                .parts
                .iter()
                .map(|p| JsonPart {
                    name: &p.name,
                    line: p.line,
                    column: p.column,
                    end_line: p.end_line,
                    end_column: p.end_column,
                    secret_redacted: &p.redacted,
                    secret: report.show_secrets.then_some(p.value.as_str()),
                })
                .collect(),
            format_check: if f.format_check.is_some() {
                "valid"
            } else {
                "absent"
            },
            format_check_detail: f.format_check.as_deref(),
            remediation: report
                .rules
                .get(&f.rule_id)
                .map_or("", |r| r.spec.remediation.as_str()),
            notes: f.notes(),
            commit: f.commit.as_ref(),
            verification: f.verification.as_ref(),
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    stats: &'a Summary,
}

/// The whole report as one JSON document.
pub fn write_json(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        version: JSON_VERSION,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding::new(report, f))
            .collect(),
        stats: report.summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One finding per line.
pub fn write_jsonl(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    for f in report.findings {
        serde_json::to_writer(&mut *out, &JsonFinding::new(report, f))?;
        writeln!(out)?;
    }
    Ok(())
}
