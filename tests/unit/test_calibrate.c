/*
 * test_calibrate.c - the two null models of calibrate.c keep what they must
 * keep and break what they must break, deterministically.
 *
 * A random dataset of posts (1-3 objects each, several traces, shared
 * content ids within a post) is indexed; then:
 *  - WHO (accounts shuffled): every object keeps its actions' times, in
 *    order; every post keeps one account for all its actions; each
 *    account keeps its number of posts; some posts change account.
 *  - WHEN (delays shuffled): every action keeps its account and object;
 *    each object keeps its action count, and its first action's time when
 *    that post has no other object; runs stay in time order; all actions of
 *    a post move together; some times change.
 *  - the same seed gives the same copy, another seed another one, and the
 *    number of threads does not change it (also on a dataset large enough
 *    for the threaded sorts and several tasks per pass, whose WHEN copy's
 *    runs are checked in (time, account, row) order, ties included).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <sys/stat.h>

#include "calibrate.h"
#include "cols.h"
#include "tmpfile.h"

#define NPOST 3000

static uint32_t intern(lk_strpool *p, const char *s, size_t n)
{
    uint32_t id;
    assert_int_equal(lk_strpool_intern(p, s, n, &id, NULL), LK_OK);
    return id;
}

/* nposts posts of naccounts accounts, at whole seconds of the first
 * span_s seconds */
static void make_n(lk_dataset *ds, uint64_t seed, int nposts, unsigned naccounts, unsigned span_s)
{
    uint64_t rng = seed;
    assert_int_equal(lk_dataset_init(ds), LK_OK);
    for (int p = 0; p < nposts; p++) {
        char acc[32], cont[32], obj[40];
        const int nobj = 1 + (int)(next_u64(&rng) % 3);
        const int64_t t = (int64_t)(next_u64(&rng) % span_s) * 1000;
        uint64_t cref;
        (void)snprintf(acc, sizeof acc, "acc%u", (unsigned)(next_u64(&rng) % naccounts));
        (void)snprintf(cont, sizeof cont, "post%d", p);
        assert_int_equal(lk_arena_add(&ds->content, cont, strlen(cont), &cref), LK_OK);
        for (int k = 0; k < nobj; k++) {
            lk_action *a;
            const lk_trace tr = (lk_trace)(1 + (next_u64(&rng) % 8));
            obj[0] = LK_TRACE_BYTE(tr);
            (void)snprintf(obj + 1, sizeof obj - 1, "o%u", (unsigned)(next_u64(&rng) % 400));
            assert_int_equal(LK_GROW(ds->a, ds->n + 1, ds->cap), LK_OK);
            a = &ds->a[ds->n];
            memset(a, 0, sizeof *a);
            a->t = t;
            a->account = intern(ds->accounts, acc, strlen(acc));
            a->object = intern(ds->objects, obj, strlen(obj));
            a->content = cref;
            a->row = (uint32_t)ds->n;
            ds->n++;
        }
    }
}

static void make(lk_dataset *ds, uint64_t seed)
{
    make_n(ds, seed, NPOST, 300, 86400);
}

static int same(const lk_objindex *x, const lk_objindex *y)
{
    return x->n == y->n && memcmp(x->a, y->a, x->n * sizeof *x->a) == 0;
}

