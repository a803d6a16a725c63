/*
 * out_graph.c - GraphML and GEXF 1.2 writers for the coordinated network.
 *
 * Both files are assembled in an lk_buf and handed to an unbuffered FILE in
 * chunks of about 1 MiB, so each byte is copied once and every write is
 * checked.  Every string from input data passes through lk_esc_xml().
 *
 * Determinism: the output is a function of the view alone (no dates, no
 * version strings, fixed "%.6g" floats).  printf honours LC_NUMERIC, which
 * stays "C" unless the host program calls setlocale(); put_double() repairs
 * the radix character anyway so that a host's locale cannot leak into files.
 */
#include "out_graph.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out_escape.h"

/* Flush to the file once this much output has accumulated. */
#define GW_CHUNK ((size_t)1 << 20)

typedef struct gw {
    FILE *fp;
    lk_buf b;
    const char *path;
    char *errbuf;
    int regular; /* only a regular file is removed on failure */
} gw;

static lk_status gw_io_error(gw *w, int err)
{
    char tmp[128];

    /* GNU strerror_r: thread-safe, may return a static string. */
    lk_errf(w->errbuf, "cannot write '%s': %s", w->path, strerror_r(err, tmp, sizeof tmp));
    return LK_EIO;
}

static lk_status gw_flush(gw *w)
{
    errno = 0;
    if (w->b.len && fwrite(w->b.p, 1, w->b.len, w->fp) != w->b.len)
        return gw_io_error(w, errno ? errno : EIO);
    lk_buf_reset(&w->b);
    return LK_OK;
}

/* Called after each element: flushes when the chunk is full. */
static lk_status gw_maybe_flush(gw *w)
{
    return w->b.len >= GW_CHUNK ? gw_flush(w) : LK_OK;
}

static lk_status gw_open(gw *w, const char *path, char *errbuf)
{
    struct stat sb;

    lk_buf_init(&w->b);
    w->path = path;
    w->errbuf = errbuf;
    w->regular = 0;
    errno = 0;
    w->fp = fopen(path, "w");
    if (!w->fp)
        return gw_io_error(w, errno ? errno : EIO);
    /* We buffer ourselves; stdio buffering would only add a copy. */
    (void)setvbuf(w->fp, NULL, _IONBF, 0);
    /* Removing a partial file must never unlink a device such as /dev/full
     * (we may run as root) or whatever a FIFO leads to. */
    w->regular = fstat(fileno(w->fp), &sb) == 0 && S_ISREG(sb.st_mode);
    return LK_OK;
}

/* Finish: on success flush and close, checking both; on any failure close
 * and remove the partial file.  Returns the final status. */
static lk_status gw_close(gw *w, lk_status st)
{
    if (st == LK_OK)
        st = gw_flush(w);
    if (w->fp) {
        errno = 0;
        if (fclose(w->fp) != 0 && st == LK_OK)
            st = gw_io_error(w, errno ? errno : EIO);
        w->fp = NULL;
    }
    if (st != LK_OK && w->regular) {
        const int saved = errno;
        (void)unlink(w->path);
        errno = saved;
    }
    lk_buf_release(&w->b);
    return st;
}

/* ---- formatting helpers --------------------------------------------------- */

static lk_status put(gw *w, const char *s)
{
    return lk_buf_append(&w->b, s, strlen(s));
}

static lk_status put_xml(gw *w, const char *s)
{
    return s ? lk_esc_xml(&w->b, s, strlen(s)) : LK_OK;
}

static lk_status put_u64(gw *w, uint64_t x)
{
    return lk_buf_printf(&w->b, "%" PRIu64, x);
}

/* "%.6g", with the xsd:double spellings of non-finite values (printf's
 * "nan"/"inf" are not valid GraphML or GEXF doubles) and any locale radix
 * character, possibly multibyte, replaced by '.'. */
