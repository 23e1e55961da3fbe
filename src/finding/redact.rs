//! Redaction and fingerprints: how a finding is shown without its secret,
//! and the stable id that survives lines moving.

use sha2::{Digest, Sha256};

use super::Finding;

/// Mask each secret that any of `findings` holds wherever it could be
/// printed in another place of a finding: a commit's summary, author and
/// email (a commit message such as "add token ghp_…"), the path (a file
/// named after a key) and the layer labels (an archive entry's path, a
/// decoded value's key). Run over every finding of a scan before any is
/// suppressed, so that a suppressed finding's secret is masked too.
pub fn mask_metadata(findings: &mut [Finding]) {
    let mut pairs: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f.secret.chars().count() >= 8 && f.secret != f.redacted)
        .map(|f| (f.secret.as_str(), f.redacted.as_str()))
        .collect();
    if pairs.is_empty() {
        return;
    }
    pairs.sort_unstable();
    pairs.dedup_by(|a, b| a.0 == b.0);
    let (secrets, masks): (Vec<String>, Vec<String>) = pairs
        .into_iter()
        .map(|(s, r)| (s.to_string(), r.to_string()))
        .unzip();
    let Ok(ac) = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(&secrets)
    else {
        return;
    };
    let mask = |field: &mut String| {
        if ac.is_match(field.as_str()) {
            *field = ac.replace_all(field, &masks);
        }
    };
    for f in findings.iter_mut() {
        if let Some(c) = &mut f.commit {
            for field in [&mut c.summary, &mut c.author, &mut c.email] {
                mask(field);
            }
        }
        mask(&mut f.path);
        for layer in &mut f.layers {
            match layer {
                super::Layer::Archive { entry, .. } => mask(entry),
                super::Layer::Decoded { label } => mask(label),
                super::Layer::Utf16 { .. } | super::Layer::Notebook { .. } => {}
            }
        }
    }
}

/// Compute the stable fingerprint of a finding: it depends only on the rule,
/// the path and the secret, so it survives lines moving within the file.
pub fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(secret);
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Mask a secret, keeping its recognisable prefix (`prefix_len` bytes, e.g.
/// `sk-proj-`) and its last 2 characters. Never reveals more than a quarter
/// of a secret's characters beyond the prefix, and never more than the
/// prefix for secrets shorter than 12 characters.
pub fn redact(secret: &str, prefix_len: usize) -> String {
    // An armoured block (`-----BEGIN EC PRIVATE KEY-----`) keeps its header,
    // which names the kind of key and is not secret.
    // Only a real header counts (`BEGIN`, a space, capitals, digits and
    // spaces): anything looser could make a matched secret its own "header".
    if let Some(rest) = secret.strip_prefix("-----BEGIN ") {
        if let Some(end) = rest.find("-----") {
            let label = &rest[..end];
            let header = &secret[..11 + end + 5];
            if (1..=40).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
                && secret.len() >= header.len() + 16
            {
                let tail: String = secret.chars().rev().take(2).collect();
                let tail: String = tail.chars().rev().collect();
                return format!("{header}************{tail}");
            }
        }
    }
    let chars: Vec<char> = secret.chars().filter(|c| !c.is_control()).collect();
    let n = chars.len();
    let mut prefix = secret[..prefix_len.min(secret.len())]
        .chars()
        .count()
        .min(n);
    if prefix == 0 {
        prefix = (n / 8).min(4);
    }
    // A prefix must leave most of the secret hidden.
    prefix = prefix.min(n / 2);
    let tail = if n >= 12 { 2 } else { 0 };
    let hidden = n.saturating_sub(prefix + tail);
    let mut out: String = chars[..prefix].iter().collect();
    out.extend(std::iter::repeat_n('*', hidden.clamp(1, 12)));
    out.extend(&chars[n - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_distinct() {
        let a = fingerprint("r", "p", b"s");
        assert_eq!(a, fingerprint("r", "p", b"s"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, fingerprint("r", "q", b"s"));
        assert_ne!(a, fingerprint("r2", "p", b"s"));
    }

    #[test]
    fn redaction_keeps_prefix_and_tail() {
        let s = "sk-proj-Abcdefghijklmnopqrstuvwxyz0123456789";
        let r = redact(s, 8);
        assert!(r.starts_with("sk-proj-"));
        assert!(r.ends_with("89"));
        assert!(!r.contains("Abc"));
        assert_eq!(redact("abc", 0), "***");
        assert_eq!(redact("short-secr", 0), "s*********");
    }
}
