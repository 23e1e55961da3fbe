//! Text output for people: findings grouped by file, like ripgrep, and a
//! one-paragraph summary.

use std::io::{self, Write};

use colored::Colorize;

use super::{human_bytes, printable, Report, Summary};
use crate::finding::VerifyStatus;
use crate::rules::Severity;

fn sev(s: Severity, color: bool) -> String {
    let t = s.as_str().to_string();
    if !color {
        return t;
    }
    match s {
        Severity::Critical => t.red().bold().to_string(),
        Severity::High => t.red().to_string(),
        Severity::Medium => t.yellow().to_string(),
        Severity::Low => t.blue().to_string(),
    }
}

/// Locations of one secret shown with their line; the rest are listed.
const LOCATIONS_WITH_LINE: usize = 5;

/// Findings, one entry per secret (a rule and a value), in the order of
/// their first location: a header (severity, rule, the secret as shown,
/// checks), then each location with its line, the secret underlined, and
/// its fingerprint (ready for an ignore file), then the remediation.
pub fn write_findings(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let color = report.color;
    for (n, group) in groups(report.findings).iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let f = group[0];
        let severity = group.iter().map(|f| f.severity).max().unwrap_or(f.severity);
        let id = if color {
            f.rule_id.cyan().to_string()
        } else {
            f.rule_id.clone()
        };
        // A multi-line secret (a private key block) is shown on one line.
        let secret = printable(&report.shown_value(f)).into_owned();
        write!(
            out,
            "{}  {id}  {}  {}",
            sev(severity, color),
            f.provider,
            if color {
                secret.bold().to_string()
            } else {
                secret
            },
        )?;
        if let Some(v) = &f.verification {
            write!(out, "  {}", mark(v.status, color))?;
        }
        if let Some(v) = &f.format_check {
            write!(out, "  [{v}]")?;
        }
        write!(out, "  [confidence: {}]", f.confidence)?;
        if group.len() > 1 {
            write!(out, "  [{} places]", group.len())?;
        }
        writeln!(out)?;
        let gutter = group
            .iter()
            .take(LOCATIONS_WITH_LINE)
            .filter(|g| g.excerpt.is_some())
            .map(|g| g.line.to_string().len())
            .max()
            .unwrap_or(0)
            + 1;
        for (i, g) in group.iter().enumerate() {
            location(report, g, gutter, i < LOCATIONS_WITH_LINE, out)?;
        }
        let pad = " ".repeat(gutter);
        if let Some(v) = &f.verification {
            let line = printable(&v.describe()).into_owned();
            let line = match v.status {
                VerifyStatus::Live if color => line.red().bold().to_string(),
                _ => line,
            };
            writeln!(out, "{pad}= {line}")?;
        }
        if let Some(rule) = report.rules.get(&f.rule_id) {
            let hint = format!(
                "{}: revoke and rotate it at {}",
                rule.spec.name, rule.spec.remediation
            );
            let hint = if color {
                hint.dimmed().to_string()
            } else {
                hint
            };
            writeln!(out, "{pad}= {hint}")?;
        }
    }
    Ok(())
}

/// Findings grouped by secret (rule and value), groups in the order of
/// their first finding, findings in report order within each.
pub fn groups(findings: &[crate::finding::Finding]) -> Vec<Vec<&crate::finding::Finding>> {
    let mut index: std::collections::HashMap<(&str, Vec<&str>), usize> =
        std::collections::HashMap::new();
    let mut out: Vec<Vec<&crate::finding::Finding>> = Vec::new();
    for f in findings {
        let values = if f.parts.is_empty() {
            vec![f.secret.as_str()]
        } else {
            f.parts.iter().map(|p| p.value.as_str()).collect()
        };
        let i = *index.entry((&f.rule_id, values)).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[i].push(f);
    }
    out
}

/// One location of a secret: `--> path:line:col`, its notes and commit,
/// then (when `with_line`) its line with the secret underlined, and its
/// fingerprint.
fn location(
    report: &Report<'_>,
    f: &crate::finding::Finding,
    gutter: usize,
    with_line: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let color = report.color;
    let pad = " ".repeat(gutter);
    let place = format!("{}:{}:{}", printable(&f.path), f.line, f.column);
    let place = if color {
        place.magenta().bold().to_string()
    } else {
        place
    };
    write!(out, "{pad}--> {place}")?;
    for n in f.notes() {
        write!(out, "  [{}]", printable(&n))?;
    }
    writeln!(out)?;
    if let Some(c) = &f.commit {
        let short = &c.commit[..c.commit.len().min(12)];
        let what = match &c.tag {
            Some(tag) => format!("tag {} (commit {})", printable(tag), printable(short)),
            None => format!("commit {}", printable(short)),
        };
        write!(
            out,
            "{pad}= {} by {} <{}> on {}: {}",
            what,
            printable(&c.author),
            printable(&c.email),
            printable(&c.date),
            printable(&c.summary)
        )?;
        // (A commit or tag message is in one commit and never in a tree.)
        if !matches!(
            f.place,
            crate::finding::Place::CommitMessage | crate::finding::Place::TagMessage
        ) {
            write!(
                out,
                "; {} in HEAD; in {} commit{}",
                if c.in_head { "still" } else { "no longer" },
                c.commits,
                if c.commits == 1 { "" } else { "s" }
            )?;
        }
        writeln!(out)?;
    }
    if let Some(e) = f.excerpt.as_ref().filter(|_| with_line) {
        let bar = if color {
            "|".blue().bold().to_string()
        } else {
            "|".to_string()
        };
        let num = format!("{:>w$}", f.line, w = gutter - 1);
        let num = if color {
            num.blue().bold().to_string()
        } else {
            num
        };
        writeln!(out, "{num} {bar} {}", e.text)?;
        let carets = "^".repeat(e.width);
        let carets = if color {
            carets.red().bold().to_string()
        } else {
            carets
        };
        writeln!(out, "{pad}{bar} {}{carets}", " ".repeat(e.mark))?;
    }
    let fp = if color {
        f.fingerprint.dimmed().to_string()
    } else {
        f.fingerprint.clone()
    };
    writeln!(out, "{pad}= fingerprint: {fp}")
}

