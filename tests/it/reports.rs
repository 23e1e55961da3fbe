//! The text report's context (the line, the secret masked in place and
//! underlined, the fingerprint, one entry per secret) and the JUnit, CSV
//! and HTML reports, each parsed back to check its structure.

use crate::common::{json, Tree, ANTHROPIC, GITHUB, HF};

fn run(tree: &Tree, args: &[&str]) -> (String, String) {
    let out = tree.keyscan().args(args).output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// (path, fingerprint) of each finding of a JSON report.
fn fingerprints(tree: &Tree) -> Vec<(String, String)> {
    let out = tree
        .keyscan()
        .args(["--no-config", "-q", "--format", "json", "."])
        .output()
        .unwrap();
    json(&out.stdout)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn text_report_groups_one_secret_found_in_many_places() {
    let t = Tree::new();
    t.file("a.env", format!("HF_TOKEN={HF}\n"));
    t.file("b/settings.py", format!("\n\ntoken = \"{HF}\"\n"));
    t.file("c.env", format!("GITHUB_TOKEN={GITHUB}\n"));
    let (out, _) = run(&t, &["--no-config", "-q", "."]);
    let fp = fingerprints(&t);
    assert_eq!(fp.len(), 3);
    let expected = format!(
        "\
high  huggingface-token  Hugging Face  hf_************oy  [confidence: high]  [2 places]
  --> a.env:1:10
1 | HF_TOKEN=hf_************oy
  |          ^^^^^^^^^^^^^^^^^
  = fingerprint: {}
  --> b/settings.py:3:10
3 | token = \"hf_************oy\"
  |          ^^^^^^^^^^^^^^^^^
  = fingerprint: {}
  = Hugging Face access token: revoke and rotate it at https://huggingface.co/settings/tokens

critical  github-classic-token  GitHub  ghp_************V9  [CRC32 checksum valid]  [confidence: high]
  --> c.env:1:14
1 | GITHUB_TOKEN=ghp_************V9
  |              ^^^^^^^^^^^^^^^^^^
  = fingerprint: {}
  = GitHub token: revoke and rotate it at https://github.com/settings/tokens
",
        fp[0].1, fp[1].1, fp[2].1
    );
    assert_eq!(out, expected);
    assert_eq!(
        (fp[0].0.as_str(), fp[1].0.as_str()),
        ("a.env", "b/settings.py")
    );
}

#[test]
fn text_report_cuts_long_lines_and_keeps_the_caret_under_the_secret() {
    let t = Tree::new();
    let line = format!(
        "\tconst 名前 = {{ a: \"{}\", token: \"{GITHUB}\", rest: \"{}\" }};\n",
        "x".repeat(60),
        "y".repeat(60)
    );
    t.file("app.js", &line);
    let (out, _) = run(&t, &["--no-config", "-q", "."]);
    let lines: Vec<&str> = out.lines().collect();
    let text = lines[2].strip_prefix("1 | ").unwrap();
    let carets = lines[3].strip_prefix("  | ").unwrap();
    assert!(text.starts_with('…') && text.ends_with('…'), "{out}");
    assert!(!out.contains(GITHUB), "{out}");
    // The carets sit under the masked secret, counted in display columns.
    let col = carets.find('^').unwrap();
    let shown: String = text
        .chars()
        .scan(0, |w, c| {
            let here = *w;
            *w += if c == '名' || c == '前' { 2 } else { 1 };
            Some((here, c))
        })
        .filter(|(w, _)| *w >= col && *w < col + carets.trim().len())
        .map(|(_, c)| c)
        .collect();
    assert_eq!(shown, "ghp_************V9", "{out}");
}

#[test]
fn text_report_masks_other_secrets_on_the_line_and_shows_them_only_when_asked() {
    let t = Tree::new();
    t.file(
        "keys.env",
        format!("HF_TOKEN={HF} ANTHROPIC_API_KEY={ANTHROPIC}\n"),
    );
    let (out, _) = run(&t, &["--no-config", "-q", "."]);
    assert!(
        !out.contains(HF) && !out.contains(&ANTHROPIC[20..]),
        "{out}"
    );
    assert!(
        out.contains("1 | …EN=hf_************oy ANTHROPIC_API_KEY=sk-ant-api03-************AA\n"),
        "{out}"
    );
    let (shown, _) = run(&t, &["--no-config", "-q", "--show-secrets", "."]);
    assert!(
        shown.contains(&format!("1 | HF_TOKEN={HF} ANTHROPIC")),
        "{shown}"
    );
}

/// A tree whose names and lines are hostile to every format: markup, a
/// formula, quotes, commas.
fn hostile_tree() -> Tree {
    let t = Tree::new();
    t.file(
        "=cmd|calc.env",
        format!("HF_TOKEN={HF} # <script>alert(1)</script>,\"q\"&x\n"),
    );
    t.file("a,b/<b>x</b>.env", format!("GITHUB_TOKEN={GITHUB}\n"));
    t
}

fn report(t: &Tree, format: &str) -> String {
    let out = t
        .keyscan()
        .args(["--no-config", "-q", "--format", format, "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    for secret in [HF, GITHUB] {
        assert!(!s.contains(secret), "{format} shows a secret:\n{s}");
    }
    s
}

#[test]
fn junit_report_is_valid_xml_with_a_suite_per_rule_and_a_failure_per_finding() {
    let t = hostile_tree();
    let xml = report(&t, "junit");
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("2"));
    assert_eq!(root.attribute("failures"), Some("2"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    let names: Vec<_> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ["github-classic-token", "huggingface-token"]);
    let fp = fingerprints(&t);
    for s in &suites {
        assert_eq!(s.tag_name().name(), "testsuite");
        assert_eq!(s.attribute("failures"), Some("1"));
        let cases: Vec<_> = s.children().filter(|n| n.is_element()).collect();
        assert_eq!(cases.len(), 1);
        let case = cases[0];
        let failure = case.first_element_child().unwrap();
        assert_eq!(failure.tag_name().name(), "failure");
        let file = case.attribute("file").unwrap();
        let (_, fingerprint) = fp.iter().find(|(p, _)| p == file).unwrap();
        let body = failure.text().unwrap();
        assert!(
            body.contains(&format!("fingerprint: {fingerprint}\n")),
            "{body}"
        );
        if file == "=cmd|calc.env" {
            assert_eq!(case.attribute("name"), Some("=cmd|calc.env:1:10"));
            assert_eq!(
                failure.attribute("message"),
                Some("Hugging Face access token (high, confidence high): hf_************oy")
            );
            assert!(
                body.contains("# <script>alert(1)</script>,\"q\"&x\n"),
                "{body}"
            );
        } else {
            assert_eq!(file, "a,b/<b>x</b>.env");
        }
    }
    // A clean scan is one passing test.
    let clean = Tree::new();
    clean.file("README.md", "nothing here\n");
    let out = clean
        .keyscan()
        .args(["--no-config", "-q", "--format", "junit", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1);
    assert!(cases[0].first_element_child().is_none());
    assert_eq!(doc.root_element().attribute("failures"), Some("0"));
}

#[test]
fn csv_report_round_trips_with_quoting_and_a_formula_guard() {
    let t = hostile_tree();
    let text = report(&t, "csv");
    assert!(text.ends_with("\r\n"));
    let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, keyscan::report::csv::HEADER);
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let paths: Vec<&str> = rows.iter().map(|r| &r[col("path")]).collect();
    // Sorted by path: `'` guards the formula; the comma and markup survive.
    assert_eq!(paths, ["'=cmd|calc.env", "a,b/<b>x</b>.env"]);
    let fp = fingerprints(&t);
    for (row, (_, fingerprint)) in rows.iter().zip(&fp) {
        assert_eq!(&row[col("fingerprint")], fingerprint);
        assert_eq!(row.len(), header.len());
    }
    assert_eq!(&rows[0][col("secret")], "hf_************oy");
    assert_eq!(&rows[0][col("rule_id")], "huggingface-token");
    assert_eq!(
        (&rows[0][col("line")], &rows[0][col("column")]),
        ("1", "10")
    );
    assert_eq!(&rows[1][col("format_check")], "CRC32 checksum valid");
}

#[test]
fn html_report_is_self_contained_filterable_and_escaped() {
    use scraper::{Html, Selector};
    let t = hostile_tree();
    let html = report(&t, "html");
    let doc = Html::parse_document(&html);
    let sel = |s: &str| Selector::parse(s).unwrap();
    // The table: one row per finding, with the data the filters read.
    let rows: Vec<_> = doc.select(&sel("#findings tbody tr")).collect();
    assert_eq!(rows.len(), 2);
    let attrs: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            let a = |k| r.value().attr(k).unwrap();
            (
                a("data-severity"),
                a("data-rule"),
                a("data-confidence"),
                a("data-file"),
            )
        })
        .collect();
    assert_eq!(
        attrs,
        [
            ("high", "huggingface-token", "high", "=cmd|calc.env"),
            (
                "critical",
                "github-classic-token",
                "high",
                "a,b/<b>x</b>.env"
            ),
        ]
    );
    // The finding's line is text, masked and marked.
    let line: String = rows[0]
        .select(&sel(".line"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(
        line,
        "HF_TOKEN=hf_************oy # <script>alert(1)</script>,\"q\"&x"
    );
    let mark: String = rows[0]
        .select(&sel(".mark"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(mark, "hf_************oy");
    // The filters list what there is to filter.
    let options = |id: &str| -> Vec<String> {
        doc.select(&sel(&format!("#filter-{id} option")))
            .map(|o| o.value().attr("value").unwrap().to_string())
            .collect()
    };
    assert_eq!(
        options("severity"),
        ["", "critical", "high", "medium", "low"]
    );
    assert_eq!(
        options("rule"),
        ["", "github-classic-token", "huggingface-token"]
    );
    assert_eq!(options("confidence"), ["", "high", "medium", "low"]);
    assert_eq!(doc.select(&sel("input#filter-file")).count(), 1);
    // Self-contained: no element loads anything, and the one script is
    // ours, allowed by its hash and nothing else.
    let loading: Vec<_> = doc
        .select(&sel("[src], [href], link, iframe, object, embed, img"))
        .map(|e| e.value().clone())
        .collect();
    assert!(loading.is_empty(), "{loading:?}");
    let scripts: Vec<String> = doc
        .select(&sel("script"))
        .map(|s| s.text().collect())
        .collect();
    assert_eq!(scripts.len(), 1, "{scripts:?}");
    assert!(!scripts[0].contains("alert"));
    let csp = doc
        .select(&sel("meta[http-equiv=Content-Security-Policy]"))
        .next()
        .unwrap()
        .value()
        .attr("content")
        .unwrap()
        .to_string();
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&scripts[0]));
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}';")),
        "{csp}"
    );
}
