//! `keyscan --repos FILE` (many repositories, optionally one shard of
//! them) and `keyscan merge` (the fan-in of shards' reports).
//!
//! A `--repos` run takes repositories a few at a time (`--repo-jobs`):
//! each is cloned or updated, scanned, filtered, turned into a record
//! ([`RepoRecord`]) and appended to a spool file (the `--checkpoint`, or
//! an anonymous temporary file), and its scan state is dropped. Memory
//! therefore follows the largest repositories in flight, not their sum.
//! At the end the spool is read back and rendered through the same
//! [`Merged`] value as `keyscan merge`, so one process and the merge of
//! its shards write the same report.

use std::collections::HashSet;
use std::io::{self, BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};

use super::args::{MergeArgs, ScanArgs};
use crate::filter::baseline::Fingerprints;
use crate::report::merge::{self, Known, MergeOptions, Merged, RepoRecord, Status};
use crate::report::{Report, Summary};
use crate::rules::Severity;
use crate::scan::Engine;
use crate::source::repos::{self, Location, Repo, Shard};
use crate::source::{Events, Skip, Stats};
use crate::text::{one_line, printable};

/// Largest repository list read.
const MAX_LIST_BYTES: u64 = 256 << 20;

/// Warnings kept per repository; past it they are counted.
const WARNINGS_KEPT: usize = 1000;

/// `keyscan --repos FILE`.
pub(super) fn run(args: &ScanArgs, list: &Path) -> Result<u8> {
    let text = crate::files::read_regular_to_string(list, MAX_LIST_BYTES, "a repository list")
        .map_err(|e| anyhow!("{}: {e}", list.display()))?;
    let (all, repeated) = repos::parse_list(&list.display().to_string(), &text)?;
    if !args.quiet && !repeated.is_empty() {
        eprintln!(
            "keyscan: warning: {}: listed more than once, scanned once: {}",
            list.display(),
            printable(&repeated.join(", "))
        );
    }
    let mine: Vec<Repo> = match &args.shard {
        Some(spec) => {
            let shard = Shard::parse(spec, &args.shard_env, |k| std::env::var(k).ok())?;
            all.into_iter().filter(|r| shard.holds(&r.name)).collect()
        }
        None => all,
    };
    let clone_dir = if mine
        .iter()
        .any(|r| matches!(r.location, Location::Remote(_)))
    {
        Some(
            args.clone_dir
                .clone()
                .or_else(repos::default_clone_dir)
                .ok_or_else(|| anyhow!("--clone-dir is needed: HOME is not set"))?,
        )
    } else {
        None
    };
    let mut engine = super::build_engine(args)?;
    if let Some(p) = &args.baseline {
        engine = engine.with_baseline(Fingerprints::load(p)?);
    }
    if let Some(p) = args.output.as_ref().filter(|p| !super::is_stdout(p)) {
        crate::files::check_replaceable(p).map_err(|e| super::cannot_write(p, e))?;
    }
    let format = super::output_format(args, engine.config())?;
    let started = Instant::now();

    // The spool: the checkpoint (its finished repositories kept), or a
    // temporary file.
    let (spool, done) = match &args.checkpoint {
        Some(p) => open_checkpoint(p, &mine)?,
        None => (tempfile::tempfile()?, HashSet::new()),
    };
    if !args.quiet && !done.is_empty() {
        eprintln!(
            "keyscan: {}: {} of {} repositories already scanned; skipping them",
            args.checkpoint
                .as_deref()
                .unwrap_or(Path::new(""))
                .display(),
            done.len(),
            mine.len()
        );
    }
    let todo: Vec<&Repo> = mine.iter().filter(|r| !done.contains(&r.name)).collect();
    let job = Job {
        args,
        engine: &engine,
        clone_dir: clone_dir.as_deref(),
        timeout: Duration::from_secs(args.clone_timeout),
        spool: Mutex::new(io::BufWriter::new(spool)),
        next: AtomicUsize::new(0),
        finished: AtomicUsize::new(done.len()),
        total: mine.len(),
        todo,
    };
    let jobs = usize::from(args.repo_jobs).min(job.todo.len()).max(1);
    let write_error: Mutex<Option<io::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                if let Err(e) = job.work() {
                    *write_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                }
            });
        }
    });
    if let Some(e) = write_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(anyhow!("writing the checkpoint: {e}"));
    }
    let mut spool = job
        .spool
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_inner()
        .map_err(|e| anyhow!("writing the checkpoint: {}", e.error()))?;
    spool.rewind()?;
    let names: HashSet<&str> = mine.iter().map(|r| r.name.as_str()).collect();
    let mut merged = Merged::default();
    for line in io::BufReader::new(spool).lines() {
        let line = line?;
        if let Ok(r) = serde_json::from_str::<RepoRecord>(&line) {
            if names.contains(r.repository.as_str()) {
                merged.add(r);
            }
        }
    }
    let doc = merged.finish();
    let opts = MergeOptions {
        sarif_category: args.sarif_category.clone(),
        sarif_all_rules: args.sarif_all_rules,
    };
    let target = args.output.as_deref().unwrap_or(Path::new("-"));
    let notices = super::write_output(target, |w| doc.write(format, &opts, w))?;
    let failed = doc.failed();
    if !args.quiet {
        for n in notices {
            eprintln!("keyscan: warning: {n}");
        }
        let n = doc.repositories();
        eprintln!(
            "keyscan: {n} repositor{}: {} scanned, {} failed; {} finding{} ({:.1}s)",
            if n == 1 { "y" } else { "ies" },
            n - failed.len(),
            failed.len(),
            doc.findings.len(),
            if doc.findings.len() == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64()
        );
    }
    let fail_on = args
        .fail_on
        .or(engine.config().options.fail_on)
        .unwrap_or(Severity::Low);
    let failing = failing(&doc.findings, fail_on);
    Ok(super::repos_exit_code(
        failing,
        failed.len(),
        doc.unreadable(),
        args.exit_code,
    ))
}

