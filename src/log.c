/* log.c - the library's only route to the outside world for diagnostics. */
#include <time.h>

#include "lk_internal.h"

static lk_log_fn log_fn;
static void *log_ud;
static int log_max = LK_LOG_WARN;
static lk_log_hook_fn log_hook;
static void *log_hook_ud;

void lk_set_log_fn(lk_log_fn fn, void *userdata, int max_level)
{
    log_fn = fn;
    log_ud = userdata;
    log_max = max_level;
}

void lk_log_set_hook(lk_log_hook_fn fn, void *userdata)
{
    log_hook = fn;
    log_hook_ud = userdata;
}

void lk_log(int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (!log_fn || level > log_max)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log_hook)
        log_hook(log_hook_ud);
    log_fn(level, msg, log_ud);
}

void lk_errf(char *errbuf, const char *fmt, ...)
{
    va_list ap;

    if (!errbuf)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(errbuf, LK_ERRMSG_MAX, fmt, ap);
    va_end(ap);
}

double lk_mono_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
