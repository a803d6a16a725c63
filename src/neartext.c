/*
 * neartext.c - MinHash + banded LSH near-duplicate clusters (neartext.h).
 *
 * add():     words -> 64-bit word hashes -> shingle hashes -> K minima of
 *            K multiply-add-shift permutations of each shingle hash.
 * cluster(): 1 + b passes, each a stable radix sort of (key, post) records
 *            and a sweep over runs of equal keys; union-find over posts.
 */
#include "neartext.h"

/* x86-64 with GCC or Clang: the MinHash step has AVX2 and AVX-512 kernels,
 * compiled for those targets alone and picked at run time. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#    define LK_NT_X86 1
#else
#    define LK_NT_X86 0
#endif

#include <math.h>
#include <sys/mman.h>
#if LK_NT_X86
#    include <immintrin.h>
#endif
#ifdef __SSE2__
#    include <emmintrin.h>
#endif

#include "dist.h"
#include "par.h"
#include "rng.h"
#include "tmpfile.h"
#include "wbehind.h"

#define K LK_NEARTEXT_K

/* The MinHash minima of a text's shingle hashes: one kernel a CPU family,
 * picked once per handle (lk_neartext_kernel), all giving the same minima. */
typedef void minhash_fn(const uint64_t *mul, const uint64_t *add, const uint64_t *sh, size_t n,
                        uint32_t *m);

/* Posts a run record is verified against besides the run's first: the ones
 * just before it.  Copypasta comes in bursts, so in sorted-by-id runs its
 * copies sit close together; a fixed window keeps a run of any length linear. */
#define LK_NT_WINDOW 3

/* Signatures per block written by a spilling handle (512 KiB a byte
 * plane). */
#define LK_NT_SPILL_BLOCK 8192

struct lk_neartext {
    lk_neartext_opts o;
    unsigned rows, bands; /* LSH: bands * rows <= K */
    unsigned need;        /* equal slots for a join: ceil(threshold * K) */
    uint32_t nposts;      /* posts added */
    size_t nsig;          /* posts with a signature */
    /* the nsig * K minima, the low 16 bits of each, in two planes: the low
     * byte of each (lo) and the high byte (hi); spilling: the last nsig -
     * nspilled, a block at most.  A verification compares the low bytes
     * first, which decide most pairs alone (lk_neartext_cluster) */
    uint8_t *lo, *hi;
    size_t sig_cap; /* in posts */
    uint32_t *post; /* post id of signature i (increasing) */
    size_t post_cap;
    uint64_t *word; /* scratch: word hashes of the text being added */
    size_t word_cap;
    uint64_t mul[K], add[K]; /* permutation j: x -> (mul[j] x + add[j]) >> 32 */
    minhash_fn *minhash;     /* the kernel computing the K minima */
    lk_neartext_kernel kernel;

    /* lk_neartext_spill(): the folder, else NULL; the files of the low
     * and the high bytes once a block was written (else -1) and the
     * signatures in them, the first nspilled */
    const char *spill_dir;
    int spill_fd[2];
    size_t nspilled;
    lk_wbehind *wb;  /* lk_neartext_write_behind(): the blocks' writes; NULL: at once */
    uint64_t budget; /* lk_neartext_budget(); 0: none */
    char errbuf[LK_ERRMSG_MAX];
};

void lk_neartext_opts_init(lk_neartext_opts *o)
{
    /* Word pairs at 0.3: see the header for the measurements behind both. */
    o->threshold = 0.3;
    o->shingle = 2;
    o->seed = 0;
    o->threads = 1;
    o->distributed = 0;
}

/* Rows per band: the largest r (fewest candidates) for which a pair two
 * standard deviations of the estimate above the threshold, J = t + 2 sqrt(t (1 - t) / K),
 * the pairs the verification reliably joins, is a candidate with
 * probability >= 0.95 under b = K / r bands: 1 - (1 - J^r)^b.  Threshold 0.3
 * gives r = 2 (b = 32), 0.4 and 0.5 r = 3 (b = 21; at 0.4, J = 0.52 is a
 * candidate with p = 0.96), 0.8 r = 8. */
static unsigned pick_rows(double t)
{
    const double j = LK_MIN(1.0, t + 2.0 * sqrt(t * (1.0 - t) / K));
    unsigned best = 1;

    for (unsigned r = 2; r <= 8; r++) {
        const unsigned nb = K / r;
        const double b = (double)nb;

        if (1.0 - pow(1.0 - pow(j, (double)r), b) >= 0.95)
            best = r;
    }
    return best;
}

lk_status lk_neartext_new(const lk_neartext_opts *o, lk_neartext **out)
{
    lk_neartext_opts def;
    lk_neartext *nt;
    lk_rng rng;
    double need;

    if (!o) {
        lk_neartext_opts_init(&def);
        o = &def;
    }
    if (!(o->threshold > 0.0 && o->threshold <= 1.0) || o->shingle < 1 ||
        o->shingle > LK_NEARTEXT_MAX_SHINGLE)
        return LK_EINVAL;
    nt = calloc(1, sizeof *nt);
    if (!nt)
        return LK_ENOMEM;
    nt->o = *o;
    nt->spill_fd[0] = nt->spill_fd[1] = -1;
    nt->rows = pick_rows(o->threshold);
    nt->bands = K / nt->rows;
    /* The small epsilon keeps 0.5 * 64 = 32 from becoming 33 through
     * rounding of a threshold typed as a decimal. */
    need = ceil(o->threshold * K - 1e-9);
    if (need < 1)
        need = 1;
    if (need > K)
        need = K;
    nt->need = (unsigned)need;
    lk_rng_seed(&rng, o->seed);
    for (unsigned j = 0; j < K; j++) {
        nt->mul[j] = lk_rng_next(&rng) | 1;
        nt->add[j] = lk_rng_next(&rng);
    }
    if (!lk_neartext_use_kernel(nt, LK_NT_KERNEL_AVX512) &&
        !lk_neartext_use_kernel(nt, LK_NT_KERNEL_AVX2))
        (void)lk_neartext_use_kernel(nt, LK_NT_KERNEL_SCALAR);
    *out = nt;
    return LK_OK;
}

void lk_neartext_free(lk_neartext *nt)
{
    if (!nt)
        return;
    free(nt->lo);
    free(nt->hi);
    free(nt->post);
    free(nt->word);
    lk_wbehind_drain(nt->wb); /* nothing of its files written after they close */
    for (int i = 0; i < 2; i++)
        if (nt->spill_fd[i] >= 0)
            lk_tmpfile_close(nt->spill_fd[i]);
    free(nt);
}

void lk_neartext_spill(lk_neartext *nt, const char *dir)
{
    nt->spill_dir = lk_tmpfile_dir(dir);
}

void lk_neartext_write_behind(lk_neartext *nt, lk_wbehind *wb)
{
    nt->wb = wb;
}

void lk_neartext_budget(lk_neartext *nt, uint64_t bytes)
{
    nt->budget = bytes;
}

uint64_t lk_neartext_spilled_bytes(const lk_neartext *nt)
{
    return (uint64_t)nt->nspilled * K * 2u;
}

const char *lk_neartext_errmsg(const lk_neartext *nt)
{
    return nt->errbuf;
}

/* Spilling: the signatures in memory to the ends of the files, each byte
 * plane to its own. */
static lk_status spill_block(lk_neartext *nt)
{
    const size_t n = nt->nsig - nt->nspilled;
    const uint8_t *plane[2] = {nt->lo, nt->hi};
    lk_status st;

    for (int i = 0; i < 2; i++) {
        if (nt->spill_fd[i] < 0 &&
            (st = lk_tmpfile_open(nt->spill_dir, &nt->spill_fd[i], nt->errbuf)) != LK_OK)
            return st;
        if ((st = lk_wbehind_write(nt->wb, nt->spill_fd[i], plane[i], n * K,
                                   (uint64_t)nt->nspilled * K, nt->spill_dir, nt->errbuf)) != LK_OK)
            return st;
    }
    nt->nspilled = nt->nsig;
    return LK_OK;
}

size_t lk_neartext_bytes(const lk_neartext *nt)
{
    if (!nt)
        return 0;
    return sizeof *nt + nt->sig_cap * K * 2u + nt->post_cap * sizeof *nt->post +
           nt->word_cap * sizeof *nt->word;
}

static int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Hash of `k` consecutive word hashes; order matters. */
static uint64_t shingle_hash(const uint64_t *w, unsigned k)
{
    uint64_t h = w[0];

    for (unsigned i = 1; i < k; i++)
        h = lk_mix64(h * UINT64_C(0x9e3779b97f4a7c15) ^ w[i]);
    return h;
}

/*
 * The minima.  Slot j of shingle hash h is the high half of the 64-bit
 * multiply-add mul[j] h + add[j]: a cheap family of permutations whose
 * minima are as good as a full mixer's here.  The vector kernels compute
 * the same bits exactly, with 32 x 32 -> 64-bit multiplies (the only ones
 * AVX2 has; AVX-512's 64-bit multiply is slower than three of them):
 * writing mul = mh 2^32 + ml and h = hh 2^32 + hl, bits 32..63 of
 * mul h + add are those of ml hl + add plus the low 32 bits of
 * ml hh + mh hl.  Each 64-bit lane keeps its minimum in its low 32 bits
 * (an unsigned 32-bit minimum a lane half; the high halves are never read).
 * On 20-word texts (word pairs) a text takes 1.3-2.1 us scalar, 0.6-1.1 us
 * with AVX2 and 0.36-0.49 us with AVX-512 on this project's machines.
 */
