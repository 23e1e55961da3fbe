//! Matrix (Synapse) access tokens: `syt_<localpart>_<random>_<crc>`, where
//! the last 6 characters are the base62 CRC32 of everything before the last
//! `_` (prefix included).

use super::crc32::base62_6;

pub(crate) fn ok(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let (body, sum) = (&secret[..us], &secret[us + 1..]);
    body.starts_with(b"syt_") && sum.len() == 6 && base62_6(crc32fast::hash(body)) == sum
}

#[cfg(test)]
mod tests {
    use crate::rules::Check;

    fn token(body: &str) -> String {
        let sum = super::base62_6(crc32fast::hash(body.as_bytes()));
        format!("{body}_{}", std::str::from_utf8(&sum).unwrap())
    }

    #[test]
    fn matrix_checksum_round_trip() {
        let tok = token("syt_a2VzdHJlbA_QmZrTvLwXcNbHyPaJsEdFg"); // keyscan:allow (fake test value)
        assert!(Check::MatrixToken.verify(tok.as_bytes()));
        let mut bad = tok.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'a' { b'b' } else { b'a' };
        assert!(!Check::MatrixToken.verify(&bad));
        assert!(!Check::MatrixToken.verify(b"syt_abc"));
    }
}
