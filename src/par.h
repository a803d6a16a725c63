/*
 * par.h - a fork-join helper for data-parallel stages.
 *
 * lk_par_run() runs fn(ctx, task, worker) for every task in [0, ntasks) on
 * up to `threads` threads (the caller's thread is worker 0) and returns when
 * all are done.  Tasks are claimed in increasing order from an atomic
 * counter; which worker runs which task varies from run to run, so a task
 * must write its results only to slots indexed by `task` (never by
 * `worker`, except for scratch space) for the output to be deterministic.
 */
#ifndef LK_PAR_H
#define LK_PAR_H

#include "lk_internal.h"

typedef void (*lk_task_fn)(void *ctx, size_t task, unsigned worker);

/** Cores this process may run on (sched_getaffinity; at least 1). */
unsigned lk_par_cores_allowed(void);

/** Cores available to this process: lk_par_cores_allowed(), divided among the
 *  ranks of a distributed run that share them (lk_dist_share(); at least 1). */
unsigned lk_par_cores(void);

/** Threads to use for a request: 0 = all cores; capped at LK_PAR_MAX. */
unsigned lk_par_threads(int requested);

#define LK_PAR_MAX 256

/**
 * Run the tasks on min(threads, ntasks) threads (threads <= 1: in the
 * calling thread, in order).
 * @return LK_OK, or LK_ENOMEM when a thread could not be started (the tasks
 *         then still all run, on the threads that did start).
 */
lk_status lk_par_run(unsigned threads, size_t ntasks, lk_task_fn fn, void *ctx);

#endif
