/*
 * trace.h - what counts as "the same object" (DESIGN.md, "Traces"), and the
 * input formats lockstep reads (FORMATS.md).  Both are small closed enums so
 * that per-file and per-edge counts are plain arrays.
 */
#ifndef LK_TRACE_H
#define LK_TRACE_H

#include "lk_internal.h"

typedef enum lk_trace {
    LK_TR_GENERIC = 0, /* the object_id column of the generic CSV */
    LK_TR_SHARE,       /* id of the shared / retweeted / reposted / forwarded post */
    LK_TR_QUOTE,       /* id of the quoted post */
    LK_TR_REPLY,       /* id of the post replied to (Reddit: the parent) */
    LK_TR_URL,         /* normalised URL */
    LK_TR_DOMAIN,      /* registrable host of the URL (off by default) */
    LK_TR_HASHTAG,     /* case-folded tag without '#' */
    LK_TR_MENTION,     /* mentioned account id */
    LK_TR_TEXT,        /* hash of the normalised text */
    LK_TR_NEAR_TEXT,   /* near-duplicate text cluster (neartext.c, after reading) */
    LK_TR_N
} lk_trace;

/* "generic", "share", ..., "near-text" (static). */
const char *lk_trace_name(lk_trace t);

/* Trace by name (exact, lower case); -1 when unknown. */
int lk_trace_from_name(const char *s, size_t n);

/* Bit mask of the traces used when --traces is not given: all but domain
 * (generic is always on: it is the generic CSV's only trace). */
#define LK_TRACES_DEFAULT (((1u << LK_TR_N) - 1u) & ~(1u << LK_TR_DOMAIN))

/**
 * Parse a --traces list: comma-separated trace names, or "all" (every trace
 * this build extracts) or "default".  generic is always added.
 * @param errbuf LK_ERRMSG_MAX bytes, set on error.
 * @return LK_OK or LK_EINVAL ("unknown trace 'x' (expected ...)").
 */
LK_RESULT_USED lk_status lk_traces_parse(const char *s, uint32_t *mask, char *errbuf);

/* Input formats.  LK_FMT_AUTO only in options; files get a concrete one. */
typedef enum lk_format {
    LK_FMT_AUTO = 0,
    LK_FMT_GENERIC,     /* object_id,account_id,content_id,timestamp_share[,trace] */
    LK_FMT_QUT,         /* QUT toolkit's 8 positional columns */
    LK_FMT_TWITTER_IO,  /* Twitter information-operations archive tweets CSV */
    LK_FMT_TWARC_CSV,   /* twarc-csv output of Twitter API v2 */
    LK_FMT_IRA_538,     /* FiveThirtyEight / Clemson IRA tweets CSV */
    LK_FMT_CROWDTANGLE, /* CrowdTangle Facebook / Instagram CSV export */
    LK_FMT_MCL,         /* Meta Content Library CSV */
    LK_FMT_TWITTER_V1,  /* Twitter API v1.1 JSON lines */
    LK_FMT_TWITTER_V2,  /* Twitter API v2 JSON: raw pages or flattened lines */
    LK_FMT_PUSHSHIFT,   /* Reddit Pushshift comments / submissions NDJSON */
    LK_FMT_TELEGRAM,    /* Telegram Desktop export result.json (one document) */
    LK_FMT_BLUESKY,     /* Bluesky Jetstream JSON lines */
    LK_FMT_MASTODON,    /* Mastodon Status JSON lines */
    LK_FMT_N
} lk_format;

/* "auto", "generic", "qut", "twitter-io", "twarc-csv", "ira-538", "crowdtangle", "mcl",
 * "twitter-v1", "twitter-v2", "pushshift", "telegram", "bluesky", "mastodon" (static). */
const char *lk_format_name(lk_format f);

/* Format by name; -1 when unknown. */
int lk_format_from_name(const char *s);

/* 1 for the formats read by the CSV scanner. */
static inline int lk_format_is_csv(lk_format f)
{
    return f >= LK_FMT_GENERIC && f <= LK_FMT_MCL;
}

#endif
