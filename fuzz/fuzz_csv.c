/*
 * fuzz_csv.c - the CSV scanner over arbitrary bytes must never crash, hang
 * or break its contract:
 *  - every field is NUL-terminated at its length;
 *  - record start lines strictly increase, and the record after an error
 *    starts after the error's line (resynchronisation moves forward);
 *  - every result (record or error) consumes at least one line end, so on
 *    plain input there are at most (CR + LF count + 1) results;
 *  - the results do not depend on how the stream cuts its reads: the input
 *    is scanned with unlimited reads and again with reads of 1..8 bytes, and
 *    both transcripts must match when both scans reach a clean end.  (A
 *    corrupt gzip member may yield more or fewer good bytes before LK_EIO
 *    depending on read sizes; that is the stream's business.)
 * After LK_EPARSE / LK_ELIMIT the scan carries on, to exercise the resync
 * path; LK_EIO (corrupt gzip/zstd) and LK_ENOMEM end it.  The scanner source
 * is included so that its reads can be cut (as in test_parse_csv.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define lk_stream_read fuzz_stream_read
#include "../src/parse_csv.c" /* NOLINT(bugprone-suspicious-include): read cutting */
#undef lk_stream_read

ptrdiff_t lk_stream_read(lk_stream *s, void *buf, size_t n);

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

static size_t g_chunk; /* largest read handed to the scanner; 0 = no cap */

ptrdiff_t fuzz_stream_read(lk_stream *s, void *buf, size_t n)
{
    return lk_stream_read(s, buf, g_chunk && n > g_chunk ? g_chunk : n);
}

/* Scan the input, checking the invariants above; append a transcript of
 * every result to `out`.  Returns 0 after a clean end with a complete
 * transcript, else -1 (the comparison is then skipped). */
static int scan(const uint8_t *data, size_t size, size_t chunk, lk_buf *out)
{
    char err[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csv_row r = {0};
    lk_status st = LK_OK;
    uint64_t last = 0, results = 0, line_ends = 0;
    int rc = 0;
    /* Compressed input decodes to other bytes; only plain input gets the
     * line-end bound. */
    const int plain = !(size >= 2 && data[0] == 0x1f && data[1] == 0x8b) &&
                      !(size >= 4 && memcmp(data, "\x28\xb5\x2f\xfd", 4) == 0);

    g_chunk = chunk;
    for (size_t i = 0; i < size; i++)
        line_ends += data[i] == '\n' || data[i] == '\r';
    if (lk_stream_open_mem(data, size, "fuzz", &s, err) != LK_OK ||
        lk_csv_open(s, ',', &c) != LK_OK) {
        rc = -1;
        goto cleanup;
    }
    for (;;) {
        st = lk_csv_next(c, &r);
        if (st == LK_OK) {
            CHECK(r.nfields >= 1);
            CHECK(r.line > last);
            last = r.line;
            if (lk_buf_printf(out, "%llu:", (unsigned long long)r.line) != LK_OK)
                rc = -1;
            for (size_t i = 0; i < r.nfields; i++) {
                CHECK(r.field[i][r.len[i]] == '\0');
                if (lk_buf_printf(out, "%zu=", r.len[i]) != LK_OK ||
                    lk_buf_append(out, r.field[i], r.len[i]) != LK_OK)
                    rc = -1;
            }
        } else if (st == LK_EPARSE || st == LK_ELIMIT) {
            CHECK(lk_csv_errline(c) > last);
            CHECK(lk_csv_errmsg(c)[0] != '\0');
            last = lk_csv_errline(c);
            if (lk_buf_printf(out, "E%llu:%s", (unsigned long long)last, lk_csv_errmsg(c)) != LK_OK)
                rc = -1;
        } else {
            break;
        }
        results++;
        if (plain)
            CHECK(results <= line_ends + 1);
    }
    /* The end is sticky. */
    CHECK(lk_csv_next(c, &r) == st);
    if (st != LK_EOF)
        rc = -1;
cleanup:
    lk_csv_free(c);
    lk_stream_close(s);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lk_buf whole, cut;

    lk_buf_init(&whole);
    lk_buf_init(&cut);
    if (scan(data, size, 0, &whole) == 0 &&
        scan(data, size, 1 + (size ? data[size - 1] % 8 : 0), &cut) == 0)
        CHECK(whole.len == cut.len && memcmp(whole.p, cut.p, whole.len) == 0);
    lk_buf_release(&whole);
    lk_buf_release(&cut);
    return 0;
}
