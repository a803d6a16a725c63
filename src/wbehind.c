/* wbehind.c - writes behind the caller on a thread of their own (wbehind.h).
 *
 * Two buffers: the caller fills one while the writer empties the other.  A
 * buffer holds the bytes of up to SEGS writes back to back and, for each,
 * its file, offset and length; writes that continue the last one in the
 * same file join it.  When the caller's buffer is full it waits for the
 * writer to finish the other (the writer is behind by one buffer at most)
 * and hands it over.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tmpfile.h"
#include "wbehind.h"

#define SEGS    256
#define MIN_BUF ((size_t)64 << 10)

typedef struct seg {
    int fd;
    size_t len;
    uint64_t off;
    const char *dir;
} seg;

typedef struct wbuf {
    char *p;
    size_t used;
    seg s[SEGS];
    size_t ns;
} wbuf;

struct lk_wbehind {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* the writer waits for work, the caller for the writer */
    pthread_t th;
    wbuf b[2];
    size_t cap;
    int fill;                /* the buffer the caller fills (the caller's alone) */
    int busy;                /* under mu: b[!fill] is the writer's until it clears this */
    int stop;                /* under mu: the writer ends once nothing is busy */
    lk_status st;            /* under mu: the writer's first error */
    atomic_int failed;       /* st is set: the caller's next call returns it */
    char err[LK_ERRMSG_MAX]; /* its message (written before st is set) */
    uint64_t bytes;          /* under mu: written */
    double secs;             /* under mu: spent writing */
};

static void *writer(void *arg)
{
    lk_wbehind *wb = arg;

    pthread_mutex_lock(&wb->mu);
    for (;;) {
        while (!wb->busy && !wb->stop)
            pthread_cond_wait(&wb->cv, &wb->mu);
        if (!wb->busy)
            break; /* stopped with nothing to write */
        {
            wbuf *b = &wb->b[!wb->fill];
            const int failed = wb->st != LK_OK;
            char msg[LK_ERRMSG_MAX] = "";
            lk_status st = LK_OK;
            const double t0 = lk_mono_s();
            uint64_t n = 0;
            size_t at = 0;

            pthread_mutex_unlock(&wb->mu);
            /* after a failure nothing more is written: the run stops */
            for (size_t i = 0; i < b->ns && !failed && st == LK_OK; i++) {
                const seg *s = &b->s[i];
                st = lk_tmpfile_write(s->fd, b->p + at, s->len, s->off, s->dir, msg);
                at += s->len;
                n += s->len;
            }
            b->used = 0;
            b->ns = 0;
            pthread_mutex_lock(&wb->mu);
            if (st != LK_OK && wb->st == LK_OK) {
                memcpy(wb->err, msg, sizeof msg);
                wb->st = st;
                atomic_store_explicit(&wb->failed, 1, memory_order_release);
            }
            wb->bytes += n;
            wb->secs += lk_mono_s() - t0;
            wb->busy = 0;
            pthread_cond_broadcast(&wb->cv);
        }
    }
    pthread_mutex_unlock(&wb->mu);
    return NULL;
}

lk_wbehind *lk_wbehind_new(size_t bufsz)
{
    lk_wbehind *wb = calloc(1, sizeof *wb);

    if (!wb)
        return NULL;
    atomic_init(&wb->failed, 0);
    wb->cap = LK_MAX(bufsz, MIN_BUF);
    if (!(wb->b[0].p = malloc(wb->cap)) || !(wb->b[1].p = malloc(wb->cap))) {
        free(wb->b[0].p);
        free(wb);
        return NULL;
    }
    pthread_mutex_init(&wb->mu, NULL);
    pthread_cond_init(&wb->cv, NULL);
    if (pthread_create(&wb->th, NULL, writer, wb) != 0) {
        pthread_cond_destroy(&wb->cv);
        pthread_mutex_destroy(&wb->mu);
        free(wb->b[0].p);
        free(wb->b[1].p);
        free(wb);
        return NULL;
    }
    return wb;
}

/* Wait for the writer to be idle, then, if it has not failed and `give`,
 * hand it the caller's buffer.  The writer's status (errbuf set on an
 * error). */
static lk_status when_idle(lk_wbehind *wb, int give, char *errbuf)
{
    lk_status st;

    pthread_mutex_lock(&wb->mu);
    while (wb->busy)
        pthread_cond_wait(&wb->cv, &wb->mu);
    st = wb->st;
    if (st == LK_OK && give) {
        wb->fill = !wb->fill;
        wb->busy = 1;
        pthread_cond_broadcast(&wb->cv);
    }
    pthread_mutex_unlock(&wb->mu);
    if (st != LK_OK)
        lk_errf(errbuf, "%s", wb->err);
    return st;
}

lk_status lk_wbehind_write(lk_wbehind *wb, int fd, const void *buf, size_t len, uint64_t off,
                           const char *dir, char *errbuf)
{
    const char *q = buf;

    if (!wb)
        return lk_tmpfile_write(fd, buf, len, off, dir, errbuf);
    if (atomic_load_explicit(&wb->failed, memory_order_acquire))
        return when_idle(wb, 0, errbuf);
    while (len > 0) {
        wbuf *b = &wb->b[wb->fill];
        seg *last = b->ns ? &b->s[b->ns - 1] : NULL;
        const int joins = last && last->fd == fd && last->off + last->len == off;
        size_t n;
        lk_status st;

        if (b->used == wb->cap || (!joins && b->ns == SEGS)) {
            if ((st = when_idle(wb, 1, errbuf)) != LK_OK)
                return st;
            continue;
        }
        n = LK_MIN(len, wb->cap - b->used);
        memcpy(b->p + b->used, q, n);
        b->used += n;
        if (joins) {
            last->len += n;
        } else {
            b->s[b->ns++] = (seg){.fd = fd, .len = n, .off = off, .dir = dir};
        }
        q += n;
        len -= n;
        off += n;
    }
    return LK_OK;
}

lk_status lk_wbehind_sync(lk_wbehind *wb, char *errbuf)
{
    lk_status st;

    if (!wb)
        return LK_OK;
    if (wb->b[wb->fill].used > 0 && (st = when_idle(wb, 1, errbuf)) != LK_OK)
        return st;
    return when_idle(wb, 0, errbuf);
}

void lk_wbehind_drain(lk_wbehind *wb)
{
    char msg[LK_ERRMSG_MAX];

    if (lk_wbehind_sync(wb, msg) != LK_OK)
        return; /* sticky: the next call fails the same way */
}

void lk_wbehind_stats(lk_wbehind *wb, uint64_t *bytes, double *secs)
{
    *bytes = 0;
    *secs = 0;
    if (!wb)
        return;
    pthread_mutex_lock(&wb->mu);
    *bytes = wb->bytes;
    *secs = wb->secs;
    pthread_mutex_unlock(&wb->mu);
}

void lk_wbehind_free(lk_wbehind *wb)
{
    if (!wb)
        return;
    lk_wbehind_drain(wb);
    pthread_mutex_lock(&wb->mu);
    wb->stop = 1;
    pthread_cond_broadcast(&wb->cv);
    pthread_mutex_unlock(&wb->mu);
    pthread_join(wb->th, NULL);
    pthread_cond_destroy(&wb->cv);
    pthread_mutex_destroy(&wb->mu);
    free(wb->b[0].p);
    free(wb->b[1].p);
    free(wb);
}
