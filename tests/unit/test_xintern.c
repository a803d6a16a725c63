/*
 * test_xintern.c - strings a frozen pool did not take in (xintern.h).
 *
 * Every run is checked against plain interning: a reference pool interns a
 * whole stream of occurrences, and a second pool interns its first K, is
 * then frozen (lookups only; what it lacks goes to an lk_xintern) and gets
 * the rest when the set is resolved.  Every occurrence's id, the pools'
 * counts and every id's string must be the same, whatever the threads.
 * The stream's strings repeat with a skew, are empty, hold NUL bytes, or
 * are long: across the 16 KiB buffers' edges, 100 KiB and 1 MiB.
 *
 * The dedup-only mode is checked the same way: a whole stream goes to an
 * lk_xintern, and each occurrence's "first of its string" flag must be
 * is_new of plain interning into a reference pool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "strpool.h"
#include "tmpfile.h"
#include "xintern.h"

#define NOCC  200000u
#define NKEYS 40000u
/* a larger stream, so that every region of a partition takes several of
 * the module's 4 and 16 KiB buffers */
#define BIG_NOCC  1500000u
#define BIG_NKEYS 600000u
#define BIG_KEY   (UINT64_C(1) << 40) /* keys from here have long strings */
#define PROV_MIN  (UINT32_MAX - LK_STRPOOL_PROVISIONAL)

static char sbuf[(1 << 20) + 64];

/* The string of key into sbuf; returns its length.  Injective: the key's
 * LEB128 bytes (prefix-free) start it, followed by a pseudo-random tail of
 * any bytes, NUL included; key 0 is the empty string.  Long keys:
 * BIG_KEY + i is i bytes long (at least 16). */
static size_t key_string(uint64_t key)
{
    uint64_t s = key * UINT64_C(0x2545f4914f6cdd1d) + 3, k = key;
    size_t n = 0, len;

    if (key == 0)
        return 0;
    do {
        const unsigned char b = (unsigned char)(k & 0x7f);

        k >>= 7;
        sbuf[n++] = (char)(k ? (b | 0x80) : b);
    } while (k);
    len = key >= BIG_KEY ? (size_t)(key - BIG_KEY) : n + (size_t)(next_u64(&s) % (41 - n));
    while (n < len)
        sbuf[n++] = (char)(next_u64(&s) & 0xff);
    return n;
}

/* The stream: nocc keys, skewed towards small ones (key = nkeys u^2), with
 * a few long strings here and there, each of them three times. */
static uint64_t *make_stream(uint32_t nocc, uint32_t nkeys)
{
    static const size_t longs[] = {16371, 16372,  16373,  16384,  5000,           4095,
                                   4096,  102400, 102401, 204800, (size_t)1 << 20};
    uint64_t *v = malloc(nocc * sizeof *v), s = 42;

    assert_non_null(v);
    for (uint32_t i = 0; i < nocc; i++) {
        const double u = (double)(next_u64(&s) >> 11) / (double)(UINT64_C(1) << 53);

        v[i] = (uint64_t)(u * u * nkeys);
    }
    for (size_t j = 0; j < sizeof longs / sizeof *longs; j++)
        for (int r = 0; r < 3; r++)
            v[(j * 7919 + (size_t)r * 60013 + 1000) % nocc] = BIG_KEY + longs[j];
    return v;
}

/* Freeze after k occurrences, resolve on `threads` threads, and compare
 * with plain interning of the whole stream. */
