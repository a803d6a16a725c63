/*
 * net.h - pair aggregation: from in-window pairs to account-pair edges with
 * their statistics, and the threshold that cuts the coordinated network.
 *
 * Aggregation is sort-based and partitioned: a counting sweep sizes the job,
 * a second sweep scatters pair records into partitions of the account space
 * (in memory, or spilled to temporary files over the memory budget), and
 * each partition is radix-sorted by pair and reduced to edges in one
 * sequential pass.  Only edges that can pass the threshold are kept.
 */
#ifndef LK_NET_H
#define LK_NET_H

#include "rng.h"
#include "sort.h"
#include "window.h"

typedef struct lk_edge {
    uint32_t a, b;       /* account ids, a < b */
    uint32_t objects;    /* distinct objects co-acted on: the edge weight */
    uint32_t coord;      /* 1 when the threshold keeps the edge */
    uint64_t co_actions; /* in-window pairs of a's and b's actions */
    double sum_dt_s;     /* sum of |dt| in seconds over the co-actions */
    double score;        /* sum over co-action events (post pairs) of the largest ln(A / k_o)
                            of the event's objects; computed for kept edges only */
    uint32_t traces;     /* bit mask of the traces behind the edge */
    uint32_t cn_index;   /* index in the coordinated network's edge list */
    uint32_t common;     /* objects both accounts acted on, at any time (calibration) */
    uint32_t events;     /* co-action events (post pairs) behind the score */
    double qvalue;       /* false-discovery q-value of the score (calibration; else 1) */
    double sync;         /* objects / common (calibration; else 0) */
} lk_edge;

/* A piece of the parked edges: n edges at byte off of file park_fd[file]. */
typedef struct lk_net_seg {
    uint64_t off;
    size_t n;
    unsigned file;
} lk_net_seg;

/* Under mpirun n_all and whist are rank 0's alone (lk_net_build_ex); with
 * lk_net_opts.local every rank holds its own share of the kept edges (e,
 * n, parked), else rank 0 all of them (sk, n) and the other ranks none. */
typedef struct lk_net {
    lk_edge *e; /* kept edges (weight >= min_keep), sorted by (a, b); NULL
                   while they are parked (lk_net_parked) */
    lk_kv *sk;  /* instead of e under lk_net_opts.scores_only: per kept edge
                   key = lk_double_key(score), val = a << 32 | b, in (a, b) order */
    size_t n, cap;
    uint64_t n_all;       /* distinct account pairs with any co-action */
    uint64_t n_kept;      /* kept edges over all ranks (n in one process) */
    uint64_t *whist;      /* whist[w] = edges of weight w (all edges) */
    size_t nwhist;        /* one past the heaviest weight (0: no edges) */
    double *idf;          /* per object: ln(A / k_o), A = active accounts */
    uint64_t pairs;       /* in-window pairs (same-account pairs excluded) */
    uint64_t singles;     /* of them, the pairs of one record the sketch left out
                             of the partitions (net.c; counted in n_all, whist[1]) */
    unsigned partitions;  /* how many partitions the aggregation used */
    uint64_t spilled;     /* bytes written to temporary files (all ranks) */
    unsigned spill_rec;   /* bytes a pair record takes there (packed: 24 in memory) */
    uint64_t shuffled;    /* bytes of pair records sent between ranks (dist.h; all
                             ranks; 0 in a single process) */
    lk_sweep_stats burst; /* what the burst cap left out */
    uint8_t *burst_mark;  /* per index action: 1 when in a burst (see lk_sweep) */
    /* parked edges: the n kept edges in temporary files, segment after
     * segment in (a, b) order (lk_net_park, lk_net_opts.park) */
    int *park_fd;
    unsigned npark_fd;
    lk_net_seg *seg;
    size_t nseg;
    const char *park_dir; /* borrowed */
} lk_net;

/* lk_cols, what the aggregation reads of each action: cols.h (via window.h). */

/* A post (an account's actions with one content id) as the event score
 * sees it: ch = lk_hash64 of the content id. */
static inline uint32_t lk_post_hash(uint64_t ch, uint32_t account)
{
    return (uint32_t)(ch ^ lk_mix64(account));
}

