/*
 * test_parse_csv.c - known-answer tests for the RFC 4180 scanner.
 *
 * Every document is scanned several times, with the stream cut into reads
 * of 1, 2, 3, 7 and 4093 bytes as well as whole, and every run must give the
 * same dump: that puts a read boundary at every byte of every record.  The
 * cut is made by wrapping lk_stream_read around the scanner, which is why
 * the scanner source is included here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <unistd.h>
#include <zlib.h>

#define lk_stream_read test_stream_read
#include "../../src/parse_csv.c" /* NOLINT(bugprone-suspicious-include): STYLE 23a */
#undef lk_stream_read

ptrdiff_t lk_stream_read(lk_stream *s, void *buf, size_t n);

static size_t g_chunk;            /* largest read handed to the scanner; 0 = no cap */
static int64_t g_fail_after = -1; /* fail reads once this many bytes were served */
static int64_t g_served;

ptrdiff_t test_stream_read(lk_stream *s, void *buf, size_t n)
{
    ptrdiff_t got;

    if (g_fail_after >= 0 && g_served >= g_fail_after)
        return LK_EIO;
    if (g_chunk && n > g_chunk)
        n = g_chunk;
    got = lk_stream_read(s, buf, n);
    if (got > 0)
        g_served += got;
    return got;
}

/*
 * Scan doc[0..n) and describe the result, one line per call:
 *   "<line>:<nfields>[f1|f2|...]" for a record, "E<line>:<message>" for
 *   LK_EPARSE / LK_ELIMIT, "X<status>" for anything else that ends the scan.
 */
static void dump(const char *doc, size_t n, size_t chunk, char sep, lk_buf *out)
{
    char eb[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csv_row r = {0};
    lk_status st;

    g_chunk = chunk;
    g_served = 0;
    lk_buf_reset(out);
    assert_int_equal(lk_stream_open_mem(doc, n, "doc", &s, eb), LK_OK);
    assert_int_equal(lk_csv_open(s, sep, &c), LK_OK);
    for (;;) {
        st = lk_csv_next(c, &r);
        if (st == LK_OK) {
            assert_int_equal(lk_buf_printf(out, "%llu:%zu[", (unsigned long long)r.line, r.nfields),
                             LK_OK);
            for (size_t i = 0; i < r.nfields; i++) {
                assert_int_equal(r.field[i][r.len[i]], '\0');
                if (i)
                    assert_int_equal(lk_buf_putc(out, '|'), LK_OK);
                assert_int_equal(lk_buf_append(out, r.field[i], r.len[i]), LK_OK);
            }
            assert_int_equal(lk_buf_append(out, "]\n", 2), LK_OK);
        } else if (st == LK_EPARSE || st == LK_ELIMIT) {
            assert_int_equal(lk_buf_printf(out, "E%llu:%s\n", (unsigned long long)lk_csv_errline(c),
                                           lk_csv_errmsg(c)),
                             LK_OK);
        } else {
            if (st != LK_EOF)
                assert_int_equal(lk_buf_printf(out, "X%d\n", (int)st), LK_OK);
            break;
        }
    }
    /* EOF and fatal errors are sticky. */
    assert_int_equal(lk_csv_next(c, &r), st);
    lk_csv_free(c);
    lk_stream_close(s);
    g_chunk = 0;
}

static const size_t chunks[] = {0, 1, 2, 3, 7, 4093};

static void check_sep(const char *doc, size_t n, char sep, const char *want)
{
    lk_buf out;

    lk_buf_init(&out);
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        dump(doc, n, chunks[k], sep, &out);
        if (strcmp(out.p, want) != 0)
            fail_msg("chunk %zu:\n--- got\n%s--- want\n%s", chunks[k], out.p, want);
    }
    lk_buf_release(&out);
}

/* String literal with its exact length, embedded NULs included. */
#define CHECK(lit, want) check_sep((lit), sizeof(lit) - 1, ',', (want))

static void test_basic(void **state)
{
    (void)state;
    CHECK("a,b,c\nd,e,f\n", "1:3[a|b|c]\n2:3[d|e|f]\n");
    CHECK("a,b\r\nc,d\r\n", "1:2[a|b]\n2:2[c|d]\n");
    CHECK("a,b\nc,d", "1:2[a|b]\n2:2[c|d]\n");
    CHECK("a,b\r\nc,d\r", "1:2[a|b]\n2:2[c|d]\n");
    CHECK("", "");
    CHECK("x", "1:1[x]\n");
}

