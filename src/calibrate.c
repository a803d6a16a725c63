/*
 * calibrate.c - null model, false-discovery rate and synchrony
 * (calibrate.h; the model and its limits are in doc/calibration.md).
 */
#include <math.h>
#include <time.h>

#include "calibrate.h"
#include "dist.h"
#include "par.h"
#include "rng.h"
#include "sort.h"
#include "tmpfile.h"

/* Monotonic seconds, for the -vv timings of the calibration's steps. */
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *const null_name[2] = {"WHO", "WHEN"};

static unsigned pop_class(uint64_t n)
{
    unsigned c = 0;
    while (n > 1) {
        n >>= 1;
        c++;
    }
    return c;
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

/* A post's actions are found by sorting (post, action) pairs: key = hash
 * of (account, content id), val = index in ix. */
typedef lk_kv postref;

typedef struct poststrat {
    uint64_t stratum;
    uint32_t account; /* its account */
    uint32_t cls;     /* trace mask << 17 | its primary object's classes (objinfo),
                         | PS_ORIGIN; its stratum keys derive from it (post_key) */
    int64_t birth;    /* first action time of the post's primary object */
    int64_t delay;    /* the post's time after that */
} poststrat;

/* In poststrat.cls: the post is its primary object's first action. */
#define PS_ORIGIN (UINT32_C(1) << 31)

/* A stratum must hold the posts of at least this many accounts, so that a
 * planted group's posts never make up a stratum of their own (the null
 * would then hand them back to the group). */
#define STRATUM_ACCOUNTS 512

/* A post's stratum key at level lv (assign_strata), from its trace mask
 * (bits 17 on), its primary object's popularity (bits 11-16) and
 * front-loading (5-10) classes, and for the popularity null the time class
 * of its delay (0-4; the timing null shuffles the delay: never part of its
 * stratum). */
static uint32_t post_key(const poststrat *p, unsigned lv, lk_null_kind kind)
{
    const uint32_t mc = p->cls & ~PS_ORIGIN,
                   pop = mc & (((UINT32_C(1) << 17) - 1) & ~UINT32_C(0x7ff));
    switch (lv) {
    case 0:
        return kind == LK_NULL_WHO ? mc | time_class(p->delay) : mc;
    case 1:
        return mc;
    case 2:
        return mc & ~UINT32_C(0x7ff);
    default:
        return pop;
    }
}

/*
 * Strata from fine to coarse: (traces, popularity, front-loading, delay),
 * then without the delay, then without the front-loading, then popularity
 * alone, then one stratum for all.  Each post takes the finest level whose
 * stratum has posts of STRATUM_ACCOUNTS accounts or more.
 */
static lk_status assign_strata(poststrat *ps, size_t n, lk_null_kind kind)
{
    lk_kv *lk = malloc(LK_MAX(n, (size_t)1) * sizeof *lk);
    uint8_t *done = calloc(LK_MAX(n, (size_t)1), 1);
    uint32_t maxacc = 0;
    unsigned abits = 1;

    if (!lk || !done) {
        free(lk);
        free(done);
        return LK_ENOMEM;
    }
    for (size_t p = 0; p < n; p++)
        maxacc = LK_MAX(maxacc, ps[p].account);
    while (abits < 32 && (maxacc >> abits) != 0)
        abits++;
    for (unsigned lv = 0; lv < 4; lv++) {
        size_t m = 0;
        /* (stratum key, account), posts in increasing order as the
         * tie-break (sort.h: in place, no second buffer) */
        for (size_t p = 0; p < n; p++)
            if (!done[p]) {
                lk[m].key = (uint64_t)post_key(&ps[p], lv, kind) << abits | ps[p].account;
                lk[m].val = p;
                m++;
            }
        lk_sort_kv_inplace(lk, m);
        for (size_t b = 0; b < m;) {
            const uint64_t key = lk[b].key >> abits;
            size_t e = b, accounts = 0;
            for (; e < m && lk[e].key >> abits == key; e++)
                accounts += e == b || lk[e].key != lk[e - 1].key;
            if (accounts >= STRATUM_ACCOUNTS)
                for (size_t k = b; k < e; k++) {
                    ps[lk[k].val].stratum = (uint64_t)lv << 32 | key;
                    done[lk[k].val] = 1;
                }
            b = e;
        }
    }
    for (size_t p = 0; p < n; p++)
        if (!done[p])
            ps[p].stratum = (uint64_t)4 << 32;
    free(lk);
    free(done);
    return LK_OK;
}

/* *ord receives the posts in stratum order (key = stratum, val = post),
 * in their order before that within a stratum. */
static lk_status sort_by_stratum(const poststrat *ps, size_t n, lk_kv **ord)
{
    lk_kv *kv = malloc(LK_MAX(n, (size_t)1) * sizeof *kv);

    *ord = NULL;
    if (!kv)
        return LK_ENOMEM;
    for (size_t p = 0; p < n; p++) {
        kv[p].key = ps[p].stratum;
        kv[p].val = p;
    }
    lk_sort_kv_inplace(kv, n);
    *ord = kv;
    return LK_OK;
}

/* One object's run of a WHEN copy, re-sorted by its new times. */
typedef struct runrec {
    int64_t t;
    uint32_t acc, row, post, src;
} runrec;

static int cmp_runrec(const void *x, const void *y)
{
    const runrec *a = x, *b = y;
    if (a->t != b->t)
        return (a->t > b->t) - (a->t < b->t);
    if (a->acc != b->acc)
        return (a->acc > b->acc) - (a->acc < b->acc);
    return (a->row > b->row) - (a->row < b->row);
}

/* Each object's run of the WHEN copy back in (time, account, row) order,
 * as lk_objindex_build orders the data; perm (may be NULL) follows. */
static lk_status resort_runs(const lk_objindex *ix, lk_cols *out, uint32_t *perm)
{
    size_t maxrun = 0;
    runrec *buf;

    for (size_t o = 0; o < ix->nobj; o++)
        maxrun = LK_MAX(maxrun, (size_t)(ix->start[o + 1] - ix->start[o]));
    if (!(buf = malloc(LK_MAX(maxrun, (size_t)1) * sizeof *buf)))
        return LK_ENOMEM;
    for (size_t o = 0; o < ix->nobj; o++) {
        const size_t s = (size_t)ix->start[o], k = (size_t)ix->start[o + 1] - s;
        for (size_t i = 0; i < k; i++) {
            buf[i].t = out->t[s + i];
            buf[i].acc = out->acc[s + i];
            buf[i].row = ix->a[s + i].row;
            buf[i].post = out->post[s + i];
            buf[i].src = perm ? perm[s + i] : 0;
        }
        lk_qsort(buf, k, sizeof *buf, cmp_runrec);
        for (size_t i = 0; i < k; i++) {
            out->t[s + i] = buf[i].t;
            out->acc[s + i] = buf[i].acc;
            out->post[s + i] = buf[i].post;
            if (perm)
                perm[s + i] = buf[i].src;
        }
    }
    free(buf);
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
 * action, index order, the same object runs as ix).  perm (may be NULL; ix->n entries) receives for
 * each position the index action it came from (tests).
 */
/* What the null copies need of an object, in one place (the post loop
 * visits objects in random order): its first action's time and index, and
 * its popularity class << 11 | front-loading class << 5 | trace << 24. */
typedef struct objinfo {
    int64_t t0;
    uint32_t first;
    uint32_t info;
} objinfo;

#define OI_TRACE(i)   (((i) >> 24) & 0xfu)
#define OI_CLASSES(i) ((i)&0xffffffu)

static lk_status null_cols(const lk_objindex *ix, const lk_dataset *ds, const uint64_t *chash,
                           const uint8_t *otrace, lk_null_kind kind, uint64_t seed, lk_cols *out,
                           uint32_t *perm, uint64_t *strata)
{
    postref *pr = NULL;
    poststrat *ps = NULL;
    lk_kv *ord = NULL; /* posts in stratum order */
    objinfo *oi = NULL;
    size_t nposts = 0;
    uint32_t *slot = NULL; /* the timing null: one stratum's reactions */
    lk_status st = LK_ENOMEM;

    memset(out, 0, sizeof *out);
    *strata = 0;
    if (ix->n >= UINT32_MAX)
        return LK_ELIMIT;
    out->t = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *out->t);
    out->acc = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *out->acc);
    out->post = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *out->post);
    pr = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *pr);
    oi = malloc(LK_MAX(ix->nobj, (size_t)1) * sizeof *oi);
    if (!out->t || !out->acc || !out->post || !pr || !oi)
        goto done;
    for (size_t o = 0; o < ix->nobj; o++) {
        lk_trace tr = LK_TR_GENERIC;
        uint64_t early = 0;
        const uint64_t n = ix->start[o + 1] - ix->start[o];
        oi[o].t0 = 0;
        oi[o].first = (uint32_t)ix->start[o];
        if (n) {
            oi[o].t0 = ix->a[ix->start[o]].t;
            if (otrace)
                tr = (lk_trace)otrace[o];
            else
                (void)lk_ds_object(ds, (uint32_t)o, NULL, &tr);
            /* how front-loaded the object is: its actions in the first
             * EARLY_MS (a viral post's burst vs a slow cascade) */
            while (early < n && ix->a[ix->start[o] + early].t - oi[o].t0 <= EARLY_MS)
                early++;
        }
        oi[o].info = (uint32_t)tr << 24 | pop_class(n) << 11 | pop_class(early) << 5;
    }
    /* one post = one account's actions with one content id (a native record,
     * or the rows of one post in a generic CSV with a trace column); the
     * sort records carry each action's index and object */
    for (size_t r = 0; r < ix->n; r++) {
        const uint64_t ch = chash ? chash[r] : lk_objindex_chash(ix, ds, r);
        pr[r].key = ch ^ lk_mix64((uint64_t)ix->a[r].account + 1);
        pr[r].val = (uint64_t)r << 32 | ix->a[r].object;
        /* until the shuffle: the low bits of the content id's hash */
        out->post[r] = (uint32_t)ch;
    }
    lk_sort_kv_inplace(pr, ix->n); /* by post, then index */
    for (size_t r = 0; r < ix->n; r++)
        nposts += r == 0 || pr[r].key != pr[r - 1].key;
    ps = malloc(LK_MAX(nposts, (size_t)1) * sizeof *ps);
    if (!ps)
        goto done;
    {
        size_t p = 0;
        for (size_t r = 0; r < ix->n;) {
            size_t e = r, prim = r;
            uint32_t mask = 0;
            unsigned best = UINT32_MAX;
            for (; e < ix->n && pr[e].key == pr[r].key; e++) {
                /* oi[0..nobj) is set above, pr[0..n) names objects below
                 * nobj (the analyser loses track through the sort) */
                // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
                const unsigned tr = OI_TRACE(oi[(uint32_t)pr[e].val].info);
                /* until the shuffle: the action's post */
                out->acc[pr[e].val >> 32] = (uint32_t)p;
                mask |= 1u << tr;
                if (prim_rank[tr] < best) {
                    best = prim_rank[tr];
                    prim = e;
                }
            }
            {
                const size_t xi = (size_t)(pr[prim].val >> 32);
                const objinfo *q = &oi[(uint32_t)pr[prim].val];
                const lk_action *x = &ix->a[xi];
                const int64_t delay = x->t - q->t0;
                ps[p].cls = mask << 17 | OI_CLASSES(q->info) | (xi == q->first ? PS_ORIGIN : 0);
                ps[p].birth = q->t0;
                ps[p].delay = delay;
                ps[p].account = x->account; /* the post's */
            }
            p++;
            r = e;
        }
    }
    free(pr); /* the actions know their posts now */
    pr = NULL;
    if ((st = assign_strata(ps, nposts, kind)) != LK_OK)
        goto done;
    if ((st = sort_by_stratum(ps, nposts, &ord)) != LK_OK)
        goto done;
    if (kind == LK_NULL_WHEN) {
        size_t big = 1;
        for (size_t b = 0, e; b < nposts; b = e) {
            for (e = b; e < nposts && ord[e].key == ord[b].key;)
                e++;
            big = LK_MAX(big, e - b);
        }
        if (!(slot = malloc(big * sizeof *slot))) {
            st = LK_ENOMEM;
            goto done;
        }
    }
    /* shuffle within each stratum (Fisher-Yates, one seeded stream per
     * stratum so that strata do not affect each other): the posts' accounts
     * (LK_NULL_WHO) or their delays after their object's first action
     * (LK_NULL_WHEN) */
    for (size_t b = 0; b < nposts;) {
        size_t e = b;
        lk_rng rng;
        while (e < nposts && ord[e].key == ord[b].key)
            e++;
        (*strata)++;
        lk_rng_seed(&rng, seed ^ lk_mix64(ord[b].key + 1));
        if (kind == LK_NULL_WHO) {
            for (size_t k = e; k > b + 1; k--) {
                poststrat *x = &ps[ord[k - 1].val];
                poststrat *y = &ps[ord[b + (size_t)lk_rng_below(&rng, k - b)].val];
                const uint32_t t = x->account;
                x->account = y->account;
                y->account = t;
            }
        } else {
            /* an object's first post defines when it appears: it keeps its
             * time; the reactions' delays are shuffled among themselves */
            size_t m = 0;
            for (size_t k = b; k < e; k++)
                if (!(ps[ord[k].val].cls & PS_ORIGIN))
                    slot[m++] = (uint32_t)ord[k].val;
            for (size_t k = m; k > 1; k--) {
                const size_t j = (size_t)lk_rng_below(&rng, k);
                const int64_t t = ps[slot[k - 1]].delay;
                ps[slot[k - 1]].delay = ps[slot[j]].delay;
                ps[slot[j]].delay = t;
            }
        }
        b = e;
    }
    /* every action takes its post's new account or time */
    for (size_t x = 0; x < ix->n; x++) {
        const poststrat *q = &ps[out->acc[x]];
        const uint32_t acc = kind == LK_NULL_WHO ? q->account : ix->a[x].account;
        out->t[x] = kind == LK_NULL_WHO ? ix->a[x].t : q->birth + q->delay;
        out->acc[x] = acc;
        out->post[x] ^= (uint32_t)lk_mix64(acc); /* = lk_post_hash(content hash, acc) */
    }
    if (perm)
        for (size_t r = 0; r < ix->n; r++)
            perm[r] = (uint32_t)r;
    st = kind == LK_NULL_WHEN ? resort_runs(ix, out, perm) : LK_OK;
