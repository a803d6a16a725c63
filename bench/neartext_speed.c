/*
 * neartext_speed.c - throughput of near-text clustering (neartext.h) against
 * the exact-text trace (lk_norm_text + lk_norm_text_key, as the sink does).
 *
 * Usage: [NT_KERNEL=scalar|avx2|avx512] neartext_speed [POSTS [SEED [SHINGLE [THRESHOLD]]]]
 * (NT_KERNEL: that MinHash kernel instead of the fastest this CPU runs)
 * Generates POSTS (default 10^6) synthetic posts: 20 words drawn from a
 * 4,096-word Zipf(1) vocabulary, the first letter of a post capitalised;
 * 5% of them are copypasta variants of 1,000 base texts (exact copies, 1-3
 * words replaced, emoji or a hashtag appended).  Then times
 *   exact: lk_norm_text + lk_norm_text_key of every raw post;
 *   near:  lk_neartext_add of every normalised post + lk_neartext_cluster;
 * and prints posts/s, the ratio, memory per post, and how the copypasta
 * came out (variants in their family's cluster; background posts merged).
 *
 * Build (not part of CMake, not run in CI):
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -Isrc -Iinclude bench/neartext_speed.c \
 *       src/neartext.c src/normalize.c src/buf.c src/log.c src/status.c \
 *       src/par.c src/tmpfile.c -lxxhash -lutf8proc -lm -lpthread -o neartext_speed
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "neartext.h"
#include "normalize.h"
#include "rng.h"

#define VOCAB 4096
#define WORDS 20
#define BASES 1000

static char vocab[VOCAB][12];

static double now(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Texts one after another in one buffer; text i is [off[i], off[i + 1]). */
typedef struct texts {
    lk_buf b;
    size_t *off;
    size_t n;
} texts;

static int push_end(texts *t)
{
    t->off[++t->n] = t->b.len;
    return 0;
}

