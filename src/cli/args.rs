//! Command-line arguments (clap derive). Parsing only: no behaviour here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

/// When to use colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Fast secret-leak scanner for repositories, with first-class coverage of
/// AI-provider keys.
#[derive(Debug, Parser)]
#[command(
    name = "keyscan",
    version,
    about,
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 no findings, 1 findings (see --exit-code), 2 usage or runtime error \
                  (including files that could not be read when nothing was found), 3 some \
                  repositories could not be scanned (--repos, merge) and nothing was found.\n\
                  Secrets are redacted unless --show-secrets. keyscan makes no network connection \
                  unless --verify asks the providers whether the secrets found are live, or \
                  --repos lists remote repositories to clone."
)]
pub struct Cli {
    /// A subcommand; without one, keyscan scans PATHs.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Scan options.
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the scan options does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// List the built-in rules, or show one with its examples.
    Rules(RulesArgs),
    /// Write the current findings as a baseline (to stdout, or -o FILE).
    Baseline(BaselineArgs),
    /// Install a git pre-commit hook that scans staged changes, or a
    /// coding agent's hook (--agent).
    InstallHook(InstallHookArgs),
    /// Run as a coding agent's hook: read the agent's JSON event on stdin,
    /// scan the prompt, file or command it holds, and answer in the
    /// agent's protocol (blocking when it holds a secret).
    Hook(HookArgs),
    /// Merge the reports of `--repos` runs (shards) into one report.
    Merge(MergeArgs),
}

/// `keyscan hook`.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// The agent whose hook protocol to speak.
    #[arg(long, value_enum, value_name = "NAME")]
    pub agent: crate::agent::Agent,
    /// Block when the input cannot be understood or scanned (by default
    /// it is let through with a one-line warning).
    #[arg(long)]
    pub fail_closed: bool,
}

/// `keyscan merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports to merge: JSON or JSON Lines reports of `--repos` runs,
    /// merged reports, or checkpoints.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, id = "merge_format", default_value_t = Format::Json)]
    pub format: Format,
    /// Write the merged report to FILE instead of stdout (`-`).
    #[arg(short, long, value_name = "FILE", id = "merge_output")]
    pub output: Option<PathBuf>,
    /// Keep only findings that are not in FILE: an earlier merged report
    /// (by repository and fingerprint) or a baseline file.
    #[arg(long, value_name = "FILE", id = "merge_baseline")]
    pub baseline: Option<PathBuf>,
    /// SARIF: the category prefix; each repository's run gets
    /// `PREFIX<repository>/`.
    #[arg(
        long,
        value_name = "PREFIX",
        id = "merge_sarif_category",
        default_value = "keyscan/"
    )]
    pub sarif_category: String,
    /// SARIF: describe every rule, not only those that fired.
    #[arg(long, id = "merge_sarif_all_rules")]
    pub sarif_all_rules: bool,
    /// Exit code when there are findings.
    #[arg(long, value_name = "N", id = "merge_exit_code", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=255))]
    pub exit_code: u8,
    /// No summary on stderr.
    #[arg(short, long, id = "merge_quiet")]
    pub quiet: bool,
}

/// `keyscan baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Report the entries of FILE that no longer match any finding, and print
    /// the baseline without them.
    #[arg(long, value_name = "FILE")]
    pub prune: Option<PathBuf>,
    /// Scan options.
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `keyscan install-hook`.
#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// Replace an existing pre-commit hook.
    #[arg(long, conflicts_with = "agent")]
    pub force: bool,
    /// Add keyscan's hook to this coding agent's configuration instead
    /// (merged into it, idempotently).
    #[arg(long, value_enum, value_name = "NAME")]
    pub agent: Option<crate::agent::Agent>,
    /// With --agent: the project's configuration (under REPO) or the
    /// user's (under the home directory).
    #[arg(long, value_enum, value_name = "SCOPE", requires = "agent")]
    pub scope: Option<crate::agent::install::Scope>,
    /// The repository (default: the current directory).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
}

/// `keyscan rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `show ID` prints one rule with its examples.
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    /// Output format.
    #[arg(long = "format", id = "rules_format", value_enum, default_value_t = RulesFormat::Text, global = true)]
    pub format: RulesFormat,
}

/// `keyscan rules` actions.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print one rule with its examples.
    Show {
        /// Rule id.
        id: String,
    },
}

