/*
 * fmt_json.c - the JSON formats (FORMATS.md A.2, A.3, A.5, A.6): classify a
 * parsed line by its keys and hand its posts to the sink.  This file holds
 * the handle, the helpers every reader shares (fmt_json_int.h), the
 * classification and the Twitter v1.1 and v2 readers; fmt_json_social.c
 * holds Pushshift, Telegram, Bluesky and Mastodon.
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
#include "fmt_json_int.h"
#include "parse_time.h"
#include "textscan.h"

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
    lk_buf_init(&jf->payload);
    jf->refs_of = NONE;
    *out = jf;
    return LK_OK;
}

int lk_jsonfmt_stateful(const lk_jsonfmt *jf)
{
    return jf->stateful;
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
    lk_buf_release(&jf->payload);
    lk_json_free(jf->inner);
    free(jf->ob);
    free(jf->refs);
    free(jf);
}

/* ---- small helpers -------------------------------------------------------- */

/* Text of a string node (or the literal of a number node when `numbers`):
 * 1 and (*s, *n), or 0 when node is missing, null or of another type. */
int lk_jf_str_node(lk_jsonfmt *jf, const lk_json *j, uint32_t node, int numbers, const char **s,
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
int lk_jf_str_get(lk_jsonfmt *jf, const lk_json *j, uint32_t obj, const char *key, const char **s,
                  size_t *n)
{
    return lk_jf_str_node(jf, j, lk_json_get(j, obj, key), 0, s, n);
}

/* Member `key` of obj as an id: a string, or a number's literal text (ids
 * stored as JSON numbers must never go through a double). */
int lk_jf_id_get(lk_jsonfmt *jf, const lk_json *j, uint32_t obj, const char *key, const char **s,
                 size_t *n)
{
    return lk_jf_str_node(jf, j, lk_json_get(j, obj, key), 1, s, n) && *n > 0;
}

/* What a field holds, for "expected a string" messages. */
const char *lk_jf_type_word(const lk_json *j, uint32_t node)
{
    static const char *const words[] = {"null",     "false",    "true",     "a number",
                                        "a string", "an array", "an object"};
    if (node == NONE)
        return "nothing";
    return words[lk_json_type_of(j, node)];
}

/* ---- record plumbing ------------------------------------------------------ */

void lk_jf_rec_begin(lk_jsonfmt *jf, lk_sink *k, lk_format f, uint64_t line)
{
    lk_sink_format(k, f);
    lk_sink_begin(k, line);
    jf->nob = 0;
    lk_buf_reset(&jf->objs);
}

void lk_jf_not_post(lk_sink *k, lk_format f, uint64_t line)
{
    lk_sink_format(k, f);
    lk_sink_not_post(k, line);
}

lk_status lk_jf_rec_end(lk_jsonfmt *jf, lk_sink *k)
{
    if (jf->oom) {
        jf->oom = 0;
        return LK_ENOMEM;
    }
    return lk_sink_end(k);
}

/* Give one object to the sink unless it is empty, not wanted, or was given
 * under the same trace in this record already (exact bytes). */
lk_status lk_jf_put_obj(lk_jsonfmt *jf, lk_sink *k, lk_trace tr, const char *s, size_t n)
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
lk_status lk_jf_put_member(lk_jsonfmt *jf, lk_sink *k, lk_trace tr, const lk_json *j, uint32_t obj,
                           const char *key)
{
    const char *s;
    size_t n;

    if (!lk_sink_wants(k, tr) || !lk_jf_id_get(jf, j, obj, key, &s, &n))
        return LK_OK;
    return lk_jf_put_obj(jf, k, tr, s, n);
}

/* The account from a required member: LK_OK and 1 in *ok when set; else
 * the record is finished as bad (the status of lk_sink_bad is returned). */
lk_status lk_jf_req_account(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t obj,
                            const char *key, const char *shown, int *ok)
{
    const uint32_t v = lk_json_get(j, obj, key);
    const char *s;
    size_t n;

    *ok = 0;
    if (!lk_jf_present(j, v))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': missing", shown);
    if (!lk_jf_str_node(jf, j, v, 1, &s, &n)) {
        if (jf->oom)
            return LK_ENOMEM;
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': expected a string, not %s", shown,
                           lk_jf_type_word(j, v));
    }
    /* ok only once the account is kept: the callers return st only when
     * !ok, and an account the sink could not copy (out of memory) had
     * gone on as an empty one, the record skipped as empty_account */
    const lk_status st = lk_sink_account(k, s, n);
    *ok = st == LK_OK;
    return st;
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

/* A required string time member parsed with fn. */
lk_status lk_jf_req_time(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t obj,
                         const char *key, lk_jf_time_fn fn, int *ok)
{
    const uint32_t v = lk_json_get(j, obj, key);
    const char *s, *why = "not a timestamp";
    size_t n;
    int64_t ms = 0;

    *ok = 0;
    if (!lk_jf_present(j, v))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': missing", key);
    if (!lk_jf_str_node(jf, j, v, 0, &s, &n)) {
        if (jf->oom)
            return LK_ENOMEM;
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': expected a string, not %s", key,
                           lk_jf_type_word(j, v));
    }
    if (fn(s, n, &ms, &why) != LK_OK)
        return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "'%s': %s: '%.*s'", key, why,
                           (int)LK_MIN(n, 64), s);
    return set_time(k, ms, key, s, n, ok);
}