static void minhash_scalar(const uint64_t *mul, const uint64_t *add, const uint64_t *sh, size_t n,
                           uint32_t *m)
{
    for (unsigned j = 0; j < K; j++)
        m[j] = UINT32_MAX;
    for (size_t t = 0; t < n; t++)
        for (unsigned j = 0; j < K; j++) {
            const uint32_t v = (uint32_t)((mul[j] * sh[t] + add[j]) >> 32);

            m[j] = v < m[j] ? v : m[j];
        }
}

#if LK_NT_X86
__attribute__((target("avx2"))) static void minhash_avx2(const uint64_t *mul, const uint64_t *add,
                                                         const uint64_t *sh, size_t n, uint32_t *m)
{
    enum { V = K / 4 };

    __m256i lo[V], hi[V], ad[V], mn[V];
    uint64_t out[4];

    for (size_t v = 0; v < V; v++) {
        lo[v] = _mm256_loadu_si256((const __m256i *)(const void *)(mul + 4 * v));
        hi[v] = _mm256_srli_epi64(lo[v], 32);
        ad[v] = _mm256_loadu_si256((const __m256i *)(const void *)(add + 4 * v));
        mn[v] = _mm256_set1_epi32(-1);
    }
    for (size_t t = 0; t < n; t++) {
        const __m256i hl = _mm256_set1_epi64x((long long)sh[t]);
        const __m256i hh = _mm256_set1_epi64x((long long)(sh[t] >> 32));

        for (size_t v = 0; v < V; v++) {
            const __m256i low =
                _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epu32(lo[v], hl), ad[v]), 32);
            const __m256i cross =
                _mm256_add_epi64(_mm256_mul_epu32(lo[v], hh), _mm256_mul_epu32(hi[v], hl));

            mn[v] = _mm256_min_epu32(mn[v], _mm256_add_epi32(low, cross));
        }
    }
    for (size_t v = 0; v < V; v++) {
        _mm256_storeu_si256((__m256i *)(void *)out, mn[v]);
        for (unsigned i = 0; i < 4; i++)
            m[4 * v + i] = (uint32_t)out[i];
    }
}

__attribute__((target("avx512f"))) static void
minhash_avx512(const uint64_t *mul, const uint64_t *add, const uint64_t *sh, size_t n, uint32_t *m)
{
    enum { V = K / 8 };

    __m512i lo[V], hi[V], ad[V], mn[V];
    uint64_t out[8];

    for (size_t v = 0; v < V; v++) {
        lo[v] = _mm512_loadu_si512(mul + 8 * v);
        hi[v] = _mm512_srli_epi64(lo[v], 32);
        ad[v] = _mm512_loadu_si512(add + 8 * v);
        mn[v] = _mm512_set1_epi32(-1);
    }
    for (size_t t = 0; t < n; t++) {
        const __m512i hl = _mm512_set1_epi64((long long)sh[t]);
        const __m512i hh = _mm512_set1_epi64((long long)(sh[t] >> 32));

        for (size_t v = 0; v < V; v++) {
            const __m512i low =
                _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epu32(lo[v], hl), ad[v]), 32);
            const __m512i cross =
                _mm512_add_epi64(_mm512_mul_epu32(lo[v], hh), _mm512_mul_epu32(hi[v], hl));

            mn[v] = _mm512_min_epu32(mn[v], _mm512_add_epi32(low, cross));
        }
    }
    for (size_t v = 0; v < V; v++) {
        _mm512_storeu_si512(out, mn[v]);
        for (unsigned i = 0; i < 8; i++)
            m[8 * v + i] = (uint32_t)out[i];
    }
}
#endif

static minhash_fn *kernel_fn(lk_neartext_kernel k)
{
#if LK_NT_X86
    __builtin_cpu_init();
    if (k == LK_NT_KERNEL_AVX512 && __builtin_cpu_supports("avx512f"))
        return minhash_avx512;
    if (k == LK_NT_KERNEL_AVX2 && __builtin_cpu_supports("avx2"))
        return minhash_avx2;
#endif
    return k == LK_NT_KERNEL_SCALAR ? minhash_scalar : NULL;
}

int lk_neartext_use_kernel(lk_neartext *nt, lk_neartext_kernel k)
{
    minhash_fn *f = kernel_fn(k);

    if (!f)
        return 0;
    nt->minhash = f;
    nt->kernel = k;
    return 1;
}

lk_neartext_kernel lk_neartext_kernel_of(const lk_neartext *nt)
{
    return nt->kernel;
}

int lk_neartext_sketch(const lk_neartext *nt, const char *text, size_t n, uint16_t *mins,
                       uint64_t **words, size_t *words_cap)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t m[K];
    uint64_t *w = *words;
    size_t ntok = 0, i = 0, cap = *words_cap;
    unsigned k;

    while (i < n) {
        size_t start;

        while (i < n && is_space(s[i]))
            i++;
        if (i == n)
            break;
        start = i;
        while (i < n && !is_space(s[i]))
            i++;
        if (LK_GROW(w, ntok + 1, cap) != LK_OK) {
            *words = w;
            *words_cap = cap;
            return -1;
        }
        w[ntok++] = lk_hash64(s + start, i - start);
    }
    *words = w;
    *words_cap = cap;
    if (ntok < 3)
        return 0;
    k = ntok < (size_t)nt->o.shingle + 1 ? 1 : nt->o.shingle;
    /* the shingle hashes over the word hashes: shingle t reads words t..t+k-1
     * and overwrites word t, which no later shingle reads */
    for (size_t t = 0; t + k <= ntok; t++)
        w[t] = shingle_hash(w + t, k);
    nt->minhash(nt->mul, nt->add, w, ntok - k + 1, m);
    /* b-bit MinHash (Li and Koenig): the minimum is taken over the full 32
     * bits, and only its low 16 are kept.  They are uniform: the minimum's
     * high bits lean to 0 (it is about 2^32 / shingles), its low bits are
     * middle bits of the 64-bit multiply-add.  Two different minima then
     * agree by chance with probability 2^-16. */
    for (unsigned j = 0; j < K; j++)
        mins[j] = (uint16_t)m[j];
    return 1;
}

lk_status lk_neartext_add_sketch(lk_neartext *nt, const uint16_t *mins)
{
    if (nt->nposts == UINT32_MAX)
        return LK_ELIMIT;
    if (!mins) {
        nt->nposts++;
        return LK_OK;
    }
    if (LK_GROW(nt->post, nt->nsig + 1, nt->post_cap) != LK_OK)
        return LK_ENOMEM;
    if (nt->spill_dir && nt->nsig - nt->nspilled >= LK_NT_SPILL_BLOCK) {
        const lk_status st = spill_block(nt);
        if (st != LK_OK)
            return st;
    }
    if (nt->sig_cap < nt->nsig - nt->nspilled + 1) {
        /* Grown by hand: LK_GROW counts elements, a signature is K of them. */
        size_t cap = nt->sig_cap + nt->sig_cap / 2, bytes;
        uint8_t *p;

        if (cap < 16)
            cap = 16;
        if (lk_mul_size(cap, K, &bytes) != 0)
            return LK_ENOMEM;
        if (!(p = realloc(nt->lo, bytes)))
            return LK_ENOMEM;
        nt->lo = p;
        if (!(p = realloc(nt->hi, bytes)))
            return LK_ENOMEM;
        nt->hi = p;
        nt->sig_cap = cap;
    }
    {
        uint8_t *lo = nt->lo + (nt->nsig - nt->nspilled) * K,
                *hi = nt->hi + (nt->nsig - nt->nspilled) * K;
        for (unsigned j = 0; j < K; j++) {
            lo[j] = (uint8_t)mins[j];
            hi[j] = (uint8_t)(mins[j] >> 8);
        }
    }
    nt->post[nt->nsig++] = nt->nposts++;
    return LK_OK;
}

lk_status lk_neartext_add(lk_neartext *nt, const char *text, size_t n)
{
    uint16_t mins[K];
    int r;

    if (nt->nposts == UINT32_MAX)
        return LK_ELIMIT;
    r = lk_neartext_sketch(nt, text, n, mins, &nt->word, &nt->word_cap);
    if (r < 0)
        return LK_ENOMEM;
    return lk_neartext_add_sketch(nt, r ? mins : NULL);
}

/* ---- clustering ---------------------------------------------------------- */

/* Pieces a band pass is swept in when threads > 1 (each starts a run). */
#define LK_NT_PIECES 16

/* Top key bits the records are first distributed on: 1,024 buckets,
 * which are also what a pass's parts are cut along. */
#define LK_NT_TOP 10

/* A budget never cuts a pass into more parts than this (each part reads
 * all the pass's keys), nor into parts smaller than LK_NT_MIN_PART
 * records. */
#define LK_NT_MAX_PARTS 64
#define LK_NT_MIN_PART  1024

