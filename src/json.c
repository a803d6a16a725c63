/*
 * json.c - strict RFC 8259 parser onto a flat tape (see json.h for the
 * contract; the JSON lines reader is in json_lines.c).
 *
 * The parser is one loop of gotos over an explicit stack instead of
 * recursive descent: misc-no-recursion is gating, the depth limit becomes an
 * array bound, and the hot state (position, tape, current container) stays
 * in registers.  Strings are only scanned while parsing (escapes checked,
 * UTF-8 validated); decoding waits for lk_json_str, because a reader needs
 * a handful of the ~150 strings of a tweet.
 */
#include "json.h"

#ifdef __SSE2__
#    include <emmintrin.h>
#endif

#define MAX_DEPTH 512

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/*
 * One tape node, 16 bytes.  off/len: strings, the bytes between the quotes;
 * numbers and literals, the literal; containers, the bracket to the matching
 * one.  next: one past the subtree.  meta: bits 0-2 the type, bit 3 "string
 * has escapes", bit 4 "last child of its container", bits 5-31 the element
 * or member count of a container (saturated; lk_json_count then walks).
 */
typedef struct jnode {
    uint32_t off, len, next, meta;
} jnode;

#define M_TYPE      7u
#define M_ESC       8u
#define M_LAST      16u
#define M_CSHIFT    5
#define M_COUNT_MAX (UINT32_MAX >> M_CSHIFT)

/* A container still open: saved while a nested one is parsed. */
typedef struct frame {
    uint32_t node, count, last, is_obj;
} frame;

struct lk_json {
    jnode *tape; /* owned; ntape nodes valid after a successful parse */
    size_t cap;
    uint32_t ntape;
    const unsigned char *text; /* borrowed from the last lk_json_parse */
    size_t len;
    const char *err; /* static text, or errbuf */
    size_t erroff;
    int err_utf8;
    char errbuf[LK_ERRMSG_MAX];
    frame stack[MAX_DEPTH + 1];
};

/* Tape nodes reserved up front: 1 MiB, a few hundred tweets' worth. */
#define TAPE_INIT ((size_t)1 << 16)

/* Bytes that end the ASCII run of a string body (the scalar path). */
static int str_stop(unsigned char c)
{
    return c < 0x20 || c >= 0x80 || c == '"' || c == '\\';
}

/* Value of a hex digit, or 16 for anything else. */
static unsigned hexval(unsigned char c)
{
    if ((unsigned)(c - '0') < 10u)
        return (unsigned)(c - '0');
    c |= 0x20;
    if ((unsigned)(c - 'a') < 6u)
        return (unsigned)(c - 'a') + 10u;
    return 16;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int is_digit(unsigned char c)
{
    return (unsigned)(c - '0') < 10u;
}

/* ---- errors (cold) ------------------------------------------------------ */

__attribute__((cold, noinline)) static lk_status fail(lk_json *j, lk_status st, const char *p,
                                                      const char *msg)
{
    j->ntape = 0;
    j->err = msg;
    j->erroff = (size_t)((const unsigned char *)p - j->text);
    return st;
}

/* "unexpected character 'x'" / "... byte 0xNN", with a hint. */
__attribute__((cold, noinline)) static lk_status fail_char(lk_json *j, const char *p,
                                                           const char *what)
{
    const unsigned char c = (unsigned char)*p;

    if (c > 0x20 && c < 0x7f)
        lk_errf(j->errbuf, "%s, found '%c'", what, c);
    else
        lk_errf(j->errbuf, "%s, found byte 0x%02x", what, c);
    return fail(j, LK_EPARSE, p, j->errbuf);
}

/* ---- UTF-8 and escapes -------------------------------------------------- */

/*
 * Length of the UTF-8 sequence at p (lead byte >= 0x80): 2-4, 0 when invalid
 * (stray continuation, overlong, surrogate, above U+10FFFF), -1 when a valid
 * prefix is cut by the end of input.  Table 3-7 of the Unicode standard.
 */
static int utf8_seq(const unsigned char *p, const unsigned char *end)
{
    const unsigned c = p[0];
    const ptrdiff_t avail = end - p;
    unsigned lo = 0x80, hi = 0xbf;
    int len;

    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0) {
        len = 2;
    } else if (c < 0xf0) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    }
    if (avail < 2)
        return -1;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < len; i++) {
        if (avail <= i)
            return -1;
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    }
    return len;
}

static unsigned hex4(const unsigned char *p)
{
    return hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]);
}

