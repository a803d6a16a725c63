"""The `text` trace's objects as the outputs show them: the key of the
normalised text, 32 lower-case hex digits of its canonical XXH3-128 digest,
whatever lockstep holds in memory (since the twenty-seventh session the
digest's 16 raw bytes).  The digests below were computed with libxxhash
directly (XXH3_128bits + XXH128_canonicalFromHash over the normalised text,
printed %02x a byte), not by lockstep.  Three accounts post the same three
texts seconds apart, each written differently (case, spacing, a link and a
leading "RT @x:" that normalisation removes), so every pair of them shares
three text objects; evidence.csv and group_objects.csv must show exactly
those keys, with a cap (the string tables parked and read back) and without."""
import csv
import os

import lktest as t

KEYS = {
    "hello world": "df8d09e93f874900a99b8775cc15b6c7",
    "we stand together today": "41eaf21447d211393eae1adc67a30337",
    "share this before they delete it": "45609511c2c951c6eb327ab3faa601f1",
}
WRITINGS = {
    "hello world": ["Hello World", "hello   world", "RT @x: HELLO world https://t.co/1"],
    "we stand together today": ["We stand together today", "we  STAND together today",
                                "we stand together today http://example.org/x"],
    "share this before they delete it": ["Share this before they delete it",
                                         "RT @y: share this before they DELETE it",
                                         "share this before  they delete it"],
}

base = t.tmpdir()
inp = os.path.join(base, "texts.csv")
with open(inp, "w", encoding="utf-8") as f:
    f.write("object_id,account_id,content_id,timestamp_share,trace\n")
    ts = 1674202857
    for k, (norm, forms) in enumerate(sorted(WRITINGS.items())):
        for i, form in enumerate(forms):
            f.write('"%s",acct%d,post%d_%d,%d,text\n' % (form, i, k, i, ts + 1000 * k + i))
    # unrelated texts, one post each, so that the three are rare
    for j in range(200):
        f.write('"filler text number %d of many",other%d,filler%d,%d,text\n'
                % (j, j % 7, j, ts + 5000 + 97 * j))

for name, extra in (("no cap", []), ("--max-mem 1M", ["--max-mem", "1M", "--tmp-dir", t.tmpdir()])):
    out = os.path.join(base, "out_" + name.replace(" ", "_").replace("-", ""))
    t.run(["detect", "-q", "-w", "60s", "--traces", "text", "--threshold", "weight:2", "-o", out]
          + extra + [inp])
    with open(os.path.join(out, "evidence.csv"), encoding="utf-8") as f:
        ev = [r for r in csv.DictReader(f) if r["trace"] == "text"]
    shown = sorted({r["object"] for r in ev})
    t.check(shown == sorted(KEYS.values()),
            "%s: evidence shows the three texts' keys (%r)" % (name, shown))
    t.check(len(ev) == 9, "%s: three pairs of accounts on three texts (%d rows)" % (name, len(ev)))
    with open(os.path.join(out, "group_objects.csv"), encoding="utf-8") as f:
        go = sorted({r["object"] for r in csv.DictReader(f) if r["trace"] == "text"})
    t.check(go == sorted(KEYS.values()), "%s: group_objects shows the same keys (%r)" % (name, go))

t.finish()
