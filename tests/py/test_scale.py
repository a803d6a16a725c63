#!/usr/bin/python3
"""--threads, --max-mem and --tmp-dir change how detect runs, never what it
writes: every output file is byte-identical for 1, 2 and 3 threads and with
a memory cap so small that the pair records are spilled to disk (checked by
the spilled bytes -v reports) and the string tables and, during the
calibration, the kept edges parked there; while reading, the near-text
signatures and posts are spilled too and the dataset parked during the
near-text clustering; and the keys of posts, which find duplicate posts (the
simulated IO-archive tweets read twice), frozen from their first growth or
part way, when the records after it wait on disk until the duplicates
among their keys are found (with the generic actions between the two
copies: records without keys wait in their turn too); and with the null copies' pairs
sampled (--null-sample 8: an eighth of the null pairs); and with the
calibration's post numbering in a mapped file, the WHO copy's posts built a
range at a time and both copies shuffled a group of strata at a time (a
larger simulated input).  Temporary files never outlive the run, not even one
killed by SIGTERM, and a full disk (emulated with RLIMIT_FSIZE) is a
one-line error naming the folder, whether it strikes while reading (the
near-text spill) or in the pair stage.
Inputs: a simulated run with planted groups and CooRTweet's russian sample
from ../shared/data.
"""
import json
import os
import random
import re
import resource
import signal
import subprocess
import time

from lktest import (LOCKSTEP, SHARED, check, check_same_folders, finish, run, skip,
                    tmpdir)

RUSSIAN = os.path.join(SHARED, "coortweet", "russian_coord_tweets.csv.zst")


def spilled(stderr):
    """Bytes the pair aggregation and the calibration spilled (from -v)."""
    return sum(int(x) for x in re.findall(r"(\d+) bytes spilled", stderr))


HI_ON_DISK = re.compile(r"near-text: the signatures' high bytes \([1-9][0-9]* bytes\) stay in "
                        r"their file, read as needed")


def neartext_spilled(stderr):
    """Bytes of near-text signatures spilled while reading (from -v), or None."""
    m = re.search(r"near-text: (\d+) bytes of signatures and (\d+) of posts spilled", stderr)
    return int(m.group(1)) if m else None


FREEZE = re.compile(r"string tables: (\d+) accounts and (\d+) objects \(\d+ MB with their next "
                    r"growth and the posts' keys\) reach their share of --max-mem \((\d+) MB\) "
                    r"at action (\d+)")
FOUND = re.compile(r"string tables: (\d+) new accounts and (\d+) new objects found in (\d+) "
                   r"occurrences")


# the cap whose share for the string tables the simulated input's 300,000
# actions pass while they are read
MID_CAP = "6M"


def frozen(stderr):
    """(accounts, objects, action) where the string tables froze, the new
    accounts, objects and the occurrences resolved after reading (from -v),
    or None when they never froze."""
    f, n = FREEZE.search(stderr), FOUND.search(stderr)
    if not f or not n or "the actions from %s on given their ids" % f.group(4) not in stderr:
        return None
    return (int(f.group(1)), int(f.group(2)), int(f.group(4)),
            int(n.group(1)), int(n.group(2)), int(n.group(3)))


KEY_FREEZE = re.compile(r"post keys: (\d+) keys \(\d+ MB with the table's next growth and the "
                        r"string tables\) reach their share of --max-mem \(\d+ MB\) at (.*):"
                        r"(\d+): from there on the records wait in ")
KEY_WAITED = re.compile(r"post keys: (\d+) records waited in .* \(\d+ bytes\); (\d+) keys of "
                        r"them matched after reading, (\d+) distinct: (\d+) duplicate posts")
# the cap whose share the posts' keys reach part way through the first of
# two copies of the simulated tweets (204,615 posts): at the key set's
# growth past 98,304 keys, with the string tables frozen before it
KEYS_MID_CAP = "6M"


def key_freeze(stderr):
    """((keys, file, line) where the posts' key set froze, (records waited,
    keys matched after reading, distinct, duplicates)) from -v, each None
    when absent."""
    f, w = KEY_FREEZE.search(stderr), KEY_WAITED.search(stderr)
    return ((int(f.group(1)), f.group(2), int(f.group(3))) if f else None,
            tuple(int(x) for x in w.groups()) if w else None)


