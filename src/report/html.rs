//! A self-contained HTML report: one file, no external assets (the CSS
//! and the script are inline), that opens offline. A table of findings
//! with filters by severity, rule, confidence and file; the filters can
//! also be set from the URL's fragment
//! (`report.html#severity=critical&file=src/`), so a link can share a view.
//!
//! Everything taken from the scan (paths, lines, notes, rule names) is
//! escaped as HTML text or attribute values, and a Content-Security-Policy
//! allows only this report's own script (by its SHA-256), so a finding
//! whose text holds `<script>` shows as text and can run nothing. Secrets
//! are redacted unless `--show-secrets`.

use std::collections::BTreeSet;
use std::io::{self, Write};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::Report;
use crate::rules::{Confidence, Severity};

/// The report's stylesheet.
const STYLE: &str = r##"
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1f24; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
.summary { color: #57606a; margin-bottom: 1rem; }
.filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; margin-bottom: 1rem; }
.filters label { display: flex; flex-direction: column; font-size: .8rem; color: #57606a; }
select, input { font: inherit; padding: .2rem .3rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #d0d7de; }
th { background: #f6f8fa; position: sticky; top: 0; }
code, .line { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
.line { white-space: pre; overflow-x: auto; max-width: 48rem; display: block; }
.mark { background: #ffebe9; color: #a40e26; font-weight: 600; }
.sev { font-weight: 600; text-transform: uppercase; font-size: .75rem; }
.sev-critical { color: #a40e26; } .sev-high { color: #bc4c00; } .sev-medium { color: #7d4e00; } .sev-low { color: #0969da; }
.note { color: #57606a; font-size: .8rem; }
tr[hidden] { display: none; }
.fp { word-break: break-all; font-size: .75rem; max-width: 10rem; }
"##;

/// The filters' script: hides the rows that do not match, counts the rest,
/// and reads and writes the filters in the URL's fragment. It reads the
/// rows' data attributes and writes text only (no HTML).
const SCRIPT: &str = r##"
(function () {
  var keys = ["severity", "rule", "confidence", "file"];
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  var count = document.getElementById("shown");
  function input(k) { return document.getElementById("filter-" + k); }
  function apply() {
    var want = {}, hash = [];
    keys.forEach(function (k) {
      want[k] = input(k).value;
      if (want[k]) { hash.push(k + "=" + encodeURIComponent(want[k])); }
    });
    var n = 0;
    rows.forEach(function (r) {
      var ok = (!want.severity || r.dataset.severity === want.severity)
        && (!want.rule || r.dataset.rule === want.rule)
        && (!want.confidence || r.dataset.confidence === want.confidence)
        && (!want.file || r.dataset.file.indexOf(want.file) !== -1);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    count.textContent = String(n);
    var h = hash.join("&");
    if (location.hash.replace(/^#/, "") !== h) { history.replaceState(null, "", h ? "#" + h : location.pathname + location.search); }
  }
  function fromHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) { return; }
      var k = kv.slice(0, i), v = decodeURIComponent(kv.slice(i + 1));
      if (keys.indexOf(k) !== -1) { input(k).value = v; }
    });
  }
  keys.forEach(function (k) { input(k).addEventListener("input", apply); input(k).addEventListener("change", apply); });
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  fromHash();
  apply();
})();
"##;

/// Write the HTML document.
pub fn write_html(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let script_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
    let s = report.summary;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, r#"<html lang="en">"#)?;
    writeln!(out, "<head>")?;
    writeln!(out, r#"<meta charset="utf-8">"#)?;
    writeln!(
        out,
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:; base-uri 'none'; form-action 'none'">"#
    )?;
    writeln!(out, r#"<meta name="referrer" content="no-referrer">"#)?;
    writeln!(
        out,
        r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#
    )?;
    writeln!(out, "<title>keyscan report</title>")?;
    writeln!(out, "<style>{STYLE}</style>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<h1>keyscan report</h1>")?;
    let by_sev = s.severity_counts();
    writeln!(
        out,
        r#"<p class="summary" id="summary">{} finding{}{} in {} file{}; {} file{} scanned; {} suppressed. keyscan {}.</p>"#,
        s.findings,
        plural(s.findings),
        if by_sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_sev.join(", "))
        },
        s.files_with_findings,
        plural(s.files_with_findings),
        s.stats.files_scanned,
        plural(s.stats.files_scanned as usize),
        s.suppressed,
        env!("CARGO_PKG_VERSION")
    )?;
    // The filters: each select lists the values present.
    let rules: BTreeSet<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    writeln!(out, r#"<div class="filters" role="search">"#)?;
    let severities: Vec<&str> = Severity::ALL.iter().rev().map(|s| s.as_str()).collect();
    select(out, "severity", "Severity", &severities)?;
    select(out, "rule", "Rule", &rules.into_iter().collect::<Vec<_>>())?;
    let confidences: Vec<&str> = Confidence::ALL.iter().rev().map(|c| c.as_str()).collect();
    select(out, "confidence", "Confidence", &confidences)?;
    writeln!(
        out,
        r#"<label for="filter-file">File contains<input id="filter-file" type="search" placeholder="path"></label>"#
    )?;
    writeln!(
        out,
        r#"<span><span id="shown">{}</span> of {} shown</span>"#,
        report.findings.len(),
        report.findings.len()
    )?;
    writeln!(out, "</div>")?;
    writeln!(out, r#"<table id="findings">"#)?;
    writeln!(
        out,
        "<thead><tr><th>Severity</th><th>Confidence</th><th>Rule</th><th>Location</th><th>Secret and line</th><th>Fingerprint</th></tr></thead>"
    )?;
    writeln!(out, "<tbody>")?;
    for f in report.findings {
        let sev = f.severity.as_str();
        write!(
            out,
            r#"<tr data-severity="{sev}" data-rule="{}" data-confidence="{}" data-file="{}">"#,
            escape(&f.rule_id),
            f.confidence.as_str(),
            escape(&f.path)
        )?;
        write!(out, r#"<td><span class="sev sev-{sev}">{sev}</span></td>"#)?;
        write!(out, "<td>{}</td>", f.confidence.as_str())?;
        write!(
            out,
            r#"<td><code>{}</code><br><span class="note">{}</span></td>"#,
            escape(&f.rule_id),
            escape(&f.rule_name)
        )?;
        write!(
            out,
            "<td><code>{}:{}:{}</code>",
            escape(&f.path),
            f.line,
            f.column
        )?;
        if let Some(c) = &f.commit {
            write!(
                out,
                r#"<br><span class="note">commit {} by {}</span>"#,
                escape(&c.commit[..c.commit.len().min(12)]),
                escape(&c.author)
            )?;
        }
        write!(out, "</td>")?;
        write!(
            out,
            r#"<td><code class="secret">{}</code>"#,
            escape(&report.shown_value(f))
        )?;
        if let Some(e) = &f.excerpt {
            let (before, rest) = split_at_col(&e.text, e.mark);
            let (marked, after) = split_at_col(rest, e.width);
            write!(
                out,
                r#"<span class="line">{}<span class="mark">{}</span>{}</span>"#,
                escape(before),
                escape(marked),
                escape(after)
            )?;
        }
        for n in f.notes() {
            write!(out, r#"<br><span class="note">{}</span>"#, escape(&n))?;
        }
        if let Some(v) = &f.verification {
            write!(
                out,
                r#"<br><span class="note">{}</span>"#,
                escape(&v.describe())
            )?;
        }
        write!(out, "</td>")?;
        writeln!(
            out,
            r#"<td><code class="fp">{}</code></td></tr>"#,
            escape(&f.fingerprint)
        )?;
    }
    writeln!(out, "</tbody>")?;
    writeln!(out, "</table>")?;
    if report.findings.is_empty() {
        writeln!(out, r#"<p id="clean">No secrets found.</p>"#)?;
    }
    writeln!(out, "<script>{SCRIPT}</script>")?;
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}

/// A filter: a select of `values`, the first option meaning any.
fn select(out: &mut dyn Write, key: &str, label: &str, values: &[&str]) -> io::Result<()> {
    write!(
        out,
        r#"<label for="filter-{key}">{label}<select id="filter-{key}"><option value="">any</option>"#
    )?;
    for v in values {
        let v = escape(v);
        write!(out, r#"<option value="{v}">{v}</option>"#)?;
    }
    writeln!(out, "</select></label>")
}

/// `s` split after `cols` display columns.
fn split_at_col(s: &str, cols: usize) -> (&str, &str) {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        if w >= cols {
            return s.split_at(i);
        }
        w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
    }
    (s, "")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `s` as HTML text or a quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markup_text() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }

    #[test]
    fn split_counts_display_columns() {
        assert_eq!(split_at_col("名前=ab", 5), ("名前=", "ab"));
        assert_eq!(split_at_col("abc", 9), ("abc", ""));
    }
}
