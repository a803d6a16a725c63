/*
 * test_window.c - the object index and the window sweep.
 *
 * Hand-made cases pin the documented order; the differential test compares
 * lk_objindex_build with a qsort by (object, t, account, row) and lk_sweep
 * with a brute-force O(k^2) enumeration of every pair of every object, on
 * random datasets with many equal times, input rows in shuffled order, and
 * row numbers that are a permutation (so that the row tie-break is tested,
 * not the input position).  The burst cap is checked the same way: brute
 * force counts each action's neighbours within +-window.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include "window.h"

static uint32_t intern(lk_strpool *p, const char *s)
{
    uint32_t id;
    assert_int_equal(lk_strpool_intern(p, s, strlen(s), &id, NULL), LK_OK);
    return id;
}

/* Append an action; account and object are interned by name. */
static void add_action(lk_dataset *ds, const char *account, const char *object, int64_t t,
                       uint32_t row)
{
    lk_action *a;
    assert_int_equal(LK_GROW(ds->a, ds->n + 1, ds->cap), LK_OK);
    a = &ds->a[ds->n++];
    memset(a, 0, sizeof *a);
    a->t = t;
    a->account = intern(ds->accounts, account);
    a->object = intern(ds->objects, object);
    a->row = row;
}

/* ---- pair recording ------------------------------------------------------- */

typedef struct pairlist {
    size_t (*p)[2];
    size_t n, cap;
    const lk_objindex *ix; /* the index the sweep must pass back */
    size_t stop_after;     /* return LK_EIO on this call (1-based); 0 = never */
} pairlist;

static lk_status record_pair(void *ctx, const lk_objindex *ix, size_t i, size_t j)
{
    pairlist *pl = ctx;
    assert_ptr_equal(ix, pl->ix);
    assert_int_equal(LK_GROW(pl->p, pl->n + 1, pl->cap), LK_OK);
    pl->p[pl->n][0] = i;
    pl->p[pl->n][1] = j;
    pl->n++;
    if (pl->stop_after && pl->n == pl->stop_after)
        return LK_EIO;
    return LK_OK;
}

static void sweep_pairs(const lk_objindex *ix, int64_t w, pairlist *pl)
{
    memset(pl, 0, sizeof *pl);
    pl->ix = ix;
    assert_int_equal(lk_sweep(ix, w, 0, record_pair, pl, NULL), LK_OK);
}

static void expect_pairs(const pairlist *pl, const size_t (*want)[2], size_t nwant)
{
    if (pl->n != nwant)
        fail_msg("%zu pairs, want %zu", pl->n, nwant);
    for (size_t k = 0; k < nwant; k++)
        if (pl->p[k][0] != want[k][0] || pl->p[k][1] != want[k][1])
            fail_msg("pair %zu is (%zu, %zu), want (%zu, %zu)", k, pl->p[k][0], pl->p[k][1],
                     want[k][0], want[k][1]);
}

/* ---- hand-made case ----------------------------------------------------------- */

static void small_dataset(lk_dataset *ds)
{
    assert_int_equal(lk_dataset_init(ds), LK_OK);
    /* objects P=0, Q=1, R=2 (R never acted on); accounts alice=0, bob=1, carol=2 */
    (void)intern(ds->objects, "P");
    (void)intern(ds->objects, "Q");
    (void)intern(ds->objects, "R");
    (void)intern(ds->accounts, "alice");
    (void)intern(ds->accounts, "bob");
    (void)intern(ds->accounts, "carol");
    add_action(ds, "bob", "P", 5000, 0);
    add_action(ds, "alice", "P", 5000, 1);
    add_action(ds, "carol", "Q", 1000, 2);
    add_action(ds, "alice", "P", 1000, 3);
    add_action(ds, "bob", "P", 5000, 4);
    add_action(ds, "alice", "Q", 1000, 5);
    add_action(ds, "carol", "P", 70000, 6);
}

static void expect_rows(const lk_objindex *ix, const uint32_t *rows, size_t n)
{
    assert_int_equal(ix->n, n);
    for (size_t k = 0; k < n; k++)
        if (ix->a[k].row != rows[k])
            fail_msg("position %zu holds row %u, want %u", k, ix->a[k].row, rows[k]);
}

