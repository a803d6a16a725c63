/*
 * rng.h - a small, self-contained, seedable PRNG for every randomised step
 * of liblockstep that is not igraph's (the simulator, sampling in tests).
 *
 * xoshiro256** (Blackman & Vigna) for the stream, seeded through splitmix64
 * so that nearby seeds (1, 2, 3...) give unrelated streams.  We never use
 * rand() or time(): the same seed must give the same bytes on every run.
 * Header-only and static inline so that the generator's state lives in
 * registers inside hot loops.  Not cryptographic.
 */
#ifndef LK_RNG_H
#define LK_RNG_H

#include <stdint.h>

typedef struct lk_rng {
    uint64_t s[4];
} lk_rng;

/* splitmix64's output function.  A bijection on 64-bit words, which is why
 * it can turn dense indices into opaque ids that never collide. */
static inline uint64_t lk_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* The inverse of lk_mix64: recovers an index from an id made with it. */
static inline uint64_t lk_unmix64(uint64_t x)
{
    x ^= (x >> 31) ^ (x >> 62);
    x *= UINT64_C(0x319642b2d24d8ec3);
    x ^= (x >> 27) ^ (x >> 54);
    x *= UINT64_C(0x96de1b173f119089);
    return x ^ (x >> 30) ^ (x >> 60);
}

/* Seed from one 64-bit word.  splitmix64 never yields four zero words, the
 * one state xoshiro must avoid. */
static inline void lk_rng_seed(lk_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed += UINT64_C(0x9e3779b97f4a7c15);
        r->s[i] = lk_mix64(seed);
    }
}

static inline uint64_t lk_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t lk_rng_next(lk_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t out = lk_rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = lk_rotl64(s[3], 45);
    return out;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double lk_rng_unit(lk_rng *r)
{
    return (double)(lk_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), without modulo bias; n == 0 returns 0.  The
 * rejection zone is below 2^64 mod n, so for the small n used here a retry
 * almost never happens. */
static inline uint64_t lk_rng_below(lk_rng *r, uint64_t n)
{
    uint64_t x, floor_;

    if (n == 0)
        return 0;
    floor_ = (0 - n) % n;
    do {
        x = lk_rng_next(r);
    } while (x < floor_);
    return x % n;
}

/*
 * Walker's alias method (Vose's construction): after an O(n) build, draws
 * from any discrete distribution over [0, n) cost one random word and at
 * most two table reads, whatever n.  Thresholds are 32-bit fixed point, so
 * a probability is resolved to 2^-32, far below any sampling noise here.
 */
typedef struct lk_alias_col {
    uint32_t thr;   /* keep this column when the low 32 random bits are below */
    uint32_t other; /* else take this one */
} lk_alias_col;

/* Build t[0..n) from weights w[0..n) (non-negative, positive sum; n >= 1).
 * w is overwritten; work is scratch of n entries. */
static inline void lk_alias_build(lk_alias_col *t, double *w, uint32_t *work, uint32_t n)
{
    uint32_t ns = 0, nl = n; /* under-full columns from the front, over-full from the back */
    double sum = 0;

    for (uint32_t i = 0; i < n; i++)
        sum += w[i];
    for (uint32_t i = 0; i < n; i++) {
        w[i] *= (double)n / sum;
        if (w[i] < 1.0)
            work[ns++] = i;
        else
            work[--nl] = i;
    }
    while (ns > 0 && nl < n) {
        const uint32_t l = work[--ns], g = work[nl];

        /* w[l] can be a rounding error below 0 after a subtraction. */
        t[l].thr = w[l] > 0 ? (uint32_t)(w[l] * 4294967296.0) : 0;
        t[l].other = g;
        w[g] -= 1.0 - w[l];
        if (w[g] < 1.0) {
            nl++;
            work[ns++] = g;
        }
    }
    /* What is left is full up to rounding: always keep the column. */
    for (uint32_t i = 0; i < n; i++)
        if (i < ns || i >= nl) {
            t[work[i]].thr = UINT32_MAX;
            t[work[i]].other = work[i];
        }
}

static inline uint32_t lk_alias_draw(lk_rng *r, const lk_alias_col *t, uint32_t n)
{
    const uint64_t x = lk_rng_next(r);
    const uint32_t col = (uint32_t)(((x >> 32) * n) >> 32);

    return (uint32_t)x < t[col].thr ? col : t[col].other;
}

#endif /* LK_RNG_H */
