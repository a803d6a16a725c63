"""The burst cap: co-actions inside a viral burst (an action with more than
--max-burst others on its object within the window) are not enumerated;
--max-burst 0 counts them.  Known answer on a hand-built input: 250 accounts
share 'viral' within 25 s (each has 249 neighbours), among them the ring
r1..r3, which also shares x1..x3 within seconds."""
import os

import lktest as t

base = t.tmpdir()
inp = os.path.join(base, "in.csv")
rows = ["object_id,account_id,content_id,timestamp_share"]
n = 0
for k in range(250):
    acc = "r%d" % (k + 1) if k < 3 else "fan%03d" % k
    rows.append("viral,%s,c%d,%d" % (acc, n, 1000 + k // 10))
    n += 1
for x in range(3):
    for r in range(3):
        rows.append("x%d,r%d,c%d,%d" % (x, r + 1, n, 5000 + 100 * x + r))
        n += 1
# every fan acts twice, so -m 2 keeps them
for k in range(3, 250):
    rows.append("solo%d,fan%03d,c%d,%d" % (k, k, n, 90000 + k))
    n += 1
with open(inp, "w") as f:
    f.write("\n".join(rows) + "\n")

out = os.path.join(base, "capped")
t.run(["detect", "-q", "--threshold", "weight:2", "-o", out, inp])
s = t.summary(out)["counts"]
t.check(s["burst_actions"] == 250 and s["burst_objects"] == 1, "burst counts %s" % s)
e = t.read_csv(os.path.join(out, "edges.csv"))
got = sorted((r[0], r[1], r[2]) for r in e[1:])
t.check(got == [("r1", "r2", "3"), ("r1", "r3", "3"), ("r2", "r3", "3")],
        "capped: only the ring's three objects count: %s" % got)
t.check(s["edges"] == 3, "capped: no edge from the burst (%d)" % s["edges"])

out = os.path.join(base, "uncapped")
t.run(["detect", "-q", "--threshold", "weight:2", "--max-burst", "0", "-o", out, inp])
s = t.summary(out)["counts"]
t.check(s["burst_actions"] == 0, "uncapped: no burst")
t.check(s["edges"] == 250 * 249 // 2, "uncapped: every pair of the viral sharers (%d)" % s["edges"])
e = t.read_csv(os.path.join(out, "edges.csv"))
got = sorted((r[0], r[1], r[2]) for r in e[1:])
t.check(got == [("r1", "r2", "4"), ("r1", "r3", "4"), ("r2", "r3", "4")],
        "uncapped: the ring's edges include 'viral': %s" % got)

# Calibrated, with and without a memory cap (under which the burst marks
# wait on disk through the calibration): the ring is found, its evidence
# leaves out the burst's actions, and the outputs are the same.
outs = []
for cap in ([], ["--max-mem", "1M"]):
    out = os.path.join(base, "calibrated%d" % len(outs))
    t.run(["detect", "-q"] + cap + ["-o", out, inp])
    outs.append(out)
e = t.read_csv(os.path.join(outs[1], "edges.csv"))
got = sorted((r[0], r[1], r[2]) for r in e[1:])
t.check(got == [("r1", "r2", "3"), ("r1", "r3", "3"), ("r2", "r3", "3")],
        "calibrated: the ring's edges on its three objects: %s" % got)
ev = t.read_csv(os.path.join(outs[1], "evidence.csv"))
col = ev[0].index("object")
objs = sorted(set(r[col] for r in ev[1:]))
t.check(objs == ["x0", "x1", "x2"], "calibrated: evidence on the ring's objects only: %s" % objs)
for name in ("edges.csv", "evidence.csv", "accounts.csv", "groups.csv"):
    with open(os.path.join(outs[0], name), "rb") as f0, open(os.path.join(outs[1], name), "rb") as f1:
        t.check(f0.read() == f1.read(), "calibrated: %s the same under --max-mem 1M" % name)
t.finish()
