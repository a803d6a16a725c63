/*
 * progress.c - the progress meter on standard error (progress.h).
 */
#include "progress.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Update intervals: a terminal line is cheap to rewrite; a log file gets a
 * line a second at most, and fewer as the run grows long. */
#define TTY_INTERVAL_S          0.25
#define PLAIN_INTERVAL_S        1.0
#define PLAIN_LINES_PER_ELAPSED 60.0

/* Longest line we write; a terminal line is also cut to the width. */
#define LINE_MAX_BYTES 200

static void put(const char *s, size_t n)
{
    (void)fwrite(s, 1, n, stderr);
    (void)fflush(stderr);
}

/* Blank out the terminal line and return the cursor to its start.  Holds mu. */
static void wipe(lk_progress *p)
{
    char sp[LINE_MAX_BYTES + 2];
    const size_t n = p->shown;

    if (!n)
        return;
    sp[0] = '\r';
    memset(sp + 1, ' ', n);
    sp[n + 1] = '\r';
    put(sp, n + 2);
    p->shown = 0;
}

/* The log hook: a message must not run on into the meter's line, and the
 * ticker must not draw over it before the log callback has printed it. */
static void log_hook(void *ud)
{
    lk_progress *p = ud;

    (void)pthread_mutex_lock(&p->mu);
    wipe(p);
    p->quiet_until = lk_mono_s() + TTY_INTERVAL_S;
    (void)pthread_mutex_unlock(&p->mu);
}

/* "1.23M", "45.6k", "812": three significant digits with an SI prefix. */
static const char *si(double x, char *buf, size_t len)
{
    static const char pre[] = " kMGTP";
    int k = 0;

    while (x >= 999.5 && k < 5) {
        x /= 1000;
        k++;
    }
    if (k == 0)
        (void)snprintf(buf, len, "%.0f", x);
    else
        (void)snprintf(buf, len, "%.3g%c", x, pre[k]);
    return buf;
}

/* "0:07", "12:34", "2:03:04". */
static const char *hms(double s, char *buf, size_t len)
{
    const unsigned long long t = s > 0 && s < 1e9 ? (unsigned long long)(s + 0.5) : 0;

    if (t >= 3600)
        (void)snprintf(buf, len, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
    else
        (void)snprintf(buf, len, "%llu:%02llu", t / 60, t % 60);
    return buf;
}

/* The reading line: rows, bytes, rates, and percent and ETA when the size
 * of the input is known.  Holds mu. */
static void fmt_read(const lk_progress *p, double el, char *line, size_t len)
{
    const double secs = el > 1e-3 ? el : 1e-3;
    char b[16], t[16], rr[16], br[16], eta[24];

    if (p->bytes_total && p->bytes <= p->bytes_total) {
        const double frac = (double)p->bytes / (double)p->bytes_total;
        (void)snprintf(line, len, "read %llu rows, %sB of %sB (%.0f%%), %s rows/s, %sB/s, ETA %s",
                       (unsigned long long)p->rows, si((double)p->bytes, b, sizeof b),
                       si((double)p->bytes_total, t, sizeof t), 100 * frac,
                       si((double)p->rows / secs, rr, sizeof rr),
                       si((double)p->bytes / secs, br, sizeof br),
                       p->bytes ? hms(secs * (1 - frac) / frac, eta, sizeof eta) : "?");
        return;
    }
    (void)snprintf(line, len, "read %llu rows, %sB, %s rows/s, %sB/s", (unsigned long long)p->rows,
                   si((double)p->bytes, b, sizeof b), si((double)p->rows / secs, rr, sizeof rr),
                   si((double)p->bytes / secs, br, sizeof br));
}

/* Columns of the terminal on standard error (0: unknown). */
static size_t tty_columns(void)
{
    struct winsize ws;

    return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

/* Write the current state.  Holds mu. */
static void draw(lk_progress *p, double now)
{
    char body[LINE_MAX_BYTES], line[LINE_MAX_BYTES + 2];
    const double el = now - p->t_stage;
    size_t len, cols, end;
    int n;

    if (strcmp(p->stage, "read") == 0)
        fmt_read(p, el, body, sizeof body);
    else if (p->total)
        (void)snprintf(body, sizeof body, "%s %.0f%%, %.1f s (%.1f s in all)", p->stage,
                       100.0 * (double)LK_MIN(p->done, p->total) / (double)p->total, el,
                       now - p->t0);
    else
        (void)snprintf(body, sizeof body, "%s %.1f s (%.1f s in all)", p->stage, el, now - p->t0);
    /* line[0] is '\r' on a terminal, left out otherwise */
    n = snprintf(line + 1, LINE_MAX_BYTES, "lockstep detect: %s", body);
    if (n < 0)
        return;
    len = LK_MIN((size_t)n, (size_t)LINE_MAX_BYTES - 1);
    if (!p->tty) {
        line[len + 1] = '\n';
        put(line + 1, len + 1);
        return;
    }
    /* a line that wraps could not be rewritten in place: cut it to fit */
    cols = tty_columns();
    if (cols > 1 && len > cols - 1)
        len = cols - 1;
    /* blank out what a longer previous line left */
    end = len;
    while (end < p->shown)
        line[1 + end++] = ' ';
    line[0] = '\r';
    put(line, end + 1);
    p->shown = len;
}

/* Seconds until the next update. */
static double interval(const lk_progress *p, double now)
{
    const double grown = (now - p->t0) / PLAIN_LINES_PER_ELAPSED;

    if (p->tty)
        return TTY_INTERVAL_S;
    return grown > PLAIN_INTERVAL_S ? grown : PLAIN_INTERVAL_S;
}

static void *ticker(void *arg)
{
    lk_progress *p = arg;
    double next;

    (void)pthread_mutex_lock(&p->mu);
    next = p->t0 + interval(p, p->t0);
    while (!p->stop) {
        const double now = lk_mono_s();
        if (now < next) {
            struct timespec ts;
            const double wait = next - now;
            (void)clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)wait;
            ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            (void)pthread_cond_timedwait(&p->cv, &p->mu, &ts);
            continue;
        }
        if (now >= p->quiet_until)
            draw(p, now);
        next = now + interval(p, now);
    }
    (void)pthread_mutex_unlock(&p->mu);
    return NULL;
}

void lk_progress_init(lk_progress *p, lk_progress_mode mode)
{
    pthread_condattr_t ca;
    int ok;

    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    if (!(mode == LK_PROGRESS_ALWAYS || (mode == LK_PROGRESS_AUTO && p->tty)))
        return;
    p->t0 = p->t_stage = lk_mono_s();
    p->stage = "start";
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        return;
    /* the ticker's deadlines are on the monotonic clock, like lk_mono_s() */
    ok = pthread_condattr_init(&ca) == 0;
    if (ok) {
        ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&p->cv, &ca) == 0;
        (void)pthread_condattr_destroy(&ca);
    }
    if (!ok) {
        (void)pthread_mutex_destroy(&p->mu);
        return;
    }
    if (pthread_create(&p->thread, NULL, ticker, p) != 0) {
        (void)pthread_cond_destroy(&p->cv);
        (void)pthread_mutex_destroy(&p->mu);
        return;
    }
    p->on = 1;
    if (p->tty)
        lk_log_set_hook(log_hook, p);
}

