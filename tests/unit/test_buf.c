/*
 * test_buf.c - lk_buf, LK_GROW, checked size arithmetic, lk_table_alloc and
 * the log callback (src/buf.c, src/log.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lk_internal.h"

static void test_buf_basics(void **state)
{
    lk_buf b;
    (void)state;
    lk_buf_init(&b);
    assert_non_null(b.p);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    lk_buf_reset(&b); /* on the shared empty string: must not write */
    assert_int_equal(lk_buf_append(&b, "abc", 3), LK_OK);
    assert_int_equal(lk_buf_putc(&b, '-'), LK_OK);
    assert_int_equal(lk_buf_printf(&b, "%d/%s", 42, "x"), LK_OK);
    assert_string_equal(b.p, "abc-42/x");
    assert_int_equal(b.len, 8);
    lk_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    lk_buf_release(&b);
    assert_non_null(b.p);
    assert_int_equal(b.cap, 0);
    lk_buf_release(&b); /* twice is fine */
}

/* Growth across many sizes keeps contents and the NUL terminator. */
static void test_buf_growth(void **state)
{
    lk_buf b;
    char want[5000];
    (void)state;
    lk_buf_init(&b);
    for (int i = 0; i < 4999; i++) {
        char c = (char)('a' + i % 26);
        want[i] = c;
        if (i % 3 == 0)
            assert_int_equal(lk_buf_putc(&b, c), LK_OK);
        else if (i % 3 == 1)
            assert_int_equal(lk_buf_append(&b, &c, 1), LK_OK);
        else
            assert_int_equal(lk_buf_printf(&b, "%c", c), LK_OK);
        assert_int_equal(b.p[b.len], '\0');
    }
    want[4999] = '\0';
    assert_string_equal(b.p, want);
    /* a long printf that does not fit the current capacity */
    lk_buf_reset(&b);
    assert_int_equal(lk_buf_printf(&b, "%s%s", want, want), LK_OK);
    assert_int_equal(b.len, 2 * 4999);
    assert_int_equal(memcmp(b.p + 4999, want, 4999), 0);
    lk_buf_release(&b);
}

static void test_sizes_and_grow(void **state)
{
    size_t out = 0, cap = 0;
    int *v = NULL;
    (void)state;
    assert_int_equal(lk_mul_size(SIZE_MAX / 2, 3, &out), -1);
    assert_int_equal(lk_mul_size(1000, 1000, &out), 0);
    assert_int_equal(out, 1000000);
    assert_int_equal(lk_add_size(SIZE_MAX, 1, &out), -1);
    assert_int_equal(lk_add_size(1, 2, &out), 0);
    assert_int_equal(out, 3);
    for (size_t n = 1; n <= 100000; n++) {
        assert_int_equal(LK_GROW(v, n, cap), LK_OK);
        assert_true(cap >= n);
        v[n - 1] = (int)n;
    }
    for (size_t n = 1; n <= 100000; n++)
        assert_int_equal(v[n - 1], (int)n);
    /* an impossible size fails cleanly and leaves the array as it was */
    {
        int *before = v;
        size_t cap_before = cap;
        assert_int_equal(LK_GROW(v, SIZE_MAX / 2, cap), LK_ENOMEM);
        assert_ptr_equal(v, before);
        assert_int_equal(cap, cap_before);
    }
    free(v);
}

static void test_table_alloc(void **state)
{
    const size_t sizes[] = {1, 4096, ((size_t)2 << 20) - 1, (size_t)2 << 20, (size_t)9 << 20};
    (void)state;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        unsigned char *p = lk_table_alloc(sizes[k]);
        assert_non_null(p);
        for (size_t i = 0; i < sizes[k]; i += 997)
            assert_int_equal(p[i], 0); /* zeroed */
        p[sizes[k] - 1] = 1;
        lk_table_free(p, sizes[k]);
    }
    lk_table_free(NULL, 123);
}

static int seen_level = -1;
static char seen_msg[64];

static void sink(int level, const char *msg, void *ud)
{
    seen_level = level;
    (void)snprintf(seen_msg, sizeof seen_msg, "%s%s", (const char *)ud, msg);
}

static void test_log(void **state)
{
    char eb[LK_ERRMSG_MAX];
    (void)state;
    lk_log(LK_LOG_ERROR, "silent by default %d", 1);
    assert_int_equal(seen_level, -1);
    lk_set_log_fn(sink, "> ", LK_LOG_INFO);
    lk_log(LK_LOG_DEBUG, "too detailed");
    assert_int_equal(seen_level, -1);
    lk_log(LK_LOG_INFO, "stage %s: %d", "x", 7);
    assert_int_equal(seen_level, LK_LOG_INFO);
    assert_string_equal(seen_msg, "> stage x: 7");
    lk_set_log_fn(NULL, NULL, LK_LOG_WARN);
    lk_errf(eb, "%s:%d: %s", "f.csv", 3, "bad");
    assert_string_equal(eb, "f.csv:3: bad");
    lk_errf(NULL, "ignored");
    {
        char big[2 * LK_ERRMSG_MAX];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        lk_errf(eb, "%s", big); /* truncated, never overflows */
        assert_int_equal(strlen(eb), LK_ERRMSG_MAX - 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_basics),
        cmocka_unit_test(test_buf_growth),
        cmocka_unit_test(test_sizes_and_grow),
        cmocka_unit_test(test_table_alloc),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
