/*
 * cluster.h - clustering of the coordinated network.  Implemented in
 * cluster_igraph.c, the only file that includes <igraph.h>.
 */
#ifndef LK_CLUSTER_H
#define LK_CLUSTER_H

#include "lk_internal.h"

/**
 * Connected components and Leiden communities of an undirected weighted
 * graph on vertices 0..n-1 with m edges (u[k], v[k], w[k] > 0).  Self-loops
 * and parallel edges are allowed.  `w` may be NULL for unit weights.
 *
 * Leiden optimises modularity with the given resolution (>= 0; 1.0 = classic
 * modularity, 0 = one community per component), seeded with `seed` (igraph's
 * RNG is reseeded on every call), iterated until a pass leaves the partition
 * unchanged (at most 100 passes).  Results are canonical so that they depend
 * only on the graph, the seed and the resolution:
 *  - component[i]: components numbered 0.. in order of their smallest vertex;
 *  - community[i]: communities numbered 0.. by decreasing size, ties broken by
 *    smallest vertex.  A community is always connected, so it never spans
 *    two components.
 * Isolated vertices get their own component and community.
 * component and community have n elements each (may be NULL when n == 0).
 * Not thread-safe: igraph's error handlers and RNG are process-global; do not
 * call concurrently with lk_layout() or any other igraph use.
 * Time: O(m log n) typical.
 * @param errbuf LK_ERRMSG_MAX bytes; receives igraph's reason on failure.
 * @return LK_OK, LK_ENOMEM, LK_EINVAL (bad vertex id / weight / resolution,
 *         n > UINT32_MAX), LK_EGRAPH.
 */
LK_RESULT_USED lk_status lk_cluster(size_t n, size_t m, const uint32_t *u, const uint32_t *v,
                                    const double *w, double resolution, uint64_t seed,
                                    uint32_t *component, uint32_t *community, char *errbuf);

/**
 * 2-D layout (Fruchterman-Reingold, seeded, 500 iterations; grid-accelerated
 * above 1000 vertices) for drawing.  Same graph conventions as lk_cluster();
 * heavier edges pull their endpoints closer.  xy receives n (x, y) pairs,
 * 2n doubles.  Deterministic for a given graph and seed.  Not thread-safe
 * (see lk_cluster()).
 * @return LK_OK, LK_ENOMEM, LK_EINVAL (bad vertex id / weight), LK_EGRAPH.
 */
LK_RESULT_USED lk_status lk_layout(size_t n, size_t m, const uint32_t *u, const uint32_t *v,
                                   const double *w, uint64_t seed, double *xy, char *errbuf);

#endif
