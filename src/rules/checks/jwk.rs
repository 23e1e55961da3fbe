//! JSON Web Keys with private members (RFC 7517, RFC 7518 section 6): an
//! RSA key's `d`, `p`, `q`, `dp`, `dq`, `qi`; an EC or OKP key's `d`; a
//! symmetric (`oct`) key's `k`. The matched secret is the key's object; the
//! finding is its private member (one per key). Public keys (`n`, `e`,
//! `x`, `y` only) fail the check.

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::Regex;

use super::PartSpan;

/// `name: "value"` members of an object written as JSON, JavaScript,
/// Python or YAML flow (names quoted or not).
fn members() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?:^|[{,\s])["']?([A-Za-z]{1,3})["']?[ \t]*[:=][ \t]*["']([A-Za-z0-9_+/=-]*)["']"#,
        )
        .expect("JWK member regex")
    })
}

/// The span of the private member that is the credential.
fn private_member(object: &[u8]) -> Option<Range<usize>> {
    let mut kty: Option<&[u8]> = None;
    let mut found: Vec<(&[u8], Range<usize>)> = Vec::new();
    for c in members().captures_iter(object) {
        let (name, value) = (c.get(1)?, c.get(2)?);
        if name.as_bytes() == b"kty" {
            kty = Some(value.as_bytes());
        } else {
            found.push((name.as_bytes(), value.range()));
        }
    }
    let wanted: &[&[u8]] = match kty? {
        b"RSA" => &[b"d", b"p", b"q", b"dp", b"dq", b"qi"],
        b"EC" | b"OKP" => &[b"d"],
        b"oct" => &[b"k"],
        _ => return None,
    };
    let span = wanted
        .iter()
        .find_map(|w| found.iter().find(|(n, _)| n == w))?
        .1
        .clone();
    // At least 16 bytes of key material, and base64url of it.
    let value = &object[span.clone()];
    let decoded = super::base64_decode(value)?;
    (decoded.len() >= 16 && !crate::rules::placeholder::is_placeholder(value, value))
        .then_some(span)
}

/// See [`crate::rules::Check::JwkPrivate`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    private_member(secret).is_some()
}

/// The private member, as the one value of the secret.
pub(crate) fn parts(secret: &[u8]) -> Vec<PartSpan> {
    private_member(secret)
        .map(|r| vec![PartSpan::new("secret", r)])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(object: &str) -> Option<&str> {
        private_member(object.as_bytes()).map(|r| &object[r])
    }

    #[test]
    fn private_members() {
        let ec = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"Wq3Rk8vNc2XpL7mT4bYh9JfD6sGe0aQzU5oIw1KtVxE"}"#; // keyscan:allow (fake test value)
        assert_eq!(
            member(ec),
            Some("Wq3Rk8vNc2XpL7mT4bYh9JfD6sGe0aQzU5oIw1KtVxE")
        );
        let oct = "{ kty: 'oct', k: 'Gx7Vb2Qw9LmN4pRt6YcK3sZd8HfJ1aUe', alg: 'HS256' }"; // keyscan:allow (fake test value)
        assert_eq!(member(oct), Some("Gx7Vb2Qw9LmN4pRt6YcK3sZd8HfJ1aUe"));
        let rsa =
            r#"{"e":"AQAB","n":"uX3kP9wT","p":"8Hq2Vx7KmB4Lc9RtN6Yw3Zs5Jd1Fg0Ae","kty":"RSA"}"#; // keyscan:allow (fake test value)
        assert_eq!(member(rsa), Some("8Hq2Vx7KmB4Lc9RtN6Yw3Zs5Jd1Fg0Ae"));
    }

    #[test]
    fn public_or_short_keys_have_none() {
        for o in [
            r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
            r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}"#,
            r#"{"kty":"oct","k":"c2hvcnQ"}"#,
            r#"{"kty":"oct","k":""}"#,
            r#"{"d":"Wq3Rk8vNc2XpL7mT4bYh9JfD6sGe0aQzU5oIw1KtVxE"}"#,
        ] {
            assert_eq!(member(o), None, "{o}");
        }
    }
}
