/*
 * simulate_gen.c - the generative model of lockstep simulate: who posts
 * what, when.  The model and its parameters are documented at the top of
 * simulate.c; this file implements it.
 *
 * The data are made unit by unit: an organic cascade (a post and its
 * retweets, replies and quotes, possibly joined by a planted group), a feed
 * item (the newsbots' posts of one news link) or a planted occasion.  A unit
 * is generated whole, sorted by time and written; then it is forgotten.
 * That is what bounds memory by the largest unit (--max-popularity), never
 * by the number of rows.
 */
#include "simulate_int.h"

#include <math.h>

#define VIRAL_MIN     100  /* posts of a cascade for it to be viral... */
#define P_VIRAL       0.5  /* ...with this probability */
#define P_FEED        0.03 /* a feed item follows this fraction of cascades */
#define P_FAN_JOIN    0.3
#define FAN_MIN       1000 /* fans join viral posts of at least this many posts */
#define P_BOT_JOIN    0.5
#define P_SAME_COMM   0.6 /* a sharer comes from the author's community */
#define OCC_MIN       20
#define OCC_MAX       60
#define POPULAR_MIN   50 /* cascade size of a post worth hijacking */
#define DEDUP_TRIES   8
#define P_PASTA_EXACT 0.3
#define P_EDIT        0.4 /* each edit of a non-exact copy */

/* Share of derived posts by type; the rest (2%) are organic copies of the
 * root's text ("manual retweets"). */
#define PR_RT    0.80
#define PR_REPLY 0.11
#define PR_QUOTE 0.07
/* Mean rows of a derived organic post, by the shares above and the entity
 * plans of sim_plan_organic(). */
#define DERIVED_ROWS (PR_RT + PR_REPLY * 3.15 + PR_QUOTE * 2.4 + 0.02 * SIM_ORIG_ROWS)

/* Activity by local hour: quiet nights, an evening peak. */
static const double rhythm[24] = {0.45, 0.30, 0.20, 0.15, 0.12, 0.15, 0.30, 0.55,
                                  0.80, 0.90, 0.95, 1.00, 1.00, 0.95, 0.90, 0.90,
                                  0.95, 1.00, 1.00, 1.00, 1.00, 0.95, 0.85, 0.65};
/* Planted occasions keep office hours. */
static const double shift[24] = {0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03,
                                 1,    1,    1,    1,    1,    1,    1,    1,
                                 1,    1,    1,    1,    0.03, 0.03, 0.03, 0.03};

/* Exponential delay truncated to [0, max], by inverse CDF (no retries, so
 * the stream consumption per post is fixed). */
typedef struct tdist {
    double mean, f;
    int64_t max;
} tdist;

static tdist tdist_make(double mean, int64_t max)
{
    tdist d;

    d.mean = mean;
    d.max = max < 0 ? 0 : max;
    d.f = -expm1(-(double)d.max / mean);
    return d;
}

static int64_t tdist_draw(lk_rng *r, const tdist *d)
{
    const int64_t t = (int64_t)(-d->mean * log1p(-lk_rng_unit(r) * d->f));

    return t > d->max ? d->max : t;
}

/* A time in [lo, hi) following a 24-hour profile in local time (UTC offset
 * tz hours), by rejection; after 16 misses the last draw is kept. */
static int64_t draw_time(sim *s, int tz, int64_t lo, int64_t hi, const double *prof)
{
    int64_t t = lo;

    for (int i = 0; i < 16; i++) {
        t = lo + (int64_t)lk_rng_below(&s->rng, (uint64_t)(hi - lo));
        if (lk_rng_unit(&s->rng) < prof[(t + 86400 + (int64_t)tz * 3600) / 3600 % 24])
            break;
    }
    return t;
}

/* Cascade size: floor of a Pareto(1) variable truncated to
 * [1, max_pop + 1), so P(size >= k) ~ 1/k. */
static uint64_t draw_size(sim *s)
{
    const double top = 1.0 - 1.0 / ((double)s->max_pop + 1.0);
    const double x = 1.0 / (1.0 - lk_rng_unit(&s->rng) * top);
    const uint64_t n = x >= (double)s->max_pop ? s->max_pop : (uint64_t)x;

    return n < 1 ? 1 : n;
}

