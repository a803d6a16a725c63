/*
 * neartext.c - MinHash + banded LSH near-duplicate clusters (neartext.h).
 *
 * add():     words -> 64-bit word hashes -> shingle hashes -> K minima of
 *            K multiply-add-shift permutations of each shingle hash.
 * cluster(): 1 + b passes, each a stable radix sort of (key, post) records
 *            and a sweep over runs of equal keys; union-find over posts.
 */
#include "neartext.h"

#include <math.h>

#include "rng.h"

#define K LK_NEARTEXT_K

/* Posts a run record is verified against besides the run's first: the ones
 * just before it.  Copypasta comes in bursts, so in sorted-by-id runs its
 * copies sit close together; a fixed window keeps a run of any length linear. */
#define LK_NT_WINDOW 3

struct lk_neartext {
    lk_neartext_opts o;
    unsigned rows, bands; /* LSH: bands * rows <= K */
    unsigned need;        /* equal slots for a join: ceil(threshold * K) */
    uint32_t nposts;      /* posts added */
    size_t nsig;          /* posts with a signature */
    uint32_t *sig;        /* nsig * K minima */
    size_t sig_cap;       /* in posts */
    uint32_t *post;       /* post id of signature i (increasing) */
    size_t post_cap;
    uint64_t *word; /* scratch: word hashes of the text being added */
    size_t word_cap;
    uint64_t mul[K], add[K]; /* permutation j: x -> (mul[j] x + add[j]) >> 32 */
};

void lk_neartext_opts_init(lk_neartext_opts *o)
{
    /* Word pairs at 0.3: see the header for the measurements behind both. */
    o->threshold = 0.3;
    o->shingle = 2;
    o->seed = 0;
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
    *out = nt;
    return LK_OK;
}

void lk_neartext_free(lk_neartext *nt)
{
    if (!nt)
        return;
    free(nt->sig);
    free(nt->post);
    free(nt->word);
    free(nt);
}

