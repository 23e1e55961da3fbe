//! Git sources end to end: `--history`, `--since`, `--range` and `--staged`
//! on repositories built with the git CLI in temp dirs.

use std::path::{Path, PathBuf};

use crate::common::{
    git, json, keyscan, png_with, scan_path, zip_of, Repo, AWS_ID, GITHUB, OPENAI,
};
use serde_json::Value;

fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().unwrap()
}

fn paths(doc: &Value) -> Vec<String> {
    let mut p: Vec<String> = findings(doc)
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    p.sort();
    p
}

#[test]
fn deleted_secret_is_found_with_its_commit_and_not_in_head() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init");
    r.write("config.py", &format!("OPENAI_API_KEY = \"{OPENAI}\"\n"));
    let added = r.commit_as("Alice Example <alice@example.com>", "add config\n\nbody");
    std::fs::remove_file(r.path().join("config.py")).unwrap();
    r.commit("remove config");

    let (doc, code, _) = r.scan(&["--history"]);
    assert_eq!(code, 1);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    let f = &f[0];
    assert_eq!(f["path"], "config.py");
    assert_eq!(f["line"], 1);
    assert_eq!(f["commit"], added.as_str());
    assert_eq!(f["author"], "Alice Example");
    assert_eq!(f["email"], "alice@example.com");
    assert_eq!(f["date"], "2024-05-06T07:08:09+02:00");
    assert_eq!(f["summary"], "add config");
    assert_eq!(f["in_head"], false);
    assert_eq!(f["commits"], 1);

    // The working tree scan no longer sees it.
    let (doc, code, _) = scan_path(r.path(), &[]);
    assert_eq!(code, 0);
    assert!(findings(&doc).is_empty());
}

#[test]
fn history_json_matches_the_documented_schema() {
    let r = Repo::new();
    r.write("a.env", &format!("GITHUB_TOKEN={GITHUB}\n"));
    r.commit("a");
    let (doc, _, _) = r.scan(&["--history"]);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::root().join("docs/json-schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(findings(&doc)[0]["in_head"], true);
}

#[test]
fn text_output_shows_the_commit_and_head_status() {
    let r = Repo::new();
    r.write("k.txt", &format!("token: {GITHUB}\n"));
    let c = r.commit_as("Bob <bob@example.com>", "leak");
    let out = keyscan()
        .args(["--no-config", "--history"])
        .arg(r.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("commit {} by Bob <bob@example.com>", &c[..12])),
        "{text}"
    );
    assert!(text.contains("still in HEAD; in 1 commit"), "{text}");
}

#[test]
fn secret_on_a_side_branch_only_is_found() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("deploy.sh", &format!("export AWS_ACCESS_KEY_ID={AWS_ID}\n"));
    let side = r.commit("side work");
    r.git(&["checkout", "-q", "main"]);
    r.write("README.md", "hello again\n");
    r.commit("main work");

    let (doc, _, _) = r.scan(&["--history"]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["commit"], side.as_str());
    assert_eq!(f[0]["in_head"], false);
    assert_eq!(f[0]["path"], "deploy.sh");
}

#[test]
fn stash_and_tags_are_scanned() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init");
    r.write("README.md", &format!("hello {GITHUB}\n"));
    r.git(&["stash", "-q"]);
    let (doc, _, _) = r.scan(&["--history"]);
    assert_eq!(paths(&doc), vec!["README.md"], "{doc:#}");
    assert_eq!(findings(&doc)[0]["in_head"], false);
}

#[test]
fn same_blob_at_two_paths_is_scanned_once() {
    let r = Repo::new();
    let content = format!("key = \"{OPENAI}\"\n");
    r.write("a/settings.py", &content);
    r.write("b/copy/settings.py", &content);
    let c = r.commit("two copies");
    let (doc, _, _) = r.scan(&["--history"]);
    assert_eq!(doc["stats"]["files_scanned"], 1, "{doc:#}");
    assert_eq!(paths(&doc), vec!["a/settings.py", "b/copy/settings.py"]);
    for f in findings(&doc) {
        assert_eq!(f["commit"], c.as_str());
        assert_eq!(f["commits"], 1);
        assert_eq!(f["in_head"], true);
    }
}

