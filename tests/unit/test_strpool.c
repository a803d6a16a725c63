/*
 * test_strpool.c - the id pool (lk_strpool) and the append-only arena (lk_arena).
 *
 * Expected ids are computed independently: every test string is an injective
 * function of an integer key (the key's LEB128 bytes, which are prefix-free,
 * followed by a pseudo-random tail), so "first appearance" is tracked with a
 * plain array indexed by key and never by looking at the pool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include "strpool.h"
#include "tmpfile.h"

/* The test string of `key` into buf (>= 64 bytes); returns its length (1..58).
 * Tails contain every byte value, NUL included. */
static size_t key_string(uint64_t key, char *buf)
{
    uint64_t s = key * UINT64_C(0x2545f4914f6cdd1d) + 7, k = key;
    size_t n = 0, tail;

    do {
        unsigned char b = (unsigned char)(k & 0x7f);
        k >>= 7;
        buf[n++] = (char)(k ? (b | 0x80) : b);
    } while (k);
    tail = (size_t)(next_u64(&s) % 48);
    for (size_t i = 0; i < tail; i++)
        buf[n++] = (char)(next_u64(&s) & 0xff);
    return n;
}

static lk_strpool *new_pool(void)
{
    lk_strpool *p = NULL;
    assert_int_equal(lk_strpool_new(&p), LK_OK);
    assert_non_null(p);
    return p;
}

static void intern_ok(lk_strpool *p, const char *s, size_t n, uint32_t want_id, int want_new)
{
    uint32_t id = 12345;
    int is_new = -1;
    assert_int_equal(lk_strpool_intern(p, s, n, &id, &is_new), LK_OK);
    assert_int_equal(id, want_id);
    assert_int_equal(is_new, want_new);
}

static void test_basic(void **state)
{
    lk_strpool *p = new_pool();
    uint32_t id = 99;
    size_t len = 99;
    const char *s;

    (void)state;
    assert_int_equal(lk_strpool_count(p), 0);
    assert_int_equal(lk_strpool_find(p, "apple", 5, &id), 0);
    assert_int_equal(id, 99); /* untouched when absent */

    intern_ok(p, "apple", 5, 0, 1);
    intern_ok(p, "banana", 6, 1, 1);
    intern_ok(p, "apple", 5, 0, 0);
    intern_ok(p, "app", 3, 2, 1); /* a prefix is another string */
    intern_ok(p, "banana", 6, 1, 0);
    intern_ok(p, "applesauce", 5, 0, 0); /* only n bytes count */
    assert_int_equal(lk_strpool_count(p), 3);

    /* is_new may be NULL */
    assert_int_equal(lk_strpool_intern(p, "cherry", 6, &id, NULL), LK_OK);
    assert_int_equal(id, 3);
    assert_int_equal(lk_strpool_intern(p, "cherry", 6, &id, NULL), LK_OK);
    assert_int_equal(id, 3);

    assert_int_equal(lk_strpool_find(p, "banana", 6, &id), 1);
    assert_int_equal(id, 1);
    assert_int_equal(lk_strpool_find(p, "banan", 5, &id), 0);
    assert_int_equal(lk_strpool_find(p, "Apple", 5, &id), 0);

    s = lk_strpool_get(p, 2, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "app", 4); /* NUL-terminated */
    assert_string_equal(lk_strpool_get(p, 3, NULL), "cherry");
    assert_true(lk_strpool_bytes(p) >= 5 + 6 + 3 + 6);
    lk_strpool_free(p);
    lk_strpool_free(NULL);
}

