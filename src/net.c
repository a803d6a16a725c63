/* net.c - partitioned, sort-based pair aggregation and the threshold. */
#include <math.h>

#include "compat.h"
#include "net.h"
#include "rng.h"

/* A co-action as the sweep reports it; 16 bytes so that a radix pass
 * streams through memory. */
typedef struct prec {
    uint64_t key; /* (a << bits) | b, a < b */
    uint32_t obj;
    uint32_t dt; /* |dt| in ms (the window is at most UINT32_MAX ms) */
    uint32_t ev; /* the pair of posts (hash): one co-action event */
    uint32_t pad;
} prec;

/* Partitions are ranges of the smaller account id of a pair, cut so that
 * each holds about the same number of pairs: the membership test is two
 * comparisons and the packed keys of a partition need fewer radix passes. */
typedef struct bctx {
    unsigned bits;     /* bits of the larger account id in the packed key */
    uint32_t lo, hi;   /* this partition: lo <= min(a, b) < hi */
    uint64_t *per_acc; /* counting pass: pairs per smaller account */
    prec *p;
    size_t n, cap;
    uint64_t pairs; /* counting pass: all pairs */
} bctx;

/*
 * The aggregation's sweeps (one to count, one per partition) run over
 * compact copies of the two fields they read, time and account: 12 bytes an
 * action instead of the index's 32, which is what loops over 10^8 pairs are
 * bound by.  Same pairs, same order as lk_sweep_marked().
 */
typedef struct compact {
    int64_t *t;
    uint32_t *acc;
    uint32_t *post; /* hash of the action's post (account, content id) */
} compact;

static void count_pairs(const lk_objindex *ix, const compact *cp, const uint8_t *burst, int64_t w,
                        bctx *c)
{
    for (size_t o = 0; o < ix->nobj; o++) {
        const size_t s = (size_t)ix->start[o], e = (size_t)ix->start[o + 1];
        size_t lo = s;
        for (size_t j = s + 1; j < e; j++) {
            const uint32_t aj = cp->acc[j];
            while (cp->t[j] - cp->t[lo] > w)
                lo++;
            if (burst[j])
                continue;
            for (size_t i = lo; i < j; i++) {
                const uint32_t ai = cp->acc[i];
                if (burst[i] || ai == aj)
                    continue;
                c->pairs++;
                c->per_acc[LK_MIN(ai, aj)]++;
            }
        }
    }
}

static lk_status add_pairs(const lk_objindex *ix, const compact *cp, const uint8_t *burst,
                           int64_t w, bctx *c)
{
    for (size_t o = 0; o < ix->nobj; o++) {
        const size_t s = (size_t)ix->start[o], e = (size_t)ix->start[o + 1];
        size_t lo = s;
        for (size_t j = s + 1; j < e; j++) {
            const uint32_t aj = cp->acc[j];
            const int64_t tj = cp->t[j];
            while (tj - cp->t[lo] > w)
                lo++;
            if (burst[j])
                continue;
            for (size_t i = lo; i < j; i++) {
                const uint32_t ai = cp->acc[i];
                const uint32_t a = LK_MIN(ai, aj), b = LK_MAX(ai, aj);
                if (burst[i] || a == b || a < c->lo || a >= c->hi)
                    continue;
                if (c->n == c->cap && LK_GROW(c->p, c->n + 1, c->cap) != LK_OK)
                    return LK_ENOMEM;
                c->p[c->n].key = (uint64_t)(a - c->lo) << c->bits | b;
                c->p[c->n].obj = (uint32_t)o;
                c->p[c->n].dt = (uint32_t)(tj - cp->t[i]);
                c->p[c->n].ev = cp->post[i] ^ (cp->post[j] * 0x9e3779b1u);
                c->p[c->n].pad = 0;
                c->n++;
            }
        }
    }
    return LK_OK;
}

/* Stable LSD radix sort of p[0..n) on the low `keybits` bits of key, in as
 * few passes of at most 11 bits as cover them (2048 buckets still fit the
 * caches); passes whose digit is constant are skipped.  Stability keeps
 * the sweep order (object by object) inside each pair. */
