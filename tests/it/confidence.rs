//! Confidence on every finding, and `--min-confidence` / `[options]
//! min_confidence` to report only the surer ones.

use crate::common::{scan_json, Tree, GITHUB, OPENAI};

/// A tree with a checksummed token (high), a provider format that needs
/// its provider's name nearby (medium) and a generic assignment (low).
fn tree() -> Tree {
    let t = Tree::new();
    // Built at run time so that the repository itself holds no such line.
    let twilio = ["TWILIO_AUTH_TOKEN", "=", "9f3c2a7b41d85e06c1f4a2b9d7e36c58"].concat();
    let generic = [
        "PAYMENTS_SERVICE_SECRET",
        " = ",
        "\"QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA\"",
    ]
    .concat();
    t.file(
        "a.env",
        format!("GITHUB_TOKEN={GITHUB}\n{twilio}\n{generic}\n"),
    );
    t.file("b.py", format!("key = \"{OPENAI}\"\n"));
    t
}

fn confidences(doc: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["confidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_finding_carries_its_rules_confidence() {
    let t = tree();
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        confidences(&doc),
        pairs(&[
            ("generic-secret", "low"),
            ("github-classic-token", "high"),
            ("openai-project-key", "high"),
            ("twilio-auth-token", "medium"),
        ])
    );
}

#[test]
fn min_confidence_reports_only_the_surer_findings_and_counts_the_rest() {
    let t = tree();
    let (code, doc, _) = scan_json(t.path(), &["--min-confidence", "medium", "."]);
    assert_eq!(code, 1);
    assert_eq!(
        confidences(&doc),
        pairs(&[
            ("github-classic-token", "high"),
            ("openai-project-key", "high"),
            ("twilio-auth-token", "medium"),
        ])
    );
    assert_eq!(doc["stats"]["suppressed"], 1);
    let (_, doc, _) = scan_json(t.path(), &["--min-confidence", "high", "."]);
    assert_eq!(
        confidences(&doc),
        pairs(&[
            ("github-classic-token", "high"),
            ("openai-project-key", "high")
        ])
    );
}

#[test]
fn min_confidence_is_a_configuration_option_and_the_flag_wins() {
    let t = tree();
    t.file(".keyscan.toml", "[options]\nmin_confidence = \"high\"\n");
    let out = t
        .keyscan()
        .args(["--format", "json", "."])
        .output()
        .unwrap();
    let doc = crate::common::json(&out.stdout);
    assert_eq!(confidences(&doc).len(), 2, "{doc}");
    let out = t
        .keyscan()
        .args(["--format", "json", "--min-confidence", "low", "."])
        .output()
        .unwrap();
    let doc = crate::common::json(&out.stdout);
    assert_eq!(confidences(&doc).len(), 4, "{doc}");
}

#[test]
fn a_bad_confidence_is_a_usage_error() {
    let t = tree();
    let out = t
        .keyscan()
        .args(["--min-confidence", "certain", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
