#!/usr/bin/env bash
# Distributed detect on one machine (not run in CI): one process, then
# `mpirun -np R` for R = 1, 2, 4 (--oversubscribe, one thread a rank), on
# one input.  Prints one Markdown row per run: wall time, CPU seconds of all
# ranks, the largest rank's peak RSS, the near-text clustering,
# pair-aggregation and calibration stage times of -v (rank 0), the bytes of
# pair records shuffled between ranks (pair aggregation + calibration), the
# bytes of parsed journals every rank received (reading), and
# the bytes of the input rank 0 read (a plain file is read by byte range, each
# rank its own stripes; a compressed one whole by every rank).  Every run's outputs are compared
# with the single-process run's (byte-identical, or the script fails).
#
# Every rank still builds the whole dataset, index and null copies (the
# journals of parsed chunks are exchanged); the reading and parsing, the
# near-text clustering's band passes, the pair stage and the judging of the
# kept edges (q-values or threshold, each rank its own) are shared out.  On one machine the ranks
# compete for the same cores, so this measures overhead, not speed-up.
#
#   bash bench/mpi.sh                         # bench/data/sim_1e6 (made by bench/run.sh)
#   LK=/path/to/lockstep bash bench/mpi.sh 1e7  # another binary and size
#   ARGS="--max-mem 256M" bash bench/mpi.sh 1e7 # more detect options (each rank's cap)
#   READ_ALL=1 bash bench/mpi.sh 1e7          # every rank reads the whole file
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1e6}
ranks=${RANKS:-"1 2 4"}
if [ -z "${LK:-}" ]; then
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build build-release --target lockstep >/dev/null
    LK=$PWD/build-release/lockstep
fi
"$LK" --version -v | grep -qw mpi || { echo "$LK was built without MPI" >&2; exit 1; }
in=bench/data/sim_$size/actions.csv
[ -f "$in" ] || { echo "$in is missing: run bench/run.sh first" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # containers run as root
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ref=""

stage() { # log, stage name -> seconds
    sed -n "s/^lockstep detect: $2: \([0-9.]*\) s.*/\1/p" "$1" | tail -n 1
}

one() { # label, then the command before "detect"
    local label=$1
    shift
    local out=$tmp/out_$RANDOM log=$tmp/log
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" detect -v -t 1 ${ARGS:-} -o "$out" "$in" \
        2>"$log" >/dev/null
    read -r wall user sys rss <"$tmp/time"
    local shuffled journals bytes
    shuffled=$(awk 'match($0, /[0-9]+ bytes shuffled/) {
        split(substr($0, RSTART, RLENGTH), f, " "); s += f[1] } END { print s + 0 }' "$log")
    journals=$(sed -n 's/.*reading over [0-9]* ranks: \([0-9]*\) bytes of journals exchanged.*/\1/p' "$log")
    # one process, or every rank reading all: the whole file
    bytes=$(sed -n 's/.* \([0-9]*\) bytes of plain files read by byte range on rank 0$/\1/p' "$log")
    if [ -z "$bytes" ] || [ -n "${READ_ALL:-}" ]; then
        bytes=$(stat -c %s "$in")
    fi
    python3 -c 'import sys
l, w, u, s, r, nt, ag, ca, sh, jr, rd = sys.argv[1:]
print("| %s | %.1f | %.1f | %.0f MB | %s | %s | %s | %.0f MB | %s | %.0f MB |" % (l, float(w),
      float(u) + float(s), int(r) / 1024, nt or "-", ag, ca, int(sh) / 1e6,
      "%.0f MB" % (int(jr) / 1e6) if jr else "-", int(rd or 0) / 1e6))' \
        "$label" "$wall" "$user" "$sys" "$rss" "$(stage "$log" 'near-text clustering')" \
        "$(stage "$log" 'pair aggregation')" "$(stage "$log" calibration)" "$shuffled" \
        "$journals" "$bytes"
    if [ -z "$ref" ]; then
        ref=$out
    else
        diff -r "$ref" "$out" >/dev/null || { echo "outputs differ: $label" >&2; exit 1; }
        rm -rf "$out"
    fi
}

echo "input: $in ($(($(wc -l <"$in") - 1)) actions); $(nproc) cores; -t 1 a rank${ARGS:+; $ARGS}"
echo
echo "| run | wall s | CPU s | peak RSS (largest rank) | near-text s | aggregation s | calibration s | shuffled | journals | read by rank 0 |"
echo "|---|---|---|---|---|---|---|---|---|---|"
one "1 process, no mpirun" "$LK"
for r in $ranks; do
    one "mpirun -np $r${READ_ALL:+, reading all}" mpirun -np "$r" --oversubscribe --bind-to none \
        --mca btl self,vader ${READ_ALL:+-x LK_DIST_READ_ALL=1} "$LK"
done
