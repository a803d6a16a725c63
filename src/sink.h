/*
 * sink.h - where format readers put what they extract.
 *
 * A format reader turns one input record (a CSV row, a JSON post) into one
 * *record*: an account, a time, a content id (the post), and any number of
 * (trace, object) pairs.  The sink normalises the objects (URLs, hashtags,
 * text; lk_sink_obj), drops traces not selected with --traces, validates
 * UTF-8, removes duplicate posts and does the row accounting: every record
 * begun is either used (it gave at least one action) or skipped with a
 * reason.  What happens to the actions depends on the sink's backend: detect
 * interns them into an lk_dataset, convert writes them as CSV rows.
 *
 * Usage by a format reader, per record:
 *
 *     lk_sink_begin(k, line);
 *     lk_sink_account(k, s, n);  lk_sink_time(k, ms);  lk_sink_content(k, id, n);
 *     lk_sink_key(k, key, n);              (optional: platform-unique post key)
 *     lk_sink_obj(k, LK_TR_SHARE, id, n);  (any number, any traces)
 *     st = lk_sink_end(k);                 (LK_OK, or the run stops)
 *
 * or, for a record that cannot be used, instead of lk_sink_end:
 *
 *     st = lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "field 14 ('tweet_time'): ...");
 *
 * and for a line that is not a post at all (a streaming control line, a user
 * object, a Telegram service message): lk_sink_not_post(k, line).
 *
 * Strings passed in are copied; they need not outlive the call.
 */
#ifndef LK_SINK_H
#define LK_SINK_H

#include "dataset.h"
#include "neartext.h"
#include "progress.h"
#include "trace.h"

typedef struct lk_sink lk_sink;

/** Start a record found at input line `line` (1-based). */
void lk_sink_begin(lk_sink *k, uint64_t line);

/** The acting account's id (never a mutable handle when an id exists). */
LK_RESULT_USED lk_status lk_sink_account(lk_sink *k, const char *s, size_t n);

/** The post's own id, shown in evidence and written by convert. */
LK_RESULT_USED lk_status lk_sink_content(lk_sink *k, const char *s, size_t n);

/** Event time, epoch milliseconds (0 <= ms <= LK_TIME_MAX_MS). */
void lk_sink_time(lk_sink *k, int64_t ms);

/**
 * A key unique to the post on its platform (tweet id, "t1_"+comment id,
 * at:// URI, ...).  A record whose key was seen before in this run is skipped
 * as "duplicate" (raw pages and flattened lines often hold the same tweets).
 * Records without a key are never deduplicated.
 */
LK_RESULT_USED lk_status lk_sink_key(lk_sink *k, const char *s, size_t n);

/**
 * One object the record acts on, as found in the input: a post id, a URL as
 * posted, a hashtag with or without '#', a mention id, the post's full text.
 * The sink normalises it for its trace (DESIGN.md): URLs, hashtags, text;
 * ids are taken verbatim.  An object that normalises to nothing (an empty
 * id, a text of only mentions) is dropped: empty objects never co-act.
 * Objects of traces not selected are ignored.  url objects also give a
 * domain object when the domain trace is selected.
 */
LK_RESULT_USED lk_status lk_sink_obj(lk_sink *k, lk_trace tr, const char *s, size_t n);

/** lk_sink_obj for an object that is already a lockstep key (a row of
 *  convert's output): normalised the same way (idempotent on keys) but a
 *  url gives no domain object (the file has its own domain rows). */
LK_RESULT_USED lk_status lk_sink_obj_key(lk_sink *k, lk_trace tr, const char *s, size_t n);

/** lk_sink_obj without normalisation (input that is already normalised:
 *  the generic CSV, lockstep convert output). */
LK_RESULT_USED lk_status lk_sink_obj_verbatim(lk_sink *k, lk_trace tr, const char *s, size_t n);

/** 1 when trace tr is selected (a reader may skip costly extraction otherwise). */
int lk_sink_wants(const lk_sink *k, lk_trace tr);

/**
 * Finish the record: no account -> skipped "empty_account"; no object left
 * -> "empty_object"; key seen before -> "duplicate"; otherwise its actions
 * are emitted and the record counts as used.
 * @return LK_OK; LK_ENOMEM; LK_EIO (convert's output); LK_ELIMIT.
 */
LK_RESULT_USED lk_status lk_sink_end(lk_sink *k);

/**
 * The record begun cannot be used.  Counted as skipped for `why`; with
 * --on-error skip returns LK_OK, with --on-error fail returns LK_EPARSE and
 * sets the error to "FILE:LINE: <what>" (line of lk_sink_begin).
 */
