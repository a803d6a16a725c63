#!/usr/bin/env bash
# Peak resident memory per stage of one capped detect run (not run in CI).
# Runs `detect -vv -t 2 --max-mem CAP -w 60s`, samples the process's
# resident size (VmRSS) and the used space of --tmp-dir's filesystem every
# 0.5 s, and prints one Markdown row: wall and CPU time (from detect's own
# summary), the peak in MB (MiB) of each stage (reading with near-text,
# index, pair stage, calibration, end) and the temporary disk's peak.  The
# temporary files have no names (O_TMPFILE), so their size is read from the
# filesystem's used space: keep the machine otherwise quiet.  The folder is
# kept in bench/data/stages_SIZE_LABEL (and -vv's lines, without the progress
# meter's, in stages_SIZE_LABEL.log), to compare builds byte for byte.
#
#   bash bench/stages.sh                      # bench/data/sim_1e8 under --max-mem 4G
#   bash bench/stages.sh 1e7 1G               # another size and cap
#   LK=/tmp/old/lockstep LABEL=old bash bench/stages.sh   # another binary
#   ARGS="--null-sample 1" LABEL=all bash bench/stages.sh  # more detect options
#   INPUTS="a.csv b.csv" bash bench/stages.sh 1e7 128M  # other inputs (SIZE names the output)
#   KEEP=/tmp/run bash bench/stages.sh        # keep the samples (VmRSS KiB, disk
#                                             # bytes, log bytes, RssFile KiB, CPU
#                                             # ticks, epoch s) and the raw log
#
# VmRSS counts the pages of mapped files that are resident (the pair stage's
# and the null copies' columns, the index, the post numbers) beside the
# anonymous ones; a second line after the row gives the run's peak of the
# anonymous part alone (VmRSS less RssFile), the memory no file backs.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1e8}
cap=${2:-4G}
if [ -z "${LK:-}" ]; then
    bash scripts/install-deps.sh
    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build build-release --target lockstep >/dev/null
    LK=$PWD/build-release/lockstep
fi
label=${LABEL:-$(git rev-parse --short HEAD)}
in=bench/data/sim_$size/actions.csv
if [ -n "${INPUTS:-}" ]; then
    read -r -a inputs <<<"$INPUTS"
elif [ ! -f "$in" ]; then # as bench/scale.sh makes it
    n=$(printf '%.0f' "$size")
    pop=$((n / 100))
    [ "$pop" -le 100000 ] || pop=100000
    "$LK" simulate -q --seed 1 --actions "$n" --max-popularity "$pop" --no-tweets -o "bench/data/sim_$size"
fi
[ -n "${INPUTS:-}" ] || inputs=("$in")
out=bench/data/stages_${size}_$label
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/spill"
rm -rf "$out"
sync
base=$(df --output=used -B1 "$tmp/spill" | tail -n 1)
"$LK" detect -vv -t 2 --max-mem "$cap" -w 60s ${ARGS:-} --tmp-dir "$tmp/spill" -o "$out" "${inputs[@]}" \
    2>"$tmp/log" >/dev/null &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    read -r rss rssfile < <(awk '/^VmRSS/ {r = $2} /^RssFile/ {f = $2}
        END {if (r != "") print r, f + 0}' "/proc/$pid/status" 2>/dev/null || true) || true
    # user + system CPU ticks so far (fields 14 and 15; the name, field 2,
    # has no space here)
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || true)
    used=$(df --output=used -B1 "$tmp/spill" | tail -n 1)
    logged=$(stat -c %s "$tmp/log")
    [ -n "${rss:-}" ] && printf '%s %s %s %s %s %s\n' "$rss" "$used" "$logged" "$rssfile" \
        "${ticks:-0}" "$(date +%s.%N)" >>"$tmp/samples"
    sleep 0.5
done
wait "$pid" || { echo "detect failed:" >&2; tail -n 3 "$tmp/log" >&2; exit 1; }
tr '\r' '\n' <"$tmp/log" | grep -v '^\[' | grep -v '^ *$' >"$out.log" || true
if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP"
    cp "$tmp/samples" "$tmp/log" "$KEEP/"
fi
summary=$(grep -o '[0-9.]* s wall, [0-9.]* s CPU' "$tmp/log" | tail -n 1)
wall=${summary%% s wall*}
cpu=${summary#*wall, }
cpu=${cpu%% s CPU}
echo "| build | wall s | CPU s | reading + near-text MB | index MB | pair stage MB | calibration MB | end MB | temp disk peak |"
echo "|---|---|---|---|---|---|---|---|---|"
# a sample's stage: where the log was when it was taken, against the ends
# of the lines -v writes as each stage ends
LC_ALL=C awk -v base="$base" -v label="$label" -v wall="$wall" -v cpu="$cpu" '
FNR == NR {
    off += length($0) + 1
    if (!i && $0 ~ /detect: string tables parked/) i = off
    else if (i && !p && $0 ~ /index parked|aggregation columns/) p = off
    else if (p && !c && $0 ~ /detect: pair aggregation: [0-9.]+ s \(/) c = off
    else if (c && !e && $0 ~ /detect: (calibration|string tables read back|clustering): [0-9.]+ s \(/) e = off
    next
}
{
    st = "reading"
    if (i && $3 >= i) st = "index"
    if (p && $3 >= p) st = "pair"
    if (c && $3 >= c) st = "calibration"
    if (e && $3 >= e) st = "end"
    if ($1 > peak[st]) peak[st] = $1
    if ($1 - $4 > anon) { anon = $1 - $4; astage = st; afile = $4 }
    if ($2 - base > disk) disk = $2 - base
}
END {
    printf "| %s | %s | %s", label, wall, cpu
    n = split("reading index pair calibration end", s, " ")
    for (k = 1; k <= n; k++)
        printf " | %s", (s[k] in peak) ? sprintf("%.0f", peak[s[k]] / 1024) : "-"
    printf " | %.1f GB |\n", disk / 1e9
    printf "\nanonymous peak %.0f MB (%s stage; %.0f MB of mapped file beside it)\n", \
        anon / 1024, astage, afile / 1024
}' "$tmp/log" "$tmp/samples"
