/*
 * test_json.c - known-answer tests for the JSON tape parser and the JSON
 * lines reader (src/json.c).  The differential check against jansson on
 * real and generated data is tests/tools/lk_jsondiff.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io_stream.h"
#include "json.h"
#include "lk_testutil.h"

/* String literal with its exact length, embedded NULs included. */
#define LIT(s) (s), sizeof(s) - 1

static lk_json *parse_ok(const char *s, size_t n)
{
    lk_json *j = NULL;

    assert_int_equal(lk_json_new(&j), LK_OK);
    if (lk_json_parse(j, s, n) != LK_OK)
        fail_msg("parse failed: %s at %zu", lk_json_errmsg(j), lk_json_erroff(j));
    return j;
}

/* Decoded text of node equals want (wn bytes). */
static void assert_str(const lk_json *j, uint32_t node, const char *want, size_t wn)
{
    lk_buf scratch;
    const char *s = NULL;
    size_t n = 0;

    lk_buf_init(&scratch);
    assert_int_equal(lk_json_str(j, node, &scratch, &s, &n), LK_OK);
    if (n != wn || memcmp(s, want, n) != 0)
        fail_msg("node %u: got '%.*s' (%zu bytes), want '%s'", node, (int)n, s, n, want);
    lk_buf_release(&scratch);
}

