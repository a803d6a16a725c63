/*
 * fmt_json.c - the JSON formats (FORMATS.md A.2, A.3, A.5, A.6): classify a
 * parsed line by its keys and hand its posts to the sink.
 *
 * Every reader works on tape nodes and never copies the input: strings go
 * to the sink straight from the line when they hold no escapes, and through
 * scratch buffers on the handle otherwise.  Composite keys ("t1_"+id,
 * at:// URIs, "acct@host") are built in buffers on the handle too, so a
 * record costs no allocation once the buffers have grown.
 *
 * Out-of-memory inside a string helper is sticky (jf->oom) rather than
 * threaded through every call: helpers then report "not found", and each
 * record checks the flag before it is finished.
 */
#include "fmt.h"
#include "normalize.h"
#include "parse_time.h"
#include "textscan.h"

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
};

lk_status lk_jsonfmt_new(lk_format forced, lk_jsonfmt **out)
{
    lk_jsonfmt *jf = calloc(1, sizeof *jf);

    if (!jf)
        return LK_ENOMEM;
    jf->forced = forced;
    lk_buf_init(&jf->sc);
    lk_buf_init(&jf->key);
    lk_buf_init(&jf->acct);
    lk_buf_init(&jf->text);
    lk_buf_init(&jf->tmp);
    lk_buf_init(&jf->objs);
    jf->refs_of = NONE;
    *out = jf;
    return LK_OK;
}

void lk_jsonfmt_free(lk_jsonfmt *jf)
{
    if (!jf)
        return;
    lk_buf_release(&jf->sc);
    lk_buf_release(&jf->key);
    lk_buf_release(&jf->acct);
    lk_buf_release(&jf->text);
    lk_buf_release(&jf->tmp);
    lk_buf_release(&jf->objs);
    free(jf->ob);
    free(jf->refs);
    free(jf);
}

/* ---- small helpers -------------------------------------------------------- */

/* Text of a string node (or the literal of a number node when `numbers`):
 * 1 and (*s, *n), or 0 when node is missing, null or of another type. */
static int str_node(lk_jsonfmt *jf, const lk_json *j, uint32_t node, int numbers, const char **s,
                    size_t *n)
{
    const lk_json_type t = lk_json_type_of(j, node);

    if (node == NONE || !(t == LK_JSON_STRING || (numbers && t == LK_JSON_NUMBER)))
        return 0;
    if (lk_json_str(j, node, &jf->sc, s, n) != LK_OK) {
        jf->oom = 1;
        return 0;
    }
    return 1;
}

/* Member `key` of obj as a string: see str_node. */
static int str_get(lk_jsonfmt *jf, const lk_json *j, uint32_t obj, const char *key, const char **s,
                   size_t *n)
{
    return str_node(jf, j, lk_json_get(j, obj, key), 0, s, n);
}

/* Member `key` of obj as an id: a string, or a number's literal text (ids
 * stored as JSON numbers must never go through a double). */
static int id_get(lk_jsonfmt *jf, const lk_json *j, uint32_t obj, const char *key, const char **s,
                  size_t *n)
{
    return str_node(jf, j, lk_json_get(j, obj, key), 1, s, n) && *n > 0;
}

static int is_true(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) == LK_JSON_TRUE;
}

/* Present and not null. */
static int present(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) != LK_JSON_NULL;
}

static int has(const lk_json *j, uint32_t obj, const char *key)
{
    return lk_json_get(j, obj, key) != NONE;
}

static int is_obj(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) == LK_JSON_OBJECT;
}

static int is_arr(const lk_json *j, uint32_t node)
{
    return node != NONE && lk_json_type_of(j, node) == LK_JSON_ARRAY;
}

static int eq(const char *s, size_t n, const char *lit)
{
    const size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

/* What a field holds, for "expected a string" messages. */
static const char *type_word(const lk_json *j, uint32_t node)
{
    static const char *const words[] = {"null",     "false",    "true",     "a number",
                                        "a string", "an array", "an object"};
    if (node == NONE)
        return "nothing";
    return words[lk_json_type_of(j, node)];
}

/* Host of an http(s) URL: (*h, *hn), or 0. */
static int url_host(const char *s, size_t n, const char **h, size_t *hn)
{
    const char *p = memchr(s, ':', n);
    size_t i, e;

    if (!p || (size_t)(p - s) + 3 > n || p[1] != '/' || p[2] != '/')
        return 0;
    i = (size_t)(p - s) + 3;
    for (e = i; e < n && s[e] != '/' && s[e] != '?' && s[e] != '#' && s[e] != ':'; e++)
        ;
    if (e == i)
        return 0;
    *h = s + i;
    *hn = e - i;
    return 1;
}

/* ---- record plumbing ------------------------------------------------------ */

static void rec_begin(lk_jsonfmt *jf, lk_sink *k, lk_format f, uint64_t line)
{
    lk_sink_format(k, f);
    lk_sink_begin(k, line);
    jf->nob = 0;
    lk_buf_reset(&jf->objs);
}

static void not_post(lk_sink *k, lk_format f, uint64_t line)
{
    lk_sink_format(k, f);
    lk_sink_not_post(k, line);
}

static lk_status rec_end(lk_jsonfmt *jf, lk_sink *k)
{
    if (jf->oom) {
        jf->oom = 0;
        return LK_ENOMEM;
    }
    return lk_sink_end(k);
}

/* Give one object to the sink unless it is empty, not wanted, or was given
 * under the same trace in this record already (exact bytes). */
static lk_status put_obj(lk_jsonfmt *jf, lk_sink *k, lk_trace tr, const char *s, size_t n)
{
    if (n == 0 || !lk_sink_wants(k, tr))
        return LK_OK;
    for (size_t i = 0; i < jf->nob; i++)
        if (jf->ob[i].tr == tr && jf->ob[i].n == n && memcmp(jf->objs.p + jf->ob[i].off, s, n) == 0)
            return LK_OK;
    if (LK_GROW(jf->ob, jf->nob + 1, jf->obcap) != LK_OK)
        return LK_ENOMEM;
    jf->ob[jf->nob].tr = tr;
    jf->ob[jf->nob].off = jf->objs.len;
    jf->ob[jf->nob].n = n;
    jf->nob++;
    if (lk_buf_append(&jf->objs, s, n) != LK_OK)
        return LK_ENOMEM;
    return lk_sink_obj(k, tr, s, n);
}

/* put_obj of the string (or id) member `key` of obj, when there is one. */
static lk_status put_member(lk_jsonfmt *jf, lk_sink *k, lk_trace tr, const lk_json *j, uint32_t obj,
                            const char *key)
{
    const char *s;
    size_t n;

    if (!lk_sink_wants(k, tr) || !id_get(jf, j, obj, key, &s, &n))
        return LK_OK;
    return put_obj(jf, k, tr, s, n);
}

/* The account from a required member: LK_OK and 1 in *ok when set; else
 * the record is finished as bad (the status of lk_sink_bad is returned). */
static lk_status req_account(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t obj,
                             const char *key, const char *shown, int *ok)
{
    const uint32_t v = lk_json_get(j, obj, key);
    const char *s;
    size_t n;

    *ok = 0;
    if (!present(j, v))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': missing", shown);
    if (!str_node(jf, j, v, 1, &s, &n)) {
        if (jf->oom)
            return LK_ENOMEM;
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': expected a string, not %s", shown,
                           type_word(j, v));
    }
    *ok = 1;
    return lk_sink_account(k, s, n);
}

