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

// ---------------------------------------------------------------------------
// Case 16: a baseline is read as a stream into a compact set of
// fingerprints: memory grows with the entries (16 bytes each), not with a
// JSON tree of the whole file.

/// A baseline of `n` entries (pretty-printed as keyscan writes them, about
/// 170 bytes each), generated while it is read: `extra` is the first
/// entry's fingerprint, the others are random-looking; `bad` puts a broken
/// entry right after the first one.
struct GeneratedBaseline {
    n: usize,
    next: usize,
    extra: String,
    bad: bool,
    buf: Vec<u8>,
    pos: usize,
    /// Bytes handed out so far.
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl GeneratedBaseline {
    fn new(n: usize, extra: &str, bad: bool) -> GeneratedBaseline {
        GeneratedBaseline {
            n,
            next: 0,
            extra: extra.to_string(),
            bad,
            buf: b"{\n  \"version\": 1,\n  \"kind\": \"keyscan-baseline\",\n  \"entries\": [\n"
                .to_vec(),
            pos: 0,
            read: Default::default(),
        }
    }

    fn fingerprint(&self, i: usize) -> String {
        if i == 0 {
            return self.extra.clone();
        }
        // A cheap, well-spread 128-bit value (splitmix64 twice).
        let mix = |mut z: u64| {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        format!("{:016x}{:016x}", mix(i as u64), mix(!(i as u64)))
    }
}

impl std::io::Read for GeneratedBaseline {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if self.next < self.n {
                let i = self.next;
                self.next += 1;
                let sep = if self.next < self.n { ",\n" } else { "\n" };
                let entry = if self.bad && i == 1 {
                    "    {\"fingerprint\": 7}".to_string()
                } else {
                    format!(
                        "    {{\n      \"fingerprint\": \"{}\",\n      \"rule_id\": \
                         \"generic-api-key\",\n      \"path\": \"src/module{}/file{i}.py\",\n      \
                         \"line\": {}\n    }}",
                        self.fingerprint(i),
                        i % 997,
                        i % 5000 + 1
                    )
                };
                self.buf.extend_from_slice(entry.as_bytes());
                self.buf.extend_from_slice(sep.as_bytes());
            } else if self.next == self.n {
                self.next += 1;
                self.buf.extend_from_slice(b"  ]\n}\n");
            } else {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// The fingerprint of the one finding in a tree with a GitHub token.
fn tree_with_one_finding() -> (Tree, String) {
    let t = Tree::new();
    t.file("a.env", format!("T={GITHUB}\n"));
    let out = t
        .keyscan()
        .args(["baseline", "--no-config", "."])
        .output()
        .unwrap();
    let b = json(&out.stdout);
    let fp = b["entries"][0]["fingerprint"].as_str().unwrap().to_string();
    (t, fp)
}

#[test]
fn case_16_fingerprints_stream_from_a_reader() {
    use keyscan::filter::baseline::Fingerprints;
    let (_, fp) = tree_with_one_finding();
    // 300k entries (50 MB) that never exist in memory as a whole.
    let reader = GeneratedBaseline::new(300_000, &fp, false);
    let read = reader.read.clone();
    let set = Fingerprints::read("gen.json", reader).unwrap();
    assert!(read.get() > 50_000_000, "{}", read.get());
    assert_eq!(set.len(), 300_000);
    assert!(set.contains(&fp));
    assert!(!set.contains("0123456789abcdef0123456789abcdef"));
    // A broken entry early in an endless baseline: the error comes after
    // the first few kilobytes, not after the whole input.
    let reader = GeneratedBaseline::new(usize::MAX, &fp, true);
    let read = reader.read.clone();
    let e = Fingerprints::read("gen.json", reader).unwrap_err();
    assert_eq!(
        e.to_string(),
        "gen.json: not a keyscan baseline: invalid type: integer `7`, expected a string \
         at line 11 column 22"
    );
    assert!(read.get() < 1 << 20, "{}", read.get());
}

/// Peak memory is bounded: a 50 MB baseline is used under a 192 MiB data
/// limit (the whole-file parser needed some 7 times the file's size, and
/// was killed at this limit when it could not allocate).
#[cfg(target_os = "linux")]
#[test]
fn case_16_large_baseline_is_used_in_bounded_memory() {
    use std::io::Read as _;
    let (t, fp) = tree_with_one_finding();
    let mut text = Vec::new();
    GeneratedBaseline::new(300_000, &fp, false)
        .read_to_end(&mut text)
        .unwrap();
    assert!(text.len() > 50_000_000);
    t.file("big.json", &text);
    drop(text);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -d 196608 && exec \"$@\"")
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("keyscan"))
        .args(["--no-config", "-j", "1", "--baseline", "big.json", "a.env"])
        .current_dir(t.path())
        .env("NO_COLOR", "1")
        .env_remove("KEYSCAN_CONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The one finding is in the baseline: a clean run.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 suppressed"), "{stderr}");
}

/// The baseline parser as it was before it streamed (the whole text to a
/// JSON tree, then to the types), kept here as the reference: the
/// streaming parser must accept what it accepted, with the same entries,
/// and refuse what it refused, with the same message (the streaming
/// parser may add where in the text: ` at line L column C`).
mod reference {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    pub struct Entry {
        pub fingerprint: String,
        pub rule_id: String,
        pub path: String,
        pub line: usize,
        #[serde(default)]
        pub commit: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Baseline {
        version: u32,
        kind: String,
        entries: Vec<Entry>,
    }

