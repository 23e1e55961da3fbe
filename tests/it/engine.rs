//! Engine-level properties, checked through the library API.

use keyscan::config::Config;
use keyscan::detect::{Detector, Scratch};
use keyscan::rules::RuleSet;
use keyscan::scan::{Engine, ScanOptions};

fn detector() -> Detector {
    Detector::new(RuleSet::builtin().unwrap()).unwrap()
}

#[test]
fn text_without_keywords_never_reaches_a_regex() {
    let det = detector();
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    // Plenty of high-entropy material, but none of the rules' keywords.
    let text = "fn main() { let x = 42; println!(\"{}\", x); }\n\
                Zm9vYmFyYmF6cXV4 QmFzZTY0IGlzIG5vdCBhIHNlY3JldA== 9f86d081884c7d659a2feaa0c55ad015\n"
        .repeat(1000);
    det.detect(text.as_bytes(), &mut scratch, &mut out);
    assert!(out.is_empty());
    assert_eq!(scratch.regex_runs, 0);
    // A keyword whose value is too short for any secret: the rules' run
    // gates turn the window away before any regex.
    let text2 = format!("{text}\nmy_token = 'abc'\n");
    det.detect(text2.as_bytes(), &mut scratch, &mut out);
    assert_eq!(scratch.regex_runs, 0);
    // With a value long enough, exactly the owning rules run, in a window.
    let text3 = format!("{text}\nmy_token = 'abcdefghijklmnopqr'\n");
    det.detect(text3.as_bytes(), &mut scratch, &mut out);
    assert!(
        scratch.regex_runs >= 1 && scratch.regex_runs <= 4,
        "{}",
        scratch.regex_runs
    );
}

#[test]
fn same_secret_at_same_place_is_reported_once() {
    let engine = Engine::new(detector(), Config::default(), ScanOptions::default());
    // Matched by the GitHub rule and (as a value of `token`) by the generic rule.
    let f = engine.scan_bytes(
        "x",
        b"token = \"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\"\n",
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule_id, "github-classic-token");
    assert_eq!((f[0].line, f[0].column), (1, 10));
}

#[test]
fn fingerprint_survives_line_moves() {
    let engine = Engine::new(detector(), Config::default(), ScanOptions::default());
    let key = "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";
    let a = engine.scan_bytes("f", format!("t = {key}\n").as_bytes());
    let b = engine.scan_bytes("f", format!("\n\n# moved\nt = {key}\n").as_bytes());
    assert_eq!(a[0].fingerprint, b[0].fingerprint);
    assert_ne!(a[0].line, b[0].line);
}

#[test]
fn placeholders_are_not_findings() {
    let engine = Engine::new(detector(), Config::default(), ScanOptions::default());
    let text = r#"
OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
api_key = "your-api-key-here"
token = "${OPENAI_API_KEY}"
secret: <KEY>
password = os.getenv("DB_PASSWORD")
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
"#;
    let f = engine.scan_bytes("p", text.as_bytes());
    assert!(
        f.is_empty(),
        "{:?}",
        f.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
    );
}

#[test]
fn secret_group_gates_context_rules_but_not_generic_ones() {
    let rules = RuleSet::builtin().unwrap();
    let gated = |id: &str| rules.get(id).unwrap().gates().gate.is_some();
    // A context rule (provider name, assignment, then a 32-hex token).
    assert!(gated("azure-openai-key"));
    // A value pattern that matches ordinary identifiers gates nothing.
    assert!(!gated("generic-secret"));
    // Wherever a rule's full pattern matches, its gate matches too.
    // (The gates are built without compiling the regex.)
    for rule in rules.rules() {
        assert_eq!(
            rule.gates().gate.is_some(),
            keyscan::rules::Rule::compile(rule.spec.clone(), &rule.source)
                .unwrap()
                .gates()
                .gate
                .is_some(),
            "{}: lazy and eager gates differ",
            rule.id()
        );
        let Some(gate) = &rule.gates().gate else {
            continue;
        };
        for ex in &rule.spec.examples {
            assert!(
                gate.is_match(ex.text.as_bytes()),
                "{}: gate misses {:?}",
                rule.id(),
                ex.text
            );
        }
    }
}

#[test]
fn gated_rule_skips_windows_without_a_token() {
    let det = detector();
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    // `azure` opens a window for the Azure OpenAI rule, but no 32-hex
    // token is near: the full pattern never runs.
    let text = "let azure_endpoint_name = client.resource_group().name();\n";
    det.detect(text.as_bytes(), &mut scratch, &mut out);
    assert!(out.is_empty());
    assert_eq!(scratch.regex_runs, 0);
    // With a token, it runs and finds it.
    let text = "AZURE_OPENAI_API_KEY = \"8f3a1c9e2b7d4f6a0c5e9b1d3f7a2c4e\"\n";
    det.detect(text.as_bytes(), &mut scratch, &mut out);
    assert!(scratch.regex_runs >= 1);
    assert!(
        out.iter()
            .any(|m| det.rules().rules()[m.rule].id() == "azure-openai-key"),
        "{out:?}"
    );
}

#[test]
fn keys_in_text_dense_with_keywords_are_all_found() {
    // Text with a keyword every few bytes (the prefilter's dense mode, where
    // the occurrences of each keyword join into long runs), with fake keys
    // planted at irregular places: right after a long stretch without
    // their own keyword, near 64 KiB block boundaries, and close together.
    // Each key must be found where it was planted, by the rule that finds
    // it alone, exactly once.
    let det = detector();
    let noise = "task-sk- token=abc api_key=xyz secret: ok; tokenizer.tokens password= dev_mode\n";
    let mut text = String::new();
    let mut planted = Vec::new();
    let mut n = 0;
    while text.len() < 400_000 {
        text.push_str(noise);
        n += 1;
        if n % 97 == 0 || n % 829 == 0 || n % 830 == 0 {
            let key = crate::common::ALL_SECRETS[planted.len() % crate::common::ALL_SECRETS.len()];
            text.push_str("x = ");
            planted.push((text.len(), key));
            text.push_str(key);
            text.push('\n');
        }
    }
    let mut scratch = Scratch::default();
    let rule_alone = |key: &str| {
        let mut out = Vec::new();
        det.detect(
            format!(" {key} ").as_bytes(),
            &mut Scratch::default(),
            &mut out,
        );
        assert_eq!(out.len(), 1, "{key}");
        out[0].rule
    };
    let mut out = Vec::new();
    det.detect(text.as_bytes(), &mut scratch, &mut out);
    let found: Vec<(usize, usize, usize)> = out.iter().map(|m| (m.start, m.end, m.rule)).collect();
    let expected: Vec<(usize, usize, usize)> = planted
        .iter()
        .map(|&(at, key)| (at, at + key.len(), rule_alone(key)))
        .collect();
    assert!(planted.len() > 50, "{}", planted.len());
    assert_eq!(found, expected);
}