size_t lk_neartext_bytes(const lk_neartext *nt)
{
    if (!nt)
        return 0;
    return sizeof *nt + nt->sig_cap * K * sizeof *nt->sig + nt->post_cap * sizeof *nt->post +
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

lk_status lk_neartext_add(lk_neartext *nt, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t mins[K];
    size_t ntok = 0, i = 0;
    unsigned k;

    if (nt->nposts == UINT32_MAX)
        return LK_ELIMIT;
    while (i < n) {
        size_t start;

        while (i < n && is_space(s[i]))
            i++;
        if (i == n)
            break;
        start = i;
        while (i < n && !is_space(s[i]))
            i++;
        if (LK_GROW(nt->word, ntok + 1, nt->word_cap) != LK_OK)
            return LK_ENOMEM;
        nt->word[ntok++] = lk_hash64(s + start, i - start);
    }
    if (ntok < 3) {
        nt->nposts++;
        return LK_OK;
    }
    if (LK_GROW(nt->post, nt->nsig + 1, nt->post_cap) != LK_OK)
        return LK_ENOMEM;
    if (nt->sig_cap < nt->nsig + 1) {
        /* Grown by hand: LK_GROW counts elements, a signature is K of them. */
        size_t cap = nt->sig_cap + nt->sig_cap / 2, bytes;
        uint32_t *p;

        if (cap < 16)
            cap = 16;
        if (lk_mul_size(cap, K * sizeof *nt->sig, &bytes) != 0)
            return LK_ENOMEM;
        p = realloc(nt->sig, bytes);
        if (!p)
            return LK_ENOMEM;
        nt->sig = p;
        nt->sig_cap = cap;
    }
    k = ntok < (size_t)nt->o.shingle + 1 ? 1 : nt->o.shingle;
    for (unsigned j = 0; j < K; j++)
        mins[j] = UINT32_MAX;
    for (size_t t = 0; t + k <= ntok; t++) {
        const uint64_t h = shingle_hash(nt->word + t, k);

        /* The high half of a multiply-add of a 64-bit hash: a cheap family
         * of permutations whose minima are as good as a full mixer's here,
         * and a loop the compiler can keep in registers. */
        for (unsigned j = 0; j < K; j++) {
            const uint32_t v = (uint32_t)((nt->mul[j] * h + nt->add[j]) >> 32);

            mins[j] = v < mins[j] ? v : mins[j];
        }
    }
    memcpy(nt->sig + nt->nsig * K, mins, sizeof mins);
    nt->post[nt->nsig++] = nt->nposts++;
    return LK_OK;
}

/* ---- clustering ---------------------------------------------------------- */

/* Work state of one lk_neartext_cluster() call. */
typedef struct ctx {
    const lk_neartext *nt;
    uint32_t *parent; /* union-find over signature indices; a root is its set's minimum */
    uint64_t *rec;    /* (key << 32 | index) records of one pass */
    uint64_t *tmp;    /* radix sort scratch */
    uint32_t *reps;   /* identity pass: distinct signatures of one run */
    size_t reps_cap;
    uint64_t candidates, joined;
} ctx;

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* Join the sets of a and b under the smaller root, so that a root is the
 * smallest index, hence the smallest post id, of its set. */
static void join(ctx *c, uint32_t ra, uint32_t rb)
{
    if (ra < rb)
        c->parent[rb] = ra;
    else
        c->parent[ra] = rb;
    c->joined++;
}

static unsigned equal_slots(const uint32_t *x, const uint32_t *y)
{
    unsigned m = 0;

    for (unsigned j = 0; j < K; j++)
        m += x[j] == y[j];
    return m;
}

/* Verify a against b and join them when similar (unless already joined). */
static void try_pair(ctx *c, uint32_t a, uint32_t b)
{
    const uint32_t ra = find(c->parent, a), rb = find(c->parent, b);
    const uint32_t *sig = c->nt->sig;

    if (ra == rb)
        return;
    c->candidates++;
    if (equal_slots(sig + (size_t)a * K, sig + (size_t)b * K) >= c->nt->need)
        join(c, ra, rb);
}

/* Stable LSD radix sort of c->rec[0..n) by the high 32 bits (3 passes of 11,
 * 11 and 10 bits).  Records are made in index order, so equal keys stay in
 * index order: the sweeps never see hash order. */
static void sort_records(ctx *c, size_t n)
{
    static const unsigned shift[3] = {32, 43, 54};
    uint64_t *src = c->rec, *dst = c->tmp;
    size_t count[2048];

    for (unsigned p = 0; p < 3; p++) {
        size_t sum = 0;

        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift[p]) & 2047]++;
        for (size_t d = 0; d < 2048; d++) {
            const size_t t = count[d];

            count[d] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift[p]) & 2047]++] = src[i];
        src = dst;
        dst = src == c->rec ? c->tmp : c->rec;
    }
    /* Three passes leave the result in tmp: swap the roles. */
    c->tmp = c->rec;
    c->rec = src;
}

/* Identity pass: posts with identical signatures (identical texts among
 * them) join whatever the bands do.  Runs share a 32-bit hash of the whole
 * signature; a run holding more than one signature (a hash collision) is
 * split exactly with memcmp against each distinct one seen in the run. */
static lk_status identity_pass(ctx *c)
{
    const lk_neartext *nt = c->nt;
    const size_t n = nt->nsig;
    size_t a = 0;

    for (size_t i = 0; i < n; i++)
        c->rec[i] = (lk_hash64(nt->sig + i * K, K * sizeof *nt->sig) << 32) | i;
    sort_records(c, n);
    while (a < n) {
        const uint64_t key = c->rec[a] >> 32;
        size_t e = a + 1, nreps = 1;

        while (e < n && c->rec[e] >> 32 == key)
            e++;
        if (e - a > 1) {
            if (LK_GROW(c->reps, 1, c->reps_cap) != LK_OK)
                return LK_ENOMEM;
            c->reps[0] = (uint32_t)c->rec[a];
        }
        for (size_t p = a + 1; p < e; p++) {
            const uint32_t x = (uint32_t)c->rec[p];
            size_t r = 0;

            while (r < nreps && memcmp(nt->sig + (size_t)x * K, nt->sig + (size_t)c->reps[r] * K,
                                       K * sizeof *nt->sig) != 0)
                r++;
            if (r < nreps) {
                const uint32_t rx = find(c->parent, x), rr = find(c->parent, c->reps[r]);

                if (rx != rr)
                    join(c, rx, rr);
            } else {
                if (LK_GROW(c->reps, nreps + 1, c->reps_cap) != LK_OK)
                    return LK_ENOMEM;
                c->reps[nreps++] = x;
            }
        }
        a = e;
    }
    return LK_OK;
}

