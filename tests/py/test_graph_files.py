#!/usr/bin/python3
"""GraphML and GEXF files written by lk_graphwrite parse as XML, carry the
right counts and attribute values, and hostile node ids come back as plain
text: no element they contain ever becomes markup.

Needs $LK_TOOLS_DIR/lk_graphwrite (built from tests/tools/lk_graphwrite.c);
exits 77 (skipped) without it.  Standard library only.
"""
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

TOOL = os.path.join(os.environ.get("LK_TOOLS_DIR", ""), "lk_graphwrite")

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF = "{http://www.gexf.net/1.2draft}"

# The node ids of lk_graphwrite.c as a conforming XML parser must return them:
# invalid UTF-8 -> U+FFFD; C0 controls other than TAB/LF/CR dropped.
LABELS = [
    "alice",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"quoted\" & 'single'",
    "javascript:alert(1)",
    "bidi\u202eevil",
    "bad\ufffd\ufffdutf8",
    "ctl\x7f\tx",
    "line1\r\nline2, comma",
    "]]><!-- x --><![CDATA[y]]>",
    "  padded  ",
    "",
    "emoji \U0001F600",
    "&amp; &#60;",
]
SRC = [0, 0, 1, 2, 5, 12]
DST = [1, 2, 2, 3, 6, 13]
WEIGHT = ["1.5", "2", "1e-07", "1.23457e+08", "3", "0.1"]  # "%.6g"
SCORE = ["0.25", "1", "0.333333", "2.5e+10", "0", "1"]
EDGE_CO = ["3", "4", "5", "1099511627776", "1", "2"]
TRACES = ["share", "share;url", "<b>bold</b>", 'a"b', "x\r\ny", ""]


