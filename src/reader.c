/*
 * reader.c - one input file to sink records: open the stream (any codec),
 * decide CSV, JSON lines or one JSON document (by --format or by the first
 * bytes), and drive the CSV scanner or the line reader and JSON parser into
 * the format readers (fmt_csv.c, fmt_json.c).  Every row read is either
 * used or counted as skipped with a reason; with --on-error fail the first
 * bad row stops the run with "PATH:LINE: what was wrong".
 *
 * With ro->threads > 1, or split over the ranks of a distributed run
 * (ro->dist_bytes), the data of a CSV or JSON-lines file (after the CSV
 * header, or once the first JSON line is known to be a whole value) goes
 * through reader_par.c: the same row loops below then run on chunks, on
 * worker threads, and on what cannot be cut into chunks.
 */
#include <unistd.h>

#include "io_stream.h"
#include "par.h"
#include "tmpfile.h"
#include "wbehind.h"
#include "reader_int.h"

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
    free(ds->trefs);
    lk_wbehind_drain(ds->wb); /* (the sink's) nothing written behind after the files close */
    if (ds->spill_fd1)
        lk_tmpfile_close(ds->spill_fd1 - 1);
    if (ds->refs_fd1)
        lk_tmpfile_close(ds->refs_fd1 - 1);
    lk_strpool_free(ds->accounts);
    lk_strpool_free(ds->objects);
    lk_arena_release(&ds->content);
    if (ds->park_fd1)
        lk_tmpfile_close(ds->park_fd1 - 1);
    memset(ds, 0, sizeof *ds);
}

/* The park file, made on first use. */
static lk_status park_file(lk_dataset *ds, const char *dir, char *errbuf)
{
    int fd;
    lk_status st;

    if (ds->park_fd1)
        return LK_OK;
    dir = lk_tmpfile_dir(dir);
    if ((st = lk_tmpfile_open(dir, &fd, errbuf)) != LK_OK)
        return st;
    ds->park_fd1 = fd + 1;
    ds->park_dir = lk_tmpfile_dir(dir);
    ds->park_end = 0;
    return LK_OK;
}

lk_status lk_dataset_park(lk_dataset *ds, const char *dir, int with_tables, char *errbuf)
{
    uint64_t off;
    int fd;
    lk_status st;

    if (ds->content.parked)
        return LK_OK;
    if ((st = park_file(ds, dir, errbuf)) != LK_OK)
        return st;
    fd = ds->park_fd1 - 1;
    dir = ds->park_dir;
    off = ds->park_end;
    /* a failure part-way leaves what is not parked in memory; the caller
     * gives up (lk_dataset_release frees both kinds) */
    if ((st = lk_strpool_park(ds->accounts, fd, &off, with_tables, dir, errbuf)) != LK_OK ||
        (st = lk_strpool_park(ds->objects, fd, &off, with_tables, dir, errbuf)) != LK_OK ||
        (st = lk_arena_park(&ds->content, fd, &off, dir, errbuf)) != LK_OK)
        return st;
    ds->park_end = off;
    return LK_OK;
}

lk_status lk_dataset_park_grow(lk_dataset *ds, const char *dir, const size_t room[2], char *errbuf)
{
    int fd;
    lk_status st;

    if (ds->content.parked)
        return LK_EINVAL;
    if ((st = park_file(ds, dir, errbuf)) != LK_OK)
        return st;
    fd = ds->park_fd1 - 1;
    dir = ds->park_dir;
    /* the content ids first: the tables then grow at the file's end, each
     * a chunk at a time wherever the end is then */
    if ((st = lk_arena_park(&ds->content, fd, &ds->park_end, dir, errbuf)) != LK_OK ||
        (st = lk_strpool_park_grow(ds->accounts, fd, &ds->park_end, room[0], dir, errbuf)) !=
            LK_OK ||
        (st = lk_strpool_park_grow(ds->objects, fd, &ds->park_end, room[1], dir, errbuf)) != LK_OK)
        return st;
    return LK_OK;
}

