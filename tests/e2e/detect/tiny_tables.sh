# A hand-checked example (tests/data/detect/tiny.csv): alice, bob and carol
# share o1, o2 and o3 within 30 s of each other (3 distinct objects per
# pair: weight 3); erin and frank co-act once (weight 1, below weight:2);
# dave's o1 share is hours later; gus has one action (below -m 2).
# score = ln(6/4) + ln(6/3) + ln(6/3) = 1.79176 (6 active accounts; o1 has 4,
# o2 and o3 3 accounts).  mean_dt: alice-bob (3+1+1)/3, alice-carol
# (5+30+10)/3, bob-carol (2+29+11)/3; group mean (5+45+42)/9, median of
# 1,1,2,3,5,10,11,29,30 = 5.  Every action of the three is coordinated.
# The calibration columns of edges.csv stay empty under weight:2.
set -eu
"$LOCKSTEP" detect -q -w 60 -m 2 --threshold weight:2 -o out "$LK_TEST_DATA/detect/tiny.csv"
for f in edges accounts groups evidence; do
    echo "== $f.csv"
    cat "out/$f.csv"
done
ls out
