//! The command line: turns arguments into an engine run and an exit code.
//!
//! This is the only module that prints. The exit code is decided in one
//! place, [`exit_code`].

mod agent_hook;
pub mod args;
mod hook;
mod progress;
mod repos;
mod rules_cmd;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use clap::Parser;

pub use args::Cli;
use args::{BaselineArgs, ColorChoice, Command, ScanArgs};

use crate::config::{self, Config};
use crate::detect::Detector;
use crate::expand::ExpandOptions;
use crate::filter::baseline::{Baseline, Fingerprints};
use crate::finding::Finding;
use crate::report::sarif::SarifOptions;
use crate::report::{self, Format, Report, Summary};
use crate::rules::{RuleSet, Severity};
use crate::scan::{Engine, ScanOptions, ScanOutcome};
use crate::source::fs::WalkOptions;
use crate::source::Stats;
use crate::text::one_line;

/// Exit status: no findings.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: usage, configuration or runtime error.
pub const EXIT_ERROR: u8 = 2;
/// Exit status: no findings, but some repositories could not be scanned
/// (`--repos`, `keyscan merge`): the run cannot vouch for them.
pub const EXIT_INCOMPLETE: u8 = 3;

/// Parse `std::env::args` and run.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and succeed.
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::from(EXIT_CLEAN);
            }
            eprintln!("keyscan: error: {}", one_line(&format!("{e:#}")));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Run a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Some(Command::Rules(args)) => rules_cmd::run(&args),
        Some(Command::Baseline(args)) => run_baseline(&args),
        Some(Command::InstallHook(args)) => match args.agent {
            Some(agent) => agent_hook::install(agent, &args),
            None => hook::install(&args),
        },
        Some(Command::Hook(args)) => agent_hook::run(&args),
        Some(Command::Merge(args)) => repos::merge(&args),
        None => match &cli.scan.repos {
            Some(list) => repos::run(&cli.scan, list),
            None => run_scan(&cli.scan),
        },
    }
}

