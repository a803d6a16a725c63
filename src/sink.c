/*
 * sink.c - records from the format readers to actions: normalisation per
 * trace, UTF-8 checks, duplicate posts, row accounting, and the two
 * backends (callback for convert and tests; dataset for detect).
 *
 * Under --max-mem the posts' key set and the string tables share three
 * quarters of the cap while reading.  Past it the tables freeze (the ids
 * they lack are resolved after reading, xintern.h), and the key set
 * freezes at its next growth: from then on every record waits on disk
 * (spool.h) with its key matched there, and lk_sink_finish uses them in
 * order once the duplicates among those keys are known.
 *
 * The dataset backend is the reader's hot path: each lookup in a pool of
 * millions of ids is a cache miss or two.  Actions are therefore queued in
 * batches: ids are copied aside and hashed, all table slots are prefetched,
 * then all strings, and only then interned, in input order, so the misses
 * of a batch overlap instead of following one another.
 */
#include <stdarg.h>
#include <unistd.h>

#include "journal.h"
#include "keyset.h"
#include "neartext.h"
#include "normalize.h"
#include "parse_time.h"
#include "sink.h"
#include "spool.h"
#include "tmpfile.h"
#include "wbehind.h"
#include "xintern.h"

#define LK_SINK_BATCH 256

/* Records between two ticks of the progress meter (a mask): a few hundred
 * clock reads a second at the fastest reading speeds. */
#define LK_SINK_TICK 0x1fffu

/* A string of the previous action and its id (intern_id; and in
 * lk_sink_resolve the previous record's account, in its journal). */
typedef struct lastrow {
    int have;        /* str is the table's copy (none for a provisional id) */
    const char *str; /* ... of the string, len bytes */
    size_t len;
    uint32_t id;
} lastrow;

/* Whether (s, n) is l's string. */
static int lastrow_is(const lastrow *l, const char *s, size_t n)
{
    return l->have && n == l->len && memcmp(s, l->str, n) == 0;
}

/* A record that passed the per-record checks, ready to be committed (the
 * steps that depend on earlier records: duplicate keys, interning in input
 * order, accounting).  Its strings come from the sink's own buffers when
 * reading serially, from a journal when replaying a worker's chunk. */
typedef struct rec {
    const char *acc, *content, *key; /* NUL-terminated */
    size_t acc_len, content_len, key_len;
    int have_key;
    char *objs; /* per ob: trace byte then the object; NUL after the last */
    const recobj *ob;
    const uint32_t *obj_h; /* strpool hashes per ob, or NULL (computed here) */
    size_t nob;
    uint32_t acc_h; /* when obj_h is not NULL */
    /* ids found before the replay (lk_sink_resolve), or NULL; when not
     * NULL, acc_id too; NO_ID for a string the tables did not hold then */
    const uint32_t *obj_id;
    uint32_t acc_id;
    int64_t t;
    uint64_t line;
    int nt;              /* has a text for near-text */
    const char *nt_text; /* serial: the normalised text */
    size_t nt_len;       /* (nt_text == NULL: the sketch below) */
    const uint16_t *sig; /* replay: its sketch, NULL for a text too short */
} rec;

typedef struct ntpost {
    int64_t t;
    uint64_t cref, acc, line; /* content ref, account string ref (ntacc); spilled: the
                                 account's length, its bytes follow the ntpost */
    uint64_t chash;           /* a spilled dataset's: the content id's hash */
    uint32_t file;
    int only; /* near-text was the record's only possible object */
} ntpost;

/* Spilled posts are written in blocks of about this many bytes (a post and
 * its account never straddle two blocks). */
#define NT_BLOCK ((size_t)1 << 20)

typedef struct pending {
    int64_t t;
    uint64_t line;
    uint64_t cref;           /* content, already in the arena */
    uint64_t chash;          /* a spilled dataset's: the content id's hash */
    size_t acc_off, obj_off; /* in the batch's byte buffer */
    uint32_t acc_len, obj_len;
    uint32_t acc_h, obj_h;
    uint32_t acc_id, obj_id; /* found before the replay, or NO_ID */
} pending;

struct lk_sink {
    lk_sink_opts o;
    lk_sink_emit_fn emit;
    void *ctx;
    lk_dataset *ds;
    int text_keys;   /* texts become hash keys (the dataset backend's) */
    lk_journal *jr;  /* a worker sink: records go here (lk_sink_new_worker) */
    int nt_borrowed; /* a worker sink: nt is the parent's, used to sketch only */
    uint64_t *words; /* worker: lk_neartext_sketch scratch */
    size_t words_cap;

    /* the file */
    const char *name;
    uint32_t file;
    lk_input_stats *st;
    char *errbuf;

    /* the record in progress */
    uint64_t line;
    int64_t t;
    int have_t, have_key;
    const char *bad_utf8; /* what was not valid UTF-8, or NULL */
    lk_buf acc, content, key, objs, scratch, scratch2;
    recobj *ob;
    size_t nob, obcap;

    lk_keyset *keys; /* posts seen (lk_sink_key) */

    /* near-text (dataset backend): texts are clustered after the last file,
     * then each clustered post gets an action on its cluster */
    lk_neartext *nt;
    int nt_pending; /* the record in progress has a text for near-text */
    lk_buf nt_text; /* its normalised text */
    ntpost *ntp;    /* per text added: who, when, which post */
    size_t nntp, ntcap;
    lk_arena ntacc;         /* account strings of ntp */
    lk_input_stats **files; /* by file index, for the near-text counts */
    size_t nfiles, files_cap;
    lk_neartext_stats ntst;
    /* near-text under o.max_mem: signatures (nt) and posts go to o.tmp_dir
     * while reading, the posts with their account strings in blocks */
    int spill;
    const char *tmp_dir; /* under a cap: the folder (lk_tmpfile_dir), else NULL */
    lk_buf ntblk;        /* the block of posts being filled */
    int ntfd1;           /* descriptor + 1 of the posts' file (0: none yet) */
    uint64_t ntoff;      /* its size */
    uint64_t *blk;       /* the sizes of its blocks */
    size_t nblk, blk_cap;
    /* under a cap on more than one thread: the spills' writes while reading
     * (the actions and their content refs and ids, the near-text signatures
     * and posts, and past the freezes the strings the tables leave out and
     * the records that wait) copied and written by a thread of their own,
     * off the commit (wbehind.h); until lk_sink_finish, which syncs it first */
    lk_wbehind *wb;

    /* dataset backend: the batch */
    pending p[LK_SINK_BATCH];
    size_t np;
    uint64_t first_line;
    lk_buf bytes;
    /* the previous action's account (last[0]: a record's actions all have
     * its account) and object (last[1]: exports are often grouped by
     * object): a row that repeats one takes its id without a lookup */
    lastrow last[2];
    /* the string tables past their share of the cap (tab_share, a spilled
     * dataset's): from the action frozen_at on, a string they do not hold
     * gets a provisional id from xi (accounts, objects) until
     * lk_sink_finish resolves them (xintern.h) */
    size_t tab_share;
    size_t frozen_at;
    lk_xintern *xi[2];
    uint64_t nprov;      /* provisional ids replaced (resolve_frozen) */
    uint64_t last_cref;  /* content ref of the last record queued */
    size_t last_clen;    /* its length */
    uint64_t last_chash; /* a spilled dataset's: its hash (lk_ds_content_hash) */
    int have_cref;       /* last_cref is set */
    int frozen;          /* the string tables are (see tab_share) */
    /* the posts' keys past the same share (with the string tables): from
     * then on the key set is only looked up, a key it lacks goes to kx,
     * and every record, keyed or not, waits in dfr until lk_sink_finish
     * finds which of kx's keys repeat and replays the records in order
     * (replay_deferred): the same records used, in the same order */
    int kfrozen;
    lk_xintern *kx;
    lk_spool *dfr;
    uint64_t kx_dups; /* duplicates among kx's keys (replay_deferred) */
    uint64_t waited;  /* records that waited in dfr (replay_deferred) */
    recobj *dob;      /* replay_deferred: a record's objects, aligned */
    size_t dob_cap;
    uint32_t *doh; /* and their hashes */
    size_t doh_cap;
    uint16_t dsig[LK_NEARTEXT_K]; /* and its sketch */

    lk_progress *prog; /* ticked every LK_SINK_TICK records (borrowed) */
};

/* Each of the write-behind's two buffers (wbehind.h): a 64th of the cap,
 * between these. */
#define WB_MIN ((size_t)256 << 10)
#define WB_MAX ((size_t)8 << 20)

/* The spills' writes behind the commit end: everything handed over is in
 * its files, and what is written from here on is written at once (the
 * files are read back after reading).  The writer's error, if any. */
static lk_status end_write_behind(lk_sink *k)
{
    lk_wbehind *wb = k->wb;
    uint64_t bytes;
    double secs;
    lk_status st;

    if (!wb)
        return LK_OK;
    st = lk_wbehind_sync(wb, k->errbuf);
    lk_wbehind_stats(wb, &bytes, &secs);
    /* no user keeps it: each drains its writer before closing its file */
    k->wb = NULL;
    k->ds->wb = NULL;
    k->ds->content.wb = NULL;
    for (int i = 0; i < 2; i++)
        if (k->xi[i])
            lk_xintern_write_behind(k->xi[i], NULL);
    if (k->kx)
        lk_xintern_write_behind(k->kx, NULL);
    if (k->dfr)
        lk_spool_write_behind(k->dfr, NULL);
    if (k->nt)
        lk_neartext_write_behind(k->nt, NULL);
    lk_wbehind_free(wb);
    if (st == LK_OK)
        lk_log(LK_LOG_DEBUG,
               "reading: %llu bytes of spills written behind the commit, in %.3f s on a thread "
               "of their own",
               (unsigned long long)bytes, secs);
    return st;
}

