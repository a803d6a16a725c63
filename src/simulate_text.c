/*
 * simulate_text.c - what a simulated post says, and how it is written.
 *
 * A post's text, hashtags, URLs and mentions are a pure function of the
 * post (its seed, style, community, campaign and entity counts) and of the
 * tables built here from the run's key, so nothing about them is stored
 * while a unit is generated.  The generator's main random stream is never
 * touched while rendering: each post draws from its own lk_rng seeded with
 * sim_post.seed, campaign texts from one seeded with the campaign number.
 *
 * Tables (all from the key, so two seeds give two different "languages"):
 *  - VOCAB synthetic words of 1-4 syllables, shorter ones more frequent,
 *    drawn with Zipf(1.05) popularity;
 *  - hashtags named by id: TREND global trending tags (Zipf popularity),
 *    FAV_TAGS favourites per community, one campaign tag per planted
 *    occasion; CamelCase of 1-3 words, posted in case variants;
 *  - NDOMAINS domains (the first NEWS_DOMAINS are news sites) with Zipf
 *    popularity, each with a fixed www / no-www habit; FAV_DOMAINS
 *    favourites per community; one obscure domain per planted group.
 */
#include "simulate_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

#define VOCAB        4096
#define TREND        24
#define FAV_TAGS     8
#define FAV_DOMAINS  5
#define NDOMAINS     512
#define NEWS_DOMAINS 16
#define ARTICLES     100000.0
#define TAG_COMM     UINT64_C(1000)
#define TAG_CAMP     (UINT64_C(1) << 40)
#define DOMAIN_GROUP (UINT64_C(1) << 40)

/* Salts that keep the hash streams of different tables apart. */
enum { H_WORD = 1, H_TAG, H_DOMAIN, H_ARTICLE, H_CAMP, H_ACCT, H_FEED, H_FAVDOM };

static const char *const tlds[] = {"com", "net", "org", "info", "news", "co.uk", "de", "io"};
static const char *const sections[] = {"news", "politics", "world", "opinion", "sport",
                                       "tech", "culture",  "local", "business"};
static const char *const emoji[] = {
    "\xf0\x9f\x94\xa5", "\xf0\x9f\x91\x8d", "\xf0\x9f\x98\xa1", "\xf0\x9f\x87\xba\xf0\x9f\x87\xb8",
    "\xe2\x9c\x85",     "\xf0\x9f\x92\xaf", "\xf0\x9f\x98\x82", "\xe2\x9d\x97"};
static const char *const onsets[] = {"b", "c",  "d",  "f",  "g",  "h",  "k",  "l",
                                     "m", "n",  "p",  "r",  "s",  "t",  "v",  "w",
                                     "z", "br", "st", "tr", "pl", "gr", "ch", "sh"};
static const char *const vowels[] = {"a", "e", "i", "o", "u", "ai", "ou", "ee"};
static const char *const codas[] = {"", "", "", "n", "r", "s", "l", "t", "m", "x"};
static const char *const locations[] = {
    "",
    "",
    "",
    "London",
    "New York, NY",
    "Lagos, Nigeria",
    "S\xc3\xa3o Paulo",
    "Mumbai",
    "Berlin",
    "Paris, France",
    "Toronto",
    "Sydney",
    "Texas",
    "M\xc3\xa9xico",
    "Manila",
    "Earth",
    "Jakarta",
    "Cairo",
};
static const char *const clients[] = {"Twitter for Android", "Twitter for iPhone",
                                      "Twitter Web App",     "Twitter for iPad",
                                      "TweetDeck",           "Hootsuite Inc."};
