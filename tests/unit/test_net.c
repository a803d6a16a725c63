/*
 * test_net.c - pair aggregation (lk_net_build), lookup and thresholds.
 *
 * Hand-made datasets have edges worked out on paper; the randomized test
 * recounts every account pair of every object by brute force.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <math.h>

#include "net.h"
#include "net_int.h"

static uint32_t intern(lk_strpool *p, const char *s)
{
    uint32_t id;
    assert_int_equal(lk_strpool_intern(p, s, strlen(s), &id, NULL), LK_OK);
    return id;
}

static void add_action(lk_dataset *ds, const char *account, const char *object, int64_t t_ms)
{
    lk_action *a;
    assert_int_equal(LK_GROW(ds->a, ds->n + 1, ds->cap), LK_OK);
    a = &ds->a[ds->n];
    memset(a, 0, sizeof *a);
    a->t = t_ms;
    a->account = intern(ds->accounts, account);
    a->object = intern(ds->objects, object);
    a->row = (uint32_t)ds->n;
    a->content = ds->n; /* each action its own post: every co-action is an event */
    ds->n++;
}

/* Every pair (no burst cap), every edge kept, one partition. */
static lk_status build(const lk_objindex *ix, int64_t window, lk_net *net)
{
    return lk_net_build(ix, window, 0, 1, UINT64_C(1) << 30, net);
}

