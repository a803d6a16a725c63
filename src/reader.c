/*
 * reader.c - input files to actions: the generic CooRTweet-style CSV and the
 * QUT toolkit's positional CSV.  Every row read is either used or counted as
 * skipped with a reason; with --on-error fail the first bad row stops the run
 * with "PATH:LINE: what was wrong".
 */
#include "dataset.h"
#include "io_stream.h"
#include "parse_csv.h"
#include "parse_time.h"

static const char *const skip_names[LK_SKIP_N] = {
    "malformed_csv", "wrong_field_count", "bad_timestamp",
    "invalid_utf8",  "empty_account",     "empty_object",
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
        unsigned c = s[i];
        /* ASCII fast path: ids are nearly always ASCII */
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

/* Column positions of the four fields an action needs. */
typedef struct colmap {
    size_t object, account, content, time;
    const char *name_time, *name_object, *name_account, *name_content;
    size_t nfields; /* header width */
    const char *format;
} colmap;

static int field_is(const lk_csv_row *r, size_t i, const char *name)
{
    const char *f = r->field[i];
    size_t n = r->len[i];
    /* tolerate spaces around header names */
    while (n && (*f == ' ' || *f == '\t')) {
        f++;
        n--;
    }
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
        n--;
    return n == strlen(name) && memcmp(f, name, n) == 0;
}

static size_t find_col(const lk_csv_row *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (field_is(r, i, name))
            return i;
    return SIZE_MAX;
}

/* The QUT toolkit's CSV: positional columns, header names not checked by the
 * toolkit itself, but we need them to tell the format apart. */
static const char *const qut_cols[8] = {"message_id", "user_id", "username",  "repost_id",
                                        "reply_id",   "message", "timestamp", "urls"};

static int looks_qut(const lk_csv_row *r)
{
    if (r->nfields != 8)
        return 0;
    for (size_t i = 0; i < 8; i++)
        if (!field_is(r, i, qut_cols[i]))
            return 0;
    return 1;
}

static void list_header(const lk_csv_row *r, char *out, size_t outlen)
{
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->nfields && pos + 8 < outlen; i++) {
        int k = snprintf(out + pos, outlen - pos, "%s'%.*s'", i ? ", " : "",
                         (int)LK_MIN(r->len[i], 40), r->field[i]);
        if (k < 0)
            break;
        pos += (size_t)k;
    }
}

static lk_status map_header(const lk_csv_row *r, const lk_read_opts *ro, colmap *cm,
                            const char *path, char *errbuf)
{
    const char *fmt = ro->format ? ro->format : "auto";
    int want_qut = strcmp(fmt, "qut") == 0;
    int want_generic = strcmp(fmt, "generic") == 0;
    char cols[200];

    if (!want_qut && !want_generic && strcmp(fmt, "auto") != 0) {
        lk_errf(errbuf, "unknown format '%s' (expected auto, generic or qut)", fmt);
        return LK_EINVAL;
    }
    cm->nfields = r->nfields;
    if (want_qut || (!want_generic && looks_qut(r))) {
        if (r->nfields != 8) {
            lk_errf(errbuf, "%s:%llu: QUT format needs 8 columns, the header has %zu", path,
                    (unsigned long long)r->line, r->nfields);
            return LK_EPARSE;
        }
        cm->content = 0;
        cm->account = 1;
        cm->object = 3;
        cm->time = 6;
        cm->name_time = "timestamp";
        cm->name_object = "repost_id";
        cm->name_account = "user_id";
        cm->name_content = "message_id";
        cm->format = "qut";
        return LK_OK;
    }
    {
        const char *names[4] = {ro->col_object, ro->col_account, ro->col_content, ro->col_time};
        size_t *dst[4] = {&cm->object, &cm->account, &cm->content, &cm->time};
        for (int k = 0; k < 4; k++) {
            *dst[k] = find_col(r, names[k]);
            if (*dst[k] == SIZE_MAX) {
                list_header(r, cols, sizeof cols);
                lk_errf(errbuf, "%s:%llu: missing column '%s' (the header has %s)", path,
                        (unsigned long long)r->line, names[k], cols);
                return LK_EPARSE;
            }
        }
    }
    cm->name_time = ro->col_time;
    cm->name_object = ro->col_object;
    cm->name_account = ro->col_account;
    cm->name_content = ro->col_content;
    cm->format = "generic";
    return LK_OK;
}

