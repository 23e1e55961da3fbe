//! Coming from gitleaks: `.gitleaksignore` (and keyscan's `.keyscanignore`),
//! `.gitleaks.toml` found at the root, and a gitleaks JSON report as a
//! baseline.

use crate::common::*;

/// (path, line, rule id) of each finding of a JSON report.
fn found(doc: &serde_json::Value) -> Vec<(String, u64, String)> {
    locations(doc)
        .into_iter()
        .map(|(p, l, _, r)| (p, l, r))
        .collect()
}

fn one(path: &str, line: u64, rule: &str) -> (String, u64, String) {
    (path.to_string(), line, rule.to_string())
}

const GH: &str = "github-classic-token";
const HFR: &str = "huggingface-token";

/// A repository with `k.cfg` (a GitHub token on line 1, a Hugging Face
/// token on line 2) and `sub/s.cfg` (a GitHub token), committed.
fn repo() -> (Repo, String) {
    let r = Repo::new();
    r.write("k.cfg", &format!("T={GITHUB}\nH={HF}\n"));
    r.write("sub/s.cfg", &format!("T={GITHUB}\n"));
    let c = r.commit("keys");
    (r, c)
}

#[test]
fn gitleaksignore_entries_match_file_and_line_whatever_gitleaks_called_the_rule() {
    let (r, _) = repo();
    // gitleaks calls it github-pat; keyscan has no rule of that id, so the
    // entry covers whatever keyscan finds at k.cfg:1.
    r.write(".gitleaksignore", "# accepted\nk.cfg:github-pat:1\n");
    let (doc, code, stderr) = r.scan(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        found(&doc),
        vec![one("k.cfg", 2, HFR), one("sub/s.cfg", 1, GH)],
        "{stderr}"
    );
    assert_eq!(doc["stats"]["suppressed"], 1, "{doc:#}");
    assert!(
        stderr.contains("keyscan: note: ") && stderr.contains("honouring 1 gitleaks fingerprint"),
        "{stderr}"
    );
}

#[test]
fn an_entry_naming_a_keyscan_rule_covers_that_rule_only() {
    let (r, _) = repo();
    // huggingface-token is keyscan's id: it does not cover the GitHub
    // token on line 1.
    r.write(
        ".keyscanignore",
        "k.cfg:huggingface-token:1\nk.cfg:github-classic-token:1\n",
    );
    let (doc, _, stderr) = r.scan(&[]);
    assert_eq!(
        found(&doc),
        vec![one("k.cfg", 2, HFR), one("sub/s.cfg", 1, GH)],
        "{stderr}"
    );
    r.write(".keyscanignore", "k.cfg:huggingface-token:1\n");
    let (doc, _, _) = r.scan(&[]);
    assert_eq!(found(&doc).len(), 3);
}

#[test]
fn commit_entries_match_history_findings_of_that_commit() {
    let (r, c) = repo();
    let other = "1".repeat(40);
    r.write(
        ".gitleaksignore",
        &format!(
            "{c}:k.cfg:github-pat:1\n{other}:k.cfg:huggingface-access-token:2\n{}:sub/s.cfg:x:1\n",
            &c[..7]
        ),
    );
    r.commit("ignore file");
    // The full id, and the 7-digit one of gitleaks 8.26+.
    let (doc, _, stderr) = r.scan(&["--history"]);
    assert_eq!(found(&doc), vec![one("k.cfg", 2, HFR)], "{stderr}");
    // FILE:RULE:LINE covers every commit, as in gitleaks.
    r.write(".gitleaksignore", "sub/s.cfg:github-pat:1\n");
    let (doc, _, _) = r.scan(&["--history"]);
    assert_eq!(found(&doc), vec![one("k.cfg", 1, GH), one("k.cfg", 2, HFR)]);
}

