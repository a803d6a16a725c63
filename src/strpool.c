/* strpool.c - string interning (open addressing) and an append-only arena. */
#include "strpool.h"
#include "par.h"
#include "tmpfile.h"
#include "wbehind.h"

#define CHUNK_MIN ((size_t)1 << 20)

/* Once an arena in memory holds BIG_AFTER bytes its new chunks take
 * CHUNK_BIG, each in whole huge pages (lk_huge_block): a pool's strings are
 * read at random while interning (at 10^8 actions 25 M objects' strings in
 * 0.6 GB), and with 4 KiB pages nearly every lookup missed the TLB too.
 * Small arenas keep small chunks, and a spilled one (lk_arena_spill), which
 * holds only the chunk it fills, keeps 1 MiB. */
#define CHUNK_BIG ((size_t)4 << 20)
#define BIG_AFTER ((uint64_t)16 << 20)

/* Size of the next chunk for an n-byte string (and its NUL). */
static size_t chunk_size(const lk_arena *a, size_t n)
{
    const int big = a->total >= BIG_AFTER && !a->spill_fd1;
    return LK_MAX(big ? CHUNK_BIG : CHUNK_MIN, n + 1);
}

/* arena refs pack (chunk index << 32 | offset): chunks are at most 4 GiB. */
void lk_arena_init(lk_arena *a)
{
    memset(a, 0, sizeof *a);
}

lk_status lk_arena_reserve(lk_arena *a, size_t n, uint64_t *ref, char **out)
{
    if (n >= ((size_t)1 << 31))
        return LK_ELIMIT;
    if (a->nchunk == 0 || a->used + n + 1 > a->csize) {
        size_t sz = chunk_size(a, n), cap = a->cap_chunk;
        const size_t last = a->nchunk - 1; /* when nchunk > 0 */
        /* a spilled arena writes its full chunk to its file and fills the
         * same memory again when it is large enough (fresh pages are slow
         * on this kind of VM) */
        const int spill = a->nchunk > 0 && a->spill_fd1, reuse = spill && a->csize >= sz;
        char *c = NULL;
        if (LK_GROW(a->chunk, a->nchunk + 1, cap) != LK_OK)
            return LK_ENOMEM;
        if (cap != a->cap_chunk) { /* cused and coff keep chunk's capacity */
            size_t *u = realloc(a->cused, cap * sizeof *u);
            uint64_t *f;
            if (!u)
                return LK_ENOMEM; /* chunk grew alone: harmless, cap_chunk is still cused's */
            a->cused = u;
            if (!(f = realloc(a->coff, cap * sizeof *f)))
                return LK_ENOMEM; /* the same, cused too */
            a->coff = f;
            a->cap_chunk = cap;
        }
        if (!reuse && !(c = lk_huge_block(sz)))
            return LK_ENOMEM;
        if (a->nchunk)
            a->cused[last] = a->used;
        if (spill) {
            /* nothing changes unless the write succeeds */
            const lk_status st = lk_wbehind_write(a->wb, a->spill_fd1 - 1, a->chunk[last], a->used,
                                                  a->spill_end, a->spill_dir, a->spill_err);
            if (st != LK_OK) {
                free(c);
                return st;
            }
            a->coff[last] = a->spill_end;
            a->spill_end += a->used;
            if (reuse) {
                c = a->chunk[last];
                sz = a->csize;
            } else {
                free(a->chunk[last]);
            }
            a->chunk[last] = NULL;
        }
        a->chunk[a->nchunk++] = c;
        a->used = 0;
        a->csize = sz;
    }
    *out = a->chunk[a->nchunk - 1] + a->used;
    *ref = ((uint64_t)(a->nchunk - 1) << 32) | (uint64_t)a->used;
    a->used += n + 1;
    a->total += n + 1;
    return LK_OK;
}

lk_status lk_arena_add(lk_arena *a, const char *s, size_t n, uint64_t *ref)
{
    char *dst;
    lk_status st = lk_arena_reserve(a, n, ref, &dst);
    if (st != LK_OK)
        return st;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return LK_OK;
}

const char *lk_arena_get(const lk_arena *a, uint64_t ref)
{
    return a->chunk[ref >> 32] + (ref & 0xffffffffu);
}

void lk_arena_release(lk_arena *a)
{
    for (size_t i = 0; i < a->nchunk; i++)
        free(a->chunk[i]);
    free(a->chunk);
    free(a->cused);
    free(a->coff);
    lk_wbehind_drain(a->wb); /* nothing written behind after its file closes */
    if (a->spill_fd1)
        lk_tmpfile_close(a->spill_fd1 - 1);
    lk_arena_init(a);
}

lk_status lk_arena_spill(lk_arena *a, const char *dir, char *errbuf)
{
    int fd;
    lk_status st;

    if (a->spill_fd1)
        return LK_OK;
    if (a->parked)
        return LK_EINVAL;
    dir = lk_tmpfile_dir(dir);
    if ((st = lk_tmpfile_open(dir, &fd, errbuf)) != LK_OK)
        return st;
    a->spill_fd1 = fd + 1;
    a->spill_dir = dir;
    a->spill_err = errbuf;
    a->spill_end = 0;
    return LK_OK;
}

lk_status lk_arena_park(lk_arena *a, int fd, uint64_t *off, const char *dir, char *errbuf)
{
    if (a->parked)
        return LK_OK;
    if (a->nchunk)
        a->cused[a->nchunk - 1] = a->used;
    if (a->spill_fd1) {
        /* the closed chunks are in its own file already: the last one goes
         * after them (written again, from its start, if parked again) */
        const size_t last = a->nchunk - 1;
        lk_status st;
        if (a->nchunk == 0) {
            a->parked = 1;
            return LK_OK;
        }
        if ((st = lk_tmpfile_write(a->spill_fd1 - 1, a->chunk[last], a->used, a->spill_end,
                                   a->spill_dir, errbuf)) != LK_OK)
            return st;
        a->coff[last] = a->spill_end;
        free(a->chunk[last]);
        a->chunk[last] = NULL;
        a->parked = 1;
        return LK_OK;
    }
    a->park_off = *off;
    for (size_t i = 0; i < a->nchunk; i++) {
        lk_status st = lk_tmpfile_write(fd, a->chunk[i], a->cused[i], *off, dir, errbuf);
        if (st != LK_OK)
            return st; /* the chunks written so far are still in memory too */
        a->coff[i] = *off;
        *off += a->cused[i];
    }
    for (size_t i = 0; i < a->nchunk; i++) {
        free(a->chunk[i]);
        a->chunk[i] = NULL;
    }
    a->parked = 1;
    return LK_OK;
}

