/*
 * normalize.c - object keys per trace (DESIGN.md, "Traces").
 *
 * Plain C scanning, no regex library and no locale: every decision below is
 * a fixed rule, so the same bytes give the same key on every machine.
 *
 * Decisions the header leaves open:
 *  - Folding is utf8proc's NFC + full case folding (COMPOSE | CASEFOLD |
 *    STABLE), so 'ß', 'ẞ' and "SS" all fold to "ss", 'ﬁ' to "fi", the
 *    Kelvin sign to 'k', and 'İ' to "i̇" (i + U+0307, which stays distinct
 *    from a plain 'i').  Compatibility forms are not folded: fullwidth
 *    letters, '①', superscripts keep their identity.  ASCII (most of most
 *    input) is folded by a byte rule without calling utf8proc, 16 bytes at
 *    a time, and so are the ASCII stretches of a text with other
 *    characters in it (fold_mixed says why that cut changes nothing); the
 *    decomposition buffer lives on the stack up to 512 code points, so
 *    only long non-ASCII texts allocate.
 *  - White space is Unicode White_Space (category Zs, \t..\r, U+0085,
 *    U+2028, U+2029), matched on the UTF-8 bytes directly.
 *  - Text: folding comes first, stripping second, so a character that
 *    folds to ASCII (the Kelvin sign, 'ſ') cannot hide a mention or a link
 *    from the first pass and expose it to a second one.  Every removed
 *    link or mention counts as white space: that keeps "a @b c" and "a c"
 *    equal and keeps a combining mark after a removed handle from
 *    composing with the text before it.  '@' and "www." start a mention
 *    or link only after a non-word character of the output, so e-mail
 *    addresses and "awww." stay text; "RT @x:" is stripped (repeatedly)
 *    while nothing has been written yet.
 *  - URL: only http and https (and scheme-less text) give keys; a host
 *    needs a dot (or is an IPv6 literal), which rejects "http://localhost"
 *    and single words.  User info is dropped.  Raw non-ASCII bytes and
 *    the characters " < > \ ^ ` { | } in path and query are
 *    percent-encoded, so an IRI and its encoded form give one key; a lone
 *    '%' becomes "%25".  Ports :80 and :443 are dropped whatever the
 *    scheme, because the key has no scheme and re-reading a key must give
 *    the same key.  Every leading "www." is dropped while a dot remains.
 *    On twitter.com / x.com the share parameters "s" and "t" are dropped
 *    too ("?s=20&t=..."); "feature" only with the values "share" and
 *    "youtu.be".  A key that ends in "..." or "…" is refused like the
 *    input it came from.
 */
#include "normalize.h"

#include <utf8proc.h>
#ifdef __SSE2__
#    include <emmintrin.h>
#endif

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Decomposition buffer kept on the stack (code points); a tweet fits. */
#define FOLD_STACK 512

#define FOLD_OPTS (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD)

/* ---- byte classes ------------------------------------------------------ */

static int is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static unsigned char to_lower(unsigned char c)
{
    return is_upper(c) ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z');
}

static int is_alnum(unsigned char c)
{
    return is_digit(c) || is_alpha(c);
}

/* A character of a handle, and what before '@' makes it an e-mail. */
static int is_word(unsigned char c)
{
    return is_alnum(c) || c == '_';
}

static int hex_value(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int eq_nocase(const unsigned char *a, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n && lit[i]; i++)
        if (to_lower(a[i]) != (unsigned char)lit[i])
            return 0;
    return i == n && lit[i] == '\0';
}

/* Does s[i..n) start with the lower-case literal (ASCII case ignored)? */
static int starts_nocase(const unsigned char *s, size_t n, size_t i, const char *lit)
{
    for (; *lit; lit++, i++)
        if (i >= n || to_lower(s[i]) != (unsigned char)*lit)
            return 0;
    return 1;
}

/* Length of the White_Space character at s[i], 0 if there is none.  The
 * multi-byte ones are U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
 * U+2029, U+202F, U+205F and U+3000. */
static size_t space_len(const unsigned char *s, size_t n, size_t i)
{
    const unsigned char c = s[i];

    if (c == ' ' || (c >= '\t' && c <= '\r'))
        return 1;
    if (c == 0xC2)
        return i + 1 < n && (s[i + 1] == 0x85 || s[i + 1] == 0xA0) ? 2 : 0;
    if (c < 0xE1 || c > 0xE3 || i + 2 >= n)
        return 0;
    if (c == 0xE1)
        return s[i + 1] == 0x9A && s[i + 2] == 0x80 ? 3 : 0;
    if (c == 0xE3)
        return s[i + 1] == 0x80 && s[i + 2] == 0x80 ? 3 : 0;
    if (s[i + 1] == 0x80) {
        const unsigned char d = s[i + 2];
        return (d >= 0x80 && d <= 0x8A) || d == 0xA8 || d == 0xA9 || d == 0xAF ? 3 : 0;
    }
    return s[i + 1] == 0x81 && s[i + 2] == 0x9F ? 3 : 0;
}

