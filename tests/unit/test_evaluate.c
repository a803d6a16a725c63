/*
 * test_evaluate.c - lk_evaluate on hand-made truth.csv / accounts.csv pairs
 * whose scores were worked out by hand (see the comments beside each
 * fixture), the JSON report byte for byte, and the error messages.
 *
 * Files are written to a fresh mkdtemp folder; one subfolder per case plays
 * the detect output folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lk_testutil.h"

#include "lockstep/lockstep.h"

/* Write `text` to tmpdir/name, making the folders in name; the path goes
 * to path[512]. */
static const char *write_file(const char *name, const char *text, char *path)
{
    FILE *f;

    for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
        (void)snprintf(path, 512, "%s/%.*s", tmpdir, (int)(slash - name), name);
        (void)mkdir(path, 0777);
    }
    (void)snprintf(path, 512, "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

/* tmpdir/name as a path in path[512]. */
static const char *in_tmp(const char *name, char *path)
{
    (void)snprintf(path, 512, "%s/%s", tmpdir, name);
    return path;
}

/*
 * The main fixture.  Columns in another order than simulate writes, with an
 * extra column, and an extra label (cascade) whose `group` must be ignored.
 *
 *   planted group 1: c1 c2 c3 c4    group 2: d1 d2 d3    group 10: e1
 *
 * accounts.csv (detected groups 1, 2, 3):
 *   det 1 = {c1, c2}              det 2 = {c3, d1, d2, f1}
 *   det 3 = {d3, o1, x9}          x9 is not in truth (unknown)
 *
 * Counts: truth 17 accounts; positives 8 (c1-c4, d1-d3, e1); flagged 9;
 * TP 6 (c1 c2 c3 d1 d2 d3); FP 3 (f1, o1, x9); FN 2 (c4, e1); unknown 1.
 * precision 6/9 = 0.666667, recall 6/8 = 0.75, F1 = 12/17 = 0.705882.
 *
 * Per label: cascade 0/1, fan 1/2 = 0.5, newsbot 0/2 (none flagged),
 * organic 1/4 = 0.25.
 *
 * Group 1 (size 4): split over det 1 (c1 c2) and det 2 (c3), c4 missed:
 *   found 3, best det 1 with 2, others 0, share 2/4 = 0.5.
 * Group 2 (size 3): det 2 holds d1 d2 (plus c3, f1), det 3 holds d3:
 *   found 3, best det 2 with 2, others 4 - 2 = 2, share 2/3 = 0.666667.
 * Group 10 (size 1): not found: best none, share 0.
 * Group recovery (0.5 + 2/3 + 0) / 3 = 0.388889.  Groups in numeric order
 * (2 before 10).
 */
static const char truth_main[] = "label,account_id,kind,group\n"
                                 "organic,o1,x,\n"
                                 "organic,o2,x,\n"
                                 "organic,o3,x,\n"
                                 "organic,o4,x,\n"
                                 "fan,f1,y,\n"
                                 "fan,f2,y,\n"
                                 "newsbot,n1,z,\n"
                                 "newsbot,n2,z,\n"
                                 "coordinated,c1,,1\n"
                                 "coordinated,c2,,1\n"
                                 "coordinated,c3,,1\n"
                                 "coordinated,c4,,1\n"
                                 "coordinated,d1,,2\n"
                                 "coordinated,d2,,2\n"
                                 "coordinated,d3,,2\n"
                                 "coordinated,e1,,10\n"
                                 "cascade,k1,,7\n";

static const char accounts_main[] = "account_id,group_id,degree\n"
                                    "c1,1,3\n"
                                    "c2,1,3\n"
                                    "c3,2,2\n"
                                    "d1,2,2\n"
                                    "d2,2,2\n"
                                    "f1,2,1\n"
                                    "d3,3,1\n"
                                    "o1,3,1\n"
                                    "x9,3,1\n";

static const char json_main[] =
    "{\n"
    "  \"truth\": \"TRUTH\",\n"
    "  \"dir\": \"DIR\",\n"
    "  \"truth_accounts\": 17,\n"
    "  \"positives\": 8,\n"
    "  \"flagged\": 9,\n"
    "  \"true_positives\": 6,\n"
    "  \"false_positives\": 3,\n"
    "  \"false_negatives\": 2,\n"
    "  \"unknown_accounts\": 1,\n"
    "  \"precision\": 0.666667,\n"
    "  \"recall\": 0.75,\n"
    "  \"f1\": 0.705882,\n"
    "  \"detected_groups\": 3,\n"
    "  \"group_recovery\": 0.388889,\n"
    "  \"false_positive_rate\": {\n"
    "    \"cascade\": {\"accounts\": 1, \"flagged\": 0, \"rate\": 0},\n"
    "    \"fan\": {\"accounts\": 2, \"flagged\": 1, \"rate\": 0.5},\n"
    "    \"newsbot\": {\"accounts\": 2, \"flagged\": 0, \"rate\": 0},\n"
    "    \"organic\": {\"accounts\": 4, \"flagged\": 1, \"rate\": 0.25}\n"
    "  },\n"
    "  \"planted_groups\": [\n"
    "    {\"group\": \"1\", \"size\": 4, \"found\": 3, \"best_group\": \"1\", "
    "\"best_members\": 2, \"best_others\": 0, \"share\": 0.5},\n"
    "    {\"group\": \"2\", \"size\": 3, \"found\": 3, \"best_group\": \"2\", "
    "\"best_members\": 2, \"best_others\": 2, \"share\": 0.666667},\n"
    "    {\"group\": \"10\", \"size\": 1, \"found\": 0, \"best_group\": null, "
    "\"best_members\": 0, \"best_others\": 0, \"share\": 0}\n"
    "  ]\n"
    "}\n";

static void expect_class(const lk_eval_class *c, const char *label, uint64_t n, uint64_t f,
                         double rate)
{
    assert_string_equal(c->label, label);
    assert_int_equal(c->accounts, n);
    assert_int_equal(c->flagged, f);
    assert_true(fabs(c->rate - rate) < 1e-12);
}

static void expect_group(const lk_eval_group *g, const char *group, uint64_t size, uint64_t found,
                         const char *best, uint64_t members, uint64_t others)
{
    assert_string_equal(g->group, group);
    assert_int_equal(g->size, size);
    assert_int_equal(g->found, found);
    if (best)
        assert_string_equal(g->best, best);
    else
        assert_null(g->best);
    assert_int_equal(g->best_members, members);
    assert_int_equal(g->best_others, others);
    assert_true(fabs(g->share - (double)members / (double)size) < 1e-12);
}

static void check_main(const lk_eval_result *r)
{
    assert_int_equal(r->truth_accounts, 17);
    assert_int_equal(r->positives, 8);
    assert_int_equal(r->flagged, 9);
    assert_int_equal(r->tp, 6);
    assert_int_equal(r->fp, 3);
    assert_int_equal(r->fn, 2);
    assert_int_equal(r->unknown_accounts, 1);
    assert_int_equal(r->detected_groups, 3);
    assert_true(fabs(r->precision - 6.0 / 9.0) < 1e-12);
    assert_true(fabs(r->recall - 0.75) < 1e-12);
    assert_true(fabs(r->f1 - 12.0 / 17.0) < 1e-12);
    assert_true(fabs(r->group_recovery - (0.5 + 2.0 / 3.0) / 3.0) < 1e-12);

    assert_int_equal(r->nclasses, 4);
    expect_class(&r->classes[0], "cascade", 1, 0, 0);
    expect_class(&r->classes[1], "fan", 2, 1, 0.5);
    expect_class(&r->classes[2], "newsbot", 2, 0, 0);
    expect_class(&r->classes[3], "organic", 4, 1, 0.25);

    assert_int_equal(r->ngroups, 3);
    expect_group(&r->groups[0], "1", 4, 3, "1", 2, 0);
    expect_group(&r->groups[1], "2", 3, 3, "2", 2, 2);
    expect_group(&r->groups[2], "10", 1, 0, NULL, 0, 0);
}

/* json_main with TRUTH and DIR replaced. */
static char *expected_json(const char *truth, const char *dir)
{
    const size_t len = sizeof json_main + strlen(truth) + strlen(dir);
    char *s = malloc(len);
    const char *t = strstr(json_main, "TRUTH"), *d = strstr(json_main, "DIR");

    assert_non_null(s);
    (void)snprintf(s, len, "%.*s%s%.*s%s%s", (int)(t - json_main), json_main, truth,
                   (int)(d - (t + 5)), t + 5, dir, d + 3);
    return s;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = calloc(1, 1 << 16);
    size_t n;

    assert_non_null(f);
    assert_non_null(s);
    n = fread(s, 1, (1 << 16) - 1, f);
    s[n] = '\0';
    assert_int_equal(fclose(f), 0);
    return s;
}

static void test_main_case(void **state)
{
    char truth[512], dir[512], acc[512], out[512], eb[256];
    lk_eval_opts o;
    lk_eval_result r;
    char *want, *got;
    (void)state;

    write_file("main/truth.csv", truth_main, truth);
    write_file("main/det/accounts.csv", accounts_main, acc);
    in_tmp("main/det", dir);
    in_tmp("main/report.json", out);
    lk_eval_opts_init(&o);
    assert_null(o.out);
    o.truth = truth;
    o.dir = dir;
    o.out = out;
    assert_int_equal(lk_evaluate(&o, &r, eb, sizeof eb), LK_OK);
    assert_string_equal(eb, "");
    check_main(&r);

    /* the report written by lk_evaluate is lk_eval_json's text */
    want = expected_json(truth, dir);
    got = slurp(out);
    assert_string_equal(got, want);
    free(got);
    {
        size_t need = 0;
        char small[16];
        char *buf;
        assert_int_equal(lk_eval_json(&r, small, sizeof small, &need), LK_ELIMIT);
        assert_int_equal(need, strlen(want));
        assert_int_equal(lk_eval_json(&r, NULL, 0, &need), LK_ELIMIT);
        buf = malloc(need + 1);
        assert_non_null(buf);
        assert_int_equal(lk_eval_json(&r, buf, need + 1, &need), LK_OK);
        assert_string_equal(buf, want);
        free(buf);
    }
    free(want);
    lk_eval_result_release(&r);
    assert_null(r.classes);
    lk_eval_result_release(&r); /* twice is harmless */
    lk_eval_result_release(NULL);
}

/* The same scores from a gzip truth file and a trailing '/' on DIR; no
 * report without o->out. */
static void test_gzip_truth(void **state)
{
    char truth[512], dir[512], acc[512], eb[256];
    lk_eval_opts o;
    lk_eval_result r;
    gzFile gz;
    struct stat sb;
    (void)state;

    write_file("gz/det/accounts.csv", accounts_main, acc);
    in_tmp("gz/truth.csv.gz", truth);
    gz = gzopen(truth, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, truth_main, (unsigned)strlen(truth_main)),
                     (int)strlen(truth_main));
    assert_int_equal(gzclose(gz), Z_OK);
    in_tmp("gz/det/", dir);
    lk_eval_opts_init(&o);
    o.truth = truth;
    o.dir = dir;
    assert_int_equal(lk_evaluate(&o, &r, eb, sizeof eb), LK_OK);
    check_main(&r);
    lk_eval_result_release(&r);
    assert_int_not_equal(stat(in_tmp("gz/det/evaluation.json", dir), &sb), 0);
}