#define assert_near(x, y, eps)                                       \
    do {                                                             \
        const double x_ = (x), y_ = (y);                             \
        if (!(fabs(x_ - y_) <= (eps)))                               \
            fail_msg("%s = %.17g, want %s = %.17g", #x, x_, #y, y_); \
    } while (0)

static uint32_t acc(const lk_dataset *ds, const char *name)
{
    uint32_t id = UINT32_MAX;
    assert_true(lk_strpool_find(ds->accounts, name, strlen(name), &id));
    return id;
}

/*
 * Accounts A B C D E (ids 0..4), window 60 s.
 *   o0: A@0 A@5 B@10 C@100  -> A-B twice (dt 10, 5); A-A ignored; C is too late
 *   o1: A@0 B@30            -> A-B (dt 30)
 *   o2: C@0 D@1             -> C-D (dt 1)
 *   o3: E@0                 -> nothing
 * A = 5 accounts; k = 3, 2, 2, 1 distinct accounts on o0..o3.
 */
static void hand_dataset(lk_dataset *ds)
{
    assert_int_equal(lk_dataset_init(ds), LK_OK);
    add_action(ds, "A", "o0", 0);
    add_action(ds, "B", "o0", 10000);
    add_action(ds, "C", "o0", 100000);
    add_action(ds, "A", "o0", 5000);
    add_action(ds, "A", "o1", 0);
    add_action(ds, "B", "o1", 30000);
    add_action(ds, "C", "o2", 0);
    add_action(ds, "D", "o2", 1000);
    add_action(ds, "E", "o3", 0);
}

static void test_hand_edges(void **state)
{
    lk_dataset ds;
    lk_objindex ix;
    lk_net net;
    lk_edge *ab, *cd;
    uint32_t a, b, c, d, e;

    (void)state;
    hand_dataset(&ds);
    a = acc(&ds, "A");
    b = acc(&ds, "B");
    c = acc(&ds, "C");
    d = acc(&ds, "D");
    e = acc(&ds, "E");
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(build(&ix, 60000, &net), LK_OK);

    assert_int_equal(net.n, 2);
    assert_int_equal(net.pairs, 4);
    ab = lk_net_find(&net, a, b);
    assert_non_null(ab);
    assert_ptr_equal(lk_net_find(&net, b, a), ab);
    assert_int_equal(ab->a, LK_MIN(a, b));
    assert_int_equal(ab->b, LK_MAX(a, b));
    assert_int_equal(ab->co_actions, 3);
    assert_int_equal(ab->objects, 2);
    assert_near(ab->sum_dt_s, 10.0 + 5.0 + 30.0, 1e-12);
    /* the score counts events (pairs of posts): A's two posts on o0 each
     * co-act with B's, and once more on o1 */
    assert_near(ab->score, 2.0 * log(5.0 / 3.0) + log(5.0 / 2.0), 1e-12);
    assert_true(ab->traces != 0);

    cd = lk_net_find(&net, d, c);
    assert_non_null(cd);
    assert_ptr_equal(lk_net_find(&net, c, d), cd);
    assert_int_equal(cd->co_actions, 1);
    assert_int_equal(cd->objects, 1);
    assert_near(cd->sum_dt_s, 1.0, 1e-12);
    assert_near(cd->score, log(5.0 / 2.0), 1e-12);

    assert_null(lk_net_find(&net, a, c)); /* C@100 is outside every window */
    assert_null(lk_net_find(&net, a, a));
    assert_null(lk_net_find(&net, a, e));
    assert_null(lk_net_find(&net, e, 1000));
    lk_net_release(&net);

    /* a 95 s window reaches C@100 from B@10 and A@5 (dt 90, 95) but not A@0 */
    assert_int_equal(build(&ix, 95000, &net), LK_OK);
    assert_int_equal(net.n, 4);
    assert_int_equal(net.pairs, 6);
    assert_int_equal(lk_net_find(&net, a, c)->co_actions, 1);
    assert_near(lk_net_find(&net, a, c)->sum_dt_s, 95.0, 1e-12);
    assert_near(lk_net_find(&net, c, a)->score, log(5.0 / 3.0), 1e-12);
    assert_int_equal(lk_net_find(&net, b, c)->co_actions, 1);
    assert_near(lk_net_find(&net, b, c)->sum_dt_s, 90.0, 1e-12);
    assert_int_equal(lk_net_find(&net, a, b)->co_actions, 3);
    lk_net_release(&net);

    /* window 0: no pair at all */
    assert_int_equal(build(&ix, 0, &net), LK_OK);
    assert_int_equal(net.n, 0);
    assert_int_equal(net.pairs, 0);
    assert_null(lk_net_find(&net, a, b));
    assert_int_equal(lk_net_threshold(&net, LK_THRESHOLD_QUANTILE, 0.5, NULL), 0);
    lk_net_release(&net);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* A counts only the accounts present in the index: without D, A = 4. */
static void test_keep_changes_idf(void **state)
{
    lk_dataset ds;
    lk_objindex ix;
    lk_net net;
    uint8_t keep[5] = {1, 1, 1, 1, 1};

    (void)state;
    hand_dataset(&ds);
    keep[acc(&ds, "D")] = 0;
    assert_int_equal(lk_objindex_build(&ds, keep, &ix), LK_OK);
    assert_int_equal(build(&ix, 60000, &net), LK_OK);
    assert_int_equal(net.n, 1);
    assert_null(lk_net_find(&net, acc(&ds, "C"), acc(&ds, "D")));
    assert_near(lk_net_find(&net, acc(&ds, "A"), acc(&ds, "B"))->score,
                2.0 * log(4.0 / 3.0) + log(4.0 / 2.0), 1e-12);
    lk_net_release(&net);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* Same-time repeats by one account count once per pair of actions, and an
 * object shared by both accounts counts once however many pairs it gives. */
static void test_multiplicity(void **state)
{
    lk_dataset ds;
    lk_objindex ix;
    lk_net net;
    lk_edge *e;

    (void)state;
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    add_action(&ds, "x", "p", 1000);
    add_action(&ds, "x", "p", 1000);
    add_action(&ds, "y", "p", 1000);
    add_action(&ds, "y", "p", 3000);
    add_action(&ds, "y", "q", 0);
    add_action(&ds, "x", "q", 500);
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(build(&ix, 2000, &net), LK_OK);
    e = lk_net_find(&net, 0, 1);
    assert_non_null(e);
    /* p: x@1 x@1 y@1 y@3 -> (x,y): 2 x 2 = 4 pairs, dt 0,0,2,2; q: dt 0.5 */
    assert_int_equal(e->co_actions, 5);
    assert_int_equal(e->objects, 2);
    assert_near(e->sum_dt_s, 4.5, 1e-12);
    assert_near(e->score, 0.0, 1e-12); /* both objects were shared by all of A */
    assert_int_equal(net.pairs, 5);
    lk_net_release(&net);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* Edge weights 1, 1, 2, 3, 10: five disjoint account pairs, each acting
 * together (same time) on `weight` objects of their own. */
static void weights_dataset(lk_dataset *ds, lk_net *net, lk_objindex *ix)
{
    static const int w[5] = {1, 1, 2, 3, 10};
    char u[16], v[16], o[16];
    int obj = 0;

    assert_int_equal(lk_dataset_init(ds), LK_OK);
    for (int k = 0; k < 5; k++) {
        (void)snprintf(u, sizeof u, "u%d", k);
        (void)snprintf(v, sizeof v, "v%d", k);
        for (int i = 0; i < w[k]; i++, obj++) {
            (void)snprintf(o, sizeof o, "o%d", obj);
            add_action(ds, u, o, 1000 * obj);
            add_action(ds, v, o, 1000 * obj);
        }
    }
    assert_int_equal(lk_objindex_build(ds, NULL, ix), LK_OK);
    assert_int_equal(build(ix, 0, net), LK_OK);
    assert_int_equal(net->n, 5);
}

static uint32_t coord_of(const lk_dataset *ds, const lk_net *net, int k)
{
    char u[16], v[16];
    (void)snprintf(u, sizeof u, "u%d", k);
    (void)snprintf(v, sizeof v, "v%d", k);
    return lk_net_find(net, acc(ds, u), acc(ds, v))->coord;
}

static void expect_coord(const lk_dataset *ds, const lk_net *net, const uint32_t want[5])
{
    for (int k = 0; k < 5; k++)
        if (coord_of(ds, net, k) != want[k])
            fail_msg("edge %d: coord %u, want %u", k, coord_of(ds, net, k), want[k]);
}

static void test_threshold(void **state)
{
    /* quantile(c(1,1,2,3,10), p, type = 7) by hand: h = 4p, x[floor h] + frac * gap */
    static const struct {
        double p, q;
        size_t kept;
        uint32_t coord[5];
    } qs[] = {
        {0.0, 1.0, 3, {0, 0, 1, 1, 1}},  {0.25, 1.0, 3, {0, 0, 1, 1, 1}},
        {0.5, 2.0, 2, {0, 0, 0, 1, 1}},  {0.6, 2.4, 2, {0, 0, 0, 1, 1}},
        {0.75, 3.0, 1, {0, 0, 0, 0, 1}}, {0.9, 7.2, 1, {0, 0, 0, 0, 1}},
        {1.0, 10.0, 0, {0, 0, 0, 0, 0}},
    };

    static const struct {
        double w;
        size_t kept;
        uint32_t coord[5];
    } ws[] = {
        {0.0, 5, {1, 1, 1, 1, 1}}, {1.0, 5, {1, 1, 1, 1, 1}},  {2.0, 3, {0, 0, 1, 1, 1}},
        {2.5, 2, {0, 0, 0, 1, 1}}, {10.0, 1, {0, 0, 0, 0, 1}}, {11.0, 0, {0, 0, 0, 0, 0}},
    };

    lk_dataset ds;
    lk_objindex ix;
    lk_net net;

    (void)state;
    weights_dataset(&ds, &net, &ix);
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double cut = -1;
        const size_t kept = lk_net_threshold(&net, LK_THRESHOLD_QUANTILE, qs[k].p, &cut);
        if (kept != qs[k].kept || fabs(cut - qs[k].q) > 1e-9)
            fail_msg("quantile %g: kept %zu cut %.17g, want %zu and %g", qs[k].p, kept, cut,
                     qs[k].kept, qs[k].q);
        expect_coord(&ds, &net, qs[k].coord);
    }
    for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) {
        double cut = -1;
        const size_t kept = lk_net_threshold(&net, LK_THRESHOLD_WEIGHT, ws[k].w, &cut);
        if (kept != ws[k].kept || cut != ws[k].w)
            fail_msg("weight %g: kept %zu cut %g, want %zu", ws[k].w, kept, cut, ws[k].kept);
        expect_coord(&ds, &net, ws[k].coord);
    }
    /* cut may be NULL */
    assert_int_equal(lk_net_threshold(&net, LK_THRESHOLD_WEIGHT, 3.0, NULL), 2);
    lk_net_release(&net);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* Edges lighter than min_keep are not kept but still count for the
 * quantile, which is taken over every edge. */
static void test_min_keep(void **state)
{
    lk_dataset ds;
    lk_objindex ix;
    lk_net net;
    double cut = 0;

    (void)state;
    weights_dataset(&ds, &net, &ix);
    lk_net_release(&net);
    assert_int_equal(lk_net_build(&ix, 0, 0, 3, 0, &net), LK_OK);
    assert_int_equal(net.n, 2);
    assert_int_equal(net.n_all, 5);
    assert_true(net.nwhist > 10);
    assert_int_equal(net.whist[1], 2);
    assert_int_equal(net.whist[2], 1);
    assert_int_equal(net.whist[3], 1);
    assert_int_equal(net.whist[10], 1);
    assert_int_equal(net.whist[4] + net.whist[5] + net.whist[9], 0);
    assert_null(lk_net_find(&net, acc(&ds, "u0"), acc(&ds, "v0")));
    assert_null(lk_net_find(&net, acc(&ds, "u2"), acc(&ds, "v2")));
    assert_int_equal(lk_net_find(&net, acc(&ds, "v3"), acc(&ds, "u3"))->objects, 3);
    assert_int_equal(lk_net_find(&net, acc(&ds, "u4"), acc(&ds, "v4"))->objects, 10);
    assert_int_equal(lk_net_threshold(&net, LK_THRESHOLD_QUANTILE, 0.5, &cut), 2);
    assert_near(cut, 2.0, 1e-12);
    assert_int_equal(lk_net_threshold(&net, LK_THRESHOLD_QUANTILE, 0.75, &cut), 1);
    assert_near(cut, 3.0, 1e-12);
    assert_int_equal(lk_net_threshold(&net, LK_THRESHOLD_QUANTILE, 0.9, &cut), 1);
    assert_near(cut, 7.2, 1e-12);
    assert_int_equal(lk_net_threshold(&net, LK_THRESHOLD_WEIGHT, 2.0, &cut), 2);
    lk_net_release(&net);

    /* a window below zero or above UINT32_MAX ms is refused */
    assert_int_equal(lk_net_build(&ix, -1, 0, 1, 0, &net), LK_EINVAL);
    assert_int_equal(lk_net_build(&ix, INT64_C(1) << 32, 0, 1, 0, &net), LK_EINVAL);
    lk_net_release(&net);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

static int count_edge(void *ctx, lk_edge *e, size_t k)
{
    size_t *n = ctx;
    (void)e;
    assert_int_equal(k, *n); /* in order, each once */
    (*n)++;
    return 1;
}

/* Copies edge k to its slot (threaded scans). */
static int copy_edge(void *ctx, lk_edge *e, size_t k)
{
    ((lk_edge *)ctx)[k] = *e;
    return 1;
}

/* Keeps the edges of odd weight, marked. */
static int odd_weight(void *ctx, lk_edge *e, size_t k)
{
    (void)ctx;
    (void)k;
    e->coord = e->objects % 2;
    return (int)e->coord;
}

/* The result does not depend on the memory budget: a small budget splits
 * the pairs into several partitions and gives the same edges. */
static void test_partitions(void **state)
{
    uint64_t rng = 2024;
    lk_dataset ds;
    lk_objindex ix;
    lk_net one, many;
    char name[32], obj[32];

    (void)state;
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    for (int o = 0; o < 200; o++) {
        /* one object of 450 actions in a minute: ~100k pairs */
        const int k = o == 0 ? 450 : 1 + (int)(next_u64(&rng) % 30);
        (void)snprintf(obj, sizeof obj, "o%d", o);
        for (int i = 0; i < k; i++) {
            (void)snprintf(name, sizeof name, "a%u", (unsigned)(next_u64(&rng) % 300));
            add_action(&ds, name, obj, (int64_t)(next_u64(&rng) % 60) * 1000);
        }
    }
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(lk_net_build(&ix, 30000, 0, 1, UINT64_C(1) << 32, &one), LK_OK);
    /* a window as wide as a record's time difference can be (32 bits of
     * it in the packed spill records): every pair of an object co-acts */
    {
        lk_net wide, wspill;
        lk_net_opts o;
        memset(&o, 0, sizeof o);
        o.window_ms = UINT32_MAX;
        o.min_keep = 1;
        o.budget = UINT64_C(1) << 32;
        o.threads = 1;
        assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &wide), LK_OK);
        o.budget = 1;
        o.threads = 2;
        o.tmp_dir = tmpdir;
        assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &wspill), LK_OK);
        assert_true(wide.pairs > one.pairs);
        assert_int_equal(wspill.pairs, wide.pairs);
        assert_int_equal(wspill.spilled, wspill.pairs * wspill.spill_rec);
        assert_int_equal(wspill.n, wide.n);
        for (size_t k = 0; k < wide.n; k++)
            assert_memory_equal(&wspill.e[k], &wide.e[k], sizeof wide.e[k]);
        lk_net_release(&wide);
        lk_net_release(&wspill);
    }
    {
        /* three threads, and a budget so small that the records are
         * spilled to a temporary file: the same edges */
        lk_net_opts o;
        memset(&o, 0, sizeof o);
        o.window_ms = 30000;
        o.min_keep = 1;
        o.budget = 1;
        o.threads = 3;
        o.tmp_dir = tmpdir;
        assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &many), LK_OK);
    }
    assert_int_equal(one.partitions, 1);
    assert_int_equal(one.spilled, 0);
    assert_true(many.partitions > 1);
    /* every record went to disk, packed: the key in (9 bits of the larger
     * account of 300 and at least 1 of the smaller one's place in its
     * partition), 8 object bits (200), 15 of |dt| (<= 30000 ms) and the 32
     * of the event hash: 9 or 10 bytes of the 24 in memory */
    assert_true(many.spill_rec == 9 || many.spill_rec == 10);
    assert_int_equal(many.spilled, one.pairs * many.spill_rec);
    assert_true(one.pairs > 2 * ((UINT64_C(1) << 20) / 32)); /* > 2 partitions of 1 MiB */
    assert_int_equal(one.pairs, many.pairs);
    assert_int_equal(one.n_all, many.n_all);
    assert_int_equal(one.n, many.n);
    assert_int_equal(one.nwhist > 0, 1);
    for (size_t w = 0; w < LK_MIN(one.nwhist, many.nwhist); w++)
        assert_int_equal(one.whist[w], many.whist[w]);
    for (size_t k = 0; k < one.n; k++) {
        const lk_edge *x = &one.e[k], *y = &many.e[k];
        if (x->a != y->a || x->b != y->b || x->objects != y->objects ||
            x->co_actions != y->co_actions || x->sum_dt_s != y->sum_dt_s || x->score != y->score)
            fail_msg("edge %zu differs between 1 and %u partitions", k, many.partitions);
        if (k && (x[-1].a > x->a || (x[-1].a == x->a && x[-1].b >= x->b)))
            fail_msg("edges not in (a, b) order at %zu", k);
    }
    {
        /* the same with the kept edges parked as they are reduced: read
         * back whole, or only those a filter keeps (and as it left them) */
        lk_net_opts o;
        lk_net pk;
        size_t seen = 0, want = 0;
        memset(&o, 0, sizeof o);
        o.window_ms = 30000;
        o.min_keep = 1;
        o.budget = 1;
        o.threads = 3;
        o.tmp_dir = tmpdir;
        o.park = 1;
        for (int pass = 0; pass < 3; pass++) {
            assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &pk), LK_OK);
            assert_true(lk_net_parked(&pk));
            assert_null(pk.e);
            assert_int_equal(pk.n, one.n);
            assert_int_equal(pk.n_all, one.n_all);
            if (pass == 0) {
                lk_edge *got = calloc(LK_MAX(one.n, (size_t)1), sizeof *got);
                assert_int_equal(lk_net_scan(&pk, 1, count_edge, &seen, NULL), LK_OK);
                assert_int_equal(seen, one.n);
                /* on 3 threads, each edge to its index (over pieces of
                 * several segments) */
                assert_non_null(got);
                assert_true(pk.nseg > 3);
                assert_int_equal(lk_net_scan(&pk, 3, copy_edge, got, NULL), LK_OK);
                for (size_t k = 0; k < one.n; k++)
                    assert_memory_equal(&got[k], &one.e[k], sizeof one.e[k]);
                free(got);
                assert_int_equal(lk_net_unpark_if(&pk, NULL, NULL, NULL), LK_OK);
                assert_int_equal(pk.n, one.n);
                for (size_t k = 0; k < one.n; k++)
                    assert_memory_equal(&pk.e[k], &one.e[k], sizeof one.e[k]);
            } else if (pass == 1) {
                assert_int_equal(lk_net_unpark_if(&pk, odd_weight, NULL, NULL), LK_OK);
                want = 0;
                for (size_t k = 0; k < one.n; k++)
                    if (one.e[k].objects % 2) {
                        lk_edge e = one.e[k];
                        e.coord = 1;
                        assert_true(want < pk.n);
                        assert_memory_equal(&pk.e[want], &e, sizeof e);
                        want++;
                    }
                assert_int_equal(pk.n, want);
                assert_true(want > 0 && want < one.n);
            } else {
                /* parked, then released without reading back */
                assert_int_equal(pk.nseg > 1, 1);
            }
            assert_false(lk_net_parked(&pk) && pass < 2);
            lk_net_release(&pk);
        }
        /* lk_net_park: one piece, the same edges back */
        assert_int_equal(lk_net_park(&many, tmpdir, NULL), LK_OK);
        assert_true(lk_net_parked(&many));
        assert_null(many.e);
        assert_int_equal(lk_net_unpark_if(&many, NULL, NULL, NULL), LK_OK);
        assert_int_equal(many.n, one.n);
        for (size_t k = 0; k < one.n; k++)
            assert_memory_equal(&many.e[k], &one.e[k], sizeof one.e[k]);
    }
    lk_net_release(&one);
    lk_net_release(&many);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* Random datasets: co_actions, objects, sum |dt| and score of every account
 * pair recounted over all pairs of rows of each object (every action is its
 * own post here, so every co-action is one event scored by its object). */
