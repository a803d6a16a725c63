/*
 * calibrate.c - null model, false-discovery rate and synchrony
 * (calibrate.h; the model and its limits are in doc/calibration.md).
 */
#include <malloc.h>
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __SSE2__
#    include <emmintrin.h>
#endif

#include "calibrate.h"
#include "dist.h"
#include "par.h"
#include "qvalue.h"
#include "rng.h"
#include "sort.h"
#include "tmpfile.h"

static const char *const null_name[2] = {"WHO", "WHEN"};

/* floor(log2(n)), 0 for n <= 1. */
static unsigned pop_class(uint64_t n)
{
    return n > 1 ? 63u - (unsigned)__builtin_clzll(n) : 0u;
}

/* Time class of a delay in ms since the object's first action: 0 under a
 * second, then log2 of the seconds + 1, at most 31. */
static unsigned time_class(int64_t ms)
{
    const int64_t s = ms / 1000;
    return s < 1 ? 0u : LK_MIN(pop_class((uint64_t)s) + 1u, 31u);
}

/* The window of an object's first moments, for how front-loaded it is. */
#define EARLY_MS INT64_C(600000)

/* Which of a post's objects is its primary one (its stratum and its delay
 * are taken there): what the post reacts to first (the shared, quoted or
 * replied-to post), then its near-duplicate text cluster (a copy's delay is
 * after the first copy, not after its own unique text), then links, tags,
 * its exact text, mentions. */
static const uint8_t prim_rank[LK_TR_N] = {
    [LK_TR_GENERIC] = 0,   [LK_TR_SHARE] = 1,  [LK_TR_QUOTE] = 2,   [LK_TR_REPLY] = 3,
    [LK_TR_NEAR_TEXT] = 4, [LK_TR_URL] = 5,    [LK_TR_HASHTAG] = 6, [LK_TR_TEXT] = 7,
    [LK_TR_MENTION] = 8,   [LK_TR_DOMAIN] = 9,
};

/* What the null copies need of an object, in one place (the posts read it
 * in random order): its first action's time and index, and its popularity
 * class << 11 | front-loading class << 5 | trace << 24. */
typedef struct objinfo {
    int64_t t0;
    uint32_t first;
    uint32_t info;
} objinfo;

#define OI_TRACE(i)   (((i) >> 24) & 0xfu)
#define OI_CLASSES(i) ((i)&0xffffffu)

/*
 * What both null copies share, computed once per calibration
 * (null_shared_init) and read by both (side by side without a cap): each
 * action's post and each object's objinfo.  One post = one account's
 * actions with one content id (a native record, or the rows of one post in
 * a generic CSV with a trace column); posts are numbered in increasing
 * order of their key, the content id's hash ^ lk_mix64(account + 1).
 */
typedef struct nullshared {
    const lk_objindex *ix;
    const lk_dataset *ds;
    uint32_t *pid; /* per index action: its post, 0 .. nposts - 1 */
    size_t nposts;
    objinfo *oi; /* per object */
    /* copies one after the other (under a cap): the posts as build_posts
     * makes them, the same for both copies, wait in a temporary file in
     * ps_dir (ps_fd1 - 1; 0: none) from the WHO copy's build to the WHEN
     * copy's, which reads them back instead of scanning every action for
     * them again (1.7 GB at 10^8 actions, against 3-10 s of random
     * accesses) */
    const char *ps_dir;
    int ps_fd1;
    /* and (sh_fd1 - 1; 0: none) pid then oi, written once numbered: pid
     * and oi are then this file mapped read-only, whose pages the passes,
     * which read both in order (the index's runs are in object order), let
     * go behind them (shared_evict): 4 bytes an action and 16 an object
     * (0.55 and 0.78 GB at 2 x 10^8 actions) off the copies' builds */
    int sh_fd1;
    int pid_mapped; /* pid and oi are that file's mapping, */
    size_t map_len; /* of this many bytes */
    char *errbuf;   /* that file's errors (under a cap) */
} nullshared;

/* Where oi starts in that file: pid's pages and oi's apart. */
#define OI_ALIGN ((size_t)1 << 16)

static void null_shared_release(nullshared *sh)
{
    if (sh->pid_mapped) {
        (void)munmap(sh->pid, sh->map_len);
    } else {
        free(sh->pid);
        free(sh->oi);
    }
    sh->pid_mapped = 0;
    sh->pid = NULL;
    sh->oi = NULL;
    if (sh->ps_fd1)
        lk_tmpfile_close(sh->ps_fd1 - 1);
    sh->ps_fd1 = 0;
    if (sh->sh_fd1)
        lk_tmpfile_close(sh->sh_fd1 - 1);
    sh->sh_fd1 = 0;
}

/* Mapped (sh_fd1): the pages of pid wholly inside actions [r0, r1) let go
 * (read from the file again if touched); in memory: nothing. */
static void pid_evict(const nullshared *sh, size_t r0, size_t r1)
{
    if (sh->pid_mapped && r1 > r0)
        lk_pages_drop(sh->pid, r0 * sizeof *sh->pid, r1 * sizeof *sh->pid);
}

/* The same for oi's objects [o0, o1). */
static void oi_evict(const nullshared *sh, size_t o0, size_t o1)
{
    if (sh->pid_mapped && o1 > o0)
        lk_pages_drop(sh->oi, o0 * sizeof *sh->oi, o1 * sizeof *sh->oi);
}

/* Both, all of them (the pages two tasks shared). */
static void shared_evict(const nullshared *sh)
{
    pid_evict(sh, 0, sh->ix->n);
    oi_evict(sh, 0, sh->ix->nobj);
}

/* The passes over all actions (or objects) are cut into STEP of them per
 * task (lk_par_run): each task writes its own slots, so the result never
 * depends on the number of threads. */
#define STEP ((size_t)1 << 18)

static size_t nsteps(size_t n)
{
    return (n + STEP - 1) / STEP;
}

/* How far ahead the loops that visit posts (or actions) in random order
 * prefetch them: the misses overlap instead of queueing. */
#define PREFETCH 16

/* lk_par_run(threads, ntasks, fn, ctx), then the mapped index's pages let
 * go (lk_objindex_park_map): the tasks of a pass let their ranges go (or a
 * step behind, lk_objindex_evict_behind), and the pass all of it at the
 * end (pages shared by two tasks' ranges). */
static void pass(const lk_objindex *ix, const lk_cols *c, unsigned threads, size_t ntasks,
                 lk_task_fn fn, void *ctx)
{
    /* lk_par_run runs every task even when a thread fails to start: its
     * LK_ENOMEM only says fewer threads worked */
    (void)lk_par_run(threads, ntasks, fn, ctx);
    lk_objindex_evict(ix, 0, ix->n);
    if (c) /* and a mapped copy's (cols.h) */
        lk_cols_evict(c, 0, c->n);
}

static uint64_t content_hash(const nullshared *sh, size_t r)
{
    return lk_objindex_chash(sh->ix, sh->ds, r);
}

/* The post numbering's work: (key, action) pairs sorted; per step the
 * number of posts that begin in it, then the numbers.  The pairs are
 * written already cut by the top byte of their key (each step counts its
 * own of each, then writes them to their places), so that the sort takes
 * the 256 parts side by side: a sort of all of them began with a split of
 * all the pairs on one thread (16 bytes an action, 1.7 GB at 10^8). */
typedef struct postjob {
    nullshared *sh;
    const uint8_t *otrace;
    lk_kv *pr;
    int pr_fd1;        /* under a cap: pr is this file (+ 1) mapped shared */
    const size_t *off; /* pr's parts (pr_sort_task) */
    size_t *cnt;       /* per step: posts beginning in it, then the posts before it */
    size_t *top;       /* per step and top byte: its pairs, then where they go */
    objinfo *oi;       /* objinfo_task's objects, from object o0 on */
    size_t o0;
} postjob;

/* Mapped (pr_fd1): the pages of pr touching pairs [i0, i1) let go.  A
 * shared mapping's pages keep their bytes in the file, and one that another
 * task writes meanwhile comes back with them, so the pages a range shares
 * with its neighbours' go too. */
static void pr_evict(const postjob *j, size_t i0, size_t i1)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t b, e;

    if (!j->pr_fd1 || i1 <= i0)
        return;
    b = i0 * sizeof *j->pr / page * page;
    e = (i1 * sizeof *j->pr + page - 1) / page * page;
    (void)madvise((char *)j->pr + b, e - b, MADV_DONTNEED);
}

#define PR_PARTS 256

static uint64_t pr_key(const nullshared *sh, size_t r)
{
    return content_hash(sh, r) ^ lk_mix64((uint64_t)sh->ix->a[r].account + 1);
}

static void pr_count_task(void *ctx, size_t task, unsigned worker)
{
    const postjob *j = ctx;
    const lk_objindex *ix = j->sh->ix;
    const size_t e = LK_MIN(ix->n, (task + 1) * STEP);
    size_t *c = j->top + task * PR_PARTS;
    (void)worker;
    for (size_t r = task * STEP; r < e; r++)
        c[pr_key(j->sh, r) >> 56]++;
    lk_objindex_evict(ix, task * STEP, e);
}

static void pr_fill_task(void *ctx, size_t task, unsigned worker)
{
    const postjob *j = ctx;
    const lk_objindex *ix = j->sh->ix;
    const size_t e = LK_MIN(ix->n, (task + 1) * STEP);
    size_t *at = j->top + task * PR_PARTS, from[PR_PARTS];
    (void)worker;
    memcpy(from, at, sizeof from);
    for (size_t r = task * STEP; r < e; r++) {
        const uint64_t key = pr_key(j->sh, r);
        lk_kv *x = &j->pr[at[key >> 56]++];
        x->key = key;
        x->val = r;
    }
    lk_objindex_evict(ix, task * STEP, e);
    for (size_t d = 0; j->pr_fd1 && d < PR_PARTS; d++)
        pr_evict(j, from[d], at[d]);
}

/* Part `task` of pr sorted (as lk_sort_kv_parts_par), then let go. */
static void pr_sort_task(void *ctx, size_t task, unsigned worker)
{
    const postjob *j = ctx;
    (void)worker;
    lk_sort_kv_inplace(j->pr + j->off[task], j->off[task + 1] - j->off[task]);
    pr_evict(j, j->off[task], j->off[task + 1]);
}

static void post_count_task(void *ctx, size_t task, unsigned worker)
{
    const postjob *j = ctx;
    const size_t e = LK_MIN(j->sh->ix->n, (task + 1) * STEP);
    size_t c = 0;
    (void)worker;
    for (size_t i = task * STEP; i < e; i++)
        c += i == 0 || j->pr[i].key != j->pr[i - 1].key;
    j->cnt[task] = c;
    pr_evict(j, task * STEP, e);
}

static void post_number_task(void *ctx, size_t task, unsigned worker)
{
    const postjob *j = ctx;
    const size_t e = LK_MIN(j->sh->ix->n, (task + 1) * STEP);
    size_t p = j->cnt[task]; /* posts begun before this step */
    (void)worker;
    for (size_t i = task * STEP; i < e; i++) {
        if (i + PREFETCH < e)
            __builtin_prefetch(&j->sh->pid[j->pr[i + PREFETCH].val], 1);
        p += i == 0 || j->pr[i].key != j->pr[i - 1].key;
        j->sh->pid[j->pr[i].val] = (uint32_t)(p - 1);
    }
    pr_evict(j, task * STEP, e);
}

/* Step `task` of the objects from o0 on, into oi[o - o0]. */
static void objinfo_task(void *ctx, size_t task, unsigned worker)
{
    const postjob *j = ctx;
    const lk_objindex *ix = j->sh->ix;
    const size_t ob = j->o0 + task * STEP, oe = LK_MIN(ix->nobj, ob + STEP);
    (void)worker;
    for (size_t o = ob; o < oe; o++) {
        objinfo *q = &j->oi[o - j->o0];
        lk_trace tr = LK_TR_GENERIC;
        uint64_t early = 0;
        const uint64_t n = ix->start[o + 1] - ix->start[o];
        q->t0 = 0;
        q->first = (uint32_t)ix->start[o];
        if (n) {
            q->t0 = ix->a[ix->start[o]].t;
            if (j->otrace)
                tr = (lk_trace)j->otrace[o];
            else
                (void)lk_ds_object(j->sh->ds, (uint32_t)o, NULL, &tr);
            /* how front-loaded the object is: its actions in the first
             * EARLY_MS (a viral post's burst vs a slow cascade) */
            while (early < n && ix->a[ix->start[o] + early].t - q->t0 <= EARLY_MS)
                early++;
        }
        q->info = (uint32_t)tr << 24 | pop_class(n) << 11 | pop_class(early) << 5;
    }
    lk_objindex_evict(ix, (size_t)ix->start[ob], (size_t)ix->start[oe]);
}

/* Under a cap, once the posts are numbered: pid and oi to a temporary
 * file in dir, both then mapped from it.  pid is written and freed before
 * oi is made, and oi is made and written a piece at a time, so that the
 * two never share memory (4 bytes an action and 16 an object: at 2 x 10^8
 * actions they had taken 1.5 GB together).  A piece is a whole number of
 * steps, at most a sixteenth of the budget and OI_PIECE steps (64 MiB),
 * at least one step. */
#define OI_PIECE 16

static lk_status shared_to_file(nullshared *sh, postjob *j, unsigned threads, const char *dir,
                                uint64_t budget, char *errbuf)
{
    /* n > 0 */
    const lk_objindex *ix = sh->ix;
    const size_t n = ix->n, nobj = ix->nobj,
                 at = (n * sizeof *sh->pid + OI_ALIGN - 1) / OI_ALIGN * OI_ALIGN,
                 steps = (size_t)LK_MAX(
                     LK_MIN(budget / 16 / (STEP * sizeof *sh->oi), (uint64_t)OI_PIECE),
                     (uint64_t)1),
                 piece = LK_MIN(nobj, steps * STEP);
    void *m;
    int fd;
    lk_status st;

    if ((st = lk_tmpfile_open_sized(dir, at + nobj * sizeof *sh->oi, &fd, errbuf)) != LK_OK)
        return st;
    sh->sh_fd1 = fd + 1;
    sh->ps_dir = dir;
    sh->errbuf = errbuf;
    if ((st = lk_tmpfile_write(fd, sh->pid, n * sizeof *sh->pid, 0, dir, errbuf)) != LK_OK)
        return st;
    free(sh->pid);
    sh->pid = NULL;
    if (!(j->oi = lk_huge_malloc(LK_MAX(piece, (size_t)1) * sizeof *j->oi)))
        return LK_ENOMEM;
    for (size_t o0 = 0; o0 < nobj && st == LK_OK; o0 += piece) {
        const size_t k = LK_MIN(piece, nobj - o0);
        j->o0 = o0;
        /* lk_par_run runs every task even when a thread fails to start */
        (void)lk_par_run(threads, nsteps(k), objinfo_task, j);
        st = lk_tmpfile_write(fd, j->oi, k * sizeof *j->oi, at + o0 * sizeof *j->oi, dir, errbuf);
    }
    lk_objindex_evict(ix, 0, n);
    free(j->oi);
    j->oi = NULL;
    if (st != LK_OK ||
        (st = lk_tmpfile_map_ro(fd, at + nobj * sizeof *sh->oi, dir, &m, errbuf)) != LK_OK)
        return st;
    sh->pid = m;
    sh->oi = (objinfo *)(void *)((char *)m + at);
    sh->pid_mapped = 1;
    sh->map_len = at + nobj * sizeof *sh->oi;
    lk_log(LK_LOG_INFO, "calibration: posts and objects (%zu bytes) kept in %s, read as needed",
           n * sizeof *sh->pid + nobj * sizeof *sh->oi, dir);
    return LK_OK;
}

/* pr for n actions (> 0) in a temporary file in dir, mapped shared. */
static lk_status pr_map(postjob *j, size_t n, const char *dir, char *errbuf)
{
    void *m;
    int fd;
    const lk_status st = lk_tmpfile_map_new(dir, n * sizeof *j->pr, &fd, &m, errbuf);

    if (st == LK_OK) {
        j->pr_fd1 = fd + 1;
        j->pr = m;
    }
    return st;
}

static void pr_release(postjob *j, size_t n)
{
    if (j->pr_fd1) {
        if (j->pr)
            (void)munmap(j->pr, n * sizeof *j->pr);
        lk_tmpfile_close(j->pr_fd1 - 1);
    } else {
        free(j->pr);
    }
    j->pr = NULL;
    j->pr_fd1 = 0;
}

/* Fill *sh for ix (otrace as lk_calib_opts.obj_trace) on `threads`
 * threads.  The (key, action) pairs of the numbering (16 bytes an action)
 * live only in here. */
