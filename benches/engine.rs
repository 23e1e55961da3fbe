//! Engine benchmarks on in-memory inputs (criterion; `cargo bench`).
//!
//! - `prefilter`: the keyword automaton alone;
//! - `detect/no_keyword`: source text without any rule keyword;
//! - `detect/dense_keywords`: the worst case, every line full of keywords
//!   (`sk-`, `token=`, `api_key`, ...) but no secret;
//! - `detect/with_secrets`: realistic text with a fake key every 4 KiB.
//!
//! All groups report throughput in bytes, so the dense/no-keyword ratio is
//! the per-byte cost of keyword hits.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use keyscan::detect::{Detector, Scratch};
use keyscan::rules::RuleSet;

const SIZE: usize = 4 * 1024 * 1024;

fn repeat_to(unit: &str, size: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(size + unit.len());
    while v.len() < size {
        v.extend_from_slice(unit.as_bytes());
    }
    v
}

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let plain = "fn compute(items: &[Item], index: usize) -> Result<Value, Error> {\n    \
                 let total = items.iter().map(|x| x.weight * 3).sum::<u64>();\n    \
                 // normalise the input before hashing it\n    Ok(Value::new(total, index))\n}\n";
    let dense =
        "task-sk- token=abc api_key=xyz secret: ok; tokenizer.tokens sk-proj- ghp_ AIza hf_ \
                 password= test_case dev_mode prod_env PRIVATE KEY----- credential auth_key\n";
    // A fake, format-valid GitHub token (random body, valid CRC32).
    let secret_line = "GITHUB_TOKEN=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\n";
    let mut with_secrets = Vec::with_capacity(SIZE);
    while with_secrets.len() < SIZE {
        with_secrets.extend(repeat_to(plain, 4096));
        with_secrets.extend_from_slice(secret_line.as_bytes());
    }
    vec![
        ("no_keyword", repeat_to(plain, SIZE)),
        ("dense_keywords", repeat_to(dense, SIZE)),
        ("with_secrets", with_secrets),
    ]
}

fn benches(c: &mut Criterion) {
    let det = Detector::new(RuleSet::builtin().expect("rules")).expect("detector");
    let inputs = inputs();

    let mut g = c.benchmark_group("prefilter");
    for (name, data) in &inputs {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), data, |b, data| {
            b.iter(|| {
                let mut n = 0usize;
                det.prefilter().for_each_hit(data, |_, _, _| n += 1);
                n
            })
        });
    }
    g.finish();

    // The reference searcher the gram filter replaced, for comparison.
    let mut g = c.benchmark_group("prefilter_automaton");
    for (name, data) in &inputs {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), data, |b, data| {
            b.iter(|| {
                let mut n = 0usize;
                det.prefilter()
                    .for_each_hit_automaton(data, |_, _, _| n += 1);
                n
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("detect");
    for (name, data) in &inputs {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), data, |b, data| {
            let mut scratch = Scratch::default();
            let mut out = Vec::new();
            b.iter(|| {
                out.clear();
                det.detect(data, &mut scratch, &mut out);
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = engine;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(engine);
