/*
 * net.h - pair aggregation: from in-window pairs to account-pair edges with
 * their statistics, and the threshold that cuts the coordinated network.
 *
 * Aggregation is sort-based and partitioned: a counting sweep sizes the job,
 * then each partition of the account-pair space (by a hash of the pair) is
 * swept, its pair records radix-sorted by pair and reduced to edges in one
 * sequential pass.  Memory is bounded by the partition buffer whatever the
 * number of pairs, and only edges that can pass the threshold are kept.
 */
#ifndef LK_NET_H
#define LK_NET_H

#include "window.h"

typedef struct lk_edge {
    uint32_t a, b;       /* account ids, a < b */
    uint32_t objects;    /* distinct objects co-acted on: the edge weight */
    uint32_t coord;      /* 1 when the threshold keeps the edge */
    uint64_t co_actions; /* in-window pairs of a's and b's actions */
    double sum_dt_s;     /* sum of |dt| in seconds over the co-actions */
    double score;        /* sum over co-action events (post pairs) of the largest ln(A / k_o)
                            of the event's objects; computed for kept edges only */
    uint32_t traces;     /* bit mask of the traces behind the edge */
    uint32_t cn_index;   /* index in the coordinated network's edge list */
    uint32_t common;     /* objects both accounts acted on, at any time (calibration) */
    uint32_t events;     /* co-action events (post pairs) behind the score */
    double qvalue;       /* false-discovery q-value of the score (calibration; else 1) */
    double sync;         /* objects / common (calibration; else 0) */
} lk_edge;

typedef struct lk_net_slot {
    uint64_t key; /* a << 32 | b */
    uint64_t idx; /* edge index + 1; 0 = empty */
} lk_net_slot;

typedef struct lk_net {
    lk_edge *e; /* kept edges (weight >= min_keep), sorted by (a, b) */
    size_t n, cap;
    uint64_t n_all;  /* distinct account pairs with any co-action */
    uint64_t *whist; /* whist[w] = edges of weight w (all edges) */
    size_t nwhist;
    lk_net_slot *tab; /* lookup over the kept edges */
    size_t mask;
    double *idf;          /* per object: ln(A / k_o), A = active accounts */
    uint64_t pairs;       /* in-window pairs (same-account pairs excluded) */
    unsigned partitions;  /* how many partitions the aggregation used */
    lk_sweep_stats burst; /* what the burst cap left out */
    uint8_t *burst_mark;  /* per index action: 1 when in a burst (see lk_sweep) */
} lk_net;

/**
 * Sweep the index and aggregate every in-window pair of two different
 * accounts (pairs inside bursts excepted, see lk_sweep) into edges.
 * @param min_keep  keep edges whose weight (distinct objects) is at least
 *                  this; lighter ones are only counted (n_all, whist).
 * @param budget    bytes for the pair buffer of one partition (>= 1 MiB);
 *                  more pairs than fit are handled in several partitions.
 * Deterministic: the kept edges and their statistics do not depend on the
 * budget.  Time O(P log_256(A^2)) for P pairs and A accounts.
 * @return LK_OK, LK_ENOMEM, LK_EINVAL (window < 0 or > UINT32_MAX ms).
 */
LK_RESULT_USED lk_status lk_net_build(const lk_objindex *ix, int64_t window_ms, uint64_t max_burst,
                                      uint32_t min_keep, uint64_t budget, lk_net *net);

/** lk_net_build with the dataset (content ids tell which actions are one post,
 *  for the event score; NULL: each input record is a post) and the per-object
 *  weights ln(A / k_o) given (n = ix->nobj; NULL: computed from ix): the null
 *  copy of calibrate.c scores its edges with the real data's weights. */
LK_RESULT_USED lk_status lk_net_build_idf(const lk_objindex *ix, const lk_dataset *ds,
                                          int64_t window_ms, uint64_t max_burst, uint32_t min_keep,
                                          uint64_t budget, const double *idf, lk_net *net);

/** Find the kept edge of accounts (x, y) in either order; NULL when absent. */
lk_edge *lk_net_find(const lk_net *net, uint32_t x, uint32_t y);

/**
 * Mark kept edges passing the threshold: weight >= value (LK_THRESHOLD_WEIGHT),
 * or weight > R type-7 quantile `value` of all weights (LK_THRESHOLD_QUANTILE,
 * CooRTweet's rule), the quantile taken over every edge, kept or not.
 * *cut receives the weight or quantile used.
 * @return the number of edges kept by the threshold.
 */
size_t lk_net_threshold(lk_net *net, lk_threshold kind, double value, double *cut);

void lk_net_release(lk_net *net);

#endif