static void test_index_order(void **state)
{
    static const uint32_t rows[] = {3, 1, 0, 4, 6, 5, 2};
    static const uint64_t start[] = {0, 5, 7, 7};
    lk_dataset ds;
    lk_objindex ix;

    (void)state;
    small_dataset(&ds);
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(ix.nobj, 3);
    expect_rows(&ix, rows, 7);
    assert_memory_equal(ix.start, start, sizeof start);
    /* the actions are copied whole */
    assert_int_equal(ix.a[4].t, 70000);
    assert_int_equal(ix.a[4].account, 2);
    assert_int_equal(ix.a[4].object, 0);
    lk_objindex_release(&ix);
    assert_null(ix.a);
    lk_dataset_release(&ds);
}

static void test_keep_mask(void **state)
{
    static const uint8_t no_bob[] = {1, 0, 1};
    static const uint8_t only_bob[] = {0, 1, 0};
    static const uint8_t nobody[] = {0, 0, 0};
    static const uint32_t rows1[] = {3, 1, 6, 5, 2};
    static const uint64_t start1[] = {0, 3, 5, 5};
    static const uint32_t rows2[] = {0, 4};
    static const uint64_t start2[] = {0, 2, 2, 2};
    static const uint64_t start3[] = {0, 0, 0, 0};
    lk_dataset ds;
    lk_objindex ix;
    pairlist pl;

    (void)state;
    small_dataset(&ds);
    assert_int_equal(lk_objindex_build(&ds, no_bob, &ix), LK_OK);
    expect_rows(&ix, rows1, 5);
    assert_memory_equal(ix.start, start1, sizeof start1);
    lk_objindex_release(&ix);

    assert_int_equal(lk_objindex_build(&ds, only_bob, &ix), LK_OK);
    expect_rows(&ix, rows2, 2);
    assert_memory_equal(ix.start, start2, sizeof start2);
    lk_objindex_release(&ix);

    assert_int_equal(lk_objindex_build(&ds, nobody, &ix), LK_OK);
    assert_int_equal(ix.n, 0);
    assert_int_equal(ix.nobj, 3);
    assert_memory_equal(ix.start, start3, sizeof start3);
    sweep_pairs(&ix, INT64_C(1) << 40, &pl);
    assert_int_equal(pl.n, 0);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

static void test_sweep_small(void **state)
{
    /* positions: P = 0..4 (t 1000, 5000, 5000, 5000, 70000), Q = 5..6 (both 1000) */
    static const size_t w0[][2] = {{1, 2}, {1, 3}, {2, 3}, {5, 6}};
    static const size_t w4000[][2] = {{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}, {5, 6}};
    static const size_t w65000[][2] = {{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3},
                                       {2, 3}, {1, 4}, {2, 4}, {3, 4}, {5, 6}};
    lk_dataset ds;
    lk_objindex ix;
    pairlist pl;

    (void)state;
    small_dataset(&ds);
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    sweep_pairs(&ix, 0, &pl);
    expect_pairs(&pl, w0, sizeof w0 / sizeof w0[0]);
    free(pl.p);
    sweep_pairs(&ix, 3999, &pl); /* one ms short: same as 0 */
    expect_pairs(&pl, w0, sizeof w0 / sizeof w0[0]);
    free(pl.p);
    sweep_pairs(&ix, 4000, &pl); /* the window is inclusive */
    expect_pairs(&pl, w4000, sizeof w4000 / sizeof w4000[0]);
    free(pl.p);
    sweep_pairs(&ix, 65000, &pl);
    expect_pairs(&pl, w65000, sizeof w65000 / sizeof w65000[0]);
    free(pl.p);

    /* burst cap: with window 4 s every action of P at 1 s and 5 s has 3 others
     * in +-4 s; a cap of 2 drops them all, a cap of 3 drops none */
    {
        lk_sweep_stats st;
        memset(&pl, 0, sizeof pl);
        pl.ix = &ix;
        assert_int_equal(lk_sweep(&ix, 4000, 2, record_pair, &pl, &st), LK_OK);
        expect_pairs(&pl, w0 + 3, 1);
        assert_int_equal(st.burst_actions, 4);
        assert_int_equal(st.burst_objects, 1);
        free(pl.p);
        memset(&pl, 0, sizeof pl);
        pl.ix = &ix;
        assert_int_equal(lk_sweep(&ix, 4000, 3, record_pair, &pl, &st), LK_OK);
        expect_pairs(&pl, w4000, sizeof w4000 / sizeof w4000[0]);
        assert_int_equal(st.burst_actions, 0);
        assert_int_equal(st.burst_objects, 0);
        free(pl.p);
    }

    /* a non-zero status from the callback stops the sweep and is returned */
    memset(&pl, 0, sizeof pl);
    pl.ix = &ix;
    pl.stop_after = 5;
    assert_int_equal(lk_sweep(&ix, 65000, 0, record_pair, &pl, NULL), LK_EIO);
    assert_int_equal(pl.n, 5);
    free(pl.p);
    memset(&pl, 0, sizeof pl);
    pl.ix = &ix;
    pl.stop_after = 2;
    assert_int_equal(lk_sweep(&ix, 65000, 1000, record_pair, &pl, NULL), LK_EIO);
    assert_int_equal(pl.n, 2);
    free(pl.p);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

static void test_empty(void **state)
{
    lk_dataset ds;
    lk_objindex ix;
    pairlist pl;

    (void)state;
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(ix.n, 0);
    assert_int_equal(ix.nobj, 0);
    sweep_pairs(&ix, 1000, &pl);
    assert_int_equal(pl.n, 0);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* ---- differential test ------------------------------------------------------ */

static int cmp_action(const void *x, const void *y)
{
    const lk_action *a = x, *b = y;
    if (a->object != b->object)
        return a->object < b->object ? -1 : 1;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->account != b->account)
        return a->account < b->account ? -1 : 1;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    return 0;
}

/* A random dataset: nobj objects of 1..500 actions (mostly small), accounts
 * drawn from a small set (repeats on the same object are common), times on a
 * coarse grid so that equal times are frequent. */
static void random_dataset(uint64_t seed, lk_dataset *ds)
{
    uint64_t rng = seed;
    const size_t nobj = 1 + (size_t)(next_u64(&rng) % 40);
    const size_t nacc = 2 + (size_t)(next_u64(&rng) % 60);
    size_t *objsize = malloc(nobj * sizeof *objsize), total = 0, k = 0;
    uint32_t *order;
    lk_action *tmp;
    char name[32];

    assert_non_null(objsize);
    assert_int_equal(lk_dataset_init(ds), LK_OK);
    for (size_t o = 0; o < nobj; o++) {
        const uint64_t r = next_u64(&rng) % 10;
        objsize[o] = 1 + (size_t)(next_u64(&rng) % (r == 0 ? 500 : r < 4 ? 40 : 5));
        if (o == 0)
            objsize[o] = 500; /* always one object at the upper bound */
        total += objsize[o];
        (void)snprintf(name, sizeof name, "obj%zu", o);
        (void)intern(ds->objects, name);
    }
    tmp = malloc(total * sizeof *tmp);
    order = malloc(total * sizeof *order);
    assert_non_null(tmp);
    assert_non_null(order);
    for (size_t o = 0; o < nobj; o++) {
        /* per object: a base time and a grid of 1 s, 7 s or 1 ms steps */
        const int64_t base = 1600000000000 + (int64_t)(next_u64(&rng) % 1000000) * 1000;
        const uint64_t mode = next_u64(&rng) % 3;
        const int64_t step = mode == 0 ? 1000 : mode == 1 ? 7000 : 1;
        const uint64_t span = 1 + next_u64(&rng) % (mode == 2 ? 3000 : 30);
        for (size_t i = 0; i < objsize[o]; i++, k++) {
            memset(&tmp[k], 0, sizeof tmp[k]);
            tmp[k].object = (uint32_t)o;
            tmp[k].account = (uint32_t)(next_u64(&rng) % nacc); /* a name index for now */
            tmp[k].t = base + (int64_t)(next_u64(&rng) % span) * step;
        }
    }
    /* shuffle the input order, and give rows as a random permutation */
    for (size_t i = 0; i < total; i++)
        order[i] = (uint32_t)i;
    for (size_t i = total; i > 1; i--) {
        const size_t j = (size_t)(next_u64(&rng) % i);
        lk_action t = tmp[i - 1];
        tmp[i - 1] = tmp[j];
        tmp[j] = t;
    }
    for (size_t i = total; i > 1; i--) {
        const size_t j = (size_t)(next_u64(&rng) % i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < total; i++) {
        char obj[32];
        (void)snprintf(name, sizeof name, "acct-%u", tmp[i].account);
        (void)snprintf(obj, sizeof obj, "obj%u", tmp[i].object);
        add_action(ds, name, obj, tmp[i].t, order[i]);
    }
    free(tmp);
    free(order);
    free(objsize);
}

/* Brute force over the sorted actions want[0..n): every pair of the same
 * object in (object, j, i) order, minus pairs touching a burst action (one
 * with more than max_burst others of its object within +-window). */
static void check_pairs(uint64_t seed, const lk_objindex *ix, const lk_action *want, size_t n,
                        int64_t window, uint64_t max_burst)
{
    pairlist got, exp;
    lk_sweep_stats st, exp_st = {0, 0};
    uint8_t *burst = calloc(LK_MAX(n, (size_t)1), 1);

    assert_non_null(burst);
    memset(&exp, 0, sizeof exp);
    for (size_t s = 0; s < n;) {
        size_t e = s, nb = 0;
        while (e < n && want[e].object == want[s].object)
            e++;
        for (size_t r = s; r < e && max_burst > 0; r++) {
            uint64_t near = 0;
            for (size_t q = s; q < e; q++) {
                const int64_t dt =
                    want[q].t > want[r].t ? want[q].t - want[r].t : want[r].t - want[q].t;
                near += q != r && dt <= window;
            }
            burst[r] = near > max_burst;
            nb += burst[r];
        }
        exp_st.burst_actions += nb;
        exp_st.burst_objects += nb > 0;
        for (size_t j = s; j < e; j++)
            for (size_t i = s; i < j; i++) {
                const int64_t dt = want[j].t - want[i].t;
                if (dt < 0 || dt > window || burst[i] || burst[j])
                    continue;
                assert_int_equal(LK_GROW(exp.p, exp.n + 1, exp.cap), LK_OK);
                exp.p[exp.n][0] = i;
                exp.p[exp.n][1] = j;
                exp.n++;
            }
        s = e;
    }
    memset(&got, 0, sizeof got);
    got.ix = ix;
    memset(&st, 0xab, sizeof st);
    assert_int_equal(lk_sweep(ix, window, max_burst, record_pair, &got, &st), LK_OK);
    if (got.n != exp.n)
        fail_msg("seed %llu window %lld burst %llu: %zu pairs, want %zu", (unsigned long long)seed,
                 (long long)window, (unsigned long long)max_burst, got.n, exp.n);
    for (size_t k = 0; k < exp.n; k++)
        if (got.p[k][0] != exp.p[k][0] || got.p[k][1] != exp.p[k][1])
            fail_msg("seed %llu window %lld burst %llu: pair %zu is (%zu, %zu), want (%zu, %zu)",
                     (unsigned long long)seed, (long long)window, (unsigned long long)max_burst, k,
                     got.p[k][0], got.p[k][1], exp.p[k][0], exp.p[k][1]);
    if (st.burst_actions != exp_st.burst_actions || st.burst_objects != exp_st.burst_objects)
        fail_msg(
            "seed %llu window %lld burst %llu: stats %llu actions %llu objects, want %llu %llu",
            (unsigned long long)seed, (long long)window, (unsigned long long)max_burst,
            (unsigned long long)st.burst_actions, (unsigned long long)st.burst_objects,
            (unsigned long long)exp_st.burst_actions, (unsigned long long)exp_st.burst_objects);
    if (window == 0 && max_burst == 0 && seed == 1)
        assert_true(exp.n > 0); /* the data really has ties */
    if (window == 60000 && max_burst == 2 && seed == 1)
        assert_true(exp_st.burst_actions > 0); /* and really has bursts */
    free(got.p);
    free(exp.p);
    free(burst);
}

static void check_differential(uint64_t seed, const uint8_t *keep)
{
    static const int64_t windows[] = {0, 1000, 60000};
    static const uint64_t bursts[] = {0, 2, 15, 100};
    lk_dataset ds;
    lk_objindex ix;
    lk_action *want;
    size_t n = 0, nobj;

    random_dataset(seed, &ds);
    nobj = lk_strpool_count(ds.objects);
    want = malloc(LK_MAX(ds.n, (size_t)1) * sizeof *want);
    assert_non_null(want);
    for (size_t i = 0; i < ds.n; i++)
        if (!keep || keep[ds.a[i].account])
            want[n++] = ds.a[i];
    qsort(want, n, sizeof *want, cmp_action);

    assert_int_equal(lk_objindex_build(&ds, keep, &ix), LK_OK);
    assert_int_equal(ix.n, n);
    assert_int_equal(ix.nobj, nobj);
    for (size_t i = 0; i < n; i++)
        if (memcmp(&ix.a[i], &want[i], sizeof want[i]) != 0)
            fail_msg("seed %llu: position %zu holds row %u, want row %u", (unsigned long long)seed,
                     i, ix.a[i].row, want[i].row);
    {
        size_t r = 0;
        for (size_t o = 0; o <= nobj; o++) {
            while (r < n && want[r].object < o)
                r++;
            if (ix.start[o] != r)
                fail_msg("seed %llu: start[%zu] = %llu, want %zu", (unsigned long long)seed, o,
                         (unsigned long long)ix.start[o], r);
        }
    }

    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++)
        for (size_t b = 0; b < sizeof bursts / sizeof bursts[0]; b++)
            check_pairs(seed, &ix, want, n, windows[w], bursts[b]);
    {
        /* built in the table itself: the same index, the table handed over */
        lk_objindex ix2;
        const size_t read = ds.n;
        assert_int_equal(lk_objindex_take(&ds, keep, &ix2), LK_OK);
        assert_null(ds.a);
        assert_int_equal(ds.n, read);
        assert_int_equal(ix2.n, n);
        assert_int_equal(ix2.nobj, nobj);
        if (n)
            assert_memory_equal(ix2.a, want, n * sizeof *want);
        assert_memory_equal(ix2.start, ix.start, (nobj + 1) * sizeof *ix.start);
        lk_objindex_release(&ix2);
    }
    lk_objindex_release(&ix);
    free(want);
    lk_dataset_release(&ds);
}

static void test_sweep_differential(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++)
        check_differential(seed, NULL);
}

static void test_sweep_differential_keep(void **state)
{
    uint8_t keep[64];
    uint64_t rng = 99;

    (void)state;
    for (uint64_t seed = 11; seed <= 16; seed++) {
        for (size_t i = 0; i < sizeof keep; i++)
            keep[i] = (uint8_t)(next_u64(&rng) % 3 != 0);
        check_differential(seed, keep);
    }
}

/* Many objects (the in-place build's two passes: groups of objects by
 * their ids' high bits, then objects), against the copying build. */
static void test_take_many_objects(void **state)
{
    static const size_t nobjs[] = {255, 256, 257, 5000, 70000};
    uint64_t rng = 7;
    char name[32], obj[32];

    (void)state;
    for (size_t c = 0; c < sizeof nobjs / sizeof nobjs[0]; c++) {
        lk_dataset ds;
        lk_objindex ix, ix2;
        uint8_t keep[50];
        for (size_t i = 0; i < sizeof keep; i++)
            keep[i] = (uint8_t)(next_u64(&rng) % 4 != 0);
        assert_int_equal(lk_dataset_init(&ds), LK_OK);
        for (size_t o = 0; o < nobjs[c]; o++) { /* ids in this order */
            (void)snprintf(obj, sizeof obj, "o%zu", o);
            (void)intern(ds.objects, obj);
        }
        for (uint32_t i = 0; i < 3 * nobjs[c]; i++) {
            (void)snprintf(name, sizeof name, "a%u", (unsigned)(next_u64(&rng) % 50));
            (void)snprintf(obj, sizeof obj, "o%zu", (size_t)(next_u64(&rng) % nobjs[c]));
            add_action(&ds, name, obj, (int64_t)(next_u64(&rng) % 100) * 1000, i);
        }
        for (int k = 0; k < 2; k++) {
            const uint8_t *kp = k ? keep : NULL;
            assert_int_equal(lk_objindex_build(&ds, kp, &ix), LK_OK);
            if (k) {
                assert_int_equal(lk_objindex_take(&ds, kp, &ix2), LK_OK);
            } else {
                /* take a copy of the table: the build above needs it again */
                lk_dataset cp = ds;
                cp.a = malloc(ds.n * sizeof *cp.a);
                assert_non_null(cp.a);
                memcpy(cp.a, ds.a, ds.n * sizeof *cp.a);
                assert_int_equal(lk_objindex_take(&cp, kp, &ix2), LK_OK);
                assert_null(cp.a);
            }
            assert_int_equal(ix2.n, ix.n);
            assert_memory_equal(ix2.a, ix.a, ix.n * sizeof *ix.a);
            assert_memory_equal(ix2.start, ix.start, (ix.nobj + 1) * sizeof *ix.start);
            lk_objindex_release(&ix);
            lk_objindex_release(&ix2);
        }
        lk_dataset_release(&ds);
    }
}

/* The actions parked to a temporary file and read back are the same; a
 * folder that cannot hold the file leaves the index as it was. */
static void test_park(void **state)
{
    uint64_t rng = 11;
    lk_dataset ds;
    lk_objindex ix;
    lk_action *copy;
    char name[32], obj[32], err[LK_ERRMSG_MAX] = "";

    (void)state;
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    for (uint32_t i = 0; i < 20000; i++) {
        (void)snprintf(name, sizeof name, "a%u", (unsigned)(next_u64(&rng) % 300));
        (void)snprintf(obj, sizeof obj, "o%u", (unsigned)(next_u64(&rng) % 3000));
        add_action(&ds, name, obj, (int64_t)(next_u64(&rng) % 1000) * 1000, i);
    }
    assert_int_equal(lk_objindex_take(&ds, NULL, &ix), LK_OK);
    copy = malloc(ix.n * sizeof *copy);
    assert_non_null(copy);
    memcpy(copy, ix.a, ix.n * sizeof *copy);
    assert_int_equal(lk_objindex_park(&ix, "/nonexistent/lk", err), LK_EIO);
    assert_non_null(strstr(err, "/nonexistent/lk"));
    assert_int_equal(ix.park_fd1, 0);
    assert_memory_equal(ix.a, copy, ix.n * sizeof *copy);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(lk_objindex_park(&ix, tmpdir, err), LK_OK);
        assert_null(ix.a);
        assert_int_equal(ix.n, 20000);
        assert_int_equal(ix.start[ix.nobj], 20000);
        assert_int_equal(lk_objindex_unpark(&ix, err), LK_OK);
        assert_int_equal(ix.park_fd1, 0);
        assert_memory_equal(ix.a, copy, ix.n * sizeof *copy);
    }
    /* released while parked: the file goes with it */
    assert_int_equal(lk_objindex_park(&ix, tmpdir, err), LK_OK);
    lk_objindex_release(&ix);
    free(copy);
    lk_dataset_release(&ds);
}

