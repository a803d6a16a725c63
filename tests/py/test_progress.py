#!/usr/bin/python3
"""--progress: the meter of `lockstep detect` on standard error.

On a simulated input (2M actions, several seconds of work on the project's
2-core machine; checks that need a run of some length say so and are
skipped, with a note, when the run is shorter):
  - `--progress always` into a pipe writes plain lines, at most one a second
    of wall time: while reading "read N rows, ..., R rows/s, ..." (from a
    throttled standard input, so that reading surely lasts several updates:
    rows grow, no ETA since the size is unknown), then later stages with
    their elapsed time; every line starts "lockstep detect: " and none holds
    a carriage return;
  - the final summary line (kept by -q off, whatever --progress says) has
    rows, accounts, edges, coordinated edges and groups equal to
    summary.json, wall and CPU seconds and the peak RSS;
  - `--progress never` and the default (auto; stderr is not a terminal here)
    print the summary line only;
  - under a pseudo-terminal (python's pty) the default mode rewrites one
    line with '\\r', at most about 4 times a second, the read lines show
    percent and ETA (the input is a regular file) and -v messages still
    start lines of their own; `--progress never` there prints no '\\r';
  - every output file is byte-identical across these runs.
"""
import os
import pty
import re
import select
import subprocess
import tempfile
import threading
import time

import lktest

check = lktest.check
PREFIX = "lockstep detect: "
SUMMARY = re.compile(
    r"^lockstep detect: (\d+) rows \((\d+) used, (\d+) skipped\), (\d+) accounts, (\d+) edges, "
    r"(\d+) coordinated edges, (\d+) groups; ([\d.]+) s wall, ([\d.]+) s CPU, "
    r"peak RSS ([\d.]+) ([MG])B; results in '.*'$")
READ = re.compile(r"^lockstep detect: read (\d+) rows, [\d.]+[kMGT]?B(?: of [\d.]+[kMGT]?B "
                  r"\((\d+)%\))?, [\d.]+[kMGT]? rows/s, [\d.]+[kMGT]?B/s"
                  r"(?:, ETA ((?:\d+:)?\d+:\d\d|\?))?$")
STAGE = re.compile(r"^lockstep detect: ([a-z-]+)(?: \d+%,)? [\d.]+ s \([\d.]+ s in all\)$")