lk_status lk_dataset_grow_end(lk_dataset *ds)
{
    lk_status st = lk_strpool_grow_end(ds->accounts);
    return st == LK_OK ? lk_strpool_grow_end(ds->objects) : st;
}

lk_status lk_dataset_spill(lk_dataset *ds, const char *dir, char *errbuf)
{
    int fd, rfd;
    lk_status st;

    if (ds->spill_fd1 || ds->n)
        return LK_OK;
    dir = lk_tmpfile_dir(dir);
    if ((st = lk_tmpfile_open(dir, &fd, errbuf)) != LK_OK)
        return st;
    if ((st = lk_tmpfile_open(dir, &rfd, errbuf)) != LK_OK) {
        lk_tmpfile_close(fd);
        return st;
    }
    /* and the content ids to a file of their own, a chunk at a time */
    if ((st = lk_arena_spill(&ds->content, dir, errbuf)) != LK_OK) {
        lk_tmpfile_close(rfd);
        lk_tmpfile_close(fd);
        return st;
    }
    free(ds->a);
    ds->a = NULL;
    ds->cap = 0;
    ds->spill_fd1 = fd + 1;
    ds->refs_fd1 = rfd + 1;
    ds->spill_dir = lk_tmpfile_dir(dir);
    ds->spill_n = 0;
    return LK_OK;
}

lk_status lk_dataset_spill_flush(lk_dataset *ds, int drop, char *errbuf)
{
    const size_t m = ds->n - ds->spill_n;
    lk_status st;

    if (!ds->spill_fd1)
        return LK_OK;
    if (m > 0) {
        if ((st = lk_wbehind_write(ds->wb, ds->spill_fd1 - 1, ds->a, m * sizeof *ds->a,
                                   (uint64_t)ds->spill_n * sizeof *ds->a, ds->spill_dir, errbuf)) !=
                LK_OK ||
            (st = lk_wbehind_write(ds->wb, ds->refs_fd1 - 1, ds->trefs, m * sizeof *ds->trefs,
                                   (uint64_t)ds->spill_n * sizeof *ds->trefs, ds->spill_dir,
                                   errbuf)) != LK_OK)
            return st;
        ds->spill_n = ds->n;
    }
    if (drop) {
        free(ds->a);
        free(ds->trefs);
        ds->a = NULL;
        ds->trefs = NULL;
        ds->cap = 0;
    }
    return LK_OK;
}

lk_status lk_dataset_spill_room(lk_dataset *ds, size_t m, char *errbuf)
{
    lk_status st;

    if (ds->n - ds->spill_n + m > LK_DS_BLOCK &&
        (st = lk_dataset_spill_flush(ds, 0, errbuf)) != LK_OK)
        return st;
    if (!ds->a) {
        ds->a = malloc(LK_DS_BLOCK * sizeof *ds->a);
        ds->trefs = malloc(LK_DS_BLOCK * sizeof *ds->trefs);
        if (!ds->a || !ds->trefs) {
            free(ds->a);
            free(ds->trefs);
            ds->a = NULL;
            ds->trefs = NULL;
            return LK_ENOMEM;
        }
        ds->cap = LK_DS_BLOCK;
    }
    return LK_OK;
}

lk_status lk_dataset_spilled_each(const lk_dataset *ds,
                                  void (*fn)(void *ctx, const lk_action *a, size_t m), void *ctx,
                                  char *errbuf)
{
    lk_action *buf = malloc(LK_DS_BLOCK * sizeof *buf);
    lk_status st = LK_OK;

    if (!buf)
        return LK_ENOMEM;
    for (size_t from = 0; from < ds->spill_n && st == LK_OK; from += LK_DS_BLOCK) {
        const size_t m = LK_MIN(LK_DS_BLOCK, ds->spill_n - from);
        if ((st = lk_tmpfile_read(ds->spill_fd1 - 1, buf, m * sizeof *buf,
                                  (uint64_t)from * sizeof *buf, ds->spill_dir, errbuf)) == LK_OK)
            fn(ctx, buf, m);
    }
    free(buf);
    return st;
}

