/*
 * test_normalize.c - known answers for the object keys of each trace.
 *
 * Every expected key below was written by hand from the rules in
 * normalize.h / normalize.c, not copied from the code's output.  Besides
 * the tables: every URL key must re-normalise to itself, every input is
 * normalised after a prefix already in the buffer (the functions append),
 * and the White_Space set is checked against utf8proc's categories for
 * every code point.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "normalize.h"
#include "rng.h"

typedef lk_status (*norm_fn)(const char *, size_t, lk_buf *);

struct kase {
    const char *in;
    const char *want; /* NULL: no key */
};

/* Run fn on `in` after a prefix and compare what it appended with want. */
static void check(norm_fn fn, const char *name, const char *in, size_t n, const char *want)
{
    lk_buf b;

    lk_buf_init(&b);
    assert_int_equal(lk_buf_append(&b, "P|", 2), LK_OK);
    assert_int_equal(fn(in, n, &b), LK_OK);
    assert_true(b.len >= 2 && memcmp(b.p, "P|", 2) == 0);
    assert_int_equal(b.p[b.len], '\0');
    if (!want) {
        if (b.len != 2)
            fail_msg("%s('%s'): got '%s', want no key", name, in, b.p + 2);
    } else if (b.len - 2 != strlen(want) || memcmp(b.p + 2, want, b.len - 2) != 0) {
        fail_msg("%s('%s'): got '%s', want '%s'", name, in, b.p + 2, want);
    }
    lk_buf_release(&b);
}

static void check_table(norm_fn fn, const char *name, const struct kase *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check(fn, name, t[i].in, strlen(t[i].in), t[i].want);
}

#define CHECK_TABLE(fn, t) check_table(fn, #fn, t, sizeof(t) / sizeof *(t))

/* ---- URL --------------------------------------------------------------- */

