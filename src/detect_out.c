/*
 * detect_out.c - the coordinated network (nodes, clustering) and the native
 * output folder: accounts.csv, groups.csv, edges.csv, evidence.csv,
 * network.graphml, network.gexf and summary.json (DESIGN.md, "Output folder").
 * Every user-supplied string goes through out_escape; rows are ordered by
 * account strings so the files do not depend on internal id assignment.
 */
#include "cluster.h"
#include "detect_groups.h"
#include "detect_int.h"
#include "out_escape.h"
#include "out_file.h"
#include "out_graph.h"
#include "parse_time.h"

/* "share:3;url:2": the traces behind an edge or group with their co-actions,
 * in trace order. */
static lk_status put_traces(lk_buf *b, const uint64_t *count)
{
    int first = 1;
    for (int t = 0; t < LK_TR_N; t++) {
        if (!count[t])
            continue;
        if (lk_buf_printf(b, "%s%s:%llu", first ? "" : ";", lk_trace_name((lk_trace)t),
                          (unsigned long long)count[t]))
            return LK_ENOMEM;
        first = 0;
    }
    return LK_OK;
}

static const lk_strpool *sort_pool; /* qsort has no context argument */

static int cmp_acc_str(const void *a, const void *b)
{
    size_t la, lb;
    const char *sa = lk_strpool_get(sort_pool, *(const uint32_t *)a, &la);
    const char *sb = lk_strpool_get(sort_pool, *(const uint32_t *)b, &lb);
    int c = memcmp(sa, sb, LK_MIN(la, lb));
    return c ? c : (la > lb) - (la < lb);
}

typedef struct epair {
    uint32_t u, v;
    lk_edge *e;
} epair;

static int cmp_epair(const void *a, const void *b)
{
    const epair *x = a, *y = b;
    if (x->u != y->u)
        return (x->u > y->u) - (x->u < y->u);
    return (x->v > y->v) - (x->v < y->v);
}

void lk_coordnet_release(lk_coordnet *cn)
{
    free(cn->account);
    free(cn->node_of);
    free(cn->component);
    free(cn->community);
    free(cn->degree);
    free(cn->co_actions);
    free(cn->strength);
    free(cn->eu);
    free(cn->ev);
    free(cn->edge);
    memset(cn, 0, sizeof *cn);
}