lk_status lk_dataset_rewrite(lk_dataset *ds, size_t from,
                             lk_status (*fn)(void *ctx, lk_action *a, size_t m, char *errbuf),
                             void *ctx, char *errbuf)
{
    lk_action *buf;
    lk_status st;

    if (!ds->spill_fd1)
        return LK_EINVAL;
    if ((st = lk_dataset_spill_flush(ds, 0, errbuf)) != LK_OK)
        return st;
    if (!(buf = malloc(LK_DS_BLOCK * sizeof *buf)))
        return LK_ENOMEM;
    for (size_t at = from; at < ds->spill_n && st == LK_OK; at += LK_DS_BLOCK) {
        const size_t m = LK_MIN(LK_DS_BLOCK, ds->spill_n - at);
        const uint64_t off = (uint64_t)at * sizeof *buf;
        if ((st = lk_tmpfile_read(ds->spill_fd1 - 1, buf, m * sizeof *buf, off, ds->spill_dir,
                                  errbuf)) == LK_OK &&
            (st = fn(ctx, buf, m, errbuf)) == LK_OK)
            st = lk_tmpfile_write(ds->spill_fd1 - 1, buf, m * sizeof *buf, off, ds->spill_dir,
                                  errbuf);
    }
    free(buf);
    return st;
}

/* lk_dataset_spilled_par's rounds: parts x LK_DS_BLOCK actions read into
 * buf, a slice a part, then each part's fn over all of them. */
typedef struct spilledpar {
    const lk_dataset *ds;
    void (*fn)(void *ctx, const lk_action *a, size_t m);
    char *ctxs;
    size_t ctx_size;
    unsigned parts;
    lk_action *buf;
    size_t from, m; /* the round: actions [from, from + m) */
    lk_status *st;
    char (*msg)[LK_ERRMSG_MAX];
} spilledpar;

static void spilled_read(void *ctx, size_t task, unsigned worker)
{
    const spilledpar *p = ctx;
    const size_t lo = p->m * task / p->parts, hi = p->m * (task + 1) / p->parts;
    (void)worker;
    if (hi > lo)
        p->st[task] = lk_tmpfile_read(p->ds->spill_fd1 - 1, p->buf + lo, (hi - lo) * sizeof *p->buf,
                                      (uint64_t)(p->from + lo) * sizeof *p->buf, p->ds->spill_dir,
                                      p->msg[task]);
}

static void spilled_task(void *ctx, size_t task, unsigned worker)
{
    const spilledpar *p = ctx;
    (void)worker;
    p->fn(p->ctxs + task * p->ctx_size, p->buf, p->m);
}

lk_status lk_dataset_spilled_par(const lk_dataset *ds, unsigned parts,
                                 void (*fn)(void *ctx, const lk_action *a, size_t m), void *ctxs,
                                 size_t ctx_size, char *errbuf)
{
    spilledpar p = {ds, fn, ctxs, ctx_size, parts, NULL, 0, 0, NULL, NULL};
    const size_t round = (size_t)parts * LK_DS_BLOCK;
    lk_status st = LK_ENOMEM;

    if (parts <= 1)
        return lk_dataset_spilled_each(ds, fn, ctxs, errbuf);
    p.st = calloc(parts, sizeof *p.st); /* LK_OK */
    p.msg = calloc(parts, sizeof *p.msg);
    p.buf = malloc(round * sizeof *p.buf);
    if (p.st && p.msg && p.buf) {
        st = LK_OK;
        for (p.from = 0; p.from < ds->spill_n && st == LK_OK; p.from += round) {
            p.m = LK_MIN(round, ds->spill_n - p.from);
            /* every task runs even when a thread fails to start */
            (void)lk_par_run(parts, parts, spilled_read, &p);
            for (unsigned k = 0; k < parts && st == LK_OK; k++)
                if ((st = p.st[k]) != LK_OK)
                    (void)snprintf(errbuf, LK_ERRMSG_MAX, "%s", p.msg[k]);
            if (st == LK_OK)
                (void)lk_par_run(parts, parts, spilled_task, &p);
        }
    }
    free(p.st);
    free(p.msg);
    free(p.buf);
    return st;
}