done:
    free(pr);
    free(ps);
    free(ord);
    free(oi);
    free(slot);
    if (st != LK_OK)
        lk_cols_release(out);
    return st;
}

lk_status lk_objindex_null(const lk_objindex *ix, const lk_dataset *ds, lk_null_kind kind,
                           uint64_t seed, lk_objindex *out, uint64_t *strata)
{
    uint32_t *perm = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *perm);
    lk_cols c;
    lk_status st = LK_ENOMEM;

    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    *strata = 0;
    if (!perm)
        return LK_ENOMEM;
    if ((st = null_cols(ix, ds, NULL, NULL, kind, seed, &c, perm, strata)) != LK_OK)
        goto done;
    st = LK_ENOMEM;
    out->a = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *out->a);
    out->start = malloc((ix->nobj + 1) * sizeof *out->start);
    if (!out->a || !out->start)
        goto done;
    out->n = ix->n;
    out->nobj = ix->nobj;
    memcpy(out->start, ix->start, (ix->nobj + 1) * sizeof *ix->start);
    for (size_t r = 0; r < ix->n; r++) {
        out->a[r] = ix->a[perm[r]];
        out->a[r].t = c.t[r];
        out->a[r].account = c.acc[r];
    }
    st = LK_OK;
done:
    free(perm);
    lk_cols_release(&c);
    if (st != LK_OK)
        lk_objindex_release(out);
    return st;
}

