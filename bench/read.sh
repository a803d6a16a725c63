#!/usr/bin/env bash
# Reading speed (formats issue): trace extraction = decode + scan + extract +
# normalise + intern, i.e. detect's "reading" stage (-v prints it), on about
# 1 GB of input in the page cache, one thread.  Every trace the readers
# extract is on; near-text (a clustering pass after reading, with its own
# budget, see bench/neartext_speed.c) is off.  Inputs are generated under
# bench/data (never committed):
#   - JSON lines: the Twitter v1.1 sample (../shared/data) repeated with the
#     ids made unique per copy, so no copy is skipped as a duplicate;
#   - CSV (Twitter IO archive, 31 columns): tweets.csv of lockstep simulate;
#   - CSV (generic, 4 columns): the CooRTweet sample repeated, content ids
#     made unique per copy.
#   bash bench/read.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release --target lockstep >/dev/null
LK=$PWD/build-release/lockstep
data=bench/data
mkdir -p "$data"
shared=../shared/data

if [ ! -f "$data/v1_1g.jsonl" ] && [ -f "$shared/twitter-v1/tweets_v11.jsonl.zst" ]; then
    python3 - "$shared/twitter-v1/tweets_v11.jsonl.zst" "$data/v1_1g.jsonl" <<'PY'
import re, subprocess, sys
src = subprocess.run(["zstd", "-dc", sys.argv[1]], capture_output=True, check=True).stdout.decode()
pat = re.compile(r'("id_str"\s*:\s*")')
with open(sys.argv[2], "w") as f:
    for c in range(125):
        f.write(pat.sub(lambda m: m.group(1) + str(c) + "x", src))
PY
fi
if [ ! -f "$data/generic_1g.csv" ] && [ -f "$shared/coortweet/russian_coord_tweets.csv.zst" ]; then
    python3 - "$shared/coortweet/russian_coord_tweets.csv.zst" "$data/generic_1g.csv" <<'PY'
import subprocess, sys
lines = subprocess.run(["zstd", "-dc", sys.argv[1]], capture_output=True, check=True).stdout.decode().splitlines()
with open(sys.argv[2], "w") as f:
    f.write(lines[0] + "\n")
    body = [l.split(",") for l in lines[1:]]
    hdr = lines[0].split(",")
    ci = hdr.index("content_id")
    for c in range(300):
        for r in body:
            r2 = list(r)
            r2[ci] = "%s%d" % (r[ci], c)
            f.write(",".join(r2) + "\n")
PY
fi
if [ ! -f "$data/sim_io/tweets.csv" ]; then
    "$LK" simulate -q --seed 1 --actions 3000000 -o "$data/sim_io"
fi

echo "| input | MB | reading s | MB/s |"
echo "|---|---|---|---|"
for f in "$data/v1_1g.jsonl" "$data/sim_io/tweets.csv" "$data/generic_1g.csv"; do
    [ -f "$f" ] || continue
    cat "$f" >/dev/null # page cache
    mb=$(( $(stat -c %s "$f") / 1000000 ))
    for i in 1 2 3; do
        s=$("$LK" detect -v -m 1000000000 --no-evidence -o "$data/out_read" \
            --traces share,quote,reply,url,hashtag,mention,text "$f" 2>&1 |
            sed -n 's/.*reading: \([0-9.]*\) s.*/\1/p')
        python3 -c 'import sys; f, mb, s = sys.argv[1:]; print("| %s | %s | %s | %.0f |" % (f, mb, s, int(mb) / float(s)))' \
            "$(basename "$f")" "$mb" "$s"
    done
done
