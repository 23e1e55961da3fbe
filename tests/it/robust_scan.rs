//! Robustness of the scan itself: chunk boundaries, expansions of large
//! files, archives past their limits. Each test is named after the case of
//! the robustness issue it pins down.

use std::sync::OnceLock;

use keyscan::source::chunk::{self, ChunkSize};
use keyscan::source::{Blob, Origin};
use proptest::prelude::*;

use crate::common::*;

fn shared_engine() -> &'static keyscan::scan::Engine {
    static E: OnceLock<keyscan::scan::Engine> = OnceLock::new();
    E.get_or_init(engine)
}

/// What a detection is, for comparing two scans of the same bytes.
type Seen = (String, usize, usize, usize, usize, usize, String);

fn seen(d: &keyscan::finding::Detection) -> Seen {
    (
        d.rule_id.clone(),
        d.offset,
        d.line,
        d.column,
        d.end_line,
        d.end_column,
        d.secret.clone(),
    )
}

/// The detections of `bytes` scanned whole.
fn whole(bytes: &[u8]) -> Vec<Seen> {
    let mut w = shared_engine().worker();
    w.scan(Blob::whole(bytes, Origin::File("f.txt")));
    let mut v: Vec<Seen> = w.detections.iter().map(seen).collect();
    v.sort();
    v
}

/// The detections of `bytes` scanned chunk by chunk, as a large file is.
fn chunked(bytes: &[u8], size: ChunkSize) -> Vec<Seen> {
    let mut w = shared_engine().worker();
    for (c, pos) in chunk::chunks(bytes, size) {
        w.scan(Blob {
            bytes: c,
            origin: Origin::File("f.txt"),
            chunk: Some(pos),
        });
    }
    let mut v: Vec<Seen> = w.detections.iter().map(seen).collect();
    v.sort();
    v
}

const SMALL: ChunkSize = ChunkSize {
    size: 4096,
    overlap: 1024,
};

/// Filler text of `len` bytes: code-like lines, no key.
fn filler(len: usize) -> Vec<u8> {
    let line = b"let value = compute(item, index); // ordinary code\n";
    line.iter().copied().cycle().take(len).collect()
}

/// Case 1: a key planted at every offset around every chunk boundary (the
/// start of each chunk, the hand-over point, the end of each chunk) is
/// found once, where it is, exactly as in a scan of the whole buffer.
#[test]
fn case_01_chunk_boundaries_key_at_every_offset_near_every_boundary() {
    let len = 3 * SMALL.size + 500;
    let base = filler(len);
    // The boundaries of the chunks of a buffer this long.
    let mut marks = Vec::new();
    for (c, pos) in chunk::chunks(&base, SMALL) {
        let o = pos.offset as usize;
        marks.extend([o, o + pos.report_from, o + pos.report_to, o + c.len()]);
    }
    marks.sort();
    marks.dedup();
    let key = format!("\nK={ANTHROPIC}\n");
    let mut planted = 0;
    for &m in &marks {
        for at in m.saturating_sub(key.len() + 2)..(m + 3).min(len - key.len() - 1) {
            let mut bytes = base.clone();
            bytes[at..at + key.len()].copy_from_slice(key.as_bytes());
            let want = whole(&bytes);
            assert!(
                want.iter().any(|s| s.6 == ANTHROPIC && s.1 == at + 3),
                "the whole scan misses the key at {at}: {want:?}"
            );
            assert_eq!(chunked(&bytes, SMALL), want, "key at {at}, boundary {m}");
            planted += 1;
        }
    }
    assert!(planted > 500, "{planted} keys planted");
}

