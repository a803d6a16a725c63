/* par.c - fork-join task runner over POSIX threads. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "dist.h"
#include "par.h"

unsigned lk_par_cores_allowed(void)
{
    cpu_set_t set;
    long n;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

unsigned lk_par_cores(void)
{
    /* under mpirun, this rank's share of the cores it shares (dist.h) */
    return LK_MAX(lk_par_cores_allowed() / lk_dist_share(), 1u);
}

unsigned lk_par_threads(int requested)
{
    unsigned t = requested > 0 ? (unsigned)requested : lk_par_cores();
    return LK_MIN(LK_MAX(t, 1u), (unsigned)LK_PAR_MAX);
}

typedef struct job {
    atomic_size_t next;
    size_t ntasks;
    lk_task_fn fn;
    void *ctx;
} job;

typedef struct worker_arg {
    job *j;
    unsigned id;
} worker_arg;

static void drain(job *j, unsigned id)
{
    for (;;) {
        size_t t = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (t >= j->ntasks)
            return;
        j->fn(j->ctx, t, id);
    }
}

static void *worker_main(void *p)
{
    worker_arg *w = p;
    drain(w->j, w->id);
    return NULL;
}

lk_status lk_par_run(unsigned threads, size_t ntasks, lk_task_fn fn, void *ctx)
{
    pthread_t tid[LK_PAR_MAX];
    worker_arg arg[LK_PAR_MAX];
    unsigned started = 0, want;
    lk_status st = LK_OK;
    job j;

    if (threads <= 1 || ntasks <= 1) {
        for (size_t t = 0; t < ntasks; t++)
            fn(ctx, t, 0);
        return LK_OK;
    }
    want = (unsigned)LK_MIN((size_t)LK_MIN(threads, (unsigned)LK_PAR_MAX), ntasks);
    atomic_init(&j.next, 0);
    j.ntasks = ntasks;
    j.fn = fn;
    j.ctx = ctx;
    for (unsigned w = 1; w < want; w++) {
        arg[w].j = &j;
        arg[w].id = w;
        if (pthread_create(&tid[w], NULL, worker_main, &arg[w]) != 0) {
            st = LK_ENOMEM;
            break;
        }
        started = w;
    }
    drain(&j, 0);
    for (unsigned w = 1; w <= started; w++)
        (void)pthread_join(tid[w], NULL);
    return st;
}
