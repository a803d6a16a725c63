#!/usr/bin/python3
"""Differential test: lockstep's CSV scanner against Python's csv module.

Generates a few thousand small CSV documents from fixed seeds, mixing quoted
fields with embedded separators, quotes, CR, LF and CRLF, a leading BOM,
non-ASCII text, empty fields, empty lines and a last record without a line
end.  Every document is valid RFC 4180 apart from two leniencies both
parsers share: a quote inside an unquoted field is data, and a lone CR ends
a line.  Each document is scanned by tests/tools/lk_csvdump and by
csv.reader; the records must be identical.

Known semantic differences, normalised here:
  * Python's csv returns an empty line as an empty record []; lockstep skips
    empty lines (documented in parse_csv.h), so [] records are dropped from
    Python's output before comparing.
  * Python's csv does not strip a UTF-8 BOM; the Python side decodes with
    'utf-8-sig', which does, as lockstep does.

Environment: LK_TOOLS_DIR holds lk_csvdump.  Exit 77 (skipped) without it.
"""
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile

N_DOCS = 3000
SEPS = [",", ";", "\t"]
# Letters that need no quoting, some of them multi-byte in UTF-8.
PLAIN = "abcxyzABC0123456789 _-.:/@#é中😀ß"


def plain_text(rng, n):
    return "".join(rng.choice(PLAIN) for _ in range(n))


def gen_field(rng, sep):
    """Return (raw CSV text, parsed value) for one field."""
    kind = rng.random()
    if kind < 0.15:
        return "", ""
    if kind < 0.50:
        v = plain_text(rng, rng.randint(1, 12))
        if rng.random() < 0.1 and len(v) > 1:
            # Lenient: a quote that does not start the field is data.
            v = v[0] + '"' + v[1:]
        return v, v
    parts = []
    for _ in range(rng.randint(0, 8)):
        parts.append(rng.choice([plain_text(rng, rng.randint(1, 5)), sep, '"', "\n", "\r",
                                 "\r\n", '""', ",", ";", "\t"]))
    v = "".join(parts)
    return '"' + v.replace('"', '""') + '"', v


def gen_doc(rng):
    sep = rng.choice(SEPS)
    bom = rng.random() < 0.2
    out, records = [], []
    nrec = rng.randint(0, 8)
    for r in range(nrec):
        while rng.random() < 0.1:
            out.append(rng.choice(["\n", "\r\n"]))  # empty line
        nf = rng.randint(1, 6)
        raws, vals = zip(*(gen_field(rng, sep) for _ in range(nf)))
        out.append(sep.join(raws))
        records.append(list(vals))
        last = r == nrec - 1
        if not last or rng.random() < 0.7:
            out.append(rng.choice(["\n", "\r\n", "\n", "\r\n", "\r"]))
    text = "".join(out)
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return sep, data


def python_records(data, sep):
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    # lockstep skips empty lines; Python reports them as [].
    return [r for r in rows if r != []]


def run_tool(tool, sep, paths):
    """Scan many files in one process; return {path: list of output lines}."""
    res = subprocess.run([tool, "-d", sep] + paths, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        sys.stderr.write(res.stderr.decode("utf-8", "replace"))
        raise SystemExit("lk_csvdump failed with exit code %d" % res.returncode)
    per_file, cur = {}, None
    for line in res.stdout.decode("utf-8").split("\n"):
        if line.startswith("== "):
            cur = line[3:]
            per_file[cur] = []
        elif line:
            per_file[cur].append(line)
    return per_file


def main():
    tools = os.environ.get("LK_TOOLS_DIR", "")
    tool = os.path.join(tools, "lk_csvdump")
    if not tools or not os.access(tool, os.X_OK):
        print("skip: lk_csvdump not found (LK_TOOLS_DIR=%r)" % tools)
        return 77

    failures = 0
    with tempfile.TemporaryDirectory(prefix="lk_csvdiff.") as tmp:
        by_sep = {s: [] for s in SEPS}
        docs = {}
        for seed in range(N_DOCS):
            sep, data = gen_doc(random.Random(seed))
            path = os.path.join(tmp, "doc%05d.csv" % seed)
            with open(path, "wb") as f:
                f.write(data)
            by_sep[sep].append(path)
            docs[path] = (seed, sep, data)
        for sep, paths in by_sep.items():
            got_all = run_tool(tool, sep, paths)
            for path in paths:
                seed, _, data = docs[path]
                want = python_records(data, sep)
                lines = got_all.get(path, [])
                errors = [ln for ln in lines if ln.startswith("ERROR")]
                got = [json.loads(ln) for ln in lines if not ln.startswith("ERROR")]
                if errors or got != want:
                    failures += 1
                    if failures <= 5:
                        print("MISMATCH seed=%d sep=%r doc=%r" % (seed, sep, data))
                        print("  lockstep:", errors or got)
                        print("  python:  ", want)
    print("%d documents, %d mismatches" % (N_DOCS, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
