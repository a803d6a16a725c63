/*
 * test_reader.c - lk_read_file on small CSV files and lk_utf8_valid.
 *
 * Files are written to a fresh mkdtemp folder.  Expected actions, counts and
 * messages are written out by hand; lk_utf8_valid is also compared with an
 * independent decoder on every string of up to three bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include "reader.h"

/* The options these tests vary: the reader's and the sink's in one. */
typedef struct topts {
    const char *format;
    const char *col_object, *col_account, *col_content, *col_time;
    int keep_empty_objects, skip_bad_rows;
} topts;

/* lk_read_file into ds through a dataset sink made for this one file. */
static lk_status rd(const char *path, uint32_t idx, const topts *t, lk_dataset *ds,
                    lk_input_stats *st, char *eb)
{
    lk_read_opts ro;
    lk_sink_opts so;
    lk_sink *k;
    lk_status ret;
    int f = lk_format_from_name(t->format);

    assert_true(f >= 0);
    memset(&so, 0, sizeof so);
    so.traces = LK_TRACES_DEFAULT;
    so.keep_empty = t->keep_empty_objects;
    so.skip_bad_rows = t->skip_bad_rows;
    ro.format = (lk_format)f;
    ro.col_object = t->col_object;
    ro.col_account = t->col_account;
    ro.col_content = t->col_content;
    ro.col_time = t->col_time;
    ro.threads = 1;
    ro.chunk_bytes = 0;
    ro.dist_bytes = NULL;
    ro.dist_read = NULL;
    assert_int_equal(lk_sink_new(&so, NULL, NULL, ds, &k), LK_OK);
    ret = lk_read_file(path, idx, &ro, k, st, eb);
    lk_sink_free(k);
    return ret;
}

/* Write `text` to tmpdir/name; the path goes to path[256]. */
static const char *write_file(const char *name, const char *text, char *path)
{
    FILE *f;
    (void)snprintf(path, 256, "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static topts default_opts(void)
{
    topts ro;
    memset(&ro, 0, sizeof ro);
    ro.format = "auto";
    ro.col_object = "object_id";
    ro.col_account = "account_id";
    ro.col_content = "content_id";
    ro.col_time = "timestamp_share";
    return ro;
}

static void expect_action(const lk_dataset *ds, size_t k, int64_t t, const char *account,
                          const char *object, const char *content, uint32_t file)
{
    const lk_action *a;
    size_t len;
    const char *s;

    assert_true(k < ds->n);
    a = &ds->a[k];
    if (a->t != t)
        fail_msg("action %zu: t %lld, want %lld", k, (long long)a->t, (long long)t);
    s = lk_strpool_get(ds->accounts, a->account, &len);
    if (len != strlen(account) || memcmp(s, account, len) != 0)
        fail_msg("action %zu: account '%s', want '%s'", k, s, account);
    s = lk_ds_object(ds, a->object, &len, NULL);
    if (len != strlen(object) || memcmp(s, object, len) != 0)
        fail_msg("action %zu: object '%s', want '%s'", k, s, object);
    assert_string_equal(lk_arena_get(&ds->content, a->content), content);
    assert_int_equal(a->file, file);
}

static uint64_t skipped_total(const lk_input_stats *st)
{
    uint64_t n = 0;
    for (int k = 0; k < LK_SKIP_N; k++)
        n += st->skipped[k];
    return n;
}

static void test_generic_reordered(void **state)
{
    char p1[256], p2[256], eb[LK_ERRMSG_MAX] = "";
    const topts ro = default_opts();
    lk_dataset ds;
    lk_input_stats st;

    (void)state;
    write_file("gen1.csv",
               "timestamp_share,extra,account_id,object_id,content_id\n"
               "1623881091,x,alice,P1,c1\n"
               "2021-06-16T22:04:52Z,y,bob,P1,c2\r\n"
               "1623881091.25,\"z,z\",alice,P2,\"c,3\"\n",
               p1);
    write_file("gen2.csv",
               "object_id,content_id,account_id,timestamp_share\n"
               "P2,c4,carol,2021-06-16 22:05:00\n"
               "P1,c5,alice,1623881100",
               p2);
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p1, 7, &ro, &ds, &st, eb), LK_OK);
    assert_ptr_equal(st.path, p1);
    assert_string_equal(st.format, "generic");
    assert_string_equal(st.codec, "plain");
    assert_int_equal(st.rows_read, 3);
    assert_int_equal(st.rows_used, 3);
    assert_int_equal(skipped_total(&st), 0);
    assert_int_equal(ds.n, 3);
    expect_action(&ds, 0, INT64_C(1623881091000), "alice", "P1", "c1", 7);
    expect_action(&ds, 1, INT64_C(1623881092000), "bob", "P1", "c2", 7);
    expect_action(&ds, 2, INT64_C(1623881091250), "alice", "P2", "c,3", 7);
    /* ids in order of first appearance */
    assert_int_equal(ds.a[0].account, 0);
    assert_int_equal(ds.a[1].account, 1);
    assert_int_equal(ds.a[2].account, 0);
    assert_int_equal(ds.a[2].object, 1);

    /* a second file appends, with the same pools and growing row numbers */
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p2, 8, &ro, &ds, &st, eb), LK_OK);
    assert_int_equal(st.rows_read, 2);
    assert_int_equal(st.rows_used, 2);
    assert_int_equal(ds.n, 5);
    expect_action(&ds, 3, INT64_C(1623881100000), "carol", "P2", "c4", 8);
    expect_action(&ds, 4, INT64_C(1623881100000), "alice", "P1", "c5", 8);
    assert_int_equal(ds.a[4].account, 0);
    assert_int_equal(ds.a[3].account, 2);
    assert_int_equal(lk_strpool_count(ds.accounts), 3);
    assert_int_equal(lk_strpool_count(ds.objects), 2);
    for (size_t k = 1; k < ds.n; k++)
        assert_true(ds.a[k].row > ds.a[k - 1].row);
    lk_dataset_release(&ds);
}

