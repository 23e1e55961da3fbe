//! The generic check: a value assigned to a secret-like name is a secret
//! when it looks random (entropy floors per charset) and is not a hash, a
//! UUID, an identifier, a file name or words, and the name it is assigned
//! to does not say it is something else (a hash, an id, a URL).

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

/// See [`crate::rules::Check::GenericSecret`].
pub fn ok(secret: &[u8], name: Option<&[u8]>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_values_that_are_code_or_words() {
        for v in [
            &b"cast_to=httpx2.Response"[..],
            b"v4Internal.AmzSecurityTokenKey",
            b"SecretName-6RandomCharacters",
        ] {
            assert!(!ok(v, Some(b"token")), "{}", String::from_utf8_lossy(v));
        }
        for v in [
            &b"QSr6rz24LpOqJ3OpuLIEi2NvSBbI1rmA"[..],
            b"NfiglJ5m7yyPhcothuTUjVBIPrDKjawz4MOuXM+Y",
            b"oUpHW0mzoQscjnvIcruciLSMLhWQXdQm",
            b"whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=",
        ] {
            assert!(ok(v, Some(b"token")), "{}", String::from_utf8_lossy(v));
        }
        assert_eq!(last_word(b"tokenTTLHeader"), "header");
    }

    #[test]
    fn generic_values_without_digits() {
        assert!(ok(
            b"kBCJmPZLJHOZASgRrpRDwHMMloZmyFbo",
            Some(b"INTERNAL_TOKEN")
        ));
        assert!(!ok(
            b"ThisIsAVeryLongCamelCaseIdentifierName",
            Some(b"token")
        ));
        assert!(!ok(b"HTTPRequestHandlerFactoryXML", Some(b"token")));
    }
}
