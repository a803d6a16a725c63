/*
 * fmt_json_social.c - the JSON formats of platforms other than Twitter
 * (FORMATS.md A.5, A.6): Reddit Pushshift dumps, Telegram Desktop exports,
 * Bluesky Jetstream events, and Mastodon statuses, plain or in streaming
 * envelopes.  fmt_json.c classifies the line and calls the reader here;
 * the helpers, and the rules they follow (no copies, sticky jf->oom), are
 * in fmt_json_int.h and fmt_json.c.
 */
#include "fmt_json_int.h"
#include "normalize.h"
#include "parse_time.h"

/* ---- small helpers -------------------------------------------------------- */

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

/* ---- Reddit Pushshift (A.5) ----------------------------------------------- */

/* "[deleted]" / "[removed]" bodies carry no text. */
static int removed(const char *s, size_t n)
{
    return lk_jf_eq(s, n, "[deleted]") || lk_jf_eq(s, n, "[removed]");
}

/* A submission's url is a link only when it is not the post itself: self
 * posts point to their own permalink. */
static int own_link(lk_jsonfmt *jf, const lk_json *j, uint32_t t, const char *u, size_t un)
{
    const char *p, *id;
    size_t pn, idn;

    if (lk_jf_is_true(j, lk_json_get(j, t, "is_self")))
        return 1;
    if (lk_jf_str_get(jf, j, t, "permalink", &p, &pn) && pn > 1 && un >= pn &&
        memcmp(u + un - pn, p, pn) == 0)
        return 1;
    /* "https://www.reddit.com/r/x/comments/<id>/..." without a permalink field */
    if (!lk_jf_id_get(jf, j, t, "id", &id, &idn) || idn > 32)
        return 0;
    for (const char *c = u; (c = memmem(c, un - (size_t)(c - u), "/comments/", 10)) != NULL;
         c += 10) {
        const size_t rest = un - (size_t)(c + 10 - u);
        if (rest >= idn && memcmp(c + 10, id, idn) == 0 && (rest == idn || c[10 + idn] == '/'))
            return 1;
    }
    return 0;
}

lk_status lk_jf_pushshift_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint64_t line,
                               lk_sink *k)
{
    const int comment = !lk_jf_has(j, t, "title");
    const uint32_t author = lk_json_get(j, t, "author");
    const char *s, *u;
    size_t n, un;
    int ok;
    lk_status st;

    lk_jf_rec_begin(jf, k, LK_FMT_PUSHSHIFT, line);
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
    st = lk_jf_req_account(jf, k, j, t, "author", "author", &ok);
    if (!ok)
        return st;
    st = lk_jf_req_epoch(jf, k, j, lk_json_get(j, t, "created_utc"), "created_utc", 1000, 1, &ok);
    if (!ok)
        return st;
    if (!lk_jf_id_get(jf, j, t, "id", &s, &n))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'id': %s",
                           lk_jf_present(j, lk_json_get(j, t, "id")) ? "expected a string"
                                                                     : "missing");
    /* Reddit's fullnames: t1_ comments, t3_ submissions */
    lk_buf_reset(&jf->key);
    if (lk_buf_append(&jf->key, comment ? "t1_" : "t3_", 3) != LK_OK ||
        lk_buf_append(&jf->key, s, n) != LK_OK)
        return LK_ENOMEM;
    if ((st = lk_sink_content(k, s, n)) != LK_OK ||
        (st = lk_sink_key(k, jf->key.p, jf->key.len)) != LK_OK)
        return st;

    if (comment) {
        if ((st = lk_jf_put_member(jf, k, LK_TR_REPLY, j, t, "parent_id")) != LK_OK)
            return st;
        if (lk_jf_str_get(jf, j, t, "body", &s, &n) && !removed(s, n)) {
            if ((st = lk_jf_put_text(jf, k, s, n)) != LK_OK ||
                (st = lk_jf_scan_urls(jf, k, s, n)) != LK_OK)
                return st;
        }
        return lk_jf_rec_end(jf, k);
    }
    if ((st = lk_jf_put_member(jf, k, LK_TR_SHARE, j, t, "crosspost_parent")) != LK_OK)
        return st;
    if (lk_sink_wants(k, LK_TR_URL) && lk_jf_str_get(jf, j, t, "url", &u, &un) && un > 0) {
        /* own_link uses the scratch buffer: keep the url apart */
        lk_buf_reset(&jf->tmp);
        if (lk_buf_append(&jf->tmp, u, un) != LK_OK)
            return LK_ENOMEM;
        if (!own_link(jf, j, t, jf->tmp.p, jf->tmp.len) &&
            (st = lk_jf_put_obj(jf, k, LK_TR_URL, jf->tmp.p, jf->tmp.len)) != LK_OK)
            return st;
    }
    lk_buf_reset(&jf->text);
    if (lk_jf_str_get(jf, j, t, "title", &s, &n) && lk_buf_append(&jf->text, s, n) != LK_OK)
        return LK_ENOMEM;
    if ((st = lk_jf_scan_urls(jf, k, jf->text.p, jf->text.len)) != LK_OK)
        return st;
    if (lk_jf_str_get(jf, j, t, "selftext", &s, &n) && n > 0 && !removed(s, n)) {
        if ((st = lk_jf_scan_urls(jf, k, s, n)) != LK_OK)
            return st;
        if (lk_buf_putc(&jf->text, '\n') != LK_OK || lk_buf_append(&jf->text, s, n) != LK_OK)
            return LK_ENOMEM;
    }
    if ((st = lk_jf_put_text(jf, k, jf->text.p, jf->text.len)) != LK_OK)
        return st;
    return lk_jf_rec_end(jf, k);
}

