//! The configuration parser on arbitrary text: `Config::parse` returns a
//! value or an error, never panics; a configuration that parses is applied
//! to the built-in rule set (custom rules compile, ids resolve) without
//! panicking either.
#![no_main]

use std::sync::OnceLock;

use keyscan::config::Config;
use keyscan::rules::RuleSet;
use libfuzzer_sys::fuzz_target;

fn builtin() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(".keyscan.toml", text) {
        Ok(config) => {
            let mut rules = builtin().clone();
            let _ = config.apply(&mut rules);
            let allowlists = config.allowlists();
            let _ = allowlists.allows_path("github-pat", "src/main.rs");
            let _ = allowlists.allows_secret("github-pat", "not-a-secret");
        }
        Err(e) => {
            // Errors are one line that names the file.
            let m = e.to_string();
            assert!(m.starts_with(".keyscan.toml"), "{m}");
        }
    }
});