static const char *const bot_clients[] = {"dlvr.it", "IFTTT", "Buffer", "twitterfeed"};
static const char *const group_clients[] = {"Twitter Web App", "TweetDeck", "Twitter for Android"};
static const char *const langs[] = {"en", "en", "en", "en", "en", "en", "en", "es",
                                    "es", "fr", "de", "ar", "ru", "pt", "ja", "und"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t hash3(const sim *s, uint64_t salt, uint64_t a, uint64_t b)
{
    return lk_mix64(s->key ^ lk_mix64(salt << 56 ^ a) ^ lk_mix64(b + UINT64_C(0x632be59bd9b4e019)));
}

/* ---- tables --------------------------------------------------------------------- */

static lk_status zipf_table(lk_alias_col **t, uint32_t n, double expo)
{
    double *w = malloc((size_t)n * sizeof *w);
    uint32_t *work = malloc((size_t)n * sizeof *work);
    lk_status st = LK_ENOMEM;

    *t = malloc((size_t)n * sizeof **t);
    if (w && work && *t) {
        for (uint32_t i = 0; i < n; i++)
            w[i] = pow((double)i + 1.0, -expo);
        lk_alias_build(*t, w, work, n);
        st = LK_OK;
    }
    free(w);
    free(work);
    return st;
}

lk_status sim_text_setup(sim *s)
{
    lk_buf b;
    lk_status st;

    lk_buf_init(&b);
    lk_buf_init(&s->text);
    lk_buf_init(&s->root_text);
    lk_buf_init(&s->urls);
    lk_buf_init(&s->tags);
    lk_buf_init(&s->scratch);
    s->woff = malloc((VOCAB + 1) * sizeof *s->woff);
    if (!s->woff)
        return LK_ENOMEM;
    /* Rank i gets 1 syllable among the first 40 words, up to 4 later on:
     * frequent words are short, as in every language. */
    for (uint32_t i = 0; i < VOCAB; i++) {
        const uint64_t h = hash3(s, H_WORD, i, 0);
        const unsigned syl = 1u + (i >= 40) + (i >= 600) + (i >= 2000 && (h & 1));

        s->woff[i] = (uint32_t)b.len;
        for (unsigned k = 0; k < syl; k++) {
            const uint64_t x = h >> (k * 12);
            const char *on = onsets[x % NELEM(onsets)];
            const char *vo = vowels[(x >> 5) % NELEM(vowels)];

            if ((st = lk_buf_append(&b, on, strlen(on))) != LK_OK ||
                (st = lk_buf_append(&b, vo, strlen(vo))) != LK_OK)
                goto fail;
        }
        st = lk_buf_append(&b, codas[(h >> 50) % NELEM(codas)],
                           strlen(codas[(h >> 50) % NELEM(codas)]));
        if (st != LK_OK || (st = lk_buf_putc(&b, '\0')) != LK_OK)
            goto fail;
    }
    s->woff[VOCAB] = (uint32_t)b.len;
    s->words = b.p; /* takes ownership */
    if ((st = zipf_table(&s->walias, VOCAB, 1.05)) != LK_OK ||
        (st = zipf_table(&s->dalias, NDOMAINS, 1.0)) != LK_OK ||
        (st = zipf_table(&s->talias, TREND, 1.0)) != LK_OK ||
        (st = zipf_table(&s->ftalias, FAV_TAGS, 1.0)) != LK_OK)
        return st;
    return LK_OK;
fail:
    lk_buf_release(&b);
    return st;
}

void sim_text_release(sim *s)
{
    free(s->words);
    free(s->woff);
    free(s->walias);
    free(s->dalias);
    free(s->talias);
    free(s->ftalias);
    lk_buf_release(&s->text);
    lk_buf_release(&s->root_text);
    lk_buf_release(&s->urls);
    lk_buf_release(&s->tags);
    lk_buf_release(&s->scratch);
}

/* ---- entity plans ------------------------------------------------------------------ */

void sim_plan_organic(sim *s, sim_post *p)
{
    lk_rng *const r = &s->rng;
    const double u = lk_rng_unit(r), v = lk_rng_unit(r), x = lk_rng_unit(r);

    switch (p->type) {
    case P_ORIGINAL: /* E[rows] = SIM_ORIG_ROWS */
        p->nurl = x < 0.3;
        p->ntag = u < 0.6 ? 0 : u < 0.85 ? 1 : u < 0.95 ? 2 : 3;
        p->nment = v < 0.85 ? 0 : v < 0.97 ? 1 : 2;
        break;
    case P_REPLY: /* "@author ..." */
        p->nurl = x < 0.05;
        p->ntag = u < 0.9 ? 0 : 1;
        p->nment = 1;
        break;
    case P_QUOTE:
        p->nurl = x < 0.1;
        p->ntag = u < 0.7 ? 0 : 1;
        p->nment = 0;
        break;
    default:
        p->nurl = p->ntag = p->nment = 0;
        break;
    }
}

/* ---- pieces of text ------------------------------------------------------------------ */

#define PUT(str, n)                                \
    do {                                           \
        if (lk_buf_append(b, (str), (n)) != LK_OK) \
            return LK_ENOMEM;                      \
    } while (0)
#define PUTS(str)                        \
    do {                                 \
        if (buf_puts(b, (str)) != LK_OK) \
            return LK_ENOMEM;            \
    } while (0)
#define PUTC(c)                           \
    do {                                  \
        if (lk_buf_putc(b, (c)) != LK_OK) \
            return LK_ENOMEM;             \
    } while (0)

/* A function, not a macro: its argument is evaluated once. */
static lk_status buf_puts(lk_buf *b, const char *str)
{
    return lk_buf_append(b, str, strlen(str));
}

static const char *word(const sim *s, uint32_t i, size_t *n)
{
    *n = s->woff[i + 1] - s->woff[i] - 1;
    return s->words + s->woff[i];
}

/* Word i, its first letter upper-cased when cap. */
static lk_status put_word(const sim *s, lk_buf *b, uint32_t i, int cap)
{
    size_t n;
    const char *w = word(s, i, &n);

    PUTC(cap ? (char)(w[0] - 'a' + 'A') : w[0]);
    PUT(w + 1, n - 1);
    return LK_OK;
}

/* n words of running text: sentences with commas, now and then a quoted
 * word or a line break (a CSV cell that spans lines), an emoji at the end. */
static lk_status put_words(const sim *s, lk_rng *r, lk_buf *b, uint32_t n)
{
    static const char *const ends[] = {"", "", "", "", ".", ".", ".", ".", "!", "?"};
    int cap = 1;

    for (uint32_t k = 0; k < n; k++) {
        const double u = lk_rng_unit(r);
        const int quoted = u < 0.015;

        if (quoted)
            PUTC('"');
        if (put_word(s, b, lk_alias_draw(r, s->walias, VOCAB), cap) != LK_OK)
            return LK_ENOMEM;
        if (quoted)
            PUTC('"');
        cap = 0;
        if (k + 1 == n)
            break;
        if (u > 0.97) {
            PUTC('.');
            cap = 1;
        } else if (u > 0.92) {
            PUTC(',');
        }
        PUTC(cap && u > 0.997 ? '\n' : ' ');
    }
    PUTS(ends[lk_rng_below(r, NELEM(ends))]);
    if (lk_rng_unit(r) < 0.04) {
        PUTC(' ');
        PUTS(emoji[lk_rng_below(r, NELEM(emoji))]);
    }
    return LK_OK;
}

/* Hashtag `id` in its canonical CamelCase, then in case variant var
 * (0 as is, 1 lower, 2 upper): #Vote, #vote, #VOTE. */
static lk_status put_tag(const sim *s, lk_buf *b, uint64_t id, int var)
{
    const uint64_t h = hash3(s, H_TAG, id, 0);
    const unsigned nw = id >= TAG_CAMP   ? 2 + (unsigned)(h & 1)
                        : id >= TAG_COMM ? 1 + (unsigned)(h & 1)
                                         : 1 + ((h & 3) == 0);
    const size_t start = b->len;

    for (unsigned k = 0; k < nw; k++)
        if (put_word(s, b, (uint32_t)((h >> (8 + 16 * k)) % VOCAB), 1) != LK_OK)
            return LK_ENOMEM;
    if (id >= TAG_CAMP && (h >> 60) < 6) { /* "#StopKalmo24" */
        char d[3] = {(char)('0' + (h >> 50) % 10), (char)('0' + (h >> 54) % 10), 0};

        PUTS(d);
    }
    for (size_t i = start; i < b->len && var; i++) {
        const char c = b->p[i];

        if (var == 1 && c >= 'A' && c <= 'Z')
            b->p[i] = (char)(c - 'A' + 'a');
        else if (var == 2 && c >= 'a' && c <= 'z')
            b->p[i] = (char)(c - 'a' + 'A');
    }
    return LK_OK;
}

static int domain_www(const sim *s, uint64_t dom)
{
    return (hash3(s, H_DOMAIN, dom, 0) >> 40) % 3 == 0;
}

static lk_status put_domain(const sim *s, lk_buf *b, uint64_t dom)
{
    static const char *const news[] = {"news", "times", "daily", "post", "herald", "wire"};
    const uint64_t h = hash3(s, H_DOMAIN, dom, 0);

    if (put_word(s, b, (uint32_t)(h % VOCAB), 0) != LK_OK)
        return LK_ENOMEM;
    if (dom < NEWS_DOMAINS)
        PUTS(news[(h >> 12) % NELEM(news)]);
    else if (dom >= DOMAIN_GROUP || (h >> 20) % 3 == 0) /* two words, like most sites */
        if (put_word(s, b, (uint32_t)((h >> 24) % VOCAB), 0) != LK_OK)
            return LK_ENOMEM;
    if (dom >= DOMAIN_GROUP)
        PUTS((h >> 36) & 1 ? "-today" : "-truth");
    PUTC('.');
    PUTS(tlds[(h >> 44) % NELEM(tlds)]);
    return LK_OK;
}

/* "slug-of-words", 2-4 words picked by h. */
static lk_status put_slug(const sim *s, lk_buf *b, uint64_t h)
{
    const unsigned nw = 2 + (unsigned)(h % 3);

    for (unsigned k = 0; k < nw; k++) {
        if (k)
            PUTC('-');
        if (put_word(s, b, (uint32_t)((h >> (4 + 14 * k)) % VOCAB), 0) != LK_OK)
            return LK_ENOMEM;
    }
    return LK_OK;
}

/* scheme://[www.]domain */
static lk_status put_origin(const sim *s, lk_buf *b, uint64_t dom, int https, int www)
{
    PUTS(https ? "https://" : "http://");
    if (www)
        PUTS("www.");
    return put_domain(s, b, dom);
}

/* An organic link: a community favourite or a popular domain, an article
 * whose popularity is Zipf (popular articles are linked by many), and the
 * variants people produce without trying: http, a dropped or added www, a
 * trailing slash, a tracking parameter. */
static lk_status put_organic_url(const sim *s, lk_rng *r, lk_buf *b, unsigned comm)
{
    const uint64_t dom = lk_rng_unit(r) < 0.6
                             ? hash3(s, H_FAVDOM, comm, lk_rng_below(r, FAV_DOMAINS)) % NDOMAINS
                             : lk_alias_draw(r, s->dalias, NDOMAINS);
    const double top = 1.0 - 1.0 / ARTICLES;
    const uint64_t art = (uint64_t)(1.0 / (1.0 - lk_rng_unit(r) * top));
    const uint64_t h = hash3(s, H_ARTICLE, dom, art);

    if (put_origin(s, b, dom, lk_rng_unit(r) < 0.85,
                   domain_www(s, dom) ^ (lk_rng_unit(r) < 0.05)) != LK_OK)
        return LK_ENOMEM;
    PUTC('/');
    PUTS(sections[h % NELEM(sections)]);
    PUTC('/');
    if (put_slug(s, b, h >> 8) != LK_OK || lk_buf_printf(b, "-%" PRIu64, art) != LK_OK)
        return LK_ENOMEM;
    if (lk_rng_unit(r) < 0.05)
        PUTC('/');
    if (lk_rng_unit(r) < 0.04)
        PUTS("?utm_source=twitter&utm_medium=social");
    return LK_OK;
}

/* link_pusher: the campaign URL (the group's obscure domain, one article
 * per occasion) in the variants that lk_norm_url() removes: utm_* and
 * fbclid parameters, www or not, http or https, a trailing slash, a
 * fragment.  The canonical form is https with the domain's www habit. */
static lk_status put_campaign_url(const sim *s, lk_rng *r, lk_buf *b, uint32_t g, uint32_t camp)
{
    const uint64_t dom = DOMAIN_GROUP + g;
    const uint64_t h = hash3(s, H_CAMP, camp, 1);
    const int utm = lk_rng_unit(r) < 0.5, fb = lk_rng_unit(r) < 0.25;

    if (put_origin(s, b, dom, lk_rng_unit(r) >= 0.3, domain_www(s, dom) ^ (lk_rng_unit(r) < 0.3)) !=
        LK_OK)
        return LK_ENOMEM;
    PUTC('/');
    if (put_slug(s, b, h) != LK_OK)
        return LK_ENOMEM;
    if (lk_rng_unit(r) < 0.3)
        PUTC('/');
    if (utm) {
        PUTS("?utm_source=");
        PUTS(lk_rng_unit(r) < 0.5 ? "twitter" : "tw");
        PUTS("&utm_medium=social&utm_campaign=");
        if (put_word(s, b, (uint32_t)((h >> 40) % VOCAB), 0) != LK_OK)
            return LK_ENOMEM;
    }
    if (fb) {
        static const char alnum[] =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

        PUTS(utm ? "&fbclid=IwAR" : "?fbclid=IwAR");
        for (int k = 0; k < 24; k++)
            PUTC(alnum[lk_rng_below(r, sizeof alnum - 1)]);
    }
    if (lk_rng_unit(r) < 0.2) {
        PUTC('#');
        if (put_word(s, b, lk_alias_draw(r, s->walias, VOCAB), 0) != LK_OK)
            return LK_ENOMEM;
    }
    return LK_OK;
}

/* A newsbot's copy of feed item `feed`: the same news URL for every bot,
 * plain or with the bot's own utm tag, http or https by bot. */
static lk_status put_feed_url(const sim *s, lk_buf *b, uint32_t feed, uint32_t bot)
{
    const uint64_t h = hash3(s, H_FEED, feed, 0);
    const uint64_t dom = h % NEWS_DOMAINS;

    if (put_origin(s, b, dom, bot % 4 != 3, domain_www(s, dom)) != LK_OK)
        return LK_ENOMEM;
    PUTC('/');
    PUTS(sections[(h >> 8) % NELEM(sections)]);
    PUTC('/');
    if (put_slug(s, b, h >> 12) != LK_OK || lk_buf_printf(b, "-%" PRIu32, feed) != LK_OK)
        return LK_ENOMEM;
    if (bot % 3 == 1) {
        PUTS("?utm_source=");
        if (put_word(s, b, (uint32_t)(lk_mix64(bot) % VOCAB), 0) != LK_OK)
            return LK_ENOMEM;
        PUTS("&utm_medium=twitter");
    }
    return LK_OK;
}

#undef PUT
#undef PUTS
#undef PUTC

/* ---- rendering a post ------------------------------------------------------------ */

/* Entities are kept as '\n'-separated lists (none of them holds one). */
static lk_status list_add(lk_buf *list, const char *p, size_t n)
{
    lk_status st = LK_OK;

    if (list->len)
        st = lk_buf_putc(list, '\n');
    if (st == LK_OK)
        st = lk_buf_append(list, p, n);
    return st;
}

static lk_status add_mention(sim *s, uint32_t a)
{
    char at[18];

    if (s->nment_r < 4)
        s->ment[s->nment_r++] = a;
    at[0] = '@';
    sim_hex16(at + 1, sim_make_id(s, DOM_ACCOUNT, a));
    at[17] = ' ';
    return lk_buf_append(&s->text, at, 18);
}

/* " #Tag" into the text and "#Tag" into the tag list. */
static lk_status add_tag(sim *s, uint64_t id, int var)
{
    const size_t start = s->text.len + 1;
    lk_status st = lk_buf_append(&s->text, " #", 2);

    if (st == LK_OK)
        st = put_tag(s, &s->text, id, var);
    if (st == LK_OK)
        st = list_add(&s->tags, s->text.p + start, s->text.len - start);
    return st;
}

/* Hashtags of an organic post: community favourites and trending tags,
 * no tag twice. */
static lk_status add_organic_tags(sim *s, lk_rng *r, const sim_post *p)
{
    uint64_t used[4];

    for (unsigned i = 0; i < p->ntag && i < 4; i++) {
        uint64_t id = 0;
        int var = 0, fresh = 0;

        for (int tries = 0; tries < 8 && !fresh; tries++) {
            const double u = lk_rng_unit(r);

            if (lk_rng_unit(r) < 0.6) {
                id = TAG_COMM + (uint64_t)p->comm * FAV_TAGS +
                     lk_alias_draw(r, s->ftalias, FAV_TAGS);
                var = u < 0.15;
            } else {
                id = lk_alias_draw(r, s->talias, TREND);
                var = u < 0.7 ? 0 : u < 0.85 ? 1 : 2;
            }
            fresh = 1;
            for (unsigned j = 0; j < i; j++)
                fresh &= used[j] != id;
        }
        for (uint64_t k = 0; !fresh && k < FAV_TAGS; k++) { /* ntag <= 3 < FAV_TAGS */
            id = TAG_COMM + (uint64_t)p->comm * FAV_TAGS + k;
            fresh = 1;
            for (unsigned j = 0; j < i; j++)
                fresh &= used[j] != id;
        }
        used[i] = id;
        if (add_tag(s, id, var) != LK_OK)
            return LK_ENOMEM;
    }
    return LK_OK;
}

/* " url" into the text and the URL list, made by put_*_url into scratch. */
static lk_status add_url(sim *s)
{
    lk_status st = lk_buf_putc(&s->text, ' ');

    if (st == LK_OK)
        st = lk_buf_append(&s->text, s->scratch.p, s->scratch.len);
    if (st == LK_OK)
        st = list_add(&s->urls, s->scratch.p, s->scratch.len);
    return st;
}

/* The text of copypasta: the campaign's words (the same for every member),
 * with the post's edits. */
static lk_status render_pasta(sim *s, lk_rng *r, const sim_post *p)
{
    lk_rng tr;
    uint32_t w[26], commas = 0;
    const size_t start = s->text.len;
    uint32_t n;

    lk_rng_seed(&tr, hash3(s, H_CAMP, p->camp, 2));
    n = 12 + (uint32_t)lk_rng_below(&tr, 14);
    for (uint32_t k = 0; k < n; k++) {
        w[k] = lk_alias_draw(&tr, s->walias, VOCAB);
        if (lk_rng_unit(&tr) < 0.1)
            commas |= UINT32_C(1) << k;
    }
    if (p->edit & E_WORDS) /* 1-3 words replaced */
        for (uint64_t k = 0, m = 1 + lk_rng_below(r, 3); k < m; k++)
            w[lk_rng_below(r, n)] = lk_alias_draw(r, s->walias, VOCAB);
    for (uint32_t k = 0; k < n; k++) {
        if (k && lk_buf_putc(&s->text, ' ') != LK_OK)
            return LK_ENOMEM;
        if (put_word(s, &s->text, w[k], k == 0) != LK_OK)
            return LK_ENOMEM;
        if (((commas >> k) & 1) && k + 1 < n && lk_buf_putc(&s->text, ',') != LK_OK)
            return LK_ENOMEM;
    }
    if (lk_buf_putc(&s->text, (hash3(s, H_CAMP, p->camp, 3) & 1) ? '!' : '.') != LK_OK)
        return LK_ENOMEM;
    if (p->edit & E_CASE) {
        const int upper = lk_rng_unit(r) < 0.5;

        for (size_t i = start; i < s->text.len; i++) {
            const char c = s->text.p[i];

            if (upper && c >= 'a' && c <= 'z')
                s->text.p[i] = (char)(c - 'a' + 'A');
            else if (!upper && c >= 'A' && c <= 'Z')
                s->text.p[i] = (char)(c - 'A' + 'a');
        }
    }
    if (p->edit & E_EMOJI) {
        const char *e = emoji[lk_rng_below(r, NELEM(emoji))];

        if (lk_buf_putc(&s->text, ' ') != LK_OK || lk_buf_append(&s->text, e, strlen(e)) != LK_OK)
            return LK_ENOMEM;
    }
    if (p->edit & E_TAG)
        return add_tag(s, lk_alias_draw(r, s->talias, TREND), 0);
    return LK_OK;
}

/* Render post p into s->text, s->urls, s->tags and s->ment[]. */
static lk_status render(sim *s, const sim_post *p, const sim_post *root)
{
    lk_rng r;
    lk_status st = LK_OK;
    const uint32_t group = p->author >= s->n_org + s->n_fan && p->author < s->n_alias
                               ? (p->author - s->n_org - s->n_fan) / s->group_size
                               : 0;

    lk_rng_seed(&r, p->seed);
    lk_buf_reset(&s->text);
    lk_buf_reset(&s->urls);
    lk_buf_reset(&s->tags);
    lk_buf_reset(&s->scratch);
    s->nment_r = 0;
    switch (p->style) {
    case S_NEWS: {
        const uint32_t bot = p->author - s->n_alias;
        lk_rng hr;

        if (bot % 3 == 2) { /* "Kalmo: headline" */
            st = put_word(s, &s->text, (uint32_t)(lk_mix64(bot) % VOCAB), 1);
            if (st == LK_OK)
                st = lk_buf_append(&s->text, ": ", 2);
        }
        lk_rng_seed(&hr, hash3(s, H_FEED, p->camp, 1));
        if (st == LK_OK)
            st = put_words(s, &hr, &s->text, 6 + (uint32_t)lk_rng_below(&hr, 9));
        if (st == LK_OK)
            st = put_feed_url(s, &s->scratch, p->camp, bot);
        return st == LK_OK ? add_url(s) : st;
    }
    case S_LINK:
        st = put_words(s, &r, &s->text, 5 + (uint32_t)lk_rng_below(&r, 11));
        if (st == LK_OK)
            st = put_campaign_url(s, &r, &s->scratch, group, p->camp);
        return st == LK_OK ? add_url(s) : st;
    case S_PASTA:
        return render_pasta(s, &r, p);
    case S_FLOOD: {
        const int var = lk_rng_unit(&r) < 0.2;

        st = put_words(s, &r, &s->text, 6 + (uint32_t)lk_rng_below(&r, 15));
        if (st == LK_OK)
            st = add_tag(s, TAG_CAMP + p->camp, var);
        if (st == LK_OK && p->ntag > 1)
            st = add_tag(s, lk_alias_draw(&r, s->talias, TREND), 0);
        return st;
    }
    case S_SWARM:
        st = add_mention(s, root->author);
        return st == LK_OK ? put_words(s, &r, &s->text, 3 + (uint32_t)lk_rng_below(&r, 13)) : st;
    default:
        break;
    }
    /* organic (and S_COPY, which has the root's seed, community and plan) */
    if (p->type == P_REPLY) {
        st = add_mention(s, root->author);
        if (st == LK_OK)
            st = put_words(s, &r, &s->text, 3 + (uint32_t)lk_rng_below(&r, 18));
    } else if (p->type == P_QUOTE) {
        st = put_words(s, &r, &s->text, 4 + (uint32_t)lk_rng_below(&r, 17));
    } else {
        const int front = lk_rng_unit(&r) < 0.5;
        uint32_t m[2] = {0, 0};

        for (unsigned i = 0; i < p->nment && i < 2; i++) { /* popular accounts get mentioned */
            m[i] = lk_alias_draw(&r, s->alias, s->n_alias);
            if (i == 1 && m[1] == m[0])
                m[1] = (m[0] + 1) % s->n_alias;
        }
        if (s->n_alias < 2 && p->nment > 1)
            m[1] = s->n_alias; /* a one-account run: mention a bot index, never a repeat */
        for (unsigned i = 0; front && i < p->nment && st == LK_OK; i++)
            st = add_mention(s, m[i]);
        if (st == LK_OK)
            st = put_words(s, &r, &s->text, 6 + (uint32_t)lk_rng_below(&r, 25));
        for (unsigned i = 0; !front && i < p->nment && st == LK_OK; i++)
            if ((st = lk_buf_putc(&s->text, ' ')) == LK_OK) {
                st = add_mention(s, m[i]);
                s->text.len--; /* add_mention's trailing space */
                s->text.p[s->text.len] = '\0';
            }
    }
    if (st == LK_OK)
        st = add_organic_tags(s, &r, p);
    if (st == LK_OK && p->nurl) {
        st = put_organic_url(s, &r, &s->scratch, p->comm);
        if (st == LK_OK)
            st = add_url(s);
    }
    return st;
}

/* ---- dates ------------------------------------------------------------------------ */

/* "YYYY-MM-DD" of a day number since 1970-01-01 (H. Hinnant's
 * days-to-civil: no libc, no time zone, valid for any proleptic date). */
static void put_day(char *p, int64_t z)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    const unsigned y = (unsigned)((int64_t)yoe + era * 400 + (m <= 2));

    p[0] = (char)('0' + y / 1000 % 10);
    p[1] = (char)('0' + y / 100 % 10);
    p[2] = (char)('0' + y / 10 % 10);
    p[3] = (char)('0' + y % 10);
    p[4] = '-';
    p[5] = (char)('0' + m / 10);
    p[6] = (char)('0' + m % 10);
    p[7] = '-';
    p[8] = (char)('0' + d / 10);
    p[9] = (char)('0' + d % 10);
}