/*
 * Scores are compared across accounts of very different activity: a heavy
 * user co-acts by chance with many accounts on many objects, in the null
 * as in the data.  Each edge's score is therefore standardised by the null
 * edges of the same *activity bin* (the log2 classes of both accounts'
 * action counts): z = (score - median) / (p99 - median) of the bin's null
 * scores.  A bin with fewer than BIN_MIN null edges borrows the scale of
 * the pooled bin of its larger class, and that of all null edges when it is
 * still too small.  One false-discovery rate is then computed over all
 * edges on z, so that even small rings are judged against many null edges.
 */
#define N_CLASS 64
#define BIN_MIN 50
#define TAIL_K  50 /* null edges of the modelled tail */
/* An edge is "exclusive" when its co-action events are on objects with this
 * many accounts or fewer on average (geometric mean, from the idf weights). */
#define EXCLUSIVE_K 32.0
/* ... and repeated at least this many times. */
#define EXCLUSIVE_EVENTS 3

typedef struct binscale {
    double loc, scale;
} binscale;

static uint32_t pair_bin(const uint8_t *cls, uint32_t a, uint32_t b)
{
    const uint32_t x = LK_MIN(cls[a], cls[b]), y = LK_MAX(cls[a], cls[b]);
    return y * N_CLASS + x;
}