void lk_progress_stage(lk_progress *p, const char *stage, uint64_t total)
{
    if (!p || !p->on)
        return;
    (void)pthread_mutex_lock(&p->mu);
    p->stage = stage;
    p->total = total;
    p->done = 0;
    p->t_stage = lk_mono_s();
    (void)pthread_mutex_unlock(&p->mu);
}

void lk_progress_inputs(lk_progress *p, char *const *paths, size_t n)
{
    struct stat sb;
    uint64_t sum = 0;

    if (!p || !p->on)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(paths[i], "-") == 0 || stat(paths[i], &sb) != 0 || !S_ISREG(sb.st_mode)) {
            sum = 0; /* a pipe or stdin: its size is unknown, so is the total */
            break;
        }
        sum += (uint64_t)sb.st_size;
    }
    (void)pthread_mutex_lock(&p->mu);
    p->bytes_total = sum;
    (void)pthread_mutex_unlock(&p->mu);
}

void lk_progress_poll(lk_progress *p)
{
    /* read here, in the run's thread, which owns the stream and counter */
    uint64_t rows, bytes;

    if (!p || !p->on)
        return;
    rows = p->rows_before + (p->file_rows ? *p->file_rows : 0);
    bytes = p->bytes_before + (p->stream ? lk_stream_raw_bytes(p->stream) : 0);
    (void)pthread_mutex_lock(&p->mu);
    p->rows = rows;
    p->bytes = bytes;
    (void)pthread_mutex_unlock(&p->mu);
}

void lk_progress_file(lk_progress *p, const lk_stream *s, const uint64_t *rows)
{
    if (!p || !p->on)
        return;
    /* rows_before, bytes_before, stream and file_rows belong to the run's
     * thread; only the published sums need the lock (lk_progress_poll) */
    if (p->stream)
        p->bytes_before += lk_stream_raw_bytes(p->stream);
    if (p->file_rows)
        p->rows_before += *p->file_rows;
    p->stream = s;
    p->file_rows = rows;
    lk_progress_poll(p);
}

void lk_progress_tick(lk_progress *p, uint64_t done)
{
    if (!p || !p->on)
        return;
    (void)pthread_mutex_lock(&p->mu);
    p->done = done;
    (void)pthread_mutex_unlock(&p->mu);
}

void lk_progress_done(lk_progress *p)
{
    if (!p || !p->on)
        return;
    (void)pthread_mutex_lock(&p->mu);
    p->stop = 1;
    (void)pthread_cond_signal(&p->cv);
    (void)pthread_mutex_unlock(&p->mu);
    (void)pthread_join(p->thread, NULL);
    if (p->tty)
        lk_log_set_hook(NULL, NULL);
    wipe(p);
    (void)pthread_cond_destroy(&p->cv);
    (void)pthread_mutex_destroy(&p->mu);
    p->on = 0;
}
