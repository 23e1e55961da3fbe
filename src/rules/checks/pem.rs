//! Armoured key blocks (PEM, PGP): the body holds key material.

/// See [`crate::rules::Check::PemBody`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    let b64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    // Skip the BEGIN line itself (`-----BEGIN ... PRIVATE KEY-----`).
    let body = match memchr::memmem::find(&secret[5..], b"-----") {
        Some(i) => &secret[5 + i + 5..],
        None => return false,
    };
    let mut run = 0;
    for b in body {
        run = if b64(b) { run + 1 } else { 0 };
        if run >= 40 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::rules::Check;

    #[test]
    fn pem_bodies() {
        let block = b"-----BEGIN RSA PRIVATE KEY-----\" +\n\"MIIEpAIBAAKCAQEA19lGVsTqIT5iiNYRgnoY1CwkbETW5cq+Rzk5\" +\n\"-----END RSA PRIVATE KEY-----"; // keyscan:allow (fake test value)
        assert!(Check::PemBody.verify(block));
        let code = b"-----BEGIN PRIVATE KEY-----\"):\n        in_key = True\n    elif line.startswith(\"-----END PRIVATE KEY-----";
        assert!(!Check::PemBody.verify(code));
    }
}
