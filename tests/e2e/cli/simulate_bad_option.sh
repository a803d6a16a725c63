# simulate rejects bad counts, bad durations, stray arguments and unknown options (exit 2).
set -u
"$LOCKSTEP" simulate --actions lots
echo "exit $?"
"$LOCKSTEP" simulate --group-size 1
echo "exit $?"
"$LOCKSTEP" simulate --span 0
echo "exit $?"
"$LOCKSTEP" simulate extra-argument
echo "exit $?"
"$LOCKSTEP" simulate --window 60
