/* xintern.c - strings a frozen pool did not take in, resolved after reading
 * (xintern.h).
 *
 * The file holds, in the order they are written:
 *   blocks   while adding, each partition's records [len][step][bytes]
 *            (varints; step: how far the occurrence's place among all,
 *            its seq, is past the partition's record before), 16 KiB of
 *            them at a time, or one record longer than that on its own;
 *   L        per partition, 4 bytes an occurrence: its local id (order of
 *            first occurrence within the partition), later its real id
 *            (resolving) or kept (deduping);
 *   S, F     resolving only: per partition, its distinct strings [u32
 *            len][bytes] and the seq of each one's first occurrence (u64),
 *            placed as each partition ends (so their offsets vary between
 *            runs, never their content);
 *   G        resolving only: per partition, the real id of each local id.
 */
#include "xintern.h"

#include <stdatomic.h>

#include "par.h"
#include "tmpfile.h"
#include "wbehind.h"

#define NPART LK_STRPOOL_PROVISIONAL
/* A partition's write buffer while adding, and the buffers of one
 * partition's pass while resolving: 16 KiB, so that 256 of them stay under
 * 4 MiB and a write or read still moves many records. */
#define WBUF ((size_t)16 << 10)
/* The merge holds three buffers per partition at once: smaller ones (3 MiB
 * in all), still a few hundred strings a read. */
#define MBUF ((size_t)4 << 10)
/* A record's head: its length and the step from the partition's record
 * before it in seq, each as a LEB128 varint (2-3 bytes for most records,
 * against 12 as two fixed fields: 21% of the file at 2.5 x 10^8 actions) */
#define REC_HEAD_MAX 15

/* ADDING, then RESOLVING -> RESOLVED (ids) or DEDUPING -> DEDUPED (first
 * occurrences only); the -ING states last one call, and a failure there is
 * sticky (x->err), so no call ever sees them. */
enum { ADDING, RESOLVING, RESOLVED, DEDUPING, DEDUPED };

typedef struct blk {
    uint64_t off, len;
} blk;

typedef struct part {
    unsigned char *wbuf; /* while adding: records not yet written (WBUF) */
    size_t wused;
    blk *blk; /* the blocks written, in order */
    size_t nblk, blk_cap;
    uint64_t occ, distinct;
    uint64_t last_seq;                          /* while adding: the seq of its last record */
    uint64_t l_off, s_off, s_len, f_off, g_off; /* its regions */
    uint64_t taken;                             /* occurrences lk_xintern_next(_first) gave back */
    uint64_t seen;                              /* deduped: distinct strings among them */
    uint32_t *rbuf;                             /* L read ahead for them (WBUF bytes) */
    size_t rpos, rlen;
} part;

struct lk_xintern {
    const char *dir; /* resolved: named in every message */
    int fd;
    int state;
    uint64_t end; /* the file's length */
    uint64_t count, distinct;
    lk_sticky err;  /* the first failure, returned again by every call */
    lk_wbehind *wb; /* adding: lk_xintern_write_behind()'s, else NULL */
    part part[NPART];
};

lk_status lk_xintern_new(const char *dir, lk_xintern **out, char *errbuf)
{
    lk_xintern *x = calloc(1, sizeof *x);
    lk_status st;

    if (!x)
        return LK_ENOMEM;
    x->dir = lk_tmpfile_dir(dir);
    /* made now, not at the first write: a folder that cannot hold it is
     * told when the pool freezes, not at some later string */
    if ((st = lk_tmpfile_open(x->dir, &x->fd, errbuf)) != LK_OK) {
        free(x);
        return st;
    }
    *out = x;
    return LK_OK;
}

void lk_xintern_write_behind(lk_xintern *x, lk_wbehind *wb)
{
    x->wb = wb;
}

void lk_xintern_free(lk_xintern *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < NPART; i++) {
        free(x->part[i].wbuf);
        free(x->part[i].blk);
        free(x->part[i].rbuf);
    }
    lk_wbehind_drain(x->wb); /* nothing written behind after the file closes */
    lk_tmpfile_close(x->fd);
    free(x);
}

