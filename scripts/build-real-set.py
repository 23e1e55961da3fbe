#!/usr/bin/env python3
"""Build the real-world labelled set from the Samsung CredData dataset.

CredData (https://github.com/Samsung/CredData) labels lines of files in
public repositories: `snapshot.json` names each repository and the commit
its labels were made at, `meta/<id>.csv` gives one row per candidate line
(the file, the line range, GroundTruth T/F/X and a category). CredData
stores the files under hashed names; this script takes them straight from
git mirrors of the repositories instead, at the labelled commit and under
their own paths, so that a scanner sees a file's real name and extension.

Usage:
  scripts/build-real-set.py CREDDATA MIRRORS OUT [--only owner/name ...]

CREDDATA is a checkout (or bare git directory) of CredData; MIRRORS holds
one git directory per repository, MIRRORS/<owner>+<name>/repo (bare, or a
work tree whose .git is used). Repositories without a mirror, or whose
mirror lacks the labelled commit, are skipped and listed at the end. OUT
is created with the layout scripts/eval-real.py reads:

  OUT/files/creddata/<owner>/<name>/<path>     the labelled files
  OUT/labels.jsonl                             one labelled line a row

A line is a credential when a T row covers it, not one when only F rows
do; X rows (the labellers were unsure) are left out. The category maps to
the groups of scripts/eval-real.py: key/token/secret kinds and structured
tokens are the headline, passwords (any row naming one) and URL
credentials apart, UUIDs,
salts, nonces, bucket names and app ids are `other`.

Splits: a repository is `tune` when the first 8 hex digits of
sha256("<owner>/<name>") modulo 100 fall below 70, else `holdout`. Only the
standard library is used.
"""
import argparse
import binascii
import csv
import hashlib
import json
import os
import subprocess
import sys

# CredData category parts, mapped to the scorer's categories.
HEADLINE = {
    "Key": "key", "API": "key", "Token": "token", "Secret": "secret",
    "Auth": "secret", "Credential": "secret", "OTP / 2FA Secret": "secret",
    "CMD Token": "token", "CMD Secret": "secret", "NTLM Token": "token",
    "PEM Private Key": "private-key", "BASE64 Private Key": "private-key",
    "BASE64 encoded PEM Private Key": "private-key",
    "JSON Web Token": "jwt", "JWK": "jwk", "NKEY Seed": "nats",
    "Bearer Authorization": "auth-header", "Basic Authorization": "auth-header",
}
PASSWORD = {
    "Password": "password", "CMD Password": "password", "SQL Password": "password",
    "CURL User Password": "password", "CMD ConvertTo-SecureString": "password",
    "URL Credentials": "url-credential",
}
OTHER = {"UUID", "Salt", "Nonce", "AWS S3 Bucket", "Firebase Domain",
         "Tencent WeChat API App ID", "Other"}


def category_of(cat):
    """The scorer's category and group for a CredData category such as
    `Auth:Basic Authorization` (parts joined by ':')."""
    parts = cat.split(":")
    # A password is a password whatever else the row says (`Key:Password`,
    # `Dropbox App secret:Password`): passwords are kept apart.
    for p in parts:
        if p in PASSWORD and p != "URL Credentials":
            return PASSWORD[p], "password"
    for p in parts:
        if p in HEADLINE:
            return HEADLINE[p], "headline"
    for p in parts:
        if p not in PASSWORD and p not in OTHER:
            return "provider", "headline"  # a named provider's credential
    for p in parts:
        if p in PASSWORD:
            return PASSWORD[p], "password"
    return parts[0].lower().replace(" ", "-"), "other"


def split_of(repo):
    h = int(hashlib.sha256(repo.encode()).hexdigest()[:8], 16)
    return "tune" if h % 100 < 70 else "holdout"


def git_dir(mirrors, repo):
    base = os.path.join(mirrors, repo.replace("/", "+"), "repo")
    for d in (os.path.join(base, ".git"), base):
        if os.path.isfile(os.path.join(d, "HEAD")):
            return d
    return None


def git(gdir, *args, data=None):
    return subprocess.run(["git", "--git-dir", gdir, *args], input=data,
                          capture_output=True, check=False)


