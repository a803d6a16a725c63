# The same options and --seed give byte-identical files; another seed does not.
set -eu
"$LOCKSTEP" simulate -q --seed 7 --actions 10K --out a
"$LOCKSTEP" simulate -q --seed 7 --actions 10K -o b
"$LOCKSTEP" simulate -q --seed 8 --actions 10K -o c
cmp a/actions.csv b/actions.csv
cmp a/truth.csv b/truth.csv
if cmp -s a/actions.csv c/actions.csv; then
    echo "--seed 7 and --seed 8 wrote the same actions.csv" >&2
    exit 1
fi
head -n 1 a/actions.csv
head -n 1 a/truth.csv
