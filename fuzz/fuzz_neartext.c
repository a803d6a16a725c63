/*
 * fuzz_neartext.c - near-duplicate clustering (neartext.h) over arbitrary
 * bytes.  The input is split on '\n' into texts (not normalised: any bytes,
 * any white space); the first byte, when present, also picks the options
 * (shingle 1..4, one of four thresholds, the seed).  Every text is added and
 * the posts clustered; the result must keep its contract:
 *  - out[i] == UINT32_MAX, or out[i] <= i and out[out[i]] == out[i]
 *    (a cluster is named by its smallest post, which is in it);
 *  - a named cluster has at least two posts;
 *  - texts of fewer than 3 tokens are alone;
 *  - texts with the same token sequence (>= 3 tokens) share a cluster;
 *  - the stats agree with out;
 *  - every MinHash kernel the CPU runs sketches each text as the portable
 *    one does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neartext.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

static int is_ws(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Token sequence of s[0..n) as "tok tok tok" into b; returns the token count. */
static size_t canon(const char *s, size_t n, lk_buf *b)
{
    size_t i = 0, ntok = 0;

    lk_buf_reset(b);
    while (i < n) {
        size_t j;

        while (i < n && is_ws((unsigned char)s[i]))
            i++;
        if (i == n)
            break;
        j = i;
        while (j < n && !is_ws((unsigned char)s[j]))
            j++;
        if ((ntok && lk_buf_putc(b, ' ') != LK_OK) || lk_buf_append(b, s + i, j - i) != LK_OK)
            return 0;
        ntok++;
        i = j;
    }
    return ntok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double thr[4] = {0.3, 0.5, 0.8, 1.0};
    const char *s = (const char *)data;
    lk_neartext_opts o;
    lk_neartext *nt = NULL, *ref = NULL; /* ref: sketches with each kernel */
    lk_neartext_stats st;
    uint64_t *words = NULL;
    size_t words_cap = 0;
    uint32_t *out = NULL, *start = NULL, *len = NULL, *count = NULL;
    size_t n = 0, i = 0, clusters = 0, clustered = 0;
    lk_buf a, b;

    lk_buf_init(&a);
    lk_buf_init(&b);
    lk_neartext_opts_init(&o);
    if (size > 0) {
        o.shingle = 1 + (data[0] & 3);
        o.threshold = thr[(data[0] >> 2) & 3];
        o.seed = data[0] >> 4;
    }
    /* At most size + 1 texts. */
    start = malloc((size + 1) * sizeof *start);
    len = malloc((size + 1) * sizeof *len);
    count = calloc(size + 1, sizeof *count);
    if (!start || !len || !count || lk_neartext_new(&o, &nt) != LK_OK ||
        lk_neartext_new(&o, &ref) != LK_OK)
        goto cleanup;
    for (;;) {
        const char *nl = memchr(s + i, '\n', size - i);
        const size_t e = nl ? (size_t)(nl - s) : size;

        start[n] = (uint32_t)i;
        len[n] = (uint32_t)(e - i);
        if (lk_neartext_add(nt, s + i, e - i) != LK_OK)
            goto cleanup;
        /* every MinHash kernel this CPU runs gives the portable one's minima */
        if (lk_neartext_use_kernel(ref, LK_NT_KERNEL_SCALAR)) {
            uint16_t want[LK_NEARTEXT_K], got[LK_NEARTEXT_K];
            const int r = lk_neartext_sketch(ref, s + i, e - i, want, &words, &words_cap);

            for (int k = LK_NT_KERNEL_AVX2; k <= LK_NT_KERNEL_AVX512; k++)
                if (r >= 0 && lk_neartext_use_kernel(ref, (lk_neartext_kernel)k)) {
                    CHECK(lk_neartext_sketch(ref, s + i, e - i, got, &words, &words_cap) == r);
                    CHECK(r == 0 || memcmp(got, want, sizeof got) == 0);
                }
        }
        n++;
        if (!nl)
            break;
        i = e + 1;
    }
    if (lk_neartext_cluster(nt, &out, &st) != LK_OK)
        goto cleanup;
    CHECK(st.posts == n);
    for (size_t p = 0; p < n; p++) {
        if (out[p] == UINT32_MAX)
            continue;
        CHECK(out[p] <= p);
        CHECK(out[out[p]] == out[p]);
        count[out[p]]++;
        clustered++;
    }
    for (size_t p = 0; p < n; p++) {
        CHECK(count[p] != 1);
        clusters += count[p] > 1;
    }
    CHECK(st.clusters == clusters && st.clustered == clustered);
    /* Quadratic, but fuzz inputs are small. */
    for (size_t p = 0; p < n && p < 512; p++) {
        const size_t tp = canon(s + start[p], len[p], &a);

        if (tp < 3) {
            CHECK(out[p] == UINT32_MAX);
            continue;
        }
        for (size_t q = p + 1; q < n && q < 512; q++)
            if (canon(s + start[q], len[q], &b) == tp && a.len == b.len &&
                memcmp(a.p, b.p, a.len) == 0)
                CHECK(out[p] != UINT32_MAX && out[p] == out[q]);
    }
cleanup:
    free(out);
    free(start);
    free(len);
    free(count);
    lk_neartext_free(nt);
    lk_neartext_free(ref);
    free(words);
    lk_buf_release(&a);
    lk_buf_release(&b);
    return 0;
}