static void test_bom(void **state)
{
    (void)state;
    CHECK("\xEF\xBB\xBFh1,h2\nx,y\n", "1:2[h1|h2]\n2:2[x|y]\n");
    CHECK("\xEF\xBB\xBF", "");
    CHECK("\xEF\xBB\xBF\n\"q\"\n", "2:1[q]\n");
    /* Only at the very start: elsewhere, and a partial BOM, are data. */
    CHECK("a\n\xEF\xBB\xBF"
          "b\n",
          "1:1[a]\n2:1[\xEF\xBB\xBF"
          "b]\n");
    CHECK("\xEF\xBB", "1:1[\xEF\xBB]\n");
}

static void test_quoted(void **state)
{
    (void)state;
    CHECK("\"a,b\",\"c\"\"d\",\"e\nf\"\nnext,1\n", "1:3[a,b|c\"d|e\nf]\n3:2[next|1]\n");
    CHECK("\"\"\"\"\n", "1:1[\"]\n");
    CHECK("\"abc\"", "1:1[abc]\n");
    CHECK("a,\"\"", "1:2[a|]\n");
    CHECK("\"x\"\r\n\"y\"\r", "1:1[x]\n2:1[y]\n");
    /* Newlines inside quotes count as physical lines. */
    CHECK("\"a\nb\nc\",d\ne\n", "1:2[a\nb\nc|d]\n4:1[e]\n");
    CHECK("\"a\r\nb\",c\r\nd\r\n", "1:2[a\r\nb|c]\n3:1[d]\n");
}

static void test_cr(void **state)
{
    (void)state;
    /* A lone CR inside quotes is data and no line end ... */
    CHECK("\"a\rb\",c\r\nd\n", "1:2[a\rb|c]\n2:1[d]\n");
    /* ... outside quotes it ends the record and the line. */
    CHECK("a\rb\r\nc", "1:1[a]\n2:1[b]\n3:1[c]\n");
    CHECK("a\r\rb\r", "1:1[a]\n3:1[b]\n");
}

static void test_empty(void **state)
{
    (void)state;
    CHECK("\n\na\n\r\n\nb\n\n", "3:1[a]\n6:1[b]\n");
    CHECK(",\na,,b\n,,\n\"\"\n", "1:2[|]\n2:3[a||b]\n3:3[||]\n4:1[]\n");
    CHECK("a,", "1:2[a|]\n");
    CHECK("a,\n", "1:2[a|]\n");
    CHECK(" \n", "1:1[ ]\n");
}

static void test_lenient_quote(void **state)
{
    (void)state;
    /* A quote that does not open a field is data, as in Python's csv. */
    CHECK("a\"b,c\n", "1:2[a\"b|c]\n");
    CHECK(" \"x\",y\n", "1:2[ \"x\"|y]\n");
    CHECK("ab\"\n", "1:1[ab\"]\n");
}

static void test_nul(void **state)
{
    char eb[LK_ERRMSG_MAX];
    static const char doc[] = "a\0b,c\n";
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csv_row r = {0};

    (void)state;
    assert_int_equal(lk_stream_open_mem(doc, sizeof doc - 1, "nul", &s, eb), LK_OK);
    assert_int_equal(lk_csv_open(s, ',', &c), LK_OK);
    assert_int_equal(lk_csv_next(c, &r), LK_OK);
    assert_int_equal(r.nfields, 2);
    assert_int_equal(r.len[0], 3);
    assert_memory_equal(r.field[0], "a\0b", 4);
    assert_string_equal(r.field[1], "c");
    assert_int_equal(lk_csv_next(c, &r), LK_EOF);
    lk_csv_free(c);
    lk_stream_close(s);
}

static void test_separators(void **state)
{
    (void)state;
    check_sep("a;b,c;\"d;e\"\n", 12, ';', "1:3[a|b,c|d;e]\n");
    check_sep("a\tb\t\n", 5, '\t', "1:3[a|b|]\n");
}

