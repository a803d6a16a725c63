#!/usr/bin/env bash
# run.sh - the report's browser test (ctest: browser.report).
#
# Opens report.html of the CooRTweet russian sample (../shared/data; left
# out when absent), of a simulated run and of hostile ids in Debian's
# chromium, driven by
# playwright-core from npm (tests/browser/package.json; never a browser
# download).  Exits 77 (skipped) only when node or chromium is missing.
#
# Environment (set by ctest):
#   LOCKSTEP        the lockstep binary under test
#   LK_SHARED_DATA  ../shared/data
#   LK_BROWSER_OUT  work folder in the build tree; screenshots go to
#                   $LK_BROWSER_OUT/screenshots
#   CHROMIUM        the browser [/usr/bin/chromium]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${LOCKSTEP:?LOCKSTEP is not set}"
out=${LK_BROWSER_OUT:-$PWD/browser-test}
chromium=${CHROMIUM:-/usr/bin/chromium}

if ! command -v node >/dev/null 2>&1; then
    echo "SKIP: node is not installed (scripts/install-deps.sh --test installs it)"
    exit 77
fi
if [ ! -x "$chromium" ]; then
    echo "SKIP: $chromium is not installed (scripts/install-deps.sh --test installs it)"
    exit 77
fi

# playwright-core from the committed lock file, once: offline runs reuse
# node_modules.  flock keeps two builds testing at once from racing.
bash "$here/npm-install.sh"

rm -rf "$out"
mkdir -p "$out/screenshots"
cd "$out"
reports=()
data=${LK_SHARED_DATA:-}/coortweet/russian_coord_tweets.csv.zst
if [ -f "$data" ]; then
    # weight:2 gives a non-empty network on this sample (32 edges, 26 groups)
    "$LOCKSTEP" detect -q --threshold weight:2 -o russian "$data"
    reports+=("russian=$out/russian/report.html")
else
    echo "note: $data is absent; only the simulated run is opened"
fi
"$LOCKSTEP" simulate -q --seed 5 --actions 40K --max-popularity 500 -o sim-in
"$LOCKSTEP" detect -q -o simulated sim-in/actions.csv
reports+=("simulated=$out/simulated/report.html")
# markup, quotes, javascript: URLs and bidi controls in every id
# (tests/data/report/hostile.csv, written by tests/py/test_report_escape.py)
"$LOCKSTEP" detect -q -w 60 -m 1 --threshold weight:1 -o hostile "$here/../data/report/hostile.csv"
reports+=("hostile=$out/hostile/report.html")

NODE_PATH="$here/node_modules" CHROMIUM="$chromium" \
    node "$here/report.spec.js" "$out/screenshots" "${reports[@]}"