/* median and p99 - median of sorted v[0..n) */
static binscale scale_of(const double *v, size_t n)
{
    binscale bs = {0.0, 1.0};
    if (n) {
        const double med = v[(n - 1) / 2], hi = v[(size_t)((double)(n - 1) * 0.99)];
        bs.loc = med;
        bs.scale = LK_MAX(hi - med, 1e-9 + 0.05 * LK_MAX(med, 1.0));
    }
    return bs;
}

/*
 * The sorts below run over tens of millions of null and real edges at 10^8
 * actions: they are radix sorts (sort.h) of doubles mapped to keys whose
 * unsigned order is the numbers' order, not qsorts.
 */
/* Stable counting sort of the scores of kv[0..n) (sorted by score, val =
 * bin) by group = bin / div into out[0..n): each group's scores, sorted;
 * off[g] is where group g starts (ngroups + 1 entries). */
static void by_group(const lk_kv *kv, size_t n, uint32_t div, size_t ngroups, double *out,
                     size_t *off)
{
    memset(off, 0, (ngroups + 1) * sizeof *off);
    for (size_t k = 0; k < n; k++)
        off[kv[k].val / div + 1]++;
    for (size_t g = 0; g < ngroups; g++)
        off[g + 1] += off[g];
    for (size_t k = 0; k < n; k++)
        out[off[kv[k].val / div]++] = lk_key_double(kv[k].key);
    for (size_t g = ngroups; g > 0; g--)
        off[g] = off[g - 1];
    off[0] = 0;
}

