/*
 * net.h - pair aggregation: from in-window pairs to account-pair edges with
 * their statistics, and the threshold that cuts the coordinated network.
 */
#ifndef LK_NET_H
#define LK_NET_H

#include "window.h"

typedef struct lk_edge {
    uint32_t a, b;       /* account ids, a < b */
    uint32_t objects;    /* distinct objects co-acted on: the edge weight */
    uint32_t last_obj;   /* sweep bookkeeping: last object counted */
    uint64_t co_actions; /* in-window pairs of a's and b's actions */
    double sum_dt_s;     /* sum of |dt| in seconds over the co-actions */
    double score;        /* sum over distinct objects of ln(A / k_o) */
    uint32_t traces;     /* bit mask of the traces behind the edge */
    uint32_t coord;      /* 1 when the threshold keeps the edge */
} lk_edge;

typedef struct lk_net_slot {
    uint64_t key; /* a << 32 | b */
    uint64_t idx; /* edge index + 1; 0 = empty */
} lk_net_slot;

typedef struct lk_net {
    lk_edge *e;
    size_t n, cap;
    lk_net_slot *tab;
    size_t mask;
    double *idf;    /* per object: ln(A / k_o), A = active accounts */
    uint64_t pairs; /* in-window pairs seen (same-account pairs excluded) */
} lk_net;

/**
 * Sweep the index and aggregate every in-window pair of two different
 * accounts into its edge.  Memory O(edges), never O(pairs).
 * @return LK_OK, LK_ENOMEM, LK_ELIMIT.
 */
LK_RESULT_USED lk_status lk_net_build(const lk_objindex *ix, int64_t window_ms, lk_net *net);

/** Find the edge of accounts (x, y) in either order; NULL when absent. */
lk_edge *lk_net_find(const lk_net *net, uint32_t x, uint32_t y);

/**
 * Mark edges kept by the threshold: weight >= value (LK_THRESHOLD_WEIGHT), or
 * weight > R type-7 quantile `value` of all weights (LK_THRESHOLD_QUANTILE,
 * CooRTweet's rule).  *cut receives the quantile / weight used.
 * @return the number of edges kept.
 */
size_t lk_net_threshold(lk_net *net, lk_threshold kind, double value, double *cut);

void lk_net_release(lk_net *net);

#endif
