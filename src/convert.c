/*
 * convert.c - `lockstep convert`: any supported input to the generic action
 * CSV (object_id,account_id,content_id,timestamp_share,trace), one row per
 * action, streamed: the sink's callback backend writes each action as it is
 * read, so memory does not grow with the input (only the duplicate-post
 * set does).
 */
#include <errno.h>

#include "out_escape.h"
#include "out_file.h"
#include "par.h"
#include "reader.h"

void lk_convert_opts_init(lk_convert_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = "auto";
    o->traces = "default";
    o->col_object = "object_id";
    o->col_account = "account_id";
    o->col_content = "content_id";
    o->col_time = "timestamp_share";
    o->on_error = LK_ON_ERROR_FAIL;
    o->out = "-";
    o->threads = 0;
}

typedef struct cvctx {
    lk_buf b;
    lk_outfile *f; /* NULL: standard output */
    uint64_t actions;
    int err; /* errno of a failed write to stdout */
} cvctx;

static void cv_flush(cvctx *c)
{
    if (c->f) {
        lk_out_flush_buf(c->f, &c->b);
        return;
    }
    if (!c->err && c->b.len && fwrite(c->b.p, 1, c->b.len, stdout) != c->b.len)
        c->err = errno ? errno : EIO;
    lk_buf_reset(&c->b);
}

/* epoch seconds, with a fraction only when there are milliseconds */
static lk_status put_epoch(lk_buf *b, int64_t ms)
{
    if (ms % 1000 == 0)
        return lk_buf_printf(b, "%lld", (long long)(ms / 1000));
    return lk_buf_printf(b, "%lld.%03d", (long long)(ms / 1000), (int)(ms % 1000));
}

static lk_status cv_emit(void *vctx, const lk_sink_action *a)
{
    cvctx *c = vctx;
    const char *tn = lk_trace_name(a->trace);

    if (lk_esc_csv(&c->b, a->object, a->object_len) || lk_buf_putc(&c->b, ',') ||
        lk_esc_csv(&c->b, a->account, a->account_len) || lk_buf_putc(&c->b, ',') ||
        lk_esc_csv(&c->b, a->content, a->content_len) || lk_buf_putc(&c->b, ',') ||
        put_epoch(&c->b, a->t) || lk_buf_putc(&c->b, ',') || lk_buf_append(&c->b, tn, strlen(tn)) ||
        lk_buf_putc(&c->b, '\n'))
        return LK_ENOMEM;
    c->actions++;
    if (c->b.len > (1u << 16))
        cv_flush(c);
    return LK_OK;
}

/* "dir/name" -> dir and name for lk_out_open (which writes dir/name). */
static lk_status open_out(const char *path, lk_outfile **f, char *errbuf)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];

    if (!slash)
        return lk_out_open(".", path, f, errbuf);
    if ((size_t)(slash - path) >= sizeof dir) {
        lk_errf(errbuf, "output path too long: '%s'", path);
        return LK_EINVAL;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    return lk_out_open(slash == path ? "/" : dir, slash + 1, f, errbuf);
}

lk_status lk_convert(const lk_convert_opts *o, const char *const *inputs, size_t ninputs,
                     lk_convert_stats *stats, char *why, size_t whylen, char *errbuf, size_t errlen)
{
    char eb[LK_ERRMSG_MAX];
    lk_read_opts ro;
    lk_sink_opts so;
    lk_sink *k = NULL;
    lk_input_stats *st = NULL;
    uint64_t skipped[LK_SKIP_N];
    cvctx c;
    lk_status ret;
    int f = lk_format_from_name(o->format ? o->format : "auto");

    eb[0] = '\0';
    memset(&c, 0, sizeof c);
    memset(stats, 0, sizeof *stats);
    memset(skipped, 0, sizeof skipped);
    lk_buf_init(&c.b);
    if (f < 0) {
        lk_errf(eb, "unknown format '%s' (expected one of %s)", o->format, lk_format_names());
        ret = LK_EINVAL;
        goto done;
    }
    memset(&so, 0, sizeof so);
    if ((ret = lk_traces_parse(o->traces ? o->traces : "default", &so.traces, eb)) != LK_OK)
        goto done;
    so.skip_bad_rows = o->on_error == LK_ON_ERROR_SKIP;
    ro.format = (lk_format)f;
    ro.col_object = o->col_object;
    ro.col_account = o->col_account;
    ro.col_content = o->col_content;
    ro.col_time = o->col_time;
    ro.threads = lk_par_threads(o->threads);
    ro.chunk_bytes = 0;
    ro.dist_bytes = NULL; /* convert runs on rank 0 alone */
    ro.dist_read = NULL;
    if (ninputs == 0) {
        lk_errf(eb, "no input files");
        ret = LK_EINVAL;
        goto done;
    }
    if (!(st = calloc(ninputs, sizeof *st))) {
        ret = LK_ENOMEM;
        goto done;
    }
    if ((ret = lk_sink_new(&so, cv_emit, &c, NULL, &k)) != LK_OK)
        goto done;
    if (o->out && strcmp(o->out, "-") != 0 && (ret = open_out(o->out, &c.f, eb)) != LK_OK)
        goto done;
    if ((ret = lk_buf_printf(&c.b, "object_id,account_id,content_id,timestamp_share,trace\n")) !=
        LK_OK)
        goto done;
    for (size_t i = 0; i < ninputs; i++) {
        ret = lk_read_file(inputs[i], (uint32_t)i, &ro, k, &st[i], eb);
        stats->rows_read += st[i].rows_read;
        stats->rows_used += st[i].rows_used;
        for (int r = 0; r < LK_SKIP_N; r++) {
            stats->rows_skipped += st[i].skipped[r];
            skipped[r] += st[i].skipped[r];
        }
        if (ret != LK_OK)
            goto done;
    }
    cv_flush(&c);
    if (c.f) {
        ret = lk_out_close(c.f, eb);
        c.f = NULL;
        if (ret != LK_OK)
            goto done;
    } else if (c.err || fflush(stdout) != 0) {
        lk_errf(eb, "writing to standard output: %s", strerror(c.err ? c.err : errno));
        ret = LK_EIO;
        goto done;
    }
    stats->actions = c.actions;
    if (why && whylen) {
        size_t pos = 0;
        why[0] = '\0';
        for (int r = 0; r < LK_SKIP_N; r++) {
            int n;
            if (!skipped[r] || pos >= whylen)
                continue;
            n = snprintf(why + pos, whylen - pos, "%s%s %llu", pos ? ", " : "",
                         lk_skip_name((lk_skip)r), (unsigned long long)skipped[r]);
            if (n < 0)
                break;
            pos += (size_t)n;
        }
    }
done:
    if (ret == LK_ENOMEM && !eb[0])
        lk_errf(eb, "out of memory");
    if (ret != LK_OK && errbuf && errlen)
        (void)snprintf(errbuf, errlen, "%s", eb);
    lk_out_abort(c.f);
    lk_sink_free(k);
    free(st);
    lk_buf_release(&c.b);
    return ret;
}
