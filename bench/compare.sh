#!/usr/bin/env bash
# Before and after (not run in CI): build revision REV (default: main's
# first parent, HEAD~1) beside the working tree in a temporary worktree, then
# run both binaries one after the other on one input: --threads 1,
# --threads 2, --threads 2 --max-mem 1G.  Prints one Markdown row per run
# (wall, CPU, peak RSS, the reading, aggregation and calibration stage times
# of -v) and fails unless each pair of runs wrote byte-identical folders.
# Ratios between rows of one invocation are comparable; absolute times on
# a shared machine are not.
#
#   bash bench/compare.sh 5c60252          # against that revision, 10^7 actions
#   bash bench/compare.sh HEAD~3 1e6       # another revision and size
#   DIFF_OK=1 bash bench/compare.sh c3d6642  # a change meant to alter the output:
#                                          # list the differing files, do not fail
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD~1}
size=${2:-1e7}
in=bench/data/sim_$size/actions.csv
[ -f "$in" ] || { echo "$in is missing: run bench/run.sh (or bench/scale.sh $size) first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/old" "$rev"
for v in old new; do
    src=$PWD
    [ "$v" = old ] && src=$tmp/old
    cmake -S "$src" -B "$tmp/build_$v" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$tmp/build_$v" --target lockstep >/dev/null
done

stage() { # log, stage name -> seconds
    sed -n "s/^lockstep detect: $2: \([0-9.]*\) s.*/\1/p" "$1" | tail -n 1
}

echo "| run ($rev = before) | wall s | CPU s | peak RSS | reading s | aggregation s | calibration s |"
echo "|---|---|---|---|---|---|---|"
for opts in "-t 1" "-t 2" "-t 2 --max-mem 1G"; do
    for v in old new; do
        rm -rf "$tmp/out_$v" "$tmp/spill"
        mkdir -p "$tmp/spill"
        # shellcheck disable=SC2086 # opts are words
        /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$tmp/build_$v/lockstep" detect -v $opts \
            -w 60s --progress never --tmp-dir "$tmp/spill" -o "$tmp/out_$v" "$in" 2>"$tmp/log" >/dev/null
        read -r wall user sys rss <"$tmp/time"
        label=after
        [ "$v" = old ] && label=before
        python3 -c 'import sys
l, w, u, s, r, rd, ag, ca = sys.argv[1:]
print("| %s | %.1f | %.1f | %.2f GB | %s | %s | %s |" % (l, float(w), float(u) + float(s),
      int(r) / 1048576, rd, ag, ca))' "$label, \`$opts\`" "$wall" "$user" "$sys" "$rss" \
            "$(stage "$tmp/log" reading)" "$(stage "$tmp/log" 'pair aggregation')" \
            "$(stage "$tmp/log" calibration)"
    done
    if ! diff -rq "$tmp/out_old" "$tmp/out_new" >"$tmp/diff"; then
        echo "outputs differ: $opts:" $(sed 's/^Files .*out_new\/\([^ ]*\) differ$/\1/' "$tmp/diff") >&2
        [ -n "${DIFF_OK:-}" ] || exit 1
        same=0
    fi
done
[ -n "${same:-}" ] || echo "(each pair of runs wrote byte-identical folders)"