static void test_nul_and_empty(void **state)
{
    lk_strpool *p = new_pool();
    uint32_t id = 99;
    size_t len = 99;
    const char *s;

    (void)state;
    assert_int_equal(lk_strpool_find(p, "", 0, &id), 0);
    intern_ok(p, "a\0b", 3, 0, 1);
    intern_ok(p, "a", 1, 1, 1);
    intern_ok(p, "a\0c", 3, 2, 1);
    intern_ok(p, "", 0, 3, 1);
    intern_ok(p, "\0", 1, 4, 1);
    intern_ok(p, "\0\0", 2, 5, 1);
    intern_ok(p, "a\0b", 3, 0, 0);
    intern_ok(p, "", 0, 3, 0);
    intern_ok(p, "\0", 1, 4, 0);
    assert_int_equal(lk_strpool_count(p), 6);

    assert_int_equal(lk_strpool_find(p, "", 0, &id), 1);
    assert_int_equal(id, 3);
    assert_int_equal(lk_strpool_find(p, "a\0c", 3, &id), 1);
    assert_int_equal(id, 2);
    assert_int_equal(lk_strpool_find(p, "a\0", 2, &id), 0);

    s = lk_strpool_get(p, 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "a\0b\0", 4);
    s = lk_strpool_get(p, 3, &len);
    assert_int_equal(len, 0);
    assert_int_equal(s[0], '\0');
    s = lk_strpool_get(p, 5, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(s, "\0\0\0", 3);
    lk_strpool_free(p);
}

/* 1e6 interns of keys drawn with repeats from [0, KEYS): every id is the
 * rank of the key's first appearance; every string survives the rehashes. */
#define NDRAW 1000000
#define KEYS  600000

/* place_chunks: 0 for the default; else the table goes by id (strpool.c)
 * once the arena has that many chunks, part way through the draws. */
static void random_million(size_t place_chunks)
{
    lk_strpool *p = new_pool();
    int64_t *first = malloc(KEYS * sizeof *first);
    uint64_t rng = 42;
    uint32_t next_id = 0;
    char buf[64];

    assert_non_null(first);
    if (place_chunks)
        lk_strpool_set_place_chunks(p, place_chunks);
    for (size_t k = 0; k < KEYS; k++)
        first[k] = -1;
    for (size_t d = 0; d < NDRAW; d++) {
        const uint64_t key = next_u64(&rng) % KEYS;
        const size_t n = key_string(key, buf);
        uint32_t id;
        int is_new;
        assert_int_equal(lk_strpool_intern(p, buf, n, &id, &is_new), LK_OK);
        if (first[key] < 0) {
            if (!is_new || id != next_id)
                fail_msg("draw %zu key %llu: is_new %d id %u, want new id %u", d,
                         (unsigned long long)key, is_new, id, next_id);
            first[key] = next_id++;
        } else if (is_new || id != (uint32_t)first[key]) {
            fail_msg("draw %zu key %llu: is_new %d id %u, want old id %lld", d,
                     (unsigned long long)key, is_new, id, (long long)first[key]);
        }
    }
    assert_int_equal(lk_strpool_count(p), next_id);
    assert_true(next_id > KEYS / 2); /* the draw really repeated and really grew */

    for (size_t k = 0; k < KEYS; k++) {
        const size_t n = key_string(k, buf);
        uint32_t id = UINT32_MAX;
        if (first[k] < 0) {
            if (lk_strpool_find(p, buf, n, &id))
                fail_msg("key %zu never interned but found as %u", k, id);
            continue;
        }
        size_t len;
        const char *s = lk_strpool_get(p, (uint32_t)first[k], &len);
        if (len != n || memcmp(s, buf, n) != 0 || s[n] != '\0')
            fail_msg("key %zu: id %lld holds the wrong bytes", k, (long long)first[k]);
        if (!lk_strpool_find(p, buf, n, &id) || id != (uint32_t)first[k])
            fail_msg("key %zu: find gave %u, want %lld", k, id, (long long)first[k]);
    }
    free(first);
    lk_strpool_free(p);
}

static void test_random_million(void **state)
{
    (void)state;
    random_million(0);
}

/* The same with the table going by id after its third chunk (1 MiB each;
 * the draws fill about 30): the places it held become ids, and the lookups
 * go on giving the same ids. */
static void test_random_million_by_id(void **state)
{
    (void)state;
    random_million(3);
}

/* Pointers from lk_strpool_get stay valid while the pool grows (new chunks,
 * index reallocations, table rehashes). */
static void test_pointer_stability(void **state)
{
    enum { EARLY = 2000, LATER = 400000 };

    lk_strpool *p = new_pool();
    const char **ptr = malloc(EARLY * sizeof *ptr);
    char buf[64];

    (void)state;
    assert_non_null(ptr);
    for (uint32_t k = 0; k < EARLY; k++) {
        const size_t n = key_string(k, buf);
        intern_ok(p, buf, n, k, 1);
        ptr[k] = lk_strpool_get(p, k, NULL);
    }
    for (uint32_t k = EARLY; k < EARLY + LATER; k++) {
        const size_t n = key_string(k, buf);
        intern_ok(p, buf, n, k, 1);
    }
    for (uint32_t k = 0; k < EARLY; k++) {
        const size_t n = key_string(k, buf);
        size_t len;
        assert_ptr_equal(lk_strpool_get(p, k, &len), ptr[k]);
        assert_int_equal(len, n);
        assert_memory_equal(ptr[k], buf, n);
    }
    free(ptr);
    lk_strpool_free(p);
}

static void fill_pattern(char *s, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (char)((i * 131u + seed) & 0xff);
}

static void test_arena(void **state)
{
    /* sizes around and beyond the 1 MiB chunk, with small strings between */
    static const size_t sizes[] = {0,
                                   5,
                                   ((size_t)1 << 20) - 1, /* exactly fills a chunk with its NUL */
                                   3,
                                   (size_t)1 << 20,
                                   ((size_t)1 << 20) + 1,
                                   7,
                                   (size_t)3 << 20,
                                   0,
                                   1,
                                   ((size_t)1 << 20) - 10,
                                   20};

    enum { NS = sizeof sizes / sizeof sizes[0], NSMALL = 100000 };

    lk_arena a;
    uint64_t refs[NS];
    uint64_t *small = malloc(NSMALL * sizeof *small);
    char *big = malloc(((size_t)3 << 20) + 1);
    char *want = malloc(((size_t)3 << 20) + 1);

    (void)state;
    assert_non_null(small);
    assert_non_null(big);
    assert_non_null(want);
    lk_arena_init(&a);
    for (size_t i = 0; i < NS; i++) {
        fill_pattern(big, sizes[i], (unsigned)i);
        assert_int_equal(lk_arena_add(&a, big, sizes[i], &refs[i]), LK_OK);
    }
    /* many small strings: they cross chunk boundaries */
    for (size_t i = 0; i < NSMALL; i++) {
        char s[64];
        const int n = snprintf(s, sizeof s, "content-%zu-%s", i, i % 3 ? "x" : "yyyyyyyyyyyyyyyyy");
        assert_int_equal(lk_arena_add(&a, s, (size_t)n, &small[i]), LK_OK);
    }
    for (size_t i = 0; i < NS; i++) {
        const char *got = lk_arena_get(&a, refs[i]);
        fill_pattern(want, sizes[i], (unsigned)i);
        if (sizes[i] && memcmp(got, want, sizes[i]) != 0)
            fail_msg("string %zu (%zu bytes) corrupted", i, sizes[i]);
        assert_int_equal(got[sizes[i]], '\0');
    }
    for (size_t i = 0; i < NSMALL; i++) {
        char s[64];
        (void)snprintf(s, sizeof s, "content-%zu-%s", i, i % 3 ? "x" : "yyyyyyyyyyyyyyyyy");
        assert_string_equal(lk_arena_get(&a, small[i]), s);
    }
    {
        /* parked, a few strings picked from the file: the big ones (beyond
         * a read piece), the empty ones, small ones twice in a row and
         * across chunks, in any order */
        char errbuf[LK_ERRMSG_MAX] = "";
        const char *tdir = lk_tmpfile_dir(NULL);
        lk_arena out;
        uint64_t off = 0, pick[NS + 8], rq, rz;
        size_t np = 0;
        int fd;
        /* without NULs: across read pieces, and beyond a chunk */
        memset(big, 'q', 10000);
        assert_int_equal(lk_arena_add(&a, big, 10000, &rq), LK_OK);
        memset(big, 'z', (size_t)3 << 20);
        assert_int_equal(lk_arena_add(&a, big, (size_t)3 << 20, &rz), LK_OK);
        for (size_t i = NS; i-- > 0;)
            pick[np++] = refs[i];
        pick[np++] = small[5];
        pick[np++] = small[5];
        pick[np++] = small[NSMALL - 1];
        pick[np++] = small[0];
        pick[np++] = small[NSMALL / 2];
        pick[np++] = refs[7];
        pick[np++] = rz;
        pick[np++] = rq;
        assert_int_equal(lk_tmpfile_open(tdir, &fd, errbuf), LK_OK);
        assert_int_equal(lk_tmpfile_write(fd, "header", 6, 0, tdir, errbuf), LK_OK);
        off = 6;
        assert_int_equal(lk_arena_park(&a, fd, &off, tdir, errbuf), LK_OK);
        assert_int_equal(lk_arena_pick(&a, fd, tdir, pick, np, &out, errbuf), LK_OK);
        (void)close(fd);
        for (size_t k = 0; k < NS; k++) {
            const size_t i = NS - 1 - k;
            const char *got = lk_arena_get(&out, pick[k]);
            size_t len;
            fill_pattern(want, sizes[i], (unsigned)i);
            /* a string ends at its first NUL, as lk_arena_get's readers see it */
            len = strnlen(want, sizes[i]);
            assert_int_equal(strlen(got), len);
            if (len && memcmp(got, want, len) != 0)
                fail_msg("picked string %zu (%zu bytes) corrupted", i, len);
        }
        assert_string_equal(lk_arena_get(&out, pick[NS]), "content-5-x");
        assert_int_equal(pick[NS + 1], pick[NS]);
        assert_string_equal(lk_arena_get(&out, pick[NS + 2]), "content-99999-yyyyyyyyyyyyyyyyy");
        assert_string_equal(lk_arena_get(&out, pick[NS + 3]), "content-0-yyyyyyyyyyyyyyyyy");
        assert_string_equal(lk_arena_get(&out, pick[NS + 4]), "content-50000-x");
        fill_pattern(want, sizes[7], 7);
        assert_int_equal(strlen(lk_arena_get(&out, pick[NS + 5])), strnlen(want, sizes[7]));
        memset(big, 'z', (size_t)3 << 20);
        assert_int_equal(strlen(lk_arena_get(&out, pick[NS + 6])), (size_t)3 << 20);
        assert_memory_equal(lk_arena_get(&out, pick[NS + 6]), big, (size_t)3 << 20);
        memset(big, 'q', 10000);
        assert_int_equal(strlen(lk_arena_get(&out, pick[NS + 7])), 10000);
        assert_memory_equal(lk_arena_get(&out, pick[NS + 7]), big, 10000);
        lk_arena_release(&out);
    }
    lk_arena_release(&a);
    assert_int_equal(a.nchunk, 0);
    lk_arena_release(&a); /* twice is fine */
    free(small);
    free(big);
    free(want);
}

static size_t spill_string(size_t i, char *s)
{
    return (size_t)snprintf(s, 64, "post-%zu%s", i * 7919u, i % 5 ? "" : "-with-a-longer-tail");
}

/* The first n strings of a spilled arena read back the same with
 * lk_arena_copy, wherever their chunks are. */
static void spill_check_all_n(const lk_arena *a, const uint64_t *refs, size_t n)
{
    char s[64], errbuf[LK_ERRMSG_MAX] = "";
    lk_buf b;

    lk_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        const size_t len = spill_string(i, s);
        assert_int_equal(lk_arena_copy(a, refs[i], &b, errbuf), LK_OK);
        assert_int_equal(b.len, len);
        assert_memory_equal(b.p, s, len + 1);
    }
    lk_buf_release(&b);
}

