# --col-object/--col-account/--col-content/--col-time map other column names
# (here a CSV with ISO times and different headers); a wrong mapping names
# the missing column and lists the header.
set -u
{
    echo 'post,user,tweet,when,extra'
    sed -n '2,$p' "$LK_TEST_DATA/detect/tiny.csv" | awk -F, '{printf "%s,%s,%s,%s,x\n", $1, $2, $3, $4}'
} >renamed.csv
"$LOCKSTEP" detect -q --col-object post --col-account user --col-content tweet --col-time when -o mapped renamed.csv
echo "exit $?"
"$LOCKSTEP" detect -q -o ref "$LK_TEST_DATA/detect/tiny.csv"
for f in edges.csv accounts.csv groups.csv evidence.csv; do cmp ref/$f mapped/$f && echo "$f identical"; done
grep -o '"columns": {[^}]*}' mapped/summary.json
"$LOCKSTEP" detect -q --col-object post -o bad renamed.csv
echo "exit $?"