/* Work state of one lk_neartext_cluster() call.  Passes are the identity
 * pass (0) and the bands (1..b); each is prepared (records made and
 * sorted) and then swept (union-find).  With two threads or more, pass
 * p + 1 is prepared while pass p is swept, and a band pass is swept in
 * pieces by whichever threads are free, the union-find shared through
 * atomic operations.  The result does not depend on the threads or the
 * order: the pairs a sweep compares follow from the sorted records alone,
 * a pair already in one set is only skipped, so the sets are the connected
 * components of the pairs that verify; every link hangs the larger root
 * under the smaller, so a set's root is its minimum; and the counts are of
 * pairs and links, not of the order they came in. */
typedef struct ctx {
    const lk_neartext *nt;
    /* two per signature: [2 i] its union-find parent (a root is its set's
     * minimum, parents only ever point lower), [2 i + 1] its root after
     * the identity pass: equal ones mean identical signatures */
    uint32_t *uf;
    uint64_t *buf[3]; /* record buffers: one being swept, two for the next part's sort */
    size_t bufcap[3]; /* records each holds */
    size_t nrec[3];   /* records in each */
    int sweep_buf;    /* buf holding the part being swept */
    int prep_buf;     /* out: buf holding the part just prepared */
    unsigned prep_pass, sweep_pass;
    /* A pass is sorted and swept in parts, each a range [d0, d1) of the
     * top LK_NT_TOP bits of its keys of at most `cap` records (a bucket
     * larger than that alone): all of it at once unless a budget asks for
     * fewer records at a time (plan_work).  prep_d0: the first bucket of
     * the part to prepare; prep_d1 (out): the end of the one prepared. */
    size_t cap;
    unsigned prep_d0, prep_d1;
    unsigned parts, parts_max;   /* parts of the pass being prepared; the most of any */
    lk_status prep_st;           /* a record buffer that could not grow */
    size_t hist[1 << LK_NT_TOP]; /* bucket counts of the keys of pass hist_pass1 - 1 */
    unsigned hist_pass1;         /* 0: none yet */
    int prep;                    /* this step: task 0 prepares prep_pass */
    size_t npieces;              /* this step: sweep tasks */
    lk_status sweep_st;
    uint32_t *reps; /* identity pass: distinct signatures of one run */
    size_t reps_cap;
    uint64_t joined; /* identity pass */
    size_t bound[LK_NT_PIECES + 1];
    uint64_t pcand[LK_NT_PIECES], pjoin[LK_NT_PIECES]; /* per piece of a band pass */
    /* all nt->nsig signatures' byte planes (read back when spilled); hi is
     * NULL when the high bytes are read from their file as needed (hi_fd,
     * under a budget they do not fit), each piece's reads with their own
     * status and message */
    const uint8_t *lo, *hi;
    int hi_fd;
    lk_status pst[LK_NT_PIECES + 1];
    char pmsg[LK_NT_PIECES + 1][LK_ERRMSG_MAX];
    uint64_t preads[LK_NT_PIECES + 1];
    /* prepare: the keys of passes [kp0, kp0 + kpn), nsig each (fill_keys),
     * and a cache line of records per top bucket of the sort (sort_keys) */
    uint32_t *keys;
    unsigned kp0, kpn;
    unsigned kpmax; /* passes whose keys a fill makes (plan_work) */
    /* gather (lo is NULL): the low bytes stay in their file too, and each
     * part's preparation copies those of the records that sit in a run of
     * equal keys (the only ones a sweep compares) from the file's mapping
     * gmap (gmap_len bytes), in file order (gather_part): slot s of two
     * holds a part's, glo[s] the low bytes and gidx[s][p] where record p's
     * are in it; gslot[b] is the slot of the part in record buffer b;
     * gmark, a bit a signature (zero between parts), marks the part's,
     * and grank[w] counts the marks in the words before w */
    int gather;
    uint8_t *gmap; /* read only (PROT_READ) */
    size_t gmap_len;
    /* the high bytes' file mapped read only when they stay in it (hi NULL;
     * NULL if the mapping failed): fill_keys reads it, and gmap, whole,
     * a block at a time, letting the pages go behind, instead of copying
     * them out of the page cache (33 fills of both planes a clustering
     * when the keys are made a pass at a time) */
    uint8_t *hmap;
    size_t hmap_len;
    uint64_t *gmark;
    uint32_t *grank;
    uint32_t *gidx[2];
    uint8_t *glo[2];
    size_t gidx_cap[2], glo_cap[2];
    int gslot[3];
    uint64_t *wc;
    double t_prep, t_sweep[LK_NT_PIECES]; /* -vv: thread-seconds */
    double t_keys, t_gather;              /* -vv: t_prep's fill_keys and gather_part */
    unsigned fill_p;                      /* fill_keys_par: the first pass to fill */
    double t_fill[LK_NT_PIECES];          /* and its tasks' thread-seconds */
    /* distributed (record): per piece, the pairs whose verification joined
     * two sets, a << 32 | b, for the other ranks (jfail: one did not fit) */
    int record;
    uint64_t *jv[LK_NT_PIECES];
    size_t jn[LK_NT_PIECES], jcap[LK_NT_PIECES];
    int jfail[LK_NT_PIECES];
} ctx;

/* Root of x's set, halving the path on the way (every parent is an
 * ancestor, so a store racing another leaves an ancestor too; the store is
 * __atomic_store_n, which the analyser does not count as a write). */
// NOLINTNEXTLINE(readability-non-const-parameter)
static uint32_t find(uint32_t *uf, uint32_t x)
{
    for (;;) {
        const uint32_t p = __atomic_load_n(&uf[2 * (size_t)x], __ATOMIC_RELAXED);
        uint32_t g;

        if (p == x)
            return x;
        g = __atomic_load_n(&uf[2 * (size_t)p], __ATOMIC_RELAXED);
        if (g != p)
            __atomic_store_n(&uf[2 * (size_t)x], g, __ATOMIC_RELAXED);
        x = g;
    }
}

/* Join the sets of a and b: the larger root goes under the smaller, by a
 * compare-and-swap that fails (and is tried again from the new roots)
 * when another thread linked that root first.  1 when two sets became one. */
static int join(uint32_t *uf, uint32_t a, uint32_t b)
{
    for (;;) {
        const uint32_t ra = find(uf, a), rb = find(uf, b);
        const uint32_t lo = LK_MIN(ra, rb), hi = LK_MAX(ra, rb);
        uint32_t expect = hi;

        if (ra == rb)
            return 0;
        if (__atomic_compare_exchange_n(&uf[2 * (size_t)hi], &expect, lo, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return 1;
        a = ra;
        b = rb;
    }
}

_Static_assert(K <= 64 && K % 16 == 0, "equal_bytes: a bit a slot in 64, 16 slots a compare");

/* Bit j set where x[j] == y[j], of the K bytes at x and y. */
static uint64_t equal_bytes(const uint8_t *x, const uint8_t *y)
{
    uint64_t m = 0;
#ifdef __SSE2__
    for (size_t q = 0; q < K / 16; q++) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(x + 16 * q)),
                      b = _mm_loadu_si128((const __m128i *)(const void *)(y + 16 * q));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, b)) << (16 * q);
    }
#else
    for (unsigned j = 0; j < K; j++)
        m |= (uint64_t)(x[j] == y[j]) << j;
#endif
    return m;
}

/* The high bytes of signature x: in memory, or read from their file into
 * buf (task `piece`'s reads: a failure is kept in its status, and the
 * pair counts as not similar). */
static const uint8_t *hi_of(ctx *c, size_t piece, uint32_t x, uint8_t *buf)
{
    if (c->hi)
        return c->hi + (size_t)x * K;
    c->preads[piece]++;
    if (c->pst[piece] == LK_OK)
        c->pst[piece] =
            lk_tmpfile_read(c->hi_fd, buf, K, (uint64_t)x * K, c->nt->spill_dir, c->pmsg[piece]);
    return c->pst[piece] == LK_OK ? buf : NULL;
}

/* Where a sweep finds the low bytes of its part's signatures, and what it
 * counts: copied from the ctx into the sweep's own frame, which no other
 * thread writes (read from the ctx at every pair, beside the counters of
 * the other pieces, they took the sweeps at 10^7 actions from 0.95 to 2.2
 * thread-seconds). */
typedef struct sweepv {
    const uint8_t *lo;    /* all of them (gidx NULL), or the part's gathered ones */
    const uint32_t *gidx; /* gathered: where record p's are in lo */
    uint64_t cand, join;  /* the piece's candidates and joins */
} sweepv;

static sweepv sweep_view(const ctx *c, int buf)
{
    sweepv v = {c->lo, NULL, 0, 0};

    if (c->gather) {
        v.lo = c->glo[c->gslot[buf]];
        v.gidx = c->gidx[c->gslot[buf]];
    }
    return v;
}

/* The low bytes of signature x, the record at p of the part being swept. */
static inline const uint8_t *lo_at(const sweepv *v, size_t p, uint32_t x)
{
    return v->lo + (size_t)(v->gidx ? v->gidx[p] : x) * K;
}

/* Whether a and b (low bytes la and lb) have at least `need` equal slots.
 * Slots equal in their low bytes are the only ones that can be equal: when
 * too few are, the high bytes are not read at all (at 10^8 simulated
 * actions 3.6 M of 542 M comparisons needed them), a cache line of each
 * signature instead of two. */
