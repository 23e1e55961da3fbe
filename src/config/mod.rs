//! The project configuration file, `.keyscan.toml`.
//!
//! Found at the scanned root, or given with `--config FILE`; `--no-config`
//! ignores it. Unknown keys are errors that name the file, the line and the
//! key. See the README for a complete example.
//!
//! A gitleaks or betterleaks configuration (`.gitleaks.toml`) is accepted
//! too and translated by [`gitleaks`], with a warning for each field that
//! keyscan cannot honour.

pub mod gitleaks;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::filter::allowlist::{Allowlist, Allowlists};
use crate::rules::{Rule, RuleSet, RuleSpec, Severity};

/// The file name looked for at the scanned root.
pub const FILE_NAME: &str = ".keyscan.toml";

/// gitleaks' configuration file, used (translated) when there is no
/// [`FILE_NAME`] at the scanned root.
pub const GITLEAKS_FILE_NAME: &str = ".gitleaks.toml";

/// The largest configuration file keyscan reads (16 MiB: far more than any
/// hand-written file, even with long keyword lists).
pub const MAX_CONFIG_SIZE: u64 = 16 << 20;

/// A value with its position in the configuration file.
pub type Pos<T> = toml::Spanned<T>;

/// A configuration that cannot be used: each names the file and, where the
/// problem has a place in it, the 1-based line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read: missing, not a regular file, over
    /// [`MAX_CONFIG_SIZE`], not UTF-8.
    #[error("{file}: cannot read: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why (part of the message, so not an error `source` to print
        /// again after it).
        reason: crate::files::ReadError,
    },
    /// Not TOML, or not the configuration's schema (an unknown key, a value
    /// of the wrong type).
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// Where.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A value is invalid: a glob or regex that does not compile, a size or
    /// format keyscan does not know.
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// Where.
        line: usize,
        /// The setting (`allowlist`, `rules.<id>.allowlist`,
        /// `options.format`...).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A custom rule does not compile, or fails its own examples.
    #[error("{file}:{line}: rule `{id}`: {message}")]
    Rule {
        /// The file.
        file: String,
        /// Where the rule starts.
        line: usize,
        /// The rule's id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// A setting names a rule that does not exist (or a custom rule's id is
    /// taken).
    #[error("{file}:{line}: {key}: {message}")]
    UnknownRule {
        /// The file.
        file: String,
        /// Where.
        line: usize,
        /// The setting (`disable`, `rules.<id>`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// An allowlist as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Path globs (relative to the scanned root).
    #[serde(default)]
    pub paths: Vec<Pos<String>>,
    /// Regexes matched against the secret.
    #[serde(default)]
    pub regexes: Vec<Pos<String>>,
    /// Words that, found in the secret (case-insensitively), allow it.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Regexes matched against the path (as gitleaks' `paths` are).
    #[serde(default)]
    pub path_regexes: Vec<Pos<String>>,
    /// Commits whose findings are allowed (history scans; full or
    /// abbreviated ids).
    #[serde(default)]
    pub commits: Vec<String>,
}

/// Per-rule settings: `[rules.<id>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Turn the rule off.
    #[serde(default)]
    pub disabled: bool,
    /// Override the rule's entropy floor.
    pub min_entropy: Option<Pos<f64>>,
    /// The rule's own allowlist.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
}

/// Default options: `[options]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsSpec {
    /// Output format (`text`, `json`, `jsonl`, ...).
    pub format: Option<Pos<String>>,
    /// Lowest severity that fails the run.
    pub fail_on: Option<Severity>,
    /// Lowest confidence reported.
    pub min_confidence: Option<crate::rules::Confidence>,
    /// Report encrypted private keys (rule `private-key-encrypted`).
    pub include_encrypted_keys: Option<bool>,
    /// Size cap: bytes, or a string such as `"10MiB"`.
    pub max_file_size: Option<Pos<toml::Value>>,
}

/// The whole file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Rule ids to turn off.
    #[serde(default)]
    pub disable: Vec<Pos<String>>,
    /// The global allowlist.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    /// Per-rule settings, by rule id.
    #[serde(default)]
    pub rules: BTreeMap<String, Pos<RuleSettings>>,
    /// Custom rules, same schema as the files under `rules/`.
    #[serde(default, rename = "rule")]
    pub custom_rules: Vec<Pos<RuleSpec>>,
    /// Default options.
    #[serde(default)]
    pub options: OptionsSpec,
}