/* Every string of a spilled arena (N of them, the big one at N / 2) reads
 * back the same with lk_arena_copy, wherever its chunk is. */
static void spill_check_all(const lk_arena *a, const uint64_t *refs, size_t n, uint64_t rbig,
                            const char *big, size_t nbig)
{
    char errbuf[LK_ERRMSG_MAX] = "";
    lk_buf b;

    spill_check_all_n(a, refs, n);
    lk_buf_init(&b);
    assert_int_equal(lk_arena_copy(a, rbig, &b, errbuf), LK_OK);
    assert_int_equal(b.len, nbig);
    assert_memory_equal(b.p, big, nbig);
    lk_buf_release(&b);
}

/* A spilled arena: the chunks it closes go to its own file and leave
 * memory (the one being filled stays); every string reads back the same
 * from memory or the file, before and after parking; picking works from the
 * file; unparked, only the last chunk comes back and the arena grows on. */
static void test_arena_spill(void **state)
{
    enum { N = 300000, M = 100000 };

    const size_t nbig = (size_t)3 << 20;
    const char *dir = lk_tmpfile_dir(NULL);
    char errbuf[LK_ERRMSG_MAX] = "", s[64];
    lk_arena a, out;
    uint64_t *refs = malloc((N + M) * sizeof *refs), rbig = 0, off = 5, pick[5];
    char *big = malloc(nbig);
    lk_buf b;

    (void)state;
    assert_non_null(refs);
    assert_non_null(big);
    memset(big, 'b', nbig);
    lk_arena_init(&a);
    lk_buf_init(&b);
    assert_int_equal(lk_arena_spill(&a, dir, errbuf), LK_OK);
    assert_int_equal(lk_arena_spill(&a, dir, errbuf), LK_OK); /* a no-op the second time */
    for (size_t i = 0; i < N; i++) {
        const size_t len = spill_string(i, s);
        assert_int_equal(lk_arena_add(&a, s, len, &refs[i]), LK_OK);
        if (i == N / 2)
            assert_int_equal(lk_arena_add(&a, big, nbig, &rbig), LK_OK);
    }
    /* about 4.7 MB of small strings and the big one: several chunks, all
     * but the last on disk, and the file holds exactly the closed ones */
    assert_true(a.nchunk >= 5);
    for (size_t c = 0; c + 1 < a.nchunk; c++)
        assert_null(a.chunk[c]);
    assert_non_null(a.chunk[a.nchunk - 1]);
    assert_int_equal(a.spill_end, a.total - a.used);
    /* the last string is in memory, as the sink needs */
    assert_string_equal(lk_arena_get(&a, refs[N - 1]), (spill_string(N - 1, s), s));
    spill_check_all(&a, refs, N, rbig, big, nbig);

    /* parked: the last chunk joins the others in the arena's own file (the
     * shared file and its offset are not used) */
    assert_int_equal(lk_arena_park(&a, -1, &off, dir, errbuf), LK_OK);
    assert_int_equal(off, 5);
    assert_null(a.chunk[a.nchunk - 1]);
    spill_check_all(&a, refs, N, rbig, big, nbig);
    pick[0] = refs[N - 1];
    pick[1] = refs[0];
    pick[2] = rbig;
    pick[3] = refs[N / 3];
    pick[4] = refs[N / 3];
    assert_int_equal(lk_arena_pick(&a, -1, "unused", pick, 5, &out, errbuf), LK_OK);
    assert_string_equal(lk_arena_get(&out, pick[0]), (spill_string(N - 1, s), s));
    assert_string_equal(lk_arena_get(&out, pick[1]), (spill_string(0, s), s));
    assert_int_equal(strlen(lk_arena_get(&out, pick[2])), nbig);
    assert_string_equal(lk_arena_get(&out, pick[3]), (spill_string(N / 3, s), s));
    assert_int_equal(pick[4], pick[3]);
    lk_arena_release(&out);

    /* unparked: the chunk being filled alone comes back, and appends go on */
    assert_int_equal(lk_arena_unpark(&a, -1, dir, 2, errbuf), LK_OK);
    for (size_t c = 0; c + 1 < a.nchunk; c++)
        assert_null(a.chunk[c]);
    assert_non_null(a.chunk[a.nchunk - 1]);
    for (size_t i = N; i < N + M; i++) {
        const size_t len = spill_string(i, s);
        assert_int_equal(lk_arena_add(&a, s, len, &refs[i]), LK_OK);
    }
    spill_check_all(&a, refs, N + M, rbig, big, nbig);
    /* parked again (the last chunk written over its earlier copy) */
    assert_int_equal(lk_arena_park(&a, -1, &off, dir, errbuf), LK_OK);
    spill_check_all(&a, refs, N + M, rbig, big, nbig);

    /* a ref of no string */
    assert_int_equal(lk_arena_copy(&a, (uint64_t)(a.nchunk + 3) << 32, &b, errbuf), LK_EINVAL);
    assert_non_null(strstr(errbuf, "outside"));
    lk_arena_release(&a);
    assert_int_equal(a.nchunk, 0);
    assert_int_equal(a.spill_fd1, 0);

    /* a full disk (writes beyond 1.5 MiB fail with EFBIG, SIGXFSZ ignored):
     * the add that closes the second chunk fails with the folder named, and
     * the arena is as before it, every string still there; with room again
     * the same add succeeds */
    {
        struct rlimit old, lim;
        void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
        size_t i = 0, nadd;
        lk_status st = LK_OK;
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        lim = old;
        lim.rlim_cur = (rlim_t)3 << 19;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        lk_arena_init(&a);
        errbuf[0] = '\0';
        assert_int_equal(lk_arena_spill(&a, dir, errbuf), LK_OK);
        for (; i < N; i++) {
            const size_t len = spill_string(i, s);
            if ((st = lk_arena_add(&a, s, len, &refs[i])) != LK_OK)
                break;
        }
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        (void)signal(SIGXFSZ, oldsig);
        assert_int_equal(st, LK_EIO);
        assert_non_null(strstr(errbuf, dir));
        assert_non_null(strstr(errbuf, "File too large"));
        assert_int_equal(a.nchunk, 2); /* the first closed and written, the second full */
        nadd = i;
        spill_check_all_n(&a, refs, nadd);
        assert_int_equal(lk_arena_add(&a, s, spill_string(nadd, s), &refs[nadd]), LK_OK);
        assert_int_equal(a.nchunk, 3);
        spill_check_all_n(&a, refs, nadd + 1);
        lk_arena_release(&a);
    }

    /* a folder that cannot hold the file: one line naming it */
    lk_arena_init(&a);
    errbuf[0] = '\0';
    assert_int_equal(lk_arena_spill(&a, "/nonexistent/lockstep-dir", errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, "/nonexistent/lockstep-dir"));
    assert_int_equal(a.spill_fd1, 0);
    lk_arena_release(&a);
    lk_buf_release(&b);
    free(refs);
    free(big);
}

