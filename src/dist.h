/*
 * dist.h - the MPI glue of distributed runs (internal).
 *
 * `mpirun -np R lockstep detect ...` runs R copies of the pipeline.  Every
 * rank builds the same dataset, index and null copies (all deterministic);
 * the reading of the input is split (each rank reads its stripes of a
 * plain file, or decompresses a compressed one whole, and parses a share
 * of the chunks, reader_par.c; the journals are gathered on every rank);
 * the near-text clustering is split (each rank sweeps a share of the LSH
 * bands and the joins are exchanged, neartext.c); the pair aggregation
 * (net.c), which dominates at scale, is split: each rank sweeps a share of
 * the object chunks, pair records are exchanged so that each rank reduces
 * a share of the account partitions, and each rank keeps the edges it
 * reduced; the calibration judges them there (the q-values found by all
 * ranks together, qvalue.c) and only the edges that pass go to rank 0,
 * which clusters and writes (under a weight or quantile threshold rank 0
 * gathers every edge and thresholds them).
 *
 * Nothing here exposes an MPI type, and only dist.c includes <mpi.h>.
 * Built without MPI (LK_HAVE_MPI undefined), or when lk_dist_init() was
 * not called, every function is the single-process case: rank 0 of 1,
 * collectives return at once.
 *
 * Failures and collectives.  Every collective sequence begins with
 * lk_dist_agree(), so that a rank that failed on its own (out of memory, a
 * file it cannot read) never leaves the others waiting: all learn the
 * worst status and the message of the lowest rank that has it, and all
 * take the same error path.  lk_detect_run() ends with lk_dist_final(),
 * which keeps answering agreements until every rank has reached it.
 * Only the thread that called lk_dist_init() may call these
 * (MPI_THREAD_FUNNELED).
 */
#ifndef LK_DIST_H
#define LK_DIST_H

#include "lk_internal.h"

/* lk_dist_init, _finalize, _rank, _size and _available are public
 * (lockstep.h): the CLI starts and ends the MPI run. */

/**
 * The ranks of this node that share this rank's cores (their allowed CPU
 * sets overlap), itself included, found by lk_dist_init(); 1 when not
 * distributed.  lk_par_cores() gives each its share, so that ranks started
 * unbound (or bound to a socket) do not each take every core.
 */
unsigned lk_dist_share(void);

/**
 * Collective: agree on a status.  Returns the worst status of all ranks
 * (the most negative); when it is an error, errbuf (LK_ERRMSG_MAX bytes,
 * may be NULL) receives the message of the lowest failing rank, prefixed
 * with "rank N: " on the other ranks.  A rank that has already entered
 * lk_dist_final() counts as failed here: ranks out of step never go on.
 */
LK_RESULT_USED lk_status lk_dist_agree(lk_status st, char *errbuf);

/**
 * Collective, the last of a run: as lk_dist_agree, but it goes on taking
 * part in the agreements of ranks still inside the pipeline (each sees a
 * failure and comes here too) until all ranks have arrived.
 */
LK_RESULT_USED lk_status lk_dist_final(lk_status st, char *errbuf);

typedef enum lk_dist_op { LK_DIST_SUM, LK_DIST_MIN, LK_DIST_MAX } lk_dist_op;

/** Collective: element-wise reduction of v[0..n) over all ranks, in place. */
LK_RESULT_USED lk_status lk_dist_allreduce_u64(uint64_t *v, size_t n, lk_dist_op op);

/**
 * Collective: counters of two bits, saturating at 2, summed over all ranks
 * in place, as net.c's pair sketch holds them: n word pairs of 64 counters
 * each, counter i of pair k being bit i of w[2 k] (seen) and of
 * w[2 k + 1] (seen twice or more).  @return LK_OK, or LK_EIO when MPI
 * cannot make the operation.
 */
LK_RESULT_USED lk_status lk_dist_allreduce_sat2(uint64_t *w, size_t n);

/**
 * Point to point, both at once: send slen bytes to rank dst and receive
 * rlen bytes from rank src (either length may be 0: that side is skipped;
 * the partner must pass the same length).  Lengths are 64-bit: the
 * transfer is cut into messages of at most 1 GiB.
 */
LK_RESULT_USED lk_status lk_dist_sendrecv(const void *sbuf, size_t slen, int dst, void *rbuf,
                                          size_t rlen, int src);

/**
 * Collective: every rank contributes len bytes; *out receives all
 * contributions concatenated in rank order (caller frees with free()) and
 * lens[0..size) their lengths.  64-bit safe.
 * @return LK_OK or LK_ENOMEM (agreed: all ranks return the same).
 */
LK_RESULT_USED lk_status lk_dist_allgather(const void *buf, size_t len, void **out, uint64_t *lens);

/**
 * lk_dist_allgather() into out (emptied first, grown as needed), which the
 * caller keeps from one call to the next: a run that gathers round after
 * round reuses its pages instead of faulting in fresh ones each time.
 * @return LK_OK, LK_ENOMEM (agreed) or LK_EIO.
 */
LK_RESULT_USED lk_status lk_dist_allgather_buf(const void *buf, size_t len, lk_buf *out,
                                               uint64_t *lens);

/**
 * Collective: every rank contributes len bytes, and rank 0 alone receives
 * them: on rank 0 *out receives all contributions concatenated in rank
 * order (caller frees with free()) and lens[0..size) their lengths; on the
 * other ranks *out is NULL and lens[] is all 0.  64-bit safe: the
 * contributions travel point to point in pieces of at most 1 GiB (with
 * MPI_Gatherv's int displacements rank 0's buffer could not pass 2 GiB).
 * Rank 0 holds the sum of all lengths at once; the others nothing more.
 * @return LK_OK or LK_ENOMEM (rank 0's buffer; agreed: all ranks return
 *         the same).
 */
LK_RESULT_USED lk_status lk_dist_gather(const void *buf, size_t len, void **out, uint64_t *lens);

/**
 * Collective, with this rank's status so far: agree on st (lk_dist_agree,
 * errbuf as there), then gather every rank's len bytes on rank 0 alone
 * (lk_dist_gather): there *out receives them in rank order (free()) and
 * *total their length; elsewhere *out is NULL and *total 0.
 * @return the agreed status, or LK_ENOMEM (agreed).
 */
LK_RESULT_USED lk_status lk_dist_to_root(const void *buf, size_t len, lk_status st, void **out,
                                         size_t *total, char *errbuf);

/**
 * Collective, with this rank's status so far: agree on st, then rank 0's
 * len bytes (buf and len are read on rank 0 alone) to every rank: *out
 * receives them (free(); NULL when empty), *total their length.
 * @return the agreed status, or LK_ENOMEM (agreed).
 */
LK_RESULT_USED lk_status lk_dist_from_root(const void *buf, size_t len, lk_status st, void **out,
                                           size_t *total, char *errbuf);

#endif
