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

/// A configuration error, already formatted as `file:line: message`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// An allowlist as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Path globs (relative to the scanned root).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes matched against the secret.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Words that, found in the secret (case-insensitively), allow it.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Regexes matched against the path (as gitleaks' `paths` are).
    #[serde(default)]
    pub path_regexes: Vec<String>,
}

/// Per-rule settings: `[rules.<id>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Turn the rule off.
    #[serde(default)]
    pub disabled: bool,
    /// Override the rule's entropy floor.
    pub min_entropy: Option<f64>,
    /// The rule's own allowlist.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
}

/// Default options: `[options]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsSpec {
    /// Output format (`text`, `json`, `jsonl`, ...).
    pub format: Option<String>,
    /// Lowest severity that fails the run.
    pub fail_on: Option<Severity>,
    /// Size cap: bytes, or a string such as `"10MiB"`.
    pub max_file_size: Option<toml::Value>,
}

/// The whole file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Rule ids to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// The global allowlist.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
    /// Per-rule settings, by rule id.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSettings>,
    /// Custom rules, same schema as the files under `rules/`.
    #[serde(default, rename = "rule")]
    pub custom_rules: Vec<RuleSpec>,
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
    /// Where the file was found, as the user would name it.
    shown_path: Option<PathBuf>,
    file: ConfigFile,
}

/// 1-based line of byte `offset` in `text`.
fn line_of_offset(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// 1-based line where `needle` first appears (1 if it does not).
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(1, |o| line_of_offset(text, o))
}

impl Config {
    /// Parse and validate configuration text; `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
        let syntax = |e: toml::de::Error| {
            let line = e.span().map_or(1, |s| line_of_offset(text, s.start));
            let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
            ConfigError(format!("{name}:{line}: {msg}"))
        };
        let (file, warnings) = if gitleaks::looks_like_gitleaks(text) {
            gitleaks::convert(name, text)?
        } else {
            (
                toml::from_str::<ConfigFile>(text).map_err(syntax)?,
                Vec::new(),
            )
        };
        let err = |needle: &str, msg: String| {
            ConfigError(format!("{name}:{}: {msg}", line_of(text, needle)))
        };
        let allowlist = compile_allowlist(&file.allowlist)
            .map_err(|(needle, m)| err(&needle, format!("allowlist: {m}")))?;
        let mut rule_allowlists = BTreeMap::new();
        for (id, settings) in &file.rules {
            let a = compile_allowlist(&settings.allowlist)
                .map_err(|(needle, m)| err(&needle, format!("rules.{id}.allowlist: {m}")))?;
            rule_allowlists.insert(id.clone(), a);
            if let Some(e) = settings.min_entropy {
                if !(0.0..=8.0).contains(&e) {
                    return Err(err(
                        id,
                        format!("rules.{id}.min_entropy: {e} is outside 0..8"),
                    ));
                }
            }
        }
        let max_file_size = match &file.options.max_file_size {
            None => None,
            Some(toml::Value::Integer(n)) if *n >= 0 => Some(*n as u64),
            Some(toml::Value::String(s)) => Some(
                parse_size(s)
                    .map_err(|m| err("max_file_size", format!("options.max_file_size: {m}")))?,
            ),
            Some(other) => {
                return Err(err(
                    "max_file_size",
                    format!("options.max_file_size: expected a size such as 10MiB, found {other}"),
                ))
            }
        };
        if let Some(f) = &file.options.format {
            if !matches!(f.as_str(), "text" | "json" | "jsonl" | "sarif" | "gitlab") {
                return Err(err(
                    "format",
                    format!("options.format: unknown format {f:?}"),
                ));
            }
        }
        // Custom rules must compile and pass their own examples now, so a
        // broken rule is reported at load time, not as a silent miss.
        for spec in &file.custom_rules {
            let rule = Rule::compile(spec.clone(), name)
                .map_err(|e| err(&spec.id, strip_file(&e.to_string(), name)))?;
            let has_examples = !spec.examples.is_empty() || !spec.negatives.is_empty();
            if has_examples {
                if let Err(m) = crate::detect::examples::check_rule(&rule) {
                    return Err(err(&spec.id, format!("rule `{}`: {m}", spec.id)));
                }
            }
        }
        Ok(Config {
            path: None,
            allowlist,
            rule_allowlists,
            options: file.options.clone(),
            max_file_size,
            warnings,
            shown_path: None,
            file,
        })
    }

    /// Load `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{name}: cannot read: {e}")))?;
        let mut c = Config::parse(&name, &text)?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    /// Find `.keyscan.toml` at `root` (a directory) and load it if present.
    pub fn discover(root: &Path) -> Result<Option<Config>, ConfigError> {
        let p = root.join(FILE_NAME);
        if p.is_file() {
            let mut c = Config::load(&p)?;
            // Shown paths are relative to the root.
            c.path = Some(PathBuf::from(FILE_NAME));
            c.shown_path = Some(p);
            Ok(Some(c))
        } else {
            Ok(None)
        }
    }

    /// The configuration file's path as given (for messages).
    pub fn display_path(&self) -> Option<&Path> {
        self.shown_path.as_deref().or(self.path.as_deref())
    }

    /// Apply the configuration to a rule set: disable rules, add custom
    /// rules, override entropy floors. Unknown rule ids are errors.
    pub fn apply(&self, rules: &mut RuleSet) -> Result<(), ConfigError> {
        let name = self
            .display_path()
            .map_or_else(|| FILE_NAME.to_string(), |p| p.display().to_string());
        for spec in &self.file.custom_rules {
            let rule =
                Rule::compile(spec.clone(), &name).map_err(|e| ConfigError(e.to_string()))?;
            rules.push(rule).map_err(|e| ConfigError(e.to_string()))?;
        }
        let mut disabled: Vec<String> = self.file.disable.clone();
        for (id, s) in &self.file.rules {
            if rules.get(id).is_none() {
                return Err(ConfigError(format!(
                    "{name}: rules.{id}: no rule has this id"
                )));
            }
            if s.disabled {
                disabled.push(id.clone());
            }
        }
        for r in rules.rules_mut() {
            if let Some(e) = self.file.rules.get(r.id()).and_then(|s| s.min_entropy) {
                r.spec.min_entropy = Some(e);
            }
        }
        let unknown = rules.disable(&disabled);
        if let Some(id) = unknown.first() {
            return Err(ConfigError(format!(
                "{name}: disable: no rule has the id {id:?}"
            )));
        }
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
        }
    }
}

fn strip_file(msg: &str, name: &str) -> String {
    msg.strip_prefix(&format!("{name}: "))
        .unwrap_or(msg)
        .to_string()
}

fn compile_allowlist(a: &AllowlistSpec) -> Result<Allowlist, (String, String)> {
    // Compile entry by entry so an error can point at the entry's line.
    for p in &a.paths {
        Allowlist::new(std::slice::from_ref(p), &[], &[]).map_err(|m| (p.clone(), m))?;
    }
    for r in a.regexes.iter().chain(&a.path_regexes) {
        Allowlist::new(&[], std::slice::from_ref(r), &[]).map_err(|m| (r.clone(), m))?;
    }
    Allowlist::new(&a.paths, &a.regexes, &a.stopwords)
        .and_then(|l| l.with_path_regexes(&a.path_regexes))
        .map_err(|m| (String::new(), m))
}

/// Parse a size such as `25MiB`, `10MB`, `512k`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?} (expected e.g. 25MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("invalid size unit in {s:?} (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large"))
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
}
