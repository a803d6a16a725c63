/*
 * fuzz_json.c - the JSON parser and the JSON lines reader over arbitrary
 * bytes must never crash, hang or break their contract:
 *  - on success the tape is well formed: every node's `next` lies past it
 *    and within its parent's subtree, a container's children tile its
 *    subtree exactly, objects alternate string keys and values, the stored
 *    counts and last-child flags agree with the walk, raw offsets lie in
 *    the input;
 *  - lk_json_str decodes every string (never longer than its raw text,
 *    always valid UTF-8 out) and gives every number's literal;
 *    lk_json_str_eq agrees with it; lk_json_get finds each key at or
 *    before the member it came from (first match wins);
 *  - on failure the offset lies within the input and there is a message;
 *  - lk_lines returns numbered lines (1, 2, 3, ... including skipped ones)
 *    with no '\n' inside, NUL-terminated, and lk_lines_rest returns the
 *    bytes after the first line.
 * The parser source is included to see the tape itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/json.c" /* NOLINT(bugprone-suspicious-include): tape access */
#include "io_stream.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

/* Is (s, n) valid UTF-8 (NULs allowed)? */
static int valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *const e = p + n;

    while (p < e) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        const int k = utf8_seq(p, e);
        if (k <= 0)
            return 0;
        p += k;
    }
    return 1;
}

static void check_tape(const lk_json *j, const uint8_t *data, size_t size, lk_buf *scratch)
{
    const uint32_t nt = j->ntape;

    CHECK(nt >= 1 && nt <= size / 2 + 1);
    CHECK(j->tape[0].next == nt);
    CHECK(j->tape[0].meta & M_LAST);
    for (uint32_t i = 0; i < nt; i++) {
        const jnode *nd = &j->tape[i];
        const uint32_t t = nd->meta & M_TYPE;
        const char *s;
        size_t n;

        CHECK(nd->next > i && nd->next <= nt);
        CHECK((size_t)nd->off + nd->len <= size);
        CHECK(t <= LK_JSON_OBJECT);
        if (t < LK_JSON_ARRAY) {
            CHECK(nd->next == i + 1);
        } else {
            /* children tile (i, next) exactly; the last one is flagged */
            uint32_t c = i + 1, count = 0;
            CHECK(data[nd->off] == (t == LK_JSON_OBJECT ? '{' : '['));
            CHECK(data[nd->off + nd->len - 1] == (t == LK_JSON_OBJECT ? '}' : ']'));
            while (c < nd->next) {
                if (t == LK_JSON_OBJECT) {
                    CHECK((j->tape[c].meta & M_TYPE) == LK_JSON_STRING);
                    CHECK(!(j->tape[c].meta & M_LAST));
                    c++;
                    CHECK(c < nd->next);
                }
                CHECK(j->tape[c].next <= nd->next);
                CHECK(!!(j->tape[c].meta & M_LAST) == (j->tape[c].next == nd->next));
                CHECK(lk_json_next(j, c) ==
                      (j->tape[c].next == nd->next ? LK_JSON_NONE : j->tape[c].next));
                c = j->tape[c].next;
                count++;
            }
            CHECK(c == nd->next);
            CHECK(lk_json_count(j, i) == count);
            CHECK(lk_json_first(j, i) == (count ? i + 1 : LK_JSON_NONE));
        }
        if (t == LK_JSON_STRING || t == LK_JSON_NUMBER) {
            CHECK(lk_json_str(j, i, scratch, &s, &n) == LK_OK);
            CHECK(n <= nd->len);
            if (t == LK_JSON_STRING) {
                CHECK(valid_utf8(s, n));
                if (!(nd->meta & M_ESC))
                    CHECK(s == (const char *)data + nd->off);
                if (!memchr(s, 0, n)) {
                    /* s may point into the input: copy to get a C string */
                    char *z = malloc(n + 1);
                    if (z) {
                        memcpy(z, s, n);
                        z[n] = '\0';
                        CHECK(lk_json_str_eq(j, i, z));
                        free(z);
                    }
                }
            }
        } else {
            CHECK(lk_json_str(j, i, scratch, &s, &n) == LK_EINVAL);
        }
        {
            int ok = -1;
            const int64_t v = lk_json_int(j, i, &ok);
            CHECK(ok == 0 || ok == 1);
            CHECK(ok || v == 0);
        }
    }
    /* lk_json_get finds every key, at its first occurrence */
    for (uint32_t i = 0; i < nt; i++) {
        if ((j->tape[i].meta & M_TYPE) != LK_JSON_OBJECT)
            continue;
        for (uint32_t k = i + 1; k < j->tape[i].next; k = j->tape[k + 1].next) {
            const char *s;
            size_t n;
            char *z;
            CHECK(lk_json_str(j, k, scratch, &s, &n) == LK_OK);
            if (memchr(s, 0, n) || memchr(s, '.', n))
                continue;
            z = malloc(n + 1);
            if (!z)
                continue;
            memcpy(z, s, n);
            z[n] = '\0';
            const uint32_t g = lk_json_get(j, i, z);
            CHECK(g != LK_JSON_NONE && g <= k + 1 && g > i);
            CHECK(lk_json_path(j, i, z) == g);
            free(z);
        }
    }
}

