/*
 * test_neartext.c - near-duplicate text clusters (neartext.h).
 *
 * Texts are generated here from a fixed vocabulary and normalised with
 * lk_norm_text, as the pipeline does.  Copypasta families (a 20-word base,
 * exact copies, 1-3 words replaced, emoji or a hashtag appended, an upper-case
 * copy) must each form exactly one cluster, and 200 unrelated texts must stay
 * alone, over several data and hash seeds.  The expected clusters are the
 * generated families, never the code's own output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include "neartext.h"
#include "normalize.h"
#include "rng.h"
#include "tmpfile.h"

#define VOCAB 2000

static char vocab[VOCAB][24];

/* A fixed vocabulary of distinct pronounceable-ish lower-case words. */
static int make_vocab(void **state)
{
    uint64_t s = 42;

    (void)state;
    for (int i = 0; i < VOCAB; i++) {
        const size_t len = 3 + (size_t)(next_u64(&s) % 6);
        size_t j;

        for (j = 0; j < len; j++)
            vocab[i][j] = (char)('a' + next_u64(&s) % 26);
        /* A unique suffix keeps the words distinct. */
        (void)snprintf(vocab[i] + j, sizeof vocab[i] - j, "%d", i);
    }
    return 0;
}

/* A text as word indices. */
typedef struct words {
    int n;
    int w[32];
} words;

static words random_words(uint64_t *s, int n)
{
    words t;

    t.n = n;
    for (int i = 0; i < n; i++)
        t.w[i] = (int)(next_u64(s) % VOCAB);
    return t;
}

static int has_word(const words *t, int w)
{
    for (int i = 0; i < t->n; i++)
        if (t->w[i] == w)
            return 1;
    return 0;
}

/* t with m distinct positions replaced by words that are not in t. */
static words replace(uint64_t *s, const words *t, int m)
{
    words v = *t;
    int done[32] = {0};

    for (int k = 0; k < m; k++) {
        int pos, w;

        do
            pos = (int)(next_u64(s) % (uint64_t)t->n);
        while (done[pos]);
        done[pos] = 1;
        do
            w = (int)(next_u64(s) % VOCAB);
        while (has_word(t, w) || has_word(&v, w));
        v.w[pos] = w;
    }
    return v;
}

/* Render words (optionally upper-cased, with a suffix) and normalise. */
static void render(const words *t, int upper, const char *suffix, lk_buf *raw, lk_buf *norm)
{
    lk_buf_reset(raw);
    lk_buf_reset(norm);
    for (int i = 0; i < t->n; i++) {
        const char *w = vocab[t->w[i]];

        if (i)
            assert_int_equal(lk_buf_putc(raw, ' '), LK_OK);
        for (size_t j = 0; w[j]; j++)
            assert_int_equal(
                lk_buf_putc(raw, upper && w[j] >= 'a' && w[j] <= 'z' ? (char)(w[j] - 32) : w[j]),
                LK_OK);
    }
    assert_int_equal(lk_buf_append(raw, suffix, strlen(suffix)), LK_OK);
    assert_int_equal(lk_norm_text(raw->p, raw->len, norm), LK_OK);
}

#define NFAM   5
#define NUNREL 200
#define MAXP   (NFAM * 20 + NUNREL)

/* A generated data set: texts in shuffled order and their family (-1: none). */
typedef struct dataset {
    int n;
    int family[MAXP];
    lk_buf text[MAXP];
} dataset;

static void dataset_make(dataset *d, uint64_t seed)
{
    static const char *const suffix[] = {
        " \xf0\x9f\x94\xa5\xf0\x9f\x94\xa5", /* " 🔥🔥" */
        "\xf0\x9f\x98\x82",                  /* "😂" glued to the last word */
        " #stopthesteal",
        " #wakeup #share",
    };
    uint64_t s = seed;
    lk_buf raw;
    int perm[MAXP];

    lk_buf_init(&raw);
    d->n = 0;
    for (int f = 0; f < NFAM; f++) {
        const words base = random_words(&s, 20);

        /* base + 3 exact copies + 1 upper-case copy */
        for (int k = 0; k < 5; k++) {
            d->family[d->n] = f;
            lk_buf_init(&d->text[d->n]);
            render(&base, k == 4, "", &raw, &d->text[d->n]);
            d->n++;
        }
        /* 1, 1, 2, 2, 3, 3, 3 words replaced */
        for (int k = 0; k < 7; k++) {
            const words v = replace(&s, &base, k < 2 ? 1 : k < 4 ? 2 : 3);

            d->family[d->n] = f;
            lk_buf_init(&d->text[d->n]);
            render(&v, 0, "", &raw, &d->text[d->n]);
            d->n++;
        }
        /* emoji and hashtags appended, alone and after 2 replaced words */
        for (int k = 0; k < 8; k++) {
            const words v = k < 4 ? base : replace(&s, &base, 2);

            d->family[d->n] = f;
            lk_buf_init(&d->text[d->n]);
            render(&v, 0, suffix[k % 4], &raw, &d->text[d->n]);
            d->n++;
        }
    }
    for (int k = 0; k < NUNREL; k++) {
        const words t = random_words(&s, 12 + (int)(next_u64(&s) % 14));

        d->family[d->n] = -1;
        lk_buf_init(&d->text[d->n]);
        render(&t, 0, "", &raw, &d->text[d->n]);
        d->n++;
    }
    /* Shuffle (Fisher-Yates) so that families interleave with the rest. */
    for (int i = 0; i < d->n; i++)
        perm[i] = i;
    for (int i = d->n - 1; i > 0; i--) {
        const int j = (int)(next_u64(&s) % (uint64_t)(i + 1)), t = perm[i];

        perm[i] = perm[j];
        perm[j] = t;
    }
    {
        static int fam2[MAXP];
        static lk_buf text2[MAXP];

        for (int i = 0; i < d->n; i++) {
            fam2[i] = d->family[perm[i]];
            text2[i] = d->text[perm[i]];
        }
        memcpy(d->family, fam2, sizeof fam2);
        memcpy(d->text, text2, sizeof text2);
    }
    lk_buf_release(&raw);
}

