/*
 * detect_groups.c - what characterises each group (detect_groups.h): the
 * synchrony of its members (median |dt| of their co-actions), the objects
 * that bind it with every member's time on them (group_objects.csv), and,
 * per account, how much of its activity was coordinated.
 */
#include "detect_groups.h"
#include "out_escape.h"
#include "out_file.h"

lk_status lk_gchar_init(lk_gchar *g, size_t nactions)
{
    memset(g, 0, sizeof *g);
    g->mark = calloc(LK_MAX(nactions, (size_t)1), 1);
    g->nmark = nactions;
    return g->mark ? LK_OK : LK_ENOMEM;
}

void lk_gchar_release(lk_gchar *g)
{
    free(g->c);
    free(g->mark);
    memset(g, 0, sizeof *g);
}

lk_status lk_gchar_add(lk_gchar *g, uint32_t group, uint32_t obj, size_t i, size_t j, int64_t dt)
{
    if (LK_GROW(g->c, g->n + 1, g->cap) != LK_OK)
        return LK_ENOMEM;
    g->c[g->n].group = group;
    g->c[g->n].obj = obj;
    g->c[g->n].dt = dt < 0 ? -dt : dt;
    g->c[g->n].i = (uint32_t)i;
    g->c[g->n].j = (uint32_t)j;
    g->n++;
    return LK_OK;
}

void lk_gchar_mark(lk_gchar *g, size_t i, size_t j)
{
    g->mark[i] = 1;
    g->mark[j] = 1;
}

static int cmp_gdt(const void *x, const void *y)
{
    const lk_gco *a = x, *b = y;
    if (a->group != b->group)
        return (a->group > b->group) - (a->group < b->group);
    return (a->dt > b->dt) - (a->dt < b->dt);
}

lk_status lk_gchar_medians(lk_gchar *g, size_t ngroups, double *median_s)
{
    for (size_t k = 0; k < ngroups; k++)
        median_s[k] = 0.0;
    lk_qsort(g->c, g->n, sizeof *g->c, cmp_gdt);
    for (size_t b = 0; b < g->n;) {
        size_t e = b;
        while (e < g->n && g->c[e].group == g->c[b].group)
            e++;
        {
            const size_t n = e - b, m = b + (n - 1) / 2;
            /* the middle value, or the mean of the two middle ones */
            const double v =
                n % 2 ? (double)g->c[m].dt : ((double)g->c[m].dt + (double)g->c[m + 1].dt) / 2.0;
            if (g->c[b].group < ngroups)
                median_s[g->c[b].group] = v / 1000.0;
        }
        b = e;
    }
    return LK_OK;
}

void lk_gchar_coordinated(const lk_gchar *g, const lk_objindex *sub, uint64_t *per_account)
{
    for (size_t r = 0; r < sub->n && r < g->nmark; r++)
        per_account[sub->a[r].account] += g->mark[r];
}

/* (group, object, action) of every member action in an in-group co-action */
typedef struct gma {
    uint32_t group, obj, r;
} gma;

static int cmp_gma(const void *x, const void *y)
{
    const gma *a = x, *b = y;
    if (a->group != b->group)
        return (a->group > b->group) - (a->group < b->group);
    if (a->obj != b->obj)
        return (a->obj > b->obj) - (a->obj < b->obj);
    return (a->r > b->r) - (a->r < b->r);
}

typedef struct gobj {
    size_t begin, end; /* its member actions in the gma array */
    uint32_t members;  /* distinct accounts */
    uint32_t obj;
    double idf;
} gobj;

static int cmp_gobj(const void *x, const void *y)
{
    const gobj *a = x, *b = y;
    if (a->members != b->members)
        return (a->members < b->members) - (a->members > b->members);
    if (a->idf != b->idf)
        return (a->idf < b->idf) - (a->idf > b->idf);
    return (a->obj > b->obj) - (a->obj < b->obj);
}