/* The string at byte `at` of file fd (at most avail bytes, the rest of its
 * chunk) into s, a piece at a time up to the NUL that ends every string in
 * its chunk; s->p[s->len] is that NUL. */
static lk_status read_str(int fd, uint64_t at, uint64_t avail, lk_buf *s, const char *dir,
                          char *errbuf)
{
    uint64_t got = 0;

    lk_buf_reset(s);
    for (;;) {
        const size_t want = (size_t)LK_MIN((uint64_t)4096, avail - got);
        const char *nul;
        lk_status st;
        if (want == 0) { /* the chunk ended first: not written by an arena */
            if ((st = lk_buf_reserve(s, 0)) != LK_OK)
                return st;
            s->p[s->len] = '\0';
            return LK_OK;
        }
        if ((st = lk_buf_reserve(s, want)) != LK_OK ||
            (st = lk_tmpfile_read(fd, s->p + s->len, want, at + got, dir, errbuf)) != LK_OK)
            return st;
        nul = memchr(s->p + s->len, '\0', want);
        if (nul) {
            s->len = (size_t)(nul - s->p);
            return LK_OK;
        }
        s->len += want;
        got += want;
    }
}

/* Bytes of chunk c written (or, for the last one while not parked, used). */
static uint64_t chunk_len(const lk_arena *a, size_t c)
{
    return c + 1 == a->nchunk && !a->parked ? a->used : a->cused[c];
}

uint64_t lk_arena_chunk_len(const lk_arena *a, size_t c)
{
    return chunk_len(a, c);
}

lk_status lk_arena_read(const lk_arena *a, uint64_t ref, void *dst, size_t n, char *errbuf)
{
    const uint64_t c = ref >> 32, o = ref & 0xffffffffu;

    if (c >= a->nchunk || o > chunk_len(a, (size_t)c) || n > chunk_len(a, (size_t)c) - o) {
        lk_errf(errbuf, "a reference outside its table");
        return LK_EINVAL;
    }
    if (a->chunk[c]) {
        memcpy(dst, a->chunk[c] + o, n);
        return LK_OK;
    }
    if (!a->spill_fd1) {
        lk_errf(errbuf, "a string read while its table is parked");
        return LK_EINVAL;
    }
    return lk_tmpfile_read(a->spill_fd1 - 1, dst, n, a->coff[c] + o, a->spill_dir, errbuf);
}

lk_status lk_arena_copy(const lk_arena *a, uint64_t ref, lk_buf *out, char *errbuf)
{
    const uint64_t c = ref >> 32, o = ref & 0xffffffffu;

    if (c >= a->nchunk || o >= chunk_len(a, (size_t)c)) {
        lk_errf(errbuf, "a content reference outside its table");
        return LK_EINVAL;
    }
    if (a->chunk[c]) {
        const char *str = a->chunk[c] + o;
        lk_buf_reset(out);
        return lk_buf_append(out, str, strlen(str));
    }
    if (!a->spill_fd1) {
        lk_errf(errbuf, "a content id read while its table is parked");
        return LK_EINVAL;
    }
    return read_str(a->spill_fd1 - 1, a->coff[c] + o, a->cused[c] - o, out, a->spill_dir, errbuf);
}

/* Where each chunk of a parked or spilled arena is in its file (a spilled
 * arena's own; a parked one's from park_off on, back to back, and then any
 * added while parked, lk_arena_add_parked): nchunk places, freed by the
 * caller; NULL when out of memory. */
static uint64_t *chunk_places(const lk_arena *a)
{
    uint64_t *at = malloc((a->nchunk + 1) * sizeof *at);

    if (!at)
        return NULL;
    for (size_t c = 0; c < a->nchunk; c++)
        at[c] = a->coff[c];
    return at;
}

lk_status lk_arena_add_parked(lk_arena *a, uint64_t len, uint64_t at)
{
    size_t cap = a->cap_chunk;

    if (!a->parked || a->spill_fd1 || len > UINT32_MAX)
        return LK_EINVAL;
    if (LK_GROW(a->chunk, a->nchunk + 1, cap) != LK_OK)
        return LK_ENOMEM;
    if (cap != a->cap_chunk) { /* as lk_arena_reserve */
        size_t *u = realloc(a->cused, cap * sizeof *u);
        uint64_t *f;
        if (!u)
            return LK_ENOMEM;
        a->cused = u;
        if (!(f = realloc(a->coff, cap * sizeof *f)))
            return LK_ENOMEM;
        a->coff = f;
        a->cap_chunk = cap;
    }
    a->chunk[a->nchunk] = NULL;
    a->cused[a->nchunk] = (size_t)len;
    a->coff[a->nchunk] = at;
    a->nchunk++;
    /* unparked, appends go on in this chunk, at its full size */
    a->used = (size_t)len;
    a->csize = LK_MAX(CHUNK_MIN, (size_t)len);
    a->total += len;
    return LK_OK;
}

lk_status lk_arena_pick(const lk_arena *a, int fd, const char *dir, uint64_t *refs, size_t n,
                        lk_arena *out, char *errbuf)
{
    uint64_t *at = chunk_places(a); /* each chunk's place in the file */
    lk_buf s;
    uint64_t last = UINT64_MAX, lastnew = 0;
    lk_status st = LK_OK;

    lk_arena_init(out);
    lk_buf_init(&s);
    if (!at)
        return LK_ENOMEM;
    if (a->spill_fd1) { /* a spilled arena's chunks are in its own file */
        fd = a->spill_fd1 - 1;
        dir = a->spill_dir;
    }
    for (size_t i = 0; i < n && st == LK_OK; i++) {
        const uint64_t c = refs[i] >> 32, o = refs[i] & 0xffffffffu;
        if (refs[i] == last) { /* a post's actions share their ref */
            refs[i] = lastnew;
            continue;
        }
        if (c >= a->nchunk || o >= a->cused[c]) {
            lk_errf(errbuf, "a content reference outside its table");
            st = LK_EINVAL;
            break;
        }
        if ((st = read_str(fd, at[c] + o, a->cused[c] - o, &s, dir, errbuf)) == LK_OK &&
            (st = lk_arena_add(out, s.p, s.len, &lastnew)) == LK_OK) {
            last = refs[i];
            refs[i] = lastnew;
        }
    }
    free(at);
    lk_buf_release(&s);
    if (st != LK_OK)
        lk_arena_release(out);
    return st;
}

