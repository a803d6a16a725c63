/*
 * report.c - load a detect output folder for report.html and choose what the
 * page shows in full.
 *
 * The folder, not detect's memory, is the source: `lockstep report DIR` must
 * give the bytes detect gave.  Tables are read by column name with the
 * project's CSV scanner; numeric cells are parsed and printed again (so a
 * tampered folder cannot smuggle anything into the page through them) and
 * strings only ever reach the page through lk_esc_json().
 *
 * Size limits (doc/report.md): the network shows at most max_nodes accounts,
 * taken group by group from the largest (groups are numbered by decreasing
 * size) while whole groups fit; a first group larger than the limit is drawn
 * by its strongest members.  Those groups get a full section; the others are
 * rows of the group table.  At most max_edges edges are drawn (the heaviest;
 * ties by file order) and at most max_accounts accounts are listed for the
 * search box.  Everything per-group that grows with the data (member times
 * per object, evidence rows) has a cap too, so the file stays at a few tens
 * of bytes per listed account whatever the folder's size.
 *
 * Depends on io_stream, parse_csv, json, strpool, parse_time, out_escape and
 * cluster (the layout).
 */
#include <errno.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "io_stream.h"
#include "json.h"
#include "out_escape.h"
#include "parse_csv.h"
#include "parse_time.h"
#include "report.h"

/* summary.json is a few KB; anything near this is not ours */
#define MAX_SUMMARY ((size_t)64 << 20)
#define MAX_COLS    12

void lk_report_opts_init(lk_report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_nodes = 3000;
    o->max_edges = 20000;
    o->max_accounts = 100000;
}

lk_status lk_report_num(lk_buf *b, double v)
{
    if (isnan(v))
        return lk_buf_append(b, "null", 4);
    return lk_buf_printf(b, "%.15g", v);
}

lk_status lk_report_str(lk_buf *b, const char *s, size_t n)
{
    if (lk_buf_putc(b, '"') != LK_OK || lk_esc_json(b, s, n) != LK_OK)
        return LK_ENOMEM;
    return lk_buf_putc(b, '"');
}

/* ---- tables by column name ------------------------------------------------ */

typedef struct tbl {
    lk_stream *s;
    lk_csv *c;
    char path[1024];
    lk_csv_row row;
    const char *const *names;
    size_t ncols, col[MAX_COLS], need; /* need: fields a row must have */
} tbl;

static void tbl_close(tbl *t)
{
    lk_csv_free(t->c);
    lk_stream_close(t->s);
    t->c = NULL;
    t->s = NULL;
}

static lk_status tbl_next(lk_report *r, tbl *t)
{
    const lk_status st = lk_csv_next(t->c, &t->row);

    if (st == LK_OK && t->row.nfields < t->need) {
        lk_errf(r->errmsg, "%s:%llu: %zu fields, expected %zu", t->path,
                (unsigned long long)t->row.line, t->row.nfields, t->need);
        return LK_EPARSE;
    }
    if (st == LK_EPARSE || st == LK_ELIMIT)
        lk_errf(r->errmsg, "%s:%llu: %s", t->path, (unsigned long long)lk_csv_errline(t->c),
                lk_csv_errmsg(t->c));
    else if (st == LK_EIO)
        lk_errf(r->errmsg, "%s", lk_stream_errmsg(t->s));
    return st;
}

/* Open dir/file and find the named columns in its header.  *absent (may be
 * NULL for a required table) is set instead of failing when the file does
 * not exist. */
static lk_status tbl_open(lk_report *r, tbl *t, const char *file, const char *const *names,
                          size_t ncols, int *absent)
{
    lk_status st;

    memset(t, 0, sizeof *t);
    t->names = names;
    t->ncols = ncols;
    (void)snprintf(t->path, sizeof t->path, "%s/%s", r->dir, file);
    if (absent) {
        *absent = access(t->path, F_OK) != 0 && errno == ENOENT;
        if (*absent)
            return LK_OK;
    }
    if ((st = lk_stream_open(t->path, &t->s, r->errmsg)) != LK_OK)
        return st;
    if ((st = lk_csv_open(t->s, ',', &t->c)) != LK_OK)
        return st;
    if ((st = tbl_next(r, t)) != LK_OK) {
        if (st == LK_EOF) {
            lk_errf(r->errmsg, "%s: empty file (no header)", t->path);
            st = LK_EPARSE;
        }
        return st;
    }
    for (size_t k = 0; k < ncols; k++) {
        size_t i = 0;
        while (i < t->row.nfields && strcmp(t->row.field[i], names[k]) != 0)
            i++;
        if (i == t->row.nfields) {
            lk_errf(r->errmsg, "%s: no column '%s'", t->path, names[k]);
            return LK_EPARSE;
        }
        t->col[k] = i;
        t->need = LK_MAX(t->need, i + 1);
    }
    return LK_OK;
}

