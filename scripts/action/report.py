#!/usr/bin/env python3
"""The GitHub Action's job summary and line annotations, from keyscan's
JSON report (action.yml, step "Scan"; tests/it/dist.rs checks the exact
output on a fixture report).

Usage: report.py REPORT.json FAIL_ON [SCANNED_PATH]

- Annotations go to stdout as workflow commands, one per finding:
  `::error` for findings at or above FAIL_ON (they fail the job),
  `::warning` below it, on the finding's file and lines, so a pull request
  shows them on its diff. GitHub shows at most 50 a job; past that a notice
  says how many more the summary lists.
- The summary (a Markdown findings table) is appended to the file named by
  GITHUB_STEP_SUMMARY, or printed to stderr when it is unset.

Secrets never appear: only the report's `secret_redacted` is read, never
`secret` (present if the workflow passed --show-secrets). Everything taken
from the report is escaped for where it goes (workflow-command properties
and data, Markdown table cells), so a file name cannot forge a command or
break the table.

SCANNED_PATH is the action's `path` input: keyscan names files relative to
the scanned root, GitHub wants them relative to the workspace, so a path is
prefixed with it when the prefixed file exists.
"""
import json
import os
import sys

SEVERITIES = ["low", "medium", "high", "critical"]
MAX_ANNOTATIONS = 50
MAX_ROWS = 1000


def prop(s):
    """Escapes a workflow-command property value."""
    return (
        str(s)
        .replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .replace(":", "%3A")
        .replace(",", "%2C")
    )


def data(s):
    """Escapes a workflow-command message."""
    return str(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def plain(s):
    """Plain Markdown table cell text: no pipe or newline."""
    return str(s).replace("\r", " ").replace("\n", " ").replace("|", "\\|")


def cell(s):
    """A Markdown table cell as inline code: no pipe, newline or backtick."""
    s = plain(s)
    fence = "``" if "`" in s else "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def workspace_path(path, base):
    if base and base not in (".", "./"):
        joined = os.path.join(base, path)
        if os.path.exists(joined):
            return os.path.normpath(joined).replace(os.sep, "/")
    return path


def size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    report, fail_on = argv[0], argv[1]
    base = argv[2] if len(argv) == 3 else "."
    if fail_on not in SEVERITIES:
        sys.exit(f"report.py: FAIL_ON must be one of {', '.join(SEVERITIES)}")
    with open(report, encoding="utf-8") as f:
        doc = json.load(f)
    findings = doc.get("findings", [])
    stats = doc.get("stats", {})
    threshold = SEVERITIES.index(fail_on)

    def failing(f):
        return SEVERITIES.index(f.get("severity", "low")) >= threshold

    # Most severe first, then in the report's (path, line) order.
    order = sorted(
        range(len(findings)),
        key=lambda i: (-SEVERITIES.index(findings[i].get("severity", "low")), i),
    )

    lines = []
    for n, i in enumerate(order):
        f = findings[i]
        if n == MAX_ANNOTATIONS:
            lines.append(
                f"::notice title=keyscan::{len(order) - n} more findings are listed in the job summary"
            )
            break
        level = "error" if failing(f) else "warning"
        where = [f"file={prop(workspace_path(f['path'], base))}", f"line={f['line']}"]
        if f.get("end_line", f["line"]) != f["line"]:
            where.append(f"endLine={f['end_line']}")
        else:
            where += [f"col={f['column']}", f"endColumn={f['end_column']}"]
        title = f"keyscan: {f['rule_name']}"
        msg = (
            f"{f['rule_name']} ({f['rule_id']}, {f['severity']}, {f['confidence']} confidence): "
            f"{f['secret_redacted']}. Rotate it"
        )
        if f.get("remediation"):
            msg += f" ({f['remediation']})"
        msg += ", then remove it; not a secret? mark the line with keyscan:allow."
        lines.append(f"::{level} {','.join(where)},title={prop(title)}::{data(msg)}")

    summary = []
    by = stats.get("by_severity", {})
    counts = ", ".join(f"{by[s]} {s}" for s in reversed(SEVERITIES) if by.get(s))
    files = stats.get("files_with_findings", 0)
    if findings:
        summary.append(
            f"### keyscan: {len(findings)} finding{'s' if len(findings) != 1 else ''}"
            f" ({counts}) in {files} file{'s' if files != 1 else ''}"
        )
    else:
        summary.append("### keyscan: no findings")
    summary.append("")
    scanned = stats.get("files_scanned", 0)
    line = f"{scanned} file{'s' if scanned != 1 else ''} scanned ({size(stats.get('bytes_scanned', 0))})"
    failing_n = sum(1 for f in findings if failing(f))
    if findings:
        line += f"; {failing_n} at or above `{fail_on}` fail the job"
    summary.append(line + ". Secrets are shown redacted.")
    if scanned == 0:
        summary += [
            "",
            "> [!WARNING]",
            "> keyscan scanned no file: check the `path` and `history` inputs"
            " (a range of commits that adds nothing scans nothing).",
        ]
    if findings:
        summary += [
            "",
            "| Severity | Rule | Location | Secret (redacted) | Fingerprint |",
            "|---|---|---|---|---|",
        ]
        for i in order[:MAX_ROWS]:
            f = findings[i]
            loc = f"{workspace_path(f['path'], base)}:{f['line']}:{f['column']}"
            if f.get("commit"):
                loc += f" @ {f['commit'][:12]}"
            sev = f"**{f['severity']}**" if failing(f) else f["severity"]
            summary.append(
                f"| {sev} | {plain(f['rule_name'])} {cell(f['rule_id'])} | {cell(loc)}"
                f" | {cell(f['secret_redacted'])} | {cell(f['fingerprint'])} |"
            )
        if len(order) > MAX_ROWS:
            summary.append(f"\n{len(order) - MAX_ROWS} more findings: see the SARIF or JSON report.")
    text = "\n".join(summary) + "\n"

    sys.stdout.write("".join(l + "\n" for l in lines))
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stderr.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