static const struct kase url_cases[] = {
    /* The example of the brief: every rule at once. */
    {"https://www.Example.com:443/a/b/?utm_source=x&id=3#frag", "example.com/a/b?id=3"},
    /* Scheme, case, trailing slash. */
    {"http://example.com", "example.com"},
    {"https://example.com/", "example.com"},
    {"example.com/", "example.com"},
    {"https://example.com//", "example.com"},
    {"HTTP://EXAMPLE.COM/Path/To", "example.com/Path/To"},
    {"https://example.com/a/b/?x=1#", "example.com/a/b?x=1"},
    {"  https://example.com/x \n", "example.com/x"},
    /* Ports. */
    {"http://example.com:80/x", "example.com/x"},
    {"https://example.com:443/x", "example.com/x"},
    {"https://example.com:8443/x", "example.com:8443/x"},
    {"http://example.com:8080", "example.com:8080"},
    {"http://example.com:/x", "example.com/x"},
    {"http://example.com:0080/x", "example.com/x"},
    {"http://example.com:99999/", NULL},
    {"http://example.com:8o/", NULL},
    /* Fragments and queries. */
    {"https://example.com/x#section-2", "example.com/x"},
    {"https://example.com/?#", "example.com"},
    {"https://example.com/x?", "example.com/x"},
    {"https://example.com/x?utm_source=tw&utm_medium=social&utm_campaign=c", "example.com/x"},
    {"https://example.com/x?fbclid=IwAR0abc", "example.com/x"},
    {"https://example.com/x?b=2&gclid=z&a=1", "example.com/x?b=2&a=1"},
    {"https://example.com/x?UTM_Source=x&id=1", "example.com/x?id=1"},
    {"https://example.com/x?id=1&&ref=home&", "example.com/x?id=1"},
    {"https://example.com/x?utm%5Fsource=x", "example.com/x"},
    {"https://www.example.com/p?ref_src=twsrc%5Etfw", "example.com/p"},
    {"https://example.com/x?feature=share&v=1", "example.com/x?v=1"},
    {"https://example.com/x?feature=related", "example.com/x?feature=related"},
    {"https://example.com/search?q=a+b&q2=%20c", "example.com/search?q=a+b&q2=%20c"},
    /* "s" and "t" are share tracking only on Twitter / X. */
    {"https://twitter.com/jack/status/20?s=20&t=AbC", "twitter.com/jack/status/20"},
    {"https://x.com/jack/status/20?s=46", "x.com/jack/status/20"},
    {"https://example.com/a?s=20&t=5", "example.com/a?s=20&t=5"},
    /* YouTube. */
    {"https://youtu.be/dQw4w9WgXcQ", "youtube.com/watch?v=dQw4w9WgXcQ"},
    {"https://youtu.be/dQw4w9WgXcQ?t=42&si=Abc", "youtube.com/watch?v=dQw4w9WgXcQ&t=42"},
    {"https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=youtu.be",
     "youtube.com/watch?v=dQw4w9WgXcQ"},
    {"https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube.com/watch?v=dQw4w9WgXcQ"},
    {"https://youtu.be/", "youtu.be"},
    /* No scheme, www. */
    {"example.com/x?y=1", "example.com/x?y=1"},
    {"//example.com/x", "example.com/x"},
    {"www.example.com", "example.com"},
    {"WWW.www.Example.com", "example.com"},
    {"www.com", "www.com"},
    {"example.com:8080/x", "example.com:8080/x"},
    /* Hosts: IDN (UTF-8 kept, ASCII lowered), IPs, user info, root dot. */
    {"http://B\xC3\xBC"
     "cher.DE/x",
     "b\xC3\xBC"
     "cher.de/x"},
    {"http://192.168.0.1:8080/admin", "192.168.0.1:8080/admin"},
    {"http://[2001:DB8::1]/x", "[2001:db8::1]/x"},
    {"http://[2001:db8::1]:443", "[2001:db8::1]"},
    {"http://[::1]x/", NULL},
    {"http://user:pass@example.com/x", "example.com/x"},
    {"http://example.com./x", "example.com/x"},
    {"https://t.co/AbC123", "t.co/AbC123"},
    /* Percent-escapes: unreserved decoded, others upper-cased, raw
     * non-ASCII and unsafe bytes encoded, a lone '%' escaped. */
    {"http://example.com/%7Euser/%41%2f", "example.com/~user/A%2F"},
    {"http://example.com/100%", "example.com/100%25"},
    {"http://example.com/%zz", "example.com/%25zz"},
    {"http://example.com/a|b", "example.com/a%7Cb"},
    {"https://ru.wikipedia.org/wiki/\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0",
     "ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"},
    {"https://ru.wikipedia.org/wiki/%d0%9c%d0%be%d1%81%d0%ba%d0%b2%d0%b0",
     "ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"},
    /* Not URLs. */
    {"javascript:alert(1)", NULL},
    {"JavaScript:void(0)", NULL},
    {"mailto:someone@example.com", NULL},
    {"ftp://example.com/file", NULL},
    {"urn:isbn:0451450523", NULL},
    {"http:example.com", NULL},
    {"https://", NULL},
    {"http://localhost/x", NULL},
    {"hello", NULL},
    {"http://..com", NULL},
    {"http://.example.com", NULL},
    {"http://ex..ample.com", NULL},
    {"http://ex ample.com", NULL},
    {"http://example.com/a b", NULL},
    {"http://example.com/a\xC2\xA0"
     "b",
     NULL},
    {"http://exa<mple.com", NULL},
    {"", NULL},
    {"   ", NULL},
    /* Display URLs cut short. */
    {"https://example.com/some/long/pa\xE2\x80\xA6", NULL},
    {"example.com/some/pa...", NULL},
    {"https://example.com/a.../", NULL},
    {"https://example.com/a?q=...", NULL},
};

static void test_url(void **state)
{
    (void)state;
    assert_true(sizeof url_cases / sizeof *url_cases >= 40);
    CHECK_TABLE(lk_norm_url, url_cases);
}

