/*
 * test_out_file.c - number and time formatting for the tables, and the
 * all-or-nothing output files.
 *
 * Times are checked against gmtime_r (an independent implementation of the
 * civil calendar) and against lk_format_time_iso, which must give the same
 * text.  Write failures use a symlink to /dev/full inside the scratch folder,
 * so that the failure path's remove() deletes the link, never the device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "out_file.h"
#include "parse_time.h"

/* ---- number formats --------------------------------------------------------- */

static void expect_secs(int64_t ms, const char *want)
{
    char got[64];
    lk_buf b;
    lk_status st;
    size_t len;

    lk_buf_init(&b);
    st = lk_buf_append(&b, "<", 1); /* appends, never resets */
    if (st == LK_OK)
        st = lk_buf_secs(&b, ms);
    (void)snprintf(got, sizeof got, "%s", b.p);
    len = b.len;
    lk_buf_release(&b); /* before a failure, which leaves the function */
    assert_int_equal(st, LK_OK);
    if (strcmp(got + 1, want) != 0 || len != strlen(want) + 1)
        fail_msg("lk_buf_secs(%lld) = '%s', want '%s'", (long long)ms, got + 1, want);
}

static void test_secs(void **state)
{
    (void)state;
    expect_secs(0, "0");
    expect_secs(1, "0.001");
    expect_secs(10, "0.01");
    expect_secs(100, "0.1");
    expect_secs(120, "0.12");
    expect_secs(999, "0.999");
    expect_secs(1000, "1");
    expect_secs(1500, "1.5");
    expect_secs(60000, "60");
    expect_secs(INT64_C(1623881091000), "1623881091");
    expect_secs(INT64_C(1623881091250), "1623881091.25");
    expect_secs(INT64_C(1623881091005), "1623881091.005");
    expect_secs(INT64_C(253402300799999), "253402300799.999");
    expect_secs(INT64_MAX, "9223372036854775.807");
    /* whole negative seconds */
    expect_secs(-1000, "-1");
    expect_secs(-60000, "-60");
}

/*
 * Regression (found by this file, fixed in src/out_file.c): negative values
 * with a fractional part were printed from the floored parts, "-2.5" for
 * -1500 ms and "-1.999" for -1 ms.
 */
static void test_secs_negative(void **state)
{
    (void)state;
    expect_secs(-1, "-0.001");
    expect_secs(-1500, "-1.5");
    expect_secs(-1623881091250, "-1623881091.25");
    expect_secs(INT64_MIN, "-9223372036854775.808");
}

static void test_u64(void **state)
{
    static const struct {
        uint64_t v;
        const char *s;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {10, "10"},
        {1000000, "1000000"},
        {UINT64_C(4294967296), "4294967296"},
        {UINT64_MAX, "18446744073709551615"},
    };

    uint64_t rng = 11;
    lk_buf b;

    (void)state;
    lk_buf_init(&b);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lk_buf_reset(&b);
        assert_int_equal(lk_buf_u64(&b, cases[k].v), LK_OK);
        assert_string_equal(b.p, cases[k].s);
        assert_int_equal(b.len, strlen(cases[k].s));
    }
    for (int it = 0; it < 100000; it++) {
        char want[32];
        const uint64_t v = next_u64(&rng) >> (next_u64(&rng) % 64);
        lk_buf_reset(&b);
        assert_int_equal(lk_buf_u64(&b, v), LK_OK);
        (void)snprintf(want, sizeof want, "%" PRIu64, v);
        if (strcmp(b.p, want) != 0)
            fail_msg("lk_buf_u64(%s) = '%s'", want, b.p);
    }
    lk_buf_release(&b);
}

static void test_num15(void **state)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {17.5, "17.5"},
        {1.0 / 3.0, "0.333333333333333"},
        {2.0 / 3.0, "0.666666666666667"},
        {1.0 / 7.0, "0.142857142857143"},
        {1e-20, "1e-20"},
        {2.5e-5, "2.5e-05"},
        {123456789012.0, "123456789012"},
        {123456789012345.0, "123456789012345"},
        {0.0, "0"},
        {-0.0, "0"},
        {1.0, "1"},
        {-2.0, "-2"},
        {-0.5, "-0.5"},
        {0.1 + 0.2, "0.3"},
        {1234567.5, "1234567.5"},
        {1e15, "1e+15"},
        {1e300, "1e+300"},
        {3.14159265358979, "3.14159265358979"},
        {0.1, "0.1"},
    };

    lk_buf b;

    (void)state;
    lk_buf_init(&b);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lk_buf_reset(&b);
        assert_int_equal(lk_buf_num15(&b, cases[k].v), LK_OK);
        if (strcmp(b.p, cases[k].s) != 0)
            fail_msg("lk_buf_num15(%.17g) = '%s', want '%s'", cases[k].v, b.p, cases[k].s);
    }
    lk_buf_release(&b);
}

