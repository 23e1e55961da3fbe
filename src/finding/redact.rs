//! Redaction and fingerprints: how a finding is shown without its secret,
//! and the stable id that survives lines moving.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::Finding;

/// The secrets of a scan and their masks: what any printed field that is not
/// the finding itself (commit fields, paths, archive entries, warnings) is
/// masked with. Built from every finding detected, before any filter, so
/// that a suppressed secret is masked as well as a reported one.
///
/// Candidates are found by their first 8 bytes in a hash map: memory is
/// proportional to the number of secrets (an automaton over thousands of
/// secrets would take megabytes), and each string costs one lookup per
/// byte.
#[derive(Debug, Default, Clone)]
pub struct Masks {
    /// (secret, mask), secrets of 8 bytes or more.
    pairs: Vec<(String, String)>,
    /// Indexes into `pairs` by a secret's first 8 bytes, longest first.
    by_prefix: HashMap<[u8; 8], Vec<u32>>,
}

impl Masks {
    /// The masks of the secrets of `findings`.
    pub fn of(findings: &[Finding]) -> Masks {
        Masks::new(
            findings
                .iter()
                .map(|f| (f.secret.clone(), f.redacted.clone()))
                .collect(),
        )
    }

    /// Masks from (secret, mask) pairs; secrets shorter than 8 bytes or 8
    /// characters, or equal to their mask, are left alone.
    pub fn new(mut pairs: Vec<(String, String)>) -> Masks {
        pairs.retain(|(s, m)| s.len() >= 8 && s.chars().count() >= 8 && s != m);
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        let mut by_prefix: HashMap<[u8; 8], Vec<u32>> = HashMap::new();
        for (i, (secret, _)) in pairs.iter().enumerate() {
            let mut key = [0u8; 8];
            key.copy_from_slice(&secret.as_bytes()[..8]);
            by_prefix.entry(key).or_default().push(i as u32);
        }
        for v in by_prefix.values_mut() {
            // Longest first: the longest secret at a place is masked.
            v.sort_by(|&a, &b| pairs[b as usize].0.len().cmp(&pairs[a as usize].0.len()));
        }
        Masks { pairs, by_prefix }
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Mask every secret in the metadata of `findings`: commit fields,
    /// paths, archive entries and decoded-value labels.
    pub fn apply(&self, findings: &mut [Finding]) {
        if self.is_empty() {
            return;
        }
        let mask = |field: &mut String| {
            if let Some(masked) = self.mask(field) {
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
            // A secret of another blob on this line: masking it would move
            // the caret, so the line is not shown.
            if f.excerpt
                .as_ref()
                .is_some_and(|e| self.mask(&e.text).is_some())
            {
                f.excerpt = None;
            }
            for layer in &mut f.layers {
                match layer {
                    super::Layer::Archive { entry, .. } => mask(entry),
                    super::Layer::Decoded { label } => mask(label),
                    super::Layer::Utf16 { .. } | super::Layer::Notebook { .. } => {}
                }
            }
        }
    }

    /// `field` with every secret in it masked (leftmost first, the longest
    /// at a place), or `None` when it holds none.
    pub fn mask(&self, field: &str) -> Option<String> {
        let bytes = field.as_bytes();
        let mut out: Option<String> = None;
        let (mut i, mut copied) = (0, 0);
        while i + 8 <= bytes.len() {
            let mut key = [0u8; 8];
            key.copy_from_slice(&bytes[i..i + 8]);
            let hit = self.by_prefix.get(&key).and_then(|cands| {
                cands
                    .iter()
                    .map(|&c| &self.pairs[c as usize])
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
        let m = Masks::new(pairs);
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
    fn a_line_holding_a_secret_of_another_blob_is_not_shown() {
        use crate::finding::{Detection, Excerpt, Place};
        use crate::rules::{Confidence, Severity};
        let finding = |secret: &str, line: &str| {
            let d = Detection {
                rule_id: "r".into(),
                rule_name: "R".into(),
                provider: "P".into(),
                severity: Severity::High,
                confidence: Confidence::High,
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
                offset: 0,
                secret: secret.into(),
                redacted: redact(secret, 0),
                entropy: 0.0,
                format_check: None,
                parts: Vec::new(),
                layers: Vec::new(),
                remarks: Vec::new(),
                inline_allow: false,
                long_line: false,
                excerpt: Some(Excerpt {
                    text: line.into(),
                    mark: 0,
                    width: 1,
                }),
            };
            Finding::new(d, Place::File, "f", None)
        };
        let mut findings = vec![
            finding("Zq8xP2vLk3", "A=Zq8***"),
            finding("Wm4nR7tYp9", "B=Wm4*** C=Zq8xP2vLk3"),
        ];
        Masks::of(&findings).apply(&mut findings);
        assert!(findings[0].excerpt.is_some());
        assert!(findings[1].excerpt.is_none());
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