/* Unparking on threads: each task reads a range of the parked pieces into
 * memory none has touched yet, which is what takes the time on this
 * project's machines (a fresh page costs 15 times a touched one), with
 * its own status and message; the first failing range's is the result. */
typedef struct unpark_job {
    lk_arena *a;
    lk_strpool *p;
    int fd;
    const char *dir;
    uint64_t *off; /* arena: each chunk's offset in the file */
    size_t per;    /* chunks, or slots, a task */
    size_t ntasks;
    lk_status *st;
    char (*msg)[LK_ERRMSG_MAX];
} unpark_job;

/* At least this many chunks (1 MiB each) or table slots (8 bytes each in
 * the file) a task, and else four tasks a thread. */
#define UNPARK_CHUNKS 4
#define UNPARK_SLOTS  ((size_t)1 << 16)

static lk_status unpark_run(unpark_job *j, size_t n, size_t least, unsigned threads, lk_task_fn fn,
                            char *errbuf)
{
    const size_t tasks = 4 * (size_t)LK_MAX(threads, 1u),
                 per = LK_MAX(least, (n + tasks - 1) / tasks);
    lk_status st = LK_OK;

    j->per = per;
    j->ntasks = (n + per - 1) / per;
    if (j->ntasks == 0)
        return LK_OK;
    j->st = calloc(j->ntasks, sizeof *j->st);
    j->msg = calloc(j->ntasks, sizeof *j->msg);
    if (!j->st || !j->msg) {
        st = LK_ENOMEM;
    } else {
        (void)lk_par_run(threads, j->ntasks, fn, j); /* every task runs */
        for (size_t t = 0; t < j->ntasks && st == LK_OK; t++)
            if ((st = j->st[t]) != LK_OK && j->msg[t][0])
                (void)snprintf(errbuf, LK_ERRMSG_MAX, "%s", j->msg[t]);
    }
    free(j->st);
    free(j->msg);
    return st;
}

static void chunks_task(void *ctx, size_t task, unsigned worker)
{
    const unpark_job *j = ctx;
    const lk_arena *a = j->a;
    const size_t lo = task * j->per, hi = LK_MIN(lo + j->per, a->nchunk);
    (void)worker;
    for (size_t i = lo; i < hi; i++) {
        lk_status st;
        if ((st = lk_tmpfile_read(j->fd, a->chunk[i], a->cused[i], j->off[i], j->dir,
                                  j->msg[task])) != LK_OK) {
            j->st[task] = st;
            return;
        }
    }
}

lk_status lk_arena_unpark(lk_arena *a, int fd, const char *dir, unsigned threads, char *errbuf)
{
    unpark_job j;
    lk_status st;

    if (!a->parked)
        return LK_OK;
    if (a->spill_fd1 && a->nchunk) {
        /* the chunk being filled alone: the others stay in the file */
        const size_t last = a->nchunk - 1;
        if (!(a->chunk[last] = lk_huge_block(a->csize)))
            return LK_ENOMEM;
        if ((st = lk_tmpfile_read(a->spill_fd1 - 1, a->chunk[last], a->cused[last], a->coff[last],
                                  a->spill_dir, errbuf)) != LK_OK)
            return st;
        a->parked = 0;
        return LK_OK;
    }
    memset(&j, 0, sizeof j);
    j.a = a;
    j.fd = fd;
    j.dir = dir;
    if (!(j.off = chunk_places(a)))
        return LK_ENOMEM;
    /* the chunks allocated here, the reads (and first touches) on the
     * threads: memory from the caller's malloc arena, which a later
     * allocation of its own can use again once they are freed */
    for (size_t i = 0; i < a->nchunk; i++) {
        /* the last chunk at its full size: appends go on there */
        const size_t sz = i + 1 == a->nchunk ? a->csize : LK_MAX(a->cused[i], (size_t)1);
        if (!(a->chunk[i] = lk_huge_block(sz))) {
            free(j.off);
            return LK_ENOMEM;
        }
    }
    st = unpark_run(&j, a->nchunk, UNPARK_CHUNKS, threads, chunks_task, errbuf);
    free(j.off);
    if (st != LK_OK)
        return st;
    a->parked = 0;
    return LK_OK;
}

/* The pool: strings in an arena, a pointer per id, and a hash table.
 * Each string is a record [id][length][bytes][NUL] (HEAD bytes before the
 * string, 4 each): lk_strpool_get() reads the length there, with no array
 * of lengths (4 bytes a string, 119 MB at 10^8).
 *
 * A slot holds 32 bits of the hash and v, 8 bytes: the table is the
 * largest part of a pool of short ids (two to four slots a string), and
 * with the string's pointer in the slot too (16 bytes) it took 0.5-0.9 GB
 * more at 1.5 x 10^8 actions.  v is 0 for an empty slot, else
 *   by place (p->by_place): 1 + the record's place in the arena, PLACE_OFF
 *     bits of offset under the chunk's index; a lookup whose hash matches
 *     reads the record, which gives the length, the bytes and the id;
 *   by id: 1 + the id; a lookup reads the id's pointer, then the record:
 *     three loads that miss the cache in turn for a large pool, not two
 *     (bench/RESULTS.md, the thirty-ninth session).
 * The table is by place while the pool is read into (every place fits
 * while the strings are in the arena's first PLACE_CHUNKS chunks, about
 * 4 GiB), and after it is parked with its table; by id from the first
 * place that does not fit (to_ids), and when built again from the ids.
 * The reader prefetches the slot, then the record, some rows apart, for a
 * batch of rows (lk_strpool_prefetch, _id, _str; sink.c's fetch). */
typedef struct slot {
    uint32_t h;
    uint32_t v;
} slot;

#define HEAD         8
#define PLACE_OFF    22
#define PLACE_CHUNKS ((size_t)1023) /* with PLACE_OFF: the largest place, + 1, fits in 32 bits */

