//! Fingerprint ignore files: keyscan's `.keyscanignore` and gitleaks'
//! `.gitleaksignore`, and the places of a gitleaks JSON report used as a
//! baseline.
//!
//! An ignore file holds one entry a line; blank lines and lines starting
//! with `#` are skipped. An entry is either
//! - a keyscan fingerprint (32 hex digits, as reports print them): the
//!   finding with that fingerprint, wherever it moves in the file; or
//! - a gitleaks fingerprint, `FILE:RULE:LINE` (a directory scan) or
//!   `COMMIT:FILE:RULE:LINE` (a git scan): the finding at that line of that
//!   file (in that commit), as gitleaks matches them. `FILE:RULE:LINE`
//!   matches in any commit too, as in gitleaks. The commit may be
//!   abbreviated: gitleaks 8.26 and later write 7 digits.
//!
//! gitleaks and keyscan name and split rules differently (gitleaks'
//! `generic-api-key` may be keyscan's `openai-project-key`, and one
//! gitleaks rule may be two of keyscan's), so a rule id that keyscan does
//! not have is not compared: the entry matches whatever keyscan finds at
//! that file and line. A rule id keyscan has is compared, so an entry
//! written for one of keyscan's rules (or a rule both tools name alike)
//! leaves another secret on the same line reported. File and line (and the
//! commit) already pin one place; a table from gitleaks ids to keyscan's
//! would miss every finding the two tools classify differently.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use super::baseline::Fingerprints;
use crate::finding::Finding;

/// keyscan's own ignore file, looked for at the repository root and at the
/// scanned directory.
pub const KEYSCAN_IGNORE: &str = ".keyscanignore";

/// gitleaks' ignore file, honoured too.
pub const GITLEAKS_IGNORE: &str = ".gitleaksignore";

/// The largest ignore file read (64 MiB).
pub const MAX_IGNORE_SIZE: u64 = 64 << 20;

/// One gitleaks-style place: a file and line, in a commit or any.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Place {
    file: String,
    line: usize,
}

/// What one place entry asks for beyond its file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    /// A commit id (full or abbreviated); None: any commit, or none.
    commit: Option<String>,
    /// A keyscan rule id; None: any rule (the entry's rule is not one of
    /// keyscan's).
    rule: Option<String>,
}

/// The entries of ignore files (or of a gitleaks report).
#[derive(Debug, Clone, Default)]
pub struct Ignores {
    fingerprints: Vec<String>,
    compact: Fingerprints,
    places: HashMap<Place, Vec<Condition>>,
}

/// A line of an ignore file that is not an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// The text (an entry holds no secret, so it may be shown).
    pub text: String,
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A path as reports spell it: `/` separators, no leading `./`.
fn normal_path(p: &str) -> String {
    let p = p.replace('\\', "/");
    p.trim_start_matches("./").to_string()
}

impl Ignores {
    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty() && self.compact.is_empty() && self.places.is_empty()
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.fingerprints.len() + self.places.values().map(Vec::len).sum::<usize>()
    }

    fn finish(&mut self) {
        self.compact = self.fingerprints.iter().map(String::as_str).collect();
    }

    /// Add a gitleaks place: `rule` is kept only when `is_rule` says keyscan
    /// has a rule of that id.
    fn add_place(
        &mut self,
        commit: Option<&str>,
        file: &str,
        rule: &str,
        line: usize,
        is_rule: &dyn Fn(&str) -> bool,
    ) {
        let place = Place {
            file: normal_path(file),
            line,
        };
        let condition = Condition {
            commit: commit.filter(|c| !c.is_empty()).map(str::to_lowercase),
            rule: Some(rule.to_string()).filter(|r| is_rule(r)),
        };
        self.places.entry(place).or_default().push(condition);
    }

    /// Parse one entry; false if it is not one.
    fn add_entry(&mut self, entry: &str, is_rule: &dyn Fn(&str) -> bool) -> bool {
        if entry.len() == 32 && is_hex(entry) {
            self.fingerprints.push(entry.to_ascii_lowercase());
            return true;
        }
        // FILE:RULE:LINE or COMMIT:FILE:RULE:LINE; the file may hold ':'.
        let mut parts = entry.rsplitn(3, ':');
        let (Some(line), Some(rule), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(line) = line.trim().parse::<usize>() else {
            return false;
        };
        if rule.is_empty() || rest.is_empty() {
            return false;
        }
        let (commit, file) = match rest.split_once(':') {
            // gitleaks up to 8.25 writes the full id, later ones 7 digits.
            Some((c, f)) if (7..=64).contains(&c.len()) && is_hex(c) && !f.is_empty() => {
                (Some(c), f)
            }
            _ => (None, rest),
        };
        self.add_place(commit, file, rule, line, is_rule);
        true
    }

    /// Parse ignore-file text; returns the lines that are not entries.
    pub fn parse(text: &str, is_rule: &dyn Fn(&str) -> bool) -> (Ignores, Vec<BadLine>) {
        let mut out = Ignores::default();
        let mut bad = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let entry = raw.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            if !out.add_entry(entry, is_rule) {
                bad.push(BadLine {
                    line: i + 1,
                    text: crate::text::one_line(entry),
                });
            }
        }
        out.finish();
        (out, bad)
    }

    /// Read an ignore file (a regular file within [`MAX_IGNORE_SIZE`]).
    pub fn load(
        path: &Path,
        is_rule: &dyn Fn(&str) -> bool,
    ) -> Result<(Ignores, Vec<BadLine>), crate::files::ReadError> {
        let text = crate::files::read_regular_to_string(path, MAX_IGNORE_SIZE, "an ignore file")?;
        Ok(Ignores::parse(&text, is_rule))
    }

    /// Add every entry of `other`.
    pub fn extend(&mut self, other: Ignores) {
        self.fingerprints.extend(other.fingerprints);
        for (k, v) in other.places {
            self.places.entry(k).or_default().extend(v);
        }
        self.finish();
    }

    /// Whether an entry covers `f`.
    pub fn covers(&self, f: &Finding) -> bool {
        if self.compact.contains(&f.fingerprint) {
            return true;
        }
        if self.places.is_empty() {
            return false;
        }
        let place = Place {
            file: normal_path(&f.path),
            line: f.line,
        };
        let Some(conditions) = self.places.get(&place) else {
            return false;
        };
        let commit = f.commit.as_ref().map(|c| c.commit.as_str());
        conditions.iter().any(|c| {
            c.rule.as_ref().is_none_or(|r| *r == f.rule_id)
                && c.commit
                    .as_ref()
                    .is_none_or(|want| commit.is_some_and(|have| have.starts_with(want.as_str())))
        })
    }
}