/* scales[N_CLASS * N_CLASS] from the null edges kv[0..n) (key = dkey of
 * the score, val = the activity bin; see above), which this sorts by
 * score. */
static lk_status bin_scales(lk_kv *kv, size_t n, binscale *scales)
{
    const size_t nb = (size_t)N_CLASS * N_CLASS;
    double *tmp = malloc(LK_MAX(n, (size_t)1) * sizeof *tmp);
    size_t *off = malloc((nb + 1) * sizeof *off);
    binscale all, row[N_CLASS];
    lk_status st = LK_ENOMEM;

    if (!tmp || !off || (st = lk_sort_kv(kv, n, 64)) != LK_OK)
        goto done;
    for (size_t k = 0; k < n; k++)
        tmp[k] = lk_key_double(kv[k].key);
    all = scale_of(tmp, n);
    /* per larger class: the scores of its bins together */
    by_group(kv, n, N_CLASS, N_CLASS, tmp, off);
    for (size_t y = 0; y < N_CLASS; y++)
        row[y] = off[y + 1] - off[y] >= BIN_MIN ? scale_of(tmp + off[y], off[y + 1] - off[y]) : all;
    for (size_t b = 0; b < nb; b++)
        scales[b] = row[b / N_CLASS];
    by_group(kv, n, 1, nb, tmp, off);
    for (size_t b = 0; b < nb; b++)
        if (off[b + 1] - off[b] >= BIN_MIN)
            scales[b] = scale_of(tmp + off[b], off[b + 1] - off[b]);
    st = LK_OK;
done:
    free(tmp);
    free(off);
    return st;
}

/* The real edges' z, largest first (ties in edge order): key = ~lk_double_key(z),
 * val = edge; real[0..n) as for qvalues. */
static lk_kv *zvals(const lk_kv *real, size_t n, const binscale *sc)
{
    lk_kv *z = malloc(LK_MAX(n, (size_t)1) * sizeof *z);
    if (!z)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        /* real[0..n) is set by lk_calibrate, bins below N_CLASS^2 */
        // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.ArraySubscript)
        const binscale *b = &sc[real[k].val];
        z[k].key = ~lk_double_key((lk_key_double(real[k].key) - b->loc) / b->scale);
        z[k].val = k;
    }
    if (lk_sort_kv(z, n, 64) != LK_OK) {
        free(z);
        return NULL;
    }
    return z;
}

/* The null edges' z, largest first, from kv[0..n) as bin_scales left it
 * (which this overwrites). */
static double *null_zvals(lk_kv *kv, size_t n, const binscale *sc)
{
    double *z = malloc(LK_MAX(n, (size_t)1) * sizeof *z);
    if (!z)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        const binscale *b = &sc[kv[k].val];
        kv[k].key = ~lk_double_key((lk_key_double(kv[k].key) - b->loc) / b->scale);
        kv[k].val = 0;
    }
    if (lk_sort_kv(kv, n, 64) != LK_OK) {
        free(z);
        return NULL;
    }
    for (size_t k = 0; k < n; k++)
        z[k] = lk_key_double(~kv[k].key);
    return z;
}

/*
 * q-values: for a cut c on z, FDR(c) = (null edges with z >= c) / (real
 * edges with z >= c), the null count taken from the tail model beyond the
 * TAIL_K-th null edge; q = the smallest FDR of any cut at or below the
 * edge's z (step-up).  The real edges real[0..nr) and the null edges
 * kv[0..nn) are (lk_double_key(score), bin) only (this overwrites kv);
 * q[0..nr) receives the real edges' q-values.
 */
