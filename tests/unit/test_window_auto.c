/*
 * test_window_auto.c - `--window auto`: the window estimated from the delay
 * until each object's second account (window_auto.h has the definitions).
 *
 * Hand-computed cases pin every step: the second *distinct* account, the
 * type-7 quantiles, ties at the fast cut, rounding up to seconds, the
 * [1 s, 1 h] clamp, the fallback, and per-trace estimates.  A differential
 * test recomputes the estimate by brute force (every action of an object
 * scanned, R's quantile via lk_quantile7 over a plain array) on random data.
 * Last, a detect run with LK_WINDOW_AUTO end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include "compat.h"
#include "window_auto.h"

static uint32_t intern(lk_strpool *p, const char *s)
{
    uint32_t id;
    assert_int_equal(lk_strpool_intern(p, s, strlen(s), &id, NULL), LK_OK);
    return id;
}

/* Append an action of `account` on object `object` of trace `tr` at t ms. */
static void add(lk_dataset *ds, lk_trace tr, const char *object, const char *account, int64_t t)
{
    char key[64];
    lk_action *a;

    (void)snprintf(key, sizeof key, "%c%s", LK_TRACE_BYTE(tr), object);
    assert_int_equal(LK_GROW(ds->a, ds->n + 1, ds->cap), LK_OK);
    a = &ds->a[ds->n];
    memset(a, 0, sizeof *a);
    a->t = t;
    a->account = intern(ds->accounts, account);
    a->object = intern(ds->objects, key);
    a->row = (uint32_t)ds->n;
    ds->n++;
}

/* One object per delay: account "a" at a distinct base time, "b" d ms later. */
static void add_delays(lk_dataset *ds, lk_trace tr, const char *prefix, const int64_t *d, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char name[32];
        const int64_t base = 1600000000000 + (int64_t)k * 86400000;
        (void)snprintf(name, sizeof name, "%s%zu", prefix, k);
        add(ds, tr, name, "b", base + d[k]); /* input order must not matter */
        add(ds, tr, name, "a", base);
    }
}

/* Field by field: the doubles are results of the same operations, so equal. */
static int same_est(const lk_window_auto_est *x, const lk_window_auto_est *y)
{
    return x->considered == y->considered && x->kept == y->kept && x->within == y->within &&
           x->fast_cut_ms == y->fast_cut_ms && x->raw_ms == y->raw_ms &&
           x->window_ms == y->window_ms;
}

static int same_result(const lk_window_auto_result *x, const lk_window_auto_result *y)
{
    if (x->p != y->p || x->q != y->q || x->window_ms != y->window_ms ||
        x->fallback != y->fallback || !same_est(&x->all, &y->all))
        return 0;
    for (int t = 0; t < LK_TR_N; t++)
        if (!same_est(&x->per_trace[t], &y->per_trace[t]))
            return 0;
    return 1;
}

static void estimate(const lk_dataset *ds, const lk_window_auto_opts *o, lk_window_auto_result *r)
{
    lk_objindex ix;
    assert_int_equal(lk_objindex_build(ds, NULL, &ix), LK_OK);
    assert_int_equal(lk_window_auto(&ix, o, r), LK_OK);
    lk_objindex_release(&ix);
}

static void new_dataset(lk_dataset *ds)
{
    assert_int_equal(lk_dataset_init(ds), LK_OK);
}

/* ---- hand-computed cases --------------------------------------------------------- */

/*
 * Delays (s) 0 1 2 3 4 5 10 20 30 40, plus one object where the first account
 * acts again after 0.1 s and the second account comes at 7 s (d = 7 s, not
 * 0.1 s): 11 delays 0 1 2 3 4 5 7 10 20 30 40.
 * fast cut = type-7 0.5-quantile: index 1 + 10 * 0.5 = 6 -> 5 s.
 * kept: d <= 5 s -> 0 1 2 3 4 5 (6 objects).
 * raw = 0.9-quantile of those: index 1 + 5 * 0.9 = 5.5 -> 4.5 s; window 5 s.
 * within 5 s: 6 of 11.
 */
