/*
 * evaluate.c - score a detect output folder against simulate's truth.csv:
 * account-level precision, recall and F1, the false-positive rate of every
 * non-coordinated label (organic, fan, newsbot, and whatever labels later
 * simulators add), and how whole each planted group comes out.
 *
 * Definitions (also in lockstep-evaluate(1)):
 *  - positives: truth accounts labelled "coordinated"; predicted positives:
 *    the accounts listed in DIR/accounts.csv, i.e. the coordinated network.
 *  - An account in accounts.csv but not in truth.csv is a false positive
 *    ("unknown"): detect only lists accounts it read, so with the matching
 *    truth file this means the wrong truth or a corrupt folder, and hiding
 *    it would flatter precision.
 *  - Every ratio with a zero denominator is 0, so an empty accounts.csv
 *    scores P = R = F1 = 0 rather than NaN, and JSON stays valid.
 *  - A planted group's share is max over detected groups of (its members in
 *    that group) / (its size): recall that counts only members found
 *    *together*.  A group split in two halves scores 0.5 though all its
 *    members are found.  Group recovery is the mean share.
 *
 * Both files are read with the project's CSV scanner over lk_stream (plain,
 * gzip or zstd by magic bytes) and by column name, so extra or reordered
 * columns are fine.  Account ids are interned once (truth first, then the
 * unknown ones from accounts.csv), so memory is a few words per truth
 * account and nothing is allocated per row after that.
 *
 * Depends on io_stream, parse_csv, strpool and out_escape.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_stream.h"
#include "lk_internal.h"
#include "out_escape.h"
#include "parse_csv.h"
#include "strpool.h"

#define NONE      UINT32_MAX       /* no label, planted group or detection */
#define UNGROUPED (UINT32_MAX - 1) /* flagged with an empty group_id */
#define COORD     "coordinated"

/* What a result owns besides its two arrays: the names its structs point
 * at.  Strpool strings never move, so the pointers stay valid. */
typedef struct store {
    lk_strpool *labels, *planted, *detected;
    char *truth, *dir;
} store;

/* Working state of one evaluation.  Per-account arrays are indexed by the
 * id in `acc`; ids below ntruth come from truth.csv. */
typedef struct ev {
    lk_strpool *acc;
    uint32_t *label;    /* label id, NONE for unknown accounts */
    uint32_t *planted;  /* planted group id, NONE when in none */
    uint32_t *detected; /* detected group id, UNGROUPED, or NONE when not flagged */
    uint64_t *tline;    /* line in truth.csv, for duplicate messages */
    uint64_t *aline;    /* line in accounts.csv */
    size_t cap;
    size_t ntruth;
    store *st;
} ev;

/* One open CSV input. */
typedef struct csvin {
    lk_stream *s;
    lk_csv *c;
    const char *name; /* as the stream shows it */
} csvin;

void lk_eval_opts_init(lk_eval_opts *o)
{
    memset(o, 0, sizeof *o);
}

/* ---- per-account arrays ----------------------------------------------------- */

