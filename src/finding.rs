//! Findings: what a rule matched, where, and how to show it safely.
//!
//! A [`Finding`] keeps the secret in memory only; every output uses
//! [`Finding::redacted`] unless the user asks for `--show-secrets`.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rules::Severity;

/// Commit metadata for findings that come from git history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Full 40-hex commit id.
    pub commit: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the commit message.
    pub summary: String,
    /// Whether the secret is still in HEAD's tree at this path.
    pub in_head: bool,
    /// Number of commits whose tree holds it at this path.
    pub commits: usize,
}

/// One detected secret.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Rule id.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Provider that issued the secret.
    pub provider: String,
    /// Severity of the leak.
    pub severity: Severity,
    /// Path relative to the scanned root (`/` separators).
    pub path: String,
    /// 1-based line of the first byte of the secret.
    pub line: usize,
    /// 1-based column (in characters) of the first byte of the secret.
    pub column: usize,
    /// 1-based line of the last byte of the secret.
    pub end_line: usize,
    /// 1-based column one past the last character of the secret.
    pub end_column: usize,
    /// Byte offset of the secret in the scanned blob.
    pub offset: usize,
    /// The secret itself (never printed unless asked).
    pub secret: String,
    /// The secret with its middle masked.
    pub redacted: String,
    /// Stable id: hash of rule id, path and secret.
    pub fingerprint: String,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// What structural check the secret passed, if any.
    pub verified: Option<String>,
    /// Extra remarks (e.g. "decoded from base64").
    pub notes: Vec<String>,
    /// Git commit that introduced the secret (history scans).
    pub commit: Option<CommitInfo>,
}

impl Finding {
    /// Sort key that makes parallel scans print deterministically: by
    /// place and rule, then (for findings a history scan places at the same
    /// spot from different commits or blobs) by commit, extent and secret,
    /// so that repeats end up next to each other for [`crate::filter::dedup`].
    #[allow(clippy::type_complexity)]
    pub fn sort_key(&self) -> (&str, usize, usize, &str, Option<&str>, usize, usize, &str) {
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            self.commit.as_ref().map(|c| c.commit.as_str()),
            self.end_line,
            self.end_column,
            &self.fingerprint,
        )
    }
}

/// Mask, in the commit metadata of every finding (summary, author, email),
/// each secret that any of the findings holds: a commit message such as
/// "add token ghp_…" would otherwise carry a found secret into a report.
pub fn redact_commit_metadata(findings: &mut [Finding]) {
    let mut pairs: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f.secret.chars().count() >= 8)
        .map(|f| (f.secret.as_str(), f.redacted.as_str()))
        .collect();
    if pairs.is_empty() || findings.iter().all(|f| f.commit.is_none()) {
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
    for f in findings.iter_mut() {
        if let Some(c) = &mut f.commit {
            for field in [&mut c.summary, &mut c.author, &mut c.email] {
                if ac.is_match(field.as_str()) {
                    *field = ac.replace_all(field, &masks);
                }
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

/// Converts byte offsets to 1-based line and column numbers. Lines end at
/// `\n`, `\r\n` or a lone `\r`; columns count characters, not bytes.
pub struct Locator<'a> {
    hay: &'a [u8],
    /// Offset and line of the last position resolved (queries must not go backwards
    /// for the fast path; going backwards restarts from 0).
    pos: usize,
    line: usize,
    /// Line and column of `hay[0]` (chunks of long lines start mid-line).
    base: (usize, usize),
    /// Columns are counted incrementally: `col_count` characters lie between
    /// the start of the current line and `col_pos`, so many findings on one
    /// long line cost one pass over it, not one pass each.
    col_pos: usize,
    col_count: usize,
}

/// The UTF-8 byte order mark, which editors do not show as a column.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> Locator<'a> {
    /// A locator over `hay`.
    pub fn new(hay: &'a [u8]) -> Self {
        Locator::with_base(hay, 1, 0)
    }

    /// A locator over a chunk whose first byte is on `line`, `column`
    /// characters after that line's start.
    pub fn with_base(hay: &'a [u8], line: usize, column: usize) -> Self {
        let mut l = Locator {
            hay,
            pos: 0,
            line,
            base: (line, column),
            col_pos: 0,
            col_count: 0,
        };
        l.reset();
        l
    }

    /// Go back to the start of `hay`.
    fn reset(&mut self) {
        self.pos = 0;
        self.line = self.base.0;
        self.col_pos = 0;
        self.col_count = self.base.1;
        // A BOM at the very start of a file takes no column.
        if self.base == (1, 0) && self.hay.starts_with(BOM) {
            self.col_pos = BOM.len();
        }
    }

    /// (line, column) of byte `offset`.
    pub fn locate(&mut self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.hay.len());
        if offset < self.pos {
            self.reset();
        }
        for i in memchr::memchr2_iter(b'\n', b'\r', &self.hay[self.pos..offset]) {
            let i = self.pos + i;
            // `\r\n` counts once, at the `\n`.
            if self.hay[i] == b'\r' && self.hay.get(i + 1) == Some(&b'\n') {
                continue;
            }
            self.line += 1;
            self.col_pos = i + 1;
            self.col_count = 0;
        }
        self.pos = offset;
        if self.col_pos < offset {
            self.col_count += self.hay[self.col_pos..offset]
                .iter()
                .filter(|&&b| (b & 0xC0) != 0x80)
                .count();
            self.col_pos = offset;
        }
        (self.line, 1 + self.col_count)
    }
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

    #[test]
    fn locator_handles_crlf_and_cr() {
        let text = b"a\r\nb\rc\nd\xc3\xa9x";
        let mut l = Locator::new(text);
        assert_eq!(l.locate(0), (1, 1));
        assert_eq!(l.locate(3), (2, 1));
        assert_eq!(l.locate(5), (3, 1));
        assert_eq!(l.locate(7), (4, 1));
        assert_eq!(l.locate(10), (4, 3));
        assert_eq!(l.locate(2), (1, 3));
    }
}
