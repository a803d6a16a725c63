# Bad JSON input, line by line: a truncated line, a wrong type, invalid UTF-8
# inside a string, a line over 64 MiB, a line of no known format, a broken
# pretty-printed document.  Under --on-error fail: one "FILE:LINE: what"
# line and exit 1; under --on-error skip: each bad line counted by reason
# (read = used + skipped) and the good lines around it used.
set -u
t1='{"created_at":"Wed May 24 20:32:51 +0000 2017","id_str":"1","user":{"id_str":"u1"},"full_text":"one #tag","entities":{"hashtags":[{"text":"tag"}]}}'
t2='{"created_at":"Wed May 24 20:32:52 +0000 2017","id_str":"2","user":{"id_str":"u2"},"full_text":"two #tag","entities":{"hashtags":[{"text":"tag"}]}}'
printf '%s\n{"created_at":"Wed May 24 20:3\n%s\n' "$t1" "$t2" >truncated.jsonl
printf '%s\n{"created_at":17,"id_str":"3","user":{"id_str":"u3"},"full_text":"x"}\n%s\n' "$t1" "$t2" >wrong_type.jsonl
printf '%s\n{"created_at":"Wed May 24 20:32:53 +0000 2017","id_str":"4","user":{"id_str":"u\377"},"full_text":"x"}\n%s\n' "$t1" "$t2" >bad_utf8.jsonl
printf '%s\n{"kind":"unknown","payload":1}\n%s\n' "$t1" "$t2" >unknown.jsonl
{ printf '%s\n{"full_text":"' "$t1"; head -c 67108900 /dev/zero | tr '\0' 'a'; printf '"}\n%s\n' "$t2"; } >long_line.jsonl
printf '{\n  "name": "chan",\n  "type": "public_channel",\n  "id": 1,\n  "messages": [\n    {"id": 1, "type": "message"\n' >broken_document.json
for f in truncated.jsonl wrong_type.jsonl bad_utf8.jsonl unknown.jsonl long_line.jsonl broken_document.json; do
    rm -rf out
    "$LOCKSTEP" detect -q -o out "$f"
    echo "$f: fail: exit $?"
    [ -e out/summary.json ] && echo "$f: summary.json left behind"
    rm -rf out
    "$LOCKSTEP" detect -q --on-error skip -m 1 -o out "$f"
    echo "$f: skip: exit $?"
    if [ -e out/summary.json ]; then
        python3 - out/summary.json "$f" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
sk = {k: v for k, v in s["rows_skipped"].items() if v and k != "total"}
assert s["rows_read"] == s["rows_used"] + s["rows_skipped"]["total"]
print("%s: read %d, used %d, skipped %s" % (sys.argv[2], s["rows_read"], s["rows_used"], sk))
PY
    fi
done
rm -f long_line.jsonl