static void dataset_release(dataset *d)
{
    for (int i = 0; i < d->n; i++)
        lk_buf_release(&d->text[i]);
}

static uint32_t *cluster_all(const dataset *d, const lk_neartext_opts *o, lk_neartext_stats *st)
{
    lk_neartext *nt = NULL;
    uint32_t *out = NULL;

    assert_int_equal(lk_neartext_new(o, &nt), LK_OK);
    for (int i = 0; i < d->n; i++)
        assert_int_equal(lk_neartext_add(nt, d->text[i].p, d->text[i].len), LK_OK);
    assert_int_equal(lk_neartext_cluster(nt, &out, st), LK_OK);
    lk_neartext_free(nt);
    return out;
}

/* The same clusters' counts: every field but the memory held and the
 * parts it was held in, which depend on the threads, on where the
 * signatures are and on the budget. */
static void assert_same_counts(lk_neartext_stats a, lk_neartext_stats b)
{
    a.held = b.held = 0;
    a.parts = b.parts = 0;
    a.keypasses = b.keypasses = 0;
    assert_memory_equal(&a, &b, sizeof a);
}

/* Every family is one cluster named by its first post; nothing else clusters. */
static void check_families(const dataset *d, const uint32_t *out)
{
    for (int f = 0; f < NFAM; f++) {
        uint32_t first = UINT32_MAX;

        for (int i = 0; i < d->n; i++)
            if (d->family[i] == f) {
                if (first == UINT32_MAX)
                    first = (uint32_t)i;
                if (out[i] != first)
                    fail_msg("family %d: post %d in cluster %u, want %u (%s)", f, i, out[i], first,
                             d->text[i].p);
            }
    }
    for (int i = 0; i < d->n; i++)
        if (d->family[i] < 0 && out[i] != UINT32_MAX)
            fail_msg("unrelated post %d merged into cluster %u", i, out[i]);
}

static void test_families(void **state)
{
    static dataset d;

    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        lk_neartext_opts o;
        lk_neartext_stats st;
        uint32_t *out;

        dataset_make(&d, seed);
        lk_neartext_opts_init(&o);
        o.seed = seed * 7919;
        out = cluster_all(&d, &o, &st);
        check_families(&d, out);
        assert_int_equal(st.posts, (uint64_t)d.n);
        assert_int_equal(st.sketched, (uint64_t)d.n);
        assert_int_equal(st.clusters, NFAM);
        assert_int_equal(st.clustered, NFAM * 20);
        assert_int_equal(st.bands * st.rows <= LK_NEARTEXT_K, 1);
        free(out);
        dataset_release(&d);
    }
}

/* Two and four threads (the next pass sorted while one is swept, a band
 * swept in pieces on every thread) and sketches made apart from the handle (lk_neartext_sketch +
 * add_sketch, as the parallel reader does) give the serial clusters and counts, at thresholds where
 * the bands and the sweeps differ. */
static void test_threads(void **state)
{
    static dataset d;
    static const double thr[3] = {0.3, 0.5, 0.8};

    (void)state;
    for (int k = 0; k < 3; k++) {
        lk_neartext_opts o;
        lk_neartext_stats s1, s2, s3;
        lk_neartext *nt = NULL;
        uint32_t *a, *b, *c = NULL;
        uint16_t mins[LK_NEARTEXT_K];
        uint64_t *words = NULL;
        size_t words_cap = 0;

        dataset_make(&d, 40 + (uint64_t)k);
        lk_neartext_opts_init(&o);
        o.threshold = thr[k];
        a = cluster_all(&d, &o, &s1);
        o.threads = 4; /* band pieces swept by four threads at once */
        b = cluster_all(&d, &o, &s2);
        assert_memory_equal(a, b, (size_t)d.n * sizeof *a);
        assert_same_counts(s1, s2);
        free(b);
        o.threads = 2;
        b = cluster_all(&d, &o, &s2);
        assert_memory_equal(a, b, (size_t)d.n * sizeof *a);
        assert_same_counts(s1, s2);
        assert_int_equal(lk_neartext_new(&o, &nt), LK_OK);
        for (int i = 0; i < d.n; i++) {
            const int r =
                lk_neartext_sketch(nt, d.text[i].p, d.text[i].len, mins, &words, &words_cap);
            assert_true(r >= 0);
            assert_int_equal(lk_neartext_add_sketch(nt, r ? mins : NULL), LK_OK);
        }
        assert_int_equal(lk_neartext_cluster(nt, &c, &s3), LK_OK);
        assert_memory_equal(a, c, (size_t)d.n * sizeof *a);
        assert_same_counts(s1, s3);
        lk_neartext_free(nt);
        free(words);
        free(a);
        free(b);
        free(c);
        dataset_release(&d);
    }
}