static void check_random(uint64_t seed, int64_t window)
{
    enum { MAXACC = 40 };

    uint64_t rng = seed;
    const size_t nacc = 2 + (size_t)(next_u64(&rng) % (MAXACC - 1));
    const size_t nobj = 1 + (size_t)(next_u64(&rng) % 60);
    uint64_t co[MAXACC][MAXACC];
    uint32_t objs[MAXACC][MAXACC], seen_at[MAXACC][MAXACC];
    double dts[MAXACC][MAXACC], score[MAXACC][MAXACC];
    uint8_t active[MAXACC] = {0};
    lk_dataset ds;
    lk_objindex ix;
    lk_net net;
    size_t nact = 0, nedges = 0;
    uint64_t npairs = 0;
    char name[32], obj[32];

    memset(co, 0, sizeof co);
    memset(objs, 0, sizeof objs);
    memset(dts, 0, sizeof dts);
    memset(score, 0, sizeof score);
    memset(seen_at, 0xff, sizeof seen_at);
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    for (size_t o = 0; o < nobj; o++) {
        const size_t k = 1 + (size_t)(next_u64(&rng) % (o % 7 == 0 ? 120 : 12));
        const int64_t base = (int64_t)(next_u64(&rng) % 100000) * 1000;
        (void)snprintf(obj, sizeof obj, "object %zu", o);
        for (size_t i = 0; i < k; i++) {
            const uint32_t u = (uint32_t)(next_u64(&rng) % nacc);
            (void)snprintf(name, sizeof name, "account %u", u);
            add_action(&ds, name, obj, base + (int64_t)(next_u64(&rng) % 90) * 1000);
        }
    }
    /* brute force over pool ids (the dataset stores them) */
    for (size_t i = 0; i < ds.n; i++)
        if (!active[ds.a[i].account]) {
            active[ds.a[i].account] = 1;
            nact++;
        }
    for (size_t o = 0; o < nobj; o++) {
        uint8_t on[MAXACC] = {0};
        size_t ko = 0;
        for (size_t i = 0; i < ds.n; i++)
            if (ds.a[i].object == o && !on[ds.a[i].account]) {
                on[ds.a[i].account] = 1;
                ko++;
            }
        for (size_t i = 0; i < ds.n; i++)
            for (size_t j = i + 1; j < ds.n; j++) {
                const lk_action *x = &ds.a[i], *y = &ds.a[j];
                const int64_t dt = x->t > y->t ? x->t - y->t : y->t - x->t;
                const uint32_t lo = LK_MIN(x->account, y->account);
                const uint32_t hi = LK_MAX(x->account, y->account);
                if (x->object != o || y->object != o || lo == hi || dt > window)
                    continue;
                co[lo][hi]++;
                dts[lo][hi] += (double)dt / 1000.0;
                npairs++;
                score[lo][hi] += log((double)nact / (double)ko);
                if (seen_at[lo][hi] != o) {
                    seen_at[lo][hi] = (uint32_t)o;
                    objs[lo][hi]++;
                }
            }
    }
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(build(&ix, window, &net), LK_OK);
    for (uint32_t a = 0; a < nacc; a++)
        for (uint32_t b = a + 1; b < nacc; b++) {
            const lk_edge *e = lk_net_find(&net, b, a);
            if (!co[a][b]) {
                if (e)
                    fail_msg("seed %llu: edge (%u, %u) should not exist", (unsigned long long)seed,
                             a, b);
                continue;
            }
            nedges++;
            if (!e)
                fail_msg("seed %llu: edge (%u, %u) missing", (unsigned long long)seed, a, b);
            if (e->a != a || e->b != b || e->co_actions != co[a][b] || e->objects != objs[a][b] ||
                fabs(e->sum_dt_s - dts[a][b]) > 1e-6 || fabs(e->score - score[a][b]) > 1e-9)
                fail_msg("seed %llu: edge (%u, %u): co %llu objects %u dt %g score %g, want co "
                         "%llu objects %u dt %g score %g",
                         (unsigned long long)seed, a, b, (unsigned long long)e->co_actions,
                         e->objects, e->sum_dt_s, e->score, (unsigned long long)co[a][b],
                         objs[a][b], dts[a][b], score[a][b]);
        }
    assert_int_equal(net.n, nedges);
    assert_int_equal(net.n_all, nedges);
    assert_int_equal(net.pairs, npairs);
    for (size_t k = 1; k < net.n; k++)
        if (net.e[k - 1].a > net.e[k].a ||
            (net.e[k - 1].a == net.e[k].a && net.e[k - 1].b >= net.e[k].b))
            fail_msg("seed %llu: edges not in (a, b) order at %zu", (unsigned long long)seed, k);
    lk_net_release(&net);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

static void test_random_vs_brute_force(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        check_random(seed, 0);
        check_random(seed, 1000);
        check_random(seed, 60000);
    }
}