static lk_status qvalues(const lk_kv *real, size_t nr, lk_kv *kv, size_t nn, double *q)
{
    const size_t nb = (size_t)N_CLASS * N_CLASS;
    binscale *sc = malloc(nb * sizeof *sc);
    double *nz = NULL;
    lk_kv *rz = NULL;
    size_t j = 0;
    double run = 1.0;
    lk_status st = LK_ENOMEM;

    if (!sc || bin_scales(kv, nn, sc) != LK_OK || !(nz = null_zvals(kv, nn, sc)) ||
        !(rz = zvals(real, nr, sc)))
        goto done;
    /* the null's upper tail beyond its TAIL_K-th largest z is modelled as
     * exponential (mean excess beta): one null replicate cannot count how
     * rare a z far beyond all of its own edges is, but it can say how fast
     * its tail falls */
    {
        const size_t k = LK_MIN((size_t)TAIL_K, nn);
        const double u = k ? nz[k - 1] : 0.0;
        double beta = 0.0;
        for (size_t i = 0; i < k; i++)
            beta += nz[i] - u;
        beta = k > 1 ? LK_MAX(beta / (double)(k - 1), 1e-6) : 1.0;
        for (size_t i = 0; i < nr;) {
            const double zi = lk_key_double(~rz[i].key);
            size_t e = i;
            double fp;
            while (e < nr && rz[e].key == rz[i].key)
                e++;
            while (j < nn && nz[j] >= zi)
                j++;
            fp = k && zi > u ? (double)k * exp(-(zi - u) / beta) : (double)j;
            for (size_t m = i; m < e; m++)
                q[rz[m].val] = LK_MIN(fp / (double)e, 1.0);
            i = e;
        }
    }
    for (size_t i = nr; i-- > 0;) {
        double *x = &q[rz[i].val];
        run = LK_MIN(run, *x);
        *x = run;
    }
    st = LK_OK;
done:
    free(sc);
    free(nz);
    free(rz);
    return st;
}

/* Per account, its distinct objects in increasing order (CSR). */
typedef struct objlists {
    uint64_t *off;
    uint32_t *obj;
} objlists;

static lk_status build_lists(const lk_objindex *ix, size_t nacc, objlists *l)
{
    uint64_t *fill;
    uint32_t *last;

    l->off = calloc(nacc + 1, sizeof *l->off);
    l->obj = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *l->obj);
    fill = malloc(LK_MAX(nacc, (size_t)1) * sizeof *fill);
    last = malloc(LK_MAX(nacc, (size_t)1) * sizeof *last);
    if (!l->off || !l->obj || !fill || !last) {
        free(fill);
        free(last);
        return LK_ENOMEM;
    }
    memset(last, 0xff, LK_MAX(nacc, (size_t)1) * sizeof *last);
    for (size_t o = 0; o < ix->nobj; o++)
        for (uint64_t r = ix->start[o]; r < ix->start[o + 1]; r++) {
            const uint32_t a = ix->a[r].account;
            if (last[a] != (uint32_t)o) {
                last[a] = (uint32_t)o;
                l->off[a + 1]++;
            }
        }
    for (size_t a = 0; a < nacc; a++)
        l->off[a + 1] += l->off[a];
    memcpy(fill, l->off, nacc * sizeof *fill);
    memset(last, 0xff, LK_MAX(nacc, (size_t)1) * sizeof *last);
    for (size_t o = 0; o < ix->nobj; o++)
        for (uint64_t r = ix->start[o]; r < ix->start[o + 1]; r++) {
            const uint32_t a = ix->a[r].account;
            if (last[a] != (uint32_t)o) {
                last[a] = (uint32_t)o;
                l->obj[fill[a]++] = (uint32_t)o;
            }
        }
    free(fill);
    free(last);
    return LK_OK;
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

/*
 * The q-values of the real edges real[0..nr) (as for qvalues) against one
 * null copy nc of ix (released here), aggregated with the real network's
 * idf.  Under mpirun every rank takes part in the null's aggregation
 * (collective), but only rank 0 holds its edges and the real ones, and
 * computes q[]; the other ranks pass cls and q NULL.
 */
static lk_status null_qvalues(const lk_objindex *ix, lk_cols *nc, const double *idf,
                              const lk_kv *real, size_t nr, const lk_calib_opts *o,
                              lk_null_kind kind, const uint8_t *cls, double *q, lk_calib_stats *st)
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
    t0 = mono_s();
    ret = lk_net_build_ex(ix, NULL, idf, &no, &null);
    lk_cols_release(nc);
    if (ret != LK_OK)
        return ret;
    lk_log(LK_LOG_DEBUG, "calibration: %s null copy aggregated in %.3f s", null_name[kind],
           mono_s() - t0);
    t0 = mono_s();
    st->null_pairs += null.pairs; /* these three summed over the ranks */
    st->spilled += null.spilled;
    st->shuffled += null.shuffled;
    st->null_edges += null.n; /* rank 0: all of them; elsewhere 0 */
    lk_log(LK_LOG_DEBUG, "rank %d: %zu edges of the %s null copy held after aggregation",
           lk_dist_rank(), null.n, kind == LK_NULL_WHO ? "WHO" : "WHEN");
    if (!q || !cls) { /* not rank 0: no edges to judge */
        lk_net_release(&null);
        return LK_OK;
    }
    /* the pair of each kept null edge becomes its activity bin */
    nn = null.n;
    bv = null.sk;
    null.sk = NULL;
    for (size_t k = 0; k < nn; k++)
        bv[k].val = pair_bin(cls, (uint32_t)(bv[k].val >> 32), (uint32_t)bv[k].val);
    lk_net_release(&null);
    ret = qvalues(real, nr, bv, nn, q);
    lk_log(LK_LOG_DEBUG, "calibration: q-values against the %s null in %.3f s", null_name[kind],
           mono_s() - t0);
    free(bv);
    return ret;
}