fn failing(findings: &[serde_json::Value], fail_on: Severity) -> usize {
    findings
        .iter()
        .filter(|f| {
            serde_json::from_value::<Severity>(f["severity"].clone()).is_ok_and(|s| s >= fail_on)
        })
        .count()
}

/// Open (or create) a checkpoint: the repositories of `mine` it records
/// as scanned are kept (and returned); failed ones, torn lines and other
/// repositories are dropped, so that the file is rewritten whole before
/// anything is appended.
fn open_checkpoint(path: &Path, mine: &[Repo]) -> Result<(std::fs::File, HashSet<String>)> {
    let names: HashSet<&str> = mine.iter().map(|r| r.name.as_str()).collect();
    let mut kept = Vec::new();
    let mut done = HashSet::new();
    if path.exists() {
        let mut m = crate::files::open_regular(path, merge::MAX_REPORT_BYTES, "a checkpoint")
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut m, &mut bytes)
            .map_err(|e| anyhow!("{}: {}", path.display(), m.error(e)))?;
        for line in bytes.split(|&b| b == b'\n') {
            let Ok(r) = serde_json::from_slice::<RepoRecord>(line) else {
                continue;
            };
            if r.status == Status::Scanned
                && names.contains(r.repository.as_str())
                && done.insert(r.repository.clone())
            {
                kept.push(line.to_vec());
            }
        }
    }
    crate::files::write_replacing(path, |w| {
        for line in &kept {
            w.write_all(line)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })
    .map_err(|e| super::cannot_write(path, e))?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok((file, done))
}

/// The shared state of a `--repos` run's workers.
struct Job<'a> {
    args: &'a ScanArgs,
    engine: &'a Engine,
    clone_dir: Option<&'a Path>,
    timeout: Duration,
    spool: Mutex<io::BufWriter<std::fs::File>>,
    next: AtomicUsize,
    finished: AtomicUsize,
    total: usize,
    todo: Vec<&'a Repo>,
}

