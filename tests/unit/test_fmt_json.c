/*
 * test_fmt_json.c - the JSON format readers (fmt_json.c) through a callback
 * sink: hand-written fixtures in tests/data/formats with every action
 * written out by hand, and the real samples in ../shared/data with counts
 * checked independently (Python's json module over the same files).
 *
 * The driver below does what reader.c does: JSON lines through lk_lines +
 * lk_json_parse + lk_jsonfmt_line, a malformed line reported with
 * lk_sink_bad_line, whole documents through lk_jsonfmt_document.  Blank
 * lines are passed over (twarc's compliance files contain some).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <unistd.h>

#include "lk_testutil.h"

#include "fmt.h"
#include "io_stream.h"

#ifndef LK_TEST_DATA
#    define LK_TEST_DATA "tests/data"
#endif
#ifndef LK_SHARED_DATA
#    define LK_SHARED_DATA "../shared/data"
#endif

/* ---- what the sink emitted ----------------------------------------------- */

/* A used record, rebuilt from its actions (actions of one record arrive
 * together and share line and content). */
typedef struct trec {
    size_t acct, acct_n, content, content_n; /* offsets into strs */
    uint64_t line;
    unsigned traces; /* bit per lk_trace */
} trec;

typedef struct tctx {
    lk_buf strs;
    trec *r;
    size_t n, cap;
    uint64_t per_trace[LK_TR_N];
    lk_buf dump; /* "trace account content object t line" per action, text objects as "#" */
} tctx;

static lk_status emit(void *ctx, const lk_sink_action *a)
{
    tctx *c = ctx;
    trec *last = c->n ? &c->r[c->n - 1] : NULL;

    if (!last || last->line != a->line || last->content_n != a->content_len ||
        memcmp(c->strs.p + last->content, a->content, a->content_len) != 0) {
        assert_int_equal(LK_GROW(c->r, c->n + 1, c->cap), LK_OK);
        last = &c->r[c->n++];
        memset(last, 0, sizeof *last);
        last->line = a->line;
        last->acct = c->strs.len;
        last->acct_n = a->account_len;
        assert_int_equal(lk_buf_append(&c->strs, a->account, a->account_len), LK_OK);
        last->content = c->strs.len;
        last->content_n = a->content_len;
        assert_int_equal(lk_buf_append(&c->strs, a->content, a->content_len), LK_OK);
    }
    last->traces |= 1u << a->trace;
    c->per_trace[a->trace]++;
    assert_int_equal(lk_buf_printf(&c->dump, "%s %s %s %s %lld %llu\n", lk_trace_name(a->trace),
                                   a->account, a->content, a->trace == LK_TR_TEXT ? "#" : a->object,
                                   (long long)a->t, (unsigned long long)a->line),
                     LK_OK);
    return LK_OK;
}

static void tctx_init(tctx *c)
{
    memset(c, 0, sizeof *c);
    lk_buf_init(&c->strs);
    lk_buf_init(&c->dump);
}

static void tctx_release(tctx *c)
{
    lk_buf_release(&c->strs);
    lk_buf_release(&c->dump);
    free(c->r);
}

typedef struct span {
    const char *p;
    size_t n;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    const int c = memcmp(x->p, y->p, LK_MIN(x->n, y->n));
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Distinct accounts among the used records. */
static size_t distinct_accounts(const tctx *c)
{
    span *s = calloc(c->n + 1, sizeof *s);
    size_t d = 0;

    assert_non_null(s);
    for (size_t i = 0; i < c->n; i++) {
        s[i].p = c->strs.p + c->r[i].acct;
        s[i].n = c->r[i].acct_n;
    }
    lk_qsort(s, c->n, sizeof *s, span_cmp);
    for (size_t i = 0; i < c->n; i++)
        d += i == 0 || span_cmp(&s[i - 1], &s[i]) != 0;
    free(s);
    return d;
}

/* ---- the driver ------------------------------------------------------------ */

typedef struct run {
    tctx c;
    lk_sink *k;
    lk_jsonfmt *jf;
    lk_input_stats st;
    char eb[LK_ERRMSG_MAX];
} run;

static void run_open(run *r, int skip_bad, lk_format forced)
{
    lk_sink_opts o;

    memset(r, 0, sizeof *r);
    tctx_init(&r->c);
    memset(&o, 0, sizeof o);
    o.traces = LK_TRACES_DEFAULT;
    o.skip_bad_rows = skip_bad;
    assert_int_equal(lk_sink_new(&o, emit, &r->c, NULL, &r->k), LK_OK);
    assert_int_equal(lk_jsonfmt_new(forced, &r->jf), LK_OK);
}

static void run_close(run *r)
{
    lk_jsonfmt_free(r->jf);
    lk_sink_free(r->k);
    tctx_release(&r->c);
}

static int blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return 0;
    return 1;
}