/// A loaded, validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it came from (None: built-in defaults).
    pub path: Option<PathBuf>,
    /// Global allowlist.
    pub allowlist: Allowlist,
    /// Per-rule allowlists by rule id.
    pub rule_allowlists: BTreeMap<String, Allowlist>,
    /// Default options.
    pub options: OptionsSpec,
    /// Parsed max file size.
    pub max_file_size: Option<u64>,
    /// Things the file asked for that keyscan cannot do (gitleaks fields).
    pub warnings: Vec<String>,
    /// Whether the file is in gitleaks' format (translated).
    pub from_gitleaks: bool,
    /// The directory of a file found at the scanned root, as report paths
    /// spell it (`sub/`; empty at the repository root): allowlist paths are
    /// relative to it.
    pub path_prefix: String,
    /// Where the file was found, as the user would name it.
    shown_path: Option<PathBuf>,
    /// The custom rules, compiled (and their examples checked) once, when
    /// the file loads.
    custom: Vec<(usize, Rule)>,
    file: ConfigFile,
    /// The name errors give the file.
    name: String,
    /// Line starts, to turn spans into lines.
    lines: Vec<usize>,
}

/// Byte offsets where the lines of `text` start.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// 1-based line of byte `offset`.
fn line_at(lines: &[usize], offset: usize) -> usize {
    lines.partition_point(|&s| s <= offset).max(1)
}

