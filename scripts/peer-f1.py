#!/usr/bin/env python3
"""F1 of keyscan on the peers' own rule examples (../shared/peer-examples).

Usage: scripts/peer-f1.py [--keyscan target/release/keyscan] [--examples DIR] [--misses]

A positive example counts as found when keyscan reports a finding in its
file on one of its labelled lines (or any line where the label says
`any_line`). A negative example is a false positive when keyscan reports
anything in its file. Negatives marked `disputed` (they hold a well-formed
key) are left out of the score and listed with --misses.
"""
import argparse
import glob
import json
import re
import os
import subprocess
import sys
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keyscan", default="target/release/keyscan")
    ap.add_argument("--examples", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "peer-examples"))
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--by-source", action="store_true")
    a = ap.parse_args()
    files = os.path.join(a.examples, "files")
    out = subprocess.run(
        [a.keyscan, "--format", "json", "--no-config", "-q", files],
        capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"keyscan failed ({out.returncode}): {out.stderr.strip()}")
    found = defaultdict(set)
    rules = defaultdict(set)
    for f in json.loads(out.stdout)["findings"]:
        p = os.path.relpath(os.path.join(files, f["path"]) if not os.path.isabs(f["path"]) else f["path"], files)
        found[p].add(f["line"])
        rules[p].add(f["rule_id"])
    pos = [json.loads(l) for l in open(os.path.join(a.examples, "labels.jsonl"))]
    neg = [json.loads(l) for l in open(os.path.join(a.examples, "negatives.jsonl"))]
    tp, fn, fp, tn = [], [], [], []
    for l in pos:
        lines = found.get(l["path"], set())
        hit = bool(lines) if l.get("any_line") else any(l["line_start"] <= x <= l["line_end"] for x in lines)
        (tp if hit else fn).append(l)
    disputed = [n for n in neg if n.get("disputed")]
    for n in neg:
        if n.get("disputed"):
            continue
        (fp if found.get(n["path"]) else tn).append(n)
    p = len(tp) / max(1, len(tp) + len(fp))
    r = len(tp) / max(1, len(pos))
    f1 = 2 * p * r / max(1e-9, p + r)
    print(f"positives {len(pos)}  found {len(tp)}  missed {len(fn)}")
    print(f"negatives {len(neg) - len(disputed)} (+{len(disputed)} disputed, not scored)  false positives {len(fp)}")
    print(f"precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}")
    # The checksum policy: a peer positive whose token a rule's negative
    # examples name (it fails the provider's checksum) is not a finding by
    # design. This second line leaves those out; the line above is the score.
    named = rule_negative_tokens(os.path.join(os.path.dirname(__file__), "..", "rules"))
    policy = [l for l in pos if tokens(l["secret"]) & named]
    if policy:
        ptp = [l for l in tp if l not in policy]
        pp = len(ptp) / max(1, len(ptp) + len(fp))
        pr = len(ptp) / max(1, len(pos) - len(policy))
        pf = 2 * pp * pr / max(1e-9, pp + pr)
        print(f"without the {len(policy)} positives a rule's negatives name (checksum policy): "
              f"precision {pp:.3f}  recall {pr:.3f}  F1 {pf:.3f}")
    if a.by_source:
        for s in sorted({l["source"] for l in pos}):
            t = sum(1 for l in tp if l["source"] == s)
            n = sum(1 for l in pos if l["source"] == s)
            print(f"  {s:12} {t}/{n}")
    if a.misses:
        print("\nmissed:")
        for l in fn:
            print(f"  {l['path']}  [{l.get('provider')}/{l.get('rule')}]  {l['secret'][:100]!r}")
        print("\nfalse positives:")
        for n in fp:
            print(f"  {n['path']}  {sorted(rules[n['path']])}  {n['text'][:100]!r}")
        print("\ndisputed negatives (found: yes/no):")
        for n in disputed:
            print(f"  {n['path']}  {'yes' if found.get(n['path']) else 'no'}  {n['disputed']}")


def tokens(text):
    """Token-like runs (20+ characters) in a text."""
    return set(re.findall(r"[A-Za-z0-9_]{20,}", text))


def rule_negative_tokens(rules_dir):
    """Token-like runs in the rules' negative examples that a comment marks
    as failing the provider's checksum (a comment naming "CRC" or
    "checksum" covers the negatives after it, up to the next comment)."""
    out = set()
    for path in glob.glob(os.path.join(rules_dir, "*.toml")):
        body = open(path, encoding="utf-8").read()
        for block in re.findall(r"^negatives = \[(.*?)^\]", body, re.S | re.M):
            policy = False
            for line in block.splitlines():
                line = line.strip()
                if line.startswith("#"):
                    policy = "CRC" in line or "checksum" in line
                elif policy:
                    out |= tokens(line)
    return out


if __name__ == "__main__":
    main()
