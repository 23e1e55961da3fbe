//! Where the scan's time goes, per keyword and per rule, on a real tree.
//!
//! Loads every file under TREE into memory, then times the keyword
//! prefilter alone and each rule's regex in its keyword windows (run
//! one rule at a time, single-threaded). Prints the top keywords by hit
//! count and the rules by regex time.
//!
//! Usage: cargo run --release --example profile -- TREE [TOP]
//! Env:   PROFILE_AC=1       compare Aho-Corasick configurations instead
//!        PROFILE_PF_ONLY=1  stop after timing the prefilter
//!        PROFILE_FIND=1     time regex matches without capture groups
//!        PROFILE_RULE=id    time one rule; PROFILE_REGEX=pattern runs that
//!                           rule's windows with another pattern

use std::time::Instant;

use keyscan::detect::Detector;
use keyscan::rules::RuleSet;

fn main() {
    let mut args = std::env::args().skip(1);
    let tree = args.next().expect("usage: profile TREE [TOP]");
    let top: usize = args.next().map(|s| s.parse().unwrap()).unwrap_or(25);
    let mut blobs = Vec::new();
    for entry in ignore::WalkBuilder::new(&tree)
        .hidden(false)
        .build()
        .flatten()
    {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            if let Ok(b) = std::fs::read(entry.path()) {
                if !b[..b.len().min(8192)].contains(&0) {
                    blobs.push(b);
                }
            }
        }
    }
    let total: usize = blobs.iter().map(|b| b.len()).sum();
    eprintln!("{} files, {:.1} MiB", blobs.len(), total as f64 / 1048576.0);

    let rules = RuleSet::builtin().unwrap();
    let det = Detector::new(rules).unwrap();
    let pf = det.prefilter();
    let n_kw = pf.keywords().len();
    let n_rules = det.rules().len();

    // Prefilter alone.
    let t = Instant::now();
    let mut hits = 0u64;
    for b in &blobs {
        pf.for_each_hit(b, |_, _, _| hits += 1);
    }
    let pf_time = t.elapsed();
    eprintln!(
        "prefilter: {:.3} s ({:.0} MiB/s), {} rule hits",
        pf_time.as_secs_f64(),
        total as f64 / 1048576.0 / pf_time.as_secs_f64(),
        hits
    );

    if std::env::var_os("PROFILE_AC").is_some() {
        use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
        let kws = pf.keywords();
        for (name, kind, mk, overlapping) in [
            (
                "dfa standard overlapping",
                AhoCorasickKind::DFA,
                MatchKind::Standard,
                true,
            ),
            (
                "dfa standard find_iter",
                AhoCorasickKind::DFA,
                MatchKind::Standard,
                false,
            ),
            (
                "dfa leftmost-first",
                AhoCorasickKind::DFA,
                MatchKind::LeftmostFirst,
                false,
            ),
            (
                "contiguous nfa standard",
                AhoCorasickKind::ContiguousNFA,
                MatchKind::Standard,
                false,
            ),
        ] {
            for ci in [true, false] {
                let ac = AhoCorasick::builder()
                    .ascii_case_insensitive(ci)
                    .match_kind(mk)
                    .kind(Some(kind))
                    .build(kws)
                    .unwrap();
                let t = Instant::now();
                let mut n = 0u64;
                for b in &blobs {
                    if overlapping {
                        n += ac.find_overlapping_iter(b).count() as u64;
                    } else {
                        n += ac.find_iter(b).count() as u64;
                    }
                }
                let s = t.elapsed().as_secs_f64();
                println!(
                    "{name:28} ci={ci:5}: {s:.3} s {:6.0} MiB/s {n} matches",
                    total as f64 / 1048576.0 / s
                );
            }
        }
        // Lower-casing a copy first.
        let t = Instant::now();
        let mut buf = Vec::new();
        let mut n = 0u64;
        for b in &blobs {
            buf.clear();
            buf.extend(b.iter().map(|c| c.to_ascii_lowercase()));
            n += buf.len() as u64;
        }
        let s = t.elapsed().as_secs_f64();
        println!("lowercase copy: {s:.3} s ({n} bytes)");
        return;
    }
    if std::env::var_os("PROFILE_PF_ONLY").is_some() {
        return;
    }
    let t = Instant::now();
    let mut hits_ac = 0u64;
    for b in &blobs {
        pf.for_each_hit_automaton(b, |_, _, _| hits_ac += 1);
    }
    let ac_time = t.elapsed();
    eprintln!(
        "automaton: {:.3} s ({:.0} MiB/s), {} rule hits",
        ac_time.as_secs_f64(),
        total as f64 / 1048576.0 / ac_time.as_secs_f64(),
        hits_ac
    );
    // Per-keyword hits: look the keyword up by its text.
    let mut kw_hits = vec![0u64; n_kw];
    let mut per_rule: Vec<Vec<Vec<(usize, usize)>>> = vec![Vec::new(); n_rules];
    for (bi, b) in blobs.iter().enumerate() {
        let _ = bi;
        let mut seen: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n_rules];
        pf.for_each_hit(b, |r, s, e| seen[r as usize].push((s, e)));
        for (r, v) in seen.into_iter().enumerate() {
            for &(s, e) in &v {
                let text = String::from_utf8_lossy(&b[s..e]).to_ascii_lowercase();
                if let Some(k) = pf.keywords().iter().position(|k| *k == text) {
                    kw_hits[k] += 1;
                }
            }
            per_rule[r].push(v);
        }
    }
    let mut order: Vec<usize> = (0..n_kw).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(kw_hits[k]));
    println!("top keywords by (keyword, rule) hits:");
    for &k in order.iter().take(top) {
        println!("  {:>10}  {:?}", kw_hits[k], pf.keywords()[k]);
    }

    // Each rule's regex over its merged windows.
    let mut costs = Vec::new();
    // PROFILE_RULE=id [PROFILE_REGEX=pattern]: time one rule, optionally
    // with another pattern (to try a rewrite without rebuilding).
    let only = std::env::var("PROFILE_RULE").ok();
    // PROFILE_FIND=1: find matches without capture groups.
    let find_only = std::env::var_os("PROFILE_FIND").is_some();
    let over = std::env::var("PROFILE_REGEX").ok().map(|p| {
        regex::bytes::RegexBuilder::new(&p)
            .unicode(false)
            .size_limit(4 << 20)
            .dfa_size_limit(4 << 20)
            .build()
            .expect("PROFILE_REGEX")
    });
    // Rules whose gates pass in some window: those a scan compiles.
    let mut needed: Vec<&str> = Vec::new();
    for (r, rule) in det.rules().rules().iter().enumerate() {
        if only.as_deref().is_some_and(|id| id != rule.id()) {
            continue;
        }
        let mut passed = false;
        let compiled = rule.compiled();
        let regex = over.as_ref().unwrap_or(&compiled.regex);
        let mut locs = regex.capture_locations();
        let mut run_cache = None;
        let mut found = 0u64;
        let t = Instant::now();
        let mut runs = 0u64;
        let mut bytes = 0u64;
        for (b, hits) in blobs.iter().zip(&per_rule[r]) {
            let mut windows: Vec<(usize, usize)> = Vec::new();
            for &(s, e) in hits {
                let lo = s.saturating_sub(rule.window_before);
                let hi = (e + rule.window_after).min(b.len());
                match windows.last_mut() {
                    Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                    _ => windows.push((lo, hi)),
                }
            }
            for (lo, hi) in windows {
                bytes += (hi - lo) as u64;
                if !rule.window_may_match(b, lo, hi, &mut run_cache) {
                    continue;
                }
                passed = true;
                let mut pos = lo;
                while pos <= hi {
                    runs += 1;
                    let m = if find_only {
                        regex.find_at(&b[..hi], pos)
                    } else {
                        regex.captures_read_at(&mut locs, &b[..hi], pos)
                    };
                    let Some(m) = m else {
                        break;
                    };
                    found += 1;
                    pos = if m.end() > m.start() {
                        m.end()
                    } else {
                        m.end() + 1
                    };
                }
            }
        }
        if passed {
            needed.push(rule.id());
        }
        costs.push((
            t.elapsed().as_secs_f64(),
            format!(
                "{}{} ({found} matches)",
                rule.id(),
                match (rule.gates().run_gate.is_some(), rule.gates().gate.is_some()) {
                    (true, true) => " (run gate, gate)",
                    (true, false) => " (run gate)",
                    (false, true) => " (gate)",
                    (false, false) => "",
                }
            ),
            runs,
            bytes,
        ));
    }
    println!(
        "rules a scan compiles (gates pass in some window): {} of {}",
        needed.len(),
        det.rules().rules().len()
    );
    if std::env::var_os("PROFILE_COMPILED").is_some() {
        println!("  {}", needed.join(" "));
    }
    costs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
    let sum: f64 = costs.iter().map(|c| c.0).sum();
    println!("regex time, all rules: {sum:.3} s");
    for (secs, id, runs, bytes) in costs.iter().take(top) {
        println!(
            "  {secs:8.5} s  {runs:>9} runs  {:>8.1} MiB windows  {id}",
            *bytes as f64 / 1048576.0
        );
    }
}
