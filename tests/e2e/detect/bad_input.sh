# Every kind of bad input: a one-line "lockstep detect: FILE:LINE: what"
# message on stderr, exit 1, and no summary.json (no folder passed off as
# complete).  Each file has good rows before the bad one.
set -u
H='object_id,account_id,content_id,timestamp_share'
good='o1,a1,c1,1000
o1,a2,c2,1001'
printf '%s\n%s\no2,"a3,c3,1002\no2,a4,c4,1003\n' "$H" "$good" >unterminated.csv
printf '%s\n%s\no2,a3,"c3"x,1002\n' "$H" "$good" >junk_after_quote.csv
printf '%s\n%s\no2,a3,c3\n' "$H" "$good" >few_fields.csv
printf '%s\n%s\no2,a3,c3,1002,extra\n' "$H" "$good" >many_fields.csv
printf '%s\n%s\no2,a3,c3,yesterday\n' "$H" "$good" >bad_time.csv
printf '%s\n%s\no2,a3,c3,99999999999999999999\n' "$H" "$good" >huge_time.csv
printf '%s\n%s\no2,a3,c3,-5\n' "$H" "$good" >negative_time.csv
printf '%s\n%s\no2,a3,c3,2021-02-29T00:00:00Z\n' "$H" "$good" >bad_date.csv
printf '%s\n%s\no2,a\377b,c3,1002\n' "$H" "$good" >bad_utf8.csv
: >empty.csv
printf 'object_id,account_id,content_id,time\n%s\n' "$good" >missing_column.csv
{ printf '%s\n' "$H"; for i in $(seq 1 3000); do printf 'o%d,a%d,c%d,%d\n' $((i % 50)) $((i % 97)) "$i" $((1000 + i)); done; } >big.csv
gzip -c big.csv | head -c 2000 >truncated.csv.gz
zstd -q -c big.csv | head -c 2000 >truncated.csv.zst
printf 'this is not gzip' | gzip -c | head -c 10 >tiny_truncated.gz
printf '{"id": "1", "text": "a, b"}\n{"id": "2"}\n' >tweets.jsonl
printf '{"id":"1","user":{"id_str":"9"}}\n' | gzip -c >tweets.jsonl.gz
for f in unterminated.csv junk_after_quote.csv few_fields.csv many_fields.csv bad_time.csv \
    huge_time.csv negative_time.csv bad_date.csv bad_utf8.csv empty.csv missing_column.csv \
    truncated.csv.gz truncated.csv.zst tweets.jsonl tweets.jsonl.gz no_such_file.csv .; do
    rm -rf out
    "$LOCKSTEP" detect -o out "$f"
    rc=$?
    echo "$f: exit $rc"
    if [ -e out/summary.json ]; then echo "$f: summary.json left behind"; fi
    for t in edges.csv accounts.csv groups.csv evidence.csv network.graphml; do
        if [ -e "out/$t" ]; then echo "$f: out/$t left behind"; fi
    done
done
