"""Native readers on the real samples in ../shared/data, checked against counts made
here independently with Python's json module (data/README.md gives the peers'
figures; where lockstep's differ this test shows which is right).

- Twitter v1.1: data/README.md says 1,789 lines of unique tweets from 989 authors.
  8 of those lines are Twitter *list* objects (id_str + user + slug + member_count,
  no text): they are not posts, and their owner is the 989th "author".  lockstep
  reads 1,789 rows, skips those 8 as not_a_post, and 6 media-only tweets (a bare
  t.co link, no entities) give no object; 1,775 used.
- Twitter v2: 1,109 unique tweets (633 retweets, 225 originals, 196 replies, 55
  quotes) from 831 authors over all files; the same tweets appear in raw pages and
  flattened lines, so duplicates are skipped, and one line is deliberately broken.
- Pushshift: 1,075 + 3,666 comments and 13,050 submissions; [deleted] authors are
  skipped and counted.
"""
import glob
import json
import os
import subprocess

from lktest import check, failures, need_shared, run, summary, tmpdir


def zstd_lines(path):
    out = subprocess.run(["zstd", "-dc", "--long=31", path], capture_output=True,
                         check=True).stdout
    return out.decode("utf-8").splitlines()


def detect(args, out):
    run(["detect", "-q", "-o", out] + args)
    return summary(out)


def skipped(s):
    return {k: v for k, v in s["rows_skipped"].items() if v and k != "total"}


def v1():
    (path,) = need_shared("twitter-v1/tweets_v11.jsonl.zst")
    lines = zstd_lines(path)
    objs = [json.loads(x) for x in lines]
    lists = [o for o in objs if "slug" in o and "member_count" in o]
    tweets = [o for o in objs if not ("slug" in o and "member_count" in o)]
    retweets = [t for t in tweets if "retweeted_status" in t]
    quotes = [t for t in tweets if "retweeted_status" not in t and t.get("quoted_status_id_str")]
    replies = [t for t in tweets if t.get("in_reply_to_status_id_str")]
    authors = {t["user"]["id_str"] for t in tweets}
    check(len(lines) == 1789 and len(lists) == 8, "v1: 1,789 lines, 8 of them lists")

    s = detect([path], os.path.join(tmpdir(), "v1"))
    check(s["rows_read"] == 1789, "v1 rows_read %d" % s["rows_read"])
    check(s["rows_skipped"]["not_a_post"] == len(lists), "v1 not_a_post")
    check(s["rows_used"] + s["rows_skipped"]["total"] == s["rows_read"], "v1 accounting")
    check(s["rows_skipped"]["duplicate"] == 0, "v1 has no duplicates")
    used = s["rows_used"] + s["rows_skipped"]["empty_object"]
    check(used == len(tweets), "v1: used + empty_object %d == tweets %d" % (used, len(tweets)))
    tr = s["actions_by_trace"]
    check(tr.get("share") == len(retweets), "v1 share %s vs %d" % (tr.get("share"), len(retweets)))
    check(tr.get("quote") == len(quotes), "v1 quote %s vs %d" % (tr.get("quote"), len(quotes)))
    check(tr.get("reply") == len(replies), "v1 reply %s vs %d" % (tr.get("reply"), len(replies)))
    # the accounts of used tweets: all authors but those whose only tweets gave nothing
    check(s["counts"]["accounts"] <= len(authors) and len(authors) == 988,
          "v1 authors of tweets %d (989 with the list owner)" % len(authors))


