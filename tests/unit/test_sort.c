/*
 * test_sort.c - the radix sorts of src/sort.c against qsort: lk_sort_kv
 * (stable LSD on the key) and lk_sort_kv_inplace (MSD by key, then value),
 * on inputs shaped like the calibration's (64-bit hashes, small strata
 * keys with long runs of equal keys, all keys equal, sorted and reversed
 * input, sizes around the insertion-sort cut-off); its threaded form
 * lk_sort_kv_inplace_par against qsort on sizes around its own cut-off,
 * skewed keys included, for several thread counts; lk_sort_kv_parts_par
 * on pairs cut by their keys' top byte; lk_sort_u64_inplace
 * and its threaded form on the same keys; and the order-keeping double
 * keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "rng.h"
#include "sort.h"

static int cmp_kv(const void *x, const void *y)
{
    const lk_kv *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->val != b->val)
        return a->val < b->val ? -1 : 1;
    return 0;
}

enum shape { RANDOM64, SMALL_KEYS, ONE_KEY, SORTED, REVERSED, HIGH_BYTE_ONLY, SKEWED, NSHAPES };

/* n pairs of the given shape; values are 0..n-1 in input order (as the
 * calibration gives them), or random when rand_val */
static lk_kv *make(size_t n, enum shape sh, int rand_val, uint64_t seed)
{
    lk_kv *p = malloc((n ? n : 1) * sizeof *p);
    lk_rng r;
    lk_rng_seed(&r, seed);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        switch (sh) {
        case RANDOM64:
            p[i].key = lk_rng_next(&r);
            break;
        case SMALL_KEYS: /* strata: few keys, long equal runs */
            p[i].key = lk_rng_below(&r, 7) << 20 | lk_rng_below(&r, 3);
            break;
        case ONE_KEY:
            p[i].key = 42;
            break;
        case SORTED:
            p[i].key = i / 3;
            break;
        case REVERSED:
            p[i].key = (uint64_t)(n - i) * 1000003u;
            break;
        case HIGH_BYTE_ONLY: /* only the top byte varies */
            p[i].key = lk_rng_below(&r, 5) << 56;
            break;
        default: /* skewed: most keys share their top bytes, a few do not */
            p[i].key = lk_rng_below(&r, 10) == 0 ? lk_rng_next(&r)
                                                 : UINT64_C(0x42) << 56 | lk_rng_below(&r, 1000);
            break;
        }
        p[i].val = rand_val ? lk_rng_next(&r) >> lk_rng_below(&r, 64) : i;
    }
    return p;
}

static void test_inplace_matches_qsort(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 100, 1000, 70000};
    (void)state;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int sh = 0; sh < NSHAPES; sh++)
            for (int rv = 0; rv < 2; rv++) {
                const size_t n = sizes[si];
                lk_kv *a = make(n, (enum shape)sh, rv, 1000 + si * 10 + (size_t)sh);
                lk_kv *b = malloc((n ? n : 1) * sizeof *b);
                assert_non_null(b);
                memcpy(b, a, n * sizeof *a);
                lk_sort_kv_inplace(a, n);
                qsort(b, n, sizeof *b, cmp_kv);
                assert_memory_equal(a, b, n * sizeof *a);
                free(a);
                free(b);
            }
}

/* With increasing values, the in-place sort gives the stable radix sort's
 * order: what lets the calibration use either. */
static void test_inplace_equals_stable(void **state)
{
    (void)state;
    for (int sh = 0; sh < NSHAPES; sh++) {
        const size_t n = 50000;
        lk_kv *a = make(n, (enum shape)sh, 0, 77 + (uint64_t)sh);
        lk_kv *b = malloc(n * sizeof *b);
        assert_non_null(b);
        memcpy(b, a, n * sizeof *a);
        lk_sort_kv_inplace(a, n);
        assert_int_equal(lk_sort_kv(b, n, lk_kv_keybits(b, n)), LK_OK);
        assert_memory_equal(a, b, n * sizeof *a);
        for (size_t i = 1; i < n; i++) /* and it is sorted, not just equal */
            assert_true(a[i - 1].key < a[i].key ||
                        (a[i - 1].key == a[i].key && a[i - 1].val < a[i].val));
        free(a);
        free(b);
    }
}

/* The threaded sort gives the serial sort's one order, whatever the
 * number of threads, below and above the size where it starts to split. */