static void test_types(void **state)
{
    static const char doc[] =
        "{\"n\":null,\"f\":false,\"t\":true,\"i\":-12,\"x\":1.5e3,\"s\":\"hi\",\"a\":[1,2],\"o\":{}}";
    lk_json *j = parse_ok(LIT(doc));
    const char *raw;
    size_t n;

    (void)state;
    assert_int_equal(lk_json_root(j), 0);
    assert_int_equal(lk_json_type_of(j, 0), LK_JSON_OBJECT);
    assert_int_equal(lk_json_count(j, 0), 8);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "n")), LK_JSON_NULL);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "f")), LK_JSON_FALSE);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "t")), LK_JSON_TRUE);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "i")), LK_JSON_NUMBER);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "x")), LK_JSON_NUMBER);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "s")), LK_JSON_STRING);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "a")), LK_JSON_ARRAY);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "o")), LK_JSON_OBJECT);
    assert_int_equal(lk_json_count(j, lk_json_get(j, 0, "a")), 2);
    assert_int_equal(lk_json_count(j, lk_json_get(j, 0, "o")), 0);
    assert_int_equal(lk_json_count(j, lk_json_get(j, 0, "s")), 0);
    assert_int_equal(lk_json_get(j, 0, "missing"), LK_JSON_NONE);
    assert_int_equal(lk_json_get(j, lk_json_get(j, 0, "a"), "n"), LK_JSON_NONE);
    assert_int_equal(lk_json_get(j, LK_JSON_NONE, "n"), LK_JSON_NONE);
    /* a missing node reads as null */
    assert_int_equal(lk_json_type_of(j, LK_JSON_NONE), LK_JSON_NULL);

    /* raw text: literals, strings between the quotes, containers whole */
    lk_json_raw(j, lk_json_get(j, 0, "x"), &raw, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(raw, "1.5e3", 5);
    lk_json_raw(j, lk_json_get(j, 0, "s"), &raw, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(raw, "hi", 2);
    lk_json_raw(j, lk_json_get(j, 0, "a"), &raw, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(raw, "[1,2]", 5);
    lk_json_raw(j, 0, &raw, &n);
    assert_int_equal(n, sizeof doc - 1);
    lk_json_raw(j, LK_JSON_NONE, &raw, &n);
    assert_int_equal(n, 0);
    lk_json_free(j);
}

static void test_scalar_roots(void **state)
{
    static const struct {
        const char *doc;
        lk_json_type type;
    } cases[] = {{"null", LK_JSON_NULL},        {" true ", LK_JSON_TRUE},
                 {"false", LK_JSON_FALSE},      {"0", LK_JSON_NUMBER},
                 {"-0.0e-0", LK_JSON_NUMBER},   {"\"\"", LK_JSON_STRING},
                 {"\t[\n]\r\n", LK_JSON_ARRAY}, {"{ }", LK_JSON_OBJECT}};

    lk_json *j = NULL;

    (void)state;
    assert_int_equal(lk_json_new(&j), LK_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(lk_json_parse(j, cases[i].doc, strlen(cases[i].doc)), LK_OK);
        assert_int_equal(lk_json_type_of(j, 0), cases[i].type);
        assert_int_equal(lk_json_first(j, 0), LK_JSON_NONE);
        assert_int_equal(lk_json_next(j, 0), LK_JSON_NONE);
        assert_int_equal(lk_json_type_of(j, 1), LK_JSON_NULL); /* past the tape */
    }
    lk_json_free(j);
}

static void test_path_and_iteration(void **state)
{
    static const char doc[] = "{\"id\":1,\"retweeted_status\":{\"user\":{\"id_str\":\"42\","
                              "\"tags\":[\"a\",[],{\"k\":[null]},\"z\"]}},\"after\":true}";
    lk_json *j = parse_ok(LIT(doc));
    uint32_t tags, e, k;
    static const lk_json_type want[] = {LK_JSON_STRING, LK_JSON_ARRAY, LK_JSON_OBJECT,
                                        LK_JSON_STRING};
    static const char *const keys[] = {"id", "retweeted_status", "after"};
    size_t i;

    (void)state;
    assert_str(j, lk_json_path(j, 0, "retweeted_status.user.id_str"), LIT("42"));
    assert_int_equal(lk_json_path(j, 0, "retweeted_status.user.nope"), LK_JSON_NONE);
    assert_int_equal(lk_json_path(j, 0, "id.x"), LK_JSON_NONE);
    assert_int_equal(lk_json_path(j, 0, "retweeted_status."), LK_JSON_NONE);
    assert_int_equal(lk_json_path(j, 0, "id"), lk_json_get(j, 0, "id"));
    /* a value sits right after its key */
    assert_int_equal(lk_json_get(j, 0, "id"), 2);

    tags = lk_json_path(j, 0, "retweeted_status.user.tags");
    assert_int_equal(lk_json_count(j, tags), 4);
    i = 0;
    for (e = lk_json_first(j, tags); e != LK_JSON_NONE; e = lk_json_next(j, e))
        assert_int_equal(lk_json_type_of(j, e), want[i++]);
    assert_int_equal(i, 4);
    /* nested values are skipped in O(1): the empty array, the object */
    e = lk_json_next(j, lk_json_first(j, tags));
    assert_int_equal(lk_json_first(j, e), LK_JSON_NONE);
    e = lk_json_next(j, e);
    assert_int_equal(lk_json_type_of(j, lk_json_path(j, e, "k")), LK_JSON_ARRAY);
    assert_str(j, lk_json_next(j, e), LIT("z"));

    i = 0;
    for (k = lk_json_first(j, 0); k != LK_JSON_NONE && i < 3; k = lk_json_next(j, k + 1))
        assert_true(lk_json_str_eq(j, k, keys[i++]));
    assert_int_equal(i, 3);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "after")), LK_JSON_TRUE);
    lk_json_free(j);
}

