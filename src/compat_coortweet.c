/*
 * compat_coortweet.c - CooRTweet 2.1.3, reproduced exactly.
 *
 * detect_groups(x, time_window, min_participation, remove_loops):
 *  1. drop accounts with fewer than mp input rows;
 *  2. per object, every unordered pair of rows with |dt| <= w (inclusive);
 *  3. loops (unless kept): same account, same content id, or object id equal
 *     to either content id;
 *  4. participation post-filter (mp >= 1): C = content ids in the surviving
 *     pairs; an account qualifies when >= mp of its rows have a content id in
 *     C; a pair survives when either content id belongs to such a row;
 *  5. orientation: content_id is the older share; on equal times the row order
 *     after step 1 decides (accounts in order of first appearance, file order
 *     within an account) - exactly the sweep's (t, account, row) order.
 * generate_coordinated_network(edge_weight = q): undirected edges keyed by
 * (pmin, pmax) of the account ids; weight = pairs, avg_time_delta,
 * n_content_id / n_content_id_y = distinct older / newer content ids,
 * edge_symmetry_score = min/max; weight_threshold = weight > type-7 quantile.
 * pmin/pmax compare strings; we use byte order, which equals R's collation
 * for the hex ids of real archives (see doc/compat.md).
 */
#include <math.h>

#include "compat.h"
#include "out_escape.h"
#include "out_file.h"
#include "window.h"

typedef struct cpair {
    uint32_t i, j; /* indices into the object index; i is the older share */
} cpair;

typedef struct sweep_ctx {
    const lk_dataset *ds;
    int keep_loops;
    cpair *p;
    size_t n, cap;
} sweep_ctx;

static const char *content_of(const lk_dataset *ds, const lk_action *a)
{
    return lk_arena_get(&ds->content, a->content);
}

static lk_status collect(void *vctx, const lk_objindex *ix, size_t i, size_t j)
{
    sweep_ctx *c = vctx;
    const lk_action *x = &ix->a[i], *y = &ix->a[j];

    if (!c->keep_loops) {
        const char *cx = content_of(c->ds, x), *cy = content_of(c->ds, y);
        char shown[LK_DS_SHOWN];
        const char *obj = lk_ds_object_shown(c->ds, x->object, shown, NULL, NULL);
        if (x->account == y->account || strcmp(cx, cy) == 0 || strcmp(obj, cx) == 0 ||
            strcmp(obj, cy) == 0)
            return LK_OK;
    }
    if (LK_GROW(c->p, c->n + 1, c->cap) != LK_OK)
        return LK_ENOMEM;
    c->p[c->n].i = (uint32_t)i;
    c->p[c->n].j = (uint32_t)j;
    c->n++;
    return LK_OK;
}

double lk_quantile7_nth(uint64_t n, double p, double (*nth)(const void *ctx, uint64_t k),
                        const void *ctx)
{
    double index, lo, h, q, x_hi;
    uint64_t klo, khi;

    if (n == 0)
        return 0.0;
    /* R's quantile(type = 7) step by step, in its own floating-point order:
     * index = 1 + (n - 1) p; q = x[lo] + h (x[hi] - x[lo]) written as
     * (1 - h) x[lo] + h x[hi], and only when index > lo and x[hi] != x[lo].
     * The algebraically equal x[lo] + h (x[hi] - x[lo]) differs in the last
     * bit (e.g. 63 x 63, 28 x 65 at p = 0.7) and flips a weight_threshold. */
    index = 1.0 + (double)(n - 1) * p;
    lo = floor(index);
    klo = (uint64_t)lo;
    khi = (uint64_t)ceil(index);
    if (klo < 1)
        klo = 1;
    if (khi > n)
        khi = n;
    q = nth(ctx, klo - 1);
    x_hi = nth(ctx, khi - 1);
    if (index > lo && x_hi != q) {
        h = index - lo;
        q = (1.0 - h) * q + h * x_hi;
    }
    return q;
}

static double array_nth(const void *ctx, uint64_t k)
{
    return ((const double *)ctx)[k];
}

double lk_quantile7(const double *x, size_t n, double p)
{
    return lk_quantile7_nth(n, p, array_nth, x);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* (key, index) records: by key, then index, so the order is total */
static int cmp_u64x2(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0])
        return (x[0] > y[0]) - (x[0] < y[0]);
    return (x[1] > y[1]) - (x[1] < y[1]);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Participation post-filter (step 4). */
