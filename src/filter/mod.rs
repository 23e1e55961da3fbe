//! The filter stage: what turns every finding of a scan into the findings a
//! user sees. It is the one place where findings are suppressed, always in
//! this order:
//!
//! 1. path allowlists (global, then the rule's): [`allowlist`];
//! 2. inline `keyscan:allow` comments ([`inline`] says which lines carry
//!    one; the driver records it on each finding, the stage honours it
//!    unless `--no-inline-allow`);
//! 3. secret allowlists and stopwords (global, then the rule's), and
//!    commit allowlists (history scans);
//! 4. fingerprint ignore files, `.keyscanignore` and `.gitleaksignore`
//!    ([`ignorefile`]);
//! 5. the baseline ([`baseline`]; a gitleaks JSON report is read as the
//!    places it lists, as an ignore file's entries);
//! 6. de-duplication of repeats.
//!
//! Before anything is removed, every finding's secret (the suppressed ones
//! included) is masked wherever another finding could print it: commit
//! messages, paths, archive entry names, decoded values' labels.
//!
//! Sources may ask [`Filter::skips_path`] before reading a file, so that an
//! allowlisted directory is never read; that decision is the same path
//! allowlist's.

pub mod allowlist;
pub mod baseline;
pub mod ignorefile;
pub mod inline;

use crate::finding::{self, Finding};
use crate::rules::Confidence;
use allowlist::Allowlists;

/// The filter stage of a scan.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    allowlists: Allowlists,
    inline: bool,
    mask: bool,
    baseline: baseline::Fingerprints,
    baseline_places: ignorefile::Ignores,
    ignores: ignorefile::Ignores,
    min_confidence: Confidence,
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// Its path is allowlisted (globally or for its rule).
    Path,
    /// An inline allow comment covers it.
    Inline,
    /// Its secret is allowlisted (a regex or a stopword).
    Secret,
    /// Its commit is allowlisted (history scans).
    Commit,
    /// An ignore file (`.keyscanignore`, `.gitleaksignore`) lists it.
    IgnoreFile,
    /// The baseline holds it.
    Baseline,
    /// Its confidence is below the lowest asked for.
    Confidence,
}

impl Filter {
    /// A filter over `allowlists`, honouring inline allow comments when
    /// `inline`, masking secrets in metadata when `mask`.
    pub fn new(allowlists: Allowlists, inline: bool, mask: bool) -> Filter {
        Filter {
            allowlists,
            inline,
            mask,
            baseline: baseline::Fingerprints::default(),
            baseline_places: ignorefile::Ignores::default(),
            ignores: ignorefile::Ignores::default(),
            min_confidence: Confidence::Low,
        }
    }

    /// Also suppress the findings of a confidence below `min`.
    pub fn with_min_confidence(mut self, min: Confidence) -> Filter {
        self.min_confidence = min;
        self
    }

    /// Also suppress the findings whose fingerprints a baseline holds.
    pub fn with_baseline(mut self, fingerprints: baseline::Fingerprints) -> Filter {
        self.baseline = fingerprints;
        self
    }

    /// Also suppress the findings at the places a gitleaks report used as
    /// a baseline lists.
    pub fn with_baseline_places(mut self, places: ignorefile::Ignores) -> Filter {
        self.baseline_places = places;
        self
    }

    /// Also suppress the findings that ignore files list.
    pub fn with_ignores(mut self, ignores: ignorefile::Ignores) -> Filter {
        self.ignores = ignores;
        self
    }

    /// Whether the global path allowlist excludes `path` (a source may skip
    /// the file without reading it).
    pub fn skips_path(&self, path: &str) -> bool {
        self.allowlists.skips_path(path)
    }

    /// Why `f` is suppressed, if it is: the first reason in stage order.
    pub fn suppression(&self, f: &Finding) -> Option<Suppression> {
        if f.confidence < self.min_confidence {
            Some(Suppression::Confidence)
        } else if self.allowlists.allows_path(&f.rule_id, &f.path) {
            Some(Suppression::Path)
        } else if self.inline && f.inline_allow {
            Some(Suppression::Inline)
        } else if self.allowlists.allows_secret(&f.rule_id, &f.secret) {
            Some(Suppression::Secret)
        } else if f
            .commit
            .as_ref()
            .is_some_and(|c| self.allowlists.allows_commit(&f.rule_id, &c.commit))
        {
            Some(Suppression::Commit)
        } else if self.ignores.covers(f) {
            Some(Suppression::IgnoreFile)
        } else if self.baseline.contains(&f.fingerprint) || self.baseline_places.covers(f) {
            Some(Suppression::Baseline)
        } else {
            None
        }
    }

    /// Run the stage: the findings to report (sorted, without repeats), how
    /// many were suppressed, and the masks of every secret detected.
    pub fn apply(&self, mut findings: Vec<Finding>) -> Filtered {
        let keep: Vec<bool> = findings
            .iter()
            .map(|f| self.suppression(f).is_none())
            .collect();
        let masks = if self.mask {
            let masks = finding::Masks::of(&findings);
            masks.apply(&mut findings);
            masks
        } else {
            finding::Masks::default()
        };
        let before = findings.len();
        // In place: a second list of every finding would double the
        // stage's memory on a scan with many findings.
        let mut keep = keep.into_iter();
        findings.retain(|_| keep.next().unwrap_or(true));
        let suppressed = (before - findings.len()) as u64;
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        dedup(&mut findings);
        Filtered {
            findings,
            suppressed,
            masks,
        }
    }
}

/// What the filter stage hands on.
#[derive(Debug)]
pub struct Filtered {
    /// The findings to report, sorted, without repeats.
    pub findings: Vec<Finding>,
    /// How many findings a filter removed.
    pub suppressed: u64,
    /// The masks of every secret detected (empty under `--show-secrets`):
    /// for anything else printed (warnings) that may hold one.
    pub masks: finding::Masks,
}

/// Drop findings that repeat the same secret of the same rule at the same
/// place (e.g. a file reached through two overlapping roots). Expects the
/// findings sorted by [`Finding::sort_key`].
pub fn dedup(findings: &mut Vec<Finding>) {
    findings.dedup_by(|b, a| {
        a.fingerprint == b.fingerprint
            && a.line == b.line
            && a.column == b.column
            && a.commit.as_ref().map(|c| (&c.commit, &c.tag))
                == b.commit.as_ref().map(|c| (&c.commit, &c.tag))
    });
}