lk_status lk_coordnet_build(const lk_dataset *ds, lk_net *net, const lk_detect_opts *o,
                            lk_coordnet *cn, char *errbuf)
{
    size_t nacc = lk_strpool_count(ds->accounts), m = 0, n = 0;
    epair *ep = NULL;
    double *w = NULL;
    lk_status st = LK_ENOMEM;

    memset(cn, 0, sizeof *cn);
    cn->node_of = malloc(LK_MAX(nacc, (size_t)1) * sizeof *cn->node_of);
    if (!cn->node_of)
        goto fail;
    memset(cn->node_of, 0xff, LK_MAX(nacc, (size_t)1) * sizeof *cn->node_of);
    for (size_t k = 0; k < net->n; k++)
        if (net->e[k].coord) {
            m++;
            cn->node_of[net->e[k].a] = 0;
            cn->node_of[net->e[k].b] = 0;
        }
    for (size_t a = 0; a < nacc; a++)
        n += cn->node_of[a] == 0;
    cn->account = malloc(LK_MAX(n, (size_t)1) * sizeof *cn->account);
    cn->component = calloc(LK_MAX(n, (size_t)1), sizeof *cn->component);
    cn->community = calloc(LK_MAX(n, (size_t)1), sizeof *cn->community);
    cn->degree = calloc(LK_MAX(n, (size_t)1), sizeof *cn->degree);
    cn->co_actions = calloc(LK_MAX(n, (size_t)1), sizeof *cn->co_actions);
    cn->strength = calloc(LK_MAX(n, (size_t)1), sizeof *cn->strength);
    cn->eu = malloc(LK_MAX(m, (size_t)1) * sizeof *cn->eu);
    cn->ev = malloc(LK_MAX(m, (size_t)1) * sizeof *cn->ev);
    /* an array of pointers to the edges */
    // NOLINTNEXTLINE(bugprone-sizeof-expression)
    cn->edge = malloc(LK_MAX(m, (size_t)1) * sizeof *cn->edge);
    ep = malloc(LK_MAX(m, (size_t)1) * sizeof *ep);
    w = malloc(LK_MAX(m, (size_t)1) * sizeof *w);
    if (!cn->account || !cn->component || !cn->community || !cn->degree || !cn->co_actions ||
        !cn->strength || !cn->eu || !cn->ev || !cn->edge || !ep || !w)
        goto fail;
    n = 0;
    for (size_t a = 0; a < nacc; a++)
        if (cn->node_of[a] == 0)
            cn->account[n++] = (uint32_t)a;
    sort_pool = ds->accounts;
    lk_qsort(cn->account, n, sizeof *cn->account, cmp_acc_str);
    for (size_t i = 0; i < n; i++)
        cn->node_of[cn->account[i]] = (uint32_t)i;
    cn->n = n;
    m = 0;
    for (size_t k = 0; k < net->n; k++) {
        lk_edge *e = &net->e[k];
        uint32_t x, y;
        if (!e->coord)
            continue;
        x = cn->node_of[e->a];
        y = cn->node_of[e->b];
        ep[m].u = LK_MIN(x, y);
        ep[m].v = LK_MAX(x, y);
        ep[m].e = e;
        m++;
    }
    lk_qsort(ep, m, sizeof *ep, cmp_epair);
    for (size_t k = 0; k < m; k++) {
        cn->eu[k] = ep[k].u;
        cn->ev[k] = ep[k].v;
        cn->edge[k] = ep[k].e;
        ep[k].e->cn_index = (uint32_t)k;
        w[k] = ep[k].e->objects;
        cn->degree[ep[k].u]++;
        cn->degree[ep[k].v]++;
        cn->co_actions[ep[k].u] += ep[k].e->co_actions;
        cn->co_actions[ep[k].v] += ep[k].e->co_actions;
        cn->strength[ep[k].u] += w[k];
        cn->strength[ep[k].v] += w[k];
    }
    cn->m = m;
    st = lk_cluster(n, m, cn->eu, cn->ev, w, o->resolution, o->seed, cn->component, cn->community,
                    errbuf);
    if (st != LK_OK)
        goto fail;
    for (size_t i = 0; i < n; i++)
        cn->ngroups = LK_MAX(cn->ngroups, (size_t)cn->community[i] + 1);
    free(ep);
    free(w);
    return LK_OK;
fail:
    if (st == LK_ENOMEM)
        lk_errf(errbuf, "out of memory building the coordinated network");
    free(ep);
    free(w);
    lk_coordnet_release(cn);
    return st;
}

static lk_status put_time(lk_buf *b, int64_t ms)
{
    return lk_buf_time_iso(b, ms);
}

static lk_status put_acc(lk_buf *b, const lk_dataset *ds, uint32_t acc)
{
    size_t l;
    const char *s = lk_strpool_get(ds->accounts, acc, &l);
    return lk_esc_csv(b, s, l);
}

/* Group statistics gathered in the evidence pass. */
typedef struct gstat {
    uint64_t size, edges, co_actions, objects;
    uint64_t traces[LK_TR_N]; /* co-actions per trace */
    uint32_t last_obj;
    int64_t first, last;
    double sum_dt;
    uint32_t component;
} gstat;

/* A coordinated co-action of the object being swept, waiting to be reduced
 * to one evidence row per (edge, object). */
typedef struct evpair {
    uint64_t edge; /* index into net->e */
    int64_t dt;
    uint32_t i, j;
} evpair;

/* One evidence row: the closest co-action of an edge on one object. */
typedef struct evitem {
    uint32_t obj, i, j; /* object, and the pair (indices into the object index) */
    uint32_t count;     /* co-actions of the edge on that object */
    int64_t dt;
    double idf; /* ln(A / k_o) of the object */
} evitem;