#[test]
fn blob_in_100_commits_is_scanned_once_and_counted() {
    let r = Repo::new();
    r.write("secrets.env", &format!("GITHUB_TOKEN={GITHUB}\n"));
    let first = r.commit("add");
    // 99 more commits, each changing another file.
    for i in 0..99 {
        r.write("counter.txt", &format!("{i}\n"));
        r.commit(&format!("bump {i}"));
    }
    let (doc, _, _) = r.scan(&["--history"]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["commits"], 100);
    assert_eq!(f[0]["commit"], first.as_str());
    assert_eq!(f[0]["in_head"], true);
    // secrets.env once, counter.txt in 99 versions.
    assert_eq!(doc["stats"]["files_scanned"], 100);
}

#[test]
fn secret_kept_across_edits_is_one_finding_at_its_first_commit() {
    let r = Repo::new();
    r.write("app.cfg", &format!("a = 1\ntoken = {GITHUB}\n"));
    let first = r.commit("add");
    r.write("app.cfg", &format!("a = 2\ntoken = {GITHUB}\nb = 3\n"));
    r.commit("edit");
    r.write("app.cfg", "a = 2\n");
    r.commit("remove");
    let (doc, _, _) = r.scan(&["--history"]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["commit"], first.as_str());
    assert_eq!(f[0]["commits"], 2);
    assert_eq!(f[0]["in_head"], false);
    assert_eq!(f[0]["line"], 2);
}

#[test]
fn range_reports_only_what_the_range_introduced() {
    let r = Repo::new();
    r.write("old.env", &format!("GITHUB_TOKEN={GITHUB}\n"));
    r.commit("old secret on main");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("new.py", &format!("AWS = \"{AWS_ID}\"\n"));
    let added = r.commit("new secret");
    // Moving the old secret is not introducing it.
    r.git(&["mv", "old.env", "moved.env"]);
    r.commit("rename");

    let (doc, code, _) = r.scan(&["--range", "main..feature"]);
    assert_eq!(code, 1);
    assert_eq!(paths(&doc), vec!["new.py"], "{doc:#}");
    assert_eq!(findings(&doc)[0]["commit"], added.as_str());
    assert_eq!(findings(&doc)[0]["in_head"], true);

    let (doc, _, _) = r.scan(&["--since", "main"]);
    assert_eq!(paths(&doc), vec!["new.py"]);

    // An empty range finds nothing.
    let (doc, code, _) = r.scan(&["--range", "feature..feature"]);
    assert_eq!(code, 0);
    assert!(findings(&doc).is_empty());

    // The whole history has both.
    let (doc, _, _) = r.scan(&["--history"]);
    assert_eq!(paths(&doc), vec!["moved.env", "new.py", "old.env"]);
}

