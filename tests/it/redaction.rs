//! Secret handling: keyscan runs in CI with secrets in the tree and tokens
//! in its environment. No secret it finds may reach stdout, stderr or a
//! report file unless `--show-secrets` asks for it, in any format, with any
//! option, on any path (errors included); and it never opens a network
//! connection.

use std::path::Path;
use std::process::Output;

use crate::common::*;

/// A fake private key block (from the rule pack's examples).
const PEM: &str = "-----BEGIN EC PRIVATE KEY-----\n\
8Zzq/xVxtzxZRvOiThag1cGvoUvunAGVT9UW5CbEhn8E+UKkrCd29QVSwvvylDuV\n\
bW8eRerZDnDA6/eZpJxbl4l9Kku5ZzVultIf01LZaU8B+No+yGhK7X39KAC5m2D0\n\
vNhn0SpD1kdG6G297nhgsytH8o3HWhuG+brfeGRb+/Ru+tUE7iXmk7OAy5RQ4tRz\n\
Ur+ZXmE8Iq58==\n\
-----END EC PRIVATE KEY-----";

/// Fragments that must never be shown: each secret's middle (so neither
/// the whole nor most of it leaks) and each line of the key block's body.
fn fragments() -> Vec<String> {
    let mut v: Vec<String> = ALL_SECRETS
        .iter()
        .map(|s| s[6..s.len() - 4].to_string())
        .collect();
    v.extend(
        PEM.lines()
            .filter(|l| !l.starts_with("-----"))
            .map(|l| l[..l.len().min(40)].to_string()),
    );
    v
}

/// A tree holding every fake secret in several shapes: plain assignments,
/// JSON, a key block, a notebook output, a base64 value, UTF-16 text, a
/// binary file, and a file name that is not UTF-8.
fn secret_tree() -> Tree {
    let t = Tree::new();
    t.file(
        ".env",
        format!("OPENAI_API_KEY={OPENAI}\nANTHROPIC_API_KEY={ANTHROPIC}\n"),
    );
    t.file(
        "app/config.py",
        format!("GITHUB_TOKEN = \"{GITHUB}\"\naws_key = '{AWS_ID}'\n"),
    );
    t.file(
        "data/keys.json",
        format!("{{\"hf\": \"{HF}\", \"google\": \"{GOOGLE}\"}}\n"),
    );
    t.file("deploy/key.pem", format!("{PEM}\n"));
    t.file(
        "nb.ipynb",
        format!(
            r#"{{"cells": [{{"cell_type": "code", "metadata": {{}}, "outputs": [{{"output_type": "stream", "name": "stdout", "text": ["key={OPENAI}\n"]}}], "source": ["print(key)\n"]}}], "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}"#
        ),
    );
    t.file(
        "k8s/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tokens\ndata:\n  token: {}\n",
            b64(format!("GITHUB_TOKEN={GITHUB}").as_bytes())
        ),
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("$env:HF_TOKEN = \"{HF}\"\r\n").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    t.file("scripts/setup.ps1", utf16);
    t.file(
        "bin/blob.dat",
        [&b"\x00\x01\x02"[..], format!(" {GITHUB} ").as_bytes()].concat(),
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"odd\xffname.txt");
        std::fs::write(t.path().join(name), format!("t = {AWS_ID}\n")).unwrap();
    }
    t
}