#[test]
fn keyscanignore_takes_keyscan_fingerprints_and_warns_about_bad_lines() {
    let (r, _) = repo();
    let (doc, _, _) = r.scan(&[]);
    let fp = doc["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    r.write(
        ".keyscanignore",
        &format!("# the token in k.cfg is a test fixture\n\n{fp}\nnot a fingerprint\n"),
    );
    let (doc, code, stderr) = r.scan(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&doc),
        vec![one("k.cfg", 2, HFR), one("sub/s.cfg", 1, GH)]
    );
    assert!(
        stderr.contains(".keyscanignore:4: not a fingerprint"),
        "{stderr}"
    );
    // Found at the repository root when a subdirectory is scanned (paths
    // are the repository's).
    r.write(".keyscanignore", "sub/s.cfg:github-classic-token:1\n");
    let out = keyscan()
        .current_dir(r.path().join("sub"))
        .args(["--no-config", "--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(found(&json(&out.stdout)), vec![]);
}

#[test]
fn gitleaks_json_report_is_a_baseline() {
    let (r, c) = repo();
    let report = serde_json::json!([
        {
            "Description": "GitHub Personal Access Token",
            "StartLine": 1, "EndLine": 1, "StartColumn": 3, "EndColumn": 42,
            "Match": "REDACTED", "Secret": "REDACTED",
            "File": "k.cfg", "SymlinkFile": "", "Commit": "",
            "Entropy": 4.8, "Author": "", "Email": "", "Date": "", "Message": "",
            "Tags": [], "RuleID": "github-pat",
            "Fingerprint": "k.cfg:github-pat:1"
        },
        {
            "StartLine": 1, "File": "sub/s.cfg", "Commit": c,
            "RuleID": "github-pat", "Secret": "REDACTED",
            "Fingerprint": format!("{c}:sub/s.cfg:github-pat:1")
        }
    ]);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    let b = file.path().to_str().unwrap();
    let (doc, code, stderr) = r.scan(&["--baseline", b]);
    assert_eq!(code, 1, "{stderr}");
    // The working-tree finding of the commit-bound entry is not covered.
    assert_eq!(
        found(&doc),
        vec![one("k.cfg", 2, HFR), one("sub/s.cfg", 1, GH)]
    );
    assert_eq!(doc["stats"]["suppressed"], 1);
    let (doc, _, _) = r.scan(&["--history", "--baseline", b]);
    assert_eq!(found(&doc), vec![one("k.cfg", 2, HFR)]);
    // Not a report: a clear error.
    std::fs::write(file.path(), "[{\"x\": 1}]").unwrap();
    let out = keyscan()
        .args(["--no-config", "--baseline", b])
        .arg(r.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a gitleaks JSON report"));
}

const GITLEAKS_TOML: &str = r#"title = "team"

[extend]
useDefault = true

[[rules]]
id = "internal-key"
description = "Internal service key"
regex = '''ik_live_([A-Za-z0-9]{30,})'''
keywords = ["ik_live_"]

[[allowlists]]
description = "vendored"
paths = ['''^vendor/''']
regexTarget = "line"
"#;

#[test]
fn gitleaks_toml_is_used_when_there_is_no_keyscan_toml() {
    let t = Tree::new();
    t.file(".gitleaks.toml", GITLEAKS_TOML);
    t.file("app.cfg", "k = ik_live_7Hq2Lw9Xc3Vb6Nm1Zr8Tp5Ks4Jd0Fg2A\n");
    t.file(
        "vendor/x.cfg",
        "k = ik_live_9Hq2Lw9Xc3Vb6Nm1Zr8Tp5Ks4Jd0Fg2B\n",
    );
    t.file("b.cfg", format!("T={GITHUB}\n"));
    let out = t
        .keyscan()
        .args(["--format", "json", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // Custom rule and built-in rules; vendor/ allowlisted.
    assert_eq!(
        found(&json(&out.stdout)),
        vec![one("app.cfg", 1, "internal-key"), one("b.cfg", 1, GH)]
    );
    assert!(
        stderr.contains("keyscan: note: ")
            && stderr.contains(".gitleaks.toml")
            && stderr.contains("gitleaks configuration"),
        "{stderr}"
    );
    // One warning, listing what does not carry over.
    assert_eq!(stderr.matches("keyscan: warning:").count(), 1, "{stderr}");
    assert!(stderr.contains("1 setting is not translated"), "{stderr}");
    assert!(stderr.contains("regexTarget"), "{stderr}");

    // A .keyscan.toml wins.
    t.file(".keyscan.toml", "disable = [\"huggingface-token\"]\n");
    let out = t
        .keyscan()
        .args(["--format", "json", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(found(&json(&out.stdout)), vec![one("b.cfg", 1, GH)]);
    assert!(!stderr.contains("gitleaks"), "{stderr}");
}

#[test]
fn gitleaks_commit_allowlist_allows_that_commits_findings() {
    let (r, c) = repo();
    r.write(
        ".gitleaks.toml",
        &format!(
            "[extend]\nuseDefault = true\n\n[allowlist]\ncommits = [\"{}\"]\n",
            &c[..12]
        ),
    );
    r.commit("config");
    let (code, doc, stderr) = scan_json(r.path(), &["--history", "."]);
    // --no-config in scan_json: the file is ignored, everything reported.
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found(&doc).len(), 3);
    let out = keyscan()
        .current_dir(r.path())
        .args(["--format", "json", "--history", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(found(&json(&out.stdout)), vec![]);
    // The working tree has no commit: the allowlist does not apply.
    let out = keyscan()
        .current_dir(r.path())
        .args(["--format", "json", "."])
        .output()
        .unwrap();
    assert_eq!(found(&json(&out.stdout)).len(), 3);
}
