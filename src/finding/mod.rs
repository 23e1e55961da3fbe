//! Findings: what a rule matched, where, through which layers of the file
//! it was found, and how to show it safely.
//!
//! The scan driver turns each match into a [`Detection`]: everything known
//! from the blob's bytes (position, secret, how it was found). A detection
//! becomes a [`Finding`] once its blob has a place ([`Finding::new`]): a
//! file's path at once, a git blob's paths once history is attributed. The
//! path and the fingerprint are computed there, once, from typed data;
//! notes are rendered from the typed [`Layer`]s and [`Remark`]s and never
//! parsed back.
//!
//! A finding keeps the secret in memory only; every output uses
//! [`Finding::redacted`] unless the user asks for `--show-secrets`.

pub mod excerpt;
mod redact;
pub mod remark;

pub use excerpt::Excerpt;

pub use redact::{fingerprint, redact, Masks};

use serde::Serialize;

use crate::rules::{Confidence, Severity};

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
    /// For a finding in an annotated tag's message: the tag's name (then
    /// `author`, `email` and `date` are the tagger's, `summary` is the
    /// message's first line and `commit` the object the tag points at).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// What the provider said about a secret (`--verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    /// The provider accepted the secret.
    Live,
    /// The provider refused it: revoked, deleted or never valid.
    Invalid,
    /// No answer either way: no verifier for the rule, a network failure,
    /// a timeout, rate limiting, a server error or an answer not understood.
    Unknown,
}

impl VerifyStatus {
    /// Lower-case name, as in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyStatus::Live => "live",
            VerifyStatus::Invalid => "invalid",
            VerifyStatus::Unknown => "unknown",
        }
    }
}

/// The result of asking a secret's provider whether it is live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Live, invalid or unknown.
    pub status: VerifyStatus,
    /// Why: the answer (`HTTP 401`), or what went wrong. Never the secret.
    pub detail: String,
    /// Who the secret belongs to, when the provider says (`account`,
    /// `org`, `user`, `scopes`...).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub identity: std::collections::BTreeMap<String, String>,
    /// When it was checked, RFC 3339 UTC.
    pub checked_at: String,
}

impl Verification {
    /// Whether the provider accepted the secret.
    pub fn is_live(&self) -> bool {
        self.status == VerifyStatus::Live
    }

    /// `verified live: HTTP 200; account=…, scopes=…`, on one line.
    pub fn describe(&self) -> String {
        let mut out = format!("verified {}: {}", self.status.as_str(), self.detail);
        for (i, (k, v)) in self.identity.iter().enumerate() {
            out.push_str(if i == 0 { "; " } else { ", " });
            out.push_str(&format!("{k}={v}"));
        }
        out
    }
}

/// What kind of place a finding's outermost blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A file: of a tree, of the index, or of a commit's tree.
    File,
    /// Standard input (`<stdin>`).
    Stdin,
    /// A commit's message (`(commit message)`).
    CommitMessage,
    /// An annotated tag's message (`(tag message)`).
    TagMessage,
    /// A git blob no ref reaches (`(unreachable blob <id>)`).
    UnreachableBlob,
}

impl Place {
    /// The path shown for a place that is not a file.
    pub fn fixed_path(self) -> Option<&'static str> {
        match self {
            Place::Stdin => Some(STDIN),
            Place::CommitMessage => Some(COMMIT_MESSAGE),
            Place::TagMessage => Some(TAG_MESSAGE),
            Place::File | Place::UnreachableBlob => None,
        }
    }
}

/// The path of findings in standard input.
pub const STDIN: &str = "<stdin>";
/// The path of findings in a commit message.
pub const COMMIT_MESSAGE: &str = "(commit message)";
/// The path of findings in an annotated tag's message.
pub const TAG_MESSAGE: &str = "(tag message)";

/// The path of a blob no ref reaches.
pub fn unreachable_path(id: &str) -> String {
    format!("(unreachable blob {id})")
}

/// One step from a blob to a blob inside it (an expansion), outermost first
/// in a finding's [`Finding::layers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layer {
    /// An entry of an archive; shown in the path as `outer!entry`.
    Archive {
        /// The entry's path inside the archive.
        entry: String,
        /// It was itself an archive, nested deeper than `--archive-depth`,
        /// and was scanned as bytes.
        too_deep: bool,
    },
    /// UTF-16 text transcoded to UTF-8 (lines stay those of the file).
    Utf16 {
        /// Big-endian.
        big_endian: bool,
    },
    /// A notebook cell's source or output, decoded from its JSON strings.
    Notebook {
        /// `3` for cell 3's source, `3, output 1` for its first output.
        part: String,
        /// 1-based line of the secret in the cell or output.
        line: usize,
    },
    /// A base64 value, decoded; the finding is located at the encoded text.
    Decoded {
        /// What the value was (`HTTP Basic Authorization header`, a
        /// Kubernetes Secret's key...).
        label: String,
    },
}

