/*
 * reader.c - one input file to sink records: open the stream (any codec),
 * decide CSV, JSON lines or one JSON document (by --format or by the first
 * bytes), and drive the CSV scanner or the line reader and JSON parser into
 * the format readers (fmt_csv.c, fmt_json.c).  Every row read is either
 * used or counted as skipped with a reason; with --on-error fail the first
 * bad row stops the run with "PATH:LINE: what was wrong".
 */
#include "fmt.h"
#include "io_stream.h"
#include "reader.h"

static const char *const skip_names[LK_SKIP_N] = {
    "malformed_csv",   "wrong_field_count", "bad_timestamp", "invalid_utf8", "empty_account",
    "empty_object",    "malformed_json",    "line_too_long", "bad_field",    "not_a_post",
    "deleted_account", "bot_account",       "duplicate",
};

const char *lk_skip_name(lk_skip k)
{
    return (unsigned)k < LK_SKIP_N ? skip_names[k] : "unknown";
}

lk_status lk_dataset_init(lk_dataset *ds)
{
    memset(ds, 0, sizeof *ds);
    lk_arena_init(&ds->content);
    if (lk_strpool_new(&ds->accounts) != LK_OK || lk_strpool_new(&ds->objects) != LK_OK) {
        lk_dataset_release(ds);
        return LK_ENOMEM;
    }
    return LK_OK;
}

void lk_dataset_release(lk_dataset *ds)
{
    free(ds->a);
    lk_strpool_free(ds->accounts);
    lk_strpool_free(ds->objects);
    lk_arena_release(&ds->content);
    memset(ds, 0, sizeof *ds);
}

int lk_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned c;
        /* ASCII fast path, eight bytes at a time: ids are nearly always
         * ASCII, and this check runs on every field of every row */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            if (i + 1 >= n || (s[i + 1] & 0xc0) != 0x80)
                return 0;
            i += 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            unsigned c1;
            if (i + 2 >= n || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80)
                return 0;
            c1 = s[i + 1];
            if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) /* overlong, surrogate */
                return 0;
            i += 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
            unsigned c1;
            if (i + 3 >= n || (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80 ||
                (s[i + 3] & 0xc0) != 0x80)
                return 0;
            c1 = s[i + 1];
            if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
                return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Bytes looked at to tell CSV from JSON. */
#define SNIFF_BYTES ((size_t)64 << 10)

/* Longest JSON line (and the CSV scanner's longest record). */
#define MAX_LINE ((size_t)64 << 20)

/* Largest single JSON document (Telegram's result.json). */
#define MAX_DOCUMENT ((size_t)4 << 30)

/* "NAME: what" from the stream, as "NAME:LINE: what". */
static void stream_error(lk_stream *s, uint64_t line, char *errbuf)
{
    const char *name = lk_stream_name(s);
    const char *m = lk_stream_errmsg(s);
    const size_t nl = strlen(name);

    if (strncmp(m, name, nl) == 0 && m[nl] == ':' && m[nl + 1] == ' ')
        m += nl + 2;
    lk_errf(errbuf, "%s:%llu: %s", name, (unsigned long long)line, m);
}

typedef enum sniffed { SNIFF_CSV, SNIFF_JSON, SNIFF_EMPTY } sniffed;

/* Read the first bytes, give them back, and say whether they start JSON. */
static lk_status sniff(lk_stream *s, sniffed *out, char *errbuf)
{
    unsigned char *buf = malloc(SNIFF_BYTES);
    size_t n = 0, i = 0;
    lk_status st = LK_OK;

    if (!buf)
        return LK_ENOMEM;
    while (n < SNIFF_BYTES) {
        const ptrdiff_t got = lk_stream_read(s, buf + n, SNIFF_BYTES - n);
        if (got < 0 && n == 0) {
            stream_error(s, 1, errbuf);
            free(buf);
            return (lk_status)got;
        }
        /* an error after some bytes is sticky: the scanner meets it again,
         * after the bytes given back, and reports it with its line */
        if (got <= 0)
            break;
        n += (size_t)got;
        /* enough once a non-space byte past a BOM is in */
        while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n' ||
                         (i < 3 && (buf[i] == 0xef || buf[i] == 0xbb || buf[i] == 0xbf))))
            i++;
        if (i < n)
            break;
    }
    if (i >= n)
        *out = SNIFF_EMPTY;
    else
        *out = (buf[i] == '{' || buf[i] == '[') ? SNIFF_JSON : SNIFF_CSV;
    st = lk_stream_unread(s, buf, n);
    free(buf);
    return st;
}

