/*
 * strpool.h - interning of id strings (accounts, objects) to dense uint32_t.
 *
 * Each distinct string is stored once, NUL-terminated, in large chunks whose
 * addresses never move, so lk_strpool_get() pointers stay valid for the life
 * of the pool.  Ids are assigned 0,1,2,... in order of first appearance, which
 * makes them deterministic for a given input order.
 */
#ifndef LK_STRPOOL_H
#define LK_STRPOOL_H

#include "lk_internal.h"

typedef struct lk_strpool lk_strpool;

/** @param out receives a pool the caller frees with lk_strpool_free(). */
LK_RESULT_USED lk_status lk_strpool_new(lk_strpool **out);

/**
 * Return the id of (s, n), adding it when new.  *is_new (may be NULL) tells
 * which.  Expected O(1).
 * @return LK_OK, LK_ENOMEM, LK_ELIMIT (more than 2^32 - 2 - LK_STRPOOL_PROVISIONAL
 *         strings).
 */
LK_RESULT_USED lk_status lk_strpool_intern(lk_strpool *p, const char *s, size_t n, uint32_t *id,
                                           int *is_new);

/** The hash lk_strpool_intern_hashed() expects for (s, n). */
static inline uint32_t lk_strpool_hash(const char *s, size_t n)
{
    return (uint32_t)lk_hash64(s, n);
}

/** Start loading the table slot of hash h into cache (a hint; no effect on
 *  results).  The reader issues it before other per-row work so that the
 *  probe's cache miss overlaps with that work. */
void lk_strpool_prefetch(const lk_strpool *p, uint32_t h);

/** Second stage of a batched lookup: once the slot of h is in cache, start
 *  loading the string it leads to, or (a table by id, see strpool.c) the
 *  pointer of the id it holds (a hint; no effect on results). */
void lk_strpool_prefetch_id(const lk_strpool *p, uint32_t h);

/** Third stage, for a table by id: once that pointer is in cache, start
 *  loading the string (a hint; no effect on results). */
void lk_strpool_prefetch_str(const lk_strpool *p, uint32_t h);

/** Testing: the table goes by id from the first string past the arena's
 *  first `chunks` chunks on (by default 1023, about 4 GiB of strings, past
 *  which a place no longer fits in a slot).  No effect on results. */
void lk_strpool_set_place_chunks(lk_strpool *p, size_t chunks);

/** lk_strpool_intern() with the hash already computed by lk_strpool_hash(). */
LK_RESULT_USED lk_status lk_strpool_intern_hashed(lk_strpool *p, const char *s, size_t n,
                                                  uint32_t h, uint32_t *id, int *is_new);

/** lk_strpool_intern_hashed(), and *str the pool's copy of the string (as
 *  lk_strpool_get() gives it) without a look at the id's pointer. */
LK_RESULT_USED lk_status lk_strpool_intern_str(lk_strpool *p, const char *s, size_t n, uint32_t h,
                                               uint32_t *id, const char **str);

/** Look up without adding.  @return 1 and *id when present, else 0. */
int lk_strpool_find(const lk_strpool *p, const char *s, size_t n, uint32_t *id);

/** lk_strpool_find() with the hash already computed by lk_strpool_hash(). */
int lk_strpool_find_hashed(const lk_strpool *p, const char *s, size_t n, uint32_t h, uint32_t *id);

/** lk_strpool_find_hashed(), and when found *str (may be NULL) as
 *  lk_strpool_intern_str() gives it. */
int lk_strpool_find_str(const lk_strpool *p, const char *s, size_t n, uint32_t h, uint32_t *id,
                        const char **str);

/*
 * Ids from UINT32_MAX - 1 - LK_STRPOOL_PROVISIONAL up are never given to a
 * string (LK_ELIMIT first): a table past its share of --max-mem while
 * reading hands them out for strings it no longer takes in (xintern.h),
 * until their real ids are known.
 */
#define LK_STRPOOL_PROVISIONAL 256u