#[test]
fn symmetric_range_reports_what_either_side_introduced_since_the_merge_base() {
    let r = Repo::new();
    r.write("base.env", &format!("GITHUB_TOKEN={GITHUB}\n"));
    r.commit("secret before the fork");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("feature.py", &format!("AWS = \"{AWS_ID}\"\n"));
    let on_feature = r.commit("secret on the branch");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.txt", &format!("key = \"{OPENAI}\"\n"));
    let on_main = r.commit("secret on main after the fork");

    // A...B: both sides since the merge base, not what came before it.
    let (doc, code, _) = r.scan(&["--range", "main...feature"]);
    assert_eq!(code, 1);
    assert_eq!(paths(&doc), vec!["feature.py", "main.txt"], "{doc:#}");
    let commit_of = |path: &str| {
        findings(&doc)
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["commit"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(commit_of("feature.py"), on_feature);
    assert_eq!(commit_of("main.txt"), on_main);
    // A..B: the branch side only.
    let (doc, _, _) = r.scan(&["--range", "main..feature"]);
    assert_eq!(paths(&doc), vec!["feature.py"]);
    // The same side twice: nothing.
    let (doc, code, _) = r.scan(&["--range", "main...main"]);
    assert_eq!(code, 0);
    assert!(findings(&doc).is_empty());
}

#[test]
fn bad_range_is_an_error() {
    let r = Repo::new();
    r.write("a", "a\n");
    r.commit("a");
    let out = keyscan()
        .args(["--no-config", "--range", "nope..HEAD"])
        .arg(r.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[test]
fn staged_reports_only_staged_additions_with_staged_line_numbers() {
    let r = Repo::new();
    r.write("app.py", &format!("import os\nOLD = \"{GITHUB}\"\n"));
    r.write("other.py", "x = 1\n");
    r.commit("base");
    // Staged: a new line 2 with a new secret; the old secret stays (line 3).
    r.write(
        "app.py",
        &format!("import os\nNEW = \"{OPENAI}\"\nOLD = \"{GITHUB}\"\n"),
    );
    r.git(&["add", "app.py"]);
    // Not staged: a secret only in the working tree.
    r.write("other.py", &format!("x = \"{AWS_ID}\"\n"));
    // A new staged file.
    r.write("new/keys.env", &format!("\n\nAWS={AWS_ID}\n"));
    r.git(&["add", "new/keys.env"]);

    let (doc, code, _) = r.scan(&["--staged"]);
    assert_eq!(code, 1);
    let got: Vec<(String, u64)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("app.py".to_string(), 2),
            // The env file itself is about to be committed...
            ("new/keys.env".to_string(), 1),
            // ...and holds a key.
            ("new/keys.env".to_string(), 3)
        ],
        "{doc:#}"
    );
    let rules: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules[1], "env-file-committed", "{doc:#}");
    assert!(findings(&doc).iter().all(|f| f.get("commit").is_none()));

    // Nothing staged: clean.
    r.commit("commit it");
    let (doc, code, _) = r.scan(&["--staged"]);
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn staged_in_a_repository_without_commits() {
    let r = Repo::new();
    r.write("a.env", &format!("T={GITHUB}\n"));
    r.git(&["add", "a.env"]);
    let (doc, _, _) = r.scan(&["--staged"]);
    assert_eq!(paths(&doc), vec!["a.env", "a.env"], "{doc:#}");
}

/// `--no-env-files` turns the env-file finding off in staged scans too; a
/// template (`.env.example`) and a test fixture are not reported.
#[test]
fn staged_env_files_are_reported_unless_templates_or_fixtures() {
    let r = Repo::new();
    r.write("README.md", "x\n");
    r.commit("init");
    r.write(".env", "DEBUG=1\n");
    r.write(".env.example", "OPENAI_API_KEY=\n");
    r.write("tests/fixtures/.env", "DEBUG=1\n");
    r.git(&["add", "-A"]);
    let (doc, code, _) = r.scan(&["--staged"]);
    assert_eq!(code, 1, "{doc:#}");
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["path"], ".env");
    assert_eq!(f[0]["rule_id"], "env-file-committed");
    let (doc, code, _) = r.scan(&["--staged", "--no-env-files"]);
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn not_a_repository_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--history", "--staged"] {
        let out = keyscan()
            .args(["--no-config", flag])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a git repository"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn empty_repository_is_clean() {
    let r = Repo::new();
    let (doc, code, _) = r.scan(&["--history"]);
    assert_eq!(code, 0);
    assert!(findings(&doc).is_empty());
    assert_eq!(doc["stats"]["files_scanned"], 0);
}

