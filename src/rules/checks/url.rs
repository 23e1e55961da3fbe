//! URLs with embedded credentials (`postgres://user:pass@host`): the
//! password is not a template and not the user name. Well-known default
//! passwords are the rule's data (`trivial` in `rules/database-url.toml`).

use std::ops::Range;

use super::PartSpan;

/// The spans of the user, the password and the host of a URL with
/// credentials (the password runs to the last `@`).
fn split(url: &[u8]) -> Option<(Range<usize>, Range<usize>, Range<usize>)> {
    let scheme_end = memchr::memmem::find(url, b"://")? + 3;
    let at = scheme_end + memchr::memrchr(b'@', &url[scheme_end..])?;
    let colon = scheme_end + memchr::memchr(b':', &url[scheme_end..at])?;
    let host_end = at + 1 + memchr::memchr(b':', &url[at + 1..]).unwrap_or(url.len() - at - 1);
    Some((scheme_end..colon, colon + 1..at, at + 1..host_end))
}

/// The values of a URL with credentials: `user` and `password`.
pub(crate) fn parts(url: &[u8]) -> Vec<PartSpan> {
    match split(url) {
        Some((user, pass, _)) => vec![PartSpan::new("user", user), PartSpan::new("password", pass)],
        None => Vec::new(),
    }
}

/// See [`crate::rules::Check::UrlPassword`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    let Some((user, pass, host)) = split(secret) else {
        return false;
    };
    let s = String::from_utf8_lossy(secret);
    let (user, pass, host) = (&s[user], &s[pass], &s[host]);
    let lower = pass.to_ascii_lowercase();
    if pass.is_empty()
        || pass == user
        || host.is_empty()
        || pass.starts_with('$')
        || pass.contains(['{', '}', '%', '$', '[', ']'])
        || lower.starts_with("your")
        || lower.contains("password")
        || constant_name(pass)
    {
        return false;
    }
    // A short dictionary word (`hunter`, `letmein`) is a demo password;
    // keep it only if it mixes kinds of characters.
    let letters_only = pass.bytes().all(|b| b.is_ascii_lowercase());
    !(pass.bytes().all(|b| b.is_ascii_digit()) || letters_only && pass.len() < 12)
}

/// A constant's or environment variable's name standing in for the value
/// (`https://token:MY_GITHUB_TOKEN@github.com`): capitals, digits and at
/// least one underscore, starting with a capital.
fn constant_name(pass: &str) -> bool {
    pass.len() >= 4
        && pass.contains('_')
        && pass.starts_with(|c: char| c.is_ascii_uppercase())
        && pass
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use crate::rules::Check;

    #[test]
    fn url_passwords() {
        assert!(Check::UrlPassword.verify(b"postgres://app:Xk29fj2LqP0z@db.internal:5432")); // keyscan:allow (fake test value)
        for bad in [
            &b"postgres://postgres:postgres@localhost"[..],
            b"mysql://root:password@127.0.0.1",
            b"postgres://user:${DB_PASSWORD}@db",
            b"postgres://u:hunter@db",
            b"https://token:MY_GITHUB_TOKEN@github.com/acme/repo.git",
        ] {
            assert!(
                !Check::UrlPassword.verify(bad),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
