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

#include "cols.h"
#include "dataset.h"

typedef struct lk_objindex {
    lk_action *a; /* actions sorted by (object, t, account, row) */
    size_t n;
    uint64_t *start; /* object o occupies a[start[o] .. start[o+1]) */
    size_t nobj;
    int content_fd1;         /* 0, or while a[].content holds content hashes: the
                                file of the arena refs by row + 1 (lk_objindex_from_spill) */
    const char *content_dir; /* its folder (borrowed) */
    int park_fd1;            /* 0, or while a is parked (NULL, or mapped): its file + 1 */
    const char *park_dir;    /* its folder (borrowed) */
    int mapped;              /* a is the parked file, mapped read-only (lk_objindex_park_map) */
} lk_objindex;

/** The content hash of index action r (lk_ds_content_hash): from ds, or
 *  in the action itself while its ref waits on disk (content_fd1). */
static inline uint64_t lk_objindex_chash(const lk_objindex *ix, const lk_dataset *ds, size_t r)
{
    return ix->content_fd1 ? ix->a[r].content : lk_ds_content_hash(ds, ix->a[r].content);
}

/**
 * The index of a spilled table (lk_dataset_spill, all of it flushed), built
 * from its file; as lk_objindex_build otherwise.  Each object's actions
 * (of the accounts keep keeps) are counted by a pass over the file, or
 * given: (*counts)[o + 1], nobj + 1 of them from lk_huge_calloc, which the
 * index takes (*counts set to NULL; counts may be NULL).  When they fit in
 * budget bytes (beside 8 bytes an object and the sort's room for the
 * longest run) a second pass scatters them and the index is held in
 * memory (*passes = 1).  Otherwise the index is written to a temporary
 * file in ds's folder, each pass over the actions' file scattering and
 * sorting the runs of as many objects as fit (at least one), and comes
 * back mapped read-only, as lk_objindex_park_map() leaves it (*passes > 1,
 * or 0 without actions).  Each pass runs on up to `threads` threads (4 at
 * most): the file is read a slice a thread, and each thread fills and
 * sorts the runs of its share of the pass's objects; the index is the same
 * on any number.  The actions' file is closed; the content refs' file goes
 * to the index (content_fd1: its actions hold content hashes until
 * lk_objindex_content_back()).  Errors name the folder.
 * @return LK_OK, LK_ENOMEM, LK_EIO (ds unchanged).
 */
LK_RESULT_USED lk_status lk_objindex_from_spill(lk_dataset *ds, const uint8_t *keep,
                                                uint64_t **counts, uint64_t budget,
                                                unsigned threads, lk_objindex *ix, unsigned *passes,
                                                char *errbuf);

/** Put the content refs of a spilled table back into the index's actions
 *  (found by their rows: cut the index down first, this reads only the
 *  pieces of the refs' file its actions need); a no-op when they hold
 *  refs already.  @return LK_OK, LK_ENOMEM, LK_EIO. */
LK_RESULT_USED lk_status lk_objindex_content_back(lk_objindex *ix, char *errbuf);

/**
 * Build the sorted index over ds's actions whose account has keep[account]
 * != 0 (keep may be NULL: all).  Time O(R + sum k log k).
 * @return LK_OK, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_objindex_build(const lk_dataset *ds, const uint8_t *keep,
                                           lk_objindex *ix);

/**
 * The same index, built in ds's action table instead of a copy: on
 * success ds->a belongs to the index and is NULL in ds (ds->n stays, the
 * count read); on failure ds is unchanged.
 * @return LK_OK, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_objindex_take(lk_dataset *ds, const uint8_t *keep, lk_objindex *ix);

/**
 * Under a memory cap: write the actions a[0..n) to a temporary file in dir
 * (tmpfile.h) and free them (a becomes NULL; n, start and nobj stay), for
 * a stage that needs only the object runs (a null copy's aggregation),
 * until lk_objindex_unpark().  Errors name dir.
 * @return LK_OK, LK_EIO (ix unchanged).
 */
LK_RESULT_USED lk_status lk_objindex_park(lk_objindex *ix, const char *dir, char *errbuf);

