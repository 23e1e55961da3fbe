#!/bin/sh
# Opens the HTML report of fixtures/ in headless Chromium (not a CI test:
# CI does not need a browser). Takes a screenshot, then checks that the
# filters set from the URL fragment hide rows in a real browser, and that
# no markup from the scanned files became elements.
# Usage: scripts/html-report-browser-check.sh [KEYSCAN] [OUT_DIR]
set -eu
KEYSCAN=${1:-target/debug/keyscan}
OUT=${2:-$(mktemp -d)}
mkdir -p "$OUT"
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
"$KEYSCAN" -q --no-config --format html --output "$OUT/report.html" fixtures/basic fixtures/parts || true
URL="file://$OUT/report.html"
run() { "$CHROMIUM" --headless --no-sandbox --disable-gpu "$@" 2>/dev/null; }
run --window-size=1400,900 --screenshot="$OUT/report.png" "$URL" >/dev/null
echo "screenshot: $OUT/report.png"
for fragment in "" "#severity=critical" "#rule=aws-access-key" "#confidence=low" "#file=settings"; do
  dom=$(run --dump-dom "$URL$fragment")
  rows=$(printf '%s' "$dom" | grep -o '<tr data-severity[^>]*>' | wc -l)
  shown=$(printf '%s' "$dom" | grep -o '<tr data-severity[^>]*>' | grep -vc ' hidden' || true)
  counter=$(printf '%s' "$dom" | sed -n 's/.*id="shown">\([0-9]*\)<.*/\1/p')
  echo "${fragment:-(no filter)}: $shown of $rows rows shown, counter says $counter"
  [ "$shown" = "$counter" ]
done
