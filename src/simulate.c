/*
 * simulate.c - seeded synthetic activity with planted coordinated groups
 * (our "datagen"): the demo input, the benchmark input and the test oracle.
 *
 * Generative model (all randomness from one xoshiro256** stream, rng.h):
 *
 *  Accounts.  o->accounts organic accounts (default actions / 20) with
 *  Pareto(alpha 1.5) activity weights, so a few heavy users write much of
 *  the data, as on real platforms.  Beside them:
 *   - fans (min(300, A/20)): ordinary users who also join each viral object
 *     with probability 0.3 within seconds of its birth (1 s + an exponential
 *     delay of mean 4 s).  They co-act with each other and with the burst
 *     crowd by accident - the classic false positive that a popularity- and
 *     timing-aware null must explain away;
 *   - newsbots (min(30, A/100)): post each "feed" object (1% of objects)
 *     with probability 1/2 after an independent log-uniform delay of 2 s to
 *     10 min - the "news aggregator" false positive; they do nothing else;
 *   - coordinated members: o->groups groups of o->group_size, who also share
 *     organically with ordinary weights.
 *
 *  Objects.  Organic share counts follow a discrete power law
 *  P(size >= k) ~ 1/k on [1, max_popularity] (half the objects are shared
 *  once; every decade of sizes carries a similar number of rows), and the
 *  first object is a celebrity post of exactly max_popularity shares.
 *  An object is born uniformly in [0, span_s); its shares follow an
 *  exponential decay with a log-uniform time constant of 10 min..6 h, so most
 *  arrive within hours.  Half of the objects with >= 100 shares are viral: a
 *  further 30-70% of their shares form a burst with a 2-minute time constant.
 *  Sharers are drawn by activity weight, without repeats within an object
 *  (after 8 collisions a repeat is kept: a population smaller than an object
 *  then shares it more than once, like a link posted again).
 *
 *  Planted groups.  Each group has 20-60 occasions.  85% target an object of
 *  their own, made a few minutes before the occasion and shared organically
 *  only 0-2 times; 15% target an organic object with >= 50 shares, 0-3 h
 *  after its birth (these are dropped if too few such objects turn up).  At
 *  an occasion each member joins with probability 0.7, 1-30 s after it
 *  starts, so joining members are always within 29 s of each other.
 *
 *  Volume.  Objects are generated until the rows reach o->actions minus the
 *  expected rows of the planted occasions; the last object is truncated, so
 *  the total is o->actions plus the binomial noise of the occasions (under
 *  1% unless the run is tiny).  The planted objects are interleaved at random points of the stream.
 *
 * Output order: object by object (objects in generation order, unrelated to
 * time; the rows of one object in time order, ties by account index).  This
 * is what lets us stream: memory is O(accounts + largest object), never
 * O(rows).  Ids are 16 lower-case hex digits, lk_mix64 of (domain, index)
 * xored with a key drawn from the seed: a bijection, so ids never collide (not even across the
 * account, object and content domains) and reveal neither index nor label.
 * Timestamps are integer seconds in [2023-01-01, + span_s + 1 day).
 *
 * Byte-identical output for identical options on one platform; across libm
 * versions exp/log rounding could in principle differ.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "lk_internal.h"
#include "rng.h"

#define SIM_T0         INT64_C(1672531200) /* 2023-01-01T00:00:00Z */
#define SIM_TAIL_S     INT64_C(86400)      /* shares may run one day past span */
#define FAN_MAX        300
#define BOT_MAX        30
#define VIRAL_MIN      100  /* organic shares for an object to be viral... */
#define P_VIRAL        0.5  /* ...with this probability */
#define P_FEED         0.01 /* fraction of objects in the newsbots' feed */
#define P_FAN_JOIN     0.3
#define P_BOT_JOIN     0.5
#define P_MEMBER_JOIN  0.7
#define OCC_MIN        20
#define OCC_MAX        60
#define OCC_MEAN       40.0
#define P_OCC_POPULAR  0.15
#define POPULAR_MIN    50  /* organic shares for a hijackable object */
#define OCC_EXTRA_MEAN 1.0 /* organic shares of a planted object: 0..2 */
#define DEDUP_TRIES    8
#define CHUNK_BYTES    ((size_t)64 * 1024)
#define ROW_MAX        80 /* 3 * 16 hex + 3 commas + 20 digits + newline */
#define ACTIONS_MAX    UINT64_C(1000000000000)
#define ACCOUNTS_MAX   (UINT32_C(1) << 30) /* organic, and planted: indices fit u32 */
#define SPAN_MAX       (INT64_C(100) * 366 * 86400)

