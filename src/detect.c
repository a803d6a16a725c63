/*
 * detect.c - the detect pipeline: read -> index -> sweep -> aggregate ->
 * threshold -> cluster -> write.  One direction, no back and forth
 * (DESIGN.md, "Pipeline").
 */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <sys/resource.h>
#include <unistd.h>

#include "detect_int.h"
#include "out_file.h"
#include "calibrate.h"
#include "dist.h"
#include "par.h"
#include "reader.h"
#include "report.h"
#include "tmpfile.h"

const char *const lk_detect_outputs[] = {
    "summary.json", "accounts.csv",      "groups.csv",   "edges.csv",
    "evidence.csv", "network.graphml",   "network.gexf", "pairs.csv",
    "report.html",  "group_objects.csv", NULL,
};

void lk_detect_opts_init(lk_detect_opts *o)
{
    memset(o, 0, sizeof *o);
    o->window_ms = 60000;
    o->min_participation = 2;
    o->threshold = LK_THRESHOLD_FDR;
    o->threshold_value = -1;
    o->fdr = 0.01;
    o->min_sync = 0.45;
    o->near_text_threshold = 0.3;
    o->edge_quantile = 0.5;
    o->compat = LK_COMPAT_NONE;
    o->on_error = LK_ON_ERROR_FAIL;
    o->format = "auto";
    o->traces = "default";
    o->col_object = "object_id";
    o->col_account = "account_id";
    o->col_content = "content_id";
    o->col_time = "timestamp_share";
    o->out_dir = "lockstep-out";
    o->seed = 1;
    o->resolution = 1.0;
    o->write_evidence = 1;
    o->write_report = 1;
    o->max_burst = 200;
    o->evidence_per_edge = 10;
    o->progress = LK_PROGRESS_NEVER; /* a library is silent unless asked */
}

lk_detect *lk_detect_new(const lk_detect_opts *o)
{
    lk_detect *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->o = *o;
    return d;
}

lk_status lk_detect_add_input(lk_detect *d, const char *path)
{
    char *p = strdup(path);
    if (!p || LK_GROW(d->inputs, d->ninputs + 1, d->cap_inputs) != LK_OK) {
        free(p);
        lk_errf(d->errmsg, "out of memory adding the input '%s'", path);
        return LK_ENOMEM;
    }
    d->inputs[d->ninputs++] = p;
    return LK_OK;
}

const char *lk_detect_errmsg(const lk_detect *d)
{
    return d->errmsg;
}

void lk_detect_get_stats(const lk_detect *d, lk_detect_stats *out)
{
    *out = d->stats;
}

void lk_detect_free(lk_detect *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->ninputs; i++)
        free(d->inputs[i]);
    free(d->inputs);
    free(d->in_stats);
    if (d->ds_ready)
        lk_dataset_release(&d->ds);
    free(d);
}

/* Stage timings go to the log (-v), never into the output files. */

static void stage_done(const char *what, double *t0)
{
    double t = lk_mono_s();
    /* the stage's buffers are freed: give the pages back, so that the next
     * stage (and --max-mem's budget, which subtracts what is resident)
     * starts from what is really in use */
    (void)malloc_trim(0);
    lk_log(LK_LOG_INFO, "%s: %.3f s (resident %.0f MB)", what, t - *t0,
           (double)lk_rss_now() / 1048576.0);
    *t0 = t;
}

static uint64_t peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

/*
 * Bytes the pair stage (and, under a cap, the object index's build) may hold
 * in memory: under --max-mem what the cap
 * leaves beside what is already resident (the action index, and for the
 * calibration the kept edges), less a sixteenth of the cap for what the
 * stages hold beyond their records and copies (sort and partition tables,
 * the allocator's slack: 10^8 actions under 4G peaked 9 MB below the cap
 * without it);
 * without a cap 60% of physical memory less that.  Records beyond half of
 * it are spilled to --tmp-dir (net.h).  It is never less than an eighth of
 * the cap: when what is resident already takes (nearly) all of it, a
 * smaller budget would not bring the run back under the cap, only cut the
 * spilled records into ever smaller blocks and partitions (8 MB made
 * 15,798 partitions of 10^8 actions' pairs, and the stage 33 times slower
 * than at 10^7).
 */
static uint64_t mem_budget(const lk_detect *d, int warn)
{
    const uint64_t used = lk_rss_now();
    uint64_t cap = d->o.max_mem, floor, room;
    if (!cap) {
        const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        cap = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 10 * 6 : (uint64_t)4 << 30;
    }
    floor = LK_MAX(cap / 8, (uint64_t)8 << 20);
    room = d->o.max_mem ? cap - cap / 16 : cap;
    if (warn && d->o.max_mem && used + floor > room)
        lk_log(LK_LOG_WARN,
               "the data held in memory (index, kept edges) already take %llu MB of the %llu MB "
               "--max-mem; the pair stage uses %llu MB more",
               (unsigned long long)(used >> 20), (unsigned long long)(cap >> 20),
               (unsigned long long)(floor >> 20));
    return room > used + floor ? room - used : floor;
}

/* The pair stage's budget, with a warning when the resident data leave it
 * less than its floor. */
static uint64_t pair_budget(const lk_detect *d)
{
    return mem_budget(d, 1);
}

/* Remove every file a run writes: stale results must never sit beside new
 * ones, and a failed run must not leave tables that look complete. */
static void clear_outputs(const char *dir)
{
    char path[4096];
    for (size_t i = 0; lk_detect_outputs[i]; i++) {
        (void)snprintf(path, sizeof path, "%s/%s", dir, lk_detect_outputs[i]);
        (void)unlink(path);
    }
}

