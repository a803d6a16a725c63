# Calibrated thresholds are reserved for a later release: --threshold fdr is a usage error.
set -u
"$LOCKSTEP" detect --threshold fdr in.csv
echo "exit $?"
"$LOCKSTEP" detect --threshold fdr:0.01 in.csv
echo "exit $?"
"$LOCKSTEP" detect --threshold quantile:2 in.csv