static void test_inplace_par_matches_qsort(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 1000, 65535, 65536, 65537, 300000};
    static const unsigned threads[] = {1, 2, 3, 8};
    (void)state;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int sh = 0; sh < NSHAPES; sh++)
            for (int rv = 0; rv < 2; rv++) {
                const size_t n = sizes[si];
                lk_kv *a = make(n, (enum shape)sh, rv, 5000 + si * 10 + (size_t)sh);
                lk_kv *b = malloc((n ? n : 1) * sizeof *b);
                lk_kv *c = malloc((n ? n : 1) * sizeof *c);
                assert_non_null(b);
                assert_non_null(c);
                memcpy(b, a, n * sizeof *a);
                qsort(b, n, sizeof *b, cmp_kv);
                for (size_t ti = 0; ti < sizeof threads / sizeof *threads; ti++) {
                    memcpy(c, a, n * sizeof *a);
                    lk_sort_kv_inplace_par(c, n, threads[ti]);
                    assert_memory_equal(c, b, n * sizeof *c);
                }
                free(a);
                free(b);
                free(c);
            }
}

/* Pairs cut into parts by the top byte of their key (a counting pass, as
 * the calibration's numbering writes them), each part sorted by
 * lk_sort_kv_parts_par: the order qsort gives the whole. */
static void test_parts_match_qsort(void **state)
{
    static const size_t sizes[] = {0, 1, 1000, 300000};
    static const unsigned threads[] = {1, 2, 3};
    (void)state;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int sh = 0; sh < NSHAPES; sh++) {
            const size_t n = sizes[si];
            lk_kv *a = make(n, (enum shape)sh, 1, 7000 + si * 10 + (size_t)sh);
            lk_kv *b = malloc((n ? n : 1) * sizeof *b);
            lk_kv *c = malloc((n ? n : 1) * sizeof *c);
            size_t off[257] = {0}, at[256];
            assert_non_null(b);
            assert_non_null(c);
            memcpy(b, a, n * sizeof *a);
            qsort(b, n, sizeof *b, cmp_kv);
            for (size_t i = 0; i < n; i++)
                off[(a[i].key >> 56) + 1]++;
            for (size_t d = 0; d < 256; d++)
                off[d + 1] += off[d];
            for (size_t ti = 0; ti < sizeof threads / sizeof *threads; ti++) {
                memcpy(at, off, sizeof at);
                for (size_t i = 0; i < n; i++)
                    c[at[a[i].key >> 56]++] = a[i];
                lk_sort_kv_parts_par(c, off, 256, threads[ti]);
                assert_memory_equal(c, b, n * sizeof *c);
            }
            free(a);
            free(b);
            free(c);
        }
}

static int cmp_u64(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* The 64-bit values' sort, serial and threaded, on the pairs' keys. */
static void test_u64_matches_qsort(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 31, 33, 1000, 65535, 65537, 300000};
    static const unsigned threads[] = {1, 2, 3, 8};
    (void)state;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int sh = 0; sh < NSHAPES; sh++) {
            const size_t n = sizes[si];
            lk_kv *kv = make(n, (enum shape)sh, 0, 9000 + si * 10 + (size_t)sh);
            uint64_t *a = malloc((n ? n : 1) * sizeof *a);
            uint64_t *b = malloc((n ? n : 1) * sizeof *b);
            assert_non_null(a);
            assert_non_null(b);
            for (size_t i = 0; i < n; i++)
                b[i] = kv[i].key;
            qsort(b, n, sizeof *b, cmp_u64);
            for (size_t i = 0; i < n; i++)
                a[i] = kv[i].key;
            lk_sort_u64_inplace(a, n);
            assert_memory_equal(a, b, n * sizeof *a);
            for (size_t ti = 0; ti < sizeof threads / sizeof *threads; ti++) {
                for (size_t i = 0; i < n; i++)
                    a[i] = kv[i].key;
                lk_sort_u64_inplace_par(a, n, threads[ti]);
                assert_memory_equal(a, b, n * sizeof *a);
            }
            free(kv);
            free(a);
            free(b);
        }
}

static void test_double_keys(void **state)
{
    static const double d[] = {-1e300, -2.5, -1.0, -1e-300, -0.0, 0.0,
                               1e-300, 0.5,  1.0,  3.0,     1e300};
    (void)state;
    for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
        uint64_t k = lk_double_key(d[i]);
        double back = lk_key_double(k);
        assert_memory_equal(&back, &d[i], sizeof back);
        if (i > 0)
            assert_true(lk_double_key(d[i - 1]) < k || (d[i - 1] == 0.0 && d[i] == 0.0));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inplace_matches_qsort),
        cmocka_unit_test(test_inplace_equals_stable),
        cmocka_unit_test(test_inplace_par_matches_qsort),
        cmocka_unit_test(test_parts_match_qsort),
        cmocka_unit_test(test_u64_matches_qsort),
        cmocka_unit_test(test_double_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
