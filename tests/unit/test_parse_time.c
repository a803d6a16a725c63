/*
 * test_parse_time.c - known answers for timestamp parsing and formatting.
 * Expected epoch values were computed independently with Python's
 * calendar.timegm / datetime, not with this code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "parse_time.h"

static void ok(const char *s, int64_t want_ms)
{
    int64_t ms = -1;
    const char *why = NULL;
    const lk_status st = lk_parse_time(s, strlen(s), &ms, &why);

    if (st != LK_OK)
        fail_msg("'%s': %s", s, why ? why : "(null)");
    if (ms != want_ms)
        fail_msg("'%s': got %lld want %lld", s, (long long)ms, (long long)want_ms);
}

static void bad(const char *s, const char *want_why)
{
    int64_t ms = 12345;
    const char *why = NULL;
    const lk_status st = lk_parse_time(s, strlen(s), &ms, &why);

    if (st != LK_EPARSE)
        fail_msg("'%s': accepted as %lld", s, (long long)ms);
    assert_int_equal(ms, 12345); /* output untouched on failure */
    assert_non_null(why);
    if (strcmp(why, want_why) != 0)
        fail_msg("'%s': reason '%s', want '%s'", s, why, want_why);
}

static void test_epoch(void **state)
{
    (void)state;
    ok("1623881091", INT64_C(1623881091000));
    ok("0", 0);
    ok("0000000042", 42000);
    ok("1623881091.25", INT64_C(1623881091250));
    ok("1623881091.2", INT64_C(1623881091200));
    ok("1623881091.123999", INT64_C(1623881091123)); /* truncated, not rounded */
    ok("  1623881091\t", INT64_C(1623881091000));
    ok("253402300799.999", LK_TIME_MAX_MS);
    bad("253402300800", "out of range");
    bad("99999999999999999999", "out of range");
    bad("999999999999999999999999999999999999999", "out of range");
    bad("-5", "out of range");
    bad("-1623881091.5", "out of range");
    bad("1.6e9", "not a timestamp");
    bad("1e9", "not a timestamp");
    bad("99999999999999999999x", "not a timestamp");
    bad("1623881091.", "not a timestamp");
    bad(".5", "not a timestamp");
    bad("+5", "not a timestamp");
    bad("12 34", "not a timestamp");
    bad("0x10", "not a timestamp");
    bad("-", "not a timestamp");
    bad("-x", "not a timestamp");
}

static void test_iso(void **state)
{
    (void)state;
    ok("2021-06-16T22:04:51Z", INT64_C(1623881091000));
    ok("2021-06-16T22:04:51", INT64_C(1623881091000));
    ok("2021-06-16 22:04:51", INT64_C(1623881091000));
    ok("2021-06-16t22:04:51z", INT64_C(1623881091000));
    ok("2021-06-16T22:04:51.5Z", INT64_C(1623881091500));
    ok("2021-06-16T22:04:51.000123Z", INT64_C(1623881091000));
    ok("1970-01-01", 0);
    ok("1970-01-01T00:00:00Z", 0);
    ok("2000-02-29", INT64_C(951782400000));
    ok("2024-02-29T12:00:00", INT64_C(1709208000000));
    ok("2019-07-25 02:25", INT64_C(1564021500000));
    ok("2019-07-25T02:25", INT64_C(1564021500000));
    ok("1999-12-31T23:59:59Z", INT64_C(946684799000));
    ok("9999-12-31T23:59:59.999Z", LK_TIME_MAX_MS);
    ok(" 2021-06-16T22:04:51Z ", INT64_C(1623881091000));
    /* A leap second reads as :59 of the same minute. */
    ok("2016-12-31T23:59:60Z", INT64_C(1483228799000));
    ok("2016-12-31T23:59:60.5Z", INT64_C(1483228799500));
}

