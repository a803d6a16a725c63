# Unknown, ambiguous and value-less options are usage errors with a pointer to --help.
set -u
"$LOCKSTEP" detect --no-such-option in.csv
echo "exit $?"
"$LOCKSTEP" detect -Z in.csv
echo "exit $?"
"$LOCKSTEP" detect --col in.csv
echo "exit $?"
"$LOCKSTEP" detect in.csv --window
