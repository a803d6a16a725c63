"""The JSON parser (src/json.c) against jansson, a library parser from Debian: on
every line of the real JSON samples and on 20,000 generated texts (valid ones and
mutated invalid ones), both must accept or reject alike and, when they accept, give
the same tree (types, decoded strings, keys in order, numbers).  The documented
policy differences (lone surrogate escapes, out-of-range numbers, ...) are counted
apart by the tool itself (tests/tools/lk_jsondiff.c)."""
import glob
import os
import subprocess

from lktest import SHARED, skip

tool = os.path.join(os.environ.get("LK_TOOLS_DIR", ""), "lk_jsondiff")
if not os.path.exists(tool):
    skip("lk_jsondiff was not built (libjansson-dev missing)")

runs = [["--gen", "20000", "1"], ["--gen", "20000", "7"]]
real = (glob.glob(os.path.join(SHARED, "twitter-v1", "*.zst")) +
        sorted(glob.glob(os.path.join(SHARED, "twitter-v2", "*.jsonl"))) +
        sorted(glob.glob(os.path.join(SHARED, "pushshift", "*.zst"))))
if real:
    runs.append(real)
bad = 0
for args in runs:
    p = subprocess.run([tool] + args, capture_output=True, text=True)
    last = (p.stdout.strip().splitlines() or [""])[-1]
    print(" ".join(os.path.basename(a) for a in args[:3]), "->", last)
    if p.returncode != 0:
        print(p.stdout[-2000:], p.stderr[-2000:])
        bad += 1
raise SystemExit(1 if bad else 0)
