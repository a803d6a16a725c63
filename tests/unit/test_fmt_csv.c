/*
 * test_fmt_csv.c - the CSV formats of fmt_csv.c on hand-written fixtures
 * (tests/data/formats/, one CSV per format), plus the list-cell splitter and textscan.
 *
 * Each fixture goes through the real scanner and a callback sink; the
 * expected actions (per-trace counts and exact account/trace/object/time
 * tuples) were worked out by hand from the fixture rows.  The callback sink
 * gives text objects as normalised text (normalize.c's business), so they
 * are mostly counted; only plain texts whose normal form is obvious are
 * compared.  fmt_csv.c is included to reach its static splitter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../src/fmt_csv.c" /* NOLINT(bugprone-suspicious-include): STYLE 23a */

#include "io_stream.h"

#ifndef LK_TEST_DATA
#    define LK_TEST_DATA "tests/data"
#endif

/* ---- running a file through the formats ---------------------------------- */

typedef struct got {
    lk_buf log; /* "account|trace|object|t\n" per action */
    size_t n;
    size_t per[LK_TR_N];
} got;

static lk_status emit_cb(void *ctx, const lk_sink_action *a)
{
    got *g = ctx;

    assert_int_equal(a->account[a->account_len], '\0');
    assert_int_equal(a->object[a->object_len], '\0');
    g->n++;
    g->per[a->trace]++;
    return lk_buf_printf(&g->log, "%s|%s|%s|%lld\n", a->account, lk_trace_name(a->trace), a->object,
                         (long long)a->t);
}

typedef struct run {
    lk_status st; /* LK_OK, or what stopped the run */
    lk_format f;  /* format used */
    lk_input_stats stats;
    char err[LK_ERRMSG_MAX];
    got g;
} run;

/* Scan (data, n) named `name` as format `forced` (LK_FMT_AUTO: sniff) into a
 * callback sink with `traces`; rows with a wrong field count are counted
 * as reader.c does. */
static void run_mem(const char *data, size_t n, const char *name, lk_format forced, uint32_t traces,
                    int skip, run *out)
{
    lk_sink_opts o = {traces, skip, 0};
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_sink *k = NULL;
    lk_csvfmt *cf = NULL;
    lk_csv_row r;
    lk_status st;
    const lk_csv_cols cols = {"object_id", "account_id", "content_id", "timestamp_share"};

    memset(out, 0, sizeof *out);
    lk_buf_init(&out->g.log);
    assert_int_equal(lk_stream_open_mem(data, n, name, &s, out->err), LK_OK);
    assert_int_equal(lk_csv_open(s, ',', &c), LK_OK);
    assert_int_equal(lk_sink_new(&o, emit_cb, &out->g, NULL, &k), LK_OK);
    assert_int_equal(lk_sink_file(k, name, 0, &out->stats, out->err), LK_OK);
    assert_int_equal(lk_csv_next(c, &r), LK_OK);
    out->f = forced == LK_FMT_AUTO ? lk_csvfmt_sniff(&r) : forced;
    st = lk_csvfmt_open(out->f, &r, &cols, name, &cf, out->err);
    while (st == LK_OK && (st = lk_csv_next(c, &r)) != LK_EOF) {
        if (st == LK_EPARSE)
            st = lk_sink_bad_line(k, lk_csv_errline(c), LK_SKIP_MALFORMED_CSV, "%s",
                                  lk_csv_errmsg(c));
        else if (st == LK_OK && r.nfields != cf->nfields)
            st = lk_sink_bad_line(k, r.line, LK_SKIP_FIELD_COUNT,
                                  "expected %zu fields as in the header, found %zu", cf->nfields,
                                  r.nfields);
        else if (st == LK_OK)
            st = lk_csvfmt_row(cf, &r, k);
    }
    out->st = st == LK_EOF ? LK_OK : st;
    lk_csvfmt_free(cf);
    lk_sink_free(k);
    lk_csv_free(c);
    lk_stream_close(s);
}

static void run_file(const char *file, lk_format forced, uint32_t traces, int skip, run *out)
{
    char path[512];
    FILE *f;
    char *data;
    long len;

    (void)snprintf(path, sizeof path, "%s/formats/%s", LK_TEST_DATA, file);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open '%s'", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len > 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    data = malloc((size_t)len);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    assert_int_equal(fclose(f), 0);
    run_mem(data, (size_t)len, file, forced, traces, skip, out);
    free(data);
}