/* Every key is a fixed point, and http/https/no scheme agree. */
static void test_url_idempotent(void **state)
{
    lk_buf a, b;

    (void)state;
    lk_buf_init(&a);
    lk_buf_init(&b);
    for (size_t i = 0; i < sizeof url_cases / sizeof *url_cases; i++) {
        if (!url_cases[i].want)
            continue;
        lk_buf_reset(&a);
        lk_buf_reset(&b);
        assert_int_equal(lk_norm_url(url_cases[i].want, strlen(url_cases[i].want), &a), LK_OK);
        assert_string_equal(a.p, url_cases[i].want);
        /* The key read as http and as https gives the key again. */
        assert_int_equal(lk_buf_printf(&b, "https://%s", url_cases[i].want), LK_OK);
        lk_buf_reset(&a);
        assert_int_equal(lk_norm_url(b.p, b.len, &a), LK_OK);
        assert_string_equal(a.p, url_cases[i].want);
    }
    lk_buf_release(&a);
    lk_buf_release(&b);
}

static void test_url_edges(void **state)
{
    lk_buf b;

    (void)state;
    lk_buf_init(&b);
    /* Only n bytes are read. */
    check(lk_norm_url, "lk_norm_url", "example.com/abc", 11, "example.com");
    /* An embedded NUL is a control byte: no key. */
    check(lk_norm_url, "lk_norm_url", "example.com/a\0b", 15, NULL);
    assert_int_equal(lk_norm_url(NULL, 0, &b), LK_OK);
    assert_int_equal(b.len, 0);
    lk_buf_release(&b);
}

/* ---- domain ------------------------------------------------------------ */

static const struct kase domain_cases[] = {
    {"example.com/x", "example.com"},
    {"example.com", "example.com"},
    {"example.com?x=1", "example.com"},
    {"example.com:8080/x", "example.com"},
    {"edition.cnn.com/2021/x", "cnn.com"},
    {"a.b.c.example.org:8080/x", "example.org"},
    {"news.bbc.co.uk/x", "bbc.co.uk"},
    {"bbc.co.uk", "bbc.co.uk"},
    {"co.uk", "co.uk"},
    {"a.b.abc.net.au/news", "abc.net.au"},
    {"smh.com.au/national", "smh.com.au"},
    {"abc.example.co.jp", "example.co.jp"},
    {"www.google.com.br/search", "google.com.br"},
    {"x.y.ac.id", "y.ac.id"},
    {"news.web.id", "news.web.id"},
    /* Not on the built-in list: the last two labels. */
    {"foo.blogspot.com", "blogspot.com"},
    {"a.example.de", "example.de"},
    {"192.168.0.1:8080/x", "192.168.0.1"},
    {"10.0.0.1", "10.0.0.1"},
    {"[2001:db8::1]:8080/x", "[2001:db8::1]"},
    {"localhost", "localhost"},
    {"b\xC3\xBC"
     "cher.de/x",
     "b\xC3\xBC"
     "cher.de"},
    {"Sub.Example.COM", "example.com"},
    {"example.com./x", "example.com"},
    {"", NULL},
    {"/x", NULL},
    {"[::1", NULL},
};

static void test_domain(void **state)
{
    lk_buf a, b;

    (void)state;
    CHECK_TABLE(lk_norm_domain, domain_cases);
    /* Idempotent: a registrable domain is its own. */
    lk_buf_init(&a);
    lk_buf_init(&b);
    for (size_t i = 0; i < sizeof domain_cases / sizeof *domain_cases; i++) {
        if (!domain_cases[i].want)
            continue;
        lk_buf_reset(&b);
        assert_int_equal(lk_norm_domain(domain_cases[i].want, strlen(domain_cases[i].want), &b),
                         LK_OK);
        assert_string_equal(b.p, domain_cases[i].want);
    }
    /* From a raw URL through its key. */
    {
        const char *u = "https://www.theguardian.co.uk/world?utm_source=x";
        assert_int_equal(lk_norm_url(u, strlen(u), &a), LK_OK);
    }
    lk_buf_reset(&b);
    assert_int_equal(lk_norm_domain(a.p, a.len, &b), LK_OK);
    assert_string_equal(b.p, "theguardian.co.uk");
    lk_buf_release(&a);
    lk_buf_release(&b);
}

/* ---- hashtag, mention -------------------------------------------------- */

