/*
 * lk_jsondiff.c - differential check of the JSON parser (src/json.c)
 * against jansson.
 *
 * Usage: lk_jsondiff FILE...         every line of every file (plain, gzip or
 *                                    zstd; read with lk_lines) is one text
 *        lk_jsondiff --gen N SEED    N generated texts, about half of them
 *                                    mutated into (mostly) invalid JSON
 *
 * Each text is parsed by lk_json_parse and by jansson's json_loadb with
 * JSON_DECODE_ANY (a scalar is a text too, as in RFC 8259) and
 * JSON_ALLOW_NUL ("\u0000" in a string value is valid JSON, and we accept
 * it).  Accept/reject must agree; when both accept, the trees are walked
 * side by side: types, decoded string bytes, object keys and their order,
 * array lengths, integers (strtoll of our literal == json_integer_value) and
 * reals (strtod of our literal == json_real_value).  lk_json_get and
 * lk_json_str_eq are checked on the way.
 *
 * jansson is stricter than json.h on four points, all documented policy.
 * They count as agreement when jansson's error says so AND our tree shows
 * the feature, and they are listed apart in the summary:
 *  - a lone surrogate escape ("\ud800"): jansson rejects, we decode U+FFFD;
 *  - a number beyond int64 or double range: jansson rejects, we keep the
 *    literal (ids are read as text);
 *  - a NUL byte in an object key ("\u0000" in a key): jansson rejects;
 *  - nesting deeper than 512 (our limit) but within jansson's 2048.
 * And more lenient on one: a raw NUL byte where a ',' or closing bracket
 * should follow a value ends jansson's input ("[1\0]" loads as [1]); we
 * reject it (RFC 8259 has no such rule).
 * Duplicate keys: jansson keeps the first position and the last value; we
 * keep all members and lk_json_get returns the first.  The walk compares
 * accordingly.
 *
 * Output: "lines N, agreed N" (the line a wrapper reads), a breakdown, and
 * the first few disagreements.  Exit 0 when all agree, 1 on a disagreement
 * or a read error, 2 on bad usage.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "io_stream.h"
#include "json.h"

#define MAX_LINE   ((size_t)1 << 30)
#define MAX_SHOWN  5
#define STACK_INIT 64

/* How a text ended up. */
enum verdict {
    V_BOTH_ACCEPT,
    V_BOTH_REJECT,
    V_KNOWN_SURROGATE,
    V_KNOWN_OVERFLOW,
    V_KNOWN_NULKEY,
    V_KNOWN_DEPTH,
    V_KNOWN_NULBYTE,
    V_DISAGREE,
    V_COUNT
};

static const char *const verdict_name[V_COUNT] = {
    "accepted by both",
    "rejected by both",
    "known: lone surrogate escape (jansson rejects)",
    "known: number out of int64/double range (jansson rejects)",
    "known: NUL in an object key (jansson rejects)",
    "known: nesting 513..2048 (we reject)",
    "known: raw NUL byte after a value (jansson stops there)",
    "DISAGREED"};

typedef struct ctx {
    lk_json *j;
    lk_buf scratch, keys, why;
    uint64_t counts[V_COUNT];
    uint64_t shown;

    /* walk stack of (our node, jansson value) */
    struct pair {
        uint32_t node;
        json_t *v;
    } * stack;

    size_t cap;
} ctx;

/* ---- helpers ------------------------------------------------------------ */

/* A tool may stop on out-of-memory; the buffers below are small. */
static void oom_check(lk_status st)
{
    if (st != LK_OK) {
        (void)fprintf(stderr, "lk_jsondiff: out of memory\n");
        exit(1);
    }
}

