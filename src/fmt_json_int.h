/*
 * fmt_json_int.h - private to the JSON format readers: what fmt_json.c
 * (helpers, classification, Twitter v1.1 and v2) and fmt_json_social.c
 * (Pushshift, Telegram, Bluesky, Mastodon) share.  Nothing else includes
 * it; the API is lk_jsonfmt_* in fmt.h.
 *
 * The string helpers fill (*s, *n) with text borrowed from the input or
 * from jf->sc: valid until the next string helper call on jf.  Helpers
 * that finish a record as bad return the status of lk_sink_bad and leave
 * 0 in *ok.
 */
#ifndef LK_FMT_JSON_INT_H
#define LK_FMT_JSON_INT_H

#include "fmt.h"

#define NONE LK_JSON_NONE

/* One object given to the sink for the current record (for the per-record
 * repeat check: Mastodon's card URL usually also sits in the text, a tweet
 * can list the same hashtag twice). */
typedef struct given_obj {
    lk_trace tr;
    size_t off, n;
} given_obj;

/* includes.tweets of a v2 page, sorted by id, to find a retweet's original. */
typedef struct tweet_ref {
    const char *id;
    size_t n;
    uint32_t node;
} tweet_ref;

struct lk_jsonfmt {
    lk_format forced;
    int oom;
    lk_buf sc;   /* lk_json_str scratch: valid until the next string helper call */
    lk_buf key;  /* composite content keys */
    lk_buf acct; /* composite accounts */
    lk_buf text; /* composed text */
    lk_buf tmp;  /* composite objects */
    lk_buf objs; /* bytes of the objects given in this record */
    given_obj *ob;
    size_t nob, obcap;
    tweet_ref *refs;
    size_t nrefs, refcap;
    uint32_t refs_of; /* the includes node refs was built from, NONE if none */
    /* Telegram documents: line of the last message seen, by byte offset. */
    const char *doc;
    size_t doc_off;
    uint64_t doc_line;
    /* Mastodon: the instance that served the statuses (see masto_host) */
    char host[256];
    size_t hostn;
    int host_learned;
    int stateful; /* a Mastodon status was read: see lk_jsonfmt_stateful */
    /* Mastodon streaming envelopes: the decoded "payload" string, and the
     * parser its tape lives in (made on first use; see lk_jf_masto_stream) */
    lk_buf payload;
    lk_json *inner;
};

/* ---- tape predicates (inline: called for nearly every field) -------------- */

static inline int lk_jf_is_true(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) == LK_JSON_TRUE;
}

/* Present and not null. */
static inline int lk_jf_present(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) != LK_JSON_NULL;
}

static inline int lk_jf_has(const lk_json *j, uint32_t obj, const char *key)
{
    return lk_json_get(j, obj, key) != NONE;
}

static inline int lk_jf_is_obj(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) == LK_JSON_OBJECT;
}

static inline int lk_jf_is_arr(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) == LK_JSON_ARRAY;
}

static inline int lk_jf_eq(const char *s, size_t n, const char *lit)
{
    const size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

/* ---- string helpers (fmt_json.c) ------------------------------------------ */

int lk_jf_str_node(lk_jsonfmt *jf, const lk_json *j, uint32_t node, int numbers, const char **s,
                   size_t *n);
int lk_jf_str_get(lk_jsonfmt *jf, const lk_json *j, uint32_t obj, const char *key, const char **s,
                  size_t *n);
int lk_jf_id_get(lk_jsonfmt *jf, const lk_json *j, uint32_t obj, const char *key, const char **s,
                 size_t *n);
/** "a string", "an object", ...: static storage. */
const char *lk_jf_type_word(const lk_json *j, uint32_t node);

/* ---- record plumbing (fmt_json.c) ----------------------------------------- */

void lk_jf_rec_begin(lk_jsonfmt *jf, lk_sink *k, lk_format f, uint64_t line);
void lk_jf_not_post(lk_sink *k, lk_format f, uint64_t line);
LK_RESULT_USED lk_status lk_jf_rec_end(lk_jsonfmt *jf, lk_sink *k);
LK_RESULT_USED lk_status lk_jf_put_obj(lk_jsonfmt *jf, lk_sink *k, lk_trace tr, const char *s,
                                       size_t n);
LK_RESULT_USED lk_status lk_jf_put_member(lk_jsonfmt *jf, lk_sink *k, lk_trace tr, const lk_json *j,
                                          uint32_t obj, const char *key);
LK_RESULT_USED lk_status lk_jf_req_account(lk_jsonfmt *jf, lk_sink *k, const lk_json *j,
                                           uint32_t obj, const char *key, const char *shown,
                                           int *ok);

typedef lk_status (*lk_jf_time_fn)(const char *s, size_t n, int64_t *ms_out, const char **why);

LK_RESULT_USED lk_status lk_jf_req_time(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t obj,
                                        const char *key, lk_jf_time_fn fn, int *ok);
LK_RESULT_USED lk_status lk_jf_req_epoch(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t v,
                                         const char *shown, int64_t mul, int64_t div, int *ok);
LK_RESULT_USED lk_status lk_jf_put_text(lk_jsonfmt *jf, lk_sink *k, const char *s, size_t n);
LK_RESULT_USED lk_status lk_jf_scan_urls(lk_jsonfmt *jf, lk_sink *k, const char *s, size_t n);

/* ---- the other platforms (fmt_json_social.c) ------------------------------ */

LK_RESULT_USED lk_status lk_jf_pushshift_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t,
                                              uint64_t line, lk_sink *k);
/** Input line of node m of the document being read (jf->doc). */
uint64_t lk_jf_doc_line(lk_jsonfmt *jf, const lk_json *j, uint32_t m);
LK_RESULT_USED lk_status lk_jf_tg_document(lk_jsonfmt *jf, const lk_json *j, uint32_t root,
                                           lk_sink *k);
LK_RESULT_USED lk_status lk_jf_bsky_event(lk_jsonfmt *jf, const lk_json *j, uint32_t ev,
                                          uint64_t line, lk_sink *k);
LK_RESULT_USED lk_status lk_jf_masto_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t,
                                          uint64_t line, lk_sink *k);
/** A Mastodon streaming envelope {"event": ..., "payload": "<JSON>"}. */
LK_RESULT_USED lk_status lk_jf_masto_stream(lk_jsonfmt *jf, const lk_json *j, uint32_t env,
                                            uint64_t line, lk_sink *k);

#endif
