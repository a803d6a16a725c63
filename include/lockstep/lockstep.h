/*
 * lockstep.h - the public interface of liblockstep.
 *
 * liblockstep finds coordinated behaviour in social-media activity: groups of
 * accounts that act on the same objects (a retweeted post, a link, a hashtag)
 * within a short time window, again and again.  This is the only header a
 * program needs; every type behind a handle is opaque.
 *
 * Conventions
 *  - Every fallible function returns an lk_status (LK_OK == 0, errors < 0)
 *    and is marked LK_RESULT_USED.  Status values never change once released.
 *  - A handle that can fail carries a one-line message, e.g.
 *    "tweets.csv.zst:18446: field 4 ('timestamp_share'): not a timestamp",
 *    available through its *_errmsg() function.
 *  - The library never prints, exits or aborts on bad data or I/O failure.
 *    Diagnostics go to the callback installed with lk_set_log_fn(), which is
 *    silent by default; the only exception is the progress meter that
 *    lk_detect_opts.progress may ask for (off by default).
 *  - Ownership is stated on every pointer-returning function.
 *  - Thread safety: distinct handles may be used from distinct threads;
 *    one handle must not be used from two threads at once.  lk_set_log_fn()
 *    is process-global and must be called before any other thread starts.
 */
#ifndef LOCKSTEP_LOCKSTEP_H
#define LOCKSTEP_LOCKSTEP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LK_VERSION_MAJOR 0
#define LK_VERSION_MINOR 1
#define LK_VERSION_PATCH 0

#if defined(__GNUC__) || defined(__clang__)
#    define LK_API         __attribute__((visibility("default")))
#    define LK_RESULT_USED __attribute__((warn_unused_result))
#else
#    define LK_API
#    define LK_RESULT_USED
#endif

/** Status codes.  Values are stable across releases. */
typedef enum lk_status {
    LK_OK = 0,      /**< success */
    LK_EOF = 1,     /**< clean end of input (readers only) */
    LK_ENOMEM = -1, /**< an allocation failed */
    LK_EIO = -2,    /**< a read, write, open or decompression failed */
    LK_EPARSE = -3, /**< malformed input data */
    LK_EINVAL = -4, /**< invalid argument or option value */
    LK_ELIMIT = -5, /**< a size limit was exceeded (line, field, id count) */
    LK_EGRAPH = -6  /**< the graph library reported an error */
} lk_status;

/**
 * Describe a status code.
 * @return a static string (never NULL; "unknown status" for unknown values).
 * Thread-safe.
 */
LK_API const char *lk_strerror(lk_status st);

/**
 * Library version as "MAJOR.MINOR.PATCH".
 * @return a static string.  Thread-safe.
 */
LK_API const char *lk_version(void);

/** Log levels, from most to least severe. */
enum { LK_LOG_ERROR = 0, LK_LOG_WARN = 1, LK_LOG_INFO = 2, LK_LOG_DEBUG = 3 };

/** A log sink: receives one line (no trailing newline) per message. */
typedef void (*lk_log_fn)(int level, const char *msg, void *userdata);

/**
 * Install a log sink for messages at or above `max_level` severity
 * (LK_LOG_ERROR..LK_LOG_DEBUG).  NULL `fn` silences the library (the default).
 * Process-global; call before starting threads.
 */
LK_API void lk_set_log_fn(lk_log_fn fn, void *userdata, int max_level);

/* ------------------------------------------------------------------------ */
/* distributed runs (MPI; lockstep-detect(1), DISTRIBUTED MODE)              */
/* ------------------------------------------------------------------------ */

/** 1 when the library was built with MPI, else 0.  Thread-safe. */
LK_API int lk_dist_available(void);