/* An epoch number (or digit string) in units of `unit` ms per count:
 * Pushshift's created_utc (s; int, digit string, or "1134.0"), Jetstream's
 * time_us, Telegram's date_unixtime, v1.1's timestamp_ms. */
lk_status lk_jf_req_epoch(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t v,
                          const char *shown, int64_t mul, int64_t div, int *ok)
{
    const lk_json_type t = lk_json_type_of(j, v);
    const char *s, *why = "not a timestamp";
    size_t n;
    int iok = 0;
    int64_t x, ms = 0;

    *ok = 0;
    if (!lk_jf_present(j, v))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': missing", shown);
    if (t != LK_JSON_NUMBER && t != LK_JSON_STRING)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': expected a number, not %s", shown,
                           lk_jf_type_word(j, v));
    lk_json_raw(j, v, &s, &n);
    x = lk_json_int(j, v, &iok);
    if (iok) {
        if (x < 0 || x / div > LK_TIME_MAX_MS / mul)
            return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "'%s': out of range: '%.*s'", shown,
                               (int)LK_MIN(n, 64), s);
        return set_time(k, x / div * mul, shown, s, n, ok);
    }
    /* Not an integer: decimal epoch seconds ("1134.0" in some dumps). */
    if (mul == 1000 && div == 1 && lk_jf_str_node(jf, j, v, 1, &s, &n) &&
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
    if (!lk_jf_str_node(jf, j, v, 1, &s, &n) || n == 0) {
        if (jf->oom)
            return LK_ENOMEM;
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'%s': %s", key,
                           lk_jf_present(j, v) ? "expected a string" : "missing");
    }
    if ((st = lk_sink_content(k, s, n)) != LK_OK || (st = lk_sink_key(k, s, n)) != LK_OK)
        return st;
    *ok = 1;
    return LK_OK;
}

/* The text trace: the sink normalises and hashes it. */
lk_status lk_jf_put_text(lk_jsonfmt *jf, lk_sink *k, const char *s, size_t n)
{
    return lk_jf_put_obj(jf, k, LK_TR_TEXT, s, n);
}

typedef struct scan_ctx {
    lk_jsonfmt *jf;
    lk_sink *k;
} scan_ctx;

static lk_status scanned_url(void *ctx, const char *s, size_t n)
{
    const scan_ctx *c = ctx;
    return lk_jf_put_obj(c->jf, c->k, LK_TR_URL, s, n);
}

