//! Runs a rule's own examples through the real detector: each positive
//! example must yield exactly one finding of the rule with exactly the
//! expected secret, each negative none. The same code backs the rule-pack
//! test and the loading of custom rules from configuration.

use super::{BuildError, Detector, Scratch};
use crate::rules::{Rule, RuleSet};

/// A rule whose examples do not hold.
#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    /// The rule has no positive example.
    #[error("has no positive example")]
    NoPositive,
    /// The rule is not in the detector the examples were run with.
    #[error("rule `{0}` is not in the detector")]
    NotInDetector(String),
    /// A detector holding the rule could not be built.
    #[error("{0}")]
    Build(String),
    /// A positive example holds none of the rule's keywords.
    #[error("positive example {example} contains none of the keywords {keywords:?}, so the prefilter would hide it")]
    NoKeyword {
        /// 1-based.
        example: usize,
        /// The rule's keywords.
        keywords: Vec<String>,
    },
    /// A positive example yields another secret.
    #[error("positive example {example} yields secret {got:?}, expected {expected:?}")]
    WrongSecret {
        /// 1-based.
        example: usize,
        /// What it yields.
        got: String,
        /// What the example says.
        expected: String,
    },
    /// A positive example yields other parts.
    #[error("positive example {example} yields parts {got:?}, expected {expected:?}")]
    WrongParts {
        /// 1-based.
        example: usize,
        /// What it yields.
        got: std::collections::BTreeMap<String, String>,
        /// What the example says.
        expected: std::collections::BTreeMap<String, String>,
    },
    /// A positive example yields no finding of the rule.
    #[error("positive example {example} yields no finding{}", found_by_others(.others))]
    NoFinding {
        /// 1-based.
        example: usize,
        /// The rules that found something there instead.
        others: Vec<String>,
    },
    /// A positive example yields several findings of the rule.
    #[error("positive example {example} yields {count} findings, expected 1")]
    Several {
        /// 1-based.
        example: usize,
        /// How many.
        count: usize,
    },
    /// A positive example yields a finding of another confidence.
    #[error("positive example {example} has confidence {got}, expected {expected}")]
    WrongConfidence {
        /// 1-based.
        example: usize,
        /// What it has.
        got: crate::rules::Confidence,
        /// What the example says.
        expected: crate::rules::Confidence,
    },
    /// A negative example yields a finding.
    #[error("negative example {example} yields a finding: {secret:?}")]
    NegativeFound {
        /// 1-based.
        example: usize,
        /// The secret found.
        secret: String,
    },
}

fn found_by_others(others: &[String]) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!(" (found by {others:?} instead)")
    }
}

impl From<BuildError> for ExampleError {
    fn from(e: BuildError) -> ExampleError {
        ExampleError::Build(e.to_string())
    }
}

/// Check one rule's examples with a detector holding only that rule.
pub fn check_rule(rule: &Rule) -> Result<(), ExampleError> {
    let set =
        RuleSet::from_rules(vec![rule.clone()]).map_err(|e| ExampleError::Build(e.to_string()))?;
    let det = Detector::new(set)?;
    check_examples(&det, rule)
}

/// Check `rule`'s examples against `det` (which should contain the rule and
/// may contain others, as in a real scan).
pub fn check_examples(det: &Detector, rule: &Rule) -> Result<(), ExampleError> {
    let id = rule.id();
    let idx = det
        .rules()
        .index_of(id)
        .ok_or_else(|| ExampleError::NotInDetector(id.to_string()))?;
    if rule.spec.examples.is_empty() {
        return Err(ExampleError::NoPositive);
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
            return Err(ExampleError::NoKeyword {
                example: i + 1,
                keywords: rule.keywords.clone(),
            });
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
                    return Err(ExampleError::WrongSecret {
                        example: i + 1,
                        got: got.into_owned(),
                        expected: ex.secret.clone(),
                    });
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
                    return Err(ExampleError::WrongParts {
                        example: i + 1,
                        got: parts,
                        expected: ex.parts.clone(),
                    });
                }
                let got = m.verdict.confidence.unwrap_or_else(|| rule.confidence());
                if got != ex.confidence.unwrap_or_else(|| rule.confidence()) {
                    return Err(ExampleError::WrongConfidence {
                        example: i + 1,
                        got,
                        expected: ex.confidence.unwrap_or_else(|| rule.confidence()),
                    });
                }
            }
            [] => {
                let others = out
                    .iter()
                    .map(|m| det.rules().rules()[m.rule].id().to_string())
                    .collect();
                return Err(ExampleError::NoFinding {
                    example: i + 1,
                    others,
                });
            }
            more => {
                return Err(ExampleError::Several {
                    example: i + 1,
                    count: more.len(),
                })
            }
        }
    }
    for (i, neg) in rule.spec.negatives.iter().enumerate() {
        let mut out = Vec::new();
        det.detect(neg.as_bytes(), &mut scratch, &mut out);
        if let Some(m) = out.iter().find(|m| m.rule == idx) {
            return Err(ExampleError::NegativeFound {
                example: i + 1,
                secret: String::from_utf8_lossy(&neg.as_bytes()[m.start..m.end]).into_owned(),
            });
        }
    }
    Ok(())
}

/// The examples of a path rule are paths: each positive one must be a
/// finding whose secret is the expected one, each negative none.
fn check_path_examples(det: &Detector, idx: usize, rule: &Rule) -> Result<(), ExampleError> {
    for (i, ex) in rule.spec.examples.iter().enumerate() {
        let found: Vec<_> = det
            .detect_path(&ex.text)
            .into_iter()
            .filter(|m| m.0 == idx)
            .collect();
        match found.as_slice() {
            [(_, s, e)] if ex.text[*s..*e] == ex.secret => {}
            [(_, s, e)] => {
                return Err(ExampleError::WrongSecret {
                    example: i + 1,
                    got: ex.text[*s..*e].to_string(),
                    expected: ex.secret.clone(),
                })
            }
            _ => {
                return Err(ExampleError::NoFinding {
                    example: i + 1,
                    others: Vec::new(),
                })
            }
        }
    }
    for (i, neg) in rule.spec.negatives.iter().enumerate() {
        if det.detect_path(neg).iter().any(|m| m.0 == idx) {
            return Err(ExampleError::NegativeFound {
                example: i + 1,
                secret: neg.clone(),
            });
        }
    }
    Ok(())
}