/*
 * Regression (found by this file, fixed in src/net.c hist_quantile): the
 * type-7 quantile must follow R's floating-point order (see test_compat.c).
 * For 91 weights (63 x 63, 28 x 65) and p = 0.7, (n-1)p = 62.999999999999993:
 * R gives quantile(...) == 65 exactly, so no edge has weight > q; the old
 * arithmetic gave a cut of 64.999999999999986 and the weight-65 edges passed.
 * The net is assembled by hand from the fields in net.h.
 */
static void test_quantile_matches_r(void **state)
{
    lk_net net;
    double cut = 0;
    size_t kept;

    (void)state;
    memset(&net, 0, sizeof net);
    net.e = calloc(2, sizeof *net.e);
    net.whist = calloc(66, sizeof *net.whist);
    assert_non_null(net.e);
    assert_non_null(net.whist);
    net.n = net.cap = 2;
    net.e[0].a = 0;
    net.e[0].b = 1;
    net.e[0].objects = 63;
    net.e[1].a = 2;
    net.e[1].b = 3;
    net.e[1].objects = 65;
    net.nwhist = 66;
    net.whist[63] = 63;
    net.whist[65] = 28;
    net.n_all = 91;
    kept = lk_net_threshold(&net, LK_THRESHOLD_QUANTILE, 0.7, &cut);
    lk_net_release(&net); /* before a failure, which leaves the function */
    if (kept != 0 || cut != 65.0)
        fail_msg("quantile 0.7 of (63 x 63, 28 x 65): cut %.17g, %zu kept; R: cut 65, 0 kept", cut,
                 kept);
}

