//! Every rule's own examples, run through the real detector with the whole
//! built-in rule pack loaded (so a rule that another rule shadows fails too).

use keyscan::detect::Detector;
use keyscan::rules::{examples, RuleSet};

#[test]
fn every_rule_example_holds() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
    let det = Detector::new(rules.clone()).unwrap();
    let mut failures = Vec::new();
    for rule in rules.rules() {
        if let Err(e) = examples::check_examples(&det, rule) {
            failures.push(format!("{}: rule `{}`: {e}", rule.source, rule.id()));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_is_documented_and_has_examples() {
    let rules = RuleSet::builtin().unwrap();
    for rule in rules.rules() {
        let s = &rule.spec;
        assert!(
            s.remediation.starts_with("https://"),
            "{}: remediation must be a URL",
            s.id
        );
        assert!(!s.examples.is_empty(), "{}: needs positive examples", s.id);
        assert!(!s.negatives.is_empty(), "{}: needs negative examples", s.id);
    }
}

#[test]
fn rule_ids_are_unique_across_files() {
    // RuleSet::builtin() rejects duplicates; make sure every file contributed.
    let rules = RuleSet::builtin().unwrap();
    for (name, _) in RuleSet::builtin_files() {
        assert!(
            rules.rules().iter().any(|r| &r.source == name),
            "{name} defines no rule"
        );
    }
}

#[test]
fn every_builtin_regex_compiles_within_the_size_cap() {
    // Built-in rules compile lazily at scan time; make sure each one can.
    let rules = RuleSet::builtin().unwrap();
    for rule in rules.rules() {
        if let Err(e) = keyscan::rules::Rule::compile(rule.spec.clone(), &rule.source) {
            panic!("{e}");
        }
    }
}
