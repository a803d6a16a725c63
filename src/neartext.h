/*
 * neartext.h - near-duplicate text clusters (the `near-text` trace of
 * DESIGN.md, "Traces"): MinHash signatures of word shingles, banded LSH for
 * candidates, every candidate verified on the full signature, clusters as
 * connected components of the verified pairs.
 *
 * Input is the normalised text of lk_norm_text() (case folded, URLs and
 * mentions removed, white space collapsed).  Tokens are words split on ASCII
 * white space; a shingle is `shingle` consecutive words (single words when a
 * text has fewer than shingle + 1 words).  Texts of fewer than three tokens
 * never cluster: two- and one-word posts ("thank you", "lol") are the same
 * by chance, not by copying.
 *
 * Similarity.  Each post keeps K = 64 MinHash minima of its shingle set,
 * each the minimum of a 32-bit permutation of which only the low 16 bits
 * are kept (b-bit MinHash, Li and Koenig); the estimated Jaccard of two
 * posts is the share of equal slots, and a pair joins when it is >=
 * threshold.  The estimate has a standard deviation of
 * sqrt(J (1 - J) / 64), 0.06 at J = 0.5.  Two slots whose minima differ
 * still agree with probability 2^-16, which raises the expected estimate
 * by (1 - J) / 65536: negligible (one chance slot in 1,000 unrelated
 * pairs, where a join needs 20 of 64 at 0.3).
 * Replacing m of n words (not adjacent, not at the ends) leaves a true
 * Jaccard of (n - 1 - 2m) / (n - 1 + 2m) on word pairs, since each replaced
 * word breaks two pairs: 3 of 20 words give 0.52, 3 of 25 0.60, 2 of 12
 * 0.47, 3 of 12 0.29; an appended emoji or hashtag token 19/20 = 0.95.
 * Hence the defaults, word pairs at threshold 0.3: 3-of-20 edits sit 3.5
 * standard deviations above it.  Measured (tests/unit/test_neartext.c,
 * pairs clustered alone): 3 of 20 and 3 of 25 replaced 100%, 2 of 12 100%,
 * 3 of 12 78%.  On 10^6 synthetic Zipf posts (bench/neartext_speed.c) 0.3
 * found 100% of the copypasta and put 0.014% of the unrelated posts into
 * clusters; 0.4 found 99.7% and none; 0.5 found 97.2% and none (the same
 * with 32-bit slots, measured side by side).
 * Single words (shingle = 1) catch 3 of 12 (Jaccard 0.6) but merged 1.5%
 * of the unrelated Zipf posts at 0.5: common words dominate word sets.
 *
 * Candidates.  The K slots are cut into b bands of r rows, r the largest
 * for which a pair two standard deviations above the threshold becomes a
 * candidate with probability >= 0.95 (threshold 0.3: r = 2, b = 32, S-curve
 * midpoint (1/b)^(1/r) = 0.18, candidate probability 1 - (1 - J^2)^32 =
 * 0.95 at J = 0.3, 0.9999 at 0.5, 0.28 at 0.1; 0.4 and 0.5: r = 3, b = 21,
 * midpoint 0.36).  Per band the (band key, post) records are
 * radix-sorted; within a run of equal keys each post is verified against the
 * run's first post and the three posts before it, skipping those already in
 * its cluster, so the work is at most 4 verifications per post and band
 * whatever the run lengths (10^5 copies of one spam cost 10^5 unions).
 * A separate pass over a hash of the whole signature joins posts with
 * identical signatures first, so identical texts always share a cluster.
 * With 16-bit slots a band also matches when its last slot agrees by
 * chance: 2-5% more candidates than 32-bit slots gave, and in long runs
 * (the minima of frequent word pairs) those can push a true copy out of
 * the window of three (measured at 10^7 simulated actions: 0.04% fewer
 * posts clustered, bench/RESULTS.md).
 *
 * Determinism.  The result depends only on the texts, their order and the
 * seed: records are sorted by (key, post id), never visited in hash order,
 * and a cluster is named by its smallest post id.  The seed picks the hash
 * permutations, so a pair whose Jaccard is close to the threshold may join
 * under one seed and not another; pairs far from it (the copypasta edits
 * above, unrelated texts) do not depend on it.
 *
 * Distributed (lk_neartext_opts.distributed, under mpirun, every rank
 * holding the same signatures): every rank sweeps the identity pass and
 * the bands of every R-th group of four passes, counted from its rank, and
 * records the pairs whose verification joined two sets; those go to every
 * other rank, which joins them too.  Each rank's joins span the components
 * of its own passes' verified pairs, so every rank ends with the components
 * of all of them: the clusters of one process, and its counts (the
 * candidates summed over the ranks, each band being swept on one).  It
 * costs 8 bytes a join made on the rank, and all ranks' joins at once
 * while they are joined (6.2 M joins, 50 MB, at 10^8 actions).
 *
 * Memory.  Held per post with >= 3 tokens: 128 bytes of signature + 4 bytes
 * of post id (amortised growth adds up to half of that); posts with fewer
 * tokens cost nothing.  lk_neartext_cluster() needs in addition 40 bytes per
 * sketched post while it runs (48 with threads > 1: the union-find's 8, the
 * record buffers' 8 each, the keys of four passes' 16), and returns 4 bytes
 * per post, made once the record buffers are freed.  A handle made to spill
 * (lk_neartext_spill(), under --max-mem)
 * writes the signatures to two temporary files instead (the low byte of
 * each slot to one, the high byte to another, 512 KiB a block) and holds
 * one block: 4 bytes a post while adding, and while clustering the 128
 * bytes a post again, read back for the call (on huge pages where the
 * system gives them, as is the union-find) and freed before it returns;
 * or, when that and the work exceed lk_neartext_budget(), the 64 bytes of
 * low bytes alone.  The high bytes are then read from their file where
 * they are needed: for a pair whose low bytes agree on enough slots (3.6
 * million of the 542 million pairs compared at 10^8 simulated actions),
 * and in order, a range a thread, for each group of passes' keys.
 * Under a budget the work shrinks too: each pass is sorted and swept in
 * parts, ranges of its keys' top bits of at most a set number of records
 * (so the record buffers hold that many, not all of them; the records of a
 * key are always in one part, and the parts one after the other are the
 * whole pass's records in its order, so the comparisons, clusters and
 * counts are the same), and when four passes' keys (16 bytes a post) leave
 * too little room for parts of a quarter of the records, the keys of two
 * passes, or one, are made a read.  When even the low bytes, the
 * union-find and one pass's keys leave no room for parts of 1/64 of the
 * records, the low bytes stay in their file too: each part, once sorted,
 * marks its records that share a key with another (the only ones its
 * sweep compares), a bit a text, and copies their low bytes from the
 * file's read-only mapping in file order, letting its pages go behind,
 * into one of two slots (one being swept, one being filled), 68 bytes a
 * record at most.  The clustering then holds 12 bytes a sketched post
 * (union-find, one pass's keys) and 12 a word of 64 of them (the marks and
 * their counts) and its parts, then 4 bytes a post of result: at 10^7
 * simulated actions (2.06 M texts) under --max-mem 64M it took 9.9 s
 * against 2.1 without a cap, in parts of 52,148 records (39.0 s while each
 * part read the whole file, until the thirty-third session;
 * bench/RESULTS.md).
 *
 * Thread safety: one handle must not be used from two threads at once.
 */