/* The reference order: key, then the position before the sort (stability). */
static int cmp_key_then_obj(const void *x, const void *y)
{
    const prec *a = x, *b = y;
    if (a->key != b->key)
        return (a->key > b->key) - (a->key < b->key);
    return (a->obj > b->obj) - (a->obj < b->obj);
}

/*
 * lk_net_sort_records against qsort on (key, original position), over key
 * widths below, at and above its first pass's 12 bits, buckets from empty
 * to one holding most records (a heavy account), and sizes on both sides
 * of its insertion-sort limit.
 */
static void test_sort_records(void **state)
{
    static const unsigned widths[] = {1, 5, 12, 13, 20, 35, 38, 46, 63};
    static const size_t sizes[] = {0, 1, 2, 24, 25, 3000, 200000};
    uint64_t x = 0x9e3779b97f4a7c15u;

    (void)state;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++)
            for (int heavy = 0; heavy < 2; heavy++) {
                const unsigned kb = widths[w];
                const size_t n = sizes[z];
                const uint64_t mask = kb == 64 ? UINT64_MAX : (UINT64_C(1) << kb) - 1;
                prec *a = calloc(n + 1, sizeof *a), *t = calloc(n + 1, sizeof *t);
                prec *ref = calloc(n + 1, sizeof *ref), *src = a, *dst = t;

                assert_non_null(a);
                assert_non_null(t);
                assert_non_null(ref);
                for (size_t i = 0; i < n; i++) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    /* heavy: 3 records in 4 share their top bits */
                    a[i].key = heavy && (x & 3) ? (mask & ~(mask >> 1)) | (x >> 40 & (mask >> 1))
                                                : x & mask;
                    if (i % 5 == 1)
                        a[i].key = a[i - 1].key; /* equal keys: stability shows */
                    a[i].obj = (uint32_t)i;
                    a[i].ev = (uint32_t)(x >> 32);
                }
                memcpy(ref, a, n * sizeof *a);
                qsort(ref, n, sizeof *ref, cmp_key_then_obj);
                assert_int_equal(lk_net_sort_records(&src, &dst, n, kb), LK_OK);
                for (size_t i = 0; i < n; i++)
                    if (src[i].key != ref[i].key || src[i].obj != ref[i].obj ||
                        src[i].ev != ref[i].ev)
                        fail_msg("%u key bits, %zu records%s: record %zu is (%llx, %u), not "
                                 "(%llx, %u)",
                                 kb, n, heavy ? ", heavy" : "", i, (unsigned long long)src[i].key,
                                 src[i].obj, (unsigned long long)ref[i].key, ref[i].obj);
                free(a);
                free(t);
                free(ref);
            }
}