static void run_free(run *r)
{
    lk_buf_release(&r->g.log);
}

/* The action line "account|trace|object|t" was emitted. */
static void expect(const run *r, const char *line)
{
    const char *p = r->g.log.p;
    const size_t n = strlen(line);
    for (;;) {
        const char *e = strchr(p, '\n');
        if (!e)
            break;
        if ((size_t)(e - p) == n && memcmp(p, line, n) == 0)
            return;
        p = e + 1;
    }
    fail_msg("no action '%s' in:\n%s", line, r->g.log.p);
}

static void expect_none(const run *r, const char *part)
{
    if (strstr(r->g.log.p, part))
        fail_msg("unexpected '%s' in:\n%s", part, r->g.log.p);
}

static void expect_counts(const run *r, const size_t want[LK_TR_N])
{
    for (int t = 0; t < LK_TR_N; t++)
        if (r->g.per[t] != want[t])
            fail_msg("trace %s: %zu actions, want %zu\n%s", lk_trace_name((lk_trace)t), r->g.per[t],
                     want[t], r->g.log.p);
}

/* The message starts with `head` and ends with `tail` (the reason between
 * them is the time parser's business). */
static void expect_err(const run *r, const char *head, const char *tail)
{
    const size_t n = strlen(r->err), h = strlen(head), t = strlen(tail);
    if (n < h + t || memcmp(r->err, head, h) != 0 || memcmp(r->err + n - t, tail, t) != 0)
        fail_msg("message '%s', want '%s...%s'", r->err, head, tail);
}

#define ALL_TRACES LK_TRACES_DEFAULT

/* ---- Twitter information-operations archive ------------------------------ */

