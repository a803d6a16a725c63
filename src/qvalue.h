/*
 * qvalue.h - q-values of the real edges against the edges of one null copy
 * (doc/calibration.md, "From null edges to q-values").
 *
 * Scores are compared across accounts of very different activity: a heavy
 * user co-acts by chance with many accounts on many objects, in the null
 * as in the data.  Each edge's score is therefore standardised by the null
 * edges of the same *activity bin* (the log2 classes of both accounts'
 * action counts, LK_QV_CLASSES of them, bin = larger * LK_QV_CLASSES +
 * smaller): z = (score - median) / (p99 - median) of the bin's null scores.
 * A bin with fewer than LK_QV_BIN_MIN null edges borrows the scale of the
 * pooled bins of its larger class, and that of all null edges when that is
 * still too small, widened where it would put one of the bin's own null
 * edges beyond z = LK_QV_OWN_Z.  One false-discovery rate is then computed over all
 * edges on z, so that even small rings are judged against many null edges:
 * FDR(c) = (null edges with z >= c) / (real edges with z >= c), the null
 * count beyond its LK_QV_TAIL_K-th largest z taken from an exponential
 * model of its tail; an edge's q-value is the smallest FDR of any cut at
 * or below its z (step-up).  When the null copy's pairs were sampled (one
 * in N account pairs aggregated, lk_net_opts.sample_log2), each of its
 * edges stands for N: the false discoveries are N times its counts, while
 * the scales, which are quantiles, and the tail's shape are taken from the
 * sample as it is.
 */
#ifndef LK_QVALUE_H
#define LK_QVALUE_H

#include "lk_internal.h"
#include "sort.h"

#define LK_QV_CLASSES 64
#define LK_QV_NBINS   ((size_t)LK_QV_CLASSES * LK_QV_CLASSES)
#define LK_QV_BIN_MIN 50
/* A bin of fewer than LK_QV_BIN_MIN edges but this many takes a scale of
 * its own (its p99 is then its second largest) where the scale it falls
 * back on gives its largest edge a z above LK_QV_OWN_Z; no bin under
 * LK_QV_BIN_MIN keeps a null edge beyond LK_QV_OWN_Z (lk_qv_scales). */
#define LK_QV_OWN_MIN 20
#define LK_QV_OWN_Z   5.0
#define LK_QV_TAIL_K  50 /* null edges of the modelled tail */

/* A bin's scale: z = (score - loc) / scale. */
typedef struct lk_qv_scale {
    double loc, scale;
} lk_qv_scale;

/* sc[LK_QV_NBINS], the bins' scales, from the null edges null[0..nn):
 * (key = lk_double_key(score), val = the activity bin, below
 * LK_QV_NBINS), a sample's or all of them alike, on `threads` threads
 * (the same on any number).  A bin (a larger
 * class) has a scale of its own from LK_QV_BIN_MIN edges; a smaller one
 * takes its class's, or all's.  The heaviest accounts' bins hold few null
 * edges with scores far above their class's, and on its scale their z
 * would set the tail's rate and hide every real edge (bench/RESULTS.md:
 * at 1.2 x 10^8 simulated actions, sampled, 39 edges near 50,000 where the
 * class's lie near 14, z up to 870, no edge passed; three accounts of
 * 150,000 actions added to 10^7, every pair, z up to 2,930, none passed).
 * So a bin of LK_QV_OWN_MIN edges or more takes its own where the scale
 * it would fall back on gives its largest edge a z above LK_QV_OWN_Z; and
 * any bin under LK_QV_BIN_MIN edges whose largest is still beyond
 * LK_QV_OWN_Z has the scale it took widened to put it there ((largest -
 * loc) / LK_QV_OWN_Z): a bin's own scale spreads its edges where the
 * widening puts its largest at LK_QV_OWN_Z, and many bins' largest there
 * would crowd the tail's LK_QV_TAIL_K.  Holds 8 bytes a null edge
 * meanwhile, and 32 KB for each 1/64 of them.  LK_ENOMEM, or LK_OK. */
LK_RESULT_USED lk_status lk_qv_scales(const lk_kv *null, size_t nn, lk_qv_scale *sc,
                                      unsigned threads);

