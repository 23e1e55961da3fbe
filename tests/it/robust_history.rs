//! Regression tests for `--history` found by review: each names its case.

use crate::common::{Repo, GITHUB};
use serde_json::Value;

/// Case 7: an annotated tag's message is scanned like a commit message,
/// reported at `(tag message)` with the tag's name, its tagger and the
/// commit it tags (before the fix, no finding: tags were only peeled).
#[test]
fn case_07_annotated_tag_message_is_scanned_in_history() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    let tagged = r.commit("init");
    r.git(&[
        "-c",
        "user.name=Tess Tagger",
        "-c",
        "user.email=tess@example.com",
        "tag",
        "-a",
        "v1.0",
        "-m",
        &format!("Release 1.0\n\ndeploy with token {GITHUB}\n"),
    ]);
    // A lightweight tag names no message: nothing more to scan.
    r.git(&["tag", "light"]);

    let (doc, code, _) = r.scan(&["--history", "--show-secrets"]);
    assert_eq!(code, 1, "{doc:#}");
    let f: Vec<&Value> = doc["findings"].as_array().unwrap().iter().collect();
    assert_eq!(f.len(), 1, "{doc:#}");
    let f = f[0];
    assert_eq!(f["path"], "(tag message)");
    assert_eq!(f["secret"], GITHUB);
    assert_eq!(f["line"], 3);
    assert_eq!(f["tag"], "v1.0");
    assert_eq!(f["commit"], tagged.as_str());
    assert_eq!(f["author"], "Tess Tagger");
    assert_eq!(f["email"], "tess@example.com");
    assert_eq!(f["summary"], "Release 1.0");

    // The report matches the documented schema.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::root().join("docs/json-schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Text names the tag.
    let out = crate::common::keyscan()
        .args(["--no-config", "--history"])
        .arg(r.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(tag message)"), "{text}");
    assert!(text.contains("tag v1.0"), "{text}");

    // A range scans no tag.
    let (doc, _, _) = r.scan(&["--range", "HEAD..HEAD"]);
    assert!(doc["findings"].as_array().unwrap().is_empty(), "{doc:#}");
}
