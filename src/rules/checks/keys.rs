//! Private keys outside a plain PEM block, and encrypted key blocks.
//!
//! A bare base64 DER key (`MII…`) is told from a certificate or public key
//! by its ASN.1 prefix: a SEQUENCE whose first member is the version
//! INTEGER 0 followed by an INTEGER (PKCS#1 RSA) or by the algorithm
//! SEQUENCE with the rsaEncryption, id-ecPublicKey, Ed25519 or X25519 OID
//! (PKCS#8), or the version INTEGER 1 followed by an OCTET STRING (SEC 1
//! EC). An encrypted PKCS#8 key, a certificate and a public key start with
//! a SEQUENCE instead of the version.
//!
//! A key block is encrypted when its BEGIN line says `ENCRYPTED`, its
//! headers say `Proc-Type: 4,ENCRYPTED`, or (OpenSSH) the cipher name in
//! the `openssh-key-v1` header is not `none`.

use super::Verdict;

/// Decode a base64 body written over lines, as a string literal's
/// contents (`\n` escapes, quotes, `+` between literals) or plain.
fn body_bytes(text: &[u8], limit: usize) -> Option<Vec<u8>> {
    let mut clean = Vec::with_capacity(text.len().min(limit));
    let mut i = 0;
    while i < text.len() && clean.len() < limit {
        let b = text[i];
        if b == b'\\' && i + 1 < text.len() {
            // `\n`, `\r`: an escaped line end.
            i += 2;
            continue;
        }
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            clean.push(b);
        } else if b == b'=' {
            break;
        }
        i += 1;
    }
    clean.truncate(clean.len() / 4 * 4);
    super::base64_decode(&clean)
}

/// The length and header size of a DER element at `d[i..]`.
fn der_len(d: &[u8], i: usize) -> Option<(usize, usize)> {
    let first = *d.get(i + 1)?;
    match first {
        0..=0x7f => Some((usize::from(first), 2)),
        0x81 => Some((usize::from(*d.get(i + 2)?), 3)),
        0x82 => Some((
            usize::from(*d.get(i + 2)?) << 8 | usize::from(*d.get(i + 3)?),
            4,
        )),
        _ => None,
    }
}

const OIDS: [&[u8]; 4] = [
    // rsaEncryption 1.2.840.113549.1.1.1
    &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ],
    // id-ecPublicKey 1.2.840.10045.2.1
    &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
    // Ed25519 1.3.101.112
    &[0x06, 0x03, 0x2b, 0x65, 0x70],
    // X25519 1.3.101.110
    &[0x06, 0x03, 0x2b, 0x65, 0x6e],
];

/// The kind of private key a DER prefix starts, if it starts one.
pub(crate) fn der_kind(d: &[u8]) -> Option<&'static str> {
    if d.first() != Some(&0x30) {
        return None;
    }
    let (_, h) = der_len(d, 0)?;
    let rest = d.get(h..)?;
    if rest.starts_with(&[0x02, 0x01, 0x00, 0x02]) {
        return Some("PKCS#1 RSA");
    }
    if rest.starts_with(&[0x02, 0x01, 0x00, 0x30]) {
        let (_, h2) = der_len(rest, 3)?;
        let alg = rest.get(3 + h2..)?;
        return OIDS.iter().any(|o| alg.starts_with(o)).then_some("PKCS#8");
    }
    if rest.starts_with(&[0x02, 0x01, 0x01, 0x04]) {
        let (n, _) = der_len(rest, 3)?;
        return (16..=66).contains(&n).then_some("SEC 1 EC");
    }
    None
}

/// See [`crate::rules::Check::DerPrivateKey`]: the secret is a base64 DER
/// body, or a PEM block (any line breaks or escapes) with one.
pub(crate) fn inspect(secret: &[u8]) -> Option<Verdict> {
    let body = match memchr::memmem::find(secret, b"KEY-----") {
        Some(i) => &secret[i + 8..],
        None => secret,
    };
    // The whole body (the rule bounds a match to 8,100 bytes).
    let der = body_bytes(body, usize::MAX)?;
    let kind = der_kind(&der)?;
    // A key's first line or two in documentation (`MIIEpQIBAAKCAQEA…` and
    // the END line) is a truncated sample: the outer SEQUENCE says how long
    // the key is, and a real one (even wrapped in a string or a comment)
    // brings at least half of it.
    let (len, header) = der_len(&der, 0)?;
    if der.len() * 2 < len + header {
        return None;
    }
    Some(Verdict {
        note: Some(format!("{kind} private key")),
        severity: None,
        ..Verdict::default()
    })
}