typedef struct ectx {
    const lk_dataset *ds;
    const lk_net *net;
    const lk_coordnet *cn;
    gstat *g;
    lk_outfile *f; /* NULL: no evidence file */
    lk_buf b;
    evpair *p; /* pairs of the current object */
    size_t np, cap;
    uint32_t obj;      /* object of the buffered pairs */
    uint64_t rows;     /* evidence rows written */
    uint32_t per_edge; /* at most this many objects per edge; 0 = all */
    evitem *best;      /* per_edge slots per coordinated edge */
    uint32_t *nbest;   /* slots used per coordinated edge */
    evitem *cur;       /* per coordinated edge: its item for the object in progress */
    uint8_t *otrace;   /* object id -> trace (of ix's objects) */
    lk_gchar gc;       /* group and account characterisation */
    uint64_t *etraces; /* per coordinated edge: LK_TR_N co-action counts */
} ectx;

static int cmp_evpair(const void *a, const void *b)
{
    const evpair *x = a, *y = b;
    if (x->edge != y->edge)
        return (x->edge > y->edge) - (x->edge < y->edge);
    if (x->dt != y->dt)
        return (x->dt > y->dt) - (x->dt < y->dt);
    if (x->i != y->i)
        return (x->i > y->i) - (x->i < y->i);
    return (x->j > y->j) - (x->j < y->j);
}

static lk_status write_ev_row(ectx *c, const lk_objindex *ix, const evitem *it)
{
    const lk_action *x = &ix->a[it->i], *y = &ix->a[it->j];
    uint32_t nx = c->cn->node_of[x->account], ny = c->cn->node_of[y->account];
    /* account_a is the one first in string order (node order) */
    const lk_action *pa = nx < ny ? x : y, *pb = nx < ny ? y : x;
    size_t ol;
    lk_trace tr;
    char shown[LK_DS_SHOWN];
    const char *obj = lk_ds_object_shown(c->ds, it->obj, shown, &ol, &tr);
    const char *tn = lk_trace_name(tr);
    const char *ca = lk_arena_get(&c->ds->content, pa->content);
    const char *cb = lk_arena_get(&c->ds->content, pb->content);

    if (put_acc(&c->b, c->ds, pa->account) || lk_buf_putc(&c->b, ',') ||
        put_acc(&c->b, c->ds, pb->account) || lk_buf_putc(&c->b, ',') ||
        lk_buf_append(&c->b, tn, strlen(tn)) || lk_buf_putc(&c->b, ',') ||
        lk_esc_csv(&c->b, obj, ol) || lk_buf_putc(&c->b, ',') || lk_buf_time_iso(&c->b, pa->t) ||
        lk_buf_putc(&c->b, ',') || lk_buf_time_iso(&c->b, pb->t) || lk_buf_putc(&c->b, ',') ||
        lk_esc_csv(&c->b, ca, strlen(ca)) || lk_buf_putc(&c->b, ',') ||
        lk_esc_csv(&c->b, cb, strlen(cb)) || lk_buf_putc(&c->b, ',') ||
        lk_buf_secs(&c->b, it->dt) || lk_buf_putc(&c->b, ',') || lk_buf_u64(&c->b, it->count) ||
        lk_buf_putc(&c->b, '\n'))
        return LK_ENOMEM;
    c->rows++;
    if (c->b.len > (1u << 16))
        lk_out_flush_buf(c->f, &c->b);
    return LK_OK;
}

/* Evidence ranks objects by how telling they are: rarer objects first
 * (higher ln(A / k_o)), then by object id (first appearance).  a better than b? */
static int ev_better(const evitem *a, const evitem *b)
{
    if (a->idf != b->idf)
        return a->idf > b->idf;
    return a->obj < b->obj;
}

/* Keep the per_edge most telling objects of each edge; slot 0 holds the
 * worst kept one once the slots are full, so most offers cost one compare. */
static void offer(ectx *c, uint32_t k, evitem *it)
{
    evitem *slots = &c->best[(size_t)k * c->per_edge];
    uint32_t n = c->nbest[k];

    it->idf = c->net->idf[it->obj];
    if (n < c->per_edge) {
        slots[n] = *it;
        c->nbest[k] = ++n;
    } else if (ev_better(it, &slots[0])) {
        slots[0] = *it;
    } else {
        return;
    }
    if (n == c->per_edge) {
        uint32_t worst = 0;
        for (uint32_t s = 1; s < n; s++)
            if (ev_better(&slots[worst], &slots[s]))
                worst = s;
        evitem t = slots[0];
        slots[0] = slots[worst];
        slots[worst] = t;
    }
}

