/*
 * reader_par.c - one file read on several threads (--threads), with the
 * result of a serial read, byte for byte.
 *
 * The main thread's pipeline works in rounds.  In each round, on up to
 * `threads` threads at once (lk_par_run):
 *   - one task reads the next T x K chunks of about chunk_bytes each from
 *     the stream (plain or decompressed alike) and cuts them at record
 *     boundaries: JSON lines at a '\n', CSV at a '\n' where an even number
 *     of quotes has been seen since the last cut;
 *   - the chunks read in the previous round are parsed, one task each, by
 *     the format readers into worker sinks, which journal each record with
 *     chunk-local line numbers (sink.h);
 *   - one task replays the journals parsed in the previous round into the
 *     main sink, in chunk order (duplicates, interning, accounting, errors).
 * So reading, parsing and committing overlap, and memory stays at three
 * rounds of chunks and journals, reused from round to round.
 *
 * Exactness.  A chunk parsed from a true record boundary without a CSV
 * scanner error ends at a true boundary (its last '\n' was outside quotes,
 * or the scanner would have met the end inside a quoted field), so by
 * induction every chunk is parsed as the serial scanner would.  Quote
 * parity is only a guess at the boundaries (a quote inside an unquoted
 * field, which the scanner takes as data, upsets it), and a scanner error
 * may resynchronise on bytes beyond its chunk: so a chunk with a scanner
 * error, a stateful JSON format (Mastodon), a record longer than the
 * largest chunk, or a read error makes the rest of the file, from that
 * chunk's start, go to the serial reader (the bytes already read are given
 * back to the stream).  Line numbers: each chunk reports the lines it
 * spans; its first line is the sum of those before it.  Under --on-error
 * fail the first bad row in input order stops the replay, and nothing
 * after it is committed.
 *
 * Distributed (ro->dist_bytes, under mpirun).  A plain file is read by byte
 * range (run_striped, below).  Else every rank reads the whole
 * stream and cuts it the same way (the cutting depends on the bytes, the
 * chunk size and the chunks per round alone: the latter from the largest
 * thread count of any rank), but parses only chunks i with i % R == its
 * rank.  After each round the parsed journals, with each chunk's status,
 * serial flag and line count, are gathered on every rank, which then
 * replays all of them in chunk order as above: every rank takes the same
 * decisions and builds the same dataset.  What goes to the serial reader
 * is read by every rank alike.  Each round begins with lk_dist_agree(), so
 * a rank that fails (out of memory, packing) stops all of them.
 */
#include <stdlib.h>

#include "dist.h"
#include "par.h"
#include "reader_int.h"

/* Chunks per thread and round: enough for the tasks to even out (each
 * round ends at a barrier: on average half a chunk per thread is lost
 * there), few enough to bound memory: 3 rounds of T x PER_THREAD chunks
 * and their journals, about 2 x 3 x 8 x 0.5 MiB = 24 MiB per thread. */
#define PER_THREAD 8

/* Bytes per chunk (LK_CHUNK_BYTES or lk_read_opts.chunk_bytes override). */
#define CHUNK_DEFAULT ((size_t)512 << 10)

/* A record may take a chunk this far past its size; longer ones (and a
 * quote-parity guess gone wrong) go to the serial reader. */
#define EXTEND_MAX ((size_t)8 << 20)

/* Smallest read from the stream. */
#define READ_MIN ((size_t)1 << 20)

/* By byte range: a rank reads this much past its stripe's end with the
 * stripe (at most a quarter of a stripe), and more in steps that double
 * while the stripe's last record goes on. */
#define OVERHANG ((size_t)64 << 10)

typedef struct chunk {
    size_t off, len; /* in the set's data */
    lk_journal *jr;
    uint64_t lines, first_line;
    lk_status st;
    int serial;
} chunk;

typedef struct cset {
    lk_buf d;      /* data read in one round */
    chunk *c;      /* per_round slots, journals kept from round to round */
    size_t n;      /* chunks cut */
    size_t cut;    /* end of the last chunk: [cut, d.len) is carried over or the tail */
    uint64_t base; /* offset of d[0] in the data */
    int tail;      /* [cut, d.len) and the rest of the stream go to the serial reader */
    int eof;       /* the stream has ended */
    /* by byte range: this rank's stripe of the round */
    size_t own;               /* chunks cut from it (slots rank x per_rank on) */
    uint64_t q;               /* quotes in its raw range (CSV) */
    int failed;               /* read error, or no cut found after it: serial from its start */
    char rmsg[LK_ERRMSG_MAX]; /* the stream's error that ended the reading, or "" */
} cset;