/* Check and set a time in ms; a bad one finishes the record. */
static lk_status set_time(lk_sink *k, int64_t ms, const char *shown, const char *s, size_t n,
                          int *ok)
{
    *ok = 0;
    if (ms < 0 || ms > LK_TIME_MAX_MS)
        return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "'%s': out of range: '%.*s'", shown,
                           (int)LK_MIN(n, 64), s);
    lk_sink_time(k, ms);
    *ok = 1;
    return LK_OK;
}

typedef lk_status (*time_fn)(const char *s, size_t n, int64_t *ms_out, const char **why);

/* A required string time member parsed with fn. */
static lk_status req_time(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t obj,
                          const char *key, time_fn fn, int *ok)
{
    const uint32_t v = lk_json_get(j, obj, key);
    const char *s, *why = "not a timestamp";
    size_t n;
    int64_t ms = 0;

    *ok = 0;
    if (!present(j, v))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': missing", key);
    if (!str_node(jf, j, v, 0, &s, &n)) {
        if (jf->oom)
            return LK_ENOMEM;
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': expected a string, not %s", key,
                           type_word(j, v));
    }
    if (fn(s, n, &ms, &why) != LK_OK)
        return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "'%s': %s: '%.*s'", key, why,
                           (int)LK_MIN(n, 64), s);
    return set_time(k, ms, key, s, n, ok);
}

/* An epoch number (or digit string) in units of `unit` ms per count:
 * Pushshift's created_utc (s; int, digit string, or "1134.0"), Jetstream's
 * time_us, Telegram's date_unixtime, v1.1's timestamp_ms. */
static lk_status req_epoch(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t v,
                           const char *shown, int64_t mul, int64_t div, int *ok)
{
    const lk_json_type t = lk_json_type_of(j, v);
    const char *s, *why = "not a timestamp";
    size_t n;
    int iok = 0;
    int64_t x, ms = 0;

    *ok = 0;
    if (!present(j, v))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': missing", shown);
    if (t != LK_JSON_NUMBER && t != LK_JSON_STRING)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': expected a number, not %s", shown,
                           type_word(j, v));
    lk_json_raw(j, v, &s, &n);
    x = lk_json_int(j, v, &iok);
    if (iok) {
        if (x < 0 || x / div > LK_TIME_MAX_MS / mul)
            return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "'%s': out of range: '%.*s'", shown,
                               (int)LK_MIN(n, 64), s);
        return set_time(k, x / div * mul, shown, s, n, ok);
    }
    /* Not an integer: decimal epoch seconds ("1134.0" in some dumps). */
    if (mul == 1000 && div == 1 && str_node(jf, j, v, 1, &s, &n) &&
        lk_parse_time(s, n, &ms, &why) == LK_OK)
        return set_time(k, ms, shown, s, n, ok);
    return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "'%s': %s: '%.*s'", shown, why, (int)LK_MIN(n, 64),
                       s);
}

/* Content id and key: both the same string member. */
static lk_status content_and_key(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t obj,
                                 const char *key, int *ok)
{
    const uint32_t v = lk_json_get(j, obj, key);
    const char *s;
    size_t n;
    lk_status st;

    *ok = 0;
    if (!str_node(jf, j, v, 1, &s, &n) || n == 0) {
        if (jf->oom)
            return LK_ENOMEM;
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': %s", key,
                           present(j, v) ? "expected a string" : "missing");
    }
    if ((st = lk_sink_content(k, s, n)) != LK_OK || (st = lk_sink_key(k, s, n)) != LK_OK)
        return st;
    *ok = 1;
    return LK_OK;
}

/* The text trace: the sink normalises and hashes it. */
static lk_status put_text(lk_jsonfmt *jf, lk_sink *k, const char *s, size_t n)
{
    return put_obj(jf, k, LK_TR_TEXT, s, n);
}

typedef struct scan_ctx {
    lk_jsonfmt *jf;
    lk_sink *k;
} scan_ctx;

static lk_status scanned_url(void *ctx, const char *s, size_t n)
{
    const scan_ctx *c = ctx;
    return put_obj(c->jf, c->k, LK_TR_URL, s, n);
}

/* URL objects found in free text. */
static lk_status scan_urls(lk_jsonfmt *jf, lk_sink *k, const char *s, size_t n)
{
    scan_ctx c = {jf, k};

    if (!lk_sink_wants(k, LK_TR_URL))
        return LK_OK;
    return lk_scan_urls(s, n, scanned_url, &c);
}

/* "not a post of any known format (keys: a, b, c, ...)" */
static lk_status unknown_line(lk_jsonfmt *jf, const lk_json *j, uint32_t node, uint64_t line,
                              lk_sink *k, const char *what)
{
    lk_buf *b = &jf->tmp;
    uint32_t key;
    int i = 0;

    lk_buf_reset(b);
    if (lk_json_type_of(j, node) != LK_JSON_OBJECT)
        return lk_sink_bad_line(k, line, LK_SKIP_BAD_FIELD, "%s (%s, not an object)", what,
                                type_word(j, node));
    for (key = lk_json_first(j, node); key != NONE; key = lk_json_next(j, key + 1)) {
        const char *s;
        size_t n;
        lk_json_raw(j, key, &s, &n);
        if (i == 8) {
            if (lk_buf_append(b, ", ...", 5) != LK_OK)
                return LK_ENOMEM;
            break;
        }
        if (lk_buf_printf(b, "%s%.*s", i ? ", " : "", (int)LK_MIN(n, 40), s) != LK_OK)
            return LK_ENOMEM;
        i++;
    }
    return lk_sink_bad_line(k, line, LK_SKIP_BAD_FIELD, "%s (keys: %s)", what, i ? b->p : "none");
}

/* ---- Twitter v1.1 (A.2) --------------------------------------------------- */

/* hashtags[].text, urls[].expanded_url (or url), user_mentions[].id_str */
static lk_status v1_entities(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t ent)
{
    uint32_t e;
    lk_status st;

    if (!is_obj(j, ent))
        return LK_OK;
    for (e = lk_json_first(j, lk_json_get(j, ent, "hashtags")); e != NONE; e = lk_json_next(j, e))
        if ((st = put_member(jf, k, LK_TR_HASHTAG, j, e, "text")) != LK_OK)
            return st;
    for (e = lk_json_first(j, lk_json_get(j, ent, "urls")); e != NONE; e = lk_json_next(j, e)) {
        const char *key = present(j, lk_json_get(j, e, "expanded_url")) ? "expanded_url" : "url";
        if ((st = put_member(jf, k, LK_TR_URL, j, e, key)) != LK_OK)
            return st;
    }
    for (e = lk_json_first(j, lk_json_get(j, ent, "user_mentions")); e != NONE;
         e = lk_json_next(j, e))
        if ((st = put_member(jf, k, LK_TR_MENTION, j, e, "id_str")) != LK_OK)
            return st;
    return LK_OK;
}