def compare_runs(name, args, inputs, caps, must_spill=True, must_spill_text=False):
    base = tmpdir()
    ref = os.path.join(base, "t1")
    run(["detect", "-q", "-t", "1", "-o", ref] + args + inputs)
    check(os.path.exists(os.path.join(ref, "summary.json")), "%s: reference run complete" % name)
    for threads in ("2", "3"):
        out = os.path.join(base, "t" + threads)
        run(["detect", "-q", "-t", threads, "-o", out] + args + inputs)
        check_same_folders(ref, out, "%s, %s threads vs 1" % (name, threads))
    for cap in caps:
        for threads in ("1", "2"):
            tmp = tmpdir()
            out = os.path.join(base, "cap%s_t%s" % (cap, threads))
            p = run(["detect", "-v", "-t", threads, "--max-mem", cap, "--tmp-dir", tmp,
                     "-o", out] + args + inputs)
            check_same_folders(ref, out, "%s, --max-mem %s, %s threads" % (name, cap, threads))
            if must_spill:
                check(spilled(p.stderr) > 0,
                      "%s: --max-mem %s spills pair records (-v says %d bytes)"
                      % (name, cap, spilled(p.stderr)))
            # under a cap the string tables go to --tmp-dir and come back
            check("string tables parked" in p.stderr and "string tables read back" in p.stderr,
                  "%s: --max-mem %s parks the string tables (-v)" % (name, cap))
            # and the pair stage parks the kept edges as it reduces them, for
            # the calibration to read back only the coordinated ones
            if "--threshold" not in args:
                check(re.search(r"pair aggregation: [1-9][0-9]* kept edges \([0-9]+ bytes\) "
                                r"parked", p.stderr) is not None,
                      "%s: --max-mem %s parks the kept edges during calibration (-v)"
                      % (name, cap))
                # and the copies' shared part waits on disk, read as needed
                sh = re.findall(r"calibration: posts and objects \(([0-9]+) bytes\) kept in "
                                r"(.*), read as needed", p.stderr)
                check(len(sh) == 1 and int(sh[0][0]) > 0 and sh[0][1] == tmp,
                      "%s: --max-mem %s keeps the null copies' shared part on disk (-v: %r)"
                      % (name, cap, sh))
                # and the posts the WHO copy built, which the WHEN copy reads back
                kp = re.findall(r"calibration: the WHO copy's posts \(([0-9]+) bytes\) kept in "
                                r"(.*) for the WHEN copy", p.stderr)
                check(len(kp) == 1 and int(kp[0][0]) > 0 and kp[0][1] == tmp,
                      "%s: --max-mem %s keeps the WHO copy's posts for the WHEN copy (-v: %r)"
                      % (name, cap, kp))
                # which both copies' strata read from that file, in post order,
                # their ranks (4 bytes a post) going to another
                sf = re.findall(r"calibration: the (WHO|WHEN) copy's strata found from its "
                                r"posts' file, their ranks in another in (.*) \(([0-9]+) bytes\)",
                                p.stderr)
                check([w for w, _, _ in sf] == ["WHO", "WHEN"] and
                      all(d == tmp and int(b) * 2 == int(kp[0][0]) for _, d, b in sf),
                      "%s: --max-mem %s finds the strata from the posts' file (-v: %r)"
                      % (name, cap, sf))
                # a cap this small sorts the strata's keys a part of the accounts at
                # a time (the simulated input's 0.2 M posts, 65,536 at once)
                sp = re.findall(r"calibration: (WHO|WHEN) strata found in ([0-9]+) parts of "
                                r"the accounts", p.stderr)
                check(not must_spill_text or
                      (len(sp) == 2 and all(int(k) > 1 for _, k in sp)),
                      "%s: --max-mem %s finds the strata in parts (-v: %r)" % (name, cap, sp))
            # the aggregations' columns (16 bytes an action) are files in --tmp-dir,
            # mapped: the pair stage's, and each null copy's when calibrated
            cols = re.findall(r"aggregation columns \(([0-9]+) bytes\) mapped from a file in "
                              r"(.*)", p.stderr)
            check(len(cols) == (1 if "--threshold" in args else 3) and
                  all(int(b) > 0 and int(b) % 16 == 0 and d == tmp for b, d in cols),
                  "%s: --max-mem %s maps the aggregations' columns (-v: %r)" % (name, cap, cols))
            # the actions go to --tmp-dir as they are read (32 bytes each)
            sp = re.findall(r"([0-9]+) actions \(([0-9]+) bytes\) and their content refs "
                            r"spilled to (.*) while reading", p.stderr)
            check(len(sp) == 1 and int(sp[0][0]) > 0 and int(sp[0][1]) == 32 * int(sp[0][0])
                  and sp[0][2] == tmp,
                  "%s: --max-mem %s spills the actions while reading (-v: %r)" % (name, cap, sp))
            # the content ids too, a chunk at a time (all but the one being filled)
            ci = re.findall(r"content ids: ([0-9]+) bytes spilled to (.*) while reading, "
                            r"([0-9]+) in memory", p.stderr)
            check(len(ci) == 1 and ci[0][1] == tmp and
                  (int(ci[0][0]) > 0 or not must_spill_text),
                  "%s: --max-mem %s spills the content ids while reading (-v: %r)"
                  % (name, cap, ci))
            # a cap this small builds the simulated input's index in passes
            # (one range of objects at a time), into --tmp-dir
            ip = re.findall(r"object index built in ([0-9]+) passes over the actions, into (.*)",
                            p.stderr)
            check(not must_spill_text or (len(ip) == 1 and int(ip[0][0]) > 1
                                          and ip[0][1] == tmp),
                  "%s: --max-mem %s builds the index in passes (-v: %r)" % (name, cap, ip))
            # and the index's actions wait on disk (mapped) from the pair stage to
            # the outputs, once: the calibration does not park them again
            parked = re.findall(r"index \(([0-9]+) bytes\) parked in (.*) until the outputs",
                                p.stderr)
            check(len(parked) == 1 and int(parked[0][0]) > 0 and parked[0][1] == tmp and
                  "calibration: index" not in p.stderr,
                  "%s: --max-mem %s parks the index from the pair stage to the outputs (-v: %r)"
                  % (name, cap, parked))
            # near-text under a cap: signatures and posts spilled while reading, the
            # dataset parked while the texts are clustered
            if "near-text clustering" in p.stderr:
                nts = neartext_spilled(p.stderr)
                check(nts is not None and (nts > 0 or not must_spill_text),
                      "%s: --max-mem %s spills near-text signatures while reading (-v: %r)"
                      % (name, cap, nts))
                check(re.search(r"near-text: dataset parked \([1-9][0-9]* bytes\)", p.stderr)
                      is not None and "near-text: dataset read back" in p.stderr,
                      "%s: --max-mem %s parks the dataset during near-text clustering (-v)"
                      % (name, cap))
                # 1M cannot hold the signatures: their high bytes stay on disk
                check(not must_spill_text or HI_ON_DISK.search(p.stderr) is not None,
                      "%s: --max-mem %s leaves the signatures' high bytes in their file (-v)"
                      % (name, cap))
            else:
                check(not must_spill_text, "%s: near-text clustering ran (-v)" % name)
            # a cap this small freezes the string tables from the first action: every
            # account and object gets its id after reading (native detect alone)
            if "--compat" not in args:
                fz = frozen(p.stderr)
                check(fz is not None and fz[:3] == (0, 0, 0) and fz[3] > 0 and fz[4] > 0 and
                      fz[5] >= fz[3] + fz[4],
                      "%s: --max-mem %s freezes the string tables from the start (-v: %r)"
                      % (name, cap, fz))
            check(os.listdir(tmp) == [], "%s: --tmp-dir empty after the run" % name)
    return ref