/* Drop White_Space from both ends of s[0..*n). */
static const unsigned char *trim_space(const unsigned char *s, size_t *n)
{
    size_t k;

    while (*n > 0 && (k = space_len(s, *n, 0)) > 0) {
        s += k;
        *n -= k;
    }
    for (;;) {
        for (k = 1; k <= 3 && k <= *n; k++)
            if (space_len(s, *n, *n - k) == k)
                break;
        if (k > 3 || k > *n)
            return s;
        *n -= k;
    }
}

/* Length of '#' or '＃' (U+FF03) at s[i], else 0. */
static size_t hash_sign_len(const unsigned char *s, size_t n, size_t i)
{
    if (s[i] == '#')
        return 1;
    return i + 2 < n && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] == 0x83 ? 3 : 0;
}

/* Length of '@' or '＠' (U+FF20) at s[i], else 0. */
static size_t at_sign_len(const unsigned char *s, size_t n, size_t i)
{
    if (s[i] == '@')
        return 1;
    return i + 2 < n && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] == 0xA0 ? 3 : 0;
}

static void truncate_to(lk_buf *out, size_t len)
{
    out->len = len;
    out->p[len] = '\0';
}

/* Append to a buffer with room already reserved (the source may lie in the
 * buffer itself). */
static void append_reserved(lk_buf *out, const void *p, size_t n)
{
    memmove(out->p + out->len, p, n);
    truncate_to(out, out->len + n);
}

/* ---- runs of bytes, 16 at a time where SSE2 is there --------------------- */

/* How many of s[0..n) are ASCII from the start. */
static size_t ascii_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) {
        const unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i)));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

/* d[0..n) = the ASCII bytes s[0..n) with A-Z made a-z. */
static void lower_ascii(unsigned char *d, const unsigned char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i below = _mm_set1_epi8('A' - 1), above = _mm_set1_epi8('Z' + 1),
                  bit = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        const __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
        _mm_storeu_si128((__m128i *)(d + i), _mm_or_si128(v, _mm_and_si128(up, bit)));
    }
#endif
    for (; i < n; i++)
        d[i] = to_lower(s[i]);
}

/* How many of s[0..n) are word characters (is_word) from the start. */
static size_t word_span(const unsigned char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    /* signed compares: bytes from 0x80 on are negative, in no range */
    const __m128i d0 = _mm_set1_epi8('0' - 1), d1 = _mm_set1_epi8('9' + 1),
                  a0 = _mm_set1_epi8('a' - 1), a1 = _mm_set1_epi8('z' + 1),
                  bit = _mm_set1_epi8(0x20), us = _mm_set1_epi8('_');
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        const __m128i low = _mm_or_si128(v, bit); /* A-Z as a-z; no other byte lands there */
        const __m128i w = _mm_or_si128(
            _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d1)),
                         _mm_and_si128(_mm_cmpgt_epi8(low, a0), _mm_cmplt_epi8(low, a1))),
            _mm_cmpeq_epi8(v, us));
        const unsigned m = (unsigned)_mm_movemask_epi8(w) ^ 0xFFFFu;
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && is_word(s[i]))
        i++;
    return i;
}

/* ---- folding ----------------------------------------------------------- */

/* NFC + case folding of s[0..n), which is valid UTF-8, appended to out. */
static lk_status fold_valid(const unsigned char *s, size_t n, lk_buf *out)
{
    utf8proc_int32_t stack[FOLD_STACK];
    utf8proc_int32_t *cp = stack;
    utf8proc_ssize_t len, bytes;
    size_t cap = FOLD_STACK, need;
    lk_status st = LK_OK;

    /* utf8proc counts in ssize_t and needs up to 4 bytes per code point. */
    if (n > (size_t)PTRDIFF_MAX / 8)
        return LK_ENOMEM;
    len = utf8proc_decompose(s, (utf8proc_ssize_t)n, cp, (utf8proc_ssize_t)cap, FOLD_OPTS);
    /* reencode writes a terminating NUL after the UTF-8: one spare entry. */
    if (len >= 0 && (size_t)len + 1 > cap) {
        if (lk_mul_size((size_t)len + 1, sizeof *cp, &need) || !(cp = malloc(need)))
            return LK_ENOMEM;
        cap = (size_t)len + 1;
        len = utf8proc_decompose(s, (utf8proc_ssize_t)n, cp, (utf8proc_ssize_t)cap, FOLD_OPTS);
    }
    if (len < 0 || (size_t)len + 1 > cap) {
        /* Only UTF8PROC_ERROR_NOMEM / OVERFLOW are possible on valid input. */
        st = LK_ENOMEM;
        goto cleanup;
    }
    bytes = utf8proc_reencode(cp, len, FOLD_OPTS);
    if (bytes < 0) {
        st = LK_ENOMEM;
        goto cleanup;
    }
    st = lk_buf_append(out, cp, (size_t)bytes);
cleanup:
    if (cp != stack)
        free(cp);
    return st;
}

