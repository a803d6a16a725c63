/*
 * dist_collect.c - collectives built on dist.c's, with or without MPI:
 * a status agreed, then bytes gathered on rank 0 or sent from it (dist.h,
 * lk_dist_to_root and lk_dist_from_root).  Apart from dist.c so that it
 * sees them as any caller does.
 */
#include "dist.h"

/* lk_dist_gather (to_root) or lk_dist_allgather of rank 0's bytes alone,
 * after agreeing on st; *total: the bytes received. */
static lk_status collect(const void *buf, size_t len, lk_status st, int to_root, void **out,
                         size_t *total, char *errbuf)
{
    uint64_t *lens = malloc((size_t)lk_dist_size() * sizeof *lens);

    *out = NULL;
    *total = 0;
    if (st == LK_OK && !lens)
        st = LK_ENOMEM;
    if ((st = lk_dist_agree(st, errbuf)) == LK_OK && !lens) /* agreed: for the analyser */
        st = LK_ENOMEM;
    if (st == LK_OK && to_root && (st = lk_dist_gather(buf, len, out, lens)) == LK_OK)
        for (int r = 0; r < lk_dist_size(); r++)
            *total += (size_t)lens[r];
    if (st == LK_OK && !to_root &&
        (st = lk_dist_allgather(lk_dist_rank() == 0 ? buf : NULL, lk_dist_rank() == 0 ? len : 0,
                                out, lens)) == LK_OK)
        *total = (size_t)lens[0];
    free(lens);
    return st;
}

lk_status lk_dist_to_root(const void *buf, size_t len, lk_status st, void **out, size_t *total,
                          char *errbuf)
{
    return collect(buf, len, st, 1, out, total, errbuf);
}

lk_status lk_dist_from_root(const void *buf, size_t len, lk_status st, void **out, size_t *total,
                            char *errbuf)
{
    return collect(buf, len, st, 0, out, total, errbuf);
}