static void run(uint32_t nocc, uint32_t nkeys, uint32_t k, unsigned threads)
{
    uint64_t *const key = make_stream(nocc, nkeys);
    uint32_t *const want = malloc(nocc * sizeof *want), *const got = malloc(nocc * sizeof *got);
    lk_strpool *ref = NULL, *pool = NULL;
    lk_xintern *x = NULL;
    char err[LK_ERRMSG_MAX] = "";
    uint64_t nprov = 0;
    size_t frozen;

    assert_non_null(want);
    assert_non_null(got);
    assert_int_equal(lk_strpool_new(&ref), LK_OK);
    assert_int_equal(lk_strpool_new(&pool), LK_OK);
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    for (uint32_t i = 0; i < nocc; i++) {
        const size_t n = key_string(key[i]);

        assert_int_equal(lk_strpool_intern(ref, sbuf, n, &want[i], NULL), LK_OK);
        if (i < k) {
            assert_int_equal(lk_strpool_intern(pool, sbuf, n, &got[i], NULL), LK_OK);
        } else {
            const uint32_t h = lk_strpool_hash(sbuf, n);

            if (!lk_strpool_find_hashed(pool, sbuf, n, h, &got[i])) {
                assert_int_equal(lk_xintern_add(x, sbuf, n, h, &got[i], err), LK_OK);
                assert_int_equal(got[i], UINT32_MAX - 1 - (h >> 24) % LK_STRPOOL_PROVISIONAL);
                nprov++;
            }
        }
    }
    frozen = lk_strpool_count(pool);
    assert_int_equal(lk_xintern_count(x), nprov);
    assert_int_equal(lk_xintern_distinct(x), 0);
    assert_int_equal(lk_xintern_resolve(x, pool, threads, err), LK_OK);
    for (uint32_t i = 0; i < nocc; i++) {
        if (lk_xintern_provisional(got[i]))
            assert_int_equal(lk_xintern_next(x, got[i], &got[i], err), LK_OK);
        assert_int_equal(got[i], want[i]);
    }
    assert_int_equal(lk_strpool_count(pool), lk_strpool_count(ref));
    assert_int_equal(lk_xintern_distinct(x), lk_strpool_count(ref) - frozen);
    for (uint32_t id = 0; id < lk_strpool_count(ref); id++) {
        size_t na, nb;
        const char *a = lk_strpool_get(ref, id, &na), *b = lk_strpool_get(pool, id, &nb);

        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
    }
    print_message("frozen after %u: %llu occurrences added, %llu distinct, %llu bytes of file "
                  "(%u threads)\n",
                  k, (unsigned long long)nprov, (unsigned long long)lk_xintern_distinct(x),
                  (unsigned long long)lk_xintern_file_bytes(x), threads);
    if (nprov) {
        /* 16 bytes an occurrence and 16 a distinct string, beside the
         * strings themselves */
        assert_true(lk_xintern_file_bytes(x) > nprov * 16 + lk_xintern_distinct(x) * 16);
        assert_true(lk_xintern_distinct(x) > 0);
    } else {
        assert_int_equal(lk_xintern_file_bytes(x), 0);
    }

    /* the pool after resolving: a lookup without a table (a scan), then
     * interning builds it again */
    for (size_t id = frozen; id < lk_strpool_count(pool); id += 1 + lk_xintern_distinct(x) / 40) {
        size_t n;
        const char *s = lk_strpool_get(pool, (uint32_t)id, &n);
        uint32_t found = UINT32_MAX;

        assert_int_equal(lk_strpool_find(pool, s, n, &found), 1);
        assert_int_equal(found, id);
    }
    {
        const size_t count = lk_strpool_count(pool);
        uint32_t id = UINT32_MAX;
        int is_new = -1;
        size_t n = key_string(key[nocc - 1]);

        assert_int_equal(lk_strpool_intern(pool, sbuf, n, &id, &is_new), LK_OK);
        assert_int_equal(is_new, 0);
        assert_int_equal(id, want[nocc - 1]);
        n = key_string(nkeys + 12345); /* never in the stream */
        assert_int_equal(lk_strpool_intern(pool, sbuf, n, &id, &is_new), LK_OK);
        assert_int_equal(is_new, 1);
        assert_int_equal(id, count);
        assert_int_equal(lk_strpool_find(pool, sbuf, n, &id), 1);
        assert_int_equal(id, count);
    }
    lk_xintern_free(x);
    lk_strpool_free(ref);
    lk_strpool_free(pool);
    free(key);
    free(want);
    free(got);
}

static void test_frozen_part_way_1_thread(void **state)
{
    (void)state;
    run(NOCC, NKEYS, NOCC * 3 / 10, 1);
}

