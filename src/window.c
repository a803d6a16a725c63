/* window.c - object index (counting sort + merge sort) and the window sweep. */
#include "window.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "par.h"
#include "sort.h"
#include "tmpfile.h"

/* Total order inside an object's run: time, then account (first-appearance
 * rank), then input row.  The tie-break reproduces CooRTweet's orientation
 * rule and makes every output independent of the sort algorithm. */
static inline int act_less(const lk_action *x, const lk_action *y)
{
    /* merge_sort only compares written elements; the analyser cannot tell */
    // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
    if (x->t != y->t)
        return x->t < y->t;
    if (x->account != y->account)
        return x->account < y->account;
    return x->row < y->row;
}

static void insertion_sort(lk_action *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        lk_action v = a[i];
        size_t j = i;
        while (j > 0 && act_less(&v, &a[j - 1])) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* Bottom-up merge sort of a[0..n) using tmp[0..n). */
static void merge_sort(lk_action *a, lk_action *tmp, size_t n)
{
    const size_t run = 32;
    lk_action *src = a, *dst = tmp;

    for (size_t i = 0; i < n; i += run)
        insertion_sort(a + i, LK_MIN(run, n - i));
    for (size_t width = run; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = LK_MIN(lo + width, n), hi = LK_MIN(lo + 2 * width, n);
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = act_less(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        lk_action *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

static int is_sorted_run(const lk_action *a, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (act_less(&a[i], &a[i - 1]))
            return 0;
    return 1;
}

/* start[o + 1] = kept actions of object o, then summed into run starts;
 * *n the kept actions, *maxrun the longest run. */
static void count_runs(const lk_dataset *ds, const uint8_t *keep, uint64_t *start, size_t nobj,
                       size_t *n, size_t *maxrun)
{
    *n = *maxrun = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (!keep || keep[ds->a[i].account]) {
            start[ds->a[i].object + 1]++;
            (*n)++;
        }
    for (size_t o = 0; o < nobj; o++) {
        *maxrun = LK_MAX(*maxrun, (size_t)start[o + 1]);
        start[o + 1] += start[o];
    }
}

/* Each object's run into (t, account, row) order, tmp holding the longest. */
static void sort_runs(lk_action *a, const uint64_t *start, size_t nobj, lk_action *tmp)
{
    for (size_t o = 0; o < nobj; o++) {
        size_t k = (size_t)(start[o + 1] - start[o]);
        /* real dumps are often already time-ordered per object */
        if (k > 1 && !is_sorted_run(a + start[o], k))
            merge_sort(a + start[o], tmp, k);
    }
}

lk_status lk_objindex_build(const lk_dataset *ds, const uint8_t *keep, lk_objindex *ix)
{
    size_t nobj = lk_strpool_count(ds->objects), n = 0, maxrun = 0;
    uint64_t *start = NULL;
    lk_action *a = NULL, *tmp = NULL;

    memset(ix, 0, sizeof *ix);
    start = lk_huge_calloc(nobj + 1, sizeof *start);
    if (!start)
        goto nomem;
    count_runs(ds, keep, start, nobj, &n, &maxrun);
    a = lk_huge_malloc(LK_MAX(n, (size_t)1) * sizeof *a);
    if (!a)
        goto nomem;
    {
        /* stable scatter: within an object, input order is kept */
        uint64_t *fill = lk_huge_malloc((nobj + 1) * sizeof *fill);
        if (!fill)
            goto nomem;
        memcpy(fill, start, (nobj + 1) * sizeof *fill);
        for (size_t i = 0; i < ds->n; i++)
            if (!keep || keep[ds->a[i].account])
                a[fill[ds->a[i].object]++] = ds->a[i];
        free(fill);
    }
    tmp = malloc(LK_MAX(maxrun, (size_t)1) * sizeof *tmp);
    if (!tmp)
        goto nomem;
    sort_runs(a, start, nobj, tmp);
    free(tmp);
    ix->a = a;
    ix->n = n;
    ix->start = start;
    ix->nobj = nobj;
    return LK_OK;
nomem:
    free(start);
    free(a);
    free(tmp);
    return LK_ENOMEM;
}

/*
 * a[0..n) moved in place so that the actions of bucket b (object >> shift,
 * less base) fill a[fill[b] .. end[b]): cycles of swaps carry each action
 * to the next free place of its bucket until one of the bucket being
 * filled comes back.  fill[] is advanced to end[].
 */
static void permute(lk_action *a, uint64_t *fill, const uint64_t *end, size_t nb, unsigned shift,
                    uint32_t base)
{
    for (size_t b = 0; b < nb; b++)
        while (fill[b] < end[b]) {
            lk_action x = a[fill[b]];
            size_t d = (x.object >> shift) - base;
            while (d != b) {
                const lk_action y = a[fill[d]];
                a[fill[d]++] = x;
                x = y;
                d = (x.object >> shift) - base;
            }
            a[fill[b]++] = x;
        }
}

/*
 * The same index built in the action table itself: the kept actions are
 * packed to the front, then moved to their objects' runs in two in-place
 * passes, first to 256 groups of objects by the high bits of their ids
 * (the swaps then walk 256 places in step, which the caches follow), then
 * to the objects inside each group (a few megabytes).  At 10^8 actions the
 * copy was 3.4 GB beside the table.  The swaps do not keep input order
 * inside a run; the run sort restores the one order there is, since
 * (t, account, row) differ between two actions of one object: a row names
 * one input record, whose objects are distinct.
 */
lk_status lk_objindex_take(lk_dataset *ds, const uint8_t *keep, lk_objindex *ix)
{
    size_t nobj = lk_strpool_count(ds->objects), n = 0, maxrun = 0;
    uint64_t *start = NULL, *fill = NULL, gfill[256], gend[256];
    lk_action *a = ds->a, *tmp = NULL;
    unsigned shift = 0;

    memset(ix, 0, sizeof *ix);
    start = lk_huge_calloc(nobj + 1, sizeof *start);
    fill = lk_huge_malloc((nobj + 1) * sizeof *fill);
    if (!start || !fill)
        goto nomem;
    count_runs(ds, keep, start, nobj, &n, &maxrun);
    tmp = malloc(LK_MAX(maxrun, (size_t)1) * sizeof *tmp);
    if (!tmp)
        goto nomem;
    if (keep) {
        size_t m = 0;
        for (size_t i = 0; i < ds->n; i++)
            if (keep[a[i].account])
                a[m++] = a[i];
    }
    while (nobj > 0 && (nobj - 1) >> shift >= 256)
        shift++;
    if (shift > 0) {
        /* group g holds objects [g << shift, (g + 1) << shift) */
        size_t ng = ((nobj - 1) >> shift) + 1;
        for (size_t g = 0; g < ng; g++) {
            gfill[g] = start[g << shift];
            gend[g] = start[LK_MIN((g + 1) << shift, nobj)];
        }
        permute(a, gfill, gend, ng, shift, 0);
    }
    memcpy(fill, start, (nobj + 1) * sizeof *fill);
    for (size_t lo = 0; lo < nobj; lo += (size_t)1 << shift) {
        const size_t hi = LK_MIN(lo + ((size_t)1 << shift), nobj);
        permute(a, fill + lo, start + lo + 1, hi - lo, 0, (uint32_t)lo);
    }
    free(fill);
    fill = NULL;
    sort_runs(a, start, nobj, tmp);
    free(tmp);
    ds->a = NULL;
    ds->cap = 0;
    if (n < ds->n) { /* give back the dropped actions' room */
        lk_action *s = realloc(a, LK_MAX(n, (size_t)1) * sizeof *a);
        a = s ? s : a;
    }
    ix->a = a;
    ix->n = n;
    ix->start = start;
    ix->nobj = nobj;
    return LK_OK;
nomem:
    free(start);
    free(fill);
    free(tmp);
    return LK_ENOMEM;
}

/* lk_objindex_subset's tasks: `step` objects each (from the objects alone:
 * a sixty-fourth of them, 256 to 65,536), counted (pass 0), then copied to
 * their place (pass 1). */
static size_t sub_step(size_t nobj)
{
    return LK_MIN(LK_MAX(nobj / 64, (size_t)256), (size_t)1 << 16);
}

typedef struct subjob {
    const lk_objindex *ix;
    const uint8_t *keep, *drop;
    lk_objindex *sub;
    size_t *cnt; /* per task: kept actions, then those of the tasks before */
    size_t step;
    int fill;
} subjob;

static void subset_task(void *ctx, size_t task, unsigned worker)
{
    const subjob *j = ctx;
    const lk_objindex *ix = j->ix;
    const size_t o0 = task * j->step, o1 = LK_MIN(ix->nobj, o0 + j->step);
    size_t n = j->fill ? j->cnt[task] : 0;
    (void)worker;
    for (size_t o = o0; o < o1; o++) {
        if (j->fill)
            j->sub->start[o] = n;
        for (size_t r = (size_t)ix->start[o]; r < (size_t)ix->start[o + 1]; r++)
            if (j->keep[ix->a[r].account] && !(j->drop && j->drop[r])) {
                if (j->fill)
                    j->sub->a[n] = ix->a[r];
                n++;
            }
    }
    if (!j->fill)
        j->cnt[task] = n;
    lk_objindex_evict(ix, (size_t)ix->start[o0], (size_t)ix->start[o1]);
}

lk_status lk_objindex_subset(const lk_objindex *ix, const uint8_t *keep, const uint8_t *drop,
                             unsigned threads, lk_objindex *sub)
{
    const size_t step = sub_step(ix->nobj), ntasks = (ix->nobj + step - 1) / step;
    subjob j = {ix, keep, drop, sub, calloc(LK_MAX(ntasks, (size_t)1), sizeof(size_t)), step, 0};
    size_t n = 0;

    memset(sub, 0, sizeof *sub);
    sub->start = malloc((ix->nobj + 1) * sizeof *sub->start);
    if (!sub->start || !j.cnt) {
        free(j.cnt);
        lk_objindex_release(sub);
        return LK_ENOMEM;
    }
    /* both passes let a mapped index's pages go behind them */
    (void)lk_par_run(threads, ntasks, subset_task, &j);
    lk_objindex_evict(ix, 0, ix->n);
    for (size_t t = 0; t < ntasks; t++) {
        const size_t c = j.cnt[t];
        j.cnt[t] = n;
        n += c;
    }
    sub->a = malloc(LK_MAX(n, (size_t)1) * sizeof *sub->a);
    if (!sub->a) {
        free(j.cnt);
        lk_objindex_release(sub);
        return LK_ENOMEM;
    }
    j.fill = 1;
    (void)lk_par_run(threads, ntasks, subset_task, &j);
    lk_objindex_evict(ix, 0, ix->n);
    free(j.cnt);
    sub->start[ix->nobj] = n;
    sub->n = n;
    sub->nobj = ix->nobj;
    return LK_OK;
}

/* Content refs go to disk and come back in pieces of this many. */
#define REF_PIECE ((size_t)1 << 16)

/* The parked index's file (park_fd1, ix->n actions) mapped read-only in
 * a's place; a no-op without actions. */
static lk_status map_parked(lk_objindex *ix, char *errbuf)
{
    void *m;
    lk_status st;

    if (ix->n == 0)
        return LK_OK;
    if ((st = lk_tmpfile_map_ro(ix->park_fd1 - 1, ix->n * sizeof *ix->a, ix->park_dir, &m,
                                errbuf)) != LK_OK)
        return st;
    ix->a = m;
    ix->mapped = 1;
    return LK_OK;
}

/* lk_objindex_from_spill's passes over the spilled actions: first the runs'
 * sizes (start[o + 1], n), then the actions of objects [o0, o1) scattered to
 * their runs (start[o] fills object o's run and ends at start[o + 1]; a[0]
 * is the place of the run of o0, base). */
typedef struct spillpass {
    const uint8_t *keep;
    uint64_t *start;
    lk_action *a; /* NULL: counting */
    uint32_t o0, o1;
    uint64_t base;
    double t_scan, t_sort; /* -vv: seconds scattering, and sorting and writing */
} spillpass;

/* A pass runs on up to this many threads (lk_dataset_spilled_par): the
 * actions' file is read a slice a thread, a round at a time, and each
 * thread takes from the whole round the actions of its own range of
 * objects, so that each run is filled by one thread, in table order.  What
 * the threads share out is the random writes to the runs and the sorts;
 * each of them scans every round. */
#define SPILL_PARTS 4

/* One thread's share of a pass: objects [lo, hi). */
typedef struct spillpart {
    spillpass *sp;
    uint32_t lo, hi;
    size_t n; /* its kept actions */
} spillpart;

static void spill_piece(void *ctx, const lk_action *x, size_t m)
{
    spillpart *w = ctx;
    const spillpass *sp = w->sp;
    const uint32_t lo = w->lo, span = w->hi - w->lo;
    for (size_t i = 0; i < m; i++)
        if (x[i].object - lo < span && (!sp->keep || sp->keep[x[i].account])) {
            if (!sp->a)
                sp->start[x[i].object + 1]++;
            else
                sp->a[sp->start[x[i].object]++ - sp->base] = x[i];
            w->n++;
        }
}

/* Pass [sp->o0, sp->o1) on `parts` threads, part p taking objects
 * [cut[p], cut[p + 1]) (cut NULL, counting: as many objects each); the
 * kept actions seen in *n. */
static lk_status spill_run(lk_dataset *ds, spillpass *sp, unsigned parts, const uint32_t *cut,
                           size_t *n, char *errbuf)
{
    spillpart w[SPILL_PARTS];
    lk_status st;

    for (unsigned p = 0; p < parts; p++) {
        w[p].sp = sp;
        w[p].lo = cut ? cut[p] : (uint32_t)(sp->o0 + (uint64_t)(sp->o1 - sp->o0) * p / parts);
        w[p].hi =
            cut ? cut[p + 1] : (uint32_t)(sp->o0 + (uint64_t)(sp->o1 - sp->o0) * (p + 1) / parts);
        w[p].n = 0;
    }
    st = lk_dataset_spilled_par(ds, parts, spill_piece, w, sizeof *w, errbuf);
    *n = 0;
    for (unsigned p = 0; p < parts; p++)
        *n += w[p].n;
    return st;
}

/* After a scatter of [o0, o1) from base: each object's run into order
 * (start[o] is where its run ends now). */
static void sort_pass(lk_action *a, const uint64_t *start, uint32_t o0, uint32_t o1, uint64_t base,
                      lk_action *tmp)
{
    uint64_t from = base;
    for (uint32_t o = o0; o < o1; o++) {
        const size_t k = (size_t)(start[o] - from);
        lk_action *run = a + (from - base);
        if (k > 1 && !is_sorted_run(run, k))
            merge_sort(run, tmp, k);
        from = start[o];
    }
}

/* sort_pass on the threads of a pass: each part's objects, [lo, hi) of the
 * pass [o0, o1), with its own room for the longest run. */
typedef struct sortparts {
    const spillpass *sp;
    uint32_t cut[SPILL_PARTS + 1];
    lk_action *tmp;
    size_t maxrun;
    /* in passes (fd >= 0): each part writes its runs to the index's file
     * itself, at their place, once sorted: the copies into the page cache
     * (a gigabyte a pass at 10^8 actions) on all threads */
    int fd;
    const char *dir;
    lk_status st[SPILL_PARTS];
    char err[SPILL_PARTS][LK_ERRMSG_MAX];
} sortparts;

static void sort_part(void *ctx, size_t task, unsigned worker)
{
    sortparts *q = ctx;
    const spillpass *sp = q->sp;
    const uint32_t lo = q->cut[task], hi = q->cut[task + 1];
    /* where the part's first run begins: the run before it ends there */
    const uint64_t from = lo == sp->o0 ? sp->base : sp->start[lo - 1];
    (void)worker;
    q->st[task] = LK_OK;
    if (lo >= hi)
        return;
    sort_pass(sp->a + (from - sp->base), sp->start, lo, hi, from, q->tmp + task * q->maxrun);
    if (q->fd >= 0)
        q->st[task] = lk_tmpfile_write(q->fd, sp->a + (from - sp->base),
                                       (size_t)(sp->start[hi - 1] - from) * sizeof *sp->a,
                                       from * sizeof *sp->a, q->dir, q->err[task]);
}

/* Scatter pass [sp->o0, sp->o1) on `parts` threads, then its runs sorted on
 * as many (tmp: parts x maxrun actions) and, with fd >= 0, written at
 * their place in file fd (in dir). */
static lk_status scatter_sort(lk_dataset *ds, spillpass *sp, unsigned parts, lk_action *tmp,
                              size_t maxrun, int fd, const char *dir, char *errbuf)
{
    sortparts q;
    size_t n;
    lk_status st;

    q.sp = sp;
    q.tmp = tmp;
    q.maxrun = maxrun;
    q.fd = fd;
    q.dir = dir;
    /* the parts' objects, cut where the pass's actions split evenly (from
     * the runs' starts before the scatter): spill_run fills and sort_part
     * sorts the same parts */
    q.cut[0] = sp->o0;
    for (unsigned p = 0; p < parts; p++) {
        uint32_t hi = sp->o1;
        if (p + 1 < parts) {
            const uint64_t cut = sp->base + (sp->start[sp->o1] - sp->base) * (p + 1) / parts;
            hi = q.cut[p];
            while (hi < sp->o1 && sp->start[hi] < cut)
                hi++;
        }
        q.cut[p + 1] = LK_MAX(hi, q.cut[p]);
    }
    const double t0 = lk_mono_s();
    if ((st = spill_run(ds, sp, parts, q.cut, &n, errbuf)) != LK_OK)
        return st;
    const double t1 = lk_mono_s();
    (void)lk_par_run(parts, parts, sort_part, &q);
    sp->t_scan += t1 - t0;
    sp->t_sort += lk_mono_s() - t1;
    for (unsigned p = 0; p < parts; p++)
        if (q.st[p] != LK_OK) {
            (void)snprintf(errbuf, LK_ERRMSG_MAX, "%s", q.err[p]);
            return q.st[p];
        }
    return LK_OK;
}

/* More actions than the budget holds: the index is written to a temporary
 * file (ix->park_fd1) in passes over the spilled actions, each pass the
 * runs of as many objects as fit (at least one).  sp counted; *passes set. */
static lk_status spill_passes(lk_dataset *ds, spillpass *sp, size_t nobj, size_t per_pass,
                              unsigned parts, lk_action *tmp, size_t maxrun, lk_objindex *ix,
                              unsigned *passes, char *errbuf)
{
    const char *dir = ds->spill_dir;
    lk_status st;
    int fd;

    if (!(sp->a = lk_huge_malloc(per_pass * sizeof *sp->a)))
        return LK_ENOMEM;
    if ((st = lk_tmpfile_open(dir, &fd, errbuf)) != LK_OK)
        return st;
    ix->park_fd1 = fd + 1; /* from here on the index owns the file */
    ix->park_dir = dir;    /* the dataset's, already resolved */
    for (uint32_t o0 = 0; o0 < nobj;) {
        /* objects not yet scattered still hold their runs' starts */
        const uint64_t base = sp->start[o0];
        uint32_t o1 = o0 + 1;
        while (o1 < nobj && sp->start[o1 + 1] - base <= per_pass)
            o1++;
        sp->o0 = o0;
        sp->o1 = o1;
        sp->base = base;
        if ((st = scatter_sort(ds, sp, parts, tmp, maxrun, fd, dir, errbuf)) != LK_OK)
            return st;
        (*passes)++;
        o0 = o1;
    }
    free(sp->a);
    sp->a = NULL;
    return LK_OK;
}

lk_status lk_objindex_from_spill(lk_dataset *ds, const uint8_t *keep, uint64_t **counts,
                                 uint64_t budget, unsigned threads, lk_objindex *ix,
                                 unsigned *passes, char *errbuf)
{
    const size_t nobj = lk_strpool_count(ds->objects);
    const unsigned parts = LK_MAX(LK_MIN(threads, (unsigned)SPILL_PARTS), 1u);
    size_t maxrun = 0, total = 0;
    spillpass sp = {keep, NULL, NULL, 0, (uint32_t)nobj, 0, 0, 0};
    lk_action *tmp = NULL;
    lk_status st = LK_ENOMEM;

    memset(ix, 0, sizeof *ix);
    *passes = 0;
    /* the runs' sizes (counted by the caller, or by a pass here), then the
     * actions scattered to them (in table order within an object, as
     * lk_objindex_build) */
    if (counts && *counts) {
        sp.start = *counts;
        *counts = NULL;
        for (size_t o = 0; o < nobj; o++)
            total += (size_t)sp.start[o + 1];
    } else if (!(sp.start = lk_huge_calloc(nobj + 1, sizeof(uint64_t))) ||
               (st = spill_run(ds, &sp, parts, NULL, &total, errbuf)) != LK_OK) {
        goto done;
    }
    for (size_t o = 0; o < nobj; o++) {
        maxrun = LK_MAX(maxrun, (size_t)sp.start[o + 1]);
        sp.start[o + 1] += sp.start[o];
    }
    maxrun = LK_MAX(maxrun, (size_t)1);
    st = LK_ENOMEM;
    if (!(tmp = malloc(parts * maxrun * sizeof *tmp)))
        goto done;
    {
        /* what the budget leaves for the actions beside the runs' starts
         * and the sorts' room for the longest run; one object at least */
        const uint64_t fixed = (nobj + 1) * sizeof(uint64_t) + parts * maxrun * sizeof(lk_action);
        const size_t per_pass =
            LK_MAX((size_t)((budget > fixed ? budget - fixed : 0) / sizeof(lk_action)), maxrun);
        if (total > per_pass) {
            if ((st = spill_passes(ds, &sp, nobj, per_pass, parts, tmp, maxrun, ix, passes,
                                   errbuf)) != LK_OK)
                goto done;
        } else {
            if (!(sp.a = malloc(LK_MAX(total, (size_t)1) * sizeof *sp.a)))
                goto done;
            if ((st = scatter_sort(ds, &sp, parts, tmp, maxrun, -1, NULL, errbuf)) != LK_OK)
                goto done;
            ix->a = sp.a;
            sp.a = NULL;
            *passes = 1;
        }
    }
    lk_log(LK_LOG_DEBUG,
           "object index: %u pass(es) over the actions on %u threads: scattered in %.3f s, "
           "sorted%s in %.3f s",
           *passes, parts, sp.t_scan, ix->park_fd1 ? " and written" : "", sp.t_sort);
    ix->n = total;
    /* written in passes: mapped as lk_objindex_park_map leaves an index */
    if (ix->park_fd1 && (st = map_parked(ix, errbuf)) != LK_OK)
        goto done;
    if (nobj > 0)
        memmove(sp.start + 1, sp.start, nobj * sizeof *sp.start);
    sp.start[0] = 0;
    ix->start = sp.start;
    ix->nobj = nobj;
    /* the content refs' file goes with the index; the actions' file goes */
    ix->content_fd1 = ds->refs_fd1;
    ix->content_dir = ds->spill_dir;
    ds->refs_fd1 = 0;
    lk_tmpfile_close(ds->spill_fd1 - 1);
    ds->spill_fd1 = 0;
    sp.start = NULL;
    st = LK_OK;
done:
    if (st != LK_OK) {
        if (ix->mapped)
            (void)munmap(ix->a, total * sizeof *ix->a);
        if (ix->park_fd1)
            lk_tmpfile_close(ix->park_fd1 - 1);
        memset(ix, 0, sizeof *ix);
    }
    free(sp.start);
    free(sp.a);
    free(tmp);
    return st;
}

lk_status lk_objindex_content_back(lk_objindex *ix, char *errbuf)
{
    uint64_t *buf = NULL, b0 = 0, bn = 0;
    lk_kv *kv = NULL;
    lk_status st = LK_ENOMEM;

    if (!ix->content_fd1)
        return LK_OK;
    /* the actions in the order of their rows, so that each piece of the
     * file is read once */
    buf = malloc(REF_PIECE * sizeof *buf);
    kv = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *kv);
    if (!buf || !kv)
        goto done;
    for (size_t r = 0; r < ix->n; r++) {
        kv[r].key = ix->a[r].row;
        kv[r].val = r;
    }
    if ((st = lk_sort_kv(kv, ix->n, 32)) != LK_OK)
        goto done;
    for (size_t i = 0; i < ix->n; i++) {
        const uint64_t row = kv[i].key;
        if (i == 0 || row >= b0 + bn) {
            /* the refs' file has one for every row up to the last one read
             * here; pieces end there */
            const uint64_t last = kv[ix->n - 1].key;
            b0 = row;
            bn = LK_MIN((uint64_t)REF_PIECE, last + 1 - row);
            if ((st = lk_tmpfile_read(ix->content_fd1 - 1, buf, bn * sizeof *buf, b0 * sizeof *buf,
                                      ix->content_dir, errbuf)) != LK_OK)
                goto done;
        }
        ix->a[kv[i].val].content = buf[row - b0];
    }
    lk_tmpfile_close(ix->content_fd1 - 1);
    ix->content_fd1 = 0;
    st = LK_OK;
done:
    free(buf);
    free(kv);
    return st;
}

lk_status lk_objindex_park(lk_objindex *ix, const char *dir, char *errbuf)
{
    int fd;
    lk_status st;

    if (ix->park_fd1 || !ix->a)
        return LK_OK;
    if ((st = lk_tmpfile_open(dir, &fd, errbuf)) != LK_OK)
        return st;
    if ((st = lk_tmpfile_write(fd, ix->a, ix->n * sizeof *ix->a, 0, dir, errbuf)) != LK_OK) {
        lk_tmpfile_close(fd);
        return st;
    }
    free(ix->a);
    ix->a = NULL;
    ix->park_fd1 = fd + 1;
    ix->park_dir = lk_tmpfile_dir(dir);
    return LK_OK;
}

lk_status lk_objindex_park_map(lk_objindex *ix, const char *dir, char *errbuf)
{
    const size_t len = ix->n * sizeof *ix->a;
    lk_status st;

    if (ix->park_fd1 || !ix->a || len == 0)
        return LK_OK;
    if ((st = lk_objindex_park(ix, dir, errbuf)) != LK_OK)
        return st;
    return map_parked(ix, errbuf);
}

void lk_objindex_evict(const lk_objindex *ix, size_t r0, size_t r1)
{
    /* read-only private pages: dropped, and read from the file if touched
     * again */
    if (ix->mapped && r1 > r0)
        lk_pages_drop((void *)ix->a, r0 * sizeof *ix->a, r1 * sizeof *ix->a);
}

/* Unmap a mapped index's actions (a becomes NULL, still parked). */
static void unmap(lk_objindex *ix)
{
    if (ix->mapped)
        (void)munmap(ix->a, ix->n * sizeof *ix->a);
    ix->a = NULL;
    ix->mapped = 0;
}

lk_status lk_objindex_unpark(lk_objindex *ix, char *errbuf)
{
    lk_action *a;
    lk_status st;

    if (!ix->park_fd1)
        return LK_OK;
    unmap(ix);
    if (!(a = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *a)))
        return LK_ENOMEM;
    if ((st = lk_tmpfile_read(ix->park_fd1 - 1, a, ix->n * sizeof *a, 0, ix->park_dir, errbuf)) !=
        LK_OK) {
        free(a);
        return st;
    }
    lk_tmpfile_close(ix->park_fd1 - 1);
    ix->park_fd1 = 0;
    ix->a = a;
    return LK_OK;
}

void lk_objindex_release(lk_objindex *ix)
{
    if (ix->mapped) /* before its file goes back (tmpfile.h) */
        unmap(ix);
    if (ix->content_fd1)
        lk_tmpfile_close(ix->content_fd1 - 1);
    if (ix->park_fd1)
        lk_tmpfile_close(ix->park_fd1 - 1);
    free(ix->a);
    free(ix->start);
    memset(ix, 0, sizeof *ix);
}

lk_status lk_bursts_t(const uint64_t *start, size_t nobj, const lk_cols *c, const lk_share *share,
                      int64_t window_ms, uint64_t max_burst, uint8_t **out, lk_sweep_stats *stats)
{
    const int64_t *t = c->t;
    uint8_t *burst = calloc(LK_MAX(start ? (size_t)start[nobj] : 0, (size_t)1), 1);
    size_t ev = 0, k = 0, o0, o1;

    if (stats)
        memset(stats, 0, sizeof *stats);
    if (!burst)
        return LK_ENOMEM;
    while (max_burst && lk_share_next(share, 1, 0, nobj, &k, &o0, &o1))
        for (size_t o = o0; o < o1; o++) {
            const size_t s = (size_t)start[o], e = (size_t)start[o + 1];
            size_t lo = s, hi = s, nburst = 0;
            if (e - s <= max_burst + 1) /* too few actions for any burst */
                continue;
            /* neighbours of r within +-window: [lo, hi) minus itself */
            for (size_t r = s; r < e; r++) {
                while (t[r] - t[lo] > window_ms)
                    lo++;
                while (hi < e && t[hi] - t[r] <= window_ms)
                    hi++;
                burst[r] = (uint64_t)(hi - lo - 1) > max_burst;
                nburst += burst[r];
            }
            if (stats && nburst) {
                stats->burst_actions += nburst;
                stats->burst_objects++;
            }
            ev = lk_cols_evict_behind(c, ev, e);
        }
    if (start)
        lk_cols_evict(c, 0, (size_t)start[nobj]);
    *out = burst;
    return LK_OK;
}

void lk_share_release(lk_share *s)
{
    free(s->o);
    free(s->r);
    memset(s, 0, sizeof *s);
}

lk_status lk_objindex_bursts(const lk_objindex *ix, int64_t window_ms, uint64_t max_burst,
                             uint8_t **out, lk_sweep_stats *stats)
{
    lk_cols c;
    lk_status st;

    memset(&c, 0, sizeof c);
    if (!(c.t = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *c.t)))
        return LK_ENOMEM;
    for (size_t r = 0; r < ix->n; r++)
        c.t[r] = ix->a[r].t;
    st = lk_bursts_t(ix->start, ix->nobj, &c, NULL, window_ms, max_burst, out, stats);
    free(c.t);
    return st;
}

lk_status lk_sweep(const lk_objindex *ix, int64_t window_ms, uint64_t max_burst, lk_pair_fn fn,
                   void *ctx, lk_sweep_stats *stats)
{
    uint8_t *burst = NULL;
    lk_status st;

    if (max_burst == 0) {
        if (stats)
            memset(stats, 0, sizeof *stats);
        return lk_sweep_marked(ix, window_ms, NULL, fn, ctx);
    }
    if ((st = lk_objindex_bursts(ix, window_ms, max_burst, &burst, stats)) != LK_OK)
        return st;
    st = lk_sweep_marked(ix, window_ms, burst, fn, ctx);
    free(burst);
    return st;
}