/* nobj objects "o<k>" of per actions each, at random times in a minute, by
 * accounts "a<n>" drawn from nacc; on every every-th object the first ring
 * actions are accounts 0 .. ring-1 (a group that co-acts again and again). */
static void add_random_objects(lk_dataset *ds, uint64_t *rng, int nobj, int per, unsigned nacc,
                               int every, int ring)
{
    char name[32], obj[32];

    for (int ob = 0; ob < nobj; ob++) {
        (void)snprintf(obj, sizeof obj, "o%d", ob);
        for (int i = 0; i < per; i++) {
            const unsigned a =
                ob % every == 0 && i < ring ? (unsigned)i : (unsigned)(next_u64(rng) % nacc);
            (void)snprintf(name, sizeof name, "a%u", a);
            add_action(ds, name, obj, (int64_t)(next_u64(rng) % 60000));
        }
    }
}

/* nobj random objects of 20 actions in a minute by nacc accounts, accounts
 * 0-9 in every `every`-th one, into ds and ix, and their whole network in
 * ref: every edge kept (min_keep 1), on one thread, in memory, as o says
 * (left set so for the caller's runs to change). */
static void full_net(lk_dataset *ds, lk_objindex *ix, lk_net_opts *o, lk_net *ref, uint64_t *rng,
                     int nobj, unsigned nacc, int every)
{
    assert_int_equal(lk_dataset_init(ds), LK_OK);
    add_random_objects(ds, rng, nobj, 20, nacc, every, 10);
    assert_int_equal(lk_objindex_build(ds, NULL, ix), LK_OK);
    memset(o, 0, sizeof *o);
    o->window_ms = 60000;
    o->min_keep = 1;
    o->budget = UINT64_C(1) << 32;
    o->threads = 1;
    assert_int_equal(lk_net_build_ex(ix, NULL, NULL, o, ref), LK_OK);
}

