/*
 * out_escape.c - escaping of input-derived strings for CSV, JSON and XML.
 *
 * Account ids, URLs and hashtags come from scraped data and are hostile by
 * assumption: markup, quotes, invalid UTF-8, control and bidi characters.
 * All three escapers decode UTF-8 strictly and replace each maximal ill-formed
 * subsequence with one U+FFFD (Unicode 15, section 3.9), the rule browsers and
 * Python's errors="replace" follow, so every file we write is valid UTF-8 and
 * tests can compute expected output independently.
 */
#include "out_escape.h"

/* U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded. */
static const char replacement[] = "\xef\xbf\xbd";

/*
 * Decode the scalar value at s[0..n), n >= 1.  Returns the number of bytes
 * consumed; *cp is the value, or -1 for an ill-formed sequence, in which case
 * the return value is the length of its maximal subpart (at least 1).
 * Overlong forms, surrogates and values above U+10FFFF are ill-formed.
 */
static size_t utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
    const unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xbf; /* allowed range of the next byte */
    uint32_t val;
    size_t need;

    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        val = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        val = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* no overlongs */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        val = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* no overlongs */
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        *cp = -1; /* continuation byte, C0, C1 or F5..FF as a lead */
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *cp = -1;
            return i;
        }
        val = (val << 6) | (s[i] & 0x3fu);
        lo = 0x80;
        hi = 0xbf;
    }
    *cp = (int32_t)val;
    return need + 1;
}

/*
 * Bidirectional formatting characters that can reorder how the surrounding
 * text is displayed ("Trojan Source", CVE-2021-42574): the embeddings and
 * overrides U+202A..U+202E, the isolates U+2066..U+2069, and the implicit
 * marks ALM, LRM and RLM.  We keep them (they are data) but make them visible
 * escapes where the format allows it.
 */
static int is_bidi_control(int32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c ||
           cp == 0x200e || cp == 0x200f;
}

/* ---- CSV ------------------------------------------------------------------ */

/* A byte that forces quoting; leading/trailing blanks are checked apart. */
static int csv_special(unsigned char c)
{
    return c == ',' || c == '"' || c == '\r' || c == '\n';
}

lk_status lk_esc_csv(lk_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    int quote = 0, clean = 1;
    size_t i, len, run;
    int32_t cp;

    if (n > 0 && (p[0] == ' ' || p[0] == '\t' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        quote = 1;
    for (i = 0; i < n; i += len) {
        len = utf8_next(p + i, n - i, &cp);
        if (cp <= 0) /* ill-formed or NUL */
            clean = 0;
        else if (cp < 0x80 && csv_special((unsigned char)cp))
            quote = 1;
    }
    if (!quote && clean) /* the common case: one copy */
        return lk_buf_append(b, s, n);

    if (quote && lk_buf_putc(b, '"') != LK_OK)
        return LK_ENOMEM;
    for (i = run = 0; i < n; i += len) {
        len = utf8_next(p + i, n - i, &cp);
        if (cp > 0 && cp != '"')
            continue; /* extend the verbatim run */
        if (lk_buf_append(b, s + run, i - run) != LK_OK)
            return LK_ENOMEM;
        run = i + len;
        /* NUL becomes U+FFFD too: many CSV readers (Python's csv, R) stop
         * or fail at a NUL byte. */
        const lk_status st =
            cp == '"' ? lk_buf_append(b, "\"\"", 2) : lk_buf_append(b, replacement, 3);
        if (st != LK_OK)
            return st;
    }
    if (lk_buf_append(b, s + run, n - run) != LK_OK)
        return LK_ENOMEM;
    return quote ? lk_buf_putc(b, '"') : LK_OK;
}

/* ---- JSON ----------------------------------------------------------------- */

/* The JSON escape for cp, or NULL to copy it verbatim.  Short escapes where
 * JSON has them; \u00XX for other controls (C0, DEL, C1) and for < > & so
 * that "</script>" and "<!--" cannot end or hide an HTML <script> block;
 * \u2028 \u2029 because older JavaScript treats them as line ends; bidi
 * controls so that they show up in any viewer. */
static const char *json_escape(int32_t cp, char tmp[16])
{
    switch (cp) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        break;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == '<' || cp == '>' || cp == '&' ||
        cp == 0x2028 || cp == 0x2029 || is_bidi_control(cp)) {
        (void)snprintf(tmp, 16, "\\u%04x", (unsigned)cp);
        return tmp;
    }
    return NULL;
}

/* Copy s to b, replacing each code point for which `escape` returns a
 * string (NULL: keep it) and each invalid UTF-8 sequence by U+FFFD. */
static lk_status escape_with(lk_buf *b, const char *s, size_t n,
                             const char *(*escape)(int32_t cp, char *tmp))
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i, len, run;
    char tmp[16];
    int32_t cp;

    for (i = run = 0; i < n; i += len) {
        len = utf8_next(p + i, n - i, &cp);
        const char *esc = cp < 0 ? replacement : escape(cp, tmp);
        if (!esc)
            continue;
        if (lk_buf_append(b, s + run, i - run) != LK_OK ||
            lk_buf_append(b, esc, strlen(esc)) != LK_OK)
            return LK_ENOMEM;
        run = i + len;
    }
    return lk_buf_append(b, s + run, n - run);
}

lk_status lk_esc_json(lk_buf *b, const char *s, size_t n)
{
    return escape_with(b, s, n, json_escape);
}

/* ---- XML ------------------------------------------------------------------ */

/* The XML form of cp: an escape, "" to drop it, or NULL to copy verbatim.
 * Valid in both element text and attribute values (either quote style):
 *  - & < > " ' as entities (&#39; since HTML 4 lacks &apos;);
 *  - TAB, LF and CR as character references, because attribute-value
 *    normalisation would turn them into spaces and line-end handling would
 *    turn CR into LF: the reference survives both;
 *  - other C0 controls, U+FFFE and U+FFFF are not XML 1.0 characters even as
 *    references, so they are dropped;
 *  - DEL, C1 controls and bidi controls as references: legal, but invisible
 *    and (for bidi) able to reorder the displayed text when raw. */
static const char *xml_escape(int32_t cp, char tmp[16])
{
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    case '\t':
        return "&#x9;";
    case '\n':
        return "&#xA;";
    case '\r':
        return "&#xD;";
    default:
        break;
    }
    if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
        return "";
    if ((cp >= 0x7f && cp <= 0x9f) || is_bidi_control(cp)) {
        (void)snprintf(tmp, 16, "&#x%X;", (unsigned)cp);
        return tmp;
    }
    return NULL;
}

lk_status lk_esc_xml(lk_buf *b, const char *s, size_t n)
{
    return escape_with(b, s, n, xml_escape);
}
