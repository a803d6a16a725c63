/*
 * cluster_igraph.c - components, Leiden communities and layout.
 *
 * This is the only file that includes <igraph.h> (STYLE.md item 11): every
 * other module sees plain arrays of uint32_t / double and lockstep statuses.
 *
 * igraph's global state: Debian's build has IGRAPH_THREAD_SAFE == 0, so the
 * error handler, the warning handler, the "finally" stack and the default RNG
 * are process-global.  lk_cluster() and lk_layout() therefore must not run
 * concurrently with each other or with other igraph use in the process.  We
 * install our handlers for the duration of each call and restore the previous
 * ones afterwards, so that a host program which uses igraph itself keeps its
 * own handlers, and so that igraph can never reach its default abort handler
 * while lockstep is calling it.
 */
#include "cluster.h"

#include <math.h>

#include <igraph.h>

/* ---- error plumbing ------------------------------------------------------ */

/* Reason of the innermost igraph error of the current call.  igraph invokes
 * the handler once per unwound IGRAPH_CHECK level; only the first call carries
 * the real reason (outer levels pass ""), so the first non-empty one wins. */
static char ig_reason[LK_ERRMSG_MAX];

static void on_igraph_error(const char *reason, const char *file, int line, igraph_error_t code)
{
    if (ig_reason[0] == '\0' && reason && reason[0]) {
        (void)snprintf(ig_reason, sizeof ig_reason, "%s", reason);
        lk_log(LK_LOG_DEBUG, "igraph error %d at %s:%d: %s", (int)code, file ? file : "?", line,
               reason);
    }
    /* Frees igraph's temporaries of the failing level.  It may invalidate
     * `reason`, which is why it was copied first.  Our own top-level objects
     * are never on igraph's finally stack; cleanup below destroys them. */
    IGRAPH_FINALLY_FREE();
}

static void on_igraph_warning(const char *reason, const char *file, int line)
{
    lk_log(LK_LOG_DEBUG, "igraph warning at %s:%d: %s", file ? file : "?", line,
           reason ? reason : "");
}

typedef struct ig_scope {
    igraph_error_handler_t *old_err;
    igraph_warning_handler_t *old_warn;
} ig_scope;

static void ig_enter(ig_scope *s)
{
    ig_reason[0] = '\0';
    s->old_err = igraph_set_error_handler(on_igraph_error);
    s->old_warn = igraph_set_warning_handler(on_igraph_warning);
}

static void ig_leave(const ig_scope *s)
{
    (void)igraph_set_error_handler(s->old_err);
    (void)igraph_set_warning_handler(s->old_warn);
}

/* Map an igraph result to a status; `what` names the step for the message. */
static lk_status ig_status(igraph_error_t e, const char *what, char *errbuf)
{
    if (e == IGRAPH_SUCCESS)
        return LK_OK;
    if (e == IGRAPH_ENOMEM) {
        lk_errf(errbuf, "%s: out of memory", what);
        return LK_ENOMEM;
    }
    lk_errf(errbuf, "%s: %s (igraph: %s)", what, ig_reason[0] ? ig_reason : "failed",
            igraph_strerror(e));
    return LK_EGRAPH;
}

/* ---- input checks and graph construction ---------------------------------- */

static lk_status check_input(size_t n, size_t m, const uint32_t *u, const uint32_t *v,
                             const double *w, char *errbuf)
{
    /* UINT32_MAX stays free as a sentinel; ids are uint32_t anyway. */
    if (n > UINT32_MAX) {
        lk_errf(errbuf, "graph has %zu vertices; at most %u are supported", n, UINT32_MAX);
        return LK_EINVAL;
    }
    /* igraph stores 2m endpoints in one igraph_integer_t-indexed vector. */
    if (m > (size_t)(IGRAPH_INTEGER_MAX / 2)) {
        lk_errf(errbuf, "graph has %zu edges; too many for igraph", m);
        return LK_EINVAL;
    }
    if (m > 0 && (!u || !v)) {
        lk_errf(errbuf, "edge endpoint arrays are NULL");
        return LK_EINVAL;
    }
    for (size_t k = 0; k < m; k++) {
        if (u[k] >= n || v[k] >= n) {
            lk_errf(errbuf, "edge %zu: vertex id %u out of range (n = %zu)", k,
                    u[k] >= n ? u[k] : v[k], n);
            return LK_EINVAL;
        }
        /* NaN fails the comparison too; infinity would poison modularity. */
        if (w && !(w[k] > 0.0 && isfinite(w[k]))) {
            lk_errf(errbuf, "edge %zu: weight %g is not a finite positive number", k, w[k]);
            return LK_EINVAL;
        }
    }
    return LK_OK;
}

