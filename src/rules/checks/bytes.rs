//! Key material written as a list of byte values (`[]byte{176, 203, …}`,
//! `new byte[] { 0x9f, 0x13, … }`, `bytes([…])`): at least 16 values, each
//! a byte, that look drawn at random rather than counted or repeated.

/// The byte values of a comma-separated list of decimal or `0x` hex
/// numbers (whitespace and line breaks between them); `None` when a value
/// is not a byte.
fn values(s: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(s).ok()?;
    text.split(',')
        .map(|v| {
            let v = v.trim();
            let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                Some(h) => u16::from_str_radix(h, 16).ok()?,
                None => v.parse::<u16>().ok()?,
            };
            u8::try_from(n).ok()
        })
        .collect()
}

/// See [`crate::rules::Check::ByteArray`].
pub(crate) fn ok(s: &[u8]) -> bool {
    let Some(v) = values(s) else {
        return false;
    };
    let distinct = crate::entropy::distinct(&v);
    // Runs that count by a fixed step (0, 1, 2, 3 or 16, 32, 48): a table.
    let steps = v
        .windows(3)
        .filter(|w| w[1].wrapping_sub(w[0]) == w[2].wrapping_sub(w[1]))
        .count();
    // Small values only (flags, lengths, ASCII digits as numbers).
    let large = v.iter().filter(|&&b| b >= 32).count();
    v.len() >= 16 && distinct * 4 >= v.len() * 3 && steps * 4 <= v.len() && large * 2 >= v.len()
}

#[cfg(test)]
mod tests {
    use super::ok;

    #[test]
    fn random_bytes_pass() {
        assert!(ok(
            b"176, 203, 206, 245, 164, 134, 217, 99, 100, 114, 172, 39, 248, 225, 26, 157"
        ));
        assert!(ok(b"0x9f, 0x13, 0x43, 0x90, 0x1e, 0x60, 0x0b, 0xf7, 0x5a, 0xc2, 0x7d, 0x88, 0x31, 0xe4, 0x6b, 0x02"));
        assert!(ok(
            b"90, 105, 74, 126, 30, 48, 37, 56, 3, 23, 115, 127, 69,\n\t\t22, 109, 8, 41, 71"
        ));
    }

    #[test]
    fn tables_and_short_lists_fail() {
        // Counting, repeated, small or too few.
        assert!(!ok(b"0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"));
        assert!(!ok(b"0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"));
        assert!(!ok(b"1, 0, 2, 1, 3, 0, 1, 2, 0, 3, 1, 2, 0, 1, 3, 2"));
        assert!(!ok(b"176, 203, 206, 245, 164, 134, 217, 99"));
        assert!(!ok(
            b"176, 203, 206, 245, 164, 134, 217, 99, 100, 114, 172, 39, 248, 225, 26, 1570"
        ));
    }
}