static lk_status v1_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint64_t line, lk_sink *k)
{
    const uint32_t rt = lk_json_get(j, t, "retweeted_status");
    const uint32_t user = lk_json_get(j, t, "user");
    const uint32_t tms = lk_json_get(j, t, "timestamp_ms");
    uint32_t src, ext;
    const char *s;
    size_t n;
    int ok;
    lk_status st;

    rec_begin(jf, k, LK_FMT_TWITTER_V1, line);
    if (!is_obj(j, user))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'user': expected an object, not %s",
                           type_word(j, user));
    st = req_account(jf, k, j, user, has(j, user, "id_str") ? "id_str" : "id", "user.id_str", &ok);
    if (!ok)
        return st;
    if (present(j, tms))
        st = req_epoch(jf, k, j, tms, "timestamp_ms", 1, 1, &ok);
    else
        st = req_time(jf, k, j, t, "created_at", lk_parse_time_twitter, &ok);
    if (!ok)
        return st;
    st = content_and_key(jf, k, j, t, has(j, t, "id_str") ? "id_str" : "id", &ok);
    if (!ok)
        return st;

    if (is_obj(j, rt)) {
        /* A native retweet: its own text is a truncated "RT @x: ..." copy and
         * its quote fields are copied from the original, so the retweeter
         * only shares; the entities, though, are what it spreads. */
        if ((st = put_member(jf, k, LK_TR_SHARE, j, rt, "id_str")) != LK_OK)
            return st;
        src = rt;
    } else {
        if (is_true(j, lk_json_get(j, t, "is_quote_status")) ||
            is_obj(j, lk_json_get(j, t, "quoted_status"))) {
            if (has(j, t, "quoted_status_id_str"))
                st = put_member(jf, k, LK_TR_QUOTE, j, t, "quoted_status_id_str");
            else
                st =
                    put_member(jf, k, LK_TR_QUOTE, j, lk_json_get(j, t, "quoted_status"), "id_str");
            if (st != LK_OK)
                return st;
        }
        if ((st = put_member(jf, k, LK_TR_REPLY, j, t, "in_reply_to_status_id_str")) != LK_OK)
            return st;
        src = t;
    }
    /* compat / streaming mode: a long tweet's full entities and text are in
     * extended_tweet; the outer ones cover the first 140 characters. */
    ext = lk_json_get(j, src, "extended_tweet");
    if (is_obj(j, ext) && is_obj(j, lk_json_get(j, ext, "entities")))
        st = v1_entities(jf, k, j, lk_json_get(j, ext, "entities"));
    else
        st = v1_entities(jf, k, j, lk_json_get(j, src, "entities"));
    if (st != LK_OK)
        return st;
    /* No text trace for a retweet: its text is the original's, and two
     * accounts retweeting one post are already linked by share. */
    if (src == t && lk_sink_wants(k, LK_TR_TEXT)) {
        if (str_get(jf, j, t, "full_text", &s, &n) ||
            (is_obj(j, ext) && str_get(jf, j, ext, "full_text", &s, &n)) ||
            str_get(jf, j, t, "text", &s, &n))
            if ((st = put_text(jf, k, s, n)) != LK_OK)
                return st;
    }
    return rec_end(jf, k);
}

/* ---- Twitter v2 (A.3) ----------------------------------------------------- */

static int ref_cmp(const void *a, const void *b)
{
    const tweet_ref *x = a, *y = b;
    const int c = memcmp(x->id, y->id, LK_MIN(x->n, y->n));
    if (c)
        return c;
    return (x->n > y->n) - (x->n < y->n);
}

/* includes.tweets of the page `incl` by id (built once per page, on the
 * first retweet that needs it). */
static uint32_t v2_included(lk_jsonfmt *jf, const lk_json *j, uint32_t incl, const char *id,
                            size_t n)
{
    tweet_ref key, *hit;

    if (!is_obj(j, incl))
        return NONE;
    if (jf->refs_of != incl) {
        jf->nrefs = 0;
        for (uint32_t e = lk_json_first(j, lk_json_get(j, incl, "tweets")); e != NONE;
             e = lk_json_next(j, e)) {
            const uint32_t v = lk_json_get(j, e, "id");
            if (lk_json_type_of(j, v) != LK_JSON_STRING)
                continue;
            if (LK_GROW(jf->refs, jf->nrefs + 1, jf->refcap) != LK_OK) {
                jf->oom = 1;
                return NONE;
            }
            /* ids are digits: the raw bytes are the decoded string */
            lk_json_raw(j, v, &jf->refs[jf->nrefs].id, &jf->refs[jf->nrefs].n);
            jf->refs[jf->nrefs++].node = e;
        }
        lk_qsort(jf->refs, jf->nrefs, sizeof *jf->refs, ref_cmp);
        jf->refs_of = incl;
    }
    key.id = id;
    key.n = n;
    hit = jf->nrefs ? bsearch(&key, jf->refs, jf->nrefs, sizeof *jf->refs, ref_cmp) : NULL;
    return hit ? hit->node : NONE;
}

/* hashtags[].tag, mentions[].id (or username), urls[].unwound_url |
 * expanded_url | url */
static lk_status v2_entities(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t ent)
{
    uint32_t e;
    lk_status st;

    if (!is_obj(j, ent))
        return LK_OK;
    for (e = lk_json_first(j, lk_json_get(j, ent, "hashtags")); e != NONE; e = lk_json_next(j, e))
        if ((st = put_member(jf, k, LK_TR_HASHTAG, j, e, "tag")) != LK_OK)
            return st;
    for (e = lk_json_first(j, lk_json_get(j, ent, "mentions")); e != NONE; e = lk_json_next(j, e)) {
        const char *key = present(j, lk_json_get(j, e, "id")) ? "id" : "username";
        if ((st = put_member(jf, k, LK_TR_MENTION, j, e, key)) != LK_OK)
            return st;
    }
    for (e = lk_json_first(j, lk_json_get(j, ent, "urls")); e != NONE; e = lk_json_next(j, e)) {
        const char *key = present(j, lk_json_get(j, e, "unwound_url"))    ? "unwound_url"
                          : present(j, lk_json_get(j, e, "expanded_url")) ? "expanded_url"
                                                                          : "url";
        if ((st = put_member(jf, k, LK_TR_URL, j, e, key)) != LK_OK)
            return st;
    }
    return LK_OK;
}

/* Entities of a tweet: a long tweet's (note_tweet) are complete, the
 * outer ones cover its first 280 characters. */
static lk_status v2_tweet_entities(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t t)
{
    const uint32_t note = lk_json_get(j, t, "note_tweet");

    if (is_obj(j, note) && is_obj(j, lk_json_get(j, note, "entities")))
        return v2_entities(jf, k, j, lk_json_get(j, note, "entities"));
    return v2_entities(jf, k, j, lk_json_get(j, t, "entities"));
}

/*
 * One v2 tweet t.  incl is the includes object of its page or streaming
 * line (NONE for a flattened line, whose referenced_tweets[i] are merged
 * with the full tweets).
 */
static lk_status v2_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint32_t incl, uint64_t line,
                         lk_sink *k)
{
    uint32_t r, orig = NONE;
    const char *s;
    size_t n;
    int ok, retweet = 0;
    lk_status st;

    rec_begin(jf, k, LK_FMT_TWITTER_V2, line);
    st = req_account(jf, k, j, t, "author_id", "author_id", &ok);
    if (!ok)
        return st;
    st = req_time(jf, k, j, t, "created_at", lk_parse_time, &ok);
    if (!ok)
        return st;
    st = content_and_key(jf, k, j, t, "id", &ok);
    if (!ok)
        return st;

    for (r = lk_json_first(j, lk_json_get(j, t, "referenced_tweets")); r != NONE;
         r = lk_json_next(j, r)) {
        const uint32_t type = lk_json_get(j, r, "type");
        lk_trace tr;
        if (lk_json_str_eq(j, type, "retweeted")) {
            tr = LK_TR_SHARE;
            retweet = 1;
            orig = r;
        } else if (lk_json_str_eq(j, type, "quoted")) {
            tr = LK_TR_QUOTE;
        } else if (lk_json_str_eq(j, type, "replied_to")) {
            tr = LK_TR_REPLY;
        } else {
            continue;
        }
        if ((st = put_member(jf, k, tr, j, r, "id")) != LK_OK)
            return st;
    }
    if (retweet) {
        /* A retweet's own text and entities are a truncated "RT @x: ..."
         * copy: take the entities from the original (merged into the
         * reference by twarc2 flatten, else in includes.tweets).  When the
         * original is missing (deleted, protected) the retweet gives only
         * its share. */
        if (!has(j, orig, "entities") && !has(j, orig, "text")) {
            const uint32_t id = lk_json_get(j, orig, "id");
            orig = str_node(jf, j, id, 1, &s, &n) ? v2_included(jf, j, incl, s, n) : NONE;
        }
        if (orig != NONE && (st = v2_tweet_entities(jf, k, j, orig)) != LK_OK)
            return st;
        /* no text trace: see v1_post */
        return rec_end(jf, k);
    }
    if ((st = v2_tweet_entities(jf, k, j, t)) != LK_OK)
        return st;
    if (lk_sink_wants(k, LK_TR_TEXT)) {
        const uint32_t note = lk_json_get(j, t, "note_tweet");
        if ((is_obj(j, note) && str_get(jf, j, note, "text", &s, &n)) ||
            str_get(jf, j, t, "text", &s, &n))
            if ((st = put_text(jf, k, s, n)) != LK_OK)
                return st;
    }
    return rec_end(jf, k);
}