def v2():
    paths = sorted(glob.glob(os.path.join(need_shared("twitter-v2")[0], "*.jsonl")))
    seen, kinds, authors = {}, {}, set()
    not_post = malformed = 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    o = json.loads(line)
                except ValueError:
                    malformed += 1
                    continue
                if isinstance(o.get("data"), list):
                    items = o["data"]
                    if not items:
                        not_post += 1
                elif isinstance(o.get("data"), dict):
                    items = [o["data"]]
                elif "author_id" in o and "created_at" in o:
                    items = [o]
                else:
                    not_post += 1
                    continue
                for t in items:
                    if "author_id" not in t:
                        not_post += 1
                        continue
                    refs = {r["type"] for r in t.get("referenced_tweets", [])}
                    if t["id"] in seen:
                        continue
                    seen[t["id"]] = refs
                    authors.add(t["author_id"])
    for refs in seen.values():
        k = ("retweet" if "retweeted" in refs else "quote" if "quoted" in refs else
             "reply" if "replied_to" in refs else "original")
        kinds[k] = kinds.get(k, 0) + 1
    check(len(seen) == 1109 and len(authors) == 831, "v2 independent: 1,109 tweets, 831 authors")
    check(kinds == {"retweet": 633, "original": 225, "reply": 196, "quote": 55},
          "v2 independent kinds %s" % kinds)

    out = os.path.join(tmpdir(), "v2")
    s = detect(["--on-error", "skip"] + paths, out)
    check(s["rows_used"] == 1109, "v2 rows_used %d" % s["rows_used"])
    check(s["counts"]["accounts"] == 831, "v2 accounts %d" % s["counts"]["accounts"])
    check(s["rows_skipped"]["malformed_json"] == malformed == 1, "v2 one broken line")
    check(s["rows_skipped"]["not_a_post"] == not_post, "v2 not_a_post %d vs %d" %
          (s["rows_skipped"]["not_a_post"], not_post))
    check(s["rows_used"] + s["rows_skipped"]["total"] == s["rows_read"], "v2 accounting")
    tr = s["actions_by_trace"]
    check(tr.get("share") == 633 and tr.get("quote") == 55, "v2 share/quote %s" % tr)
    replies = sum(1 for refs in seen.values() if "replied_to" in refs and "retweeted" not in refs)
    check(tr.get("reply") == replies, "v2 reply %s vs %d" % (tr.get("reply"), replies))

    # under --on-error fail the broken line stops the run with FILE:LINE
    bad = [p for p in paths if p.endswith("streaming_output_with_error.jsonl")][0]
    r = run(["detect", "-q", "-o", os.path.join(tmpdir(), "v2f"), bad], check=False)
    check(r.returncode == 1 and "streaming_output_with_error.jsonl:8: invalid JSON" in r.stderr,
          "v2 broken line under fail: %r" % r.stderr)


def pushshift():
    files = {"RC_2005-12.zst": 1075, "RC_2006-01.zst": 3666, "AskMen_submissions.zst": 13050}
    for name, n in files.items():
        (path,) = need_shared("pushshift/" + name)
        objs = [json.loads(x) for x in zstd_lines(path)]
        deleted = sum(1 for o in objs if o["author"] == "[deleted]")
        bots = sum(1 for o in objs if o["author"] == "AutoModerator")
        check(len(objs) == n, "%s: %d lines" % (name, len(objs)))
        s = detect([path], os.path.join(tmpdir(), name))
        check(s["rows_read"] == n, "%s rows_read %d" % (name, s["rows_read"]))
        check(s["rows_skipped"]["deleted_account"] == deleted,
              "%s deleted %d vs %d" % (name, s["rows_skipped"]["deleted_account"], deleted))
        check(s["rows_skipped"]["bot_account"] == bots, "%s bots" % name)
        check(s["rows_used"] + s["rows_skipped"]["total"] == n, "%s accounting" % name)
        comments = [o for o in objs if "body" in o and o["author"] not in
                    ("[deleted]", "AutoModerator")]
        if comments:
            check(s["actions_by_trace"].get("reply") == len(comments),
                  "%s: one reply action per comment" % name)


def main():
    v1()
    v2()
    pushshift()
    if failures:
        for f in failures:
            print("FAIL:", f)
        raise SystemExit(1)
    print("ok")


if __name__ == "__main__":
    main()
