/*
 * test_cols.c - the aggregation's columns (cols.h), in memory and mapped
 * from a temporary file.
 *
 * A mapped copy written through the mapping and let go (lk_cols_evict)
 * reads back every value written, its resident pages go (statm), a file
 * over the size limit (a full disk) is a one-line error naming the folder
 * when the columns are made, never a fault while they are written, and a
 * folder that does not exist is an error naming it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lk_testutil.h"

#include "cols.h"
#include "window.h"
#include "tmpfile.h"

/* Resident bytes (/proc/self/statm: size, then resident pages). */
static uint64_t resident(void)
{
    char line[128];
    const char *sp;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    (void)fclose(f);
    assert_non_null(sp = strchr(line, ' '));
    return (uint64_t)strtoull(sp + 1, NULL, 10) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void fill(lk_cols *c, size_t r0, size_t r1)
{
    for (size_t r = r0; r < r1; r++) {
        c->t[r] = (int64_t)(r * 7919u) - 5;
        c->acc[r] = (uint32_t)(r ^ 0x5a5a5a5au);
        c->post[r] = (uint32_t)(r * 2654435761u);
    }
}

static void check(const lk_cols *c, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        if (c->t[r] != (int64_t)(r * 7919u) - 5 || c->acc[r] != (uint32_t)(r ^ 0x5a5a5a5au) ||
            c->post[r] != (uint32_t)(r * 2654435761u))
            fail_msg("action %zu read back wrong", r);
    }
}

/* 4 M actions (64 MB of columns), written in steps that each let go of
 * their range, as the null copies' tasks do; read back by a pass that lets
 * go behind it. */
static void test_mapped(void **state)
{
    enum { N = 4 << 20, STEPN = 1 << 18 };

    const char *dir = lk_tmpfile_dir(NULL);
    char errbuf[LK_ERRMSG_MAX] = "";
    lk_cols c;
    uint64_t before, peak = 0;
    size_t ev = 0;
    int64_t sum = 0;
    (void)state;

    before = resident();
    assert_int_equal(lk_cols_alloc(&c, N, dir, errbuf), LK_OK);
    assert_int_not_equal(c.map_fd1, 0);
    for (size_t s = 0; s < N; s += STEPN) {
        fill(&c, s, s + STEPN);
        lk_cols_evict(&c, s, s + STEPN);
        peak = LK_MAX(peak, resident());
    }
    lk_cols_evict(&c, 0, N);
    /* a step's 4 MB at most, never the 64 MB written */
    assert_true(peak < before + ((uint64_t)16 << 20));
    assert_true(resident() < before + ((uint64_t)4 << 20));
    for (size_t r = 0; r < N; r++) {
        sum += c.t[r];
        ev = lk_cols_evict_behind(&c, ev, r + 1);
        if ((r & 0xffff) == 0)
            peak = LK_MAX(peak, resident());
    }
    assert_true(peak < before + ((uint64_t)16 << 20));
    lk_cols_evict(&c, 0, N);
    check(&c, N);
    assert_true(sum != 0);
    lk_cols_release(&c);
    assert_null(c.t);

    /* in memory: the same values, nothing let go */
    assert_int_equal(lk_cols_alloc(&c, N, NULL, errbuf), LK_OK);
    assert_int_equal(c.map_fd1, 0);
    fill(&c, 0, N);
    lk_cols_evict(&c, 0, N); /* a no-op: malloc'd pages must keep their bytes */
    check(&c, N);
    lk_cols_release(&c);

    /* no actions at all */
    assert_int_equal(lk_cols_alloc(&c, 0, dir, errbuf), LK_OK);
    lk_cols_evict(&c, 0, 0);
    lk_cols_release(&c);
}

/* A file the size limit (a full disk) cannot hold fails when the columns
 * are made, naming the folder, and a missing folder is named too. */
static void test_no_room(void **state)
{
    const char *dir = lk_tmpfile_dir(NULL);
    char errbuf[LK_ERRMSG_MAX] = "";
    struct rlimit old, lim;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    lk_cols c;
    lk_status st;
    (void)state;

    lk_tmpfile_drain(); /* a file kept from test_mapped would hold the room already */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)1 << 20;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    st = lk_cols_alloc(&c, (size_t)1 << 20, dir, errbuf); /* 16 MB */
    {
        /* columns for a quarter of the actions alone: the room they need */
        size_t o[2] = {0, 1}, r[2] = {(size_t)1 << 19, 3 * ((size_t)1 << 18)};
        const lk_share share = {1, o, r};
        char err2[LK_ERRMSG_MAX] = "";
        lk_cols c2;
        assert_int_equal(lk_cols_alloc_share(&c2, (size_t)1 << 20, &share, dir, err2), LK_EIO);
        assert_non_null(strstr(err2, "no room for 4194304 bytes"));
        assert_null(c2.t);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    (void)signal(SIGXFSZ, oldsig);
    assert_int_equal(st, LK_EIO);
    assert_non_null(strstr(errbuf, dir));
    assert_non_null(strstr(errbuf, "no room for 16777216 bytes")); /* all it needed */
    assert_null(strchr(errbuf, '\n'));
    assert_null(c.t);

    errbuf[0] = '\0';
    assert_int_equal(lk_cols_alloc(&c, 1000, "/nonexistent/lockstep-dir", errbuf), LK_EIO);
    assert_non_null(strstr(errbuf, "/nonexistent/lockstep-dir"));
    assert_null(c.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapped),
        cmocka_unit_test(test_no_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