/// The one place that maps an outcome to an exit code: findings win, then
/// read errors (a scan that could not read everything cannot call a tree
/// clean), then success.
pub fn exit_code(findings: usize, unreadable: u64, findings_code: u8) -> u8 {
    if findings > 0 {
        findings_code
    } else if unreadable > 0 {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}

/// [`exit_code`] for many repositories: findings win, then repositories
/// that could not be scanned, then unreadable files.
pub fn repos_exit_code(findings: usize, failed: usize, unreadable: u64, findings_code: u8) -> u8 {
    if findings == 0 && failed > 0 {
        EXIT_INCOMPLETE
    } else {
        exit_code(findings, unreadable, findings_code)
    }
}

fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Load the configuration the arguments ask for.
fn load_config(args: &ScanArgs) -> Result<Config> {
    if args.no_config {
        return Ok(Config::default());
    }
    if let Some(p) = &args.config {
        return Ok(Config::load(p)?);
    }
    if let Ok(p) = std::env::var("KEYSCAN_CONFIG") {
        if !p.is_empty() {
            return Ok(Config::load(Path::new(&p))?);
        }
    }
    let root = args
        .paths
        .iter()
        .find(|p| p.as_os_str() != "-" && p.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let Some(mut config) = Config::discover(&root)? else {
        return Ok(Config::default());
    };
    // The file is never scanned: name it as the report would.
    if let Some(p) = config.path.take() {
        let shown = crate::source::fs::Shown::new(
            std::slice::from_ref(&root),
            display_base(&args.paths).as_deref(),
        );
        let shown = shown.path(0, &root, &root.join(&p));
        // Under a repository, report paths start at its root: the file's
        // allowlist paths stay relative to the directory it is in.
        if display_base(&args.paths).is_some() {
            if let Some((dir, _)) = shown.rsplit_once('/') {
                config.path_prefix = format!("{dir}/");
            }
        }
        config.path = Some(PathBuf::from(shown));
    }
    Ok(config)
}

/// Most worker threads per core `-j` may ask for: more only adds threads
/// that wait on each other (`-j 5000` stalled the walk for minutes).
pub const MAX_THREADS_PER_CORE: usize = 4;

/// The worker threads to use for `-j requested` (0: one per core), and a
/// warning when the request is over the cap.
fn worker_threads(requested: usize) -> (usize, Option<String>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = MAX_THREADS_PER_CORE.saturating_mul(cores);
    if requested > cap {
        let warning = format!(
            "-j {requested}: using {cap} worker threads (at most {MAX_THREADS_PER_CORE} per core)"
        );
        (cap, Some(warning))
    } else {
        (requested, None)
    }
}

/// Build the engine for these arguments.
pub fn build_engine(args: &ScanArgs) -> Result<Engine> {
    let config = load_config(args)?;
    if !args.quiet {
        let name = config
            .display_path()
            .map_or_else(String::new, |p| format!("{}: ", p.display()));
        if config.from_gitleaks {
            eprintln!(
                "keyscan: note: {name}gitleaks configuration: its rules and allowlists are \
                 translated, and keyscan's built-in rules stay on"
            );
            // Once, with everything that does not carry over.
            if !config.warnings.is_empty() {
                eprintln!(
                    "keyscan: warning: {name}{} setting{} not translated:",
                    config.warnings.len(),
                    if config.warnings.len() == 1 {
                        " is"
                    } else {
                        "s are"
                    }
                );
                for w in &config.warnings {
                    eprintln!("  - {w}");
                }
            }
        } else {
            for w in &config.warnings {
                eprintln!("keyscan: warning: {name}{w}");
            }
        }
    }
    let (threads, too_many) = worker_threads(args.threads.unwrap_or(0));
    if let Some(w) = too_many.filter(|_| !args.quiet) {
        eprintln!("keyscan: warning: {w}");
    }
    let mut rules = RuleSet::builtin().map_err(|e| anyhow!("built-in rules: {e}"))?;
    config.apply(&mut rules)?;
    if !(args.include_encrypted_keys || config.options.include_encrypted_keys == Some(true)) {
        rules.disable(&[ENCRYPTED_KEY_RULE.to_string()]);
    }
    let detector = Detector::new(rules)?;
    let max_file_size = match &args.max_file_size {
        Some(s) => config::parse_size(s).map_err(|e| anyhow!("--max-file-size: {e}"))?,
        None => config
            .max_file_size
            .unwrap_or(WalkOptions::default().max_file_size),
    };
    let walk = WalkOptions {
        hidden: !args.no_hidden,
        ignore_files: !args.no_ignore,
        follow: args.follow,
        max_file_size,
        skip_binary: args.no_binary,
        threads,
        base: display_base(&args.paths),
        ..WalkOptions::default()
    };
    let min_confidence = args
        .min_confidence
        .or(config.options.min_confidence)
        .unwrap_or_default();
    Ok(Engine::new(
        detector,
        config,
        ScanOptions {
            walk,
            inline_allow: !args.no_inline_allow,
            expand: ExpandOptions {
                archives: !args.no_archives,
                archive_depth: args.archive_depth as usize,
                archive_max_bytes: config::parse_size(&args.archive_max_size)
                    .map_err(|e| anyhow!("--archive-max-size: {e}"))?,
                archive_max_entries: args.archive_max_entries,
                notebooks: !args.no_notebooks,
                decode: !args.no_decode,
                utf16: !args.no_utf16,
                env_files: !args.no_env_files,
            },
            show_secrets: args.show_secrets,
            max_findings_per_file: args.max_findings_per_file,
            min_confidence,
            unreachable: args.unreachable,
        },
    ))
}

/// The rule that reports encrypted private keys: only with
/// `--include-encrypted-keys` or `include_encrypted_keys = true`.
const ENCRYPTED_KEY_RULE: &str = "private-key-encrypted";

/// The output format: `--format`, else the configuration's, else text.
fn output_format(args: &ScanArgs, config: &Config) -> Result<Format> {
    Ok(
        match (
            args.format,
            config.options.format.as_ref().map(|f| f.get_ref().as_str()),
        ) {
            (Some(f), _) => f,
            (None, None) => Format::Text,
            (None, Some(name)) => <Format as clap::ValueEnum>::from_str(name, true)
                .map_err(|_| anyhow!("options.format: unknown format {name:?}"))?,
        },
    )
}

/// Build the engine, check the paths, run the sources and the filter stage.
fn scan(args: &ScanArgs) -> Result<(Engine, ScanOutcome)> {
    let mut engine = build_engine(args)?;
    if args.verify {
        // A mistyped host would silently send real requests: refuse it
        // before scanning.
        crate::verify::check_overrides(&args.verify_override, engine.detector().rules())
            .map_err(|e| anyhow!("--verify-override {e}"))?;
    }
    for p in &args.paths {
        if p.as_os_str() != "-" && std::fs::symlink_metadata(p).is_err() {
            return Err(anyhow!("{}: no such file or directory", p.display()));
        }
    }
    // Read the baseline before scanning, so a broken file fails fast; and
    // refuse an output that cannot be written before scanning, too.
    if let Some(p) = &args.baseline {
        engine = load_baseline(engine, p)?;
    }
    engine = load_ignore_files(args, engine)?;
    for p in [&args.output, &args.write_baseline].into_iter().flatten() {
        if !is_stdout(p) {
            crate::files::check_replaceable(p).map_err(|e| cannot_write(p, e))?;
        }
    }
    let stderr_tty = io::stderr().is_terminal();
    let progress = progress::Progress::new(!args.quiet && stderr_tty);
    let start = std::time::Instant::now();
    let stats = std::sync::Arc::new(Stats::default());
    let events = progress
        .events(args.quiet)
        .verbose(args.verbose)
        .held(!args.show_secrets);
    let findings = collect(args, &engine, &progress, &events, &stats);
    progress.finish();
    let findings = findings.inspect_err(|_| events.flush(&Default::default()))?;
    let outcome = engine.finish(findings, &stats, start);
    events.flush(&outcome.masks);
    Ok((engine, outcome))
}

/// The directory reports name files relative to: the work tree of the
/// repository the first path is in (git scans, and files in a repository,
/// always are), or None outside a repository.
fn display_base(paths: &[PathBuf]) -> Option<PathBuf> {
    let first = paths.iter().find(|p| p.as_os_str() != "-")?;
    crate::source::git::work_tree(first)
}

/// The directory the paths of a report are relative to: the repository's
/// work tree; outside one, the one directory scanned, or the current
/// directory when several paths were given (they are shown as given).
fn report_root(args: &ScanArgs) -> Option<PathBuf> {
    if let Some(base) = display_base(&args.paths) {
        return Some(base);
    }
    match args.paths.as_slice() {
        [one] if one.is_dir() => Some(one.clone()),
        _ => std::env::current_dir().ok(),
    }
}

/// Read `--baseline FILE`: a keyscan baseline or JSON report, or a gitleaks
/// JSON report (a JSON array, told apart by its first byte).
fn load_baseline(engine: Engine, path: &Path) -> Result<Engine> {
    use crate::filter::baseline::MAX_BASELINE_SIZE;
    use crate::filter::ignorefile;
    use std::io::Read;
    let mut head = Vec::new();
    crate::files::open_regular(path, MAX_BASELINE_SIZE, "a baseline")
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
    if !ignorefile::looks_like_gitleaks_report(&head) {
        return Ok(engine.with_baseline(Fingerprints::load(path)?));
    }
    let file = crate::files::open_regular(path, MAX_BASELINE_SIZE, "a baseline")
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
    let rules = engine.detector().rules();
    let places = ignorefile::read_gitleaks_report(&path.display().to_string(), file, &|id| {
        rules.get(id).is_some()
    })
    .map_err(|e| anyhow!(e))?;
    Ok(engine.with_baseline_places(places))
}

/// The ignore files of a scan: `.keyscanignore` and `.gitleaksignore` at
/// the repository root and at the scanned directory (each file once).
/// Lines that are not entries are warned about, not fatal: gitleaks skips
/// them too.
fn load_ignore_files(args: &ScanArgs, engine: Engine) -> Result<Engine> {
    use crate::filter::ignorefile::{self, Ignores};
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(base) = display_base(&args.paths) {
        dirs.push(base);
    }
    if let Some(root) = args
        .paths
        .iter()
        .find(|p| p.as_os_str() != "-" && p.is_dir())
    {
        if let Ok(abs) = root.canonicalize() {
            if !dirs.contains(&abs) {
                dirs.push(abs);
            }
        }
    }
    let rules = engine.detector().rules();
    let is_rule = |id: &str| rules.get(id).is_some();
    let mut all = Ignores::default();
    for dir in &dirs {
        for name in [ignorefile::KEYSCAN_IGNORE, ignorefile::GITLEAKS_IGNORE] {
            let p = dir.join(name);
            if std::fs::symlink_metadata(&p).is_err() {
                continue;
            }
            let shown = p
                .strip_prefix(std::env::current_dir().unwrap_or_default())
                .unwrap_or(&p)
                .to_path_buf();
            let (found, bad) = Ignores::load(&p, &is_rule)
                .map_err(|e| anyhow!("{}: cannot read: {e}", shown.display()))?;
            if !args.quiet {
                for b in &bad {
                    eprintln!(
                        "keyscan: warning: {}:{}: not a fingerprint (expected a keyscan \
                         fingerprint, FILE:RULE:LINE or COMMIT:FILE:RULE:LINE); skipped: {}",
                        shown.display(),
                        b.line,
                        b.text
                    );
                }
                if name == ignorefile::GITLEAKS_IGNORE {
                    eprintln!(
                        "keyscan: note: {}: honouring {} gitleaks fingerprint{}",
                        shown.display(),
                        found.len(),
                        if found.len() == 1 { "" } else { "s" }
                    );
                }
            }
            all.extend(found);
        }
    }
    Ok(if all.is_empty() {
        engine
    } else {
        engine.with_ignores(all)
    })
}

/// `file://` URI of the directory a report's paths are relative to, for
/// SARIF's `%SRCROOT%` (see [`report_root`]).
fn root_uri(args: &ScanArgs) -> Option<String> {
    let root = report_root(args)?;
    let abs = std::fs::canonicalize(root).ok()?;
    let mut s = abs.to_string_lossy().replace('\\', "/");
    if !s.ends_with('/') {
        s.push('/');
    }
    if !s.starts_with('/') {
        s.insert(0, '/');
    }
    Some(format!("file://{}", report::sarif::uri_encode(&s)))
}

/// The verification stage, with a progress line (`--verify`).
fn verify(args: &ScanArgs, engine: &Engine, findings: &mut Vec<Finding>) {
    let opts = crate::verify::Options {
        jobs: usize::from(args.verify_jobs),
        rate_per_host: args.verify_rate,
        timeout: std::time::Duration::from_secs(args.verify_timeout),
        connect_timeout: crate::verify::CONNECT_TIMEOUT
            .min(std::time::Duration::from_secs(args.verify_timeout)),
        overrides: args.verify_override.clone(),
    };
    let progress = progress::Progress::new(!args.quiet && io::stderr().is_terminal());
    let counters = std::sync::Arc::new(crate::verify::Counters::default());
    let ticker = progress.start_verify(counters.clone());
    crate::verify::verify(findings, engine.detector().rules(), &opts, &counters);
    drop(ticker);
    progress.finish();
    if args.only_live {
        crate::verify::keep_live(findings);
    }
}

fn run_scan(args: &ScanArgs) -> Result<u8> {
    reject_unused(args)?;
    let (engine, mut outcome) = scan(args)?;
    if let Some(path) = &args.write_baseline {
        let text = Baseline::from_findings(&outcome.findings).to_json();
        write_output(path, |w| w.write_all(text.as_bytes()))?;
    }
    if args.verify {
        let started = std::time::Instant::now();
        verify(args, &engine, &mut outcome.findings);
        outcome.elapsed += started.elapsed();
    }
    let format = output_format(args, engine.config())?;
    let summary = Summary::new(
        &outcome.findings,
        outcome.stats,
        outcome.suppressed,
        outcome.elapsed,
    );
    let stderr_tty = io::stderr().is_terminal();
    let to_terminal = args.output.as_deref().is_none_or(is_stdout) && io::stdout().is_terminal();
    let color = format == Format::Text && use_color(args.color, to_terminal);
    colored::control::set_override(color);
    let report = Report {
        findings: &outcome.findings,
        summary: &summary,
        rules: engine.detector().rules(),
        show_secrets: args.show_secrets,
        color,
        sarif: SarifOptions {
            all_rules: args.sarif_all_rules,
            category: Some(args.sarif_category.clone()),
            root_uri: root_uri(args),
            revision: display_base(&args.paths).and_then(|b| crate::source::git::head_commit(&b)),
            ..SarifOptions::default()
        },
    };
    let target = args.output.as_deref().unwrap_or(Path::new("-"));
    let notice = write_output(target, |w| report.write(format, w))?;
    if let Some(n) = notice {
        eprintln!("keyscan: warning: {n}");
    }
    let empty = nothing_scanned(args, &outcome.stats);
    if let Some(why) = &empty {
        if !args.quiet || args.fail_on_empty {
            eprintln!("keyscan: warning: {why}");
        }
    }
    if !args.quiet {
        let err_color = use_color(args.color, stderr_tty);
        colored::control::set_override(err_color);
        let mut err = io::stderr().lock();
        report::text::write_summary(&summary, err_color, &mut err)?;
    }
    let fail_on = args
        .fail_on
        .or(engine.config().options.fail_on)
        .unwrap_or(Severity::Low);
    let failing = outcome
        .findings
        .iter()
        .filter(|f| f.severity >= fail_on)
        .filter(|f| !args.fail_on_live || f.verification.as_ref().is_some_and(|v| v.is_live()))
        .count();
    let code = exit_code(failing, outcome.stats.incomplete(), args.exit_code);
    if code == EXIT_CLEAN && args.fail_on_empty && empty.is_some() {
        return Ok(EXIT_ERROR);
    }
    Ok(code)
}

/// Why a scan read nothing, if it read zero bytes: a CI job whose paths,
/// ignore rules or range select nothing must not pass unnoticed. A staged
/// scan with nothing staged is empty by design, and says nothing.
fn nothing_scanned(args: &ScanArgs, stats: &crate::source::StatsSnapshot) -> Option<String> {
    if stats.bytes_scanned > 0 || args.staged {
        return None;
    }
    let what = if args.range.is_some() || args.since.is_some() {
        "the commits of the range introduced no file content"
    } else if args.history {
        "the history holds no file content"
    } else {
        "no file with content was found (all ignored, skipped or empty)"
    };
    Some(format!(
        "NOTHING WAS SCANNED (0 bytes): {what}; a clean result means nothing here{}",
        if args.fail_on_empty {
            ""
        } else {
            " (--fail-on-empty makes this exit 2)"
        }
    ))
}

/// Options a scan of git objects (`--history`, `--range`, `--since`,
/// `--staged`) has no use for: they shape a walk of the working tree. An
/// option that would be ignored is an error, so that nobody believes it
/// applied.
fn reject_unused(args: &ScanArgs) -> Result<()> {
    let git = args.history || args.since.is_some() || args.range.is_some() || args.staged;
    if !git {
        return Ok(());
    }
    let unused = [
        (args.no_ignore, "--no-ignore"),
        (args.no_hidden, "--no-hidden"),
        (args.follow, "--follow"),
    ];
    if let Some((_, flag)) = unused.iter().find(|(given, _)| *given) {
        return Err(anyhow!(
            "{flag} applies to a walk of the working tree, and a git scan (--history, --range, \
             --since, --staged) reads git objects: remove {flag}"
        ));
    }
    Ok(())
}

/// `keyscan baseline` writes a baseline: the options that shape a report
/// or an exit code would be ignored, so they are errors.
fn reject_unused_by_baseline(args: &BaselineArgs) -> Result<()> {
    let s = &args.scan;
    if s.verify {
        return Err(anyhow!(
            "keyscan baseline records findings and does not verify them; use --verify on a scan"
        ));
    }
    if s.repos.is_some() {
        return Err(anyhow!(
            "keyscan baseline takes one tree; merge --repos reports with keyscan merge"
        ));
    }
    if s.baseline.is_some() {
        return Err(anyhow!(
            "keyscan baseline records every finding; use --prune FILE to update an existing baseline"
        ));
    }
    if s.output.is_some() && s.write_baseline.is_some() {
        return Err(anyhow!(
            "keyscan baseline: give -o FILE or --write-baseline FILE, not both"
        ));
    }
    let unused = [
        (s.format.is_some(), "--format"),
        (s.color != ColorChoice::Auto, "--color"),
        (s.show_secrets, "--show-secrets"),
        (s.exit_code != 1, "--exit-code"),
        (s.fail_on.is_some(), "--fail-on"),
        (s.fail_on_empty, "--fail-on-empty"),
        (s.sarif_all_rules, "--sarif-all-rules"),
        (
            s.sarif_category != args::DEFAULT_SARIF_CATEGORY,
            "--sarif-category",
        ),
    ];
    if let Some((_, flag)) = unused.iter().find(|(given, _)| *given) {
        return Err(anyhow!(
            "keyscan baseline writes a baseline (JSON, no secrets) and ignores {flag}: \
             remove it, or use it on a scan"
        ));
    }
    reject_unused(s)
}

/// `keyscan baseline`: print (or prune) a baseline.
fn run_baseline(args: &BaselineArgs) -> Result<u8> {
    reject_unused_by_baseline(args)?;
    let mut scan_args_baseline = None;
    if let Some(p) = &args.prune {
        scan_args_baseline = Some(Baseline::load(p)?);
    }
    let (_engine, outcome) = scan(&args.scan)?;
    let text = match scan_args_baseline {
        Some(old) => {
            let (stale, pruned) = old.prune(&outcome.findings);
            if !args.scan.quiet {
                for e in &stale {
                    eprintln!(
                        "keyscan: stale baseline entry: {} {}:{} ({})",
                        e.rule_id, e.path, e.line, e.fingerprint
                    );
                }
                eprintln!(
                    "keyscan: {} of {} baseline entries no longer match a finding",
                    stale.len(),
                    old.entries.len()
                );
            }
            pruned.to_json()
        }
        None => Baseline::from_findings(&outcome.findings).to_json(),
    };
    // `-o FILE` and `--write-baseline FILE` both name where it goes.
    let target = args
        .scan
        .write_baseline
        .as_deref()
        .or(args.scan.output.as_deref())
        .unwrap_or(Path::new("-"));
    write_output(target, |w| w.write_all(text.as_bytes()))?;
    if !args.scan.quiet && args.prune.is_none() {
        eprintln!(
            "keyscan: baseline of {} finding{}",
            outcome.findings.len(),
            if outcome.findings.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if outcome.stats.incomplete() > 0 {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    })
}

/// Run the sources the arguments select and gather their findings, before
/// the filter stage.
fn collect(
    args: &ScanArgs,
    engine: &Engine,
    progress: &progress::Progress,
    events: &progress::Warnings,
    stats: &std::sync::Arc<Stats>,
) -> Result<Vec<Finding>> {
    let (stdin_args, fs_args): (Vec<&PathBuf>, Vec<&PathBuf>) =
        args.paths.iter().partition(|p| p.as_os_str() == "-");
    if args.history || args.since.is_some() || args.range.is_some() || args.staged {
        return collect_git(args, engine, progress, events, stats.clone());
    }
    let mut findings = Vec::new();
    if !fs_args.is_empty() {
        let roots: Vec<PathBuf> = fs_args.into_iter().cloned().collect();
        let ticker = progress.start(stats.clone());
        findings = engine.collect_paths(&roots, stats, events);
        drop(ticker);
    }
    if !stdin_args.is_empty() {
        let found = engine
            .collect_stream(&mut io::stdin().lock(), stats, events)
            .context("reading standard input")?;
        findings.extend(found);
    }
    Ok(findings)
}

/// The git sources: `--history`, `--since`, `--range` and `--staged` scan
/// the repository at the one PATH given (default `.`).
fn collect_git(
    args: &ScanArgs,
    engine: &Engine,
    progress: &progress::Progress,
    events: &progress::Warnings,
    stats: std::sync::Arc<Stats>,
) -> Result<Vec<Finding>> {
    use crate::source::git::{self, Selection};
    let [path] = args.paths.as_slice() else {
        return Err(anyhow!("git scans take one repository PATH"));
    };
    if path.as_os_str() == "-" {
        return Err(anyhow!("git scans read a repository, not standard input"));
    }
    if args.staged {
        return Ok(engine.collect_staged(path, &stats, events)?);
    }
    let selection = match (&args.since, &args.range) {
        (Some(r), _) => Selection::Range {
            from: r.clone(),
            to: "HEAD".into(),
            symmetric: false,
        },
        (None, Some(r)) => Selection::parse_range(r)?,
        (None, None) => Selection::All,
    };
    let git_progress = std::sync::Arc::new(git::Progress::default());
    let ticker = progress.start_git(stats.clone(), git_progress.clone());
    let found = engine.collect_history(path, &selection, &stats, events, &git_progress);
    drop(ticker);
    Ok(found?)
}

/// Whether an output path means standard output: `-`, or `/dev/stdout`
/// (which is not a regular file, so it could not be replaced).
fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-" || path == Path::new("/dev/stdout")
}

fn cannot_write(path: &Path, e: crate::files::WriteError) -> anyhow::Error {
    anyhow!("{}: cannot write: {e}", path.display())
}

/// Write a report or a baseline to `path` with `write`: a file readable by
/// its owner only, which replaces a regular file and nothing else
/// ([`crate::files::write_replacing`]); or standard output.
fn write_output<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<T>) -> Result<T> {
    if is_stdout(path) {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let value = write(&mut out)?;
        out.flush()?;
        return Ok(value);
    }
    crate::files::write_replacing(path, write).map_err(|e| cannot_write(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_threads_are_capped() {
        let cap =
            MAX_THREADS_PER_CORE * std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(worker_threads(0), (0, None));
        assert_eq!(worker_threads(cap), (cap, None));
        let (n, warning) = worker_threads(cap + 1);
        assert_eq!(n, cap);
        assert!(warning.is_some());
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(0, 0, 1), 0);
        assert_eq!(exit_code(3, 0, 1), 1);
        assert_eq!(exit_code(3, 2, 7), 7);
        assert_eq!(exit_code(0, 2, 1), 2);
    }
}