static const struct kase hashtag_cases[] = {
    {"#Tag", "tag"},
    {"\xEF\xBC\x83Tag", "tag"}, /* ＃ U+FF03 */
    {"tag", "tag"},
    {"  #MAGA2020 ", "maga2020"},
    {"##double", "double"},
    {"# spaced", "spaced"},
    /* utf8proc full folding: U+0130 'İ' -> "i" + U+0307 (a plain 'i'
     * differs), 'ß' and 'ẞ' -> "ss", 'ﬁ' -> "fi", Kelvin sign -> 'k'. */
    {"\xC4\xB0stanbul", "i\xCC\x87stanbul"},
    {"istanbul", "istanbul"},
    {"STRASSE", "strasse"},
    {"stra\xC3\x9F"
     "e",
     "strasse"},
    {"\xE1\xBA\x9E", "ss"},
    {"#\xEF\xAC\x81re", "fire"},
    {"\xE2\x84\xAA", "k"},
    /* Final and medial sigma fold alike. */
    {"\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3", "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83"},
    {"\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82", "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x83"},
    /* NFC: precomposed and decomposed 'é' agree. */
    {"Caf\xC3\xA9", "caf\xC3\xA9"},
    {"Cafe\xCC\x81", "caf\xC3\xA9"},
    /* Compatibility forms are not folded: fullwidth letters stay. */
    {"\xEF\xBC\xB4\xEF\xBD\x81\xEF\xBD\x87", "\xEF\xBD\x94\xEF\xBD\x81\xEF\xBD\x87"},
    /* Invalid UTF-8 is copied, the rest folded. */
    {"#A\xFF"
     "B",
     "a\xFF"
     "b"},
    {"#", NULL},
    {"", NULL},
    {"  \xEF\xBC\x83 ", NULL},
};

static void test_hashtag(void **state)
{
    (void)state;
    CHECK_TABLE(lk_norm_hashtag, hashtag_cases);
}

static const struct kase mention_cases[] = {
    {"@Bob", "bob"},
    {"bob", "bob"},
    {"BoB_99", "bob_99"},
    {"12345", "12345"},
    {"\xEF\xBC\xA0"
     "Alice",
     "alice"}, /* ＠ U+FF20 */
    {" @@X ", "x"},
    {"@Alice.bsky.social", "alice.bsky.social"},
    {"@", NULL},
    {"", NULL},
};

static void test_mention(void **state)
{
    (void)state;
    CHECK_TABLE(lk_norm_mention, mention_cases);
}

/* ---- text -------------------------------------------------------------- */

static const struct kase text_cases[] = {
    /* Retweet prefix. */
    {"RT @Alice_1: Hello World", "hello world"},
    {"rt @a: x", "x"},
    {"Rt\t@a:x", "x"},
    {"RT @alice.bsky.social: x", "x"},
    {"RT @a: RT @b: text", "text"},
    {"RT this", "rt this"},
    {"RT @a no colon", "rt no colon"},
    /* Links: http://, https://, www. up to white space. */
    {"Hello https://t.co/abc world", "hello world"},
    {"see http://x.com/a?b=1, and WWW.Example.com/x", "see and"},
    {"HTTPS://EXAMPLE.COM/X done", "done"},
    {"link:https://t.co/x", "link:"},
    {"awww. so cute", "awww. so cute"},
    /* Mentions, including Bluesky handles; not e-mail addresses. */
    {"hi @bob and @carl_2!", "hi and !"},
    {"thanks @alice.bsky.social.", "thanks ."},
    {"mail bob@example.com", "mail bob@example.com"},
    {"@bob@carl hi", "hi"},
    {"(@bob)", "( )"},
    {"a @ b", "a @ b"},
    /* Case and white space. */
    {"Hello\t\n  World", "hello world"},
    {"a\xC2\xA0"
     "b",
     "a b"}, /* U+00A0 */
    {"a\xE3\x80\x80"
     "b",
     "a b"}, /* U+3000 */
    {"a\xE2\x80\x83"
     "b",
     "a b"}, /* U+2003 */
    {"a\xE2\x80\xA8"
     "b",
     "a b"}, /* U+2028 */
    {"a\xC2\x85"
     "b",
     "a b"}, /* U+0085 */
    {"a\xE2\x80\x8B"
     "b",
     "a\xE2\x80\x8B"
     "b"}, /* U+200B is not white space */
    {"  Trim me  ", "trim me"},
    {"STRASSE", "strasse"},
    {"stra\xC3\x9F"
     "e",
     "strasse"},
    {"Cafe\xCC\x81", "caf\xC3\xA9"},
    /* Kept: punctuation, hashtags, emoji (with modifiers and ZWJ). */
    {"\xF0\x9F\x98\x80 Emoji \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!",
     "\xF0\x9F\x98\x80 emoji \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD!"},
    {"\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
     "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB"},
    {"#Hashtag kept, too.", "#hashtag kept, too."},
    /* Nothing left: no object. */
    {"@a https://t.co/x", NULL},
    {"RT @a:", NULL},
    {"   \xE3\x80\x80 ", NULL},
    {"", NULL},
};

