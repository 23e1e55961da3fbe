//! Coding agents' command hooks: what a hook's JSON input asks keyscan to
//! scan, and the answer each agent's protocol expects. Pure data in, data
//! out: the command line ([`crate::cli`]) reads standard input, scans the
//! [`Subject`]s with the engine and prints the [`Response`].
//!
//! Each agent runs a command at points of its loop, with one JSON object
//! on standard input, and reads the command's exit code and standard
//! output:
//!
//! - **Claude Code** (<https://docs.claude.com/en/docs/claude-code/hooks>):
//!   `UserPromptSubmit` carries `prompt`; `PreToolUse` carries `tool_name`
//!   and `tool_input`. A block is `{"decision":"block","reason":…}` for a
//!   prompt and `hookSpecificOutput.permissionDecision: "deny"` for a tool,
//!   both with exit 0; exit 2 blocks with standard error as the reason; any
//!   other non-zero exit is a non-blocking error.
//! - **Cursor** (<https://cursor.com/docs/agent/hooks>):
//!   `beforeSubmitPrompt` (`prompt`), `beforeReadFile` (`file_path`,
//!   `content`), `beforeShellExecution` (`command`, `cwd`),
//!   `beforeMCPExecution` (`tool_name`, `tool_input`). The answer is JSON:
//!   `{"continue":false,"user_message":…}` for a prompt,
//!   `{"permission":"deny","user_message":…,"agent_message":…}` otherwise.
//! - **Gemini CLI** (<https://geminicli.com/docs/hooks/reference>):
//!   `BeforeAgent` (`prompt`) and `BeforeTool` (`tool_name`, `tool_input`);
//!   a block is `{"decision":"deny","reason":…}` with exit 0, exit 2 blocks
//!   with standard error as the reason, other exits are warnings.
//!
//! What is scanned: a prompt; the content a tool is about to write (never
//! the text an edit replaces, so that removing a secret is never refused);
//! the file a tool is about to read; a shell command; the string values of
//! any other tool's input. A block names each secret's rule and where it
//! is, never the secret.
//!
//! Input that cannot be understood fails open by default: the protocol's
//! non-blocking error path (exit 1 and one line on standard error), so a
//! hook that breaks does not stop the agent. `--fail-closed` blocks
//! instead.

pub mod install;

use std::path::PathBuf;

use serde_json::{json, Map, Value};

/// The agents keyscan speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Agent {
    /// Claude Code: `UserPromptSubmit` and `PreToolUse` hooks.
    ClaudeCode,
    /// Cursor: `beforeSubmitPrompt`, `beforeReadFile`,
    /// `beforeShellExecution` and `beforeMCPExecution` hooks.
    Cursor,
    /// Gemini CLI: `BeforeAgent` and `BeforeTool` hooks.
    GeminiCli,
}

impl Agent {
    /// The name on the command line (`claude-code`).
    pub fn name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Cursor => "cursor",
            Agent::GeminiCli => "gemini-cli",
        }
    }
}

/// Something to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Text the agent holds: shown in findings as `label`.
    Text {
        /// Where it is (`(prompt)`, `(Bash command)`, or the path a tool
        /// is about to write).
        label: String,
        /// The text.
        text: String,
    },
    /// A file the agent is about to read.
    File(PathBuf),
}

/// What a hook's input asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The event (`PreToolUse`, `beforeShellExecution`...).
    pub event: String,
    /// The agent's working directory, when it says.
    pub cwd: Option<PathBuf>,
    /// What to scan; empty for an event keyscan does not gate.
    pub subjects: Vec<Subject>,
}

/// One secret found, as a block may name it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Rule id.
    pub rule_id: String,
    /// `path:line:column` (or `(prompt):line:column`).
    pub location: String,
}

/// The answer to the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Exit code.
    pub code: u8,
    /// Standard output (JSON, or empty).
    pub stdout: String,
    /// Standard error (one line, or empty).
    pub stderr: String,
}