static void test_who(void **state)
{
    lk_dataset ds;
    lk_objindex ix, a, b, c;
    uint64_t strata = 0;
    size_t moved = 0;
    uint64_t posts_before[300] = {0}, posts_after[300] = {0};
    (void)state;
    make(&ds, 1);
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(lk_objindex_null(&ix, &ds, LK_NULL_WHO, 7, 1, NULL, &a, &strata), LK_OK);
    assert_true(strata >= 1);
    for (size_t o = 0; o < ix.nobj; o++)
        for (uint64_t r = ix.start[o]; r < ix.start[o + 1]; r++) {
            assert_true(a.a[r].object == ix.a[r].object);
            assert_true(a.a[r].t == ix.a[r].t);
            assert_true(a.a[r].content == ix.a[r].content);
            moved += a.a[r].account != ix.a[r].account;
        }
    assert_true(moved > ix.n / 2);
    /* one account per post, and each account keeps its number of posts */
    {
        uint32_t owner[NPOST];
        memset(owner, 0xff, sizeof owner);
        for (size_t r = 0; r < a.n; r++) {
            const int p = (int)strtol(lk_arena_get(&ds.content, a.a[r].content) + 4, NULL, 10);
            if (owner[p] == UINT32_MAX) {
                owner[p] = a.a[r].account;
                posts_after[a.a[r].account]++;
            }
            assert_int_equal(owner[p], a.a[r].account);
        }
        memset(owner, 0xff, sizeof owner);
        for (size_t r = 0; r < ix.n; r++) {
            const int p = (int)strtol(lk_arena_get(&ds.content, ix.a[r].content) + 4, NULL, 10);
            if (owner[p] == UINT32_MAX) {
                owner[p] = ix.a[r].account;
                posts_before[ix.a[r].account]++;
            }
        }
        assert_memory_equal(posts_before, posts_after, sizeof posts_before);
    }
    assert_int_equal(lk_objindex_null(&ix, &ds, LK_NULL_WHO, 7, 3, NULL, &b, &strata), LK_OK);
    assert_true(same(&a, &b));
    assert_int_equal(lk_objindex_null(&ix, &ds, LK_NULL_WHO, 8, 1, NULL, &c, &strata), LK_OK);
    assert_false(same(&a, &c));
    lk_objindex_release(&a);
    lk_objindex_release(&b);
    lk_objindex_release(&c);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

static void test_when(void **state)
{
    lk_dataset ds;
    lk_objindex ix, a, b;
    uint64_t strata = 0;
    size_t changed = 0;
    int64_t post_t[NPOST];
    unsigned size[NPOST];
    (void)state;
    make(&ds, 2);
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_int_equal(lk_objindex_null(&ix, &ds, LK_NULL_WHEN, 7, 1, NULL, &a, &strata), LK_OK);
    for (int p = 0; p < NPOST; p++) {
        post_t[p] = INT64_MIN;
        size[p] = 0;
    }
    for (size_t r = 0; r < ix.n; r++)
        size[(int)strtol(lk_arena_get(&ds.content, ix.a[r].content) + 4, NULL, 10)]++;
    for (size_t o = 0; o < ix.nobj; o++) {
        uint64_t acc_x = 0, acc_y = 0;
        assert_true(a.start[o] == ix.start[o]);
        /* an object's first post keeps its time when the object is that
         * post's only one (otherwise the post moves with its primary object) */
        if (ix.start[o + 1] > ix.start[o]) {
            const int p0 =
                (int)strtol(lk_arena_get(&ds.content, ix.a[ix.start[o]].content) + 4, NULL, 10);
            if (size[p0] == 1)
                for (uint64_t r = a.start[o]; r < a.start[o + 1]; r++)
                    if (a.a[r].content == ix.a[ix.start[o]].content)
                        assert_true(a.a[r].t == ix.a[ix.start[o]].t);
        }
        for (uint64_t r = ix.start[o]; r < ix.start[o + 1]; r++) {
            const int p = (int)strtol(lk_arena_get(&ds.content, a.a[r].content) + 4, NULL, 10);
            assert_true(a.a[r].object == (uint32_t)o);
            if (r > a.start[o])
                assert_true(a.a[r - 1].t <= a.a[r].t);
            acc_x += ix.a[r].account * 2654435761u + 1;
            acc_y += a.a[r].account * 2654435761u + 1;
            if (post_t[p] == INT64_MIN)
                post_t[p] = a.a[r].t;
            assert_true(post_t[p] == a.a[r].t); /* a post moves as one */
            changed += a.a[r].t != ix.a[r].t;
        }
        assert_true(acc_x == acc_y); /* same accounts on the object */
    }
    assert_true(changed > 0);
    assert_int_equal(lk_objindex_null(&ix, &ds, LK_NULL_WHEN, 7, 3, NULL, &b, &strata), LK_OK);
    assert_true(same(&a, &b));
    lk_objindex_release(&a);
    lk_objindex_release(&b);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* The WHEN copy's times at real epochs (2020): a post's new time is its
 * primary object's birth plus a delay of its stratum, never more than the
 * data's span past its last time; each post's primary object counted once
 * though it has several actions of the primary trace (most posts here),
 * whole or in groups of strata as under a cap. */
static void test_when_epoch(void **state)
{
    const int64_t base = INT64_C(1600000000000);
    const lk_null_caps groups = {lk_tmpfile_dir(NULL), 1000, 1000, 500, 500};
    lk_dataset ds;
    lk_objindex ix;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    (void)state;
    make(&ds, 5);
    for (size_t i = 0; i < ds.n; i++) {
        ds.a[i].t += base;
        lo = LK_MIN(lo, ds.a[i].t);
        hi = LK_MAX(hi, ds.a[i].t);
    }
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    for (int cut = 0; cut < 2; cut++) {
        lk_objindex a;
        uint64_t strata = 0;
        size_t moved = 0;
        assert_int_equal(
            lk_objindex_null(&ix, &ds, LK_NULL_WHEN, 7, 2, cut ? &groups : NULL, &a, &strata),
            LK_OK);
        for (size_t r = 0; r < a.n; r++) {
            assert_true(a.a[r].t >= lo && a.a[r].t <= hi + (hi - lo));
            moved += a.a[r].t != ix.a[r].t;
        }
        assert_true(moved > a.n / 4);
        lk_objindex_release(&a);
    }
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* Every run of the copy c in (time, account, row) order, as the index
 * orders them (strictly: the rows differ); returns how many runs are
 * longer than 32 (the WHEN copy's re-sort takes its radix path for those)
 * and *ties how many neighbours share a time (its second key). */
static size_t runs_ordered(const lk_objindex *c, size_t *ties)
{
    size_t long_runs = 0;
    *ties = 0;
    for (size_t o = 0; o < c->nobj; o++) {
        long_runs += c->start[o + 1] - c->start[o] > 32;
        for (uint64_t r = c->start[o] + 1; r < c->start[o + 1]; r++) {
            const lk_action *x = &c->a[r - 1], *y = &c->a[r];
            assert_true(x->t <= y->t);
            if (x->t == y->t) {
                (*ties)++;
                assert_true(x->account < y->account ||
                            (x->account == y->account && x->row < y->row));
            }
        }
    }
    return long_runs;
}

/* Over 2^18 actions (several tasks per pass) and 65536 posts (the threaded
 * sorts split), of enough accounts for fine strata: the copies on 1, 2 and
 * 5 threads are the same. */
static void test_threads(void **state)
{
    lk_dataset ds;
    lk_objindex ix;
    (void)state;
    make_n(&ds, 3, 150000, 4000, 3600); /* an hour: times shared */
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    assert_true(ix.n > ((size_t)1 << 18));
    for (int kind = 0; kind < 2; kind++) {
        lk_objindex a, b, c;
        uint64_t sa = 0, sb = 0, sc = 0;
        assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 1, NULL, &a, &sa),
                         LK_OK);
        assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 2, NULL, &b, &sb),
                         LK_OK);
        assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 5, NULL, &c, &sc),
                         LK_OK);
        assert_true(sa > 1); /* strata finer than one for all */
        assert_true(sa == sb && sa == sc);
        assert_true(same(&a, &b));
        assert_true(same(&a, &c));
        if (kind == LK_NULL_WHEN) { /* re-sorted: long runs, ties in time */
            size_t ties = 0;
            assert_true(runs_ordered(&a, &ties) > 100);
            assert_true(ties > 1000);
        }
        {
            /* as under a tight cap: the posts built 20,000 at a time (4
             * passes) into a file, the strata's keys in parts, the
             * accounts or delays shuffled in groups of strata (of 5,000
             * posts at most, on 2 threads; each stratum alone, on 1), the
             * columns mapped from files: the same copy */
            const char *dir = lk_tmpfile_dir(NULL);
            const lk_null_caps g5000 = {dir, 20000, 20000, 5000, 5000}, g1 = {dir, 30000, 0, 1, 1},
                               whole = {dir, 0, 0, 0, 0};
            lk_objindex g, h, w;
            uint64_t sg = 0, shh = 0, sw = 0;
            assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 2, &g5000, &g, &sg),
                             LK_OK);
            assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 1, &g1, &h, &shh),
                             LK_OK);
            assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 2, &whole, &w, &sw),
                             LK_OK);
            assert_true(sg == sa && shh == sa && sw == sa);
            assert_true(same(&a, &g));
            assert_true(same(&a, &h));
            assert_true(same(&a, &w));
            lk_objindex_release(&g);
            lk_objindex_release(&h);
            lk_objindex_release(&w);
        }
        lk_objindex_release(&a);
        lk_objindex_release(&b);
        lk_objindex_release(&c);
    }
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* A share of objects by hand: the objects cut into `cuts` ranges of
 * about as many, every third from the second on (one of them empty). */
