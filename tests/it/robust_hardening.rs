//! Robustness of the files keyscan is given by name and of its limits:
//! regex errors that do not echo the pattern, configuration and baseline
//! files that must be regular and bounded, large keyword lists, the worker
//! cap, report files written without following links, and baselines read
//! as a stream. Each test is named after the case of the issue it covers.

use std::path::Path;
use std::time::Duration;

use crate::common::*;

/// Run keyscan in `t` (bounded to 30 s, so a read that blocks fails
/// the test instead of hanging it); assert exit 2, nothing on stdout and
/// one line on stderr, and return that line.
fn one_error(t: &Tree, args: &[&str]) -> String {
    let out = t
        .keyscan()
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    stderr.trim_end().to_string()
}

// ---------------------------------------------------------------------------
// Case 10: a regex that does not compile is reported by position and
// reason; the pattern, which may hold a literal key, is never printed.

/// A custom rule whose regex (and `exclude` list) are given.
fn rule_with(regex: &str, exclude: &str) -> String {
    format!(
        "[[rule]]\nid = \"my-rule\"\nname = \"Mine\"\nprovider = \"Me\"\nseverity = \"low\"\n\
         keywords = [\"abc\"]\nregex = '''{regex}'''\nexclude = [{exclude}]\n\
         remediation = \"https://example.invalid\"\n"
    )
}

#[test]
fn case_10_invalid_regex_error_shows_position_not_pattern() {
    // A literal (fake) key inside each broken pattern: 20 characters, so
    // the error is at column 21 (an unclosed group or class).
    let key = AWS_ID;
    let t = Tree::new();
    t.file("a.txt", "x\n");
    let cases: Vec<(String, String)> = vec![
        (
            format!("[allowlist]\nregexes = ['{key}(']\n"),
            "c.toml:2: allowlist: invalid regex: unclosed group (at column 21 of the pattern)"
                .into(),
        ),
        (
            format!("[allowlist]\npath_regexes = ['{key}[']\n"),
            "c.toml:2: allowlist: invalid regex: unclosed character class \
             (at column 21 of the pattern)"
                .into(),
        ),
        (
            format!("[rules.aws-access-key.allowlist]\n\nregexes = ['{key}(']\n"),
            "c.toml:3: rules.aws-access-key.allowlist: invalid regex: unclosed group \
             (at column 21 of the pattern)"
                .into(),
        ),
        (
            rule_with(&format!("(?P<secret>{key}["), ""),
            "c.toml:1: rule `my-rule`: invalid regex: unclosed character class \
             (at column 32 of the pattern)"
                .into(),
        ),
        (
            rule_with("abc(?P<secret>[0-9]{40})", &format!("'^x', '{key}('")),
            "c.toml:1: rule `my-rule`: invalid exclude regex 2: unclosed group \
             (at column 21 of the pattern)"
                .into(),
        ),
        // A pattern over several lines (verbose mode): line and column.
        (
            rule_with(&format!("(?x)abc\n  (?P<secret>{key}\\q)"), ""),
            "c.toml:1: rule `my-rule`: invalid regex: unrecognized escape sequence \
             (at line 2, column 34 of the pattern)"
                .into(),
        ),
        // gitleaks-format files: rules, allowlists and their path regexes.
        (
            format!(
                "title = \"t\"\n[[rules]]\nid = \"gl-rule\"\nregex = '''{key}('''\n\
                 keywords = [\"akia\"]\n"
            ),
            "c.toml:2: rule `gl-rule`: invalid regex: unclosed group \
             (at column 21 of the pattern)"
                .into(),
        ),
        (
            format!("title = \"t\"\n[allowlist]\nregexes = ['{key}(']\n"),
            "c.toml:3: allowlist: invalid regex: unclosed group (at column 21 of the pattern)"
                .into(),
        ),
        (
            format!("title = \"t\"\n[[allowlists]]\npaths = ['{key}(']\n"),
            "c.toml:3: allowlist: invalid regex: unclosed group (at column 21 of the pattern)"
                .into(),
        ),
    ];
    for (config, expected) in cases {
        t.file("c.toml", &config);
        let line = one_error(&t, &["--config", "c.toml", "."]);
        assert!(!line.contains(key), "the pattern is printed: {line}");
        assert_eq!(line, format!("keyscan: error: {expected}"), "{config}");
    }
}