static lk_status null_shared_init(nullshared *sh, const lk_objindex *ix, const lk_dataset *ds,
                                  const uint8_t *otrace, unsigned threads, const char *dir,
                                  uint64_t budget, char *errbuf)
{
    postjob j;
    const size_t ns = nsteps(ix->n);
    lk_status st = LK_ENOMEM;

    memset(sh, 0, sizeof *sh);
    memset(&j, 0, sizeof j);
    sh->ix = ix;
    sh->ds = ds;
    if (ix->n >= UINT32_MAX)
        return LK_ELIMIT;
    j.sh = sh;
    j.otrace = otrace;
    sh->pid = lk_huge_malloc(LK_MAX(ix->n, (size_t)1) * sizeof *sh->pid);
    j.cnt = malloc(LK_MAX(ns, (size_t)1) * sizeof *j.cnt);
    j.top = calloc(LK_MAX(ns, (size_t)1) * PR_PARTS, sizeof *j.top);
    if (!sh->pid || !j.cnt || !j.top)
        goto done;
    /* the pairs: under a cap, when they and the numbers would take more
     * than the budget, a mapped file whose pages the passes let go (16
     * bytes an action: 2.6 GB at 1.5 x 10^8 actions; the writes through the
     * mapping cost about 4 s there) */
    if (dir && ix->n && (uint64_t)ix->n * (sizeof *j.pr + sizeof *sh->pid) > budget) {
        if ((st = pr_map(&j, ix->n, dir, errbuf)) != LK_OK)
            goto done;
        lk_log(LK_LOG_INFO,
               "calibration: the post numbering's pairs (%zu bytes) in a file in %s: with the "
               "numbers they would take %llu bytes, over the %llu left by --max-mem",
               ix->n * sizeof *j.pr, dir,
               (unsigned long long)ix->n * (sizeof *j.pr + sizeof *sh->pid),
               (unsigned long long)budget);
    }
    st = LK_ENOMEM;
    if (!j.pr && !(j.pr = lk_huge_malloc(LK_MAX(ix->n, (size_t)1) * sizeof *j.pr)))
        goto done;
    /* lk_par_run runs every task even when a thread fails to start: its
     * LK_ENOMEM only says fewer threads worked */
    pass(ix, NULL, threads, ns, pr_count_task, &j);
    {
        /* part by part, step by step: each part's places, then sorted by
         * post, then index, the parts side by side */
        size_t off[PR_PARTS + 1], at = 0;
        for (size_t d = 0; d < PR_PARTS; d++) {
            off[d] = at;
            for (size_t t = 0; t < ns; t++) {
                const size_t c = j.top[t * PR_PARTS + d];
                j.top[t * PR_PARTS + d] = at;
                at += c;
            }
        }
        off[PR_PARTS] = at;
        pass(ix, NULL, threads, ns, pr_fill_task, &j);
        j.off = off;
        (void)lk_par_run(threads, PR_PARTS, pr_sort_task, &j);
        j.off = NULL;
    }
    (void)lk_par_run(threads, ns, post_count_task, &j);
    for (size_t s = 0, before = 0; s < ns; s++) {
        const size_t c = j.cnt[s];
        j.cnt[s] = before;
        before += c;
        sh->nposts = before;
    }
    (void)lk_par_run(threads, ns, post_number_task, &j);
    /* the objects' part once the pairs are gone (16 bytes an action) */
    pr_release(&j, ix->n);
    if (dir && ix->n) {
        st = shared_to_file(sh, &j, threads, dir, budget, errbuf);
        goto done;
    }
    if (!(sh->oi = lk_huge_malloc(LK_MAX(ix->nobj, (size_t)1) * sizeof *sh->oi)))
        goto done;
    j.oi = sh->oi;
    pass(ix, NULL, threads, nsteps(ix->nobj), objinfo_task, &j);
    st = LK_OK;
done:
    pr_release(&j, ix->n);
    free(j.cnt);
    free(j.top);
    if (st != LK_OK)
        null_shared_release(sh);
    return st;
}

/*
 * The posts of a null copy are held one array a field (copyjob: pcls, pacc,
 * pdelay, pstr; 20 bytes a post in all, 10^8 posts 2 GB), so that each
 * goes as soon as the copy is done with it: 8 bytes a post while the posts
 * are built, 12 while their strata are found and sorted, at most 13 after
 * (the WHEN copy's order, delays and prb).  Under a cap the posts are built
 * a range at a time into a file (build_to_file), their strata found from
 * it (posts_map), and a cap too small for the rest has the WHO copy keep 4
 * bytes a post and 4 a post of a group of strata (who_group), the WHEN
 * copy 4 and 13 a post of a group (when_group).  A post's pcls word is its
 * trace mask << 17 | its primary object's classes (objinfo, bits 5-16) |
 * the time class of its delay (bits 0-4) | 1 + the primary action's
 * prim_rank << PS_RANK_SHIFT | PS_ORIGIN; its stratum keys derive from it
 * (post_key), and the WHEN copy, which keeps of it only the rank and
 * PS_ORIGIN (prb), finds the primary action again by its rank
 * (posts_pass_task), for its delay and then for its object's birth.
 * Under a cap the WHO copy writes pcls and pacc to a file, and the WHEN
 * copy reads them back.
 */

/* In pcls: the post is its primary object's first action. */
#define PS_ORIGIN (UINT32_C(1) << 31)
/* In pcls, bits 27-30: 1 + prim_rank of the primary action (0: none yet;
 * the WHEN copy clears them as it gives the post its time). */
#define PS_RANK_SHIFT 27
#define PS_RANK       (UINT32_C(0xf) << PS_RANK_SHIFT)
/* In pcls: the primary object's classes, and the time class of the delay. */
#define PS_CLASSES UINT32_C(0x1ffe0)
#define PS_TCLASS  UINT32_C(0x1f)
/* In pstr until assign_strata gives the post a stratum. */
#define PS_UNSET UINT32_MAX

/* A stratum is level << PS_LEVEL_SHIFT | key (post_key, whose trace mask
 * ends at bit 17 + LK_TR_N), in 32 bits. */
#define PS_LEVEL_SHIFT 29

_Static_assert(17 + LK_TR_N <= PS_LEVEL_SHIFT, "a stratum key must fit below its level");
_Static_assert(LK_TR_N < 16, "prim_rank + 1 must fit in PS_RANK");
_Static_assert(17 + LK_TR_N <= PS_RANK_SHIFT, "the trace mask must end below PS_RANK");

/* The stratum as the order of the strata and their shuffles' seeds know it:
 * level << 32 | key. */
static uint64_t stratum_key(uint32_t s)
{
    return (uint64_t)(s >> PS_LEVEL_SHIFT) << 32 | (s & ((UINT32_C(1) << PS_LEVEL_SHIFT) - 1));
}

/* The strata of a null copy, in increasing order (of stratum_key), and
 * where each one's posts are in ord. */
typedef struct stratlist {
    uint32_t *s; /* level << PS_LEVEL_SHIFT | key */
    size_t n, cap;
    size_t *off; /* stratum k's posts: ord[off[k] .. off[k + 1]) */
    uint32_t *ord;
} stratlist;

static void stratlist_release(stratlist *st)
{
    free(st->s);
    free(st->off);
    free(st->ord);
    memset(st, 0, sizeof *st);
}

/* A stratum must hold the posts of at least this many accounts, so that a
 * planted group's posts never make up a stratum of their own (the null
 * would then hand them back to the group). */
#define STRATUM_ACCOUNTS 512

/* A post's stratum key at level lv (assign_strata), from its trace mask
 * (bits 17 on), its primary object's popularity (bits 11-16) and
 * front-loading (5-10) classes, and for the popularity null the time class
 * of its delay (0-4; the timing null shuffles the delay: never part of its
 * stratum). */
static uint32_t post_key(uint32_t cls, unsigned lv, lk_null_kind kind)
{
    const uint32_t all = cls & ~(PS_ORIGIN | PS_RANK), mc = all & ~PS_TCLASS,
                   pop = mc & (((UINT32_C(1) << 17) - 1) & ~UINT32_C(0x7ff));
    switch (lv) {
    case 0:
        return kind == LK_NULL_WHO ? all : mc;
    case 1:
        return mc;
    case 2:
        return mc & ~UINT32_C(0x7ff);
    default:
        return pop;
    }
}

/* The WHO copy's posts in their file (nullshared.ps_fd1), n of them: pcls
 * from 0, then pacc. */
#define PS_ACC_OFF(n) ((uint64_t)(n)*4)

/* What posts_pass_task does (copyjob.mode). */
enum { PASS_BUILD, PASS_DELAYS, PASS_TIMES };

/* One object's run of a WHEN copy, re-sorted by its new times. */
typedef struct runrec {
    int64_t t;
    uint32_t acc, row, post, src;
} runrec;

/*
 * The steps of one null copy on `threads` threads (lk_par_run): over posts
 * or actions (or objects) in STEP-sized tasks, over strata one task each.
 * Every task writes only its own posts, actions or objects, so the copy is
 * the same on any number of threads.
 */
typedef struct copyjob {
    const nullshared *sh;
    lk_null_kind kind;
    uint64_t seed;
    /* the posts (one array a field, each freed once done with) */
    uint32_t *pcls;     /* trace mask, classes, time class, PS_ORIGIN (above) */
    uint32_t *pacc;     /* its account; WHO, once shuffled, its new one */
    size_t pbase, pend; /* build_posts: the posts being built, [pbase, pend):
                           pcls and pacc hold them from pbase */
    size_t bcap;        /* build_posts: posts built at once (0: all) */
    uint32_t *gacc;     /* WHO in groups of strata: the group's accounts, a
                           place each (who_group) */
    int64_t *pdelay;    /* WHEN: its time after its primary object's first
                           action (~ that, which is < 0, for its object's first
                           post), once shuffled its new time (posts_pass_task);
                           one a slot (slot_of) */
    uint8_t *prb;       /* WHEN after the strata: pcls's rank (PRB_RANK) and
                           PS_ORIGIN (PRB_ORIGIN), a byte; in groups under a
                           cap a mapped file (prb_fd1 - 1 in map_dir; 0:
                           memory), read in post order */
    int prb_fd1;
    uint8_t *gprb; /* posts_pass_task's prb, a slot each: prb itself in one
                      group, else the group's (when_group) */
    uint32_t *pos; /* in groups of strata: its place in stratum order
                      (copy_groups); NULL: one group, a slot a post */
    size_t g0, g1; /* the group's places */
    size_t s0;     /* the group's first stratum (shuffle_task's task 0) */
    /* in groups (copy_groups, more than two): each index action's group,
     * modulo 256 (gid_task), so that a group's passes over the actions look
     * a post's place up only for the actions of its group's byte; under a
     * cap a mapped file (gid_fd1 - 1 in map_dir; 0: memory), read in order
     * and let go behind.  gnum: the byte of the group being made */
    uint8_t *gid;
    int gid_fd1;
    uint8_t gnum;
    const uint64_t *gstart; /* gid_task: each group's first place, ngroups + 1 */
    size_t ngroups;
    uint32_t *slots;       /* WHEN in groups: the group's shuffle scratch, a slot each */
    const lk_share *share; /* the objects whose actions the columns take (NULL: all) */
    size_t ranks;          /* > 1 under mpirun: the strata's parts shared out
                              (own_part, strata_gather; collective) */
    uint64_t sent;         /* strata_gather: bytes of keys this rank sent */
    int mode;              /* posts_pass_task: PASS_BUILD, PASS_DELAYS or PASS_TIMES */
    uint32_t *pstr;        /* its stratum's rank among all strata (assign_strata) */
    size_t parts;          /* build_posts: post ranges, one task each */
    uint64_t *ka;          /* assign_strata: (stratum key << abits | account) of a level's part */
    unsigned abits, lv;
    size_t kcap;         /* assign_strata: posts a part at most (0: one part) */
    size_t nq, q;        /* its parts of the accounts (acc_part), the one being sorted */
    size_t *qcnt;        /* per task and part: posts without a stratum */
    size_t *koff;        /* per task: where its posts of part q go in ka */
    uint64_t *keys, *pk; /* the level's (key << 32 | accounts) so far; part q's */
    size_t nkeys, pkcap;
    stratlist *sv; /* the strata; at level lv, sv->s[base .. sv->n) are its */
    size_t base;
    size_t *cnt; /* per task: posts given a stratum */
    lk_cols *out;
    uint32_t *perm;
    runrec *buf; /* resort_runs: 2 * maxrun records per worker */
    size_t maxrun;
    /* under a cap, once the posts are in their file (nullshared.ps_fd1):
     * pcls and pacc are that file mapped read-only (pmap, pmap_len bytes)
     * while the strata are found, and pstr a mapped file of its own
     * (pstr_fd1 - 1 in map_dir; 0: memory), all three read and written in
     * post order and let go behind (posts_evict): 12 bytes a post off the
     * copy's peak, which then is the shuffle's (8 for the WHO copy, 13
     * for the WHEN copy, or in groups 4 beside a group's) */
    char *pmap;
    size_t pmap_len;
    int pstr_fd1;
    const char *map_dir;
    char *errbuf;
} copyjob;

/* The mapped posts' pages [p0, p1) let go (read or written in post order:
 * what was passed is not read again in that pass).  Nothing in memory. */
static void posts_evict(const copyjob *j, size_t p0, size_t p1)
{
    if (p1 <= p0)
        return;
    if (j->pmap) {
        const uint64_t a = PS_ACC_OFF(j->sh->nposts);
        lk_pages_drop(j->pmap, p0 * sizeof *j->pcls, p1 * sizeof *j->pcls);
        lk_pages_drop(j->pmap, (size_t)a + p0 * sizeof *j->pacc, (size_t)a + p1 * sizeof *j->pacc);
    }
    if (j->pstr_fd1 && j->pstr)
        lk_pages_drop(j->pstr, p0 * sizeof *j->pstr, p1 * sizeof *j->pstr);
}

/* pcls and pacc as the posts' file mapped (the memory ones freed). */
static lk_status posts_map(copyjob *j, const nullshared *sh)
{
    const size_t n = sh->nposts, len = (size_t)PS_ACC_OFF(n) + n * sizeof *j->pacc;
    void *m;
    const lk_status st = lk_tmpfile_map_ro(sh->ps_fd1 - 1, len, sh->ps_dir, &m, j->errbuf);

    if (st != LK_OK)
        return st;
    free(j->pcls);
    free(j->pacc);
    j->pmap = m;
    j->pmap_len = len;
    j->pcls = (uint32_t *)(void *)j->pmap;
    j->pacc = (uint32_t *)(void *)(j->pmap + PS_ACC_OFF(n));
    return LK_OK;
}

/* pcls and pacc gone: unmapped, or freed. */
static void posts_release(copyjob *j)
{
    if (j->pmap) {
        (void)munmap(j->pmap, j->pmap_len);
        j->pmap = NULL;
    } else {
        free(j->pcls);
        free(j->pacc);
    }
    j->pcls = NULL;
    j->pacc = NULL;
}

/* pstr for n posts: a mapped file when the posts are (posts_map). */
static lk_status pstr_alloc(copyjob *j, size_t n)
{
    if (j->pmap) {
        void *m;
        int fd;
        const lk_status st = lk_tmpfile_map_new(j->map_dir, LK_MAX(n, (size_t)1) * sizeof *j->pstr,
                                                &fd, &m, j->errbuf);
        if (st != LK_OK)
            return st;
        j->pstr = m;
        j->pstr_fd1 = fd + 1;
        return LK_OK;
    }
    j->pstr = lk_huge_malloc(LK_MAX(n, (size_t)1) * sizeof *j->pstr);
    return j->pstr ? LK_OK : LK_ENOMEM;
}

static void pstr_release(copyjob *j)
{
    if (j->pstr_fd1) {
        if (j->pstr)
            (void)munmap(j->pstr, LK_MAX(j->sh->nposts, (size_t)1) * sizeof *j->pstr);
        lk_tmpfile_close(j->pstr_fd1 - 1);
        j->pstr_fd1 = 0;
    } else {
        free(j->pstr);
    }
    j->pstr = NULL;
}

/* build_posts: the posts being built start empty (pcls from pbase). */
static void posts_init_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->pend - j->pbase, (task + 1) * STEP);
    (void)worker;
    for (size_t p = task * STEP; p < e; p++)
        j->pcls[p] = 0;
}

static void posts_unset_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->nposts, (task + 1) * STEP);
    (void)worker;
    for (size_t p = task * STEP; p < e; p++)
        j->pstr[p] = PS_UNSET;
    posts_evict(j, task * STEP, e);
}

/* pdelay's value for a post whose delay is not found yet (a delay is >= 0:
 * an object's birth is its first action's time). */
#define DELAY_UNSET INT64_MIN

/* In prb: 1 + prim_rank of the primary action (0: found again already),
 * and whether the post is its primary object's first. */
#define PRB_RANK   UINT8_C(0xf)
#define PRB_ORIGIN UINT8_C(0x10)

/* WHEN: where post p's delay is in pdelay, *s, when it is in the group
 * being shuffled: p itself (one group), else its place less the group's
 * first. */
static int slot_of(const copyjob *j, uint32_t p, size_t *s)
{
    uint32_t i;
    if (!j->pos) {
        *s = p;
        return 1;
    }
    i = j->pos[p];
    if (i < j->g0 || i >= j->g1)
        return 0;
    *s = i - j->g0;
    return 1;
}

/* WHEN: the slots of pdelay (the posts, or the group's places). */
static size_t nslots(const copyjob *j)
{
    return j->pos ? j->g1 - j->g0 : j->sh->nposts;
}

/* gid's pages [r0, r1) let go when it is a mapped file. */
static void gid_evict(const copyjob *j, size_t r0, size_t r1)
{
    if (j->gid_fd1 && r1 > r0)
        lk_pages_drop(j->gid, r0, r1);
}

/* PASS_BUILD at action r (x, of object q) of post p (pbase <= p < pend): its trace into the
 * post's mask, and when it is the post's primary action so far (the lowest
 * prim_rank, ties to the lowest index position: the first seen) its rank,
 * its object's classes, the time class of its delay and its account. */
static void build_step(const copyjob *j, uint32_t p, size_t r, const lk_action *x, const objinfo *q)
{
    const unsigned tr = OI_TRACE(q->info);
    const uint32_t rank = prim_rank[tr] + 1u;
    /* pcls[0..nposts) is set by posts_init_task, pid[] names posts below
     * nposts (the analyser loses track of them across tasks) */
    // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
    const size_t i = p - j->pbase;
    const uint32_t best = (j->pcls[i] & PS_RANK) >> PS_RANK_SHIFT;
    uint32_t cls = j->pcls[i] | UINT32_C(1) << tr << 17;

    if (best == 0 || rank < best) {
        const int64_t delay = x->t - q->t0;
        cls = (cls & ~(PS_RANK | PS_ORIGIN | PS_CLASSES | PS_TCLASS)) | rank << PS_RANK_SHIFT |
              (r == q->first ? PS_ORIGIN : 0) | OI_CLASSES(q->info) | time_class(delay);
        j->pacc[i] = x->account; /* the post's */
    }
    j->pcls[i] = cls;
}

