/*
 * parse_csv.c - RFC 4180 record scanner over an lk_stream.
 *
 * One window buffer holds the raw bytes from the start of the current record
 * to the end of what has been read.  A record is handled in two passes:
 *
 *  1. A small state machine finds the end of the record and remembers each
 *     field's raw extent as offsets from the record start.  Offsets, unlike
 *     pointers, survive the window being compacted or grown when a record
 *     spans reads, so the scan simply resumes after a refill.  Nothing is
 *     written in this pass, which is what makes error resynchronisation
 *     possible: the raw bytes after the bad record's first line are intact.
 *  2. Only once the record is complete and valid are its fields rewritten in
 *     place: a NUL over each terminator, quotes dropped and "" collapsed.
 *     The result is never longer than the raw text, so it always fits.
 *
 * Ordinary records are therefore never copied and nothing is allocated per
 * record; the window grows only for a record longer than itself.
 *
 * Line ends: LF and CRLF.  A lone CR outside quotes also ends a record and
 * a line (old Mac exports; Python's csv does the same).  Inside quotes, CR
 * and LF are data; each LF there still counts as a physical line.
 */
#include "parse_csv.h"

/* Read size.  Large reads amortise syscall and codec overhead; 1 MiB keeps
 * the window in L2-ish territory while a record is scanned twice. */
#define CSV_BLOCK ((size_t)1 << 20)

#define NO_LF SIZE_MAX

struct lk_csv {
    lk_stream *s;
    char sep;
    lk_status dead; /* sticky LK_EIO / LK_ENOMEM: every later call returns it */
    int eof;        /* the stream has reported its end; never read again */
    int started;    /* the BOM check has been done */
    int first;      /* first byte of the data after a BOM; -1 when empty */
    int skip_lf;    /* the last line ended in CR: one following LF belongs to it */
    int skip_line;  /* resync pending: discard bytes up to the next line end */
    char *win;      /* cap + 1 bytes: win[end] holds a '\n' sentinel */
    size_t cap, pos, end;
    uint64_t line;   /* physical line of win[pos] */
    size_t *fb;      /* per field: raw begin, as offset from the record start */
    size_t *fl;      /* per field: raw end offset; after pass 2 the length */
    const char **fp; /* per field: pointer handed out in lk_csv_row */
    size_t fcap;
    /* Bytes that stop the fast loops.  '\n' is in both so that the sentinel
     * at win[end] stops them without a bounds check per byte. */
    unsigned char stop_unq[256]; /* sep, LF, CR */
    unsigned char stop_q[256];   /* quote, LF */
    uint64_t errline;
    char errmsg[LK_ERRMSG_MAX];
};

lk_status lk_csv_open(lk_stream *s, char sep, lk_csv **out)
{
    lk_csv *c;

    if (!s || !out || sep == '"' || sep == '\n' || sep == '\r')
        return LK_EINVAL;
    c = calloc(1, sizeof *c);
    if (!c)
        return LK_ENOMEM;
    c->win = malloc(CSV_BLOCK + 1);
    if (!c->win) {
        free(c);
        return LK_ENOMEM;
    }
    c->s = s;
    c->sep = sep;
    c->cap = CSV_BLOCK;
    c->win[0] = '\n';
    c->line = 1;
    c->stop_unq[(unsigned char)sep] = 1;
    c->stop_unq['\n'] = 1;
    c->stop_unq['\r'] = 1;
    c->stop_q['"'] = 1;
    c->stop_q['\n'] = 1;
    *out = c;
    return LK_OK;
}

void lk_csv_free(lk_csv *c)
{
    if (!c)
        return;
    free(c->win);
    free(c->fb);
    free(c->fl);
    free(c->fp);
    free(c);
}

const char *lk_csv_errmsg(const lk_csv *c)
{
    return c ? c->errmsg : "";
}

int lk_csv_first_byte(const lk_csv *c)
{
    return c && c->started ? c->first : -1;
}

uint64_t lk_csv_line(const lk_csv *c)
{
    return c->line;
}