/* 32-bit key of band `band` of signature s. */
static uint32_t band_key(const uint32_t *s, unsigned band, unsigned rows)
{
    uint64_t h = lk_mix64(UINT64_C(0x2545f4914f6cdd1d) * (band + 1));
    unsigned j = 0;

    for (; j + 1 < rows; j += 2)
        h = lk_mix64(h ^ ((uint64_t)s[j] << 32 | s[j + 1]));
    if (j < rows)
        h = lk_mix64(h ^ s[j]);
    return (uint32_t)(h >> 32);
}

static void band_pass(ctx *c, unsigned band)
{
    const lk_neartext *nt = c->nt;
    const size_t n = nt->nsig;
    const unsigned rows = nt->rows;
    size_t a = 0;

    for (size_t i = 0; i < n; i++)
        c->rec[i] = (uint64_t)band_key(nt->sig + i * K + (size_t)band * rows, band, rows) << 32 | i;
    sort_records(c, n);
    while (a < n) {
        const uint64_t key = c->rec[a] >> 32;
        size_t e = a + 1;

        while (e < n && c->rec[e] >> 32 == key)
            e++;
        for (size_t p = a + 1; p < e; p++) {
            const uint32_t x = (uint32_t)c->rec[p];

            for (size_t q = p; q-- > a && p - q <= LK_NT_WINDOW;)
                try_pair(c, x, (uint32_t)c->rec[q]);
            if (p - a > LK_NT_WINDOW)
                try_pair(c, x, (uint32_t)c->rec[a]);
        }
        a = e;
    }
}

lk_status lk_neartext_cluster(lk_neartext *nt, uint32_t **out, lk_neartext_stats *st)
{
    const size_t n = nt->nsig;
    ctx c = {0};
    uint32_t *res = NULL;
    size_t bytes;
    lk_status ret = LK_ENOMEM;
    uint64_t clusters = 0, clustered = 0;

    c.nt = nt;
    res = malloc(nt->nposts ? (size_t)nt->nposts * sizeof *res : 1);
    if (!res || lk_mul_size(n ? n : 1, sizeof *c.rec, &bytes) != 0)
        goto cleanup;
    c.parent = malloc((n ? n : 1) * sizeof *c.parent);
    c.rec = malloc(bytes);
    c.tmp = malloc(bytes);
    if (!c.parent || !c.rec || !c.tmp)
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        c.parent[i] = (uint32_t)i;
    if ((ret = identity_pass(&c)) != LK_OK)
        goto cleanup;
    for (unsigned b = 0; b < nt->bands; b++)
        band_pass(&c, b);

    /* Sizes of the sets, counted at their roots (tmp is free now). */
    {
        uint32_t *size = (uint32_t *)c.tmp;

        memset(size, 0, n * sizeof *size);
        for (size_t i = 0; i < n; i++)
            size[find(c.parent, (uint32_t)i)]++;
        for (uint32_t i = 0; i < nt->nposts; i++)
            res[i] = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            const uint32_t r = find(c.parent, (uint32_t)i);

            if (size[r] < 2)
                continue;
            res[nt->post[i]] = nt->post[r];
            clustered++;
            clusters += r == i;
        }
    }
    if (st) {
        st->posts = nt->nposts;
        st->sketched = n;
        st->candidates = c.candidates;
        st->joined = c.joined;
        st->clusters = clusters;
        st->clustered = clustered;
        st->bands = nt->bands;
        st->rows = nt->rows;
    }
    *out = res;
    res = NULL;
    ret = LK_OK;
cleanup:
    free(res);
    free(c.parent);
    free(c.rec);
    free(c.tmp);
    free(c.reps);
    return ret;
}
