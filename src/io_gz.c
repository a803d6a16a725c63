/*
 * io_gz.c - gzip backend over zlib's inflate.
 *
 * inflate is used rather than gzread because gzread silently passes through
 * non-gzip data and treats a truncated member as a clean end, and we must
 * report both.  Concatenated members (what `cat a.gz b.gz` and pigz produce)
 * are decoded as one stream, as gzip(1) does.
 */
#include <limits.h>
#include <zlib.h>

#include "io_backend.h"

typedef struct gz_state {
    z_stream z;
    int z_ready;   /* inflateInit2 succeeded, so inflateEnd is due */
    int in_member; /* bytes of the current member have been fed to inflate */
    int raw_eof;   /* the source has no more bytes */
    unsigned char *in;
} gz_state;

static lk_status gz_init(lk_stream *s)
{
    gz_state *g = calloc(1, sizeof *g);
    int zr;

    if (!g)
        goto nomem;
    s->state = g;
    g->in = malloc(LK_STREAM_INBUF);
    if (!g->in)
        goto nomem;
    /* 15 + 16: largest window, and accept only the gzip wrapper (the sniff
     * already saw 1f 8b, so zlib or raw deflate would be wrong here). */
    zr = inflateInit2(&g->z, 15 + 16);
    if (zr == Z_MEM_ERROR)
        goto nomem;
    if (zr != Z_OK) {
        lk_errf(s->errmsg, "%s: cannot start gzip decoder (%s)", s->name,
                g->z.msg ? g->z.msg : "zlib error");
        return LK_EIO;
    }
    g->z_ready = 1;
    return LK_OK;

nomem:
    lk_errf(s->errmsg, "%s: out of memory for the gzip decoder", s->name);
    return LK_ENOMEM;
}

static void gz_close(lk_stream *s)
{
    gz_state *g = s->state;

    if (!g)
        return;
    if (g->z_ready)
        (void)inflateEnd(&g->z);
    free(g->in);
    free(g);
    s->state = NULL;
}

/* Refill the input buffer when it is empty.  Returns LK_OK (possibly with
 * raw_eof set) or LK_EIO. */
static lk_status gz_fill(lk_stream *s, gz_state *g)
{
    ptrdiff_t got;

    if (g->z.avail_in > 0 || g->raw_eof)
        return LK_OK;
    got = lk_stream_raw_read(s, g->in, LK_STREAM_INBUF);
    if (got < 0)
        return LK_EIO;
    if (got == 0)
        g->raw_eof = 1;
    g->z.next_in = g->in;
    g->z.avail_in = (uInt)got;
    return LK_OK;
}

static ptrdiff_t gz_read(lk_stream *s, void *buf, size_t n)
{
    gz_state *g = s->state;
    /* zlib counts in uInt; a shorter read is allowed by the contract. */
    const uInt want = (uInt)LK_MIN(n, (size_t)UINT_MAX);

    g->z.next_out = buf;
    g->z.avail_out = want;

    /* Loop until at least one byte is out: a member may end, or a refill may
     * be needed, without producing anything. */
    while (g->z.avail_out == want) {
        if (gz_fill(s, g) != LK_OK)
            return LK_EIO;
        if (g->z.avail_in == 0) {
            /* Source exhausted.  Inside a member that is a truncated file
             * (an interrupted download); between members it is the end. */
            if (!g->in_member)
                return 0;
            lk_errf(s->errmsg, "%s: truncated gzip stream", s->name);
            return LK_EIO;
        }

        g->in_member = 1;
        const uInt in_before = g->z.avail_in;
        const int zr = inflate(&g->z, Z_NO_FLUSH);
        switch (zr) {
        case Z_OK:
            break;
        case Z_STREAM_END:
            /* Member complete (CRC and length checked by zlib).  Whatever
             * follows must be another member; inflate itself rejects any
             * trailing bytes that lack a gzip header as corrupt. */
            g->in_member = 0;
            if (inflateReset(&g->z) != Z_OK) {
                lk_errf(s->errmsg, "%s: cannot restart gzip decoder", s->name);
                return LK_EIO;
            }
            break;
        case Z_BUF_ERROR:
            /* No progress is only legitimate when the input ran dry. */
            if (g->z.avail_in > 0 && g->z.avail_in == in_before && g->z.avail_out == want) {
                lk_errf(s->errmsg, "%s: corrupt gzip data (decoder stalled)", s->name);
                return LK_EIO;
            }
            break;
        case Z_MEM_ERROR:
            lk_errf(s->errmsg, "%s: out of memory in the gzip decoder", s->name);
            return LK_ENOMEM;
        case Z_NEED_DICT:
            lk_errf(s->errmsg, "%s: corrupt gzip data (preset dictionary required)", s->name);
            return LK_EIO;
        default: /* Z_DATA_ERROR, Z_STREAM_ERROR */
            lk_errf(s->errmsg, "%s: corrupt gzip data (%s)", s->name,
                    g->z.msg ? g->z.msg : "invalid deflate stream");
            return LK_EIO;
        }
    }
    return (ptrdiff_t)(want - g->z.avail_out);
}

const lk_stream_backend lk_stream_gz_backend = {"gzip", gz_init, gz_read, gz_close};