static lk_status radix_sort(prec **pp, size_t n, unsigned keybits)
{
    prec *src = *pp, *dst;
    size_t *cnt;
    unsigned passes = (keybits + 10) / 11, dbits;

    if (n < 2)
        return LK_OK;
    dbits = (keybits + passes - 1) / passes;
    dst = malloc(n * sizeof *dst);
    cnt = malloc(((size_t)1 << dbits) * sizeof *cnt);
    if (!dst || !cnt) {
        free(dst);
        free(cnt);
        return LK_ENOMEM;
    }
    for (unsigned shift = 0; shift < keybits; shift += dbits) {
        const uint64_t mask = ((uint64_t)1 << dbits) - 1;
        size_t pos = 0;
        memset(cnt, 0, ((size_t)1 << dbits) * sizeof *cnt);
        /* src[0..n) is fully written by the sweep (the analyser cannot
         * follow the element count through LK_GROW) */
        for (size_t k = 0; k < n; k++)
            // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
            cnt[(src[k].key >> shift) & mask]++;
        if (cnt[(src[0].key >> shift) & mask] == n)
            continue;
        for (size_t d = 0; d <= mask; d++) {
            size_t c = cnt[d];
            cnt[d] = pos;
            pos += c;
        }
        for (size_t k = 0; k < n; k++)
            dst[cnt[(src[k].key >> shift) & mask]++] = src[k];
        prec *t = src;
        src = dst;
        dst = t;
    }
    free(cnt);
    free(dst);
    *pp = src;
    return LK_OK;
}

static lk_status hist_add(lk_net *net, uint64_t w)
{
    if (w >= net->nwhist) {
        size_t nn = LK_MAX((size_t)w + 1, net->nwhist * 2);
        uint64_t *h = realloc(net->whist, nn * sizeof *h);
        if (!h)
            return LK_ENOMEM;
        memset(h + net->nwhist, 0, (nn - net->nwhist) * sizeof *h);
        net->whist = h;
        net->nwhist = nn;
    }
    net->whist[w]++;
    return LK_OK;
}

typedef struct evw {
    uint32_t ev;
    double w;
} evw;

static int cmp_evw(const void *x, const void *y)
{
    const evw *a = x, *b = y;
    if (a->ev != b->ev)
        return (a->ev > b->ev) - (a->ev < b->ev);
    return (a->w < b->w) - (a->w > b->w); /* heaviest first */
}

/*
 * An edge's score counts co-action *events*: one post of each account acting
 * on the same objects within the window.  A post that co-acts on several
 * objects at once (a copy with the same link, tags and text; a reply and
 * its mention) is one event, scored by its rarest object, so the score says
 * how often two accounts acted together, each time weighted by how rare the
 * object was: sum over events of max ln(A / k_o).
 */
typedef struct evbuf {
    evw *p;
    size_t cap;
} evbuf;

static double event_score(const lk_net *net, const prec *p, size_t n, evbuf *sb, uint32_t *events)
{
    double score = 0.0;
    *events = 0;
    if (LK_GROW(sb->p, n, sb->cap) != LK_OK)
        return -1.0;
    for (size_t i = 0; i < n; i++) {
        sb->p[i].ev = p[i].ev;
        sb->p[i].w = net->idf[p[i].obj];
    }
    lk_qsort(sb->p, n, sizeof *sb->p, cmp_evw);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sb->p[i].ev != sb->p[i - 1].ev) {
            score += sb->p[i].w;
            (*events)++;
        }
    return score;
}

/* Reduce sorted pair records (accounts lo + key >> bits, key & mask) to edges. */
static lk_status reduce(lk_net *net, const prec *p, size_t n, unsigned bits, uint32_t lo,
                        uint32_t min_keep)
{
    const uint64_t mask = (UINT64_C(1) << bits) - 1;
    evbuf sb = {NULL, 0};
    for (size_t k = 0; k < n;) {
        lk_edge e;
        size_t end = k;
        uint32_t last = UINT32_MAX;
        uint64_t sum_ms = 0;

        memset(&e, 0, sizeof e);
        // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
        for (; end < n && p[end].key == p[k].key; end++) {
            sum_ms += p[end].dt;
            /* records keep sweep order, so a changed object is a new one */
            if (p[end].obj != last) {
                last = p[end].obj;
                e.objects++;
            }
        }
        if (e.objects >= min_keep) {
            e.score = event_score(net, p + k, end - k, &sb, &e.events);
            if (e.score < 0) {
                free(sb.p);
                return LK_ENOMEM;
            }
        }
        e.a = lo + (uint32_t)(p[k].key >> bits);
        e.b = (uint32_t)(p[k].key & mask);
        e.co_actions = end - k;
        e.sum_dt_s = (double)sum_ms / 1000.0;
        e.traces = 1u;
        e.qvalue = 1.0;
        net->n_all++;
        if (hist_add(net, e.objects) != LK_OK) {
            free(sb.p);
            return LK_ENOMEM;
        }
        if (e.objects >= min_keep) {
            if (LK_GROW(net->e, net->n + 1, net->cap) != LK_OK) {
                free(sb.p);
                return LK_ENOMEM;
            }
            net->e[net->n++] = e;
        }
        k = end;
    }
    free(sb.p);
    return LK_OK;
}

