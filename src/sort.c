/* sort.c - stable LSD radix sort of (key, value) pairs. */
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
