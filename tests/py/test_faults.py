#!/usr/bin/python3
"""A full disk or a failing read can strike any temporary file of a run, at
any moment: whichever operation fails, detect stops with exit 1 and one line
of error naming the --tmp-dir folder and the cause, writes no summary.json,
leaves nothing in the folder, and never crashes or hangs.

The faults come from tests/shim/lk_faultfs.c, preloaded: it counts the
operations of one kind on files under the folder (new files, room taken with
posix_fallocate, writes, reads) and makes the Nth and every later one fail
(ENOSPC, or EIO for reads).  A first run counts them (and, the shim being
transparent, must write what a run without it writes); then N is swept over
that range: every point for a few operations, 16 spread over it for many
(LK_FAULT_POINTS sets how many).  The operations of several threads reach
the shim in no fixed order, so a run may end before its Nth: it must then
have written the reference's output.

Inputs run under --max-mem 1M, so that every stage spills: a simulated run
(near-text signatures and actions while reading, the index parked, the pair
records, the kept edges, the aggregation columns, the calibration's shared
part), a larger one whose post numbering's pairs are a mapped file, and the
IO-archive tweets read twice (the duplicate posts' keys).  A failing read
of the input file itself (plain on one and two threads, zstd, gzip) is one
line naming the file, the line reached and the cause.  A full output disk
(RLIMIT_FSIZE just below each output file's size) names the output and the
cause, and leaves the folder cleared.

Out of memory, the same way: tests/shim/lk_faultmem.c makes the Nth
allocation of lockstep's own code fail (once), at each of its first 64
allocations and 48 more spread over a small simulated run's, with and
without --max-mem.  The run stops with exit 1 and one line saying it ran out
of memory and where (an input, a stage, an output), or, where an allocation
has a fallback, writes the reference's output.  LK_FAULT_ALL=1 takes every
allocation instead (a few thousand runs).  And every allocation of
`convert --on-error skip` reading each format sample of tests/data/formats
and the first records of ../shared/data's Twitter v1, v2 and Pushshift
samples: one line saying it ran out of memory, or the same rows and summary.
Skipped in an ASan build, whose allocator the shim cannot stand in for.
"""
import os
import re
import resource
import shutil
import signal
import subprocess

from lktest import (LOCKSTEP, SHARED, check, check_same_folders, finish, run, sanitized, skip,
                    tmpdir)

SHIM = os.path.join(os.environ.get("LK_TOOLS_DIR", ""), "lk_faultfs.so")
MEMSHIM = os.path.join(os.environ.get("LK_TOOLS_DIR", ""), "lk_faultmem.so")
MEMPOINTS = 48
MEMFIRST = 64
CAUSE = {"open": "No space left on device", "alloc": "No space left on device",
         "write": "No space left on device", "read": "Input/output error"}
POINTS = int(os.environ.get("LK_FAULT_POINTS", "16"))  # more for a deeper sweep by hand
TIMEOUT = 600


def preloaded(shim, argv, text=True, **fault):
    """lockstep argv with shim preloaded and LK_FAULT_* set from fault (DIR=,
    OPS=, AT=): (process, operations the shim counted, or None)."""
    count = os.path.join(tmpdir(), "count")
    env = dict(os.environ, LD_PRELOAD=shim, LK_FAULT_COUNT=count)
    env.update({"LK_FAULT_" + k: str(v) for k, v in fault.items()})
    # lk_faultfs.so comes before the sanitizers' runtime in an ASan build
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    p = subprocess.run([LOCKSTEP] + argv, capture_output=True, text=text, env=env,
                       timeout=TIMEOUT)
    ops = None
    if os.path.exists(count):
        with open(count, encoding="ascii") as f:
            text = f.read().strip()  # written at exit: empty if the run was cut short
            ops = int(text) if text else None
    return p, ops


def faulty(args, tmp, out, mode, at):
    """detect under --max-mem 1M, its temporary files' operations failing."""
    return preloaded(SHIM, ["detect", "-q", "--max-mem", "1M", "--tmp-dir", tmp, "-o", out] + args,
                     DIR=tmp, OPS=mode, AT=at)


