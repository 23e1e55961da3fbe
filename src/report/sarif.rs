//! SARIF 2.1.0 output for GitHub code scanning (and any SARIF consumer).
//!
//! One run, `tool.driver` = keyscan with every rule that fired (or every rule
//! with `--sarif-all-rules`) as a reporting descriptor. Results carry a
//! relative URI under `%SRCROOT%`, a region, and the finding's stable
//! fingerprint as `partialFingerprints.primaryLocationLineHash`, so that an
//! alert survives line moves, re-uploads and files that are no longer in the
//! checkout (history findings). Messages never hold the secret unless
//! `--show-secrets`.
//!
//! GitHub's upload limits are respected: at most [`MAX_RESULTS`] results per
//! run and [`MAX_GZIP_BYTES`] compressed; when a scan exceeds them the most
//! severe results are kept and the run's `properties` say what was dropped.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use crate::finding::Finding;
use crate::rules::{Confidence, Rule, Severity};

/// GitHub stores at most 5,000 results per run (prioritised by severity)
/// and rejects runs of more than 25,000; keeping 5,000 loses nothing.
pub const MAX_RESULTS: usize = 5_000;
/// GitHub rejects SARIF files larger than this once gzip-compressed.
pub const MAX_GZIP_BYTES: usize = 10 * 1024 * 1024;

/// The SARIF schema URI written in `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where keyscan lives.
pub const INFORMATION_URI: &str = "https://github.com/keyscan/keyscan";

/// Options specific to SARIF.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    /// List every rule, not only those that fired.
    pub all_rules: bool,
    /// `runAutomationDetails.id` (the upload category), e.g. `keyscan/`.
    pub category: Option<String>,
    /// Absolute `file://` URI of the directory result paths are relative to
    /// (the repository root; outside one, the scanned directory), for
    /// `originalUriBaseIds`.
    pub root_uri: Option<String>,
    /// The commit checked out (HEAD) in the scanned repository, if any: the
    /// commit of findings in the working tree, the index or standard input
    /// (GitLab's `location.commit`). History findings carry their own.
    pub revision: Option<String>,
    /// Override of [`MAX_RESULTS`] (tests).
    pub max_results: Option<usize>,
    /// Override of [`MAX_GZIP_BYTES`] (tests).
    pub max_gzip_bytes: Option<usize>,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocationBase>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct ArtifactLocationBase {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    description: Message,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    findings_total: usize,
    results_reported: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated: Option<String>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    help_uri: &'a str,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity")]
    security_severity: String,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    /// How sure keyscan is (0 to 100), from the rule's confidence.
    rank: f64,
    message: Message,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: Message,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// SARIF `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (0.0 to 10.0; 9.0+ is critical, 7.0+ high,
/// 4.0+ medium) for a severity.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// What a SARIF URI keeps as it is: RFC 3986's unreserved characters and
/// the `/` between path segments; everything else is percent-encoded.
const URI_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Percent-encode a relative path for a SARIF URI (keeps `/`).
pub fn uri_encode(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, URI_KEEP).to_string()
}

fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// A rule's SARIF `precision` (GitHub code scanning sorts alerts by it).
fn precision(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "very-high",
        Confidence::Medium => "high",
        Confidence::Low => "medium",
    }
}

/// A result's SARIF `rank` (0 to 100).
fn rank(c: Confidence) -> f64 {
    match c {
        Confidence::High => 90.0,
        Confidence::Medium => 60.0,
        Confidence::Low => 30.0,
    }
}

