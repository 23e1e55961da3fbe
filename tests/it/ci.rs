//! CI correctness: a range never passes by scanning nothing, shallow
//! clones fail with advice, reports name files from the repository root
//! however the scan was invoked, and options a command ignores are errors.

use std::path::Path;

use crate::common::*;

const GH: &str = "github-classic-token";
const HFR: &str = "huggingface-token";

/// A repository with two commits: `old.env` (a GitHub token) then
/// `new.env` (a Hugging Face token).
fn two_commits() -> (Repo, String, String) {
    let r = Repo::new();
    r.write("old.env", &format!("T={GITHUB}\n"));
    let c1 = r.commit("old");
    r.write("new.env", &format!("H={HF}\n"));
    let c2 = r.commit("new");
    (r, c1, c2)
}

#[test]
fn range_with_an_empty_base_scans_the_pushed_commits_and_says_so() {
    let (r, _, _) = two_commits();
    // `${{ github.event.before }}..HEAD` with an empty variable.
    let (doc, code, stderr) = r.scan(&["--range", "..HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("new.env", HFR), ("old.env", GH)]),
        "{stderr}"
    );
    assert!(
        stderr.contains("--range: the base is empty: scanning every commit reachable"),
        "{stderr}"
    );
}

#[test]
fn range_with_an_all_zero_base_scans_the_pushed_commits() {
    let (r, _, _) = two_commits();
    let zero = format!("{}..HEAD", "0".repeat(40));
    let (doc, code, stderr) = r.scan(&["--range", &zero]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("new.env", HFR), ("old.env", GH)])
    );
    assert!(stderr.contains("is all zeros"), "{stderr}");
}