static void test_offsets(void **state)
{
    (void)state;
    /* 22:04:51+05:30 is 16:34:51Z. */
    ok("2021-06-16T22:04:51+05:30", INT64_C(1623861291000));
    ok("2021-06-16T22:04:51+0530", INT64_C(1623861291000));
    ok("2021-06-16 22:04:51+05:30", INT64_C(1623861291000));
    ok("2021-06-16T22:04:51+05", INT64_C(1623881091000) - INT64_C(5) * 3600000);
    ok("2021-06-16T22:04:51-02:00", INT64_C(1623881091000) + INT64_C(2) * 3600000);
    ok("2021-06-16T22:04:51-00:00", INT64_C(1623881091000));
    ok("2021-06-16T22:04:51.25+01:00", INT64_C(1623881091250) - 3600000);
    ok("2019-07-25 02:25+01:00", INT64_C(1564021500000) - 3600000);
    ok("1970-01-01T05:30:00+05:30", 0);
    bad("1970-01-01T00:00:00+00:01", "out of range");
    bad("9999-12-31T23:59:59-00:01", "out of range");
    bad("2021-06-16T22:04:51+24:00", "invalid date");
    bad("2021-06-16T22:04:51+05:60", "invalid date");
    bad("2021-06-16T22:04:51+5", "not a timestamp");
    bad("2021-06-16T22:04:51+05:3", "not a timestamp");
    bad("2021-06-16T22:04:51+05:30x", "not a timestamp");
    bad("2021-06-16T22:04:51Zx", "not a timestamp");
    bad("2021-06-16T22:04:51 Z", "not a timestamp");
    bad("2021-06-16Z", "not a timestamp");
}

static void test_invalid(void **state)
{
    (void)state;
    bad("2021-02-29", "invalid date");
    bad("1900-02-29T00:00:00", "invalid date"); /* 1900 is not a leap year */
    bad("2021-13-01", "invalid date");
    bad("2021-00-10", "invalid date");
    bad("2021-04-31", "invalid date");
    bad("2021-04-00", "invalid date");
    bad("2021-06-16T24:00:00", "invalid date");
    bad("2021-06-16T23:60:00", "invalid date");
    bad("2021-06-16T23:59:61", "invalid date");
    bad("1969-12-31T23:59:59Z", "out of range");
    bad("0000-01-01", "out of range");
    bad("", "not a timestamp");
    bad("   ", "not a timestamp");
    bad("junk", "not a timestamp");
    bad("2021-6-16", "not a timestamp");
    bad("2021/06/16", "not a timestamp");
    bad("2021-06-16T", "not a timestamp");
    bad("2021-06-16T22", "not a timestamp");
    bad("2021-06-16T22:04:", "not a timestamp");
    bad("2021-06-16T22:04:51.", "not a timestamp");
    bad("2021-06-16T22:4:51", "not a timestamp");
    bad("2021-06-16X22:04:51", "not a timestamp");
    bad("20210-06-16", "not a timestamp");
    bad("Wed Jun 16 22:04:51 +0000 2021", "not a timestamp");
}

static void test_length_bound(void **state)
{
    int64_t ms = 0;
    const char *why = NULL;
    char buf[] = "1623881091999";

    (void)state;
    /* Only n bytes are read: the trailing digits are not part of the value. */
    assert_int_equal(lk_parse_time(buf, 10, &ms, &why), LK_OK);
    assert_int_equal(ms, INT64_C(1623881091000));
    assert_int_equal(lk_parse_time("2021-06-16T22:04:51Z", 10, &ms, &why), LK_OK);
    assert_int_equal(ms, INT64_C(1623801600000));
    assert_int_equal(lk_parse_time("1\0"
                                   "2",
                                   3, &ms, &why),
                     LK_EPARSE);
    assert_int_equal(lk_parse_time(NULL, 0, &ms, &why), LK_EPARSE);
    assert_int_equal(lk_parse_time("5", 1, &ms, NULL), LK_OK);
    assert_int_equal(lk_parse_time("x", 1, &ms, NULL), LK_EPARSE);
}