enum { DOM_ACCOUNT = 0, DOM_OBJECT = 1, DOM_CONTENT = 2 };

/* One share of the current object, as a sort key: seconds since SIM_T0 in
 * the high half (SPAN_MAX + 1 day < 2^32), account index in the low half. */
#define SHARE_KEY(t, a) ((uint64_t)(t) << 32 | (a))

/* A planted occasion on an object of the group's own. */
typedef struct occasion {
    uint64_t pos; /* emitted once this many organic rows are out */
    int64_t t;    /* start, seconds since SIM_T0 */
    uint32_t group;
} occasion;

/* A buffered output file: rows are formatted into chunk, which goes to a
 * FILE with a 1 MiB buffer in 64 KiB fwrites. */
typedef struct out {
    FILE *f;
    char *path; /* owned */
    char *chunk;
    size_t len;
    int err;    /* errno of the first failure, 0 if none */
    int opened; /* the file is ours: remove it on failure */
} out;

/* Exponential delay truncated to [0, max], by inverse CDF (no retries, so
 * the stream consumption per row is fixed). */
typedef struct tdist {
    double mean, f;
    int64_t max;
} tdist;

typedef struct sim {
    lk_rng rng;
    uint64_t key;
    int64_t span, limit; /* births in [0, span); times in [0, limit] */
    uint64_t max_pop;
    uint32_t n_org, n_fan, n_mem, n_bot, n_acc, n_alias;
    uint32_t n_groups, group_size;
    lk_alias_col *alias; /* activity weights of accounts [0, n_alias) */
    uint32_t *mark;      /* mark[a] == epoch: a already shared this object */
    uint32_t epoch;
    uint8_t *seen;
    uint64_t *rows; /* SHARE_KEY()s of the current object */
    size_t nrows, caprows;
    occasion *occ;
    size_t nocc, next_occ;
    uint32_t *pending; /* popular-object occasions still owed, per group */
    uint64_t pending_total;
    uint32_t rr;
    double pop_q;
    uint64_t target_org, org_written, written, objects;
    out act;
} sim;

void lk_simulate_opts_init(lk_simulate_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->actions = 100000;
    o->accounts = 0;
    o->groups = 5;
    o->group_size = 8;
    o->max_popularity = 10000;
    o->span_s = INT64_C(30) * 86400;
    o->out_dir = "sim-out";
}

static void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!errbuf || !errlen)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* ---- formatting -------------------------------------------------------- */

static void put_hex16(char *p, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 15; i >= 0; i--) {
        p[i] = digits[v & 15];
        v >>= 4;
    }
}

static size_t put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static uint64_t make_id(const sim *s, unsigned dom, uint64_t idx)
{
    return lk_mix64(((uint64_t)dom << 62 | idx) ^ s->key);
}

/* ---- buffered output ------------------------------------------------------ */

static int out_flush(out *w)
{
    if (w->len && fwrite(w->chunk, 1, w->len, w->f) != w->len) {
        w->err = errno ? errno : EIO;
        return -1;
    }
    w->len = 0;
    return 0;
}

/* Make room for one row; -1 after a write failure. */
static int out_room(out *w)
{
    if (w->len + ROW_MAX > CHUNK_BYTES)
        return out_flush(w);
    return 0;
}

static int out_str(out *w, const char *str)
{
    const size_t n = strlen(str);

    if (out_room(w))
        return -1;
    memcpy(w->chunk + w->len, str, n);
    w->len += n;
    return 0;
}

static lk_status out_open(out *w, const char *dir, const char *name, char *errbuf, size_t errlen)
{
    lk_buf path;

    lk_buf_init(&path);
    if (lk_buf_printf(&path, "%s/%s", dir, name) != LK_OK)
        return LK_ENOMEM;
    w->path = path.p;
    w->chunk = malloc(CHUNK_BYTES);
    if (!w->chunk)
        return LK_ENOMEM;
    w->f = fopen(w->path, "w");
    if (!w->f) {
        seterr(errbuf, errlen, "cannot write '%s': %s", w->path, strerror(errno));
        return LK_EIO;
    }
    w->opened = 1;
    /* The library's output is large and sequential: 1 MiB writes. */
    if (setvbuf(w->f, NULL, _IOFBF, (size_t)1 << 20) != 0) {
        seterr(errbuf, errlen, "cannot write '%s': cannot set buffer", w->path);
        return LK_EIO;
    }
    return LK_OK;
}

