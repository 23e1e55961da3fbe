//! The files of a bare repository's HEAD tree through the driver: a mirror
//! of a remote repository has no working tree, so its HEAD tree is read
//! from the object database ([`crate::source::repos::head_tree`]), one
//! blob at a time, and each file is scanned and placed at its path as a
//! file of a working tree would be.

use std::path::Path;
use std::sync::atomic::Ordering;

use super::Engine;
use crate::finding::{Finding, Place};
use crate::source::repos::{self, Error};
use crate::source::{Blob, Events, Origin, Stats};

impl Engine {
    /// Findings of the files of HEAD's tree in the repository at `git_dir`
    /// (unfiltered); one blob in memory at a time.
    pub fn collect_head_tree(
        &self,
        git_dir: &Path,
        stats: &Stats,
        events: &dyn Events,
    ) -> Result<Vec<Finding>, Error> {
        let mut worker = self.worker();
        worker.attach(stats, events);
        let mut findings = Vec::new();
        let admission = self.admission();
        repos::head_tree(
            git_dir,
            &admission,
            stats,
            events,
            &|p| self.filter.skips_path(p),
            &mut |path, bytes, binary| {
                stats.scanned(bytes.len(), binary);
                let n = worker.scan(Blob::whole(bytes, Origin::File(path)));
                stats.findings.fetch_add(n as u64, Ordering::Relaxed);
                findings.extend(
                    worker
                        .detections
                        .drain(..)
                        .map(|d| Finding::new(d, Place::File, path, None)),
                );
                // Path rules (a live env file): the tree is what git tracks.
                findings.extend(self.path_findings(path));
            },
        )?;
        Ok(findings)
    }
}
