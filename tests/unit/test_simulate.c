/*
 * test_simulate.c - lk_simulate: determinism, volume, schema, ground truth,
 * and that the planted groups really co-act (checked by reading the CSV
 * back, independently of the generator's internals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lk_internal.h"
#include "rng.h"

#define T0      INT64_C(1672531200)
#define ROWS    20000
#define GROUPS  4
#define GSIZE   6
#define WINDOW  30
#define MIN_OBJ 10
#define WHO_MAX ((size_t)4 * GSIZE) /* distinct members in one window, with room */

typedef struct row {
    uint64_t object, account, content;
    int64_t t;
} row;

typedef struct truth {
    uint64_t account;
    int label; /* 0 organic, 1 fan, 2 newsbot, 3 coordinated */
    unsigned group;
} truth;

/* ---- helpers ---------------------------------------------------------- */

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/lk_simulate_XXXXXX";
    char *d = mkdtemp(tmpl);

    assert_non_null(d);
    return strdup(d);
}

static char *join(const char *dir, const char *name)
{
    const size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    assert_non_null(p);
    assert_true(snprintf(p, n, "%s/%s", dir, name) > 0);
    return p;
}

/* Remove DIR/actions.csv, DIR/truth.csv and DIR (whatever exists). */
static void remove_out(const char *dir)
{
    char *a = join(dir, "actions.csv"), *t = join(dir, "truth.csv");

    (void)unlink(a);
    (void)unlink(t);
    (void)rmdir(dir);
    free(a);
    free(t);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    assert_int_equal(fclose(f), 0);
    *len = (size_t)n;
    return p;
}

static void run_sim(uint64_t seed, const char *dir)
{
    lk_simulate_opts o;
    char err[256];

    lk_simulate_opts_init(&o);
    o.seed = seed;
    o.actions = ROWS;
    o.groups = GROUPS;
    o.group_size = GSIZE;
    o.max_popularity = 2000;
    o.out_dir = dir;
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_OK);
    assert_string_equal(err, "");
}

/* Split a line at commas into at most nf fields (no quoting in our data);
 * missing fields are "" so that a failed count check cannot crash. */
static int split(char *line, char **f, int nf)
{
    static char empty[1];
    int n = 0;

    for (int i = 0; i < nf; i++)
        f[i] = empty;
    f[n++] = line;
    for (char *p = line; *p; p++)
        if (*p == ',') {
            *p = '\0';
            if (n == nf)
                return -1;
            f[n++] = p + 1;
        }
    return n;
}

static uint64_t hex_id(const char *s)
{
    char *end;
    unsigned long long v;

    assert_int_equal(strlen(s), 16);
    errno = 0;
    v = strtoull(s, &end, 16);
    assert_int_equal(errno, 0);
    assert_true(*end == '\0');
    return (uint64_t)v;
}

/* Parse actions.csv into rows; checks the header. */
static row *read_actions(char *text, size_t *nrows)
{
    char *save = NULL, *line;
    row *v = NULL;
    size_t n = 0, cap = 0;

    line = strtok_r(text, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, "object_id,account_id,content_id,timestamp_share");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[4];
        char *end;

        assert_int_equal(split(line, f, 4), 4);
        assert_int_equal(LK_GROW(v, n + 1, cap), LK_OK);
        v[n].object = hex_id(f[0]);
        v[n].account = hex_id(f[1]);
        v[n].content = hex_id(f[2]);
        v[n].t = strtoll(f[3], &end, 10);
        assert_true(*end == '\0' && end != f[3]);
        n++;
    }
    *nrows = n;
    return v;
}

static truth *read_truth(char *text, size_t *ntruth)
{
    static const char *const labels[] = {"organic", "fan", "newsbot", "coordinated"};
    char *save = NULL, *line;
    truth *v = NULL;
    size_t n = 0, cap = 0;

    line = strtok_r(text, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, "account_id,label,group");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[3];
        int k;

        assert_int_equal(split(line, f, 3), 3);
        assert_int_equal(LK_GROW(v, n + 1, cap), LK_OK);
        v[n].account = hex_id(f[0]);
        for (k = 0; k < 4; k++)
            if (strcmp(f[1], labels[k]) == 0)
                break;
        assert_true(k < 4);
        v[n].label = k;
        if (k == 3) {
            char *end;
            const unsigned long g = strtoul(f[2], &end, 10);

            assert_true(*end == '\0' && end != f[2]);
            assert_true(g >= 1 && g <= GROUPS);
            v[n].group = (unsigned)g;
        } else {
            assert_string_equal(f[2], "");
            v[n].group = 0;
        }
        n++;
    }
    *ntruth = n;
    return v;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static int cmp_truth(const void *a, const void *b)
{
    return cmp_u64(&((const truth *)a)->account, &((const truth *)b)->account);
}

