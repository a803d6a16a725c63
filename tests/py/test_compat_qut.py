"""--compat qut against the QUT coordination-network-toolkit's reference
figures (data/README.md): its own test input at w=1 and w=60, and the
russian sample read as QUT input at w=10 and w=60, min edge weight 1 and 2."""
import os

import lktest as t

qut_in, russian = t.need_shared("qut/coretweet_test_input.csv",
                                "coortweet/russian_coord_tweets.csv.zst")
base = t.tmpdir()


def edges(inp, w, minw, loops):
    out = os.path.join(base, "w%s_m%s_%s_%d" % (w, minw, os.path.basename(inp), loops))
    args = ["detect", "--compat", "qut", "-w", str(w), "--threshold", "weight:%d" % minw,
            "-q", "-o", out]
    if loops:
        args.append("--keep-loops")
    t.run(args + [inp])
    rows = t.read_csv(os.path.join(out, "edges.csv"))
    t.check(rows[0] == ["source", "target", "weight", "edge_type"], "header %s" % rows[0])
    t.check(all(r[3] == "co_retweet" for r in rows[1:]), "edge_type co_retweet")
    return {(r[0], r[1]): int(r[2]) for r in rows[1:]}


cases = [
    (1, 1, {("uid4", "uid5"): 1, ("uid5", "uid4"): 1}, {("uid0", "uid0"): 2}),
    (1, 2, {}, {("uid0", "uid0"): 2}),
    (60, 1, {("uid0", "uid1"): 2, ("uid1", "uid0"): 1, ("uid2", "uid3"): 1,
             ("uid3", "uid2"): 1, ("uid4", "uid5"): 2, ("uid5", "uid4"): 2},
     {("uid0", "uid0"): 2, ("uid10", "uid10"): 2}),
]
for w, minw, want, loops in cases:
    got = edges(qut_in, w, minw, 0)
    t.check(got == want, "QUT test input w=%d min=%d: %s" % (w, minw, got))
    got = edges(qut_in, w, minw, 1)
    both = dict(want)
    both.update(loops)
    t.check(got == both, "QUT test input w=%d min=%d with loops: %s" % (w, minw, got))

# w, min, directed rows (with loops), self-loops, undirected pairs, nodes
TABLE = [(10, 1, 2200, 16, 1092, 1525), (10, 2, 23, 16, 5, 10),
         (60, 1, 12470, 58, 6206, 3954), (60, 2, 153, 58, 63, 97)]
for w, minw, rows, nloops, und, nodes in TABLE:
    e = edges(russian, w, minw, 1)
    loops = sum(1 for (a, b) in e if a == b)
    pairs = {tuple(sorted(k)) for k in e if k[0] != k[1]}
    nset = {a for p in pairs for a in p}
    got = (len(e), loops, len(e) - loops, len(pairs), len(nset))
    want = (rows, nloops, rows - nloops, und, nodes)
    t.check(got == want, "russian as QUT w=%d min=%d: got %s want %s" % (w, minw, got, want))
    e2 = edges(russian, w, minw, 0)
    t.check(e2 == {k: v for k, v in e.items() if k[0] != k[1]}, "no self-loops without --keep-loops")

# With min=1 and no loops, QUT and CooRTweet (mp=1, loops removed) give the
# same unordered account-pair set on this file.
for w in (10, 60):
    q = {tuple(sorted(k)) for k in edges(russian, w, 1, 0)}
    out = os.path.join(base, "ct%d" % w)
    t.run(["detect", "--compat", "coortweet", "-w", str(w), "-m", "1", "-q", "-o", out, russian])
    c = {tuple(sorted(r[:2])) for r in t.read_csv(os.path.join(out, "edges.csv"))[1:]}
    t.check(q == c, "QUT and CooRTweet pair sets agree at w=%d (%d vs %d)" % (w, len(q), len(c)))
t.finish()
