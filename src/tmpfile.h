/*
 * tmpfile.h - temporary files in --tmp-dir that can never be left behind:
 * made without a name (O_TMPFILE), or, on a filesystem without it, unlinked
 * the moment they are made.  Their space goes back when the descriptor is
 * closed or the process ends, however it ends.  Used by the pair stage's
 * spill files (net.c), the string tables parked during the pair stage and
 * the calibration (strpool.c), the kept edges parked during the calibration
 * (net.c), and at the end of reading the near-text signatures and posts
 * (neartext.c, sink.c) and the dataset parked while the texts are clustered
 * (reader.c).  Every error is one line naming the folder.
 */
#ifndef LK_TMPFILE_H
#define LK_TMPFILE_H

#include "lk_internal.h"

/** A new temporary file in dir; *fd receives its descriptor (the caller
 *  closes it).  @return LK_OK or LK_EIO (errbuf says why). */
LK_RESULT_USED lk_status lk_tmpfile_open(const char *dir, int *fd, char *errbuf);

/** Write len bytes at off.  @return LK_OK or LK_EIO ("cannot write a
 *  temporary file in DIR: cause"). */
LK_RESULT_USED lk_status lk_tmpfile_write(int fd, const void *buf, size_t len, uint64_t off,
                                          const char *dir, char *errbuf);

/** Read len bytes at off back.  @return LK_OK or LK_EIO. */
LK_RESULT_USED lk_status lk_tmpfile_read(int fd, void *buf, size_t len, uint64_t off,
                                         const char *dir, char *errbuf);

/** $TMPDIR, else /tmp, when dir is NULL or empty; else dir. */
const char *lk_tmpfile_dir(const char *dir);

#endif
