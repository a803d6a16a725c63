/*
 * test_escape.c - exact outputs of lk_esc_csv / lk_esc_json / lk_esc_xml on
 * hostile input: markup, quotes, URLs, bidi overrides, invalid UTF-8, NUL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "out_escape.h"

#define FFFD "\xef\xbf\xbd"
#define RLO  "\xe2\x80\xae" /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define LRI  "\xe2\x81\xa6" /* U+2066 LEFT-TO-RIGHT ISOLATE */
#define RLM  "\xe2\x80\x8f" /* U+200F RIGHT-TO-LEFT MARK */
#define LSEP "\xe2\x80\xa8" /* U+2028 LINE SEPARATOR */
#define NEL  "\xc2\x85"     /* U+0085, a C1 control */

typedef lk_status (*esc_fn)(lk_buf *, const char *, size_t);

struct esc_case {
    const char *in;
    size_t n; /* 0: strlen(in); else the length, so that cases can hold NUL */
    const char *out;
};

static void run_cases(esc_fn fn, const struct esc_case *c, size_t count)
{
    lk_buf b;

    lk_buf_init(&b);
    for (size_t i = 0; i < count; i++) {
        const size_t n = c[i].n ? c[i].n : strlen(c[i].in);
        lk_buf_reset(&b);
        assert_int_equal(fn(&b, c[i].in, n), LK_OK);
        if (strlen(c[i].out) != b.len || memcmp(b.p, c[i].out, b.len) != 0)
            fail_msg("case %zu: got [%s], want [%s]", i, b.p, c[i].out);
        assert_int_equal(b.p[b.len], '\0');
    }
    lk_buf_release(&b);
}

#define RUN(fn, cases) run_cases((fn), (cases), sizeof(cases) / sizeof((cases)[0]))

static void test_csv(void **state)
{
    static const struct esc_case cases[] = {
        {"", 0, ""},
        {"plain_id_42", 0, "plain_id_42"},
        {"a,b", 0, "\"a,b\""},
        {"say \"hi\"", 0, "\"say \"\"hi\"\"\""},
        {"\"", 0, "\"\"\"\""},
        {"line1\r\nline2", 0, "\"line1\r\nline2\""},
        {"only\nlf", 0, "\"only\nlf\""},
        {" lead", 0, "\" lead\""},
        {"trail ", 0, "\"trail \""},
        {"\ttab", 0, "\"\ttab\""},
        {"in ner", 0, "in ner"},
        /* Markup and URLs are data in CSV: verbatim. */
        {"</script><script>alert(1)</script>", 0, "</script><script>alert(1)</script>"},
        {"<img src=x onerror=alert(1)>", 0, "<img src=x onerror=alert(1)>"},
        {"javascript:alert(1)", 0, "javascript:alert(1)"},
        {"=HYPERLINK(\"x\")", 0, "\"=HYPERLINK(\"\"x\"\")\""},
        {"bidi" RLO "txt", 0, "bidi" RLO "txt"},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80", 0, "caf\xc3\xa9 \xf0\x9f\x98\x80"},
        /* Invalid UTF-8 and NUL become U+FFFD; quoting is unaffected. */
        {"bad\xff\xc3", 0, "bad" FFFD FFFD},
        {"\xc3,x", 0, "\"" FFFD ",x\""},
        {"a\0b", 3, "a" FFFD "b"},
        {"q\"\0", 3, "\"q\"\"" FFFD "\""},
    };
    (void)state;
    RUN(lk_esc_csv, cases);
}