static void test_hand_computed(void **state)
{
    static const int64_t d[] = {0, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000};
    lk_dataset ds;
    lk_window_auto_result r;

    (void)state;
    new_dataset(&ds);
    add_delays(&ds, LK_TR_SHARE, "o", d, 10);
    add(&ds, LK_TR_SHARE, "again", "a", 5000);
    add(&ds, LK_TR_SHARE, "again", "a", 5100);
    add(&ds, LK_TR_SHARE, "again", "c", 12000);
    add(&ds, LK_TR_SHARE, "again", "b", 12500);
    estimate(&ds, NULL, &r);
    assert_false(r.fallback);
    assert_true(r.p == 0.5 && r.q == 0.9);
    assert_int_equal(r.all.considered, 11);
    assert_true(r.all.fast_cut_ms == 5000.0);
    assert_int_equal(r.all.kept, 6);
    assert_true(r.all.raw_ms == 4500.0);
    assert_int_equal(r.all.window_ms, 5000);
    assert_int_equal(r.window_ms, 5000);
    assert_int_equal(r.all.within, 6);
    lk_dataset_release(&ds);
}

/* CooRnet's own defaults (q = 0.1) on delays 0 1 2 3 4 5 10 20 30 40 s:
 * cut index 5.5 -> 4.5 s; kept 0..4 (5); raw index 1.4 -> 0.4 s; window 1 s. */
static void test_coornet_defaults(void **state)
{
    static const int64_t d[] = {0, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000};
    lk_dataset ds;
    lk_window_auto_opts o;
    lk_window_auto_result r;

    (void)state;
    new_dataset(&ds);
    add_delays(&ds, LK_TR_URL, "u", d, 10);
    lk_window_auto_opts_init(&o);
    o.q = 0.1;
    estimate(&ds, &o, &r);
    assert_true(r.all.fast_cut_ms == 4500.0);
    assert_int_equal(r.all.kept, 5);
    assert_true(fabs(r.all.raw_ms - 400.0) < 1e-9);
    assert_int_equal(r.window_ms, 1000);
    lk_dataset_release(&ds);
}

/*
 * Ties.  Delays 2 2 2 2 5 9 s: the cut (index 3.5) is 2 s and all four
 * objects at 2 s are kept (more than half).  Raw 2 s exactly: rounding up
 * leaves 2 s, not 3.  Two accounts at the same millisecond give d = 0.
 */
static void test_ties(void **state)
{
    static const int64_t d[] = {2000, 9000, 2000, 5000, 2000, 2000};
    lk_dataset ds;
    lk_window_auto_result r;

    (void)state;
    new_dataset(&ds);
    add_delays(&ds, LK_TR_GENERIC, "o", d, 6);
    estimate(&ds, NULL, &r);
    assert_int_equal(r.all.considered, 6);
    assert_true(r.all.fast_cut_ms == 2000.0);
    assert_int_equal(r.all.kept, 4);
    assert_true(r.all.raw_ms == 2000.0);
    assert_int_equal(r.window_ms, 2000);
    assert_int_equal(r.all.within, 4);
    lk_dataset_release(&ds);

    /* simultaneous second shares: raw 0, clamped up to 1 s */
    new_dataset(&ds);
    add(&ds, LK_TR_GENERIC, "x", "b", 1000);
    add(&ds, LK_TR_GENERIC, "x", "a", 1000);
    add(&ds, LK_TR_GENERIC, "y", "a", 5000);
    add(&ds, LK_TR_GENERIC, "y", "c", 5000);
    add(&ds, LK_TR_GENERIC, "y", "b", 9000);
    estimate(&ds, NULL, &r);
    assert_int_equal(r.all.considered, 2);
    assert_true(r.all.raw_ms == 0.0);
    assert_int_equal(r.window_ms, 1000);
    assert_int_equal(r.all.within, 2);
    lk_dataset_release(&ds);
}

/* Objects with one action, or one account however active, are not
 * considered; they change nothing. */
static void test_single_account_ignored(void **state)
{
    static const int64_t d[] = {3000, 6000, 9000};
    lk_dataset ds;
    lk_window_auto_result r, with;

    (void)state;
    new_dataset(&ds);
    add_delays(&ds, LK_TR_SHARE, "o", d, 3);
    estimate(&ds, NULL, &r);
    add(&ds, LK_TR_SHARE, "lonely", "a", 0);
    for (int k = 0; k < 20; k++)
        add(&ds, LK_TR_SHARE, "spam", "s", 1000 + k);
    estimate(&ds, NULL, &with);
    assert_int_equal(with.all.considered, 3);
    assert_true(same_result(&r, &with));
    /* cut 6 s; kept 3 and 6; raw index 1.9 -> 5.7 s; window 6 s */
    assert_true(r.all.fast_cut_ms == 6000.0);
    assert_int_equal(r.all.kept, 2);
    assert_true(fabs(r.all.raw_ms - 5700.0) < 1e-9);
    assert_int_equal(r.window_ms, 6000);
    lk_dataset_release(&ds);
}

