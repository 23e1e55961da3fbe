#!/usr/bin/env python3
"""Figures for `keyscan --repos` and `keyscan merge` (issue 22).

Generates N local git repositories (default 200) with a few thousand
commits in total (written with `git fast-import`, so generation takes
seconds), and plants fake keys in known places: most keys in one
repository, some of the same keys in several. Every key is generated here,
at run time, from random bytes: nothing secret-shaped is stored in this
script or in the repository.

Then it scans the list with one process and with 4 shards merged, and
checks:
- the merged report is byte-identical to the one-process report;
- every repository is scanned exactly once across the shards;
- every planted key is reported once per place, nothing else is reported,
  and each key found in several repositories is one `secrets` entry with
  all its places;
and measures time and peak memory (/usr/bin/time) with --repo-jobs 1 and
2, on N repositories and on N/4 (memory must not grow with the count).

Usage: scripts/many-repos.py [--repos 200] [--keyscan target/release/keyscan] [--work DIR]
"""

import argparse
import json
import os
import random
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import time

ALNUM = string.ascii_letters + string.digits
WORDS = ("alpha beta gamma delta build deploy config service handler request "
         "response cache queue worker metric export import module render").split()


def fake_openai():
    """A fake OpenAI project key of the documented shape, random."""
    body = lambda n: "".join(secrets.choice(ALNUM) for _ in range(n))
    return "sk-" + "proj-" + body(48) + "T3Blbk" + "FJ" + body(48)


def fake_anthropic():
    """A fake Anthropic API key of the documented shape, random."""
    chars = ALNUM + "-_"
    return "sk-" + "ant-api03-" + "".join(secrets.choice(chars) for _ in range(93)) + "AA"


def filler(rng, lines):
    return "".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) + f" {rng.randint(0, 9999)}\n"
        for _ in range(lines)
    )


def fast_import_stream(rng, commits, planted):
    """A fast-import stream: `commits` commits on main touching a few
    files each; the last adds the planted files (path -> text)."""
    out = []
    files = [f"src/mod{i}.py" for i in range(rng.randint(3, 8))] + ["README.md"]
    when = 1_700_000_000
    for c in range(commits):
        last = c == commits - 1
        changes = dict(planted) if last else {
            p: filler(rng, rng.randint(5, 40)) for p in rng.sample(files, rng.randint(1, 3))
        }
        msg = f"change {c}\n"
        out.append("commit refs/heads/main\n")
        out.append(f"committer Gen <gen@example.com> {when + c * 60} +0000\n")
        out.append(f"data {len(msg.encode())}\n{msg}")
        for path, text in changes.items():
            data = text.encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n")
            out.append(data.decode() + "\n")
    return "".join(out)