/* A sharer not yet in this unit: from community c (its organic block) or
 * from everybody, by activity weight. */
static uint32_t draw_sharer(sim *s, unsigned c)
{
    const uint32_t lo = s->cstart[c], n = s->cstart[c + 1] - lo;
    uint32_t a = 0;

    for (int i = 0; i < DEDUP_TRIES; i++) {
        if (n && lk_rng_unit(&s->rng) < P_SAME_COMM)
            a = lo + lk_alias_draw(&s->rng, s->calias + lo, n);
        else
            a = lk_alias_draw(&s->rng, s->alias, s->n_alias);
        if (s->mark[a] != s->epoch)
            break;
    }
    s->mark[a] = s->epoch;
    return a;
}

/* ---- units ----------------------------------------------------------------------- */

static void unit_begin(sim *s)
{
    s->np = 0;
    if (++s->epoch == 0) { /* wrapped after 2^32 units: forget old marks */
        memset(s->mark, 0, (size_t)s->n_acc * sizeof *s->mark);
        s->epoch = 1;
    }
}

/* A new post of the unit by account a at time t; NULL when out of memory. */
static sim_post *unit_add(sim *s, uint32_t a, int64_t t, int type, int style, int planted)
{
    sim_post *p;

    if (s->np == s->cap && LK_GROW(s->posts, s->np + 1, s->cap) != LK_OK)
        return NULL;
    p = &s->posts[s->np++];
    memset(p, 0, sizeof *p);
    p->t = t > s->limit ? s->limit : t;
    p->author = a;
    p->type = (uint8_t)type;
    p->style = (uint8_t)style;
    p->planted = (uint8_t)planted;
    p->comm = s->comm[a];
    p->seed = lk_rng_next(&s->rng);
    s->mark[a] = s->epoch;
    return p;
}