/// Whether a private key block is encrypted (see the module comment).
pub(crate) fn encrypted(block: &[u8]) -> bool {
    let head = &block[..block.len().min(200)];
    if memchr::memmem::find(head, b"ENCRYPTED").is_some() {
        return true;
    }
    if memchr::memmem::find(head, b"OPENSSH PRIVATE KEY").is_none() {
        return false;
    }
    let Some(i) = memchr::memmem::find(block, b"KEY-----") else {
        return false;
    };
    let Some(d) = body_bytes(&block[i + 8..], 128) else {
        return false;
    };
    let Some(rest) = d.strip_prefix(b"openssh-key-v1\0") else {
        return false;
    };
    let Some(len) = rest.get(..4) else {
        return false;
    };
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    rest.get(4..4 + len).is_some_and(|cipher| cipher != b"none")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::Engine as _;

    pub(crate) fn b64(d: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(d)
    }

    /// A DER prefix and filler up to the length its outer SEQUENCE
    /// declares, as base64.
    pub(crate) fn der(prefix: &[u8]) -> String {
        let mut d = prefix.to_vec();
        let total = der_len(prefix, 0).map_or(300, |(len, header)| len + header);
        let fill = total.saturating_sub(prefix.len());
        d.extend((0..fill as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        b64(&d)
    }

    #[test]
    fn der_prefixes() {
        let rsa1 = der(&[
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00,
        ]);
        assert!(rsa1.starts_with("MIIEpAIBAAKCAQEA"));
        assert_eq!(
            der_kind(&super::super::base64_decode(rsa1.as_bytes()).unwrap()),
            Some("PKCS#1 RSA")
        );
        let mut p8 = vec![0x30, 0x82, 0x04, 0xbd, 0x02, 0x01, 0x00, 0x30, 0x0d];
        p8.extend_from_slice(OIDS[0]);
        p8.extend_from_slice(&[0x05, 0x00]);
        let p8 = der(&p8);
        assert!(p8.starts_with("MIIEvQIBADANBgkqhkiG9w0BAQEF"), "{p8}");
        assert!(inspect(p8.as_bytes()).is_some());
        let sec1 = der(&[0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20]);
        assert!(sec1.starts_with("MHcCAQEEI"));
        assert_eq!(
            inspect(sec1.as_bytes()).unwrap().note.as_deref(),
            Some("SEC 1 EC private key")
        );
        // Escaped one-line PEM.
        let lines: Vec<&str> = rsa1
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\\n{}\\n-----END RSA PRIVATE KEY-----",
            lines.join("\\n")
        );
        assert!(inspect(pem.as_bytes()).is_some());
    }

    /// The first line or two of a key, as documentation prints them, is
    /// not a key: the outer SEQUENCE declares 1,192 bytes.
    #[test]
    fn truncated_samples_are_not_keys() {
        let rsa1 = der(&[
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00,
        ]);
        assert!(inspect(rsa1.as_bytes()).is_some());
        assert!(inspect(&rsa1.as_bytes()[..64]).is_none());
        assert!(inspect(&rsa1.as_bytes()[..700]).is_none());
        // Half of it or more: a key whose end was cut, still reported.
        assert!(inspect(&rsa1.as_bytes()[..900]).is_some());
        let pem = format!(
            "-----BEGIN RSA PRIVATE KEY-----\\n{}.\\n-----END RSA PRIVATE KEY-----",
            &rsa1[..64]
        );
        assert!(inspect(pem.as_bytes()).is_none());
    }

    #[test]
    fn certificates_public_and_encrypted_keys_are_not_private_keys() {
        // SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { rsaEncryption ...
        let mut spki = vec![0x30, 0x82, 0x01, 0x22, 0x30, 0x0d];
        spki.extend_from_slice(OIDS[0]);
        // Certificate: SEQUENCE { SEQUENCE (tbs) { [0] version ...
        let cert = [0x30, 0x82, 0x03, 0x0d, 0x30, 0x82, 0x01, 0xf5, 0xa0, 0x03];
        // EncryptedPrivateKeyInfo: SEQUENCE { SEQUENCE { PBES2 ...
        let enc = [0x30, 0x82, 0x05, 0x0e, 0x30, 0x40, 0x06, 0x09, 0x2a, 0x86];
        // PKCS#8 of an unknown algorithm.
        let other = [
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71,
        ];
        for d in [&spki[..], &cert, &enc, &other] {
            assert_eq!(inspect(der(d).as_bytes()), None);
        }
    }

    /// An OpenSSH key block whose header names `cipher` and `kdf`.
    fn openssh(cipher: &[u8], kdf: &[u8]) -> String {
        let mut v1 = b"openssh-key-v1\0".to_vec();
        for field in [cipher, kdf] {
            v1.extend_from_slice(&(field.len() as u32).to_be_bytes());
            v1.extend_from_slice(field);
        }
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
            b64(&v1)
        )
    }

    #[test]
    fn encrypted_blocks() {
        assert!(encrypted(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBO\n-----END ENCRYPTED PRIVATE KEY-----"
        ));
        assert!(encrypted(b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B\n\nab\n-----END RSA PRIVATE KEY-----"));
        assert!(encrypted(openssh(b"aes256-ctr", b"bcrypt").as_bytes()));
        assert!(!encrypted(openssh(b"none", b"none").as_bytes()));
        assert!(!encrypted(
            b"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
        ));
    }
}