/* Index actions the passes over the index filter at a time: a group's
 * passes by group byte (group_block), the posts' ranges by post number
 * (range_block). */
#define GBLOCK ((size_t)4096)

/*
 * The index actions of [r0, r0 + len) (len <= GBLOCK) that may be of the
 * group being made, as offsets from r0 into m; returns how many: those
 * whose byte is the group's (copyjob.gid), or all of them without one.
 * The group bytes are tested 8 at a time and a word without the group's
 * is passed over whole: past two groups most are (a group of 64 has about
 * 1/64 of the actions), so a group's passes visit only its own actions and
 * prefetch those (group_prefetch).  Until the thirty-fourth session they
 * tested each action's byte in turn and prefetched PREFETCH actions ahead,
 * a fraction of one of the group's: the WHEN copy's 52 groups at 10^7
 * actions under --max-mem 64M spent most of their time there.
 */
static size_t group_block(const copyjob *j, size_t r0, size_t len, uint32_t *m)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), low7 = ones * 0x7f;
    const uint64_t want = ones * j->gnum;
    const uint8_t *g;
    size_t k = 0, i = 0;

    if (!j->gid) {
        for (; i < len; i++)
            m[i] = (uint32_t)i;
        return len;
    }
    g = j->gid + r0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, g + i, sizeof w);
        w ^= want; /* a zero byte where the group's is */
        if (!(~(((w & low7) + low7) | w) & ones * 0x80))
            continue;
        for (size_t b = i; b < i + 8; b++) /* in order, whatever the byte order */
            if (g[b] == j->gnum)
                m[k++] = (uint32_t)b;
    }
    for (; i < len; i++)
        if (g[i] == j->gnum)
            m[k++] = (uint32_t)i;
    return k;
}

/* For the i-th of the k actions r0 + m[] of a block (group_block): the
 * post number of the one 2 PREFETCH ahead, the place of the one PREFETCH
 * ahead's post. */
static inline void group_prefetch(const copyjob *j, size_t r0, const uint32_t *m, size_t i,
                                  size_t k)
{
    const size_t ahead = PREFETCH;
    if (i + 2 * ahead < k)
        __builtin_prefetch(&j->sh->pid[r0 + m[i + 2 * ahead]]);
    if (i + ahead < k)
        __builtin_prefetch(&j->pos[j->sh->pid[r0 + m[i + ahead]]]);
}

/*
 * The index actions of [r0, r0 + len) (len <= GBLOCK) whose post numbers
 * (pid, from r0) lie in [lo, hi), as offsets into m; returns how many.
 * A pass whose tasks (or ranges) take a share of the posts each reads
 * every action's number, and passes over those of the others four at a
 * time: the WHO copy's posts under a cap are built in ranges (9 at 5 x
 * 10^7 actions under --max-mem 256M), two tasks a range.
 */
static size_t range_block(const uint32_t *pid, size_t len, size_t lo, size_t hi, uint32_t *m)
{
    const uint32_t first = (uint32_t)lo, span = (uint32_t)(hi - lo);
    size_t k = 0, i = 0;

    if ((uint64_t)(hi - lo) > UINT32_MAX) { /* all 2^32 post numbers */
        for (; i < len; i++)
            m[i] = (uint32_t)i;
        return len;
    }
#ifdef __SSE2__
    {
        /* p - lo < hi - lo unsigned, as a signed test with both flipped */
        const __m128i flip = _mm_set1_epi32(INT32_MIN), vlo = _mm_set1_epi32((int32_t)first);
        const __m128i vspan = _mm_xor_si128(_mm_set1_epi32((int32_t)span), flip);

        for (; i + 4 <= len; i += 4) {
            const __m128i d = _mm_xor_si128(
                _mm_sub_epi32(_mm_loadu_si128((const __m128i *)(pid + i)), vlo), flip);
            unsigned hit = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmplt_epi32(d, vspan)));

            for (; hit; hit &= hit - 1)
                m[k++] = (uint32_t)(i + (size_t)__builtin_ctz(hit));
        }
    }
#endif
    for (; i < len; i++)
        if (pid[i] - first < span)
            m[k++] = (uint32_t)i;
    return k;
}

/* Where a pass over the index in order has let the pages of mapped
 * arrays go (evict_behind). */
typedef struct behind {
    size_t ev;         /* the index's */
    size_t pev;        /* pid's and gid's */
    size_t oev, omark; /* oi's, and the object at pev the last time */
} behind;

/* A pass at index action r: the pages it is done with let go, a step
 * behind (oi's objects up to where the last step was). */
static inline void evict_behind(const copyjob *j, behind *b, size_t r)
{
    const lk_objindex *ix = j->sh->ix;

    b->ev = lk_objindex_evict_behind(ix, b->ev, r);
    if (r >= b->pev + 2 * STEP) {
        const size_t o = ix->a[r].object;
        pid_evict(j->sh, b->pev, r - STEP);
        gid_evict(j, b->pev, r - STEP);
        oi_evict(j->sh, b->oev, b->omark);
        b->pev = r - STEP;
        b->oev = b->omark;
        b->omark = o;
    }
}

/* PASS_DELAYS or PASS_TIMES at index action r, when its post's slot is in
 * [lo, hi) (posts_pass_task). */
static inline void primary_step(const copyjob *j, size_t r, size_t lo, size_t hi)
{
    const lk_action *x;
    const objinfo *q;
    size_t sl;
    uint32_t rank;

    if (!slot_of(j, j->sh->pid[r], &sl) || sl < lo || sl >= hi ||
        !(rank = j->gprb[sl] & PRB_RANK) ||
        (j->mode == PASS_DELAYS && j->pdelay[sl] != DELAY_UNSET))
        return;
    x = &j->sh->ix->a[r];
    q = &j->sh->oi[x->object];
    if (prim_rank[OI_TRACE(q->info)] + 1u != rank)
        return;
    if (j->mode == PASS_DELAYS) {
        const int64_t d = x->t - q->t0;
        j->pdelay[sl] = j->gprb[sl] & PRB_ORIGIN ? ~d : d;
    } else {
        j->pdelay[sl] += q->t0;
        j->gprb[sl] &= (uint8_t)~PRB_RANK;
    }
}

/*
 * The posts in part `task` of the posts being built, [pbase, pend), from
 * all actions in index order (copyjob.mode): built (build_step); or, for the WHEN copy, each
 * post's primary action found again, the first in index order whose trace
 * has the rank in prb, which gives it its delay (PASS_DELAYS, in place of
 * DELAY_UNSET) or, after the shuffle, its new time, its object's birth +
 * its shuffled delay (PASS_TIMES, which clears the rank bits); those two
 * take part `task` of the slots (slot_of) instead, and in groups of strata
 * only the group's actions (group_block).  Each part reads all of pid[]
 * (in groups, the group's) and of the index, letting them go behind
 * itself, but touches only its own posts (the random accesses are what
 * costs).
 */
static void posts_pass_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const lk_objindex *ix = j->sh->ix;
    const int build = j->mode == PASS_BUILD, grouped = !build && j->pos;
    const size_t n = build ? j->pend - j->pbase : nslots(j), base = build ? j->pbase : 0,
                 lo = base + n * task / j->parts, hi = base + n * (task + 1) / j->parts;
    behind bh = {0, 0, 0, 0};
    uint32_t m[GBLOCK];

    (void)worker;
    for (size_t r0 = 0; r0 < ix->n; r0 += GBLOCK) {
        const size_t len = LK_MIN(GBLOCK, ix->n - r0);
        /* a group's actions, or (a slot is a post) those of the part's posts */
        const size_t k =
            grouped ? group_block(j, r0, len, m) : range_block(j->sh->pid + r0, len, lo, hi, m);
        evict_behind(j, &bh, r0);
        for (size_t i = 0; i < k; i++) {
            const size_t r = r0 + m[i];
            if (grouped) {
                group_prefetch(j, r0, m, i, k);
            } else if (i + PREFETCH < k) {
                const uint32_t pf = j->sh->pid[r0 + m[i + PREFETCH]];
                if (build) {
                    __builtin_prefetch(&j->pcls[pf - base], 1);
                    __builtin_prefetch(&j->pacc[pf - base], 1);
                } else {
                    __builtin_prefetch(&j->gprb[pf], 1);
                    __builtin_prefetch(&j->pdelay[pf], 1);
                }
            }
            if (build) {
                const lk_action *x = &ix->a[r];
                build_step(j, j->sh->pid[r], r, x, &j->sh->oi[x->object]);
            } else {
                primary_step(j, r, lo, hi);
            }
        }
    }
}

/* The posts [pbase, pend) of the copy with their strata's inputs
 * (posts_pass_task) into pcls and pacc, which hold them from pbase. */
static void build_posts(copyjob *j, unsigned threads)
{
    const size_t m = j->pend - j->pbase;
    j->parts = LK_MAX(LK_MIN((size_t)threads, m), (size_t)1);
    j->mode = PASS_BUILD;
    (void)lk_par_run(threads, nsteps(m), posts_init_task, j);
    pass(j->sh->ix, NULL, threads, j->parts, posts_pass_task, j);
    shared_evict(j->sh);
}

/* Where stratum x is in v[lo..hi) (increasing), or hi: a binary search
 * without branches on the data (the strata are few, the posts many). */
static size_t find_stratum(const uint32_t *v, size_t lo, size_t hi, uint32_t x)
{
    const uint32_t *b = v + lo;
    size_t len = hi - lo;
    if (len == 0)
        return hi;
    while (len > 1) {
        const size_t half = len / 2;
        b = b[half] <= x ? b + half : b;
        len -= half;
    }
    return *b == x ? (size_t)(b - v) : hi;
}

/* Which of nq parts a post's account falls in: a level's strata are found
 * a part at a time (assign_strata), and no account is in two parts. */
static size_t acc_part(uint32_t acc, size_t nq)
{
    return (size_t)(((uint64_t)(uint32_t)lk_mix64(acc) * nq) >> 32);
}

/* Level lv: how many of the task's posts without a stratum each part has
 * (j->qcnt[task * nq + part]). */
static void strata_count_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->nposts, (task + 1) * STEP);
    size_t *c = j->qcnt + task * j->nq;
    (void)worker;
    memset(c, 0, j->nq * sizeof *c);
    for (size_t p = task * STEP; p < e; p++)
        if (j->pstr[p] == PS_UNSET)
            c[acc_part(j->pacc[p], j->nq)]++;
    posts_evict(j, task * STEP, e);
}

/* Level lv, part q: the (stratum key << abits | account) values of the
 * task's posts without a stratum, from j->ka + j->koff[task] on. */
static void strata_fill_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->nposts, (task + 1) * STEP);
    uint64_t *ka = j->ka + j->koff[task];
    (void)worker;
    for (size_t p = task * STEP; p < e; p++)
        if (j->pstr[p] == PS_UNSET && acc_part(j->pacc[p], j->nq) == j->q)
            *ka++ = (uint64_t)post_key(j->pcls[p], j->lv, j->kind) << j->abits | j->pacc[p];
    posts_evict(j, task * STEP, e);
}

/* The posts without a stratum whose key at level lv is one of the level's
 * strata take it. */
static void strata_take_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->nposts, (task + 1) * STEP);
    size_t c = 0;
    (void)worker;
    for (size_t p = task * STEP; p < e; p++)
        if (j->pstr[p] == PS_UNSET) {
            const uint32_t x =
                (uint32_t)j->lv << PS_LEVEL_SHIFT | post_key(j->pcls[p], j->lv, j->kind);
            const size_t k = find_stratum(j->sv->s, j->base, j->sv->n, x);
            if (k < j->sv->n) {
                j->pstr[p] = (uint32_t)k;
                c++;
            }
        }
    j->cnt[task] = c;
    posts_evict(j, task * STEP, e);
}

/* The list keys[0..*nk) of (key << 32 | accounts), increasing in key, with
 * the list b[0..nb) (the same form) added in: a key in both adds up its
 * accounts, which are never the same ones (acc_part). */
static lk_status merge_keys(uint64_t **keys, size_t *nk, const uint64_t *b, size_t nb)
{
    const uint64_t *a = *keys;
    uint64_t *m = malloc(LK_MAX(*nk + nb, (size_t)1) * sizeof *m);
    size_t i = 0, k = 0, n = 0;

    if (!m)
        return LK_ENOMEM;
    while (i < *nk || k < nb) {
        if (k == nb || (i < *nk && a[i] >> 32 < b[k] >> 32))
            m[n++] = a[i++];
        else if (i == *nk || b[k] >> 32 < a[i] >> 32)
            m[n++] = b[k++];
        else
            m[n++] = a[i++] + (b[k++] & UINT32_MAX);
    }
    free(*keys);
    *keys = m;
    *nk = n;
    return LK_OK;
}

/* Level lv, part j->q: its posts' (stratum key, account) values sorted, and
 * each key with its number of accounts added to j->keys (merge_keys). */
static lk_status strata_part(copyjob *j, unsigned threads)
{
    const size_t ns = nsteps(j->sh->nposts);
    size_t m = 0, npk = 0;

    for (size_t t = 0; t < ns; t++) {
        j->koff[t] = m;
        m += j->qcnt[t * j->nq + j->q];
    }
    (void)lk_par_run(threads, ns, strata_fill_task, j);
    lk_sort_u64_inplace_par(j->ka, m, threads);
    for (size_t b = 0; b < m;) {
        const uint64_t key = j->ka[b] >> j->abits;
        size_t e = b, accounts = 0;
        for (; e < m && j->ka[e] >> j->abits == key; e++)
            accounts += e == b || j->ka[e] != j->ka[e - 1];
        if (LK_GROW(j->pk, npk + 1, j->pkcap) != LK_OK)
            return LK_ENOMEM;
        j->pk[npk++] = key << 32 | accounts;
        b = e;
    }
    return merge_keys(&j->keys, &j->nkeys, j->pk, npk);
}

/* The most parts of the accounts: each part re-reads all posts, and 16
 * parts' keys (half a byte a post) are already small beside the posts'
 * 12 bytes here (pcls, pacc, pstr; under a cap mapped files, read in order
 * and let go behind, whose pages the parts' passes read again from the
 * page cache), so a smaller budget would only slow the copy down. */
#define STRATA_PARTS_MAX 16

/* How many parts of the accounts m posts' sort keys are cut into: of
 * about j->kcap posts each (0: one), STRATA_PARTS_MAX at most. */
static size_t strata_parts(const copyjob *j, size_t m)
{
    const size_t q =
        j->kcap ? LK_MIN(LK_MAX((m + j->kcap - 1) / j->kcap, (size_t)1), (size_t)STRATA_PARTS_MAX)
                : 1;
    /* the ranks share the parts out: at least one each */
    return LK_MAX(q, j->ranks);
}

/* Part q's keys are sorted here: every part under one process, part q of
 * rank q mod R under mpirun (j->ranks). */
static int own_part(const copyjob *j, size_t q)
{
    return j->ranks <= 1 || q % j->ranks == (size_t)lk_dist_rank();
}

/* Under mpirun: the level's (key << 32 | accounts) of every rank's parts,
 * gathered and added up on every rank (merge_keys: no account is in two
 * parts), so that each finds the same strata as one process. */
static lk_status strata_gather(copyjob *j)
{
    uint64_t *lens = malloc(j->ranks * sizeof *lens), *mine = j->keys;
    const size_t nmine = j->nkeys;
    void *all = NULL;
    size_t at = 0;
    lk_status st;

    if (!lens) /* the other ranks stop at the agreement too */
        return lk_dist_agree(LK_ENOMEM, j->errbuf);
    if ((st = lk_dist_agree(LK_OK, j->errbuf)) != LK_OK ||
        (st = lk_dist_allgather(mine, nmine * sizeof *mine, &all, lens)) != LK_OK) {
        free(lens);
        return st;
    }
    free(mine);
    j->keys = NULL;
    j->nkeys = 0;
    for (size_t r = 0; r < j->ranks && st == LK_OK; r++) {
        const size_t k = (size_t)(lens[r] / sizeof *mine);
        st = merge_keys(&j->keys, &j->nkeys, (const uint64_t *)all + at, k);
        at += k;
    }
    j->sent += nmine * sizeof *mine;
    free(all);
    free(lens);
    return st;
}

/*
 * Strata from fine to coarse: (traces, popularity, front-loading, delay),
 * then without the delay, then without the front-loading, then popularity
 * alone, then one stratum for all.  Each post takes the finest level whose
 * stratum has posts of STRATUM_ACCOUNTS accounts or more.  A level's
 * strata are found by sorting the (stratum key, account) values of the
 * posts still without one (8 bytes a post); they come out in increasing
 * order into j->sv, and each post receives its stratum's rank.  With
 * j->kcap set (under a cap) the values are sorted in parts of about that
 * many posts, split by account, whose accounts per key add up: the same
 * strata, in 8 bytes a post of a part alone.
 */