/** Bytes the pool may add beside what lk_strpool_bytes() counts while
 *  `adds` more strings are interned: a rehash's new table, the ids'
 *  pointers' growth, a new arena chunk.  What a reader checks before a
 *  batch, to stop adding before a growth takes the tables past a cap. */
size_t lk_strpool_grow_bytes(const lk_strpool *p, size_t adds);

/**
 * Add (s, n) with the next id without looking it up: the caller knows it
 * is new (xintern.h, which found the strings a frozen pool did not take
 * in).  The hash table is freed, and built again by the next lookup.  A
 * pool parked to grow (lk_strpool_park_grow) takes it into its file.
 * @return LK_OK, LK_ENOMEM, LK_ELIMIT, LK_EIO (growing: a write failed,
 *         told in its errbuf), LK_EINVAL (parked otherwise, or past the
 *         room it was parked with).
 */
LK_RESULT_USED lk_status lk_strpool_append(lk_strpool *p, const char *s, size_t n);

/**
 * rank[id] = position of string `id` among all the pool's strings in byte
 * order (shorter first on a common prefix): the order every output sorts
 * account ids by.  Time O(n log n).
 * @param rank_out receives n entries the caller frees with free().
 * @return LK_OK, LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_strpool_ranks(const lk_strpool *p, uint32_t **rank_out);

/** The string of `id` (borrowed; valid until lk_strpool_free). len may be NULL. */
const char *lk_strpool_get(const lk_strpool *p, uint32_t id, size_t *len);

/** Number of distinct strings. */
size_t lk_strpool_count(const lk_strpool *p);

/** Whether lookups go through the hash table (a pool parked and read back
 *  without it, until its next lk_strpool_intern(), scans its strings). */
int lk_strpool_indexed(const lk_strpool *p);

/** Bytes held (strings + index), for memory accounting. */
size_t lk_strpool_bytes(const lk_strpool *p);

/** Free.  NULL-safe. */
void lk_strpool_free(lk_strpool *p);

/*
 * lk_arena: append-only byte store for strings that are kept but never looked
 * up (content ids).  Offsets are stable; each string is NUL-terminated.
 */
typedef struct lk_arena {
    char **chunk;   /* NULL: on disk (parked, or spilled) */
    size_t *cused;  /* bytes used in each chunk but the last (set when it is closed) */
    uint64_t *coff; /* spilled: each written chunk's place in the spill file */
    size_t nchunk, cap_chunk;
    size_t used;  /* bytes used in the last chunk */
    size_t csize; /* size of the last chunk */
    uint64_t total;
    uint64_t park_off; /* while parked: where its chunks start in the file */
    int parked;
    int spill_fd1;         /* 0, or (lk_arena_spill) its own file + 1 */
    const char *spill_dir; /* that file's folder (borrowed) */
    char *spill_err;       /* where a write error is told (borrowed) */
    uint64_t spill_end;    /* bytes of closed chunks in that file */
    /* spilled: the closed chunks' writes go through it (wbehind.h: none of
     * them is read back until it is synced and unset), else NULL: at once */
    struct lk_wbehind *wb;
} lk_arena;

void lk_arena_init(lk_arena *a);
/** Copy (s, n) + NUL; *ref receives a handle for lk_arena_get(). */
LK_RESULT_USED lk_status lk_arena_add(lk_arena *a, const char *s, size_t n, uint64_t *ref);
/** Reserve n + 1 bytes (the caller writes n bytes and a NUL at *out). */
LK_RESULT_USED lk_status lk_arena_reserve(lk_arena *a, size_t n, uint64_t *ref, char **out);
/** The string behind ref (borrowed); its chunk must be in memory (always,
 *  unless parked or spilled: see lk_arena_copy). */
const char *lk_arena_get(const lk_arena *a, uint64_t ref);
/** Free the chunks (and close a spilled arena's file).  NULL-safe twice. */
void lk_arena_release(lk_arena *a);