def generate(work, n, seed):
    rng = random.Random(seed)
    repos_dir = os.path.join(work, "repos")
    os.makedirs(repos_dir)
    names = [f"r{i:03d}" for i in range(n)]
    # Keys: one per repository for a fifth of them, plus shared keys, each
    # in 2 to 5 repositories.
    expected = []  # (repo, path, line, key)
    planted = {name: {} for name in names}

    def plant(repo, key, path, line):
        text = planted[repo].get(path, "")
        existing = text.count("\n")
        pad = "".join(f"# {rng.choice(WORDS)} {k}\n" for k in range(existing, line - 1))
        var = "OPENAI_API_KEY" if key.startswith("sk-proj") else "ANTHROPIC_API_KEY"
        planted[repo][path] = text + pad + f'{var} = "{key}"\n'
        expected.append((repo, path, line, key))

    for name in rng.sample(names, n // 5):
        key = fake_openai() if rng.random() < 0.5 else fake_anthropic()
        plant(name, key, rng.choice(["config/settings.py", "app/keys.py"]), rng.randint(1, 12))
    shared = []
    for _ in range(max(1, n // 20)):
        key = fake_openai() if rng.random() < 0.5 else fake_anthropic()
        holders = rng.sample(names, rng.randint(2, 5))
        for name in holders:
            plant(name, key, "deploy/env.py", len(planted[name].get("deploy/env.py", "").splitlines()) + 1)
        shared.append((key, sorted(holders)))
    total_commits = 0
    for name in names:
        path = os.path.join(repos_dir, name)
        subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
        commits = rng.randint(5, 25)
        total_commits += commits
        stream = fast_import_stream(rng, commits, planted[name])
        subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input=stream.encode(), check=True)
        subprocess.run(["git", "-C", path, "reset", "-q", "--hard", "main"], check=True)
    return names, expected, shared, total_commits


def run(cmd, cwd, timed=False):
    if timed:
        cmd = ["/usr/bin/time", "-f", "%e s %M KiB"] + cmd
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if p.returncode not in (0, 1, 3):
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr}")
    return p.stderr.strip().splitlines()[-1] if timed else p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--keyscan", default="target/release/keyscan")
    ap.add_argument("--work", default=None)
    ap.add_argument("--seed", type=int, default=22)
    args = ap.parse_args()
    keyscan = os.path.abspath(args.keyscan)
    work = args.work or tempfile.mkdtemp(prefix="many-repos-")
    if os.path.exists(work) and os.listdir(work):
        sys.exit(f"{work} is not empty")
    os.makedirs(work, exist_ok=True)
    t = time.time()
    names, expected, shared, commits = generate(work, args.repos, args.seed)
    print(f"generated {len(names)} repositories, {commits} commits, "
          f"{len(expected)} planted places of {len({e[3] for e in expected})} keys "
          f"({len(shared)} keys in several repositories) in {time.time() - t:.1f}s; work dir {work}")
    with open(os.path.join(work, "list.txt"), "w") as f:
        f.write("".join(f"repos/{n}\n" for n in names))
    with open(os.path.join(work, "list-quarter.txt"), "w") as f:
        f.write("".join(f"repos/{n}\n" for n in names[: len(names) // 4]))
    base = [keyscan, "--no-config", "-q"]

    # One process, then 4 shards merged.
    run(base + ["--repos", "list.txt", "-f", "json", "-o", "single.json"], work)
    shard_repos = []
    for i in range(4):
        run(base + ["--repos", "list.txt", "--shard", f"{i}/4", "-f", "json", "-o", f"shard-{i}.json"], work)
        with open(os.path.join(work, f"shard-{i}.json")) as f:
            shard_repos.append([r["repository"] for r in json.load(f)["repositories"]])
    run([keyscan, "merge", "-q", "shard-3.json", "shard-1.json", "shard-0.json", "shard-2.json",
         "-o", "merged.json"], work)
    single = open(os.path.join(work, "single.json"), "rb").read()
    merged = open(os.path.join(work, "merged.json"), "rb").read()
    doc = json.loads(merged)
    all_scanned = [r for s in shard_repos for r in s]
    print(f"shard sizes: {[len(s) for s in shard_repos]}; repositories scanned across shards: "
          f"{len(all_scanned)}, distinct: {len(set(all_scanned))}, list: {len(names)}")
    print(f"merged report byte-identical to the one-process report: {single == merged}")
    want = sorted((f"repos/{r}", p, l) for r, p, l, _ in expected)
    got = sorted((f["repository"], f["path"], f["line"]) for f in doc["findings"])
    print(f"planted places: {len(want)}; findings: {len(got)}; "
          f"every planted place reported exactly once and nothing else: {want == got}")
    groups = {tuple(sorted(loc["repository"] for loc in s["locations"])) for s in doc["secrets"]}
    grouped = all(tuple(f"repos/{h}" for h in holders) in groups for _, holders in shared)
    print(f"secrets entries: {len(doc['secrets'])} (distinct planted keys: {len({e[3] for e in expected})}); "
          f"each shared key is one entry with all its repositories: {grouped}")
    ok = single == merged and want == got and grouped and sorted(all_scanned) == sorted(f"repos/{n}" for n in names)

    # Time and peak memory.
    for lst, label in (("list.txt", f"{len(names)} repos"), ("list-quarter.txt", f"{len(names) // 4} repos")):
        for jobs in ("1", "2"):
            m = run(base + ["--repos", lst, "--repo-jobs", jobs, "-f", "json", "-o", "timed.json"], work, timed=True)
            print(f"{label}, --repo-jobs {jobs}: {m}")
    m = run(base + ["--repos", "list.txt", "--repo-jobs", "2", "--history", "-f", "json", "-o", "timed.json"],
            work, timed=True)
    print(f"{len(names)} repos, --repo-jobs 2 --history: {m}")
    m = run([keyscan, "merge", "-q", "shard-0.json", "shard-1.json", "shard-2.json", "shard-3.json",
             "-o", "merged2.json"], work, timed=True)
    print(f"merge of 4 shard reports: {m}")
    if not ok:
        sys.exit("FAILED")


if __name__ == "__main__":
    main()