/* A-Z -> a-z of the ASCII bytes s[0..n) appended to out. */
static lk_status lower_append(const unsigned char *s, size_t n, lk_buf *out)
{
    if (lk_buf_reserve(out, n) != LK_OK)
        return LK_ENOMEM;
    lower_ascii((unsigned char *)out->p + out->len, s, n);
    truncate_to(out, out->len + n);
    return LK_OK;
}

/*
 * fold_valid of s[0..n), valid UTF-8, with its ASCII stretches folded by
 * the byte rule: on ASCII, NFC is the identity and folding is A-Z -> a-z.
 * Only the non-ASCII parts go through utf8proc, each with the ASCII byte
 * before it: that byte may compose with a combining mark after it ("e"
 * and U+0301 make U+00E9), while no composition has an ASCII character as
 * its second part, and ASCII characters are starters, which no canonical
 * reordering crosses.  So a cut before an ASCII byte that another ASCII
 * byte (or the end) follows changes nothing, and a text of Latin script
 * with an emoji in it folds mostly at the byte rule's speed.
 */
static lk_status fold_mixed(const unsigned char *s, size_t n, lk_buf *out)
{
    size_t i = 0;

    while (i < n) {
        const size_t a = i + ascii_prefix(s + i, n - i);
        /* the ASCII byte before a non-ASCII one goes with it */
        const size_t e = a < n && a > i ? a - 1 : a;
        size_t j;

        if (e > i && lower_append(s + i, e - i, out) != LK_OK)
            return LK_ENOMEM;
        if (e == n)
            break;
        for (j = e + 1; j < n; j++)
            if (s[j] < 0x80 && (j + 1 == n || s[j + 1] < 0x80))
                break;
        if (fold_valid(s + e, j - e, out) != LK_OK)
            return LK_ENOMEM;
        i = j;
    }
    return LK_OK;
}

/* NFC + case folding of s[0..n) appended to out.  Invalid UTF-8 bytes are
 * copied one by one and split the text into separately folded runs. */
static lk_status fold_append(const unsigned char *s, size_t n, lk_buf *out)
{
    size_t i = ascii_prefix(s, n);

    if (i == n) /* all ASCII */
        return lower_append(s, n, out);
    i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n) {
            utf8proc_int32_t c;
            utf8proc_ssize_t k;
            if (s[j] < 0x80) {
                j++;
                continue;
            }
            k = utf8proc_iterate(s + j, (utf8proc_ssize_t)(n - j), &c);
            if (k <= 0)
                break;
            j += (size_t)k;
        }
        if (j > i && fold_mixed(s + i, j - i, out) != LK_OK)
            return LK_ENOMEM;
        if (j < n && lk_buf_putc(out, (char)s[j++]) != LK_OK)
            return LK_ENOMEM;
        i = j;
    }
    return LK_OK;
}

/* ---- URL --------------------------------------------------------------- */

/* Query parameters that identify a click, campaign or sharer, never the
 * object (exact names, ASCII case ignored; "utm_*" is matched apart). */
static const char *const tracking_params[] = {
    "_ga",     "_gl",         "_hsenc",     "_hsmi",   "_openstat", "dclid",   "fbclid", "gbraid",
    "gclid",   "gclsrc",      "igsh",       "igshid",  "li_fat_id", "mc_cid",  "mc_eid", "mkt_tok",
    "msclkid", "oly_anon_id", "oly_enc_id", "ref",     "ref_src",   "ref_url", "rss",    "si",
    "srsltid", "ttclid",      "twclid",     "vero_id", "wbraid",    "xtor",    "yclid",
};

static int is_twitter_host(const unsigned char *h, size_t n)
{
    return eq_nocase(h, n, "twitter.com") || eq_nocase(h, n, "x.com") ||
           eq_nocase(h, n, "mobile.twitter.com");
}

/* Is the normalised parameter p[0..n) ("name" or "name=value") tracking? */
static int is_tracking(const unsigned char *p, size_t n, int twitter)
{
    const unsigned char *eq = memchr(p, '=', n);
    const size_t name = eq ? (size_t)(eq - p) : n;
    const unsigned char *val = eq ? eq + 1 : p + n;
    const size_t nval = n - (size_t)(val - p);

    if (name >= 4 && starts_nocase(p, name, 0, "utm_"))
        return 1;
    for (size_t i = 0; i < sizeof tracking_params / sizeof *tracking_params; i++)
        if (eq_nocase(p, name, tracking_params[i]))
            return 1;
    if (eq_nocase(p, name, "feature"))
        return eq_nocase(val, nval, "share") || eq_nocase(val, nval, "youtu.be");
    return twitter && (eq_nocase(p, name, "s") || eq_nocase(p, name, "t"));
}