/* accounts.csv with a header only: nothing flagged.  P = R = F1 = 0 (0/0
 * is defined as 0 for precision), every rate 0, no group found. */
static void test_empty_accounts(void **state)
{
    char truth[512], dir[512], acc[512], eb[256];
    lk_eval_opts o;
    lk_eval_result r;
    (void)state;

    write_file("empty/truth.csv", truth_main, truth);
    write_file("empty/det/accounts.csv", "account_id,group_id,degree,co_actions\n", acc);
    in_tmp("empty/det", dir);
    lk_eval_opts_init(&o);
    o.truth = truth;
    o.dir = dir;
    assert_int_equal(lk_evaluate(&o, &r, eb, sizeof eb), LK_OK);
    assert_int_equal(r.flagged, 0);
    assert_int_equal(r.tp, 0);
    assert_int_equal(r.fp, 0);
    assert_int_equal(r.fn, 8);
    assert_int_equal(r.detected_groups, 0);
    assert_true(r.precision == 0 && r.recall == 0 && r.f1 == 0 && r.group_recovery == 0);
    assert_int_equal(r.nclasses, 4);
    for (size_t i = 0; i < r.nclasses; i++)
        assert_true(r.classes[i].flagged == 0 && r.classes[i].rate == 0);
    assert_int_equal(r.ngroups, 3);
    expect_group(&r.groups[0], "1", 4, 0, NULL, 0, 0);
    lk_eval_result_release(&r);
}