/* One element of "data": a tweet, or a user / list / count (no post).  A
 * tweet without author_id (requested without the expansion) is bad. */
static lk_status v2_element(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint32_t incl,
                            uint64_t line, lk_sink *k)
{
    if (!is_obj(j, t) || (!has(j, t, "author_id") && !has(j, t, "text"))) {
        not_post(k, LK_FMT_TWITTER_V2, line);
        return LK_OK;
    }
    return v2_post(jf, j, t, incl, line, k);
}

static lk_status v2_line(lk_jsonfmt *jf, const lk_json *j, uint32_t root, uint64_t line, lk_sink *k)
{
    const uint32_t data = lk_json_get(j, root, "data");
    const uint32_t incl = lk_json_get(j, root, "includes");
    lk_status st;

    if (is_obj(j, data))
        return v2_element(jf, j, data, incl, line, k);
    if (!is_arr(j, data) || lk_json_count(j, data) == 0) {
        /* "errors" only, an empty page, compliance output */
        not_post(k, LK_FMT_TWITTER_V2, line);
        return LK_OK;
    }
    for (uint32_t e = lk_json_first(j, data); e != NONE; e = lk_json_next(j, e))
        if ((st = v2_element(jf, j, e, incl, line, k)) != LK_OK)
            return st;
    return LK_OK;
}

/* ---- Reddit Pushshift (A.5) ----------------------------------------------- */

/* "[deleted]" / "[removed]" bodies carry no text. */
static int removed(const char *s, size_t n)
{
    return eq(s, n, "[deleted]") || eq(s, n, "[removed]");
}

/* A submission's url is a link only when it is not the post itself: self
 * posts point to their own permalink. */
static int own_link(lk_jsonfmt *jf, const lk_json *j, uint32_t t, const char *u, size_t un)
{
    const char *p, *id;
    size_t pn, idn;

    if (is_true(j, lk_json_get(j, t, "is_self")))
        return 1;
    if (str_get(jf, j, t, "permalink", &p, &pn) && pn > 1 && un >= pn &&
        memcmp(u + un - pn, p, pn) == 0)
        return 1;
    /* "https://www.reddit.com/r/x/comments/<id>/..." without a permalink field */
    if (!id_get(jf, j, t, "id", &id, &idn) || idn > 32)
        return 0;
    for (const char *c = u; (c = memmem(c, un - (size_t)(c - u), "/comments/", 10)) != NULL;
         c += 10) {
        const size_t rest = un - (size_t)(c + 10 - u);
        if (rest >= idn && memcmp(c + 10, id, idn) == 0 && (rest == idn || c[10 + idn] == '/'))
            return 1;
    }
    return 0;
}

static lk_status pushshift_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint64_t line,
                                lk_sink *k)
{
    const int comment = !has(j, t, "title");
    const uint32_t author = lk_json_get(j, t, "author");
    const char *s, *u;
    size_t n, un;
    int ok;
    lk_status st;

    rec_begin(jf, k, LK_FMT_PUSHSHIFT, line);
    /* Deleted authors and the platform's moderation bot are expected, not
     * errors: counted as skipped even under --on-error fail. */
    if (lk_json_str_eq(j, author, "[deleted]")) {
        lk_sink_skip(k, LK_SKIP_DELETED_ACCOUNT);
        return LK_OK;
    }
    if (lk_json_str_eq(j, author, "AutoModerator")) {
        lk_sink_skip(k, LK_SKIP_BOT_ACCOUNT);
        return LK_OK;
    }
    st = req_account(jf, k, j, t, "author", "author", &ok);
    if (!ok)
        return st;
    st = req_epoch(jf, k, j, lk_json_get(j, t, "created_utc"), "created_utc", 1000, 1, &ok);
    if (!ok)
        return st;
    if (!id_get(jf, j, t, "id", &s, &n))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'id': %s",
                           present(j, lk_json_get(j, t, "id")) ? "expected a string" : "missing");
    /* Reddit's fullnames: t1_ comments, t3_ submissions */
    lk_buf_reset(&jf->key);
    if (lk_buf_append(&jf->key, comment ? "t1_" : "t3_", 3) != LK_OK ||
        lk_buf_append(&jf->key, s, n) != LK_OK)
        return LK_ENOMEM;
    if ((st = lk_sink_content(k, s, n)) != LK_OK ||
        (st = lk_sink_key(k, jf->key.p, jf->key.len)) != LK_OK)
        return st;

    if (comment) {
        if ((st = put_member(jf, k, LK_TR_REPLY, j, t, "parent_id")) != LK_OK)
            return st;
        if (str_get(jf, j, t, "body", &s, &n) && !removed(s, n)) {
            if ((st = put_text(jf, k, s, n)) != LK_OK || (st = scan_urls(jf, k, s, n)) != LK_OK)
                return st;
        }
        return rec_end(jf, k);
    }
    if ((st = put_member(jf, k, LK_TR_SHARE, j, t, "crosspost_parent")) != LK_OK)
        return st;
    if (lk_sink_wants(k, LK_TR_URL) && str_get(jf, j, t, "url", &u, &un) && un > 0) {
        /* own_link uses the scratch buffer: keep the url apart */
        lk_buf_reset(&jf->tmp);
        if (lk_buf_append(&jf->tmp, u, un) != LK_OK)
            return LK_ENOMEM;
        if (!own_link(jf, j, t, jf->tmp.p, jf->tmp.len) &&
            (st = put_obj(jf, k, LK_TR_URL, jf->tmp.p, jf->tmp.len)) != LK_OK)
            return st;
    }
    lk_buf_reset(&jf->text);
    if (str_get(jf, j, t, "title", &s, &n) && lk_buf_append(&jf->text, s, n) != LK_OK)
        return LK_ENOMEM;
    if ((st = scan_urls(jf, k, jf->text.p, jf->text.len)) != LK_OK)
        return st;
    if (str_get(jf, j, t, "selftext", &s, &n) && n > 0 && !removed(s, n)) {
        if ((st = scan_urls(jf, k, s, n)) != LK_OK)
            return st;
        if (lk_buf_putc(&jf->text, '\n') != LK_OK || lk_buf_append(&jf->text, s, n) != LK_OK)
            return LK_ENOMEM;
    }
    if ((st = put_text(jf, k, jf->text.p, jf->text.len)) != LK_OK)
        return st;
    return rec_end(jf, k);
}

/* ---- Telegram Desktop export (A.6) ---------------------------------------- */

/* Input line of node m of the document: newlines counted from the last
 * message, so a whole export costs one pass over its text. */