lk_status lk_sink_new(const lk_sink_opts *o, lk_sink_emit_fn emit, void *ctx, lk_dataset *ds,
                      lk_sink **out)
{
    lk_sink *k;

    if ((emit == NULL) == (ds == NULL))
        return LK_EINVAL;
    k = calloc(1, sizeof *k);
    if (!k)
        return LK_ENOMEM;
    k->o = *o;
    k->emit = emit;
    k->ctx = ctx;
    k->ds = ds;
    k->text_keys = ds != NULL;
    lk_buf_init(&k->acc);
    lk_buf_init(&k->content);
    lk_buf_init(&k->key);
    lk_buf_init(&k->objs);
    lk_buf_init(&k->scratch);
    lk_buf_init(&k->scratch2);
    lk_buf_init(&k->bytes);
    lk_buf_init(&k->nt_text);
    lk_buf_init(&k->ntblk);
    lk_arena_init(&k->ntacc);
    if (lk_keyset_new(&k->keys) != LK_OK) {
        lk_sink_free(k);
        return LK_ENOMEM;
    }
    /* under a cap the keys go to a temporary file as they come, a
     * megabyte at a time (8 bytes a key of table stay) */
    if (ds && o->max_mem) {
        k->tmp_dir = lk_tmpfile_dir(o->tmp_dir);
        lk_keyset_spill(k->keys, k->tmp_dir);
        /* the account and object tables' share while reading (a spilled
         * dataset's: native detect), with the posts' keys beside them,
         * before they are frozen (lk_sink_flush): the rest is for the
         * reader's buffers (24 MB a thread).  Half the cap had frozen them
         * at 2.5 x 10^8 simulated actions under 4G with 1.5 x 10^8 ids
         * left out, whose 12 GB of extra writes slowed the later stages
         * by 6-11% (bench/RESULTS.md), for a peak the pair stage's filling
         * exceeds anyway */
        k->tab_share = o->max_mem / 4 * 3;
    }
    if (ds && (o->traces >> LK_TR_NEAR_TEXT) & 1u) {
        lk_neartext_opts no;
        lk_neartext_opts_init(&no);
        if (o->near_text_threshold > 0)
            no.threshold = o->near_text_threshold;
        no.threads = o->threads;
        no.distributed = o->distributed;
        lk_status st = lk_neartext_new(&no, &k->nt);
        if (st != LK_OK) { /* LK_EINVAL: the threshold; LK_ENOMEM */
            lk_sink_free(k);
            return st;
        }
        if (o->max_mem) {
            k->spill = 1;
            lk_neartext_spill(k->nt, k->tmp_dir);
        }
    }
    if (ds && o->max_mem && o->threads > 1 && (ds->spill_fd1 || k->spill) &&
        (k->wb = lk_wbehind_new((size_t)LK_MIN(LK_MAX(o->max_mem / 64, WB_MIN), WB_MAX)))) {
        ds->wb = k->wb;
        if (ds->content.spill_fd1) /* read back only after reading */
            ds->content.wb = k->wb;
        if (k->spill)
            lk_neartext_write_behind(k->nt, k->wb);
    }
    *out = k;
    return LK_OK;
}

void lk_sink_free(lk_sink *k)
{
    if (!k)
        return;
    (void)end_write_behind(k); /* before any file it writes closes */
    lk_buf_release(&k->acc);
    lk_buf_release(&k->content);
    lk_buf_release(&k->key);
    lk_buf_release(&k->objs);
    lk_buf_release(&k->scratch);
    lk_buf_release(&k->scratch2);
    lk_buf_release(&k->bytes);
    lk_buf_release(&k->nt_text);
    lk_buf_release(&k->ntblk);
    if (k->ntfd1)
        lk_tmpfile_close(k->ntfd1 - 1);
    free(k->blk);
    lk_arena_release(&k->ntacc);
    free(k->ntp);
    free(k->files);
    free(k->words);
    if (!k->nt_borrowed)
        lk_neartext_free(k->nt);
    free(k->ob);
    lk_keyset_free(k->keys);
    lk_xintern_free(k->xi[0]);
    lk_xintern_free(k->xi[1]);
    lk_xintern_free(k->kx);
    lk_spool_free(k->dfr);
    free(k->dob);
    free(k->doh);
    free(k);
}

lk_status lk_sink_file(lk_sink *k, const char *name, uint32_t file_index, lk_input_stats *stats,
                       char *errbuf)
{
    k->name = name;
    k->file = file_index;
    k->st = stats;
    k->errbuf = errbuf;
    /* the files' stats by index: for the near-text counts, and for the
     * records that wait while the posts' keys are frozen */
    if (!k->nt && !k->ds)
        return LK_OK;
    if (file_index >= k->nfiles) {
        // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers
        if (LK_GROW(k->files, (size_t)file_index + 1, k->files_cap) != LK_OK) {
            /* its near-text actions and waiting records would go uncounted */
            lk_errf(errbuf, "%s: out of memory", name);
            return LK_ENOMEM;
        }
        for (size_t i = k->nfiles; i <= file_index; i++)
            k->files[i] = stats;
        k->nfiles = (size_t)file_index + 1;
    }
    k->files[file_index] = stats;
    return LK_OK;
}

const char *lk_sink_name(const lk_sink *k)
{
    return k->name;
}

char *lk_sink_errbuf(lk_sink *k)
{
    return k->errbuf;
}

int lk_sink_wants(const lk_sink *k, lk_trace tr)
{
    if (tr == LK_TR_URL) /* URLs also give the domain trace */
        return (k->o.traces & ((1u << LK_TR_URL) | (1u << LK_TR_DOMAIN))) != 0;
    if (tr == LK_TR_TEXT && k->nt) /* texts also feed near-text */
        return 1;
    return (int)((k->o.traces >> (unsigned)tr) & 1u);
}

/* ---- journal entries (worker sinks) ------------------------------------------ */

/* A new entry of `kind` at `line`; counts a row when `row`.  NULL when it
 * could not be added (the journal's error is then set). */
static jent *jpush(lk_journal *j, int kind, uint64_t line, int row)
{
    jent *e;

    if (j->err != LK_OK)
        return NULL;
    if ((j->err = LK_GROW(j->e, j->n + 1, j->cap)) != LK_OK)
        return NULL;
    e = &j->e[j->n++];
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)kind;
    e->line = line;
    e->flags = row ? F_ROW : 0;
    e->fmt = j->fmt;
    e->sig = NO_SIG;
    j->fmt = -1;
    return e;
}

/* The record begun gets no entry of its own: count its row. */
static void jclose(lk_sink *k)
{
    if (k->jr->open) {
        k->jr->open = 0;
        (void)jpush(k->jr, J_ROW, k->line, 1);
    }
}

/* The entry that ends the record begun (and counts its row). */
static jent *jpush_rec(lk_sink *k, int kind)
{
    const int row = k->jr->open;

    k->jr->open = 0;
    return jpush(k->jr, kind, k->line, row);
}

lk_status lk_sink_new_worker(const lk_sink *parent, lk_sink **out)
{
    lk_sink *k = calloc(1, sizeof *k);

    if (!k)
        return LK_ENOMEM;
    k->o = parent->o;
    k->text_keys = parent->text_keys;
    k->nt = parent->nt;
    k->nt_borrowed = 1;
    lk_buf_init(&k->acc);
    lk_buf_init(&k->content);
    lk_buf_init(&k->key);
    lk_buf_init(&k->objs);
    lk_buf_init(&k->scratch);
    lk_buf_init(&k->scratch2);
    lk_buf_init(&k->bytes);
    lk_buf_init(&k->nt_text);
    lk_buf_init(&k->ntblk);
    lk_arena_init(&k->ntacc);
    *out = k;
    return LK_OK;
}

void lk_sink_journal_begin(lk_sink *k, lk_journal *j)
{
    j->n = 0;
    j->nob = 0;
    j->nsig = 0;
    j->resolved = 0;
    j->fmt = -1;
    j->open = 0;
    j->err = LK_OK;
    lk_buf_reset(&j->bytes);
    k->jr = j;
}

lk_status lk_sink_journal_end(lk_sink *k)
{
    lk_journal *j = k->jr;

    jclose(k);
    if (j->fmt >= 0)
        (void)jpush(j, J_FMT, k->line, 0);
    k->jr = NULL;
    return j->err;
}

/* ---- the record in progress ------------------------------------------------------ */

void lk_sink_format(lk_sink *k, lk_format f)
{
    if ((unsigned)f >= LK_FMT_N)
        return;
    if (k->jr) {
        if (k->jr->fmt >= 0)
            (void)jpush(k->jr, J_FMT, k->line, 0);
        k->jr->fmt = (int8_t)f;
        return;
    }
    k->st->format_rows[f]++;
}

void lk_sink_begin(lk_sink *k, uint64_t line)
{
    if (k->jr) {
        jclose(k);
        k->jr->open = 1;
    }
    k->line = line;
    k->have_t = 0;
    k->have_key = 0;
    k->bad_utf8 = NULL;
    k->nt_pending = 0;
    lk_buf_reset(&k->acc);
    lk_buf_reset(&k->content);
    lk_buf_reset(&k->key);
    lk_buf_reset(&k->objs);
    k->nob = 0;
    if (!k->jr && (++k->st->rows_read & LK_SINK_TICK) == 0)
        lk_progress_poll(k->prog);
}

static lk_status copy_checked(lk_sink *k, lk_buf *b, const char *s, size_t n, const char *what)
{
    lk_buf_reset(b);
    if (!lk_utf8_valid(s, n) && !k->bad_utf8)
        k->bad_utf8 = what;
    return lk_buf_append(b, s, n);
}

lk_status lk_sink_account(lk_sink *k, const char *s, size_t n)
{
    return copy_checked(k, &k->acc, s, n, "the account id");
}

lk_status lk_sink_content(lk_sink *k, const char *s, size_t n)
{
    return copy_checked(k, &k->content, s, n, "the content id");
}

void lk_sink_time(lk_sink *k, int64_t ms)
{
    k->t = ms;
    k->have_t = 1;
}

lk_status lk_sink_key(lk_sink *k, const char *s, size_t n)
{
    if (n == 0)
        return LK_OK;
    k->have_key = 1;
    return copy_checked(k, &k->key, s, n, "the post id");
}

/* Add the object in k->objs from `start` (trace byte included) unless the
 * record already has it; an empty object is dropped unless keep_empty. */