/**
 * Join the MPI job this process was started in (by mpirun): afterwards
 * lk_detect_run() aggregates pairs across all ranks, and rank 0 alone
 * holds the network, clusters it and writes the outputs (on the other
 * ranks lk_detect_get_stats() gives 0 edges, coordinated edges and
 * accounts, and groups).  Call once, from the main thread, before any
 * other thread starts; only that thread may run lk_detect_run() then.  Not
 * calling it (a plain run) keeps MPI untouched.
 * @param argc, argv  main()'s, passed to MPI_Init_thread.
 * @param errbuf      receives a one-line message on failure (errlen bytes).
 * @return LK_OK; LK_EINVAL when built without MPI; LK_EIO when MPI cannot
 *         start or lacks MPI_THREAD_FUNNELED; LK_ENOMEM on every rank when
 *         one could not allocate its share (errbuf is empty on the ranks
 *         but 0, whose message names the rank): the ranks are still in the
 *         job, and lk_dist_finalize() ends it once rank 0 has said so.
 */
LK_API LK_RESULT_USED lk_status lk_dist_init(int *argc, char ***argv, char *errbuf, size_t errlen);

/** This process's rank (0 when lk_dist_init was not called). */
LK_API int lk_dist_rank(void);

/** Number of ranks (1 when lk_dist_init was not called). */
LK_API int lk_dist_size(void);

/** Leave the MPI job (MPI_Finalize); a no-op without lk_dist_init. */
LK_API void lk_dist_finalize(void);

/* ------------------------------------------------------------------------ */
/* detect: find coordinated groups                                           */
/* ------------------------------------------------------------------------ */

/** Output conventions. */
typedef enum lk_compat {
    LK_COMPAT_NONE = 0,      /**< lockstep's own tables (DESIGN.md) */
    LK_COMPAT_COORTWEET = 1, /**< CooRTweet 2.1.3 detect_groups + network tables */
    LK_COMPAT_QUT = 2        /**< QUT coordination-network-toolkit co-retweet edges */
} lk_compat;

/** How the coordinated network is cut from the full co-action network. */
typedef enum lk_threshold {
    LK_THRESHOLD_WEIGHT = 0,   /**< keep edges with weight >= value */
    LK_THRESHOLD_QUANTILE = 1, /**< keep edges with weight > type-7 quantile `value` of weights */
    LK_THRESHOLD_FDR = 2       /**< calibrated: keep edges whose score a null model explains
                                    at false-discovery rate <= fdr and whose synchrony is
                                    >= min_sync (doc/calibration.md) */
} lk_threshold;

/** What to do with a malformed input row. */
typedef enum lk_on_error {
    LK_ON_ERROR_FAIL = 0, /**< stop with LK_EPARSE and a FILE:LINE message */
    LK_ON_ERROR_SKIP = 1  /**< skip the row, count it by reason, carry on */
} lk_on_error;

/** lk_detect_opts.window_ms: estimate the window from the data (`--window auto`).
 *  After CooRnet's estimate_coord_interval: for each object acted on by two or
 *  more accounts, the delay d until its second account; keep the objects at
 *  or below the median delay (the fastest half); the window is the type-7
 *  0.9-quantile of their delays, rounded up to whole seconds and clamped to
 *  [1 s, 1 h].  With fewer than two such objects it is 60 s.  Computed over
 *  the actions that enter the sweep (after min_participation); summary.json
 *  reports it under "window_auto" (lockstep-detect(1), WINDOW ESTIMATION). */
#define LK_WINDOW_AUTO (-1)

/** lk_detect_opts.progress: when lk_detect_run() shows a progress meter on
 *  standard error (stage, rows, bytes, rates, ETA while reading; the stage
 *  and its time after).  On a terminal one line is rewritten in place at
 *  most 4 times a second; into a file or pipe a plain line at most once a
 *  second.  The meter never changes an output file. */
typedef enum lk_progress_mode {
    LK_PROGRESS_NEVER = 0, /**< no meter (the library's default) */
    LK_PROGRESS_AUTO = 1,  /**< only when standard error is a terminal */
    LK_PROGRESS_ALWAYS = 2 /**< also when it is a file or pipe */
} lk_progress_mode;

