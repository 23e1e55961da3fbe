//! `keyscan merge`: shards' reports fanned in to the report one process
//! would write (byte for byte, in any order), one entry per secret across
//! repositories, SARIF with a run per repository, `--baseline`, bad input.

use std::path::Path;
use std::process::Output;

use crate::common::{json, keyscan, GITHUB, OPENAI};

/// Six local repositories: one OpenAI key in three of them, a GitHub
/// token in one, two clean; and a seventh that does not exist.
fn organisation(work: &Path) {
    let files: [(&str, &str, String); 5] = [
        ("r0", "config/app.py", format!("KEY = \"{OPENAI}\"\n")),
        ("r1", "ci.sh", format!("\nexport GH={GITHUB}\n")),
        ("r2", "settings.py", format!("openai = \"{OPENAI}\"\n")),
        ("r3", "README.md", "clean\n".to_string()),
        ("r4", "src/main.py", format!("\n\n  key = '{OPENAI}'\n")),
    ];
    for (repo, path, text) in files {
        let p = work.join(repo).join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::create_dir_all(work.join("r5")).unwrap();
    std::fs::write(work.join("list.txt"), "r0\nr1\nr2\nr3\nr4\nr5\nmissing\n").unwrap();
}

fn ks(work: &Path, args: &[&str]) -> Output {
    keyscan().current_dir(work).args(args).output().unwrap()
}

fn scan(work: &Path, args: &[&str]) -> i32 {
    let out = ks(
        work,
        &[
            &[
                "--no-config",
                "-q",
                "--repos",
                "list.txt",
                "--repo-jobs",
                "2",
            ],
            args,
        ]
        .concat(),
    );
    out.status.code().unwrap()
}

fn read(work: &Path, name: &str) -> Vec<u8> {
    std::fs::read(work.join(name)).unwrap()
}

#[test]
fn shards_merged_in_any_order_give_the_single_run_report_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    organisation(w);
    assert_eq!(scan(w, &["-f", "json", "-o", "single.json"]), 1);
    for i in 0..3 {
        let shard = format!("{i}/3");
        let out = format!("s{i}.json");
        let code = scan(w, &["--shard", &shard, "-f", "json", "-o", &out]);
        assert!([0, 1, 3].contains(&code));
        let jsonl = format!("s{i}.jsonl");
        scan(w, &["--shard", &shard, "-f", "jsonl", "-o", &jsonl]);
    }
    let merged = |order: &[&str], out: &str| {
        let o = ks(w, &[&["merge", "-q", "-o", out], order].concat());
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        read(w, out)
    };
    let a = merged(&["s0.json", "s1.json", "s2.json"], "m1.json");
    let b = merged(&["s2.json", "s0.json", "s1.json"], "m2.json");
    assert_eq!(a, b);
    assert_eq!(a, read(w, "single.json"));
    // A merge of merges changes nothing.
    assert_eq!(merged(&["m1.json", "s1.json"], "m3.json"), a);

    let doc = json(&a);
    let repos: Vec<(&str, &str)> = doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["repository"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        repos,
        [
            ("missing", "failed"),
            ("r0", "scanned"),
            ("r1", "scanned"),
            ("r2", "scanned"),
            ("r3", "scanned"),
            ("r4", "scanned"),
            ("r5", "scanned"),
        ]
    );
    // The key in three repositories is one entry with its three places.
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 2);
    assert_eq!(secrets[0]["rule_id"], "openai-project-key");
    assert_eq!(
        secrets[0]["repositories"],
        serde_json::json!(["r0", "r2", "r4"])
    );
    let places: Vec<(&str, &str, u64)> = secrets[0]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["repository"].as_str().unwrap(),
                l["path"].as_str().unwrap(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("r0", "config/app.py", 1),
            ("r2", "settings.py", 1),
            ("r4", "src/main.py", 3)
        ]
    );
    assert_eq!(
        doc["counts"],
        serde_json::json!({
            "by_repository": {"missing": 0, "r0": 1, "r1": 1, "r2": 1, "r3": 0, "r4": 1, "r5": 0},
            "by_rule": {"github-classic-token": 1, "openai-project-key": 3},
        })
    );
    assert_eq!(doc["stats"]["findings"], 4);
    assert_eq!(doc["stats"]["files_scanned"], 5);

    // JSON Lines shards: the same findings (no repository records).
    let o = ks(w, &["merge", "-q", "s1.jsonl", "s0.jsonl", "s2.jsonl"]);
    assert_eq!(json(&o.stdout)["findings"], doc["findings"]);
}

