//! Per-provider recall and precision of the built-in rules on the labelled
//! evaluation corpus.
//!
//! ```text
//! cargo run --release --example eval [-- [--seed N] [--dump DIR] [--verbose]]
//! ```
//!
//! `--dump DIR` also writes the corpus files (and `labels.tsv`) to DIR, for
//! inspection; the files hold fake, secret-shaped text.

#[path = "corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;

/// The seed `tests/eval.rs` uses.
const DEFAULT_SEED: u64 = 20_250_701;

fn main() -> ExitCode {
    let mut seed = DEFAULT_SEED;
    let mut dump: Option<PathBuf> = None;
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).expect("--seed N"),
            "--dump" => dump = Some(args.next().expect("--dump DIR").into()),
            "--verbose" | "-v" => verbose = true,
            _ => {
                eprintln!("usage: eval [--seed N] [--dump DIR] [--verbose]");
                return ExitCode::from(2);
            }
        }
    }
    let corpus = corpus::generate(seed);
    if let Some(dir) = &dump {
        for (path, text) in &corpus.files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).expect("create dump dir");
            std::fs::write(&p, text).expect("write corpus file");
        }
        let mut tsv = String::from("path\tprovider\tsecret\n");
        for l in &corpus.labels {
            tsv.push_str(&format!(
                "{}\t{}\t{}\n",
                l.path,
                l.provider,
                l.secret.replace('\n', "\\n")
            ));
        }
        std::fs::write(dir.join("labels.tsv"), tsv).expect("write labels");
    }
    let eval = corpus::evaluate(&corpus);
    println!(
        "corpus seed {seed}: {} files, {} labelled keys, {} hard negatives",
        corpus.files.len(),
        corpus.labels.len(),
        corpus.negative_count()
    );
    println!();
    println!(
        "{:<22} {:>5} {:>6} {:>8} {:>9} {:>4} {:>10}",
        "provider", "keys", "found", "recall", "findings", "FP", "precision"
    );
    for (name, s) in &eval.providers {
        println!(
            "{:<22} {:>5} {:>6} {:>7.1}% {:>9} {:>4} {:>9.1}%",
            name,
            s.keys,
            s.found,
            100.0 * s.recall(),
            s.findings,
            s.false_positives,
            100.0 * s.precision()
        );
    }
    let t = &eval.total;
    println!(
        "{:<22} {:>5} {:>6} {:>7.2}% {:>9} {:>4} {:>9.2}%",
        "TOTAL",
        t.keys,
        t.found,
        100.0 * t.recall(),
        t.findings,
        t.false_positives,
        100.0 * t.precision()
    );
    println!(
        "\nattributed to the right provider: {} of {} found keys",
        t.attributed, t.found
    );
    println!("hard negatives by kind:");
    for (kind, n) in &corpus.negatives {
        println!("  {n:>4}  {kind}");
    }
    if verbose || !eval.misses.is_empty() || !eval.false_positives.is_empty() {
        for m in &eval.misses {
            println!("MISS {} [{}] {}", m.path, m.provider, m.secret);
        }
        for (path, rule, secret) in &eval.false_positives {
            println!("FP   {path} [{rule}] {secret}");
        }
    }
    if verbose {
        for (l, rules) in &eval.misattributed {
            println!(
                "MISATTRIBUTED {} [{}] found by {:?}",
                l.path, l.provider, rules
            );
        }
    }
    ExitCode::SUCCESS
}