static void test_errors(void **state)
{
    (void)state;
    /* A character after a closing quote; resume on the next line. */
    CHECK("\"a\"x,b\nc,d\n", "E1:unexpected 'x' after closing quote\n2:2[c|d]\n");
    CHECK("x\r\n\"a\"b\r\nc\r\n", "1:1[x]\nE2:unexpected 'b' after closing quote\n3:1[c]\n");
    CHECK("\"a\"\x01\n", "E1:unexpected byte 0x01 after closing quote\n");
    CHECK("a,\"b\" \n\"c\"\n", "E1:unexpected ' ' after closing quote\n2:1[c]\n");
    /* The resync point is the line after the record's first line, even when
     * that is inside the bad record's quoted field. */
    CHECK("\"a\nb\"x\nc\n", "E1:unexpected 'x' after closing quote\n2:1[b\"x]\n3:1[c]\n");
    /* Unterminated quoted field at EOF. */
    CHECK("a,b\nc,\"d\ne,f\ng\n", "1:2[a|b]\nE2:unterminated quoted field\n3:2[e|f]\n4:1[g]\n");
    CHECK("a\n\"bc", "1:1[a]\nE2:unterminated quoted field\n");
    CHECK("\"", "E1:unterminated quoted field\n");
    /* Errors one after another, and an error on the last line. */
    CHECK("\"a\"b\n\"c\"d\ne\n\"f\"g", "E1:unexpected 'b' after closing quote\n"
                                       "E2:unexpected 'd' after closing quote\n3:1[e]\n"
                                       "E4:unexpected 'g' after closing quote\n");
}

/* Copy a literal's bytes (no NUL) to doc + *k and advance *k. */
static void put_bytes(char *doc, size_t *k, const char *lit)
{
    const size_t n = strlen(lit);
    for (size_t i = 0; i < n; i++)
        doc[*k + i] = lit[i];
    *k += n;
}

static void test_limit(void **state)
{
    const size_t max = LK_CSV_MAX_RECORD;
    const size_t n = max + 64;
    char *doc = malloc(n);
    lk_buf out;
    size_t k = 0;

    (void)state;
    assert_non_null(doc);
    lk_buf_init(&out);

    /* One record of exactly the limit passes; one byte more fails and the
     * scanner resumes on the next line. */
    memset(doc, 'x', max);
    doc[max] = '\n';
    dump(doc, max + 1, 0, ',', &out);
    assert_int_equal(out.len, strlen("1:1[]\n") + max);

    k = 0;
    put_bytes(doc, &k, "a,b\n");
    memset(doc + k, 'x', max + 1);
    k += max + 1;
    put_bytes(doc, &k, "\nc\n");
    for (size_t i = 0; i < 2; i++) {
        dump(doc, k, i ? 4093 : 0, ',', &out);
        assert_string_equal(out.p, "1:2[a|b]\nE2:record longer than 67108864 bytes\n3:1[c]\n");
    }

    /* A long quoted record resyncs after its first line; the next line is
     * itself too long; then the scan carries on. */
    doc[0] = '"';
    doc[1] = '\n';
    memset(doc + 2, 'y', max);
    k = 2 + max;
    put_bytes(doc, &k, "\"\nz\n");
    dump(doc, k, 0, ',', &out);
    assert_string_equal(out.p, "E1:record longer than 67108864 bytes\n"
                               "E2:record longer than 67108864 bytes\n3:1[z]\n");
    lk_buf_release(&out);
    free(doc);
}

static void test_io_error(void **state)
{
    lk_buf out;

    (void)state;
    lk_buf_init(&out);
    g_fail_after = 6;
    dump("a,b\nc,\"d\ne\"\n", 12, 3, ',', &out);
    g_fail_after = -1;
    assert_string_equal(out.p, "1:2[a|b]\nX-2\n");
    lk_buf_release(&out);
}