/* Parking writes a pool and an arena to a temporary file and frees them;
 * unparked, every id, string, lookup and ref is as before, and both grow on
 * as if never parked.  with_table: the first park keeps the hash table in
 * the file (read back, not rebuilt), the second does not; or the other way
 * round.  Read back on `threads` threads: the arenas' chunks go in tasks of
 * 4 (two tasks each here), the table's 2^19 slots in 4 tasks on one thread,
 * 8 on three. */
static void park_case(int with_table, unsigned threads)
{
    enum { N = 200000 };

    lk_strpool *p = new_pool();
    lk_arena a;
    uint64_t *refs = malloc(N * sizeof *refs);
    char *big = malloc(((size_t)2 << 20) + 1);
    char buf[64], errbuf[LK_ERRMSG_MAX] = "";
    uint64_t off = 0;
    const char *dir = lk_tmpfile_dir(NULL);
    int fd = -1;
    uint32_t id;

    assert_non_null(refs);
    assert_non_null(big);
    lk_arena_init(&a);
    /* key k has id k up to N / 2, then k + 1: a string larger than a chunk
     * comes in the middle (id N / 2 + 1) */
#define PARK_ID(k) ((uint32_t)((k) <= N / 2 ? (k) : (k) + 1))
    for (uint64_t k = 0; k < N; k++) {
        const size_t n = key_string(k, buf);
        intern_ok(p, buf, n, PARK_ID(k), 1);
        assert_int_equal(lk_arena_add(&a, buf, n, &refs[k]), LK_OK);
        if (k == N / 2) {
            memset(big, 'b', (size_t)2 << 20);
            intern_ok(p, big, (size_t)2 << 20, (uint32_t)N / 2 + 1, 1);
        }
    }
    assert_int_equal(lk_tmpfile_open(dir, &fd, errbuf), LK_OK);
    /* the first time with its hash table, which comes back from the file */
    assert_int_equal(lk_strpool_park(p, fd, &off, with_table, dir, errbuf), LK_OK);
    assert_int_equal(lk_arena_park(&a, fd, &off, dir, errbuf), LK_OK);
    assert_true(off > (uint64_t)N * 12);
    assert_int_equal(lk_strpool_count(p), N + 1);
    assert_int_equal(lk_strpool_unpark(p, fd, dir, 1, threads, errbuf), LK_OK);
    assert_int_equal(lk_arena_unpark(&a, fd, dir, threads, errbuf), LK_OK);
    (void)close(fd);
    for (uint64_t k = 0; k < N; k++) {
        const size_t n = key_string(k, buf);
        size_t len = 0;
        const char *got = lk_strpool_get(p, PARK_ID(k), &len);
        assert_int_equal(len, n);
        assert_memory_equal(got, buf, n);
        assert_int_equal(got[n], '\0');
        assert_int_equal(lk_strpool_find(p, buf, n, &id), 1);
        assert_int_equal(id, PARK_ID(k));
        intern_ok(p, buf, n, PARK_ID(k), 0);
        assert_memory_equal(lk_arena_get(&a, refs[k]), buf, n);
    }
    assert_int_equal(lk_strpool_find(p, big, (size_t)2 << 20, &id), 1);
    assert_int_equal(id, (uint32_t)N / 2 + 1);

    /* parked again and back without the hash table: strings by id, find
     * by a scan, and the first intern rebuilds the table */
    assert_int_equal(lk_tmpfile_open(dir, &fd, errbuf), LK_OK);
    assert_int_equal(lk_strpool_park(p, fd, &off, !with_table, dir, errbuf), LK_OK);
    assert_int_equal(lk_strpool_unpark(p, fd, dir, 0, threads, errbuf), LK_OK);
    (void)close(fd);
    for (uint64_t k = 0; k < N; k += 997) {
        const size_t n = key_string(k, buf);
        size_t len = 0;
        const char *got = lk_strpool_get(p, PARK_ID(k), &len);
        assert_int_equal(len, n);
        assert_memory_equal(got, buf, n);
        assert_int_equal(lk_strpool_find(p, buf, n, &id), 1);
        assert_int_equal(id, PARK_ID(k));
    }
    assert_int_equal(lk_strpool_find(p, "no such key", 11, &id), 0);
    for (uint64_t k = 0; k < N; k++) {
        const size_t n = key_string(k, buf);
        intern_ok(p, buf, n, PARK_ID(k), 0);
    }
#undef PARK_ID
    /* both grow on */
    intern_ok(p, "after parking", 13, (uint32_t)N + 1, 1);
    assert_int_equal(lk_arena_add(&a, "more", 4, &refs[0]), LK_OK);
    assert_string_equal(lk_arena_get(&a, refs[0]), "more");
    /* a file that cannot be written: a one-line error naming the folder */
    fd = -1;
    off = 0;
    assert_int_equal(lk_strpool_park(p, fd, &off, with_table, "/some/dir", errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, "/some/dir"));
    assert_string_equal(lk_strpool_get(p, 3, NULL), lk_strpool_get(p, 3, NULL)); /* still usable */
    lk_strpool_free(p);
    lk_arena_release(&a);
    free(refs);
    free(big);
}

