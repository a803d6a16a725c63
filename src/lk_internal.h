/*
 * lk_internal.h - private plumbing shared by every liblockstep module.
 *
 * Growable arrays, checked size arithmetic, the growable byte buffer (lk_buf)
 * and the internal logger.  Nothing here is exported; cli/ never includes it.
 */
#ifndef LK_INTERNAL_H
#define LK_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockstep/lockstep.h"

/* Size of the error message buffer carried by every handle that can fail. */
#define LK_ERRMSG_MAX 512

/* A broken invariant (never bad input): print and abort.  Data errors go
 * through lk_status + an errmsg instead. */
#define LK_BUG(msg)                                                                 \
    do {                                                                            \
        fprintf(stderr, "lockstep: BUG at %s:%d: %s\n", __FILE__, __LINE__, (msg)); \
        abort();                                                                    \
    } while (0)

#define LK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LK_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Checked arithmetic: return 0 on success, -1 on overflow. */
static inline int lk_mul_size(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

static inline int lk_add_size(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

/*
 * Make room for at least `need` elements of `elem` bytes in *p, whose
 * capacity (in elements) is *cap.  Grows geometrically (x1.5, at least 16).
 * On failure *p and *cap are unchanged and LK_ENOMEM is returned.
 */
LK_RESULT_USED lk_status lk_grow_(void **p, size_t elem, size_t need, size_t *cap);

/* LK_GROW(ptr, need, cap): typed wrapper; evaluates to an lk_status. */
#define LK_GROW(ptr, need, cap) lk_grow_((void **)&(ptr), sizeof(*(ptr)), (need), &(cap))

/* Growable byte buffer: p is never NULL after lk_buf_init, and is always
 * NUL-terminated (p[len] == 0). */
typedef struct lk_buf {
    size_t len, cap;
    char *p;
} lk_buf;

void lk_buf_init(lk_buf *b);
void lk_buf_release(lk_buf *b);
LK_RESULT_USED lk_status lk_buf_reserve(lk_buf *b, size_t extra);
LK_RESULT_USED lk_status lk_buf_append(lk_buf *b, const void *data, size_t n);
LK_RESULT_USED lk_status lk_buf_putc(lk_buf *b, char c);
LK_RESULT_USED lk_status lk_buf_printf(lk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void lk_buf_reset(lk_buf *b)
{
    b->len = 0;
    /* an unallocated buffer points at one shared "": never written, so
     * that buffers of different threads do not race on it */
    if (b->cap)
        b->p[0] = '\0';
}

/* qsort that accepts (NULL, 0): calling qsort with a NULL base is undefined
 * even for zero elements. */
static inline void lk_qsort(void *base, size_t n, size_t size,
                            int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* Internal logger: forwards to the callback set with lk_set_log_fn(); silent
 * by default.  Levels are LK_LOG_*. */
void lk_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Called before each message that reaches the log callback (the progress
 * meter wipes its terminal line); NULL removes it.  Process-global, like
 * lk_set_log_fn(). */
typedef void (*lk_log_hook_fn)(void *userdata);
void lk_log_set_hook(lk_log_hook_fn fn, void *userdata);

/* Seconds on the monotonic clock, for the logs' stage and step timings. */
double lk_mono_s(void);

/* Format into a fixed error buffer (never overflows; truncates). */
void lk_errf(char *errbuf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last i of v[0..n) (increasing, v[0] <= x, n >= 1) with v[i] <= x:
 * a binary search without a branch on the data's order (keyset.c's
 * chunks, calibrate.c's groups of strata). */
static inline size_t lk_last_le(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n; /* v[lo] <= x < v[hi] (or hi == n) */

    while (hi - lo > 1) {
        const size_t mid = lo + (hi - lo) / 2;

        if (v[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* A module's first failure, which every later call returns again (a file
 * half written or a pass half done leaves nothing they could rely on):
 * xintern.c, spool.c.  Zeroed: no failure. */
typedef struct lk_sticky {
    lk_status err;
    char msg[LK_ERRMSG_MAX]; /* an LK_EIO's message, else "" */
} lk_sticky;

/** Remember st (and, for LK_EIO, errbuf's message) as s's failure; returns st. */
static inline lk_status lk_sticky_fail(lk_sticky *s, lk_status st, const char *errbuf)
{
    s->err = st;
    (void)snprintf(s->msg, sizeof s->msg, "%s", st == LK_EIO ? errbuf : "");
    return st;
}

/** s's failure again, its message (if any) into errbuf. */
static inline lk_status lk_sticky_failed(const lk_sticky *s, char *errbuf)
{
    if (s->msg[0])
        (void)snprintf(errbuf, LK_ERRMSG_MAX, "%s", s->msg);
    return s->err;
}

/*
 * Zeroed memory for large, randomly accessed tables (hash tables).  Regions
 * of 2 MiB and more come from mmap with MADV_HUGEPAGE, which spares most TLB
 * misses of random probes; smaller ones from calloc.  Free with
 * lk_table_free(p, the same size).  Returns NULL when out of memory.
 */
void *lk_table_alloc(size_t size);
void lk_table_free(void *p, size_t size);

/** Resident bytes of the process now (/proc/self/statm); 0 when unknown. */
uint64_t lk_rss_now(void);

/** The pages of a file mapping wholly inside its bytes [b, e) let go
 *  (MADV_DONTNEED; base: where the mapping begins, on a page): a shared
 *  mapping's bytes stay in the file, a read-only private one's are read
 *  from it again if touched; failing leaves them resident, which is only
 *  memory. */
void lk_pages_drop(void *base, size_t b, size_t e);

/*
 * malloc / calloc for large arrays read or written at random (per account,
 * per object, per post, per action), freed with free(): their pages are
 * advised MADV_HUGEPAGE before anything touches them, so that their whole
 * 2 MiB pages can be huge ones, which random accesses find with fewer TLB
 * misses (such arrays run to gigabytes at 10^8 actions; the times are in
 * bench/RESULTS.md).  Below 4 MiB, plain malloc / calloc.  NULL when out of
 * memory.  For arrays that are realloc'd or freed in many places; a table
 * of fixed size takes lk_table_alloc, whose own mapping is sure to be fresh.
 */
void *lk_huge_malloc(size_t size);
void *lk_huge_calloc(size_t n, size_t size);
/* A block of `size` bytes filled in order and read at random (an arena's
 * chunk), freed with free(): from 2 MiB on, aligned to 2 MiB and advised,
 * so that all of its whole 2 MiB pages can be huge ones (a malloc'd block
 * of 4 MiB is not aligned, and holds one at most). */
void *lk_huge_block(size_t size);
/* lk_grow_ for such an array: each new block advised as above (the pages
 * realloc moved keep their size). */
LK_RESULT_USED lk_status lk_grow_huge_(void **p, size_t elem, size_t need, size_t *cap);
#define LK_GROW_HUGE(ptr, need, cap) lk_grow_huge_((void **)&(ptr), sizeof(*(ptr)), (need), &(cap))

/* xxh3 64-bit hash of a byte string (wraps libxxhash). */
uint64_t lk_hash64(const void *p, size_t n);

/* Last, so that the system headers above are not affected. */
#include "lk_banned.h"

#endif /* LK_INTERNAL_H */