static size_t put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * Decode the escape at p (p[0] == '\\', validated by the parser, e is the
 * end of the string body) into o (4 bytes); return the byte after it.  A
 * high surrogate followed by a low one makes one code point; any other
 * surrogate becomes U+FFFD.
 */
static const unsigned char *decode_escape(const unsigned char *p, const unsigned char *e,
                                          unsigned char o[4], size_t *olen)
{
    unsigned cp;

    switch (p[1]) {
    case 'b':
        cp = '\b';
        break;
    case 'f':
        cp = '\f';
        break;
    case 'n':
        cp = '\n';
        break;
    case 'r':
        cp = '\r';
        break;
    case 't':
        cp = '\t';
        break;
    case 'u':
        cp = hex4(p + 2);
        p += 6;
        if (cp >= 0xd800 && cp <= 0xdbff && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
            const unsigned lo = hex4(p + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
        }
        if (cp >= 0xd800 && cp <= 0xdfff)
            cp = 0xfffd;
        *olen = put_utf8(o, cp);
        return p;
    default: /* '"', '\\', '/' stand for themselves */
        cp = p[1];
        break;
    }
    o[0] = (unsigned char)cp;
    *olen = 1;
    return p + 2;
}

/* ---- parser ------------------------------------------------------------- */

/*
 * Scan a string body from p (just after the opening quote).  Returns the
 * closing quote, or NULL with the error set.  Sets M_ESC in *meta when the
 * body has escapes.  Sixteen bytes are tested at a time for the bytes that
 * need a look: '"', '\\', controls, and (with one signed compare together
 * with the controls) bytes >= 0x80.
 */
static const unsigned char *scan_string(lk_json *j, const unsigned char *p,
                                        const unsigned char *end, uint32_t *meta)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
#endif

    for (;;) {
#ifdef __SSE2__
        while (end - p >= 16) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            const __m128i m =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                             _mm_cmplt_epi8(v, space));
            const unsigned mask = (unsigned)_mm_movemask_epi8(m);
            if (mask) {
                p += __builtin_ctz(mask);
                goto stop;
            }
            p += 16;
        }
#endif
        while (p < end && !str_stop(*p))
            p++;
        if (p == end)
            goto eof;
#ifdef __SSE2__
    stop:
#endif
        if (LIKELY(*p == '"'))
            return p;
        if (*p == '\\') {
            *meta |= M_ESC;
            if (end - p < 2)
                goto eof;
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p += 2;
                continue;
            case 'u':
                for (int i = 2; i < 6; i++) {
                    if (end - p <= i)
                        goto eof;
                    if (hexval(p[i]) > 15) {
                        lk_errf(j->errbuf, "invalid \\u escape (4 hex digits expected)");
                        (void)fail(j, LK_EPARSE, (const char *)p, j->errbuf);
                        return NULL;
                    }
                }
                p += 6;
                continue;
            default:
                (void)fail_char(j, (const char *)p + 1, "invalid escape in a string");
                j->erroff--;
                return NULL;
            }
        }
        if (*p < 0x20) {
            lk_errf(j->errbuf, "control character 0x%02x in a string (must be escaped)", *p);
            (void)fail(j, LK_EPARSE, (const char *)p, j->errbuf);
            return NULL;
        }
        /* Non-ASCII: validate sequences while they last (CJK text is
         * mostly 3-byte sequences back to back). */
        do {
            const int k = utf8_seq(p, end);
            if (k <= 0) {
                if (k < 0)
                    goto eof;
                (void)fail(j, LK_EPARSE, (const char *)p, "invalid UTF-8 in a string");
                j->err_utf8 = 1;
                return NULL;
            }
            p += k;
        } while (p < end && *p >= 0x80);
    }
eof:
    (void)fail(j, LK_EPARSE, (const char *)end, "unexpected end of input");
    return NULL;
}

/*
 * Scan a number at p (a '-' or a digit).  Returns the byte after it, or NULL
 * with the error set.
 */
static const unsigned char *scan_number(lk_json *j, const unsigned char *p,
                                        const unsigned char *end)
{
    const char *msg;

    if (*p == '-' && ++p == end)
        goto eof;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p)) {
            msg = "invalid number: leading zero";
            goto bad;
        }
    } else if (is_digit(*p)) {
        do
            p++;
        while (p < end && is_digit(*p));
    } else {
        msg = "invalid number: digit expected after '-'";
        goto bad;
    }
    if (p < end && *p == '.') {
        if (++p == end)
            goto eof;
        if (!is_digit(*p)) {
            msg = "invalid number: digit expected after '.'";
            goto bad;
        }
        do
            p++;
        while (p < end && is_digit(*p));
    }
    if (p < end && (*p | 0x20) == 'e') {
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end)
            goto eof;
        if (!is_digit(*p)) {
            msg = "invalid number: digit expected in the exponent";
            goto bad;
        }
        do
            p++;
        while (p < end && is_digit(*p));
    }
    return p;
