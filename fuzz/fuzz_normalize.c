/*
 * fuzz_normalize.c - every key function of normalize.h over arbitrary
 * bytes: never crash, and keep the contract:
 *  - output is appended (a prefix in the buffer survives), NUL-terminated;
 *  - a URL key is a fixed point (normalising it again gives it back), has
 *    no ASCII upper case in its host, no white space or control bytes, and
 *    its registrable domain is a fixed point of lk_norm_domain;
 *  - normalised text is a fixed point, has no ASCII upper case, no leading,
 *    trailing or doubled ' ', and no other ASCII white space;
 *  - a hashtag key is a fixed point of lk_norm_hashtag and has no ASCII
 *    upper case; a mention key has none either and is a fixed point;
 *  - a text key is empty exactly when the text is, else 32 lower-case hex
 *    digits, the digits of lk_text_key's 16 raw bytes of the normalised text;
 *  - lk_html_to_text never makes text longer than its input, and input
 *    without '<' and '&' comes out unchanged.
 * The input is used whole and also split at its first NUL byte into a
 * URL-ish part and a text part, so that the corpus can steer both.
 */
#include <stdint.h>
#include <string.h>

#include "normalize.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

#define PREFIX "P|"

static int has_upper(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 'A' && p[i] <= 'Z')
            return 1;
    return 0;
}

/* Run fn on s[0..n) after PREFIX; the new bytes are at b->p + 2. */
static int run(lk_status (*fn)(const char *, size_t, lk_buf *), const char *s, size_t n, lk_buf *b)
{
    lk_buf_reset(b);
    if (lk_buf_append(b, PREFIX, 2) != LK_OK || fn(s, n, b) != LK_OK)
        return -1;
    CHECK(b->len >= 2 && memcmp(b->p, PREFIX, 2) == 0);
    CHECK(b->p[b->len] == '\0');
    return 0;
}

/* fn(out) == out for the key at k->p + 2. */
static void check_fixed_point(lk_status (*fn)(const char *, size_t, lk_buf *), const lk_buf *k,
                              lk_buf *again)
{
    if (run(fn, k->p + 2, k->len - 2, again) != 0)
        return;
    CHECK(again->len == k->len && memcmp(again->p, k->p, k->len) == 0);
}

static void check_url(const char *s, size_t n, lk_buf *k, lk_buf *t)
{
    size_t host = 2;

    if (run(lk_norm_url, s, n, k) != 0 || k->len == 2)
        return;
    for (size_t i = 2; i < k->len; i++)
        CHECK((unsigned char)k->p[i] > ' ' && k->p[i] != 0x7F && k->p[i] != '#');
    while (host < k->len && k->p[host] != '/' && k->p[host] != '?')
        host++;
    CHECK(!has_upper(k->p + 2, host - 2));
    check_fixed_point(lk_norm_url, k, t);
    /* Its domain is non-empty and its own domain. */
    if (run(lk_norm_domain, k->p + 2, k->len - 2, t) != 0)
        return;
    CHECK(t->len > 2);
    CHECK(!has_upper(t->p + 2, t->len - 2));
    memcpy(k->p, t->p, t->len + 1);
    k->len = t->len;
    check_fixed_point(lk_norm_domain, k, t);
}

static void check_text(const char *s, size_t n, lk_buf *k, lk_buf *t)
{
    const char *p;
    size_t len;

    if (run(lk_norm_text, s, n, k) != 0)
        return;
    p = k->p + 2;
    len = k->len - 2;
    CHECK(!has_upper(p, len));
    if (len) {
        CHECK(p[0] != ' ' && p[len - 1] != ' ');
        for (size_t i = 0; i < len; i++) {
            CHECK(p[i] != '\t' && p[i] != '\n' && p[i] != '\r' && p[i] != '\v' && p[i] != '\f');
            CHECK(!(p[i] == ' ' && i + 1 < len && p[i + 1] == ' '));
        }
    }
    check_fixed_point(lk_norm_text, k, t);
    /* The text key: empty iff the text is. */
    if (run(lk_norm_text_key, s, n, t) != 0)
        return;
    CHECK(len == 0 ? t->len == 2 : t->len == 34);
    for (size_t i = 2; i < t->len; i++)
        CHECK((t->p[i] >= '0' && t->p[i] <= '9') || (t->p[i] >= 'a' && t->p[i] <= 'f'));
    /* The key of the normalised text, not normalised again, is the same
     * hash (the sink keys texts so: fixed point above), as its raw bytes
     * whose digits are the hex key */
    {
        lk_buf hk;
        lk_buf_init(&hk);
        if (run(lk_text_key, p, len, &hk) == 0) {
            CHECK(hk.len == (len == 0 ? 2 : 2 + LK_TEXT_KEY_RAW));
            if (len) {
                char hex[32];
                lk_text_key_hex(hk.p + 2, hex);
                CHECK(memcmp(hex, t->p + 2, sizeof hex) == 0);
            }
        }
        lk_buf_release(&hk);
    }
}

static void check_tags(const char *s, size_t n, lk_buf *k, lk_buf *t)
{
    if (run(lk_norm_hashtag, s, n, k) == 0) {
        CHECK(!has_upper(k->p + 2, k->len - 2));
        if (k->len > 2)
            check_fixed_point(lk_norm_hashtag, k, t);
    }
    if (run(lk_norm_mention, s, n, k) == 0) {
        CHECK(!has_upper(k->p + 2, k->len - 2));
        if (k->len > 2)
            check_fixed_point(lk_norm_mention, k, t);
    }
    if (run(lk_html_to_text, s, n, k) == 0) {
        CHECK(k->len - 2 <= n);
        if (!memchr(s, '<', n) && !memchr(s, '&', n))
            CHECK(k->len - 2 == n && memcmp(k->p + 2, s, n) == 0);
    }
}

static void check_all(const char *s, size_t n, lk_buf *k, lk_buf *t)
{
    check_url(s, n, k, t);
    check_text(s, n, k, t);
    check_tags(s, n, k, t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size);
    lk_buf k, t;

    lk_buf_init(&k);
    lk_buf_init(&t);
    check_all(s, size, &k, &t);
    if (nul) {
        const size_t a = (size_t)(nul - s);
        check_all(s, a, &k, &t);
        check_all(nul + 1, size - a - 1, &k, &t);
    }
    lk_buf_release(&k);
    lk_buf_release(&t);
    return 0;
}