static void test_frozen_part_way_3_threads(void **state)
{
    (void)state;
    run(NOCC, NKEYS, NOCC * 3 / 10, 3);
}

static void test_frozen_from_start(void **state)
{
    (void)state;
    run(NOCC, NKEYS, 0, 3);
}

static void test_never_frozen(void **state)
{
    (void)state;
    run(NOCC, NKEYS, NOCC, 2);
}

static void test_larger(void **state)
{
    (void)state;
    run(BIG_NOCC, BIG_NKEYS, BIG_NOCC / 100, 4);
}

/* Calls out of turn, and ids that are not provisional. */
static void test_misuse(void **state)
{
    lk_xintern *x = NULL;
    lk_strpool *pool = NULL;
    char err[LK_ERRMSG_MAX] = "";
    uint32_t pa = 0, pb = 0, id = 0;
    const uint32_t ha = lk_strpool_hash("a", 1), hb = lk_strpool_hash("b", 1);

    (void)state;
    assert_int_equal(lk_strpool_new(&pool), LK_OK);
    assert_int_equal(lk_strpool_intern(pool, "old", 3, &id, NULL), LK_OK);
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    assert_int_equal(lk_xintern_add(x, "a", 1, ha, &pa, err), LK_OK);
    assert_int_equal(lk_xintern_add(x, "b", 1, hb, &pb, err), LK_OK);
    assert_int_equal(lk_xintern_add(x, "a", 1, ha, &pa, err), LK_OK);
    assert_int_equal(lk_xintern_next(x, pa, &id, err), LK_EINVAL); /* not resolved */
    assert_int_equal(lk_xintern_resolve(x, pool, 2, err), LK_OK);
    assert_int_equal(lk_xintern_resolve(x, pool, 2, err), LK_EINVAL);
    assert_int_equal(lk_xintern_add(x, "c", 1, lk_strpool_hash("c", 1), &pa, err), LK_EINVAL);
    assert_int_equal(lk_xintern_count(x), 3);
    assert_int_equal(lk_xintern_distinct(x), 2);
    assert_int_equal(lk_strpool_count(pool), 3);
    assert_int_equal(lk_xintern_next(x, 5, &id, err), LK_EINVAL);
    assert_int_equal(lk_xintern_next(x, UINT32_MAX, &id, err), LK_EINVAL);
    assert_int_equal(lk_xintern_next(x, PROV_MIN - 1, &id, err), LK_EINVAL);
    assert_false(lk_xintern_provisional(PROV_MIN - 1));
    assert_true(lk_xintern_provisional(PROV_MIN));
    assert_true(lk_xintern_provisional(UINT32_MAX - 1));
    assert_false(lk_xintern_provisional(UINT32_MAX));
    assert_int_equal(lk_xintern_next(x, pa, &id, err), LK_OK);
    assert_int_equal(id, 1);
    if (pa != pb) {
        assert_int_equal(lk_xintern_next(x, pa, &id, err), LK_OK);
        assert_int_equal(id, 1);
        assert_int_equal(lk_xintern_next(x, pa, &id, err), LK_EINVAL); /* none left */
        assert_int_equal(lk_xintern_next(x, pb, &id, err), LK_OK);
        assert_int_equal(id, 2);
    } else { /* same partition: in the order added */
        assert_int_equal(lk_xintern_next(x, pb, &id, err), LK_OK);
        assert_int_equal(id, 2);
        assert_int_equal(lk_xintern_next(x, pa, &id, err), LK_OK);
        assert_int_equal(id, 1);
    }
    assert_int_equal(lk_xintern_next(x, pb, &id, err), LK_EINVAL);
    /* a partition that never had an occurrence */
    for (uint32_t p = PROV_MIN; p <= UINT32_MAX - 1; p++)
        if (p != pa && p != pb) {
            assert_int_equal(lk_xintern_next(x, p, &id, err), LK_EINVAL);
            break;
        }
    lk_xintern_free(x);
    lk_strpool_free(pool);
}

