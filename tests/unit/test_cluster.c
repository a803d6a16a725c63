/*
 * test_cluster.c - known answers for lk_cluster / lk_layout.
 *
 * The implementation is included so that the igraph error mapping (a static
 * helper) can be driven directly: reaching the assertion after a failing
 * igraph call proves that the default abort handler was not in charge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/cluster_igraph.c" /* NOLINT(bugprone-suspicious-include) */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Edge list builder for the larger fixtures. */
typedef struct edges {
    size_t m, cap;
    uint32_t *u, *v;
    double *w;
} edges;

static void edges_add(edges *e, uint32_t a, uint32_t b, double w)
{
    size_t cu = e->cap, cv = e->cap, cw = e->cap;

    assert_int_equal(LK_GROW(e->u, e->m + 1, cu), LK_OK);
    assert_int_equal(LK_GROW(e->v, e->m + 1, cv), LK_OK);
    assert_int_equal(LK_GROW(e->w, e->m + 1, cw), LK_OK);
    e->cap = cu;
    e->u[e->m] = a;
    e->v[e->m] = b;
    e->w[e->m] = w;
    e->m++;
}

static void edges_release(edges *e)
{
    free(e->u);
    free(e->v);
    free(e->w);
}

static void add_clique(edges *e, const uint32_t *vs, size_t k, double w)
{
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++)
            edges_add(e, vs[i], vs[j], w);
}

/* Two 4-cliques on interleaved ids, joined by one weak edge.  Both
 * communities have size 4, so the tie is broken by smallest vertex: the
 * clique holding vertex 0 is community 0. */
static void test_two_cliques(void **state)
{
    static const uint32_t a[] = {1, 3, 5, 7}, b[] = {0, 2, 4, 6};
    static const uint32_t want[] = {0, 1, 0, 1, 0, 1, 0, 1};
    edges e = {0};
    uint32_t comp[8], comm[8];
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    add_clique(&e, a, 4, 1.0);
    add_clique(&e, b, 4, 1.0);
    edges_add(&e, 7, 0, 0.1);
    assert_int_equal(lk_cluster(8, e.m, e.u, e.v, e.w, 1.0, 1, comp, comm, err), LK_OK);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(comp[i], 0);
        assert_int_equal(comm[i], want[i]);
    }
    /* Resolution 0 removes the null-model penalty: one community per
     * component.  This also checks that the resolution reaches igraph. */
    assert_int_equal(lk_cluster(8, e.m, e.u, e.v, e.w, 0.0, 1, comp, comm, err), LK_OK);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(comm[i], 0);
    /* A very high resolution splits everything into singletons, numbered by
     * vertex since all have size 1. */
    assert_int_equal(lk_cluster(8, e.m, e.u, e.v, e.w, 1e6, 1, comp, comm, err), LK_OK);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(comm[i], i);
    edges_release(&e);
}

/* Isolated vertex 0, triangle {4,5,6}, triangle {1,2,3} (listed last). */
static void test_triangles_and_isolate(void **state)
{
    static const uint32_t u[] = {4, 5, 6, 3, 2, 1}, v[] = {5, 6, 4, 2, 1, 3};
    static const double w[] = {1, 1, 1, 2, 2, 2};
    static const uint32_t want_comp[] = {0, 1, 1, 1, 2, 2, 2};
    static const uint32_t want_comm[] = {2, 0, 0, 0, 1, 1, 1};
    uint32_t comp[7], comm[7];
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    assert_int_equal(lk_cluster(7, NELEM(u), u, v, w, 1.0, 42, comp, comm, err), LK_OK);
    assert_memory_equal(comp, want_comp, sizeof comp);
    assert_memory_equal(comm, want_comm, sizeof comm);
    /* NULL weights mean unit weights and give the same answer here. */
    assert_int_equal(lk_cluster(7, NELEM(u), u, v, NULL, 1.0, 42, comp, comm, err), LK_OK);
    assert_memory_equal(comp, want_comp, sizeof comp);
    assert_memory_equal(comm, want_comm, sizeof comm);
}

