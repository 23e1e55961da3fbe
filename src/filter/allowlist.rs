//! Allowlists: by path glob, by regex on the secret, by stopword.

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

/// Every allowlist of a configuration: the global one, each rule's, and the
/// configuration file itself (whose custom rules' examples are
/// secret-shaped by design).
#[derive(Debug, Clone, Default)]
pub struct Allowlists {
    /// The global allowlist.
    pub global: Allowlist,
    /// Per-rule allowlists, by rule id.
    pub by_rule: BTreeMap<String, Allowlist>,
    /// The configuration file's own path, as shown (relative to the
    /// scanned root).
    pub own_file: Option<String>,
    /// Where the configuration file sits, as shown paths spell it (`sub/`,
    /// or empty): path patterns are relative to it, so a file found in a
    /// subdirectory of a repository keeps meaning what it says when reports
    /// name files from the repository root. Paths outside it are not
    /// matched by path.
    pub prefix: String,
}

impl Allowlists {
    /// `path` relative to [`Allowlists::prefix`], if it is under it.
    fn relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        path.strip_prefix(self.prefix.as_str())
    }

    /// Whether every finding at `path` is allowlisted: the global path
    /// allowlist, or the configuration file itself.
    pub fn skips_path(&self, path: &str) -> bool {
        self.own_file.as_deref() == Some(path)
            || self
                .relative(path)
                .is_some_and(|p| self.global.allows_path(p))
    }

    /// Whether a finding of `rule_id` at `path` is allowlisted by path.
    pub fn allows_path(&self, rule_id: &str, path: &str) -> bool {
        self.skips_path(path)
            || self
                .relative(path)
                .is_some_and(|p| self.by_rule.get(rule_id).is_some_and(|a| a.allows_path(p)))
    }

    /// Whether a finding of `rule_id` in `commit` is allowlisted by its
    /// commit.
    pub fn allows_commit(&self, rule_id: &str, commit: &str) -> bool {
        self.global.allows_commit(commit)
            || self
                .by_rule
                .get(rule_id)
                .is_some_and(|a| a.allows_commit(commit))
    }

    /// Whether a finding of `rule_id` with `secret` is allowlisted by its
    /// secret (a regex or a stopword).
    pub fn allows_secret(&self, rule_id: &str, secret: &str) -> bool {
        self.global.allows_secret(secret)
            || self
                .by_rule
                .get(rule_id)
                .is_some_and(|a| a.allows_secret(secret))
    }
}

/// A compiled allowlist (global, or one rule's).
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    paths: Option<GlobSet>,
    path_regexes: Vec<Regex>,
    regexes: Vec<Regex>,
    stopwords: Vec<String>,
    /// Commit ids (lower case, full or abbreviated): findings a history
    /// scan attributes to one of them are allowed (gitleaks' `commits`).
    commits: Vec<String>,
}

/// An allowlist entry that does not compile.
#[derive(Debug, thiserror::Error)]
pub enum AllowlistError {
    /// A path glob.
    #[error("invalid path glob {entry:?}: {reason}")]
    Glob {
        /// The entry as written.
        entry: String,
        /// Why.
        reason: String,
    },
    /// A regex (on secrets or on paths). The pattern is not part of the
    /// error: it may hold a literal key.
    #[error("invalid regex: {reason}")]
    Regex {
        /// Why, and where in the pattern.
        reason: String,
    },
}