/* Resident kilobytes of the mapping that begins at p (/proc/self/smaps), or
 * -1 when there is none. */
static long mapping_rss_kb(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int found = 0;
    long kb = -1;

    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        char *end;
        const unsigned long lo = strtoul(line, &end, 16);
        if (*end == '-' && strchr(line, ' ') > end)
            found = lo == (unsigned long)(uintptr_t)p;
        else if (found && strncmp(line, "Rss:", 4) == 0) {
            kb = strtol(line + 4, NULL, 10);
            break;
        }
    }
    (void)fclose(f);
    return found ? kb : -1;
}

/* Parked and mapped: the same actions, readable; evicted pages leave the
 * process and read the same when touched again; read back the same. */
static void test_park_map(void **state)
{
    uint64_t rng = 12;
    lk_dataset ds;
    lk_objindex ix;
    lk_action *copy;
    size_t bytes;
    char name[32], obj[32], err[LK_ERRMSG_MAX] = "";

    (void)state;
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    for (uint32_t i = 0; i < 50000; i++) {
        (void)snprintf(name, sizeof name, "a%u", (unsigned)(next_u64(&rng) % 300));
        (void)snprintf(obj, sizeof obj, "o%u", (unsigned)(next_u64(&rng) % 3000));
        add_action(&ds, name, obj, (int64_t)(next_u64(&rng) % 1000) * 1000, i);
    }
    assert_int_equal(lk_objindex_take(&ds, NULL, &ix), LK_OK);
    bytes = ix.n * sizeof *copy;
    copy = malloc(bytes);
    assert_non_null(copy);
    memcpy(copy, ix.a, bytes);
    assert_int_equal(lk_objindex_park_map(&ix, "/nonexistent/lk", err), LK_EIO);
    assert_non_null(strstr(err, "/nonexistent/lk"));
    assert_int_equal(ix.park_fd1, 0);
    assert_int_equal(ix.mapped, 0);
    assert_memory_equal(ix.a, copy, bytes);
    lk_objindex_evict(&ix, 0, ix.n); /* not mapped: a no-op */
    assert_memory_equal(ix.a, copy, bytes);

    assert_int_equal(lk_objindex_park_map(&ix, tmpdir, err), LK_OK);
    assert_int_equal(ix.mapped, 1);
    assert_int_not_equal(ix.park_fd1, 0);
    assert_memory_equal(ix.a, copy, bytes);
    /* all touched: resident; evicted: gone but for the partial last page */
    assert_true(mapping_rss_kb(ix.a) >= (long)(bytes / 1024) - 4);
    lk_objindex_evict(&ix, 0, ix.n);
    assert_true(mapping_rss_kb(ix.a) <= 4);
    assert_memory_equal(ix.a, copy, bytes);
    /* a range: only its whole pages go */
    lk_objindex_evict(&ix, 1000, 30000);
    assert_true(mapping_rss_kb(ix.a) >= (long)(bytes / 1024) - (30000 - 1000) * 32 / 1024 - 4);
    assert_true(mapping_rss_kb(ix.a) <= (long)(bytes / 1024) - (30000 - 1000 - 256) * 32 / 1024);
    assert_memory_equal(ix.a, copy, bytes);
    /* parked again: a no-op */
    assert_int_equal(lk_objindex_park_map(&ix, tmpdir, err), LK_OK);
    assert_int_equal(lk_objindex_unpark(&ix, err), LK_OK);
    assert_int_equal(ix.park_fd1, 0);
    assert_int_equal(ix.mapped, 0);
    assert_memory_equal(ix.a, copy, bytes);
    /* released while mapped: the mapping and the file go with it */
    assert_int_equal(lk_objindex_park_map(&ix, tmpdir, err), LK_OK);
    {
        const void *was = ix.a;
        lk_objindex_release(&ix);
        assert_int_equal(mapping_rss_kb(was), -1);
    }
    free(copy);
    lk_dataset_release(&ds);
}

