//! Rule data beyond the regex: what a secret must hold ([`Requirements`])
//! and what the variable it is assigned to must not say ([`Variable`]).
//! Written in a rule's TOML (`[rule.requirements]`, `[rule.variable]`),
//! applied by the detector to every candidate of the rule, before and after
//! its `check`.

use serde::{Deserialize, Serialize};

use crate::text::contains_ignore_case;

/// What a secret must hold, beyond its regex (Kingfisher calls these
/// pattern requirements).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Requirements {
    /// At most this many bytes. A pattern can leave a value's length open
    /// (`[a-z0-9]{10,}`, a far smaller automaton than `{10,256}`, which
    /// holds a state per count) and bound it here.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_length: usize,
    /// At least this many ASCII digits.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_digits: usize,
    /// At least this many upper-case ASCII letters.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_uppercase: usize,
    /// At least this many lower-case ASCII letters.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_lowercase: usize,
    /// Substrings (compared case-insensitively) that make a value no secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_if_contains: Vec<String>,
    /// File extensions (lower case): a value that ends with `.EXT` after
    /// something else is a file name (`logo_32x32.png`), not a secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_extensions: Vec<String>,
    /// Credentials that are defaults or documentation (`postgres`,
    /// `changeme`), compared case-insensitively with the credential itself
    /// (a URL's password, not the whole URL): never secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trivial: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Requirements {
    /// Whether the rule asks for nothing.
    pub fn is_empty(&self) -> bool {
        *self == Requirements::default()
    }

    /// Whether the matched secret meets the requirements on its text.
    pub fn hold_for(&self, secret: &[u8]) -> bool {
        let count = |f: fn(&u8) -> bool| secret.iter().filter(|b| f(b)).count();
        (self.max_length == 0 || secret.len() <= self.max_length)
            && (self.min_digits == 0 || count(u8::is_ascii_digit) >= self.min_digits)
            && (self.min_uppercase == 0 || count(u8::is_ascii_uppercase) >= self.min_uppercase)
            && (self.min_lowercase == 0 || count(u8::is_ascii_lowercase) >= self.min_lowercase)
            && !self
                .ignore_if_contains
                .iter()
                .any(|w| contains_ignore_case(secret, w.as_bytes()))
            && !self.is_file_name(secret)
    }

    /// Whether the credential (a secret's last part, or the secret) is a
    /// trivial value.
    pub fn is_trivial(&self, credential: &[u8]) -> bool {
        self.trivial
            .iter()
            .any(|t| t.as_bytes().eq_ignore_ascii_case(credential))
    }

    /// Ends with one of the file extensions, after something else.
    fn is_file_name(&self, s: &[u8]) -> bool {
        if self.file_extensions.is_empty() {
            return false;
        }
        match memchr::memrchr(b'.', s) {
            Some(i) if i > 0 => {
                let ext = &s[i + 1..];
                (2..=4).contains(&ext.len())
                    && ext.iter().all(u8::is_ascii_lowercase)
                    && self.file_extensions.iter().any(|e| e.as_bytes() == ext)
            }
            _ => false,
        }
    }
}

/// What the variable a value is assigned to (the regex's `name` group)
/// must not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Variable {
    /// Substrings (compared case-insensitively) of names whose value is no
    /// secret: `hash`, `checksum`, `uuid`, `public`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
    /// Last words (of a snake, kebab, dotted or camelCase name) that say
    /// the value is not the secret itself: `url`, `id`, `ttl`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_last_word: Vec<String>,
    /// First words that make the name a lookup or a description, not a
    /// place that holds the secret: `get` (`getToken("name")`), `is`,
    /// `has`, `max`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_first_word: Vec<String>,
}

impl Variable {
    /// Whether the rule asks nothing of the name.
    pub fn is_empty(&self) -> bool {
        *self == Variable::default()
    }

    /// Whether `name` says its value is not a secret.
    pub fn denies(&self, name: &[u8]) -> bool {
        if self.is_empty() {
            return false;
        }
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        // `sortKey`, `sort_key` and `sort-key` are one name.
        let bare: String = lower
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        self.deny.iter().any(|d| {
            lower.contains(d.as_str()) || {
                // The entry without separators, on the stack: this runs for
                // every candidate of a generic rule.
                let mut buf = [0u8; 64];
                let mut n = 0;
                for b in d.bytes().filter(u8::is_ascii_alphanumeric).take(buf.len()) {
                    buf[n] = b;
                    n += 1;
                }
                n > 0 && memchr::memmem::find(bare.as_bytes(), &buf[..n]).is_some()
            }
        }) || self.deny_last_word.contains(&last_word(name))
            || (!self.deny_first_word.is_empty()
                && self.deny_first_word.contains(&first_word(name)))
    }
}

/// The first word of a snake, kebab, dotted or camelCase name, lower-cased
/// (leading separators skipped): `getApiKey` → `get`, `--api-key` → `api`.
fn first_word(name: &[u8]) -> String {
    let start = match name.iter().position(u8::is_ascii_alphanumeric) {
        Some(s) => s,
        None => return String::new(),
    };
    let name = &name[start..];
    let mut end = name.len();
    for i in 1..name.len() {
        let (a, b) = (name[i - 1], name[i]);
        if !b.is_ascii_alphanumeric() || (a.is_ascii_lowercase() && b.is_ascii_uppercase()) {
            end = i;
            break;
        }
    }
    String::from_utf8_lossy(&name[..end]).to_ascii_lowercase()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_words() {
        assert_eq!(last_word(b"tokenTTLHeader"), "header");
        assert_eq!(last_word(b"OPENAI_API_KEY"), "key");
        assert_eq!(last_word(b"tokenUrl"), "url");
    }

    #[test]
    fn requirements_count_and_exclude() {
        let r = Requirements {
            min_uppercase: 1,
            min_lowercase: 1,
            ignore_if_contains: vec!["TEST".into()],
            file_extensions: vec!["png".into()],
            trivial: vec!["postgres".into()],
            ..Requirements::default()
        };
        assert!(r.hold_for(b"aB3"));
        assert!(!r.hold_for(b"deadbeef0123"));
        assert!(!r.hold_for(b"aBtest"));
        assert!(!r.hold_for(b"logo_32X32.png"));
        assert!(r.is_trivial(b"Postgres"));
        assert!(Requirements::default().hold_for(b"anything"));
    }

    #[test]
    fn max_length_bounds_an_open_pattern() {
        let r = Requirements {
            max_length: 8,
            ..Requirements::default()
        };
        assert!(r.hold_for(b"12345678"));
        assert!(!r.hold_for(b"123456789"));
        assert!(!r.is_empty());
    }

    #[test]
    fn variable_names() {
        let v = Variable {
            deny: vec!["hash".into(), "sort_key".into()],
            deny_last_word: vec!["url".into()],
            deny_first_word: vec!["get".into()],
        };
        assert!(v.denies(b"secret_hash"));
        assert!(v.denies(b"tokenUrl"));
        assert!(v.denies(b"sortKey"));
        assert!(v.denies(b"SORT-KEY"));
        assert!(v.denies(b"getApiKey"));
        assert!(v.denies(b"get_token"));
        assert!(!v.denies(b"budget_token"));
        assert!(!v.denies(b"API_TOKEN"));
        assert_eq!(first_word(b"--api-key"), "api");
        assert_eq!(first_word(b"HTTPToken"), "httptoken");
        assert!(!Variable::default().denies(b"tokenUrl"));
    }
}
