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

#include "normalize.h"
#include "strpool.h"
#include "trace.h"

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
    LK_SKIP_MALFORMED_JSON,    /* a line that is not valid JSON (truncated, wrong syntax) */
    LK_SKIP_LINE_TOO_LONG,     /* a line over the 64 MiB limit */
    LK_SKIP_BAD_FIELD,         /* a required field missing or of the wrong type */
    LK_SKIP_NOT_A_POST,        /* control line, user object, service message: no post */
    LK_SKIP_DELETED_ACCOUNT,   /* "[deleted]" author (Reddit) */
    LK_SKIP_BOT_ACCOUNT,       /* a platform's own bot (Reddit's AutoModerator) */
    LK_SKIP_DUPLICATE,         /* the same post seen before in this run */
    LK_SKIP_N
} lk_skip;

const char *lk_skip_name(lk_skip k);

/* Per input file accounting: rows_read == rows_used + sum(skipped). */
typedef struct lk_input_stats {
    const char *path;   /* borrowed from the caller */
    const char *codec;  /* "plain", "gzip", "zstd" (static) */
    const char *format; /* lk_format_name of the file, "mixed" for several (static) */
    uint64_t rows_read, rows_used;
    uint64_t skipped[LK_SKIP_N];
    uint64_t actions[LK_TR_N];      /* actions emitted per trace */
    uint64_t format_rows[LK_FMT_N]; /* rows read per format (mixed JSON lines) */
} lk_input_stats;

typedef struct lk_dataset {
    lk_action *a;
    size_t n, cap;
    lk_strpool *accounts;
    lk_strpool *objects;
    lk_arena content;
    int park_fd1;         /* while anything is parked: the file's descriptor + 1
                             (0, as zeroed: not parked) */
    const char *park_dir; /* its folder (borrowed) */
    uint64_t park_end;    /* bytes written to that file */
    uint64_t a_off;       /* while the action table is parked: where it is in the file */
    int a_parked;         /* the action table is parked (a is NULL; n, cap stay) */
    /* Spilled (lk_dataset_spill, native detect under --max-mem): the actions
     * go to a temporary file as they come, and a[0 .. n - spill_n) holds the
     * ones not written yet (cap of them); each action's content is the
     * content id's hash (lk_ds_content_hash), and its content ref waits in a
     * second file, 8 bytes an action at a[].row (which is the action's place
     * in the table). */
    int spill_fd1;         /* the actions' file + 1 (0: not spilled) */
    int refs_fd1;          /* the content refs' file + 1 */
    const char *spill_dir; /* their folder (borrowed) */
    size_t spill_n;        /* actions in the file */
    uint64_t *trefs;       /* the content refs of a[0 .. n - spill_n) */
    /* while the sink reads (sink.c): the two files' writes go through it,
     * behind the commit (wbehind.h); NULL: written at once */
    struct lk_wbehind *wb;
} lk_dataset;

/* Actions held in memory at most while a spilled table grows (2 MB). */
#define LK_DS_BLOCK ((size_t)1 << 16)

/*
 * Object keys in ds->objects are the trace as one byte (lk_trace + 'A', so
 * keys stay printable) followed by the object string: the same id under two
 * traces is two objects, and the sweep never mixes traces.
 */
#define LK_TRACE_BYTE(tr) ((char)('A' + (int)(tr)))

/** Object string (without its trace byte) and length; *tr (if non-NULL) its
 *  trace.  A `text` object's string is its key's LK_TEXT_KEY_RAW bytes
 *  (lk_text_key), which may hold any byte: lk_ds_object_shown() gives what
 *  the outputs show. */
static inline const char *lk_ds_object(const lk_dataset *ds, uint32_t id, size_t *len, lk_trace *tr)
{
    size_t n;
    const char *s = lk_strpool_get(ds->objects, id, &n);
    if (tr)
        *tr = (lk_trace)(s[0] - 'A');
    if (len)
        *len = n - 1;
    return s + 1;
}

