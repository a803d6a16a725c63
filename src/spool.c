/* spool.c - records appended to a temporary file, read back once in order
 * (spool.h).
 *
 * The file is the blocks, one after another from offset 0, each a run of
 * records [u32 len][bytes]; the spool keeps each block's length, so that
 * reading knows how much to take at once and where each block ends.
 */
#include "spool.h"

#include "tmpfile.h"
#include "wbehind.h"

/* 1 MiB: a write or read moves thousands of the sink's records at a time,
 * and the one buffer is small beside --max-mem. */
#define SPOOL_BLOCK LK_SPOOL_BLOCK
#define REC_HEAD    4 /* a record's length, uint32 */

enum { ADDING, READING };

struct lk_spool {
    const char *dir; /* resolved: named in every message */
    int fd;
    int state;
    lk_wbehind *wb;     /* adding: lk_spool_write_behind()'s, else NULL */
    unsigned char *buf; /* the block being filled or walked; NULL before the
                           first record and after the last */
    size_t cap;         /* buf's bytes: SPOOL_BLOCK, or the longest record's block */
    size_t used;        /* adding: bytes in buf; reading: the block's length */
    size_t pos;         /* reading: the next record's place in buf */
    uint64_t *blk;      /* each block's length, in file order */
    size_t nblk, blk_cap;
    size_t rblk;   /* reading: the next block to read */
    uint64_t roff; /* reading: its offset */
    uint64_t count, taken, end;
    lk_sticky err; /* the first failure, returned again by every call */
};

lk_status lk_spool_new(const char *dir, lk_spool **out, char *errbuf)
{
    lk_spool *s = calloc(1, sizeof *s);
    lk_status st;

    if (!s)
        return LK_ENOMEM;
    s->dir = lk_tmpfile_dir(dir);
    /* made now, not at the first block: a folder that cannot hold it is
     * told when the key set freezes, not a megabyte of records later */
    if ((st = lk_tmpfile_open(s->dir, &s->fd, errbuf)) != LK_OK) {
        free(s);
        return st;
    }
    *out = s;
    return LK_OK;
}

void lk_spool_free(lk_spool *s)
{
    if (!s)
        return;
    free(s->buf);
    free(s->blk);
    lk_wbehind_drain(s->wb); /* nothing written behind after the file closes */
    lk_tmpfile_close(s->fd);
    free(s);
}

void lk_spool_write_behind(lk_spool *s, lk_wbehind *wb)
{
    s->wb = wb;
}

uint64_t lk_spool_count(const lk_spool *s)
{
    return s->count;
}

uint64_t lk_spool_file_bytes(const lk_spool *s)
{
    return s->end;
}

/* buf with room for a block of len bytes; what it held is not kept (it is
 * called only with buf empty or already read).  It only grows: after a
 * long record the buffer stays that long, which spares a reallocation for
 * every long record and lets reading take any block into it. */
static lk_status room(lk_spool *s, size_t len)
{
    const size_t want = LK_MAX(len, SPOOL_BLOCK);
    unsigned char *b;

    if (s->buf && s->cap >= want)
        return LK_OK;
    if (!(b = malloc(want)))
        return LK_ENOMEM;
    free(s->buf);
    s->buf = b;
    s->cap = want;
    return LK_OK;
}

/* The block being filled to the file's end, if it holds anything. */
static lk_status flush(lk_spool *s, char *errbuf)
{
    lk_status st;

    if (!s->used)
        return LK_OK;
    /* the block's slot first: a failure leaves nothing on disk unlisted */
    if ((st = LK_GROW(s->blk, s->nblk + 1, s->blk_cap)) != LK_OK ||
        (st = lk_wbehind_write(s->wb, s->fd, s->buf, s->used, s->end, s->dir, errbuf)) != LK_OK)
        return st;
    s->blk[s->nblk++] = s->used;
    s->end += s->used;
    s->used = 0;
    return LK_OK;
}

lk_status lk_spool_add(lk_spool *s, size_t n, void **dst, char *errbuf)
{
    size_t need;
    uint32_t n32;
    lk_status st;

    if (s->err.err)
        return lk_sticky_failed(&s->err, errbuf);
    if (s->state != ADDING)
        return LK_EINVAL;
    if (n >= UINT32_MAX || lk_add_size(n, REC_HEAD, &need))
        return LK_ELIMIT;
    /* never across a block's edge: the block out first.  A block past
     * SPOOL_BLOCK holds one long record, so the next one always goes on. */
    if (s->used + need > SPOOL_BLOCK && (st = flush(s, errbuf)) != LK_OK)
        return lk_sticky_fail(&s->err, st, errbuf);
    if ((st = room(s, s->used + need)) != LK_OK)
        return lk_sticky_fail(&s->err, st, errbuf);
    n32 = (uint32_t)n;
    memcpy(s->buf + s->used, &n32, REC_HEAD);
    *dst = s->buf + s->used + REC_HEAD;
    s->used += need;
    s->count++;
    return LK_OK;
}

lk_status lk_spool_rewind(lk_spool *s, char *errbuf)
{
    lk_status st;

    if (s->err.err)
        return lk_sticky_failed(&s->err, errbuf);
    if (s->state != ADDING)
        return LK_EINVAL;
    s->state = READING;
    if ((st = flush(s, errbuf)) != LK_OK || (st = lk_wbehind_sync(s->wb, errbuf)) != LK_OK)
        return lk_sticky_fail(&s->err, st, errbuf);
    s->wb = NULL;
    s->pos = 0;
    return LK_OK;
}

lk_status lk_spool_next(lk_spool *s, void **rec, size_t *n, char *errbuf)
{
    uint32_t len;
    lk_status st;

    if (s->err.err)
        return lk_sticky_failed(&s->err, errbuf);
    if (s->state != READING)
        return LK_EINVAL;
    if (s->pos == s->used) {
        if (s->rblk == s->nblk) {
            /* every block walked: the buffer is not needed any more, and
             * every record added must have come back */
            free(s->buf);
            s->buf = NULL;
            s->cap = 0;
            if (s->taken != s->count)
                return lk_sticky_fail(&s->err, lk_tmpfile_corrupt(s->dir, errbuf), errbuf);
            *rec = NULL;
            *n = 0;
            return LK_OK;
        }
        s->used = (size_t)s->blk[s->rblk];
        s->pos = 0;
        /* room() allocates nothing here: every block was in buf once */
        if ((st = room(s, s->used)) != LK_OK ||
            (st = lk_tmpfile_read(s->fd, s->buf, s->used, s->roff, s->dir, errbuf)) != LK_OK)
            return lk_sticky_fail(&s->err, st, errbuf);
        s->roff += s->used;
        s->rblk++;
    }
    /* a head, and the bytes it counts, within the block */
    if (s->used - s->pos < REC_HEAD || s->taken == s->count)
        return lk_sticky_fail(&s->err, lk_tmpfile_corrupt(s->dir, errbuf), errbuf);
    memcpy(&len, s->buf + s->pos, REC_HEAD);
    if (len > s->used - s->pos - REC_HEAD)
        return lk_sticky_fail(&s->err, lk_tmpfile_corrupt(s->dir, errbuf), errbuf);
    *rec = s->buf + s->pos + REC_HEAD;
    *n = len;
    s->pos += REC_HEAD + (size_t)len;
    s->taken++;
    return LK_OK;
}