/*
 * Spilling: from now on every chunk the arena closes (when a string does not
 * fit in it) is written to a temporary file of its own in dir (tmpfile.h)
 * and its memory is used for the next one, so that only the chunk being
 * filled is resident (native detect under --max-mem: the content ids, about
 * 20 bytes an action, which only a few actions' evidence reads back).  A
 * string in a written chunk is reached with lk_arena_copy() or
 * lk_arena_pick(), never lk_arena_get(); the last chunk stays in memory
 * until parked (lk_arena_park writes it to the same file, and unparking
 * reads back that chunk alone).  errbuf (LK_ERRMSG_MAX bytes) receives the
 * one-line error, naming dir, of a write that fails while strings are
 * added: lk_arena_add() then returns LK_EIO.  A no-op when already spilled.
 * @return LK_OK, LK_EIO (opening the file), LK_EINVAL (parked).
 */
LK_RESULT_USED lk_status lk_arena_spill(lk_arena *a, const char *dir, char *errbuf);

/** The string behind ref into out (replacing its content; out->len is the
 *  string's length, followed by a NUL): from memory when its chunk is
 *  there, else read from a spilled arena's file.
 *  @return LK_OK, LK_ENOMEM, LK_EIO, LK_EINVAL (a ref of no string). */
LK_RESULT_USED lk_status lk_arena_copy(const lk_arena *a, uint64_t ref, lk_buf *out, char *errbuf);

/** Bytes in chunk c (ref c << 32 is its first byte): its strings and their
 *  NULs, back to back. */
uint64_t lk_arena_chunk_len(const lk_arena *a, size_t c);

/** n bytes at ref into dst, from memory or a spilled arena's file (a ref
 *  need not start a string: lk_arena_reserve's callers may lay out records).
 *  @return LK_OK, LK_EIO, LK_EINVAL (outside the chunk, or parked). */
LK_RESULT_USED lk_status lk_arena_read(const lk_arena *a, uint64_t ref, void *dst, size_t n,
                                       char *errbuf);

/*
 * Parking: a table that is not needed for a while (the string tables during
 * the pair stage and the calibration, under --max-mem) is written to the
 * temporary file fd (tmpfile.h) at *off, which advances, and its memory is
 * freed; unparking reads it back.  Between the two nothing of it may be
 * read, and refs and ids stay valid across.  Errors are one line naming
 * the folder dir.  @return LK_OK, LK_ENOMEM, LK_EIO.
 */
LK_RESULT_USED lk_status lk_arena_park(lk_arena *a, int fd, uint64_t *off, const char *dir,
                                       char *errbuf);
/* Unparking reads on up to `threads` threads (lk_par_run), each a range
 * of the chunks (or of the table's slots), into memory none has touched. */
LK_RESULT_USED lk_status lk_arena_unpark(lk_arena *a, int fd, const char *dir, unsigned threads,
                                         char *errbuf);
/* A chunk of len bytes, written by the caller at byte `at` of the parked
 * arena's file, becomes its next chunk (a pool that grows while parked,
 * lk_strpool_park_grow): its refs are (the chunk's index << 32 | offset),
 * the index being nchunk before the call.  Not for a spilled arena.
 * @return LK_OK, LK_ENOMEM, LK_EINVAL (not parked, or spilled). */
LK_RESULT_USED lk_status lk_arena_add_parked(lk_arena *a, uint64_t len, uint64_t at);
/* Of a parked arena, only the strings behind refs[0..n) into *out (a new
 * arena, released by the caller), refs[] rewritten to point there: read
 * from the file one string at a time, for when a few are needed (a
 * spilled arena's from its own file: fd and dir are not used then).
 * @return LK_OK, LK_ENOMEM, LK_ELIMIT, LK_EIO. */
LK_RESULT_USED lk_status lk_arena_pick(const lk_arena *a, int fd, const char *dir, uint64_t *refs,
                                       size_t n, lk_arena *out, char *errbuf);