/* Bytes of one action of a null copy (lk_cols). */
#define COLS_BYTES (sizeof(int64_t) + 2 * sizeof(uint32_t))

/* The null aggregations' budget: the pair stage's less the null copies
 * held beside it, but at least half of it (a smaller one would only cut
 * the spilled records into smaller blocks, see detect.c). */
static uint64_t null_budget(uint64_t budget, uint64_t copies)
{
    return budget / 2 > copies ? budget - copies : budget / 2;
}

/* The two null copies are built side by side (one task each). */
typedef struct nulls {
    const lk_objindex *ix;
    const lk_dataset *ds;
    const lk_calib_opts *o;
    uint64_t seed;
    lk_cols nc[2];
    uint64_t strata[2];
    lk_status st[2];
} nulls;

static void null_task(void *ctx, size_t kind, unsigned worker)
{
    nulls *n = ctx;
    const double t0 = mono_s();
    (void)worker;
    n->st[kind] = null_cols(n->ix, n->ds, n->o->content_hash, n->o->obj_trace, (lk_null_kind)kind,
                            n->seed + (uint64_t)kind, &n->nc[kind], NULL, &n->strata[kind]);
    lk_log(LK_LOG_DEBUG, "calibration: %s null copy built in %.3f s (%llu strata)", null_name[kind],
           mono_s() - t0, (unsigned long long)n->strata[kind]);
}

/* What a real edge's q-values are computed from: its score and bin. */
typedef struct realctx {
    lk_kv *real;
    const uint8_t *cls;
} realctx;

static int real_key(void *ctx, lk_edge *e, size_t k)
{
    const realctx *c = ctx;
    c->real[k].key = lk_double_key(e->score);
    c->real[k].val = pair_bin(c->cls, e->a, e->b);
    return 1;
}

typedef struct judgectx {
    const lk_calib_opts *o;
    lk_calib_stats *st;
    const objlists *l;
    const double *qwho, *qwhen;
    double active;
} judgectx;

/* The verdict on edge k: its q-value, and for those that pass, the
 * synchrony; 1 when it is coordinated. */
static int judge(void *ctx, lk_edge *e, size_t k)
{
    const judgectx *c = ctx;
    /* the popularity null must fail to explain the edge, and so must the
     * timing null unless the edge's objects are exclusive (the timing null
     * is blind to objects only a group touches: their time profile is the
     * group's own) */
    const double mean_k = e->events ? exp(-e->score / (double)e->events) * c->active : c->active;
    const double q1 = c->qwho[k], q2 = c->qwhen[k];
    e->qvalue = mean_k <= EXCLUSIVE_K && e->events >= EXCLUSIVE_EVENTS ? q1 : LK_MAX(q1, q2);
    e->coord = 0;
    if (!(e->qvalue <= c->o->fdr))
        return 0;
    c->st->pass_score++;
    if (c->st->score_cut == 0 || e->score < c->st->score_cut)
        c->st->score_cut = e->score;
    e->common = intersect(c->l, e->a, e->b);
    e->sync = e->common ? (double)e->objects / (double)e->common : 0.0;
    if (e->sync >= c->o->min_sync) {
        e->coord = 1;
        c->st->pass_sync++;
    }
    return (int)e->coord;
}