static int resize(void **p, size_t n, size_t elem)
{
    size_t bytes;
    void *q;

    if (lk_mul_size(n, elem, &bytes) != 0)
        return -1;
    q = realloc(*p, bytes);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

/* Room for `need` accounts in every array.  On failure the arrays may have
 * different sizes, but all hold at least e->cap entries, which stays. */
static lk_status grow(ev *e, size_t need)
{
    size_t cap = e->cap;

    if (need <= cap)
        return LK_OK;
    cap = cap ? cap + cap / 2 : 4096;
    if (cap < need)
        cap = need;
    if (resize((void **)&e->label, cap, sizeof *e->label) ||
        resize((void **)&e->planted, cap, sizeof *e->planted) ||
        resize((void **)&e->detected, cap, sizeof *e->detected) ||
        resize((void **)&e->tline, cap, sizeof *e->tline) ||
        resize((void **)&e->aline, cap, sizeof *e->aline))
        return LK_ENOMEM;
    e->cap = cap;
    return LK_OK;
}

/* ---- CSV input ---------------------------------------------------------------- */

static lk_status csv_open(const char *path, csvin *in, char *eb)
{
    lk_status st;

    memset(in, 0, sizeof *in);
    st = lk_stream_open(path, &in->s, eb);
    if (st != LK_OK)
        return st;
    in->name = lk_stream_name(in->s);
    st = lk_csv_open(in->s, ',', &in->c);
    if (st == LK_ENOMEM)
        lk_errf(eb, "%s: out of memory", in->name);
    return st;
}

static void csv_close(csvin *in)
{
    lk_csv_free(in->c);
    lk_stream_close(in->s);
    memset(in, 0, sizeof *in);
}

/* The next record, with every failure turned into a "FILE:LINE: what"
 * message.  Evaluation has no skip mode: a bad row is an error, since a
 * score over part of the truth would be silently wrong. */
static lk_status csv_next(csvin *in, lk_csv_row *r, char *eb)
{
    const lk_status st = lk_csv_next(in->c, r);
    const unsigned long long line = (unsigned long long)lk_csv_errline(in->c);

    if (st == LK_OK || st == LK_EOF)
        return st;
    if (st == LK_EIO) {
        /* the stream's message starts with its name; say the line instead */
        const char *m = lk_stream_errmsg(in->s);
        const size_t nl = strlen(in->name);
        if (strncmp(m, in->name, nl) == 0 && m[nl] == ':' && m[nl + 1] == ' ')
            m += nl + 2;
        lk_errf(eb, "%s:%llu: %s", in->name, line, m);
    } else if (st == LK_ENOMEM) {
        lk_errf(eb, "%s:%llu: out of memory", in->name, line);
    } else {
        lk_errf(eb, "%s:%llu: %s", in->name, line, lk_csv_errmsg(in->c));
    }
    return st;
}

/* Read the header and find each of the `n` columns `want` by exact name
 * (the first of duplicates).  *width receives the header's field count. */
static lk_status csv_header(csvin *in, const char *const *want, size_t n, size_t *idx,
                            size_t *width, char *eb)
{
    lk_csv_row r;
    lk_status st = csv_next(in, &r, eb);

    if (st == LK_EOF) {
        lk_errf(eb, "%s: empty input: no header line", in->name);
        return LK_EPARSE;
    }
    if (st != LK_OK)
        return st;
    *width = r.nfields;
    for (size_t k = 0; k < n; k++) {
        const size_t wl = strlen(want[k]);
        idx[k] = SIZE_MAX;
        for (size_t i = 0; i < r.nfields && idx[k] == SIZE_MAX; i++)
            if (r.len[i] == wl && memcmp(r.field[i], want[k], wl) == 0)
                idx[k] = i;
        if (idx[k] == SIZE_MAX) {
            char cols[200];
            size_t pos = 0;
            cols[0] = '\0';
            for (size_t i = 0; i < r.nfields && pos + 8 < sizeof cols; i++) {
                const int w = snprintf(cols + pos, sizeof cols - pos, "%s'%.*s'", i ? ", " : "",
                                       (int)LK_MIN(r.len[i], (size_t)40), r.field[i]);
                if (w < 0)
                    break;
                pos += (size_t)w;
            }
            lk_errf(eb, "%s:%llu: missing column '%s' (the header has %s)", in->name,
                    (unsigned long long)r.line, want[k], cols);
            return LK_EPARSE;
        }
    }
    return LK_OK;
}

static lk_status check_width(const csvin *in, const lk_csv_row *r, size_t width, char *eb)
{
    if (r->nfields == width)
        return LK_OK;
    lk_errf(eb, "%s:%llu: expected %zu fields as in the header, found %zu", in->name,
            (unsigned long long)r->line, width, r->nfields);
    return LK_EPARSE;
}

/* Intern (s, n) into p with the usual message on overflow. */
static lk_status intern(lk_strpool *p, const char *s, size_t n, uint32_t *id, int *is_new,
                        const csvin *in, uint64_t line, char *eb)
{
    const lk_status st = lk_strpool_intern(p, s, n, id, is_new);
    if (st == LK_ELIMIT)
        lk_errf(eb, "%s:%llu: too many distinct values (over 2^32-2)", in->name,
                (unsigned long long)line);
    else if (st == LK_ENOMEM)
        lk_errf(eb, "%s:%llu: out of memory", in->name, (unsigned long long)line);
    return st;
}

/* ---- reading the two files ------------------------------------------------- */

static lk_status read_truth(ev *e, const char *path, char *eb)
{
    static const char *const cols[] = {"account_id", "label", "group"};
    size_t idx[3], width = 0;
    const size_t coord_len = strlen(COORD);
    csvin in;
    lk_csv_row r;
    lk_status st;

    st = csv_open(path, &in, eb);
    if (st == LK_OK)
        st = csv_header(&in, cols, 3, idx, &width, eb);
    while (st == LK_OK && (st = csv_next(&in, &r, eb)) == LK_OK) {
        const char *acc = r.field[idx[0]], *label = r.field[idx[1]], *group = r.field[idx[2]];
        const size_t alen = r.len[idx[0]], llen = r.len[idx[1]], glen = r.len[idx[2]];
        uint32_t id, lid, gid = NONE;
        int is_new;

        if ((st = check_width(&in, &r, width, eb)) != LK_OK)
            break;
        if (alen == 0) {
            lk_errf(eb, "%s:%llu: empty account_id", in.name, (unsigned long long)r.line);
            st = LK_EPARSE;
            break;
        }
        if (llen == 0) {
            lk_errf(eb, "%s:%llu: empty label for account '%.*s'", in.name,
                    (unsigned long long)r.line, (int)LK_MIN(alen, (size_t)80), acc);
            st = LK_EPARSE;
            break;
        }
        if ((st = intern(e->acc, acc, alen, &id, &is_new, &in, r.line, eb)) != LK_OK)
            break;
        if (!is_new) {
            lk_errf(eb, "%s:%llu: duplicate account '%.*s' (first on line %llu)", in.name,
                    (unsigned long long)r.line, (int)LK_MIN(alen, (size_t)80), acc,
                    (unsigned long long)e->tline[id]);
            st = LK_EPARSE;
            break;
        }
        if ((st = intern(e->st->labels, label, llen, &lid, NULL, &in, r.line, eb)) != LK_OK)
            break;
        /* `group` only means something for coordinated accounts: other
         * labels may carry other annotations there in later simulators */
        if (glen && llen == coord_len && memcmp(label, COORD, coord_len) == 0 &&
            (st = intern(e->st->planted, group, glen, &gid, NULL, &in, r.line, eb)) != LK_OK)
            break;
        if (grow(e, (size_t)id + 1) != LK_OK) {
            lk_errf(eb, "%s:%llu: out of memory", in.name, (unsigned long long)r.line);
            st = LK_ENOMEM;
            break;
        }
        e->label[id] = lid;
        e->planted[id] = gid;
        e->detected[id] = NONE;
        e->tline[id] = r.line;
    }
    if (st == LK_EOF)
        st = LK_OK;
    e->ntruth = lk_strpool_count(e->acc);
    csv_close(&in);
    return st;
}

/* DIR/accounts.csv, or a compressed copy of it (the folder may have been
 * packed after the run; the codec is still sniffed from the bytes). */
static lk_status find_accounts(const char *dir, char **path_out, char *eb)
{
    static const char *const names[] = {"accounts.csv", "accounts.csv.gz", "accounts.csv.zst"};
    const size_t dl = strlen(dir);
    const char *sep = dl && dir[dl - 1] == '/' ? "" : "/";
    struct stat sb;

    if (stat(dir, &sb) != 0) {
        lk_errf(eb, "cannot open folder '%s': %s", dir, strerror(errno));
        return LK_EIO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        lk_errf(eb, "'%s' is not a folder (expected a lockstep detect output folder)", dir);
        return LK_EIO;
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const size_t len = dl + strlen(names[k]) + 2;
        char *p = malloc(len);
        if (!p)
            return LK_ENOMEM;
        (void)snprintf(p, len, "%s%s%s", dir, sep, names[k]);
        if (access(p, F_OK) == 0) {
            *path_out = p;
            return LK_OK;
        }
        free(p);
    }
    lk_errf(eb, "'%s' has no accounts.csv (not a lockstep detect output folder?)", dir);
    return LK_EIO;
}

static lk_status read_accounts(ev *e, const char *path, char *eb)
{
    static const char *const cols[] = {"account_id", "group_id"};
    size_t idx[2], width = 0;
    csvin in;
    lk_csv_row r;
    lk_status st;

    st = csv_open(path, &in, eb);
    if (st == LK_OK)
        st = csv_header(&in, cols, 2, idx, &width, eb);
    while (st == LK_OK && (st = csv_next(&in, &r, eb)) == LK_OK) {
        const char *acc = r.field[idx[0]], *grp = r.field[idx[1]];
        const size_t alen = r.len[idx[0]], glen = r.len[idx[1]];
        uint32_t id, did = UNGROUPED;
        int is_new;

        if ((st = check_width(&in, &r, width, eb)) != LK_OK)
            break;
        if (alen == 0) {
            lk_errf(eb, "%s:%llu: empty account_id", in.name, (unsigned long long)r.line);
            st = LK_EPARSE;
            break;
        }
        if ((st = intern(e->acc, acc, alen, &id, &is_new, &in, r.line, eb)) != LK_OK)
            break;
        if (is_new) { /* not in truth: an unknown account */
            if (grow(e, (size_t)id + 1) != LK_OK) {
                lk_errf(eb, "%s:%llu: out of memory", in.name, (unsigned long long)r.line);
                st = LK_ENOMEM;
                break;
            }
            e->label[id] = NONE;
            e->planted[id] = NONE;
            e->detected[id] = NONE;
        }
        if (e->detected[id] != NONE) {
            lk_errf(eb, "%s:%llu: duplicate account '%.*s' (first on line %llu)", in.name,
                    (unsigned long long)r.line, (int)LK_MIN(alen, (size_t)80), acc,
                    (unsigned long long)e->aline[id]);
            st = LK_EPARSE;
            break;
        }
        if (glen && (st = intern(e->st->detected, grp, glen, &did, NULL, &in, r.line, eb)) != LK_OK)
            break;
        e->detected[id] = did;
        e->aline[id] = r.line;
    }
    if (st == LK_EOF)
        st = LK_OK;
    csv_close(&in);
    return st;
}

/* ---- scoring ------------------------------------------------------------------ */

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : 0.0;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Group names in a natural order: numbers (all digits) by value before
 * everything else, the rest by bytes; exact ties by bytes.  Comparing
 * numbers with numbers only keeps the order total. */
static int cmp_name(const char *a, size_t na, const char *b, size_t nb)
{
    const int da = all_digits(a, na), db = all_digits(b, nb);
    int c;

    if (da != db)
        return da ? -1 : 1;
    if (da) {
        const char *x = a, *y = b;
        size_t nx = na, ny = nb;
        while (nx > 1 && *x == '0')
            x++, nx--;
        while (ny > 1 && *y == '0')
            y++, ny--;
        if (nx != ny)
            return nx < ny ? -1 : 1;
        if ((c = memcmp(x, y, nx)) != 0)
            return c;
    }
    c = memcmp(a, b, LK_MIN(na, nb));
    return c ? c : (na > nb) - (na < nb);
}

/* A pool string with its id: sorting these needs no global pointer to the
 * pool (qsort has no context argument), so evaluations stay reentrant. */
typedef struct named {
    const char *s;
    size_t n;
    uint32_t id;
} named;

static int cmp_named_natural(const void *a, const void *b)
{
    const named *x = a, *y = b;
    return cmp_name(x->s, x->n, y->s, y->n);
}

static int cmp_named_bytes(const void *a, const void *b)
{
    const named *x = a, *y = b;
    const int c = memcmp(x->s, y->s, LK_MIN(x->n, y->n));
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The ids of pool p in sorted order (caller frees). */
static named *sorted_names(const lk_strpool *p, int (*cmp)(const void *, const void *))
{
    const size_t n = lk_strpool_count(p);
    named *v = calloc(LK_MAX(n, (size_t)1), sizeof *v);

    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i].id = (uint32_t)i;
        v[i].s = lk_strpool_get(p, (uint32_t)i, &v[i].n);
    }
    lk_qsort(v, n, sizeof *v, cmp);
    return v;
}

