/* sort.c - radix sorts: of (key, value) pairs stable LSD with a second
 * buffer; of pairs by (key, value) and of 64-bit integers in-place MSD,
 * serial or threaded. */
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

/*
 * The in-place sorts: MSD radix on the bytes of an element, most
 * significant first (American flag sort: each bucket's elements are swapped
 * home, no second buffer), insertion sort for small runs.
 * RADIX_INPLACE(T, FN, NBYTES) expands to the sort of elements of type T
 * with NBYTES bytes of order, given
 *   unsigned FN##_byte(const T *x, int b)   byte b (NBYTES - 1: the highest),
 *   int FN##_less(const T *x, const T *y)   the order,
 *   int FN##_top(const T *p, size_t n)      the highest byte any element uses;
 * it defines FN##_sort (serial) and FN##_sort_par (threaded, par.h).
 *
 * The threaded form splits the largest runs by their leading bytes in the
 * calling thread, until none holds more than 1 / (PAR_SHARE * threads) of
 * the elements (a worker's fair share, with slack for the largest-first
 * scheduling) or PAR_SPLITS splits were made (elements that agree on their
 * high bytes: the rest is sorted with fewer workers busy); then the runs
 * are sorted by the workers, largest first.  Runs are disjoint and sorted
 * in place: the result is the one sorted order, whichever worker sorts
 * which run.
 */
#define SMALL      32
#define PAR_MIN    ((size_t)1 << 16) /* fewer elements: the serial sort */
#define PAR_SHARE  4
#define PAR_SPLITS 8

/* Elements of a bucket beyond its head (two cache lines, within the run)
 * are fetched ahead: each swap's load is the next element of some
 * bucket's head, 256 streams that no hardware prefetcher follows, and the
 * chain of swaps waits on each load.  Fetched ahead, 10^8 16-byte pairs
 * sort in 3.9 s instead of 9.4 s on 2 threads (bench/sort_speed.c), in the
 * same order. */
#define PF_AHEAD(T) (128 / sizeof(T))