/* URL objects found in free text. */
lk_status lk_jf_scan_urls(lk_jsonfmt *jf, lk_sink *k, const char *s, size_t n)
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
                                lk_jf_type_word(j, node));
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

    if (!lk_jf_is_obj(j, ent))
        return LK_OK;
    for (e = lk_json_first(j, lk_json_get(j, ent, "hashtags")); e != NONE; e = lk_json_next(j, e))
        if ((st = lk_jf_put_member(jf, k, LK_TR_HASHTAG, j, e, "text")) != LK_OK)
            return st;
    for (e = lk_json_first(j, lk_json_get(j, ent, "urls")); e != NONE; e = lk_json_next(j, e)) {
        const char *key =
            lk_jf_present(j, lk_json_get(j, e, "expanded_url")) ? "expanded_url" : "url";
        if ((st = lk_jf_put_member(jf, k, LK_TR_URL, j, e, key)) != LK_OK)
            return st;
    }
    for (e = lk_json_first(j, lk_json_get(j, ent, "user_mentions")); e != NONE;
         e = lk_json_next(j, e))
        if ((st = lk_jf_put_member(jf, k, LK_TR_MENTION, j, e, "id_str")) != LK_OK)
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

    lk_jf_rec_begin(jf, k, LK_FMT_TWITTER_V1, line);
    if (!lk_jf_is_obj(j, user))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'user': expected an object, not %s",
                           lk_jf_type_word(j, user));
    st = lk_jf_req_account(jf, k, j, user, lk_jf_has(j, user, "id_str") ? "id_str" : "id",
                           "user.id_str", &ok);
    if (!ok)
        return st;
    if (lk_jf_present(j, tms))
        st = lk_jf_req_epoch(jf, k, j, tms, "timestamp_ms", 1, 1, &ok);
    else
        st = lk_jf_req_time(jf, k, j, t, "created_at", lk_parse_time_twitter, &ok);
    if (!ok)
        return st;
    st = content_and_key(jf, k, j, t, lk_jf_has(j, t, "id_str") ? "id_str" : "id", &ok);
    if (!ok)
        return st;

    if (lk_jf_is_obj(j, rt)) {
        /* A native retweet: its own text is a truncated "RT @x: ..." copy and
         * its quote fields are copied from the original, so the retweeter
         * only shares; the entities, though, are what it spreads. */
        if ((st = lk_jf_put_member(jf, k, LK_TR_SHARE, j, rt, "id_str")) != LK_OK)
            return st;
        src = rt;
    } else {
        if (lk_jf_is_true(j, lk_json_get(j, t, "is_quote_status")) ||
            lk_jf_is_obj(j, lk_json_get(j, t, "quoted_status"))) {
            if (lk_jf_has(j, t, "quoted_status_id_str"))
                st = lk_jf_put_member(jf, k, LK_TR_QUOTE, j, t, "quoted_status_id_str");
            else
                st = lk_jf_put_member(jf, k, LK_TR_QUOTE, j, lk_json_get(j, t, "quoted_status"),
                                      "id_str");
            if (st != LK_OK)
                return st;
        }
        if ((st = lk_jf_put_member(jf, k, LK_TR_REPLY, j, t, "in_reply_to_status_id_str")) != LK_OK)
            return st;
        src = t;
    }
    /* compat / streaming mode: a long tweet's full entities and text are in
     * extended_tweet; the outer ones cover the first 140 characters. */
    ext = lk_json_get(j, src, "extended_tweet");
    if (lk_jf_is_obj(j, ext) && lk_jf_is_obj(j, lk_json_get(j, ext, "entities")))
        st = v1_entities(jf, k, j, lk_json_get(j, ext, "entities"));
    else
        st = v1_entities(jf, k, j, lk_json_get(j, src, "entities"));
    if (st != LK_OK)
        return st;
    /* No text trace for a retweet: its text is the original's, and two
     * accounts retweeting one post are already linked by share. */
    if (src == t && lk_sink_wants(k, LK_TR_TEXT)) {
        if (lk_jf_str_get(jf, j, t, "full_text", &s, &n) ||
            (lk_jf_is_obj(j, ext) && lk_jf_str_get(jf, j, ext, "full_text", &s, &n)) ||
            lk_jf_str_get(jf, j, t, "text", &s, &n))
            if ((st = lk_jf_put_text(jf, k, s, n)) != LK_OK)
                return st;
    }
    return lk_jf_rec_end(jf, k);
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

    if (!lk_jf_is_obj(j, incl))
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

    if (!lk_jf_is_obj(j, ent))
        return LK_OK;
    for (e = lk_json_first(j, lk_json_get(j, ent, "hashtags")); e != NONE; e = lk_json_next(j, e))
        if ((st = lk_jf_put_member(jf, k, LK_TR_HASHTAG, j, e, "tag")) != LK_OK)
            return st;
    for (e = lk_json_first(j, lk_json_get(j, ent, "mentions")); e != NONE; e = lk_json_next(j, e)) {
        const char *key = lk_jf_present(j, lk_json_get(j, e, "id")) ? "id" : "username";
        if ((st = lk_jf_put_member(jf, k, LK_TR_MENTION, j, e, key)) != LK_OK)
            return st;
    }
    for (e = lk_json_first(j, lk_json_get(j, ent, "urls")); e != NONE; e = lk_json_next(j, e)) {
        const char *key = lk_jf_present(j, lk_json_get(j, e, "unwound_url"))    ? "unwound_url"
                          : lk_jf_present(j, lk_json_get(j, e, "expanded_url")) ? "expanded_url"
                                                                                : "url";
        if ((st = lk_jf_put_member(jf, k, LK_TR_URL, j, e, key)) != LK_OK)
            return st;
    }
    return LK_OK;
}

