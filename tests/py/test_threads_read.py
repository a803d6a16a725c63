"""--threads N on reading gives the serial result, byte for byte.

Parallel reading (src/reader_par.c) cuts each file into chunks, parses them
on several threads into journals and commits the journals in input order.
Here `lockstep detect` and `lockstep convert` run with --threads 1 (the
serial reader), 2 and 3 on the same inputs, and every output file must be
identical: tables, graph files, summary.json (row accounting by reason,
near-text counts), convert's CSV, and for --on-error fail the message and
exit status.

LK_CHUNK_BYTES (read by the library when set; not a user option) makes the
chunks small, so that even these inputs are cut into hundreds of chunks and
records with quoted newlines straddle chunk boundaries.  Inputs:
- `lockstep simulate` actions.csv (generic CSV with a trace column), plain,
  gzip and zstd;
- simulate's tweets.csv, a Twitter IO archive whose tweet_text cells hold
  quoted newlines (checked below), with near-text clustering;
- a crafted CSV with multi-line quoted fields, "" escapes, CRLF and lone-CR
  line ends, a quote inside an unquoted field (which upsets the quote-parity
  guess of the chunker and must fall back to the serial reader), and bad
  rows of every kind;
- the real JSON-lines samples in ../shared/data (Twitter v1.1 and v2,
  Pushshift), when present.
"""
import gzip
import os
import random
import re
import shutil
import subprocess

import lktest as t

work = t.tmpdir()
SMALL = "997"    # bytes per chunk for small inputs
MEDIUM = "65536"  # for the simulated ones


def run_env(args, chunk):
    env = dict(os.environ)
    if chunk:
        env["LK_CHUNK_BYTES"] = chunk
    else:
        env.pop("LK_CHUNK_BYTES", None)
    return subprocess.run([t.LOCKSTEP] + args, capture_output=True, text=True, env=env)


def same_detect(label, inputs, extra=(), chunk=MEDIUM, threads=(2, 3)):
    """detect with --threads 1 and each of threads: identical folders."""
    ref_dir = os.path.join(work, "ref")
    shutil.rmtree(ref_dir, ignore_errors=True)
    ref = run_env(["detect", "-q", "--threads", "1", "-o", ref_dir] + list(extra) + inputs, None)
    t.check(ref.returncode == 0, "%s: serial detect failed: %s" % (label, ref.stderr))
    if ref.returncode != 0:
        return None
    want = t.folder_files(ref_dir)
    for n in threads:
        d = os.path.join(work, "par%d" % n)
        shutil.rmtree(d, ignore_errors=True)
        p = run_env(["detect", "-q", "--threads", str(n), "-o", d] + list(extra) + inputs, chunk)
        t.check(p.returncode == 0, "%s: detect -t %d failed: %s" % (label, n, p.stderr))
        if p.returncode != 0:
            continue
        got = t.folder_files(d)
        t.check(sorted(got) == sorted(want), "%s -t %d: same files" % (label, n))
        for name in want:
            t.check(got.get(name) == want[name], "%s -t %d: %s identical" % (label, n, name))
    return t.summary(ref_dir)


def same_convert(label, inputs, extra=(), chunk=MEDIUM, threads=(2, 3)):
    """convert to stdout: identical bytes, stderr and exit status."""
    ref = run_env(["convert", "-q", "--threads", "1"] + list(extra) + inputs, None)
    for n in threads:
        p = run_env(["convert", "-q", "--threads", str(n)] + list(extra) + inputs, chunk)
        t.check(p.returncode == ref.returncode,
                "%s convert -t %d: exit %d, serial %d" % (label, n, p.returncode, ref.returncode))
        t.check(p.stdout == ref.stdout, "%s convert -t %d: same CSV" % (label, n))
        t.check(p.stderr == ref.stderr,
                "%s convert -t %d: same message (%r vs %r)" % (label, n, p.stderr, ref.stderr))
    return ref


def same_failure(label, inputs, chunk=SMALL):
    """detect under --on-error fail: same message and exit status."""
    ref = run_env(["detect", "-q", "--threads", "1", "-o", os.path.join(work, "f1")] + inputs, None)
    t.check(ref.returncode == 1, "%s: serial run fails (%d)" % (label, ref.returncode))
    for n in (2, 3):
        p = run_env(["detect", "-q", "--threads", str(n), "-o", os.path.join(work, "f%d" % n)] +
                    inputs, chunk)
        t.check(p.returncode == ref.returncode and p.stderr == ref.stderr,
                "%s -t %d: %r (exit %d), serial %r (exit %d)" %
                (label, n, p.stderr, p.returncode, ref.stderr, ref.returncode))
    return ref.stderr


