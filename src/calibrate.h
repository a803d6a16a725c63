/*
 * calibrate.h - the default threshold: edges whose co-activity chance does
 * not explain (doc/calibration.md).
 *
 * 1. Null model.  A copy of the object index in which the account of every
 *    action is shuffled among the actions of the same *stratum* (trace x
 *    popularity class of the object, log2 of its action count).  Objects
 *    keep their popularity and their timing, accounts keep how much they do
 *    on each kind of object (a fan still joins viral posts, a news bot still
 *    posts rare links), but who acted on which object is broken.
 * 2. Scores.  The same sweep and aggregation run on the null copy; every
 *    edge of both networks gets the same score, sum over its distinct
 *    co-acted objects of ln(A / k_o) (rare objects weigh more).
 * 3. False-discovery rate.  For a score cut s, FDR(s) = (null edges scoring
 *    >= s) / (real edges scoring >= s); an edge's q-value is the smallest
 *    FDR of any cut at or below its score (Storey's step-up); edges with q
 *    <= --fdr pass.
 * 4. Synchrony.  Of the objects both accounts acted on (at any time), the
 *    share they acted on within the window must reach --min-sync: accounts
 *    that react independently to the same public source (feed aggregators)
 *    share the same rare objects again and again, but only a minority of
 *    them within the window.
 */
#ifndef LK_CALIBRATE_H
#define LK_CALIBRATE_H

#include "net.h"

/* Least distinct co-acted objects of an edge the calibrated threshold looks
 * at (lighter edges are in neither network). */
#define LK_CALIB_MIN_OBJECTS 2

typedef struct lk_calib_opts {
    double fdr;        /* false-discovery rate, (0, 1) */
    double min_sync;   /* [0, 1] */
    uint64_t seed;     /* of the null shuffle */
    int64_t window_ms; /* as for lk_net_build */
    uint64_t max_burst;
    uint64_t budget;
    uint32_t min_keep; /* edges lighter than this are in neither network */
} lk_calib_opts;

typedef struct lk_calib_stats {
    uint64_t null_pairs;  /* in-window pairs of the null copy */
    uint64_t null_edges;  /* null edges of weight >= min_keep */
    uint64_t strata;      /* non-empty strata shuffled */
    uint64_t pass_score;  /* real edges with q <= fdr */
    uint64_t pass_sync;   /* of them, with synchrony >= min_sync */
    double score_cut;     /* lowest score of an edge with q <= fdr (0 if none) */
} lk_calib_stats;

/**
 * Build the null copy of ix, aggregate it, and set on every kept edge of
 * net its q-value, common objects and synchrony, and `coord` for those that
 * pass.  net must come from lk_net_build(ix, ...) with the same window,
 * burst cap and min_keep.
 * @return the number of coordinated edges in *passed; LK_OK or LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_calibrate(const lk_objindex *ix, const lk_dataset *ds, lk_net *net,
                                      const lk_calib_opts *o, lk_calib_stats *st,
                                      size_t *passed);

/* The two null models. */
typedef enum lk_null_kind {
    LK_NULL_WHO = 0, /* posts' accounts shuffled within strata: who did what broken */
    LK_NULL_WHEN = 1 /* posts' delays after their object's first action shuffled within
                        strata: when broken, who did what kept */
} lk_null_kind;

/**
 * A null copy of ix (exposed for tests); *strata receives the number of
 * non-empty strata shuffled.
 */
LK_RESULT_USED lk_status lk_objindex_null(const lk_objindex *ix, const lk_dataset *ds,
                                          lk_null_kind kind, uint64_t seed, lk_objindex *out,
                                          uint64_t *strata);

#endif