static lk_status add_obj(lk_sink *k, size_t start)
{
    const uint32_t len = (uint32_t)(k->objs.len - start);
    lk_status st;

    if (len == 1 && !k->o.keep_empty) {
        k->objs.len = start;
        return LK_OK;
    }
    for (size_t i = 0; i < k->nob; i++)
        if (k->ob[i].len == len && memcmp(k->objs.p + k->ob[i].off, k->objs.p + start, len) == 0) {
            k->objs.len = start;
            return LK_OK;
        }
    if ((st = LK_GROW(k->ob, k->nob + 1, k->obcap)) != LK_OK)
        return st;
    k->ob[k->nob].off = (uint32_t)start;
    k->ob[k->nob].len = len;
    k->nob++;
    return LK_OK;
}

static lk_status begin_obj(lk_sink *k, lk_trace tr, size_t *start)
{
    *start = k->objs.len;
    if (k->objs.len > UINT32_MAX / 2)
        return LK_ELIMIT;
    return lk_buf_putc(&k->objs, LK_TRACE_BYTE(tr));
}

lk_status lk_sink_obj_verbatim(lk_sink *k, lk_trace tr, const char *s, size_t n)
{
    size_t start;
    lk_status st;

    if ((unsigned)tr >= LK_TR_N || !((k->o.traces >> (unsigned)tr) & 1u))
        return LK_OK;
    if (!lk_utf8_valid(s, n) && !k->bad_utf8)
        k->bad_utf8 = "the object";
    if ((st = begin_obj(k, tr, &start)) != LK_OK || (st = lk_buf_append(&k->objs, s, n)) != LK_OK)
        return st;
    return add_obj(k, start);
}

static lk_status obj(lk_sink *k, lk_trace tr, const char *s, size_t n, int derive);

lk_status lk_sink_obj(lk_sink *k, lk_trace tr, const char *s, size_t n)
{
    return obj(k, tr, s, n, 1);
}

lk_status lk_sink_obj_key(lk_sink *k, lk_trace tr, const char *s, size_t n)
{
    return obj(k, tr, s, n, 0);
}

static lk_status obj(lk_sink *k, lk_trace tr, const char *s, size_t n, int derive)
{
    size_t start;
    lk_status st;

    if ((unsigned)tr >= LK_TR_N || !lk_sink_wants(k, tr))
        return LK_OK;
    if (!lk_utf8_valid(s, n)) {
        if (!k->bad_utf8)
            k->bad_utf8 = "an object";
        return LK_OK;
    }
    switch (tr) {
    case LK_TR_URL: {
        const int want_url = (int)((k->o.traces >> LK_TR_URL) & 1u);
        const int want_dom = derive && ((k->o.traces >> LK_TR_DOMAIN) & 1u);
        size_t ustart, klen;
        if ((st = begin_obj(k, LK_TR_URL, &ustart)) != LK_OK ||
            (st = lk_norm_url(s, n, &k->objs)) != LK_OK)
            return st;
        klen = k->objs.len - ustart - 1;
        if (want_dom && klen) {
            /* the domain from the key, via scratch: k->objs may move */
            lk_buf_reset(&k->scratch);
            if ((st = lk_buf_append(&k->scratch, k->objs.p + ustart + 1, klen)) != LK_OK)
                return st;
        }
        if (want_url) {
            if ((st = add_obj(k, ustart)) != LK_OK)
                return st;
        } else {
            k->objs.len = ustart;
        }
        if (want_dom && klen) {
            if ((st = begin_obj(k, LK_TR_DOMAIN, &start)) != LK_OK ||
                (st = lk_norm_domain(k->scratch.p, klen, &k->objs)) != LK_OK)
                return st;
            return add_obj(k, start);
        }
        return LK_OK;
    }
    case LK_TR_HASHTAG:
        if ((st = begin_obj(k, tr, &start)) != LK_OK ||
            (st = lk_norm_hashtag(s, n, &k->objs)) != LK_OK)
            return st;
        return add_obj(k, start);
    case LK_TR_MENTION:
        if ((st = begin_obj(k, tr, &start)) != LK_OK ||
            (st = lk_norm_mention(s, n, &k->objs)) != LK_OK)
            return st;
        return add_obj(k, start);
    case LK_TR_TEXT:
        /* detect keys texts by a hash of the normalised text; convert writes
         * the normalised text itself (readable, and reading it back
         * normalises to the same text, hence the same key) */
        {
            /* the text normalised once, for near-text and the text object */
            const lk_buf *norm = NULL;

            if (k->nt && !k->nt_pending) {
                /* near-text works on the same normalised text, one per post */
                lk_buf_reset(&k->nt_text);
                if ((st = lk_norm_text(s, n, &k->nt_text)) != LK_OK)
                    return st;
                k->nt_pending = k->nt_text.len > 0;
                norm = &k->nt_text;
            }
            if (!((k->o.traces >> LK_TR_TEXT) & 1u))
                return LK_OK;
            if (!norm) {
                lk_buf_reset(&k->scratch2);
                if ((st = lk_norm_text(s, n, &k->scratch2)) != LK_OK)
                    return st;
                norm = &k->scratch2;
            }
            if ((st = begin_obj(k, tr, &start)) != LK_OK ||
                (st = k->text_keys ? lk_text_key(norm->p, norm->len, &k->objs)
                                   : lk_buf_append(&k->objs, norm->p, norm->len)) != LK_OK)
                return st;
            return add_obj(k, start);
        }
    default: /* ids: verbatim */
        if ((st = begin_obj(k, tr, &start)) != LK_OK ||
            (st = lk_buf_append(&k->objs, s, n)) != LK_OK)
            return st;
        return add_obj(k, start);
    }
}

/* A bad record at `line`; `row`: a row no record was begun for. */
/* (the attribute tells clang that fmt is the callers' printf format) */
static lk_status vbad(lk_sink *k, uint64_t line, lk_skip why, int row, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static lk_status vbad(lk_sink *k, uint64_t line, lk_skip why, int row, const char *fmt, va_list ap)
{
    char what[300];

    if (k->jr) {
        jent *e;
        if (row)
            jclose(k);
        e = row ? jpush(k->jr, J_BAD, line, 1) : jpush_rec(k, J_BAD);
        if (!e)
            return k->jr->err;
        e->why = (uint8_t)why;
        if (k->o.skip_bad_rows)
            return LK_OK;
        /* the message is formatted here, the file and line at replay */
        (void)vsnprintf(what, sizeof what, fmt, ap);
        e->off = k->jr->bytes.len;
        if ((k->jr->err = lk_buf_append(&k->jr->bytes, what, strlen(what) + 1)) != LK_OK)
            return k->jr->err;
        return LK_EPARSE;
    }
    if (row)
        k->st->rows_read++;
    k->st->skipped[why]++;
    if (k->o.skip_bad_rows)
        return LK_OK;
    (void)vsnprintf(what, sizeof what, fmt, ap);
    lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)line, what);
    return LK_EPARSE;
}

lk_status lk_sink_bad(lk_sink *k, lk_skip why, const char *fmt, ...)
{
    va_list ap;
    lk_status st;

    va_start(ap, fmt);
    st = vbad(k, k->line, why, 0, fmt, ap);
    va_end(ap);
    return st;
}

lk_status lk_sink_bad_line(lk_sink *k, uint64_t line, lk_skip why, const char *fmt, ...)
{
    va_list ap;
    lk_status st;

    va_start(ap, fmt);
    st = vbad(k, line, why, 1, fmt, ap);
    va_end(ap);
    return st;
}

void lk_sink_skip(lk_sink *k, lk_skip why)
{
    if (k->jr) {
        jent *e = jpush_rec(k, J_SKIP);
        if (e)
            e->why = (uint8_t)why;
        return;
    }
    k->st->skipped[why]++;
}

void lk_sink_not_post(lk_sink *k, uint64_t line)
{
    if (k->jr) {
        jclose(k);
        (void)jpush(k->jr, J_NOTPOST, line, 1);
        return;
    }
    k->st->rows_read++;
    k->st->skipped[LK_SKIP_NOT_A_POST]++;
}

/* ---- dataset backend -------------------------------------------------------- */

/* Freeze the string tables when they, with what the batch's np actions may
 * add to them and the posts' keys' table, would hold more than their
 * share: from here on they are only looked up, and a string they do not
 * hold gets a provisional id (xintern.h).  The ids come out the same as
 * had they never frozen. */
static lk_status maybe_freeze(lk_sink *k, char *msg)
{
    const lk_dataset *ds = k->ds;
    const size_t held = lk_strpool_bytes(ds->accounts) + lk_strpool_bytes(ds->objects) +
                        lk_strpool_grow_bytes(ds->accounts, k->np) +
                        lk_strpool_grow_bytes(ds->objects, k->np) +
                        (k->keys ? lk_keyset_bytes(k->keys) : 0);
    lk_status st;

    if (held <= k->tab_share)
        return LK_OK;
    for (int i = 0; i < 2; i++) {
        if ((st = lk_xintern_new(k->tmp_dir, &k->xi[i], msg)) != LK_OK)
            return st;
        lk_xintern_write_behind(k->xi[i], k->wb);
    }
    k->frozen = 1;
    k->frozen_at = ds->n;
    lk_log(LK_LOG_INFO,
           "string tables: %zu accounts and %zu objects (%llu MB with their next growth and the "
           "posts' keys) reach their share of --max-mem (%llu MB) at action %zu: strings they "
           "do not hold go to %s until reading is over",
           lk_strpool_count(ds->accounts), lk_strpool_count(ds->objects),
           (unsigned long long)(held >> 20), (unsigned long long)(k->tab_share >> 20), ds->n,
           k->tmp_dir);
    return LK_OK;
}

/* The id of a batch's string s[0..n) in the accounts' (which 0) or objects'
 * pool: the previous action's again when it is the same string, else
 * interned, or once the pools are frozen, found or given a provisional id
 * (which stands for one occurrence: never used again, nor kept in last).
 * last keeps the table's copy the lookup found, not a second look at the
 * id's pointer. */