/* Parking the action table and the string tables (sink.c does it for the
 * near-text clustering under --max-mem, in either order) and reading them
 * back leaves the dataset as it was, and reading goes on into it. */
static void test_park_dataset(void **state)
{
    char p1[256], p2[256], eb[LK_ERRMSG_MAX] = "";
    const topts ro = default_opts();
    lk_dataset ds;
    lk_input_stats st;

    (void)state;
    write_file("park1.csv",
               "object_id,account_id,content_id,timestamp_share\n"
               "P1,alice,c1,1623881091\nP1,bob,c2,1623881092\nP2,alice,c3,1623881093\n",
               p1);
    write_file("park2.csv",
               "object_id,account_id,content_id,timestamp_share\nP2,carol,c4,1623881100\n", p2);
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p1, 0, &ro, &ds, &st, eb), LK_OK);
    for (int order = 0; order < 2; order++) {
        if (order == 0) {
            assert_int_equal(lk_dataset_park(&ds, tmpdir, 1, eb), LK_OK);
            assert_int_equal(lk_dataset_park_actions(&ds, tmpdir, eb), LK_OK);
        } else {
            assert_int_equal(lk_dataset_park_actions(&ds, tmpdir, eb), LK_OK);
            assert_int_equal(lk_dataset_park(&ds, tmpdir, 0, eb), LK_OK);
        }
        assert_null(ds.a);
        assert_int_equal(ds.n, 3);
        assert_true(ds.park_fd1 > 0);
        assert_true(ds.park_end >= 3 * sizeof(lk_action));
        assert_int_equal(lk_dataset_unpark(&ds, 1, 1, eb), LK_OK);
        assert_int_equal(ds.park_fd1, 0);
        expect_action(&ds, 0, INT64_C(1623881091000), "alice", "P1", "c1", 0);
        expect_action(&ds, 1, INT64_C(1623881092000), "bob", "P1", "c2", 0);
        expect_action(&ds, 2, INT64_C(1623881093000), "alice", "P2", "c3", 0);
    }
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p2, 1, &ro, &ds, &st, eb), LK_OK);
    assert_int_equal(ds.n, 4);
    expect_action(&ds, 3, INT64_C(1623881100000), "carol", "P2", "c4", 1);
    assert_int_equal(ds.a[3].object, 1);
    /* a folder that cannot take the file: a one-line error naming it */
    assert_int_equal(lk_dataset_park_actions(&ds, "/nonexistent-lockstep-dir", eb), LK_EIO);
    assert_non_null(strstr(eb, "/nonexistent-lockstep-dir"));
    assert_non_null(ds.a);
    lk_dataset_release(&ds);
}