lk_status lk_dataset_park_actions(lk_dataset *ds, const char *dir, char *errbuf)
{
    lk_status st;

    if (ds->spill_fd1) /* already on disk: what is left goes there */
        return lk_dataset_spill_flush(ds, 1, errbuf);
    if (ds->a_parked)
        return LK_OK;
    if ((st = park_file(ds, dir, errbuf)) != LK_OK ||
        (st = lk_tmpfile_write(ds->park_fd1 - 1, ds->a, ds->n * sizeof *ds->a, ds->park_end,
                               ds->park_dir, errbuf)) != LK_OK)
        return st;
    ds->a_off = ds->park_end;
    ds->park_end += ds->n * sizeof *ds->a;
    free(ds->a);
    ds->a = NULL;
    ds->a_parked = 1;
    return LK_OK;
}

lk_status lk_dataset_pick_content(lk_dataset *ds, uint64_t *refs, size_t n, char *errbuf)
{
    lk_arena picked;
    lk_status st;

    if (!ds->park_fd1 || !ds->content.parked)
        return LK_OK;
    if ((st = lk_arena_pick(&ds->content, ds->park_fd1 - 1, ds->park_dir, refs, n, &picked,
                            errbuf)) != LK_OK)
        return st;
    lk_arena_release(&ds->content);
    ds->content = picked;
    return LK_OK;
}

/* lk_dataset_unpark (ids NULL) and lk_dataset_unpark_ids. */
static lk_status unpark(lk_dataset *ds, int lookup, const uint32_t *const *ids, const size_t *nids,
                        unsigned threads, char *errbuf)
{
    const int fd = ds->park_fd1 - 1;
    lk_strpool *pool[2] = {ds->accounts, ds->objects};
    lk_status st;

    if (!ds->park_fd1)
        return LK_OK;
    for (int i = 0; i < 2; i++)
        if ((st = ids ? lk_strpool_unpark_ids(pool[i], fd, ds->park_dir, ids[i], nids[i], threads,
                                              errbuf)
                      : lk_strpool_unpark(pool[i], fd, ds->park_dir, lookup, threads, errbuf)) !=
            LK_OK)
            return st;
    if ((st = lk_arena_unpark(&ds->content, fd, ds->park_dir, threads, errbuf)) != LK_OK)
        return st;
    if (ds->a_parked) {
        /* at the old capacity: the table grows on as if never parked */
        if (ds->cap && !(ds->a = malloc(ds->cap * sizeof *ds->a)))
            return LK_ENOMEM;
        if ((st = lk_tmpfile_read_par(fd, ds->a, ds->n * sizeof *ds->a, ds->a_off, threads,
                                      ds->park_dir, errbuf)) != LK_OK)
            return st;
        ds->a_parked = 0;
    }
    lk_tmpfile_close(fd);
    ds->park_fd1 = 0;
    ds->park_end = 0;
    return LK_OK;
}

lk_status lk_dataset_unpark(lk_dataset *ds, int lookup, unsigned threads, char *errbuf)
{
    return unpark(ds, lookup, NULL, NULL, threads, errbuf);
}