typedef struct eng {
    lk_stream *s;
    const lk_chunk_ops *ops;
    lk_sink *k;
    char *errbuf;
    unsigned threads;
    size_t chunk, per_round;
    int csv;
    lk_sink **w; /* per thread */
    cset set[3];
    /* the round */
    cset *cm, *rd, *ps; /* commit, read into, parse */
    const char *carry;  /* for rd */
    size_t ncarry;
    lk_status cm_st, rd_st;
    /* distributed: this rank parses chunks rank, rank + ranks, ... */
    int dist;
    size_t rank, ranks;
    lk_buf xb;           /* this rank's packed journals of a round */
    lk_buf xall;         /* every rank's, gathered (kept: its pages are reused) */
    uint64_t *lens;      /* per rank */
    uint64_t *exchanged; /* bytes gathered, added up */
    /* distributed by byte range (a plain file): see run_striped */
    int stripe;
    uint64_t g, size, sbytes; /* file offset of the data, its bytes, bytes a stripe */
    size_t per_rank, rounds;  /* chunk slots a stripe, rounds */
    int parity;               /* CSV quote parity at the next round's first stripe */
    uint64_t *q;              /* per rank: quotes in the stripe read */
    size_t *cnt;              /* per rank: chunks received */
    uint64_t read_bytes;      /* by this rank */
    /* -vv: thread-seconds a worker spent reading, parsing, committing and
     * finding ids; the ids it looked up and found */
    double (*spent)[4];
    size_t (*ids)[2];
    /* -vv, distributed: seconds waiting for the other ranks, gathering the
     * journals, unpacking them, and packing this rank's */
    double xs[4];
} eng;

/* Before each chunk's journal in a round's exchange. */
typedef struct xhead {
    uint64_t index, lines, len; /* len: of the packed journal after this */
    uint64_t clen;              /* the chunk's bytes */
    int32_t st, serial;
} xhead;

/* Cut point: the end of the first '\n' at or after `target` (outside
 * quotes for CSV), or 0 when p[0, len) has none yet.  (*scan, *inq): how far
 * the search got and the quote parity there, kept between calls while more
 * data arrives. */
static size_t find_cut(int csv, const char *p, size_t len, size_t target, size_t *scan, int *inq)
{
    size_t i = *scan;

    if (csv) {
        const size_t lim = LK_MIN(target, len);
        while (i < lim) {
            const char *q = memchr(p + i, '"', lim - i);
            if (!q) {
                i = lim;
                break;
            }
            *inq ^= 1;
            i = (size_t)(q - p) + 1;
        }
        *scan = i;
        if (i < target)
            return 0;
    } else if (i < target) {
        if (len <= target)
            return 0;
        i = target;
    }
    for (;;) {
        const char *nl = i < len ? memchr(p + i, '\n', len - i) : NULL;
        const size_t e = nl ? (size_t)(nl - p) : len;

        if (csv)
            for (const char *q = p + i; (q = memchr(q, '"', (size_t)(p + e - q))); q++)
                *inq ^= 1;
        if (!nl) {
            *scan = len;
            return 0;
        }
        i = e + 1;
        if (!*inq) {
            *scan = i;
            return i;
        }
    }
}

/* Read more of the stream into d: at least `want` bytes unless it ends. */
static lk_status fill(eng *e, cset *d, size_t want)
{
    lk_status st;

    if ((st = lk_buf_reserve(&d->d, want)) != LK_OK)
        return st;
    while (want > 0) {
        const ptrdiff_t got = lk_stream_read(e->s, d->d.p + d->d.len, want);
        if (got < 0)
            return LK_EIO; /* met again by the serial reader, after the bytes read */
        if (got == 0) {
            d->eof = 1;
            break;
        }
        d->d.len += (size_t)got;
        want -= (size_t)got;
    }
    return LK_OK;
}

/* Fill set d for one round: the carry, then chunks cut from the stream. */
static lk_status read_set(eng *e, cset *d, const char *carry, size_t ncarry, uint64_t base)
{
    size_t pos = 0, scan = 0;
    int inq = 0;
    lk_status st;

    d->n = 0;
    d->base = base;
    d->tail = 0;
    d->eof = 0;
    d->rmsg[0] = '\0';
    lk_buf_reset(&d->d);
    if ((st = lk_buf_append(&d->d, carry, ncarry)) != LK_OK)
        return st;
    while (d->n < e->per_round) {
        const size_t target = pos + e->chunk;
        size_t cut = 0;

        while (!(cut = find_cut(e->csv, d->d.p, d->d.len, target, &scan, &inq)) && !d->eof) {
            const size_t need = target > d->d.len ? target - d->d.len : 0;
            if (d->d.len - pos > e->chunk + EXTEND_MAX) {
                d->tail = 1;
                break;
            }
            if ((st = fill(e, d, LK_MAX(need, READ_MIN))) == LK_ENOMEM)
                return st;
            if (st != LK_OK) {
                lk_errf(d->rmsg, "%s", lk_stream_errmsg(e->s));
                d->tail = 1;
                break;
            }
        }
        if (!cut) {
            if (!d->tail && pos < d->d.len) /* the end of the stream */
                cut = d->d.len;
            else
                break;
        }
        d->c[d->n].off = pos;
        d->c[d->n].len = cut - pos;
        d->n++;
        pos = scan = cut;
        inq = 0;
        if (d->eof && pos == d->d.len)
            break;
    }
    d->cut = pos;
    return LK_OK;
}