/** Options of a detect run.  Initialise with lk_detect_opts_init(). */
typedef struct lk_detect_opts {
    int64_t window_ms;          /**< co-action window |dt| <= window, in ms, or
                                     LK_WINDOW_AUTO (-1) to estimate it [60000] */
    int64_t min_participation;  /**< drop accounts with fewer input actions [2] */
    lk_threshold threshold;     /**< threshold kind [LK_THRESHOLD_FDR]; the compat modes
                                     use their own (weight / quantile) rules */
    double threshold_value;     /**< weight, or quantile in [0,1]; < 0 = the mode's default:
                                     weight 2 natively, QUT's min_edge_weight 1 with
                                     LK_COMPAT_QUT [-1] */
    double fdr;                 /**< LK_THRESHOLD_FDR: false-discovery rate in (0, 1) [0.01] */
    double min_sync;            /**< LK_THRESHOLD_FDR: least share of the objects both accounts
                                     acted on that they acted on within the window [0.45] */
    unsigned null_sample;       /**< LK_THRESHOLD_FDR: the null copies aggregate one in
                                     this many account pairs (a power of two, 1 .. 65536),
                                     their false discoveries counted as many times; 0 =
                                     auto: all pairs up to 2^27 in-window pairs of the
                                     data, then enough for 2^26 (doc/calibration.md) [0] */
    double edge_quantile;       /**< CooRTweet compat: quantile for weight_threshold [0.5] */
    lk_compat compat;           /**< output convention [LK_COMPAT_NONE] */
    int keep_loops;             /**< keep self-loops / same-content pairs (compat modes) [0] */
    lk_on_error on_error;       /**< [LK_ON_ERROR_FAIL] */
    const char *format;         /**< "auto" or a format name (lockstep help formats):
                                     generic, qut, twitter-io, twarc-csv, ira-538,
                                     crowdtangle, mcl, twitter-v1, twitter-v2, pushshift,
                                     telegram, bluesky, mastodon ["auto"] (borrowed) */
    const char *traces;         /**< comma-separated traces: share, quote, reply, url,
                                     domain, hashtag, mention, text, near-text; "all";
                                     "default" = all but domain ["default"] (borrowed) */
    double near_text_threshold; /**< near-text: least Jaccard similarity of word pairs
                                     for two texts to be near-duplicates [0.3] */
    const char *col_object;     /**< generic CSV column names (borrowed) ["object_id"] */
    const char *col_account;    /**< ["account_id"] */
    const char *col_content;    /**< ["content_id"] */
    const char *col_time;       /**< ["timestamp_share"] */
    const char *out_dir;        /**< output folder, created if missing ["lockstep-out"] */
    uint64_t seed;              /**< seed of every randomised step (Leiden) [1] */
    double resolution;          /**< Leiden resolution (modularity) [1.0] */
    int threads;                /**< worker threads; 0 = all cores (MPI: the rank's share) [0] */
    uint64_t max_mem;           /**< memory budget in bytes; 0 = unlimited [0] */
    const char *tmp_dir;        /**< folder for temporary files [$TMPDIR or /tmp] */
    int write_evidence;         /**< write evidence.csv [1] */
    uint32_t evidence_per_edge; /**< evidence.csv lists at most this many objects per edge,
                                     the rarest (most telling) first; 0 = every object [10] */
    uint64_t max_burst;         /**< an action with more than this many other actions on
                                     the same object within the window is in a burst (a
                                     viral moment): its co-actions are not counted, which
                                     keeps the cost linear.  0 = no cap.  The compat
                                     modes never cap [200] */
    int write_report;           /**< write report.html (lk_report_write()) after
                                     summary.json; native runs only, never under
                                     compat [1] */
    lk_progress_mode progress;  /**< progress meter on standard error
                                     [LK_PROGRESS_NEVER] */
} lk_detect_opts;

/** Fill `o` with the defaults shown in brackets above. */
LK_API void lk_detect_opts_init(lk_detect_opts *o);