LK_RESULT_USED lk_status lk_sink_bad(lk_sink *k, lk_skip why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Like lk_sink_bad for a line no record was begun for (malformed JSON,
 *  an over-long line): counts one row read and skipped at `line`. */
LK_RESULT_USED lk_status lk_sink_bad_line(lk_sink *k, uint64_t line, lk_skip why, const char *fmt,
                                          ...) __attribute__((format(printf, 4, 5)));

/** The record begun is a post that is deliberately not used (a "[deleted]"
 *  author, a platform bot): counted as skipped for `why`, never an error. */
void lk_sink_skip(lk_sink *k, lk_skip why);

/** A line that holds no post (control line, user, compliance, service
 *  message): one row read, skipped as "not_a_post".  Never an error. */
void lk_sink_not_post(lk_sink *k, uint64_t line);

/** Count the rows of the current file under format f (mixed JSON-lines
 *  files hold several).  Called once per record or not-a-post line. */
void lk_sink_format(lk_sink *k, lk_format f);

/** The file name for messages ("(stdin)" for -). */
const char *lk_sink_name(const lk_sink *k);

/** The error buffer (LK_ERRMSG_MAX bytes) for messages the reader writes itself. */
char *lk_sink_errbuf(lk_sink *k);

/* ---- making a sink (reader.c, convert, tests) ----------------------------- */

/** One action as the sink emits it.  Strings are NUL-terminated, borrowed
 *  for the duration of the callback. */
typedef struct lk_sink_action {
    const char *account, *content, *object;
    size_t account_len, content_len, object_len;
    int64_t t; /* epoch ms */
    lk_trace trace;
    uint64_t line; /* input line of the record */
} lk_sink_action;

/** Callback backend: called once per action, in record order and, within a
 *  record, in the order the objects were given.  Text objects are the
 *  normalised text (the dataset backend keys them by its hash). */
typedef lk_status (*lk_sink_emit_fn)(void *ctx, const lk_sink_action *a);

typedef struct lk_sink_opts {
    uint32_t traces;            /* mask of selected traces (LK_TRACES_DEFAULT) */
    int skip_bad_rows;          /* --on-error skip */
    int keep_empty;             /* CooRTweet compat: "" is an object like any other */
    double near_text_threshold; /* near-text Jaccard; <= 0: the default (neartext.h) */
    unsigned threads;           /* near-text clustering, and reading the dataset back
                                   after it, on this many */
    int distributed;            /* a distributed run reading alike on every rank
                                   (lk_read_opts.dist_bytes): the near-text
                                   clustering is shared out (lk_neartext_opts) */
    uint64_t max_mem;           /* --max-mem; > 0: near-text data spilled while reading and
                                   the dataset parked while clustering (lk_sink_finish) */
    const char *tmp_dir;        /* --tmp-dir for those (NULL: $TMPDIR or /tmp); borrowed */
    /* Called, when not NULL, at the end of each step of a spilling
     * lk_sink_finish (what: "near-text: dataset parked (N bytes)", ...),
     * right after the step freed its memory: detect logs the step and gives
     * the pages back there. */
    void (*stage)(void *ctx, const char *what);
    void *stage_ctx;
} lk_sink_opts;

/**
 * A sink for one run.  Exactly one of (emit, ds) is non-NULL: emit calls
 * the callback per action; ds interns actions into the dataset.
 */
LK_RESULT_USED lk_status lk_sink_new(const lk_sink_opts *o, lk_sink_emit_fn emit, void *ctx,
                                     lk_dataset *ds, lk_sink **out);

/**
 * Start a file: its name for messages, index (stored in actions) and the
 * stats to count into (zeroed by the caller; stats->path set by the caller).
 * @return LK_OK, or LK_ENOMEM when the table of files whose near-text
 * actions are counted cannot grow (errbuf says so).
 */
LK_RESULT_USED lk_status lk_sink_file(lk_sink *k, const char *name, uint32_t file_index,
                                      lk_input_stats *stats, char *errbuf);

/**
 * After the last file: first, when the posts' key set froze while reading
 * (a spilled dataset's, under o->max_mem, once it and the string tables
 * would pass three quarters of the cap), find which of the waiting
 * records' keys repeat an earlier one, and use the records in the order
 * they came, each repeat counted as a duplicate in its file's stats: the
 * same actions, counts and errors as had the set never frozen.  Then
 * cluster the texts for the near-text trace (dataset
 * backend with near-text selected; otherwise nothing) and add one action per
 * post that has near-duplicates, on its cluster (named after the content id
 * of the cluster's first post).  The callback backend never computes
 * near-text: convert writes the normalised texts, from which detect does.
 *
 * With o->max_mem the texts' signatures and posts were spilled to
 * o->tmp_dir while reading; here the dataset (action table and string
 * tables) is parked there while the signatures are read back and
 * clustered, then read back itself for the near-text actions.  Same result.
 * @return LK_OK; LK_ENOMEM; LK_ELIMIT; LK_EIO (a temporary file: one line
 *         naming the folder in the error buffer).
 */
LK_RESULT_USED lk_status lk_sink_finish(lk_sink *k);

/** Records that waited for the frozen posts' keys and were used or counted
 *  as duplicates by lk_sink_finish() (0: the key set never froze). */
uint64_t lk_sink_waited(const lk_sink *k);

/** What near-text clustering did (zeros when it did not run). */
void lk_sink_neartext_stats(const lk_sink *k, lk_neartext_stats *st);

/** Emit what is still queued (the dataset backend batches records). */
LK_RESULT_USED lk_status lk_sink_flush(lk_sink *k);

void lk_sink_free(lk_sink *k);

/* ---- parallel reading: worker sinks and journals --------------------------
 *
 * A worker sink takes records from a format reader running on another
 * thread.  It does what depends on the record alone (normalisation, text
 * keys, UTF-8, the checks of lk_sink_end, near-text sketches, hashes) and
 * appends the outcome (record, skip with reason, bad row with its message)
 * to a journal.  The main sink then replays journals in input order: the
 * duplicate check, interning, accounting and errors happen there, so the
 * result is the serial one whatever the number of workers (the ids that the
 * tables already hold may be found before, lk_sink_resolve).  Line numbers in
 * a journal are local to its chunk.  One worker sink and one journal per
 * thread at a time; the parent must outlive its workers.
 */

typedef struct lk_journal lk_journal;

/** An empty journal (reused: lk_sink_journal_begin resets it). */
LK_RESULT_USED lk_status lk_journal_new(lk_journal **out);
void lk_journal_free(lk_journal *j);

/**
 * Append journal j, serialised, to out (a distributed run sends journals
 * to the other ranks: reader_par.c), in the compact form of journal.c
 * (its fields as varints, most of them differences from the entry before:
 * two thirds of the bytes at 10^7 simulated actions).  Only a process
 * running the same binary can unpack it.
 * @return LK_OK or LK_ENOMEM (out then unchanged).
 */
LK_RESULT_USED lk_status lk_journal_pack(const lk_journal *j, lk_buf *out);

/**
 * Make j a copy of the journal packed in (p, len), exactly len bytes of
 * one lk_journal_pack; j can then be replayed.  p is borrowed.
 * @return LK_OK; LK_ENOMEM; LK_EINVAL when the bytes do not decode to
 *         exactly the counts of their header, or to entries whose
 *         objects, sketches and strings lie within the journal (j is then
 *         empty).
 */
LK_RESULT_USED lk_status lk_journal_unpack(lk_journal *j, const void *p, size_t len);

/** A worker sink with parent's options; free with lk_sink_free. */
LK_RESULT_USED lk_status lk_sink_new_worker(const lk_sink *parent, lk_sink **out);

/** Direct the worker's records into j (emptied first). */
void lk_sink_journal_begin(lk_sink *k, lk_journal *j);

/** Close j after the chunk.  @return LK_OK, or LK_ENOMEM when an entry
 *  could not be added (j is then incomplete and must not be replayed). */
LK_RESULT_USED lk_status lk_sink_journal_end(lk_sink *k);

/**
 * Commit a journal into the main sink k (the current file of k): as if the
 * chunk's records had been given to k, with line_base added to each line.
 * @return LK_OK; under --on-error fail the first bad row's LK_EPARSE with
 *         "FILE:LINE: what" in the error buffer (nothing after it is
 *         committed); the errors of lk_sink_end.
 */
LK_RESULT_USED lk_status lk_sink_replay(lk_sink *k, const lk_journal *j, uint64_t line_base);

/**
 * Look up, before the replay, the ids of j's accounts and objects that the
 * main sink k's string tables already hold, and keep them in j (packed
 * with it), so that lk_sink_replay() takes them instead of looking them up.
 * Only reads k: several threads may resolve their own journals at once,
 * but never while k takes records.  A string the tables do not hold yet is
 * left to the replay, which interns it as before: ids only ever get added,
 * so the result is the same whenever j is resolved before its replay.
 * Does nothing for a sink without a dataset, or with tables not indexed.
 * @return the ids found; *tried (added to) the lookups made.
 */
size_t lk_sink_resolve(const lk_sink *k, lk_journal *j, size_t *tried);

/** Tick the progress meter p (borrowed; NULL: none) every few thousand
 *  records; readers find it with lk_sink_progress(). */
void lk_sink_set_progress(lk_sink *k, lk_progress *p);
lk_progress *lk_sink_progress(const lk_sink *k);

#endif