static int is_unreserved(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Path and query bytes that are always written as %XX. */
static int must_escape(unsigned char c)
{
    return c >= 0x80 || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' ||
           c == '{' || c == '|' || c == '}';
}

/* Append s[0..n) (part of a path or query) with percent-escapes made
 * canonical: unreserved characters decoded, the rest upper-case hex. */
static lk_status put_escaped(const unsigned char *s, size_t n, lk_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";

    /* At most three output bytes per input byte. */
    if (n > SIZE_MAX / 3 || lk_buf_reserve(out, 3 * n) != LK_OK)
        return LK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        char *w = out->p + out->len;
        if (c == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            c = (unsigned char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
            if (is_unreserved(c)) {
                w[0] = (char)c;
                out->len += 1;
                continue;
            }
        } else if (c != '%' && !must_escape(c)) {
            w[0] = (char)c;
            out->len += 1;
            continue;
        }
        /* An escape kept, a lone '%' or a byte that must be escaped. */
        w[0] = '%';
        w[1] = hex[c >> 4];
        w[2] = hex[c & 15];
        out->len += 3;
    }
    out->p[out->len] = '\0';
    return LK_OK;
}

/* Host characters: LDH, '_' (seen in real subdomains) and UTF-8 bytes. */
static int is_host_char(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

/* A YouTube video id: youtu.be/ID is rewritten only for these. */
static int is_video_id(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_word((unsigned char)p[i]) && p[i] != '-')
            return 0;
    return 1;
}

/* Rewrite the key "youtu.be/ID[?q]" at out->p[start..] (path at
 * out->p[path..qpos), query at out->p[qpos..]) to
 * "youtube.com/watch?v=ID[&q]". */
static lk_status youtube_rewrite(lk_buf *out, size_t start, size_t path, size_t qpos)
{
    const size_t end = out->len;
    const size_t id = path + 1, idlen = qpos - id;
    lk_status st;

    /* Build the new key after the old one, then move it down.  Reserve
     * first: the appends below read from out->p itself. */
    st = lk_buf_reserve(out, 20 + idlen + (end - qpos));
    if (st != LK_OK)
        return st;
    append_reserved(out, "youtube.com/watch?v=", 20);
    append_reserved(out, out->p + id, idlen);
    if (qpos < end) {
        append_reserved(out, "&", 1);
        append_reserved(out, out->p + qpos + 1, end - qpos - 1);
    }
    memmove(out->p + start, out->p + end, out->len - end);
    truncate_to(out, start + (out->len - end));
    return LK_OK;
}

/*
 * The URL key of s[0..n) appended to out.  Returns 1 when a key was
 * written, 0 when the input is not a URL (out may hold a partial key; the
 * caller truncates), LK_ENOMEM.
 */
static int build_url_key(const unsigned char *s, size_t n, lk_buf *out)
{
    const size_t start = out->len;
    size_t i = 0, a_end, h0, h1, hend, path, qpos, klen;
    long port = -1;
    int twitter;

    s = trim_space(s, &n);
    if (n == 0 || (n >= 3 && memcmp(s + n - 3, "...", 3) == 0) ||
        (n >= 3 && memcmp(s + n - 3, "\xE2\x80\xA6", 3) == 0))
        return 0;
    for (size_t j = 0; j < n; j++)
        if (s[j] <= ' ' || s[j] == 0x7F || (s[j] >= 0x80 && space_len(s, n, j)))
            return 0;

    /* Scheme.  "name:" followed by digits up to '/', '?', '#' or the end is
     * a host and port ("example.com:8080/x"); any other scheme is not one
     * we key (mailto:, javascript:, ftp://, urn:...). */
    if (is_alpha(s[0])) {
        size_t j = 1;
        while (j < n && (is_alnum(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.'))
            j++;
        if (j < n && s[j] == ':') {
            if (eq_nocase(s, j, "http") || eq_nocase(s, j, "https")) {
                if (j + 2 >= n || s[j + 1] != '/' || s[j + 2] != '/')
                    return 0;
                i = j + 3;
            } else {
                size_t k = j + 1;
                while (k < n && is_digit(s[k]))
                    k++;
                if (k < n && s[k] != '/' && s[k] != '?' && s[k] != '#')
                    return 0;
            }
        }
    } else if (n >= 2 && s[0] == '/' && s[1] == '/') {
        i = 2;
    }

    /* Authority: [userinfo@]host[:port]. */
    for (a_end = i; a_end < n && s[a_end] != '/' && s[a_end] != '?' && s[a_end] != '#'; a_end++)
        if (s[a_end] == '@')
            i = a_end + 1;
    h0 = i;
    if (h0 < n && s[h0] == '[') {
        for (h1 = h0 + 1; h1 < a_end && (hex_value(s[h1]) >= 0 || s[h1] == ':' || s[h1] == '.');
             h1++)
            ;
        if (h1 == a_end || s[h1] != ']' || h1 == h0 + 1)
            return 0;
        hend = ++h1;
    } else {
        for (h1 = h0; h1 < a_end && s[h1] != ':'; h1++)
            if (!is_host_char(s[h1]))
                return 0;
        hend = h1;
        while (h1 > h0 && s[h1 - 1] == '.')
            h1--;
        while (h1 - h0 > 4 && starts_nocase(s, h1, h0, "www.") &&
               memchr(s + h0 + 4, '.', h1 - h0 - 4))
            h0 += 4;
        if (h1 == h0 || s[h0] == '.' || !memchr(s + h0, '.', h1 - h0))
            return 0;
        for (size_t j = h0; j + 1 < h1; j++)
            if (s[j] == '.' && s[j + 1] == '.')
                return 0;
    }
    if (hend < a_end) {
        if (s[hend] != ':')
            return 0; /* junk after an IPv6 literal ("[::1]x") */
        port = 0;
        for (i = hend + 1; i < a_end; i++) {
            if (!is_digit(s[i]))
                return 0;
            port = port * 10 + (s[i] - '0');
            if (port > 65535)
                return 0;
        }
        if (port == 80 || port == 443 || a_end == hend + 1)
            port = -1;
    }

    /* Host, lower-cased; m.youtube.com is youtube.com. */
    if (eq_nocase(s + h0, h1 - h0, "m.youtube.com"))
        h0 += 2;
    twitter = is_twitter_host(s + h0, h1 - h0);
    if (lk_buf_reserve(out, h1 - h0 + 8) != LK_OK)
        return LK_ENOMEM;
    for (size_t j = h0; j < h1; j++)
        out->p[out->len++] = (char)to_lower(s[j]);
    out->p[out->len] = '\0';
    if (port >= 0 && lk_buf_printf(out, ":%ld", port) != LK_OK)
        return LK_ENOMEM;

    /* Path, without trailing slashes. */
    path = out->len;
    for (i = a_end; i < n && s[i] != '?' && s[i] != '#'; i++)
        ;
    if (put_escaped(s + a_end, i - a_end, out) != LK_OK)
        return LK_ENOMEM;
    while (out->len > path && out->p[out->len - 1] == '/')
        out->len--;
    out->p[out->len] = '\0';

    /* Query: parameters in their order, tracking ones and empty ones out. */
    qpos = out->len;
    if (i < n && s[i] == '?') {
        i++;
        while (i < n && s[i] != '#') {
            const size_t mark = out->len;
            size_t j = i;
            while (j < n && s[j] != '&' && s[j] != '#')
                j++;
            if (lk_buf_putc(out, out->len == qpos ? '?' : '&') != LK_OK ||
                put_escaped(s + i, j - i, out) != LK_OK)
                return LK_ENOMEM;
            if (j == i ||
                is_tracking((const unsigned char *)out->p + mark + 1, out->len - mark - 1, twitter))
                truncate_to(out, mark);
            i = j < n && s[j] == '&' ? j + 1 : j;
        }
    }

    if (port < 0 && path - start == 8 && memcmp(out->p + start, "youtu.be", 8) == 0 &&
        qpos > path && is_video_id(out->p + path + 1, qpos - path - 1) &&
        youtube_rewrite(out, start, path, qpos) != LK_OK)
        return LK_ENOMEM;

    klen = out->len - start;
    if (klen >= 3 && (memcmp(out->p + out->len - 3, "...", 3) == 0 ||
                      memcmp(out->p + out->len - 3, "\xE2\x80\xA6", 3) == 0))
        return 0;
    return 1;
}

lk_status lk_norm_url(const char *s, size_t n, lk_buf *out)
{
    const size_t start = out->len;
    int r;

    if (!s)
        return LK_OK;
    r = build_url_key((const unsigned char *)s, n, out);
    if (r != 1)
        truncate_to(out, start);
    return r < 0 ? LK_ENOMEM : LK_OK;
}

/* ---- domain ------------------------------------------------------------ */

/* Public suffixes of two labels under which names are registered at the
 * third level: the common ones of the Public Suffix List, not all of it.
 * Sorted (strcmp order) for the binary search. */
static const char *const second_level[] = {
    "ac.id",  "ac.il",  "ac.in",  "ac.jp",   "ac.kr",  "ac.nz",  "ac.th",  "ac.uk",  "ac.za",
    "co.id",  "co.il",  "co.in",  "co.jp",   "co.ke",  "co.kr",  "co.nz",  "co.th",  "co.uk",
    "co.ve",  "co.za",  "com.ar", "com.au",  "com.bd", "com.br", "com.cn", "com.co", "com.ec",
    "com.eg", "com.gh", "com.hk", "com.kw",  "com.lb", "com.mx", "com.my", "com.ng", "com.np",
    "com.pe", "com.ph", "com.pk", "com.qa",  "com.sa", "com.sg", "com.tr", "com.tw", "com.ua",
    "com.uy", "com.ve", "com.vn", "edu.au",  "edu.br", "edu.cn", "edu.hk", "edu.in", "edu.mx",
    "edu.pk", "edu.sg", "edu.tr", "edu.tw",  "gob.ar", "gob.mx", "gob.pe", "gob.ve", "gov.ar",
    "gov.au", "gov.bd", "gov.br", "gov.cn",  "gov.co", "gov.eg", "gov.hk", "gov.il", "gov.in",
    "gov.my", "gov.ng", "gov.ph", "gov.pk",  "gov.sa", "gov.sg", "gov.tr", "gov.tw", "gov.ua",
    "gov.uk", "gov.vn", "gov.za", "govt.nz", "in.ua",  "me.uk",  "ne.jp",  "ne.kr",  "net.ar",
    "net.au", "net.br", "net.cn", "net.co",  "net.hk", "net.in", "net.mx", "net.my", "net.nz",
    "net.pk", "net.sa", "net.tr", "net.tw",  "net.ua", "net.uk", "net.vn", "net.za", "nhs.uk",
    "nic.in", "or.id",  "or.jp",  "or.kr",   "or.th",  "org.ar", "org.au", "org.bd", "org.br",
    "org.cn", "org.co", "org.eg", "org.hk",  "org.il", "org.in", "org.mx", "org.my", "org.ng",
    "org.nz", "org.pe", "org.ph", "org.pk",  "org.sa", "org.sg", "org.tr", "org.tw", "org.ua",
    "org.uk", "org.vn", "org.za", "plc.uk",  "sch.uk", "web.id",
};

static int is_second_level(const char *p, size_t n)
{
    size_t lo = 0, hi = sizeof second_level / sizeof *second_level;

    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const char *e = second_level[mid];
        const size_t el = strlen(e);
        int c = memcmp(p, e, LK_MIN(n, el));
        if (c == 0)
            c = n < el ? -1 : n > el;
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

lk_status lk_norm_domain(const char *url_key, size_t n, lk_buf *out)
{
    const unsigned char *s = (const unsigned char *)url_key;
    const size_t start = out->len;
    size_t h = 0, i, dots = 0, cut = 0;
    int ip = 1;

    if (!s)
        return LK_OK;
    if (n > 0 && s[0] == '[') {
        /* IPv6 literal: kept whole, brackets included. */
        const unsigned char *e = memchr(s, ']', n);
        return e ? lk_buf_append(out, s, (size_t)(e - s) + 1) : LK_OK;
    }
    while (h < n && s[h] != '/' && s[h] != '?' && s[h] != ':' && s[h] != '#')
        h++;
    while (h > 0 && s[h - 1] == '.')
        h--;
    if (h == 0)
        return LK_OK;
    if (lk_buf_reserve(out, h) != LK_OK)
        return LK_ENOMEM;
    for (i = 0; i < h; i++) {
        ip &= is_digit(s[i]) || s[i] == '.';
        out->p[start + i] = (char)to_lower(s[i]);
    }
    truncate_to(out, start + h);
    if (ip)
        return LK_OK;
    /* Keep the last two labels, or three under a known suffix. */
    for (i = h; i > 0; i--) {
        if (out->p[start + i - 1] != '.')
            continue;
        dots++;
        if (dots == 2 && !is_second_level(out->p + start + i, h - i)) {
            cut = i;
            break;
        }
        if (dots == 3) {
            cut = i;
            break;
        }
    }
    if (cut) {
        memmove(out->p + start, out->p + start + cut, h - cut);
        truncate_to(out, start + h - cut);
    }
    return LK_OK;
}

/* ---- hashtag, mention -------------------------------------------------- */

lk_status lk_norm_hashtag(const char *str, size_t n, lk_buf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    const size_t start = out->len;
    size_t k;

    if (!s)
        return LK_OK;
    /* "# tag", "##tag" and "＃tag" all come down to "tag". */
    for (;;) {
        s = trim_space(s, &n);
        if (n == 0 || (k = hash_sign_len(s, n, 0)) == 0)
            break;
        s += k;
        n -= k;
    }
    if (n && fold_append(s, n, out) != LK_OK) {
        truncate_to(out, start);
        return LK_ENOMEM;
    }
    return LK_OK;
}

lk_status lk_norm_mention(const char *str, size_t n, lk_buf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t k;

    if (!s)
        return LK_OK;
    for (;;) {
        s = trim_space(s, &n);
        if (n == 0 || (k = at_sign_len(s, n, 0)) == 0)
            break;
        s += k;
        n -= k;
    }
    if (n == 0)
        return LK_OK;
    if (lk_buf_reserve(out, n) != LK_OK)
        return LK_ENOMEM;
    /* Numeric ids are unaffected by lower-casing, so one loop serves both. */
    for (size_t i = 0; i < n; i++)
        out->p[out->len + i] = (char)to_lower(s[i]);
    truncate_to(out, out->len + n);
    return LK_OK;
}

/* ---- text -------------------------------------------------------------- */

/* Length of a mention ("@handle", "@alice.bsky.social") at s[i], else 0.
 * Dots count only between handle characters. */
static size_t mention_len(const unsigned char *s, size_t n, size_t i)
{
    const size_t at = at_sign_len(s, n, i);
    size_t j;

    if (!at)
        return 0;
    j = i + at;
    if (j >= n || !is_word(s[j]))
        return 0;
    while (j < n && (is_word(s[j]) || (s[j] == '.' && j + 1 < n && is_word(s[j + 1]))))
        j++;
    return j - i;
}

/* Length of a link at s[i] (http://, https:// or www., up to white
 * space), else 0. */
static size_t link_len(const unsigned char *s, size_t n, size_t i)
{
    size_t j;

    if (starts_nocase(s, n, i, "http://"))
        j = i + 7;
    else if (starts_nocase(s, n, i, "https://"))
        j = i + 8;
    else if (starts_nocase(s, n, i, "www."))
        j = i + 4;
    else
        return 0;
    while (j < n && !space_len(s, n, j))
        j++;
    return j - i;
}

/* Length of "RT @handle:" (any case, any white space after "RT") at s[i]. */
static size_t rt_len(const unsigned char *s, size_t n, size_t i)
{
    size_t j = i + 2, k, m;

    if (j >= n || to_lower(s[i]) != 'r' || to_lower(s[i + 1]) != 't' || !space_len(s, n, j))
        return 0;
    while (j < n && (k = space_len(s, n, j)) > 0)
        j += k;
    if (j >= n || (m = mention_len(s, n, j)) == 0 || j + m >= n || s[j + m] != ':')
        return 0;
    return j + m + 1 - i;
}

/* Strip links, mentions and an "RT @x:" prefix from the folded text
 * p[0..n) and collapse white space, in place.  Returns the new length.
 * The write position never passes the read position: every space written
 * stands for at least one byte skipped. */
static size_t strip_in_place(unsigned char *p, size_t n)
{
    size_t r = 0, w = 0, k;
    int gap = 0; /* skipped white space or a removed item since the last write */

    while (r < n) {
        /* most bytes: printable ASCII inside a word, which no rule below
         * touches (no white space; links and mentions start a word): the
         * word characters that follow one, then one more printable byte */
        if (!gap && w > 0 && is_word(p[w - 1])) {
            const size_t run = word_span(p + r, n - r);
            if (run) {
                memmove(p + w, p + r, run);
                w += run;
                r += run;
                if (r == n)
                    break;
            }
            if (p[r] > ' ' && p[r] < 0x7F) {
                p[w++] = p[r++];
                continue;
            }
        }
        if ((k = space_len(p, n, r)) > 0) {
            r += k;
            gap = 1;
            continue;
        }
        if (w == 0 && (k = rt_len(p, n, r)) > 0) {
            r += k;
            gap = 1;
            continue;
        }
        if (gap || w == 0 || !is_word(p[w - 1])) {
            if ((k = link_len(p, n, r)) > 0 || (k = mention_len(p, n, r)) > 0) {
                r += k;
                gap = 1;
                continue;
            }
        }
        if (gap && w > 0)
            p[w++] = ' ';
        gap = 0;
        p[w++] = p[r++];
    }
    return w;
}

lk_status lk_norm_text(const char *s, size_t n, lk_buf *out)
{
    const size_t start = out->len;

    if (!s)
        return LK_OK;
    if (fold_append((const unsigned char *)s, n, out) != LK_OK) {
        truncate_to(out, start);
        return LK_ENOMEM;
    }
    truncate_to(out, start + strip_in_place((unsigned char *)out->p + start, out->len - start));
    return LK_OK;
}

/* The key of normalised text p[0..n): its XXH3-128 in 32 hex digits. */
void lk_text_key_hex(const char raw[LK_TEXT_KEY_RAW], char hex32[32])
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < LK_TEXT_KEY_RAW; i++) {
        const unsigned char d = (unsigned char)raw[i];
        hex32[2 * i] = hex[d >> 4];
        hex32[2 * i + 1] = hex[d & 15];
    }
}

static void key_raw(const char *p, size_t n, char raw[LK_TEXT_KEY_RAW])
{
    XXH128_canonical_t c;

    _Static_assert(sizeof c.digest == LK_TEXT_KEY_RAW, "a text key is the 128-bit digest");
    XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
    memcpy(raw, c.digest, LK_TEXT_KEY_RAW);
}

static void key_hex(const char *p, size_t n, char hex32[32])
{
    char raw[LK_TEXT_KEY_RAW];

    key_raw(p, n, raw);
    lk_text_key_hex(raw, hex32);
}

lk_status lk_norm_text_key(const char *s, size_t n, lk_buf *out)
{
    const size_t start = out->len;
    char key[32];

    /* The text is normalised into out itself, hashed, then replaced by
     * its key: no scratch buffer. */
    if (lk_norm_text(s, n, out) != LK_OK)
        return LK_ENOMEM;
    if (out->len == start)
        return LK_OK;
    key_hex(out->p + start, out->len - start, key);
    truncate_to(out, start);
    return lk_buf_append(out, key, sizeof key);
}

lk_status lk_text_key(const char *norm, size_t n, lk_buf *out)
{
    char key[LK_TEXT_KEY_RAW];

    if (n == 0)
        return LK_OK;
    key_raw(norm, n, key);
    return lk_buf_append(out, key, sizeof key);
}

/* ---- HTML -------------------------------------------------------------- */

/* Tags after which the text reads as a new line or block: a space. */
static int is_block_tag(const unsigned char *name, size_t n)
{
    static const char *const block[] = {"blockquote", "br", "div", "h1", "h2", "h3", "h4",
                                        "h5",         "h6", "hr",  "li", "ol", "p",  "pre",
                                        "table",      "td", "th",  "tr", "ul"};
    for (size_t i = 0; i < sizeof block / sizeof *block; i++)
        if (eq_nocase(name, n, block[i]))
            return 1;
    return 0;
}

/* End (one past '>') of the tag or comment that starts at s[i] == '<', or
 * 0 when s[i] does not start a complete one.  *block is set for block
 * tags. */
static size_t tag_end(const unsigned char *s, size_t n, size_t i, int *block)
{
    size_t j = i + 1, name;
    unsigned char quote = 0, last = 0;

    *block = 0;
    if (j + 2 < n && s[j] == '!' && s[j + 1] == '-' && s[j + 2] == '-') {
        for (j += 3; j + 2 < n; j++)
            if (s[j] == '-' && s[j + 1] == '-' && s[j + 2] == '>')
                return j + 3;
        return 0;
    }
    if (j < n && (s[j] == '!' || s[j] == '?')) {
        j++; /* <!DOCTYPE ...>, <?xml ...?> */
    } else {
        if (j < n && s[j] == '/')
            j++;
        if (j >= n || !is_alpha(s[j]))
            return 0; /* "a < b", "<3": text */
    }
    name = j;
    while (j < n && is_alnum(s[j]))
        j++;
    *block = is_block_tag(s + name, j - name);
    /* Attributes: '>' inside a quoted value does not end the tag; a quote
     * opens a value only right after '='. */
    for (; j < n; j++) {
        const unsigned char c = s[j];
        if (quote) {
            if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '>')
            return j + 1;
        if ((c == '"' || c == '\'') && last == '=')
            quote = c;
        if (!space_len(s, n, j))
            last = c;
    }
    return 0;
}

/* Decode the character reference at s[i] == '&' into buf (UTF-8); returns
 * its length in s, or 0 when it is not one we decode. */
static size_t char_ref(const unsigned char *s, size_t n, size_t i, unsigned char *buf, size_t *blen)
{
    static const struct {
        const char *name, *text;
    } named[] = {{"amp;", "&"},   {"lt;", "<"},   {"gt;", ">"},
                 {"quot;", "\""}, {"apos;", "'"}, {"nbsp;", "\xC2\xA0"}};

    size_t j = i + 1;

    if (j < n && s[j] == '#') {
        const int hex = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
        const size_t d0 = j + 1 + (size_t)hex;
        int32_t cp = 0;
        utf8proc_ssize_t len;
        for (j = d0; j < n && (hex ? hex_value(s[j]) >= 0 : is_digit(s[j])); j++)
            if (cp <= 0x10FFFF)
                cp = cp * (hex ? 16 : 10) + (hex ? hex_value(s[j]) : s[j] - '0');
        if (j == d0 || j >= n || s[j] != ';')
            return 0;
        /* As HTML does: NUL, surrogates and values past Unicode read as
         * U+FFFD. */
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            cp = 0xFFFD;
        len = utf8proc_encode_char(cp, buf);
        *blen = (size_t)len;
        return j + 1 - i;
    }
    for (size_t k = 0; k < sizeof named / sizeof *named; k++) {
        const size_t nl = strlen(named[k].name);
        if (n - j >= nl && memcmp(s + j, named[k].name, nl) == 0) {
            *blen = strlen(named[k].text);
            memcpy(buf, named[k].text, *blen);
            return nl + 1;
        }
    }
    return 0;
}

lk_status lk_html_to_text(const char *str, size_t n, lk_buf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    const size_t start = out->len;
    size_t i = 0;
    int gap = 0;

    if (!s)
        return LK_OK;
    while (i < n) {
        unsigned char ref[8];
        size_t k = 0, rlen = 0;
        int block = 0;
        const unsigned char *piece = s + i;
        size_t plen = 1;

        if (s[i] == '<' && (k = tag_end(s, n, i, &block)) > 0) {
            gap |= block;
            i = k;
            continue;
        }
        if (s[i] == '&' && (k = char_ref(s, n, i, ref, &rlen)) > 0) {
            piece = ref;
            plen = rlen;
        } else {
            k = 1;
        }
        if (gap && out->len > start && lk_buf_putc(out, ' ') != LK_OK)
            goto nomem;
        gap = 0;
        if (lk_buf_append(out, piece, plen) != LK_OK)
            goto nomem;
        i += k;
    }
    return LK_OK;
nomem:
    truncate_to(out, start);
    return LK_ENOMEM;
}