/* Print up to 300 bytes of a text with non-printables escaped. */
static void show_text(const char *s, size_t n)
{
    const size_t k = n < 300 ? n : 300;

    (void)fputs("    text: ", stdout);
    for (size_t i = 0; i < k; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    printf("%s (%zu bytes)\n", k < n ? "..." : "", n);
}

/* Is there a "\uD8xx" not followed by "\uDCxx", or a "\uDCxx" not preceded
 * by a high one, in the raw string body (p, n)? */
static int has_lone_surrogate(const char *p, size_t n)
{
    int prev_high = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned cp;
        if (p[i] != '\\')
            continue;
        if (p[i + 1] != 'u') {
            i++;
            prev_high = 0;
            continue;
        }
        cp = (unsigned)strtoul((char[5]){p[i + 2], p[i + 3], p[i + 4], p[i + 5], 0}, NULL, 16);
        if (cp >= 0xdc00 && cp <= 0xdfff && !prev_high)
            return 1;
        if (prev_high && !(cp >= 0xdc00 && cp <= 0xdfff))
            return 1;
        prev_high = cp >= 0xd800 && cp <= 0xdbff && !prev_high;
        i += 5;
        if (prev_high && !(i + 2 < n && p[i + 1] == '\\' && p[i + 2] == 'u'))
            return 1;
    }
    return prev_high;
}

static int is_int_literal(const char *s, size_t n)
{
    return memchr(s, '.', n) == NULL && memchr(s, 'e', n) == NULL && memchr(s, 'E', n) == NULL;
}

/* Does our (accepted) tree have a feature jansson refuses?  Visits every
 * node (keys included) depth first. */
static int tree_has(ctx *c, enum verdict what)
{
    const lk_json *j = c->j;
    size_t top = 0;

    if (LK_GROW(c->stack, 1, c->cap) != LK_OK)
        return 0;
    c->stack[top++] = (struct pair){lk_json_root(j), NULL};
    while (top) {
        const uint32_t i = c->stack[--top].node;
        const lk_json_type t = lk_json_type_of(j, i);
        const char *s;
        size_t n;

        lk_json_raw(j, i, &s, &n);
        if (t == LK_JSON_STRING && what == V_KNOWN_SURROGATE && has_lone_surrogate(s, n))
            return 1;
        if (t == LK_JSON_NUMBER && what == V_KNOWN_OVERFLOW) {
            char tmp[512];
            if (n >= sizeof tmp)
                return 1;
            memcpy(tmp, s, n);
            tmp[n] = '\0';
            errno = 0;
            if (is_int_literal(s, n)) {
                (void)strtoll(tmp, NULL, 10);
                if (errno == ERANGE)
                    return 1;
            } else if (isinf(strtod(tmp, NULL))) {
                return 1;
            }
        }
        for (uint32_t k = lk_json_first(j, i); k != LK_JSON_NONE; k = lk_json_next(j, k)) {
            if (LK_GROW(c->stack, top + 2, c->cap) != LK_OK)
                return 0;
            if (t == LK_JSON_OBJECT) {
                /* a key: only keys count for V_KNOWN_NULKEY */
                if (what != V_KNOWN_NULKEY)
                    c->stack[top++] = (struct pair){k, NULL};
                else if (lk_json_str(j, k, &c->scratch, &s, &n) == LK_OK && memchr(s, 0, n))
                    return 1;
                k++;
            }
            c->stack[top++] = (struct pair){k, NULL};
        }
    }
    return 0;
}

/* Nesting depth of a jansson tree (iterative). */
static size_t jansson_depth(ctx *c, json_t *root)
{
    size_t top = 0, best = 0;

    c->stack[top++] = (struct pair){1, root};
    while (top) {
        const struct pair pr = c->stack[--top];
        const size_t d = pr.node;
        if (d > best)
            best = d;
        if (json_is_array(pr.v)) {
            for (size_t i = 0; i < json_array_size(pr.v); i++) {
                if (LK_GROW(c->stack, top + 1, c->cap) != LK_OK)
                    return 0;
                c->stack[top++] = (struct pair){(uint32_t)d + 1, json_array_get(pr.v, i)};
            }
        } else if (json_is_object(pr.v)) {
            const char *key;
            json_t *val;
            json_object_foreach(pr.v, key, val)
            {
                if (LK_GROW(c->stack, top + 1, c->cap) != LK_OK)
                    return 0;
                c->stack[top++] = (struct pair){(uint32_t)d + 1, val};
            }
        }
    }
    /* scalars count 1; containers count their level, like our limit */
    return best > 0 ? best - 1 : 0;
}