static void test_days(void **state)
{
    (void)state;
    assert_int_equal(lk_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(lk_days_from_civil(2000, 2, 29), 11016);
    assert_int_equal(lk_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(lk_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(lk_days_from_civil(1600, 3, 1), -135080);
    assert_int_equal(lk_days_from_civil(0, 3, 1), -719468);
}

static void fmt(int64_t ms, const char *want)
{
    char buf[32];
    assert_ptr_equal(lk_format_time_iso(ms, buf, sizeof buf), buf);
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    char small[11];
    char tiny[1] = {'x'};

    (void)state;
    fmt(0, "1970-01-01T00:00:00Z");
    fmt(INT64_C(1623881091000), "2021-06-16T22:04:51Z");
    fmt(INT64_C(1623881091250), "2021-06-16T22:04:51.250Z");
    fmt(INT64_C(951782400001), "2000-02-29T00:00:00.001Z");
    fmt(LK_TIME_MAX_MS, "9999-12-31T23:59:59.999Z");
    fmt(-1, "1969-12-31T23:59:59.999Z");
    /* Truncated, still NUL-terminated. */
    lk_format_time_iso(0, small, sizeof small);
    assert_string_equal(small, "1970-01-01");
    assert_ptr_equal(lk_format_time_iso(0, tiny, 0), tiny);
    assert_int_equal(tiny[0], 'x');
}

/* Every day from 1970 to 9999 at a varying time of day survives format ->
 * parse, which pins down the calendar arithmetic of both directions. */
static void test_round_trip(void **state)
{
    char buf[32];
    const int64_t last = LK_TIME_MAX_MS / 86400000;

    (void)state;
    for (int64_t day = 0; day <= last; day++) {
        const int64_t ms = day * 86400000 + (day * 7919 % 86400) * 1000 + day % 1000;
        int64_t back = -1;
        const char *why = NULL;
        lk_format_time_iso(ms, buf, sizeof buf);
        if (lk_parse_time(buf, strlen(buf), &back, &why) != LK_OK || back != ms)
            fail_msg("%lld -> %s -> %lld (%s)", (long long)ms, buf, (long long)back,
                     why ? why : "ok");
    }
}

typedef lk_status (*parse_fn)(const char *, size_t, int64_t *, const char **);

static void ok_with(parse_fn fn, const char *name, const char *s, int64_t want_ms)
{
    int64_t ms = -1;
    const char *why = NULL;
    const lk_status st = fn(s, strlen(s), &ms, &why);

    if (st != LK_OK)
        fail_msg("%s('%s'): %s", name, s, why ? why : "(null)");
    if (ms != want_ms)
        fail_msg("%s('%s'): got %lld want %lld", name, s, (long long)ms, (long long)want_ms);
}

static void bad_with(parse_fn fn, const char *name, const char *s, const char *want_why)
{
    int64_t ms = 12345;
    const char *why = NULL;
    const lk_status st = fn(s, strlen(s), &ms, &why);

    if (st != LK_EPARSE)
        fail_msg("%s('%s'): accepted as %lld", name, s, (long long)ms);
    assert_int_equal(ms, 12345);
    assert_non_null(why);
    if (strcmp(why, want_why) != 0)
        fail_msg("%s('%s'): reason '%s', want '%s'", name, s, why, want_why);
}

#define OK(fn, s, ms)   ok_with(fn, #fn, s, ms)
#define BAD(fn, s, why) bad_with(fn, #fn, s, why)

static void test_twitter(void **state)
{
    (void)state;
    OK(lk_parse_time_twitter, "Wed May 24 20:32:51 +0000 2017", INT64_C(1495657971000));
    OK(lk_parse_time_twitter, " Wed May 24 20:32:51 +0000 2017\t", INT64_C(1495657971000));
    OK(lk_parse_time_twitter, "wed MAY 24 20:32:51 +0000 2017", INT64_C(1495657971000));
    /* The offset is local minus UTC: +0530 is 5.5 hours earlier in UTC. */
    OK(lk_parse_time_twitter, "Wed May 24 20:32:51 +0530 2017", INT64_C(1495638171000));
    OK(lk_parse_time_twitter, "Wed May 24 20:32:51 -0800 2017", INT64_C(1495686771000));
    OK(lk_parse_time_twitter, "Thu Jan 01 01:00:00 +0100 1970", 0);
    OK(lk_parse_time_twitter, "Thu Jan 01 00:00:00 +0000 1970", 0);
    OK(lk_parse_time_twitter, "Sat Feb 29 12:00:00 +0000 2020", INT64_C(1582977600000));
    OK(lk_parse_time_twitter, "Sat Dec 31 23:59:60 +0000 2016", INT64_C(1483228799000));
    OK(lk_parse_time_twitter, "Fri Dec 31 23:59:59 +0000 9999", LK_TIME_MAX_MS - 999);
    BAD(lk_parse_time_twitter, "Thu Jan 01 00:00:00 +0100 1970", "out of range");
    BAD(lk_parse_time_twitter, "Fri Dec 31 23:59:59 -0001 9999", "out of range");
    /* Names: unknown, wrong weekday for the date, wrong case length. */
    BAD(lk_parse_time_twitter, "Wex May 24 20:32:51 +0000 2017", "not a timestamp");
    BAD(lk_parse_time_twitter, "Wed Mai 24 20:32:51 +0000 2017", "not a timestamp");
    BAD(lk_parse_time_twitter, "Wednesday May 24 20:32:51 +0000 2017", "not a timestamp");
    BAD(lk_parse_time_twitter, "Thu May 24 20:32:51 +0000 2017", "invalid date");
    BAD(lk_parse_time_twitter, "Wed Feb 29 12:00:00 +0000 2017", "invalid date");
    BAD(lk_parse_time_twitter, "Wed May 24 24:00:00 +0000 2017", "invalid date");
    BAD(lk_parse_time_twitter, "Wed May 24 20:32:51 +2400 2017", "invalid date");
    BAD(lk_parse_time_twitter, "Wed May 24 20:32:51 +0060 2017", "invalid date");
    /* Shape. */
    BAD(lk_parse_time_twitter, "Wed May 24 20:32:51 2017", "not a timestamp");
    BAD(lk_parse_time_twitter, "Wed May 24 20:32:51 +00:00 2017", "not a timestamp");
    BAD(lk_parse_time_twitter, "Wed May 24 20:32:51 +0000 17", "not a timestamp");
    BAD(lk_parse_time_twitter, "Wed May 24 20:32:51 +0000 2017x", "not a timestamp");
    BAD(lk_parse_time_twitter, "Wed  May 24 20:32:51 +0000 2017", "not a timestamp");
    BAD(lk_parse_time_twitter, "2017-05-24T20:32:51Z", "not a timestamp");
    BAD(lk_parse_time_twitter, "", "not a timestamp");
    BAD(lk_parse_time_twitter, "Wed", "not a timestamp");
}

static void test_mdy(void **state)
{
    (void)state;
    OK(lk_parse_time_mdy, "6/19/2017 19:50", INT64_C(1497901800000));
    OK(lk_parse_time_mdy, "06/19/2017 19:50:00", INT64_C(1497901800000));
    OK(lk_parse_time_mdy, "12/31/2016 23:59:59", INT64_C(1483228799000));
    OK(lk_parse_time_mdy, "12/31/2016", INT64_C(1483142400000));
    OK(lk_parse_time_mdy, "6/9/2017 9:05", INT64_C(1496999100000));
    OK(lk_parse_time_mdy, "1/1/1970 0:00", 0);
    BAD(lk_parse_time_mdy, "13/1/2017 10:00", "invalid date");
    BAD(lk_parse_time_mdy, "2/29/2017", "invalid date");
    BAD(lk_parse_time_mdy, "6/19/2017 24:00", "invalid date");
    BAD(lk_parse_time_mdy, "6/19/2017 19:5", "not a timestamp");
    BAD(lk_parse_time_mdy, "6/19/17 19:50", "not a timestamp");
    BAD(lk_parse_time_mdy, "6/19/2017 19:50:00 PM", "not a timestamp");
    BAD(lk_parse_time_mdy, "6/19/2017T19:50", "not a timestamp");
    BAD(lk_parse_time_mdy, "123/1/2017", "not a timestamp");
    BAD(lk_parse_time_mdy, "2017-06-19", "not a timestamp");
    BAD(lk_parse_time_mdy, "12/31/1969 23:59", "out of range");
}

static void test_zoned(void **state)
{
    const int64_t utc = INT64_C(1614618309000); /* 2021-03-01T17:05:09Z */
    const int64_t hour = INT64_C(3600000), minute = INT64_C(60000);

    (void)state;
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 EST", INT64_C(1614636309000));
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 EST", utc + 5 * hour);
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 est", utc + 5 * hour);
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 UTC", utc);
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 GMT", utc);
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 Z", utc);
    OK(lk_parse_time_zoned, "2021-03-01T17:05:09 PST", utc + 8 * hour);
    OK(lk_parse_time_zoned, "2021-07-01 10:00:00 CEST", INT64_C(1625126400000));
    OK(lk_parse_time_zoned, "2024-01-14 09:15:26 NZDT", INT64_C(1705176926000));
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 NST", utc + (3 * 60 + 30) * minute);
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 ACST", INT64_C(1614584109000));
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 IST", utc - (5 * 60 + 30) * minute);
    /* Numeric offsets. */
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 +05:30", INT64_C(1614598509000));
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 +0530", INT64_C(1614598509000));
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09 -03", INT64_C(1614629109000));
    /* No zone word: lk_parse_time. */
    OK(lk_parse_time_zoned, "2021-03-01 17:05:09", utc);
    OK(lk_parse_time_zoned, "2021-03-01T17:05:09+01:00", utc - hour);
    OK(lk_parse_time_zoned, "1614618309", utc);
    OK(lk_parse_time_zoned, "  2021-03-01 17:05:09  EST ", utc + 5 * hour);
    OK(lk_parse_time_zoned, "1970-01-01 00:00:00 EST", 5 * hour);
    BAD(lk_parse_time_zoned, "1970-01-01 00:30:00 CET", "out of range");
    BAD(lk_parse_time_zoned, "9999-12-31 23:59:59 EST", "out of range");
    /* Unknown zone: a static reason without the name. */
    BAD(lk_parse_time_zoned, "2021-03-01 17:05:09 XYZ", "unknown time zone");
    BAD(lk_parse_time_zoned, "2021-03-01 17:05:09 Europe", "unknown time zone");
    BAD(lk_parse_time_zoned, "2021-03-01 17:05:09 +5", "not a timestamp");
    BAD(lk_parse_time_zoned, "2021-03-01 17:05:09 +24:00", "invalid date");
    BAD(lk_parse_time_zoned, "2021-03-01 17:05:09Z EST", "not a timestamp");
    BAD(lk_parse_time_zoned, "2021-03-01 17:05:09+01:00 EST", "not a timestamp");
    BAD(lk_parse_time_zoned, "2021-03-01 17:05:09-01:00 EST", "not a timestamp");
    BAD(lk_parse_time_zoned, "1614618309 EST", "not a timestamp");
    BAD(lk_parse_time_zoned, "2021-02-30 17:05:09 EST", "invalid date");
    BAD(lk_parse_time_zoned, "hello EST", "not a timestamp");
    BAD(lk_parse_time_zoned, "EST", "not a timestamp");
    BAD(lk_parse_time_zoned, "", "not a timestamp");
}

static void test_new_null_args(void **state)
{
    int64_t ms = 0;
    const parse_fn fns[] = {lk_parse_time_twitter, lk_parse_time_mdy, lk_parse_time_zoned};

    (void)state;
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        const char *why = NULL;
        assert_int_equal(fns[i](NULL, 0, &ms, &why), LK_EPARSE);
        assert_string_equal(why, "not a timestamp");
        assert_int_equal(fns[i]("x", 1, &ms, NULL), LK_EPARSE);
    }
    /* Only n bytes are read. */
    assert_int_equal(lk_parse_time_zoned("2021-03-01 17:05:09 ESTX", 23, &ms, NULL), LK_OK);
    assert_int_equal(ms, INT64_C(1614636309000));
    assert_int_equal(lk_parse_time_mdy("6/19/2017 19:50:00", 15, &ms, NULL), LK_OK);
    assert_int_equal(ms, INT64_C(1497901800000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epoch),        cmocka_unit_test(test_iso),
        cmocka_unit_test(test_offsets),      cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_length_bound), cmocka_unit_test(test_days),
        cmocka_unit_test(test_format),       cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_twitter),      cmocka_unit_test(test_mdy),
        cmocka_unit_test(test_zoned),        cmocka_unit_test(test_new_null_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
