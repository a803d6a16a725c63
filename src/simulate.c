/*
 * simulate.c - seeded synthetic social-media activity with planted
 * coordinated groups (our "datagen"): the demo input, the benchmark input
 * and the test oracle.  This file holds the options, the output files,
 * truth.csv and the driver; the model lives in simulate_gen.c, the texts
 * and the two row formats in simulate_text.c.
 *
 * The model is one of POSTS.  A post is made by one account at one time
 * and is a retweet (of a post), a reply (to a post, with its own text), a
 * quote (of a post, with its own text) or an original (text with 0+ URLs,
 * 0+ hashtags, 0+ mentions).  All randomness comes from one xoshiro256**
 * stream (rng.h) seeded with --seed; each post's words come from a stream
 * of its own, seeded from the main one.
 *
 * Accounts.  o->accounts organic accounts (default actions / 20) with
 * Pareto(1.5) activity weights (capped at 10^4), so a few heavy users write
 * much of the data.  They belong to min(50, accounts / 20) communities of
 * Zipf-like sizes (weight k^-0.8), each with a UTC offset, 8 favourite
 * hashtags and 5 favourite domains.  Beside them:
 *  - fans (min(300, A/20)): ordinary users who also retweet each viral
 *    post of a big account (a cascade of >= 1000 posts) with probability
 *    0.3, 1 s + an exponential delay of mean 4 s after it appears, inside
 *    the crowd of its first minutes: they co-act with each other and with
 *    the crowd by accident, the classic false positive;
 *  - newsbots (min(30, A/100)): after 3% of the cascades comes a feed item;
 *    each bot posts it with probability 1/2 at its next poll of the feed
 *    (each bot polls every 5-60 min, log-uniform, at its own phase) plus
 *    0-20 s: the same headline (a third of the bots prefix their name) and
 *    the same news URL (a third add their own utm_source).  They do
 *    nothing else: the "news aggregator" false positive;
 *  - planted members: o->groups groups of o->group_size, who also post and
 *    retweet organically with ordinary weights.
 *
 * Time.  Data start at 2023-01-01T00:00:00Z and span span_s (+ one day of
 * tail).  Organic posts are born following a daily rhythm in the author's
 * community's local time (night trough at 4 h at 12% of the evening peak).
 *
 * Organic cascades.  A post by an account drawn by activity weight, of
 * cascade size S (the post and S-1 reactions) from a discrete power law
 * P(S >= k) ~ 1/k on [1, max_popularity]; the first cascade is a celebrity
 * post of exactly min(max_popularity, actions / 10).  Reactions: 80% retweets, 11% replies,
 * 7% quotes, 2% copies of the post's text as a new original (organic
 * duplicate text).  Reactors are drawn by activity weight, 60% from the
 * author's community (like-minded accounts share the same posts, tags and
 * sites), without repeats within a cascade (after 8 collisions a repeat
 * is kept).  Delays are exponential with a log-uniform time constant of
 * 10 min..6 h; half the cascades of >= 100 posts are viral: 30-70% of
 * their reactions come in a burst with a 2-min time constant, and the fans
 * join.
 *
 * Texts and entities (simulate_text.c).  Words from a synthetic vocabulary
 * of 4096 words with Zipf(1.05) popularity, 6-30 per original (3-20 per
 * reply, 4-20 per quote), with commas, sentence ends, now and then a
 * quoted word, a line break or an emoji.  An original has a URL with
 * probability 0.3, 0/1/2/3 hashtags with probability .6/.25/.1/.05 and
 * 0/1/2 mentions with .85/.12/.03 (mentioned accounts by activity weight);
 * a reply starts with "@author" of the post it answers.  Hashtags: 60% a
 * community favourite (mostly in CamelCase, 15% lower case), 40% one of 24
 * global trending tags of Zipf popularity, posted as #Vote, #vote or #VOTE
 * (70/15/15%).  URLs: 60% a community favourite domain, else one of 512
 * domains of Zipf popularity; the article is Zipf over 10^5, so popular
 * articles are linked by many; 15% http, 5% with the www habit of the
 * domain flipped, 5% a trailing slash, 4% utm parameters.
 *
 * Planted groups.  Kinds are given round-robin over the groups from
 * o->kinds (default: all six in the order below).  Each member has a join
 * probability drawn from [0.5, 0.8] and joins each occasion with it; each
 * group has 20-60 occasions, in its office hours (8-20 h in its own time
 * zone), each with a campaign number that makes its URL, text or tag.
 *  - retweet_ring: a member posts; the others retweet it 1-30 s after the
 *    occasion starts (0-10 min after the post); 0-2 organic retweets
 *    follow.  15% of the occasions instead retweet a popular organic post
 *    (a cascade of >= 50) 0-3 h after it appears, again within 30 s.
 *  - link_pusher: members post the campaign URL (the group's own obscure
 *    domain, one article per occasion) with their own words, within
 *    minutes (exponential, mean 60 s, at most 5 min), each in a variant:
 *    utm_* parameters (1/2), fbclid (1/4), www flipped (0.3), http instead
 *    of https (0.3), a trailing slash (0.3), a #fragment (0.2).  URL
 *    normalisation makes them one object; raw strings mostly differ.
 *  - copypasta: members post the campaign text (12-25 words) within
 *    minutes (mean 90 s, at most 10 min): 30% exact copies, the rest with
 *    each of these edits with probability 0.4 (at least one): 1-3 words
 *    replaced, an emoji appended, a trending hashtag appended, the case
 *    changed (all upper or all lower).
 *  - hashtag_flood: each joining member posts 1-3 times within minutes
 *    (mean 2 min, at most 15 min) with its own words and the occasion's
 *    rare campaign hashtag (20% in lower case), half of the posts also
 *    with a trending tag.
 *  - reply_swarm: members reply to the same organic post within two
 *    minutes (mean 25 s), 1 min-3 h after it appears; 70% of the targets
 *    are popular (a cascade of >= 50), 30% any organic post.
 *  - slow_ring: as retweet_ring on the group's own posts, but the members
 *    retweet one after another 5-30 min apart: only wide windows see them.
 *  Occasions on organic posts take a cascade as it is generated (with a
 *  probability set so that they are placed early); any left at the end
 *  get a fresh organic target post.
 *
 * Volume.  Cascades are generated until the action rows plus the expected
 * rows of the planted occasions not yet written reach o->actions; the last
 * cascade is cut to the budget.  The total is o->actions plus the noise of
 * the last occasions (well under 1% unless the run is tiny).  Occasions on
 * the groups' own objects are placed at random points of the stream.
 *
 * Output.  Unit by unit (a cascade, a feed item, an occasion), each in time
 * order, ties by creation order; units in no time order.  This is what lets
 * us stream: memory is O(accounts + max_popularity), never O(rows).  Ids
 * are 16 lower-case hex digits, lk_mix64 of (domain, index) xored with a
 * key drawn from the seed: a bijection, so ids never collide (not even
 * across the account and post domains) and reveal neither index nor label.
 * Byte-identical output for identical options on one platform; across libm
 * versions exp/log/pow rounding could in principle differ.
 */