static lk_status check_opts(lk_detect *d)
{
    const lk_detect_opts *o = &d->o;
    if (o->window_ms < 0 && o->window_ms != LK_WINDOW_AUTO) {
        lk_errf(d->errmsg, "the window must not be negative");
        return LK_EINVAL;
    }
    if (o->window_ms > (int64_t)UINT32_MAX) {
        lk_errf(d->errmsg, "the window must be at most 49 days (%lld ms)", (long long)UINT32_MAX);
        return LK_EINVAL;
    }
    if (o->min_participation < 0) {
        lk_errf(d->errmsg, "min participation must not be negative");
        return LK_EINVAL;
    }
    if (o->threshold == LK_THRESHOLD_QUANTILE &&
        !(o->threshold_value >= 0 && o->threshold_value <= 1)) {
        lk_errf(d->errmsg, "a quantile threshold must be in [0, 1]");
        return LK_EINVAL;
    }
    if (o->threshold == LK_THRESHOLD_FDR && o->compat == LK_COMPAT_NONE &&
        !(o->fdr > 0 && o->fdr < 1)) {
        lk_errf(d->errmsg, "the false-discovery rate must be in (0, 1)");
        return LK_EINVAL;
    }
    if (!(o->near_text_threshold > 0 && o->near_text_threshold <= 1)) {
        lk_errf(d->errmsg, "the near-text threshold must be in (0, 1]");
        return LK_EINVAL;
    }
    if (o->null_sample > 65536 || (o->null_sample & (o->null_sample - 1))) {
        lk_errf(d->errmsg, "the null sample must be 0 (auto) or a power of two up to 65536");
        return LK_EINVAL;
    }
    if (!(o->min_sync >= 0 && o->min_sync <= 1)) {
        lk_errf(d->errmsg, "the synchrony minimum must be in [0, 1]");
        return LK_EINVAL;
    }
    if (!(o->edge_quantile >= 0 && o->edge_quantile <= 1)) {
        lk_errf(d->errmsg, "the edge quantile must be in [0, 1]");
        return LK_EINVAL;
    }
    if (!(o->resolution > 0)) {
        lk_errf(d->errmsg, "the resolution must be positive");
        return LK_EINVAL;
    }
    if (d->ninputs == 0) {
        lk_errf(d->errmsg, "no input files");
        return LK_EINVAL;
    }
    return LK_OK;
}

/* The stage under way, for the meter and for an out-of-memory message. */
static void enter_stage(lk_detect *d, const char *stage)
{
    d->stage = stage;
    lk_progress_stage(&d->prog, stage, 0);
}

/* An allocation failed where no message was written: which stage, and what
 * the cap would do about it (--max-mem parks the large tables in
 * --tmp-dir; without it only the pair records spill). */
static void oom_message(lk_detect *d)
{
    const char *stage = d->stage ? d->stage : "read";
    if (d->o.max_mem)
        lk_errf(d->errmsg, "out of memory in the %s stage, under --max-mem %llu MiB", stage,
                (unsigned long long)(d->o.max_mem >> 20));
    else
        lk_errf(d->errmsg,
                "out of memory in the %s stage (--max-mem SIZE parks the large tables in "
                "--tmp-dir)",
                stage);
}

/* The sink's steps of a spilling near-text clustering, as stages (ctx: the
 * time the last one ended). */
static void sink_stage(void *ctx, const char *what)
{
    stage_done(what, ctx);
}

