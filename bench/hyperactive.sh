#!/usr/bin/env bash
# What a few hyperactive accounts do to the calibration: a simulated input
# (lockstep simulate --seed 1, made here if missing), then the same with K
# accounts (3) added that share M random shared posts each, 0-30 minutes
# after them (far heavier than anyone else, not coordinated).  One Markdown row
# each: the planted accounts flagged, precision, the hyperactive accounts
# flagged, the null edges, the wall time.  Every pair of the null is aggregated at the sizes this is meant for
# (below 2^27 in-window pairs, --null-sample auto).
#   bash bench/hyperactive.sh [ACTIONS] [M] [K]   # default 10000000 150000 3
#   LK=/path/lockstep bash bench/hyperactive.sh 1000000 30000 10
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LK:-}" ]; then
    bash scripts/install-deps.sh
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build build-release --target lockstep >/dev/null
    LK=$PWD/build-release/lockstep
fi
n=${1:-10000000}
m=${2:-150000}
k=${3:-3}
sim=bench/data/hyper_$n
[ -f "$sim/actions.csv" ] ||
    "$LK" simulate -q --seed 1 --actions "$n" --max-popularity 100000 --no-tweets -o "$sim"
python3 - "$sim/actions.csv" "$sim/hyper_${k}x$m.csv" "$m" "$k" <<'PY'
import csv, random, sys
src, dst, m, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(src, newline="", encoding="utf-8") as f:
    r = csv.reader(f)
    hdr = next(r)
    shares = [row for row in r if row[4] == "share"]
rnd = random.Random(3)
with open(dst, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(hdr)
    for h in range(k):
        for i, row in enumerate(rnd.sample(shares, m)):
            w.writerow([row[0], "hyper%d" % h, "hyper%d_%d" % (h, i),
                        int(row[3]) + rnd.randint(0, 1800), "share"])
PY
echo "| input | planted flagged | precision | hyperactive flagged | null edges | wall s |"
echo "|---|---|---|---|---|---|"
for extra in "" "$sim/hyper_${k}x$m.csv"; do
    out=$(mktemp -d)
    start=$(date +%s%N)
    # shellcheck disable=SC2086
    "$LK" detect -q -t 2 -o "$out" "$sim/actions.csv" $extra
    wall=$((($(date +%s%N) - start) / 1000000))
    "$LK" evaluate -q --truth "$sim/truth.csv" "$out"
    python3 - "$out" "$n" "$m" "$k" "${extra:+1}" "$wall" <<'PY'
import csv, json, os, sys
out, n, m, k, hyper, wall = sys.argv[1:]
with open(os.path.join(out, "accounts.csv"), newline="", encoding="utf-8") as f:
    nh = sum(r["account_id"].startswith("hyper") for r in csv.DictReader(f))
e = json.load(open(os.path.join(out, "evaluation.json")))
s = json.load(open(os.path.join(out, "summary.json")))["counts"]["calibration"]
name = "%s actions" % n + (" + %s x %s hyperactive" % (k, m) if hyper else "")
prec = "%.3f" % e["precision"] if e["flagged"] else "-"
print("| %s | %d / %d | %s | %d | %d | %.1f |" % (name, e["true_positives"], e["positives"], prec,
                                                 nh, s["null_edges"], int(wall) / 1000))
PY
    rm -rf "$out"
done