/// A finding of a gitleaks JSON report, as a baseline reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GitleaksFinding {
    #[serde(rename = "RuleID")]
    rule_id: String,
    file: String,
    start_line: usize,
    #[serde(default)]
    commit: String,
}

/// Whether `text` (its start) is a gitleaks JSON report: a JSON array
/// rather than keyscan's object forms.
pub fn looks_like_gitleaks_report(head: &[u8]) -> bool {
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'[')
}

/// Read a gitleaks JSON report (`gitleaks ... --report-format json`) as a
/// baseline: each finding is accepted at its file, line and commit, the
/// rule compared as for `.gitleaksignore`. `name` is used in errors.
pub fn read_gitleaks_report(
    name: &str,
    reader: impl std::io::Read,
    is_rule: &dyn Fn(&str) -> bool,
) -> Result<Ignores, String> {
    let findings: Vec<GitleaksFinding> = serde_json::from_reader(std::io::BufReader::new(reader))
        .map_err(|e| {
        format!(
            "{name}: not a gitleaks JSON report (an array of findings with RuleID, File, \
                 StartLine): {e}"
        )
    })?;
    let mut out = Ignores::default();
    let mut seen: HashSet<(String, String, String, usize)> = HashSet::new();
    for f in findings {
        if seen.insert((
            f.commit.clone(),
            f.file.clone(),
            f.rule_id.clone(),
            f.start_line,
        )) {
            out.add_place(
                Some(f.commit.as_str()),
                &f.file,
                &f.rule_id,
                f.start_line,
                is_rule,
            );
        }
    }
    out.finish();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyscan_rule(id: &str) -> bool {
        id == "github-classic-token"
    }

    #[test]
    fn entries_of_both_forms_and_bad_lines() {
        let text = "# accepted\n\n0123456789ABCDEF0123456789abcdef\n\
                    src/a.py:generic-api-key:3\n\
                    0123456789012345678901234567890123456789:b/c:d.env:github-classic-token:7\n\
                    not an entry\nx:y:z\n";
        let (ig, bad) = Ignores::parse(text, &keyscan_rule);
        assert_eq!(ig.fingerprints, vec!["0123456789abcdef0123456789abcdef"]);
        assert_eq!(ig.len(), 3);
        assert_eq!(
            bad.iter().map(|b| b.line).collect::<Vec<_>>(),
            vec![6, 7],
            "{bad:?}"
        );
        let c = &ig.places[&Place {
            file: "b/c:d.env".into(),
            line: 7,
        }];
        assert_eq!(
            c,
            &vec![Condition {
                commit: Some("0123456789012345678901234567890123456789".into()),
                rule: Some("github-classic-token".into()),
            }]
        );
        // Not a keyscan rule id: any rule at that place.
        let c = &ig.places[&Place {
            file: "src/a.py".into(),
            line: 3,
        }];
        assert_eq!(c[0].rule, None);
    }

    #[test]
    fn report_shape() {
        assert!(looks_like_gitleaks_report(b"  \n[{\"RuleID\": 1}]"));
        assert!(!looks_like_gitleaks_report(b"{\"version\": 1}"));
        let r = r#"[{"RuleID":"github-pat","File":"./k.env","StartLine":2,"Commit":"","Fingerprint":"k.env:github-pat:2"}]"#;
        let ig = read_gitleaks_report("r.json", r.as_bytes(), &keyscan_rule).unwrap();
        assert_eq!(ig.len(), 1);
        assert!(read_gitleaks_report("r.json", b"[{\"x\":1}]".as_slice(), &keyscan_rule).is_err());
    }
}