/* JSON lines of `path` into the sink; the first error status is returned. */
static lk_status feed_lines(run *r, const char *path)
{
    lk_stream *s = NULL;
    lk_lines *l = NULL;
    lk_json *j = NULL;
    const char *p;
    size_t n;
    uint64_t line;
    lk_status st;

    assert_int_equal(lk_stream_open(path, &s, r->eb), LK_OK);
    assert_int_equal(lk_lines_open(s, (size_t)64 << 20, &l), LK_OK);
    assert_int_equal(lk_json_new(&j), LK_OK);
    assert_int_equal(lk_sink_file(r->k, path, 0, &r->st, r->eb), LK_OK);
    while ((st = lk_lines_next(l, &p, &n, &line)) == LK_OK) {
        if (blank(p, n))
            continue;
        if (lk_json_parse(j, p, n) != LK_OK)
            st = lk_sink_bad_line(r->k, line, LK_SKIP_MALFORMED_JSON, "%s", lk_json_errmsg(j));
        else
            st = lk_jsonfmt_line(r->jf, j, line, r->k);
        if (st != LK_OK)
            break;
    }
    if (st == LK_EOF)
        st = lk_sink_flush(r->k);
    lk_json_free(j);
    lk_lines_free(l);
    lk_stream_close(s);
    return st;
}

/* A whole JSON document into the sink. */
static lk_status feed_document(run *r, const char *path)
{
    lk_stream *s = NULL;
    lk_lines *l = NULL;
    lk_json *j = NULL;
    lk_buf doc;
    lk_status st;

    lk_buf_init(&doc);
    assert_int_equal(lk_stream_open(path, &s, r->eb), LK_OK);
    assert_int_equal(lk_lines_open(s, (size_t)64 << 20, &l), LK_OK);
    assert_int_equal(lk_lines_rest(l, &doc, (size_t)1 << 30), LK_OK);
    assert_int_equal(lk_json_new(&j), LK_OK);
    assert_int_equal(lk_json_parse(j, doc.p, doc.len), LK_OK);
    assert_int_equal(lk_sink_file(r->k, path, 0, &r->st, r->eb), LK_OK);
    st = lk_jsonfmt_document(r->jf, j, doc.p, doc.len, r->k);
    if (st == LK_OK)
        st = lk_sink_flush(r->k);
    lk_json_free(j);
    lk_lines_free(l);
    lk_stream_close(s);
    lk_buf_release(&doc);
    return st;
}

static uint64_t skipped_total(const lk_input_stats *st)
{
    uint64_t t = 0;
    for (int i = 0; i < LK_SKIP_N; i++)
        t += st->skipped[i];
    return t;
}

/* rows_read == rows_used + sum(skipped), always. */
static void check_accounting(const run *r)
{
    assert_int_equal(r->st.rows_read, r->st.rows_used + skipped_total(&r->st));
    assert_int_equal(r->st.rows_used, r->c.n);
}

/* The dump without the text actions (those are hashes: counted apart). */
static void strip_text(const lk_buf *dump, lk_buf *out)
{
    const char *p = dump->p;

    lk_buf_reset(out);
    while (*p) {
        const char *e = strchr(p, '\n');
        const size_t n = (size_t)(e - p) + 1;
        if (strncmp(p, "text ", 5) != 0)
            assert_int_equal(lk_buf_append(out, p, n), LK_OK);
        p += n;
    }
}

static void check_dump(const run *r, const char *want)
{
    lk_buf got;

    lk_buf_init(&got);
    strip_text(&r->c.dump, &got);
    assert_string_equal(got.p, want);
    lk_buf_release(&got);
}

#define FIX(name) LK_TEST_DATA "/formats/" name

/* ---- Telegram ---------------------------------------------------------------- */

static void test_telegram_channel(void **state)
{
    run r;

    (void)state;
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_document(&r, FIX("telegram_result.json")), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 8);
    assert_int_equal(r.st.rows_used, 7);
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 1); /* the pin (service) */
    assert_int_equal(r.st.format_rows[LK_FMT_TELEGRAM], 8);
    /* Line = where the message object opens.  Message 3's text array and
     * text_entities list the same entities once each; the forwarded message
     * without forwarded_from_id shares the name; message 6 has only a local
     * "date" (read as UTC: 14:00 = 1660658400); message 7 has no from_id
     * (the channel acts). */
    check_dump(&r, "url channel1001234567 3 example.com/a 1660657062000 33\n"
                   "url channel1001234567 3 example.org/b 1660657062000 33\n"
                   "hashtag channel1001234567 3 news 1660657062000 33\n"
                   "mention channel1001234567 3 someone 1660657062000 33\n"
                   "mention channel1001234567 3 424242 1660657062000 33\n"
                   "share channel1001234567 4 name:Other Channel 1660657122000 114\n"
                   "reply user777 5 1001234567:3 1660657182000 130\n"
                   "share channel1001234567 8 channel555 1660659600000 168\n");
    /* texts: 1, 3, 4, 5, 6, 7 (8 has none) */
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 6);
    assert_non_null(strstr(r.c.dump.p, "text channel1001234567 1 # 1660657002000 6\n"));
    assert_non_null(strstr(r.c.dump.p, "text channel1001234567 6 # 1660658400000 146\n"));
    assert_non_null(strstr(r.c.dump.p, "text channel1001234567 7 # 1660659000000 160\n"));
    run_close(&r);
}