static void test_escapes(void **state)
{
    static const char doc[] =
        "[\"plain\",\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\",\"\\u00e9\\u20AC\","
        "\"\\ud83d\\ude00\",\"x\\ud800y\",\"\\udc00\",\"\\ud800\\u0041\",\"\\ud800\\ud800\\udc00\","
        "\"\\u0000z\",\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"https:\\/\\/t.co\\/x\"]";
    lk_json *j = parse_ok(LIT(doc));
    uint32_t e = lk_json_first(j, 0);
    const char *raw;
    size_t n;

    (void)state;
    assert_str(j, e, LIT("plain"));
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("a\"b\\c/d\be\ff\ng\rh\ti"));
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("\xc3\xa9\xe2\x82\xac"));
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("\xf0\x9f\x98\x80")); /* a surrogate pair is one code point */
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("x\xef\xbf\xbdy")); /* lone high surrogate: U+FFFD */
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("\xef\xbf\xbd")); /* lone low surrogate */
    e = lk_json_next(j, e);
    assert_str(j, e,
               LIT("\xef\xbf\xbd"
                   "A"));
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("\xef\xbf\xbd\xf0\x90\x80\x80"));
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("\0z"));
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("caf\xc3\xa9 \xf0\x9f\x98\x80"));
    lk_json_raw(j, e, &raw, &n);
    assert_ptr_equal(raw, strstr(doc, "caf")); /* no escapes: no copy */
    e = lk_json_next(j, e);
    assert_str(j, e, LIT("https://t.co/x"));
    assert_true(lk_json_str_eq(j, e, "https://t.co/x"));
    assert_false(lk_json_str_eq(j, e, "https://t.co/"));
    assert_false(lk_json_str_eq(j, e, "https://t.co/xy"));
    assert_int_equal(lk_json_next(j, e), LK_JSON_NONE);
    /* lk_json_str refuses non-strings */
    {
        lk_buf scratch;
        const char *s;
        lk_buf_init(&scratch);
        assert_int_equal(lk_json_str(j, 0, &scratch, &s, &n), LK_EINVAL);
        assert_int_equal(lk_json_str(j, LK_JSON_NONE, &scratch, &s, &n), LK_EINVAL);
        lk_buf_release(&scratch);
    }
    lk_json_free(j);
}

static void test_escaped_keys(void **state)
{
    static const char doc[] =
        "{\"\\u0069d\":1,\"user\\/name\":\"x\",\"id\":2,\"\\u00e9t\\u00e9\":3}";
    lk_json *j = parse_ok(LIT(doc));
    int ok;

    (void)state;
    /* the escaped "id" comes first and wins */
    assert_int_equal(lk_json_int(j, lk_json_get(j, 0, "id"), &ok), 1);
    assert_true(ok);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "user/name")), LK_JSON_STRING);
    assert_int_equal(lk_json_get(j, 0, "user\\/name"), LK_JSON_NONE);
    assert_int_equal(lk_json_int(j, lk_json_get(j, 0, "\xc3\xa9t\xc3\xa9"), &ok), 3);
    assert_int_equal(lk_json_get(j, 0, "\xc3\xa9t"), LK_JSON_NONE);
    lk_json_free(j);
}

static void test_duplicates(void **state)
{
    static const char doc[] = "{\"a\":1,\"b\":2,\"a\":3}";
    lk_json *j = parse_ok(LIT(doc));
    int ok;

    (void)state;
    assert_int_equal(lk_json_count(j, 0), 3); /* every member is kept */
    assert_int_equal(lk_json_int(j, lk_json_get(j, 0, "a"), &ok), 1);
    assert_true(ok);
    lk_json_free(j);
}

static void test_numbers(void **state)
{
    static const struct {
        const char *lit;
        int ok;
        int64_t v;
    } cases[] = {
        {"0", 1, 0},
        {"-0", 1, 0},
        {"42", 1, 42},
        {"-17", 1, -17},
        {"1589632502309990401", 1, INT64_C(1589632502309990401)},
        {"9223372036854775807", 1, INT64_MAX},
        {"-9223372036854775808", 1, INT64_MIN},
        {"9223372036854775808", 0, 0},
        {"-9223372036854775809", 0, 0},
        {"123456789012345678901234567890", 0, 0},
        {"1134365188.0", 1, 1134365188}, /* epoch seconds written as floats */
        {"1.5e9", 1, 1500000000},
        {"1E+2", 1, 100},
        {"100e-2", 1, 1},
        {"2.50e1", 1, 25},
        {"0.0e5", 1, 0},
        {"0e99999", 1, 0},
        {"1.5", 0, 0},
        {"1e-1", 0, 0},
        {"1e19", 0, 0},
        {"9.223372036854775807e18", 1, INT64_MAX},
        {"\"1134365188\"", 1, 1134365188}, /* digit strings too */
        {"\"007\"", 1, 7},
        {"\"\"", 0, 0},
        {"\"-5\"", 0, 0},
        {"\"12a\"", 0, 0},
        {"\"1.0\"", 0, 0},
        {"\"\\u0031\"", 0, 0},
        {"\"99999999999999999999\"", 0, 0},
        {"true", 0, 0},
        {"null", 0, 0},
        {"[1]", 0, 0},
    };

    lk_json *j = NULL;

    (void)state;
    assert_int_equal(lk_json_new(&j), LK_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int ok = -1;
        int64_t v;
        assert_int_equal(lk_json_parse(j, cases[i].lit, strlen(cases[i].lit)), LK_OK);
        v = lk_json_int(j, 0, &ok);
        if (ok != cases[i].ok || v != cases[i].v)
            fail_msg("%s: got %lld ok=%d", cases[i].lit, (long long)v, ok);
    }
    assert_int_equal(lk_json_int(j, LK_JSON_NONE, NULL), 0);
    /* numbers as ids: lk_json_str gives the literal */
    assert_int_equal(lk_json_parse(j, LIT("{\"id\": 1589632502309990401 }")), LK_OK);
    assert_str(j, lk_json_get(j, 0, "id"), LIT("1589632502309990401"));
    assert_int_equal(lk_json_parse(j, LIT("[-1.25E-3]")), LK_OK);
    assert_str(j, lk_json_first(j, 0), LIT("-1.25E-3"));
    lk_json_free(j);
}

