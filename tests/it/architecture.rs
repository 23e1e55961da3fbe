//! The module graph: data flows one way, and no module imports a later
//! stage. The table below is the architecture: each top-level module of
//! `src/` and the modules it may use (`crate::...` paths outside tests and
//! comments). The test fails when code uses a module its row does not
//! list, when a module is missing from the table, or when the table itself
//! has a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// (module, the modules it may use), leaves first.
const ALLOWED: &[(&str, &[&str])] = &[
    // Leaves: vector kernels, entropy, text helpers.
    ("simd", &[]),
    ("entropy", &[]),
    ("text", &[]),
    // Files given by name: regular files only, reads bounded.
    ("files", &["text"]),
    // Rule data and checks; the keyword prefilter.
    ("rules", &["simd", "entropy", "text"]),
    ("prefilter", &["simd"]),
    // Sources yield blobs; expansions yield child blobs. Neither knows rules.
    ("source", &["text"]),
    ("expand", &["text"]),
    // The detector: rules and prefilter over bytes.
    ("detect", &["rules", "prefilter", "entropy"]),
    // Findings, then the one filter stage over them.
    ("finding", &["rules", "text"]),
    ("filter", &["files", "finding", "rules", "text"]),
    // Configuration builds rules and allowlists (and checks custom rules'
    // examples with a detector).
    ("config", &["files", "filter", "rules", "detect", "text"]),
    // The driver ties the stages together.
    (
        "scan",
        &[
            "config", "detect", "expand", "filter", "finding", "rules", "source", "text",
        ],
    ),
    // Verification (only with --verify) asks providers about the findings
    // the filter stage kept; it knows rules' specs, not scans or reports.
    ("verify", &["finding", "rules", "text"]),
    // Reporters render findings; they never scan.
    ("report", &["finding", "rules", "source", "text"]),
    // Coding agents' hook protocols: JSON in, what to scan and the answer
    // out; the command line scans.
    ("agent", &["text"]),
    // The command line.
    (
        "cli",
        &[
            "agent", "config", "detect", "expand", "files", "filter", "finding", "report", "rules",
            "scan", "source", "text", "verify",
        ],
    ),
];

/// The code of a file without its unit tests and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file's code names through `crate::`.
fn uses(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let m = ident(item);
                if !m.is_empty() {
                    out.insert(m);
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Each top-level module and the modules its code uses, with the files.
fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" || rel == "main.rs" {
            continue;
        }
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let entry = g.entry(top.clone()).or_default();
        for m in uses(&code(&text)) {
            if m != top {
                entry.entry(m).or_default().insert(rel.clone());
            }
        }
    }
    g
}

#[test]
fn every_module_uses_only_what_the_architecture_allows() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut problems = Vec::new();
    for (module, used) in graph() {
        let Some(ok) = allowed.get(module.as_str()) else {
            problems.push(format!("src/{module}: not in the architecture table"));
            continue;
        };
        for (m, files) in used {
            if !ok.contains(&m.as_str()) {
                problems.push(format!("{module} uses {m} (in {files:?})"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_architecture_has_no_cycle() {
    // Each module may use only modules listed before it.
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (module, deps) in ALLOWED {
        for d in *deps {
            assert!(seen.contains(d), "{module} uses {d}, which is not below it");
        }
        seen.insert(module);
    }
}

#[test]
fn the_scanner_of_uses_sees_grouped_imports() {
    let got = uses("use crate::{rules::Rule, text};\nfn f() { crate::scan::x() }");
    assert_eq!(
        got,
        ["rules", "scan", "text"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert!(uses(&code("// crate::cli in a comment\n")).is_empty());
}