static void test_telegram_full_export(void **state)
{
    run r;

    (void)state;
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_document(&r, FIX("telegram_full.json")), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 5);
    assert_int_equal(r.st.rows_used, 4);
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 1);
    /* Message 10 exists in chats 111 and 222: keys are chat:message, so it
     * is no duplicate.  The left channel's message has no text_entities:
     * the entity pieces of its text array stand in. */
    assert_int_equal(r.st.skipped[LK_SKIP_DUPLICATE], 0);
    check_dump(&r, "url user111 10 example.com/x 1672653600000 11\n"
                   "reply user999 11 111:10 1672653660000 30\n"
                   "share user111 10 name:News Channel 1672657200000 53\n"
                   "url user111 10 example.com/x 1672657200000 53\n"
                   "hashtag channel333 1 archive 1622534400000 97\n");
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 4);
    run_close(&r);
}

/* The same export on one line is a complete JSON value: the reader hands
 * it over as a line, and every message is at line 1. */
static void test_telegram_one_line(void **state)
{
    static const char doc[] =
        "{\"name\":\"C\",\"type\":\"public_channel\",\"id\":5,\"messages\":["
        "{\"id\":1,\"type\":\"message\",\"date\":\"2022-01-01T00:00:00\",\"date_unixtime\":"
        "\"1640995200\",\"from_id\":\"channel5\",\"text\":\"hi\",\"text_entities\":[]},"
        "{\"id\":2,\"type\":\"service\",\"date\":\"2022-01-01T00:00:01\"}]}";
    run r;
    lk_json *j = NULL;

    (void)state;
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(lk_sink_file(r.k, "one.json", 0, &r.st, r.eb), LK_OK);
    assert_int_equal(lk_json_new(&j), LK_OK);
    assert_int_equal(lk_json_parse(j, doc, sizeof doc - 1), LK_OK);
    assert_int_equal(lk_jsonfmt_line(r.jf, j, 1, r.k), LK_OK);
    assert_int_equal(lk_sink_flush(r.k), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 2);
    assert_string_equal(r.c.dump.p, "text channel5 1 # 1640995200000 1\n");
    lk_json_free(j);
    run_close(&r);
}

/* ---- Bluesky ------------------------------------------------------------------ */

static void test_bluesky(void **state)
{
    run r;

    (void)state;
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, FIX("bluesky_jetstream.jsonl")), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 13);
    assert_int_equal(r.st.format_rows[LK_FMT_BLUESKY], 13);
    /* like, delete, identity, account, update */
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 5);
    /* line 12 replays line 1 (Jetstream after a reconnect) */
    assert_int_equal(r.st.skipped[LK_SKIP_DUPLICATE], 1);
    assert_int_equal(r.st.rows_used, 7);
    check_dump(&r, "url did:plc:alice at://did:plc:alice/app.bsky.feed.post/3k1 example.com/story "
                   "1725000000000 1\n"
                   "hashtag did:plc:alice at://did:plc:alice/app.bsky.feed.post/3k1 vote "
                   "1725000000000 1\n"
                   "mention did:plc:alice at://did:plc:alice/app.bsky.feed.post/3k1 did:plc:bob "
                   "1725000000000 1\n"
                   "reply did:plc:bob at://did:plc:bob/app.bsky.feed.post/3k2 "
                   "at://did:plc:alice/app.bsky.feed.post/3k1 1725000005000 2\n"
                   "quote did:plc:carol at://did:plc:carol/app.bsky.feed.post/3k3 "
                   "at://did:plc:alice/app.bsky.feed.post/3k1 1725000010000 3\n"
                   "url did:plc:dave at://did:plc:dave/app.bsky.feed.post/3k4 news.example.org/a "
                   "1725000020000 4\n"
                   "quote did:plc:dave at://did:plc:dave/app.bsky.feed.post/3k5 "
                   "at://did:plc:alice/app.bsky.feed.post/3k1 1725000030000 5\n"
                   "share did:plc:erin at://did:plc:erin/app.bsky.feed.repost/3k6 "
                   "at://did:plc:alice/app.bsky.feed.post/3k1 1725000040000 6\n"
                   "hashtag did:plc:frank at://did:plc:frank/app.bsky.feed.post/3k9 vote "
                   "1725000070000 11\n");
    /* texts of lines 1, 2, 3, 4, 11; line 5's is empty, a repost has none */
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 5);
    run_close(&r);
}

/* ---- Mastodon ----------------------------------------------------------------- */

