//! Git history through the driver: the source ([`crate::source::git`])
//! hands over blobs and commit messages, the driver's sinks scan them, and
//! once the source has attributed the blobs with findings, each detection
//! is placed at each path its blob has, with the commit that introduced it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use super::{Engine, Worker};
use crate::finding::{self, CommitInfo, Detection, Finding, Place};
use crate::source::git::{self, BlobSink, CommitMeta, History, Placement, Selection};
use crate::source::{Blob, ChunkPos, Events, Origin, Stats};

/// A worker thread's sink: its detections, tagged with their blob, go to
/// the shared list when the thread ends.
struct Sink<'e, 's> {
    worker: Worker<'e>,
    found: Vec<(u32, Detection)>,
    shared: &'s Mutex<Vec<(u32, Detection)>>,
}

impl BlobSink for Sink<'_, '_> {
    fn scan(&mut self, blob: u32, bytes: &[u8]) -> usize {
        let n = self.worker.scan(Blob::whole(bytes, Origin::GitBlob));
        self.found
            .extend(self.worker.detections.drain(..).map(|d| (blob, d)));
        n
    }

    fn probe(&mut self, bytes: &[u8], regions: &[(usize, usize)]) -> Option<bool> {
        if !self.worker.is_plain(bytes) {
            return None;
        }
        let mut found = false;
        for &(lo, hi) in regions {
            // Line numbers do not matter: a region with a finding sends the
            // blob to a whole scan, and its detections are dropped.
            let chunk = ChunkPos {
                offset: lo as u64,
                line: 1,
                column: 0,
                report_from: 0,
                report_to: usize::MAX,
            };
            found |= self.worker.scan(Blob {
                bytes: &bytes[lo..hi],
                origin: Origin::GitBlob,
                chunk: Some(chunk),
            }) > 0;
            self.worker.detections.clear();
            if found {
                break;
            }
        }
        Some(found)
    }
}

impl Drop for Sink<'_, '_> {
    fn drop(&mut self) {
        let mut g = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        g.append(&mut self.found);
    }
}

impl Engine {
    /// Findings of the history of the repository at `path` (unfiltered).
    pub fn collect_history(
        &self,
        path: &Path,
        selection: &Selection,
        stats: &Stats,
        events: &dyn Events,
        progress: &git::Progress,
    ) -> Result<Vec<Finding>, git::Error> {
        let shared: Mutex<Vec<(u32, Detection)>> = Mutex::new(Vec::new());
        let mut messages: Vec<(u32, Detection)> = Vec::new();
        let mut message_worker = self.worker();
        let opts = git::HistoryOptions {
            threads: self.options.walk.threads,
            admission: self.admission(),
            unreachable: self.options.unreachable,
        };
        let sinks = || sink(self, stats, events, &shared);
        let history = git::history(
            path,
            selection,
            &opts,
            stats,
            events,
            progress,
            &|p| self.filter.skips_path(p),
            &mut |c, message| {
                let n = message_worker.scan(Blob::whole(message, Origin::CommitMessage));
                messages.extend(message_worker.detections.drain(..).map(|d| (c, d)));
                n
            },
            &sinks,
        )?;
        let found = shared.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut findings = place(found, &history);
        for (c, d) in messages {
            let meta = history.commits.get(&c).cloned().unwrap_or_default();
            let info = commit_info(meta, false, 1);
            findings.push(Finding::new(
                d,
                Place::CommitMessage,
                finding::COMMIT_MESSAGE,
                Some(info),
            ));
        }
        // Annotated tags' messages, like commit messages.
        for tag in &history.tags {
            let n = message_worker.scan(Blob::whole(&tag.message, Origin::TagMessage));
            if n == 0 {
                continue;
            }
            for d in message_worker.detections.drain(..) {
                let info = CommitInfo {
                    commit: tag.target.clone(),
                    author: tag.tagger.clone(),
                    email: tag.email.clone(),
                    date: tag.date.clone(),
                    summary: tag.summary.clone(),
                    in_head: false,
                    commits: 1,
                    tag: Some(tag.name.clone()),
                };
                findings.push(Finding::new(
                    d,
                    Place::TagMessage,
                    finding::TAG_MESSAGE,
                    Some(info),
                ));
            }
        }
        Ok(findings)
    }
}

