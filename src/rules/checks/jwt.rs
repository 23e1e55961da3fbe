//! JSON Web Tokens: the header decodes to a JSON object with `alg`, and
//! (for `jwt-payload`) the payload holds given claims.

/// See [`crate::rules::Check::JwtPayload`].
pub(crate) fn payload_ok(secret: &[u8], lits: &[String]) -> bool {
    if !ok(secret) {
        return false;
    }
    let Some(payload) = secret.split(|&b| b == b'.').nth(1) else {
        return false;
    };
    let Some(decoded) = super::base64_decode(payload) else {
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

/// The header decodes to a JSON object with `alg`.
pub(crate) fn ok(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let Some(header) = parts.next() else {
        return false;
    };
    let decoded = match super::base64_decode(header) {
        Some(d) => d,
        None => return false,
    };
    decoded.first() == Some(&b'{') && memchr::memmem::find(&decoded, b"\"alg\"").is_some()
}

#[cfg(test)]
mod tests {
    use super::super::tests::b64url;
    use crate::rules::Check;

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
    fn jwt_header() {
        assert!(Check::Jwt.verify(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!Check::Jwt.verify(b"abc.def.ghi"));
    }
}
