/*
 * test_out_graph.c - lk_write_graphml / lk_write_gexf: read-back by igraph's
 * own GraphML reader, determinism, partial views, and every failure path
 * (bad view, unopenable path, full device, file-size limit mid-write).
 *
 * Including <igraph.h> here is deliberate: the point is to check our files
 * against an independent reader.  Library code still only touches igraph in
 * src/cluster_igraph.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <igraph.h>

#include "out_graph.h"

static const char *const ids[] = {
    "</script>",
    "a&b \"q\" 'x'",
    ("bidi\xe2\x80\xae"
     "txt"),
    "bad\xff",
    "x\r\ny",
    "plain",
};
/* What a conforming reader returns for ids[]. */
static const char *const ids_read[] = {
    "</script>",
    "a&b \"q\" 'x'",
    ("bidi\xe2\x80\xae"
     "txt"),
    "bad\xef\xbf\xbd",
    "x\r\ny",
    "plain",
};
static const uint32_t group[] = {0, 0, 1, 1, 2, 4000000000u};
static const uint32_t component[] = {0, 0, 0, 1, 1, 2};
static const uint64_t degree[] = {1, 2, 1, 1, 1, 0};
static const uint64_t co[] = {2, 5, 3, 7, 7, 0};
static const uint32_t src[] = {0, 1, 3};
static const uint32_t dst[] = {1, 2, 4};
static const double weight[] = {2, 3.25, 1e-3};
static const double score[] = {0.5, 1.0 / 3.0, 7};
static const uint64_t eco[] = {2, 3, 7};
static const char *const traces[] = {"share", "share;url", "<i>x</i>"};

static lk_graph_view full_view(void)
{
    const lk_graph_view g = {6,   ids, group,  component, degree, co,    3,
                             src, dst, weight, score,     eco,    traces};
    return g;
}

