//! `keyscan install-hook --agent NAME`: the agent's configuration with
//! keyscan's hook merged in. Pure: existing text in, new text out; the
//! command line finds the file and writes it.
//!
//! Merging keeps every other setting and every other hook, adds keyscan's
//! hook to each event it gates, and adds nothing to an event that already
//! runs `keyscan hook --agent NAME` (so running it twice changes nothing).

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::Agent;

/// Where the configuration goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scope {
    /// The project's configuration (committed, shared with the team).
    Project,
    /// The user's configuration (every project on this machine).
    User,
}

/// Claude Code's tools whose input is scanned.
pub const CLAUDE_TOOLS: &str = "Write|Edit|MultiEdit|NotebookEdit|Read|Bash|mcp__.*";
/// Gemini CLI's tools whose input is scanned.
pub const GEMINI_TOOLS: &str = "write_file|replace|read_file|run_shell_command|mcp__.*";

/// The command an agent runs.
pub fn command(agent: Agent) -> String {
    format!("keyscan hook --agent {}", agent.name())
}

/// The configuration file of `agent` for `scope`: under `project`, or
/// under `home` for the user's.
pub fn config_path(agent: Agent, scope: Scope, project: &Path, home: &Path) -> PathBuf {
    let base = match scope {
        Scope::Project => project,
        Scope::User => home,
    };
    match agent {
        Agent::ClaudeCode => base.join(".claude").join("settings.json"),
        Agent::Cursor => base.join(".cursor").join("hooks.json"),
        Agent::GeminiCli => base.join(".gemini").join("settings.json"),
    }
}

/// The events keyscan's hook is added to, with the matcher each takes.
fn events(agent: Agent) -> Vec<(&'static str, Option<&'static str>)> {
    match agent {
        Agent::ClaudeCode => vec![
            ("UserPromptSubmit", None),
            ("PreToolUse", Some(CLAUDE_TOOLS)),
        ],
        Agent::Cursor => vec![
            ("beforeSubmitPrompt", None),
            ("beforeReadFile", None),
            ("beforeShellExecution", None),
            ("beforeMCPExecution", None),
        ],
        Agent::GeminiCli => vec![("BeforeAgent", None), ("BeforeTool", Some(GEMINI_TOOLS))],
    }
}

/// The result of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new file's text.
    pub text: String,
    /// The events the hook was added to (empty: it was there already).
    pub added: Vec<&'static str>,
}

/// `existing` (the file's text, if there is one) with keyscan's hook
/// merged in. An existing file that is not a JSON object is an error: it
/// is never overwritten.
pub fn merge(agent: Agent, existing: Option<&str>) -> Result<Merged, String> {
    let mut root = match existing.map(str::trim) {
        None | Some("") => Value::Object(Map::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?,
    };
    let obj = root
        .as_object_mut()
        .ok_or_else(|| "not a JSON object".to_string())?;
    if agent == Agent::Cursor {
        obj.entry("version").or_insert(json!(1));
    }
    let hooks = obj
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| "\"hooks\" is not a JSON object".to_string())?;
    let cmd = command(agent);
    let mut added = Vec::new();
    for (event, matcher) in events(agent) {
        let list = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .ok_or_else(|| format!("\"hooks.{event}\" is not a JSON array"))?;
        if list.iter().any(|entry| runs(entry, &cmd)) {
            continue;
        }
        list.push(match agent {
            Agent::Cursor => json!({"command": cmd}),
            Agent::ClaudeCode | Agent::GeminiCli => {
                let mut hook = json!({"type": "command", "command": cmd});
                if agent == Agent::GeminiCli {
                    hook["name"] = json!("keyscan");
                }
                let mut entry = json!({"hooks": [hook]});
                if let Some(m) = matcher {
                    entry["matcher"] = json!(m);
                }
                entry
            }
        });
        added.push(event);
    }
    let mut text = serde_json::to_string_pretty(&root).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(Merged { text, added })
}

/// Whether a hook entry (or a group of hooks) runs `cmd`.
fn runs(entry: &Value, cmd: &str) -> bool {
    let is = |v: &Value| {
        v.get("command")
            .and_then(Value::as_str)
            .is_some_and(|c| c.trim() == cmd || c.trim().ends_with(&format!("/{cmd}")))
    };
    is(entry)
        || entry
            .get("hooks")
            .and_then(Value::as_array)
            .is_some_and(|hs| hs.iter().any(is))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_twice_changes_nothing() {
        let once = merge(Agent::ClaudeCode, None).unwrap();
        assert_eq!(once.added, ["UserPromptSubmit", "PreToolUse"]);
        let twice = merge(Agent::ClaudeCode, Some(&once.text)).unwrap();
        assert!(twice.added.is_empty());
        assert_eq!(twice.text, once.text);
    }

    #[test]
    fn a_file_that_is_not_an_object_is_refused() {
        assert!(merge(Agent::Cursor, Some("[1, 2]")).is_err());
        assert!(merge(Agent::Cursor, Some("{\"hooks\": 3}")).is_err());
        assert!(merge(Agent::Cursor, Some("{oops")).is_err());
    }
}