void lk_csv_resume(lk_csv *c, uint64_t line, int skip_lf)
{
    c->started = 1;
    c->first = -1;
    c->line = line;
    c->skip_lf = skip_lf;
}

void lk_csv_rest(const lk_csv *c, const char **p, size_t *n, int *skip_lf)
{
    *p = c->win + c->pos;
    *n = c->end - c->pos;
    *skip_lf = c->skip_lf;
}

uint64_t lk_csv_errline(const lk_csv *c)
{
    return c ? c->errline : 0;
}

/* Room for `need` fields.  Doubling keeps this off the per-record path once
 * the widest record has been seen. */
static lk_status fields_reserve(lk_csv *c, size_t need)
{
    size_t ncap, bytes;
    void *p;

    if (need <= c->fcap)
        return LK_OK;
    ncap = c->fcap ? c->fcap * 2 : 64;
    if (ncap < need)
        ncap = need;
    if (lk_mul_size(ncap, sizeof(size_t), &bytes))
        return LK_ENOMEM;
    /* Each realloc that succeeds is kept even if a later one fails: the
     * arrays are then merely larger than fcap says. */
    if (!(p = realloc(c->fb, bytes)))
        return LK_ENOMEM;
    c->fb = p;
    if (!(p = realloc(c->fl, bytes)))
        return LK_ENOMEM;
    c->fl = p;
    if (!(p = realloc(c->fp, ncap * sizeof(char *))))
        return LK_ENOMEM;
    c->fp = p;
    c->fcap = ncap;
    return LK_OK;
}

/*
 * Keep win[from..end) (moved to the front; c->pos, which is >= from, moves
 * with it) and append what the stream gives.
 * @return LK_OK (bytes added), LK_EOF, LK_ELIMIT (the kept part alone is
 *         over the record limit), LK_EIO, LK_ENOMEM.
 */
static lk_status refill(lk_csv *c, size_t from)
{
    const size_t keep = c->end - from;
    ptrdiff_t n;

    if (keep > LK_CSV_MAX_RECORD)
        return LK_ELIMIT;
    if (from) {
        memmove(c->win, c->win + from, keep);
        c->end = keep;
        c->pos -= from;
        c->win[c->end] = '\n';
    }
    if (c->eof)
        return LK_EOF;
    if (c->end == c->cap) {
        /* Only a record longer than the window gets here; the cap stops the
         * window at one block past the limit. */
        size_t ncap = c->cap * 2;
        char *nw;
        if (ncap > LK_CSV_MAX_RECORD + CSV_BLOCK)
            ncap = LK_CSV_MAX_RECORD + CSV_BLOCK;
        nw = realloc(c->win, ncap + 1);
        if (!nw)
            return LK_ENOMEM;
        c->win = nw;
        c->cap = ncap;
    }
    n = lk_stream_read(c->s, c->win + c->end, c->cap - c->end);
    if (n < 0) {
        lk_errf(c->errmsg, "%s", lk_stream_errmsg(c->s));
        return LK_EIO;
    }
    if (n == 0) {
        c->eof = 1;
        return LK_EOF;
    }
    c->end += (size_t)n;
    c->win[c->end] = '\n';
    return LK_OK;
}

/* Remember a fatal status so that every later call returns it too. */
static lk_status set_fatal(lk_csv *c, lk_status st)
{
    if (st == LK_ENOMEM)
        lk_errf(c->errmsg, "out of memory");
    c->errline = c->line;
    c->dead = st;
    return st;
}

/*
 * Position c->pos at the first byte of the next record: strip a leading BOM,
 * finish a pending resync, skip empty lines.
 * @return LK_OK (c->pos < c->end), LK_EOF, or a fatal status.
 */