/* ---- tree comparison ---------------------------------------------------- */

#define WHY(...)                                        \
    do {                                                \
        lk_buf_reset(&c->why);                          \
        oom_check(lk_buf_printf(&c->why, __VA_ARGS__)); \
        return -1;                                      \
    } while (0)

static int push(ctx *c, size_t *top, uint32_t node, json_t *v)
{
    if (LK_GROW(c->stack, *top + 1, c->cap) != LK_OK)
        return -1;
    c->stack[(*top)++] = (struct pair){node, v};
    return 0;
}

/* Compare one object: keys in first-occurrence order against jansson's
 * iteration order, values of the last occurrence (jansson's overwrite). */
static int compare_object(ctx *c, uint32_t node, json_t *v, size_t *top)
{
    const lk_json *j = c->j;
    size_t m = 0, distinct = 0;
    void *it = json_object_iter(v);
    const char *s;
    size_t n;
    /* keys.p holds [len (size_t)][bytes][NUL] records, one per member */
    size_t off[256];
    uint32_t knode[256];

    lk_buf_reset(&c->keys);
    for (uint32_t k = lk_json_first(j, node); k != LK_JSON_NONE; k = lk_json_next(j, k + 1)) {
        if (m == 256)
            WHY("object at node %u: more than 256 members (tool limit)", node);
        if (lk_json_type_of(j, k) != LK_JSON_STRING)
            WHY("object key node %u is not a string", k);
        if (lk_json_str(j, k, &c->scratch, &s, &n) != LK_OK)
            WHY("lk_json_str failed on key %u", k);
        off[m] = c->keys.len;
        knode[m] = k;
        if (lk_buf_append(&c->keys, &n, sizeof n) != LK_OK ||
            lk_buf_append(&c->keys, s, n) != LK_OK || lk_buf_putc(&c->keys, '\0') != LK_OK)
            WHY("out of memory");
        m++;
    }
    if (m != lk_json_count(j, node))
        WHY("object at node %u: lk_json_count %u, walked %zu", node, lk_json_count(j, node), m);
    for (size_t a = 0; a < m; a++) {
        size_t la, first = a, lastv = a;
        const char *ka = c->keys.p + off[a] + sizeof(size_t);
        memcpy(&la, c->keys.p + off[a], sizeof la);
        for (size_t b = 0; b < m; b++) {
            size_t lb;
            memcpy(&lb, c->keys.p + off[b], sizeof lb);
            if (lb == la && memcmp(c->keys.p + off[b] + sizeof(size_t), ka, la) == 0) {
                if (b < first)
                    first = b;
                lastv = b;
            }
        }
        if (first != a)
            continue;
        distinct++;
        if (!it)
            WHY("object at node %u: jansson has fewer keys", node);
        if (json_object_iter_key_len(it) != la || memcmp(json_object_iter_key(it), ka, la) != 0)
            WHY("object at node %u: key %zu is '%.*s', jansson has '%s'", node, distinct, (int)la,
                ka, json_object_iter_key(it));
        /* lk_json_get finds the first occurrence (keys without NUL only) */
        if (!memchr(ka, 0, la) && lk_json_get(j, node, ka) != knode[a] + 1)
            WHY("lk_json_get(node %u, '%.*s') = %u, want %u", node, (int)la, ka,
                lk_json_get(j, node, ka), knode[a] + 1);
        if (push(c, top, knode[lastv] + 1, json_object_iter_value(it)) != 0)
            WHY("out of memory");
        it = json_object_iter_next(v, it);
    }
    if (distinct != json_object_size(v) || it)
        WHY("object at node %u: %zu distinct keys, jansson %zu", node, distinct,
            json_object_size(v));
    return 0;
}

