//! Baselines: accept the findings a team already knows about and fail only
//! on new ones.
//!
//! A baseline records findings by fingerprint (a hash of rule id, path and
//! secret), never the secrets themselves. Fingerprints do not depend on line
//! numbers, so a baseline survives lines moving and edits elsewhere in a
//! file; history scans use the same fingerprints, so a baseline written by a
//! history scan works for history scans. A keyscan JSON report
//! (`--format json`) is also accepted as a baseline.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// Current baseline format version.
pub const BASELINE_VERSION: u32 = 1;

/// The largest baseline file keyscan reads (1 GiB: some 7 million entries).
pub const MAX_BASELINE_SIZE: u64 = 1 << 30;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Rule id (for people reading the file).
    pub rule_id: String,
    /// Path (for people reading the file).
    pub path: String,
    /// Line when recorded (informational; matching ignores it).
    pub line: usize,
    /// Commit that introduced it (history scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version.
    pub version: u32,
    /// Always `keyscan-baseline`.
    pub kind: String,
    /// Accepted findings.
    pub entries: Vec<Entry>,
}

/// A baseline that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BaselineError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
struct ReportFinding {
    fingerprint: String,
    rule_id: String,
    path: String,
    line: usize,
    #[serde(default)]
    commit: Option<String>,
}

#[derive(Deserialize)]
struct Report {
    findings: Vec<ReportFinding>,
}

impl Baseline {
    /// A baseline of `findings`.
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<Entry> = findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.path.clone(),
                line: f.line,
                commit: f.commit.as_ref().map(|c| c.commit.clone()),
            })
            .collect();
        entries.sort();
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: BASELINE_VERSION,
            kind: "keyscan-baseline".into(),
            entries,
        }
    }

    /// Parse a baseline (or a keyscan JSON report) from text.
    pub fn parse(name: &str, text: &str) -> Result<Baseline, BaselineError> {
        let err = |message: String| BaselineError {
            path: name.to_string(),
            message,
        };
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| err(format!("not a keyscan baseline: invalid JSON: {e}")))?;
        if value.get("kind").and_then(|k| k.as_str()) == Some("keyscan-baseline") {
            let b: Baseline = serde_json::from_value(value)
                .map_err(|e| err(format!("not a keyscan baseline: {e}")))?;
            if b.version != BASELINE_VERSION {
                return Err(err(format!("unsupported baseline version {}", b.version)));
            }
            if let Some(e) = b.entries.iter().find(|e| !is_fingerprint(&e.fingerprint)) {
                return Err(err(format!("invalid fingerprint {:?}", e.fingerprint)));
            }
            return Ok(b);
        }
        if value.get("findings").is_some() {
            let r: Report = serde_json::from_value(value)
                .map_err(|e| err(format!("not a keyscan JSON report: {e}")))?;
            // Checked as for a baseline, so that `baseline --prune REPORT`
            // never writes a file that keyscan then refuses to read.
            if let Some(f) = r.findings.iter().find(|f| !is_fingerprint(&f.fingerprint)) {
                return Err(err(format!("invalid fingerprint {:?}", f.fingerprint)));
            }
            let entries = r
                .findings
                .into_iter()
                .map(|f| Entry {
                    fingerprint: f.fingerprint,
                    rule_id: f.rule_id,
                    path: f.path,
                    line: f.line,
                    commit: f.commit,
                })
                .collect();
            return Ok(Baseline {
                version: BASELINE_VERSION,
                kind: "keyscan-baseline".into(),
                entries,
            });
        }
        Err(err(
            "not a keyscan baseline (expected \"kind\": \"keyscan-baseline\" or a JSON report)"
                .into(),
        ))
    }

    /// Read a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let name = path.display().to_string();
        let text = crate::files::read_regular_to_string(path, MAX_BASELINE_SIZE, "a baseline")
            .map_err(|e| BaselineError {
                path: name.clone(),
                message: format!("cannot read: {e}"),
            })?;
        Baseline::parse(&name, &text)
    }

    /// The set of fingerprints.
    pub fn fingerprints(&self) -> BTreeSet<&str> {
        self.entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }

    /// Remove the findings the baseline accepts; returns how many.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> u64 {
        let set = self.fingerprints();
        let before = findings.len();
        findings.retain(|f| !set.contains(f.fingerprint.as_str()));
        (before - findings.len()) as u64
    }

    /// Entries that match none of `findings` (stale), and the baseline without them.
    pub fn prune(&self, findings: &[Finding]) -> (Vec<Entry>, Baseline) {
        let live: BTreeSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();
        let (kept, stale): (Vec<Entry>, Vec<Entry>) = self
            .entries
            .iter()
            .cloned()
            .partition(|e| live.contains(e.fingerprint.as_str()));
        (
            stale,
            Baseline {
                version: BASELINE_VERSION,
                kind: "keyscan-baseline".into(),
                entries: kept,
            },
        )
    }

    /// Serialise as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_clear_error() {
        let e = Baseline::parse("b.json", "not json")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("b.json: not a keyscan baseline: invalid JSON"),
            "{e}"
        );
        let e = Baseline::parse("b.json", "{\"a\": 1}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a keyscan baseline"), "{e}");
        let e = Baseline::parse(
            "b.json",
            r#"{"version":1,"kind":"keyscan-baseline","entries":[{"fingerprint":"zz","rule_id":"r","path":"p","line":1}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("invalid fingerprint"), "{e}");
    }

    #[test]
    fn round_trip() {
        let b = Baseline {
            version: 1,
            kind: "keyscan-baseline".into(),
            entries: vec![Entry {
                fingerprint: "0123456789abcdef0123456789abcdef".into(),
                rule_id: "r".into(),
                path: "p".into(),
                line: 3,
                commit: None,
            }],
        };
        assert_eq!(Baseline::parse("x", &b.to_json()).unwrap(), b);
    }
}