static void test_mastodon(void **state)
{
    run r;

    (void)state;
    run_open(&r, 1, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, FIX("mastodon_statuses.jsonl")), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 7);
    assert_int_equal(r.st.rows_used, 5);
    assert_int_equal(r.st.skipped[LK_SKIP_DUPLICATE], 1);     /* line 5 = line 1 */
    assert_int_equal(r.st.skipped[LK_SKIP_BAD_TIMESTAMP], 1); /* "yesterday" */
    /* Local accounts get the host of their profile URL.  Bob's reply is
     * served by mastodon.social (a local mention says so), so its
     * in_reply_to_id is a mastodon.social id.  The card URL equals the
     * link in the text and is given once; a boost only shares. */
    check_dump(&r, "hashtag alice@mastodon.social 1001 fediverse 1714557600000 1\n"
                   "url alice@mastodon.social 1001 example.com/article 1714557600000 1\n"
                   "reply bob@fosstodon.org 1002 mastodon.social:1001 1714557630000 2\n"
                   "mention bob@fosstodon.org 1002 alice@mastodon.social 1714557630000 2\n"
                   "share carol@mastodon.social 1003 "
                   "https://mastodon.social/users/alice/statuses/1001 1714557660000 3\n"
                   "hashtag dave@example.social 1004 fediverse 1714557720000 4\n"
                   "mention dave@example.social 1004 bob@fosstodon.org 1714557720000 4\n"
                   "url dave@example.social 1004 news.example.org/x 1714557720000 4\n"
                   "reply eve@mastodon.social 1006 mastodon.social:1002 1714557780000 7\n");
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 4);
    run_close(&r);
}

static void test_mastodon_fail(void **state)
{
    run r;

    (void)state;
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, FIX("mastodon_statuses.jsonl")), LK_EPARSE);
    /* duplicates are never errors: the run stops at the bad time */
    assert_non_null(strstr(r.eb, "mastodon_statuses.jsonl:6: 'created_at': "));
    assert_non_null(strstr(r.eb, "'yesterday'"));
    run_close(&r);
}

/* Streaming API envelopes: the statuses are in "payload" strings.  Line 2
 * is a WebSocket message (with "stream"); the delete and the notification
 * (whose payload holds a status too) carry no post. */
static void test_mastodon_streaming(void **state)
{
    run r;

    (void)state;
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, FIX("mastodon_streaming.jsonl")), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 4);
    assert_int_equal(r.st.rows_used, 2);
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 2);
    assert_int_equal(r.st.format_rows[LK_FMT_MASTODON], 4);
    assert_int_equal(r.st.format_rows[LK_FMT_TWITTER_V1], 0);
    check_dump(&r, "hashtag alice@mastodon.social 2001 fediverse 1717243200000 1\n"
                   "url alice@mastodon.social 2001 example.com/live 1717243200000 1\n"
                   "reply bob@fosstodon.org 2002 mastodon.social:2001 1717243230000 2\n"
                   "mention bob@fosstodon.org 2002 alice@mastodon.social 1717243230000 2\n");
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 2);
    assert_non_null(strstr(r.c.dump.p, "text alice@mastodon.social 2001 # 1717243200000 1\n"));
    assert_non_null(strstr(r.c.dump.p, "text bob@fosstodon.org 2002 # 1717243230000 2\n"));
    run_close(&r);

    /* --format mastodon takes the envelopes as its own */
    run_open(&r, 0, LK_FMT_MASTODON);
    assert_int_equal(feed_lines(&r, FIX("mastodon_streaming.jsonl")), LK_OK);
    assert_int_equal(r.st.rows_used, 2);
    run_close(&r);
}

/* ---- small inline cases ---------------------------------------------------------- */

/* Feed literal lines (no file). */
static lk_status feed_text(run *r, const char *const *lines, size_t n)
{
    lk_json *j = NULL;
    lk_status st = LK_OK;

    assert_int_equal(lk_json_new(&j), LK_OK);
    assert_int_equal(lk_sink_file(r->k, "t.jsonl", 0, &r->st, r->eb), LK_OK);
    for (size_t i = 0; i < n && st == LK_OK; i++) {
        if (lk_json_parse(j, lines[i], strlen(lines[i])) != LK_OK)
            st = lk_sink_bad_line(r->k, i + 1, LK_SKIP_MALFORMED_JSON, "%s", lk_json_errmsg(j));
        else
            st = lk_jsonfmt_line(r->jf, j, i + 1, r->k);
    }
    if (st == LK_OK)
        st = lk_sink_flush(r->k);
    lk_json_free(j);
    return st;
}