/* Room lk_ds_object_shown() may write a text key's digits into. */
#define LK_DS_SHOWN 33

/** The object as the outputs show it: lk_ds_object()'s string, but a `text`
 *  object's key as its 32 hex digits (lk_norm_text_key()'s), written into
 *  buf; NUL-terminated either way. */
static inline const char *lk_ds_object_shown(const lk_dataset *ds, uint32_t id,
                                             char buf[LK_DS_SHOWN], size_t *len, lk_trace *tr)
{
    size_t n;
    lk_trace t;
    const char *s = lk_ds_object(ds, id, &n, &t);

    if (tr)
        *tr = t;
    if (t == LK_TR_TEXT && n == LK_TEXT_KEY_RAW) {
        lk_text_key_hex(s, buf);
        buf[2 * LK_TEXT_KEY_RAW] = '\0';
        s = buf;
        n = 2 * LK_TEXT_KEY_RAW;
    }
    if (len)
        *len = n;
    return s;
}

/** The 64-bit hash of a content id (lk_arena ref): what tells posts apart in
 *  the pair stage and the null copies, and what park_strings (detect.c)
 *  keeps while the strings are parked, so it is computed here alone. */
static inline uint64_t lk_ds_content_hash(const lk_dataset *ds, uint64_t ref)
{
    const char *c = lk_arena_get(&ds->content, ref);
    return lk_hash64(c, strlen(c));
}

LK_RESULT_USED lk_status lk_dataset_init(lk_dataset *ds);
void lk_dataset_release(lk_dataset *ds);

/**
 * Park the string tables (account and object ids, content ids) in a
 * temporary file in dir (tmpfile.h) and free their memory, until
 * lk_dataset_unpark(): under --max-mem, the pair stage and the calibration
 * need none of them.  Ids and content refs stay valid; no string may be
 * read in between.  With with_tables the ids' hash tables are parked too
 * (lk_strpool_park), for an unpark that looks ids up.  Errors are one line
 * naming dir.
 * @return LK_OK, LK_ENOMEM, LK_EIO.
 */
LK_RESULT_USED lk_status lk_dataset_park(lk_dataset *ds, const char *dir, int with_tables,
                                         char *errbuf);

/**
 * lk_dataset_park without the hash tables, the account and object tables
 * parked to grow (lk_strpool_park_grow) by up to room[0] and room[1]
 * strings, written at the park file's end: the strings they did not take
 * in while reading (xintern.h) join them there, never all in memory, until
 * lk_dataset_grow_end().  Errors name dir (errbuf, borrowed until then).
 * @return LK_OK, LK_ENOMEM, LK_EIO, LK_EINVAL (parked already).
 */
LK_RESULT_USED lk_status lk_dataset_park_grow(lk_dataset *ds, const char *dir, const size_t room[2],
                                              char *errbuf);

/** The end of lk_dataset_park_grow: the tables parked as lk_dataset_park
 *  leaves them.  @return LK_OK, LK_EIO. */
LK_RESULT_USED lk_status lk_dataset_grow_end(lk_dataset *ds);

/**
 * Park the action table too (into the same file, opened here when the
 * strings are not parked), and free it: under --max-mem the near-text
 * clustering at the end of reading needs nothing of the dataset (sink.c).
 * ds->n and ds->cap stay; no action may be read or added in between.
 * @return LK_OK, LK_EIO.
 */
LK_RESULT_USED lk_status lk_dataset_park_actions(lk_dataset *ds, const char *dir, char *errbuf);

/**
 * While the string tables are parked: keep of the content ids only those
 * behind refs[0..n) (read from the file, for the few actions the tables
 * show), rewriting refs[] to the new ones; lk_dataset_unpark() then leaves
 * the content ids alone.  A no-op when they are not parked.
 * @return LK_OK, LK_ENOMEM, LK_EIO.
 */
LK_RESULT_USED lk_status lk_dataset_pick_content(lk_dataset *ds, uint64_t *refs, size_t n,
                                                 char *errbuf);