static void hand_share(const lk_objindex *ix, size_t cuts, lk_share *s)
{
    s->n = 0;
    s->o = malloc(2 * cuts * sizeof *s->o);
    s->r = malloc(2 * cuts * sizeof *s->r);
    assert_non_null(s->o);
    assert_non_null(s->r);
    for (size_t c = 1; c < cuts; c += 3) {
        const size_t o0 = ix->nobj * c / cuts, o1 = c == 4 ? o0 : ix->nobj * (c + 1) / cuts;
        s->o[2 * s->n] = o0;
        s->o[2 * s->n + 1] = o1;
        s->r[2 * s->n] = (size_t)ix->start[o0];
        s->r[2 * s->n + 1] = (size_t)ix->start[o1];
        s->n++;
    }
}

/* lk_share_next's pieces of any [a, b) are exactly its actions (or
 * objects) inside the share, in order; with no share all of [a, b). */
static void test_share_pieces(void **state)
{
    const size_t o[] = {3, 9, 9, 9, 12, 20, 25, 26}, r[] = {30, 90, 90, 90, 120, 200, 250, 260};
    const lk_share s = {4, (size_t *)o, (size_t *)r};
    (void)state;
    for (int objects = 0; objects < 2; objects++) {
        const size_t *v = objects ? o : r, end = objects ? 30 : 300;
        for (size_t a = 0; a <= end; a++)
            for (size_t b = a; b <= end; b++) {
                size_t k = 0, lo, hi, next = a, got = 0, want = 0;
                while (lk_share_next(&s, objects, a, b, &k, &lo, &hi)) {
                    assert_true(lo >= next && hi >= lo && hi <= b);
                    for (size_t x = next; x < lo; x++) /* skipped: outside */
                        for (size_t i = 0; i < s.n; i++)
                            assert_false(x >= v[2 * i] && x < v[2 * i + 1]);
                    for (size_t x = lo; x < hi; x++) {
                        int in = 0;
                        for (size_t i = 0; i < s.n; i++)
                            in |= x >= v[2 * i] && x < v[2 * i + 1];
                        assert_true(in);
                    }
                    got += hi - lo;
                    next = hi;
                }
                for (size_t x = a; x < b; x++)
                    for (size_t i = 0; i < s.n; i++)
                        want += x >= v[2 * i] && x < v[2 * i + 1];
                assert_int_equal(got, want);
                k = 0;
                assert_true(lk_share_next(NULL, objects, a, b, &k, &lo, &hi));
                assert_true(lo == a && hi == b);
                assert_false(lk_share_next(NULL, objects, a, b, &k, &lo, &hi));
            }
    }
}

