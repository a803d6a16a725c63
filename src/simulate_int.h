/*
 * simulate_int.h - private plumbing shared by the simulator's files:
 * simulate.c (options, output files, truth, driver), simulate_gen.c (the
 * generative model: who posts what when) and simulate_text.c (what a post
 * says: words, hashtags, URLs, and its rows in actions.csv and tweets.csv).
 * The model itself is documented at the top of simulate.c.
 */
#ifndef LK_SIMULATE_INT_H
#define LK_SIMULATE_INT_H

#include "lk_internal.h"
#include "rng.h"

#define SIM_T0       INT64_C(1672531200) /* 2023-01-01T00:00:00Z, a Sunday */
#define SIM_TAIL_S   INT64_C(86400)      /* replies may run one day past span */
#define SIM_CHUNK    ((size_t)256 * 1024)
#define SIM_FAN_MAX  300 /* fans: min(SIM_FAN_MAX, organic / 20) */
#define SIM_BOT_MAX  30  /* newsbots: min(SIM_BOT_MAX, organic / 100) */
#define SIM_COMM_MAX 50  /* communities: min(SIM_COMM_MAX, organic / 20), >= 1 */

/* Id domains of make_id(): ids of different domains never collide. */
enum { DOM_ACCOUNT = 0, DOM_CONTENT = 2 };

/* Planted group kinds, in the order of the default --kinds list. */
typedef enum sim_kind {
    K_RETWEET_RING = 0,
    K_LINK_PUSHER,
    K_COPYPASTA,
    K_HASHTAG_FLOOD,
    K_REPLY_SWARM,
    K_SLOW_RING,
    K_N
} sim_kind;

/* What a post is (tweets.csv: retweet_tweetid, in_reply_to_tweetid,
 * quoted_tweet_tweetid). */
enum { P_ORIGINAL = 0, P_RETWEET, P_REPLY, P_QUOTE };

/* How its text is made (simulate_text.c). */
enum {
    S_ORGANIC = 0, /* words, community hashtags and domains, mentions */
    S_COPY,        /* an organic post repeating the unit root's text */
    S_NEWS,        /* a newsbot's headline and feed URL */
    S_LINK,        /* link_pusher: own words + a variant of the campaign URL */
    S_PASTA,       /* copypasta: the campaign text with small edits */
    S_FLOOD,       /* hashtag_flood: own words + the campaign hashtag */
    S_SWARM        /* reply_swarm: "@target" + own words */
};

/* copypasta edits (sim_post.edit bits); 0 = an exact copy */
enum { E_WORDS = 1, E_EMOJI = 2, E_TAG = 4, E_CASE = 8 };

/*
 * One post of the current unit.  Its text is not stored: it is rendered
 * when the post is written, from `seed` and the fields below, so a unit of
 * ten thousand retweets costs ten thousand of these and nothing more.  The
 * entity counts are fixed when the post is made, so the number of action
 * rows it gives is known before it is written (the volume budget).
 */
typedef struct sim_post {
    int64_t t;     /* seconds since SIM_T0 */
    uint64_t seed; /* of the post's own random choices */
    uint64_t id;   /* content id, set when written */
    uint32_t author;
    uint32_t camp; /* campaign (planted occasion or feed item) number */
    uint16_t comm; /* community whose hashtags and domains it uses */
    uint8_t type, style;
    uint8_t nurl, ntag, nment; /* URLs, hashtags, mentions it carries */
    uint8_t edit;              /* S_PASTA: E_* bits */
    uint8_t planted;           /* counts as planted volume */
} sim_post;

/* A planted group: o->group_size consecutive account indices. */
typedef struct sim_group {
    sim_kind kind;
    uint32_t base; /* account index of the first member */
    int tz;        /* UTC offset (hours) of its working day */
    double sum_pj; /* expected members per occasion */
} sim_group;

/* A planted occasion on the group's own objects, placed in the stream. */
typedef struct sim_occ {
    uint64_t pos; /* written once this many organic rows are out */
    int64_t t;    /* start, seconds since SIM_T0 */
    uint32_t group, camp;
} sim_occ;

/* A buffered output file: rows are formatted into chunk, which goes to a
 * FILE in large fwrites.  Errors are sticky and reported at the end. */
typedef struct sim_out {
    FILE *f;
    char *path; /* owned */
    char *chunk;
    size_t len;
    int err;    /* errno of the first failure, 0 if none */
    int opened; /* the file is ours: remove it on failure */
} sim_out;

/* Hijack classes: occasions that act on an organic post rather than on an
 * object of the group's own. */
