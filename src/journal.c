/*
 * journal.c - journals made, freed, and sent between ranks (journal.h).
 *
 * Under mpirun every rank receives every other rank's journals, so their
 * packed form is what a distributed run moves over the network.  While
 * the entries and the objects' places went as they are in memory (56
 * bytes an entry, 16 an object), most of them zeros and numbers a byte or
 * two long, the simulated input of 10^7 actions (0.9 GB) took 1.61 GB of
 * journals.  Now each field of an entry is a varint: the line, the time,
 * the offset of its strings, its first object and its sketch as the
 * difference from the previous entry's (or from where that one ended),
 * the lengths and the ids as they are; only the 32-bit hashes stay whole.
 * The same input takes 1.08 GB.  The sketches and the strings go as they
 * are: 16-bit minima, and ids that look random.
 */
#include "journal.h"

lk_status lk_journal_new(lk_journal **out)
{
    lk_journal *j = calloc(1, sizeof *j);

    if (!j)
        return LK_ENOMEM;
    lk_buf_init(&j->bytes);
    j->fmt = -1;
    *out = j;
    return LK_OK;
}

void lk_journal_free(lk_journal *j)
{
    if (!j)
        return;
    free(j->e);
    lk_buf_release(&j->bytes);
    free(j->ob);
    free(j->oh);
    free(j->oid);
    free(j->sig);
    free(j);
}

/* ---- the packed form ---------------------------------------------------
 *
 * A header of counts and section sizes, then the entries (ebytes), the
 * objects' places and hashes, and their ids when resolved (obytes), the
 * sketches (nsig 16-bit slots) and the strings (bytes).  Only ranks of one
 * job running the same binary exchange these, so the header and the fixed
 * fields are in the machine's own byte order.
 *
 * An entry: a byte of kind (3 bits), flags (3 bits), and whether `why` and
 * `fmt` follow, each a byte; then varints: line, t and off as zigzag
 * differences from the previous entry's; the four lengths; ob0 as a zigzag
 * difference from the previous entry's ob0 + nob, then nob; the sketch as
 * 0 (none) or 1 + the zigzag difference from the previous sketch's end;
 * then acc_h (4 bytes) and acc_id + 1 (NO_ID: 0).  An object: off and len
 * as varints, its hash (4 bytes), and when resolved its id + 1. */

typedef struct jwire {
    uint64_t n, bytes, nob, nsig, resolved, ebytes, obytes;
} jwire;

/* The most bytes an entry and an object take. */
#define E_MAX 96
#define O_MAX 24

#define B_WHY 0x40u
#define B_FMT 0x80u

_Static_assert(J_FMT < 8 && (F_ROW | F_KEY | F_NT) < 8, "kind and flags share a byte");

static inline uint64_t zz(uint64_t d)
{
    return (d << 1) ^ (UINT64_C(0) - (d >> 63));
}

static inline uint64_t unzz(uint64_t z)
{
    return (z >> 1) ^ (UINT64_C(0) - (z & 1));
}