/* (planted group, rank of detected group) of one flagged member. */
typedef struct pair {
    uint32_t planted, drank;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->planted != y->planted)
        return (x->planted > y->planted) - (x->planted < y->planted);
    return (x->drank > y->drank) - (x->drank < y->drank);
}

static lk_status score(const ev *e, lk_eval_result *r)
{
    const store *st = e->st;
    const size_t nacc = lk_strpool_count(e->acc), nl = lk_strpool_count(st->labels);
    const size_t np = lk_strpool_count(st->planted), nd = lk_strpool_count(st->detected);
    uint32_t coord = NONE;
    uint64_t *lab_n = calloc(LK_MAX(nl, (size_t)1), sizeof *lab_n);
    uint64_t *lab_f = calloc(LK_MAX(nl, (size_t)1), sizeof *lab_f);
    uint64_t *dsize = calloc(LK_MAX(nd, (size_t)1), sizeof *dsize);
    uint32_t *drank = malloc(LK_MAX(nd, (size_t)1) * sizeof *drank);
    uint32_t *pidx = malloc(LK_MAX(np, (size_t)1) * sizeof *pidx);
    named *lsort = sorted_names(st->labels, cmp_named_bytes);
    named *psort = sorted_names(st->planted, cmp_named_natural);
    named *dsort = sorted_names(st->detected, cmp_named_natural);
    pair *pairs = NULL;
    size_t npairs = 0, cap_pairs = 0, k;
    double share_sum = 0;
    lk_status ret = LK_ENOMEM;

    if (!lab_n || !lab_f || !dsize || !drank || !pidx || !lsort || !psort || !dsort)
        goto cleanup;
    (void)lk_strpool_find(st->labels, COORD, strlen(COORD), &coord);
    for (k = 0; k < nd; k++)
        drank[dsort[k].id] = (uint32_t)k;
    for (size_t id = 0; id < nacc; id++) {
        const uint32_t d = e->detected[id];
        if (d == NONE)
            continue;
        r->flagged++;
        if (d != UNGROUPED)
            dsize[d]++;
    }
    for (size_t id = 0; id < e->ntruth; id++) {
        const uint32_t d = e->detected[id];
        lab_n[e->label[id]]++;
        if (d != NONE)
            lab_f[e->label[id]]++;
        if (d == NONE || d == UNGROUPED || e->planted[id] == NONE)
            continue;
        if (LK_GROW(pairs, npairs + 1, cap_pairs) != LK_OK)
            goto cleanup;
        pairs[npairs].planted = e->planted[id];
        pairs[npairs].drank = drank[d];
        npairs++;
    }
    r->truth_accounts = e->ntruth;
    r->unknown_accounts = nacc - e->ntruth;
    r->detected_groups = nd;
    if (coord != NONE) {
        r->positives = lab_n[coord];
        r->tp = lab_f[coord];
    }
    r->fp = r->flagged - r->tp;
    r->fn = r->positives - r->tp;
    r->precision = ratio(r->tp, r->tp + r->fp);
    r->recall = ratio(r->tp, r->tp + r->fn);
    r->f1 = ratio(2 * r->tp, 2 * r->tp + r->fp + r->fn);

    r->nclasses = nl - (coord != NONE);
    r->classes = calloc(LK_MAX(r->nclasses, (size_t)1), sizeof *r->classes);
    r->ngroups = np;
    r->groups = calloc(LK_MAX(np, (size_t)1), sizeof *r->groups);
    if (!r->classes || !r->groups)
        goto cleanup;
    for (size_t i = 0, c = 0; i < nl; i++) {
        const uint32_t l = lsort[i].id;
        if (l == coord)
            continue;
        r->classes[c].label = lsort[i].s;
        r->classes[c].accounts = lab_n[l];
        r->classes[c].flagged = lab_f[l];
        r->classes[c].rate = ratio(lab_f[l], lab_n[l]);
        c++;
    }
    for (k = 0; k < np; k++) {
        pidx[psort[k].id] = (uint32_t)k;
        r->groups[k].group = psort[k].s;
    }
    for (size_t id = 0; id < e->ntruth; id++) {
        if (e->planted[id] == NONE)
            continue;
        lk_eval_group *g = &r->groups[pidx[e->planted[id]]];
        g->size++;
        g->found += e->detected[id] != NONE;
    }
    /* Runs of equal (planted, detected) are the members of a planted group
     * in one detected group; detected groups come in natural order, so
     * keeping only strictly larger runs breaks ties towards the smallest. */
    lk_qsort(pairs, npairs, sizeof *pairs, cmp_pair);
    for (size_t i = 0; i < npairs;) {
        size_t j = i;
        lk_eval_group *g = &r->groups[pidx[pairs[i].planted]];
        while (j < npairs && pairs[j].planted == pairs[i].planted &&
               pairs[j].drank == pairs[i].drank)
            j++;
        if (j - i > g->best_members) {
            const uint32_t d = dsort[pairs[i].drank].id;
            g->best_members = j - i;
            g->best = dsort[pairs[i].drank].s;
            g->best_others = dsize[d] - g->best_members;
        }
        i = j;
    }
    for (k = 0; k < np; k++) {
        r->groups[k].share = ratio(r->groups[k].best_members, r->groups[k].size);
        share_sum += r->groups[k].share;
    }
    r->group_recovery = np ? share_sum / (double)np : 0.0;
    ret = LK_OK;

cleanup:
    free(lab_n);
    free(lab_f);
    free(dsize);
    free(drank);
    free(pidx);
    free(lsort);
    free(psort);
    free(dsort);
    free(pairs);
    return ret;
}