/* A spilling handle (signatures in a temporary file, read back per
 * cluster call) gives the clusters and counts of one that keeps them, over
 * enough posts for several blocks and a part block, and again after more
 * posts; so does one whose budget is too small for them, which reads the
 * high bytes from their file as needed and holds 64 bytes a signature
 * less; a folder that cannot take the file is LK_EIO naming it. */
static void test_spill(void **state)
{
    enum { ROUNDS = 60 }; /* 18,000 posts: two blocks of 8,192 and a part */

    static dataset d;
    lk_neartext *mem = NULL, *sp = NULL, *low = NULL, *bad = NULL;
    lk_neartext_opts o;
    lk_neartext_stats s1, s2, s3;
    uint32_t *a = NULL, *b = NULL, *c = NULL;
    lk_status st = LK_OK;
    int n = 0;

    (void)state;
    lk_neartext_opts_init(&o);
    o.threads = 2;
    assert_int_equal(lk_neartext_new(&o, &mem), LK_OK);
    assert_int_equal(lk_neartext_new(&o, &sp), LK_OK);
    assert_int_equal(lk_neartext_new(&o, &bad), LK_OK);
    assert_int_equal(lk_neartext_new(&o, &low), LK_OK);
    lk_neartext_spill(sp, NULL);
    lk_neartext_spill(low, NULL);
    lk_neartext_budget(sp, (uint64_t)1 << 30); /* room for all of it */
    lk_neartext_budget(low, 1);
    lk_neartext_spill(bad, "/nonexistent-lockstep-dir");
    for (int r = 0; r < ROUNDS; r++) {
        dataset_make(&d, 100 + (uint64_t)r);
        for (int i = 0; i < d.n; i++, n++) {
            assert_int_equal(lk_neartext_add(mem, d.text[i].p, d.text[i].len), LK_OK);
            assert_int_equal(lk_neartext_add(sp, d.text[i].p, d.text[i].len), LK_OK);
            assert_int_equal(lk_neartext_add(low, d.text[i].p, d.text[i].len), LK_OK);
            if (st == LK_OK)
                st = lk_neartext_add(bad, d.text[i].p, d.text[i].len);
        }
        dataset_release(&d);
        if (r == ROUNDS / 2 || r == ROUNDS - 1) { /* cluster, add more, cluster again */
            assert_int_equal(lk_neartext_cluster(mem, &a, &s1), LK_OK);
            assert_int_equal(lk_neartext_cluster(sp, &b, &s2), LK_OK);
            assert_int_equal(lk_neartext_cluster(low, &c, &s3), LK_OK);
            assert_memory_equal(a, b, (size_t)n * sizeof *a);
            assert_memory_equal(a, c, (size_t)n * sizeof *a);
            assert_memory_equal(&s1, &s2, sizeof s1); /* held too */
            assert_same_counts(s1, s3);
            /* both byte planes left in their files (the low bytes read
             * for each part): the union-find and one pass's keys, 12
             * bytes a signature, the marks of the part being gathered and
             * their counts, 12 bytes a word of 64 signatures, and parts of
             * 1,024 records (three buffers of 8 bytes, two slots of 4 + 64
             * for the gathered low bytes), or the result */
            assert_int_equal(s3.held, s3.sketched * 12 + (s3.sketched + 63) / 64 * 12 +
                                          LK_MAX((uint64_t)1024 * (3 * 8 + 2 * (4 + LK_NEARTEXT_K)),
                                                 s3.posts * 4));
            assert_int_equal(s3.keypasses, 1);
            assert_true(s3.parts >= s3.sketched / 1024 / 2);
            assert_int_equal(s1.parts, 1);
            assert_int_equal(s1.keypasses, 4);
            assert_true(s1.clusters >= (uint64_t)(r + 1) * NFAM);
            free(a);
            free(b);
            free(c);
        }
    }
    assert_int_equal(lk_neartext_spilled_bytes(mem), 0);
    assert_int_equal(lk_neartext_spilled_bytes(sp),
                     (uint64_t)2 * 8192 * LK_NEARTEXT_K * sizeof(uint16_t));
    /* the small budget wrote all of them, to read their high bytes */
    assert_int_equal(lk_neartext_spilled_bytes(low),
                     (uint64_t)n * LK_NEARTEXT_K * sizeof(uint16_t));
    assert_int_equal(st, LK_EIO);
    assert_non_null(strstr(lk_neartext_errmsg(bad), "/nonexistent-lockstep-dir"));
    lk_neartext_free(mem);
    lk_neartext_free(sp);
    lk_neartext_free(low);
    lk_neartext_free(bad);
}