static void check_lines(const uint8_t *data, size_t size, size_t max_line)
{
    char err[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_lines *l = NULL;
    lk_buf rest;
    const char *p = NULL;
    size_t n = 0;
    uint64_t no = 0, expect = 1;
    lk_status st;
    const int plain = !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b) &&
                      !(size >= 4 && memcmp(data, "\x28\xb5\x2f\xfd", 4) == 0);

    lk_buf_init(&rest);
    if (lk_stream_open_mem(data, size, "fuzz", &s, err) != LK_OK ||
        lk_lines_open(s, max_line, &l) != LK_OK)
        goto cleanup;
    while ((st = lk_lines_next(l, &p, &n, &no)) == LK_OK || st == LK_ELIMIT) {
        CHECK(no == expect++);
        if (st == LK_OK) {
            CHECK(n <= max_line);
            CHECK(memchr(p, '\n', n) == NULL);
            CHECK(p[n] == '\0');
        }
        if (no == 1 && st == LK_OK) {
            /* the rest of a plain input is exactly what follows line 1 */
            const uint8_t *nl = memchr(data, '\n', size);
            const size_t used = nl ? (size_t)(nl + 1 - data) : size;
            if (plain) {
                CHECK(lk_lines_rest(l, &rest, size) == LK_OK);
                CHECK(rest.len == size - used && memcmp(rest.p, data + used, rest.len) == 0);
            } else {
                /* decoded bytes: any length, maybe a corrupt stream */
                st = lk_lines_rest(l, &rest, (size_t)1 << 22);
                CHECK(st == LK_OK || st == LK_ELIMIT || st == LK_EIO);
            }
            /* after the rest, the end (or the stream's sticky error) */
            st = lk_lines_next(l, &p, &n, &no);
            CHECK(st == LK_EOF || (!plain && st == LK_EIO));
            break;
        }
    }
    if (plain)
        CHECK(expect - 1 <= size + 1);
cleanup:
    lk_lines_free(l);
    lk_stream_close(s);
    lk_buf_release(&rest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lk_json *j;
    lk_buf scratch;
    lk_status st;

    if (!j && lk_json_new(&j) != LK_OK)
        return 0;
    lk_buf_init(&scratch);
    st = lk_json_parse(j, (const char *)data, size);
    if (st == LK_OK) {
        check_tape(j, data, size, &scratch);
    } else {
        CHECK(st == LK_EPARSE || st == LK_ELIMIT);
        CHECK(lk_json_erroff(j) <= size);
        CHECK(lk_json_errmsg(j)[0] != '\0');
        CHECK(lk_json_first(j, 0) == LK_JSON_NONE);
        if (lk_json_err_is_utf8(j))
            CHECK(lk_json_erroff(j) < size && data[lk_json_erroff(j)] >= 0x80);
    }
    lk_buf_release(&scratch);
    check_lines(data, size, 16);
    check_lines(data, size, 4096);
    return 0;
}