/// A remark on a finding that follows from where it is or what is around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remark {
    /// Assigned to a variable that bundlers inline into browser code
    /// (`NEXT_PUBLIC_...`): the value is this prefix.
    ClientExposed(&'static str),
    /// In an example or template file, which must hold placeholders.
    ExampleFile,
    /// In a file served to browsers: a built bundle, a source map, a public asset.
    Shipped(&'static str),
    /// The finding is a file git tracks or is about to commit (a path rule,
    /// such as a live env file): the rule's advice, with the path in it.
    TrackedFile(String),
    /// What the rule's check found in the secret (a JWT's algorithm,
    /// issuer and expiry).
    Check(String),
}

/// One value of a finding that holds several (an AWS key id and its secret,
/// a URL's user and password), located on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Its name: `id`, `secret`, `user`, `password`.
    pub name: String,
    /// The value (never printed unless asked).
    pub value: String,
    /// The value with its middle masked.
    pub redacted: String,
    /// 1-based line of its first byte.
    pub line: usize,
    /// 1-based column of its first byte.
    pub column: usize,
    /// 1-based line of its last byte.
    pub end_line: usize,
    /// 1-based column one past its last character.
    pub end_column: usize,
}

/// A match, located in its blob, before the blob has a place: what the scan
/// driver produces from a blob's bytes.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Rule id.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Provider that issued the secret.
    pub provider: String,
    /// Severity of the leak.
    pub severity: Severity,
    /// How sure the rule is that this is a credential.
    pub confidence: Confidence,
    /// 1-based line of the first byte of the secret.
    pub line: usize,
    /// 1-based column (in characters) of the first byte of the secret.
    pub column: usize,
    /// 1-based line of the last byte of the secret.
    pub end_line: usize,
    /// 1-based column one past the last character of the secret.
    pub end_column: usize,
    /// Byte offset of the secret in the located blob.
    pub offset: usize,
    /// The secret itself (never printed unless asked).
    pub secret: String,
    /// The secret with its middle masked.
    pub redacted: String,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// What the rule's offline format check (a checksum, a marker, a
    /// structure) found, when the rule has one and it says something about
    /// the format. Never a claim that the key is live.
    pub format_check: Option<String>,
    /// The values of a secret that holds several, the credential last
    /// (empty for a secret of one value; then `secret` is that value).
    pub parts: Vec<Part>,
    /// The expansions it was found through, outermost first.
    pub layers: Vec<Layer>,
    /// Remarks that follow from its surroundings.
    pub remarks: Vec<Remark>,
    /// A `keyscan:allow` marker on its line covers its rule (whether that is
    /// honoured is the filter stage's decision).
    pub inline_allow: bool,
    /// Its line is longer than a hand-written line (a minified bundle).
    pub long_line: bool,
    /// Its line as reports show it, secrets masked (`None` where there is
    /// no line, as for a path rule).
    pub excerpt: Option<Excerpt>,
}

impl Detection {
    /// The path shown for this detection in a blob at `root` (each archive
    /// entry after a `!`), and its fingerprint there: a hash of the rule,
    /// that path and the secret's value (its parts' values, for a secret
    /// of several).
    pub fn path_and_fingerprint(&self, root: &str) -> (String, String) {
        let mut path = root.to_string();
        for layer in &self.layers {
            if let Layer::Archive { entry, .. } = layer {
                path.push('!');
                path.push_str(entry);
            }
        }
        let fp = if self.parts.len() > 1 {
            let values: Vec<&str> = self.parts.iter().map(|p| p.value.as_str()).collect();
            fingerprint(&self.rule_id, &path, values.join("\0").as_bytes())
        } else {
            fingerprint(&self.rule_id, &path, self.secret.as_bytes())
        };
        (path, fp)
    }
}