static void test_column_mapping(void **state)
{
    char p[256], eb[LK_ERRMSG_MAX] = "";
    topts ro = default_opts();
    lk_dataset ds;
    lk_input_stats st;

    (void)state;
    ro.col_time = "when";
    ro.col_account = "who";
    ro.col_object = "what";
    ro.col_content = "post";
    ro.format = "generic";
    write_file("map.csv",
               "junk, who ,what,when,post\n"
               "1,u1,url-a,1000,p1\n"
               "2,u2,url-a,1001,p2\n",
               p);
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_OK);
    assert_int_equal(ds.n, 2);
    expect_action(&ds, 0, INT64_C(1000000), "u1", "url-a", "p1", 0);
    expect_action(&ds, 1, INT64_C(1001000), "u2", "url-a", "p2", 0);

    /* the default names are not in this header */
    ro = default_opts();
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_EPARSE);
    {
        char want[512];
        (void)snprintf(want, sizeof want,
                       "%s:1: missing column 'object_id' (the header has 'junk', ' who ', 'what', "
                       "'when', 'post')",
                       p);
        assert_string_equal(eb, want);
    }
    lk_dataset_release(&ds);
}

static const char qut_text[] =
    "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
    "m1,u1,name1,r1,,hello,1623881091,\n"
    "m2,u2,name2,r1,,\"hi, there\",1623881095,\n"
    "m3,u1,name1,,,\"original\npost\",1623881099,http://x\n"
    "m4,u3,name3,r2,m1,yo,2021-06-16T22:05:00Z,\n";

static void test_qut_auto(void **state)
{
    char p[256], eb[LK_ERRMSG_MAX] = "";
    topts ro = default_opts();
    lk_dataset ds;
    lk_input_stats st;

    (void)state;
    write_file("qut.csv", qut_text, p);
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 2, &ro, &ds, &st, eb), LK_OK);
    assert_string_equal(st.format, "qut");
    assert_int_equal(st.rows_read, 4);
    assert_int_equal(st.rows_used, 3);
    assert_int_equal(st.skipped[LK_SKIP_EMPTY_OBJECT], 1);
    assert_int_equal(skipped_total(&st), 1);
    expect_action(&ds, 0, INT64_C(1623881091000), "u1", "r1", "m1", 2);
    expect_action(&ds, 1, INT64_C(1623881095000), "u2", "r1", "m2", 2);
    expect_action(&ds, 2, INT64_C(1623881100000), "u3", "r2", "m4", 2);
    lk_dataset_release(&ds);

    /* CooRTweet compat keeps "" as an object */
    ro.keep_empty_objects = 1;
    ro.format = "qut";
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 2, &ro, &ds, &st, eb), LK_OK);
    assert_int_equal(st.rows_used, 4);
    expect_action(&ds, 2, INT64_C(1623881099000), "u1", "", "m3", 2);
    lk_dataset_release(&ds);

    /* forced generic: the QUT header lacks the generic columns */
    ro = default_opts();
    ro.format = "generic";
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 2, &ro, &ds, &st, eb), LK_EPARSE);
    {
        char want[512];
        (void)snprintf(want, sizeof want,
                       "%s:1: missing column 'object_id' (the header has 'message_id', 'user_id', "
                       "'username', 'repost_id', 'reply_id', 'message', 'timestamp', 'urls')",
                       p);
        assert_string_equal(eb, want);
    }
    lk_dataset_release(&ds);
}

