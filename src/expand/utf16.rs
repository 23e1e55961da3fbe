//! UTF-16 text with a byte-order mark (PowerShell scripts, .reg files,
//! Visual Studio and Windows configs), transcoded to UTF-8 so that rules
//! written for ASCII keys match. Line breaks are kept, so line numbers are
//! those of the file; a surrogate pair becomes one character, so columns
//! count characters as an editor does.

pub use crate::text::has_utf16_bom as has_bom;

/// Transcode UTF-16 (little- or big-endian) to UTF-8, dropping the BOM.
/// Unpaired surrogates become U+FFFD; an odd last byte is dropped.
pub fn to_utf8(b: &[u8], big_endian: bool) -> Vec<u8> {
    let body = if has_bom(b) { &b[2..] } else { b };
    let units = body.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut out = Vec::with_capacity(body.len() / 2 + 16);
    let mut tmp = [0u8; 4];
    for c in char::decode_utf16(units) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        if c.is_ascii() {
            out.push(c as u8);
        } else {
            out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn round_trips() {
        let s = "a=1\r\nb=é😀\n";
        assert_eq!(to_utf8(&le(s), false), s.as_bytes());
        let mut be = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(to_utf8(&be, true), s.as_bytes());
    }

    #[test]
    fn broken_input_does_not_panic() {
        assert_eq!(
            to_utf8(&[0xFF, 0xFE, 0x00, 0xD8, b'a'], false),
            "\u{FFFD}".as_bytes()
        );
        assert_eq!(to_utf8(&[0xFF], false), b"");
        assert!(to_utf8(&[], false).is_empty());
    }
}