/* Each kind of syntax error: message (a prefix is enough), offset, and
 * whether it counts as invalid UTF-8. */
static void test_errors(void **state)
{
    static const struct {
        const char *doc;
        size_t n, off;
        const char *msg;
        lk_status st;
        int utf8;
    } cases[] = {

#define E(doc, st, off, msg, utf8) {doc, sizeof(doc) - 1, off, msg, st, utf8}
        E("", LK_EPARSE, 0, "empty input", 0),
        E("  \n", LK_EPARSE, 3, "unexpected end of input", 0),
        E("{", LK_EPARSE, 1, "unexpected end of input", 0),
        E("{\"a\"", LK_EPARSE, 4, "unexpected end of input", 0),
        E("{\"a\":", LK_EPARSE, 5, "unexpected end of input", 0),
        E("[1,", LK_EPARSE, 3, "unexpected end of input", 0),
        E("\"abc", LK_EPARSE, 4, "unexpected end of input", 0),
        E("\"ab\\", LK_EPARSE, 4, "unexpected end of input", 0),
        E("\"\\u12", LK_EPARSE, 5, "unexpected end of input", 0),
        E("tru", LK_EPARSE, 3, "unexpected end of input", 0),
        E("-", LK_EPARSE, 1, "unexpected end of input", 0),
        E("1.", LK_EPARSE, 2, "unexpected end of input", 0),
        E("1e+", LK_EPARSE, 3, "unexpected end of input", 0),
        E("\"\xe2\x82", LK_EPARSE, 3, "unexpected end of input", 0),
        E("{\"a\":1 \"b\":2}", LK_EPARSE, 7, "',' or '}' expected after an object member", 0),
        E("{\"a\":1]", LK_EPARSE, 6, "',' or '}' expected after an object member", 0),
        E("[1 2]", LK_EPARSE, 3, "',' or ']' expected after an array element", 0),
        E("[1}", LK_EPARSE, 2, "',' or ']' expected after an array element", 0),
        E("{\"a\" 1}", LK_EPARSE, 5, "':' expected after an object key", 0),
        E("{a:1}", LK_EPARSE, 1, "a string expected as object key", 0),
        E("{\"a\":1,}", LK_EPARSE, 7, "a string expected as object key", 0),
        E("[1,]", LK_EPARSE, 3, "a value expected", 0),
        E("[,1]", LK_EPARSE, 1, "a value expected", 0),
        E("'x'", LK_EPARSE, 0, "a value expected, found '''", 0),
        E("NaN", LK_EPARSE, 0, "a value expected", 0),
        E("+1", LK_EPARSE, 0, "a value expected", 0),
        E("[\x01]", LK_EPARSE, 1, "a value expected, found byte 0x01", 0),
        E("nul", LK_EPARSE, 3, "unexpected end of input", 0),
        E("nulL", LK_EPARSE, 0, "invalid literal", 0),
        E("trUe", LK_EPARSE, 0, "invalid literal", 0),
        E("01", LK_EPARSE, 1, "invalid number: leading zero", 0),
        E("-01", LK_EPARSE, 2, "invalid number: leading zero", 0),
        E("-a", LK_EPARSE, 1, "invalid number: digit expected after '-'", 0),
        E("1.e5", LK_EPARSE, 2, "invalid number: digit expected after '.'", 0),
        E("1e+x", LK_EPARSE, 3, "invalid number: digit expected in the exponent", 0),
        E(".5", LK_EPARSE, 0, "a value expected", 0),
        E("1 2", LK_EPARSE, 2, "unexpected data after the JSON value", 0),
        E("{} x", LK_EPARSE, 3, "unexpected data after the JSON value", 0),
        E("1\0", LK_EPARSE, 1, "unexpected data after the JSON value, found byte 0x00", 0),
        E("[1]/*c*/", LK_EPARSE, 3, "unexpected data after the JSON value", 0),
        E("\"a\\x\"", LK_EPARSE, 2, "invalid escape in a string, found 'x'", 0),
        E("\"a\\U0041\"", LK_EPARSE, 2, "invalid escape", 0),
        E("\"\\u12G4\"", LK_EPARSE, 1, "invalid \\u escape", 0),
        E("\"a\tb\"", LK_EPARSE, 2, "control character 0x09 in a string", 0),
        E("\"a\nb\"", LK_EPARSE, 2, "control character 0x0a", 0),
        E("\"\0\"", LK_EPARSE, 1, "control character 0x00", 0),
        E("\"\x80\"", LK_EPARSE, 1, "invalid UTF-8 in a string", 1),
        E("\"ab\xc0\xaf\"", LK_EPARSE, 3, "invalid UTF-8", 1),       /* overlong '/' */
        E("\"\xc1\xbf\"", LK_EPARSE, 1, "invalid UTF-8", 1),         /* overlong */
        E("\"\xe0\x80\xaf\"", LK_EPARSE, 1, "invalid UTF-8", 1),     /* overlong */
        E("\"\xf0\x80\x80\xaf\"", LK_EPARSE, 1, "invalid UTF-8", 1), /* overlong */
        E("\"\xed\xa0\x80\"", LK_EPARSE, 1, "invalid UTF-8", 1),     /* U+D800 */
        E("\"\xed\xbf\xbf\"", LK_EPARSE, 1, "invalid UTF-8", 1),     /* U+DFFF */
        E("\"\xf4\x90\x80\x80\"", LK_EPARSE, 1, "invalid UTF-8", 1), /* U+110000 */
        E("\"\xf5\x80\x80\x80\"", LK_EPARSE, 1, "invalid UTF-8", 1), /* lead > F4 */
        E("\"\xff\"", LK_EPARSE, 1, "invalid UTF-8", 1),
        E("\"\xc3(\"", LK_EPARSE, 1, "invalid UTF-8", 1), /* short sequence */
        E("\"\xe2\x82\"", LK_EPARSE, 1, "invalid UTF-8", 1),
        E("\"\xe2\x82\xac\x80\"", LK_EPARSE, 4, "invalid UTF-8", 1), /* stray continuation */
        E("[\"0123456789abcdef\xc3\xa9\xc3\"]", LK_EPARSE, 20, "invalid UTF-8", 1),
        E("\xef\xbb\xbf{}", LK_EPARSE, 0, "a value expected, found byte 0xef", 0), /* BOM */
#undef E
    };
    lk_json *j = NULL;

    (void)state;
    assert_int_equal(lk_json_new(&j), LK_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lk_status st = lk_json_parse(j, cases[i].doc, cases[i].n);
        if (st != cases[i].st || lk_json_erroff(j) != cases[i].off ||
            strncmp(lk_json_errmsg(j), cases[i].msg, strlen(cases[i].msg)) != 0 ||
            lk_json_err_is_utf8(j) != cases[i].utf8)
            fail_msg("case %zu: got %d '%s' at %zu utf8=%d; want '%s' at %zu", i, (int)st,
                     lk_json_errmsg(j), lk_json_erroff(j), lk_json_err_is_utf8(j), cases[i].msg,
                     cases[i].off);
        /* a failed parse leaves no tape behind */
        assert_int_equal(lk_json_first(j, 0), LK_JSON_NONE);
        assert_int_equal(lk_json_get(j, 0, "a"), LK_JSON_NONE);
    }
    /* the parser is reusable after an error */
    assert_int_equal(lk_json_parse(j, LIT("[true]")), LK_OK);
    assert_int_equal(lk_json_type_of(j, lk_json_first(j, 0)), LK_JSON_TRUE);
    assert_string_equal(lk_json_errmsg(j), "");
    lk_json_free(j);
}

