//! Env-file hygiene: a `.env` file that git tracks is a leak of its own,
//! whatever it holds, because everyone with the repository reads it. The
//! finding (rule `env-file-committed`, in `rules/env-file.toml`) is made
//! here, not by a regex: the tracked set is read from the git index once
//! per root, never per file.
//!
//! Example files (`.env.example`, `config.sample.yaml`) are meant to be
//! committed; a real-looking key in one gets a note instead (see
//! [`super::path_notes`]).

use std::path::{Path, PathBuf};

use crate::finding::{self, Finding};
use crate::rules::Rule;
use crate::scan::Worker;
use crate::source::fs::display_path;

/// Id of the rule whose findings this module makes.
pub const RULE_ID: &str = "env-file-committed";

/// Suffix words that mark a template rather than a live env file.
const TEMPLATE_WORDS: &[&str] = &[
    "example",
    "examples",
    "sample",
    "samples",
    "template",
    "templates",
    "tmpl",
    "tpl",
    "dist",
    "defaults",
    "schema",
];

/// What a file name says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvName {
    /// A live env file: `.env`, `.env.local`, `.env.production`, `prod.env`.
    Env,
    /// A template meant to be committed: `.env.example`, `.env.sample`.
    Example,
    /// Anything else (including `.envrc` and dotenv-vault's encrypted `.env.vault`).
    Other,
}

/// Classify a file name (not a path).
pub fn classify(name: &str) -> EnvName {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = if lower == ".env" {
        Vec::new()
    } else if let Some(rest) = lower
        .strip_prefix(".env")
        .filter(|r| r.starts_with(['.', '-', '_']))
    {
        rest.split(['.', '-', '_'])
            .filter(|w| !w.is_empty())
            .collect()
    } else if let Some(stem) = lower.strip_suffix(".env").filter(|s| !s.is_empty()) {
        stem.split(['.', '-', '_'])
            .filter(|w| !w.is_empty())
            .collect()
    } else {
        return EnvName::Other;
    };
    if words.is_empty() && lower != ".env" {
        return EnvName::Other;
    }
    if words.iter().any(|w| TEMPLATE_WORDS.contains(w)) {
        EnvName::Example
    } else if words.iter().any(|w| matches!(*w, "vault" | "keys" | "enc")) && words.len() == 1 {
        // dotenv-vault: `.env.vault` is encrypted to be committed; `.env.keys`
        // holds the decryption keys and is a live file.
        if words[0] == "keys" {
            EnvName::Env
        } else {
            EnvName::Other
        }
    } else {
        EnvName::Env
    }
}

/// Whether the last component of a display path is a live env file. Cheap
/// enough to ask of every file: no allocation unless the name has `.env`.
pub fn is_env_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).as_bytes();
    let has = |at: usize| name.len() >= at + 4 && name[at..at + 4].eq_ignore_ascii_case(b".env");
    (has(0) || name.len() >= 4 && has(name.len() - 4))
        && std::str::from_utf8(name).is_ok_and(|n| classify(n) == EnvName::Env)
}