static int compare_scalar(ctx *c, uint32_t node, json_t *v)
{
    const lk_json *j = c->j;
    const char *s;
    size_t n;
    char tmp[512];

    if (lk_json_str(j, node, &c->scratch, &s, &n) != LK_OK)
        WHY("lk_json_str failed on node %u", node);
    if (lk_json_type_of(j, node) == LK_JSON_STRING) {
        if (!json_is_string(v))
            WHY("node %u: string, jansson type %d", node, (int)json_typeof(v));
        if (n != json_string_length(v) || memcmp(s, json_string_value(v), n) != 0)
            WHY("node %u: string '%.*s', jansson '%s'", node, (int)n, s, json_string_value(v));
        if (!memchr(s, 0, n) && !lk_json_str_eq(j, node, json_string_value(v)))
            WHY("node %u: lk_json_str_eq is false on its own value", node);
        return 0;
    }
    /* a number: compare values parsed from our literal */
    if (n >= sizeof tmp)
        WHY("node %u: number literal too long for the tool", node);
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (is_int_literal(s, n)) {
        if (!json_is_integer(v))
            WHY("node %u: integer %s, jansson type %d", node, tmp, (int)json_typeof(v));
        if (strtoll(tmp, NULL, 10) != json_integer_value(v))
            WHY("node %u: integer %s, jansson %lld", node, tmp, (long long)json_integer_value(v));
        return 0;
    }
    if (!json_is_real(v))
        WHY("node %u: real %s, jansson type %d", node, tmp, (int)json_typeof(v));
    if (strtod(tmp, NULL) != json_real_value(v))
        WHY("node %u: real %s, jansson %.17g", node, tmp, json_real_value(v));
    return 0;
}

/* Walk both trees; 0 when equal, else -1 with c->why set. */
static int compare_trees(ctx *c, json_t *root)
{
    const lk_json *j = c->j;
    size_t top = 0;

    if (push(c, &top, lk_json_root(j), root) != 0)
        WHY("out of memory");
    while (top) {
        const struct pair pr = c->stack[--top];
        const uint32_t node = pr.node;
        json_t *const v = pr.v;

        switch (lk_json_type_of(j, node)) {
        case LK_JSON_NULL:
            if (!json_is_null(v))
                WHY("node %u: null, jansson type %d", node, (int)json_typeof(v));
            break;
        case LK_JSON_TRUE:
            if (!json_is_true(v))
                WHY("node %u: true, jansson type %d", node, (int)json_typeof(v));
            break;
        case LK_JSON_FALSE:
            if (!json_is_false(v))
                WHY("node %u: false, jansson type %d", node, (int)json_typeof(v));
            break;
        case LK_JSON_NUMBER:
        case LK_JSON_STRING:
            if (compare_scalar(c, node, v) != 0)
                return -1;
            break;
        case LK_JSON_ARRAY: {
            size_t i = 0;
            if (!json_is_array(v))
                WHY("node %u: array, jansson type %d", node, (int)json_typeof(v));
            if (lk_json_count(j, node) != json_array_size(v))
                WHY("node %u: %u elements, jansson %zu", node, lk_json_count(j, node),
                    json_array_size(v));
            for (uint32_t e = lk_json_first(j, node); e != LK_JSON_NONE; e = lk_json_next(j, e))
                if (push(c, &top, e, json_array_get(v, i++)) != 0)
                    WHY("out of memory");
            if (i != json_array_size(v))
                WHY("node %u: walked %zu elements, jansson %zu", node, i, json_array_size(v));
            break;
        }
        case LK_JSON_OBJECT:
            if (!json_is_object(v))
                WHY("node %u: object, jansson type %d", node, (int)json_typeof(v));
            if (compare_object(c, node, v, &top) != 0)
                return -1;
            break;
        }
    }
    return 0;
}