/* The resolution-limit fixture: a ring of 10 6-cliques, neighbours joined
 * by one edge.  Modularity prefers the 10 cliques over merged pairs
 * (0.8375 vs 0.76875), so Leiden must find exactly the cliques. */
static void test_ring_of_cliques(void **state)
{
    enum { K = 6, C = 10, N = K * C };

    edges e = {0};
    uint32_t comp[N], comm[N], vs[K];
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    for (uint32_t c = 0; c < C; c++) {
        for (uint32_t i = 0; i < K; i++)
            vs[i] = c * K + i;
        add_clique(&e, vs, K, 1.0);
        edges_add(&e, c * K + K - 1, ((c + 1) % C) * K, 1.0);
    }
    for (uint64_t seed = 1; seed <= 5; seed++) {
        assert_int_equal(lk_cluster(N, e.m, e.u, e.v, e.w, 1.0, seed, comp, comm, err), LK_OK);
        for (uint32_t i = 0; i < N; i++) {
            assert_int_equal(comp[i], 0);
            assert_int_equal(comm[i], i / K); /* equal sizes: ordered by first vertex */
        }
    }
    edges_release(&e);
}

/* A deterministic pseudo-random graph big enough for Leiden to have choices. */
static void random_graph(edges *e, uint32_t n, size_t m, uint64_t s)
{
    for (size_t k = 0; k < m; k++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        const uint32_t a = (uint32_t)(s >> 33) % n;
        s = s * 6364136223846793005u + 1442695040888963407u;
        const uint32_t b = (uint32_t)(s >> 33) % n;
        edges_add(e, a, b, 1.0 + (double)(k % 7)); /* includes loops and multi-edges */
    }
}

static void test_same_seed_same_result(void **state)
{
    enum { N = 300 };

    edges e = {0};
    uint32_t c1[N], m1[N], c2[N], m2[N];
    double xy1[2 * N], xy2[2 * N];
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    random_graph(&e, N, 450, 7);
    assert_int_equal(lk_cluster(N, e.m, e.u, e.v, e.w, 1.0, 99, c1, m1, err), LK_OK);
    assert_int_equal(lk_cluster(N, e.m, e.u, e.v, e.w, 1.0, 99, c2, m2, err), LK_OK);
    assert_memory_equal(c1, c2, sizeof c1);
    assert_memory_equal(m1, m2, sizeof m1);

    /* Invariants of the canonical numbering. */
    uint32_t size[N] = {0}, comp_of[N];
    for (size_t i = 0; i < N; i++) {
        assert_true(m1[i] < N);
        comp_of[m1[i]] = c1[i];
        size[m1[i]]++;
    }
    for (size_t i = 0; i < N; i++) /* a community never spans two components */
        assert_int_equal(comp_of[m1[i]], c1[i]);
    for (size_t c = 1; c < N; c++) /* sizes never increase with the number */
        assert_true(size[c] <= size[c - 1]);

    assert_int_equal(lk_layout(N, e.m, e.u, e.v, e.w, 5, xy1, err), LK_OK);
    assert_int_equal(lk_layout(N, e.m, e.u, e.v, e.w, 5, xy2, err), LK_OK);
    assert_memory_equal(xy1, xy2, sizeof xy1);
    for (size_t i = 0; i < 2 * (size_t)N; i++)
        assert_true(isfinite(xy1[i]));
    edges_release(&e);
}

static void test_empty(void **state)
{
    uint32_t comp[5], comm[5];
    double xy[10];
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    assert_int_equal(lk_cluster(0, 0, NULL, NULL, NULL, 1.0, 1, NULL, NULL, err), LK_OK);
    assert_int_equal(lk_layout(0, 0, NULL, NULL, NULL, 1, NULL, err), LK_OK);
    assert_int_equal(lk_cluster(5, 0, NULL, NULL, NULL, 1.0, 1, comp, comm, err), LK_OK);
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(comp[i], i);
        assert_int_equal(comm[i], i);
    }
    assert_int_equal(lk_layout(5, 0, NULL, NULL, NULL, 1, xy, err), LK_OK);
    for (size_t i = 0; i < 10; i++)
        assert_true(isfinite(xy[i]));
}

