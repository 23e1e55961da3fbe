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

scope=()
if [ "$MODE" = full ]; then
  scope=(--history)
elif [ "$MODE" = auto ]; then
  if [ "${EVENT:-}" = pull_request ] && [ -n "${PR_BASE:-}" ]; then
    scope=(--range "$PR_BASE..$PR_HEAD")
  elif [ "${EVENT:-}" = push ] && [ -n "${PUSH_BEFORE:-}" ] \
    && [ "$PUSH_BEFORE" != 0000000000000000000000000000000000000000 ]; then
    scope=(--range "$PUSH_BEFORE..$GITHUB_SHA")
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
