/*
 * test_report.c - the parts of report.c that parse what detect wrote:
 * member_times cells (account ids may hold '@' and ';'), the re-serialised
 * summary.json, and numbers.  The implementation is included to reach its
 * static helpers (STYLE 23a).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/report.c" /* NOLINT(bugprone-suspicious-include): STYLE 23a */

static void times_of(const char *cell, const char *want, uint64_t want_total)
{
    lk_buf b;
    uint64_t total = 0;

    lk_buf_init(&b);
    assert_int_equal(put_member_times(&b, cell, strlen(cell), &total), LK_OK);
    assert_string_equal(b.p, want);
    assert_int_equal(total, want_total);
    lk_buf_release(&b);
}

static void test_member_times(void **state)
{
    (void)state;
    times_of("", "[]", 0);
    times_of("a@2021-01-01T00:00:00Z", "[[\"a\",1609459200000]]", 1);
    times_of("a@2021-01-01T00:00:00Z;b@2021-01-01T00:00:01.250Z",
             "[[\"a\",1609459200000],[\"b\",1609459201250]]", 2);
    /* '@' and ';' inside an account id */
    times_of("x@y;z@2021-01-01T00:00:00Z;@@2021-01-01T00:00:02Z",
             "[[\"x@y;z\",1609459200000],[\"@\",1609459202000]]", 2);
    /* markup is escaped for a <script> data block */
    times_of("</script>@2021-01-01T00:00:00Z", "[[\"\\u003c/script\\u003e\",1609459200000]]", 1);
    /* no time at all: not a cell detect writes; nothing is invented */
    times_of("garbage;more", "[]", 0);
}

static void test_copy_json(void **state)
{
    static const char text[] =
        "{\"a\": [1, -2.5e3, true, false, null, {}], \"b\": {\"c\": \"</script>\\u2028\"},"
        " \"d\": []}";
    lk_json *j = NULL;
    lk_buf b, scratch;

    (void)state;
    lk_buf_init(&b);
    lk_buf_init(&scratch);
    assert_int_equal(lk_json_new(&j), LK_OK);
    assert_int_equal(lk_json_parse(j, text, sizeof text - 1), LK_OK);
    assert_int_equal(copy_json(j, 0, &b, &scratch), LK_OK);
    assert_string_equal(b.p, "{\"a\":[1,-2.5e3,true,false,null,{}],\"b\":{\"c\":"
                             "\"\\u003c/script\\u003e\\u2028\"},\"d\":[]}");
    lk_json_free(j);
    lk_buf_release(&b);
    lk_buf_release(&scratch);
}

static void test_num(void **state)
{
    lk_buf b;

    (void)state;
    lk_buf_init(&b);
    assert_int_equal(lk_report_num(&b, NAN), LK_OK);
    assert_int_equal(lk_buf_putc(&b, ' '), LK_OK);
    assert_int_equal(lk_report_num(&b, 123456789012.0), LK_OK);
    assert_int_equal(lk_buf_putc(&b, ' '), LK_OK);
    assert_int_equal(lk_report_num(&b, 0.4615), LK_OK);
    assert_string_equal(b.p, "null 123456789012 0.4615");
    lk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member_times),
        cmocka_unit_test(test_copy_json),
        cmocka_unit_test(test_num),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