static void test_park(void **state)
{
    (void)state;
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        park_case(1, threads);
        park_case(0, threads);
    }
}

/* A pool built for test_park_ids: key k (key_string) has id k, then the
 * 2 MiB string of 'b' (larger than a chunk), then "", "a\0b" and "\0". */
static lk_strpool *ids_pool(size_t n, char *big)
{
    lk_strpool *p = new_pool();
    char buf[64];

    for (uint64_t k = 0; k < n; k++)
        intern_ok(p, buf, key_string(k, buf), (uint32_t)k, 1);
    memset(big, 'b', (size_t)2 << 20);
    intern_ok(p, big, (size_t)2 << 20, (uint32_t)n, 1);
    intern_ok(p, "", 0, (uint32_t)n + 1, 1);
    intern_ok(p, "a\0b", 3, (uint32_t)n + 2, 1);
    intern_ok(p, "\0", 1, (uint32_t)n + 3, 1);
    return p;
}

/* The string of id in ids_pool(n). */
static size_t ids_string(uint32_t id, size_t n, const char *big, char *buf, const char **want)
{
    *want = buf;
    if (id < n)
        return key_string(id, buf);
    if (id == n) {
        *want = big;
        return (size_t)2 << 20;
    }
    if (id == n + 1)
        return 0;
    if (id == n + 2) {
        memcpy(buf, "a\0b", 3);
        return 3;
    }
    buf[0] = '\0';
    return 1;
}