lk_status lk_dataset_unpark_ids(lk_dataset *ds, const uint32_t *const ids[2], const size_t nids[2],
                                unsigned threads, char *errbuf)
{
    return unpark(ds, 0, ids, nids, threads, errbuf);
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

/* The data rows of a CSV file, after its header.  serial == NULL: a whole
 * stream, scanner errors are bad rows; else a chunk, where a scanner error
 * sets *serial and stops (see lk_chunk_ops). */
static lk_status csv_rows(lk_csv *csv, lk_stream *s, lk_csvfmt *cf, size_t width, lk_sink *k,
                          char *errbuf, int *serial)
{
    lk_csv_row r;
    lk_status rs, ret;

    while ((rs = lk_csv_next(csv, &r)) != LK_EOF) {
        if (rs == LK_EIO) {
            stream_error(s, lk_csv_errline(csv), errbuf);
            return LK_EIO;
        }
        if (rs == LK_ENOMEM)
            return LK_ENOMEM;
        if (rs != LK_OK) { /* LK_EPARSE, LK_ELIMIT: the scanner has resynchronised */
            if (serial) {
                *serial = 1;
                return LK_OK;
            }
            if ((ret = lk_sink_bad_line(k, lk_csv_errline(csv), LK_SKIP_MALFORMED_CSV, "%s",
                                        lk_csv_errmsg(csv))) != LK_OK)
                return ret;
            continue;
        }
        if (r.nfields != width) {
            if ((ret = lk_sink_bad_line(k, r.line, LK_SKIP_FIELD_COUNT,
                                        "expected %zu fields as in the header, found %zu", width,
                                        r.nfields)) != LK_OK)
                return ret;
            continue;
        }
        if ((ret = lk_csvfmt_row(cf, &r, k)) != LK_OK)
            return ret;
    }
    return LK_OK;
}

/* A CSV file read in parallel: the header's column map, cloned per worker. */
typedef struct csv_par {
    lk_stream *s;
    lk_csvfmt *cf;
    lk_csvfmt **wcf; /* per worker, made on first use */
    size_t width;
    int skip_lf; /* the header ended in CR */
    lk_sink *k;
    char *errbuf;
} csv_par;

static lk_status csv_chunk(void *ctx, unsigned worker, const char *p, size_t n, int first,
                           lk_sink *wk, uint64_t *lines, int *serial)
{
    csv_par *c = ctx;
    char eb[LK_ERRMSG_MAX];
    lk_stream *ms = NULL;
    lk_csv *csv = NULL;
    lk_status ret;

    if ((!c->wcf[worker] && (ret = lk_csvfmt_clone(c->cf, &c->wcf[worker])) != LK_OK) ||
        (ret = lk_stream_open_mem_plain(p, n, lk_stream_name(c->s), &ms, eb)) != LK_OK ||
        (ret = lk_csv_open(ms, ',', &csv)) != LK_OK)
        goto cleanup;
    lk_csv_resume(csv, 1, first ? c->skip_lf : 0);
    ret = csv_rows(csv, ms, c->wcf[worker], c->width, wk, eb, serial);
    *lines = lk_csv_line(csv) - 1;
cleanup:
    lk_csv_free(csv);
    lk_stream_close(ms);
    return ret;
}

static lk_status csv_rest(void *ctx, uint64_t line, int first)
{
    csv_par *c = ctx;
    lk_csv *csv = NULL;
    lk_status ret;

    if ((ret = lk_csv_open(c->s, ',', &csv)) != LK_OK)
        return ret;
    lk_csv_resume(csv, line, first ? c->skip_lf : 0);
    ret = csv_rows(csv, c->s, c->cf, c->width, c->k, c->errbuf, NULL);
    lk_csv_free(csv);
    return ret;
}

static lk_status csv_parallel(lk_stream *s, lk_csv *csv, lk_csvfmt *cf, size_t width,
                              const lk_read_opts *ro, lk_sink *k, char *errbuf)
{
    csv_par c;
    lk_chunk_ops ops;
    const char *rest;
    size_t nrest;
    lk_status ret;

    memset(&c, 0, sizeof c);
    c.s = s;
    c.cf = cf;
    c.width = width;
    c.k = k;
    c.errbuf = errbuf;
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers
    if (!(c.wcf = calloc(ro->threads, sizeof *c.wcf)))
        return LK_ENOMEM;
    lk_csv_rest(csv, &rest, &nrest, &c.skip_lf);
    ops.csv = 1;
    ops.first_end = 1;
    ops.chunk = csv_chunk;
    ops.rest = csv_rest;
    ops.ctx = &c;
    ret = lk_read_chunked(s, ro, rest, nrest, lk_csv_line(csv), &ops, k, errbuf);
    for (unsigned w = 0; w < ro->threads; w++)
        lk_csvfmt_free(c.wcf[w]);
    free(c.wcf);
    return ret;
}

static lk_status read_csv(lk_stream *s, const lk_read_opts *ro, lk_sink *k, lk_input_stats *st,
                          char *errbuf)
{
    const char *name = lk_stream_name(s);
    lk_csv *csv = NULL;
    lk_csvfmt *cf = NULL;
    lk_csv_row r;
    lk_status rs, ret;
    lk_csv_cols cols = {ro->col_object, ro->col_account, ro->col_content, ro->col_time};
    lk_format f;

    if ((ret = lk_csv_open(s, ',', &csv)) != LK_OK)
        return ret;
    /* the header: the first record */
    rs = lk_csv_next(csv, &r);
    if (rs == LK_EOF) {
        lk_errf(errbuf, "%s: empty input: no header line", name);
        ret = LK_EPARSE;
        goto cleanup;
    }
    if (rs == LK_EIO) {
        stream_error(s, lk_csv_errline(csv), errbuf);
        ret = LK_EIO;
        goto cleanup;
    }
    if (rs == LK_ENOMEM) {
        ret = LK_ENOMEM;
        goto cleanup;
    }
    if (rs != LK_OK) {
        lk_errf(errbuf, "%s:%llu: header: %s", name, (unsigned long long)lk_csv_errline(csv),
                lk_csv_errmsg(csv));
        ret = LK_EPARSE;
        goto cleanup;
    }
    f = ro->format == LK_FMT_AUTO ? lk_csvfmt_sniff(&r) : ro->format;
    if ((ret = lk_csvfmt_open(f, &r, &cols, name, &cf, errbuf)) != LK_OK)
        goto cleanup;
    st->format = lk_format_name(f);
    if (ro->threads > 1 || ro->dist_bytes)
        ret = csv_parallel(s, csv, cf, r.nfields, ro, k, errbuf);
    else
        ret = csv_rows(csv, s, cf, r.nfields, k, errbuf, NULL);
    if (ret == LK_OK)
        st->format_rows[f] = st->rows_read;
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

/* The lines of a JSON-lines stream.  first: the first non-blank line is
 * still to come (a BOM is dropped; a line that is no whole value starts a
 * document).  serial == NULL: a whole stream; else a chunk, where a document
 * sets *serial and stops (see lk_chunk_ops). */
static lk_status json_lines(lk_lines *ln, lk_stream *s, lk_json *j, lk_jsonfmt *jf,
                            const lk_read_opts *ro, lk_sink *k, char *errbuf, int first,
                            int *serial)
{
    const char *name = lk_stream_name(s);
    const char *p;
    size_t n;
    uint64_t line;
    lk_status rs, ret;

    while ((rs = lk_lines_next(ln, &p, &n, &line)) != LK_EOF) {
        if (rs == LK_EIO) {
            stream_error(s, line, errbuf);
            return LK_EIO;
        }
        if (rs == LK_ENOMEM)
            return rs;
        if (rs == LK_ELIMIT) {
            if ((ret = lk_sink_bad_line(k, line, LK_SKIP_LINE_TOO_LONG, "line longer than %zu MiB",
                                        MAX_LINE >> 20)) != LK_OK)
                return ret;
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
        if (rs == LK_ENOMEM)
            return rs;
        if (rs != LK_OK && first && (ro->format == LK_FMT_TELEGRAM || lk_json_erroff(j) >= n)) {
            /* the first line is not a whole value: a pretty-printed document */
            if (serial) {
                *serial = 1;
                return LK_OK;
            }
            return read_document(ln, p, n, jf, j, k, errbuf, name);
        }
        first = 0;
        if (rs != LK_OK) {
            if ((ret = lk_sink_bad_line(
                     k, line,
                     lk_json_err_is_utf8(j) ? LK_SKIP_INVALID_UTF8 : LK_SKIP_MALFORMED_JSON,
                     "invalid JSON at byte %zu: %s", lk_json_erroff(j) + 1, lk_json_errmsg(j))) !=
                LK_OK)
                return ret;
            continue;
        }
        if ((ret = lk_jsonfmt_line(jf, j, line, k)) != LK_OK)
            return ret;
        if (serial && lk_jsonfmt_stateful(jf)) {
            *serial = 1;
            return LK_OK;
        }
    }
    return LK_OK;
}

/* A JSON-lines file read in parallel: a parser and format state per worker. */
typedef struct json_par {
    lk_stream *s;
    const lk_read_opts *ro;
    lk_json **wj;
    lk_jsonfmt **wjf;
    lk_sink *k;
    char *errbuf;
} json_par;

static lk_status json_chunk(void *ctx, unsigned worker, const char *p, size_t n, int first,
                            lk_sink *wk, uint64_t *lines, int *serial)
{
    json_par *c = ctx;
    char eb[LK_ERRMSG_MAX];
    lk_stream *ms = NULL;
    lk_lines *ln = NULL;
    lk_status ret;

    if ((!c->wj[worker] && (ret = lk_json_new(&c->wj[worker])) != LK_OK) ||
        (!c->wjf[worker] && (ret = lk_jsonfmt_new(c->ro->format, &c->wjf[worker])) != LK_OK) ||
        (ret = lk_stream_open_mem_plain(p, n, lk_stream_name(c->s), &ms, eb)) != LK_OK ||
        (ret = lk_lines_open(ms, MAX_LINE, &ln)) != LK_OK)
        goto cleanup;
    ret = json_lines(ln, ms, c->wj[worker], c->wjf[worker], c->ro, wk, eb, first, serial);
    *lines = lk_lines_line(ln);
cleanup:
    lk_lines_free(ln);
    lk_stream_close(ms);
    return ret;
}

static lk_status json_rest(void *ctx, uint64_t line, int first)
{
    json_par *c = ctx;
    lk_lines *ln = NULL;
    lk_json *j = NULL;
    lk_jsonfmt *jf = NULL;
    lk_status ret;

    if ((ret = lk_lines_open(c->s, MAX_LINE, &ln)) == LK_OK && (ret = lk_json_new(&j)) == LK_OK &&
        (ret = lk_jsonfmt_new(c->ro->format, &jf)) == LK_OK) {
        lk_lines_set_line(ln, line - 1);
        ret = json_lines(ln, c->s, j, jf, c->ro, c->k, c->errbuf, first, NULL);
    }
    lk_jsonfmt_free(jf);
    lk_json_free(j);
    lk_lines_free(ln);
    return ret;
}

/* Bytes read ahead to find the first line of a JSON file. */
#define JSON_HEAD_MAX ((size_t)16 << 20)

/* Whether the first non-blank line of (p, n) is complete and a whole value
 * (1; *start: its offset), starts a document (0), or is not complete in p
 * yet (-1). */
static int first_line_whole(const char *p, size_t n, int eof, lk_json *j, size_t *start,
                            lk_status *err)
{
    size_t a = 0;

    *err = LK_OK;
    while (a < n) {
        const char *nl = memchr(p + a, '\n', n - a);
        size_t e, len;
        const char *l = p + a;
        lk_status rs;

        if (!nl && !eof)
            return -1;
        e = nl ? (size_t)(nl - p) : n;
        len = e - a;
        if (len > 0 && l[len - 1] == '\r')
            len--;
        /* as json_lines with first set: a BOM goes on every line until the first non-blank one */
        if (len >= 3 && memcmp(l, "\xef\xbb\xbf", 3) == 0) {
            l += 3;
            len -= 3;
        }
        *start = a;
        a = e + 1;
        if (blank(l, len))
            continue;
        rs = lk_json_parse(j, l, len);
        if (rs == LK_ENOMEM) {
            *err = rs;
            return 0;
        }
        return !(rs != LK_OK && lk_json_erroff(j) >= len);
    }
    return eof ? 1 : -1;
}

/* JSON lines on several threads, unless the file is one document (or its
 * first line does not fit the read-ahead): then serially.  *done = 0: read
 * it serially (the bytes taken have been given back to the stream). */
static lk_status json_parallel(lk_stream *s, const lk_read_opts *ro, lk_sink *k, char *errbuf,
                               int *done)
{
    json_par c;
    lk_chunk_ops ops;
    lk_buf head;
    lk_json *j = NULL;
    lk_status ret;
    size_t start = 0;
    int eof = 0, whole = -1;

    *done = 0;
    lk_buf_init(&head);
    if ((ret = lk_json_new(&j)) != LK_OK)
        goto cleanup;
    while (whole < 0 && !eof && head.len <= JSON_HEAD_MAX) {
        ptrdiff_t got;
        /* reads of 1 MiB: a give-back of the sniffer is taken whole */
        if ((ret = lk_buf_reserve(&head, (size_t)1 << 20)) != LK_OK)
            goto cleanup;
        got = lk_stream_read(s, head.p + head.len, (size_t)1 << 20);
        if (got < 0)
            break; /* the serial reader meets the error again, after these bytes */
        eof = got == 0;
        head.len += (size_t)got;
        whole = first_line_whole(head.p, head.len, eof, j, &start, &ret);
        if (ret != LK_OK)
            goto cleanup;
    }
    if (whole != 1) {
        ret = lk_stream_unread(s, head.p, head.len);
        goto cleanup;
    }
    *done = 1;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.ro = ro;
    c.k = k;
    c.errbuf = errbuf;
    // NOLINTBEGIN(bugprone-sizeof-expression): arrays of pointers
    c.wj = calloc(ro->threads, sizeof *c.wj);
    c.wjf = calloc(ro->threads, sizeof *c.wjf);
    // NOLINTEND(bugprone-sizeof-expression)
    if (c.wj && c.wjf) {
        ops.csv = 0;
        ops.first_end = (uint64_t)start + 1;
        ops.chunk = json_chunk;
        ops.rest = json_rest;
        ops.ctx = &c;
        ret = lk_read_chunked(s, ro, head.p, head.len, 1, &ops, k, errbuf);
    } else {
        ret = LK_ENOMEM;
    }
    for (unsigned w = 0; c.wj && w < ro->threads; w++)
        lk_json_free(c.wj[w]);
    for (unsigned w = 0; c.wjf && w < ro->threads; w++)
        lk_jsonfmt_free(c.wjf[w]);
    free(c.wj);
    free(c.wjf);
cleanup:
    lk_json_free(j);
    lk_buf_release(&head);
    return ret;
}

static lk_status read_json(lk_stream *s, const lk_read_opts *ro, lk_sink *k, char *errbuf)
{
    lk_lines *ln = NULL;
    lk_json *j = NULL;
    lk_jsonfmt *jf = NULL;
    lk_status ret;

    if ((ro->threads > 1 || ro->dist_bytes) && ro->format != LK_FMT_TELEGRAM) {
        int done;
        ret = json_parallel(s, ro, k, errbuf, &done);
        if (done || ret != LK_OK)
            return ret;
    }
    if ((ret = lk_lines_open(s, MAX_LINE, &ln)) == LK_OK && (ret = lk_json_new(&j)) == LK_OK &&
        (ret = lk_jsonfmt_new(ro->format, &jf)) == LK_OK)
        ret = json_lines(ln, s, j, jf, ro, k, errbuf, 1, NULL);
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
    if ((ret = lk_sink_file(k, lk_stream_name(s), file_index, st, errbuf)) != LK_OK)
        return ret;
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
    ret = json ? read_json(s, ro, k, errbuf) : read_csv(s, ro, k, st, errbuf);
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
    if (ret == LK_OK) {
        lk_progress_file(lk_sink_progress(k), s, &st->rows_read);
        ret = lk_read_stream(s, file_index, ro, k, st, errbuf);
        lk_progress_file(lk_sink_progress(k), NULL, NULL); /* before s is closed */
    }
    lk_stream_close(s);
    return ret;
}