/* ---- the result ------------------------------------------------------------- */

static void store_free(store *s)
{
    if (!s)
        return;
    lk_strpool_free(s->labels);
    lk_strpool_free(s->planted);
    lk_strpool_free(s->detected);
    free(s->truth);
    free(s->dir);
    free(s);
}

void lk_eval_result_release(lk_eval_result *r)
{
    if (!r)
        return;
    free(r->classes);
    free(r->groups);
    store_free(r->priv_);
    memset(r, 0, sizeof *r);
}

static void seterr(char *errbuf, size_t errlen, const char *msg)
{
    if (errbuf && errlen)
        (void)snprintf(errbuf, errlen, "%s", msg);
}

lk_status lk_evaluate(const lk_eval_opts *o, lk_eval_result *r, char *errbuf, size_t errlen)
{
    char eb[LK_ERRMSG_MAX] = "";
    char *apath = NULL;
    lk_eval_result res;
    ev e;
    lk_status st;

    memset(&res, 0, sizeof res);
    memset(&e, 0, sizeof e);
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (r)
        memset(r, 0, sizeof *r);
    if (!o || !r) {
        seterr(errbuf, errlen, "lk_evaluate: NULL argument");
        return LK_EINVAL;
    }
    if (!o->truth || !*o->truth || !o->dir || !*o->dir) {
        seterr(errbuf, errlen,
               !o->truth || !*o->truth ? "no truth file given" : "no detect output folder given");
        return LK_EINVAL;
    }
    st = LK_ENOMEM;
    if (!(e.st = calloc(1, sizeof *e.st)) || lk_strpool_new(&e.acc) != LK_OK ||
        lk_strpool_new(&e.st->labels) != LK_OK || lk_strpool_new(&e.st->planted) != LK_OK ||
        lk_strpool_new(&e.st->detected) != LK_OK || !(e.st->truth = strdup(o->truth)) ||
        !(e.st->dir = strdup(o->dir)))
        goto cleanup;
    if ((st = read_truth(&e, o->truth, eb)) != LK_OK ||
        (st = find_accounts(o->dir, &apath, eb)) != LK_OK ||
        (st = read_accounts(&e, apath, eb)) != LK_OK)
        goto cleanup;
    res.truth = e.st->truth;
    res.dir = e.st->dir;
    if ((st = score(&e, &res)) != LK_OK)
        goto cleanup;
    res.priv_ = e.st;
    e.st = NULL; /* now owned by res */
    lk_log(LK_LOG_INFO,
           "evaluate: %llu truth accounts, %llu flagged, %llu planted groups, %llu detected "
           "groups",
           (unsigned long long)res.truth_accounts, (unsigned long long)res.flagged,
           (unsigned long long)res.ngroups, (unsigned long long)res.detected_groups);
    if (o->out && (st = lk_eval_write_json(&res, o->out, eb, sizeof eb)) != LK_OK)
        goto cleanup;
    *r = res;
    memset(&res, 0, sizeof res);

cleanup:
    if (st == LK_ENOMEM && !eb[0])
        lk_errf(eb, "out of memory");
    if (st != LK_OK)
        seterr(errbuf, errlen, eb);
    lk_eval_result_release(&res);
    store_free(e.st);
    lk_strpool_free(e.acc);
    free(e.label);
    free(e.planted);
    free(e.detected);
    free(e.tline);
    free(e.aline);
    free(apath);
    return st;
}