static const char *fstr(const tbl *t, size_t k, size_t *n)
{
    *n = t->row.len[t->col[k]];
    return t->row.field[t->col[k]];
}

/* A numeric cell: NAN when empty, else a finite number or an error. */
static lk_status fnum(lk_report *r, const tbl *t, size_t k, double *out)
{
    size_t n;
    const char *s = fstr(t, k, &n);
    char *end;
    double v;

    if (n == 0) {
        *out = NAN;
        return LK_OK;
    }
    v = strtod(s, &end);
    if (end != s + n || !isfinite(v)) {
        lk_errf(r->errmsg, "%s:%llu: column '%s': not a number", t->path,
                (unsigned long long)t->row.line, t->names[k]);
        return LK_EPARSE;
    }
    *out = v;
    return LK_OK;
}

/* A group_id cell: the index of a group of groups.csv. */
static lk_status fgroup(lk_report *r, const tbl *t, size_t k, uint32_t *g)
{
    double v;
    lk_status st = fnum(r, t, k, &v);

    if (st != LK_OK)
        return st;
    if (!(v >= 1 && v <= (double)r->ngrp && v == floor(v))) {
        lk_errf(r->errmsg, "%s:%llu: column '%s': no such group in groups.csv", t->path,
                (unsigned long long)t->row.line, t->names[k]);
        return LK_EPARSE;
    }
    *g = (uint32_t)v - 1;
    return LK_OK;
}

/* The account of a cell, or UINT32_MAX when accounts.csv does not list it. */
static uint32_t facc(const lk_report *r, const tbl *t, size_t k)
{
    size_t n;
    const char *s = fstr(t, k, &n);
    uint32_t id;

    return lk_strpool_find(r->pool, s, n, &id) ? r->acc_of_name[id] : UINT32_MAX;
}

/* ---- summary.json ----------------------------------------------------------- */

/* A scalar JSON value, strings through lk_esc_json. */
static lk_status copy_scalar(const lk_json *j, uint32_t node, lk_buf *b, lk_buf *scratch)
{
    const char *s;
    size_t n;
    lk_status st;

    switch (lk_json_type_of(j, node)) {
    case LK_JSON_NULL:
        return lk_buf_append(b, "null", 4);
    case LK_JSON_FALSE:
        return lk_buf_append(b, "false", 5);
    case LK_JSON_TRUE:
        return lk_buf_append(b, "true", 4);
    case LK_JSON_NUMBER: /* the parser checked its syntax: digits, sign, . e E */
        lk_json_raw(j, node, &s, &n);
        return lk_buf_append(b, s, n);
    case LK_JSON_STRING:
        if ((st = lk_json_str(j, node, scratch, &s, &n)) != LK_OK)
            return st;
        return lk_report_str(b, s, n);
    default:
        return LK_EINVAL;
    }
}

/* Copy the JSON value at node as JSON whose strings went through
 * lk_esc_json: the file is our own, but it holds input paths and may have
 * been edited.  Iterative, with a fixed stack (summary.json nests three
 * deep; deeper is refused). */
