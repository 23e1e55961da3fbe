//! Large files: chunked reading keeps memory bounded and positions exact.

use crate::common::*;

#[test]
fn secrets_in_a_large_file_are_found_at_the_right_place_across_chunks() {
    let t = Tree::new();
    let chunk = keyscan::source::fs::CHUNK_SIZE;
    let overlap = keyscan::source::fs::CHUNK_OVERLAP;
    let line = "let value = compute(item, index); // ordinary code\n";
    let mut text = String::with_capacity(chunk * 2 + 4096);
    let mut lines = 0usize;
    let mut expected = Vec::new();
    // One key well inside the first chunk, one straddling the first chunk
    // boundary, one inside the overlap, one near the end.
    let targets = [1000usize, chunk - 20, chunk - overlap + 100, 2 * chunk];
    for &at in &targets {
        while text.len() + line.len() < at {
            text.push_str(line);
            lines += 1;
        }
        let prefix = "TOKEN=";
        let col = 1 + prefix.len();
        text.push_str(prefix);
        text.push_str(GITHUB);
        text.push('\n');
        lines += 1;
        expected.push((lines, col));
    }
    for _ in 0..1000 {
        text.push_str(line);
    }
    t.file("big.txt", &text);
    let out = t
        .keyscan()
        .args(["--format", "json", "--max-file-size", "1G", "big.txt"])
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let got: Vec<(usize, usize)> = locations(&doc)
        .into_iter()
        .map(|(_, l, c, _)| (l as usize, c as usize))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(doc["stats"]["bytes_scanned"], text.len() as u64);
    assert_eq!(doc["stats"]["files_scanned"], 1);
}

#[test]
fn a_single_long_line_reports_exact_columns() {
    let t = Tree::new();
    let chunk = keyscan::source::fs::CHUNK_SIZE;
    let mut text = "x".repeat(chunk + 12345);
    let col = text.len() + 1 + 1; // after the space
    text.push(' ');
    text.push_str(HF);
    text.push(' ');
    text.push_str(&"y".repeat(1000));
    t.file("one-line.min.js", &text);
    let out = t
        .keyscan()
        .args(["--format", "json", "--max-file-size", "1G", "."])
        .output()
        .unwrap();
    let got = locations(&json(&out.stdout));
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].1, got[0].2 as usize), (1, col));
}

#[test]
fn client_side_variables_raise_severity() {
    let t = Tree::new();
    t.file(
        ".env.local",
        format!("NEXT_PUBLIC_HF_TOKEN={HF}\nHF_TOKEN={HF}\n"),
    );
    let out = t
        .keyscan()
        .args(["--format", "json", "."])
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0]["severity"], "critical");
    assert!(f[0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("reaches every visitor"));
    assert_eq!(f[1]["severity"], "high");
    assert!(f[1].get("notes").is_none());
}