static lk_status intern_id(lk_sink *k, int which, const char *s, uint32_t n, uint32_t h,
                           uint32_t *id, char *msg)
{
    lk_strpool *pool = which ? k->ds->objects : k->ds->accounts;
    lastrow *l = &k->last[which];
    lk_status st = LK_OK;

    if (lastrow_is(l, s, n)) {
        *id = l->id;
        return LK_OK;
    }
    if (!k->frozen)
        st = lk_strpool_intern_str(pool, s, n, h, id, &l->str);
    else if (!lk_strpool_find_str(pool, s, n, h, id, &l->str)) {
        l->str = NULL;
        st = lk_xintern_add(k->xi[which], s, n, h, id, msg);
    }
    l->have = 0;
    if (st != LK_OK)
        return st;
    l->have = l->str != NULL;
    l->len = n;
    l->id = *id;
    return LK_OK;
}

/* The batch's lookups fetched ahead, in three steps that each need the
 * last one's line: row i's table slots (step 0), then what the slots name
 * (1: the strings, or for a table by id the ids' string pointers), then
 * for a table by id the strings (2), AHEAD rows apart, so that row i + 3 *
 * AHEAD's slots, row i + 2 * AHEAD's step 1 and row i + AHEAD's step 2 are
 * on their way while row i is interned (strpool.c, the slot).  (Each step
 * over the whole batch in turn, 512 fetches at once, more than a core keeps
 * in flight, left the interning stalled on all three loads: bench/RESULTS.md,
 * the thirty-eighth session.) */
#define AHEAD ((size_t)8)

static void fetch_one(const lk_strpool *pool, int step, uint32_t h)
{
    if (step == 0)
        lk_strpool_prefetch(pool, h);
    else if (step == 1)
        lk_strpool_prefetch_id(pool, h);
    else
        lk_strpool_prefetch_str(pool, h);
}

/* (An id found before the replay needs no lookup.) */
static void fetch(const lk_sink *k, int step, size_t i)
{
    const pending *q = &k->p[i];

    if (q->acc_id == NO_ID)
        fetch_one(k->ds->accounts, step, q->acc_h);
    if (q->obj_id == NO_ID)
        fetch_one(k->ds->objects, step, q->obj_h);
}

lk_status lk_sink_flush(lk_sink *k)
{
    lk_dataset *ds = k->ds;
    char msg[LK_ERRMSG_MAX] = "";
    lk_status ret;

    if (!ds || k->np == 0)
        return LK_OK;
    if (ds->n + k->np >= UINT32_MAX) {
        lk_errf(k->errbuf, "%s:%llu: more than 2^32 actions in one process", k->name,
                (unsigned long long)k->p[0].line);
        return LK_ELIMIT;
    }
    if (ds->spill_fd1) {
        /* the errors of the files name their folder */
        if ((ret = lk_dataset_spill_room(ds, k->np, k->errbuf)) != LK_OK) {
            if (ret == LK_ENOMEM)
                lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)k->p[0].line,
                        lk_strerror(ret));
            return ret;
        }
    } else if ((ret = LK_GROW(ds->a, ds->n + k->np, ds->cap)) != LK_OK) {
        lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)k->p[0].line,
                lk_strerror(ret));
        return ret;
    }
    if (k->tab_share && !k->frozen && ds->spill_fd1 && (ret = maybe_freeze(k, msg)) != LK_OK) {
        lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)k->p[0].line,
                ret == LK_EIO ? msg : lk_strerror(ret));
        return ret;
    }
    for (size_t i = 0; i < LK_MIN(3 * AHEAD, k->np); i++)
        fetch(k, 0, i);
    for (size_t i = 0; i < LK_MIN(2 * AHEAD, k->np); i++)
        fetch(k, 1, i);
    for (size_t i = 0; i < LK_MIN(AHEAD, k->np); i++)
        fetch(k, 2, i);
    for (size_t i = 0; i < k->np; i++) {
        const pending *q = &k->p[i];
        const char *acc_s = k->bytes.p + q->acc_off, *obj_s = k->bytes.p + q->obj_off;
        uint32_t acc = q->acc_id, obj = q->obj_id;
        lk_action *a;

        if (i + 3 * AHEAD < k->np)
            fetch(k, 0, i + 3 * AHEAD);
        if (i + 2 * AHEAD < k->np)
            fetch(k, 1, i + 2 * AHEAD);
        if (i + AHEAD < k->np)
            fetch(k, 2, i + AHEAD);
        if ((obj == NO_ID &&
             (ret = intern_id(k, 1, obj_s, q->obj_len, q->obj_h, &obj, msg)) != LK_OK) ||
            (acc == NO_ID &&
             (ret = intern_id(k, 0, acc_s, q->acc_len, q->acc_h, &acc, msg)) != LK_OK))
            goto fail;
        a = &ds->a[ds->n - ds->spill_n];
        a->t = q->t;
        a->content = q->cref;
        if (ds->spill_fd1) {
            /* spilled: the hash in the action, the ref beside it (the
             * content id itself may be in the arena's file by now) */
            ds->trefs[ds->n - ds->spill_n] = q->cref;
            a->content = q->chash;
        }
        a->account = acc;
        a->object = obj;
        a->row = (uint32_t)ds->n;
        a->file = k->file;
        ds->n++;
        continue;
    fail:
        lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)q->line,
                ret == LK_EIO ? msg : lk_strerror(ret));
        return ret;
    }
    k->np = 0;
    lk_buf_reset(&k->bytes);
    return LK_OK;
}

/* The record's content id into the dataset's arena, as k->last_cref.  The
 * rows of one post usually follow each other (one row an object in the
 * generic CSV) and share their content id: the previous record's copy is
 * used again then, so the arena holds about one copy a post instead of one
 * a row (a ref only ever leads to its string; nothing compares refs).  The
 * last string added is always in the arena's chunk in memory, even when it
 * spills.  A spilled dataset's actions hold the content id's hash, which is
 * computed here (k->last_chash), while the string is at hand. */
static lk_status add_content(lk_sink *k, const rec *r)
{
    lk_status st;
    if (k->have_cref && r->content_len == k->last_clen &&
        memcmp(lk_arena_get(&k->ds->content, k->last_cref), r->content, r->content_len) == 0)
        return LK_OK;
    if ((st = lk_arena_add(&k->ds->content, r->content, r->content_len, &k->last_cref)) != LK_OK)
        return st;
    k->last_clen = r->content_len;
    k->have_cref = 1;
    if (k->ds->spill_fd1) {
        /* as lk_ds_content_hash: the string as far as its first NUL */
        const char *nul = memchr(r->content, '\0', r->content_len);
        k->last_chash = lk_hash64(r->content, nul ? (size_t)(nul - r->content) : r->content_len);
    }
    return LK_OK;
}

/* An action into the batch: its account (s, an, hash acc_h) and object
 * (o, on, obj_h), with their ids when found before the replay (else
 * NO_ID: their strings are copied aside for the lookup, the record's
 * buffers being reused before the batch is flushed).  Room for it: the
 * caller's (k->np < LK_SINK_BATCH). */
static lk_status push_pending(lk_sink *k, const pending *tpl, const char *s, size_t an,
                              uint32_t acc_id, const char *o, size_t on, uint32_t obj_h,
                              uint32_t obj_id)
{
    pending *q = &k->p[k->np];
    lk_status st;

    *q = *tpl;
    q->acc_len = (uint32_t)an;
    q->acc_id = acc_id;
    q->obj_len = (uint32_t)on;
    q->obj_h = obj_h;
    q->obj_id = obj_id;
    q->acc_off = q->obj_off = 0;
    if ((st = lk_buf_reserve(&k->bytes, an + on)) != LK_OK)
        return st;
    if (acc_id == NO_ID) {
        q->acc_off = k->bytes.len;
        if ((st = lk_buf_append(&k->bytes, s, an)) != LK_OK)
            return st;
    }
    if (obj_id == NO_ID) {
        q->obj_off = k->bytes.len;
        if ((st = lk_buf_append(&k->bytes, o, on)) != LK_OK)
            return st;
    }
    k->np++;
    return LK_OK;
}

static lk_status queue_actions(lk_sink *k, const rec *r)
{
    const size_t an = r->acc_len;
    pending tpl;
    lk_status st;

    if ((st = add_content(k, r)) != LK_OK)
        return st;
    memset(&tpl, 0, sizeof tpl);
    tpl.t = r->t;
    tpl.line = r->line;
    tpl.cref = k->last_cref;
    tpl.chash = k->last_chash;
    tpl.acc_h = r->obj_h ? r->acc_h : lk_strpool_hash(r->acc, an);
    for (size_t i = 0; i < r->nob; i++) {
        const char *o = r->objs + r->ob[i].off;
        const size_t on = r->ob[i].len;

        if (k->np == LK_SINK_BATCH && (st = lk_sink_flush(k)) != LK_OK)
            return st;
        if ((st = push_pending(k, &tpl, r->acc, an, r->obj_id ? r->acc_id : NO_ID, o, on,
                               r->obj_h ? r->obj_h[i] : lk_strpool_hash(o, on),
                               r->obj_id ? r->obj_id[i] : NO_ID)) != LK_OK)
            return st;
    }
    return LK_OK;
}

static lk_status emit_actions(lk_sink *k, const rec *r)
{
    lk_sink_action a;
    lk_status st;

    a.account = r->acc;
    a.account_len = r->acc_len;
    a.content = r->content;
    a.content_len = r->content_len;
    a.t = r->t;
    a.line = r->line;
    for (size_t i = 0; i < r->nob; i++) {
        char *o = r->objs + r->ob[i].off;
        char save = o[r->ob[i].len];
        a.trace = (lk_trace)(o[0] - 'A');
        a.object = o + 1;
        a.object_len = r->ob[i].len - 1u;
        o[r->ob[i].len] = '\0'; /* NUL-terminate in place for the callback */
        st = k->emit(k->ctx, &a);
        o[r->ob[i].len] = save;
        if (st != LK_OK)
            return st;
    }
    return LK_OK;
}

