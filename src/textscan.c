/*
 * textscan.c - hashtags, mentions and URLs in free text (textscan.h).
 *
 * Byte-level scanners: every delimiter they look for is ASCII, and UTF-8
 * never uses ASCII bytes inside a multi-byte sequence, so no decoding is
 * needed.  Bytes >= 0x80 count as word characters, which keeps tags in any
 * script whole ("#日本" is one tag) at the price of also keeping a trailing
 * non-ASCII punctuation mark ("#tag…"); the hashtag normaliser is the place
 * to fix that if it matters.
 */
#include "textscan.h"

#include <strings.h>

static int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

static int is_handle(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

lk_status lk_scan_hashtags(const char *s, size_t n, lk_span_fn fn, void *ctx)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < n; i++) {
        size_t j;
        int letters = 0;
        lk_status st;

        if (u[i] != '#' || (i > 0 && is_word(u[i - 1])))
            continue;
        for (j = i + 1; j < n && is_word(u[j]); j++)
            if (u[j] < '0' || u[j] > '9')
                letters = 1;
        /* "#1" is a number, not a tag (Twitter's rule too) */
        if (j > i + 1 && letters && (st = fn(ctx, s + i + 1, j - i - 1)) != LK_OK)
            return st;
        i = j - 1;
    }
    return LK_OK;
}

lk_status lk_scan_mentions(const char *s, size_t n, lk_span_fn fn, void *ctx)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < n; i++) {
        size_t j;
        lk_status st;

        if (u[i] != '@' || (i > 0 && is_word(u[i - 1])))
            continue;
        /* a handle never starts with '.'; inner dots are Bluesky's domains */
        for (j = i + 1; j < n && (is_handle(u[j]) || (u[j] == '.' && j > i + 1)); j++)
            ;
        while (j > i + 1 && u[j - 1] == '.')
            j--;
        if (j > i + 1 && (st = fn(ctx, s + i + 1, j - i - 1)) != LK_OK)
            return st;
        i = j - 1;
    }
    return LK_OK;
}

/* Length of the scheme ("http://" or "https://", any case) at s, or 0. */
static size_t scheme_len(const char *s, size_t n)
{
    if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
        return 7;
    if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
        return 8;
    return 0;
}

/* Length of the URL terminator at s (white space, including the UTF-8
 * no-break, ideographic and typographic spaces and line separators), or 0. */
static size_t stop_len(const unsigned char *s, size_t n)
{
    switch (s[0]) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\f':
    case '\v':
    case '<':
    case '>':
    case '"':
        return 1;
    default:
        break;
    }
    if (s[0] == 0xc2 && n >= 2 && s[1] == 0xa0) /* U+00A0 */
        return 2;
    if (s[0] == 0xe3 && n >= 3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
        return 3;
    /* U+2000..U+200B, U+2028, U+2029 */
    if (s[0] == 0xe2 && n >= 3 && s[1] == 0x80 && (s[2] <= 0x8b || s[2] == 0xa8 || s[2] == 0xa9))
        return 3;
    return 0;
}

static int is_trail_punct(char c)
{
    switch (c) {
    case '.':
    case ',':
    case ';':
    case ':':
    case '!':
    case '?':
    case '\'':
        return 1;
    default:
        return 0;
    }
}

/* Trim what a sentence puts after a URL: punctuation, and a closing bracket
 * that has no opening one inside the URL ("(see http://x.org/a)"). */
static size_t trim_url(const char *s, size_t n)
{
    while (n) {
        const char c = s[n - 1];
        if (is_trail_punct(c)) {
            n--;
        } else if (c == ')' || c == ']') {
            const char open = c == ')' ? '(' : '[';
            long depth = 0;
            for (size_t i = 0; i < n; i++)
                depth += s[i] == open ? 1 : s[i] == c ? -1 : 0;
            if (depth >= 0)
                break;
            n--;
        } else {
            break;
        }
    }
    return n;
}

lk_status lk_scan_urls(const char *s, size_t n, lk_span_fn fn, void *ctx)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < n; i++) {
        size_t j, sl, len;
        lk_status st;

        if ((u[i] | 0x20) != 'h' || (sl = scheme_len(s + i, n - i)) == 0)
            continue;
        for (j = i + sl; j < n && stop_len(u + j, n - j) == 0; j++)
            ;
        len = trim_url(s + i, j - i);
        if (len > sl && (st = fn(ctx, s + i, len)) != LK_OK)
            return st;
        i = j - 1;
    }
    return LK_OK;
}
