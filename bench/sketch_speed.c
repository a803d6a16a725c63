/*
 * sketch_speed.c - how net.c's pair sketch is best filled on two threads:
 * the fill pass of the pair stage, alone, on random pair hashes (720 M
 * pairs at 10^8 actions; the sketch takes up to half the stage's budget,
 * about 1.1 GB under --max-mem 4G).  Three ways, each with net.c's line
 * choice and its 32 lines fetched ahead:
 *   workers  each thread its own table of half the bytes, merged after
 *            (net.c before the seventeenth session);
 *   shared2  one table of all the bytes, each of a pair's two counters
 *            set with an atomic fetch-or of its own (anywhere in the line);
 *   shared1  one table of all the bytes, a pair's two counters in one
 *            (seen, twice) word pair, one atomic fetch-or: net.c now,
 *            whose table code (src/pairsketch.h) it runs.
 *
 * Build (not part of CMake, not run in CI):
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/sketch_speed.c src/log.c \
 *       src/status.c -lpthread -o /tmp/sketch_speed
 *   /tmp/sketch_speed [PAIRS] [MB]     (default 7.2e8 pairs, 1100 MB)
 * Prints the seconds of each fill (and of the merge) and how many of the
 * pairs, all of one record here, each table finds to be of one record.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "lk_internal.h"
#include "pairsketch.h"
#include "rng.h"

#define AHEAD   32
#define THREADS 2

enum { WORKERS, SHARED2, SHARED1 };

typedef struct fill {
    uint64_t *sk, lines, first, n;
    int how;
} fill;

/* The old layout's two counters: anywhere in the line (word pair, bit). */
static void two_any(uint64_t h, size_t wp[2], uint64_t bit[2])
{
    for (int k = 0; k < 2; k++) {
        const unsigned p = (unsigned)(h >> (8 * k)) & 255u;
        wp[k] = p >> 6;
        bit[k] = UINT64_C(1) << (p & 63);
    }
}

/* One counter (or two in one word pair) set by a fetch-or, as
 * sk_add_shared does for a pair. */
static void add_atomic(uint64_t *w, uint64_t b)
{
    uint64_t seen = __atomic_load_n(&w[0], __ATOMIC_RELAXED) & b;
    if (seen != b)
        seen = __atomic_fetch_or(&w[0], b, __ATOMIC_RELAXED) & b;
    if (seen & ~__atomic_load_n(&w[1], __ATOMIC_RELAXED))
        (void)__atomic_fetch_or(&w[1], seen, __ATOMIC_RELAXED);
}

static void *run(void *arg)
{
    const fill *f = arg;
    uint64_t h[AHEAD];

    for (uint64_t i = 0; i < f->n; i += AHEAD) {
        for (int k = 0; k < AHEAD; k++) {
            h[k] = lk_mix64(f->first + i + (uint64_t)k);
            __builtin_prefetch(f->sk + sk_at(f->lines, h[k]), 1);
        }
        for (int k = 0; k < AHEAD; k++) {
            uint64_t *line = f->sk + sk_at(f->lines, h[k]), bit[2];
            size_t wp[2];
            if (f->how == SHARED1) {
                sk_add_shared(line, h[k]);
                continue;
            }
            two_any(h[k], wp, bit);
            for (int c = 0; c < 2; c++) {
                uint64_t *w = line + 2 * wp[c];
                if (f->how == SHARED2) {
                    add_atomic(w, bit[c]);
                } else {
                    w[1] |= w[0] & bit[c];
                    w[0] |= bit[c];
                }
            }
        }
    }
    return NULL;
}

static uint64_t *table(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* as lk_table_alloc */
    return p;
}

/* Pairs (all distinct, so all of one record) the table calls single. */
static uint64_t singles(const uint64_t *sk, uint64_t lines, uint64_t pairs, int how)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < pairs; i += 97) { /* a sample */
        const uint64_t h = lk_mix64(i);
        const uint64_t *line = sk + sk_at(lines, h);
        uint64_t bit[2];
        size_t wp[2];
        if (how == SHARED1) {
            n += sk_single(sk, lines, h);
        } else {
            two_any(h, wp, bit);
            n += !((line[2 * wp[0] + 1] & bit[0]) && (line[2 * wp[1] + 1] & bit[1]));
        }
    }
    return n * 97;
}

int main(int argc, char **argv)
{
    const uint64_t pairs = argc > 1 ? (uint64_t)strtod(argv[1], NULL) : UINT64_C(720000000);
    const size_t bytes = (argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 1100) << 20;
    static const char *const name[] = {"workers", "shared2", "shared1"};

    for (int how = WORKERS; how <= SHARED1; how++) {
        const size_t each = how == WORKERS ? bytes / THREADS : bytes;
        const uint64_t lines = each / 64;
        uint64_t *sk[THREADS];
        pthread_t tid[THREADS];
        fill f[THREADS];
        double t0 = lk_mono_s(), t1, t2;

        for (int t = 0; t < THREADS; t++) {
            sk[t] = how == WORKERS || t == 0 ? table(lines * 64) : sk[0];
            f[t] = (fill){sk[t], lines, (uint64_t)t * (pairs / THREADS), pairs / THREADS, how};
            if (pthread_create(&tid[t], NULL, run, &f[t]) != 0)
                return 1;
        }
        for (int t = 0; t < THREADS; t++)
            (void)pthread_join(tid[t], NULL);
        t1 = lk_mono_s();
        if (how == WORKERS)
            for (int t = 1; t < THREADS; t++)
                for (size_t k = 0; k < lines * 8; k += 2) {
                    sk[0][k + 1] |= sk[t][k + 1] | (sk[0][k] & sk[t][k]);
                    sk[0][k] |= sk[t][k];
                }
        t2 = lk_mono_s();
        printf("%s: %zu MB a table, fill %.2f s, merge %.2f s, %.1f%% of the pairs found single\n",
               name[how], each >> 20, t1 - t0, t2 - t1,
               100.0 * (double)singles(sk[0], lines, pairs, how) / (double)pairs);
        for (int t = 0; t < (how == WORKERS ? THREADS : 1); t++)
            (void)munmap(sk[t], lines * 64);
    }
    return 0;
}