static lk_status put_double(gw *w, double x)
{
    char tmp[64], out[64];
    size_t j = 0;
    int dot = 0;

    if (isnan(x))
        return put(w, "NaN");
    if (isinf(x))
        return put(w, x < 0 ? "-INF" : "INF");
    (void)snprintf(tmp, sizeof tmp, "%.6g", x);
    for (const char *p = tmp; *p && j < sizeof out - 1; p++) {
        if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e') {
            out[j++] = *p;
            dot = 0;
        } else if (!dot) {
            out[j++] = '.';
            dot = 1;
        }
    }
    return lk_buf_append(&w->b, out, j);
}

/* Callers check the view first so that a bad view never creates a file. */
static lk_status check_view(const lk_graph_view *g, char *errbuf)
{
    if (g->n_nodes > 0 && !g->node_id) {
        lk_errf(errbuf, "graph view: node ids are NULL");
        return LK_EINVAL;
    }
    if (g->n_edges > 0 && (!g->src || !g->dst)) {
        lk_errf(errbuf, "graph view: edge endpoints are NULL");
        return LK_EINVAL;
    }
    for (size_t k = 0; k < g->n_edges; k++) {
        if (g->src[k] >= g->n_nodes || g->dst[k] >= g->n_nodes) {
            lk_errf(errbuf, "graph view: edge %zu refers to node %" PRIu32 " of %zu", k,
                    g->src[k] >= g->n_nodes ? g->src[k] : g->dst[k], g->n_nodes);
            return LK_EINVAL;
        }
    }
    return LK_OK;
}

/* The optional per-node and per-edge attributes, in output order.  An
 * attribute whose array is NULL is left out of the declarations and the
 * data, so partial views still give valid files. */
enum { A_U32, A_U64, A_DOUBLE, A_STRING };

/* The most attributes node_attrs() and edge_attrs() can give. */
#define GW_NODE_ATTRS 6
#define GW_EDGE_ATTRS 4

typedef struct attr {
    const char *name;
    int type;
    const void *arr;
} attr;

static size_t node_attrs(const lk_graph_view *g, attr *a)
{
    size_t k = 0;
    if (g->group)
        a[k++] = (attr){"group", A_U32, g->group};
    if (g->component)
        a[k++] = (attr){"component", A_U32, g->component};
    if (g->degree)
        a[k++] = (attr){"degree", A_U64, g->degree};
    if (g->co_actions)
        a[k++] = (attr){"co_actions", A_U64, g->co_actions};
    if (g->strength)
        a[k++] = (attr){"strength", A_DOUBLE, g->strength};
    if (g->actions)
        a[k++] = (attr){"actions", A_U64, g->actions};
    return k;
}

/* Edge weight is GEXF's native `weight` attribute; GraphML gets it as a key. */
static size_t edge_attrs(const lk_graph_view *g, attr *a, int with_weight)
{
    size_t k = 0;
    if (with_weight && g->weight)
        a[k++] = (attr){"weight", A_DOUBLE, g->weight};
    if (g->score)
        a[k++] = (attr){"score", A_DOUBLE, g->score};
    if (g->edge_co_actions)
        a[k++] = (attr){"co_actions", A_U64, g->edge_co_actions};
    if (g->traces)
        a[k++] = (attr){"traces", A_STRING, g->traces};
    return k;
}

/* uint32/uint64 are declared "long": GraphML's and GEXF's "int" is 32-bit
 * signed and would not hold every uint32. */
static const char *type_name(int type)
{
    return type == A_DOUBLE ? "double" : type == A_STRING ? "string" : "long";
}

static lk_status put_value(gw *w, const attr *a, size_t i)
{
    switch (a->type) {
    case A_U32:
        return put_u64(w, ((const uint32_t *)a->arr)[i]);
    case A_U64:
        return put_u64(w, ((const uint64_t *)a->arr)[i]);
    case A_DOUBLE:
        return put_double(w, ((const double *)a->arr)[i]);
    default:
        return put_xml(w, ((const char *const *)a->arr)[i]);
    }
}

/* ---- GraphML -------------------------------------------------------------- */