/* ---- Telegram Desktop export (A.6) ---------------------------------------- */

/* Input line of node m of the document: newlines counted from the last
 * message, so a whole export costs one pass over its text. */
uint64_t lk_jf_doc_line(lk_jsonfmt *jf, const lk_json *j, uint32_t m)
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
        return lk_jf_put_member(jf, k, LK_TR_URL, j, e, "text");
    if (lk_json_str_eq(j, type, "text_link"))
        return lk_jf_put_member(jf, k, LK_TR_URL, j, e, "href");
    if (lk_json_str_eq(j, type, "hashtag"))
        return lk_jf_put_member(jf, k, LK_TR_HASHTAG, j, e, "text");
    if (lk_json_str_eq(j, type, "mention"))
        return lk_jf_put_member(jf, k, LK_TR_MENTION, j, e, "text");
    if (lk_json_str_eq(j, type, "mention_name"))
        return lk_jf_put_member(jf, k, LK_TR_MENTION, j, e, "user_id");
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
    const uint64_t line = lk_jf_doc_line(jf, j, m);
    const uint32_t text = lk_json_get(j, m, "text");
    const uint32_t ents = lk_json_get(j, m, "text_entities");
    const uint32_t unix_date = lk_json_get(j, m, "date_unixtime");
    const char *s;
    size_t n;
    int ok;
    lk_status st;

    if (!lk_jf_is_obj(j, m) || !lk_json_str_eq(j, lk_json_get(j, m, "type"), "message")) {
        /* service messages: joins, pins, title changes, calls */
        lk_jf_not_post(k, LK_FMT_TELEGRAM, line);
        return LK_OK;
    }
    lk_jf_rec_begin(jf, k, LK_FMT_TELEGRAM, line);
    if (lk_jf_id_get(jf, j, m, "from_id", &s, &n)) {
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
    if (lk_jf_present(j, unix_date))
        st = lk_jf_req_epoch(jf, k, j, unix_date, "date_unixtime", 1000, 1, &ok);
    else
        /* Exports before 2022 have only "date", the exporting computer's
         * local time without an offset.  It is read as UTC: times within
         * one export are consistent, but across exports made in different
         * zones they are shifted by the zone difference. */
        st = lk_jf_req_time(jf, k, j, m, "date", lk_parse_time, &ok);
    if (!ok)
        return st;
    if (!lk_jf_id_get(jf, j, m, "id", &s, &n))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'id': missing");
    if ((st = lk_sink_content(k, s, n)) != LK_OK ||
        (st = tg_ref(&jf->key, chat, cn, s, n)) != LK_OK ||
        (st = lk_sink_key(k, jf->key.p, jf->key.len)) != LK_OK)
        return st;

    if (lk_jf_id_get(jf, j, m, "forwarded_from_id", &s, &n)) {
        st = lk_jf_put_obj(jf, k, LK_TR_SHARE, s, n);
    } else if (lk_jf_str_get(jf, j, m, "forwarded_from", &s, &n) && n > 0) {
        /* only the source's display name: prefixed so that it never equals
         * an id */
        lk_buf_reset(&jf->tmp);
        if (lk_buf_append(&jf->tmp, "name:", 5) != LK_OK || lk_buf_append(&jf->tmp, s, n) != LK_OK)
            return LK_ENOMEM;
        st = lk_jf_put_obj(jf, k, LK_TR_SHARE, jf->tmp.p, jf->tmp.len);
    }
    if (st != LK_OK)
        return st;
    if (lk_jf_id_get(jf, j, m, "reply_to_message_id", &s, &n)) {
        if ((st = tg_ref(&jf->tmp, chat, cn, s, n)) != LK_OK ||
            (st = lk_jf_put_obj(jf, k, LK_TR_REPLY, jf->tmp.p, jf->tmp.len)) != LK_OK)
            return st;
    }

    /* text: a string, or an array of strings and {type, text} pieces */
    lk_buf_reset(&jf->text);
    if (lk_jf_str_node(jf, j, text, 0, &s, &n)) {
        if (lk_buf_append(&jf->text, s, n) != LK_OK)
            return LK_ENOMEM;
    } else if (lk_jf_is_arr(j, text)) {
        for (uint32_t e = lk_json_first(j, text); e != NONE; e = lk_json_next(j, e)) {
            if (lk_jf_str_node(jf, j, e, 0, &s, &n) ||
                (lk_jf_is_obj(j, e) && lk_jf_str_get(jf, j, e, "text", &s, &n)))
                if (lk_buf_append(&jf->text, s, n) != LK_OK)
                    return LK_ENOMEM;
            if (!lk_jf_is_arr(j, ents) && lk_jf_is_obj(j, e) &&
                (st = tg_entity(jf, k, j, e)) != LK_OK)
                return st;
        }
    }
    for (uint32_t e = lk_json_first(j, ents); e != NONE; e = lk_json_next(j, e))
        if ((st = tg_entity(jf, k, j, e)) != LK_OK)
            return st;
    if ((st = lk_jf_put_text(jf, k, jf->text.p, jf->text.len)) != LK_OK)
        return st;
    return lk_jf_rec_end(jf, k);
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
lk_status lk_jf_tg_document(lk_jsonfmt *jf, const lk_json *j, uint32_t root, lk_sink *k)
{
    static const char *const lists[] = {"chats.list", "left_chats.list"};
    lk_status st;

    if (lk_jf_has(j, root, "messages"))
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
        return lk_jf_put_member(jf, k, LK_TR_URL, j, lk_json_get(j, em, "external"), "uri");
    if (lk_json_str_eq(j, type, "app.bsky.embed.record"))
        return lk_jf_put_member(jf, k, LK_TR_QUOTE, j, lk_json_get(j, em, "record"), "uri");
    if (lk_json_str_eq(j, type, "app.bsky.embed.recordWithMedia")) {
        const uint32_t media = lk_json_get(j, em, "media");
        if ((st = lk_jf_put_member(jf, k, LK_TR_QUOTE, j, lk_json_path(j, em, "record.record"),
                                   "uri")) != LK_OK)
            return st;
        if (lk_json_str_eq(j, lk_json_get(j, media, "$type"), "app.bsky.embed.external"))
            return lk_jf_put_member(jf, k, LK_TR_URL, j, lk_json_get(j, media, "external"), "uri");
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
                st = lk_jf_put_member(jf, k, LK_TR_URL, j, x, "uri");
            else if (lk_json_str_eq(j, type, "app.bsky.richtext.facet#tag"))
                st = lk_jf_put_member(jf, k, LK_TR_HASHTAG, j, x, "tag");
            else if (lk_json_str_eq(j, type, "app.bsky.richtext.facet#mention"))
                st = lk_jf_put_member(jf, k, LK_TR_MENTION, j, x, "did");
            if (st != LK_OK)
                return st;
        }
    }
    return LK_OK;
}