#ifndef LK_NEARTEXT_H
#define LK_NEARTEXT_H

#include "lk_internal.h"

/** MinHash values per post (16 bits each). */
#define LK_NEARTEXT_K 64

/** Longest shingle accepted by lk_neartext_new(). */
#define LK_NEARTEXT_MAX_SHINGLE 8

typedef struct lk_neartext lk_neartext;

typedef struct lk_neartext_opts {
    double threshold; /**< minimum estimated Jaccard of shingle sets, in (0, 1]; default 0.3 */
    unsigned shingle; /**< words per shingle, 1..LK_NEARTEXT_MAX_SHINGLE; default 2 */
    uint64_t seed;    /**< picks the hash permutations; default 0 */
    unsigned threads; /**< > 1: lk_neartext_cluster() sorts the next pass while
                           it sweeps one, and sweeps a band on every thread (same
                           result and counts, one more buffer of 8 bytes per
                           sketched post); default 1 */
    int distributed;  /**< a distributed run (dist.h), in which every rank holds
                           the same signatures: lk_neartext_cluster() is then
                           collective, each rank sweeps the identity pass and a
                           share of the bands, and the joins are exchanged (same
                           result and counts); default 0 */
} lk_neartext_opts;

/** What lk_neartext_cluster() did; every count is over the posts added so far. */
typedef struct lk_neartext_stats {
    uint64_t posts;      /**< posts added */
    uint64_t sketched;   /**< posts with >= 3 tokens (the ones that may cluster) */
    uint64_t candidates; /**< pairs with different signatures that a band made
                              candidates (compared, unless already clustered) */
    uint64_t joined;     /**< pairs that joined two clusters (identical
                              signatures included) */
    uint64_t clusters;   /**< clusters of two or more posts */
    uint64_t clustered;  /**< posts in those clusters */
    unsigned bands;      /**< LSH bands b */
    unsigned rows;       /**< LSH rows per band r */
    unsigned parts;      /**< the most parts a pass was sorted and swept in: 1
                              unless a budget asked for fewer records at a time
                              (see lk_neartext_budget()) */
    unsigned keypasses;  /**< the passes whose keys one read of the signatures
                              made: 4 unless a budget asked for fewer */
    uint64_t held;       /**< bytes the clustering planned to hold: the
                              signatures (their low bytes alone, or neither, see
                              lk_neartext_budget()) and its work at its largest */
} lk_neartext_stats;

