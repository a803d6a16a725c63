/*
 * window_auto.c - estimate the co-action window from second-share delays,
 * after CooRnet's estimate_coord_interval (definitions in window_auto.h).
 *
 * One pass over the object index gives each qualifying object's delay d_o.
 * Each delay is packed with its object's trace into one uint64 key,
 * (trace << 59) | d_o, so that a single sort by key yields every trace's
 * delays as a sorted slice; a second sorted copy without the trace serves
 * the overall estimate.  Quantiles then read the sorted slices in place.
 */
#include <math.h>

#include "compat.h"
#include "window_auto.h"

#define DELAY_BITS 59
#define DELAY_MASK ((UINT64_C(1) << DELAY_BITS) - 1)

void lk_window_auto_opts_init(lk_window_auto_opts *o)
{
    memset(o, 0, sizeof *o);
    o->p = 0.5;
    o->q = 0.9;
    o->min_objects = 2;
    o->min_objects_trace = 50;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The k-th delay (ms) of a sorted key slice. */
static double key_nth(const void *ctx, uint64_t k)
{
    return (double)(((const uint64_t *)ctx)[k] & DELAY_MASK);
}

/* Number of keys of the sorted slice k[0..n) whose delay is <= v. */
static uint64_t count_at_most(const uint64_t *k, uint64_t n, double v)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (key_nth(k, mid) <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Steps 2-4 over the sorted delays k[0..n) (all of one trace, or all). */
static void estimate(const uint64_t *k, uint64_t n, const lk_window_auto_opts *o, uint64_t min,
                     lk_window_auto_est *e)
{
    double w_s;

    memset(e, 0, sizeof *e);
    e->considered = n;
    if (n == 0 || n < min)
        return;
    e->fast_cut_ms = lk_quantile7_nth(n, o->p, key_nth, k);
    /* >= 1: the smallest delay is never above a quantile */
    e->kept = count_at_most(k, n, e->fast_cut_ms);
    e->raw_ms = lk_quantile7_nth(e->kept, o->q, key_nth, k);
    /* whole seconds, rounded up: the window must cover the quantile */
    w_s = ceil(e->raw_ms / 1000.0);
    if (w_s * 1000.0 >= (double)LK_WINDOW_AUTO_MAX_MS)
        e->window_ms = LK_WINDOW_AUTO_MAX_MS;
    else
        e->window_ms = LK_MAX((int64_t)w_s * 1000, LK_WINDOW_AUTO_MIN_MS);
    e->within = count_at_most(k, n, (double)e->window_ms);
}

/* Step 1: d_o of the object run a[0..n) (sorted by time), or -1 when it has
 * a single account. */
static int64_t second_account_delay(const lk_action *a, size_t n)
{
    for (size_t j = 1; j < n; j++)
        if (a[j].account != a[0].account)
            return a[j].t - a[0].t;
    return -1;
}

lk_status lk_window_auto(const lk_objindex *ix, const lk_window_auto_opts *o,
                         lk_window_auto_result *r)
{
    lk_window_auto_opts defaults;
    uint64_t *by_trace = NULL, *all = NULL;
    size_t m = 0;

    if (!o) {
        lk_window_auto_opts_init(&defaults);
        o = &defaults;
    }
    if (!(o->p >= 0 && o->p <= 1) || !(o->q >= 0 && o->q <= 1))
        return LK_EINVAL;
    memset(r, 0, sizeof *r);
    r->p = o->p;
    r->q = o->q;
    for (size_t ob = 0; ob < ix->nobj; ob++)
        m += ix->start[ob + 1] - ix->start[ob] >= 2;
    /* m bounds the qualifying objects; one allocation of each, never grown */
    by_trace = malloc(LK_MAX(m, (size_t)1) * sizeof *by_trace);
    all = malloc(LK_MAX(m, (size_t)1) * sizeof *all);
    if (!by_trace || !all) {
        free(by_trace);
        free(all);
        return LK_ENOMEM;
    }
    m = 0;
    for (size_t ob = 0; ob < ix->nobj; ob++) {
        const size_t s = (size_t)ix->start[ob], e = (size_t)ix->start[ob + 1];
        int64_t d;
        uint64_t tr = LK_TR_N; /* no trace known: counted overall only */
        if (e - s < 2 || (d = second_account_delay(ix->a + s, e - s)) < 0)
            continue;
        if (o->otrace || o->ds) {
            lk_trace t = LK_TR_GENERIC;
            if (o->otrace)
                t = (lk_trace)o->otrace[ix->a[s].object];
            else
                (void)lk_ds_object(o->ds, ix->a[s].object, NULL, &t);
            if ((int)t >= 0 && (int)t < LK_TR_N)
                tr = (uint64_t)t;
        }
        /* 2^59 ms is 18 million years: no real delay is clipped */
        all[m] = LK_MIN((uint64_t)d, DELAY_MASK);
        by_trace[m] = (tr << DELAY_BITS) | all[m];
        m++;
    }
    lk_qsort(all, m, sizeof *all, cmp_u64);
    estimate(all, m, o, LK_MAX(o->min_objects, (uint64_t)1), &r->all);
    if (o->otrace || o->ds) {
        size_t lo = 0;
        lk_qsort(by_trace, m, sizeof *by_trace, cmp_u64);
        while (lo < m) {
            const uint64_t tr = by_trace[lo] >> DELAY_BITS;
            size_t hi = lo;
            while (hi < m && by_trace[hi] >> DELAY_BITS == tr)
                hi++;
            if (tr < LK_TR_N)
                estimate(by_trace + lo, hi - lo, o, o->min_objects_trace, &r->per_trace[tr]);
            lo = hi;
        }
    }
    free(by_trace);
    free(all);
    r->fallback = r->all.window_ms == 0;
    r->window_ms = r->fallback ? LK_WINDOW_AUTO_FALLBACK_MS : r->all.window_ms;
    if (r->fallback)
        lk_log(LK_LOG_WARN,
               "window auto: %llu object(s) with a second account, too few for an estimate; "
               "using %lld s",
               (unsigned long long)r->all.considered, (long long)(r->window_ms / 1000));
    else
        lk_log(LK_LOG_INFO,
               "window auto: %lld s (%llu objects with a second account, %llu fastest within "
               "%.6g s, q = %.6g of those %.6g s)",
               (long long)(r->window_ms / 1000), (unsigned long long)r->all.considered,
               (unsigned long long)r->all.kept, r->all.fast_cut_ms / 1000.0, r->q,
               r->all.raw_ms / 1000.0);
    return LK_OK;
}

lk_status lk_window_auto_ds(const lk_dataset *ds, const lk_window_auto_opts *o,
                            lk_window_auto_result *r)
{
    lk_objindex ix;
    lk_status st = lk_objindex_build(ds, NULL, &ix);

    if (st != LK_OK)
        return st;
    st = lk_window_auto(&ix, o, r);
    lk_objindex_release(&ix);
    return st;
}

/* The statistics of one estimate as JSON members (no braces). */
static lk_status est_json(lk_buf *b, const lk_window_auto_est *e, const char *sep)
{
    const double share = e->considered ? (double)e->within / (double)e->considered : 0.0;

    if (lk_buf_printf(b, "\"objects_considered\": %llu,%s", (unsigned long long)e->considered, sep))
        return LK_ENOMEM;
    if (!e->window_ms)
        return lk_buf_printf(b,
                             "\"objects_kept\": 0,%s\"fast_cut_s\": null,%s\"quantile_s\": "
                             "null,%s\"share_within_window\": null",
                             sep, sep, sep);
    return lk_buf_printf(b,
                         "\"objects_kept\": %llu,%s\"fast_cut_s\": %.6g,%s\"quantile_s\": "
                         "%.6g,%s\"share_within_window\": %.6g",
                         (unsigned long long)e->kept, sep, e->fast_cut_ms / 1000.0, sep,
                         e->raw_ms / 1000.0, sep, share);
}

lk_status lk_window_auto_json(lk_buf *b, const lk_window_auto_result *r)
{
    int first = 1;

    if (lk_buf_printf(b, "  \"window_auto\": {\n    \"window_s\": %lld,\n",
                      (long long)(r->window_ms / 1000)) ||
        lk_buf_printf(b, "    \"fallback\": %s,\n    \"p\": %.6g,\n    \"q\": %.6g,\n    ",
                      r->fallback ? "true" : "false", r->p, r->q) ||
        est_json(b, &r->all, "\n    ") || lk_buf_printf(b, ",\n    \"per_trace\": {"))
        return LK_ENOMEM;
    for (int t = 0; t < LK_TR_N; t++) {
        const lk_window_auto_est *e = &r->per_trace[t];
        if (!e->considered)
            continue;
        if (lk_buf_printf(b, "%s\n      \"%s\": {", first ? "" : ",", lk_trace_name((lk_trace)t)))
            return LK_ENOMEM;
        if (e->window_ms
                ? lk_buf_printf(b, "\"window_s\": %lld, ", (long long)(e->window_ms / 1000))
                : lk_buf_printf(b, "\"window_s\": null, "))
            return LK_ENOMEM;
        if (est_json(b, e, " ") || lk_buf_putc(b, '}'))
            return LK_ENOMEM;
        first = 0;
    }
    return lk_buf_printf(b, "%s}\n  },\n", first ? "" : "\n    ");
}