/* The clusters, counts and memory of n texts under `budget` (0: none). */
static uint32_t *cluster_budget(const lk_buf *text, int n, unsigned threads, uint64_t budget,
                                int spill, lk_neartext_stats *st)
{
    lk_neartext *nt = NULL;
    lk_neartext_opts o;
    uint32_t *out = NULL;

    lk_neartext_opts_init(&o);
    o.threads = threads;
    assert_int_equal(lk_neartext_new(&o, &nt), LK_OK);
    lk_neartext_budget(nt, budget);
    if (spill)
        lk_neartext_spill(nt, NULL);
    for (int i = 0; i < n; i++)
        assert_int_equal(lk_neartext_add(nt, text[i].p, text[i].len), LK_OK);
    assert_int_equal(lk_neartext_cluster(nt, &out, st), LK_OK);
    lk_neartext_free(nt);
    return out;
}

/* A budget that cannot hold every pass's records at once has each pass
 * sorted and swept in parts of its keys (and, tighter, fewer passes' keys
 * made a read): the same clusters and counts as without one, with one
 * thread or two, and the memory it plans within the budget where that is
 * possible.  3,000 copies of one text make a bucket of every pass larger
 * than any part the budget allows, which is then a part of its own. */
static void test_parts(void **state)
{
    enum { ROUNDS = 40, COPIES = 3000 };

    static dataset d;
    lk_buf *text = calloc(ROUNDS * MAXP + COPIES, sizeof *text);
    lk_neartext_stats s0, s;
    uint32_t *want, *got;
    int n = 0;

    (void)state;
    assert_non_null(text);
    for (int r = 0; r < ROUNDS; r++) {
        dataset_make(&d, 500 + (uint64_t)r);
        for (int i = 0; i < d.n; i++, n++) {
            lk_buf_init(&text[n]);
            assert_int_equal(lk_buf_append(&text[n], d.text[i].p, d.text[i].len), LK_OK);
        }
        dataset_release(&d);
        if (r == ROUNDS / 2) /* the copies in the middle */
            for (int k = 0; k < COPIES; k++, n++) {
                lk_buf_init(&text[n]);
                assert_int_equal(lk_buf_append(&text[n], text[0].p, text[0].len), LK_OK);
            }
    }
    want = cluster_budget(text, n, 1, 0, 0, &s0);
    assert_int_equal(s0.parts, 1);
    assert_true(s0.clusters >= (uint64_t)ROUNDS * NFAM);
    for (unsigned threads = 1; threads <= 2; threads++) {
        const uint64_t nb = threads > 1 ? 3 : 2, m = s0.sketched,
                       sig = m * 2 * LK_NEARTEXT_K + m * 8; /* signatures and union-find */
        /* four passes' keys and a half, a third of the records at a time;
         * two passes' keys and half; one pass's keys and the least part */
        const uint64_t budget[3] = {sig + m * 16 + nb * 8 * (m / 2 + 1),
                                    sig + m * 8 + nb * 8 * (m / 2 + 1), 1};
        const unsigned kp[3] = {4, 2, 1}, parts[3] = {2, 2, 10};

        for (int b = 0; b < 3; b++) {
            got = cluster_budget(text, n, threads, budget[b], 0, &s);
            assert_memory_equal(want, got, (size_t)n * sizeof *got);
            assert_same_counts(s0, s);
            assert_int_equal(s.keypasses, kp[b]);
            assert_true(s.parts >= parts[b]);
            if (b < 2)
                assert_true(s.held <= budget[b]);
            free(got);
        }
        /* spilling, the high bytes left in their file: with the low bytes
         * in memory (one pass's keys, under half the records at a time), then
         * with both left there, the low bytes of each part's records
         * that share a key read from their file (a sixth at a time) */
        {
            const uint64_t lo = m * LK_NEARTEXT_K + m * 12,
                           sb[2] = {lo + nb * 8 * (m / 8 + 1) + s0.posts * 4,
                                    m * 12 + (m + 63) / 64 * 12 +
                                        (nb * 8 + 2 * (uint64_t)(4 + LK_NEARTEXT_K)) * (m / 6 + 1)};

            for (int b = 0; b < 2; b++) {
                got = cluster_budget(text, n, threads, sb[b], 1, &s);
                assert_memory_equal(want, got, (size_t)n * sizeof *got);
                assert_same_counts(s0, s);
                assert_int_equal(s.keypasses, 1);
                assert_true(s.parts >= (b ? 6u : 3u));
                assert_true(s.held <= sb[b]);
                free(got);
            }
        }
    }
    free(want);
    for (int i = 0; i < n; i++)
        lk_buf_release(&text[i]);
    free(text);
}

