//! Rules are data: TOML files under `rules/`, embedded at build time.
//!
//! This module owns the rule file syntax ([`RuleFile`], [`RuleSpec`]), its
//! validation, and compilation into a [`RuleSet`] that the detector runs. It
//! knows nothing about files, walking or output.

pub mod checks;
pub mod data;
pub mod gate;
pub mod placeholder;
pub mod verify;

use std::fmt;

use crate::text::one_line;
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

pub use checks::Check;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));
}

/// Upper bound on the compiled size of one rule's regex. A rule that needs
/// more is rejected at load time with a clear error instead of making every
/// scan slow (the `regex` crate is linear-time, this bounds the constant).
pub const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// Why a user's regex does not compile, without the pattern itself: the
/// reason and where in the pattern (`unclosed group (at column 21 of the
/// pattern)`). The `regex` crate's message quotes the pattern, and a
/// pattern may hold a literal key (an allowlisted one, say), so it is
/// never shown. `unicode` and `utf8` are the syntax settings the pattern
/// was compiled with (they decide some errors).
pub fn regex_error(pattern: &str, err: &regex::Error, unicode: bool, utf8: bool) -> String {
    let regex::Error::Syntax(message) = err else {
        // The size limit: a number, no pattern.
        return one_line(&err.to_string());
    };
    // Parse again with the same settings for the error's parts.
    let parsed = regex_syntax::ParserBuilder::new()
        .unicode(unicode)
        .utf8(utf8)
        .build()
        .parse(pattern);
    let (reason, span) = match &parsed {
        Err(regex_syntax::Error::Parse(e)) => (e.kind().to_string(), Some(*e.span())),
        Err(regex_syntax::Error::Translate(e)) => (e.kind().to_string(), Some(*e.span())),
        // Should the parser disagree with the regex crate, the message's
        // last line is the reason alone (the lines above it quote the
        // pattern).
        _ => (
            message
                .lines()
                .last()
                .and_then(|l| l.trim().strip_prefix("error: "))
                .unwrap_or("the pattern does not compile")
                .to_string(),
            None,
        ),
    };
    let reason = one_line(&reason);
    match span {
        Some(s) if pattern.contains('\n') => format!(
            "{reason} (at line {}, column {} of the pattern)",
            s.start.line, s.start.column
        ),
        Some(s) => format!("{reason} (at column {} of the pattern)", s.start.column),
        None => reason,
    }
}

/// Default number of bytes the detector looks at before and after a keyword
/// hit. Rules that need a wider context (a PEM block, a key next to its
/// endpoint) set `window_before` / `window_after`.
pub const DEFAULT_WINDOW_BEFORE: usize = 256;
/// See [`DEFAULT_WINDOW_BEFORE`].
pub const DEFAULT_WINDOW_AFTER: usize = 512;
/// How far a window that ends inside a token may stretch to its end, for a
/// rule without a `max-length` (see [`Rule::token_snap`]).
pub const DEFAULT_TOKEN_SNAP: usize = 1024;

/// How bad a leak of this kind of secret is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Test-mode keys and secrets with little reach.
    Low,
    /// Secrets with limited scope.
    Medium,
    /// Production credentials.
    High,
    /// Credentials that can run up bills or read data immediately.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Lower-case name, as used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a rule is that what it matched is a credential, whatever the
/// credential can do (that is [`Severity`]).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A generic detection: a random-looking value assigned to a
    /// secret-like name, or a structure with no provider marker.
    #[default]
    Low,
    /// A provider's format that needs context (the provider's name or a
    /// variable named after it) to tell it from other random strings.
    Medium,
    /// A provider's format with a checksum, a fixed marker or an
    /// unmistakable prefix.
    High,
}

impl Confidence {
    /// All confidences, lowest first.
    pub const ALL: [Confidence; 3] = [Confidence::Low, Confidence::Medium, Confidence::High];

    /// Lower-case name, as used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule file: `[[rule]]` tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules the file defines.
    #[serde(rename = "rule")]
    pub rules: Vec<RuleSpec>,
}

