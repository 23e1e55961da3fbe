//! Discord bot tokens: the first segment is the base64 of the bot's
//! numeric user id (a 17 to 20 digit snowflake).

/// See [`crate::rules::Check::DiscordToken`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    let Some(first) = secret.split(|&b| b == b'.').next() else {
        return false;
    };
    match super::base64_decode(first) {
        Some(id) => (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::b64url;
    use crate::rules::Check;

    #[test]
    fn discord_snowflake() {
        let tok = format!(
            "{}.GhJkLm.{}",
            b64url(b"912345678901234567"),
            "a".repeat(38)
        );
        assert!(Check::DiscordToken.verify(tok.as_bytes()));
        let bad = format!("{}.GhJkLm.{}", b64url(b"not-a-snowflake!!"), "a".repeat(38));
        assert!(!Check::DiscordToken.verify(bad.as_bytes()));
    }
}