static void test_twitter_io(void **state)
{
    static const size_t want[LK_TR_N] = {
        [LK_TR_SHARE] = 2,   [LK_TR_QUOTE] = 1,   [LK_TR_REPLY] = 2, [LK_TR_URL] = 5,
        [LK_TR_HASHTAG] = 7, [LK_TR_MENTION] = 4, [LK_TR_TEXT] = 6,
    };
    const char *u3 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    char line[256];
    run r;
    (void)state;

    run_file("twitter_io_tweets.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_TWITTER_IO);
    assert_int_equal(r.stats.rows_read, 10);
    assert_int_equal(r.stats.rows_used, 8);
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    assert_int_equal(r.stats.skipped[LK_SKIP_DUPLICATE], 1);
    expect_counts(&r, want);
    /* the original: '#tech' with its '#', both tags, the goo.gl link */
    expect(&r, "1001|url|goo.gl/32K38q|1564021500000");
    expect(&r, "1001|hashtag|tech|1564021500000");
    expect(&r, "1001|hashtag|gadgets|1564021500000");
    /* two retweets in the same minute: quoted and unquoted list cells */
    expect(&r, "1002|share|1100000000000000001|1564021560000");
    expect(&r, "1002|mention|1001|1564021560000");
    (void)snprintf(line, sizeof line, "%s|share|1100000000000000001|1564021560000", u3);
    expect(&r, line);
    (void)snprintf(line, sizeof line, "%s|hashtag|gadgets|1564021560000", u3);
    expect(&r, line);
    (void)snprintf(line, sizeof line, "%s|url|goo.gl/32K38q|1564021560000", u3);
    expect(&r, line);
    expect(&r, "1004|quote|1100000000000000001|1564021800000");
    /* the reply pair, mentions as [1004] and ['1004'] */
    expect(&r, "1002|reply|1100000000000000004|1564021860000");
    (void)snprintf(line, sizeof line, "%s|reply|1100000000000000004|1564021860000", u3);
    expect(&r, line);
    (void)snprintf(line, sizeof line, "%s|mention|1004|1564021860000", u3);
    expect(&r, line);
    (void)snprintf(line, sizeof line, "%s|url|example.com/a|1564021860000", u3);
    expect(&r, line);
    /* Python 2's [u'Tech'] */
    expect(&r, "1001|hashtag|tech|1564022400000");
    expect(&r, "1001|url|example.com/a|1564022400000");
    /* the copypasta pair: case and spaces differ */
    expect(&r, "1001|text|same words here #tech|1564022400000");
    expect(&r, "1004|text|same words here #tech|1564022400000");
    run_free(&r);

    /* on-error fail: the bad minute stops the run with its line and field */
    run_file("twitter_io_tweets.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_int_equal(r.st, LK_EPARSE);
    assert_string_equal(r.err, "twitter_io_tweets.csv:12: field 14 ('tweet_time'): invalid date: "
                               "'2019-13-45 02:40'");
    run_free(&r);

    /* only shares selected: no list is split, the retweets remain */
    run_file("twitter_io_tweets.csv", LK_FMT_AUTO, 1u << LK_TR_SHARE, 1, &r);
    assert_int_equal(r.g.n, 2);
    assert_int_equal(r.stats.rows_used, 2);
    assert_int_equal(r.stats.skipped[LK_SKIP_EMPTY_OBJECT], 7);
    run_free(&r);
}

/* camelCase headers (2021 releases) and a header without the optional lists */
static void test_twitter_io_camel(void **state)
{
    static const char doc[] = "tweetId,userId,tweetText,tweetTime,isRetweet,retweetTweetId,"
                              "quotedTweetTweetId,inReplyToTweetId,userMentions\n"
                              "11,u1,hello,2020-01-02 03:04,False,,,,[]\n"
                              "12,u2,RT @x: hello,2020-01-02 03:05,True,11.0,,,['7']\n"
                              "13,u3,RT @x: hello,2020-01-02 03:05,True,,,,\n";
    run r;
    (void)state;

    run_mem(doc, sizeof doc - 1, "camel.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_TWITTER_IO);
    expect(&r, "u2|share|11|1577934300000"); /* pandas' 11.0 is the id 11 */
    expect(&r, "u2|mention|7|1577934300000");
    assert_int_equal(r.g.per[LK_TR_TEXT], 1); /* retweets, by id or by flag, give no text */
    assert_int_equal(r.stats.skipped[LK_SKIP_EMPTY_OBJECT], 1);
    run_free(&r);
}

/* ---- twarc-csv --------------------------------------------------------------- */

static void test_twarc(void **state)
{
    static const size_t want[LK_TR_N] = {
        [LK_TR_SHARE] = 2,   [LK_TR_QUOTE] = 1,   [LK_TR_REPLY] = 2, [LK_TR_URL] = 3,
        [LK_TR_HASHTAG] = 3, [LK_TR_MENTION] = 4, [LK_TR_TEXT] = 5,
    };
    run r;
    (void)state;

    run_file("twarc.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_TWARC_CSV);
    assert_int_equal(r.stats.rows_read, 9);
    assert_int_equal(r.stats.rows_used, 7);
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    assert_int_equal(r.stats.skipped[LK_SKIP_EMPTY_ACCOUNT], 1);
    expect_counts(&r, want);
    expect(&r, "2001|hashtag|election2021|1619861239000");
    expect(&r, "2001|url|news.example.org/story|1619861239000");
    expect(&r, "2002|share|1390000000000000001|1619861245000");
    /* entities as objects: tag, expanded_url, the mention's id */
    expect(&r, "2003|share|1390000000000000001|1619861250000");
    expect(&r, "2003|hashtag|election2021|1619861250000");
    expect(&r, "2003|url|news.example.org/story|1619861250000");
    expect(&r, "2003|mention|3001|1619861250000");
    expect(&r, "2004|quote|1390000000000000001|1619861280000");
    expect(&r, "2004|mention|alice|1619861280000");
    expect(&r, "2002|reply|1390000000000000004|1619861340000");
    expect(&r, "2003|reply|1390000000000000004|1619861345000");
    expect(&r, "2003|mention|bob4|1619861345000");
    expect_none(&r, "t.co/abc");
    run_free(&r);

    run_file("twarc.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_int_equal(r.st, LK_EPARSE);
    assert_string_equal(r.err,
                        "twarc.csv:8: field 13 ('created_at'): not a timestamp: 'yesterday'");
    run_free(&r);
}

/* ---- FiveThirtyEight IRA ------------------------------------------------------- */

static void test_ira(void **state)
{
    static const size_t want[LK_TR_N] = {
        [LK_TR_URL] = 4,
        [LK_TR_HASHTAG] = 6,
        [LK_TR_MENTION] = 3,
        [LK_TR_TEXT] = 6,
    };
    run r;
    (void)state;

    run_file("ira_538.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_IRA_538);
    assert_int_equal(r.stats.rows_read, 7);
    assert_int_equal(r.stats.rows_used, 6);
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    expect_counts(&r, want);
    expect(&r, "ten_gop|url|breitbart.com/big-government/2017/10/01/rally|1506887880000");
    expect(&r, "ten_gop|url|twitter.com/4224729994/statuses/914580356430536707|1506887880000");
    expect(&r, "ten_gop|hashtag|maga|1506887880000");
    expect(&r, "ten_gop|mention|realdonaldtrump|1506887880000");
    expect(&r, "pamela_moore13|url|breitbart.com/big-government/2017/10/01/rally|1506888000000");
    expect(&r, "jenn_abrams|mention|realdonaldtrump|1506888000000");
    /* handles of any case are one account; the ISO re-cut's date */
    expect(&r, "pamela_moore13|hashtag|tcot|1506931560000");
    expect(&r, "jenn_abrams|hashtag|tcot|1506931620000");
    expect_none(&r, "t.co/aaa");
    run_free(&r);

    run_file("ira_538.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_int_equal(r.st, LK_EPARSE);
    expect_err(&r, "ira_538.csv:8: field 6 ('publish_date'): ", ": '13/45/2017 25:00'");
    run_free(&r);
}

/* content is the tweet id only when it is exact: the float-formatted one of
 * row 3 gives no content (and no dedup key) */
static lk_status content_cb(void *ctx, const lk_sink_action *a)
{
    lk_buf *b = ctx;
    if (a->trace != LK_TR_TEXT)
        return LK_OK;
    return lk_buf_printf(b, "%s;", a->content);
}

static void test_ira_content(void **state)
{
    lk_sink_opts o = {1u << LK_TR_TEXT, 1, 0};
    static const char doc[] = "author,content,publish_date,tweet_id\n"
                              "A,x,1/2/2017 3:04,123\n"
                              "B,x,1/2/2017 3:04,9.1458E+17\n"
                              "C,x,1/2/2017 3:04,124.0\n";
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_sink *k = NULL;
    lk_csvfmt *cf = NULL;
    lk_csv_row r;
    lk_input_stats stats;
    char err[LK_ERRMSG_MAX];
    lk_buf b;
    (void)state;

    memset(&stats, 0, sizeof stats);
    lk_buf_init(&b);
    assert_int_equal(lk_stream_open_mem(doc, sizeof doc - 1, "ira", &s, err), LK_OK);
    assert_int_equal(lk_csv_open(s, ',', &c), LK_OK);
    assert_int_equal(lk_sink_new(&o, content_cb, &b, NULL, &k), LK_OK);
    assert_int_equal(lk_sink_file(k, "ira", 0, &stats, err), LK_OK);
    assert_int_equal(lk_csv_next(c, &r), LK_OK);
    assert_int_equal(lk_csvfmt_sniff(&r), LK_FMT_IRA_538);
    assert_int_equal(lk_csvfmt_open(LK_FMT_IRA_538, &r, NULL, "ira", &cf, err), LK_OK);
    while (lk_csv_next(c, &r) == LK_OK)
        assert_int_equal(lk_csvfmt_row(cf, &r, k), LK_OK);
    assert_string_equal(b.p, "123;;124;");
    lk_buf_release(&b);
    lk_csvfmt_free(cf);
    lk_sink_free(k);
    lk_csv_free(c);
    lk_stream_close(s);
}

/* ---- CrowdTangle ---------------------------------------------------------------- */

static void test_crowdtangle_fb(void **state)
{
    static const size_t want[LK_TR_N] = {
        [LK_TR_SHARE] = 2,
        [LK_TR_URL] = 5,
        [LK_TR_HASHTAG] = 4,
        [LK_TR_TEXT] = 5,
    };
    static const char *const reshared = "https://www.facebook.com/100009/posts/9001";
    char line[256];
    run r;
    (void)state;

    run_file("crowdtangle_fb.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_CROWDTANGLE);
    assert_int_equal(r.stats.rows_read, 8);
    assert_int_equal(r.stats.rows_used, 7);
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    expect_counts(&r, want);
    /* EST is UTC-5, CET UTC+1: the three link posts within one minute */
    expect(&r, "100001|url|news-site.com/article-1|1614618005000");
    expect(&r, "100002|url|news-site.com/article-1|1614618035000");
    expect(&r, "100003|url|news-site.com/article-1|1614618060000");
    expect(&r, "100001|hashtag|stopthesteal|1614618005000");
    expect(&r, "100003|hashtag|stopthesteal|1614618060000");
    /* EDT is UTC-4; re-shares act on the post in Link */
    (void)snprintf(line, sizeof line, "100002|share|%s|1625148000000", reshared);
    expect(&r, line);
    (void)snprintf(line, sizeof line, "100003|share|%s|1625148020000", reshared);
    expect(&r, line);
    expect(&r, "100004|url|events.example.com/e1|1625151600000"); /* after ":=:" */
    expect(&r, "100001|url|news-site.com/article-2|1625230800000");
    expect(&r, "100001|hashtag|freedom|1625230800000");
    expect_none(&r, "bit.ly");
    run_free(&r);

    run_file("crowdtangle_fb.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_int_equal(r.st, LK_EPARSE);
    expect_err(&r,
               "crowdtangle_fb.csv:8: field 10 ('Post Created'): ", ": '2021-03-01 12:00:05 XYZ'");
    run_free(&r);
}

static void test_crowdtangle_ig(void **state)
{
    static const size_t want[LK_TR_N] = {
        [LK_TR_URL] = 1,
        [LK_TR_HASHTAG] = 5,
        [LK_TR_TEXT] = 4,
    };
    run r;
    (void)state;

    run_file("crowdtangle_ig.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_CROWDTANGLE);
    assert_int_equal(r.stats.rows_read, 6);
    assert_int_equal(r.stats.rows_used, 4);
    assert_int_equal(r.stats.skipped[LK_SKIP_DUPLICATE], 1);
    assert_int_equal(r.stats.skipped[LK_SKIP_EMPTY_ACCOUNT], 1);
    expect_counts(&r, want);
    expect(&r, "healthtips_daily|hashtag|novax|1620648000000");
    expect(&r, "wellness.now|hashtag|health|1620648040000");
    expect(&r, "natural_mom|url|linktr.ee/naturalmom|1620648300000");
    expect_none(&r, "instagram.com"); /* Link == URL is the post itself */
    run_free(&r);
}

/* Older exports: date and time in two columns */
static void test_crowdtangle_split_time(void **state)
{
    static const char doc[] = "Facebook Id,Post Created Date,Post Created Time,URL,Final Link\n"
                              "9,2021-01-05,10:00:00 CET,https://fb.com/p/1,https://a.org/x\n"
                              "9,2021-01-05,25:00:00,https://fb.com/p/2,https://a.org/y\n";
    run r;
    (void)state;

    run_mem(doc, sizeof doc - 1, "ct.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_int_equal(r.f, LK_FMT_CROWDTANGLE);
    expect(&r, "9|url|a.org/x|1609837200000");
    assert_int_equal(r.st, LK_EPARSE);
    expect_err(&r, "ct.csv:3: field 2 ('Post Created Date'): ", ": '2021-01-05 25:00:00'");
    run_free(&r);
}

/* ---- Meta Content Library ----------------------------------------------------------- */

static void test_mcl(void **state)
{
    static const size_t want[LK_TR_N] = {
        [LK_TR_SHARE] = 2,
        [LK_TR_URL] = 2,
        [LK_TR_HASHTAG] = 3,
        [LK_TR_TEXT] = 3,
    };
    run r;
    (void)state;

    run_file("mcl.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_MCL);
    assert_int_equal(r.stats.rows_read, 6);
    assert_int_equal(r.stats.rows_used, 5);
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    expect_counts(&r, want);
    expect(&r, "600|url|example.net/x|1706781600000");
    expect(&r, "600|hashtag|truth|1706781600000");
    expect(&r, "501|share|7001|1706781630000"); /* no surface: the owner */
    expect(&r, "602|share|7001|1706781645000");
    expect(&r, "603|url|example.net/x|1706781900000");
    expect(&r, "604|hashtag|weather|1706781960000");
    run_free(&r);

    run_file("mcl.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_int_equal(r.st, LK_EPARSE);
    assert_string_equal(r.err, "mcl.csv:6: field 2 ('creation_time'): invalid date: "
                               "'2024-02-30T10:00:00'");
    run_free(&r);
}

/* ---- generic and QUT ---------------------------------------------------------------- */

static void test_generic_trace_column(void **state)
{
    static const char doc[] = "object_id,account_id,content_id,timestamp_share,trace\n"
                              "o1,a1,c1,1623881091,share\n"
                              "https://WWW.X.org/,a2,c2,1623881092,url\n"
                              "o1,a3,c3,1623881093,\n"
                              "o1,a4,c4,1623881094,bogus\n"
                              "o1,a5,c5,soon,share\n"
                              "o1,a1,c1,1623881091,share\n";
    run r;
    (void)state;

    run_mem(doc, sizeof doc - 1, "g.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_GENERIC);
    /* objects normalised for their trace (the generic trace verbatim); no dedup key */
    assert_string_equal(r.g.log.p, "a1|share|o1|1623881091000\n"
                                   "a2|url|x.org|1623881092000\n"
                                   "a3|generic|o1|1623881093000\n"
                                   "a1|share|o1|1623881091000\n");
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_FIELD], 1);
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    run_free(&r);

    run_mem(doc, sizeof doc - 1, "g.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_int_equal(r.st, LK_EPARSE);
    assert_string_equal(r.err, "g.csv:5: field 5 ('trace'): unknown trace 'bogus'");
    run_free(&r);
}

static void test_generic_plain(void **state)
{
    static const char doc[] = "account_id,timestamp_share,object_id,content_id\n"
                              "a1,2021-06-16T22:04:51Z,o1,c1\n"
                              "a2,1623881092,,c2\n"
                              ",1623881093,o3,c3\n"
                              "a\xff,1623881094,o4,c4\n"
                              "a5,x,o\xfe,c5\n";
    run r;
    (void)state;

    run_mem(doc, sizeof doc - 1, "p.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_string_equal(r.g.log.p, "a1|generic|o1|1623881091000\n");
    assert_int_equal(r.stats.skipped[LK_SKIP_EMPTY_OBJECT], 1);
    assert_int_equal(r.stats.skipped[LK_SKIP_EMPTY_ACCOUNT], 1);
    /* UTF-8 is checked before the time, as reader.c always did */
    assert_int_equal(r.stats.skipped[LK_SKIP_INVALID_UTF8], 2);
    run_free(&r);

    run_mem(doc, sizeof doc - 1, "p.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_string_equal(r.err, "p.csv:5: field 1 ('account_id'): invalid UTF-8");
    run_free(&r);
}

static void test_qut(void **state)
{
    static const char doc[] =
        "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        "m1,u1,alice,r9,,hi,1600000000,\n"
        "m2,u2,bob,r9,,hi,1600000005,http://x.org\n"
        "m3,u3,carol,,,orig,1600000006,\n"
        "m4,u4,dave,r9,,hi,later,\n";
    run r;
    (void)state;

    run_mem(doc, sizeof doc - 1, "q.csv", LK_FMT_AUTO, ALL_TRACES, 1, &r);
    assert_int_equal(r.st, LK_OK);
    assert_int_equal(r.f, LK_FMT_QUT);
    assert_string_equal(r.g.log.p, "u1|generic|r9|1600000000000\n"
                                   "u2|generic|r9|1600000005000\n");
    assert_int_equal(r.stats.skipped[LK_SKIP_EMPTY_OBJECT], 1);
    assert_int_equal(r.stats.skipped[LK_SKIP_BAD_TIMESTAMP], 1);
    run_free(&r);

    run_mem(doc, sizeof doc - 1, "q.csv", LK_FMT_AUTO, ALL_TRACES, 0, &r);
    assert_string_equal(r.err, "q.csv:5: field 7 ('timestamp'): not a timestamp: 'later'");
    run_free(&r);
}

/* ---- header errors and sniffing ------------------------------------------------------ */

static void open_err(const char *hdr, lk_format f, const lk_csv_cols *cols, const char *want)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csvfmt *cf = NULL;
    lk_csv_row r;

    assert_int_equal(lk_stream_open_mem(hdr, strlen(hdr), "h.csv", &s, err), LK_OK);
    assert_int_equal(lk_csv_open(s, ',', &c), LK_OK);
    assert_int_equal(lk_csv_next(c, &r), LK_OK);
    assert_int_equal(lk_csvfmt_open(f, &r, cols, "h.csv", &cf, err), LK_EPARSE);
    assert_null(cf);
    assert_string_equal(err, want);
    lk_csv_free(c);
    lk_stream_close(s);
}

static void test_open_errors(void **state)
{
    const lk_csv_cols cols = {"obj", "account_id", "content_id", "timestamp_share"};
    (void)state;

    open_err("tweetid,userid,tweet_text\n", LK_FMT_TWITTER_IO, NULL,
             "h.csv:1: missing column 'tweet_time' (the header has 'tweetid', 'userid', "
             "'tweet_text')");
    open_err("id,text\n", LK_FMT_MCL, NULL,
             "h.csv:1: missing column 'creation_time' (the header has 'id', 'text')");
    open_err("id,creation_time\n", LK_FMT_MCL, NULL,
             "h.csv:1: missing column 'surface.id' (the header has 'id', 'creation_time')");
    open_err("Facebook Id,URL,Message\n", LK_FMT_CROWDTANGLE, NULL,
             "h.csv:1: missing column 'Post Created' (the header has 'Facebook Id', 'URL', "
             "'Message')");
    open_err("object_id,account_id,content_id,timestamp_share\n", LK_FMT_GENERIC, &cols,
             "h.csv:1: missing column 'obj' (the header has 'object_id', 'account_id', "
             "'content_id', 'timestamp_share')");
    open_err("a,b,c\n", LK_FMT_QUT, NULL, "h.csv:1: QUT format needs 8 columns, the header has 3");
}

static lk_format sniff(const char *hdr)
{
    char err[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csv_row r;
    lk_format f;

    assert_int_equal(lk_stream_open_mem(hdr, strlen(hdr), "h.csv", &s, err), LK_OK);
    assert_int_equal(lk_csv_open(s, ',', &c), LK_OK);
    assert_int_equal(lk_csv_next(c, &r), LK_OK);
    f = lk_csvfmt_sniff(&r);
    lk_csv_free(c);
    lk_stream_close(s);
    return f;
}

static void test_sniff(void **state)
{
    (void)state;
    assert_int_equal(sniff("object_id,account_id,content_id,timestamp_share\n"), LK_FMT_GENERIC);
    assert_int_equal(sniff(" object_id , account_id,content_id,timestamp_share,trace\n"),
                     LK_FMT_GENERIC);
    assert_int_equal(sniff("x,y\n"), LK_FMT_GENERIC);
    assert_int_equal(sniff("\xef\xbb\xbfmessage_id,user_id,username,repost_id,reply_id,message,"
                           "timestamp,urls\n"),
                     LK_FMT_QUT);
    assert_int_equal(sniff("TweetID,UserID,Tweet_Time\n"), LK_FMT_TWITTER_IO);
    assert_int_equal(sniff("id,author_id,created_at\n"), LK_FMT_TWARC_CSV);
    assert_int_equal(sniff("author,content,publish_date\n"), LK_FMT_IRA_538);
    assert_int_equal(sniff("\xef\xbb\xbf"
                           "Account,User Name,Created,URL\n"),
                     LK_FMT_CROWDTANGLE);
    assert_int_equal(sniff("Facebook Id,Post Created Date,Post Created Time,URL\n"),
                     LK_FMT_CROWDTANGLE);
    assert_int_equal(sniff("Facebook Id,Post Created Date,URL\n"), LK_FMT_GENERIC);
    assert_int_equal(sniff("id,creation_time,post_owner.id\n"), LK_FMT_MCL);
}

/* ---- list cells ---------------------------------------------------------------------- */

static lk_status join_cb(void *ctx, const char *s, size_t n)
{
    lk_buf *b = ctx;
    lk_status st = lk_buf_append(b, s, n);
    return st != LK_OK ? st : lk_buf_putc(b, '|');
}

static void check_list(const char *cell, const char *want)
{
    lk_buf out, scratch;
    lk_buf_init(&out);
    lk_buf_init(&scratch);
    assert_int_equal(lk_cf_split_pylist(cell, strlen(cell), &scratch, join_cb, &out), LK_OK);
    if (strcmp(out.p, want) != 0)
        fail_msg("cell %s: got '%s', want '%s'", cell, out.p, want);
    lk_buf_release(&out);
    lk_buf_release(&scratch);
}

static void test_pylist(void **state)
{
    (void)state;
    check_list("", "");
    check_list("[]", "");
    check_list("  [ ]  ", "");
    check_list("['tag1', 'tag2']", "tag1|tag2|");
    check_list("[\"a\"]", "a|");
    check_list("[a, b]", "a|b|");
    check_list("[443196382, 1004]", "443196382|1004|");
    check_list("['#tech', '#gadgets']", "#tech|#gadgets|");
    check_list("['a, b', \"c,d\"]", "a, b|c,d|");
    check_list("['it\\'s', \"say \\\"hi\\\"\"]", "it's|say \"hi\"|");
    check_list("[\"it's\"]", "it's|");
    check_list("['back\\\\slash']", "back\\slash|");
    check_list("['caf\\xe9', '\\u00e9t\\u00e9']", "caf\xc3\xa9|\xc3\xa9t\xc3\xa9|");
    check_list("[u'py2', U\"x\"]", "py2|x|");
    check_list("['', None, 'x',]", "x|");
    check_list("['unterminated, x", "unterminated, x|");
    check_list("bare", "bare|");
    check_list("['a'junk, 'b']", "a|b|");
    check_list("['\\q']", "\\q|");
}

/* ---- textscan ---------------------------------------------------------------------- */

typedef lk_status (*scan_fn)(const char *, size_t, lk_span_fn, void *);

static void check_scan(scan_fn fn, const char *text, const char *want)
{
    lk_buf out;
    lk_buf_init(&out);
    assert_int_equal(fn(text, strlen(text), join_cb, &out), LK_OK);
    if (strcmp(out.p, want) != 0)
        fail_msg("text '%s': got '%s', want '%s'", text, out.p, want);
    lk_buf_release(&out);
}

static lk_status stop_cb(void *ctx, const char *s, size_t n)
{
    (void)s;
    (void)n;
    ++*(int *)ctx;
    return LK_EOF;
}

static void test_textscan(void **state)
{
    int calls = 0;
    (void)state;

    check_scan(lk_scan_hashtags, "", "");
    check_scan(lk_scan_hashtags, "#a b #c_d,#E1", "a|c_d|E1|");
    check_scan(lk_scan_hashtags, "x#no #1 #2020 #2020s #", "2020s|");
    check_scan(lk_scan_hashtags, "##double (#paren) #日本語!", "double|paren|日本語|");
    check_scan(lk_scan_hashtags, "&#39; #tag", "tag|"); /* an HTML reference is digits */
    check_scan(lk_scan_mentions, "@a hi @b_c. mail x@y.z @bsky.social. @.x @",
               "a|b_c|bsky.social|");
    check_scan(lk_scan_mentions, "(@Ab12)@cd a_@no", "Ab12|cd|");
    check_scan(lk_scan_urls, "see http://a.org/x.", "http://a.org/x|");
    check_scan(lk_scan_urls, "HTTPS://A.org/(x) and (https://b.org/y)",
               "HTTPS://A.org/(x)|https://b.org/y|");
    check_scan(lk_scan_urls, "[http://c.org/z] <https://d.org>\"https://e.org/\"",
               "http://c.org/z|https://d.org|https://e.org/|");
    check_scan(lk_scan_urls, "http:// https://x.org/a?b=1&c=2!?'", "https://x.org/a?b=1&c=2|");
    check_scan(lk_scan_urls, "a https://f.org/\xc2\xa0next https://g.org\xe3\x80\x80z",
               "https://f.org/|https://g.org|");
    check_scan(lk_scan_urls, "ftp://no.org www.no.org httpx://no", "");
    /* a non-OK return stops the scan and is passed on */
    assert_int_equal(lk_scan_hashtags("#a #b", 5, stop_cb, &calls), LK_EOF);
    assert_int_equal(calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twitter_io),
        cmocka_unit_test(test_twitter_io_camel),
        cmocka_unit_test(test_twarc),
        cmocka_unit_test(test_ira),
        cmocka_unit_test(test_ira_content),
        cmocka_unit_test(test_crowdtangle_fb),
        cmocka_unit_test(test_crowdtangle_ig),
        cmocka_unit_test(test_crowdtangle_split_time),
        cmocka_unit_test(test_mcl),
        cmocka_unit_test(test_generic_trace_column),
        cmocka_unit_test(test_generic_plain),
        cmocka_unit_test(test_qut),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_pylist),
        cmocka_unit_test(test_textscan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