static lk_status assign_strata(copyjob *j, unsigned threads)
{
    const size_t n = j->sh->nposts, ns = nsteps(n);
    stratlist *sv = j->sv;
    size_t kacap = 0, qbytes, nq0;
    uint32_t maxacc = 0;
    size_t left = n;
    lk_status st = LK_ENOMEM;

    nq0 = strata_parts(j, n);
    if (lk_mul_size(ns, nq0 * sizeof *j->qcnt, &qbytes) ||
        !(j->qcnt = malloc(LK_MAX(qbytes, (size_t)1))))
        goto done;
    j->cnt = malloc(LK_MAX(ns, (size_t)1) * sizeof *j->cnt);
    j->koff = malloc(LK_MAX(ns, (size_t)1) * sizeof *j->koff);
    if (!j->cnt || !j->koff)
        goto done;
    if ((st = pstr_alloc(j, n)) != LK_OK)
        goto done;
    st = LK_ENOMEM;
    (void)lk_par_run(threads, ns, posts_unset_task, j);
    for (size_t p = 0; p < n; p++) {
        maxacc = LK_MAX(maxacc, j->pacc[p]);
        if ((p + 1) % STEP == 0 || p + 1 == n)
            posts_evict(j, p / STEP * STEP, p + 1);
    }
    j->abits = 1;
    while (j->abits < 32 && (maxacc >> j->abits) != 0)
        j->abits++;
    for (unsigned lv = 0; lv < 4 && left > 0; lv++) {
        size_t kmax = 0;
        j->lv = lv;
        j->base = sv->n;
        /* fewer parts as fewer posts are left (nq0 at most) */
        j->nq = strata_parts(j, left);
        (void)lk_par_run(threads, ns, strata_count_task, j);
        for (size_t q = 0; q < j->nq; q++) {
            size_t m = 0;
            for (size_t t = 0; t < ns && own_part(j, q); t++)
                m += j->qcnt[t * j->nq + q];
            kmax = LK_MAX(kmax, m);
        }
        if (kmax > kacap) { /* the largest part */
            free(j->ka);
            if (!(j->ka = lk_huge_malloc(kmax * sizeof *j->ka)))
                goto done;
            kacap = kmax;
        }
        for (j->q = 0; j->q < j->nq; j->q++)
            if (own_part(j, j->q) && (st = strata_part(j, threads)) != LK_OK)
                goto done;
        if (j->ranks > 1 && (st = strata_gather(j)) != LK_OK)
            goto done;
        st = LK_ENOMEM;
        for (size_t k = 0; k < j->nkeys; k++)
            if ((j->keys[k] & UINT32_MAX) >= STRATUM_ACCOUNTS) {
                if (LK_GROW(sv->s, sv->n + 1, sv->cap) != LK_OK)
                    goto done;
                sv->s[sv->n++] = (uint32_t)lv << PS_LEVEL_SHIFT | (uint32_t)(j->keys[k] >> 32);
            }
        free(j->keys);
        j->keys = NULL;
        j->nkeys = 0;
        if (sv->n == j->base)
            continue;
        (void)lk_par_run(threads, ns, strata_take_task, j);
        for (size_t t = 0; t < ns; t++)
            left -= j->cnt[t];
    }
    if (left > 0) { /* one stratum for the rest */
        if (LK_GROW(sv->s, sv->n + 1, sv->cap) != LK_OK)
            goto done;
        sv->s[sv->n++] = UINT32_C(4) << PS_LEVEL_SHIFT;
        for (size_t p = 0; p < n; p++) {
            if (j->pstr[p] == PS_UNSET)
                j->pstr[p] = (uint32_t)(sv->n - 1);
            if ((p + 1) % STEP == 0 || p + 1 == n)
                posts_evict(j, p / STEP * STEP, p + 1);
        }
    }
    posts_evict(j, 0, n); /* the pages two tasks shared */
    if (j->ranks > 1) {
        size_t mine = 0;
        for (size_t q = 0; q < nq0; q++)
            mine += (size_t)own_part(j, q);
        lk_log(LK_LOG_INFO,
               "calibration: %s strata found in %zu parts of the accounts (%zu posts), %zu of "
               "them sorted here, %llu bytes of their keys' counts sent to every rank",
               null_name[j->kind], nq0, n, mine, (unsigned long long)j->sent);
    } else if (nq0 > 1)
        lk_log(LK_LOG_INFO, "calibration: %s strata found in %zu parts of the accounts (%zu posts)",
               null_name[j->kind], nq0, n);
    st = LK_OK;
done:
    free(j->keys);
    free(j->pk);
    free(j->ka);
    free(j->cnt);
    free(j->qcnt);
    free(j->koff);
    j->ka = NULL;
    j->cnt = j->qcnt = j->koff = NULL;
    j->keys = j->pk = NULL;
    j->nkeys = j->pkcap = 0;
    return st;
}

/* sv->off from the strata's ranks pstr of n posts (where each stratum's
 * posts start in stratum order), and *cur a copy of it, the places the
 * strata's next posts take (the caller frees it). */
static lk_status strata_offsets(const copyjob *j, size_t n, stratlist *sv, size_t **cur)
{
    const uint32_t *pstr = j->pstr;

    if (!(sv->off = calloc(sv->n + 1, sizeof *sv->off)) ||
        !(*cur = malloc((sv->n + 1) * sizeof **cur)))
        return LK_ENOMEM;
    for (size_t p = 0; p < n; p++) {
        sv->off[pstr[p] + 1]++;
        if ((p + 1) % STEP == 0 || p + 1 == n)
            posts_evict(j, p / STEP * STEP, p + 1);
    }
    for (size_t k = 0; k < sv->n; k++)
        sv->off[k + 1] += sv->off[k];
    memcpy(*cur, sv->off, (sv->n + 1) * sizeof **cur);
    return LK_OK;
}

/* sv->ord receives the posts in stratum order, in increasing order within
 * a stratum (a counting sort on the strata's ranks j->pstr: 4 bytes a
 * post). */
static lk_status sort_by_stratum(const copyjob *j, size_t n, stratlist *sv)
{
    const uint32_t *pstr = j->pstr;
    size_t *cur = NULL;

    if (strata_offsets(j, n, sv, &cur) != LK_OK ||
        !(sv->ord = lk_huge_malloc(LK_MAX(n, (size_t)1) * sizeof *sv->ord))) {
        free(cur);
        return LK_ENOMEM;
    }
    for (size_t p = 0; p < n; p++) {
        sv->ord[cur[pstr[p]]++] = (uint32_t)p;
        if ((p + 1) % STEP == 0 || p + 1 == n)
            posts_evict(j, p / STEP * STEP, p + 1);
    }
    free(cur);
    return LK_OK;
}

/* Swaps of a shuffle whose posts are prefetched together. */
#define SHUFFLE_BLOCK 32

/*
 * The shuffle of stratum j->s0 + `task` (Fisher-Yates, one seeded stream
 * per stratum so that strata do not affect each other, nor the order they
 * are shuffled in): the posts' accounts (LK_NULL_WHO) or their delays
 * after their object's first action (LK_NULL_WHEN; its slots, slot_of).
 */
static void shuffle_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t si = j->s0 + task, at = j->sv->off[si];
    size_t m = j->sv->off[si + 1] - at;
    /* the stratum's posts in ord, or its slots in a WHEN group; NULL in
     * a WHO group, whose accounts (gacc) are in place order: the
     * stratum's from its first place on */
    uint32_t *o = !j->pos                   ? j->sv->ord + at
                  : j->kind == LK_NULL_WHEN ? j->slots + (at - j->g0)
                                            : NULL;
    uint32_t *acc = j->gacc ? j->gacc + (at - j->g0) : j->pacc;
    int64_t *delay = j->pdelay;
    uint32_t y[SHUFFLE_BLOCK];
    lk_rng rng;

    (void)worker;
    lk_rng_seed(&rng, j->seed ^ lk_mix64(stratum_key(j->sv->s[si]) + 1));
    if (j->kind == LK_NULL_WHEN) {
        /* an object's first post defines when it appears: it keeps its
         * time (its delay, kept as ~ delay, made whole again); the
         * reactions' delays are shuffled among themselves (their slots are
         * moved to the front of the stratum's, in order: o is not read
         * again).  In groups the stratum's slots are its places, in order:
         * the posts in the same order as ord's */
        size_t r = 0;
        if (j->pos)
            for (size_t i = 0; i < m; i++)
                o[i] = (uint32_t)(at - j->g0 + i);
        for (size_t i = 0; i < m; i++) {
            const int64_t d = delay[o[i]];
            if (i + PREFETCH < m)
                __builtin_prefetch(&delay[o[i + PREFETCH]]);
            if (d < 0 && d != DELAY_UNSET)
                delay[o[i]] = ~d;
            else
                o[r++] = o[i];
        }
        m = r;
    }
    /* in blocks: the block's draws first (their places in o prefetched),
     * then its posts (prefetched), then its swaps (which move accounts or
     * delays, never posts) */
    for (size_t i = m; i > 1;) {
        const size_t nb = LK_MIN((size_t)SHUFFLE_BLOCK, i - 1);
        for (size_t k = 0; k < nb; k++) {
            y[k] = (uint32_t)lk_rng_below(&rng, i - k);
            if (!o) { /* the group's accounts, from the stratum's first */
                __builtin_prefetch(&acc[y[k]], 1);
                continue;
            }
            __builtin_prefetch(&o[y[k]]);
            if (j->kind == LK_NULL_WHO)
                __builtin_prefetch(&acc[o[i - k - 1]], 1);
            else
                __builtin_prefetch(&delay[o[i - k - 1]], 1);
        }
        for (size_t k = 0; k < nb && o; k++) {
            y[k] = o[y[k]];
            if (j->kind == LK_NULL_WHO)
                __builtin_prefetch(&acc[y[k]], 1);
            else
                __builtin_prefetch(&delay[y[k]], 1);
        }
        for (size_t k = 0; k < nb; k++, i--) {
            const size_t a = o ? o[i - 1] : i - 1, b = y[k];
            if (j->kind == LK_NULL_WHO) {
                const uint32_t t = acc[a];
                acc[a] = acc[b];
                acc[b] = t;
            } else {
                const int64_t t = delay[a];
                delay[a] = delay[b];
                delay[b] = t;
            }
        }
    }
}

static int cmp_runrec(const void *x, const void *y)
{
    const runrec *a = x, *b = y;
    if (a->t != b->t)
        return (a->t > b->t) - (a->t < b->t);
    if (a->acc != b->acc)
        return (a->acc > b->acc) - (a->acc < b->acc);
    return (a->row > b->row) - (a->row < b->row);
}

/* Most runs are short: up to this many records are sorted by insertion
 * (stable: equal records keep their order). */
#define RUN_SMALL 32

static void insert_run(runrec *r, size_t k)
{
    for (size_t i = 1; i < k; i++) {
        const runrec v = r[i];
        size_t j = i;
        while (j > 0 && cmp_runrec(&v, &r[j - 1]) < 0) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = v;
    }
}

/* Bits a pass of sort_run's radix sort takes. */
#define RUN_DIGIT 8

/*
 * r[0..k) by (t, acc, row), stably (glibc's qsort, a merge sort here, gave
 * the same order before): a stable radix sort of the times over tmp[0..k)
 * (t less the run's smallest, RUN_DIGIT bits a pass, as many passes as the
 * run's span of times needs), then each group of equal times by (acc, row).
 * A viral object's run of 10^5 actions took glibc's sort 17 comparisons an
 * action through a function pointer; 3 or 4 passes here.
 */
static void sort_run(runrec *r, runrec *tmp, size_t k)
{
    int64_t lo, hi;
    runrec *src = r, *dst = tmp;

    if (k <= RUN_SMALL) {
        insert_run(r, k);
        return;
    }
    lo = hi = r[0].t;
    for (size_t i = 1; i < k; i++) {
        lo = LK_MIN(lo, r[i].t);
        hi = LK_MAX(hi, r[i].t);
    }
    for (unsigned sh = 0; sh < 64 && ((uint64_t)hi - (uint64_t)lo) >> sh; sh += RUN_DIGIT) {
        size_t cnt[1u << RUN_DIGIT] = {0}, at = 0;
        runrec *t;
        for (size_t i = 0; i < k; i++)
            cnt[(((uint64_t)src[i].t - (uint64_t)lo) >> sh) & ((1u << RUN_DIGIT) - 1)]++;
        for (size_t d = 0; d < (1u << RUN_DIGIT); d++) {
            const size_t c = cnt[d];
            cnt[d] = at;
            at += c;
        }
        for (size_t i = 0; i < k; i++)
            dst[cnt[(((uint64_t)src[i].t - (uint64_t)lo) >> sh) & ((1u << RUN_DIGIT) - 1)]++] =
                src[i];
        t = src;
        src = dst;
        dst = t;
    }
    if (src != r)
        memcpy(r, src, k * sizeof *r);
    for (size_t i = 0; i < k;) {
        size_t e = i + 1;
        while (e < k && r[e].t == r[i].t)
            e++;
        if (e - i > RUN_SMALL)
            lk_qsort(r + i, e - i, sizeof *r, cmp_runrec);
        else
            insert_run(r + i, e - i);
        i = e;
    }
}

/* Action x takes its post's new value from slot sl: WHO its account
 * (from pacc, a slot a post, or in groups from gacc), WHEN its time
 * (pdelay). */
static inline void give(const copyjob *j, size_t x, size_t sl)
{
    if (j->kind == LK_NULL_WHO)
        j->out->acc[x] = (j->pos ? j->gacc : j->pacc)[sl];
    else
        j->out->t[x] = j->pdelay[sl];
}

/* Each action takes its post's new account (WHO) or time (WHEN); in
 * groups of strata, the actions of the group's posts (group_block). */
static void give_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t r1 = LK_MIN(j->sh->ix->n, (task + 1) * STEP);
    size_t piece = 0, lo, hi;
    (void)worker;
    while (lk_share_next(j->share, 0, task * STEP, r1, &piece, &lo, &hi)) {
        if (j->pos) { /* a group of strata */
            uint32_t m[GBLOCK];
            for (size_t r0 = lo; r0 < hi; r0 += GBLOCK) {
                const size_t k = group_block(j, r0, LK_MIN(GBLOCK, hi - r0), m);
                for (size_t i = 0; i < k; i++) {
                    const size_t x = r0 + m[i];
                    size_t sl;
                    group_prefetch(j, r0, m, i, k);
                    if (slot_of(j, j->sh->pid[x], &sl))
                        give(j, x, sl);
                }
            }
        } else {
            const int who = j->kind == LK_NULL_WHO;
            for (size_t x = lo; x < hi; x++) {
                if (x + PREFETCH < hi) {
                    const uint32_t pf = j->sh->pid[x + PREFETCH];
                    __builtin_prefetch(who ? (const void *)&j->pacc[pf]
                                           : (const void *)&j->pdelay[pf]);
                }
                give(j, x, j->sh->pid[x]);
            }
        }
    }
    lk_cols_evict(j->out, task * STEP, r1);
    pid_evict(j->sh, task * STEP, r1);
    gid_evict(j, task * STEP, r1);
}

/* WHO: the times are the index's. */
static void who_rest_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->ix->n, (task + 1) * STEP);
    size_t piece = 0, lo, hi;
    (void)worker;
    while (lk_share_next(j->share, 0, task * STEP, e, &piece, &lo, &hi))
        for (size_t x = lo; x < hi; x++) {
            j->out->t[x] = j->sh->ix->a[x].t;
            /* = lk_post_hash(content hash, acc) */
            j->out->post[x] = (uint32_t)content_hash(j->sh, x) ^ (uint32_t)lk_mix64(j->out->acc[x]);
        }
    lk_objindex_evict(j->sh->ix, task * STEP, e);
    lk_cols_evict(j->out, task * STEP, e);
}

/* WHEN: the accounts are the index's. */
static void when_rest_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->ix->n, (task + 1) * STEP);
    size_t piece = 0, lo, hi;
    (void)worker;
    while (lk_share_next(j->share, 0, task * STEP, e, &piece, &lo, &hi))
        for (size_t x = lo; x < hi; x++) {
            const uint32_t acc = j->sh->ix->a[x].account;
            j->out->acc[x] = acc;
            j->out->post[x] = (uint32_t)content_hash(j->sh, x) ^ (uint32_t)lk_mix64(acc);
        }
    lk_objindex_evict(j->sh->ix, task * STEP, e);
    lk_cols_evict(j->out, task * STEP, e);
}

/* WHEN: the runs of STEP objects back in (time, account, row) order, as
 * lk_objindex_build orders the data; perm (may be NULL) follows. */
static void resort_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const lk_objindex *ix = j->sh->ix;
    lk_cols *out = j->out;
    runrec *buf = j->buf + (size_t)worker * 2 * j->maxrun;
    const size_t oe = LK_MIN(ix->nobj, (task + 1) * STEP);
    size_t piece = 0, o0, o1;

    while (lk_share_next(j->share, 1, task * STEP, oe, &piece, &o0, &o1))
        for (size_t o = o0; o < o1; o++) {
            const size_t s = (size_t)ix->start[o], k = (size_t)ix->start[o + 1] - s;
            for (size_t i = 0; i < k; i++) {
                buf[i].t = out->t[s + i];
                buf[i].acc = out->acc[s + i];
                buf[i].row = ix->a[s + i].row;
                buf[i].post = out->post[s + i];
                buf[i].src = j->perm ? j->perm[s + i] : 0;
            }
            sort_run(buf, buf + j->maxrun, k);
            for (size_t i = 0; i < k; i++) {
                out->t[s + i] = buf[i].t;
                out->acc[s + i] = buf[i].acc;
                out->post[s + i] = buf[i].post;
                if (j->perm)
                    j->perm[s + i] = buf[i].src;
            }
        }
    lk_objindex_evict(ix, (size_t)ix->start[task * STEP], (size_t)ix->start[oe]);
    lk_cols_evict(out, (size_t)ix->start[task * STEP], (size_t)ix->start[oe]);
}

