# simulate rejects bad counts, bad durations, unknown kinds, stray arguments and unknown
# options (exit 2).
set -u
"$LOCKSTEP" simulate --actions lots
echo "exit $?"
"$LOCKSTEP" simulate --group-size 1
echo "exit $?"
"$LOCKSTEP" simulate --span 0
echo "exit $?"
"$LOCKSTEP" simulate --kinds retweet_ring,ring
echo "exit $?"
"$LOCKSTEP" simulate extra-argument
echo "exit $?"
"$LOCKSTEP" simulate --window 60