static lk_status read_inputs(lk_detect *d)
{
    lk_read_opts ro;
    lk_sink_opts so;
    lk_sink *k = NULL;
    lk_status st;
    uint64_t exchanged = 0, by_range = 0;
    double t_step = 0;       /* sink_stage's clock */
    uint64_t peak_files = 0; /* peak RSS once the files are read, before near-text */
    int f = lk_format_from_name(d->o.format ? d->o.format : "auto");

    if (f < 0) {
        lk_errf(d->errmsg, "unknown format '%s' (expected one of %s)", d->o.format,
                lk_format_names());
        return LK_EINVAL;
    }
    memset(&so, 0, sizeof so);
    if ((st = lk_traces_parse(d->o.traces ? d->o.traces : "default", &so.traces, d->errmsg)) !=
        LK_OK)
        return st;
    ro.format = (lk_format)f;
    ro.col_object = d->o.col_object;
    ro.col_account = d->o.col_account;
    ro.col_content = d->o.col_content;
    ro.col_time = d->o.col_time;
    ro.threads = lk_par_threads(d->o.threads);
    ro.chunk_bytes = 0;
    /* distributed, the ranks share out the parsing (--compat: rank 0 alone reads) */
    ro.dist_bytes = lk_dist_size() > 1 && d->o.compat == LK_COMPAT_NONE ? &exchanged : NULL;
    ro.dist_read = &by_range;
    so.threads = ro.threads;
    so.distributed = ro.dist_bytes != NULL;
    /* CooRTweet groups an empty object id like any other; QUT needs every row
     * for its message-id de-duplication */
    so.keep_empty = d->o.compat != LK_COMPAT_NONE;
    so.skip_bad_rows = d->o.on_error == LK_ON_ERROR_SKIP;
    so.near_text_threshold = d->o.near_text_threshold;
    so.max_mem = d->o.max_mem;
    so.tmp_dir = d->o.tmp_dir;
    so.stage = sink_stage;
    so.stage_ctx = &t_step;
    if (d->o.compat != LK_COMPAT_NONE) /* the peers' tables have one generic trace */
        so.traces &= ~(1u << LK_TR_NEAR_TEXT);
    d->in_stats = calloc(d->ninputs, sizeof *d->in_stats);
    if (!d->in_stats)
        return LK_ENOMEM;
    if ((st = lk_dataset_init(&d->ds)) != LK_OK)
        return st;
    d->ds_ready = 1;
    /* native detect under a cap: the actions go to --tmp-dir as they come
     * (the compatibility modes read the table as it is) */
    if (d->o.max_mem && d->o.compat == LK_COMPAT_NONE &&
        (st = lk_dataset_spill(&d->ds, d->o.tmp_dir, d->errmsg)) != LK_OK)
        return st;
    if ((st = lk_sink_new(&so, NULL, NULL, &d->ds, &k)) != LK_OK)
        return st;
    lk_sink_set_progress(k, &d->prog);
    lk_progress_inputs(&d->prog, d->inputs, d->ninputs);
    for (size_t i = 0; i < d->ninputs; i++) {
        lk_input_stats *s = &d->in_stats[i];
        st = lk_read_file(d->inputs[i], (uint32_t)i, &ro, k, s, d->errmsg);
        if (st != LK_OK)
            break;
    }
    if (st == LK_OK && ro.dist_bytes)
        lk_log(LK_LOG_INFO,
               "reading over %d ranks: %llu bytes of journals exchanged, %llu bytes of plain "
               "files read by byte range on rank 0",
               lk_dist_size(), (unsigned long long)exchanged, (unsigned long long)by_range);
    if (st == LK_OK) {
        double t0 = lk_mono_s();
        t_step = t0;
        peak_files = peak_rss();
        enter_stage(d, "near-text");
        st = lk_sink_finish(k);
        lk_sink_neartext_stats(k, &d->ntst);
        if (lk_sink_waited(k)) /* the records that waited for the posts' keys, first */
            stage_done(d->ntst.posts ? "waiting records and near-text clustering"
                                     : "waiting records",
                       &t0);
        else if (d->ntst.posts)
            stage_done("near-text clustering", &t0);
    }
    /* totals after near-text, which may turn a used row into a skipped one */
    for (size_t i = 0; i < d->ninputs; i++) {
        const lk_input_stats *s = &d->in_stats[i];
        d->stats.rows_read += s->rows_read;
        d->stats.rows_used += s->rows_used;
        for (int r = 0; r < LK_SKIP_N; r++)
            d->stats.rows_skipped += s->skipped[r];
    }
    lk_sink_free(k);
    if (st != LK_OK)
        return st;
    d->stats.accounts = lk_strpool_count(d->ds.accounts);
    /* what the cap cannot bound while reading: say so when it was exceeded,
     * naming what held the memory when it peaked (the sizes per item are
     * lockstep-detect(1)'s: about 40 bytes a string with its hash table,
     * which the tables hold, with the posts' keys, up to three quarters of
     * the cap before they freeze; the
     * clustering's own count of what it held) */
    const uint64_t peak = peak_rss();
    if (d->o.max_mem && peak > d->o.max_mem) {
        const unsigned long long nacc = lk_strpool_count(d->ds.accounts),
                                 nobj = lk_strpool_count(d->ds.objects), ntx = d->ntst.sketched;
        if (ntx && peak > peak_files)
            lk_log(LK_LOG_WARN,
                   "reading peaked at %llu MB, above the %llu MB of --max-mem, while the %llu "
                   "near-text texts were clustered: what the clustering holds of their signatures "
                   "and its work (%llu MB) is held in memory whatever the cap "
                   "(lockstep-detect(1), MEMORY AND THREADS)",
                   (unsigned long long)(peak >> 20), (unsigned long long)(d->o.max_mem >> 20), ntx,
                   (unsigned long long)(d->ntst.held >> 20));
        else
            lk_log(LK_LOG_WARN,
                   "reading peaked at %llu MB, above the %llu MB of --max-mem: the reader's "
                   "buffers (about 24 MB a thread) are held in memory whatever the cap, beside "
                   "the tables of the %llu accounts and %llu objects (about %llu MB whole) and "
                   "the posts' keys' table (about 14 bytes a distinct post), which take three "
                   "quarters of the cap at most while they are filled and a few MB while what "
                   "they left out is added (lockstep-detect(1), MEMORY AND THREADS)",
                   (unsigned long long)(peak >> 20), (unsigned long long)(d->o.max_mem >> 20), nacc,
                   nobj, ((nacc + nobj) * 40) >> 20);
    }
    return LK_OK;
}

/*
 * The tables, graphs and evidence read only the actions of accounts in
 * coordinated edges, outside bursts (lk_write_native): the index is cut
 * down to them, and the burst marks dropped with the rest, before the
 * string tables come back (under a cap the full index beside them was the
 * run's peak).  keep[0..nacc) is scratch.
 */
static lk_status narrow_index(lk_objindex *ix, lk_net *net, uint8_t *keep, size_t nacc,
                              unsigned threads)
{
    lk_objindex sub;
    size_t naccounts = 0;
    lk_status st;

    memset(keep, 0, LK_MAX(nacc, (size_t)1));
    for (size_t k = 0; k < net->n; k++)
        if (net->e[k].coord)
            keep[net->e[k].a] = keep[net->e[k].b] = 1;
    for (size_t a = 0; a < nacc; a++)
        naccounts += keep[a];
    if ((st = lk_objindex_subset(ix, keep, net->burst_mark, threads, &sub)) != LK_OK)
        return st;
    lk_log(LK_LOG_DEBUG, "index narrowed to the %zu actions of %zu coordinated accounts (of %zu)",
           sub.n, naccounts, ix->n);
    sub.content_fd1 = ix->content_fd1; /* the refs' file goes with it */
    sub.content_dir = ix->content_dir;
    ix->content_fd1 = 0;
    lk_objindex_release(ix);
    *ix = sub;
    free(net->burst_mark);
    net->burst_mark = NULL;
    return LK_OK;
}