impl Config {
    /// Parse and validate configuration text; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
        let lines = line_starts(text);
        let line = |span: std::ops::Range<usize>| line_at(&lines, span.start);
        let (file, warnings) = if gitleaks::looks_like_gitleaks(text) {
            gitleaks::convert(name, text)?
        } else {
            let file = toml::from_str::<ConfigFile>(text).map_err(|e| ConfigError::Syntax {
                file: name.to_string(),
                line: e.span().map_or(1, &line),
                message: crate::text::one_line(e.message()),
            })?;
            (file, Vec::new())
        };
        let invalid =
            |span: std::ops::Range<usize>, key: String, message: String| ConfigError::Invalid {
                file: name.to_string(),
                line: line(span),
                key,
                message,
            };
        let allowlist = compile_allowlist(&file.allowlist)
            .map_err(|(span, m)| invalid(span, "allowlist".into(), m))?;
        let mut rule_allowlists = BTreeMap::new();
        for (id, settings) in &file.rules {
            let a = compile_allowlist(&settings.get_ref().allowlist)
                .map_err(|(span, m)| invalid(span, format!("rules.{id}.allowlist"), m))?;
            rule_allowlists.insert(id.clone(), a);
            if let Some(e) = &settings.get_ref().min_entropy {
                if !(0.0..=8.0).contains(e.get_ref()) {
                    return Err(invalid(
                        e.span(),
                        format!("rules.{id}.min_entropy"),
                        format!("{} is outside 0..8", e.get_ref()),
                    ));
                }
            }
        }
        let max_file_size = match &file.options.max_file_size {
            None => None,
            Some(v) => {
                let key = || "options.max_file_size".to_string();
                match v.get_ref() {
                    toml::Value::Integer(n) if *n >= 0 => Some(*n as u64),
                    toml::Value::String(s) => {
                        Some(parse_size(s).map_err(|m| invalid(v.span(), key(), m.to_string()))?)
                    }
                    other => {
                        return Err(invalid(
                            v.span(),
                            key(),
                            format!("expected a size such as 10MiB, found {other}"),
                        ))
                    }
                }
            }
        };
        if let Some(f) = &file.options.format {
            if !matches!(
                f.get_ref().as_str(),
                "text" | "json" | "jsonl" | "sarif" | "gitlab" | "junit" | "csv" | "html"
            ) {
                return Err(invalid(
                    f.span(),
                    "options.format".into(),
                    format!("unknown format {:?}", f.get_ref()),
                ));
            }
        }
        // Custom rules are compiled and checked against their own examples
        // once, now, so a broken rule is reported at load time, not as a
        // silent miss.
        let mut custom = Vec::new();
        for spec in &file.custom_rules {
            let at = line(spec.span());
            let rule_error = |message: String| ConfigError::Rule {
                file: name.to_string(),
                line: at,
                id: spec.get_ref().id.clone(),
                message,
            };
            if spec.get_ref().verify.is_some() {
                // A configuration (which a scanned repository may ship)
                // must not choose where secrets are sent.
                return Err(rule_error(
                    "`verify` is for built-in rules only: a configuration cannot send secrets anywhere"
                        .into(),
                ));
            }
            let rule = Rule::compile(spec.get_ref().clone(), name).map_err(|e| match e {
                crate::rules::RuleError::Invalid { message, .. } => rule_error(message),
                other => rule_error(other.to_string()),
            })?;
            let s = spec.get_ref();
            if !s.examples.is_empty() || !s.negatives.is_empty() {
                crate::detect::examples::check_rule(&rule)
                    .map_err(|e| rule_error(e.to_string()))?;
            }
            custom.push((at, rule));
        }
        Ok(Config {
            path: None,
            allowlist,
            rule_allowlists,
            options: file.options.clone(),
            max_file_size,
            from_gitleaks: gitleaks::looks_like_gitleaks(text),
            path_prefix: String::new(),
            warnings,
            shown_path: None,
            custom,
            file,
            name: name.to_string(),
            lines,
        })
    }

    /// Load `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text =
            crate::files::read_regular_to_string(path, MAX_CONFIG_SIZE, "a configuration file")
                .map_err(|reason| ConfigError::Read {
                    file: name.clone(),
                    reason,
                })?;
        let mut c = Config::parse(&name, &text)?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    /// Find `.keyscan.toml` at `root` (a directory) and load it if present;
    /// without one, gitleaks' `.gitleaks.toml` (translated: see
    /// [`gitleaks`]). Something there that is not a regular file (a FIFO, a
    /// link to a device) is an error, as it is for `--config`, not a file
    /// to skip.
    pub fn discover(root: &Path) -> Result<Option<Config>, ConfigError> {
        for name in [FILE_NAME, GITLEAKS_FILE_NAME] {
            let p = root.join(name);
            if std::fs::metadata(&p).is_ok() {
                let mut c = Config::load(&p)?;
                // Shown paths are relative to the root.
                c.path = Some(PathBuf::from(name));
                c.shown_path = Some(p);
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The configuration file's path as given (for messages).
    pub fn display_path(&self) -> Option<&Path> {
        self.shown_path.as_deref().or(self.path.as_deref())
    }

    /// Apply the configuration to a rule set: disable rules, add custom
    /// rules (compiled when the file loaded), override entropy floors.
    /// Unknown rule ids are errors.
    pub fn apply(&self, rules: &mut RuleSet) -> Result<(), ConfigError> {
        let name = self
            .display_path()
            .map_or_else(|| self.name.clone(), |p| p.display().to_string());
        let unknown = |line: usize, key: String, message: String| ConfigError::UnknownRule {
            file: name.clone(),
            line,
            key,
            message,
        };
        for (line, rule) in &self.custom {
            let id = rule.id().to_string();
            rules.push(rule.clone()).map_err(|_| {
                unknown(
                    *line,
                    format!("rule `{id}`"),
                    "a rule has this id already".into(),
                )
            })?;
        }
        let mut disabled: Vec<String> = Vec::new();
        for (id, s) in &self.file.rules {
            if rules.get(id).is_none() {
                return Err(unknown(
                    line_at(&self.lines, s.span().start),
                    format!("rules.{id}"),
                    "no rule has this id".into(),
                ));
            }
            if s.get_ref().disabled {
                disabled.push(id.clone());
            }
        }
        for d in &self.file.disable {
            if rules.get(d.get_ref()).is_none() {
                return Err(unknown(
                    line_at(&self.lines, d.span().start),
                    "disable".into(),
                    format!("no rule has the id {:?}", d.get_ref()),
                ));
            }
            disabled.push(d.get_ref().clone());
        }
        for r in rules.rules_mut() {
            let floor = self
                .file
                .rules
                .get(r.id())
                .and_then(|s| s.get_ref().min_entropy.as_ref());
            if let Some(e) = floor {
                r.spec.min_entropy = Some(*e.get_ref());
            }
        }
        rules.disable(&disabled);
        Ok(())
    }

    /// The allowlists of the filter stage: the global one, each rule's, and
    /// this file itself (its custom rules' examples are secret-shaped by
    /// design, so it is never scanned).
    pub fn allowlists(&self) -> Allowlists {
        Allowlists {
            global: self.allowlist.clone(),
            by_rule: self.rule_allowlists.clone(),
            own_file: self
                .path
                .as_ref()
                .map(|p| p.to_string_lossy().trim_start_matches("./").to_string()),
            prefix: self.path_prefix.clone(),
        }
    }
}

/// Compile an allowlist; an error gives the span of the entry at fault.
fn compile_allowlist(a: &AllowlistSpec) -> Result<Allowlist, (std::ops::Range<usize>, String)> {
    // Compile entry by entry so an error can point at the entry's line.
    for p in &a.paths {
        Allowlist::new(std::slice::from_ref(p.get_ref()), &[], &[])
            .map_err(|e| (p.span(), e.to_string()))?;
    }
    for r in a.regexes.iter().chain(&a.path_regexes) {
        Allowlist::new(&[], std::slice::from_ref(r.get_ref()), &[])
            .map_err(|e| (r.span(), e.to_string()))?;
    }
    let values = |v: &[Pos<String>]| v.iter().map(|x| x.get_ref().clone()).collect::<Vec<_>>();
    Allowlist::new(&values(&a.paths), &values(&a.regexes), &a.stopwords)
        .and_then(|l| l.with_path_regexes(&values(&a.path_regexes)))
        .map(|l| l.with_commits(&a.commits))
        .map_err(|e| (0..0, e.to_string()))
}

/// A size keyscan cannot read.
#[derive(Debug, thiserror::Error)]
pub enum SizeError {
    /// Not a number followed by a unit.
    #[error("invalid size {0:?} (expected e.g. 25MiB)")]
    Number(String),
    /// A unit other than B, K, M, G (and their KB/KiB forms).
    #[error("invalid size unit in {0:?} (use K, M or G)")]
    Unit(String),
    /// More than 2^64 bytes.
    #[error("size {0:?} is too large")]
    TooLarge(String),
}

/// Parse a size such as `25MiB`, `10MB`, `512k`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, SizeError> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| SizeError::Number(s.to_string()))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(SizeError::Unit(s.to_string())),
    };
    n.checked_mul(mult)
        .ok_or_else(|| SizeError::TooLarge(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("25MiB").unwrap(), 25 << 20);
        assert_eq!(parse_size("512k").unwrap(), 512 << 10);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = Config::parse(".keyscan.toml", "[allowlist]\npaths = []\nbogus = 1\n").unwrap_err();
        let m = e.to_string();
        assert!(m.starts_with(".keyscan.toml:3: "), "{m}");
        assert!(m.contains("bogus"), "{m}");
    }

    #[test]
    fn invalid_regex_names_line() {
        let e = Config::parse("c.toml", "[allowlist]\n\nregexes = ['(']\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.toml:3: allowlist: invalid regex"),
            "{e}"
        );
    }

    #[test]
    fn errors_are_typed_with_file_line_and_rule() {
        // The entry at fault, not the first line that mentions it.
        let text = "[allowlist]\npaths = [\n  'ok',\n  'a[',\n]\n";
        match Config::parse("c.toml", text).unwrap_err() {
            ConfigError::Invalid {
                file, line, key, ..
            } => assert_eq!(
                (file.as_str(), line, key.as_str()),
                ("c.toml", 4, "allowlist")
            ),
            e => panic!("{e}"),
        }
        let rule = "\n\n[[rule]]\nid = \"my-rule\"\nname = \"M\"\nprovider = \"P\"\n\
                    severity = \"low\"\nkeywords = [\"abc\"]\nregex = 'abc(['\n\
                    remediation = \"https://x.invalid\"\n";
        match Config::parse("c.toml", rule).unwrap_err() {
            ConfigError::Rule {
                line, id, message, ..
            } => {
                assert_eq!((line, id.as_str()), (3, "my-rule"));
                assert!(message.starts_with("invalid regex"), "{message}");
            }
            e => panic!("{e}"),
        }
        let mut rules = RuleSet::builtin().unwrap();
        let c = Config::parse("c.toml", "\n[rules.nope]\ndisabled = true\n").unwrap();
        match c.apply(&mut rules).unwrap_err() {
            ConfigError::UnknownRule { line, key, .. } => {
                assert_eq!((line, key.as_str()), (2, "rules.nope"))
            }
            e => panic!("{e}"),
        }
    }
}