/* Same input twice -> the same output; other hash seeds -> the same clusters
 * here, where every pair is far from the threshold. */
static void test_determinism(void **state)
{
    static dataset d;
    lk_neartext_opts o;
    uint32_t *a, *b;

    (void)state;
    dataset_make(&d, 99);
    lk_neartext_opts_init(&o);
    a = cluster_all(&d, &o, NULL);
    b = cluster_all(&d, &o, NULL);
    assert_memory_equal(a, b, (size_t)d.n * sizeof *a);
    for (uint64_t seed = 1; seed < 6; seed++) {
        o.seed = seed;
        free(b);
        b = cluster_all(&d, &o, NULL);
        assert_memory_equal(a, b, (size_t)d.n * sizeof *a);
    }
    free(a);
    free(b);
    dataset_release(&d);
}

/* Pairwise recall of m replaced words out of n, each pair clustered alone
 * (no third post can connect them), under the defaults (word pairs, 0.3).
 * True Jaccard of word-pair sets for m non-adjacent inner replacements:
 * (n - 1 - 2m) / (n - 1 + 2m): 20/3 0.52, 25/3 0.60, 12/2 0.47, 12/3 0.29
 * (adjacent or edge replacements break fewer pairs).  The bounds are loose
 * floors under the expected rates; the rates are printed for the record. */
static void test_pair_recall(void **state)
{
    static const struct {
        int n, m, min_pct;
    } cases[] = {{20, 1, 100}, {20, 2, 97}, {20, 3, 85}, {25, 3, 90},
                 {12, 1, 97},  {12, 2, 60}, {12, 3, 0}};

    uint64_t s = 5;
    lk_buf raw, x, y;

    (void)state;
    lk_buf_init(&raw);
    lk_buf_init(&x);
    lk_buf_init(&y);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int hit = 0;
        const int trials = 400;

        for (int t = 0; t < trials; t++) {
            words base = random_words(&s, cases[c].n), v;
            lk_neartext_opts o;
            lk_neartext *nt;
            uint32_t *out;

            /* distinct words, so that the true Jaccard is as stated */
            for (int i = 0; i < base.n; i++)
                for (int j = 0; j < i; j++)
                    if (base.w[j] == base.w[i]) {
                        base.w[i] = (base.w[i] + 1) % VOCAB;
                        j = -1;
                    }
            v = replace(&s, &base, cases[c].m);
            render(&base, 0, "", &raw, &x);
            render(&v, 0, "", &raw, &y);
            lk_neartext_opts_init(&o);
            o.seed = (uint64_t)t;
            assert_int_equal(lk_neartext_new(&o, &nt), LK_OK);
            assert_int_equal(lk_neartext_add(nt, x.p, x.len), LK_OK);
            assert_int_equal(lk_neartext_add(nt, y.p, y.len), LK_OK);
            assert_int_equal(lk_neartext_cluster(nt, &out, NULL), LK_OK);
            hit += out[1] == 0;
            free(out);
            lk_neartext_free(nt);
        }
        print_message("pair recall, %d of %d words replaced: %d/%d\n", cases[c].m, cases[c].n, hit,
                      trials);
        assert_true(hit * 100 >= trials * cases[c].min_pct);
    }
    lk_buf_release(&raw);
    lk_buf_release(&x);
    lk_buf_release(&y);
}

static void add_str(lk_neartext *nt, const char *s)
{
    assert_int_equal(lk_neartext_add(nt, s, strlen(s)), LK_OK);
}

/* Fewer than 3 tokens never cluster, even when identical; 3 do. */
static void test_short(void **state)
{
    lk_neartext *nt;
    uint32_t *out;
    lk_neartext_stats st;

    (void)state;
    assert_int_equal(lk_neartext_new(NULL, &nt), LK_OK);
    add_str(nt, "");                                       /* 0 */
    add_str(nt, "");                                       /* 1 */
    add_str(nt, "lol");                                    /* 2 */
    add_str(nt, "  lol  ");                                /* 3 */
    add_str(nt, "thank you");                              /* 4 */
    add_str(nt, "thank you");                              /* 5 */
    assert_int_equal(lk_neartext_add(nt, NULL, 0), LK_OK); /* 6 */
    add_str(nt, "thank you so");                           /* 7 */
    add_str(nt, " thank\tyou  so\n");                      /* 8: the same tokens */
    add_str(nt, "thank you");                              /* 9 */
    assert_int_equal(lk_neartext_cluster(nt, &out, &st), LK_OK);
    for (int i = 0; i < 10; i++)
        assert_int_equal(out[i], i == 7 || i == 8 ? 7 : UINT32_MAX);
    assert_int_equal(st.posts, 10);
    assert_int_equal(st.sketched, 2);
    assert_int_equal(st.clusters, 1);
    assert_int_equal(st.clustered, 2);
    free(out);
    lk_neartext_free(nt);
}