static void parse_chunk(eng *e, cset *ps, size_t i, unsigned worker)
{
    chunk *c = &ps->c[i];
    lk_sink *wk = e->w[worker];
    lk_status st, st2;

    c->serial = 0;
    c->lines = 0;
    lk_sink_journal_begin(wk, c->jr);
    st = e->ops->chunk(e->ops->ctx, worker, ps->d.p + c->off, c->len,
                       ps->base + c->off < e->ops->first_end, wk, &c->lines, &c->serial);
    st2 = lk_sink_journal_end(wk);
    c->st = st != LK_OK ? st : st2;
}

/* Replay chunks [0, upto) of cs into the main sink. */
static lk_status commit_set(eng *e, const cset *cs, size_t upto)
{
    for (size_t i = 0; i < upto; i++) {
        const chunk *c = &cs->c[i];
        lk_status st;

        if (c->st != LK_OK && c->st != LK_EPARSE)
            return c->st; /* out of memory in a worker: its journal is incomplete */
        if ((st = lk_sink_replay(e->k, c->jr, c->first_line - 1)) != LK_OK)
            return st;
        if (c->st != LK_OK) /* a worker stopped without a journaled error: not expected */
            return c->st;
    }
    return LK_OK;
}

static lk_status read_stripe(eng *e, cset *d);

/* The last round's commit, on the main thread alone (timed as a worker's). */
static lk_status commit_alone(eng *e, const cset *cm)
{
    const double t0 = lk_mono_s();
    const lk_status st = commit_set(e, cm, cm->n);

    e->spent[0][2] += lk_mono_s() - t0;
    return st;
}

/* Slot of the t-th chunk this rank parses in a round. */
static size_t slot(const eng *e, size_t t)
{
    return e->stripe ? e->rank * e->per_rank + t : e->rank + t * e->ranks;
}

static void task(void *ctx, size_t t, unsigned worker)
{
    eng *e = ctx;
    const double t0 = lk_mono_s();
    int what = 1; /* read 0, parse 1, commit 2 */

    if (e->cm && t == 0) {
        e->cm_st = commit_set(e, e->cm, e->cm->n);
        what = 2;
    } else if (e->rd && t == (e->cm != NULL)) {
        e->rd_st = e->stripe ? read_stripe(e, e->rd)
                             : read_set(e, e->rd, e->carry, e->ncarry, e->ps->base + e->ps->cut);
        what = 0;
    } else {
        t -= (e->cm != NULL) + (e->rd != NULL);
        parse_chunk(e, e->ps, slot(e, t), worker);
    }
    e->spent[worker][what] += lk_mono_s() - t0;
}

/* Chunks of ps this rank parses. */
static size_t mine(const eng *e, const cset *ps)
{
    if (e->stripe)
        return ps->own;
    return ps->n > e->rank ? (ps->n - e->rank + e->ranks - 1) / e->ranks : 0;
}

/* The ids of the t-th chunk this rank parsed, found in the main sink's
 * tables as they stand (nothing commits meanwhile). */
static void resolve_task(void *ctx, size_t t, unsigned worker)
{
    eng *e = ctx;
    const double t0 = lk_mono_s();
    chunk *c = &e->ps->c[slot(e, t)];

    if ((c->st == LK_OK || c->st == LK_EPARSE) && !c->serial)
        e->ids[worker][1] += lk_sink_resolve(e->k, c->jr, &e->ids[worker][0]);
    e->spent[worker][3] += lk_mono_s() - t0;
}

/*
 * Between two rounds, when no commit runs: the ids of ps's accounts and
 * objects that the tables already hold, found on every thread, each chunk
 * by the rank that parsed it (before the exchange, which carries them).
 * So the serial replay, which every rank makes of every chunk, looks up
 * only the strings that were new then (at 10^8 simulated actions, a
 * quarter of the objects and a tenth of the accounts), and the lookups of
 * the others are shared out over the threads and the ranks.
 */
static void resolve(eng *e, cset *ps, size_t n)
{
    e->ps = ps;
    (void)lk_par_run(e->threads, n, resolve_task, e);
}

/* This rank's parsed journals of ps, each after its xhead, into e->xb. */
static lk_status pack_mine(eng *e, const cset *ps)
{
    lk_buf *b = &e->xb;
    lk_status st;

    lk_buf_reset(b);
    for (size_t t = 0, n = mine(e, ps); t < n; t++) {
        const size_t i = slot(e, t);
        const chunk *c = &ps->c[i];
        xhead h;
        size_t at;

        if (c->st != LK_OK && c->st != LK_EPARSE)
            return c->st; /* out of memory: the journal is incomplete */
        memset(&h, 0, sizeof h);
        h.index = i;
        h.clen = c->len;
        h.lines = c->lines;
        h.st = (int32_t)c->st;
        h.serial = c->serial;
        at = b->len;
        if ((st = lk_buf_append(b, &h, sizeof h)) != LK_OK ||
            (st = lk_journal_pack(c->jr, b)) != LK_OK)
            return st;
        h.len = b->len - at - sizeof h;
        memcpy(b->p + at, &h, sizeof h);
    }
    return LK_OK;
}