/* Spill: the block of posts to the end of the posts' file. */
static lk_status spill_posts(lk_sink *k)
{
    lk_status st;

    if (k->ntblk.len == 0)
        return LK_OK;
    if (!k->ntfd1) {
        int fd;
        if ((st = lk_tmpfile_open(k->tmp_dir, &fd, k->errbuf)) != LK_OK)
            return st;
        k->ntfd1 = fd + 1;
    }
    if ((st = LK_GROW(k->blk, k->nblk + 1, k->blk_cap)) != LK_OK ||
        (st = lk_wbehind_write(k->wb, k->ntfd1 - 1, k->ntblk.p, k->ntblk.len, k->ntoff, k->tmp_dir,
                               k->errbuf)) != LK_OK)
        return st;
    k->blk[k->nblk++] = k->ntblk.len;
    k->ntoff += k->ntblk.len;
    lk_buf_reset(&k->ntblk);
    return LK_OK;
}

static lk_status add_neartext(lk_sink *k, const rec *r)
{
    ntpost spilled, *p = &spilled;
    lk_status st;

    if (!k->spill) {
        if ((st = LK_GROW(k->ntp, k->nntp + 1, k->ntcap)) != LK_OK)
            return st;
        p = &k->ntp[k->nntp];
        if ((st = lk_arena_add(&k->ntacc, r->acc, r->acc_len, &p->acc)) != LK_OK)
            return st;
    } else {
        memset(p, 0, sizeof *p); /* no stray padding bytes in the file */
        p->acc = r->acc_len;
    }
    if (r->nob == 0 && (st = add_content(k, r)) != LK_OK)
        return st;
    p->t = r->t;
    p->cref = k->last_cref;
    p->chash = k->last_chash;
    p->line = r->line;
    p->file = k->file;
    p->only = r->nob == 0;
    st = r->nt_text ? lk_neartext_add(k->nt, r->nt_text, r->nt_len)
                    : lk_neartext_add_sketch(k->nt, r->sig);
    if (st == LK_EIO)
        lk_errf(k->errbuf, "%s", lk_neartext_errmsg(k->nt));
    if (st != LK_OK)
        return st;
    if (k->spill) {
        if (k->ntblk.len + sizeof *p + r->acc_len > NT_BLOCK && (st = spill_posts(k)) != LK_OK)
            return st;
        if ((st = lk_buf_append(&k->ntblk, p, sizeof *p)) != LK_OK ||
            (st = lk_buf_append(&k->ntblk, r->acc, r->acc_len)) != LK_OK)
            return st;
    }
    k->nntp++;
    return LK_OK;
}

/* Reading the posts back in order, from ntp and ntacc, or spilled, from the
 * posts' file a block at a time and then the last block still in memory. */
typedef struct ntcur {
    size_t i;        /* next post (in memory) */
    size_t blk;      /* next block of the file */
    uint64_t off;    /* its offset */
    lk_buf buf;      /* the block read */
    const char *b;   /* the block being walked: buf.p or ntblk.p */
    size_t pos, len; /* the next post in it, its size */
} ntcur;

static lk_status next_post(lk_sink *k, ntcur *c, ntpost *p, const char **acc, size_t *acc_len)
{
    lk_status st;

    if (!k->spill) {
        *p = k->ntp[c->i++];
        *acc = lk_arena_get(&k->ntacc, p->acc);
        *acc_len = strlen(*acc);
        return LK_OK;
    }
    if (c->pos == c->len) {
        if (c->blk < k->nblk) {
            const size_t n = (size_t)k->blk[c->blk];
            lk_buf_reset(&c->buf);
            if ((st = lk_buf_reserve(&c->buf, n)) != LK_OK ||
                (st = lk_tmpfile_read(k->ntfd1 - 1, c->buf.p, n, c->off, k->tmp_dir, k->errbuf)) !=
                    LK_OK)
                return st;
            c->b = c->buf.p;
            c->len = n;
            c->off += n;
            c->blk++;
        } else {
            c->b = k->ntblk.p;
            c->len = k->ntblk.len;
        }
        c->pos = 0;
        if (c->len < sizeof *p) { /* cannot be: as many posts are read as were written */
            lk_errf(k->errbuf, "a temporary file in %s holds fewer posts than written", k->tmp_dir);
            return LK_EIO;
        }
    }
    memcpy(p, c->b + c->pos, sizeof *p);
    *acc = c->b + c->pos + sizeof *p;
    *acc_len = (size_t)p->acc;
    c->pos += sizeof *p + *acc_len;
    return LK_OK;
}

/* Call the stage hook with a formatted description. */
static void stage(const lk_sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void stage(const lk_sink *k, const char *fmt, ...)
{
    char what[200];
    va_list ap;

    if (!k->o.stage)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    k->o.stage(k->o.stage_ctx, what);
}

/*
 * Spill, before clustering (the posts' key set is gone: no file follows): the
 * dataset is parked and nothing of the reading is left in memory but the
 * near-text posts' ids and one block of signatures and of posts.
 */
static lk_status park_for_clustering(lk_sink *k)
{
    lk_dataset *ds = k->ds;
    lk_status st;

    lk_log(LK_LOG_INFO,
           "near-text: %llu bytes of signatures and %llu of posts spilled to %s while reading",
           (unsigned long long)lk_neartext_spilled_bytes(k->nt), (unsigned long long)k->ntoff,
           k->tmp_dir);
    if ((st = lk_dataset_park(ds, k->tmp_dir, 1, k->errbuf)) != LK_OK ||
        (st = lk_dataset_park_actions(ds, k->tmp_dir, k->errbuf)) != LK_OK)
        return st;
    stage(k, "near-text: dataset parked (%llu bytes)", (unsigned long long)ds->park_end);
    return LK_OK;
}

/* The near-text actions are added after every file was read and closed:
 * each goes in under the file of its post, and a message names that file
 * by its stats' path (the stream's name went with the stream). */
static void finish_file(lk_sink *k, uint32_t file)
{
    k->file = file;
    k->name = file < k->nfiles && k->files[file]->path ? k->files[file]->path : "input";
}

/* The provisional ids of the actions a[0..m) replaced by the real ones,
 * which xintern gives back in the order it handed them out (the actions'
 * order, objects and accounts apart); k->nprov counts them. */
static lk_status remap_ids(void *ctx, lk_action *a, size_t m, char *errbuf)
{
    lk_sink *k = ctx;
    lk_status st;

    for (size_t i = 0; i < m; i++) {
        if (lk_xintern_provisional(a[i].object)) {
            if ((st = lk_xintern_next(k->xi[1], a[i].object, &a[i].object, errbuf)) != LK_OK)
                return st;
            k->nprov++;
        }
        if (lk_xintern_provisional(a[i].account)) {
            if ((st = lk_xintern_next(k->xi[0], a[i].account, &a[i].account, errbuf)) != LK_OK)
                return st;
            k->nprov++;
        }
    }
    return LK_OK;
}

/* Reading is over: the strings the frozen tables did not hold get their
 * ids (those of first appearance, after the tables' own), and the actions
 * from the freeze on their real ids in place of the provisional ones. */
static lk_status resolve_frozen(lk_sink *k)
{
    lk_dataset *ds = k->ds;
    const unsigned threads = LK_MAX(k->o.threads, 1u);
    uint64_t occ;
    size_t room[2];
    lk_status st;

    if (!k->frozen)
        return LK_OK;
    if ((st = lk_sink_flush(k)) != LK_OK)
        return st;
    occ = lk_xintern_count(k->xi[0]) + lk_xintern_count(k->xi[1]);
    /* the tables go to the park file first, and the new strings after
     * them, a chunk at a time: with the tables in memory they had taken
     * about 30 bytes a string (2.2 GB at 2.5 x 10^8 simulated actions) */
    room[0] = (size_t)lk_xintern_count(k->xi[0]);
    room[1] = (size_t)lk_xintern_count(k->xi[1]);
    if ((st = lk_dataset_park_grow(ds, k->tmp_dir, room, k->errbuf)) != LK_OK ||
        (st = lk_xintern_resolve(k->xi[0], ds->accounts, threads, k->errbuf)) != LK_OK ||
        (st = lk_xintern_resolve(k->xi[1], ds->objects, threads, k->errbuf)) != LK_OK ||
        (st = lk_dataset_grow_end(ds)) != LK_OK)
        return st;
    stage(k, "string tables: %llu new accounts and %llu new objects found in %llu occurrences",
          (unsigned long long)lk_xintern_distinct(k->xi[0]),
          (unsigned long long)lk_xintern_distinct(k->xi[1]), (unsigned long long)occ);
    k->nprov = 0;
    if ((st = lk_dataset_rewrite(ds, k->frozen_at, remap_ids, k, k->errbuf)) != LK_OK)
        return st;
    if (k->nprov != occ) { /* cannot be: every occurrence is one action's */
        lk_errf(k->errbuf, "string tables: %llu provisional ids in the actions, %llu handed out",
                (unsigned long long)k->nprov, (unsigned long long)occ);
        return LK_EINVAL;
    }
    lk_log(LK_LOG_INFO,
           "string tables: the actions from %zu on given their ids (%llu bytes of temporary "
           "file in %s)",
           k->frozen_at,
           (unsigned long long)lk_xintern_file_bytes(k->xi[0]) +
               (unsigned long long)lk_xintern_file_bytes(k->xi[1]),
           k->tmp_dir);
    stage(k, "string tables: actions given their ids");
    for (int i = 0; i < 2; i++) {
        lk_xintern_free(k->xi[i]);
        k->xi[i] = NULL;
    }
    k->frozen = 0; /* the tables hold every string now, parked: never again */
    k->tab_share = 0;
    return LK_OK;
}

static lk_status finish_neartext(lk_sink *k);
static lk_status replay_deferred(lk_sink *k);

/* Reading is over: the key set goes. */
static void free_keys(lk_sink *k)
{
    if (k->keys && lk_keyset_spilled_bytes(k->keys))
        lk_log(LK_LOG_INFO, "post keys: %llu bytes spilled to %s while reading (%llu distinct)",
               (unsigned long long)lk_keyset_spilled_bytes(k->keys), k->tmp_dir,
               (unsigned long long)lk_keyset_count(k->keys));
    lk_keyset_free(k->keys);
    k->keys = NULL;
}

lk_status lk_sink_finish(lk_sink *k)
{
    lk_status st = end_write_behind(k);

    if (st == LK_OK)
        st = replay_deferred(k);

    if (st == LK_OK)
        st = finish_neartext(k);
    return st == LK_OK ? resolve_frozen(k) : st;
}

/* lk_sink_finish: the near-text clustering and its actions. */
static lk_status finish_neartext(lk_sink *k)
{
    uint32_t *cl = NULL;
    uint64_t *repcref = NULL; /* each cluster's first post's content id, in reps */
    size_t nrep = 0, repcap = 0;
    lk_arena reps; /* copies of those content ids: a spilled arena's are on disk */
    lk_buf cid;
    ntcur cur;
    lk_status st;
    lk_buf key;
    pending tpl;

    free_keys(k);
    if (!k->nt || k->nntp == 0)
        return LK_OK;
    finish_file(k, k->file);
    if ((st = lk_sink_flush(k)) != LK_OK)
        return st;
    if (k->spill) {
        /* what the cap leaves beside what is resident (the tables are
         * parked), less a sixteenth of it for the allocator's slack, as the
         * pair stage's budget (detect.c) */
        uint64_t used;
        if ((st = park_for_clustering(k)) != LK_OK)
            return st;
        used = lk_rss_now() + k->o.max_mem / 16;
        lk_neartext_budget(k->nt, k->o.max_mem > used ? k->o.max_mem - used : 1);
    }
    if ((st = lk_neartext_cluster(k->nt, &cl, &k->ntst)) != LK_OK) {
        if (st == LK_EIO)
            lk_errf(k->errbuf, "%s", lk_neartext_errmsg(k->nt));
        return st;
    }
    if (k->spill) {
        /* the signatures and their file go; the dataset comes back for the
         * near-text actions (pointers into its strings changed) */
        lk_neartext_free(k->nt);
        k->nt = NULL;
        stage(k, "near-text: %llu texts clustered", (unsigned long long)k->ntst.posts);
        if ((st = lk_dataset_unpark(k->ds, 1, LK_MAX(k->o.threads, 1u), k->errbuf)) != LK_OK) {
            free(cl);
            return st;
        }
        k->last[0].have = k->last[1].have = 0;
        stage(k, "near-text: dataset read back");
    }
    lk_buf_init(&key);
    lk_buf_init(&cid);
    lk_arena_init(&reps);
    memset(&cur, 0, sizeof cur);
    lk_buf_init(&cur.buf);
    /* one action per clustered post, on the cluster named after its first
     * post's content id (the copypasta's earliest version in input order) */
    for (size_t i = 0; i < k->nntp && st == LK_OK; i++) {
        ntpost p;
        const char *rep, *acc;
        size_t an;
        if ((st = next_post(k, &cur, &p, &acc, &an)) != LK_OK)
            break;
        if (cl[i] == UINT32_MAX) {
            /* a record counted as used for its text alone, which clusters
             * with nothing, gave no action after all */
            if (p.only && p.file < k->nfiles) {
                k->files[p.file]->rows_used--;
                k->files[p.file]->skipped[LK_SKIP_EMPTY_OBJECT]++;
            }
            continue;
        }
        /* a cluster's first post is its own cluster (cl[i] == i) and comes
         * before the others: its content id is copied into reps (from
         * the arena's file when it spilled), and cl[i] then says where,
         * for the posts of the cluster still to come */
        if (cl[i] == i) {
            if ((st = LK_GROW(repcref, nrep + 1, repcap)) != LK_OK ||
                (st = lk_arena_copy(&k->ds->content, p.cref, &cid, k->errbuf)) != LK_OK ||
                (st = lk_arena_add(&reps, cid.p, cid.len, &repcref[nrep])) != LK_OK)
                break;
            cl[i] = (uint32_t)nrep++;
            rep = lk_arena_get(&reps, repcref[cl[i]]);
        } else {
            rep = lk_arena_get(&reps, repcref[cl[cl[i]]]);
        }
        lk_buf_reset(&key);
        if ((st = lk_buf_putc(&key, LK_TRACE_BYTE(LK_TR_NEAR_TEXT))) != LK_OK ||
            (st = lk_buf_append(&key, rep, strlen(rep))) != LK_OK)
            break;
        if ((k->np == LK_SINK_BATCH || (k->np && p.file != k->file)) &&
            (st = lk_sink_flush(k)) != LK_OK)
            break;
        finish_file(k, p.file);
        memset(&tpl, 0, sizeof tpl);
        tpl.t = p.t;
        tpl.line = p.line;
        tpl.cref = p.cref;
        tpl.chash = p.chash;
        tpl.acc_h = lk_strpool_hash(acc, an);
        if ((st = push_pending(k, &tpl, acc, an, NO_ID, key.p, key.len,
                               lk_strpool_hash(key.p, key.len), NO_ID)) != LK_OK)
            break;
        if (p.file < k->nfiles)
            k->files[p.file]->actions[LK_TR_NEAR_TEXT]++;
    }
    lk_buf_release(&key);
    lk_buf_release(&cid);
    lk_buf_release(&cur.buf);
    lk_arena_release(&reps);
    free(repcref);
    free(cl);
    if (st == LK_OK)
        st = lk_sink_flush(k);
    return st;
}

uint64_t lk_sink_waited(const lk_sink *k)
{
    return k->waited;
}

void lk_sink_neartext_stats(const lk_sink *k, lk_neartext_stats *st)
{
    *st = k->ntst; /* zeros (calloc) until lk_sink_finish clustered */
}

/* A record found no duplicate: counted, its actions queued (or emitted),
 * its text added for near-text. */
static lk_status use_rec(lk_sink *k, const rec *r)
{
    lk_status st;

    k->st->rows_used++;
    for (size_t i = 0; i < r->nob; i++)
        k->st->actions[r->objs[r->ob[i].off] - 'A']++;
    st = k->ds ? queue_actions(k, r) : emit_actions(k, r);
    if (st == LK_OK && r->nt)
        st = add_neartext(k, r);
    if (st == LK_ENOMEM || st == LK_ELIMIT)
        lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)r->line, lk_strerror(st));
    return st;
}

