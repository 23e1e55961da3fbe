//! Snapshot tests (insta) of what people and programs read: the text
//! report, the JSON and SARIF documents, the GitLab report and `keyscan
//! rules show`. The snapshots live in `tests/it/snapshots/`; after an
//! intended change, review them with `cargo insta review` (or run with
//! `INSTA_UPDATE=always` and read the diff).

use serde_json::Value;

use crate::common::{json, keyscan, root};

/// stdout and stderr of `keyscan ARGS` run at the repository root.
fn run(args: &[&str]) -> (String, String) {
    let out = keyscan().args(args).current_dir(root()).output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The summary line without its timing.
fn summary(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| match l.rfind("; ") {
            Some(i) if l.ends_with(" s") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn text_report() {
    let (out, err) = run(&["--no-config", "fixtures/basic", "fixtures/parts"]);
    insta::assert_snapshot!(format!("{out}\n--- stderr\n{}", summary(&err)));
}

#[test]
fn json_document() {
    let (out, _) = run(&["--no-config", "--format", "json", "fixtures/basic"]);
    let mut doc = json(out.as_bytes());
    doc["stats"]["elapsed_ms"] = Value::from(0);
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn json_document_with_parts() {
    let (out, _) = run(&["--no-config", "--format", "json", "fixtures/parts"]);
    let mut doc = json(out.as_bytes());
    doc["stats"]["elapsed_ms"] = Value::from(0);
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn sarif_document() {
    let (out, _) = run(&[
        "--no-config",
        "--format",
        "sarif",
        "fixtures/basic",
        "fixtures/parts",
    ]);
    let mut doc = json(out.as_bytes());
    let run = &mut doc["runs"][0];
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = Value::from("file:///ROOT/");
    run["tool"]["driver"]["version"] = Value::from("VERSION");
    run["tool"]["driver"]["semanticVersion"] = Value::from("VERSION");
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn gitlab_report() {
    let (out, _) = run(&["--no-config", "--format", "gitlab", "fixtures/parts"]);
    let mut doc = json(out.as_bytes());
    doc["scan"]["start_time"] = Value::from("START");
    doc["scan"]["end_time"] = Value::from("END");
    for a in ["analyzer", "scanner"] {
        doc["scan"][a]["version"] = Value::from("VERSION");
    }
    // The commit is the checkout's HEAD (and the id is derived from it):
    // checked here, then replaced so the snapshot holds across commits.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    for v in doc["vulnerabilities"].as_array_mut().unwrap() {
        let sha = v["location"]["commit"]["sha"].as_str().unwrap().to_string();
        if let Some(head) = &head {
            assert_eq!(&sha, head);
        }
        let id = v["id"].as_str().unwrap();
        assert_eq!(id.len(), 36, "{id}");
        v["location"]["commit"]["sha"] = Value::from("HEAD");
        v["id"] = Value::from("ID");
    }
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn rules_show() {
    for id in [
        "github-classic-token",
        "aws-access-key",
        "env-file-committed",
    ] {
        let (out, _) = run(&["rules", "show", id]);
        insta::assert_snapshot!(format!("rules_show_{id}"), out);
    }
}