/*
 * Collective: the least and the greatest of each x[0..n) (n <= 8) over the
 * ranks, in one reduction (the max of ~x is the complement of the min).
 */
static lk_status minmax_on_ranks(const uint64_t *x, size_t n, uint64_t *lo, uint64_t *hi)
{
    uint64_t v[16];
    lk_status st;

    for (size_t i = 0; i < n; i++) {
        v[2 * i] = x[i];
        v[2 * i + 1] = ~x[i];
    }
    if ((st = lk_dist_allreduce_u64(v, 2 * n, LK_DIST_MAX)) != LK_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        hi[i] = v[2 * i];
        lo[i] = ~v[2 * i + 1];
    }
    return LK_OK;
}

/*
 * Distributed: after a round, give every rank every chunk of ps, with st
 * this rank's status of the round so far.  The ranks first agree on the
 * status, then check that they cut the same chunks from the same bytes.
 * @return the agreed status; LK_EINVAL when the ranks' data differ.
 */
static lk_status exchange(eng *e, cset *ps, lk_status st)
{
    uint64_t lo[5], hi[5];
    const uint64_t own[5] = {ps->n, ps->cut, ps->d.len, ps->base, (uint64_t)ps->tail};
    const char *p, *end;
    size_t owner;
    double t0;

    t0 = lk_mono_s();
    if (st == LK_OK)
        st = pack_mine(e, ps);
    e->xs[3] += lk_mono_s() - t0;
    t0 = lk_mono_s();
    st = lk_dist_agree(st, e->errbuf);
    e->xs[0] += lk_mono_s() - t0;
    if (st != LK_OK)
        return st;
    if (e->stripe)
        goto gather; /* each rank has read its own bytes */
    if ((st = minmax_on_ranks(own, 5, lo, hi)) != LK_OK)
        return st;
    for (size_t i = 0; i < 5; i++)
        if (lo[i] != hi[i]) {
            /* most likely a read error on some ranks alone: the lowest one's */
            if (ps->rmsg[0])
                lk_errf(e->errbuf, "%s", ps->rmsg);
            if ((st = lk_dist_agree(ps->rmsg[0] ? LK_EIO : LK_OK, e->errbuf)) != LK_OK)
                return st;
            lk_errf(e->errbuf,
                    "%s: the ranks read different data (inputs must be the same files on a path "
                    "shared by all ranks)",
                    lk_stream_name(e->s));
            return LK_EINVAL;
        }
gather:
    t0 = lk_mono_s();
    st = lk_dist_allgather_buf(e->xb.p, e->xb.len, &e->xall, e->lens);
    e->xs[1] += lk_mono_s() - t0;
    if (st != LK_OK)
        return st;
    t0 = lk_mono_s();
    if (e->stripe)
        memset(e->cnt, 0, e->ranks * sizeof *e->cnt);
    p = e->xall.p;
    end = p;
    for (size_t r = 0; r < e->ranks; r++) {
        end += e->lens[r];
        *e->exchanged += e->lens[r];
    }
    while (st == LK_OK && p < end) {
        xhead h;
        chunk *c;

        if ((size_t)(end - p) < sizeof h) {
            st = LK_EINVAL;
            break;
        }
        memcpy(&h, p, sizeof h);
        p += sizeof h;
        if (h.index >= (e->stripe ? e->per_round : ps->n) || h.len > (uint64_t)(end - p)) {
            st = LK_EINVAL;
            break;
        }
        c = &ps->c[h.index];
        c->lines = h.lines;
        c->st = (lk_status)h.st;
        c->serial = h.serial;
        c->len = (size_t)h.clen;
        owner = e->stripe ? (size_t)h.index / e->per_rank : (size_t)h.index % e->ranks;
        if (owner != e->rank) /* this rank's own are in place */
            st = lk_journal_unpack(c->jr, p, (size_t)h.len);
        if (e->stripe && (size_t)h.index != owner * e->per_rank + e->cnt[owner]++)
            st = LK_EINVAL; /* each rank sends its chunks in order from its first slot */
        p += h.len;
    }
    if (e->stripe && st == LK_OK) {
        /* the chunks in input order: rank 0's stripe, then rank 1's, ... */
        size_t dst = 0;
        for (size_t r = 0; r < e->ranks; r++)
            for (size_t i = 0; i < e->cnt[r]; i++, dst++) {
                const size_t src = r * e->per_rank + i;
                if (src != dst) {
                    const chunk tmp = ps->c[dst];
                    ps->c[dst] = ps->c[src];
                    ps->c[src] = tmp;
                }
            }
        ps->n = dst;
    }
    e->xs[2] += lk_mono_s() - t0;
    if (st == LK_EINVAL) /* not expected: the same binary packed it */
        lk_errf(e->errbuf, "%s: a journal from another rank is malformed", lk_stream_name(e->s));
    return st;
}