static void test_invalid(void **state)
{
    static const uint32_t u[] = {0, 1}, v[] = {1, 3};
    static const uint32_t ok_v[] = {1, 2};
    uint32_t comp[3], comm[3];
    double xy[6];
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    assert_int_equal(lk_cluster(3, 2, u, v, NULL, 1.0, 1, comp, comm, err), LK_EINVAL);
    assert_string_equal(err, "edge 1: vertex id 3 out of range (n = 3)");
    assert_int_equal(lk_layout(3, 2, u, v, NULL, 1, xy, err), LK_EINVAL);

    const double bad_w[][2] = {{1, 0}, {1, -1}, {NAN, 1}, {1, INFINITY}};
    for (size_t i = 0; i < NELEM(bad_w); i++) {
        err[0] = '\0';
        assert_int_equal(lk_cluster(3, 2, u, ok_v, bad_w[i], 1.0, 1, comp, comm, err), LK_EINVAL);
        assert_non_null(strstr(err, "not a finite positive number"));
    }
    assert_int_equal(lk_cluster(3, 2, u, ok_v, NULL, -1.0, 1, comp, comm, err), LK_EINVAL);
    assert_int_equal(lk_cluster(3, 2, u, ok_v, NULL, NAN, 1, comp, comm, err), LK_EINVAL);
    assert_int_equal(lk_cluster(3, 2, NULL, ok_v, NULL, 1.0, 1, comp, comm, err), LK_EINVAL);
}

/* An igraph failure becomes LK_EGRAPH with igraph's reason, not an abort. */
static void test_igraph_error_mapped(void **state)
{
    igraph_vector_int_t ev;
    igraph_t g;
    ig_scope scope;
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    ig_enter(&scope);
    assert_int_equal(igraph_vector_int_init(&ev, 2), IGRAPH_SUCCESS);
    VECTOR(ev)[0] = 0;
    VECTOR(ev)[1] = -1; /* negative vertex ids are invalid */
    const igraph_error_t e = igraph_create(&g, &ev, 2, IGRAPH_UNDIRECTED);
    igraph_vector_int_destroy(&ev);
    const lk_status st = ig_status(e, "building graph", err);
    ig_leave(&scope);
    assert_int_equal(st, LK_EGRAPH);
    assert_non_null(strstr(err, "building graph: "));
    assert_non_null(strstr(err, "(igraph: "));
    assert_true(strlen(err) > strlen("building graph: failed (igraph: )"));
}

static int handler_sentinel_calls;

static void handler_sentinel(const char *reason, const char *file, int line, igraph_error_t e)
{
    (void)reason;
    (void)file;
    (void)line;
    (void)e;
    handler_sentinel_calls++;
    IGRAPH_FINALLY_FREE();
}

/* A host program's igraph handler is back in place after our calls. */
static void test_handlers_restored(void **state)
{
    static const uint32_t u[] = {0}, v[] = {1};
    uint32_t comp[2], comm[2];
    double xy[4];
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    igraph_error_handler_t *const orig = igraph_set_error_handler(handler_sentinel);
    assert_int_equal(lk_cluster(2, 1, u, v, NULL, 1.0, 1, comp, comm, err), LK_OK);
    assert_int_equal(lk_layout(2, 1, u, v, NULL, 1, xy, err), LK_OK);
    assert_ptr_equal(igraph_set_error_handler(orig), handler_sentinel);
    assert_int_equal(handler_sentinel_calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_cliques),
        cmocka_unit_test(test_triangles_and_isolate),
        cmocka_unit_test(test_ring_of_cliques),
        cmocka_unit_test(test_same_seed_same_result),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_igraph_error_mapped),
        cmocka_unit_test(test_handlers_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