static inline uint32_t stored_id(const char *str)
{
    uint32_t id;
    memcpy(&id, str - HEAD, 4);
    return id;
}

static inline uint32_t stored_len(const char *str)
{
    uint32_t n;
    memcpy(&n, str - 4, 4);
    return n;
}

struct lk_strpool {
    lk_arena arena;
    const char **str; /* per id; its length is in the 4 bytes before it */
    size_t n, cap;
    slot *tab;
    int by_place;        /* the slots hold places, not ids (see slot) */
    size_t place_chunks; /* by place while the strings are in this many first chunks */
    size_t mask;         /* table size - 1 (power of two) */
    uint64_t park_refs;  /* while parked: where the refs are in the file */
    uint64_t park_tab;   /* while parked with its table: where its slots are, + 1 (0: none) */
    /* read back in part (lk_strpool_unpark_ids): the ids (increasing)
     * whose strings came back, and those strings; str is NULL then */
    uint32_t *sid;
    const char **sstr;
    size_t ns;
    /* parked and growing (lk_strpool_park_grow): new strings fill gbuf,
     * written at *goff of file gfd1 - 1 as the arena's next chunk when
     * full; their refs wait in gref (TAB_PIECE of them, from id gref0 on)
     * and go to the refs' place, which has room for ids below gmax */
    int gfd1;
    uint64_t *goff;
    const char *gdir;
    char *gerr;
    char *gbuf;
    size_t gused, gcap;
    uint64_t *gref;
    size_t ngref, gref0, gmax;
};

lk_status lk_strpool_new(lk_strpool **out)
{
    lk_strpool *p = calloc(1, sizeof *p);
    if (!p)
        return LK_ENOMEM;
    lk_arena_init(&p->arena);
    p->tab = lk_table_alloc(1024 * sizeof *p->tab);
    if (!p->tab) {
        free(p);
        return LK_ENOMEM;
    }
    p->mask = 1023;
    p->by_place = 1;
    p->place_chunks = PLACE_CHUNKS;
    *out = p;
    return LK_OK;
}

static lk_status rehash(lk_strpool *p)
{
    size_t nsize = (p->mask + 1) * 2, bytes;
    slot *nt;

    if (lk_mul_size(nsize, sizeof *nt, &bytes))
        return LK_ENOMEM;
    nt = lk_table_alloc(bytes);
    if (!nt)
        return LK_ENOMEM;
    for (size_t i = 0; i <= p->mask; i++) {
        size_t j;
        if (!p->tab[i].v)
            continue;
        j = p->tab[i].h & (nsize - 1);
        while (nt[j].v)
            j = (j + 1) & (nsize - 1);
        nt[j] = p->tab[i];
    }
    lk_table_free(p->tab, (p->mask + 1) * sizeof *p->tab);
    p->tab = nt;
    p->mask = nsize - 1;
    return LK_OK;
}

/* Table positions use the low hash bits; the stored 32 bits are the same
 * low bits, so a rehash needs no string access. */
static lk_status build_table(lk_strpool *p);

/* The string of a full slot. */
static inline const char *slot_str(const lk_strpool *p, const slot *sl)
{
    if (p->by_place) {
        const uint32_t pl = sl->v - 1;
        return p->arena.chunk[pl >> PLACE_OFF] + (pl & (((uint32_t)1 << PLACE_OFF) - 1)) + HEAD;
    }
    return p->str[sl->v - 1];
}

/* The id of a full slot. */
static inline uint32_t slot_id(const lk_strpool *p, const slot *sl)
{
    return p->by_place ? stored_id(slot_str(p, sl)) : sl->v - 1;
}

/* The slots by id from here on. */
static void to_ids(lk_strpool *p)
{
    if (!p->by_place)
        return;
    if (p->tab)
        for (size_t j = 0; j <= p->mask; j++)
            if (p->tab[j].v)
                p->tab[j].v = slot_id(p, &p->tab[j]) + 1;
    p->by_place = 0;
}

static size_t probe(const lk_strpool *p, const char *s, size_t n, uint32_t h, int *found)
{
    size_t j = h & p->mask;
    for (;;) {
        const slot *sl = &p->tab[j];
        if (!sl->v) {
            *found = 0;
            return j;
        }
        if (sl->h == h) {
            const char *str = slot_str(p, sl);
            if (stored_len(str) == n && memcmp(str, s, n) == 0) {
                *found = 1;
                return j;
            }
        }
        j = (j + 1) & p->mask;
    }
}

int lk_strpool_find(const lk_strpool *p, const char *s, size_t n, uint32_t *id)
{
    int found;
    size_t j;
    if (!p->tab) { /* unparked without its table: a scan */
        for (size_t i = 0; i < p->n; i++)
            if (stored_len(p->str[i]) == n && memcmp(p->str[i], s, n) == 0) {
                *id = (uint32_t)i;
                return 1;
            }
        return 0;
    }
    j = probe(p, s, n, (uint32_t)lk_hash64(s, n), &found);
    if (found)
        *id = slot_id(p, &p->tab[j]);
    return found;
}

void lk_strpool_prefetch(const lk_strpool *p, uint32_t h)
{
    if (p->tab)
        __builtin_prefetch(&p->tab[h & p->mask]);
}

void lk_strpool_prefetch_id(const lk_strpool *p, uint32_t h)
{
    const slot *sl = p->tab ? &p->tab[h & p->mask] : NULL;
    if (sl && sl->v)
        __builtin_prefetch(p->by_place ? slot_str(p, sl) - HEAD : (const char *)&p->str[sl->v - 1]);
}

void lk_strpool_prefetch_str(const lk_strpool *p, uint32_t h)
{
    const slot *sl = p->tab ? &p->tab[h & p->mask] : NULL;
    if (sl && sl->v && !p->by_place) /* by place: lk_strpool_prefetch_id fetched it */
        __builtin_prefetch(p->str[sl->v - 1] - HEAD);
}

lk_status lk_strpool_intern(lk_strpool *p, const char *s, size_t n, uint32_t *id, int *is_new)
{
    return lk_strpool_intern_hashed(p, s, n, (uint32_t)lk_hash64(s, n), id, is_new);
}

void lk_strpool_set_place_chunks(lk_strpool *p, size_t chunks)
{
    p->place_chunks = LK_MIN(chunks, PLACE_CHUNKS);
}