/// Formats of `keyscan rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// A table.
    Text,
    /// A JSON array.
    Json,
    /// A Markdown table (`docs/RULES.md` is this output).
    Markdown,
}

/// Options of a scan.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum)]
    pub format: Option<Format>,

    /// Write the report to FILE (mode 0600; replaces a regular file only)
    /// instead of stdout (`-`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// When to use colours (NO_COLOR is honoured in auto mode).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print secrets in full (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,

    /// Also scan files excluded by .gitignore, .ignore and git excludes.
    #[arg(long)]
    pub no_ignore: bool,

    /// Scan hidden files and directories (the default; .git/ is never scanned).
    #[arg(long, overrides_with = "no_hidden")]
    pub hidden: bool,

    /// Skip hidden files and directories.
    #[arg(long, overrides_with = "hidden")]
    pub no_hidden: bool,

    /// Follow symbolic links.
    #[arg(long)]
    pub follow: bool,

    /// Skip files larger than SIZE (e.g. 25MiB, 512K); skipped files are counted.
    #[arg(long, value_name = "SIZE")]
    pub max_file_size: Option<String>,

    /// Skip every binary file (by default binary files are scanned as bytes).
    #[arg(long)]
    pub no_binary: bool,

    /// Worker threads (default: one per core; at most 4 per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Print only findings: no progress, no summary, no warnings.
    #[arg(short, long)]
    pub quiet: bool,

    /// Also print each file skipped and why (to stderr; paths only, never contents).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Exit code when there are findings.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=255))]
    pub exit_code: u8,

    /// Only findings at or above this severity fail the run (all are reported).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<crate::rules::Severity>,

    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Also write the findings of this scan as a baseline to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// SARIF: describe every rule, not only those that fired.
    #[arg(long)]
    pub sarif_all_rules: bool,

    /// SARIF: the upload category (runAutomationDetails.id).
    #[arg(long, value_name = "ID", default_value = DEFAULT_SARIF_CATEGORY)]
    pub sarif_category: String,

    /// Configuration file (default: .keyscan.toml at the scanned root).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Ignore any configuration file.
    #[arg(long)]
    pub no_config: bool,

    /// Report only findings of at least this confidence: `high` (a checksum,
    /// marker or unmistakable prefix), `medium` (a provider format that
    /// needs context), `low` (generic; the default reports all).
    #[arg(long, value_enum, value_name = "CONFIDENCE")]
    pub min_confidence: Option<crate::rules::Confidence>,

    /// Report encrypted private keys too (PEM `ENCRYPTED`, OpenSSH keys
    /// with a cipher): off by default, as they are useless without their
    /// passphrase.
    #[arg(long)]
    pub include_encrypted_keys: bool,

    /// Ignore inline `keyscan:allow` comments (for audits).
    #[arg(long)]
    pub no_inline_allow: bool,

    /// Scan the git history of the repository at PATH: every blob reachable
    /// from any ref, each once, attributed to the commit that introduced it
    /// (--unreachable adds the blobs no ref reaches).
    #[arg(long)]
    pub history: bool,

    /// With --history: also scan the blobs no ref reaches (amended, reset
    /// or hook-refused commits that never left this clone), reported
    /// without a commit.
    #[arg(long, requires = "history")]
    pub unreachable: bool,

    /// Scan only what the commits since REF introduced (REF..HEAD).
    #[arg(long, value_name = "REF", conflicts_with = "range")]
    pub since: Option<String>,

    /// Scan only what the commits in A..B introduced (CI on a pull request:
    /// --range origin/main..HEAD); A...B scans what either side introduced
    /// since their merge base. An empty, all-zero or unknown commit A (a
    /// push's "before") scans the commits no remote-tracking branch holds,
    /// with a warning.
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,

    /// Exit 2 when the scan read nothing at all (zero bytes): a CI job
    /// whose paths or range select nothing fails instead of passing.
    #[arg(long)]
    pub fail_on_empty: bool,

    /// Scan what is staged in the index and not yet committed: findings on
    /// added or changed lines only (for a pre-commit hook).
    #[arg(long, conflicts_with_all = ["history", "since", "range"])]
    pub staged: bool,

    /// Scan archives (zip, jar, whl, tar, tar.gz, gz) as bytes instead of
    /// reading their entries.
    #[arg(long)]
    pub no_archives: bool,

    /// Open archives inside archives down to N levels (1: the entries of
    /// the archive on disk only).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub archive_depth: u32,

    /// Stop reading an archive (nested ones included) after SIZE of
    /// uncompressed data: a zip bomb is stopped and reported.
    #[arg(long, value_name = "SIZE", default_value = "256MiB")]
    pub archive_max_size: String,

    /// Stop reading an archive (nested ones included) after N entries.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub archive_max_entries: u64,

    /// Scan Jupyter notebooks as JSON text instead of cell by cell.
    #[arg(long)]
    pub no_notebooks: bool,

    /// Do not decode base64 values (HTTP Basic headers, Docker auths,
    /// Kubernetes Secret data).
    #[arg(long)]
    pub no_decode: bool,

    /// Scan UTF-16 files as bytes instead of transcoding them.
    #[arg(long)]
    pub no_utf16: bool,

    /// Do not report env files (.env, .env.local...) that git tracks.
    #[arg(long)]
    pub no_env_files: bool,

    /// Ask each finding's provider whether the secret is live (network:
    /// only the provider hosts the rules name; nothing is sent otherwise).
    #[arg(long)]
    pub verify: bool,

    /// With --verify: requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = crate::verify::DEFAULT_JOBS as u16, requires = "verify",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub verify_jobs: u16,

    /// With --verify: requests per second to one provider host.
    #[arg(long, value_name = "N", default_value_t = crate::verify::DEFAULT_RATE_PER_HOST, requires = "verify",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub verify_rate: u32,

    /// With --verify: seconds allowed for one request, answer included
    /// (connecting: at most 5).
    #[arg(long, value_name = "SECS", default_value_t = 15, requires = "verify",
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub verify_timeout: u64,

    /// With --verify: send the requests meant for provider HOST to URL, a
    /// loopback address (127.0.0.1, ::1 or localhost), e.g. a mock server.
    #[arg(long, value_name = "HOST=URL", requires = "verify")]
    pub verify_override: Vec<crate::verify::Override>,

    /// With --verify: report only the findings whose secret is live.
    #[arg(long, requires = "verify")]
    pub only_live: bool,

    /// With --verify: fail (exit 1, or --exit-code) only when a live secret
    /// is found.
    #[arg(long, requires = "verify")]
    pub fail_on_live: bool,

    /// Scan the repositories listed in FILE, one a line: local paths, or
    /// git URLs (https, ssh, git, file) cloned as bare mirrors.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["paths", "staged", "since", "range", "verify", "write_baseline"])]
    pub repos: Option<PathBuf>,

    /// With --repos: where mirrors of remote repositories are kept and
    /// updated between runs (default: ~/.cache/keyscan/mirrors).
    #[arg(long, value_name = "DIR", requires = "repos")]
    pub clone_dir: Option<PathBuf>,

    /// With --repos: seconds allowed to clone or update one repository.
    #[arg(long, value_name = "SECS", default_value_t = 600, requires = "repos",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub clone_timeout: u64,

    /// With --repos: repositories cloned and scanned at a time.
    #[arg(long, value_name = "N", default_value_t = 2, requires = "repos",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub repo_jobs: u16,

    /// With --repos: scan only shard I of N (0-based), chosen by a hash of
    /// each repository's name; `auto/N` reads I from --shard-env.
    #[arg(long, value_name = "I/N", requires = "repos")]
    pub shard: Option<String>,

    /// With --shard auto/N: the environment variable that holds the index.
    #[arg(
        long,
        value_name = "VAR",
        default_value = "JOB_COMPLETION_INDEX",
        requires = "shard"
    )]
    pub shard_env: String,

    /// With --repos: record each repository as it is done in FILE, and skip
    /// those FILE already records (a retried shard resumes).
    #[arg(long, value_name = "FILE", requires = "repos")]
    pub checkpoint: Option<PathBuf>,

    /// Report at most N findings per file (or blob); the rest are counted
    /// and a warning names the file. 0: no cap.
    #[arg(long, value_name = "N", default_value_t = keyscan_default_cap())]
    pub max_findings_per_file: usize,
}

/// The default of `--sarif-category`.
pub const DEFAULT_SARIF_CATEGORY: &str = "keyscan/";

fn keyscan_default_cap() -> usize {
    crate::scan::MAX_FINDINGS_PER_FILE
}