/* ---- the JSON report ---------------------------------------------------------- */

static lk_status put_str(lk_buf *b, const char *s)
{
    lk_status st = lk_buf_putc(b, '"');
    if (st == LK_OK)
        st = lk_esc_json(b, s ? s : "", s ? strlen(s) : 0);
    if (st == LK_OK)
        st = lk_buf_putc(b, '"');
    return st;
}

#define TRY(x)                   \
    do {                         \
        if ((st = (x)) != LK_OK) \
            return st;           \
    } while (0)

/* Key order is part of the format: consumers and golden files rely on it. */
static lk_status build_json(const lk_eval_result *r, lk_buf *b)
{
    lk_status st;

    TRY(lk_buf_printf(b, "{\n  \"truth\": "));
    TRY(put_str(b, r->truth));
    TRY(lk_buf_printf(b, ",\n  \"dir\": "));
    TRY(put_str(b, r->dir));
    TRY(lk_buf_printf(b,
                      ",\n  \"truth_accounts\": %llu,\n  \"positives\": %llu,\n"
                      "  \"flagged\": %llu,\n  \"true_positives\": %llu,\n"
                      "  \"false_positives\": %llu,\n  \"false_negatives\": %llu,\n"
                      "  \"unknown_accounts\": %llu,\n",
                      (unsigned long long)r->truth_accounts, (unsigned long long)r->positives,
                      (unsigned long long)r->flagged, (unsigned long long)r->tp,
                      (unsigned long long)r->fp, (unsigned long long)r->fn,
                      (unsigned long long)r->unknown_accounts));
    TRY(lk_buf_printf(b,
                      "  \"precision\": %.6g,\n  \"recall\": %.6g,\n  \"f1\": %.6g,\n"
                      "  \"detected_groups\": %llu,\n  \"group_recovery\": %.6g,\n",
                      r->precision, r->recall, r->f1, (unsigned long long)r->detected_groups,
                      r->group_recovery));
    TRY(lk_buf_printf(b, "  \"false_positive_rate\": {"));
    for (size_t i = 0; i < r->nclasses; i++) {
        const lk_eval_class *c = &r->classes[i];
        TRY(lk_buf_printf(b, "%s\n    ", i ? "," : ""));
        TRY(put_str(b, c->label));
        TRY(lk_buf_printf(b, ": {\"accounts\": %llu, \"flagged\": %llu, \"rate\": %.6g}",
                          (unsigned long long)c->accounts, (unsigned long long)c->flagged,
                          c->rate));
    }
    TRY(lk_buf_printf(b, "%s},\n  \"planted_groups\": [", r->nclasses ? "\n  " : ""));
    for (size_t i = 0; i < r->ngroups; i++) {
        const lk_eval_group *g = &r->groups[i];
        TRY(lk_buf_printf(b, "%s\n    {\"group\": ", i ? "," : ""));
        TRY(put_str(b, g->group));
        TRY(lk_buf_printf(b, ", \"size\": %llu, \"found\": %llu, \"best_group\": ",
                          (unsigned long long)g->size, (unsigned long long)g->found));
        if (g->best)
            TRY(put_str(b, g->best));
        else
            TRY(lk_buf_printf(b, "null"));
        TRY(lk_buf_printf(b, ", \"best_members\": %llu, \"best_others\": %llu, \"share\": %.6g}",
                          (unsigned long long)g->best_members, (unsigned long long)g->best_others,
                          g->share));
    }
    TRY(lk_buf_printf(b, "%s]\n}\n", r->ngroups ? "\n  " : ""));
    return LK_OK;
}