lk_status lk_gchar_write_objects(const lk_gchar *g, const lk_objindex *sub, const lk_dataset *ds,
                                 const double *idf, uint32_t top, const char *dir, char *errbuf)
{
    gma *m = malloc(LK_MAX(2 * g->n, (size_t)1) * sizeof *m);
    gobj *go = NULL;
    size_t nm = 0, ngo = 0, cap = 0;
    lk_outfile *f = NULL;
    lk_buf b;
    lk_status st;

    lk_buf_init(&b);
    if (!m)
        return LK_ENOMEM;
    for (size_t k = 0; k < g->n; k++) {
        m[nm++] = (gma){g->c[k].group, g->c[k].obj, g->c[k].i};
        m[nm++] = (gma){g->c[k].group, g->c[k].obj, g->c[k].j};
    }
    lk_qsort(m, nm, sizeof *m, cmp_gma);
    /* dedupe actions */
    {
        size_t w = 0;
        for (size_t k = 0; k < nm; k++)
            if (w == 0 || m[k].group != m[w - 1].group || m[k].obj != m[w - 1].obj ||
                m[k].r != m[w - 1].r)
                m[w++] = m[k];
        nm = w;
    }
    if ((st = lk_out_open(dir, "group_objects.csv", &f, errbuf)) != LK_OK)
        goto done;
    st = LK_ENOMEM;
    if (lk_buf_printf(&b, "group_id,rank,trace,object,members,first_time,last_time,spread_s,"
                          "member_times\n"))
        goto done;
    for (size_t gb = 0; gb < nm;) {
        size_t ge = gb;
        const uint32_t grp = m[gb].group;
        while (ge < nm && m[ge].group == grp)
            ge++;
        ngo = 0;
        for (size_t ob = gb; ob < ge;) {
            size_t oe = ob;
            uint32_t members = 0;
            while (oe < ge && m[oe].obj == m[ob].obj)
                oe++;
            /* distinct accounts: actions of one account are few; a quadratic
             * check over one object's member actions is fine */
            for (size_t x = ob; x < oe; x++) {
                int seen = 0;
                for (size_t y = ob; y < x && !seen; y++)
                    seen = sub->a[m[y].r].account == sub->a[m[x].r].account;
                members += !seen;
            }
            if (LK_GROW(go, ngo + 1, cap) != LK_OK)
                goto done;
            go[ngo++] = (gobj){ob, oe, members, m[ob].obj, idf[m[ob].obj]};
            ob = oe;
        }
        lk_qsort(go, ngo, sizeof *go, cmp_gobj);
        for (size_t k = 0; k < ngo && k < top; k++) {
            const gobj *o = &go[k];
            size_t ol;
            lk_trace tr;
            char shown[LK_DS_SHOWN];
            const char *os = lk_ds_object_shown(ds, o->obj, shown, &ol, &tr);
            int64_t t0 = INT64_MAX, t1 = INT64_MIN;
            lk_buf cell;
            for (size_t x = o->begin; x < o->end; x++) {
                t0 = LK_MIN(t0, sub->a[m[x].r].t);
                t1 = LK_MAX(t1, sub->a[m[x].r].t);
            }
            if (lk_buf_printf(&b, "%u,%zu,%s,", grp + 1, k + 1, lk_trace_name(tr)) ||
                lk_esc_csv(&b, os, ol) || lk_buf_printf(&b, ",%u,", o->members) ||
                lk_buf_time_iso(&b, t0) || lk_buf_putc(&b, ',') || lk_buf_time_iso(&b, t1) ||
                lk_buf_putc(&b, ',') || lk_buf_secs(&b, t1 - t0) || lk_buf_putc(&b, ','))
                goto done;
            /* "account@time;..." in time order (actions of an object are) */
            lk_buf_init(&cell);
            for (size_t x = o->begin; x < o->end; x++) {
                const lk_action *a = &sub->a[m[x].r];
                size_t al;
                const char *as = lk_strpool_get(ds->accounts, a->account, &al);
                if ((x > o->begin && lk_buf_putc(&cell, ';')) || lk_buf_append(&cell, as, al) ||
                    lk_buf_putc(&cell, '@') || lk_buf_time_iso(&cell, a->t)) {
                    lk_buf_release(&cell);
                    goto done;
                }
            }
            if (lk_esc_csv(&b, cell.p, cell.len) || lk_buf_putc(&b, '\n')) {
                lk_buf_release(&cell);
                goto done;
            }
            lk_buf_release(&cell);
        }
        if (b.len > (1u << 16))
            lk_out_flush_buf(f, &b);
        gb = ge;
    }
    lk_out_flush_buf(f, &b);
    st = lk_out_close(f, errbuf);
    f = NULL;
done:
    lk_out_abort(f);
    lk_buf_release(&b);
    free(m);
    free(go);
    return st;
}
