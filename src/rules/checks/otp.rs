//! One-time-password seeds (RFC 4226 HOTP, RFC 6238 TOTP): the shared
//! secret an authenticator app is enrolled with, written in base32. Whoever
//! holds it generates the account's second factor.

/// Whether `s` reads as a base32 seed: at least 16 characters (80 bits) of
/// one case of the RFC 4648 alphabet with optional `=` padding, enough
/// distinct characters, no run counting up or down, and not words
/// (`MYSECRETPASSWORD` is in the alphabet too).
pub fn ok(s: &[u8]) -> bool {
    let body = s.strip_suffix(b"======").unwrap_or(s);
    let body = trim_padding(body);
    let upper = body
        .iter()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b));
    let lower = body
        .iter()
        .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(b));
    if body.len() < 16 || !(upper || lower) {
        return false;
    }
    let distinct = crate::entropy::distinct(body);
    distinct * 10 >= body.len() * 4
        && crate::entropy::shannon(body) >= 3.0
        && !crate::entropy::reads_like_words(body)
        && !crate::rules::placeholder::has_sequence(body, 4)
}

fn trim_padding(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    while end > 0 && s[end - 1] == b'=' {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::ok;

    #[test]
    fn seeds_and_words() {
        // Random seeds, as authenticator set-up pages print them.
        assert!(ok(b"K5QWY3DPNRXXEZ3T")); // keyscan:allow (fake test value)
        assert!(ok(b"q2vu6nwz4hrdl7xkpme3ycf5jbta")); // keyscan:allow (fake test value)
        assert!(ok(b"W4XQ7ZPN2LKD6TRFHYBM5CVJ3SEA====")); // keyscan:allow (fake test value)
                                                          // Words, mixed case, too short, counting, outside the alphabet.
        assert!(!ok(b"MYSECRETPASSWORD"));
        assert!(!ok(b"Jbswy3dpEHPK3PXP"));
        assert!(!ok(b"K5QWY3DPNRXX"));
        assert!(!ok(b"ABCDEFGHIJKLMNOP"));
        assert!(!ok(b"K5QWY3DPNRXXEZ3T1890"));
        assert!(!ok(b"AAAAAAAAAAAAAAAA"));
    }
}
