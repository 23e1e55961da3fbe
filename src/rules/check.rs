//! Structural checks: properties of a secret beyond its regex, such as a
//! checksum or a fixed marker, that tell a real key from a look-alike.
//!
//! A finding that passed a check is reported as verified structurally.

use serde::{Deserialize, Serialize};

/// The base62 alphabet GitHub and npm use for their token checksums.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A structural check named by a rule's `check` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// The last 6 characters are the base62 CRC32 of the 30 characters before
    /// them, after the prefix that ends at the last `_` (GitHub classic
    /// tokens `ghp_` etc., npm `npm_`).
    Crc32Base62,
    /// The secret contains this literal (e.g. OpenAI's `T3BlbkFJ`).
    Contains(String),
    /// The secret is a JWT whose header decodes to a JSON object with `alg`.
    Jwt,
    /// A value assigned to a secret-like name: entropy floors per charset,
    /// no hashes, UUIDs, identifiers or file names; the `name` group, if
    /// the regex has one, must not name a hash, id, URL or the like.
    GenericSecret,
    /// An environment-prefixed key (`prod_…`): the random part after the
    /// last `_` mixes upper case, lower case and digits (or is long
    /// lower-case hex) and has high entropy.
    EnvKey,
}

impl Check {
    /// Reject checks that cannot be applied.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Check::Contains(s) if s.is_empty() => Err("check `contains` needs a literal".into()),
            _ => Ok(()),
        }
    }

    /// Whether `secret` passes the check.
    pub fn verify(&self, secret: &[u8]) -> bool {
        match self {
            Check::Crc32Base62 => crc32_base62_ok(secret),
            Check::Contains(lit) => memchr::memmem::find(secret, lit.as_bytes()).is_some(),
            Check::Jwt => jwt_ok(secret),
            Check::GenericSecret => generic_secret_ok(secret, None),
            Check::EnvKey => env_key_ok(secret),
        }
    }

    /// Whether passing the check says something about the key's structure
    /// (and so is reported as verified).
    pub fn is_structural(&self) -> bool {
        !matches!(self, Check::GenericSecret | Check::EnvKey)
    }

    /// A short phrase saying what was verified.
    pub fn describe(&self) -> String {
        match self {
            Check::Crc32Base62 => "CRC32 checksum verified".into(),
            Check::Contains(lit) => format!("format marker `{lit}` present"),
            Check::Jwt => "JWT structure verified".into(),
            Check::GenericSecret | Check::EnvKey => "high-entropy value".into(),
        }
    }
}

/// Encode `n` as 6 base62 digits, zero padded.
pub fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

fn crc32_base62_ok(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let rest = &secret[us + 1..];
    if rest.len() < 7 {
        return false;
    }
    let (body, sum) = rest.split_at(rest.len() - 6);
    base62_6(crc32fast::hash(body)) == sum
}

/// Parts of variable names that say the value is not a secret.
const NAME_DENY: &[&str] = &[
    "hash",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "checksum",
    "digest",
    "integrity",
    "commit",
    "revision",
    "etag",
    "uuid",
    "guid",
    "fingerprint",
    "public",
    "pubkey",
];

/// Endings of variable names that say the value is not the secret itself.
const NAME_DENY_SUFFIX: &[&str] = &[
    "url", "uri", "endpoint", "path", "file", "filename", "name", "type", "length", "len", "size",
    "env", "header", "prefix", "field", "format", "pattern", "regex", "id", "ids", "count",
    "version", "dir", "expiry", "expires", "ttl", "timeout", "label", "ref", "arn",
];

/// See [`Check::GenericSecret`].
pub fn generic_secret_ok(secret: &[u8], name: Option<&[u8]>) -> bool {
    use crate::entropy::{charset, mixed_classes, shannon, Charset};
    if let Some(name) = name {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        if NAME_DENY.iter().any(|d| lower.contains(d)) {
            return false;
        }
        if NAME_DENY_SUFFIX.contains(&last_word(name).as_str()) {
            return false;
        }
    }
    if secret.len() < 16
        || is_uuid(secret)
        || looks_like_identifier(secret)
        || looks_like_file(secret)
    {
        return false;
    }
    if !secret.iter().any(u8::is_ascii_digit) || !secret.iter().any(u8::is_ascii_alphabetic) {
        return false;
    }
    let e = shannon(secret);
    match charset(secret) {
        Charset::Hex => secret.len() >= 20 && e >= 3.0,
        Charset::Alphanumeric => mixed_classes(secret) >= 2 && e >= 3.5,
        Charset::Base64 | Charset::Other => e >= 3.7,
    }
}

