/*
 * window_auto.h - `--window auto`: estimate the co-action window from the
 * data, after CooRnet's estimate_coord_interval (Giglietto et al.).
 *
 * The idea: when accounts push the same object together, the second account
 * follows the first within seconds; organic re-sharing spreads over hours.
 * The delay until an object's second account is therefore a direct sample
 * of "how fast is fast" in this data set.  Definitions (also in
 * lockstep-detect(1), WINDOW ESTIMATION):
 *
 *   1. Qualifying objects: those acted on by at least two distinct accounts.
 *      For each, d_o = t(first action of the second distinct account)
 *      - t(first action), in ms.  Repeat actions of the first account do not
 *      count: one account re-posting is not a second share.
 *   2. fast cut = type-7 p-quantile of all d_o; the "fast" objects are those
 *      with d_o <= fast cut (ties at the cut are all kept, so slightly more
 *      than a share p may be kept).
 *   3. raw window = type-7 q-quantile of the fast objects' d_o.
 *   4. window = raw rounded up to whole seconds, clamped to [1 s, 1 h].
 *
 * Fewer than min_objects qualifying objects: no estimate; the window is the
 * default 60 s and the result says fallback.  The quantiles are R's type 7
 * (lk_quantile7_nth), so the numbers can be checked with quantile() in R.
 */
#ifndef LK_WINDOW_AUTO_H
#define LK_WINDOW_AUTO_H

#include "window.h"

/* The window used when there is too little data for an estimate. */
#define LK_WINDOW_AUTO_FALLBACK_MS INT64_C(60000)
/* Bounds of an estimate: a window under 1 s only catches exact duplicates of
 * a timestamp; one over 1 h is no longer "in lockstep". */
#define LK_WINDOW_AUTO_MIN_MS INT64_C(1000)
#define LK_WINDOW_AUTO_MAX_MS INT64_C(3600000)

typedef struct lk_window_auto_opts {
    double p;                   /* share of fastest objects kept [0.5] */
    double q;                   /* quantile of the kept delays [0.9] */
    uint64_t min_objects;       /* fewer qualifying objects: fallback [2] */
    uint64_t min_objects_trace; /* per-trace estimate only from this many [50] */
    const lk_dataset *ds;       /* for each object's trace; NULL: no per-trace
                                   estimates (borrowed) */
    const uint8_t *otrace;      /* or each object's trace itself (borrowed; before ds) */
} lk_window_auto_opts;

/* One estimate (over all objects, or over one trace's). */
typedef struct lk_window_auto_est {
    uint64_t considered; /* qualifying objects (>= 2 distinct accounts) */
    uint64_t kept;       /* of those, d_o <= fast_cut_ms */
    uint64_t within;     /* of those considered, d_o <= window_ms */
    double fast_cut_ms;  /* p-quantile of all d_o */
    double raw_ms;       /* q-quantile of the kept d_o, before rounding */
    int64_t window_ms;   /* rounded up to seconds and clamped; 0 = not estimated
                            (fewer objects than the minimum) */
} lk_window_auto_est;

typedef struct lk_window_auto_result {
    double p, q;                           /* as used */
    int64_t window_ms;                     /* the window to use: all.window_ms, or
                                              LK_WINDOW_AUTO_FALLBACK_MS */
    int fallback;                          /* 1 when too few objects for an estimate */
    lk_window_auto_est all;                /* over every object of the index */
    lk_window_auto_est per_trace[LK_TR_N]; /* over each trace's objects (needs
                                              opts.ds; min_objects_trace) */
} lk_window_auto_result;

/* Fill o with the defaults in brackets above. */
void lk_window_auto_opts_init(lk_window_auto_opts *o);

/**
 * Estimate the window from the object index (which may mix traces: the
 * overall estimate pools them; per-trace estimates split them by the trace
 * byte of each object key in o->ds).
 * Time O(R + m log m) for R actions and m objects with two or more actions;
 * 16 m bytes of scratch memory.  Thread-safe for distinct results.
 * @param o NULL for the defaults.
 * @return LK_OK (r filled, also on fallback), LK_EINVAL (p or q outside
 *         [0, 1]), LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_window_auto(const lk_objindex *ix, const lk_window_auto_opts *o,
                                        lk_window_auto_result *r);

/**
 * The same over every action of ds (no participation filter): builds a
 * temporary index.  For the compatibility modes, which have none.
 * @return LK_OK, LK_EINVAL, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_window_auto_ds(const lk_dataset *ds, const lk_window_auto_opts *o,
                                           lk_window_auto_result *r);

/**
 * Append summary.json's `"window_auto": {...},\n` member (two-space indent).
 * @return LK_OK, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_window_auto_json(lk_buf *b, const lk_window_auto_result *r);

#endif
