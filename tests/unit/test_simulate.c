/*
 * test_simulate.c - lk_simulate: determinism, volume, schema, ground truth,
 * the Twitter-archive file, and that every kind of planted group really
 * co-acts at its own time scale.  Everything is checked by reading the
 * files back (with the project's CSV scanner and normalisers),
 * independently of the generator's internals.
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
#include "normalize.h"
#include "parse_csv.h"
#include "parse_time.h"
#include "rng.h"

#define T0      INT64_C(1672531200)
#define ROWS    30000
#define GROUPS  6
#define GSIZE   6
#define MIN_OBJ 10
#define WHO_MAX ((size_t)4 * GSIZE) /* distinct members in one window, with room */

enum { TR_SHARE, TR_QUOTE, TR_REPLY, TR_URL, TR_HASHTAG, TR_MENTION, TR_TEXT, TR_N };

static const char *const trace_names[TR_N] = {"share",   "quote",   "reply", "url",
                                              "hashtag", "mention", "text"};

enum { L_ORGANIC, L_FAN, L_NEWSBOT, L_COORD, L_N };

static const char *const label_names[L_N] = {"organic", "fan", "newsbot", "coordinated"};
static const char *const kind_names[6] = {"retweet_ring",  "link_pusher", "copypasta",
                                          "hashtag_flood", "reply_swarm", "slow_ring"};

/* The 31 columns of FORMATS.md A.1, in order. */
static const char *const io_header[31] = {"tweetid",
                                          "userid",
                                          "user_display_name",
                                          "user_screen_name",
                                          "user_reported_location",
                                          "user_profile_description",
                                          "user_profile_url",
                                          "follower_count",
                                          "following_count",
                                          "account_creation_date",
                                          "account_language",
                                          "tweet_language",
                                          "tweet_text",
                                          "tweet_time",
                                          "tweet_client_name",
                                          "in_reply_to_userid",
                                          "in_reply_to_tweetid",
                                          "quoted_tweet_tweetid",
                                          "is_retweet",
                                          "retweet_userid",
                                          "retweet_tweetid",
                                          "latitude",
                                          "longitude",
                                          "quote_count",
                                          "reply_count",
                                          "like_count",
                                          "retweet_count",
                                          "hashtags",
                                          "urls",
                                          "user_mentions",
                                          "poll_choices"};

typedef struct row {
    char *object; /* owned */
    uint64_t account, content;
    int64_t t;
    int trace;
} row;

typedef struct truth {
    uint64_t account;
    int label, kind; /* kind -1 unless coordinated */
    unsigned group;
} truth;

typedef struct data {
    row *rows;
    size_t nrows;
    truth *tr;
    size_t ntr;
} data;

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

static const char *const out_files[] = {"actions.csv", "tweets.csv", "truth.csv"};

static void remove_out(const char *dir)
{
    for (int i = 0; i < 3; i++) {
        char *p = join(dir, out_files[i]);

        (void)unlink(p);
        free(p);
    }
    (void)rmdir(dir);
}

