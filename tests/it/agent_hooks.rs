//! `keyscan hook --agent NAME` on recorded hook inputs
//! (fixtures/agent-hooks/): the exact exit code, the JSON answer on
//! standard output, and standard error, which never holds the secret; and
//! `keyscan install-hook --agent NAME`, which merges into the agent's
//! configuration and is idempotent.

use serde_json::{json, Value};

use crate::common::{root, Tree, ALL_SECRETS, GITHUB, HF};

/// The run of the hook on `input`: (exit code, stdout, stderr).
fn hook(agent: &str, input: &[u8], extra: &[&str]) -> (i32, String, String) {
    let t = Tree::new();
    let out = t
        .keyscan()
        .args(["hook", "--agent", agent])
        .args(extra)
        .write_stdin(input)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    for s in ALL_SECRETS {
        assert!(!stdout.contains(s) && !stderr.contains(s), "secret echoed");
    }
    (out.status.code().unwrap(), stdout, stderr)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/agent-hooks").join(name)).unwrap()
}

fn reason(rule_and_place: &str) -> String {
    format!(
        "keyscan: blocked, 1 secret found ({rule_and_place}). Remove it or read it from the \
         environment, then try again; a false positive can be allowlisted in .keyscan.toml."
    )
}

/// The hook's answer to a recorded input: exit code and parsed stdout
/// (`Value::Null` when empty); stderr must be empty.
fn answer(agent: &str, name: &str) -> (i32, Value) {
    let (code, stdout, stderr) = hook(agent, &fixture(name), &[]);
    assert_eq!(stderr, "", "{name}");
    let v = if stdout.is_empty() {
        Value::Null
    } else {
        assert!(
            stdout.ends_with('\n') && stdout.lines().count() == 1,
            "{stdout}"
        );
        serde_json::from_str(&stdout).unwrap()
    };
    (code, v)
}

const PROJECT: &str = "/tmp/keyscan-agent-fixture/project";

#[test]
fn claude_code_blocks_prompts_and_tool_calls_that_hold_a_secret() {
    assert_eq!(
        answer("claude-code", "claude-code/user-prompt-submit-secret.json"),
        (
            0,
            json!({"decision": "block", "reason": reason("openai-project-key at (prompt):2:26")})
        )
    );
    let deny = |why: String| {
        json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": why,
        }})
    };
    assert_eq!(
        answer("claude-code", "claude-code/pre-tool-use-write-secret.json"),
        (
            0,
            deny(reason(&format!(
                "github-classic-token at {PROJECT}/deploy/ci.yml:2:17"
            )))
        )
    );
    assert_eq!(
        answer(
            "claude-code",
            "claude-code/pre-tool-use-multiedit-secret.json"
        ),
        (
            0,
            deny(reason(&format!("huggingface-token at {PROJECT}/.env:1:10")))
        )
    );
    assert_eq!(
        answer("claude-code", "claude-code/pre-tool-use-bash-secret.json"),
        (0, deny(reason("aws-access-key at (Bash command):1:19")))
    );
}

#[test]
fn claude_code_lets_clean_input_and_secret_removals_through_silently() {
    for name in [
        "claude-code/user-prompt-submit-clean.json",
        "claude-code/pre-tool-use-edit-removes-secret.json",
    ] {
        assert_eq!(answer("claude-code", name), (0, Value::Null), "{name}");
    }
}