#include "simulate_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define ACTIONS_MAX  UINT64_C(1000000000000)
#define ACCOUNTS_MAX (UINT32_C(1) << 30) /* organic, and planted: indices fit u32 */
#define SPAN_MAX     (INT64_C(100) * 366 * 86400)
#define KINDS_MAX    64

static const char *const kind_names[K_N] = {"retweet_ring",  "link_pusher", "copypasta",
                                            "hashtag_flood", "reply_swarm", "slow_ring"};

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
    o->kinds = NULL;
    o->write_tweets = 1;
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

/* ---- kinds ------------------------------------------------------------------ */

/* Parse a --kinds list into kinds[] (round-robin order); NULL, "" and
 * "all" give the six kinds in their default order. */
static lk_status parse_kinds(const char *list, sim_kind *kinds, size_t *n, char *msg, size_t msglen)
{
    size_t k = 0;

    *n = 0;
    if (!list || !*list || strcmp(list, "all") == 0) {
        for (int i = 0; i < K_N; i++)
            kinds[i] = (sim_kind)i;
        *n = K_N;
        return LK_OK;
    }
    for (const char *p = list;; p++) {
        const char *e = strchr(p, ',');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        int i = 0;

        while (i < K_N && (strlen(kind_names[i]) != len || memcmp(kind_names[i], p, len) != 0))
            i++;
        if (i == K_N || k == KINDS_MAX) {
            seterr(msg, msglen,
                   i == K_N ? "unknown group kind '%.*s' (expected retweet_ring, link_pusher, "
                              "copypasta, hashtag_flood, reply_swarm, slow_ring or all)"
                            : "too many group kinds in '%.*s'",
                   (int)LK_MIN(len, 64), p);
            return LK_EINVAL;
        }
        kinds[k++] = (sim_kind)i;
        if (!e)
            break;
        p = e;
    }
    *n = k;
    return LK_OK;
}