/* The record of string s[0..n) as id `id` at dst (n + HEAD + 1 bytes). */
static void write_record(char *dst, uint32_t id, const char *s, size_t n)
{
    const uint32_t n32 = (uint32_t)n;
    memcpy(dst, &id, 4);
    memcpy(dst + 4, &n32, 4);
    memcpy(dst + HEAD, s, n);
    dst[n + HEAD] = '\0';
}

/* The record of string s[0..n) as id p->n into the arena at *ref. */
static lk_status put_record(lk_strpool *p, const char *s, size_t n, uint64_t *ref)
{
    char *tmp;
    const lk_status st = lk_arena_reserve(&p->arena, n + HEAD, ref, &tmp);
    if (st == LK_OK)
        write_record(tmp, (uint32_t)p->n, s, n);
    return st;
}

/* lk_strpool_intern_hashed, and the pool's copy of the string into *str
 * (may be NULL). */
static lk_status intern(lk_strpool *p, const char *s, size_t n, uint32_t h, uint32_t *id,
                        int *is_new, const char **str)
{
    int found;
    size_t j;
    uint64_t ref;
    lk_status st;

    if (!p->tab && (st = build_table(p)) != LK_OK)
        return st;
    j = probe(p, s, n, h, &found);

    if (found) {
        *id = slot_id(p, &p->tab[j]);
        if (str)
            *str = slot_str(p, &p->tab[j]);
        if (is_new)
            *is_new = 0;
        return LK_OK;
    }
    if (p->n >= UINT32_MAX - 1 - LK_STRPOOL_PROVISIONAL || n > UINT32_MAX)
        return LK_ELIMIT;
    if (p->n == p->cap && LK_GROW_HUGE(p->str, p->n + 1, p->cap) != LK_OK)
        return LK_ENOMEM;
    if ((st = put_record(p, s, n, &ref)) != LK_OK)
        return st;
    p->str[p->n] = lk_arena_get(&p->arena, ref) + HEAD;
    if (p->by_place && ((ref >> 32) >= p->place_chunks || (ref & 0xffffffffu) >> PLACE_OFF))
        to_ids(p); /* a place that does not fit (the new id is not in a slot yet) */
    p->tab[j].v = p->by_place ? (uint32_t)((ref >> 32) << PLACE_OFF | (ref & 0xffffffffu)) + 1
                              : (uint32_t)p->n + 1;
    p->tab[j].h = h;
    *id = (uint32_t)p->n;
    if (str)
        *str = p->str[p->n];
    p->n++;
    if (is_new)
        *is_new = 1;
    /* keep the load factor under 3/4: the table is the largest part of
     * a pool of short ids, and at 10^8 actions under 1/2 it took 1 GiB
     * for 24.7 M objects, 1.5 GiB while it grew (16 bytes a slot then) */
    if (p->n * 4 > p->mask * 3)
        return rehash(p);
    return LK_OK;
}

lk_status lk_strpool_intern_hashed(lk_strpool *p, const char *s, size_t n, uint32_t h, uint32_t *id,
                                   int *is_new)
{
    return intern(p, s, n, h, id, is_new, NULL);
}

lk_status lk_strpool_intern_str(lk_strpool *p, const char *s, size_t n, uint32_t h, uint32_t *id,
                                const char **str)
{
    return intern(p, s, n, h, id, NULL, str);
}

int lk_strpool_find_str(const lk_strpool *p, const char *s, size_t n, uint32_t h, uint32_t *id,
                        const char **str)
{
    int found;
    size_t j;
    if (!p->tab) {
        found = lk_strpool_find(p, s, n, id);
        if (found && str)
            *str = lk_strpool_get(p, *id, NULL);
        return found;
    }
    j = probe(p, s, n, h, &found);
    if (found) {
        *id = slot_id(p, &p->tab[j]);
        if (str)
            *str = slot_str(p, &p->tab[j]);
    }
    return found;
}

int lk_strpool_find_hashed(const lk_strpool *p, const char *s, size_t n, uint32_t h, uint32_t *id)
{
    return lk_strpool_find_str(p, s, n, h, id, NULL);
}

size_t lk_strpool_grow_bytes(const lk_strpool *p, size_t adds)
{
    size_t b = 0;
    /* the rehash's new table beside the old one (lk_strpool_intern_hashed
     * keeps the load under 3/4), the ids' pointers' growth (by half), and
     * a new arena chunk */
    if (p->tab && (p->n + adds) * 4 > p->mask * 3)
        b += (p->mask + 1) * 2 * sizeof(slot);
    if (p->n + adds > p->cap)
        b += LK_MAX(p->cap / 2, adds) * sizeof *p->str;
    return b + chunk_size(&p->arena, 0);
}

static lk_status append_parked(lk_strpool *p, const char *s, size_t n);

lk_status lk_strpool_append(lk_strpool *p, const char *s, size_t n)
{
    uint64_t ref;
    lk_status st;

    if (p->n >= UINT32_MAX - 1 - LK_STRPOOL_PROVISIONAL || n > UINT32_MAX)
        return LK_ELIMIT;
    if (p->gfd1)
        return append_parked(p, s, n);
    if (p->arena.parked)
        return LK_EINVAL;
    if (p->tab) { /* it would not hold the string: built again when needed */
        lk_table_free(p->tab, (p->mask + 1) * sizeof *p->tab);
        p->tab = NULL;
    }
    if (p->n == p->cap && LK_GROW_HUGE(p->str, p->n + 1, p->cap) != LK_OK)
        return LK_ENOMEM;
    if ((st = put_record(p, s, n, &ref)) != LK_OK)
        return st;
    p->str[p->n++] = lk_arena_get(&p->arena, ref) + HEAD;
    /* the table the next lookup builds keeps the load under 3/4 too */
    while (p->n * 4 > p->mask * 3)
        p->mask = p->mask * 2 + 1;
    return LK_OK;
}