/* Reduce the buffered pairs of one object to one item per edge: the closest
 * co-action (smallest |dt|, then sweep order) and how many there were.  An
 * analyst can open both posts from the content ids. */
static lk_status flush_object(ectx *c, const lk_objindex *ix)
{
    if (!c->f || c->np == 0) {
        c->np = 0;
        return LK_OK;
    }
    lk_qsort(c->p, c->np, sizeof *c->p, cmp_evpair);
    for (size_t k = 0; k < c->np;) {
        size_t end = k;
        evitem it;
        while (end < c->np && c->p[end].edge == c->p[k].edge)
            end++;
        it.obj = c->obj;
        it.i = c->p[k].i;
        it.j = c->p[k].j;
        it.count = (uint32_t)LK_MIN(end - k, (size_t)UINT32_MAX);
        it.dt = c->p[k].dt;
        if (c->per_edge == 0) {
            if (write_ev_row(c, ix, &it) != LK_OK)
                return LK_ENOMEM;
        } else {
            offer(c, c->net->e[c->p[k].edge].cn_index, &it);
        }
        k = end;
    }
    c->np = 0;
    return LK_OK;
}

static int cmp_evitem(const void *a, const void *b)
{
    const evitem *x = a, *y = b;
    if (ev_better(x, y))
        return -1;
    return ev_better(y, x) ? 1 : 0;
}

/* Bounded evidence: edge by edge in edges.csv order, best objects first. */
static lk_status write_best(ectx *c, const lk_objindex *ix)
{
    for (size_t k = 0; k < c->cn->m; k++) {
        evitem *slots = &c->best[k * c->per_edge];
        lk_qsort(slots, c->nbest[k], sizeof *slots, cmp_evitem);
        for (uint32_t s = 0; s < c->nbest[k]; s++)
            if (write_ev_row(c, ix, &slots[s]) != LK_OK)
                return LK_ENOMEM;
    }
    return LK_OK;
}

static lk_status evidence_pair(void *vctx, const lk_objindex *ix, size_t i, size_t j)
{
    ectx *c = vctx;
    const lk_action *x = &ix->a[i], *y = &ix->a[j];
    const lk_edge *e;
    uint32_t nx, ny;

    if (x->account == y->account)
        return LK_OK;
    /* most pairs involve an account outside the coordinated network: an
     * array lookup rejects them before the hash lookup */
    nx = c->cn->node_of[x->account];
    ny = c->cn->node_of[y->account];
    if (nx == UINT32_MAX || ny == UINT32_MAX)
        return LK_OK;
    e = lk_net_find(c->net, x->account, y->account);
    if (!e || !e->coord)
        return LK_OK;
    c->etraces[(size_t)e->cn_index * LK_TR_N + c->otrace[x->object]]++;
    lk_gchar_mark(&c->gc, i, j);
    if (c->cn->community[nx] == c->cn->community[ny]) {
        gstat *g = &c->g[c->cn->community[nx]];
        if (lk_gchar_add(&c->gc, c->cn->community[nx], x->object, i, j, y->t - x->t) != LK_OK)
            return LK_ENOMEM;
        g->co_actions++;
        g->traces[c->otrace[x->object]]++;
        g->sum_dt += (double)(y->t - x->t) / 1000.0;
        if (g->last_obj != x->object) {
            g->last_obj = x->object;
            g->objects++;
        }
        g->first = LK_MIN(g->first, x->t);
        g->last = LK_MAX(g->last, y->t);
    }
    if (!c->f)
        return LK_OK;
    if (c->per_edge) {
        /* bounded evidence: objects are swept one after another, so an
         * edge's item is complete when the edge shows up on a new object */
        evitem *cu = &c->cur[e->cn_index];
        int64_t dt = y->t - x->t;
        if (cu->count == 0 || cu->obj != x->object) {
            if (cu->count)
                offer(c, e->cn_index, cu);
            cu->obj = x->object;
            cu->count = 1;
            cu->i = (uint32_t)i;
            cu->j = (uint32_t)j;
            cu->dt = dt;
        } else {
            cu->count += cu->count < UINT32_MAX;
            if (dt < cu->dt) { /* ties keep the first in sweep order */
                cu->i = (uint32_t)i;
                cu->j = (uint32_t)j;
                cu->dt = dt;
            }
        }
        return LK_OK;
    }
    if (c->np && c->obj != x->object) {
        lk_status st = flush_object(c, ix);
        if (st != LK_OK)
            return st;
    }
    if (LK_GROW(c->p, c->np + 1, c->cap) != LK_OK)
        return LK_ENOMEM;
    c->obj = x->object;
    c->p[c->np].edge = (uint64_t)(e - c->net->e);
    c->p[c->np].dt = y->t - x->t;
    c->p[c->np].i = (uint32_t)i;
    c->p[c->np].j = (uint32_t)j;
    c->np++;
    return LK_OK;
}

