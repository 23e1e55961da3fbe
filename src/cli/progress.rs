//! A progress line on stderr (indicatif) for scans that last more than a
//! moment: only on a terminal, never with `--quiet`, never on stdout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::finding::Masks;
use crate::report::human_bytes;
use crate::source::git::{Phase as GitPhase, Progress as GitProgress};
use crate::source::Events;
use crate::source::{Skip, Stats};
use crate::verify::Counters as VerifyCounters;

/// Show the bar only for scans longer than this.
const DELAY: Duration = Duration::from_millis(300);

/// The progress display (hidden when disabled).
pub struct Progress {
    bar: ProgressBar,
    enabled: bool,
}

/// Prints warnings above the bar (and, with `--verbose`, skipped files).
///
/// A warning may name a path or an archive entry that holds a secret found
/// elsewhere, which is known only when the scan ends. Unless secrets are
/// shown, warnings are therefore held (up to [`HELD_MAX`]) and printed by
/// [`Warnings::flush`] with every secret detected masked.
pub struct Warnings {
    bar: ProgressBar,
    quiet: bool,
    verbose: bool,
    /// Lines held until the scan ends, and how many more were not held.
    held: Option<Mutex<(Vec<String>, u64)>>,
}

/// Warning lines held at most; past it they are counted.
pub const HELD_MAX: usize = 10_000;

impl Warnings {
    /// Also print each skipped file and why.
    pub fn verbose(mut self, on: bool) -> Warnings {
        self.verbose = on;
        self
    }

    /// Hold lines until [`Warnings::flush`] (when secrets are masked).
    pub fn held(mut self, on: bool) -> Warnings {
        self.held = on.then(|| Mutex::new((Vec::new(), 0)));
        self
    }

    fn print(&self, line: String) {
        match &self.held {
            None => self.bar.suspend(|| eprintln!("{line}")),
            Some(held) => {
                let mut h = held.lock().unwrap_or_else(|e| e.into_inner());
                if h.0.len() < HELD_MAX {
                    h.0.push(line);
                } else {
                    h.1 += 1;
                }
            }
        }
    }

    /// Print the held lines with `masks` applied.
    pub fn flush(&self, masks: &Masks) {
        let Some(held) = &self.held else {
            return;
        };
        let (lines, more) = std::mem::take(&mut *held.lock().unwrap_or_else(|e| e.into_inner()));
        for line in lines {
            let line = masks.mask(&line).unwrap_or(line);
            eprintln!("{line}");
        }
        if more > 0 {
            eprintln!("keyscan: warning: {more} more warnings not shown");
        }
    }
}

impl Events for Warnings {
    fn warning(&self, message: String) {
        if !self.quiet {
            let message = crate::report::printable(&message);
            self.print(format!("keyscan: warning: {message}"));
        }
    }

    fn skipped(&self, path: &str, why: Skip) {
        if self.verbose && !self.quiet {
            let why = match why {
                Skip::TooLarge => "larger than the size cap (--max-file-size)",
                Skip::Media => "media or font file",
                Skip::Binary => "binary file (--no-binary)",
                Skip::Special => "not a regular file (FIFO, socket or device); not opened",
                Skip::Symlink => "symbolic link; not followed (--follow follows links)",
                Skip::Allowlisted => "excluded by a path allowlist",
            };
            let path = crate::report::printable(path);
            self.print(format!("keyscan: skipped {path}: {why}"));
        }
    }
}

/// Stops the ticker thread when dropped.
pub struct Ticker {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Progress {
    /// A progress display; `enabled` only when stderr is a terminal.
    pub fn new(enabled: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Progress { bar, enabled }
    }

    /// The warning sink that prints above the bar.
    pub fn events(&self, quiet: bool) -> Warnings {
        Warnings {
            bar: self.bar.clone(),
            quiet,
            verbose: false,
            held: None,
        }
    }

    /// Start updating the bar from `stats` (after a short delay).
    pub fn start(&self, stats: Arc<Stats>) -> Option<Ticker> {
        self.start_with(stats, None)
    }

    /// Start updating the bar for a git scan: its phase, then `stats`.
    pub fn start_git(&self, stats: Arc<Stats>, git: Arc<GitProgress>) -> Option<Ticker> {
        self.start_with(stats, Some(git))
    }

    fn start_with(&self, stats: Arc<Stats>, git: Option<Arc<GitProgress>>) -> Option<Ticker> {
        self.tick(move || {
            let s = &stats;
            let phase = git.as_ref().map(|g| (g.phase(), g.message()));
            if let Some((_, msg)) = phase.as_ref().filter(|(p, _)| *p != GitPhase::Blobs) {
                return msg.clone();
            }
            let files = s.files_scanned.load(Ordering::Relaxed);
            let bytes = human_bytes(s.bytes_scanned.load(Ordering::Relaxed));
            match phase {
                // A blob's detections become findings only once they are
                // placed at their paths and commits, after this phase: a
                // count here would not be the summary's.
                Some((_, m)) => format!("{m}: {files} blobs, {bytes} scanned"),
                // Findings the filter stage keeps: the last count shown
                // is the summary's.
                None => format!(
                    "{files} files, {bytes} scanned, {} findings",
                    s.findings.load(Ordering::Relaxed)
                ),
            }
        })
    }

    /// Start showing how many distinct secrets have been verified.
    pub fn start_verify(&self, counters: Arc<VerifyCounters>) -> Option<Ticker> {
        self.tick(move || {
            format!(
                "verifying: {} of {} secrets checked",
                counters.done.load(Ordering::Relaxed),
                counters.total.load(Ordering::Relaxed)
            )
        })
    }

    /// After [`DELAY`], show `message()` on the bar every tenth of a second
    /// until the ticker is dropped.
    fn tick(&self, message: impl Fn() -> String + Send + 'static) -> Option<Ticker> {
        if !self.enabled {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let bar = self.bar.clone();
        let stop2 = stop.clone();
        let handle = thread::spawn(move || {
            let mut waited = Duration::ZERO;
            let step = Duration::from_millis(100);
            while !stop2.load(Ordering::Relaxed) {
                thread::sleep(step);
                waited += step;
                if waited < DELAY {
                    continue;
                }
                if bar.is_hidden() {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                }
                bar.set_message(message());
                bar.tick();
            }
        });
        Some(Ticker {
            stop,
            handle: Some(handle),
        })
    }

    /// Clear the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