static uint64_t doc_line(lk_jsonfmt *jf, const lk_json *j, uint32_t m)
{
    const char *s;
    size_t n, off;

    if (!jf->doc)
        return jf->doc_line; /* a document on one line */
    lk_json_raw(j, m, &s, &n);
    off = (size_t)(s - jf->doc);
    if (off < jf->doc_off) {
        jf->doc_off = 0;
        jf->doc_line = 1;
    }
    for (const char *p = jf->doc + jf->doc_off, *e = jf->doc + off;
         (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        jf->doc_line++;
    jf->doc_off = off;
    return jf->doc_line;
}

/* One text entity {type, text, href?, user_id?} (from text_entities, or
 * from the objects inside a text array in exports without text_entities). */
static lk_status tg_entity(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t e)
{
    const uint32_t type = lk_json_get(j, e, "type");

    if (lk_json_str_eq(j, type, "link"))
        return put_member(jf, k, LK_TR_URL, j, e, "text");
    if (lk_json_str_eq(j, type, "text_link"))
        return put_member(jf, k, LK_TR_URL, j, e, "href");
    if (lk_json_str_eq(j, type, "hashtag"))
        return put_member(jf, k, LK_TR_HASHTAG, j, e, "text");
    if (lk_json_str_eq(j, type, "mention"))
        return put_member(jf, k, LK_TR_MENTION, j, e, "text");
    if (lk_json_str_eq(j, type, "mention_name"))
        return put_member(jf, k, LK_TR_MENTION, j, e, "user_id");
    return LK_OK;
}

/* chat id + ":" + message id into *b */
static lk_status tg_ref(lk_buf *b, const char *chat, size_t cn, const char *id, size_t n)
{
    lk_buf_reset(b);
    if (lk_buf_append(b, chat, cn) != LK_OK || lk_buf_putc(b, ':') != LK_OK ||
        lk_buf_append(b, id, n) != LK_OK)
        return LK_ENOMEM;
    return LK_OK;
}

/* One message of a chat whose id is (chat, cn) (borrowed from the input:
 * ids are numbers, never escaped). */
static lk_status tg_message(lk_jsonfmt *jf, const lk_json *j, uint32_t m, const char *chat,
                            size_t cn, lk_sink *k)
{
    const uint64_t line = doc_line(jf, j, m);
    const uint32_t text = lk_json_get(j, m, "text");
    const uint32_t ents = lk_json_get(j, m, "text_entities");
    const uint32_t unix_date = lk_json_get(j, m, "date_unixtime");
    const char *s;
    size_t n;
    int ok;
    lk_status st;

    if (!is_obj(j, m) || !lk_json_str_eq(j, lk_json_get(j, m, "type"), "message")) {
        /* service messages: joins, pins, title changes, calls */
        not_post(k, LK_FMT_TELEGRAM, line);
        return LK_OK;
    }
    rec_begin(jf, k, LK_FMT_TELEGRAM, line);
    if (id_get(jf, j, m, "from_id", &s, &n)) {
        st = lk_sink_account(k, s, n);
    } else {
        /* a channel's own posts in older exports: the channel acts */
        lk_buf_reset(&jf->acct);
        if (lk_buf_append(&jf->acct, "channel", 7) != LK_OK ||
            lk_buf_append(&jf->acct, chat, cn) != LK_OK)
            return LK_ENOMEM;
        st = lk_sink_account(k, jf->acct.p, jf->acct.len);
    }
    if (st != LK_OK)
        return st;
    if (present(j, unix_date))
        st = req_epoch(jf, k, j, unix_date, "date_unixtime", 1000, 1, &ok);
    else
        /* Exports before 2022 have only "date", the exporting computer's
         * local time without an offset.  It is read as UTC: times within
         * one export are consistent, but across exports made in different
         * zones they are shifted by the zone difference. */
        st = req_time(jf, k, j, m, "date", lk_parse_time, &ok);
    if (!ok)
        return st;
    if (!id_get(jf, j, m, "id", &s, &n))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'id': missing");
    if ((st = lk_sink_content(k, s, n)) != LK_OK ||
        (st = tg_ref(&jf->key, chat, cn, s, n)) != LK_OK ||
        (st = lk_sink_key(k, jf->key.p, jf->key.len)) != LK_OK)
        return st;

    if (id_get(jf, j, m, "forwarded_from_id", &s, &n)) {
        st = put_obj(jf, k, LK_TR_SHARE, s, n);
    } else if (str_get(jf, j, m, "forwarded_from", &s, &n) && n > 0) {
        /* only the source's display name: prefixed so that it never equals
         * an id */
        lk_buf_reset(&jf->tmp);
        if (lk_buf_append(&jf->tmp, "name:", 5) != LK_OK || lk_buf_append(&jf->tmp, s, n) != LK_OK)
            return LK_ENOMEM;
        st = put_obj(jf, k, LK_TR_SHARE, jf->tmp.p, jf->tmp.len);
    }
    if (st != LK_OK)
        return st;
    if (id_get(jf, j, m, "reply_to_message_id", &s, &n)) {
        if ((st = tg_ref(&jf->tmp, chat, cn, s, n)) != LK_OK ||
            (st = put_obj(jf, k, LK_TR_REPLY, jf->tmp.p, jf->tmp.len)) != LK_OK)
            return st;
    }

    /* text: a string, or an array of strings and {type, text} pieces */
    lk_buf_reset(&jf->text);
    if (str_node(jf, j, text, 0, &s, &n)) {
        if (lk_buf_append(&jf->text, s, n) != LK_OK)
            return LK_ENOMEM;
    } else if (is_arr(j, text)) {
        for (uint32_t e = lk_json_first(j, text); e != NONE; e = lk_json_next(j, e)) {
            if (str_node(jf, j, e, 0, &s, &n) ||
                (is_obj(j, e) && str_get(jf, j, e, "text", &s, &n)))
                if (lk_buf_append(&jf->text, s, n) != LK_OK)
                    return LK_ENOMEM;
            if (!is_arr(j, ents) && is_obj(j, e) && (st = tg_entity(jf, k, j, e)) != LK_OK)
                return st;
        }
    }
    for (uint32_t e = lk_json_first(j, ents); e != NONE; e = lk_json_next(j, e))
        if ((st = tg_entity(jf, k, j, e)) != LK_OK)
            return st;
    if ((st = put_text(jf, k, jf->text.p, jf->text.len)) != LK_OK)
        return st;
    return rec_end(jf, k);
}

static lk_status tg_chat(lk_jsonfmt *jf, const lk_json *j, uint32_t chat, lk_sink *k)
{
    const uint32_t msgs = lk_json_get(j, chat, "messages");
    const uint32_t idn = lk_json_get(j, chat, "id");
    const char *id = "";
    size_t n = 0;
    lk_status st;

    /* ids are numbers: their raw bytes live as long as the input */
    if (lk_json_type_of(j, idn) == LK_JSON_NUMBER || lk_json_type_of(j, idn) == LK_JSON_STRING)
        lk_json_raw(j, idn, &id, &n);
    for (uint32_t m = lk_json_first(j, msgs); m != NONE; m = lk_json_next(j, m))
        if ((st = tg_message(jf, j, m, id, n, k)) != LK_OK)
            return st;
    return LK_OK;
}

/* A chat ({name, type, id, messages}) or a full export ({chats: {list}},
 * {left_chats: {list}}). */
static lk_status tg_document(lk_jsonfmt *jf, const lk_json *j, uint32_t root, lk_sink *k)
{
    static const char *const lists[] = {"chats.list", "left_chats.list"};
    lk_status st;

    if (has(j, root, "messages"))
        return tg_chat(jf, j, root, k);
    for (size_t i = 0; i < 2; i++) {
        const uint32_t l = lk_json_path(j, root, lists[i]);
        for (uint32_t c = lk_json_first(j, l); c != NONE; c = lk_json_next(j, c))
            if ((st = tg_chat(jf, j, c, k)) != LK_OK)
                return st;
    }
    return LK_OK;
}

/* ---- Bluesky Jetstream (A.6) ---------------------------------------------- */

/* at://did/collection/rkey into *b */
static lk_status at_uri(lk_buf *b, const char *did, size_t dn, const char *coll, size_t cn,
                        const char *rkey, size_t rn)
{
    lk_buf_reset(b);
    if (lk_buf_append(b, "at://", 5) != LK_OK || lk_buf_append(b, did, dn) != LK_OK ||
        lk_buf_putc(b, '/') != LK_OK || lk_buf_append(b, coll, cn) != LK_OK ||
        lk_buf_putc(b, '/') != LK_OK || lk_buf_append(b, rkey, rn) != LK_OK)
        return LK_ENOMEM;
    return LK_OK;
}

/* An embed: external link card -> url; record -> quote; recordWithMedia ->
 * quote (record.record) and its media when that is a link card. */
static lk_status bsky_embed(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t em)
{
    const uint32_t type = lk_json_get(j, em, "$type");
    lk_status st;

    if (lk_json_str_eq(j, type, "app.bsky.embed.external"))
        return put_member(jf, k, LK_TR_URL, j, lk_json_get(j, em, "external"), "uri");
    if (lk_json_str_eq(j, type, "app.bsky.embed.record"))
        return put_member(jf, k, LK_TR_QUOTE, j, lk_json_get(j, em, "record"), "uri");
    if (lk_json_str_eq(j, type, "app.bsky.embed.recordWithMedia")) {
        const uint32_t media = lk_json_get(j, em, "media");
        if ((st = put_member(jf, k, LK_TR_QUOTE, j, lk_json_path(j, em, "record.record"), "uri")) !=
            LK_OK)
            return st;
        if (lk_json_str_eq(j, lk_json_get(j, media, "$type"), "app.bsky.embed.external"))
            return put_member(jf, k, LK_TR_URL, j, lk_json_get(j, media, "external"), "uri");
    }
    return LK_OK;
}

/* facets[].features[]: #link uri, #tag tag, #mention did */
static lk_status bsky_facets(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t facets)
{
    lk_status st = LK_OK;

    for (uint32_t f = lk_json_first(j, facets); f != NONE; f = lk_json_next(j, f)) {
        for (uint32_t x = lk_json_first(j, lk_json_get(j, f, "features")); x != NONE;
             x = lk_json_next(j, x)) {
            const uint32_t type = lk_json_get(j, x, "$type");
            if (lk_json_str_eq(j, type, "app.bsky.richtext.facet#link"))
                st = put_member(jf, k, LK_TR_URL, j, x, "uri");
            else if (lk_json_str_eq(j, type, "app.bsky.richtext.facet#tag"))
                st = put_member(jf, k, LK_TR_HASHTAG, j, x, "tag");
            else if (lk_json_str_eq(j, type, "app.bsky.richtext.facet#mention"))
                st = put_member(jf, k, LK_TR_MENTION, j, x, "did");
            if (st != LK_OK)
                return st;
        }
    }
    return LK_OK;
}

static lk_status bsky_event(lk_jsonfmt *jf, const lk_json *j, uint32_t ev, uint64_t line,
                            lk_sink *k)
{
    const uint32_t kind = lk_json_get(j, ev, "kind");
    const uint32_t type = lk_json_get(j, ev, "type");
    const uint32_t c = lk_json_get(j, ev, "commit");
    const uint32_t op =
        has(j, c, "operation") ? lk_json_get(j, c, "operation") : lk_json_get(j, c, "type");
    const uint32_t coll = lk_json_get(j, c, "collection");
    const uint32_t rec = lk_json_get(j, c, "record");
    const char *did, *s, *rk;
    size_t dn, n, rn;
    int ok, post;
    lk_status st;

    /* Only created posts and reposts act: identity / account / sync events,
     * updates, deletes, likes, follows, profiles do not.  Early Jetstream
     * spelled "kind":"commit" as "type":"com" and "create" as "c". */
    post = lk_json_str_eq(j, coll, "app.bsky.feed.post");
    if (!(lk_json_str_eq(j, kind, "commit") || (kind == NONE && lk_json_str_eq(j, type, "com"))) ||
        !(lk_json_str_eq(j, op, "create") || lk_json_str_eq(j, op, "c")) ||
        !(post || lk_json_str_eq(j, coll, "app.bsky.feed.repost")) || !is_obj(j, rec)) {
        not_post(k, LK_FMT_BLUESKY, line);
        return LK_OK;
    }
    rec_begin(jf, k, LK_FMT_BLUESKY, line);
    st = req_account(jf, k, j, ev, "did", "did", &ok);
    if (!ok)
        return st;
    st = req_epoch(jf, k, j, lk_json_get(j, ev, "time_us"), "time_us", 1, 1000, &ok);
    if (!ok)
        return st;
    /* the did again: the account call may have used the scratch buffer */
    if (!str_get(jf, j, ev, "did", &did, &dn))
        return LK_ENOMEM;
    lk_buf_reset(&jf->acct);
    if (lk_buf_append(&jf->acct, did, dn) != LK_OK)
        return LK_ENOMEM;
    if (!str_get(jf, j, c, "rkey", &rk, &rn) || rn == 0)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'commit.rkey': missing");
    lk_buf_reset(&jf->tmp);
    if (lk_buf_append(&jf->tmp, rk, rn) != LK_OK)
        return LK_ENOMEM;
    if (!str_node(jf, j, coll, 0, &s, &n) ||
        (st = at_uri(&jf->key, jf->acct.p, jf->acct.len, s, n, jf->tmp.p, jf->tmp.len)) != LK_OK)
        return jf->oom ? LK_ENOMEM : st;
    if ((st = lk_sink_content(k, jf->key.p, jf->key.len)) != LK_OK ||
        (st = lk_sink_key(k, jf->key.p, jf->key.len)) != LK_OK)
        return st;

    if (!post) {
        if ((st = put_member(jf, k, LK_TR_SHARE, j, lk_json_get(j, rec, "subject"), "uri")) !=
            LK_OK)
            return st;
        return rec_end(jf, k);
    }
    if ((st = put_member(jf, k, LK_TR_REPLY, j, lk_json_path(j, rec, "reply.parent"), "uri")) !=
            LK_OK ||
        (st = bsky_embed(jf, k, j, lk_json_get(j, rec, "embed"))) != LK_OK ||
        (st = bsky_facets(jf, k, j, lk_json_get(j, rec, "facets"))) != LK_OK)
        return st;
    if (str_get(jf, j, rec, "text", &s, &n) && (st = put_text(jf, k, s, n)) != LK_OK)
        return st;
    return rec_end(jf, k);
}

/* ---- Mastodon statuses (A.6) ---------------------------------------------- */

/* A global account name into *b: acct when it has a domain ("user@host"),
 * else acct + "@" + the host of the account's profile URL (a local account
 * of the instance that served the status). */
static lk_status masto_acct(lk_jsonfmt *jf, const lk_json *j, uint32_t a, const char *fallback,
                            size_t fn, lk_buf *b, int *ok)
{
    const char *s, *h;
    size_t n, hn;

    *ok = 0;
    lk_buf_reset(b);
    if (!str_get(jf, j, a, "acct", &s, &n) || n == 0)
        return LK_OK;
    if (lk_buf_append(b, s, n) != LK_OK)
        return LK_ENOMEM;
    *ok = 1;
    if (memchr(s, '@', n))
        return LK_OK;
    if (str_get(jf, j, a, "url", &s, &n) && url_host(s, n, &h, &hn))
        ;
    else if (fallback)
        h = fallback, hn = fn;
    else
        return LK_OK;
    if (lk_buf_putc(b, '@') != LK_OK || lk_buf_append(b, h, hn) != LK_OK)
        return LK_ENOMEM;
    return LK_OK;
}

/* Set jf->host to the instance that served status t, whose ids (id,
 * in_reply_to_id) are local to it.  A status does not name it; the facts
 * that do, in order: a local account's profile URL (acct without a domain),
 * a tag's URL (always a route of the serving instance), a local mention's
 * profile URL.  Failing those, the host learned from an earlier status of
 * this input (a dump comes from one instance), and last the author's own
 * instance. */
static lk_status masto_host(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint32_t acc)
{
    const char *s, *h = NULL;
    size_t n, hn = 0;
    uint32_t e;
    int learned = 0;

    if (str_get(jf, j, acc, "acct", &s, &n) && n > 0 && !memchr(s, '@', n) &&
        str_get(jf, j, acc, "url", &s, &n))
        (void)url_host(s, n, &h, &hn);
    for (e = lk_json_first(j, lk_json_get(j, t, "tags")); !h && e != NONE; e = lk_json_next(j, e))
        if (str_get(jf, j, e, "url", &s, &n))
            (void)url_host(s, n, &h, &hn);
    for (e = lk_json_first(j, lk_json_get(j, t, "mentions")); !h && e != NONE;
         e = lk_json_next(j, e))
        if (str_get(jf, j, e, "acct", &s, &n) && !memchr(s, '@', n) &&
            str_get(jf, j, e, "url", &s, &n))
            (void)url_host(s, n, &h, &hn);
    if (h) {
        learned = 1;
    } else if (jf->host_learned) {
        return LK_OK;
    } else if (str_get(jf, j, acc, "url", &s, &n)) {
        (void)url_host(s, n, &h, &hn);
    }
    if (!h || hn >= sizeof jf->host) {
        jf->hostn = 0;
        return LK_OK;
    }
    memcpy(jf->host, h, hn);
    jf->hostn = hn;
    jf->host_learned = learned;
    return LK_OK;
}

static lk_status masto_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint64_t line, lk_sink *k)
{
    const uint32_t acc = lk_json_get(j, t, "account");
    const uint32_t reblog = lk_json_get(j, t, "reblog");
    const char *s;
    size_t n;
    int ok;
    lk_status st;

    rec_begin(jf, k, LK_FMT_MASTODON, line);
    if (!is_obj(j, acc))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'account': expected an object, not %s",
                           type_word(j, acc));
    if ((st = masto_host(jf, j, t, acc)) != LK_OK)
        return st;
    if ((st = masto_acct(jf, j, acc, jf->host, jf->hostn, &jf->acct, &ok)) != LK_OK)
        return st;
    if (!ok)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'account.acct': missing");
    if ((st = lk_sink_account(k, jf->acct.p, jf->acct.len)) != LK_OK)
        return st;
    st = req_time(jf, k, j, t, "created_at", lk_parse_time, &ok);
    if (!ok)
        return st;
    if (!id_get(jf, j, t, "id", &s, &n))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'id': missing");
    if ((st = lk_sink_content(k, s, n)) != LK_OK)
        return st;
    if (!str_get(jf, j, t, "uri", &s, &n) || n == 0)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'uri': missing");
    if ((st = lk_sink_key(k, s, n)) != LK_OK)
        return st;

    if (is_obj(j, reblog)) {
        /* a boost: the booster only shares (the text and tags are the
         * original's) */
        if ((st = put_member(jf, k, LK_TR_SHARE, j, reblog, "uri")) != LK_OK)
            return st;
        return rec_end(jf, k);
    }
    if (lk_sink_wants(k, LK_TR_REPLY) && id_get(jf, j, t, "in_reply_to_id", &s, &n)) {
        /* ids are per instance: qualified by the serving instance */
        lk_buf_reset(&jf->tmp);
        if (lk_buf_append(&jf->tmp, jf->host, jf->hostn) != LK_OK ||
            lk_buf_putc(&jf->tmp, ':') != LK_OK || lk_buf_append(&jf->tmp, s, n) != LK_OK)
            return LK_ENOMEM;
        if ((st = put_obj(jf, k, LK_TR_REPLY, jf->tmp.p, jf->tmp.len)) != LK_OK)
            return st;
    }
    for (uint32_t e = lk_json_first(j, lk_json_get(j, t, "tags")); e != NONE;
         e = lk_json_next(j, e))
        if ((st = put_member(jf, k, LK_TR_HASHTAG, j, e, "name")) != LK_OK)
            return st;
    if (lk_sink_wants(k, LK_TR_MENTION)) {
        for (uint32_t e = lk_json_first(j, lk_json_get(j, t, "mentions")); e != NONE;
             e = lk_json_next(j, e)) {
            if ((st = masto_acct(jf, j, e, NULL, 0, &jf->tmp, &ok)) != LK_OK)
                return st;
            if (ok && (st = put_obj(jf, k, LK_TR_MENTION, jf->tmp.p, jf->tmp.len)) != LK_OK)
                return st;
        }
    }
    if ((st = put_member(jf, k, LK_TR_URL, j, lk_json_get(j, t, "card"), "url")) != LK_OK)
        return st;
    if (str_get(jf, j, t, "content", &s, &n) && n > 0) {
        /* Links sit in the visible text whole (Mastodon hides the middle
         * with CSS only); hashtag and mention links are "#x" and "@x" there,
         * not URLs, which is why the text is scanned and not the HTML. */
        lk_buf_reset(&jf->text);
        if (lk_html_to_text(s, n, &jf->text) != LK_OK)
            return LK_ENOMEM;
        if ((st = scan_urls(jf, k, jf->text.p, jf->text.len)) != LK_OK ||
            (st = put_text(jf, k, jf->text.p, jf->text.len)) != LK_OK)
            return st;
    }
    return rec_end(jf, k);
}

