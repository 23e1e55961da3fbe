#!/usr/bin/env python3
"""What each expanded source finds: the labelled evaluation corpus, extended
with notebooks, env files, encoded values, archives, UTF-16 and bundles.

Usage:
  cargo run --release --example eval -- --dump BASE      # the rule-pack corpus
  scripts/eval-sources.py BASE OUT [--keyscan target/release/keyscan]

BASE is a dumped corpus (files plus labels.tsv: path, provider, secret).
OUT is created: the base corpus under plain/, and the same labelled keys
placed in each new file kind under its own folder. keyscan runs on OUT
with every expansion on and then with each one off; the table says, per
source, how many labelled keys there are, how many were found at the right
path, and how many of those the source alone contributed.

Every key is a fake from the corpus generator.
"""
import argparse
import base64
import gzip
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import zipfile


def load_labels(base):
    labels = []
    with open(os.path.join(base, "labels.tsv")) as f:
        next(f)
        for line in f:
            path, provider, secret = line.rstrip("\n").split("\t")
            labels.append((path, provider, secret.replace("\\n", "\n")))
    return labels


def zip_bytes(entries):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return b.getvalue()


def tgz_bytes(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def escape_split(s):
    """JSON-encode `s`, with two of its characters as \\u escapes."""
    enc = json.dumps(s)[1:-1]
    if len(s) > 12 and s.isascii():
        i = len(s) // 2
        enc = json.dumps(s[:i])[1:-1] + "\\u%04x\\u%04x" % (ord(s[i]), ord(s[i + 1])) + json.dumps(s[i + 2 :])[1:-1]
    return enc


def build(base, out, rng):
    labels = load_labels(base)
    single = [l for l in labels if "\n" not in l[2] and len(l[2]) >= 16]
    rng.shuffle(single)
    want = []  # (path, secret, source)

    def write(rel, data):
        p = os.path.join(out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    # plain: the base corpus as it is
    for root, _, files in os.walk(base):
        for n in files:
            if n == "labels.tsv":
                continue
            src = os.path.join(root, n)
            rel = os.path.relpath(src, base)
            with open(src, "rb") as f:
                write(os.path.join("plain", rel), f.read())
    for path, _, secret in labels:
        want.append((f"plain/{path}", secret, "plain"))

    take = iter(single)

    def var(provider):
        return provider.upper().replace(" ", "_").replace("-", "_") + "_API_KEY"

    # notebooks: keys in sources (half of them split by escapes) and outputs
    for n in range(20):
        cells = []
        for c in range(3):
            path, provider, secret = next(take)
            code = f'{var(provider)} = "{secret}"'
            src = json.dumps(code)[1:-1] if c % 2 else escape_split(code)
            out_path, out_provider, out_secret = next(take)
            cells.append(
                '{"cell_type": "code", "execution_count": %d, "metadata": {}, '
                '"outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\\n", "%s\\n"]}], '
                '"source": ["import os\\n", "%s\\n"]}'
                % (c + 1, json.dumps(f"{var(out_provider)}={out_secret}")[1:-1], src)
            )
            rel = f"notebooks/nb{n}.ipynb"
            want.append((rel, secret, "notebooks"))
            want.append((rel, out_secret, "notebooks"))
        nb = '{\n "cells": [\n  ' + ",\n  ".join(cells) + '\n ],\n "metadata": {},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'
        write(rel, nb)

    # encoded: Kubernetes Secrets, Docker configs, HTTP Basic headers
    for n in range(15):
        path, provider, secret = next(take)
        rel = f"encoded/k8s/secret{n}.yaml"
        enc = base64.b64encode(secret.encode()).decode()
        write(rel, f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{n}\ntype: Opaque\ndata:\n  {var(provider)}: {enc}\n")
        want.append((rel, secret, "decoded"))
        path, provider, secret = next(take)
        rel = f"encoded/docker/config{n}.json"
        auth = base64.b64encode(f"ci:{secret}".encode()).decode()
        write(rel, '{\n  "auths": {\n    "registry.example.com": {\n      "auth": "%s"\n    }\n  }\n}\n' % auth)
        want.append((rel, secret, "decoded"))
        path, provider, secret = next(take)
        rel = f"encoded/http/call{n}.sh"
        basic = base64.b64encode(f"user:{secret}".encode()).decode()
        write(rel, f"#!/bin/sh\ncurl -H 'Authorization: Basic {basic}' https://api.example.com/v1\n")
        want.append((rel, secret, "decoded"))

    # archives: corpus files in zips, a wheel, a jar in a zip, tar.gz, three levels deep
    base_files = sorted({l[0] for l in labels})
    rng.shuffle(base_files)
    by_path = {}
    for path, _, secret in labels:
        by_path.setdefault(path, []).append(secret)

    def read_base(p):
        with open(os.path.join(base, p), "rb") as f:
            return f.read()

    chunks = [base_files[i : i + 8] for i in range(0, min(len(base_files), 64), 8)]
    for n, chunk in enumerate(chunks):
        entries = [(f"src/{p}", read_base(p)) for p in chunk]
        if n % 4 == 0:
            rel, data, prefix = f"archives/bundle{n}.zip", zip_bytes(entries), ""
        elif n % 4 == 1:
            rel, data, prefix = f"archives/pkg{n}.tar.gz", tgz_bytes(entries), ""
        elif n % 4 == 2:
            rel, data, prefix = f"archives/lib{n}.whl", zip_bytes(entries), ""
        else:
            l3 = zip_bytes(entries)
            l2 = zip_bytes([("l3.jar", l3)])
            rel, data, prefix = f"archives/release{n}.zip", zip_bytes([("l2.zip", l2)]), "l2.zip!l3.jar!"
        write(rel, data)
        for p in chunk:
            for secret in by_path.get(p, []):
                want.append((f"{rel}!{prefix}src/{p}", secret, "archives"))

    # UTF-16 with a BOM
    for n, p in enumerate(base_files[64:84]):
        text = read_base(p).decode("utf-8", "replace")
        bom = b"\xff\xfe" if n % 2 == 0 else b"\xfe\xff"
        enc = text.encode("utf-16-le" if n % 2 == 0 else "utf-16-be")
        rel = f"utf16/{n}_{os.path.basename(p)}"
        write(rel, bom + enc)
        for secret in by_path.get(p, []):
            if "\n" not in secret:
                want.append((rel, secret, "utf16"))

    # bundles: minified JS and public assets
    for n in range(10):
        path, provider, secret = next(take)
        rel = f"web/dist/main.{n:08x}.js"
        write(rel, "var a=function(){return 1};" * 50 + f'window.cfg={{{var(provider)}:"{secret}"}};' + "var b=2;" * 50)
        want.append((rel, secret, "bundles"))

    # env files: tracked .env files (a finding each), an example with a key
    for n in range(5):
        path, provider, secret = next(take)
        rel = f"env/svc{n}/.env"
        write(rel, f"{var(provider)}={secret}\n")
        want.append((rel, secret, "env"))
        want.append((rel, rel, "env"))  # the env-file-committed finding
    path, provider, secret = next(take)
    write("env/.env.example", f"{var(provider)}={secret}\n")
    want.append(("env/.env.example", secret, "env"))
    subprocess.run(["git", "init", "-q", out], check=True)
    subprocess.run(["git", "-C", out, "add", "-f", "env"], check=True)
    return want


def run(keyscan, out, extra):
    r = subprocess.run(
        [keyscan, "--no-config", "--format", "json", "--show-secrets", "--quiet", *extra, out],
        capture_output=True,
        text=True,
    )
    doc = json.loads(r.stdout)
    return {(f["path"], f["secret"]) for f in doc["findings"]}, doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("out")
    ap.add_argument("--keyscan", default="target/release/keyscan")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if os.path.exists(a.out):
        sys.exit(f"{a.out} exists")
    want = build(a.base, a.out, random.Random(a.seed))
    # A file found by the scan of OUT is shown relative to OUT.
    got, doc = run(a.keyscan, a.out, [])
    offs = {
        "notebooks": "--no-notebooks",
        "decoded": "--no-decode",
        "archives": "--no-archives",
        "utf16": "--no-utf16",
        "env": "--no-env-files",
    }
    without = {s: run(a.keyscan, a.out, [flag])[0] for s, flag in offs.items()}
    print(f"{'source':<10} {'keys':>5} {'found':>6} {'recall':>7} {'only with it':>13}")
    for source in ["plain", "notebooks", "decoded", "archives", "utf16", "bundles", "env"]:
        rows = [w for w in want if w[2] == source]
        hit = [w for w in rows if (w[0], w[1]) in got]
        alone = ""
        if source in without:
            alone = str(sum(1 for w in hit if (w[0], w[1]) not in without[source]))
        print(f"{source:<10} {len(rows):>5} {len(hit):>6} {len(hit) / max(1, len(rows)):>7.1%} {alone:>13}")
    labelled = {(w[0], w[1]) for w in want}
    extra = sorted(got - labelled)
    print(f"\nfindings {len(doc['findings'])}, not labelled {len(extra)}")
    print("stats.sources:", json.dumps(doc["stats"]["sources"]))
    for p, s in extra[:20]:
        print("  unlabelled:", p, s[:12] + "...")


if __name__ == "__main__":
    main()
