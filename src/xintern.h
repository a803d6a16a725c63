/*
 * xintern.h - the strings a frozen string pool did not take in, interned
 * after reading as if the pool had never frozen.
 *
 * Under --max-mem the account and object pools (strpool.h: ids 0,1,2,... in
 * order of first appearance) would grow without bound while reading.  Past
 * its share of the cap the reader freezes a pool: from then on a string is
 * only looked up (lk_strpool_find_hashed), and one the pool does not hold
 * is handed to this set, which gives it a provisional id (one of the
 * LK_STRPOOL_PROVISIONAL ids at the top of the range, one per partition of
 * the hash's high bits) and writes the occurrence to a temporary file.
 * When reading is over, lk_xintern_resolve() finds the distinct strings
 * among the occurrences and appends them to the pool in order of first
 * occurrence, so that every id is the one the pool would have given
 * without freezing (outputs are compared byte for byte); lk_xintern_next()
 * then gives back the real id of each occurrence, in the order they were
 * added.
 *
 * A set can instead only tell repeats apart (the sink's keys of duplicate
 * posts once its key set freezes): lk_xintern_dedup() in place of
 * lk_xintern_resolve() finds which occurrences are the first of their
 * string among all added, without ids, pool or merge, and
 * lk_xintern_next_first() says so for each occurrence in the order added.
 *
 * States: adding (lk_xintern_add) -> resolved (lk_xintern_resolve, then
 * lk_xintern_next) or -> deduped (lk_xintern_dedup, then
 * lk_xintern_next_first); a call out of turn is LK_EINVAL and changes
 * nothing.
 *
 * Memory: while adding, a 16 KiB write buffer per partition that has an
 * occurrence (4 MiB at most) and 16 bytes per 16 KiB of records written;
 * while resolving, a temporary pool per thread holding one partition's
 * distinct strings (about 1/256 of them each, with 8 bytes a string for its
 * first occurrence), then 12 KiB per partition for the merge (3 MiB), then
 * per thread one partition's real ids (4 bytes a distinct string); while
 * deduping, the temporary pool per thread only; while giving ids or flags
 * back, 16 KiB per partition not yet exhausted (4 MiB at most).  Nothing is
 * ever held per occurrence.
 *
 * Disk: about 7 bytes + the string's length per occurrence (a record head
 * of two varints, usually 2-4 bytes, and 4 of id), and when resolving 16
 * bytes + the length per distinct string (its copy, its first occurrence
 * and its real id; deduping writes nothing per distinct string), in one
 * file (tmpfile.h) given back by lk_xintern_free().
 *
 * A handle is used by one thread at a time; lk_xintern_resolve() and
 * lk_xintern_dedup() run their own threads.  After an error other than
 * LK_EINVAL, or lk_xintern_add's LK_ELIMIT, every later call fails with the
 * same status and message.
 */
#ifndef LK_XINTERN_H
#define LK_XINTERN_H

#include "lk_internal.h"
#include "strpool.h"

typedef struct lk_xintern lk_xintern;

/**
 * A new, empty set of occurrences, and its temporary file in dir (NULL or
 * "": $TMPDIR or /tmp; borrowed, must outlive the set), made at once so
 * that a folder that cannot hold it is told when the pool freezes.
 * @param out receives a set the caller frees with lk_xintern_free().
 * @param errbuf LK_ERRMSG_MAX bytes, gets the one-line error.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf: the file could not be made;
 *         the message names the folder).
 */
LK_RESULT_USED lk_status lk_xintern_new(const char *dir, lk_xintern **out, char *errbuf);

struct lk_wbehind;
/** While adding, the records' writes through wb (wbehind.h: copied, written
 *  by a thread of their own), or, wb NULL, at once again.  The first call
 *  after adding (resolve or dedup) syncs wb and lets it go before anything
 *  is read back. */
void lk_xintern_write_behind(lk_xintern *x, struct lk_wbehind *wb);

/**
 * One occurrence of (s, n), any bytes, NUL included, of any length (n may
 * be 0), with h = lk_strpool_hash(s, n).  *prov receives its provisional id,
 * UINT32_MAX - 1 - part, where part = (h >> 24) % LK_STRPOOL_PROVISIONAL.
 * Amortised O(n); a write of 16 KiB to the file now and then.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf: the file could not be written;
 *         the message names the folder), LK_ELIMIT (n > UINT32_MAX),
 *         LK_EINVAL (after lk_xintern_resolve() or lk_xintern_dedup()).
 */
