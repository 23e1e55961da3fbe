//! End-to-end behaviour of the `keyscan` binary.

use crate::common::*;
use predicates::prelude::*;

#[test]
fn fixture_scan_exact_findings() {
    let out = keyscan()
        .args(["--no-config", "--format", "json", "fixtures/basic"])
        .current_dir(root())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(locations(&doc), basic_fixture_locations());
    let stats = &doc["stats"];
    assert_eq!(stats["findings"], 5);
    assert_eq!(stats["files_scanned"], 4);
    assert_eq!(stats["by_severity"]["critical"], 4);
    assert_eq!(stats["by_severity"]["high"], 1);
    assert_eq!(stats["files_with_findings"], 3);
}

#[test]
fn json_output_matches_documented_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/json-schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    // fixtures/parts has findings with parts (AWS, database URL, Basic header).
    for fixture in ["fixtures/basic", "fixtures/parts"] {
        for extra in [&[][..], &["--show-secrets"][..]] {
            let out = keyscan()
                .args(["--no-config", "--format", "json", fixture])
                .args(extra)
                .current_dir(root())
                .output()
                .unwrap();
            let doc = json(&out.stdout);
            let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{fixture}: {errors:#?}");
        }
    }
    // Each JSONL line is a finding.
    let mut finding_schema = schema["$defs"]["finding"].clone();
    finding_schema["$schema"] = schema["$schema"].clone();
    let v = jsonschema::validator_for(&finding_schema).unwrap();
    let out = keyscan()
        .args(["--no-config", "--format", "jsonl", "fixtures/basic"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 5);
    for line in text.lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.is_valid(&f), "{line}");
    }
}

#[test]
fn jsonl_has_findings_only_and_summary_on_stderr() {
    keyscan()
        .args(["--no-config", "--format", "jsonl", "fixtures/basic"])
        .current_dir(root())
        .assert()
        .code(1)
        .stdout(predicate::function(|s: &str| {
            s.lines().all(|l| l.starts_with("{\"rule_id\":"))
        }))
        .stderr(predicate::str::contains("5 findings"));
}

#[test]
fn secrets_are_redacted_by_default_in_every_format() {
    for format in ["text", "json", "jsonl"] {
        let out = keyscan()
            .args(["--no-config", "--format", format, "fixtures/basic"])
            .current_dir(root())
            .output()
            .unwrap();
        let all = [out.stdout, out.stderr].concat();
        let all = String::from_utf8_lossy(&all);
        for s in ALL_SECRETS {
            assert!(!all.contains(s), "{format} output leaks {s}");
            // Not even the middle of a secret.
            assert!(
                !all.contains(&s[6..s.len() - 4]),
                "{format} output leaks part of {s}"
            );
        }
        assert!(all.contains("sk-proj-****"), "{format}: {all}");
    }
}

#[test]
fn show_secrets_reveals_them() {
    for format in ["text", "json", "jsonl"] {
        keyscan()
            .args([
                "--no-config",
                "--show-secrets",
                "--format",
                format,
                "fixtures/basic",
            ])
            .current_dir(root())
            .assert()
            .code(1)
            .stdout(predicate::str::contains(OPENAI))
            .stdout(predicate::str::contains(GITHUB));
    }
}

#[test]
fn exit_codes() {
    let t = Tree::new();
    t.file("clean.txt", "nothing to see here\n");
    t.keyscan().arg(".").assert().code(0);
    t.file("leak.env", format!("TOKEN={GITHUB}\n"));
    t.keyscan().arg(".").assert().code(1);
    t.keyscan()
        .args(["--exit-code", "42", "."])
        .assert()
        .code(42);
    // Usage errors and runtime errors: 2, one line on stderr.
    t.keyscan().arg("--no-such-flag").assert().code(2);
    t.keyscan()
        .arg("does-not-exist")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "keyscan: error: does-not-exist: no such file",
        ));
    t.keyscan()
        .args(["--max-file-size", "lots", "."])
        .assert()
        .code(2);
}

#[test]
fn quiet_prints_findings_only() {
    let t = Tree::new();
    t.file("leak.env", format!("TOKEN={GITHUB}\n"));
    t.keyscan()
        .args(["--quiet", "."])
        .assert()
        .code(1)
        .stderr("")
        .stdout(predicate::str::contains("github-classic-token"));
}

