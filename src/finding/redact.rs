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
    let pairs: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f.secret.len() >= 8 && f.secret.chars().count() >= 8 && f.secret != f.redacted)
        .map(|f| (f.secret.clone(), f.redacted.clone()))
        .collect();
    let Some(masker) = Masker::new(&pairs) else {
        return;
    };
    let mask = |field: &mut String| {
        if let Some(masked) = masker.mask(field) {
            *field = masked;
        }
    };
    for f in findings.iter_mut() {
        if let Some(c) = &mut f.commit {
            for field in [&mut c.summary, &mut c.author, &mut c.email] {
                mask(field);
            }
            if let Some(tag) = &mut c.tag {
                mask(tag);
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

/// Replaces secrets (of 8 bytes or more) by their masks in short strings.
/// Candidates are found by their first 8 bytes in a hash map: memory is
/// proportional to the number of secrets (an automaton over thousands of
/// secrets would take megabytes), and each string costs one lookup per
/// byte.
struct Masker<'a> {
    by_prefix: std::collections::HashMap<&'a [u8], Vec<(&'a str, &'a str)>>,
}

impl<'a> Masker<'a> {
    fn new(pairs: &'a [(String, String)]) -> Option<Masker<'a>> {
        if pairs.is_empty() {
            return None;
        }
        let mut by_prefix: std::collections::HashMap<&[u8], Vec<(&str, &str)>> =
            std::collections::HashMap::new();
        for (secret, mask) in pairs {
            by_prefix
                .entry(&secret.as_bytes()[..8])
                .or_default()
                .push((secret, mask));
        }
        for v in by_prefix.values_mut() {
            // Longest first: the longest secret at a place is masked.
            v.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
            v.dedup_by(|a, b| a.0 == b.0);
        }
        Some(Masker { by_prefix })
    }

    /// `field` with every secret in it masked (leftmost first, the longest
    /// at a place), or `None` when it holds none.
    fn mask(&self, field: &str) -> Option<String> {
        let bytes = field.as_bytes();
        let mut out: Option<String> = None;
        let (mut i, mut copied) = (0, 0);
        while i + 8 <= bytes.len() {
            let hit = self.by_prefix.get(&bytes[i..i + 8]).and_then(|cands| {
                cands
                    .iter()
                    .find(|(s, _)| bytes[i..].starts_with(s.as_bytes()))
            });
            match hit {
                Some((secret, mask)) => {
                    // A secret is whole UTF-8, so `i` and its end are char
                    // boundaries of `field`.
                    let o = out.get_or_insert_with(String::new);
                    o.push_str(&field[copied..i]);
                    o.push_str(mask);
                    i += secret.len();
                    copied = i;
                }
                None => i += 1,
            }
        }
        out.map(|mut o| {
            o.push_str(&field[copied..]);
            o
        })
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
    fn masking_replaces_the_longest_secret_leftmost() {
        let pairs = vec![
            ("ghp_abcdefgh".to_string(), "ghp_***".to_string()),
            ("ghp_abcdefgh12".to_string(), "ghp_****12".to_string()),
            ("sk-Zq8xP2vL".to_string(), "sk-***".to_string()),
        ];
        let m = Masker::new(&pairs).unwrap();
        assert_eq!(
            m.mask("add ghp_abcdefgh12 and sk-Zq8xP2vL, é").as_deref(),
            Some("add ghp_****12 and sk-***, é")
        );
        assert_eq!(
            m.mask("keys/ghp_abcdefgh.json").as_deref(),
            Some("keys/ghp_***.json")
        );
        assert_eq!(m.mask("nothing here"), None);
        assert_eq!(m.mask("short"), None);
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
