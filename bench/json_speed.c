/*
 * json_speed.c - parsing throughput of lk_json_parse on JSON lines.
 *
 * Usage: json_speed FILE [TARGET_MB [ROUNDS]]
 * Reads FILE (plain, gzip or zstd) fully into memory, repeats its lines until
 * the copy holds at least TARGET_MB (default 200) megabytes, then parses it
 * line by line ROUNDS times (default 5) and prints the best round in MB/s
 * (MB = 10^6 bytes of decompressed input, newlines included).
 *
 * Build (not part of CMake, not run in CI):
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/json_speed.c src/json.c
 *       src/buf.c src/log.c src/status.c src/io_stream.c src/io_gz.c src/io_zstd.c
 *       -lzstd -lz -lxxhash -o json_speed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io_stream.h"
#include "json.h"

static double now(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read the whole decompressed stream into *out. */
static int slurp(const char *path, lk_buf *out)
{
    char err[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    ptrdiff_t got;
    int rc = -1;

    if (lk_stream_open(path, &s, err) != LK_OK) {
        (void)fprintf(stderr, "json_speed: %s\n", err);
        return -1;
    }
    for (;;) {
        if (lk_buf_reserve(out, (size_t)1 << 20) != LK_OK)
            goto cleanup;
        got = lk_stream_read(s, out->p + out->len, (size_t)1 << 20);
        if (got < 0) {
            (void)fprintf(stderr, "json_speed: %s\n", lk_stream_errmsg(s));
            goto cleanup;
        }
        if (got == 0)
            break;
        out->len += (size_t)got;
        out->p[out->len] = '\0';
    }
    rc = 0;
cleanup:
    lk_stream_close(s);
    return rc;
}

int main(int argc, char **argv)
{
    lk_buf one, all;
    lk_json *j = NULL;
    double best = 0;
    size_t target, lines = 0, bad = 0, nodes_sink = 0;
    int rounds, rc = 1;

    if (argc < 2 || argc > 4) {
        (void)fprintf(stderr, "usage: json_speed FILE [TARGET_MB [ROUNDS]]\n");
        return 2;
    }
    target = (size_t)strtoul(argc > 2 ? argv[2] : "200", NULL, 10) * 1000000;
    rounds = (int)strtol(argc > 3 ? argv[3] : "5", NULL, 10);
    lk_buf_init(&one);
    lk_buf_init(&all);
    if (slurp(argv[1], &one) != 0 || one.len == 0)
        goto cleanup;
    if (one.p[one.len - 1] != '\n' && lk_buf_putc(&one, '\n') != LK_OK)
        goto cleanup;
    while (all.len < target)
        if (lk_buf_append(&all, one.p, one.len) != LK_OK)
            goto cleanup;
    if (lk_json_new(&j) != LK_OK)
        goto cleanup;
    for (int r = 0; r < rounds; r++) {
        const char *p = all.p, *const end = all.p + all.len;
        const double t0 = now();
        double mbs;

        lines = bad = 0;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (lk_json_parse(j, p, (size_t)(nl - p)) != LK_OK)
                bad++;
            else
                nodes_sink += lk_json_count(j, lk_json_root(j));
            lines++;
            p = nl + 1;
        }
        mbs = (double)all.len / 1e6 / (now() - t0);
        if (mbs > best)
            best = mbs;
    }
    printf("%s: %.1f MB in memory, %zu lines (%zu rejected), best of %d: %.0f MB/s  [%zu]\n",
           argv[1], (double)all.len / 1e6, lines, bad, rounds, best, nodes_sink % 10);
    rc = 0;
cleanup:
    lk_json_free(j);
    lk_buf_release(&one);
    lk_buf_release(&all);
    return rc;
}