lk_status lk_simulate_kinds_check(const char *list, char *msg, size_t msglen)
{
    sim_kind kinds[KINDS_MAX];
    size_t n;

    return parse_kinds(list, kinds, &n, msg, msglen);
}

/* ---- output ------------------------------------------------------------------- */

void sim_hex16(char *p, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 15; i >= 0; i--) {
        p[i] = digits[v & 15];
        v >>= 4;
    }
}

uint64_t sim_make_id(const sim *s, unsigned dom, uint64_t idx)
{
    return lk_mix64(((uint64_t)dom << 62 | idx) ^ s->key);
}

static void out_flush(sim_out *w)
{
    if (w->len && !w->err && fwrite(w->chunk, 1, w->len, w->f) != w->len)
        w->err = errno ? errno : EIO;
    w->len = 0;
}

void sim_out_put(sim_out *w, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        size_t k;

        if (w->len == SIM_CHUNK)
            out_flush(w);
        k = LK_MIN(n, SIM_CHUNK - w->len);
        memcpy(w->chunk + w->len, c, k);
        w->len += k;
        c += k;
        n -= k;
    }
}

void sim_out_putc(sim_out *w, char c)
{
    if (w->len == SIM_CHUNK)
        out_flush(w);
    w->chunk[w->len++] = c;
}

void sim_out_hex16(sim_out *w, uint64_t v)
{
    char p[16];

    sim_hex16(p, v);
    sim_out_put(w, p, 16);
}

void sim_out_u64(sim_out *w, uint64_t v)
{
    char tmp[20];
    size_t n = sizeof tmp;

    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sim_out_put(w, tmp + n, sizeof tmp - n);
}

void sim_out_csv(sim_out *w, const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && p[i] != ',' && p[i] != '"' && p[i] != '\n' && p[i] != '\r')
        i++;
    if (i == n) {
        sim_out_put(w, p, n);
        return;
    }
    sim_out_putc(w, '"');
    for (size_t b = 0;;) { /* runs up to and including each '"', which is doubled */
        const char *q = memchr(p + b, '"', n - b);
        const size_t e = q ? (size_t)(q - p) + 1 : n;

        sim_out_put(w, p + b, e - b);
        if (!q)
            break;
        sim_out_putc(w, '"');
        b = e;
    }
    sim_out_putc(w, '"');
}