/* Chunk bytes: the option, else LK_CHUNK_BYTES, else CHUNK_DEFAULT. */
static size_t chunk_size(const lk_read_opts *ro)
{
    const char *env = getenv("LK_CHUNK_BYTES");

    if (ro->chunk_bytes)
        return ro->chunk_bytes;
    if (env && *env) {
        char *end;
        const unsigned long long v = strtoull(env, &end, 10);
        if (*end == '\0' && v > 0 && v <= ((size_t)1 << 30))
            return (size_t)v;
    }
    return CHUNK_DEFAULT;
}

/* Hand everything read and not committed, from ps's byte `from` on, back
 * to the stream and read it serially. */
static lk_status fall_back(eng *e, const cset *ps, const cset *rd, size_t from, uint64_t line)
{
    const int first = ps->base + from < e->ops->first_end;
    lk_buf b;
    lk_status st;
    const size_t ncarry = ps->d.len - ps->cut;

    lk_buf_init(&b);
    st = lk_buf_append(&b, ps->d.p + from, ps->d.len - from);
    if (st == LK_OK && rd && rd->d.len > ncarry)
        st = lk_buf_append(&b, rd->d.p + ncarry, rd->d.len - ncarry);
    if (st == LK_OK)
        st = lk_stream_unread(e->s, b.p, b.len);
    lk_buf_release(&b);
    if (st != LK_OK)
        return st;
    return e->ops->rest(e->ops->ctx, line, first);
}

/* Whether the stream has more for another round after d. */
static int more(const cset *d)
{
    return !d->tail && !(d->eof && d->cut == d->d.len);
}

static lk_status run(eng *e, const char *pre, size_t npre, uint64_t line)
{
    cset *cm = NULL, *ps = &e->set[0];
    uint64_t next_line = line;
    int reading;
    lk_status st;

    if ((st = read_set(e, ps, pre, npre, 0)) != LK_OK)
        return st;
    reading = more(ps);
    while (ps) {
        cset *rd = NULL;
        size_t ntasks = mine(e, ps), bad;

        if (reading)
            for (int i = 0; i < 3 && !rd; i++)
                if (&e->set[i] != ps && &e->set[i] != cm)
                    rd = &e->set[i];
        e->cm = cm;
        e->rd = rd;
        e->ps = ps;
        e->carry = ps->d.p + ps->cut;
        e->ncarry = ps->d.len - ps->cut;
        ntasks += (cm != NULL) + (rd != NULL);
        e->cm_st = e->rd_st = LK_OK;
        /* the tasks all run even if a thread could not be started */
        (void)lk_par_run(e->threads, ntasks, task, e);
        lk_progress_poll(lk_sink_progress(e->k)); /* the round's tasks are done */
        if (e->cm_st == LK_OK && e->rd_st == LK_OK)
            resolve(e, ps, mine(e, ps));
        if (e->dist && (st = exchange(e, ps, e->cm_st != LK_OK ? e->cm_st : e->rd_st)) != LK_OK)
            return st;
        if (e->cm_st != LK_OK)
            return e->cm_st;
        if (e->rd_st != LK_OK)
            return e->rd_st;
        for (bad = 0; bad < ps->n; bad++) {
            ps->c[bad].first_line = next_line;
            if (ps->c[bad].serial)
                break;
            next_line += ps->c[bad].lines;
        }
        if (bad < ps->n || ps->tail) {
            if ((st = commit_set(e, ps, bad)) != LK_OK)
                return st;
            return fall_back(e, ps, rd, bad < ps->n ? ps->c[bad].off : ps->cut, next_line);
        }
        cm = ps;
        ps = rd;
        if (rd)
            reading = more(rd);
        if (!ps && cm) { /* the last round */
            if ((st = commit_alone(e, cm)) != LK_OK)
                return st;
            cm = NULL;
        }
    }
    return LK_OK;
}

/*
 * Distributed by byte range (e->stripe: mpirun, a plain regular file).
 * The data, from its first byte after what the format reader took (the
 * CSV header), is cut into stripes of sbytes = per_rank chunks each, at
 * fixed offsets: stripe k is [k sbytes, (k + 1) sbytes).  Round j's
 * stripes are j R .. j R + R - 1, rank r's being j R + r, and a rank reads
 * from the file its own stripes alone (and OVERHANG bytes after each, for
 * the record that straddles the end, more when it is longer).  A stripe's
 * records begin after the first '\n' in it (outside quotes for CSV) and
 * end after the first '\n' at or after its end, the next stripe's
 * beginning: so the stripes' records follow each other without a gap or
 * an overlap, a stripe with no '\n' of its own is empty, and by the
 * argument above every chunk is parsed as the serial reader would parse it
 * (a wrong cut makes a scanner error, and the rest of the file goes to the
 * serial reader).
 * CSV quote parity at a stripe's beginning is that of all the data before
 * it, from the quotes each rank counts in its stripe and the ranks share
 * after each read (one reduction of R counters).  Each rank cuts its
 * stripe into at most per_rank chunks in slots rank x per_rank on, parses
 * them, and the journals are gathered on every rank and put in input
 * order, then replayed as above.  A stripe that cannot be read, or whose
 * last record runs more than EXTEND_MAX past its end, becomes one
 * unparsed chunk marked serial: the rest of the file from its beginning,
 * which the other ranks know as the end of the chunks before it, is read
 * serially by every rank alike.
 */

