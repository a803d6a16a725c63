#!/usr/bin/python3
"""Size and time of report.html on large coordinated networks (not run in CI).

Builds synthetic detect output folders (the tables detect writes, with the
columns of doc/outputs.md) with N coordinated accounts, runs `lockstep report`
on each and prints one Markdown row per case: accounts, groups, edges,
evidence rows, report size, wall time.  Two shapes:

  many   groups of decreasing size (largest 2,000, at least 2 members),
         3 edges per member, 2 evidence rows per edge
  one    a single group of N accounts (the network limit cuts it)

    python3 bench/report_size.py [LOCKSTEP] [N ...]     # default N: 1e5
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time


def make_folder(d, n, shape):
    if shape == "one":
        sizes = [n]
    else:
        sizes, k, left = [], 1, n
        while left > 0:
            s = min(left, max(2, int(2000 / k ** 0.9)))
            if left - s == 1:
                s += 1
            sizes.append(s)
            left -= s
            k += 1
    acc = lambda i: "%016x" % (i * 0x9E3779B97F4A7C15 % (1 << 64))
    t0 = 1672531200
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    first = 0
    nedges = nev = 0
    with open(os.path.join(d, "accounts.csv"), "w") as fa, \
            open(os.path.join(d, "groups.csv"), "w") as fg, \
            open(os.path.join(d, "edges.csv"), "w") as fe, \
            open(os.path.join(d, "evidence.csv"), "w") as fv, \
            open(os.path.join(d, "group_objects.csv"), "w") as fo:
        fa.write("account_id,group_id,degree,co_actions,component_id,strength,actions,"
                 "coordinated_actions,coordinated_share\n")
        fg.write("group_id,size,edges,density,co_actions,objects,first_seen,last_seen,"
                 "component_id,mean_dt,traces,median_dt\n")
        fe.write("account_a,account_b,weight,co_actions,objects,mean_dt,score,traces,group_id,"
                 "qvalue,common_objects,sync\n")
        fv.write("account_a,account_b,trace,object,time_a,time_b,content_a,content_b,dt,"
                 "co_actions\n")
        fo.write("group_id,rank,trace,object,members,first_time,last_time,spread_s,"
                 "member_times\n")
        for g, s in enumerate(sizes, 1):
            names = sorted(acc(first + i) for i in range(s))
            first += s
            edges = set()
            for i in range(s):
                for step in (1, 2, 5):
                    j = (i + step) % s
                    if i != j:
                        edges.add((min(i, j), max(i, j)))
            edges = sorted(edges)
            for i, a in enumerate(names):
                fa.write("%s,%d,3,30,%d,30,40,20,0.5\n" % (a, g, g))
            fg.write("%d,%d,%d,%.6g,%d,10,%s,%s,%d,4.5,share:%d,4\n"
                     % (g, s, len(edges), 2 * len(edges) / (s * (s - 1)), 10 * len(edges),
                        iso(t0), iso(t0 + 86400), g, 10 * len(edges)))
            for i, j in edges:
                fe.write("%s,%s,10,10,10,4.5,55.2,share:10,%d,0.0001,12,0.8333\n"
                         % (names[i], names[j], g))
                for k in range(2):
                    fv.write("%s,%s,share,%d%05d,%s,%s,c%d,c%d,3,1\n"
                             % (names[i], names[j], g, k, iso(t0 + 60 * k), iso(t0 + 60 * k + 3),
                                nev, nev + 1))
                    nev += 1
            nedges += len(edges)
            for r in range(1, 11):
                times = ";".join("%s@%s" % (a, iso(t0 + 3600 * r + i % 50))
                                 for i, a in enumerate(names))
                fo.write("%d,%d,share,%d%05d,%d,%s,%s,49,%s\n"
                         % (g, r, g, r, s, iso(t0 + 3600 * r), iso(t0 + 3600 * r + 49), times))
    with open(os.path.join(d, "summary.json"), "w") as f:
        f.write('{"lockstep_version": "0.1.0", "command": "detect", "parameters": '
                '{"compat": "none", "seed": 1}, "rows_read": 0, "counts": '
                '{"coordinated_accounts": %d, "coordinated_edges": %d, "groups": %d}}\n'
                % (n, nedges, len(sizes)))
    return len(sizes), nedges, nev


def main():
    lk = sys.argv[1] if len(sys.argv) > 1 else "build-release/lockstep"
    sizes = [int(float(x)) for x in sys.argv[2:]] or [100000]
    print("| accounts | shape | groups | edges | evidence rows | report.html | wall |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        for shape in ("many", "one"):
            d = tempfile.mkdtemp(prefix="lkreport.")
            try:
                groups, edges, ev = make_folder(d, n, shape)
                t = time.time()
                subprocess.run([lk, "report", "-q", d], check=True)
                wall = time.time() - t
                size = os.path.getsize(os.path.join(d, "report.html"))
                print("| %d | %s | %d | %d | %d | %.1f MB | %.1f s |"
                      % (n, shape, groups, edges, ev, size / 1e6, wall))
            finally:
                shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