/* Under --max-mem, before the string tables come back: of the content ids
 * only those of the cut-down index's actions, read from the parked file
 * (1.2 GB of them at 10^8 actions, where the tables show 3,076 actions). */
static lk_status pick_content(lk_detect *d, lk_objindex *ix)
{
    uint64_t *refs = malloc(LK_MAX(ix->n, (size_t)1) * sizeof *refs);
    lk_status st;

    if (!refs)
        return LK_ENOMEM;
    for (size_t r = 0; r < ix->n; r++)
        refs[r] = ix->a[r].content;
    if ((st = lk_dataset_pick_content(&d->ds, refs, ix->n, d->errmsg)) == LK_OK)
        for (size_t r = 0; r < ix->n; r++)
            ix->a[r].content = refs[r];
    free(refs);
    return st;
}

/*
 * Under --max-mem, for the tables and graphs, which read strings by id and
 * only those of the coordinated edges' accounts and of the narrowed index's
 * actions: only those ids' strings come back (lk_dataset_unpark_ids; at
 * 1.5 x 10^8 actions 40 accounts and 1,441 objects of 7.5 and 36.9
 * million, where all of them took 2.4 GB), and no pool's hash table.  keep[0..nacc)
 * is scratch.
 */
static lk_status unpark_shown(lk_detect *d, const lk_objindex *ix, const lk_net *net, uint8_t *keep,
                              size_t nacc)
{
    const size_t nobj = lk_strpool_count(d->ds.objects);
    uint8_t *okeep = calloc(LK_MAX(nobj, (size_t)1), 1);
    uint32_t *ids[2] = {NULL, NULL};
    size_t nids[2] = {0, 0};
    lk_status st = LK_ENOMEM;

    if (!okeep)
        return LK_ENOMEM;
    memset(keep, 0, LK_MAX(nacc, (size_t)1));
    for (size_t k = 0; k < net->n; k++)
        keep[net->e[k].a] = keep[net->e[k].b] = 1;
    for (size_t r = 0; r < ix->n; r++) {
        keep[ix->a[r].account] = 1;
        okeep[ix->a[r].object] = 1;
    }
    for (size_t a = 0; a < nacc; a++)
        nids[0] += keep[a];
    for (size_t o = 0; o < nobj; o++)
        nids[1] += okeep[o];
    ids[0] = malloc(LK_MAX(nids[0], (size_t)1) * sizeof *ids[0]);
    ids[1] = malloc(LK_MAX(nids[1], (size_t)1) * sizeof *ids[1]);
    if (ids[0] && ids[1]) {
        size_t m = 0;
        for (size_t a = 0; a < nacc; a++)
            if (keep[a])
                ids[0][m++] = (uint32_t)a;
        m = 0;
        for (size_t o = 0; o < nobj; o++)
            if (okeep[o])
                ids[1][m++] = (uint32_t)o;
        st = lk_dataset_unpark_ids(&d->ds, (const uint32_t *const *)ids, nids,
                                   lk_par_threads(d->o.threads), d->errmsg);
    }
    if (st == LK_OK) /* a pool past one id in 16 came back whole (strpool.h) */
        lk_log(LK_LOG_INFO,
               "string tables read back for the outputs: the %zu account ids and %zu object ids "
               "they show (of %zu and %zu)%s%s",
               nids[0], nids[1], nacc, nobj,
               lk_strpool_partial(d->ds.accounts) ? "" : "; every account id",
               lk_strpool_partial(d->ds.objects) ? "" : "; every object id");
    free(ids[0]);
    free(ids[1]);
    free(okeep);
    return st;
}

/* --window auto: estimate the window over ix (NULL: over every action of
 * d->ds) and run with it; a no-op for a given window (window_auto.c) */
static lk_status estimate_window(lk_detect *d, const lk_objindex *ix, const uint8_t *otrace)
{
    lk_window_auto_opts wo;
    lk_status st;

    if (d->o.window_ms != LK_WINDOW_AUTO)
        return LK_OK;
    lk_window_auto_opts_init(&wo);
    /* under a cap the string tables are parked: each object's trace */
    wo.ds = otrace ? NULL : &d->ds;
    wo.otrace = otrace;
    st = ix ? lk_window_auto(ix, &wo, &d->wauto) : lk_window_auto_ds(&d->ds, &wo, &d->wauto);
    if (st != LK_OK)
        return st;
    d->window_auto = 1;
    d->o.window_ms = d->wauto.window_ms;
    return LK_OK;
}

/*
 * Under --max-mem the actions were spilled to --tmp-dir as they were read
 * (lk_dataset_spill), each with its content id's hash in place of its
 * content ref (the refs wait on disk by row).  The string tables (account,
 * object and content ids) are parked there too, from before the index is
 * built to the clustering: the pair stage and the calibration need only
 * each object's trace, computed here first (1 byte an object, against
 * about 70 bytes a string: 3.6 GB at 10^8 actions).
 */
/* An object's trace, its key's first byte (lk_ds_object), into ctx[id]. */
static void trace_of(void *ctx, uint32_t id, const char *s, size_t n)
{
    ((uint8_t *)ctx)[id] = n ? (uint8_t)(s[0] - 'A') : 0;
}