/* Bytes read after a stripe with it. */
static size_t overhang(const eng *e)
{
    return (size_t)LK_MIN((uint64_t)OVERHANG, e->sbytes / 4 + 1);
}

/* Read task: this rank's stripe that starts at d->base, and overhang()
 * bytes after it; its quotes counted. */
static lk_status read_stripe(eng *e, cset *d)
{
    const uint64_t a = d->base, b = LK_MIN(a + e->sbytes, e->size);
    const size_t want = (size_t)(LK_MIN(b + overhang(e), e->size) - a);
    ptrdiff_t got;
    lk_status st;

    d->n = d->own = 0;
    d->q = 0;
    d->failed = 0;
    lk_buf_reset(&d->d);
    if (want == 0)
        return LK_OK;
    if ((st = lk_buf_reserve(&d->d, want)) != LK_OK)
        return st;
    got = lk_stream_pread(e->s, d->d.p, want, e->g + a);
    if (got != (ptrdiff_t)want) { /* an error or a file cut short: met again serially */
        d->failed = 1;
        return LK_OK;
    }
    d->d.len = want;
    e->read_bytes += want;
    if (e->csv)
        for (const char *p = d->d.p, *end = p + (b - a); (p = memchr(p, '"', (size_t)(end - p)));
             p++)
            d->q++;
    return LK_OK;
}

/* Every rank's quote count of the stripes just read, into e->q. */
static lk_status share_quotes(eng *e, const cset *d)
{
    memset(e->q, 0, e->ranks * sizeof *e->q);
    e->q[e->rank] = d->q;
    return lk_dist_allreduce_u64(e->q, e->ranks, LK_DIST_SUM);
}

/* This rank's chunks of stripe d (after share_quotes of its round). */
static lk_status cut_stripe(eng *e, cset *d)
{
    const uint64_t a = d->base, b = LK_MIN(a + e->sbytes, e->size);
    const size_t rlen = (size_t)(b - a), first = e->rank * e->per_rank;
    int in = e->parity, inq;
    size_t start = 0, end = 0, scan, pos;

    for (size_t r = 0; r < e->ranks; r++) {
        if (r == e->rank)
            in = e->parity;
        e->parity ^= (int)(e->q[r] & 1);
    }
    d->n = d->own = 0;
    if (!e->csv)
        in = 0;
    if (!d->failed && a < b && a > 0) {
        scan = 0;
        inq = in;
        if (!(start = find_cut(e->csv, d->d.p, rlen, 0, &scan, &inq)))
            return LK_OK; /* no record begins here: the stripe before runs through */
    }
    if (d->failed || a >= b)
        goto done;
    if (b == e->size) {
        end = d->d.len;
    } else {
        scan = rlen;
        inq = e->csv ? in ^ (int)(d->q & 1) : 0;
        while (!(end = find_cut(e->csv, d->d.p, d->d.len, rlen, &scan, &inq))) {
            const size_t more = (size_t)LK_MIN((uint64_t)LK_MAX(d->d.len - rlen, overhang(e)),
                                               e->size - (a + d->d.len));
            ptrdiff_t got;
            lk_status st;

            if (more == 0) {
                end = d->d.len; /* the end of the data */
                break;
            }
            if (d->d.len - rlen > EXTEND_MAX) {
                d->failed = 1;
                goto done;
            }
            if ((st = lk_buf_reserve(&d->d, more)) != LK_OK)
                return st;
            got = lk_stream_pread(e->s, d->d.p + d->d.len, more, e->g + a + d->d.len);
            if (got != (ptrdiff_t)more) {
                d->failed = 1;
                goto done;
            }
            d->d.len += more;
            e->read_bytes += more;
        }
    }
    for (pos = start; pos < end;) {
        chunk *c = &d->c[first + d->own++];
        size_t cut = 0;

        if (d->own < e->per_rank && end - pos > e->chunk) {
            scan = pos;
            inq = 0;
            cut = find_cut(e->csv, d->d.p, end, pos + e->chunk, &scan, &inq);
        }
        c->off = pos;
        c->len = (cut ? cut : end) - pos;
        pos += c->len;
    }
done:
    if (d->failed) { /* one chunk, not parsed, that sends the rest to the serial reader */
        chunk *c = &d->c[first];
        d->own = 1;
        c->off = start;
        c->len = 0;
        c->lines = 0;
        c->st = LK_OK;
        c->serial = 1;
    }
    return LK_OK;
}

