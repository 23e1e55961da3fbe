//! `keyscan hook --agent NAME` and `keyscan install-hook --agent NAME`: the
//! glue between the agents' protocols ([`crate::agent`]) and the engine.
//!
//! A hook runs on every prompt and tool call, so it does only what the
//! event needs: an event keyscan does not gate answers before any rule is
//! compiled, and a scan is one thread over the texts in memory (no walk,
//! no thread pool).

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use clap::Parser;

use super::args::{Cli, HookArgs, InstallHookArgs};
use crate::agent::install::{self, Scope};
use crate::agent::{self, Agent, Found, Request, Response, Subject};

/// Most bytes of hook input read (a prompt with a pasted file is large,
/// but not this large).
const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Run `keyscan hook`.
pub fn run(args: &HookArgs) -> Result<u8> {
    let mut input = Vec::new();
    let read = io::stdin().lock().take(MAX_INPUT).read_to_end(&mut input);
    let response = match read {
        Err(e) => agent::failure(
            args.agent,
            &format!("cannot read the hook input: {e}"),
            args.fail_closed,
        ),
        Ok(_) => match agent::parse(args.agent, &input) {
            Err(e) => agent::failure(args.agent, &e, args.fail_closed),
            Ok(req) if req.subjects.is_empty() => agent::respond(args.agent, &req, &[]),
            Ok(req) => match scan(&req) {
                Ok(found) => agent::respond(args.agent, &req, &found),
                Err(e) => agent::failure(args.agent, &format!("{e:#}"), args.fail_closed),
            },
        },
    };
    emit(&response)?;
    Ok(response.code)
}

fn emit(r: &Response) -> Result<()> {
    if !r.stdout.is_empty() {
        let mut out = io::stdout().lock();
        writeln!(out, "{}", r.stdout)?;
        out.flush()?;
    }
    if !r.stderr.is_empty() {
        eprintln!("{}", r.stderr);
    }
    Ok(())
}

/// Scan what the request holds with the configuration of the agent's
/// working directory: the secrets found, by rule and place.
fn scan(req: &Request) -> Result<Vec<Found>> {
    let cwd = req
        .cwd
        .clone()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| PathBuf::from("."));
    let cli = Cli::try_parse_from([
        "keyscan".as_ref(),
        "--quiet".as_ref(),
        "-j".as_ref(),
        "1".as_ref(),
        cwd.as_os_str(),
    ])
    .map_err(|e| anyhow!("{e}"))?;
    let engine = super::build_engine(&cli.scan)?;
    let limit = engine.options().walk.max_file_size;
    let mut found = Vec::new();
    for subject in &req.subjects {
        let findings = match subject {
            Subject::Text { label, text } => {
                engine.scan_bytes(&shown(label, &cwd), text.as_bytes())
            }
            Subject::File(path) => {
                let path = if path.is_relative() {
                    cwd.join(path)
                } else {
                    path.clone()
                };
                let label = shown(&path.to_string_lossy(), &cwd);
                if engine.filter().skips_path(&label) {
                    continue;
                }
                // A file that cannot be read is the tool's error to report.
                let Ok(mut reader) = crate::files::open_regular(&path, limit, "a file") else {
                    continue;
                };
                let mut bytes = Vec::new();
                if reader.read_to_end(&mut bytes).is_err() {
                    continue;
                }
                engine.scan_bytes(&label, &bytes)
            }
        };
        found.extend(findings.into_iter().map(|f| Found {
            rule_id: f.rule_id,
            location: format!("{}:{}:{}", f.path, f.line, f.column),
        }));
    }
    Ok(found)
}

/// A path as findings show it: relative to the working directory when it
/// is inside it (so that the configuration's path allowlist applies).
fn shown(label: &str, cwd: &Path) -> String {
    let p = Path::new(label);
    if p.is_absolute() {
        let base = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
        for b in [cwd, base.as_path()] {
            if let Ok(rel) = p.strip_prefix(b) {
                return rel.to_string_lossy().replace('\\', "/");
            }
        }
    }
    label.to_string()
}

/// Run `keyscan install-hook --agent NAME`.
pub fn install(agent: Agent, args: &InstallHookArgs) -> Result<u8> {
    let scope = args.scope.unwrap_or(Scope::Project);
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from);
    let home = match (scope, home) {
        (Scope::User, None) => return Err(anyhow!("--scope user: HOME is not set")),
        (_, h) => h.unwrap_or_default(),
    };
    let path = install::config_path(agent, scope, &args.repo, &home);
    let existing = match crate::files::read_regular_to_string(&path, 16 << 20, "a configuration") {
        Ok(text) => Some(text),
        Err(crate::files::ReadError::Io(e)) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(anyhow!("{}: {e}", path.display())),
    };
    let merged = install::merge(agent, existing.as_deref())
        .map_err(|e| anyhow!("{}: {e}; not changed", path.display()))?;
    if merged.added.is_empty() {
        eprintln!(
            "keyscan: {} already runs `{}`; nothing to do",
            path.display(),
            install::command(agent)
        );
        return Ok(0);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    crate::files::write_replacing(&path, |w| w.write_all(merged.text.as_bytes()))
        .map_err(|e| anyhow!("{}: cannot write: {e}", path.display()))?;
    eprintln!(
        "keyscan: added `{}` to {} ({}); keyscan must be on the agent's PATH",
        install::command(agent),
        path.display(),
        merged.added.join(", ")
    );
    Ok(0)
}