/* ---- classification ------------------------------------------------------- */

typedef enum kind {
    K_UNKNOWN = 0,
    K_V1,
    K_V1_CONTROL,
    K_V2_PAGE, /* data / includes / errors at the top */
    K_V2_FLAT,
    K_V2_COMPLIANCE,
    K_PUSHSHIFT,
    K_BLUESKY,
    K_MASTODON,
    K_TELEGRAM
} kind;

/* The top-level keys classification looks at, one bit each. */
enum {
    KEY_DATA = 1u << 0,
    KEY_ERRORS = 1u << 1,
    KEY_INCLUDES = 1u << 2,
    KEY_ID = 1u << 3,
    KEY_AUTHOR_ID = 1u << 4,
    KEY_CREATED_AT = 1u << 5,
    KEY_ID_STR = 1u << 6,
    KEY_USER = 1u << 7,
    KEY_TWEET_TEXT = 1u << 8, /* text, full_text, extended_tweet, retweeted_status */
    KEY_CONTROL = 1u << 9,    /* v1.1 streaming control messages */
    KEY_ACTION = 1u << 10,
    KEY_REASON = 1u << 11,
    KEY_DID = 1u << 12,
    KEY_JETSTREAM = 1u << 13, /* time_us, kind, commit */
    KEY_ACCOUNT = 1u << 14,
    KEY_URI = 1u << 15,
    KEY_CREATED_UTC = 1u << 16,
    KEY_AUTHOR = 1u << 17,
    KEY_CHATS = 1u << 18 /* messages, chats, left_chats */
};