static void test_json(void **state)
{
    static const struct esc_case cases[] = {
        {"", 0, ""},
        {"plain, with commas", 0, "plain, with commas"},
        {"</script><script>alert(1)</script>", 0,
         "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"},
        {"<img src=x onerror=alert(1)>", 0, "\\u003cimg src=x onerror=alert(1)\\u003e"},
        {"<!-- x -->", 0, "\\u003c!-- x --\\u003e"},
        {"say \"hi\" \\ 'single'", 0, "say \\\"hi\\\" \\\\ 'single'"},
        {"javascript:alert(1)", 0, "javascript:alert(1)"},
        {"a&b", 0, "a\\u0026b"},
        {"/path/", 0, "/path/"},
        {"line1\r\nline2\ttab", 0, "line1\\r\\nline2\\ttab"},
        {"\b\f\x01\x1f\x7f", 0, "\\b\\f\\u0001\\u001f\\u007f"},
        {NEL, 0, "\\u0085"},
        {"x" LSEP "y\xe2\x80\xa9", 0, "x\\u2028y\\u2029"},
        {"bidi" RLO "txt", 0, "bidi\\u202etxt"},
        {LRI "a" RLM, 0, "\\u2066a\\u200f"},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80", 0, "caf\xc3\xa9 \xf0\x9f\x98\x80"},
        /* One U+FFFD per maximal ill-formed subpart. */
        {"\xff", 0, FFFD},
        {"\xc3", 0, FFFD},
        {"\xc3x", 0, FFFD "x"},
        {"\xff\xc3", 0, FFFD FFFD},
        {"\xe2\x80", 0, FFFD},                        /* truncated 3-byte */
        {"\xf0\x9f\x98!", 0, FFFD "!"},               /* truncated 4-byte */
        {"\xc0\xaf", 0, FFFD FFFD},                   /* overlong '/' */
        {"\xed\xa0\x80", 0, FFFD FFFD FFFD},          /* surrogate */
        {"\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD}, /* > U+10FFFF */
        {"\x80\xbf", 0, FFFD FFFD},                   /* lone continuations */
        {"a\0b", 3, "a\\u0000b"},
    };
    (void)state;
    RUN(lk_esc_json, cases);
}

static void test_xml(void **state)
{
    static const struct esc_case cases[] = {
        {"", 0, ""},
        {"plain, with commas", 0, "plain, with commas"},
        {"</script><script>alert(1)</script>", 0,
         "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"},
        {"<img src=x onerror=\"alert(1)\">", 0, "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"},
        {"it's & \"q\"", 0, "it&#39;s &amp; &quot;q&quot;"},
        {"&amp;", 0, "&amp;amp;"},
        {"]]>", 0, "]]&gt;"},
        {"javascript:alert(1)", 0, "javascript:alert(1)"},
        {"line1\r\nline2\ttab", 0, "line1&#xD;&#xA;line2&#x9;tab"},
        /* Not XML 1.0 characters: dropped. */
        {"a\x01\x08\x0b\x0c\x1f"
         "b",
         0, "ab"},
        {"a\0b", 3, "ab"},
        {"x\xef\xbf\xbey\xef\xbf\xbf", 0, "xy"},
        /* Legal but invisible or reordering: references. */
        {"\x7f" NEL, 0, "&#x7F;&#x85;"},
        {"bidi" RLO "txt", 0, "bidi&#x202E;txt"},
        {LRI "a" RLM, 0, "&#x2066;a&#x200F;"},
        {"x" LSEP "y", 0, "x" LSEP "y"},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80 " FFFD, 0, "caf\xc3\xa9 \xf0\x9f\x98\x80 " FFFD},
        {"bad\xff\xc3", 0, "bad" FFFD FFFD},
        {"\xed\xa0\x80<", 0, FFFD FFFD FFFD "&lt;"},
    };
    (void)state;
    RUN(lk_esc_xml, cases);
}

/* Escapers append: earlier content stays, and a long input grows the buffer. */
static void test_appends(void **state)
{
    lk_buf b;
    char big[5000];

    (void)state;
    lk_buf_init(&b);
    assert_int_equal(lk_buf_append(&b, "k=", 2), LK_OK);
    assert_int_equal(lk_esc_xml(&b, "<", 1), LK_OK);
    assert_int_equal(lk_esc_json(&b, "<", 1), LK_OK);
    assert_int_equal(lk_esc_csv(&b, ",", 1), LK_OK);
    assert_string_equal(b.p, "k=&lt;\\u003c\",\"");
    memset(big, '<', sizeof big);
    lk_buf_reset(&b);
    assert_int_equal(lk_esc_xml(&b, big, sizeof big), LK_OK);
    assert_int_equal(b.len, 4 * sizeof big);
    lk_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
