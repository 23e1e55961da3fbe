//! keyscan: a fast secret-leak scanner for repositories.
//!
//! Data flows one way, each arrow a plain type: [`source`] (files, stdin,
//! the staged index, git history) yields [`source::Blob`]s → the driver,
//! [`scan`], asks [`expand`] for each blob's children (archive entries,
//! notebook cells, UTF-16 text, decoded values) → [`detect`] (the keyword
//! [`prefilter`], then the [`rules`]' regexes and checks) returns matches →
//! the driver records [`finding::Detection`]s and places them as
//! [`finding::Finding`]s → [`filter`] (the one suppression stage) →
//! [`verify`] (only with `--verify`: is the secret live?) → [`report`]. [`cli`] is the command line and the only module that
//! prints. `tests/it/architecture.rs` checks that no module imports a
//! later stage.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod agent;
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod cli;
pub mod config;
pub mod detect;
pub mod entropy;
pub mod expand;
pub mod files;
pub mod filter;
pub mod finding;
pub mod prefilter;
pub mod report;
pub mod rules;
pub mod scan;
mod simd;
pub mod source;
pub mod text;
pub mod verify;
