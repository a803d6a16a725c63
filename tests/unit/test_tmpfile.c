/*
 * test_tmpfile.c - temporary files and their reuse (src/tmpfile.c): a file
 * given back is taken again by the next open on its filesystem, with its
 * pages, the largest first (or, for a size, the smallest that holds it); at
 * most LK_TMPFILE_POOL are kept; a drain
 * closes them; a file is never taken for another filesystem; write and read
 * errors name the folder; a read in pieces on threads gives the bytes of
 * one read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lk_internal.h"
#include "tmpfile.h"

#include "lk_testutil.h"

static ino_t ino_of(int fd)
{
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    return sb.st_ino;
}

static int is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* Given back, taken again: the same file, its bytes still there. */
static void test_reuse(void **state)
{
    char errbuf[LK_ERRMSG_MAX], got[8] = {0};
    int fd, fd2;
    ino_t ino;

    (void)state;
    lk_tmpfile_drain();
    assert_int_equal(lk_tmpfile_open(tmpdir, &fd, errbuf), LK_OK);
    ino = ino_of(fd);
    assert_int_equal(lk_tmpfile_write(fd, "abcdef", 6, 0, tmpdir, errbuf), LK_OK);
    lk_tmpfile_close(fd);
    assert_true(is_open(fd)); /* kept */
    assert_int_equal(lk_tmpfile_open(tmpdir, &fd2, errbuf), LK_OK);
    assert_int_equal(fd2, fd);
    assert_true(ino_of(fd2) == ino);
    /* a new user writes from 0; what it did not write is the old bytes */
    assert_int_equal(lk_tmpfile_write(fd2, "XY", 2, 0, tmpdir, errbuf), LK_OK);
    assert_int_equal(lk_tmpfile_read(fd2, got, 6, 0, tmpdir, errbuf), LK_OK);
    assert_memory_equal(got, "XYcdef", 6);
    lk_tmpfile_close(fd2);
    {
        /* what the pool holds: the file, at the length it was given back */
        int fd3;
        size_t files = 0;
        assert_int_equal(lk_tmpfile_open(tmpdir, &fd3, errbuf), LK_OK);
        assert_int_equal(lk_tmpfile_write(fd3, "0123456789", 10, 0, tmpdir, errbuf), LK_OK);
        lk_tmpfile_close(fd3);
        assert_int_equal(lk_tmpfile_kept(&files), 10);
        assert_int_equal(files, 1);
    }
    lk_tmpfile_drain();
    assert_false(is_open(fd2));
    {
        size_t files = 1;
        assert_int_equal(lk_tmpfile_kept(&files), 0);
        assert_int_equal(files, 0);
    }
    lk_tmpfile_close(-1); /* nothing */
}

/* Of equal (empty) files the last given back is taken first; the pool keeps
 * 16, closes the rest. */
static void test_pool_bounds(void **state)
{
    enum { N = 20, POOL = 16 };

    char errbuf[LK_ERRMSG_MAX];
    int fd[N], again[N];

    (void)state;
    lk_tmpfile_drain();
    for (int i = 0; i < N; i++)
        assert_int_equal(lk_tmpfile_open(tmpdir, &fd[i], errbuf), LK_OK);
    for (int i = 0; i < N; i++)
        lk_tmpfile_close(fd[i]);
    for (int i = 0; i < N; i++)
        assert_int_equal(is_open(fd[i]), i < POOL);
    for (int i = 0; i < POOL; i++) {
        assert_int_equal(lk_tmpfile_open(tmpdir, &again[i], errbuf), LK_OK);
        assert_int_equal(again[i], fd[POOL - 1 - i]);
    }
    for (int i = 0; i < POOL; i++)
        lk_tmpfile_close(again[i]);
    lk_tmpfile_drain();
    for (int i = 0; i < POOL; i++)
        assert_false(is_open(again[i]));
}

/* The pool emptied, then four files of sizes[i] (at most 3000) bytes
 * kept in it, fd[i]. */
static void keep_four(const size_t sizes[4], int fd[4])
{
    char errbuf[LK_ERRMSG_MAX], buf[3000];

    lk_tmpfile_drain();
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(lk_tmpfile_open(tmpdir, &fd[i], errbuf), LK_OK);
        assert_int_equal(lk_tmpfile_write(fd[i], buf, sizes[i], 0, tmpdir, errbuf), LK_OK);
    }
    for (int i = 0; i < 4; i++)
        lk_tmpfile_close(fd[i]);
}

/* The largest file kept is taken first; of equal ones, the last given back. */
static void test_largest_first(void **state)
{
    static const size_t sizes[4] = {10, 3000, 200, 3000};
    char errbuf[LK_ERRMSG_MAX];
    int fd[4], got;

    (void)state;
    keep_four(sizes, fd);
    for (int want = 0; want < 4; want++) {
        static const int order[4] = {3, 1, 2, 0};
        assert_int_equal(lk_tmpfile_open(tmpdir, &got, errbuf), LK_OK);
        assert_int_equal(got, fd[order[want]]);
    }
    for (int i = 0; i < 4; i++)
        lk_tmpfile_close(fd[i]);
    lk_tmpfile_drain();
}

/* A file opened for a size takes the smallest kept file at least that
 * long, else the longest shorter one, never one much longer (a new file
 * instead); a plain open still takes the largest. */
