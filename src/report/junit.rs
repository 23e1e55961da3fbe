//! JUnit XML, for the test tabs of CI systems (GitLab, Jenkins, Azure
//! Pipelines, CircleCI, GitHub through test-report actions): one test suite
//! per rule, one failing test case per finding, named by its location.
//! A clean scan is one passing test case, so that the tab says the scan
//! ran. Secrets are shown as everywhere else: redacted unless
//! `--show-secrets`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::Report;
use crate::finding::Finding;

/// Write the JUnit XML document.
pub fn write_junit(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in report.findings {
        by_rule.entry(&f.rule_id).or_default().push(f);
    }
    let n = report.findings.len();
    let time = report.summary.elapsed_ms as f64 / 1000.0;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="keyscan" tests="{}" failures="{n}" errors="0" time="{time:.3}">"#,
        n.max(1)
    )?;
    if by_rule.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="keyscan" tests="1" failures="0" errors="0" skipped="0" time="{time:.3}">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="no secrets found" classname="keyscan" time="{time:.3}"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    for (rule, findings) in &by_rule {
        let name = report
            .rules
            .get(rule)
            .map_or(*rule, |r| r.spec.name.as_str());
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{m}" failures="{m}" errors="0" skipped="0" time="0">"#,
            escape(rule),
            m = findings.len()
        )?;
        for f in findings {
            let place = format!("{}:{}:{}", f.path, f.line, f.column);
            writeln!(
                out,
                r#"    <testcase name="{}" classname="keyscan.{}" file="{}" line="{}" time="0">"#,
                escape(&place),
                escape(rule),
                escape(&f.path),
                f.line
            )?;
            let message = format!(
                "{} ({}, confidence {}): {}",
                name,
                f.severity,
                f.confidence,
                report.shown_value(f)
            );
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(&message),
                escape(rule),
                escape_text(&details(report, f, &place))
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// The body of a failure: where, the line, the fingerprint, what to do.
fn details(report: &Report<'_>, f: &Finding, place: &str) -> String {
    let mut s = format!(
        "{} {} at {place}\nsecret: {}\n",
        f.severity,
        f.rule_id,
        report.shown_value(f)
    );
    if let Some(e) = &f.excerpt {
        s.push_str(&format!(
            "line {}: {}\n{}{}\n",
            f.line,
            e.text,
            " ".repeat(e.mark + format!("line {}: ", f.line).len()),
            "^".repeat(e.width)
        ));
    }
    for n in f.notes() {
        s.push_str(&format!("note: {n}\n"));
    }
    if let Some(c) = &f.commit {
        s.push_str(&format!("commit: {} by {}\n", c.commit, c.author));
    }
    if let Some(v) = &f.verification {
        s.push_str(&format!("{}\n", v.describe()));
    }
    s.push_str(&format!("fingerprint: {}\n", f.fingerprint));
    if let Some(rule) = report.rules.get(&f.rule_id) {
        s.push_str(&format!(
            "remediation: revoke and rotate it at {}\n",
            rule.spec.remediation
        ));
    }
    s
}

/// `s` as XML 1.0 element text: as [`escape`], line breaks kept.
fn escape_text(s: &str) -> String {
    s.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// `s` as XML 1.0 text or attribute value: markup characters escaped, and
/// characters XML 1.0 cannot hold at all (most control characters,
/// U+FFFE, U+FFFF) replaced with U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept as references, so that attribute values keep them too.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_illegal_characters() {
        assert_eq!(
            escape("a<b>&\"'\u{1}\u{ffff}\n"),
            "a&lt;b&gt;&amp;&quot;&apos;\u{fffd}\u{fffd}&#10;"
        );
    }
}