/** Counts of a finished run (for the final summary line). */
typedef struct lk_detect_stats {
    uint64_t rows_read, rows_used, rows_skipped;
    uint64_t accounts;       /**< distinct accounts in the input */
    uint64_t pairs;          /**< co-action pair records found by the sweep */
    uint64_t edges;          /**< edges of the full co-action network */
    uint64_t coord_edges;    /**< edges kept by the threshold */
    uint64_t coord_accounts; /**< accounts in the coordinated network */
    uint64_t groups;         /**< groups found */
    uint64_t peak_rss_bytes; /**< peak resident set size of the process */
} lk_detect_stats;

/** Opaque detect run. */
typedef struct lk_detect lk_detect;

/**
 * Create a detect run.  The options are copied (strings stay borrowed and
 * must outlive the handle).
 * @return a handle that the caller frees with lk_detect_free(), or NULL when
 *         out of memory.
 */
LK_API lk_detect *lk_detect_new(const lk_detect_opts *o);

/**
 * Add an input file ("-" for standard input).  Plain, gzip and zstd streams
 * are recognised by their magic bytes.  Files are read in the order added.
 * @return LK_OK, LK_ENOMEM.
 */
LK_API LK_RESULT_USED lk_status lk_detect_add_input(lk_detect *d, const char *path);

/**
 * Run the whole pipeline and write the output folder.  On failure nothing in
 * the output folder is left looking complete: summary.json is written last
 * and only on success, and partial tables are removed.
 * Time: O(R log R + P log P) for R rows and P in-window pairs; the per-object
 * sweep never forms pairs farther apart than the window.
 * @return LK_OK; LK_EIO, LK_EPARSE (see lk_detect_errmsg()), LK_EINVAL,
 *         LK_ENOMEM, LK_ELIMIT, LK_EGRAPH.
 */
LK_API LK_RESULT_USED lk_status lk_detect_run(lk_detect *d);

/**
 * The message of the last failure, e.g. "in.csv:12: field 4 ('timestamp_share'):
 * not a timestamp: 'abc'".
 * @return borrowed; valid until the next call on d.  "" when none.
 */
LK_API const char *lk_detect_errmsg(const lk_detect *d);

/** Copy the counts of the last run into *out. */
LK_API void lk_detect_get_stats(const lk_detect *d, lk_detect_stats *out);

/** Free a detect run.  NULL-safe. */
LK_API void lk_detect_free(lk_detect *d);

/* ------------------------------------------------------------------------ */
/* report: the analyst's HTML report of a detect output folder              */
/* ------------------------------------------------------------------------ */

/** Options of lk_report_write().  Initialise with lk_report_opts_init(). */
typedef struct lk_report_opts {
    const char *dir;       /**< a complete native detect output folder (borrowed) */
    const char *out;       /**< the HTML file; NULL = DIR/report.html [NULL] (borrowed) */
    uint32_t max_nodes;    /**< accounts drawn in the network: the largest groups that fit
                                whole (the first group, when larger, by its strongest
                                members); the others are summarised [3000] */
    uint32_t max_edges;    /**< edges drawn, the heaviest first [20000] */
    uint32_t max_accounts; /**< accounts listed for search (the drawn ones, then the
                                others in accounts.csv order) [100000] */
} lk_report_opts;

/** Fill `o` with the defaults shown in brackets above. */
LK_API void lk_report_opts_init(lk_report_opts *o);

/**
 * Write report.html from a finished native detect output folder: accounts.csv,
 * groups.csv, edges.csv, group_objects.csv, evidence.csv (when present) and
 * summary.json.  The file is self-contained and makes no network request (a
 * Content-Security-Policy forbids it); every input-derived string is embedded
 * as JSON script data with < > & and U+2028/2029 escaped and invalid UTF-8
 * replaced by U+FFFD, and the page renders it as text only.  The network
 * layout is computed here (igraph Fruchterman-Reingold, seeded with the run's
 * seed from summary.json), so the same folder and options always give the same
 * bytes: detect's report.html and a later lk_report_write() are identical.
 * Size: about 80 bytes per listed account plus the drawn edges and the
 * detailed groups; doc/report.md gives measured sizes.  The file appears only
 * when complete.  Not thread-safe (the layout uses igraph's global RNG).
 * Time: O(rows of the folder's tables) plus the layout of the drawn nodes.
 * @param errbuf receives a one-line message on failure (errlen bytes; may be NULL).
 * @return LK_OK; LK_EIO (a file cannot be read or written), LK_EPARSE (a
 *         table or summary.json is malformed), LK_EINVAL (NULL dir, limits of
 *         0, a --compat folder), LK_ENOMEM, LK_EGRAPH (layout).
 */