static lk_status copy_json(const lk_json *j, uint32_t node, lk_buf *b, lk_buf *scratch)
{
    struct {
        uint32_t cur; /* next member key / element, or LK_JSON_NONE */
        int obj, first;
    } stack[32];

    int top = -1;
    uint32_t val = node;
    lk_status st = LK_OK;

    for (;;) {
        const lk_json_type t = lk_json_type_of(j, val);
        if (t == LK_JSON_OBJECT || t == LK_JSON_ARRAY) {
            if (top + 1 == (int)(sizeof stack / sizeof stack[0]))
                return LK_ELIMIT;
            top++;
            stack[top].cur = lk_json_first(j, val);
            stack[top].obj = t == LK_JSON_OBJECT;
            stack[top].first = 1;
            st = lk_buf_putc(b, t == LK_JSON_OBJECT ? '{' : '[');
        } else {
            st = copy_scalar(j, val, b, scratch);
        }
        /* close finished containers, then step to the next value */
        while (st == LK_OK && top >= 0 && stack[top].cur == LK_JSON_NONE) {
            st = lk_buf_putc(b, stack[top].obj ? '}' : ']');
            top--;
        }
        if (st != LK_OK || top < 0)
            return st;
        if (!stack[top].first && (st = lk_buf_putc(b, ',')) != LK_OK)
            return st;
        stack[top].first = 0;
        val = stack[top].cur;
        if (stack[top].obj) {
            if ((st = copy_scalar(j, val, b, scratch)) != LK_OK ||
                (st = lk_buf_putc(b, ':')) != LK_OK)
                return st;
            val++;
        }
        stack[top].cur = lk_json_next(j, val);
    }
}