LK_RESULT_USED lk_status lk_xintern_add(lk_xintern *x, const char *s, size_t n, uint32_t h,
                                        uint32_t *prov, char *errbuf);

/** Whether id is one lk_xintern_add() hands out (UINT32_MAX - 1 -
 *  LK_STRPOOL_PROVISIONAL < id < UINT32_MAX): a pool never gives one, and
 *  each stands for one occurrence, whose real id lk_xintern_next() gives. */
static inline int lk_xintern_provisional(uint32_t id)
{
    return id >= UINT32_MAX - LK_STRPOOL_PROVISIONAL && id < UINT32_MAX;
}

/** Occurrences added so far. */
uint64_t lk_xintern_count(const lk_xintern *x);

/** Bytes of the temporary file so far: the occurrences' records, and once
 *  resolved or deduped the resolution's own regions (file_bytes for the
 *  logs). */
uint64_t lk_xintern_file_bytes(const lk_xintern *x);

/** Distinct strings among the occurrences (0 before lk_xintern_resolve()
 *  or lk_xintern_dedup()). */
uint64_t lk_xintern_distinct(const lk_xintern *x);

/**
 * Once every occurrence is added: find the distinct strings a partition at
 * a time (the partitions on up to `threads` threads, lk_par_run) and append
 * them to pool with lk_strpool_append() in order of first occurrence: the
 * first one gets id lk_strpool_count(pool) at the call, and so on.  The
 * caller guarantees that none of them is in pool already and that nothing
 * else is added to pool meanwhile.  With no occurrence, nothing happens.
 * The ids and strings given are the same whatever `threads` is.
 * Time O(occurrences + their bytes) expected, plus O(distinct log 256) for
 * the merge; the file is read twice and written about once again.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf), LK_ELIMIT (pool's limit on
 *         strings), LK_EINVAL (resolved or deduped already).
 */
LK_RESULT_USED lk_status lk_xintern_resolve(lk_xintern *x, lk_strpool *pool, unsigned threads,
                                            char *errbuf);

/**
 * The real id of the next occurrence whose provisional id was prov: the
 * occurrences of a partition come back in the order they were added, so
 * the caller walks its records in the order it added them and passes each
 * one's provisional id.  Amortised O(1); a read of 16 KiB now and then.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf), LK_EINVAL (not resolved, also
 *         when deduped; prov not a provisional id, or its partition has no
 *         occurrence left).
 */
LK_RESULT_USED lk_status lk_xintern_next(lk_xintern *x, uint32_t prov, uint32_t *id, char *errbuf);

/**
 * Once every occurrence is added, instead of lk_xintern_resolve(): find, a
 * partition at a time (on up to `threads` threads), which occurrences are the
 * first of their string among all added.  No string is kept or copied out: no
 * merge, no pool.  lk_xintern_distinct() then counts the distinct strings.
 * Same result whatever `threads`.  With no occurrence, nothing happens.
 * Time O(occurrences + their bytes) expected; the file is read once and 4
 * bytes an occurrence written.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf), LK_ELIMIT (one partition
 *         past a pool's limit on strings, strpool.h), LK_EINVAL (resolved or
 *         deduped already).
 */
LK_RESULT_USED lk_status lk_xintern_dedup(lk_xintern *x, unsigned threads, char *errbuf);

/**
 * After lk_xintern_dedup(): whether the next occurrence whose provisional id
 * was prov (walked in the order added, as lk_xintern_next) is the first of
 * its string (*first = 1) or repeats an earlier one (0).  Amortised O(1); a
 * read of 16 KiB now and then.
 * @return LK_OK, LK_ENOMEM, LK_EIO (errbuf; also a file read back corrupt),
 *         LK_EINVAL: not deduped (also when resolved), prov not provisional,
 *         or its partition has none left.
 */
LK_RESULT_USED lk_status lk_xintern_next_first(lk_xintern *x, uint32_t prov, int *first,
                                               char *errbuf);

/** Free, giving the file back (lk_tmpfile_close).  NULL-safe. */
void lk_xintern_free(lk_xintern *x);

#endif