/* Word order: shingle 1 sees sets of words, shingle 2 sees pairs. */
static void test_shingle(void **state)
{
    const char *a = "alpha beta gamma delta epsilon zeta eta theta";
    const char *b = "theta eta zeta epsilon delta gamma beta alpha";

    (void)state;
    for (unsigned k = 1; k <= 2; k++) {
        lk_neartext_opts o;
        lk_neartext *nt;
        uint32_t *out;

        lk_neartext_opts_init(&o);
        o.shingle = k;
        assert_int_equal(lk_neartext_new(&o, &nt), LK_OK);
        add_str(nt, a);
        add_str(nt, b);
        add_str(nt, "one two three"); /* 3 words: pairs when k = 2 */
        add_str(nt, "one two three");
        assert_int_equal(lk_neartext_cluster(nt, &out, NULL), LK_OK);
        assert_int_equal(out[1], k == 1 ? 0 : UINT32_MAX);
        assert_int_equal(out[3], 2);
        free(out);
        lk_neartext_free(nt);
    }
}

/* 10^5 copies of one spam text among others: one cluster, linear work. */
static void test_spam_run(void **state)
{
    lk_neartext *nt;
    uint32_t *out;
    lk_neartext_stats st;
    const uint32_t n = 100000;
    char buf[64];

    (void)state;
    assert_int_equal(lk_neartext_new(NULL, &nt), LK_OK);
    for (uint32_t i = 0; i < n; i++) {
        if (i % 10 == 3) {
            (void)snprintf(buf, sizeof buf, "a%u b%u c%u d%u", i, i, i, i);
            add_str(nt, buf);
        } else {
            add_str(nt, "buy cheap followers now at our great store");
        }
    }
    assert_true(lk_neartext_bytes(nt) >= (size_t)n * LK_NEARTEXT_K * sizeof(uint16_t));
    assert_int_equal(lk_neartext_cluster(nt, &out, &st), LK_OK);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(out[i], i % 10 == 3 ? UINT32_MAX : 0);
    assert_int_equal(st.clusters, 1);
    assert_int_equal(st.clustered, n - n / 10);
    /* The identity pass joins the copies without verification; the unique
     * posts share few band keys. */
    assert_true(st.candidates < n);
    free(out);
    lk_neartext_free(nt);
}

/* Equal 16-bit slots of the sketches of two rendered texts. */
static int equal_slots(const lk_neartext *nt, const lk_buf *x, const lk_buf *y, uint64_t **wbuf,
                       size_t *wbuf_cap)
{
    uint16_t a[LK_NEARTEXT_K + 4], b[LK_NEARTEXT_K];
    int m = 0;

    /* Slots past K stay as they were: a slot is 16 bits, not 32. */
    for (int j = LK_NEARTEXT_K; j < LK_NEARTEXT_K + 4; j++)
        a[j] = 0xabcd;
    assert_int_equal(lk_neartext_sketch(nt, x->p, x->len, a, wbuf, wbuf_cap), 1);
    assert_int_equal(lk_neartext_sketch(nt, y->p, y->len, b, wbuf, wbuf_cap), 1);
    for (int j = LK_NEARTEXT_K; j < LK_NEARTEXT_K + 4; j++)
        assert_int_equal(a[j], 0xabcd);
    for (int j = 0; j < LK_NEARTEXT_K; j++)
        m += a[j] == b[j];
    return m;
}

/* Sketches are K slots of 16 bits (b-bit MinHash) and still estimate the
 * Jaccard: identical texts agree in all 64 slots; one of 20 words replaced
 * (true word-pair Jaccard 17/21 = 0.81 inside, 18/20 at an end: about 52
 * slots expected, standard deviation 3) agrees in 52 on average; unrelated
 * texts in almost none (a chance agreement has probability 2^-16 a slot).
 * Each of the 16 bits kept is set in half of the slots, so the bits kept
 * are uniform (the high bits of a minimum are mostly 0).  The handle holds
 * 128 bytes of signature per sketched post (+ 4 of post id, and growth):
 * bytes < 256 per post at every count past 1,000 cannot hold with 256-byte
 * signatures, and the fewest bytes per post, reached when the arrays are
 * full, is close to 132. */