def read_creddata(creddata, path):
    """A file of CredData, from a work tree or from HEAD of a git dir."""
    p = os.path.join(creddata, path)
    if os.path.exists(p):
        with open(p, "rb") as f:
            return f.read()
    r = git(creddata if os.path.isfile(os.path.join(creddata, "HEAD")) else
            os.path.join(creddata, ".git"), "show", "HEAD:" + path)
    if r.returncode != 0:
        return None
    return r.stdout


def blobs_at(gdir, commit):
    """path -> blob id of every file at the commit."""
    r = git(gdir, "ls-tree", "-r", "-z", "--full-tree", commit)
    if r.returncode != 0:
        return None
    out = {}
    for entry in r.stdout.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, oid = meta.split()
        if kind == b"blob" and mode != b"120000":
            out[path.decode("utf-8", "surrogateescape")] = oid.decode()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("creddata")
    ap.add_argument("mirrors")
    ap.add_argument("out")
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args()

    snapshot = json.loads(read_creddata(a.creddata, "snapshot.json"))
    files_root = os.path.join(a.out, "files", "creddata")
    os.makedirs(files_root, exist_ok=True)
    labels = []
    skipped = []
    repos = 0
    for repo_id, url in sorted(snapshot.items(), key=lambda kv: kv[1].lower()):
        repo = url.removeprefix("https://github.com/").removesuffix(".git")
        if a.only is not None and repo not in a.only:
            continue
        crc = "%08x" % binascii.crc32(bytes.fromhex(repo_id))
        meta = read_creddata(a.creddata, f"meta/{crc}.csv")
        if not meta:
            skipped.append((repo, "no labels"))
            continue
        rows = list(csv.DictReader(meta.decode().splitlines()))
        gdir = git_dir(a.mirrors, repo)
        if gdir is None:
            skipped.append((repo, "no mirror"))
            continue
        tree = blobs_at(gdir, repo_id[:40])
        if tree is None:
            skipped.append((repo, "commit not in mirror"))
            continue
        by_id = {hashlib.sha256(p.encode()).hexdigest()[:8]: p for p in tree}
        wanted = {r["FileID"] for r in rows}
        missing = wanted - by_id.keys()
        if len(missing) == len(wanted):
            skipped.append((repo, "no labelled file found"))
            continue
        repos += 1
        split = split_of(repo)
        for fid in sorted(wanted - missing):
            path = by_id[fid]
            blob = git(gdir, "cat-file", "blob", tree[path])
            dest = os.path.join(files_root, repo, path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(blob.stdout)
        # One label per (file, first line): a T row wins over F rows.
        lines = {}
        for r in rows:
            if r["FileID"] in missing or r["GroundTruth"] not in ("T", "F"):
                continue
            path = by_id[r["FileID"]]
            start, end = int(r["LineStart"]), int(r["LineEnd"])
            truth = r["GroundTruth"] == "T"
            cat, group = category_of(r["Category"])
            key = (path, start)
            old = lines.get(key)
            rank = (truth, group == "headline")
            if old is None or rank > old[0]:
                lines[key] = (rank, end, truth, cat, group)
        for (path, start), (_, end, truth, cat, group) in sorted(lines.items()):
            lab = {"path": f"files/creddata/{repo}/{path}", "line": start,
                   "label": truth, "category": cat,
                   "group": group if truth else "negative",
                   "source": "creddata", "repo": repo, "split": split}
            if end > start:
                lab["line_end"] = end
            labels.append(lab)
        if missing:
            skipped.append((repo, f"{len(missing)} of {len(wanted)} labelled files not found"))
    with open(os.path.join(a.out, "labels.jsonl"), "w") as f:
        for lab in labels:
            f.write(json.dumps(lab) + "\n")
    heads = sum(1 for x in labels if x["label"] and x["group"] == "headline")
    print(f"{repos} repositories, {len(labels)} labelled lines, {heads} headline credentials")
    for repo, why in skipped:
        print(f"  skipped {repo}: {why}", file=sys.stderr)


if __name__ == "__main__":
    main()