/* ---- one text ----------------------------------------------------------- */

static enum verdict judge(ctx *c, const char *s, size_t n)
{
    json_error_t err;
    const lk_status st = lk_json_parse(c->j, s, n);
    json_t *root = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    enum verdict v = V_DISAGREE;

    lk_buf_reset(&c->why);
    if (st == LK_OK && root) {
        v = compare_trees(c, root) == 0 ? V_BOTH_ACCEPT : V_DISAGREE;
    } else if (st != LK_OK && !root) {
        v = V_BOTH_REJECT;
        if (st != LK_EPARSE && st != LK_ELIMIT)
            v = V_DISAGREE;
    } else if (st == LK_OK) {
        const enum json_error_code code = json_error_code(&err);
        if (code == json_error_numeric_overflow && tree_has(c, V_KNOWN_OVERFLOW))
            v = V_KNOWN_OVERFLOW;
        else if (code == json_error_null_byte_in_key && tree_has(c, V_KNOWN_NULKEY))
            v = V_KNOWN_NULKEY;
        else if (strstr(err.text, "invalid Unicode") && tree_has(c, V_KNOWN_SURROGATE))
            v = V_KNOWN_SURROGATE;
        if (v == V_DISAGREE)
            oom_check(
                lk_buf_printf(&c->why, "we accept; jansson: %s at %d", err.text, err.position));
    } else {
        if (st == LK_ELIMIT && strstr(lk_json_errmsg(c->j), "nesting") &&
            jansson_depth(c, root) > 512)
            v = V_KNOWN_DEPTH;
        else if (st == LK_EPARSE && lk_json_erroff(c->j) < n && s[lk_json_erroff(c->j)] == '\0' &&
                 !strstr(lk_json_errmsg(c->j), "value expected") &&
                 !strstr(lk_json_errmsg(c->j), "string"))
            v = V_KNOWN_NULBYTE;
        else
            oom_check(lk_buf_printf(&c->why, "we reject (%s at %zu); jansson accepts",
                                    lk_json_errmsg(c->j), lk_json_erroff(c->j)));
    }
    if (v == V_DISAGREE && c->shown++ < MAX_SHOWN) {
        printf("disagreement: %s\n", c->why.p);
        show_text(s, n);
    }
    json_decref(root);
    c->counts[v]++;
    return v;
}

/* ---- inputs: files ------------------------------------------------------ */

