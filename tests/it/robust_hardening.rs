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
            ".: cannot read: not a regular file (a directory)".to_string(),
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

// ---------------------------------------------------------------------------
// Case 13: a long keyword list (a custom rule with 100k keywords) is
// de-duplicated in linear time: start-up is not quadratic in keywords.

/// A keyword that counts how often two keywords are compared.
#[derive(Debug, Clone, Eq)]
struct Counted(u32);

impl std::hash::Hash for Counted {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

static COMPARISONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        COMPARISONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0 == other.0
    }
}

#[test]
fn case_13_keyword_dedup_is_linear() {
    use keyscan::prefilter::distinct_keywords;
    let kws = |r: std::ops::Range<u32>| r.map(Counted).collect::<Vec<_>>();
    let mut second = kws(3000..9000);
    second.extend(kws(3000..3100));
    let owners: Vec<(u32, Vec<Counted>)> = vec![
        (0, kws(0..6000)),
        (1, second),
        (3, vec![Counted(5), Counted(5)]),
    ];
    let listed: usize = owners.iter().map(|(_, k)| k.len()).sum();
    COMPARISONS.store(0, std::sync::atomic::Ordering::Relaxed);
    let (keywords, owned) = distinct_keywords(owners.iter().map(|(i, k)| (*i, k.as_slice())));
    let compared = COMPARISONS.load(std::sync::atomic::Ordering::Relaxed);
    // Every keyword once, in order of first appearance...
    assert_eq!(
        keywords.iter().map(|k| k.0).collect::<Vec<_>>(),
        (0..9000).collect::<Vec<_>>()
    );
    // ...with its owners, each once, in order.
    for (k, o) in keywords.iter().zip(&owned) {
        let expected: &[u32] = match k.0 {
            5 => &[0, 3],
            0..3000 => &[0],
            3000..6000 => &[0, 1],
            _ => &[1],
        };
        assert_eq!(o.as_slice(), expected, "keyword {}", k.0);
    }
    // A keyword is compared with the few that share its hash, not with
    // every keyword seen before it (that was 54 million comparisons).
    assert!(
        compared <= 2 * listed,
        "{compared} comparisons for {listed} keywords"
    );
}

#[test]
fn case_13_custom_rule_with_100k_keywords_loads_and_finds() {
    let t = Tree::new();
    // 100k distinct keywords, each also listed again in upper case (the
    // prefilter is case-insensitive), and the one that matters last.
    let mut kws: Vec<String> = (0..100_000).map(|i| format!("kw{i:06}zq")).collect();
    kws.extend((0..1000).map(|i| format!("KW{i:06}ZQ")));
    kws.push("tokenmarker".into());
    let list = kws
        .iter()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(",");
    t.file(
        "c.toml",
        format!(
            "[[rule]]\nid = \"many-keywords\"\nname = \"Many\"\nprovider = \"Me\"\n\
             severity = \"low\"\nkeywords = [{list}]\n\
             regex = '''tokenmarker=(?P<secret>[0-9a-f]{{32}})'''\n\
             remediation = \"https://example.invalid\"\n"
        ),
    );
    t.file(
        "a.txt",
        "x = 1\ntokenmarker=0f1e2d3c4b5a69788796a5b4c3d2e1f0\n",
    );
    let (code, doc, stderr) = scan_json_with_config(t.path(), "c.toml");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        locations(&doc),
        vec![("a.txt".to_string(), 2, 13, "many-keywords".to_string())]
    );
}

/// `keyscan --config CONFIG --format json .` in `dir`: exit code, report
/// and stderr.
fn scan_json_with_config(dir: &Path, config: &str) -> (i32, serde_json::Value, String) {
    let out = keyscan()
        .current_dir(dir)
        .args(["--config", config, "--format", "json", "."])
        .timeout(Duration::from_secs(600))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), json(&out.stdout), stderr)
}

// ---------------------------------------------------------------------------
// Case 14: -j is capped at 4 workers per core, with a warning.

