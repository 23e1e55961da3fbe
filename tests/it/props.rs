//! Property tests: a fake key inserted at any offset of arbitrary text is
//! found exactly once, with the right rule, secret, line and column,
//! whatever the text around it holds (any line endings, a BOM, multi-byte
//! characters, invalid UTF-8, NUL bytes).

use std::sync::OnceLock;

use crate::common::*;
use proptest::prelude::*;

fn engine() -> &'static keyscan::scan::Engine {
    static E: OnceLock<keyscan::scan::Engine> = OnceLock::new();
    E.get_or_init(|| {
        keyscan::scan::Engine::new(
            keyscan::detect::Detector::new(keyscan::rules::RuleSet::builtin().unwrap()).unwrap(),
            keyscan::config::Config::default(),
            keyscan::scan::ScanOptions::default(),
        )
    })
}

/// The keys inserted, with the rule each is found by on its own.
fn keys() -> &'static [(&'static str, String)] {
    static K: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    K.get_or_init(|| {
        ALL_SECRETS
            .iter()
            .map(|k| {
                let f = engine().scan_bytes("k.txt", format!(" {k} ").as_bytes());
                assert_eq!(f.len(), 1, "{k} alone: {f:?}");
                (*k, f[0].rule_id.clone())
            })
            .collect()
    })
}

/// Line and column of byte `offset`, counted the slow way: lines end at
/// `\n`, `\r\n` or a lone `\r`; columns count characters (UTF-8 lead bytes;
/// a stray continuation byte takes none); a BOM at the start takes none.
fn expected_location(bytes: &[u8], offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut i = 0;
    while i < offset {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
            b'\n' | b'\r' => {
                line += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let col = 1 + bytes[start.min(offset)..offset]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count();
    (line, col)
}

/// Text from characters that stress locating: every kind of line break,
/// tabs, a BOM, two- to four-byte characters, NUL, and ordinary code.
fn text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => "[a-zA-Z0-9 =:;,.(){}\"'_/-]{1,12}",
        1 => Just("\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\r".to_string()),
        1 => Just("\t".to_string()),
        1 => Just("\u{feff}".to_string()),
        1 => Just("é".to_string()),
        1 => Just("中".to_string()),
        1 => Just("😀".to_string()),
        1 => Just("\0".to_string()),
    ];
    proptest::collection::vec(pieces, 0..120).prop_map(|v| v.concat())
}

/// Insert ` key ` at byte `at` of `text`, and check the one finding.
fn check(text: &[u8], at: usize, key_index: usize) -> Result<(), TestCaseError> {
    let (key, rule) = &keys()[key_index % keys().len()];
    let mut bytes = text[..at].to_vec();
    bytes.push(b' ');
    let offset = bytes.len();
    bytes.extend_from_slice(key.as_bytes());
    bytes.push(b' ');
    bytes.extend_from_slice(&text[at..]);
    let found = engine().scan_bytes("x.txt", &bytes);
    prop_assert_eq!(found.len(), 1, "{:?}", found);
    let f = &found[0];
    prop_assert_eq!(&f.rule_id, rule);
    prop_assert_eq!(&f.secret, key);
    prop_assert_eq!(f.offset, offset);
    let (line, column) = expected_location(&bytes, offset);
    prop_assert_eq!((f.line, f.column), (line, column));
    prop_assert_eq!((f.end_line, f.end_column), (line, column + key.len()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// At any character boundary of text.
    #[test]
    fn key_in_text_is_found_once_in_place(
        text in text(),
        at in any::<prop::sample::Index>(),
        key in 0usize..16,
    ) {
        let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        check(text.as_bytes(), bounds[at.index(bounds.len())], key)?;
    }

    /// At any byte offset of arbitrary bytes (invalid UTF-8, a cut
    /// character, NUL, control bytes). The bytes follow a `#`, so that
    /// they never open with the magic number of an archive or UTF-16.
    #[test]
    fn key_in_bytes_is_found_once_in_place(
        tail in proptest::collection::vec(any::<u8>(), 0..600),
        at in any::<prop::sample::Index>(),
        key in 0usize..16,
    ) {
        let bytes = [&b"#"[..], &tail].concat();
        check(&bytes, 1 + at.index(tail.len() + 1), key)?;
    }
}