/* tweet_time: "YYYY-MM-DD HH:MM", truncated to the minute as in the
 * archives; cached, since consecutive posts mostly share a minute. */
static const char *tweet_time(sim *s, int64_t t)
{
    const int64_t min = (SIM_T0 + t) / 60;

    if (min != s->tmin_key) {
        const int64_t hm = min % 1440;

        put_day(s->tmin, min / 1440);
        s->tmin[10] = ' ';
        s->tmin[11] = (char)('0' + hm / 60 / 10);
        s->tmin[12] = (char)('0' + hm / 60 % 10);
        s->tmin[13] = ':';
        s->tmin[14] = (char)('0' + hm % 60 / 10);
        s->tmin[15] = (char)('0' + hm % 10);
        s->tmin[16] = '\0';
        s->tmin_key = min;
    }
    return s->tmin;
}

/* ---- writing ------------------------------------------------------------------------ */

static void act_row(sim *s, const char *obj, size_t n, const char *ids, const sim_post *p,
                    const char *trace)
{
    sim_out *const w = &s->act;

    sim_out_csv(w, obj, n);
    sim_out_putc(w, ',');
    sim_out_put(w, ids, 33); /* account,content */
    sim_out_putc(w, ',');
    sim_out_u64(w, (uint64_t)(SIM_T0 + p->t));
    sim_out_putc(w, ',');
    sim_out_put(w, trace, strlen(trace));
    sim_out_putc(w, '\n');
}

