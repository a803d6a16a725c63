#!/usr/bin/python3
"""`mpirun -np N lockstep detect ...` writes exactly what one process writes:
every output file byte for byte, on CooRTweet's russian sample (calibrated
and weight threshold) and on a simulated input (default settings, and with a
memory cap that spills pair records to disk, and with the null copies'
account pairs sampled, --null-sample 4), for 2 and 3 ranks
(--oversubscribe: CI has 2 cores).  -v reports the bytes shuffled between
ranks.  At -vv each rank reports the edges it holds after each aggregation
(the data's and both null copies').  The null copies' are gathered on rank 0
alone: all of them there (as many as one process holds), none on the
others.  The data's kept edges stay on the ranks that reduced them
(together as many as one process holds, on two ranks or more); each rank
judges its own, against the null copies (calibrated: src/qvalue.c,
lk_qvalues_scan_ranks) or a weight or quantile threshold, and the edges
that pass, as many as one process finds and from two ranks or more, go to
rank 0.  A failure on the ranks (an output folder that cannot be made,
a spill folder that does not exist) stops all of them with one message and
exit status 1, without hanging; so does a full disk or a failing read on
one rank alone, at any temporary-file operation (the preloaded shim
tests/shim/lk_faultfs.c on rank 1, as in test_faults.py), and a failed
allocation of lockstep's on rank 1 alone (tests/shim/lk_faultmem.c; not in
an ASan build), even its first, made while the ranks join.

Reading is split over the ranks (src/reader_par.c): each rank parses a
share of the chunks and the journals are exchanged; a plain file is read
by byte range, each rank its own stripes (-vv: every rank reads by byte
range, at most 1.6/R of the data's bytes, and all of them are read by one
rank or another), a compressed one whole by every rank.  With
LK_CHUNK_BYTES small (passed to the ranks with mpirun -x) the inputs span
many chunks, stripes and rounds: the simulated actions.csv, a gzip copy,
the same read whole by every rank (LK_DIST_READ_ALL), a CRLF copy, two
records on three ranks, the simulated IO archive (quoted newlines,
near-text), the same with records longer than several stripes (quoted
newlines, commas, doubled quotes), Twitter v1.1 JSON lines, the russian
sample, and a CSV with bad rows of several kinds (one malformed row sends
the rest of the file to the serial reader) under --on-error skip
(identical outputs) and --on-error fail (the exit status and message of
one process).  -v reports the bytes of journals exchanged; -vv, on the
simulated input and its gzip copy, that every rank found ids in its string
tables for the chunks it parsed, which the other ranks' commits then take;
and, on the simulated input under --max-mem 64M with two threads a rank,
that every rank's commit had its spills written by a thread of their own
(src/wbehind.c).

Skipped (77) when mpirun is absent or lockstep was built without MPI.

Under AddressSanitizer, Open MPI's own allocations at init and finalize
(libmpi, libopen-pal, libopen-rte, PMIx, hwloc, libevent, its mca_*
components) are reported as leaks: tests/lsan-mpi.supp suppresses exactly
those libraries, so a leak in lockstep's code still fails the test.  For the
suppressions to see them, the ranks keep the components loaded
(mca_base_component_disable_dlclose) and unwind slowly but fully
(fast_unwind_on_malloc=0: Open MPI is built without frame pointers).
"""
import csv
import os
import gzip
import json
import random
import re
import shutil
import subprocess

from lktest import (LOCKSTEP, SHARED, check, check_same_folders, finish, run, sanitized, skip,
                    tmpdir)

RUSSIAN = os.path.join(SHARED, "coortweet", "russian_coord_tweets.csv.zst")
SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lsan-mpi.supp")
TIMEOUT = 600

MPIRUN = shutil.which("mpirun")
if not MPIRUN:
    skip("mpirun is absent")
if "mpi" not in run(["--version", "-v"]).stdout.split():
    skip("lockstep was built without MPI")