static lk_status load_summary(lk_report *r)
{
    char path[1024];
    lk_buf text, scratch;
    lk_json *j = NULL;
    FILE *f;
    lk_status st = LK_OK;
    char chunk[65536];
    size_t got;

    lk_buf_init(&text);
    lk_buf_init(&scratch);
    (void)snprintf(path, sizeof path, "%s/summary.json", r->dir);
    if (!(f = fopen(path, "rb"))) {
        lk_errf(r->errmsg, "cannot open '%s': %s (not a complete detect output folder)", path,
                strerror(errno));
        return LK_EIO;
    }
    while (st == LK_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        st = text.len + got > MAX_SUMMARY ? LK_ELIMIT : lk_buf_append(&text, chunk, got);
    if (st == LK_OK && ferror(f)) {
        lk_errf(r->errmsg, "cannot read '%s'", path);
        st = LK_EIO;
    }
    (void)fclose(f);
    if (st == LK_ELIMIT)
        lk_errf(r->errmsg, "%s: too large for a summary", path);
    if (st == LK_OK && (st = lk_json_new(&j)) == LK_OK &&
        (st = lk_json_parse(j, text.p, text.len)) != LK_OK && st != LK_ENOMEM)
        lk_errf(r->errmsg, "%s: offset %zu: %s", path, lk_json_erroff(j), lk_json_errmsg(j));
    if (st == LK_OK && lk_json_type_of(j, 0) != LK_JSON_OBJECT) {
        lk_errf(r->errmsg, "%s: not a JSON object", path);
        st = LK_EPARSE;
    }
    if (st == LK_OK) {
        const uint32_t params = lk_json_get(j, 0, "parameters");
        const uint32_t compat = lk_json_get(j, params, "compat");
        int ok = 0;
        const int64_t seed = lk_json_int(j, lk_json_get(j, params, "seed"), &ok);
        if (!lk_json_str_eq(j, lk_json_get(j, 0, "command"), "detect")) {
            lk_errf(r->errmsg, "%s: not the summary of a detect run", path);
            st = LK_EPARSE;
        } else if (compat != LK_JSON_NONE && !lk_json_str_eq(j, compat, "none")) {
            lk_errf(r->errmsg,
                    "'%s' holds the tables of a --compat run; the report needs lockstep's "
                    "own tables",
                    r->dir);
            st = LK_EINVAL;
        } else {
            r->seed = ok && seed >= 0 ? (uint64_t)seed : 1;
            st = copy_json(j, 0, &r->summary, &scratch);
        }
    }
    lk_json_free(j);
    lk_buf_release(&text);
    lk_buf_release(&scratch);
    return st;
}

/* ---- groups.csv, accounts.csv ------------------------------------------------- */

static char *dup_cell(const tbl *t, size_t k)
{
    size_t n;
    const char *s = fstr(t, k, &n);
    char *d = malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static lk_status load_groups(lk_report *r)
{
    static const char *const cols[] = {"group_id",   "size",       "edges",        "density",
                                       "co_actions", "objects",    "component_id", "mean_dt",
                                       "median_dt",  "first_seen", "last_seen",    "traces"};
    tbl t;
    lk_status st = tbl_open(r, &t, "groups.csv", cols, 12, NULL);

    while (st == LK_OK && (st = tbl_next(r, &t)) == LK_OK) {
        lk_rgroup *g;
        double id;
        if ((st = LK_GROW(r->grp, r->ngrp + 1, r->cap_grp)) != LK_OK)
            break;
        g = &r->grp[r->ngrp];
        memset(g, 0, sizeof *g);
        lk_buf_init(&g->objects);
        lk_buf_init(&g->evidence);
        r->ngrp++;
        if ((st = fnum(r, &t, 0, &id)) != LK_OK)
            break;
        if (id != (double)r->ngrp) {
            lk_errf(r->errmsg, "%s:%llu: groups are not numbered 1, 2, ... in order", t.path,
                    (unsigned long long)t.row.line);
            st = LK_EPARSE;
            break;
        }
        for (size_t k = 0; k < RG_N && st == LK_OK; k++)
            st = fnum(r, &t, k + 1, &g->v[k]);
        if (st == LK_OK && (!(g->first_seen = dup_cell(&t, 9)) ||
                            !(g->last_seen = dup_cell(&t, 10)) || !(g->traces = dup_cell(&t, 11))))
            st = LK_ENOMEM;
    }
    tbl_close(&t);
    return st == LK_EOF ? LK_OK : st;
}

static lk_status load_accounts(lk_report *r)
{
    static const char *const cols[] = {
        "account_id",       "group_id", "degree",  "co_actions",
        "component_id",     "strength", "actions", "coordinated_actions",
        "coordinated_share"};
    size_t cap_of = 0;
    tbl t;
    lk_status st = tbl_open(r, &t, "accounts.csv", cols, 9, NULL);

    while (st == LK_OK && (st = tbl_next(r, &t)) == LK_OK) {
        lk_racct *a;
        size_t n;
        const char *s = fstr(&t, 0, &n);
        uint32_t id;
        int is_new;
        if ((st = LK_GROW(r->acc, r->nacc + 1, r->cap_acc)) != LK_OK ||
            (st = lk_strpool_intern(r->pool, s, n, &id, &is_new)) != LK_OK)
            break;
        if (!is_new) {
            lk_errf(r->errmsg, "%s:%llu: account listed twice", t.path,
                    (unsigned long long)t.row.line);
            st = LK_EPARSE;
            break;
        }
        if ((st = LK_GROW(r->acc_of_name, (size_t)id + 1, cap_of)) != LK_OK)
            break;
        r->acc_of_name[id] = (uint32_t)r->nacc;
        a = &r->acc[r->nacc++];
        a->name = id;
        a->node = -1;
        a->listed = -1;
        if ((st = fgroup(r, &t, 1, &a->group)) != LK_OK)
            break;
        for (size_t k = 0; k < RA_N && st == LK_OK; k++)
            st = fnum(r, &t, k + 2, &a->v[k]);
    }
    tbl_close(&t);
    return st == LK_EOF ? LK_OK : st;
}

/* ---- what is drawn -------------------------------------------------------------- */

typedef struct strong {
    double strength;
    uint32_t acc;
} strong;

/* strongest first, then accounts.csv order */
static int cmp_strength(const void *x, const void *y)
{
    const strong *a = x, *b = y;

    if (a->strength != b->strength)
        return a->strength > b->strength ? -1 : 1;
    return (a->acc > b->acc) - (a->acc < b->acc);
}

static lk_status select_nodes(lk_report *r)
{
    const size_t maxn = r->o.max_nodes;
    strong *members = NULL;
    uint32_t *count = calloc(LK_MAX(r->ngrp, (size_t)1), sizeof *count);
    size_t total = 0, nm = 0;

    if (!count)
        return LK_ENOMEM;
    for (size_t i = 0; i < r->nacc; i++)
        count[r->acc[i].group]++;
    for (size_t g = 0; g < r->ngrp; g++) {
        if (total + count[g] <= maxn) {
            r->grp[g].detail = 1;
            total += count[g];
        } else if (g == 0) {
            r->grp[g].detail = 2;
            break;
        } else {
            break;
        }
    }
    if (r->ngrp > 0 && r->grp[0].detail == 2) {
        /* the first group alone is too large: its strongest members */
        if (!(members = malloc(LK_MAX(count[0], 1u) * sizeof *members))) {
            free(count);
            return LK_ENOMEM;
        }
        for (size_t i = 0; i < r->nacc; i++)
            if (r->acc[i].group == 0) {
                /* an empty strength sorts last */
                const double sv = r->acc[i].v[RA_STRENGTH];
                members[nm].strength = isnan(sv) ? -INFINITY : sv;
                members[nm++].acc = (uint32_t)i;
            }
        lk_qsort(members, nm, sizeof *members, cmp_strength);
        for (size_t k = 0; k < maxn && k < nm; k++)
            r->acc[members[k].acc].node = 0;
    } else {
        for (size_t i = 0; i < r->nacc; i++)
            if (r->grp[r->acc[i].group].detail)
                r->acc[i].node = 0;
    }
    free(members);
    free(count);
    /* nodes and the listed accounts in accounts.csv order */
    r->node_acc = malloc(LK_MAX(maxn, (size_t)1) * sizeof *r->node_acc);
    if (!r->node_acc)
        return LK_ENOMEM;
    for (size_t i = 0; i < r->nacc; i++) {
        lk_racct *a = &r->acc[i];
        if (a->node == 0) {
            a->node = (int32_t)r->nnodes;
            r->node_acc[r->nnodes++] = (uint32_t)i;
            r->grp[a->group].drawn++;
        }
    }
    {
        size_t others = r->o.max_accounts > r->nnodes ? r->o.max_accounts - r->nnodes : 0;
        for (size_t i = 0; i < r->nacc; i++) {
            lk_racct *a = &r->acc[i];
            if (a->node >= 0 || others > 0) {
                if (a->node < 0)
                    others--;
                a->listed = (int32_t)r->nlisted++;
            }
        }
    }
    return LK_OK;
}

/* ---- edges.csv ------------------------------------------------------------------ */

/* heaviest first, then file order */
static int cmp_edge_weight(const void *x, const void *y)
{
    const lk_redge *a = x, *b = y;

    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static int cmp_edge_order(const void *x, const void *y)
{
    const lk_redge *a = x, *b = y;

    return (a->order > b->order) - (a->order < b->order);
}

/* Keep the max_edges heaviest edges among drawn nodes; memory stays within
 * twice the limit however many edges the folder has. */
static lk_status keep_edge(lk_report *r, const lk_redge *e)
{
    lk_status st;

    if (r->nedges == 2 * (size_t)r->o.max_edges) {
        lk_qsort(r->edge, r->nedges, sizeof *r->edge, cmp_edge_weight);
        r->nedges = r->o.max_edges;
    }
    if ((st = LK_GROW(r->edge, r->nedges + 1, r->cap_edges)) != LK_OK)
        return st;
    r->edge[r->nedges++] = *e;
    return LK_OK;
}

static lk_status load_edges(lk_report *r)
{
    static const char *const cols[] = {"account_a", "account_b", "group_id",   "weight",
                                       "score",     "sync",      "co_actions", "mean_dt"};
    tbl t;
    lk_status st = tbl_open(r, &t, "edges.csv", cols, 8, NULL);

    while (st == LK_OK && (st = tbl_next(r, &t)) == LK_OK) {
        const uint32_t a = facc(r, &t, 0), b = facc(r, &t, 1);
        lk_redge e;
        size_t glen;
        uint32_t g;
        r->edges_total++;
        if (a == UINT32_MAX || b == UINT32_MAX) {
            lk_errf(r->errmsg, "%s:%llu: an account not in accounts.csv", t.path,
                    (unsigned long long)t.row.line);
            st = LK_EPARSE;
            break;
        }
        memset(&e, 0, sizeof e);
        if ((st = fnum(r, &t, 3, &e.weight)) != LK_OK || (st = fnum(r, &t, 4, &e.score)) != LK_OK ||
            (st = fnum(r, &t, 5, &e.sync)) != LK_OK ||
            (st = fnum(r, &t, 6, &e.co_actions)) != LK_OK ||
            (st = fnum(r, &t, 7, &e.mean_dt)) != LK_OK)
            break;
        (void)fstr(&t, 2, &glen);
        if (glen > 0) {
            if ((st = fgroup(r, &t, 2, &g)) != LK_OK)
                break;
            r->grp[g].nedges++;
            if (!isnan(e.score))
                r->grp[g].score_sum += e.score;
            if (!isnan(e.sync)) {
                r->grp[g].sync_sum += e.sync;
                r->grp[g].sync_n++;
            }
        }
        if (r->acc[a].node < 0 || r->acc[b].node < 0 || r->o.max_edges == 0)
            continue;
        e.a = (uint32_t)r->acc[a].node;
        e.b = (uint32_t)r->acc[b].node;
        e.order = r->edges_total;
        if (isnan(e.weight) || e.weight <= 0)
            e.weight = 1;
        if ((st = keep_edge(r, &e)) != LK_OK)
            break;
    }
    tbl_close(&t);
    if (st != LK_EOF)
        return st;
    if (r->nedges > r->o.max_edges) {
        lk_qsort(r->edge, r->nedges, sizeof *r->edge, cmp_edge_weight);
        r->nedges = r->o.max_edges;
    }
    lk_qsort(r->edge, r->nedges, sizeof *r->edge, cmp_edge_order);
    return LK_OK;
}

/* ---- layout ---------------------------------------------------------------------- */

/* Fruchterman-Reingold over the drawn nodes and edges, scaled into the box
 * [0, 1000]^2 with the aspect kept.  The page prints one decimal, so tiny
 * floating-point differences between machines rarely show. */
static lk_status layout(lk_report *r)
{
    const size_t n = r->nnodes, m = r->nedges;
    uint32_t *u = malloc(LK_MAX(m, (size_t)1) * sizeof *u);
    uint32_t *v = malloc(LK_MAX(m, (size_t)1) * sizeof *v);
    double *w = malloc(LK_MAX(m, (size_t)1) * sizeof *w);
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY}, span;
    lk_status st = LK_ENOMEM;

    r->xy = calloc(LK_MAX(2 * n, (size_t)2), sizeof *r->xy);
    if (!u || !v || !w || !r->xy)
        goto done;
    for (size_t k = 0; k < m; k++) {
        u[k] = r->edge[k].a;
        v[k] = r->edge[k].b;
        w[k] = r->edge[k].weight;
    }
    if ((st = lk_layout(n, m, u, v, w, r->seed, r->xy, r->errmsg)) != LK_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 2; d++) {
            lo[d] = fmin(lo[d], r->xy[2 * i + (size_t)d]);
            hi[d] = fmax(hi[d], r->xy[2 * i + (size_t)d]);
        }
    span = n ? fmax(hi[0] - lo[0], hi[1] - lo[1]) : 0;
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 2; d++) {
            double *c = &r->xy[2 * i + (size_t)d];
            /* centred in the box when the other axis is shorter */
            *c = span > 0
                     ? (*c - lo[d]) / span * 1000.0 + (1000.0 - (hi[d] - lo[d]) / span * 1000.0) / 2
                     : 500.0;
        }
done:
    free(u);
    free(v);
    free(w);
    return st;
}

/* ---- group_objects.csv, evidence.csv ------------------------------------------------ */

/*
 * member_times as [[account, epoch ms], ...]: the cell is "acc@time;acc@time"
 * and account ids may themselves hold '@' and ';', so an entry ends at the
 * first '@' that is followed by a valid time running up to a ';' or the end.
 * At most LK_REPORT_MAX_TIMES entries; *total counts them all.
 */
static lk_status put_member_times(lk_buf *b, const char *s, size_t n, uint64_t *total)
{
    size_t pos = 0, kept = 0;
    lk_status st = lk_buf_putc(b, '[');

    *total = 0;
    while (st == LK_OK && pos < n) {
        size_t at = pos, end = 0;
        int64_t ms = 0;
        const char *why;
        for (; at < n; at++) {
            const char *semi;
            if (s[at] != '@')
                continue;
            semi = memchr(s + at + 1, ';', n - at - 1);
            end = semi ? (size_t)(semi - s) : n;
            if (end > at + 1 && lk_parse_time(s + at + 1, end - at - 1, &ms, &why) == LK_OK)
                break;
        }
        if (at >= n)
            break; /* no time: not a cell we wrote */
        if (kept < LK_REPORT_MAX_TIMES) {
            if ((kept && (st = lk_buf_putc(b, ',')) != LK_OK) ||
                (st = lk_buf_putc(b, '[')) != LK_OK ||
                (st = lk_report_str(b, s + pos, at - pos)) != LK_OK ||
                (st = lk_buf_printf(b, ",%lld]", (long long)ms)) != LK_OK)
                break;
            kept++;
        }
        (*total)++;
        pos = end + 1;
    }
    return st == LK_OK ? lk_buf_putc(b, ']') : st;
}

static lk_status load_objects(lk_report *r)
{
    static const char *const cols[] = {"group_id",  "rank",     "trace",
                                       "object",    "members",  "first_time",
                                       "last_time", "spread_s", "member_times"};
    tbl t;
    lk_status st = tbl_open(r, &t, "group_objects.csv", cols, 9, NULL);

    while (st == LK_OK && (st = tbl_next(r, &t)) == LK_OK) {
        uint32_t g;
        double rank, members, spread;
        uint64_t total;
        size_t n;
        lk_buf *b;
        const char *s;
        if ((st = fgroup(r, &t, 0, &g)) != LK_OK)
            break;
        if (!r->grp[g].detail)
            continue;
        if ((st = fnum(r, &t, 1, &rank)) != LK_OK || (st = fnum(r, &t, 4, &members)) != LK_OK ||
            (st = fnum(r, &t, 7, &spread)) != LK_OK)
            break;
        b = &r->grp[g].objects;
        if ((b->len && (st = lk_buf_putc(b, ',')) != LK_OK) || (st = lk_buf_putc(b, '[')) ||
            (st = lk_report_num(b, rank)) || (st = lk_buf_putc(b, ',')))
            break;
        for (size_t k = 2; k <= 6 && st == LK_OK; k++) {
            if (k == 4)
                st = lk_report_num(b, members);
            else {
                s = fstr(&t, k, &n);
                st = lk_report_str(b, s, n);
            }
            if (st == LK_OK)
                st = lk_buf_putc(b, ',');
        }
        s = fstr(&t, 8, &n);
        if (st != LK_OK || (st = lk_report_num(b, spread)) || (st = lk_buf_putc(b, ',')))
            break;
        {
            /* the count goes before the list: write the list aside first */
            lk_buf times;
            lk_buf_init(&times);
            st = put_member_times(&times, s, n, &total);
            if (st == LK_OK && (st = lk_buf_printf(b, "%llu,", (unsigned long long)total)) == LK_OK)
                st = lk_buf_append(b, times.p, times.len);
            lk_buf_release(&times);
        }
        if (st == LK_OK)
            st = lk_buf_putc(b, ']');
    }
    tbl_close(&t);
    return st == LK_EOF ? LK_OK : st;
}

static lk_status load_evidence(lk_report *r)
{
    static const char *const cols[] = {"account_a", "account_b", "trace",     "object",
                                       "time_a",    "time_b",    "content_a", "content_b",
                                       "dt",        "co_actions"};
    int absent = 0;
    tbl t;
    lk_status st = tbl_open(r, &t, "evidence.csv", cols, 10, &absent);

    if (st != LK_OK || absent) {
        tbl_close(&t);
        return st;
    }
    r->have_evidence = 1;
    while ((st = tbl_next(r, &t)) == LK_OK) {
        const uint32_t a = facc(r, &t, 0), b = facc(r, &t, 1);
        double num[2];
        lk_rgroup *g;
        lk_buf *o;
        size_t n;
        const char *s;
        if (a == UINT32_MAX || b == UINT32_MAX || r->acc[a].group != r->acc[b].group ||
            r->acc[a].node < 0 || r->acc[b].node < 0)
            continue;
        g = &r->grp[r->acc[a].group];
        if (g->nevidence >= LK_REPORT_MAX_EVIDENCE)
            continue;
        if ((st = fnum(r, &t, 8, &num[0])) != LK_OK || (st = fnum(r, &t, 9, &num[1])) != LK_OK)
            break;
        o = &g->evidence;
        if ((o->len && (st = lk_buf_putc(o, ',')) != LK_OK) || (st = lk_buf_putc(o, '[')))
            break;
        for (size_t k = 0; k < 8 && st == LK_OK; k++) {
            s = fstr(&t, k, &n);
            if ((st = lk_report_str(o, s, n)) == LK_OK)
                st = lk_buf_putc(o, ',');
        }
        if (st != LK_OK || (st = lk_report_num(o, num[0])) || (st = lk_buf_putc(o, ',')) ||
            (st = lk_report_num(o, num[1])) || (st = lk_buf_putc(o, ']')))
            break;
        g->nevidence++;
    }
    tbl_close(&t);
    return st == LK_EOF ? LK_OK : st;
}

/* ---- entry points --------------------------------------------------------------- */

static void report_release(lk_report *r)
{
    for (size_t g = 0; g < r->ngrp; g++) {
        free(r->grp[g].first_seen);
        free(r->grp[g].last_seen);
        free(r->grp[g].traces);
        lk_buf_release(&r->grp[g].objects);
        lk_buf_release(&r->grp[g].evidence);
    }
    free(r->grp);
    free(r->acc);
    free(r->acc_of_name);
    free(r->node_acc);
    free(r->xy);
    free(r->edge);
    free(r->dir);
    lk_strpool_free(r->pool);
    lk_buf_release(&r->summary);
}

/* Split an output path into folder and file name. */
static lk_status split_out(const char *path, char **dir, const char **name)
{
    const char *slash = strrchr(path, '/');

    if (!slash) {
        *name = path;
        *dir = strdup(".");
    } else {
        const size_t n = slash == path ? 1 : (size_t)(slash - path);
        *name = slash + 1;
        if ((*dir = malloc(n + 1)) != NULL) {
            memcpy(*dir, path, n);
            (*dir)[n] = '\0';
        }
    }
    return *dir ? LK_OK : LK_ENOMEM;
}

lk_status lk_report_write(const lk_report_opts *o, char *errbuf, size_t errlen)
{
    char eb[LK_ERRMSG_MAX] = "";
    char *out_dir = NULL;
    const char *out_name = "report.html";
    lk_report r;
    lk_status st;
    double t0;

    memset(&r, 0, sizeof r);
    lk_buf_init(&r.summary);
    r.errmsg = eb;
    if (!o || !o->dir || !*o->dir || o->max_nodes == 0 || o->max_accounts < o->max_nodes) {
        lk_errf(eb, "bad report options (a folder, max_nodes > 0, max_accounts >= max_nodes)");
        st = LK_EINVAL;
        goto done;
    }
    r.o = *o;
    if (!(r.dir = strdup(o->dir))) {
        st = LK_ENOMEM;
        goto done;
    }
    if ((st = o->out ? split_out(o->out, &out_dir, &out_name) : LK_OK) != LK_OK)
        goto done;
    if (!*out_name) {
        lk_errf(eb, "'%s' is a folder, not a file name", o->out);
        st = LK_EINVAL;
        goto done;
    }
    t0 = (double)clock();
    if ((st = lk_strpool_new(&r.pool)) != LK_OK || (st = load_summary(&r)) != LK_OK ||
        (st = load_groups(&r)) != LK_OK || (st = load_accounts(&r)) != LK_OK ||
        (st = select_nodes(&r)) != LK_OK || (st = load_edges(&r)) != LK_OK ||
        (st = layout(&r)) != LK_OK || (st = load_objects(&r)) != LK_OK ||
        (st = load_evidence(&r)) != LK_OK)
        goto done;
    st = lk_report_emit(&r, out_dir ? out_dir : r.dir, out_name);
    lk_log(LK_LOG_INFO, "report: %zu of %zu accounts drawn, %zu of %llu edges; %.3f s CPU",
           r.nnodes, r.nacc, r.nedges, (unsigned long long)r.edges_total,
           ((double)clock() - t0) / CLOCKS_PER_SEC);
done:
    if (st == LK_ENOMEM && !eb[0])
        lk_errf(eb, "report: out of memory");
    if (st != LK_OK && errbuf && errlen)
        (void)snprintf(errbuf, errlen, "%s", eb[0] ? eb : lk_strerror(st));
    free(out_dir);
    report_release(&r);
    return st;
}

lk_status lk_report_dir(const char *dir, char *errbuf)
{
    lk_report_opts o;

    lk_report_opts_init(&o);
    o.dir = dir;
    return lk_report_write(&o, errbuf, LK_ERRMSG_MAX);
}