/* Build the undirected igraph graph and its weight vector.  On success both
 * are initialised and owned by the caller; on failure neither is. */
static lk_status build_graph(size_t n, size_t m, const uint32_t *u, const uint32_t *v,
                             const double *w, igraph_t *g, igraph_vector_t *weights, char *errbuf)
{
    igraph_vector_int_t edges;
    igraph_error_t e;
    lk_status st;

    e = igraph_vector_int_init(&edges, (igraph_integer_t)(2 * m));
    if ((st = ig_status(e, "building graph", errbuf)) != LK_OK)
        return st;
    for (size_t k = 0; k < m; k++) {
        VECTOR(edges)[2 * k] = u[k];
        VECTOR(edges)[2 * k + 1] = v[k];
    }
    e = igraph_create(g, &edges, (igraph_integer_t)n, IGRAPH_UNDIRECTED);
    igraph_vector_int_destroy(&edges);
    if ((st = ig_status(e, "building graph", errbuf)) != LK_OK)
        return st;
    e = igraph_vector_init(weights, (igraph_integer_t)m);
    if ((st = ig_status(e, "building graph", errbuf)) != LK_OK) {
        igraph_destroy(g);
        return st;
    }
    for (size_t k = 0; k < m; k++)
        VECTOR(*weights)[k] = w ? w[k] : 1.0;
    return LK_OK;
}

/* ---- union-find with the smallest vertex as root ------------------------- */

/* Rooting every set at its smallest vertex makes the labelling pass below
 * number sets in order of their smallest vertex without a sort. */
static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving keeps trees shallow */
        x = parent[x];
    }
    return x;
}

static void uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* Label every vertex with its set, sets numbered 0.. by smallest vertex.
 * Returns the number of sets. */
static uint32_t uf_label(uint32_t *parent, size_t n, uint32_t *label)
{
    uint32_t next = 0;

    for (size_t i = 0; i < n; i++) {
        const uint32_t r = uf_find(parent, (uint32_t)i);
        label[i] = r == i ? next++ : label[r]; /* r <= i, so label[r] is set */
    }
    return next;
}

typedef struct piece {
    uint32_t size, first; /* first == index == order of smallest vertex */
} piece;

static int piece_cmp(const void *pa, const void *pb)
{
    const piece *a = pa, *b = pb;

    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

/* ---- lk_cluster ----------------------------------------------------------- */

/* Upper bound on Leiden passes.  Passes normally stop after a handful; the
 * cap only guarantees termination should floating-point ties ever make two
 * partitions alternate. */
#define LEIDEN_MAX_PASSES 100

/* Whether two labellings describe the same partition.  `map` is n words of
 * scratch.  A consistent old -> new label function plus equal cluster counts
 * means the function is a bijection, i.e. nothing moved. */
static int same_partition(const uint32_t *prev, const igraph_vector_int_t *cur, size_t n,
                          uint32_t *map)
{
    uint32_t nprev = 0, ncur = 0;

    for (size_t i = 0; i < n; i++)
        map[i] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        const uint32_t c = (uint32_t)VECTOR(*cur)[i];
        if (map[prev[i]] == UINT32_MAX) {
            map[prev[i]] = c;
            nprev++;
        } else if (map[prev[i]] != c) {
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) /* count distinct current labels */
        map[i] = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        const uint32_t c = (uint32_t)VECTOR(*cur)[i];
        if (map[c] == UINT32_MAX) {
            map[c] = 0;
            ncur++;
        }
    }
    return nprev == ncur;
}

/* Run Leiden (modularity objective) on g until a pass leaves the partition
 * unchanged; membership gets one label per vertex in igraph's numbering.
 *
 * We drive the passes ourselves instead of passing n_iterations = -1: in
 * igraph 0.10.x that loop runs `while (!changed)`, i.e. it stops after the
 * first pass that changes anything and spins forever when the singleton
 * partition is already optimal (a high resolution hangs the process).
 * Upstream: igraph/igraph#2798, fixed in 2025. */