lk_status lk_eval_json(const lk_eval_result *r, char *buf, size_t len, size_t *needed)
{
    lk_buf b;
    lk_status st;

    lk_buf_init(&b);
    st = build_json(r, &b);
    if (st == LK_OK) {
        *needed = b.len;
        if (len > b.len && buf)
            memcpy(buf, b.p, b.len + 1);
        else
            st = LK_ELIMIT;
    }
    lk_buf_release(&b);
    return st;
}

/* Write all n bytes to fd; 0 or an errno. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        const ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Write b over an existing device, FIFO or symlink, in place.  0 or an errno. */
static int write_in_place(const char *path, const lk_buf *b)
{
    const int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    int err;

    if (fd < 0)
        return errno;
    err = write_all(fd, b->p, b->len);
    if (close(fd) != 0 && !err)
        err = errno;
    return err;
}

/* Write b to a temporary file beside path and rename it over path: readers
 * never see half a report, and a failure leaves an older report intact.
 * 0 or an errno; no temporary file is left behind. */
static int write_replace(const char *path, const lk_buf *b)
{
    const size_t len = strlen(path) + sizeof ".XXXXXX";
    char *tmp = malloc(len);
    int fd, err = 0;

    if (!tmp)
        return ENOMEM;
    (void)snprintf(tmp, len, "%s.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        err = errno;
        free(tmp);
        return err;
    }
    /* mkstemp makes 0600; a report is as readable as any other output */
    if (fchmod(fd, 0644) != 0)
        err = errno;
    if (!err)
        err = write_all(fd, b->p, b->len);
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err)
        (void)unlink(tmp);
    free(tmp);
    return err;
}

lk_status lk_eval_write_json(const lk_eval_result *r, const char *path, char *errbuf, size_t errlen)
{
    char eb[LK_ERRMSG_MAX] = "";
    struct stat sb;
    lk_buf b;
    lk_status st;
    int err;

    lk_buf_init(&b);
    if ((st = build_json(r, &b)) != LK_OK) {
        lk_errf(eb, "out of memory");
        goto cleanup;
    }
    if (strcmp(path, "-") == 0) {
        if (fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
            lk_errf(eb, "cannot write to standard output: %s", strerror(errno));
            st = LK_EIO;
        }
        goto cleanup;
    }
    /* Replace only a regular file (or make a new one); anything else is
     * written through, so that -o /dev/stderr never becomes a file. */
    if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        err = write_in_place(path, &b);
    else
        err = write_replace(path, &b);
    if (err) {
        lk_errf(eb, "cannot write '%s': %s", path, strerror(err));
        st = err == ENOMEM ? LK_ENOMEM : LK_EIO;
    }

cleanup:
    lk_buf_release(&b);
    if (st != LK_OK)
        seterr(errbuf, errlen, eb);
    return st;
}
