/* buf.c - checked growth of arrays and the lk_buf byte buffer. */
#include "lk_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

lk_status lk_grow_(void **p, size_t elem, size_t need, size_t *cap)
{
    size_t ncap, bytes;
    void *np;

    if (need <= *cap)
        return LK_OK;
    ncap = *cap < 16 ? 16 : *cap + *cap / 2;
    if (ncap < need)
        ncap = need;
    if (lk_mul_size(ncap, elem, &bytes))
        return LK_ENOMEM;
    np = realloc(*p, bytes);
    if (!np)
        return LK_ENOMEM;
    *p = np;
    *cap = ncap;
    return LK_OK;
}

/* Shared empty string so that p is never NULL after init without allocating. */
static char lk_buf_empty[1];

void lk_buf_init(lk_buf *b)
{
    b->len = 0;
    b->cap = 0;
    b->p = lk_buf_empty;
}

void lk_buf_release(lk_buf *b)
{
    if (b->cap)
        free(b->p);
    lk_buf_init(b);
}

lk_status lk_buf_reserve(lk_buf *b, size_t extra)
{
    size_t need, ncap;
    char *np;

    if (lk_add_size(b->len, extra, &need) || lk_add_size(need, 1, &need))
        return LK_ENOMEM;
    if (need <= b->cap)
        return LK_OK;
    ncap = b->cap < 64 ? 64 : b->cap + b->cap / 2;
    if (ncap < need)
        ncap = need;
    np = b->cap ? realloc(b->p, ncap) : malloc(ncap);
    if (!np)
        return LK_ENOMEM;
    if (!b->cap)
        np[0] = '\0';
    b->p = np;
    b->cap = ncap;
    return LK_OK;
}

lk_status lk_buf_append(lk_buf *b, const void *data, size_t n)
{
    if (lk_buf_reserve(b, n) != LK_OK)
        return LK_ENOMEM;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return LK_OK;
}

lk_status lk_buf_putc(lk_buf *b, char c)
{
    if (b->len + 1 >= b->cap && lk_buf_reserve(b, 1) != LK_OK)
        return LK_ENOMEM;
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
    return LK_OK;
}

lk_status lk_buf_printf(lk_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t avail = b->cap > b->len ? b->cap - b->len : 0;

    va_start(ap, fmt);
    n = vsnprintf(avail ? b->p + b->len : NULL, avail, fmt, ap);
    va_end(ap);
    if (n < 0)
        return LK_EINVAL;
    if ((size_t)n >= avail) {
        if (lk_buf_reserve(b, (size_t)n) != LK_OK)
            return LK_ENOMEM;
        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return LK_EINVAL;
    }
    b->len += (size_t)n;
    return LK_OK;
}

#define LK_HUGE_MIN ((size_t)2 << 20)

void *lk_table_alloc(size_t size)
{
    void *p;
    if (size < LK_HUGE_MIN)
        return calloc(1, size ? size : 1);
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    /* advisory: without transparent huge pages it is simply ignored */
    (void)madvise(p, size, MADV_HUGEPAGE);
    return p;
}

/* Advise the pages of [p, p + size), which nothing has touched yet when
 * the allocator has just mapped them (large blocks): its whole 2 MiB pages
 * can then be huge ones.  The first and last pages may hold the allocator's
 * header or a neighbour's bytes: advice only, harmless to them. */
static void *advise_huge(void *p, size_t size)
{
    const size_t pg = (size_t)sysconf(_SC_PAGESIZE), in = (size_t)((uintptr_t)p & (pg - 1));

    if (p && size >= 2 * LK_HUGE_MIN)
        (void)madvise((char *)p - in, (in + size + pg - 1) / pg * pg, MADV_HUGEPAGE);
    return p;
}

lk_status lk_grow_huge_(void **p, size_t elem, size_t need, size_t *cap)
{
    const size_t old = *cap;
    const lk_status st = lk_grow_(p, elem, need, cap);

    if (st == LK_OK && *cap != old)
        (void)advise_huge(*p, *cap * elem);
    return st;
}

void *lk_huge_malloc(size_t size)
{
    return advise_huge(malloc(size ? size : 1), size);
}

void *lk_huge_block(size_t size)
{
    void *p = NULL;

    if (size < LK_HUGE_MIN)
        return malloc(size ? size : 1);
    if (posix_memalign(&p, LK_HUGE_MIN, size) != 0)
        return NULL;
    (void)madvise(p, size, MADV_HUGEPAGE); /* p is aligned: its whole pages */
    return p;
}

void *lk_huge_calloc(size_t n, size_t size)
{
    size_t bytes;

    if (lk_mul_size(n, size, &bytes) != 0)
        return NULL;
    return advise_huge(calloc(n ? n : 1, size ? size : 1), bytes);
}

void lk_table_free(void *p, size_t size)
{
    if (!p)
        return;
    if (size < LK_HUGE_MIN)
        free(p);
    else
        (void)munmap(p, size);
}

uint64_t lk_hash64(const void *p, size_t n)
{
    return XXH3_64bits(p, n);
}

void lk_pages_drop(void *base, size_t b, size_t e)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t lo = (b + page - 1) / page * page, hi = e / page * page;

    if (hi > lo)
        (void)madvise((char *)base + lo, hi - lo, MADV_DONTNEED);
}

/* Resident bytes now (/proc/self/statm: size, then resident pages); 0 when
 * unknown. */
uint64_t lk_rss_now(void)
{
    char line[128], *p;
    unsigned long long resident;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    p = fgets(line, sizeof line, f);
    (void)fclose(f);
    if (!p || !(p = strchr(line, ' ')))
        return 0;
    resident = strtoull(p + 1, NULL, 10);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}
