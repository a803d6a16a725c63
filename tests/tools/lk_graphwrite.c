/*
 * lk_graphwrite - write a small network with hostile node ids and traces as
 * GraphML and GEXF, for tests/py/test_graph_files.py.
 *
 * usage: lk_graphwrite OUT.graphml OUT.gexf
 * Exit status 0 on success, 1 with a message on stderr otherwise.  The node
 * ids below are mirrored, with their expected decoded form, in the Python
 * test; change both together.
 */
#include "lk_internal.h"
#include "out_graph.h"

static const char *const node_id[] = {
    "alice",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"quoted\" & 'single'",
    "javascript:alert(1)",
    ("bidi\xe2\x80\xae"
     "evil"),             /* U+202E RIGHT-TO-LEFT OVERRIDE */
    "bad\xff\xc3utf8",    /* invalid UTF-8 */
    "ctl\x01\x1f\x7f\tx", /* dropped C0, DEL, TAB */
    "line1\r\nline2, comma",
    "]]><!-- x --><![CDATA[y]]>",
    "  padded  ",
    "",
    "emoji \xf0\x9f\x98\x80",
    "&amp; &#60;",
};

#define N_NODES (sizeof node_id / sizeof node_id[0])

static const uint32_t src[] = {0, 0, 1, 2, 5, 12};
static const uint32_t dst[] = {1, 2, 2, 3, 6, 13};
static const double weight[] = {1.5, 2, 1e-7, 123456789, 3, 0.1};
static const double score[] = {0.25, 1, 0.333333333, 2.5e10, 0, 1};
static const uint64_t edge_co[] = {3, 4, 5, 1099511627776u, 1, 2}; /* 2^40: 64-bit */
static const char *const traces[] = {"share", "share;url", "<b>bold</b>", "a\"b", "x\r\ny", ""};

#define N_EDGES (sizeof src / sizeof src[0])

int main(int argc, char **argv)
{
    uint32_t group[N_NODES], component[N_NODES];
    uint64_t degree[N_NODES], co_actions[N_NODES];
    char err[LK_ERRMSG_MAX] = "";
    lk_status st;

    if (argc != 3) {
        (void)fputs("usage: lk_graphwrite OUT.graphml OUT.gexf\n", stderr);
        return 2;
    }
    for (size_t i = 0; i < N_NODES; i++) {
        group[i] = (uint32_t)(i % 3);
        component[i] = (uint32_t)(i / 4);
        degree[i] = 0;
        co_actions[i] = 0;
    }
    group[13] = UINT32_MAX; /* the largest value of each integer type */
    for (size_t k = 0; k < N_EDGES; k++) {
        degree[src[k]]++;
        degree[dst[k]]++;
        co_actions[src[k]] += k + 1;
        co_actions[dst[k]] += k + 1;
    }
    const lk_graph_view g = {
        .n_nodes = N_NODES,
        .node_id = node_id,
        .group = group,
        .component = component,
        .degree = degree,
        .co_actions = co_actions,
        .n_edges = N_EDGES,
        .src = src,
        .dst = dst,
        .weight = weight,
        .score = score,
        .edge_co_actions = edge_co,
        .traces = traces,
    };
    if ((st = lk_write_graphml(&g, argv[1], err)) != LK_OK ||
        (st = lk_write_gexf(&g, argv[2], err)) != LK_OK) {
        (void)fprintf(stderr, "lk_graphwrite: %s (%s)\n", err, lk_strerror(st));
        return 1;
    }
    return 0;
}