static lk_status read_csv(lk_stream *s, const lk_read_opts *ro, lk_sink *k, lk_input_stats *st,
                          char *errbuf)
{
    const char *name = lk_stream_name(s);
    lk_csv *csv = NULL;
    lk_csvfmt *cf = NULL;
    lk_csv_row r;
    lk_status rs, ret;
    size_t width = 0;
    lk_format f = LK_FMT_AUTO;

    if ((ret = lk_csv_open(s, ',', &csv)) != LK_OK)
        return ret;
    while ((rs = lk_csv_next(csv, &r)) != LK_EOF) {
        if (rs == LK_EIO) {
            stream_error(s, lk_csv_errline(csv), errbuf);
            ret = LK_EIO;
            goto cleanup;
        }
        if (rs == LK_ENOMEM) {
            ret = LK_ENOMEM;
            goto cleanup;
        }
        if (rs != LK_OK) { /* LK_EPARSE, LK_ELIMIT: the scanner has resynchronised */
            if (!cf) {
                lk_errf(errbuf, "%s:%llu: header: %s", name,
                        (unsigned long long)lk_csv_errline(csv), lk_csv_errmsg(csv));
                ret = LK_EPARSE;
                goto cleanup;
            }
            if ((ret = lk_sink_bad_line(k, lk_csv_errline(csv), LK_SKIP_MALFORMED_CSV, "%s",
                                        lk_csv_errmsg(csv))) != LK_OK)
                goto cleanup;
            continue;
        }
        if (!cf) {
            lk_csv_cols cols = {ro->col_object, ro->col_account, ro->col_content, ro->col_time};
            f = ro->format == LK_FMT_AUTO ? lk_csvfmt_sniff(&r) : ro->format;
            if ((ret = lk_csvfmt_open(f, &r, &cols, name, &cf, errbuf)) != LK_OK)
                goto cleanup;
            width = r.nfields;
            st->format = lk_format_name(f);
            continue;
        }
        if (r.nfields != width) {
            if ((ret = lk_sink_bad_line(k, r.line, LK_SKIP_FIELD_COUNT,
                                        "expected %zu fields as in the header, found %zu", width,
                                        r.nfields)) != LK_OK)
                goto cleanup;
            continue;
        }
        if ((ret = lk_csvfmt_row(cf, &r, k)) != LK_OK)
            goto cleanup;
    }
    if (!cf) {
        lk_errf(errbuf, "%s: empty input: no header line", name);
        ret = LK_EPARSE;
        goto cleanup;
    }
    st->format_rows[f] = st->rows_read;
    ret = LK_OK;
cleanup:
    lk_csvfmt_free(cf);
    lk_csv_free(csv);
    return ret;
}

/* 1-based line of byte offset off in text. */
static uint64_t line_of(const char *text, size_t off)
{
    uint64_t line = 1;
    for (const char *p = text, *end = text + off; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        line++;
    return line;
}

static int blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return 1;
}

/* The whole document is one JSON value (Telegram's result.json). */
static lk_status read_document(lk_lines *ln, const char *first, size_t nfirst, lk_jsonfmt *jf,
                               lk_json *j, lk_sink *k, char *errbuf, const char *name)
{
    lk_buf doc;
    lk_status ret;

    lk_buf_init(&doc);
    if ((ret = lk_buf_append(&doc, first, nfirst)) != LK_OK ||
        (ret = lk_buf_putc(&doc, '\n')) != LK_OK)
        goto cleanup;
    ret = lk_lines_rest(ln, &doc, MAX_DOCUMENT);
    if (ret == LK_ELIMIT) {
        lk_errf(errbuf, "%s: a JSON document over %zu GiB", name, MAX_DOCUMENT >> 30);
        goto cleanup;
    }
    if (ret != LK_OK)
        goto cleanup;
    ret = lk_json_parse(j, doc.p, doc.len);
    if (ret != LK_OK) {
        const size_t off = lk_json_erroff(j);
        /* one document: nothing after the error can be read, so it fails
         * whatever --on-error says */
        const uint64_t line = line_of(doc.p, LK_MIN(off, doc.len));
        if (lk_sink_bad_line(k, line,
                             lk_json_err_is_utf8(j) ? LK_SKIP_INVALID_UTF8 : LK_SKIP_MALFORMED_JSON,
                             "invalid JSON: %s", lk_json_errmsg(j)) == LK_OK)
            lk_errf(errbuf, "%s:%llu: invalid JSON: %s", name, (unsigned long long)line,
                    lk_json_errmsg(j));
        ret = LK_EPARSE;
        goto cleanup;
    }
    ret = lk_jsonfmt_document(jf, j, doc.p, doc.len, k);
cleanup:
    lk_buf_release(&doc);
    return ret;
}