/// A positive example: `text` must yield exactly one finding of the rule,
/// whose secret is `secret`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// Input text.
    pub text: String,
    /// The secret the rule must extract from `text`: the credential itself
    /// (for a secret of several values, the last part).
    pub secret: String,
    /// For a secret of several values, each part's value by name (`id`,
    /// `secret`, `user`, `password`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub parts: std::collections::BTreeMap<String, String>,
    /// The confidence the finding must have, when it is not the rule's
    /// (an example that fails the rule's check, see `on_check_failure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// The serde form of one rule, as written in TOML.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique kebab-case id, e.g. `openai-project-key`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The provider that issues the secret.
    pub provider: String,
    /// Severity of a leak.
    pub severity: Severity,
    /// How sure a match is to be a credential. Every built-in rule states
    /// it; a custom rule without it is `low` when `generic`, else `medium`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// Literals (matched case-insensitively) of which at least one must occur
    /// near a match. They feed the Aho-Corasick prefilter.
    pub keywords: Vec<String>,
    /// The pattern, with a named group `secret`.
    pub regex: String,
    /// Index of the capture group that holds the secret, for patterns
    /// without a `secret` group (gitleaks' `secretGroup`; 0 is the whole match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_group: Option<usize>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_entropy: Option<f64>,
    /// A structural check the secret must pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// A match that fails `check` is still reported, at this confidence and
    /// `low` severity, with a note (a token of the provider's exact shape
    /// whose checksum fails is a sample or an altered key: worth a look,
    /// never worth failing a build at `--min-confidence medium`). Unset: a
    /// match that fails the check is no finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_check_failure: Option<Confidence>,
    /// What the secret must hold beyond the regex (digits, cases, words it
    /// must not contain, trivial values).
    #[serde(default, skip_serializing_if = "data::Requirements::is_empty")]
    pub requirements: data::Requirements,
    /// What the variable a value is assigned to (the `name` group) must not
    /// say.
    #[serde(default, skip_serializing_if = "data::Variable::is_empty")]
    pub variable: data::Variable,
    /// Generic rules yield to a specific rule that matches the same place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generic: bool,
    /// Where the key is revoked and rotated.
    pub remediation: String,
    /// What leaked and why it matters (defaults to a sentence built from the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Bytes before a keyword hit the regex may look at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_before: Option<usize>,
    /// Bytes after a keyword hit the regex may look at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_after: Option<usize>,
    /// Positive examples.
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Negative examples: texts that must not yield a finding of this rule.
    #[serde(default)]
    pub negatives: Vec<String>,
    /// Code that takes over from the regex (see [`Handler`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<Handler>,
    /// What the regex reads: file contents (the default), or the paths of
    /// files git tracks or is about to commit.
    #[serde(default, skip_serializing_if = "Target::is_contents")]
    pub target: Target,
    /// Regexes: a secret (for a path rule, a path) that one of them matches
    /// is not a finding of this rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// For a path rule: the advice shown with each finding, `{path}`
    /// standing for the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How to ask the provider whether a secret is live (only with
    /// `--verify`; built-in rules only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<verify::VerifySpec>,
}

/// What a rule's regex reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// File contents (and everything expanded from them).
    #[default]
    Contents,
    /// The path of each file that git tracks (directory scans, read from
    /// the index) or that is about to be committed (staged scans): the
    /// file itself is the finding, whatever it holds. The secret is the
    /// path; the examples are paths.
    Path,
}

impl Target {
    fn is_contents(&self) -> bool {
        *self == Target::Contents
    }
}

/// What code does with a rule's matches, for rules that are not reported
/// as they match (`handler = "..."` in a rule file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Handler {
    /// The secret group is base64 text (an HTTP Basic header, a Docker
    /// registry auth): it is decoded and the decoded value scanned; the
    /// match itself is never a finding.
    Base64,
    /// The match marks a Kubernetes Secret manifest: every value under its
    /// `data:` is decoded and scanned; the match itself is never a finding.
    KubernetesSecret,
}

