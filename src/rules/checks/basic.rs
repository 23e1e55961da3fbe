//! HTTP Basic credentials: the base64 of `user:password` in an
//! `Authorization: Basic …` value (or a Docker config's `auth`). A pair whose
//! password a person could not guess from the page is reported as the rule
//! says; one whose password is a stand-in (`password`, `secret`, `1234`, the
//! user name again) at low severity and confidence, since it is as often a
//! working default as a sample. A password that is empty, a template or one
//! character repeated is no pair at all.

use super::base64_decode;

/// Passwords that stand for one in examples and documentation.
const STAND_INS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "changeme",
    "change-me",
    "test",
    "testing",
    "example",
    "foo",
    "bar",
    "baz",
    "admin",
    "root",
    "guest",
    "user",
    "username",
    "none",
    "null",
    "123",
    "1234",
    "12345",
    "123456",
    "x",
    "xx",
];

/// How a decoded `user:password` pair reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// A password no one could guess from the page.
    Strong,
    /// A stand-in (`user:password`, `admin:admin`, `sa:123456`): still a
    /// literal credential in the file, often a default that works, but
    /// as likely a sample.
    Guessable,
}

/// What a pair's verdict says: nothing more for a strong password; low
/// severity and confidence, with a note, for a stand-in.
pub fn verdict(pair: Pair) -> super::Verdict {
    match pair {
        Pair::Strong => super::Verdict::default(),
        Pair::Guessable => super::Verdict {
            note: Some(
                "the password is a stand-in (`password`, `1234`, the user's name): \
                 a default that may work, or a sample"
                    .into(),
            ),
            severity: Some(crate::rules::Severity::Low),
            confidence: Some(crate::rules::Confidence::Low),
        },
    }
}

/// See [`super::Check::PlainCredentials`]: a literal `user:password`.
pub fn judge_plain(text: &[u8]) -> Option<Pair> {
    read_pair(std::str::from_utf8(text).ok()?)
}

/// See [`super::Check::BasicCredentials`]. The base64 of `user:password`,
/// read: `None` when it is no such pair (not
/// base64, no colon, an empty or one-character password, a `${TEMPLATE}`,
/// `<password>` or `{{ var }}`, one character repeated, the fields' own
/// names `username:password`).
pub fn judge(secret: &[u8]) -> Option<Pair> {
    let decoded = base64_decode(secret)?;
    let text = std::str::from_utf8(&decoded).ok()?;
    // `echo user:password | base64` encodes the newline too.
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    read_pair(text)
}

/// `user:password` as text: `None` when it is no pair (see [`judge`]).
fn read_pair(text: &str) -> Option<Pair> {
    let (user, password) = text.split_once(':')?;
    // A user name has no spaces; a password may (`open sesame`), and either
    // may be written in any script (`josé`), but neither holds control
    // characters (binary that happens to decode).
    // A template or format string (`${USER}`, `%s`, `{0}`, `#{user}`,
    // `<password>`) on either side is no pair.
    let template =
        |s: &str| s.starts_with(['$', '<', '{', '%']) || s.starts_with("#{") || s.contains("${");
    let user_ok = !user.is_empty()
        && !template(user)
        && user.chars().all(|c| !c.is_control() && !c.is_whitespace());
    let password_ok = password.chars().count() >= 2
        && password.chars().all(|c| !c.is_control())
        && !password.starts_with(char::is_whitespace)
        && !password.bytes().all(|b| b == password.as_bytes()[0])
        && !template(password);
    // The fields' own names (`username:password`): a template, not a pair.
    let names_its_fields = ["username", "user_name", "login"]
        .iter()
        .any(|n| user.eq_ignore_ascii_case(n))
        && ["password", "passwd"]
            .iter()
            .any(|n| password.eq_ignore_ascii_case(n));
    if !(user_ok && password_ok) || names_its_fields {
        return None;
    }
    let guessable = password.len() < 4
        || STAND_INS.iter().any(|w| password.eq_ignore_ascii_case(w))
        || password.eq_ignore_ascii_case(user);
    Some(if guessable {
        Pair::Guessable
    } else {
        Pair::Strong
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn basic_credentials() {
        for good in [
            "api:aec4c05b1f2fcebcf68da645da00231",
            "thom:nightworld",
            "me:secretC",
            "deploy:W4xq7Zpn2Lkd\n",
            "dockerman:sw4gy0lo\n",
            "Aladdin:open sesame",
            "josé:sɘcrɘt",
        ] {
            assert_eq!(judge(b64(good).as_bytes()), Some(Pair::Strong), "{good}");
        }
        for weak in [
            "user:password",
            "admin:admin",
            "token:secret",
            "sa:123456",
            "test:123",
            "TOKEN:SECRET",
        ] {
            assert_eq!(judge(b64(weak).as_bytes()), Some(Pair::Guessable), "{weak}");
        }
        for bad in [
            "user:",
            "user:a",
            ":secret1234",
            "user:xxxxxxxx",
            "user:${PASSWORD}",
            "user:<password>",
            "user:{{ pass }}",
            "username:password",
            "UserName:Password",
            "no colon at all",
            "us er:hunter22",
            "user:pass\u{1}word",
        ] {
            assert_eq!(judge(b64(bad).as_bytes()), None, "{bad}");
        }
        assert_eq!(judge(b"not base64 at all!"), None);
        // The same pairs, written plainly.
        assert_eq!(judge_plain(b"sakuya:izayoi"), Some(Pair::Strong));
        assert_eq!(judge_plain(b"test:pass"), Some(Pair::Guessable));
        for bad in [&b"%s:%s"[..], b"{0}:{1}", b"${USER}:${PASS}", b"#{user}:x9"] {
            assert_eq!(judge_plain(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