/* A parked pool read back in part: the ids asked for have their strings
 * (the one larger than a chunk, the empty one, ones with NULs) and no
 * other id has one; past one id in 16 it comes back whole; ids out of
 * order, repeated or out of range are refused; a file that cannot be read
 * is a one-line error naming the folder. */
static void test_park_ids(void **state)
{
    enum { N = 100000 };

    char *big = malloc((size_t)2 << 20);
    char buf[64], errbuf[LK_ERRMSG_MAX] = "";
    const char *dir = lk_tmpfile_dir(NULL);
    const size_t total = N + 4;
    uint32_t few[] = {0, 1, 777, N / 2, N - 1, N, N + 1, N + 2, N + 3};
    const size_t nfew = sizeof few / sizeof few[0];
    uint32_t *many = malloc((total / 8) * sizeof *many);

    (void)state;
    assert_non_null(big);
    assert_non_null(many);
    for (int round = 0; round < 4; round++) {
        lk_strpool *p = ids_pool(N, big);
        uint64_t off = 0;
        int fd = -1;
        const uint32_t *ids = few;
        size_t nids = nfew;
        assert_int_equal(lk_tmpfile_open(dir, &fd, errbuf), LK_OK);
        assert_int_equal(lk_strpool_park(p, fd, &off, round & 1, dir, errbuf), LK_OK);
        if (round == 2) { /* one id in 8: the whole pool */
            for (size_t i = 0; i < total / 8; i++)
                many[i] = (uint32_t)(i * 8);
            ids = many;
            nids = total / 8;
        } else if (round == 3) { /* refused, and the pool stays parked */
            uint32_t bad[3][2] = {{5, 5}, {7, 3}, {1, (uint32_t)total}};
            for (int b = 0; b < 3; b++) {
                errbuf[0] = '\0';
                assert_int_equal(lk_strpool_unpark_ids(p, fd, dir, bad[b], 2, 1, errbuf),
                                 LK_EINVAL);
                assert_non_null(strstr(errbuf, "ids"));
                assert_int_equal(lk_strpool_partial(p), 0);
            }
            /* read from a descriptor that is no file */
            assert_int_equal(lk_strpool_unpark_ids(p, -1, "/some/dir", few, nfew, 1, errbuf),
                             LK_EIO);
            assert_non_null(strstr(errbuf, "/some/dir"));
        }
        assert_int_equal(lk_strpool_unpark_ids(p, fd, dir, ids, nids, 1 + (unsigned)round, errbuf),
                         LK_OK);
        (void)close(fd);
        assert_int_equal(lk_strpool_partial(p), round != 2);
        assert_int_equal(lk_strpool_count(p), total);
        for (size_t i = 0; i < nids; i++) {
            const char *want;
            const size_t n = ids_string(ids[i], N, big, buf, &want);
            size_t len = 99;
            const char *got = lk_strpool_get(p, ids[i], &len);
            assert_non_null(got);
            assert_int_equal(len, n);
            assert_memory_equal(got, want, n);
            assert_int_equal(got[n], '\0');
        }
        if (round != 2) {
            assert_null(lk_strpool_get(p, 2, NULL));
            assert_null(lk_strpool_get(p, N - 2, NULL));
        } else { /* whole: every id */
            const char *want;
            const size_t n = ids_string(3, N, big, buf, &want);
            size_t len = 99;
            assert_memory_equal(lk_strpool_get(p, 3, &len), want, n);
            assert_int_equal(len, n);
        }
        lk_strpool_free(p);
    }
    free(many);
    free(big);
}