static lk_status run_striped(eng *e, uint64_t line)
{
    cset *cm = NULL, *ps = &e->set[0];
    uint64_t next_line = line, next_off = 0;
    size_t round = 0;
    lk_status st, cut_st;

    ps->base = LK_MIN((uint64_t)e->rank * e->sbytes, e->size);
    st = read_stripe(e, ps);
    if ((st = lk_dist_agree(st, e->errbuf)) != LK_OK || (st = share_quotes(e, ps)) != LK_OK)
        return st;
    cut_st = cut_stripe(e, ps);
    for (;;) {
        cset *rd = NULL;
        size_t bad, parse;

        if (round + 1 < e->rounds) {
            for (int i = 0; i < 3 && !rd; i++)
                if (&e->set[i] != ps && &e->set[i] != cm)
                    rd = &e->set[i];
            rd->base = LK_MIN(((uint64_t)(round + 1) * e->ranks + e->rank) * e->sbytes, e->size);
        }
        e->cm = cm;
        e->rd = rd;
        e->ps = ps;
        e->cm_st = e->rd_st = LK_OK;
        /* a stripe that failed is not parsed: its one chunk stands for it */
        parse = cut_st == LK_OK && !ps->failed ? ps->own : 0;
        (void)lk_par_run(e->threads, parse + (cm != NULL) + (rd != NULL), task, e);
        lk_progress_poll(lk_sink_progress(e->k));
        if (e->cm_st == LK_OK && e->rd_st == LK_OK)
            resolve(e, ps, parse);
        st = cut_st != LK_OK ? cut_st : e->cm_st != LK_OK ? e->cm_st : e->rd_st;
        if ((st = exchange(e, ps, st)) != LK_OK || (rd && (st = share_quotes(e, rd)) != LK_OK))
            return st;
        for (bad = 0; bad < ps->n; bad++) {
            ps->c[bad].first_line = next_line;
            if (ps->c[bad].serial)
                break;
            next_line += ps->c[bad].lines;
            next_off += ps->c[bad].len;
        }
        if (bad < ps->n) {
            if ((st = commit_set(e, ps, bad)) != LK_OK)
                return st;
            if ((st = lk_stream_seek(e->s, e->g + next_off)) != LK_OK) {
                lk_errf(e->errbuf, "%s", lk_stream_errmsg(e->s));
                return st;
            }
            return e->ops->rest(e->ops->ctx, next_line, next_off < e->ops->first_end);
        }
        if ((st = lk_stream_seek(e->s, e->g + next_off)) != LK_OK) { /* progress */
            lk_errf(e->errbuf, "%s", lk_stream_errmsg(e->s));
            return st;
        }
        cm = ps;
        ps = rd;
        round++;
        if (!ps)
            break;
        cut_st = cut_stripe(e, ps);
    }
    st = commit_alone(e, cm);
    if (st == LK_OK && (st = lk_stream_seek(e->s, e->g + e->size)) != LK_OK)
        lk_errf(e->errbuf, "%s", lk_stream_errmsg(e->s));
    return st;
}

/*
 * Whether this run reads by byte range: every rank has the same plain
 * regular file, and pre holds its bytes just before the stream's position
 * (checked: what the format reader took is read again from the file).
 */
static lk_status stripe_setup(eng *e, const char *pre, size_t npre)
{
    uint64_t fsize = 0, x[2], lo[2], hi[2];
    int ok = getenv("LK_DIST_READ_ALL") == NULL && lk_stream_seekable(e->s, &fsize) &&
             lk_stream_tell(e->s) >= npre && lk_stream_tell(e->s) <= fsize;
    lk_status st = LK_OK;

    if (ok && npre > 0) {
        char *b = malloc(npre);
        if (!b)
            st = LK_ENOMEM;
        else
            ok = lk_stream_pread(e->s, b, npre, lk_stream_tell(e->s) - npre) == (ptrdiff_t)npre &&
                 memcmp(b, pre, npre) == 0;
        free(b);
    }
    if ((st = lk_dist_agree(st, e->errbuf)) != LK_OK)
        return st;
    x[0] = (uint64_t)ok;
    x[1] = fsize;
    if ((st = minmax_on_ranks(x, 2, lo, hi)) != LK_OK)
        return st;
    if (!lo[0]) { /* some rank cannot: all read the whole stream */
        if (strcmp(lk_stream_codec(e->s), "plain") != 0)
            lk_log(LK_LOG_INFO,
                   "%s: %s data is read whole by every rank (decompressed, the file would be "
                   "read by byte range, each rank its share)",
                   lk_stream_name(e->s), lk_stream_codec(e->s));
        return LK_OK;
    }
    if (lo[1] != hi[1]) {
        lk_errf(e->errbuf,
                "%s: the ranks see files of different sizes (inputs must be the same files on a "
                "path shared by all ranks)",
                lk_stream_name(e->s));
        return LK_EINVAL;
    }
    e->stripe = 1;
    e->g = lk_stream_tell(e->s) - npre;
    e->size = fsize - e->g;
    e->per_rank = e->per_round / e->ranks;
    e->sbytes = (uint64_t)e->per_rank * e->chunk;
    e->rounds = (size_t)LK_MAX((e->size + e->sbytes * e->ranks - 1) / (e->sbytes * e->ranks), 1);
    if (!(e->q = calloc(e->ranks, sizeof *e->q)) || !(e->cnt = calloc(e->ranks, sizeof *e->cnt)))
        st = LK_ENOMEM;
    return lk_dist_agree(st, e->errbuf);
}