#[test]
fn shallow_clone_scans_what_exists_and_says_so() {
    let r = Repo::new();
    r.write("old.env", &format!("T={GITHUB}\n"));
    r.commit("old");
    std::fs::remove_file(r.path().join("old.env")).unwrap();
    r.write("new.env", &format!("A={AWS_ID}\n"));
    r.commit("new");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    git(
        clone.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let path: PathBuf = clone.path().join("shallow");
    let (doc, _, stderr) = scan_path(&path, &["--history"]);
    assert_eq!(paths(&doc), vec!["new.env"], "{doc:#}");
    assert!(stderr.contains("shallow"), "{stderr}");
}

#[test]
fn bare_repository_is_scanned() {
    let r = Repo::new();
    r.write("k.env", &format!("T={GITHUB}\n"));
    let c = r.commit("k");
    let clone = tempfile::tempdir().unwrap();
    let url = r.path().display().to_string();
    git(clone.path(), &["clone", "-q", "--bare", &url, "bare.git"]);
    let (doc, _, _) = scan_path(&clone.path().join("bare.git"), &["--history"]);
    assert_eq!(paths(&doc), vec!["k.env"]);
    assert_eq!(findings(&doc)[0]["commit"], c.as_str());
    assert_eq!(findings(&doc)[0]["in_head"], true);
}

#[test]
fn submodules_are_not_descended_and_said_so() {
    let sub = Repo::new();
    sub.write("inner.env", &format!("T={GITHUB}\n"));
    sub.commit("inner");
    let r = Repo::new();
    r.write("README.md", "x\n");
    r.commit("init");
    let url = sub.path().display().to_string();
    r.git(&["submodule", "add", "-q", &url, "vendor/sub"]);
    r.commit("add submodule");
    let (doc, code, stderr) = r.scan(&["--history"]);
    assert_eq!(code, 0, "{doc:#}");
    assert!(findings(&doc).is_empty());
    assert!(stderr.contains("submodule"), "{stderr}");
}

#[test]
fn missing_object_is_warned_counted_and_skipped() {
    let r = Repo::new();
    r.write("keys.env", &format!("T={GITHUB}\n"));
    r.write("gone.txt", "this blob will be deleted\n");
    r.commit("two files");
    let id = r.git(&["rev-parse", "HEAD:gone.txt"]).trim().to_string();
    let obj = r.path().join(".git/objects").join(&id[..2]).join(&id[2..]);
    std::fs::remove_file(obj).unwrap();
    let (doc, code, stderr) = r.scan(&["--history"]);
    assert_eq!(code, 1);
    assert_eq!(paths(&doc), vec!["keys.env"]);
    assert_eq!(doc["stats"]["unreadable"], 1, "{doc:#}");
    assert!(stderr.contains(&id), "{stderr}");
}

#[test]
fn blobs_over_the_size_cap_are_skipped_and_counted() {
    let r = Repo::new();
    let mut big = "x".repeat(4096);
    big.push_str(&format!("\nT={GITHUB}\n"));
    r.write("big.txt", &big);
    r.write("small.txt", "nothing\n");
    r.commit("big");
    let (doc, code, _) = r.scan(&["--history", "--max-file-size", "1K"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["stats"]["skipped"]["too_large"], 1);
    assert_eq!(doc["stats"]["files_scanned"], 1);
}

#[test]
fn unreachable_loose_blob_is_scanned_without_commit() {
    let r = Repo::new();
    r.write("README.md", "x\n");
    r.commit("init");
    r.write("dropped.env", &format!("T={GITHUB}\n"));
    let id = r
        .git(&["hash-object", "-w", "dropped.env"])
        .trim()
        .to_string();
    std::fs::remove_file(r.path().join("dropped.env")).unwrap();
    // Not reported unless asked: a local clone holds the blobs of commits
    // that never left it.
    let (doc, code, _) = r.scan(&["--history"]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{doc:#}");
    let (doc, _, _) = r.scan(&["--history", "--unreachable"]);
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["path"], format!("(unreachable blob {id})"));
    assert!(f[0].get("commit").is_none());
}

/// A branch deleted before a repack leaves its blobs in the pack with no
/// ref reaching them: they are still scanned, without a commit. The target
/// of a symbolic link is reached (and not scanned) and so not reported as
/// unreachable, even when it looks like a key.
#[test]
fn unreachable_packed_blob_is_scanned_without_commit() {
    let r = Repo::new();
    r.write("README.md", "x\n");
    r.commit("init");
    std::os::unix::fs::symlink(format!("T={OPENAI}"), r.path().join("link")).unwrap();
    r.commit("a link whose target text is key-shaped");
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("leak.env", &format!("T={GITHUB}\n"));
    r.commit("leak on a branch");
    let id = r.git(&["rev-parse", "HEAD:leak.env"]).trim().to_string();
    // Pack everything while the branch exists, then delete the branch.
    r.git(&["repack", "-q", "-a", "-d"]);
    r.git(&["checkout", "-q", "-"]);
    r.git(&["branch", "-q", "-D", "topic"]);
    r.git(&["reflog", "expire", "--expire=now", "--all"]);
    let loose = std::fs::read_dir(r.path().join(".git/objects"))
        .unwrap()
        .flatten()
        .filter(|d| d.file_name().len() == 2)
        .map(|d| std::fs::read_dir(d.path()).unwrap().count())
        .sum::<usize>();
    assert_eq!(loose, 0, "the fixture must have no loose objects");

    let (doc, code, _) = r.scan(&["--history"]);
    assert_eq!((code, findings(&doc).len()), (0, 0), "{doc:#}");
    let (doc, code, _) = r.scan(&["--history", "--unreachable"]);
    assert_eq!(code, 1, "{doc:#}");
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["path"], format!("(unreachable blob {id})"));
    assert!(
        f[0]["rule_id"].as_str().unwrap().contains("github"),
        "{doc:#}"
    );
    assert!(f[0].get("commit").is_none());
}

/// A key inside a committed archive is reported at the blob's path followed
/// by the entry's (`bundle.zip!conf/app.cfg`), with the same fingerprint a
/// directory scan of the same archive gives.
#[test]
fn archive_entries_in_history_keep_their_inner_path() {
    let r = Repo::new();
    let zip = zip_of(&[
        ("README.txt", b"nothing here\n".as_slice()),
        (
            "conf/app.cfg",
            format!("\ntoken = \"{GITHUB}\"\n").as_bytes(),
        ),
    ]);
    std::fs::create_dir_all(r.path().join("dist")).unwrap();
    std::fs::write(r.path().join("dist/bundle.zip"), &zip).unwrap();
    r.commit("ship a bundle");
    let (doc, code, _) = r.scan(&["--history"]);
    assert_eq!(code, 1, "{doc:#}");
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["path"], "dist/bundle.zip!conf/app.cfg");
    assert_eq!(f[0]["line"], 2);

    let out = keyscan()
        .args(["--format", "json", "--no-config"])
        .arg(r.path())
        .output()
        .unwrap();
    let dir = json(&out.stdout);
    let d = findings(&dir);
    assert_eq!(d.len(), 1, "{dir:#}");
    assert_eq!(d[0]["fingerprint"], f[0]["fingerprint"], "{dir:#}");
}

/// A key pasted into a commit message is found (the text `git log -p`
/// shows), attributed to that commit, and masked in the commit summary;
/// `--range` scans the messages of the commits in the range only.
#[test]
fn commit_messages_are_scanned() {
    let r = Repo::new();
    r.write("README.md", "x\n");
    let first = r.commit("init");
    r.write("app.py", "import os\n");
    let leaky = r.commit(&format!(
        "Rotate the token\n\nThe old one was {GITHUB}, now revoked.\n"
    ));
    let (doc, code, _) = r.scan(&["--history"]);
    assert_eq!(code, 1, "{doc:#}");
    let f = findings(&doc);
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["path"], "(commit message)");
    assert_eq!(f[0]["line"], 3);
    assert_eq!(f[0]["commit"], leaky.as_str());
    assert_eq!(f[0]["in_head"], false);
    assert!(!doc.to_string().contains(GITHUB), "{doc:#}");

    let (doc, _, _) = r.scan(&["--range", &format!("{leaky}..HEAD")]);
    assert!(findings(&doc).is_empty(), "{doc:#}");
    let (doc, _, _) = r.scan(&["--range", &format!("{first}..HEAD")]);
    assert_eq!(findings(&doc).len(), 1, "{doc:#}");
}