impl Job<'_> {
    /// Take repositories until none is left.
    fn work(&self) -> io::Result<()> {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(repo) = self.todo.get(i) else {
                return Ok(());
            };
            let started = Instant::now();
            let events = RepoEvents::new(&repo.name, self.args);
            let (record, masks) = match self.scan(repo, &events) {
                Ok(r) => r,
                Err(why) => (merge::failed_record(&repo.name, &why), Default::default()),
            };
            events.flush(&masks);
            let line = serde_json::to_string(&record).map_err(io::Error::other)?;
            {
                let mut spool = self.spool.lock().unwrap_or_else(|e| e.into_inner());
                spool.write_all(line.as_bytes())?;
                spool.write_all(b"\n")?;
                spool.flush()?;
                spool.get_ref().sync_data()?;
            }
            let n = self.finished.fetch_add(1, Ordering::Relaxed) + 1;
            if !self.args.quiet {
                let what = match record.status {
                    Status::Scanned => format!(
                        "{} finding{}",
                        record.findings.len(),
                        if record.findings.len() == 1 { "" } else { "s" }
                    ),
                    Status::Failed => {
                        format!("failed: {}", record.reason.as_deref().unwrap_or(""))
                    }
                };
                eprintln!(
                    "keyscan: [{n}/{}] {}: {} ({:.1}s)",
                    self.total,
                    printable(&repo.name),
                    printable(&what),
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }

    /// Clone or update, scan and filter one repository.
    fn scan(
        &self,
        repo: &Repo,
        events: &RepoEvents,
    ) -> Result<(RepoRecord, crate::finding::Masks), String> {
        let started = Instant::now();
        let dir: PathBuf = match &repo.location {
            Location::Local(p) => {
                if !p.is_dir() {
                    return Err("not a directory".into());
                }
                p.clone()
            }
            Location::Remote(url) => {
                let dir = repos::mirror_dir(self.clone_dir.unwrap_or(Path::new(".")), &repo.name);
                repos::mirror(url, &dir, self.timeout).map_err(|e| e.to_string())?;
                dir
            }
        };
        let stats = Stats::default();
        let engine = self.engine;
        let findings = if self.args.history {
            repos::check_head(&dir).map_err(|e| e.to_string())?;
            let progress = crate::source::git::Progress::default();
            engine
                .collect_history(
                    &dir,
                    &crate::source::git::Selection::All,
                    &stats,
                    events,
                    &progress,
                )
                .map_err(|e| one_line(&e.to_string()))?
        } else if repos::is_bare(&dir) {
            engine
                .collect_head_tree(&dir, &stats, events)
                .map_err(|e| one_line(&e.to_string()))?
        } else {
            engine.collect_paths(std::slice::from_ref(&dir), &stats, events)
        };
        let outcome = engine.finish(findings, &stats, started);
        let summary = Summary::new(
            &outcome.findings,
            outcome.stats,
            outcome.suppressed,
            outcome.elapsed,
        );
        let report = Report {
            findings: &outcome.findings,
            summary: &summary,
            rules: engine.detector().rules(),
            show_secrets: self.args.show_secrets,
            color: false,
            sarif: Default::default(),
        };
        Ok((merge::scanned_record(&report, &repo.name), outcome.masks))
    }
}

/// One repository's warnings, held until its scan ends (then masked and
/// prefixed with the repository).
struct RepoEvents {
    prefix: String,
    quiet: bool,
    verbose: bool,
    held: Mutex<(Vec<String>, u64)>,
}

impl RepoEvents {
    fn new(name: &str, args: &ScanArgs) -> RepoEvents {
        RepoEvents {
            prefix: printable(name).into_owned(),
            quiet: args.quiet,
            verbose: args.verbose,
            held: Mutex::new((Vec::new(), 0)),
        }
    }

    fn hold(&self, line: String) {
        let mut h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if h.0.len() < WARNINGS_KEPT {
            h.0.push(line);
        } else {
            h.1 += 1;
        }
    }

    fn flush(&self, masks: &crate::finding::Masks) {
        let (lines, more) =
            std::mem::take(&mut *self.held.lock().unwrap_or_else(|e| e.into_inner()));
        for line in lines {
            eprintln!("{}", masks.mask(&line).unwrap_or(line));
        }
        if more > 0 {
            eprintln!(
                "keyscan: warning: {}: {more} more warnings not shown",
                self.prefix
            );
        }
    }
}

impl Events for RepoEvents {
    fn warning(&self, message: String) {
        if !self.quiet {
            self.hold(format!(
                "keyscan: warning: {}: {}",
                self.prefix,
                printable(&message)
            ));
        }
    }

    fn skipped(&self, path: &str, _why: Skip) {
        if self.verbose && !self.quiet {
            self.hold(format!(
                "keyscan: skipped {}: {}",
                self.prefix,
                printable(path)
            ));
        }
    }
}

/// A report's bytes: a regular file of at most [`merge::MAX_REPORT_BYTES`].
fn read_report(path: &Path) -> Result<Vec<u8>> {
    let mut r = crate::files::open_regular(path, merge::MAX_REPORT_BYTES, "a report")
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut r, &mut bytes)
        .map_err(|e| anyhow!("{}: {}", path.display(), r.error(e)))?;
    Ok(bytes)
}