/* Each '\n'-separated element of list as its own action row. */
static void act_list(sim *s, const lk_buf *list, const char *ids, const sim_post *p,
                     const char *trace)
{
    for (size_t i = 0; i < list->len;) {
        const char *e = memchr(list->p + i, '\n', list->len - i);
        const size_t j = e ? (size_t)(e - list->p) : list->len;

        act_row(s, list->p + i, j - i, ids, p, trace);
        i = j + 1;
    }
}

/* A Python list repr cell: ['a', 'b'] or [] (elements hold no quote). */
static void tw_pylist(sim *s, const lk_buf *list, const char *prefix_skip)
{
    lk_buf *const b = &s->scratch;
    int ok;

    lk_buf_reset(b);
    ok = lk_buf_putc(b, '[') == LK_OK;
    for (size_t i = 0; ok && i < list->len;) {
        const char *e = memchr(list->p + i, '\n', list->len - i);
        const size_t j = e ? (size_t)(e - list->p) : list->len;
        size_t k = i;

        if (prefix_skip && list->p[k] == *prefix_skip)
            k++;
        ok = (i == 0 || lk_buf_append(b, ", ", 2) == LK_OK) && lk_buf_putc(b, '\'') == LK_OK &&
             lk_buf_append(b, list->p + k, j - k) == LK_OK && lk_buf_putc(b, '\'') == LK_OK;
        i = j + 1;
    }
    if (ok && lk_buf_putc(b, ']') == LK_OK)
        sim_out_csv(&s->tw, b->p, b->len);
    else if (!s->tw.err)
        s->tw.err = ENOMEM;
}