/* Every skip reason, some twice, with skip_bad_rows = 1. */
static void test_accounting(void **state)
{
    char p[256], eb[LK_ERRMSG_MAX] = "";
    topts ro = default_opts();
    lk_dataset ds;
    lk_input_stats st;

    (void)state;
    ro.skip_bad_rows = 1;
    write_file("mixed.csv",
               "object_id,account_id,content_id,timestamp_share\n" /* 1 */
               "o1,a1,c1,1623881091\n"                             /* 2 used */
               "o1,a2,c2,1623881092,extra\n"                       /* 3 field count */
               "o1,a3,c3,notatime\n"                               /* 4 bad timestamp */
               "o1,\xff,c4,1623881093\n"                           /* 5 invalid UTF-8 */
               "o1,,c5,1623881094\n"                               /* 6 empty account */
               ",a4,c6,1623881095\n"                               /* 7 empty object */
               "\"o2\"x,a5,c7,1623881096\n"                        /* 8 malformed CSV */
               "o2,a5,\"multi\nline\",1623881097\n"                /* 9-10 used */
               "o2,a6\n"                                           /* 11 field count */
               "o2,a7,c9,-5\n"                                     /* 12 bad timestamp */
               "o\xc0\xaf,a9,c11,1623881099\n"                     /* 13 invalid UTF-8 */
               "o3,a8,c\xed\xa0\x80,1623881098\n"                  /* 14 invalid UTF-8 */
               "\n"                                                /* 15 empty: not a row */
               "o3,a8,c10,1623881098\n",                           /* 16 used */
               p);
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_OK);
    assert_int_equal(st.rows_used, 3);
    assert_int_equal(st.skipped[LK_SKIP_MALFORMED_CSV], 1);
    assert_int_equal(st.skipped[LK_SKIP_FIELD_COUNT], 2);
    assert_int_equal(st.skipped[LK_SKIP_BAD_TIMESTAMP], 2);
    assert_int_equal(st.skipped[LK_SKIP_INVALID_UTF8], 3);
    assert_int_equal(st.skipped[LK_SKIP_EMPTY_ACCOUNT], 1);
    assert_int_equal(st.skipped[LK_SKIP_EMPTY_OBJECT], 1);
    assert_int_equal(st.rows_read, 13);
    assert_int_equal(st.rows_read, st.rows_used + skipped_total(&st));
    assert_int_equal(ds.n, 3);
    expect_action(&ds, 0, INT64_C(1623881091000), "a1", "o1", "c1", 0);
    expect_action(&ds, 1, INT64_C(1623881097000), "a5", "o2", "multi\nline", 0);
    expect_action(&ds, 2, INT64_C(1623881098000), "a8", "o3", "c10", 0);
    assert_string_equal(lk_skip_name(LK_SKIP_MALFORMED_CSV), "malformed_csv");
    assert_string_equal(lk_skip_name(LK_SKIP_EMPTY_OBJECT), "empty_object");
    assert_string_equal(lk_skip_name(LK_SKIP_N), "unknown");
    lk_dataset_release(&ds);
}

struct err_case {
    const char *name, *text;
    lk_status status;
    const char *msg; /* after "PATH" */
    lk_skip why;     /* counted for row errors (LK_SKIP_N: none) */
};

