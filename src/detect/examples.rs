//! Runs a rule's own examples through the real detector: each positive
//! example must yield exactly one finding of the rule with exactly the
//! expected secret, each negative none. The same code backs the rule-pack
//! test and the loading of custom rules from configuration.

use super::{Detector, Scratch};
use crate::rules::{Rule, RuleSet};

/// Check one rule's examples with a detector holding only that rule.
pub fn check_rule(rule: &Rule) -> Result<(), String> {
    let set = RuleSet::from_rules(vec![rule.clone()]).map_err(|e| e.to_string())?;
    let det = Detector::new(set)?;
    check_examples(&det, rule)
}

/// Check `rule`'s examples against `det` (which should contain the rule and
/// may contain others, as in a real scan).
pub fn check_examples(det: &Detector, rule: &Rule) -> Result<(), String> {
    let id = rule.id();
    let idx = det
        .rules()
        .index_of(id)
        .ok_or_else(|| format!("rule `{id}` is not in the detector"))?;
    if rule.spec.examples.is_empty() {
        return Err("has no positive example".into());
    }
    if rule.spec.target == crate::rules::Target::Path {
        return check_path_examples(det, idx, rule);
    }
    let mut scratch = Scratch::default();
    for (i, ex) in rule.spec.examples.iter().enumerate() {
        if !rule
            .keywords
            .iter()
            .any(|k| ex.text.to_lowercase().contains(k.as_str()))
        {
            return Err(format!(
                "positive example {} contains none of the keywords {:?}, so the prefilter would hide it",
                i + 1,
                rule.keywords
            ));
        }
        let mut out = Vec::new();
        det.detect(ex.text.as_bytes(), &mut scratch, &mut out);
        let mine: Vec<_> = out.iter().filter(|m| m.rule == idx).collect();
        match mine.as_slice() {
            [m] => {
                let text = ex.text.as_bytes();
                let (s, e) = m.secret_span();
                let got = String::from_utf8_lossy(&text[s..e]);
                if got != ex.secret {
                    return Err(format!(
                        "positive example {} yields secret {:?}, expected {:?}",
                        i + 1,
                        got,
                        ex.secret
                    ));
                }
                let parts: std::collections::BTreeMap<String, String> = m
                    .parts
                    .iter()
                    .map(|p| {
                        let v = String::from_utf8_lossy(&text[p.start..p.end]).into_owned();
                        (p.name.to_string(), v)
                    })
                    .collect();
                if parts != ex.parts {
                    return Err(format!(
                        "positive example {} yields parts {parts:?}, expected {:?}",
                        i + 1,
                        ex.parts
                    ));
                }
            }
            [] => {
                let other: Vec<_> = out
                    .iter()
                    .map(|m| det.rules().rules()[m.rule].id().to_string())
                    .collect();
                return Err(format!(
                    "positive example {} yields no finding{}",
                    i + 1,
                    if other.is_empty() {
                        String::new()
                    } else {
                        format!(" (found by {other:?} instead)")
                    }
                ));
            }
            more => {
                return Err(format!(
                    "positive example {} yields {} findings, expected 1",
                    i + 1,
                    more.len()
                ))
            }
        }
    }
    for (i, neg) in rule.spec.negatives.iter().enumerate() {
        let mut out = Vec::new();
        det.detect(neg.as_bytes(), &mut scratch, &mut out);
        if let Some(m) = out.iter().find(|m| m.rule == idx) {
            return Err(format!(
                "negative example {} yields a finding: {:?}",
                i + 1,
                String::from_utf8_lossy(&neg.as_bytes()[m.start..m.end])
            ));
        }
    }
    Ok(())
}

/// The examples of a path rule are paths: each positive one must be a
/// finding whose secret is the expected one, each negative none.
fn check_path_examples(det: &Detector, idx: usize, rule: &Rule) -> Result<(), String> {
    for (i, ex) in rule.spec.examples.iter().enumerate() {
        let found: Vec<_> = det
            .detect_path(&ex.text)
            .into_iter()
            .filter(|m| m.0 == idx)
            .collect();
        match found.as_slice() {
            [(_, s, e)] if ex.text[*s..*e] == ex.secret => {}
            [(_, s, e)] => {
                return Err(format!(
                    "positive example {} yields secret {:?}, expected {:?}",
                    i + 1,
                    &ex.text[*s..*e],
                    ex.secret
                ))
            }
            _ => {
                return Err(format!(
                    "positive example {} ({:?}) is not a finding of this path rule",
                    i + 1,
                    ex.text
                ))
            }
        }
    }
    for (i, neg) in rule.spec.negatives.iter().enumerate() {
        if det.detect_path(neg).iter().any(|m| m.0 == idx) {
            return Err(format!("negative example {} ({neg:?}) is a finding", i + 1));
        }
    }
    Ok(())
}