static void test_sketch_bits(void **state)
{
    const int trials = 200;
    uint64_t s = 11, *wbuf = NULL;
    size_t wbuf_cap = 0, bytes, min_per_post = SIZE_MAX;
    lk_buf raw, x, y;
    lk_neartext *nt;
    int edit_sum = 0, ones[16] = {0};
    double mean = 0;

    (void)state;
    lk_buf_init(&raw);
    lk_buf_init(&x);
    lk_buf_init(&y);
    assert_int_equal(lk_neartext_new(NULL, &nt), LK_OK);
    for (int t = 0; t < trials; t++) {
        const words base = random_words(&s, 20), other = random_words(&s, 20);
        const words v = replace(&s, &base, 1);
        uint16_t mins[LK_NEARTEXT_K];
        int m;

        render(&base, 0, "", &raw, &x);
        assert_int_equal(equal_slots(nt, &x, &x, &wbuf, &wbuf_cap), LK_NEARTEXT_K);
        render(&v, 0, "", &raw, &y);
        m = equal_slots(nt, &x, &y, &wbuf, &wbuf_cap);
        assert_true(m >= 38 && m <= LK_NEARTEXT_K);
        edit_sum += m;
        render(&other, 0, "", &raw, &y);
        assert_true(equal_slots(nt, &x, &y, &wbuf, &wbuf_cap) < 8);
        assert_int_equal(lk_neartext_sketch(nt, x.p, x.len, mins, &wbuf, &wbuf_cap), 1);
        for (int j = 0; j < LK_NEARTEXT_K; j++) {
            mean += mins[j];
            for (int bit = 0; bit < 16; bit++)
                ones[bit] += (mins[j] >> bit) & 1;
        }
    }
    print_message("equal slots, 1 of 20 words replaced: mean %.1f of 64\n",
                  (double)edit_sum / trials);
    assert_true(edit_sum >= 49 * trials && edit_sum <= 56 * trials);
    mean /= trials * LK_NEARTEXT_K; /* uniform: 32767.5, standard deviation 170 here */
    assert_true(mean > 31768 && mean < 33768);
    for (int bit = 0; bit < 16; bit++) /* half of 12,800, standard deviation 57 */
        assert_true(ones[bit] > trials * LK_NEARTEXT_K * 45 / 100 &&
                    ones[bit] < trials * LK_NEARTEXT_K * 55 / 100);
    lk_neartext_free(nt);

    assert_int_equal(lk_neartext_new(NULL, &nt), LK_OK);
    for (size_t n = 1; n <= 20000; n++) {
        const words t = random_words(&s, 20);

        render(&t, 0, "", &raw, &x);
        assert_int_equal(lk_neartext_add(nt, x.p, x.len), LK_OK);
        bytes = lk_neartext_bytes(nt);
        assert_true(bytes >= n * 128);
        if (n >= 1000) {
            assert_true(bytes < n * 256);
            min_per_post = LK_MIN(min_per_post, bytes / n);
        }
    }
    print_message("bytes per sketched post: at least %zu\n", min_per_post);
    assert_true(min_per_post >= 132 && min_per_post <= 140);
    lk_neartext_free(nt);
    free(wbuf);
    lk_buf_release(&raw);
    lk_buf_release(&x);
    lk_buf_release(&y);
}

/* The minima computed here from the definition (neartext.h, neartext.c):
 * words split on spaces, hashed with lk_hash64; a shingle's hash folds its
 * words' with lk_mix64; slot j is the high half of mul[j] h + add[j] modulo
 * 2^64 (done in 128-bit arithmetic here), mul and add drawn from lk_rng
 * seeded with the handle's seed; the low 16 bits kept.  0 when the text has
 * fewer than three words. */
static int reference_sketch(uint64_t seed, unsigned shingle, const char *text, uint16_t *mins)
{
    uint64_t mul[LK_NEARTEXT_K], add[LK_NEARTEXT_K], w[64];
    uint32_t m[LK_NEARTEXT_K];
    size_t nw = 0;
    unsigned k;
    lk_rng rng;

    lk_rng_seed(&rng, seed);
    for (int j = 0; j < LK_NEARTEXT_K; j++) {
        mul[j] = lk_rng_next(&rng) | 1;
        add[j] = lk_rng_next(&rng);
    }
    for (const char *p = text; *p;) {
        const char *e;

        while (*p == ' ')
            p++;
        if (!*p)
            break;
        for (e = p; *e && *e != ' ';)
            e++;
        assert_true(nw < 64);
        w[nw++] = lk_hash64(p, (size_t)(e - p));
        p = e;
    }
    if (nw < 3)
        return 0;
    k = nw < shingle + 1 ? 1 : shingle;
    for (int j = 0; j < LK_NEARTEXT_K; j++)
        m[j] = UINT32_MAX;
    for (size_t t = 0; t + k <= nw; t++) {
        uint64_t h = w[t];

        for (unsigned i = 1; i < k; i++)
            h = lk_mix64(h * UINT64_C(0x9e3779b97f4a7c15) ^ w[t + i]);
        for (int j = 0; j < LK_NEARTEXT_K; j++) {
            const unsigned __int128 x = (unsigned __int128)mul[j] * h + add[j];

            m[j] = LK_MIN(m[j], (uint32_t)((uint64_t)x >> 32));
        }
    }
    for (int j = 0; j < LK_NEARTEXT_K; j++)
        mins[j] = (uint16_t)m[j];
    return 1;
}

/* Every MinHash kernel this machine runs (portable C, AVX2, AVX-512) gives
 * the minima of the definition, computed independently above, for 3,000
 * texts of 1 to 40 words under every shingle length and seven seeds; and a
 * new handle uses the fastest of them. */