/* Entities of a tweet: a long tweet's (note_tweet) are complete, the
 * outer ones cover its first 280 characters. */
static lk_status v2_tweet_entities(lk_jsonfmt *jf, lk_sink *k, const lk_json *j, uint32_t t)
{
    const uint32_t note = lk_json_get(j, t, "note_tweet");

    if (lk_jf_is_obj(j, note) && lk_jf_is_obj(j, lk_json_get(j, note, "entities")))
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

    lk_jf_rec_begin(jf, k, LK_FMT_TWITTER_V2, line);
    st = lk_jf_req_account(jf, k, j, t, "author_id", "author_id", &ok);
    if (!ok)
        return st;
    st = lk_jf_req_time(jf, k, j, t, "created_at", lk_parse_time, &ok);
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
        if ((st = lk_jf_put_member(jf, k, tr, j, r, "id")) != LK_OK)
            return st;
    }
    if (retweet) {
        /* A retweet's own text and entities are a truncated "RT @x: ..."
         * copy: take the entities from the original (merged into the
         * reference by twarc2 flatten, else in includes.tweets).  When the
         * original is missing (deleted, protected) the retweet gives only
         * its share. */
        if (!lk_jf_has(j, orig, "entities") && !lk_jf_has(j, orig, "text")) {
            const uint32_t id = lk_json_get(j, orig, "id");
            orig = lk_jf_str_node(jf, j, id, 1, &s, &n) ? v2_included(jf, j, incl, s, n) : NONE;
        }
        if (orig != NONE && (st = v2_tweet_entities(jf, k, j, orig)) != LK_OK)
            return st;
        /* no text trace: see v1_post */
        return lk_jf_rec_end(jf, k);
    }
    if ((st = v2_tweet_entities(jf, k, j, t)) != LK_OK)
        return st;
    if (lk_sink_wants(k, LK_TR_TEXT)) {
        const uint32_t note = lk_json_get(j, t, "note_tweet");
        if ((lk_jf_is_obj(j, note) && lk_jf_str_get(jf, j, note, "text", &s, &n)) ||
            lk_jf_str_get(jf, j, t, "text", &s, &n))
            if ((st = lk_jf_put_text(jf, k, s, n)) != LK_OK)
                return st;
    }
    return lk_jf_rec_end(jf, k);
}

/* One element of "data": a tweet, or a user / list / count (no post).  A
 * tweet without author_id (requested without the expansion) is bad. */
static lk_status v2_element(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint32_t incl,
                            uint64_t line, lk_sink *k)
{
    if (!lk_jf_is_obj(j, t) || (!lk_jf_has(j, t, "author_id") && !lk_jf_has(j, t, "text"))) {
        lk_jf_not_post(k, LK_FMT_TWITTER_V2, line);
        return LK_OK;
    }
    return v2_post(jf, j, t, incl, line, k);
}