/* An organic post with its entity plan. */
static sim_post *add_organic(sim *s, uint32_t a, int64_t t, int type)
{
    sim_post *p = unit_add(s, a, t, type, S_ORGANIC, 0);

    if (p)
        sim_plan_organic(s, p);
    return p;
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
 * needs only log2(n) entries; most units have a handful of posts and go
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

/* Write the unit in time order (ties by creation order, so the root, made
 * first and never later than what refers to it, comes first). */
static lk_status unit_emit(sim *s)
{
    uint32_t counts[3] = {0, 0, 0};
    static const uint32_t zero[3] = {0, 0, 0};

    if (s->np == 0)
        return LK_OK;
    if (s->np > s->kcap && LK_GROW(s->keys, s->np, s->kcap) != LK_OK)
        return LK_ENOMEM;
    for (size_t i = 0; i < s->np; i++) {
        s->keys[i] = (uint64_t)s->posts[i].t << 32 | i;
        if (s->posts[i].type != P_ORIGINAL)
            counts[s->posts[i].type - 1]++;
    }
    sort_keys(s->keys, s->np);
    for (size_t k = 0; k < s->np; k++) {
        const uint32_t i = (uint32_t)s->keys[k];
        sim_post *const p = &s->posts[i];
        const uint64_t rows = sim_post_rows(p);

        p->id = sim_make_id(s, DOM_CONTENT, s->posts_written++);
        sim_write_post(s, p, &s->posts[0], i == 0 ? counts : zero);
        s->written += rows;
        if (!p->planted)
            s->org_written += rows;
        s->seen[p->author] = 1;
    }
    s->units++;
    return s->act.err || s->tw.err ? LK_EIO : LK_OK;
}

/* ---- planted groups ------------------------------------------------------------------ */

static double kind_expect(sim_kind kind, double S, uint32_t gs, int hijack)
{
    const double others = S * (gs - 1) / gs;

    switch (kind) {
    case K_RETWEET_RING:
        return hijack ? S : SIM_ORIG_ROWS + others + 1.0;
    case K_SLOW_RING:
        return SIM_ORIG_ROWS + others + 1.0;
    case K_LINK_PUSHER:
        return 2.0 * S; /* text + URL */
    case K_COPYPASTA:
        return S * (1.0 + (1.0 - P_PASTA_EXACT) * P_EDIT);
    case K_HASHTAG_FLOOD:
        return S * 2.0 * 2.5; /* 2 posts of text, campaign tag, half a trending tag */
    case K_REPLY_SWARM:
        return 3.0 * S; /* reply, text, mention */
    default:
        return 0;
    }
}

double sim_occ_expect(const sim *s, uint32_t g, int hijack)
{
    return kind_expect(s->groups[g].kind, s->groups[g].sum_pj, s->group_size, hijack);
}

double sim_kind_expect(sim_kind kind, uint32_t group_size)
{
    return kind_expect(kind, 0.65 * group_size, group_size, 0) * (OCC_MIN + OCC_MAX) / 2.0;
}

static int joins(sim *s, uint32_t a)
{
    return lk_rng_unit(&s->rng) < s->pjoin[a - s->n_org - s->n_fan];
}

/* Group g acts on the unit's root (an organic post born at b). */
static lk_status attach(sim *s, uint32_t g, int64_t b)
{
    const sim_group *G = &s->groups[g];
    const int64_t room = s->limit - b; /* >= SIM_TAIL_S */
    const uint32_t camp = s->next_camp++;

    s->planned_left -= sim_occ_expect(s, g, 1);
    if (G->kind == K_RETWEET_RING) { /* retweets within 30 s, 0-3 h after birth */
        const int64_t t =
            b + (int64_t)lk_rng_below(&s->rng, (uint64_t)LK_MIN(10800, room - 31) + 1);
        const tdist lag = tdist_make(6.0, 29);

        for (uint32_t m = G->base; m < G->base + s->group_size; m++) {
            if (!joins(s, m) || s->mark[m] == s->epoch)
                continue;
            if (!unit_add(s, m, t + 1 + tdist_draw(&s->rng, &lag), P_RETWEET, S_ORGANIC, 1))
                return LK_ENOMEM;
        }
    } else { /* reply swarm: replies within two minutes */
        const int64_t t =
            b + 60 + (int64_t)lk_rng_below(&s->rng, (uint64_t)LK_MIN(10800, room - 300));
        const tdist lag = tdist_make(25.0, 120);

        for (uint32_t m = G->base; m < G->base + s->group_size; m++) {
            sim_post *p;

            if (!joins(s, m))
                continue;
            p = unit_add(s, m, t + tdist_draw(&s->rng, &lag), P_REPLY, S_SWARM, 1);
            if (!p)
                return LK_ENOMEM;
            p->nment = 1;
            p->camp = camp;
        }
    }
    return LK_OK;
}

/* The next group owed a hijack of class c, round robin. */
static uint32_t next_pending(sim *s, int c)
{
    while (s->pend[c][s->rr[c]] == 0)
        s->rr[c] = (s->rr[c] + 1) % s->n_groups;
    s->pend[c][s->rr[c]]--;
    s->pend_total[c]--;
    return s->rr[c];
}

/* A group's occasion on objects of its own. */
static lk_status gen_occasion(sim *s, const sim_occ *oc)
{
    const sim_group *G = &s->groups[oc->group];
    const uint32_t gs = s->group_size;
    const int64_t t = oc->t;
    lk_rng *const r = &s->rng;

    unit_begin(s);
    s->planned_left -= sim_occ_expect(s, oc->group, 0);
    if (G->kind == K_RETWEET_RING || G->kind == K_SLOW_RING) {
        /* A member posts; the others retweet it: within 30 s, or one after
         * another 5-30 min apart (slow).  0-2 organic retweets follow. */
        const int64_t lead = (int64_t)lk_rng_below(r, 601), b = t > lead ? t - lead : 0;
        const uint32_t a0 = G->base + (uint32_t)lk_rng_below(r, gs);
        const uint32_t off = (uint32_t)lk_rng_below(r, gs);
        const tdist lag = tdist_make(6.0, 29), slow = tdist_make(3600.0, s->limit - b);
        int64_t cur = t + 60 + (int64_t)lk_rng_below(r, 241);
        sim_post *root = add_organic(s, a0, b, P_ORIGINAL);

        if (!root)
            return LK_ENOMEM;
        root->planted = 1;
        for (uint32_t k = 0; k < gs; k++) {
            const uint32_t m = G->base + (off + k) % gs;
            int64_t tm;

            if (m == a0 || !joins(s, m))
                continue;
            if (G->kind == K_RETWEET_RING) {
                tm = t + 1 + tdist_draw(r, &lag);
            } else {
                tm = cur;
                cur += 300 + (int64_t)lk_rng_below(r, 1501);
            }
            if (!unit_add(s, m, tm, P_RETWEET, S_ORGANIC, 1))
                return LK_ENOMEM;
        }
        for (uint64_t k = 0, n = lk_rng_below(r, 3); k < n; k++)
            if (!unit_add(s, draw_sharer(s, s->comm[a0]), b + tdist_draw(r, &slow), P_RETWEET,
                          S_ORGANIC, 0))
                return LK_ENOMEM;
        return unit_emit(s);
    }
    for (uint32_t m = G->base; m < G->base + gs; m++) {
        const uint64_t posts = G->kind == K_HASHTAG_FLOOD ? 1 + lk_rng_below(r, 3) : 1;

        if (!joins(s, m))
            continue;
        for (uint64_t k = 0; k < posts; k++) {
            sim_post *p;

            if (G->kind == K_LINK_PUSHER) { /* the campaign link within minutes */
                const tdist lag = tdist_make(60.0, 300);

                p = unit_add(s, m, t + tdist_draw(r, &lag), P_ORIGINAL, S_LINK, 1);
                if (p)
                    p->nurl = 1;
            } else if (G->kind == K_COPYPASTA) { /* the campaign text, edited */
                const tdist lag = tdist_make(90.0, 600);

                p = unit_add(s, m, t + tdist_draw(r, &lag), P_ORIGINAL, S_PASTA, 1);
                if (p && lk_rng_unit(r) >= P_PASTA_EXACT) {
                    for (unsigned e = 1; e <= E_CASE; e <<= 1)
                        if (lk_rng_unit(r) < P_EDIT)
                            p->edit |= (uint8_t)e;
                    p->edit = p->edit ? p->edit : E_WORDS;
                    p->ntag = (p->edit & E_TAG) != 0;
                }
            } else { /* hashtag flood: the campaign tag on own texts */
                const tdist lag = tdist_make(120.0, 900);

                p = unit_add(s, m, t + tdist_draw(r, &lag), P_ORIGINAL, S_FLOOD, 1);
                if (p)
                    p->ntag = (uint8_t)(1 + (lk_rng_unit(r) < 0.5));
            }
            if (!p)
                return LK_ENOMEM;
            p->camp = oc->camp;
        }
    }
    return unit_emit(s);
}

/* A hijack for which no organic post turned up: a fresh organic target. */
static lk_status gen_target(sim *s, uint32_t g)
{
    const uint32_t a = lk_alias_draw(&s->rng, s->alias, s->n_alias);
    const int64_t b = draw_time(s, s->ctz[s->comm[a]], 0, s->span, rhythm);
    lk_status st;

    unit_begin(s);
    if (!add_organic(s, a, b, P_ORIGINAL))
        return LK_ENOMEM;
    st = attach(s, g, b);
    return st == LK_OK ? unit_emit(s) : st;
}

/* ---- organic activity -------------------------------------------------------------- */

/* A newsbot polls its feeds on its own schedule, as aggregators (RSS
 * relays, dlvr.it, IFTTT) do: every P seconds, P log-uniform in 5..60 min,
 * at a phase of its own; both fixed per bot, derived from the run's key. */
static int64_t bot_poll_after(const sim *s, uint32_t bot, int64_t b)
{
    const uint64_t h1 = lk_mix64(s->key ^ (UINT64_C(0x9e3779b97f4a7c15) * (bot + 1)));
    const uint64_t h2 = lk_mix64(h1 + 1);
    const int64_t period = (int64_t)(300.0 * exp((double)(h1 >> 11) * 0x1.0p-53 * log(12.0)));
    const int64_t phase = (int64_t)(h2 % (uint64_t)period);
    int64_t k = b - phase;
    k = k >= 0 ? (k + period - 1) / period : 0;
    return phase + k * period;
}

/* The newsbots' posts of one feed item: each bot posts it with probability
 * P_BOT_JOIN at its first poll after the item appears, plus 0-20 s of
 * processing.  The bots react to the same public source independently, so
 * their posts of one item are spread over minutes to an hour. */
static lk_status gen_feed(sim *s)
{
    const int64_t b = draw_time(s, 0, 0, s->span, rhythm);
    const uint32_t feed = s->feeds++;

    unit_begin(s);
    for (uint32_t i = 0; i < s->n_bot; i++) {
        sim_post *p;

        if (lk_rng_unit(&s->rng) >= P_BOT_JOIN)
            continue;
        p = unit_add(s, s->n_alias + i,
                     bot_poll_after(s, i, b) + (int64_t)(20.0 * lk_rng_unit(&s->rng)), P_ORIGINAL,
                     S_NEWS, 0);
        if (!p)
            return LK_ENOMEM;
        p->nurl = 1;
        p->camp = feed;
    }
    return unit_emit(s);
}

/* An organic cascade of up to `budget` rows: a post, then its retweets,
 * replies, quotes and copies; fans if it is viral; perhaps a planted group. */
static lk_status gen_cascade(sim *s, uint64_t budget)
{
    lk_rng *const r = &s->rng;
    const int celebrity = s->units == 0;
    const uint32_t author = lk_alias_draw(r, s->alias, s->n_alias);
    const unsigned comm = s->comm[author];
    const int64_t b = draw_time(s, s->ctz[comm], 0, s->span, rhythm);
    const int64_t room = s->limit - b;
    /* The celebrity post is kept to a tenth of the data, so that a small
     * run is not one cascade. */
    const uint64_t size = celebrity ? LK_MAX(1, LK_MIN(s->max_pop, s->actions / 10)) : draw_size(s);
    const int viral = celebrity || (size >= VIRAL_MIN && lk_rng_unit(r) < P_VIRAL);
    const double tau = 600.0 * exp(lk_rng_unit(r) * log(36.0));
    const double burst = viral ? 0.3 + 0.4 * lk_rng_unit(r) : 0.0;
    const tdist slow = tdist_make(tau, room), fast = tdist_make(120.0, room);
    sim_post *root;
    uint64_t rows;

    unit_begin(s);
    root = add_organic(s, author, b, P_ORIGINAL);
    if (!root)
        return LK_ENOMEM;
    rows = sim_post_rows(root);
    if (size >= POPULAR_MIN && s->pend_total[H_POPULAR] && lk_rng_unit(r) < s->q[H_POPULAR]) {
        if (attach(s, next_pending(s, H_POPULAR), b) != LK_OK)
            return LK_ENOMEM;
    } else if (s->pend_total[H_ANY] && lk_rng_unit(r) < s->q[H_ANY]) {
        if (attach(s, next_pending(s, H_ANY), b) != LK_OK)
            return LK_ENOMEM;
    }
    if (viral && size >= FAN_MIN) { /* fans of big accounts: within seconds of birth */
        const tdist lag = tdist_make(4.0, room - 1);

        for (uint32_t i = 0; i < s->n_fan && rows < budget; i++) {
            if (lk_rng_unit(r) >= P_FAN_JOIN || s->mark[s->n_org + i] == s->epoch)
                continue;
            if (!unit_add(s, s->n_org + i, b + 1 + tdist_draw(r, &lag), P_RETWEET, S_ORGANIC, 0))
                return LK_ENOMEM;
            rows++;
        }
    }
    for (uint64_t k = 1; k < size && rows < budget; k++) {
        const double u = lk_rng_unit(r);
        const uint32_t a = draw_sharer(s, comm);
        const int64_t t =
            b + 1 + (lk_rng_unit(r) < burst ? tdist_draw(r, &fast) : tdist_draw(r, &slow));
        const int type = u < PR_RT                         ? P_RETWEET
                         : u < PR_RT + PR_REPLY            ? P_REPLY
                         : u < PR_RT + PR_REPLY + PR_QUOTE ? P_QUOTE
                                                           : P_ORIGINAL;
        sim_post *p = type == P_ORIGINAL ? unit_add(s, a, t, P_ORIGINAL, S_COPY, 0)
                                         : add_organic(s, a, t, type);

        if (!p)
            return LK_ENOMEM;
        if (type == P_ORIGINAL) { /* the root's words, as its own post */
            root = &s->posts[0];  /* unit_add may have moved it */
            p->seed = root->seed;
            p->comm = root->comm;
            p->nurl = root->nurl;
            p->ntag = root->ntag;
            p->nment = root->nment;
        }
        rows += sim_post_rows(p);
    }
    return unit_emit(s);
}

/* ---- the plan and the loop ----------------------------------------------------------- */

static int occ_cmp(const void *a, const void *b)
{
    const sim_occ *x = a, *y = b;

    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->camp < y->camp ? -1 : x->camp > y->camp;
}

lk_status sim_plan(sim *s)
{
    lk_rng *const r = &s->rng;
    size_t cap = 0;
    const int64_t lead = s->span > 600 ? 600 : 0;
    double planned = 0;

    for (uint32_t g = 0; g < s->n_groups; g++) {
        const sim_group *G = &s->groups[g];
        const uint64_t k = OCC_MIN + lk_rng_below(r, OCC_MAX - OCC_MIN + 1);

        for (uint64_t j = 0; j < k; j++) {
            const double u = lk_rng_unit(r);
            const int c = G->kind == K_REPLY_SWARM    ? (u < 0.7 ? H_POPULAR : H_ANY)
                          : G->kind == K_RETWEET_RING ? (u < 0.15 ? H_POPULAR : -1)
                                                      : -1;

            if (c >= 0) {
                s->pend[c][g]++;
                s->pend_total[c]++;
                planned += sim_occ_expect(s, g, 1);
                continue;
            }
            if (LK_GROW(s->occ, s->nocc + 1, cap) != LK_OK)
                return LK_ENOMEM;
            s->occ[s->nocc].t = draw_time(s, G->tz, lead, s->span, shift);
            s->occ[s->nocc].group = g;
            s->occ[s->nocc].camp = s->next_camp++;
            s->nocc++;
            planned += sim_occ_expect(s, g, 0);
        }
    }
    s->planned_left = planned;
    {
        /* Where the own-object occasions go in the stream, and how likely an
         * eligible organic post is to be hijacked: three times the rate that
         * would just place every owed hijack, so that they are placed
         * early and few need a fresh target at the end. */
        const double org = LK_MAX(1.0, (double)s->actions - planned);
        const double m = (double)s->max_pop;
        const double mean_size = log(m + 1.0) * (m + 1.0) / m - 0.5;
        const double roots = org / (SIM_ORIG_ROWS + (mean_size - 1.0) * DERIVED_ROWS);
        const double popular =
            roots * (1.0 / POPULAR_MIN - 1.0 / (m + 1.0)) / (1.0 - 1.0 / (m + 1.0));

        for (size_t i = 0; i < s->nocc; i++)
            s->occ[i].pos = lk_rng_below(r, (uint64_t)org);
        lk_qsort(s->occ, s->nocc, sizeof *s->occ, occ_cmp);
        s->q[H_POPULAR] =
            popular > 0 ? LK_MIN(1.0, 3.0 * (double)s->pend_total[H_POPULAR] / popular) : 1.0;
        s->q[H_ANY] = LK_MIN(1.0, 3.0 * (double)s->pend_total[H_ANY] / roots);
    }
    return LK_OK;
}

lk_status sim_generate(sim *s)
{
    lk_status st = LK_OK;

    while (st == LK_OK && (double)s->written + s->planned_left < (double)s->actions) {
        const double left = (double)s->actions - (double)s->written - s->planned_left;

        st = gen_cascade(s, (uint64_t)ceil(left));
        if (st == LK_OK && s->n_bot && lk_rng_unit(&s->rng) < P_FEED)
            st = gen_feed(s);
        while (st == LK_OK && s->next_occ < s->nocc && s->occ[s->next_occ].pos < s->org_written)
            st = gen_occasion(s, &s->occ[s->next_occ++]);
    }
    while (st == LK_OK && s->next_occ < s->nocc)
        st = gen_occasion(s, &s->occ[s->next_occ++]);
    for (int c = 0; c < H_N; c++)
        while (st == LK_OK && s->pend_total[c])
            st = gen_target(s, next_pending(s, c));
    return st;
}