/* One action into a spilled dataset as the sink adds it: the content id's
 * hash in the action, its ref beside it, the row its place in the table. */
static void add_spilled(lk_dataset *ds, const char *account, const char *object, int64_t t,
                        const char *content)
{
    lk_action *a;
    uint64_t ref;
    char err[LK_ERRMSG_MAX] = "";
    assert_int_equal(lk_dataset_spill_room(ds, 1, err), LK_OK);
    assert_int_equal(lk_arena_add(&ds->content, content, strlen(content), &ref), LK_OK);
    a = &ds->a[ds->n - ds->spill_n];
    memset(a, 0, sizeof *a);
    a->t = t;
    a->account = intern(ds->accounts, account);
    a->object = intern(ds->objects, object);
    a->row = (uint32_t)ds->n;
    a->content = lk_ds_content_hash(ds, ref);
    ds->trefs[ds->n - ds->spill_n] = ref;
    ds->n++;
}

/* The index of a spilled table (over several blocks, with a keep mask) is
 * the index of the same table in memory, content hashes in place of refs,
 * whether it fits the budget (one pass, in memory) or not (written in
 * passes and mapped); cut down and given its refs back by row, it is the
 * same cut of the in-memory index exactly. */
static void from_spill_case(size_t n, unsigned nobjects, uint64_t budget, int want_passes,
                            unsigned threads, int given)
{
    uint64_t *counts = NULL;
    uint64_t rng = 13;
    lk_dataset mem, sp;
    lk_objindex a, b, sa, sb;
    uint8_t keep[400], keep2[400];
    char name[32], obj[32], content[32], err[LK_ERRMSG_MAX] = "";
    unsigned passes = 99;

    assert_int_equal(lk_dataset_init(&mem), LK_OK);
    assert_int_equal(lk_dataset_init(&sp), LK_OK);
    assert_int_equal(lk_dataset_spill(&sp, "/nonexistent/lk", err), LK_EIO);
    assert_non_null(strstr(err, "/nonexistent/lk"));
    assert_int_equal(sp.spill_fd1, 0);
    assert_int_equal(lk_dataset_spill(&sp, tmpdir, err), LK_OK);
    for (size_t i = 0; i < n; i++) {
        uint64_t ref;
        const int64_t t = (int64_t)(next_u64(&rng) % 5000) * 1000;
        (void)snprintf(name, sizeof name, "a%u", (unsigned)(next_u64(&rng) % 400));
        (void)snprintf(obj, sizeof obj, "o%u", (unsigned)(next_u64(&rng) % nobjects));
        (void)snprintf(content, sizeof content, "post%u", (unsigned)(i / 3));
        add_action(&mem, name, obj, t, (uint32_t)i);
        assert_int_equal(lk_arena_add(&mem.content, content, strlen(content), &ref), LK_OK);
        mem.a[i].content = ref;
        add_spilled(&sp, name, obj, t, content);
    }
    /* at most a block in memory while it grows */
    assert_true(sp.n - sp.spill_n <= LK_DS_BLOCK);
    assert_true(sp.spill_n >= n / LK_DS_BLOCK * LK_DS_BLOCK);
    assert_int_equal(lk_dataset_spill_flush(&sp, 1, err), LK_OK);
    assert_int_equal(sp.spill_n, n);
    assert_null(sp.a);
    for (size_t i = 0; i < 400; i++) {
        keep[i] = (uint8_t)(next_u64(&rng) % 4 != 0);
        keep2[i] = (uint8_t)(next_u64(&rng) % 9 == 0);
    }
    assert_int_equal(lk_objindex_build(&mem, keep, &a), LK_OK);
    if (given) {
        /* the kept actions of each object, counted here from the table in
         * memory (as detect counts them while counting the rows) */
        counts = lk_huge_calloc(lk_strpool_count(sp.objects) + 1, sizeof *counts);
        assert_non_null(counts);
        for (size_t i = 0; i < n; i++)
            if (keep[mem.a[i].account])
                counts[mem.a[i].object + 1]++;
    }
    assert_int_equal(lk_objindex_from_spill(&sp, keep, given ? &counts : NULL, budget, threads, &b,
                                            &passes, err),
                     LK_OK);
    assert_null(counts); /* taken by the index */
    if (want_passes == 1) {
        assert_int_equal(passes, 1);
        assert_int_equal(b.mapped, 0);
        assert_int_equal(b.park_fd1, 0);
    } else {
        /* written in passes, each of as many whole objects as fit */
        assert_true(passes >= (unsigned)want_passes);
        assert_int_equal(b.mapped, 1);
        assert_int_not_equal(b.park_fd1, 0);
    }
    assert_int_equal(sp.spill_fd1, 0); /* its file went; the refs' went to b */
    assert_int_equal(sp.refs_fd1, 0);
    assert_int_not_equal(b.content_fd1, 0);
    assert_int_equal(a.n, b.n);
    assert_int_equal(a.nobj, b.nobj);
    assert_memory_equal(a.start, b.start, (a.nobj + 1) * sizeof *a.start);
    for (size_t r = 0; r < a.n; r++) {
        lk_action x = a.a[r];
        assert_int_equal(lk_objindex_chash(&b, &sp, r), lk_ds_content_hash(&mem, x.content));
        x.content = b.a[r].content;
        assert_memory_equal(&x, &b.a[r], sizeof x);
    }
    assert_int_equal(lk_objindex_subset(&a, keep2, NULL, 1, &sa), LK_OK);
    assert_int_equal(lk_objindex_subset(&b, keep2, NULL, 3, &sb), LK_OK);
    sb.content_fd1 = b.content_fd1;
    sb.content_dir = b.content_dir;
    b.content_fd1 = 0;
    assert_true(sa.n > 0 && sa.n < a.n / 4);
    assert_int_equal(lk_objindex_content_back(&sb, err), LK_OK);
    assert_int_equal(sb.content_fd1, 0);
    assert_int_equal(sa.n, sb.n);
    assert_memory_equal(sa.a, sb.a, sa.n * sizeof *sa.a);
    /* and what a plain filter of a's runs keeps (the subset's tasks take
     * ranges of a few hundred objects here) */
    {
        size_t k = 0;
        for (size_t o = 0; o < a.nobj; o++) {
            assert_int_equal(sa.start[o], k);
            assert_int_equal(sb.start[o], k);
            for (uint64_t r = a.start[o]; r < a.start[o + 1]; r++)
                if (keep2[a.a[r].account]) {
                    assert_true(k < sa.n);
                    assert_memory_equal(&sa.a[k], &a.a[r], sizeof a.a[r]);
                    k++;
                }
        }
        assert_int_equal(k, sa.n);
        assert_int_equal(sa.start[a.nobj], k);
    }
    lk_objindex_release(&a);
    lk_objindex_release(&b);
    lk_objindex_release(&sa);
    lk_objindex_release(&sb);
    lk_dataset_release(&mem);
    lk_dataset_release(&sp);
}