/* Fewer than two qualifying objects: no estimate, the default 60 s. */
static void test_fallback(void **state)
{
    lk_dataset ds;
    lk_window_auto_result r;
    lk_buf b;

    (void)state;
    new_dataset(&ds);
    estimate(&ds, NULL, &r); /* empty */
    assert_true(r.fallback);
    assert_int_equal(r.window_ms, LK_WINDOW_AUTO_FALLBACK_MS);
    assert_int_equal(r.all.considered, 0);
    add(&ds, LK_TR_SHARE, "one", "a", 0);
    add(&ds, LK_TR_SHARE, "one", "b", 2000);
    add(&ds, LK_TR_SHARE, "solo", "a", 0);
    add(&ds, LK_TR_SHARE, "solo", "a", 10);
    estimate(&ds, NULL, &r);
    assert_true(r.fallback);
    assert_int_equal(r.all.considered, 1);
    assert_int_equal(r.all.window_ms, 0);
    assert_int_equal(r.window_ms, 60000);
    lk_buf_init(&b);
    assert_int_equal(lk_window_auto_json(&b, &r), LK_OK);
    assert_non_null(strstr(b.p, "\"window_s\": 60,\n    \"fallback\": true,"));
    assert_non_null(strstr(b.p, "\"objects_considered\": 1,\n"));
    assert_non_null(strstr(b.p, "\"quantile_s\": null"));
    lk_buf_release(&b);
    lk_dataset_release(&ds);
}

/* Large delays clamp to 1 h; a fractional second rounds up. */
static void test_clamp_and_round(void **state)
{
    static const int64_t slow[] = {7200000, 7300000, 9000000};
    static const int64_t frac[] = {1001, 1002, 1003};
    lk_dataset ds;
    lk_window_auto_result r;

    (void)state;
    new_dataset(&ds);
    add_delays(&ds, LK_TR_SHARE, "o", slow, 3);
    estimate(&ds, NULL, &r);
    assert_int_equal(r.window_ms, LK_WINDOW_AUTO_MAX_MS);
    assert_int_equal(r.all.within, 0);
    lk_dataset_release(&ds);

    new_dataset(&ds);
    add_delays(&ds, LK_TR_SHARE, "o", frac, 3);
    estimate(&ds, NULL, &r);
    assert_int_equal(r.window_ms, 2000);
    lk_dataset_release(&ds);
}

/*
 * Per trace: 50 share objects with delays 1..50 s, 10 url objects at
 * 100..1000 s.  Overall 60 delays.  share: cut index 25.5 -> 25.5 s, kept 25
 * (1..25), raw index 22.6 -> 22.6 s, window 23 s.  url: 10 < 50 objects, no
 * estimate but counted.  All: cut index 30.5 -> 30.5 s (1..30 kept), raw
 * index 27.1 -> 27.1 s, window 28 s.  Without a dataset: no per-trace.
 */
