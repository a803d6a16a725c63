/*
 * test_detect.c - the public detect API end to end (include/lockstep/lockstep.h
 * only): defaults, a hand-checked run, option validation, failures that leave
 * no summary.json, status strings and the version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lk_testutil.h"

#include <lockstep/lockstep.h>

static int exists_in(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    (void)snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void test_defaults(void **state)
{
    lk_detect_opts o;
    (void)state;
    lk_detect_opts_init(&o);
    assert_int_equal(o.window_ms, 60000);
    assert_int_equal(o.min_participation, 2);
    assert_int_equal(o.threshold, LK_THRESHOLD_FDR);
    assert_true(o.threshold_value < 0); /* the mode's default */
    assert_true(o.fdr == 0.01);
    assert_true(o.min_sync == 0.45);
    assert_true(o.near_text_threshold == 0.3);
    assert_string_equal(o.traces, "default");
    assert_int_equal(o.compat, LK_COMPAT_NONE);
    assert_int_equal(o.on_error, LK_ON_ERROR_FAIL);
    assert_string_equal(o.col_object, "object_id");
    assert_string_equal(o.col_time, "timestamp_share");
    assert_int_equal(o.max_burst, 200);
    assert_int_equal(o.evidence_per_edge, 10);
}

/* tests/data/detect/tiny.csv: see tests/e2e/detect/tiny_tables.sh for the
 * hand computation: 7 accounts, gus (1 action) dropped by -m 2; edges
 * alice-bob, alice-carol, bob-carol (3 objects each) and erin-frank (1). */
static void test_tiny_run(void **state)
{
    lk_detect_opts o;
    lk_detect_stats s;
    lk_detect *d;
    char out[300];

    (void)state;
    (void)snprintf(out, sizeof out, "%s/tiny", tmpdir);
    lk_detect_opts_init(&o);
    o.out_dir = out;
    d = lk_detect_new(&o);
    assert_non_null(d);
    assert_int_equal(lk_detect_add_input(d, LK_TEST_DATA "/detect/tiny.csv"), LK_OK);
    assert_int_equal(lk_detect_run(d), LK_OK);
    assert_string_equal(lk_detect_errmsg(d), "");
    lk_detect_get_stats(d, &s);
    assert_int_equal(s.rows_read, 16);
    assert_int_equal(s.rows_used, 16);
    assert_int_equal(s.rows_skipped, 0);
    assert_int_equal(s.accounts, 7);
    assert_int_equal(s.edges, 4);
    assert_int_equal(s.coord_edges, 3);
    assert_int_equal(s.coord_accounts, 3);
    assert_int_equal(s.groups, 1);
    assert_int_equal(s.pairs, 10); /* 3 + 3 + 3 in-window pairs of the ring, 1 of erin-frank */
    assert_true(s.peak_rss_bytes > 0);
    assert_true(exists_in(out, "summary.json") && exists_in(out, "edges.csv") &&
                exists_in(out, "evidence.csv") && exists_in(out, "network.graphml") &&
                exists_in(out, "network.gexf"));
    /* the same handle runs again with the same result (and no leak under ASan) */
    assert_int_equal(lk_detect_run(d), LK_OK);
    lk_detect_get_stats(d, &s);
    assert_int_equal(s.rows_read, 16);
    assert_int_equal(s.coord_edges, 3);
    lk_detect_free(d);
}

static lk_status run_with(lk_detect_opts *o, const char *input, char *msg, size_t n)
{
    lk_detect *d = lk_detect_new(o);
    lk_status st;
    assert_non_null(d);
    if (input)
        assert_int_equal(lk_detect_add_input(d, input), LK_OK);
    st = lk_detect_run(d);
    (void)snprintf(msg, n, "%s", lk_detect_errmsg(d));
    lk_detect_free(d);
    return st;
}

static void test_bad_options(void **state)
{
    lk_detect_opts o;
    char msg[600], out[300];

    (void)state;
    (void)snprintf(out, sizeof out, "%s/opts", tmpdir);
    lk_detect_opts_init(&o);
    o.out_dir = out;
    assert_int_equal(run_with(&o, NULL, msg, sizeof msg), LK_EINVAL);
    assert_string_equal(msg, "no input files");
    o.threshold = LK_THRESHOLD_QUANTILE;
    o.threshold_value = 1.5;
    assert_int_equal(run_with(&o, LK_TEST_DATA "/detect/tiny.csv", msg, sizeof msg), LK_EINVAL);
    assert_string_equal(msg, "a quantile threshold must be in [0, 1]");
    lk_detect_opts_init(&o);
    o.out_dir = out;
    o.window_ms = -2; /* -1 is LK_WINDOW_AUTO */
    assert_int_equal(run_with(&o, LK_TEST_DATA "/detect/tiny.csv", msg, sizeof msg), LK_EINVAL);
    o.window_ms = (int64_t)60 * 86400 * 1000; /* 60 days */
    assert_int_equal(run_with(&o, LK_TEST_DATA "/detect/tiny.csv", msg, sizeof msg), LK_EINVAL);
    assert_non_null(strstr(msg, "49 days"));
}

/* A failed run leaves no summary.json, and removes a stale one. */
static void test_failure_leaves_nothing_complete(void **state)
{
    lk_detect_opts o;
    char msg[600], out[300], bad[300], want[400];
    FILE *f;

    (void)state;
    (void)snprintf(out, sizeof out, "%s/fail", tmpdir);
    (void)snprintf(bad, sizeof bad, "%s/bad.csv", tmpdir);
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("object_id,account_id,content_id,timestamp_share\no1,a,c1,1\no1,b,c2,oops\n", f);
    assert_int_equal(fclose(f), 0);
    lk_detect_opts_init(&o);
    o.out_dir = out;
    assert_int_equal(run_with(&o, LK_TEST_DATA "/detect/tiny.csv", msg, sizeof msg), LK_OK);
    assert_true(exists_in(out, "summary.json"));
    assert_int_equal(run_with(&o, bad, msg, sizeof msg), LK_EPARSE);
    (void)snprintf(want, sizeof want, "%s:3: field 4 ('timestamp_share'): not a timestamp: 'oops'",
                   bad);
    assert_string_equal(msg, want);
    assert_false(exists_in(out, "summary.json"));
    assert_false(exists_in(out, "edges.csv"));
    assert_false(exists_in(out, "evidence.csv"));
    /* the same row skipped */
    o.on_error = LK_ON_ERROR_SKIP;
    assert_int_equal(run_with(&o, bad, msg, sizeof msg), LK_OK);
    assert_true(exists_in(out, "summary.json"));
}

static void test_status_and_version(void **state)
{
    const lk_status all[] = {LK_OK,     LK_EOF,    LK_ENOMEM, LK_EIO,
                             LK_EPARSE, LK_EINVAL, LK_ELIMIT, LK_EGRAPH};
    char v[32];
    (void)state;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        assert_non_null(lk_strerror(all[i]));
        assert_true(strlen(lk_strerror(all[i])) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(lk_strerror(all[i]), lk_strerror(all[j]));
    }
    assert_string_equal(lk_strerror((lk_status)-99), "unknown status");
    (void)snprintf(v, sizeof v, "%d.%d.%d", LK_VERSION_MAJOR, LK_VERSION_MINOR, LK_VERSION_PATCH);
    assert_string_equal(lk_version(), v);
    lk_detect_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_tiny_run),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_failure_leaves_nothing_complete),
        cmocka_unit_test(test_status_and_version),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