/// The last word of a snake, kebab, dotted or camelCase name, lower-cased:
/// `OPENAI_API_KEY` → `key`, `tokenUrl` → `url`.
fn last_word(name: &[u8]) -> String {
    let name: &[u8] = match name.iter().rposition(u8::is_ascii_alphanumeric) {
        Some(end) => &name[..=end],
        None => return String::new(),
    };
    let mut start = 0;
    for i in 1..name.len() {
        let (a, b) = (name[i - 1], name[i]);
        if !a.is_ascii_alphanumeric() || (a.is_ascii_lowercase() && b.is_ascii_uppercase()) {
            start = i;
        }
    }
    String::from_utf8_lossy(&name[start..])
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_ascii_lowercase()
}

/// See [`Check::EnvKey`].
fn env_key_ok(secret: &[u8]) -> bool {
    use crate::entropy::{mixed_classes, shannon};
    let body = match secret.iter().rposition(|&b| b == b'_') {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    let hex_lower = body.len() >= 32
        && body
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        && body.iter().any(u8::is_ascii_digit);
    (mixed_classes(body) == 3 || hex_lower) && shannon(body) >= 3.5
}

/// `8-4-4-4-12` hex.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A dotted or snake/kebab-case reference such as `settings.SECRET_KEY`,
/// `config.api.token` or `my-app-token-v2`: words only, no random run.
fn looks_like_identifier(s: &[u8]) -> bool {
    let words = s
        .split(|&b| matches!(b, b'.' | b'_' | b'-' | b'/'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>();
    words.len() >= 2
        && words.iter().all(|w| {
            w.len() <= 12
                && (w
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    || w.iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    || (w[0].is_ascii_uppercase() && w[1..].iter().all(u8::is_ascii_lowercase)))
        })
}

/// Ends with a file extension, e.g. `logo_32x32.png`.
fn looks_like_file(s: &[u8]) -> bool {
    match memchr::memrchr(b'.', s) {
        Some(i) => {
            let ext = &s[i + 1..];
            (2..=4).contains(&ext.len())
                && ext.iter().all(u8::is_ascii_lowercase)
                && i > 0
                && matches!(
                    ext,
                    b"png"
                        | b"jpg"
                        | b"jpeg"
                        | b"gif"
                        | b"svg"
                        | b"js"
                        | b"ts"
                        | b"css"
                        | b"json"
                        | b"yaml"
                        | b"yml"
                        | b"toml"
                        | b"txt"
                        | b"md"
                        | b"html"
                        | b"py"
                        | b"rs"
                        | b"go"
                        | b"java"
                        | b"pem"
                        | b"key"
                        | b"crt"
                        | b"tar"
                        | b"gz"
                        | b"zip"
                        | b"log"
                        | b"xml"
                        | b"ini"
                        | b"cfg"
                        | b"conf"
                        | b"env"
                        | b"sh"
                        | b"lock"
                )
        }
        None => false,
    }
}

fn jwt_ok(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let Some(header) = parts.next() else {
        return false;
    };
    let decoded = match base64url_decode(header) {
        Some(d) => d,
        None => return false,
    };
    decoded.first() == Some(&b'{') && memchr::memmem::find(&decoded, b"\"alg\"").is_some()
}

/// Decode unpadded base64url (or standard base64); `None` if invalid.
pub fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a token with a valid checksum from a prefix and 30-char body.
    fn with_checksum(prefix: &str, body: &str) -> String {
        let sum = base62_6(crc32fast::hash(body.as_bytes()));
        format!("{prefix}{body}{}", std::str::from_utf8(&sum).unwrap())
    }

    #[test]
    fn crc32_checksum_round_trip() {
        let tok = with_checksum("ghp_", "Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F");
        assert!(Check::Crc32Base62.verify(tok.as_bytes()));
        let mut bad = tok.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'a' { b'b' } else { b'a' };
        assert!(!Check::Crc32Base62.verify(&bad));
    }

    #[test]
    fn base62_pads_with_zeros() {
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(62), b"000010");
    }

    #[test]
    fn contains_marker() {
        let c = Check::Contains("T3BlbkFJ".into());
        assert!(c.verify(b"sk-abcT3BlbkFJdef"));
        assert!(!c.verify(b"sk-abcdef"));
    }

    #[test]
    fn jwt_header() {
        assert!(Check::Jwt.verify(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!Check::Jwt.verify(b"abc.def.ghi"));
    }
}
