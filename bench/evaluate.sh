#!/usr/bin/env bash
# Detection quality on simulated scenarios of about 10^6 actions (the
# calibration issue's acceptance), default settings against CooRTweet's
# defaults (--compat coortweet -w 10 -m 2, edges above the median weight).
# One scenario with every planted kind, then one per kind (6 groups of 8).
# Prints a Markdown table; inputs go to bench/data (never committed).
#   bash bench/evaluate.sh [ACTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release --target lockstep >/dev/null
LK=$PWD/build-release/lockstep
n=${1:-1000000}
data=bench/data/eval
# shellcheck source=bench/scenario.sh
. bench/scenario.sh
mkdir -p "$data"

row() { # scenario, mode, folder, wall
    python3 - "$1" "$2" "$3/evaluation.json" "$4" <<'PY'
import json, sys
name, mode, path, wall = sys.argv[1:]
e = json.load(open(path))
f = e["false_positive_rate"]
print("| %s | %s | %.3f | %.3f | %.3f | %s | %s | %s | %s |" % (
    name, mode, e["precision"], e["recall"], e["f1"],
    "%d/%d" % (f["fan"]["flagged"], f["fan"]["accounts"]),
    "%d/%d" % (f["newsbot"]["flagged"], f["newsbot"]["accounts"]),
    "%d/%d" % (f["organic"]["flagged"], f["organic"]["accounts"]), wall))
PY
}

timed() { # the lockstep arguments; prints the wall time
    local t0 t1
    t0=$(date +%s.%N)
    "$LK" "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1"
}

echo "| scenario | mode | precision | recall | F1 | fans flagged | news bots flagged | organic flagged | wall s |"
echo "|---|---|---|---|---|---|---|---|---|"
for kind in all retweet_ring link_pusher copypasta hashtag_flood reply_swarm slow_ring; do
    sim=$data/sim_$kind
    scenario "$LK" "$kind" "$n" "$sim"
    out=$data/out_$kind
    w=$(timed detect -q -o "$out" "$sim/actions.csv")
    "$LK" evaluate -q --truth "$sim/truth.csv" "$out"
    row "$kind" "default" "$out" "$w"
    if [ "$kind" = slow_ring ]; then
        out=$data/out_${kind}_30m
        w=$(timed detect -q -w 30m -o "$out" "$sim/actions.csv")
        "$LK" evaluate -q --truth "$sim/truth.csv" "$out"
        row "$kind" "-w 30m" "$out" "$w"
    fi
    # CooRTweet's defaults; its flagged accounts are those of the edges above
    # the median weight (weight_threshold = 1)
    out=$data/ct_$kind
    w=$(timed detect -q --compat coortweet -w 10 -m 2 -o "$out" "$sim/actions.csv")
    python3 - "$out" <<'PY'
import csv, sys
d = sys.argv[1]
acc = set()
for r in csv.DictReader(open(d + "/edges.csv")):
    if r["weight_threshold"] == "1":
        acc.update((r["account_a"], r["account_b"]))
with open(d + "/accounts.csv", "w") as f:
    f.write("account_id,group_id\n")
    for a in sorted(acc):
        f.write(a + ",\n")
PY
    "$LK" evaluate -q --truth "$sim/truth.csv" "$out"
    row "$kind" "CooRTweet defaults" "$out" "$w"
done