static int run_file(ctx *c, const char *path)
{
    char err[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_lines *l = NULL;
    const char *p;
    size_t n;
    uint64_t line;
    lk_status st;
    int rc = 1;

    if (lk_stream_open(path, &s, err) != LK_OK) {
        (void)fprintf(stderr, "lk_jsondiff: %s\n", err);
        return 1;
    }
    if (lk_lines_open(s, MAX_LINE, &l) != LK_OK)
        goto cleanup;
    while ((st = lk_lines_next(l, &p, &n, &line)) == LK_OK || st == LK_ELIMIT) {
        if (st == LK_ELIMIT) {
            (void)fprintf(stderr, "lk_jsondiff: %s:%llu: line longer than %zu bytes\n", path,
                          (unsigned long long)line, MAX_LINE);
            goto cleanup;
        }
        if (n > 0 && judge(c, p, n) == V_DISAGREE && c->shown <= MAX_SHOWN)
            printf("    at %s:%llu\n", path, (unsigned long long)line);
    }
    if (st != LK_EOF) {
        (void)fprintf(stderr, "lk_jsondiff: %s: %s\n", path,
                      st == LK_EIO ? lk_stream_errmsg(s) : lk_strerror(st));
        goto cleanup;
    }
    rc = 0;
cleanup:
    lk_lines_free(l);
    lk_stream_close(s);
    return rc;
}

/* ---- inputs: generated -------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform-enough integer in [0, n). */
static unsigned rnd(uint64_t *s, unsigned n)
{
    return (unsigned)(rng_next(s) % n);
}

/* (a function, so that an argument with rnd() is evaluated once) */
static void put(lk_buf *b, const char *str)
{
    oom_check(lk_buf_append(b, str, strlen(str)));
}

static void gen_ws(lk_buf *b, uint64_t *r)
{
    static const char *const ws[] = {" ", "\t", "\n", "\r", "  ", "\r\n"};

    if (rnd(r, 4) == 0)
        put(b, ws[rnd(r, 6)]);
}

/* A valid UTF-8 sequence of 2, 3 or 4 bytes (no surrogates). */
static void gen_utf8(lk_buf *b, uint64_t *r)
{
    unsigned char o[4];
    unsigned cp;
    size_t k;

    switch (rnd(r, 3)) {
    case 0:
        cp = 0x80 + rnd(r, 0x800 - 0x80);
        break;
    case 1:
        cp = 0x800 + rnd(r, 0x10000 - 0x800);
        if (cp >= 0xd800 && cp <= 0xdfff)
            cp ^= 0x3000; /* into 0xe800..0xefff */
        break;
    default:
        cp = 0x10000 + rnd(r, 0x110000 - 0x10000);
        break;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | cp >> 6);
        k = 1;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        k = 2;
    } else {
        o[0] = (unsigned char)(0xf0 | cp >> 18);
        o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        k = 3;
    }
    o[k++] = (unsigned char)(0x80 | (cp & 0x3f));
    oom_check(lk_buf_append(b, o, k));
}

/* 1 to 4 bytes from the ranges that decide UTF-8 validity: mostly invalid
 * (stray continuations, overlongs, surrogates, > U+10FFFF, cut sequences). */
static void gen_bytes(lk_buf *b, uint64_t *r)
{
    static const unsigned char lead[] = {0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
                                         0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1,
                                         0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff};
    static const unsigned char cont[] = {0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0};
    const unsigned n = 1 + rnd(r, 4);

    oom_check(lk_buf_putc(b, (char)lead[rnd(r, sizeof lead)]));
    for (unsigned i = 1; i < n; i++)
        oom_check(lk_buf_putc(b, (char)cont[rnd(r, sizeof cont)]));
}

static void gen_string(lk_buf *b, uint64_t *r)
{
    static const char *const esc[] = {"\\\"",
                                      "\\\\",
                                      "\\/",
                                      "\\b",
                                      "\\f",
                                      "\\n",
                                      "\\r",
                                      "\\t",
                                      "\\u00e9",
                                      "\\u20AC",
                                      "\\ud83d\\ude00",
                                      "\\u0000",
                                      "\\uD800",
                                      "\\udc00",
                                      "\\ud800\\u0041",
                                      "\\uDBFF\\uDFFF"};
    /* few names, so that keys repeat; "\u0061" is "a" escaped */
    static const char *const names[] = {"a", "b", "id", "\\u0061", "user", "a\\u0000"};
    const unsigned len = rnd(r, 4) == 0 ? rnd(r, 40) : rnd(r, 6);

    oom_check(lk_buf_putc(b, '"'));
    if (rnd(r, 3) == 0) {
        put(b, names[rnd(r, rnd(r, 20) == 0 ? 6 : 5)]);
    } else {
        for (unsigned i = 0; i < len; i++) {
            const unsigned k = rnd(r, 20);
            if (k < 12) {
                char ch = (char)(0x20 + rnd(r, 0x5f)); /* 0x20..0x7e */
                oom_check(lk_buf_putc(b, (char)(ch == '"' || ch == '\\' ? 'x' : ch)));
            } else if (k < 16) {
                put(b, esc[rnd(r, rnd(r, 10) == 0 ? 16 : 11)]);
            } else if (k < 19) {
                gen_utf8(b, r);
            } else {
                gen_bytes(b, r);
            }
        }
    }
    oom_check(lk_buf_putc(b, '"'));
}

