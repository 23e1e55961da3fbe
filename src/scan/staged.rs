//! Staged changes through the driver: each staged file that differs from
//! HEAD's is scanned whole, and a detection is kept only if one of its lines
//! was added or changed.

use std::path::Path;

use super::Engine;
use crate::finding::{Finding, Place};
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
                if worker.scan(Blob::whole(new, Origin::File(s.path))) == 0 {
                    return;
                }
                let added = added_lines(old, new);
                for d in worker.detections.drain(..) {
                    if (d.line..=d.end_line).any(|l| added.get(l - 1).copied().unwrap_or(true)) {
                        kept.push(Finding::new(d, Place::File, s.path, None));
                    }
                }
            },
        )?;
        Ok(kept)
    }
}