static lk_status write_edges(const lk_dataset *ds, const lk_coordnet *cn, const uint64_t *etraces,
                             const char *dir, char *errbuf)
{
    lk_outfile *f;
    lk_buf b;
    lk_status st = lk_out_open(dir, "edges.csv", &f, errbuf);
    if (st != LK_OK)
        return st;
    lk_buf_init(&b);
    if (lk_buf_printf(&b, "account_a,account_b,weight,co_actions,objects,mean_dt,score,traces,"
                          "group_id,qvalue,common_objects,sync\n"))
        goto nomem;
    for (size_t k = 0; k < cn->m; k++) {
        const lk_edge *e = cn->edge[k];
        uint32_t u = cn->eu[k], v = cn->ev[k];
        if (put_acc(&b, ds, cn->account[u]) || lk_buf_putc(&b, ',') ||
            put_acc(&b, ds, cn->account[v]) ||
            lk_buf_printf(&b, ",%u,%llu,%u,%.6g,%.6g,", e->objects,
                          (unsigned long long)e->co_actions, e->objects,
                          e->sum_dt_s / (double)e->co_actions, e->score) ||
            put_traces(&b, &etraces[k * LK_TR_N]) || lk_buf_putc(&b, ','))
            goto nomem;
        if (cn->community[u] == cn->community[v] && lk_buf_printf(&b, "%u", cn->community[u] + 1))
            goto nomem;
        /* calibration columns: empty under a weight or quantile threshold */
        if ((e->common ? lk_buf_printf(&b, ",%.4g,%u,%.4g\n", e->qvalue, e->common, e->sync)
                       : lk_buf_printf(&b, ",,,\n")))
            goto nomem;
        if (b.len > (1u << 16))
            lk_out_flush_buf(f, &b);
    }
    lk_out_flush_buf(f, &b);
    lk_buf_release(&b);
    return lk_out_close(f, errbuf);
nomem:
    lk_buf_release(&b);
    lk_out_abort(f);
    return LK_ENOMEM;
}

static const lk_coordnet *sort_cn;

static int cmp_node_group(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (sort_cn->community[x] != sort_cn->community[y])
        return (sort_cn->community[x] > sort_cn->community[y]) -
               (sort_cn->community[x] < sort_cn->community[y]);
    return (x > y) - (x < y);
}

static lk_status write_accounts(const lk_dataset *ds, const lk_coordnet *cn,
                                const uint64_t *actions, const uint64_t *coord_actions,
                                const char *dir, char *errbuf)
{
    lk_outfile *f;
    lk_buf b;
    uint32_t *order = malloc(LK_MAX(cn->n, (size_t)1) * sizeof *order);
    lk_status st;

    if (!order)
        return LK_ENOMEM;
    for (size_t i = 0; i < cn->n; i++)
        order[i] = (uint32_t)i;
    sort_cn = cn;
    lk_qsort(order, cn->n, sizeof *order, cmp_node_group);
    st = lk_out_open(dir, "accounts.csv", &f, errbuf);
    if (st != LK_OK) {
        free(order);
        return st;
    }
    lk_buf_init(&b);
    if (lk_buf_printf(&b, "account_id,group_id,degree,co_actions,component_id,strength,"
                          "actions,coordinated_actions,coordinated_share\n"))
        goto nomem;
    for (size_t k = 0; k < cn->n; k++) {
        /* order[0..n) was filled above; the analyser loses track of it */
        // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign)
        uint32_t i = order[k];
        if (put_acc(&b, ds, cn->account[i]) ||
            lk_buf_printf(&b, ",%u,%llu,%llu,%u,%.6g,%llu,%llu,%.4g\n", cn->community[i] + 1,
                          (unsigned long long)cn->degree[i], (unsigned long long)cn->co_actions[i],
                          cn->component[i] + 1, cn->strength[i],
                          (unsigned long long)actions[cn->account[i]],
                          (unsigned long long)coord_actions[cn->account[i]],
                          actions[cn->account[i]] ? (double)coord_actions[cn->account[i]] /
                                                        (double)actions[cn->account[i]]
                                                  : 0.0))
            goto nomem;
        if (b.len > (1u << 16))
            lk_out_flush_buf(f, &b);
    }
    free(order);
    lk_out_flush_buf(f, &b);
    lk_buf_release(&b);
    return lk_out_close(f, errbuf);
nomem:
    free(order);
    lk_buf_release(&b);
    lk_out_abort(f);
    return LK_ENOMEM;
}