static lk_status run_leiden(const igraph_t *g, const igraph_vector_t *weights, size_t n, size_t m,
                            const uint32_t *u, const uint32_t *v, double resolution, uint64_t seed,
                            igraph_vector_int_t *membership, char *errbuf)
{
    igraph_vector_t strength;
    igraph_integer_t nb = 0;
    uint32_t *prev = NULL;
    double total = 0.0, gamma;
    igraph_error_t e;
    size_t bytes;
    lk_status st;
    int pass;

    if (lk_mul_size(n, 2 * sizeof *prev, &bytes) || !(prev = malloc(bytes))) {
        lk_errf(errbuf, "leiden: out of memory");
        return LK_ENOMEM;
    }
    e = igraph_vector_init(&strength, (igraph_integer_t)n);
    if ((st = ig_status(e, "leiden", errbuf)) != LK_OK) {
        free(prev);
        return st;
    }
    /* Strengths as node weights with resolution / 2W turn igraph's generic
     * CPM-style quality into modularity; a self-loop counts twice, as in
     * the modularity null model. */
    for (size_t k = 0; k < m; k++) {
        VECTOR(strength)[u[k]] += VECTOR(*weights)[k];
        VECTOR(strength)[v[k]] += VECTOR(*weights)[k];
        total += VECTOR(*weights)[k];
    }
    gamma = resolution / (2.0 * total);
    /* One seed for the whole run: reseeding every pass would replay the
     * same random choices.  beta 0.01 is igraph's and leidenalg's default
     * refinement randomness. */
    e = igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed);
    if (e == IGRAPH_SUCCESS)
        e = igraph_community_leiden(g, weights, &strength, gamma, 0.01, 0, 1, membership, &nb,
                                    NULL);
    for (pass = 1; e == IGRAPH_SUCCESS && pass < LEIDEN_MAX_PASSES; pass++) {
        for (size_t i = 0; i < n; i++)
            prev[i] = (uint32_t)VECTOR(*membership)[i];
        e = igraph_community_leiden(g, weights, &strength, gamma, 0.01, 1, 1, membership, &nb,
                                    NULL);
        if (e == IGRAPH_SUCCESS && same_partition(prev, membership, n, prev + n))
            break;
    }
    if (e == IGRAPH_SUCCESS && pass == LEIDEN_MAX_PASSES)
        lk_log(LK_LOG_WARN, "leiden: stopped after %d passes without a stable partition",
               LEIDEN_MAX_PASSES);
    igraph_vector_destroy(&strength);
    free(prev);
    return ig_status(e, "leiden", errbuf);
}

