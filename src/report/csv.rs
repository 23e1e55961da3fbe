//! CSV (RFC 4180): a header row, then one row per finding; fields that
//! hold a comma, a quote or a line break are quoted, quotes doubled, rows
//! end with CRLF. A cell that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
//! prefixed with `'` (OWASP's advice against CSV injection): a file path
//! or a note can be chosen by whoever wrote the scanned files. Secrets are
//! redacted unless `--show-secrets`.

use std::io::{self, Write};

use super::Report;

/// The columns, in order.
pub const HEADER: [&str; 16] = [
    "severity",
    "confidence",
    "rule_id",
    "rule_name",
    "provider",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "fingerprint",
    "format_check",
    "verification",
    "commit",
    "notes",
];

/// Write the CSV document.
pub fn write_csv(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    row(out, HEADER.iter().map(|h| h.to_string()))?;
    for f in report.findings {
        let fields = [
            f.severity.as_str().to_string(),
            f.confidence.as_str().to_string(),
            f.rule_id.clone(),
            f.rule_name.clone(),
            f.provider.clone(),
            f.path.clone(),
            f.line.to_string(),
            f.column.to_string(),
            f.end_line.to_string(),
            f.end_column.to_string(),
            report.shown_value(f),
            f.fingerprint.clone(),
            f.format_check.clone().unwrap_or_default(),
            f.verification
                .as_ref()
                .map(|v| v.describe())
                .unwrap_or_default(),
            f.commit
                .as_ref()
                .map(|c| c.commit.clone())
                .unwrap_or_default(),
            f.notes().join("; "),
        ];
        row(out, fields.into_iter())?;
    }
    Ok(())
}

fn row(out: &mut dyn Write, fields: impl Iterator<Item = String>) -> io::Result<()> {
    let cells: Vec<String> = fields.map(|f| cell(&f)).collect();
    write!(out, "{}\r\n", cells.join(","))
}

/// One field: guarded against formulas, then quoted when it must be.
pub fn cell(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_guarded() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }
}