lk_status lk_read_chunked(lk_stream *s, const lk_read_opts *ro, const char *pre, size_t npre,
                          uint64_t line, const lk_chunk_ops *ops, lk_sink *k, char *errbuf)
{
    eng e;
    lk_status st = LK_OK;

    memset(&e, 0, sizeof e);
    e.s = s;
    e.ops = ops;
    e.k = k;
    e.errbuf = errbuf;
    e.threads = LK_MIN(LK_MAX(ro->threads, 1u), (unsigned)LK_PAR_MAX);
    e.chunk = chunk_size(ro);
    e.per_round = (size_t)e.threads * PER_THREAD;
    e.csv = ops->csv;
    e.ranks = 1;
    e.dist = ro->dist_bytes && lk_dist_size() > 1;
    e.exchanged = ro->dist_bytes;
    lk_buf_init(&e.xb);
    lk_buf_init(&e.xall);
    for (int i = 0; i < 3; i++)
        lk_buf_init(&e.set[i].d);
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers
    if (!(e.w = calloc(e.threads, sizeof *e.w)) ||
        !(e.spent = calloc(e.threads, sizeof *e.spent)) ||
        !(e.ids = calloc(e.threads, sizeof *e.ids)))
        st = LK_ENOMEM;
    for (unsigned w = 0; e.w && w < e.threads && st == LK_OK; w++)
        st = lk_sink_new_worker(k, &e.w[w]);
    if (e.dist) {
        /* every rank cuts the same chunks: as many per round as the rank
         * with the most threads would take, times the ranks */
        uint64_t t = e.threads;
        e.rank = (size_t)lk_dist_rank();
        e.ranks = (size_t)lk_dist_size();
        if (st == LK_OK && !(e.lens = calloc(e.ranks, sizeof *e.lens)))
            st = LK_ENOMEM;
        if ((st = lk_dist_agree(st, errbuf)) == LK_OK)
            st = lk_dist_allreduce_u64(&t, 1, LK_DIST_MAX);
        e.per_round = (size_t)t * PER_THREAD * e.ranks;
        if (st == LK_OK)
            st = stripe_setup(&e, pre, npre);
    }
    if (st != LK_OK)
        goto done;
    for (int i = 0; i < 3 && st == LK_OK; i++) {
        if (!(e.set[i].c = calloc(e.per_round, sizeof *e.set[i].c))) {
            st = LK_ENOMEM;
            break;
        }
        for (size_t c = 0; c < e.per_round && st == LK_OK; c++)
            st = lk_journal_new(&e.set[i].c[c].jr);
    }
    if (st == LK_OK) {
        const double t0 = lk_mono_s();
        double sum[4] = {0, 0, 0, 0};
        unsigned long long ids[2] = {0, 0};
        st = e.stripe ? run_striped(&e, line) : run(&e, pre, npre, line);
        for (unsigned w = 0; w < e.threads; w++) {
            for (int i = 0; i < 4; i++)
                sum[i] += e.spent[w][i];
            ids[0] += e.ids[w][0];
            ids[1] += e.ids[w][1];
        }
        lk_log(LK_LOG_DEBUG,
               "%s: read on %u threads in %.3f s: %.3f s reading, %.3f s parsing, %.3f s "
               "committing, %.3f s finding ids (thread-seconds); %llu of %llu ids found before "
               "the commit",
               lk_stream_name(s), e.threads, lk_mono_s() - t0, sum[0], sum[1], sum[2], sum[3],
               ids[1], ids[0]);
        if (e.dist)
            lk_log(LK_LOG_DEBUG,
                   "%s: exchanges: %.3f s packing, %.3f s waiting for the other ranks, %.3f s "
                   "gathering, %.3f s unpacking",
                   lk_stream_name(s), e.xs[3], e.xs[0], e.xs[1], e.xs[2]);
        if (e.stripe && ro->dist_read)
            *ro->dist_read += e.read_bytes;
        if (e.stripe)
            lk_log(LK_LOG_DEBUG,
                   "%s: read by byte range: this rank read %llu of the data's %llu bytes, in "
                   "%zu rounds of %zu stripes of %llu bytes",
                   lk_stream_name(s), (unsigned long long)e.read_bytes, (unsigned long long)e.size,
                   e.rounds, e.ranks, (unsigned long long)e.sbytes);
    }
done:
    if (st == LK_ENOMEM && !errbuf[0])
        lk_errf(errbuf, "%s: out of memory", lk_stream_name(s));
    for (unsigned w = 0; e.w && w < e.threads; w++)
        lk_sink_free(e.w[w]);
    free(e.w);
    free(e.spent);
    free(e.ids);
    for (int i = 0; i < 3; i++) {
        for (size_t c = 0; e.set[i].c && c < e.per_round; c++)
            lk_journal_free(e.set[i].c[c].jr);
        free(e.set[i].c);
        lk_buf_release(&e.set[i].d);
    }
    lk_buf_release(&e.xb);
    lk_buf_release(&e.xall);
    free(e.lens);
    free(e.q);
    free(e.cnt);
    return st;
}