/* ---- the posts' keys frozen: records wait until reading is over ----------- */

/* A waiting record in the spool: this head, then acc\0, content\0, the
 * objects and their NUL, the objects' places (recobj each), their hashes
 * when the record came with them (acc_h first, then one per object), and
 * its text or sketch. */
typedef struct drec {
    uint64_t line;
    int64_t t;
    uint32_t file;
    uint32_t prov; /* keyed: the key's provisional id in kx */
    uint32_t acc_len, content_len, objs_len, nob, nt_len;
    uint8_t keyed, hashed, nt; /* nt: one of DR_* */
    uint8_t pad[5];
} drec;

enum { DR_NONE, DR_TEXT, DR_SIG, DR_SHORT };

/* When the key set's next growth would take it, with the string tables,
 * past their share of the cap: frozen from this record on (the tables
 * freeze on their own, maybe_freeze). */
static lk_status maybe_freeze_keys(lk_sink *k, const rec *r)
{
    const lk_dataset *ds = k->ds;
    const size_t held = lk_strpool_bytes(ds->accounts) + lk_strpool_bytes(ds->objects) +
                        lk_keyset_bytes(k->keys) + lk_keyset_grow_bytes(k->keys);
    char msg[LK_ERRMSG_MAX] = "";
    lk_status st;

    if (held <= k->tab_share)
        return LK_OK;
    if ((st = lk_xintern_new(k->tmp_dir, &k->kx, msg)) != LK_OK ||
        (st = lk_spool_new(k->tmp_dir, &k->dfr, msg)) != LK_OK) {
        lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)r->line,
                st == LK_EIO ? msg : lk_strerror(st));
        return st;
    }
    lk_xintern_write_behind(k->kx, k->wb);
    lk_spool_write_behind(k->dfr, k->wb);
    k->kfrozen = 1;
    lk_log(LK_LOG_INFO,
           "post keys: %llu keys (%llu MB with the table's next growth and the string tables) "
           "reach their share of --max-mem (%llu MB) at %s:%llu: from there on the records "
           "wait in %s until reading is over, and the keys the set does not hold are matched "
           "there",
           (unsigned long long)lk_keyset_count(k->keys), (unsigned long long)(held >> 20),
           (unsigned long long)(k->tab_share >> 20), k->name, (unsigned long long)r->line,
           k->tmp_dir);
    return LK_OK;
}

/* The record to the spool, its key (keyed) given provisional id prov. */
static lk_status defer_rec(lk_sink *k, const rec *r, int keyed, uint32_t prov)
{
    char msg[LK_ERRMSG_MAX] = "";
    size_t ol = 0, need;
    drec d;
    char *p;
    void *dst;
    lk_status st;

    for (size_t i = 0; i < r->nob; i++)
        ol = LK_MAX(ol, (size_t)r->ob[i].off + r->ob[i].len);
    memset(&d, 0, sizeof d); /* no stray padding bytes in the file */
    d.line = r->line;
    d.t = r->t;
    d.file = k->file;
    d.prov = prov;
    d.acc_len = (uint32_t)r->acc_len;
    d.content_len = (uint32_t)r->content_len;
    d.objs_len = (uint32_t)ol;
    d.nob = (uint32_t)r->nob;
    d.keyed = (uint8_t)keyed;
    d.hashed = r->obj_h != NULL;
    d.nt = !r->nt ? DR_NONE : r->nt_text ? DR_TEXT : r->sig ? DR_SIG : DR_SHORT;
    d.nt_len = d.nt == DR_TEXT  ? (uint32_t)r->nt_len
               : d.nt == DR_SIG ? LK_NEARTEXT_K * (uint32_t)sizeof *r->sig
                                : 0;
    need = sizeof d + r->acc_len + 1 + r->content_len + 1 + ol + 1 + r->nob * sizeof *r->ob +
           (d.hashed ? (r->nob + 1) * 4 : 0) + d.nt_len;
    if ((st = lk_spool_add(k->dfr, need, &dst, msg)) != LK_OK) {
        lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)r->line,
                st == LK_EIO ? msg : lk_strerror(st));
        return st;
    }
    p = dst;
    memcpy(p, &d, sizeof d);
    p += sizeof d;
    memcpy(p, r->acc, r->acc_len);
    p[r->acc_len] = '\0';
    p += r->acc_len + 1;
    memcpy(p, r->content, r->content_len);
    p[r->content_len] = '\0';
    p += r->content_len + 1;
    memcpy(p, r->objs, ol);
    p[ol] = '\0';
    p += ol + 1;
    if (r->nob) {
        memcpy(p, r->ob, r->nob * sizeof *r->ob);
        p += r->nob * sizeof *r->ob;
    }
    if (d.hashed) {
        memcpy(p, &r->acc_h, 4);
        if (r->nob)
            memcpy(p + 4, r->obj_h, r->nob * 4);
        p += (r->nob + 1) * 4;
    }
    if (d.nt_len)
        memcpy(p, d.nt == DR_TEXT ? (const void *)r->nt_text : (const void *)r->sig, d.nt_len);
    return LK_OK;
}

