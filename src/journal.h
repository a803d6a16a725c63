/*
 * journal.h - what a worker sink records for the main thread (private to
 * sink.c and journal.c; the public handle is lk_journal in sink.h).
 *
 * Parallel reading (reader_par.c) runs the format readers of several chunks
 * at once, each into a worker sink.  A worker sink does everything that
 * depends on the record alone (normalisation, text keys, UTF-8, the checks
 * of lk_sink_end, near-text sketches, strpool hashes) and appends the
 * outcome to its journal; lk_sink_replay() then commits journals in chunk
 * order, which gives exactly the serial result.  Under mpirun the journals
 * go to every rank in the compact form of journal.c.
 */
#ifndef LK_JOURNAL_H
#define LK_JOURNAL_H

#include "sink.h"

typedef struct recobj {
    uint32_t off, len; /* in k->objs: trace byte then the object */
} recobj;

enum jkind {
    J_REC,     /* a record to commit */
    J_SKIP,    /* skipped for `why`, never an error */
    J_BAD,     /* lk_sink_bad / lk_sink_bad_line: skipped, or the run's error */
    J_NOTPOST, /* lk_sink_not_post */
    J_ROW,     /* a record begun and left (counts its row only) */
    J_FMT      /* a format count alone */
};

#define F_ROW  1u /* the entry counts one row read */
#define F_KEY  2u /* J_REC: has a dedup key */
#define F_NT   4u /* J_REC: has a near-text text */
#define NO_SIG UINT32_MAX
#define NO_ID  UINT32_MAX

typedef struct jent {
    uint64_t line; /* chunk-local */
    int64_t t;
    size_t off; /* in bytes: J_REC acc\0 content\0 key\0 objs\0; J_BAD the message */
    uint32_t acc_len, content_len, key_len, objs_len;
    uint32_t ob0, nob; /* in ob / oh */
    uint32_t sig;      /* J_REC with F_NT: index of the sketch in sig (K slots each), or NO_SIG */
    uint32_t acc_h;
    uint32_t acc_id; /* J_REC of a resolved journal: the account's id, or NO_ID */
    uint8_t kind, why, flags;
    int8_t fmt; /* lk_sink_format before the entry, or -1 */
} jent;

struct lk_journal {
    jent *e;
    size_t n, cap;
    lk_buf bytes;
    recobj *ob; /* offsets relative to the record's objs */
    uint32_t *oh;
    size_t nob, obcap, ohcap;
    uint16_t *sig;       /* sketches, K slots each */
    size_t nsig, sigcap; /* in slots (uint16) */
    uint32_t *oid;       /* resolved: per ob, the object's id or NO_ID */
    size_t oidcap;
    int resolved;  /* lk_sink_resolve has filled acc_id and oid */
    int8_t fmt;    /* pending lk_sink_format */
    int open;      /* a record is begun and has no entry yet */
    lk_status err; /* sticky: an entry could not be added */
};

#endif
