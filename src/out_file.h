/*
 * out_file.h - buffered output files that either complete or disappear.
 * Every write is checked; a failed file is removed so that no half-written
 * table is ever left looking complete.
 */
#ifndef LK_OUT_FILE_H
#define LK_OUT_FILE_H

#include "lk_internal.h"

typedef struct lk_outfile lk_outfile;

/** Create (truncate) dir/name.  @param out caller closes with lk_out_close or lk_out_abort. */
LK_RESULT_USED lk_status lk_out_open(const char *dir, const char *name, lk_outfile **out,
                                     char *errbuf);

/** Append bytes; errors are remembered and reported by lk_out_close(). */
void lk_out_write(lk_outfile *f, const void *p, size_t n);

/** Append the buffer's contents and reset it. */
void lk_out_flush_buf(lk_outfile *f, lk_buf *b);

/** Flush, fsync-free close; on any error remove the file and return LK_EIO
 *  ("cannot write 'path': reason").  NULL-safe (LK_OK). */
LK_RESULT_USED lk_status lk_out_close(lk_outfile *f, char *errbuf);

/** Close and remove the file (failure path).  NULL-safe. */
void lk_out_abort(lk_outfile *f);

/** Make a directory and its parents (like mkdir -p).  LK_EIO on failure. */
LK_RESULT_USED lk_status lk_mkdirs(const char *dir, char *errbuf);

/** Append a number as R writes it: up to 15 significant digits ("%.15g"). */
LK_RESULT_USED lk_status lk_buf_num15(lk_buf *b, double v);

/** Append epoch milliseconds as seconds: "1623881091" or "1623881091.25". */
LK_RESULT_USED lk_status lk_buf_secs(lk_buf *b, int64_t ms);

/** Append an unsigned integer in decimal (no printf: hot output paths). */
LK_RESULT_USED lk_status lk_buf_u64(lk_buf *b, uint64_t v);

/** Append epoch ms as ISO 8601 UTC: "2021-06-16T22:04:51Z", with ".250" when
 *  the milliseconds are not zero (same text as lk_format_time_iso). */
LK_RESULT_USED lk_status lk_buf_time_iso(lk_buf *b, int64_t ms);

#endif