static void gen_number(lk_buf *b, uint64_t *r)
{
    static const char *const odd[] = {"-0",
                                      "0.0e0",
                                      "1E+2",
                                      "-1e-2",
                                      "9223372036854775807",
                                      "-9223372036854775808",
                                      "9223372036854775808",
                                      "123456789012345678901234567890",
                                      "1e400",
                                      "-1e400",
                                      "1e-400",
                                      "4.9e-324",
                                      "1.7976931348623157e308",
                                      "0.1",
                                      "1589632502309990401"};

    /* one draw per statement: the order in which arguments are evaluated
     * is unspecified, and the output must not depend on the compiler */
    const unsigned kind = rnd(r, 5), a = rnd(r, 100000), c = rnd(r, 1000);
    const unsigned e = rnd(r, 30), frac = rnd(r, 2), neg = rnd(r, 2), shift = rnd(r, 64);
    const unsigned long long big = rng_next(r) >> shift;

    switch (kind) {
    case 0:
        oom_check(lk_buf_printf(b, "%u", c));
        break;
    case 1:
        oom_check(lk_buf_printf(b, "-%llu", big));
        break;
    case 2:
        oom_check(lk_buf_printf(b, "%u.%u", a, c));
        break;
    case 3:
        oom_check(lk_buf_printf(b, "%u%se%s%u", a % 100, frac ? ".5" : "", neg ? "-" : "", e));
        break;
    default:
        put(b, odd[rnd(r, sizeof odd / sizeof odd[0])]);
        break;
    }
}

/* A random valid JSON text, built with an explicit stack (no recursion). */
static void gen_valid(lk_buf *b, uint64_t *r)
{
    struct open {
        char close;
        unsigned left, done;
    } st[16];

    unsigned depth = 0;
    const unsigned maxd = 1 + rnd(r, 8);

    gen_ws(b, r);
    for (;;) {
        /* a value */
        const unsigned k = rnd(r, depth >= maxd ? 6 : 9);
        gen_ws(b, r);
        if (k == 0)
            put(b, "null");
        else if (k == 1)
            put(b, rnd(r, 2) ? "true" : "false");
        else if (k < 4)
            gen_number(b, r);
        else if (k < 6 || depth >= 15)
            gen_string(b, r);
        else {
            const int obj = k == 8 || rnd(r, 2);
            oom_check(lk_buf_putc(b, obj ? '{' : '['));
            st[depth++] = (struct open){obj ? '}' : ']', rnd(r, 7), 0};
        }
        /* close what is complete, then the separator before the next value */
        for (;;) {
            if (depth == 0) {
                gen_ws(b, r);
                return;
            }
            gen_ws(b, r);
            if (st[depth - 1].left == 0) {
                oom_check(lk_buf_putc(b, st[depth - 1].close));
                depth--;
                continue;
            }
            if (st[depth - 1].done++)
                oom_check(lk_buf_putc(b, ','));
            st[depth - 1].left--;
            if (st[depth - 1].close == '}') {
                gen_ws(b, r);
                gen_string(b, r);
                gen_ws(b, r);
                oom_check(lk_buf_putc(b, ':'));
            }
            break;
        }
    }
}

/* Nesting around the limits: ours (512) and jansson's (2048). */
static void gen_deep(lk_buf *b, uint64_t *r)
{
    static const unsigned depths[] = {511, 512, 513, 600, 2047, 2048, 2049, 3000};
    const unsigned d = depths[rnd(r, 8)];
    const int obj = rnd(r, 2) != 0;

    for (unsigned i = 0; i < d; i++)
        put(b, obj ? "{\"k\":" : "[");
    put(b, "0");
    for (unsigned i = 0; i < d; i++)
        put(b, obj ? "}" : "]");
}

