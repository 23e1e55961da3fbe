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
    // A keyword makes exactly the owning rules run, in a window.
    let text2 = format!("{text}\nmy_token = 'abc'\n");
    det.detect(text2.as_bytes(), &mut scratch, &mut out);
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