LK_API LK_RESULT_USED lk_status lk_report_write(const lk_report_opts *o, char *errbuf,
                                                size_t errlen);

/* ------------------------------------------------------------------------ */
/* simulate: synthetic activity with planted coordinated groups             */
/* ------------------------------------------------------------------------ */

/** Options of lk_simulate().  Initialise with lk_simulate_opts_init(). */
typedef struct lk_simulate_opts {
    uint64_t seed;           /**< [1] */
    uint64_t actions;        /**< approximate number of action rows of actions.csv [100000] */
    uint64_t accounts;       /**< organic accounts; 0 = actions / 20 [0] */
    uint32_t groups;         /**< planted coordinated groups [5] */
    uint32_t group_size;     /**< members per planted group [8] */
    uint64_t max_popularity; /**< posts in the largest cascade (the celebrity post) [10000] */
    int64_t span_s;          /**< time span of the data in seconds [30 days] */
    const char *kinds;       /**< planted group kinds, comma-separated, given to the groups
                                  round-robin: retweet_ring, link_pusher, copypasta,
                                  hashtag_flood, reply_swarm, slow_ring; NULL, "" or "all" =
                                  all six in this order [NULL] (borrowed) */
    int write_tweets;        /**< also write tweets.csv [1] */
    const char *out_dir;     /**< writes actions.csv, tweets.csv, truth.csv here ["sim-out"] */
} lk_simulate_opts;

/** Fill `o` with the defaults shown in brackets above. */
LK_API void lk_simulate_opts_init(lk_simulate_opts *o);

/**
 * Check a list of planted group kinds (lk_simulate_opts.kinds).
 * @param msg receives a one-line reason on failure (msglen bytes; may be NULL).
 * @return LK_OK or LK_EINVAL.  Thread-safe.
 */
LK_API LK_RESULT_USED lk_status lk_simulate_kinds_check(const char *list, char *msg, size_t msglen);

/**
 * Write a deterministic synthetic data set into o->out_dir (created, with
 * parents, if missing).  The data are posts (retweets, replies, quotes and
 * originals with text, URLs, hashtags and mentions) of an organic
 * population (heavy-tailed activity, a daily rhythm, communities with their
 * own hashtags and sites, viral cascades with fast fans, newsbots posting
 * the same feed links) and of planted groups of the kinds in o->kinds.
 *  - `actions.csv`: generic CSV object_id,account_id,content_id,
 *    timestamp_share,trace; one row per action, about o->actions of them
 *    (typically within 1%).  A retweet gives one `share` row (object: the
 *    retweeted post's id); a reply or quote a `reply` / `quote` row plus
 *    the rows of its own content; an original (and a reply or quote) one
 *    `url` row per URL (as posted, not normalised), one `hashtag` row per
 *    tag (as posted: '#', original case), one `mention` row per mentioned
 *    account id and one `text` row (the raw text, CSV-quoted when needed).
 *    content_id is the post's id; times are integer epoch seconds from
 *    2023-01-01T00:00:00Z to span_s + 1 day later.  Rows come in units
 *    (a cascade, a feed item, a planted occasion), each in time order.
 *  - `tweets.csv` (when o->write_tweets): the same posts, one row each, as
 *    a Twitter information-operations archive tweets file (31 columns;
 *    tweet_time at minute resolution; list cells as Python list reprs).
 *  - `truth.csv`: account_id,label,group,kind for every account that acts,
 *    sorted by id; label is organic, fan, newsbot or coordinated; group
 *    (1..o->groups) and kind are set for coordinated accounts only.
 * Ids are 16 hex digits that reveal nothing; post ids are unique.  The
 * same options give byte-identical files.  The model and its parameters
 * are documented in src/simulate.c.  On failure no file is left behind.
 * Memory: O(accounts + max_popularity), whatever the number of actions.
 * @param errbuf receives a one-line message on failure (may be NULL);
 *        errlen is its size.
 * @return LK_OK; LK_EINVAL (bad option, e.g. actions 0, group_size < 2,
 *         max_popularity < 2, an unknown kind, groups too large for
 *         actions); LK_EIO (cannot create the folder or write a file);
 *         LK_ENOMEM.
 */