static lk_status resort_runs(copyjob *j, unsigned threads)
{
    const lk_objindex *ix = j->sh->ix;
    const unsigned w = LK_MAX(LK_MIN(threads, (unsigned)LK_PAR_MAX), 1u);
    size_t maxrun = 1, bytes;

    for (size_t o = 0; o < ix->nobj; o++)
        maxrun = LK_MAX(maxrun, (size_t)(ix->start[o + 1] - ix->start[o]));
    if (lk_mul_size(2 * maxrun * sizeof *j->buf, w, &bytes) || !(j->buf = malloc(bytes)))
        return LK_ENOMEM;
    j->maxrun = maxrun;
    pass(ix, j->out, w, nsteps(ix->nobj), resort_task, j);
    free(j->buf);
    j->buf = NULL;
    return LK_OK;
}

/* The WHO copy's posts into their file (sh->ps_fd1, made here) bcap at a
 * time (0: all at once), each range built in a pass over all actions
 * (build_posts) and written, in 8 bytes a post of a range: under a cap
 * the build's random writes stay within the budget however many posts,
 * the passes' reads are in order and let go behind. */
static lk_status build_to_file(copyjob *j, nullshared *sh, unsigned threads, char *errbuf)
{
    const size_t n = sh->nposts, w = j->bcap && j->bcap < n ? j->bcap : n;
    size_t ranges = 0;
    lk_status st;
    int fd;

    if ((st = lk_tmpfile_open_sized(sh->ps_dir, PS_ACC_OFF(n) + n * sizeof *j->pacc, &fd,
                                    errbuf)) != LK_OK)
        return st;
    sh->ps_fd1 = fd + 1;
    if (!(j->pcls = lk_huge_malloc(w * sizeof *j->pcls)) ||
        !(j->pacc = lk_huge_malloc(w * sizeof *j->pacc)))
        return LK_ENOMEM;
    for (j->pbase = 0; j->pbase < n; j->pbase = j->pend, ranges++) {
        const size_t m = LK_MIN(w, n - j->pbase);
        j->pend = j->pbase + m;
        build_posts(j, threads);
        if ((st = lk_tmpfile_write(fd, j->pcls, m * sizeof *j->pcls,
                                   (uint64_t)j->pbase * sizeof *j->pcls, sh->ps_dir, errbuf)) !=
                LK_OK ||
            (st = lk_tmpfile_write(fd, j->pacc, m * sizeof *j->pacc,
                                   PS_ACC_OFF(n) + (uint64_t)j->pbase * sizeof *j->pacc, sh->ps_dir,
                                   errbuf)) != LK_OK)
            return st;
    }
    j->pbase = 0;
    j->pend = n;
    lk_log(LK_LOG_INFO,
           "calibration: the WHO copy's posts (%llu bytes) kept in %s for the WHEN copy, built "
           "in %zu range%s of %zu posts at most, a pass over the actions each",
           (unsigned long long)(PS_ACC_OFF(n) + n * sizeof *j->pacc), sh->ps_dir, ranges,
           ranges == 1 ? "" : "s", w);
    return LK_OK;
}

/*
 * The posts of copy `kind`, pcls and pacc (8 bytes a post): built, or for
 * the WHEN copy read back from where the WHO copy left them
 * (nullshared.ps_fd1), which the WHO copy does when sh->ps_dir says so
 * (build_to_file; ps_dir is set only under a cap, with map_dir), and then
 * read through that file's mapping (posts_map); else built in memory.  The
 * WHEN copy finds its delays after the strata (find_delays).
 */
static lk_status copy_posts(copyjob *j, nullshared *sh, unsigned threads, char *errbuf)
{
    const size_t n = sh->nposts, np = LK_MAX(n, (size_t)1);
    lk_status st;

    if (j->kind == LK_NULL_WHO && sh->ps_dir && n > 0) {
        if ((st = build_to_file(j, sh, threads, errbuf)) != LK_OK)
            return st;
        free(j->pcls);
        free(j->pacc);
        j->pcls = j->pacc = NULL;
    }
    if (sh->ps_fd1) /* under a cap (ps_dir comes with map_dir): read through the mapping */
        return posts_map(j, sh);
    if (!(j->pcls = lk_huge_malloc(np * sizeof *j->pcls)) ||
        !(j->pacc = lk_huge_malloc(np * sizeof *j->pacc)))
        return LK_ENOMEM;
    j->pbase = 0;
    j->pend = n;
    build_posts(j, threads);
    return LK_OK;
}

static void delays_unset_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(nslots(j), (task + 1) * STEP);
    (void)worker;
    for (size_t p = task * STEP; p < e; p++)
        j->pdelay[p] = DELAY_UNSET;
}

/* WHEN: the delays (PASS_DELAYS) or new times (PASS_TIMES) of the slots'
 * posts (posts_pass_task). */
static void primary_pass(copyjob *j, const nullshared *sh, unsigned threads, int mode)
{
    j->parts = LK_MAX(LK_MIN((size_t)threads, nslots(j)), (size_t)1);
    j->mode = mode;
    pass(sh->ix, NULL, threads, j->parts, posts_pass_task, j);
    shared_evict(sh);
}

/* WHEN: pdelay, each slot's delay (primary_pass). */
static lk_status find_delays(copyjob *j, const nullshared *sh, unsigned threads)
{
    if (!(j->pdelay = lk_huge_malloc(LK_MAX(nslots(j), (size_t)1) * sizeof *j->pdelay)))
        return LK_ENOMEM;
    (void)lk_par_run(threads, nsteps(nslots(j)), delays_unset_task, j);
    primary_pass(j, sh, threads, PASS_DELAYS);
    return LK_OK;
}

/* prb's pages [p0, p1) let go when it is a mapped file (prb_alloc). */
static void prb_evict(const copyjob *j, size_t p0, size_t p1)
{
    if (j->prb_fd1 && j->prb && p1 > p0)
        lk_pages_drop(j->prb, p0, p1);
}

/* A byte an item for n items (prb, gid): a mapped file in map_dir when
 * `mapped` (*fd1 its descriptor + 1), else memory (*fd1 0). */
static lk_status bytes_alloc(const copyjob *j, size_t n, int mapped, uint8_t **out, int *fd1)
{
    const size_t len = LK_MAX(n, (size_t)1);
    if (mapped) {
        void *m;
        int fd;
        const lk_status st = lk_tmpfile_map_new(j->map_dir, len, &fd, &m, j->errbuf);
        if (st != LK_OK)
            return st;
        *out = m;
        *fd1 = fd + 1;
        return LK_OK;
    }
    *out = lk_huge_malloc(len);
    return *out ? LK_OK : LK_ENOMEM;
}

/* What bytes_alloc made for n items, gone. */
static void bytes_release(uint8_t **b, size_t n, int *fd1)
{
    if (*fd1) {
        if (*b)
            (void)munmap(*b, LK_MAX(n, (size_t)1));
        lk_tmpfile_close(*fd1 - 1);
        *fd1 = 0;
    } else {
        free(*b);
    }
    *b = NULL;
}

/* WHEN: prb for the posts, a mapped file in map_dir when `mapped`. */
static lk_status prb_alloc(copyjob *j, int mapped)
{
    return bytes_alloc(j, j->sh->nposts, mapped, &j->prb, &j->prb_fd1);
}

static void prb_release(copyjob *j)
{
    bytes_release(&j->prb, j->sh->nposts, &j->prb_fd1);
    j->gprb = NULL;
}

/* WHEN: prb from pcls. */
static void prb_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->nposts, (task + 1) * STEP);
    (void)worker;
    for (size_t p = task * STEP; p < e; p++)
        j->prb[p] = (uint8_t)((j->pcls[p] & PS_RANK) >> PS_RANK_SHIFT) |
                    (j->pcls[p] & PS_ORIGIN ? PRB_ORIGIN : 0);
    posts_evict(j, task * STEP, e);
    prb_evict(j, task * STEP, e);
}

/* j->pos, each post's place in stratum order (the posts in increasing
 * order within a stratum, as ord has them), and sv->off, from the strata's
 * ranks pstr, which it frees (4 bytes a post; memory, read at random from
 * here on). */
static lk_status strata_places(copyjob *j, size_t n)
{
    size_t *cur = NULL;

    if (strata_offsets(j, n, j->sv, &cur) != LK_OK) {
        free(cur);
        return LK_ENOMEM;
    }
    if (j->pstr_fd1) {
        if (!(j->pos = lk_huge_malloc(LK_MAX(n, (size_t)1) * sizeof *j->pos))) {
            free(cur);
            return LK_ENOMEM;
        }
        for (size_t p = 0; p < n; p++) {
            j->pos[p] = (uint32_t)cur[j->pstr[p]]++;
            if ((p + 1) % STEP == 0 || p + 1 == n)
                posts_evict(j, p / STEP * STEP, p + 1);
        }
        pstr_release(j);
    } else {
        for (size_t p = 0; p < n; p++)
            j->pstr[p] = (uint32_t)cur[j->pstr[p]]++;
        j->pos = j->pstr;
        j->pstr = NULL;
    }
    free(cur);
    return LK_OK;
}

/* The group of strata from s0 on: as many as hold gcap posts in all (at
 * least one), into j->s0, g0 and g1; returns the stratum after it. */
static size_t next_group(copyjob *j, size_t s0, size_t gcap)
{
    const stratlist *sv = j->sv;
    size_t s1 = s0 + 1;
    while (s1 < sv->n && sv->off[s1 + 1] - sv->off[s0] <= gcap)
        s1++;
    j->s0 = s0;
    j->g0 = sv->off[s0];
    j->g1 = sv->off[s1];
    return s1;
}

/* In groups: the field the group's posts need from the posts', a place
 * each, read in post order and let go behind: the WHO copy's accounts
 * (gacc from pacc), the WHEN copy's byte of classes (gprb from prb). */
static void group_fill_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->nposts, (task + 1) * STEP);
    const int who = j->kind == LK_NULL_WHO;
    (void)worker;
    for (size_t p = task * STEP; p < e; p++) {
        const uint32_t i = j->pos[p];
        if (i < j->g0 || i >= j->g1)
            continue;
        if (who)
            j->gacc[i - j->g0] = j->pacc[p];
        else
            j->gprb[i - j->g0] = j->prb[p];
    }
    if (who)
        posts_evict(j, task * STEP, e);
    else
        prb_evict(j, task * STEP, e);
}

/* WHO, one group of strata (j->s0 .. s1, places g0 .. g1): its accounts
 * gathered in stratum order (group_fill_task), shuffled stratum by
 * stratum and given to the actions of its posts: 4 bytes a post of the
 * group, a pass over the posts and one over the actions. */
static lk_status who_group(copyjob *j, const nullshared *sh, unsigned threads, size_t s1)
{
    const size_t n = sh->nposts;
    if (!(j->gacc = lk_huge_malloc(LK_MAX(j->g1 - j->g0, (size_t)1) * sizeof *j->gacc)))
        return LK_ENOMEM;
    (void)lk_par_run(threads, nsteps(n), group_fill_task, j);
    posts_evict(j, 0, n); /* the pages two tasks shared */
    (void)lk_par_run(threads, s1 - j->s0, shuffle_task, j);
    pass(sh->ix, j->out, threads, nsteps(sh->ix->n), give_task, j);
    pid_evict(sh, 0, sh->ix->n);
    free(j->gacc);
    j->gacc = NULL;
    return LK_OK;
}

/* WHEN, one group: its byte of classes gathered (group_fill_task), its
 * posts' delays found, shuffled stratum by stratum and given to the
 * actions of its posts as new times: 13 bytes a post of the group (delays,
 * the shuffle's slots, the byte), a pass over the posts and three over
 * the actions. */
static lk_status when_group(copyjob *j, const nullshared *sh, unsigned threads, size_t s1)
{
    const size_t n = sh->nposts;
    lk_status st;
    if (!(j->gprb = lk_huge_malloc(LK_MAX(j->g1 - j->g0, (size_t)1))))
        return LK_ENOMEM;
    (void)lk_par_run(threads, nsteps(n), group_fill_task, j);
    prb_evict(j, 0, n); /* the pages two tasks shared */
    if ((st = find_delays(j, sh, threads)) != LK_OK)
        return st;
    if (!(j->slots = lk_huge_malloc(LK_MAX(j->g1 - j->g0, (size_t)1) * sizeof *j->slots)))
        return LK_ENOMEM;
    (void)lk_par_run(threads, s1 - j->s0, shuffle_task, j);
    free(j->slots);
    j->slots = NULL;
    primary_pass(j, sh, threads, PASS_TIMES);
    pass(sh->ix, j->out, threads, nsteps(sh->ix->n), give_task, j);
    pid_evict(sh, 0, sh->ix->n);
    free(j->pdelay);
    free(j->gprb);
    j->pdelay = NULL;
    j->gprb = NULL;
    return LK_OK;
}

/* Each index action's group (modulo 256) into gid, from its post's place
 * and the groups' first places gstart (a binary search: the groups are
 * few, the actions many). */
static void gid_task(void *ctx, size_t task, unsigned worker)
{
    const copyjob *j = ctx;
    const size_t e = LK_MIN(j->sh->ix->n, (task + 1) * STEP);
    (void)worker;
    for (size_t x = task * STEP; x < e; x++) {
        if (x + PREFETCH < e)
            __builtin_prefetch(&j->pos[j->sh->pid[x + PREFETCH]]);
        j->gid[x] = (uint8_t)lk_last_le(j->gstart, j->ngroups, j->pos[j->sh->pid[x]]);
    }
    pid_evict(j->sh, task * STEP, e);
    gid_evict(j, task * STEP, e);
}

static void gid_release(copyjob *j)
{
    bytes_release(&j->gid, j->sh->ix->n, &j->gid_fd1);
}

/* More than two groups: gid made (gid_task), `mapped` (under a cap) a
 * mapped file in j->map_dir.  One or two groups: none (its pass would cost about
 * what it saves). */
static lk_status make_gid(copyjob *j, const nullshared *sh, unsigned threads, size_t gcap,
                          int mapped)
{
    size_t ng = 0;
    uint64_t *gstart;
    lk_status st;

    for (size_t s0 = 0; s0 < j->sv->n; s0 = next_group(j, s0, gcap))
        ng++;
    if (ng <= 2)
        return LK_OK;
    if (!(gstart = malloc((ng + 1) * sizeof *gstart)))
        return LK_ENOMEM;
    ng = 0;
    for (size_t s0 = 0; s0 < j->sv->n; ng++) {
        s0 = next_group(j, s0, gcap);
        gstart[ng] = j->g0;
    }
    gstart[ng] = j->g1;
    if ((st = bytes_alloc(j, sh->ix->n, mapped, &j->gid, &j->gid_fd1)) != LK_OK) {
        free(gstart);
        return st;
    }
    j->gstart = gstart;
    j->ngroups = ng;
    (void)lk_par_run(threads, nsteps(sh->ix->n), gid_task, j);
    pid_evict(sh, 0, sh->ix->n); /* the pages two tasks shared */
    gid_evict(j, 0, sh->ix->n);
    free(gstart);
    j->gstart = NULL;
    return LK_OK;
}

/*
 * A copy in groups of strata of at most gcap posts (a stratum larger than
 * that is a group of its own): pos, each post's place in stratum order
 * (strata_places, 4 bytes a post), then each group in turn (who_group,
 * when_group) shuffles its accounts or delays stratum by stratum and
 * gives the actions of its posts their new accounts or times (out, made
 * here).  What a post's group needs of the posts (the WHO copy's accounts,
 * the WHEN copy's byte of classes) is read in post order, under a cap
 * from a file.  The same copy as in one group: the same draws on the same
 * values in the same order.
 */
static lk_status copy_groups(copyjob *j, const nullshared *sh, unsigned threads, size_t gcap,
                             const char *map_dir, char *errbuf)
{
    const size_t n = sh->nposts;
    size_t groups = 0, most = 0;
    lk_status st;

    if ((st = strata_places(j, n)) != LK_OK ||
        (st = lk_cols_alloc_share(j->out, sh->ix->n, j->share, map_dir, errbuf)) != LK_OK ||
        (st = make_gid(j, sh, threads, gcap, map_dir != NULL)) != LK_OK)
        return st;
    for (size_t s0 = 0, s1; s0 < j->sv->n; s0 = s1) {
        s1 = next_group(j, s0, gcap);
        most = LK_MAX(most, j->g1 - j->g0);
        j->gnum = (uint8_t)groups++;
        if ((st = (j->kind == LK_NULL_WHO ? who_group : when_group)(j, sh, threads, s1)) != LK_OK)
            return st;
    }
    lk_log(LK_LOG_INFO,
           "calibration: the %s copy's %s shuffled in %zu groups of strata (%zu posts at most, "
           "of %zu)%s",
           null_name[j->kind], j->kind == LK_NULL_WHO ? "accounts" : "delays", groups, most, n,
           j->gid ? ", each action's group in a byte" : "");
    gid_release(j);
    return LK_OK;
}

/*
 * The unit of the shuffle is the *post* (all actions of one input record:
 * a reply's reply and mention objects, a post's URLs and hashtags), so that
 * what one post does on several traces stays together, as in the data.  A
 * post's stratum is the trace mask of its actions and, for its primary
 * action (the lowest trace), the popularity class of the object and the
 * time class of its delay after the object's first action, and how many
 * of the object's actions fall in its first ten minutes (a viral post is
 * front-loaded, a slow cascade is not): a fan's early
 * joins of viral posts are exchanged with other early joins of viral posts,
 * a ring's early retweets of small posts with other early retweets of small
 * posts.
 *
 * The copy is built as the aggregation reads it (lk_cols: 16 bytes an
 * action, index order, the same object runs as ix), on `threads` threads
 * (the same copy on any number).  Its columns are made only once the
 * posts are sorted into strata and shuffled, and the posts are freed
 * before but for the one field the actions take (WHO its account, 4
 * bytes; WHEN its time, 8); with map_dir (under a cap) the columns are a file
 * there, mapped, whose pages the passes let go as they write them
 * (cols.h), else memory.  errbuf: for an error of that file.  perm (may
 * be NULL; ix->n entries) receives for each position the index action it
 * came from (tests).
 */
