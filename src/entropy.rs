//! Shannon entropy and character-class helpers. Pure functions.

/// Shannon entropy of `data` in bits per byte (0 for empty input).
pub fn shannon(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// The narrowest character class a value is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// `[0-9a-fA-F]` only.
    Hex,
    /// `[A-Za-z0-9]` only.
    Alphanumeric,
    /// base64 / base64url alphabet, possibly with `.` `~` (JWT-like, tokens).
    Base64,
    /// Anything else.
    Other,
}

/// Classify `data` by its narrowest charset.
pub fn charset(data: &[u8]) -> Charset {
    if data.iter().all(u8::is_ascii_hexdigit) {
        Charset::Hex
    } else if data.iter().all(u8::is_ascii_alphanumeric) {
        Charset::Alphanumeric
    } else if data.iter().all(|&b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_' | b'.' | b'~')
    }) {
        Charset::Base64
    } else {
        Charset::Other
    }
}

/// Whether `data` mixes at least two of: lower-case, upper-case, digits.
pub fn mixed_classes(data: &[u8]) -> usize {
    let lower = data.iter().any(u8::is_ascii_lowercase) as usize;
    let upper = data.iter().any(u8::is_ascii_uppercase) as usize;
    let digit = data.iter().any(u8::is_ascii_digit) as usize;
    lower + upper + digit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaa"), 0.0);
        assert!((shannon(b"ab") - 1.0).abs() < 1e-9);
        assert!((shannon(b"0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn charsets() {
        assert_eq!(charset(b"deadBEEF01"), Charset::Hex);
        assert_eq!(charset(b"abcXYZ019"), Charset::Alphanumeric);
        assert_eq!(charset(b"ab+/c=="), Charset::Base64);
        assert_eq!(charset(b"a b"), Charset::Other);
    }
}