static int cmp_edge(const void *x, const void *y)
{
    const lk_edge *a = x, *b = y;
    if (a->a != b->a)
        return (a->a > b->a) - (a->a < b->a);
    return (a->b > b->b) - (a->b < b->b);
}

static lk_status build_lookup(lk_net *net)
{
    size_t size = 1024;
    while (size < 2 * net->n + 2)
        size *= 2;
    net->tab = lk_table_alloc(size * sizeof *net->tab);
    if (!net->tab)
        return LK_ENOMEM;
    net->mask = size - 1;
    for (size_t k = 0; k < net->n; k++) {
        uint64_t key = (uint64_t)net->e[k].a << 32 | net->e[k].b;
        size_t j = lk_mix64(key) & net->mask;
        while (net->tab[j].idx)
            j = (j + 1) & net->mask;
        net->tab[j].key = key;
        net->tab[j].idx = k + 1;
    }
    return LK_OK;
}

lk_edge *lk_net_find(const lk_net *net, uint32_t x, uint32_t y)
{
    uint64_t key = x < y ? ((uint64_t)x << 32 | y) : ((uint64_t)y << 32 | x);
    size_t j;
    if (!net->tab)
        return NULL;
    j = lk_mix64(key) & net->mask;
    while (net->tab[j].idx) {
        if (net->tab[j].key == key)
            return &net->e[net->tab[j].idx - 1];
        j = (j + 1) & net->mask;
    }
    return NULL;
}

static lk_status compute_idf(const lk_objindex *ix, size_t nacc, lk_net *net)
{
    uint32_t *mark = malloc(LK_MAX(nacc, (size_t)1) * sizeof *mark);
    size_t active = 0;

    net->idf = malloc(LK_MAX(ix->nobj, (size_t)1) * sizeof *net->idf);
    if (!mark || !net->idf) {
        free(mark);
        return LK_ENOMEM;
    }
    /* k_o = distinct accounts per object; A = accounts with any action */
    memset(mark, 0xff, LK_MAX(nacc, (size_t)1) * sizeof *mark);
    for (size_t r = 0; r < ix->n; r++)
        if (mark[ix->a[r].account] == UINT32_MAX) {
            mark[ix->a[r].account] = 0;
            active++;
        }
    memset(mark, 0xff, LK_MAX(nacc, (size_t)1) * sizeof *mark);
    for (size_t o = 0; o < ix->nobj; o++) {
        size_t k = 0;
        for (size_t r = (size_t)ix->start[o]; r < (size_t)ix->start[o + 1]; r++)
            if (mark[ix->a[r].account] != (uint32_t)o) {
                mark[ix->a[r].account] = (uint32_t)o;
                k++;
            }
        net->idf[o] = k ? log((double)active / (double)k) : 0.0;
    }
    free(mark);
    return LK_OK;
}

static unsigned bits_for(uint64_t n)
{
    unsigned b = 1;
    while (b < 64 && (UINT64_C(1) << b) < n)
        b++;
    return b;
}

lk_status lk_net_build(const lk_objindex *ix, int64_t window_ms, uint64_t max_burst,
                       uint32_t min_keep, uint64_t budget, lk_net *net)
{
    return lk_net_build_idf(ix, NULL, window_ms, max_burst, min_keep, budget, NULL, net);
}

