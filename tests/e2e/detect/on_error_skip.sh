# --on-error skip: bad rows are skipped, counted by reason, and the run
# completes; rows_read == rows_used + rows_skipped.total, per file and in all.
set -eu
H='object_id,account_id,content_id,timestamp_share'
{
    printf '%s\n' "$H"
    printf 'o1,a1,c1,1000\no1,a2,c2,1001\no2,a1,c3,2000\no2,a2,c4,2002\n'
    printf 'o3,a3,c5\n'                   # wrong field count
    printf 'o3,a3,c6,noon\n'              # bad timestamp
    printf 'o3,a\377,c7,3000\n'           # invalid UTF-8
    printf 'o3,,c8,3000\n'                # empty account
    printf ',a4,c9,3000\n'                # empty object: never co-acts
    printf 'o4,a1,"c10"x,4000\n'          # junk after a closing quote
    printf 'o4,a2,c11,4001\n'
} >mixed.csv
printf '%s\no5,a1,c12,5000\no5,a2,c13,5001\no6,a1,c14,9999999999999999999\n' "$H" >second.csv
"$LOCKSTEP" detect -q --threshold weight:2 --on-error skip -o out mixed.csv second.csv
python3 - <<'PY'
import json
s = json.load(open("out/summary.json"))
for part in s["inputs"] + [s]:
    sk = part["rows_skipped"]
    assert part["rows_read"] == part["rows_used"] + sk["total"], part
    assert sk["total"] == sum(v for k, v in sk.items() if k != "total"), sk
for inp in s["inputs"]:
    print(inp["path"], inp["rows_read"], inp["rows_used"],
          {k: v for k, v in inp["rows_skipped"].items() if v})
print("total", s["rows_read"], s["rows_used"], s["rows_skipped"]["total"])
PY
cat out/edges.csv