lk_status lk_cluster(size_t n, size_t m, const uint32_t *u, const uint32_t *v, const double *w,
                     double resolution, uint64_t seed, uint32_t *component, uint32_t *community,
                     char *errbuf)
{
    igraph_t g;
    igraph_vector_t weights;
    igraph_vector_int_t membership;
    int have_graph = 0, have_memb = 0;
    uint32_t *parent = NULL;
    piece *pieces = NULL;
    uint32_t npieces;
    size_t bytes;
    ig_scope scope;
    lk_status st;

    if ((st = check_input(n, m, u, v, w, errbuf)) != LK_OK)
        return st;
    if (!(resolution >= 0.0 && isfinite(resolution))) {
        lk_errf(errbuf, "resolution %g is not a finite non-negative number", resolution);
        return LK_EINVAL;
    }
    if (n == 0)
        return LK_OK;
    /* calloc checks n * size for overflow itself. */
    if (lk_mul_size(n, sizeof *parent, &bytes) || !(parent = malloc(bytes)) ||
        !(pieces = calloc(n, sizeof *pieces))) {
        free(parent);
        lk_errf(errbuf, "clustering %zu vertices: out of memory", n);
        return LK_ENOMEM;
    }

    /* Components need no igraph: union-find is linear and its numbering is
     * canonical by construction. */
    for (size_t i = 0; i < n; i++)
        parent[i] = (uint32_t)i;
    for (size_t k = 0; k < m; k++)
        uf_union(parent, u[k], v[k]);
    (void)uf_label(parent, n, component);

    ig_enter(&scope);
    if (m > 0) {
        if ((st = build_graph(n, m, u, v, w, &g, &weights, errbuf)) != LK_OK)
            goto cleanup;
        have_graph = 1;
        if ((st = ig_status(igraph_vector_int_init(&membership, 0), "leiden", errbuf)) != LK_OK)
            goto cleanup;
        have_memb = 1;
        if ((st = run_leiden(&g, &weights, n, m, u, v, resolution, seed, &membership, errbuf)) !=
            LK_OK)
            goto cleanup;
    }

    /* Communities are the connected pieces of Leiden's communities.  Leiden
     * already yields connected communities, but this makes "never spans two
     * components" a guarantee of our code rather than of igraph's, and
     * splitting a disconnected community can only raise modularity. */
    for (size_t i = 0; i < n; i++)
        parent[i] = (uint32_t)i;
    for (size_t k = 0; k < m; k++)
        if (VECTOR(membership)[u[k]] == VECTOR(membership)[v[k]])
            uf_union(parent, u[k], v[k]);
    npieces = uf_label(parent, n, community);
    for (uint32_t p = 0; p < npieces; p++)
        pieces[p].first = p;
    for (size_t i = 0; i < n; i++)
        pieces[community[i]].size++;
    /* Canonical order: decreasing size, ties by smallest vertex (piece index
     * order is smallest-vertex order).  The comparator is total, so qsort's
     * instability cannot show. */
    lk_qsort(pieces, npieces, sizeof *pieces, piece_cmp);
    for (uint32_t r = 0; r < npieces; r++)
        parent[pieces[r].first] = r; /* parent is free now: reuse as rank */
    for (size_t i = 0; i < n; i++)
        community[i] = parent[community[i]];
    st = LK_OK;

cleanup:
    if (have_memb)
        igraph_vector_int_destroy(&membership);
    if (have_graph) {
        igraph_vector_destroy(&weights);
        igraph_destroy(&g);
    }
    ig_leave(&scope);
    free(pieces);
    free(parent);
    return st;
}

/* ---- lk_layout ------------------------------------------------------------ */

lk_status lk_layout(size_t n, size_t m, const uint32_t *u, const uint32_t *v, const double *w,
                    uint64_t seed, double *xy, char *errbuf)
{
    igraph_t g;
    igraph_vector_t weights;
    igraph_matrix_t pos;
    int have_graph = 0, have_pos = 0;
    igraph_error_t e;
    ig_scope scope;
    lk_status st;

    if ((st = check_input(n, m, u, v, w, errbuf)) != LK_OK)
        return st;
    if (n == 0)
        return LK_OK;

    ig_enter(&scope);
    if ((st = build_graph(n, m, u, v, w, &g, &weights, errbuf)) != LK_OK)
        goto cleanup;
    have_graph = 1;
    if ((st = ig_status(igraph_matrix_init(&pos, (igraph_integer_t)n, 2), "layout", errbuf)) !=
        LK_OK)
        goto cleanup;
    have_pos = 1;
    /* use_seed = 0: the start positions come from the RNG we just seeded.
     * 500 iterations and start temperature sqrt(n) are igraph's documented
     * defaults; AUTOGRID switches to the grid variant above 1000 vertices,
     * which keeps big graphs near-linear per iteration.  Larger weights pull
     * endpoints closer. */
    e = igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)seed);
    if (e == IGRAPH_SUCCESS)
        e = igraph_layout_fruchterman_reingold(&g, &pos, 0, 500, sqrt((double)n),
                                               IGRAPH_LAYOUT_AUTOGRID, m ? &weights : NULL, NULL,
                                               NULL, NULL, NULL);
    if ((st = ig_status(e, "layout", errbuf)) != LK_OK)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        xy[2 * i] = MATRIX(pos, (igraph_integer_t)i, 0);
        xy[2 * i + 1] = MATRIX(pos, (igraph_integer_t)i, 1);
    }

cleanup:
    if (have_pos)
        igraph_matrix_destroy(&pos);
    if (have_graph) {
        igraph_vector_destroy(&weights);
        igraph_destroy(&g);
    }
    ig_leave(&scope);
    return st;
}