/* Every valid UTF-8 boundary value passes, in and out of the SIMD path. */
static void test_utf8_valid(void **state)
{
    static const char *const seqs[] = {
        "\x7f",         "\xc2\x80",         "\xdf\xbf",         "\xe0\xa0\x80",
        "\xec\xbf\xbf", "\xed\x80\x80",     "\xed\x9f\xbf",     "\xee\x80\x80",
        "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf3\xbf\xbf\xbf", "\xf4\x8f\xbf\xbf"};
    lk_json *j = NULL;
    char doc[64];

    (void)state;
    assert_int_equal(lk_json_new(&j), LK_OK);
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
        for (int pad = 0; pad < 20; pad++) {
            const int n = snprintf(doc, sizeof doc, "\"%.*s%s%s\"", pad, "xxxxxxxxxxxxxxxxxxxx",
                                   seqs[i], seqs[i]);
            if (lk_json_parse(j, doc, (size_t)n) != LK_OK)
                fail_msg("seq %zu pad %d: %s", i, pad, lk_json_errmsg(j));
            assert_str(j, 0, doc + 1, (size_t)n - 2);
        }
    lk_json_free(j);
}

static void test_depth(void **state)
{
    enum { D = 600 };

    char doc[2 * D + 1];
    lk_json *j = NULL;

    (void)state;
    assert_int_equal(lk_json_new(&j), LK_OK);
    for (int d = 510; d <= 514; d++) {
        memset(doc, '[', (size_t)d);
        memset(doc + d, ']', (size_t)d);
        const lk_status st = lk_json_parse(j, doc, 2 * (size_t)d);
        if (d <= 512) {
            assert_int_equal(st, LK_OK);
            assert_int_equal(lk_json_type_of(j, (uint32_t)d - 1), LK_JSON_ARRAY);
        } else {
            assert_int_equal(st, LK_ELIMIT);
            assert_int_equal(lk_json_erroff(j), 512);
            assert_non_null(strstr(lk_json_errmsg(j), "nesting"));
        }
    }
    /* objects count too */
    {
        lk_buf b;
        lk_buf_init(&b);
        for (int i = 0; i < 513; i++)
            assert_int_equal(lk_buf_append(&b, "{\"k\":", 5), LK_OK);
        assert_int_equal(lk_json_parse(j, b.p, b.len), LK_ELIMIT);
        assert_int_equal(lk_json_erroff(j), 512 * 5);
        lk_buf_release(&b);
    }
    lk_json_free(j);
}