/* A copy whose columns hold a share of the objects alone (a rank's under
 * mpirun) is the whole copy there, on 1 or 2 threads, in memory or under
 * a tight cap's cuts (groups of strata, each action's group in a byte),
 * and its mapped columns take room on disk for the share alone. */
static void test_share_copy(void **state)
{
    const char *dir = lk_tmpfile_dir(NULL);
    lk_dataset ds;
    lk_objindex ix;
    lk_share s;
    (void)state;
    make_n(&ds, 3, 150000, 4000, 3600);
    assert_int_equal(lk_objindex_build(&ds, NULL, &ix), LK_OK);
    hand_share(&ix, 11, &s);
    assert_true(s.n == 4 && s.r[2] == s.r[3]); /* one of them empty */
    for (int kind = 0; kind < 2; kind++) {
        const lk_null_caps mem = {NULL, 0, 0, 0, 0, &s}, cut = {dir, 20000, 20000, 5000, 5000, &s};
        lk_objindex a, x[3];
        uint64_t sa = 0, sx = 0;
        size_t inside = 0;
        assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 2, NULL, &a, &sa),
                         LK_OK);
        assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 1, &mem, &x[0], &sx),
                         LK_OK);
        assert_true(sx == sa);
        assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 2, &mem, &x[1], &sx),
                         LK_OK);
        assert_int_equal(lk_objindex_null(&ix, &ds, (lk_null_kind)kind, 9, 2, &cut, &x[2], &sx),
                         LK_OK);
        for (int i = 0; i < 3; i++) {
            for (size_t k = 0; k < s.n; k++)
                for (size_t r = s.r[2 * k]; r < s.r[2 * k + 1]; r++) {
                    if (x[i].a[r].t != a.a[r].t)
                        fail_msg("kind %d copy %d r %zu range %zu [%zu, %zu)", kind, i, r, k,
                                 s.r[2 * k], s.r[2 * k + 1]);
                    assert_true(x[i].a[r].account == a.a[r].account);
                    assert_true(x[i].a[r].row == a.a[r].row);
                    inside += i == 0;
                }
            lk_objindex_release(&x[i]);
        }
        assert_true(inside > ix.n / 5 && inside < ix.n / 2);
        lk_objindex_release(&a);
    }
    {
        /* the columns' file: room for the share's actions alone */
        lk_cols c;
        char err[LK_ERRMSG_MAX];
        struct stat sb;
        size_t own = 0;
        for (size_t k = 0; k < s.n; k++)
            own += s.r[2 * k + 1] - s.r[2 * k];
        assert_int_equal(lk_cols_alloc_share(&c, ix.n, &s, dir, err), LK_OK);
        assert_true(c.map_fd1 > 0);
        assert_int_equal(fstat(c.map_fd1 - 1, &sb), 0);
        assert_true((uint64_t)sb.st_size >= (uint64_t)ix.n * LK_COLS_BYTES);
        assert_true((uint64_t)sb.st_blocks * 512 < (uint64_t)ix.n * LK_COLS_BYTES / 2);
        assert_true((uint64_t)sb.st_blocks * 512 >= (uint64_t)own * LK_COLS_BYTES);
        for (size_t k = 0; k < s.n; k++) /* the share's pages are there to write */
            for (size_t r = s.r[2 * k]; r < s.r[2 * k + 1]; r++) {
                c.t[r] = (int64_t)r;
                c.acc[r] = (uint32_t)r;
                c.post[r] = (uint32_t)r;
            }
        lk_cols_release(&c);
    }
    lk_share_release(&s);
    lk_objindex_release(&ix);
    lk_dataset_release(&ds);
}

