#!/usr/bin/python3
"""report.html keeps hostile input inert (issue 6, item 2).

Account ids, object ids, content ids and the input file name carry markup
(`</script>`, `<img onerror>`, `<svg onload>`), quotes, `javascript:` and
`data:` URLs, bidi controls and U+2028; they are arranged to end up in the
coordinated network (generic CSV, `--threshold weight:1 -m 1`).  detect writes
report.html; Python's html.parser (which splits script and style elements
the way browsers do) must then see only the page's own elements and
attributes: exactly two script elements, no event handler, no src, no link
that is not a fragment or http(s); the JSON data block parses and gives the
hostile strings back exactly.  A tampered folder with invalid UTF-8 in its
tables gives U+FFFD.  `lockstep report DIR` rebuilds detect's file byte for
byte.  The --max-nodes limit summarises what does not fit.  Standard library
only.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lktest import LOCKSTEP, check, finish, run, tmpdir  # noqa: E402

HOSTILE_ACCOUNTS = [
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "\"dq\" 'sq' & <!-- -->",
    "bidi\u202eevil\u2066iso\u2069\u200f",
    "line\u2028sep\u2029par",
]
HOSTILE_OBJECTS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "https://example.com/ok?a=1&b=<x>",
    "</style><style>*{background:url(http://evil.example/x)}</style>",
]
HOSTILE_CONTENT = "<iframe src=javascript:alert(1)>"

# the page's own markup (src/report/report.html); anything else came from data
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "p", "nav",
                "a", "noscript", "main", "section", "h2", "div", "canvas", "label", "input",
                "footer", "script"}


def csv_field(s):
    return '"' + s.replace('"', '""') + '"'


def write_input(path):
    """Three hostile accounts act on every hostile object within 5 s."""
    rows = ["object_id,account_id,content_id,timestamp_share"]
    t = 1600000000
    for k, obj in enumerate(HOSTILE_OBJECTS):
        for j, acc in enumerate(HOSTILE_ACCOUNTS):
            content = HOSTILE_CONTENT + "%d-%d" % (k, j)
            rows.append(",".join([csv_field(obj), csv_field(acc), csv_field(content),
                                  str(t + 1000 * k + j)]))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(rows) + "\r\n")


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []      # (tag, attrs)
        self.scripts = []   # [attrs, text]
        self.styles = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag in ("script", "style"):
            self._in = [dict(attrs), ""]
            (self.scripts if tag == "script" else self.styles).append(self._in)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in[1] += data


def inspect(path, what):
    """Check one report.html; returns its data block."""
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "%s: report.html is not valid UTF-8: %s" % (what, e))
        text = raw.decode("utf-8", "replace")
    p = Page()
    p.feed(text)
    p.close()

    names = {t for t, _ in p.tags}
    check(names <= ALLOWED_TAGS, "%s: only the page's own elements (extra: %s)"
          % (what, sorted(names - ALLOWED_TAGS)))
    for tag, attrs in p.tags:
        for k, v in attrs:
            check(not k.startswith("on"), "%s: no event handler attribute (<%s %s>)" % (what, tag, k))
            check(k != "src", "%s: no src attribute (<%s src=%r>)" % (what, tag, v))
            if k == "href":
                check(v.startswith("#"), "%s: only fragment links in the markup (%r)" % (what, v))
    check(len(p.scripts) == 2, "%s: exactly two script elements (%d)" % (what, len(p.scripts)))
    check(text.lower().count("</script") == 2, "%s: exactly two </script" % what)
    check(len(p.styles) == 1, "%s: one style element (%d)" % (what, len(p.styles)))
    data_attrs, data_text = p.scripts[0]
    code_attrs, code = p.scripts[-1]
    check(data_attrs == {"type": "application/json", "id": "lk-data"},
          "%s: the first script is the JSON data block (%r)" % (what, data_attrs))
    check(set(code_attrs) == {"nonce"}, "%s: the second is the page's script, with a nonce" % what)

    # CSP: nothing may be fetched; only elements carrying the nonce run
    csp = [dict(a).get("content", "") for t, a in p.tags
           if t == "meta" and dict(a).get("http-equiv", "").lower() == "content-security-policy"]
    check(len(csp) == 1, "%s: one Content-Security-Policy" % what)
    if csp:
        pol = csp[0]
        for part in ("default-src 'none'", "connect-src 'none'", "img-src 'none'",
                     "base-uri 'none'", "form-action 'none'",
                     "script-src 'nonce-%s'" % code_attrs.get("nonce")):
            check(part in pol, "%s: CSP has %s" % (what, part))
        check("unsafe" not in pol, "%s: CSP allows nothing unsafe" % what)

    # no external reference in the page's own code
    style = p.styles[0][1] if p.styles else ""
    for bad in ("url(", "@import", "http:", "https:"):
        check(bad not in style, "%s: style has no %s" % (what, bad))
    for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                "Function(", "fetch(", "XMLHttpRequest", "WebSocket", "import(", "src="):
        check(bad not in code, "%s: script has no %s" % (what, bad))
    outside = re.sub(r'(?s)<script type="application/json" id="lk-data">.*?</script>', "", text)
    check(not re.search(r"(?i)(src|href)\s*=\s*[\"']?\s*(https?:|//|javascript:|data:)", outside),
          "%s: no external or script URL in the markup" % what)

    # bidi controls and line separators never appear raw (\u escapes only)
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u2028\u2029":
        check(ch not in text, "%s: no raw U+%04X in the file" % (what, ord(ch)))
    for s in ("<img", "<svg", "<iframe", "onerror=", "onload="):
        check(s not in outside.lower(), "%s: %r appears nowhere outside the data block" % (what, s))
    for s in ("<", ">", "&"):
        check(s not in data_text, "%s: no raw %r in the data block" % (what, s))

    try:
        data = json.loads(data_text)
    except ValueError as e:
        check(False, "%s: the data block is not JSON: %s" % (what, e))
        return None
    return data


def main():
    d = tmpdir()
    try:
        name = os.path.join(d, "<b onmouseover=alert(1)>in'put\".csv")
        write_input(name)
        out = os.path.join(d, "out")
        run(["detect", "-q", "-w", "60", "-m", "1", "--threshold", "weight:1", "-o", out, name])
        data = inspect(os.path.join(out, "report.html"), "detect")
        if data:
            accounts = sorted(a[0] for a in data["accounts"])
            check(accounts == sorted(HOSTILE_ACCOUNTS),
                  "detect: the accounts round-trip exactly: %r" % accounts)
            objs = {o[2] for g in data["details"].values() for o in g["objects"]}
            check(objs == set(HOSTILE_OBJECTS), "detect: the objects round-trip: %r" % objs)
            ev = data["details"]["1"]["evidence"]
            check(len(ev) > 0 and all(r[6].startswith(HOSTILE_CONTENT) for r in ev),
                  "detect: the content ids round-trip")
            times = data["details"]["1"]["objects"][0][8]
            check(sorted(t[0] for t in times) == sorted(HOSTILE_ACCOUNTS),
                  "detect: member_times give the hostile account ids back")
            check(data["summary"]["inputs"][0]["path"] == name,
                  "detect: the input path round-trips")
            check(len(data["nodes"]) == len(HOSTILE_ACCOUNTS), "detect: every account drawn")

        # `lockstep report DIR` is byte-identical, and deterministic
        again = os.path.join(d, "again.html")
        run(["report", "-q", out, "-o", again])
        check(open(again, "rb").read() == open(os.path.join(out, "report.html"), "rb").read(),
              "report DIR rebuilds detect's report.html byte for byte")

        # a tampered folder: invalid UTF-8 and NUL-free garbage in the ids
        bad = os.path.join(d, "bad")
        shutil.copytree(out, bad)
        victim = HOSTILE_ACCOUNTS[1].encode()
        evil = b"bad\xff\xfe\xc3(<script>x"
        for f in os.listdir(bad):
            if f.endswith(".csv"):
                path = os.path.join(bad, f)
                b = open(path, "rb").read()
                open(path, "wb").write(b.replace(victim, evil))
        p = subprocess.run([LOCKSTEP, "report", "-q", bad], capture_output=True)
        check(p.returncode == 0, "report on a tampered folder: exit 0 (%r)" % p.stderr)
        data = inspect(os.path.join(bad, "report.html"), "tampered")
        if data:
            want = evil.decode("utf-8", "replace")
            check(want in [a[0] for a in data["accounts"]],
                  "tampered: invalid UTF-8 comes back as U+FFFD (%r)" % want)

        # a number cell holding markup is refused, not passed on
        broken = os.path.join(d, "broken")
        shutil.copytree(out, broken)
        path = os.path.join(broken, "groups.csv")
        lines = open(path, encoding="utf-8").read().split("\n")
        cells = lines[1].split(",")
        cells[1] = "1</script>"
        lines[1] = ",".join(cells)
        open(path, "w", encoding="utf-8").write("\n".join(lines))
        p = subprocess.run([LOCKSTEP, "report", "-q", broken], capture_output=True, text=True)
        check(p.returncode == 1 and "not a number" in p.stderr,
              "a non-numeric cell is an error: %r" % p.stderr)

        # limits: a simulated run with --max-nodes below its size
        sim = os.path.join(d, "sim")
        run(["simulate", "-q", "--seed", "5", "--actions", "40K", "--max-popularity", "500",
             "-o", sim])
        simout = os.path.join(d, "simout")
        run(["detect", "-q", "-o", simout, os.path.join(sim, "actions.csv")])
        full = inspect(os.path.join(simout, "report.html"), "simulated")
        small = os.path.join(d, "small.html")
        run(["report", "-q", "--max-nodes", "12", "--max-edges", "15", "--max-accounts", "20",
             simout, "-o", small])
        lim = inspect(small, "limited")
        if full and lim:
            g = lim["groups"]
            drawn = [x for x in g if x[12]]
            check(0 < len(lim["nodes"]) <= 12, "limited: at most 12 nodes (%d)" % len(lim["nodes"]))
            check(len(lim["edges"]) <= 15, "limited: at most 15 edges")
            check(len(lim["accounts"]) == min(20, len(full["accounts"])),
                  "limited: 20 accounts listed")
            check(sum(x[13] for x in g) == len(lim["nodes"]), "limited: drawn counts add up")
            check(set(lim["details"]) == {str(x[0]) for x in drawn},
                  "limited: sections only for the drawn groups")
            check(all(x[12] == 0 for x in g[len(drawn):]) and len(g) == len(full["groups"]),
                  "limited: the other groups are summarised rows")
            check(lim["totals"]["accounts"] == len(full["accounts"]),
                  "limited: totals count every account")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    finish()


if __name__ == "__main__":
    main()