/* JSON lines start with '{' (or '[' for an array); no CSV header does. */
static int looks_json(char c)
{
    return c == '{' || c == '[';
}

/* A row-level problem: fail with FILE:LINE or count it as skipped. */
static lk_status bad_row(const lk_read_opts *ro, lk_input_stats *st, lk_skip why, char *errbuf,
                         const char *path, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static lk_status bad_row(const lk_read_opts *ro, lk_input_stats *st, lk_skip why, char *errbuf,
                         const char *path, uint64_t line, const char *fmt, ...)
{
    char what[300];
    va_list ap;

    st->skipped[why]++;
    if (ro->skip_bad_rows)
        return LK_OK;
    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    lk_errf(errbuf, "%s:%llu: %s", path, (unsigned long long)line, what);
    return LK_EPARSE;
}

/* Quote a field for an error message: at most 40 bytes, control bytes as '?'. */
static const char *show(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        char ch = s[i];
        if (c < 0x20 || c == 0x7f)
            ch = '?';
        buf[k++] = ch;
    }
    if (n > 40 && k + 4 < cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/*
 * Interning is the reader's hot path and each lookup is a cache miss or two
 * (tables of millions of ids).  Good rows are therefore queued in batches:
 * their ids are copied aside and hashed, all table slots are prefetched,
 * then all strings, and only then are the ids interned, in input order, so
 * the misses of a batch overlap instead of following one another.
 */
#define LK_READ_BATCH 256

typedef struct pending {
    int64_t t;
    uint64_t line;
    uint64_t cref;           /* content, already in the arena */
    size_t acc_off, obj_off; /* in the batch's byte buffer */
    uint32_t acc_len, obj_len;
    uint32_t acc_h, obj_h;
} pending;

typedef struct batch {
    pending p[LK_READ_BATCH];
    size_t n;
    lk_buf bytes;
    /* the previous row's object: exports are often grouped by object */
    int have_last;
    uint32_t last_obj;
    const char *last_str;
    size_t last_len;
} batch;

static lk_status flush_batch(batch *bt, lk_dataset *ds, uint32_t file_index, const char *name,
                             char *errbuf)
{
    lk_status ret;

    if (bt->n == 0)
        return LK_OK;
    if (ds->n + bt->n >= UINT32_MAX) {
        lk_errf(errbuf, "%s:%llu: more than 2^32 rows in one process", name,
                (unsigned long long)bt->p[0].line);
        return LK_ELIMIT;
    }
    if ((ret = LK_GROW(ds->a, ds->n + bt->n, ds->cap)) != LK_OK) {
        lk_errf(errbuf, "%s:%llu: %s", name, (unsigned long long)bt->p[0].line, lk_strerror(ret));
        return ret;
    }
    for (size_t k = 0; k < bt->n; k++) {
        lk_strpool_prefetch(ds->accounts, bt->p[k].acc_h);
        lk_strpool_prefetch(ds->objects, bt->p[k].obj_h);
    }
    for (size_t k = 0; k < bt->n; k++) {
        lk_strpool_prefetch_str(ds->accounts, bt->p[k].acc_h);
        lk_strpool_prefetch_str(ds->objects, bt->p[k].obj_h);
    }
    for (size_t k = 0; k < bt->n; k++) {
        const pending *q = &bt->p[k];
        const char *acc_s = bt->bytes.p + q->acc_off, *obj_s = bt->bytes.p + q->obj_off;
        uint32_t acc, obj;
        lk_action *a;

        if (bt->have_last && q->obj_len == bt->last_len &&
            memcmp(obj_s, bt->last_str, q->obj_len) == 0) {
            obj = bt->last_obj;
        } else {
            size_t ln;
            if ((ret = lk_strpool_intern_hashed(ds->objects, obj_s, q->obj_len, q->obj_h, &obj,
                                                NULL)) != LK_OK)
                goto fail;
            bt->last_str = lk_strpool_get(ds->objects, obj, &ln);
            bt->last_len = ln;
            bt->last_obj = obj;
            bt->have_last = 1;
        }
        if ((ret = lk_strpool_intern_hashed(ds->accounts, acc_s, q->acc_len, q->acc_h, &acc,
                                            NULL)) != LK_OK)
            goto fail;
        a = &ds->a[ds->n];
        a->t = q->t;
        a->content = q->cref;
        a->account = acc;
        a->object = obj;
        a->row = (uint32_t)ds->n;
        a->file = file_index;
        ds->n++;
        continue;
    fail:
        lk_errf(errbuf, "%s:%llu: %s", name, (unsigned long long)q->line, lk_strerror(ret));
        return ret;
    }
    bt->n = 0;
    lk_buf_reset(&bt->bytes);
    return LK_OK;
}

lk_status lk_read_file(const char *path, uint32_t file_index, const lk_read_opts *ro,
                       lk_dataset *ds, lk_input_stats *st, char *errbuf)
{
    lk_stream *s = NULL;
    lk_csv *csv = NULL;
    lk_csv_row r;
    colmap cm;
    lk_status rs, ret = LK_OK;
    int have_header = 0;
    char tmp[64];
    batch *bt = calloc(1, sizeof *bt);

    if (!bt) {
        lk_errf(errbuf, "%s: out of memory", path);
        return LK_ENOMEM;
    }
    lk_buf_init(&bt->bytes);

    st->path = path;
    st->format = "unknown";
    st->codec = "plain";
    ret = lk_stream_open(path, &s, errbuf);
    if (ret != LK_OK)
        goto cleanup;
    st->codec = lk_stream_codec(s);
    ret = lk_csv_open(s, ',', &csv);
    if (ret != LK_OK)
        goto cleanup;

    while ((rs = lk_csv_next(csv, &r)) != LK_EOF) {
        const char *name = lk_stream_name(s);
        if (rs == LK_EIO) {
            /* the stream says "NAME: what"; put the line in between */
            const char *m = lk_stream_errmsg(s);
            size_t nl = strlen(name);
            if (strncmp(m, name, nl) == 0 && m[nl] == ':' && m[nl + 1] == ' ')
                m += nl + 2;
            lk_errf(errbuf, "%s:%llu: %s", name, (unsigned long long)lk_csv_errline(csv), m);
            ret = LK_EIO;
            goto cleanup;
        }
        if (rs == LK_ENOMEM) {
            ret = LK_ENOMEM;
            goto cleanup;
        }
        if (rs != LK_OK) { /* LK_EPARSE, LK_ELIMIT: the scanner has resynchronised */
            if (!have_header && lk_csv_errline(csv) == 1 &&
                looks_json((char)lk_csv_first_byte(csv))) {
                lk_errf(errbuf,
                        "%s:1: this looks like JSON; this version reads CSV only (the "
                        "generic object_id,account_id,content_id,timestamp_share "
                        "columns or the QUT toolkit's 8 columns)",
                        name);
                ret = LK_EPARSE;
                goto cleanup;
            }
            if (!have_header) {
                lk_errf(errbuf, "%s:%llu: header: %s", name,
                        (unsigned long long)lk_csv_errline(csv), lk_csv_errmsg(csv));
                ret = LK_EPARSE;
                goto cleanup;
            }
            st->rows_read++;
            ret = bad_row(ro, st, LK_SKIP_MALFORMED_CSV, errbuf, name, lk_csv_errline(csv), "%s",
                          lk_csv_errmsg(csv));
            if (ret != LK_OK)
                goto cleanup;
            continue;
        }
        if (!have_header && r.nfields && r.len[0] && looks_json(r.field[0][0])) {
            lk_errf(errbuf,
                    "%s:%llu: this looks like JSON; this version reads CSV only (the "
                    "generic object_id,account_id,content_id,timestamp_share columns or "
                    "the QUT toolkit's 8 columns)",
                    name, (unsigned long long)r.line);
            ret = LK_EPARSE;
            goto cleanup;
        }
        if (!have_header) {
            ret = map_header(&r, ro, &cm, name, errbuf);
            if (ret != LK_OK)
                goto cleanup;
            st->format = cm.format;
            have_header = 1;
            continue;
        }
        st->rows_read++;
        if (r.nfields != cm.nfields) {
            ret = bad_row(ro, st, LK_SKIP_FIELD_COUNT, errbuf, name, r.line,
                          "expected %zu fields as in the header, found %zu", cm.nfields, r.nfields);
            if (ret != LK_OK)
                goto cleanup;
            continue;
        }
        {
            const size_t ci[3] = {cm.account, cm.object, cm.content};
            const char *const cname[3] = {cm.name_account, cm.name_object, cm.name_content};
            int bad = -1;
            for (int k = 0; k < 3; k++)
                if (!lk_utf8_valid(r.field[ci[k]], r.len[ci[k]])) {
                    bad = k;
                    break;
                }
            if (bad >= 0) {
                ret = bad_row(ro, st, LK_SKIP_INVALID_UTF8, errbuf, name, r.line,
                              "field %zu ('%s'): invalid UTF-8", ci[bad] + 1, cname[bad]);
                if (ret != LK_OK)
                    goto cleanup;
                continue;
            }
        }
        {
            int64_t t;
            const char *why = NULL;

            if (lk_parse_time(r.field[cm.time], r.len[cm.time], &t, &why) != LK_OK) {
                ret = bad_row(ro, st, LK_SKIP_BAD_TIMESTAMP, errbuf, name, r.line,
                              "field %zu ('%s'): %s: '%s'", cm.time + 1, cm.name_time,
                              why ? why : "invalid",
                              show(r.field[cm.time], r.len[cm.time], tmp, sizeof tmp));
                if (ret != LK_OK)
                    goto cleanup;
                continue;
            }
            if (r.len[cm.account] == 0) {
                st->skipped[LK_SKIP_EMPTY_ACCOUNT]++;
                continue;
            }
            if (r.len[cm.object] == 0 && !ro->keep_empty_objects) {
                st->skipped[LK_SKIP_EMPTY_OBJECT]++;
                continue;
            }
            {
                pending *q = &bt->p[bt->n];
                const size_t la = r.len[cm.account], lo = r.len[cm.object];
                if ((ret = lk_arena_add(&ds->content, r.field[cm.content], r.len[cm.content],
                                        &q->cref)) != LK_OK ||
                    (ret = lk_buf_reserve(&bt->bytes, la + lo)) != LK_OK) {
                    lk_errf(errbuf, "%s:%llu: %s", name, (unsigned long long)r.line,
                            lk_strerror(ret));
                    goto cleanup;
                }
                q->t = t;
                q->line = r.line;
                q->acc_off = bt->bytes.len;
                q->acc_len = (uint32_t)la;
                q->acc_h = lk_strpool_hash(r.field[cm.account], la);
                if (lk_buf_append(&bt->bytes, r.field[cm.account], la) != LK_OK)
                    goto nomem;
                q->obj_off = bt->bytes.len;
                q->obj_len = (uint32_t)lo;
                q->obj_h = lk_strpool_hash(r.field[cm.object], lo);
                if (lk_buf_append(&bt->bytes, r.field[cm.object], lo) != LK_OK)
                    goto nomem;
                /* counted when queued, so that the accounting holds even
                 * when a later row stops the run before the flush */
                st->rows_used++;
                if (++bt->n == LK_READ_BATCH &&
                    (ret = flush_batch(bt, ds, file_index, name, errbuf)) != LK_OK)
                    goto cleanup;
            }
        }
    }
    if (have_header && (ret = flush_batch(bt, ds, file_index, lk_stream_name(s), errbuf)) != LK_OK)
        goto cleanup;
    if (!have_header) {
        lk_errf(errbuf, "%s: empty input: no header line", lk_stream_name(s));
        ret = LK_EPARSE;
    }
    goto cleanup;
nomem:
    lk_errf(errbuf, "%s: out of memory", path);
    ret = LK_ENOMEM;
cleanup:
    if (bt)
        lk_buf_release(&bt->bytes);
    free(bt);
    lk_csv_free(csv);
    lk_stream_close(s);
    return ret;
}