/// The mark of a verified finding: `LIVE` stands out.
fn mark(status: VerifyStatus, color: bool) -> String {
    match (status, color) {
        (VerifyStatus::Live, true) => " LIVE ".on_red().white().bold().to_string(),
        (VerifyStatus::Live, false) => "LIVE".to_string(),
        (other, _) => format!("[{}]", other.as_str()),
    }
}

/// The closing summary, one line (plus a warning line if files could not be read).
pub fn write_summary(s: &Summary, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut parts = Vec::new();
    let sev_parts = s.severity_counts();
    let head = if s.findings == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{} finding{} ({}) in {} file{}",
            s.findings,
            plural(s.findings as u64),
            sev_parts.join(", "),
            s.files_with_findings,
            plural(s.files_with_findings as u64)
        )
    };
    let head = if color {
        if s.findings == 0 {
            head.green().bold().to_string()
        } else {
            head.red().bold().to_string()
        }
    } else {
        head
    };
    parts.push(head);
    if let Some(v) = &s.verified {
        let live = format!("{} live", v.live);
        let live = if color && v.live > 0 {
            live.red().bold().to_string()
        } else {
            live
        };
        parts.push(format!(
            "verified: {live}, {} invalid, {} unknown",
            v.invalid, v.unknown
        ));
    }
    parts.push(format!(
        "{} file{} scanned ({})",
        s.stats.files_scanned,
        plural(s.stats.files_scanned),
        human_bytes(s.stats.bytes_scanned)
    ));
    let k = &s.stats.skipped;
    let reasons: Vec<String> = [
        (k.too_large, "too large"),
        (k.media, "media"),
        (k.binary, "binary"),
        (k.special, "special files"),
        (k.symlink, "symlinks"),
        (k.allowlisted, "allowlisted"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, why)| format!("{n} {why}"))
    .collect();
    if !reasons.is_empty() {
        parts.push(format!("{} skipped ({})", k.total(), reasons.join(", ")));
    }
    if !s.stats.sources.is_empty() {
        parts.push(sources(&s.stats.sources));
    }
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    if s.stats.findings_over_cap > 0 {
        parts.push(format!(
            "{} more over the per-file cap (--max-findings-per-file)",
            s.stats.findings_over_cap
        ));
    }
    parts.push(format!("{:.2} s", s.elapsed_ms as f64 / 1000.0));
    writeln!(out, "keyscan: {}", parts.join("; "))?;
    if s.stats.unreadable > 0 {
        let msg = format!(
            "keyscan: {} file{} or director{} could not be read (warnings above); the scan is incomplete",
            s.stats.unreadable,
            plural(s.stats.unreadable),
            if s.stats.unreadable == 1 { "y" } else { "ies" }
        );
        writeln!(
            out,
            "{}",
            if color { msg.yellow().to_string() } else { msg }
        )?;
    }
    Ok(())
}

/// What the expanded sources opened and found, e.g. `from notebooks 2 (3
/// scanned), archives 1 (2 opened, 40 entries, 1 stopped at a limit)`.
fn sources(c: &crate::source::SourceCounts) -> String {
    let mut out = Vec::new();
    let mut add = |name: &str, found: u64, details: Vec<String>| {
        let details: Vec<String> = details
            .into_iter()
            .filter(|d| !d.starts_with("0 "))
            .collect();
        if found == 0 && details.is_empty() {
            return;
        }
        if details.is_empty() {
            out.push(format!("{name} {found}"));
        } else {
            out.push(format!("{name} {found} ({})", details.join(", ")));
        }
    };
    let n = &c.notebooks;
    add(
        "notebooks",
        n.findings,
        vec![
            format!("{} scanned", n.scanned),
            format!("{} malformed", n.malformed),
        ],
    );
    let a = &c.archives;
    add(
        "archives",
        a.findings,
        vec![
            format!("{} opened", a.scanned),
            format!("{} entries", a.entries),
            format!("{} stopped at a limit", a.stopped),
        ],
    );
    add(
        "decoded",
        c.decoded.findings,
        vec![format!("{} values", c.decoded.scanned)],
    );
    add(
        "UTF-16",
        c.utf16.findings,
        vec![format!(
            "{} file{}",
            c.utf16.scanned,
            plural(c.utf16.scanned)
        )],
    );
    add("env files", c.env_files.findings, Vec::new());
    add("browser bundles", c.bundles.findings, Vec::new());
    format!("findings from {}", out.join(", "))
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