/// Assert that nothing in `texts` shows a secret; `what` names the run.
fn assert_no_secret(what: &str, texts: &[&[u8]]) {
    for text in texts {
        let text = String::from_utf8_lossy(text);
        for s in ALL_SECRETS.iter().chain([&PEM]) {
            assert!(
                !text.contains(s),
                "{what}: a secret is shown in full:\n{text}"
            );
        }
        for f in fragments() {
            assert!(
                !text.contains(&f),
                "{what}: part of a secret ({f}) is shown:\n{text}"
            );
        }
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    keyscan()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("keyscan runs")
}

const FORMATS: [&str; 5] = ["text", "json", "jsonl", "sarif", "gitlab"];

#[test]
fn no_secret_in_any_format_with_any_option() {
    let t = secret_tree();
    let mut findings_seen = 0;
    for format in FORMATS {
        for extra in [
            &[][..],
            &["--verbose"],
            &["--quiet"],
            &["--color", "always"],
        ] {
            let mut args = vec!["--no-config", "--format", format];
            args.extend_from_slice(extra);
            args.push(".");
            let out = run(t.path(), &args);
            let what = format!("{args:?}");
            assert_eq!(out.status.code(), Some(1), "{what}");
            assert_no_secret(&what, &[&out.stdout, &out.stderr]);
            findings_seen += 1;
        }
        // A report written to a file, and the baseline written beside it.
        let out = run(
            t.path(),
            &[
                "--no-config",
                "--format",
                format,
                "--output",
                "report.out",
                "--write-baseline",
                "baseline.json",
                ".",
            ],
        );
        let report = std::fs::read(t.path().join("report.out")).unwrap();
        let baseline = std::fs::read(t.path().join("baseline.json")).unwrap();
        std::fs::remove_file(t.path().join("report.out")).unwrap();
        assert_no_secret(
            &format!("--output ({format})"),
            &[&out.stdout, &out.stderr, &report, &baseline],
        );
    }
    assert!(findings_seen > 0);
}

/// The control: the same runs with --show-secrets do print the secrets, so
/// the checks above look in the right place.
#[test]
fn show_secrets_shows_them_so_the_checks_can_fail() {
    let t = secret_tree();
    for format in FORMATS {
        let out = run(
            t.path(),
            &["--no-config", "--show-secrets", "--format", format, "."],
        );
        let all = String::from_utf8_lossy(&out.stdout);
        for s in [GITHUB, OPENAI, HF] {
            assert!(all.contains(s), "{format} with --show-secrets lacks {s}");
        }
    }
}

#[test]
fn no_secret_from_stdin_baselines_and_error_paths() {
    let t = secret_tree();
    // Standard input.
    let text = std::fs::read(t.path().join(".env")).unwrap();
    for format in FORMATS {
        let out = keyscan()
            .args(["--no-config", "--verbose", "--format", format, "-"])
            .write_stdin(text.clone())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_no_secret(&format!("stdin {format}"), &[&out.stdout, &out.stderr]);
    }
    // The baseline subcommand, and pruning.
    let out = run(t.path(), &["baseline", "--no-config", "."]);
    assert_eq!(out.status.code(), Some(0));
    assert_no_secret("baseline", &[&out.stdout, &out.stderr]);
    std::fs::write(t.path().join("old.json"), &out.stdout).unwrap();
    let out = run(
        t.path(),
        &["baseline", "--no-config", "--prune", "old.json", "."],
    );
    assert_no_secret("baseline --prune", &[&out.stdout, &out.stderr]);
    // Scans that fail, or half-fail, with secrets in the tree.
    t.file("broken.json", "not a baseline");
    t.file(
        "broken.ipynb",
        format!("{{\"cells\": [ \"token = {GITHUB}\" "),
    );
    let error_runs: &[&[&str]] = &[
        &["--no-config", "--baseline", "broken.json", "."],
        &["--config", "missing.toml", "."],
        &["--no-config", "--max-file-size", "lots", "."],
        &[
            "--no-config",
            "--fail-on",
            "critical",
            "--format",
            "sarif",
            ".",
        ],
        &["--no-config", "--exit-code", "9", "--verbose", "."],
        &["--no-config", "--no-such-flag", "."],
        &["--no-config", "--history", "."], // not a git repository
    ];
    for args in error_runs {
        let out = run(t.path(), args);
        assert_no_secret(&format!("{args:?}"), &[&out.stdout, &out.stderr]);
    }
    // A configuration error while the tree holds secrets.
    t.file(".keyscan.toml", "[allowlist]\nbogus = 1\n");
    let out = run(t.path(), &["."]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_secret("bad config", &[&out.stdout, &out.stderr]);
    // Unreadable files next to secrets (a read that fails even for root).
    #[cfg(target_os = "linux")]
    {
        std::fs::remove_file(t.path().join(".keyscan.toml")).unwrap();
        std::os::unix::fs::symlink("/proc/self/mem", t.path().join("mem")).unwrap();
        let out = run(t.path(), &["--no-config", "--follow", "--verbose", "."]);
        assert_eq!(out.status.code(), Some(1));
        assert_no_secret("unreadable", &[&out.stdout, &out.stderr]);
    }
}

/// History and staged scans print commit metadata: a commit message that
/// repeats the secret must not carry it into the report.
#[test]
fn no_secret_from_history_or_staged_scans() {
    let t = Tree::new();
    git(t.path(), &["init", "-q"]);
    t.file("app.env", format!("GITHUB_TOKEN={GITHUB}\n"));
    git(t.path(), &["add", "."]);
    git(
        t.path(),
        &["commit", "-q", "-m", &format!("add token {GITHUB} for CI")],
    );
    t.file("app.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n");
    git(t.path(), &["commit", "-q", "-am", "remove token"]);
    let every_format = |mode: &str| {
        for format in FORMATS {
            let out = run(t.path(), &["--no-config", mode, "--format", format, "."]);
            assert_eq!(out.status.code(), Some(1), "{mode} {format}");
            assert_no_secret(&format!("{mode} {format}"), &[&out.stdout, &out.stderr]);
        }
    };
    every_format("--history");
    t.file("staged.env", format!("HF_TOKEN={HF}\n"));
    git(t.path(), &["add", "staged.env"]);
    every_format("--staged");
}

/// A suppressed finding still masks its secret wherever another finding
/// could print it: a GitHub token allowlisted by a secret regex (so not
/// reported) is named in the commit message of a reported AWS key, and in
/// the name of the file that holds another key.
#[test]
fn a_suppressed_secret_is_masked_in_commit_messages_and_paths() {
    let repo = Repo::new();
    repo.write(
        "deploy.env",
        &format!("GITHUB_TOKEN={GITHUB}\nAWS_ACCESS_KEY_ID={AWS_ID}\n"),
    );
    repo.write(&format!("keys/{GITHUB}.txt"), &format!("id = {AWS_ID}\n"));
    repo.commit(&format!("deploy with {GITHUB}"));
    std::fs::write(
        repo.path().join("allow.toml"),
        "[allowlist]\nregexes = ['^ghp_']\n",
    )
    .unwrap();
    for mode in [&["--history"][..], &[][..]] {
        for format in FORMATS {
            let out = keyscan()
                .current_dir(repo.path())
                .args(["--config", "allow.toml", "--format", format])
                .args(mode)
                .arg(".")
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{mode:?} {format}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains("AKIA"),
                "{mode:?} {format}: the AWS key is reported"
            );
            assert!(
                !stdout.contains("github-classic-token"),
                "{mode:?} {format}"
            );
            assert_no_secret(&format!("{mode:?} {format}"), &[&out.stdout, &out.stderr]);
        }
    }
}

/// keyscan opens no network connection: a scan of the fixtures gives the
/// same findings with networking unavailable (a fresh network namespace,
/// where the machine allows one), and, where strace is available, makes
/// no network system call at all.
#[cfg(target_os = "linux")]
#[test]
fn scans_make_no_network_connection() {
    let bin = assert_cmd::cargo::cargo_bin("keyscan");
    let args = ["--no-config", "--format", "json", "fixtures/basic"];
    let expected = run(&root(), &args);
    assert_eq!(expected.status.code(), Some(1));

    let probe = std::process::Command::new("unshare")
        .args(["-n", "true"])
        .output();
    if probe.as_ref().is_ok_and(|o| o.status.success()) {
        let out = std::process::Command::new("unshare")
            .arg("-n")
            .arg(&bin)
            .args(args)
            .current_dir(root())
            .env_remove("KEYSCAN_CONFIG")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            locations(&json(&out.stdout)),
            locations(&json(&expected.stdout))
        );
    } else {
        eprintln!("skipped the unshare -n run: this machine does not allow new network namespaces");
    }

    let probe = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=none", "true"])
        .output();
    if probe.as_ref().is_ok_and(|o| o.status.success()) {
        let log = tempfile::NamedTempFile::new().unwrap();
        let out = std::process::Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=%network", "-o"])
            .arg(log.path())
            .arg(&bin)
            .args(args)
            .current_dir(root())
            .env_remove("KEYSCAN_CONFIG")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        // Local sockets (AF_UNIX, e.g. the C library asking nscd for a
        // user name) are not network connections; IP sockets are.
        let calls = std::fs::read_to_string(log.path()).unwrap();
        let ip: Vec<&str> = calls.lines().filter(|l| l.contains("AF_INET")).collect();
        assert!(ip.is_empty(), "keyscan made network system calls:\n{calls}");
    } else {
        eprintln!("skipped the strace run: strace is not available or not permitted here");
    }
}

