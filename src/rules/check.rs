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
    /// The secret ends with this literal (e.g. Anthropic's `AA`).
    EndsWith(String),
    /// The secret is a JWT whose payload (decoded, whitespace removed)
    /// contains every one of these literals, e.g. `"role":"service_role"`.
    JwtPayload(Vec<String>),
    /// A Discord bot token: its first segment is the base64 of the bot's
    /// numeric user id (a 17 to 20 digit snowflake).
    DiscordToken,
    /// An AWS access key id, a secret access key, or both (a pair found
    /// together is one secret): the id is base32 with a known type prefix,
    /// the secret is 40 characters of base64 mixing upper and lower case.
    AwsKey,
    /// A URL with embedded credentials (`postgres://user:pass@host`): the
    /// password is not a template, not the user name and not a well-known
    /// default such as `password` or `postgres`.
    UrlPassword,
    /// A long-lived Amazon Bedrock API key: `ABSK` and the base64 of
    /// `BedrockAPIKey-<id>:<secret>`.
    BedrockKey,
    /// The secret mixes upper-case and lower-case letters (random
    /// alphanumeric keys do; hex digests and identifiers in one case don't).
    MixedCase,
    /// An armoured key block whose body holds key material: a run of at
    /// least 40 base64 characters (code that merely mentions the BEGIN and
    /// END lines has none).
    PemBody,
}