# ---- simulated data ---------------------------------------------------------------
sim = os.path.join(work, "sim")
t.run(["simulate", "-q", "--seed", "11", "--actions", "300000", "--no-tweets", "-o", sim])
actions = os.path.join(sim, "actions.csv")
t.check(os.path.getsize(actions) > 100 * int(MEDIUM), "actions.csv spans many chunks")
s = same_detect("actions.csv", [actions])
t.check(s is not None and s["rows_read"] > 250000 if s else False, "actions.csv rows read")
same_convert("actions.csv", [actions])
# default chunk size (1 MiB): a few chunks per round
same_detect("actions.csv, default chunks", [actions], chunk=None, threads=(2,))


def found_ids(extra):
    """detect -vv -t 2: (ids found before the commit, lookups made) from
    the reading's line, and the log."""
    d = os.path.join(work, "vv")
    shutil.rmtree(d, ignore_errors=True)
    p = run_env(["detect", "-vv", "--threads", "2", "-o", d] + extra + [actions], MEDIUM)
    m = re.search(r"(\d+) of (\d+) ids found before the commit", p.stderr)
    t.check(p.returncode == 0 and m is not None, "actions.csv -vv: ids found are counted")
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0), p.stderr


# Between rounds the threads find the ids the string tables already hold
# (src/reader_par.c, resolve), and the commit takes them: the identical
# outputs above check those ids; here, that lookups were made for most of
# the 302,625 rows (308,565 at this writing: the kinds of objects that
# mostly miss are left out) and more than a third of them found an id (73%:
# the simulated accounts and many objects recur), and the same with the
# tables frozen part way through under a cap (found in a frozen table; the
# strings it lacks get provisional ids in the commit).
(got, tried), _ = found_ids([])
t.check(tried > 150000 and tried // 3 < got < tried,
        "actions.csv -t 2: ids found before the commit (%d of %d)" % (got, tried))
(got, tried), log = found_ids(["--max-mem", "6M"])
m = re.search(r"reach their share of --max-mem \(\d+ MB\) at action (\d+)", log)
t.check(m is not None and 10000 < int(m.group(1)) < 250000,
        "actions.csv --max-mem 6M: the string tables freeze part way (%s)"
        % (m.group(1) if m else None))
t.check(got > 0, "actions.csv --max-mem 6M: ids found in the tables (%d of %d)" % (got, tried))
# Under a cap on 2 threads the commit's spills while reading (the actions
# and their content refs and ids, the near-text signatures and posts, and
# past the tables' freeze the strings they leave out) are written behind it
# by a thread of their own (src/wbehind.c): all but the blocks left at the
# end of reading, which are written after it.  Under 64M, where nothing
# freezes, that is between half and all of what the run says it spilled;
# under 6M, beside the strings left out, more than half of it.  The outputs
# under 6M on 2 threads are compared with the serial reader's below
# (same_detect).  On one thread the commit writes them itself.


def behind(log, what):
    """(bytes written behind the commit, bytes the run says it spilled
    while reading) from a -vv log."""
    m = re.search(r"(\d+) bytes of spills written behind the commit", log)
    spilled = re.search(r"near-text: (\d+) bytes of signatures and (\d+) of posts spilled", log)
    acts = re.search(r"(\d+) actions \((\d+) bytes\) and their content refs spilled", log)
    cids = re.search(r"content ids: (\d+) bytes spilled", log)
    t.check(m and spilled and acts and cids, "%s: the spills written behind and spilled are "
            "logged (%r %r %r %r)" % (what, m, spilled, acts, cids))
    if not (m and spilled and acts and cids):
        return 0, 0
    return int(m.group(1)), int(spilled.group(1)) + int(spilled.group(2)) + \
        int(acts.group(2)) + 8 * int(acts.group(1)) + int(cids.group(1))


got, known = behind(log, "actions.csv --max-mem 6M -t 2")
t.check(got > known // 2, "actions.csv --max-mem 6M -t 2: the spills written behind the commit "
        "(%d, %d spilled besides the strings left out)" % (got, known))
