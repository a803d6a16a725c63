/*
 * cluster.h - clustering of the coordinated network.  Implemented in
 * cluster_igraph.c, the only file that includes <igraph.h>.
 */
#ifndef LK_CLUSTER_H
#define LK_CLUSTER_H

#include "lk_internal.h"

/**
 * Connected components and Leiden communities of an undirected weighted
 * graph on vertices 0..n-1 with m edges (u[k], v[k], w[k] > 0).
 *
 * Leiden optimises modularity with the given resolution (1.0 = classic
 * modularity), seeded with `seed` (igraph's RNG is reseeded on every call),
 * iterated until stable.  Results are canonical so that they depend only on
 * the graph, the seed and the resolution:
 *  - component[i]: components numbered 0.. in order of their smallest vertex;
 *  - community[i]: communities numbered 0.. by decreasing size, ties broken by
 *    smallest vertex.  A community never spans two components.
 * Isolated vertices get their own component and community.
 * Time: O(m log n) typical.
 * @param errbuf LK_ERRMSG_MAX bytes; receives igraph's reason on failure.
 * @return LK_OK, LK_ENOMEM, LK_EINVAL (bad vertex id / weight), LK_EGRAPH.
 */
LK_RESULT_USED lk_status lk_cluster(size_t n, size_t m, const uint32_t *u, const uint32_t *v,
                                    const double *w, double resolution, uint64_t seed,
                                    uint32_t *component, uint32_t *community, char *errbuf);

/**
 * 2-D layout (Fruchterman-Reingold, seeded) for drawing; xy has 2n doubles.
 * @return LK_OK, LK_ENOMEM, LK_EGRAPH.
 */
LK_RESULT_USED lk_status lk_layout(size_t n, size_t m, const uint32_t *u, const uint32_t *v,
                                   const double *w, uint64_t seed, double *xy, char *errbuf);

#endif
