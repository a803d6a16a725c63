/*
 * reader_int.h - private to reader.c and reader_par.c: how reader.c lends
 * its per-format loops to the parallel reader.  Nothing else includes it.
 */
#ifndef LK_READER_INT_H
#define LK_READER_INT_H

#include "fmt.h"
#include "reader.h"

/* What the parallel reader needs from the format side of one file. */
typedef struct lk_chunk_ops {
    int csv; /* chunks end at a '\n' outside quotes; else at any '\n' (JSON lines) */
    /* chunks starting before this byte of the data are `first` (JSON: the
     * first non-blank line is in them; CSV: 1, the header's line end) */
    uint64_t first_end;
    /*
     * Parse one chunk (p, n) with worker `worker`'s state into the worker
     * sink wk, whose journal is open.  first: see first_end.
     * *lines: the physical lines the chunk spans.  *serial: the chunk cannot
     * be read on its own (a CSV scanner error, whose resynchronisation may
     * depend on bytes outside the chunk; stateful JSON); the reader then
     * reads serially from this chunk's start.  Called on any thread.
     * @return LK_OK; LK_EPARSE when a bad row stops the run (journaled);
     *         LK_ENOMEM.
     */
    lk_status (*chunk)(void *ctx, unsigned worker, const char *p, size_t n, int first, lk_sink *wk,
                       uint64_t *lines, int *serial);
    /*
     * Read the rest of the stream serially into the main sink; the next
     * record is on physical line `line`; first: as for a chunk starting
     * there.
     */
    lk_status (*rest)(void *ctx, uint64_t line, int first);
    void *ctx;
} lk_chunk_ops;

/**
 * Read the data of a stream in chunks on ro->threads threads: (pre, npre)
 * are bytes already taken from the stream (before what is still in it),
 * starting at a record boundary on physical line `line`.  Records reach k
 * in input order, exactly as a serial read would give them.
 * @return the status of the serial read, with errbuf set likewise.
 */
LK_RESULT_USED lk_status lk_read_chunked(lk_stream *s, const lk_read_opts *ro, const char *pre,
                                         size_t npre, uint64_t line, const lk_chunk_ops *ops,
                                         lk_sink *k, char *errbuf);

#endif
