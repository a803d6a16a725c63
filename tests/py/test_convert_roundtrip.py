"""lockstep convert writes what detect reads: for every format (the real samples and
the hand-written fixtures), detect on the converted CSV gives byte-identical tables
to detect on the native file, and the CSV has one row per action of the run."""
import csv
import glob
import os

from lktest import SHARED, check, failures, run, summary, tmpdir

TABLES = ["edges.csv", "accounts.csv", "groups.csv", "evidence.csv", "network.graphml",
          "network.gexf"]


def inputs():
    here = os.environ.get("LK_TEST_DATA", "")
    cases = [[p] for p in sorted(glob.glob(os.path.join(here, "formats", "*")))
             if not os.path.basename(p).startswith("bad")]
    for rel in ["twitter-v1/tweets_v11.jsonl.zst", "pushshift/RC_2006-01.zst",
                "coortweet/russian_coord_tweets.csv.zst"]:
        p = os.path.join(SHARED, rel)
        if os.path.exists(p):
            cases.append([p])
    v2 = sorted(glob.glob(os.path.join(SHARED, "twitter-v2", "*.jsonl")))
    if v2:
        cases.append(v2)
    return cases


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    cases = inputs()
    check(len(cases) >= 10, "found %d inputs" % len(cases))
    for paths in cases:
        name = os.path.basename(paths[0])
        d = tmpdir()
        conv = os.path.join(d, "actions.csv")
        common = ["--on-error", "skip", "--traces", "all"]
        run(["convert", "-q", "-o", conv] + common + paths)
        run(["detect", "-q", "-m", "1", "-o", os.path.join(d, "native")] + common + paths)
        run(["detect", "-q", "-m", "1", "-o", os.path.join(d, "conv")] + common + [conv])
        s = summary(os.path.join(d, "native"))
        with open(conv, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        check(rows[0] == ["object_id", "account_id", "content_id", "timestamp_share", "trace"],
              "%s: header %s" % (name, rows[0]))
        # near-text is computed by detect over all texts, never written by convert
        n_act = sum(v for k, v in s["actions_by_trace"].items() if k != "near-text")
        check(len(rows) - 1 == n_act, "%s: %d rows vs %d actions" % (name, len(rows) - 1, n_act))
        c = summary(os.path.join(d, "conv"))
        check(c["actions_by_trace"] == s["actions_by_trace"],
              "%s: traces %s vs %s" % (name, c["actions_by_trace"], s["actions_by_trace"]))
        for t in TABLES:
            a, b = os.path.join(d, "native", t), os.path.join(d, "conv", t)
            check(read(a) == read(b), "%s: %s differs after convert" % (name, t))
    if failures:
        for f in failures:
            print("FAIL:", f)
        raise SystemExit(1)
    print("ok: %d inputs" % len(cases))


if __name__ == "__main__":
    main()