static const struct {
    const char *name;
    unsigned bit;
} known_keys[] = {
    {"data", KEY_DATA},
    {"errors", KEY_ERRORS},
    {"includes", KEY_INCLUDES},
    {"id", KEY_ID},
    {"author_id", KEY_AUTHOR_ID},
    {"created_at", KEY_CREATED_AT},
    {"id_str", KEY_ID_STR},
    {"user", KEY_USER},
    {"text", KEY_TWEET_TEXT},
    {"full_text", KEY_TWEET_TEXT},
    {"extended_tweet", KEY_TWEET_TEXT},
    {"retweeted_status", KEY_TWEET_TEXT},
    {"delete", KEY_CONTROL},
    {"limit", KEY_CONTROL},
    {"warning", KEY_CONTROL},
    {"scrub_geo", KEY_CONTROL},
    {"status_withheld", KEY_CONTROL},
    {"user_withheld", KEY_CONTROL},
    {"disconnect", KEY_CONTROL},
    {"event", KEY_CONTROL},
    {"friends", KEY_CONTROL},
    {"friends_str", KEY_CONTROL},
    {"direct_message", KEY_CONTROL},
    {"control", KEY_CONTROL},
    {"for_user", KEY_CONTROL},
    {"action", KEY_ACTION},
    {"reason", KEY_REASON},
    {"did", KEY_DID},
    {"time_us", KEY_JETSTREAM},
    {"kind", KEY_JETSTREAM},
    {"commit", KEY_JETSTREAM},
    {"account", KEY_ACCOUNT},
    {"uri", KEY_URI},
    {"created_utc", KEY_CREATED_UTC},
    {"author", KEY_AUTHOR},
    {"messages", KEY_CHATS},
    {"chats", KEY_CHATS},
    {"left_chats", KEY_CHATS},
};

