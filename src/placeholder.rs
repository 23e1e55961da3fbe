//! One shared test for values that look like a key but are not one:
//! documentation placeholders, templates, environment lookups, masked or
//! truncated keys, and runs of repeated or sequential characters.
//!
//! Every rule's candidate secret passes through [`is_placeholder`]; rules do
//! not carry their own copies of these patterns.

/// Substrings (compared case-insensitively) that mark a value as a stand-in.
const MARKERS: &[&[u8]] = &[
    b"example",
    b"placeholder",
    b"your_",
    b"your-",
    b"yourkey",
    b"yourapi",
    b"yoursecret",
    b"yourtoken",
    b"redacted",
    b"changeme",
    b"change_me",
    b"replace",
    b"...",
    b"***",
    b"\xe2\x80\xa6", // U+2026 ellipsis
    b"${",
    b"{{",
    b"<",
    b">",
    b"%s",
    b"getenv",
    b"environ",
    b"process.env",
    b"secrets.",
    b"not-a-real",
    b"notareal",
    b"not_a_real",
    b"abcdefgh",
    b"12345678",
    b"testkey",
    b"test-key",
    b"test_key",
    b"_here",
    b"-here",
];

/// Whether the candidate secret is a placeholder rather than a key.
///
/// `body` is the part of the secret after any fixed prefix; repeated and
/// sequential runs are looked for there, so a prefix like `sk-ant-api03-`
/// does not count against the key.
///
/// Runs are not held against long secrets (over 256 bytes, e.g. a private
/// key block): encoded binary structures legitimately contain them.
pub fn is_placeholder(secret: &[u8], body: &[u8]) -> bool {
    has_marker(secret)
        || (body.len() <= 256 && (has_run(body) || low_diversity(body) || encoded_words(body)))
}

/// Base64 of plain words (`QUNDRVNTX0tFWQ0K` is `ACCESS_KEY\r\n`): a
/// stand-in someone encoded because the field must be base64. Random key
/// material never decodes to letters only.
fn encoded_words(body: &[u8]) -> bool {
    if body.len() < 12
        || !body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return false;
    }
    let Some(decoded) = crate::rules::checks::base64_decode(body) else {
        return false;
    };
    decoded.len() >= 8
        && decoded
            .iter()
            .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-' | b' ' | b'\r' | b'\n'))
}

/// Short words that mark a stand-in only as a word of their own (`sk-fake-…`,
/// `mock_token`, `sk-xxxx-xxxx`, `your_sample_key`): found inside a run of
/// random characters (`…gamOCKco…`, `…ICxLOreMB…`) they are chance, and a
/// long random key or key block contains one often enough that matching
/// them anywhere would hide real keys. Longer markers are matched anywhere.
const WORD_MARKERS: &[&[u8]] = &[
    b"xxxx", b"fake", b"mock", b"dummy", b"lorem", b"sample", b"insert", b"abc123", b"foobar",
    b"qwerty",
];

/// Sample credentials that providers and specifications publish in their
/// documentation, the way AWS publishes `AKIAIOSFODNN7EXAMPLE`: they appear
/// in thousands of repositories and grant nothing.
const PUBLISHED_EXAMPLES: &[&[u8]] = &[
    // Docker Engine API reference: the sample swarm join tokens and unlock
    // key, repeated in every API version's document.
    b"3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl",
    b"1h8aps2yszaiqmz2l3oc5392pgk8e49qhx2aj3nyv0ui0hez2a",
    b"7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8",
    // jwt.io: the signature of the example HS256 token.
    b"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // Stripe API reference: the sample test-mode secret key.
    b"4eC39HqLyjWDarjtT1zdp7dc",
    // Svix / Standard Webhooks documentation: the sample signing secret.
    b"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    // Fernet specification test vectors: the sample key.
    b"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4",
];

fn has_marker(secret: &[u8]) -> bool {
    PUBLISHED_EXAMPLES
        .iter()
        .any(|m| memchr::memmem::find(secret, m).is_some())
        || MARKERS.iter().any(|m| contains_ignore_case(secret, m))
        // Key blocks (PEM, PGP) are long runs of base64 split by line
        // breaks: short words turn up in them by chance.
        || (secret.len() <= 256
            && WORD_MARKERS
                .iter()
                .any(|m| contains_word_ignore_case(secret, m)))
}