/* ---- ISO times ---------------------------------------------------------------- */

static void expect_iso(int64_t ms, const char *want)
{
    lk_buf b;
    char fb[40];
    lk_buf_init(&b);
    assert_int_equal(lk_buf_time_iso(&b, ms), LK_OK);
    if (strcmp(b.p, want) != 0)
        fail_msg("lk_buf_time_iso(%lld) = '%s', want '%s'", (long long)ms, b.p, want);
    assert_string_equal(lk_format_time_iso(ms, fb, sizeof fb), want);
    lk_buf_release(&b);
}

static void test_time_iso_known(void **state)
{
    (void)state;
    expect_iso(0, "1970-01-01T00:00:00Z");
    expect_iso(1, "1970-01-01T00:00:00.001Z");
    expect_iso(999, "1970-01-01T00:00:00.999Z");
    expect_iso(INT64_C(86399999), "1970-01-01T23:59:59.999Z");
    expect_iso(INT64_C(1623881091000), "2021-06-16T22:04:51Z");
    expect_iso(INT64_C(1623881091250), "2021-06-16T22:04:51.250Z");
    expect_iso(INT64_C(951782400000), "2000-02-29T00:00:00Z");
    expect_iso(INT64_C(951868799000), "2000-02-29T23:59:59Z");
    expect_iso(INT64_C(4107542400000), "2100-03-01T00:00:00Z"); /* 2100 is not a leap year */
    expect_iso(INT64_C(253402300799999), "9999-12-31T23:59:59.999Z");
}

/* Random instants over 1970..9999, with and without milliseconds, against
 * gmtime_r and lk_format_time_iso. */
static void test_time_iso_random(void **state)
{
    uint64_t rng = 3;
    lk_buf b;

    (void)state;
    lk_buf_init(&b);
    for (int it = 0; it < 300000; it++) {
        int64_t ms = (int64_t)(next_u64(&rng) % (uint64_t)(LK_TIME_MAX_MS + 1));
        char want[64], fb[40];
        struct tm tm;
        time_t secs;
        int n;

        if (it % 3 == 0)
            ms -= ms % 1000; /* whole seconds: no ".mmm" */
        secs = (time_t)(ms / 1000);
        assert_non_null(gmtime_r(&secs, &tm));
        n = snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (ms % 1000)
            (void)snprintf(want + n, sizeof want - (size_t)n, ".%03dZ", (int)(ms % 1000));
        else
            (void)snprintf(want + n, sizeof want - (size_t)n, "Z");
        lk_buf_reset(&b);
        assert_int_equal(lk_buf_time_iso(&b, ms), LK_OK);
        if (strcmp(b.p, want) != 0 || strcmp(lk_format_time_iso(ms, fb, sizeof fb), b.p) != 0)
            fail_msg("ms %lld: lk_buf_time_iso '%s', lk_format_time_iso '%s', gmtime '%s'",
                     (long long)ms, b.p, fb, want);
    }
    lk_buf_release(&b);
}

/* ---- files -------------------------------------------------------------------- */