static void test_from_spill(void **state)
{
    const size_t n = 3 * LK_DS_BLOCK + 123;

    (void)state;
    /* on 1 thread, then 3 (each reads the file and fills the runs of its
     * share of a pass's objects, then sorts them) and 7 (4 at most): the
     * same index */
    for (unsigned threads = 1; threads <= 7; threads += threads == 1 ? 2 : 4) {
        /* about 147 K kept actions (4.7 MB), 20,000 objects (160 KB of starts) */
        /* each with the objects' counts made by a pass of its own, and
         * given by the caller */
        for (int given = 0; given <= 1; given++) {
            from_spill_case(n, 20000, UINT64_MAX, 1, threads, given);
            from_spill_case(n, 20000, (uint64_t)1 << 20, 6, threads, given); /* about 27 K a pass */
            from_spill_case(n, 20000, (uint64_t)300 << 10, 25, threads,
                            given); /* about 4.4 K: 31 */
            /* no room at all: a pass still takes at least one whole object
             * (about 120 actions each here), so 100 objects take 20 to 100
             * passes */
            from_spill_case(16000, 100, 0, 20, threads, given);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_order),        cmocka_unit_test(test_keep_mask),
        cmocka_unit_test(test_sweep_small),        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_sweep_differential), cmocka_unit_test(test_sweep_differential_keep),
        cmocka_unit_test(test_take_many_objects),  cmocka_unit_test(test_park),
        cmocka_unit_test(test_park_map),           cmocka_unit_test(test_from_spill),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
