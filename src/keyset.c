/* keyset.c - the post keys seen: open addressing over an arena (keyset.h). */
#include "keyset.h"

#include "strpool.h"
#include "tmpfile.h"

/* A record in the arena: the key's 64-bit hash, its length, its bytes (and
 * the NUL lk_arena_reserve adds). */
#define REC_HEAD 12

/* A slot: TAG_BITS of the hash (its top bits; positions take the low ones)
 * over the record's place in the arena's bytes taken end to end, + 1 (0 =
 * empty): 2^40 - 2 bytes of keys, a terabyte. */
#define TAG_BITS 24
#define REF_BITS (64 - TAG_BITS)

struct lk_keyset {
    lk_arena arena;
    uint64_t *tab;
    size_t mask; /* table size - 1 (a power of two) */
    uint64_t n;
    uint64_t *start; /* where each chunk of the arena starts in those bytes */
    size_t nstart, start_cap;
    const char *spill_dir; /* lk_keyset_spill's folder, resolved, or NULL */
    char errbuf[LK_ERRMSG_MAX];
    unsigned char *rec; /* scratch: a record read back from the file */
    size_t rec_cap;
};

lk_status lk_keyset_new(lk_keyset **out)
{
    lk_keyset *s = calloc(1, sizeof *s);

    if (!s)
        return LK_ENOMEM;
    lk_arena_init(&s->arena);
    s->mask = 1023;
    if (!(s->tab = lk_table_alloc((s->mask + 1) * sizeof *s->tab))) {
        free(s);
        return LK_ENOMEM;
    }
    *out = s;
    return LK_OK;
}

void lk_keyset_free(lk_keyset *s)
{
    if (!s)
        return;
    lk_table_free(s->tab, (s->mask + 1) * sizeof *s->tab);
    lk_arena_release(&s->arena);
    free(s->start);
    free(s->rec);
    free(s);
}

void lk_keyset_spill(lk_keyset *s, const char *dir)
{
    s->spill_dir = lk_tmpfile_dir(dir);
}

const char *lk_keyset_errmsg(const lk_keyset *s)
{
    return s->errbuf;
}

uint64_t lk_keyset_spilled_bytes(const lk_keyset *s)
{
    return s->arena.spill_end;
}

uint64_t lk_keyset_count(const lk_keyset *s)
{
    return s->n;
}

size_t lk_keyset_bytes(const lk_keyset *s)
{
    size_t resident = 0;

    for (size_t c = 0; c < s->arena.nchunk; c++)
        if (s->arena.chunk[c])
            resident += c + 1 == s->arena.nchunk ? s->arena.csize : (size_t)s->arena.cused[c];
    return sizeof *s + (s->mask + 1) * sizeof *s->tab + resident + s->rec_cap;
}

/* The arena ref (chunk << 32 | offset) of the record at place pos: the
 * last chunk starting at or before it. */
static uint64_t pos_ref(const lk_keyset *s, uint64_t pos)
{
    const size_t lo = lk_last_le(s->start, s->nstart, pos);

    return (uint64_t)lo << 32 | (pos - s->start[lo]);
}

static uint64_t slot_pos(uint64_t slot)
{
    return (slot & ((UINT64_C(1) << REF_BITS) - 1)) - 1;
}

static uint64_t make_slot(uint64_t h, uint64_t pos)
{
    return (h >> REF_BITS) << REF_BITS | (pos + 1);
}

/* Put a record's slot in the first free place from its hash's. */
static void place(uint64_t *tab, size_t mask, uint64_t h, uint64_t slot)
{
    size_t j = (size_t)h & mask;

    while (tab[j])
        j = (j + 1) & mask;
    tab[j] = slot;
}

/* The table at `size` slots (a power of two), its slots placed from the
 * records' hashes, read from the arena in order (a spilled chunk a read at
 * a time).  The old table is freed first: nothing of it is read, and the
 * two together were the set's peak (1.5 times the new one). */
static lk_status rebuild(lk_keyset *s, size_t size)
{
    const size_t mask = size - 1;
    size_t bytes;

    lk_table_free(s->tab, (s->mask + 1) * sizeof *s->tab);
    s->tab = NULL;
    if (lk_mul_size(size, sizeof *s->tab, &bytes) != 0 || !(s->tab = lk_table_alloc(bytes)))
        return LK_ENOMEM;
    s->mask = mask;
    for (size_t c = 0, base = 0; c < s->arena.nchunk; c++) {
        const uint64_t len = lk_arena_chunk_len(&s->arena, c);
        const unsigned char *p = (const unsigned char *)s->arena.chunk[c];

        if (!p) {
            lk_status st;

            if ((st = LK_GROW(s->rec, (size_t)len, s->rec_cap)) != LK_OK ||
                (st = lk_arena_read(&s->arena, (uint64_t)c << 32, s->rec, (size_t)len,
                                    s->errbuf)) != LK_OK)
                return st;
            p = s->rec;
        }
        for (uint64_t o = 0; o < len;) {
            uint64_t h;
            uint32_t n;

            memcpy(&h, p + o, 8);
            memcpy(&n, p + o + 8, 4);
            place(s->tab, mask, h, make_slot(h, base + o));
            o += REC_HEAD + (uint64_t)n + 1;
        }
        base += (size_t)len;
    }
    return LK_OK;
}

