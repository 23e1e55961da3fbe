//! `keyscan rules`: list the rules, or show one with its examples.

use std::io::{self, Write};

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::args::{RulesAction, RulesArgs, RulesFormat};
use crate::rules::{Rule, RuleSet};

#[derive(Serialize)]
struct RuleRow<'a> {
    id: &'a str,
    name: &'a str,
    provider: &'a str,
    severity: &'a str,
    confidence: &'a str,
    keywords: &'a [String],
    remediation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<String>,
}

fn row(r: &Rule) -> RuleRow<'_> {
    RuleRow {
        id: &r.spec.id,
        name: &r.spec.name,
        provider: &r.spec.provider,
        severity: r.spec.severity.as_str(),
        confidence: r.confidence().as_str(),
        keywords: &r.spec.keywords,
        remediation: &r.spec.remediation,
        check: r.spec.check.as_ref().map(|c| c.describe()),
    }
}

/// Run `keyscan rules`.
pub fn run(args: &RulesArgs) -> Result<u8> {
    let rules = RuleSet::builtin().map_err(|e| anyhow!("built-in rules: {e}"))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match &args.action {
        None => match args.format {
            RulesFormat::Json => {
                let rows: Vec<_> = rules.rules().iter().map(row).collect();
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            }
            RulesFormat::Text => {
                let w = rules
                    .rules()
                    .iter()
                    .map(|r| r.id().len())
                    .max()
                    .unwrap_or(2)
                    .max(2);
                let pw = rules
                    .rules()
                    .iter()
                    .map(|r| r.spec.provider.len())
                    .max()
                    .unwrap_or(8)
                    .max(8);
                writeln!(
                    out,
                    "{:w$}  {:pw$}  {:8}  {:10}  KEYWORDS",
                    "ID", "PROVIDER", "SEVERITY", "CONFIDENCE"
                )?;
                for r in rules.rules() {
                    writeln!(
                        out,
                        "{:w$}  {:pw$}  {:8}  {:10}  {}",
                        r.id(),
                        r.spec.provider,
                        r.spec.severity.as_str(),
                        r.confidence().as_str(),
                        r.spec.keywords.join(", ")
                    )?;
                }
                writeln!(out, "{} rules", rules.len())?;
            }
        },
        Some(RulesAction::Show { id }) => {
            let r = rules
                .get(id)
                .ok_or_else(|| anyhow!("no rule has the id {id:?} (see `keyscan rules`)"))?;
            match args.format {
                RulesFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &r.spec)?;
                    writeln!(out)?;
                }
                RulesFormat::Text => {
                    let s = &r.spec;
                    writeln!(out, "id:          {}", s.id)?;
                    writeln!(out, "name:        {}", s.name)?;
                    writeln!(out, "provider:    {}", s.provider)?;
                    writeln!(out, "severity:    {}", s.severity)?;
                    writeln!(out, "confidence:  {}", r.confidence())?;
                    writeln!(out, "keywords:    {}", s.keywords.join(", "))?;
                    writeln!(out, "regex:       {}", s.regex)?;
                    if let Some(e) = s.min_entropy {
                        writeln!(out, "min_entropy: {e}")?;
                    }
                    if let Some(c) = &s.check {
                        writeln!(out, "check:       {}", c.describe())?;
                    }
                    if s.target == crate::rules::Target::Path {
                        writeln!(out, "target:      paths of files git tracks or stages")?;
                    }
                    let req = &s.requirements;
                    let mut needs = Vec::new();
                    for (n, what) in [
                        (req.min_digits, "digits"),
                        (req.min_uppercase, "upper-case letters"),
                        (req.min_lowercase, "lower-case letters"),
                    ] {
                        if n > 0 {
                            needs.push(format!("at least {n} {what}"));
                        }
                    }
                    if !req.ignore_if_contains.is_empty() {
                        needs.push(format!("none of {:?}", req.ignore_if_contains));
                    }
                    if !req.file_extensions.is_empty() {
                        needs.push(format!(
                            "not a file name (.{})",
                            req.file_extensions.join(", .")
                        ));
                    }
                    if !req.trivial.is_empty() {
                        needs.push(format!("not one of {} trivial values", req.trivial.len()));
                    }
                    if !needs.is_empty() {
                        writeln!(out, "requires:    {}", needs.join("; "))?;
                    }
                    let var = &s.variable;
                    if !var.is_empty() {
                        writeln!(
                            out,
                            "variable:    not containing {}; not ending in {}",
                            var.deny.join(", "),
                            var.deny_last_word.join(", ")
                        )?;
                    }
                    for x in &s.exclude {
                        writeln!(out, "exclude:     {x}")?;
                    }
                    writeln!(out, "remediation: {}", s.remediation)?;
                    writeln!(out, "description: {}", r.description())?;
                    writeln!(out, "examples (found):")?;
                    for e in &s.examples {
                        writeln!(out, "  {}", e.text.replace('\n', "\\n"))?;
                    }
                    writeln!(out, "negatives (not found):")?;
                    for n in &s.negatives {
                        writeln!(out, "  {}", n.replace('\n', "\\n"))?;
                    }
                }
            }
        }
    }
    Ok(0)
}
