//! Findings with parts: a secret of several values (an AWS key id and its
//! secret access key, a URL's user and password, an HTTP Basic header's
//! user and password) is one finding whose `secret` is the credential and
//! whose `parts` locate each value; its fingerprint comes from the values.

use crate::common::*;
use serde_json::Value;

const AWS_ID: &str = "AKIAX66S2O4A2QPOASTV";
const AWS_SECRET: &str = "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";

/// (name, line, column, end_column, value) of each part of a JSON finding.
fn parts(f: &Value) -> Vec<(String, u64, u64, u64, String)> {
    f["parts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["line"].as_u64().unwrap(),
                        p["column"].as_u64().unwrap(),
                        p["end_column"].as_u64().unwrap(),
                        p["secret"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn fixture_parts_are_located_one_by_one() {
    let out = keyscan()
        .args([
            "--no-config",
            "--format",
            "json",
            "--show-secrets",
            "fixtures/parts",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    let f = doc["findings"].as_array().unwrap();
    let by_rule = |id: &str| f.iter().find(|x| x["rule_id"] == id).unwrap();

    let aws = by_rule("aws-access-key");
    assert_eq!(aws["secret"], AWS_SECRET);
    assert_eq!(
        (&aws["line"], &aws["column"]),
        (&Value::from(2), &Value::from(21))
    );
    assert_eq!(
        parts(aws),
        [
            ("id".into(), 2, 21, 41, AWS_ID.into()),
            ("secret".into(), 3, 25, 65, AWS_SECRET.into()),
        ]
    );

    let db = by_rule("database-url-password");
    assert_eq!(db["secret"], "13Fa61ESYhD1NfFPb9jT");
    assert_eq!(
        parts(db),
        [
            ("user".into(), 1, 28, 35, "billing".into()),
            ("password".into(), 1, 36, 56, "13Fa61ESYhD1NfFPb9jT".into()),
        ]
    );

    // Both values of a Basic header sit inside its base64: located there.
    let basic = by_rule("generic-secret");
    assert_eq!(basic["secret"], "o6z5xcIcQPzMuEGQ80");
    assert_eq!(
        parts(basic),
        [
            ("user".into(), 2, 36, 72, "deploy".into()),
            ("password".into(), 2, 36, 72, "o6z5xcIcQPzMuEGQ80".into()),
        ]
    );
}

#[test]
fn without_show_secrets_parts_are_redacted_only() {
    let out = keyscan()
        .args(["--no-config", "--format", "json", "fixtures/parts"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for secret in [
        AWS_ID,
        AWS_SECRET,
        "13Fa61ESYhD1NfFPb9jT",
        "o6z5xcIcQPzMuEGQ80",
    ] {
        assert!(!text.contains(secret), "{secret} printed");
    }
    let doc: Value = serde_json::from_str(&text).unwrap();
    let aws = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule_id"] == "aws-access-key")
        .unwrap();
    assert_eq!(aws["parts"][0]["secret_redacted"], "AKIA************TV");
    assert!(aws["parts"][0].get("secret").is_none());
}

/// The fingerprint comes from the values, not from the text between them:
/// reformatting a credentials file keeps a baseline valid.
#[test]
fn fingerprint_ignores_the_text_between_parts() {
    let e = engine();
    let a = format!("aws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n");
    let b = format!(
        "# creds\naws_access_key_id={AWS_ID}\n  aws_secret_access_key:   \"{AWS_SECRET}\"\n"
    );
    let fa = e.scan_bytes("creds", a.as_bytes());
    let fb = e.scan_bytes("creds", b.as_bytes());
    assert_eq!(fa.len(), 1);
    assert_eq!(fb.len(), 1);
    assert_eq!(fa[0].parts.len(), 2);
    assert_eq!(fa[0].fingerprint, fb[0].fingerprint);
    // Another secret with the same id is another finding.
    let other = a.replace(AWS_SECRET, "tNcCGctd76LCNUH1lS/2wLfKkaVE+tNMO66iv9b4");
    let fc = e.scan_bytes("creds", other.as_bytes());
    assert_ne!(fa[0].fingerprint, fc[0].fingerprint);
}

/// A secret access key alone is the finding's secret without the name it
/// is assigned to.
#[test]
fn a_lone_secret_access_key_is_the_secret() {
    let text = format!("aws_secret_access_key = \"{AWS_SECRET}\"\n");
    let f = engine().scan_bytes("c", text.as_bytes());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].secret, AWS_SECRET);
    assert!(f[0].parts.is_empty());
    assert_eq!((f[0].line, f[0].column), (1, 26));
}

#[test]
fn sarif_gives_each_part_a_related_location() {
    let out = keyscan()
        .args(["--no-config", "--format", "sarif", "fixtures/parts/aws.ini"])
        .current_dir(root())
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let result = &doc["runs"][0]["results"][0];
    let related = result["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 2);
    assert_eq!(related[0]["message"]["text"], "id: AKIA************TV");
    assert_eq!(related[1]["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(related[1]["physicalLocation"]["region"]["startColumn"], 25);
    let text = result["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("id AKIA************TV, secret sNcC************b4"),
        "{text}"
    );
}