#[test]
fn stdin_is_scanned_with_dash() {
    keyscan()
        .args(["--no-config", "--format", "jsonl", "-"])
        .write_stdin(format!("line one\nexport HF_TOKEN={HF}\n"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"path\":\"<stdin>\""))
        .stdout(predicate::str::contains("\"line\":2"))
        .stdout(predicate::str::contains("huggingface-token"));
    keyscan()
        .args(["--no-config", "-"])
        .write_stdin("nothing here")
        .assert()
        .code(0);
}

#[test]
fn gitignore_is_honoured_and_no_ignore_scans_everything() {
    let t = Tree::new();
    t.file(".gitignore", "build/\n*.log\n");
    t.file("build/out.js", format!("k='{GITHUB}'\n"));
    t.file("debug.log", format!("{AWS_ID}\n"));
    t.file("src/app.py", "print('hi')\n");
    t.keyscan().arg(".").assert().code(0);
    let out = t
        .keyscan()
        .args(["--no-ignore", "--format", "json", "."])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let paths: Vec<String> = locations(&json(&out)).into_iter().map(|l| l.0).collect();
    assert_eq!(paths, vec!["build/out.js", "debug.log"]);
}

#[test]
fn hidden_files_are_scanned_but_never_dot_git() {
    let t = Tree::new();
    t.file(".env", format!("HF_TOKEN={HF}\n"));
    t.file(
        ".aws/credentials",
        format!("aws_access_key_id = {AWS_ID}\n"),
    );
    t.file(".git/config", format!("token = {GITHUB}\n"));
    let out = t
        .keyscan()
        .args(["--format", "json", "."])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let paths: Vec<String> = locations(&json(&out)).into_iter().map(|l| l.0).collect();
    assert_eq!(paths, vec![".aws/credentials", ".env"]);
    t.keyscan().args(["--no-hidden", "."]).assert().code(0);
    // --hidden after --no-hidden wins.
    t.keyscan()
        .args(["--no-hidden", "--hidden", "."])
        .assert()
        .code(1);
}

#[test]
fn key_inside_binary_file_is_found_and_no_binary_skips_it() {
    let t = Tree::new();
    let mut bytes = vec![0u8, 1, 2, 3, 0, 0xff, 0xfe];
    bytes.extend_from_slice(b"\x00\x00key\x00");
    bytes.extend_from_slice(GITHUB.as_bytes());
    bytes.extend_from_slice(&[0, 0x80, 0x81, 0]);
    t.file("module.pyc", &bytes);
    let out = t
        .keyscan()
        .args(["--format", "json", "."])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(
        locations(&doc),
        vec![loc("module.pyc", 1, 14, "github-classic-token")]
    );
    assert_eq!(doc["stats"]["binary_files_scanned"], 1);
    let out = t
        .keyscan()
        .args(["--no-binary", "--format", "json", "."])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)["stats"]["skipped"]["binary"], 1);
}

#[test]
fn media_and_oversized_files_are_skipped_and_reported() {
    let t = Tree::new();
    t.file("logo.png", png_with(&format!("token={GITHUB}")));
    // A PNG by its header, whatever its name.
    t.file("picture.dat", png_with(&format!("token={GITHUB}")));
    t.file("big.txt", format!("{}\nTOKEN={GITHUB}\n", "x".repeat(4096)));
    t.file("small.txt", "hello\n");
    let out = t
        .keyscan()
        .args(["--max-file-size", "1K", "--format", "json", "."])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc = json(&out);
    assert_eq!(doc["stats"]["skipped"]["media"], 2);
    assert_eq!(doc["stats"]["skipped"]["too_large"], 1);
    assert_eq!(doc["stats"]["files_scanned"], 1);
    t.keyscan()
        .args(["--max-file-size", "1K", "."])
        .assert()
        .stderr(predicate::str::contains("3 skipped (1 too large, 2 media)"));
}

#[test]
fn single_file_path_scans_that_file() {
    keyscan()
        .args(["--no-config", "--format", "jsonl"])
        .arg("fixtures/basic/deploy/ci.yml")
        .current_dir(root())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\"path\":\"fixtures/basic/deploy/ci.yml\"",
        ));
}