static lk_status graphml_keys(gw *w, const char *what, const char *prefix, const attr *a, size_t na)
{
    lk_status st = LK_OK;

    for (size_t k = 0; k < na && st == LK_OK; k++)
        st = lk_buf_printf(&w->b,
                           "  <key id=\"%s_%s\" for=\"%s\" attr.name=\"%s\" attr.type=\"%s\"/>\n",
                           prefix, a[k].name, what, a[k].name, type_name(a[k].type));
    return st;
}

static lk_status graphml_data(gw *w, const char *prefix, const attr *a, size_t na, size_t i)
{
    lk_status st = LK_OK;

    for (size_t k = 0; k < na && st == LK_OK; k++) {
        if ((st = lk_buf_printf(&w->b, "<data key=\"%s_%s\">", prefix, a[k].name)) == LK_OK &&
            (st = put_value(w, &a[k], i)) == LK_OK)
            st = put(w, "</data>");
    }
    return st;
}

static lk_status graphml_body(gw *w, const lk_graph_view *g)
{
    attr na[GW_NODE_ATTRS], ea[GW_EDGE_ATTRS];
    const size_t nna = node_attrs(g, na), nea = edge_attrs(g, ea, 1);
    lk_status st;

    if ((st = put(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\"\n"
                     "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
                     "    xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
                     "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
                     "  <key id=\"v_label\" for=\"node\" attr.name=\"label\" "
                     "attr.type=\"string\"/>\n")) != LK_OK ||
        (st = graphml_keys(w, "node", "v", na, nna)) != LK_OK ||
        (st = graphml_keys(w, "edge", "e", ea, nea)) != LK_OK ||
        (st = put(w, "  <graph id=\"G\" edgedefault=\"undirected\">\n")) != LK_OK)
        return st;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if ((st = lk_buf_printf(&w->b, "    <node id=\"n%zu\"><data key=\"v_label\">", i)) !=
                LK_OK ||
            (st = put_xml(w, g->node_id[i])) != LK_OK || (st = put(w, "</data>")) != LK_OK ||
            (st = graphml_data(w, "v", na, nna, i)) != LK_OK ||
            (st = put(w, "</node>\n")) != LK_OK || (st = gw_maybe_flush(w)) != LK_OK)
            return st;
    }
    for (size_t k = 0; k < g->n_edges; k++) {
        if ((st = lk_buf_printf(
                 &w->b, "    <edge id=\"e%zu\" source=\"n%" PRIu32 "\" target=\"n%" PRIu32 "\">", k,
                 g->src[k], g->dst[k])) != LK_OK ||
            (st = graphml_data(w, "e", ea, nea, k)) != LK_OK ||
            (st = put(w, "</edge>\n")) != LK_OK || (st = gw_maybe_flush(w)) != LK_OK)
            return st;
    }
    return put(w, "  </graph>\n</graphml>\n");
}

/* Check the view, write one format's body, close (removing a failed file). */
static lk_status write_graph(const lk_graph_view *g, const char *path, char *errbuf,
                             lk_status (*body)(gw *, const lk_graph_view *))
{
    gw w;
    lk_status st;

    if ((st = check_view(g, errbuf)) != LK_OK)
        return st;
    if ((st = gw_open(&w, path, errbuf)) != LK_OK)
        return st;
    st = body(&w, g);
    if (st == LK_ENOMEM)
        lk_errf(errbuf, "cannot write '%s': out of memory", path);
    return gw_close(&w, st);
}

lk_status lk_write_graphml(const lk_graph_view *g, const char *path, char *errbuf)
{
    return write_graph(g, path, errbuf, graphml_body);
}

/* ---- GEXF 1.2 -------------------------------------------------------------
 * GEXF 1.2draft rather than 1.3: the two are the same for what we write
 * (static graph, declared attributes, native label and weight), and 1.2draft
 * is what every reader takes: Gephi 0.8 to 0.10, graphology and networkx of
 * all versions, whereas networkx before 3.0 (Debian 12 packages 2.8.8) finds
 * "no <graph> element" in a 1.3 file. */

