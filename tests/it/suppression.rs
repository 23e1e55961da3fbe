//! Suppression: the configuration file, inline allow comments, baselines
//! and gitleaks-format configurations.

use crate::common::*;
use predicates::prelude::*;

const GENERIC_VALUE: &str = "QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA";

fn rule_ids(t: &Tree, args: &[&str]) -> Vec<String> {
    let out = t
        .keyscan()
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    locations(&json(&out.stdout))
        .into_iter()
        .map(|l| l.3)
        .collect()
}

#[test]
fn config_disable_rules() {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\nHF={HF}\n"));
    t.file(".keyscan.toml", "disable = [\"huggingface-token\"]\n");
    assert_eq!(rule_ids(&t, &["."]), vec!["github-classic-token"]);
    t.file(
        ".keyscan.toml",
        "[rules.github-classic-token]\ndisabled = true\n",
    );
    assert_eq!(rule_ids(&t, &["."]), vec!["huggingface-token"]);
    t.file(".keyscan.toml", "disable = [\"no-such-rule\"]\n");
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no rule has the id \"no-such-rule\"",
        ));
}

#[test]
fn config_global_allowlist_paths_regexes_stopwords() {
    let t = Tree::new();
    t.file("src/a.env", format!("T={GITHUB}\n"));
    t.file("docs/b.md", format!("HF={HF}\n"));
    t.file("c.py", format!("k = '{AWS_ID}'\n"));
    t.file(".keyscan.toml", "[allowlist]\npaths = [\"docs/**\"]\n");
    assert_eq!(
        rule_ids(&t, &["."]),
        vec!["aws-access-key", "github-classic-token"]
    );
    t.file(".keyscan.toml", "[allowlist]\nregexes = ['^AKIA']\n");
    assert_eq!(
        rule_ids(&t, &["."]),
        vec!["huggingface-token", "github-classic-token"]
    );
    t.file(".keyscan.toml", "[allowlist]\nstopwords = [\"MIWDDQ\"]\n");
    assert_eq!(
        rule_ids(&t, &["."]),
        vec!["aws-access-key", "github-classic-token"]
    );
}

#[test]
fn config_per_rule_allowlist_and_entropy() {
    let t = Tree::new();
    t.file(
        "a.py",
        format!("api_key = \"{GENERIC_VALUE}\"\nT = '{GITHUB}'\n"),
    );
    t.file(
        ".keyscan.toml",
        "[rules.generic-secret.allowlist]\npaths = [\"a.py\"]\n",
    );
    assert_eq!(rule_ids(&t, &["."]), vec!["github-classic-token"]);
    t.file(
        ".keyscan.toml",
        "[rules.generic-secret]\nmin_entropy = 7.5\n",
    );
    assert_eq!(rule_ids(&t, &["."]), vec!["github-classic-token"]);
    t.file(".keyscan.toml", "[rules.generic-secret]\nmin_entropy = 9\n");
    t.keyscan().arg(".").assert().code(2);
    t.file(".keyscan.toml", "[rules.not-a-rule]\nmin_entropy = 3\n");
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "rules.not-a-rule: no rule has this id",
        ));
}

#[test]
fn config_options_set_defaults() {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    t.file("big.env", format!("{}\nT={HF}\n", "x".repeat(3000)));
    t.file(
        ".keyscan.toml",
        "[options]\nformat = \"jsonl\"\nmax_file_size = \"2K\"\n",
    );
    t.keyscan()
        .arg(".")
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "{\"rule_id\":\"github-classic-token\"",
        ))
        .stdout(predicate::function(|s: &str| s.lines().count() == 1));
    // Command-line flags win over the file.
    t.keyscan()
        .args(["--format", "text", "--max-file-size", "1M", "."])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("huggingface-token"));
}

