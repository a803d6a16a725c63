/*
 * reader.h - one input file (any codec, any supported format) into a sink.
 */
#ifndef LK_READER_H
#define LK_READER_H

#include "io_stream.h"
#include "sink.h"

/* Options of the readers. */
typedef struct lk_read_opts {
    lk_format format; /* LK_FMT_AUTO: sniffed from the first bytes and the header / keys */
    const char *col_object, *col_account, *col_content, *col_time; /* generic CSV */
    /* Threads parsing one file (reader_par.c); <= 1: serial.  The result
     * is the same for any number. */
    unsigned threads;
    /* Bytes per chunk of parallel reading; 0: the environment variable
     * LK_CHUNK_BYTES (for tests: many chunks from small files), else 512 KiB. */
    size_t chunk_bytes;
    /* Non-NULL: a distributed run (dist.h) in which every rank reads the
     * same files with the same options: the chunks of parallel reading are
     * parsed one rank each and their journals exchanged (reader_par.c);
     * the bytes exchanged are added here.  Every read is then collective.
     * A plain file is read by byte range, each rank its own stripes: the
     * bytes this rank read of such files are added to *dist_read. */
    uint64_t *dist_bytes;
    uint64_t *dist_read;
} lk_read_opts;

/**
 * Read one input file and give its records to k (which counts them into st).
 * @param file_index stored in every action.
 * @param errbuf LK_ERRMSG_MAX bytes: "PATH:LINE: what was wrong".
 * @return LK_OK; LK_EIO, LK_EPARSE, LK_ELIMIT, LK_ENOMEM, LK_EINVAL.  On
 *         error the stats still count the rows read so far.
 */
LK_RESULT_USED lk_status lk_read_file(const char *path, uint32_t file_index, const lk_read_opts *ro,
                                      lk_sink *k, lk_input_stats *st, char *errbuf);

/** lk_read_file on an open stream (the caller closes it); stats->path is
 *  left to the caller. */
LK_RESULT_USED lk_status lk_read_stream(lk_stream *s, uint32_t file_index, const lk_read_opts *ro,
                                        lk_sink *k, lk_input_stats *st, char *errbuf);

#endif