LK_API LK_RESULT_USED lk_status lk_simulate(const lk_simulate_opts *o, char *errbuf, size_t errlen);

/* ------------------------------------------------------------------------ */
/* evaluate: precision / recall / F1 of a detect output against truth       */
/* ------------------------------------------------------------------------ */

/** Options of lk_evaluate().  Initialise with lk_eval_opts_init(). */
typedef struct lk_eval_opts {
    const char *truth; /**< truth.csv: account_id,label,group[,...] (borrowed) */
    const char *dir;   /**< a detect output folder holding accounts.csv (borrowed) */
    const char *out;   /**< JSON report: NULL for none, a path, or "-" for stdout */
} lk_eval_opts;

/** False-positive rate of one non-coordinated truth label. */
typedef struct lk_eval_class {
    const char *label; /**< borrowed from the result */
    uint64_t accounts; /**< truth accounts with this label */
    uint64_t flagged;  /**< of them, in accounts.csv */
    double rate;       /**< flagged / accounts (0 when accounts is 0) */
} lk_eval_class;

/** How one planted group was recovered. */
typedef struct lk_eval_group {
    const char *group;     /**< planted group name (borrowed from the result) */
    uint64_t size;         /**< members */
    uint64_t found;        /**< members in accounts.csv */
    const char *best;      /**< detected group holding most members, or NULL */
    uint64_t best_members; /**< members in that detected group */
    uint64_t best_others;  /**< non-members in that detected group */
    double share;          /**< best_members / size */
} lk_eval_group;

/** Result of lk_evaluate(); release with lk_eval_result_release(). */
typedef struct lk_eval_result {
    const char *truth, *dir;      /**< the inputs (owned copies) */
    uint64_t truth_accounts;      /**< rows of truth.csv */
    uint64_t positives;           /**< truth accounts labelled coordinated */
    uint64_t flagged;             /**< rows of accounts.csv */
    uint64_t tp, fp, fn;          /**< account-level confusion counts */
    uint64_t unknown_accounts;    /**< flagged accounts absent from truth (counted in fp) */
    uint64_t detected_groups;     /**< distinct group_id values in accounts.csv */
    double precision, recall, f1; /**< a ratio with a zero denominator is 0 */
    double group_recovery;        /**< mean share over planted groups */
    lk_eval_class *classes;       /**< per non-coordinated label, sorted by label */
    size_t nclasses;
    lk_eval_group *groups; /**< per planted group, in numeric order */
    size_t ngroups;
    void *priv_; /**< internal */
} lk_eval_result;

/** Fill `o` with NULLs. */
LK_API void lk_eval_opts_init(lk_eval_opts *o);

/**
 * Score the detect output folder o->dir against o->truth (plain, gzip or
 * zstd CSVs, columns found by name) and write the JSON report to o->out.
 * On failure *r is left empty.
 * @return LK_OK; LK_EIO, LK_EPARSE (FILE:LINE message), LK_EINVAL, LK_ENOMEM.
 */
LK_API LK_RESULT_USED lk_status lk_evaluate(const lk_eval_opts *o, lk_eval_result *r, char *errbuf,
                                            size_t errlen);

/**
 * The JSON report of r into buf (len bytes, NUL-terminated).  *needed gets
 * the size required (NUL included).
 * @return LK_OK, or LK_ELIMIT when len is too small, LK_ENOMEM.
 */
LK_API LK_RESULT_USED lk_status lk_eval_json(const lk_eval_result *r, char *buf, size_t len,
                                             size_t *needed);