_, log = found_ids(["--max-mem", "64M"])
t.check("reach their share" not in log, "actions.csv --max-mem 64M: no table freezes")
got, known = behind(log, "actions.csv --max-mem 64M -t 2")
t.check(known // 2 < got <= known, "actions.csv --max-mem 64M -t 2: the spills written behind "
        "the commit (%d of %d)" % (got, known))
d1 = os.path.join(work, "vv1")
p1 = run_env(["detect", "-vv", "--threads", "1", "--max-mem", "6M", "-o", d1, actions], MEDIUM)
t.check(p1.returncode == 0 and "spilled to" in p1.stderr and "written behind" not in p1.stderr,
        "actions.csv --max-mem 6M -t 1: the commit writes its spills itself")
same_detect("actions.csv, tables frozen part way", [actions], extra=["--max-mem", "6M"],
            threads=(2,))

# gzip and zstd: the chunks come from the decompressed stream
gz = actions + ".gz"
with open(actions, "rb") as f, gzip.open(gz, "wb", compresslevel=1) as g:
    shutil.copyfileobj(f, g)
zst = actions + ".zst"
subprocess.run(["zstd", "-q", "-1", "-f", actions, "-o", zst], check=True)
same_detect("actions.csv.gz + .zst", [gz, zst], threads=(2,))
same_convert("actions.csv.zst", [zst], threads=(3,))
# truncated streams: the rows before the break, then the same "FILE:LINE:
# truncated ... stream" (the read error sends the rest to the serial reader)
for src, name in ((gz, "trunc.csv.gz"), (zst, "trunc.csv.zst")):
    with open(src, "rb") as f:
        data = f.read()
    cut = os.path.join(work, name)
    with open(cut, "wb") as f:
        f.write(data[:len(data) // 3])
    r = same_convert(name, [cut], threads=(2,))
    t.check(r.returncode == 1 and "truncated" in r.stderr, "%s fails: %r" % (name, r.stderr))
    same_convert(name + " skip", [cut], extra=["--on-error", "skip"], threads=(3,))

# the IO archive, with quoted newlines in tweet_text, and near-text
simt = os.path.join(work, "simt")
t.run(["simulate", "-q", "--seed", "5", "--actions", "40000", "-o", simt])
tweets = os.path.join(simt, "tweets.csv")
with open(tweets, "rb") as f:
    raw = f.read()
t.check(b'\n' in raw and raw.count(b'"') > 1000, "tweets.csv has quoted fields")
multiline = sum(1 for line in raw.split(b"\n") if line.count(b'"') % 2 == 1)
t.check(multiline > 100, "tweets.csv has quoted newlines (%d odd-quote lines)" % multiline)
s = same_detect("tweets.csv", [tweets], chunk="4099")
t.check(s is not None and s["counts"].get("near_text_posts", 1) > 0 if s else False,
        "tweets.csv near-text ran")
same_convert("tweets.csv", [tweets], chunk="4099")

# ---- crafted CSV: quoting, line ends, bad rows -----------------------------------
rng = random.Random(7)
hdr = "object_id,account_id,content_id,timestamp_share,trace\n"
rows = []
for i in range(6000):
    obj = "o%d" % rng.randrange(300)
    acc = "a%d" % rng.randrange(400)
    ts = 1600000000 + i * 7
    r = rng.random()
    if r < 0.15:  # a multi-line quoted object (text trace), with "" escapes
        obj = '"line one %d\nline ""two""\r\nthree, %d"' % (rng.randrange(50), i % 3)
        rows.append('%s,%s,c%d,%d,text\n' % (obj, acc, i, ts))
    elif r < 0.2:
        rows.append('"%s","%s","c%d","%d",share\r\n' % (obj, acc, i, ts))
    else:
        rows.append("%s,%s,c%d,%d,share\n" % (obj, acc, i, ts))
clean = os.path.join(work, "crafted.csv")
with open(clean, "w", encoding="utf-8", newline="") as f:
    f.write(hdr + "".join(rows))
same_detect("crafted.csv", [clean], chunk=SMALL)
same_convert("crafted.csv", [clean], chunk=SMALL)

# bad rows at many places: each kind of skip reason
bad_kinds = [
    "o1,a1,c,yesterday,share\n",                  # bad_timestamp
    "o1,a1,c,1600000000\n",                       # wrong_field_count
    "o1,,c,1600000000,share\n",                   # empty_account
    ",a1,c,1600000000,share\n",                   # empty_object
    "o1,a1,c,1600000000,nosuchtrace\n",           # bad_field
    'o1,a1,"c"x,1600000000,share\n',              # malformed_csv (serial fallback)
]
dirty_rows = list(rows)
for k in range(60):
    dirty_rows.insert(rng.randrange(len(dirty_rows)), bad_kinds[k % len(bad_kinds)])
dirty_rows.insert(len(dirty_rows) // 2, "o\xff,a1,c,1600000000,share\n")  # invalid_utf8
dirty = os.path.join(work, "dirty.csv")
with open(dirty, "wb") as f:
    f.write((hdr + "".join(dirty_rows)).encode("utf-8", "surrogateescape")
            .replace("\xff".encode("utf-8"), b"\xff"))
s = same_detect("dirty.csv skip", [dirty], extra=["--on-error", "skip"], chunk=SMALL)
if s:
    sk = s["rows_skipped"] if "rows_skipped" in s else s.get("skipped", {})
    t.check(bool(sk), "dirty.csv: rows skipped (%r)" % (sk,))
same_convert("dirty.csv skip", [dirty], extra=["--on-error", "skip"], chunk=SMALL)
msg = same_failure("dirty.csv fail", [dirty])
t.check(":" in msg and "dirty.csv:" in msg, "fail message names the file: %r" % msg)
same_convert("dirty.csv fail", [dirty], chunk=SMALL)

# only late bad rows (the first one far into the file, past many chunks),
# and no malformed CSV: the parallel path runs to the error
late = os.path.join(work, "late.csv")
late_rows = list(rows)
late_rows.insert(len(late_rows) - 100, "o1,a1,c,yesterday,share\n")
late_rows.insert(len(late_rows) - 50, "o1,a1,c,1600000000\n")
with open(late, "w", encoding="utf-8", newline="") as f:
    f.write(hdr + "".join(late_rows))
msg = same_failure("late.csv fail", [late])
t.check("late.csv:" in msg and "not a timestamp" in msg, "late.csv: first bad row: %r" % msg)
same_detect("late.csv skip", [late], extra=["--on-error", "skip"], chunk=SMALL)

# a quote inside an unquoted field: the chunker's parity guess is wrong from
# there on; lone CR line ends; a BOM and a CRLF header
odd = os.path.join(work, "odd.csv")
odd_rows = list(rows[:3000])
odd_rows.insert(1200, 'o"1,a1,c1,1600000000,share\n')
odd_rows.insert(2000, "o2,a2,c2,1600000001,share\ro3,a3,c3,1600000002,share\r")
with open(odd, "w", encoding="utf-8", newline="") as f:
    f.write("\ufeff" + hdr.replace("\n", "\r\n") + "".join(odd_rows))
same_detect("odd.csv", [odd], chunk=SMALL)
same_convert("odd.csv", [odd], chunk=SMALL)

# ---- real JSON lines ----------------------------------------------------------------
if os.path.isdir(os.path.join(t.SHARED, "twitter-v2")):
    v2dir = os.path.join(t.SHARED, "twitter-v2")
    v2 = [os.path.join(v2dir, n) for n in sorted(os.listdir(v2dir)) if n.endswith(".jsonl")]
    same_detect("twitter-v2", v2, extra=["--on-error", "skip"], chunk=SMALL)
    same_convert("twitter-v2", v2, extra=["--on-error", "skip"], chunk=SMALL)
    broken = os.path.join(v2dir, "streaming_output_with_error.jsonl")
    if os.path.exists(broken):
        same_failure("streaming_output_with_error.jsonl", [broken])
    others = [os.path.join(t.SHARED, p) for p in
              ("twitter-v1/tweets_v11.jsonl.zst", "pushshift/RC_2005-12.zst",
               "pushshift/RC_2006-01.zst", "pushshift/AskMen_submissions.zst")]
    others = [p for p in others if os.path.exists(p)]
    same_detect("v1.1 + pushshift", others, extra=["--on-error", "skip"], chunk="4099")
    same_convert("v1.1 + pushshift", others, extra=["--on-error", "skip"], chunk="4099")
else:
    print("note: ../shared/data absent: the real JSON-lines samples are not checked")

shutil.rmtree(work, ignore_errors=True)
t.finish()