static lk_status out_open(sim_out *w, const char *dir, const char *name, char *errbuf,
                          size_t errlen)
{
    lk_buf path;

    lk_buf_init(&path);
    if (lk_buf_printf(&path, "%s/%s", dir, name) != LK_OK)
        return LK_ENOMEM;
    w->path = path.p;
    w->chunk = malloc(SIM_CHUNK);
    if (!w->chunk)
        return LK_ENOMEM;
    w->f = fopen(w->path, "w");
    if (!w->f) {
        seterr(errbuf, errlen, "cannot write '%s': %s", w->path, strerror(errno));
        return LK_EIO;
    }
    w->opened = 1;
    /* The chunk is the buffer: large writes go straight to the file. */
    if (setvbuf(w->f, NULL, _IONBF, 0) != 0) {
        seterr(errbuf, errlen, "cannot write '%s': cannot set buffer", w->path);
        return LK_EIO;
    }
    return LK_OK;
}

/* Flush and close after st, the status of writing; report the first
 * failure.  On other errors leave it to out_release to close and remove. */
static lk_status out_finish(sim_out *w, lk_status st, char *errbuf, size_t errlen)
{
    FILE *const f = w->f;

    if (!f || (st != LK_OK && st != LK_EIO))
        return st;
    out_flush(w);
    w->f = NULL;
    errno = 0;
    if (fclose(f) != 0 && !w->err)
        w->err = errno ? errno : EIO;
    if (w->err) {
        seterr(errbuf, errlen, "cannot write '%s': %s", w->path, strerror(w->err));
        return LK_EIO;
    }
    return st;
}

/* Release; on failure also remove the file (it was ours once fopen
 * succeeded). */
static void out_release(sim_out *w, int remove_file)
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

/* ---- truth ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* truth.csv: every account that acts, sorted by id (the order of the
 * account indices would give the labels away). */
static lk_status write_truth(sim *s, sim_out *w)
{
    static const char *const label[] = {",organic,,\n", ",fan,,\n", ",coordinated,",
                                        ",newsbot,,\n"};
    uint64_t *v = malloc((size_t)LK_MAX(s->n_acc, 1) * sizeof *v);
    size_t n = 0;

    if (!v)
        return LK_ENOMEM;
    for (uint32_t a = 0; a < s->n_acc; a++)
        if (s->seen[a])
            v[n++] = sim_make_id(s, DOM_ACCOUNT, a);
    lk_qsort(v, n, sizeof *v, cmp_u64);
    sim_out_put(w, "account_id,label,group,kind\n", 28);
    for (size_t i = 0; i < n; i++) {
        const uint32_t a = (uint32_t)(lk_unmix64(v[i]) ^ s->key); /* the index back */
        const int k = a < s->n_org ? 0 : a < s->n_org + s->n_fan ? 1 : a < s->n_alias ? 2 : 3;

        sim_out_hex16(w, v[i]);
        sim_out_put(w, label[k], strlen(label[k]));
        if (k == 2) {
            const uint32_t g = (a - s->n_org - s->n_fan) / s->group_size;
            const char *kn = kind_names[s->groups[g].kind];

            sim_out_u64(w, (uint64_t)g + 1);
            sim_out_putc(w, ',');
            sim_out_put(w, kn, strlen(kn));
            sim_out_putc(w, '\n');
        }
    }
    free(v);
    return w->err ? LK_EIO : LK_OK;
}

/* ---- setup ------------------------------------------------------------------- */

#define REJECT(...)                          \
    do {                                     \
        seterr(errbuf, errlen, __VA_ARGS__); \
        return LK_EINVAL;                    \
    } while (0)