/*
 * The q-values q[0..nr) of the real edges real[0..nr) against the null
 * edges null[0..nn), both given as for lk_qv_scales, whose scales sc are;
 * each null edge counts nweight false discoveries (1, or N for a sample
 * of one in N pairs).
 * Exact for every edge whose
 * q-value is at most alpha; every other edge gets 1.0 (its q-value is
 * above alpha, and nothing reads it but the verdict).  Only the edges at
 * or above the lowest cut that could reach alpha are sorted: a histogram
 * of all z finds it.  threads: for those sorts.  LK_ENOMEM, or LK_OK.
 */
LK_RESULT_USED lk_status lk_qvalues(const lk_kv *null, size_t nn, double nweight, const lk_kv *real,
                                    size_t nr, const lk_qv_scale *sc, double alpha,
                                    unsigned threads, double *q);

/* The z of an edge as a key (ascending keys are descending z), from its
 * score's key (lk_double_key) and its activity bin, on the scales sc. */
uint64_t lk_qv_zkey(uint64_t key, uint64_t bin, const lk_qv_scale *sc);

/* Hands each of nr real edges' index i and z key (lk_qv_zkey) to fn(fctx,
 * i, z), on any number of threads at once and in any order, the same
 * edges each time it is called; LK_OK, or its error. */
typedef lk_status (*lk_qv_zscan)(void *ctx, void (*fn)(void *fctx, size_t i, uint64_t z),
                                 void *fctx);

/*
 * lk_qvalues with the real edges' z keys handed over by scan (called
 * twice: for the histogram of all z, then for the edges at or above the
 * lowest cut that could reach alpha), none of them held: the edges whose
 * q-value is at most alpha, exactly as lk_qvalues gives it, as (edge,
 * lk_double_key(q-value)) pairs in increasing edge order into *hits
 * (malloc'ed, *nhits of them); every other edge's is above alpha.  Holds
 * 16 + 8 bytes an edge down to the cut, and none for the others (a memory
 * cap: none of the 16 bytes an edge lk_qvalues is given nor their 8-byte
 * q-values).  LK_ENOMEM, LK_EINVAL
 * (the second scan handed over other edges), the scan's error, or LK_OK.
 */
LK_RESULT_USED lk_status lk_qvalues_scan(const lk_kv *null, size_t nn, double nweight,
                                         lk_qv_zscan scan, void *ctx, size_t nr,
                                         const lk_qv_scale *sc, double alpha, unsigned threads,
                                         lk_kv **hits, size_t *nhits);

/*
 * lk_qvalues_scan under mpirun, each rank holding a share of the real
 * edges (nr of them, handed over by its scan) and rank 0 alone the null
 * edges (elsewhere nn is 0) and their scales sc, which every rank must
 * have: collective.  The histogram of all z is summed over the ranks,
 * rank 0 finds the cut, every rank's edges down to it (16 bytes each) go
 * to rank 0, which finds their q-values, and each rank receives its own
 * edges' at most alpha into *hits, as lk_qvalues_scan gives them on its
 * share (the same values as one process gets for the same edges: an
 * edge's q-value depends on the z of the others, not on their order).
 * In one process it is lk_qvalues_scan.  Errors as lk_qvalues_scan's,
 * agreed: every rank returns the worst, and errbuf (LK_ERRMSG_MAX bytes,
 * may be NULL) the lowest failing rank's message (dist.h).
 */
LK_RESULT_USED lk_status lk_qvalues_scan_ranks(const lk_kv *null, size_t nn, double nweight,
                                               lk_qv_zscan scan, void *ctx, size_t nr,
                                               const lk_qv_scale *sc, double alpha,
                                               unsigned threads, lk_kv **hits, size_t *nhits,
                                               char *errbuf);

/* Edge `edge`'s q-value from hits[0..n) (lk_qvalues_scan): 1.0 when it is
 * not there.  *cur (0 at first) follows the edges asked for, which must
 * come in increasing order. */
double lk_qv_hit_at(const lk_kv *hits, size_t n, size_t *cur, size_t edge);

#endif