static void test_kernels(void **state)
{
    static const lk_neartext_kernel kernels[] = {LK_NT_KERNEL_SCALAR, LK_NT_KERNEL_AVX2,
                                                 LK_NT_KERNEL_AVX512};
    const size_t nk = sizeof kernels / sizeof *kernels;
    lk_neartext_kernel best = LK_NT_KERNEL_SCALAR;
    uint64_t *wbuf = NULL;
    size_t wbuf_cap = 0;
    int ran = 0;

    (void)state;
    for (size_t ki = 0; ki < nk; ki++) {
        uint64_t s = 5; /* the same texts for every kernel */
        lk_neartext *nt = NULL;
        lk_neartext_opts o;
        int sketched = 0;

        lk_neartext_opts_init(&o);
        assert_int_equal(lk_neartext_new(&o, &nt), LK_OK);
        if (!lk_neartext_use_kernel(nt, kernels[ki])) {
            assert_int_not_equal(kernels[ki], LK_NT_KERNEL_SCALAR);
            lk_neartext_free(nt);
            print_message("kernel %zu: not run by this CPU\n", ki);
            continue;
        }
        best = kernels[ki];
        lk_neartext_free(nt);
        for (int t = 0; t < 3000; t++) {
            const int n = 1 + (int)(next_u64(&s) % 40);
            uint16_t got[LK_NEARTEXT_K], want[LK_NEARTEXT_K];
            char text[40 * 25];
            size_t len = 0;
            int r;

            for (int i = 0; i < n; i++)
                len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i ? " " : "",
                                        vocab[next_u64(&s) % VOCAB]);
            o.shingle = 1 + (unsigned)(t % LK_NEARTEXT_MAX_SHINGLE);
            o.seed = (uint64_t)(t % 7);
            assert_int_equal(lk_neartext_new(&o, &nt), LK_OK);
            assert_int_equal(lk_neartext_use_kernel(nt, kernels[ki]), 1);
            r = lk_neartext_sketch(nt, text, len, got, &wbuf, &wbuf_cap);
            assert_int_equal(r, reference_sketch(o.seed, o.shingle, text, want));
            if (r) {
                assert_memory_equal(got, want, sizeof got);
                sketched++;
            }
            lk_neartext_free(nt);
        }
        print_message("kernel %zu: %d texts sketched as defined\n", ki, sketched);
        assert_true(sketched > 2800); /* all but texts of one or two words */
        ran++;
    }
    {
        lk_neartext *nt = NULL;

        assert_int_equal(lk_neartext_new(NULL, &nt), LK_OK);
        assert_int_equal(lk_neartext_kernel_of(nt), best);
        lk_neartext_free(nt);
    }
    assert_true(ran >= 1);
    free(wbuf);
}

static void test_opts_and_empty(void **state)
{
    lk_neartext_opts o;
    lk_neartext *nt = NULL;
    uint32_t *out = NULL;
    lk_neartext_stats st;

    (void)state;
    lk_neartext_opts_init(&o);
    assert_true(o.threshold == 0.3);
    assert_int_equal(o.shingle, 2);
    o.threshold = 0;
    assert_int_equal(lk_neartext_new(&o, &nt), LK_EINVAL);
    o.threshold = 1.5;
    assert_int_equal(lk_neartext_new(&o, &nt), LK_EINVAL);
    o.threshold = 0.4;
    o.shingle = 0;
    assert_int_equal(lk_neartext_new(&o, &nt), LK_EINVAL);
    o.shingle = LK_NEARTEXT_MAX_SHINGLE + 1;
    assert_int_equal(lk_neartext_new(&o, &nt), LK_EINVAL);
    assert_null(nt);
    lk_neartext_free(NULL);
    assert_int_equal(lk_neartext_bytes(NULL), 0);

    /* Nothing added: an empty result. */
    assert_int_equal(lk_neartext_new(NULL, &nt), LK_OK);
    assert_int_equal(lk_neartext_cluster(nt, &out, &st), LK_OK);
    assert_non_null(out);
    assert_int_equal(st.posts, 0);
    assert_int_equal(st.clusters, 0);
    free(out);
    /* Cluster, add more, cluster again. */
    add_str(nt, "a b c");
    assert_int_equal(lk_neartext_cluster(nt, &out, NULL), LK_OK);
    assert_int_equal(out[0], UINT32_MAX);
    free(out);
    add_str(nt, "a b c");
    assert_int_equal(lk_neartext_cluster(nt, &out, NULL), LK_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);
    free(out);
    lk_neartext_free(nt);

    /* Threshold 1: identical word sets only. */
    o.threshold = 1.0;
    o.shingle = 1;
    assert_int_equal(lk_neartext_new(&o, &nt), LK_OK);
    add_str(nt, "one two three four");
    add_str(nt, "four three two one one");
    add_str(nt, "one two three five");
    assert_int_equal(lk_neartext_cluster(nt, &out, &st), LK_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], UINT32_MAX);
    free(out);
    lk_neartext_free(nt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families),       cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_pair_recall),    cmocka_unit_test(test_short),
        cmocka_unit_test(test_shingle),        cmocka_unit_test(test_spam_run),
        cmocka_unit_test(test_opts_and_empty), cmocka_unit_test(test_threads),
        cmocka_unit_test(test_sketch_bits),    cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_spill),          cmocka_unit_test(test_parts),
    };
    return cmocka_run_group_tests(tests, make_vocab, NULL);
}