#[test]
fn claude_code_read_scans_the_file_about_to_be_read() {
    let t = Tree::new();
    let secret = t.file(".env", format!("HF_TOKEN={HF}\n"));
    let clean = t.file("notes.txt", "nothing to see\n");
    let input = |path: &std::path::Path| {
        json!({
            "session_id": "abc123",
            "cwd": t.path(),
            "hook_event_name": "PreToolUse",
            "tool_name": "Read",
            "tool_input": {"file_path": path},
        })
        .to_string()
    };
    let (code, stdout, stderr) = hook("claude-code", input(&secret).as_bytes(), &[]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let v: Value = serde_json::from_str(&stdout).unwrap();
    // Inside the working directory, the path is shown relative to it.
    assert_eq!(
        v["hookSpecificOutput"]["permissionDecisionReason"],
        json!(reason("huggingface-token at .env:1:10"))
    );
    assert_eq!(
        hook("claude-code", input(&clean).as_bytes(), &[]),
        (0, String::new(), String::new())
    );
    // The project's configuration applies: an allowlisted path passes.
    t.file(".keyscan.toml", "[allowlist]\npaths = [\".env\"]\n");
    assert_eq!(
        hook("claude-code", input(&secret).as_bytes(), &[]),
        (0, String::new(), String::new())
    );
}

#[test]
fn cursor_answers_each_event_in_its_own_shape() {
    let deny =
        |why: String| json!({"permission": "deny", "user_message": why, "agent_message": why});
    assert_eq!(
        answer("cursor", "cursor/before-submit-prompt-secret.json"),
        (
            0,
            json!({"continue": false, "user_message": reason("github-classic-token at (prompt):1:5")})
        )
    );
    assert_eq!(
        answer("cursor", "cursor/before-read-file-secret.json"),
        (
            0,
            deny(reason(&format!("huggingface-token at {PROJECT}/.env:1:10")))
        )
    );
    assert_eq!(
        answer("cursor", "cursor/before-shell-execution-secret.json"),
        (
            0,
            deny(reason("github-classic-token at (shell command):1:31"))
        )
    );
    assert_eq!(
        answer("cursor", "cursor/before-mcp-execution-secret.json"),
        (
            0,
            deny(reason("openai-project-key at (create_secret input):1:30"))
        )
    );
    assert_eq!(
        answer("cursor", "cursor/before-shell-execution-clean.json"),
        (0, json!({"permission": "allow"}))
    );
}

#[test]
fn gemini_cli_denies_with_a_decision() {
    assert_eq!(
        answer("gemini-cli", "gemini-cli/before-agent-secret.json"),
        (
            0,
            json!({"decision": "deny", "reason": reason("aws-access-key at (prompt):1:11")})
        )
    );
    assert_eq!(
        answer(
            "gemini-cli",
            "gemini-cli/before-tool-write-file-secret.json"
        ),
        (
            0,
            json!({"decision": "deny", "reason": reason(&format!("openai-project-key at {PROJECT}/config.py:1:8"))})
        )
    );
    assert_eq!(
        answer("gemini-cli", "gemini-cli/before-tool-shell-clean.json"),
        (0, json!({}))
    );
}

#[test]
fn malformed_input_fails_open_with_one_line_or_closed_when_asked() {
    let bad = fixture("malformed.json");
    for agent in ["claude-code", "cursor", "gemini-cli"] {
        let (code, stdout, stderr) = hook(agent, &bad, &[]);
        assert_eq!((code, stdout.as_str()), (1, ""), "{agent}");
        assert_eq!(
            stderr,
            "keyscan: hook input is not JSON: EOF while parsing a value at line 2 column 0; \
             not checked, let through\n"
        );
    }
    let (code, stdout, stderr) = hook("claude-code", &bad, &["--fail-closed"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.ends_with("; blocked (--fail-closed)\n"), "{stderr}");
    let (code, stdout, _) = hook("cursor", &bad, &["--fail-closed"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&v["permission"], &v["continue"]),
        (&json!("deny"), &json!(false))
    );
    // Valid JSON without an event is malformed too.
    let (code, _, stderr) = hook("claude-code", b"{\"prompt\": \"hi\"}", &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no hook_event_name"), "{stderr}");
}

#[test]
fn install_hook_merges_into_each_agents_configuration_idempotently() {
    let t = Tree::new();
    // An existing Claude Code configuration: other settings and hooks stay.
    t.file(
        ".claude/settings.json",
        r#"{"permissions": {"allow": ["Bash(cargo test:*)"]},
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./audit.sh"}]}]}}"#,
    );
    let install = |agent: &str| {
        let out = t
            .keyscan()
            .args(["install-hook", "--agent", agent])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(t.path().join(p)).unwrap()).unwrap()
    };
    let said = install("claude-code");
    assert!(said.contains("(UserPromptSubmit, PreToolUse)"), "{said}");
    let cmd = json!([{"type": "command", "command": "keyscan hook --agent claude-code"}]);
    let expected = json!({
        "permissions": {"allow": ["Bash(cargo test:*)"]},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "./audit.sh"}]},
                {"matcher": "Write|Edit|MultiEdit|NotebookEdit|Read|Bash|mcp__.*", "hooks": cmd},
            ],
            "UserPromptSubmit": [{"hooks": cmd}],
        }
    });
    assert_eq!(read(".claude/settings.json"), expected);
    let before = std::fs::read(t.path().join(".claude/settings.json")).unwrap();
    assert!(install("claude-code").contains("nothing to do"));
    assert_eq!(
        std::fs::read(t.path().join(".claude/settings.json")).unwrap(),
        before
    );

    install("cursor");
    let c = json!([{"command": "keyscan hook --agent cursor"}]);
    assert_eq!(
        read(".cursor/hooks.json"),
        json!({"version": 1, "hooks": {
            "beforeSubmitPrompt": c, "beforeReadFile": c,
            "beforeShellExecution": c, "beforeMCPExecution": c,
        }})
    );
    assert!(install("cursor").contains("nothing to do"));

    install("gemini-cli");
    let g = json!([{"type": "command", "command": "keyscan hook --agent gemini-cli", "name": "keyscan"}]);
    assert_eq!(
        read(".gemini/settings.json"),
        json!({"hooks": {
            "BeforeAgent": [{"hooks": g}],
            "BeforeTool": [{"matcher": "write_file|replace|read_file|run_shell_command|mcp__.*", "hooks": g}],
        }})
    );

    // The user scope writes under HOME.
    let home = Tree::new();
    let out = t
        .keyscan()
        .env("HOME", home.path())
        .args(["install-hook", "--agent", "cursor", "--scope", "user"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(home.path().join(".cursor/hooks.json").is_file());

    // A configuration that is not JSON is left alone, with an error.
    t.file(".claude/settings.json", "{ broken");
    let out = t
        .keyscan()
        .args(["install-hook", "--agent", "claude-code"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(t.path().join(".claude/settings.json")).unwrap(),
        "{ broken"
    );
    // --force is for the git hook only.
    let out = t
        .keyscan()
        .args(["install-hook", "--agent", "cursor", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_secret_written_under_an_allowlisted_path_passes() {
    // Writing a fake key into the project's fixtures is not a leak.
    let t = Tree::new();
    t.file(".keyscan.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    let input = |file: &str| {
        json!({
            "cwd": t.path(),
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": t.path().join(file), "content": format!("T={GITHUB}\n")},
        })
        .to_string()
    };
    assert_eq!(
        hook("claude-code", input("fixtures/t.env").as_bytes(), &[]),
        (0, String::new(), String::new())
    );
    let (code, stdout, _) = hook("claude-code", input("src/t.env").as_bytes(), &[]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("\"permissionDecision\":\"deny\""),
        "{stdout}"
    );
}