/* skip_bad_rows = 0: the first bad row stops the read with PATH:LINE. */
static void test_error_messages(void **state)
{
    static const char hdr[] = "object_id,account_id,content_id,timestamp_share\n";
    static const struct err_case cases[] = {
        {"e_malformed.csv", "o,a,c,1\n\"o\"x,a,c,1\n", LK_EPARSE,
         ":3: unexpected 'x' after closing quote", LK_SKIP_MALFORMED_CSV},
        {"e_unterminated.csv", "o,a,c,1\no,a,\"c,1\n", LK_EPARSE, ":3: unterminated quoted field",
         LK_SKIP_MALFORMED_CSV},
        {"e_fields.csv", "o,a,c,1\no,a,c,1,x\n", LK_EPARSE,
         ":3: expected 4 fields as in the header, found 5", LK_SKIP_FIELD_COUNT},
        {"e_fields_multiline.csv", "o,a,\"c\n\nc\",1\no,a\n", LK_EPARSE,
         ":5: expected 4 fields as in the header, found 2", LK_SKIP_FIELD_COUNT},
        {"e_time.csv", "o,a,c,1\no,a,c,notatime\n", LK_EPARSE,
         ":3: field 4 ('timestamp_share'): not a timestamp: 'notatime'", LK_SKIP_BAD_TIMESTAMP},
        {"e_range.csv", "o,a,c,1\no,a,c,-5\n", LK_EPARSE,
         ":3: field 4 ('timestamp_share'): out of range: '-5'", LK_SKIP_BAD_TIMESTAMP},
        {"e_date.csv", "o,a,c,1\no,a,c,2021-02-30\n", LK_EPARSE,
         ":3: field 4 ('timestamp_share'): invalid date: '2021-02-30'", LK_SKIP_BAD_TIMESTAMP},
        {"e_utf8_account.csv", "o,a,c,1\no,\xc3,c,1\n", LK_EPARSE,
         ":3: field 2 ('account_id'): invalid UTF-8", LK_SKIP_INVALID_UTF8},
        {"e_utf8_object.csv", "o,a,c,1\n\xed\xb0\x80,a,c,1\n", LK_EPARSE,
         ":3: field 1 ('object_id'): invalid UTF-8", LK_SKIP_INVALID_UTF8},
        {"e_utf8_content.csv", "o,a,c,1\no,a,\xf4\x90\x80\x80,1\n", LK_EPARSE,
         ":3: field 3 ('content_id'): invalid UTF-8", LK_SKIP_INVALID_UTF8},
    };
    const topts ro = default_opts();

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char p[256], text[256], want[512], eb[LK_ERRMSG_MAX] = "";
        lk_dataset ds;
        lk_input_stats st;
        lk_status s;

        (void)snprintf(text, sizeof text, "%s%s", hdr, cases[k].text);
        write_file(cases[k].name, text, p);
        assert_int_equal(lk_dataset_init(&ds), LK_OK);
        memset(&st, 0, sizeof st);
        s = rd(p, 0, &ro, &ds, &st, eb);
        (void)snprintf(want, sizeof want, "%s%s", p, cases[k].msg);
        if (s != cases[k].status || strcmp(eb, want) != 0)
            fail_msg("%s: status %d '%s', want %d '%s'", cases[k].name, (int)s, eb,
                     (int)cases[k].status, want);
        /* the rows read so far are still counted */
        assert_int_equal(st.rows_read, 2);
        assert_int_equal(st.rows_used, 1);
        assert_int_equal(st.skipped[cases[k].why], 1);
        assert_int_equal(st.rows_read, st.rows_used + skipped_total(&st));
        lk_dataset_release(&ds);
    }
}

/* Empty ids are not errors: they are counted, even with skip_bad_rows = 0. */
static void test_empty_ids_not_errors(void **state)
{
    char p[256], eb[LK_ERRMSG_MAX] = "";
    const topts ro = default_opts();
    lk_dataset ds;
    lk_input_stats st;

    (void)state;
    write_file("empties.csv",
               "object_id,account_id,content_id,timestamp_share\n"
               "o,,c,1\n"
               ",a,c,1\n"
               "o,a,c,1\n",
               p);
    assert_int_equal(lk_dataset_init(&ds), LK_OK);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_OK);
    assert_int_equal(st.rows_read, 3);
    assert_int_equal(st.rows_used, 1);
    assert_int_equal(st.skipped[LK_SKIP_EMPTY_ACCOUNT], 1);
    assert_int_equal(st.skipped[LK_SKIP_EMPTY_OBJECT], 1);
    lk_dataset_release(&ds);
}