fn descriptor(rule: &Rule) -> Descriptor<'_> {
    let s = &rule.spec;
    let full = rule.description();
    let text = format!(
        "{full}\n\nWhat to do: revoke the {name} at {url} and issue a new one, then remove it \
         from the code (and from git history, since every clone keeps it), and load it from \
         the environment or a secret manager instead. Rotating is the fix: deleting the line \
         does not un-leak the key.",
        name = s.name,
        url = s.remediation
    );
    let markdown = format!(
        "**{name}** ({provider})\n\n{full}\n\n### What to do\n\n1. Revoke the key at \
         [{url}]({url}) and issue a new one.\n2. Remove it from the code and load it from \
         the environment or a secret manager.\n3. Remember that git history keeps every \
         committed secret: rotating is the fix.\n\nTo accept a false positive, add \
         `keyscan:allow {id}` in a comment on the line, or an allowlist entry in \
         `.keyscan.toml`.",
        name = s.name,
        provider = s.provider,
        url = s.remediation,
        id = s.id
    );
    Descriptor {
        id: &s.id,
        name: pascal(&s.id),
        short_description: Message {
            text: s.name.clone(),
        },
        full_description: Message { text: full },
        help: MultiformatMessage { text, markdown },
        help_uri: &s.remediation,
        default_configuration: Configuration {
            level: level(s.severity),
        },
        properties: DescriptorProperties {
            tags: vec!["security".into(), "secret".into(), s.provider.clone()],
            security_severity: security_severity(s.severity).into(),
            precision: precision(rule.confidence()),
            problem_severity: if s.severity >= Severity::High {
                "error"
            } else {
                "warning"
            },
        },
    }
}

fn result(report: &Report<'_>, f: &Finding, rule_index: usize) -> SarifResult {
    let mut text = format!(
        "{} ({}) found: {}",
        f.rule_name,
        f.provider,
        report.shown_value(f).replace('\n', "\\n")
    );
    if let Some(v) = &f.format_check {
        text.push_str(&format!(" [{v}]"));
    }
    for n in f.notes() {
        text.push_str(&format!(" [{n}]"));
    }
    let mut properties = BTreeMap::new();
    if let Some(v) = &f.verification {
        text.push_str(&format!(" [{}]", v.describe()));
        properties.insert("verification", serde_json::json!(v));
    }
    if let Some(c) = &f.commit {
        properties.insert("commit", serde_json::json!(c.commit));
        properties.insert("author", serde_json::json!(c.author));
        properties.insert("email", serde_json::json!(c.email));
        properties.insert("date", serde_json::json!(c.date));
        properties.insert("summary", serde_json::json!(c.summary));
        properties.insert("in_head", serde_json::json!(c.in_head));
        properties.insert("commits", serde_json::json!(c.commits));
        if let Some(tag) = &c.tag {
            properties.insert("tag", serde_json::json!(tag));
        }
    }
    if f.format_check.is_some() {
        properties.insert("format_check", serde_json::json!("valid"));
    }
    properties.insert("severity", serde_json::json!(f.severity.as_str()));
    properties.insert("confidence", serde_json::json!(f.confidence.as_str()));
    let mut fp = BTreeMap::new();
    fp.insert("primaryLocationLineHash", f.fingerprint.clone());
    // Each value of a multi-value secret is a related location of its own.
    let related_locations = f
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| RelatedLocation {
            id: i,
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_encode(&f.path),
                    uri_base_id: "%SRCROOT%",
                },
                region: Region {
                    start_line: p.line,
                    start_column: p.column,
                    end_line: p.end_line,
                    end_column: p.end_column,
                },
            },
            message: Message {
                text: format!(
                    "{}: {}",
                    p.name,
                    if report.show_secrets {
                        &p.value
                    } else {
                        &p.redacted
                    }
                ),
            },
        })
        .collect();
    SarifResult {
        rule_id: f.rule_id.clone(),
        rule_index,
        level: level(f.severity),
        rank: rank(f.confidence),
        message: Message { text },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri_encode(&f.path),
                    uri_base_id: "%SRCROOT%",
                },
                region: Region {
                    start_line: f.line,
                    start_column: f.column,
                    end_line: f.end_line,
                    end_column: f.end_column,
                },
            },
        }],
        related_locations,
        partial_fingerprints: fp,
        properties,
    }
}

