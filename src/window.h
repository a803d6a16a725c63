/*
 * window.h - the per-object time-window sweep.
 *
 * Actions are ordered by (object, time, account, row): a counting sort by
 * object followed by a merge sort of each object's run.  The sweep then walks
 * each run with two pointers and reports every pair (i, j), i < j, whose
 * times differ by at most the window.  Pairs farther apart are never formed,
 * so the cost is O(R + P) for R actions and P in-window pairs, not the
 * O(k^2) per-object cartesian join of the peers.
 */
#ifndef LK_WINDOW_H
#define LK_WINDOW_H

#include "dataset.h"

typedef struct lk_objindex {
    lk_action *a; /* actions sorted by (object, t, account, row) */
    size_t n;
    uint64_t *start; /* object o occupies a[start[o] .. start[o+1]) */
    size_t nobj;
} lk_objindex;

/**
 * Build the sorted index over ds's actions whose account has keep[account]
 * != 0 (keep may be NULL: all).  Time O(R + sum k log k).
 * @return LK_OK, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_objindex_build(const lk_dataset *ds, const uint8_t *keep,
                                           lk_objindex *ix);

void lk_objindex_release(lk_objindex *ix);

/* Called for each in-window pair, i < j in sorted order (so a[i] is the older
 * action, or the earlier-sorted one on equal times).  A non-zero return stops
 * the sweep and is passed back as the result. */
typedef lk_status (*lk_pair_fn)(void *ctx, const lk_objindex *ix, size_t i, size_t j);

/**
 * Report every pair of the same object with a[j].t - a[i].t <= window_ms,
 * object by object in index order, and within an object by increasing j then
 * increasing i.
 * @return LK_OK or the first non-zero status returned by fn.
 */
LK_RESULT_USED lk_status lk_sweep(const lk_objindex *ix, int64_t window_ms, lk_pair_fn fn,
                                  void *ctx);

#endif