/*
 * Ties and odd values:
 *  - group 5 = {a, b} split one each over detected groups "10" and "9":
 *    the tie goes to the numerically smaller "9" (others 1: z);
 *  - group "x" = {c, d}, both in detected group "9": share 1, others 2
 *    (a and z), and non-numeric names sort after numbers;
 *  - a coordinated account with an empty group counts as a positive but in
 *    no planted group; an empty group_id flags an account in no group;
 *  - no label other than coordinated: no classes; CRLF line ends.
 * positives 5, flagged 5 (a b c d e) + z unknown = 6, TP 5, FP 1, FN 0.
 */
static void test_ties_and_empties(void **state)
{
    char truth[512], dir[512], acc[512], eb[256];
    lk_eval_opts o;
    lk_eval_result r;
    (void)state;

    write_file("ties/truth.csv",
               "account_id,label,group\r\n"
               "a,coordinated,5\r\n"
               "b,coordinated,5\r\n"
               "c,coordinated,x\r\n"
               "d,coordinated,x\r\n"
               "e,coordinated,\r\n",
               truth);
    write_file("ties/det/accounts.csv",
               "group_id,account_id\r\n"
               "10,b\r\n"
               "9,a\r\n"
               "9,c\r\n"
               "9,d\r\n"
               ",e\r\n"
               "9,z\r\n",
               acc);
    in_tmp("ties/det", dir);
    lk_eval_opts_init(&o);
    o.truth = truth;
    o.dir = dir;
    assert_int_equal(lk_evaluate(&o, &r, eb, sizeof eb), LK_OK);
    assert_int_equal(r.positives, 5);
    assert_int_equal(r.flagged, 6);
    assert_int_equal(r.tp, 5);
    assert_int_equal(r.fp, 1);
    assert_int_equal(r.fn, 0);
    assert_int_equal(r.unknown_accounts, 1);
    assert_int_equal(r.detected_groups, 2);
    assert_true(fabs(r.recall - 1) < 1e-12);
    assert_int_equal(r.nclasses, 0);
    assert_int_equal(r.ngroups, 2);
    expect_group(&r.groups[0], "5", 2, 2, "9", 1, 3);
    expect_group(&r.groups[1], "x", 2, 2, "9", 2, 2);
    assert_true(fabs(r.group_recovery - 0.75) < 1e-12);
    lk_eval_result_release(&r);
}