static void tw_str(sim_out *w, const char *str)
{
    sim_out_csv(w, str, strlen(str));
    sim_out_putc(w, ',');
}

static void tw_count(sim_out *w, uint64_t n)
{
    sim_out_u64(w, n);
    sim_out_put(w, ".0,", 3);
}

/* Columns 2-11: the account, repeated on every row as in the archives.
 * Ids, display and screen names are the same hash, as for the archives'
 * hashed (< 5,000 followers) accounts. */
static void tw_account(sim *s, uint32_t a, const char *idhex)
{
    sim_out *const w = &s->tw;
    const uint64_t h = hash3(s, H_ACCT, a, 0), h2 = hash3(s, H_ACCT, a, 1);
    const int member = a >= s->n_org + s->n_fan && a < s->n_alias, bot = a >= s->n_alias;
    int64_t day;
    uint64_t fol, fing;
    char date[10];

    for (int k = 0; k < 3; k++) {
        sim_out_put(w, idhex, 16);
        sim_out_putc(w, ',');
    }
    tw_str(w, locations[h % NELEM(locations)]);
    lk_buf_reset(&s->scratch);
    if ((h >> 8) & 1) {
        lk_rng r;

        lk_rng_seed(&r, h2);
        if (put_words(s, &r, &s->scratch, 3 + (uint32_t)lk_rng_below(&r, 10)) != LK_OK && !w->err)
            w->err = ENOMEM;
    }
    sim_out_csv(w, s->scratch.p, s->scratch.len);
    sim_out_putc(w, ',');
    if ((h >> 9) % 5 == 0) {
        static const char alnum[] =
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

        sim_out_put(w, "https://t.co/", 13);
        for (int k = 0; k < 10; k++)
            sim_out_putc(w, alnum[(h2 >> (6 * k)) % (sizeof alnum - 1)]);
    }
    sim_out_putc(w, ',');
    if (member) { /* bought or made in one batch: young, few followers */
        const uint64_t g = (a - s->n_org - s->n_fan) / s->group_size;

        day = 19052 + (int64_t)(lk_mix64(s->key ^ g) % 200) + (int64_t)(h % 7);
        fol = 20 + (h >> 16) % 400;
        fing = 200 + (h >> 32) % 1800;
    } else if (bot) {
        day = 14975 + (int64_t)(h % 3000);
        fol = 1000 + (h >> 16) % 50000;
        fing = (h >> 32) % 50;
    } else {
        day = 14031 + (int64_t)(h % 5235);
        fol = (uint64_t)exp((double)((h >> 16) % 1000) / 1000.0 * 9.0);
        fing = (uint64_t)exp(2.0 + (double)((h >> 32) % 1000) / 1000.0 * 6.0);
    }
    sim_out_u64(w, fol);
    sim_out_putc(w, ',');
    sim_out_u64(w, fing);
    sim_out_putc(w, ',');
    put_day(date, day);
    sim_out_put(w, date, 10);
    sim_out_putc(w, ',');
    tw_str(w, member || bot ? "en" : langs[(h >> 20) % NELEM(langs)]);
}

