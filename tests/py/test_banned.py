"""No banned function in src/ or cli/ (STYLE.md item 24).  src/ gets the
compile-time ban of src/lk_banned.h; cli/ may include only the public header,
so this scan is its guard.  Comments and string literals are ignored."""
import os
import re

import lktest as t

BANNED = ["strcpy", "strcat", "sprintf", "vsprintf", "strtok", "gets", "atoi", "localtime"]
pat = re.compile(r"(?<![A-Za-z0-9_])(%s)\s*\(" % "|".join(BANNED))
root = os.environ.get("LK_SOURCE_DIR") or t.skip("LK_SOURCE_DIR not set")


def strip(code):
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    code = re.sub(r"//[^\n]*", " ", code)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', code)


n = 0
for sub in ("src", "cli"):
    for name in sorted(os.listdir(os.path.join(root, sub))):
        if not name.endswith((".c", ".h")) or name == "lk_banned.h":
            continue
        n += 1
        with open(os.path.join(root, sub, name), encoding="utf-8") as f:
            code = strip(f.read())
        for m in pat.finditer(code):
            t.check(False, "%s/%s calls banned %s()" % (sub, name, m.group(1)))
t.check(n > 20, "scanned %d files" % n)
t.finish()
