//! HTTP Basic credentials: the base64 of `user:password` in an
//! `Authorization: Basic …` value, reported when the password is one a
//! person could not guess from the page (not empty, not a stand-in such as
//! `password`, `secret` or `xxx`).

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

/// See [`super::Check::BasicCredentials`].
pub fn ok(secret: &[u8]) -> bool {
    let Some(decoded) = base64_decode(secret) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&decoded) else {
        return false;
    };
    // `echo user:password | base64` encodes the newline too.
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    let Some((user, password)) = text.split_once(':') else {
        return false;
    };
    let printable = |s: &str| s.bytes().all(|b| (0x21..0x7f).contains(&b));
    !user.is_empty()
        && password.len() >= 4
        && printable(user)
        && printable(password)
        && !STAND_INS.iter().any(|w| password.eq_ignore_ascii_case(w))
        && !password.bytes().all(|b| b == password.as_bytes()[0])
        && !password.starts_with('$')
        && !password.starts_with('<')
        && !password.starts_with('{')
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
        ] {
            assert!(ok(b64(good).as_bytes()), "{good}");
        }
        for bad in [
            "user:password",
            "admin:admin",
            "user:",
            ":secret1234",
            "user:xxxxxxxx",
            "user:${PASSWORD}",
            "user:<password>",
            "no colon at all",
        ] {
            assert!(!ok(b64(bad).as_bytes()), "{bad}");
        }
        assert!(!ok(b"not base64 at all!"));
    }
}