static lk_status seek_record(lk_csv *c)
{
    lk_status st;

    if (!c->started) {
        /* The BOM may arrive split over reads; gather three bytes first. */
        while (c->end < 3 && (st = refill(c, 0)) != LK_EOF)
            if (st != LK_OK)
                return st;
        if (c->end >= 3 && memcmp(c->win, "\xEF\xBB\xBF", 3) == 0)
            c->pos = 3;
        c->first = c->pos < c->end ? (unsigned char)c->win[c->pos] : -1;
        c->started = 1;
    }
    for (;;) {
        if (c->pos == c->end) {
            st = refill(c, c->pos);
            if (st != LK_OK)
                return st;
        }
        if (c->skip_line) {
            const char *p = c->win + c->pos;
            /* The sentinel stops this loop at the end of the data. */
            while (*p != '\n' && *p != '\r')
                p++;
            c->pos = (size_t)(p - c->win);
            if (c->pos == c->end)
                continue;
            c->skip_line = 0;
            c->skip_lf = *p == '\r';
            c->pos++;
            continue;
        }
        if (c->skip_lf) {
            c->skip_lf = 0;
            if (c->win[c->pos] == '\n')
                c->pos++;
            continue;
        }
        if (c->win[c->pos] == '\n' || c->win[c->pos] == '\r') {
            c->skip_lf = c->win[c->pos] == '\r';
            c->line++;
            c->pos++;
            continue;
        }
        return LK_OK;
    }
}

/* Strip the quotes of a quoted field in place and collapse "" pairs.
 * f points at the opening quote, rawlen includes both quotes.  Every quote
 * between them is the first of a pair (pass 1 guarantees it). */
static size_t unquote(char *f, size_t rawlen)
{
    const char *s = f + 1;
    const char *const lim = f + rawlen - 1;
    char *d = f;

    while (s < lim) {
        const char *q = memchr(s, '"', (size_t)(lim - s));
        const size_t n = q ? (size_t)(q - s) + 1 : (size_t)(lim - s);
        memmove(d, s, n);
        d += n;
        s += n + 1; /* past the second quote of the pair, if any */
    }
    *d = '\0';
    return (size_t)(d - f);
}

/* Advance to the first byte marked in `stop`.  The sentinel guarantees a
 * stop, and each load happens only after the previous byte was not a stop,
 * so nothing past the sentinel is read.  Unrolled because this loop is
 * where the scanner spends its time. */
static inline const unsigned char *skip_plain(const unsigned char *stop, const unsigned char *p)
{
    for (;; p += 4) {
        if (stop[p[0]])
            return p;
        if (stop[p[1]])
            return p + 1;
        if (stop[p[2]])
            return p + 2;
        if (stop[p[3]])
            return p + 3;
    }
}

/* Format the byte found after a closing quote for the error message. */
static void bad_after_quote(lk_csv *c, unsigned char ch)
{
    if (ch >= 0x20 && ch < 0x7f)
        lk_errf(c->errmsg, "unexpected '%c' after closing quote", ch);
    else
        lk_errf(c->errmsg, "unexpected byte 0x%02x after closing quote", ch);
}