/// A rule that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The TOML did not parse or had unknown fields.
    #[error("{file}: {message}")]
    Syntax {
        /// File name.
        file: String,
        /// Parser message (contains the line).
        message: String,
    },
    /// A rule is invalid.
    #[error("{file}: rule `{id}`: {message}")]
    Invalid {
        /// File name.
        file: String,
        /// Rule id.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    /// The file it came from.
    pub source: String,
    /// The compiled pattern and its group indices, built on first use:
    /// a scan compiles only the rules whose keywords occur, which keeps
    /// start-up fast (the built-in rules are validated by the test suite;
    /// rules from configuration are compiled eagerly when they load).
    compiled: std::sync::OnceLock<Compiled>,
    /// The gates that decide whether a window may hold a match, built on
    /// first use and before the regex: a rule whose gates pass in no
    /// window is never compiled (a context rule's full pattern costs a few
    /// milliseconds and a megabyte to build; its gates, a fraction).
    gates: std::sync::OnceLock<Gates>,
    /// Keywords, lower-cased.
    pub keywords: Vec<String>,
    /// Effective window before a keyword hit.
    pub window_before: usize,
    /// Effective window after a keyword hit.
    pub window_after: usize,
}

/// A rule's compiled regex and the indices of its groups.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Compiled pattern.
    pub regex: Regex,
    /// Index of the group holding the secret (0: the whole match).
    pub secret_group: Option<usize>,
    /// Index of the `name` group (the variable a value is assigned to), if any.
    pub name_group: Option<usize>,
    /// The `exclude` regexes.
    pub exclude: Vec<Regex>,
}

/// What decides, before a rule's regex runs, whether a window may hold a
/// match of it.
#[derive(Debug, Clone, Default)]
pub struct Gates {
    /// The secret group's pattern on its own, when it is selective (it does
    /// not match ordinary code): a window where it finds nothing cannot
    /// hold a match of the whole pattern, so the detector skips the full
    /// regex there. Context rules (a provider name, an assignment, then a
    /// token) spend most of their time in windows without a token.
    pub gate: Option<regex_automata::meta::Regex>,
    /// A class run the secret holds, checked before the gate (see
    /// [`gate::RunGate`]).
    pub run_gate: Option<gate::RunGate>,
}

impl Gates {
    /// The gates of a rule written as `spec`.
    fn build(spec: &RuleSpec) -> Gates {
        let Some(hir) = gate::parse(&spec.regex) else {
            return Gates::default();
        };
        match gate::secret_group_index(&hir, spec.secret_group) {
            Some(g) => Gates {
                gate: gate::build_secret_gate(&hir, g),
                run_gate: gate::RunGate::build(&hir, g),
            },
            None => Gates::default(),
        }
    }

    /// Whether the window `lo..hi` of `hay` may hold a match: the run gate,
    /// then the secret gate, pass (see [`gate`]). `cache` is the caller's
    /// for this rule's run gate.
    pub fn window_may_match(
        &self,
        hay: &[u8],
        lo: usize,
        hi: usize,
        cache: &mut Option<regex_automata::hybrid::dfa::Cache>,
    ) -> bool {
        if let Some(run) = &self.run_gate {
            if !run.passes(hay, lo, hi, cache) {
                return false;
            }
        }
        match &self.gate {
            Some(gate) => gate.is_match(regex_automata::Input::new(&hay[..hi]).range(lo..hi)),
            None => true,
        }
    }
}

/// A regex that matches nothing (`\b\B` cannot hold at one position).
fn never_matches() -> Regex {
    // A constant, valid pattern: building it cannot fail.
    Regex::new(r"\b\B").unwrap_or_else(|_| never_matches())
}