/* Damage the text in place: one to three byte-level edits. */
static void mutate(lk_buf *b, uint64_t *r)
{
    static const char pool[] = "{}[],:\"\\0123456789eE.-+ tfnu\x01\x1f\x7f\x80\xbf\xc0\xc3\xe0"
                               "\xed\xf0\xf4\xf5\xff"
                               "\0";
    const unsigned edits = 1 + rnd(r, 3);

    for (unsigned e = 0; e < edits && b->len > 0; e++) {
        const size_t at = rnd(r, (unsigned)b->len);
        switch (rnd(r, 5)) {
        case 0: /* delete */
            memmove(b->p + at, b->p + at + 1, b->len - at - 1);
            b->len--;
            break;
        case 1: /* insert */
            if (lk_buf_putc(b, 0) != LK_OK)
                return;
            memmove(b->p + at + 1, b->p + at, b->len - at - 1);
            b->p[at] = pool[rnd(r, sizeof pool - 1)];
            break;
        case 2: /* replace */
            b->p[at] = pool[rnd(r, sizeof pool - 1)];
            break;
        case 3: /* truncate */
            b->len = at;
            break;
        default: /* swap two bytes */
        {
            const size_t to = rnd(r, (unsigned)b->len);
            const char t = b->p[at];
            b->p[at] = b->p[to];
            b->p[to] = t;
            break;
        }
        }
        b->p[b->len] = '\0';
    }
}

static int run_gen(ctx *c, unsigned long n, uint64_t seed)
{
    lk_buf b;
    uint64_t r = seed;

    lk_buf_init(&b);
    for (unsigned long i = 0; i < n; i++) {
        lk_buf_reset(&b);
        if (rnd(&r, 50) == 0)
            gen_deep(&b, &r);
        else
            gen_valid(&b, &r);
        if (rnd(&r, 2))
            mutate(&b, &r);
        if (judge(c, b.p, b.len) == V_DISAGREE && c->shown <= MAX_SHOWN)
            printf("    generated text %lu of seed %llu\n", i, (unsigned long long)seed);
    }
    lk_buf_release(&b);
    return 0;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    ctx c = {0};
    uint64_t total = 0, agreed;
    int rc = 0;

    if (argc < 2 || (strcmp(argv[1], "--gen") == 0 && argc != 4)) {
        (void)fprintf(stderr, "usage: lk_jsondiff FILE...\n       lk_jsondiff --gen N SEED\n");
        return 2;
    }
    if (lk_json_new(&c.j) != LK_OK)
        return 1;
    lk_buf_init(&c.scratch);
    lk_buf_init(&c.keys);
    lk_buf_init(&c.why);
    if (strcmp(argv[1], "--gen") == 0) {
        char *e1, *e2;
        const unsigned long n = strtoul(argv[2], &e1, 10);
        const unsigned long long seed = strtoull(argv[3], &e2, 10);
        if (*e1 || *e2 || !*argv[2] || !*argv[3]) {
            (void)fprintf(stderr, "lk_jsondiff: --gen wants two decimal numbers\n");
            rc = 2;
            goto cleanup;
        }
        rc = run_gen(&c, n, seed);
    } else {
        for (int i = 1; i < argc; i++)
            rc |= run_file(&c, argv[i]);
    }
    for (int v = 0; v < V_COUNT; v++)
        total += c.counts[v];
    agreed = total - c.counts[V_DISAGREE];
    printf("lines %llu, agreed %llu\n", (unsigned long long)total, (unsigned long long)agreed);
    for (int v = 0; v < V_COUNT; v++)
        if (c.counts[v])
            printf("  %-60s %llu\n", verdict_name[v], (unsigned long long)c.counts[v]);
    if (c.counts[V_DISAGREE])
        rc = 1;
cleanup:
    lk_json_free(c.j);
    lk_buf_release(&c.scratch);
    lk_buf_release(&c.keys);
    lk_buf_release(&c.why);
    free(c.stack);
    return rc;
}