static lk_status participation_filter(const lk_dataset *ds, const lk_objindex *ix, int64_t mp,
                                      sweep_ctx *c)
{
    lk_strpool *cset = NULL, *sset = NULL;
    uint64_t *cnt = NULL;
    size_t nacc = lk_strpool_count(ds->accounts), kept = 0;
    lk_status st;
    uint32_t id;

    if ((st = lk_strpool_new(&cset)) != LK_OK || (st = lk_strpool_new(&sset)) != LK_OK)
        goto done;
    for (size_t k = 0; k < c->n; k++) {
        const char *a = content_of(ds, &ix->a[c->p[k].i]);
        const char *b = content_of(ds, &ix->a[c->p[k].j]);
        if ((st = lk_strpool_intern(cset, a, strlen(a), &id, NULL)) != LK_OK ||
            (st = lk_strpool_intern(cset, b, strlen(b), &id, NULL)) != LK_OK)
            goto done;
    }
    cnt = calloc(LK_MAX(nacc, (size_t)1), sizeof *cnt);
    if (!cnt) {
        st = LK_ENOMEM;
        goto done;
    }
    for (size_t r = 0; r < ix->n; r++) {
        const char *s = content_of(ds, &ix->a[r]);
        if (lk_strpool_find(cset, s, strlen(s), &id))
            cnt[ix->a[r].account]++;
    }
    for (size_t r = 0; r < ix->n; r++) {
        const char *s = content_of(ds, &ix->a[r]);
        if ((int64_t)cnt[ix->a[r].account] >= mp && lk_strpool_find(cset, s, strlen(s), &id))
            if ((st = lk_strpool_intern(sset, s, strlen(s), &id, NULL)) != LK_OK)
                goto done;
    }
    for (size_t k = 0; k < c->n; k++) {
        const char *a = content_of(ds, &ix->a[c->p[k].i]);
        const char *b = content_of(ds, &ix->a[c->p[k].j]);
        if (lk_strpool_find(sset, a, strlen(a), &id) || lk_strpool_find(sset, b, strlen(b), &id))
            c->p[kept++] = c->p[k];
    }
    c->n = kept;
    st = LK_OK;
done:
    lk_strpool_free(cset);
    lk_strpool_free(sset);
    free(cnt);
    return st;
}

static lk_status write_pairs(const lk_dataset *ds, const lk_objindex *ix, const sweep_ctx *c,
                             const char *dir, char *errbuf)
{
    lk_outfile *f = NULL;
    lk_buf b;
    lk_status st = lk_out_open(dir, "pairs.csv", &f, errbuf);

    if (st != LK_OK)
        return st;
    lk_buf_init(&b);
    if (lk_buf_printf(&b, "object_id,content_id,content_id_y,time_delta,account_id,"
                          "account_id_y\n") != LK_OK)
        goto nomem;
    for (size_t k = 0; k < c->n; k++) {
        const lk_action *x = &ix->a[c->p[k].i], *y = &ix->a[c->p[k].j];
        size_t ol, al, bl;
        char shown[LK_DS_SHOWN];
        const char *obj = lk_ds_object_shown(ds, x->object, shown, &ol, NULL);
        const char *cx = content_of(ds, x), *cy = content_of(ds, y);
        const char *ax = lk_strpool_get(ds->accounts, x->account, &al);
        const char *ay = lk_strpool_get(ds->accounts, y->account, &bl);
        if (lk_esc_csv(&b, obj, ol) || lk_buf_putc(&b, ',') || lk_esc_csv(&b, cx, strlen(cx)) ||
            lk_buf_putc(&b, ',') || lk_esc_csv(&b, cy, strlen(cy)) || lk_buf_putc(&b, ',') ||
            lk_buf_secs(&b, y->t - x->t) || lk_buf_putc(&b, ',') || lk_esc_csv(&b, ax, al) ||
            lk_buf_putc(&b, ',') || lk_esc_csv(&b, ay, bl) || lk_buf_putc(&b, '\n'))
            goto nomem;
        if (b.len > (1u << 16))
            lk_out_flush_buf(f, &b);
    }
    lk_out_flush_buf(f, &b);
    lk_buf_release(&b);
    return lk_out_close(f, errbuf);
nomem:
    lk_buf_release(&b);
    lk_out_abort(f);
    return LK_ENOMEM;
}