#[test]
fn text_output_groups_by_file_with_summary() {
    let out = keyscan()
        .args(["--no-config", "fixtures/basic"])
        .current_dir(root())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Paths start at the repository's root, wherever the scan starts.
    let expected_start = "\
critical  anthropic-api-key  Anthropic  sk-ant-api03-************AA  [format marker `AA` present]  [confidence: high]
  --> fixtures/basic/.env:1:19
1 | ANTHROPIC_API_KEY=sk-ant-api03-************AA
  |                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = fingerprint: 0a91889ba75b110e725829e98c7c3e51
  = Anthropic API key: revoke and rotate it at https://console.anthropic.com/settings/keys
";
    assert!(stdout.starts_with(expected_start), "{stdout}");
    assert!(
        stdout.contains("\n  --> fixtures/basic/app/config.py:7:26\n"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "no colour when piped");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(
            "keyscan: 5 findings (4 critical, 1 high) in 3 files; 4 files scanned (788 B); "
        ),
        "{stderr}"
    );
}

#[test]
fn color_always_colours_and_no_color_env_wins_in_auto() {
    keyscan()
        .args(["--no-config", "--color", "always", "fixtures/basic"])
        .current_dir(root())
        .assert()
        .stdout(predicate::str::contains("\u{1b}["));
    keyscan()
        .args(["--no-config", "--color", "never", "fixtures/basic"])
        .current_dir(root())
        .assert()
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn output_file_is_private() {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    t.keyscan()
        .args(["--format", "json", "--output", "report.json", "a.env"])
        .assert()
        .code(1)
        .stdout("");
    let report = std::fs::read_to_string(t.path().join("report.json")).unwrap();
    assert!(report.contains("github-classic-token"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.path().join("report.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn duplicate_roots_report_once() {
    keyscan()
        .args([
            "--no-config",
            "--format",
            "jsonl",
            "fixtures/basic/.env",
            "fixtures/basic/.env",
        ])
        .current_dir(root())
        .assert()
        .code(1)
        .stdout(predicate::function(|s: &str| s.lines().count() == 2));
}

#[test]
fn rules_subcommand_lists_and_shows() {
    keyscan()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("openai-project-key"))
        .stdout(predicate::str::contains("PROVIDER"));
    let out = keyscan()
        .args(["rules", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let rules = json(&out);
    let arr = rules.as_array().unwrap();
    assert!(arr.len() >= 14);
    for r in arr {
        for k in ["id", "provider", "severity", "keywords"] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
    }
    keyscan()
        .args(["rules", "show", "github-classic-token"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("CRC32 checksum valid"));
    keyscan()
        .args(["rules", "show", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule has the id"));
}

#[test]
fn unreadable_files_are_warned_counted_and_fail_a_clean_scan() {
    let t = Tree::new();
    let p = t.file("secret.txt", "nothing\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    if std::fs::read(&p).is_ok() {
        eprintln!("skipped: running as a user who can read mode-000 files (root)");
        return;
    }
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("keyscan: warning: secret.txt:"))
        .stderr(predicate::str::contains("could not be read"));
}

#[test]
fn inline_allow_comment_suppresses_and_is_counted() {
    let t = Tree::new();
    t.file("a.py", format!("t = '{GITHUB}'  # keyscan:allow\n"));
    t.keyscan()
        .arg(".")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 suppressed"));
    t.keyscan()
        .args(["--no-inline-allow", "."])
        .assert()
        .code(1);
}

#[test]
fn config_allowlist_paths_apply_and_malformed_config_is_an_error() {
    let t = Tree::new();
    t.file("fixtures/a.env", format!("T={GITHUB}\n"));
    t.file(".keyscan.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    t.keyscan().arg(".").assert().code(0);
    t.keyscan().args(["--no-config", "."]).assert().code(1);
    t.file(
        ".keyscan.toml",
        "[allowlist]\npaths = [\"fixtures/\"]\nbogus = 1\n",
    );
    t.keyscan()
        .arg(".")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "keyscan: error: ./.keyscan.toml:3: unknown field `bogus`",
        ));
}

#[test]
fn readme_config_example_is_valid() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("```toml\n").expect("a toml block") + 8;
    let end = start + readme[start..].find("```").unwrap();
    let config = keyscan::config::Config::parse("README.md", &readme[start..end])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut rules = keyscan::rules::RuleSet::builtin().unwrap();
    config.apply(&mut rules).unwrap_or_else(|e| panic!("{e}"));
    assert!(rules.get("acme-internal-token").is_some());
    assert!(rules.get("env-prefixed-key").is_none());
}

#[test]
fn readme_flags_exist_in_help() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut help = String::new();
    for sub in [
        &[][..],
        &["baseline"][..],
        &["install-hook"][..],
        &["hook"][..],
        &["rules"][..],
    ] {
        let out = keyscan().args(sub).arg("--help").output().unwrap().stdout;
        help.push_str(&String::from_utf8(out).unwrap());
    }
    let mut checked = 0;
    // Lines about cargo name cargo's flags, not keyscan's; lines that run
    // one of the repository's scripts name the script's; so do lines that
    // run docker or check a download's sums.
    let ours: String = readme
        .lines()
        .filter(|l| {
            !l.contains("cargo ")
                && !l.contains("git commit")
                && !l.contains("git rm")
                && !l.contains("scripts/")
                && !l.contains("pip install")
                && !l.contains("docker ")
                && !l.contains("sha256sum")
                // gitleaks' and git's own flags (the migration table, the
                // shallow-clone advice).
                && !l.contains("gitleaks")
                && !l.contains("git fetch")
        })
        .collect::<Vec<_>>()
        .join("\n");
    for word in ours.split(|c: char| c.is_whitespace() || c == '`' || c == '|' || c == '(') {
        let flag = word.trim_end_matches([',', '.', ')', ';', ':']);
        let flag = flag.split('=').next().unwrap();
        if flag.starts_with("--")
            && flag.len() > 3
            && flag[2..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-')
        {
            assert!(
                help.contains(flag),
                "README mentions {flag}, which --help does not list"
            );
            checked += 1;
        }
    }
    assert!(checked > 10);
}

fn git(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git")
}

#[test]
fn installed_hook_refuses_a_commit_that_stages_a_key() {
    let t = Tree::new();
    assert!(git(t.path(), &["init", "-q"]).status.success());
    t.keyscan().arg("install-hook").assert().code(0);
    let hook = t.path().join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.contains("--staged"), "{script}");
    // A clean commit passes.
    t.file("README.md", "hello\n");
    git(t.path(), &["add", "README.md"]);
    let ok = git(t.path(), &["commit", "-q", "-m", "clean"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // A commit that stages a fake key is refused, and the finding is shown.
    t.file("config.py", format!("TOKEN = '{GITHUB}'\n"));
    git(t.path(), &["add", "config.py"]);
    let refused = git(t.path(), &["commit", "-q", "-m", "leak"]);
    assert!(!refused.status.success());
    let shown = String::from_utf8_lossy(&[refused.stdout, refused.stderr].concat()).to_string();
    assert!(shown.contains("github-classic-token"), "{shown}");
    assert!(shown.contains("config.py"), "{shown}");
    assert!(!shown.contains(GITHUB), "the hook redacts: {shown}");
    let log = git(t.path(), &["log", "--oneline"]);
    assert_eq!(String::from_utf8_lossy(&log.stdout).lines().count(), 1);
    // An existing hook is not overwritten without --force.
    t.keyscan()
        .arg("install-hook")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    t.keyscan()
        .args(["install-hook", "--force"])
        .assert()
        .code(0);
}

#[test]
fn install_hook_outside_a_repository_is_an_error() {
    let t = Tree::new();
    t.keyscan()
        .arg("install-hook")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a git repository"));
}

#[test]
fn integration_files_use_existing_flags() {
    let help = String::from_utf8(keyscan().arg("--help").output().unwrap().stdout).unwrap();
    for file in [".pre-commit-hooks.yaml", "action.yml"] {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for word in text.split(|c: char| c.is_whitespace() || c == '"' || c == '(' || c == ')') {
            if let Some(flag) = word.strip_prefix("--") {
                let flag = flag.split('=').next().unwrap();
                // cargo install's own flags
                if ["locked", "path", "root"].contains(&flag) {
                    continue;
                }
                assert!(
                    help.contains(&format!("--{flag}")),
                    "{file} uses --{flag}, unknown to keyscan"
                );
            }
        }
    }
}
