/*
 * compat.h - exact reproductions of the peers' outputs, so that results can
 * be checked against the tools the field already trusts (DESIGN.md,
 * "Compatibility semantics").
 */
#ifndef LK_COMPAT_H
#define LK_COMPAT_H

#include "dataset.h"

/* Counts reported in summary.json by the compat modes. */
typedef struct lk_compat_stats {
    uint64_t pairs;          /* coortweet: rows of pairs.csv */
    uint64_t edges;          /* undirected (coortweet) or directed (qut) edges written */
    uint64_t self_loops;     /* edges from an account to itself */
    uint64_t accounts;       /* accounts in the written network */
    double quantile;         /* coortweet: the weight quantile used */
    uint64_t edges_above;    /* coortweet: edges with weight_threshold = 1 */
    uint64_t accounts_above; /* coortweet: accounts in those edges */
    uint64_t max_weight;
    uint64_t duplicates; /* qut: rows ignored because their message id was seen */
} lk_compat_stats;

typedef struct lk_compat_opts {
    int64_t window_ms;
    int64_t min_participation; /* coortweet */
    int keep_loops;
    double edge_quantile;    /* coortweet */
    int64_t min_edge_weight; /* qut */
    const char *out_dir;
} lk_compat_opts;

/**
 * CooRTweet 2.1.3: detect_groups() + generate_coordinated_network(); writes
 * pairs.csv and edges.csv into o->out_dir.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf says which file).
 */
LK_RESULT_USED lk_status lk_compat_coortweet(const lk_dataset *ds, const lk_compat_opts *o,
                                             lk_compat_stats *cs, char *errbuf);

/**
 * QUT coordination-network-toolkit co-retweet network; writes edges.csv
 * (source,target,weight,edge_type).  Expects ds to hold every row, empty
 * objects included (they take part in message-id de-duplication only).
 */
LK_RESULT_USED lk_status lk_compat_qut(const lk_dataset *ds, const lk_compat_opts *o,
                                       lk_compat_stats *cs, char *errbuf);

/** R's type-7 quantile of sorted values x[0..n), computed in R's own
 *  floating-point order (bit-identical). 0 when n == 0. */
double lk_quantile7(const double *x, size_t n, double p);

/** The same, for n sorted values given by nth(ctx, k), k = 0..n-1 (e.g. a
 *  histogram that is never expanded). */
double lk_quantile7_nth(uint64_t n, double p, double (*nth)(const void *ctx, uint64_t k),
                        const void *ctx);

#endif
