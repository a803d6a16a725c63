# The calibrated threshold is the default; its values are checked as usage
# errors before any input is read.
set -u
"$LOCKSTEP" detect --threshold fdr:2 in.csv
echo "exit $?"
"$LOCKSTEP" detect --fdr 0 in.csv
echo "exit $?"
"$LOCKSTEP" detect --min-sync 1.5 in.csv
echo "exit $?"
"$LOCKSTEP" detect --near-text-threshold 0 in.csv
echo "exit $?"
"$LOCKSTEP" detect --threshold quantile:2 in.csv
echo "exit $?"
"$LOCKSTEP" detect --threshold fdr:0.05 no_such_input.csv
echo "exit $?"
