//! Reads gitleaks / betterleaks configuration files (`.gitleaks.toml`), so
//! teams can bring their custom rules and allowlists with them.
//!
//! Translated: `[[rules]]` (`id`, `description`, `regex`, `secretGroup`,
//! `entropy`, `keywords`, `tags`, rule allowlists), the global `[allowlist]`
//! / `[[allowlists]]` (`paths` as path regexes, `regexes`, `stopwords`) and
//! `[extend] disabledRules` for ids keyscan also has. Everything else is
//! reported as a warning that names the field and what keyscan does instead.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{AllowlistSpec, ConfigError, ConfigFile, Pos, RuleSettings};
use crate::rules::{RuleSet, RuleSpec, Severity};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlConfig {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    extend: Option<GlExtend>,
    #[serde(default)]
    rules: Vec<Pos<GlRule>>,
    #[serde(default)]
    allowlist: Option<GlAllowlist>,
    #[serde(default)]
    allowlists: Vec<GlAllowlist>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlExtend {
    #[serde(default)]
    use_default: Option<bool>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<Pos<String>>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlRule {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<GlAllowlist>,
    #[serde(default)]
    allowlists: Vec<GlAllowlist>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GlAllowlist {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    paths: Vec<Pos<String>>,
    #[serde(default)]
    regexes: Vec<Pos<String>>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    target_rules: Vec<String>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

/// Whether `text` is a gitleaks-format file rather than a keyscan one:
/// gitleaks has `[[rules]]` arrays, `[extend]`, `title` or `[[allowlists]]`,
/// none of which keyscan's format uses.
pub fn looks_like_gitleaks(text: &str) -> bool {
    let Ok(v) = text.parse::<toml::Table>() else {
        return false;
    };
    v.get("rules").is_some_and(|r| r.is_array())
        || v.contains_key("extend")
        || v.contains_key("title")
        || v.get("allowlists").is_some_and(|a| a.is_array())
        || v.get("allowlist")
            .and_then(|a| a.as_table())
            .is_some_and(|t| t.contains_key("commits") || t.contains_key("regexTarget"))
}

/// A kebab-case keyscan id for a gitleaks id.
fn kebab(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.len() < 3 {
        format!("gitleaks-{out}")
    } else {
        out
    }
}

fn unknown_fields(what: &str, other: &BTreeMap<String, toml::Value>, warnings: &mut Vec<String>) {
    for k in other.keys() {
        warnings.push(format!(
            "{what}: field `{k}` is not supported and is ignored"
        ));
    }
}

/// Translate one allowlist, warning about what does not carry over.
fn allowlist(what: &str, a: &GlAllowlist, warnings: &mut Vec<String>) -> AllowlistSpec {
    unknown_fields(what, &a.other, warnings);
    let _ = &a.description;
    match a.regex_target.as_deref() {
        None | Some("secret") => {}
        Some(t) => warnings.push(format!(
            "{what}: regexTarget = {t:?} is not supported; the regexes are matched against the secret"
        )),
    }
    if a.condition
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("and"))
    {
        warnings.push(format!(
            "{what}: condition = \"AND\" is not supported; each entry allows on its own (OR)"
        ));
    }
    if !a.target_rules.is_empty() {
        warnings.push(format!(
            "{what}: `targetRules` is not supported; the allowlist applies to every rule"
        ));
    }
    AllowlistSpec {
        paths: Vec::new(),
        path_regexes: a.paths.clone(),
        regexes: a.regexes.clone(),
        stopwords: a.stopwords.clone(),
        commits: a.commits.clone(),
    }
}

fn merge(into: &mut AllowlistSpec, from: AllowlistSpec) {
    into.paths.extend(from.paths);
    into.path_regexes.extend(from.path_regexes);
    into.regexes.extend(from.regexes);
    into.stopwords.extend(from.stopwords);
    into.commits.extend(from.commits);
}

/// Translate gitleaks configuration text into keyscan's form, with one
/// warning per field that keyscan cannot honour.
pub fn convert(name: &str, text: &str) -> Result<(ConfigFile, Vec<String>), ConfigError> {
    let lines = super::line_starts(text);
    let gl: GlConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        file: name.to_string(),
        line: e.span().map_or(1, |s| super::line_at(&lines, s.start)),
        message: crate::text::one_line(e.message()),
    })?;
    let mut warnings = Vec::new();
    let _ = (&gl.title, &gl.description);
    unknown_fields("top level", &gl.other, &mut warnings);
    let builtin = RuleSet::builtin().map_err(|e| ConfigError::Invalid {
        file: name.to_string(),
        line: 1,
        key: "built-in rules".into(),
        message: e.to_string(),
    })?;
    let mut file = ConfigFile::default();

    if let Some(ext) = &gl.extend {
        unknown_fields("[extend]", &ext.other, &mut warnings);
        if ext.use_default == Some(false) {
            warnings.push(
                "[extend] useDefault = false: keyscan's built-in rules stay on (disable them \
                 by id with `disable` in .keyscan.toml)"
                    .into(),
            );
        }
        if ext.path.is_some() || ext.url.is_some() {
            warnings.push("[extend] path/url: extending another file is not supported".into());
        }
        for id in &ext.disabled_rules {
            if builtin.get(id.get_ref()).is_some() {
                file.disable.push(id.clone());
            } else {
                warnings.push(format!(
                    "[extend] disabledRules: keyscan has no rule `{id}`; nothing to disable"
                ));
            }
        }
    }

    let mut global = AllowlistSpec::default();
    if let Some(a) = &gl.allowlist {
        merge(&mut global, allowlist("[allowlist]", a, &mut warnings));
    }
    for a in &gl.allowlists {
        merge(&mut global, allowlist("[[allowlists]]", a, &mut warnings));
    }
    file.allowlist = global;

    let mut seen = Vec::new();
    for spanned in &gl.rules {
        let r = spanned.get_ref();
        let what = format!("rule `{}`", r.id);
        unknown_fields(&what, &r.other, &mut warnings);
        let Some(regex) = &r.regex else {
            warnings.push(format!(
                "{what}: rules without `regex` (path-only rules) are not supported; skipped"
            ));
            continue;
        };
        let mut id = kebab(&r.id);
        if builtin.get(&id).is_some() || seen.contains(&id) {
            id = format!("custom-{id}");
        }
        seen.push(id.clone());
        if r.path.is_some() {
            warnings.push(format!(
                "{what}: `path` is not supported; the rule applies to every file"
            ));
        }
        if r.keywords.is_empty() {
            warnings.push(format!(
                "{what}: no `keywords`, so keyscan runs its regex on every file (slower)"
            ));
        }
        let mut rule_allow = AllowlistSpec::default();
        if let Some(a) = &r.allowlist {
            merge(
                &mut rule_allow,
                allowlist(&format!("{what} allowlist"), a, &mut warnings),
            );
        }
        for a in &r.allowlists {
            merge(
                &mut rule_allow,
                allowlist(&format!("{what} allowlists"), a, &mut warnings),
            );
        }
        if !(rule_allow.path_regexes.is_empty()
            && rule_allow.regexes.is_empty()
            && rule_allow.stopwords.is_empty()
            && rule_allow.commits.is_empty())
        {
            file.rules.insert(
                id.clone(),
                Pos::new(
                    spanned.span(),
                    RuleSettings {
                        disabled: false,
                        min_entropy: None,
                        allowlist: rule_allow,
                    },
                ),
            );
        }
        let provider = r
            .tags
            .first()
            .cloned()
            .unwrap_or_else(|| "Custom".to_string());
        let spec = RuleSpec {
            id,
            name: r.description.clone().unwrap_or_else(|| r.id.clone()),
            provider,
            severity: Severity::High,
            confidence: None,
            keywords: r.keywords.iter().map(|k| k.to_lowercase()).collect(),
            regex: regex.clone(),
            secret_group: Some(r.secret_group.unwrap_or(0)).map(|g| {
                // gitleaks: 0 means "the first group if there is one".
                if g == 0 {
                    usize::from(regex_has_group(regex))
                } else {
                    g
                }
            }),
            min_entropy: r.entropy,
            check: None,
            on_check_failure: None,
            requirements: Default::default(),
            variable: Default::default(),
            generic: false,
            remediation: format!(
                "Revoke and rotate the secret (custom rule `{}` from {name})",
                r.id
            ),
            description: r.description.clone(),
            window_before: None,
            window_after: None,
            examples: Vec::new(),
            negatives: Vec::new(),
            handler: None,
            target: Default::default(),
            exclude: Vec::new(),
            note: None,
            verify: None,
        };
        file.custom_rules.push(Pos::new(spanned.span(), spec));
    }
    Ok((file, warnings))
}

/// Whether a regex has at least one capture group.
fn regex_has_group(re: &str) -> bool {
    regex::Regex::new(re).is_ok_and(|r| r.captures_len() > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(kebab("My_Rule.v2"), "my-rule-v2");
        assert_eq!(kebab("x"), "gitleaks-x");
    }

    #[test]
    fn detection() {
        assert!(looks_like_gitleaks("title = \"x\"\n"));
        assert!(looks_like_gitleaks(
            "[[rules]]\nid = \"a\"\nregex = \"b\"\n"
        ));
        assert!(!looks_like_gitleaks(
            "[allowlist]\npaths = []\n[rules.x]\ndisabled = true\n"
        ));
    }
}
