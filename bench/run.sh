#!/usr/bin/env bash
# Benchmarks of lockstep detect (not run in CI).  Builds a Release binary,
# generates inputs with `lockstep simulate` (never committed) and prints one
# Markdown table row per run: wall time, rows/s and peak RSS as reported by
# lockstep itself (getrusage), plus user CPU from bash's `times`.
#
#   bash bench/run.sh            # 1e5, 1e6, 1e7 rows + the CooRTweet/QUT sample
#   bash bench/run.sh 1e5 1e6    # only these sizes
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release --target lockstep >/dev/null
LK=$PWD/build-release/lockstep
data=bench/data
mkdir -p "$data"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1e5 1e6 1e7)

measure() { # label, then the lockstep arguments
    local label=$1
    shift
    local err
    err=$(mktemp)
    local t0 t1
    t0=$(date +%s.%N)
    "$LK" "$@" 2>"$err" >/dev/null
    t1=$(date +%s.%N)
    local line
    line=$(tail -n 1 "$err")
    local rss rows
    rss=$(sed -n 's/.*peak RSS \([0-9.]* [KMG]B\).*/\1/p' <<<"$line")
    rows=$(sed -n 's/^lockstep detect: \([0-9]*\) rows.*/\1/p' <<<"$line")
    python3 -c 'import sys; l, r, a, b, m = sys.argv[1:]; w = float(b) - float(a)
print("| %s | %s | %.3f | %.0f | %s |" % (l, r, w, int(r) / w, m))' "$label" "$rows" "$t0" "$t1" "$rss"
    rm -f "$err"
}

echo "| run | rows | wall s | rows/s | peak RSS |"
echo "|---|---|---|---|---|"
for s in "${sizes[@]}"; do
    n=$(printf '%.0f' "$s")
    pop=$((n / 100))
    [ "$pop" -le 100000 ] || pop=100000
    [ "$pop" -ge 100 ] || pop=100
    in=$data/sim_$s
    if [ ! -f "$in/actions.csv" ]; then
        "$LK" simulate -q --seed 1 --actions "$n" --max-popularity "$pop" --no-tweets -o "$in"
    fi
    measure "detect -w 60s, simulated $s rows (max popularity $pop)" detect -w 60s -o "$data/out_$s" "$in/actions.csv"
done
shared=../shared/data/coortweet/russian_coord_tweets.csv.zst
if [ -f "$shared" ]; then
    for i in 1 2 3; do
        measure "--compat coortweet -w 60 -m 2, russian sample (run $i)" detect --compat coortweet -w 60 -m 2 -o "$data/out_ct" "$shared"
    done
    for i in 1 2 3; do
        measure "--compat qut -w 60, russian sample (run $i)" detect --compat qut -w 60 -o "$data/out_qut" "$shared"
    done
    measure "detect -w 60s (native tables), russian sample" detect -w 60s -o "$data/out_native" "$shared"
fi