/** Defaults: threshold 0.3, shingle 2, seed 0. */
void lk_neartext_opts_init(lk_neartext_opts *o);

/**
 * New, empty clusterer.
 * @param o options (NULL: defaults); copied.
 * @param out receives a handle the caller frees with lk_neartext_free().
 * @return LK_OK, LK_EINVAL (threshold outside (0, 1], shingle outside
 *         1..LK_NEARTEXT_MAX_SHINGLE), LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_neartext_new(const lk_neartext_opts *o, lk_neartext **out);

/**
 * From now on keep the signatures in a nameless temporary file in dir
 * (tmpfile.h; NULL or "": $TMPDIR or /tmp, borrowed) rather than in memory:
 * they are written a block at a time as posts are added (the file is made
 * with the first block, so a few texts never touch the disk) and read back
 * by each lk_neartext_cluster() for its run alone.  The file goes with
 * lk_neartext_free() or the process.  Results do not change.
 */
void lk_neartext_spill(lk_neartext *nt, const char *dir);

struct lk_wbehind;
/**
 * A spilling handle's writes from now on through wb (wbehind.h: copied and
 * written by a thread of its own), or, wb NULL, at once again.  The caller
 * syncs wb, and detaches it, before lk_neartext_cluster() reads the file
 * back and before lk_neartext_free() closes it.
 */
void lk_neartext_write_behind(lk_neartext *nt, struct lk_wbehind *wb);

/**
 * Bytes lk_neartext_cluster() may hold (0, the default: no bound).  When
 * all the signatures and the clustering's work (see Memory above) would
 * take more, a spilling handle leaves the signatures' high bytes in their
 * file, read as needed: only where a pair's low bytes agree on enough
 * slots to be similar, and in a sequential pass for each group of band
 * keys; it then holds 64 bytes a signature, or none, when even those
 * leave no room for the work in parts (see Memory above).  With what is
 * left, any handle sorts and sweeps each pass in parts of its records and
 * makes fewer passes' keys at a time where four do not leave room for
 * parts of a quarter of them (lk_neartext_stats.parts and .keypasses say
 * what it did).  Results and counts do not change.
 */
void lk_neartext_budget(lk_neartext *nt, uint64_t bytes);