/* A folder that cannot hold the file: LK_EIO naming it, from new. */
static void test_bad_folder(void **state)
{
    const char *const dir = "/nonexistent/lktest";
    char err[LK_ERRMSG_MAX] = "";
    lk_xintern *x = NULL;

    (void)state;
    assert_int_equal(lk_xintern_new(dir, &x, err), LK_EIO);
    assert_null(x);
    assert_non_null(strstr(err, dir));
}

/* nadd short strings, all distinct, to x; *prov: the last one's. */
static void add_short(lk_xintern *x, size_t nadd, uint32_t *prov)
{
    char err[LK_ERRMSG_MAX] = "", s[64];

    for (size_t i = 0; i < nadd; i++) {
        const int n = snprintf(s, sizeof s, "short:%zu", i);

        assert_int_equal(lk_xintern_add(x, s, (size_t)n, lk_strpool_hash(s, (size_t)n), prov, err),
                         LK_OK);
    }
}

/* The file cannot grow past `limit` bytes (EFBIG, SIGXFSZ ignored) from
 * the call after `nadd` short strings (resolve, or with dedup
 * lk_xintern_dedup): that call fails with the folder named, and so does
 * every later one. */
static void full_disk(size_t nadd, rlim_t limit, int dedup)
{
    struct rlimit old, lim;
    void (*const oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    char err[LK_ERRMSG_MAX] = "", s[1024];
    lk_xintern *x = NULL;
    lk_strpool *pool = NULL;
    uint32_t prov = 0, id = 0;
    lk_status st = LK_OK;
    size_t i;
    int first = -1;

    assert_int_equal(lk_strpool_new(&pool), LK_OK);
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    memset(s, 'y', sizeof s);
    add_short(x, nadd, &prov);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = limit;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    if (!nadd) { /* 1 KiB strings until a partition's buffer is written */
        for (i = 0; i < 100000 && st == LK_OK; i++) {
            (void)snprintf(s, sizeof s, "long:%zu", i);
            st = lk_xintern_add(x, s, sizeof s, lk_strpool_hash(s, sizeof s), &prov, err);
        }
    } else if (dedup) {
        st = lk_xintern_dedup(x, 2, err);
    } else {
        st = lk_xintern_resolve(x, pool, 2, err);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    (void)signal(SIGXFSZ, oldsig);
    assert_int_equal(st, LK_EIO);
    assert_non_null(strstr(err, tmpdir));
    assert_non_null(strstr(err, "File too large"));
    err[0] = '\0';
    assert_int_equal(lk_xintern_add(x, "a", 1, lk_strpool_hash("a", 1), &prov, err), LK_EIO);
    assert_non_null(strstr(err, tmpdir));
    err[0] = '\0';
    assert_int_equal(lk_xintern_resolve(x, pool, 1, err), LK_EIO);
    assert_non_null(strstr(err, tmpdir));
    err[0] = '\0';
    assert_int_equal(lk_xintern_next(x, prov, &id, err), LK_EIO);
    assert_non_null(strstr(err, tmpdir));
    err[0] = '\0';
    assert_int_equal(lk_xintern_dedup(x, 1, err), LK_EIO);
    assert_non_null(strstr(err, tmpdir));
    err[0] = '\0';
    assert_int_equal(lk_xintern_next_first(x, prov, &first, err), LK_EIO);
    assert_non_null(strstr(err, tmpdir));
    assert_int_equal(first, -1);
    assert_int_equal(lk_strpool_count(pool), 0);
    lk_xintern_free(x);
    lk_strpool_free(pool);
}

static void test_full_disk_adding(void **state)
{
    (void)state;
    full_disk(0, (rlim_t)256 << 10, 0);
}

static void test_full_disk_resolving(void **state)
{
    (void)state;
    full_disk(200, 1024, 0);
}

/* Deduping writes L (4 bytes an occurrence) after the records: a limit
 * half way into L, measured on a set of the same strings deduped without
 * one, so that the records are written and L is not. */
static void test_full_disk_deduping(void **state)
{
    const size_t nadd = 4000;
    char err[LK_ERRMSG_MAX] = "";
    lk_xintern *x = NULL;
    uint32_t prov = 0;
    uint64_t records;

    (void)state;
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    add_short(x, nadd, &prov);
    assert_int_equal(lk_xintern_dedup(x, 2, err), LK_OK);
    assert_int_equal(lk_xintern_distinct(x), nadd);
    records = lk_xintern_file_bytes(x) - nadd * 4;
    assert_true(records > nadd * 9);
    lk_xintern_free(x);
    full_disk(nadd, (rlim_t)(records + nadd * 2), 1);
}

/* Nothing added: resolving changes nothing and makes no file. */
static void test_empty(void **state)
{
    lk_xintern *x = NULL;
    lk_strpool *pool = NULL;
    char err[LK_ERRMSG_MAX] = "";
    uint32_t id = 0;

    (void)state;
    lk_xintern_free(NULL);
    assert_int_equal(lk_strpool_new(&pool), LK_OK);
    assert_int_equal(lk_strpool_intern(pool, "x", 1, &id, NULL), LK_OK);
    assert_int_equal(lk_xintern_new(NULL, &x, err), LK_OK);
    assert_int_equal(lk_xintern_resolve(x, pool, 4, err), LK_OK);
    assert_int_equal(lk_xintern_count(x), 0);
    assert_int_equal(lk_xintern_distinct(x), 0);
    assert_int_equal(lk_xintern_file_bytes(x), 0);
    assert_int_equal(lk_strpool_count(pool), 1);
    assert_int_equal(lk_xintern_next(x, UINT32_MAX - 1, &id, err), LK_EINVAL);
    lk_xintern_free(x);
    lk_strpool_free(pool);
}

/* ---- dedup only ---------------------------------------------------------- */

/* Every occurrence of key[0..nocc) to a set, deduped on `threads` threads
 * and walked in the order added: each occurrence is the first of its
 * string iff plain interning into a reference pool found it new, and the
 * distinct count is the reference's.  A set of the same stream resolved
 * instead must have a file longer by exactly the strings' copies, first
 * seqs and real ids (16 bytes + the length a distinct string): deduping
 * writes none of them. */
static void run_dedup(const uint64_t *key, uint32_t nocc, unsigned threads)
{
    unsigned char *const want = malloc(nocc);
    uint32_t *const prov = malloc(nocc * sizeof *prov);
    lk_strpool *ref = NULL, *pool = NULL;
    lk_xintern *x = NULL, *xr = NULL;
    char err[LK_ERRMSG_MAX] = "";
    uint64_t nfirst = 0, dlen = 0;
    uint32_t id;

    assert_non_null(want);
    assert_non_null(prov);
    assert_int_equal(lk_strpool_new(&ref), LK_OK);
    assert_int_equal(lk_strpool_new(&pool), LK_OK);
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    assert_int_equal(lk_xintern_new(tmpdir, &xr, err), LK_OK);
    for (uint32_t i = 0; i < nocc; i++) {
        const size_t n = key_string(key[i]);
        const uint32_t h = lk_strpool_hash(sbuf, n);
        int is_new = -1;

        assert_int_equal(lk_strpool_intern_hashed(ref, sbuf, n, h, &id, &is_new), LK_OK);
        want[i] = (unsigned char)is_new;
        dlen += is_new ? n : 0;
        assert_int_equal(lk_xintern_add(x, sbuf, n, h, &prov[i], err), LK_OK);
        assert_int_equal(lk_xintern_add(xr, sbuf, n, h, &id, err), LK_OK);
        assert_int_equal(id, prov[i]);
    }
    assert_int_equal(lk_xintern_count(x), nocc);
    assert_int_equal(lk_xintern_distinct(x), 0);
    assert_int_equal(lk_xintern_dedup(x, threads, err), LK_OK);
    assert_int_equal(lk_xintern_distinct(x), lk_strpool_count(ref));
    for (uint32_t i = 0; i < nocc; i++) {
        int first = -1;

        assert_int_equal(lk_xintern_next_first(x, prov[i], &first, err), LK_OK);
        if (first != want[i])
            fail_msg("occurrence %u: first %d, want %d", i, first, want[i]);
        nfirst += (uint64_t)first;
    }
    assert_int_equal(nfirst, lk_strpool_count(ref));
    {
        int first = -1;

        assert_int_equal(lk_xintern_next_first(x, prov[nocc - 1], &first, err), LK_EINVAL);
        assert_int_equal(first, -1);
    }
    assert_int_equal(lk_xintern_resolve(xr, pool, threads, err), LK_OK);
    assert_int_equal(lk_strpool_count(pool), lk_strpool_count(ref));
    assert_int_equal(lk_xintern_file_bytes(xr) - lk_xintern_file_bytes(x),
                     lk_strpool_count(ref) * 16 + dlen);
    print_message("deduped: %u occurrences, %llu distinct, %llu bytes of file (%u threads)\n", nocc,
                  (unsigned long long)lk_xintern_distinct(x),
                  (unsigned long long)lk_xintern_file_bytes(x), threads);
    lk_xintern_free(x);
    lk_xintern_free(xr);
    lk_strpool_free(ref);
    lk_strpool_free(pool);
    free(want);
    free(prov);
}

static void test_dedup_1_thread(void **state)
{
    uint64_t *const key = make_stream(NOCC, NKEYS);

    (void)state;
    run_dedup(key, NOCC, 1);
    free(key);
}

static void test_dedup_3_threads(void **state)
{
    uint64_t *const key = make_stream(NOCC, NKEYS);

    (void)state;
    run_dedup(key, NOCC, 3);
    free(key);
}

/* Each partition's L over several 16 KiB read-aheads. */
static void test_dedup_larger(void **state)
{
    uint64_t *const key = make_stream(BIG_NOCC, BIG_NKEYS);

    (void)state;
    run_dedup(key, BIG_NOCC, 4);
    free(key);
}

/* No string twice, the empty one among them: every occurrence first. */
static void test_dedup_no_repeats(void **state)
{
    const uint32_t nocc = 300000;
    uint64_t *const key = malloc(nocc * sizeof *key);

    (void)state;
    assert_non_null(key);
    for (uint32_t i = 0; i < nocc; i++)
        key[i] = (uint64_t)i * 7 % nocc; /* 7 is prime to nocc: a permutation, 0 first */
    run_dedup(key, nocc, 3);
    free(key);
}

/* One string 100,000 times: one partition, the first occurrence only. */
static void test_dedup_one_string(void **state)
{
    const uint32_t nocc = 100000;
    uint64_t *const key = malloc(nocc * sizeof *key);

    (void)state;
    assert_non_null(key);
    for (uint32_t i = 0; i < nocc; i++)
        key[i] = 12345;
    run_dedup(key, nocc, 3);
    free(key);
}

/* Nothing added: deduping changes nothing, and there is nothing to walk. */
static void test_dedup_empty(void **state)
{
    lk_xintern *x = NULL;
    char err[LK_ERRMSG_MAX] = "";
    int first = -1;

    (void)state;
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    assert_int_equal(lk_xintern_dedup(x, 3, err), LK_OK);
    assert_int_equal(lk_xintern_count(x), 0);
    assert_int_equal(lk_xintern_distinct(x), 0);
    assert_int_equal(lk_xintern_file_bytes(x), 0);
    for (uint32_t p = PROV_MIN; p <= UINT32_MAX - 1; p++)
        assert_int_equal(lk_xintern_next_first(x, p, &first, err), LK_EINVAL);
    assert_int_equal(first, -1);
    assert_int_equal(lk_xintern_dedup(x, 3, err), LK_EINVAL);
    lk_xintern_free(x);
}

/* Calls out of turn between the two modes, and a walk past a partition's
 * end; none of them spoils the calls after. */
static void test_dedup_misuse(void **state)
{
    lk_xintern *x = NULL;
    lk_strpool *pool = NULL;
    char err[LK_ERRMSG_MAX] = "";
    uint32_t pa = 0, pb = 0, id = 0;
    int first = -1;
    const uint32_t ha = lk_strpool_hash("a", 1), hb = lk_strpool_hash("b", 1);

    (void)state;
    assert_int_equal(lk_strpool_new(&pool), LK_OK);
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    assert_int_equal(lk_xintern_add(x, "a", 1, ha, &pa, err), LK_OK);
    assert_int_equal(lk_xintern_add(x, "b", 1, hb, &pb, err), LK_OK);
    assert_int_equal(lk_xintern_add(x, "a", 1, ha, &pa, err), LK_OK);
    assert_int_equal(lk_xintern_next_first(x, pa, &first, err), LK_EINVAL); /* not deduped */
    assert_int_equal(lk_xintern_dedup(x, 2, err), LK_OK);
    assert_int_equal(lk_xintern_dedup(x, 2, err), LK_EINVAL);
    assert_int_equal(lk_xintern_resolve(x, pool, 2, err), LK_EINVAL);
    assert_int_equal(lk_strpool_count(pool), 0);
    assert_int_equal(lk_xintern_add(x, "c", 1, lk_strpool_hash("c", 1), &id, err), LK_EINVAL);
    assert_int_equal(lk_xintern_next(x, pa, &id, err), LK_EINVAL);
    assert_int_equal(lk_xintern_count(x), 3);
    assert_int_equal(lk_xintern_distinct(x), 2);
    assert_int_equal(lk_xintern_next_first(x, 5, &first, err), LK_EINVAL);
    assert_int_equal(lk_xintern_next_first(x, UINT32_MAX, &first, err), LK_EINVAL);
    assert_int_equal(lk_xintern_next_first(x, PROV_MIN - 1, &first, err), LK_EINVAL);
    assert_int_equal(first, -1);
    assert_int_equal(lk_xintern_next_first(x, pa, &first, err), LK_OK);
    assert_int_equal(first, 1);
    if (pa != pb) {
        assert_int_equal(lk_xintern_next_first(x, pa, &first, err), LK_OK);
        assert_int_equal(first, 0);
        first = -1;
        assert_int_equal(lk_xintern_next_first(x, pa, &first, err), LK_EINVAL); /* none left */
        assert_int_equal(first, -1);
        assert_int_equal(lk_xintern_next_first(x, pb, &first, err), LK_OK);
        assert_int_equal(first, 1);
    } else { /* same partition: in the order added */
        assert_int_equal(lk_xintern_next_first(x, pb, &first, err), LK_OK);
        assert_int_equal(first, 1);
        assert_int_equal(lk_xintern_next_first(x, pa, &first, err), LK_OK);
        assert_int_equal(first, 0);
    }
    assert_int_equal(lk_xintern_next_first(x, pb, &first, err), LK_EINVAL);
    for (uint32_t p = PROV_MIN; p <= UINT32_MAX - 1; p++)
        if (p != pa && p != pb) { /* a partition that never had an occurrence */
            assert_int_equal(lk_xintern_next_first(x, p, &first, err), LK_EINVAL);
            break;
        }
    lk_xintern_free(x);

    /* resolved: no dedup, no flags, and its ids are still given */
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    assert_int_equal(lk_xintern_add(x, "a", 1, ha, &pa, err), LK_OK);
    assert_int_equal(lk_xintern_next_first(x, pa, &first, err), LK_EINVAL);
    assert_int_equal(lk_xintern_resolve(x, pool, 2, err), LK_OK);
    assert_int_equal(lk_xintern_dedup(x, 2, err), LK_EINVAL);
    assert_int_equal(lk_xintern_next_first(x, pa, &first, err), LK_EINVAL);
    assert_int_equal(lk_xintern_next(x, pa, &id, err), LK_OK);
    assert_int_equal(id, 0);
    assert_int_equal(lk_xintern_distinct(x), 1);
    lk_xintern_free(x);
    lk_strpool_free(pool);
}

#define MAX_FD 4096

/* Marks in open[] the descriptors of files in tmpdir; returns the last one
 * not marked in was[] already (-1 if none), and how many in *nnew. */
static int tmpdir_fds(unsigned char *open, const unsigned char *was, int *nnew)
{
    DIR *const d = opendir("/proc/self/fd");
    const struct dirent *e;
    int fd = -1;

    assert_non_null(d);
    *nnew = 0;
    while ((e = readdir(d))) {
        char path[300], target[300];
        const long k = strtol(e->d_name, NULL, 10);
        ssize_t len;

        (void)snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        if (k < 0 || k >= MAX_FD || (len = readlink(path, target, sizeof target - 1)) <= 0)
            continue;
        target[len] = '\0';
        if (strncmp(target, tmpdir, strlen(tmpdir)) != 0)
            continue;
        open[k] = 1;
        if (!was || !was[k]) {
            fd = (int)k;
            ++*nnew;
        }
    }
    assert_int_equal(closedir(d), 0);
    return fd;
}

/* One string three times, so L is its last 12 bytes, all local id 0; one
 * id overwritten before the walk.  A local id past the strings met so far
 * (2 at the second occurrence), or one that makes a repeat look new (1):
 * LK_EIO, "read back corrupt", at that occurrence or at the partition's
 * end, and every call after fails the same way. */
static void corrupt_l(uint32_t bad, int first_ok)
{
    lk_xintern *x = NULL;
    char err[LK_ERRMSG_MAX] = "";
    unsigned char before[MAX_FD] = {0}, after[MAX_FD] = {0};
    uint32_t prov = 0;
    int first = -1, fd, nnew;

    /* the set's file is the one new in tmpdir: a new file, not one of
     * those given back earlier (which lk_tmpfile_drain closes) */
    lk_tmpfile_drain();
    (void)tmpdir_fds(before, NULL, &nnew);
    assert_int_equal(lk_xintern_new(tmpdir, &x, err), LK_OK);
    fd = tmpdir_fds(after, before, &nnew);
    assert_int_equal(nnew, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lk_xintern_add(x, "dup", 3, lk_strpool_hash("dup", 3), &prov, err), LK_OK);
    assert_int_equal(lk_xintern_dedup(x, 1, err), LK_OK);
    assert_int_equal(pwrite(fd, &bad, 4, (off_t)lk_xintern_file_bytes(x) - 8), 4);
    assert_int_equal(lk_xintern_next_first(x, prov, &first, err), LK_OK);
    assert_int_equal(first, 1);
    if (first_ok) {
        assert_int_equal(lk_xintern_next_first(x, prov, &first, err), LK_OK);
        assert_int_equal(first, 1); /* wrongly; the end tells */
    }
    first = -1;
    assert_int_equal(lk_xintern_next_first(x, prov, &first, err), LK_EIO);
    assert_non_null(strstr(err, "read back corrupt"));
    assert_non_null(strstr(err, tmpdir));
    assert_int_equal(first, -1);
    err[0] = '\0';
    assert_int_equal(lk_xintern_next_first(x, prov, &first, err), LK_EIO);
    assert_non_null(strstr(err, "read back corrupt"));
    lk_xintern_free(x);
}

static void test_dedup_corrupt_above(void **state)
{
    (void)state;
    corrupt_l(2, 0);
}

static void test_dedup_corrupt_short(void **state)
{
    (void)state;
    corrupt_l(1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frozen_part_way_1_thread),
        cmocka_unit_test(test_frozen_part_way_3_threads),
        cmocka_unit_test(test_frozen_from_start),
        cmocka_unit_test(test_never_frozen),
        cmocka_unit_test(test_larger),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_bad_folder),
        cmocka_unit_test(test_full_disk_adding),
        cmocka_unit_test(test_full_disk_resolving),
        cmocka_unit_test(test_full_disk_deduping),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_dedup_1_thread),
        cmocka_unit_test(test_dedup_3_threads),
        cmocka_unit_test(test_dedup_larger),
        cmocka_unit_test(test_dedup_no_repeats),
        cmocka_unit_test(test_dedup_one_string),
        cmocka_unit_test(test_dedup_empty),
        cmocka_unit_test(test_dedup_misuse),
        cmocka_unit_test(test_dedup_corrupt_above),
        cmocka_unit_test(test_dedup_corrupt_short),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
