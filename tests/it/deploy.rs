//! The recipes under `deploy/`: each parses as YAML and has what its
//! engine needs (a matrix or an Indexed Job or a parallel job whose size
//! matches the shard count keyscan is given, a merge that runs after, the
//! volumes and artifacts between them), and every keyscan flag they use
//! exists. The Kubernetes manifest is also checked against the Kubernetes
//! schemas when `kubernetes-validate` (PyPI) is installed.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{keyscan, root};

fn load(rel: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| {
            let v: Value = serde::Deserialize::deserialize(d)
                .unwrap_or_else(|e| panic!("{rel}: not YAML: {e}"));
            v
        })
        .collect()
}

fn text(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// The `--flags` of `keyscan --help` and `keyscan merge --help`.
fn known_flags() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for args in [&["--help"][..], &["merge", "--help"][..]] {
        let help = keyscan().args(args).output().unwrap().stdout;
        out.extend(flags(&String::from_utf8(help).unwrap()));
    }
    out
}

fn flags(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("--") {
        let rest = &text[i + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        if name.len() > 1 && !name.ends_with('-') {
            out.insert(format!("--{name}"));
        }
    }
    out
}

/// The keyscan flags used in `text`: in each keyscan command (from
/// `keyscan ` to the end of the command, backslash continuations joined).
fn used_flags(text: &str) -> BTreeSet<String> {
    let joined = text.replace("\\\n", " ");
    let mut out = BTreeSet::new();
    for line in joined.lines() {
        for (i, _) in line.match_indices("keyscan ") {
            if line[..i].ends_with('/') || line[..i].ends_with('-') {
                continue;
            }
            let cmd = &line[i..];
            let end = cmd.find([';', '|', '&', '>', '`']).unwrap_or(cmd.len());
            out.extend(flags(&cmd[..end]));
        }
    }
    out
}

/// Every string of a YAML document, one after another.
fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn shard_count_in(s: &str, marker: &str) -> u64 {
    let i = s
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in {s}"));
    s[i + marker.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn github_actions_matrix_and_merge() {
    let rel = "deploy/github-actions/keyscan-org.yml";
    let [wf] = load(rel).try_into().unwrap();
    let jobs = &wf["jobs"];
    let matrix: Vec<u64> = jobs["scan"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(jobs["scan"]["strategy"]["fail-fast"], false);
    let steps = |job: &str| jobs[job]["steps"].as_array().unwrap().clone();
    let scan = steps("scan");
    let run = scan
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("--repos"))
        .unwrap();
    let n = shard_count_in(run, "--shard ${{ matrix.shard }}/");
    assert_eq!(matrix, (0..n).collect::<Vec<_>>());
    assert!(run.contains("--output shard-${{ matrix.shard }}.json"));
    let uses = |steps: &[Value]| -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| s["uses"].as_str())
            .map(|u| u.split('@').next().unwrap().to_string())
            .collect()
    };
    assert!(uses(&scan).contains(&"actions/upload-artifact".into()));
    let merge = steps("merge");
    assert_eq!(jobs["merge"]["needs"], "scan");
    assert!(uses(&merge).contains(&"actions/download-artifact".into()));
    assert!(uses(&merge).contains(&"actions/upload-artifact".into()));
    let merge_run: String = merge
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(merge_run.contains("keyscan merge shards/*.json --format sarif"));
    assert!(merge_run.contains("--baseline previous/merged.json"));
    assert_eq!(wf["permissions"]["contents"], "read");
}

#[test]
fn kubernetes_indexed_job_and_merge() {
    let rel = "deploy/kubernetes/keyscan-org.yaml";
    let docs = load(rel);
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("ConfigMap", "keyscan-repos"),
            ("PersistentVolumeClaim", "keyscan-data"),
            ("CronJob", "keyscan-shards"),
            ("CronJob", "keyscan-merge"),
        ]
    );
    assert_eq!(docs[1]["spec"]["accessModes"][0], "ReadWriteMany");
    let shards = &docs[2]["spec"]["jobTemplate"]["spec"];
    assert_eq!(shards["completionMode"], "Indexed");
    let completions = shards["completions"].as_u64().unwrap();
    let parallelism = shards["parallelism"].as_u64().unwrap();
    assert!((1..=completions).contains(&parallelism));
    for doc in &docs[2..] {
        let pod = &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        let volumes: BTreeSet<&str> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
            "keyscan-data"
        );
        let c = &pod["containers"][0];
        for m in c["volumeMounts"].as_array().unwrap() {
            assert!(volumes.contains(m["name"].as_str().unwrap()), "{m}");
        }
        let shards_env = c["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "SHARDS")
            .unwrap()["value"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap();
        assert_eq!(
            shards_env, completions,
            "SHARDS in {}",
            doc["metadata"]["name"]
        );
    }
    let script = docs[2]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        ["args"][0]
        .as_str()
        .unwrap();
    assert!(script.contains("--shard \"auto/$SHARDS\""));
    assert!(script.contains("--checkpoint"));
    let merge = docs[3]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
        [0]
    .as_str()
    .unwrap();
    assert!(merge.contains("keyscan merge \"$@\" --format sarif"));
    // The schema check, where the validator is installed.
    match std::process::Command::new("kubernetes-validate")
        .args(["--strict", "--quiet"])
        .arg(root().join(rel))
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(_) => eprintln!("kubernetes-validate not installed: schema check skipped"),
    }
}

