#!/usr/bin/env bash
# Whole-process comparison on one tree, in one run, warm cache:
#   keyscan                     the full rule pack
#   rg -c -i -F -f KEYWORDS     ripgrep doing only the prefilter's work (the read limit)
#   cat                         reading every file (the I/O floor)
#   betterleaks fs, kingfisher  peers, where installed (validation and update checks off)
# Prints median wall time, CPU time and peak RSS over RUNS runs, and ratios.
#
# Usage: benches/compare.sh TREE [RUNS]
# Env:   KEYSCAN (default target/release/keyscan), BETTERLEAKS, KINGFISHER, RG
#        KEYSCAN_ARGS extra keyscan options (e.g. "--max-file-size 1G" for
#        the single 500 MB file; "--threads 1" for scaling)
set -euo pipefail

tree=${1:?usage: benches/compare.sh TREE [RUNS]}
runs=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
keyscan=${KEYSCAN:-$here/target/release/keyscan}
rg=${RG:-rg}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$keyscan" ] || { echo "build keyscan first: cargo build --release" >&2; exit 2; }
"$keyscan" rules --format json | python3 -c '
import json, sys
kws = sorted({k for r in json.load(sys.stdin) for k in r["keywords"]})
print("\n".join(kws))' > "$tmp/keywords"
echo "tree: $tree ($(du -sh --apparent-size "$tree" | cut -f1), $(find "$tree" -type f | wc -l) files); $(wc -l < "$tmp/keywords") keywords; $runs runs each"

# The tools' runs are interleaved (keyscan, rg, cat, ..., then again), so
# that a machine whose speed drifts (a shared VM) slows them alike; each
# tool's medians are kept.
declare -A WALL CPU RSS
declare -a NAMES
declare -A CMDS
add() {
    local name=$1; shift
    NAMES+=("$name")
    CMDS[$name]=$(printf '%q ' "$@")
}
summarise() {
    local name=$1
    read -r "WALL[$name]" "CPU[$name]" "RSS[$name]" < <(python3 - "$tmp/$name.times" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
wall = statistics.median(r[0] for r in rows)
cpu = statistics.median(r[1] + r[2] for r in rows)
rss = statistics.median(r[3] for r in rows) / 1024
print(f"{wall:.3f} {cpu:.3f} {rss:.1f}")
PY
)
    printf '%-12s wall %7.3f s   cpu %7.3f s   peak RSS %7.1f MiB\n' "$name" "${WALL[$name]}" "${CPU[$name]}" "${RSS[$name]}"
}

# shellcheck disable=SC2086 # KEYSCAN_ARGS is a list of options
add keyscan "$keyscan" --no-config --quiet ${KEYSCAN_ARGS:-} "$tree"
add rg "$rg" -c -i -F --hidden -f "$tmp/keywords" "$tree"
add cat sh -c "find '$tree' -type f -print0 | xargs -0 cat"
if [ -n "${BETTERLEAKS:-}" ] && [ -x "$BETTERLEAKS" ]; then
    add betterleaks "$BETTERLEAKS" fs "$tree" --no-banner -s --exit-code 0 -o "$tmp/bl.json"
fi
if [ -n "${KINGFISHER:-}" ] && [ -x "$KINGFISHER" ]; then
    add kingfisher "$KINGFISHER" scan "$tree" --no-validate --no-update-check --git-history none -f json -o "$tmp/kf.json" -q
fi
for name in "${NAMES[@]}"; do
    eval "${CMDS[$name]}" >/dev/null 2>&1 || true   # warm-up
    : > "$tmp/$name.times"
done
for ((i = 0; i < runs; i++)); do
    for name in "${NAMES[@]}"; do
        eval "/usr/bin/time -f '%e %U %S %M' -o '$tmp/t' ${CMDS[$name]}" >/dev/null 2>&1 || true
        tail -n 1 "$tmp/t" >> "$tmp/$name.times"
    done
done
for name in "${NAMES[@]}"; do
    summarise "$name"
done

echo
python3 - "${WALL[keyscan]}" "${WALL[rg]}" "${WALL[cat]}" "${WALL[betterleaks]:-}" "${WALL[kingfisher]:-}" <<'PY'
import sys
ks, rg, cat, bl, kf = sys.argv[1:6]
ks, rg, cat = float(ks), float(rg), float(cat)
print(f"keyscan / rg          = {ks / rg:.2f}x")
print(f"keyscan / cat         = {ks / cat:.2f}x")
if bl: print(f"betterleaks / keyscan = {float(bl) / ks:.2f}x")
if kf: print(f"kingfisher / keyscan  = {float(kf) / ks:.2f}x")
PY