static void test_v1_inline(void **state)
{
    static const char *const lines[] = {
        /* 1: compat-mode long tweet: text/entities from extended_tweet, time from timestamp_ms */
        "{\"created_at\":\"Wed May 24 20:32:51 +0000 2017\",\"id_str\":\"10\",\"timestamp_ms\":"
        "\"1495657971123\",\"text\":\"short\",\"truncated\":true,\"user\":{\"id_str\":\"7\"},"
        "\"entities\":{\"hashtags\":[]},\"extended_tweet\":{\"full_text\":\"long #A\","
        "\"entities\":{\"hashtags\":[{\"text\":\"A\"}],\"urls\":[{\"url\":\"https://t.co/x\","
        "\"expanded_url\":\"https://ex.com/p\"}],\"user_mentions\":[{\"id_str\":\"99\"}]}}}",
        /* 2: retweet of a quote: share only + the original's entities */
        "{\"created_at\":\"Wed May 24 20:33:00 +0000 2017\",\"id_str\":\"11\",\"full_text\":"
        "\"RT @a: x\",\"is_quote_status\":true,\"quoted_status_id_str\":\"5\",\"user\":{\"id_str\":"
        "\"8\"},\"entities\":{\"user_mentions\":[{\"id_str\":\"7\"}]},\"retweeted_status\":{"
        "\"id_str\":\"10\",\"entities\":{\"hashtags\":[{\"text\":\"B\"}]}}}",
        /* 3: quote + reply */
        "{\"created_at\":\"Wed May 24 20:34:00 +0000 2017\",\"id_str\":\"12\",\"full_text\":\"q\","
        "\"is_quote_status\":true,\"quoted_status_id_str\":\"5\",\"in_reply_to_status_id_str\":"
        "\"4\",\"user\":{\"id_str\":\"9\"}}",
        "{\"delete\":{\"status\":{\"id_str\":\"1\"}}}", /* 4 */
        "{\"limit\":{\"track\":12}}",                   /* 5 */
        /* 6: no user id */
        "{\"created_at\":\"Wed May 24 20:34:00 +0000 2017\",\"id_str\":\"13\",\"text\":\"q\","
        "\"user\":{\"screen_name\":\"x\"}}",
        /* 7: bad created_at */
        "{\"created_at\":\"24/05/2017\",\"id_str\":\"14\",\"text\":\"q\",\"user\":{\"id_str\":"
        "\"9\"}}",
        "{\"hello\":1,\"world\":2}", /* 8 */
        "{\"broken\":",              /* 9 */
        "[1,2]",                     /* 10 */
    };
    run r;

    (void)state;
    run_open(&r, 1, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines, sizeof lines / sizeof lines[0]), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 10);
    assert_int_equal(r.st.rows_used, 3);
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 2);
    assert_int_equal(r.st.skipped[LK_SKIP_BAD_FIELD], 3); /* 6, 8, 10 */
    assert_int_equal(r.st.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    assert_int_equal(r.st.skipped[LK_SKIP_MALFORMED_JSON], 1);
    assert_int_equal(r.st.format_rows[LK_FMT_TWITTER_V1], 7);
    check_dump(&r, "hashtag 7 10 a 1495657971123 1\n"
                   "url 7 10 ex.com/p 1495657971123 1\n"
                   "mention 7 10 99 1495657971123 1\n"
                   "share 8 11 10 1495657980000 2\n"
                   "hashtag 8 11 b 1495657980000 2\n"
                   "quote 9 12 5 1495658040000 3\n"
                   "reply 9 12 4 1495658040000 3\n");
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 2); /* 1 and 3; never the retweet */
    run_close(&r);

    /* under --on-error fail the messages name the field and the line */
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines + 5, 1), LK_EPARSE);
    assert_string_equal(r.eb, "t.jsonl:1: 'user.id_str': missing");
    run_close(&r);
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines + 6, 1), LK_EPARSE);
    assert_non_null(strstr(r.eb, "t.jsonl:1: 'created_at': "));
    assert_non_null(strstr(r.eb, "'24/05/2017'"));
    run_close(&r);
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines + 7, 1), LK_EPARSE);
    assert_string_equal(r.eb, "t.jsonl:1: not a post of any known format (keys: hello, world)");
    run_close(&r);
    /* --format pushshift refuses a tweet */
    run_open(&r, 0, LK_FMT_PUSHSHIFT);
    assert_int_equal(feed_text(&r, lines + 2, 1), LK_EPARSE);
    assert_non_null(strstr(r.eb, "t.jsonl:1: not a pushshift record (--format)"));
    run_close(&r);
}

