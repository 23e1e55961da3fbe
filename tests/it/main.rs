//! keyscan's integration tests, in one test binary: each module is the
//! tests of one area (the CLI, sources, history, suppression, SARIF,
//! hostile input, ...), and `common` holds the helpers they share (a temp
//! tree, a git repository, a scan to JSON, the built-in engine).

mod common;
mod confidence;

mod agent_hooks;
mod architecture;
mod ci;
mod cli;
mod deploy;
mod dist;
mod dist_support;
mod engine;
mod eval;
mod gitleaks;
mod history;
mod hostile;
mod large;
mod merge;
mod parts;
mod props;
mod redaction;
mod reports;
mod repos;
mod robust_hardening;
mod robust_history;
mod robust_scan;
mod robust_walk;
mod rules;
mod sarif;
mod snapshots;
mod sources;
mod structured;
mod suppression;
mod verify;