/* How lk_net_build_ex runs. */
typedef struct lk_net_opts {
    int64_t window_ms;    /* co-action window, 0 .. UINT32_MAX ms */
    uint64_t max_burst;   /* burst cap (see lk_sweep); 0 = none */
    uint32_t min_keep;    /* keep edges of at least this weight; lighter ones are
                             only counted (n_all, whist) */
    uint64_t budget;      /* bytes of pair records held in memory at once
                             (>= 1 MiB is used whatever is given) */
    unsigned threads;     /* worker threads, >= 1 */
    const char *tmp_dir;  /* where records over the budget are spilled; NULL:
                             $TMPDIR, else /tmp */
    char *errbuf;         /* LK_ERRMSG_MAX bytes for an I/O error; may be NULL */
    const lk_cols *cols;  /* the actions' columns (borrowed); NULL: read from the
                             index (and the dataset for the posts) */
    int map_cols;         /* 1: the columns it fills itself (cols NULL) go to a
                             temporary file in tmp_dir, mapped (cols.h), and
                             are not counted in the budget */
    int scores_only;      /* 1: keep only each kept edge's pair and score (net->sk,
                             16 bytes an edge instead of 72; the null copies) */
    unsigned sample_log2; /* > 0: only the pairs whose hash falls in 1/2^sample_log2
                             of all (16 at most) are aggregated, the same pairs
                             whatever the threads or ranks; pairs, n_all and the
                             edges count that sample only (the null copies at scale) */
    int park;             /* 1: each partition's kept edges go to a temporary file
                             in tmp_dir once reduced, and the network comes back
                             parked (lk_net_parked; under mpirun with local alone,
                             every rank its own) */
    int local;            /* under mpirun: each rank keeps the kept edges of the
                             partitions it reduced (in memory, or parked under
                             park) instead of sending them to rank 0, which
                             gets every partition's counts (n_all, whist) only:
                             the calibration (calibrate.c) and
                             lk_net_threshold_ranks judge them where they are;
                             ignored with scores_only, whose scores go to rank 0 */
    /* > 0: partitions of at most this many records whatever the budget
     * (tests: many partitions); 0: cut from the budget and the pairs */
    uint64_t part_records;
    /* under mpirun, with cols and scores_only: cols hold this rank's share
     * of the objects alone (lk_net_share with the same threads), the only
     * ones it sweeps: the accounts are counted and the bursts found there
     * (burst and burst_mark are then this rank's objects'); NULL: cols
     * hold every action */
    const lk_share *share;
} lk_net_opts;

/**
 * Collective under mpirun: this rank's share of ix's objects in the pair
 * stage of lk_net_build_ex with o->threads = threads (the chunks it
 * sweeps, cut the same on every rank from the smallest thread count), so
 * that columns built for it (lk_net_opts.share) need hold those objects'
 * actions alone.  Call it with a single rank too (every range is then
 * this process's: use NULL for all instead).  Free with lk_share_release.
 * @return LK_OK, LK_ENOMEM, or a failure agreed from another rank.
 */
LK_RESULT_USED lk_status lk_net_share(const lk_objindex *ix, unsigned threads, lk_share *out,
                                      char *errbuf);

/**
 * Sweep the index and aggregate every in-window pair of two different
 * accounts (pairs inside bursts excepted, see lk_sweep) into edges.
 *
 * The sweep runs over contiguous object ranges (one task each, o->threads
 * at a time) and scatters its pair records into partitions of the account
 * space; each partition is then sorted and reduced (again in parallel).
 * When all records fit half the budget they stay in memory; otherwise they
 * are spilled to one temporary file per worker in o->tmp_dir, made without
 * a name (O_TMPFILE; else unlinked at once) so that nothing is left behind
 * whatever ends the process.  Partitions are cut so that the sorting workers together hold at
 * most half the budget, but no smaller than where the partitions' own
 * costs (write buffers, block lists) equal their sorting buffers.
 *
 * Under mpirun (dist.h) every rank calls this with the same index: the
 * sweep, the scatter and the reduction are shared out among the ranks, and
 * the reduced edges are gathered on rank 0, which alone returns the whole
 * network.  The other ranks return no edges (n == 0, no whist, n_all == 0)
 * but the same pairs, partitions, spilled, shuffled, n_kept, burst, idf
 * and burst_mark as rank 0.  With o->local the edges stay where they were
 * reduced: each rank returns the kept edges of its partitions (p % R ==
 * rank) in (a, b) order, rank 0 alone n_all and whist.  A failure on any rank fails the
 * call on all.
 *
 * Deterministic: the kept edges and their statistics depend neither on the
 * budget nor on the number of threads or ranks.  Time O(P log_256(A^2)) for P pairs
 * and A accounts.
 * @param ix   the object runs (start, nobj, n); its actions are read only
 *             when o->cols is NULL.
 * @param ds   content ids tell which actions are one post, for the event
 *             score; NULL: each input record is a post.  Unused with o->cols.
 * @param idf  per-object weights ln(A / k_o) (n = ix->nobj); NULL: computed
 *             from ix (the null copies of calibrate.c pass the real data's).
 * @return LK_OK, LK_ENOMEM, LK_EINVAL (window < 0 or > UINT32_MAX ms),
 *         LK_EIO (a temporary file could not be written: errbuf says why);
 *         under mpirun also another rank's failure (errbuf: "rank N: ...").
 */