static int similar(ctx *c, size_t piece, uint32_t a, uint32_t b, const uint8_t *la,
                   const uint8_t *lb)
{
    const unsigned need = c->nt->need;
    const uint64_t m = equal_bytes(la, lb);
    uint8_t ba[K], bb[K];
    const uint8_t *ha, *hb;

    if ((unsigned)__builtin_popcountll(m) < need)
        return 0;
    if (!(ha = hi_of(c, piece, a, ba)) || !(hb = hi_of(c, piece, b, bb)))
        return 0;
    return (unsigned)__builtin_popcountll(m & equal_bytes(ha, hb)) >= need;
}

/* Verify a against b and join them when similar: a candidate unless their
 * signatures are identical (the identity pass joined those), verified
 * unless they are in one set already. */
static void try_pair(ctx *c, sweepv *v, size_t piece, uint32_t a, uint32_t b, const uint8_t *la,
                     const uint8_t *lb)
{
    uint32_t *uf = c->uf;
    uint32_t ra, rb;

    if (uf[2 * (size_t)a + 1] == uf[2 * (size_t)b + 1])
        return;
    v->cand++;
    ra = find(uf, a);
    rb = find(uf, b);
    if (ra != rb && similar(c, piece, a, b, la, lb) && join(uf, ra, rb)) {
        v->join++;
        if (c->record) {
            if (LK_GROW(c->jv[piece], c->jn[piece] + 1, c->jcap[piece]) == LK_OK)
                c->jv[piece][c->jn[piece]++] = (uint64_t)a << 32 | b;
            else
                c->jfail[piece] = 1;
        }
    }
}

/* One stable counting pass of rec[0..n) into dst by the `bits` bits of
 * each record at `shift`. */
