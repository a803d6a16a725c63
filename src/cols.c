/* cols.c - the aggregation's columns, in memory or mapped from a
 * temporary file (cols.h). */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cols.h"
#include "tmpfile.h"
#include "window.h"

lk_status lk_cols_alloc(lk_cols *c, size_t n, const char *dir, char *errbuf)
{
    return lk_cols_alloc_share(c, n, NULL, dir, errbuf);
}

lk_status lk_cols_alloc_share(lk_cols *c, size_t n, const lk_share *share, const char *dir,
                              char *errbuf)
{
    const size_t m = LK_MAX(n, (size_t)1);
    /* each column's first byte in the file, and an action's bytes there */
    const size_t at[3] = {0, m * sizeof *c->t, m * (sizeof *c->t + sizeof *c->acc)},
                 w[3] = {sizeof *c->t, sizeof *c->acc, sizeof *c->post};
    size_t len, np = share ? 3 * share->n : 1, *piece, taken = 0;
    char *base;
    void *map;
    int fd;
    lk_status st;

    memset(c, 0, sizeof *c);
    c->n = n;
    if (!dir) {
        c->t = malloc(m * sizeof *c->t);
        c->acc = malloc(m * sizeof *c->acc);
        c->post = malloc(m * sizeof *c->post);
        if (!c->t || !c->acc || !c->post) {
            lk_cols_release(c);
            return LK_ENOMEM;
        }
        return LK_OK;
    }
    if (lk_mul_size(m, LK_COLS_BYTES, &len))
        return LK_ENOMEM;
    dir = lk_tmpfile_dir(dir);
    /* the blocks are taken now: writing through a mapping onto a full
     * disk would be a SIGBUS, not an error; of a share's actions alone */
    if (!(piece = malloc(2 * LK_MAX(np, (size_t)1) * sizeof *piece)))
        return LK_ENOMEM;
    piece[0] = 0;
    piece[1] = len;
    for (size_t k = 0; share && k < share->n; k++)
        for (size_t col = 0; col < 3; col++) {
            piece[2 * (3 * k + col)] = at[col] + share->r[2 * k] * w[col];
            piece[2 * (3 * k + col) + 1] = at[col] + share->r[2 * k + 1] * w[col];
            taken += (share->r[2 * k + 1] - share->r[2 * k]) * w[col];
        }
    st = lk_tmpfile_map_pieces(dir, len, piece, np, &fd, &map, errbuf);
    free(piece);
    if (st != LK_OK)
        return st;
    base = map;
    /* t first: 8-byte aligned at the mapping's start, the 4-byte columns
     * after it */
    c->t = (int64_t *)(void *)base;
    c->acc = (uint32_t *)(void *)(base + m * sizeof *c->t);
    c->post = c->acc + m;
    c->map_fd1 = fd + 1;
    if (share)
        lk_log(LK_LOG_INFO,
               "aggregation columns (%zu bytes, %zu of them this rank's objects') mapped from a "
               "file in %s",
               len, taken, dir);
    else
        lk_log(LK_LOG_INFO, "aggregation columns (%zu bytes) mapped from a file in %s", len, dir);
    return LK_OK;
}

/* Pages wholly inside bytes [b, e) of column col. */
static void evict_bytes(void *col, size_t b, size_t e)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* the columns after the first start inside a page: from there */
    const size_t mis = (size_t)((uintptr_t)col % page);

    /* shared pages: unmapped here, their bytes stay in the file (the page
     * cache) and come back if touched again */
    lk_pages_drop((char *)col - mis, mis + b, mis + e);
}

void lk_cols_evict(const lk_cols *c, size_t r0, size_t r1)
{
    if (!c->map_fd1 || r1 <= r0)
        return;
    evict_bytes(c->t, r0 * sizeof *c->t, r1 * sizeof *c->t);
    evict_bytes(c->acc, r0 * sizeof *c->acc, r1 * sizeof *c->acc);
    evict_bytes(c->post, r0 * sizeof *c->post, r1 * sizeof *c->post);
}

void lk_cols_release(lk_cols *c)
{
    if (c->map_fd1) {
        (void)munmap(c->t, LK_MAX(c->n, (size_t)1) * LK_COLS_BYTES);
        lk_tmpfile_close(c->map_fd1 - 1);
    } else {
        free(c->t);
        free(c->acc);
        free(c->post);
    }
    memset(c, 0, sizeof *c);
}
