/*
 * cols.h - what the pair aggregation reads of each action, as columns in
 * index order (16 bytes an action instead of the index's 32, which is what
 * loops over 10^8 pairs are bound by): in memory, or under --max-mem in a
 * temporary file mapped shared, whose pages the passes that write and read
 * it let go behind them (lk_cols_evict), so that the columns take page
 * cache, not resident memory, whatever the input's size.  The pair stage
 * (net.c) fills them from the index; the null copies of calibrate.c are
 * built directly in this form.
 */
#ifndef LK_COLS_H
#define LK_COLS_H

#include "lk_internal.h"

/* Bytes of one action's columns. */
#define LK_COLS_BYTES (sizeof(int64_t) + 2 * sizeof(uint32_t))

typedef struct lk_cols {
    int64_t *t;
    uint32_t *acc;
    uint32_t *post; /* lk_post_hash of the action's post (net.h) */
    size_t n;       /* actions (when mapped) */
    int map_fd1;    /* mapped: the file's descriptor + 1; 0: in memory */
} lk_cols;

/**
 * Columns for n actions (contents undefined): in memory when dir is NULL,
 * else in a temporary file in dir (lk_tmpfile_dir) whose room is taken at
 * once, so that a full disk is an error here ("no room for ... in DIR"),
 * never a fault while writing through the mapping.
 * @return LK_OK, LK_ENOMEM, or LK_EIO (errbuf, LK_ERRMSG_MAX bytes).
 */
LK_RESULT_USED lk_status lk_cols_alloc(lk_cols *c, size_t n, const char *dir, char *errbuf);

struct lk_share;

/** lk_cols_alloc for columns of which only the actions of share's ranges
 *  (window.h; NULL: all) will ever be written or read: mapped, the file's
 *  room is taken for those alone (the rest is a hole, lk_tmpfile_map_pieces);
 *  in memory, the other pages are never touched. */
LK_RESULT_USED lk_status lk_cols_alloc_share(lk_cols *c, size_t n, const struct lk_share *share,
                                             const char *dir, char *errbuf);

/** Mapped: the pages wholly inside actions [r0, r1) of every column are let
 *  go (written ones stay in the file); in memory: nothing. */
void lk_cols_evict(const lk_cols *c, size_t r0, size_t r1);

/* The step a pass lets go behind it (2 MB of columns). */
#define LK_COLS_EVICT_STEP ((size_t)1 << 17)

/** For a pass in increasing order that has finished the actions before
 *  `done`: lets go those up to a step behind it once `done` is two steps
 *  past `ev`, and returns the new `ev` (as lk_objindex_evict_behind,
 *  window.h).  Inline: passes call it once an action, and in memory it is
 *  one test.  End the pass with lk_cols_evict(c, 0, c->n). */
static inline size_t lk_cols_evict_behind(const lk_cols *c, size_t ev, size_t done)
{
    if (!c->map_fd1 || done < ev + 2 * LK_COLS_EVICT_STEP)
        return ev;
    lk_cols_evict(c, ev, done - LK_COLS_EVICT_STEP);
    return done - LK_COLS_EVICT_STEP;
}

void lk_cols_release(lk_cols *c);

#endif