#[test]
fn sarif_has_one_run_per_scanned_repository() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    organisation(w);
    scan(w, &["-f", "json", "-o", "r.json"]);
    let o = ks(
        w,
        &[
            "merge",
            "-q",
            "-f",
            "sarif",
            "r.json",
            "--sarif-category",
            "nightly/",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let sarif = json(&o.stdout);
    // The official schema, where it is (see tests/it/sarif.rs).
    let schema = std::env::var("KEYSCAN_SARIF_SCHEMA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            crate::common::root().join("../shared/schemas/sarif-schema-2.1.0.json")
        });
    if let Ok(text) = std::fs::read_to_string(&schema) {
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let v = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = v.iter_errors(&sarif).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let runs: Vec<(String, usize)> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["automationDetails"]["id"].as_str().unwrap().to_string(),
                r["results"].as_array().unwrap().len(),
            )
        })
        .collect();
    let want: Vec<(String, usize)> = [
        ("r0", 1),
        ("r1", 1),
        ("r2", 1),
        ("r3", 0),
        ("r4", 1),
        ("r5", 0),
    ]
    .iter()
    .map(|(r, n)| (format!("nightly/{r}/"), *n))
    .collect();
    assert_eq!(runs, want);
    let r0 = &sarif["runs"][0];
    assert_eq!(r0["properties"]["repository"], "r0");
    assert_eq!(
        r0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "config/app.py"
    );
    // The --repos run writes the same SARIF.
    let direct = ks(
        w,
        &[
            "--no-config",
            "-q",
            "--repos",
            "list.txt",
            "-f",
            "sarif",
            "--sarif-category",
            "nightly/",
        ],
    );
    assert_eq!(direct.stdout, o.stdout);
}

#[test]
fn text_groups_each_secret_with_its_places() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    organisation(w);
    scan(w, &["-f", "json", "-o", "r.json"]);
    let o = ks(w, &["merge", "-f", "text", "r.json"]);
    let text = String::from_utf8(o.stdout).unwrap();
    let redacted = |k: &str| {
        let doc = json(&read(w, "r.json"));
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == k)
            .unwrap()["secret_redacted"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        text,
        format!(
            "critical openai-project-key  {}  (3 locations in 3 repositories)\n\
             \x20   r0  config/app.py:1:8\n\
             \x20   r2  settings.py:1:11\n\
             \x20   r4  src/main.py:3:10\n\
             critical github-classic-token  {}  (1 location)\n\
             \x20   r1  ci.sh:2:11\n\
             failed   missing: not a directory\n\
             4 findings of 2 secrets in 7 repositories (1 failed)\n",
            redacted("openai-project-key"),
            redacted("github-classic-token"),
        )
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "keyscan: warning: missing: not scanned: not a directory\n\
         keyscan: merged 1 report: 7 repositories (1 failed), 4 findings\n"
    );
}

#[test]
fn baseline_keeps_only_what_is_new() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    organisation(w);
    scan(w, &["-f", "json", "-o", "yesterday.json"]);
    std::fs::write(w.join("r3/leak.txt"), format!("{GITHUB}\n")).unwrap();
    scan(w, &["-f", "json", "-o", "today.json"]);
    let o = ks(
        w,
        &["merge", "-q", "today.json", "--baseline", "yesterday.json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o.stdout);
    let new: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["repository"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(new, [("r3", "leak.txt")]);
    assert_eq!(doc["stats"]["suppressed"], 4);
    // A baseline file (of one repository's scan) holds fingerprints, in
    // whichever repository they are.
    let b = ks(w, &["baseline", "--no-config", "-q", "r0"]);
    std::fs::write(w.join("r0.baseline.json"), &b.stdout).unwrap();
    let o = ks(
        w,
        &[
            "merge",
            "-q",
            "today.json",
            "--baseline",
            "r0.baseline.json",
        ],
    );
    let left: Vec<String> = json(&o.stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["repository"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, ["r1", "r2", "r3", "r4"]);
    // Nothing new: exit 3 still says a repository was not scanned.
    let o = ks(
        w,
        &[
            "merge",
            "-q",
            "yesterday.json",
            "--baseline",
            "yesterday.json",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(json(&o.stdout)["findings"], serde_json::json!([]));
}

#[test]
fn bad_reports_are_one_line_errors() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::write(w.join("plain.json"), "{\"version\":1,\"findings\":[{\"rule_id\":\"r\",\"path\":\"p\",\"line\":1,\"column\":1,\"fingerprint\":\"f\",\"severity\":\"low\"}],\"stats\":{}}").unwrap();
    std::fs::write(w.join("junk.txt"), "hello\n").unwrap();
    let err = |f: &str| {
        let o = ks(w, &["merge", f]);
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    assert_eq!(
        err("plain.json"),
        (
            2,
            "keyscan: error: plain.json: a finding has no \"repository\": \
             not a report of keyscan --repos\n"
                .into()
        )
    );
    let (code, msg) = err("junk.txt");
    assert_eq!(code, 2);
    assert!(
        msg.starts_with("keyscan: error: junk.txt: line 1: not JSON: "),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1);
    let (code, msg) = err("absent.json");
    assert_eq!(code, 2);
    assert!(msg.starts_with("keyscan: error: absent.json: "), "{msg}");
    let o = ks(w, &["merge"]);
    assert_eq!(o.status.code(), Some(2));
}