/// One detected secret, placed.
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
    /// How sure the rule is that this is a credential.
    pub confidence: Confidence,
    /// What kind of place the outermost blob is.
    pub place: Place,
    /// Path relative to the scanned root (`/` separators), with each
    /// archive entry after a `!` (`release.zip!config/app.env`).
    pub path: String,
    /// 1-based line of the first byte of the secret.
    pub line: usize,
    /// 1-based column (in characters) of the first byte of the secret.
    pub column: usize,
    /// 1-based line of the last byte of the secret.
    pub end_line: usize,
    /// 1-based column one past the last character of the secret.
    pub end_column: usize,
    /// Byte offset of the secret in the located blob.
    pub offset: usize,
    /// The secret itself (never printed unless asked).
    pub secret: String,
    /// The secret with its middle masked.
    pub redacted: String,
    /// Stable id: hash of rule id, path and the secret's value (or values,
    /// for a secret of several parts; never the text between them).
    pub fingerprint: String,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// What the rule's offline format check (a checksum, a marker, a
    /// structure) found, when the rule has one and it says something about
    /// the format. Never a claim that the key is live.
    pub format_check: Option<String>,
    /// The values of a secret that holds several, the credential last
    /// (empty for a secret of one value; then `secret` is that value).
    pub parts: Vec<Part>,
    /// The expansions it was found through, outermost first.
    pub layers: Vec<Layer>,
    /// Remarks on where it is.
    pub remarks: Vec<Remark>,
    /// A `keyscan:allow` marker covers it (see [`Detection::inline_allow`]).
    pub inline_allow: bool,
    /// Git commit that introduced the secret (history scans).
    pub commit: Option<CommitInfo>,
    /// What the provider said, with `--verify` (set by the verification
    /// stage, after the filter stage).
    pub verification: Option<Verification>,
    /// Its line as reports show it, secrets masked (see [`Detection::excerpt`]).
    pub excerpt: Option<Excerpt>,
}

impl Finding {
    /// Place a detection: `root` is the path of its outermost blob (a file's
    /// path, or the fixed path of a [`Place`] that is not a file). The
    /// shown path, the fingerprint and the remarks that follow from the path
    /// are computed here, once.
    pub fn new(d: Detection, place: Place, root: &str, commit: Option<CommitInfo>) -> Finding {
        let (path, fingerprint) = d.path_and_fingerprint(root);
        Finding::placed(d, place, root, path, fingerprint, commit)
    }

    /// [`Finding::new`] with the path and fingerprint already computed by
    /// [`Detection::path_and_fingerprint`] for the same `root`.
    pub fn placed(
        d: Detection,
        place: Place,
        root: &str,
        path: String,
        fingerprint: String,
        commit: Option<CommitInfo>,
    ) -> Finding {
        let mut remarks = d.remarks;
        if !remarks.iter().any(|r| matches!(r, Remark::TrackedFile(_))) {
            // Inside an archive, the entry's own path decides.
            let inner = d
                .layers
                .iter()
                .rev()
                .find_map(|l| match l {
                    Layer::Archive { entry, .. } => Some(entry.as_str()),
                    _ => None,
                })
                .unwrap_or(root);
            remark::path_remarks(inner, d.long_line, &mut remarks);
        }
        Finding {
            rule_id: d.rule_id,
            rule_name: d.rule_name,
            provider: d.provider,
            severity: d.severity,
            confidence: d.confidence,
            place,
            path,
            line: d.line,
            column: d.column,
            end_line: d.end_line,
            end_column: d.end_column,
            offset: d.offset,
            secret: d.secret,
            redacted: d.redacted,
            fingerprint,
            entropy: d.entropy,
            format_check: d.format_check,
            parts: d.parts,
            layers: d.layers,
            remarks,
            inline_allow: d.inline_allow,
            commit,
            verification: None,
            excerpt: d.excerpt,
        }
    }

    /// The notes shown with the finding, rendered from its layers and
    /// remarks: how it was found (outermost first), then where it is.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        // One note for archives, however deeply nested: the innermost.
        let archive = self
            .layers
            .iter()
            .rposition(|l| matches!(l, Layer::Archive { .. }));
        for (i, layer) in self.layers.iter().enumerate() {
            match layer {
                Layer::Archive { too_deep, .. } if Some(i) == archive => out.push(if *too_deep {
                    "inside archive, nested deeper than --archive-depth: scanned as bytes"
                        .to_string()
                } else {
                    "inside archive".to_string()
                }),
                Layer::Archive { .. } => {}
                Layer::Utf16 { big_endian } => out.push(format!(
                    "decoded from UTF-16{}",
                    if *big_endian { "BE" } else { "LE" }
                )),
                Layer::Notebook { part, line } => {
                    out.push(format!("notebook cell {part}, line {line}"))
                }
                Layer::Decoded { label } => out.push(format!("decoded from base64 ({label})")),
            }
        }
        for r in &self.remarks {
            out.push(match r {
                Remark::ClientExposed(var) => format!(
                    "exposed to browsers: {var} variables are inlined into the client bundle, so the key reaches every visitor"
                ),
                Remark::ExampleFile => "example file: example files must hold placeholders, not real keys; \
                     put a placeholder here and rotate the key"
                    .to_string(),
                Remark::Shipped(what) => {
                    format!("shipped to browsers ({what}): anyone who loads the site can read it")
                }
                Remark::TrackedFile(note) => note.clone(),
                Remark::Check(note) => note.clone(),
            });
        }
        out
    }

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