static lk_status write_groups(const lk_coordnet *cn, const gstat *g, const double *median_s,
                              const char *dir, char *errbuf)
{
    lk_outfile *f;
    lk_buf b;
    lk_status st = lk_out_open(dir, "groups.csv", &f, errbuf);
    if (st != LK_OK)
        return st;
    lk_buf_init(&b);
    if (lk_buf_printf(&b, "group_id,size,edges,density,co_actions,objects,first_seen,"
                          "last_seen,component_id,mean_dt,traces,median_dt\n"))
        goto nomem;
    for (size_t k = 0; k < cn->ngroups; k++) {
        double dens = g[k].size > 1
                          ? 2.0 * (double)g[k].edges / ((double)g[k].size * (double)(g[k].size - 1))
                          : 0.0;
        if (lk_buf_printf(&b, "%zu,%llu,%llu,%.6g,%llu,%llu,", k + 1, (unsigned long long)g[k].size,
                          (unsigned long long)g[k].edges, dens, (unsigned long long)g[k].co_actions,
                          (unsigned long long)g[k].objects))
            goto nomem;
        if (g[k].co_actions) {
            if (put_time(&b, g[k].first) || lk_buf_putc(&b, ',') || put_time(&b, g[k].last))
                goto nomem;
        } else if (lk_buf_putc(&b, ',')) {
            goto nomem;
        }
        if (lk_buf_printf(&b, ",%u,%.6g,", g[k].component + 1,
                          g[k].co_actions ? g[k].sum_dt / (double)g[k].co_actions : 0.0) ||
            put_traces(&b, g[k].traces) || lk_buf_printf(&b, ",%.6g\n", median_s[k]))
            goto nomem;
        if (b.len > (1u << 16))
            lk_out_flush_buf(f, &b);
    }
    lk_out_flush_buf(f, &b);
    lk_buf_release(&b);
    return lk_out_close(f, errbuf);
nomem:
    lk_buf_release(&b);
    lk_out_abort(f);
    return LK_ENOMEM;
}