static lk_status park_strings(lk_detect *d, uint8_t **otrace)
{
    lk_dataset *ds = &d->ds;
    const size_t nobj = lk_strpool_count(ds->objects);
    double t0 = lk_mono_s();
    lk_status st;

    *otrace = malloc(LK_MAX(nobj, (size_t)1));
    if (!*otrace)
        return LK_ENOMEM;
    /* from memory, or from the file when the tables grew there after
     * reading (lk_dataset_park_grow: parked already) */
    if ((st = lk_strpool_each(ds->objects, ds->park_fd1 - 1, ds->park_dir, trace_of, *otrace,
                              d->errmsg)) != LK_OK)
        return st;
    if ((st = lk_dataset_park(ds, d->o.tmp_dir, 0, d->errmsg)) != LK_OK)
        return st;
    stage_done("string tables parked", &t0);
    return LK_OK;
}

/* Under --max-mem, the spilled actions: rows[] counted from their file, on
 * the threads each of its range of accounts (lk_dataset_spilled_par), and
 * in the same pass, when ocount is not NULL, each object's actions
 * (ocount[o + 1], each thread its range of objects) and each account's
 * first object (first[], when not NULL), so that the index need not count
 * them again (kept_counts). */
typedef struct rowcount {
    uint64_t *rows, *ocount;
    uint32_t *first;
    uint32_t lo, hi, olo, ohi;
} rowcount;

static void count_piece(void *ctx, const lk_action *a, size_t m)
{
    const rowcount *c = ctx;
    const uint32_t lo = c->lo, span = c->hi - c->lo, olo = c->olo, ospan = c->ohi - c->olo;
    for (size_t i = 0; i < m; i++) {
        if (a[i].account - lo < span) {
            if (c->first && c->rows[a[i].account] == 0)
                c->first[a[i].account] = a[i].object;
            c->rows[a[i].account]++;
        }
        if (c->ocount && a[i].object - olo < ospan)
            c->ocount[a[i].object + 1]++;
    }
}

/* The last of the spilled actions written, and what reading spilled told. */
static lk_status spill_end(lk_detect *d)
{
    lk_dataset *ds = &d->ds;
    lk_status st;

    if ((st = lk_dataset_spill_flush(ds, 1, d->errmsg)) != LK_OK)
        return st;
    lk_log(LK_LOG_INFO,
           "%zu actions (%zu bytes) and their content refs spilled to %s while reading",
           ds->spill_n, ds->spill_n * sizeof(lk_action), ds->spill_dir);
    lk_log(LK_LOG_INFO, "content ids: %llu bytes spilled to %s while reading, %zu in memory",
           (unsigned long long)ds->content.spill_end, ds->spill_dir,
           ds->content.parked ? (size_t)0 : ds->content.used);
    return LK_OK;
}

static lk_status count_spilled(lk_detect *d, uint64_t *rows, uint64_t *ocount, uint32_t *first)
{
    lk_dataset *ds = &d->ds;
    const size_t nacc = lk_strpool_count(ds->accounts), nobj = lk_strpool_count(ds->objects);
    const unsigned parts = LK_MAX(LK_MIN(lk_par_threads(d->o.threads), 4u), 1u);
    rowcount c[4];

    for (unsigned p = 0; p < parts; p++) {
        c[p].rows = rows;
        c[p].ocount = ocount;
        c[p].first = first;
        c[p].lo = (uint32_t)(nacc * p / parts);
        c[p].hi = (uint32_t)(nacc * (p + 1) / parts);
        c[p].olo = (uint32_t)(nobj * p / parts);
        c[p].ohi = (uint32_t)(nobj * (p + 1) / parts);
    }
    return lk_dataset_spilled_par(ds, parts, count_piece, c, sizeof *c, d->errmsg);
}

/* The objects' counts of count_spilled (all actions) cut down to the kept
 * accounts' actions, for the index: with --min-participation 2 an account
 * left out has one action, on its first object; with 1 or less none is
 * left out that has any.  Larger values would need every left-out action's
 * object: ocount is not counted then (NULL), and the index counts. */
static void kept_counts(const lk_detect *d, const uint64_t *rows, const uint8_t *keep,
                        const uint32_t *first, size_t nacc, uint64_t *ocount)
{
    if (!ocount || !first || d->o.min_participation != 2)
        return;
    for (size_t a = 0; a < nacc; a++)
        if (!keep[a] && rows[a] == 1)
            ocount[first[a] + 1]--;
}

/* Under --max-mem, once built: the pair stage and the calibration read the
 * actions in passes (the pair stage copies them into its columns once), so
 * they wait on disk, mapped, until the outputs (lk_objindex_park_map). */
static lk_status park_index(lk_detect *d, lk_objindex *ix)
{
    double t0 = lk_mono_s();
    lk_status st;

    if ((st = lk_objindex_park_map(ix, d->o.tmp_dir, d->errmsg)) != LK_OK)
        return st;
    lk_log(LK_LOG_INFO, "index (%zu bytes) parked in %s until the outputs", ix->n * sizeof *ix->a,
           lk_tmpfile_dir(d->o.tmp_dir));
    stage_done("index parked", &t0);
    return LK_OK;
}