#[test]
fn media_blobs_are_skipped() {
    let r = Repo::new();
    std::fs::write(r.path().join("logo.png"), png_with(&format!("T={GITHUB}"))).unwrap();
    r.commit("img");
    let (doc, code, _) = r.scan(&["--history"]);
    assert_eq!(code, 0);
    assert_eq!(doc["stats"]["skipped"]["media"], 1);
}

/// `keyscan --no-config --format json --history PATH` with `env` set.
fn history_with_env(path: &Path, env: &[(&str, &str)]) -> (Value, String) {
    let mut cmd = keyscan();
    cmd.args(["--no-config", "--format", "json", "--history"])
        .arg(path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.stdout.is_empty(), "no output; stderr: {stderr}");
    (json(&out.stdout), stderr)
}

#[test]
fn packed_deltas_are_scanned_where_they_change_with_exact_findings() {
    let r = Repo::new();
    let mut lines: Vec<String> = (0..300)
        .map(|i| format!("value_{i:03} = compute({i}, \"ordinary text on line {i}\")"))
        .collect();
    let save = |r: &Repo, lines: &[String], msg: &str| {
        r.write("app/settings.py", &(lines.join("\n") + "\n"));
        r.commit(msg)
    };
    save(&r, &lines, "v0");
    for i in 1..8 {
        lines[i * 30] = format!("value_{i} = changed({i})");
        save(&r, &lines, &format!("edit {i}"));
    }
    // A secret in the middle, kept across later edits, then removed.
    lines[150] = format!("OPENAI_API_KEY = \"{OPENAI}\"");
    let added = save(&r, &lines, "add key");
    for i in 0..6 {
        lines[10 + i * 40] = format!("value_x{i} = edited({i})");
        save(&r, &lines, &format!("later edit {i}"));
    }
    lines[150] = "OPENAI_API_KEY = os.environ[\"OPENAI_API_KEY\"]".to_string();
    save(&r, &lines, "remove key");
    // One that stays in HEAD, near the end.
    lines[290] = format!("GITHUB_TOKEN = \"{GITHUB}\"");
    let kept = save(&r, &lines, "add token");
    for i in 0..4 {
        lines[20 + i * 50] = format!("value_y{i} = tweaked({i})");
        save(&r, &lines, &format!("tweak {i}"));
    }
    r.git(&["gc", "-q", "--aggressive", "--prune=now"]);

    let (doc, stderr) = history_with_env(r.path(), &[("KEYSCAN_DEBUG_TIMINGS", "1")]);
    let (whole, _) = history_with_env(r.path(), &[("KEYSCAN_GIT_WHOLE_BLOBS", "1")]);
    // The delta path was taken...
    let partial = stderr
        .lines()
        .find_map(|l| l.split("rebuilt from their delta base, ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no delta statistics in: {stderr}"));
    assert!(partial > 0, "{stderr}");
    // ...and changed nothing: same findings, lines, commits and counts.
    assert_eq!(findings(&doc), findings(&whole), "{doc:#}");
    let f = findings(&doc);
    assert_eq!(f.len(), 2, "{doc:#}");
    let by = |rule: &str| {
        f.iter()
            .find(|f| f["rule_id"].as_str().unwrap().contains(rule))
    };
    let openai = by("openai").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(openai["line"], 151);
    assert_eq!(openai["commit"], added.as_str());
    assert_eq!(openai["in_head"], false);
    assert_eq!(openai["commits"], 7);
    let github = by("github").unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(github["line"], 291);
    assert_eq!(github["commit"], kept.as_str());
    assert_eq!(github["in_head"], true);
    assert_eq!(github["commits"], 5);
}
