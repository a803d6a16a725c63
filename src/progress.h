/*
 * progress.h - the progress meter of long runs, on standard error.
 *
 * The meter shows the stage and its elapsed time and, while reading, rows,
 * bytes, rates and, when the input size is known, percent and ETA:
 *
 *   lockstep detect: read 1830000 rows, 61.2MB of 98.4MB (62%), 1.2M rows/s, 40.1MB/s, ETA 0:01
 *   lockstep detect: aggregate 3.2 s (9.8 s in all)
 *
 * On a terminal one line is rewritten in place ('\r') 4 times a second;
 * into a file or pipe (LK_PROGRESS_ALWAYS) plain lines are written once a
 * second, less often as the run grows longer (every 1/60 of the elapsed
 * time), so an hour gives about 300 lines.  Nothing is written before the
 * first interval, so quick runs stay silent.
 *
 * Why a thread: the stages after reading (sweep, aggregation, calibration,
 * Leiden) run for minutes on large inputs inside code that has no hooks; a
 * ticker thread keeps the line alive through them.  It only formats what
 * the run publishes under the meter's mutex (stage, rows, bytes), which the
 * run does at stage changes and every few thousand rows: the cost on the
 * reading path is one uncontended lock per 8192 rows.
 *
 * The meter is the library's only output of its own, off unless
 * lk_detect_opts.progress asks for it, and never changes an output file.
 * While a terminal line is on screen a log hook wipes it before every
 * lk_log() message, so -v stage timings and warnings keep lines of their
 * own.  Every function is NULL-safe and does nothing when the meter is off.
 * Depends on io_stream (bytes read) and log.
 */
#ifndef LK_PROGRESS_H
#define LK_PROGRESS_H

#include <pthread.h>

#include "io_stream.h"

typedef struct lk_progress {
    int on;  /* the ticker runs: every call below has work to do */
    int tty; /* rewrite one line in place; else plain lines */
    pthread_t thread;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* wakes the ticker to stop */
    int stop;
    double t0, t_stage; /* monotonic seconds: the run's and the stage's start */
    double quiet_until; /* a log message was just printed: no redraw before */
    const char *stage;
    uint64_t total, done; /* the stage's work, when known (total 0: unknown) */
    /* reading: the current input (owned by the run's thread, never touched by
     * the ticker), what is published of it, and the inputs already read */
    const lk_stream *stream;
    const uint64_t *file_rows;
    uint64_t rows_before, bytes_before;
    uint64_t rows, bytes; /* published: all inputs so far */
    uint64_t bytes_total; /* sum of the inputs' sizes; 0: unknown (stdin, a pipe) */
    size_t shown;         /* length of the terminal line on screen; 0: none */
} lk_progress;

/** Start the meter of a run: mode LK_PROGRESS_NEVER, _AUTO (on when
 *  standard error is a terminal) or _ALWAYS.  Starts the ticker thread;
 *  when it cannot, the run goes on without a meter.  Pair with
 *  lk_progress_done() on every path. */
void lk_progress_init(lk_progress *p, lk_progress_mode mode);

/** Enter a stage ("read", "index", ...; a string that outlives the run).
 *  total: its amount of work for a percent (lk_progress_tick), 0 unknown. */
void lk_progress_stage(lk_progress *p, const char *stage, uint64_t total);

/** Reading: the sum of the sizes of the input files, for percent and ETA;
 *  unknown (no ETA) when one of them is "-" or not a regular file. */
void lk_progress_inputs(lk_progress *p, char *const *paths, size_t n);

/** Reading: the input now read (its raw, i.e. compressed, bytes are polled)
 *  and its row counter.  lk_progress_file(p, NULL, NULL) after the input,
 *  before its stream is closed, adds its rows and bytes to those read. */
void lk_progress_file(lk_progress *p, const lk_stream *s, const uint64_t *rows);

/** Reading: publish the current input's row and byte counts.  Call every
 *  few thousand rows. */
void lk_progress_poll(lk_progress *p);

/** Work done in the stage, of the total given to lk_progress_stage(). */
void lk_progress_tick(lk_progress *p, uint64_t done);

/** End of the run: stop the ticker, wipe the terminal line, remove the log
 *  hook.  Safe on a meter that never started. */
void lk_progress_done(lk_progress *p);

#endif
