//! Environment-prefixed keys (`prod_…`, `stg_…`): the random part after
//! the last `_` mixes upper case, lower case and digits (or is long
//! lower-case hex) and has high entropy.

/// See [`crate::rules::Check::EnvKey`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    use crate::entropy::{mixed_classes, shannon};
    let body = match secret.iter().rposition(|&b| b == b'_') {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    let hex_lower = body.len() >= 32
        && body
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        && body.iter().any(u8::is_ascii_digit);
    (mixed_classes(body) == 3 || hex_lower) && shannon(body) >= 3.5
}
