/*
 * calibrate.h - the default threshold: edges whose co-activity chance does
 * not explain.  The model, its assumptions and limits: doc/calibration.md.
 *
 * 1. Two null models, each a shuffled copy of the object index aggregated
 *    exactly like the data: WHO (posts' accounts shuffled within strata of
 *    trace mask, object popularity, front-loading and delay) and WHEN
 *    (posts' delays after their primary object's first post shuffled
 *    within strata; who did what kept).  Strata hold posts of >= 512
 *    accounts (coarsened otherwise), the unit is the post.
 * 2. Scores (co-action events weighted by the rarity of their objects,
 *    net.c) are standardised per activity bin against the null edges; one
 *    false-discovery rate over all edges, the null's far tail modelled as
 *    exponential; q-values by step-up.
 * 3. An edge passes when it beats WHO, and WHEN too unless its objects are
 *    exclusive (small audiences, >= 3 events), and its synchrony (co-acted /
 *    common objects) reaches min_sync.
 */
#ifndef LK_CALIBRATE_H
#define LK_CALIBRATE_H

#include "net.h"

/* Least distinct co-acted objects of an edge the calibrated threshold looks
 * at (lighter edges are in neither network). */
#define LK_CALIB_MIN_OBJECTS 2

typedef struct lk_calib_opts {
    double fdr;        /* false-discovery rate, (0, 1) */
    double min_sync;   /* [0, 1] */
    uint64_t seed;     /* of the null shuffle */
    int64_t window_ms; /* as for lk_net_build */
    uint64_t max_burst;
    uint64_t budget;  /* as lk_net_opts */
    unsigned threads; /* as lk_net_opts */
    const char *tmp_dir;
    char *errbuf;              /* as lk_net_opts */
    int sequential;            /* build and aggregate the two null copies one at a
                                  time (less memory; the same result) */
    uint32_t min_keep;         /* edges lighter than this are in neither network */
    const uint8_t *obj_trace;  /* per object: its lk_trace; NULL: from ds (given, ds's
                                  strings may be parked: the content hashes are in the
                                  index then, lk_objindex_from_spill) */
    unsigned null_sample_log2; /* each null copy aggregates one in 2^this account
                                  pairs (the same pairs for both; 16 at most), each
                                  of its edges counted 2^this times (qvalue.h);
                                  lk_calib_sample_log2 picks it */
} lk_calib_opts;

/* The in-window pairs of the data that lk_calib_sample_log2 lets the null
 * copies aggregate at least: 2^26 (67 M; about 6 M null edges a copy at
 * 10^8 simulated actions, where a sample of 130 K null edges in all already
 * flagged the same edges as every pair at 10^6: bench/RESULTS.md). */
#define LK_CALIB_SAMPLE_PAIRS (UINT64_C(1) << 26)

/* Below this many edges in a null copy's sample a warning says that its
 * q-values are noisy: at 10^6 actions samples of 12-38 thousand edges a
 * copy flagged organic accounts that all the pairs did not, samples of
 * 50-77 thousand exactly what all the pairs did (bench/RESULTS.md). */
#define LK_CALIB_SAMPLE_MIN_EDGES 100000

/*
 * lk_calib_opts.null_sample_log2 for a sample of one in `sample` pairs (a
 * power of two up to 2^16), or for 0 (auto) the largest k with pairs / 2^k
 * >= LK_CALIB_SAMPLE_PAIRS, 16 at most, where `pairs` are the data's
 * in-window pairs (lk_net.pairs): every pair below 2^27 of them, one in 8
 * at 10^8 simulated actions (720 M pairs).  The null's edges then number
 * millions whatever the input's size, enough for the scales' quantiles
 * and the tail's shape, while their cost stops growing with it.
 */
static inline unsigned lk_calib_sample_log2(unsigned sample, uint64_t pairs)
{
    unsigned k = 0;

    if (sample)
        return (unsigned)__builtin_ctz(sample);
    while (k < 16 && (pairs >> (k + 1)) >= LK_CALIB_SAMPLE_PAIRS)
        k++;
    return k;
}

