//! SARIF output: schema validity, GitHub's requirements, stable
//! fingerprints, redaction, truncation; and the GitLab report.

use crate::common::*;
use keyscan::config::Config;
use keyscan::detect::Detector;
use keyscan::report::sarif::{render, SarifOptions};
use keyscan::report::{Report, Summary};
use keyscan::rules::RuleSet;
use keyscan::scan::{Engine, ScanOptions};
use serde_json::Value;

/// The official SARIF 2.1.0 schema: `KEYSCAN_SARIF_SCHEMA`, or `../shared`.
fn schema() -> Option<Value> {
    let candidates = [
        std::env::var("KEYSCAN_SARIF_SCHEMA")
            .ok()
            .map(std::path::PathBuf::from),
        Some(root().join("../shared/schemas/sarif-schema-2.1.0.json")),
    ];
    for c in candidates.into_iter().flatten() {
        if let Ok(text) = std::fs::read_to_string(&c) {
            return Some(serde_json::from_str(&text).expect("schema is JSON"));
        }
    }
    eprintln!("skipped: SARIF schema not found (set KEYSCAN_SARIF_SCHEMA)");
    None
}

fn sarif_of(args: &[&str], dir: &std::path::Path) -> Value {
    let out = keyscan()
        .args(["--format", "sarif"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1));
    json(&out.stdout)
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(schema) = schema() else { return };
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for extra in [&[][..], &["--sarif-all-rules"][..], &["--show-secrets"][..]] {
        let mut args = vec!["--no-config", "fixtures/basic"];
        args.extend_from_slice(extra);
        let doc = sarif_of(&args, &root());
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{extra:?}: {errors:#?}");
    }
}

#[test]
fn sarif_meets_github_requirements() {
    let doc = sarif_of(&["--no-config", "fixtures/basic"], &root());
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "keyscan");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(run["automationDetails"]["id"], "keyscan/");
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file:///"));
    let rules = driver["rules"].as_array().unwrap();
    // Only the rules that fired, each fully described.
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5, "{ids:?}");
    for r in rules {
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
        assert!(r["help"]["markdown"].as_str().unwrap().contains("https://"));
        let sev: f64 = r["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
        let tags = r["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&Value::from("security")) && tags.contains(&Value::from("secret")));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        // Relative to the repository's root (%SRCROOT%), so GitHub puts
        // the alert on the file whatever directory the scan started in.
        assert!(
            !uri.starts_with('/') && uri.starts_with("fixtures/basic/"),
            "relative to the repository root: {uri}"
        );
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
        let fp = res["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 32);
    }
    // All rules on request.
    let all = sarif_of(
        &["--no-config", "--sarif-all-rules", "fixtures/basic"],
        &root(),
    );
    let n = all["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .len();
    // Every rule that runs: all but the opt-in encrypted-key rule.
    assert_eq!(n, RuleSet::builtin().unwrap().len() - 1);
}

#[test]
fn sarif_messages_are_redacted_unless_asked() {
    let text =
        serde_json::to_string(&sarif_of(&["--no-config", "fixtures/basic"], &root())).unwrap();
    for s in ALL_SECRETS {
        assert!(!text.contains(s), "SARIF leaks {s}");
    }
    let shown = serde_json::to_string(&sarif_of(
        &["--no-config", "--show-secrets", "fixtures/basic"],
        &root(),
    ))
    .unwrap();
    assert!(shown.contains(GITHUB));
}

#[test]
fn sarif_fingerprints_survive_inserted_lines() {
    let t = Tree::new();
    t.file(
        "app/settings.py",
        format!("import os\nTOKEN = '{GITHUB}'\n"),
    );
    let before = sarif_of(&["."], t.path());
    t.file(
        "app/settings.py",
        format!("import os\nimport sys\n\n# comment\n\nTOKEN = '{GITHUB}'\n"),
    );
    let after = sarif_of(&["."], t.path());
    let get = |d: &Value, k: &str| d["runs"][0]["results"][0][k].clone();
    assert_eq!(
        get(&before, "partialFingerprints"),
        get(&after, "partialFingerprints")
    );
    let line = |d: &Value| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
            .clone()
    };
    assert_eq!(line(&before), 2);
    assert_eq!(line(&after), 6);
    assert_eq!(
        before["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "app/settings.py"
    );
}

#[test]
fn sarif_keeps_the_most_severe_results_within_limits() {
    let det = Detector::new(RuleSet::builtin().unwrap()).unwrap();
    let engine = Engine::new(det, Config::default(), ScanOptions::default());
    let text = format!(
        "GH={GITHUB}\nAWS={AWS_ID}\nHF={HF}\nPAYMENTS_API_KEY = \"QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA\"\n"
    );
    let findings = engine.scan_bytes("f.env", text.as_bytes());
    assert_eq!(findings.len(), 4);
    let summary = Summary::default();
    let report = Report {
        findings: &findings,
        summary: &summary,
        rules: engine.detector().rules(),
        show_secrets: false,
        color: false,
        sarif: SarifOptions {
            max_results: Some(2),
            ..SarifOptions::default()
        },
    };
    let (bytes, notice) = render(&report, &report.sarif);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["github-classic-token", "aws-access-key"]);
    assert!(notice.unwrap().starts_with("2 of 4 findings kept"));
    assert_eq!(doc["runs"][0]["properties"]["findingsTotal"], 4);
    assert!(doc["runs"][0]["properties"]["truncated"].is_string());
    // A compressed-size limit also truncates.
    let report = Report {
        sarif: SarifOptions {
            max_gzip_bytes: Some(1),
            ..SarifOptions::default()
        },
        ..report
    };
    let (bytes, notice) = render(&report, &report.sarif);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert!(notice.is_some());
}

#[test]
fn gitlab_report_has_the_required_fields() {
    let out = keyscan()
        .args(["--no-config", "--format", "gitlab", "fixtures/basic"])
        .current_dir(root())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(doc["scan"]["type"], "secret_detection");
    assert_eq!(doc["scan"]["status"], "success");
    assert_eq!(doc["scan"]["analyzer"]["id"], "keyscan");
    let v = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(v.len(), 5);
    for x in v {
        assert_eq!(x["id"].as_str().unwrap().len(), 36);
        assert!(["Critical", "High", "Medium", "Low"].contains(&x["severity"].as_str().unwrap()));
        assert!(x["location"]["file"].is_string());
        assert!(x["location"]["start_line"].as_u64().unwrap() >= 1);
        assert!(x["location"]["commit"]["sha"].is_string());
        assert_eq!(x["identifiers"][0]["type"], "keyscan_rule_id");
    }
    let text = String::from_utf8(out).unwrap();
    for s in ALL_SECRETS {
        assert!(!text.contains(s));
    }
}

#[test]
fn fail_on_sets_the_threshold() {
    let t = Tree::new();
    t.file(
        "a.env",
        "PAYMENTS_API_KEY = \"QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA\"\n",
    );
    // A medium finding fails by default, not with --fail-on high.
    t.keyscan().arg(".").assert().code(1);
    t.keyscan()
        .args(["--fail-on", "high", "."])
        .assert()
        .code(0);
    t.file("b.env", format!("T={GITHUB}\n"));
    t.keyscan()
        .args(["--fail-on", "high", "."])
        .assert()
        .code(1);
    t.keyscan()
        .args(["--fail-on", "bogus", "."])
        .assert()
        .code(2);
    // And from the configuration file.
    t.file(".keyscan.toml", "[options]\nfail_on = \"critical\"\n");
    t.keyscan().arg(".").assert().code(1);
    std::fs::remove_file(t.path().join("b.env")).unwrap();
    t.keyscan().arg(".").assert().code(0);
}