def node_values(i):
    """group, component, degree, co_actions of node i, as lk_graphwrite sets them."""
    group = 4294967295 if i == 13 else i % 3
    degree = sum((s == i) + (d == i) for s, d in zip(SRC, DST))
    co = sum((k + 1) * ((s == i) + (d == i)) for k, (s, d) in enumerate(zip(SRC, DST)))
    return {"group": str(group), "component": str(i // 4), "degree": str(degree),
            "co_actions": str(co)}


def tags(root):
    return {el.tag for el in root.iter()}


class GraphFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.graphml = os.path.join(cls.tmp.name, "g.graphml")
        cls.gexf = os.path.join(cls.tmp.name, "g.gexf")
        subprocess.run([TOOL, cls.graphml, cls.gexf], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_raw_bytes(self):
        for path in (self.graphml, self.gexf):
            with open(path, "rb") as f:
                raw = f.read()
            text = raw.decode("utf-8")  # strict: the files are valid UTF-8
            self.assertNotIn("\u202e", text)  # bidi override only as a reference
            self.assertIn("&#x202E;", text)
            self.assertFalse([c for c in text if ord(c) < 0x20 and c != "\n"])
            self.assertNotIn("<script", text)
            self.assertNotIn("<img", text)

    def test_deterministic(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.graphml"), os.path.join(d, "b.gexf")
            subprocess.run([TOOL, a, b], check=True)
            for mine, again in ((self.graphml, a), (self.gexf, b)):
                with open(mine, "rb") as f1, open(again, "rb") as f2:
                    self.assertEqual(f1.read(), f2.read())

    def test_graphml(self):
        root = ET.parse(self.graphml).getroot()
        self.assertEqual(root.tag, GRAPHML + "graphml")
        self.assertEqual(tags(root), {GRAPHML + t for t in
                                      ("graphml", "key", "graph", "node", "edge", "data")})
        keys = {k.get("id"): (k.get("for"), k.get("attr.name"), k.get("attr.type"))
                for k in root.iter(GRAPHML + "key")}
        self.assertEqual(keys, {
            "v_label": ("node", "label", "string"),
            "v_group": ("node", "group", "long"),
            "v_component": ("node", "component", "long"),
            "v_degree": ("node", "degree", "long"),
            "v_co_actions": ("node", "co_actions", "long"),
            "e_weight": ("edge", "weight", "double"),
            "e_score": ("edge", "score", "double"),
            "e_co_actions": ("edge", "co_actions", "long"),
            "e_traces": ("edge", "traces", "string"),
        })
        graph = root.find(GRAPHML + "graph")
        self.assertEqual(graph.get("edgedefault"), "undirected")
        nodes = graph.findall(GRAPHML + "node")
        self.assertEqual(len(nodes), len(LABELS))
        for i, node in enumerate(nodes):
            self.assertEqual(node.get("id"), "n%d" % i)
            data = node.findall(GRAPHML + "data")
            self.assertEqual(len(list(node)), 5)
            got = {d.get("key")[2:]: d.text or "" for d in data}
            for d in data:
                self.assertEqual(len(list(d)), 0)  # text only, never child elements
            self.assertEqual(got.pop("label"), LABELS[i], "node %d" % i)
            self.assertEqual(got, node_values(i))
        edges = graph.findall(GRAPHML + "edge")
        self.assertEqual(len(edges), len(SRC))
        for k, edge in enumerate(edges):
            self.assertEqual((edge.get("id"), edge.get("source"), edge.get("target")),
                             ("e%d" % k, "n%d" % SRC[k], "n%d" % DST[k]))
            got = {d.get("key")[2:]: d.text or "" for d in edge}
            self.assertEqual(got, {"weight": WEIGHT[k], "score": SCORE[k],
                                   "co_actions": EDGE_CO[k], "traces": TRACES[k]})

    def test_gexf(self):
        root = ET.parse(self.gexf).getroot()
        self.assertEqual(root.tag, GEXF + "gexf")
        self.assertEqual(root.get("version"), "1.2")
        self.assertEqual(tags(root), {GEXF + t for t in (
            "gexf", "meta", "creator", "description", "graph", "attributes", "attribute",
            "nodes", "node", "attvalues", "attvalue", "edges", "edge")})
        graph = root.find(GEXF + "graph")
        self.assertEqual((graph.get("mode"), graph.get("defaultedgetype")),
                         ("static", "undirected"))
        decl = {a.get("class"): [(x.get("id"), x.get("title"), x.get("type"))
                                 for x in a.findall(GEXF + "attribute")]
                for a in graph.findall(GEXF + "attributes")}
        self.assertEqual(decl, {
            "node": [("group", "group", "long"), ("component", "component", "long"),
                     ("degree", "degree", "long"), ("co_actions", "co_actions", "long")],
            "edge": [("score", "score", "double"), ("co_actions", "co_actions", "long"),
                     ("traces", "traces", "string")],
        })
        nodes = graph.find(GEXF + "nodes").findall(GEXF + "node")
        self.assertEqual(len(nodes), len(LABELS))
        for i, node in enumerate(nodes):
            self.assertEqual(node.get("id"), "n%d" % i)
            self.assertEqual(node.get("label"), LABELS[i], "node %d" % i)
            self.assertEqual([c.tag for c in node], [GEXF + "attvalues"])
            vals = {v.get("for"): v.get("value") for v in node.find(GEXF + "attvalues")}
            self.assertEqual(vals, node_values(i))
        edges = graph.find(GEXF + "edges").findall(GEXF + "edge")
        self.assertEqual(len(edges), len(SRC))
        for k, edge in enumerate(edges):
            self.assertEqual((edge.get("id"), edge.get("source"), edge.get("target"),
                              edge.get("weight")),
                             ("e%d" % k, "n%d" % SRC[k], "n%d" % DST[k], WEIGHT[k]))
            vals = {v.get("for"): v.get("value") for v in edge.find(GEXF + "attvalues")}
            self.assertEqual(vals, {"score": SCORE[k], "co_actions": EDGE_CO[k],
                                    "traces": TRACES[k]})

    def test_unwritable_path(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "missing-dir", "g.graphml")
            r = subprocess.run([TOOL, bad, os.path.join(d, "g.gexf")],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot write '%s': No such file or directory" % bad, r.stderr)
            self.assertEqual(os.listdir(d), [])


if __name__ == "__main__":
    if not os.access(TOOL, os.X_OK):
        print("skipped: %s not built" % TOOL)
        sys.exit(77)
    unittest.main(verbosity=2)