static void test_per_trace(void **state)
{
    int64_t share[50], url[10];
    lk_dataset ds;
    lk_objindex ix;
    lk_window_auto_opts o;
    lk_window_auto_result r;
    lk_buf b;

    (void)state;
    for (int k = 0; k < 50; k++)
        share[k] = (int64_t)(k + 1) * 1000;
    for (int k = 0; k < 10; k++)
        url[k] = (int64_t)(k + 1) * 100000;
    new_dataset(&ds);
    add_delays(&ds, LK_TR_SHARE, "s", share, 50);
    add_delays(&ds, LK_TR_URL, "u", url, 10);
    lk_window_auto_opts_init(&o);
    o.ds = &ds;
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(lk_window_auto(&ix, &o, &r), LK_OK);

    assert_int_equal(r.all.considered, 60);
    assert_int_equal(r.all.kept, 30);
    assert_true(fabs(r.all.raw_ms - 27100.0) < 1e-9);
    assert_int_equal(r.window_ms, 28000);

    assert_int_equal(r.per_trace[LK_TR_SHARE].considered, 50);
    assert_int_equal(r.per_trace[LK_TR_SHARE].kept, 25);
    assert_true(fabs(r.per_trace[LK_TR_SHARE].raw_ms - 22600.0) < 1e-9);
    assert_int_equal(r.per_trace[LK_TR_SHARE].window_ms, 23000);
    assert_int_equal(r.per_trace[LK_TR_SHARE].within, 23);

    assert_int_equal(r.per_trace[LK_TR_URL].considered, 10);
    assert_int_equal(r.per_trace[LK_TR_URL].window_ms, 0);
    assert_int_equal(r.per_trace[LK_TR_GENERIC].considered, 0);

    lk_buf_init(&b);
    assert_int_equal(lk_window_auto_json(&b, &r), LK_OK);
    assert_non_null(strstr(b.p, "\"share\": {\"window_s\": 23, \"objects_considered\": 50, "
                                "\"objects_kept\": 25, \"fast_cut_s\": 25.5, "
                                "\"quantile_s\": 22.6, \"share_within_window\": 0.46}"));
    assert_non_null(strstr(b.p, "\"url\": {\"window_s\": null, \"objects_considered\": 10,"));
    assert_null(strstr(b.p, "generic"));
    lk_buf_release(&b);

    o.ds = NULL;
    assert_int_equal(lk_window_auto(&ix, &o, &r), LK_OK);
    assert_int_equal(r.window_ms, 28000);
    assert_int_equal(r.per_trace[LK_TR_SHARE].considered, 0);

    o.q = 1.5;
    assert_int_equal(lk_window_auto(&ix, &o, &r), LK_EINVAL);
    o.q = 0.9;
    o.p = NAN;
    assert_int_equal(lk_window_auto(&ix, &o, &r), LK_EINVAL);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* lk_window_auto_ds equals building the index by hand. */
static void test_from_dataset(void **state)
{
    static const int64_t d[] = {4000, 8000, 1000, 500, 12000};
    lk_dataset ds;
    lk_window_auto_result r1, r2;

    (void)state;
    new_dataset(&ds);
    add_delays(&ds, LK_TR_TEXT, "t", d, 5);
    estimate(&ds, NULL, &r1);
    assert_int_equal(lk_window_auto_ds(&ds, NULL, &r2), LK_OK);
    assert_true(same_result(&r1, &r2));
    lk_dataset_release(&ds);
}

/* ---- differential test ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The estimate by brute force: for each object scan every action for the
 * first one (least t, then account, then row) and the earliest action of
 * any other account. */
static void brute_force(const lk_dataset *ds, double p, double q, lk_window_auto_est *e)
{
    const size_t nobj = lk_strpool_count(ds->objects);
    double *d = calloc(nobj + 1, sizeof *d);
    size_t m = 0;

    assert_non_null(d);
    memset(e, 0, sizeof *e);
    for (uint32_t o = 0; o < nobj; o++) {
        const lk_action *first = NULL;
        int64_t second = INT64_MAX;
        for (size_t i = 0; i < ds->n; i++) {
            const lk_action *a = &ds->a[i];
            if (a->object != o)
                continue;
            if (!first || a->t < first->t || (a->t == first->t && a->account < first->account))
                first = a;
        }
        for (size_t i = 0; first && i < ds->n; i++)
            if (ds->a[i].object == o && ds->a[i].account != first->account)
                second = LK_MIN(second, ds->a[i].t);
        if (first && second != INT64_MAX)
            d[m++] = (double)(second - first->t);
    }
    qsort(d, m, sizeof *d, cmp_double);
    e->considered = m;
    if (m >= 2) {
        double w;
        e->fast_cut_ms = lk_quantile7(d, m, p);
        while (e->kept < m && d[e->kept] <= e->fast_cut_ms)
            e->kept++;
        e->raw_ms = lk_quantile7(d, e->kept, q);
        w = ceil(e->raw_ms / 1000.0) * 1000.0;
        e->window_ms = (int64_t)LK_MIN(LK_MAX(w, 1000.0), 3600000.0);
        while (e->within < m && d[e->within] <= (double)e->window_ms)
            e->within++;
    }
    free(d);
}

static void test_differential(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t rng = seed;
        const int nobj = 1 + (int)(next_u64(&rng) % 60), nacc = 1 + (int)(next_u64(&rng) % 6);
        const int n = (int)(next_u64(&rng) % 300);
        const double p = (double)(next_u64(&rng) % 101) / 100.0;
        const double q = (double)(next_u64(&rng) % 101) / 100.0;
        /* coarse times make many ties; scale mixes sub-second and hour delays */
        const int64_t scale = (int64_t[]){1, 250, 1000, 60000}[next_u64(&rng) % 4];
        lk_dataset ds;
        lk_window_auto_opts o;
        lk_window_auto_result r;
        lk_window_auto_est want;

        new_dataset(&ds);
        for (int k = 0; k < n; k++) {
            char obj[16], acc[16];
            (void)snprintf(obj, sizeof obj, "o%d", (int)(next_u64(&rng) % (uint64_t)nobj));
            (void)snprintf(acc, sizeof acc, "a%d", (int)(next_u64(&rng) % (uint64_t)nacc));
            add(&ds, LK_TR_SHARE, obj, acc, (int64_t)(next_u64(&rng) % 200) * scale);
        }
        lk_window_auto_opts_init(&o);
        o.p = p;
        o.q = q;
        estimate(&ds, &o, &r);
        brute_force(&ds, p, q, &want);
        if (!same_est(&want, &r.all))
            fail_msg("seed %llu: considered %llu/%llu kept %llu/%llu raw %.17g/%.17g "
                     "window %lld/%lld within %llu/%llu",
                     (unsigned long long)seed, (unsigned long long)r.all.considered,
                     (unsigned long long)want.considered, (unsigned long long)r.all.kept,
                     (unsigned long long)want.kept, r.all.raw_ms, want.raw_ms,
                     (long long)r.all.window_ms, (long long)want.window_ms,
                     (unsigned long long)r.all.within, (unsigned long long)want.within);
        assert_int_equal(r.window_ms, want.window_ms ? want.window_ms : 60000);
        lk_dataset_release(&ds);
    }
}