eof:
    (void)fail(j, LK_EPARSE, (const char *)end, "unexpected end of input");
    return NULL;
bad:
    (void)fail(j, LK_EPARSE, (const char *)p, msg);
    return NULL;
}

/* A literal at p that is not `lit`: end of input if what is there is a
 * prefix of it, else a bad value. */
__attribute__((cold, noinline)) static lk_status
bad_literal(lk_json *j, const unsigned char *p, const unsigned char *end, const char *lit, size_t n)
{
    size_t i = 0;

    while (i < n && p + i < end && p[i] == (unsigned char)lit[i])
        i++;
    if (p + i == end)
        return fail(j, LK_EPARSE, (const char *)end, "unexpected end of input");
    return fail_char(j, (const char *)p, "invalid literal (true, false or null expected)");
}

static lk_status grow_tape(lk_json *j, size_t need)
{
    jnode *t = j->tape;
    size_t cap = j->cap;

    if (LK_GROW(t, need, cap) != LK_OK)
        return LK_ENOMEM;
    j->tape = t;
    j->cap = cap;
    return LK_OK;
}

lk_status lk_json_new(lk_json **out)
{
    lk_json *j = calloc(1, sizeof *j);

    *out = NULL;
    if (!j)
        return LK_ENOMEM;
    j->err = "";
    *out = j;
    return LK_OK;
}

void lk_json_free(lk_json *j)
{
    if (!j)
        return;
    free(j->tape);
    free(j);
}

#define SKIP_WS()                                 \
    do {                                          \
        while (p < end && *p <= ' ' && is_ws(*p)) \
            p++;                                  \
    } while (0)

/* Room for node nn.  The tape holds at most (n + 1) / 2 nodes (a value of k
 * nodes needs 2k - 1 bytes), so most texts never take this branch. */
#define NEED_NODE()                                                          \
    do {                                                                     \
        if (UNLIKELY(nn == cap)) {                                           \
            if (grow_tape(j, (size_t)nn + 1) != LK_OK)                       \
                return fail(j, LK_ENOMEM, (const char *)p, "out of memory"); \
            tape = j->tape;                                                  \
            cap = j->cap;                                                    \
        }                                                                    \
    } while (0)

