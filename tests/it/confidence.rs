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

/// A long-term Bedrock key whose marker (`ABSK` and the base64 of
/// `BedrockAPIKey-`) is there but whose body does not decode to an id and a
/// secret is reported at low confidence and low severity with a note;
/// `--min-confidence medium` drops it. So is a GitHub token whose checksum
/// fails (a sample or an altered key), with its own note.
#[test]
fn a_key_that_fails_its_rules_check_can_be_reported_low() {
    let t = Tree::new();
    // Built at run time so that the repository itself holds no such line.
    let bedrock = [
        "ABSKQmVkcm9ja0FQSUtleS1",
        "9kjzf9i6y9h0bklhmdw2ynz8nl5ny4w5nw6nut46ogttppad1c4rrbnak9q0phqgj6tixvp63s0okcab79m1ze6o860r952mxm91zhxmhea73f",
    ]
    .concat();
    let mut bad_github = GITHUB.to_string();
    let last = bad_github.pop().unwrap();
    bad_github.push(if last == 'A' { 'B' } else { 'A' });
    t.file(
        "a.env",
        format!(
            "AWS_BEARER_TOKEN_BEDROCK={bedrock}
GH_TOKEN={bad_github}
GITHUB_TOKEN={GITHUB}
"
        ),
    );
    let (code, doc, _) = scan_json(t.path(), &["."]);
    assert_eq!(code, 1);
    let f = doc["findings"].as_array().unwrap();
    let lines: Vec<_> = f.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3], "{doc:#}");
    let (weak, bad_crc, strong) = (&f[0], &f[1], &f[2]);
    assert_eq!(bad_crc["rule_id"], "github-classic-token");
    assert_eq!(bad_crc["confidence"], "low");
    assert_eq!(bad_crc["severity"], "low");
    assert!(
        bad_crc.to_string().contains("its checksum does not match"),
        "{bad_crc:#}"
    );
    assert_eq!(weak["rule_id"], "aws-bedrock-api-key");
    assert_eq!(weak["confidence"], "low");
    assert_eq!(weak["severity"], "low");
    assert_eq!(weak["format_check"], "absent", "{weak:#}");
    assert!(
        weak.to_string()
            .contains("does not decode to a key id and secret"),
        "{weak:#}"
    );
    assert_eq!(strong["rule_id"], "github-classic-token");
    assert_eq!(strong["confidence"], "high");

    let (code, doc, _) = scan_json(t.path(), &["--min-confidence", "medium", "."]);
    assert_eq!(code, 1);
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["line"], 3);
}