static int put_words(lk_buf *b, const uint32_t *w, int n, int cap)
{
    for (int i = 0; i < n; i++) {
        const char *s = vocab[w[i]];
        const size_t len = strlen(s);

        if (i && lk_buf_putc(b, ' ') != LK_OK)
            return -1;
        if (lk_buf_append(b, s, len) != LK_OK)
            return -1;
        if (i == 0 && cap && s[0] >= 'a' && s[0] <= 'z')
            b->p[b->len - len] = (char)(s[0] - 32);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    const uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    static const char *const tails[] = {" \xf0\x9f\x94\xa5", " #share", " #wakeup \xf0\x9f\x98\xa1",
                                        "!!"};
    lk_alias_col *alias = malloc(VOCAB * sizeof *alias);
    double *w = malloc(VOCAB * sizeof *w);
    uint32_t *work = malloc(VOCAB * sizeof *work);
    uint32_t(*base)[WORDS] = malloc(BASES * sizeof *base);
    int32_t *family = malloc(n * sizeof *family);
    texts raw = {0}, norm = {0};
    lk_buf key;
    lk_rng r;
    lk_neartext_opts o;
    lk_neartext *nt = NULL;
    lk_neartext_stats st;
    uint32_t *out = NULL;
    double t0, t_exact, t_add, t_cluster;
    size_t bytes, cp = 0, cp_ok = 0, bg = 0, bg_merged = 0;
    size_t *first = calloc(BASES, sizeof *first);
    int rc = 1;

    lk_buf_init(&raw.b);
    lk_buf_init(&norm.b);
    lk_buf_init(&key);
    raw.off = malloc((n + 1) * sizeof *raw.off);
    norm.off = malloc((n + 1) * sizeof *norm.off);
    if (!alias || !w || !work || !base || !family || !raw.off || !norm.off || !first)
        goto cleanup;
    lk_rng_seed(&r, seed);
    for (int i = 0; i < VOCAB; i++) {
        const int len = 2 + (int)lk_rng_below(&r, 8);

        for (int j = 0; j < len; j++)
            vocab[i][j] = (char)('a' + lk_rng_below(&r, 26));
        w[i] = 1.0 / (i + 1);
    }
    lk_alias_build(alias, w, work, VOCAB);
    for (int b = 0; b < BASES; b++)
        for (int j = 0; j < WORDS; j++)
            base[b][j] = lk_alias_draw(&r, alias, VOCAB);

    /* Raw posts. */
    raw.off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t words[WORDS];
        const char *tail = "";

        if (lk_rng_below(&r, 100) < 5) {
            const uint32_t b = (uint32_t)lk_rng_below(&r, BASES);
            const uint64_t kind = lk_rng_below(&r, 6);

            memcpy(words, base[b], sizeof words);
            if (kind >= 1 && kind <= 3)
                for (uint64_t k = 0; k < kind; k++)
                    words[lk_rng_below(&r, WORDS)] = (uint32_t)lk_rng_below(&r, VOCAB);
            if (kind >= 4)
                tail = tails[lk_rng_below(&r, 4)];
            family[i] = (int32_t)b;
        } else {
            for (int j = 0; j < WORDS; j++)
                words[j] = lk_alias_draw(&r, alias, VOCAB);
            family[i] = -1;
        }
        if (put_words(&raw.b, words, WORDS, lk_rng_below(&r, 2) == 0) != 0 ||
            lk_buf_append(&raw.b, tail, strlen(tail)) != LK_OK)
            goto cleanup;
        push_end(&raw);
    }

    /* Exact-text trace: what the sink does per post. */
    t0 = now();
    norm.off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = raw.b.p + raw.off[i];
        const size_t len = raw.off[i + 1] - raw.off[i];
        const size_t start = norm.b.len;

        lk_buf_reset(&key);
        if (lk_norm_text(s, len, &norm.b) != LK_OK ||
            lk_norm_text_key(norm.b.p + start, norm.b.len - start, &key) != LK_OK)
            goto cleanup;
        push_end(&norm);
    }
    t_exact = now() - t0;

    /* Near-text on the normalised posts. */
    lk_neartext_opts_init(&o);
    if (argc > 3)
        o.shingle = (unsigned)strtoul(argv[3], NULL, 10);
    if (argc > 4)
        o.threshold = strtod(argv[4], NULL);
    o.seed = seed;
    if (lk_neartext_new(&o, &nt) != LK_OK)
        goto cleanup;
    if (getenv("NT_KERNEL")) { /* scalar, avx2, avx512: that MinHash kernel */
        const char *kn = getenv("NT_KERNEL");
        const lk_neartext_kernel k = strcmp(kn, "avx512") == 0 ? LK_NT_KERNEL_AVX512
                                     : strcmp(kn, "avx2") == 0 ? LK_NT_KERNEL_AVX2
                                                               : LK_NT_KERNEL_SCALAR;
        if (!lk_neartext_use_kernel(nt, k)) {
            fprintf(stderr, "kernel %s not run by this CPU\n", kn);
            goto cleanup;
        }
    }
    printf("MinHash kernel: %s\n", lk_neartext_kernel_of(nt) == LK_NT_KERNEL_AVX512 ? "avx512"
                                   : lk_neartext_kernel_of(nt) == LK_NT_KERNEL_AVX2 ? "avx2"
                                                                                    : "scalar");
    t0 = now();
    for (size_t i = 0; i < n; i++)
        if (lk_neartext_add(nt, norm.b.p + norm.off[i], norm.off[i + 1] - norm.off[i]) != LK_OK)
            goto cleanup;
    t_add = now() - t0;
    bytes = lk_neartext_bytes(nt);
    t0 = now();
    if (lk_neartext_cluster(nt, &out, &st) != LK_OK)
        goto cleanup;
    t_cluster = now() - t0;

    /* Quality: a variant is found when it shares a cluster with the first
     * post of its family; a background post should be alone. */
    for (size_t i = 0; i < n; i++)
        if (family[i] >= 0 && !first[family[i]])
            first[family[i]] = i + 1;
    for (size_t i = 0; i < n; i++) {
        if (family[i] >= 0) {
            const size_t f = first[family[i]] - 1;

            cp++;
            cp_ok += out[i] != UINT32_MAX && out[i] == out[f];
        } else {
            bg++;
            bg_merged += out[i] != UINT32_MAX;
        }
    }

    printf("posts %zu (%zu copypasta), threshold %.2f, shingle %u, K %d, bands %u x rows %u\n", n,
           cp, o.threshold, o.shingle, LK_NEARTEXT_K, st.bands, st.rows);
    printf("exact-text (lk_norm_text + lk_norm_text_key): %.3f s, %.0f posts/s\n", t_exact,
           (double)n / t_exact);
    printf("near-text add: %.3f s, cluster: %.3f s, total %.3f s, %.0f posts/s\n", t_add, t_cluster,
           t_add + t_cluster, (double)n / (t_add + t_cluster));
    printf("near-text / exact-text time: %.2f\n", (t_add + t_cluster) / t_exact);
    printf("memory held: %.1f bytes/post (%zu bytes)\n", (double)bytes / (double)n, bytes);
    printf("candidates %llu, joined %llu, clusters %llu, posts in clusters %llu\n",
           (unsigned long long)st.candidates, (unsigned long long)st.joined,
           (unsigned long long)st.clusters, (unsigned long long)st.clustered);
    printf("copypasta in its family's cluster: %zu/%zu; background posts clustered: %zu/%zu\n",
           cp_ok, cp, bg_merged, bg);
    rc = 0;
cleanup:
    free(out);
    lk_neartext_free(nt);
    lk_buf_release(&raw.b);
    lk_buf_release(&norm.b);
    lk_buf_release(&key);
    free(raw.off);
    free(norm.off);
    free(alias);
    free(w);
    free(work);
    free(base);
    free(family);
    free(first);
    return rc;
}