/* A waiting record read back (n bytes at p) into *r, *d its head: its
 * arrays copied to aligned scratch.  LK_EIO when it does not add up. */
static lk_status undefer_rec(lk_sink *k, char *p, size_t n, drec *d, rec *r)
{
    size_t need;
    lk_status st;

    if (n < sizeof *d)
        goto corrupt;
    memcpy(d, p, sizeof *d);
    need = sizeof *d + (size_t)d->acc_len + 1 + d->content_len + 1 + d->objs_len + 1 +
           (size_t)d->nob * sizeof *r->ob + (d->hashed ? ((size_t)d->nob + 1) * 4 : 0) + d->nt_len;
    if (need != n || d->file >= k->nfiles || d->nt > DR_SHORT ||
        (d->nt == DR_SIG && d->nt_len != sizeof k->dsig))
        goto corrupt;
    memset(r, 0, sizeof *r);
    p += sizeof *d;
    r->acc = p;
    r->acc_len = d->acc_len;
    p += d->acc_len + 1;
    r->content = p;
    r->content_len = d->content_len;
    p += d->content_len + 1;
    r->objs = p;
    p += d->objs_len + 1;
    r->nob = d->nob;
    if ((st = LK_GROW(k->dob, LK_MAX(r->nob, (size_t)1), k->dob_cap)) != LK_OK ||
        (st = LK_GROW(k->doh, r->nob + 1, k->doh_cap)) != LK_OK)
        return st;
    if (r->nob)
        memcpy(k->dob, p, r->nob * sizeof *r->ob);
    for (size_t i = 0; i < r->nob; i++)
        if ((uint64_t)k->dob[i].off + k->dob[i].len > d->objs_len)
            goto corrupt;
    r->ob = k->dob;
    p += r->nob * sizeof *r->ob;
    if (d->hashed) {
        memcpy(k->doh, p, (r->nob + 1) * 4);
        r->acc_h = k->doh[0];
        r->obj_h = k->doh + 1;
        p += (r->nob + 1) * 4;
    }
    r->t = d->t;
    r->line = d->line;
    r->nt = d->nt != DR_NONE;
    if (d->nt == DR_TEXT) {
        r->nt_text = p;
        r->nt_len = d->nt_len;
    } else if (d->nt == DR_SIG) {
        memcpy(k->dsig, p, sizeof k->dsig);
        r->sig = k->dsig;
    }
    return LK_OK;
corrupt:
    (void)lk_tmpfile_corrupt(k->tmp_dir, k->errbuf);
    return LK_EIO;
}

/* Reading is over: which of the waiting records' keys repeat an earlier
 * one is found a hash partition at a time (xintern.h), and the records are
 * used in the order they came, the repeats counted as duplicates, as they
 * would have been had the key set never frozen. */
static lk_status replay_deferred(lk_sink *k)
{
    const unsigned threads = LK_MAX(k->o.threads, 1u);
    uint64_t waited;
    lk_status st;

    if (!k->kfrozen)
        return LK_OK;
    free_keys(k); /* what it matched is counted; the rest is kx's */
    k->kfrozen = 0;
    finish_file(k, k->file); /* the last stream's name went with it */
    if ((st = lk_sink_flush(k)) != LK_OK ||
        (st = lk_xintern_dedup(k->kx, threads, k->errbuf)) != LK_OK ||
        (st = lk_spool_rewind(k->dfr, k->errbuf)) != LK_OK)
        return st;
    stage(k, "post keys: %llu keys of waiting records, %llu distinct",
          (unsigned long long)lk_xintern_count(k->kx),
          (unsigned long long)lk_xintern_distinct(k->kx));
    waited = k->waited = lk_spool_count(k->dfr);
    lk_progress_stage(k->prog, "waiting records", waited);
    for (uint64_t i = 1;; i++) {
        void *p;
        size_t n;
        drec d;
        rec r;

        if ((st = lk_spool_next(k->dfr, &p, &n, k->errbuf)) != LK_OK)
            return st;
        if (!p)
            break;
        if ((i & 0xffffu) == 0)
            lk_progress_tick(k->prog, i);
        if ((st = undefer_rec(k, p, n, &d, &r)) != LK_OK)
            return st;
        if (d.keyed) {
            int first;
            if ((st = lk_xintern_next_first(k->kx, d.prov, &first, k->errbuf)) != LK_OK)
                return st;
            if (!first) {
                k->files[d.file]->skipped[LK_SKIP_DUPLICATE]++;
                k->kx_dups++;
                continue;
            }
        }
        if (d.file != k->file) { /* an action's file is the flush's */
            if ((st = lk_sink_flush(k)) != LK_OK)
                return st;
            finish_file(k, d.file);
        }
        k->st = k->files[d.file];
        if ((st = use_rec(k, &r)) != LK_OK)
            return st;
    }
    if ((st = lk_sink_flush(k)) != LK_OK)
        return st;
    lk_log(LK_LOG_INFO,
           "post keys: %llu records waited in %s (%llu bytes); %llu keys of them matched "
           "after reading, %llu distinct: %llu duplicate posts",
           (unsigned long long)waited, k->tmp_dir, (unsigned long long)lk_spool_file_bytes(k->dfr),
           (unsigned long long)lk_xintern_count(k->kx),
           (unsigned long long)lk_xintern_distinct(k->kx), (unsigned long long)k->kx_dups);
    stage(k, "post keys: waiting records used");
    lk_progress_stage(k->prog, "near-text", 0);
    lk_xintern_free(k->kx);
    k->kx = NULL;
    lk_spool_free(k->dfr);
    k->dfr = NULL;
    return LK_OK;
}

/* The steps of lk_sink_end that depend on earlier records: duplicate keys,
 * accounting, interning or emitting, near-text. */
static lk_status commit(lk_sink *k, const rec *r)
{
    char msg[LK_ERRMSG_MAX] = "";
    uint32_t prov = 0;
    int keyed = 0;
    lk_status st;

    if (r->have_key) {
        int fresh;

        if (!k->kfrozen && k->tab_share && k->ds && k->ds->spill_fd1 &&
            lk_keyset_grow_bytes(k->keys) && (st = maybe_freeze_keys(k, r)) != LK_OK)
            return st;
        if (!k->kfrozen) {
            st = lk_keyset_add(k->keys, r->key, r->key_len, &fresh);
        } else if ((st = lk_keyset_find(k->keys, r->key, r->key_len, &fresh)) == LK_OK) {
            fresh = !fresh;
            if (fresh) { /* not among the keys before the freeze: matched later */
                keyed = 1;
                st = lk_xintern_add(k->kx, r->key, r->key_len, lk_strpool_hash(r->key, r->key_len),
                                    &prov, msg);
            }
        }
        if (st != LK_OK) {
            const char *why = st != LK_EIO ? lk_strerror(st)
                              : msg[0]     ? msg
                                           : lk_keyset_errmsg(k->keys);
            lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)r->line, why);
            return st;
        }
        if (!fresh) {
            k->st->skipped[LK_SKIP_DUPLICATE]++;
            return LK_OK;
        }
    }
    if (k->kfrozen)
        return defer_rec(k, r, keyed, prov);
    return use_rec(k, r);
}

/* Worker: the record, checked, into the journal. */
static lk_status journal_rec(lk_sink *k)
{
    lk_journal *j = k->jr;
    lk_buf *b = &j->bytes;
    jent *e;
    size_t need;
    lk_status st;

    if (!(e = jpush_rec(k, J_REC)))
        return j->err;
    e->t = k->t;
    e->off = b->len;
    e->acc_len = (uint32_t)k->acc.len;
    e->content_len = (uint32_t)k->content.len;
    e->key_len = k->have_key ? (uint32_t)k->key.len : 0;
    e->objs_len = (uint32_t)k->objs.len;
    e->flags |= (uint8_t)((k->have_key ? F_KEY : 0) | (k->nt_pending ? F_NT : 0));
    need = k->acc.len + k->content.len + k->key.len + k->objs.len + 4;
    if ((st = lk_buf_reserve(b, need)) != LK_OK)
        goto fail;
    /* buffers end with a NUL (lk_sink_end put them there) */
    memcpy(b->p + b->len, k->acc.p, k->acc.len + 1);
    b->len += k->acc.len + 1;
    memcpy(b->p + b->len, k->content.p, k->content.len + 1);
    b->len += k->content.len + 1;
    if (k->have_key)
        memcpy(b->p + b->len, k->key.p, k->key.len);
    b->len += e->key_len;
    b->p[b->len++] = '\0';
    memcpy(b->p + b->len, k->objs.p, k->objs.len + 1);
    b->len += k->objs.len + 1;
    e->ob0 = (uint32_t)j->nob;
    e->nob = (uint32_t)k->nob;
    if ((st = LK_GROW(j->ob, j->nob + k->nob, j->obcap)) != LK_OK ||
        (st = LK_GROW(j->oh, j->nob + k->nob, j->ohcap)) != LK_OK)
        goto fail;
    memcpy(j->ob + j->nob, k->ob, k->nob * sizeof *k->ob);
    if (k->text_keys) { /* the dataset's hashes, off the main thread */
        e->acc_h = lk_strpool_hash(k->acc.p, k->acc.len);
        for (size_t i = 0; i < k->nob; i++)
            j->oh[j->nob + i] = lk_strpool_hash(k->objs.p + k->ob[i].off, k->ob[i].len);
    }
    j->nob += k->nob;
    if (k->nt_pending) {
        int r;
        if ((st = LK_GROW(j->sig, j->nsig + LK_NEARTEXT_K, j->sigcap)) != LK_OK)
            goto fail;
        r = lk_neartext_sketch(k->nt, k->nt_text.p, k->nt_text.len, j->sig + j->nsig, &k->words,
                               &k->words_cap);
        if (r < 0) {
            st = LK_ENOMEM;
            goto fail;
        }
        if (r > 0) {
            e->sig = (uint32_t)j->nsig;
            j->nsig += LK_NEARTEXT_K;
        }
    }
    return LK_OK;
fail:
    j->err = st;
    return st;
}

