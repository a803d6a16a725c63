/*
 * test_spool.c - records appended to a temporary file, read back once in
 * order (spool.h).
 *
 * Every record's bytes are a function of its index, so a stream of
 * thousands is checked byte for byte on the way back without being kept.
 * The stream mixes short records (0 to 3000 bytes, NUL included) with
 * records at and around a block's size and far past it (1 MiB + 17,
 * 3 MiB); the blocks the spool writes are checked against the layout
 * worked out here from the rules alone.  The module is included, so that
 * its state (the blocks, the buffer) and its file can be looked at.
 */
/* first: cmocka.h defines a macro fail(), the name of one of its helpers */
#include "../../src/spool.c" /* NOLINT(bugprone-suspicious-include): STYLE 23a */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define BLOCK LK_SPOOL_BLOCK
#define NREC  5000u
/* p is not NULL: cmocka's asserts leave the test by a longjmp that the
 * static analyser cannot see, so it would follow the NULL on */
#define SURE(p)             \
    do {                    \
        assert_non_null(p); \
        if (!(p))           \
            abort();        \
    } while (0)

/* Record i's n bytes: pseudo-random, with every third byte of the odd
 * records NUL. */
static void fill(uint32_t i, unsigned char *p, size_t n)
{
    uint64_t s = (uint64_t)i * UINT64_C(0x2545f4914f6cdd1d) + 7, r = 0;

    for (size_t j = 0; j < n; j++) {
        if (j % 8 == 0)
            r = next_u64(&s);
        p[j] = (i & 1) && j % 3 == 0 ? 0 : (unsigned char)(r >> (8 * (j % 8)));
    }
}

/* Whether rec is record i's n bytes. */
static int same(uint32_t i, const unsigned char *rec, size_t n)
{
    static unsigned char want[(3 << 20) + 64];

    assert_true(n <= sizeof want);
    fill(i, want, n);
    return memcmp(rec, want, n) == 0;
}

/* Add record i of n bytes, its bytes written through the pointer given. */
static void add(lk_spool *s, uint32_t i, size_t n)
{
    char err[LK_ERRMSG_MAX] = "";
    void *dst = NULL;

    assert_int_equal(lk_spool_add(s, n, &dst, err), LK_OK);
    SURE(dst);
    fill(i, dst, n);
}

/* Read records 0..count-1 back, of the lengths len[], then the end,
 * twice. */
static void read_all(lk_spool *s, const size_t *len, uint32_t count)
{
    char err[LK_ERRMSG_MAX] = "";
    void *rec = NULL;
    size_t n = 0;

    for (uint32_t i = 0; i < count; i++) {
        assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_OK);
        assert_non_null(rec);
        assert_int_equal(n, len[i]);
        assert_true(same(i, rec, n));
        if (n) /* writable */
            ((unsigned char *)rec)[n - 1] ^= 0xff;
    }
    for (int k = 0; k < 2; k++) {
        rec = &n;
        n = 7;
        assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_OK);
        assert_null(rec);
        assert_int_equal(n, 0);
    }
    assert_null(s->buf); /* the buffer went back with the last record */
}

/* The blocks the rules give for records of lengths len[]: a record goes
 * into the current block if 4 + its length still fits in BLOCK, else the
 * block is written and a new one starts; a block holds at least one
 * record.  Checks the spool's list of blocks, and returns their sum. */
static uint64_t check_blocks(const lk_spool *s, const size_t *len, uint32_t count)
{
    uint64_t used = 0, sum = 0;
    size_t nblk = 0;

    for (uint32_t i = 0; i < count; i++) {
        const uint64_t need = 4 + (uint64_t)len[i];

        if (used && used + need > BLOCK) {
            assert_true(nblk < s->nblk);
            assert_int_equal(s->blk[nblk], used);
            nblk++;
            sum += used;
            used = 0;
        }
        used += need;
    }
    if (used) {
        assert_true(nblk < s->nblk);
        assert_int_equal(s->blk[nblk], used);
        nblk++;
        sum += used;
    }
    assert_int_equal(s->nblk, nblk);
    return sum;
}

/* A pseudo-random stream of NREC records, with long ones placed here and
 * there, added, read back and checked. */
