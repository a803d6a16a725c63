/*
 * out_graph.h - the coordinated network as graph files for Gephi, Cytoscape,
 * igraph and networkx.  Depends on out_escape.
 */
#ifndef LK_OUT_GRAPH_H
#define LK_OUT_GRAPH_H

#include "lk_internal.h"

/** A read-only view of the network to write (all arrays borrowed).  node_id
 *  and src/dst are required; the other arrays may be NULL to omit them. */
typedef struct lk_graph_view {
    size_t n_nodes;
    const char *const *node_id; /* account id strings (user data: escaped) */
    const uint32_t *group;      /* group (community) id per node */
    const uint32_t *component;  /* component id per node */
    const uint64_t *degree;     /* degree in the coordinated network */
    const uint64_t *co_actions; /* co-actions summed over the node's edges */
    size_t n_edges;
    const uint32_t *src, *dst; /* node indices, src < dst */
    const double *weight;      /* edge weight */
    const double *score;       /* edge score */
    const uint64_t *edge_co_actions;
    const char *const *traces; /* e.g. "share" or "share;url" per edge */
    /* added later, last so that positional initialisers stay valid */
    const double *strength;  /* per node: sum of its edges' weights */
    const uint64_t *actions; /* per node: the account's actions in the input */
} lk_graph_view;

/**
 * Write GraphML (undirected; node keys: label, group, component, degree,
 * co_actions, strength, actions; edge keys: weight, score, co_actions,
 * traces) to `path`.
 * Nodes are "n<index>" with the escaped account id as `label`; edges are
 * "e<index>".  Integers are declared attr.type "long", floats "double" and
 * printed with "%.6g".  node_id (when n_nodes > 0) and src/dst (when
 * n_edges > 0) are required; any other array may be NULL, which leaves its
 * attribute out.  Output depends only on the view (byte-identical for the
 * same view, whatever the process locale).  On failure the partially written
 * file is removed (only if it is a regular file).
 * @return LK_OK, LK_EINVAL (NULL required array, endpoint >= n_nodes; no file
 *         is created), LK_EIO (errbuf: "cannot write 'path': reason"),
 *         LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_write_graphml(const lk_graph_view *g, const char *path, char *errbuf);

/** Write GEXF 1.2draft (namespace http://www.gexf.net/1.2draft, version "1.2": every
 *  reader takes it, see out_graph.c; static, undirected) with
 *  the same attributes: label and weight are GEXF's native node label and
 *  edge weight, the rest are declared in <attributes class="node|edge">.
 *  Same contract as above. */
LK_RESULT_USED lk_status lk_write_gexf(const lk_graph_view *g, const char *path, char *errbuf);

#endif