static lk_status null_cols(nullshared *sh, lk_null_kind kind, uint64_t seed, unsigned threads,
                           const lk_null_caps *caps, const char *map_dir, char *errbuf,
                           lk_cols *out, uint32_t *perm, uint64_t *strata)
{
    const size_t gcap = kind == LK_NULL_WHO ? caps->who_group : caps->when_group;
    const lk_objindex *ix = sh->ix;
    const size_t np = LK_MAX(sh->nposts, (size_t)1), na = nsteps(ix->n);
    stratlist sv;
    copyjob j;
    double t[6]; /* the steps' ends, for -vv */
    int grouped = 0;
    lk_status st = LK_ENOMEM;

    memset(out, 0, sizeof *out);
    memset(&j, 0, sizeof j);
    memset(&sv, 0, sizeof sv);
    *strata = 0;
    j.sh = sh;
    j.kind = kind;
    j.seed = seed;
    j.sv = &sv;
    j.out = out;
    j.perm = perm;
    j.kcap = caps->keys;
    j.bcap = caps->build;
    j.map_dir = map_dir;
    j.errbuf = errbuf;
    j.share = caps->share;
    j.ranks = caps->dist ? (size_t)lk_dist_size() : 1;
    t[0] = lk_mono_s();
    if ((st = copy_posts(&j, sh, threads, errbuf)) != LK_OK)
        goto done;
    t[1] = lk_mono_s();
    if ((st = assign_strata(&j, threads)) != LK_OK)
        goto done;
    t[2] = lk_mono_s();
    /* the shuffle moves the accounts (WHO) or the delays (WHEN, which
     * needs of pcls only which posts are their object's first and their
     * primary actions' ranks: prb, a byte): the rest goes before the posts
     * are sorted by stratum */
    if (j.pmap)
        lk_log(LK_LOG_INFO,
               "calibration: the %s copy's strata found from its posts' file, their ranks in "
               "another in %s (%zu bytes), read in order",
               null_name[kind], map_dir, sh->nposts * sizeof *j.pstr);
    if (kind == LK_NULL_WHO && gcap && gcap < sh->nposts) {
        /* the accounts a group of strata at a time, from where they are */
        if (!j.pmap) {
            free(j.pcls);
            j.pcls = NULL;
        }
    } else if (kind == LK_NULL_WHO) {
        if (j.pmap) { /* the accounts, shuffled at random: memory */
            uint32_t *acc = lk_huge_malloc(np * sizeof *acc);
            if (!acc) {
                st = LK_ENOMEM;
                goto done;
            }
            posts_release(&j);
            j.pacc = acc;
            if ((st = lk_tmpfile_read_par(sh->ps_fd1 - 1, acc, sh->nposts * sizeof *acc,
                                          PS_ACC_OFF(sh->nposts), threads, sh->ps_dir, errbuf)) !=
                LK_OK)
                goto done;
        } else {
            free(j.pcls);
            j.pcls = NULL;
        }
    } else {
        if (!j.pmap) {
            free(j.pacc);
            j.pacc = NULL;
        }
        /* in groups under a cap a file, read in post order */
        if ((st = prb_alloc(&j, map_dir && gcap && gcap < sh->nposts)) != LK_OK)
            goto done;
        (void)lk_par_run(threads, nsteps(sh->nposts), prb_task, &j);
        prb_evict(&j, 0, sh->nposts);
        if (j.pmap) { /* the posts' file is done with */
            posts_release(&j);
            lk_tmpfile_close(sh->ps_fd1 - 1);
            sh->ps_fd1 = 0;
        } else {
            free(j.pcls);
            j.pcls = NULL;
        }
    }
    /* under a cap: the heap keeps the field it freed resident, and the
     * next it makes (the WHEN copy's delays) does not always fit the hole
     * (0.4 GB at the WHEN copy's peak at 2 x 10^8 actions) */
    if (map_dir)
        (void)malloc_trim(0);
    if (gcap && gcap < sh->nposts) {
        /* each action's new account or time, a group of strata at a time */
        if ((st = copy_groups(&j, sh, threads, gcap, map_dir, errbuf)) != LK_OK)
            goto done;
        *strata = sv.n;
        t[3] = t[2]; /* the shuffle and the times together, group by group */
        grouped = 1;
    } else {
        if ((st = sort_by_stratum(&j, sh->nposts, &sv)) != LK_OK)
            goto done;
        pstr_release(&j);
        j.gprb = j.prb; /* one group: a slot is a post */
        if (kind == LK_NULL_WHEN && (st = find_delays(&j, sh, threads)) != LK_OK)
            goto done;
        (void)lk_par_run(threads, sv.n, shuffle_task, &j);
        *strata = sv.n;
        /* every action takes its post's new account (WHO) or time (WHEN,
         * from the objects' births; the pass finds each post's primary
         * action by the rank in prb), which goes before the rest of the
         * columns */
        free(sv.ord);
        sv.ord = NULL;
        if (kind == LK_NULL_WHEN)
            primary_pass(&j, sh, threads, PASS_TIMES);
        t[3] = lk_mono_s();
        /* in memory, a column's pages come as they are written; mapped,
         * they go as they are (cols.h) */
        if ((st = lk_cols_alloc_share(out, ix->n, j.share, map_dir, errbuf)) != LK_OK)
            goto done;
        if (kind == LK_NULL_WHO) {
            pass(ix, out, threads, na, give_task, &j);
            free(j.pacc);
            j.pacc = NULL;
        } else {
            prb_release(&j);
            pass(ix, out, threads, na, give_task, &j);
        }
    }
    stratlist_release(&sv);
    prb_release(&j);
    free(j.pos);
    free(j.pdelay);
    j.pos = NULL;
    j.pdelay = NULL;
    pass(ix, out, threads, na, kind == LK_NULL_WHO ? who_rest_task : when_rest_task, &j);
    pid_evict(sh, 0, ix->n); /* the pages two tasks shared */
    if (perm)
        for (size_t r = 0; r < ix->n; r++)
            perm[r] = (uint32_t)r;
    t[4] = lk_mono_s();
    st = kind == LK_NULL_WHEN ? resort_runs(&j, threads) : LK_OK;
    t[5] = lk_mono_s();
    lk_log(LK_LOG_DEBUG,
           "calibration: %s copy: posts %.3f s, strata %.3f s, shuffle %.3f s, columns %.3f s%s, "
           "re-sort %.3f s",
           null_name[kind], t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3],
           grouped ? " (with the shuffle, in groups)" : "", t[5] - t[4]);
done:
    posts_release(&j);
    gid_release(&j);
    free(j.pdelay);
    pstr_release(&j);
    if (j.gprb != j.prb)
        free(j.gprb);
    prb_release(&j);
    free(j.pos);
    free(j.slots);
    stratlist_release(&sv);
    if (st != LK_OK)
        lk_cols_release(out);
    return st;
}

lk_status lk_objindex_null(const lk_objindex *ix, const lk_dataset *ds, lk_null_kind kind,
                           uint64_t seed, unsigned threads, const lk_null_caps *caps,
                           lk_objindex *out, uint64_t *strata)
{
    static const lk_null_caps whole = {NULL, 0, 0, 0, 0, NULL, 0};
    const lk_null_caps *cc = caps ? caps : &whole;
    uint32_t *perm = lk_huge_malloc(LK_MAX(ix->n, (size_t)1) * sizeof *perm);
    char errbuf[LK_ERRMSG_MAX];
    nullshared sh;
    lk_cols c;
    lk_status st = LK_ENOMEM;

    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    memset(&sh, 0, sizeof sh);
    *strata = 0;
    if (!perm)
        return LK_ENOMEM;
    errbuf[0] = '\0';
    if ((st = null_shared_init(&sh, ix, ds, NULL, threads, NULL, 0, NULL)) != LK_OK)
        goto done;
    sh.ps_dir = cc->tmp_dir; /* the WHEN copy builds its posts again */
    if ((st = null_cols(&sh, kind, seed, threads, cc, cc->tmp_dir, errbuf, &c, perm, strata)) !=
        LK_OK)
        goto done;
    st = LK_ENOMEM;
    out->a = lk_huge_malloc(LK_MAX(ix->n, (size_t)1) * sizeof *out->a);
    out->start = lk_huge_malloc((ix->nobj + 1) * sizeof *out->start);
    if (!out->a || !out->start)
        goto done;
    out->n = ix->n;
    out->nobj = ix->nobj;
    memcpy(out->start, ix->start, (ix->nobj + 1) * sizeof *ix->start);
    for (size_t r = 0; r < ix->n; r++) {
        out->a[r] = ix->a[perm[r]];
        /* c.t[0..n) is written by null_cols' tasks (the analyser cannot
         * follow lk_par_run's function pointer) */
        // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign)
        out->a[r].t = c.t[r];
        out->a[r].account = c.acc[r];
    }
    st = LK_OK;
done:
    free(perm);
    null_shared_release(&sh);
    lk_cols_release(&c);
    if (st != LK_OK)
        lk_objindex_release(out);
    return st;
}

/* An edge is "exclusive" when its co-action events are on objects with this
 * many accounts or fewer on average (geometric mean, from the idf weights). */
#define EXCLUSIVE_K 32.0
/* ... and repeated at least this many times. */
#define EXCLUSIVE_EVENTS 3

/* The activity bin of a pair of accounts (qvalue.h). */
static uint32_t pair_bin(const uint8_t *cls, uint32_t a, uint32_t b)
{
    const uint32_t x = LK_MIN(cls[a], cls[b]), y = LK_MAX(cls[a], cls[b]);
    return y * LK_QV_CLASSES + x;
}

/* Per account, its distinct objects in increasing order (CSR); only the
 * marked accounts' (build_lists), the others' lists are empty. */
typedef struct objlists {
    uint64_t *off;
    uint32_t *obj;
} objlists;

/* build_lists' work: per task (STEP objects) the (account << 32 | object)
 * of its marked accounts' actions, each pair once; per worker, the last
 * object each account was seen on. */
typedef struct listjob {
    const lk_objindex *ix;
    const uint8_t *mark;
    uint32_t **last;
    uint64_t **v;
    size_t *nv, *cap;
    lk_status *st;
} listjob;

static void lists_task(void *ctx, size_t task, unsigned worker)
{
    const listjob *j = ctx;
    const lk_objindex *ix = j->ix;
    const size_t oe = LK_MIN(ix->nobj, (task + 1) * STEP);
    uint32_t *last = j->last[worker];
    for (size_t o = task * STEP; o < oe; o++)
        for (uint64_t r = ix->start[o]; r < ix->start[o + 1]; r++) {
            const uint32_t a = ix->a[r].account;
            if (!j->mark[a] || last[a] == (uint32_t)o)
                continue;
            last[a] = (uint32_t)o;
            if (LK_GROW(j->v[task], j->nv[task] + 1, j->cap[task]) != LK_OK) {
                j->st[task] = LK_ENOMEM;
                return;
            }
            j->v[task][j->nv[task]++] = (uint64_t)a << 32 | (uint32_t)o;
        }
    lk_objindex_evict(ix, (size_t)ix->start[task * STEP], (size_t)ix->start[oe]);
}

/* The object lists of the marked accounts (mark: nacc bytes): one pass
 * over the index on `threads` threads, object ranges a task, whose pairs
 * are then counted into place by account in task order (so each list is
 * in increasing object order).  Only the edges that pass their q-values
 * need lists: at 10^8 actions 39 accounts of 5 M, whose lists for all
 * accounts took two serial passes and 4 bytes an action. */
static lk_status build_lists(const lk_objindex *ix, size_t nacc, const uint8_t *mark,
                             unsigned threads, objlists *l)
{
    const size_t ns = nsteps(ix->nobj), nt = LK_MAX(ns, (size_t)1);
    const unsigned w = LK_MAX(LK_MIN(threads, (unsigned)LK_PAR_MAX), 1u);
    listjob j = {ix,
                 mark,
                 calloc(w, sizeof(uint32_t *)),
                 calloc(nt, sizeof(uint64_t *)),
                 calloc(nt, sizeof(size_t)),
                 calloc(nt, sizeof(size_t)),
                 calloc(nt, sizeof(lk_status))};
    uint64_t *fill = NULL;
    size_t total = 0;
    lk_status st = LK_ENOMEM;

    l->off = calloc(nacc + 1, sizeof *l->off);
    fill = malloc(LK_MAX(nacc, (size_t)1) * sizeof *fill);
    if (!l->off || !fill || !j.last || !j.v || !j.nv || !j.cap || !j.st)
        goto done;
    for (unsigned k = 0; k < w; k++) {
        if (!(j.last[k] = malloc(LK_MAX(nacc, (size_t)1) * sizeof **j.last)))
            goto done;
        memset(j.last[k], 0xff, LK_MAX(nacc, (size_t)1) * sizeof **j.last);
    }
    pass(ix, NULL, w, ns, lists_task, &j);
    for (size_t t = 0; t < ns; t++) {
        if (j.st[t] != LK_OK)
            goto done;
        total += j.nv[t];
        for (size_t i = 0; i < j.nv[t]; i++)
            l->off[(j.v[t][i] >> 32) + 1]++;
    }
    for (size_t a = 0; a < nacc; a++)
        l->off[a + 1] += l->off[a];
    if (!(l->obj = malloc(LK_MAX(total, (size_t)1) * sizeof *l->obj)))
        goto done;
    memcpy(fill, l->off, nacc * sizeof *fill);
    for (size_t t = 0; t < ns; t++)
        for (size_t i = 0; i < j.nv[t]; i++)
            l->obj[fill[j.v[t][i] >> 32]++] = (uint32_t)j.v[t][i];
    st = LK_OK;
done:
    for (unsigned k = 0; j.last && k < w; k++)
        free(j.last[k]);
    for (size_t t = 0; j.v && t < ns; t++)
        free(j.v[t]);
    free(j.last);
    free(j.v);
    free(j.nv);
    free(j.cap);
    free(j.st);
    free(fill);
    return st;
}

static uint32_t intersect(const objlists *l, uint32_t a, uint32_t b)
{
    uint64_t i = l->off[a], ie = l->off[a + 1], j = l->off[b], je = l->off[b + 1];
    uint32_t n = 0;
    while (i < ie && j < je) {
        if (l->obj[i] < l->obj[j]) {
            i++;
        } else if (l->obj[i] > l->obj[j]) {
            j++;
        } else {
            n++;
            i++;
            j++;
        }
    }
    return n;
}

/* Where null_qvalues gets what a real edge's q-values are computed from,
 * its score key and activity bin, when it needs them: from the network's
 * edges, in memory or parked.  Without a memory cap they are found once
 * and kept for both null copies.  Under one (lazy) each copy's q-values
 * read the edges again, once its scales are known, for their z alone,
 * twice (real_zscan: the histogram of all z, then the edges down to the
 * lowest cut that could pass), and hold none of them: only the q-values
 * at most the rate are kept (16 bytes an edge and 8 a real edge before;
 * at 2 x 10^8 simulated actions, 99.6 M kept edges, the latter was 0.8
 * GB of the calibration's peak).  Under mpirun (ranks) each rank reads
 * its own share of the edges. */
typedef struct realsrc {
    lk_net *net;
    const uint8_t *cls;    /* per account: its activity class */
    lk_kv *real;           /* NULL until wanted */
    const lk_qv_scale *sc; /* lazy: the copy's scales, while its q-values are found */
    int lazy;
    unsigned threads; /* to read them from their file on */
    char *errbuf;     /* that file's errors */
    int ranks;        /* under mpirun: net holds this rank's share of the
                         kept edges (lk_net_opts.local), lazy, and the
                         q-values are found by all ranks together
                         (lk_qvalues_scan_ranks) */
} realsrc;

static int real_key(void *ctx, lk_edge *e, size_t k)
{
    const realsrc *rs = ctx;
    rs->real[k].key = lk_double_key(e->score);
    rs->real[k].val = pair_bin(rs->cls, e->a, e->b);
    return 1;
}

/* fn with each real edge: read from their file when parked. */
static lk_status each_real(realsrc *rs, lk_edge_fn fn, char *errbuf)
{
    if (lk_net_parked(rs->net))
        return lk_net_scan(rs->net, rs->threads, fn, rs, errbuf);
    for (size_t k = 0; k < rs->net->n; k++)
        (void)fn(rs, &rs->net->e[k], k);
    return LK_OK;
}

/* Lazy: a scan of the real edges' z keys on the scales rs->sc
 * (lk_qv_zscan), each edge read from their file and handed over. */
typedef struct zscan {
    realsrc *rs;
    void (*fn)(void *fctx, size_t i, uint64_t z);
    void *fctx;
} zscan;

static int zscan_edge(void *ctx, lk_edge *e, size_t k)
{
    const zscan *c = ctx;
    c->fn(c->fctx, k,
          lk_qv_zkey(lk_double_key(e->score), pair_bin(c->rs->cls, e->a, e->b), c->rs->sc));
    return 1;
}

static lk_status real_zscan(void *ctx, void (*fn)(void *fctx, size_t i, uint64_t z), void *fctx)
{
    realsrc *rs = ctx;
    zscan c = {rs, fn, fctx};
    if (lk_net_parked(rs->net))
        return lk_net_scan(rs->net, rs->threads, zscan_edge, &c, rs->errbuf);
    for (size_t k = 0; k < rs->net->n; k++)
        (void)zscan_edge(&c, &rs->net->e[k], k);
    return LK_OK;
}