/// `needle` occurs with a separator (not alphanumeric, not a base64 symbol)
/// or the edge of `hay` on at least one side.
fn contains_word_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    // `+`, `/` and `=` are base64 characters: next to them a marker is
    // still inside a random run.
    let edge = |i: Option<usize>| {
        i.and_then(|i| hay.get(i))
            .is_none_or(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'+' | b'/' | b'='))
    };
    hay.windows(needle.len()).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(needle) && (edge(i.checked_sub(1)) || edge(Some(i + needle.len())))
    })
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Six or more identical letters or digits in a row (eight in a body of 40
/// or more), or eight or more
/// letters or digits in an ascending or descending sequence (`abcdefgh`,
/// `aBcDeFgH`, `98765432`). Runs of separators or spaces (indentation,
/// `------` rulers inside a multi-part secret) are formatting, not key
/// material, and do not count.
fn has_run(body: &[u8]) -> bool {
    // A random 64-character hex key holds six equal digits in a row about
    // once in 18,000 keys; eight, once in 5 million.
    let same_limit = if body.len() >= 40 { 8 } else { 6 };
    let (mut same, mut up, mut down) = (1, 1, 1);
    for w in body.windows(2) {
        let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
        let alnum = a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
        same = if alnum && w[0] == w[1] { same + 1 } else { 1 };
        up = if alnum && b == a.wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if alnum && b == a.wrapping_sub(1) {
            down + 1
        } else {
            1
        };
        if same >= same_limit || up >= 8 || down >= 8 {
            return true;
        }
    }
    interleaved_run(body)
}

/// Two ascending sequences woven together, `A1B2C3D4E5`: five or more
/// steps in both the even and the odd positions.
fn interleaved_run(body: &[u8]) -> bool {
    let mut steps = 0;
    for w in body.windows(3) {
        let (a, c) = (w[0].to_ascii_lowercase(), w[2].to_ascii_lowercase());
        if a.is_ascii_alphanumeric() && c == a.wrapping_add(1) {
            steps += 1;
            if steps >= 10 {
                return true;
            }
        } else {
            steps = 0;
        }
    }
    false
}

/// A long body written with very few distinct characters (e.g. `abababab…`).
///
/// The bar is low enough that random keys over small alphabets pass: a
/// random 64-character hex key often lacks one or two of the 16 hex digits,
/// but never uses fewer than 8.
fn low_diversity(body: &[u8]) -> bool {
    if body.len() < 16 {
        return false;
    }
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in body {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
        }
    }
    distinct * 4 < body.len().min(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            &b"sk-xxxxxxxxxxxxxxxxxxxx"[..],
            b"your-api-key-here",
            b"${OPENAI_API_KEY}",
            b"<KEY>",
            b"AKIAIOSFODNN7EXAMPLE",
            b"sk-abc123...",
            b"process.env.OPENAI_API_KEY",
        ] {
            assert!(is_placeholder(p, p), "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn runs_and_diversity() {
        assert!(is_placeholder(b"k", b"aaaaaaQ9z"));
        assert!(is_placeholder(b"k", b"Z0123456789"));
        assert!(is_placeholder(b"k", b"abababababababababab"));
        assert!(!is_placeholder(b"k", b"Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F"));
        assert!(is_placeholder(b"k", b"aBcDeFgHiJ9k2L"));
        assert!(is_placeholder(b"k", b"A1B2C3D4E5F6G7H8I9J0"));
        // Random hex that happens to miss a few digits is still a key.
        assert!(!is_placeholder(
            b"k",
            b"d396f4600fed212bbd4de22beb6ada54ecc39f054e2be3e1162e9054595e6b2a"
        ));
        // Indentation inside a multi-part secret is not a run.
        assert!(!is_placeholder(b"k", b"Qm3r8ZkT\n        0vLw2XcN5b"));
    }

    #[test]
    fn short_words_count_only_as_words() {
        assert!(is_placeholder(b"sk-xxxx-xxxx", b"xxxx-xxxx"));
        assert!(is_placeholder(b"fakeToken9Q", b"fakeToken9Q"));
        let random = b"pypi-AgEIcHlwaS5vcmcala1K1KYHsIdi_cvzuSteyJK_BTDa_ZuQnGDKsERyYo7je2ITiyKL7NALQL1bRKGgamOCKcoyKnUu"; // keyscan:allow (fake test value)
        assert!(!is_placeholder(random, &random[5..]));
        assert!(!is_placeholder(
            b"G0uIWGsuICxLOreMBJa8vS",
            b"G0uIWGsuICxLOreMBJa8vS"
        ));
        assert!(is_placeholder(
            b"your_sample_key_0001",
            b"your_sample_key_0001"
        ));
    }

    #[test]
    fn key_blocks_ignore_short_words() {
        let block = format!(
            "-----BEGIN PRIVATE KEY-----\\n{}uxxXx\\nd6{}\\n-----END PRIVATE KEY-----",
            "Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F".repeat(8),
            "Zx9".repeat(20)
        );
        assert!(!is_placeholder(block.as_bytes(), block.as_bytes()));
    }

    #[test]
    fn published_examples() {
        let t = b"SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2";
        assert!(is_placeholder(t, t));
    }

    #[test]
    fn base64_of_words() {
        assert!(is_placeholder(b"QUNDRVNTX0tFWQ0K", b"QUNDRVNTX0tFWQ0K"));
        assert!(!is_placeholder(
            b"NfiglJ5m7yyPhcothuTUjVBIPrDKjawz4MOuXM+Y",
            b"NfiglJ5m7yyPhcothuTUjVBIPrDKjawz4MOuXM+Y"
        ));
    }

    #[test]
    fn more_markers() {
        for p in [
            &b"sk-fake-key-for-tests-0000"[..],
            b"gsk_your_key_here",
            b"mock_token_value_Q9z",
        ] {
            assert!(is_placeholder(p, p), "{}", String::from_utf8_lossy(p));
        }
    }
}