impl Check {
    /// Reject checks that cannot be applied.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Check::Contains(s) | Check::EndsWith(s) if s.is_empty() => {
                Err("check `contains` / `ends-with` needs a literal".into())
            }
            Check::JwtPayload(v) if v.is_empty() || v.iter().any(|s| s.is_empty()) => {
                Err("check `jwt-payload` needs at least one non-empty literal".into())
            }
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
            Check::EndsWith(lit) => secret.ends_with(lit.as_bytes()),
            Check::JwtPayload(lits) => jwt_payload_ok(secret, lits),
            Check::DiscordToken => discord_token_ok(secret),
            Check::AwsKey => aws_key_ok(secret),
            Check::UrlPassword => url_password_ok(secret),
            Check::BedrockKey => bedrock_key_ok(secret),
            Check::MixedCase => {
                secret.iter().any(u8::is_ascii_uppercase)
                    && secret.iter().any(u8::is_ascii_lowercase)
            }
            Check::PemBody => pem_body_ok(secret),
        }
    }

    /// Whether passing the check says something about the key's structure
    /// (and so is reported as verified).
    pub fn is_structural(&self) -> bool {
        !matches!(
            self,
            Check::GenericSecret
                | Check::EnvKey
                | Check::AwsKey
                | Check::UrlPassword
                | Check::MixedCase
                | Check::PemBody
        )
    }

    /// A short phrase saying what was verified.
    pub fn describe(&self) -> String {
        match self {
            Check::Crc32Base62 => "CRC32 checksum verified".into(),
            Check::Contains(lit) => format!("format marker `{lit}` present"),
            Check::Jwt => "JWT structure verified".into(),
            Check::EndsWith(lit) => format!("format marker `{lit}` present"),
            Check::JwtPayload(lits) => format!("JWT claims {} verified", lits.join(", ")),
            Check::DiscordToken => "bot id segment decodes to a Discord snowflake".into(),
            Check::BedrockKey => "decodes to a Bedrock API key credential".into(),
            Check::GenericSecret
            | Check::EnvKey
            | Check::AwsKey
            | Check::UrlPassword
            | Check::MixedCase
            | Check::PemBody => "high-entropy value".into(),
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
    // WebRTC session descriptions: per-session ICE credentials.
    "ice-pwd",
    "ice_pwd",
    "ice-ufrag",
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
        // A Fernet token (version byte 0x80, then a timestamp) is an
        // encrypted message, not a key.
        || secret.starts_with(b"gAAAAA")
        || is_uuid(secret)
        || looks_like_identifier(secret)
        || looks_like_words(secret)
        || looks_like_file(secret)
        || inner_equals(secret)
    {
        return false;
    }
    let e = shannon(secret);
    if !secret.iter().any(u8::is_ascii_alphabetic)
        || (!secret.iter().any(u8::is_ascii_digit) && !random_letters(secret, e))
    {
        return false;
    }
    match charset(secret) {
        Charset::Hex => secret.len() >= 20 && e >= 3.0,
        Charset::Alphanumeric => mixed_classes(secret) >= 2 && e >= 3.5,
        Charset::Base64 | Charset::Other => e >= 3.7,
    }
}

/// A long value of letters (and a few base64 symbols) with no digit that
/// still looks random rather than like a camelCase or ALL-CAPS identifier:
/// upper and lower case each make up at least 30% of its letters, the case
/// flips between neighbouring letters at least 40% of the time (words flip
/// about once in four letters, random text once in two), and its entropy is
/// high. A random 32-character alphanumeric key has no digit about once in
/// 300; this keeps most of those.
fn random_letters(s: &[u8], entropy: f64) -> bool {
    let upper = s.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = s.iter().filter(|b| b.is_ascii_lowercase()).count();
    let letters = upper + lower;
    let symbols_ok = s
        .iter()
        .all(|&b| b.is_ascii_alphabetic() || matches!(b, b'+' | b'/' | b'_' | b'-' | b'='));
    let pairs = s
        .windows(2)
        .filter(|w| w[0].is_ascii_alphabetic() && w[1].is_ascii_alphabetic());
    let (mut n, mut flips) = (0, 0);
    for w in pairs {
        n += 1;
        flips += usize::from(w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase());
    }
    s.len() >= 20
        && symbols_ok
        && letters * 5 >= s.len() * 4
        && upper * 10 >= letters * 3
        && lower * 10 >= letters * 3
        && flips * 10 >= n * 4
        && entropy >= 4.2
}

/// An `=` anywhere but in trailing base64 padding: `cast_to=httpx.Response`
/// is code, not a key.
fn inner_equals(s: &[u8]) -> bool {
    let body = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    body.contains(&b'=')
}

/// Split `s` into the humps a person writes names with: runs of digits,
/// capitalised or lower-case words, and acronyms of up to 4 capitals
/// (`v4Internal.AmzSecurityTokenKey` → v 4 Internal Amz Security Token Key).
/// Returns (letters in humps that read like words, letters). A hump reads
/// like a word when it has 3 to 14 letters and vowels (at least one, and a
/// quarter of a hump of 6 or more); an acronym when it has a vowel.
fn word_letters(s: &[u8]) -> (usize, usize) {
    let vowels = |h: &[u8]| h.iter().filter(|b| b"aeiouyAEIOUY".contains(b)).count();
    let (mut wordy, mut letters) = (0, 0);
    let mut i = 0;
    while i < s.len() {
        if !s[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        if s[i].is_ascii_uppercase() {
            let mut j = i;
            while j < s.len() && s[j].is_ascii_uppercase() {
                j += 1;
            }
            if j - i > 1 {
                // An acronym; its last capital starts the next word when a
                // lower-case letter follows (`TTLHeader` → TTL Header).
                let end = if j < s.len() && s[j].is_ascii_lowercase() {
                    j - 1
                } else {
                    j
                };
                let hump = &s[start..end];
                letters += hump.len();
                if (2..=4).contains(&hump.len()) && vowels(hump) > 0 {
                    wordy += hump.len();
                }
                i = end;
                continue;
            }
            i += 1;
        }
        while i < s.len() && s[i].is_ascii_lowercase() {
            i += 1;
        }
        let hump = &s[start..i];
        letters += hump.len();
        let v = vowels(hump);
        if (3..=14).contains(&hump.len()) && v > 0 && (hump.len() < 6 || v * 4 >= hump.len()) {
            wordy += hump.len();
        }
    }
    (wordy, letters)
}

/// A value made of words (`SecretName-6RandomCharacters`,
/// `v4Internal.AmzCredentialKey`): nine letters in ten sit in word-like
/// humps. Random keys break into short humps without vowels; one random
/// 24-character alphanumeric key in about 1,500 reads as words.
fn looks_like_words(s: &[u8]) -> bool {
    let (wordy, letters) = word_letters(s);
    letters >= 8 && wordy * 10 >= letters * 9
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
        let acronym_end = a.is_ascii_uppercase()
            && b.is_ascii_uppercase()
            && name.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        if !a.is_ascii_alphanumeric()
            || (a.is_ascii_lowercase() && b.is_ascii_uppercase())
            || acronym_end
        {
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

/// See [`Check::JwtPayload`].
fn jwt_payload_ok(secret: &[u8], lits: &[String]) -> bool {
    if !jwt_ok(secret) {
        return false;
    }
    let Some(payload) = secret.split(|&b| b == b'.').nth(1) else {
        return false;
    };
    let Some(decoded) = base64url_decode(payload) else {
        return false;
    };
    let compact: Vec<u8> = decoded
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    lits.iter().all(|l| {
        let l: Vec<u8> = l.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        memchr::memmem::find(&compact, &l).is_some()
    })
}

/// See [`Check::DiscordToken`].
fn discord_token_ok(secret: &[u8]) -> bool {
    let Some(first) = secret.split(|&b| b == b'.').next() else {
        return false;
    };
    match base64url_decode(first) {
        Some(id) => (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit),
        None => false,
    }
}

/// Type prefixes of AWS access key ids (`A3T` is followed by one more
/// character of any kind).
const AWS_ID_PREFIXES: &[&[u8]] = &[b"AKIA", b"ASIA", b"ABIA", b"ACCA", b"A3T"];

/// Find an AWS access key id in `s`: a type prefix and base32 up to 20
/// characters, not inside a longer word.
fn find_aws_id(s: &[u8]) -> Option<&[u8]> {
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b'=');
    (0..s.len().saturating_sub(19)).find_map(|i| {
        let cand = &s[i..i + 20];
        let prefixed = AWS_ID_PREFIXES.iter().any(|p| cand.starts_with(p));
        let body_ok = cand[4..]
            .iter()
            .all(|&b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        let bounded = (i == 0 || !word(s[i - 1])) && s.get(i + 20).is_none_or(|&b| !word(b));
        (prefixed && body_ok && bounded).then_some(cand)
    })
}

/// Find a run of exactly 40 base64 characters (an AWS secret access key).
fn find_aws_secret(s: &[u8]) -> Option<&[u8]> {
    let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'+';
    let mut i = 0;
    while i < s.len() {
        if !b64(s[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && b64(s[i]) {
            i += 1;
        }
        if i - start == 40 && s.get(i) != Some(&b'=') {
            return Some(&s[start..i]);
        }
    }
    None
}

/// See [`Check::AwsKey`].
fn aws_key_ok(secret: &[u8]) -> bool {
    use crate::entropy::shannon;
    let id = find_aws_id(secret);
    let key = find_aws_secret(secret).filter(|k| Some(*k) != id);
    if id.is_none() && key.is_none() {
        return false;
    }
    // 16 random base32 characters fall below 2.6 bits once in 100,000;
    // `AKIADEADBEEFDEADBEEF` has 2.2.
    let id_ok = id.is_none_or(|id| shannon(&id[4..]) >= 2.5);
    let key_ok = key.is_none_or(|k| {
        k.iter().any(u8::is_ascii_uppercase)
            && k.iter().any(u8::is_ascii_lowercase)
            && shannon(k) >= 4.2
    });
    id_ok && key_ok
}

/// Passwords that are defaults or documentation, never real secrets.
const TRIVIAL_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "changeme",
    "change_me",
    "admin",
    "root",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "rabbitmq",
    "guest",
    "test",
    "testing",
    "tester",
    "user",
    "username",
    "default",
    "demo",
    "dev",
    "development",
    "local",
    "docker",
    "letmein",
    "qwerty",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "toor",
    "mypassword",
    "yourpassword",
    "db_password",
    "dbpassword",
    "db_pass",
    "dbpass",
    "pw",
    "pa55word",
    "p@ssw0rd",
    "p@ssword",
    "passw0rd",
    "password1",
    "password123",
    "secret123",
    "example",
    "sample",
    "foo",
    "bar",
    "foobar",
    "none",
    "null",
    "empty",
    "airflow",
    "keycloak",
    "superset",
    "sonar",
    "gitlab",
    "grafana",
    "minio",
    "minioadmin",
    "django",
    "rails",
    "app",
    "web",
    "api",
    "service",
    "oracle",
    "sa",
];

/// See [`Check::UrlPassword`].
fn url_password_ok(secret: &[u8]) -> bool {
    let s = String::from_utf8_lossy(secret);
    let Some(rest) = s.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let Some(at) = rest.rfind('@') else {
        return false;
    };
    let Some((user, pass)) = rest[..at].split_once(':') else {
        return false;
    };
    let host = rest[at + 1..].split(':').next().unwrap_or("");
    let lower = pass.to_ascii_lowercase();
    if pass.is_empty()
        || pass == user
        || host.is_empty()
        || TRIVIAL_PASSWORDS.contains(&lower.as_str())
        || pass.starts_with('$')
        || pass.contains(['{', '}', '%', '$', '[', ']'])
        || lower.starts_with("your")
        || lower.contains("password")
    {
        return false;
    }
    // A short dictionary word (`hunter`, `letmein`) is a demo password;
    // keep it only if it mixes kinds of characters.
    let letters_only = pass.bytes().all(|b| b.is_ascii_lowercase());
    !(pass.bytes().all(|b| b.is_ascii_digit()) || letters_only && pass.len() < 12)
}

/// See [`Check::PemBody`].
fn pem_body_ok(secret: &[u8]) -> bool {
    let b64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    // Skip the BEGIN line itself (`-----BEGIN ... PRIVATE KEY-----`).
    let body = match memchr::memmem::find(&secret[5..], b"-----") {
        Some(i) => &secret[5 + i + 5..],
        None => return false,
    };
    let mut run = 0;
    for b in body {
        run = if b64(b) { run + 1 } else { 0 };
        if run >= 40 {
            return true;
        }
    }
    false
}

/// See [`Check::BedrockKey`].
fn bedrock_key_ok(secret: &[u8]) -> bool {
    let Some(body) = secret.strip_prefix(b"ABSK") else {
        return false;
    };
    match base64url_decode(body) {
        Some(d) => {
            d.starts_with(b"BedrockAPIKey-")
                && memchr::memchr(b':', &d).is_some()
                && d.iter().all(|b| b.is_ascii_graphic())
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

    fn b64url(data: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn jwt_payload_claims() {
        let head = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let service = b64url(br#"{"iss":"supabase","ref":"abcdefghijklmnopqrst","role": "service_role","iat":1700000000}"#);
        let anon = b64url(
            br#"{"iss":"supabase","ref":"abcdefghijklmnopqrst","role":"anon","iat":1700000000}"#,
        );
        let c = Check::JwtPayload(vec![r#""role":"service_role""#.into()]);
        assert!(c.verify(format!("{head}.{service}.c2lnbmF0dXJl").as_bytes()));
        assert!(!c.verify(format!("{head}.{anon}.c2lnbmF0dXJl").as_bytes()));
        assert!(!c.verify(b"abc.def.ghi"));
    }

    #[test]
    fn discord_snowflake() {
        let tok = format!(
            "{}.GhJkLm.{}",
            b64url(b"912345678901234567"),
            "a".repeat(38)
        );
        assert!(Check::DiscordToken.verify(tok.as_bytes()));
        let bad = format!("{}.GhJkLm.{}", b64url(b"not-a-snowflake!!"), "a".repeat(38));
        assert!(!Check::DiscordToken.verify(bad.as_bytes()));
    }

    #[test]
    fn aws_pairs_and_parts() {
        let id = "AKIAQ3EGUTR5LKXMNB7Z"; // keyscan:allow (fake test value)
        let key = "k9Jd2Lq8Vz0Xw7Tn4Rb1Yc6Pm3Hs5Fg2Ea8Ud0Ow";
        assert!(Check::AwsKey.verify(id.as_bytes()));
        assert!(Check::AwsKey.verify(key.as_bytes()));
        let pair = format!("{id}\naws_secret_access_key = {key}");
        assert!(Check::AwsKey.verify(pair.as_bytes()));
        // A 40-character hex digest is not a secret access key.
        assert!(!Check::AwsKey.verify(b"da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        let weak = format!("{id}\naws_secret_access_key = {}", "ab".repeat(20));
        assert!(!Check::AwsKey.verify(weak.as_bytes()));
    }

    #[test]
    fn url_passwords() {
        assert!(Check::UrlPassword.verify(b"postgres://app:Xk29fj2LqP0z@db.internal:5432")); // keyscan:allow (fake test value)
        for bad in [
            &b"postgres://postgres:postgres@localhost"[..],
            b"mysql://root:password@127.0.0.1",
            b"postgres://user:${DB_PASSWORD}@db",
            b"redis://default:secret@cache",
            b"postgres://u:hunter@db",
        ] {
            assert!(
                !Check::UrlPassword.verify(bad),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bedrock_long_lived() {
        let key = format!(
            "ABSK{}",
            b64url(b"BedrockAPIKey-abcd-at-123456789012:Zx8PqL2mN4vB7cR1tY6uW3eS9dF0gH5j") // keyscan:allow (fake test value)
        );
        assert!(Check::BedrockKey.verify(key.as_bytes()));
        let bad = format!(
            "ABSK{}",
            b64url(b"SomethingElse-abcd-at-123456789012:Zx8PqL2mN4vB7cR1")
        );
        assert!(!Check::BedrockKey.verify(bad.as_bytes()));
    }

    #[test]
    fn pem_bodies() {
        let block = b"-----BEGIN RSA PRIVATE KEY-----\" +\n\"MIIEpAIBAAKCAQEA19lGVsTqIT5iiNYRgnoY1CwkbETW5cq+Rzk5\" +\n\"-----END RSA PRIVATE KEY-----"; // keyscan:allow (fake test value)
        assert!(Check::PemBody.verify(block));
        let code = b"-----BEGIN PRIVATE KEY-----\"):\n        in_key = True\n    elif line.startswith(\"-----END PRIVATE KEY-----";
        assert!(!Check::PemBody.verify(code));
    }

    #[test]
    fn ends_with_and_mixed_case() {
        assert!(Check::EndsWith("AA".into()).verify(b"sk-ant-xyzAA"));
        assert!(!Check::EndsWith("AA".into()).verify(b"sk-ant-xyzAB"));
        assert!(Check::MixedCase.verify(b"aB3"));
        assert!(!Check::MixedCase.verify(b"deadbeef0123"));
    }

    #[test]
    fn generic_values_that_are_code_or_words() {
        for v in [
            &b"cast_to=httpx2.Response"[..],
            b"v4Internal.AmzSecurityTokenKey",
            b"SecretName-6RandomCharacters",
        ] {
            assert!(
                !generic_secret_ok(v, Some(b"token")),
                "{}",
                String::from_utf8_lossy(v)
            );
        }
        for v in [
            &b"QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA"[..],
            b"NfiglJ5m7yyPhcothuTUjVBIPrDKjawz4MOuXM+Y",
            b"oUpHW0mzoQscjnvIcruciLSMLhWQXdQm",
            b"whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=",
        ] {
            assert!(
                generic_secret_ok(v, Some(b"token")),
                "{}",
                String::from_utf8_lossy(v)
            );
        }
        assert_eq!(last_word(b"tokenTTLHeader"), "header");
    }

    #[test]
    fn generic_values_without_digits() {
        assert!(generic_secret_ok(
            b"kBCJmPZLJHOZASgRrpRDwHMMloZmyFbo",
            Some(b"INTERNAL_TOKEN")
        ));
        assert!(!generic_secret_ok(
            b"ThisIsAVeryLongCamelCaseIdentifierName",
            Some(b"token")
        ));
        assert!(!generic_secret_ok(
            b"HTTPRequestHandlerFactoryXML",
            Some(b"token")
        ));
    }

    #[test]
    fn jwt_header() {
        assert!(Check::Jwt.verify(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!Check::Jwt.verify(b"abc.def.ghi"));
    }
}