/* File-level errors: no header, bad header, bad options, missing file. */
static void test_file_errors(void **state)
{
    char p[256], want[512], eb[LK_ERRMSG_MAX] = "";
    topts ro = default_opts();
    lk_dataset ds;
    lk_input_stats st;

    (void)state;
    assert_int_equal(lk_dataset_init(&ds), LK_OK);

    write_file("empty.csv", "", p);
    memset(&st, 0, sizeof st);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_EPARSE);
    (void)snprintf(want, sizeof want, "%s: empty input: no header line and no JSON", p);
    assert_string_equal(eb, want);
    assert_int_equal(st.rows_read, 0);

    write_file("blank.csv", "\n\n\r\n", p);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_EPARSE);
    (void)snprintf(want, sizeof want, "%s: empty input: no header line and no JSON", p);
    assert_string_equal(eb, want);

    write_file("badheader.csv", "object_id,\"account_id\nx,y\n", p);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_EPARSE);
    (void)snprintf(want, sizeof want, "%s:1: header: unterminated quoted field", p);
    assert_string_equal(eb, want);

    write_file("four.csv", "object_id,account_id,content_id,timestamp_share\no,a,c,1\n", p);
    ro.format = "qut";
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_EPARSE);
    (void)snprintf(want, sizeof want, "%s:1: QUT format needs 8 columns, the header has 4", p);
    assert_string_equal(eb, want);

    assert_int_equal(lk_format_from_name("xml"), -1);

    ro = default_opts();
    ro.col_time = "time";
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_EPARSE);
    (void)snprintf(want, sizeof want,
                   "%s:1: missing column 'time' (the header has 'object_id', 'account_id', "
                   "'content_id', 'timestamp_share')",
                   p);
    assert_string_equal(eb, want);

    ro = default_opts();
    (void)snprintf(p, sizeof p, "%s/no-such-file.csv", tmpdir);
    assert_int_equal(rd(p, 0, &ro, &ds, &st, eb), LK_EIO);
    (void)snprintf(want, sizeof want, "cannot open '%s': No such file or directory", p);
    assert_string_equal(eb, want);

    assert_int_equal(ds.n, 0);
    lk_dataset_release(&ds);
}

/* ---- lk_utf8_valid ------------------------------------------------------------ */

/* Independent reference: decode by the lead byte's bit pattern, then reject
 * overlongs (shorter form exists), surrogates and code points > U+10FFFF. */