static void test_text(void **state)
{
    (void)state;
    CHECK_TABLE(lk_norm_text, text_cases);
}

/* Normalised text is a fixed point. */
static void test_text_idempotent(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof text_cases / sizeof *text_cases; i++)
        if (text_cases[i].want)
            check(lk_norm_text, "lk_norm_text", text_cases[i].want, strlen(text_cases[i].want),
                  text_cases[i].want);
}

/* U+XXXX between 'a' and 'b' gives "a b" exactly for White_Space, which
 * is Zs plus \t..\r, U+0085, U+2028 and U+2029. */
static void test_white_space_set(void **state)
{
    lk_buf b;
    unsigned char in[8];

    (void)state;
    lk_buf_init(&b);
    for (utf8proc_int32_t cp = 1; cp <= 0x10FFFF; cp++) {
        size_t n;
        int want;
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        in[0] = 'a';
        n = 1 + (size_t)utf8proc_encode_char(cp, in + 1);
        in[n++] = 'b';
        want = utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS || (cp >= 9 && cp <= 13) ||
               cp == 0x85 || cp == 0x2028 || cp == 0x2029;
        lk_buf_reset(&b);
        assert_int_equal(lk_norm_text((const char *)in, n, &b), LK_OK);
        if (want != (b.len == 3 && memcmp(b.p, "a b", 3) == 0))
            fail_msg("U+%04X: '%s'", (unsigned)cp, b.p);
    }
    lk_buf_release(&b);
}

static void key_of(const char *s, lk_buf *b)
{
    lk_buf_reset(b);
    assert_int_equal(lk_norm_text_key(s, strlen(s), b), LK_OK);
}

static void test_text_key(void **state)
{
    lk_buf a, b;
    XXH128_canonical_t c;
    char want[33];

    (void)state;
    lk_buf_init(&a);
    lk_buf_init(&b);
    key_of("hello world", &a);
    assert_int_equal(a.len, 32);
    for (size_t i = 0; i < 32; i++)
        assert_true((a.p[i] >= '0' && a.p[i] <= '9') || (a.p[i] >= 'a' && a.p[i] <= 'f'));
    /* The canonical (big-endian) digest of the normalised text. */
    XXH128_canonicalFromHash(&c, XXH3_128bits("hello world", 11));
    for (size_t i = 0; i < 16; i++)
        (void)snprintf(want + 2 * i, 3, "%02x", c.digest[i]);
    assert_string_equal(a.p, want);
    /* Equal normalised text, equal key; different text, different key. */
    key_of("RT @x: Hello   WORLD https://t.co/1", &b);
    assert_string_equal(a.p, b.p);
    key_of("hello  world!", &b);
    assert_string_not_equal(a.p, b.p);
    /* Empty after stripping: nothing, and a prefix survives. */
    key_of("@a http://x", &b);
    assert_int_equal(b.len, 0);
    lk_buf_reset(&b);
    assert_int_equal(lk_buf_append(&b, "k=", 2), LK_OK);
    assert_int_equal(lk_norm_text_key("Hello World", 11, &b), LK_OK);
    assert_int_equal(b.len, 34);
    assert_string_equal(b.p + 2, a.p);
    /* The key of text already normalised, hashed alone: the same hash as
     * its 16 raw bytes, whose digits are the same key, and nothing for an
     * empty text. */
    lk_buf_reset(&b);
    assert_int_equal(lk_buf_append(&b, "k=", 2), LK_OK);
    assert_int_equal(lk_text_key("hello world", 11, &b), LK_OK);
    assert_int_equal(b.len, 2 + LK_TEXT_KEY_RAW);
    {
        char hex[33];
        lk_text_key_hex(b.p + 2, hex);
        hex[32] = '\0';
        assert_string_equal(hex, a.p);
    }
    lk_buf_reset(&b);
    assert_int_equal(lk_text_key("", 0, &b), LK_OK);
    assert_int_equal(b.len, 0);
    /* A long non-ASCII text (past the stack buffer of the folder). */
    lk_buf_reset(&a);
    for (int i = 0; i < 400; i++)
        assert_int_equal(lk_buf_append(&a, "\xC3\x89t\xC3\xA9 ", 6), LK_OK);
    lk_buf_reset(&b);
    assert_int_equal(lk_norm_text(a.p, a.len, &b), LK_OK);
    assert_int_equal(b.len, 400 * 6 - 1);
    assert_memory_equal(b.p, "\xC3\xA9t\xC3\xA9 \xC3\xA9t\xC3\xA9", 11);
    lk_buf_release(&a);
    lk_buf_release(&b);
}