/// Parse a hook's input.
pub fn parse(agent: Agent, input: &[u8]) -> Result<Request, String> {
    let v: Value =
        serde_json::from_slice(input).map_err(|e| format!("hook input is not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| "hook input is not a JSON object".to_string())?;
    let event = str_field(obj, "hook_event_name")
        .ok_or_else(|| "hook input has no hook_event_name".to_string())?
        .to_string();
    let cwd = str_field(obj, "cwd").map(PathBuf::from).or_else(|| {
        obj.get("workspace_roots")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(PathBuf::from)
    });
    let subjects = match (agent, event.as_str()) {
        (Agent::ClaudeCode, "UserPromptSubmit")
        | (Agent::Cursor, "beforeSubmitPrompt")
        | (Agent::GeminiCli, "BeforeAgent") => {
            let prompt =
                str_field(obj, "prompt").ok_or_else(|| format!("{event} input has no prompt"))?;
            vec![text("(prompt)", prompt)]
        }
        (Agent::ClaudeCode, "PreToolUse") | (Agent::GeminiCli, "BeforeTool") => {
            let tool = str_field(obj, "tool_name")
                .ok_or_else(|| format!("{event} input has no tool_name"))?;
            let input = obj.get("tool_input").unwrap_or(&Value::Null);
            tool_subjects(agent, tool, input)
        }
        (Agent::Cursor, "beforeReadFile") => {
            let path = str_field(obj, "file_path")
                .ok_or_else(|| "beforeReadFile input has no file_path".to_string())?;
            match str_field(obj, "content") {
                Some(content) => vec![text(path, content)],
                None => vec![Subject::File(PathBuf::from(path))],
            }
        }
        (Agent::Cursor, "beforeShellExecution") => {
            let command = str_field(obj, "command")
                .ok_or_else(|| "beforeShellExecution input has no command".to_string())?;
            vec![text("(shell command)", command)]
        }
        (Agent::Cursor, "beforeMCPExecution") => {
            let tool = str_field(obj, "tool_name").unwrap_or("MCP tool");
            let mut out = Vec::new();
            let label = format!("({tool} input)");
            match obj.get("tool_input") {
                // Cursor has sent the input both as an object and as a
                // string of JSON.
                Some(Value::String(s)) => out.push(text(&label, s)),
                Some(v) => push_strings(&label, v, &mut out),
                None => {}
            }
            out
        }
        // An event keyscan does not gate (a PostToolUse hook, a stop hook).
        _ => Vec::new(),
    };
    Ok(Request {
        event,
        cwd,
        subjects,
    })
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn text(label: &str, text: &str) -> Subject {
    Subject::Text {
        label: label.to_string(),
        text: text.to_string(),
    }
}

/// What a tool call would expose: the content it writes, the file it reads,
/// the command it runs, or every string of its input.
fn tool_subjects(agent: Agent, tool: &str, input: &Value) -> Vec<Subject> {
    let field = |k: &str| input.get(k).and_then(Value::as_str);
    let path = field("file_path")
        .or_else(|| field("absolute_path"))
        .or_else(|| field("notebook_path"))
        .unwrap_or("(file)");
    let mut out = Vec::new();
    match (agent, tool) {
        (Agent::ClaudeCode, "Write") | (Agent::GeminiCli, "write_file") => {
            out.extend(field("content").map(|c| text(path, c)));
        }
        (Agent::ClaudeCode, "Edit") | (Agent::GeminiCli, "replace") => {
            out.extend(field("new_string").map(|c| text(path, c)));
        }
        (Agent::ClaudeCode, "MultiEdit") => {
            for e in input
                .get("edits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.extend(
                    e.get("new_string")
                        .and_then(Value::as_str)
                        .map(|c| text(path, c)),
                );
            }
        }
        (Agent::ClaudeCode, "NotebookEdit") => {
            out.extend(field("new_source").map(|c| text(path, c)));
        }
        (Agent::ClaudeCode, "Read") | (Agent::GeminiCli, "read_file") => {
            if path != "(file)" {
                out.push(Subject::File(PathBuf::from(path)));
            }
        }
        (Agent::ClaudeCode, "Bash") | (Agent::GeminiCli, "run_shell_command") => {
            out.extend(field("command").map(|c| text(&format!("({tool} command)"), c)));
        }
        _ => push_strings(&format!("({tool} input)"), input, &mut out),
    }
    out
}

/// Every string in `v`, as texts labelled `label`.
fn push_strings(label: &str, v: &Value, out: &mut Vec<Subject>) {
    match v {
        Value::String(s) => out.push(text(label, s)),
        Value::Array(a) => a.iter().for_each(|v| push_strings(label, v, out)),
        Value::Object(o) => o.values().for_each(|v| push_strings(label, v, out)),
        _ => {}
    }
}

/// Whether the event is about a prompt (as opposed to a tool call).
fn is_prompt(event: &str) -> bool {
    matches!(
        event,
        "UserPromptSubmit" | "beforeSubmitPrompt" | "BeforeAgent"
    )
}

/// The reason given for a block: the rules and places, never the secrets.
pub fn reason(found: &[Found]) -> String {
    const NAMED: usize = 5;
    let mut places: Vec<String> = found
        .iter()
        .take(NAMED)
        .map(|f| format!("{} at {}", f.rule_id, f.location))
        .collect();
    if found.len() > NAMED {
        places.push(format!("and {} more", found.len() - NAMED));
    }
    format!(
        "keyscan: blocked, {} secret{} found ({}). Remove {} or read {} from the environment, \
         then try again; a false positive can be allowlisted in .keyscan.toml.",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        places.join(", "),
        if found.len() == 1 { "it" } else { "them" },
        if found.len() == 1 { "it" } else { "them" },
    )
}

/// The answer to `request` given the secrets `found` in it: let it through
/// when there are none, block it otherwise.
pub fn respond(agent: Agent, request: &Request, found: &[Found]) -> Response {
    let ok = |stdout: String| Response {
        code: 0,
        stdout,
        stderr: String::new(),
    };
    let prompt = is_prompt(&request.event);
    if found.is_empty() {
        return ok(match agent {
            Agent::ClaudeCode => String::new(),
            Agent::Cursor if prompt => json!({"continue": true}).to_string(),
            Agent::Cursor if request.event.starts_with("before") => {
                json!({"permission": "allow"}).to_string()
            }
            Agent::Cursor => json!({}).to_string(),
            Agent::GeminiCli => json!({}).to_string(),
        });
    }
    let why = reason(found);
    let answer = match agent {
        Agent::ClaudeCode if prompt => json!({"decision": "block", "reason": why}),
        Agent::ClaudeCode => json!({
            "hookSpecificOutput": {
                "hookEventName": request.event,
                "permissionDecision": "deny",
                "permissionDecisionReason": why,
            }
        }),
        Agent::Cursor if prompt => json!({"continue": false, "user_message": why}),
        Agent::Cursor => json!({
            "permission": "deny",
            "user_message": why,
            "agent_message": why,
        }),
        Agent::GeminiCli => json!({"decision": "deny", "reason": why}),
    };
    ok(answer.to_string())
}

/// The answer when the input cannot be understood (or the scan failed):
/// the protocol's non-blocking error by default, a block when
/// `fail_closed`.
pub fn failure(agent: Agent, problem: &str, fail_closed: bool) -> Response {
    let problem = crate::text::one_line(problem);
    if !fail_closed {
        return Response {
            code: 1,
            stdout: String::new(),
            stderr: format!("keyscan: {problem}; not checked, let through"),
        };
    }
    let why = format!("keyscan: {problem}; blocked (--fail-closed)");
    match agent {
        // Exit 2 blocks, with standard error as the reason.
        Agent::ClaudeCode | Agent::GeminiCli => Response {
            code: 2,
            stdout: String::new(),
            stderr: why,
        },
        // The event is unknown: both the prompt and the permission answer.
        Agent::Cursor => Response {
            code: 2,
            stdout: json!({
                "continue": false,
                "permission": "deny",
                "user_message": why,
                "agent_message": why,
            })
            .to_string(),
            stderr: why,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_is_scanned_for_what_it_writes_not_what_it_replaces() {
        let input = br#"{"hook_event_name":"PreToolUse","cwd":"/p","tool_name":"Edit",
            "tool_input":{"file_path":"/p/a.py","old_string":"OLD","new_string":"NEW"}}"#;
        let r = parse(Agent::ClaudeCode, input).unwrap();
        assert_eq!(r.subjects, [text("/p/a.py", "NEW")]);
        assert_eq!(r.cwd.as_deref(), Some(std::path::Path::new("/p")));
    }

    #[test]
    fn unknown_tools_are_scanned_by_their_strings() {
        let input = br#"{"hook_event_name":"PreToolUse","tool_name":"mcp__db__query",
            "tool_input":{"sql":"select 1","opts":{"note":"n"},"n":3}}"#;
        let r = parse(Agent::ClaudeCode, input).unwrap();
        let label = "(mcp__db__query input)";
        assert_eq!(r.subjects, [text(label, "n"), text(label, "select 1")]);
    }

    #[test]
    fn events_not_gated_have_nothing_to_scan() {
        let r = parse(Agent::ClaudeCode, br#"{"hook_event_name":"Stop"}"#).unwrap();
        assert!(r.subjects.is_empty());
        assert_eq!(respond(Agent::ClaudeCode, &r, &[]).stdout, "");
    }

    #[test]
    fn malformed_input_fails_open_unless_asked() {
        let e = parse(Agent::Cursor, b"{not json").unwrap_err();
        let open = failure(Agent::Cursor, &e, false);
        assert_eq!((open.code, open.stdout.as_str()), (1, ""));
        assert!(open.stderr.ends_with("not checked, let through"));
        let closed = failure(Agent::ClaudeCode, &e, true);
        assert_eq!(closed.code, 2);
    }

    #[test]
    fn the_reason_names_rules_and_places_only() {
        let found: Vec<Found> = (0..7)
            .map(|i| Found {
                rule_id: "aws-access-key".into(),
                location: format!("(prompt):{i}:1"),
            })
            .collect();
        let r = reason(&found);
        assert!(
            r.starts_with("keyscan: blocked, 7 secrets found (aws-access-key at (prompt):0:1, ")
        );
        assert!(r.contains("(prompt):4:1, and 2 more)"));
    }
}
