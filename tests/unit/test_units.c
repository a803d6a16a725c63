/* test_units.c - known answers and rejects for lk_parse_duration_ms and lk_parse_size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lk_internal.h"

struct dur_case {
    const char *in;
    int64_t ms;
};

struct size_case {
    const char *in;
    uint64_t bytes;
};

static void test_duration_known(void **state)
{
    static const struct dur_case cases[] = {
        {"0", 0},
        {"60", 60000}, /* bare number = seconds */
        {"30s", 30000},
        {"250ms", 250},
        {"1.5m", 90000},
        {"2h", 7200000},
        {"1d", 86400000},
        {".5s", 500},
        {"0.25", 250},
        {"0.0005s", 1},  /* exactly half a ms rounds up */
        {"0.00049s", 0}, /* just below half rounds down */
        {"0.0004999999999999999999999s", 0},
        {"0.00050000000000000000001s", 1},
        {"1.4ms", 1},
        {"1.5ms", 2},
        {"0.999999999999999999999999ms", 1},
        {"007s", 7000},
        {"9223372036854775807ms", INT64_MAX},
        {"9223372036854775.807s", INT64_MAX},
        {"9223372036854775.8074s", INT64_MAX}, /* rounds down to the limit */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -1;
        lk_status st = lk_parse_duration_ms(cases[i].in, &ms);
        if (st != LK_OK || ms != cases[i].ms)
            fail_msg("'%s': status %d, got %lld, want %lld", cases[i].in, (int)st, (long long)ms,
                     (long long)cases[i].ms);
    }
}

static void test_duration_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        " 5",
        "5 ",
        "-5",
        "+5",
        "-0",
        "5x",
        "5S",
        "5sec",
        "5 s",
        "5.",
        ".",
        "s",
        "ms",
        "1e3",
        "0x10",
        "inf",
        "nan",
        "NaN",
        "infinity",
        "5s5",
        "5..5",
        "1,5s",
        "5mss",
        "9223372036854775808ms",   /* INT64_MAX + 1 */
        "9223372036854775.8075s",  /* rounds past the limit */
        "106751991167301d",        /* days overflow */
        "99999999999999999999999", /* integer part overflows 64 bits */
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 12345;
        if (lk_parse_duration_ms(bad[i], &ms) != LK_EINVAL)
            fail_msg("'%s' accepted as %lld", bad[i], (long long)ms);
        assert_int_equal(ms, 12345); /* output untouched on failure */
    }
    int64_t ms;
    assert_int_equal(lk_parse_duration_ms(NULL, &ms), LK_EINVAL);
    assert_int_equal(lk_parse_duration_ms("5", NULL), LK_EINVAL);
}

static void test_size_known(void **state)
{
    static const struct size_case cases[] = {
        {"0", 0},
        {"4096", 4096},
        {"4096B", 4096},
        {"1K", 1024},
        {"1k", 1024},
        {"1KB", 1024},
        {"1KiB", 1024},
        {"512M", 512ull << 20},
        {"2G", 2ull << 30},
        {"2g", 2ull << 30},
        {"1.5GiB", 3ull << 29},
        {"1T", 1ull << 40},
        {"0.3K", 307}, /* 307.2 */
        {"0.5", 1},    /* half a byte rounds up */
        {"1.0009765625K", 1025},
        {".5K", 512},
        {"18446744073709551615", UINT64_MAX},
        {"16777215.999999T", 18446744073708452104ull},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t b = 1;
        lk_status st = lk_parse_size(cases[i].in, &b);
        if (st != LK_OK || b != cases[i].bytes)
            fail_msg("'%s': status %d, got %llu, want %llu", cases[i].in, (int)st,
                     (unsigned long long)b, (unsigned long long)cases[i].bytes);
    }
}

static void test_size_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        " 1",
        "1 ",
        "-1",
        "+1",
        "1X",
        "1Kb",
        "1kib",
        "1KiBB",
        "1iB",
        "1BB",
        "1MG",
        "K",
        "1.",
        ".",
        "1e3",
        "0x10",
        "inf",
        "nan",
        "1,5G",
        "18446744073709551616",       /* UINT64_MAX + 1 */
        "16777216T",                  /* 2^64 */
        "16777215.9999999999999999T", /* rounds to 2^64 */
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t b = 777;
        if (lk_parse_size(bad[i], &b) != LK_EINVAL)
            fail_msg("'%s' accepted as %llu", bad[i], (unsigned long long)b);
        assert_int_equal(b, 777);
    }
    uint64_t b;
    assert_int_equal(lk_parse_size(NULL, &b), LK_EINVAL);
    assert_int_equal(lk_parse_size("1", NULL), LK_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_known),
        cmocka_unit_test(test_duration_rejects),
        cmocka_unit_test(test_size_known),
        cmocka_unit_test(test_size_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
