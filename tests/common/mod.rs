//! Shared helpers for the CLI tests: a command builder and a temp-dir tree.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.as_ref().chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The repository root.
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