static void read_all(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    assert_int_equal(fclose(f), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_out_success(void **state)
{
    char eb[LK_ERRMSG_MAX] = "", path[256], got[4096];
    lk_outfile *f = NULL;
    lk_buf b;

    (void)state;
    assert_int_equal(lk_out_open(tmpdir, "t.csv", &f, eb), LK_OK);
    assert_non_null(f);
    lk_out_write(f, "a,b\n", 4);
    lk_out_write(f, "", 0);
    lk_buf_init(&b);
    assert_int_equal(lk_buf_u64(&b, 42), LK_OK);
    assert_int_equal(lk_buf_putc(&b, ','), LK_OK);
    assert_int_equal(lk_buf_num15(&b, 0.5), LK_OK);
    assert_int_equal(lk_buf_putc(&b, '\n'), LK_OK);
    lk_out_flush_buf(f, &b);
    assert_int_equal(b.len, 0); /* flushed buffers are reset */
    lk_buf_release(&b);
    assert_int_equal(lk_out_close(f, eb), LK_OK);
    (void)snprintf(path, sizeof path, "%s/t.csv", tmpdir);
    read_all(path, got, sizeof got);
    assert_string_equal(got, "a,b\n42,0.5\n");

    /* reopening truncates */
    assert_int_equal(lk_out_open(tmpdir, "t.csv", &f, eb), LK_OK);
    lk_out_write(f, "x\n", 2);
    assert_int_equal(lk_out_close(f, eb), LK_OK);
    read_all(path, got, sizeof got);
    assert_string_equal(got, "x\n");

    /* abort removes the file */
    assert_int_equal(lk_out_open(tmpdir, "t.csv", &f, eb), LK_OK);
    lk_out_write(f, "partial", 7);
    lk_out_abort(f);
    assert_false(exists(path));

    /* NULL-safe */
    assert_int_equal(lk_out_close(NULL, eb), LK_OK);
    lk_out_abort(NULL);
}

static void test_out_failures(void **state)
{
    char eb[LK_ERRMSG_MAX] = "", dir[256], want[512], link[256];
    lk_outfile *f = NULL;

    (void)state;
    (void)snprintf(dir, sizeof dir, "%s/missing", tmpdir);
    assert_int_equal(lk_out_open(dir, "x.csv", &f, eb), LK_EIO);
    assert_null(f);
    (void)snprintf(want, sizeof want, "cannot create '%s/x.csv': No such file or directory", dir);
    assert_string_equal(eb, want);

    /* writes that fail at flush time: the error is reported by close, and the
     * link to /dev/full is removed (a half-written table never stays) */
    if (access("/dev/full", W_OK) != 0) {
        print_message("/dev/full not writable: write-failure case skipped\n");
        return;
    }
    (void)snprintf(link, sizeof link, "%s/full.csv", tmpdir);
    assert_int_equal(symlink("/dev/full", link), 0);
    assert_int_equal(lk_out_open(tmpdir, "full.csv", &f, eb), LK_OK);
    for (int i = 0; i < 1000; i++)
        lk_out_write(f, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", 64);
    assert_int_equal(lk_out_close(f, eb), LK_EIO);
    (void)snprintf(want, sizeof want, "cannot write '%s': No space left on device", link);
    assert_string_equal(eb, want);
    /* only regular files are removed on failure: a symlink (or a device,
     * when running as root) is left alone */
    assert_true(exists(link));
    assert_int_equal(unlink(link), 0);
    assert_true(exists("/dev/full"));

    /* a failure inside the stdio buffer (more than 1 MiB) is remembered too */
    assert_int_equal(symlink("/dev/full", link), 0);
    assert_int_equal(lk_out_open(tmpdir, "full.csv", &f, eb), LK_OK);
    {
        char *big = calloc(1, (size_t)3 << 20);
        assert_non_null(big);
        lk_out_write(f, big, (size_t)3 << 20);
        lk_out_write(f, "more", 4);
        free(big);
    }
    assert_int_equal(lk_out_close(f, eb), LK_EIO);
    assert_string_equal(eb, want);
    /* only regular files are removed on failure: a symlink (or a device,
     * when running as root) is left alone */
    assert_true(exists(link));
    assert_int_equal(unlink(link), 0);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_mkdirs(void **state)
{
    char eb[LK_ERRMSG_MAX] = "", dir[256], want[512], file[256];
    FILE *fp;

    (void)state;
    (void)snprintf(dir, sizeof dir, "%s/a/b/c/d", tmpdir);
    assert_int_equal(lk_mkdirs(dir, eb), LK_OK);
    assert_true(is_dir(dir));
    assert_int_equal(lk_mkdirs(dir, eb), LK_OK); /* exists already */
    (void)snprintf(dir, sizeof dir, "%s/a/b/e/", tmpdir);
    assert_int_equal(lk_mkdirs(dir, eb), LK_OK); /* trailing slash */
    assert_true(is_dir(dir));
    (void)snprintf(dir, sizeof dir, "%s//a//x", tmpdir);
    assert_int_equal(lk_mkdirs(dir, eb), LK_OK); /* doubled slashes */
    (void)snprintf(dir, sizeof dir, "%s/a/x", tmpdir);
    assert_true(is_dir(dir));

    /* a regular file in the way */
    (void)snprintf(file, sizeof file, "%s/plain", tmpdir);
    fp = fopen(file, "w");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    (void)snprintf(dir, sizeof dir, "%s/plain/sub", tmpdir);
    assert_int_equal(lk_mkdirs(dir, eb), LK_EIO);
    (void)snprintf(want, sizeof want, "cannot create folder '%s': Not a directory", dir);
    assert_string_equal(eb, want);
    assert_int_equal(lk_mkdirs(file, eb), LK_EIO);
    (void)snprintf(want, sizeof want, "'%s' is not a folder", file);
    assert_string_equal(eb, want);

    assert_int_equal(lk_mkdirs("", eb), LK_EINVAL);
    assert_string_equal(eb, "invalid output folder ''");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secs),
        cmocka_unit_test(test_secs_negative),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_num15),
        cmocka_unit_test(test_time_iso_known),
        cmocka_unit_test(test_time_iso_random),
        cmocka_unit_test(test_out_success),
        cmocka_unit_test(test_out_failures),
        cmocka_unit_test(test_mkdirs),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