/// Case 1, as the issue reproduces it: a key just after the first 16 MiB
/// of a file, in the bytes the first two chunks share.
#[test]
fn case_01_chunk_boundaries_key_after_16_mib_is_found() {
    let t = Tree::new();
    let mut text = vec![b' '; 16 << 20];
    text.extend_from_slice(b"\nK=");
    text.extend_from_slice(ANTHROPIC.as_bytes());
    text.push(b'\n');
    text.extend(std::iter::repeat_n(b' ', 100 << 10));
    t.file("gap.txt", text);
    let out = t
        .keyscan()
        .args(["--format", "json", "gap.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc = json(&out.stdout);
    let got: Vec<(u64, u64)> = locations(&doc)
        .into_iter()
        .map(|(_, l, c, _)| (l, c))
        .collect();
    assert_eq!(got, vec![(2, 3)]);
}

/// Case 1: keys across the prefilter's 64 KiB blocks (and its dense
/// stretches) are found where they are.
#[test]
fn case_01_chunk_boundaries_key_across_prefilter_blocks() {
    let block = 64 * 1024;
    let key = format!(" {GITHUB} ");
    let base = filler(3 * block);
    for b in [block, 2 * block] {
        for at in b - key.len() - 1..b + 2 {
            let mut bytes = base.clone();
            bytes[at..at + key.len()].copy_from_slice(key.as_bytes());
            let got = whole(&bytes);
            assert_eq!(
                got.iter().map(|s| (s.1, s.6.as_str())).collect::<Vec<_>>(),
                vec![(at + 1, GITHUB)],
                "key at {at}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Case 1, differential: on random text holding keys, a chunked scan
    /// finds exactly what a scan of the whole buffer finds.
    #[test]
    fn case_01_chunk_boundaries_chunked_scan_equals_whole_scan(
        pieces in proptest::collection::vec((0usize..6, 0usize..9000, any::<u8>()), 1..12),
        size in 2048usize..6000,
        overlap in 512usize..1500,
    ) {
        let size = ChunkSize { size: size.max(overlap), overlap };
        let mut bytes = Vec::new();
        for (k, gap, b) in pieces {
            let mut f = filler(gap);
            if b % 5 == 0 {
                // Other bytes: no newlines for a while, NULs, CRs.
                for (i, x) in f.iter_mut().enumerate() {
                    if (i + b as usize).is_multiple_of(97) { *x = b }
                }
            }
            bytes.extend(f);
            bytes.extend_from_slice(b"\nkey = \"");
            bytes.extend_from_slice(ALL_SECRETS[k].as_bytes());
            bytes.extend_from_slice(b"\"");
        }
        prop_assert_eq!(chunked(&bytes, size), whole(&bytes));
    }
}

/// UTF-16 little-endian with a byte-order mark.
fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

/// Case 2: a key in a UTF-16 file larger than a chunk is found, at its
/// line, as in a small one.
#[test]
fn case_02_files_over_16_mib_keep_their_expansions_utf16() {
    let t = Tree::new();
    let line = "value = compute(item, index)\n";
    let lines = (17 << 20) / (2 * line.len());
    let mut text = line.repeat(lines);
    text.push_str(&format!("K={ANTHROPIC}\n"));
    t.file("big-utf16.txt", utf16le(&text));
    let (code, doc, _) = scan_json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    let got: Vec<(String, u64, u64)> = locations(&doc)
        .into_iter()
        .map(|(p, l, c, _)| (p, l, c))
        .collect();
    assert_eq!(
        got,
        vec![("big-utf16.txt".to_string(), lines as u64 + 1, 3)]
    );
}

/// Case 2: a `\u`-escaped key in a notebook larger than a chunk is found.
#[test]
fn case_02_files_over_16_mib_keep_their_expansions_notebook() {
    let t = Tree::new();
    let escaped = ANTHROPIC.replace('-', "\\u002d");
    let filler = "x".repeat(1000);
    let outputs: Vec<String> = (0..17 * 1024).map(|_| format!("\"{filler}\\n\"")).collect();
    let nb = format!(
        r#"{{"cells": [{{"cell_type": "code", "metadata": {{}}, "execution_count": 1,
 "source": ["print(1)\n"], "outputs": [{{"output_type": "stream", "name": "stdout", "text": [{}]}}]}},
 {{"cell_type": "code", "metadata": {{}}, "execution_count": 2, "outputs": [],
 "source": ["client = Client(api_key=\"{escaped}\")\n"]}}],
 "metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}"#,
        outputs.join(", ")
    );
    assert!(nb.len() > 16 << 20);
    t.file("big.ipynb", nb);
    let (code, doc, _) = scan_json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    let secrets: Vec<String> = locations(&doc).into_iter().map(|(_, _, _, s)| s).collect();
    assert_eq!(secrets.len(), 1, "{doc}");
}

/// Case 5: an archive that a limit stops is not a hiding place: its raw
/// bytes are scanned (an uncompressed tar's `.env` is found), and the
/// stopped archive fails the scan the way an unreadable file does.
#[test]
fn case_05_archive_over_its_limits_is_scanned_raw_and_fails_the_scan() {
    let t = Tree::new();
    let env = format!("ANTHROPIC_API_KEY={ANTHROPIC}\n");
    let noise = b"nothing here\n".to_vec();
    let mut entries: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("f{i}.txt"), noise.clone()))
        .collect();
    entries.push((".env".to_string(), env.clone().into_bytes()));
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    t.file("bundle.tar", tar_of(&refs));
    let (code, doc, stderr) = scan_json(t.path(), &["--archive-max-entries", "3"]);
    assert_eq!(code, 1, "{stderr}");
    let got: Vec<(String, u64, String)> = locations(&doc)
        .into_iter()
        .map(|(p, l, _, s)| (p, l, s))
        .collect();
    assert_eq!(got.len(), 1, "{doc}");
    assert_eq!(got[0].0, "bundle.tar");
    assert!(
        stderr.contains("bundle.tar: archive reading stopped at a limit: more than 3 entries"),
        "{stderr}"
    );
    assert_eq!(doc["stats"]["sources"]["archives"]["stopped"], 1);

    // Under the limits, the key is found in its entry, once.
    let (code, doc, _) = scan_json(t.path(), &[]);
    assert_eq!(code, 1);
    let paths: Vec<String> = locations(&doc).into_iter().map(|(p, ..)| p).collect();
    assert_eq!(paths, vec!["bundle.tar!.env".to_string()]);
}

