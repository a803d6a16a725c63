#!/usr/bin/env bash
# What sampling the null copies' account pairs (--null-sample N) changes in
# the calibrated output: for each simulated scenario of bench/evaluate.sh
# (made here if missing), detect with N = 1 (every pair), then larger N,
# and one Markdown row each: the null edges aggregated, the coordinated
# edges, how many of them N = 1 flags too, precision / recall / F1 against
# the planted truth, and the wall time.  At this size (10^6 actions) auto
# takes every pair, so these rows force the sample on inputs where the
# null has the fewest edges to spare.
#   bash bench/null_sample.sh [ACTIONS] [N...]     # default 1000000, N = 4 16
#   LK=/path/lockstep bash bench/null_sample.sh    # another binary
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LK:-}" ]; then
    bash scripts/install-deps.sh
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build build-release --target lockstep >/dev/null
    LK=$PWD/build-release/lockstep
fi
n=${1:-1000000}
shift || true
samples=${*:-4 16}
data=bench/data/eval
# shellcheck source=bench/scenario.sh
. bench/scenario.sh
mkdir -p "$data"

row() { # scenario, N, folder, reference folder, wall
    python3 - "$@" <<'PY'
import csv, json, os, sys
name, n, out, ref, wall = sys.argv[1:]
def pairs(folder):
    with open(os.path.join(folder, "edges.csv"), newline="", encoding="utf-8") as f:
        return {(r["account_a"], r["account_b"]) for r in csv.DictReader(f)}
s = json.load(open(os.path.join(out, "summary.json")))["counts"]["calibration"]
e = json.load(open(os.path.join(out, "evaluation.json")))
got, want = pairs(out), pairs(ref)
print("| %s | %s | %d | %d | %d | %.3f | %.3f | %.3f | %s |" % (
    name, n, s["null_edges"], len(got), len(got & want), e["precision"], e["recall"], e["f1"],
    wall))
PY
}

echo "| scenario | N | null edges | coordinated edges | of them flagged with N = 1 | precision | recall | F1 | wall s |"
echo "|---|---|---|---|---|---|---|---|---|"
for kind in all retweet_ring link_pusher copypasta hashtag_flood reply_swarm; do
    sim=$data/sim_$kind
    scenario "$LK" "$kind" "$n" "$sim"
    ref=$data/ns_${kind}_1
    for s in 1 $samples; do
        out=$data/ns_${kind}_$s
        t0=$(date +%s.%N)
        "$LK" detect -q --null-sample "$s" -o "$out" "$sim/actions.csv"
        t1=$(date +%s.%N)
        "$LK" evaluate -q --truth "$sim/truth.csv" "$out"
        row "$kind" "$s" "$out" "$ref" "$(python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1")"
    done
done