def points(n):
    if n <= POINTS:
        return list(range(1, n + 1))
    return sorted({1 + (n - 1) * i // (POINTS - 1) for i in range(POINTS)})


def sweep(name, args, ref, modes=("open", "alloc", "write", "read")):
    for mode in modes:
        tmp, out = tmpdir(), os.path.join(tmpdir(), "out")
        p, n = faulty(args, tmp, out, mode, 0)
        check(p.returncode == 0 and n is not None, "%s, %s: counting run exit 0 (%d: %s)"
              % (name, mode, p.returncode, p.stderr[-500:]))
        if p.returncode != 0 or n is None:
            continue
        check_same_folders(ref, out, "%s, %s: counting run vs without the shim" % (name, mode))
        check(n > 0, "%s: some %s operations on temporary files (%d)" % (name, mode, n))
        failed = 0
        for at in points(n):
            tmp, out = tmpdir(), os.path.join(tmpdir(), "out")
            p, _ = faulty(args, tmp, out, mode, at)
            what = "%s, %s fails from operation %d of %d" % (name, mode, at, n)
            err = p.stderr.strip().splitlines()
            if p.returncode == 0:  # the threads took another order and ended first
                check_same_folders(ref, out, what + ": the run ended first, its output")
            else:
                failed += 1
                check(p.returncode == 1, "%s: exit 1 (got %d: %s)"
                      % (what, p.returncode, p.stderr[-1500:]))
                check(len(err) == 1 and err[0].startswith("lockstep detect: ") and tmp in err[0]
                      and err[0].endswith(": " + CAUSE[mode]),
                      "%s: one line naming the folder and the cause (%r)" % (what, err[-3:]))
                check(not os.path.exists(os.path.join(out, "summary.json")),
                      what + ": no summary.json")
            check(os.listdir(tmp) == [], "%s: --tmp-dir left empty (%r)" % (what, os.listdir(tmp)))
            shutil.rmtree(os.path.dirname(out), ignore_errors=True)
        check(failed > 0, "%s, %s: a fault made the run fail" % (name, mode))
        print("%s, %s: %d operations, %d points, %d failed" % (name, mode, n, len(points(n)),
                                                              failed))


def mem_sweep(name, args, ref):
    """lockstep's Nth allocation fails: a clean stop or the same output."""
    def once(at):
        tmp, out = tmpdir(), os.path.join(tmpdir(), "out")
        p, n = preloaded(MEMSHIM, ["detect", "-q", "--tmp-dir", tmp, "-o", out] + args,
                         text=False, AT=at)
        return p, n, tmp, out

    p, n, tmp, out = once(0)
    check(p.returncode == 0 and n, "%s, allocations: counting run exit 0 (%d: %r)"
          % (name, p.returncode, p.stderr[-500:]))
    if p.returncode != 0 or not n:
        return
    check_same_folders(ref, out, "%s, allocations: counting run vs without the shim" % name)
    # every one of the first (the run's set-up: options, sink, files,
    # streams), and points spread over the rest
    ats = range(1, n + 1) if os.environ.get("LK_FAULT_ALL") else \
        sorted(set(range(1, min(n, MEMFIRST) + 1)) |
               {1 + (n - 1) * i // (MEMPOINTS - 1) for i in range(MEMPOINTS)})
    failed = 0
    for at in ats:
        p, _, tmp, out = once(at)
        what = "%s, allocation %d of %d fails" % (name, at, n)
        try:
            err = p.stderr.decode("utf-8").strip().splitlines()
        except UnicodeDecodeError:
            err = None
        check(err is not None, "%s: stderr is text (%r)" % (what, p.stderr[-300:]))
        if p.returncode == 0:  # a fallback, or another thread's allocation came first
            check_same_folders(ref, out, what + ": exit 0, the reference's output")
        else:
            failed += 1
            check(p.returncode == 1, "%s: exit 1 (got %d: %r)"
                  % (what, p.returncode, p.stderr[-1500:]))
            check(err is not None and len(err) == 1 and err[0].startswith("lockstep detect: ")
                  and "out of memory" in err[0],
                  "%s: one line saying so (%r)" % (what, err[-3:] if err else p.stderr[-300:]))
            # and where: a file, a stage, an output, never the bare words
            check(not err or err[0] != "lockstep detect: out of memory",
                  "%s: the message says where (%r)" % (what, err))
            check(not os.path.exists(os.path.join(out, "summary.json")),
                  what + ": no summary.json")
        check(os.listdir(tmp) == [], "%s: --tmp-dir left empty" % what)
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    check(failed > len(ats) // 2, "%s: most allocations' failure stops the run (%d of %d)"
          % (name, failed, len(ats)))
    print("%s, allocations: %d, %d points, %d failed" % (name, n, len(ats), failed))


def input_sweep(name, path, threads):
    """A read of the input file fails (EIO): one line naming the file (and
    the line reached, once there is one) and the cause, exit 1, no output."""
    folder = os.path.dirname(path)

    def once(at):
        out = os.path.join(tmpdir(), "out")
        p, n = preloaded(SHIM, ["detect", "-q", "-t", threads, "-w", "60s", "-o", out, path],
                         DIR=folder, OPS="read", AT=at)
        return p, n, out

    p, n, ref = once(0)
    check(p.returncode == 0 and n, "%s: counting run exit 0, reads counted (%d, %r)"
          % (name, p.returncode, n))
    if p.returncode != 0 or not n:
        return
    for at in points(n):
        p, _, out = once(at)
        what = "%s, read %d of %d fails" % (name, at, n)
        err = p.stderr.strip().splitlines()
        if p.returncode == 0:  # the reads were fewer this time: the run must be whole
            check(at == n, "%s: exit 0" % what)
            check_same_folders(ref, out, what + ": exit 0, the counting run's output")
            continue
        check(p.returncode == 1, "%s: exit 1 (got %d: %s)" % (what, p.returncode, p.stderr[-800:]))
        want = re.compile(r"lockstep detect: %s(:[0-9]+)?: read error: Input/output error"
                          % re.escape(path))
        check(len(err) == 1 and want.fullmatch(err[0]) is not None,
              "%s: one line naming the file and the cause (%r)" % (what, err[-3:]))
        check(not os.path.exists(os.path.join(out, "summary.json")), what + ": no summary.json")
    print("%s: %d reads, %d points" % (name, n, len(points(n))))


def output_sweep(name, args, ref):
    """The output folder's disk fills up (RLIMIT_FSIZE just below each output
    file's size, SIGXFSZ at its default, which lockstep ignores): one line
    naming a file at least that large and the cause, exit 1, and the folder
    cleared of the run's outputs."""
    sizes = {f: os.path.getsize(os.path.join(ref, f)) for f in os.listdir(ref)}
    for f, size in sorted(sizes.items()):
        limit = size - 1

        def full(limit=limit):  # SIGXFSZ as the shell leaves it: lockstep ignores it
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        out = os.path.join(tmpdir(), "out")
        p = subprocess.run([LOCKSTEP, "detect", "-q", "-o", out] + args, capture_output=True,
                           text=True, preexec_fn=full, timeout=TIMEOUT)
        what = "%s, files of at most %d bytes (%s is %d)" % (name, limit, f, size)
        err = p.stderr.strip().splitlines()
        m = re.fullmatch(r"lockstep detect: cannot write '%s/([a-z_.]+)': File too large"
                         % re.escape(out), err[0]) if len(err) == 1 else None
        check(p.returncode == 1, "%s: exit 1 (got %d)" % (what, p.returncode))
        check(m is not None and sizes.get(m.group(1), 0) > limit,
              "%s: one line naming an output that large and the cause (%r)" % (what, err[-3:]))
        check(not os.path.exists(out) or os.listdir(out) == [],
              "%s: the folder cleared (%r)" % (what, os.listdir(out) if os.path.exists(out)
                                               else None))
    print("%s: %d output sizes" % (name, len(sizes)))


def convert_sweep(path):
    """Every allocation of lockstep's while `convert --on-error skip` reads
    one input format: exit 1 and one line saying it ran out of memory, or
    the reference's rows and summary (a fallback).  A reader that took an
    allocation failure for a bad field would skip the row instead."""
    def summary(err):
        return re.sub(r"[0-9.]+ s wall", "", err.decode("utf-8", "replace"))

    argv = ["convert", "--on-error", "skip", path]
    p, n = preloaded(MEMSHIM, argv, text=False)
    name = os.path.basename(path)
    check(p.returncode == 0 and n, "convert %s: counting run exit 0 (%d)" % (name, p.returncode))
    if p.returncode != 0 or not n:
        return
    ref_out, ref_err = p.stdout, summary(p.stderr)
    for at in range(1, n + 1):
        p, _ = preloaded(MEMSHIM, argv, text=False, AT=at)
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        check((p.returncode == 0 and p.stdout == ref_out and summary(p.stderr) == ref_err) or
              (p.returncode == 1 and len(err) == 1 and "out of memory" in err[0]),
              "convert %s, allocation %d of %d fails: the reference's rows, or one line saying "
              "so (exit %d, %r)" % (name, at, n, p.returncode, err[-2:]))
    print("convert %s: %d allocations" % (name, n))


def simulated(base, name, args_before, seed, actions, tweets=False):
    """A simulated input and the reference output of detect on it: (its
    folder, the detect arguments with its file, the reference folder)."""
    d = os.path.join(base, name)
    run(["simulate", "-q", "--seed", str(seed), "--actions", str(actions)] +
        ([] if tweets else ["--no-tweets"]) + ["-o", d])
    f = os.path.join(d, "tweets.csv" if tweets else "actions.csv")
    args = args_before + [f, f] if tweets else args_before + [f]
    ref = os.path.join(base, name + "_ref")
    run(["detect", "-q", "-o", ref] + args)
    return d, args, ref


def main():
    if not os.path.exists(SHIM):
        skip("no lk_faultfs.so beside the test tools (LK_TOOLS_DIR)")
    base = tmpdir()
    opts = ["-t", "2", "-w", "60s"]

    sim, args, ref = simulated(base, "sim", opts, 7, 300000)
    sweep("simulated 300k", args, ref)
    output_sweep("simulated 300k, a full output disk", args, ref)

    # the post numbering's pairs in a mapped file (test_scale checks that
    # 450k actions under 1M take that path): the room taken for it
    _, args, ref = simulated(base, "big", opts, 7, 450000)
    sweep("simulated 450k", args, ref, modes=("alloc",))

    # duplicate posts (the IO-archive tweets read twice): the keys of the
    # posts read go to a file
    _, args, ref = simulated(base, "tweets", opts, 3, 150000, tweets=True)
    sweep("tweets read twice", args, ref)

    # the input itself cannot be read: plain (read on 1 and on 2 threads,
    # whose chunks are read apart), zstd and gzip
    inp = os.path.join(base, "input")
    os.makedirs(inp)
    plain = os.path.join(inp, "actions.csv")
    shutil.copy(os.path.join(sim, "actions.csv"), plain)
    subprocess.run(["zstd", "-q", "-k", plain], check=True)
    subprocess.run(["gzip", "-k", plain], check=True)
    input_sweep("input read on 1 thread", plain, "1")
    input_sweep("input read on 2 threads", plain, "2")
    input_sweep("zstd input", plain + ".zst", "2")
    input_sweep("gzip input", plain + ".gz", "2")

    if not os.path.exists(MEMSHIM) or sanitized():
        print("SKIP part: allocation failures (no lk_faultmem.so, or an ASan build)")
    else:
        _, args, ref = simulated(base, "small", opts, 7, 50000)
        mem_sweep("simulated 50k", args, ref)
        mem_sweep("simulated 50k, --max-mem 1M", ["--max-mem", "1M"] + args, ref)
        formats = os.path.join(os.environ.get("LK_TEST_DATA", ""), "formats")
        for f in sorted(os.listdir(formats)) if os.path.isdir(formats) else []:
            convert_sweep(os.path.join(formats, f))
        # the readers with no sample there: the first records of ../shared/data's
        for rel, lines in (("twitter-v1/tweets_v11.jsonl.zst", 40),
                           ("pushshift/RC_2005-12.zst", 60),
                           ("pushshift/AskMen_submissions.zst", 30),
                           ("twitter-v2/cotweet.jsonl", 1), ("twitter-v2/edited.jsonl", 1)):
            src = os.path.join(SHARED, rel)
            if not os.path.exists(src):
                print("SKIP part: ../shared/data/%s is absent" % rel)
                continue
            head = os.path.join(base, os.path.basename(rel).replace(".zst", "") + ".head.jsonl")
            with open(src, "rb") as f:
                data = f.read() if not rel.endswith(".zst") else subprocess.run(
                    ["zstd", "-dc", "--long=31"], input=f.read(), capture_output=True,
                    check=False).stdout
            with open(head, "wb") as f:
                f.write(b"".join(data.splitlines(keepends=True)[:lines]))
            convert_sweep(head)
    finish()


if __name__ == "__main__":
    if not LOCKSTEP or not os.path.exists(LOCKSTEP):
        skip("no lockstep binary")
    main()
