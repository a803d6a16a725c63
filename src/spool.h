/*
 * spool.h - records appended to a temporary file, read back once in order.
 *
 * Under --max-mem, once the duplicate posts' key set is frozen, the sink
 * writes each later record here instead of handling it at once, and
 * replays them after reading.  Records are opaque bytes, of any length
 * below 4 GiB (0 included); they come back byte for byte, in the order
 * they were added, each exactly once.
 *
 * Layout: records are gathered in a block of LK_SPOOL_BLOCK bytes, each
 * as its length (4 bytes, native order) then its bytes.  A record that
 * does not fit in what is left of the block first sends the block to the
 * file's end; a record longer than a block gets a block of its own.
 * Records never straddle blocks, so reading takes one block at a time.
 *
 * Memory: one block buffer (LK_SPOOL_BLOCK, or 4 bytes more than the
 * longest record if that is longer), taken at the first record and given
 * back when lk_spool_next() reports the end, and 8 bytes a block written
 * (a block holds 1 MiB of records).  Nothing is held per record.
 *
 * Disk: 4 bytes + the record's length per record, in one file (tmpfile.h)
 * given back by lk_spool_free().
 *
 * A spool is used by one thread at a time.  After an LK_EIO or LK_ENOMEM
 * every later call fails with the same status and message (a block half
 * written, or a record lost, leaves nothing later calls could rely on);
 * LK_EINVAL and LK_ELIMIT change nothing.
 */
#ifndef LK_SPOOL_H
#define LK_SPOOL_H

#include "lk_internal.h"

/* A block's bytes: the unit of each write and read of the file. */
#define LK_SPOOL_BLOCK ((size_t)1 << 20)

typedef struct lk_spool lk_spool;

/**
 * A new, empty spool, and its temporary file in dir (NULL or "":
 * lk_tmpfile_dir(), $TMPDIR or /tmp; borrowed, must outlive the spool),
 * made at once with lk_tmpfile_open() so that a folder that cannot hold it
 * is told now, not at some later record.  O(1); no block buffer yet.
 * @param out receives a spool the caller frees with lk_spool_free();
 *        untouched on failure.
 * @param errbuf LK_ERRMSG_MAX bytes, gets the one-line error.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf: the file could not be made;
 *         the message names the folder).
 */
LK_RESULT_USED lk_status lk_spool_new(const char *dir, lk_spool **out, char *errbuf);

/**
 * Room for the next record, of n bytes (0 allowed): *dst receives where
 * the caller writes them (borrowed; valid until the next call on s, which
 * may send the block they are in to the file).  O(1) amortised; a write
 * of a block (1 MiB, or the record before if it was longer) now and then,
 * and the buffer grows to 4 + n bytes for a record longer than a block.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf: a block could not be written;
 *         the message names the folder), LK_ELIMIT (n >= UINT32_MAX),
 *         LK_EINVAL (after lk_spool_rewind()).
 */
LK_RESULT_USED lk_status lk_spool_add(lk_spool *s, size_t n, void **dst, char *errbuf);

/**
 * Adding is over: the last block is written out, and lk_spool_next() then
 * gives the records back from the first.  One block write at most.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf: the last block could not be
 *         written; the message names the folder), LK_EINVAL (called
 *         twice).
 */
LK_RESULT_USED lk_status lk_spool_rewind(lk_spool *s, char *errbuf);

/**
 * The next record: *rec receives its *n bytes (borrowed, writable; valid
 * until the next call on s; no alignment promised), or *rec = NULL and
 * *n = 0 after the last, and again at every later call (the block buffer
 * is then given back).  O(1) amortised; a read of a block now and then.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf: a block could not be read
 *         back, or was read back corrupt; the message names the folder),
 *         LK_EINVAL (before lk_spool_rewind()).
 */
LK_RESULT_USED lk_status lk_spool_next(lk_spool *s, void **rec, size_t *n, char *errbuf);

/** Records added so far. */
uint64_t lk_spool_count(const lk_spool *s);

/** Bytes written to the file so far (4 + length per record once every
 *  block is out, i.e. after lk_spool_rewind()). */
uint64_t lk_spool_file_bytes(const lk_spool *s);

/** Free, giving the file back (lk_tmpfile_close).  NULL-safe. */
void lk_spool_free(lk_spool *s);

struct lk_wbehind;
/** While adding, the blocks' writes through wb (wbehind.h: copied, written
 *  by a thread of their own), or, wb NULL, at once again.
 *  lk_spool_rewind() syncs wb and lets it go before anything is read. */
void lk_spool_write_behind(lk_spool *s, struct lk_wbehind *wb);

#endif