static void test_stream(void **state)
{
    static const struct {
        uint32_t at;
        size_t len;
    } longs[] = {
        {10, BLOCK + 17},  {11, 0},           {12, BLOCK - 4},        {13, BLOCK - 3},
        {14, BLOCK - 5},   {15, 1},           {900, (size_t)3 << 20}, {901, BLOCK + 17},
        {2500, BLOCK - 4}, {2501, BLOCK - 4}, {NREC - 1, BLOCK + 17},
    };

    size_t *const len = malloc(NREC * sizeof *len);
    char err[LK_ERRMSG_MAX] = "";
    lk_spool *s = NULL;
    uint64_t sum = 0, seed = 11;

    (void)state;
    assert_non_null(len);
    for (uint32_t i = 0; i < NREC; i++) {
        const uint64_t r = next_u64(&seed);

        /* mostly 0..3000; one in 50 empty */
        len[i] = r % 50 == 0 ? 0 : (size_t)((r >> 8) % 3001);
    }
    for (size_t j = 0; j < sizeof longs / sizeof *longs; j++)
        len[longs[j].at] = longs[j].len;
    assert_int_equal(lk_spool_new(tmpdir, &s, err), LK_OK);
    SURE(s);
    assert_int_equal(lk_spool_count(s), 0);
    assert_int_equal(lk_spool_file_bytes(s), 0);
    for (uint32_t i = 0; i < NREC; i++) {
        add(s, i, len[i]);
        sum += 4 + (uint64_t)len[i];
        assert_int_equal(lk_spool_count(s), i + 1);
        assert_true(lk_spool_file_bytes(s) < sum); /* the last block is still in memory */
    }
    /* memory: one buffer, as long as the longest record's block */
    assert_int_equal(s->cap, 4 + ((size_t)3 << 20));
    assert_int_equal(lk_spool_rewind(s, err), LK_OK);
    assert_int_equal(lk_spool_count(s), NREC);
    assert_int_equal(lk_spool_file_bytes(s), sum);
    assert_int_equal(check_blocks(s, len, NREC), sum);
    print_message("%u records, %llu bytes of file in %zu blocks\n", NREC, (unsigned long long)sum,
                  s->nblk);
    read_all(s, len, NREC);
    assert_int_equal(lk_spool_count(s), NREC);
    lk_spool_free(s);
    free(len);
}

/* Nothing added: the end at once. */
static void test_empty(void **state)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_spool *s = NULL;

    (void)state;
    lk_spool_free(NULL);
    assert_int_equal(lk_spool_new(NULL, &s, err), LK_OK);
    SURE(s);
    assert_int_equal(lk_spool_rewind(s, err), LK_OK);
    read_all(s, NULL, 0);
    assert_int_equal(lk_spool_count(s), 0);
    assert_int_equal(lk_spool_file_bytes(s), 0);
    lk_spool_free(s);
}

/* Records that fill a block exactly stay in it; the next one starts a new
 * block, which is when the full one is written. */
static void test_exact_fill(void **state)
{
    static const struct {
        size_t len;
        uint64_t file_bytes; /* after adding it */
    } steps[] = {
        {100, 0},
        {BLOCK - 104 - 4, 0},         /* the block is full exactly */
        {0, BLOCK},                   /* so this one starts a new one */
        {BLOCK - 4 - 4, BLOCK},       /* full exactly again */
        {BLOCK - 4, 2 * BLOCK},       /* a whole block alone */
        {BLOCK - 3, 3 * BLOCK},       /* one byte past: a block of its own */
        {1, 4 * (uint64_t)BLOCK + 1}, /* after a long record, a new block */
        {BLOCK / 4 - 4, 4 * (uint64_t)BLOCK + 1},
        {BLOCK / 4 - 4, 4 * (uint64_t)BLOCK + 1},
        {BLOCK / 4 - 4, 4 * (uint64_t)BLOCK + 1},
        {BLOCK / 4 - 4 - 5, 4 * (uint64_t)BLOCK + 1}, /* with the 1-byte record: full */
        {0, 5 * (uint64_t)BLOCK + 1},
    };

    const uint32_t nsteps = sizeof steps / sizeof *steps;
    size_t len[sizeof steps / sizeof *steps];
    char err[LK_ERRMSG_MAX] = "";
    lk_spool *s = NULL;

    (void)state;
    assert_int_equal(lk_spool_new(tmpdir, &s, err), LK_OK);
    SURE(s);
    for (uint32_t i = 0; i < nsteps; i++) {
        len[i] = steps[i].len;
        add(s, i, len[i]);
        assert_int_equal(lk_spool_file_bytes(s), steps[i].file_bytes);
    }
    assert_int_equal(lk_spool_rewind(s, err), LK_OK);
    assert_int_equal(lk_spool_file_bytes(s), 5 * (uint64_t)BLOCK + 1 + 4);
    assert_int_equal(check_blocks(s, len, nsteps), lk_spool_file_bytes(s));
    assert_int_equal(s->nblk, 6);
    assert_int_equal(s->blk[0], BLOCK);
    assert_int_equal(s->blk[3], BLOCK + 1);
    read_all(s, len, nsteps);
    lk_spool_free(s);
}