static lk_status gexf_decls(gw *w, const char *cls, const attr *a, size_t na)
{
    lk_status st;

    if (na == 0)
        return LK_OK;
    if ((st = lk_buf_printf(&w->b, "    <attributes class=\"%s\">\n", cls)) != LK_OK)
        return st;
    for (size_t k = 0; k < na; k++)
        if ((st = lk_buf_printf(&w->b, "      <attribute id=\"%s\" title=\"%s\" type=\"%s\"/>\n",
                                a[k].name, a[k].name, type_name(a[k].type))) != LK_OK)
            return st;
    return put(w, "    </attributes>\n");
}

static lk_status gexf_values(gw *w, const attr *a, size_t na, size_t i)
{
    lk_status st;

    if (na == 0) /* the schema wants at least one attvalue inside attvalues */
        return LK_OK;
    if ((st = put(w, "<attvalues>")) != LK_OK)
        return st;
    for (size_t k = 0; k < na; k++) {
        if ((st = lk_buf_printf(&w->b, "<attvalue for=\"%s\" value=\"", a[k].name)) != LK_OK ||
            (st = put_value(w, &a[k], i)) != LK_OK || (st = put(w, "\"/>")) != LK_OK)
            return st;
    }
    return put(w, "</attvalues>");
}

static lk_status gexf_body(gw *w, const lk_graph_view *g)
{
    attr na[GW_NODE_ATTRS], ea[GW_EDGE_ATTRS];
    const size_t nna = node_attrs(g, na), nea = edge_attrs(g, ea, 0);
    lk_status st;

    if ((st = put(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<gexf xmlns=\"http://www.gexf.net/1.2draft\"\n"
                     "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
                     "    xsi:schemaLocation=\"http://www.gexf.net/1.2draft "
                     "http://www.gexf.net/1.2draft/gexf.xsd\" version=\"1.2\">\n"
                     "  <meta>\n"
                     "    <creator>lockstep</creator>\n"
                     "    <description>coordinated network</description>\n"
                     "  </meta>\n"
                     "  <graph mode=\"static\" defaultedgetype=\"undirected\">\n")) != LK_OK ||
        (st = gexf_decls(w, "node", na, nna)) != LK_OK ||
        (st = gexf_decls(w, "edge", ea, nea)) != LK_OK || (st = put(w, "    <nodes>\n")) != LK_OK)
        return st;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if ((st = lk_buf_printf(&w->b, "      <node id=\"n%zu\" label=\"", i)) != LK_OK ||
            (st = put_xml(w, g->node_id[i])) != LK_OK || (st = put(w, "\">")) != LK_OK ||
            (st = gexf_values(w, na, nna, i)) != LK_OK || (st = put(w, "</node>\n")) != LK_OK ||
            (st = gw_maybe_flush(w)) != LK_OK)
            return st;
    }
    if ((st = put(w, "    </nodes>\n    <edges>\n")) != LK_OK)
        return st;
    for (size_t k = 0; k < g->n_edges; k++) {
        if ((st = lk_buf_printf(
                 &w->b, "      <edge id=\"e%zu\" source=\"n%" PRIu32 "\" target=\"n%" PRIu32 "\"",
                 k, g->src[k], g->dst[k])) != LK_OK)
            return st;
        if (g->weight &&
            ((st = put(w, " weight=\"")) != LK_OK || (st = put_double(w, g->weight[k])) != LK_OK ||
             (st = put(w, "\"")) != LK_OK))
            return st;
        if ((st = put(w, ">")) != LK_OK || (st = gexf_values(w, ea, nea, k)) != LK_OK ||
            (st = put(w, "</edge>\n")) != LK_OK || (st = gw_maybe_flush(w)) != LK_OK)
            return st;
    }
    return put(w, "    </edges>\n  </graph>\n</gexf>\n");
}

lk_status lk_write_gexf(const lk_graph_view *g, const char *path, char *errbuf)
{
    return write_graph(g, path, errbuf, gexf_body);
}