/**
 * lk_objindex_park(), then the file mapped read-only in a's place, for
 * stages that read the actions in passes (the null copies' builds): a page
 * is read from the file (the page cache) when touched, and
 * lk_objindex_evict() lets a pass's pages go behind it, so that the
 * resident part of the actions stays a few megabytes a thread.  Nothing
 * may write to a until lk_objindex_unpark().  Errors name dir.
 * @return LK_OK, LK_EIO (ix unchanged, or parked without the mapping).
 */
LK_RESULT_USED lk_status lk_objindex_park_map(lk_objindex *ix, const char *dir, char *errbuf);

/** While mapped (lk_objindex_park_map): the pages wholly inside actions
 *  [r0, r1) leave the process (they are read again if touched again);
 *  otherwise a no-op.  Touching a page may map its neighbours too (the page
 *  cache's large folios, up to 2 MB), so a pass lets go a step behind where
 *  it reads, and all of the index at its end. */
void lk_objindex_evict(const lk_objindex *ix, size_t r0, size_t r1);

/* The step a one-task pass lets go behind it (2 MB of actions). */
#define LK_EVICT_STEP ((size_t)1 << 16)

/** For a pass in one task that has read actions [0, done) and let go of
 *  [0, ev) so far: lets go a step behind `done` once two steps have gathered
 *  (see lk_objindex_evict), and returns the new `ev`.  Call it as the pass
 *  goes, and lk_objindex_evict(ix, 0, ix->n) at its end. */
static inline size_t lk_objindex_evict_behind(const lk_objindex *ix, size_t ev, size_t done)
{
    /* inline, as lk_cols_evict_behind (cols.h): passes call it once an
     * action, and a call an action took the WHEN copy's groups at 10^7
     * actions under 64M from 7.9 to 11.4 s */
    if (!ix->mapped || done < ev + 2 * LK_EVICT_STEP)
        return ev;
    lk_objindex_evict(ix, ev, done - LK_EVICT_STEP);
    return done - LK_EVICT_STEP;
}

/** Read the parked actions back (a no-op when they are not parked).
 *  @return LK_OK, LK_ENOMEM, LK_EIO (still parked). */
LK_RESULT_USED lk_status lk_objindex_unpark(lk_objindex *ix, char *errbuf);

void lk_objindex_release(lk_objindex *ix);

/**
 * The sub-index of the actions of ix whose account has keep[account] != 0
 * and that are not marked in `drop` (may be NULL), in the same order.  Pairs
 * of the sub-index are exactly the pairs of ix between kept actions.  Two
 * passes over ix on `threads` threads (the same sub-index on any number).
 * @return LK_OK, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_objindex_subset(const lk_objindex *ix, const uint8_t *keep,
                                            const uint8_t *drop, unsigned threads,
                                            lk_objindex *sub);

/* Called for each in-window pair, i < j in sorted order (so a[i] is the older
 * action, or the earlier-sorted one on equal times).  A non-zero return stops
 * the sweep and is passed back as the result. */
typedef lk_status (*lk_pair_fn)(void *ctx, const lk_objindex *ix, size_t i, size_t j);

/* What the burst cap left out. */
typedef struct lk_sweep_stats {
    uint64_t burst_actions; /* actions with more than max_burst neighbours */
    uint64_t burst_objects; /* objects with at least one such action */
} lk_sweep_stats;

/**
 * Burst cap: an action with more than max_burst other actions on the same
 * object within +-window_ms is in a burst (a viral moment: thousands sharing
 * in the same minute).  Its co-actions carry almost no evidence and are not
 * enumerated, which keeps a sweep O(R * max_burst) whatever the popularity
 * of the objects.  This marks them: (*out)[r] = 1 for an action in a burst.
 * @param out receives an array of ix->n bytes the caller frees with free().
 * @param st may be NULL.
 * @return LK_OK, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_objindex_bursts(const lk_objindex *ix, int64_t window_ms,
                                            uint64_t max_burst, uint8_t **out, lk_sweep_stats *st);

/*
 * A share of the index's objects: under mpirun a rank's (lk_net_share,
 * net.h), the objects of the pair stage's chunks it sweeps, whose actions
 * alone it needs in columns it builds itself (the null copies').  n
 * ranges of objects [o[2k], o[2k + 1]) and of their actions [r[2k],
 * r[2k + 1]), increasing and apart.  Where a share may be NULL, NULL is
 * all of the index.
 */