/* Number of distinct strings among ptrs[0..n) (sorted in place). */
static uint64_t distinct_strings(const char **ptrs, size_t n)
{
    uint64_t d = 0;
    lk_qsort(ptrs, n, sizeof *ptrs, cmp_str);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(ptrs[i], ptrs[i - 1]) != 0)
            d++;
    return d;
}

typedef struct cedge {
    uint32_t a, b; /* account ids, a <= b in string order */
    uint64_t weight, nc, ncy;
    double sum_dt;
} cedge;

static lk_status build_edges(const lk_dataset *ds, const lk_objindex *ix, const sweep_ctx *c,
                             cedge **edges_out, size_t *nedges_out)
{
    uint32_t *rank = NULL;
    uint64_t *keys = NULL; /* (rank_lo << 32 | rank_hi) , pair index in a side array */
    const char **s1 = NULL, **s2 = NULL;
    cedge *e = NULL;
    size_t ne = 0, cap = 0;
    lk_status st = lk_strpool_ranks(ds->accounts, &rank);

    if (st != LK_OK)
        return st;
    keys = malloc(LK_MAX(c->n, (size_t)1) * 2 * sizeof *keys);
    s1 = malloc(LK_MAX(c->n, (size_t)1) * sizeof *s1);
    s2 = malloc(LK_MAX(c->n, (size_t)1) * sizeof *s2);
    if (!keys || !s1 || !s2)
        goto nomem;
    for (size_t k = 0; k < c->n; k++) {
        uint32_t ra = rank[ix->a[c->p[k].i].account], rb = rank[ix->a[c->p[k].j].account];
        uint32_t lo = LK_MIN(ra, rb), hi = LK_MAX(ra, rb);
        keys[2 * k] = ((uint64_t)lo << 32) | hi;
        keys[2 * k + 1] = k;
    }
    /* sort (key, index) records: 16-byte elements compared on the key, then index */
    lk_qsort(keys, c->n, 2 * sizeof *keys, cmp_u64x2);
    for (size_t k = 0; k < c->n;) {
        size_t end = k, m = 0;
        cedge ed;
        memset(&ed, 0, sizeof ed);
        while (end < c->n && keys[2 * end] == keys[2 * k])
            end++;
        for (size_t q = k; q < end; q++) {
            const cpair *pp = &c->p[keys[2 * q + 1]];
            const lk_action *x = &ix->a[pp->i], *y = &ix->a[pp->j];
            ed.weight++;
            ed.sum_dt += (double)(y->t - x->t) / 1000.0;
            s1[m] = content_of(ds, x);
            s2[m] = content_of(ds, y);
            m++;
        }
        {
            const cpair *pp = &c->p[keys[2 * k + 1]];
            uint32_t ax = ix->a[pp->i].account, ay = ix->a[pp->j].account;
            ed.a = rank[ax] <= rank[ay] ? ax : ay;
            ed.b = rank[ax] <= rank[ay] ? ay : ax;
        }
        ed.nc = distinct_strings(s1, m);
        ed.ncy = distinct_strings(s2, m);
        if (LK_GROW(e, ne + 1, cap) != LK_OK)
            goto nomem;
        e[ne++] = ed;
        k = end;
    }
    free(rank);
    free(keys);
    free(s1);
    free(s2);
    *edges_out = e;
    *nedges_out = ne;
    return LK_OK;
nomem:
    free(rank);
    free(keys);
    free(s1);
    free(s2);
    free(e);
    return LK_ENOMEM;
}

static lk_status write_edges(const lk_dataset *ds, const cedge *e, size_t ne, double q,
                             const char *dir, char *errbuf)
{
    lk_outfile *f = NULL;
    lk_buf b;
    lk_status st = lk_out_open(dir, "edges.csv", &f, errbuf);

    if (st != LK_OK)
        return st;
    lk_buf_init(&b);
    if (lk_buf_printf(&b, "account_a,account_b,weight,avg_time_delta,n_content_id,"
                          "n_content_id_y,edge_symmetry_score,weight_threshold\n") != LK_OK)
        goto nomem;
    for (size_t k = 0; k < ne; k++) {
        size_t al, bl;
        const char *sa = lk_strpool_get(ds->accounts, e[k].a, &al);
        const char *sb = lk_strpool_get(ds->accounts, e[k].b, &bl);
        double sym = (double)LK_MIN(e[k].nc, e[k].ncy) / (double)LK_MAX(e[k].nc, e[k].ncy);
        if (lk_esc_csv(&b, sa, al) || lk_buf_putc(&b, ',') || lk_esc_csv(&b, sb, bl) ||
            lk_buf_printf(&b, ",%llu,", (unsigned long long)e[k].weight) ||
            lk_buf_num15(&b, e[k].sum_dt / (double)e[k].weight) ||
            lk_buf_printf(&b, ",%llu,%llu,", (unsigned long long)e[k].nc,
                          (unsigned long long)e[k].ncy) ||
            lk_buf_num15(&b, sym) || lk_buf_printf(&b, ",%d\n", (double)e[k].weight > q ? 1 : 0))
            goto nomem;
        if (b.len > (1u << 16))
            lk_out_flush_buf(f, &b);
    }
    lk_out_flush_buf(f, &b);
    lk_buf_release(&b);
    return lk_out_close(f, errbuf);
nomem:
    lk_buf_release(&b);
    lk_out_abort(f);
    return LK_ENOMEM;
}