/* ---- HTML -------------------------------------------------------------- */

static const struct kase html_cases[] = {
    {"<p>Hello <b>world</b></p>", "Hello world"},
    {"<p>one</p><p>two</p>", "one two"},
    {"a<br>b<br/>c<BR />d", "a b c d"},
    {"&amp; &lt; &gt; &quot; &#39; &apos;", "& < > \" ' '"},
    {"x&nbsp;y", "x\xC2\xA0y"},
    {"&#233;&#xE9;&#XE9;", "\xC3\xA9\xC3\xA9\xC3\xA9"},
    {"&#x1F600;", "\xF0\x9F\x98\x80"},
    {"&#0;|&#xD800;|&#1114112;|&#99999999999999;",
     "\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD|\xEF\xBF\xBD"},
    {"&bogus; &amp &#; &#x;", "&bogus; &amp &#; &#x;"},
    {"1 < 2 and 3 > 2", "1 < 2 and 3 > 2"},
    {"<a href=\"x\" title='a>b'>link</a>", "link"},
    {"<!-- note --> text", " text"},
    {"<p>unterminated <b", "unterminated <b"},
    /* A Mastodon status: mention h-card and a link split into spans. */
    {"<p>Hello <span class=\"h-card\"><a href=\"https://mastodon.social/@user\" "
     "class=\"u-url mention\">@<span>user</span></a></span> see <a "
     "href=\"https://example.com/page\" rel=\"nofollow noopener\" target=\"_blank\"><span "
     "class=\"invisible\">https://</span><span class=\"\">example.com/page</span><span "
     "class=\"invisible\"></span></a></p><p>bye</p>",
     "Hello @user see https://example.com/page bye"},
    {"<p></p>", NULL},
    {"", NULL},
};

static void test_html(void **state)
{
    lk_buf h, t;
    const char *toot = html_cases[13].in;

    (void)state;
    CHECK_TABLE(lk_html_to_text, html_cases);
    /* HTML -> text -> normalised text. */
    lk_buf_init(&h);
    lk_buf_init(&t);
    assert_int_equal(lk_html_to_text(toot, strlen(toot), &h), LK_OK);
    assert_int_equal(lk_norm_text(h.p, h.len, &t), LK_OK);
    assert_string_equal(t.p, "hello see bye");
    lk_buf_release(&h);
    lk_buf_release(&t);
}

/* Random bytes from alphabet `al`, n of them, into b (NUL-terminated),
 * with long runs of word characters now and then (the strip's fast path
 * takes them 16 at a time).  The runs hold no 'w' (nor any byte that is
 * not a word character), so that they never start a "www." link where the
 * alphabet has none either. */