/* Run a failing evaluation and compare its message, with tmpdir written
 * as "T" in `want`. */
static void expect_error(const char *truth, const char *dir, const char *out, lk_status want_st,
                         const char *want)
{
    char eb[512], exp[1024];
    lk_eval_opts o;
    lk_eval_result r;
    size_t k = 0;

    for (const char *p = want; *p && k + 300 < sizeof exp; p++) {
        if (*p == 'T' && (p[1] == '/' || p[1] == '\'')) {
            k += (size_t)snprintf(exp + k, sizeof exp - k, "%s", tmpdir);
        } else {
            exp[k++] = *p;
        }
    }
    exp[k] = '\0';
    lk_eval_opts_init(&o);
    o.truth = truth;
    o.dir = dir;
    o.out = out;
    assert_int_equal(lk_evaluate(&o, &r, eb, sizeof eb), want_st);
    assert_string_equal(eb, exp);
    assert_null(r.classes);
    assert_null(r.groups);
    lk_eval_result_release(&r);
}

static void test_errors(void **state)
{
    char truth[512], dir[512], p[512], q[512];
    (void)state;

    write_file("err/truth.csv", truth_main, truth);
    write_file("err/det/accounts.csv", accounts_main, p);
    in_tmp("err/det", dir);

    /* arguments */
    expect_error(NULL, dir, NULL, LK_EINVAL, "no truth file given");
    expect_error(truth, "", NULL, LK_EINVAL, "no detect output folder given");

    /* truth.csv */
    expect_error(in_tmp("err/nope.csv", p), dir, NULL, LK_EIO,
                 "cannot open 'T/err/nope.csv': No such file or directory");
    expect_error(write_file("err/t_empty.csv", "", p), dir, NULL, LK_EPARSE,
                 "T/err/t_empty.csv: empty input: no header line");
    expect_error(write_file("err/t_col.csv", "account_id,labels,group\na,organic,\n", p), dir, NULL,
                 LK_EPARSE,
                 "T/err/t_col.csv:1: missing column 'label' (the header has 'account_id', "
                 "'labels', 'group')");
    expect_error(write_file("err/t_dup.csv",
                            "account_id,label,group\na1,organic,\nb,fan,\na1,coordinated,3\n", p),
                 dir, NULL, LK_EPARSE,
                 "T/err/t_dup.csv:4: duplicate account 'a1' (first on line 2)");
    expect_error(write_file("err/t_width.csv", "account_id,label,group\na,organic\n", p), dir, NULL,
                 LK_EPARSE, "T/err/t_width.csv:2: expected 3 fields as in the header, found 2");
    expect_error(write_file("err/t_noacc.csv", "account_id,label,group\n,organic,\n", p), dir, NULL,
                 LK_EPARSE, "T/err/t_noacc.csv:2: empty account_id");
    expect_error(write_file("err/t_nolabel.csv", "account_id,label,group\nq,,\n", p), dir, NULL,
                 LK_EPARSE, "T/err/t_nolabel.csv:2: empty label for account 'q'");
    expect_error(write_file("err/t_quote.csv", "account_id,label,group\n\"a,organic,\n", p), dir,
                 NULL, LK_EPARSE, "T/err/t_quote.csv:2: unterminated quoted field");

    /* the detect folder */
    expect_error(truth, in_tmp("err/none", p), NULL, LK_EIO,
                 "cannot open folder 'T/err/none': No such file or directory");
    expect_error(truth, truth, NULL, LK_EIO,
                 "'T/err/truth.csv' is not a folder (expected a lockstep detect output folder)");
    expect_error(truth, in_tmp("err", p), NULL, LK_EIO,
                 "'T/err' has no accounts.csv (not a lockstep detect output folder?)");
    write_file("err/a_col/accounts.csv", "account_id,group\nc1,1\n", p);
    expect_error(truth, in_tmp("err/a_col", q), NULL, LK_EPARSE,
                 "T/err/a_col/accounts.csv:1: missing column 'group_id' (the header has "
                 "'account_id', 'group')");
    write_file("err/a_dup/accounts.csv", "account_id,group_id\nc1,1\nzz,1\nc2,1\nzz,2\n", p);
    expect_error(truth, in_tmp("err/a_dup", q), NULL, LK_EPARSE,
                 "T/err/a_dup/accounts.csv:5: duplicate account 'zz' (first on line 3)");
    write_file("err/a_nohdr/accounts.csv", "", p);
    expect_error(truth, in_tmp("err/a_nohdr", q), NULL, LK_EPARSE,
                 "T/err/a_nohdr/accounts.csv: empty input: no header line");

    /* the report: a missing folder, and a folder in the way */
    expect_error(truth, dir, in_tmp("err/no/such/report.json", p), LK_EIO,
                 "cannot write 'T/err/no/such/report.json': No such file or directory");
    expect_error(truth, dir, dir, LK_EIO, "cannot write 'T/err/det': Is a directory");
}

