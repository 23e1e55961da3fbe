//! The command line: turns arguments into an engine run and an exit code.
//!
//! This is the only module that prints. The exit code is decided in one
//! place, [`exit_code`].

pub mod args;
mod progress;
mod rules_cmd;

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use clap::Parser;

pub use args::Cli;
use args::{ColorChoice, Command, ScanArgs};

use crate::config::{self, Config};
use crate::detect::Detector;
use crate::report::{self, Format, Report, Summary};
use crate::rules::RuleSet;
use crate::scan::{self, Engine, ScanOptions, ScanOutcome};
use crate::source::fs::WalkOptions;
use crate::source::Stats;

/// Exit status: no findings.
pub const EXIT_CLEAN: u8 = 0;
/// Exit status: usage, configuration or runtime error.
pub const EXIT_ERROR: u8 = 2;

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

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
        None => run_scan(&cli.scan),
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
    Ok(Config::discover(&root)?.unwrap_or_default())
}

/// Build the engine for these arguments.
pub fn build_engine(args: &ScanArgs) -> Result<Engine> {
    let config = load_config(args)?;
    let mut rules = RuleSet::builtin().map_err(|e| anyhow!("built-in rules: {e}"))?;
    config.apply(&mut rules)?;
    let detector = Detector::new(rules).map_err(|e| anyhow!(e))?;
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
        threads: args.threads.unwrap_or(0),
    };
    Ok(Engine::new(
        detector,
        config,
        ScanOptions {
            walk,
            inline_allow: !args.no_inline_allow,
        },
    ))
}

fn run_scan(args: &ScanArgs) -> Result<u8> {
    let engine = build_engine(args)?;
    let format = match (args.format, engine.config().options.format.as_deref()) {
        (Some(f), _) => f,
        (None, Some("json")) => Format::Json,
        (None, Some("jsonl")) => Format::Jsonl,
        (None, Some("text")) | (None, None) => Format::Text,
        (None, Some(other)) => return Err(anyhow!("format {other:?} is not available yet")),
    };
    for p in &args.paths {
        if p.as_os_str() != "-" && std::fs::symlink_metadata(p).is_err() {
            return Err(anyhow!("{}: no such file or directory", p.display()));
        }
    }
    let stderr_tty = io::stderr().is_terminal();
    let progress = progress::Progress::new(!args.quiet && stderr_tty);
    let outcome = collect(args, &engine, &progress)?;
    progress.finish();

    let summary = Summary::new(
        &outcome.findings,
        outcome.stats,
        outcome.suppressed,
        outcome.elapsed,
    );
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = use_color(args.color, to_terminal);
    colored::control::set_override(color);
    let report = Report {
        findings: &outcome.findings,
        summary: &summary,
        rules: engine.detector().rules(),
        show_secrets: args.show_secrets,
        color,
    };
    match &args.output {
        Some(path) => {
            let mut f =
                create_private(path).with_context(|| format!("cannot write {}", path.display()))?;
            report.write(format, &mut f)?;
            f.flush()?;
        }
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            report.write(format, &mut out)?;
            out.flush()?;
        }
    }
    if !args.quiet {
        let err_color = use_color(args.color, stderr_tty);
        colored::control::set_override(err_color);
        let mut err = io::stderr().lock();
        report::text::write_summary(&summary, err_color, &mut err)?;
    }
    Ok(exit_code(
        outcome.findings.len(),
        outcome.stats.unreadable,
        args.exit_code,
    ))
}

/// Run the sources the arguments select and gather their findings
/// (sorted, de-duplicated, with per-blob filters applied).
fn collect(args: &ScanArgs, engine: &Engine, progress: &progress::Progress) -> Result<ScanOutcome> {
    let stats = std::sync::Arc::new(Stats::default());
    let events = progress.events(args.quiet);
    let (stdin_args, fs_args): (Vec<&PathBuf>, Vec<&PathBuf>) =
        args.paths.iter().partition(|p| p.as_os_str() == "-");
    let mut outcome = ScanOutcome::default();
    if !fs_args.is_empty() {
        let roots: Vec<PathBuf> = fs_args.into_iter().cloned().collect();
        let ticker = progress.start(stats.clone());
        outcome = engine.scan_paths(&roots, &stats, &events);
        drop(ticker);
    }
    if !stdin_args.is_empty() {
        let mut buf = Vec::new();
        io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        stats.scanned(buf.len(), crate::source::is_binary(&buf));
        let mut w = engine.worker();
        w.scan("<stdin>", &buf);
        outcome.findings.append(&mut w.findings);
        outcome.suppressed += w.suppressed;
        scan::finish(&mut outcome.findings);
        outcome.stats = stats.snapshot();
    }
    Ok(outcome)
}

/// Create (or truncate) a report file readable by its owner only.
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path)?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open; tighten it.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(0, 0, 1), 0);
        assert_eq!(exit_code(3, 0, 1), 1);
        assert_eq!(exit_code(3, 2, 7), 7);
        assert_eq!(exit_code(0, 2, 1), 2);
    }
}