#[test]
fn gitlab_parallel_job_and_merge() {
    let rel = "deploy/gitlab/keyscan-org.gitlab-ci.yml";
    let [ci] = load(rel).try_into().unwrap();
    let shard = &ci["keyscan-shard"];
    let n = shard["parallel"].as_u64().unwrap();
    assert!(n >= 2);
    let script: Vec<String> = shard["script"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match s {
            Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
            other => vec![other.as_str().unwrap().to_string()],
        })
        .collect();
    let scan = script.iter().find(|l| l.contains("--repos")).unwrap();
    assert!(scan.contains("--shard \"auto/$CI_NODE_TOTAL\" --shard-env KEYSCAN_SHARD"));
    assert!(script.contains(&"export KEYSCAN_SHARD=$((CI_NODE_INDEX - 1))".to_string()));
    assert_eq!(shard["artifacts"]["paths"][0], "shard-*.json");
    let merge = &ci["keyscan-merge"];
    assert_eq!(merge["needs"][0]["job"], "keyscan-shard");
    assert_eq!(
        merge["artifacts"]["reports"]["secret_detection"],
        "gl-secret-detection-report.json"
    );
    assert_eq!(ci["stages"], serde_json::json!(["scan", "merge"]));
}

#[test]
fn recipes_use_only_flags_keyscan_has() {
    let known = known_flags();
    for rel in [
        "deploy/github-actions/keyscan-org.yml",
        "deploy/kubernetes/keyscan-org.yaml",
        "deploy/gitlab/keyscan-org.gitlab-ci.yml",
        "README.md",
    ] {
        let used = if rel.ends_with(".md") {
            // The README's "Scanning an organisation" section.
            let readme = text(rel);
            let start = readme
                .find("\n## Scanning an organisation\n")
                .expect("README has a Scanning an organisation section");
            let end = readme[start + 1..]
                .find("\n## ")
                .map_or(readme.len(), |e| start + 1 + e);
            used_flags(&readme[start..end])
        } else {
            let mut all = String::new();
            load(rel).iter().for_each(|d| strings(d, &mut all));
            used_flags(&all)
        };
        assert!(
            used.contains("--repos") || used.contains("--format"),
            "{rel}: {used:?}"
        );
        let unknown: Vec<&String> = used.difference(&known).collect();
        assert!(unknown.is_empty(), "{rel}: {unknown:?}");
    }
}
