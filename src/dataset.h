/*
 * dataset.h - the in-memory action table every analysis reads.
 *
 * An action is one account acting on one object at one time.  Account and
 * object strings are interned once (dense uint32 ids in order of first
 * appearance); content ids (the post that carried the action) are kept
 * verbatim in an arena for evidence and compatibility output.
 */
#ifndef LK_DATASET_H
#define LK_DATASET_H

#include "strpool.h"

typedef struct lk_action {
    int64_t t;        /* epoch milliseconds */
    uint64_t content; /* lk_arena ref of the content id */
    uint32_t account; /* accounts pool id */
    uint32_t object;  /* objects pool id */
    uint32_t row;     /* rank among the used rows in input order (0-based, over all files) */
    uint32_t file;    /* input file index */
} lk_action;

/* Why an input row was not used.  Names (lk_skip_name) appear in summary.json. */
typedef enum lk_skip {
    LK_SKIP_MALFORMED_CSV = 0, /* unterminated quote, junk after a quote, over-long record */
    LK_SKIP_FIELD_COUNT,       /* a different number of fields than the header */
    LK_SKIP_BAD_TIMESTAMP,     /* not a timestamp, or out of range */
    LK_SKIP_INVALID_UTF8,      /* an id that is not valid UTF-8 */
    LK_SKIP_EMPTY_ACCOUNT,     /* no account id */
    LK_SKIP_EMPTY_OBJECT,      /* no object: empty objects never co-act */
    LK_SKIP_N
} lk_skip;

const char *lk_skip_name(lk_skip k);

/* Per input file accounting: rows_read == rows_used + sum(skipped). */
typedef struct lk_input_stats {
    const char *path;   /* borrowed from the caller */
    const char *codec;  /* "plain", "gzip", "zstd" (static) */
    const char *format; /* "generic", "qut" (static) */
    uint64_t rows_read, rows_used;
    uint64_t skipped[LK_SKIP_N];
} lk_input_stats;

typedef struct lk_dataset {
    lk_action *a;
    size_t n, cap;
    lk_strpool *accounts;
    lk_strpool *objects;
    lk_arena content;
} lk_dataset;

LK_RESULT_USED lk_status lk_dataset_init(lk_dataset *ds);
void lk_dataset_release(lk_dataset *ds);

/* Options of the readers. */
typedef struct lk_read_opts {
    const char *format; /* "auto", "generic", "qut" */
    const char *col_object, *col_account, *col_content, *col_time;
    int keep_empty_objects; /* CooRTweet compat: "" is an object like any other */
    int skip_bad_rows;      /* --on-error skip */
} lk_read_opts;

/**
 * Read one input file (any codec) and append its actions to ds.
 * @param file_index stored in every action.
 * @param errbuf LK_ERRMSG_MAX bytes: "PATH:LINE: what was wrong".
 * @return LK_OK; LK_EIO, LK_EPARSE, LK_ELIMIT, LK_ENOMEM.  On error the
 *         stats still count the rows read so far.
 */
LK_RESULT_USED lk_status lk_read_file(const char *path, uint32_t file_index, const lk_read_opts *ro,
                                      lk_dataset *ds, lk_input_stats *st, char *errbuf);

/** 1 when (s, n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int lk_utf8_valid(const char *s, size_t n);

#endif
