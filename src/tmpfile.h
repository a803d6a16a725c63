/*
 * tmpfile.h - temporary files in --tmp-dir that can never be left behind:
 * made without a name (O_TMPFILE), or, on a filesystem without it, unlinked
 * the moment they are made.  Their space goes back when the descriptor is
 * closed or the process ends, however it ends.  Used by the pair stage's
 * spill files (net.c), the string tables parked during the pair stage and
 * the calibration (strpool.c), the kept edges parked during the calibration
 * (net.c), and at the end of reading the near-text signatures and posts
 * (neartext.c, sink.c) and the dataset parked while the texts are clustered
 * (reader.c), the ids and post keys frozen tables leave out (xintern.c) and
 * the records that wait for the post keys (spool.c).  Every error is one line naming the folder.
 *
 * A file given back with lk_tmpfile_close() is kept open, up to
 * LK_TMPFILE_POOL of them while the filesystem has as much room again, and
 * the next lk_tmpfile_open() on the same filesystem takes one back (the
 * largest first; lk_tmpfile_open_sized, for a long-lived park, one that
 * fits it) instead of making a new one: its pages stay in the page
 * cache, so the next stage's writes overwrite them instead of the kernel
 * finding, zeroing and charging fresh ones (on this project's virtual
 * machines, whose freed memory goes back to the host, a write to a fresh
 * file ran at 0.4-1.1 GB/s and an overwrite at 3.5-7.5 GB/s).  A file taken
 * back keeps its old length and bytes past what the new user writes: every
 * user reads only what it wrote.  lk_tmpfile_drain() closes the kept files;
 * a detect run calls it when it ends.
 */
#ifndef LK_TMPFILE_H
#define LK_TMPFILE_H

#include "lk_internal.h"

/** A new temporary file in dir (NULL or "": lk_tmpfile_dir()); *fd receives its descriptor (the
 * caller closes it).  @return LK_OK or LK_EIO (errbuf says why). */
LK_RESULT_USED lk_status lk_tmpfile_open(const char *dir, int *fd, char *errbuf);

/** lk_tmpfile_open() for a file that will hold about `want` bytes for a
 *  long time (parked data): of the kept files it takes the smallest at
 *  least that long if it is not much longer (twice and 64 MiB), else the
 *  longest shorter one, else a new one; never a much longer one. */
LK_RESULT_USED lk_status lk_tmpfile_open_sized(const char *dir, uint64_t want, int *fd,
                                               char *errbuf);

/** Give back a file lk_tmpfile_open() made (fd < 0: nothing). */
void lk_tmpfile_close(int fd);

/** Close the files lk_tmpfile_close() kept, side by side (a close waits for
 *  the kernel's writeback of its file), and give their space back. */
void lk_tmpfile_drain(void);

/** The bytes of the files lk_tmpfile_close() kept (their lengths when given
 *  back), and in *files how many. */
uint64_t lk_tmpfile_kept(size_t *files);

/** Write len bytes at off.  @return LK_OK or LK_EIO ("cannot write a
 *  temporary file in DIR: cause"). */
LK_RESULT_USED lk_status lk_tmpfile_write(int fd, const void *buf, size_t len, uint64_t off,
                                          const char *dir, char *errbuf);

/** Read len bytes at off back.  @return LK_OK or LK_EIO. */
LK_RESULT_USED lk_status lk_tmpfile_read(int fd, void *buf, size_t len, uint64_t off,
                                         const char *dir, char *errbuf);

/** lk_tmpfile_read() in pieces of at least 64 MiB on up to `threads`
 *  threads (lk_par_run): a read into memory never touched yet, which each
 *  thread then maps in (at 10^8 actions the near-text signatures, 2.65 GB;
 *  on this project's machines a fresh page takes 15 times as long as a
 *  touched one).  Errors as lk_tmpfile_read's (the first piece's). */
LK_RESULT_USED lk_status lk_tmpfile_read_par(int fd, void *buf, size_t len, uint64_t off,
                                             unsigned threads, const char *dir, char *errbuf);

/** A new temporary file in dir (as lk_tmpfile_open) of len bytes (> 0),
 *  its room taken at once, so that a full disk is an error here ("no room
 *  for ... in DIR"), never a fault while writing through the mapping, and
 *  mapped shared, read-write, at *map.  The caller munmaps it and gives *fd
 *  back with lk_tmpfile_close(); on failure nothing is left open.
 *  @return LK_OK or LK_EIO (errbuf says why). */
LK_RESULT_USED lk_status lk_tmpfile_map_new(const char *dir, size_t len, int *fd, void **map,
                                            char *errbuf);

/** The same, but the room taken for the byte ranges [piece[2k], piece[2k +
 *  1]) (k < npieces, within len) alone: the rest of the file is a hole,
 *  which the caller must never write (reading it gives zeros). */
LK_RESULT_USED lk_status lk_tmpfile_map_pieces(const char *dir, size_t len, const size_t *piece,
                                               size_t npieces, int *fd, void **map, char *errbuf);

/** The first len bytes (> 0) of the temporary file fd (in dir, for the
 *  message) mapped read-only and private at *map: what was written there
 *  read through the page cache, whose pages can be let go
 *  (lk_pages_drop) and come back from the file.
 *  @return LK_OK or LK_EIO ("cannot map a temporary file in DIR: cause"). */
LK_RESULT_USED lk_status lk_tmpfile_map_ro(int fd, size_t len, const char *dir, void **map,
                                           char *errbuf);

/** What was read back from a temporary file in dir is not what was written
 *  (another process wrote it, or the disk failed): an I/O error, never a
 *  fault.  Writes the one-line message; returns LK_EIO. */
lk_status lk_tmpfile_corrupt(const char *dir, char *errbuf);

/** $TMPDIR, else /tmp, when dir is NULL or empty; else dir. */
const char *lk_tmpfile_dir(const char *dir);

#endif