def detect(outdir, args, stdin=None):
    t0 = time.monotonic()
    p = subprocess.run([lktest.LOCKSTEP, "detect", "-o", outdir] + args, stdin=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    check(p.returncode == 0, "detect %s: exit %d: %s" % (args, p.returncode, p.stderr[-500:]))
    check(p.stdout == b"", "detect %s: nothing on stdout" % args)
    return p.stderr.decode("utf-8"), wall


def detect_throttled(outdir, path, seconds, args):
    """detect reading `path` from a pipe fed over about `seconds`."""
    size = os.path.getsize(path)
    chunk = 1 << 20
    t0 = time.monotonic()
    p = subprocess.Popen([lktest.LOCKSTEP, "detect", "-o", outdir] + args + ["-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)

    def feed():
        with open(path, "rb") as f:
            sent = 0
            while True:
                b = f.read(chunk)
                if not b:
                    break
                p.stdin.write(b)
                sent += len(b)
                ahead = t0 + seconds * sent / size - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        p.stdin.close()

    w = threading.Thread(target=feed)
    w.start()
    err = p.stderr.read()
    w.join()
    rc = p.wait()
    wall = time.monotonic() - t0
    check(rc == 0, "throttled detect: exit %d: %s" % (rc, err[-500:]))
    return err.decode("utf-8"), wall


def detect_pty(outdir, args):
    """detect with stderr on a pseudo-terminal; returns (bytes written there, wall)."""
    master, slave = pty.openpty()
    t0 = time.monotonic()
    p = subprocess.Popen([lktest.LOCKSTEP, "detect", "-o", outdir] + args,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    buf = b""
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            d = os.read(master, 65536)
        except OSError:  # EIO once the child has closed its end
            break
        if not d:
            break
        buf += d
    rc = p.wait()
    wall = time.monotonic() - t0
    os.close(master)
    check(rc == 0, "detect %s under a pty: exit %d: %r" % (args, rc, buf[-500:]))
    return buf.decode("utf-8"), wall


def check_summary(tag, line, outdir):
    m = SUMMARY.match(line)
    check(m is not None, "%s: the last line is the summary: %r" % (tag, line))
    if not m:
        return
    s = lktest.summary(outdir)
    c = s["counts"]
    got = [int(x) for x in m.groups()[:7]]
    want = [s["rows_read"], s["rows_used"], s["rows_skipped"]["total"], c["accounts"], c["edges"],
            c["coordinated_edges"], c["groups"]]
    check(got == want, "%s: summary line %s, summary.json %s" % (tag, got, want))
    check(float(m.group(8)) > 0 and float(m.group(10)) > 0,
          "%s: wall time and peak RSS are given: %r" % (tag, line))


def check_plain(tag, err, wall, outdir, want_read):
    """--progress always into a pipe."""
    check("\r" not in err, "%s: no carriage return in plain lines" % tag)
    lines = err.splitlines()
    check(lines and all(l.startswith(PREFIX) for l in lines),
          "%s: every line starts with the prefix" % tag)
    if not lines:
        return
    check_summary(tag, lines[-1], outdir)
    meter = lines[:-1]
    reads = [READ.match(l) for l in meter if l.startswith(PREFIX + "read ")]
    stages = [STAGE.match(l) for l in meter if not l.startswith(PREFIX + "read ")]
    check(all(reads) and all(stages), "%s: every meter line is well formed: %s" % (
        tag, [l for l in meter if not (READ.match(l) or STAGE.match(l))][:3]))
    check(len(meter) <= wall + 1,
          "%s: %d meter lines in %.1f s: at most one a second" % (tag, len(meter), wall))
    if want_read:
        rows = [int(m.group(1)) for m in reads if m]
        check(len(rows) >= 2, "%s: several read updates (%d)" % (tag, len(rows)))
        check(rows == sorted(rows) and rows[-1] > rows[0], "%s: rows grow: %s" % (tag, rows))
        check(all(m.group(3) is None for m in reads if m),
              "%s: no ETA for standard input (size unknown)" % tag)
    # a stage after reading is on screen for a whole interval (one second)
    # only when the run goes on for some time after reading: reading from
    # the throttled pipe takes about 3 s, from the file about 40% of the run
    after = wall - 3.0 if want_read else wall * 0.6
    if after > 2.0:
        check(any(m and m.group(1) != "read" for m in stages),
              "%s: a stage after reading is shown" % tag)
    else:
        print("note: %s: %.1f s after reading, too short to require a stage line" % (tag, after))


def check_quiet(tag, err, outdir):
    check("\r" not in err, "%s: no carriage return" % tag)
    lines = err.splitlines()
    check(len(lines) == 1, "%s: the summary line only, got %r" % (tag, lines[:3]))
    if lines:
        check_summary(tag, lines[-1], outdir)


def check_tty(tag, out, wall, outdir):
    # the pty turns "\n" into "\r\n": split on those first
    lines = out.replace("\r\n", "\n").split("\n")
    pieces = [d.rstrip(" ") for l in lines for d in l.split("\r")]
    draws = [d for d in pieces if READ.match(d) or STAGE.match(d)]
    if wall > 1.5:  # 4 draws a second
        check(len(draws) >= 3,
              "%s: the line is rewritten with \\r (%d updates)" % (tag, len(draws)))
    else:
        print("note: %s: a %.1f s run is too short to require 3 draws" % (tag, wall))
    check(len(draws) <= 4 * wall + 2,
          "%s: %d updates in %.1f s: at most about 4 a second" % (tag, len(draws), wall))
    reads = [READ.match(d) for d in draws if READ.match(d)]
    m = re.search(r"reading: ([\d.]+) s", out)
    nt = re.search(r"near-text clustering: ([\d.]+) s", out)
    check(m is not None, "%s: -v stage timings still shown" % tag)
    if m and float(m.group(1)) - (float(nt.group(1)) if nt else 0) > 0.75:
        check(reads, "%s: reading took a while and was shown" % tag)
    check(all(r.group(2) is not None and r.group(3) is not None for r in reads),
          "%s: read updates with a percent and an ETA (regular file)" % tag)
    # a -v message never runs on from a meter line: it starts after '\r' or '\n'
    for l in lines:
        last = l.split("\r")[-1]
        if "reading: " in l:
            check(last.startswith(PREFIX + "reading: "),
                  "%s: the -v message starts its own line: %r" % (tag, l[-120:]))
    final = [l for l in lines if l.strip()][-1].split("\r")[-1]
    check_summary(tag, final, outdir)


def main():
    with tempfile.TemporaryDirectory(prefix="lktest.") as tmp:
        sim = os.path.join(tmp, "sim")
        lktest.run(["simulate", "-q", "--seed", "11", "--actions", "2M", "--no-tweets",
                    "-o", sim])
        actions = os.path.join(sim, "actions.csv")
        out = {k: os.path.join(tmp, k) for k in ("always", "stdin", "never", "default", "tty",
                                                 "tty-never")}

        err, wall = detect(out["always"], ["--progress", "always", actions])
        check_plain("always", err, wall, out["always"], want_read=False)

        err, wall = detect_throttled(out["stdin"], actions, 3.0, ["--progress", "always"])
        check_plain("always, stdin", err, wall, out["stdin"], want_read=True)

        err, _ = detect(out["never"], ["--progress", "never", actions])
        check_quiet("never", err, out["never"])
        err, _ = detect(out["default"], [actions])
        check_quiet("default, not a terminal", err, out["default"])

        text, wall = detect_pty(out["tty"], ["-v", actions])
        check_tty("auto, terminal", text, wall, out["tty"])
        text, wall = detect_pty(out["tty-never"], ["--progress", "never", actions])
        check("\r" not in text.replace("\r\n", "\n"),
              "never, terminal: no carriage return: %r" % text[:200])

        for k in ("always", "never", "default", "tty", "tty-never"):
            check(lktest.folder_files(out["never"]) == lktest.folder_files(out[k]),
                  "%s: output files byte-identical to --progress never" % k)
        # from stdin the summary names "-" as the input: compare the tables
        for f in ("accounts.csv", "edges.csv", "groups.csv", "network.gexf"):
            with open(os.path.join(out["never"], f), "rb") as x, \
                    open(os.path.join(out["stdin"], f), "rb") as y:
                check(x.read() == y.read(), "stdin: %s as from the file" % f)
    lktest.finish()


if __name__ == "__main__":
    main()