/* with_table: the hash table's slots go to the file too (8 bytes a slot),
 * so that an unpark with lookup reads them back instead of hashing every
 * string again (3.5-5.5 s at 10^8 actions). */
LK_RESULT_USED lk_status lk_strpool_park(lk_strpool *p, int fd, uint64_t *off, int with_table,
                                         const char *dir, char *errbuf);
/* With lookup 0 the pool comes back without its hash table (8 bytes a
 * slot, two to four slots a string): lk_strpool_get() as before, and the
 * table is rebuilt by the first lk_strpool_intern(); lk_strpool_find()
 * without it scans (O(n)).  With lookup, the table comes back as parked,
 * or is built from the strings. */
LK_RESULT_USED lk_status lk_strpool_unpark(lk_strpool *p, int fd, const char *dir, int lookup,
                                           unsigned threads, char *errbuf);
/* Of a parked pool, only the strings of ids[0..n) (increasing) back, for
 * when a few are needed (the outputs of a run under --max-mem, which show
 * the coordinated accounts and their objects): read from the file one at
 * a time, into an arena of their own, beside the ids (12 bytes an id read
 * back, nothing for the others).  lk_strpool_get() then gives those ids'
 * strings and NULL for any other (whose length it reads below NULL: a
 * fault, never an empty string); nothing else may be asked of the pool but
 * lk_strpool_count() and lk_strpool_free().  More than one id in 16, or an
 * arena spilled to its own file: lk_strpool_unpark() without lookup.
 * @return LK_OK, LK_ENOMEM, LK_EIO, LK_EINVAL (an id out of order or
 *         range). */
LK_RESULT_USED lk_status lk_strpool_unpark_ids(lk_strpool *p, int fd, const char *dir,
                                               const uint32_t *ids, size_t n, unsigned threads,
                                               char *errbuf);

/*
 * Parked to grow: lk_strpool_park without its table, with room in the file
 * for `room` more ids' refs, after which lk_strpool_append() adds strings
 * straight to the file: a megabyte at a time as the arena's next chunk,
 * written at *off (which advances, and must stay valid until
 * lk_strpool_grow_end), their refs 64 Ki at a time into that room.  So
 * the strings a frozen pool did not take in (xintern.h) get their ids
 * without ever being in memory all together (about 30 bytes a string with
 * its pointer).  errbuf (borrowed until lk_strpool_grow_end) receives a
 * failed write's one-line error, naming dir.  Not for a pool read back in
 * part.  @return LK_OK, LK_ENOMEM, LK_EIO, LK_EINVAL (parked already).
 */
LK_RESULT_USED lk_status lk_strpool_park_grow(lk_strpool *p, int fd, uint64_t *off, size_t room,
                                              const char *dir, char *errbuf);

/** The last strings and refs of a growing pool to its file: parked as
 *  lk_strpool_park leaves a pool (without its table).  A no-op for a pool
 *  not growing.  @return LK_OK, LK_EIO (in the errbuf it was parked with). */
LK_RESULT_USED lk_status lk_strpool_grow_end(lk_strpool *p);

/** Whether the pool is parked (lk_strpool_park, lk_strpool_park_grow). */
int lk_strpool_parked(const lk_strpool *p);

/** fn(ctx, id, s, n) for every string of the pool, in id order: from
 *  memory, or of a parked pool read from its file fd a chunk at a time
 *  (errors name dir).  Not for a growing pool or one read back in part.
 *  @return LK_OK, LK_ENOMEM, LK_EIO, LK_EINVAL. */
LK_RESULT_USED lk_status lk_strpool_each(const lk_strpool *p, int fd, const char *dir,
                                         void (*fn)(void *ctx, uint32_t id, const char *s,
                                                    size_t n),
                                         void *ctx, char *errbuf);

/** Whether the pool came back in part (lk_strpool_unpark_ids). */
int lk_strpool_partial(const lk_strpool *p);

#endif