static void test_gzip_input(void **state)
{
    /* The scanner sees decompressed bytes only; a gzip member must read the
     * same as the plain text. */
    static char text[] = "h1,h2\r\n\"x\ny\",2\r\n";
    unsigned char gz[256];
    z_stream z;
    lk_buf out;

    (void)state;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)text;
    z.avail_in = sizeof text - 1;
    z.next_out = gz;
    z.avail_out = sizeof gz;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    lk_buf_init(&out);
    dump((const char *)gz, z.total_out, 1, ',', &out);
    assert_string_equal(out.p, "1:2[h1|h2]\n2:2[x\ny|2]\n");
    assert_int_equal(deflateEnd(&z), Z_OK);
    lk_buf_release(&out);
}

/* A few MiB of mixed records: blocks of the real read size must split
 * records exactly like reads of one byte do. */
static void test_block_boundaries(void **state)
{
    lk_buf doc, whole, cut;
    uint64_t x = 42;

    (void)state;
    lk_buf_init(&doc);
    lk_buf_init(&whole);
    lk_buf_init(&cut);
    while (doc.len < 3 * CSV_BLOCK) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        switch (x >> 61) {
        case 0:
            assert_int_equal(lk_buf_printf(&doc, "\"q\"\"%llu\n\",%u\r\n",
                                           (unsigned long long)(x >> 20), (unsigned)(x >> 50)),
                             LK_OK);
            break;
        case 1:
            assert_int_equal(lk_buf_append(&doc, "\n", 1), LK_OK);
            break;
        default:
            assert_int_equal(lk_buf_printf(&doc, "%llu,,v%u\n", (unsigned long long)(x >> 24),
                                           (unsigned)(x >> 40)),
                             LK_OK);
        }
    }
    dump(doc.p, doc.len, 0, ',', &whole);
    assert_null(strstr(whole.p, "E"));
    dump(doc.p, doc.len, 1, ',', &cut);
    assert_string_equal(whole.p, cut.p);
    dump(doc.p, doc.len, 65521, ',', &cut);
    assert_string_equal(whole.p, cut.p);
    lk_buf_release(&doc);
    lk_buf_release(&whole);
    lk_buf_release(&cut);
}

static void test_real_file(void **state)
{
    const char *path = LK_SHARED_DATA "/qut/coretweet_test_input.csv";
    char eb[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csv_row r = {0};
    lk_status st;
    uint64_t n = 0;

    (void)state;
    if (access(path, R_OK) != 0)
        skip();
    assert_int_equal(lk_stream_open(path, &s, eb), LK_OK);
    assert_int_equal(lk_csv_open(s, ',', &c), LK_OK);
    while ((st = lk_csv_next(c, &r)) == LK_OK) {
        n++;
        assert_int_equal(r.line, n);
        assert_int_equal(r.nfields, 8);
        if (n == 1) {
            assert_string_equal(r.field[0], "message_id"); /* BOM stripped */
            /* The analyzer does not know that a failed assert ends the test. */
            // NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage)
            assert_string_equal(r.field[7], "urls");
        } else if (n == 2) {
            static const char *const want[8] = {
                "0", "uid0", "username0", "rtid0", "", "Example tweet from uid0", "0", ""};
            for (size_t i = 0; i < 8; i++) {
                assert_string_equal(r.field[i], want[i]);
                assert_int_equal(r.len[i], strlen(want[i]));
            }
        } else if (n == 16) {
            assert_string_equal(r.field[1], "uid0");
            assert_string_equal(r.field[6], "1");
        }
    }
    assert_int_equal(st, LK_EOF);
    assert_int_equal(n, 16);
    lk_csv_free(c);
    lk_stream_close(s);
}

static void test_api(void **state)
{
    char eb[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_csv *c = NULL;

    (void)state;
    assert_int_equal(lk_stream_open_mem("", 0, "e", &s, eb), LK_OK);
    assert_int_equal(lk_csv_open(s, '"', &c), LK_EINVAL);
    assert_int_equal(lk_csv_open(s, '\n', &c), LK_EINVAL);
    assert_int_equal(lk_csv_open(NULL, ',', &c), LK_EINVAL);
    assert_null(c);
    lk_csv_free(NULL);
    assert_string_equal(lk_csv_errmsg(NULL), "");
    assert_int_equal(lk_csv_errline(NULL), 0);
    lk_stream_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_cr),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_lenient_quote),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_io_error),
        cmocka_unit_test(test_gzip_input),
        cmocka_unit_test(test_block_boundaries),
        cmocka_unit_test(test_real_file),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
