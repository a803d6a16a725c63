# The same options and --seed give byte-identical files; another seed does not.
set -eu
"$LOCKSTEP" simulate -q --seed 7 --actions 10K --out a
"$LOCKSTEP" simulate -q --seed 7 --actions 10K -o b
"$LOCKSTEP" simulate -q --seed 8 --actions 10K -o c
"$LOCKSTEP" simulate -q --seed 7 --actions 10K --no-tweets -o d
cmp a/actions.csv b/actions.csv
cmp a/tweets.csv b/tweets.csv
cmp a/truth.csv b/truth.csv
cmp a/actions.csv d/actions.csv
if cmp -s a/actions.csv c/actions.csv; then
    echo "--seed 7 and --seed 8 wrote the same actions.csv" >&2
    exit 1
fi
ls d
head -n 1 a/actions.csv
head -n 1 a/tweets.csv
head -n 1 a/truth.csv
tail -n +2 a/truth.csv | cut -d, -f2-4 | sort | uniq -c | sed 's/^ *//'