/* Rows of one group's members, ordered by (object, time). */
static int cmp_row(const void *a, const void *b)
{
    const row *x = a, *y = b;

    if (x->object != y->object)
        return x->object < y->object ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static const truth *find_truth(const truth *v, size_t n, uint64_t id)
{
    const truth key = {id, 0, 0};

    return bsearch(&key, v, n, sizeof *v, cmp_truth);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_deterministic(void **state)
{
    char *d1 = make_tmpdir(), *d2 = make_tmpdir(), *d3 = make_tmpdir();
    const char *const names[] = {"actions.csv", "truth.csv"};

    (void)state;
    run_sim(42, d1);
    run_sim(42, d2);
    run_sim(43, d3);
    for (int i = 0; i < 2; i++) {
        char *p1 = join(d1, names[i]), *p2 = join(d2, names[i]), *p3 = join(d3, names[i]);
        size_t n1, n2, n3;
        char *a = slurp(p1, &n1), *b = slurp(p2, &n2), *c = slurp(p3, &n3);

        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        assert_true(n1 != n3 || memcmp(a, c, n1) != 0);
        free(a);
        free(b);
        free(c);
        free(p1);
        free(p2);
        free(p3);
    }
    remove_out(d1);
    remove_out(d2);
    remove_out(d3);
    free(d1);
    free(d2);
    free(d3);
}

static void test_content(void **state)
{
    char *dir = make_tmpdir();
    char *pa = join(dir, "actions.csv"), *pt = join(dir, "truth.csv");
    size_t alen, tlen, nrows, ntruth, nacc = 0;
    char *atext, *ttext;
    row *rows;
    truth *tr;
    uint64_t *ids;
    size_t per_label[4] = {0, 0, 0, 0}, per_group[GROUPS + 1] = {0};
    const int64_t span = INT64_C(30) * 86400;

    (void)state;
    run_sim(7, dir);
    atext = slurp(pa, &alen);
    ttext = slurp(pt, &tlen);
    rows = read_actions(atext, &nrows);
    tr = read_truth(ttext, &ntruth);

    /* Volume: seed 7 gives 20006 rows for 20000 asked (+0.03%). */
    assert_true(nrows >= ROWS * 95 / 100 && nrows <= ROWS * 105 / 100);

    /* Time range and unique content ids. */
    ids = malloc((nrows + 1) * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < nrows; i++) {
        assert_true(rows[i].t >= T0 && rows[i].t <= T0 + span + 86400);
        ids[i] = rows[i].content;
    }
    qsort(ids, nrows, sizeof *ids, cmp_u64);
    for (size_t i = 1; i < nrows; i++)
        assert_true(ids[i] != ids[i - 1]);

    /* truth.csv lists each account once, and exactly the accounts that act. */
    qsort(tr, ntruth, sizeof *tr, cmp_truth);
    for (size_t i = 1; i < ntruth; i++)
        assert_true(tr[i].account != tr[i - 1].account);
    for (size_t i = 0; i < nrows; i++)
        ids[i] = rows[i].account;
    qsort(ids, nrows, sizeof *ids, cmp_u64);
    for (size_t i = 0; i < nrows; i++) {
        if (i > 0 && ids[i] == ids[i - 1])
            continue;
        assert_non_null(find_truth(tr, ntruth, ids[i]));
        nacc++;
    }
    assert_int_equal(nacc, ntruth);

    /* Every label is present; each group has exactly GSIZE members. */
    for (size_t i = 0; i < ntruth; i++) {
        per_label[tr[i].label]++;
        per_group[tr[i].group]++;
    }
    for (int k = 0; k < 4; k++)
        assert_true(per_label[k] > 0);
    assert_int_equal(per_label[3], GROUPS * GSIZE);
    for (unsigned g = 1; g <= GROUPS; g++)
        assert_int_equal(per_group[g], GSIZE);

    /* Each group co-acts: >= MIN_OBJ objects where >= 3 distinct members act
     * within WINDOW seconds of each other. */
    for (unsigned g = 1; g <= GROUPS; g++) {
        row *mine = malloc((nrows + 1) * sizeof *mine);
        size_t n = 0, objects = 0;

        assert_non_null(mine);
        for (size_t i = 0; i < nrows; i++) {
            const truth *t = find_truth(tr, ntruth, rows[i].account);

            if (t->group == g)
                mine[n++] = rows[i];
        }
        qsort(mine, n, sizeof *mine, cmp_row);
        for (size_t lo = 0; lo < n;) {
            size_t hi = lo;
            int hit = 0;

            while (hi < n && mine[hi].object == mine[lo].object)
                hi++;
            /* Per start row, count distinct members in [t, t + WINDOW]. */
            for (size_t i = lo; i < hi && !hit; i++) {
                uint64_t who[WHO_MAX];
                size_t nw = 0;

                for (size_t j = i; j < hi && mine[j].t - mine[i].t <= WINDOW; j++) {
                    size_t k = 0;

                    while (k < nw && who[k] != mine[j].account)
                        k++;
                    if (k == nw && nw < WHO_MAX)
                        who[nw++] = mine[j].account;
                }
                hit = nw >= 3;
            }
            objects += (size_t)hit;
            lo = hi;
        }
        assert_true(objects >= MIN_OBJ);
        free(mine);
    }

    free(ids);
    free(rows);
    free(tr);
    free(atext);
    free(ttext);
    remove_out(dir);
    free(pa);
    free(pt);
    free(dir);
}

static void expect_einval(const lk_simulate_opts *o)
{
    char err[256];

    assert_int_equal(lk_simulate(o, err, sizeof err), LK_EINVAL);
    assert_true(err[0] != '\0');
    /* NULL errbuf is allowed. */
    assert_int_equal(lk_simulate(o, NULL, 0), LK_EINVAL);
}

static void test_bad_options(void **state)
{
    lk_simulate_opts o;

    (void)state;
    lk_simulate_opts_init(&o);
    o.out_dir = "/proc/nonexistent/never-created";
    o.actions = 0;
    expect_einval(&o);
    lk_simulate_opts_init(&o);
    o.out_dir = "/proc/nonexistent/never-created";
    o.group_size = 1;
    expect_einval(&o);
    o.group_size = 8;
    o.max_popularity = 1;
    expect_einval(&o);
    o.max_popularity = 100;
    o.span_s = 0;
    expect_einval(&o);
    o.span_s = 86400;
    o.groups = 1000; /* 1000 groups of 8 in 100000 actions: too many */
    expect_einval(&o);
    o.groups = 5;
    o.out_dir = NULL;
    expect_einval(&o);
    o.out_dir = "";
    expect_einval(&o);
}

static void test_unwritable(void **state)
{
    lk_simulate_opts o;
    char err[256];
    char *dir, *blocker, *tpath;
    struct stat st;

    (void)state;
    lk_simulate_opts_init(&o);
    o.actions = 1000;
    o.groups = 0;
    o.out_dir = "/proc/nonexistent/x";
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_EIO);
    assert_non_null(strstr(err, "/proc/nonexistent"));

    /* actions.csv cannot be opened (it is a directory): LK_EIO, the path in
     * the message, and no truth.csv left behind. */
    dir = make_tmpdir();
    blocker = join(dir, "actions.csv");
    tpath = join(dir, "truth.csv");
    assert_int_equal(mkdir(blocker, 0700), 0);
    o.out_dir = dir;
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_EIO);
    assert_non_null(strstr(err, "cannot write '"));
    assert_non_null(strstr(err, blocker));
    assert_int_equal(stat(tpath, &st), -1);
    assert_int_equal(stat(blocker, &st), 0); /* not ours: left alone */
    assert_int_equal(rmdir(blocker), 0);

    /* truth.csv cannot be written: actions.csv, complete by then, goes too. */
    assert_int_equal(mkdir(tpath, 0700), 0);
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_EIO);
    assert_non_null(strstr(err, tpath));
    assert_int_equal(stat(blocker, &st), -1);
    assert_int_equal(rmdir(tpath), 0);
    remove_out(dir);
    free(blocker);
    free(tpath);
    free(dir);
}

