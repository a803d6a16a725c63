/*
 * sort_speed.c - the in-place radix sorts of sort.c on random keys (the
 * calibration's post numbering sorts 16-byte (hash, action) pairs, its
 * strata 8-byte keys, 10^8 of them at 10^8 actions).
 *
 * Build (not part of CMake, not run in CI):
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/sort_speed.c src/sort.c \
 *       src/par.c src/buf.c src/log.c src/status.c -lpthread -lm -o /tmp/sort_speed
 *   /tmp/sort_speed [N] [THREADS]       (default 10^7 pairs, 2 threads)
 * Prints the seconds of lk_sort_kv_inplace_par on N pairs and of
 * lk_sort_u64_inplace_par on N keys, and checks both results are sorted.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"
#include "sort.h"

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? (size_t)strtod(argv[1], NULL) : 10000000;
    const unsigned threads = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 2;
    lk_kv *kv = malloc(n * sizeof *kv);
    uint64_t *u = malloc(n * sizeof *u), s = 1;
    double t0, t1, t2;

    if (!kv || !u)
        return 1;
    for (size_t i = 0; i < n; i++) {
        kv[i].key = lk_mix64(s++);
        kv[i].val = i;
        u[i] = lk_mix64(s++);
    }
    t0 = lk_mono_s();
    lk_sort_kv_inplace_par(kv, n, threads);
    t1 = lk_mono_s();
    lk_sort_u64_inplace_par(u, n, threads);
    t2 = lk_mono_s();
    for (size_t i = 1; i < n; i++)
        if (kv[i - 1].key > kv[i].key || u[i - 1] > u[i]) {
            fprintf(stderr, "not sorted at %zu\n", i);
            return 1;
        }
    printf("%zu pairs: %.3f s; %zu keys: %.3f s (%u threads)\n", n, t1 - t0, n, t2 - t1, threads);
    free(kv);
    free(u);
    return 0;
}