#[test]
fn config_custom_rules_are_checked_when_loaded() {
    let t = Tree::new();
    t.file("a.txt", "ACME=acme_Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F9u\n");
    let rule = r#"
[[rule]]
id = "acme-token"
name = "ACME token"
provider = "ACME"
severity = "high"
keywords = ["acme_"]
regex = '''(?P<secret>acme_[A-Za-z0-9]{32})'''
remediation = "https://acme.example/tokens"
negatives = ["acme_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]
[[rule.examples]]
text = "X=acme_Zp3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F9q"
secret = "acme_Zp3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F9q"
"#;
    t.file(".keyscan.toml", rule);
    assert_eq!(rule_ids(&t, &["a.txt"]), vec!["acme-token"]);
    // The configuration file itself (with its secret-shaped examples) is not scanned.
    assert_eq!(rule_ids(&t, &["."]), vec!["acme-token"]);
    // A failing example is a clear error naming the file, line and rule.
    t.file(
        ".keyscan.toml",
        rule.replace("secret = \"acme_Zp3", "secret = \"acme_Zz3"),
    );
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"^keyscan: error: \./\.keyscan\.toml:\d+: rule `acme-token`: positive example 1 yields secret").unwrap());
    // An invalid regex too.
    t.file(".keyscan.toml", rule.replace("{32})'''", "{32}'''"));
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid regex"));
}