static lk_status read_json(lk_stream *s, const lk_read_opts *ro, lk_sink *k, lk_input_stats *st,
                           char *errbuf)
{
    const char *name = lk_stream_name(s);
    lk_lines *ln = NULL;
    lk_json *j = NULL;
    lk_jsonfmt *jf = NULL;
    const char *p;
    size_t n;
    uint64_t line;
    lk_status rs, ret;
    int first = 1;

    if ((ret = lk_lines_open(s, MAX_LINE, &ln)) != LK_OK || (ret = lk_json_new(&j)) != LK_OK ||
        (ret = lk_jsonfmt_new(ro->format, &jf)) != LK_OK)
        goto cleanup;
    while ((rs = lk_lines_next(ln, &p, &n, &line)) != LK_EOF) {
        if (rs == LK_EIO) {
            stream_error(s, line, errbuf);
            ret = LK_EIO;
            goto cleanup;
        }
        if (rs == LK_ENOMEM) {
            ret = rs;
            goto cleanup;
        }
        if (rs == LK_ELIMIT) {
            if ((ret = lk_sink_bad_line(k, line, LK_SKIP_LINE_TOO_LONG, "line longer than %zu MiB",
                                        MAX_LINE >> 20)) != LK_OK)
                goto cleanup;
            first = 0;
            continue;
        }
        if (first && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
            p += 3;
            n -= 3;
        }
        if (blank(p, n))
            continue;
        rs = ro->format == LK_FMT_TELEGRAM ? LK_EPARSE : lk_json_parse(j, p, n);
        if (rs == LK_ENOMEM) {
            ret = rs;
            goto cleanup;
        }
        if (rs != LK_OK && first && (ro->format == LK_FMT_TELEGRAM || lk_json_erroff(j) >= n)) {
            /* the first line is not a whole value: a pretty-printed document */
            ret = read_document(ln, p, n, jf, j, k, errbuf, name);
            goto cleanup;
        }
        first = 0;
        if (rs != LK_OK) {
            if ((ret = lk_sink_bad_line(
                     k, line,
                     lk_json_err_is_utf8(j) ? LK_SKIP_INVALID_UTF8 : LK_SKIP_MALFORMED_JSON,
                     "invalid JSON at byte %zu: %s", lk_json_erroff(j) + 1, lk_json_errmsg(j))) !=
                LK_OK)
                goto cleanup;
            continue;
        }
        if ((ret = lk_jsonfmt_line(jf, j, line, k)) != LK_OK)
            goto cleanup;
    }
    ret = LK_OK;
cleanup:
    (void)st;
    lk_jsonfmt_free(jf);
    lk_json_free(j);
    lk_lines_free(ln);
    return ret;
}

/* The format name of a file: its only format, or "mixed". */
static const char *file_format(const lk_input_stats *st, const char *dflt)
{
    const char *one = NULL;
    for (int f = 1; f < LK_FMT_N; f++) {
        if (!st->format_rows[f])
            continue;
        if (one)
            return "mixed";
        one = lk_format_name((lk_format)f);
    }
    return one ? one : dflt;
}

lk_status lk_read_stream(lk_stream *s, uint32_t file_index, const lk_read_opts *ro, lk_sink *k,
                         lk_input_stats *st, char *errbuf)
{
    lk_status ret;
    sniffed kind = SNIFF_EMPTY;
    int json;

    st->format = "unknown";
    st->codec = lk_stream_codec(s);
    errbuf[0] = '\0';
    lk_sink_file(k, lk_stream_name(s), file_index, st, errbuf);
    if ((ret = sniff(s, &kind, errbuf)) != LK_OK) {
        if (ret == LK_ENOMEM)
            lk_errf(errbuf, "%s: out of memory", lk_stream_name(s));
        return ret;
    }
    if (ro->format != LK_FMT_AUTO) {
        json = !lk_format_is_csv(ro->format);
    } else if (kind == SNIFF_EMPTY) {
        lk_errf(errbuf, "%s: empty input: no header line and no JSON", lk_stream_name(s));
        return LK_EPARSE;
    } else {
        json = kind == SNIFF_JSON;
    }
    ret = json ? read_json(s, ro, k, st, errbuf) : read_csv(s, ro, k, st, errbuf);
    if (ret == LK_OK)
        ret = lk_sink_flush(k);
    else if (ret == LK_ENOMEM && !errbuf[0])
        lk_errf(errbuf, "%s: out of memory", lk_stream_name(s));
    if (json)
        st->format =
            file_format(st, ro->format != LK_FMT_AUTO ? lk_format_name(ro->format) : "unknown");
    return ret;
}

lk_status lk_read_file(const char *path, uint32_t file_index, const lk_read_opts *ro, lk_sink *k,
                       lk_input_stats *st, char *errbuf)
{
    lk_stream *s = NULL;
    lk_status ret;

    st->path = path;
    st->format = "unknown";
    st->codec = "plain";
    errbuf[0] = '\0';
    ret = lk_stream_open(path, &s, errbuf);
    if (ret == LK_OK)
        ret = lk_read_stream(s, file_index, ro, k, st, errbuf);
    lk_stream_close(s);
    return ret;
}