enum { H_POPULAR = 0, H_ANY = 1, H_N };

typedef struct sim {
    lk_rng rng;
    uint64_t key; /* xored into every id: ids reveal no index */
    int64_t span, limit;
    uint64_t max_pop, actions;
    uint32_t n_org, n_fan, n_mem, n_bot, n_alias, n_acc;
    uint32_t n_groups, group_size, n_comm;
    lk_alias_col *alias;  /* activity weights of accounts [0, n_alias) */
    lk_alias_col *calias; /* per community, over its block of organic accounts */
    uint32_t *cstart;     /* n_comm + 1 block starts */
    int *ctz;             /* UTC offset of each community, hours */
    uint16_t *comm;       /* community of every account */
    float *pjoin;         /* join probability of every planted member */
    sim_group *groups;
    uint32_t *mark; /* mark[a] == epoch: a already acted in this unit */
    uint32_t epoch;
    uint8_t *seen; /* the account acted: listed in truth.csv */

    /* vocabulary and entity pools (simulate_text.c) */
    char *words;           /* V words, NUL-separated */
    uint32_t *woff;        /* offsets into words */
    lk_alias_col *walias;  /* Zipf over the V words */
    lk_alias_col *dalias;  /* Zipf over the domain pool */
    lk_alias_col *talias;  /* Zipf over the trending hashtags */
    lk_alias_col *ftalias; /* Zipf over a community's 8 favourite tags */

    /* the current unit */
    sim_post *posts;
    size_t np, cap;
    uint64_t *keys;
    size_t kcap;
    uint64_t unit_rows, unit_planted;

    /* planted occasions */
    sim_occ *occ;
    size_t nocc, next_occ;
    uint32_t *pend[H_N]; /* hijacks still owed, per group */
    uint64_t pend_total[H_N];
    uint32_t rr[H_N];
    double q[H_N]; /* chance that an eligible organic post is hijacked */
    double planned_left;
    uint32_t next_camp, feeds;

    uint64_t written, org_written, posts_written, units;

    /* output */
    int tweets;
    sim_out act, tw;
    lk_buf text, root_text, urls, tags, scratch;
    uint32_t ment[4];
    size_t nment_r;
    int64_t tmin_key;
    char tmin[17]; /* "YYYY-MM-DD HH:MM" of minute tmin_key */
} sim;

/* ---- simulate.c ---------------------------------------------------------- */

uint64_t sim_make_id(const sim *s, unsigned dom, uint64_t idx);
void sim_out_put(sim_out *w, const void *p, size_t n);
void sim_out_putc(sim_out *w, char c);
void sim_out_hex16(sim_out *w, uint64_t v);
void sim_out_u64(sim_out *w, uint64_t v);
/* A CSV field, quoted (RFC 4180) only when it needs to be. */
void sim_out_csv(sim_out *w, const char *p, size_t n);
void sim_hex16(char *p, uint64_t v);

/* ---- simulate_gen.c -------------------------------------------------------- */

LK_RESULT_USED lk_status sim_plan(sim *s);
LK_RESULT_USED lk_status sim_generate(sim *s);
/* Expected planted rows of one occasion of group g (hijack: on an organic post). */
double sim_occ_expect(const sim *s, uint32_t g, int hijack);
/* Expected planted rows of a group of this kind and size (option checks). */
double sim_kind_expect(sim_kind kind, uint32_t group_size);

/* ---- simulate_text.c ------------------------------------------------------- */

/* Mean rows of an organic original (text + entities): the volume plan. */
#define SIM_ORIG_ROWS (1.0 + 0.3 + 0.6 + 0.18)

LK_RESULT_USED lk_status sim_text_setup(sim *s);
void sim_text_release(sim *s);
/* Entity counts of an organic post of type `type` (draws from s->rng). */
void sim_plan_organic(sim *s, sim_post *p);

/* Action rows a post gives. */
static inline uint64_t sim_post_rows(const sim_post *p)
{
    if (p->type == P_RETWEET)
        return 1;
    return 1u + (p->type != P_ORIGINAL) + p->nurl + p->ntag + p->nment;
}

/* Write post p (root: the unit's first post, already written, or p itself)
 * to actions.csv and, when enabled, tweets.csv.  counts[3]: retweets,
 * replies, quotes of p (its engagement columns). */
void sim_write_post(sim *s, const sim_post *p, const sim_post *root, const uint32_t counts[3]);
/* The header row of tweets.csv. */
void sim_write_tweets_header(sim *s);

#endif
