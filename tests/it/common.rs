//! Helpers the integration tests share: fake keys, a temp tree, a git
//! repository, archives, a scan to JSON, the built-in engine.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

/// Fake, random keys used across tests (they belong to no account).
pub const OPENAI: &str = "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";
pub const ANTHROPIC: &str = "sk-ant-api03-Yt7Gbck-bq4JgYUL4uY8pez2aI37mbOqiywd2Jz1A7bMsCvuBhTE3XjITzu8V_nXAKIEs4P6RWZ5RKTnrwIHs7HYjpLjTAA";
pub const GITHUB: &str = "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";
pub const AWS_ID: &str = "AKIAMW5DNOS7NV4EQMKF";
pub const HF: &str = "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";
pub const GOOGLE: &str = "AIzaYt7Gbck-bq4JgYUL4uY8pez2aI37mbOqiyw";

/// Every fake secret above.
pub const ALL_SECRETS: &[&str] = &[OPENAI, ANTHROPIC, GITHUB, AWS_ID, HF, GOOGLE];

/// Standard base64 with padding, to hide a secret in an encoded value.
pub fn b64(data: impl AsRef<[u8]>) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// A minimal real PNG (1x1, RGBA) with `text` in a tEXt chunk: media by
/// its header, with a key inside if `text` holds one.
pub fn png_with(text: &str) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89".to_vec();
    b.extend_from_slice(&(text.len() as u32 + 8).to_be_bytes());
    b.extend_from_slice(b"tEXtComment\x00");
    b.extend_from_slice(text.as_bytes());
    b.extend_from_slice(b"\x00\x00\x00\x00\x00\x00\x00\x00IEND\xaeB`\x82");
    b
}

/// A zip archive (deflated) of `entries` (name, bytes).
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `keyscan` with a clean environment: no colour, no user config.
pub fn keyscan() -> Command {
    let mut c = Command::cargo_bin("keyscan").expect("binary");
    c.env_remove("KEYSCAN_CONFIG").env("NO_COLOR", "1");
    c
}

/// A temporary directory tree.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write `contents` to `rel`, creating parent directories.
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// `keyscan` run with the tree as current directory.
    pub fn keyscan(&self) -> Command {
        let mut c = keyscan();
        c.current_dir(self.path());
        c
    }
}

/// Parse stdout of a `--format json` run.
pub fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{}", String::from_utf8_lossy(out)))
}

/// (path, rule_id) of each finding of a JSON report.
pub fn path_rules(doc: &serde_json::Value) -> Vec<(String, String)> {
    locations(doc)
        .into_iter()
        .map(|(p, _, _, r)| (p, r))
        .collect()
}

/// Owned (path, rule_id) pairs, to compare with [`path_rules`].
pub fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect()
}

/// An owned (path, line, column, rule_id), to compare with [`locations`].
pub fn loc(p: &str, l: u64, c: u64, r: &str) -> (String, u64, u64, String) {
    (p.to_string(), l, c, r.to_string())
}

/// The findings of `keyscan --no-config --format json fixtures/basic` run
/// from the repository root, as [`locations`] gives them (the binary's own
/// test and the installed wheel's test expect the same).
pub fn basic_fixture_locations() -> Vec<(String, u64, u64, String)> {
    vec![
        loc("fixtures/basic/.env", 1, 19, "anthropic-api-key"),
        loc("fixtures/basic/.env", 2, 10, "huggingface-token"),
        loc("fixtures/basic/app/config.py", 7, 26, "openai-project-key"),
        loc(
            "fixtures/basic/deploy/ci.yml",
            2,
            17,
            "github-classic-token",
        ),
        loc("fixtures/basic/deploy/ci.yml", 5, 22, "aws-access-key"),
    ]
}

/// (path, line, column, rule_id) of each finding of a JSON report.
pub fn locations(doc: &serde_json::Value) -> Vec<(String, u64, u64, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Run git in `dir` with a fixed identity and clock; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "protocol.file.allow=always",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2024-05-06T07:08:09+02:00")
        .env("GIT_COMMITTER_DATE", "2024-05-06T07:08:09+02:00")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A scratch git repository in a temp dir, driven through the git CLI
/// with a fixed identity and clock.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let r = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Run git with a fixed identity and clock; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    /// Stage everything and commit as `author`; returns the commit id.
    pub fn commit_as(&self, author: &str, msg: &str) -> String {
        self.git(&["add", "-A"]);
        let a = format!("--author={author}");
        self.git(&["commit", "-q", "--allow-empty", &a, "-m", msg]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn commit(&self, msg: &str) -> String {
        self.commit_as("Test <test@example.com>", msg)
    }

    /// `keyscan --no-config --format json ARGS PATH`, parsed; also returns
    /// the exit code and stderr.
    pub fn scan(&self, args: &[&str]) -> (serde_json::Value, i32, String) {
        scan_path(self.path(), args)
    }
}

/// `keyscan --no-config --format json ARGS PATH`, parsed; also the exit
/// code and stderr.
pub fn scan_path(path: &Path, args: &[&str]) -> (serde_json::Value, i32, String) {
    let out = keyscan()
        .args(["--no-config", "--format", "json"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        !out.stdout.is_empty(),
        "no output (exit {code}); stderr: {stderr}"
    );
    (json(&out.stdout), code, stderr)
}

/// `keyscan --no-config --format json ARGS` run in `dir` (bounded to 5
/// minutes): the exit code, the report and stderr. A panic fails the test.
pub fn scan_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    scan_json_within(dir, args, 300)
}

/// [`scan_json`] bounded to `seconds`: a hang, a kill or a panic fails.
pub fn scan_json_within(
    dir: &Path,
    args: &[&str],
    seconds: u64,
) -> (i32, serde_json::Value, String) {
    let out = keyscan()
        .current_dir(dir)
        .args(["--no-config", "--format", "json"])
        .args(args)
        .timeout(Duration::from_secs(seconds))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed (hung or aborted): {stderr}"));
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, json(&out.stdout), stderr)
}

/// A .tar.gz of `entries` (name, bytes).
pub fn tar_gz_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar_of(entries)).unwrap();
    gz.finish().unwrap()
}

/// A plain (uncompressed) tar of `entries` (name, bytes).
pub fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// The engine with the built-in rules and default options.
pub fn engine() -> keyscan::scan::Engine {
    let rules = keyscan::rules::RuleSet::builtin().unwrap();
    keyscan::scan::Engine::new(
        keyscan::detect::Detector::new(rules).unwrap(),
        keyscan::config::Config::default(),
        keyscan::scan::ScanOptions::default(),
    )
}