/* The null sample auto picks (doc/calibration.md): every pair below 2^27
 * in-window pairs of the data, then the largest power of two that leaves
 * at least 2^26 of them, 2^16 at most; a sample asked for is taken as is. */
static void test_sample_rule(void **state)
{
    static const struct {
        unsigned asked;
        uint64_t pairs;
        unsigned log2;
    } cases[] = {
        {0, 0, 0},
        {0, (UINT64_C(1) << 27) - 1, 0},
        {0, UINT64_C(1) << 27, 1},
        {0, (UINT64_C(1) << 28) - 1, 1},
        {0, 719956039, 3}, /* 10^8 simulated actions: one in 8 */
        {0, UINT64_C(1) << 29, 3},
        {0, UINT64_C(1) << 40, 14},
        {0, UINT64_MAX, 16},
        {1, UINT64_MAX, 0},
        {8, 1000, 3},
        {65536, 0, 16},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (lk_calib_sample_log2(cases[i].asked, cases[i].pairs) != cases[i].log2)
            fail_msg("asked %u, %llu pairs: 2^%u, expected 2^%u", cases[i].asked,
                     (unsigned long long)cases[i].pairs,
                     lk_calib_sample_log2(cases[i].asked, cases[i].pairs), cases[i].log2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who),         cmocka_unit_test(test_when),
        cmocka_unit_test(test_threads),     cmocka_unit_test(test_when_epoch),
        cmocka_unit_test(test_sample_rule), cmocka_unit_test(test_share_pieces),
        cmocka_unit_test(test_share_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
