//! One shared test for values that look like a key but are not one:
//! documentation placeholders, templates, environment lookups, masked or
//! truncated keys, and runs of repeated or sequential characters.
//!
//! Every rule's candidate secret passes through [`is_placeholder`]; rules do
//! not carry their own copies of these patterns. The markers and the
//! published sample credentials are data (`rules/shared/placeholders.toml`);
//! the runs, the low diversity and the base64 of words are computed here.

use serde::Deserialize;

use aho_corasick::AhoCorasick;

/// The shared placeholder data (`rules/shared/placeholders.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Data {
    /// Substrings (compared case-insensitively) that mark a value as a
    /// stand-in.
    pub markers: Vec<String>,
    /// Short words that mark a stand-in only as a word of their own.
    pub word_markers: Vec<String>,
    /// Sample credentials that providers publish in their documentation.
    pub published: Vec<Published>,
    /// Values that must and must not be taken for placeholders (asserted
    /// by the tests).
    pub examples: Examples,
}

/// A sample credential a provider or specification publishes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// The value (found anywhere in a secret).
    pub value: String,
    /// Where it is published.
    pub source: String,
}

/// The shared data's own examples.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Each must be a placeholder.
    pub placeholders: Vec<String>,
    /// Each must not.
    pub keys: Vec<String>,
}

/// The text of the shared placeholder data, embedded at build time.
pub const DATA_TOML: &str = include_str!("../../rules/shared/placeholders.toml");

/// Parse placeholder data.
pub fn parse(text: &str) -> Result<Data, toml::de::Error> {
    toml::from_str(text)
}

/// The built-in placeholder data, parsed once. (The tests make sure it
/// parses; should it not, no value is taken for a placeholder by it.)
pub fn data() -> &'static Data {
    static DATA: std::sync::OnceLock<Data> = std::sync::OnceLock::new();
    DATA.get_or_init(|| parse(DATA_TOML).unwrap_or_default())
}

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

/// The data's strings as automata, built once: every candidate secret of
/// every rule is checked against all of them.
struct Matchers {
    /// Published values, case-sensitive.
    published: AhoCorasick,
    /// Markers, ASCII case-insensitive.
    markers: AhoCorasick,
    /// Word markers, ASCII case-insensitive, every occurrence reported.
    words: AhoCorasick,
}

fn matchers() -> &'static Option<Matchers> {
    static M: std::sync::OnceLock<Option<Matchers>> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let d = data();
        let build = |pats: Vec<&str>, nocase: bool| {
            AhoCorasick::builder()
                .ascii_case_insensitive(nocase)
                .build(pats)
                .ok()
        };
        Some(Matchers {
            published: build(
                d.published.iter().map(|p| p.value.as_str()).collect(),
                false,
            )?,
            markers: build(d.markers.iter().map(String::as_str).collect(), true)?,
            words: build(d.word_markers.iter().map(String::as_str).collect(), true)?,
        })
    })
}

fn has_marker(secret: &[u8]) -> bool {
    let Some(m) = matchers() else {
        return false;
    };
    m.published.is_match(secret)
        || m.markers.is_match(secret)
        // Key blocks (PEM, PGP) are long runs of base64 split by line
        // breaks: short words turn up in them by chance.
        || (secret.len() <= 256 && has_word(&m.words, secret))
}

/// A word marker occurs with a separator (not alphanumeric, not a base64
/// symbol) or the edge of `hay` on at least one side.
fn has_word(words: &AhoCorasick, hay: &[u8]) -> bool {
    // `+`, `/` and `=` are base64 characters: next to them a marker is
    // still inside a random run.
    let edge = |i: Option<usize>| {
        i.and_then(|i| hay.get(i))
            .is_none_or(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'+' | b'/' | b'='))
    };
    words
        .find_overlapping_iter(hay)
        .any(|m| edge(m.start().checked_sub(1)) || edge(Some(m.end())))
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
    let mut same = 1;
    for w in body.windows(2) {
        let alnum = w[0].is_ascii_alphanumeric() && w[1].is_ascii_alphanumeric();
        same = if alnum && w[0] == w[1] { same + 1 } else { 1 };
        if same >= same_limit {
            return true;
        }
    }
    has_sequence(body, 8) || interleaved_run(body)
}