lk_status lk_json_parse(lk_json *j, const char *s, size_t n)
{
    const unsigned char *const base = (const unsigned char *)s;
    const unsigned char *p = base;
    const unsigned char *const end = base + n;
    jnode *tape;
    size_t cap;
    uint32_t nn = 0, idx;
    /* The open container: its node, its count so far, its last child. */
    uint32_t cur = 0, count = 0, last = LK_JSON_NONE, is_obj = 0;
    unsigned depth = 0;
    uint32_t meta;

    j->ntape = 0;
    j->text = base;
    j->len = n;
    j->err = "";
    j->erroff = 0;
    j->err_utf8 = 0;
    if (n > LK_JSON_MAX_TEXT)
        return fail(j, LK_ELIMIT, s, "text too long (4 GiB at most)");
    if (j->cap < TAPE_INIT && grow_tape(j, LK_MIN(TAPE_INIT, n / 2 + 1)) != LK_OK)
        return fail(j, LK_ENOMEM, s, "out of memory");
    tape = j->tape;
    cap = j->cap;

    SKIP_WS();
    if (p == end)
        return fail(j, LK_EPARSE, (const char *)p,
                    n ? "unexpected end of input" : "empty input (no JSON value)");

value:
    /* p is at a non-blank byte or the end. */
    if (UNLIKELY(p == end))
        goto eof;
    NEED_NODE();
    idx = nn++;
    count++;
    last = idx;
    switch (*p) {
    case '"':
        meta = LK_JSON_STRING;
        {
            const unsigned char *q = scan_string(j, p + 1, end, &meta);
            if (!q)
                return LK_EPARSE;
            tape[idx] = (jnode){(uint32_t)(p + 1 - base), (uint32_t)(q - p - 1), idx + 1, meta};
            p = q + 1;
        }
        goto after;
    case '{':
    case '[':
        if (UNLIKELY(depth == MAX_DEPTH))
            return fail(j, LK_ELIMIT, (const char *)p, "nesting too deep (512 levels at most)");
        j->stack[depth++] = (frame){cur, count, last, is_obj};
        cur = idx;
        count = 0;
        last = LK_JSON_NONE;
        is_obj = *p == '{';
        tape[idx] = (jnode){(uint32_t)(p - base), 0, 0, is_obj ? LK_JSON_OBJECT : LK_JSON_ARRAY};
        p++;
        SKIP_WS();
        if (UNLIKELY(p == end))
            goto eof;
        if (*p == (is_obj ? '}' : ']'))
            goto close;
        if (is_obj)
            goto key;
        goto value;
    case 't':
        if (UNLIKELY(end - p < 4 || memcmp(p, "true", 4) != 0))
            return bad_literal(j, p, end, "true", 4);
        tape[idx] = (jnode){(uint32_t)(p - base), 4, idx + 1, LK_JSON_TRUE};
        p += 4;
        goto after;
    case 'f':
        if (UNLIKELY(end - p < 5 || memcmp(p, "false", 5) != 0))
            return bad_literal(j, p, end, "false", 5);
        tape[idx] = (jnode){(uint32_t)(p - base), 5, idx + 1, LK_JSON_FALSE};
        p += 5;
        goto after;
    case 'n':
        if (UNLIKELY(end - p < 4 || memcmp(p, "null", 4) != 0))
            return bad_literal(j, p, end, "null", 4);
        tape[idx] = (jnode){(uint32_t)(p - base), 4, idx + 1, LK_JSON_NULL};
        p += 4;
        goto after;
    default: {
        const unsigned char *q;
        if (UNLIKELY(*p != '-' && !is_digit(*p)))
            return fail_char(j, (const char *)p, "a value expected");
        q = scan_number(j, p, end);
        if (!q)
            return LK_EPARSE;
        tape[idx] = (jnode){(uint32_t)(p - base), (uint32_t)(q - p), idx + 1, LK_JSON_NUMBER};
        p = q;
        goto after;
    }
    }

key:
    /* p is at a non-blank byte inside an object. */
    if (UNLIKELY(*p != '"'))
        return fail_char(j, (const char *)p, "a string expected as object key");
    NEED_NODE();
    idx = nn++;
    meta = LK_JSON_STRING;
    {
        const unsigned char *q = scan_string(j, p + 1, end, &meta);
        if (!q)
            return LK_EPARSE;
        tape[idx] = (jnode){(uint32_t)(p + 1 - base), (uint32_t)(q - p - 1), idx + 1, meta};
        p = q + 1;
    }
    SKIP_WS();
    if (UNLIKELY(p == end))
        goto eof;
    if (UNLIKELY(*p != ':'))
        return fail_char(j, (const char *)p, "':' expected after an object key");
    p++;
    SKIP_WS();
    goto value;

close:
    /* p is at the bracket closing `cur`. */
    tape[cur].len = (uint32_t)(p + 1 - base) - tape[cur].off;
    tape[cur].next = nn;
    tape[cur].meta |= LK_MIN(count, M_COUNT_MAX) << M_CSHIFT;
    if (last != LK_JSON_NONE)
        tape[last].meta |= M_LAST;
    p++;
    {
        const frame f = j->stack[--depth];
        cur = f.node;
        count = f.count;
        last = f.last;
        is_obj = f.is_obj;
    }

after:
    if (UNLIKELY(depth == 0))
        goto done;
    SKIP_WS();
    if (UNLIKELY(p == end))
        goto eof;
    if (is_obj) {
        if (LIKELY(*p == ',')) {
            p++;
            SKIP_WS();
            if (UNLIKELY(p == end))
                goto eof;
            goto key;
        }
        if (*p == '}')
            goto close;
        return fail_char(j, (const char *)p, "',' or '}' expected after an object member");
    }
    if (LIKELY(*p == ',')) {
        p++;
        SKIP_WS();
        goto value;
    }
    if (*p == ']')
        goto close;
    return fail_char(j, (const char *)p, "',' or ']' expected after an array element");

done:
    SKIP_WS();
    if (p != end)
        return fail_char(j, (const char *)p, "unexpected data after the JSON value");
    tape[0].meta |= M_LAST;
    j->ntape = nn;
    return LK_OK;

eof:
    return fail(j, LK_EPARSE, (const char *)end, "unexpected end of input");
}

const char *lk_json_errmsg(const lk_json *j)
{
    return j->err;
}

