//! The rule pack's recall and precision on the labelled evaluation corpus
//! (`examples/eval/corpus.rs`): both must be at least 99%.
//! `cargo run --release --example eval` prints the per-provider table.

#[path = "../../examples/eval/corpus.rs"]
mod corpus;

/// Same seed as `examples/eval/main.rs`.
const SEED: u64 = 20_250_701;

#[test]
fn corpus_is_large_enough() {
    let c = corpus::generate(SEED);
    assert!(c.labels.len() >= 300, "{} labelled keys", c.labels.len());
    assert!(
        c.negative_count() >= 500,
        "{} hard negatives",
        c.negative_count()
    );
    for l in &c.labels {
        let (_, text) = c.files.iter().find(|(p, _)| p == &l.path).unwrap();
        assert!(
            text.contains(&corpus::in_file(&l.path, &l.secret)),
            "{}: label not in file",
            l.path
        );
    }
}

#[test]
fn generation_is_deterministic() {
    let a = corpus::generate(SEED);
    let b = corpus::generate(SEED);
    assert_eq!(a.files, b.files);
}

#[test]
fn recall_and_precision_are_at_least_99_percent() {
    let c = corpus::generate(SEED);
    let e = corpus::evaluate(&c);
    let report = || {
        let mut s = String::new();
        for m in &e.misses {
            s.push_str(&format!("MISS {} [{}] {}\n", m.path, m.provider, m.secret));
        }
        for (p, r, sec) in &e.false_positives {
            s.push_str(&format!("FP   {p} [{r}] {sec}\n"));
        }
        s
    };
    assert!(
        e.total.recall() >= 0.99,
        "recall {:.4}\n{}",
        e.total.recall(),
        report()
    );
    assert!(
        e.total.precision() >= 0.99,
        "precision {:.4}\n{}",
        e.total.precision(),
        report()
    );
    // The tokens whose checksum the corpus breaks are reported as samples
    // (low confidence, a note), never as keys.
    assert!(!e.flagged_samples.is_empty());
    for (p, r, sec) in &e.flagged_samples {
        assert!(
            r == "github-classic-token" || r == "npm-access-token",
            "{p} [{r}] {sec}"
        );
    }
}