uint64_t lk_xintern_count(const lk_xintern *x)
{
    return x->count;
}

uint64_t lk_xintern_file_bytes(const lk_xintern *x)
{
    return x->end;
}

uint64_t lk_xintern_distinct(const lk_xintern *x)
{
    return x->distinct;
}

/* ---- adding -------------------------------------------------------------- */

/* v as a LEB128 varint at out; returns its bytes (at most 10). */
static size_t put_varint(unsigned char *out, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

/* A varint of in[0..avail) into *v; returns its bytes, 0 when it runs past
 * avail or past 64 bits (a file read back corrupt). */
static size_t get_varint(const unsigned char *in, size_t avail, uint64_t *v)
{
    uint64_t r = 0;

    for (size_t i = 0; i < avail && i < 10; i++) {
        r |= (uint64_t)(in[i] & 0x7f) << (7 * i);
        if (!(in[i] & 0x80)) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

/* Room for one more block in p's list, then its place: the file's end. */
static lk_status new_block(const lk_xintern *x, part *p, uint64_t len, uint64_t *off)
{
    const lk_status st = LK_GROW(p->blk, p->nblk + 1, p->blk_cap);

    if (st != LK_OK)
        return st;
    *off = x->end;
    p->blk[p->nblk].off = x->end;
    p->blk[p->nblk].len = len;
    return LK_OK;
}

/* The partition's buffered records to the file as one block. */
static lk_status flush_part(lk_xintern *x, part *p, char *errbuf)
{
    uint64_t off;
    lk_status st;

    if (!p->wused)
        return LK_OK;
    if ((st = new_block(x, p, p->wused, &off)) != LK_OK ||
        (st = lk_wbehind_write(x->wb, x->fd, p->wbuf, p->wused, off, x->dir, errbuf)) != LK_OK)
        return st;
    p->nblk++;
    x->end += p->wused;
    p->wused = 0;
    return LK_OK;
}

lk_status lk_xintern_add(lk_xintern *x, const char *s, size_t n, uint32_t h, uint32_t *prov,
                         char *errbuf)
{
    const unsigned k = (h >> 24) % NPART;
    part *const p = &x->part[k];
    unsigned char head[REC_HEAD_MAX];
    size_t hn;
    lk_status st;

    if (x->err.err)
        return lk_sticky_failed(&x->err, errbuf);
    if (x->state != ADDING)
        return LK_EINVAL;
    if (n > UINT32_MAX)
        return LK_ELIMIT;
    hn = put_varint(head, n);
    hn += put_varint(head + hn, x->count - p->last_seq);
    if (hn + n > WBUF) {
        /* a block of its own, written from the caller's bytes: a long
         * string is never copied (but once when written behind) */
        uint64_t off;

        if ((st = flush_part(x, p, errbuf)) != LK_OK ||
            (st = new_block(x, p, hn + n, &off)) != LK_OK ||
            (st = lk_wbehind_write(x->wb, x->fd, head, hn, off, x->dir, errbuf)) != LK_OK ||
            (st = lk_wbehind_write(x->wb, x->fd, s, n, off + hn, x->dir, errbuf)) != LK_OK)
            return lk_sticky_fail(&x->err, st, errbuf);
        p->nblk++;
        x->end += hn + n;
    } else {
        if (!p->wbuf && !(p->wbuf = malloc(WBUF)))
            return lk_sticky_fail(&x->err, LK_ENOMEM, errbuf);
        if (p->wused + hn + n > WBUF && (st = flush_part(x, p, errbuf)) != LK_OK)
            return lk_sticky_fail(&x->err, st, errbuf);
        memcpy(p->wbuf + p->wused, head, hn);
        if (n)
            memcpy(p->wbuf + p->wused + hn, s, n);
        p->wused += hn + n;
    }
    p->last_seq = x->count;
    p->occ++;
    x->count++;
    *prov = UINT32_MAX - 1 - k;
    return LK_OK;
}

/* ---- sequential access to a region ------------------------------------- */

/* Reads a region [off, end) of the file front to back through buf. */
typedef struct rd {
    uint64_t off, end; /* the next byte not yet in buf; the region's end */
    unsigned char *buf;
    size_t pos, len, cap;
} rd;

static void rd_init(rd *r, unsigned char *buf, size_t cap, uint64_t off, uint64_t len)
{
    r->off = off;
    r->end = off + len;
    r->buf = buf;
    r->pos = r->len = 0;
    r->cap = cap;
}

/* The region's next n bytes into dst; what does not fit in buf is read
 * straight into dst (a long string). */
static lk_status rd_get(rd *r, const lk_xintern *x, void *dst, size_t n, char *errbuf)
{
    unsigned char *d = dst;

    for (;;) {
        const size_t k = LK_MIN(n, r->len - r->pos);
        lk_status st;

        if (k) {
            memcpy(d, r->buf + r->pos, k);
            r->pos += k;
            d += k;
            n -= k;
        }
        if (!n)
            return LK_OK;
        if (n > r->end - r->off) /* a length read back, past its region */
            return lk_tmpfile_corrupt(x->dir, errbuf);
        if (n >= r->cap) {
            st = lk_tmpfile_read(x->fd, d, n, r->off, x->dir, errbuf);
            r->off += n;
            return st;
        }
        r->len = (size_t)LK_MIN((uint64_t)r->cap, r->end - r->off);
        r->pos = 0;
        if ((st = lk_tmpfile_read(x->fd, r->buf, r->len, r->off, x->dir, errbuf)) != LK_OK)
            return st;
        r->off += r->len;
    }
}

/* Writes a region front to back from off through buf. */
typedef struct wr {
    uint64_t off; /* where buf's first byte goes */
    unsigned char *buf;
    size_t used, cap;
} wr;

static lk_status wr_flush(wr *w, const lk_xintern *x, char *errbuf)
{
    const lk_status st = lk_tmpfile_write(x->fd, w->buf, w->used, w->off, x->dir, errbuf);

    w->off += w->used;
    w->used = 0;
    return st;
}

static lk_status wr_put(wr *w, const lk_xintern *x, const void *src, size_t n, char *errbuf)
{
    lk_status st;

    if (w->used + n > w->cap && (st = wr_flush(w, x, errbuf)) != LK_OK)
        return st;
    if (n > w->cap) {
        st = lk_tmpfile_write(x->fd, src, n, w->off, x->dir, errbuf);
        w->off += n;
        return st;
    }
    if (n)
        memcpy(w->buf + w->used, src, n);
    w->used += n;
    return LK_OK;
}

/* ---- resolving: one partition's distinct strings (on threads) ----------- */

typedef struct job {
    lk_xintern *x;
    int keep;                 /* resolving: S and F written too */
    atomic_uint_fast64_t end; /* the file's end while partitions place S, F */
    lk_status st[NPART];
    char msg[NPART][LK_ERRMSG_MAX];
} job;

/* S and F of p: its pool's strings in local id order, and their first
 * seqs, placed at the file's end as the partition ends. */
static lk_status put_strings(const lk_xintern *x, part *p, const lk_strpool *tp,
                             const uint64_t *first, uint64_t s_len, atomic_uint_fast64_t *end,
                             wr *w, char *errbuf)
{
    lk_status st;

    p->s_len = s_len;
    p->s_off = atomic_fetch_add(end, s_len + p->distinct * 8);
    p->f_off = p->s_off + s_len;
    w->off = p->s_off;
    for (size_t i = 0; i < p->distinct; i++) {
        size_t n;
        const char *s = lk_strpool_get(tp, (uint32_t)i, &n);
        const uint32_t n32 = (uint32_t)n;

        if ((st = wr_put(w, x, &n32, 4, errbuf)) != LK_OK ||
            (st = wr_put(w, x, s, n, errbuf)) != LK_OK)
            return st;
    }
    if ((st = wr_flush(w, x, errbuf)) == LK_OK && p->distinct)
        st = lk_tmpfile_write(x->fd, first, p->distinct * 8, p->f_off, x->dir, errbuf);
    return st;
}

/* Intern p's occurrences into a pool of its own, in order: local ids in
 * order of first occurrence within the partition, which is the order its
 * strings take among all (seqs increase along its blocks).  L gets each
 * occurrence's local id; with keep, S and F each distinct string and its
 * first seq (deduping needs neither: L alone tells a first occurrence). */
static lk_status dedup_part(lk_xintern *x, part *p, int keep, atomic_uint_fast64_t *end,
                            char *errbuf)
{
    lk_strpool *tp = NULL;
    unsigned char *in = NULL, *out = malloc(WBUF);
    uint64_t *first = NULL;
    size_t in_cap = 0, ndistinct = 0, first_cap = 0;
    uint64_t s_len = 0, seq = 0; /* the records' seqs, step by step */
    wr w = {p->l_off, out, 0, WBUF};
    lk_status st;

    if (!out) {
        st = LK_ENOMEM;
        goto cleanup;
    }
    if ((st = lk_strpool_new(&tp)) != LK_OK)
        goto cleanup;
    for (size_t b = 0; b < p->nblk; b++) {
        const uint64_t len = p->blk[b].len;

        if ((st = LK_GROW(in, (size_t)len, in_cap)) != LK_OK ||
            (st = lk_tmpfile_read(x->fd, in, (size_t)len, p->blk[b].off, x->dir, errbuf)) != LK_OK)
            goto cleanup;
        for (size_t o = 0; o < len;) {
            const char *s;
            uint64_t n, step;
            uint32_t lid;
            size_t a, b2;
            int is_new;

            /* the head's two varints, then n bytes, all within the block */
            if (!(a = get_varint(in + o, (size_t)len - o, &n)) ||
                !(b2 = get_varint(in + o + a, (size_t)len - o - a, &step)) ||
                n > len - o - a - b2 || step > x->count - seq) {
                st = lk_tmpfile_corrupt(x->dir, errbuf);
                goto cleanup;
            }
            seq += step;
            o += a + b2;
            s = (const char *)in + o;
            if ((st = lk_strpool_intern_hashed(tp, s, (size_t)n, lk_strpool_hash(s, (size_t)n),
                                               &lid, &is_new)) != LK_OK)
                goto cleanup;
            if (is_new && keep) {
                if ((st = LK_GROW(first, ndistinct + 1, first_cap)) != LK_OK)
                    goto cleanup;
                first[ndistinct] = seq;
                s_len += 4 + (uint64_t)n;
            }
            ndistinct += (size_t)is_new;
            if ((st = wr_put(&w, x, &lid, 4, errbuf)) != LK_OK)
                goto cleanup;
            o += (size_t)n;
        }
    }
    if ((st = wr_flush(&w, x, errbuf)) != LK_OK)
        goto cleanup;
    free(in); /* the strings' copies below need no more than the pool */
    in = NULL;
    p->distinct = ndistinct;
    if (keep)
        st = put_strings(x, p, tp, first, s_len, end, &w, errbuf);
cleanup:
    lk_strpool_free(tp);
    free(in);
    free(out);
    free(first);
    return st;
}

static void dedup_task(void *ctx, size_t task, unsigned worker)
{
    job *const j = ctx;
    part *const p = &j->x->part[task];

    (void)worker;
    j->st[task] = p->occ ? dedup_part(j->x, p, j->keep, &j->end, j->msg[task]) : LK_OK;
}

/* L's local ids replaced with real ids, read from G (4 bytes a distinct
 * string of the partition, in memory for the pass). */
static lk_status relabel_part(const lk_xintern *x, const part *p, char *errbuf)
{
    const size_t chunk = WBUF / 4;
    uint32_t *g = malloc(p->distinct * 4), *buf = malloc(WBUF);
    lk_status st = LK_OK;

    if (!g || !buf) {
        st = LK_ENOMEM;
        goto cleanup;
    }
    if ((st = lk_tmpfile_read(x->fd, g, p->distinct * 4, p->g_off, x->dir, errbuf)) != LK_OK)
        goto cleanup;
    for (uint64_t i = 0; i < p->occ; i += chunk) {
        const size_t k = (size_t)LK_MIN((uint64_t)chunk, p->occ - i);
        const uint64_t off = p->l_off + i * 4;

        if ((st = lk_tmpfile_read(x->fd, buf, k * 4, off, x->dir, errbuf)) != LK_OK)
            goto cleanup;
        for (size_t m = 0; m < k; m++) {
            if (buf[m] >= p->distinct) {
                st = lk_tmpfile_corrupt(x->dir, errbuf);
                goto cleanup;
            }
            buf[m] = g[buf[m]];
        }
        if ((st = lk_tmpfile_write(x->fd, buf, k * 4, off, x->dir, errbuf)) != LK_OK)
            goto cleanup;
    }
cleanup:
    free(g);
    free(buf);
    return st;
}

static void relabel_task(void *ctx, size_t task, unsigned worker)
{
    job *const j = ctx;
    const part *const p = &j->x->part[task];

    (void)worker;
    j->st[task] = p->occ ? relabel_part(j->x, p, j->msg[task]) : LK_OK;
}

/* Run fn on every partition, and return the first failure in partition
 * order (its message into errbuf), whichever thread met it first. */
static lk_status run_parts(job *j, unsigned threads, lk_task_fn fn, char *errbuf)
{
    /* lk_par_run runs every task even when a thread fails to start */
    (void)lk_par_run(threads, NPART, fn, j);
    for (size_t i = 0; i < NPART; i++)
        if (j->st[i] != LK_OK) {
            (void)snprintf(errbuf, LK_ERRMSG_MAX, "%s", j->msg[i]);
            return j->st[i];
        }
    return LK_OK;
}

/* ---- resolving: the merge (serial) -------------------------------------- */

/* A partition in the merge: its next distinct string's first seq (the
 * heap's key), its readers of F and S, its writer of G. */
typedef struct mpart {
    uint64_t key, left; /* left: strings not yet appended */
    rd f, s;
    wr g;
} mpart;

static void sift_down(mpart **h, size_t n, size_t i)
{
    for (;;) {
        size_t m = i;
        const size_t l = 2 * i + 1, r = l + 1;

        if (l < n && h[l]->key < h[m]->key)
            m = l;
        if (r < n && h[r]->key < h[m]->key)
            m = r;
        if (m == i)
            return;
        {
            mpart *const t = h[i];

            h[i] = h[m];
            h[m] = t;
        }
        i = m;
    }
}

/* Append every partition's distinct strings to pool in order of first
 * seq: each partition's list increases, so a heap over their heads (256 at
 * most) gives the global order.  Seqs are distinct, so no tie. */
static lk_status merge(lk_xintern *x, lk_strpool *pool, char *errbuf)
{
    mpart *mp = calloc(NPART, sizeof *mp);
    mpart *heap[NPART];
    unsigned char *bufs = NULL;
    char *str = NULL;
    size_t nh = 0, nactive = 0, str_cap = 0;
    lk_status st = LK_OK;

    for (size_t i = 0; i < NPART; i++)
        nactive += x->part[i].distinct > 0;
    if (!mp || !(bufs = malloc(nactive * 3 * MBUF))) {
        st = LK_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < NPART; i++) {
        const part *const p = &x->part[i];
        mpart *const m = &mp[i];
        unsigned char *const b = bufs + nh * 3 * MBUF;

        if (!p->distinct)
            continue;
        rd_init(&m->f, b, MBUF, p->f_off, p->distinct * 8);
        rd_init(&m->s, b + MBUF, MBUF, p->s_off, p->s_len);
        m->g = (wr){p->g_off, b + 2 * MBUF, 0, MBUF};
        m->left = p->distinct;
        if ((st = rd_get(&m->f, x, &m->key, 8, errbuf)) != LK_OK)
            goto cleanup;
        heap[nh++] = m;
    }
    for (size_t i = nh / 2; i-- > 0;)
        sift_down(heap, nh, i);
    while (nh) {
        mpart *const m = heap[0];
        uint32_t n, id;

        if ((st = rd_get(&m->s, x, &n, 4, errbuf)) != LK_OK ||
            (st = LK_GROW(str, (size_t)n + 1, str_cap)) != LK_OK ||
            (st = rd_get(&m->s, x, str, n, errbuf)) != LK_OK ||
            (st = lk_strpool_append(pool, str, n)) != LK_OK)
            goto cleanup;
        id = (uint32_t)(lk_strpool_count(pool) - 1);
        if ((st = wr_put(&m->g, x, &id, 4, errbuf)) != LK_OK)
            goto cleanup;
        if (--m->left) {
            if ((st = rd_get(&m->f, x, &m->key, 8, errbuf)) != LK_OK)
                goto cleanup;
        } else {
            if ((st = wr_flush(&m->g, x, errbuf)) != LK_OK)
                goto cleanup;
            heap[0] = heap[--nh];
        }
        sift_down(heap, nh, 0);
    }
cleanup:
    free(mp);
    free(bufs);
    free(str);
    return st;
}

/* ---- resolving ----------------------------------------------------------- */

/* What lk_xintern_resolve() (busy = RESOLVING, done = RESOLVED) and
 * lk_xintern_dedup() (DEDUPING, DEDUPED) share, up to and including the
 * dedup pass: the state checked, the last records written, L laid out and
 * every partition deduped on threads (S and F too when resolving), the
 * distinct strings counted.  *jp gets the job for the passes after (the
 * caller frees it), or NULL when nothing was added: the state is done then.
 * Every failure but LK_EINVAL is made sticky here. */
static lk_status dedup_all(lk_xintern *x, int busy, int done, unsigned threads, job **jp,
                           char *errbuf)
{
    job *j;
    lk_status st;

    *jp = NULL;
    if (x->err.err)
        return lk_sticky_failed(&x->err, errbuf);
    if (x->state != ADDING)
        return LK_EINVAL;
    x->state = busy;
    if (!x->count) {
        x->state = done;
        x->wb = NULL; /* nothing was written */
        return LK_OK;
    }
    /* the last records; the write buffers are not needed any more */
    for (size_t i = 0; i < NPART; i++) {
        part *const p = &x->part[i];

        if ((st = flush_part(x, p, errbuf)) != LK_OK)
            return lk_sticky_fail(&x->err, st, errbuf);
        free(p->wbuf);
        p->wbuf = NULL;
    }
    /* everything written behind in the file before it is read */
    if ((st = lk_wbehind_sync(x->wb, errbuf)) != LK_OK)
        return lk_sticky_fail(&x->err, st, errbuf);
    x->wb = NULL;
    /* L's sizes are known now (4 bytes an occurrence): laid out here, in
     * partition order, so that the threads only write in place */
    for (size_t i = 0; i < NPART; i++) {
        x->part[i].l_off = x->end;
        x->end += x->part[i].occ * 4;
    }
    if (!(j = calloc(1, sizeof *j)))
        return lk_sticky_fail(&x->err, LK_ENOMEM, errbuf);
    j->x = x;
    j->keep = busy == RESOLVING;
    atomic_init(&j->end, x->end);
    if ((st = run_parts(j, threads, dedup_task, errbuf)) != LK_OK) {
        free(j);
        return lk_sticky_fail(&x->err, st, errbuf);
    }
    x->end = atomic_load(&j->end);
    for (size_t i = 0; i < NPART; i++)
        x->distinct += x->part[i].distinct;
    *jp = j;
    return LK_OK;
}

lk_status lk_xintern_resolve(lk_xintern *x, lk_strpool *pool, unsigned threads, char *errbuf)
{
    job *j = NULL;
    double t[4];
    lk_status st;

    t[0] = lk_mono_s();
    if ((st = dedup_all(x, RESOLVING, RESOLVED, threads, &j, errbuf)) != LK_OK || !j)
        return st; /* dedup_all made a failure sticky */
    t[1] = lk_mono_s();
    for (size_t i = 0; i < NPART; i++) {
        x->part[i].g_off = x->end;
        x->end += x->part[i].distinct * 4;
    }
    if ((st = merge(x, pool, errbuf)) != LK_OK)
        goto cleanup;
    t[2] = lk_mono_s();
    memset(j->st, 0, sizeof j->st);
    if ((st = run_parts(j, threads, relabel_task, errbuf)) != LK_OK)
        goto cleanup;
    t[3] = lk_mono_s();
    lk_log(LK_LOG_DEBUG,
           "string tables: %llu occurrences, %llu distinct: partitions %.3f s, merge %.3f s, "
           "ids %.3f s",
           (unsigned long long)x->count, (unsigned long long)x->distinct, t[1] - t[0], t[2] - t[1],
           t[3] - t[2]);
    x->state = RESOLVED;
cleanup:
    free(j);
    return st == LK_OK ? st : lk_sticky_fail(&x->err, st, errbuf);
}

lk_status lk_xintern_dedup(lk_xintern *x, unsigned threads, char *errbuf)
{
    job *j = NULL;
    const double t0 = lk_mono_s();
    const lk_status st = dedup_all(x, DEDUPING, DEDUPED, threads, &j, errbuf);

    if (st != LK_OK || !j)
        return st; /* dedup_all made a failure sticky */
    free(j);
    /* no merge and no ids: the partitions' pass is the whole of it */
    lk_log(LK_LOG_DEBUG, "string dedup: %llu occurrences, %llu distinct: partitions %.3f s",
           (unsigned long long)x->count, (unsigned long long)x->distinct, lk_mono_s() - t0);
    x->state = DEDUPED;
    return LK_OK;
}

/* ---- giving back, in the order added -------------------------------------- */

/* The next entry of L in prov's partition (*pp gets the partition), read
 * ahead WBUF bytes at a time; the partition's buffer goes when it is
 * exhausted.  The caller has checked the state. */
static lk_status next_l(lk_xintern *x, uint32_t prov, part **pp, uint32_t *v, char *errbuf)
{
    part *p;
    lk_status st;

    if (!lk_xintern_provisional(prov))
        return LK_EINVAL;
    p = &x->part[UINT32_MAX - 1 - prov];
    if (p->taken == p->occ)
        return LK_EINVAL;
    if (p->rpos == p->rlen) {
        const size_t k = (size_t)LK_MIN((uint64_t)(WBUF / 4), p->occ - p->taken);

        if (!p->rbuf && !(p->rbuf = malloc(WBUF)))
            return lk_sticky_fail(&x->err, LK_ENOMEM, errbuf);
        if ((st = lk_tmpfile_read(x->fd, p->rbuf, k * 4, p->l_off + p->taken * 4, x->dir,
                                  errbuf)) != LK_OK)
            return lk_sticky_fail(&x->err, st, errbuf);
        p->rpos = 0;
        p->rlen = k;
    }
    *v = p->rbuf[p->rpos++];
    if (++p->taken == p->occ) { /* the partition is done: its buffer too */
        free(p->rbuf);
        p->rbuf = NULL;
        p->rpos = p->rlen = 0;
    }
    *pp = p;
    return LK_OK;
}

lk_status lk_xintern_next(lk_xintern *x, uint32_t prov, uint32_t *id, char *errbuf)
{
    part *p;

    if (x->err.err)
        return lk_sticky_failed(&x->err, errbuf);
    if (x->state != RESOLVED)
        return LK_EINVAL;
    return next_l(x, prov, &p, id, errbuf);
}

/* Local ids follow first occurrence within the partition, and a string's
 * occurrences all fall in one partition: walked in the order added, an
 * occurrence is its string's first iff its local id is the count of the
 * partition's strings met so far.  A larger one, or a count short of the
 * partition's distinct strings at its end, is a file read back corrupt. */
lk_status lk_xintern_next_first(lk_xintern *x, uint32_t prov, int *first, char *errbuf)
{
    part *p;
    uint32_t lid;
    int is_first;
    lk_status st;

    if (x->err.err)
        return lk_sticky_failed(&x->err, errbuf);
    if (x->state != DEDUPED)
        return LK_EINVAL;
    if ((st = next_l(x, prov, &p, &lid, errbuf)) != LK_OK)
        return st;
    if (lid > p->seen)
        return lk_sticky_fail(&x->err, lk_tmpfile_corrupt(x->dir, errbuf), errbuf);
    is_first = lid == p->seen;
    p->seen += (uint64_t)is_first;
    if (p->taken == p->occ && p->seen != p->distinct)
        return lk_sticky_fail(&x->err, lk_tmpfile_corrupt(x->dir, errbuf), errbuf);
    *first = is_first;
    return LK_OK;
}