static void test_sized(void **state)
{
    static const size_t sizes[4] = {10, 3000, 200, 1000};
    char errbuf[LK_ERRMSG_MAX];
    int fd[4], got, big;

    (void)state;
    keep_four(sizes, fd);
    assert_int_equal(lk_tmpfile_open_sized(tmpdir, 150, &got, errbuf), LK_OK);
    assert_int_equal(got, fd[2]); /* 200, not 1000 or 3000 */
    assert_int_equal(lk_tmpfile_open_sized(tmpdir, 5000, &got, errbuf), LK_OK);
    assert_int_equal(got, fd[1]); /* none so long: the largest */
    assert_int_equal(lk_tmpfile_open(tmpdir, &got, errbuf), LK_OK);
    assert_int_equal(got, fd[3]); /* the largest left */
    assert_int_equal(lk_tmpfile_open_sized(tmpdir, 10, &got, errbuf), LK_OK);
    assert_int_equal(got, fd[0]);
    for (int i = 0; i < 4; i++)
        lk_tmpfile_close(fd[i]);
    lk_tmpfile_drain();
    /* a kept file of 100 MiB (sparse) is too long for 1,000 bytes: a new
     * file; for 40 MiB it is not (at most twice that and 64 MiB) */
    assert_int_equal(lk_tmpfile_open(tmpdir, &big, errbuf), LK_OK);
    assert_int_equal(ftruncate(big, (off_t)100 << 20), 0);
    lk_tmpfile_close(big);
    assert_int_equal(lk_tmpfile_open_sized(tmpdir, 1000, &got, errbuf), LK_OK);
    assert_true(got != big && is_open(big));
    lk_tmpfile_close(got);
    assert_int_equal(lk_tmpfile_open_sized(tmpdir, (uint64_t)40 << 20, &fd[0], errbuf), LK_OK);
    assert_int_equal(fd[0], big);
    lk_tmpfile_close(fd[0]);
    lk_tmpfile_drain();
}

/* A file kept on one filesystem is not taken for another: /dev/shm is a
 * tmpfs where it exists, apart from the scratch folder's. */
static void test_other_filesystem(void **state)
{
    char errbuf[LK_ERRMSG_MAX];
    struct stat shm, here, got;
    int fd, fd2;

    (void)state;
    if (stat("/dev/shm", &shm) != 0 || stat(tmpdir, &here) != 0 || shm.st_dev == here.st_dev ||
        access("/dev/shm", W_OK) != 0)
        skip();
    lk_tmpfile_drain();
    assert_int_equal(lk_tmpfile_open(tmpdir, &fd, errbuf), LK_OK);
    lk_tmpfile_close(fd);
    assert_int_equal(lk_tmpfile_open("/dev/shm", &fd2, errbuf), LK_OK);
    assert_int_not_equal(fd2, fd);
    assert_int_equal(fstat(fd2, &got), 0);
    assert_true(got.st_dev == shm.st_dev);
    lk_tmpfile_close(fd2);
    lk_tmpfile_drain();
}

/* Errors are one line naming the folder. */
static void test_errors(void **state)
{
    char errbuf[LK_ERRMSG_MAX], b[4];
    int fd;

    (void)state;
    lk_tmpfile_drain();
    assert_int_equal(lk_tmpfile_open("/nonexistent/lockstep", &fd, errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, "/nonexistent/lockstep"));
    assert_int_equal(lk_tmpfile_open(tmpdir, &fd, errbuf), LK_OK);
    assert_int_equal(lk_tmpfile_read(fd, b, sizeof b, 0, tmpdir, errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, "file shorter than written"));
    assert_non_null(strstr(errbuf, tmpdir));
    lk_tmpfile_close(fd);
    lk_tmpfile_drain();
}

/* lk_tmpfile_read_par: pieces of at least 64 MiB, the last one taking the
 * rest, read on up to `threads` threads at any offset, give what one read
 * gives; a read past the end fails as one read does. */
static void test_read_par(void **state)
{
    /* three pieces (the last one 2 bytes longer), read from an odd offset */
    const size_t len = ((size_t)3 << 26) + 12347, off = 4093;
    char errbuf[LK_ERRMSG_MAX];
    unsigned char *w = malloc(len + off), *r = malloc(len);
    int fd;

    (void)state;
    assert_non_null(w);
    assert_non_null(r);
    for (size_t i = 0; i < len + off; i++)
        w[i] = (unsigned char)((i * 2654435761u) >> 13);
    lk_tmpfile_drain();
    assert_int_equal(lk_tmpfile_open(tmpdir, &fd, errbuf), LK_OK);
    assert_int_equal(lk_tmpfile_write(fd, w, len + off, 0, tmpdir, errbuf), LK_OK);
    for (unsigned threads = 1; threads <= 5; threads += 2) {
        memset(r, 0, len);
        assert_int_equal(lk_tmpfile_read_par(fd, r, len, off, threads, tmpdir, errbuf), LK_OK);
        assert_memory_equal(r, w + off, len);
    }
    /* one byte too many: the last piece comes up short */
    errbuf[0] = '\0';
    assert_int_equal(lk_tmpfile_read_par(fd, r, len, off + 1, 3, tmpdir, errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, "file shorter than written"));
    assert_non_null(strstr(errbuf, tmpdir));
    lk_tmpfile_close(fd);
    lk_tmpfile_drain();
    free(w);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_pool_bounds),
        cmocka_unit_test(test_largest_first),
        cmocka_unit_test(test_sized),
        cmocka_unit_test(test_other_filesystem),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_read_par),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
