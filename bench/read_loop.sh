#!/usr/bin/env bash
# The parallel read loop alone, several builds alternated (not run in CI).
# Runs `detect -vv -t 2 --max-mem CAP -w 60s` on bench/data/sim_SIZE with
# each binary in turn, ROUNDS times, stops each run with SIGTERM once its
# "read on N threads" line is out (the rest of the run is not timed), and
# prints that line: the loop's wall, the thread-seconds spent reading,
# parsing, committing and (since the fortieth session) finding ids between
# rounds, and the ids found.  The input stays cached from run to run; keep the
# machine otherwise quiet.
#
#   bash bench/read_loop.sh /tmp/old/lockstep build-release/lockstep
#   SIZE=1e7 CAP=400M ROUNDS=3 bash bench/read_loop.sh A B
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-1e8}
cap=${CAP:-4G}
rounds=${ROUNDS:-2}
in=bench/data/sim_$size/actions.csv
[ $# -ge 1 ] || { echo "usage: bench/read_loop.sh BIN [BIN...]" >&2; exit 2; }
[ -f "$in" ] || { echo "bench/read_loop.sh: $in missing (bench/scale.sh $size makes it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((r = 1; r <= rounds; r++)); do
    for bin in "$@"; do
        log=$work/log
        rm -rf "$work/out"
        "$bin" detect -vv -t 2 --max-mem "$cap" -w 60s -o "$work/out" "$in" >"$log" 2>&1 &
        pid=$!
        while kill -0 "$pid" 2>/dev/null; do
            if grep -q "read on [0-9]* threads" "$log"; then
                kill -TERM "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.5
        done
        wait "$pid" || true
        line=$(grep -o "read on [0-9]* threads in .*" "$log" || echo "no read line (see the run's log)")
        echo "$bin round $r: $line"
    done
done
