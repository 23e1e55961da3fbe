//! Long-lived Amazon Bedrock API keys: `ABSK` and the base64 of
//! `BedrockAPIKey-<id>:<secret>`.

/// See [`crate::rules::Check::BedrockKey`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    let Some(body) = secret.strip_prefix(b"ABSK") else {
        return false;
    };
    match super::base64_decode(body) {
        Some(d) => {
            d.starts_with(b"BedrockAPIKey-")
                && memchr::memchr(b':', &d).is_some()
                && d.iter().all(|b| b.is_ascii_graphic())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::b64url;
    use crate::rules::Check;

    #[test]
    fn bedrock_long_lived() {
        let key = format!(
            "ABSK{}",
            b64url(b"BedrockAPIKey-abcd-at-123456789012:Zx8PqL2mN4vB7cR1tY6uW3eS9dF0gH5j") // keyscan:allow (fake test value)
        );
        assert!(Check::BedrockKey.verify(key.as_bytes()));
        let bad = format!(
            "ABSK{}",
            b64url(b"SomethingElse-abcd-at-123456789012:Zx8PqL2mN4vB7cR1")
        );
        assert!(!Check::BedrockKey.verify(bad.as_bytes()));
    }
}