static lk_status check_opts(const lk_simulate_opts *o, const sim_kind *kinds, size_t nk,
                            char *errbuf, size_t errlen)
{
    const uint64_t accounts = o->accounts ? o->accounts : o->actions / 20;
    double planted = 0;

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
    /* Planted rows must leave room for the organic background they hide
     * in: at most half the data, by the mean number of occasions. */
    for (uint32_t g = 0; g < o->groups && nk; g++)
        planted += sim_kind_expect(kinds[g % nk], o->group_size);
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

/* Activity weights: Pareto(1.5), capped so that one account cannot swallow
 * a small run; one alias table over everybody, one per community block. */
static lk_status build_weights(sim *s)
{
    double *w = malloc((size_t)s->n_alias * sizeof *w),
           *w2 = malloc((size_t)s->n_alias * sizeof *w2);
    uint32_t *work = malloc((size_t)s->n_alias * sizeof *work);
    lk_status st = LK_ENOMEM;

    if (w && w2 && work) {
        for (uint32_t i = 0; i < s->n_alias; i++) {
            const double x = pow(1.0 - lk_rng_unit(&s->rng), -1.0 / 1.5);

            w[i] = w2[i] = x > 1e4 ? 1e4 : x;
        }
        lk_alias_build(s->alias, w2, work, s->n_alias);
        for (uint32_t c = 0; c < s->n_comm; c++) {
            const uint32_t lo = s->cstart[c], n = s->cstart[c + 1] - lo;

            if (n)
                lk_alias_build(s->calias + lo, w + lo, work, n);
        }
        st = LK_OK;
    }
    free(w);
    free(w2);
    free(work);
    return st;
}

static lk_status sim_setup(sim *s, const lk_simulate_opts *o, const sim_kind *kinds, size_t nk)
{
    static const int zones[] = {-8, -6, -5, -5, -3, 0, 0, 1, 1, 2, 3, 5, 7, 8, 9};
    const uint64_t accounts = o->accounts ? o->accounts : LK_MAX(o->actions / 20, 1);
    double wsum = 0, acc = 0;

    lk_rng_seed(&s->rng, o->seed);
    s->key = lk_rng_next(&s->rng);
    s->actions = o->actions;
    s->span = o->span_s;
    s->limit = o->span_s + SIM_TAIL_S - 1;
    s->max_pop = o->max_popularity;
    s->tweets = o->write_tweets;
    s->tmin_key = -1;
    s->n_org = (uint32_t)accounts;
    s->n_fan = LK_MIN(SIM_FAN_MAX, s->n_org / 20);
    s->n_bot = LK_MIN(SIM_BOT_MAX, s->n_org / 100);
    s->n_comm = LK_MAX(1, LK_MIN(SIM_COMM_MAX, s->n_org / 20));
    s->n_groups = o->groups;
    s->group_size = o->group_size;
    s->n_mem = o->groups * o->group_size;
    s->n_alias = s->n_org + s->n_fan + s->n_mem;
    s->n_acc = s->n_alias + s->n_bot;
    s->alias = malloc((size_t)s->n_alias * sizeof *s->alias);
    s->calias = malloc((size_t)s->n_org * sizeof *s->calias);
    s->cstart = malloc(((size_t)s->n_comm + 1) * sizeof *s->cstart);
    s->ctz = malloc((size_t)s->n_comm * sizeof *s->ctz);
    s->comm = calloc(s->n_acc, sizeof *s->comm);
    s->pjoin = malloc(((size_t)s->n_mem + 1) * sizeof *s->pjoin);
    s->groups = malloc(((size_t)s->n_groups + 1) * sizeof *s->groups);
    s->mark = calloc(s->n_acc, sizeof *s->mark);
    s->seen = calloc(s->n_acc, 1);
    for (int c = 0; c < H_N; c++)
        s->pend[c] = calloc(LK_MAX(s->n_groups, 1), sizeof *s->pend[c]);
    if (!s->alias || !s->calias || !s->cstart || !s->ctz || !s->comm || !s->pjoin || !s->groups ||
        !s->mark || !s->seen || !s->pend[0] || !s->pend[1])
        return LK_ENOMEM;
    /* Community c holds the organic block [cstart[c], cstart[c+1]), of size
     * ~ (c+1)^-0.8; with >= 20 accounts per community none is empty. */
    for (uint32_t c = 0; c < s->n_comm; c++)
        wsum += pow(c + 1.0, -0.8);
    for (uint32_t c = 0; c < s->n_comm; c++) {
        s->cstart[c] = (uint32_t)((double)s->n_org * acc / wsum);
        acc += pow(c + 1.0, -0.8);
        s->ctz[c] = zones[lk_rng_below(&s->rng, sizeof zones / sizeof zones[0])];
    }
    s->cstart[s->n_comm] = s->n_org;
    for (uint32_t c = 0; c < s->n_comm; c++)
        for (uint32_t a = s->cstart[c]; a < s->cstart[c + 1]; a++)
            s->comm[a] = (uint16_t)c;
    for (uint32_t a = s->n_org; a < s->n_alias; a++)
        s->comm[a] = (uint16_t)lk_rng_below(&s->rng, s->n_comm);
    for (uint32_t g = 0; g < s->n_groups; g++) {
        sim_group *G = &s->groups[g];

        G->kind = kinds[g % nk];
        G->base = s->n_org + s->n_fan + g * s->group_size;
        G->tz = zones[lk_rng_below(&s->rng, sizeof zones / sizeof zones[0])];
        G->sum_pj = 0;
        for (uint32_t m = 0; m < s->group_size; m++) {
            const float p = (float)(0.5 + 0.3 * lk_rng_unit(&s->rng));

            s->pjoin[g * s->group_size + m] = p;
            G->sum_pj += p;
        }
    }
    if (build_weights(s) != LK_OK)
        return LK_ENOMEM;
    return sim_text_setup(s);
}

static void sim_release(sim *s)
{
    free(s->alias);
    free(s->calias);
    free(s->cstart);
    free(s->ctz);
    free(s->comm);
    free(s->pjoin);
    free(s->groups);
    free(s->mark);
    free(s->seen);
    for (int c = 0; c < H_N; c++)
        free(s->pend[c]);
    free(s->posts);
    free(s->keys);
    free(s->occ);
    sim_text_release(s);
}

/* ---- driver --------------------------------------------------------------------- */

lk_status lk_simulate(const lk_simulate_opts *o, char *errbuf, size_t errlen)
{
    sim s;
    sim_out truth;
    sim_kind kinds[KINDS_MAX];
    size_t nk = 0;
    lk_status st;
    int failed = 1;

    memset(&s, 0, sizeof s);
    memset(&truth, 0, sizeof truth);
    if (errbuf && errlen)
        errbuf[0] = '\0';
    st = parse_kinds(o->kinds, kinds, &nk, errbuf, errlen);
    if (st == LK_OK)
        st = check_opts(o, kinds, nk, errbuf, errlen);
    if (st != LK_OK)
        return st;
    st = make_dirs(o->out_dir, errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    st = sim_setup(&s, o, kinds, nk);
    if (st == LK_OK)
        st = sim_plan(&s);
    if (st == LK_OK)
        st = out_open(&s.act, o->out_dir, "actions.csv", errbuf, errlen);
    if (st == LK_OK && s.tweets)
        st = out_open(&s.tw, o->out_dir, "tweets.csv", errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    sim_out_put(&s.act, "object_id,account_id,content_id,timestamp_share,trace\n", 54);
    if (s.tweets)
        sim_write_tweets_header(&s);
    st = sim_generate(&s);
    st = out_finish(&s.act, st, errbuf, errlen);
    st = out_finish(&s.tw, st, errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    st = out_open(&truth, o->out_dir, "truth.csv", errbuf, errlen);
    if (st == LK_OK)
        st = write_truth(&s, &truth);
    st = out_finish(&truth, st, errbuf, errlen);
    if (st != LK_OK)
        goto cleanup;
    failed = 0;
    lk_log(LK_LOG_INFO,
           "simulate: wrote %" PRIu64 " actions in %" PRIu64 " posts (%" PRIu64 " units) to '%s'",
           s.written, s.posts_written, s.units, o->out_dir);
cleanup:
    if (st == LK_ENOMEM)
        seterr(errbuf, errlen, "out of memory");
    out_release(&s.act, failed);
    out_release(&s.tw, failed);
    out_release(&truth, failed);
    sim_release(&s);
    return st;
}