/// Whether a file name is an example or template file of any kind:
/// `.env.example`, `config.example.yaml`, `credentials.json.sample`.
pub fn is_example_name(name: &str) -> bool {
    if classify(name) == EnvName::Example {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    let mut parts = lower.split('.').skip(1);
    parts.any(|p| matches!(p, "example" | "sample" | "template" | "dist" | "tmpl"))
}

/// The note on a committed env file.
fn advice(path: &str) -> String {
    format!(
        "environment file committed to version control: untrack it (git rm --cached {path}), \
         add it to .gitignore, commit an example file with placeholders instead, \
         and rotate every key it held"
    )
}

/// Report every env file under `roots` that git tracks, and scan those the
/// walk did not reach (ignored by .gitignore yet tracked). `walked` lists
/// the display paths of env files the walk scanned.
pub fn scan_tracked(w: &mut Worker<'_>, roots: &[PathBuf], walked: &[String]) {
    let single_dir_root = roots.len() == 1 && roots[0].is_dir();
    for root in roots {
        for abs_under in tracked_env_files(w, root) {
            let walker_path = root.join(&abs_under);
            let shown = if abs_under.as_os_str().is_empty() {
                root.to_string_lossy().into_owned()
            } else {
                display_path(root, &walker_path, single_dir_root)
            };
            let engine = w.engine();
            if engine.config().allows_path(&shown) {
                continue;
            }
            push_finding(w, &shown);
            if walked.contains(&shown) {
                continue;
            }
            // Tracked yet ignored: the walk skipped it, but it is in the repository.
            let max = engine.options().walk.max_file_size;
            let path = if abs_under.as_os_str().is_empty() {
                root.clone()
            } else {
                walker_path
            };
            if let Ok(bytes) = std::fs::read(&path) {
                if bytes.len() as u64 <= max {
                    w.scan(&shown, &bytes);
                }
            }
        }
    }
}

/// Report `path` (a repository path about to be committed, in a staged
/// scan) if it is a live env file outside test directories; returns whether
/// it was.
pub(crate) fn report_staged(w: &mut Worker<'_>, path: &str) -> bool {
    if !is_env_path(path) || in_test_dir(path) {
        return false;
    }
    push_finding(w, path);
    true
}

/// Paths, relative to `root`, of the env files under it that the git index
/// holds (an empty path when `root` is itself one).
fn tracked_env_files(w: &Worker<'_>, root: &Path) -> Vec<PathBuf> {
    let dir = if root.is_dir() {
        root
    } else {
        match root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    };
    let Ok(repo) = gix::discover(dir) else {
        return Vec::new(); // not in a repository: nothing is tracked
    };
    let Some(workdir) = repo.workdir().and_then(|p| p.canonicalize().ok()) else {
        return Vec::new();
    };
    let Ok(root_abs) = root.canonicalize() else {
        return Vec::new();
    };
    let index = match repo.index_or_empty() {
        Ok(i) => i,
        Err(e) => {
            w.warn(format!(
                "{}: cannot read the git index to find committed env files: {e}",
                root.display()
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in index.entries() {
        if entry.stage_raw() > 1 {
            continue; // a conflicted path is listed once per stage
        }
        let rel = entry.path(&index);
        let name = rel.rsplit(|&b| b == b'/').next().unwrap_or(rel);
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        if classify(name) != EnvName::Env {
            continue;
        }
        let Ok(rel) = std::str::from_utf8(rel) else {
            continue;
        };
        if in_test_dir(rel) {
            continue;
        }
        if let Ok(under) = workdir.join(rel).strip_prefix(&root_abs) {
            out.push(under.to_path_buf());
        }
    }
    out
}

/// Whether a repository path lies under a test, fixture or example
/// directory: env files there are committed on purpose (dotenv libraries,
/// scanners and frameworks test with them). Keys inside them are still
/// reported by the rules; only the hygiene finding is not.
fn in_test_dir(rel: &str) -> bool {
    let mut dirs = rel.split('/').rev().skip(1);
    dirs.any(|d| {
        matches!(
            d.to_ascii_lowercase().as_str(),
            "test"
                | "tests"
                | "testdata"
                | "testing"
                | "spec"
                | "fixtures"
                | "fixture"
                | "__fixtures__"
                | "examples"
                | "example"
                | "samples"
                | "sample"
        )
    })
}

/// Record the finding for a committed env file.
fn push_finding(w: &mut Worker<'_>, path: &str) {
    let engine = w.engine();
    let Some(rule) = engine.detector().rules().get(RULE_ID) else {
        return; // disabled by configuration
    };
    if engine.config().allows(RULE_ID, path, path) {
        w.suppressed += 1;
        return;
    }
    w.findings.push(Finding {
        rule_id: rule.spec.id.clone(),
        rule_name: rule.spec.name.clone(),
        provider: rule.spec.provider.clone(),
        severity: rule.spec.severity,
        path: path.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        offset: 0,
        fingerprint: finding::fingerprint(RULE_ID, path, path.as_bytes()),
        // Nothing secret to hide: the "secret" is the file itself.
        secret: path.to_string(),
        redacted: path.to_string(),
        entropy: 0.0,
        verified: None,
        notes: vec![advice(path)],
        commit: None,
    });
}

/// The examples of an env-file rule are paths: each positive one must be a
/// live env file (and its `secret` the path itself), each negative not.
pub fn check_examples(rule: &Rule) -> Result<(), String> {
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    for (i, ex) in rule.spec.examples.iter().enumerate() {
        if classify(&name(&ex.text)) != EnvName::Env {
            return Err(format!(
                "positive example {} ({:?}) is not an env file",
                i + 1,
                ex.text
            ));
        }
        if ex.secret != ex.text {
            return Err(format!(
                "positive example {}: the secret of an env-file finding is its path",
                i + 1
            ));
        }
    }
    for (i, neg) in rule.spec.negatives.iter().enumerate() {
        if classify(&name(neg)) == EnvName::Env {
            return Err(format!(
                "negative example {} ({neg:?}) is an env file",
                i + 1
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        for n in [
            ".env",
            ".env.local",
            ".env.production",
            ".ENV.Prod",
            ".env-staging",
            "prod.env",
            ".env.keys",
            ".env.development.local",
        ] {
            assert_eq!(classify(n), EnvName::Env, "{n}");
        }
        for n in [
            ".env.example",
            ".env.sample",
            ".env.template",
            ".env.local.example",
            "example.env",
            ".env.dist",
        ] {
            assert_eq!(classify(n), EnvName::Example, "{n}");
        }
        for n in [
            ".envrc",
            ".env.vault",
            "env",
            "environment.py",
            ".env.",
            ".environment",
        ] {
            assert_eq!(classify(n), EnvName::Other, "{n}");
        }
    }

    #[test]
    fn test_dirs() {
        assert!(in_test_dir("fixtures/basic/.env"));
        assert!(in_test_dir("pkg/tests/.env.local"));
        assert!(!in_test_dir(".env"));
        assert!(!in_test_dir("services/api/.env"));
        assert!(!in_test_dir("tests"));
    }

    #[test]
    fn example_names() {
        assert!(is_example_name(".env.example"));
        assert!(is_example_name("config.example.yaml"));
        assert!(is_example_name("credentials.json.sample"));
        assert!(!is_example_name("examples.py"));
        assert!(!is_example_name(".env"));
    }
}