static void random_text(lk_rng *r, const char *al, size_t n, lk_buf *b)
{
    static const char word[] = "abcdefghijklmnopqrstuvxyzABCDEFGHIJKLMNOPQRSTUVXYZ0123456789_";
    const size_t na = strlen(al);

    lk_buf_reset(b);
    while (b->len < n) {
        if (lk_rng_next(r) % 8 == 0) {
            const size_t run = 1 + (size_t)(lk_rng_next(r) % 40);
            for (size_t i = 0; i < run; i++)
                assert_int_equal(lk_buf_putc(b, word[lk_rng_next(r) % (sizeof word - 1)]), LK_OK);
        } else {
            assert_int_equal(lk_buf_putc(b, al[lk_rng_next(r) % na]), LK_OK);
        }
    }
}

/* Without links, mentions or "RT @x:" (no 'w', '@', ':' or '/'), a text
 * normalises to its ASCII lower case with white space runs made one space
 * and none at the ends: checked against that rule, written out here, on
 * random texts (which cross the 16-byte blocks the folding and the
 * strip's word runs take at a time). */
static void test_text_ascii_rule(void **state)
{
    static const char al[] = "abcdefghijklmnopqrstuvxyzABCDEFGHIJKLMNOPQRSTUVXYZ0123456789_"
                             "_.,!?-#'\"()[]{}~^`|+=*&%$;<> \t\n\r\v\f\x01\x7f";
    lk_rng r;
    lk_buf in, got, want;

    (void)state;
    lk_rng_seed(&r, 20261207);
    lk_buf_init(&in);
    lk_buf_init(&got);
    lk_buf_init(&want);
    for (int t = 0; t < 20000; t++) {
        int gap = 0;
        random_text(&r, al, (size_t)(lk_rng_next(&r) % 120), &in);
        lk_buf_reset(&want);
        for (size_t i = 0; i < in.len; i++) {
            const unsigned char c = (unsigned char)in.p[i];
            if (c == ' ' || (c >= '\t' && c <= '\r')) {
                gap = 1;
                continue;
            }
            if (gap && want.len > 0)
                assert_int_equal(lk_buf_putc(&want, ' '), LK_OK);
            gap = 0;
            assert_int_equal(lk_buf_putc(&want, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c)), LK_OK);
        }
        lk_buf_reset(&got);
        assert_int_equal(lk_norm_text(in.p, in.len, &got), LK_OK);
        if (got.len != want.len || memcmp(got.p, want.p, want.len) != 0)
            fail_msg("text %d: '%s' gave '%s', not '%s'", t, in.p, got.p, want.p);
    }
    lk_buf_release(&in);
    lk_buf_release(&got);
    lk_buf_release(&want);
}

/* Differential: a pure ASCII text is folded by a byte rule, 16 bytes at a
 * time; the same text with " \u00e9" after it goes through utf8proc's NFC
 * and case folding instead, and must give the same text and " \u00e9"
 * (random texts of every printable ASCII byte and controls: links,
 * mentions and "RT @x:" included). */
static void test_text_ascii_vs_utf8proc(void **state)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
                             ".,!?-#'\"()[]{}~^`|+=*&%$;<>@:/ \t\n\r\v\f\x01\x7f"
                             "@@@:::///wwwhhhttpsRTrt";
    lk_rng r;
    lk_buf in, a, b;

    (void)state;
    lk_rng_seed(&r, 7122026);
    lk_buf_init(&in);
    lk_buf_init(&a);
    lk_buf_init(&b);
    for (int t = 0; t < 20000; t++) {
        random_text(&r, al, (size_t)(lk_rng_next(&r) % 120), &in);
        lk_buf_reset(&a);
        assert_int_equal(lk_norm_text(in.p, in.len, &a), LK_OK);
        if (a.len)
            assert_int_equal(lk_buf_putc(&a, ' '), LK_OK);
        assert_int_equal(lk_buf_append(&a, "\xc3\xa9", 2), LK_OK);
        assert_int_equal(lk_buf_append(&in, " \xc3\x89", 3), LK_OK); /* U+00C9 folds to U+00E9 */
        lk_buf_reset(&b);
        assert_int_equal(lk_norm_text(in.p, in.len, &b), LK_OK);
        if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
            fail_msg("text %d: '%s' gave '%s', its ASCII part '%s'", t, in.p, b.p, a.p);
    }
    lk_buf_release(&in);
    lk_buf_release(&a);
    lk_buf_release(&b);
}

