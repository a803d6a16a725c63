# --evidence-per-edge N keeps the N rarest objects of each edge (ties: first
# seen object first); 0 lists every (edge, object) in sweep order.
set -eu
"$LOCKSTEP" detect -q --threshold weight:2 --evidence-per-edge 1 -o one "$LK_TEST_DATA/detect/tiny.csv"
cat one/evidence.csv
"$LOCKSTEP" detect -q --threshold weight:2 --evidence-per-edge 0 -o all "$LK_TEST_DATA/detect/tiny.csv"
cat all/evidence.csv
grep -o '"evidence_per_edge": [0-9]*' one/summary.json all/summary.json
