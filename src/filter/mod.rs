//! Filters: what turns raw findings into the findings a user sees.
//!
//! Each filter is a plain predicate or pass over findings: path and secret
//! allowlists ([`allowlist`]), inline `keyscan:allow` comments ([`inline`]),
//! and de-duplication across blobs ([`dedup`]).

pub mod allowlist;
pub mod baseline;
pub mod inline;

use crate::finding::Finding;

/// Drop findings that repeat the same secret of the same rule at the same
/// place (e.g. a file reached through two overlapping roots). Expects the
/// findings sorted by [`Finding::sort_key`].
pub fn dedup(findings: &mut Vec<Finding>) {
    findings.dedup_by(|b, a| {
        a.fingerprint == b.fingerprint
            && a.line == b.line
            && a.column == b.column
            && a.commit.as_ref().map(|c| &c.commit) == b.commit.as_ref().map(|c| &c.commit)
    });
}
