/*
 * keyset.h - the set of post keys seen (duplicate posts), exact and lean.
 *
 * Every post of a dump with post ids (tweets, Reddit, Telegram, ...) is
 * looked up once: seen before means a duplicate row.  At 10^8 posts the
 * string pool that did this held about 70 bytes a key; this set holds 8
 * bytes a slot (14 a key at its average load of 0.56) and the keys
 * themselves in an append-only arena, which under --max-mem is spilled to a
 * temporary file a megabyte at a time (lk_keyset_spill).
 *
 * A slot packs 24 bits of the key's 64-bit hash (bits not used for its
 * position) and where the key is in the arena.  A lookup compares those
 * bits first and then the key itself, read from memory or from the file: a
 * slot of another key passes the first test with probability 2^-24, so the
 * file is read for duplicates alone (one read of the key's bytes each).
 * Growing the table rehashes from the arena, read in order, whose records
 * keep each key's full hash: (hash, length, bytes).
 *
 * The answer depends only on the keys and their order, never on the hash.
 */
#ifndef LK_KEYSET_H
#define LK_KEYSET_H

#include "lk_internal.h"

typedef struct lk_keyset lk_keyset;

/** @param out receives a set the caller frees with lk_keyset_free(). */
LK_RESULT_USED lk_status lk_keyset_new(lk_keyset **out);

/**
 * From the next lk_keyset_add() on, write the arena's full chunks to a
 * nameless temporary file in dir (tmpfile.h; NULL or "": $TMPDIR or /tmp;
 * borrowed), keeping one chunk in memory.
 */
void lk_keyset_spill(lk_keyset *s, const char *dir);

/** The one-line error, naming the folder, of the last LK_EIO (borrowed). */
const char *lk_keyset_errmsg(const lk_keyset *s);

/**
 * Add (key, n) unless present; *fresh says which (1: it was new).
 * @return LK_OK, LK_ENOMEM, LK_ELIMIT (a key of 2 GiB or more, or more than
 *         a terabyte of keys), LK_EIO (spilled: the file could not be
 *         made, written or read; see lk_keyset_errmsg()).
 */
LK_RESULT_USED lk_status lk_keyset_add(lk_keyset *s, const char *key, size_t n, int *fresh);

/**
 * Whether key is in the set (*found), the set unchanged: a frozen set's
 * lookup.  Errors as lk_keyset_add's (LK_EIO: a key of the file could not
 * be read back).
 */
LK_RESULT_USED lk_status lk_keyset_find(lk_keyset *s, const char *key, size_t n, int *found);

/** Bytes the next lk_keyset_add() would add to lk_keyset_bytes() when it
 *  grows the table (the old table is freed before the new one is made): 0
 *  when it would not. */
size_t lk_keyset_grow_bytes(const lk_keyset *s);

/** Bytes written to the file so far (0 when not spilled). */
uint64_t lk_keyset_spilled_bytes(const lk_keyset *s);

/** Distinct keys added. */
uint64_t lk_keyset_count(const lk_keyset *s);

/** Bytes held in memory (table and the arena's resident chunks). */
size_t lk_keyset_bytes(const lk_keyset *s);

/** Free (and close the file).  NULL-safe. */
void lk_keyset_free(lk_keyset *s);

#endif