static void test_v2_inline(void **state)
{
    static const char *const lines[] = {
        /* 1: a page: a retweet whose original is in includes, an original, a user-less tweet */
        "{\"data\":[{\"id\":\"20\",\"author_id\":\"1\",\"created_at\":\"2021-05-01T09:27:19.000Z\","
        "\"text\":\"RT @b: trunc\",\"entities\":{\"mentions\":[{\"username\":\"b\",\"id\":\"2\"}]},"
        "\"referenced_tweets\":[{\"type\":\"retweeted\",\"id\":\"21\"}]},"
        "{\"id\":\"22\",\"author_id\":\"3\",\"created_at\":\"2021-05-01T09:28:00Z\",\"text\":"
        "\"hi #X\",\"entities\":{\"hashtags\":[{\"tag\":\"X\"}],\"urls\":[{\"url\":\"https://t.co/1\","
        "\"expanded_url\":\"https://ex.com/e\",\"unwound_url\":\"https://ex.com/u\"}]},"
        "\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"9\"},{\"type\":\"quoted\",\"id\":"
        "\"8\"}]}],\"includes\":{\"tweets\":[{\"id\":\"19\",\"text\":\"no\"},{\"id\":\"21\","
        "\"author_id\":\"2\",\"text\":\"orig #Y\",\"entities\":{\"hashtags\":[{\"tag\":\"Y\"}]}}]}}",
        /* 2: flattened retweet: the merged reference carries the entities */
        "{\"id\":\"23\",\"author_id\":\"4\",\"created_at\":\"2021-05-01T09:29:00.000Z\",\"text\":"
        "\"RT\",\"referenced_tweets\":[{\"type\":\"retweeted\",\"id\":\"21\",\"text\":\"orig\","
        "\"entities\":{\"mentions\":[{\"username\":\"zed\"}]}}]}",
        /* 3: the same tweet as a streaming line: duplicate */
        "{\"data\":{\"id\":\"22\",\"author_id\":\"3\",\"created_at\":\"2021-05-01T09:28:00Z\","
        "\"text\":\"hi\"},\"matching_rules\":[{\"id\":\"1\",\"tag\":\"\"}]}",
        "{\"errors\":[{\"title\":\"Not Found Error\"}]}",                /* 4 */
        "{\"data\":[{\"id\":\"5\",\"username\":\"u\",\"name\":\"U\"}]}", /* 5: users */
        "{\"id\":\"6\",\"action\":\"delete\",\"created_at\":\"2019-09-06T17:25:54.667Z\","
        "\"reason\":\"protected\"}", /* 6: compliance */
        /* 7: a tweet without author_id */
        "{\"data\":[{\"id\":\"24\",\"text\":\"t\",\"created_at\":\"2021-05-01T09:29:00.000Z\"}]}",
    };
    run r;

    (void)state;
    run_open(&r, 1, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines, sizeof lines / sizeof lines[0]), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 8);
    assert_int_equal(r.st.rows_used, 3);
    assert_int_equal(r.st.skipped[LK_SKIP_DUPLICATE], 1);
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 3);
    assert_int_equal(r.st.skipped[LK_SKIP_BAD_FIELD], 1);
    assert_int_equal(r.st.format_rows[LK_FMT_TWITTER_V2], 8);
    check_dump(&r, "share 1 20 21 1619861239000 1\n"
                   "hashtag 1 20 y 1619861239000 1\n"
                   "reply 3 22 9 1619861280000 1\n"
                   "quote 3 22 8 1619861280000 1\n"
                   "hashtag 3 22 x 1619861280000 1\n"
                   "url 3 22 ex.com/u 1619861280000 1\n"
                   "share 4 23 21 1619861340000 2\n"
                   "mention 4 23 zed 1619861340000 2\n");
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 1);
    run_close(&r);
}

static void test_pushshift_inline(void **state)
{
    static const char *const lines[] = {
        "{\"author\":\"a\",\"created_utc\":1134000000,\"id\":\"c1\",\"link_id\":\"t3_s1\","
        "\"parent_id\":\"t3_s1\",\"body\":\"see http://ex.com/z.\"}",
        "{\"author\":\"[deleted]\",\"created_utc\":\"1134000001\",\"id\":\"c2\",\"parent_id\":"
        "\"t1_c1\",\"body\":\"[deleted]\"}",
        "{\"author\":\"AutoModerator\",\"created_utc\":1134000002,\"id\":\"c3\",\"parent_id\":"
        "\"t3_s1\",\"body\":\"rules\"}",
        "{\"author\":\"b\",\"created_utc\":\"1134000003\",\"id\":\"c4\",\"parent_id\":\"t1_c1\","
        "\"body\":\"[removed]\"}",
        "{\"author\":\"c\",\"created_utc\":1134000004.0,\"id\":\"s2\",\"title\":\"T\",\"selftext\":"
        "\"\",\"is_self\":false,\"url\":\"https://news.ex.org/1\",\"crosspost_parent\":\"t3_s0\"}",
        "{\"author\":\"d\",\"created_utc\":1134000005,\"id\":\"s3\",\"title\":\"Q\",\"selftext\":"
        "\"body https://ex.com/w\",\"is_self\":true,\"url\":"
        "\"https://www.reddit.com/r/x/comments/s3/q/\"}",
        "{\"author\":\"e\",\"created_utc\":\"soon\",\"id\":\"c5\",\"parent_id\":\"t3_s1\",\"body\":"
        "\"x\"}",
    };
    run r;

    (void)state;
    run_open(&r, 0, LK_FMT_AUTO);
    /* deleted and bot accounts never stop a run, even under --on-error fail */
    assert_int_equal(feed_text(&r, lines, 6), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 6);
    assert_int_equal(r.st.rows_used, 4);
    assert_int_equal(r.st.skipped[LK_SKIP_DELETED_ACCOUNT], 1);
    assert_int_equal(r.st.skipped[LK_SKIP_BOT_ACCOUNT], 1);
    check_dump(&r, "reply a c1 t3_s1 1134000000000 1\n"
                   "url a c1 ex.com/z 1134000000000 1\n"
                   "reply b c4 t1_c1 1134000003000 4\n"
                   "share c s2 t3_s0 1134000004000 5\n"
                   "url c s2 news.ex.org/1 1134000004000 5\n"
                   "url d s3 ex.com/w 1134000005000 6\n");
    /* c1, s2 (title), s3; c4's body was removed */
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 3);
    run_close(&r);

    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines + 6, 1), LK_EPARSE);
    assert_string_equal(r.eb, "t.jsonl:1: 'created_utc': not a timestamp: 'soon'");
    run_close(&r);
}

/* Envelopes that are not plain updates, and v1.1's "event" control lines
 * (never with a payload), which stay Twitter control lines. */
