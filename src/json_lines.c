/*
 * json_lines.c - the line reader under JSON lines input (lk_lines_* in
 * json.h): lines split in a growable buffer with no copy per line, overlong
 * lines skipped without buffering them, and the rest of a stream in one
 * piece for whole-document formats.
 */
#include "json.h"
#include "io_stream.h"

/* ---- JSON lines --------------------------------------------------------- */

/* First block size; the buffer only grows for a line longer than this. */
#define LINES_BLOCK ((size_t)1 << 20)

struct lk_lines {
    lk_stream *s; /* borrowed */
    size_t max_line;
    char *buf; /* owned; bytes [beg, end) not yet returned */
    size_t cap, beg, end;
    size_t scanned; /* [beg, scanned) has no '\n' */
    uint64_t line_no;
    int eof;
    lk_status sticky; /* LK_EIO / LK_ENOMEM once seen */
};

lk_status lk_lines_open(lk_stream *s, size_t max_line, lk_lines **out)
{
    lk_lines *l = calloc(1, sizeof *l);
    size_t cap;

    *out = NULL;
    if (!l)
        return LK_ENOMEM;
    /* A line of max_line bytes, its "\r\n" and a NUL must fit at once. */
    if (lk_add_size(max_line, 3, &cap))
        cap = SIZE_MAX;
    l->cap = LK_MIN(LINES_BLOCK, cap);
    l->buf = malloc(l->cap);
    if (!l->buf) {
        free(l);
        return LK_ENOMEM;
    }
    l->s = s;
    l->max_line = max_line;
    *out = l;
    return LK_OK;
}

void lk_lines_free(lk_lines *l)
{
    if (!l)
        return;
    free(l->buf);
    free(l);
}

/* Read more into buf[end..cap), compacting first.  Returns LK_OK (maybe at
 * EOF: l->eof) or an error. */
static lk_status fill(lk_lines *l)
{
    ptrdiff_t got;

    if (l->beg > 0) {
        memmove(l->buf, l->buf + l->beg, l->end - l->beg);
        l->end -= l->beg;
        l->scanned -= l->beg;
        l->beg = 0;
    }
    if (l->cap - l->end < 2) { /* keep a byte for the NUL */
        size_t ncap;
        char *nb;
        if (lk_add_size(l->cap, l->cap, &ncap))
            return LK_ENOMEM;
        nb = realloc(l->buf, ncap);
        if (!nb)
            return LK_ENOMEM;
        l->buf = nb;
        l->cap = ncap;
    }
    got = lk_stream_read(l->s, l->buf + l->end, l->cap - l->end - 1);
    if (got < 0)
        return (lk_status)got;
    if (got == 0)
        l->eof = 1;
    l->end += (size_t)got;
    return LK_OK;
}

/* Drop the rest of an overlong line: read on, buffering nothing, up to the
 * next '\n' or the end of input. */
static lk_status skip_line(lk_lines *l)
{
    for (;;) {
        const char *nl = memchr(l->buf + l->beg, '\n', l->end - l->beg);
        lk_status st;

        if (nl) {
            l->beg = (size_t)(nl - l->buf) + 1;
            l->scanned = l->beg;
            return LK_OK;
        }
        l->beg = l->end = l->scanned = 0;
        if (l->eof)
            return LK_OK;
        if ((st = fill(l)) != LK_OK)
            return st;
    }
}

lk_status lk_lines_next(lk_lines *l, const char **p, size_t *n, uint64_t *line_no)
{
    lk_status st;

    /* Also for LK_EIO / LK_EOF: the line being read, for messages. */
    *line_no = l->line_no + 1;
    if (l->sticky != LK_OK)
        return l->sticky;
    for (;;) {
        const char *nl = memchr(l->buf + l->scanned, '\n', l->end - l->scanned);
        size_t len, stop;

        if (nl) {
            stop = (size_t)(nl - l->buf);
        } else if (l->eof) {
            if (l->beg == l->end)
                return LK_EOF;
            stop = l->end;
        } else if (l->end - l->beg > l->max_line && l->end - l->beg - l->max_line > 1) {
            /* No end yet and already too long, even if a '\r' ends it. */
            *line_no = ++l->line_no;
            if ((st = skip_line(l)) != LK_OK)
                return l->sticky = st;
            return LK_ELIMIT;
        } else {
            l->scanned = l->end;
            if ((st = fill(l)) != LK_OK)
                return l->sticky = st;
            continue;
        }
        len = stop - l->beg;
        if (len > 0 && l->buf[stop - 1] == '\r')
            len--;
        *line_no = ++l->line_no;
        *p = l->buf + l->beg;
        *n = len;
        l->buf[l->beg + len] = '\0'; /* the '\r', the '\n' or the spare byte */
        l->beg = l->scanned = stop < l->end ? stop + 1 : stop;
        if (len > l->max_line)
            return LK_ELIMIT;
        return LK_OK;
    }
}

uint64_t lk_lines_line(const lk_lines *l)
{
    return l->line_no;
}

void lk_lines_set_line(lk_lines *l, uint64_t passed)
{
    l->line_no = passed;
}

/* Whatever it returns, the reader is at its end afterwards: lk_lines_next
 * gives LK_EOF (or the sticky error). */
lk_status lk_lines_rest(lk_lines *l, lk_buf *out, size_t max)
{
    const size_t beg = l->beg;
    size_t have = l->end - beg;

    if (l->sticky != LK_OK)
        return l->sticky;
    l->beg = l->end = l->scanned = 0;
    if (have > max) {
        l->eof = 1;
        return LK_ELIMIT;
    }
    if (lk_buf_append(out, l->buf + beg, have) != LK_OK)
        return l->sticky = LK_ENOMEM;
    while (!l->eof) {
        /* Read straight into out; one byte past max tells "too long". */
        const size_t room = max - have >= LINES_BLOCK ? LINES_BLOCK : max - have + 1;
        ptrdiff_t got;

        if (lk_buf_reserve(out, room) != LK_OK)
            return l->sticky = LK_ENOMEM;
        got = lk_stream_read(l->s, out->p + out->len, room);
        if (got < 0)
            return l->sticky = (lk_status)got;
        if (got == 0)
            l->eof = 1;
        out->len += (size_t)got;
        out->p[out->len] = '\0';
        have += (size_t)got;
        if (have > max) {
            l->eof = 1;
            return LK_ELIMIT;
        }
    }
    return LK_OK;
}