static void test_whitespace(void **state)
{
    static const char doc[] = " \t\r\n{ \"a\" \t:\n[ 1 ,\r\n 2 ] , \"b\" : { } }\n\r\t ";
    lk_json *j = parse_ok(LIT(doc));
    lk_json *k = NULL;

    (void)state;
    assert_int_equal(lk_json_count(j, lk_json_get(j, 0, "a")), 2);
    assert_int_equal(lk_json_type_of(j, lk_json_get(j, 0, "b")), LK_JSON_OBJECT);
    /* only the four JSON blanks: not \f, \v, NBSP */
    assert_int_equal(lk_json_new(&k), LK_OK);
    assert_int_equal(lk_json_parse(k, LIT("\f1")), LK_EPARSE);
    assert_int_equal(lk_json_parse(k, LIT("1\v")), LK_EPARSE);
    assert_int_equal(lk_json_parse(k, LIT("[1,\xc2\xa0 2]")), LK_EPARSE);
    lk_json_free(k);
    lk_json_free(j);
}

/* Long strings and many nodes: the tape grows, SIMD and scalar paths meet. */
static void test_big(void **state)
{
    lk_buf b;
    lk_json *j = NULL;
    uint64_t rng = 7;
    uint32_t n = 0;

    (void)state;
    lk_buf_init(&b);
    assert_int_equal(lk_buf_putc(&b, '['), LK_OK);
    for (int i = 0; i < 200000; i++) {
        const unsigned len = (unsigned)(next_u64(&rng) % 40);
        assert_int_equal(lk_buf_printf(&b, "%s\"", i ? "," : ""), LK_OK);
        for (unsigned c = 0; c < len; c++)
            assert_int_equal(lk_buf_putc(&b, (char)('a' + c % 26)), LK_OK);
        assert_int_equal(lk_buf_append(&b, "\\n\"", 3), LK_OK);
    }
    assert_int_equal(lk_buf_putc(&b, ']'), LK_OK);
    assert_int_equal(lk_json_new(&j), LK_OK);
    assert_int_equal(lk_json_parse(j, b.p, b.len), LK_OK);
    assert_int_equal(lk_json_count(j, 0), 200000);
    for (uint32_t e = lk_json_first(j, 0); e != LK_JSON_NONE; e = lk_json_next(j, e))
        n++;
    assert_int_equal(n, 200000);
    lk_json_free(j);
    lk_buf_release(&b);
}