/// A sink for one worker thread.
fn sink<'s>(
    engine: &'s Engine,
    stats: &'s Stats,
    events: &'s dyn Events,
    shared: &'s Mutex<Vec<(u32, Detection)>>,
) -> Box<dyn BlobSink + 's> {
    let mut worker = engine.worker();
    worker.attach(stats, events);
    Box::new(Sink {
        worker,
        found: Vec::new(),
        shared,
    })
}

fn commit_info(meta: CommitMeta, in_head: bool, commits: usize) -> CommitInfo {
    CommitInfo {
        commit: meta.id,
        author: meta.author,
        email: meta.email,
        date: meta.date,
        summary: meta.summary,
        in_head,
        commits,
        tag: None,
    }
}

/// Place each blob's detections at each of the blob's placements, and
/// group repeats of one secret at one path (the same fingerprint in several
/// versions of a file) into one finding, kept at its earliest commit.
/// Detections a `keyscan:allow` marker covers are grouped apart, so that a
/// version without the marker is reported at its own commit. Unsorted: the
/// filter stage sorts all of a scan's findings once.
fn place(found: Vec<(u32, Detection)>, history: &History) -> Vec<Finding> {
    let mut by_blob: HashMap<u32, Vec<Detection>> = HashMap::new();
    for (b, d) in found {
        by_blob.entry(b).or_default().push(d);
    }
    for v in by_blob.values_mut() {
        v.sort_by_key(|d| d.offset);
    }
    /// The earliest placement of one secret at one path, and its counts.
    struct Group<'h> {
        order: usize,
        detection: &'h Detection,
        place: Place,
        root: String,
        path: String,
        commit: Option<u32>,
        commits: usize,
        in_head: bool,
    }
    let mut groups: HashMap<(String, bool, usize), Group<'_>> = HashMap::new();
    for p in &history.placements {
        let Some(ds) = by_blob.get(&p.blob) else {
            continue;
        };
        let (place, root) = root_of(p);
        let mut occurrence: HashMap<(&str, bool), usize> = HashMap::new();
        for d in ds {
            // The finding itself is built once per group, below: here only
            // its path and fingerprint are needed.
            let (path, fp) = d.path_and_fingerprint(&root);
            let k = occurrence
                .entry((d.secret.as_str(), d.inline_allow))
                .or_default();
            let key = (fp, d.inline_allow, *k);
            *k += 1;
            match groups.get_mut(&key) {
                Some(g) => {
                    g.commits += p.commits;
                    g.in_head |= p.in_head;
                    if p.order < g.order {
                        g.order = p.order;
                        g.commit = p.commit;
                        g.detection = d;
                        g.place = place;
                        g.root.clone_from(&root);
                        g.path = path;
                    }
                }
                None => {
                    groups.insert(
                        key,
                        Group {
                            order: p.order,
                            detection: d,
                            place,
                            root: root.clone(),
                            path,
                            commit: p.commit,
                            commits: p.commits,
                            in_head: p.in_head,
                        },
                    );
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|((fingerprint, _, _), g)| {
            let commit = g.commit.map(|c| {
                let meta = history.commits.get(&c).cloned().unwrap_or_default();
                commit_info(meta, g.in_head, g.commits)
            });
            Finding::placed(
                g.detection.clone(),
                g.place,
                &g.root,
                g.path,
                fingerprint,
                commit,
            )
        })
        .collect()
}

/// The place and root path of a placement.
fn root_of(p: &Placement) -> (Place, String) {
    if p.unreachable {
        (Place::UnreachableBlob, finding::unreachable_path(&p.path))
    } else {
        (Place::File, p.path.clone())
    }
}