/* Read back in part: the string of id, or NULL when it did not come back. */
static const char *sparse_get(const lk_strpool *p, uint32_t id)
{
    size_t lo = 0, hi = p->ns;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (p->sid[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->ns && p->sid[lo] == id ? p->sstr[lo] : NULL;
}

const char *lk_strpool_get(const lk_strpool *p, uint32_t id, size_t *len)
{
    /* an id that did not come back has no string: its length is read
     * below NULL, a fault at once rather than an empty id in an output */
    const char *s = p->sid ? sparse_get(p, id) : p->str[id];
    if (len)
        *len = stored_len(s);
    return s;
}

typedef struct strref {
    const char *s;
    uint32_t len, id;
} strref;

static int cmp_strref(const void *a, const void *b)
{
    const strref *x = a, *y = b;
    int c = memcmp(x->s, y->s, LK_MIN(x->len, y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

lk_status lk_strpool_ranks(const lk_strpool *p, uint32_t **rank_out)
{
    strref *v = malloc(LK_MAX(p->n, (size_t)1) * sizeof *v);
    uint32_t *rank = malloc(LK_MAX(p->n, (size_t)1) * sizeof *rank);

    if (!v || !rank) {
        free(v);
        free(rank);
        return LK_ENOMEM;
    }
    for (size_t i = 0; i < p->n; i++)
        v[i] = (strref){p->str[i], stored_len(p->str[i]), (uint32_t)i};
    lk_qsort(v, p->n, sizeof *v, cmp_strref);
    for (size_t r = 0; r < p->n; r++)
        rank[v[r].id] = (uint32_t)r;
    free(v);
    *rank_out = rank;
    return LK_OK;
}

size_t lk_strpool_count(const lk_strpool *p)
{
    return p->n;
}

int lk_strpool_indexed(const lk_strpool *p)
{
    return p->tab != NULL;
}

size_t lk_strpool_bytes(const lk_strpool *p)
{
    return (size_t)p->arena.total + p->cap * sizeof(char *) +
           (p->tab ? (p->mask + 1) * sizeof(slot) : 0);
}

void lk_strpool_free(lk_strpool *p)
{
    if (!p)
        return;
    lk_arena_release(&p->arena);
    free(p->str);
    free(p->sid);
    free(p->sstr);
    free(p->gbuf);
    free(p->gref);
    lk_table_free(p->tab, (p->mask + 1) * sizeof *p->tab);
    free(p);
}

/* A parked table's slots go to the file as (hash << 32 | v), this many at
 * a time (the strings' pointers are found again from their refs). */
#define TAB_PIECE ((size_t)1 << 16)

static lk_status park_table(lk_strpool *p, int fd, uint64_t *off, const char *dir, char *errbuf)
{
    uint64_t *w = malloc(TAB_PIECE * sizeof *w);
    lk_status st = LK_OK;

    if (!w)
        return LK_ENOMEM;
    p->park_tab = *off + 1;
    for (size_t j0 = 0; j0 <= p->mask && st == LK_OK; j0 += TAB_PIECE) {
        const size_t m = LK_MIN(TAB_PIECE, p->mask + 1 - j0);
        for (size_t j = 0; j < m; j++)
            w[j] = (uint64_t)p->tab[j0 + j].h << 32 | p->tab[j0 + j].v;
        st = lk_tmpfile_write(fd, w, m * sizeof *w, *off, dir, errbuf);
        *off += m * sizeof *w;
    }
    free(w);
    return st;
}

/* The table as park_table left it, a range of slots a task. */
static void table_task(void *ctx, size_t task, unsigned worker)
{
    const unpark_job *j = ctx;
    lk_strpool *p = j->p;
    const size_t lo = task * j->per, hi = LK_MIN(lo + j->per, p->mask + 1);
    uint64_t *w = malloc(TAB_PIECE * sizeof *w), off = p->park_tab - 1 + lo * sizeof *w;
    (void)worker;
    if (!w) {
        j->st[task] = LK_ENOMEM;
        return;
    }
    for (size_t j0 = lo; j0 < hi; j0 += TAB_PIECE) {
        const size_t m = LK_MIN(TAB_PIECE, hi - j0);
        lk_status st;
        if ((st = lk_tmpfile_read(j->fd, w, m * sizeof *w, off, j->dir, j->msg[task])) != LK_OK) {
            j->st[task] = st;
            break;
        }
        off += m * sizeof *w;
        for (size_t k = 0; k < m; k++) {
            slot *sl = &p->tab[j0 + k];
            sl->v = (uint32_t)w[k];
            sl->h = (uint32_t)(w[k] >> 32);
        }
    }
    free(w);
}

static lk_status unpark_table(lk_strpool *p, int fd, const char *dir, unsigned threads,
                              char *errbuf)
{
    unpark_job j;

    p->tab = lk_table_alloc((p->mask + 1) * sizeof *p->tab);
    if (!p->tab)
        return LK_ENOMEM;
    memset(&j, 0, sizeof j);
    j.p = p;
    j.fd = fd;
    j.dir = dir;
    return unpark_run(&j, p->mask + 1, UNPARK_SLOTS, threads, table_task, errbuf);
}

/* Parked, a pool keeps its arena's chunk list and counts: its strings, the
 * per-id arena refs and (with_table) its hash table's slots are in the
 * file; unparked with lookups, the table comes back from there or is
 * rebuilt from the strings. */
/* lk_strpool_park, with room for `room` more ids' refs after the pool's. */
static lk_status park(lk_strpool *p, int fd, uint64_t *off, int with_table, size_t room,
                      const char *dir, char *errbuf)
{
    /* the refs are written TAB_PIECE at a time: all of them at once had
     * taken 8 bytes a string beside the pool (0.46 GB at 2 x 10^8 actions,
     * which could take the park above reading's own peak) */
    uint64_t *ref = malloc(TAB_PIECE * sizeof *ref);
    size_t c = 0;
    lk_status st = LK_OK;

    if (!ref)
        return LK_ENOMEM;
    p->park_refs = *off;
    /* strings are in the arena in id order: each id's chunk is found by
     * walking the chunks along */
    for (size_t i0 = 0; i0 < p->n && st == LK_OK; i0 += TAB_PIECE) {
        const size_t m = LK_MIN(TAB_PIECE, p->n - i0);
        for (size_t i = i0; i < i0 + m; i++) {
            const uintptr_t s = (uintptr_t)(p->str[i] - HEAD);
            while (c < p->arena.nchunk &&
                   ((uintptr_t)p->arena.chunk[c] > s ||
                    s - (uintptr_t)p->arena.chunk[c] >=
                        (c + 1 == p->arena.nchunk ? p->arena.used : p->arena.cused[c])))
                c++;
            if (c == p->arena.nchunk) { /* cannot be: a string outside the pool's arena */
                free(ref);
                lk_errf(errbuf, "string table: a string outside its arena");
                return LK_EINVAL;
            }
            ref[i - i0] = (uint64_t)c << 32 | (uint64_t)(s - (uintptr_t)p->arena.chunk[c]);
        }
        st = lk_tmpfile_write(fd, ref, m * sizeof *ref, *off + i0 * sizeof *ref, dir, errbuf);
    }
    free(ref);
    if (st != LK_OK)
        return st;
    /* the room is a hole in the file until written */
    *off += (p->n + room) * sizeof *ref;
    /* a table parked with the pool keeps its places: the chunks come back
     * elsewhere, but in the same order with the same contents; one left
     * out is built again by id */
    if (!with_table)
        p->by_place = 0;
    if ((st = lk_arena_park(&p->arena, fd, off, dir, errbuf)) != LK_OK)
        return st;
    p->park_tab = 0;
    if (with_table && (st = park_table(p, fd, off, dir, errbuf)) != LK_OK)
        return st;
    free(p->str);
    lk_table_free(p->tab, (p->mask + 1) * sizeof *p->tab);
    p->str = NULL;
    p->tab = NULL;
    return LK_OK;
}

lk_status lk_strpool_park(lk_strpool *p, int fd, uint64_t *off, int with_table, const char *dir,
                          char *errbuf)
{
    return park(p, fd, off, with_table, 0, dir, errbuf);
}

lk_status lk_strpool_park_grow(lk_strpool *p, int fd, uint64_t *off, size_t room, const char *dir,
                               char *errbuf)
{
    lk_status st;

    if (p->arena.parked || p->sid || p->gfd1)
        return LK_EINVAL;
    p->gbuf = malloc(CHUNK_MIN);
    p->gref = malloc(TAB_PIECE * sizeof *p->gref);
    if (!p->gbuf || !p->gref) {
        free(p->gbuf);
        free(p->gref);
        p->gbuf = NULL;
        p->gref = NULL;
        return LK_ENOMEM;
    }
    if ((st = park(p, fd, off, 0, room, dir, errbuf)) != LK_OK)
        return st; /* freed with the pool */
    p->gfd1 = fd + 1;
    p->goff = off;
    p->gdir = dir;
    p->gerr = errbuf;
    p->gcap = CHUNK_MIN;
    p->gused = 0;
    p->ngref = 0;
    p->gref0 = p->n;
    p->gmax = p->n + room;
    return LK_OK;
}

/* A growing pool's strings in gbuf to the file, as the arena's next chunk. */
static lk_status grow_chunk(lk_strpool *p)
{
    lk_status st;

    if (!p->gused)
        return LK_OK;
    if ((st = lk_tmpfile_write(p->gfd1 - 1, p->gbuf, p->gused, *p->goff, p->gdir, p->gerr)) !=
            LK_OK ||
        (st = lk_arena_add_parked(&p->arena, p->gused, *p->goff)) != LK_OK)
        return st;
    *p->goff += p->gused;
    p->gused = 0;
    return LK_OK;
}

/* A growing pool's refs in gref to their place. */
static lk_status grow_refs(lk_strpool *p)
{
    const lk_status st =
        lk_tmpfile_write(p->gfd1 - 1, p->gref, p->ngref * sizeof *p->gref,
                         p->park_refs + (uint64_t)p->gref0 * sizeof *p->gref, p->gdir, p->gerr);

    p->gref0 += p->ngref;
    p->ngref = 0;
    return st;
}

/* lk_strpool_append on a growing pool. */
static lk_status append_parked(lk_strpool *p, const char *s, size_t n)
{
    const size_t need = n + HEAD + 1; /* the id, the length, the string, its NUL */
    lk_status st;

    if (p->n >= p->gmax)
        return LK_EINVAL;
    if (p->gused + need > p->gcap) {
        if ((st = grow_chunk(p)) != LK_OK)
            return st;
        if (need > p->gcap) { /* a string longer than a chunk: one of its own */
            char *b = realloc(p->gbuf, need);
            if (!b)
                return LK_ENOMEM;
            p->gbuf = b;
            p->gcap = need;
        }
    }
    /* the chunk's index once written: nothing else adds to the arena */
    p->gref[p->ngref++] = (uint64_t)p->arena.nchunk << 32 | (uint64_t)p->gused;
    write_record(p->gbuf + p->gused, (uint32_t)p->n, s, n);
    p->gused += need;
    if (p->ngref == TAB_PIECE && (st = grow_refs(p)) != LK_OK)
        return st;
    p->n++;
    while (p->n * 4 > p->mask * 3)
        p->mask = p->mask * 2 + 1;
    return LK_OK;
}

lk_status lk_strpool_grow_end(lk_strpool *p)
{
    lk_status st;

    if (!p->gfd1)
        return LK_OK;
    if ((st = grow_chunk(p)) != LK_OK || (st = grow_refs(p)) != LK_OK)
        return st;
    free(p->gbuf);
    free(p->gref);
    p->gbuf = NULL;
    p->gref = NULL;
    p->gfd1 = 0;
    p->cap = LK_MAX(p->cap, p->n); /* what unparking allocates */
    return LK_OK;
}

int lk_strpool_parked(const lk_strpool *p)
{
    return p->arena.parked;
}

lk_status lk_strpool_each(const lk_strpool *p, int fd, const char *dir,
                          void (*fn)(void *ctx, uint32_t id, const char *s, size_t n), void *ctx,
                          char *errbuf)
{
    const lk_arena *a = &p->arena;
    uint64_t *at;
    char *buf = NULL;
    size_t cap = 0, id = 0;
    lk_status st = LK_OK;

    if (p->gfd1 || p->sid)
        return LK_EINVAL;
    if (!a->parked) {
        for (size_t i = 0; i < p->n; i++)
            fn(ctx, (uint32_t)i, p->str[i], stored_len(p->str[i]));
        return LK_OK;
    }
    if (!(at = chunk_places(a)))
        return LK_ENOMEM;
    /* chunk by chunk: the strings are in id order, each as its id, its
     * length, its bytes and a NUL */
    for (size_t c = 0; c < a->nchunk && st == LK_OK; c++) {
        const size_t len = a->cused[c];
        if ((st = LK_GROW(buf, LK_MAX(len, (size_t)1), cap)) != LK_OK ||
            (st = lk_tmpfile_read(fd, buf, len, at[c], dir, errbuf)) != LK_OK)
            break;
        for (size_t o = 0; o < len && st == LK_OK;) {
            uint32_t n;
            if (len - o < HEAD + 1 ||
                (memcpy(&n, buf + o + 4, 4), (size_t)n + HEAD + 1 > len - o) || id >= p->n) {
                lk_errf(errbuf, "string table: a temporary file in %s was read back corrupt", dir);
                st = LK_EIO;
                break;
            }
            fn(ctx, (uint32_t)id++, buf + o + HEAD, n);
            o += (size_t)n + HEAD + 1;
        }
    }
    if (st == LK_OK && id != p->n) {
        lk_errf(errbuf, "string table: a temporary file in %s was read back corrupt", dir);
        st = LK_EIO;
    }
    free(at);
    free(buf);
    return st;
}

/* The hash table of ids, built from str[] (unparked without
 * one, or when first needed after that). */
static lk_status build_table(lk_strpool *p)
{
    p->tab = lk_table_alloc((p->mask + 1) * sizeof *p->tab);
    if (!p->tab)
        return LK_ENOMEM;
    p->by_place = 0;
    for (size_t i = 0; i < p->n; i++) {
        const uint32_t h = lk_strpool_hash(p->str[i], stored_len(p->str[i]));
        size_t j = h & p->mask;
        while (p->tab[j].v)
            j = (j + 1) & p->mask;
        p->tab[j].h = h;
        p->tab[j].v = (uint32_t)i + 1;
    }
    return LK_OK;
}

lk_status lk_strpool_unpark(lk_strpool *p, int fd, const char *dir, int lookup, unsigned threads,
                            char *errbuf)
{
    uint64_t *ref;
    lk_status st = LK_OK;

    if (!p->arena.parked)
        return LK_OK;
    if ((st = lk_arena_unpark(&p->arena, fd, dir, threads, errbuf)) != LK_OK)
        return st;
    /* the refs read back TAB_PIECE at a time, as lk_strpool_park wrote
     * them, not whole beside the pool */
    ref = malloc(TAB_PIECE * sizeof *ref);
    p->str = lk_huge_malloc(LK_MAX(p->cap, (size_t)1) * sizeof *p->str);
    if (!ref || !p->str) {
        free(ref);
        return LK_ENOMEM;
    }
    for (size_t i0 = 0; i0 < p->n && st == LK_OK; i0 += TAB_PIECE) {
        const size_t m = LK_MIN(TAB_PIECE, p->n - i0);
        if ((st = lk_tmpfile_read(fd, ref, m * sizeof *ref, p->park_refs + i0 * sizeof *ref, dir,
                                  errbuf)) == LK_OK)
            for (size_t i = 0; i < m; i++)
                p->str[i0 + i] = lk_arena_get(&p->arena, ref[i]) + HEAD;
    }
    free(ref);
    if (st != LK_OK || !lookup)
        return st;
    return p->park_tab ? unpark_table(p, fd, dir, threads, errbuf) : build_table(p);
}

int lk_strpool_partial(const lk_strpool *p)
{
    return p->sid != NULL;
}

/* The share of a pool's ids above which lk_strpool_unpark_ids reads all of
 * it back: one string at a time costs three reads, a whole chunk one. */
#define PICK_SHARE 16

lk_status lk_strpool_unpark_ids(lk_strpool *p, int fd, const char *dir, const uint32_t *ids,
                                size_t n, unsigned threads, char *errbuf)
{
    const lk_arena *a = &p->arena;
    uint64_t *at; /* each chunk's place in the file */
    lk_arena out;
    lk_status st = LK_ENOMEM;

    if (!a->parked)
        return LK_OK;
    if (n > p->n / PICK_SHARE || a->spill_fd1)
        return lk_strpool_unpark(p, fd, dir, 0, threads, errbuf);
    lk_arena_init(&out);
    at = chunk_places(a);
    p->sid = malloc(LK_MAX(n, (size_t)1) * sizeof *p->sid);
    p->sstr = malloc(LK_MAX(n, (size_t)1) * sizeof *p->sstr);
    if (!at || !p->sid || !p->sstr)
        goto done;
    for (size_t i = 0; i < n; i++) {
        uint64_t ref, c, o, nref;
        uint32_t len;
        char *dst;
        if (ids[i] >= p->n || (i > 0 && ids[i] <= ids[i - 1])) {
            lk_errf(errbuf, "string table: ids to read back out of order or range");
            st = LK_EINVAL;
            goto done;
        }
        if ((st = lk_tmpfile_read(fd, &ref, sizeof ref,
                                  p->park_refs + (uint64_t)ids[i] * sizeof ref, dir, errbuf)) !=
            LK_OK)
            goto done;
        c = ref >> 32;
        o = ref & 0xffffffffu;
        len = 0;
        if (c >= a->nchunk || o + HEAD > a->cused[c] ||
            (st = lk_tmpfile_read(fd, &len, sizeof len, at[c] + o + 4, dir, errbuf)) != LK_OK ||
            (uint64_t)len + HEAD + 1 > a->cused[c] - o) {
            if (st == LK_OK) {
                lk_errf(errbuf, "string table: a string outside its arena");
                st = LK_EINVAL;
            }
            goto done;
        }
        /* the record as the arena held it */
        if ((st = lk_arena_reserve(&out, (size_t)len + HEAD, &nref, &dst)) != LK_OK ||
            (st = lk_tmpfile_read(fd, dst, (size_t)len + HEAD + 1, at[c] + o, dir, errbuf)) !=
                LK_OK)
            goto done;
        p->sid[i] = ids[i];
        p->sstr[i] = lk_arena_get(&out, nref) + HEAD;
    }
    p->ns = n;
    lk_arena_release(&p->arena);
    p->arena = out;
    lk_arena_init(&out);
    st = LK_OK;
done:
    free(at);
    lk_arena_release(&out);
    if (st != LK_OK) {
        free(p->sid);
        free(p->sstr);
        p->sid = NULL;
        p->sstr = NULL;
        p->ns = 0;
    }
    return st;
}