static const char *client_of(const sim *s, uint32_t a)
{
    const uint64_t h = hash3(s, H_ACCT, a, 0) >> 24;

    if (a >= s->n_alias)
        return bot_clients[(a - s->n_alias) % NELEM(bot_clients)];
    if (a >= s->n_org + s->n_fan)
        return group_clients[(a - s->n_org - s->n_fan) / s->group_size % NELEM(group_clients)];
    return h % 20 < 7 ? clients[0] : h % 20 < 14 ? clients[1] : clients[2 + h % 20 % 4];
}

void sim_write_tweets_header(sim *s)
{
    static const char header[] =
        "tweetid,userid,user_display_name,user_screen_name,user_reported_location,"
        "user_profile_description,user_profile_url,follower_count,following_count,"
        "account_creation_date,account_language,tweet_language,tweet_text,tweet_time,"
        "tweet_client_name,in_reply_to_userid,in_reply_to_tweetid,quoted_tweet_tweetid,"
        "is_retweet,retweet_userid,retweet_tweetid,latitude,longitude,quote_count,reply_count,"
        "like_count,retweet_count,hashtags,urls,user_mentions,poll_choices\n";

    sim_out_put(&s->tw, header, sizeof header - 1);
}

static void write_tweet(sim *s, const sim_post *p, const sim_post *root, const char *ids,
                        const uint32_t counts[3])
{
    sim_out *const w = &s->tw;
    char rid[33];
    const int derived = p->type != P_ORIGINAL;

    sim_hex16(rid, sim_make_id(s, DOM_ACCOUNT, root->author));
    sim_hex16(rid + 16, root->id);
    sim_out_put(w, ids + 17, 16); /* tweetid */
    sim_out_putc(w, ',');
    tw_account(s, p->author, ids);
    tw_str(w, (p->seed >> 60) == 0 ? "und" : "en");
    if (p->type == P_RETWEET) { /* the original's text, as the archives hold it */
        lk_buf_reset(&s->scratch);
        if (lk_buf_printf(&s->scratch, "RT @%.16s: ", rid) != LK_OK ||
            lk_buf_append(&s->scratch, s->root_text.p, s->root_text.len) != LK_OK) {
            if (!w->err)
                w->err = ENOMEM;
        }
        sim_out_csv(w, s->scratch.p, s->scratch.len);
    } else {
        sim_out_csv(w, s->text.p, s->text.len);
    }
    sim_out_putc(w, ',');
    tw_str(w, tweet_time(s, p->t));
    tw_str(w, client_of(s, p->author));
    sim_out_put(w, rid, p->type == P_REPLY ? 16 : 0); /* in_reply_to_userid */
    sim_out_putc(w, ',');
    sim_out_put(w, rid + 16, p->type == P_REPLY ? 16 : 0);
    sim_out_putc(w, ',');
    sim_out_put(w, rid + 16, p->type == P_QUOTE ? 16 : 0);
    sim_out_putc(w, ',');
    sim_out_put(w, p->type == P_RETWEET ? "True," : "False,", p->type == P_RETWEET ? 5 : 6);
    sim_out_put(w, rid, p->type == P_RETWEET ? 16 : 0);
    sim_out_putc(w, ',');
    sim_out_put(w, rid + 16, p->type == P_RETWEET ? 16 : 0);
    sim_out_put(w, ",absent,absent,", 15);
    tw_count(w, derived ? 0 : counts[2]);
    tw_count(w, derived ? 0 : counts[1]);
    tw_count(w, derived ? 0 : 2 * (uint64_t)counts[0] + counts[1] + (p->seed & 3));
    tw_count(w, derived ? 0 : counts[0]);
    /* A retweet's entities are the original's: left empty, so that this file
     * and actions.csv give the same actions. */
    if (p->type == P_RETWEET) {
        sim_out_put(w, "[],[],[],\n", 10);
        return;
    }
    tw_pylist(s, &s->tags, "#");
    sim_out_putc(w, ',');
    tw_pylist(s, &s->urls, NULL);
    sim_out_putc(w, ',');
    lk_buf_reset(&s->urls); /* reused for the mention list */
    for (size_t i = 0; i < s->nment_r; i++) {
        char id[16];

        sim_hex16(id, sim_make_id(s, DOM_ACCOUNT, s->ment[i]));
        if (list_add(&s->urls, id, 16) != LK_OK && !w->err)
            w->err = ENOMEM;
    }
    tw_pylist(s, &s->urls, NULL);
    sim_out_put(w, ",\n", 2);
}

