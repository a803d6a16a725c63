/*
 * trace.c - names of traces and formats, and the --traces list.
 */
#include "trace.h"

static const char *const trace_names[LK_TR_N] = {
    "generic", "share",   "quote",   "reply", "url",
    "domain",  "hashtag", "mention", "text",  "near-text",
};

static const char *const format_names[LK_FMT_N] = {
    "auto", "generic",    "qut",        "twitter-io", "twarc-csv", "ira-538", "crowdtangle",
    "mcl",  "twitter-v1", "twitter-v2", "pushshift",  "telegram",  "bluesky", "mastodon",
};

const char *lk_trace_name(lk_trace t)
{
    return (unsigned)t < LK_TR_N ? trace_names[t] : "unknown";
}

int lk_trace_from_name(const char *s, size_t n)
{
    for (int k = 0; k < LK_TR_N; k++)
        if (strlen(trace_names[k]) == n && memcmp(trace_names[k], s, n) == 0)
            return k;
    return -1;
}

const char *lk_format_name(lk_format f)
{
    return (unsigned)f < LK_FMT_N ? format_names[f] : "unknown";
}

int lk_format_from_name(const char *s)
{
    for (int k = 0; k < LK_FMT_N; k++)
        if (strcmp(format_names[k], s) == 0)
            return k;
    return -1;
}

#define LK_TRACES_AVAILABLE ((1u << LK_TR_N) - 1u)

lk_status lk_traces_parse(const char *s, uint32_t *mask, char *errbuf)
{
    uint32_t m = 1u << LK_TR_GENERIC;
    const char *p = s;

    if (!s || !*s) {
        lk_errf(errbuf, "--traces: empty list");
        return LK_EINVAL;
    }
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int t;

        if (n == 3 && memcmp(p, "all", 3) == 0) {
            m |= LK_TRACES_AVAILABLE;
        } else if (n == 7 && memcmp(p, "default", 7) == 0) {
            m |= LK_TRACES_DEFAULT;
        } else if ((t = lk_trace_from_name(p, n)) >= 0 &&
                   (LK_TRACES_AVAILABLE & (1u << (unsigned)t))) {
            m |= 1u << (unsigned)t;
        } else {
            lk_errf(errbuf,
                    "--traces: unknown trace '%.*s' (expected a comma-separated list of share, "
                    "quote, reply, url, domain, hashtag, mention, text, near-text, generic, or "
                    "all, default)",
                    (int)LK_MIN(n, (size_t)40), p);
            return LK_EINVAL;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    *mask = m;
    return LK_OK;
}

/* ---- public API ------------------------------------------------------------ */

const char *lk_format_names(void)
{
    return "auto, generic, qut, twitter-io, twarc-csv, ira-538, crowdtangle, mcl, twitter-v1, "
           "twitter-v2, pushshift, telegram, bluesky, mastodon";
}

int lk_format_known(const char *name)
{
    return name && lk_format_from_name(name) >= 0;
}

const char *lk_trace_names(void)
{
    return "share, quote, reply, url, domain, hashtag, mention, text, near-text, generic";
}

lk_status lk_traces_check(const char *list, char *msg, size_t msglen)
{
    char eb[LK_ERRMSG_MAX];
    uint32_t m;
    const lk_status st = lk_traces_parse(list, &m, eb);

    if (st != LK_OK && msg && msglen)
        (void)snprintf(msg, msglen, "%s", eb);
    return st;
}