static lk_status run_native(lk_detect *d)
{
    lk_dataset *ds = &d->ds;
    size_t nacc = lk_strpool_count(ds->accounts);
    uint64_t *rows = calloc(LK_MAX(nacc, (size_t)1), sizeof *rows);
    uint8_t *keep = calloc(LK_MAX(nacc, (size_t)1), 1);
    uint8_t *otrace = NULL;  /* under --max-mem: each object's trace (park_strings) */
    uint64_t *ocount = NULL; /* under --max-mem: each object's kept actions (kept_counts) */
    uint32_t *first = NULL;  /* and each account's first object (count_spilled) */
    lk_objindex ix;
    lk_net net;
    lk_coordnet cn;
    lk_status st = LK_ENOMEM;
    double value = d->o.threshold_value;
    double t0 = lk_mono_s();

    memset(&ix, 0, sizeof ix);
    memset(&net, 0, sizeof net);
    memset(&cn, 0, sizeof cn);
    if (!rows || !keep)
        goto done;
    enter_stage(d, "index");
    if (ds->spill_fd1) {
        /* under a cap: the string tables go to disk first, so that the
         * index is built from the spilled actions without them, and the
         * counts below (8 bytes an object, 13 an account) are never in
         * memory beside them either: at 2 x 10^8 actions reading's end had
         * peaked at 2.8-3.0 GiB, 0.3-0.5 above the tables */
        if ((st = spill_end(d)) != LK_OK || (st = park_strings(d, &otrace)) != LK_OK)
            goto done;
        /* each object's actions counted in the same pass, when the kept
         * accounts' counts can be found from them (kept_counts) */
        if (d->o.min_participation <= 2 &&
            (!(ocount = lk_huge_calloc(lk_strpool_count(ds->objects) + 1, sizeof *ocount)) ||
             (d->o.min_participation == 2 &&
              !(first = malloc(LK_MAX(nacc, (size_t)1) * sizeof *first))))) {
            st = LK_ENOMEM;
            goto done;
        }
        if ((st = count_spilled(d, rows, ocount, first)) != LK_OK)
            goto done;
    } else {
        for (size_t r = 0; r < ds->n; r++)
            rows[ds->a[r].account]++;
    }
    for (size_t a = 0; a < nacc; a++) {
        keep[a] = (int64_t)rows[a] >= d->o.min_participation;
        d->accounts_kept += keep[a];
    }
    kept_counts(d, rows, keep, first, nacc, ocount);
    free(first);
    first = NULL;
    if (ds->spill_fd1) {
        unsigned passes = 0;
        /* held in memory up to half the budget, as the pair stage holds
         * its records (beyond, it is built in passes into a file, which the
         * pair stage maps in any case): at 10^8 actions under 4G the
         * in-memory index (3.4 GB) was the run's peak */
        if ((st = lk_objindex_from_spill(ds, keep, &ocount, mem_budget(d, 0) / 2,
                                         lk_par_threads(d->o.threads), &ix, &passes, d->errmsg)) !=
            LK_OK)
            goto done;
        if (passes > 1)
            lk_log(LK_LOG_INFO, "object index built in %u passes over the actions, into %s", passes,
                   ds->spill_dir);
    } else if ((st = lk_objindex_take(ds, keep, &ix)) != LK_OK) {
        /* the index takes the action table over (ds->n stays for the summary) */
        goto done;
    }
    stage_done("object index", &t0);
    if ((st = estimate_window(d, &ix, otrace)) != LK_OK)
        goto done;
    if (d->o.max_mem && (st = park_index(d, &ix)) != LK_OK)
        goto done;
    if (value < 0)
        value = 2;
    enter_stage(d, "aggregate");
    {
        /* an edge lighter than this can pass neither threshold: weights are
         * >= 1, so a quantile cut is >= 1 and keeps weights >= 2 only */
        uint32_t min_keep = 2;
        lk_net_opts no;
        if (d->o.threshold == LK_THRESHOLD_WEIGHT)
            min_keep = value <= 1 ? 1 : value >= 4e9 ? UINT32_MAX : (uint32_t)ceil(value);
        /* calibrated: coordination is co-action again and again, on at
         * least LK_CALIB_MIN_OBJECTS distinct objects */
        if (d->o.threshold == LK_THRESHOLD_FDR)
            min_keep = LK_CALIB_MIN_OBJECTS;
        memset(&no, 0, sizeof no);
        no.window_ms = d->o.window_ms;
        no.max_burst = d->o.max_burst;
        no.min_keep = min_keep;
        no.budget = pair_budget(d);
        no.threads = lk_par_threads(d->o.threads);
        no.tmp_dir = d->o.tmp_dir;
        no.errbuf = d->errmsg;
        /* calibrated under a cap: the kept edges go to disk as they are
         * reduced, and wait there through the calibration */
        no.park = d->o.max_mem != 0 && d->o.threshold == LK_THRESHOLD_FDR;
        /* under a cap the stage's columns (16 bytes an action) are page
         * cache, not resident memory (cols.h) */
        no.map_cols = d->o.max_mem != 0;
        /* under mpirun each rank keeps the edges it reduced, which the
         * calibration or the threshold judges where they are; rank 0
         * gathers those that pass alone */
        no.local = lk_dist_size() > 1;
        if ((st = lk_net_build_ex(&ix, ds, NULL, &no, &net)) != LK_OK)
            goto done;
    }
    /* distributed: each rank holds its share of the kept edges */
    lk_log(LK_LOG_DEBUG, "rank %d: %zu edges held after aggregation (resident %.0f MB)",
           lk_dist_rank(), net.n, (double)lk_rss_now() / 1048576.0);
    d->stats.pairs = net.pairs;
    d->burst = net.burst;
    d->stats.edges = net.n_all;
    lk_log(LK_LOG_INFO,
           "%llu pairs (%llu of one record only counted) in %u partition(s), %llu edges, %llu "
           "kept; %llu bytes spilled",
           (unsigned long long)net.pairs, (unsigned long long)net.singles, net.partitions,
           (unsigned long long)net.n_all, (unsigned long long)net.n_kept,
           (unsigned long long)net.spilled);
    if (lk_net_parked(&net))
        lk_log(LK_LOG_INFO, "pair aggregation: %zu kept edges (%zu bytes) parked in %s%s", net.n,
               net.n * sizeof(lk_edge), net.park_dir,
               lk_dist_size() > 1 ? " (this rank's share)" : "");
    if (lk_dist_size() > 1)
        lk_log(LK_LOG_INFO, "pair aggregation over %d ranks: %llu bytes shuffled", lk_dist_size(),
               (unsigned long long)net.shuffled);
    stage_done("pair aggregation", &t0);
    if (d->o.threshold == LK_THRESHOLD_FDR) {
        lk_calib_opts co;
        size_t passed;
        enter_stage(d, "calibrate");
        memset(&co, 0, sizeof co);
        co.fdr = d->o.fdr;
        co.min_sync = d->o.min_sync;
        /* a fixed seed: --seed changes Leiden's labels only, never which
         * edges are coordinated */
        co.seed = UINT64_C(0x6c6f636b73746570);
        co.window_ms = d->o.window_ms;
        co.max_burst = d->o.max_burst;
        co.budget = pair_budget(d);
        co.threads = lk_par_threads(d->o.threads);
        co.tmp_dir = d->o.tmp_dir;
        co.errbuf = d->errmsg;
        co.sequential = d->o.max_mem != 0;
        co.min_keep = LK_CALIB_MIN_OBJECTS;
        co.obj_trace = otrace;
        co.null_sample_log2 = lk_calib_sample_log2(d->o.null_sample, net.pairs);
        if ((st = lk_calibrate(&ix, ds, &net, &co, &d->calib, &passed)) != LK_OK)
            goto done;
        d->stats.coord_edges = passed;
        d->cut = d->calib.score_cut;
        if (lk_dist_size() > 1)
            lk_log(LK_LOG_INFO, "calibration over %d ranks: %llu bytes shuffled", lk_dist_size(),
                   (unsigned long long)d->calib.shuffled);
        lk_log(LK_LOG_INFO,
               "calibration: %llu null edges of one in %u account pairs (%llu bytes spilled); "
               "%llu edges at FDR <= %g (score >= %.4g), %llu of them with synchrony >= %g",
               (unsigned long long)d->calib.null_edges, (unsigned)d->calib.null_sample,
               (unsigned long long)d->calib.spilled, (unsigned long long)d->calib.pass_score,
               d->o.fdr, d->calib.score_cut, (unsigned long long)d->calib.pass_sync, d->o.min_sync);
        stage_done("calibration", &t0);
    }
    /* distributed: every rank thresholds its own edges, and those that
     * pass go to rank 0 (as the calibration's above) */
    if (d->o.threshold != LK_THRESHOLD_FDR && lk_dist_size() > 1 &&
        (st = lk_net_threshold_ranks(&net, d->o.threshold, value, &d->cut, &d->stats.coord_edges,
                                     d->errmsg)) != LK_OK)
        goto done;
    /* that was the last collective step: rank 0 alone holds the network
     * that passed, clusters and writes */
    if (lk_dist_rank() != 0)
        goto done;
    if (d->o.threshold != LK_THRESHOLD_FDR && lk_dist_size() == 1)
        d->stats.coord_edges = lk_net_threshold(&net, d->o.threshold, value, &d->cut);
    if (d->stats.coord_edges == SIZE_MAX) {
        st = LK_ENOMEM;
        goto done;
    }
    {
        /* the tables, graphs and evidence need the coordinated edges
         * alone: the others go before the string tables come back */
        size_t m = 0;
        for (size_t k = 0; k < net.n; k++)
            if (net.e[k].coord)
                net.e[m++] = net.e[k];
        if (m < net.n) {
            lk_edge *e = realloc(net.e, LK_MAX(m, (size_t)1) * sizeof *e);
            net.e = e ? e : net.e;
            net.n = net.cap = m;
        }
    }
    free(otrace);
    otrace = NULL;
    /* from the parked index's mapping, under a cap; then the narrowed
     * index's content refs, by row */
    if ((st = narrow_index(&ix, &net, keep, nacc, lk_par_threads(d->o.threads))) != LK_OK ||
        (st = lk_objindex_content_back(&ix, d->errmsg)) != LK_OK)
        goto done;
    if (ds->park_fd1 && (st = pick_content(d, &ix)) != LK_OK)
        goto done;
    if (ds->park_fd1) {
        if ((st = unpark_shown(d, &ix, &net, keep, nacc)) != LK_OK)
            goto done;
        stage_done("string tables read back", &t0);
    }
    enter_stage(d, "cluster");
    if ((st = lk_coordnet_build(ds, &net, &d->o, &cn, d->errmsg)) != LK_OK)
        goto done;
    stage_done("clustering", &t0);
    d->stats.coord_accounts = cn.n;
    d->stats.groups = cn.ngroups;
    d->components = 0;
    for (size_t i = 0; i < cn.n; i++)
        d->components = LK_MAX(d->components, (uint64_t)cn.component[i] + 1);
    enter_stage(d, "write");
    st = lk_write_native(ds, &ix, &net, &cn, rows, &d->o, d->errmsg);
    stage_done("evidence and tables", &t0);
done:
    if (st == LK_ENOMEM && !d->errmsg[0])
        oom_message(d);
    free(rows);
    free(ocount);
    free(first);
    free(keep);
    free(otrace);
    lk_coordnet_release(&cn);
    lk_net_release(&net);
    lk_objindex_release(&ix);
    return st;
}