/// Case 5: a key found in an entry before the limit is not reported again
/// from the raw bytes; a compressed archive stopped by a limit, with
/// nothing found, exits 2 (incomplete), not 0.
#[test]
fn case_05_archive_over_its_limits_exits_incomplete_and_reports_once() {
    let t = Tree::new();
    let env = format!("ANTHROPIC_API_KEY={ANTHROPIC}\n");
    let big = vec![b'z'; 2 << 20];
    t.file(
        "first.tar",
        tar_of(&[
            (".env", env.as_bytes()),
            ("blob.bin", &big),
            ("more.txt", b"x"),
        ]),
    );
    let (code, doc, stderr) = scan_json(t.path(), &["--archive-max-size", "1MiB"]);
    assert_eq!(code, 1, "{stderr}");
    let paths: Vec<String> = locations(&doc).into_iter().map(|(p, ..)| p).collect();
    assert_eq!(paths, vec!["first.tar!.env".to_string()]);

    let t = Tree::new();
    let entries: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("f{i}.txt"), format!("line {i}\n").into_bytes()))
        .collect();
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    t.file("many.zip", zip_of(&refs));
    let (code, doc, stderr) = scan_json(t.path(), &["--archive-max-entries", "3"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
}

/// Case 3: `--staged` finds a key added to a UTF-16 file whose raw lines
/// tell nothing, and one in a new entry of a zip whose other entries did
/// not change; a key HEAD already had in an unchanged entry is not
/// reported again.
#[test]
fn case_03_staged_finds_keys_in_modified_utf16_and_zip() {
    let r = Repo::new();
    // Windows line ends, as UTF-16 files usually have.
    let text = "first = 1\r\nsecond = 2\r\nthird = 3\r\n".to_string();
    std::fs::write(r.path().join("notes.txt"), utf16le(&text)).unwrap();
    let old_entry = format!("T={GITHUB}\n");
    std::fs::write(
        r.path().join("bundle.zip"),
        zip_of(&[("a.txt", b"nothing\n"), ("old.env", old_entry.as_bytes())]),
    )
    .unwrap();
    r.commit("base");
    // UTF-16: one line changed; in UTF-16 every byte after it moves.
    let text = format!("first = 1\r\nsecond = 2\r\nthird = \"{ANTHROPIC}\"\r\n");
    std::fs::write(r.path().join("notes.txt"), utf16le(&text)).unwrap();
    let new_entry = format!("K={HF}\n");
    std::fs::write(
        r.path().join("bundle.zip"),
        zip_of(&[
            ("a.txt", b"nothing\n"),
            ("old.env", old_entry.as_bytes()),
            ("new.env", new_entry.as_bytes()),
        ]),
    )
    .unwrap();
    r.git(&["add", "."]);
    let (doc, code, _) = r.scan(&["--staged"]);
    assert_eq!(code, 1, "{doc:#}");
    let mut got: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "bundle.zip!new.env".to_string(),
                "huggingface-token".to_string()
            ),
            ("notes.txt".to_string(), "anthropic-api-key".to_string()),
        ],
        "{doc:#}"
    );
}