static lk_status write_graphs(const lk_dataset *ds, const lk_coordnet *cn, const uint64_t *etraces,
                              const uint64_t *rows, const char *dir, char *errbuf)
{
    lk_buf tb;
    size_t *toff = malloc(LK_MAX(cn->m, (size_t)1) * sizeof *toff);
    lk_graph_view g;
    const char **ids = malloc(LK_MAX(cn->n, (size_t)1) * sizeof *ids);
    double *w = malloc(LK_MAX(cn->m, (size_t)1) * sizeof *w);
    double *sc = malloc(LK_MAX(cn->m, (size_t)1) * sizeof *sc);
    uint64_t *co = malloc(LK_MAX(cn->m, (size_t)1) * sizeof *co);
    const char **tr = malloc(LK_MAX(cn->m, (size_t)1) * sizeof *tr);
    /* group and component ids as in the CSV tables: from 1 */
    uint32_t *gid = malloc(LK_MAX(cn->n, (size_t)1) * sizeof *gid);
    uint32_t *cid = malloc(LK_MAX(cn->n, (size_t)1) * sizeof *cid);
    uint64_t *acts = malloc(LK_MAX(cn->n, (size_t)1) * sizeof *acts);
    char path[4096];
    lk_status st = LK_ENOMEM;

    lk_buf_init(&tb);
    if (!ids || !w || !sc || !co || !tr || !toff || !gid || !cid || !acts)
        goto done;
    for (size_t i = 0; i < cn->n; i++) {
        gid[i] = cn->community[i] + 1;
        cid[i] = cn->component[i] + 1;
        acts[i] = rows[cn->account[i]];
    }
    for (size_t k = 0; k < cn->m; k++) {
        toff[k] = tb.len;
        if (put_traces(&tb, &etraces[k * LK_TR_N]) || lk_buf_putc(&tb, '\0'))
            goto done;
    }
    for (size_t i = 0; i < cn->n; i++)
        ids[i] = lk_strpool_get(ds->accounts, cn->account[i], NULL);
    for (size_t k = 0; k < cn->m; k++) {
        w[k] = cn->edge[k]->objects;
        sc[k] = cn->edge[k]->score;
        co[k] = cn->edge[k]->co_actions;
        tr[k] = tb.p + toff[k];
    }
    memset(&g, 0, sizeof g);
    g.n_nodes = cn->n;
    g.node_id = ids;
    g.group = gid;
    g.component = cid;
    g.degree = cn->degree;
    g.co_actions = cn->co_actions;
    g.strength = cn->strength;
    g.actions = acts;
    g.n_edges = cn->m;
    g.src = cn->eu;
    g.dst = cn->ev;
    g.weight = w;
    g.score = sc;
    g.edge_co_actions = co;
    g.traces = tr;
    (void)snprintf(path, sizeof path, "%s/network.graphml", dir);
    if ((st = lk_write_graphml(&g, path, errbuf)) != LK_OK)
        goto done;
    (void)snprintf(path, sizeof path, "%s/network.gexf", dir);
    st = lk_write_gexf(&g, path, errbuf);
done:
    free(ids);
    free(w);
    free(sc);
    free(co);
    free(tr);
    free(gid);
    free(cid);
    free(acts);
    free(toff);
    lk_buf_release(&tb);
    return st;
}

