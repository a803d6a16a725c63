/* sort.c - radix sorts of (key, value) pairs: stable LSD with a second
 * buffer, and in-place MSD by (key, value), serial or threaded. */
#include "par.h"
#include "sort.h"

unsigned lk_kv_keybits(const lk_kv *p, size_t n)
{
    uint64_t all = 0;
    unsigned b = 1;
    for (size_t i = 0; i < n; i++)
        all |= p[i].key;
    while (b < 64 && (all >> b) != 0)
        b++;
    return b;
}

lk_status lk_sort_kv(lk_kv *p, size_t n, unsigned keybits)
{
    const unsigned passes = (LK_MAX(keybits, 1u) + 10) / 11;
    const unsigned dbits = (LK_MAX(keybits, 1u) + passes - 1) / passes;
    const size_t nb = (size_t)1 << dbits;
    lk_kv *src = p, *dst, *tmp;
    size_t *cnt;

    if (n < 2)
        return LK_OK;
    tmp = malloc(n * sizeof *tmp);
    cnt = malloc(nb * sizeof *cnt);
    if (!tmp || !cnt) {
        free(tmp);
        free(cnt);
        return LK_ENOMEM;
    }
    dst = tmp;
    for (unsigned shift = 0; shift < keybits; shift += dbits) {
        const uint64_t mask = nb - 1;
        size_t pos = 0;
        memset(cnt, 0, nb * sizeof *cnt);
        /* src is p or tmp, fully written by the previous pass (the
         * analyser loses track of the swap) */
        for (size_t k = 0; k < n; k++)
            // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
            cnt[(src[k].key >> shift) & mask]++;
        if (cnt[(src[0].key >> shift) & mask] == n)
            continue; /* this digit is the same everywhere */
        for (size_t d = 0; d < nb; d++) {
            const size_t c = cnt[d];
            cnt[d] = pos;
            pos += c;
        }
        for (size_t k = 0; k < n; k++)
            dst[cnt[(src[k].key >> shift) & mask]++] = src[k];
        {
            lk_kv *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != p)
        memcpy(p, src, n * sizeof *p);
    free(tmp);
    free(cnt);
    return LK_OK;
}

/* In-place (key, val) sort: byte b of the 128-bit composite, 15 (the key's
 * highest) down to 0 (the value's lowest). */
static inline unsigned kv_byte(const lk_kv *x, int b)
{
    return b >= 8 ? (unsigned)(x->key >> (8 * (b - 8))) & 0xffu
                  : (unsigned)(x->val >> (8 * b)) & 0xffu;
}

static inline int kv_less(const lk_kv *x, const lk_kv *y)
{
    return x->key < y->key || (x->key == y->key && x->val < y->val);
}

static void kv_insertion(lk_kv *p, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const lk_kv v = p[i];
        size_t j = i;
        while (j > 0 && kv_less(&v, &p[j - 1])) {
            p[j] = p[j - 1];
            j--;
        }
        p[j] = v;
    }
}

#define KV_SMALL 32

/* A run of pairs that agree on every byte above b, still to be sorted. */
typedef struct kv_run {
    lk_kv *p;
    size_t n;
    int b;
} kv_run;

/* Runs waiting, taken last in first out: each of the 16 byte levels leaves
 * at most 255 buckets behind while its last one is sorted further. */
#define KV_STACK (16 * 256)

/* Sort run r by its byte b (by the next byte while all of r shares one):
 * small runs by insertion, the rest into buckets pushed on stack. */
static void kv_split(kv_run r, kv_run *stack, size_t *top)
{
    size_t cnt[256], head[256], tail[256];

    for (;;) {
        if (r.n <= KV_SMALL) {
            kv_insertion(r.p, r.n);
            return;
        }
        if (r.b < 0)
            return; /* all equal */
        memset(cnt, 0, sizeof cnt);
        for (size_t i = 0; i < r.n; i++)
            cnt[kv_byte(&r.p[i], r.b)]++;
        if (cnt[kv_byte(&r.p[0], r.b)] != r.n)
            break;
        r.b--; /* one bucket: the next byte, no move */
    }
    head[0] = 0;
    for (unsigned d = 0; d < 256; d++) {
        tail[d] = head[d] + cnt[d];
        if (d < 255)
            head[d + 1] = tail[d];
    }
    /* American flag: walk each bucket's head, swapping elements home */
    for (unsigned d = 0; d < 256; d++)
        while (head[d] < tail[d]) {
            lk_kv v = r.p[head[d]];
            unsigned e = kv_byte(&v, r.b);
            while (e != d) {
                const lk_kv t = r.p[head[e]];
                r.p[head[e]++] = v;
                v = t;
                e = kv_byte(&v, r.b);
            }
            r.p[head[d]++] = v;
        }
    for (size_t d = 0, start = 0; d < 256; d++) {
        if (cnt[d] > 1)
            stack[(*top)++] = (kv_run){r.p + start, cnt[d], r.b - 1};
        start += cnt[d];
    }
}