/// `len` or more letters or digits in an ascending or descending sequence,
/// case aside (`abcd`, `aBcD`, `4321` for 4).
pub fn has_sequence(body: &[u8], len: usize) -> bool {
    let (mut up, mut down) = (1, 1);
    for w in body.windows(2) {
        let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
        let alnum = a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric();
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
        if up >= len || down >= len {
            return true;
        }
    }
    false
}

/// Two ascending (or two descending) sequences woven together,
/// `A1B2C3D4E5`, `z9y8x7w6v5`: five or more steps in both the even and the
/// odd positions. Then [`step_density`].
fn interleaved_run(body: &[u8]) -> bool {
    let (mut up, mut down) = (0, 0);
    for w in body.windows(3) {
        let (a, c) = (w[0].to_ascii_lowercase(), w[2].to_ascii_lowercase());
        let alnum = a.is_ascii_alphanumeric() && c.is_ascii_alphanumeric();
        up = if alnum && c == a.wrapping_add(1) {
            up + 1
        } else {
            0
        };
        down = if alnum && c == a.wrapping_sub(1) {
            down + 1
        } else {
            0
        };
        if up >= 10 || down >= 10 {
            return true;
        }
    }
    step_density(body)
}

/// Short sequences back to back, `123abc456def789ghi`: in a body of 24 or
/// more characters, at least two thirds of neighbouring characters step by
/// one. (Random keys come nowhere near: in 200,000 random 30-character
/// digit strings, the most was 55%; hex, 41%.)
fn step_density(body: &[u8]) -> bool {
    if body.len() < 24 {
        return false;
    }
    let steps = body
        .windows(2)
        .filter(|w| {
            let (a, b) = (w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
            a.is_ascii_alphanumeric()
                && b.is_ascii_alphanumeric()
                && (b == a.wrapping_add(1) || b == a.wrapping_sub(1))
        })
        .count();
    steps * 3 >= (body.len() - 1) * 2
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
    crate::entropy::distinct(body) * 4 < body.len().min(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_data_parses_and_its_examples_hold() {
        let d = parse(DATA_TOML).expect("rules/shared/placeholders.toml parses");
        assert!(!d.markers.is_empty() && !d.word_markers.is_empty() && !d.published.is_empty());
        for p in &d.examples.placeholders {
            assert!(is_placeholder(p.as_bytes(), p.as_bytes()), "{p}");
        }
        for k in &d.examples.keys {
            assert!(!is_placeholder(k.as_bytes(), k.as_bytes()), "{k}");
        }
        // Every published sample is found inside a value.
        for p in &d.published {
            let v = format!("tok_{}", p.value);
            assert!(is_placeholder(v.as_bytes(), v.as_bytes()), "{}", p.value);
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
        assert!(is_placeholder(b"k", b"z9y8x7w6v5u4t3s2r1q0p9o8n7m6l5"));
        assert!(is_placeholder(b"k", b"123abc456def789ghi012jkl345mno"));
        assert!(!is_placeholder(b"k", b"4917360285173946028517394602"));
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
    fn base64_of_words() {
        assert!(is_placeholder(b"QUNDRVNTX0tFWQ0K", b"QUNDRVNTX0tFWQ0K"));
        assert!(!is_placeholder(
            b"NfiglJ5m7yyPhcothuTUjVBIPrDKjawz4MOuXM+Y",
            b"NfiglJ5m7yyPhcothuTUjVBIPrDKjawz4MOuXM+Y"
        ));
    }
}