typedef struct lk_share {
    size_t n;
    size_t *o;
    size_t *r;
} lk_share;

void lk_share_release(lk_share *s);

/** The pieces of [a, b) inside share s (NULL: all of [a, b)) one by one:
 *  start with *k = 0; each call that returns 1 gives the next piece [*lo,
 *  *hi) (perhaps empty), and 0 ends.  `objects`: s's object ranges, else
 *  its action ranges. */
static inline int lk_share_next(const lk_share *s, int objects, size_t a, size_t b, size_t *k,
                                size_t *lo, size_t *hi)
{
    const size_t *v = s ? (objects ? s->o : s->r) : NULL;

    if (!s) {
        *lo = a;
        *hi = b;
        return (*k)++ == 0;
    }
    if (*k == 0) { /* the first range that ends past a */
        size_t l = 0, h = s->n;
        while (l < h) {
            const size_t m = l + (h - l) / 2;
            if (v[2 * m + 1] <= a)
                l = m + 1;
            else
                h = m;
        }
        *k = l + 1;
    }
    if (*k > s->n || v[2 * (*k - 1)] >= b)
        return 0;
    *lo = LK_MAX(a, v[2 * (*k - 1)]);
    *hi = LK_MAX(*lo, LK_MIN(b, v[2 * (*k - 1) + 1]));
    (*k)++;
    return 1;
}

/** lk_objindex_bursts over the time column c->t (index order) of the objects
 * start[0..nobj] (start[nobj] actions), letting c's pages go behind it;
 * with a share (may be NULL), of its objects only, whose columns alone
 * are read (the others' marks stay 0 and are not counted in stats). */
LK_RESULT_USED lk_status lk_bursts_t(const uint64_t *start, size_t nobj, const lk_cols *c,
                                     const lk_share *share, int64_t window_ms, uint64_t max_burst,
                                     uint8_t **out, lk_sweep_stats *stats);

/**
 * Report every pair of the same object with a[j].t - a[i].t <= window_ms and
 * neither action marked in `burst` (NULL: no marks), object by object in
 * index order, and within an object by increasing j then increasing i.
 * Defined here so that a constant callback is inlined into the loop (the
 * aggregation runs it over 10^8 pairs).
 * @return LK_OK or the first non-zero status returned by fn.
 */
static inline lk_status lk_sweep_marked(const lk_objindex *ix, int64_t window_ms,
                                        const uint8_t *burst, lk_pair_fn fn, void *ctx)
{
    for (size_t o = 0; o < ix->nobj; o++) {
        const size_t s = (size_t)ix->start[o], e = (size_t)ix->start[o + 1];
        size_t lo = s;
        for (size_t j = s + 1; j < e; j++) {
            const int64_t tj = ix->a[j].t;
            while (tj - ix->a[lo].t > window_ms)
                lo++;
            if (burst && burst[j])
                continue;
            for (size_t i = lo; i < j; i++) {
                lk_status st;
                if (burst && burst[i])
                    continue;
                st = fn(ctx, ix, i, j);
                if (st != LK_OK)
                    return st;
            }
        }
    }
    return LK_OK;
}

/**
 * lk_objindex_bursts + lk_sweep_marked in one call; max_burst == 0
 * enumerates every pair (the compatibility modes do).
 * @param st may be NULL; receives what the cap left out.
 * @return LK_OK, LK_ENOMEM, or the first non-zero status returned by fn.
 */
LK_RESULT_USED lk_status lk_sweep(const lk_objindex *ix, int64_t window_ms, uint64_t max_burst,
                                  lk_pair_fn fn, void *ctx, lk_sweep_stats *st);

#endif
