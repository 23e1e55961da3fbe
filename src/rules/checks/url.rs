//! URLs with embedded credentials (`postgres://user:pass@host`): the
//! password is not a template, not the user name and not a well-known
//! default.

use std::ops::Range;

use super::PartSpan;

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
}
