/*
 * sort.h - radix sorts of (key, value) pairs and of 64-bit values.
 *
 * The calibration's null copies group millions of actions by post and
 * posts by stratum; an LSD radix sort over the key's significant bits does
 * it in a few streaming passes, where qsort's comparator calls cost an
 * order of magnitude more.  Stable: pairs with equal keys keep their input
 * order, so a value that was increasing stays the tie-break.
 *
 * lk_sort_kv_inplace() gives the same order when the values are distinct
 * and increasing in the input (it sorts by key, then value) without the
 * radix sort's second buffer of n pairs: at 10^8 actions that buffer was
 * 1.7 GB of a null copy's peak.  lk_sort_u64_inplace() sorts plain 64-bit
 * values the same way; both have threaded forms (_par).
 */
#ifndef LK_SORT_H
#define LK_SORT_H

#include "lk_internal.h"

typedef struct lk_kv {
    uint64_t key;
    uint64_t val;
} lk_kv;

/** Sort p[0..n) by the low `keybits` bits of key (1..64; higher bits must be
 *  zero), stably.  @return LK_OK or LK_ENOMEM (p unchanged). */
LK_RESULT_USED lk_status lk_sort_kv(lk_kv *p, size_t n, unsigned keybits);

/** Sort p[0..n) by (key, val), in place: MSD radix on the bytes of both
 *  (American flag sort), insertion sort for small runs.  Not stable, but
 *  pairs are equal only when both halves are.  No allocation. */
void lk_sort_kv_inplace(lk_kv *p, size_t n);

/** lk_sort_kv_inplace() on up to `threads` threads (par.h), the same
 *  result whatever their number: the largest runs are split by their
 *  leading bytes in the calling thread, then the runs are sorted by the
 *  workers, largest first.  Below 65536 pairs, with threads <= 1, or when
 *  its list of runs (49 KB) cannot be allocated, it is the serial sort. */
void lk_sort_kv_inplace_par(lk_kv *p, size_t n, unsigned threads);

/** Sort p[off[i] .. off[i + 1]) for each part i < nparts, each part by
 *  lk_sort_kv_inplace(), on up to `threads` threads: when p is already cut
 *  into parts by the leading bits of the keys (each part's keys below the
 *  next part's), p is then sorted as lk_sort_kv_inplace() sorts it, without
 *  the first split over all of p on one thread. */
void lk_sort_kv_parts_par(lk_kv *p, const size_t *off, size_t nparts, unsigned threads);

/** Sort p[0..n) in increasing order, in place, as lk_sort_kv_inplace()
 *  sorts pairs: half the bytes to move when a value can carry all of
 *  what is sorted.  No allocation. */
void lk_sort_u64_inplace(uint64_t *p, size_t n);

/** lk_sort_u64_inplace() on up to `threads` threads, as
 *  lk_sort_kv_inplace_par(). */
void lk_sort_u64_inplace_par(uint64_t *p, size_t n, unsigned threads);

/** A key whose unsigned order is the order of the (non-NaN) double d, so
 *  that doubles sort by radix; lk_key_double() inverts it exactly. */
static inline uint64_t lk_double_key(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

static inline double lk_key_double(uint64_t k)
{
    const uint64_t u = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/** Bits needed to write the largest key of p[0..n) (at least 1). */
unsigned lk_kv_keybits(const lk_kv *p, size_t n);

#endif