fn gzip_len(bytes: &[u8]) -> usize {
    use flate2::write::GzEncoder;
    use flate2::Compression;
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(usize::MAX)
}

/// Build the SARIF log; returns the JSON bytes and, if results had to be
/// dropped to respect the upload limits, a message saying so.
pub fn render(report: &Report<'_>, opts: &SarifOptions) -> (Vec<u8>, Option<String>) {
    let max_results = opts.max_results.unwrap_or(MAX_RESULTS);
    let max_gzip = opts.max_gzip_bytes.unwrap_or(MAX_GZIP_BYTES);
    // Most severe first, then the usual order, so truncation keeps the worst.
    let mut order: Vec<&Finding> = report.findings.iter().collect();
    order.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.sort_key().cmp(&b.sort_key()))
    });
    let total = order.len();
    let mut keep = total.min(max_results);
    loop {
        let kept = &order[..keep];
        let (bytes, truncated) = render_with(report, opts, kept, total);
        let size = gzip_len(&bytes);
        if size <= max_gzip || keep == 0 {
            return (bytes, truncated);
        }
        // Shrink in proportion to the overshoot, with a margin.
        let next = ((keep as f64) * (max_gzip as f64 / size as f64) * 0.9) as usize;
        keep = next.min(keep - 1);
    }
}

fn render_with(
    report: &Report<'_>,
    opts: &SarifOptions,
    kept: &[&Finding],
    total: usize,
) -> (Vec<u8>, Option<String>) {
    let rules = report.rules.rules();
    // Rules listed: all, or those that fired, in rule-set order.
    let listed: Vec<&Rule> = if opts.all_rules {
        rules.iter().collect()
    } else {
        rules
            .iter()
            .filter(|r| report.findings.iter().any(|f| f.rule_id == r.spec.id))
            .collect()
    };
    let index_of = |id: &str| listed.iter().position(|r| r.spec.id == id).unwrap_or(0);
    // Results in the usual deterministic order.
    let mut kept: Vec<&Finding> = kept.to_vec();
    kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let results: Vec<SarifResult> = kept
        .iter()
        .map(|f| result(report, f, index_of(&f.rule_id)))
        .collect();
    let truncated = (kept.len() < total).then(|| {
        format!(
            "{} of {} findings kept (the most severe) to stay within GitHub's SARIF upload limits \
             ({} results per run, {} MiB gzip-compressed)",
            kept.len(),
            total,
            opts.max_results.unwrap_or(MAX_RESULTS),
            opts.max_gzip_bytes.unwrap_or(MAX_GZIP_BYTES) / (1024 * 1024)
        )
    });
    let mut base = BTreeMap::new();
    base.insert(
        "%SRCROOT%",
        ArtifactLocationBase {
            uri: opts.root_uri.clone(),
            description: Message {
                text: "The scanned root directory.".into(),
            },
        },
    );
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "keyscan",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: listed.into_iter().map(descriptor).collect(),
                },
            },
            automation_details: opts
                .category
                .as_ref()
                .map(|c| AutomationDetails { id: c.clone() }),
            original_uri_base_ids: base,
            column_kind: "unicodeCodePoints",
            results,
            properties: RunProperties {
                findings_total: total,
                results_reported: kept.len(),
                truncated: truncated.clone(),
            },
        }],
    };
    let mut bytes = serde_json::to_vec_pretty(&log).unwrap_or_default();
    bytes.push(b'\n');
    (bytes, truncated)
}

/// Write the SARIF log; returns the truncation message, if any.
pub fn write_sarif(
    report: &Report<'_>,
    opts: &SarifOptions,
    out: &mut dyn Write,
) -> io::Result<Option<String>> {
    let (bytes, truncated) = render(report, opts);
    out.write_all(&bytes)?;
    Ok(truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_encode("src/a b/ü.rs"), "src/a%20b/%C3%BC.rs");
        assert_eq!(uri_encode("a.zip!x/y"), "a.zip%21x/y");
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal("openai-project-key"), "OpenaiProjectKey");
    }
}