/* ---- lk_lines ----------------------------------------------------------- */

/* Read doc with lk_lines and describe each result: "<no>:<line>\n" or
 * "E<no>\n" for LK_ELIMIT. */
static void lines_dump(const char *doc, size_t n, size_t max_line, lk_buf *out)
{
    char eb[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_lines *l = NULL;
    const char *p;
    size_t len;
    uint64_t no;
    lk_status st;

    lk_buf_reset(out);
    assert_int_equal(lk_stream_open_mem(doc, n, "doc", &s, eb), LK_OK);
    assert_int_equal(lk_lines_open(s, max_line, &l), LK_OK);
    while ((st = lk_lines_next(l, &p, &len, &no)) == LK_OK || st == LK_ELIMIT) {
        if (st == LK_ELIMIT) {
            assert_int_equal(lk_buf_printf(out, "E%llu\n", (unsigned long long)no), LK_OK);
            continue;
        }
        assert_int_equal(p[len], '\0');
        assert_int_equal(lk_buf_printf(out, "%llu:", (unsigned long long)no), LK_OK);
        assert_int_equal(lk_buf_append(out, p, len), LK_OK);
        assert_int_equal(lk_buf_putc(out, '\n'), LK_OK);
    }
    assert_int_equal(st, LK_EOF);
    assert_int_equal(lk_lines_next(l, &p, &len, &no), LK_EOF); /* sticky */
    lk_lines_free(l);
    lk_stream_close(s);
}

#define LINES(doc, max, want)                               \
    do {                                                    \
        lines_dump(LIT(doc), (max), &out);                  \
        if (strcmp(out.p, (want)) != 0)                     \
            fail_msg("got\n%s--- want\n%s", out.p, (want)); \
    } while (0)

static void test_lines(void **state)
{
    lk_buf out;

    (void)state;
    lk_buf_init(&out);
    LINES("a\nbb\nccc\n", 100, "1:a\n2:bb\n3:ccc\n");
    LINES("a\r\nbb\r\n", 100, "1:a\n2:bb\n");
    LINES("a\nb", 100, "1:a\n2:b\n");
    LINES("a\r\nb\r", 100, "1:a\n2:b\n");
    LINES("", 100, "");
    LINES("\n", 100, "1:\n");
    LINES("\n\r\n\nx\n\n", 100, "1:\n2:\n3:\n4:x\n5:\n");
    LINES("a\rb\n", 100, "1:a\rb\n"); /* a lone CR is data */
    /* max_line counts the line without its end */
    LINES("1234\r\n12345\n123\n", 4, "1:1234\nE2\n3:123\n");
    LINES("12345", 4, "E1\n");
    LINES("12345\n", 4, "E1\n");
    LINES("abcdefghijklmnopqrstuvwxyz\nok\nabcdefghij", 5, "E1\n2:ok\nE3\n");
    LINES("\n\n", 0, "1:\n2:\n");
    lk_buf_release(&out);
}

/* Lines across 1 MiB block boundaries, a line longer than a block, and an
 * overlong line skipped without being buffered. */
static void test_lines_big(void **state)
{
    lk_buf doc, want, out;
    uint64_t rng = 11, no = 0;
    const size_t max_line = (size_t)3 << 20;

    (void)state;
    lk_buf_init(&doc);
    lk_buf_init(&want);
    lk_buf_init(&out);
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(next_u64(&rng) % 3000);
        const int crlf = (int)(next_u64(&rng) % 2);
        if (i == 1000)
            len = (size_t)3 << 19; /* 1.5 MiB: more than a block, within max */
        if (i == 2000)
            len = (size_t)5 << 20; /* 5 MiB: over max */
        no++;
        if (len > max_line) {
            assert_int_equal(lk_buf_printf(&want, "E%llu\n", (unsigned long long)no), LK_OK);
        } else {
            assert_int_equal(lk_buf_printf(&want, "%llu:", (unsigned long long)no), LK_OK);
        }
        for (size_t c = 0; c < len; c++) {
            const char ch = (char)('a' + (c + (size_t)i) % 26);
            assert_int_equal(lk_buf_putc(&doc, ch), LK_OK);
            if (len <= max_line)
                assert_int_equal(lk_buf_putc(&want, ch), LK_OK);
        }
        if (len <= max_line)
            assert_int_equal(lk_buf_putc(&want, '\n'), LK_OK);
        assert_int_equal(lk_buf_append(&doc, crlf ? "\r\n" : "\n", crlf ? 2u : 1u), LK_OK);
    }
    lines_dump(doc.p, doc.len, max_line, &out);
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.p, want.p, want.len);
    lk_buf_release(&doc);
    lk_buf_release(&want);
    lk_buf_release(&out);
}

