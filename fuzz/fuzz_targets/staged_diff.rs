//! The staged diff: a commit of `new` over HEAD's `old`, both arbitrary.
//!
//! Beyond "never panics": what is kept is a subset of what `new` holds;
//! every (rule, secret) of `new` that `old` does not hold is kept (a key
//! is never lost because lines moved, the encoding changed, or an archive
//! entry was added); `added_lines` has one entry per line of `new`.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;

#[path = "engine.rs"]
mod engine;
use engine::engine;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the path (the kind a name implies), the next two
    // where old ends and new begins.
    let [pick, a, b, rest @ ..] = data else {
        return;
    };
    let split = (usize::from(*a) << 8 | usize::from(*b)).min(rest.len());
    let (old, new) = rest.split_at(split);
    let path = ["f.txt", "n.ipynb", "a.zip", "x.env"][usize::from(*pick) % 4];
    let e = engine();
    let kept = e.staged_detections(path, new, old);
    let all = e.staged_detections(path, new, b"");
    let key = |d: &keyscan::finding::Detection| (d.rule_id.clone(), d.secret.clone(), d.offset);
    let all_keys: HashSet<_> = all.iter().map(key).collect();
    for d in &kept {
        assert!(all_keys.contains(&key(d)), "kept {d:?} that new does not hold");
    }
    let held: HashSet<(String, String)> = e
        .staged_detections(path, old, b"")
        .into_iter()
        .map(|d| (d.rule_id, d.secret))
        .collect();
    let kept_keys: HashSet<_> = kept.iter().map(key).collect();
    for d in &all {
        if !held.contains(&(d.rule_id.clone(), d.secret.clone())) {
            assert!(kept_keys.contains(&key(d)), "lost {d:?}: old does not hold it");
        }
    }
    let added = keyscan::source::staged::added_lines(old, new);
    let lines = 1 + new
        .iter()
        .enumerate()
        .filter(|&(i, &c)| c == b'\n' || (c == b'\r' && new.get(i + 1) != Some(&b'\n')))
        .count();
    assert_eq!(added.len(), lines);
});
