//! The rule-file parser on arbitrary text: parse, compile each rule (regex
//! size caps included), then run a compiled rule over its own examples with
//! the real detector. Nothing may panic.
#![no_main]

use keyscan::detect::Detector;
use keyscan::detect::examples;
use keyscan::rules::{parse_rule_file, Rule, RuleSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let specs = match parse_rule_file("fuzz.toml", text) {
        Ok(s) => s,
        Err(e) => {
            assert!(e.to_string().starts_with("fuzz.toml: "), "{e}");
            return;
        }
    };
    let mut compiled = Vec::new();
    for spec in specs {
        if let Ok(rule) = Rule::compile(spec, "fuzz.toml") {
            let _ = examples::check_rule(&rule);
            compiled.push(rule);
        }
    }
    if let Ok(set) = RuleSet::from_rules(compiled) {
        if let Ok(det) = Detector::new(set) {
            let mut scratch = Default::default();
            let mut out = Vec::new();
            det.detect(data, &mut scratch, &mut out);
        }
    }
});
