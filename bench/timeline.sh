#!/usr/bin/env bash
# CPU use between detect's -vv lines (not run in CI): runs `detect -vv -t 2
# --max-mem CAP -w 60s`, samples the process's CPU time (utime + stime from
# /proc) every 0.2 s, stamps each line of its log as it comes, and prints
# for each line the wall time since the run began, since the line before,
# the cores busy in between (1.00: one thread's work; nan: under 0.3 s) and
# the highest resident size (VmRSS, MiB) sampled in between (-: no sample).
# The stages that run at 1.00 on two threads are the serial ones.
#
#   bash bench/timeline.sh                       # bench/data/sim_1e7 under 400M
#   bash bench/timeline.sh 1e8 4G                # another size and cap
#   LK=/tmp/old/lockstep bash bench/timeline.sh  # another binary
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1e7}
cap=${2:-400M}
LK=${LK:-$PWD/build-release/lockstep}
in=bench/data/sim_$size/actions.csv
[ -f "$in" ] || { echo "$in is missing: run bench/stages.sh $size first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/spill"
( "$LK" detect -vv -t 2 --max-mem "$cap" --tmp-dir "$tmp/spill" -w 60s -o "$tmp/out" "$in" 2>&1 >/dev/null |
    stdbuf -oL tr '\r' '\n' | grep --line-buffered -v '%' |
    while IFS= read -r l; do echo "$(date +%s.%N) $l"; done > "$tmp/log" ) &
sleep 0.2
pid=$(pgrep -n -f -- "--tmp-dir $tmp/spill") || { echo "detect did not start" >&2; exit 1; }
: > "$tmp/cpu"
while kill -0 "$pid" 2>/dev/null; do
    s=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || break
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) || break
    echo "$(date +%s.%N) $s $r" >> "$tmp/cpu"
    sleep 0.2
done
wait
python3 - "$(getconf CLK_TCK)" "$tmp/cpu" "$tmp/log" <<'PY'
import bisect, sys
hz = float(sys.argv[1])
cpu = [tuple(map(float, l.split())) for l in open(sys.argv[2]) if len(l.split()) == 3]
if not cpu:
    sys.exit("no CPU samples")
ts = [c[0] for c in cpu]

def cpu_at(t):
    i = bisect.bisect_left(ts, t)
    if i <= 0:
        return cpu[0][1] / hz
    if i >= len(cpu):
        return cpu[-1][1] / hz
    (t0, c0, _), (t1, c1, _) = cpu[i - 1], cpu[i]
    return (c0 + (c1 - c0) * (t - t0) / (t1 - t0)) / hz

prev = t0 = cpu[0][0]
for line in open(sys.argv[3]):
    stamp, text = line.split(" ", 1)
    t = float(stamp)
    dt = t - prev
    busy = (cpu_at(t) - cpu_at(prev)) / dt if dt > 0.3 else float("nan")
    rss = [c[2] for c in cpu if prev <= c[0] <= t]
    peak = "%5.0f" % (max(rss) / 1024) if rss else "    -"
    print("%7.2f +%6.2f cores %4.2f MiB %s | %s" % (t - t0, dt, busy, peak, text.rstrip()))
    prev = t
PY