/* Differential: folding (NFC and case folding, as every key's text gets
 * it) against utf8proc_map over the whole text, on random texts of ASCII
 * and of characters that compose with what comes before them (combining
 * marks, Hangul jamo), fold to ASCII (the Kelvin sign, U+017F), fold to
 * several characters, or neither (Cyrillic, an emoji).  lk_norm_hashtag
 * folds all of a text that starts with a letter and ends with one; the
 * code folds ASCII stretches by a byte rule and only the rest through
 * utf8proc, a cut the reference never makes. */
static void test_fold_vs_utf8proc(void **state)
{
    static const char ascii[] = "aeEoZksSi1_ -.#@";
    static const char *const piece[] = {
        "\xcc\x81",         /* U+0301 combining acute */
        "\xcc\x88",         /* U+0308 combining diaeresis */
        "\xcc\xa7",         /* U+0327 combining cedilla */
        "\xcd\x85",         /* U+0345 combining ypogegrammeni (folds to iota) */
        "\xc3\x89",         /* U+00C9 */
        "\xc3\x9f",         /* U+00DF sharp s */
        "\xe1\xba\x9e",     /* U+1E9E capital sharp s */
        "\xe2\x84\xaa",     /* U+212A Kelvin sign */
        "\xc5\xbf",         /* U+017F long s */
        "\xef\xac\x81",     /* U+FB01 fi ligature */
        "\xd0\x94",         /* U+0414 Cyrillic De */
        "\xce\xa3",         /* U+03A3 Greek Sigma */
        "\xe1\x84\x80",     /* U+1100 Hangul choseong kiyeok */
        "\xe1\x85\xa1",     /* U+1161 Hangul jungseong a */
        "\xef\xbc\xa1",     /* U+FF21 fullwidth A (not folded to ASCII) */
        "\xf0\x9f\x98\x80", /* U+1F600 emoji */
        "\xe2\x80\x8b",     /* U+200B zero width space */
    };
    const size_t np = sizeof piece / sizeof *piece;
    lk_rng r;
    lk_buf in, got;

    (void)state;
    lk_rng_seed(&r, 29112026);
    lk_buf_init(&in);
    lk_buf_init(&got);
    for (int t = 0; t < 20000; t++) {
        const size_t m = (size_t)(lk_rng_next(&r) % 40);
        utf8proc_uint8_t *want = NULL;
        utf8proc_ssize_t wn;

        lk_buf_reset(&in);
        assert_int_equal(lk_buf_putc(&in, 'x'), LK_OK);
        for (size_t i = 0; i < m; i++) {
            /* ASCII two times in three, as in most posts */
            const size_t of = lk_rng_next(&r) % 3 ? 16 : 16 + np;
            const size_t k = (size_t)(lk_rng_next(&r) % of);
            const char *pc = k < 16 ? ascii + k : piece[k - 16];
            assert_int_equal(lk_buf_append(&in, pc, k < 16 ? 1 : strlen(pc)), LK_OK);
        }
        assert_int_equal(lk_buf_putc(&in, 'Y'), LK_OK);
        wn = utf8proc_map((const utf8proc_uint8_t *)in.p, (utf8proc_ssize_t)in.len, &want,
                          UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
        assert_true(wn > 0);
        lk_buf_reset(&got);
        assert_int_equal(lk_norm_hashtag(in.p, in.len, &got), LK_OK);
        if (got.len != (size_t)wn || memcmp(got.p, want, (size_t)wn) != 0)
            fail_msg("text %d: '%s' folded to '%s', not '%s'", t, in.p, got.p, (char *)want);
        free(want);
    }
    lk_buf_release(&in);
    lk_buf_release(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_url_idempotent),
        cmocka_unit_test(test_url_edges),
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_hashtag),
        cmocka_unit_test(test_mention),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_idempotent),
        cmocka_unit_test(test_text_ascii_rule),
        cmocka_unit_test(test_text_ascii_vs_utf8proc),
        cmocka_unit_test(test_fold_vs_utf8proc),
        cmocka_unit_test(test_white_space_set),
        cmocka_unit_test(test_text_key),
        cmocka_unit_test(test_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