#[test]
fn range_with_an_unknown_commit_base_falls_back_but_a_mistyped_name_fails() {
    let (r, _, _) = two_commits();
    let (doc, code, stderr) = r.scan(&["--range", "deadbeefdeadbeef..HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(path_rules(&doc).len(), 2);
    assert!(
        stderr.contains("the base deadbeefdeadbeef is not in this repository"),
        "{stderr}"
    );
    let out = keyscan()
        .args(["--no-config", "--range", "mian..HEAD"])
        .arg(r.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot resolve \"mian\""), "{stderr}");
}

/// After a clone, the fallback leaves out what the remote-tracking
/// branches already hold: only the commits made since are scanned.
#[test]
fn fallback_leaves_out_what_remote_branches_hold() {
    let (r, _, _) = two_commits();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    git(clone.path(), &["clone", "-q", &url, "c"]);
    let c = clone.path().join("c");
    std::fs::write(c.join("pushed.env"), format!("A={AWS_ID}\n")).unwrap();
    git(&c, &["add", "-A"]);
    git(&c, &["commit", "-q", "-m", "pushed"]);
    let (doc, code, stderr) = scan_path(&c, &["--range", "..HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(path_rules(&doc), pairs(&[("pushed.env", "aws-access-key")]));
    assert!(stderr.contains("compared with origin/main"), "{stderr}");
}

/// `git clone --depth 1`, as actions/checkout does by default.
fn shallow_clone_of(r: &Repo, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    let mut args = vec!["clone", "-q", "--depth", "1"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[&url, "shallow"]);
    git(clone.path(), &args);
    let path = clone.path().join("shallow");
    (clone, path)
}

fn run_code(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = keyscan()
        .args(["--no-config", "-q"])
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn shallow_clone_missing_the_base_is_an_error_that_says_what_to_do() {
    let (r, c1, _) = two_commits();
    let (_keep, path) = shallow_clone_of(&r, &[]);
    for range in [format!("{c1}..HEAD"), "HEAD~1..HEAD".to_string()] {
        let (code, stderr) = run_code(&path, &["--range", &range]);
        assert_eq!(code, 2, "{range}: {stderr}");
        assert!(
            stderr.contains("not in this shallow clone")
                && stderr.contains("fetch-depth: 0")
                && stderr.contains("git fetch --deepen N"),
            "{range}: {stderr}"
        );
    }
    // An empty base still falls back: to the whole tree of the one commit.
    let (doc, code, stderr) = scan_path(&path, &["--range", "..HEAD"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        path_rules(&doc),
        pairs(&[("new.env", HFR), ("old.env", GH)])
    );
}

/// The base is in the clone, but not an ancestor within the fetched
/// history: the walk meets the shallow boundary first.
#[test]
fn shallow_clone_that_ends_before_the_base_is_an_error() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("a");
    r.git(&["checkout", "-q", "-b", "other"]);
    r.write("o.txt", "o\n");
    r.commit("o");
    r.git(&["checkout", "-q", "main"]);
    r.write("b.txt", "b\n");
    r.commit("b");
    let (_keep, path) = shallow_clone_of(&r, &["--no-single-branch"]);
    let (code, stderr) = run_code(&path, &["--range", "origin/other..HEAD"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("ends before the range's base") && stderr.contains("fetch-depth: 0"),
        "{stderr}"
    );
}

#[test]
fn a_scan_of_nothing_says_so_and_fails_when_asked() {
    let (r, _, _) = two_commits();
    let (doc, code, stderr) = r.scan(&["--range", "HEAD..HEAD"]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["bytes_scanned"], 0);
    assert!(stderr.contains("NOTHING WAS SCANNED (0 bytes)"), "{stderr}");
    let (code, stderr) = run_code(r.path(), &["--range", "HEAD..HEAD", "--fail-on-empty"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("NOTHING WAS SCANNED"), "{stderr}");
    // An empty directory too.
    let t = Tree::new();
    let (code, stderr) = run_code(t.path(), &["--fail-on-empty"]);
    assert_eq!(code, 2, "{stderr}");
    // Something scanned, nothing found: exit 0, no warning.
    t.file("a.txt", "hello\n");
    let (code, stderr) = run_code(t.path(), &["--fail-on-empty"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn staged_with_nothing_staged_is_legitimately_empty() {
    let (r, _, _) = two_commits();
    let (doc, code, stderr) = r.scan(&["--staged"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(path_rules(&doc), pairs(&[]));
    assert!(!stderr.contains("NOTHING"), "{stderr}");
    let (code, stderr) = run_code(r.path(), &["--staged", "--fail-on-empty"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

/// A repository with `sub/dir/a.cfg` and `b.cfg`.
fn nested() -> Repo {
    let r = Repo::new();
    r.write("sub/dir/a.cfg", &format!("T={GITHUB}\n"));
    r.write("b.cfg", &format!("H={HF}\n"));
    r.commit("files");
    r
}

fn paths_of(dir: &Path, args: &[&str]) -> Vec<String> {
    let (code, doc, stderr) = scan_json(dir, args);
    assert_eq!(code, 1, "{args:?}: {stderr}");
    path_rules(&doc).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn paths_are_relative_to_the_repository_root_however_the_scan_was_invoked() {
    let r = nested();
    let root = r.path();
    let abs = root.join("sub/dir");
    let abs = abs.to_str().unwrap();
    let want = vec!["sub/dir/a.cfg".to_string()];
    assert_eq!(paths_of(root, &["sub/dir"]), want);
    assert_eq!(paths_of(root, &["sub/dir/"]), want);
    assert_eq!(paths_of(root, &["./sub"]), want);
    assert_eq!(paths_of(root, &[abs]), want);
    assert_eq!(paths_of(root, &["sub/dir/a.cfg"]), want);
    assert_eq!(paths_of(&root.join("sub"), &["."]), want);
    assert_eq!(paths_of(&root.join("sub/dir"), &["a.cfg"]), want);
    assert_eq!(
        paths_of(&root.join("sub"), &["dir", "../b.cfg"]),
        vec!["b.cfg".to_string(), "sub/dir/a.cfg".to_string()]
    );
    assert_eq!(
        paths_of(root, &["b.cfg", "sub"]),
        vec!["b.cfg".to_string(), "sub/dir/a.cfg".to_string()]
    );
    // The text report names the same file.
    let out = keyscan()
        .current_dir(root.join("sub"))
        .args(["--no-config", "--color", "never", "dir"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l == "  --> sub/dir/a.cfg:1:3"),
        "{text}"
    );
    // The same paths as a history scan names.
    assert_eq!(
        paths_of(&root.join("sub"), &["--history", "."]),
        vec!["b.cfg".to_string(), "sub/dir/a.cfg".to_string()]
    );
}

/// In a linked worktree (`git worktree add`) paths start at the worktree's
/// root too: discovered from a relative path, its work dir came back empty
/// and paths fell back to the scanned directory.
#[test]
fn paths_in_a_linked_worktree_are_relative_to_its_root() {
    let r = nested();
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt");
    r.git(&["worktree", "add", "-q", wt_path.to_str().unwrap()]);
    let want = vec!["sub/dir/a.cfg".to_string()];
    assert_eq!(paths_of(&wt_path, &["sub/dir"]), want);
    assert_eq!(paths_of(&wt_path.join("sub"), &["dir"]), want);
}

#[test]
fn outside_a_repository_paths_are_relative_to_the_one_root() {
    let t = Tree::new();
    t.file("d/x/k.cfg", format!("T={GITHUB}\n"));
    assert_eq!(paths_of(t.path(), &["d"]), vec!["x/k.cfg".to_string()]);
    assert_eq!(
        paths_of(&t.path().join("d/x"), &["."]),
        vec!["k.cfg".to_string()]
    );
}

fn sarif_of(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = keyscan()
        .current_dir(dir)
        .args(["--no-config", "--format", "sarif"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    json(&out.stdout)
}

fn file_uri(p: &Path) -> String {
    format!("file://{}/", p.canonicalize().unwrap().display())
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root() {
    let r = nested();
    for (dir, args) in [
        (r.path().to_path_buf(), vec!["sub/dir"]),
        (r.path().join("sub"), vec!["."]),
        (r.path().join("sub/dir"), vec!["a.cfg"]),
    ] {
        let doc = sarif_of(&dir, &args);
        let run = &doc["runs"][0];
        let loc = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uri"], "sub/dir/a.cfg", "{args:?}");
        assert_eq!(loc["uriBaseId"], "%SRCROOT%");
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            file_uri(r.path()),
            "{args:?}"
        );
    }
    // Outside a repository: the one scanned directory.
    let t = Tree::new();
    t.file("d/k.cfg", format!("T={GITHUB}\n"));
    let doc = sarif_of(t.path(), &["d"]);
    let run = &doc["runs"][0];
    assert_eq!(
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k.cfg"
    );
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        file_uri(&t.path().join("d"))
    );
}

#[test]
fn gitlab_report_carries_the_real_commit() {
    let r = nested();
    let head = r.git(&["rev-parse", "HEAD"]).trim().to_string();
    let out = keyscan()
        .current_dir(r.path())
        .args(["--no-config", "--format", "gitlab", "sub"])
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let v = &doc["vulnerabilities"][0]["location"];
    assert_eq!(v["file"], "sub/dir/a.cfg");
    assert_eq!(v["commit"]["sha"], head.as_str());
    // History: the commit that introduced it.
    r.write("sub/dir/a.cfg", "gone\n");
    r.commit("remove");
    let out = keyscan()
        .current_dir(r.path())
        .args(["--no-config", "--format", "gitlab", "--history", "."])
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let shas: Vec<&str> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["location"]["commit"]["sha"].as_str().unwrap())
        .collect();
    assert_eq!(shas, vec![head.as_str(), head.as_str()]);
}

#[test]
fn baseline_output_option_writes_the_file() {
    let r = nested();
    let out = r.path().join("base.json");
    let run = keyscan()
        .current_dir(r.path())
        .args(["baseline", "--no-config", "-o", "base.json", "."])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    assert!(run.stdout.is_empty(), "the baseline went to the file");
    let doc = json(&std::fs::read(&out).unwrap());
    assert_eq!(doc["kind"], "keyscan-baseline");
    assert_eq!(doc["entries"].as_array().unwrap().len(), 2);
    // It is a working baseline.
    let (doc, code, _) = scan_path(r.path(), &["--baseline", out.to_str().unwrap()]);
    assert_eq!((code, path_rules(&doc).len()), (0, 0));
}

/// `baseline --prune OLD --write-baseline NEW` writes the pruned baseline,
/// not every current finding.
#[test]
fn baseline_prune_writes_the_pruned_baseline_to_the_file() {
    let r = nested();
    let old = r.path().join("old.json");
    keyscan()
        .current_dir(r.path())
        .args(["baseline", "--no-config", "-o", "old.json", "sub"])
        .assert()
        .code(0);
    let run = keyscan()
        .current_dir(r.path())
        .args(["baseline", "--no-config", "--prune"])
        .arg(&old)
        .args(["-o", "new.json", "."])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let doc = json(&std::fs::read(r.path().join("new.json")).unwrap());
    let paths: Vec<&str> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["sub/dir/a.cfg"]);
}

#[test]
fn options_a_command_ignores_are_errors() {
    let r = nested();
    let cases: &[&[&str]] = &[
        &["baseline", "--format", "json", "."],
        &["baseline", "--fail-on", "high", "."],
        &["baseline", "--exit-code", "3", "."],
        &["baseline", "--show-secrets", "."],
        &["baseline", "--sarif-category", "x", "."],
        &[
            "baseline",
            "-o",
            "a.json",
            "--write-baseline",
            "b.json",
            ".",
        ],
        &["--history", "--no-ignore", "."],
        &["--range", "HEAD..HEAD", "--follow", "."],
        &["--staged", "--no-hidden", "."],
        &["--unreachable", "."],
    ];
    for args in cases {
        let out = keyscan()
            .current_dir(r.path())
            .arg("--no-config")
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        // keyscan's own refusals are one line; clap's add a usage line.
        if stderr.starts_with("keyscan: error: ") {
            assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        } else {
            assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        }
    }
}

/// A `.keyscan.toml` found in a subdirectory keeps its allowlist paths
/// relative to itself, though reports name files from the repository root;
/// and the file itself is still never scanned.
#[test]
fn a_subdirectory_configuration_keeps_its_paths_relative_to_itself() {
    let r = Repo::new();
    r.write(
        "sub/.keyscan.toml",
        &format!("# {GITHUB}\n[allowlist]\npaths = [\"fixtures/\"]\n"),
    );
    r.write("sub/fixtures/k.cfg", &format!("T={GITHUB}\n"));
    r.write("sub/app.cfg", &format!("T={GITHUB}\n"));
    r.commit("files");
    for (dir, arg) in [(r.path().to_path_buf(), "sub"), (r.path().join("sub"), ".")] {
        let out = keyscan()
            .current_dir(&dir)
            .args(["--format", "json", arg])
            .output()
            .unwrap();
        let doc = json(&out.stdout);
        assert_eq!(
            path_rules(&doc),
            pairs(&[("sub/app.cfg", GH)]),
            "{arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The fixture and the configuration file itself.
        assert_eq!(doc["stats"]["skipped"]["allowlisted"], 2, "{doc:#}");
    }
}
