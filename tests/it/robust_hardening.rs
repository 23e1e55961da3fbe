//! Robustness of the files keyscan is given by name and of its limits:
//! regex errors that do not echo the pattern, configuration and baseline
//! files that must be regular and bounded, large keyword lists, the worker
//! cap, report files written without following links, and baselines read
//! as a stream. Each test is named after the case of the issue it covers.

use std::path::Path;
use std::time::Duration;

use crate::common::*;

/// Run keyscan in `t` (bounded to a minute, so a read that blocks fails
/// the test instead of hanging it); assert exit 2, nothing on stdout and
/// one line on stderr, and return that line.
fn one_error(t: &Tree, args: &[&str]) -> String {
    let out = t
        .keyscan()
        .args(args)
        .timeout(Duration::from_secs(60))
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
