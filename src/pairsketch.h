/*
 * pairsketch.h - the table of net.c's pair sketch (its use: net.c's
 * comment "The pair sketch"), here so that bench/sketch_speed.c times the
 * same code.  Two-bit saturating counters (0, 1, 2 or more) in (seen,
 * twice) word pairs, four to a 64-byte line; a pair's two counters sit in
 * one word pair of one line, both chosen by the pair's 64-bit hash.
 */
#ifndef LK_PAIRSKETCH_H
#define LK_PAIRSKETCH_H

#include "lk_internal.h"

/* The line of hash h: its top 32 bits scaled to the lines (fewer than
 * 2^32); the word pair and the counters in it take its low 16. */
static inline size_t sk_at(uint64_t lines, uint64_t h)
{
    return (size_t)(((h >> 32) * lines) >> 32) << 3;
}

/* 1 when the pair of hash h is in the sample of mask + 1 (a power of two)
 * that lk_net_opts.sample_log2 asks for: bits 14-29 of h, which neither
 * the line (bits 32-63) nor the counters (bits 0-13) use. */
static inline int sk_sampled(uint64_t h, uint64_t mask)
{
    return ((h >> 14) & mask) == 0;
}

/* The word pair of hash h in its line. */
static inline size_t sk_word(uint64_t h)
{
    return (size_t)(h >> 12) & 3u;
}

/* The bits of hash h's two counters in its word pair: bits 0-5 and, of the
 * 63 others, the one bits 6-11 pick. */
static inline uint64_t sk_bits(uint64_t h)
{
    const unsigned p = (unsigned)h & 63u, q = (p + 1u + (unsigned)((h >> 6) & 63u) % 63u) & 63u;

    return UINT64_C(1) << p | UINT64_C(1) << q;
}

static inline void sk_add(uint64_t *line, uint64_t h)
{
    uint64_t *w = line + 2 * sk_word(h);
    const uint64_t b = sk_bits(h);

    w[1] |= w[0] & b;
    w[0] |= b;
}

/* sk_add by several threads at once on one sketch: a counter goes to 2
 * when its "seen" bit was already set by anyone (the fetch-or says so), so
 * no add is lost and a counter never falls below its pair's records. */
static inline void sk_add_shared(uint64_t *line, uint64_t h)
{
    uint64_t *w = line + 2 * sk_word(h);
    const uint64_t b = sk_bits(h);
    uint64_t seen = __atomic_load_n(&w[0], __ATOMIC_RELAXED) & b;

    if (seen != b)
        seen = __atomic_fetch_or(&w[0], b, __ATOMIC_RELAXED) & b;
    if (seen & ~__atomic_load_n(&w[1], __ATOMIC_RELAXED))
        (void)__atomic_fetch_or(&w[1], seen, __ATOMIC_RELAXED);
}

/* 1 when the pair of hash h had one record (its smaller counter is 1). */
static inline int sk_single(const uint64_t *sk, uint64_t lines, uint64_t h)
{
    const uint64_t b = sk_bits(h);

    return (sk[sk_at(lines, h) + 2 * sk_word(h) + 1] & b) != b;
}

#endif /* LK_PAIRSKETCH_H */