static lk_status skip_rec(lk_sink *k, lk_skip why)
{
    if (k->jr) {
        jent *e = jpush_rec(k, J_SKIP);
        if (!e)
            return k->jr->err;
        e->why = (uint8_t)why;
        return LK_OK;
    }
    k->st->skipped[why]++;
    return LK_OK;
}

lk_status lk_sink_end(lk_sink *k)
{
    lk_status st;
    rec r;

    if (k->bad_utf8)
        return lk_sink_bad(k, LK_SKIP_INVALID_UTF8, "invalid UTF-8 in %s", k->bad_utf8);
    if (!k->have_t)
        return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "no timestamp");
    if (k->t < 0 || k->t > LK_TIME_MAX_MS)
        return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "timestamp out of range");
    if (k->acc.len == 0)
        return skip_rec(k, LK_SKIP_EMPTY_ACCOUNT);
    if (k->nob == 0 && !k->nt_pending)
        return skip_rec(k, LK_SKIP_EMPTY_OBJECT);
    /* buffers end with a NUL for the callback */
    if ((st = lk_buf_putc(&k->acc, '\0')) != LK_OK ||
        (st = lk_buf_putc(&k->content, '\0')) != LK_OK ||
        (st = lk_buf_putc(&k->objs, '\0')) != LK_OK) {
        if (k->jr)
            return k->jr->err = st;
        lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)k->line, lk_strerror(st));
        return st;
    }
    k->acc.len--;
    k->content.len--;
    k->objs.len--;
    if (k->jr)
        return journal_rec(k);
    memset(&r, 0, sizeof r);
    r.acc = k->acc.p;
    r.acc_len = k->acc.len;
    r.content = k->content.p;
    r.content_len = k->content.len;
    r.key = k->key.p;
    r.key_len = k->key.len;
    r.have_key = k->have_key;
    r.objs = k->objs.p;
    r.ob = k->ob;
    r.nob = k->nob;
    r.t = k->t;
    r.line = k->line;
    r.nt = k->nt_pending;
    r.nt_text = k->nt_text.p;
    r.nt_len = k->nt_text.len;
    return commit(k, &r);
}

lk_status lk_sink_replay(lk_sink *k, const lk_journal *j, uint64_t line_base)
{
    lk_input_stats *st = k->st;
    lk_status ret;

    for (size_t i = 0; i < j->n; i++) {
        const jent *e = &j->e[i];

        if (e->fmt >= 0)
            st->format_rows[e->fmt]++;
        if (e->flags & F_ROW)
            st->rows_read++;
        switch (e->kind) {
        case J_REC: {
            char *p = j->bytes.p + e->off;
            rec r;
            r.acc = p;
            r.acc_len = e->acc_len;
            p += e->acc_len + 1;
            r.content = p;
            r.content_len = e->content_len;
            p += e->content_len + 1;
            r.key = p;
            r.key_len = e->key_len;
            r.have_key = (e->flags & F_KEY) != 0;
            p += e->key_len + 1;
            r.objs = p;
            r.ob = j->ob + e->ob0;
            r.obj_h = k->ds ? j->oh + e->ob0 : NULL;
            r.acc_h = e->acc_h;
            r.obj_id = j->resolved ? j->oid + e->ob0 : NULL;
            r.acc_id = e->acc_id;
            r.nob = e->nob;
            r.t = e->t;
            r.line = e->line + line_base;
            r.nt = (e->flags & F_NT) != 0;
            r.nt_text = NULL;
            r.nt_len = 0;
            r.sig = e->sig == NO_SIG ? NULL : j->sig + e->sig;
            if ((ret = commit(k, &r)) != LK_OK)
                return ret;
            break;
        }
        case J_SKIP:
            st->skipped[e->why]++;
            break;
        case J_NOTPOST:
            st->skipped[LK_SKIP_NOT_A_POST]++;
            break;
        case J_BAD:
            st->skipped[e->why]++;
            if (!k->o.skip_bad_rows) {
                lk_errf(k->errbuf, "%s:%llu: %s", k->name, (unsigned long long)e->line + line_base,
                        j->bytes.p + e->off);
                return LK_EPARSE;
            }
            break;
        default: /* J_ROW, J_FMT: counted above */
            break;
        }
    }
    return LK_OK;
}

/* ---- ids found before the replay ------------------------------------------- */

/* Records apart of the lookups' prefetches: the slots 2 x RAHEAD records
 * ahead, what they lead to RAHEAD ahead (as the batches' AHEAD). */
#define RAHEAD ((size_t)8)

/* A kind of string (the objects of one trace, or the accounts: kind
 * K_ACCOUNTS) is no longer looked up in a journal once RSAMPLE lookups of it
 * found fewer than one id in RSHARE.  Those are mostly strings new in
 * their round (in the simulated data each shared post in one burst, and
 * unique texts: 9% and 0.6% found at 10^7, against 93% of the accounts and
 * 99% of the hashtags), which the commit looks up again: a hit moves a
 * lookup off the commit, a miss adds one. */
#define RSAMPLE 32u
#define RSHARE  4u

#define K_ACCOUNTS LK_TR_N

typedef struct rcount {
    uint32_t tried[K_ACCOUNTS + 1], found[K_ACCOUNTS + 1]; /* per kind */
} rcount;

/* Whether strings of kind x are still looked up. */
static int wanted(const rcount *c, unsigned x)
{
    return c->tried[x] < RSAMPLE || c->found[x] * RSHARE >= c->tried[x];
}

/* The kind of an object: its trace, from the byte the sink put before it
 * (LK_TRACE_BYTE; the modulo only keeps the index in bounds). */
static unsigned kind_of(const char *obj)
{
    return (unsigned)(unsigned char)(obj[0] - 'A') % LK_TR_N;
}

/* A J_REC's objects, after its account, content and key. */
static const char *jobjs(const lk_journal *j, const jent *e)
{
    return j->bytes.p + e->off + e->acc_len + 1 + e->content_len + 1 + e->key_len + 1;
}

/* Step `step` of the prefetches of e's lookups (of the kinds c still
 * looks up). */
static void resolve_fetch(const lk_dataset *ds, const lk_journal *j, const jent *e, int step,
                          const rcount *c)
{
    const char *objs;

    if (e->kind != J_REC)
        return;
    if (wanted(c, K_ACCOUNTS))
        fetch_one(ds->accounts, step, e->acc_h);
    objs = jobjs(j, e);
    for (uint32_t o = e->ob0; o < e->ob0 + e->nob; o++)
        if (wanted(c, kind_of(objs + j->ob[o].off)))
            fetch_one(ds->objects, step, j->oh[o]);
}

/* The id of (s, n, h) in pool, looked up when strings of kind x still
 * are (counted in c), else NO_ID. */
static uint32_t find_id(const lk_strpool *pool, rcount *c, unsigned x, const char *s, size_t n,
                        uint32_t h)
{
    uint32_t id;

    if (!wanted(c, x))
        return NO_ID;
    c->tried[x]++;
    if (!lk_strpool_find_hashed(pool, s, n, h, &id))
        return NO_ID;
    c->found[x]++;
    return id;
}

size_t lk_sink_resolve(const lk_sink *k, lk_journal *j, size_t *tried)
{
    const lk_dataset *ds = k->ds;
    lastrow last = {0, NULL, 0, NO_ID}; /* the previous record's account (NO_ID: not held) */
    rcount c;
    size_t found = 0;

    j->resolved = 0;
    if (!ds || j->err != LK_OK || !lk_strpool_indexed(ds->accounts) ||
        !lk_strpool_indexed(ds->objects) || LK_GROW(j->oid, j->nob, j->oidcap) != LK_OK)
        return 0;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < LK_MIN(2 * RAHEAD, j->n); i++)
        resolve_fetch(ds, j, &j->e[i], 0, &c);
    for (size_t i = 0; i < LK_MIN(RAHEAD, j->n); i++)
        resolve_fetch(ds, j, &j->e[i], 1, &c);
    for (size_t i = 0; i < j->n; i++) {
        jent *e = &j->e[i];
        const char *acc = j->bytes.p + e->off, *objs;

        if (i + 2 * RAHEAD < j->n)
            resolve_fetch(ds, j, &j->e[i + 2 * RAHEAD], 0, &c);
        if (i + RAHEAD < j->n)
            resolve_fetch(ds, j, &j->e[i + RAHEAD], 1, &c);
        if (e->kind != J_REC)
            continue;
        if (lastrow_is(&last, acc, e->acc_len)) {
            e->acc_id = last.id;
        } else {
            e->acc_id = find_id(ds->accounts, &c, K_ACCOUNTS, acc, e->acc_len, e->acc_h);
            last.have = 1;
            last.str = acc;
            last.len = e->acc_len;
            last.id = e->acc_id;
        }
        objs = jobjs(j, e);
        for (uint32_t o = e->ob0; o < e->ob0 + e->nob; o++) {
            const char *s = objs + j->ob[o].off;
            j->oid[o] = find_id(ds->objects, &c, kind_of(s), s, j->ob[o].len, j->oh[o]);
        }
    }
    for (unsigned x = 0; x <= K_ACCOUNTS; x++) {
        *tried += c.tried[x];
        found += c.found[x];
    }
    j->resolved = 1;
    return found;
}

void lk_sink_set_progress(lk_sink *k, lk_progress *p)
{
    k->prog = p;
}

lk_progress *lk_sink_progress(const lk_sink *k)
{
    return k->prog;
}