impl Allowlist {
    /// Compile an allowlist. Errors name the offending entry.
    pub fn new(
        paths: &[String],
        regexes: &[String],
        stopwords: &[String],
    ) -> Result<Self, AllowlistError> {
        let paths = if paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for p in paths {
                let pat = p.trim_start_matches("./");
                let glob_error = |e: globset::Error| AllowlistError::Glob {
                    entry: p.clone(),
                    reason: e.to_string(),
                };
                b.add(Glob::new(pat).map_err(glob_error)?);
                // `dir/` or `dir` also means everything below it.
                let dir = pat.trim_end_matches('/');
                if !dir.contains('*') {
                    b.add(Glob::new(&format!("{dir}/**")).map_err(glob_error)?);
                }
            }
            Some(b.build().map_err(|e| AllowlistError::Glob {
                entry: paths.join(", "),
                reason: e.to_string(),
            })?)
        };
        let regexes = compile_regexes(regexes)?;
        Ok(Allowlist {
            paths,
            path_regexes: Vec::new(),
            regexes,
            stopwords: stopwords.iter().map(|s| s.to_lowercase()).collect(),
            commits: Vec::new(),
        })
    }

    /// Also allow the findings of these commits (gitleaks-style
    /// allowlists): full or abbreviated ids.
    pub fn with_commits(mut self, commits: &[String]) -> Self {
        self.commits = commits
            .iter()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        self
    }

    /// Whether the allowlist excludes the findings of `commit`.
    pub fn allows_commit(&self, commit: &str) -> bool {
        self.commits.iter().any(|c| commit.starts_with(c.as_str()))
    }

    /// Also exclude paths matching these regexes (gitleaks-style allowlists).
    pub fn with_path_regexes(mut self, regexes: &[String]) -> Result<Self, AllowlistError> {
        self.path_regexes = compile_regexes(regexes)?;
        Ok(self)
    }

    /// Whether the allowlist excludes this path.
    pub fn allows_path(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|g| g.is_match(path))
            || self.path_regexes.iter().any(|r| r.is_match(path))
    }

    /// Whether the allowlist excludes this secret.
    pub fn allows_secret(&self, secret: &str) -> bool {
        self.regexes.iter().any(|r| r.is_match(secret)) || {
            !self.stopwords.is_empty() && {
                let lower = secret.to_lowercase();
                self.stopwords.iter().any(|w| lower.contains(w.as_str()))
            }
        }
    }

    /// Whether the allowlist holds nothing.
    pub fn is_empty(&self) -> bool {
        self.paths.is_none()
            && self.path_regexes.is_empty()
            && self.regexes.is_empty()
            && self.stopwords.is_empty()
            && self.commits.is_empty()
    }
}

fn compile_regexes(regexes: &[String]) -> Result<Vec<Regex>, AllowlistError> {
    regexes
        .iter()
        .map(|r| {
            regex::RegexBuilder::new(r)
                .size_limit(crate::rules::REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| AllowlistError::Regex {
                    reason: crate::rules::regex_error(r, &e, true, true),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_regexes_stopwords() {
        let a = Allowlist::new(
            &["fixtures".into(), "**/*.snap".into()],
            &["^AKIA.*TEST$".into()],
            &["Dummy".into()],
        )
        .unwrap();
        assert!(a.allows_path("fixtures/a/b.txt"));
        assert!(a.allows_path("tests/x.snap"));
        assert!(!a.allows_path("src/main.rs"));
        assert!(a.allows_secret("AKIA1234TEST"));
        assert!(a.allows_secret("xxdummyxx"));
        assert!(!a.allows_secret("real"));
    }

    #[test]
    fn paths_are_relative_to_the_prefix_and_commits_match_by_prefix() {
        let lists = Allowlists {
            global: Allowlist::new(&["fixtures".into()], &[], &[])
                .unwrap()
                .with_commits(&["ABC123".into()]),
            by_rule: BTreeMap::new(),
            own_file: Some("sub/.keyscan.toml".into()),
            prefix: "sub/".into(),
        };
        assert!(lists.skips_path("sub/fixtures/a.txt"));
        assert!(lists.skips_path("sub/.keyscan.toml"));
        assert!(!lists.skips_path("fixtures/a.txt"));
        assert!(!lists.skips_path("other/sub/fixtures/a.txt"));
        assert!(lists.allows_commit("any-rule", "abc1234567"));
        assert!(!lists.allows_commit("any-rule", "abd1234567"));
    }

    #[test]
    fn bad_entries_are_errors() {
        assert!(Allowlist::new(&["a[".into()], &[], &[]).is_err());
        assert!(Allowlist::new(&[], &["(".into()], &[]).is_err());
    }
}
