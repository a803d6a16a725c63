/*
 * compat_qut.c - the QUT coordination-network-toolkit co-retweet network.
 *
 * The toolkit loads messages with "insert or ignore" on message_id, so the
 * first row of a message id wins and later ones are ignored.  Its co-retweet
 * weight u->v is the number of distinct messages of u that have a match by v:
 * a different message with the same repost id within |dt| <= w (inclusive).
 * Edges with weight >= min_edge_weight are kept; self-loops (u->u, two of u's
 * own messages) are written only with keep_loops.
 */
#include "compat.h"
#include "out_escape.h"
#include "out_file.h"
#include "window.h"

/* (source, target, message) with the message of the source side. */
typedef struct triple {
    uint32_t u, v, msg;
} triple;

typedef struct qctx {
    triple *t;
    size_t n, cap;
} qctx;

static lk_status emit(void *vctx, const lk_objindex *ix, size_t i, size_t j)
{
    qctx *c = vctx;
    const lk_action *x = &ix->a[i], *y = &ix->a[j];

    if (LK_GROW(c->t, c->n + 2, c->cap) != LK_OK)
        return LK_ENOMEM;
    /* the row field holds the message's dense id (set up below) */
    c->t[c->n++] = (triple){x->account, y->account, x->row};
    c->t[c->n++] = (triple){y->account, x->account, y->row};
    return LK_OK;
}

static int cmp_triple(const void *a, const void *b)
{
    const triple *x = a, *y = b;
    if (x->u != y->u)
        return (x->u > y->u) - (x->u < y->u);
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return (x->msg > y->msg) - (x->msg < y->msg);
}

typedef struct qedge {
    uint32_t ru, rv; /* string ranks, for output order */
    uint32_t u, v;
    uint64_t w;
} qedge;

static int cmp_qedge(const void *a, const void *b)
{
    const qedge *x = a, *y = b;
    if (x->ru != y->ru)
        return (x->ru > y->ru) - (x->ru < y->ru);
    return (x->rv > y->rv) - (x->rv < y->rv);
}

lk_status lk_compat_qut(const lk_dataset *ds, const lk_compat_opts *o, lk_compat_stats *cs,
                        char *errbuf)
{
    lk_dataset view;
    lk_strpool *msgs = NULL;
    lk_objindex ix;
    qctx c;
    qedge *e = NULL;
    size_t ne = 0, ecap = 0, nacc = lk_strpool_count(ds->accounts), emptyobj = SIZE_MAX;
    uint32_t *rank = NULL, id;
    uint8_t *seen = NULL;
    lk_outfile *f = NULL;
    lk_buf b;
    lk_status st = LK_ENOMEM;

    memset(&ix, 0, sizeof ix);
    memset(&c, 0, sizeof c);
    memset(cs, 0, sizeof *cs);
    lk_buf_init(&b);
    view = *ds;
    view.a = malloc(LK_MAX(ds->n, (size_t)1) * sizeof *view.a);
    if (!view.a || lk_strpool_new(&msgs) != LK_OK)
        goto done;
    {
        uint32_t oid;
        const char key[1] = {LK_TRACE_BYTE(LK_TR_GENERIC)}; /* the empty generic object */
        if (lk_strpool_find(ds->objects, key, 1, &oid))
            emptyobj = oid;
    }
    /* insert-or-ignore on message id; then only rows with a repost id count */
    view.n = 0;
    for (size_t r = 0; r < ds->n; r++) {
        const char *m = lk_arena_get(&ds->content, ds->a[r].content);
        int is_new;
        if ((st = lk_strpool_intern(msgs, m, strlen(m), &id, &is_new)) != LK_OK)
            goto done;
        if (!is_new) {
            cs->duplicates++;
            continue;
        }
        if (ds->a[r].object == emptyobj)
            continue;
        view.a[view.n] = ds->a[r];
        view.a[view.n].row = id; /* dense message id, unique per kept row */
        view.n++;
    }
    if ((st = lk_objindex_build(&view, NULL, &ix)) != LK_OK)
        goto done;
    if ((st = lk_sweep(&ix, o->window_ms, 0, emit, &c, NULL)) != LK_OK)
        goto done;
    lk_qsort(c.t, c.n, sizeof *c.t, cmp_triple);

    seen = calloc(LK_MAX(nacc, (size_t)1), 1);
    if (!seen || lk_strpool_ranks(ds->accounts, &rank) != LK_OK) {
        st = LK_ENOMEM; /* the only failure of both */
        goto done;
    }
    for (size_t k = 0; k < c.n;) {
        size_t end = k;
        uint64_t w = 0;
        while (end < c.n && c.t[end].u == c.t[k].u && c.t[end].v == c.t[k].v) {
            if (end == k || c.t[end].msg != c.t[end - 1].msg)
                w++;
            end++;
        }
        if ((int64_t)w >= o->min_edge_weight && (c.t[k].u != c.t[k].v || o->keep_loops)) {
            if (LK_GROW(e, ne + 1, ecap) != LK_OK) {
                st = LK_ENOMEM;
                goto done;
            }
            e[ne++] = (qedge){rank[c.t[k].u], rank[c.t[k].v], c.t[k].u, c.t[k].v, w};
        }
        k = end;
    }
    lk_qsort(e, ne, sizeof *e, cmp_qedge);
    if ((st = lk_out_open(o->out_dir, "edges.csv", &f, errbuf)) != LK_OK)
        goto done;
    if (lk_buf_printf(&b, "source,target,weight,edge_type\n") != LK_OK) {
        st = LK_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < ne; k++) {
        size_t ul, vl;
        const char *su = lk_strpool_get(ds->accounts, e[k].u, &ul);
        const char *sv = lk_strpool_get(ds->accounts, e[k].v, &vl);
        if (lk_esc_csv(&b, su, ul) || lk_buf_putc(&b, ',') || lk_esc_csv(&b, sv, vl) ||
            lk_buf_printf(&b, ",%llu,co_retweet\n", (unsigned long long)e[k].w)) {
            st = LK_ENOMEM;
            goto done;
        }
        if (b.len > (1u << 16))
            lk_out_flush_buf(f, &b);
        cs->self_loops += e[k].u == e[k].v;
        cs->max_weight = LK_MAX(cs->max_weight, e[k].w);
        if (!seen[e[k].u]) {
            seen[e[k].u] = 1;
            cs->accounts++;
        }
        if (!seen[e[k].v]) {
            seen[e[k].v] = 1;
            cs->accounts++;
        }
    }
    cs->edges = ne;
    lk_out_flush_buf(f, &b);
    st = lk_out_close(f, errbuf);
    f = NULL;
done:
    if (st == LK_ENOMEM && !errbuf[0])
        lk_errf(errbuf, "out of memory in QUT compatibility mode");
    lk_out_abort(f);
    lk_buf_release(&b);
    free(view.a);
    lk_strpool_free(msgs);
    lk_objindex_release(&ix);
    free(c.t);
    free(e);
    free(rank);
    free(seen);
    return st;
}