void sim_write_post(sim *s, const sim_post *p, const sim_post *root, const uint32_t counts[3])
{
    static const char *const ref_trace[] = {"", "share", "reply", "quote"};
    char ids[33], rid[16];

    sim_hex16(ids, sim_make_id(s, DOM_ACCOUNT, p->author));
    ids[16] = ',';
    sim_hex16(ids + 17, p->id);
    if (p->type != P_ORIGINAL) {
        sim_hex16(rid, root->id);
        act_row(s, rid, 16, ids, p, ref_trace[p->type]);
    }
    if (p->type != P_RETWEET) {
        if (render(s, p, root) != LK_OK && !s->act.err)
            s->act.err = ENOMEM;
        act_list(s, &s->urls, ids, p, "url");
        act_list(s, &s->tags, ids, p, "hashtag");
        for (size_t i = 0; i < s->nment_r; i++) {
            char m[16];

            sim_hex16(m, sim_make_id(s, DOM_ACCOUNT, s->ment[i]));
            act_row(s, m, 16, ids, p, "mention");
        }
        act_row(s, s->text.p, s->text.len, ids, p, "text");
        if (p == root) {
            lk_buf_reset(&s->root_text);
            if (lk_buf_append(&s->root_text, s->text.p, s->text.len) != LK_OK && !s->act.err)
                s->act.err = ENOMEM;
        }
    }
    if (s->tweets)
        write_tweet(s, p, root, ids, counts);
}