lk_status lk_jf_bsky_event(lk_jsonfmt *jf, const lk_json *j, uint32_t ev, uint64_t line, lk_sink *k)
{
    const uint32_t kind = lk_json_get(j, ev, "kind");
    const uint32_t type = lk_json_get(j, ev, "type");
    const uint32_t c = lk_json_get(j, ev, "commit");
    const uint32_t op =
        lk_jf_has(j, c, "operation") ? lk_json_get(j, c, "operation") : lk_json_get(j, c, "type");
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
        !(post || lk_json_str_eq(j, coll, "app.bsky.feed.repost")) || !lk_jf_is_obj(j, rec)) {
        lk_jf_not_post(k, LK_FMT_BLUESKY, line);
        return LK_OK;
    }
    lk_jf_rec_begin(jf, k, LK_FMT_BLUESKY, line);
    st = lk_jf_req_account(jf, k, j, ev, "did", "did", &ok);
    if (!ok)
        return st;
    st = lk_jf_req_epoch(jf, k, j, lk_json_get(j, ev, "time_us"), "time_us", 1, 1000, &ok);
    if (!ok)
        return st;
    /* the did again: the account call may have used the scratch buffer */
    if (!lk_jf_str_get(jf, j, ev, "did", &did, &dn))
        return LK_ENOMEM;
    lk_buf_reset(&jf->acct);
    if (lk_buf_append(&jf->acct, did, dn) != LK_OK)
        return LK_ENOMEM;
    if (!lk_jf_str_get(jf, j, c, "rkey", &rk, &rn) || rn == 0)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'commit.rkey': missing");
    lk_buf_reset(&jf->tmp);
    if (lk_buf_append(&jf->tmp, rk, rn) != LK_OK)
        return LK_ENOMEM;
    if (!lk_jf_str_node(jf, j, coll, 0, &s, &n) ||
        (st = at_uri(&jf->key, jf->acct.p, jf->acct.len, s, n, jf->tmp.p, jf->tmp.len)) != LK_OK)
        return jf->oom ? LK_ENOMEM : st;
    if ((st = lk_sink_content(k, jf->key.p, jf->key.len)) != LK_OK ||
        (st = lk_sink_key(k, jf->key.p, jf->key.len)) != LK_OK)
        return st;

    if (!post) {
        if ((st = lk_jf_put_member(jf, k, LK_TR_SHARE, j, lk_json_get(j, rec, "subject"), "uri")) !=
            LK_OK)
            return st;
        return lk_jf_rec_end(jf, k);
    }
    if ((st = lk_jf_put_member(jf, k, LK_TR_REPLY, j, lk_json_path(j, rec, "reply.parent"),
                               "uri")) != LK_OK ||
        (st = bsky_embed(jf, k, j, lk_json_get(j, rec, "embed"))) != LK_OK ||
        (st = bsky_facets(jf, k, j, lk_json_get(j, rec, "facets"))) != LK_OK)
        return st;
    if (lk_jf_str_get(jf, j, rec, "text", &s, &n) && (st = lk_jf_put_text(jf, k, s, n)) != LK_OK)
        return st;
    return lk_jf_rec_end(jf, k);
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
    if (!lk_jf_str_get(jf, j, a, "acct", &s, &n) || n == 0)
        return LK_OK;
    if (lk_buf_append(b, s, n) != LK_OK)
        return LK_ENOMEM;
    *ok = 1;
    if (memchr(s, '@', n))
        return LK_OK;
    if (lk_jf_str_get(jf, j, a, "url", &s, &n) && url_host(s, n, &h, &hn))
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

    jf->stateful = 1;
    if (lk_jf_str_get(jf, j, acc, "acct", &s, &n) && n > 0 && !memchr(s, '@', n) &&
        lk_jf_str_get(jf, j, acc, "url", &s, &n))
        (void)url_host(s, n, &h, &hn);
    for (e = lk_json_first(j, lk_json_get(j, t, "tags")); !h && e != NONE; e = lk_json_next(j, e))
        if (lk_jf_str_get(jf, j, e, "url", &s, &n))
            (void)url_host(s, n, &h, &hn);
    for (e = lk_json_first(j, lk_json_get(j, t, "mentions")); !h && e != NONE;
         e = lk_json_next(j, e))
        if (lk_jf_str_get(jf, j, e, "acct", &s, &n) && !memchr(s, '@', n) &&
            lk_jf_str_get(jf, j, e, "url", &s, &n))
            (void)url_host(s, n, &h, &hn);
    if (h) {
        learned = 1;
    } else if (jf->host_learned) {
        return LK_OK;
    } else if (lk_jf_str_get(jf, j, acc, "url", &s, &n)) {
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

lk_status lk_jf_masto_post(lk_jsonfmt *jf, const lk_json *j, uint32_t t, uint64_t line, lk_sink *k)
{
    const uint32_t acc = lk_json_get(j, t, "account");
    const uint32_t reblog = lk_json_get(j, t, "reblog");
    const char *s;
    size_t n;
    int ok;
    lk_status st;

    lk_jf_rec_begin(jf, k, LK_FMT_MASTODON, line);
    if (!lk_jf_is_obj(j, acc))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'account': expected an object, not %s",
                           lk_jf_type_word(j, acc));
    if ((st = masto_host(jf, j, t, acc)) != LK_OK)
        return st;
    if ((st = masto_acct(jf, j, acc, jf->host, jf->hostn, &jf->acct, &ok)) != LK_OK)
        return st;
    if (!ok)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'account.acct': missing");
    if ((st = lk_sink_account(k, jf->acct.p, jf->acct.len)) != LK_OK)
        return st;
    st = lk_jf_req_time(jf, k, j, t, "created_at", lk_parse_time, &ok);
    if (!ok)
        return st;
    if (!lk_jf_id_get(jf, j, t, "id", &s, &n))
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'id': missing");
    if ((st = lk_sink_content(k, s, n)) != LK_OK)
        return st;
    if (!lk_jf_str_get(jf, j, t, "uri", &s, &n) || n == 0)
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'uri': missing");
    if ((st = lk_sink_key(k, s, n)) != LK_OK)
        return st;

    if (lk_jf_is_obj(j, reblog)) {
        /* a boost: the booster only shares (the text and tags are the
         * original's) */
        if ((st = lk_jf_put_member(jf, k, LK_TR_SHARE, j, reblog, "uri")) != LK_OK)
            return st;
        return lk_jf_rec_end(jf, k);
    }
    if (lk_sink_wants(k, LK_TR_REPLY) && lk_jf_id_get(jf, j, t, "in_reply_to_id", &s, &n)) {
        /* ids are per instance: qualified by the serving instance */
        lk_buf_reset(&jf->tmp);
        if (lk_buf_append(&jf->tmp, jf->host, jf->hostn) != LK_OK ||
            lk_buf_putc(&jf->tmp, ':') != LK_OK || lk_buf_append(&jf->tmp, s, n) != LK_OK)
            return LK_ENOMEM;
        if ((st = lk_jf_put_obj(jf, k, LK_TR_REPLY, jf->tmp.p, jf->tmp.len)) != LK_OK)
            return st;
    }
    for (uint32_t e = lk_json_first(j, lk_json_get(j, t, "tags")); e != NONE;
         e = lk_json_next(j, e))
        if ((st = lk_jf_put_member(jf, k, LK_TR_HASHTAG, j, e, "name")) != LK_OK)
            return st;
    if (lk_sink_wants(k, LK_TR_MENTION)) {
        for (uint32_t e = lk_json_first(j, lk_json_get(j, t, "mentions")); e != NONE;
             e = lk_json_next(j, e)) {
            if ((st = masto_acct(jf, j, e, NULL, 0, &jf->tmp, &ok)) != LK_OK)
                return st;
            if (ok && (st = lk_jf_put_obj(jf, k, LK_TR_MENTION, jf->tmp.p, jf->tmp.len)) != LK_OK)
                return st;
        }
    }
    if ((st = lk_jf_put_member(jf, k, LK_TR_URL, j, lk_json_get(j, t, "card"), "url")) != LK_OK)
        return st;
    if (lk_jf_str_get(jf, j, t, "content", &s, &n) && n > 0) {
        /* Links sit in the visible text whole (Mastodon hides the middle
         * with CSS only); hashtag and mention links are "#x" and "@x" there,
         * not URLs, which is why the text is scanned and not the HTML. */
        lk_buf_reset(&jf->text);
        if (lk_html_to_text(s, n, &jf->text) != LK_OK)
            return LK_ENOMEM;
        if ((st = lk_jf_scan_urls(jf, k, jf->text.p, jf->text.len)) != LK_OK ||
            (st = lk_jf_put_text(jf, k, jf->text.p, jf->text.len)) != LK_OK)
            return st;
    }
    return lk_jf_rec_end(jf, k);
}