LK_RESULT_USED lk_status lk_net_build_ex(const lk_objindex *ix, const lk_dataset *ds,
                                         const double *idf, const lk_net_opts *o, lk_net *net);

/** lk_net_build_ex on one thread, without a dataset or weights. */
LK_RESULT_USED lk_status lk_net_build(const lk_objindex *ix, int64_t window_ms, uint64_t max_burst,
                                      uint32_t min_keep, uint64_t budget, lk_net *net);

/** Find the kept edge of accounts (x, y) in either order (binary search);
 * NULL when absent. */
lk_edge *lk_net_find(const lk_net *net, uint32_t x, uint32_t y);

/**
 * Mark kept edges passing the threshold: weight >= value (LK_THRESHOLD_WEIGHT),
 * or weight > R type-7 quantile `value` of all weights (LK_THRESHOLD_QUANTILE,
 * CooRTweet's rule), the quantile taken over every edge, kept or not.
 * *cut receives the weight or quantile used.
 * @return the number of edges kept by the threshold.
 */
size_t lk_net_threshold(lk_net *net, lk_threshold kind, double value, double *cut);

/**
 * lk_net_threshold under mpirun, each rank holding its share of the kept
 * edges in memory (lk_net_opts.local): rank 0, which holds every
 * partition's counts, finds the cut, every rank keeps its edges that pass,
 * and those go to rank 0 (lk_net_edges_to_root).  *cut receives the cut
 * on every rank, *kept the edges kept on rank 0 (elsewhere 0).
 * Collective.  @return LK_OK, LK_ENOMEM, LK_EIO (agreed: every rank
 * returns the worst; errbuf the lowest failing rank's message).
 */
LK_RESULT_USED lk_status lk_net_threshold_ranks(lk_net *net, lk_threshold kind, double value,
                                                double *cut, size_t *kept, char *errbuf);

/**
 * Under mpirun: every rank's edges (net->e, in memory) to rank 0, which
 * holds them all afterwards in (a, b) order; the other ranks none.
 * Collective, st being this rank's status so far (agreed first; errbuf
 * receives the lowest failing rank's message).  @return LK_OK, LK_ENOMEM,
 * LK_EIO (agreed), LK_EINVAL when net is parked (a bug).
 */
LK_RESULT_USED lk_status lk_net_edges_to_root(lk_net *net, lk_status st, char *errbuf);

void lk_net_release(lk_net *net);

/** 1 when the kept edges are parked (net->e is NULL, net->n stays). */
static inline int lk_net_parked(const lk_net *net)
{
    return net->park_fd != NULL;
}

/**
 * Under a memory cap: write the kept edges to a new temporary file in dir
 * (tmpfile.h) and free them until lk_net_unpark_if(); net->n stays, net->e
 * is NULL in between (calibrate.c parks them while it builds and
 * aggregates its null copies, which never read them).  A no-op when they
 * are parked already or there are none.  Errors are one line naming dir.
 * @return LK_OK, LK_ENOMEM, LK_EIO (the edges stay in memory).
 */
LK_RESULT_USED lk_status lk_net_park(lk_net *net, const char *dir, char *errbuf);

/* Called with each parked edge and its rank k in (a, b) order. */
typedef int (*lk_edge_fn)(void *ctx, lk_edge *e, size_t k);

/**
 * Read the parked edges, a piece at a time, and hand each to fn with its
 * index k (a copy: changes are lost); the edges stay parked.  On threads > 1
 * the pieces are read and handed over on that many threads at once, in no
 * set order: fn must then write only what belongs to edge k.
 * @return LK_OK, LK_ENOMEM, LK_EIO.
 */
LK_RESULT_USED lk_status lk_net_scan(const lk_net *net, unsigned threads, lk_edge_fn fn, void *ctx,
                                     char *errbuf);

/**
 * Read the parked edges back, a piece at a time, keeping those for which
 * keep (may be NULL: all) returns non-zero, as it left them, in order;
 * then close the files.  net->n becomes the number kept.  A no-op when
 * nothing is parked.  On failure the network is emptied (net->n = 0).
 * @return LK_OK, LK_ENOMEM, LK_EIO.
 */
LK_RESULT_USED lk_status lk_net_unpark_if(lk_net *net, lk_edge_fn keep, void *ctx, char *errbuf);

#endif