/** Read back whatever is parked (strings, action table) on up to `threads`
 *  threads and close the file; a no-op when nothing is parked.  lookup 0:
 *  the pools without their hash tables, for reading strings by id
 *  (lk_strpool_unpark).  @return LK_OK, LK_ENOMEM, LK_EIO. */
LK_RESULT_USED lk_status lk_dataset_unpark(lk_dataset *ds, int lookup, unsigned threads,
                                           char *errbuf);

/** lk_dataset_unpark, but of the account and of the object ids only those
 *  in ids[0][0..nids[0]) and ids[1][0..nids[1]) (each increasing) come back
 *  (lk_strpool_unpark_ids): for the outputs, which show a few of them.
 *  @return LK_OK, LK_ENOMEM, LK_EIO, LK_EINVAL. */
LK_RESULT_USED lk_status lk_dataset_unpark_ids(lk_dataset *ds, const uint32_t *const ids[2],
                                               const size_t nids[2], unsigned threads,
                                               char *errbuf);

/**
 * From now on the actions go to temporary files in dir as they are added
 * (see lk_dataset; ds must hold none yet).  For native detect under
 * --max-mem: the action table never stays in memory beside the string
 * tables.  Errors name dir.  @return LK_OK, LK_EIO.
 */
LK_RESULT_USED lk_status lk_dataset_spill(lk_dataset *ds, const char *dir, char *errbuf);

/** Write the actions held in memory of a spilled table to its files; with
 *  `drop`, free that memory too (it comes back when an action is added).
 *  A no-op when not spilled.  @return LK_OK, LK_EIO. */
LK_RESULT_USED lk_status lk_dataset_spill_flush(lk_dataset *ds, int drop, char *errbuf);

/** Room for m more actions in a spilled table's memory (written out first
 *  when full; m <= LK_DS_BLOCK).  @return LK_OK, LK_ENOMEM, LK_EIO. */
LK_RESULT_USED lk_status lk_dataset_spill_room(lk_dataset *ds, size_t m, char *errbuf);

/** The actions of a spilled and flushed table, in order, a piece of up to
 *  LK_DS_BLOCK at a time: fn(ctx, piece, m) for each (a buffer of its own).
 *  @return LK_OK, LK_ENOMEM, LK_EIO. */
LK_RESULT_USED lk_status lk_dataset_spilled_each(const lk_dataset *ds,
                                                 void (*fn)(void *ctx, const lk_action *a,
                                                            size_t m),
                                                 void *ctx, char *errbuf);

/** The actions of a spilled table from `from` on, in order, changed in
 *  place: written out first if held in memory, then read, passed to
 *  fn(ctx, piece, m, errbuf) and written back a piece of up to LK_DS_BLOCK
 *  at a time (the string tables' provisional ids replaced, xintern.h).
 *  fn's failure stops it and is returned.  @return LK_OK, LK_ENOMEM,
 *  LK_EIO, LK_EINVAL (not spilled), or fn's. */
LK_RESULT_USED lk_status lk_dataset_rewrite(lk_dataset *ds, size_t from,
                                            lk_status (*fn)(void *ctx, lk_action *a, size_t m,
                                                            char *errbuf),
                                            void *ctx, char *errbuf);

/** lk_dataset_spilled_each on `parts` threads: the actions are read a
 *  round of parts x LK_DS_BLOCK at a time (a slice a thread), then each part
 *  p sees all of the round, fn(ctxs + p * ctx_size, round, m), so that each
 *  can take its own share of the actions, in order.  The first failing
 *  read's message goes to errbuf.  @return LK_OK, LK_ENOMEM, LK_EIO. */
LK_RESULT_USED lk_status lk_dataset_spilled_par(const lk_dataset *ds, unsigned parts,
                                                void (*fn)(void *ctx, const lk_action *a, size_t m),
                                                void *ctxs, size_t ctx_size, char *errbuf);

/** 1 when (s, n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int lk_utf8_valid(const char *s, size_t n);

#endif
