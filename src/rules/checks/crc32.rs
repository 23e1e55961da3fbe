//! GitHub's and npm's token checksum: the last 6 characters are the base62
//! CRC32 of the 30 before them, after the prefix that ends at the last `_`.

/// The base62 alphabet GitHub and npm use for their token checksums.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encode `n` as 6 base62 digits, zero padded.
pub fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

pub(crate) fn ok(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let rest = &secret[us + 1..];
    if rest.len() < 7 {
        return false;
    }
    let (body, sum) = rest.split_at(rest.len() - 6);
    base62_6(crc32fast::hash(body)) == sum
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rules::Check;

    /// Build a token with a valid checksum from a prefix and 30-char body.
    fn with_checksum(prefix: &str, body: &str) -> String {
        let sum = base62_6(crc32fast::hash(body.as_bytes()));
        format!("{prefix}{body}{}", std::str::from_utf8(&sum).unwrap())
    }

    #[test]
    fn crc32_checksum_round_trip() {
        let tok = with_checksum("ghp_", "Qm3r8ZkT0vLw2XcN5bHy7PaJ4sEd6F");
        assert!(Check::Crc32Base62.verify(tok.as_bytes()));
        let mut bad = tok.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'a' { b'b' } else { b'a' };
        assert!(!Check::Crc32Base62.verify(&bad));
    }

    #[test]
    fn base62_pads_with_zeros() {
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(62), b"000010");
    }
}