lk_status lk_calibrate(const lk_objindex *ix, const lk_dataset *ds, lk_net *net,
                       const lk_calib_opts *o, lk_calib_stats *st, size_t *passed)
{
    objlists l = {NULL, NULL};
    size_t nacc = 0;
    uint64_t *nact = NULL;
    uint8_t *cls = NULL;
    double *qwho = NULL, *qwhen = NULL, active = 0;
    lk_kv *real = NULL; /* per real edge: its score key and bin (qvalues) */
    const int root = lk_dist_rank() == 0;
    nulls nl;
    lk_status ret = LK_ENOMEM;

    memset(st, 0, sizeof *st);
    memset(&nl, 0, sizeof nl);
    *passed = 0;
    if (root) {
        for (size_t r = 0; r < ix->n; r++)
            nacc = LK_MAX(nacc, (size_t)ix->a[r].account + 1);
        nact = calloc(LK_MAX(nacc, (size_t)1), sizeof *nact);
        cls = malloc(LK_MAX(nacc, (size_t)1));
        qwho = malloc(LK_MAX(net->n, (size_t)1) * sizeof *qwho);
        qwhen = malloc(LK_MAX(net->n, (size_t)1) * sizeof *qwhen);
        if (!nact || !cls || !qwho || !qwhen)
            goto done;
        for (size_t k = 0; k < net->n; k++)
            qwho[k] = qwhen[k] = 1.0;
        for (size_t r = 0; r < ix->n; r++)
            nact[ix->a[r].account]++;
        for (size_t a = 0; a < nacc; a++) {
            cls[a] = (uint8_t)pop_class(nact[a]);
            active += nact[a] > 0;
        }
        if (!(real = malloc(LK_MAX(net->n, (size_t)1) * sizeof *real)))
            goto done;
        if (lk_net_parked(net)) {
            realctx rc = {real, cls};
            if ((ret = lk_net_scan(net, real_key, &rc, o->errbuf)) != LK_OK)
                goto done;
            ret = LK_ENOMEM;
        } else {
            realctx rc = {real, cls};
            for (size_t k = 0; k < net->n; k++)
                (void)real_key(&rc, &net->e[k], k);
        }
    }
    nl.ix = ix;
    nl.ds = ds;
    nl.o = o;
    nl.seed = o->seed;
    if (o->sequential) {
        /* under a memory cap: one null copy at a time */
        lk_calib_opts no = *o;
        const uint64_t copy = (uint64_t)ix->n * COLS_BYTES;
        no.budget = null_budget(o->budget, copy);
        /* and the kept edges (72 bytes each) wait on disk, if the pair
         * stage did not leave them there: the copies need only real[] (16
         * bytes an edge) */
        if (!lk_net_parked(net)) {
            if ((ret = lk_net_park(net, o->tmp_dir, o->errbuf)) != LK_OK)
                goto done;
            if (lk_net_parked(net))
                lk_log(LK_LOG_INFO, "calibration: %zu kept edges (%zu bytes) parked in %s", net->n,
                       net->n * sizeof(lk_edge), lk_tmpfile_dir(o->tmp_dir));
        }
        for (size_t k = 0; k < 2; k++) {
            null_task(&nl, k, 0);
            if ((ret = nl.st[k]) != LK_OK ||
                (ret = null_qvalues(ix, &nl.nc[k], net->idf, real, net->n, &no, (lk_null_kind)k,
                                    cls, k == LK_NULL_WHO ? qwho : qwhen, st)) != LK_OK)
                goto done;
        }
    } else {
        /* both copies side by side; the pair stage's budget was set before
         * they existed: they come out of it */
        lk_calib_opts no = *o;
        const uint64_t copies = 2 * (uint64_t)ix->n * COLS_BYTES;
        no.budget = null_budget(o->budget, copies);
        if ((ret = lk_par_run(LK_MIN(o->threads, 2u), 2, null_task, &nl)) != LK_OK)
            goto done;
        for (int k = 0; k < 2; k++)
            if ((ret = nl.st[k]) != LK_OK)
                goto done;
        ret = null_qvalues(ix, &nl.nc[LK_NULL_WHO], net->idf, real, net->n, &no, LK_NULL_WHO, cls,
                           qwho, st);
        if (ret == LK_OK)
            ret = null_qvalues(ix, &nl.nc[LK_NULL_WHEN], net->idf, real, net->n, &no, LK_NULL_WHEN,
                               cls, qwhen, st);
        if (ret != LK_OK)
            goto done;
    }
    st->strata = nl.strata[0] + nl.strata[1];
    /* the rest is rank 0's: the other ranks hold no edges to judge, and
     * skip the per-account object lists (O(actions)) as well */
    if (!root) {
        ret = LK_OK;
        goto done;
    }
    if ((ret = build_lists(ix, nacc, &l)) != LK_OK)
        goto done;
    st->score_cut = 0;
    {
        judgectx jc = {o, st, &l, qwho, qwhen, active};
        if (lk_net_parked(net)) {
            /* read back only what passes: the output needs no other edge */
            if ((ret = lk_net_unpark_if(net, judge, &jc, o->errbuf)) != LK_OK)
                goto done;
        } else {
            for (size_t k = 0; k < net->n; k++)
                (void)judge(&jc, &net->e[k], k);
        }
    }
    *passed = st->pass_sync;
    ret = LK_OK;
done:
    free(real);
    free(nact);
    free(cls);
    free(qwho);
    free(qwhen);
    free(l.off);
    free(l.obj);
    lk_cols_release(&nl.nc[0]); /* after a failure; a no-op otherwise */
    lk_cols_release(&nl.nc[1]);
    return ret;
}