/** Bytes of signatures written to the spill files so far (0 when none). */
uint64_t lk_neartext_spilled_bytes(const lk_neartext *nt);

/** The last I/O error of a spilling handle, one line naming the folder
 *  (borrowed; valid until the next call on nt). */
const char *lk_neartext_errmsg(const lk_neartext *nt);

/**
 * Add one post's normalised text; posts are numbered 0, 1, 2, ... in call
 * order.  A text of fewer than three tokens is counted and never clustered.
 * No allocation beyond amortised growth of the handle's arrays.
 * Time O(tokens * (shingle + K)).
 * @param text n bytes (need not be NUL-terminated; NULL with n == 0 is an
 *        empty text).
 * @return LK_OK, LK_ENOMEM, LK_ELIMIT (2^32 - 1 posts already added),
 *         LK_EIO (spilling: the file could not be written, see
 *         lk_neartext_errmsg()); on error the post is not added.
 */
LK_RESULT_USED lk_status lk_neartext_add(lk_neartext *nt, const char *text, size_t n);

/**
 * The signature lk_neartext_add() would keep for a text, computed without
 * touching the handle: several threads may sketch at once (the parallel
 * reader sketches in its workers and adds the sketches in input order).
 * @param mins receives LK_NEARTEXT_K minima (their low 16 bits) when the
 *        text has >= 3 tokens.
 * @param words, words_cap the caller's scratch for word hashes (grown here;
 *        the caller frees *words).
 * @return 1 (sketched), 0 (fewer than three tokens: never clusters), -1
 *         (out of memory).
 */
int lk_neartext_sketch(const lk_neartext *nt, const char *text, size_t n, uint16_t *mins,
                       uint64_t **words, size_t *words_cap);

/**
 * Add one post from its sketch: lk_neartext_add() of the text that gave
 * `mins` (NULL for a text lk_neartext_sketch() returned 0 for).
 * @return LK_OK, LK_ENOMEM, LK_ELIMIT, LK_EIO, as lk_neartext_add().
 */
LK_RESULT_USED lk_status lk_neartext_add_sketch(lk_neartext *nt, const uint16_t *mins);

/**
 * Cluster every post added so far (it may be called again after more adds).
 * Clusters are the connected components of the graph of verified candidate
 * pairs (estimated Jaccard >= threshold).
 * Time O(S * (b + K)) for S sketched posts: b radix-sorted passes of S records
 * plus at most 4 signature comparisons per record.
 * @param out receives posts entries the caller frees with free(): out[i] is
 *        the smallest post id of post i's cluster, or UINT32_MAX when post i
 *        is alone.  Untouched on error.
 * @param st when not NULL, receives the counts.
 * @return LK_OK, LK_ENOMEM, LK_EIO (spilling: the signatures could not be
 *         read back, see lk_neartext_errmsg()).
 */
LK_RESULT_USED lk_status lk_neartext_cluster(lk_neartext *nt, uint32_t **out,
                                             lk_neartext_stats *st);

/** The kernels of the MinHash step, all giving the same minima bit for bit
 *  (tests/unit/test_neartext.c compares them). */
typedef enum lk_neartext_kernel {
    LK_NT_KERNEL_SCALAR, /**< portable C */
    LK_NT_KERNEL_AVX2,   /**< x86-64 with AVX2 */
    LK_NT_KERNEL_AVX512  /**< x86-64 with AVX-512F */
} lk_neartext_kernel;

/**
 * Sketch with kernel k from now on (lk_neartext_new() picks the fastest
 * this CPU runs; this is for tests and benchmarks).
 * @return 1 when this build and CPU run k (now in use), else 0 (unchanged).
 */
int lk_neartext_use_kernel(lk_neartext *nt, lk_neartext_kernel k);

/** The kernel in use. */
lk_neartext_kernel lk_neartext_kernel_of(const lk_neartext *nt);

/** Bytes held by the handle (capacity, not just use). */
size_t lk_neartext_bytes(const lk_neartext *nt);

/** Free the handle; NULL is allowed. */
void lk_neartext_free(lk_neartext *nt);

#endif
