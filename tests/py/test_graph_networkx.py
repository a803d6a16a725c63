#!/usr/bin/python3
"""End to end: the network.graphml and network.gexf that `lockstep detect`
writes load in networkx (Debian's python3-networkx) and agree with the CSV
tables, on the real CooRTweet sample and on a simulated run.

For each run:
  - networkx.read_graphml and networkx.read_gexf give an undirected graph
    with one node per row of accounts.csv and one edge per row of edges.csv;
  - every node's label, group, component, degree, co_actions, strength and
    actions equal its accounts.csv row; every edge's endpoints, weight,
    score, co_actions and traces equal its edges.csv row, and node n<i> /
    edge e<k> follow the tables' byte order of account ids;
  - xml.etree (python-igraph is not packaged here, so the files are also
    read without networkx): the GEXF root is version 1.2 in the
    http://www.gexf.net/1.2draft namespace (Debian 12's networkx 2.8.8
    reads 1.1draft and 1.2draft only; src/out_graph.c), every attribute used
    is declared, with a GEXF type, before the nodes and edges, every node
    has a label and every edge a weight; the GraphML keys are declared
    before the graph and every data element refers to a key of its domain.

Exits 77 (skipped) when networkx or ../shared/data is missing.
"""
import csv
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

import lktest

try:
    import networkx
except ImportError:
    lktest.skip("python3-networkx is not installed (scripts/install-deps.sh --test)")

GEXF = "{http://www.gexf.net/1.2draft}"
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF_TYPES = {"integer", "long", "float", "double", "boolean", "string", "liststring",
              "anyURI", "date", "byte", "short", "char"}

NODE_INT = ("group", "component", "degree", "co_actions", "actions")
CSV_NAME = {"group": "group_id", "component": "component_id"}
check = lktest.check


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def same_float(a, b):
    """Both files print "%.6g": the parsed values are equal, not just close."""
    return float(a) == float(b)


def check_graph(tag, g, accounts, edges):
    check(not g.is_directed() and not g.is_multigraph(), "%s: an undirected simple graph" % tag)
    check(g.number_of_nodes() == len(accounts),
          "%s: %d nodes, accounts.csv has %d rows" % (tag, g.number_of_nodes(), len(accounts)))
    check(g.number_of_edges() == len(edges),
          "%s: %d edges, edges.csv has %d rows" % (tag, g.number_of_edges(), len(edges)))
    by_id = {r["account_id"]: r for r in accounts}
    label = {}
    bad = []
    for node, data in g.nodes(data=True):
        label[node] = data.get("label")
        r = by_id.get(label[node])
        if r is None:
            bad.append("%s has no accounts.csv row (label %r)" % (node, label[node]))
            continue
        for a in NODE_INT:
            if data.get(a) != int(r[CSV_NAME.get(a, a)]):
                bad.append("%s %s=%r, accounts.csv %r" % (label[node], a, data.get(a),
                                                            r[CSV_NAME.get(a, a)]))
        if not same_float(data.get("strength", "nan"), r["strength"]):
            bad.append("%s strength=%r, accounts.csv %r" % (label[node], data.get("strength"),
                                                            r["strength"]))
    check(not bad, "%s: node attributes as in accounts.csv: %s" % (tag, bad[:5]))
    # n<i> is the i-th account id in byte order
    ids = sorted(by_id, key=lambda s: s.encode("utf-8"))
    check(all(label.get("n%d" % i) == a for i, a in enumerate(ids)),
          "%s: node n<i> is the i-th account id in byte order" % tag)

    by_pair = {(r["account_a"], r["account_b"]): (k, r) for k, r in enumerate(edges)}
    bad = []
    for u, v, data in g.edges(data=True):
        a, b = sorted((label[u], label[v]), key=lambda s: s.encode("utf-8"))
        k, r = by_pair.get((a, b), (None, None))
        if r is None:
            bad.append("edge %s-%s has no edges.csv row" % (a, b))
            continue
        if data.get("id") != "e%d" % k:
            bad.append("edge %s-%s is %r, row %d of edges.csv" % (a, b, data.get("id"), k))
        for attr, want in (("weight", r["weight"]), ("score", r["score"])):
            if not same_float(data.get(attr, "nan"), want):
                bad.append("%s-%s %s=%r, edges.csv %r" % (a, b, attr, data.get(attr), want))
        if data.get("co_actions") != int(r["co_actions"]):
            bad.append("%s-%s co_actions=%r, edges.csv %r" % (a, b, data.get("co_actions"),
                                                             r["co_actions"]))
        if data.get("traces") != r["traces"]:
            bad.append("%s-%s traces=%r, edges.csv %r" % (a, b, data.get("traces"), r["traces"]))
    check(not bad, "%s: edge attributes as in edges.csv: %s" % (tag, bad[:5]))