#[test]
fn malformed_config_names_file_and_line() {
    let t = Tree::new();
    t.file("a.txt", "x\n");
    t.file(".keyscan.toml", "[allowlist]\npaths = [\"a\"\n");
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "keyscan: error: ./.keyscan.toml:",
        ))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
    t.file(".keyscan.toml", "[allowlist]\nregexes = ['(unclosed']\n");
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "keyscan: error: ./.keyscan.toml:2: allowlist: invalid regex",
        ));
    // --config with a missing file.
    t.keyscan()
        .args(["--config", "nope.toml", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.toml: cannot read"));
}

#[test]
fn inline_allow_in_many_comment_syntaxes() {
    let t = Tree::new();
    t.file("a.py", format!("T = '{GITHUB}'  # keyscan:allow\n"));
    t.file("b.js", format!("const t = '{GITHUB}'; // keyscan:allow\n"));
    t.file(
        "c.html",
        format!("<meta t=\"{GITHUB}\"> <!-- keyscan:allow -->\n"),
    );
    t.file("d.sql", format!("SELECT '{GITHUB}'; -- keyscan:allow\n"));
    t.file(
        "e.c",
        format!("char *t = \"{GITHUB}\"; /* keyscan:allow */\n"),
    );
    t.file("f.ini", format!("t = {GITHUB} ; keyscan:allow\n"));
    t.file("g.rb", format!("t = '{GITHUB}' # gitleaks:allow\n"));
    t.file("h.go", format!("t := \"{GITHUB}\" // betterleaks:allow\n"));
    t.keyscan()
        .arg(".")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("8 suppressed"));
    let out = t
        .keyscan()
        .args(["--no-inline-allow", "--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(locations(&json(&out.stdout)).len(), 8);
}

#[test]
fn inline_allow_with_rule_id() {
    let t = Tree::new();
    t.file(
        "a.env",
        format!("T={GITHUB} # keyscan:allow github-classic-token\nH={HF} # keyscan:allow github-classic-token\n"),
    );
    assert_eq!(rule_ids(&t, &["."]), vec!["huggingface-token"]);
}

#[test]
fn baseline_accepts_known_findings_across_line_moves() {
    let t = Tree::new();
    t.file("app.py", format!("import os\nT = '{GITHUB}'\nH = '{HF}'\n"));
    let out = t.keyscan().args(["baseline", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for s in ALL_SECRETS {
        assert!(!text.contains(s), "the baseline must not hold secrets");
    }
    let b = json(text.as_bytes());
    assert_eq!(b["kind"], "keyscan-baseline");
    assert_eq!(b["entries"].as_array().unwrap().len(), 2);
    std::fs::write(t.path().join("baseline.json"), &text).unwrap();
    // Lines move, the file is edited elsewhere: still nothing new.
    t.file(
        "app.py",
        format!("import os\nimport sys\n\n\ndef f():\n    pass\n\nH = '{HF}'\nT = '{GITHUB}'\n"),
    );
    t.keyscan()
        .args(["--baseline", "baseline.json", "."])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("2 suppressed"));
    // One new secret: exactly one finding.
    t.file("new.env", format!("AWS_ACCESS_KEY_ID={AWS_ID}\n"));
    assert_eq!(
        rule_ids(&t, &["--baseline", "baseline.json", "."]),
        vec!["aws-access-key"]
    );
    // --write-baseline during a scan writes the same kind of file.
    t.keyscan()
        .args(["--write-baseline", "b2.json", "--quiet", "."])
        .assert()
        .code(1);
    let b2 = json(&std::fs::read(t.path().join("b2.json")).unwrap());
    assert_eq!(b2["entries"].as_array().unwrap().len(), 3);
    // A JSON report works as a baseline too.
    let report = t
        .keyscan()
        .args(["--format", "json", "."])
        .output()
        .unwrap()
        .stdout;
    std::fs::write(t.path().join("report.json"), report).unwrap();
    t.keyscan()
        .args(["--baseline", "report.json", "."])
        .assert()
        .code(0);
}

#[test]
fn baseline_prune_reports_stale_entries() {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\nH={HF}\n"));
    let b = t.keyscan().args(["baseline", "."]).output().unwrap().stdout;
    std::fs::write(t.path().join("base.json"), b).unwrap();
    t.file("a.env", format!("T={GITHUB}\n"));
    let out = t
        .keyscan()
        .args(["baseline", "--prune", "base.json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("stale baseline entry: huggingface-token a.env:2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 2 baseline entries no longer match"),
        "{stderr}"
    );
    let pruned = json(&out.stdout);
    let entries = pruned["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["rule_id"], "github-classic-token");
}

#[test]
fn baseline_that_is_not_json_is_an_error() {
    let t = Tree::new();
    t.file("a.env", "x\n");
    t.file("b.json", "this is not json");
    t.keyscan()
        .args(["--baseline", "b.json", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "keyscan: error: b.json: not a keyscan baseline: invalid JSON",
        ))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
}

#[test]
fn suppression_works_in_every_format() {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB} # keyscan:allow\nH={HF}\n"));
    for format in ["text", "json", "jsonl", "sarif", "gitlab"] {
        let out = t
            .keyscan()
            .args(["--format", format, "."])
            .output()
            .unwrap();
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains("huggingface-token"), "{format}");
        assert!(!s.contains("github-classic-token"), "{format}");
    }
}

#[test]
fn gitleaks_config_is_translated_with_warnings() {
    let t = Tree::new();
    t.file(
        "app.cfg",
        "internal_key = ik_live_7Hq2Lw9Xc3Vb6Nm1Zr8Tp5Ks4Jd0Fg2A\nother = ik_live_DUMMYaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
    );
    t.file(
        "vendor/x.cfg",
        "internal_key = ik_live_9Hq2Lw9Xc3Vb6Nm1Zr8Tp5Ks4Jd0Fg2B\n",
    );
    t.file(
        ".gitleaks.toml",
        r#"title = "team config"

[extend]
useDefault = true
disabledRules = ["generic-secret", "some-gitleaks-only-rule"]

[[rules]]
id = "internal-key"
description = "Internal service key"
regex = '''ik_live_([A-Za-z0-9]{30,})'''
secretGroup = 1
entropy = 3.0
keywords = ["ik_live_"]
tags = ["internal"]
path = '''\.cfg$'''

[[rules.allowlists]]
stopwords = ["dummy"]

[allowlist]
description = "global"
paths = ['''^vendor/''']
commits = ["abc123"]
"#,
    );
    let out = t
        .keyscan()
        .args(["--config", ".gitleaks.toml", "--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    let f = &doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{doc}");
    assert_eq!(f[0]["rule_id"], "internal-key");
    assert_eq!(f[0]["path"], "app.cfg");
    assert_eq!(f[0]["provider"], "internal");
    // secretGroup 1: the secret is the group, not the whole match.
    assert!(f[0]["secret_redacted"].as_str().unwrap().starts_with("7H"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("rule `internal-key`: `path` is not supported"),
        "{stderr}"
    );
    // Commit allowlists are translated now (they allow history findings).
    assert!(!stderr.contains("commits"), "{stderr}");
    assert!(
        stderr.contains("keyscan has no rule `some-gitleaks-only-rule`"),
        "{stderr}"
    );
}