typedef struct lk_calib_stats {
    uint64_t null_pairs;  /* in-window pairs of the null copies (of the sample) */
    uint64_t null_edges;  /* null edges of weight >= min_keep (both copies; of the
                             sample) */
    uint32_t null_sample; /* one in this many account pairs aggregated (1: all) */
    uint64_t strata;      /* non-empty strata shuffled */
    uint64_t pass_score;  /* real edges with q <= fdr */
    uint64_t pass_sync;   /* of them, with synchrony >= min_sync */
    double score_cut;     /* lowest score of an edge with q <= fdr (0 if none) */
    uint64_t spilled;     /* bytes the null aggregations wrote to temporary files
                             (a run figure, not an output) */
    uint64_t shuffled;    /* bytes of pair records they sent between ranks (dist.h) */
} lk_calib_stats;

/**
 * Build the null copy of ix, aggregate it, and set on every kept edge of
 * net its q-value, common objects and synchrony, and `coord` for those that
 * pass.  net must come from lk_net_build(ix, ...) with the same window,
 * burst cap and min_keep.  Under o->sequential (a memory cap) the kept
 * edges wait on disk meanwhile (lk_net_park; they may come parked from
 * the pair stage), and only the coordinated ones are read back: net->n
 * becomes *passed.
 *
 * Under mpirun (dist.h) every rank calls it, net holding its share of the
 * kept edges (lk_net_opts.local): all build the null copies and take part
 * in their aggregation, whose edges only rank 0 holds; every rank judges
 * its own edges' q-values, found by all together (lk_qvalues_scan_ranks),
 * and those that pass go to rank 0, which alone finds their common
 * objects and synchrony; on the other ranks net ends empty, *passed is 0
 * and st holds only null_pairs, strata, spilled, shuffled, pass_score and
 * score_cut (the same as on rank 0).
 * @return the number of coordinated edges in *passed; LK_OK, LK_ENOMEM, or
 *         an error of lk_net_build_ex().
 */
LK_RESULT_USED lk_status lk_calibrate(lk_objindex *ix, const lk_dataset *ds, lk_net *net,
                                      const lk_calib_opts *o, lk_calib_stats *st, size_t *passed);

/* The two null models. */
typedef enum lk_null_kind {
    LK_NULL_WHO = 0, /* posts' accounts shuffled within strata: who did what broken */
    LK_NULL_WHEN = 1 /* posts' delays after their object's first action shuffled within
                        strata: when broken, who did what kept */
} lk_null_kind;

/* How a null copy is cut to fit a memory cap (lk_objindex_null): each
 * count is posts at once, 0 for all of them; the same copy either way. */
typedef struct lk_null_caps {
    const char *tmp_dir;   /* non-NULL: as under a cap, the posts kept in a
                              file there and the copy's columns mapped from
                              files there (the cuts below need it for build) */
    size_t build;          /* posts built at once, a pass over the actions each */
    size_t keys;           /* the strata's sort keys, a part of the accounts at a time */
    size_t who_group;      /* WHO: accounts shuffled in groups of strata of this many */
    size_t when_group;     /* WHEN: delays shuffled in groups of strata of this many */
    const lk_share *share; /* the objects whose actions the copy's columns hold
                              (the rest is never written; NULL: all): under
                              mpirun a rank's, the only ones its aggregation
                              reads (lk_net_share) */
    int dist;              /* 1 under mpirun: every rank builds the same copy at
                              the same time, on its main thread, and the
                              strata's sorts are shared out among the ranks
                              (collective) */
} lk_null_caps;

/**
 * A null copy of ix (exposed for tests), built on `threads` threads (the
 * same copy on any number); *strata receives the number of non-empty
 * strata shuffled.  caps (NULL: all at once, in memory) cuts the copy as
 * a tight memory cap does: the same copy.
 */
LK_RESULT_USED lk_status lk_objindex_null(const lk_objindex *ix, const lk_dataset *ds,
                                          lk_null_kind kind, uint64_t seed, unsigned threads,
                                          const lk_null_caps *caps, lk_objindex *out,
                                          uint64_t *strata);

#endif