static void test_lines_rest(void **state)
{
    static const char doc[] = "first\r\n{\"whole\":\n [1, 2]}\n";
    char eb[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_lines *l = NULL;
    lk_buf rest;
    const char *p;
    size_t n;
    uint64_t no;

    (void)state;
    lk_buf_init(&rest);
    assert_int_equal(lk_stream_open_mem(LIT(doc), "doc", &s, eb), LK_OK);
    assert_int_equal(lk_lines_open(s, 100, &l), LK_OK);
    assert_int_equal(lk_lines_next(l, &p, &n, &no), LK_OK);
    assert_int_equal(no, 1);
    assert_int_equal(n, 5);
    assert_int_equal(lk_lines_rest(l, &rest, 1000), LK_OK);
    assert_string_equal(rest.p, "{\"whole\":\n [1, 2]}\n");
    assert_int_equal(lk_lines_next(l, &p, &n, &no), LK_EOF);
    lk_lines_free(l);
    lk_stream_close(s);

    /* all of it, and the limit (rest is appended to what out holds) */
    for (size_t max = 0; max <= sizeof doc; max++) {
        lk_buf_reset(&rest);
        assert_int_equal(lk_buf_append(&rest, "X", 1), LK_OK);
        assert_int_equal(lk_stream_open_mem(LIT(doc), "doc", &s, eb), LK_OK);
        assert_int_equal(lk_lines_open(s, 100, &l), LK_OK);
        if (max >= sizeof doc - 1) {
            assert_int_equal(lk_lines_rest(l, &rest, max), LK_OK);
            assert_int_equal(rest.len, sizeof doc);
            assert_string_equal(rest.p + 1, doc);
        } else {
            assert_int_equal(lk_lines_rest(l, &rest, max), LK_ELIMIT);
        }
        lk_lines_free(l);
        lk_stream_close(s);
    }
    lk_buf_release(&rest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_scalar_roots),
        cmocka_unit_test(test_path_and_iteration),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_escaped_keys),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_big),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_lines_big),
        cmocka_unit_test(test_lines_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