/* Calls out of turn, and lengths past the limit: refused, the spool
 * unchanged. */
static void test_misuse(void **state)
{
    static const size_t len[] = {3, 0, 5};
    char err[LK_ERRMSG_MAX] = "";
    lk_spool *s = NULL;
    void *rec = NULL, *dst = NULL;
    size_t n = 0;

    (void)state;
    assert_int_equal(lk_spool_new(tmpdir, &s, err), LK_OK);
    SURE(s);
    assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_EINVAL); /* before rewind */
    add(s, 0, len[0]);
    assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_EINVAL);
    assert_int_equal(lk_spool_add(s, UINT32_MAX, &dst, err), LK_ELIMIT);
    assert_int_equal(lk_spool_add(s, SIZE_MAX, &dst, err), LK_ELIMIT);
    assert_null(dst);
    add(s, 1, len[1]);
    add(s, 2, len[2]);
    assert_int_equal(lk_spool_count(s), 3);
    assert_int_equal(lk_spool_rewind(s, err), LK_OK);
    assert_int_equal(lk_spool_rewind(s, err), LK_EINVAL); /* twice */
    assert_int_equal(lk_spool_add(s, 1, &dst, err), LK_EINVAL);
    assert_null(dst);
    assert_int_equal(lk_spool_count(s), 3);
    assert_int_equal(lk_spool_file_bytes(s), 3 * 4 + 3 + 0 + 5);
    assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_OK);
    assert_int_equal(n, len[0]);
    assert_true(same(0, rec, n));
    assert_int_equal(lk_spool_rewind(s, err), LK_EINVAL); /* while reading */
    assert_int_equal(lk_spool_add(s, 0, &dst, err), LK_EINVAL);
    assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_OK);
    assert_int_equal(n, len[1]);
    assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_OK);
    assert_int_equal(n, len[2]);
    assert_true(same(2, rec, n));
    assert_int_equal(lk_spool_next(s, &rec, &n, err), LK_OK);
    assert_null(rec);
    assert_int_equal(lk_spool_add(s, 0, &dst, err), LK_EINVAL); /* after the end too */
    assert_int_equal(lk_spool_rewind(s, err), LK_EINVAL);
    assert_int_equal(lk_spool_count(s), 3);
    lk_spool_free(s);
}

/* A folder that cannot hold the file: LK_EIO naming it, from new. */
static void test_bad_folder(void **state)
{
    const char *const dir = "/nonexistent/lktest";
    char err[LK_ERRMSG_MAX] = "";
    lk_spool *s = NULL;

    (void)state;
    assert_int_equal(lk_spool_new(dir, &s, err), LK_EIO);
    assert_null(s);
    assert_non_null(strstr(err, dir));
}