    #[derive(Debug, Deserialize)]
    pub struct ReportFinding {
        fingerprint: String,
        rule_id: String,
        path: String,
        line: usize,
        #[serde(default)]
        commit: Option<String>,
    }

    #[derive(Deserialize)]
    struct Report {
        findings: Vec<ReportFinding>,
    }

    fn is_fingerprint(s: &str) -> bool {
        s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
    }

    pub fn parse(name: &str, text: &str) -> Result<Vec<Entry>, String> {
        let err = |m: String| format!("{name}: {m}");
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| err(format!("not a keyscan baseline: invalid JSON: {e}")))?;
        if value.get("kind").and_then(|k| k.as_str()) == Some("keyscan-baseline") {
            let b: Baseline = serde_json::from_value(value)
                .map_err(|e| err(format!("not a keyscan baseline: {e}")))?;
            if b.version != 1 {
                return Err(err(format!("unsupported baseline version {}", b.version)));
            }
            if let Some(e) = b.entries.iter().find(|e| !is_fingerprint(&e.fingerprint)) {
                return Err(err(format!("invalid fingerprint {:?}", e.fingerprint)));
            }
            return Ok(b.entries);
        }
        if value.get("findings").is_some() {
            let r: Report = serde_json::from_value(value)
                .map_err(|e| err(format!("not a keyscan JSON report: {e}")))?;
            if let Some(f) = r.findings.iter().find(|f| !is_fingerprint(&f.fingerprint)) {
                return Err(err(format!("invalid fingerprint {:?}", f.fingerprint)));
            }
            return Ok(r
                .findings
                .into_iter()
                .map(|f| Entry {
                    fingerprint: f.fingerprint,
                    rule_id: f.rule_id,
                    path: f.path,
                    line: f.line,
                    commit: f.commit,
                })
                .collect());
        }
        Err(err(
            "not a keyscan baseline (expected \"kind\": \"keyscan-baseline\" or a \
                 JSON report)"
                .into(),
        ))
    }
}

#[test]
fn case_16_streaming_parser_accepts_and_refuses_what_the_old_one_did() {
    use keyscan::filter::baseline::{Baseline, Fingerprints};
    let fp = "0123456789abcdef0123456789abcdef";
    let fp2 = "fedcba9876543210fedcba9876543210";
    let upper = "0123456789ABCDEF0123456789ABCDEF";
    let entry = |f: &str| format!(r#"{{"fingerprint":"{f}","rule_id":"r","path":"p","line":3}}"#);
    let base = |entries: &str| {
        format!(r#"{{"version":1,"kind":"keyscan-baseline","entries":[{entries}]}}"#)
    };
    let report = |findings: &str| {
        format!(r#"{{"version":1,"findings":[{findings}],"stats":{{"findings":1}}}}"#)
    };
    let both = format!("{},{}", entry(fp), entry(fp2));
    let accepted: Vec<String> = vec![
        base(""),
        base(&entry(fp)),
        base(&both),
        base(&entry(upper)),
        // Pretty, and as keyscan writes it.
        serde_json::to_string_pretty(&serde_json::json!({
            "version": 1, "kind": "keyscan-baseline",
            "entries": [{"fingerprint": fp, "rule_id": "r", "path": "p", "line": 3,
                         "commit": "abc"}]
        }))
        .unwrap(),
        // Keys in any order; unknown fields of an entry are ignored.
        format!(
            r#"{{"entries":[{{"line":1,"path":"p","rule_id":"r","fingerprint":"{fp}","x":[1,{{}}]}}],"kind":"keyscan-baseline","version":1}}"#
        ),
        // The same key twice: the last one counts.
        format!(
            r#"{{"version":1,"kind":"keyscan-baseline","entries":[{}],"entries":[{}]}}"#,
            entry(fp),
            entry(fp2)
        ),
        // JSON reports, with the fields a finding has.
        report(""),
        report(&format!(
            r#"{{"rule_id":"r","rule_name":"R","severity":"high","path":"a.env","line":2,"column":3,"fingerprint":"{fp}","redacted":"x","layers":[],"commit":"c"}}"#
        )),
        // A report's "kind" that is not the baseline's.
        format!(r#"{{"kind":7,"findings":[{}]}}"#, entry(fp)),
    ];
    let refused: Vec<String> = vec![
        "not json".into(),
        String::new(),
        "{".into(),
        "{}".into(),
        "[]".into(),
        "[1,2]".into(),
        "\"keyscan-baseline\"".into(),
        "null".into(),
        "5".into(),
        format!("{} x", base("")),
        base(&entry("zz")),
        base(&format!("{},{}", entry(fp), entry("0123"))),
        r#"{"kind":"keyscan-baseline","version":1}"#.into(),
        r#"{"kind":"keyscan-baseline","entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":2,"entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":"1","entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":-1,"entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":4294967296,"entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":1.5,"entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":null,"entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":[1],"entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":1,"entries":5}"#.into(),
        r#"{"kind":"keyscan-baseline","version":1,"entries":null}"#.into(),
        r#"{"kind":"keyscan-baseline","version":1,"entries":{"a":1}}"#.into(),
        r#"{"kind":"keyscan-baseline","version":1,"entries":"x"}"#.into(),
        r#"{"kind":"keyscan-baseline","version":1,"entries":[],"extra":1}"#.into(),
        r#"{"zzz":1,"kind":"keyscan-baseline","version":2,"entries":[],"aaa":1}"#.into(),
        base(r#"{"fingerprint":"0123456789abcdef0123456789abcdef","path":"p","line":3}"#),
        base(r#"{"fingerprint":7,"rule_id":"r","path":"p","line":3}"#),
        base(
            r#"{"fingerprint":"0123456789abcdef0123456789abcdef","rule_id":"r","path":"p","line":-3}"#,
        ),
        base("1"),
        report(&entry("zz")),
        report(r#"{"fingerprint":"0123456789abcdef0123456789abcdef","rule_id":"r","line":3}"#),
        r#"{"findings":5}"#.into(),
        r#"{"findings":null}"#.into(),
        r#"{"kind":"other","version":1,"entries":[]}"#.into(),
        r#"{"kind":"keyscan-baseline","version":1,"entries":[],"findings":[]}"#.into(),
    ];
    // Where in the text, which only the streaming parser says.
    let without_position = |m: &str| match m.rfind(" at line ") {
        Some(i) if m[i..].contains(" column ") => m[..i].to_string(),
        _ => m.to_string(),
    };
    for text in &accepted {
        let old = reference::parse("b.json", text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let new = Baseline::parse("b.json", text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let old: Vec<_> = old
            .iter()
            .map(|e| (&e.fingerprint, &e.rule_id, &e.path, e.line, &e.commit))
            .collect();
        let got: Vec<_> = new
            .entries
            .iter()
            .map(|e| (&e.fingerprint, &e.rule_id, &e.path, e.line, &e.commit))
            .collect();
        assert_eq!(got, old, "{text}");
        // The compact set holds the same fingerprints (an upper-case one
        // matches no finding, as before).
        let set = Fingerprints::read("b.json", text.as_bytes()).unwrap();
        for e in &new.entries {
            let lower = e.fingerprint.bytes().all(|b| !b.is_ascii_uppercase());
            assert_eq!(set.contains(&e.fingerprint), lower, "{text}");
        }
    }
    for text in &refused {
        let old = reference::parse("b.json", text).map(|_| ()).unwrap_err();
        let new = Baseline::parse("b.json", text)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        if new != old {
            assert_eq!(without_position(&new), old, "{text}");
        }
        let set = Fingerprints::read("b.json", text.as_bytes())
            .map(|_| ())
            .unwrap_err();
        assert_eq!(set.to_string(), new, "{text}");
    }
}