def main():
    base = tmpdir()
    sim = os.path.join(base, "sim")
    run(["simulate", "-q", "--seed", "7", "--actions", "300000", "--no-tweets", "-o", sim])
    simfile = os.path.join(sim, "actions.csv")

    # planted groups found, whatever the threads and cap
    ref = compare_runs("simulated", ["-w", "60s"], [simfile], ["1M"], must_spill_text=True)
    with open(os.path.join(ref, "summary.json"), encoding="utf-8") as f:
        check('"coordinated_edges": 0' not in f.read(), "simulated: edges found")
    # a cap with room for the signatures: read back whole, the same output
    tmp = tmpdir()
    out = os.path.join(base, "cap1G")
    p = run(["detect", "-v", "-t", "2", "--max-mem", "1G", "--tmp-dir", tmp, "-w", "60s", "-o",
             out, simfile])
    check_same_folders(ref, out, "simulated, --max-mem 1G, 2 threads")
    check((neartext_spilled(p.stderr) or 0) > 0 and HI_ON_DISK.search(p.stderr) is None,
          "simulated, --max-mem 1G: signatures spilled while reading, read back whole (-v)")
    check(FREEZE.search(p.stderr) is None,
          "simulated, --max-mem 1G: the string tables hold every string (-v)")
    # a cap whose share for the string tables (three quarters of it, with
    # the posts' keys) is reached while reading: the strings seen before keep
    # their place in the tables, the new ones after it get their ids once
    # reading is over, the same ids
    tmp = tmpdir()
    out = os.path.join(base, "capmid")
    p = run(["detect", "-v", "-t", "2", "--max-mem", MID_CAP, "--tmp-dir", tmp, "-w", "60s",
             "-o", out, simfile])
    check_same_folders(ref, out, "simulated, --max-mem %s, 2 threads" % MID_CAP)
    fz = frozen(p.stderr)
    check(fz is not None and fz[0] > 0 and fz[1] > 0 and fz[2] > 0 and fz[3] + fz[4] > 0 and
          fz[5] > fz[3] + fz[4],
          "simulated, --max-mem %s: the string tables freeze while reading (-v: %r)"
          % (MID_CAP, fz))
    check(os.listdir(tmp) == [], "simulated, --max-mem %s: --tmp-dir empty after the run"
          % MID_CAP)
    # only the ids the tables show come back (the output above is the same)
    m = re.search(r"string tables read back for the outputs: the (\d+) account ids and (\d+) "
                  r"object ids they show \(of (\d+) and (\d+)\)(.*)", p.stderr)
    check(m is not None and 0 < int(m.group(1)) < int(m.group(3)) and
          0 < int(m.group(2)) < int(m.group(4)) and "every" not in m.group(5),
          "simulated, --max-mem 1G: the strings of the shown ids alone read back (-v: %r)"
          % (m.group(0) if m else None))
    # the null copies' pairs sampled (--null-sample; auto takes all of them
    # at this size): one in 8 account pairs, the same whatever the threads
    # and cap, and an eighth of the null pairs
    samp = compare_runs("simulated --null-sample 8", ["-w", "60s", "--null-sample", "8"],
                        [simfile], ["1M"])
    cal = {}
    for what, folder in (("auto", ref), ("8", samp)):
        with open(os.path.join(folder, "summary.json"), encoding="utf-8") as f:
            cal[what] = json.load(f)["counts"]["calibration"]
    check(cal["auto"]["null_sample"] == 1 and cal["8"]["null_sample"] == 8,
          "simulated: null_sample 1 by default, 8 when asked (%r)" % cal)
    check(6.5 * cal["8"]["null_pairs"] < cal["auto"]["null_pairs"] < 10 * cal["8"]["null_pairs"],
          "simulated: --null-sample 8 aggregates an eighth of the null pairs (%r)" % cal)
    # a sample this small is noisy, and a warning says so (none without one)
    for what, args in (("8", ["--null-sample", "8"]), ("auto", [])):
        p = run(["detect", "-o", os.path.join(base, "warn" + what), "-w", "60s"] + args +
                [simfile])
        warned = re.findall(r"warning: calibration: the (WHO|WHEN) null copy's sample of one "
                            r"in 8 account pairs holds (\d+) edges", p.stderr)
        check(len(warned) == (2 if what == "8" else 0)
              and all(int(n) < 100000 for _, n in warned),
              "simulated, --null-sample %s: the small sample's warning (%r)" % (what, p.stderr))
    # a cap too small for the null copies' posts in one go (over the 8 MB
    # the calibration has at least, for the 1.37 M posts of 2 M actions):
    # the WHO copy builds its posts a range at a time (8 bytes a post), and
    # the WHO copy's accounts (8 bytes a post) and the WHEN copy's delays (13)
    # are found, shuffled and given out a group of strata at a time, and the
    # output is the same
    big = os.path.join(base, "simbig")
    run(["simulate", "-q", "--seed", "7", "--actions", "2000000", "--no-tweets", "-o", big])
    bigfile = os.path.join(big, "actions.csv")
    bigref = os.path.join(base, "bigref")
    run(["detect", "-q", "-t", "2", "-w", "60s", "-o", bigref, bigfile])
    tmp = tmpdir()
    out = os.path.join(base, "biggroups")
    p = run(["detect", "-v", "-t", "2", "--max-mem", "1M", "--tmp-dir", tmp, "-w", "60s", "-o",
             out, bigfile])
    check_same_folders(bigref, out, "simulated 2 M actions, --max-mem 1M")
    for what, line in (("WHO", "accounts"), ("WHEN", "delays")):
        g = re.search(r"the %s copy's %s shuffled in ([0-9]+) groups of strata \(([0-9]+) "
                      r"posts at most, of ([0-9]+)\)(, each action's group in a byte)?"
                      % (what, line), p.stderr)
        check(g is not None and int(g.group(1)) > 1 and int(g.group(2)) < int(g.group(3)),
              "simulated 2 M actions, --max-mem 1M: the %s %s in groups (-v: %r)"
              % (what, line, g.group(0) if g else None))
        # past two groups, a byte an action names each action's group
        check(g is not None and (int(g.group(1)) > 2) == (g.group(4) is not None),
              "simulated 2 M actions, --max-mem 1M: the %s copy's group byte past two groups "
              "(-v: %r)" % (what, g.group(0) if g else None))
    g = re.search(r"the WHO copy's posts \(([0-9]+) bytes\) kept in .* for the WHEN copy, built "
                  r"in ([0-9]+) ranges of ([0-9]+) posts at most", p.stderr)
    check(g is not None and int(g.group(2)) > 1
          and int(g.group(2)) * int(g.group(3)) >= int(g.group(1)) // 8,
          "simulated 2 M actions, --max-mem 1M: the WHO posts built in ranges (-v: %r)"
          % (g.group(0) if g else None))
    check(os.listdir(tmp) == [], "simulated 2 M actions: --tmp-dir empty after the run")
    # under a cap the objects' counts for the index come from the pass that
    # counts each account's rows, cut down to the kept accounts' actions
    # with -m 2 (the default; an account left out has one action), whole
    # with -m 1; -m 3 counts them in a pass of their own
    kept = {"2": ref}
    for m in ("1", "3"):
        kept[m] = compare_runs("simulated -m " + m, ["-w", "60s", "-m", m], [simfile], ["1M"],
                               must_spill_text=True)
    counts = {}
    for m, folder in kept.items():
        with open(os.path.join(folder, "summary.json"), encoding="utf-8") as f:
            got = re.search(r'"accounts_kept": (\d+)', f.read())
        counts[m] = int(got.group(1)) if got else None
    check(None not in counts.values() and counts["1"] > counts["2"] > counts["3"],
          "simulated: -m 1, 2, 3 keep fewer accounts each (%r)" % counts)
    # without --tmp-dir, the cap's files go to $TMPDIR (every stage: the index
    # parked after being built in memory once failed on a NULL folder)
    # (64M: the index fits half the cap, is built in memory and then parked)
    for cap in ("1M", "64M"):
        tmp = tmpdir()
        out = os.path.join(base, "envtmp" + cap)
        p = subprocess.run([LOCKSTEP, "detect", "-v", "-t", "2", "--max-mem", cap, "-o", out,
                            "-w", "60s", simfile], capture_output=True, text=True,
                           env=dict(os.environ, TMPDIR=tmp))
        check(p.returncode == 0,
              "--max-mem %s without --tmp-dir: exit 0 (%r)" % (cap, p.stderr[-300:]))
        check_same_folders(ref, out, "simulated, --max-mem %s, $TMPDIR for --tmp-dir" % cap)
        check(spilled(p.stderr) > 0 and ("index (" in p.stderr)
              and ("parked in %s" % tmp) in p.stderr,
              "--max-mem %s without --tmp-dir: -v names $TMPDIR as the spill folder" % cap)
        check(os.listdir(tmp) == [], "--max-mem %s: $TMPDIR empty after the run" % cap)
        # calibrated: the pairs of one record are only counted (net.c's sketch)
        m = re.search(r"pairs \((\d+) of one record only counted\)", p.stderr)
        check(m is not None and int(m.group(1)) > 0,
              "--max-mem %s: -v counts the pairs the sketch left out (%r)"
              % (cap, m.group(0) if m else None))
    # a cap that cannot hold the post numbering's pairs and numbers (20 bytes
    # an action; the floor of the budget is 8 MB): the pairs go to a mapped
    # file, 16 bytes an action as the aggregations' columns
    big = os.path.join(base, "big")
    run(["simulate", "-q", "--seed", "7", "--actions", "450000", "--no-tweets", "-o", big])
    bref = os.path.join(base, "big_ref")
    run(["detect", "-q", "-t", "2", "-w", "60s", "-o", bref, os.path.join(big, "actions.csv")])
    tmp = tmpdir()
    out = os.path.join(base, "big_cap")
    p = run(["detect", "-v", "-t", "2", "--max-mem", "1M", "--tmp-dir", tmp, "-w", "60s", "-o",
             out, os.path.join(big, "actions.csv")])
    check_same_folders(bref, out, "simulated 450k, --max-mem 1M")
    pr = re.findall(r"calibration: the post numbering's pairs \(([0-9]+) bytes\) in a file in "
                    r"(.*): with the numbers", p.stderr)
    cols = re.findall(r"aggregation columns \(([0-9]+) bytes\) mapped", p.stderr)
    check(len(pr) == 1 and pr[0][1] == tmp and len(cols) == 3 and
          all(c == pr[0][0] for c in cols),
          "simulated 450k, --max-mem 1M: the numbering's pairs in a file (-v: %r, columns %r)"
          % (pr, cols))
    check(os.listdir(tmp) == [], "simulated 450k: --tmp-dir empty after the run")
    # duplicate posts under a cap: the IO-archive tweets read twice, so that
    # every post of the second copy is a duplicate.  1M freezes the posts'
    # key set at its first growth: the second copy's first posts are found
    # in it, and the rest of the records wait on disk until reading is over,
    # when the duplicates among their keys are found
    simt = os.path.join(base, "simt")
    run(["simulate", "-q", "--seed", "7", "--actions", "300000", "-o", simt])
    tweets = os.path.join(simt, "tweets.csv")
    dref = os.path.join(base, "dup_ref")
    run(["detect", "-q", "-t", "1", "-w", "60s", "-o", dref, tweets, tweets])
    with open(os.path.join(dref, "summary.json"), encoding="utf-8") as f:
        sj = f.read()
    dups = [int(x) for x in re.findall(r'"duplicate": (\d+)', sj)]
    used = re.search(r'"rows_used": (\d+)', sj)
    check(len(dups) == 3 and dups[0] == 0 and dups[1] == dups[2] > 100000 and used is not None
          and int(used.group(1)) == dups[1],
          "tweets twice: the second copy's rows are all duplicates (%r, used %r)"
          % (dups, used.group(1) if used else None))
    posts = dups[1]
    for threads in ("1", "2"):
        tmp = tmpdir()
        out = os.path.join(base, "dup_cap_t" + threads)
        p = run(["detect", "-v", "-t", threads, "--max-mem", "1M", "--tmp-dir", tmp, "-w", "60s",
                 "-o", out, tweets, tweets])
        check_same_folders(dref, out, "tweets twice, --max-mem 1M, %s threads" % threads)
        kf, kw = key_freeze(p.stderr)
        # k keys before the freeze: the second copy's first k posts are found
        # in the set, and the other 2 (posts - k) rows wait with their keys,
        # half of which repeat the other half
        check(kf is not None and kw is not None and 0 < kf[0] < 5000 and
              kf[1] == tweets and kf[2] < posts and
              kw == (2 * (posts - kf[0]), 2 * (posts - kf[0]), posts - kf[0], posts - kf[0]),
              "tweets twice, --max-mem 1M: the key set frozen at its first growth, the "
              "duplicates found after reading (-v: %r, %r, %d posts)" % (kf, kw, posts))
        check(os.listdir(tmp) == [], "tweets twice: --tmp-dir empty after the run")
        # 1M is below what reading holds whatever the cap (the tables): a warning
        check("warning: reading peaked at" in p.stderr,
              "tweets twice, --max-mem 1M: reading above the cap is told (-v: %r)"
              % p.stderr[:300])
    # a cap whose share the key set reaches part way through the first
    # copy: its keys before that spill to their file (a megabyte at a time)
    # and match the second copy's first posts there, the rest after reading
    tmp = tmpdir()
    p = run(["detect", "-v", "-t", "2", "--max-mem", KEYS_MID_CAP, "--tmp-dir", tmp, "-w",
             "60s", "-o", os.path.join(base, "dup_cap_mid"), tweets, tweets])
    check_same_folders(dref, os.path.join(base, "dup_cap_mid"),
                       "tweets twice, --max-mem %s" % KEYS_MID_CAP)
    kf, kw = key_freeze(p.stderr)
    pk = re.search(r"post keys: (\d+) bytes spilled to (.*) while reading \((\d+) distinct\)",
                   p.stderr)
    check(kf is not None and kw is not None and 10000 < kf[0] < posts // 2 and
          kw == (2 * (posts - kf[0]), 2 * (posts - kf[0]), posts - kf[0], posts - kf[0]) and
          pk is not None and int(pk.group(1)) > 1 << 20 and pk.group(2) == tmp and
          int(pk.group(3)) == kf[0],
          "tweets twice, --max-mem %s: the key set frozen part way, its keys spilled (-v: %r, "
          "%r, %r)" % (KEYS_MID_CAP, kf, kw, pk.group(0) if pk else None))
    check(os.listdir(tmp) == [], "tweets twice, --max-mem %s: --tmp-dir empty" % KEYS_MID_CAP)
    # records without keys wait in their turn too: the generic actions.csv
    # between the two copies, each row of it after the freeze
    mref = os.path.join(base, "mixed_ref")
    mixed = [tweets, os.path.join(simt, "actions.csv"), tweets]
    run(["detect", "-q", "-t", "2", "-w", "60s", "-o", mref] + mixed)
    for cap in ("1M", KEYS_MID_CAP):
        tmp = tmpdir()
        out = os.path.join(base, "mixed_" + cap)
        p = run(["detect", "-v", "-t", "2", "--max-mem", cap, "--tmp-dir", tmp, "-w", "60s",
                 "-o", out] + mixed)
        check_same_folders(mref, out, "tweets, actions, tweets, --max-mem %s" % cap)
        kf, kw = key_freeze(p.stderr)
        check(kf is not None and kw is not None and kw[0] > kw[1] and kw[3] == posts - kf[0],
              "tweets, actions, tweets, --max-mem %s: records without keys wait too (-v: %r, %r)"
              % (cap, kf, kw))
        check(os.listdir(tmp) == [], "tweets, actions, tweets: --tmp-dir empty")
    p = run(["detect", "-v", "--max-mem", "2G", "--tmp-dir", tmpdir(), "-w", "60s",
             "-o", os.path.join(base, "dup_cap_2g"), tweets, tweets])
    check("reading peaked" not in p.stderr, "tweets twice, --max-mem 2G: no warning on reading")

    # texts alone (each its own object, every one of 12 words), read on one
    # thread: reading holds more than the 1M cap (the tables, 40 bytes and
    # more a text, and the reader's buffers), which the warning tells
    texts = os.path.join(base, "texts.csv")
    rnd = random.Random(5)
    with open(texts, "w", encoding="utf-8") as f:
        f.write("object_id,account_id,content_id,timestamp_share,trace\n")
        words = []
        for i in range(300000):
            # one text in 100 the one before it with its last word changed:
            # 3,000 near-text clusters
            if i % 100 == 1:
                words = words[:11] + ["x%d" % i]
            else:
                words = ["w%d" % rnd.randrange(50000) for _ in range(12)]
            f.write('"%s",acct%d,post%d,%d,text\n' % (" ".join(words), i % 50, i, 1674202857 + i))
    p = run(["detect", "-v", "-t", "1", "--max-mem", "1M", "--tmp-dir", tmpdir(), "-w", "60s",
             "-o", os.path.join(base, "texts_cap"), texts])
    check("warning: reading peaked at" in p.stderr,
          "texts alone, --max-mem 1M: reading above the cap is told (-v: %r)"
          % [l for l in p.stderr.splitlines() if "peaked" in l])
    # which sorts and sweeps each pass in parts, of 300000 / 64 records at
    # most, one pass's keys at a time, reading the low bytes of each part's
    # records from their file's mapping; and clusters as a run without a cap
    check(re.search(r"near-text: each pass sorted and swept in parts of at most 4688 of its "
                    r"300000 records, keys made for 1 pass at a time", p.stderr) is not None
          and "near-text: the signatures' low bytes (19200000 bytes) stay in their file too"
          in p.stderr,
          "texts alone, --max-mem 1M: the passes sorted in parts, the low bytes on disk (-v: %r)"
          % [l for l in p.stderr.splitlines() if "near-text" in l])
    # 900,000 posts of 20,000 texts, each its own object: the tables stay
    # small, and memory peaks while the texts are clustered (29 MB against
    # reading's 19 on one thread), which the warning names.  With both byte
    # planes of the signatures left on disk at this cap, one thread holds
    # per text 8 bytes of union-find and 4 of one pass's keys, 12 bytes a
    # word of 64 texts for the marks of a part being gathered and their
    # counts, and then 4 of result (more than a part's records: 1/64 of the
    # texts, 16 bytes of buffers and 136 of gathered low bytes each): 14.6
    # MB, 13 MiB (17 MiB until the thirty-third session, whose gather marks
    # a bit a text instead of holding 4 bytes of place)
    reps = os.path.join(base, "texts_rep.csv")
    with open(reps, "w", encoding="utf-8") as f:
        f.write("object_id,account_id,content_id,timestamp_share,trace\n")
        some = [" ".join("w%d" % rnd.randrange(50000) for _ in range(12)) for _ in range(20000)]
        for i in range(900000):
            f.write('"%s",acct%d,post%d,%d,text\n' % (some[i % 20000], i % 50, i, 1674202857 + i))
    q = run(["detect", "-v", "-t", "1", "--max-mem", "1M", "--tmp-dir", tmpdir(), "-w", "60s",
             "-o", os.path.join(base, "texts_rep_cap"), reps])
    held = (900000 * (8 + 4 + 4) + (900000 + 63) // 64 * 12) >> 20
    check("while the 900000 near-text texts were clustered" in q.stderr
          and "its work (%d MB)" % held in q.stderr
          and "the tables of the" not in q.stderr,
          "repeated texts, --max-mem 1M: the warning names the near-text clustering (-v: %r)"
          % [l for l in q.stderr.splitlines() if "peaked" in l])
    run(["detect", "-q", "-t", "1", "-w", "60s", "-o", os.path.join(base, "texts_nocap"), texts])
    with open(os.path.join(base, "texts_nocap", "summary.json"), encoding="utf-8") as f:
        nt = json.load(f)["actions_by_trace"]
    check(nt.get("near-text") == 6000, "texts alone: the 3,000 near copies clustered (%r)" % nt)
    check_same_folders(os.path.join(base, "texts_nocap"), os.path.join(base, "texts_cap"),
                       "texts alone, --max-mem 1M against no cap")

    # the default run does not spill on this machine
    p = run(["detect", "-v", "-o", os.path.join(base, "nocap"), "-w", "60s", simfile])
    check(spilled(p.stderr) == 0, "no spill without a cap (-v says %d)" % spilled(p.stderr))
    check(neartext_spilled(p.stderr) is None and "parked" not in p.stderr,
          "no near-text spill nor parking without a cap (-v)")

    if os.path.exists(RUSSIAN):
        # too few pairs to spill at the smallest budget: threads and cap only
        compare_runs("russian native", ["-w", "60s", "--threshold", "weight:2"], [RUSSIAN], ["1M"],
                     must_spill=False)
        compare_runs("russian calibrated", ["-w", "60s"], [RUSSIAN], ["1M"], must_spill=False)
        # --window auto under a cap reads the objects' traces with the string tables parked
        auto = compare_runs("russian auto window", ["-w", "auto"], [RUSSIAN], ["1M"],
                            must_spill=False)
        with open(os.path.join(auto, "summary.json"), encoding="utf-8") as f:
            check(re.search(r'"per_trace": \{\s*"[a-z]', f.read()) is not None,
                  "russian auto window: per-trace estimates in summary.json")
        compare_runs("russian coortweet", ["--compat", "coortweet", "-w", "60", "-m", "2"],
                     [RUSSIAN], [], must_spill=False)
    else:
        print("note: %s absent, russian sample not compared" % RUSSIAN)

    # SIGTERM or SIGKILL in the middle of a spilling run leaves no temporary file
    for sig in (signal.SIGTERM, signal.SIGKILL):
        tmp = tmpdir()
        proc = subprocess.Popen([LOCKSTEP, "detect", "-q", "--max-mem", "1M", "--tmp-dir", tmp,
                                 "-o", os.path.join(base, "killed"), "-w", "60s", simfile],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.4)
        proc.send_signal(sig)
        proc.wait()
        check(os.listdir(tmp) == [], "--tmp-dir empty after %s" % signal.Signals(sig).name)

    # a full disk: writes beyond 1 MB fail with EFBIG (SIGXFSZ ignored)
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    # while reading (the near-text signatures), and without near-text in the pair stage
    for what, traces in (("reading", []),
                         ("pair stage", ["--traces", "share,quote,reply,url,hashtag,mention,text"])):
        tmp = tmpdir()
        out = os.path.join(base, "full")
        p = subprocess.run([LOCKSTEP, "detect", "-q", "--max-mem", "1M", "--tmp-dir", tmp, "-o",
                            out, "-w", "60s"] + traces + [simfile],
                           capture_output=True, text=True, preexec_fn=limit)
        err = p.stderr.strip().splitlines()
        check(p.returncode != 0, "full disk, %s: non-zero exit (%d)" % (what, p.returncode))
        check(len(err) == 1, "full disk, %s: one line of error (%r)" % (what, err))
        check(bool(err) and tmp in err[-1] and "temporary file" in err[-1]
              and "File too large" in err[-1],
              "full disk, %s: message names folder and cause (%r)" % (what, err))
        check(not os.path.exists(os.path.join(out, "summary.json")),
              "full disk, %s: no summary.json" % what)
        check(os.listdir(tmp) == [], "full disk, %s: --tmp-dir empty" % what)
    finish()


if __name__ == "__main__":
    if not os.path.exists(LOCKSTEP):
        skip("no lockstep binary")
    main()
