/*
 * strpool_speed.c - the string table's lookups alone, as the reader's commit
 * makes them: batches of 256 rows, each row's slot fetched 24 rows ahead,
 * the string (or the id's pointer) 16 ahead and (a table by id) the
 * string 8 ahead, then interned in order (sink.c's lk_sink_flush).
 *
 * Build (not part of CMake, not run in CI), against the strpool.c to time:
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/strpool_speed.c src/strpool.c \
 *       src/par.c src/tmpfile.c src/buf.c src/log.c src/status.c -lxxhash -lpthread -lm \
 *       -o /tmp/strpool_speed
 *   /tmp/strpool_speed [DISTINCT] [LOOKUPS]   (default 2.5 x 10^7 and 10^8, the
 *                                              object table at 10^8 actions)
 * The strings are 16 hex digits or a '#' and 8-24 letters, drawn with a
 * skew (the square of a uniform draw picks the rank), so that popular
 * strings stay in cache as real ones do.  Prints the seconds of the
 * lookups that fill the table, of the same lookups again (all found: the
 * lookups alone, without the fresh pages that filling takes), and the
 * table's count and a sum of the ids, which must be the same for every
 * build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "strpool.h"

#define BATCH 256
#define AHEAD 8

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const size_t d = argc > 1 ? (size_t)strtod(argv[1], NULL) : 25000000;
    const size_t n = argc > 2 ? (size_t)strtod(argv[2], NULL) : 100000000;
    char *bytes = malloc(d * 32);
    uint32_t *off = malloc((d + 1) * sizeof *off), *draw = malloc(n * sizeof *draw);
    uint32_t *h = malloc(n * sizeof *h);
    char *row; /* the drawn strings back to back, as a batch holds its rows' */
    uint8_t *len = malloc(n);
    lk_strpool *p = NULL;
    uint64_t s = 1, sum = 0;
    double t0, t1, tp[2];

    if (!bytes || !off || !draw || !h || !len || lk_strpool_new(&p) != LK_OK)
        return 1;
    off[0] = 0;
    for (size_t i = 0; i < d; i++) {
        char *b = bytes + off[i];
        uint64_t r = lk_mix64(s++);
        size_t len;
        if (r & 1) {
            for (len = 0; len < 16; len++)
                b[len] = "0123456789abcdef"[(r >> (4 + 4 * (len % 15))) & 15];
            b[len - 1] = "0123456789abcdef"[i & 15]; /* distinct in practice; the count tells */
        } else {
            uint64_t q = lk_mix64(s++);
            len = 9 + (size_t)(r >> 8) % 16;
            b[0] = '#';
            for (size_t k = 1; k < len; k++, q = q * 6364136223846793005u + 1442695040888963407u)
                b[k] = (char)('a' + (q >> 59) % 26);
        }
        off[i + 1] = off[i] + (uint32_t)len;
    }
    for (size_t i = 0; i < n; i++) {
        const double u = (double)(lk_mix64(s++) >> 11) * 0x1.0p-53;
        const uint32_t k = (uint32_t)((double)d * u * u);
        draw[i] = k < d ? k : (uint32_t)d - 1;
        len[i] = (uint8_t)(off[draw[i] + 1] - off[draw[i]]);
        h[i] = lk_strpool_hash(bytes + off[draw[i]], len[i]);
        sum += len[i];
    }
    if (!(row = malloc(sum)))
        return 1;
    sum = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(row + sum, bytes + off[draw[i]], len[i]);
        sum += len[i];
    }
    free(draw);
    free(bytes);
    free(off);
    for (int pass = 0; pass < 2; pass++) {
        const char *r = row;
        sum = 0;
        t0 = now();
        for (size_t b0 = 0; b0 < n; b0 += BATCH) {
            const size_t m = n - b0 < BATCH ? n - b0 : BATCH;
            const uint32_t *hb = h + b0;
            for (size_t i = 0; i < m && i < 3 * AHEAD; i++)
                lk_strpool_prefetch(p, hb[i]);
            for (size_t i = 0; i < m && i < 2 * AHEAD; i++)
                lk_strpool_prefetch_id(p, hb[i]);
            for (size_t i = 0; i < m && i < AHEAD; i++)
                lk_strpool_prefetch_str(p, hb[i]);
            for (size_t i = 0; i < m; i++) {
                uint32_t id;
                if (i + 3 * AHEAD < m)
                    lk_strpool_prefetch(p, hb[i + 3 * AHEAD]);
                if (i + 2 * AHEAD < m)
                    lk_strpool_prefetch_id(p, hb[i + 2 * AHEAD]);
                if (i + AHEAD < m)
                    lk_strpool_prefetch_str(p, hb[i + AHEAD]);
                if (lk_strpool_intern_hashed(p, r, len[b0 + i], hb[i], &id, NULL) != LK_OK)
                    return 1;
                r += len[b0 + i];
                sum += id;
            }
        }
        t1 = now();
        tp[pass] = t1 - t0;
    }
    printf("%zu lookups, %zu distinct strings: %.3f s filling the table, %.3f s the same "
           "lookups again (id sum %llu)\n",
           n, lk_strpool_count(p), tp[0], tp[1], (unsigned long long)sum);
    lk_strpool_free(p);
    free(row);
    free(len);
    free(h);
    return 0;
}