/// Compile a rule's regex and find its groups.
fn compile_regex(spec: &RuleSpec) -> Result<Compiled, String> {
    // Secrets are ASCII: byte-oriented classes (`\w`, `\s`, `.`, `(?i)`)
    // give automata a fraction of the size of their Unicode forms, which
    // makes rules compile faster and keeps the lazy DFA's cache from
    // thrashing. A rule can still opt in with `(?u)`.
    let regex = RegexBuilder::new(&spec.regex)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            format!(
                "invalid regex: {}",
                regex_error(&spec.regex, &e, false, false)
            )
        })?;
    let secret_group = match spec.secret_group {
        _ if regex.capture_names().any(|n| n == Some("secret")) => {
            regex.capture_names().position(|n| n == Some("secret"))
        }
        Some(g) if g < regex.captures_len() => Some(g),
        Some(g) => {
            return Err(format!(
                "secret_group {g} does not exist (the regex has {} groups)",
                regex.captures_len() - 1
            ))
        }
        None => None,
    };
    let name_group = regex.capture_names().position(|n| n == Some("name"));
    if secret_group.is_none() {
        return Err("regex needs a named group `secret` (or set `secret_group`)".into());
    }
    let exclude = spec
        .exclude
        .iter()
        .enumerate()
        .map(|(i, r)| {
            // Byte-oriented classes, as for the rule's own regex.
            RegexBuilder::new(r)
                .unicode(false)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    format!(
                        "invalid exclude regex {}: {}",
                        i + 1,
                        regex_error(r, &e, false, false)
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Compiled {
        regex,
        secret_group,
        name_group,
        exclude,
    })
}

impl Rule {
    /// How far past its window the detector follows a token the window
    /// ends inside (a key or JWT longer than the window): the rule's
    /// `max-length` and a little, or [`DEFAULT_TOKEN_SNAP`].
    pub fn token_snap(&self) -> usize {
        match self.spec.requirements.max_length {
            0 => DEFAULT_TOKEN_SNAP,
            n => n + 16,
        }
    }

    /// The compiled regex, built on first use. A built-in rule that fails to
    /// compile (the tests make sure none does) matches nothing.
    pub fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            compile_regex(&self.spec).unwrap_or_else(|_| Compiled {
                // An empty class never matches.
                regex: never_matches(),
                secret_group: Some(0),
                name_group: None,
                exclude: Vec::new(),
            })
        })
    }

    /// The gates, built on first use (see [`Gates`]).
    pub fn gates(&self) -> &Gates {
        self.gates.get_or_init(|| Gates::build(&self.spec))
    }

    /// Whether the window `lo..hi` of `hay` may hold a match of the rule:
    /// its gates pass (see [`Gates::window_may_match`]). Builds the gates,
    /// never the regex.
    pub fn window_may_match(
        &self,
        hay: &[u8],
        lo: usize,
        hi: usize,
        cache: &mut Option<regex_automata::hybrid::dfa::Cache>,
    ) -> bool {
        self.gates().window_may_match(hay, lo, hi, cache)
    }

    /// The compiled regex.
    pub fn regex(&self) -> &Regex {
        &self.compiled().regex
    }

    /// The keywords that send contents to this rule's regex: `None` for a
    /// rule whose findings do not come from contents (an env-file rule
    /// matches paths), an empty list for a rule that reads every blob.
    pub fn content_keywords(&self) -> Option<&[String]> {
        (self.spec.target == Target::Contents).then_some(self.keywords.as_slice())
    }

    /// The rule id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// How sure a match of this rule is to be a credential: as the rule
    /// says, else `low` for a generic rule and `medium` for any other.
    pub fn confidence(&self) -> Confidence {
        self.spec.confidence.unwrap_or(if self.spec.generic {
            Confidence::Low
        } else {
            Confidence::Medium
        })
    }

    /// A one-paragraph description of what leaked.
    pub fn description(&self) -> String {
        self.spec.description.clone().unwrap_or_else(|| {
            format!(
                "A {} was found. Anyone who can read this file can use it until it is revoked.",
                self.spec.name
            )
        })
    }

    /// Compile a rule spec, validating its fields and its regex.
    pub fn compile(spec: RuleSpec, source: &str) -> Result<Rule, RuleError> {
        Rule::build(spec, source, true)
    }

    /// Validate a trusted (built-in) rule spec; its regex is compiled on
    /// first use.
    pub fn compile_lazy(spec: RuleSpec, source: &str) -> Result<Rule, RuleError> {
        Rule::build(spec, source, false)
    }

    fn build(spec: RuleSpec, source: &str, eager: bool) -> Result<Rule, RuleError> {
        let invalid = |message: String| RuleError::Invalid {
            file: source.to_string(),
            id: spec.id.clone(),
            message,
        };
        if !is_valid_id(&spec.id) {
            return Err(invalid(
                "id must be kebab-case ([a-z0-9-], 3 to 60 chars)".into(),
            ));
        }
        for (field, value) in [
            ("name", &spec.name),
            ("provider", &spec.provider),
            ("remediation", &spec.remediation),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(format!("`{field}` must not be empty")));
            }
        }
        if spec.target == Target::Path && spec.handler.is_some() {
            return Err(invalid("a path rule takes no `handler`".into()));
        }
        if spec.note.is_some() && spec.target != Target::Path {
            return Err(invalid(
                "only a path rule (`target = \"path\"`) takes a `note`".into(),
            ));
        }
        if let Some(k) = spec.keywords.iter().find(|k| k.len() < 2) {
            return Err(invalid(format!(
                "keyword {k:?} is too short to be selective (2 bytes at least)"
            )));
        }
        if let Some(e) = spec.min_entropy {
            if !(0.0..=8.0).contains(&e) {
                return Err(invalid(format!("min_entropy {e} is outside 0..8")));
            }
        }
        let compiled = if eager {
            Some(compile_regex(&spec).map_err(invalid)?)
        } else {
            None
        };
        if let Some(check) = &spec.check {
            check.validate().map_err(invalid)?;
        }
        if let Some(v) = &spec.verify {
            v.validate().map_err(invalid)?;
        }
        let keywords = spec.keywords.iter().map(|k| k.to_lowercase()).collect();
        let cell = std::sync::OnceLock::new();
        let gates = std::sync::OnceLock::new();
        if let Some(c) = compiled {
            let _ = cell.set(c);
            let _ = gates.set(Gates::build(&spec));
        }
        Ok(Rule {
            window_before: spec.window_before.unwrap_or(DEFAULT_WINDOW_BEFORE),
            window_after: spec.window_after.unwrap_or(DEFAULT_WINDOW_AFTER),
            keywords,
            compiled: cell,
            gates,
            source: source.to_string(),
            spec,
        })
    }
}

