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

/// A byte a key, a JWT or a URL-encoded value is made of: the base64 and
/// base64url alphabets, `.`, `~` and `%`.
pub fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'~' | b'%')
}

/// How many distinct bytes `data` holds.
pub fn distinct(data: &[u8]) -> usize {
    let mut seen = [false; 256];
    data.iter()
        .filter(|&&b| !std::mem::replace(&mut seen[usize::from(b)], true))
        .count()
}

/// Classify `data` by its narrowest charset.
pub fn charset(data: &[u8]) -> Charset {
    if data.iter().all(u8::is_ascii_hexdigit) {
        Charset::Hex
    } else if data.iter().all(u8::is_ascii_alphanumeric) {
        Charset::Alphanumeric
    } else if data.iter().all(|&b| is_token_byte(b) && b != b'%') {
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

/// The lower-case letter trigrams of ordinary source code (those among the
/// 4,096 most frequent byte trigrams of `src/prefilter_trigrams.txt`,
/// gathered from real code by `scripts/trigrams.py`): a bitmap over the
/// 26³ possible trigrams.
fn common_letter_trigrams() -> &'static [u64] {
    static SET: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let mut bits = vec![0u64; (26 * 26 * 26usize).div_ceil(64)];
        for line in include_str!("prefilter_trigrams.txt").lines() {
            let Some(hex) = line.split_whitespace().next() else {
                continue;
            };
            if hex.len() != 6 || line.starts_with('#') {
                continue;
            }
            let b: Vec<u8> = (0..3)
                .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                .collect();
            if b.len() == 3 && b.iter().all(u8::is_ascii_lowercase) {
                let i = trigram_index(b[0], b[1], b[2]);
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        bits
    })
}

fn trigram_index(a: u8, b: u8, c: u8) -> usize {
    let l = |x: u8| (x.to_ascii_lowercase() - b'a') as usize;
    (l(a) * 26 + l(b)) * 26 + l(c)
}

/// How much `s` reads like words: of its trigrams of three letters (case
/// folded), how many are common in source code, and how many there are.
/// Random keys score low (a random 32-character alphanumeric key has about
/// 8% of its letter trigrams common, and fewer than 1 in 1,000 reach 45%);
/// names, phrases and placeholders written as one word score high
/// (`storageaccountkeybase64encoded`: 75%). This is the character-statistics
/// idea of ripsecrets and detect-secrets, with the statistics taken from code.
pub fn letter_trigrams(s: &[u8]) -> (usize, usize) {
    let set = common_letter_trigrams();
    let (mut common, mut total) = (0, 0);
    for w in s.windows(3) {
        if w.iter().all(u8::is_ascii_alphabetic) {
            total += 1;
            let i = trigram_index(w[0], w[1], w[2]);
            common += usize::from(set[i / 64] & (1 << (i % 64)) != 0);
        }
    }
    (common, total)
}

/// Whether `s` reads like words by [`letter_trigrams`]: at least six letter
/// trigrams, half of them common.
pub fn reads_like_words(s: &[u8]) -> bool {
    let (common, total) = letter_trigrams(s);
    total >= 6 && common * 2 >= total
}

#[cfg(test)]
mod trigram_tests {
    use super::*;

    #[test]
    fn words_and_random_keys() {
        for w in [
            &b"storageaccountkeybase64encoded"[..],
            b"yourSecretKeyGoesHereForTesting",
            b"thisisnotarealsecretkey",
            b"nonexistent-org-9f2a7c4e1b8d4a6f",
        ] {
            assert!(reads_like_words(w), "{}", String::from_utf8_lossy(w));
        }
        for w in [
            &b"99eYu7ZO0JEwXUcpxmja5PnoRJMaazVZ"[..],
            b"QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA",
            b"kBCJmPZLJHOZASgRrpRDwHMMloZmyFbo",
            b"8f14e45fceea167a5a36dedd4bea2543",
        ] {
            assert!(!reads_like_words(w), "{}", String::from_utf8_lossy(w));
        }
    }
}