static int exists(const char *dir, const char *name)
{
    struct stat st;
    char *p = join(dir, name);
    const int r = stat(p, &st) == 0;

    free(p);
    return r;
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

static void run_opts(uint64_t seed, const char *dir, uint64_t actions, uint32_t groups,
                     const char *kinds)
{
    lk_simulate_opts o;
    char err[256];

    lk_simulate_opts_init(&o);
    o.seed = seed;
    o.actions = actions;
    o.groups = groups;
    o.group_size = GSIZE;
    o.max_popularity = 2000;
    o.kinds = kinds;
    o.out_dir = dir;
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_OK);
    assert_string_equal(err, "");
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

/* Scan a CSV file with the project's scanner; fn sees every record. */
typedef void (*row_fn)(const lk_csv_row *r, void *ctx);

static void scan_csv(const char *path, row_fn fn, void *ctx)
{
    char err[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    lk_csv *c = NULL;
    lk_csv_row r;
    lk_status st;

    assert_int_equal(lk_stream_open(path, &s, err), LK_OK);
    assert_int_equal(lk_csv_open(s, ',', &c), LK_OK);
    while ((st = lk_csv_next(c, &r)) == LK_OK)
        fn(&r, ctx);
    assert_int_equal(st, LK_EOF);
    lk_csv_free(c);
    lk_stream_close(s);
}

static int find_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static void action_row(const lk_csv_row *r, void *ctx)
{
    data *d = ctx;
    static size_t cap;
    char *end;
    row *w;

    assert_int_equal(r->nfields, 5);
    if (r->line == 1) {
        static const char *const h[5] = {"object_id", "account_id", "content_id", "timestamp_share",
                                         "trace"};

        for (int i = 0; i < 5; i++)
            assert_string_equal(r->field[i], h[i]);
        cap = 0;
        return;
    }
    assert_int_equal(LK_GROW(d->rows, d->nrows + 1, cap), LK_OK);
    w = &d->rows[d->nrows++];
    w->object = strdup(r->field[0]);
    assert_non_null(w->object);
    assert_true(r->len[0] > 0);
    w->account = hex_id(r->field[1]);
    w->content = hex_id(r->field[2]);
    w->t = strtoll(r->field[3], &end, 10);
    assert_true(*end == '\0' && end != r->field[3]);
    w->trace = find_name(trace_names, TR_N, r->field[4]);
    assert_true(w->trace >= 0);
}

static void truth_row(const lk_csv_row *r, void *ctx)
{
    data *d = ctx;
    static size_t cap;
    truth *t;

    assert_int_equal(r->nfields, 4);
    if (r->line == 1) {
        assert_string_equal(r->field[0], "account_id");
        assert_string_equal(r->field[1], "label");
        assert_string_equal(r->field[2], "group");
        assert_string_equal(r->field[3], "kind");
        cap = 0;
        return;
    }
    assert_int_equal(LK_GROW(d->tr, d->ntr + 1, cap), LK_OK);
    t = &d->tr[d->ntr++];
    t->account = hex_id(r->field[0]);
    t->label = find_name(label_names, L_N, r->field[1]);
    assert_true(t->label >= 0);
    t->kind = -1;
    t->group = 0;
    if (t->label == L_COORD) {
        char *end;
        const unsigned long g = strtoul(r->field[2], &end, 10);

        assert_true(*end == '\0' && end != r->field[2] && g >= 1);
        t->group = (unsigned)g;
        t->kind = find_name(kind_names, 6, r->field[3]);
        assert_true(t->kind >= 0);
    } else {
        assert_string_equal(r->field[2], "");
        assert_string_equal(r->field[3], "");
    }
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

static const truth *find_truth(const data *d, uint64_t id)
{
    const truth key = {id, 0, 0, 0};

    return bsearch(&key, d->tr, d->ntr, sizeof *d->tr, cmp_truth);
}

static void load(const char *dir, data *d)
{
    char *pa = join(dir, "actions.csv"), *pt = join(dir, "truth.csv");

    memset(d, 0, sizeof *d);
    scan_csv(pa, action_row, d);
    scan_csv(pt, truth_row, d);
    /* truth.csv comes sorted by id, each account once */
    for (size_t i = 1; i < d->ntr; i++)
        assert_true(d->tr[i].account > d->tr[i - 1].account);
    free(pa);
    free(pt);
}

static void unload(data *d)
{
    for (size_t i = 0; i < d->nrows; i++)
        free(d->rows[i].object);
    free(d->rows);
    free(d->tr);
}

/* ---- co-action counting ------------------------------------------------- */

/* One action of a group member, keyed for its trace. */
typedef struct act {
    char *key; /* owned */
    int64_t t;
    uint64_t account;
} act;

static int cmp_act(const void *a, const void *b)
{
    const act *x = a, *y = b;
    const int c = strcmp(x->key, y->key);

    if (c)
        return c;
    return (x->t > y->t) - (x->t < y->t);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const act *)a)->key, ((const act *)b)->key);
}