#define RADIX_INPLACE(T, FN, NBYTES)                                              \
    typedef T FN##_elem; /* the element type, named once */                       \
    static void FN##_insertion(FN##_elem *p, size_t n)                            \
    {                                                                             \
        for (size_t i = 1; i < n; i++) {                                          \
            const FN##_elem v = p[i];                                             \
            size_t j = i;                                                         \
            while (j > 0 && FN##_less(&v, &p[j - 1])) {                           \
                p[j] = p[j - 1];                                                  \
                j--;                                                              \
            }                                                                     \
            p[j] = v;                                                             \
        }                                                                         \
    }                                                                             \
                                                                                  \
    /* A run of elements that agree on every byte above b, still to be sorted. */ \
    typedef struct FN##_run {                                                     \
        FN##_elem *p;                                                             \
        size_t n;                                                                 \
        int b;                                                                    \
    } FN##_run;                                                                   \
                                                                                  \
    /* Sort run r by its byte b (by the next byte while all of r shares one):     \
     * small runs by insertion, the rest into buckets pushed on stack (at most    \
     * 256 of them). */                                                           \
    static void FN##_split(FN##_run r, FN##_run *stack, size_t *top)              \
    {                                                                             \
        size_t cnt[256], head[256], tail[256];                                    \
        const size_t ahead = PF_AHEAD(FN##_elem);                                 \
                                                                                  \
        for (;;) {                                                                \
            if (r.n <= SMALL) {                                                   \
                FN##_insertion(r.p, r.n);                                         \
                return;                                                           \
            }                                                                     \
            if (r.b < 0)                                                          \
                return; /* all equal */                                           \
            memset(cnt, 0, sizeof cnt);                                           \
            for (size_t i = 0; i < r.n; i++)                                      \
                cnt[FN##_byte(&r.p[i], r.b)]++;                                   \
            if (cnt[FN##_byte(&r.p[0], r.b)] != r.n)                              \
                break;                                                            \
            r.b--; /* one bucket: the next byte, no move */                       \
        }                                                                         \
        head[0] = 0;                                                              \
        for (unsigned d = 0; d < 256; d++) {                                      \
            tail[d] = head[d] + cnt[d];                                           \
            if (d < 255)                                                          \
                head[d + 1] = tail[d];                                            \
        }                                                                         \
        /* American flag: walk each bucket's head, swapping elements home */      \
        for (unsigned d = 0; d < 256; d++)                                        \
            while (head[d] < tail[d]) {                                           \
                FN##_elem v = r.p[head[d]];                                       \
                unsigned e = FN##_byte(&v, r.b);                                  \
                while (e != d) {                                                  \
                    const FN##_elem t = r.p[head[e]];                             \
                    r.p[head[e]++] = v;                                           \
                    if (head[e] + ahead < r.n)                                    \
                        __builtin_prefetch(&r.p[head[e] + ahead], 1);             \
                    v = t;                                                        \
                    e = FN##_byte(&v, r.b);                                       \
                }                                                                 \
                r.p[head[d]++] = v;                                               \
            }                                                                     \
        for (size_t d = 0, start = 0; d < 256; d++) {                             \
            if (cnt[d] > 1)                                                       \
                stack[(*top)++] = (FN##_run){r.p + start, cnt[d], r.b - 1};       \
            start += cnt[d];                                                      \
        }                                                                         \
    }                                                                             \
                                                                                  \
    /* Sort run r to the end: the pending runs wait on an explicit stack, taken   \
     * last in first out (each byte level leaves at most 255 buckets behind       \
     * while its last one is sorted further). */                                  \
    static void FN##_sort_run(FN##_run r)                                         \
    {                                                                             \
        FN##_run stack[(NBYTES)*256];                                             \
        size_t top = 0;                                                           \
                                                                                  \
        stack[top++] = r;                                                         \
        while (top > 0) {                                                         \
            const FN##_run x = stack[--top];                                      \
            FN##_split(x, stack, &top);                                           \
        }                                                                         \
    }                                                                             \
                                                                                  \
    static void FN##_sort(FN##_elem *p, size_t n)                                 \
    {                                                                             \
        if (n >= 2)                                                               \
            FN##_sort_run((FN##_run){p, n, FN##_top(p, n)});                      \
    }                                                                             \
                                                                                  \
    typedef struct FN##_par {                                                     \
        FN##_run run[1 + PAR_SPLITS * 255];                                       \
        size_t nrun;                                                              \
    } FN##_par;                                                                   \
                                                                                  \
    static void FN##_par_task(void *ctx, size_t task, unsigned worker)            \
    {                                                                             \
        const FN##_par *k = ctx;                                                  \
        (void)worker;                                                             \
        FN##_sort_run(k->run[task]);                                              \
    }                                                                             \
                                                                                  \
    /* Largest first, the order the workers claim them in. */                     \
    static int FN##_cmp_size(const void *x, const void *y)                        \
    {                                                                             \
        const FN##_run *a = x, *b = y;                                            \
        return (a->n < b->n) - (a->n > b->n);                                     \
    }                                                                             \
                                                                                  \
    static void FN##_sort_par(FN##_elem *p, size_t n, unsigned threads)           \
    {                                                                             \
        const size_t share = n / (PAR_SHARE * (size_t)LK_MAX(threads, 1u));       \
        FN##_par *k;                                                              \
                                                                                  \
        if (threads <= 1 || n < PAR_MIN || !(k = malloc(sizeof *k))) {            \
            FN##_sort(p, n);                                                      \
            return;                                                               \
        }                                                                         \
        k->run[0] = (FN##_run){p, n, FN##_top(p, n)};                             \
        k->nrun = 1;                                                              \
        for (unsigned split = 0; split < PAR_SPLITS; split++) {                   \
            /* the largest run's buckets take its place (a run small enough       \
             * for insertion, or all equal, is sorted there and then) */          \
            size_t big = 0;                                                       \
            FN##_run r;                                                           \
            if (k->nrun == 0)                                                     \
                break; /* all sorted already */                                   \
            for (size_t i = 1; i < k->nrun; i++)                                  \
                if (k->run[i].n > k->run[big].n)                                  \
                    big = i;                                                      \
            if (k->run[big].n <= LK_MAX(share, PAR_MIN))                          \
                break;                                                            \
            r = k->run[big];                                                      \
            k->run[big] = k->run[--k->nrun];                                      \
            FN##_split(r, k->run, &k->nrun);                                      \
        }                                                                         \
        lk_qsort(k->run, k->nrun, sizeof *k->run, FN##_cmp_size);                 \
        (void)lk_par_run(threads, k->nrun, FN##_par_task, k);                     \
        free(k);                                                                  \
    }

/* (key, val) pairs: byte b of the 128-bit composite, 15 (the key's highest)
 * down to 0 (the value's lowest). */
static inline unsigned kv_byte(const lk_kv *x, int b)
{
    return b >= 8 ? (unsigned)(x->key >> (8 * (b - 8))) & 0xffu
                  : (unsigned)(x->val >> (8 * b)) & 0xffu;
}

static inline int kv_less(const lk_kv *x, const lk_kv *y)
{
    return x->key < y->key || (x->key == y->key && x->val < y->val);
}

static int kv_top(const lk_kv *p, size_t n)
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

static inline unsigned u64_byte(const uint64_t *x, int b)
{
    return (unsigned)(*x >> (8 * b)) & 0xffu;
}

static inline int u64_less(const uint64_t *x, const uint64_t *y)
{
    return *x < *y;
}

static int u64_top(const uint64_t *p, size_t n)
{
    uint64_t orr = 0;
    int b = 7;

    for (size_t i = 0; i < n; i++)
        orr |= p[i];
    while (b > 0 && ((orr >> (8 * b)) & 0xffu) == 0)
        b--;
    return b;
}

RADIX_INPLACE(lk_kv, kv, 16)
RADIX_INPLACE(uint64_t, u64, 8)

void lk_sort_kv_inplace(lk_kv *p, size_t n)
{
    kv_sort(p, n);
}

void lk_sort_kv_inplace_par(lk_kv *p, size_t n, unsigned threads)
{
    kv_sort_par(p, n, threads);
}

typedef struct kv_parts {
    lk_kv *p;
    const size_t *off;
} kv_parts;

static void kv_part_task(void *ctx, size_t task, unsigned worker)
{
    const kv_parts *k = ctx;
    (void)worker;
    kv_sort(k->p + k->off[task], k->off[task + 1] - k->off[task]);
}

void lk_sort_kv_parts_par(lk_kv *p, const size_t *off, size_t nparts, unsigned threads)
{
    kv_parts k = {p, off};
    (void)lk_par_run(threads, nparts, kv_part_task, &k);
}

void lk_sort_u64_inplace(uint64_t *p, size_t n)
{
    u64_sort(p, n);
}

void lk_sort_u64_inplace_par(uint64_t *p, size_t n, unsigned threads)
{
    u64_sort_par(p, n, threads);
}
