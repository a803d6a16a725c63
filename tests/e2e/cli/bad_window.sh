# --window takes a non-negative duration; junk, negative values and overflow are usage errors.
set -u
for w in 5x -5 1e3 nan 99999999999999999d ''; do
    "$LOCKSTEP" detect --window "$w" in.csv
    echo "exit $?"
done
