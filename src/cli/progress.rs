//! A progress line on stderr (indicatif) for scans that last more than a
//! moment: only on a terminal, never with `--quiet`, never on stdout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::human_bytes;
use crate::source::git::{Phase as GitPhase, Progress as GitProgress};
use crate::source::Events;
use crate::source::{Skip, Stats};

/// Show the bar only for scans longer than this.
const DELAY: Duration = Duration::from_millis(300);

/// The progress display (hidden when disabled).
pub struct Progress {
    bar: ProgressBar,
    enabled: bool,
}

/// Prints warnings above the bar (and, with `--verbose`, skipped files).
pub struct Warnings {
    bar: ProgressBar,
    quiet: bool,
    verbose: bool,
}

impl Warnings {
    /// Also print each skipped file and why.
    pub fn verbose(mut self, on: bool) -> Warnings {
        self.verbose = on;
        self
    }
}

impl Events for Warnings {
    fn warning(&self, message: String) {
        if !self.quiet {
            let message = crate::report::printable(&message);
            self.bar
                .suspend(|| eprintln!("keyscan: warning: {message}"));
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
            self.bar
                .suspend(|| eprintln!("keyscan: skipped {path}: {why}"));
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
                let s = &stats;
                let phase = git.as_ref().map(|g| (g.phase(), g.message()));
                if let Some((_, msg)) = phase.as_ref().filter(|(p, _)| *p != GitPhase::Blobs) {
                    bar.set_message(msg.clone());
                    bar.tick();
                    continue;
                }
                let prefix = phase.map(|(_, m)| format!("{m}: ")).unwrap_or_default();
                bar.set_message(format!(
                    "{prefix}{} files, {} scanned, {} findings",
                    s.files_scanned.load(Ordering::Relaxed),
                    human_bytes(s.bytes_scanned.load(Ordering::Relaxed)),
                    s.findings.load(Ordering::Relaxed)
                ));
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
