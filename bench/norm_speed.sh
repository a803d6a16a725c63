#!/usr/bin/env bash
# Text normalisation speed (not run in CI): lk_norm_text on the real posts'
# texts of ../shared/data (the Twitter v1.1 sample's tweets; the Pushshift
# samples' comment bodies and submission titles with their text), each set
# read REPEATS times, for the working tree's src/normalize.c and, given a
# revision, for that revision's beside it, run in turn.  The checksums of
# the normalised texts must match between the two.
#
#   bash bench/norm_speed.sh             # the working tree alone
#   bash bench/norm_speed.sh HEAD~1      # against that revision
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
rev=${1:-}
shared=../shared/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$shared" "$tmp" <<'PY'
import json, subprocess, sys
shared, out = sys.argv[1], sys.argv[2]
def texts(path, fields):
    raw = subprocess.run(["zstd", "-dc", "--long=31", path], capture_output=True, check=True).stdout
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        t = " ".join(o[f] for f in fields if isinstance(o.get(f), str))
        if t.strip():
            yield t.encode("utf-8", "replace")
sets = {
    "twitter": [(shared + "/twitter-v1/tweets_v11.jsonl.zst", ["full_text", "text"])],
    "reddit": [(shared + "/pushshift/" + f, ["body", "title", "selftext"])
               for f in ("RC_2005-12.zst", "RC_2006-01.zst", "AskMen_submissions.zst")],
}
for name, files in sets.items():
    with open(f"{out}/{name}.bin", "wb") as f:
        for path, fields in files:
            for t in texts(path, fields):
                f.write(len(t).to_bytes(4, "little") + t)
PY
build() { # $1: normalize.c to build, $2: binary
    gcc -std=c11 -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/norm_speed.c "$1" src/buf.c src/log.c \
        src/status.c -lxxhash -lutf8proc -o "$2"
}
build src/normalize.c "$tmp/new"
if [ -n "$rev" ]; then
    # the old file's includes resolve against this tree's headers (-Isrc)
    git show "$rev:src/normalize.c" > "$tmp/normalize_old.c"
    build "$tmp/normalize_old.c" "$tmp/old"
fi
for set in twitter reddit; do
    reps=$([ "$set" = twitter ] && echo 300 || echo 20)
    for v in ${rev:+old} new; do
        printf '%-8s %-4s ' "$set" "$v"
        "$tmp/$v" "$tmp/$set.bin" "$reps"
    done
done
