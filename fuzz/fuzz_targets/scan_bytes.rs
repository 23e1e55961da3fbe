//! The engine, with the full built-in rule pack, on arbitrary bytes.
//!
//! Beyond "never panics", every finding must lie inside the input, its
//! line and column must agree with a naive recount, and its redacted form
//! must not contain the secret.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "engine.rs"]
mod engine;
use engine::engine;

/// Line and column of `offset` the slow way: lines end at `\n`, `\r\n` or
/// a lone `\r`; columns count UTF-8 lead bytes; a UTF-8 BOM at the start
/// takes no column.
fn naive_location(bytes: &[u8], offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut i = 0;
    while i < offset {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') && i + 1 < offset => {
                line += 1;
                start = i + 2;
                i += 1;
            }
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {} // `\n` at offset: same line
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

fuzz_target!(|data: &[u8]| {
    let findings = engine().scan_bytes("fuzz.txt", data);
    for f in &findings {
        assert!(f.offset < data.len(), "offset {} past the input", f.offset);
        assert!(f.line >= 1 && f.column >= 1);
        assert!((f.end_line, f.end_column) >= (f.line, f.column));
        assert_eq!((f.line, f.column), naive_location(data, f.offset));
        if f.secret.chars().count() >= 8 {
            assert!(
                !f.redacted.contains(&f.secret),
                "redaction {:?} reveals {:?}",
                f.redacted,
                f.secret
            );
        }
    }
});