/* One run; `writer` is 0 on the ranks of a distributed run that do not
 * write (all but rank 0): they never touch the output folder. */
static lk_status run(lk_detect *d, int writer)
{
    lk_status st;

    /* a handle may be run again: start from a clean slate */
    d->errmsg[0] = '\0';
    if (d->ds_ready) {
        lk_dataset_release(&d->ds);
        d->ds_ready = 0;
    }
    free(d->in_stats);
    d->in_stats = NULL;
    memset(&d->stats, 0, sizeof d->stats);
    memset(&d->cstats, 0, sizeof d->cstats);
    memset(&d->burst, 0, sizeof d->burst);
    d->cut = 0;
    memset(&d->calib, 0, sizeof d->calib);
    memset(&d->ntst, 0, sizeof d->ntst);
    d->accounts_kept = 0;
    d->components = 0;
    if (d->window_auto) /* the last run estimated the window: estimate again */
        d->o.window_ms = LK_WINDOW_AUTO;
    d->window_auto = 0;
    if ((st = check_opts(d)) != LK_OK)
        return st;
    if (writer && (st = lk_mkdirs(d->o.out_dir, d->errmsg)) == LK_OK)
        clear_outputs(d->o.out_dir);
    /* distributed: an output folder rank 0 cannot make stops all ranks
     * before they read */
    if ((st = lk_dist_agree(st, d->errmsg)) != LK_OK)
        return st;
    lk_progress_init(&d->prog, d->o.progress);
    enter_stage(d, "read");
    {
        double t0 = lk_mono_s();
        st = read_inputs(d);
        stage_done("reading", &t0);
    }
    if (st == LK_OK) {
        lk_log(LK_LOG_INFO, "read %llu rows (%llu used), %llu accounts",
               (unsigned long long)d->stats.rows_read, (unsigned long long)d->stats.rows_used,
               (unsigned long long)d->stats.accounts);
        if (d->o.compat == LK_COMPAT_NONE) {
            st = run_native(d);
        } else if ((st = estimate_window(d, NULL, NULL)) == LK_OK) {
            lk_compat_opts co;
            enter_stage(d, "compat");
            co.window_ms = d->o.window_ms;
            co.min_participation = d->o.min_participation;
            co.keep_loops = d->o.keep_loops;
            co.edge_quantile = d->o.edge_quantile;
            co.min_edge_weight = d->o.threshold_value < 0 ? 1 : (int64_t)d->o.threshold_value;
            co.out_dir = d->o.out_dir;
            st = d->o.compat == LK_COMPAT_COORTWEET
                     ? lk_compat_coortweet(&d->ds, &co, &d->cstats, d->errmsg)
                     : lk_compat_qut(&d->ds, &co, &d->cstats, d->errmsg);
            d->stats.pairs = d->cstats.pairs;
            d->stats.edges = d->cstats.edges;
            d->stats.coord_edges =
                d->o.compat == LK_COMPAT_COORTWEET ? d->cstats.edges_above : d->cstats.edges;
            d->stats.coord_accounts =
                d->o.compat == LK_COMPAT_COORTWEET ? d->cstats.accounts_above : d->cstats.accounts;
        }
    }
    d->stats.peak_rss_bytes = peak_rss();
    if (st == LK_OK && writer)
        st = lk_write_summary(d, d->errmsg);
    /* read back from the folder, so `lockstep report DIR` gives the same bytes */
    if (st == LK_OK && writer && d->o.compat == LK_COMPAT_NONE && d->o.write_report)
        st = lk_report_dir(d->o.out_dir, d->errmsg);
    lk_progress_done(&d->prog);
    if (st != LK_OK) {
        if (!d->errmsg[0] && st == LK_ENOMEM)
            oom_message(d);
        else if (!d->errmsg[0])
            lk_errf(d->errmsg, "%s", lk_strerror(st));
        if (writer)
            clear_outputs(d->o.out_dir);
    }
    return st;
}