/* After a failure, every call fails with the same status and message. */
static void check_sticky(lk_spool *s, lk_status st, const char *msg)
{
    char err[LK_ERRMSG_MAX];
    void *p = NULL;
    size_t n = 0;

    (void)snprintf(err, sizeof err, "other");
    assert_int_equal(lk_spool_add(s, 10, &p, err), st);
    assert_string_equal(err, msg);
    (void)snprintf(err, sizeof err, "other");
    assert_int_equal(lk_spool_rewind(s, err), st);
    assert_string_equal(err, msg);
    (void)snprintf(err, sizeof err, "other");
    assert_int_equal(lk_spool_next(s, &p, &n, err), st);
    assert_string_equal(err, msg);
    (void)snprintf(err, sizeof err, "other");
    assert_int_equal(lk_spool_next(s, &p, &n, err), st);
    assert_string_equal(err, msg);
}

/* The file cannot grow past `limit` bytes (EFBIG, SIGXFSZ ignored): with
 * at_rewind, nrec short records and then the rewind, else 1000-byte
 * records until a block write fails.  The failing call names the folder,
 * and every later one fails the same way. */
static void full_disk(int at_rewind, uint32_t nrec, rlim_t limit)
{
    struct rlimit old, lim;
    void (*const oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    char err[LK_ERRMSG_MAX] = "";
    lk_spool *s = NULL;
    lk_status st = LK_OK;
    uint32_t i, added = 0;

    assert_int_equal(lk_spool_new(tmpdir, &s, err), LK_OK);
    SURE(s);
    for (i = 0; i < nrec; i++)
        add(s, i, 100);
    added = nrec;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = limit;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    if (at_rewind) {
        st = lk_spool_rewind(s, err);
    } else {
        void *dst = NULL;

        for (i = 0; i < 10000 && st == LK_OK; i++)
            if ((st = lk_spool_add(s, 1000, &dst, err)) == LK_OK) {
                memset(dst, 'x', 1000);
                added++;
            }
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    (void)signal(SIGXFSZ, oldsig);
    assert_int_equal(st, LK_EIO);
    assert_non_null(strstr(err, tmpdir));
    assert_non_null(strstr(err, "File too large"));
    if (!at_rewind) /* the first block that did not fit: 1 MiB of 1004-byte records */
        assert_int_equal(added, BLOCK / 1004);
    assert_int_equal(lk_spool_count(s), added);
    check_sticky(s, LK_EIO, err);
    lk_spool_free(s);
}

static void test_full_disk_adding(void **state)
{
    (void)state;
    full_disk(0, 0, (rlim_t)256 << 10);
}

static void test_full_disk_rewind(void **state)
{
    (void)state;
    full_disk(1, 10, 64);
}

/* A file read back with a record's length past its block, or one that
 * swallows the records after it: LK_EIO, corrupt, naming the folder, and
 * every later call fails the same way. */
static void corrupt_case(uint32_t bad_len, uint32_t good_before)
{
    static const size_t len[] = {500, 600, 700};
    char err[LK_ERRMSG_MAX] = "";
    lk_spool *s = NULL;
    void *rec = NULL;
    size_t n = 0;
    lk_status st = LK_OK;
    uint32_t got = 0;

    assert_int_equal(lk_spool_new(tmpdir, &s, err), LK_OK);
    SURE(s);
    for (uint32_t i = 0; i < 3; i++)
        add(s, i, len[i]);
    assert_int_equal(lk_spool_rewind(s, err), LK_OK);
    /* the first record's length, at the file's start */
    assert_int_equal(pwrite(s->fd, &bad_len, 4, 0), 4);
    while ((st = lk_spool_next(s, &rec, &n, err)) == LK_OK && rec)
        got++;
    assert_int_equal(st, LK_EIO);
    assert_int_equal(got, good_before);
    assert_non_null(strstr(err, tmpdir));
    assert_non_null(strstr(err, "read back corrupt"));
    check_sticky(s, LK_EIO, err);
    lk_spool_free(s);
}

static void test_corrupt_past_block(void **state)
{
    (void)state;
    corrupt_case(12 + 1800 - 4 + 1, 0); /* one byte past the only block */
}

static void test_corrupt_records_lost(void **state)
{
    (void)state;
    corrupt_case(12 + 1800 - 4, 1); /* the whole block: one record, not three */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_exact_fill),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_bad_folder),
        cmocka_unit_test(test_full_disk_adding),
        cmocka_unit_test(test_full_disk_rewind),
        cmocka_unit_test(test_corrupt_past_block),
        cmocka_unit_test(test_corrupt_records_lost),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