static lk_status v2_line(lk_jsonfmt *jf, const lk_json *j, uint32_t root, uint64_t line, lk_sink *k)
{
    const uint32_t data = lk_json_get(j, root, "data");
    const uint32_t incl = lk_json_get(j, root, "includes");
    lk_status st;

    if (lk_jf_is_obj(j, data))
        return v2_element(jf, j, data, incl, line, k);
    if (!lk_jf_is_arr(j, data) || lk_json_count(j, data) == 0) {
        /* "errors" only, an empty page, compliance output */
        lk_jf_not_post(k, LK_FMT_TWITTER_V2, line);
        return LK_OK;
    }
    for (uint32_t e = lk_json_first(j, data); e != NONE; e = lk_json_next(j, e))
        if ((st = v2_element(jf, j, e, incl, line, k)) != LK_OK)
            return st;
    return LK_OK;
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
    K_MASTODON_STREAM, /* {"event": ..., "payload": "<JSON>"} */
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
    KEY_CHATS = 1u << 18,   /* messages, chats, left_chats */
    KEY_ENVELOPE = 1u << 19 /* payload, stream: Mastodon streaming */
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
    {"payload", KEY_ENVELOPE},
    {"stream", KEY_ENVELOPE},
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
            if (n > 0 && s[0] == known_keys[i].name[0] && lk_jf_eq(s, n, known_keys[i].name)) {
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

    if (!lk_jf_is_obj(j, o))
        return K_UNKNOWN;
    b = key_bits(j, o);
    if ((b & KEY_DATA) || ((b & (KEY_ERRORS | KEY_INCLUDES)) && !(b & KEY_ID)))
        return K_V2_PAGE;
    if (ALL(b, KEY_AUTHOR_ID | KEY_CREATED_AT))
        return K_V2_FLAT;
    if (ALL(b, KEY_ID_STR | KEY_USER))
        /* list objects (id_str, user, slug, member_count) hold no tweet */
        return (b & KEY_TWEET_TEXT) ? K_V1 : K_V1_CONTROL;
    /* Mastodon's streaming API wraps each event as {"event": "update",
     * "payload": "<the status as a JSON string>"} (WebSocket messages add
     * "stream": [...]).  v1.1's "event" control lines (source, target,
     * target_object) never carry a payload or a stream. */
    if ((b & KEY_ENVELOPE) && lk_json_type_of(j, lk_json_get(j, o, "event")) == LK_JSON_STRING)
        return K_MASTODON_STREAM;
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
        return lk_jf_is_arr(j, lk_json_get(j, o, "messages")) ||
                       lk_jf_is_obj(j, lk_json_get(j, o, "chats")) ||
                       lk_jf_is_obj(j, lk_json_get(j, o, "left_chats"))
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
    case K_MASTODON_STREAM:
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
        lk_jf_not_post(k, f, line);
        return LK_OK;
    case K_V2_PAGE:
        return v2_line(jf, j, node, line, k);
    case K_V2_FLAT:
        return v2_post(jf, j, node, NONE, line, k);
    case K_PUSHSHIFT:
        return lk_jf_pushshift_post(jf, j, node, line, k);
    case K_BLUESKY:
        return lk_jf_bsky_event(jf, j, node, line, k);
    case K_MASTODON:
        return lk_jf_masto_post(jf, j, node, line, k);
    case K_MASTODON_STREAM:
        return lk_jf_masto_stream(jf, j, node, line, k);
    case K_TELEGRAM:
        jf->doc = NULL;
        jf->doc_line = line;
        return lk_jf_tg_document(jf, j, node, k);
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
        st = lk_jf_tg_document(jf, j, root, k);
        jf->doc = NULL;
        return st;
    }
    /* A pretty-printed array of posts (a saved API response) or one
     * pretty-printed post: every element is a record, at the line where it
     * starts. */
    if (lk_jf_is_arr(j, root)) {
        for (uint32_t e = lk_json_first(j, root); e != NONE; e = lk_json_next(j, e)) {
            const uint64_t line = lk_jf_doc_line(jf, j, e);
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
