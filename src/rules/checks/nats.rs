//! NATS nkey seeds: `S` and a type letter (`U` user, `A` account, `O`
//! operator, `N` server, `C` cluster, `X` curve), 58 characters of base32
//! (RFC 4648, no padding) holding two prefix bytes, a 32-byte Ed25519 seed
//! and a little-endian CRC16-XMODEM of the 34 bytes before it.

/// Decode unpadded RFC 4648 base32 (upper case).
fn base32(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// CRC16-XMODEM (polynomial 0x1021, initial value 0).
pub(crate) fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// See [`crate::rules::Check::NatsSeed`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    if secret.len() != 58 || secret[0] != b'S' {
        return false;
    }
    let Some(raw) = base32(secret) else {
        return false;
    };
    if raw.len() != 36 || raw[0] >> 3 != 18 {
        return false;
    }
    // The type is split over the two prefix bytes.
    let kind = ((raw[0] & 7) << 5) | (raw[1] >> 3);
    if ![0u8, 2 << 3, 13 << 3, 14 << 3, 20 << 3, 23 << 3].contains(&kind) {
        return false;
    }
    let (body, sum) = raw.split_at(34);
    crc16(body) == u16::from_le_bytes([sum[0], sum[1]])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Encode a seed of type `kind` (the public key's prefix byte) as NATS does.
    pub(crate) fn seed(kind: u8, key: &[u8; 32]) -> String {
        let mut raw = vec![(18 << 3) | (kind >> 5), (kind & 31) << 3];
        raw.extend_from_slice(key);
        let sum = crc16(&raw);
        raw.extend_from_slice(&sum.to_le_bytes());
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let (mut out, mut acc, mut bits) = (String::new(), 0u32, 0u32);
        for b in raw {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(alphabet[((acc >> bits) & 31) as usize] as char);
            }
            acc &= (1 << bits) - 1;
        }
        if bits > 0 {
            out.push(alphabet[((acc << (5 - bits)) & 31) as usize] as char);
        }
        out
    }

    #[test]
    fn crc16_xmodem() {
        // The standard check value of CRC-16/XMODEM.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn seeds() {
        let key = *b"k3Vq9ZpR2mXw7LtY5nHc8dJf4gBs6aQe";
        for (kind, start) in [(20 << 3, "SU"), (0, "SA"), (14 << 3, "SO"), (2 << 3, "SC")] {
            let s = seed(kind, &key);
            assert_eq!(s.len(), 58);
            assert!(s.starts_with(start), "{s}");
            assert!(ok(s.as_bytes()), "{s}");
            // One character changed: the checksum no longer matches.
            let mut bad = s.into_bytes();
            bad[30] = if bad[30] == b'A' { b'B' } else { b'A' };
            assert!(!ok(&bad));
        }
        assert!(!ok(
            b"SUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        ));
        assert!(!ok(b"SUxyz"));
    }
}