/* ---- through lk_detect ------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    assert_non_null(f);
    assert_non_null(buf);
    (void)fread(buf, 1, (1 << 16) - 1, f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* tests/data/detect/window_auto.csv (tests/e2e/detect/window_auto.sh has the
 * hand computation): the estimate is 7 s, the trio's 3 edges pass weight:2,
 * and summary.json shows the window used.  Running the handle again
 * estimates again (the options still say auto) and gives the same bytes. */
static void test_detect_auto(void **state)
{
    lk_detect_opts o;
    lk_detect_stats s;
    lk_detect *d;
    char out[300], path[400];
    char *first, *again;

    (void)state;
    (void)snprintf(out, sizeof out, "%s/auto", tmpdir);
    (void)snprintf(path, sizeof path, "%s/summary.json", out);
    lk_detect_opts_init(&o);
    o.out_dir = out;
    o.window_ms = LK_WINDOW_AUTO;
    o.threshold = LK_THRESHOLD_WEIGHT;
    o.threshold_value = 2;
    d = lk_detect_new(&o);
    assert_non_null(d);
    assert_int_equal(lk_detect_add_input(d, LK_TEST_DATA "/detect/window_auto.csv"), LK_OK);
    assert_int_equal(lk_detect_run(d), LK_OK);
    lk_detect_get_stats(d, &s);
    assert_int_equal(s.coord_edges, 3);
    first = slurp(path);
    assert_non_null(strstr(first, "\"window_s\": 7,\n    \"min_participation\""));
    assert_non_null(strstr(first, "  \"window_auto\": {\n    \"window_s\": 7,\n"));
    assert_non_null(strstr(first, "\"objects_considered\": 10,"));
    assert_int_equal(lk_detect_run(d), LK_OK);
    again = slurp(path);
    assert_string_equal(first, again);
    lk_detect_free(d);
    free(first);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed), cmocka_unit_test(test_coornet_defaults),
        cmocka_unit_test(test_ties),          cmocka_unit_test(test_single_account_ignored),
        cmocka_unit_test(test_fallback),      cmocka_unit_test(test_clamp_and_round),
        cmocka_unit_test(test_per_trace),     cmocka_unit_test(test_from_dataset),
        cmocka_unit_test(test_differential),  cmocka_unit_test(test_detect_auto),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
