/* net.c - pair aggregation into edges (open-addressing hash on account pairs). */
#include <math.h>

#include "compat.h"
#include "net.h"

static inline uint64_t mix64(uint64_t k)
{
    /* splitmix64 finaliser: account ids are dense, so spread them */
    k ^= k >> 30;
    k *= UINT64_C(0xbf58476d1ce4e5b9);
    k ^= k >> 27;
    k *= UINT64_C(0x94d049bb133111eb);
    k ^= k >> 31;
    return k;
}

static lk_status grow_table(lk_net *net)
{
    size_t nsize = net->tab ? (net->mask + 1) * 2 : 1024;
    lk_net_slot *nt = calloc(nsize, sizeof *nt);
    if (!nt)
        return LK_ENOMEM;
    if (net->tab) {
        for (size_t i = 0; i <= net->mask; i++) {
            size_t j;
            if (!net->tab[i].idx)
                continue;
            j = mix64(net->tab[i].key) & (nsize - 1);
            while (nt[j].idx)
                j = (j + 1) & (nsize - 1);
            nt[j] = net->tab[i];
        }
        free(net->tab);
    }
    net->tab = nt;
    net->mask = nsize - 1;
    return LK_OK;
}

lk_edge *lk_net_find(const lk_net *net, uint32_t x, uint32_t y)
{
    uint64_t key = x < y ? ((uint64_t)x << 32 | y) : ((uint64_t)y << 32 | x);
    size_t j;
    if (!net->tab)
        return NULL;
    j = mix64(key) & net->mask;
    while (net->tab[j].idx) {
        if (net->tab[j].key == key)
            return &net->e[net->tab[j].idx - 1];
        j = (j + 1) & net->mask;
    }
    return NULL;
}

typedef struct bctx {
    lk_net *net;
    lk_status err;
} bctx;

static lk_status add_pair(void *vctx, const lk_objindex *ix, size_t i, size_t j)
{
    lk_net *net = ((bctx *)vctx)->net;
    const lk_action *x = &ix->a[i], *y = &ix->a[j];
    uint32_t a = x->account, b = y->account;
    uint64_t key;
    size_t s;
    lk_edge *e;

    if (a == b)
        return LK_OK;
    key = a < b ? ((uint64_t)a << 32 | b) : ((uint64_t)b << 32 | a);
    s = mix64(key) & net->mask;
    while (net->tab[s].idx && net->tab[s].key != key)
        s = (s + 1) & net->mask;
    if (!net->tab[s].idx) {
        if (LK_GROW(net->e, net->n + 1, net->cap) != LK_OK)
            return LK_ENOMEM;
        e = &net->e[net->n];
        memset(e, 0, sizeof *e);
        e->a = LK_MIN(a, b);
        e->b = LK_MAX(a, b);
        e->last_obj = UINT32_MAX;
        net->tab[s].key = key;
        net->tab[s].idx = ++net->n;
        if (net->n * 2 > net->mask && grow_table(net) != LK_OK)
            return LK_ENOMEM;
    } else {
        e = &net->e[net->tab[s].idx - 1];
    }
    net->pairs++;
    e->co_actions++;
    e->sum_dt_s += (double)(y->t - x->t) / 1000.0;
    e->traces |= 1u;
    /* pairs arrive object by object, so a changed object is a new one */
    if (e->last_obj != x->object) {
        e->last_obj = x->object;
        e->objects++;
        e->score += net->idf[x->object];
    }
    return LK_OK;
}

lk_status lk_net_build(const lk_objindex *ix, int64_t window_ms, lk_net *net)
{
    uint32_t *mark = NULL;
    size_t nacc = 0, active = 0;
    bctx c;
    lk_status st;

    memset(net, 0, sizeof *net);
    for (size_t r = 0; r < ix->n; r++)
        nacc = LK_MAX(nacc, (size_t)ix->a[r].account + 1);
    net->idf = malloc(LK_MAX(ix->nobj, (size_t)1) * sizeof *net->idf);
    mark = malloc(LK_MAX(nacc, (size_t)1) * sizeof *mark);
    if (!net->idf || !mark || grow_table(net) != LK_OK) {
        free(mark);
        lk_net_release(net);
        return LK_ENOMEM;
    }
    /* k_o = distinct accounts per object; A = accounts with any action */
    memset(mark, 0xff, LK_MAX(nacc, (size_t)1) * sizeof *mark);
    for (size_t r = 0; r < ix->n; r++)
        if (mark[ix->a[r].account] == UINT32_MAX) {
            mark[ix->a[r].account] = 0;
            active++;
        }
    memset(mark, 0xff, LK_MAX(nacc, (size_t)1) * sizeof *mark);
    for (size_t o = 0; o < ix->nobj; o++) {
        size_t k = 0;
        for (size_t r = (size_t)ix->start[o]; r < (size_t)ix->start[o + 1]; r++)
            if (mark[ix->a[r].account] != (uint32_t)o) {
                mark[ix->a[r].account] = (uint32_t)o;
                k++;
            }
        net->idf[o] = k ? log((double)active / (double)k) : 0.0;
    }
    free(mark);
    c.net = net;
    c.err = LK_OK;
    st = lk_sweep(ix, window_ms, add_pair, &c);
    if (st != LK_OK)
        lk_net_release(net);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t lk_net_threshold(lk_net *net, lk_threshold kind, double value, double *cut)
{
    size_t kept = 0;
    double q = value;

    if (kind == LK_THRESHOLD_QUANTILE) {
        double *w = malloc(LK_MAX(net->n, (size_t)1) * sizeof *w);
        if (!w)
            return SIZE_MAX;
        for (size_t k = 0; k < net->n; k++)
            w[k] = net->e[k].objects;
        lk_qsort(w, net->n, sizeof *w, cmp_double);
        q = lk_quantile7(w, net->n, value);
        free(w);
    }
    for (size_t k = 0; k < net->n; k++) {
        double wt = net->e[k].objects;
        net->e[k].coord = kind == LK_THRESHOLD_QUANTILE ? wt > q : wt >= q;
        kept += net->e[k].coord;
    }
    if (cut)
        *cut = q;
    return kept;
}

void lk_net_release(lk_net *net)
{
    free(net->e);
    free(net->tab);
    free(net->idf);
    memset(net, 0, sizeof *net);
}