lk_status lk_write_native(const lk_dataset *ds, const lk_objindex *ix, const lk_net *net,
                          const lk_coordnet *cn, const uint64_t *rows, const lk_detect_opts *o,
                          char *errbuf)
{
    gstat *g = calloc(LK_MAX(cn->ngroups, (size_t)1), sizeof *g);
    double *median_s = NULL;
    uint64_t *coord_actions = NULL;
    lk_objindex sub;
    ectx c;
    lk_status st = LK_ENOMEM;

    memset(&c, 0, sizeof c);
    memset(&sub, 0, sizeof sub);
    lk_buf_init(&c.b);
    if (!g)
        goto done;
    for (size_t k = 0; k < cn->ngroups; k++) {
        g[k].first = INT64_MAX;
        g[k].last = INT64_MIN;
        g[k].last_obj = UINT32_MAX;
    }
    for (size_t i = 0; i < cn->n; i++) {
        g[cn->community[i]].size++;
        g[cn->community[i]].component = cn->component[i];
    }
    for (size_t k = 0; k < cn->m; k++)
        if (cn->community[cn->eu[k]] == cn->community[cn->ev[k]])
            g[cn->community[cn->eu[k]]].edges++;
    c.ds = ds;
    c.net = net;
    c.cn = cn;
    c.g = g;
    if (o->write_evidence) {
        if ((st = lk_out_open(o->out_dir, "evidence.csv", &c.f, errbuf)) != LK_OK)
            goto done;
        if (lk_buf_printf(&c.b, "account_a,account_b,trace,object,time_a,time_b,content_a,"
                                "content_b,dt,co_actions\n")) {
            st = LK_ENOMEM;
            goto done;
        }
    }
    c.per_edge = o->evidence_per_edge;
    {
        const size_t nobj = lk_strpool_count(ds->objects);
        size_t ne;
        if (lk_mul_size(LK_MAX(cn->m, (size_t)1), LK_TR_N, &ne) ||
            !(c.etraces = calloc(ne, sizeof *c.etraces)) ||
            !(c.otrace = calloc(LK_MAX(nobj, (size_t)1), 1))) {
            st = LK_ENOMEM;
            goto done;
        }
        /* the objects the sweep below visits, which are ix's (under a cap
         * the only ones whose strings came back: detect.c) */
        for (size_t r = 0; r < ix->n; r++) {
            lk_trace t;
            (void)lk_ds_object(ds, ix->a[r].object, NULL, &t);
            c.otrace[ix->a[r].object] = (uint8_t)t;
        }
    }
    if (c.f && c.per_edge) {
        size_t nslots;
        if (lk_mul_size(LK_MAX(cn->m, (size_t)1), c.per_edge, &nslots) ||
            !(c.best = malloc(nslots * sizeof *c.best)) ||
            !(c.nbest = calloc(LK_MAX(cn->m, (size_t)1), sizeof *c.nbest)) ||
            !(c.cur = calloc(LK_MAX(cn->m, (size_t)1), sizeof *c.cur))) {
            st = LK_ENOMEM;
            goto done;
        }
    }
    {
        /* only pairs of two coordinated accounts can be evidence: sweep the
         * sub-index of their actions (burst actions left out, as in the
         * aggregation), usually a small fraction of the input */
        uint8_t *incn = calloc(LK_MAX(lk_strpool_count(ds->accounts), (size_t)1), 1);
        if (!incn) {
            st = LK_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < cn->n; i++)
            incn[cn->account[i]] = 1;
        st = lk_objindex_subset(ix, incn, net->burst_mark, 1, &sub);
        free(incn);
        if (st != LK_OK)
            goto done;
    }
    if ((st = lk_gchar_init(&c.gc, sub.n)) != LK_OK)
        goto done;
    if ((st = lk_sweep_marked(&sub, o->window_ms, NULL, evidence_pair, &c)) != LK_OK ||
        (st = flush_object(&c, &sub)) != LK_OK)
        goto done;
    {
        const size_t nacc = lk_strpool_count(ds->accounts);
        if (!(median_s = calloc(LK_MAX(cn->ngroups, (size_t)1), sizeof *median_s)) ||
            !(coord_actions = calloc(LK_MAX(nacc, (size_t)1), sizeof *coord_actions))) {
            st = LK_ENOMEM;
            goto done;
        }
        lk_gchar_coordinated(&c.gc, &sub, coord_actions);
        if ((st = lk_gchar_write_objects(&c.gc, &sub, ds, net->idf, 10, o->out_dir, errbuf)) !=
                LK_OK ||
            (st = lk_gchar_medians(&c.gc, cn->ngroups, median_s)) != LK_OK)
            goto done;
    }
    if (c.f && c.per_edge) {
        for (size_t k = 0; k < cn->m; k++)
            if (c.cur[k].count)
                offer(&c, (uint32_t)k, &c.cur[k]);
        if ((st = write_best(&c, &sub)) != LK_OK)
            goto done;
    }
    if (c.f) {
        lk_out_flush_buf(c.f, &c.b);
        st = lk_out_close(c.f, errbuf);
        c.f = NULL;
        if (st != LK_OK)
            goto done;
    }
    lk_log(LK_LOG_INFO, "evidence: %llu rows", (unsigned long long)c.rows);
    if ((st = write_edges(ds, cn, c.etraces, o->out_dir, errbuf)) != LK_OK ||
        (st = write_accounts(ds, cn, rows, coord_actions, o->out_dir, errbuf)) != LK_OK ||
        (st = write_groups(cn, g, median_s, o->out_dir, errbuf)) != LK_OK)
        goto done;
    lk_log(LK_LOG_INFO, "tables written");
    if ((st = write_graphs(ds, cn, c.etraces, rows, o->out_dir, errbuf)) != LK_OK)
        goto done;
    lk_log(LK_LOG_INFO, "graph files written");
done:
    if (st == LK_ENOMEM && !errbuf[0])
        lk_errf(errbuf, "out of memory writing results");
    lk_out_abort(c.f);
    lk_buf_release(&c.b);
    free(c.p);
    free(c.best);
    free(c.nbest);
    free(c.cur);
    free(c.etraces);
    free(c.otrace);
    lk_gchar_release(&c.gc);
    free(median_s);
    free(coord_actions);
    lk_objindex_release(&sub);
    free(g);
    return st;
}