/// Case 12: a file of generated credentials reports at most
/// `--max-findings-per-file` of them; the rest are counted in the summary
/// and a warning names the file; other files are not affected.
#[test]
fn case_12_findings_per_file_are_capped_with_a_warning() {
    let t = Tree::new();
    let mut text = String::new();
    for i in 0..30u32 {
        // Distinct keys: the last characters vary.
        let k = format!("{}{:04}AA", &ANTHROPIC[..ANTHROPIC.len() - 6], i);
        text.push_str(&format!("K{i}={k}\n"));
    }
    t.file("generated.env.txt", &text);
    t.file("other.txt", format!("T={GITHUB}\n"));
    let (code, doc, stderr) = scan_json(t.path(), &["--max-findings-per-file", "10"]);
    assert_eq!(code, 1, "{stderr}");
    let per_path = |p: &str| {
        locations(&doc)
            .into_iter()
            .filter(|(path, ..)| path == p)
            .count()
    };
    assert_eq!(per_path("generated.env.txt"), 10, "{doc:#}");
    assert_eq!(per_path("other.txt"), 1);
    assert_eq!(doc["stats"]["findings_over_cap"], 20);
    assert!(
        stderr.contains("generated.env.txt: 20 more findings not reported"),
        "{stderr}"
    );
    // No cap: all of them.
    let (_, doc, _) = scan_json(t.path(), &["--max-findings-per-file", "0"]);
    assert_eq!(locations(&doc).len(), 31);
    assert_eq!(doc["stats"]["findings_over_cap"], 0);
}

/// Case 7: a Kubernetes Secret whose values are YAML block scalars (`|`,
/// `>-`), as `kubectl` and Helm write long values, is decoded like one
/// with plain values.
#[test]
fn case_07_kubernetes_secret_block_scalars_are_decoded() {
    let t = Tree::new();
    let enc = b64(format!("{ANTHROPIC}\n").as_bytes());
    let (first, rest) = enc.split_at(40);
    let gh = b64(GITHUB.as_bytes());
    t.file(
        "secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  \
             anthropic: |\n    {first}\n    {rest}\n  github: >-\n    {gh}\n  plain: eA==\n"
        ),
    );
    let (code, doc, stderr) = scan_json(t.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    let mut got: Vec<(u64, String)> = locations(&doc)
        .into_iter()
        .map(|(_, l, _, s)| (l, s))
        .collect();
    got.sort();
    assert_eq!(got.len(), 2, "{doc:#}");
    assert_eq!(got[0].0, 8, "{doc:#}");
    assert_eq!(got[1].0, 11, "{doc:#}");
}

/// `install-hook` writes its hook beside the target and renames it into
/// place: a symbolic link planted at the hook's path is refused, and the
/// file it points to is left alone.
#[cfg(unix)]
#[test]
fn case_15_install_hook_does_not_write_through_a_symlink() {
    let r = Repo::new();
    let victim = r.path().join("victim.txt");
    std::fs::write(&victim, "untouched\n").unwrap();
    let hooks = r.path().join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::os::unix::fs::symlink(&victim, hooks.join("pre-commit")).unwrap();
    let out = keyscan()
        .args(["install-hook", "--force"])
        .arg(r.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");
}

/// Standard input is read in chunks like a large file (no longer whole,
/// without bound): keys anywhere in a long stream, at a chunk boundary
/// too, are found at their lines.
#[test]
fn standard_input_is_read_in_chunks_and_loses_nothing() {
    let chunk = keyscan::source::fs::CHUNK_SIZE;
    let line = "let value = compute(item, index); // ordinary code\n";
    let mut text = String::new();
    let mut expected = Vec::new();
    let mut lines = 0u64;
    for at in [100, chunk + 10, 2 * chunk + 3000] {
        while text.len() + line.len() < at {
            text.push_str(line);
            lines += 1;
        }
        text.push_str(&format!("K={ANTHROPIC}\n"));
        lines += 1;
        expected.push(lines);
    }
    text.push_str(&line.repeat(1000));
    let out = keyscan()
        .args(["--no-config", "--format", "json", "-"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    let got: Vec<u64> = locations(&doc).into_iter().map(|(_, l, ..)| l).collect();
    assert_eq!(got, expected);
    assert_eq!(doc["stats"]["bytes_scanned"], text.len() as u64);
}
