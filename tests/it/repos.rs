//! `keyscan --repos FILE`: local working trees, repositories cloned over a
//! loopback `git daemon` and `file://` URLs as bare mirrors (reused on the
//! next run), failures (unreachable, timed out, missing) reported while
//! the run goes on, shards that partition the list, checkpoints.
//! Nothing here touches the internet: every server is on 127.0.0.1.

use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{git, json, keyscan, root, Repo, GITHUB, OPENAI};

/// A `git daemon` serving the bare repositories under `base` on a free
/// port of 127.0.0.1; killed on drop.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn serve(base: &Path) -> Daemon {
        let port = free_port();
        // git-daemon itself, not `git daemon`: killing the `git` wrapper
        // would leave the daemon running.
        let exec_path = Command::new("git").arg("--exec-path").output().unwrap();
        let exec_path = String::from_utf8(exec_path.stdout).unwrap();
        let child = Command::new(Path::new(exec_path.trim()).join("git-daemon"))
            .args([
                "--reuseaddr",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", base.display()),
                "--export-all",
                "--informative-errors",
            ])
            .arg(base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon runs");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "git daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon { child, port }
    }

    fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of 127.0.0.1 nothing listens on (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A repository with `files` committed, and a bare clone of it in
/// `bare_dir/name.git`.
fn published(files: &[(&str, String)], bare_dir: &Path, name: &str) -> Repo {
    let r = Repo::new();
    for (path, text) in files {
        r.write(path, text);
    }
    r.commit("init");
    let target = bare_dir.join(format!("{name}.git"));
    git(
        bare_dir,
        &[
            "clone",
            "-q",
            "--bare",
            r.path().to_str().unwrap(),
            target.to_str().unwrap(),
        ],
    );
    r
}

/// `keyscan --repos LIST --clone-dir CACHE -f json ARGS` in `dir`: the
/// report, exit code and stderr.
fn run(dir: &Path, list: &str, args: &[&str]) -> (Value, i32, String) {
    std::fs::write(dir.join("list.txt"), list).unwrap();
    let out = keyscan()
        .current_dir(dir)
        .args([
            "--no-config",
            "--repos",
            "list.txt",
            "--clone-dir",
            "cache",
            "-f",
            "json",
        ])
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        json(&out.stdout),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (repository, path, line, rule) of each finding.
fn places(doc: &Value) -> Vec<(String, String, u64, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["repository"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (repository, status, reason) of each repository.
fn statuses(doc: &Value) -> Vec<(String, String, String)> {
    doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["repository"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn p(repo: &str, path: &str, line: u64, rule: &str) -> (String, String, u64, String) {
    (repo.into(), path.into(), line, rule.into())
}

fn validates(doc: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/json-schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn daemon_file_url_and_working_tree_are_scanned_and_an_unreachable_url_is_reported() {
    let work = tempfile::tempdir().unwrap();
    let served = work.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let _a = published(
        &[("config.py", format!("KEY = \"{OPENAI}\"\n"))],
        &served,
        "alpha",
    );
    let _b = published(
        &[
            ("deploy/ci.sh", format!("export GH={GITHUB}\n")),
            ("README.md", "hi\n".into()),
        ],
        &served,
        "beta",
    );
    let local = Repo::new();
    local.write("app/settings.py", &format!("\n\nopenai = \"{OPENAI}\"\n"));
    local.commit("init");
    let daemon = Daemon::serve(&served);
    let file_url = format!("file://{}/beta.git", served.display());
    let dead_port = free_port();
    let dead = format!("git://127.0.0.1:{dead_port}/gone");
    let list = format!(
        "# the organisation\n{}\n{file_url}\n{}\n{dead}\n",
        daemon.url("alpha.git"),
        local.path().display()
    );
    let (doc, code, stderr) = run(work.path(), &list, &[]);
    assert_eq!(code, 1, "{stderr}");
    validates(&doc);
    let local_name = local.path().display().to_string();
    let beta = format!("{}/beta", served.display());
    let mut want = vec![
        p(&local_name, "app/settings.py", 3, "openai-project-key"),
        p(&beta, "deploy/ci.sh", 1, "github-classic-token"),
        p(
            &format!("127.0.0.1:{}/alpha", daemon.port),
            "config.py",
            1,
            "openai-project-key",
        ),
    ];
    want.sort();
    assert_eq!(places(&doc), want);
    let st = statuses(&doc);
    assert_eq!(st.len(), 4);
    let failed: Vec<_> = st.iter().filter(|s| s.1 == "failed").collect();
    assert_eq!(failed.len(), 1, "{st:?}");
    assert_eq!(failed[0].0, format!("127.0.0.1:{dead_port}/gone"));
    assert!(failed[0].2.contains("unable to connect"), "{}", failed[0].2);
    assert!(stderr.contains("failed: "), "{stderr}");
    // One secret in two repositories: one entry, both places.
    let openai: Vec<&Value> = doc["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["rule_id"] == "openai-project-key")
        .collect();
    assert_eq!(openai.len(), 1);
    assert_eq!(openai[0]["locations"].as_array().unwrap().len(), 2);
    // The mirrors are bare clones in the cache.
    let cached: Vec<String> = std::fs::read_dir(work.path().join("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    assert!(cached.iter().all(|c| c.ends_with(".git")));
}

#[test]
fn a_clone_that_hangs_times_out_and_the_run_goes_on() {
    let work = tempfile::tempdir().unwrap();
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for s in listener.incoming().take(1) {
            open.push(s);
        }
        std::thread::sleep(Duration::from_secs(20));
    });
    let clean = Repo::new();
    clean.write("README.md", "nothing here\n");
    clean.commit("init");
    let list = format!(
        "git://127.0.0.1:{port}/stuck.git\n{}\n",
        clean.path().display()
    );
    let started = Instant::now();
    let (doc, code, stderr) = run(work.path(), &list, &["--clone-timeout", "2"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(
        statuses(&doc),
        [
            (
                clean.path().display().to_string(),
                "scanned".into(),
                "".into()
            ),
            (
                format!("127.0.0.1:{port}/stuck"),
                "failed".into(),
                "timed out after 2s (--clone-timeout)".into()
            ),
        ]
    );
    // The interrupted clone left nothing in the cache.
    assert_eq!(
        std::fs::read_dir(work.path().join("cache"))
            .unwrap()
            .count(),
        0
    );
    drop(held);
}

#[test]
fn a_mirror_is_reused_and_updated_on_the_next_run() {
    let work = tempfile::tempdir().unwrap();
    let served = work.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let src = published(&[("README.md", "v1\n".into())], &served, "app");
    let list = format!("file://{}/app.git\n", served.display());
    let (doc, code, _) = run(work.path(), &list, &[]);
    assert_eq!((code, places(&doc)), (0, vec![]));
    // A secret is pushed; the next run fetches it into the same mirror.
    src.write("src/key.txt", &format!("{GITHUB}\n"));
    src.commit("add");
    src.git(&[
        "push",
        "-q",
        served.join("app.git").to_str().unwrap(),
        "main",
    ]);
    let (doc, code, _) = run(work.path(), &list, &[]);
    let name = format!("{}/app", served.display());
    assert_eq!(
        (code, places(&doc)),
        (1, vec![p(&name, "src/key.txt", 1, "github-classic-token")])
    );
    assert_eq!(
        std::fs::read_dir(work.path().join("cache"))
            .unwrap()
            .count(),
        1
    );
    // --history finds it again once it is deleted from HEAD.
    std::fs::remove_file(src.path().join("src/key.txt")).unwrap();
    src.commit("remove");
    src.git(&[
        "push",
        "-q",
        served.join("app.git").to_str().unwrap(),
        "main",
    ]);
    let (doc, _, _) = run(work.path(), &list, &[]);
    assert_eq!(places(&doc), vec![]);
    let (doc, code, _) = run(work.path(), &list, &["--history"]);
    assert_eq!(
        (code, places(&doc)),
        (1, vec![p(&name, "src/key.txt", 1, "github-classic-token")])
    );
    assert_eq!(doc["findings"][0]["in_head"], false);
}

/// `n` local directories (plain, no git needed) and the list of them.
fn many_dirs(work: &Path, n: usize) -> (String, BTreeSet<String>) {
    let mut list = String::new();
    let mut names = BTreeSet::new();
    for i in 0..n {
        let d = work.join(format!("r{i:03}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("f.txt"), "x\n").unwrap();
        list.push_str(&format!("r{i:03}\n"));
        names.insert(format!("r{i:03}"));
    }
    (list, names)
}

fn repo_names(doc: &Value) -> BTreeSet<String> {
    statuses(doc).into_iter().map(|s| s.0).collect()
}

#[test]
fn shards_partition_the_list_exactly() {
    let work = tempfile::tempdir().unwrap();
    let (list, all) = many_dirs(work.path(), 40);
    let mut union = BTreeSet::new();
    let mut total = 0;
    for i in 0..4 {
        let (doc, code, _) = run(work.path(), &list, &["--shard", &format!("{i}/4")]);
        assert_eq!(code, 0);
        let names = repo_names(&doc);
        assert!(
            (4..=16).contains(&names.len()),
            "shard {i}: {}",
            names.len()
        );
        total += names.len();
        union.extend(names);
    }
    assert_eq!((total, union), (40, all));
    // auto/N reads JOB_COMPLETION_INDEX, or the variable --shard-env names.
    let (want, _, _) = run(work.path(), &list, &["--shard", "2/4"]);
    std::fs::write(work.path().join("list.txt"), &list).unwrap();
    let auto = |env: &str, extra: &[&str]| {
        let out = keyscan()
            .current_dir(work.path())
            .args([
                "--no-config",
                "--repos",
                "list.txt",
                "-f",
                "json",
                "--shard",
                "auto/4",
            ])
            .args(extra)
            .env(env, "2")
            .output()
            .unwrap();
        json(&out.stdout)
    };
    assert_eq!(
        repo_names(&auto("JOB_COMPLETION_INDEX", &[])),
        repo_names(&want)
    );
    assert_eq!(
        repo_names(&auto("CI_IDX", &["--shard-env", "CI_IDX"])),
        repo_names(&want)
    );
}

#[test]
fn bad_shards_and_lists_are_one_line_errors() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("list.txt"), "a\n").unwrap();
    let err = |args: &[&str], env: Option<&str>| {
        let mut c = keyscan();
        c.current_dir(work.path()).args(["--no-config"]).args(args);
        c.env_remove("JOB_COMPLETION_INDEX");
        if let Some(v) = env {
            c.env("JOB_COMPLETION_INDEX", v);
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(
        err(&["--repos", "list.txt", "--shard", "4/4"], None),
        (
            2,
            "keyscan: error: --shard \"4/4\": the index must be below 4 (0-based)\n".into()
        )
    );
    assert_eq!(
        err(&["--repos", "list.txt", "--shard", "auto/4"], None),
        (
            2,
            "keyscan: error: --shard \"auto/4\": JOB_COMPLETION_INDEX is not set\n".into()
        )
    );
    assert_eq!(
        err(&["--repos", "list.txt", "--shard", "auto/4"], Some("x")),
        (
            2,
            "keyscan: error: --shard \"auto/4\": the index must be a number \
             (JOB_COMPLETION_INDEX=\"x\")\n"
                .into()
        )
    );
    std::fs::write(work.path().join("bad.txt"), "a\nftp://host/x\n").unwrap();
    assert_eq!(
        err(&["--repos", "bad.txt"], None),
        (
            2,
            "keyscan: error: bad.txt:2: unsupported URL scheme \"ftp\"\n".into()
        )
    );
    let (code, stderr) = err(&["--repos", "missing.txt"], None);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("keyscan: error: missing.txt: "),
        "{stderr}"
    );
    let (code, _) = err(&["--shard", "1/2"], None);
    assert_eq!(code, 2, "--shard needs --repos");
}

#[test]
fn only_failures_exit_3_with_their_reasons() {
    let work = tempfile::tempdir().unwrap();
    let (doc, code, stderr) = run(work.path(), "nowhere\n", &[]);
    assert_eq!(code, 3);
    assert_eq!(
        statuses(&doc),
        [("nowhere".into(), "failed".into(), "not a directory".into())]
    );
    assert!(
        stderr.contains("keyscan: [1/1] nowhere: failed: not a directory"),
        "{stderr}"
    );
}

#[test]
fn a_retried_shard_skips_what_its_checkpoint_records() {
    let work = tempfile::tempdir().unwrap();
    for (name, key) in [("a", OPENAI), ("b", GITHUB)] {
        let d = work.path().join(name);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("k.txt"), format!("{key}\n")).unwrap();
    }
    let list = "a\nb\nc\n";
    let (first, code, _) = run(work.path(), list, &["--checkpoint", "ck.jsonl"]);
    assert_eq!(code, 1);
    // A torn last line (the shard was killed mid-write) is dropped.
    let ck = work.path().join("ck.jsonl");
    let mut text = std::fs::read_to_string(&ck).unwrap();
    assert_eq!(text.lines().count(), 3);
    text.push_str("{\"repository\": \"zz\", \"sta");
    std::fs::write(&ck, text).unwrap();
    // a is gone now: only the checkpoint remembers its findings. c (which
    // failed) is retried, and now exists.
    std::fs::remove_dir_all(work.path().join("a")).unwrap();
    std::fs::create_dir(work.path().join("c")).unwrap();
    let (second, code, stderr) = run(work.path(), list, &["--checkpoint", "ck.jsonl"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("ck.jsonl: 2 of 3 repositories already scanned; skipping them"),
        "{stderr}"
    );
    assert!(stderr.contains("[3/3] c: 0 findings"), "{stderr}");
    assert!(!stderr.contains("] a:"), "{stderr}");
    assert_eq!(places(&second), places(&first));
    assert_eq!(
        statuses(&second),
        [
            ("a".into(), "scanned".into(), "".into()),
            ("b".into(), "scanned".into(), "".into()),
            ("c".into(), "scanned".into(), "".into()),
        ]
    );
    assert_eq!(std::fs::read_to_string(&ck).unwrap().lines().count(), 3);
}

#[test]
fn a_bare_mirror_is_scanned_at_head_without_a_working_tree() {
    let work = tempfile::tempdir().unwrap();
    let served = work.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let _r = published(
        &[
            ("a/b/c.env", format!("TOKEN={GITHUB}\n")),
            ("big.txt", "x".repeat(200)),
        ],
        &served,
        "deep",
    );
    // A local bare repository is read the same way.
    let list = format!("{}\n", served.join("deep.git").display());
    let (doc, code, _) = run(work.path(), &list, &["--max-file-size", "100"]);
    let name = served.join("deep.git").display().to_string();
    assert_eq!(code, 1);
    assert_eq!(
        places(&doc),
        vec![
            p(&name, "a/b/c.env", 1, "env-file-committed"),
            p(&name, "a/b/c.env", 1, "github-classic-token"),
        ]
    );
    let stats = &doc["repositories"][0]["stats"];
    assert_eq!(
        (
            stats["files_scanned"].as_u64(),
            stats["skipped"]["too_large"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[test]
fn a_corrupt_repository_is_reported_at_head_and_in_history() {
    let work = tempfile::tempdir().unwrap();
    let _r = published(&[("a.txt", "hello\n".into())], work.path(), "broken");
    let objects = work.path().join("broken.git/objects");
    for e in std::fs::read_dir(&objects).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.len() == 2 || name == "pack" {
            std::fs::remove_dir_all(e.path()).unwrap();
        }
    }
    for args in [&[][..], &["--history"][..]] {
        let (doc, code, _) = run(work.path(), "broken.git\n", args);
        assert_eq!(code, 3, "{args:?}");
        let st = statuses(&doc);
        assert_eq!(
            (st[0].0.as_str(), st[0].1.as_str()),
            ("broken.git", "failed")
        );
        assert!(st[0].2.starts_with("reading HEAD: "), "{}", st[0].2);
    }
}

#[test]
fn keyscan_baseline_and_write_baseline_refuse_repos() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("l.txt"), ".\n").unwrap();
    let out = keyscan()
        .current_dir(work.path())
        .args(["baseline", "--repos", "l.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "keyscan: error: keyscan baseline takes one tree; merge --repos reports with keyscan merge\n"
    );
    let out = keyscan()
        .current_dir(work.path())
        .args(["--repos", "l.txt", "--write-baseline", "b.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
