/*
 * test_wbehind.c - writes behind the caller (src/wbehind.c): whatever the
 * mix of writes (joined runs, two files in turn, more writes than a buffer
 * holds, writes longer than both buffers, holes and rewrites of bytes
 * written before), after a sync each file holds what the same writes made
 * at once would have left, byte for byte; the caller's bytes are copied
 * before the call returns; a failed write comes back, with the folder and
 * the cause, from the sync and from every call after it; without a writer
 * the bytes are written at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lk_internal.h"
#include "tmpfile.h"
#include "wbehind.h"

#include "lk_testutil.h"

#define FILE_LEN ((size_t)1 << 20)

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The same writes through a writer with 64 KiB buffers and into two
 * images in memory. */
static void test_same_bytes(void **state)
{
    char errbuf[LK_ERRMSG_MAX];
    uint8_t *img[2], *got, *src;
    int fd[2];
    uint64_t s = 0x9e3779b97f4a7c15ull, written = 0, bytes;
    double secs;
    lk_wbehind *wb;

    (void)state;
    img[0] = calloc(FILE_LEN, 1);
    img[1] = calloc(FILE_LEN, 1);
    got = malloc(FILE_LEN);
    src = malloc(FILE_LEN);
    assert_non_null(img[0]);
    assert_non_null(img[1]);
    assert_non_null(got);
    assert_non_null(src);
    for (int f = 0; f < 2; f++) {
        assert_int_equal(lk_tmpfile_open(tmpdir, &fd[f], errbuf), LK_OK);
        /* a file taken back from the pool keeps its old bytes: zero it */
        assert_int_equal(lk_tmpfile_write(fd[f], img[f], FILE_LEN, 0, tmpdir, errbuf), LK_OK);
    }
    wb = lk_wbehind_new(1); /* raised to the least: 64 KiB a buffer */
    assert_non_null(wb);
    /* appends to each file, in turn or in runs, some joining the last */
    uint64_t end[2] = {0, 0}, last_end = 0;
    int last_f = 0;
    for (int i = 0; i < 3000; i++) {
        int f = (rnd(&s) % 4 == 0) ? 1 : (int)(i / 7 % 2);
        size_t len = 1 + rnd(&s) % 300;
        uint64_t off;
        const unsigned how = (unsigned)(rnd(&s) % 8);
        switch (how) {
        case 0: /* longer than both buffers */
            len = 150000 + rnd(&s) % 50000;
            break;
        case 1: /* a hole before it */
            end[f] += rnd(&s) % 100;
            break;
        case 3: /* the other file, where the last write ended: not joined */
            f = !last_f;
            break;
        default:
            break;
        }
        off = how == 3 ? last_end : end[f];
        if (how == 2 && end[f] > 0) /* a rewrite of bytes written before */
            off = rnd(&s) % end[f];
        if (off + len > FILE_LEN)
            continue;
        for (size_t k = 0; k < len; k++)
            src[k] = (uint8_t)rnd(&s);
        memcpy(img[f] + off, src, len);
        assert_int_equal(lk_wbehind_write(wb, fd[f], src, len, off, tmpdir, errbuf), LK_OK);
        memset(src, 0xAA, len); /* copied already: this must not reach the file */
        written += len;
        last_f = f;
        last_end = off + len;
        if (off + len > end[f])
            end[f] = off + len;
    }
    assert_true(end[0] > FILE_LEN / 4 && end[1] > FILE_LEN / 8);
    assert_int_equal(lk_wbehind_sync(wb, errbuf), LK_OK);
    lk_wbehind_stats(wb, &bytes, &secs);
    assert_true(bytes == written);
    assert_true(secs >= 0);
    for (int f = 0; f < 2; f++) {
        assert_int_equal(lk_tmpfile_read(fd[f], got, FILE_LEN, 0, tmpdir, errbuf), LK_OK);
        assert_memory_equal(got, img[f], FILE_LEN);
    }
    /* after a sync it goes on: one more write, synced by the free */
    memset(src, 0x5C, 1000);
    assert_int_equal(lk_wbehind_write(wb, fd[0], src, 1000, 7, tmpdir, errbuf), LK_OK);
    lk_wbehind_free(wb);
    memset(img[0] + 7, 0x5C, 1000);
    assert_int_equal(lk_tmpfile_read(fd[0], got, FILE_LEN, 0, tmpdir, errbuf), LK_OK);
    assert_memory_equal(got, img[0], FILE_LEN);
    lk_tmpfile_close(fd[0]);
    lk_tmpfile_close(fd[1]);
    free(img[0]);
    free(img[1]);
    free(got);
    free(src);
}

/* Without a writer: written at once. */
static void test_no_writer(void **state)
{
    char errbuf[LK_ERRMSG_MAX], got[5] = {0};
    int fd;

    (void)state;
    assert_int_equal(lk_tmpfile_open(tmpdir, &fd, errbuf), LK_OK);
    assert_int_equal(lk_wbehind_write(NULL, fd, "hello", 5, 3, tmpdir, errbuf), LK_OK);
    assert_int_equal(lk_tmpfile_read(fd, got, 5, 3, tmpdir, errbuf), LK_OK);
    assert_memory_equal(got, "hello", 5);
    assert_int_equal(lk_wbehind_sync(NULL, errbuf), LK_OK);
    lk_wbehind_drain(NULL);
    lk_wbehind_free(NULL);
    lk_tmpfile_close(fd);
}

/* A descriptor open for reading only: the write is taken, its failure
 * comes back from the sync, naming the folder and the cause, and from
 * every call after it; the free still ends cleanly. */
static void test_error(void **state)
{
    char errbuf[LK_ERRMSG_MAX] = "", buf[4096];
    const int fd = open("/dev/null", O_RDONLY);
    lk_wbehind *wb = lk_wbehind_new(0);

    (void)state;
    assert_true(fd >= 0);
    assert_non_null(wb);
    memset(buf, 1, sizeof buf);
    assert_int_equal(lk_wbehind_write(wb, fd, buf, sizeof buf, 0, tmpdir, errbuf), LK_OK);
    assert_int_equal(lk_wbehind_sync(wb, errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, "cannot write a temporary file in "));
    assert_non_null(strstr(errbuf, tmpdir));
    assert_non_null(strstr(errbuf, "Bad file descriptor"));
    errbuf[0] = '\0';
    assert_int_equal(lk_wbehind_write(wb, fd, buf, 10, 0, tmpdir, errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, tmpdir));
    errbuf[0] = '\0';
    assert_int_equal(lk_wbehind_sync(wb, errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, tmpdir));
    lk_wbehind_free(wb);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes),
        cmocka_unit_test(test_no_writer),
        cmocka_unit_test(test_error),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
