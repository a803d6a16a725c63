#!/usr/bin/env bash
# Threads and memory cap (not run in CI).  One Release binary, one input,
# several runs: --threads 1 and 2 without a cap, then with --max-mem caps
# that make the pair stage spill.  Prints one Markdown row per run: wall
# time, CPU time, peak RSS, the stage times of -v (reading, aggregation,
# calibration) and the bytes spilled to --tmp-dir.  Every run's outputs are
# compared with the first run's (byte-identical, or the script fails).
#
#   bash bench/scale.sh                 # bench/data/sim_1e7 (made by bench/run.sh)
#   bash bench/scale.sh 1e6 "2G 1G"     # another size and other caps
#   CAPPED_ONLY=1 bash bench/scale.sh 1e8 4G   # only the capped runs (10^8
#                                       # actions do not fit in RAM uncapped)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1e7}
caps=${2:-"2G 1G"}
bash scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release --target lockstep >/dev/null
LK=$PWD/build-release/lockstep
in=bench/data/sim_$size/actions.csv
if [ ! -f "$in" ]; then
    n=$(printf '%.0f' "$size")
    pop=$((n / 100))
    [ "$pop" -le 100000 ] || pop=100000
    "$LK" simulate -q --seed 1 --actions "$n" --max-popularity "$pop" --no-tweets -o "bench/data/sim_$size"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ref=""

stage() { # log, stage name -> seconds
    sed -n "s/^lockstep detect: $2: \([0-9.]*\) s.*/\1/p" "$1" | tail -n 1
}

one() { # label, then lockstep options
    local label=$1
    shift
    local out=$tmp/out_$RANDOM log=$tmp/log
    mkdir -p "$tmp/spill"
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$LK" detect -v -w 60s -o "$out" "$@" \
        --tmp-dir "$tmp/spill" "$in" 2>"$log" >/dev/null
    read -r wall user sys rss <"$tmp/time"
    local spilled
    spilled=$(grep -o '[0-9]* bytes spilled' "$log" | awk '{s += $1} END {printf "%d", s}')
    python3 -c 'import sys
l, w, u, s, r, rd, ag, ca, sp = sys.argv[1:]
print("| %s | %.1f | %.1f | %.2f GB | %s | %s | %s | %.2f GB |" % (l, float(w), float(u) + float(s),
      int(r) / 1048576, rd, ag, ca, int(sp) / 2**30))' "$label" "$wall" "$user" "$sys" "$rss" \
        "$(stage "$log" reading)" "$(stage "$log" 'pair aggregation')" \
        "$(stage "$log" calibration)" "$spilled"
    if [ -z "$ref" ]; then
        ref=$out
    else
        diff -r "$ref" "$out" >/dev/null || { echo "outputs differ: $label" >&2; exit 1; }
        rm -rf "$out"
    fi
    [ -z "$(ls -A "$tmp/spill")" ] || { echo "temporary files left: $label" >&2; exit 1; }
}

echo "| run ($size actions) | wall s | CPU s | peak RSS | reading s | aggregation s | calibration s | spilled |"
echo "|---|---|---|---|---|---|---|---|"
if [ -z "${CAPPED_ONLY:-}" ]; then
    one "--threads 1" --threads 1
    one "--threads 2" --threads 2
fi
for c in $caps; do
    one "--threads 2 --max-mem $c" --threads 2 --max-mem "$c"
done
echo "(outputs byte-identical across all runs; no temporary file left)"