static void radix_pass(const uint64_t *rec, uint64_t *dst, size_t n, unsigned shift, unsigned bits,
                       size_t *count)
{
    const size_t nb = (size_t)1 << bits, mask = nb - 1;
    size_t sum = 0;

    memset(count, 0, nb * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[(rec[i] >> shift) & mask]++;
    for (size_t d = 0; d < nb; d++) {
        const size_t t = count[d];

        count[d] = sum;
        sum += t;
    }
    for (size_t i = 0; i < n; i++)
        dst[count[(rec[i] >> shift) & mask]++] = rec[i];
}

/* Records a cache line holds. */
#define LK_NT_LINE 8

/* The 64 bytes at src to dst (both 64-byte aligned), around the caches
 * where the CPU can: a line written whole needs no read of it first. */
static void put_line(uint64_t *dst, const uint64_t *src)
{
#ifdef __SSE2__
    for (int q = 0; q < 4; q++)
        _mm_stream_si128((__m128i *)(void *)dst + q,
                         _mm_load_si128((const __m128i *)(const void *)src + q));
#else
    memcpy(dst, src, LK_NT_LINE * sizeof *dst);
#endif
}

/* Counts of the keys k[0..n) by their top LK_NT_TOP bits, into hist. */
static void count_top(const uint32_t *k, size_t n, size_t *hist)
{
    memset(hist, 0, sizeof(size_t) << LK_NT_TOP);
    for (size_t i = 0; i < n; i++)
        hist[k[i] >> (32 - LK_NT_TOP)]++;
}

/*
 * The records (k[i] << 32 | i) of a pass whose keys' top LK_NT_TOP bits
 * lie in [d0, d1), i < n, sorted by key and then index into out (64-byte
 * aligned), with tmp as scratch; hist holds the counts of count_top().
 * Returns the records written.  One stable pass
 * distributes them on the top LK_NT_TOP bits of the key, then each bucket
 * (about n / 1,024 records, in cache at the sizes where this matters) is
 * sorted by the low 22 bits in two passes of 11 that stay in it.  The
 * first pass writes 1,024 streams at once, which the caches serve badly
 * (13-14 ns a record at 2 x 10^7 on the project's machine against 1.4 for
 * reading them in order): each bucket's records gather in a cache line of
 * wc (1,024 lines) and go out a whole line at a time (7.6 ns).  Equal keys
 * stay in index order: the sweeps never see hash order, and a pass's parts
 * one after the other are its records in the order the whole pass sorted
 * at once has them.  Three passes over
 * the whole array made the passes' preparation 1.4 times as long at 4 M
 * texts (bench/RESULTS.md), and sort.h's in-place sort of the whole 64-bit
 * records (the same order) 2.2 times.
 */
static size_t sort_keys(const uint32_t *k, size_t n, unsigned d0, unsigned d1, const size_t *hist,
                        uint64_t *out, uint64_t *tmp, uint64_t *wc)
{
    const unsigned shift = 32 - LK_NT_TOP, span = d1 - d0;
    size_t pos[1 << LK_NT_TOP], start[(1 << LK_NT_TOP) + 1], count[2048];

    start[0] = 0;
    for (size_t d = 0; d < span; d++) {
        start[d + 1] = start[d] + hist[d0 + d];
        pos[d] = start[d];
    }
#ifdef __SSE2__
    /* a part: most keys are others', passed over four at a time (at 5 x
     * 10^7 actions under --max-mem 256M, 34 parts a pass) */
    const int skip = span < 1u << LK_NT_TOP;
    const __m128i lo = _mm_set1_epi32((int)d0 - 1), hi = _mm_set1_epi32((int)d1);
#endif

    for (size_t i = 0, e; i < n; i = e) {
        e = n;
#ifdef __SSE2__
        if (skip) {
            while (i + 4 <= n) {
                const __m128i t =
                    _mm_srli_epi32(_mm_loadu_si128((const __m128i *)(k + i)), (int)shift);
                if (_mm_movemask_epi8(
                        _mm_and_si128(_mm_cmpgt_epi32(t, lo), _mm_cmplt_epi32(t, hi))))
                    break;
                i += 4;
            }
            e = LK_MIN(n, i + 4);
        }
#endif
        for (; i < e; i++) {
            const size_t d = (size_t)(k[i] >> shift) - d0;
            size_t p, line;
            uint64_t *w;

            if (d >= span) /* another part's (wrapped below d0 too) */
                continue;
            p = pos[d]++;
            line = p & ~(size_t)(LK_NT_LINE - 1);
            w = wc + d * LK_NT_LINE;
            w[p & (LK_NT_LINE - 1)] = (uint64_t)k[i] << 32 | i;
            if ((p & (LK_NT_LINE - 1)) != LK_NT_LINE - 1)
                continue;
            if (line >= start[d]) { /* the whole line is this bucket's */
                put_line(out + line, w);
            } else { /* the bucket starts inside it */
                const size_t from = start[d] - line;
                memcpy(out + start[d], w + from, (LK_NT_LINE - from) * sizeof *w);
            }
        }
    }
#ifdef __SSE2__
    _mm_sfence(); /* the streamed lines before the plain stores beside them */
#endif
    /* each bucket's last line, when it is not full */
    for (size_t d = 0; d < span; d++) {
        const size_t e = start[d + 1], line = e & ~(size_t)(LK_NT_LINE - 1);
        const size_t from = LK_MAX(line, start[d]);

        if (e > from)
            memcpy(out + from, wc + d * LK_NT_LINE + (from - line), (e - from) * sizeof *wc);
    }
    for (size_t d = 0; d < span; d++) {
        const size_t s = start[d], m = start[d + 1] - s;

        if (m > 1) {
            radix_pass(out + s, tmp + s, m, 32, 11, count);
            radix_pass(tmp + s, out + s, m, 43, 11, count);
        }
    }
    return start[span];
}

/* 32-bit key of band `band` of signature s (its slots from j = band *
 * rows on, rebuilt from the byte planes): its rows 16-bit slots, four to
 * a 64-bit word, mixed. */
static uint32_t band_key(const uint16_t *s, unsigned band, unsigned rows)
{
    uint64_t h = lk_mix64(UINT64_C(0x2545f4914f6cdd1d) * (band + 1));

    for (unsigned j = 0; j < rows; j += 4) {
        uint64_t v = 0;

        for (unsigned i = j; i < rows && i < j + 4; i++)
            v = v << 16 | s[i];
        h = lk_mix64(h ^ v);
    }
    return (uint32_t)(h >> 32);
}

/* Passes whose keys one read of the signatures makes (fill_keys).  A
 * band's few bytes lie K slots apart, so a pass reads a cache line of
 * every signature for them: four passes a read take a quarter of that
 * traffic, for 16 bytes a signature of keys meanwhile. */
#define LK_NT_KEYPASSES 4

/* Signatures whose high bytes a fill reads from their file at a time. */
#define LK_NT_FILL_READ 4096

/* The keys of passes [p, p + c->kpmax) (fewer at the end) into
 * c->keys: pass 0's a 32-bit hash of the whole signature, pass 1 + b band
 * b's key, of signatures [i0, i1), the slots rebuilt from the byte planes;
 * a failed read or allocation goes to c->pst[task]. */
static unsigned fill_keys_range(ctx *c, size_t task, unsigned p, size_t i0, size_t i1)
{
    const lk_neartext *nt = c->nt;
    const size_t n = nt->nsig;
    const unsigned rows = nt->rows, m = LK_MIN(c->kpmax, nt->bands + 1 - p);
    /* the slots the keys read: all of them for pass 0, else the m bands' */
    const unsigned j0 = p == 0 ? 0 : (p - 1) * rows,
                   jend = p == 0 ? K : LK_MIN(K, (p - 1 + m) * rows);
    /* each plane in memory or mapped (c->hmap), else LK_NT_FILL_READ
     * signatures of it read at a time */
    const uint8_t *const mem[2] = {c->lo ? c->lo : c->gmap, c->hi ? c->hi : c->hmap};
    const int mapped[2] = {!c->lo && c->gmap, !c->hi && c->hmap};
    const int fd[2] = {nt->spill_fd[0], c->hi_fd};
    uint8_t *rd[2] = {NULL, NULL};
    uint16_t s[K];

    for (int i = 0; i < 2; i++)
        if (!mem[i] && !(rd[i] = calloc(LK_NT_FILL_READ, K))) {
            free(rd[0]);
            c->pst[task] = LK_ENOMEM;
            return m;
        }
    for (size_t b = i0; b < i1 && c->pst[task] == LK_OK; b += LK_NT_FILL_READ) {
        const size_t e = LK_MIN(i1, b + LK_NT_FILL_READ);
        const uint8_t *const lob = mem[0] ? mem[0] + b * K : rd[0];
        const uint8_t *const hi = mem[1] ? mem[1] + b * K : rd[1];

        for (int i = 0; i < 2 && c->pst[task] == LK_OK; i++)
            if (!mem[i])
                c->pst[task] = lk_tmpfile_read(fd[i], rd[i], (e - b) * K, (uint64_t)b * K,
                                               nt->spill_dir, c->pmsg[task]);
        if (c->pst[task] != LK_OK)
            break;
        for (size_t i = b; i < e; i++) {
            const uint8_t *lo = lob + (i - b) * K, *h = hi + (i - b) * K;

            for (unsigned j = j0; j < jend; j++)
                s[j] = (uint16_t)(lo[j] | h[j] << 8);
            for (unsigned g = 0; g < m; g++) {
                const unsigned q = p + g;

                c->keys[g * n + i] = q == 0 ? (uint32_t)lk_hash64(s, K * sizeof *s)
                                            : band_key(s + (size_t)(q - 1) * rows, q - 1, rows);
            }
        }
        for (int i = 0; i < 2; i++)
            if (mapped[i])
                lk_pages_drop(i ? c->hmap : c->gmap, b * K, e * K);
    }
    free(rd[0]);
    free(rd[1]);
    return m;
}

static void fill_keys(ctx *c, unsigned p)
{
    c->kpn = fill_keys_range(c, LK_NT_PIECES, p, 0, c->nt->nsig);
    c->kp0 = p;
}

/* fill_keys on threads, a range of the signatures a task, before the round
 * that sorts the keys: a fill streams all the signatures (2.65 GB at 10^8
 * actions), and inside the preparation task it ran beside the band sweeps'
 * random reads of them.  Apart, the sweeps took 35.7 thread-seconds at 10^8
 * against 38.3-39.8 (bench/RESULTS.md, twentieth session). */
static void fill_task(void *vc, size_t task, unsigned worker)
{
    ctx *c = vc;
    const size_t n = c->nt->nsig;
    const double t0 = lk_mono_s();

    (void)worker;
    (void)fill_keys_range(c, task, c->fill_p, n / LK_NT_PIECES * task,
                          task + 1 == LK_NT_PIECES ? n : n / LK_NT_PIECES * (task + 1));
    c->t_fill[task] += lk_mono_s() - t0;
}

static void fill_keys_par(ctx *c, unsigned p, unsigned threads)
{
    c->fill_p = p;
    (void)lk_par_run(threads, LK_NT_PIECES, fill_task, c);
    c->kp0 = p;
    c->kpn = LK_MIN(c->kpmax, c->nt->bands + 1 - p);
}

/* Whether pass p's keys are not in c->keys yet. */
static int keys_missing(const ctx *c, unsigned p)
{
    return p < c->kp0 || p >= c->kp0 + c->kpn;
}

/* Whether record buffer i holds m records, made larger when it does not
 * (its records are not kept); a failure goes to c->prep_st. */
static int buf_room(ctx *c, int i, size_t m)
{
    size_t bytes;
    uint64_t *b;

    if (c->bufcap[i] >= m)
        return 1;
    if (lk_mul_size(m, sizeof *b, &bytes) != 0 ||
        !(b = aligned_alloc(64, (bytes + 63) / 64 * 64))) { /* sort_keys writes whole lines */
        c->prep_st = LK_ENOMEM;
        return 0;
    }
    free(c->buf[i]);
    c->buf[i] = b;
    c->bufcap[i] = m;
    return 1;
}

/* Whether *v holds m elements of `size` bytes, made larger when it does
 * not (its contents are not kept); a failure goes to c->prep_st. */
static int room_for(ctx *c, void **v, size_t *cap, size_t m, size_t size)
{
    size_t bytes;
    void *p;

    if (*cap >= m)
        return 1;
    if (lk_mul_size(LK_MAX(m, (size_t)1), size, &bytes) != 0 || !(p = malloc(bytes))) {
        c->prep_st = LK_ENOMEM;
        return 0;
    }
    free(*v);
    *v = p;
    *cap = m;
    return 1;
}

/* Bytes of the gathered file's mapping read between two lets-go of its
 * pages (gather_part). */
#define LK_NT_GATHER_DROP ((size_t)4 << 20)

/*
 * Gather: the low bytes of the records of buffer a that sit in a run of
 * equal keys, the only ones its sweep compares, into a slot the part being
 * swept does not use.  They are marked a bit a signature (a part holds a
 * signature once: one key a pass), numbered in signature order, and copied
 * from the file's mapping in that order, its pages let go behind every
 * LK_NT_GATHER_DROP bytes: a part reads only the pages that hold its
 * records, and holds a few megabytes of the mapping at most.  Until the
 * thirty-third session each part read the whole file (at 5 x 10^7
 * simulated actions under --max-mem 256M, 64 parts a pass: 663 MB each
 * time, 177 s of the clustering's 178).
 */
static void gather_part(ctx *c, int a)
{
    const uint64_t *rec = c->buf[a];
    const size_t m = c->nrec[a], nw = (c->nt->nsig + 63) / 64;
    const int s = c->nt->o.threads > 1 && c->sweep_buf >= 0 ? 1 - c->gslot[c->sweep_buf] : 0;
    uint64_t *mark = c->gmark;
    uint32_t *at;
    size_t j = 0, done = 0;

    c->gslot[a] = s;
    if (!room_for(c, (void **)&c->gidx[s], &c->gidx_cap[s], m, sizeof *c->gidx[s]))
        return;
    at = c->gidx[s];
    /* at[p]: record p's signature while they are marked, UINT32_MAX for
     * one that shares its key with no neighbour (never compared) */
    for (size_t p = 0; p < m; p++) {
        const uint64_t k = rec[p] >> 32;
        const uint32_t x = (uint32_t)rec[p];

        at[p] = UINT32_MAX;
        if ((p > 0 && rec[p - 1] >> 32 == k) || (p + 1 < m && rec[p + 1] >> 32 == k)) {
            mark[x >> 6] |= (uint64_t)1 << (x & 63);
            at[p] = x;
            j++;
        }
    }
    if (!room_for(c, (void **)&c->glo[s], &c->glo_cap[s], j, K)) {
        memset(mark, 0, nw * sizeof *mark);
        return;
    }
    for (size_t w = 0, r = 0; w < nw; w++) {
        c->grank[w] = (uint32_t)r;
        r += (size_t)__builtin_popcountll(mark[w]);
    }
    for (size_t p = 0; p < m; p++) {
        const uint32_t x = at[p];

        if (x != UINT32_MAX)
            at[p] = c->grank[x >> 6] +
                    (uint32_t)__builtin_popcountll(mark[x >> 6] & (((uint64_t)1 << (x & 63)) - 1));
    }
    j = 0;
    for (size_t w = 0; w < nw; w++) {
        uint64_t bits = mark[w];

        if (!bits)
            continue;
        mark[w] = 0;
        for (; bits; bits &= bits - 1) {
            const size_t x = w * 64 + (size_t)__builtin_ctzll(bits);
            memcpy(c->glo[s] + j++ * K, c->gmap + x * K, K);
        }
        if (w * 64 * K - done >= LK_NT_GATHER_DROP) {
            lk_pages_drop(c->gmap, done, w * 64 * K);
            done = w * 64 * K;
        }
    }
    lk_pages_drop(c->gmap, done, c->gmap_len);
}

/* The part of pass p from bucket c->prep_d0 on, sorted, into one of the two
 * buffers other than c->sweep_buf (c->prep_buf says which; c->prep_d1 where
 * the part ends): buckets while their records fit c->cap, one at least. */
static void prepare(ctx *c, unsigned p)
{
    const size_t n = c->nt->nsig;
    const uint32_t *k;
    unsigned d1 = c->prep_d0;
    size_t m = 0;
    int a = -1, b = -1;

    for (int i = 0; i < 3; i++) {
        if (i == c->sweep_buf)
            continue;
        if (a < 0)
            a = i;
        else if (b < 0)
            b = i;
    }
    const double t0 = lk_mono_s();
    if (keys_missing(c, p)) {
        fill_keys(c, p);
        c->t_keys += lk_mono_s() - t0;
    }
    k = c->keys + (size_t)(p - c->kp0) * n;
    if (c->hist_pass1 != p + 1) {
        count_top(k, n, c->hist);
        c->hist_pass1 = p + 1;
        c->parts = 0;
    }
    while (d1 < (1u << LK_NT_TOP) && (d1 == c->prep_d0 || m + c->hist[d1] <= c->cap))
        m += c->hist[d1++];
    c->parts++;
    c->parts_max = LK_MAX(c->parts_max, c->parts);
    c->prep_buf = a;
    c->prep_d1 = d1;
    c->nrec[a] = 0;
    if (buf_room(c, a, m) && buf_room(c, b, m)) {
        c->nrec[a] = sort_keys(k, n, c->prep_d0, d1, c->hist, c->buf[a], c->buf[b], c->wc);
        if (c->gather) {
            const double t1 = lk_mono_s();
            gather_part(c, a);
            c->t_gather += lk_mono_s() - t1;
        }
    }
    c->t_prep += lk_mono_s() - t0;
}

/* No read of the high bytes (nor a fill's buffer) has failed: the passes
 * stop at the first that did. */
static int reads_ok(const ctx *c)
{
    for (size_t i = 0; i <= LK_NT_PIECES; i++)
        if (c->pst[i] != LK_OK)
            return 0;
    return 1;
}

/* Whether signatures x and y are the same (the high bytes only read when
 * the low ones are; a failed read, in c->pst[0], says no). */
static int identical(ctx *c, uint32_t x, uint32_t y, const uint8_t *lx, const uint8_t *ly)
{
    uint8_t bx[K], by[K];
    const uint8_t *hx, *hy;

    if (memcmp(lx, ly, K) != 0)
        return 0;
    if (!(hx = hi_of(c, 0, x, bx)) || !(hy = hi_of(c, 0, y, by)))
        return 0;
    return memcmp(hx, hy, K) == 0;
}

/* Identity pass: posts with identical signatures (identical texts among
 * them) join whatever the bands do.  Runs share a 32-bit hash of the whole
 * signature; a run holding more than one signature (a hash collision) is
 * split exactly with memcmp against each distinct one seen in the run. */
static lk_status identity_sweep(ctx *c, const uint64_t *rec)
{
    const size_t n = c->nrec[c->sweep_buf];
    const sweepv v = sweep_view(c, c->sweep_buf);
    size_t a = 0;

    while (a < n) {
        const uint64_t key = rec[a] >> 32;
        size_t e = a + 1, nreps = 1;

        while (e < n && rec[e] >> 32 == key)
            e++;
        if (e - a > 1) {
            if (LK_GROW(c->reps, 1, c->reps_cap) != LK_OK)
                return LK_ENOMEM;
            c->reps[0] = (uint32_t)a;
        }
        /* reps: the records' places, each the first of a distinct signature */
        for (size_t p = a + 1; p < e; p++) {
            const uint32_t x = (uint32_t)rec[p];
            const uint8_t *lx = lo_at(&v, p, x);
            size_t r = 0;

            while (r < nreps && !identical(c, x, (uint32_t)rec[c->reps[r]], lx,
                                           lo_at(&v, c->reps[r], (uint32_t)rec[c->reps[r]])))
                r++;
            if (c->pst[0] != LK_OK)
                return c->pst[0];
            if (r < nreps) {
                c->joined += (uint64_t)join(c->uf, x, (uint32_t)rec[c->reps[r]]);
            } else {
                if (LK_GROW(c->reps, nreps + 1, c->reps_cap) != LK_OK)
                    return LK_ENOMEM;
                c->reps[nreps++] = (uint32_t)p;
            }
        }
        a = e;
    }
    return LK_OK;
}

/* Records a band sweep looks ahead to fetch signatures before they are
 * compared. */
#define LK_NT_AHEAD 24

/* Start fetching what try_pair will read of post x: the low bytes of its
 * signature (a cache line at K = 64, read back on a page of its own; two
 * where the growing array put it across lines) and its union-find entries
 * (one). */
static void fetch_post(const ctx *c, const sweepv *v, size_t p, uint32_t x)
{
    const uint8_t *s = lo_at(v, p, x);

    __builtin_prefetch(s);
    __builtin_prefetch(s + K - 1);
    __builtin_prefetch(c->uf + 2 * (size_t)x);
}

/*
 * Each post of a run of equal band keys against the LK_NT_WINDOW before it
 * and the run's first, for the records [lo, hi) (lo starts a run).  The
 * signatures of a band's candidates lie anywhere in gigabytes of them at
 * 10^8 actions, so the sweep fetches the posts LK_NT_AHEAD records ahead
 * that sit in a run (most records are alone under their key and need
 * nothing); the comparisons stay the same, hence the same clusters.
 */
static void band_sweep(ctx *c, const uint64_t *rec, size_t lo, size_t hi, size_t piece)
{
    const size_t n = c->nrec[c->sweep_buf];
    sweepv v = sweep_view(c, c->sweep_buf);
    size_t a = lo;

    for (size_t p = lo; p < hi; p++) {
        const size_t f = p + LK_NT_AHEAD;

        if (f < n &&
            ((rec[f] ^ rec[f - 1]) >> 32 == 0 || (f + 1 < n && (rec[f] ^ rec[f + 1]) >> 32 == 0)))
            fetch_post(c, &v, f, (uint32_t)rec[f]);
        if (p == lo || (rec[p] ^ rec[p - 1]) >> 32 != 0) {
            a = p; /* a new run */
            continue;
        }
        {
            const uint32_t x = (uint32_t)rec[p];
            const uint8_t *lx = lo_at(&v, p, x);

            for (size_t q = p; q-- > a && p - q <= LK_NT_WINDOW;)
                try_pair(c, &v, piece, x, (uint32_t)rec[q], lx, lo_at(&v, q, (uint32_t)rec[q]));
            if (p - a > LK_NT_WINDOW)
                try_pair(c, &v, piece, x, (uint32_t)rec[a], lx, lo_at(&v, a, (uint32_t)rec[a]));
        }
    }
    c->pcand[piece] += v.cand;
    c->pjoin[piece] += v.join;
}

/* Cut the records of the part in c->sweep_buf into `pieces` ranges, each
 * starting a run of equal keys (some may be empty). */
static void cut_pieces(ctx *c, size_t pieces)
{
    const uint64_t *rec = c->buf[c->sweep_buf];
    const size_t n = c->nrec[c->sweep_buf];

    c->npieces = pieces;
    c->bound[0] = 0;
    for (size_t i = 1; i < pieces; i++) {
        size_t q = LK_MAX(c->bound[i - 1], n / pieces * i);

        while (q > 0 && q < n && (rec[q] ^ rec[q - 1]) >> 32 == 0)
            q++;
        c->bound[i] = q;
    }
    c->bound[pieces] = n;
}

/* Task 0 prepares c->prep_pass when c->prep says so; the others sweep
 * c->sweep_pass: the identity pass in one task, a band pass piece by piece.
 * Disjoint buffers, per-piece counts. */
static void step_task(void *vc, size_t task, unsigned worker)
{
    ctx *c = vc;
    const uint64_t *rec = c->buf[c->sweep_buf];

    (void)worker;
    if (c->prep) {
        if (task == 0) {
            prepare(c, c->prep_pass);
            return;
        }
        task--;
    }
    if (c->sweep_pass == 0)
        c->sweep_st = identity_sweep(c, rec);
    else {
        const double t0 = lk_mono_s();
        band_sweep(c, rec, c->bound[task], c->bound[task + 1], task);
        c->t_sweep[task] += lk_mono_s() - t0;
    }
}

/* After the identity pass: each signature's root, which identical
 * signatures share. */
static void note_identity(ctx *c)
{
    for (size_t i = 0; i < c->nt->nsig; i++)
        c->uf[2 * i + 1] = find(c->uf, (uint32_t)i);
}

/* Spilling: byte plane i (0 low, 1 high) in one region of len bytes
 * (lk_table_free): the file's read back, the ones still in memory copied
 * after them.  The file was just written and its pages are in the page
 * cache, so mapping them would spare the copy; but those are 4 KiB pages,
 * and the band sweeps compare signatures at random, which huge pages serve
 * with far fewer TLB misses: at 10^8 actions the sweeps took 1.5-2 times as
 * long mapped (bench/RESULTS.md, eighteenth session). */
static lk_status read_plane(lk_neartext *nt, int i, uint8_t **out, size_t len)
{
    const size_t head = nt->nspilled * K;
    uint8_t *m = lk_table_alloc(len);

    if (!m)
        return LK_ENOMEM;
    if (head) {
        const lk_status st = lk_tmpfile_read_par(
            nt->spill_fd[i], m, head, 0, LK_MAX(nt->o.threads, 1u), nt->spill_dir, nt->errbuf);
        if (st != LK_OK) {
            lk_table_free(m, len);
            return st;
        }
    }
    memcpy(m + head, i ? nt->hi : nt->lo, len - head);
    *out = m;
    return LK_OK;
}

/* Bytes lk_neartext_cluster() holds beside the signatures when a fill
 * makes the keys of kp passes and a part holds at most cap records: the
 * union-find's 8 a signature, the keys' 4 a signature and pass, and then
 * the record buffers (two, or three with threads) while the passes run,
 * the result's 4 a post after them. */
static uint64_t work_bytes(const lk_neartext *nt, unsigned kp, size_t cap)
{
    const uint64_t n = nt->nsig, nb = nt->o.threads > 1 ? 3u : 2u;

    return n * (8u + 4u * kp) + LK_MAX(nb * 8u * cap, (uint64_t)nt->nposts * 4u);
}

/* The keys a fill makes (*kp) and the records a part may hold (*cap), when
 * `planes` bytes of signatures are held: all the records at once and four
 * passes' keys a fill, unless the handle's budget asks for less.  Then
 * the largest kp whose records fit in four parts or fewer (a fill reads
 * all the signatures; a part only the pass's keys), else one pass's keys
 * and as many parts as it takes, up to LK_NT_MAX_PARTS.  Returns 0 when
 * even that does not fit the budget. */
static int plan_work(const lk_neartext *nt, uint64_t planes, unsigned *kp, size_t *cap)
{
    const size_t n = LK_MAX(nt->nsig, (size_t)1);
    const uint64_t nb = nt->o.threads > 1 ? 3u : 2u;
    const size_t least =
        LK_MAX((n + LK_NT_MAX_PARTS - 1) / LK_NT_MAX_PARTS, (size_t)LK_NT_MIN_PART);

    *kp = LK_NT_KEYPASSES;
    *cap = n;
    if (!nt->budget)
        return 1;
    for (unsigned k = LK_NT_KEYPASSES; k >= 1; k /= 2) {
        const uint64_t fixed = planes + (uint64_t)n * (8u + 4u * k),
                       room = nt->budget > fixed ? (nt->budget - fixed) / (8u * nb) : 0;

        *kp = k;
        if (room >= n)
            return 1;
        if (room >= (n + 3) / 4 || k == 1) {
            *cap = (size_t)LK_MAX(room, (uint64_t)least);
            return room >= least;
        }
    }
    return 1;
}

/* Gather (no byte plane held): bytes a part of cap records holds beside
 * its record buffers, in each of the two slots: where its records' low
 * bytes are (4) and the low bytes (K, for at most every record). */
#define LK_NT_GATHER_REC (4u + K)

/* Gather: the work, and the records a part may hold (*cap): the
 * union-find's 8 bytes a signature, one pass's keys (4), the marks of the
 * part being gathered and their counts (a bit and half a bit a signature,
 * 12 bytes a word of 64), then the record buffers and the two slots'
 * bytes a record, or the result. */
static uint64_t plan_gather(const lk_neartext *nt, size_t *cap)
{
    const size_t n = LK_MAX(nt->nsig, (size_t)1);
    const uint64_t nb = nt->o.threads > 1 ? 3u : 2u,
                   per = 8u * nb + 2u * (uint64_t)LK_NT_GATHER_REC,
                   fixed = (uint64_t)n * 12u + (uint64_t)(n + 63) / 64 * 12u,
                   room = nt->budget > fixed ? (nt->budget - fixed) / per : 0;
    const size_t least =
        LK_MAX((n + LK_NT_MAX_PARTS - 1) / LK_NT_MAX_PARTS, (size_t)LK_NT_MIN_PART);

    *cap = (size_t)LK_MIN(LK_MAX(room, (uint64_t)least), (uint64_t)n);
    return fixed + LK_MAX(per * *cap, (uint64_t)nt->nposts * 4u);
}

/* Distributed: the passes of this rank, into plist (K + 1 slots): the
 * identity pass, which every rank sweeps (the bands' candidates depend on
 * it), and the bands of every R-th group of LK_NT_KEYPASSES passes (a
 * group's keys come from one read of the signatures), counted from its
 * rank.  One process: all of them. */
static unsigned my_passes(unsigned passes, int dist, unsigned *plist)
{
    const unsigned ranks = dist ? (unsigned)lk_dist_size() : 1u,
                   me = dist ? (unsigned)lk_dist_rank() : 0u;
    unsigned np = 0;

    for (unsigned p = 0; p < passes; p++)
        if (p == 0 || (p / LK_NT_KEYPASSES) % ranks == me)
            plist[np++] = p;
    return np;
}

/* Distributed, after this rank's passes (collective; local: its status so
 * far): every rank's joins go to every rank, which joins them too.  The
 * sets are the connected components of the pairs that verify, whatever
 * the order they are joined in, and each rank's joins span its own
 * passes' components: so every rank ends with the sets one process finds.
 * *cand, this rank's band candidates, becomes all ranks' (each band is
 * swept on one rank); *sent receives the bytes of joins sent. */
static lk_status merge_ranks(ctx *c, lk_status local, uint64_t *cand, uint64_t *sent, char *errbuf)
{
    const int ranks = lk_dist_size(), me = lk_dist_rank();
    uint64_t *mine = NULL, *lens = calloc((size_t)ranks, sizeof *lens);
    void *all = NULL;
    size_t total = 0, at = 0;
    lk_status st = local;

    for (size_t i = 0; i < LK_NT_PIECES; i++) {
        if (c->jfail[i] && st == LK_OK)
            st = LK_ENOMEM;
        total += c->jn[i];
    }
    if (st == LK_OK && (!lens || !(mine = malloc(LK_MAX(total, (size_t)1) * sizeof *mine))))
        st = LK_ENOMEM;
    if ((st = lk_dist_agree(st, errbuf)) != LK_OK)
        goto done;
    for (size_t i = 0; i < LK_NT_PIECES; i++)
        if (c->jn[i]) { /* jv[i] is NULL while empty */
            memcpy(mine + at, c->jv[i], c->jn[i] * sizeof *mine);
            at += c->jn[i];
        }
    *sent = total * sizeof *mine;
    if ((st = lk_dist_allgather(mine, total * sizeof *mine, &all, lens)) != LK_OK)
        goto done;
    at = 0;
    for (int r = 0; r < ranks; r++) {
        const uint64_t *v = (const uint64_t *)((const char *)all + at);
        const size_t m = (size_t)(lens[r] / sizeof *v);
        at += (size_t)lens[r];
        if (r == me)
            continue;
        for (size_t k = 0; k < m; k++)
            (void)join(c->uf, (uint32_t)(v[k] >> 32), (uint32_t)v[k]);
    }
    st = lk_dist_allreduce_u64(cand, 1, LK_DIST_SUM);
done:
    free(all);
    free(mine);
    free(lens);
    return st;
}

lk_status lk_neartext_cluster(lk_neartext *nt, uint32_t **out, lk_neartext_stats *st)
{
    const size_t n = nt->nsig;
    const int dist = nt->o.distributed && lk_dist_size() > 1;
    unsigned plist[K + 1] = {0}, np;
    uint64_t cand = 0, sent = 0, roots = 0;
    ctx c = {0};
    uint32_t *res = NULL;
    /* spilled: the byte planes read back, for this call only */
    uint8_t *plane[2] = {NULL, NULL};
    size_t plane_len = 0, uf_len = 0;
    size_t bytes, cap;
    lk_status ret = LK_ENOMEM;
    uint64_t clusters = 0, clustered = 0, held, preads = 0;
    unsigned kp;
    int noted = 0;

    c.nt = nt;
    c.lo = nt->lo;
    c.hi = nt->hi;
    c.hi_fd = -1;
    if (nt->nspilled) {
        const double t0 = lk_mono_s();
        /* the high bytes stay in their file when both planes and the work
         * in four parts would not fit the budget */
        const uint64_t both = (uint64_t)n * 2u * K + work_bytes(nt, LK_NT_KEYPASSES, (n + 3) / 4);
        const int hi_disk = nt->budget && both > nt->budget;
        /* and the low bytes too when they leave too little room for the
         * work in LK_NT_MAX_PARTS parts */
        c.gather = hi_disk && !plan_work(nt, (uint64_t)n * K, &kp, &cap);

        if (hi_disk) {
            if ((ret = spill_block(nt)) != LK_OK) /* every signature in the files */
                return ret;
            lk_log(LK_LOG_INFO,
                   "near-text: the signatures' high bytes (%llu bytes) stay in their file, "
                   "read as needed: with the low bytes and the clustering's work they would "
                   "take %llu bytes, over the %llu left by --max-mem",
                   (unsigned long long)n * K, (unsigned long long)both,
                   (unsigned long long)nt->budget);
        }
        if (lk_mul_size(LK_MAX(n, (size_t)1), K, &plane_len) != 0)
            return LK_ENOMEM;
        for (int i = c.gather ? 2 : 0; i < 2 - hi_disk; i++)
            if ((ret = read_plane(nt, i, &plane[i], plane_len)) != LK_OK) {
                lk_table_free(plane[0], plane_len);
                return ret;
            }
        if (!c.gather)
            lk_log(LK_LOG_DEBUG, "near-text: %zu bytes of signatures read back in %.3f s",
                   plane_len * (size_t)(2 - hi_disk), lk_mono_s() - t0);
        c.lo = plane[0];
        c.hi = plane[1];
        c.hi_fd = nt->spill_fd[1];
        if (hi_disk && n) { /* the pread of hi_fd (fill_keys_range) when it cannot */
            void *map = NULL;
            char msg[LK_ERRMSG_MAX];

            if (lk_tmpfile_map_ro(c.hi_fd, plane_len, nt->spill_dir, &map, msg) == LK_OK) {
                c.hmap = map;
                c.hmap_len = plane_len;
            }
        }
        held = c.gather ? 0 : (uint64_t)plane_len * (uint64_t)(2 - hi_disk);
        ret = LK_ENOMEM;
    } else {
        held = (uint64_t)n * 2u * K;
    }
    if (c.gather) {
        kp = 1;
        held = plan_gather(nt, &cap);
        lk_log(LK_LOG_INFO,
               "near-text: the signatures' low bytes (%llu bytes) stay in their file too: each "
               "part of a pass reads those of its records that share a key from its mapping, "
               "in file order",
               (unsigned long long)n * K);
    } else {
        (void)plan_work(nt, held, &kp, &cap);
        held += work_bytes(nt, kp, cap);
    }
    if (cap < n || kp < LK_NT_KEYPASSES)
        lk_log(LK_LOG_INFO,
               "near-text: each pass sorted and swept in parts of at most %zu of its %zu records, "
               "keys made for %u pass%s at a time, to hold %llu bytes within the %llu left by "
               "--max-mem",
               cap, n, kp, kp == 1 ? "" : "es", (unsigned long long)held,
               (unsigned long long)nt->budget);
    c.cap = cap;
    c.kpmax = kp;
    if (lk_mul_size(cap, sizeof *c.buf[0], &bytes) != 0)
        goto cleanup;
    /* whole cache lines: sort_keys writes the records a line at a time */
    bytes = (bytes + 63) / 64 * 64;
    uf_len = 2 * (n ? n : 1) * sizeof *c.uf;
    c.uf = lk_table_alloc(uf_len); /* random finds: huge pages */
    /* the third buffer only when parts overlap; prepare() makes a buffer
     * larger for a part of one bucket past cap */
    for (int i = 0; i < 2 + (nt->o.threads > 1); i++)
        if ((c.buf[i] = aligned_alloc(64, bytes)))
            c.bufcap[i] = cap;
    c.keys = malloc(kp * (n ? n : 1) * sizeof *c.keys);
    c.wc = aligned_alloc(64, ((size_t)LK_NT_LINE << LK_NT_TOP) * sizeof *c.wc);
    if (!c.uf || !c.buf[0] || !c.buf[1] || (nt->o.threads > 1 && !c.buf[2]) || !c.keys || !c.wc)
        goto cleanup;
    if (c.gather) {
        const size_t nw = (n + 63) / 64;
        void *map = NULL;

        if (!(c.gmark = calloc(LK_MAX(nw, (size_t)1), sizeof *c.gmark)) ||
            !(c.grank = malloc(LK_MAX(nw, (size_t)1) * sizeof *c.grank)))
            goto cleanup;
        if (n && (ret = lk_tmpfile_map_ro(nt->spill_fd[0], plane_len, nt->spill_dir, &map,
                                          nt->errbuf)) != LK_OK)
            goto cleanup;
        c.gmap = map;
        c.gmap_len = n ? plane_len : 0;
    }
    for (size_t i = 0; i < n; i++)
        c.uf[2 * i] = c.uf[2 * i + 1] = (uint32_t)i;
    np = my_passes(nt->bands + 1, dist, plist);
    c.record = dist;
    /* The parts of this rank's passes in turn, plist[pi] the pass of the
     * next part to prepare, from bucket c.prep_d0.  With threads, each part
     * is prepared while the one before it is swept. */
    {
        const int par = nt->o.threads > 1;
        unsigned pi = 0;

        c.sweep_buf = par ? -1 : 2; /* 2 without threads: absent, prepare uses 0 and 1 */
        if (par)
            fill_keys_par(&c, plist[0], nt->o.threads);
        prepare(&c, plist[0]);
        while (c.sweep_st == LK_OK && c.prep_st == LK_OK && reads_ok(&c)) {
            const int keep = c.sweep_buf;

            c.sweep_buf = c.prep_buf;
            c.sweep_pass = plist[pi];
            if (c.prep_d1 == 1u << LK_NT_TOP) { /* the pass's last part */
                pi++;
                c.prep_d0 = 0;
            } else {
                c.prep_d0 = c.prep_d1;
            }
            c.prep = pi < np;
            c.prep_pass = c.prep ? plist[pi] : 0;
            if (c.sweep_pass != 0 && !noted) {
                note_identity(&c);
                noted = 1;
            }
            if (par) {
                if (c.sweep_pass == 0)
                    c.npieces = 1;
                else
                    cut_pieces(&c, LK_NT_PIECES);
                /* the keys first on all threads, then the sort beside the sweep */
                if (c.prep && keys_missing(&c, c.prep_pass))
                    fill_keys_par(&c, c.prep_pass, nt->o.threads);
                (void)lk_par_run(nt->o.threads, (size_t)c.prep + c.npieces, step_task, &c);
            } else {
                const int more = c.prep;

                c.prep = 0;
                cut_pieces(&c, 1);
                step_task(&c, 0, 0);
                c.sweep_buf = keep;
                if (more)
                    prepare(&c, c.prep_pass);
                c.prep = more;
            }
            if (!c.prep)
                break;
        }
        if (c.sweep_st == LK_OK)
            c.sweep_st = c.prep_st;
    }
    for (size_t i = 0; i < LK_NT_PIECES; i++)
        cand += c.pcand[i];
    for (size_t i = 0, said = 0; i <= LK_NT_PIECES; i++) { /* the high bytes' reads */
        preads += c.preads[i];
        if (c.pst[i] == LK_OK)
            continue;
        if (!said++) /* the identity pass returns its slot's status as its own */
            (void)snprintf(nt->errbuf, sizeof nt->errbuf, "%s", c.pmsg[i]);
        if (c.sweep_st == LK_OK)
            c.sweep_st = c.pst[i];
    }
    if (dist) { /* every rank, whatever happened here (collective) */
        if ((ret = merge_ranks(&c, c.sweep_st, &cand, &sent, nt->errbuf)) != LK_OK)
            goto cleanup;
        lk_log(LK_LOG_INFO,
               "near-text: %u of %u band passes swept here, %llu bytes of joins sent to %d ranks",
               np - 1, nt->bands, (unsigned long long)sent, lk_dist_size() - 1);
    } else if (c.sweep_st != LK_OK) {
        ret = c.sweep_st;
        goto cleanup;
    }

    /* Sizes of the sets, counted at their roots (in the keys' room, free
     * now, as the record buffers' is for the result). */
    for (int i = 0; i < 3; i++) {
        free(c.buf[i]);
        c.buf[i] = NULL;
    }
    for (int i = 0; i < 2; i++) {
        free(c.gidx[i]);
        free(c.glo[i]);
        c.gidx[i] = NULL;
        c.glo[i] = NULL;
    }
    free(c.gmark);
    free(c.grank);
    c.gmark = NULL;
    c.grank = NULL;
    if (!(res = malloc(nt->nposts ? (size_t)nt->nposts * sizeof *res : 1))) {
        ret = LK_ENOMEM;
        goto cleanup;
    }
    {
        uint32_t *size = c.keys;

        memset(size, 0, n * sizeof *size);
        for (size_t i = 0; i < n; i++)
            size[find(c.uf, (uint32_t)i)]++;
        for (uint32_t i = 0; i < nt->nposts; i++)
            res[i] = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            const uint32_t r = find(c.uf, (uint32_t)i);

            if (size[r] < 2)
                continue;
            res[nt->post[i]] = nt->post[r];
            clustered++;
            clusters += r == i;
        }
        for (size_t i = 0; dist && i < n; i++)
            roots += c.uf[2 * i] == (uint32_t)i;
    }
    {
        double sweep = 0.0, fill = 0.0;
        for (size_t i = 0; i < LK_NT_PIECES; i++) {
            sweep += c.t_sweep[i];
            fill += c.t_fill[i];
        }
        lk_log(LK_LOG_DEBUG,
               "near-text: %u passes prepared in %.3f s (keys made %.3f s, sorted "
               "%.3f s, low bytes gathered %.3f s), band passes swept in %.3f s "
               "(thread-seconds); %llu signatures' high bytes read from their file",
               np, c.t_prep + fill, fill + c.t_keys, c.t_prep - c.t_keys - c.t_gather, c.t_gather,
               sweep, (unsigned long long)preads);
    }
    if (st) {
        st->posts = nt->nposts;
        st->sketched = n;
        st->candidates = cand;
        st->joined = c.joined;
        for (size_t i = 0; i < LK_NT_PIECES; i++)
            st->joined += c.pjoin[i];
        /* every join made two sets one: n - roots in all (the joins made
         * here are not all of them when distributed, and the others'
         * joined here join fewer) */
        if (dist)
            st->joined = (uint64_t)n - roots;
        st->clusters = clusters;
        st->clustered = clustered;
        st->bands = nt->bands;
        st->rows = nt->rows;
        st->parts = c.parts_max;
        st->keypasses = kp;
        st->held = held;
    }
    *out = res;
    res = NULL;
    ret = LK_OK;
cleanup:
    free(res);
    lk_table_free(plane[0], plane_len);
    lk_table_free(plane[1], plane_len);
    lk_table_free(c.uf, uf_len);
    for (int i = 0; i < 3; i++)
        free(c.buf[i]);
    free(c.keys);
    free(c.wc);
    free(c.reps);
    free(c.gmark);
    free(c.grank);
    if (c.gmap_len)
        (void)munmap(c.gmap, c.gmap_len);
    if (c.hmap_len)
        (void)munmap(c.hmap, c.hmap_len);
    for (int i = 0; i < 2; i++) {
        free(c.gidx[i]);
        free(c.glo[i]);
    }
    for (size_t i = 0; i < LK_NT_PIECES; i++)
        free(c.jv[i]);
    return ret;
}
