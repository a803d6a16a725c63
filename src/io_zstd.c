/*
 * io_zstd.c - zstd backend over ZSTD_decompressStream.
 *
 * Pushshift's Reddit dumps are compressed with --long=31, i.e. a 2 GiB
 * window, which the decoder refuses by default (limit 2^27), so the limit is
 * raised to 2^31.  The decoder then allocates the window lazily, sized to the
 * frame's declared content size when the header carries one.  Concatenated
 * frames (and skippable frames) are decoded as one stream, like zstd -d.
 */
#include <zstd.h>
#include <zstd_errors.h>

#include "io_backend.h"

/* Fuzzing: a 32-byte input may declare a 2 GiB window, and libFuzzer treats
 * an allocation that large as a crash; 2^24 still exercises every code path.
 * Builds for users never define this macro. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#    define LK_ZSTD_WINDOWLOG_MAX 24
#else
#    define LK_ZSTD_WINDOWLOG_MAX 31
#endif

typedef struct zstd_state {
    ZSTD_DCtx *dctx;
    ZSTD_inBuffer in;
    size_t in_cap;
    int raw_eof;    /* the source has no more bytes */
    int frame_open; /* a frame has started and not been fully flushed */
    unsigned char *inbuf;
} zstd_state;

static lk_status zstd_init(lk_stream *s)
{
    zstd_state *z = calloc(1, sizeof *z);
    size_t zr;

    if (!z)
        goto nomem;
    s->state = z;
    /* ZSTD_DStreamInSize() is one block plus a header (~128 KiB); never go
     * below LK_STREAM_INBUF. */
    z->in_cap = LK_MAX(LK_STREAM_INBUF, ZSTD_DStreamInSize());
    z->inbuf = malloc(z->in_cap);
    z->dctx = ZSTD_createDCtx();
    if (!z->inbuf || !z->dctx)
        goto nomem;
    z->in.src = z->inbuf;
    zr = ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, LK_ZSTD_WINDOWLOG_MAX);
    if (ZSTD_isError(zr)) {
        /* Only a 32-bit libzstd refuses 31; say so rather than fail later
         * with a vaguer "window too large". */
        lk_errf(s->errmsg, "%s: cannot allow a 2^%d zstd window: %s", s->name,
                LK_ZSTD_WINDOWLOG_MAX, ZSTD_getErrorName(zr));
        return LK_EIO;
    }
    return LK_OK;

nomem:
    lk_errf(s->errmsg, "%s: out of memory for the zstd decoder", s->name);
    return LK_ENOMEM;
}

static void zstd_close(lk_stream *s)
{
    zstd_state *z = s->state;

    if (!z)
        return;
    ZSTD_freeDCtx(z->dctx); /* NULL-safe */
    free(z->inbuf);
    free(z);
    s->state = NULL;
}

static ptrdiff_t zstd_read(lk_stream *s, void *buf, size_t n)
{
    zstd_state *z = s->state;
    ZSTD_outBuffer out = {buf, n, 0};

    while (out.pos == 0) {
        if (z->in.pos == z->in.size && !z->raw_eof) {
            const ptrdiff_t got = lk_stream_raw_read(s, z->inbuf, z->in_cap);
            if (got < 0)
                return LK_EIO;
            if (got == 0)
                z->raw_eof = 1;
            z->in.size = (size_t)got;
            z->in.pos = 0;
        }
        const int dry = z->in.pos == z->in.size && z->raw_eof;
        if (dry && !z->frame_open)
            return 0; /* clean end after the last complete frame */

        const size_t in_before = z->in.pos;
        const size_t zr = ZSTD_decompressStream(z->dctx, &out, &z->in);
        if (ZSTD_isError(zr)) {
            if (ZSTD_getErrorCode(zr) == ZSTD_error_memory_allocation) {
                lk_errf(s->errmsg, "%s: out of memory in the zstd decoder", s->name);
                return LK_ENOMEM;
            }
            lk_errf(s->errmsg, "%s: corrupt zstd data: %s", s->name, ZSTD_getErrorName(zr));
            return LK_EIO;
        }
        /* 0 means the frame is finished and fully flushed; anything else
         * means more input or more output room is needed. */
        z->frame_open = zr != 0;

        /* With no input left, an open frame can still flush buffered output
         * into `out`.  Once it can do neither, the file was cut short. */
        if (dry && z->frame_open && out.pos == 0 && z->in.pos == in_before) {
            lk_errf(s->errmsg, "%s: truncated zstd stream", s->name);
            return LK_EIO;
        }
    }
    return (ptrdiff_t)out.pos;
}

const lk_stream_backend lk_stream_zstd_backend = {"zstd", zstd_init, zstd_read, zstd_close};