/// Case 8: a commit message whose finding a baseline or an inline allow
/// removes is still masked in every other finding of that commit, in every
/// format.
#[test]
fn case_08_commit_message_masked_when_its_finding_is_suppressed() {
    let repo = Repo::new();
    repo.write("deploy.env", &format!("AWS_ACCESS_KEY_ID={AWS_ID}\n"));
    repo.commit(&format!("rotate {GITHUB} keyscan:allow"));
    // The inline allow in the message suppresses the message's finding.
    for format in FORMATS {
        let out = keyscan()
            .current_dir(repo.path())
            .args(["--no-config", "--history", "--format", format, "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("AKIA"));
        assert_no_secret(&format!("inline, {format}"), &[&out.stdout, &out.stderr]);
    }
    // A baseline that holds the message's finding, written with it shown.
    let repo = Repo::new();
    repo.write("deploy.env", &format!("AWS_ACCESS_KEY_ID={AWS_ID}\n"));
    repo.commit(&format!("rotate {GITHUB}"));
    let all = keyscan()
        .current_dir(repo.path())
        .args(["--no-config", "--history", "--format", "json", "."])
        .output()
        .unwrap();
    let doc = json(&all.stdout);
    let msg: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "(commit message)")
        .collect();
    assert_eq!(msg.len(), 1, "{doc:#}");
    // A JSON report that holds only the message's finding is a baseline.
    let baseline = serde_json::json!({ "findings": [ msg[0] ] });
    std::fs::write(repo.path().join("base.json"), baseline.to_string()).unwrap();
    for format in FORMATS {
        let out = keyscan()
            .current_dir(repo.path())
            .args(["--no-config", "--history", "--baseline", "base.json"])
            .args(["--format", format, "."])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {out:?}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("(commit message)"));
        assert_no_secret(&format!("baseline, {format}"), &[&out.stdout, &out.stderr]);
    }
}

/// Case 9: a key that is also part of a file or archive name is masked
/// wherever that name is printed: findings, baselines and warnings
/// (which are held until the scan's secrets are known).
#[test]
fn case_09_key_in_a_path_is_masked_in_warnings_and_baselines() {
    let t = Tree::new();
    t.file("app.env", format!("TOKEN={GITHUB}\n"));
    t.file(
        &format!("keys_{GITHUB}.zip"),
        b"PK\x03\x04 not a zip at all",
    );
    t.file(
        &format!("media_{GITHUB}.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    );
    let base = t.path().join("base.json");
    for format in FORMATS {
        let out = keyscan()
            .current_dir(t.path())
            .args(["--no-config", "--verbose", "--format", format])
            .arg("--write-baseline")
            .arg(&base)
            .arg(".")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("keys_ghp_"), "{format}: {stderr}");
        assert!(stderr.contains("not a readable zip archive"), "{stderr}");
        let baseline = std::fs::read(&base).unwrap();
        assert_no_secret(format, &[&out.stdout, &out.stderr, &baseline]);
    }
    // Shown when asked for.
    let out = keyscan()
        .current_dir(t.path())
        .args(["--no-config", "--show-secrets", "."])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("keys_{GITHUB}.zip")));
}