static inline uint8_t *put_v(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

/* A varint from [*p, end) into *v; 0 when it runs past end or past 64
 * bits. */
static inline int get_v(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;

    for (unsigned s = 0; *p < end && s < 64; s += 7) {
        const uint8_t b = *(*p)++;
        if (s == 63 && b > 1)
            return 0;
        x |= (uint64_t)(b & 0x7fu) << s;
        if (!(b & 0x80u)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

/* A varint that must fit 32 bits. */
static inline int get_v32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
    uint64_t x;

    if (!get_v(p, end, &x) || x > UINT32_MAX)
        return 0;
    *v = (uint32_t)x;
    return 1;
}

static inline int get_u32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
    if ((size_t)(end - *p) < sizeof *v)
        return 0;
    memcpy(v, *p, sizeof *v);
    *p += sizeof *v;
    return 1;
}

static uint8_t *pack_entries(const lk_journal *j, uint8_t *p)
{
    uint64_t line = 0, t = 0, off = 0, ob = 0, sig = 0;

    for (size_t i = 0; i < j->n; i++) {
        const jent *e = &j->e[i];
        *p++ = (uint8_t)((e->kind & 7u) | (e->flags & 7u) << 3 | (e->why ? B_WHY : 0) |
                         (e->fmt != -1 ? B_FMT : 0));
        if (e->why)
            *p++ = e->why;
        if (e->fmt != -1)
            *p++ = (uint8_t)e->fmt;
        p = put_v(p, zz(e->line - line));
        p = put_v(p, zz((uint64_t)e->t - t));
        p = put_v(p, zz((uint64_t)e->off - off));
        line = e->line;
        t = (uint64_t)e->t;
        off = e->off;
        p = put_v(p, e->acc_len);
        p = put_v(p, e->content_len);
        p = put_v(p, e->key_len);
        p = put_v(p, e->objs_len);
        p = put_v(p, zz(e->ob0 - ob));
        p = put_v(p, e->nob);
        ob = (uint64_t)e->ob0 + e->nob;
        if (e->sig == NO_SIG) {
            *p++ = 0;
        } else {
            p = put_v(p, 1 + zz(e->sig - sig));
            sig = (uint64_t)e->sig + LK_NEARTEXT_K;
        }
        p = put_u32(p, e->acc_h);
        p = put_v(p, (uint32_t)(e->acc_id + 1u));
    }
    return p;
}

static uint8_t *pack_objects(const lk_journal *j, uint8_t *p)
{
    for (size_t i = 0; i < j->nob; i++) {
        p = put_v(p, j->ob[i].off);
        p = put_v(p, j->ob[i].len);
        p = put_u32(p, j->oh[i]);
        if (j->resolved)
            p = put_v(p, (uint32_t)(j->oid[i] + 1u));
    }
    return p;
}

lk_status lk_journal_pack(const lk_journal *j, lk_buf *out)
{
    jwire h;
    size_t most, a, b;
    uint8_t *p, *q;
    lk_status st;

    if (lk_mul_size(j->n, E_MAX, &a) || lk_mul_size(j->nob, O_MAX, &b) ||
        lk_add_size(a, b, &most) || lk_add_size(most, sizeof h + j->bytes.len, &most) ||
        lk_mul_size(j->nsig, sizeof *j->sig, &a) || lk_add_size(most, a, &most))
        return LK_ENOMEM;
    if ((st = lk_buf_reserve(out, most)) != LK_OK)
        return st;
    p = (uint8_t *)out->p + out->len + sizeof h;
    q = pack_entries(j, p);
    h.ebytes = (uint64_t)(q - p);
    p = pack_objects(j, q);
    h.obytes = (uint64_t)(p - q);
    if (j->nsig)
        memcpy(p, j->sig, j->nsig * sizeof *j->sig);
    p += j->nsig * sizeof *j->sig;
    if (j->bytes.len)
        memcpy(p, j->bytes.p, j->bytes.len);
    p += j->bytes.len;
    h.n = j->n;
    h.bytes = j->bytes.len;
    h.nob = j->nob;
    h.nsig = j->nsig;
    h.resolved = j->resolved != 0;
    memcpy(out->p + out->len, &h, sizeof h);
    out->len = (size_t)(p - (uint8_t *)out->p);
    out->p[out->len] = '\0';
    return LK_OK;
}

/* The entries of [p, end) into j->e (j->n of them, j's other counts set):
 * 0 when they do not decode to exactly that many within the counts. */
static int unpack_entries(lk_journal *j, const uint8_t *p, const uint8_t *end)
{
    uint64_t line = 0, t = 0, off = 0, ob = 0, sig = 0, v;

    for (size_t i = 0; i < j->n; i++) {
        jent *e = &j->e[i];
        uint8_t b0;
        memset(e, 0, sizeof *e);
        if (p >= end)
            return 0;
        b0 = *p++;
        e->kind = b0 & 7u;
        e->flags = (uint8_t)(b0 >> 3 & 7u);
        e->fmt = -1;
        if (e->kind > J_FMT)
            return 0;
        if (b0 & B_WHY) {
            if (p >= end)
                return 0;
            e->why = *p++;
        }
        if (b0 & B_FMT) {
            if (p >= end)
                return 0;
            e->fmt = (int8_t)*p++;
        }
        if (!get_v(&p, end, &v))
            return 0;
        e->line = line += unzz(v);
        if (!get_v(&p, end, &v))
            return 0;
        t += unzz(v);
        e->t = (int64_t)t;
        if (!get_v(&p, end, &v) || (off += unzz(v)) > j->bytes.len)
            return 0;
        e->off = (size_t)off;
        if (!get_v32(&p, end, &e->acc_len) || !get_v32(&p, end, &e->content_len) ||
            !get_v32(&p, end, &e->key_len) || !get_v32(&p, end, &e->objs_len) ||
            !get_v(&p, end, &v))
            return 0;
        ob += unzz(v);
        if (ob > j->nob || !get_v32(&p, end, &e->nob) || e->nob > j->nob - ob)
            return 0;
        e->ob0 = (uint32_t)ob;
        ob += e->nob;
        if (!get_v(&p, end, &v))
            return 0;
        e->sig = NO_SIG;
        if (v) {
            sig += unzz(v - 1);
            if (sig > j->nsig || j->nsig - sig < LK_NEARTEXT_K)
                return 0;
            e->sig = (uint32_t)sig;
            sig += LK_NEARTEXT_K;
        }
        if (!get_u32(&p, end, &e->acc_h) || !get_v(&p, end, &v) || v > UINT32_MAX)
            return 0;
        e->acc_id = (uint32_t)v - 1u;
        /* a record's strings and NULs lie within the bytes */
        if (e->kind == J_REC && j->bytes.len - off < (uint64_t)e->acc_len + e->content_len +
                                                         e->key_len + e->objs_len + 4)
            return 0;
    }
    return p == end;
}

static int unpack_objects(lk_journal *j, const uint8_t *p, const uint8_t *end)
{
    for (size_t i = 0; i < j->nob; i++) {
        uint32_t id;
        if (!get_v32(&p, end, &j->ob[i].off) || !get_v32(&p, end, &j->ob[i].len) ||
            !get_u32(&p, end, &j->oh[i]))
            return 0;
        if (j->resolved) {
            if (!get_v32(&p, end, &id))
                return 0;
            j->oid[i] = id - 1u;
        }
    }
    /* each record's objects lie within its objects' string */
    for (size_t i = 0; i < j->n; i++) {
        const jent *e = &j->e[i];
        for (size_t k = e->ob0; k < (size_t)e->ob0 + e->nob; k++)
            if (e->kind == J_REC && (uint64_t)j->ob[k].off + j->ob[k].len > e->objs_len)
                return 0;
    }
    return p == end;
}

lk_status lk_journal_unpack(lk_journal *j, const void *p, size_t len)
{
    const uint8_t *q = p;
    jwire h;
    size_t body, s;
    lk_status st;

    if (len < sizeof h)
        return LK_EINVAL;
    memcpy(&h, q, sizeof h);
    q += sizeof h;
    /* the sections must fill the rest exactly */
    if (h.resolved > 1 || h.n > SIZE_MAX || h.nob > SIZE_MAX || h.nsig > SIZE_MAX ||
        h.ebytes > SIZE_MAX || h.obytes > SIZE_MAX || h.bytes > SIZE_MAX ||
        lk_mul_size((size_t)h.nsig, sizeof *j->sig, &s) || lk_add_size(s, (size_t)h.bytes, &body) ||
        lk_add_size(body, (size_t)h.ebytes, &body) || lk_add_size(body, (size_t)h.obytes, &body) ||
        body != len - sizeof h || h.ebytes < h.n || h.obytes < h.nob)
        return LK_EINVAL;
    j->n = j->nob = j->nsig = 0;
    j->resolved = 0;
    j->fmt = -1;
    j->open = 0;
    j->err = LK_OK;
    lk_buf_reset(&j->bytes);
    if ((st = LK_GROW(j->e, (size_t)h.n, j->cap)) != LK_OK ||
        (st = LK_GROW(j->ob, (size_t)h.nob, j->obcap)) != LK_OK ||
        (st = LK_GROW(j->oh, (size_t)h.nob, j->ohcap)) != LK_OK ||
        (h.resolved && (st = LK_GROW(j->oid, (size_t)h.nob, j->oidcap)) != LK_OK) ||
        (st = LK_GROW(j->sig, (size_t)h.nsig, j->sigcap)) != LK_OK ||
        (st = lk_buf_append(&j->bytes, q + h.ebytes + h.obytes + s, (size_t)h.bytes)) != LK_OK)
        return st;
    j->n = (size_t)h.n;
    j->nob = (size_t)h.nob;
    j->nsig = (size_t)h.nsig;
    j->resolved = (int)h.resolved;
    if (s)
        memcpy(j->sig, q + h.ebytes + h.obytes, s);
    if (!unpack_entries(j, q, q + h.ebytes) ||
        !unpack_objects(j, q + h.ebytes, q + h.ebytes + h.obytes)) {
        j->n = j->nob = j->nsig = 0; /* never replayed half made */
        return LK_EINVAL;
    }
    return LK_OK;
}