#[test]
fn case_14_thread_count_is_capped_with_a_warning() {
    let t = Tree::new();
    for i in 0..20 {
        t.file(&format!("d{i}/f.txt"), "nothing here\n");
    }
    t.file("d3/key.env", format!("TOKEN={GITHUB}\n"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let out = t
        .keyscan()
        .args(["--no-config", "-j", "5000", "."])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.lines().next(),
        Some(
            format!(
                "keyscan: warning: -j 5000: using {} worker threads (at most 4 per core)",
                4 * cores
            )
            .as_str()
        ),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("github-classic-token"));
    // At the cap, no warning.
    let at_cap = (4 * cores).to_string();
    let out = t
        .keyscan()
        .args(["--no-config", "-j", &at_cap, "."])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}

// ---------------------------------------------------------------------------
// Case 15: -o and --write-baseline write a new file beside the target and
// rename it into place; they never write through a symlink, a FIFO, a
// device or a directory, and never change such a target's mode.

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn case_15_output_symlink_not_followed() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    let victim = t.file("victim.txt", "keep me\n");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    symlink("victim.txt", t.path().join("report.json")).unwrap();
    symlink("victim.txt", t.path().join("base.json")).unwrap();
    let before = names(t.path());
    for (args, shown) in [
        (
            &["--no-config", "-o", "report.json", "a.env"][..],
            "report.json",
        ),
        (
            &["--no-config", "--write-baseline", "base.json", "a.env"],
            "base.json",
        ),
        (
            &[
                "baseline",
                "--no-config",
                "--write-baseline",
                "base.json",
                "a.env",
            ],
            "base.json",
        ),
    ] {
        assert_eq!(
            one_error(&t, args),
            format!("keyscan: error: {shown}: cannot write: not a regular file (a symbolic link)"),
            "{args:?}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
        assert_eq!(mode(&victim), 0o644);
        assert!(t.path().join(shown).is_symlink());
        assert_eq!(names(t.path()), before, "a file was left behind");
    }
}

#[cfg(unix)]
#[test]
fn case_15_output_fifo_and_directory_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    let fifo = t.path().join("fifo");
    mkfifo(&fifo);
    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::create_dir(t.path().join("dir")).unwrap();
    let before = names(t.path());
    for (args, expected) in [
        (
            &["--no-config", "-o", "fifo", "a.env"][..],
            "fifo: cannot write: not a regular file (a FIFO)",
        ),
        (
            &["--no-config", "--write-baseline", "fifo", "a.env"],
            "fifo: cannot write: not a regular file (a FIFO)",
        ),
        (
            &["--no-config", "-o", "dir", "a.env"],
            "dir: cannot write: not a regular file (a directory)",
        ),
    ] {
        assert_eq!(one_error(&t, args), format!("keyscan: error: {expected}"));
        assert_eq!(names(t.path()), before, "a file was left behind");
    }
    assert_eq!(mode(&fifo), 0o644);
}

#[cfg(unix)]
#[test]
fn case_15_existing_report_is_replaced_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    for name in ["report.json", "base.json"] {
        let p = t.file(name, "old contents\n");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    t.keyscan()
        .args(["--no-config", "--format", "json", "-o", "report.json"])
        .args(["--write-baseline", "base.json", "a.env"])
        .assert()
        .code(1)
        .stdout("");
    let report = json(&std::fs::read(t.path().join("report.json")).unwrap());
    assert_eq!(report["findings"][0]["rule_id"], "github-classic-token");
    let base = json(&std::fs::read(t.path().join("base.json")).unwrap());
    assert_eq!(base["kind"], "keyscan-baseline");
    for name in ["report.json", "base.json"] {
        assert_eq!(mode(&t.path().join(name)), 0o600, "{name}");
    }
    // New files, in a subdirectory given by a relative path, too.
    std::fs::create_dir(t.path().join("out")).unwrap();
    t.keyscan()
        .args(["--no-config", "-o", "out/r.txt", "a.env"])
        .assert()
        .code(1);
    assert_eq!(mode(&t.path().join("out/r.txt")), 0o600);
    // Nothing else was left in either directory.
    assert_eq!(
        names(t.path()),
        ["a.env", "base.json", "out", "report.json"]
    );
    assert_eq!(names(&t.path().join("out")), ["r.txt"]);
}

#[test]
fn case_15_output_to_stdout() {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    let targets: &[&str] = if cfg!(unix) {
        &["-", "/dev/stdout"]
    } else {
        &["-"]
    };
    for target in targets {
        let out = t
            .keyscan()
            .args(["--no-config", "--format", "json", "-o", target, "a.env"])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{target}");
        let doc = json(&out.stdout);
        assert_eq!(doc["findings"][0]["rule_id"], "github-classic-token");
        assert_eq!(names(t.path()), ["a.env"], "{target}");
    }
}