static void test_mastodon_stream_inline(void **state)
{
    static const char *const lines[] = {
        /* 1: an edit of a status: read like an update */
        "{\"event\":\"status.update\",\"payload\":\"{\\\"id\\\":\\\"7\\\",\\\"created_at\\\":"
        "\\\"2024-06-01T12:00:00Z\\\",\\\"uri\\\":\\\"https://m.example/users/a/statuses/7\\\","
        "\\\"content\\\":\\\"<p>edited</p>\\\",\\\"account\\\":{\\\"acct\\\":\\\"a\\\","
        "\\\"url\\\":\\\"https://m.example/@a\\\"},\\\"tags\\\":[{\\\"name\\\":\\\"T\\\"}]}\"}",
        /* 2: the payload is not JSON */
        "{\"event\":\"update\",\"payload\":\"{\\\"id\\\":\"}",
        /* 3: the payload is not a string */
        "{\"event\":\"update\",\"payload\":{\"id\":\"8\"}}",
        /* 4: the payload is JSON but not a status object */
        "{\"event\":\"update\",\"payload\":\"[1,2]\"}",
        /* 5: no payload at all (WebSocket) */
        "{\"stream\":[\"user\"],\"event\":\"filters_changed\"}",
        /* 6: a v1.1 user-stream event */
        "{\"event\":\"favorite\",\"created_at\":\"Wed May 24 20:34:00 +0000 2017\",\"source\":"
        "{\"id_str\":\"1\"},\"target\":{\"id_str\":\"2\"},\"target_object\":{\"id_str\":\"3\"}}",
    };
    run r;

    (void)state;
    run_open(&r, 1, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines, sizeof lines / sizeof lines[0]), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 6);
    assert_int_equal(r.st.rows_used, 1);
    assert_int_equal(r.st.skipped[LK_SKIP_MALFORMED_JSON], 1);
    assert_int_equal(r.st.skipped[LK_SKIP_BAD_FIELD], 2);
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 2);
    assert_int_equal(r.st.format_rows[LK_FMT_MASTODON], 5);
    assert_int_equal(r.st.format_rows[LK_FMT_TWITTER_V1], 1);
    check_dump(&r, "hashtag a@m.example 7 t 1717243200000 1\n");
    assert_int_equal(r.c.per_trace[LK_TR_TEXT], 1);
    run_close(&r);

    /* under --on-error fail the messages say what was wrong */
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines + 1, 1), LK_EPARSE);
    assert_non_null(strstr(r.eb, "t.jsonl:1: payload: invalid JSON: "));
    run_close(&r);
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines + 2, 1), LK_EPARSE);
    assert_string_equal(r.eb, "t.jsonl:1: 'payload': expected a string, not an object");
    run_close(&r);
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_text(&r, lines + 3, 1), LK_EPARSE);
    assert_string_equal(r.eb, "t.jsonl:1: 'payload': expected a status object, not an array");
    run_close(&r);
}

/* ---- the real samples ------------------------------------------------------------ */

static const char *shared(char *buf, size_t n, const char *rel)
{
    const char *root = getenv("LK_SHARED_DATA");

    (void)snprintf(buf, n, "%s/%s", root && *root ? root : LK_SHARED_DATA, rel);
    return buf;
}

static void test_real_twitter_v1(void **state)
{
    char path[1024];
    run r;

    (void)state;
    if (access(shared(path, sizeof path, "twitter-v1/tweets_v11.jsonl.zst"), R_OK) != 0)
        skip();
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, path), LK_OK);
    check_accounting(&r);
    /* data/README says 1,789 tweets from 989 authors, counting lines.  8 of
     * the lines are Twitter *list* objects (id_str, user, slug,
     * member_count; no text): not posts.  That leaves 1,781 tweets from 988
     * accounts (the 989th only owns a list).  6 of them (lines 767, 934,
     * 944, 967, 968, 1035) are media-only: their text is a bare t.co link
     * to the photo or video, with no hashtag, URL entity, mention, quote or
     * reply, so nothing can co-act on them (empty_object).  All checked
     * with Python's json module. */
    assert_int_equal(r.st.rows_read, 1789);
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 8);
    assert_int_equal(r.st.skipped[LK_SKIP_EMPTY_OBJECT], 6);
    assert_int_equal(r.st.rows_used, 1775);
    assert_int_equal(distinct_accounts(&r.c), 988);
    /* 406 native retweets (361 + 45 of quotes), 113 quotes (by Python) */
    assert_int_equal(r.c.per_trace[LK_TR_SHARE], 406);
    assert_int_equal(r.c.per_trace[LK_TR_QUOTE], 113);
    run_close(&r);
}