size_t lk_json_erroff(const lk_json *j)
{
    return j->erroff;
}

int lk_json_err_is_utf8(const lk_json *j)
{
    return j->err_utf8;
}

/* ---- queries ------------------------------------------------------------ */

/* Nodes past the tape (LK_JSON_NONE included) read as missing. */
static const jnode *node_at(const lk_json *j, uint32_t node)
{
    return node < j->ntape ? &j->tape[node] : NULL;
}

/* A missing node reads as null, so that "absent" and "null" need one test. */
lk_json_type lk_json_type_of(const lk_json *j, uint32_t node)
{
    const jnode *nd = node_at(j, node);

    return nd ? (lk_json_type)(nd->meta & M_TYPE) : LK_JSON_NULL;
}

uint32_t lk_json_count(const lk_json *j, uint32_t node)
{
    const jnode *nd = node_at(j, node);
    uint32_t c;

    if (!nd || (nd->meta & M_TYPE) < LK_JSON_ARRAY)
        return 0;
    c = nd->meta >> M_CSHIFT;
    if (c == M_COUNT_MAX) { /* saturated (2^27 - 1 or more): walk */
        const uint32_t step = (nd->meta & M_TYPE) == LK_JSON_OBJECT; /* key -> value */
        c = 0;
        for (uint32_t i = lk_json_first(j, node); i != LK_JSON_NONE; i = lk_json_next(j, i + step))
            c++;
    }
    return c;
}

uint32_t lk_json_first(const lk_json *j, uint32_t node)
{
    const jnode *nd = node_at(j, node);

    if (!nd || (nd->meta & M_TYPE) < LK_JSON_ARRAY || nd->next == node + 1)
        return LK_JSON_NONE;
    return node + 1;
}

uint32_t lk_json_next(const lk_json *j, uint32_t node)
{
    const jnode *nd = node_at(j, node);

    return !nd || (nd->meta & M_LAST) ? LK_JSON_NONE : nd->next;
}

/* Does the decoded string body (p, n) with escapes equal (lit, ln)?  Decodes
 * on the fly, so lookups need no scratch buffer. */
static int eq_escaped(const unsigned char *p, size_t n, const char *lit, size_t ln)
{
    const unsigned char *const e = p + n;
    const unsigned char *l = (const unsigned char *)lit;
    const unsigned char *const le = l + ln;

    while (p < e) {
        const unsigned char *q = memchr(p, '\\', (size_t)(e - p));
        unsigned char o[4];
        size_t k;

        if (!q)
            q = e;
        k = (size_t)(q - p);
        if ((size_t)(le - l) < k || memcmp(p, l, k) != 0)
            return 0;
        l += k;
        if (q == e)
            break;
        p = decode_escape(q, e, o, &k);
        if ((size_t)(le - l) < k || memcmp(o, l, k) != 0)
            return 0;
        l += k;
    }
    return l == le;
}

static int key_eq(const lk_json *j, const jnode *k, const char *key, size_t klen)
{
    const unsigned char *raw = j->text + k->off;

    if (LIKELY(!(k->meta & M_ESC)))
        return k->len == klen && memcmp(raw, key, klen) == 0;
    return eq_escaped(raw, k->len, key, klen);
}

static uint32_t get_n(const lk_json *j, uint32_t obj, const char *key, size_t klen)
{
    const jnode *nd = node_at(j, obj);

    if (!nd || (nd->meta & M_TYPE) != LK_JSON_OBJECT)
        return LK_JSON_NONE;
    for (uint32_t i = obj + 1; i < nd->next; i = j->tape[i + 1].next)
        if (key_eq(j, &j->tape[i], key, klen))
            return i + 1;
    return LK_JSON_NONE;
}

uint32_t lk_json_get(const lk_json *j, uint32_t obj, const char *key)
{
    return get_n(j, obj, key, strlen(key));
}

/* Keys with a '.' cannot be reached this way; use lk_json_get for them. */
uint32_t lk_json_path(const lk_json *j, uint32_t node, const char *dotted)
{
    for (;;) {
        const char *dot = strchr(dotted, '.');
        const size_t k = dot ? (size_t)(dot - dotted) : strlen(dotted);

        node = get_n(j, node, dotted, k);
        if (!dot || node == LK_JSON_NONE)
            return node;
        dotted = dot + 1;
    }
}