def check_gexf_xml(tag, path, n_nodes, n_edges):
    root = ET.parse(path).getroot()
    check(root.tag == GEXF + "gexf", "%s: root is gexf in the 1.2draft namespace (%s)"
          % (tag, root.tag))
    check(root.get("version") == "1.2", "%s: version 1.2" % tag)
    graph = root.find(GEXF + "graph")
    check(graph is not None, "%s: one graph element" % tag)
    if graph is None:
        return
    check(graph.get("defaultedgetype") == "undirected" and graph.get("mode") == "static",
          "%s: static, undirected" % tag)
    children = [c.tag for c in graph]
    nodes_at = children.index(GEXF + "nodes") if GEXF + "nodes" in children else -1
    edges_at = children.index(GEXF + "edges") if GEXF + "edges" in children else -1
    check(0 <= nodes_at < edges_at, "%s: nodes before edges" % tag)
    declared = {"node": {}, "edge": {}}
    for i, c in enumerate(graph):
        if c.tag != GEXF + "attributes":
            continue
        check(i < nodes_at, "%s: attributes of class %s declared before the nodes"
              % (tag, c.get("class")))
        for a in c.findall(GEXF + "attribute"):
            declared[c.get("class")][a.get("id")] = a.get("type")
    for cls, decl in declared.items():
        check(all(t in GEXF_TYPES for t in decl.values()),
              "%s: %s attribute types are GEXF types: %s" % (tag, cls, decl))
    for cls, parent, n in (("node", "nodes", n_nodes), ("edge", "edges", n_edges)):
        elems = graph.find(GEXF + parent).findall(GEXF + cls)
        check(len(elems) == n, "%s: %d %s elements, expected %d" % (tag, len(elems), cls, n))
        ids = [e.get("id") for e in elems]
        check(len(set(ids)) == len(ids), "%s: %s ids are unique" % (tag, cls))
        undeclared = set()
        for e in elems:
            for v in e.iter(GEXF + "attvalue"):
                if v.get("for") not in declared[cls]:
                    undeclared.add(v.get("for"))
        check(not undeclared, "%s: every %s attvalue is declared: %s" % (tag, cls, undeclared))
        if cls == "node":
            check(all(e.get("label") for e in elems), "%s: every node has a label" % tag)
        else:
            node_ids = {e.get("id") for e in graph.find(GEXF + "nodes")}
            check(all(e.get("source") in node_ids and e.get("target") in node_ids
                      for e in elems), "%s: edge endpoints are nodes" % tag)
            check(all(e.get("weight") for e in elems), "%s: every edge has a weight" % tag)


def check_graphml_xml(tag, path):
    root = ET.parse(path).getroot()
    check(root.tag == GRAPHML + "graphml", "%s: root is graphml" % tag)
    children = [c.tag for c in root]
    graph_at = children.index(GRAPHML + "graph") if GRAPHML + "graph" in children else -1
    keys = {}
    for i, c in enumerate(root):
        if c.tag == GRAPHML + "key":
            check(i < graph_at, "%s: key %s declared before the graph" % (tag, c.get("id")))
            keys[c.get("id")] = c.get("for")
    bad = set()
    for dom in ("node", "edge"):
        for e in root.iter(GRAPHML + dom):
            for d in e.findall(GRAPHML + "data"):
                if keys.get(d.get("key")) != dom:
                    bad.add(d.get("key"))
    check(not bad, "%s: every data element refers to a key of its domain: %s" % (tag, bad))


def run_case(tag, outdir, inputs, extra):
    lktest.run(["detect", "-q", "-o", outdir] + extra + inputs)
    accounts = rows(os.path.join(outdir, "accounts.csv"))
    edges = rows(os.path.join(outdir, "edges.csv"))
    s = lktest.summary(outdir)["counts"]
    check(len(accounts) == s["coordinated_accounts"] and len(edges) == s["coordinated_edges"],
          "%s: tables hold the coordinated network of summary.json" % tag)
    check(len(edges) >= 10, "%s: a network worth checking (%d edges)" % (tag, len(edges)))
    graphml = os.path.join(outdir, "network.graphml")
    gexf = os.path.join(outdir, "network.gexf")
    check_graph(tag + " graphml", networkx.read_graphml(graphml), accounts, edges)
    check_graph(tag + " gexf", networkx.read_gexf(gexf), accounts, edges)
    check_gexf_xml(tag + " gexf", gexf, len(accounts), len(edges))
    check_graphml_xml(tag + " graphml", graphml)
    print("%s: %d nodes, %d edges checked" % (tag, len(accounts), len(edges)))


def main():
    (russian,) = lktest.need_shared("coortweet/russian_coord_tweets.csv.zst")
    with tempfile.TemporaryDirectory(prefix="lktest.") as tmp:
        # the calibrated default finds nothing in this sample: a fixed weight
        run_case("russian", os.path.join(tmp, "russian"), [russian],
                 ["-w", "60", "-m", "2", "--threshold", "weight:2"])
        sim = os.path.join(tmp, "sim")
        lktest.run(["simulate", "-q", "--seed", "3", "--actions", "100k", "--no-tweets",
                    "-o", sim])
        run_case("simulated", os.path.join(tmp, "sim-out"),
                 [os.path.join(sim, "actions.csv")], [])
    lktest.finish()


if __name__ == "__main__":
    main()