static int ref_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static void test_utf8_known(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        int valid;
    } cases[] = {
        {"", 0, 1},
        {"abc", 3, 1},
        {"a\0b", 3, 1},
        {"\xc2\x80", 2, 1},         /* U+0080 */
        {"\xdf\xbf", 2, 1},         /* U+07FF */
        {"\xe0\xa0\x80", 3, 1},     /* U+0800 */
        {"\xed\x9f\xbf", 3, 1},     /* U+D7FF */
        {"\xee\x80\x80", 3, 1},     /* U+E000 */
        {"\xef\xbf\xbf", 3, 1},     /* U+FFFF */
        {"\xf0\x90\x80\x80", 4, 1}, /* U+10000 */
        {"\xf4\x8f\xbf\xbf", 4, 1}, /* U+10FFFF */
        {"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 14, 1},
        {"\x80", 1, 0}, /* lone continuation */
        {"\xbf", 1, 0},
        {"\xc0\x80", 2, 0},         /* overlong NUL */
        {"\xc1\xbf", 2, 0},         /* overlong U+007F */
        {"\xe0\x80\x80", 3, 0},     /* overlong */
        {"\xe0\x9f\xbf", 3, 0},     /* overlong U+07FF */
        {"\xf0\x80\x80\x80", 4, 0}, /* overlong */
        {"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong U+FFFF */
        {"\xed\xa0\x80", 3, 0},     /* U+D800 */
        {"\xed\xbf\xbf", 3, 0},     /* U+DFFF */
        {"\xf4\x90\x80\x80", 4, 0}, /* U+110000 */
        {"\xf5\x80\x80\x80", 4, 0},
        {"\xf7\xbf\xbf\xbf", 4, 0},
        {"\xf8\x88\x80\x80\x80", 5, 0}, /* 5-byte form */
        {"\xfe", 1, 0},
        {"\xff", 1, 0},
        {"\xc3", 1, 0}, /* truncated */
        {"\xe4\xb8", 2, 0},
        {"\xf0\x9f\x98", 3, 0},
        {"ab\xc3", 3, 0},
        {"\xc3"
         "a",
         2, 0}, /* bad continuation */
        {"\xe4\xb8"
         "a",
         3, 0},
        {"\xf0\x9f\x98"
         "a",
         4, 0},
        {"\xe4\xb8\xad", 2, 0}, /* cut by n */
        {"\xf0\x9f\x98\x80", 3, 0},
    };

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        if (lk_utf8_valid(cases[k].s, cases[k].n) != cases[k].valid)
            fail_msg("case %zu: lk_utf8_valid gave %d, want %d", k, !cases[k].valid,
                     cases[k].valid);
        assert_int_equal(ref_utf8_valid((const unsigned char *)cases[k].s, cases[k].n),
                         cases[k].valid);
    }
}

static void test_utf8_exhaustive(void **state)
{
    unsigned char s[4];
    uint64_t rng = 5, disagree = 0;

    (void)state;
    /* every string of 1, 2 and 3 bytes */
    for (uint32_t v = 0; v < (1u << 24); v++) {
        s[0] = (unsigned char)(v >> 16);
        s[1] = (unsigned char)(v >> 8);
        s[2] = (unsigned char)v;
        for (size_t n = (v < 256 ? 1 : v < 65536 ? 2 : 3); n <= 3; n++) {
            const unsigned char *p = s + 3 - n;
            if (lk_utf8_valid((const char *)p, n) != ref_utf8_valid(p, n) && disagree++ < 5)
                print_error("disagree on %zu bytes %02x %02x %02x\n", n, s[0], s[1], s[2]);
        }
    }
    /* 4-byte strings with a 4-byte lead, random tails */
    for (int it = 0; it < 2000000; it++) {
        rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        s[0] = (unsigned char)(0xf0 | ((rng >> 60) & 0x0f));
        s[1] = (unsigned char)(rng >> 16);
        s[2] = (unsigned char)(rng >> 24);
        s[3] = (unsigned char)(rng >> 32);
        if ((rng >> 40) & 1) /* half the time: well-formed continuation bytes */
            for (int k = 1; k < 4; k++)
                s[k] = (unsigned char)(0x80 | (s[k] & 0x3f));
        if (lk_utf8_valid((const char *)s, 4) != ref_utf8_valid(s, 4) && disagree++ < 5)
            print_error("disagree on %02x %02x %02x %02x\n", s[0], s[1], s[2], s[3]);
    }
    assert_int_equal(disagree, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_reordered), cmocka_unit_test(test_column_mapping),
        cmocka_unit_test(test_qut_auto),          cmocka_unit_test(test_accounting),
        cmocka_unit_test(test_error_messages),    cmocka_unit_test(test_empty_ids_not_errors),
        cmocka_unit_test(test_file_errors),       cmocka_unit_test(test_utf8_known),
        cmocka_unit_test(test_utf8_exhaustive),   cmocka_unit_test(test_park_dataset),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
