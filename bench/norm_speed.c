/*
 * norm_speed.c - throughput of lk_norm_text (the text trace's and near-text's
 * normalisation: NFC, case folding, links, mentions and white space) on
 * real posts' texts.  Driven by bench/norm_speed.sh, which extracts the
 * texts from the samples in ../shared/data and builds this file against one
 * or two revisions of src/normalize.c.
 *
 * Usage: norm_speed TEXTS REPEATS
 * TEXTS: records of a 4-byte little-endian length and that many bytes.
 * Prints the texts' count and megabytes, ns a text, MB/s, and a checksum of
 * every normalised text (two builds agree on the output when it matches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "normalize.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    FILE *f;
    char *d;
    long sz;
    long reps;
    size_t ntext = 0, bytes = 0;
    unsigned long long sum = 0;
    lk_buf b;
    double t0, dt;

    if (argc != 3 || !(f = fopen(argv[1], "rb"))) {
        fprintf(stderr, "usage: norm_speed TEXTS REPEATS\n");
        return 2;
    }
    reps = strtol(argv[2], NULL, 10);
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        !(d = malloc((size_t)sz + 1)) || fread(d, 1, (size_t)sz, f) != (size_t)sz) {
        fprintf(stderr, "norm_speed: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    lk_buf_init(&b);
    t0 = now();
    for (long r = 0; r < reps; r++)
        for (long o = 0; o + 4 <= sz;) {
            unsigned n;
            memcpy(&n, d + o, 4);
            o += 4;
            if ((long)n > sz - o)
                return 1;
            lk_buf_reset(&b);
            if (lk_norm_text(d + o, n, &b) != LK_OK)
                return 1;
            for (size_t i = 0; i < b.len; i++)
                sum = sum * 31 + (unsigned char)b.p[i];
            o += n;
            ntext++;
            bytes += n;
        }
    dt = now() - t0;
    printf("%zu texts, %.1f MB: %.0f ns a text, %.0f MB/s (checksum %016llx)\n", ntext,
           (double)bytes / 1e6, dt * 1e9 / (double)ntext, (double)bytes / 1e6 / dt, sum);
    lk_buf_release(&b);
    free(d);
    return 0;
}