static lk_status real_keys(realsrc *rs, char *errbuf)
{
    if (rs->real)
        return LK_OK;
    if (!(rs->real = malloc(LK_MAX(rs->net->n, (size_t)1) * sizeof *rs->real)))
        return LK_ENOMEM;
    return each_real(rs, real_key, errbuf);
}

/* A copy's q-values of the real edges: every edge's (q), or under a cap
 * those at most alpha alone (hits, lk_qvalues_scan; cur follows the edges
 * the verdict asks for, in order). */
typedef struct qset {
    double *q;
    lk_kv *hits;
    size_t nhits, cur;
} qset;

static double qset_at(qset *s, size_t k)
{
    return s->q ? s->q[k] : lk_qv_hit_at(s->hits, s->nhits, &s->cur, k);
}

static void qset_release(qset *s)
{
    free(s->q);
    free(s->hits);
    s->q = NULL;
    s->hits = NULL;
    s->nhits = s->cur = 0;
}

/* Under mpirun: rank 0's scales sc (it alone holds the null edges) to
 * every rank, for the z of its own real edges.  Collective; st is this
 * rank's status so far (agreed first). */
static lk_status scales_from_root(lk_qv_scale *sc, lk_status st, char *errbuf)
{
    const size_t len = LK_QV_NBINS * sizeof *sc;
    void *all = NULL;
    size_t got = 0;

    if ((st = lk_dist_from_root(sc, len, st, &all, &got, errbuf)) == LK_OK) {
        if (got == len && sc)
            memcpy(sc, all, len);
        else
            st = LK_EINVAL; /* a bug: every rank sees it */
    }
    free(all);
    return st;
}

/*
 * The q-values of the real edges (rs) against the null edges kv[0..nn)
 * (lk_double_key(score), bin), which this frees: the bins' scales first
 * (lk_qv_scales holds 8 bytes a null edge meanwhile), then the real
 * edges' keys, then lk_qvalues into q->q, exact where q <= alpha (the
 * verdict reads no other).  Lazy (under a cap): the real edges' z keys
 * are read from their file twice instead (lk_qvalues_scan), none of them
 * held, and only the q-values at most alpha are kept, into q->hits.
 */
static lk_status qvalues(realsrc *rs, lk_kv *kv, size_t nn, double nweight, qset *q, double alpha,
                         unsigned threads, char *errbuf)
{
    lk_qv_scale *sc = malloc(LK_QV_NBINS * sizeof *sc);
    double t0 = lk_mono_s(), t1, t2;
    lk_status st = LK_ENOMEM;

    if (sc)
        st = lk_qv_scales(kv, nn, sc, threads);
    if (rs->ranks && (st = scales_from_root(sc, st, errbuf)) != LK_OK)
        goto done;
    if (st != LK_OK)
        goto done;
    t1 = lk_mono_s();
    if (!rs->lazy && (st = real_keys(rs, errbuf)) != LK_OK)
        goto done;
    t2 = lk_mono_s();
    if (rs->lazy) {
        rs->sc = sc;
        st = rs->ranks ? lk_qvalues_scan_ranks(kv, nn, nweight, real_zscan, rs, rs->net->n, sc,
                                               alpha, threads, &q->hits, &q->nhits, errbuf)
                       : lk_qvalues_scan(kv, nn, nweight, real_zscan, rs, rs->net->n, sc, alpha,
                                         threads, &q->hits, &q->nhits);
        rs->sc = NULL;
    } else {
        st = lk_qvalues(kv, nn, nweight, rs->real, rs->net->n, sc, alpha, threads, q->q);
    }
    lk_log(LK_LOG_DEBUG,
           "calibration: q-values: null scales %.3f s, real keys %.3f s, z and q %.3f s%s", t1 - t0,
           t2 - t1, lk_mono_s() - t2, rs->lazy ? " (the real z keys read twice, not held)" : "");
done:
    free(kv);
    free(sc);
    return st;
}

/*
 * The q-values of the real edges (rs, as for qvalues) against one null
 * copy nc of ix (released here), aggregated with the real network's idf.
 * Under mpirun every rank takes part in the null's aggregation and the
 * q-values (collective): rank 0 holds the null's edges, each rank its
 * share of the real ones, whose q-values it receives.
 */
static lk_status null_qvalues(const lk_objindex *ix, lk_cols *nc, const lk_share *share,
                              const double *idf, realsrc *rs, const lk_calib_opts *o,
                              lk_null_kind kind, qset *q, lk_calib_stats *st)
{
    lk_net null;
    lk_net_opts no;
    lk_kv *bv;
    size_t nn;
    double t0;
    lk_status ret;

    memset(&null, 0, sizeof null);
    memset(&no, 0, sizeof no);
    no.window_ms = o->window_ms;
    no.max_burst = o->max_burst;
    no.min_keep = o->min_keep;
    no.budget = o->budget;
    no.threads = o->threads;
    no.tmp_dir = o->tmp_dir;
    no.errbuf = o->errbuf;
    no.cols = nc;
    no.scores_only = 1; /* a null edge is only ever its bin and score */
    no.sample_log2 = LK_MIN(o->null_sample_log2, 16u);
    no.share = share;
    t0 = lk_mono_s();
    ret = lk_net_build_ex(ix, NULL, idf, &no, &null);
    lk_cols_release(nc);
    if (ret != LK_OK)
        return ret;
    lk_log(LK_LOG_DEBUG,
           "calibration: %s null copy aggregated in %.3f s (%llu pairs, %llu of one record only "
           "counted, %u partition(s))",
           null_name[kind], lk_mono_s() - t0, (unsigned long long)null.pairs,
           (unsigned long long)null.singles, null.partitions);
    t0 = lk_mono_s();
    st->null_pairs += null.pairs; /* these three summed over the ranks */
    st->spilled += null.spilled;
    st->shuffled += null.shuffled;
    st->null_edges += null.n; /* rank 0: all of them; elsewhere 0 */
    lk_log(LK_LOG_DEBUG, "rank %d: %zu edges of the %s null copy held after aggregation",
           lk_dist_rank(), null.n, kind == LK_NULL_WHO ? "WHO" : "WHEN");
    /* the pair of each kept null edge becomes its activity bin (under
     * mpirun rank 0 holds them all, and every rank judges its own share of
     * the real edges) */
    nn = null.n;
    if (no.sample_log2 && nn < LK_CALIB_SAMPLE_MIN_EDGES && lk_dist_rank() == 0)
        lk_log(LK_LOG_WARN,
               "calibration: the %s null copy's sample of one in %u account pairs holds %zu "
               "edges; with fewer than %u its q-values are noisy (a smaller --null-sample, or "
               "auto, is safer)",
               null_name[kind], 1u << no.sample_log2, nn, (unsigned)LK_CALIB_SAMPLE_MIN_EDGES);
    bv = null.sk;
    null.sk = NULL;
    for (size_t k = 0; k < nn; k++)
        bv[k].val = pair_bin(rs->cls, (uint32_t)(bv[k].val >> 32), (uint32_t)bv[k].val);
    lk_net_release(&null);
    ret = qvalues(rs, bv, nn, (double)(UINT64_C(1) << no.sample_log2), q, o->fdr,
                  LK_MAX(o->threads, 1u), o->errbuf); /* bv freed */
    lk_log(LK_LOG_DEBUG, "calibration: q-values against the %s null in %.3f s", null_name[kind],
           lk_mono_s() - t0);
    return ret;
}

/* The fewest posts any of the three below takes at once: smaller pieces
 * would only add passes over the actions. */
#define COPY_LEAST ((uint64_t)1 << 16)

/* The posts the WHO copy builds at once under a cap of `budget` bytes
 * (build_to_file, 8 bytes a post; 0: all). */
static size_t build_cap(uint64_t budget, size_t nposts)
{
    if (8 * (uint64_t)nposts <= budget)
        return 0;
    return (size_t)LK_MAX(budget / 8, COPY_LEAST);
}

/* The posts of a group of strata shuffled together by a copy that keeps
 * `floor` bytes a post beside `each` a post of the group: what the budget
 * leaves beside the floor, but at least a quarter of the budget (and
 * COPY_LEAST posts).  Below that the run passes its cap by the floor
 * whatever the group, and smaller groups would only add passes over the
 * actions: groups of 65,536 posts cut 3.5 x 10^7 posts into 529, three
 * passes over 5 x 10^7 actions each for the WHEN copy. */
static size_t group_cap(uint64_t budget, uint64_t n, unsigned floor, unsigned each)
{
    const uint64_t room = budget > floor * n ? budget - floor * n : 0;
    return (size_t)LK_MAX(LK_MAX(room, budget / 4) / each, COPY_LEAST);
}

/* The posts of a group of strata whose accounts the WHO copy shuffles
 * together (who_group, 4 bytes a post of a group beside 4 a post; 0:
 * all at once, in 8 bytes a post). */
static size_t who_gcap(uint64_t budget, size_t nposts)
{
    return 8 * (uint64_t)nposts <= budget ? 0 : group_cap(budget, nposts, 4, 4);
}

/* The same for the WHEN copy's delays (when_group, 13 bytes a post of a
 * group beside 4 a post; 0: all at once, in 13 a post). */
static size_t when_gcap(uint64_t budget, size_t nposts)
{
    return 13 * (uint64_t)nposts <= budget ? 0 : group_cap(budget, nposts, 4, 13);
}

/* The null aggregations' budget: the pair stage's less what is held beside
 * it (without a cap both copies; under one, whose copy is mapped, cols.h,
 * the null edges' scores), but at least an eighth of it (a smaller one
 * would only cut the spilled records into smaller blocks, see detect.c). */
static uint64_t null_budget(uint64_t budget, uint64_t copies)
{
    /* down to the pair stage's floor: half of the budget was room for
     * pairs beyond the cap when the copies were large and resident (1.7 GB
     * more at 10^8 actions under 4G) */
    return budget - budget / 8 > copies ? budget - copies : budget / 8;
}

/* The two null copies, built one after the other or side by side (one
 * task each). */
typedef struct nulls {
    nullshared sh;
    unsigned threads; /* each copy's */
    uint64_t seed;
    lk_cols nc[2];
    const char *map_dir; /* the copies' columns mapped from files here (cols.h);
                            NULL: in memory */
    char *errbuf;        /* for an error of the files (map_dir) */
    lk_null_caps caps;   /* under a cap: the posts built (build_to_file), the strata's keys
                            sorted (assign_strata) and the WHO copy's accounts and the WHEN
                            copy's delays shuffled (copy_groups) for this many
                            posts at most at once (0: all) */
    uint64_t strata[2];
    lk_status st[2];
} nulls;

static void null_task(void *ctx, size_t kind, unsigned worker)
{
    nulls *n = ctx;
    const double t0 = lk_mono_s();
    (void)worker;
    n->st[kind] = null_cols(&n->sh, (lk_null_kind)kind, n->seed + (uint64_t)kind, n->threads,
                            &n->caps, n->map_dir, n->errbuf, &n->nc[kind], NULL, &n->strata[kind]);
    lk_log(LK_LOG_DEBUG, "calibration: %s null copy built in %.3f s (%llu strata)", null_name[kind],
           lk_mono_s() - t0, (unsigned long long)n->strata[kind]);
}

typedef struct judgectx {
    const lk_calib_opts *o;
    lk_calib_stats *st;
    qset *qwho, *qwhen; /* read in edge order */
    double active;
} judgectx;

/* The q-value of edge k; 1 when it passes (the synchrony is judged after,
 * judge_sync, on the edges that pass alone). */
static int judge_q(void *ctx, lk_edge *e, size_t k)
{
    judgectx *c = ctx;
    /* the popularity null must fail to explain the edge, and so must the
     * timing null unless the edge's objects are exclusive (the timing null
     * is blind to objects only a group touches: their time profile is the
     * group's own) */
    const double mean_k = e->events ? exp(-e->score / (double)e->events) * c->active : c->active;
    const double q1 = qset_at(c->qwho, k), q2 = qset_at(c->qwhen, k);
    e->qvalue = mean_k <= EXCLUSIVE_K && e->events >= EXCLUSIVE_EVENTS ? q1 : LK_MAX(q1, q2);
    e->coord = 0;
    if (!(e->qvalue <= c->o->fdr))
        return 0;
    c->st->pass_score++;
    if (c->st->score_cut == 0 || e->score < c->st->score_cut)
        c->st->score_cut = e->score;
    return 1;
}

/*
 * The verdict on the edges that pass their q-values (judge_q): their
 * common objects and synchrony, and coordinated when it is high enough.
 * Only their accounts' object lists are built.  With `only` (the edges
 * read back from their file were those that pass) the network keeps the
 * coordinated ones alone, as the output needs no other.
 */
static lk_status judge_sync(const lk_objindex *ix, size_t nacc, lk_net *net, const lk_calib_opts *o,
                            lk_calib_stats *st, int only)
{
    uint8_t *mark = calloc(LK_MAX(nacc, (size_t)1), 1);
    objlists l = {NULL, NULL};
    size_t kept = 0;
    lk_status ret;

    if (!mark)
        return LK_ENOMEM;
    for (size_t k = 0; k < net->n; k++)
        if (net->e[k].qvalue <= o->fdr)
            mark[net->e[k].a] = mark[net->e[k].b] = 1;
    ret = build_lists(ix, nacc, mark, o->threads, &l);
    free(mark);
    if (ret != LK_OK)
        goto done;
    for (size_t k = 0; k < net->n; k++) {
        lk_edge *e = &net->e[k];
        if (!(e->qvalue <= o->fdr))
            continue;
        e->common = intersect(&l, e->a, e->b);
        e->sync = e->common ? (double)e->objects / (double)e->common : 0.0;
        if (e->sync >= o->min_sync) {
            e->coord = 1;
            st->pass_sync++;
            if (only)
                net->e[kept++] = *e;
        }
    }
    if (only) {
        net->n = kept;
        if (kept && kept < net->cap) { /* the slack back */
            lk_edge *x = realloc(net->e, kept * sizeof *x);
            net->e = x ? x : net->e;
            net->cap = kept;
        }
    }
done:
    free(l.off);
    free(l.obj);
    return ret;
}

/*
 * Under mpirun, after each rank judged its share of the edges (judge_q:
 * net holds those that pass, st their count and lowest score): all of
 * them to rank 0, in (a, b) order there, and the counts summed; the other
 * ranks keep none.  Collective; ret is this rank's status so far (agreed
 * first).
 */
static lk_status passed_to_root(lk_net *net, lk_calib_stats *st, lk_status ret, char *errbuf)
{
    uint64_t v[2] = {st->pass_score, st->pass_score ? lk_double_key(st->score_cut) : UINT64_MAX};

    lk_log(LK_LOG_DEBUG, "rank %d: %zu of its share of the kept edges pass their q-values",
           lk_dist_rank(), net->n);
    if ((ret = lk_dist_agree(ret, errbuf)) != LK_OK ||
        (ret = lk_dist_allreduce_u64(&v[0], 1, LK_DIST_SUM)) != LK_OK ||
        (ret = lk_dist_allreduce_u64(&v[1], 1, LK_DIST_MIN)) != LK_OK)
        return ret;
    st->pass_score = v[0];
    st->score_cut = v[1] == UINT64_MAX ? 0 : lk_key_double(v[1]);
    return lk_net_edges_to_root(net, LK_OK, errbuf);
}

/* Under a cap: an array of the real network that the copies do not read
 * (*a, `bytes` long) waits in a temporary file (*fd, written the first
 * time) while they are built and aggregated; unpark_array brings it back. */
static lk_status park_array(void **a, size_t bytes, const lk_calib_opts *o, int *fd)
{
    const char *dir = lk_tmpfile_dir(o->tmp_dir);
    lk_status st;

    if (!*a || bytes == 0)
        return LK_OK;
    if (*fd < 0) {
        if ((st = lk_tmpfile_open_sized(dir, bytes, fd, o->errbuf)) != LK_OK)
            return st;
        if ((st = lk_tmpfile_write(*fd, *a, bytes, 0, dir, o->errbuf)) != LK_OK)
            return st;
    }
    free(*a);
    *a = NULL;
    return LK_OK;
}

static lk_status unpark_array(void **a, size_t bytes, const lk_calib_opts *o, int fd)
{
    if (*a || fd < 0)
        return LK_OK;
    if (!(*a = lk_huge_malloc(LK_MAX(bytes, (size_t)1))))
        return LK_ENOMEM;
    return lk_tmpfile_read(fd, *a, bytes, 0, lk_tmpfile_dir(o->tmp_dir), o->errbuf);
}

/* The idf weights (8 bytes an object, 0.4 GB at 2 x 10^8 actions), which
 * only the copies' aggregations read: parked while the copies are built. */
static lk_status idf_park(lk_net *net, size_t nobj, const lk_calib_opts *o, int *fd)
{
    void *a = net->idf;
    const lk_status st = park_array(&a, nobj * sizeof *net->idf, o, fd);
    net->idf = a;
    return st;
}

static lk_status idf_unpark(lk_net *net, size_t nobj, const lk_calib_opts *o, int fd)
{
    void *a = net->idf;
    const lk_status st = unpark_array(&a, nobj * sizeof *net->idf, o, fd);
    net->idf = a;
    return st;
}

/* The real pairs' burst marks (a byte an action, 0.2 GB at 2 x 10^8),
 * which only the outputs read after the calibration: parked through it. */
static lk_status burst_park(lk_net *net, size_t n, const lk_calib_opts *o, int *fd)
{
    void *a = net->burst_mark;
    const lk_status st = park_array(&a, n, o, fd);
    net->burst_mark = a;
    return st;
}