/// The baseline of a merge: an earlier report that [`Merged::read`]
/// accepts, else a baseline file (or a plain scan report).
fn known(path: &Path) -> Result<Known> {
    let bytes = read_report(path)?;
    let mut m = Merged::default();
    if m.read(&path.display().to_string(), &bytes).is_ok() {
        return Ok(Known::of_report(&m.finish()));
    }
    let fps = Fingerprints::read(&path.display().to_string(), &bytes[..])
        .map_err(|e| anyhow!("{e} (neither a keyscan --repos report nor a baseline)"))?;
    Ok(Known::anywhere(move |fp| fps.contains(fp)))
}

/// `keyscan merge REPORT...`.
pub(super) fn merge(args: &MergeArgs) -> Result<u8> {
    if let Some(p) = args.output.as_ref().filter(|p| !super::is_stdout(p)) {
        crate::files::check_replaceable(p).map_err(|e| super::cannot_write(p, e))?;
    }
    let known = args.baseline.as_deref().map(known).transpose()?;
    let mut merged = Merged::default();
    for p in &args.reports {
        merged.read(&p.display().to_string(), &read_report(p)?)?;
    }
    if let Some(k) = &known {
        merged.apply_baseline(k);
    }
    let doc = merged.finish();
    let opts = MergeOptions {
        sarif_category: args.sarif_category.clone(),
        sarif_all_rules: args.sarif_all_rules,
    };
    let target = args.output.as_deref().unwrap_or(Path::new("-"));
    let notices = super::write_output(target, |w| doc.write(args.format, &opts, w))?;
    let failed = doc.failed();
    if !args.quiet {
        for n in notices {
            eprintln!("keyscan: warning: {n}");
        }
        for (name, why) in &failed {
            eprintln!(
                "keyscan: warning: {}: not scanned: {}",
                printable(name),
                printable(why)
            );
        }
        let n = doc.repositories();
        eprintln!(
            "keyscan: merged {} report{}: {n} repositor{} ({} failed), {} finding{}",
            args.reports.len(),
            if args.reports.len() == 1 { "" } else { "s" },
            if n == 1 { "y" } else { "ies" },
            failed.len(),
            doc.findings.len(),
            if doc.findings.len() == 1 { "" } else { "s" },
        );
    }
    Ok(super::repos_exit_code(
        doc.findings.len(),
        failed.len(),
        doc.unreadable(),
        args.exit_code,
    ))
}
