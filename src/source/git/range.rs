//! The commits a `--range A..B` scans, and what happens when its base `A`
//! cannot be used.
//!
//! A CI job builds the range from its event: on a push, GitHub gives the
//! previous tip as `before`, which is empty or all zeros (`0000000…`) for a
//! new branch, and a commit the clone does not hold after a force push. A
//! range that quietly scanned nothing there would pass every push, so:
//!
//! - an empty or all-zero base, or a base that looks like a commit id and is
//!   not in the repository, *falls back* to the pushed commits: those
//!   reachable from `B` and from no remote-tracking branch that does not
//!   already hold `B` (in a fresh CI clone that is every commit of `B`, so
//!   the whole tree); the scan says so in a warning;
//! - in a shallow clone, a base that is missing, or a range whose walk
//!   meets the clone's boundary before its base, is an error that says how
//!   to fetch the history (exit 2): scanning on would blame every file
//!   under the boundary on the boundary commit, or miss the range;
//! - any other base that does not resolve (a mistyped branch name) is an
//!   error, as before: a typo must not change what is scanned.

use gix::hashtable::HashSet;
use gix::ObjectId;

use super::{graph, resolve, Error};
use crate::source::Events;

/// Why a base is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// Empty (`..HEAD`, or `$BEFORE..HEAD` with `$BEFORE` unset).
    Empty,
    /// All zeros: the base of a push that created the branch.
    Zero,
    /// A commit id the repository does not hold (a force push, or history
    /// not fetched).
    Unknown,
}

impl Unusable {
    fn describe(&self, spec: &str) -> String {
        match self {
            Unusable::Empty => "--range: the base is empty".to_string(),
            Unusable::Zero => {
                format!("--range: the base {spec} is all zeros (a push that created the branch)")
            }
            Unusable::Unknown => {
                format!("--range: the base {spec} is not in this repository (a force push?)")
            }
        }
    }
}

/// Whether `spec` is a full or abbreviated commit id: 7 to 64 hex digits.
fn looks_like_id(spec: &str) -> bool {
    (7..=64).contains(&spec.len()) && spec.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What to do with base `spec`: its commit, or why it is unusable (the
/// caller falls back); errors are for bases that must stop the scan.
pub(crate) fn base(
    repo: &gix::Repository,
    spec: &str,
    shallow: &HashSet<ObjectId>,
) -> Result<Result<ObjectId, Unusable>, Error> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Ok(Err(Unusable::Empty));
    }
    if spec.bytes().all(|b| b == b'0') && spec.len() >= 7 {
        return Ok(Err(Unusable::Zero));
    }
    match resolve(repo, spec) {
        Ok(id) => Ok(Ok(id)),
        Err(_) if !shallow.is_empty() => Err(Error::Revision {
            spec: spec.to_string(),
            reason: format!("not in this shallow clone; {}", DEEPEN),
        }),
        Err(_) if looks_like_id(spec) => Ok(Err(Unusable::Unknown)),
        Err(e) => Err(e),
    }
}

/// How to get the history a range needs, for errors about shallow clones.
pub const DEEPEN: &str = "fetch the history the range needs: `fetch-depth: 0` in actions/checkout \
     (GIT_DEPTH: 0 in GitLab CI), or `git fetch --deepen N` / `git fetch origin BASE` before the scan";

/// In a shallow clone, an error if the commits reachable from `tips` and
/// not from `stop` reach the clone's boundary: the range's base is not an
/// ancestor within the fetched history, so the boundary commit would be
/// taken to introduce its whole tree.
pub(crate) fn check_depth(
    repo: &gix::Repository,
    spec: &str,
    tips: &[ObjectId],
    stop: &HashSet<ObjectId>,
    shallow: &HashSet<ObjectId>,
) -> Result<(), Error> {
    if shallow.is_empty() {
        return Ok(());
    }
    let reached = graph::reachable_commits(repo, tips, shallow);
    if reached
        .iter()
        .any(|c| shallow.contains(c) && !stop.contains(c))
    {
        return Err(Error::Revision {
            spec: spec.to_string(),
            reason: format!("this shallow clone ends before the range's base is reached; {DEEPEN}"),
        });
    }
    Ok(())
}

/// The commits to leave out when the base is unusable: everything that a
/// remote-tracking branch reaches, unless that branch already holds `tip`
/// (CI fetches the pushed branch itself). Warns what is scanned instead.
pub(crate) fn pushed(
    repo: &gix::Repository,
    spec: &str,
    why: Unusable,
    tip: ObjectId,
    shallow: &HashSet<ObjectId>,
    events: &dyn Events,
) -> HashSet<ObjectId> {
    let mut stop: HashSet<ObjectId> = Default::default();
    let mut names: Vec<String> = Vec::new();
    if let Ok(platform) = repo.references() {
        if let Ok(remotes) = platform.remote_branches() {
            for mut r in remotes.flatten() {
                let name = r.name().shorten().to_string();
                if name.ends_with("/HEAD") {
                    continue;
                }
                let Ok(id) = r.peel_to_id() else { continue };
                let reach = graph::reachable_commits(repo, &[id.detach()], shallow);
                if reach.contains(&tip) {
                    continue;
                }
                names.push(name);
                stop.extend(reach);
            }
        }
    }
    let instead = if names.is_empty() {
        "scanning every commit reachable from the range's tip instead (no remote-tracking \
         branch to compare with: in a fresh clone, the whole tree)"
            .to_string()
    } else {
        names.sort();
        format!(
            "scanning the commits that no remote-tracking branch holds instead (compared with {})",
            names.join(", ")
        )
    };
    events.warning(format!("{}: {instead}", why.describe(spec)));
    stop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_of_commit_length() {
        assert!(looks_like_id("deadbeef"));
        assert!(looks_like_id(&"a".repeat(40)));
        assert!(!looks_like_id("main"));
        assert!(!looks_like_id("abc"));
        assert!(!looks_like_id("origin/deadbeef"));
    }
}