fn is_valid_id(id: &str) -> bool {
    (3..=60).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Parse one rule file's text into specs.
pub fn parse_rule_file(name: &str, text: &str) -> Result<Vec<RuleSpec>, RuleError> {
    toml::from_str::<RuleFile>(text)
        .map(|f| f.rules)
        .map_err(|e| RuleError::Syntax {
            file: name.to_string(),
            message: one_line(&e.to_string()),
        })
}

/// The set of rules a scan runs.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules embedded in the binary.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (name, text) in embedded::RULE_FILES {
            for spec in parse_rule_file(name, text)? {
                set.push(Rule::compile_lazy(spec, name)?)?;
            }
        }
        Ok(set)
    }

    /// Names and texts of the embedded rule files.
    pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
        embedded::RULE_FILES
    }

    /// Build a set from rules already compiled.
    pub fn from_rules(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for r in rules {
            set.push(r)?;
        }
        Ok(set)
    }

    /// Add a rule; ids must be unique.
    pub fn push(&mut self, rule: Rule) -> Result<(), RuleError> {
        if self.get(rule.id()).is_some() {
            return Err(RuleError::Invalid {
                file: rule.source.clone(),
                id: rule.spec.id.clone(),
                message: "duplicate rule id".into(),
            });
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Remove the rules whose id is in `ids`; returns the ids that matched none.
    pub fn disable<'a>(&mut self, ids: &'a [String]) -> Vec<&'a str> {
        let unknown = ids
            .iter()
            .filter(|id| self.get(id).is_none())
            .map(|s| s.as_str())
            .collect();
        self.rules.retain(|r| !ids.iter().any(|id| id == r.id()));
        unknown
    }

    /// All rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Mutable access, for per-rule overrides from configuration.
    pub fn rules_mut(&mut self) -> &mut [Rule] {
        &mut self.rules
    }

    /// Look a rule up by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// Index of a rule by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id() == id)
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kebab_case() {
        assert!(is_valid_id("openai-project-key"));
        assert!(!is_valid_id("OpenAI"));
        assert!(!is_valid_id("a_b"));
        assert!(!is_valid_id("-ab"));
    }

    #[test]
    fn malformed_rule_file_names_file_and_reason() {
        let err = parse_rule_file("bad.toml", "[[rule]]\nid = 3\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("bad.toml: "), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn invalid_regex_is_reported_with_rule_id() {
        let text = r#"
[[rule]]
id = "broken-rule"
name = "Broken"
provider = "Test"
severity = "low"
keywords = ["abc"]
regex = '''abc(['''
remediation = "https://example.invalid"
"#;
        let spec = parse_rule_file("broken.toml", text).unwrap().remove(0);
        let err = Rule::compile(spec, "broken.toml").unwrap_err().to_string();
        assert!(
            err.starts_with("broken.toml: rule `broken-rule`: invalid regex"),
            "{err}"
        );
    }

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().expect("built-in rules load");
        assert!(set.len() >= 10);
    }
}