/* One pass over the members: a line costs O(keys) to classify whatever
 * its format (keys are compared raw: none of the known ones has escapes). */
static unsigned key_bits(const lk_json *j, uint32_t o)
{
    unsigned bits = 0;

    for (uint32_t key = lk_json_first(j, o); key != NONE; key = lk_json_next(j, key + 1)) {
        const char *s;
        size_t n;
        lk_json_raw(j, key, &s, &n);
        for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
            if (n > 0 && s[0] == known_keys[i].name[0] && eq(s, n, known_keys[i].name)) {
                bits |= known_keys[i].bit;
                break;
            }
    }
    return bits;
}

#define ALL(b, m) (((b) & (m)) == (m))

/* FORMATS.md A.3: detect by keys, v2 first, then v1.1 (mixed directories
 * hold both), then the other platforms. */
static kind classify(const lk_json *j, uint32_t o)
{
    unsigned b;

    if (!is_obj(j, o))
        return K_UNKNOWN;
    b = key_bits(j, o);
    if ((b & KEY_DATA) || ((b & (KEY_ERRORS | KEY_INCLUDES)) && !(b & KEY_ID)))
        return K_V2_PAGE;
    if (ALL(b, KEY_AUTHOR_ID | KEY_CREATED_AT))
        return K_V2_FLAT;
    if (ALL(b, KEY_ID_STR | KEY_USER))
        /* list objects (id_str, user, slug, member_count) hold no tweet */
        return (b & KEY_TWEET_TEXT) ? K_V1 : K_V1_CONTROL;
    if (b & KEY_CONTROL)
        return K_V1_CONTROL;
    if (ALL(b, KEY_ACTION | KEY_ID | KEY_REASON))
        return K_V2_COMPLIANCE;
    if (ALL(b, KEY_DID) && (b & KEY_JETSTREAM))
        return K_BLUESKY;
    if (ALL(b, KEY_ACCOUNT | KEY_URI))
        return K_MASTODON;
    if (ALL(b, KEY_CREATED_UTC | KEY_AUTHOR))
        return K_PUSHSHIFT;
    if (b & KEY_CHATS)
        return is_arr(j, lk_json_get(j, o, "messages")) || is_obj(j, lk_json_get(j, o, "chats")) ||
                       is_obj(j, lk_json_get(j, o, "left_chats"))
                   ? K_TELEGRAM
                   : K_UNKNOWN;
    return K_UNKNOWN;
}

static lk_format kind_format(kind c)
{
    switch (c) {
    case K_V1:
    case K_V1_CONTROL:
        return LK_FMT_TWITTER_V1;
    case K_V2_PAGE:
    case K_V2_FLAT:
    case K_V2_COMPLIANCE:
        return LK_FMT_TWITTER_V2;
    case K_PUSHSHIFT:
        return LK_FMT_PUSHSHIFT;
    case K_BLUESKY:
        return LK_FMT_BLUESKY;
    case K_MASTODON:
        return LK_FMT_MASTODON;
    case K_TELEGRAM:
        return LK_FMT_TELEGRAM;
    case K_UNKNOWN:
        break;
    }
    return LK_FMT_AUTO;
}

/* One record-holding value (a line, or an element of a document array). */
static lk_status value(lk_jsonfmt *jf, const lk_json *j, uint32_t node, uint64_t line, lk_sink *k)
{
    const kind c = classify(j, node);
    const lk_format f = kind_format(c);
    char what[64];

    if (c == K_UNKNOWN)
        return unknown_line(jf, j, node, line, k, "not a post of any known format");
    if (jf->forced != LK_FMT_AUTO && f != jf->forced) {
        (void)snprintf(what, sizeof what, "not a %s record (--format)", lk_format_name(jf->forced));
        return unknown_line(jf, j, node, line, k, what);
    }
    jf->refs_of = NONE;
    switch (c) {
    case K_V1:
        return v1_post(jf, j, node, line, k);
    case K_V1_CONTROL:
    case K_V2_COMPLIANCE:
        not_post(k, f, line);
        return LK_OK;
    case K_V2_PAGE:
        return v2_line(jf, j, node, line, k);
    case K_V2_FLAT:
        return v2_post(jf, j, node, NONE, line, k);
    case K_PUSHSHIFT:
        return pushshift_post(jf, j, node, line, k);
    case K_BLUESKY:
        return bsky_event(jf, j, node, line, k);
    case K_MASTODON:
        return masto_post(jf, j, node, line, k);
    case K_TELEGRAM:
        jf->doc = NULL;
        jf->doc_line = line;
        return tg_document(jf, j, node, k);
    case K_UNKNOWN:
        break;
    }
    return LK_OK;
}

lk_status lk_jsonfmt_line(lk_jsonfmt *jf, const lk_json *j, uint64_t line, lk_sink *k)
{
    return value(jf, j, lk_json_root(j), line, k);
}

lk_status lk_jsonfmt_document(lk_jsonfmt *jf, const lk_json *j, const char *text, size_t n,
                              lk_sink *k)
{
    const uint32_t root = lk_json_root(j);
    lk_status st;

    (void)n;
    jf->doc = text;
    jf->doc_off = 0;
    jf->doc_line = 1;
    if (classify(j, root) == K_TELEGRAM &&
        (jf->forced == LK_FMT_AUTO || jf->forced == LK_FMT_TELEGRAM)) {
        st = tg_document(jf, j, root, k);
        jf->doc = NULL;
        return st;
    }
    /* A pretty-printed array of posts (a saved API response) or one
     * pretty-printed post: every element is a record, at the line where it
     * starts. */
    if (is_arr(j, root)) {
        for (uint32_t e = lk_json_first(j, root); e != NONE; e = lk_json_next(j, e)) {
            const uint64_t line = doc_line(jf, j, e);
            const char *save = jf->doc;
            if ((st = value(jf, j, e, line, k)) != LK_OK)
                return st;
            jf->doc = save;
        }
        jf->doc = NULL;
        return LK_OK;
    }
    jf->doc = NULL;
    return value(jf, j, root, 1, k);
}