ENV = dict(os.environ)
# the container runs as root; Open MPI refuses that unless told twice
ENV["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
ENV["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
lsan = "suppressions=" + os.path.abspath(SUPP)
ENV["LSAN_OPTIONS"] = (ENV["LSAN_OPTIONS"] + ":" + lsan) if ENV.get("LSAN_OPTIONS") else lsan
unwind = "fast_unwind_on_malloc=0"
ENV["ASAN_OPTIONS"] = (ENV["ASAN_OPTIONS"] + ":" + unwind) if ENV.get("ASAN_OPTIONS") else unwind
ENV["OMPI_MCA_mca_base_component_disable_dlclose"] = "1"


def mpirun(np, args, btl, chunk=None, read_all=False):
    env, fwd = dict(ENV), []
    if chunk:  # small chunks, on every rank
        env["LK_CHUNK_BYTES"] = chunk
        fwd = ["-x", "LK_CHUNK_BYTES"]
    if read_all:  # every rank reads the whole file, as for a compressed one
        env["LK_DIST_READ_ALL"] = "1"
        fwd += ["-x", "LK_DIST_READ_ALL"]
    cmd = [MPIRUN, "-np", str(np), "--oversubscribe"] + btl + fwd + [LOCKSTEP] + args
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT)


# shared memory between the ranks; TCP on loopback where vader cannot map
BTL = None
probe = tmpdir()
for btl in (["--mca", "btl", "self,vader"], ["--mca", "btl", "self,tcp"], []):
    p = mpirun(2, ["--version"], btl)
    if p.returncode == 0:
        BTL = btl
        break
if BTL is None:
    skip("mpirun cannot start 2 ranks here: " + p.stderr.strip()[-300:])
print("mpirun options: %s" % " ".join(BTL))


def shuffled(stderr):
    return sum(int(x) for x in re.findall(r"(\d+) bytes shuffled", stderr))


def near_text_shared(name, np, ref, stderr):
    """The near-text band passes are shared out (src/neartext.c, my_passes):
    rank 0 sweeps the bands of every np-th group of four passes (pass 0,
    the identity pass, is every rank's), and sends the joins it made."""
    with open(os.path.join(ref, "summary.json"), encoding="utf-8") as f:
        nt = json.load(f)["counts"].get("near_text")
    if not nt or nt["clusters"] == 0:
        return
    m = re.search(r"near-text: (\d+) of (\d+) band passes swept here, (\d+) bytes of joins "
                  r"sent to (\d+) ranks", stderr)
    want = sum(1 for p in range(1, nt["bands"] + 1) if (p // 4) % np == 0)
    check(m is not None and int(m.group(1)) == want and int(m.group(2)) == nt["bands"]
          and int(m.group(3)) > 0 and int(m.group(4)) == np - 1,
          "%s, %d ranks: rank 0 swept %d of %d near-text bands and sent its joins (%s)"
          % (name, np, want, nt["bands"], m.group(0) if m else None))


def null_strata_shared(name, np, stderr):
    """Calibrated, the null copies' strata are found by all ranks together
    (calibrate.c, strata_gather): rank 0 sorts the keys of parts q with q mod
    np = 0 alone, at least one part a rank, and sends every rank its keys'
    account counts."""
    if "calibration:" not in stderr:
        return
    got = [tuple(int(x) for x in m) for m in re.findall(
        r"calibration: (?:WHO|WHEN) strata found in (\d+) parts of the accounts \(\d+ posts\), "
        r"(\d+) of them sorted here, (\d+) bytes of their keys' counts sent to every rank",
        stderr)]
    check(len(got) == 2 and all(parts >= np and mine == len(range(0, parts, np)) and sent > 0
                                for parts, mine, sent in got),
          "%s, %d ranks: rank 0 sorted its share of the null copies' strata keys (%r)"
          % (name, np, got))


def compare(name, args, inputs, ranks=(2, 3), spill=False, sketch=False, keys=False):
    base = tmpdir()
    ref = os.path.join(base, "one")
    run(["detect", "-q", "-o", ref] + args + inputs)
    check(os.path.exists(os.path.join(ref, "summary.json")), "%s: reference run complete" % name)
    for np in ranks:
        out = os.path.join(base, "np%d" % np)
        extra = []
        if spill:
            extra = ["--max-mem", "1M", "--tmp-dir", tmpdir()]
        p = mpirun(np, ["detect", "-v", "-o", out] + extra + args + inputs, BTL)
        check(p.returncode == 0, "%s, %d ranks: exit 0 (got %d: %s)"
              % (name, np, p.returncode, p.stderr[-2000:]))
        if p.returncode != 0:
            continue
        check_same_folders(ref, out, "%s, %d ranks vs 1 process" % (name, np))
        check(shuffled(p.stderr) > 0, "%s, %d ranks: -v reports bytes shuffled" % (name, np))
        near_text_shared(name, np, ref, p.stderr)
        null_strata_shared(name, np, p.stderr)
        if sketch:  # the ranks' summed pair sketch leaves out one-record pairs
            m = re.search(r"\((\d+) of one record only counted\)", p.stderr)
            check(m is not None and int(m.group(1)) > 0,
                  "%s, %d ranks: the pair sketch left pairs out (%s)"
                  % (name, np, m.group(0) if m else None))
        # rank 0 alone speaks: one summary line
        check(len(re.findall(r" s wall, .* results in ", p.stderr)) == 1,
              "%s, %d ranks: one summary line (stderr: %s)" % (name, np, p.stderr[-1500:]))
        if keys:  # inputs with duplicate posts: found after reading on every rank
            m = re.search(r"post keys: (\d+) records waited in .* \(\d+ bytes\); (\d+) keys of "
                          r"them matched after reading, (\d+) distinct: ([1-9]\d*) duplicate "
                          r"posts", p.stderr)
            check(m is not None and int(m.group(2)) == 2 * int(m.group(4)),
                  "%s, %d ranks: the duplicate posts found after reading (%s)"
                  % (name, np, m.group(0) if m else None))
        if spill:
            # (the 26,000 tweets' pairs fit the pair stage's budget under 1M)
            check(keys or re.search(r"[1-9]\d* bytes spilled", p.stderr) is not None,
                  "%s, %d ranks: records spilled under --max-mem 1M" % (name, np))
            # calibrated, every rank parks its partitions' kept edges as one
            # process does and keeps them (net.c, keep_own): the calibration
            # judges them there, and only those that pass go to rank 0
            check(re.search(r"pair aggregation: [1-9]\d* kept edges \(\d+ bytes\) parked in "
                            r".* \(this rank's share\)", p.stderr) is not None,
                  "%s, %d ranks: rank 0 parked its share of the kept edges under --max-mem 1M"
                  % (name, np))
            check("bytes of kept edges received" not in p.stderr,
                  "%s, %d ranks: no rank sent its kept edges to rank 0" % (name, np))
            # calibrated, the null copies' columns (mapped under the cap)
            # take room for rank 0's share of the objects alone: those of
            # the chunks it aggregates (calibrate.c, lk_net_share)
            if "calibration:" in p.stderr:
                cols = [(int(a), int(b)) for a, b in re.findall(
                    r"aggregation columns \((\d+) bytes, (\d+) of them this rank's objects'\)",
                    p.stderr)]
                check(len(cols) == 2 and all(0 < own < whole for whole, own in cols),
                      "%s, %d ranks: the null copies' columns hold rank 0's share (%r)"
                      % (name, np, cols))
            # every rank's string tables freeze from the first action and get
            # the ids they left out after reading, the same on every rank
            m = re.search(r"string tables: (\d+) new accounts and (\d+) new objects found in "
                          r"(\d+) occurrences", p.stderr)
            check(m is not None and int(m.group(1)) > 0 and int(m.group(2)) > 0,
                  "%s, %d ranks: the string tables frozen under --max-mem 1M (%s)"
                  % (name, np, m.group(0) if m else None))
            # every rank spills its near-text signatures and parks its dataset
            # while it clusters the same gathered texts (rank 0 reports it)
            check(re.search(r"near-text: [1-9]\d* bytes of signatures", p.stderr) is not None
                  and "near-text: dataset parked" in p.stderr,
                  "%s, %d ranks: near-text spilled and dataset parked under --max-mem 1M"
                  % (name, np))
            # and, the cap leaving no room for the clustering's work, every
            # rank sorts and sweeps its passes in parts (neartext.c)
            if "near-text clustering:" in p.stderr:
                check(re.search(r"near-text: each pass sorted and swept in parts of at most \d+ "
                                r"of its [1-9]\d* records, keys made for 1 pass at a time",
                                p.stderr) is not None,
                      "%s, %d ranks: the near-text passes in parts under --max-mem 1M (%r)"
                      % (name, np, [l for l in p.stderr.splitlines() if "near-text" in l]))


HELD = re.compile(r"^lockstep detect: debug: rank (\d+): (\d+) edges (?:of the (\w+) null copy )?"
                  r"held after aggregation", re.M)


def held(stderr):
    """{(network, rank): edges held}, network "data", "WHO" or "WHEN"."""
    return {(m.group(3) or "data", int(m.group(1))): int(m.group(2))
            for m in HELD.finditer(stderr)}


THREADS = re.compile(r"^lockstep detect: debug: rank (\d+): (\d+) threads \(the default; "
                     r"(\d+) cores allowed, shared by (\d+) ranks\)", re.M)


def threads_shared(name, np, stderr):
    """Without --threads, ranks sharing cores (started unbound, or bound to a
    socket) divide them (src/dist.c, node_share): each takes its share, and
    together they start no more threads than the machine has cores (or one a
    rank)."""
    got = {int(m.group(1)): tuple(int(x) for x in m.group(2, 3, 4))
           for m in THREADS.finditer(stderr)}
    check(sorted(got) == list(range(np)), "%s: -vv reports each rank's threads (%r)" % (name, got))
    for r, (threads, cores, share) in got.items():
        check(1 <= share <= np and threads == max(1, cores // share),
              "%s: rank %d takes its share of %d cores shared by %d ranks (%d threads)"
              % (name, r, cores, share, threads))
    total = sum(t for t, _, _ in got.values())
    check(total <= max(np, os.cpu_count() or 1),
          "%s: %d ranks start %d threads in all on %s cores" % (name, np, total, os.cpu_count()))


PASS = re.compile(r"^lockstep detect: debug: rank (\d+): (\d+) of its share of the kept edges "
                  r"pass (?:their q-values|the threshold)", re.M)


def held_where(name, args, inputs, np=3, calibrated=True):
    """The data's kept edges stay on the ranks that reduced them: each holds
    its share, together as many as one process holds, on two ranks or more;
    each rank judges its own (calibrated: against the null copies, whose
    edges rank 0 holds, as many as one process, the others none; else the
    threshold), and those that pass, as many as one process finds and from
    two ranks or more, go to rank 0."""
    base = tmpdir()
    ref = os.path.join(base, "one")
    one = run(["detect", "-vv", "-o", ref] + args + inputs)
    want = held(one.stderr)
    nets = sorted({k[0] for k in want})
    check(("data", 0) in want and set(want) == {(n, 0) for n in nets}
          and (len(nets) == 3) == calibrated,
          "%s, 1 process: -vv reports the edges held (%r)" % (name, want))
    kept = re.search(r"edges, (\d+) kept;", one.stderr)
    check(kept is not None and want.get(("data", 0)) == int(kept.group(1)),
          "%s, 1 process: the edges held are the edges kept (%r)" % (name, want))
    passing = re.search(r"(\d+) edges at FDR <= " if calibrated else r"(\d+) coordinated edges",
                        one.stderr)
    out = os.path.join(base, "np%d" % np)
    p = mpirun(np, ["detect", "-vv", "-o", out] + args + inputs, BTL)
    check(p.returncode == 0, "%s, %d ranks -vv: exit 0 (got %d: %s)"
          % (name, np, p.returncode, p.stderr[-2000:]))
    if p.returncode != 0:
        return
    got = held(p.stderr)
    shares = [got.get(("data", r)) for r in range(np)]
    check(None not in shares and sum(shares) == want[("data", 0)]
          and sum(1 for x in shares if x) >= 2,
          "%s, data network: the ranks' shares %r make one process's %d edges, on two ranks or "
          "more" % (name, shares, want[("data", 0)]))
    passed = {int(m.group(1)): int(m.group(2)) for m in PASS.finditer(p.stderr)}
    check(passing is not None and sorted(passed) == list(range(np))
          and sum(passed.values()) == int(passing.group(1))
          and sum(1 for x in passed.values() if x) >= 2,
          "%s: the edges that pass, %r by rank, are one process's %s, found on two ranks or more"
          % (name, passed, passing.group(1) if passing else None))
    nets = [n for n in nets if n != "data"]
    for net in nets:
        check(got.get((net, 0)) == want[(net, 0)] and want[(net, 0)] > 0,
              "%s, %s network: rank 0 holds all %d edges (got %r)"
              % (name, net, want[(net, 0)], got.get((net, 0))))
        for r in range(1, np):
            check(got.get((net, r)) == 0, "%s, %s network: rank %d holds no edges (got %r)"
                  % (name, net, r, got.get((net, r))))
    check(len(got) == np * (len(nets) + 1), "%s: one line per network and rank (%r)" % (name, got))
    threads_shared(name, np, p.stderr)
    check_same_folders(ref, out, "%s, %d ranks -vv vs 1 process" % (name, np))
    # the other ranks show their debug lines only: still one summary line
    check(len(re.findall(r" s wall, .* results in ", p.stderr)) == 1,
          "%s, %d ranks -vv: one summary line" % (name, np))


def failures(inp):
    """A failure stops every rank: one message, exit 1, no hang."""
    blocker = os.path.join(tmpdir(), "file")
    with open(blocker, "w", encoding="utf-8") as f:
        f.write("not a folder\n")
    cases = [
        ("output folder under a file", ["-o", os.path.join(blocker, "out")]),
        ("missing spill folder", ["--max-mem", "1M", "--tmp-dir", "/nonexistent/lk-mpi",
                                  "-o", os.path.join(tmpdir(), "out")]),
    ]
    for what, args in cases:
        one = run(["detect", "-q"] + args + inp, check=False)
        p = mpirun(3, ["detect", "-q"] + args + inp, BTL)
        check(one.returncode == 1, "%s: one process exits 1" % what)
        check(p.returncode == 1, "%s: 3 ranks exit 1 (got %d)" % (what, p.returncode))
        msgs = [l for l in p.stderr.splitlines() if l.startswith("lockstep detect:")]
        check(len(msgs) == 1, "%s: one message from rank 0 (stderr: %s)" % (what, p.stderr))
        if msgs and one.stderr.strip():
            check(msgs[0] == one.stderr.strip().splitlines()[-1] or "rank " in msgs[0],
                  "%s: the message says what failed (%r vs %r)" % (what, msgs[0], one.stderr))


def fault_run(preload, fault_env, args):
    """3 ranks, with the shim preload failing on rank 1 alone as fault_env
    says (LK_FAULT_DIR, _OPS, _AT; the shims' headers): (the finished
    process, or None when it hung; the number of operations rank 1 counted,
    or None)."""
    count = os.path.join(tmpdir(), "count")
    env = dict(ENV, LD_PRELOAD=preload, LK_FAULT_COUNT=count, LK_FAULT_RANK="1", **fault_env)
    env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
    names = ["LD_PRELOAD", "ASAN_OPTIONS", "LK_FAULT_COUNT", "LK_FAULT_RANK"] + list(fault_env)
    fwd = [x for n in names for x in ("-x", n)]
    cmd = [MPIRUN, "-np", "3", "--oversubscribe"] + BTL + fwd + [LOCKSTEP] + args
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, None
    n = None
    if os.path.exists(count):
        with open(count, encoding="ascii") as f:
            # empty when mpirun ended rank 1 as it wrote it (a failed run:
            # only the counting run's number is used)
            text = f.read().strip()
            n = int(text) if text else None
    return p, n


def rank_faults(inp):
    """A temporary file of rank 1 alone fails (new files, room, writes,
    reads; a few points over each kind's operations): every rank stops, one
    message (rank 0's, naming rank 1, the folder and the cause), exit 1, no
    summary.json, nothing left in the folder, no hang."""
    shim = os.path.join(os.environ.get("LK_TOOLS_DIR", ""), "lk_faultfs.so")
    if not os.path.exists(shim):
        print("SKIP part: no lk_faultfs.so beside the test tools")
        return
    causes = {"open": "No space left on device", "alloc": "No space left on device",
              "write": "No space left on device", "read": "Input/output error",
              "memory": "out of memory"}
    modes = ["open", "alloc", "write", "read"]
    memshim = os.path.join(os.path.dirname(shim), "lk_faultmem.so")
    if os.path.exists(memshim) and not sanitized():  # lockstep's allocations on rank 1
        modes.append("memory")

    def faulty(mode, at, tmp, out):
        return fault_run(memshim if mode == "memory" else shim,
                         dict(LK_FAULT_DIR=tmp, LK_FAULT_OPS=mode, LK_FAULT_AT=str(at)),
                         ["detect", "-q", "--max-mem", "1M", "--tmp-dir", tmp, "-o", out] + inp)

    for mode in modes:
        tmp = tmpdir()
        p, n = faulty(mode, 0, tmp, os.path.join(tmpdir(), "out"))
        check(p is not None and p.returncode == 0 and n, "rank 1 counts its %s operations (%s)"
              % (mode, p.stderr[-500:] if p else "timeout"))
        if p is None or p.returncode != 0 or not n:
            continue
        ats, failed = sorted({1 + (n - 1) * i // 4 for i in range(5)}), 0
        for at in ats:
            tmp, out = tmpdir(), os.path.join(tmpdir(), "out")
            p, _ = faulty(mode, at, tmp, out)
            what = "3 ranks, %s fails on rank 1 from operation %d of %d" % (mode, at, n)
            check(p is not None, what + ": no hang")
            if p is None:
                continue
            # lockstep's own lines ("lockstep: started by mpirun, but ..."
            # when rank 1 cannot join)
            msgs = [l for l in p.stderr.splitlines() if l.startswith("lockstep")]
            if p.returncode != 0:
                failed += 1
                check(p.returncode == 1, "%s: exit 1 (got %d)" % (what, p.returncode))
                check(len(msgs) == 1 and "rank 1: " in msgs[0] and causes[mode] in msgs[0]
                      and (mode == "memory" or tmp in msgs[0]
                           and msgs[0].endswith(": " + causes[mode])),
                      "%s: one message naming rank 1, the folder and the cause (%s)"
                      % (what, p.stderr[-1500:]))
                check(not os.path.exists(os.path.join(out, "summary.json")),
                      what + ": no summary.json")
            else:  # rank 1's threads took another order and it ended first
                check(at == n, "%s: failed (exit 0)" % what)
            check(os.listdir(tmp) == [], "%s: --tmp-dir left empty" % what)
        check(failed > 0, "3 ranks, %s fails on rank 1: some run failed" % mode)
        print("3 ranks, %s fails on rank 1: %d operations, %d points, %d failed"
              % (mode, n, len(ats), failed))


def input_read_fault(src):
    """The input itself fails to read on rank 1 alone (the preloaded shim on
    its folder, from a read on): rank 1's stripe cannot be read, the rest of
    the file goes to the serial reader, which meets the error again: every
    rank stops, one message (rank 0's, naming rank 1, the file and the
    cause), exit 1, no summary.json, no hang."""
    shim = os.path.join(os.environ.get("LK_TOOLS_DIR", ""), "lk_faultfs.so")
    if not os.path.exists(shim):
        print("SKIP part: no lk_faultfs.so beside the test tools")
        return
    folder = tmpdir()
    inp = os.path.join(folder, "input.csv")
    shutil.copyfile(src, inp)

    def faulty(at, out, verbose="-q"):
        return fault_run(shim, dict(LK_FAULT_DIR=folder, LK_FAULT_OPS="read",
                                    LK_FAULT_AT=str(at), LK_CHUNK_BYTES="65536"),
                         ["detect", verbose, "-o", out, inp])

    p, n = faulty(0, os.path.join(tmpdir(), "out"), "-vv")
    check(p is not None and p.returncode == 0 and n and n > 3,
          "rank 1 counts its reads of the input (%s)" % (p.stderr[-500:] if p else "timeout"))
    if p is None or p.returncode != 0 or not n:
        return
    check(len(by_range(p.stderr)) == 3, "the input is read by byte range")
    # the third: the check of what the format reader took, before the stripes
    for at in sorted({3, n // 2}):
        out = os.path.join(tmpdir(), "out")
        p, _ = faulty(at, out)
        what = "3 ranks, the input's reads fail on rank 1 from %d of %d" % (at, n)
        check(p is not None, what + ": no hang")
        if p is None:
            continue
        msgs = [l for l in p.stderr.splitlines() if l.startswith("lockstep detect:")]
        check(p.returncode == 1, "%s: exit 1 (got %d)" % (what, p.returncode))
        check(len(msgs) == 1 and "rank 1: " in msgs[0] and inp in msgs[0] and
              msgs[0].endswith("Input/output error"),
              "%s: one message naming rank 1, the file and the cause (%r)" % (what, msgs))
        check(not os.path.exists(os.path.join(out, "summary.json")), what + ": no summary.json")


def exchanged(stderr):
    m = re.findall(r"reading over (\d+) ranks: (\d+) bytes of journals exchanged", stderr)
    return (int(m[0][0]), int(m[0][1])) if len(m) == 1 else (0, 0)


def by_range(stderr):
    """-vv: (bytes this rank read, the data's bytes) of each rank that read
    a file by byte range."""
    return [(int(a), int(b)) for a, b in
            re.findall(r"read by byte range: this rank read (\d+) of the data's (\d+) bytes",
                       stderr)]


def found_ids(stderr):
    """-vv: (ids found before the commit, lookups made) of each rank."""
    return [(int(a), int(b)) for a, b in
            re.findall(r"(\d+) of (\d+) ids found before the commit", stderr)]


def split_read(name, args, inputs, chunk, runs=((2, 1), (3, 2)), striped=True, read_all=False,
               share="all", found=False, behind=False):
    """Reading split over the ranks, in small chunks: every output file as
    one process writes it.  runs: (ranks, threads per rank).  striped: the
    one input is a plain file that the ranks read by byte range, each about
    its share of the bytes (share "all": and all of them read, by one rank or
    another; "part": the rest of the file from a malformed row was read
    serially; "none": too small to share); else each rank reads it whole
    (compressed, or read_all).  found: every rank found ids in the string
    tables for the chunks it parsed, before the exchange (the commits on the
    other ranks take them: the outputs check them).  behind: every rank's
    commit had its spills written by a thread of their own (a cap, more than
    one thread a rank)."""
    base = tmpdir()
    ref = os.path.join(base, "one")
    run(["detect", "-q", "-o", ref] + args + inputs)
    for np, nt in runs:
        out = os.path.join(base, "np%d" % np)
        p = mpirun(np, ["detect", "-vv", "-t", str(nt), "-o", out] + args + inputs, BTL, chunk,
                   read_all)
        what = "%s, %d ranks x %d threads" % (name, np, nt)
        check(p.returncode == 0, "%s: exit 0 (got %d: %s)" % (what, p.returncode, p.stderr[-2000:]))
        if p.returncode != 0:
            continue
        check_same_folders(ref, out, what + " vs 1 process")
        r, n = exchanged(p.stderr)
        check(r == np and n > 0, "%s: -v reports journal bytes exchanged (%d, %d)" % (what, r, n))
        if found:
            ids = found_ids(p.stderr)
            check(len(ids) == np and all(0 < a < b for a, b in ids),
                  "%s: every rank finds ids before the commit (%r)" % (what, ids))
        if behind:
            wrote = [int(b) for b in
                     re.findall(r"(\d+) bytes of spills written behind the commit", p.stderr)]
            check(len(wrote) == np and min(wrote) > 0,
                  "%s: every rank's spills written behind its commit (%r)" % (what, wrote))
        got = by_range(p.stderr)
        if not striped:
            check(got == [], "%s: read whole by every rank, not by byte range" % what)
            check(read_all or "data is read whole by every rank (decompressed" in p.stderr,
                  "%s: -v says a compressed file is read whole by every rank" % what)
            continue
        size = got[0][1] if got else 0
        check(len(got) == np and all(b == size for _, b in got) and size > 0,
              "%s: every rank reads by byte range (%r)" % (what, got))
        if len(got) == np and share != "none":
            most, total = max(a for a, _ in got), sum(a for a, _ in got)
            check((total >= size or share == "part") and most <= 1.6 * size / np,
                  "%s: the ranks read %d bytes in all, at most %d each, of %d"
                  % (what, total, most, size))


def split_failure(name, inputs, chunk):
    """--on-error fail: the same exit status and message as one process."""
    one = run(["detect", "-q", "-o", os.path.join(tmpdir(), "out")] + inputs, check=False)
    check(one.returncode == 1, "%s: one process exits 1 (got %d)" % (name, one.returncode))
    for np, nt in ((2, 1), (3, 2)):
        p = mpirun(np, ["detect", "-q", "-t", str(nt), "-o", os.path.join(tmpdir(), "out")] +
                   inputs, BTL, chunk)
        # mpirun adds its own notice of a failed job: lockstep's lines alone
        msgs = [l for l in p.stderr.splitlines() if l.startswith("lockstep detect:")]
        check(p.returncode == one.returncode and msgs == one.stderr.splitlines(),
              "%s, %d ranks: %r (exit %d), one process %r (exit %d)"
              % (name, np, msgs, p.returncode, one.stderr, one.returncode))


if os.path.exists(RUSSIAN):
    split_read("russian sample, split reading", [], [RUSSIAN], "16384", striped=False)
    compare("russian sample, calibrated", [], [RUSSIAN])
    compare("russian sample, weight:2", ["--threshold", "weight:2"], [RUSSIAN])
else:
    print("SKIP part: ../shared/data/coortweet/russian_coord_tweets.csv.zst is absent")

sim = os.path.join(tmpdir(), "sim")
run(["simulate", "-q", "--seed", "7", "--actions", "300000", "--no-tweets", "-o", sim])
compare("simulated", [], [os.path.join(sim, "actions.csv")], sketch=True)
compare("simulated, spilling", [], [os.path.join(sim, "actions.csv")], ranks=(3,), spill=True)
# the null copies' pairs sampled: the same pairs on every rank
compare("simulated, --null-sample 4", ["--null-sample", "4"], [os.path.join(sim, "actions.csv")],
        ranks=(3,), spill=True)
held_where("simulated, calibrated", [], [os.path.join(sim, "actions.csv")])
held_where("simulated, weight:2", ["--threshold", "weight:2"], [os.path.join(sim, "actions.csv")],
           calibrated=False)
# the quantile's cut from every partition's weights, which rank 0 holds
held_where("simulated, quantile:0.99", ["--threshold", "quantile:0.99"],
           [os.path.join(sim, "actions.csv")], calibrated=False)
failures([os.path.join(sim, "actions.csv")])
rank_faults([os.path.join(sim, "actions.csv")])

actions = os.path.join(sim, "actions.csv")
split_read("simulated, split reading", [], [actions], "65536", found=True)
# under a cap with two threads a rank: every rank's commit spills through a
# writer of its own (src/wbehind.c), and the outputs stay one process's
split_read("simulated, split reading under a cap", ["--max-mem", "64M"], [actions], "65536",
           runs=((2, 2),), behind=True)
input_read_fault(actions)
gz = os.path.join(tmpdir(), "actions.csv.gz")
with open(actions, "rb") as f, gzip.open(gz, "wb", compresslevel=1) as g:
    shutil.copyfileobj(f, g)
split_read("simulated gzip, split reading", [], [gz], "65536", runs=((2, 1),), striped=False,
           found=True)
split_read("simulated, every rank reading all", [], [actions], "65536", runs=((3, 1),),
           striped=False, read_all=True)
# CRLF line ends: the header's '\r' read, its '\n' skipped by the first chunk
crlf = os.path.join(tmpdir(), "crlf.csv")
with open(actions, "rb") as f, open(crlf, "wb") as g:
    g.write(f.read().replace(b"\n", b"\r\n"))
split_read("CRLF, split reading", [], [crlf], "4099", runs=((3, 1),))
# fewer records than ranks, the last without its '\n'
with open(actions, "rb") as f:
    head = b"".join(f.readlines()[:3]).rstrip(b"\n")
tiny = os.path.join(tmpdir(), "tiny.csv")
with open(tiny, "wb") as g:
    g.write(head)
split_read("two records, split reading", ["--threshold", "weight:1"], [tiny], "4099",
           runs=((3, 1),), share="none")

simt = os.path.join(tmpdir(), "simt")
run(["simulate", "-q", "--seed", "5", "--actions", "40000", "-o", simt])
split_read("IO archive, split reading", [], [os.path.join(simt, "tweets.csv")], "4099")
# records longer than several stripes (16 x 997 bytes), with quoted
# newlines, commas and doubled quotes: stripes with no record of their own,
# the last record of a stripe read on well past its end, quote parity
# carried from rank to rank
with open(os.path.join(simt, "tweets.csv"), encoding="utf-8", newline="") as f:
    table = list(csv.reader(f))
rng = random.Random(11)
for i in range(5, len(table), 1500):
    table[i][12] = "".join(rng.choice('ab "\n,x') for _ in range(rng.choice((3000, 40000))))
longrec = os.path.join(tmpdir(), "long.csv")
with open(longrec, "w", encoding="utf-8", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(table)
split_read("long records, split reading", [], [longrec], "997")
# random CSVs: quoted fields with newlines, carriage returns, commas and
# doubled quotes, of 1 to 5,000 bytes; quotes inside unquoted fields (which
# upset the quote-parity guess: the rest goes to the serial reader); rows
# of the wrong width; CRLF or LF; a final line end or not


def random_csv(seed):
    rng = random.Random(seed)

    def field():
        k = rng.random()
        if k < 0.5:
            return rng.choice(["o%d" % rng.randrange(30), "a%d" % rng.randrange(20), "x"])
        if k < 0.8:
            text = "".join(rng.choice('ab ,\n"xy\r')
                           for _ in range(rng.choice((1, 5, 50, 500, 5000))))
            return '"' + text.replace('"', '""') + '"'
        return 'a"b' if k < 0.9 else ""
    rows = ["object_id,account_id,content_id,timestamp_share"]
    for _ in range(2000):
        if rng.random() < 0.85:
            rows.append(",".join(["o%d" % rng.randrange(40), "a%d" % rng.randrange(25), field(),
                                  str(1600000000 + rng.randrange(100000))]))
        else:
            rows.append(",".join(field() for _ in range(rng.choice((3, 4, 5)))))
    end = rng.choice(["\n", "\r\n"])
    path = os.path.join(tmpdir(), "random%d.csv" % seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(end.join(rows) + (end if seed % 2 else ""))
    return path


for seed in (1, 2):
    split_read("random CSV %d, split reading" % seed, ["--on-error", "skip", "--threshold",
               "weight:1"], [random_csv(seed)], "400", share="part")
# JSON lines: Twitter v1.1 statuses, decompressed
V11 = os.path.join(SHARED, "twitter-v1", "tweets_v11.jsonl.zst")
if os.path.exists(V11) and shutil.which("zstd"):
    v11 = os.path.join(tmpdir(), "v11.jsonl")
    with open(v11, "wb") as g:
        subprocess.run(["zstd", "-dcq", V11], stdout=g, check=True)
    split_read("Twitter v1.1 JSON lines, split reading", ["--threshold", "weight:1"], [v11],
               "4099")
else:
    print("SKIP part: ../shared/data/twitter-v1/tweets_v11.jsonl.zst or zstd is absent")
# 21 bands of three slots: the last group of passes is short
compare("IO archive, near-text 0.5", ["--near-text-threshold", "0.5"],
        [os.path.join(simt, "tweets.csv")], ranks=(3,))

# duplicate posts on every rank under a cap: the tweets read twice, the
# posts' key set frozen at its first growth, the records after it waiting
# on disk until the duplicates among their keys are found after reading
tweets = os.path.join(simt, "tweets.csv")
compare("IO archive twice, spilling", [], [tweets, tweets], ranks=(3,), spill=True, keys=True)

# bad rows of several kinds among the first rows of actions.csv; the
# malformed one sends the rest of the file to the serial reader
with open(actions, encoding="utf-8", newline="") as f:
    lines = f.readlines()
rows = lines[1:40001]
rng = random.Random(3)
kinds = ["o1,a1,c,yesterday,share\n", "o1,a1,c,1600000000\n", "o1,,c,1600000000,share\n",
         "o1,a1,c,1600000000,nosuchtrace\n"]
for k in range(40):
    rows.insert(rng.randrange(len(rows)), kinds[k % len(kinds)])
dirty = os.path.join(tmpdir(), "dirty.csv")
with open(dirty, "w", encoding="utf-8", newline="") as f:
    f.write(lines[0] + "".join(rows))
split_read("bad rows, skip", ["--on-error", "skip"], [dirty], "8192")
split_failure("bad rows, fail", [dirty], "8192")
rows.insert(len(rows) * 2 // 3, 'o1,a1,"c"x,1600000000,share\n')
with open(dirty, "w", encoding="utf-8", newline="") as f:
    f.write(lines[0] + "".join(rows))
split_read("bad rows and a malformed one, skip", ["--on-error", "skip"], [dirty], "8192",
           share="part")
finish()