/* A failed report leaves no temporary file behind (the report's temporary
 * file is made beside it, here in left/). */
static void test_no_leftovers(void **state)
{
    char truth[512], dir[512], p[512], cmd[700], eb[256];
    lk_eval_opts o;
    lk_eval_result r;
    (void)state;

    write_file("left/truth.csv", truth_main, truth);
    write_file("left/det/accounts.csv", accounts_main, p);
    lk_eval_opts_init(&o);
    o.truth = truth;
    o.dir = in_tmp("left/det", dir);
    o.out = dir; /* a folder is in the way */
    assert_int_equal(lk_evaluate(&o, &r, eb, sizeof eb), LK_EIO);
    (void)snprintf(cmd, sizeof cmd, "test \"$(ls '%s/left' | tr '\\n' ' ')\" = 'det truth.csv '",
                   tmpdir);
    assert_int_equal(system(cmd), 0);
}

/* A symlink (or device) as the report is written through, not replaced:
 * the temporary-file-and-rename path is only for regular files. */
static void test_report_through_symlink(void **state)
{
    char truth[512], dir[512], link[512], target[512], eb[256];
    lk_eval_opts o;
    lk_eval_result r;
    struct stat sb;
    char *got;
    (void)state;

    write_file("sym/truth.csv", truth_main, truth);
    write_file("sym/det/accounts.csv", accounts_main, dir);
    write_file("sym/target.json", "old", target);
    in_tmp("sym/link.json", link);
    assert_int_equal(symlink("target.json", link), 0);
    lk_eval_opts_init(&o);
    o.truth = truth;
    o.dir = in_tmp("sym/det", dir);
    o.out = link;
    assert_int_equal(lk_evaluate(&o, &r, eb, sizeof eb), LK_OK);
    lk_eval_result_release(&r);
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    got = slurp(target);
    assert_non_null(strstr(got, "\"f1\": 0.705882,"));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_case),
        cmocka_unit_test(test_gzip_truth),
        cmocka_unit_test(test_empty_accounts),
        cmocka_unit_test(test_ties_and_empties),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_no_leftovers),
        cmocka_unit_test(test_report_through_symlink),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