/* Each id's string, as a pool has it, against key k's (id k) or the big
 * string (id big_id). */
typedef struct grow_seen {
    size_t n, big_id;
    const char *big;
    size_t big_len;
} grow_seen;

static void grow_check(void *ctx, uint32_t id, const char *s, size_t n)
{
    grow_seen *g = ctx;
    char buf[64];
    assert_int_equal(id, g->n);
    if (id == g->big_id) {
        assert_int_equal(n, g->big_len);
        assert_memory_equal(s, g->big, n);
    } else {
        const size_t want = key_string(id < g->big_id ? id : id - 1u, buf);
        assert_int_equal(n, want);
        assert_memory_equal(s, buf, n);
    }
    g->n++;
}

/* Two pools parked to grow in one file, their chunks interleaved there
 * (each one's places are its own, not back to back), with a string longer
 * than a chunk among the new ones: every string comes back in id order
 * (lk_strpool_each), in part (lk_strpool_unpark_ids) and whole, where
 * lookups find them and interning goes on. */
static void test_park_grow(void **state)
{
    enum { N0 = 50000, N = 180000, BIG = 60000 }; /* ids: keys, the big string at BIG */

    const size_t big_len = ((size_t)3 << 20) / 2;
    lk_strpool *p[2] = {new_pool(), new_pool()};
    char *big = malloc(big_len), buf[64], errbuf[LK_ERRMSG_MAX] = "";
    const char *dir = lk_tmpfile_dir(NULL);
    uint64_t off = 0;
    int fd = -1;
    uint32_t ids[3] = {7, BIG, N - 1}, id;
    (void)state;

    assert_non_null(big);
    memset(big, 'g', big_len);
    for (int i = 0; i < 2; i++)
        for (uint64_t k = 0; k < N0; k++) {
            const size_t n = key_string(k, buf);
            intern_ok(p[i], buf, n, (uint32_t)k, 1);
        }
    assert_int_equal(lk_tmpfile_open(dir, &fd, errbuf), LK_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(lk_strpool_park_grow(p[i], fd, &off, N + 1 - N0, dir, errbuf), LK_OK);
    assert_int_equal(lk_strpool_park_grow(p[0], fd, &off, 1, dir, errbuf), LK_EINVAL);
    assert_int_equal(lk_strpool_parked(p[0]), 1);
    for (size_t id1 = N0; id1 <= N; id1++)
        for (int i = 0; i < 2; i++) {
            if (id1 == BIG) {
                assert_int_equal(lk_strpool_append(p[i], big, big_len), LK_OK);
            } else {
                const size_t n = key_string(id1 < BIG ? id1 : id1 - 1, buf);
                assert_int_equal(lk_strpool_append(p[i], buf, n), LK_OK);
            }
        }
    /* no room past what it was parked with */
    assert_int_equal(lk_strpool_append(p[0], "x", 1), LK_EINVAL);
    for (int i = 0; i < 2; i++) {
        grow_seen g = {0, BIG, big, big_len};
        assert_int_equal(lk_strpool_grow_end(p[i]), LK_OK);
        assert_int_equal(lk_strpool_count(p[i]), N + 1);
        assert_int_equal(lk_strpool_each(p[i], fd, dir, grow_check, &g, errbuf), LK_OK);
        assert_int_equal(g.n, N + 1);
    }
    /* a few back (one id in 16 at most) */
    assert_int_equal(lk_strpool_unpark_ids(p[0], fd, dir, ids, 3, 2, errbuf), LK_OK);
    assert_int_equal(lk_strpool_partial(p[0]), 1);
    {
        size_t len = 0;
        const char *got = lk_strpool_get(p[0], BIG, &len);
        assert_int_equal(len, big_len);
        assert_memory_equal(got, big, big_len);
        len = key_string(N - 2, buf);
        assert_int_equal(lk_strpool_get(p[0], N - 1, NULL)[-4], (char)len);
        assert_memory_equal(lk_strpool_get(p[0], N - 1, NULL), buf, len);
    }
    /* all of them back, looked up */
    assert_int_equal(lk_strpool_unpark(p[1], fd, dir, 1, 2, errbuf), LK_OK);
    {
        grow_seen g = {0, BIG, big, big_len};
        assert_int_equal(lk_strpool_each(p[1], fd, dir, grow_check, &g, errbuf), LK_OK);
        assert_int_equal(g.n, N + 1);
    }
    for (uint64_t k = 0; k < N; k += 37) {
        const size_t n = key_string(k, buf);
        const uint32_t want = (uint32_t)(k < BIG ? k : k + 1);
        assert_int_equal(lk_strpool_find(p[1], buf, n, &id), 1);
        assert_int_equal(id, want);
        intern_ok(p[1], buf, n, want, 0);
    }
    intern_ok(p[1], big, big_len, BIG, 0);
    intern_ok(p[1], "after growing", 13, N + 1, 1);
    (void)close(fd);
    lk_strpool_free(p[0]);
    lk_strpool_free(p[1]);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_nul_and_empty),
        cmocka_unit_test(test_random_million),
        cmocka_unit_test(test_random_million_by_id),
        cmocka_unit_test(test_pointer_stability),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_arena_spill),
        cmocka_unit_test(test_park),
        cmocka_unit_test(test_park_ids),
        cmocka_unit_test(test_park_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
