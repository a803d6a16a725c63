# --window auto on a hand-made table (tests/data/detect/window_auto.csv).
# Delay until each object's second account: o1-o4 (alice, bob, carol) 2, 3,
# 4, 5 s; q1, q2 (gus, hal) 8, 9 s; p1-p4 (dave, erin, frank) 600, 1200,
# 3000, 7200 s; solo has one account and is not considered (10 objects).
# Fast cut = type-7 median of the 10 delays = (8 + 9) / 2 = 8.5 s, which
# keeps 2 3 4 5 8 (5 objects); their 0.9-quantile is 5 + 0.6 (8 - 5) = 6.8 s,
# rounded up to a 7 s window, within which 4 of the 10 delays fall.  So the
# trio's edges (weight 4) are found and gus-hal (8 and 9 s) is not, whereas
# a fixed 60 s window would pair them too.  The compat mode estimates the
# same window from all rows.
set -eu
show() {
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print("parameters.window_s:", s["parameters"]["window_s"])
print(json.dumps(s["window_auto"], indent=2, sort_keys=False))' "$1/summary.json"
}
"$LOCKSTEP" detect -q -w auto --threshold weight:2 -o out "$LK_TEST_DATA/detect/window_auto.csv"
show out
echo "== edges.csv (the columns this case is about)"
cut -d, -f1-6 out/edges.csv
"$LOCKSTEP" detect -q --window auto --threshold weight:2 -o fixed -w 60 \
    "$LK_TEST_DATA/detect/window_auto.csv"
echo "== -w 60: no window_auto, gus-hal paired"
python3 -c 'import json; s = json.load(open("fixed/summary.json")); print("window_auto" in s, s["parameters"]["window_s"])'
cut -d, -f1,2,3 fixed/edges.csv
"$LOCKSTEP" detect -q -w auto --compat coortweet -o compat "$LK_TEST_DATA/detect/window_auto.csv"
echo "== --compat coortweet"
python3 -c 'import json; s = json.load(open("compat/summary.json")); w = s["window_auto"]; print(s["parameters"]["window_s"], w["window_s"], w["objects_considered"], w["objects_kept"])'
