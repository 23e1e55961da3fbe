//! AWS access keys: the access key id (a type prefix and base32) and the
//! 40-character secret access key, alone or together.

use std::ops::Range;

use super::PartSpan;

/// Type prefixes of AWS access key ids (`A3T` is followed by one more
/// character of any kind).
const AWS_ID_PREFIXES: &[&[u8]] = &[b"AKIA", b"ASIA", b"ABIA", b"ACCA", b"A3T"];

/// Find an AWS access key id in `s`: a type prefix and base32 up to 20
/// characters, not inside a longer word.
fn find_aws_id(s: &[u8]) -> Option<Range<usize>> {
    // Not inside a longer base64 run; an `=` before it is an assignment
    // (`AWS_ACCESS_KEY_ID=AKIA…`), an `=` after it base64 padding.
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+');
    (0..s.len().saturating_sub(19)).find_map(|i| {
        let cand = &s[i..i + 20];
        let prefixed = AWS_ID_PREFIXES.iter().any(|p| cand.starts_with(p));
        let body_ok = cand[4..]
            .iter()
            .all(|&b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        let bounded =
            (i == 0 || !word(s[i - 1])) && s.get(i + 20).is_none_or(|&b| !word(b) && b != b'=');
        (prefixed && body_ok && bounded).then_some(i..i + 20)
    })
}

/// Find a run of exactly 40 base64 characters (an AWS secret access key).
fn find_aws_secret(s: &[u8]) -> Option<Range<usize>> {
    let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'/' || b == b'+';
    let mut i = 0;
    while i < s.len() {
        if !b64(s[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && b64(s[i]) {
            i += 1;
        }
        if i - start == 40 && s.get(i) != Some(&b'=') {
            return Some(start..i);
        }
    }
    None
}

/// The spans of the key id and of the secret access key in a match.
fn id_and_key(secret: &[u8]) -> (Option<Range<usize>>, Option<Range<usize>>) {
    let id = find_aws_id(secret);
    let key = find_aws_secret(secret).filter(|k| Some(k) != id.as_ref());
    (id, key)
}

/// The values of a match: `id` and `secret` (the secret access key), or
/// the one it holds.
pub(crate) fn parts(secret: &[u8]) -> Vec<PartSpan> {
    let (id, key) = id_and_key(secret);
    let mut out = Vec::new();
    if let Some(r) = id {
        out.push(PartSpan::new("id", r));
    }
    if let Some(r) = key {
        out.push(PartSpan::new("secret", r));
    }
    out
}

/// See [`crate::rules::Check::AwsKey`].
pub(crate) fn ok(secret: &[u8]) -> bool {
    use crate::entropy::shannon;
    let (id, key) = id_and_key(secret);
    let (id, key) = (id.map(|r| &secret[r]), key.map(|r| &secret[r]));
    if id.is_none() && key.is_none() {
        return false;
    }
    // 16 random base32 characters fall below 2.6 bits once in 100,000;
    // `AKIADEADBEEFDEADBEEF` has 2.2.
    let id_ok = id.is_none_or(|id| shannon(&id[4..]) >= 2.5);
    let key_ok = key.is_none_or(|k| {
        k.iter().any(u8::is_ascii_uppercase)
            && k.iter().any(u8::is_ascii_lowercase)
            && shannon(k) >= 4.2
    });
    id_ok && key_ok
}

#[cfg(test)]
mod tests {
    use crate::rules::Check;

    #[test]
    fn aws_pairs_and_parts() {
        let id = "AKIAQ3EGUTR5LKXMNB7Z"; // keyscan:allow (fake test value)
        let key = "k9Jd2Lq8Vz0Xw7Tn4Rb1Yc6Pm3Hs5Fg2Ea8Ud0Ow"; // keyscan:allow (fake test value)
        assert!(Check::AwsKey.verify(id.as_bytes()));
        assert!(Check::AwsKey.verify(key.as_bytes()));
        let pair = format!("{id}\naws_secret_access_key = {key}");
        assert!(Check::AwsKey.verify(pair.as_bytes()));
        // A 40-character hex digest is not a secret access key.
        assert!(!Check::AwsKey.verify(b"da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        let weak = format!("{id}\naws_secret_access_key = {}", "ab".repeat(20));
        assert!(!Check::AwsKey.verify(weak.as_bytes()));
    }
}
