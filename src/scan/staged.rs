//! Staged changes through the driver: each staged file that differs from
//! HEAD's is scanned whole, and a detection is kept when it is new
//! ([`Engine::staged_detections`]).

use std::collections::HashSet;
use std::path::Path;

use super::{Engine, Worker};
use crate::finding::{Detection, Finding, Place};
use crate::source::staged::{added_lines, staged, Staged};
use crate::source::{git, Blob, Events, Origin, Stats};

impl Engine {
    /// Findings of the changes staged in the repository at `path`
    /// (unfiltered).
    pub fn collect_staged(
        &self,
        path: &Path,
        stats: &Stats,
        events: &dyn Events,
    ) -> Result<Vec<Finding>, git::Error> {
        let mut worker = self.worker();
        worker.attach(stats, events);
        let mut kept = Vec::new();
        staged(
            path,
            &self.admission(),
            &|p| self.filter.skips_path(p),
            stats,
            events,
            &mut |s: Staged<'_>| {
                // A file a path rule matches (a live env file) about to be
                // committed is a leak of its own, whatever it holds (as a
                // tracked one is in a directory scan).
                kept.extend(self.path_findings(s.path));
                let Some((new, old)) = s.blob else {
                    return;
                };
                for d in staged_in(&mut worker, s.path, new, old) {
                    kept.push(Finding::new(d, Place::File, s.path, None));
                }
            },
        )?;
        Ok(kept)
    }

    /// The detections a commit of `new` at `path` would add over HEAD's
    /// version `old` (empty for a new file): those whose secret HEAD's
    /// version does not hold, however it is stored (in an archive entry,
    /// UTF-16, a notebook, encoded), and, in plain text, also those on an
    /// added or changed line (a key copied to a new place is a new leak).
    pub fn staged_detections(&self, path: &str, new: &[u8], old: &[u8]) -> Vec<Detection> {
        staged_in(&mut self.worker(), path, new, old)
    }
}

fn staged_in(worker: &mut Worker<'_>, path: &str, new: &[u8], old: &[u8]) -> Vec<Detection> {
    if worker.scan(Blob::whole(new, Origin::File(path))) == 0 {
        return Vec::new();
    }
    let found: Vec<Detection> = worker.detections.drain(..).collect();
    // What HEAD's version holds, expanded the same way.
    let mut held: HashSet<(String, String)> = HashSet::new();
    if !old.is_empty() {
        // Counted and warned about when it was committed, not again now.
        let attached = (worker.stats.take(), worker.events.take());
        worker.scan(Blob::whole(old, Origin::File(path)));
        (worker.stats, worker.events) = attached;
        held.extend(worker.detections.drain(..).map(|d| (d.rule_id, d.secret)));
    }
    // Lines are comparable only when the bytes are the text itself.
    let added = worker.is_plain_at(path, new).then(|| added_lines(old, new));
    found
        .into_iter()
        .filter(|d| {
            !held.contains(&(d.rule_id.clone(), d.secret.clone()))
                || added.as_ref().is_some_and(|added| {
                    (d.line..=d.end_line).any(|l| added.get(l - 1).copied().unwrap_or(true))
                })
        })
        .collect()
}