/* Flush and close after st, the status of writing; report the first
 * failure.  On other errors leave it to out_release to close and remove. */
static lk_status out_finish(out *w, lk_status st, char *errbuf, size_t errlen)
{
    FILE *const f = w->f;

    if (!f || (st != LK_OK && st != LK_EIO))
        return st;
    if (!w->err)
        (void)out_flush(w);
    w->f = NULL;
    errno = 0;
    if (fclose(f) != 0 && !w->err)
        w->err = errno ? errno : EIO;
    if (w->err) {
        seterr(errbuf, errlen, "cannot write '%s': %s", w->path, strerror(w->err));
        return LK_EIO;
    }
    return LK_OK;
}

/* Release; on failure also remove the partial file (it was ours once
 * fopen succeeded). */
static void out_release(out *w, int remove_file)
{
    const int saved = errno;

    if (w->f) {
        (void)fclose(w->f);
        w->f = NULL;
        remove_file = 1;
    }
    if (remove_file && w->opened)
        (void)unlink(w->path);
    free(w->path);
    free(w->chunk);
    w->path = NULL;
    w->chunk = NULL;
    errno = saved;
}

/* ---- random variates -------------------------------------------------------- */

static tdist tdist_make(double mean, int64_t max)
{
    tdist d;

    d.mean = mean;
    d.max = max < 0 ? 0 : max;
    d.f = -expm1(-(double)d.max / mean); /* CDF mass below max */
    return d;
}

static int64_t tdist_draw(lk_rng *r, const tdist *d)
{
    const double x = -d->mean * log1p(-lk_rng_unit(r) * d->f);
    const int64_t t = (int64_t)x;

    return t > d->max ? d->max : t;
}

/* Organic share count: floor of a Pareto(1) variable truncated to
 * [1, max_pop + 1), so P(size >= k) ~ 1/k. */
static uint64_t draw_size(sim *s)
{
    const double top = 1.0 - 1.0 / ((double)s->max_pop + 1.0);
    const double x = 1.0 / (1.0 - lk_rng_unit(&s->rng) * top);
    const uint64_t n = x >= (double)s->max_pop ? s->max_pop : (uint64_t)x;

    return n < 1 ? 1 : n;
}

/* An organic sharer not yet on this object (see the header comment). */
static uint32_t draw_account(sim *s)
{
    uint32_t a = lk_alias_draw(&s->rng, s->alias, s->n_alias);

    for (int i = 1; i < DEDUP_TRIES && s->mark[a] == s->epoch; i++)
        a = lk_alias_draw(&s->rng, s->alias, s->n_alias);
    s->mark[a] = s->epoch;
    return a;
}

/* Organic activity weights: Pareto(1.5), capped so that one account
 * cannot swallow a small run. */
static lk_status alias_build(sim *s)
{
    double *w = malloc((size_t)s->n_alias * sizeof *w);
    uint32_t *work = malloc((size_t)s->n_alias * sizeof *work);
    lk_status st = LK_ENOMEM;

    if (w && work) {
        for (uint32_t i = 0; i < s->n_alias; i++) {
            const double x = pow(1.0 - lk_rng_unit(&s->rng), -1.0 / 1.5);

            w[i] = x > 1e4 ? 1e4 : x;
        }
        lk_alias_build(s->alias, w, work, s->n_alias);
        st = LK_OK;
    }
    free(w);
    free(work);
    return st;
}

/* ---- objects ---------------------------------------------------------------- */

static void begin_object(sim *s)
{
    s->nrows = 0;
    if (++s->epoch == 0) { /* wrapped after 2^32 objects: forget old marks */
        memset(s->mark, 0, (size_t)s->n_acc * sizeof *s->mark);
        s->epoch = 1;
    }
}

static lk_status add_share(sim *s, uint32_t acct, int64_t t)
{
    if (s->nrows == s->caprows && LK_GROW(s->rows, s->nrows + 1, s->caprows) != LK_OK)
        return LK_ENOMEM;
    s->rows[s->nrows++] = SHARE_KEY(t, acct);
    s->mark[acct] = s->epoch;
    return LK_OK;
}

