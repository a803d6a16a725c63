/*
 * fmt_csv_list.c - list cells of the CSV formats: the Python list reprs of
 * the Twitter archives (['a', 'b'], u'x', escapes) and the JSON lists of
 * twarc-csv, split into their elements for fmt_csv.c.  A list cell is
 * never worth rejecting a row: whatever can be recovered is given.
 */
#include "fmt_csv_int.h"

/* ---- list cells ------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Code point of `digits` hex digits at s, or -1. */
static long hexnum(const char *s, size_t n, size_t digits)
{
    long v = 0;
    if (n < digits)
        return -1;
    for (size_t i = 0; i < digits; i++) {
        const int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static lk_status put_utf8(lk_buf *b, long cp)
{
    char u[4];
    size_t n;

    if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return lk_buf_append(b, u, n);
}

/* Decode a Python string literal body (between the quotes) into b. */
static lk_status py_unescape(const char *s, size_t n, lk_buf *b)
{
    lk_status st = LK_OK;

    lk_buf_reset(b);
    for (size_t i = 0; i < n && st == LK_OK; i++) {
        long cp = -1;
        size_t used = 0;
        if (s[i] != '\\' || i + 1 == n) {
            st = lk_buf_putc(b, s[i]);
            continue;
        }
        switch (s[i + 1]) {
        case 'n':
            cp = '\n';
            break;
        case 't':
            cp = '\t';
            break;
        case 'r':
            cp = '\r';
            break;
        case '\\':
            cp = '\\';
            break;
        case '\'':
            cp = '\'';
            break;
        case '"':
            cp = '"';
            break;
        case 'x':
            cp = hexnum(s + i + 2, n - i - 2, 2);
            used = 2;
            break;
        case 'u':
            cp = hexnum(s + i + 2, n - i - 2, 4);
            used = 4;
            break;
        case 'U':
            cp = hexnum(s + i + 2, n - i - 2, 8);
            used = 8;
            break;
        default:
            break;
        }
        if (cp < 0) { /* not an escape Python writes: keep it as it is */
            st = lk_buf_putc(b, s[i]);
            continue;
        }
        st = put_utf8(b, cp);
        i += 1 + used;
    }
    return st;
}

/*
 * Split a list cell as the Twitter archive writes it: a Python list repr
 * (['a', 'b'], ["it's"], [u'x'] from Python 2), the unquoted [a, b] of
 * some 2018 files, [] or an empty cell.  Quoted elements may hold commas
 * and backslash escapes.  Malformed cells give what can be recovered
 * (an unterminated quote runs to the end): a list cell is never worth
 * rejecting the row.  Empty elements and None are skipped.
 */
lk_status lk_cf_split_pylist(const char *s, size_t n, lk_buf *scratch, lk_cf_elem_fn fn, void *ctx)
{
    size_t i = 0;
    lk_status st;

    lk_cf_trim(&s, &n);
    while (n && lk_cf_is_space(s[n - 1]))
        n--;
    if (n && s[0] == '[') {
        i = 1;
        if (s[n - 1] == ']')
            n--;
    }
    while (i < n) {
        size_t b, e;
        if (lk_cf_is_space(s[i]) || s[i] == ',') {
            i++;
            continue;
        }
        if ((s[i] == 'u' || s[i] == 'U' || s[i] == 'b') && i + 1 < n &&
            (s[i + 1] == '\'' || s[i + 1] == '"'))
            i++;
        if (s[i] == '\'' || s[i] == '"') {
            const char q = s[i];
            int esc = 0;
            b = ++i;
            while (i < n && s[i] != q) {
                if (s[i] == '\\' && i + 1 < n) {
                    esc = 1;
                    i++;
                }
                i++;
            }
            e = LK_MIN(i, n);
            while (i < n && s[i] != ',') /* past the closing quote and any junk */
                i++;
            if (esc) {
                if ((st = py_unescape(s + b, e - b, scratch)) != LK_OK)
                    return st;
                if (scratch->len && (st = fn(ctx, scratch->p, scratch->len)) != LK_OK)
                    return st;
            } else if (e > b && (st = fn(ctx, s + b, e - b)) != LK_OK) {
                return st;
            }
            continue;
        }
        b = i;
        while (i < n && s[i] != ',')
            i++;
        e = i;
        while (e > b && lk_cf_is_space(s[e - 1]))
            e--;
        if (e > b && !(e - b == 4 && memcmp(s + b, "None", 4) == 0) &&
            (st = fn(ctx, s + b, e - b)) != LK_OK)
            return st;
    }
    return LK_OK;
}

/*
 * Each element of a JSON-list cell as twarc-csv writes it: strings
 * (["#tag"]), numbers, or objects ([{"tag": "x", "start": 0}]) from which
 * the first of `keys` present is taken.  A cell that is not a JSON list is
 * read as a Python list: a list cell is never worth rejecting the row.
 */
lk_status lk_cf_split_jsonlist(lk_json **json, const char *s, size_t n, lk_buf *scratch,
                               const char *const *keys, lk_cf_elem_fn fn, void *ctx)
{
    lk_json *j;
    lk_status st;

    if (!*json && (st = lk_json_new(json)) != LK_OK)
        return st;
    j = *json;
    st = lk_json_parse(j, s, n);
    if (st == LK_ENOMEM)
        return st;
    if (st != LK_OK || lk_json_type_of(j, lk_json_root(j)) != LK_JSON_ARRAY)
        return lk_cf_split_pylist(s, n, scratch, fn, ctx);
    for (uint32_t e = lk_json_first(j, lk_json_root(j)); e != LK_JSON_NONE;
         e = lk_json_next(j, e)) {
        uint32_t v = e;
        const char *p;
        size_t len;
        lk_json_type t;

        if (lk_json_type_of(j, e) == LK_JSON_OBJECT) {
            v = LK_JSON_NONE;
            for (size_t i = 0; keys[i] && v == LK_JSON_NONE; i++)
                v = lk_json_get(j, e, keys[i]);
        }
        if (v == LK_JSON_NONE)
            continue;
        t = lk_json_type_of(j, v);
        if (t != LK_JSON_STRING && t != LK_JSON_NUMBER)
            continue;
        if ((st = lk_json_str(j, v, scratch, &p, &len)) != LK_OK || (st = fn(ctx, p, len)) != LK_OK)
            return st;
    }
    return LK_OK;
}
