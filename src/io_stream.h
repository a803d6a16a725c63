/*
 * io_stream.h - one byte-stream type over plain files, gzip and zstd.
 *
 * The codec is chosen by the first bytes of the data, never by the file name:
 * 1f 8b -> gzip (multi-member), 28 b5 2f fd -> zstd (multi-frame, windows up to
 * 2^31; a leading zstd skippable frame, as pzstd writes, also means zstd),
 * anything else -> plain.  "-" is standard input.  Depends on nothing
 * but lk_internal.h.
 */
#ifndef LK_IO_STREAM_H
#define LK_IO_STREAM_H

#include "lk_internal.h"

typedef struct lk_stream lk_stream;

/**
 * Open `path` ("-" = stdin) and sniff its codec.
 * @param out receives a stream the caller frees with lk_stream_close().
 * @param errbuf LK_ERRMSG_MAX bytes; on failure receives e.g.
 *        "cannot open 'x.csv': No such file or directory".
 * @return LK_OK, LK_EIO, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_stream_open(const char *path, lk_stream **out, char *errbuf);

/**
 * Open an in-memory buffer (borrowed; must outlive the stream) as a stream,
 * with the same sniffing.  `name` is used in messages.
 */
LK_RESULT_USED lk_status lk_stream_open_mem(const void *data, size_t n, const char *name,
                                            lk_stream **out, char *errbuf);

/**
 * lk_stream_open_mem without sniffing: the bytes are taken as they are
 * (already decoded text, e.g. one chunk of a larger stream, which may start
 * with anything).  Codec "plain".
 */
LK_RESULT_USED lk_status lk_stream_open_mem_plain(const void *data, size_t n, const char *name,
                                                  lk_stream **out, char *errbuf);

/**
 * Read up to n decompressed bytes into buf.
 * @return the number of bytes (> 0), 0 at a clean end of stream, or a
 *         negative lk_status (LK_EIO: read error, corrupt or truncated gzip /
 *         zstd data) with the reason in lk_stream_errmsg().
 */
ptrdiff_t lk_stream_read(lk_stream *s, void *buf, size_t n);

/**
 * Give back n decoded bytes just read, so that the next reads return them
 * first (format sniffing).  Only when no earlier give-back is still pending.
 * @return LK_OK, LK_EINVAL, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_stream_unread(lk_stream *s, const void *data, size_t n);

/** Last error, e.g. "x.csv.gz: truncated gzip stream".  Borrowed. */
const char *lk_stream_errmsg(const lk_stream *s);

/** The name given at open ("-" shown as "(stdin)").  Borrowed. */
const char *lk_stream_name(const lk_stream *s);

/** "plain", "gzip" or "zstd". */
const char *lk_stream_codec(const lk_stream *s);

/** Raw (compressed) bytes consumed so far, for progress reporting. */
uint64_t lk_stream_raw_bytes(const lk_stream *s);

/**
 * Whether s is a plain (uncompressed) regular file opened by name, whose
 * bytes can be read at any offset (lk_stream_pread) and sought
 * (lk_stream_seek): then *size receives the file's size.  Standard input,
 * pipes, memory blocks and compressed files give 0.
 */
int lk_stream_seekable(const lk_stream *s, uint64_t *size);

/** Offset in the file of the next byte lk_stream_read() would return (a
 * seekable stream only: bytes given back are not yet read). */
uint64_t lk_stream_tell(const lk_stream *s);

/**
 * Read up to n bytes at file offset off of a seekable stream, without moving
 * it; safe from several threads at once.  Retries EINTR and short reads.
 * @return the number of bytes (fewer than n only at the end of the file), or
 *         LK_EIO with "NAME: read error: ..." in lk_stream_errmsg() (from one
 *         thread at a time only: the message buffer is shared).
 */
ptrdiff_t lk_stream_pread(lk_stream *s, void *buf, size_t n, uint64_t off);

/**
 * Move a seekable stream to file offset off: bytes given back are dropped,
 * the next read returns the byte at off, and lk_stream_raw_bytes() becomes
 * off.  @return LK_OK, or LK_EIO with the message in lk_stream_errmsg().
 */
LK_RESULT_USED lk_status lk_stream_seek(lk_stream *s, uint64_t off);

/** Close and free.  NULL-safe.  Never closes fd 0 (stdin). */
void lk_stream_close(lk_stream *s);

#endif
