/* qvalue.c - q-values of real edges against one null copy (qvalue.h). */
#include "qvalue.h"

#include <math.h>

#include "dist.h"
#include "par.h"

#define NBINS LK_QV_NBINS
/* The histogram of z (as keys) has 2^HIST_BITS buckets. */
#define HIST_BITS 20
/* A bucket whose lowest possible FDR is within this factor of alpha is
 * looked at exactly (exp and the divisions may round either way). */
#define ALPHA_SLACK (1.0 + 1e-9)
/* Across ranks (lk_qvalues_scan_ranks) an edge is rank << RANK_SHIFT | its
 * index on its rank. */
#define RANK_SHIFT 40

typedef lk_qv_scale binscale;

static void swap_u64(uint64_t *a, uint64_t *b)
{
    const uint64_t t = *a;
    *a = *b;
    *b = t;
}

/* v[0..n) permuted so that v[k] holds its k-th smallest value (k < n),
 * none larger before it, none smaller after it: quickselect with a
 * median-of-three pivot and a three-way partition (scores repeat a lot),
 * a sort of what is left when it goes badly. */
static void select_u64(uint64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    unsigned rounds = 0;

    while (hi - lo > 16) {
        const size_t mid = lo + (hi - lo) / 2;
        const uint64_t a = v[lo], b = v[mid], c = v[hi - 1];
        const uint64_t p = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t lt = lo, i = lo, gt = hi;

        if (++rounds > 64) {
            lk_sort_u64_inplace(v + lo, hi - lo);
            return;
        }
        while (i < gt) {
            if (v[i] < p)
                swap_u64(&v[lt++], &v[i++]);
            else if (v[i] > p)
                swap_u64(&v[i], &v[--gt]);
            else
                i++;
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return; /* v[k] == p, in place */
    }
    lk_sort_u64_inplace(v + lo, hi - lo);
}

/* Median and p99 - median of the scores (as keys) v[0..n), which this
 * reorders: the order statistics a sort would give (a sample's as they
 * are: bench/RESULTS.md, twenty-third session, says why not weighted). */
static binscale scale_of(uint64_t *v, size_t n)
{
    binscale bs = {0.0, 1.0};
    if (n) {
        const size_t im = (n - 1) / 2, ih = (size_t)((double)(n - 1) * 0.99);
        double med, hi;
        select_u64(v, n, ih);
        hi = lk_key_double(v[ih]);
        select_u64(v, ih + 1, im); /* im <= ih: among the ih + 1 smallest */
        med = lk_key_double(v[im]);
        bs.loc = med;
        bs.scale = LK_MAX(hi - med, 1e-9 + 0.05 * LK_MAX(med, 1.0));
    }
    return bs;
}

/* lk_qv_scales' work on threads: the counting sort in tasks of `step`
 * null edges (from their number alone), each with its own count of each
 * bin; then the bins' selections, the classes', all's, one task each. */
typedef struct scalejob {
    const lk_kv *kv;
    size_t n, step;
    binscale *own;
    double *top; /* a small bin's largest score (0: none) */
    size_t *cnt; /* per task and bin: its edges, then where they go in v */
    uint64_t *v;
    size_t *off; /* per bin: its range of v */
    lk_qv_scale *sc;
    binscale row[LK_QV_CLASSES];
} scalejob;

static void bin_count_task(void *ctx, size_t task, unsigned worker)
{
    const scalejob *j = ctx;
    size_t *c = j->cnt + task * NBINS;
    const size_t e = LK_MIN(j->n, (task + 1) * j->step);
    (void)worker;
    for (size_t k = task * j->step; k < e; k++)
        c[j->kv[k].val]++;
}

static void bin_fill_task(void *ctx, size_t task, unsigned worker)
{
    const scalejob *j = ctx;
    size_t *c = j->cnt + task * NBINS;
    const size_t e = LK_MIN(j->n, (task + 1) * j->step);
    (void)worker;
    for (size_t k = task * j->step; k < e; k++)
        j->v[c[j->kv[k].val]++] = j->kv[k].key;
}

static void bin_scale_task(void *ctx, size_t b, unsigned worker)
{
    const scalejob *j = ctx;
    const size_t n = j->off[b + 1] - j->off[b];
    uint64_t *v = j->v + j->off[b];
    (void)worker;
    if (n >= LK_QV_BIN_MIN) {
        j->sc[b] = scale_of(v, n);
    } else if (n) {
        uint64_t hi = v[0];
        for (size_t i = 1; i < n; i++)
            hi = LK_MAX(hi, v[i]);
        j->top[b] = lk_key_double(hi);
        if (n >= LK_QV_OWN_MIN) /* a scale of its own to weigh against its fallback's */
            j->own[b] = scale_of(v, n);
    }
}

/* z of score x on scale s. */
static double z_of(double x, binscale s)
{
    return (x - s.loc) / s.scale;
}

static void class_scale_task(void *ctx, size_t y, unsigned worker)
{
    scalejob *j = ctx;
    const size_t b0 = j->off[y * LK_QV_CLASSES], b1 = j->off[(y + 1) * LK_QV_CLASSES];
    (void)worker;
    j->row[y].scale = 0.0; /* 0: all's, filled below */
    if (b1 - b0 >= LK_QV_BIN_MIN)
        j->row[y] = scale_of(j->v + b0, b1 - b0);
}

/* The scores grouped by bin (a counting sort), each bin's, each larger
 * class's and all scales by selection, on `threads` threads (the same
 * scales on any number). */
lk_status lk_qv_scales(const lk_kv *kv, size_t n, lk_qv_scale *sc, unsigned threads)
{
    scalejob j;
    size_t ntasks, cbytes;
    binscale all = {0.0, 1.0};
    int need_all = 0;
    lk_status st = LK_ENOMEM;

    memset(&j, 0, sizeof j);
    j.kv = kv;
    j.n = n;
    j.sc = sc;
    j.step = LK_MAX(n / 64, (size_t)4096);
    ntasks = LK_MAX((n + j.step - 1) / j.step, (size_t)1);
    j.v = malloc(LK_MAX(n, (size_t)1) * sizeof *j.v);
    j.off = calloc(NBINS + 1, sizeof *j.off);
    if (!lk_mul_size(ntasks * NBINS, sizeof *j.cnt, &cbytes))
        j.cnt = calloc(1, cbytes);
    j.own = calloc(NBINS, sizeof *j.own);
    j.top = calloc(NBINS, sizeof *j.top);
    if (!j.v || !j.off || !j.cnt || !j.own || !j.top)
        goto done;
    (void)lk_par_run(threads, ntasks, bin_count_task, &j);
    /* bin by bin, task by task: each task's edges of a bin after the
     * earlier tasks' (the order a serial counting sort gives) */
    for (size_t b = 0, at = 0; b < NBINS; b++) {
        j.off[b] = at;
        for (size_t t = 0; t < ntasks; t++) {
            const size_t c = j.cnt[t * NBINS + b];
            j.cnt[t * NBINS + b] = at;
            at += c;
        }
    }
    j.off[NBINS] = n;
    (void)lk_par_run(threads, ntasks, bin_fill_task, &j);
    /* each selection reorders its own range only, and a bin's range lies
     * inside its class's, a class's inside all: bins, classes, then all
     * (only when a small bin of a small class falls back on it) */
    (void)lk_par_run(threads, NBINS, bin_scale_task, &j);
    (void)lk_par_run(threads, LK_QV_CLASSES, class_scale_task, &j);
    for (size_t b = 0; b < NBINS; b++)
        need_all |=
            j.off[b + 1] - j.off[b] < LK_QV_BIN_MIN && !(j.row[b / LK_QV_CLASSES].scale > 0.0);
    if (need_all)
        all = scale_of(j.v, n);
    for (size_t b = 0; b < NBINS; b++) {
        const binscale f = j.row[b / LK_QV_CLASSES].scale > 0.0 ? j.row[b / LK_QV_CLASSES] : all;
        binscale s;
        if (j.off[b + 1] - j.off[b] >= LK_QV_BIN_MIN)
            continue;
        /* a small bin: its own scale, from 20 edges, where the fallback's
         * puts its own largest edge far beyond the fallback's p99 (at z = 1) */
        s = j.own[b].scale > 0.0 && z_of(j.top[b], f) > LK_QV_OWN_Z ? j.own[b] : f;
        /* and no small bin's own null edge beyond z = LK_QV_OWN_Z: the scale
         * widened until its largest is there (an empty bin's top is 0) */
        if (z_of(j.top[b], s) > LK_QV_OWN_Z)
            s.scale = (j.top[b] - s.loc) / LK_QV_OWN_Z;
        sc[b] = s;
    }
    st = LK_OK;
done:
    free(j.own);
    free(j.top);
    free(j.v);
    free(j.off);
    free(j.cnt);
    return st;
}

/* An edge's z as a key: ascending keys are descending z. */
static inline uint64_t zkey(const lk_kv *e, const binscale *sc)
{
    /* e->val is an activity bin below NBINS (qvalue.h); e is never NULL
     * (the analyser follows realz_at's kv when a scan hands the keys over
     * and kv is NULL, which realz_at is never called for) */
    // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.ArraySubscript,clang-analyzer-core.NullDereference)
    const binscale *b = &sc[e->val];
    return ~lk_double_key((lk_key_double(e->key) - b->loc) / b->scale);
}

uint64_t lk_qv_zkey(uint64_t key, uint64_t bin, const lk_qv_scale *sc)
{
    const lk_kv e = {key, bin};
    return zkey(&e, sc);
}

/* The real edges: (score key, bin) pairs whose z is found here, or a scan
 * that hands their z keys over (lk_qv_zscan; kv NULL). */
typedef struct realz {
    const lk_kv *kv;
    const binscale *sc;
    lk_qv_zscan scan;
    void *sctx;
} realz;

static inline uint64_t realz_at(const realz *r, size_t i)
{
    return zkey(&r->kv[i], r->sc);
}

/* The histogram of z over both edge sets: a bucket is the top HIST_BITS
 * bits of a z key (its sign, exponent and 8 bits of mantissa: 256 buckets
 * a binade, as fine as the keys' own range would allow, which spans both
 * signs of z). */
#define NBUCKETS ((size_t)1 << HIST_BITS)

typedef struct zhist {
    uint64_t *nul;  /* per bucket: null edges */
    uint64_t *real; /* per bucket: real edges */
    uint64_t *top;  /* per bucket: its smallest real key (largest z) */
} zhist;

static size_t bucket(uint64_t key)
{
    return (size_t)(key >> (64 - HIST_BITS));
}

/* A scanned real edge into the histogram (on any thread: the counts and
 * the smallest keys do not depend on the order). */
static void zhist_real(void *ctx, size_t i, uint64_t z)
{
    zhist *h = ctx;
    const size_t b = bucket(z);
    uint64_t t = __atomic_load_n(&h->top[b], __ATOMIC_RELAXED);
    (void)i;
    (void)__atomic_fetch_add(&h->real[b], 1, __ATOMIC_RELAXED);
    while (z < t &&
           !__atomic_compare_exchange_n(&h->top[b], &t, z, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static lk_status zhist_build(zhist *h, const lk_kv *null, size_t nn, const realz *real, size_t nr,
                             const binscale *sc)
{
    h->nul = calloc(NBUCKETS, sizeof *h->nul);
    h->real = calloc(NBUCKETS, sizeof *h->real);
    h->top = malloc(NBUCKETS * sizeof *h->top);
    if (!h->nul || !h->real || !h->top)
        return LK_ENOMEM;
    memset(h->top, 0xff, NBUCKETS * sizeof *h->top);
    for (size_t k = 0; k < nn; k++)
        h->nul[bucket(zkey(&null[k], sc))]++;
    if (real->scan)
        return real->scan(real->sctx, zhist_real, h);
    for (size_t k = 0; k < nr; k++) {
        const uint64_t z = realz_at(real, k);
        const size_t b = bucket(z);
        h->real[b]++;
        h->top[b] = LK_MIN(h->top[b], z);
    }
    return LK_OK;
}

static void zhist_release(zhist *h)
{
    free(h->nul);
    free(h->real);
    free(h->top);
}

/* The null edges' z keys in buckets [lo, hi], sorted, appended to *nz
 * (which holds those of the buckets below lo, all smaller). */
static lk_status null_prefix(const zhist *h, const lk_kv *null, size_t nn, const binscale *sc,
                             size_t lo, size_t hi, unsigned threads, uint64_t **nz, size_t *m)
{
    size_t add = 0, cap;
    uint64_t *p;

    for (size_t b = lo; b <= hi; b++)
        add += (size_t)h->nul[b];
    cap = *m + add;
    if (!(p = realloc(*nz, LK_MAX(cap, (size_t)1) * sizeof *p)))
        return LK_ENOMEM;
    *nz = p;
    for (size_t k = 0, w = *m; k < nn && w < cap; k++) {
        const uint64_t z = zkey(&null[k], sc);
        if (bucket(z) >= lo && bucket(z) <= hi)
            p[w++] = z;
    }
    lk_sort_u64_inplace_par(p + *m, add, threads);
    *m = cap;
    return LK_OK;
}

/* The real edges down to the cut (bucket <= cut), nrz of them, as (z key,
 * edge) pairs into rz, from a scan (on any thread, in any order: rz is
 * sorted after). */
typedef struct zcollect {
    lk_kv *rz;
    size_t nrz, w, cut;
} zcollect;

static void zcollect_real(void *ctx, size_t i, uint64_t z)
{
    zcollect *c = ctx;
    if (bucket(z) <= c->cut) {
        const size_t w = __atomic_fetch_add(&c->w, 1, __ATOMIC_RELAXED);
        if (w < c->nrz) {
            c->rz[w].key = z;
            c->rz[w].val = i;
        }
    }
}

/* rz[0..nrz): the real edges down to the cut, sorted by z (largest
 * first, ties in edge order). */
static lk_status real_prefix(const realz *real, size_t nr, size_t cut, lk_kv *rz, size_t nrz,
                             unsigned threads)
{
    if (real->scan) {
        zcollect c = {rz, nrz, 0, cut};
        const lk_status st = real->scan(real->sctx, zcollect_real, &c);
        if (st != LK_OK)
            return st;
        if (c.w != nrz) /* the scan must hand over the same edges each time */
            return LK_EINVAL;
        lk_sort_kv_inplace_par(rz, nrz, threads);
        return LK_OK;
    }
    for (size_t i = 0, w = 0; i < nr && w < nrz; i++) {
        const uint64_t z = realz_at(real, i);
        if (bucket(z) <= cut) {
            rz[w].key = z;
            rz[w++].val = i;
        }
    }
    if (lk_sort_kv(rz, nrz, 64) != LK_OK)
        lk_sort_kv_inplace_par(rz, nrz, threads);
    return LK_OK;
}

/*
 * Across ranks: the histogram's real counts and largest z summed over the
 * ranks (this rank's counts kept in *mine, for its own edges down to the
 * cut).  Collective; a rank's failure before (st) is agreed first.
 */
static lk_status zhist_ranks(zhist *h, lk_status st, uint64_t **mine, char *errbuf)
{
    if (st == LK_OK && !(*mine = malloc(NBUCKETS * sizeof **mine)))
        st = LK_ENOMEM;
    if ((st = lk_dist_agree(st, errbuf)) != LK_OK)
        return st;
    if (!*mine || !h->real || !h->top) /* agreed above: for the analyser */
        return LK_ENOMEM;
    memcpy(*mine, h->real, NBUCKETS * sizeof **mine);
    if ((st = lk_dist_allreduce_u64(h->real, NBUCKETS, LK_DIST_SUM)) != LK_OK)
        return st;
    return lk_dist_allreduce_u64(h->top, NBUCKETS, LK_DIST_MIN);
}

/*
 * Across ranks: every rank's edges down to the cut, rz[0..*nrz) (their z
 * keys, each edge as rank << RANK_SHIFT | its index), to rank 0, sorted
 * there by z (largest first, ties in that order) in *rz; elsewhere *rz is
 * freed and *nrz 0.  Collective; st as for zhist_ranks.
 */
static lk_status rz_to_root(lk_kv **rz, size_t *nrz, lk_status st, unsigned threads, char *errbuf)
{
    const uint64_t me = (uint64_t)lk_dist_rank() << RANK_SHIFT;
    void *all = NULL;
    size_t len = 0;

    for (size_t i = 0; st == LK_OK && i < *nrz; i++)
        (*rz)[i].val |= me;
    st = lk_dist_to_root(*rz, *nrz * sizeof **rz, st, &all, &len, errbuf);
    if (st != LK_OK)
        return st;
    free(*rz);
    *rz = all;
    *nrz = len / sizeof **rz;
    if (all && lk_sort_kv(*rz, *nrz, 64) != LK_OK)
        lk_sort_kv_inplace_par(*rz, *nrz, threads);
    return LK_OK;
}

/*
 * Across ranks: rank 0's hits (every rank's edges, rank << RANK_SHIFT |
 * index) to every rank, which keeps its own as (index, q) in *hits, still
 * in increasing order.  Collective; st as for zhist_ranks.
 */
static lk_status hits_from_root(lk_kv **hits, size_t *nhits, lk_status st, char *errbuf)
{
    const uint64_t me = (uint64_t)lk_dist_rank(), mask = (UINT64_C(1) << RANK_SHIFT) - 1;
    void *all = NULL;
    size_t len = 0, m = 0;
    lk_kv *a;

    st = lk_dist_from_root(*hits, *nhits * sizeof **hits, st, &all, &len, errbuf);
    if (st != LK_OK)
        return st;
    a = all;
    for (size_t i = 0; i < len / sizeof *a; i++)
        if (a[i].key >> RANK_SHIFT == me) {
            a[m].key = a[i].key & mask;
            a[m++].val = a[i].val;
        }
    free(*hits);
    *hits = all;
    *nhits = m;
    return LK_OK;
}

/*
 * The q-values of the real edges: into q[0..nr) (every one: exact where at
 * most alpha), or with q NULL the edges whose q-value is at most alpha as
 * (edge, lk_double_key(q)) pairs in increasing edge order into *hits
 * (*nhits of them, malloc'ed; the others' are above alpha).  With ranks
 * (q NULL, a scan of this rank's share of the real edges; the null edges
 * on rank 0 alone): collective, and *hits are this rank's edges'.
 */
static lk_status qvalues(const lk_kv *null, size_t nn, double nweight, const realz *real, size_t nr,
                         const lk_qv_scale *sc, double alpha, unsigned threads, double *q,
                         lk_kv **hits, size_t *nhits, int ranks, char *errbuf)
{
    zhist h;
    uint64_t *nz = NULL, *mine = NULL;
    lk_kv *rz = NULL;
    double *qv = NULL; /* without q: the q-values of rz's edges, in its order */
    /* jk: the bucket of the k-th largest null z (none: jk + 1 is 0) */
    size_t m = 0, jk = SIZE_MAX, cut = SIZE_MAX, nrz = 0;
    const size_t k = LK_MIN((size_t)LK_QV_TAIL_K, nn);
    const int root = !ranks || lk_dist_rank() == 0;
    double u = 0.0, beta = 1.0, run = 1.0;
    lk_status st = LK_ENOMEM;

    memset(&h, 0, sizeof h);
    if (!q) {
        *hits = NULL;
        *nhits = 0;
    }
    st = zhist_build(&h, null, nn, real, nr, sc);
    if (ranks)
        st = zhist_ranks(&h, st, &mine, errbuf);
    if (st != LK_OK)
        goto done;
    st = LK_ENOMEM;
    /* the null's upper tail beyond its k-th largest z is modelled as
     * exponential (mean excess beta): one null replicate cannot count how
     * rare a z far beyond all of its own edges is, but it can say how fast
     * its tail falls.  Its k largest z come first. */
    if (k) {
        uint64_t acc = 0;
        for (jk = 0; acc + h.nul[jk] < k; jk++)
            acc += h.nul[jk];
        if (null_prefix(&h, null, nn, sc, 0, jk, threads, &nz, &m) != LK_OK) {
            if (ranks) /* the others learn it at the cut's agreement */
                goto cut_agreed;
            goto done;
        }
        u = lk_key_double(~nz[k - 1]);
        beta = 0.0;
        for (size_t i = 0; i < k; i++)
            beta += lk_key_double(~nz[i]) - u;
        beta = k > 1 ? LK_MAX(beta / (double)(k - 1), 1e-6) : 1.0;
    }
    /* the lowest bucket (largest key) holding a cut whose FDR could be
     * alpha or less: at its cuts, at least the null edges of the buckets
     * above it (or the tail model at its largest z) over at most the real
     * edges down to its bottom */
    for (size_t b = 0, nb = 0, rb = 0; b < NBUCKETS; b++) {
        if (h.real[b]) {
            const double zhi = lk_key_double(~h.top[b]), r = (double)(rb + h.real[b]);
            double fp = (double)nb;
            if (k && zhi > u)
                fp = LK_MIN(fp, (double)k * exp(-(zhi - u) / beta));
            fp *= nweight;
            if (fp / r <= alpha * ALPHA_SLACK)
                cut = b;
        }
        nb += (size_t)h.nul[b];
        rb += (size_t)h.real[b];
    }
    st = LK_OK;
    if (root && cut != SIZE_MAX && cut >= jk + 1)
        st = null_prefix(&h, null, nn, sc, jk + 1, cut, threads, &nz, &m);
cut_agreed:
    if (ranks) { /* rank 0's cut to all: it alone counted the null edges */
        uint64_t c = root && st == LK_OK ? (uint64_t)cut : 0;
        if ((st = lk_dist_agree(st, errbuf)) != LK_OK ||
            (st = lk_dist_allreduce_u64(&c, 1, LK_DIST_MAX)) != LK_OK)
            goto done;
        cut = (size_t)c;
    }
    if (st != LK_OK)
        goto done;
    if (cut == SIZE_MAX) { /* no edge can pass */
        for (size_t i = 0; q && i < nr; i++)
            q[i] = 1.0;
        st = LK_OK;
        goto done;
    }
    /* the real edges down to the cut, sorted by z (largest first, ties in
     * edge order): with ranks, this rank's, then all on rank 0 */
    for (size_t b = 0; b <= cut; b++)
        nrz += (size_t)(ranks ? mine[b] : h.real[b]);
    st = LK_ENOMEM;
    if ((rz = malloc(LK_MAX(nrz, (size_t)1) * sizeof *rz)) != NULL)
        st = real_prefix(real, nr, cut, rz, nrz, threads);
    if (ranks)
        st = rz_to_root(&rz, &nrz, st, threads, errbuf);
    if (st != LK_OK)
        goto done;
    st = LK_ENOMEM;
    if (!q && !(qv = malloc(LK_MAX(nrz, (size_t)1) * sizeof *qv)))
        goto hits;
    /* every edge beyond the cut keeps 1.0 */
    for (size_t i = 0; q && i < nr; i++)
        q[i] = 1.0;
    /* FDR at each distinct z, counted from the top: every null and real
     * edge with that z or more is in nz and rz */
    for (size_t i = 0, j = 0; i < nrz;) {
        const double zi = lk_key_double(~rz[i].key);
        size_t e = i;
        double fp;
        while (e < nrz && rz[e].key == rz[i].key)
            e++;
        while (j < m && lk_key_double(~nz[j]) >= zi)
            j++;
        fp = nweight * (k && zi > u ? (double)k * exp(-(zi - u) / beta) : (double)j);
        for (size_t x = i; x < e; x++)
            *(q ? &q[rz[x].val] : &qv[x]) = LK_MIN(fp / (double)e, 1.0);
        i = e;
    }
    /* step-up: the smallest FDR at or below each edge's z; the cuts below
     * the histogram's all stay above alpha */
    for (size_t i = nrz; i-- > 0;) {
        double *x = q ? &q[rz[i].val] : &qv[i];
        run = LK_MIN(run, *x);
        *x = run;
    }
    if (!q) { /* the edges at most alpha, in edge order, in rz's place */
        size_t n = 0;
        for (size_t i = 0; i < nrz; i++)
            if (qv[i] <= alpha) {
                rz[n].key = rz[i].val;
                rz[n++].val = lk_double_key(qv[i]);
            }
        if (lk_sort_kv(rz, n, 64) != LK_OK)
            lk_sort_kv_inplace_par(rz, n, threads);
        *hits = rz;
        *nhits = n;
        rz = NULL;
    }
    st = LK_OK;
hits:
    if (ranks) /* rank 0's verdicts to the ranks whose edges they are */
        st = hits_from_root(hits, nhits, st, errbuf);
done:
    zhist_release(&h);
    free(mine);
    free(nz);
    free(rz);
    free(qv);
    return st;
}

lk_status lk_qvalues(const lk_kv *null, size_t nn, double nweight, const lk_kv *real, size_t nr,
                     const lk_qv_scale *sc, double alpha, unsigned threads, double *q)
{
    const realz r = {real, sc, NULL, NULL};
    return qvalues(null, nn, nweight, &r, nr, sc, alpha, threads, q, NULL, NULL, 0, NULL);
}

lk_status lk_qvalues_scan(const lk_kv *null, size_t nn, double nweight, lk_qv_zscan scan, void *ctx,
                          size_t nr, const lk_qv_scale *sc, double alpha, unsigned threads,
                          lk_kv **hits, size_t *nhits)
{
    const realz r = {NULL, sc, scan, ctx};
    return qvalues(null, nn, nweight, &r, nr, sc, alpha, threads, NULL, hits, nhits, 0, NULL);
}

lk_status lk_qvalues_scan_ranks(const lk_kv *null, size_t nn, double nweight, lk_qv_zscan scan,
                                void *ctx, size_t nr, const lk_qv_scale *sc, double alpha,
                                unsigned threads, lk_kv **hits, size_t *nhits, char *errbuf)
{
    const realz r = {NULL, sc, scan, ctx};
    return qvalues(null, nn, nweight, &r, nr, sc, alpha, threads, NULL, hits, nhits,
                   lk_dist_size() > 1, errbuf);
}

double lk_qv_hit_at(const lk_kv *hits, size_t n, size_t *cur, size_t edge)
{
    while (*cur < n && hits[*cur].key < edge)
        (*cur)++;
    return *cur < n && hits[*cur].key == edge ? lk_key_double(hits[*cur].val) : 1.0;
}
