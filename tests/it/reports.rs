//! The text report's context (the line, the secret masked in place and
//! underlined, the fingerprint, one entry per secret) and the JUnit, CSV
//! and HTML reports, each parsed back to check its structure.

use crate::common::{json, Tree, ANTHROPIC, GITHUB, HF};

fn run(tree: &Tree, args: &[&str]) -> (String, String) {
    let out = tree.keyscan().args(args).output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// (path, fingerprint) of each finding of a JSON report.
fn fingerprints(tree: &Tree) -> Vec<(String, String)> {
    let out = tree
        .keyscan()
        .args(["--no-config", "-q", "--format", "json", "."])
        .output()
        .unwrap();
    json(&out.stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn text_report_groups_one_secret_found_in_many_places() {
    let t = Tree::new();
    t.file("a.env", format!("HF_TOKEN={HF}\n"));
    t.file("b/settings.py", format!("\n\ntoken = \"{HF}\"\n"));
    t.file("c.env", format!("GITHUB_TOKEN={GITHUB}\n"));
    let (out, _) = run(&t, &["--no-config", "-q", "."]);
    let fp = fingerprints(&t);
    assert_eq!(fp.len(), 3);
    let expected = format!(
        "\
high  huggingface-token  Hugging Face  hf_************oy  [confidence: high]  [2 places]
  --> a.env:1:10
1 | HF_TOKEN=hf_************oy
  |          ^^^^^^^^^^^^^^^^^
  = fingerprint: {}
  --> b/settings.py:3:10
3 | token = \"hf_************oy\"
  |          ^^^^^^^^^^^^^^^^^
  = fingerprint: {}
  = Hugging Face access token: revoke and rotate it at https://huggingface.co/settings/tokens

critical  github-classic-token  GitHub  ghp_************V9  [CRC32 checksum valid]  [confidence: high]
  --> c.env:1:14
1 | GITHUB_TOKEN=ghp_************V9
  |              ^^^^^^^^^^^^^^^^^^
  = fingerprint: {}
  = GitHub token: revoke and rotate it at https://github.com/settings/tokens
",
        fp[0].1, fp[1].1, fp[2].1
    );
    assert_eq!(out, expected);
    assert_eq!(
        (fp[0].0.as_str(), fp[1].0.as_str()),
        ("a.env", "b/settings.py")
    );
}

#[test]
fn text_report_cuts_long_lines_and_keeps_the_caret_under_the_secret() {
    let t = Tree::new();
    let line = format!(
        "\tconst 名前 = {{ a: \"{}\", token: \"{GITHUB}\", rest: \"{}\" }};\n",
        "x".repeat(60),
        "y".repeat(60)
    );
    t.file("app.js", &line);
    let (out, _) = run(&t, &["--no-config", "-q", "."]);
    let lines: Vec<&str> = out.lines().collect();
    let text = lines[2].strip_prefix("1 | ").unwrap();
    let carets = lines[3].strip_prefix("  | ").unwrap();
    assert!(text.starts_with('…') && text.ends_with('…'), "{out}");
    assert!(!out.contains(GITHUB), "{out}");
    // The carets sit under the masked secret, counted in display columns.
    let col = carets.find('^').unwrap();
    let shown: String = text
        .chars()
        .scan(0, |w, c| {
            let here = *w;
            *w += if c == '名' || c == '前' { 2 } else { 1 };
            Some((here, c))
        })
        .filter(|(w, _)| *w >= col && *w < col + carets.trim().len())
        .map(|(_, c)| c)
        .collect();
    assert_eq!(shown, "ghp_************V9", "{out}");
}

#[test]
fn text_report_masks_other_secrets_on_the_line_and_shows_them_only_when_asked() {
    let t = Tree::new();
    t.file(
        "keys.env",
        format!("HF_TOKEN={HF} ANTHROPIC_API_KEY={ANTHROPIC}\n"),
    );
    let (out, _) = run(&t, &["--no-config", "-q", "."]);
    assert!(
        !out.contains(HF) && !out.contains(&ANTHROPIC[20..]),
        "{out}"
    );
    assert!(
        out.contains("1 | …EN=hf_************oy ANTHROPIC_API_KEY=sk-ant-api03-************AA\n"),
        "{out}"
    );
    let (shown, _) = run(&t, &["--no-config", "-q", "--show-secrets", "."]);
    assert!(
        shown.contains(&format!("1 | HF_TOKEN={HF} ANTHROPIC")),
        "{shown}"
    );
}
