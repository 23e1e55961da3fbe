//! Grafana keys that are base64 JSON: legacy API keys (`eyJrIjoi`, the
//! base64 of `{"k":"<secret>","n":"<name>","id":<org>}`) and Grafana Cloud
//! access-policy tokens (`glc_` and the base64 of `{"o":"<org>","n":...,
//! "k":"<secret>","m":{"r":"<region>"}}`). Power BI report links also
//! start `eyJrIjoi` (`{"k":"<uuid>","t":...}`): the members tell them apart.

use serde_json::{Map, Value};

fn object(b64: &[u8]) -> Option<Map<String, Value>> {
    let decoded = super::base64_decode(b64)?;
    match serde_json::from_slice::<Value>(&decoded).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// A secret member: at least 16 letters and digits.
fn secret_member(m: &Map<String, Value>) -> bool {
    m.get("k").and_then(Value::as_str).is_some_and(|k| {
        k.len() >= 16
            && k.bytes().all(|b| b.is_ascii_alphanumeric())
            && crate::entropy::distinct(k.as_bytes()) >= 8
    })
}

/// See [`crate::rules::Check::GrafanaLegacyKey`].
pub(crate) fn legacy_ok(secret: &[u8]) -> bool {
    match object(secret) {
        Some(m) => {
            secret_member(&m)
                && m.get("n").is_some_and(Value::is_string)
                && m.get("id").is_some_and(Value::is_number)
        }
        // A key whose JSON was damaged by hand (a character changed to
        // make a test value): its `k` and `n` members still show. Or a key
        // cut short, as documentation prints them: its `k` member starts.
        None => damaged(secret, b"{\"k\":\"", b",\"n\":") || truncated_legacy(secret),
    }
}

/// A legacy key cut off inside (or just after) its `k` member (50
/// characters of base64 are `{"k":"` and 31 characters of the key): the
/// 32-character secret shows at least 20 of its random letters and digits,
/// and whatever follows it is the start of the `n` member.
fn truncated_legacy(b64: &[u8]) -> bool {
    // Decode whole 4-character groups: a cut may leave a stray character.
    let whole = &b64[..b64.len() - b64.len() % 4];
    let Some(d) = super::base64_decode(whole) else {
        return false;
    };
    let Some(rest) = d.strip_prefix(b"{\"k\":\"") else {
        return false;
    };
    let end = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
    let (k, after) = rest.split_at(end);
    let tail = after.get(1..).unwrap_or(&[]);
    (20..=32).contains(&k.len())
        && k.iter().all(u8::is_ascii_alphanumeric)
        && crate::entropy::distinct(k) >= 10
        && b",\"n\":\"".starts_with(&tail[..tail.len().min(6)])
}

/// See [`crate::rules::Check::GrafanaCloudToken`].
pub(crate) fn cloud_ok(secret: &[u8]) -> bool {
    let body = secret.strip_prefix(b"glc_").unwrap_or(secret);
    match object(body) {
        // The org (`o`); Grafana's own API examples give the key's name
        // (`n`) and id instead.
        Some(m) => secret_member(&m) && (m.contains_key("o") || m.contains_key("n")),
        // Damaged JSON, or a test value made of `glc_eyJ` and random
        // base64 (the prefix alone is the token's): still its shape.
        None => super::base64_decode(body).is_some_and(|d| d.starts_with(b"{\"") && d.len() >= 24),
    }
}

/// Base64 whose decoded text starts with `start` and holds `member`, with
/// no dash-separated UUID as the first value (Power BI links).
fn damaged(b64: &[u8], start: &[u8], member: &[u8]) -> bool {
    let Some(d) = super::base64_decode(b64) else {
        return false;
    };
    let Some(rest) = d.strip_prefix(start) else {
        return false;
    };
    let first = rest.split(|&b| b == b'"').next().unwrap_or(&[]);
    first.len() >= 4 && !first.contains(&b'-') && memchr::memmem::find(&d, member).is_some()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn legacy_keys() {
        let key = b64(r#"{"k":"Tq7mWc2ZrXv9LpK4sNd8HbYf3JgE6aQu","n":"deploy","id":1}"#);
        assert!(key.starts_with("eyJrIjoi"));
        assert!(super::legacy_ok(key.as_bytes()));
        // A Power BI report link: a UUID, a tenant, a cluster.
        let pbi = b64(r#"{"k":"a6c197b1-348b-4529-8ad2-6e20de9900de","t":"72f988bf","c":5}"#);
        assert!(!super::legacy_ok(pbi.as_bytes()));
        assert!(!super::legacy_ok(b"eyJrIjoiYWJj"));
        // Cut short in documentation, inside `k` or just after it.
        assert!(super::legacy_ok(&key.as_bytes()[..50]));
        let cut = b64(r#"{"k":"Tq7mWc2ZrXv9LpK4sNd8HbYf3JgE6aQu","n"#);
        assert!(super::legacy_ok(cut.as_bytes()));
        // Cut, but `k` is a UUID (Power BI) or words.
        let pbi = b64(r#"{"k":"a6c197b1-348b-4529-8ad2-6e"#);
        assert!(!super::legacy_ok(pbi.as_bytes()));
        let words = b64(r#"{"k":"aaaaaaaaaaaaaaaaaaaaaaaaaaaa"#);
        assert!(!super::legacy_ok(words.as_bytes()));
    }

    #[test]
    fn cloud_tokens() {
        let t = format!(
            "glc_{}",
            b64(
                r#"{"o":"1043987","n":"ci-push","k":"Yz4Rk8TpVq2Lm7WxNc5Bd3Hs","m":{"r":"prod-eu-west-2"}}"#
            )
        );
        assert!(super::cloud_ok(t.as_bytes()));
        assert!(!super::cloud_ok(
            b"glc_QmFzZTY0IG9mIHBsYWluIHRleHQsIG5vdCBKU09OIGF0IGFsbA=="
        ));
    }
}