/*
 * A streaming API envelope (GET /api/v1/streaming, as saved by clients
 * that write one message per line): {"event": "update", "payload": "<a
 * Status as a JSON string>"}, and over WebSocket also "stream": [...].
 * "update" is a new status, "status.update" an edited one (the same uri:
 * the sink keeps the first); the payload is decoded into jf->payload,
 * parsed with the handle's second parser (the line's tape stays intact)
 * and read as a status at the envelope's line.  Every other event
 * (delete, notification, conversation, filters_changed, announcement.*)
 * carries no post.
 */
lk_status lk_jf_masto_stream(lk_jsonfmt *jf, const lk_json *j, uint32_t env, uint64_t line,
                             lk_sink *k)
{
    const uint32_t event = lk_json_get(j, env, "event");
    const uint32_t pl = lk_json_get(j, env, "payload");
    const char *s;
    size_t n;
    lk_status st;

    if (!lk_json_str_eq(j, event, "update") && !lk_json_str_eq(j, event, "status.update")) {
        lk_jf_not_post(k, LK_FMT_MASTODON, line);
        return LK_OK;
    }
    if (lk_json_type_of(j, pl) != LK_JSON_STRING) {
        lk_jf_rec_begin(jf, k, LK_FMT_MASTODON, line);
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'payload': expected a string, not %s",
                           lk_jf_type_word(j, pl));
    }
    if ((st = lk_json_str(j, pl, &jf->payload, &s, &n)) != LK_OK)
        return st;
    if (!jf->inner && (st = lk_json_new(&jf->inner)) != LK_OK)
        return st;
    st = lk_json_parse(jf->inner, s, n);
    if (st == LK_ENOMEM)
        return st;
    if (st != LK_OK) {
        lk_jf_rec_begin(jf, k, LK_FMT_MASTODON, line);
        return lk_sink_bad(k, LK_SKIP_MALFORMED_JSON, "payload: invalid JSON: %s (at byte %zu)",
                           lk_json_errmsg(jf->inner), lk_json_erroff(jf->inner) + 1);
    }
    if (!lk_jf_is_obj(jf->inner, lk_json_root(jf->inner))) {
        lk_jf_rec_begin(jf, k, LK_FMT_MASTODON, line);
        return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "'payload': expected a status object, not %s",
                           lk_jf_type_word(jf->inner, lk_json_root(jf->inner)));
    }
    return lk_jf_masto_post(jf, jf->inner, lk_json_root(jf->inner), line, k);
}