/*
 * Under mpirun (dist.h) every rank runs the pipeline; the pair
 * aggregations (of the data and of the calibration's null copies) are
 * shared out, each rank judges the data's edges it reduced (q-values found
 * by all ranks together, or the threshold), and rank 0 gathers those that
 * pass, clusters and writes.  --compat modes are not
 * distributed: rank 0 runs them alone.  All ranks end here and agree on
 * the outcome, so a failure anywhere fails the run everywhere, with the
 * failing rank's message.
 */
lk_status lk_detect_run(lk_detect *d)
{
    const int writer = lk_dist_rank() == 0;
    lk_status st = LK_OK, all;

    if (lk_dist_size() > 1)
        lk_log(LK_LOG_DEBUG, "rank %d: %u threads (%s; %u cores allowed, shared by %u ranks)",
               lk_dist_rank(), lk_par_threads(d->o.threads),
               d->o.threads > 0 ? "--threads" : "the default", lk_par_cores_allowed(),
               lk_dist_share());
    if (writer || d->o.compat == LK_COMPAT_NONE)
        st = run(d, writer);
    {
        /* the temporary files kept for reuse go (tmpfile.h): at 10^8
         * actions 8 s for about 17 GB, on a filesystem mounted with
         * online discard (bench/RESULTS.md) */
        size_t files;
        const uint64_t bytes = lk_tmpfile_kept(&files);
        const double t0 = lk_mono_s();
        lk_tmpfile_drain();
        if (files)
            lk_log(LK_LOG_DEBUG, "%zu temporary files kept for reuse (%llu bytes) closed in %.3f s",
                   files, (unsigned long long)bytes, lk_mono_s() - t0);
    }
    all = lk_dist_final(st, d->errmsg);
    if (all != LK_OK && st == LK_OK && writer) /* failed elsewhere, after rank 0 wrote */
        clear_outputs(d->o.out_dir);
    return all;
}
