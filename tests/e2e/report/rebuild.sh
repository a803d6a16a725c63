# detect writes report.html last, after summary.json; `lockstep report DIR`
# rebuilds it byte for byte, also into another file (-o); --no-report
# leaves it out, and so does --compat (whose folder the report refuses).
set -eu
"$LOCKSTEP" detect -q -w 60 -m 2 --threshold weight:2 -o out "$LK_TEST_DATA/detect/tiny.csv"
cp out/report.html first.html
"$LOCKSTEP" report -q out
cmp first.html out/report.html
"$LOCKSTEP" report out -o copy.html
cmp first.html copy.html
grep -c '<script' out/report.html
"$LOCKSTEP" detect -q --no-report -w 60 --threshold weight:2 -o plain "$LK_TEST_DATA/detect/tiny.csv"
ls plain
"$LOCKSTEP" detect -q --compat coortweet -w 60 -o compat "$LK_TEST_DATA/detect/tiny.csv"
ls compat
"$LOCKSTEP" report compat || echo "exit $?"
"$LOCKSTEP" report missing || echo "exit $?"
"$LOCKSTEP" report --max-nodes 0 out || echo "exit $?"