typedef char *(*key_fn)(const char *object);

static char *key_same(const char *o)
{
    return strdup(o);
}

static char *key_url(const char *o)
{
    lk_buf b;

    lk_buf_init(&b);
    assert_int_equal(lk_norm_url(o, strlen(o), &b), LK_OK);
    assert_true(b.len > 0);
    return b.p;
}

static char *key_text(const char *o)
{
    lk_buf b;

    lk_buf_init(&b);
    assert_int_equal(lk_norm_text(o, strlen(o), &b), LK_OK);
    return b.len ? b.p : strdup(o);
}

static char *key_tag(const char *o)
{
    char *k = strdup(o + (o[0] == '#'));

    for (char *p = k; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return k;
}

/* The actions of trace tr by members of group g, keyed and sorted. */
static act *group_acts(const data *d, unsigned g, int tr, key_fn key, size_t *n)
{
    act *v = malloc((d->nrows + 1) * sizeof *v);

    assert_non_null(v);
    *n = 0;
    for (size_t i = 0; i < d->nrows; i++) {
        const truth *t = find_truth(d, d->rows[i].account);

        assert_non_null(t);
        if (t->group != g || d->rows[i].trace != tr)
            continue;
        v[*n].key = key(d->rows[i].object);
        v[*n].t = d->rows[i].t;
        v[*n].account = d->rows[i].account;
        (*n)++;
    }
    lk_qsort(v, *n, sizeof *v, cmp_act);
    return v;
}

static void free_acts(act *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
}

/* Objects on which >= min_members distinct members act within `window`
 * seconds of each other. */
static size_t co_objects(const act *v, size_t n, int64_t window, size_t min_members)
{
    size_t objects = 0;

    for (size_t lo = 0; lo < n;) {
        size_t hi = lo;
        int hit = 0;

        while (hi < n && strcmp(v[hi].key, v[lo].key) == 0)
            hi++;
        for (size_t i = lo; i < hi && !hit; i++) {
            uint64_t who[WHO_MAX];
            size_t nw = 0;

            for (size_t j = i; j < hi && v[j].t - v[i].t <= window; j++) {
                size_t k = 0;

                while (k < nw && who[k] != v[j].account)
                    k++;
                if (k == nw && nw < WHO_MAX)
                    who[nw++] = v[j].account;
            }
            hit = nw >= min_members;
        }
        objects += (size_t)hit;
        lo = hi;
    }
    return objects;
}

/* Keep the actions on posts by members of group g (the ring's own posts;
 * members also retweet viral posts with everybody else). */
static size_t keep_own_posts(const data *d, unsigned g, act *v, size_t n)
{
    uint64_t *own = malloc((d->nrows + 1) * sizeof *own);
    size_t no = 0, k = 0;

    assert_non_null(own);
    for (size_t i = 0; i < d->nrows; i++)
        if (find_truth(d, d->rows[i].account)->group == g)
            own[no++] = d->rows[i].content;
    qsort(own, no, sizeof *own, cmp_u64);
    for (size_t i = 0; i < n; i++) {
        const uint64_t id = hex_id(v[i].key);

        if (bsearch(&id, own, no, sizeof *own, cmp_u64))
            v[k++] = v[i];
        else
            free(v[i].key);
    }
    free(own);
    return k;
}

/* The group of kind k, with the default kind order. */
static unsigned group_of_kind(const data *d, int k)
{
    for (size_t i = 0; i < d->ntr; i++)
        if (d->tr[i].kind == k)
            return d->tr[i].group;
    fail_msg("no group of kind %s", kind_names[k]);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_deterministic(void **state)
{
    char *d1 = make_tmpdir(), *d2 = make_tmpdir(), *d3 = make_tmpdir();

    (void)state;
    run_opts(42, d1, 20000, GROUPS, NULL);
    run_opts(42, d2, 20000, GROUPS, NULL);
    run_opts(43, d3, 20000, GROUPS, NULL);
    for (int i = 0; i < 3; i++) {
        char *p1 = join(d1, out_files[i]), *p2 = join(d2, out_files[i]),
             *p3 = join(d3, out_files[i]);
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
    data d;
    uint64_t *ids;
    size_t nacc = 0, per_label[L_N] = {0}, per_group[GROUPS + 1] = {0}, per_trace[TR_N] = {0};
    const int64_t span = INT64_C(30) * 86400;

    (void)state;
    run_opts(7, dir, ROWS, GROUPS, NULL);
    load(dir, &d);

    /* Volume: within 3% of the rows asked for. */
    assert_true(d.nrows >= ROWS * 97 / 100 && d.nrows <= ROWS * 103 / 100);

    /* Time range; every trace occurs. */
    for (size_t i = 0; i < d.nrows; i++) {
        assert_true(d.rows[i].t >= T0 && d.rows[i].t <= T0 + span + 86400);
        per_trace[d.rows[i].trace]++;
    }
    for (int k = 0; k < TR_N; k++)
        assert_true(per_trace[k] > 0);

    /* truth.csv lists exactly the accounts that act. */
    ids = malloc((d.nrows + 1) * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < d.nrows; i++)
        ids[i] = d.rows[i].account;
    qsort(ids, d.nrows, sizeof *ids, cmp_u64);
    for (size_t i = 0; i < d.nrows; i++) {
        if (i > 0 && ids[i] == ids[i - 1])
            continue;
        assert_non_null(find_truth(&d, ids[i]));
        nacc++;
    }
    assert_int_equal(nacc, d.ntr);

    /* Every label; each group has GSIZE members of one kind, kinds in the
     * default order round-robin. */
    for (size_t i = 0; i < d.ntr; i++) {
        per_label[d.tr[i].label]++;
        assert_true(d.tr[i].group <= GROUPS);
        per_group[d.tr[i].group]++;
        if (d.tr[i].group)
            assert_int_equal(d.tr[i].kind, (int)(d.tr[i].group - 1) % 6);
    }
    for (int k = 0; k < L_N; k++)
        assert_true(per_label[k] > 0);
    assert_int_equal(per_label[L_COORD], GROUPS * GSIZE);
    for (unsigned g = 1; g <= GROUPS; g++)
        assert_int_equal(per_group[g], GSIZE);

    free(ids);
    unload(&d);
    remove_out(dir);
    free(dir);
}

/* Each kind co-acts on its own objects at its own time scale. */
static void test_kinds(void **state)
{
    char *dir = make_tmpdir();
    data d;
    act *v;
    size_t n, objs;
    unsigned g;

    (void)state;
    run_opts(7, dir, ROWS, GROUPS, NULL);
    load(dir, &d);

    /* retweet_ring: >= 3 members retweet the same post within 30 s. */
    g = group_of_kind(&d, 0);
    v = group_acts(&d, g, TR_SHARE, key_same, &n);
    objs = co_objects(v, n, 30, 3);
    print_message("retweet_ring: %zu posts co-retweeted within 30 s\n", objs);
    assert_true(objs >= MIN_OBJ);
    free_acts(v, n);

    /* slow_ring: the same, but never within a minute; found with 30 min. */
    g = group_of_kind(&d, 5);
    v = group_acts(&d, g, TR_SHARE, key_same, &n);
    n = keep_own_posts(&d, g, v, n);
    objs = co_objects(v, n, 1800, 2);
    print_message("slow_ring: %zu own posts co-retweeted within 30 min, %zu within 60 s\n", objs,
                  co_objects(v, n, 60, 2));
    assert_true(objs >= MIN_OBJ);
    assert_int_equal(co_objects(v, n, 60, 2), 0);
    free_acts(v, n);

    /* link_pusher: URL variants that normalise to one key, >= 3 members
     * within 5 min; the raw strings differ. */
    g = group_of_kind(&d, 1);
    v = group_acts(&d, g, TR_URL, key_url, &n);
    objs = co_objects(v, n, 300, 3);
    print_message("link_pusher: %zu normalised URLs within 5 min\n", objs);
    assert_true(objs >= MIN_OBJ);
    free_acts(v, n);
    v = group_acts(&d, g, TR_URL, key_same, &n);
    print_message("link_pusher: %zu raw URLs within 5 min\n", co_objects(v, n, 300, 3));
    assert_true(co_objects(v, n, 300, 3) < objs / 2);
    free_acts(v, n);

    /* copypasta: the same normalised text from >= 2 members within 10 min,
     * more often than the same raw text (case edits fold away). */
    g = group_of_kind(&d, 2);
    v = group_acts(&d, g, TR_TEXT, key_text, &n);
    objs = co_objects(v, n, 600, 2);
    print_message("copypasta: %zu normalised texts within 10 min\n", objs);
    assert_true(objs >= MIN_OBJ / 2); /* 30% exact copies, some only re-cased */
    free_acts(v, n);
    v = group_acts(&d, g, TR_TEXT, key_same, &n);
    assert_true(co_objects(v, n, 600, 2) < objs);
    free_acts(v, n);

    /* hashtag_flood: the same campaign tag from >= 3 members within 15 min,
     * tags no organic account uses. */
    g = group_of_kind(&d, 3);
    v = group_acts(&d, g, TR_HASHTAG, key_tag, &n);
    objs = co_objects(v, n, 900, 3);
    print_message("hashtag_flood: %zu tags within 15 min\n", objs);
    assert_true(objs >= MIN_OBJ);
    {
        /* ...and so they do on tags no account outside the group uses */
        unsigned char *outside = calloc(n + 1, 1);
        act *mine = malloc((n + 1) * sizeof *mine);
        size_t nm = 0;

        assert_non_null(outside);
        assert_non_null(mine);
        for (size_t i = 0; i < d.nrows; i++) {
            act key = {NULL, 0, 0};
            const act *hit;

            if (d.rows[i].trace != TR_HASHTAG || find_truth(&d, d.rows[i].account)->group == g)
                continue;
            key.key = key_tag(d.rows[i].object);
            hit = bsearch(&key, v, n, sizeof *v, cmp_key);
            for (size_t j = hit ? (size_t)(hit - v) : n; j < n && !strcmp(v[j].key, key.key); j++)
                outside[j] = 1;
            for (size_t j = hit ? (size_t)(hit - v) : 0; j > 0 && !strcmp(v[j - 1].key, key.key);
                 j--)
                outside[j - 1] = 1;
            free(key.key);
        }
        for (size_t i = 0; i < n; i++)
            if (!outside[i])
                mine[nm++] = v[i];
        print_message("hashtag_flood: %zu of them the group's own\n", co_objects(mine, nm, 900, 3));
        assert_true(co_objects(mine, nm, 900, 3) >= MIN_OBJ);
        free(mine);
        free(outside);
    }
    free_acts(v, n);

    /* reply_swarm: >= 3 members reply to the same post within 2 min; the
     * posts are not the group's own. */
    g = group_of_kind(&d, 4);
    v = group_acts(&d, g, TR_REPLY, key_same, &n);
    objs = co_objects(v, n, 120, 3);
    print_message("reply_swarm: %zu posts swarmed within 2 min\n", objs);
    assert_true(objs >= MIN_OBJ);
    for (size_t i = 0; i < d.nrows; i++) { /* the author of each swarmed post */
        uint64_t target;

        if (d.rows[i].trace != TR_REPLY || find_truth(&d, d.rows[i].account)->group != g)
            continue;
        target = hex_id(d.rows[i].object);
        for (size_t j = 0; j < d.nrows; j++)
            if (d.rows[j].content == target && d.rows[j].trace == TR_TEXT)
                assert_true(find_truth(&d, d.rows[j].account)->group != g);
    }
    free_acts(v, n);

    unload(&d);
    remove_out(dir);
    free(dir);
}

/* tweets.csv: the 31 columns of FORMATS.md A.1, one row per post. */
typedef struct tw_ctx {
    const data *d;
    uint64_t *posts; /* distinct content ids, sorted */
    int64_t *post_t;
    size_t nposts, rows, retweets, replies, quotes;
} tw_ctx;

static void tweet_row(const lk_csv_row *r, void *ctx)
{
    tw_ctx *c = ctx;
    const char *const *f = r->field;
    uint64_t id;
    const uint64_t *hit;
    int64_t ms;
    const char *why;

    assert_int_equal(r->nfields, 31);
    if (r->line == 1) {
        for (int i = 0; i < 31; i++)
            assert_string_equal(f[i], io_header[i]);
        return;
    }
    c->rows++;
    id = hex_id(f[0]);
    hit = bsearch(&id, c->posts, c->nposts, sizeof *c->posts, cmp_u64);
    assert_non_null(hit);
    assert_non_null(find_truth(c->d, hex_id(f[1])));
    assert_string_equal(f[1], f[3]);
    /* minute resolution: the action's time, truncated */
    assert_int_equal(r->len[13], 16);
    assert_true(f[13][4] == '-' && f[13][10] == ' ' && f[13][13] == ':');
    assert_int_equal(lk_parse_time(f[13], r->len[13], &ms, &why), LK_OK);
    assert_true(ms / 1000 == c->post_t[hit - c->posts] / 60 * 60);
    assert_true(strcmp(f[18], "True") == 0 || strcmp(f[18], "False") == 0);
    if (strcmp(f[18], "True") == 0) {
        c->retweets++;
        assert_int_equal(r->len[20], 16);
        assert_int_equal(r->len[19], 16);
        assert_true(strncmp(f[12], "RT @", 4) == 0);
    } else {
        assert_int_equal(r->len[20], 0);
    }
    c->replies += r->len[16] > 0;
    c->quotes += r->len[17] > 0;
    assert_string_equal(f[21], "absent");
    assert_string_equal(f[22], "absent");
    for (int i = 23; i < 27; i++) /* float counts */
        assert_true(r->len[i] >= 3 && strcmp(f[i] + r->len[i] - 2, ".0") == 0);
    for (int i = 27; i < 30; i++) /* Python list reprs */
        assert_true(f[i][0] == '[' && f[i][r->len[i] - 1] == ']');
    if (strcmp(f[27], "[]") != 0)
        assert_true(strncmp(f[27], "['", 2) == 0);
}

static void test_tweets(void **state)
{
    char *dir = make_tmpdir(), *pw;
    data d;
    tw_ctx c;
    size_t counts[TR_N] = {0};
    uint64_t *v;

    (void)state;
    run_opts(9, dir, 20000, GROUPS, NULL);
    load(dir, &d);
    memset(&c, 0, sizeof c);
    c.d = &d;
    v = malloc((d.nrows + 1) * sizeof *v);
    c.posts = malloc((d.nrows + 1) * sizeof *c.posts);
    c.post_t = malloc((d.nrows + 1) * sizeof *c.post_t);
    assert_true(v && c.posts && c.post_t);
    for (size_t i = 0; i < d.nrows; i++) {
        v[i] = d.rows[i].content;
        counts[d.rows[i].trace]++;
    }
    qsort(v, d.nrows, sizeof *v, cmp_u64);
    for (size_t i = 0; i < d.nrows; i++)
        if (i == 0 || v[i] != v[i - 1])
            c.posts[c.nposts++] = v[i];
    for (size_t i = 0; i < d.nrows; i++) { /* every action of a post has its time */
        const uint64_t *hit = bsearch(&d.rows[i].content, c.posts, c.nposts, sizeof *v, cmp_u64);

        c.post_t[hit - c.posts] = d.rows[i].t;
    }
    pw = join(dir, "tweets.csv");
    scan_csv(pw, tweet_row, &c);
    assert_int_equal(c.rows, c.nposts); /* one row per post, each post once */
    assert_int_equal(c.retweets, counts[TR_SHARE]);
    assert_int_equal(c.replies, counts[TR_REPLY]);
    assert_int_equal(c.quotes, counts[TR_QUOTE]);
    free(pw);
    free(v);
    free(c.posts);
    free(c.post_t);
    unload(&d);
    remove_out(dir);
    free(dir);
}

/* --kinds: given to the groups in turn. */
static void test_kinds_list(void **state)
{
    char *dir = make_tmpdir();
    data d;
    char msg[256];

    (void)state;
    run_opts(5, dir, 20000, 3, "slow_ring,link_pusher");
    load(dir, &d);
    for (size_t i = 0; i < d.ntr; i++)
        if (d.tr[i].group)
            assert_int_equal(d.tr[i].kind, d.tr[i].group == 2 ? 1 : 5);
    unload(&d);
    remove_out(dir);
    free(dir);
    assert_int_equal(lk_simulate_kinds_check("all", msg, sizeof msg), LK_OK);
    assert_int_equal(lk_simulate_kinds_check("copypasta,copypasta", msg, sizeof msg), LK_OK);
    assert_int_equal(lk_simulate_kinds_check("copypasta,", msg, sizeof msg), LK_EINVAL);
    assert_int_equal(lk_simulate_kinds_check("ring", msg, sizeof msg), LK_EINVAL);
    assert_non_null(strstr(msg, "'ring'"));
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
    o.kinds = "retweet_ring,bogus";
    expect_einval(&o);
    o.kinds = NULL;
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
     * the message, and nothing else left behind. */
    dir = make_tmpdir();
    blocker = join(dir, "actions.csv");
    tpath = join(dir, "truth.csv");
    assert_int_equal(mkdir(blocker, 0700), 0);
    o.out_dir = dir;
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_EIO);
    assert_non_null(strstr(err, "cannot write '"));
    assert_non_null(strstr(err, blocker));
    assert_false(exists(dir, "truth.csv"));
    assert_false(exists(dir, "tweets.csv"));
    assert_int_equal(stat(blocker, &st), 0); /* not ours: left alone */
    assert_int_equal(rmdir(blocker), 0);

    /* truth.csv cannot be written: the other files, complete by then, go too. */
    assert_int_equal(mkdir(tpath, 0700), 0);
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_EIO);
    assert_non_null(strstr(err, tpath));
    assert_false(exists(dir, "actions.csv"));
    assert_false(exists(dir, "tweets.csv"));
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

/* Creates nested directories; zero groups, a tiny run and --no-tweets work. */
static void test_small_nested(void **state)
{
    lk_simulate_opts o;
    char err[256];
    char *dir = make_tmpdir(), *sub = join(dir, "a"), *nested = join(sub, "b");
    data d;

    (void)state;
    lk_simulate_opts_init(&o);
    o.actions = 1;
    o.groups = 0;
    o.write_tweets = 0;
    o.out_dir = nested;
    assert_int_equal(lk_simulate(&o, err, sizeof err), LK_OK);
    load(nested, &d);
    /* One post: its text and perhaps a few entities. */
    assert_true(d.nrows >= 1 && d.nrows <= 8);
    assert_int_equal(d.ntr, 1);
    assert_false(exists(nested, "tweets.csv"));
    unload(&d);
    remove_out(nested);
    (void)rmdir(sub);
    (void)rmdir(dir);
    free(nested);
    free(sub);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_content),
        cmocka_unit_test(test_kinds),         cmocka_unit_test(test_tweets),
        cmocka_unit_test(test_kinds_list),    cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_unwritable),    cmocka_unit_test(test_small_nested),
        cmocka_unit_test(test_mix_inverse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