lk_status lk_json_str(const lk_json *j, uint32_t node, lk_buf *scratch, const char **s, size_t *n)
{
    const jnode *nd = node_at(j, node);
    const unsigned char *p, *e;
    unsigned char *o;

    if (!nd || ((nd->meta & M_TYPE) != LK_JSON_STRING && (nd->meta & M_TYPE) != LK_JSON_NUMBER))
        return LK_EINVAL;
    p = j->text + nd->off;
    if (!(nd->meta & M_ESC)) {
        *s = (const char *)p;
        *n = nd->len;
        return LK_OK;
    }
    /* Decoding never lengthens: "\uXXXX" (6) gives at most 3 bytes, a
     * surrogate pair (12) 4, a two-byte escape 1. */
    lk_buf_reset(scratch);
    if (lk_buf_reserve(scratch, nd->len) != LK_OK)
        return LK_ENOMEM;
    e = p + nd->len;
    o = (unsigned char *)scratch->p;
    while (p < e) {
        const unsigned char *q = memchr(p, '\\', (size_t)(e - p));
        size_t k;

        if (!q)
            q = e;
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        if (q == e)
            break;
        p = decode_escape(q, e, o, &k);
        o += k;
    }
    scratch->len = (size_t)(o - (unsigned char *)scratch->p);
    scratch->p[scratch->len] = '\0';
    *s = scratch->p;
    *n = scratch->len;
    return LK_OK;
}

int lk_json_str_eq(const lk_json *j, uint32_t node, const char *lit)
{
    const jnode *nd = node_at(j, node);

    return nd && (nd->meta & M_TYPE) == LK_JSON_STRING && key_eq(j, nd, lit, strlen(lit));
}

void lk_json_raw(const lk_json *j, uint32_t node, const char **s, size_t *n)
{
    const jnode *nd = node_at(j, node);

    *s = nd ? (const char *)j->text + nd->off : "";
    *n = nd ? nd->len : 0;
}

/*
 * Integer value of a decimal literal: [-]digits[.digits][e[+-]digits] as the
 * parser accepted it, or a digit string.  Exact integers in float notation
 * ("1134365188.0", "1.5e9") count: some dumps write epoch seconds that way.
 */
static int64_t parse_int(const unsigned char *p, const unsigned char *e, int *ok)
{
    const int neg = p < e && *p == '-';
    uint64_t v = 0;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    long exp = 0, pending = 0; /* exp: power of ten applied to v at the end */
    int frac = 0;

    *ok = 0;
    p += neg;
    for (; p < e; p++) {
        if (*p == '.') {
            frac = 1;
            continue;
        }
        if ((*p | 0x20) == 'e') {
            long x = 0;
            const int xneg = p + 1 < e && p[1] == '-';
            p += 1 + (p + 1 < e && (p[1] == '-' || p[1] == '+'));
            for (; p < e; p++)
                if (x < 100000)
                    x = x * 10 + (*p - '0');
            exp += xneg ? -x : x;
            break;
        }
        /* A zero digit is held back, so that trailing fraction zeros cost
         * nothing ("1.000" is 1). */
        if (*p == '0') {
            pending++;
        } else {
            for (; pending > 0; pending--) {
                if (v > lim / 10)
                    return 0;
                v *= 10;
            }
            if (v > (lim - (uint64_t)(*p - '0')) / 10)
                return 0;
            v = v * 10 + (uint64_t)(*p - '0');
        }
        if (frac)
            exp--;
    }
    exp += pending;
    if (exp < 0 && v != 0)
        return 0;
    for (; v != 0 && exp > 0; exp--) {
        if (v > lim / 10)
            return 0;
        v *= 10;
    }
    *ok = 1;
    if (neg)
        return v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    return (int64_t)v;
}

int64_t lk_json_int(const lk_json *j, uint32_t node, int *ok)
{
    const jnode *nd = node_at(j, node);
    const unsigned char *p, *e;
    int dummy;

    if (!ok)
        ok = &dummy;
    *ok = 0;
    if (!nd)
        return 0;
    p = j->text + nd->off;
    e = p + nd->len;
    if ((nd->meta & M_TYPE) == LK_JSON_STRING) {
        /* Digits only: a string id has no sign, point or exponent. */
        if (nd->len == 0 || (nd->meta & M_ESC))
            return 0;
        for (const unsigned char *q = p; q < e; q++)
            if (!is_digit(*q))
                return 0;
    } else if ((nd->meta & M_TYPE) != LK_JSON_NUMBER) {
        return 0;
    }
    {
        const int64_t v = parse_int(p, e, ok);
        return *ok ? v : 0;
    }
}