lk_status lk_net_build_idf(const lk_objindex *ix, const lk_dataset *ds, int64_t window_ms,
                           uint64_t max_burst, uint32_t min_keep, uint64_t budget,
                           const double *idf, lk_net *net)
{
    size_t nacc = 0;
    uint8_t *burst = NULL;
    compact cp = {NULL, NULL, NULL};
    bctx c;
    lk_status st;
    uint64_t per_part;

    memset(net, 0, sizeof *net);
    memset(&c, 0, sizeof c);
    if (window_ms < 0 || (uint64_t)window_ms > UINT32_MAX)
        return LK_EINVAL;
    for (size_t r = 0; r < ix->n; r++)
        nacc = LK_MAX(nacc, (size_t)ix->a[r].account + 1);
    c.bits = bits_for(nacc);
    c.per_acc = calloc(LK_MAX(nacc, (size_t)1), sizeof *c.per_acc);
    if (!c.per_acc) {
        st = LK_ENOMEM;
        goto fail;
    }
    if (idf) {
        net->idf = malloc(LK_MAX(ix->nobj, (size_t)1) * sizeof *net->idf);
        if (!net->idf) {
            st = LK_ENOMEM;
            goto fail;
        }
        memcpy(net->idf, idf, ix->nobj * sizeof *idf);
    } else if ((st = compute_idf(ix, nacc, net)) != LK_OK) {
        goto fail;
    }
    if ((st = lk_objindex_bursts(ix, window_ms, max_burst, &burst, &net->burst)) != LK_OK)
        goto fail;
    /* size the job, then cut it so that one partition's records (and the
     * radix sort's second buffer) fit the budget */
    cp.t = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *cp.t);
    cp.acc = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *cp.acc);
    cp.post = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *cp.post);
    if (!cp.t || !cp.acc || !cp.post) {
        st = LK_ENOMEM;
        goto fail;
    }
    for (size_t r = 0; r < ix->n; r++) {
        cp.t[r] = ix->a[r].t;
        cp.acc[r] = ix->a[r].account;
        /* a post = an account's actions with one content id (all objects of
         * a native record; the rows of one post in a generic CSV) */
        if (ds) {
            const char *cid = lk_arena_get(&ds->content, ix->a[r].content);
            cp.post[r] = (uint32_t)(lk_hash64(cid, strlen(cid)) ^ lk_mix64(ix->a[r].account));
        } else {
            cp.post[r] = (uint32_t)lk_mix64(ix->a[r].content);
        }
    }
    count_pairs(ix, &cp, burst, window_ms, &c);
    net->pairs = c.pairs;
    per_part = LK_MAX(budget, (uint64_t)1 << 20) / (2 * sizeof(prec));
    for (size_t lo = 0; lo < LK_MAX(nacc, (size_t)1);) {
        size_t hi = lo;
        uint64_t sum = 0;
        /* at least one account per partition, even if it alone overflows */
        do
            sum += nacc ? c.per_acc[hi++] : (hi++, 0);
        while (hi < nacc && sum + c.per_acc[hi] <= per_part);
        c.lo = (uint32_t)lo;
        c.hi = (uint32_t)hi;
        c.n = 0;
        net->partitions++;
        if (sum > 0) {
            if ((st = add_pairs(ix, &cp, burst, window_ms, &c)) != LK_OK ||
                (st = radix_sort(&c.p, c.n, bits_for(hi - lo) + c.bits)) != LK_OK ||
                (st = reduce(net, c.p, c.n, c.bits, c.lo, min_keep)) != LK_OK)
                goto fail;
        }
        if (c.cap > c.n + c.n / 4 + 1024) {
            /* keep the buffer near the partition size, not the largest seen */
            free(c.p);
            c.p = NULL;
            c.cap = 0;
        }
        lo = hi;
    }
    free(c.p);
    free(c.per_acc);
    free(cp.t);
    free(cp.acc);
    free(cp.post);
    c.p = NULL;
    c.per_acc = NULL;
    cp.t = NULL;
    cp.acc = NULL;
    cp.post = NULL;
    net->burst_mark = burst; /* the evidence pass must skip the same actions */
    burst = NULL;
    /* partitions come in account order and keys sorted within, so edges are
     * already in (a, b) order; the sort only guards that invariant */
    lk_qsort(net->e, net->n, sizeof *net->e, cmp_edge);
    if ((st = build_lookup(net)) != LK_OK)
        goto fail;
    return LK_OK;
fail:
    free(c.p);
    free(c.per_acc);
    free(cp.t);
    free(cp.acc);
    free(cp.post);
    free(burst);
    lk_net_release(net);
    return st;
}

/* The k-th smallest weight (0-based) of the weight histogram. */
static double hist_nth(const void *ctx, uint64_t k)
{
    const lk_net *net = ctx;
    uint64_t seen = 0;
    for (size_t w = 0; w < net->nwhist; w++) {
        seen += net->whist[w];
        if (seen > k)
            return (double)w;
    }
    return net->nwhist ? (double)(net->nwhist - 1) : 0.0;
}

size_t lk_net_threshold(lk_net *net, lk_threshold kind, double value, double *cut)
{
    size_t kept = 0;
    double q = value;

    if (kind == LK_THRESHOLD_QUANTILE)
        q = lk_quantile7_nth(net->n_all, value, hist_nth, net);
    for (size_t k = 0; k < net->n; k++) {
        double wt = net->e[k].objects;
        net->e[k].coord = kind == LK_THRESHOLD_QUANTILE ? wt > q : wt >= q;
        kept += net->e[k].coord;
    }
    if (cut)
        *cut = q;
    return kept;
}

void lk_net_release(lk_net *net)
{
    free(net->e);
    free(net->whist);
    if (net->tab)
        lk_table_free(net->tab, (net->mask + 1) * sizeof *net->tab);
    free(net->idf);
    free(net->burst_mark);
    memset(net, 0, sizeof *net);
}
