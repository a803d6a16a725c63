/*
 * wbehind.h - writes behind the caller: the bytes are copied into one of
 * two buffers, and a thread of its own writes them to their temporary files
 * (at their offsets) while the caller goes on.
 *
 * For the reading's commit, the one step of reading that neither threads
 * nor ranks share out.  Under --max-mem it spills as they come the actions
 * with their content refs and ids, the near-text signatures and posts (8.0
 * GB at 10^8 simulated actions) and, once the tables freeze, the strings
 * they leave out and the records that wait.  On this project's machines the
 * kernel's copies into fresh page-cache pages were a third of its time
 * (bench/RESULTS.md); a copy into a buffer already touched is several times
 * cheaper.
 *
 * Nothing written behind may be read back, and no file written behind may
 * be closed, before lk_wbehind_sync() returns: the writer keeps only the
 * descriptor and the offset.  An error of the writer (a full disk) comes
 * back from a later lk_wbehind_write() or from lk_wbehind_sync(), with the
 * writer's one-line message ("cannot write a temporary file in DIR: cause"),
 * and every call after it fails the same way.
 */
#ifndef LK_WBEHIND_H
#define LK_WBEHIND_H

#include "lk_internal.h"

typedef struct lk_wbehind lk_wbehind;

/** A writer thread with two buffers of `bufsz` bytes (at least 64 KiB).
 *  @return the writer, or NULL when its memory or its thread cannot be had
 *  (the callers then write themselves: lk_wbehind_write(NULL, ...)). */
lk_wbehind *lk_wbehind_new(size_t bufsz);

/** len bytes of buf to be written at off of fd (a file of dir): copied
 *  before it returns, so buf may change at once.  wb NULL: written here
 *  (lk_tmpfile_write).  @return LK_OK, or LK_EIO with errbuf set (this
 *  write's, or an earlier one's the writer failed). */
LK_RESULT_USED lk_status lk_wbehind_write(lk_wbehind *wb, int fd, const void *buf, size_t len,
                                          uint64_t off, const char *dir, char *errbuf);

/** Wait until everything handed over is in its files.  @return LK_OK, or
 *  the writer's first error (LK_EIO, errbuf set).  wb NULL: LK_OK. */
LK_RESULT_USED lk_status lk_wbehind_sync(lk_wbehind *wb, char *errbuf);

/** lk_wbehind_sync() whose error stays for the next call (before a file
 *  written behind closes, on a path that is failing already). */
void lk_wbehind_drain(lk_wbehind *wb);

/** Bytes the writer wrote and the seconds it spent writing them. */
void lk_wbehind_stats(lk_wbehind *wb, uint64_t *bytes, double *secs);

/** Sync (its error dropped: callers that need it sync first), stop the
 *  thread and free everything.  NULL: nothing. */
void lk_wbehind_free(lk_wbehind *wb);

#endif