/* The pair sketch (net.c) leaves the pairs of one record out of the
 * partitions when min_keep >= 2 and only counts them: the kept edges, the
 * edge count and the weight histogram are exactly those of the full
 * reduction (min_keep 1, where no sketch is used) with the light edges
 * dropped, whether the sketch has room for eight counters a pair or, in a
 * small budget, under four (collisions let some single pairs through), on
 * one thread or two, records in memory or spilled. */
static void test_sketch(void **state)
{
    uint64_t rng = 77, singles_true = 0;
    lk_dataset ds;
    lk_objindex ix;
    lk_net ref;
    lk_net_opts o;
    size_t kept = 0;

    static const struct {
        uint64_t budget;
        unsigned threads;
        int spill;
        int roomy; /* eight counters a pair: nearly every single pair found */
    } runs[] = {
        {UINT64_C(1) << 32, 1, 0, 1},
        {UINT64_C(1) << 32, 2, 0, 1},
        {UINT64_C(4) << 20, 2, 1, 0}, /* under four counters a pair */
        {UINT64_C(8) << 20, 1, 1, 1}, /* some blocks spilled, some in memory */
    };

    (void)state;
    /* 6000 objects of 20 actions in a minute by 4000 accounts: most of the
     * ~1.1 M pairs are alone; accounts 0-9 co-act on every 50th object */
    full_net(&ds, &ix, &o, &ref, &rng, 6000, 4000, 50);
    assert_int_equal(ref.singles, 0); /* min_keep 1: every edge kept, no sketch */
    assert_true(ref.pairs > 1000000);
    for (size_t k = 0; k < ref.n; k++) {
        kept += ref.e[k].objects >= 2;
        singles_true += ref.e[k].co_actions == 1;
    }
    assert_true(kept > 45 && singles_true > ref.pairs / 2);
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        lk_net net;
        size_t k = 0;

        o.min_keep = 2;
        o.budget = runs[r].budget;
        o.threads = runs[r].threads;
        o.tmp_dir = runs[r].spill ? tmpdir : NULL;
        assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &net), LK_OK);
        if (net.singles == 0 || net.singles > singles_true)
            fail_msg("run %zu: %llu single pairs left out of %llu", r,
                     (unsigned long long)net.singles, (unsigned long long)singles_true);
        if (runs[r].roomy ? net.singles < singles_true * 9 / 10 : net.singles == singles_true)
            fail_msg("run %zu: %llu of %llu single pairs left out", r,
                     (unsigned long long)net.singles, (unsigned long long)singles_true);
        /* the records that passed the sketch, spilled or not (packed) */
        if ((net.spilled > 0) != runs[r].spill ||
            net.spilled >= (net.pairs - net.singles) * net.spill_rec)
            fail_msg("run %zu: %llu bytes spilled", r, (unsigned long long)net.spilled);
        assert_int_equal(net.pairs, ref.pairs);
        assert_int_equal(net.n_all, ref.n_all);
        assert_int_equal(net.n, kept);
        assert_int_equal(net.nwhist, ref.nwhist);
        for (size_t w = 0; w < ref.nwhist; w++)
            assert_int_equal(net.whist[w], ref.whist[w]);
        for (size_t q = 0; q < ref.n; q++)
            if (ref.e[q].objects >= 2)
                assert_memory_equal(&net.e[k++], &ref.e[q], sizeof ref.e[q]);
        lk_net_release(&net);
    }
    lk_net_release(&ref);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* 1 when account pair (a, b), a < b, is in the sample of one in mask + 1
 * pairs (lk_net_opts.sample_log2): bits 14 and up of the pair's hash, as
 * pairsketch.h's sk_sampled specifies them */
static int in_sample(uint32_t a, uint32_t b, uint64_t mask)
{
    return ((lk_mix64((uint64_t)a << 32 | b) >> 14) & mask) == 0;
}

/* A sample of the pairs (the null copies at scale): exactly the edges of
 * the full aggregation whose pair is in the sample, with the same weights,
 * co-actions and scores (the objects' idf still comes from every action),
 * and pairs counting the sample's in-window pairs only; whether on one
 * thread or two, with the sketch (min_keep 2, its size cut to the
 * sample's) or not, in memory or spilled.  A half sample keeps about half
 * the edges. */