static void tmp_path(char *out, size_t n, const char *name)
{
    (void)snprintf(out, n, "%s/%s", tmpdir, name);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long sz;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    sz = ftell(f);
    assert_true(sz >= 0);
    rewind(f);
    p = malloc((size_t)sz + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
    p[sz] = '\0';
    assert_int_equal(fclose(f), 0);
    *len = (size_t)sz;
    return p;
}

/* igraph reads our GraphML back with the same structure and attributes. */
static void test_graphml_read_by_igraph(void **state)
{
    lk_graph_view g = full_view();
    char path[128], err[LK_ERRMSG_MAX] = "";
    igraph_t ig;
    FILE *f;

    (void)state;
    tmp_path(path, sizeof path, "rb.graphml");
    assert_int_equal(lk_write_graphml(&g, path, err), LK_OK);

    igraph_attribute_table_t *old_table = igraph_set_attribute_table(&igraph_cattribute_table);
    igraph_error_handler_t *old_handler = igraph_set_error_handler(igraph_error_handler_ignore);
    f = fopen(path, "r");
    assert_non_null(f);
    const igraph_error_t e = igraph_read_graph_graphml(&ig, f, 0);
    assert_int_equal(fclose(f), 0);
    if (e == IGRAPH_UNIMPLEMENTED) { /* igraph built without libxml2 */
        igraph_set_error_handler(old_handler);
        igraph_set_attribute_table(old_table);
        skip();
    }
    assert_int_equal(e, IGRAPH_SUCCESS);
    assert_false(igraph_is_directed(&ig));
    assert_int_equal(igraph_vcount(&ig), 6);
    assert_int_equal(igraph_ecount(&ig), 3);
    for (igraph_integer_t i = 0; i < 6; i++) {
        assert_string_equal(VAS(&ig, "label", i), ids_read[i]);
        assert_true(VAN(&ig, "group", i) == group[i]);
        assert_true(VAN(&ig, "component", i) == component[i]);
        assert_true(VAN(&ig, "degree", i) == (double)degree[i]);
        assert_true(VAN(&ig, "co_actions", i) == (double)co[i]);
    }
    for (igraph_integer_t k = 0; k < 3; k++) {
        igraph_integer_t from, to;
        assert_int_equal(igraph_edge(&ig, k, &from, &to), IGRAPH_SUCCESS);
        assert_int_equal(from, src[k]);
        assert_int_equal(to, dst[k]);
        assert_true(EAN(&ig, "weight", k) == weight[k]); /* all exact in %.6g */
        assert_string_equal(EAS(&ig, "traces", k), traces[k]);
        assert_true(EAN(&ig, "co_actions", k) == (double)eco[k]);
    }
    assert_true(fabs(EAN(&ig, "score", 1) - 0.333333) < 1e-12);
    igraph_destroy(&ig);
    igraph_set_error_handler(old_handler);
    igraph_set_attribute_table(old_table);
}

/* Same view, byte-identical files; GEXF is spot-checked for the exact form. */
static void test_deterministic(void **state)
{
    lk_graph_view g = full_view();
    char a[128], b[128], err[LK_ERRMSG_MAX] = "";
    size_t la, lb;

    (void)state;
    for (int fmt = 0; fmt < 2; fmt++) {
        tmp_path(a, sizeof a, fmt ? "a.gexf" : "a.graphml");
        tmp_path(b, sizeof b, fmt ? "b.gexf" : "b.graphml");
        lk_status (*const wr)(const lk_graph_view *, const char *, char *) =
            fmt ? lk_write_gexf : lk_write_graphml;
        assert_int_equal(wr(&g, a, err), LK_OK);
        assert_int_equal(wr(&g, b, err), LK_OK);
        char *pa = slurp(a, &la), *pb = slurp(b, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(pa, pb, la);
        if (fmt) {
            assert_non_null(strstr(pa, "<edge id=\"e1\" source=\"n1\" target=\"n2\" "
                                       "weight=\"3.25\"><attvalues><attvalue for=\"score\" "
                                       "value=\"0.333333\"/>"));
            assert_non_null(strstr(pa, "<node id=\"n2\" label=\"bidi&#x202E;txt\">"));
            assert_non_null(strstr(pa, "<attvalue for=\"group\" value=\"4000000000\"/>"));
        }
        free(pa);
        free(pb);
    }
}

/* Optional arrays left NULL drop their attribute; an empty graph is valid. */
static void test_partial_and_empty(void **state)
{
    lk_graph_view g = {0};
    char path[128], err[LK_ERRMSG_MAX] = "";
    size_t len;
    char *p;

    (void)state;
    tmp_path(path, sizeof path, "empty.gexf");
    assert_int_equal(lk_write_gexf(&g, path, err), LK_OK);
    p = slurp(path, &len);
    assert_non_null(strstr(p, "<nodes>\n    </nodes>\n    <edges>\n    </edges>"));
    assert_null(strstr(p, "<attributes"));
    free(p);

    g = (lk_graph_view){.n_nodes = 2, .node_id = ids, .n_edges = 1, .src = src, .dst = dst};
    tmp_path(path, sizeof path, "bare.graphml");
    assert_int_equal(lk_write_graphml(&g, path, err), LK_OK);
    p = slurp(path, &len);
    assert_non_null(strstr(p, "<edge id=\"e0\" source=\"n0\" target=\"n1\"></edge>"));
    assert_null(strstr(p, "v_group"));
    free(p);
}

static void test_bad_view(void **state)
{
    static const uint32_t bad_dst[] = {6};
    lk_graph_view g = full_view();
    char path[128], err[LK_ERRMSG_MAX] = "";

    (void)state;
    tmp_path(path, sizeof path, "bad.graphml");
    g.n_edges = 1;
    g.dst = bad_dst;
    assert_int_equal(lk_write_graphml(&g, path, err), LK_EINVAL);
    assert_string_equal(err, "graph view: edge 0 refers to node 6 of 6");
    assert_int_equal(access(path, F_OK), -1); /* nothing created */
    g = full_view();
    g.node_id = NULL;
    assert_int_equal(lk_write_gexf(&g, path, err), LK_EINVAL);
}

static void test_cannot_open(void **state)
{
    lk_graph_view g = full_view();
    char path[128], want[256], err[LK_ERRMSG_MAX] = "";

    (void)state;
    tmp_path(path, sizeof path, "no/such/dir.graphml");
    assert_int_equal(lk_write_graphml(&g, path, err), LK_EIO);
    (void)snprintf(want, sizeof want, "cannot write '%s': No such file or directory", path);
    assert_string_equal(err, want);
}

/* A full device fails at flush or close; the device itself is not removed
 * (we may run as root, where unlink("/dev/full") would succeed). */
static void test_full_device(void **state)
{
    lk_graph_view g = full_view();
    char err[LK_ERRMSG_MAX] = "";
    struct stat sb;

    (void)state;
    if (stat("/dev/full", &sb) != 0 || !S_ISCHR(sb.st_mode))
        skip();
    assert_int_equal(lk_write_gexf(&g, "/dev/full", err), LK_EIO);
    assert_string_equal(err, "cannot write '/dev/full': No space left on device");
    assert_int_equal(stat("/dev/full", &sb), 0);
}

/* A write that fails halfway (file-size limit) removes the partial file. */
static void test_partial_file_removed(void **state)
{
    enum { N = 20000 };

    static const char *node_ids[N];
    char path[128], err[LK_ERRMSG_MAX] = "";
    struct rlimit old, lim;
    void (*old_sig)(int);

    (void)state;
    for (size_t i = 0; i < N; i++)
        node_ids[i] = "a fairly long account identifier to make the file big";
    lk_graph_view g = {.n_nodes = N, .node_id = node_ids};
    tmp_path(path, sizeof path, "big.graphml");
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)64 * 1024; /* well below one flush chunk + the output */
    old_sig = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    const lk_status st = lk_write_graphml(&g, path, err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    (void)signal(SIGXFSZ, old_sig);
    assert_int_equal(st, LK_EIO);
    assert_non_null(strstr(err, "File too large"));
    assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graphml_read_by_igraph),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_partial_and_empty),
        cmocka_unit_test(test_bad_view),
        cmocka_unit_test(test_cannot_open),
        cmocka_unit_test(test_full_device),
        cmocka_unit_test(test_partial_file_removed),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