static lk_status burst_unpark(lk_net *net, size_t n, const lk_calib_opts *o, int fd)
{
    void *a = net->burst_mark;
    const lk_status st = unpark_array(&a, n, o, fd);
    net->burst_mark = a;
    return st;
}

/* Under a cap, once the copies' shared part is made: the index's run
 * starts (8 bytes an object, 0.3 GB at 1.5 x 10^8 actions) written to a
 * temporary file (*fd) and mapped read-only in their place; start_evict
 * lets their pages go before each copy is built, whose build reads none
 * (the WHEN copy's re-sort and the aggregations read them back from the
 * file), and start_unpark puts them back in memory. */
static lk_status start_park(lk_objindex *ix, const lk_calib_opts *o, int *fd)
{
    const char *dir = lk_tmpfile_dir(o->tmp_dir);
    const size_t len = (ix->nobj + 1) * sizeof *ix->start;
    void *m = NULL;
    lk_status st;

    if ((st = lk_tmpfile_open_sized(dir, len, fd, o->errbuf)) != LK_OK)
        return st;
    if ((st = lk_tmpfile_write(*fd, ix->start, len, 0, dir, o->errbuf)) == LK_OK)
        st = lk_tmpfile_map_ro(*fd, len, dir, &m, o->errbuf);
    if (st != LK_OK) { /* the starts stay where they are */
        lk_tmpfile_close(*fd);
        *fd = -1;
        return st;
    }
    free(ix->start);
    ix->start = m;
    return LK_OK;
}

static void start_evict(const lk_objindex *ix, int fd)
{
    if (fd >= 0)
        (void)madvise(ix->start, (ix->nobj + 1) * sizeof *ix->start, MADV_DONTNEED);
}

/* The starts back in memory (fd >= 0: mapped); on failure they are gone
 * (NULL), which only the index's release reads after a failed
 * calibration. */
static lk_status start_unpark(lk_objindex *ix, const lk_calib_opts *o, int *fd)
{
    const size_t len = (ix->nobj + 1) * sizeof *ix->start;
    uint64_t *m;
    lk_status st = LK_ENOMEM;

    if (*fd < 0)
        return LK_OK;
    if ((m = lk_huge_malloc(len)) != NULL &&
        (st = lk_tmpfile_read(*fd, m, len, 0, lk_tmpfile_dir(o->tmp_dir), o->errbuf)) != LK_OK) {
        free(m);
        m = NULL;
    }
    (void)munmap(ix->start, len);
    ix->start = m;
    lk_tmpfile_close(*fd);
    *fd = -1;
    return st;
}

/* A q-value array for n real edges, all 1 until computed. */
static double *new_q(size_t n)
{
    double *q = malloc(LK_MAX(n, (size_t)1) * sizeof *q);
    for (size_t k = 0; q && k < n; k++)
        q[k] = 1.0;
    return q;
}

/* Under a memory cap, unless the caller did it: the copies are built in
 * passes over the index, and their aggregations read only its object runs,
 * so the actions (32 bytes each) wait on disk, mapped (read a few
 * megabytes at a time, lk_objindex_evict). */
static lk_status park_index(lk_objindex *ix, const lk_calib_opts *o)
{
    const double t0 = lk_mono_s();
    const lk_status st = lk_objindex_park_map(ix, lk_tmpfile_dir(o->tmp_dir), o->errbuf);
    if (st == LK_OK)
        lk_log(LK_LOG_INFO,
               "calibration: index (%zu bytes) parked in %s for the null copies: %.3f s",
               ix->n * sizeof *ix->a, lk_tmpfile_dir(o->tmp_dir), lk_mono_s() - t0);
    return st;
}

/* The copies' shared part (their posts), on all of o's threads. */
static lk_status null_shared(nulls *nl, const lk_objindex *ix, const lk_dataset *ds,
                             const lk_calib_opts *o)
{
    const double t0 = lk_mono_s();
    const lk_status st = null_shared_init(&nl->sh, ix, ds, o->obj_trace, LK_MAX(o->threads, 1u),
                                          nl->map_dir, o->budget, nl->errbuf);
    if (st == LK_OK)
        lk_log(LK_LOG_DEBUG, "calibration: %zu posts numbered in %.3f s", nl->sh.nposts,
               lk_mono_s() - t0);
    return st;
}

/* account_actions' tasks: STEP actions each, counted into the worker's
 * array. */
typedef struct actjob {
    const lk_objindex *ix;
    uint32_t **cnt;
} actjob;

static void nact_task(void *ctx, size_t task, unsigned worker)
{
    const actjob *j = ctx;
    const lk_objindex *ix = j->ix;
    const size_t e = LK_MIN(ix->n, (task + 1) * STEP);
    uint32_t *c = j->cnt[worker];
    for (size_t r = task * STEP; r < e; r++)
        c[ix->a[r].account]++;
    lk_objindex_evict(ix, task * STEP, e);
}

/* Each account's actions in the index (*nact, *nacc accounts: the table's,
 * or without one, up to the largest in the index), in one pass on
 * `threads` threads, each counting into its own array (4 bytes an account),
 * summed after. */
static lk_status account_actions(const lk_objindex *ix, const lk_dataset *ds, unsigned threads,
                                 size_t *nacc, uint64_t **nact)
{
    const unsigned w = LK_MAX(LK_MIN(threads, (unsigned)LK_PAR_MAX), 1u);
    actjob j = {ix, calloc(w, sizeof(uint32_t *))};
    size_t n = ds ? lk_strpool_count(ds->accounts) : 0;
    lk_status st = LK_ENOMEM;

    if (!ds) {
        for (size_t r = 0, ev = 0; r < ix->n; r++) {
            n = LK_MAX(n, (size_t)ix->a[r].account + 1);
            ev = lk_objindex_evict_behind(ix, ev, r + 1);
        }
        lk_objindex_evict(ix, 0, ix->n);
    }
    *nacc = n;
    *nact = calloc(LK_MAX(n, (size_t)1), sizeof **nact);
    if (!*nact || !j.cnt)
        goto done;
    for (unsigned k = 0; k < w; k++)
        if (!(j.cnt[k] = calloc(LK_MAX(n, (size_t)1), sizeof **j.cnt)))
            goto done;
    pass(ix, NULL, w, nsteps(ix->n), nact_task, &j);
    for (unsigned k = 0; k < w; k++)
        for (size_t a = 0; a < n; a++)
            (*nact)[a] += j.cnt[k][a];
    st = LK_OK;
done:
    for (unsigned k = 0; j.cnt && k < w; k++)
        free(j.cnt[k]);
    free(j.cnt);
    return st;
}

lk_status lk_calibrate(lk_objindex *ix, const lk_dataset *ds, lk_net *net, const lk_calib_opts *o,
                       lk_calib_stats *st, size_t *passed)
{
    size_t nacc = 0;
    uint64_t *nact = NULL;
    uint8_t *cls = NULL;
    qset q[2]; /* the real edges' q-values (WHO, WHEN) */
    double active = 0;
    realsrc rs;
    lk_share share; /* under mpirun: this rank's objects */
    const int root = lk_dist_rank() == 0;
    /* under mpirun each rank holds its share of the kept edges
     * (lk_net_opts.local), judged where they are */
    const int ranks = lk_dist_size() > 1;
    int parked = 0; /* the index parked here (and read back at the end) */
    int ifd = -1;   /* the idf weights' (idf_park) */
    int bfd = -1;   /* the burst marks' (burst_park) */
    int sfd = -1;   /* the index's run starts', mapped while the copies are made (start_park) */
    nulls nl;
    lk_status ret = LK_ENOMEM;

    memset(st, 0, sizeof *st);
    st->null_sample = UINT32_C(1) << LK_MIN(o->null_sample_log2, 16u);
    memset(&nl, 0, sizeof nl);
    memset(&rs, 0, sizeof rs);
    memset(&share, 0, sizeof share);
    memset(q, 0, sizeof q);
    *passed = 0;
    {
        /* every rank's: each judges its own edges */
        if ((ret = account_actions(ix, ds, LK_MAX(o->threads, 1u), &nacc, &nact)) != LK_OK)
            goto done;
        ret = LK_ENOMEM;
        if (!(cls = malloc(LK_MAX(nacc, (size_t)1))))
            goto done;
        for (size_t a = 0; a < nacc; a++) {
            cls[a] = (uint8_t)pop_class(nact[a]);
            active += nact[a] > 0;
        }
        /* without a cap (and in one process) the q-value arrays now, the
         * real keys when first needed, kept for both copies */
        if (!o->sequential && !ranks && (!(q[0].q = new_q(net->n)) || !(q[1].q = new_q(net->n))))
            goto done;
    }
    /* under mpirun each rank aggregates the copies on its share of the
     * objects alone (lk_net_share): their columns hold those objects'
     * actions only, which is all a rank writes and reads of them */
    if (ranks) {
        if ((ret = lk_net_share(ix, LK_MAX(o->threads, 1u), &share, o->errbuf)) != LK_OK)
            goto done;
        nl.caps.share = &share;
        nl.caps.dist = 1;
    }
    rs.net = net;
    rs.cls = cls;
    rs.ranks = ranks;
    /* under mpirun the edges' q-values are found by all ranks together,
     * which hands each rank those at most the rate alone */
    rs.lazy = o->sequential || ranks;
    rs.threads = LK_MAX(o->threads, 1u);
    rs.errbuf = o->errbuf;
    nl.seed = o->seed;
    if (o->sequential) {
        /* under a memory cap: one null copy at a time, on all threads,
         * its columns mapped from a file (cols.h): page cache, not
         * resident, so they take nothing from the budget */
        lk_calib_opts no = *o;
        no.budget = o->budget;
        nl.threads = LK_MAX(o->threads, 1u);
        nl.map_dir = lk_tmpfile_dir(o->tmp_dir);
        nl.errbuf = o->errbuf;
        /* and the strata's sort keys (8 bytes a post) a part at a time:
         * at most a sixteenth of the budget, and 128 MB (in 16 parts at
         * most: strata_parts) */
        nl.caps.keys =
            (size_t)LK_MAX(LK_MIN(o->budget / 128, (uint64_t)1 << 24), (uint64_t)1 << 16);
        /* and the kept edges (72 bytes each) wait on disk, if the pair
         * stage did not leave them there: each copy's q-values read their
         * scores and bins from there (16 bytes an edge, realsrc) */
        if (!lk_net_parked(net)) {
            if ((ret = lk_net_park(net, o->tmp_dir, o->errbuf)) != LK_OK)
                goto done;
            if (lk_net_parked(net))
                lk_log(LK_LOG_INFO, "calibration: %zu kept edges (%zu bytes) parked in %s", net->n,
                       net->n * sizeof(lk_edge), lk_tmpfile_dir(o->tmp_dir));
        }
        /* what the parks free, and what the post numbering leaves (its
         * pieces of the objects' part), go back to the system: the heap
         * kept them resident (at 2 x 10^8 actions, 0.6 GB after the parks
         * and 0.7 GB after the numbering, through every step after) */
        if ((ret = idf_park(net, ix->nobj, o, &ifd)) != LK_OK ||
            (ret = burst_park(net, ix->n, o, &bfd)) != LK_OK)
            goto done;
        (void)malloc_trim(0);
        if ((ret = null_shared(&nl, ix, ds, o)) != LK_OK ||
            (ret = start_park(ix, o, &sfd)) != LK_OK)
            goto done;
        (void)malloc_trim(0);
        nl.sh.ps_dir = nl.map_dir;
        nl.caps.build = build_cap(o->budget, nl.sh.nposts);
        nl.caps.who_group = who_gcap(o->budget, nl.sh.nposts);
        nl.caps.when_group = when_gcap(o->budget, nl.sh.nposts);
        if (!ix->park_fd1) {
            if ((ret = park_index(ix, o)) != LK_OK)
                goto done;
            parked = 1;
        }
        for (size_t k = 0; k < 2; k++) {
            /* the shared part (posts, 4 bytes an action, and objects)
             * stays on disk but where a step reads it (shared_to_file) */
            start_evict(ix, sfd);
            null_task(&nl, k, 0);
            if (k == LK_NULL_WHEN)
                null_shared_release(&nl.sh);
            /* what the aggregation holds beside its pairs: the null
             * edges' (score, bin) pairs as they are reduced, about as many
             * as the real kept edges */
            no.budget = null_budget(o->budget, (uint64_t)net->n * sizeof(lk_kv));
            if ((ret = nl.st[k]) != LK_OK)
                goto done;
            /* a copy's q-values once it is aggregated: those at most the
             * rate alone, the real edges' z keys read from their file
             * (qvalues) */
            if ((ret = idf_unpark(net, ix->nobj, o, ifd)) != LK_OK ||
                (ret = null_qvalues(ix, &nl.nc[k], nl.caps.share, net->idf, &rs, &no,
                                    (lk_null_kind)k, &q[k], st)) != LK_OK ||
                (k == LK_NULL_WHO && (ret = idf_park(net, ix->nobj, o, &ifd)) != LK_OK))
                goto done;
            /* the pages the WHO copy's aggregation and q-values freed go
             * back before the WHEN copy is built: the heap keeps them
             * resident until its top is free (under mpirun at 10^8 it held
             * 1.5 GB through the WHEN copy's build, which took both ranks
             * to 4.1 GiB); not after every step, whose next one reuses
             * them, nor after the WHEN copy (the stage's end trims) */
            if (k == LK_NULL_WHO)
                (void)malloc_trim(0);
        }
        if ((ret = start_unpark(ix, o, &sfd)) != LK_OK)
            goto done;
    } else {
        /* both copies side by side, each on half the threads; the pair
         * stage's budget was set before they existed: they come out of it */
        lk_calib_opts no = *o;
        const uint64_t copies = 2 * (uint64_t)ix->n * LK_COLS_BYTES;
        no.budget = null_budget(o->budget, copies);
        nl.threads = LK_MAX(o->threads / 2, 1u);
        if ((ret = null_shared(&nl, ix, ds, o)) != LK_OK)
            goto done;
        if (ranks) {
            /* under mpirun one after the other on all threads: their
             * strata are found by all ranks together, from this thread */
            nl.threads = LK_MAX(o->threads, 1u);
            null_task(&nl, LK_NULL_WHO, 0);
            if (nl.st[LK_NULL_WHO] == LK_OK)
                null_task(&nl, LK_NULL_WHEN, 0);
        } else if ((ret = lk_par_run(LK_MIN(o->threads, 2u), 2, null_task, &nl)) != LK_OK) {
            goto done;
        }
        null_shared_release(&nl.sh);
        for (int k = 0; k < 2; k++)
            if ((ret = nl.st[k]) != LK_OK)
                goto done;
        ret = null_qvalues(ix, &nl.nc[LK_NULL_WHO], nl.caps.share, net->idf, &rs, &no, LK_NULL_WHO,
                           &q[LK_NULL_WHO], st);
        if (ret == LK_OK)
            ret = null_qvalues(ix, &nl.nc[LK_NULL_WHEN], nl.caps.share, net->idf, &rs, &no,
                               LK_NULL_WHEN, &q[LK_NULL_WHEN], st);
        if (ret != LK_OK)
            goto done;
    }
    st->strata = nl.strata[0] + nl.strata[1];
    st->score_cut = 0;
    {
        const int only = lk_net_parked(net) || ranks;
        judgectx jc = {o, st, &q[LK_NULL_WHO], &q[LK_NULL_WHEN], active};
        if (lk_net_parked(net)) {
            /* read back only what passes: the output needs no other edge
             * (and no other q-value: under a cap those above the rate
             * are not kept, qvalues) */
            ret = lk_net_unpark_if(net, judge_q, &jc, o->errbuf);
        } else if (ranks) {
            size_t m = 0;
            for (size_t k = 0; k < net->n; k++)
                if (judge_q(&jc, &net->e[k], k))
                    net->e[m++] = net->e[k];
            net->n = m;
        } else {
            for (size_t k = 0; k < net->n; k++)
                (void)judge_q(&jc, &net->e[k], k);
        }
        /* under mpirun the edges that pass, every rank's, to rank 0: the
         * rest is its own (the per-account object lists are O(actions)) */
        if (ranks)
            ret = passed_to_root(net, st, ret, o->errbuf);
        if (ret != LK_OK)
            goto done;
        if (!root) {
            ret = LK_OK;
            goto done;
        }
        if ((ret = judge_sync(ix, nacc, net, o, st, only)) != LK_OK)
            goto done;
    }
    *passed = st->pass_sync;
    ret = LK_OK;
done:
    lk_share_release(&share);
    free(rs.real);
    free(nact);
    free(cls);
    qset_release(&q[0]);
    qset_release(&q[1]);
    null_shared_release(&nl.sh); /* after a failure; a no-op otherwise */
    lk_cols_release(&nl.nc[0]);
    lk_cols_release(&nl.nc[1]);
    if (sfd >= 0) { /* after a failure: the starts back, or gone */
        const lk_status s2 = start_unpark(ix, o, &sfd);
        ret = ret == LK_OK ? s2 : ret;
    }
    if (ifd >= 0) { /* the weights back for what follows (a no-op when they are) */
        if (ret == LK_OK)
            ret = idf_unpark(net, ix->nobj, o, ifd);
        lk_tmpfile_close(ifd);
    }
    if (bfd >= 0) { /* and the burst marks */
        if (ret == LK_OK)
            ret = burst_unpark(net, ix->n, o, bfd);
        lk_tmpfile_close(bfd);
    }
    if (parked && ret == LK_OK) {
        const double t0 = lk_mono_s();
        if ((ret = lk_objindex_unpark(ix, o->errbuf)) == LK_OK)
            lk_log(LK_LOG_DEBUG, "calibration: index read back: %.3f s", lk_mono_s() - t0);
    }
    return ret;
}
