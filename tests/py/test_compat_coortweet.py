"""--compat coortweet against CooRTweet 2.1.3's own outputs (../shared/data).

Asserts every row of the 12-setting reference table of data/README.md (pairs,
edges, nodes, self-loops, median, edges above it, their nodes, max weight),
and row-level equality with the reference tables at tw=60, mp=2: pairs.csv ==
detect_groups (as a multiset, orientation included), edges.csv == the full
edge list (undirected: each pair compared with its accounts sorted) and the
weight_threshold=1 rows == the subgraph=1 list.
"""
import os
from collections import Counter

import lktest as t

russian, ref_pairs, ref_full, ref_sub = t.need_shared(
    "coortweet/russian_coord_tweets.csv.zst",
    "coortweet/russian_tw60_mp2_detect_groups.csv.zst",
    "coortweet/russian_tw60_mp2_full_edges.csv.zst",
    "coortweet/russian_tw60_mp2_ew0.5_edges.csv.zst")

# tw, mp, remove_loops, pairs, edges, nodes, self-loops, q50, edges>q50, nodes in it, max weight
TABLE = [
    (10, 5, True, 22, 20, 23, 0, 1, 1, 2, 3),
    (10, 5, False, 60, 27, 30, 3, 1, 5, 6, 26),
    (60, 2, True, 3791, 3721, 2110, 0, 1, 60, 94, 4),
    (60, 2, False, 3919, 3782, 2135, 59, 1, 70, 99, 48),
    (10, 2, True, 447, 442, 525, 0, 1, 4, 8, 3),
    (10, 2, False, 496, 461, 537, 17, 1, 7, 10, 26),
    (60, 5, True, 1235, 1193, 772, 0, 1, 36, 59, 4),
    (60, 5, False, 1344, 1237, 783, 18, 1, 45, 65, 48),
    (10, 1, True, 1098, 1092, 1525, 0, 1, 5, 10, 3),
    (10, 1, False, 1145, 1109, 1535, 17, 1, 8, 12, 26),
    (60, 1, True, 6281, 6206, 3954, 0, 1, 63, 97, 4),
    (60, 1, False, 6407, 6265, 3976, 59, 1, 73, 102, 48),
]

base = t.tmpdir()
for tw, mp, rl, pairs, edges, nodes, loops, q50, above, nabove, maxw in TABLE:
    out = os.path.join(base, "tw%d_mp%d_%s" % (tw, mp, "T" if rl else "F"))
    args = ["detect", "--compat", "coortweet", "-w", str(tw), "-m", str(mp), "-q", "-o", out]
    if not rl:
        args.append("--keep-loops")
    t.run(args + [russian])
    c = t.summary(out)["counts"]
    got = (c["pairs"], c["edges"], c["edge_accounts"], c["self_loops"], c["weight_quantile"],
           c["edges_above_quantile"], c["accounts_above_quantile"], c["max_weight"])
    want = (pairs, edges, nodes, loops, q50, above, nabove, maxw)
    t.check(got == want, "tw=%d mp=%d loops=%s: got %s, want %s" % (tw, mp, not rl, got, want))
    # the tables agree with the summary
    prow = t.read_csv(os.path.join(out, "pairs.csv"))
    erow = t.read_csv(os.path.join(out, "edges.csv"))
    t.check(len(prow) - 1 == pairs, "pairs.csv rows at tw=%d mp=%d" % (tw, mp))
    t.check(len(erow) - 1 == edges, "edges.csv rows at tw=%d mp=%d" % (tw, mp))
    t.check(sum(int(r[2]) for r in erow[1:]) == pairs, "edge weights sum to pairs")

out = os.path.join(base, "tw60_mp2_T")
mine_pairs = t.read_csv(os.path.join(out, "pairs.csv"))
ref = t.read_csv(ref_pairs)
t.check(mine_pairs[0] == ref[0], "pairs.csv header %s" % mine_pairs[0])
t.check(Counter(map(tuple, mine_pairs[1:])) == Counter(map(tuple, ref[1:])),
        "pairs.csv equals CooRTweet's detect_groups rows (orientation included)")


def canon(rows):
    out = Counter()
    for r in rows[1:]:
        a, b = sorted(r[:2])
        out[(a, b) + tuple(r[2:])] += 1
    return out


mine_edges = t.read_csv(os.path.join(out, "edges.csv"))
t.check(mine_edges[0] == ["account_a", "account_b", "weight", "avg_time_delta", "n_content_id",
                          "n_content_id_y", "edge_symmetry_score", "weight_threshold"],
        "edges.csv header")
t.check(all(r[0] <= r[1] for r in mine_edges[1:]), "account_a <= account_b on every edge")
t.check(canon(mine_edges) == canon(t.read_csv(ref_full)),
        "edges.csv equals CooRTweet's full edge list")
t.check(canon([mine_edges[0]] + [r for r in mine_edges[1:] if r[7] == "1"]) ==
        canon(t.read_csv(ref_sub)), "weight_threshold=1 rows equal the subgraph=1 list")

# CooRTweet's own test: with tw=10, mp=5, remove_loops=TRUE this account only
# coordinates with itself and has no edge; with loops kept it has one.
acc = "9fa51ef17278c01d13d313741eddfc0b"
e_rl = t.read_csv(os.path.join(base, "tw10_mp5_T", "edges.csv"))
e_kl = t.read_csv(os.path.join(base, "tw10_mp5_F", "edges.csv"))
t.check(not any(acc in r[:2] for r in e_rl[1:]), "%s absent with loops removed" % acc)
t.check(any(r[0] == acc and r[1] == acc for r in e_kl[1:]), "%s self-loop with loops kept" % acc)
t.finish()