/* Twice the table.  When that fails the set has no table any more and
 * every later call fails too (the run stops at the first error anyway). */
static lk_status grow(lk_keyset *s)
{
    const lk_status st = rebuild(s, (s->mask + 1) * 2);

    if (st != LK_OK) {
        lk_table_free(s->tab, (s->mask + 1) * sizeof *s->tab);
        s->tab = NULL;
    }
    return st;
}

/* 1 when the record of slot is (h, key, n), 0 when not, -1 with *st set
 * when it could not be read. */
static int same(lk_keyset *s, uint64_t slot, uint64_t h, const char *key, size_t n, lk_status *st)
{
    const uint64_t ref = pos_ref(s, slot_pos(slot));
    const size_t c = (size_t)(ref >> 32);
    unsigned char head[REC_HEAD];
    uint64_t rh;
    uint32_t rn;

    if (s->arena.chunk[c]) {
        const char *p = s->arena.chunk[c] + (ref & 0xffffffffu);

        memcpy(&rh, p, 8);
        memcpy(&rn, p + 8, 4);
        return rh == h && rn == n && memcmp(p + REC_HEAD, key, n) == 0;
    }
    if ((*st = lk_arena_read(&s->arena, ref, head, REC_HEAD, s->errbuf)) != LK_OK)
        return -1;
    memcpy(&rh, head, 8);
    memcpy(&rn, head + 8, 4);
    if (rh != h || rn != n)
        return 0;
    if ((*st = LK_GROW(s->rec, n + 1, s->rec_cap)) != LK_OK ||
        (*st = lk_arena_read(&s->arena, ref + REC_HEAD, s->rec, n, s->errbuf)) != LK_OK)
        return -1;
    return memcmp(s->rec, key, n) == 0;
}

/* Whether (h, key, n) is in the table: *found, and in *slot the slot it
 * is in or the free one that ends its probe. */
static lk_status lookup(lk_keyset *s, uint64_t h, const char *key, size_t n, int *found,
                        size_t *slot)
{
    const uint64_t tag = h >> REF_BITS;
    size_t j;

    for (j = (size_t)h & s->mask; s->tab[j]; j = (j + 1) & s->mask) {
        lk_status st = LK_OK;
        int r;

        if (s->tab[j] >> REF_BITS != tag)
            continue;
        if ((r = same(s, s->tab[j], h, key, n, &st)) < 0)
            return st;
        if (r) {
            *found = 1;
            *slot = j;
            return LK_OK;
        }
    }
    *found = 0;
    *slot = j;
    return LK_OK;
}

size_t lk_keyset_grow_bytes(const lk_keyset *s)
{
    return (s->n + 1) * 4 > (uint64_t)(s->mask + 1) * 3 ? (s->mask + 1) * sizeof *s->tab : 0;
}

lk_status lk_keyset_find(lk_keyset *s, const char *key, size_t n, int *found)
{
    size_t j;

    if (n >= ((size_t)1 << 31) - REC_HEAD)
        return LK_ELIMIT;
    if (!s->tab) /* a growth failed */
        return LK_ENOMEM;
    return lookup(s, lk_hash64(key, n), key, n, found, &j);
}

lk_status lk_keyset_add(lk_keyset *s, const char *key, size_t n, int *fresh)
{
    const uint64_t h = lk_hash64(key, n);
    uint64_t ref, pos;
    char *dst;
    size_t j = 0;
    int found = 0;
    lk_status st;

    if (n >= ((size_t)1 << 31) - REC_HEAD)
        return LK_ELIMIT;
    if (!s->tab) /* a growth failed */
        return LK_ENOMEM;
    if (s->spill_dir && !s->arena.spill_fd1 &&
        (st = lk_arena_spill(&s->arena, s->spill_dir, s->errbuf)) != LK_OK)
        return st;
    if ((s->n + 1) * 4 > (uint64_t)(s->mask + 1) * 3 && (st = grow(s)) != LK_OK)
        return st;
    if ((st = lookup(s, h, key, n, &found, &j)) != LK_OK)
        return st;
    if (found) {
        *fresh = 0;
        return LK_OK;
    }
    if ((st = lk_arena_reserve(&s->arena, REC_HEAD + n, &ref, &dst)) != LK_OK)
        return st;
    while (s->nstart < s->arena.nchunk) { /* a chunk was opened */
        if ((st = LK_GROW(s->start, s->nstart + 1, s->start_cap)) != LK_OK)
            return st;
        s->start[s->nstart] =
            s->nstart ? s->start[s->nstart - 1] + s->arena.cused[s->nstart - 1] : 0;
        s->nstart++;
    }
    pos = s->start[ref >> 32] + (ref & 0xffffffffu);
    if (pos >= (UINT64_C(1) << REF_BITS) - 1)
        return LK_ELIMIT; /* the record stays, unreferenced */
    {
        const uint32_t n32 = (uint32_t)n;

        memcpy(dst, &h, 8);
        memcpy(dst + 8, &n32, 4);
        memcpy(dst + REC_HEAD, key, n);
        dst[REC_HEAD + n] = '\0';
    }
    s->tab[j] = make_slot(h, pos);
    s->n++;
    *fresh = 1;
    return LK_OK;
}
