/*
 * io_backend.h - private contract between io_stream.c and its codec backends
 * (io_gz.c, io_zstd.c).  Nothing outside the io_* files includes this.
 *
 * Layering: io_stream.c owns the raw source (a file descriptor or a borrowed
 * memory block) and the 4 sniffed bytes; a backend pulls compressed bytes
 * through lk_stream_raw_read() and hands decoded bytes to lk_stream_read().
 */
#ifndef LK_IO_BACKEND_H
#define LK_IO_BACKEND_H

#include "io_stream.h"

/* Compressed input buffer of each decoding backend.  128 KiB matches zstd's
 * block size and keeps read(2) calls few on tens-of-GB inputs. */
#define LK_STREAM_INBUF ((size_t)128 * 1024)

/* The sniff needs at most this many bytes (the zstd magic). */
#define LK_STREAM_PEEK 4

/* The vtable of one codec. */
typedef struct lk_stream_backend {
    const char *codec; /* "plain", "gzip" or "zstd" */
    /* Set up s->state.  On failure fill s->errmsg and return an error; close
     * is still called afterwards, so it must cope with a half-built state. */
    lk_status (*init)(lk_stream *s);
    /* Same contract as lk_stream_read(), except that io_stream.c has already
     * handled n == 0, sticky errors and the clean-EOF latch.  On error the
     * backend fills s->errmsg and returns a negative lk_status. */
    ptrdiff_t (*read)(lk_stream *s, void *buf, size_t n);
    /* Free s->state (which may be NULL). */
    void (*close)(lk_stream *s);
} lk_stream_backend;

struct lk_stream {
    const lk_stream_backend *be;
    void *state; /* backend-private, owned */

    /* raw source: fd >= 0, or mem when fd < 0 */
    int fd;
    int own_fd; /* 0 for stdin, which the caller owns */
    const unsigned char *mem;
    size_t mem_len, mem_pos;

    /* Bytes already taken from the source by the sniff.  stdin and pipes
     * cannot seek back, so the raw reader replays these first. */
    unsigned char peek[LK_STREAM_PEEK];
    size_t peek_len, peek_pos;

    /* Decoded bytes given back with lk_stream_unread(): read again first. */
    unsigned char *back;
    size_t back_len, back_pos;

    uint64_t raw_bytes; /* compressed bytes handed to the backend */
    int done;           /* 1 after a clean end, or the lk_status of a failure */
    char *name;         /* owned copy; "(stdin)" for "-" */
    char errmsg[LK_ERRMSG_MAX];
};

/*
 * Read up to n raw (still compressed) bytes: the sniffed bytes first, then
 * the fd or memory block.  Retries EINTR.
 * @return > 0 bytes, 0 at the end of the source, or LK_EIO with
 *         "NAME: read error: ..." in s->errmsg.
 */
ptrdiff_t lk_stream_raw_read(lk_stream *s, void *buf, size_t n);

extern const lk_stream_backend lk_stream_gz_backend;
extern const lk_stream_backend lk_stream_zstd_backend;

#endif /* LK_IO_BACKEND_H */
