#!/usr/bin/env bash
# The GitHub Action's scan (action.yml, step "Scan"): what to scan from the
# event and the `history` input, one SARIF report (for code scanning) and
# one JSON report (for the job summary and the annotations, report.py).
#
# Environment: KEYSCAN (the binary), MODE (history input), SCAN_PATH, FAIL_ON,
# CATEGORY, KEYSCAN_ARGS (the args input), ANNOTATIONS, OUT_DIR; EVENT, PR_BASE, PR_HEAD,
# PUSH_BEFORE and GITHUB_SHA from the event. Outputs: sarif, json, exit-code.
set -euo pipefail

out() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >>"$GITHUB_OUTPUT"; else echo "$1"; fi
}

# actions/checkout clones one commit deep by default. A range needs its
# base and every commit between: fetch the base, then deepen the tip until
# the two meet (50 commits at a time, then the whole history), so a pull
# request or push is scanned without asking for `fetch-depth: 0`.
# keyscan itself refuses a range a shallow clone cannot answer (exit 2).
fetch_for_range() {
  local base=$1 head=$2 dir
  dir=$SCAN_PATH
  [ -d "$dir" ] || dir=$(dirname "$dir")
  [ "$(git -C "$dir" rev-parse --is-shallow-repository 2>/dev/null)" = true ] || return 0
  case "$base" in "" | 0000000000000000000000000000000000000000) return 0 ;; esac
  git -C "$dir" cat-file -e "$base^{commit}" 2>/dev/null \
    || git -C "$dir" fetch --no-tags --quiet --depth=1 origin "$base" || return 0
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    git -C "$dir" merge-base "$base" "$head" >/dev/null 2>&1 && return 0
    git -C "$dir" fetch --no-tags --quiet --deepen=50 origin "$head" 2>/dev/null \
      || git -C "$dir" fetch --no-tags --quiet --deepen=50 origin || break
  done
  git -C "$dir" merge-base "$base" "$head" >/dev/null 2>&1 \
    || git -C "$dir" fetch --no-tags --quiet --unshallow origin || true
}

scope=()
if [ "$MODE" = full ]; then
  if [ "$(git -C "$SCAN_PATH" rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
    git -C "$SCAN_PATH" fetch --no-tags --quiet --unshallow origin || true
  fi
  scope=(--history)
elif [ "$MODE" = auto ]; then
  if [ "${EVENT:-}" = pull_request ] && [ -n "${PR_BASE:-}" ]; then
    fetch_for_range "$PR_BASE" "$PR_HEAD"
    scope=(--range "$PR_BASE..$PR_HEAD")
  elif [ "${EVENT:-}" = push ] && [ -n "${GITHUB_SHA:-}" ]; then
    # An empty or all-zero `before` (a new branch) is keyscan's to handle:
    # it scans the pushed commits and says so.
    fetch_for_range "${PUSH_BEFORE:-}" "$GITHUB_SHA"
    scope=(--range "${PUSH_BEFORE:-}..$GITHUB_SHA")
  fi
fi
# The args input is split as the shell would split it, as when it was
# pasted into the step's script; it is the workflow author's own text.
# (Empty arrays are expanded as ${a[@]+"${a[@]}"}: macOS's bash 3.2 with
# set -u calls "${a[@]}" of an empty array unbound.)
extra=()
eval "extra=(${KEYSCAN_ARGS:-})"

mkdir -p "$OUT_DIR"
sarif=$OUT_DIR/keyscan.sarif
json=$OUT_DIR/keyscan.json
set +e
"$KEYSCAN" ${scope[@]+"${scope[@]}"} --format sarif --output "$sarif" --sarif-category "$CATEGORY" \
  --fail-on "$FAIL_ON" ${extra[@]+"${extra[@]}"} "$SCAN_PATH"
code=$?
set -e
out "sarif=$sarif"
out "exit-code=$code"
# The same scan as JSON, redacted (no --show-secrets), for the summary and
# the annotations; its exit code is the first run's.
"$KEYSCAN" ${scope[@]+"${scope[@]}"} --quiet --format json --output "$json" ${extra[@]+"${extra[@]}"} "$SCAN_PATH" || true
out "json=$json"
if [ "${ANNOTATIONS:-true}" = true ] && [ -s "$json" ]; then
  py=$(command -v python3 || command -v python || true)
  if [ -n "$py" ]; then
    "$py" "$(dirname "$0")/report.py" "$json" "$FAIL_ON" "$SCAN_PATH"
  else
    echo "::warning title=keyscan::no python on this runner: no job summary or annotations (the SARIF report is complete)"
  fi
fi