lk_status lk_compat_coortweet(const lk_dataset *ds, const lk_compat_opts *o, lk_compat_stats *cs,
                              char *errbuf)
{
    size_t nacc = lk_strpool_count(ds->accounts), ne = 0;
    uint64_t *rows = NULL;
    uint8_t *keep = NULL, *seen = NULL;
    double *w = NULL;
    cedge *e = NULL;
    lk_objindex ix;
    sweep_ctx c;
    lk_status st = LK_ENOMEM;

    memset(&ix, 0, sizeof ix);
    memset(&c, 0, sizeof c);
    memset(cs, 0, sizeof *cs);
    rows = calloc(LK_MAX(nacc, (size_t)1), sizeof *rows);
    keep = calloc(LK_MAX(nacc, (size_t)1), 1);
    seen = calloc(LK_MAX(nacc, (size_t)1), 1);
    if (!rows || !keep || !seen)
        goto done;
    for (size_t r = 0; r < ds->n; r++)
        rows[ds->a[r].account]++;
    for (size_t a = 0; a < nacc; a++)
        keep[a] = (int64_t)rows[a] >= o->min_participation;
    if ((st = lk_objindex_build(ds, keep, &ix)) != LK_OK)
        goto done;
    c.ds = ds;
    c.keep_loops = o->keep_loops;
    if ((st = lk_sweep(&ix, o->window_ms, 0, collect, &c, NULL)) != LK_OK)
        goto done;
    if (o->min_participation >= 1 &&
        (st = participation_filter(ds, &ix, o->min_participation, &c)) != LK_OK)
        goto done;
    cs->pairs = c.n;
    if ((st = write_pairs(ds, &ix, &c, o->out_dir, errbuf)) != LK_OK)
        goto done;
    if ((st = build_edges(ds, &ix, &c, &e, &ne)) != LK_OK)
        goto done;
    w = malloc(LK_MAX(ne, (size_t)1) * sizeof *w);
    if (!w) {
        st = LK_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < ne; k++)
        w[k] = (double)e[k].weight;
    lk_qsort(w, ne, sizeof *w, cmp_double);
    cs->quantile = lk_quantile7(w, ne, o->edge_quantile);
    cs->edges = ne;
    for (size_t k = 0; k < ne; k++) {
        cs->self_loops += e[k].a == e[k].b;
        cs->max_weight = LK_MAX(cs->max_weight, e[k].weight);
        if (!seen[e[k].a]) {
            seen[e[k].a] = 1;
            cs->accounts++;
        }
        if (!seen[e[k].b]) {
            seen[e[k].b] = 1;
            cs->accounts++;
        }
    }
    memset(seen, 0, nacc);
    for (size_t k = 0; k < ne; k++) {
        if ((double)e[k].weight <= cs->quantile)
            continue;
        cs->edges_above++;
        if (!seen[e[k].a]) {
            seen[e[k].a] = 1;
            cs->accounts_above++;
        }
        if (!seen[e[k].b]) {
            seen[e[k].b] = 1;
            cs->accounts_above++;
        }
    }
    st = write_edges(ds, e, ne, cs->quantile, o->out_dir, errbuf);
done:
    if (st == LK_ENOMEM && !errbuf[0])
        lk_errf(errbuf, "out of memory in CooRTweet compatibility mode");
    free(rows);
    free(keep);
    free(seen);
    free(w);
    free(e);
    free(c.p);
    lk_objindex_release(&ix);
    return st;
}