/* Ids are lk_mix64 of an index; the truth writer relies on the inverse. */
static void test_mix_inverse(void **state)
{
    lk_rng r;

    (void)state;
    lk_rng_seed(&r, 99);
    for (uint64_t i = 0; i < 1000; i++) {
        const uint64_t x = i < 500 ? i : lk_rng_next(&r);

        assert_true(lk_unmix64(lk_mix64(x)) == x);
    }
}

/* Creates nested directories; zero groups and a tiny run still work. */
static void test_small_nested(void **state)
{
    lk_simulate_opts o;
    char err[256];
    char *dir = make_tmpdir(), *sub = join(dir, "a"), *nested = join(sub, "b");
    char *pa = join(nested, "actions.csv");
    size_t len, lines = 0;
    char *text;

    (void)state;
    lk_simulate_opts_init(&o);
    o.actions = 1;
    o.groups = 0;
    o.out_dir = nested;
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_OK);
    text = slurp(pa, &len);
    /* Header plus exactly one row. */
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, 2);
    free(text);
    remove_out(nested);
    (void)rmdir(sub);
    (void)rmdir(dir);
    free(pa);
    free(nested);
    free(sub);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_content),
        cmocka_unit_test(test_bad_options),   cmocka_unit_test(test_unwritable),
        cmocka_unit_test(test_small_nested),  cmocka_unit_test(test_mix_inverse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