/** Write the JSON report to path ("-" = stdout); a file appears only when complete. */
LK_API LK_RESULT_USED lk_status lk_eval_write_json(const lk_eval_result *r, const char *path,
                                                   char *errbuf, size_t errlen);

/** Free what r owns; NULL-safe and safe twice. */
LK_API void lk_eval_result_release(lk_eval_result *r);

/* ------------------------------------------------------------------------ */
/* option value parsers shared by the command line and library users        */
/* ------------------------------------------------------------------------ */

/* ---- input formats and traces ------------------------------------------------ */

/** The input format names, comma-separated: "auto, generic, qut, ...".  Static. */
LK_API const char *lk_format_names(void);

/** 1 when name is an input format or "auto". */
LK_API int lk_format_known(const char *name);

/** The trace names, comma-separated: "generic, share, quote, ...".  Static. */
LK_API const char *lk_trace_names(void);

/**
 * Check a --traces list ("share,url", "all", "default").
 * @param msg receives a one-line reason on failure (msglen bytes).
 * @return LK_OK or LK_EINVAL.
 */
LK_API LK_RESULT_USED lk_status lk_traces_check(const char *list, char *msg, size_t msglen);

/* ---- convert ------------------------------------------------------------------ */

/** Options of a convert run.  Initialise with lk_convert_opts_init(). */
typedef struct lk_convert_opts {
    const char *format;      /**< as lk_detect_opts.format ["auto"] */
    const char *traces;      /**< as lk_detect_opts.traces ["default"] */
    const char *col_object;  /**< generic CSV column names ["object_id"] ... */
    const char *col_account; /**< ["account_id"] */
    const char *col_content; /**< ["content_id"] */
    const char *col_time;    /**< ["timestamp_share"] */
    lk_on_error on_error;    /**< [LK_ON_ERROR_FAIL] */
    const char *out;         /**< output file, "-" for standard output ["-"] */
    int threads;             /**< threads reading each file; 0 = all cores [0] */
} lk_convert_opts;

/** Counts of a finished convert run. */
typedef struct lk_convert_stats {
    uint64_t rows_read, rows_used, rows_skipped;
    uint64_t actions; /**< output rows */
} lk_convert_stats;

LK_API void lk_convert_opts_init(lk_convert_opts *o);

/**
 * Read every input (any supported format and codec) and write the generic
 * action CSV `object_id,account_id,content_id,timestamp_share,trace`, one row
 * per action in input order; timestamps in epoch seconds (with a fraction
 * when the input has milliseconds).  lockstep detect reads it back as the
 * same actions; R, pandas, CooRTweet and the QUT toolkit read it as CSV.
 * A file output appears only when complete.
 * @param why one-line summary of skipped rows by reason, written on success
 *        (whylen bytes; may be NULL).
 * @return LK_OK or an error with a FILE:LINE message in errbuf.
 */
LK_API LK_RESULT_USED lk_status lk_convert(const lk_convert_opts *o, const char *const *inputs,
                                           size_t ninputs, lk_convert_stats *stats, char *why,
                                           size_t whylen, char *errbuf, size_t errlen);

/**
 * Parse a duration: a non-negative number with an optional unit
 * "ms", "s" (default), "m", "h", "d" ("30", "30s", "1.5m", "250ms", "2h").
 * Rejects empty input, trailing junk, negative values and overflow.
 * @return LK_OK or LK_EINVAL.  Thread-safe.
 */
LK_API LK_RESULT_USED lk_status lk_parse_duration_ms(const char *s, int64_t *ms_out);

/**
 * Parse a byte size: a non-negative number with an optional suffix
 * K, M, G, T (powers of 1024; "B" and "iB" forms accepted: "512M", "2G",
 * "1.5GiB", "4096").  Rejects trailing junk and overflow.
 * @return LK_OK or LK_EINVAL.  Thread-safe.
 */
LK_API LK_RESULT_USED lk_status lk_parse_size(const char *s, uint64_t *bytes_out);

#ifdef __cplusplus
}
#endif

#endif /* LOCKSTEP_LOCKSTEP_H */
