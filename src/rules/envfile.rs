//! Env files: which file names are live env files (`.env`,
//! `.env.production`), which are templates meant to be committed
//! (`.env.example`), and which directories hold deliberate test env files.
//! The `env-file-committed` rule (`rules/env-file.toml`) matches paths, not
//! contents: the scan driver asks [`is_tracked_env`] of every path git
//! tracks.

use crate::rules::Rule;

/// Id of the rule whose findings are env files themselves.
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

/// Whether `rel`, a repository path that git tracks (or is about to
/// commit), is a live env file outside test, fixture and example
/// directories: a finding of the env-file rule.
pub fn is_tracked_env(rel: &str) -> bool {
    is_env_path(rel) && !in_test_dir(rel)
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