/* Members of group g at an occasion starting at t: each joins with
 * probability P_MEMBER_JOIN, 1-30 s late. */
static lk_status add_members(sim *s, uint32_t g, int64_t t)
{
    const uint32_t base = s->n_org + s->n_fan + g * s->group_size;
    const tdist lag = tdist_make(6.0, 29);

    for (uint32_t m = 0; m < s->group_size; m++) {
        if (lk_rng_unit(&s->rng) >= P_MEMBER_JOIN)
            continue;
        if (add_share(s, base + m, t + 1 + tdist_draw(&s->rng, &lag)) != LK_OK)
            return LK_ENOMEM;
    }
    return LK_OK;
}

static void insertion_sort(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const uint64_t x = v[i];
        size_t j = i;

        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Quicksort on plain keys: glibc's qsort spends most of its time in the
 * comparison callback.  Iterative, smaller side first, so the explicit stack
 * needs only log2(n) entries; most objects have a handful of shares and go
 * straight to insertion sort. */
static void sort_keys(uint64_t *v, size_t n)
{
    size_t stack[2 * 64], top = 0, lo = 0, hi = n; /* [lo, hi) */

    for (;;) {
        while (hi - lo > 24) {
            const size_t mid = lo + (hi - lo) / 2;
            uint64_t a = v[lo], b = v[mid], c = v[hi - 1], pivot;
            size_t i = lo, j = hi - 1;

            pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
            for (;;) { /* Hoare partition: equal keys split evenly */
                while (v[i] < pivot)
                    i++;
                while (v[j] > pivot)
                    j--;
                if (i >= j)
                    break;
                a = v[i];
                v[i++] = v[j];
                v[j--] = a;
            }
            /* [lo, j] <= pivot <= [j + 1, hi) */
            if (j + 1 - lo < hi - (j + 1)) {
                stack[top++] = j + 1;
                stack[top++] = hi;
                hi = j + 1;
            } else {
                stack[top++] = lo;
                stack[top++] = j + 1;
                lo = j + 1;
            }
        }
        insertion_sort(v + lo, hi - lo);
        if (top == 0)
            break;
        hi = stack[--top];
        lo = stack[--top];
    }
}

static lk_status emit_object(sim *s)
{
    out *const w = &s->act;
    const uint64_t oidx = s->objects++;
    const uint64_t oid = make_id(s, DOM_OBJECT, oidx);

    sort_keys(s->rows, s->nrows);
    for (size_t i = 0; i < s->nrows; i++) {
        const uint32_t a = (uint32_t)s->rows[i];
        char *p;

        if (out_room(w))
            return LK_EIO;
        p = w->chunk + w->len;
        put_hex16(p, oid);
        p[16] = ',';
        put_hex16(p + 17, make_id(s, DOM_ACCOUNT, a));
        p[33] = ',';
        put_hex16(p + 34, make_id(s, DOM_CONTENT, s->written++));
        p[50] = ',';
        p += 51;
        p += put_u64(p, (uint64_t)SIM_T0 + (s->rows[i] >> 32));
        *p++ = '\n';
        w->len = (size_t)(p - w->chunk);
        s->seen[a] = 1;
    }
    return LK_OK;
}

/* The next group owed a popular-object occasion, round robin. */
static uint32_t next_pending_group(sim *s)
{
    while (s->pending[s->rr] == 0)
        s->rr = (s->rr + 1) % s->n_groups;
    s->pending[s->rr]--;
    s->pending_total--;
    return s->rr;
}

static lk_status gen_organic(sim *s, int celebrity)
{
    lk_rng *const r = &s->rng;
    const int64_t b = (int64_t)lk_rng_below(r, (uint64_t)s->span);
    const int64_t room = s->limit - b;
    uint64_t size = celebrity ? s->max_pop : draw_size(s);
    const int viral = celebrity || (size >= VIRAL_MIN && lk_rng_unit(r) < P_VIRAL);
    const int feed = lk_rng_unit(r) < P_FEED;
    const double tau = 600.0 * exp(lk_rng_unit(r) * log(36.0));
    const double burst = viral ? 0.3 + 0.4 * lk_rng_unit(r) : 0.0;
    const tdist slow = tdist_make(tau, room), fast = tdist_make(120.0, room);
    const uint64_t left = s->target_org - s->org_written;

    begin_object(s);
    if (size >= POPULAR_MIN && s->pending_total > 0 && lk_rng_unit(r) < s->pop_q) {
        const uint32_t g = next_pending_group(s);
        const int64_t t = b + (int64_t)lk_rng_below(r, (uint64_t)LK_MIN(10800, room - 31) + 1);

        if (add_members(s, g, t) != LK_OK)
            return LK_ENOMEM;
    }
    if (viral) {
        const tdist lag = tdist_make(4.0, room - 1);

        for (uint32_t i = 0; i < s->n_fan; i++)
            if (lk_rng_unit(r) < P_FAN_JOIN &&
                add_share(s, s->n_org + i, b + 1 + tdist_draw(r, &lag)) != LK_OK)
                return LK_ENOMEM;
    }
    if (feed) {
        const uint32_t base = s->n_alias;

        for (uint32_t i = 0; i < s->n_bot; i++) {
            if (lk_rng_unit(r) >= P_BOT_JOIN)
                continue;
            const int64_t d = (int64_t)(2.0 * exp(lk_rng_unit(r) * log(300.0)));

            if (add_share(s, base + i, b + LK_MIN(d, room)) != LK_OK)
                return LK_ENOMEM;
        }
    }
    /* The last object is cut to the budget so the total lands on target. */
    if (size + s->nrows > left)
        size = left > s->nrows ? left - s->nrows : 0;
    for (uint64_t k = 0; k < size; k++) {
        const uint32_t a = draw_account(s);
        const int64_t d = lk_rng_unit(r) < burst ? tdist_draw(r, &fast) : tdist_draw(r, &slow);

        if (add_share(s, a, b + d) != LK_OK)
            return LK_ENOMEM;
    }
    s->org_written += s->nrows;
    return emit_object(s);
}

/* A group's own obscure object: posted minutes before the occasion, shared
 * 0-2 times organically over the following hours. */
static lk_status gen_planted(sim *s, const occasion *oc)
{
    lk_rng *const r = &s->rng;
    const int64_t lead = (int64_t)lk_rng_below(r, 601);
    const int64_t b = oc->t > lead ? oc->t - lead : 0;
    const tdist slow = tdist_make(3600.0, s->limit - b);
    const uint64_t extra = lk_rng_below(r, 3);

    begin_object(s);
    if (add_members(s, oc->group, oc->t) != LK_OK)
        return LK_ENOMEM;
    for (uint64_t k = 0; k < extra; k++) {
        const uint32_t a = draw_account(s);

        if (add_share(s, a, b + tdist_draw(r, &slow)) != LK_OK)
            return LK_ENOMEM;
    }
    return s->nrows ? emit_object(s) : LK_OK;
}

static int occ_cmp(const void *a, const void *b)
{
    const occasion *x = a, *y = b;

    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

/* Draw every group's occasions up front (they are few) and return the
 * expected number of rows of the planted objects. */
static lk_status plan_occasions(sim *s, uint64_t actions, double *planted_rows)
{
    lk_rng *const r = &s->rng;
    size_t cap = 0;
    const int64_t lead = s->span > 600 ? 600 : 0;

    for (uint32_t g = 0; g < s->n_groups; g++) {
        const uint64_t k = OCC_MIN + lk_rng_below(r, OCC_MAX - OCC_MIN + 1);

        for (uint64_t j = 0; j < k; j++) {
            if (lk_rng_unit(r) < P_OCC_POPULAR) {
                s->pending[g]++;
                s->pending_total++;
                continue;
            }
            if (LK_GROW(s->occ, s->nocc + 1, cap) != LK_OK)
                return LK_ENOMEM;
            s->occ[s->nocc].t = lead + (int64_t)lk_rng_below(r, (uint64_t)(s->span - lead));
            s->occ[s->nocc].group = g;
            s->occ[s->nocc].pos = 0; /* set below, once the budget is known */
            s->nocc++;
        }
    }
    *planted_rows = (double)s->nocc * (s->group_size * P_MEMBER_JOIN + OCC_EXTRA_MEAN);
    s->target_org = actions - (uint64_t)*planted_rows;
    for (size_t i = 0; i < s->nocc; i++)
        s->occ[i].pos = lk_rng_below(r, s->target_org);
    if (s->nocc)
        qsort(s->occ, s->nocc, sizeof *s->occ, occ_cmp);
    return LK_OK;
}

/* ---- truth ---------------------------------------------------------------- */

/* truth.csv: every account that appears, sorted by id (the order of the
 * account indices would give the labels away in a listing without them). */
static lk_status write_truth(sim *s, out *w)
{
    static const char *const label[] = {",organic,", ",fan,", ",coordinated,", ",newsbot,"};
    uint64_t *v = malloc((size_t)s->n_acc * sizeof *v);
    size_t n = 0;
    lk_status st = LK_OK;

    if (!v)
        return LK_ENOMEM;
    for (uint32_t a = 0; a < s->n_acc; a++)
        if (s->seen[a])
            v[n++] = make_id(s, DOM_ACCOUNT, a);
    sort_keys(v, n);
    if (out_str(w, "account_id,label,group\n"))
        st = LK_EIO;
    for (size_t i = 0; i < n && st == LK_OK; i++) {
        const uint32_t a = (uint32_t)(lk_unmix64(v[i]) ^ s->key); /* the index back */
        const int k = a < s->n_org ? 0 : a < s->n_org + s->n_fan ? 1 : a < s->n_alias ? 2 : 3;
        char *p;

        if (out_room(w)) {
            st = LK_EIO;
            break;
        }
        p = w->chunk + w->len;
        put_hex16(p, v[i]);
        p += 16;
        memcpy(p, label[k], strlen(label[k]));
        p += strlen(label[k]);
        if (k == 2)
            p += put_u64(p, (a - s->n_org - s->n_fan) / s->group_size + 1);
        *p++ = '\n';
        w->len = (size_t)(p - w->chunk);
    }
    free(v);
    return st;
}

/* ---- driver ------------------------------------------------------------------- */

#define REJECT(...)                          \
    do {                                     \
        seterr(errbuf, errlen, __VA_ARGS__); \
        return LK_EINVAL;                    \
    } while (0)

static lk_status check_opts(const lk_simulate_opts *o, char *errbuf, size_t errlen)
{
    const uint64_t accounts = o->accounts ? o->accounts : o->actions / 20;
    /* Planted rows must leave room for the organic background they hide in:
     * at most half the data, by the mean number of occasions. */
    const double planted = o->groups * OCC_MEAN * (o->group_size * P_MEMBER_JOIN + OCC_EXTRA_MEAN);

    if (!o->out_dir || !*o->out_dir)
        REJECT("no output directory given");
    if (o->actions == 0 || o->actions > ACTIONS_MAX)
        REJECT("invalid number of actions %" PRIu64 ": must be 1..10^12", o->actions);
    if (accounts > ACCOUNTS_MAX)
        REJECT("too many accounts (%" PRIu64 "): at most 2^30", accounts);
    if (o->group_size < 2)
        REJECT("invalid group size %" PRIu32 ": a group needs 2 members or more", o->group_size);
    if ((uint64_t)o->groups * o->group_size > ACCOUNTS_MAX)
        REJECT("too many planted accounts (%" PRIu32 " groups of %" PRIu32 ")", o->groups,
               o->group_size);
    if (o->max_popularity < 2 || o->max_popularity > UINT64_C(1000000000))
        REJECT("invalid max popularity %" PRIu64 ": must be 2..10^9", o->max_popularity);
    if (o->span_s < 1 || o->span_s > SPAN_MAX)
        REJECT("invalid time span %" PRId64 " s: must be 1 s..100 years", o->span_s);
    if (planted > (double)o->actions / 2)
        REJECT("%" PRIu32 " groups of %" PRIu32 " need about %.0f actions, more than half of "
               "%" PRIu64 ": raise the actions or plant fewer or smaller groups",
               o->groups, o->group_size, planted, o->actions);
    return LK_OK;
}

#undef REJECT

static lk_status make_dirs(const char *dir, char *errbuf, size_t errlen)
{
    lk_buf p;
    lk_status st = LK_OK;

    lk_buf_init(&p);
    if (lk_buf_append(&p, dir, strlen(dir)) != LK_OK)
        return LK_ENOMEM;
    /* mkdir -p: each prefix, then the whole path; existing ones are fine. */
    for (size_t i = 1; i <= p.len; i++) {
        if (p.p[i] != '/' && p.p[i] != '\0')
            continue;
        const char c = p.p[i];

        p.p[i] = '\0';
        if (mkdir(p.p, 0777) != 0 && errno != EEXIST) {
            seterr(errbuf, errlen, "cannot create directory '%s': %s", p.p, strerror(errno));
            st = LK_EIO;
            break;
        }
        p.p[i] = c;
    }
    lk_buf_release(&p);
    return st;
}

static lk_status sim_setup(sim *s, const lk_simulate_opts *o)
{
    const uint64_t accounts = o->accounts ? o->accounts : LK_MAX(o->actions / 20, 1);

    lk_rng_seed(&s->rng, o->seed);
    s->key = lk_rng_next(&s->rng);
    s->span = o->span_s;
    s->limit = o->span_s + SIM_TAIL_S - 1;
    s->max_pop = o->max_popularity;
    s->n_org = (uint32_t)accounts;
    s->n_fan = LK_MIN(FAN_MAX, s->n_org / 20);
    s->n_bot = LK_MIN(BOT_MAX, s->n_org / 100);
    s->n_groups = o->groups;
    s->group_size = o->group_size;
    s->n_mem = o->groups * o->group_size;
    s->n_alias = s->n_org + s->n_fan + s->n_mem;
    s->n_acc = s->n_alias + s->n_bot;
    s->alias = malloc((size_t)s->n_alias * sizeof *s->alias);
    s->mark = calloc(s->n_acc, sizeof *s->mark);
    s->seen = calloc(s->n_acc, 1);
    s->pending = calloc(LK_MAX(s->n_groups, 1), sizeof *s->pending);
    if (!s->alias || !s->mark || !s->seen || !s->pending)
        return LK_ENOMEM;
    return alias_build(s);
}

static void sim_release(sim *s)
{
    free(s->alias);
    free(s->mark);
    free(s->seen);
    free(s->pending);
    free(s->rows);
    free(s->occ);
}

static lk_status generate(sim *s, double planted)
{
    lk_status st = LK_OK;
    /* Expected organic objects and, among them, hijackable ones: sets the
     * chance that one is hijacked so that the owed occasions get placed. */
    const double m = (double)s->max_pop;
    const double mean_size = log(m + 1.0) * (m + 1.0) / m - 0.5;
    const double popular = (double)s->target_org / mean_size / POPULAR_MIN;

    s->pop_q = popular > 0 ? LK_MIN(1.0, 3.0 * (double)s->pending_total / popular) : 1.0;
    if (s->pending_total == 0)
        s->pop_q = 0;
    while (st == LK_OK && s->org_written < s->target_org) {
        st = gen_organic(s, s->objects == 0);
        while (st == LK_OK && s->next_occ < s->nocc && s->occ[s->next_occ].pos < s->org_written)
            st = gen_planted(s, &s->occ[s->next_occ++]);
    }
    while (st == LK_OK && s->next_occ < s->nocc)
        st = gen_planted(s, &s->occ[s->next_occ++]);
    lk_log(LK_LOG_DEBUG, "simulate: %" PRIu64 " organic rows, %.0f planted rows expected",
           s->org_written, planted);
    return st;
}

lk_status lk_simulate(const lk_simulate_opts *o, char *errbuf, size_t errlen)
{
    sim s;
    out truth;
    lk_status st;
    double planted = 0;
    int failed = 1;

    memset(&s, 0, sizeof s);
    memset(&truth, 0, sizeof truth);
    if (errbuf && errlen)
        errbuf[0] = '\0';
    st = check_opts(o, errbuf, errlen);
    if (st != LK_OK)
        return st;
    st = make_dirs(o->out_dir, errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    st = sim_setup(&s, o);
    if (st == LK_OK)
        st = plan_occasions(&s, o->actions, &planted);
    if (st == LK_OK)
        st = out_open(&s.act, o->out_dir, "actions.csv", errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    if (out_str(&s.act, "object_id,account_id,content_id,timestamp_share\n"))
        st = LK_EIO;
    if (st == LK_OK)
        st = generate(&s, planted);
    st = out_finish(&s.act, st, errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    st = out_open(&truth, o->out_dir, "truth.csv", errbuf, errlen);
    if (st == LK_OK)
        st = write_truth(&s, &truth);
    st = out_finish(&truth, st, errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    failed = 0;
    lk_log(LK_LOG_INFO, "simulate: wrote %" PRIu64 " actions on %" PRIu64 " objects to '%s'",
           s.written, s.objects, o->out_dir);
cleanup:
    if (st == LK_ENOMEM)
        seterr(errbuf, errlen, "out of memory");
    out_release(&s.act, failed);
    out_release(&truth, failed);
    sim_release(&s);
    return st;
}
