/*
 * lk_csvdump.c - print what the CSV scanner makes of a file, for scripted
 * comparisons (tests/py/test_csv_differential.py).
 *
 * Usage: lk_csvdump [-d SEP] FILE|-...
 * One line per lk_csv_next() result: a record as a JSON array of strings,
 * or "ERROR <line> <message>" for LK_EPARSE / LK_ELIMIT (the scan goes on,
 * so resynchronisation is visible too).  With several files, each file's
 * lines follow a line "== <path>", so that one process can check thousands
 * of small documents.  Exit 0 when every file reached a clean end, 1 on an
 * I/O or memory failure, 2 on bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "lk_internal.h"
#include "parse_csv.h"

/* Append a JSON string: bytes >= 0x80 pass through (the input is UTF-8
 * text in our tests), control bytes and the two JSON specials are escaped. */
static lk_status put_json_string(lk_buf *out, const char *s, size_t n)
{
    lk_status st = lk_buf_putc(out, '"');

    for (size_t i = 0; i < n && st == LK_OK; i++) {
        const unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            st = lk_buf_printf(out, "\\%c", ch);
        else if (ch < 0x20)
            st = lk_buf_printf(out, "\\u%04x", ch);
        else
            st = lk_buf_putc(out, (char)ch);
    }
    return st == LK_OK ? lk_buf_putc(out, '"') : st;
}

/* Format one scanner result as a line of output into `line`. */
static lk_status format_result(lk_buf *line, lk_status st, const lk_csv *c, const lk_csv_row *r)
{
    lk_status ret = LK_OK;

    lk_buf_reset(line);
    if (st != LK_OK)
        return lk_buf_printf(line, "ERROR %llu %s\n", (unsigned long long)lk_csv_errline(c),
                             lk_csv_errmsg(c));
    ret = lk_buf_putc(line, '[');
    for (size_t i = 0; i < r->nfields && ret == LK_OK; i++) {
        if (i)
            ret = lk_buf_putc(line, ',');
        if (ret == LK_OK)
            ret = put_json_string(line, r->field[i], r->len[i]);
    }
    return ret == LK_OK ? lk_buf_append(line, "]\n", 2) : ret;
}

/* Dump one file; returns 0 at a clean end of input. */
static int dump_file(const char *path, char sep)
{
    char errbuf[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csv_row r = {0};
    lk_status st;
    lk_buf line;
    int rc = 1;

    lk_buf_init(&line);
    if (lk_stream_open(path, &s, errbuf) != LK_OK) {
        (void)fprintf(stderr, "lk_csvdump: %s\n", errbuf);
        goto cleanup;
    }
    if (lk_csv_open(s, sep, &c) != LK_OK) {
        (void)fprintf(stderr, "lk_csvdump: cannot start the scanner\n");
        goto cleanup;
    }
    for (;;) {
        st = lk_csv_next(c, &r);
        if (st != LK_OK && st != LK_EPARSE && st != LK_ELIMIT)
            break;
        if (format_result(&line, st, c, &r) != LK_OK ||
            fwrite(line.p, 1, line.len, stdout) != line.len) {
            (void)fprintf(stderr, "lk_csvdump: cannot write output\n");
            goto cleanup;
        }
    }
    if (st != LK_EOF) {
        (void)fprintf(stderr, "lk_csvdump: %s: %s\n", path, lk_csv_errmsg(c));
        goto cleanup;
    }
    rc = 0;
cleanup:
    lk_buf_release(&line);
    lk_csv_free(c);
    lk_stream_close(s);
    return rc;
}

int main(int argc, char **argv)
{
    char sep = ',';
    int first = 1, rc = 0;

    if (argc >= 3 && strcmp(argv[1], "-d") == 0) {
        if (strlen(argv[2]) != 1) {
            (void)fprintf(stderr, "usage: lk_csvdump [-d SEP] FILE|-...\n");
            return 2;
        }
        sep = argv[2][0];
        first = 3;
    }
    if (first >= argc) {
        (void)fprintf(stderr, "usage: lk_csvdump [-d SEP] FILE|-...\n");
        return 2;
    }
    for (int i = first; i < argc; i++) {
        if (argc - first > 1 && printf("== %s\n", argv[i]) < 0)
            rc = 1;
        if (dump_file(argv[i], sep) != 0)
            rc = 1;
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = 1;
    return rc;
}
