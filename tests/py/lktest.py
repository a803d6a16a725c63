"""Small helpers shared by the scripted tests (stdlib only)."""
import atexit
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

LOCKSTEP = os.environ.get("LOCKSTEP", "")
if not LOCKSTEP:
    raise SystemExit("LOCKSTEP is not set: the lockstep binary to test (ctest sets it)")
SHARED = os.environ.get("LK_SHARED_DATA", "")


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def need_shared(*rel):
    for r in rel:
        if not os.path.exists(os.path.join(SHARED, r)):
            skip("../shared/data/%s is absent" % r)
    return [os.path.join(SHARED, r) for r in rel]


def sanitized():
    """lockstep is an ASan build (a preloaded allocator cannot stand in for
    the sanitizer's)."""
    p = subprocess.run(["ldd", LOCKSTEP], capture_output=True, text=True)
    return "libasan" in p.stdout


def run(args, check=True):
    p = subprocess.run([LOCKSTEP] + args, capture_output=True, text=True)
    if check and p.returncode != 0:
        failures.append("lockstep %s" % args[0])
        raise SystemExit("lockstep %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


def read_csv(path):
    """Rows of a CSV file; .zst files are decompressed with the zstd tool."""
    if path.endswith(".zst"):
        text = subprocess.run(["zstd", "-dc", path], capture_output=True, text=True,
                              check=True).stdout
    else:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    return list(csv.reader(io.StringIO(text)))


def summary(outdir):
    with open(os.path.join(outdir, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


_root = None


def _remove_root():
    if _root is None:
        return
    if os.environ.get("LK_KEEP_TMP") or failures:
        print("scratch folders kept in %s" % _root)
    else:
        shutil.rmtree(_root, ignore_errors=True)


def tmpdir():
    """A new scratch folder, inside one folder per test process that is
    removed when the process exits (kept when a check failed, or with
    LK_KEEP_TMP set, and its path printed)."""
    global _root
    if _root is None:
        _root = tempfile.mkdtemp(prefix="lktest.")
        atexit.register(_remove_root)
    return tempfile.mkdtemp(dir=_root)


def folder_files(d):
    """{name: bytes} of every file in folder d."""
    out = {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    return out


failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def check_same_folders(a, b, what):
    """Folders a and b hold the same files, byte for byte."""
    fa, fb = folder_files(a), folder_files(b)
    check(sorted(fa) == sorted(fb), "%s: same files (%s vs %s)" % (what, sorted(fa), sorted(fb)))
    for name in fa:
        if name in fb:
            check(fa[name] == fb[name], "%s: %s byte-identical" % (what, name))


def finish():
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")