// ---------------------------------------------------------------------------
// Case 11: the configuration file (found, --config or KEYSCAN_CONFIG), the
// baseline (--baseline, baseline --prune) are read only when they are
// regular files, and only up to a size limit.

/// Make a FIFO at `p`.
#[cfg(unix)]
fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

#[cfg(unix)]
#[test]
fn case_11_config_fifo_is_refused() {
    use std::os::unix::fs::symlink;
    let t = Tree::new();
    t.file("a.txt", "x\n");
    mkfifo(&t.path().join("fifo"));
    symlink("fifo", t.path().join("to-fifo.toml")).unwrap();
    symlink("/dev/zero", t.path().join("zero.toml")).unwrap();
    let fifo = "cannot read: not a regular file (a FIFO)";
    let device = "cannot read: not a regular file (a character device)";
    for (args, expected) in [
        (&["--config", "fifo", "."][..], format!("fifo: {fifo}")),
        (
            &["--config", "to-fifo.toml", "."],
            format!("to-fifo.toml: {fifo}"),
        ),
        (
            &["--config", "zero.toml", "."],
            format!("zero.toml: {device}"),
        ),
    ] {
        assert_eq!(one_error(&t, args), format!("keyscan: error: {expected}"));
    }
    // KEYSCAN_CONFIG, a symlink to a FIFO.
    let out = t
        .keyscan()
        .env("KEYSCAN_CONFIG", "to-fifo.toml")
        .arg(".")
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("keyscan: error: to-fifo.toml: {fifo}\n")
    );
    // The configuration found at the scanned root.
    let root = Tree::new();
    root.file("a.txt", "x\n");
    mkfifo(&root.path().join(".keyscan.toml"));
    assert_eq!(
        one_error(&root, &["."]),
        format!("keyscan: error: ./.keyscan.toml: {fifo}")
    );
}

#[cfg(unix)]
#[test]
fn case_11_baseline_fifo_is_refused() {
    use std::os::unix::fs::symlink;
    let t = Tree::new();
    t.file("a.txt", "x\n");
    mkfifo(&t.path().join("fifo"));
    symlink("fifo", t.path().join("to-fifo.json")).unwrap();
    symlink("/dev/zero", t.path().join("zero.json")).unwrap();
    let fifo = "cannot read: not a regular file (a FIFO)";
    let device = "cannot read: not a regular file (a character device)";
    for (args, expected) in [
        (
            &["--no-config", "--baseline", "fifo", "."][..],
            format!("fifo: {fifo}"),
        ),
        (
            &["--no-config", "--baseline", "to-fifo.json", "."],
            format!("to-fifo.json: {fifo}"),
        ),
        (
            &["--no-config", "--baseline", "zero.json", "."],
            format!("zero.json: {device}"),
        ),
        (
            &["baseline", "--no-config", "--prune", "to-fifo.json", "."],
            format!("to-fifo.json: {fifo}"),
        ),
        (
            &["--no-config", "--baseline", ".", "."],
            format!(".: cannot read: not a regular file (a directory)"),
        ),
    ] {
        assert_eq!(one_error(&t, args), format!("keyscan: error: {expected}"));
    }
}

#[test]
fn case_11_config_and_baseline_over_their_size_limit_are_refused() {
    let t = Tree::new();
    t.file("a.txt", "x\n");
    // Sparse files: nothing is written, and nothing must be read.
    let big = |name: &str, len: u64| {
        let f = std::fs::File::create(t.path().join(name)).unwrap();
        f.set_len(len).unwrap();
    };
    big("big.toml", (16 << 20) + 1);
    big("big.json", (1 << 30) + 1);
    assert_eq!(
        one_error(&t, &["--config", "big.toml", "."]),
        "keyscan: error: big.toml: cannot read: larger than 16.0 MiB, \
         the limit for a configuration file"
    );
    assert_eq!(
        one_error(&t, &["--no-config", "--baseline", "big.json", "."]),
        "keyscan: error: big.json: cannot read: larger than 1.0 GiB, the limit for a baseline"
    );
    // Just at the limit, a configuration is read: one long comment.
    let mut edge = vec![b'a'; 16 << 20];
    edge[0] = b'#';
    t.file("edge.toml", edge);
    t.keyscan()
        .args(["--config", "edge.toml", "--quiet", "."])
        .timeout(Duration::from_secs(120))
        .assert()
        .code(0);
}