/* The byte to start at: the highest any key or value uses. */
static int kv_top_byte(const lk_kv *p, size_t n)
{
    uint64_t korr = 0, vorr = 0;
    int b = 15;

    for (size_t i = 0; i < n; i++) {
        korr |= p[i].key;
        vorr |= p[i].val;
    }
    if (korr == 0) {
        b = 7;
        while (b > 0 && ((vorr >> (8 * b)) & 0xffu) == 0)
            b--;
    } else {
        while (b > 8 && ((korr >> (8 * (b - 8))) & 0xffu) == 0)
            b--;
    }
    return b;
}

/* Sort run r to the end (the pending runs on an explicit stack). */
static void kv_sort_run(kv_run r)
{
    kv_run stack[KV_STACK];
    size_t top = 0;

    stack[top++] = r;
    while (top > 0) {
        const kv_run x = stack[--top];
        kv_split(x, stack, &top);
    }
}

void lk_sort_kv_inplace(lk_kv *p, size_t n)
{
    if (n < 2)
        return;
    kv_sort_run((kv_run){p, n, kv_top_byte(p, n)});
}

/* Below this many pairs the threaded sort is the serial one: a thread
 * costs more than it saves. */
#define KV_PAR_MIN (1u << 16)

/* Runs are split serially until none holds more than 1 / (KV_PAR_SHARE *
 * threads) of the pairs (a worker's fair share, with slack for the largest
 * first scheduling), or KV_PAR_SPLITS splits were made (keys that agree on
 * their high bytes: the rest is sorted with fewer workers busy). */
#define KV_PAR_SHARE  4
#define KV_PAR_SPLITS 8
#define KV_PAR_RUNS   (1 + KV_PAR_SPLITS * 255)

typedef struct kv_par {
    kv_run run[KV_PAR_RUNS];
    size_t nrun;
} kv_par;

static void kv_run_task(void *ctx, size_t task, unsigned worker)
{
    const kv_par *k = ctx;
    (void)worker;
    kv_sort_run(k->run[task]);
}

/* Largest first, the order the workers claim them in. */
static int cmp_run_size(const void *x, const void *y)
{
    const kv_run *a = x, *b = y;
    return (a->n < b->n) - (a->n > b->n);
}

void lk_sort_kv_inplace_par(lk_kv *p, size_t n, unsigned threads)
{
    kv_par *k;
    const size_t share = n / ((size_t)KV_PAR_SHARE * LK_MAX(threads, 1u));

    if (threads <= 1 || n < KV_PAR_MIN || !(k = malloc(sizeof *k))) {
        lk_sort_kv_inplace(p, n);
        return;
    }
    k->run[0] = (kv_run){p, n, kv_top_byte(p, n)};
    k->nrun = 1;
    for (unsigned split = 0; split < KV_PAR_SPLITS; split++) {
        /* split the largest run by its next byte; its buckets take its
         * place in the list (kv_split pushes them; a run small enough for
         * insertion or all equal is sorted there and then) */
        size_t big = 0;
        kv_run r;
        for (size_t i = 1; i < k->nrun; i++)
            if (k->run[i].n > k->run[big].n)
                big = i;
        if (k->run[big].n <= LK_MAX(share, (size_t)KV_PAR_MIN))
            break;
        r = k->run[big];
        k->run[big] = k->run[--k->nrun];
        kv_split(r, k->run, &k->nrun);
    }
    /* the result is the one order of the pairs, whichever worker sorts
     * which run: runs are disjoint and sorted in place */
    lk_qsort(k->run, k->nrun, sizeof *k->run, cmp_run_size);
    (void)lk_par_run(threads, k->nrun, kv_run_task, k);
    free(k);
}
