//! GitLab's secret-detection report format (`gl-secret-detection-report.json`,
//! schema 15.x), so that merge requests show keyscan's findings.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::Report;
use crate::rules::{Confidence, Severity};

/// Schema version written in the report.
pub const SCHEMA_VERSION: &str = "15.2.1";

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
    }
}

pub use crate::text::utc_timestamp as timestamp;

/// A UUID-shaped id from a 32-hex fingerprint (and the commit, for history).
fn uuid(fp: &str, salt: &str) -> String {
    let h = if salt.is_empty() {
        fp.to_string()
    } else {
        crate::finding::fingerprint(fp, salt, b"gitlab")
    };
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Write the report.
pub fn write_gitlab(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let end = SystemTime::now();
    let start = end - Duration::from_millis(report.summary.elapsed_ms as u64);
    let analyzer = json!({
        "id": "keyscan",
        "name": "keyscan",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "keyscan" },
        "url": super::sarif::INFORMATION_URI,
    });
    let vulns: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let sha = f.commit.as_ref().map_or_else(
                || {
                    report
                        .sarif
                        .revision
                        .clone()
                        .unwrap_or_else(|| "0000000".to_string())
                },
                |c| c.commit.clone(),
            );
            let rule = report.rules.get(&f.rule_id);
            let description = rule.map_or_else(String::new, |r| {
                format!(
                    "{} Revoke and rotate it at {}.",
                    r.description(),
                    r.spec.remediation
                )
            });
            let verified = f.verification.as_ref().map(|v| v.describe());
            let message = format!(
                "{} found: {}{}",
                f.rule_name,
                report.shown_value(f).replace('\n', "\\n"),
                verified.as_ref().map(|v| format!(" [{v}]")).unwrap_or_default()
            );
            let live = f.verification.as_ref().is_some_and(|v| v.is_live());
            let mut vuln = json!({
                "id": uuid(&f.fingerprint, f.commit.as_ref().map_or("", |c| c.commit.as_str())),
                "category": "secret_detection",
                "name": f.rule_name,
                "description": description,
                "message": message,
                "severity": severity(f.severity),
                "confidence": match f.confidence {
                    _ if live => "Confirmed",
                    Confidence::High => "High",
                    Confidence::Medium => "Medium",
                    Confidence::Low => "Low",
                },
                "raw_source_code_extract": report.shown_secret(f),
                "scanner": { "id": "keyscan", "name": "keyscan" },
                "location": {
                    "file": f.path,
                    "start_line": f.line,
                    "end_line": f.end_line,
                    "commit": { "sha": sha },
                },
                "identifiers": [{
                    "type": "keyscan_rule_id",
                    "name": format!("keyscan rule {}", f.rule_id),
                    "value": f.rule_id,
                }],
                "solution": rule.map(|r| format!("Revoke and rotate the key at {}, then remove it from the repository and its history.", r.spec.remediation)),
            });
            if let Some(v) = verified {
                vuln["details"] = json!({
                    "verification": { "type": "text", "name": "Verification", "value": v },
                });
            }
            vuln
        })
        .collect();
    let doc = json!({
        "version": SCHEMA_VERSION,
        "vulnerabilities": vulns,
        "scan": {
            "analyzer": analyzer,
            "scanner": analyzer,
            "type": "secret_detection",
            "start_time": timestamp(start),
            "end_time": timestamp(end),
            "status": "success",
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_400_000);
        assert_eq!(timestamp(t), "2026-11-23T02:13:20");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(t), "2000-02-29T00:00:00");
    }
}
