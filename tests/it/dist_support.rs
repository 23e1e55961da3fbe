//! What the distribution tests (dist.rs, and the wheel test in its own
//! target, tests/wheel.rs) share: the Action's installer run with a fake
//! runner's environment.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::root;

/// The crate's version, as release archives and wheels name it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs scripts/action/install.sh as the Action does on a Linux x64 runner;
/// returns the process output and what it wrote to GITHUB_OUTPUT.
pub fn install(dest: &Path, env: &[(&str, &str)]) -> (Output, BTreeMap<String, String>) {
    let outputs = dest.with_extension("outputs");
    let _ = std::fs::remove_file(&outputs);
    let mut c = Command::new("bash");
    c.arg(root().join("scripts/action/install.sh"))
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("KEYSCAN_VERSION", VERSION)
        .env("KEYSCAN_DEST", dest)
        .env("GITHUB_OUTPUT", &outputs)
        .env_remove("GITHUB_ACTION_REF")
        .env_remove("KEYSCAN_PIP_ARGS");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("bash");
    let vars = std::fs::read_to_string(&outputs)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (out, vars)
}
