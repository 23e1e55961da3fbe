//! keyscan: a fast secret-leak scanner for repositories.
//!
//! Data flows one way: [`source`] (files, stdin) → [`prefilter`] (one
//! Aho-Corasick automaton over every rule keyword) → [`detect`] (regex,
//! entropy and structural checks, near keyword hits only) → [`finding`] →
//! [`filter`] (allowlists, inline allow comments, de-duplication) →
//! [`report`] (text, JSON, JSON Lines). [`scan::Engine`] ties the stages
//! together; [`cli`] is the command line and the only module that prints.
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

#[allow(clippy::print_stdout, clippy::print_stderr)]
pub mod cli;
pub mod config;
pub mod detect;
pub mod entropy;
pub mod expand;
pub mod filter;
pub mod finding;
pub mod prefilter;
pub mod report;
pub mod rules;
pub mod scan;
mod simd;
pub mod source;
pub mod text;
