# Same input and options give byte-identical output folders (simulated data
# with planted groups); another Leiden seed may only relabel, never change
# the edges.
set -eu
"$LOCKSTEP" simulate -q --seed 3 --actions 60K --max-popularity 600 -o sim
"$LOCKSTEP" detect -q -w 30s -o a sim/actions.csv
"$LOCKSTEP" detect -q -w 30s -o b sim/actions.csv
for f in $(ls a); do cmp "a/$f" "b/$f"; done
"$LOCKSTEP" detect -q -w 30s --seed 99 -o c sim/actions.csv
cmp a/evidence.csv c/evidence.csv
cut -d, -f1-8 a/edges.csv >ea
cut -d, -f1-8 c/edges.csv >ec
cmp ea ec
echo "identical: $(ls a | tr '\n' ' ')"