static void test_sample(void **state)
{
    uint64_t rng = 91;
    lk_dataset ds;
    lk_objindex ix;
    lk_net ref;
    lk_net_opts o;

    static const struct {
        unsigned log2, threads;
        uint32_t min_keep;
        uint64_t budget;
    } runs[] = {
        {1, 1, 1, UINT64_C(1) << 32}, {1, 2, 2, UINT64_C(1) << 32},
        {3, 2, 1, UINT64_C(1) << 20}, /* spilled */
        {3, 1, 2, UINT64_C(1) << 20}, {16, 2, 2, UINT64_C(1) << 32},
    };

    (void)state;
    full_net(&ds, &ix, &o, &ref, &rng, 3000, 2000, 40);
    assert_true(ref.n > 100000);
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        const uint64_t mask = (UINT64_C(1) << runs[r].log2) - 1;
        uint64_t pairs = 0, all = 0;
        size_t k = 0;
        lk_net net;

        o.sample_log2 = runs[r].log2;
        o.threads = runs[r].threads;
        o.min_keep = runs[r].min_keep;
        o.budget = runs[r].budget;
        o.tmp_dir = tmpdir;
        assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &net), LK_OK);
        if (runs[r].budget < (UINT64_C(1) << 32))
            assert_true(net.spilled > 0);
        for (size_t q = 0; q < ref.n; q++) {
            const lk_edge *e = &ref.e[q];
            if (!in_sample(e->a, e->b, mask))
                continue;
            pairs += e->co_actions;
            all++;
            if (e->objects < runs[r].min_keep)
                continue;
            if (k >= net.n)
                fail_msg("run %zu: %zu edges, more expected", r, net.n);
            assert_memory_equal(&net.e[k], e, sizeof *e);
            k++;
        }
        assert_int_equal(net.n, k);
        assert_int_equal(net.n_all, all);
        assert_int_equal(net.pairs, pairs);
        if (runs[r].log2 == 1 && (all * 20 < ref.n * 9 || all * 20 > ref.n * 11))
            fail_msg("a half sample kept %llu of %zu edges", (unsigned long long)all, ref.n);
        if (runs[r].log2 == 16)
            assert_true(all < 20);
        lk_net_release(&net);
    }
    lk_net_release(&ref);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* More than 2^16 accounts: the scatter finds an account's partition from
 * its block of accounts and then steps over the partitions cut inside the
 * block (net.c's put_rec).  Hundreds of partitions, spilled on two
 * threads, give the edges of one partition in memory; with min_keep 2
 * (the sketch, sized from its bound) and tens of partitions, the same
 * edges of two objects or more.  A budget far too small for the pairs
 * cuts no more partitions than their costs allow (net.c's
 * part_overhead), with the same edges. */
static void test_many_accounts(void **state)
{
    uint64_t rng = 4242;
    lk_dataset ds;
    lk_objindex ix;
    lk_net one, many, least, sk;
    lk_net_opts o;
    size_t k = 0;

    (void)state;
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    /* 20000 objects of 15 actions in a minute by up to 200000 accounts;
     * accounts 0-4 co-act on every 100th object */
    add_random_objects(&ds, &rng, 20000, 15, 200000, 100, 5);
    assert_true(lk_strpool_count(ds.accounts) > 131072); /* blocks of 4 accounts */
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    memset(&o, 0, sizeof o);
    o.window_ms = 60000;
    o.min_keep = 1;
    o.budget = UINT64_C(1) << 32;
    o.threads = 1;
    assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &one), LK_OK);
    o.budget = 1;
    o.threads = 2;
    o.tmp_dir = tmpdir;
    o.part_records = 4096;
    assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &many), LK_OK);
    /* 2.1 x 10^6 pairs: the budget (1 MiB whatever is given) would sort
     * partitions of 5,461 records, about 400 of them, which cost more than
     * their records; the least costly cut, sqrt(pairs * part_overhead /
     * (2 * threads * 24)), has about 21,000 records a partition */
    o.part_records = 0;
    assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &least), LK_OK);
    assert_int_equal(one.partitions, 1);
    assert_true(one.pairs > 2000000);
    assert_true(many.partitions > 200);
    assert_true(least.partitions > 50 && least.partitions < 200);
    assert_true(many.spilled > 0);
    assert_int_equal(least.spilled, many.spilled);
    for (lk_net *x = &many; x; x = x == &many ? &least : NULL) {
        assert_int_equal(x->pairs, one.pairs);
        assert_int_equal(x->n_all, one.n_all);
        assert_int_equal(x->n, one.n);
        assert_int_equal(x->nwhist, one.nwhist);
        for (size_t w = 0; w < one.nwhist; w++)
            assert_int_equal(x->whist[w], one.whist[w]);
        for (size_t q = 0; q < one.n; q++)
            assert_memory_equal(&x->e[q], &one.e[q], sizeof one.e[q]);
    }
    o.min_keep = 2;
    o.budget = UINT64_C(16) << 20; /* room for the sketch, and partitions */
    assert_int_equal(lk_net_build_ex(&ix, NULL, NULL, &o, &sk), LK_OK);
    assert_true(sk.partitions > 8);
    assert_true(sk.singles > one.pairs / 2);
    assert_int_equal(sk.pairs, one.pairs);
    assert_int_equal(sk.n_all, one.n_all);
    for (size_t q = 0; q < one.n; q++)
        if (one.e[q].objects >= 2) {
            assert_true(k < sk.n);
            assert_memory_equal(&sk.e[k++], &one.e[q], sizeof one.e[q]);
        }
    assert_true(k >= 10); /* the pairs of accounts 0-4 at least */
    assert_int_equal(sk.n, k);
    lk_net_release(&one);
    lk_net_release(&many);
    lk_net_release(&least);
    lk_net_release(&sk);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_edges),    cmocka_unit_test(test_keep_changes_idf),
        cmocka_unit_test(test_multiplicity),  cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_min_keep),      cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_sketch),        cmocka_unit_test(test_random_vs_brute_force),
        cmocka_unit_test(test_sort_records),  cmocka_unit_test(test_quantile_matches_r),
        cmocka_unit_test(test_many_accounts), cmocka_unit_test(test_sample),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