static void test_real_twitter_v2(void **state)
{
    static const char *const files[] = {
        "2sets.jsonl",
        "brexit.jsonl",
        "cashtags.jsonl",
        "cotweet.jsonl",
        "counts.jsonl",
        "edited.jsonl",
        "edited_after.jsonl",
        "edited_before.jsonl",
        "entities_test.jsonl",
        "flat.jsonl",
        "geo_tweets.jsonl",
        "kpop.jsonl",
        "lists.jsonl",
        "many_urls.jsonl",
        "media_policy_violation_off.jsonl",
        "media_policy_violation_on.jsonl",
        "media_tweet.jsonl",
        "mentions_tweet.jsonl",
        "noflat.jsonl",
        "quoted_edit.jsonl",
        "streaming_output_with_error.jsonl",
        "tweets_compliance.jsonl",
        "two_tweets.jsonl",
        "users.jsonl",
        "users_compliance.jsonl",
        "verified_type.jsonl",
        "withheld.jsonl",
    };
    char path[1024];
    size_t kind[4] = {0, 0, 0, 0}; /* retweet, quote, reply, original */
    run r;

    (void)state;
    if (access(shared(path, sizeof path, "twitter-v2/flat.jsonl"), R_OK) != 0)
        skip();
    /* one sink for all files: a tweet in several files counts once */
    run_open(&r, 1, LK_FMT_AUTO);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[128];
        (void)snprintf(rel, sizeof rel, "twitter-v2/%s", files[i]);
        assert_int_equal(feed_lines(&r, shared(path, sizeof path, rel)), LK_OK);
    }
    check_accounting(&r);
    for (size_t i = 0; i < r.c.n; i++) {
        const unsigned t = r.c.r[i].traces;
        kind[(t & (1u << LK_TR_SHARE))   ? 0
             : (t & (1u << LK_TR_QUOTE)) ? 1
             : (t & (1u << LK_TR_REPLY)) ? 2
                                         : 3]++;
    }
    /* 1,509 tweets in data arrays, single-tweet lines and flattened lines;
     * 400 of them repeat a tweet of another file */
    assert_int_equal(r.st.rows_used, 1109);
    assert_int_equal(r.st.skipped[LK_SKIP_DUPLICATE], 400);
    assert_int_equal(kind[0], 633);
    assert_int_equal(kind[1], 55);
    assert_int_equal(kind[2], 196);
    assert_int_equal(kind[3], 225);
    assert_int_equal(distinct_accounts(&r.c), 831);
    /* users, counts, lists, errors-only and compliance lines */
    assert_int_equal(r.st.skipped[LK_SKIP_NOT_A_POST], 275);
    assert_int_equal(r.st.skipped[LK_SKIP_MALFORMED_JSON], 1);
    run_close(&r);
}

static void test_real_v2_broken_line(void **state)
{
    char path[1024];
    run r;

    (void)state;
    if (access(shared(path, sizeof path, "twitter-v2/streaming_output_with_error.jsonl"), R_OK) !=
        0)
        skip();
    run_open(&r, 1, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, path), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, 8);
    assert_int_equal(r.st.rows_used, 7);
    assert_int_equal(r.st.skipped[LK_SKIP_MALFORMED_JSON], 1);
    run_close(&r);

    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, path), LK_EPARSE);
    assert_non_null(strstr(r.eb, "streaming_output_with_error.jsonl:8: "));
    assert_int_equal(r.st.rows_read, 8);
    run_close(&r);
}

/* Records read, used and skipped for a deleted author, checked with
 * Python's json module (no AutoModerator in these months). */
static void pushshift(const char *rel, uint64_t rows, uint64_t used, uint64_t deleted)
{
    char path[1024];
    run r;

    if (access(shared(path, sizeof path, rel), R_OK) != 0)
        skip();
    /* --on-error fail: a deleted or bot author must not stop the run */
    run_open(&r, 0, LK_FMT_AUTO);
    assert_int_equal(feed_lines(&r, path), LK_OK);
    check_accounting(&r);
    assert_int_equal(r.st.rows_read, rows);
    assert_int_equal(r.st.format_rows[LK_FMT_PUSHSHIFT], rows);
    assert_int_equal(r.st.rows_used, used);
    assert_int_equal(r.st.skipped[LK_SKIP_DELETED_ACCOUNT], deleted);
    assert_int_equal(r.st.rows_used + r.st.skipped[LK_SKIP_DELETED_ACCOUNT], rows);
    run_close(&r);
}

static void test_real_pushshift(void **state)
{
    (void)state;
    pushshift("pushshift/RC_2005-12.zst", 1075, 890, 185);
    pushshift("pushshift/RC_2006-01.zst", 3666, 2773, 893);
    /* one self post titled with a bare URL to its own permalink is used
     * through the URL in its title */
    pushshift("pushshift/AskMen_submissions.zst", 13050, 6379, 6671);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_telegram_channel),   cmocka_unit_test(test_telegram_full_export),
        cmocka_unit_test(test_telegram_one_line),  cmocka_unit_test(test_bluesky),
        cmocka_unit_test(test_mastodon),           cmocka_unit_test(test_mastodon_fail),
        cmocka_unit_test(test_mastodon_streaming), cmocka_unit_test(test_mastodon_stream_inline),
        cmocka_unit_test(test_v1_inline),          cmocka_unit_test(test_v2_inline),
        cmocka_unit_test(test_pushshift_inline),   cmocka_unit_test(test_real_twitter_v1),
        cmocka_unit_test(test_real_twitter_v2),    cmocka_unit_test(test_real_v2_broken_line),
        cmocka_unit_test(test_real_pushshift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
