//! JSON Web Tokens as credentials: the header and payload decode to JSON
//! objects, the token is signed, and it is not a key that is public by
//! design. The check reads the claims a reader needs to judge the token
//! (`alg`, `iss`, `exp`) into the finding's note; an expired token is
//! reported at low severity.

use super::Verdict;
use crate::rules::Severity;
use serde_json::{Map, Value};

/// Decode one base64url segment to a JSON object.
fn object(segment: &[u8]) -> Option<Map<String, Value>> {
    let decoded = super::base64_decode(segment)?;
    match serde_json::from_slice::<Value>(&decoded).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A claim as short text (strings as they are, numbers as written).
fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    // Keep the note one short line whatever the token holds.
    let s: String = s.chars().filter(|c| !c.is_control()).take(80).collect();
    Some(s)
}

/// See [`crate::rules::Check::JwtToken`]; `now` is seconds since the epoch.
pub(crate) fn inspect(secret: &[u8], now: i64) -> Option<Verdict> {
    let mut segments = secret.split(|&b| b == b'.');
    let (header, payload, signature) = (segments.next()?, segments.next()?, segments.next()?);
    if segments.next().is_some() {
        // Five segments: an encrypted token (JWE), whose payload is sealed.
        return None;
    }
    let Some(header) = object(header) else {
        return damaged(header, payload, signature);
    };
    let claims = object(payload).unwrap_or_default();
    let alg = header.get("alg").and_then(text)?;
    if signature.len() < 16 || alg.eq_ignore_ascii_case("none") {
        return None;
    }
    // Supabase's `anon` key is meant to be shipped to browsers.
    let role = claims.get("role").and_then(Value::as_str);
    if role == Some("anon") {
        return None;
    }
    let mut note = format!("JWT alg {alg}");
    if let Some(iss) = claims.get("iss").and_then(text) {
        note.push_str(&format!(", issuer {iss}"));
    }
    let mut severity = None;
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) => {
            let date = date(exp);
            if exp < now {
                note.push_str(&format!(", expired {date}"));
                severity = Some(Severity::Low);
            } else {
                note.push_str(&format!(", expires {date}"));
            }
        }
        None => note.push_str(", no expiry"),
    }
    Some(Verdict {
        note: Some(note),
        severity,
        ..Verdict::default()
    })
}

/// A token whose header was damaged by hand (a character changed to make a
/// test value): the header still starts a JSON object naming `alg`, and the
/// token is signed.
fn damaged(header: &[u8], payload: &[u8], signature: &[u8]) -> Option<Verdict> {
    let h = super::base64_decode(header)?;
    let p = super::base64_decode(payload)?;
    (h.starts_with(b"{\"")
        && memchr::memmem::find(&h, b"\"alg\"").is_some()
        && memchr::memmem::find(&h, b"none").is_none()
        && p.starts_with(b"{")
        && signature.len() >= 16)
        .then(|| Verdict {
            note: Some("JWT (header is not valid JSON)".into()),
            severity: None,
            ..Verdict::default()
        })
}

/// `YYYY-MM-DD` of a Unix time (UTC).
fn date(secs: i64) -> String {
    let (y, m, d) = crate::text::civil_date(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::super::tests::b64url;
    use super::*;

    fn token(header: &str, claims: &str, sig: &str) -> String {
        format!(
            "{}.{}.{sig}",
            b64url(header.as_bytes()),
            b64url(claims.as_bytes())
        )
    }

    const NOW: i64 = 1_767_225_600; // 2026-01-01

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(NOW), "2026-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
    }

    #[test]
    fn signed_tokens_carry_their_claims() {
        let t = token(
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"iss":"https://auth.corp.test/","sub":"svc","exp":4102444800}"#,
            "Qm9vZ2llV29vZ2llQm9vZ2llV29vZ2ll",
        );
        let v = inspect(t.as_bytes(), NOW).unwrap();
        assert_eq!(
            v.note.as_deref(),
            Some("JWT alg RS256, issuer https://auth.corp.test/, expires 2100-01-01")
        );
        assert_eq!(v.severity, None);
        let t = token(
            r#"{"alg":"HS256"}"#,
            r#"{"sub":"1","exp":1600000000}"#,
            "Qm9vZ2llV29vZ2llQm9vZ2llV29vZ2ll",
        );
        let v = inspect(t.as_bytes(), NOW).unwrap();
        assert_eq!(v.note.as_deref(), Some("JWT alg HS256, expired 2020-09-13"));
        assert_eq!(v.severity, Some(Severity::Low));
        let t = token(
            r#"{"alg":"ES256"}"#,
            r#"{"sub":"1"}"#,
            "Qm9vZ2llV29vZ2llQm9vZ2ll",
        );
        let v = inspect(t.as_bytes(), NOW).unwrap();
        assert_eq!(v.note.as_deref(), Some("JWT alg ES256, no expiry"));
    }

    #[test]
    fn unsigned_public_or_broken_tokens_are_not_credentials() {
        let sig = "Qm9vZ2llV29vZ2llQm9vZ2llV29vZ2ll";
        for t in [
            token(r#"{"alg":"none"}"#, r#"{"sub":"1"}"#, ""),
            token(r#"{"alg":"none"}"#, r#"{"sub":"1"}"#, sig),
            token(r#"{"alg":"HS256"}"#, r#"{"sub":"1"}"#, ""),
            token(r#"{"typ":"JWT"}"#, r#"{"sub":"1"}"#, sig),
            token(
                r#"{"alg":"HS256"}"#,
                r#"{"role":"anon","iss":"supabase"}"#,
                sig,
            ),
            format!(
                "{}.{sig}.{sig}.{sig}.{sig}",
                b64url(br#"{"alg":"RSA-OAEP"}"#)
            ),
        ] {
            assert_eq!(inspect(t.as_bytes(), NOW), None, "{t}");
        }
    }
}