lk_status lk_csv_next(lk_csv *c, lk_csv_row *row)
{
    lk_status st;
    size_t rs, nf = 0, nl1 = NO_LF;
    uint64_t line0, nlq = 0;
    int term = 0;
    const unsigned char *p, *e;

    if (!c || !row)
        return LK_EINVAL;
    if (c->dead)
        return c->dead;
    st = seek_record(c);
    if (st == LK_EOF)
        return LK_EOF;
    if (st != LK_OK)
        return set_fatal(c, st);

    rs = c->pos;
    line0 = c->line;
    p = (const unsigned char *)c->win + rs;
    e = (const unsigned char *)c->win + c->end;

/* Pass 1 needs more bytes at p: refill keeping the record, rebase p/e.
 * Jumps to `at_eof` when the stream has ended, `error` on failure. */
#define BASE ((const unsigned char *)c->win + rs)
#define MORE(at_eof)                                                 \
    do {                                                             \
        const size_t off_ = (size_t)(p - BASE);                      \
        st = refill(c, rs);                                          \
        rs = c->pos; /* the record start, wherever refill left it */ \
        p = BASE + off_;                                             \
        e = (const unsigned char *)c->win + c->end;                  \
        if (st == LK_EOF)                                            \
            goto at_eof;                                             \
        if (st != LK_OK)                                             \
            goto error;                                              \
    } while (0)

field_start:
    if (p == e) {
        MORE(field_start_eof);
        goto field_start;
    }
    if ((st = fields_reserve(c, nf + 1)) != LK_OK)
        goto error;
    c->fb[nf] = (size_t)(p - BASE);
    if (*p == '"') {
        p++;
        goto quoted;
    }
unquoted:
    p = skip_plain(c->stop_unq, p);
    if (p == e) {
        MORE(unquoted_eof);
        goto unquoted;
    }
    c->fl[nf++] = (size_t)(p - BASE);
    if (*p == (unsigned char)c->sep) {
        p++;
        goto field_start;
    }
    goto record_end;
quoted:
    p = skip_plain(c->stop_q, p);
    if (p == e) {
        MORE(quoted_eof);
        goto quoted;
    }
    if (*p == '\n') {
        if (nl1 == NO_LF)
            nl1 = (size_t)(p - BASE);
        nlq++;
        p++;
        goto quoted;
    }
    p++; /* a quote: closing, or the first of a "" pair */
quote_seen:
    if (p == e) {
        MORE(unquoted_eof);
        goto quote_seen;
    }
    if (*p == '"') {
        p++;
        goto quoted;
    }
    c->fl[nf++] = (size_t)(p - BASE);
    if (*p == (unsigned char)c->sep) {
        p++;
        goto field_start;
    }
    if (*p == '\n' || *p == '\r')
        goto record_end;
    bad_after_quote(c, *p);
    st = LK_EPARSE;
    goto error;

field_start_eof:
    /* "a,b," at the end of the stream: the separator opened an empty field. */
    if ((st = fields_reserve(c, nf + 1)) != LK_OK)
        goto error;
    c->fb[nf] = (size_t)(p - BASE);
    /* fall through */
unquoted_eof:
    c->fl[nf++] = (size_t)(p - BASE);
    goto record_done;
quoted_eof:
    lk_errf(c->errmsg, "unterminated quoted field");
    st = LK_EPARSE;
    goto error;

record_end:
    term = 1;
    c->skip_lf = *p == '\r';
record_done:
#undef MORE
    if ((size_t)(p - BASE) > LK_CSV_MAX_RECORD) {
        st = LK_ELIMIT;
        goto error;
    }
    /* Pass 2: the record is complete and valid; rewrite fields in place.
     * An unquoted field's terminator (or the sentinel slot at the end of the
     * data) becomes its NUL. */
    for (size_t i = 0; i < nf; i++) {
        char *const f = c->win + rs + c->fb[i];
        const size_t rawlen = c->fl[i] - c->fb[i];
        if (rawlen && *f == '"') {
            c->fl[i] = unquote(f, rawlen);
        } else {
            f[rawlen] = '\0';
            c->fl[i] = rawlen;
        }
        c->fp[i] = f;
    }
    c->pos = (size_t)(p - (const unsigned char *)c->win) + (size_t)term;
    c->line = line0 + nlq + (uint64_t)term;
    row->nfields = nf;
    row->field = c->fp;
    row->len = c->fl;
    row->line = line0;
    return LK_OK;

error:
    if (st == LK_EIO || st == LK_ENOMEM)
        return set_fatal(c, st);
    if (st == LK_ELIMIT)
        lk_errf(c->errmsg, "record longer than %zu bytes", LK_CSV_MAX_RECORD);
    c->errline = line0;
    /* Resynchronise at the physical line after the record's first line.  If
     * an LF inside quotes ended that line, it is still in the window; else
     * no line end has been passed yet and the next one is found raw. */
    c->line = line0 + 1;
    if (nl1 != NO_LF) {
        c->pos = rs + nl1 + 1;
    } else {
        c->pos = (size_t)(p - (const unsigned char *)c->win);
        c->skip_line = 1;
    }
    c->skip_lf = 0;
    return st;
#undef BASE
}
