/* net.c - partitioned, sort-based pair aggregation and the threshold. */
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <unistd.h>

#include "compat.h"
#include "dist.h"
#include "net_int.h"
#include "pairsketch.h"
#include "par.h"
#include "rng.h"
#include "tmpfile.h"

/*
 * The pair sketch: which pairs of accounts occur in exactly one record.
 * Such a pair is an edge on one object, which no threshold keeps when
 * min_keep >= 2 (the calibrated run and both null copies; a weight
 * threshold above 1); at 10^7 simulated actions four records in five are
 * one.  The pass before the scatter that counts the pairs (to cut the
 * partitions) also counts every pair in a count-min sketch of two-bit
 * saturating counters (0, 1, 2 or more), two counters a pair in one (seen,
 * twice) word pair, sized beforehand from a bound on the pairs that takes
 * no sweep of them (bound_chunk; 0.4% above the pairs at 10^8 simulated
 * actions); the scatter then leaves out each pair whose
 * smaller counter is 1 and only counts it (an edge of weight 1).  A counter
 * never falls below its pair's records, so a pair of two or more records is
 * never left out: the edges, their statistics and the weight histogram are
 * exactly those of the full reduction.  A 64-byte line holds four word
 * pairs, 256 counters.  The threads fill one sketch together: a pair's two
 * counters in one word pair take one atomic fetch-or (two, one a counter,
 * made the fill of 720 M pairs on two threads 1.1-1.2 times as long:
 * bench/sketch_speed.c).
 */
static uint64_t sk_hash(uint32_t a, uint32_t b)
{
    return lk_mix64((uint64_t)a << 32 | b);
}

/* Pairs whose sketch lines are fetched together: the lines lie anywhere in
 * hundreds of megabytes, and fetched one at a time each costs a whole
 * memory latency (the sketch made the pair stage at 10^7 actions slower
 * before the lines were fetched ahead). */
#define SK_AHEAD 32

/* Count the pairs of hashes h[0..n) for their smaller accounts a[0..n) in
 * per_acc and add them to sk, the lines and counts fetched first; shared:
 * other threads add to sk at the same time. */
static void count_add_batch(uint64_t *sk, uint64_t lines, const uint64_t *h, uint64_t *per_acc,
                            const uint32_t *a, size_t n, int shared)
{
    for (size_t i = 0; i < n; i++) {
        __builtin_prefetch(sk + sk_at(lines, h[i]), 1);
        __builtin_prefetch(per_acc + a[i], 1);
    }
    for (size_t i = 0; i < n; i++)
        per_acc[a[i]]++;
    if (shared)
        for (size_t i = 0; i < n; i++)
            sk_add_shared(sk + sk_at(lines, h[i]), h[i]);
    else
        for (size_t i = 0; i < n; i++)
            sk_add(sk + sk_at(lines, h[i]), h[i]);
}

/* This rank's chunks are `task * nranks + rank`; the count and the scatter
 * take them in j->order, the heaviest first. */
static size_t own_chunk(const job *j, size_t task)
{
    return task * (size_t)j->nranks + (size_t)j->rank;
}

/*
 * Sweep the chunk of task t in j->order: count its pairs and each smaller
 * account's, and with fill add them to the shared sketch too.  One loop for
 * both, so that the sketch sees exactly the pairs the count and the scatter
 * do.
 */
static inline void sweep_chunk(job *j, size_t task, unsigned worker, int fill)
{
    const lk_cols *cp = &j->cp;
    const lk_objindex *ix = j->ix;
    const size_t c = j->order[task];
    uint64_t *per_acc = j->per_acc[worker], pairs = 0;
    uint64_t *sk = j->sk, hb[SK_AHEAD];
    uint32_t ab[SK_AHEAD];
    const int shared = j->threads > 1;
    const uint64_t lines = j->sk_lines, smask = j->sample_mask;
    size_t nh = 0;
    size_t ev = (size_t)ix->start[j->ch[c].o0];

    for (size_t o = j->ch[c].o0; o < j->ch[c].o1; o++) {
        const size_t s = (size_t)ix->start[o], e = (size_t)ix->start[o + 1];
        size_t lo = s;
        ev = lk_cols_evict_behind(cp, ev, s); /* a mapped copy's pages go behind */
        for (size_t k = s + 1; k < e; k++) {
            const uint32_t ak = cp->acc[k];
            while (cp->t[k] - cp->t[lo] > j->w)
                lo++;
            if (j->burst[k])
                continue;
            for (size_t i = lo; i < k; i++) {
                const uint32_t ai = cp->acc[i];
                uint64_t h = 0;
                if (j->burst[i] || ai == ak)
                    continue;
                if (smask || fill) /* the pair's hash: its sample, its sketch line */
                    h = sk_hash(LK_MIN(ai, ak), LK_MAX(ai, ak));
                if (smask && !sk_sampled(h, smask)) /* the others are never seen */
                    continue;
                pairs++;
                if (!fill) {
                    per_acc[LK_MIN(ai, ak)]++;
                    continue;
                }
                ab[nh] = LK_MIN(ai, ak);
                hb[nh++] = h;
                if (nh == SK_AHEAD) {
                    count_add_batch(sk, lines, hb, per_acc, ab, nh, shared);
                    nh = 0;
                }
            }
        }
    }
    if (fill)
        count_add_batch(sk, lines, hb, per_acc, ab, nh, shared);
    lk_cols_evict(cp, ev, (size_t)ix->start[j->ch[c].o1]);
    j->ch[c].pairs = pairs;
}

static void count_chunk(void *ctx, size_t task, unsigned worker)
{
    sweep_chunk(ctx, task, worker, 0);
}

static void count_fill_chunk(void *ctx, size_t task, unsigned worker)
{
    sweep_chunk(ctx, task, worker, 1);
}

/*
 * Own chunk `task`'s pairs bounded without sweeping them: each
 * unmarked action's unmarked predecessors in its window (more than its
 * pairs by the pairs of an account with itself only).  What sizes the
 * sketch before the pass that counts the pairs also fills it.
 */
static void bound_chunk(void *ctx, size_t task, unsigned worker)
{
    job *j = ctx;
    const lk_cols *cp = &j->cp;
    const lk_objindex *ix = j->ix;
    const size_t c = own_chunk(j, task);
    uint64_t n = 0;
    size_t ev = (size_t)ix->start[j->ch[c].o0];

    (void)worker;
    for (size_t o = j->ch[c].o0; o < j->ch[c].o1; o++) {
        const size_t s = (size_t)ix->start[o], e = (size_t)ix->start[o + 1];
        size_t lo = s, live = 0; /* unmarked actions in [lo, k) */
        ev = lk_cols_evict_behind(cp, ev, s);
        for (size_t k = s; k < e; k++) {
            while (cp->t[k] - cp->t[lo] > j->w)
                live -= !j->burst[lo++];
            if (!j->burst[k])
                n += live++;
        }
    }
    lk_cols_evict(cp, ev, (size_t)ix->start[j->ch[c].o1]);
    j->ch[c].bound = n;
}

static size_t own_tasks(const job *j, size_t n);

/* No sketch. */
static void drop_sketch(job *j)
{
    lk_table_free(j->sk, (size_t)j->sk_lines * 64);
    j->sk = NULL;
    j->sk_lines = 0;
}

/*
 * Make the sketch (j->sk) when it can help: min_keep >= 2, and room for
 * at least two counters a pair of `bound` (the pairs of all ranks bounded
 * by bound_chunk; eight counters at most: 2 bytes a pair), of half the
 * budget at most.  The counting pass then fills it (count_fill_chunk),
 * all workers one sketch (sk_add_shared).  (Each used to fill one of its
 * own, of budget / 2 / threads bytes, merged afterwards: at 10^8 actions
 * under 4G on two threads a null copy's sketch then had 3.1 counters a
 * pair and left out 463 M pairs of one record; one table twice the size,
 * 6.1 counters a pair, leaves out 535 M.)  An allocation that fails only
 * means no sketch.  The counters saturate, so the sketch is the same
 * whatever the threads' order.  Distributed (collective), every rank
 * counts the pairs of its own chunks in a sketch of the same size (the
 * smallest any rank has room for), and the ranks' sketches are summed
 * (sum_sketch): each rank then leaves out the pairs of one record in all,
 * whichever rank's chunks hold it; all ranks have a sketch, or none.
 * @return LK_OK, or an error of the collectives.
 */
static lk_status make_sketch(job *j, uint64_t bound, uint64_t budget, char *errbuf)
{
    const uint64_t room = budget / 2;
    uint64_t lines = LK_MIN(LK_MIN(bound * 2, room) / 64, UINT64_C(0xffffffff)), failed = 0;
    lk_status st;

    if (j->min_keep < 2 || bound < 4096) /* the same on every rank */
        return LK_OK;
    if (j->nranks > 1 && ((st = lk_dist_agree(LK_OK, errbuf)) != LK_OK ||
                          (st = lk_dist_allreduce_u64(&lines, 1, LK_DIST_MIN)) != LK_OK))
        return st;
    if (lines * 128 < bound) /* fewer than two counters a pair */
        return LK_OK;
    j->sk_lines = lines;
    /* huge pages where the system gives them: random lines, few TLB misses */
    j->sk = lk_table_alloc(lines * 64);
    failed = !j->sk;
    if (j->nranks > 1 && ((st = lk_dist_agree(LK_OK, errbuf)) != LK_OK ||
                          (st = lk_dist_allreduce_u64(&failed, 1, LK_DIST_MAX)) != LK_OK)) {
        drop_sketch(j);
        return st;
    }
    if (failed)
        drop_sketch(j);
    return LK_OK;
}

/* After the counting pass filled it: the ranks' sketches summed
 * (collective), its room taken out of *budget. */
static lk_status sum_sketch(job *j, uint64_t pairs, uint64_t *budget, char *errbuf)
{
    lk_status st;

    if (!j->sk)
        return LK_OK;
    if (j->nranks > 1 && ((st = lk_dist_agree(LK_OK, errbuf)) != LK_OK ||
                          (st = lk_dist_allreduce_sat2(j->sk, (size_t)j->sk_lines * 4)) != LK_OK)) {
        drop_sketch(j);
        return st;
    }
    *budget -= LK_MIN(*budget / 2, j->sk_lines * 64);
    lk_log(LK_LOG_DEBUG, "pairs: a sketch of %llu bytes (%.1f counters a pair)",
           (unsigned long long)j->sk_lines * 64,
           (double)j->sk_lines * 256.0 / (double)LK_MAX(pairs, (uint64_t)1));
    return LK_OK;
}

lk_status lk_net_spill_open(job *j, unsigned file, char *msg)
{
    spill *sp = &j->sp[file];
    return sp->fd >= 0 ? LK_OK : lk_tmpfile_open(j->tmp_dir, &sp->fd, msg);
}

/* Bit i of a record goes to bit i % 64 of word i / 64; the words' first
 * `size` bytes are the packed record (least significant first). */
static void put_bits(uint64_t *w, unsigned *pos, uint64_t v, unsigned bits)
{
    const unsigned i = *pos >> 6, s = *pos & 63;

    if (bits == 0)
        return;
    w[i] |= v << s;
    if (s && s + bits > 64)
        w[i + 1] |= v >> (64 - s);
    *pos += bits;
}

static uint64_t get_bits(const uint64_t *w, unsigned *pos, unsigned bits)
{
    const unsigned i = *pos >> 6, s = *pos & 63;
    uint64_t v;

    if (bits == 0)
        return 0;
    v = w[i] >> s;
    if (s && s + bits > 64)
        v |= w[i + 1] << (64 - s);
    *pos += bits;
    return bits < 64 ? v & ((UINT64_C(1) << bits) - 1) : v;
}

static void words_to_bytes(const uint64_t *w, uint8_t *out, unsigned size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(out, w, size);
#else
    for (unsigned b = 0; b < size; b++)
        out[b] = (uint8_t)(w[b >> 3] >> (8 * (b & 7)));
#endif
}

static void bytes_to_words(const uint8_t *in, uint64_t *w, unsigned size)
{
    w[0] = w[1] = w[2] = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(w, in, size);
#else
    for (unsigned b = 0; b < size; b++)
        w[b >> 3] |= (uint64_t)in[b] << (8 * (b & 7));
#endif
}

/* r[0..n) packed in place: record k to bytes [k size, (k + 1) size), which
 * never reach a record not yet read (size < sizeof(prec)). */
void lk_net_encode(const reccodec *c, prec *r, size_t n)
{
    uint8_t *out = (uint8_t *)r;

    for (size_t k = 0; k < n; k++) {
        uint64_t w[3] = {0, 0, 0};
        unsigned pos = 0;
        const prec x = r[k];

        put_bits(w, &pos, x.key, c->kbits);
        put_bits(w, &pos, x.obj, c->obits);
        put_bits(w, &pos, x.dt, c->dbits);
        put_bits(w, &pos, x.ev, 32);
        words_to_bytes(w, out + k * c->size, c->size);
    }
}

/* The n packed records at the end of out[0..n) unpacked in place, first to
 * last: record k is read before anything is written over it. */
void lk_net_decode(const reccodec *c, prec *out, size_t n)
{
    const uint8_t *in = (const uint8_t *)out + n * (sizeof *out - c->size);

    for (size_t k = 0; k < n; k++) {
        uint64_t w[3];
        unsigned pos = 0;
        prec x;

        bytes_to_words(in + k * c->size, w, c->size);
        x.key = get_bits(w, &pos, c->kbits);
        x.obj = (uint32_t)get_bits(w, &pos, c->obits);
        x.dt = (uint32_t)get_bits(w, &pos, c->dbits);
        x.ev = (uint32_t)get_bits(w, &pos, 32);
        x.pad = 0;
        out[k] = x;
    }
}

lk_status lk_net_spill_write(job *j, unsigned file, prec *r, size_t n, uint64_t *off, char *msg)
{
    spill *sp = &j->sp[file];
    const size_t len = n * j->codec.size;
    lk_status st = lk_net_spill_open(j, file, msg);

    if (st != LK_OK)
        return st;
    lk_net_encode(&j->codec, r, n);
    *off = sp->size;
    if ((st = lk_tmpfile_write(sp->fd, r, len, sp->size, j->tmp_dir, msg)) == LK_OK)
        sp->size += len;
    return st;
}

lk_status lk_net_spill_read(const job *j, unsigned file, prec *out, size_t n, uint64_t off,
                            uint64_t first, char *msg)
{
    const size_t len = n * j->codec.size;
    lk_status st = lk_tmpfile_read(j->sp[file].fd, (uint8_t *)out + n * sizeof *out - len, len,
                                   off + first * j->codec.size, j->tmp_dir, msg);

    if (st == LK_OK)
        lk_net_decode(&j->codec, out, n);
    return st;
}

/* Records a spilling scatter buffers at least per worker and partition. */
#define BREC_MIN 256

/* Blocks a block list has room for when its first block comes. */
#define BLIST_MIN 4

/* Under job.room: 1 when `bytes` more of blocks may stay in memory (and
 * they are taken from it), else 0.  Which blocks stay depends on the
 * threads' timing; the records, and so the result, do not. */
static int take_room(job *j, uint64_t bytes)
{
    uint64_t r = __atomic_load_n(&j->room, __ATOMIC_RELAXED);

    while (r >= bytes)
        if (__atomic_compare_exchange_n(&j->room, &r, r - bytes, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return 1;
    return 0;
}

/* Move the write buffer of (chunk, partition p) of this worker into its
 * block list: as is (in memory) or appended to the worker's spill file. */
static lk_status flush_block(job *j, size_t task, unsigned worker, size_t p)
{
    prec *buf = j->wbuf[worker] + p * j->brec;
    uint32_t n = j->wfill[worker][p];
    blist *l = &j->bl[task * j->nparts + p];
    block blk;

    if (n == 0)
        return LK_OK;
    /* emptied whether or not the block can be kept: after a failure (a
     * full disk) the worker's next task must not write past the buffer */
    j->wfill[worker][p] = 0;
    memset(&blk, 0, sizeof blk);
    blk.n = n;
    blk.file = worker;
    if (l->n == l->cap) { /* most lists hold a few blocks (part_overhead) */
        const size_t cap = l->cap ? 2 * l->cap : BLIST_MIN;
        block *b = realloc(l->b, cap * sizeof *b);
        if (!b)
            return LK_ENOMEM;
        l->b = b;
        l->cap = cap;
    }
    if (!j->to_disk || take_room(j, (uint64_t)n * sizeof *buf)) {
        blk.mem = malloc((size_t)n * sizeof *blk.mem);
        if (!blk.mem)
            return LK_ENOMEM;
        memcpy(blk.mem, buf, (size_t)n * sizeof *buf);
    } else {
        lk_status st = lk_net_spill_write(j, worker, buf, n, &blk.off, j->msg[task]);
        if (st != LK_OK)
            return st;
    }
    l->b[l->n++] = blk;
    return LK_OK;
}

/* Record (a, b) of object o into its partition's write buffer, which goes
 * to its block list when full. */
static lk_status put_rec(job *j, size_t task, unsigned worker, uint32_t a, uint32_t b, size_t o,
                         uint32_t dt, uint32_t ev)
{
    uint32_t *fill = j->wfill[worker];
    size_t p = j->part_blk[a >> j->blk_shift];
    prec *r;

    while (a >= j->part_lo[p + 1])
        p++;
    r = j->wbuf[worker] + p * j->brec + fill[p];
    r->key = (uint64_t)(a - j->part_lo[p]) << j->bits | b;
    r->obj = (uint32_t)o;
    r->dt = dt;
    r->ev = ev;
    r->pad = 0;
    return ++fill[p] == j->brec ? flush_block(j, task, worker, p) : LK_OK;
}

/* A pair waiting for its sketch line (scatter). */
typedef struct pend {
    uint64_t h;
    uint32_t a, b, dt, ev;
    size_t o;
} pend;

/* The pairs q[0..n), whose lines were fetched when they were queued, in
 * order: the single ones counted, the others recorded. */
static lk_status put_pending(job *j, size_t task, unsigned worker, const pend *q, size_t n,
                             uint64_t *singles)
{
    lk_status st;

    for (size_t i = 0; i < n; i++) {
        if (sk_single(j->sk, j->sk_lines, q[i].h))
            (*singles)++;
        else if ((st = put_rec(j, task, worker, q[i].a, q[i].b, q[i].o, q[i].dt, q[i].ev)) != LK_OK)
            return st;
    }
    return LK_OK;
}

static lk_status scatter(job *j, size_t task, unsigned worker)
{
    const lk_cols *cp = &j->cp;
    const lk_objindex *ix = j->ix;
    const uint64_t *sk = j->sk;
    pend q[SK_AHEAD];
    size_t nq = 0;
    uint64_t singles = 0;
    size_t ev = (size_t)ix->start[j->ch[task].o0];
    lk_status st;

    for (size_t o = j->ch[task].o0; o < j->ch[task].o1; o++) {
        const size_t s = (size_t)ix->start[o], e = (size_t)ix->start[o + 1];
        size_t lo = s;
        ev = lk_cols_evict_behind(cp, ev, s);
        for (size_t k = s + 1; k < e; k++) {
            const uint32_t ak = cp->acc[k];
            const int64_t tk = cp->t[k];
            while (tk - cp->t[lo] > j->w)
                lo++;
            if (j->burst[k])
                continue;
            for (size_t i = lo; i < k; i++) {
                const uint32_t ai = cp->acc[i];
                const uint32_t a = LK_MIN(ai, ak), b = LK_MAX(ai, ak);
                uint32_t dt, pev;
                uint64_t h = 0;
                if (j->burst[i] || a == b)
                    continue;
                if (j->sample_mask || sk) /* the pair's hash: its sample, its sketch line */
                    h = sk_hash(a, b);
                if (j->sample_mask && !sk_sampled(h, j->sample_mask))
                    continue;
                dt = (uint32_t)(tk - cp->t[i]);
                pev = cp->post[i] ^ (cp->post[k] * 0x9e3779b1u);
                if (!sk) {
                    if ((st = put_rec(j, task, worker, a, b, o, dt, pev)) != LK_OK)
                        return st;
                    continue;
                }
                /* queued, its line fetched; the queue goes out in order */
                q[nq].h = h;
                q[nq].a = a;
                q[nq].b = b;
                q[nq].dt = dt;
                q[nq].ev = pev;
                q[nq].o = o;
                __builtin_prefetch(sk + sk_at(j->sk_lines, q[nq].h));
                if (++nq == SK_AHEAD) {
                    if ((st = put_pending(j, task, worker, q, nq, &singles)) != LK_OK)
                        return st;
                    nq = 0;
                }
            }
        }
    }
    if ((st = put_pending(j, task, worker, q, nq, &singles)) != LK_OK)
        return st;
    lk_cols_evict(cp, ev, (size_t)ix->start[j->ch[task].o1]);
    j->ch[task].singles = singles;
    for (size_t p = 0; p < j->nparts; p++)
        if ((st = flush_block(j, task, worker, p)) != LK_OK)
            return st;
    return LK_OK;
}

static void scatter_chunk(void *ctx, size_t task, unsigned worker)
{
    job *j = ctx;
    const size_t c = j->order[task];
    j->st[c] = scatter(j, c, worker);
}

/* Top key bits the first pass of lk_net_sort_records() distributes on: 4096
 * buckets, whose write positions stay in the L2 cache. */
#define MSD_BITS 12

/* Buckets of at most this many records are sorted by insertion. */
#define SMALL_BUCKET 24

/* p[0..n), whose keys agree above bit `bits`, sorted stably on their low
 * `bits` bits: by insertion when small, else by LSD passes of at most 11
 * bits (fewer for fewer records) with tmp (n records) as scratch, skipping
 * passes whose digit is constant; the result ends in p.  cnt holds 2048
 * counters. */
static void sort_bucket(prec *p, prec *tmp, size_t n, unsigned bits, size_t *cnt)
{
    prec *src = p, *dst = tmp;
    unsigned passes, dbits;

    if (n <= SMALL_BUCKET) {
        for (size_t i = 1; i < n; i++) {
            const prec v = p[i];
            size_t k = i;
            for (; k > 0 && p[k - 1].key > v.key; k--)
                p[k] = p[k - 1];
            p[k] = v;
        }
        return;
    }
    if (bits == 0)
        return;
    /* digits of about log2(n / 4) bits: counters fewer than the records */
    dbits = 4;
    while (dbits < 11 && ((size_t)4 << dbits) < n)
        dbits++;
    passes = (bits + dbits - 1) / dbits;
    dbits = (bits + passes - 1) / passes;
    for (unsigned shift = 0; shift < bits; shift += dbits) {
        const uint64_t mask = ((uint64_t)1 << dbits) - 1;
        size_t pos = 0;
        memset(cnt, 0, ((size_t)1 << dbits) * sizeof *cnt);
        for (size_t k = 0; k < n; k++)
            cnt[(src[k].key >> shift) & mask]++;
        if (cnt[(src[0].key >> shift) & mask] == n)
            continue;
        for (size_t d = 0; d <= mask; d++) {
            const size_t c = cnt[d];
            cnt[d] = pos;
            pos += c;
        }
        for (size_t k = 0; k < n; k++)
            dst[cnt[(src[k].key >> shift) & mask]++] = src[k];
        prec *t = src;
        src = dst;
        dst = t;
    }
    if (src != p)
        memcpy(p, src, n * sizeof *p);
}

/* (net_int.h) One pass distributes the records on their top MSD_BITS key
 * bits, then each bucket, a few thousand records that fit the caches, is
 * sorted on the rest (sort_bucket): one pass over memory where an LSD sort
 * makes one for every 11 bits (4 at 10^8 actions); 25-30% faster on a
 * partition of 4 M records. */
lk_status lk_net_sort_records(prec **src_p, prec **dst_p, size_t n, unsigned keybits)
{
    prec *src = *src_p, *dst = *dst_p;
    const unsigned tbits = LK_MIN(keybits, (unsigned)MSD_BITS), low = keybits - tbits;
    const size_t nb = (size_t)1 << tbits;
    size_t *start, *pos, cnt[2048];

    if (n < 2)
        return LK_OK;
    start = malloc((nb + 1) * sizeof *start);
    pos = malloc(nb * sizeof *pos);
    if (!start || !pos) {
        free(start);
        free(pos);
        return LK_ENOMEM;
    }
    memset(pos, 0, nb * sizeof *pos);
    /* src[0..n) is fully written by the sweep (the analyser cannot follow
     * the element count through LK_GROW) */
    for (size_t k = 0; k < n; k++)
        // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
        pos[src[k].key >> low]++;
    if (pos[src[0].key >> low] == n) {
        sort_bucket(src, dst, n, low, cnt); /* one bucket: sorted where it is */
    } else {
        start[0] = 0;
        for (size_t d = 0; d < nb; d++) {
            start[d + 1] = start[d] + pos[d];
            pos[d] = start[d];
        }
        for (size_t k = 0; k < n; k++)
            dst[pos[src[k].key >> low]++] = src[k];
        for (size_t d = 0; d < nb; d++)
            sort_bucket(dst + start[d], src + start[d], start[d + 1] - start[d], low, cnt);
        *src_p = dst;
        *dst_p = src;
    }
    free(start);
    free(pos);
    return LK_OK;
}

static lk_status hist_add(part_out *po, uint64_t w)
{
    if (w >= po->nwhist) {
        size_t nn = LK_MAX((size_t)w + 1, po->nwhist * 2);
        uint64_t *h = realloc(po->whist, nn * sizeof *h);
        if (!h)
            return LK_ENOMEM;
        memset(h + po->nwhist, 0, (nn - po->nwhist) * sizeof *h);
        po->whist = h;
        po->nwhist = nn;
    }
    po->whist[w]++;
    return LK_OK;
}

typedef struct evw {
    uint32_t ev;
    double w;
} evw;

static int cmp_evw(const void *x, const void *y)
{
    const evw *a = x, *b = y;
    if (a->ev != b->ev)
        return (a->ev > b->ev) - (a->ev < b->ev);
    return (a->w < b->w) - (a->w > b->w); /* heaviest first */
}

/*
 * An edge's score counts co-action *events*: one post of each account acting
 * on the same objects within the window.  A post that co-acts on several
 * objects at once (a copy with the same link, tags and text; a reply and
 * its mention) is one event, scored by its rarest object, so the score says
 * how often two accounts acted together, each time weighted by how rare the
 * object was: sum over events of max ln(A / k_o).
 */
typedef struct evbuf {
    evw *p;
    size_t cap;
} evbuf;

static double event_score(const double *idf, const prec *p, size_t n, evbuf *sb, uint32_t *events)
{
    double score = 0.0;
    *events = 0;
    if (LK_GROW(sb->p, n, sb->cap) != LK_OK)
        return -1.0;
    for (size_t i = 0; i < n; i++) {
        sb->p[i].ev = p[i].ev;
        sb->p[i].w = idf[p[i].obj];
    }
    lk_qsort(sb->p, n, sizeof *sb->p, cmp_evw);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sb->p[i].ev != sb->p[i - 1].ev) {
            score += sb->p[i].w;
            (*events)++;
        }
    return score;
}

/* Keep edge e in po (its pair and score alone under scores_only). */
static lk_status keep_edge(part_out *po, const lk_edge *e, int scores_only)
{
    if (scores_only) {
        if (LK_GROW(po->sk, po->n + 1, po->cap) != LK_OK)
            return LK_ENOMEM;
        po->sk[po->n].key = lk_double_key(e->score);
        po->sk[po->n++].val = (uint64_t)e->a << 32 | e->b;
        return LK_OK;
    }
    if (LK_GROW(po->e, po->n + 1, po->cap) != LK_OK)
        return LK_ENOMEM;
    po->e[po->n++] = *e;
    return LK_OK;
}

/* Reduce sorted pair records (accounts lo + key >> bits, key & mask) to edges. */
static lk_status reduce(part_out *po, const double *idf, const prec *p, size_t n, unsigned bits,
                        uint32_t lo, uint32_t min_keep, int scores_only)
{
    const uint64_t mask = (UINT64_C(1) << bits) - 1;
    evbuf sb = {NULL, 0};
    for (size_t k = 0; k < n;) {
        lk_edge e;
        size_t end = k;
        uint32_t last = UINT32_MAX;
        uint64_t sum_ms = 0;

        memset(&e, 0, sizeof e);
        // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
        for (; end < n && p[end].key == p[k].key; end++) {
            sum_ms += p[end].dt;
            /* records keep sweep order, so a changed object is a new one */
            if (p[end].obj != last) {
                last = p[end].obj;
                e.objects++;
            }
        }
        if (e.objects >= min_keep) {
            e.score = event_score(idf, p + k, end - k, &sb, &e.events);
            if (e.score < 0) {
                free(sb.p);
                return LK_ENOMEM;
            }
        }
        e.a = lo + (uint32_t)(p[k].key >> bits);
        e.b = (uint32_t)(p[k].key & mask);
        e.co_actions = end - k;
        e.sum_dt_s = (double)sum_ms / 1000.0;
        e.traces = 1u;
        e.qvalue = 1.0;
        po->n_all++;
        if (hist_add(po, e.objects) != LK_OK) {
            free(sb.p);
            return LK_ENOMEM;
        }
        if (e.objects >= min_keep && keep_edge(po, &e, scores_only) != LK_OK) {
            free(sb.p);
            return LK_ENOMEM;
        }
        k = end;
    }
    free(sb.p);
    if (po->n && po->n < po->cap) { /* give the growth slack back */
        if (scores_only) {
            lk_kv *x = realloc(po->sk, po->n * sizeof *x);
            po->sk = x ? x : po->sk;
        } else {
            lk_edge *x = realloc(po->e, po->n * sizeof *x);
            po->e = x ? x : po->e;
        }
        po->cap = po->n;
    }
    return LK_OK;
}

static int cmp_edge(const void *x, const void *y)
{
    const lk_edge *a = x, *b = y;
    if (a->a != b->a)
        return (a->a > b->a) - (a->a < b->a);
    return (a->b > b->b) - (a->b < b->b);
}

lk_edge *lk_net_find(const lk_net *net, uint32_t x, uint32_t y)
{
    const uint32_t a = LK_MIN(x, y), b = LK_MAX(x, y);
    size_t lo = 0, hi = net->n;
    /* the kept edges are sorted by (a, b): a binary search needs no table
     * beside them (a hash table over 10^7 edges would take 268 MB) */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const lk_edge *e = &net->e[mid];
        if (e->a < a || (e->a == a && e->b < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < net->n && net->e[lo].a == a && net->e[lo].b == b ? &net->e[lo] : NULL;
}

/* Actions a task of the passes over the columns (fill_task, scan_ctx). */
#define FILL_STEP ((size_t)1 << 18)

/* The passes over the columns before the sweeps, on threads: the largest
 * account id (a task a FILL_STEP of actions), then for the idf the accounts
 * with any action (the same tasks) and each object's distinct accounts (a
 * task the objects whose runs start in its FILL_STEP of actions, with a
 * mark per account and worker).  On one thread they made the data's
 * "columns and bursts" step (-vv) take 4.4-5.1 s at 10^8 actions; on two,
 * 2.3-2.5 s. */
typedef struct scan_ctx {
    const lk_objindex *ix;
    const lk_cols *cp;
    const lk_share *share; /* count_accounts: the actions it reads (NULL: all) */
    size_t *amax;          /* per task: largest account id + 1 */
    uint8_t *seen;         /* per account: any action */
    uint32_t **mark;       /* per worker: the last object an account was counted for */
    double *idf;           /* per object */
    double active;         /* accounts with any action */
} scan_ctx;

static void nacc_task(void *ctx, size_t task, unsigned worker)
{
    const scan_ctx *x = ctx;
    const size_t r0 = task * FILL_STEP, r1 = LK_MIN(x->ix->n, r0 + FILL_STEP);
    size_t m = 0, k = 0, lo, hi;
    (void)worker;
    while (lk_share_next(x->share, 0, r0, r1, &k, &lo, &hi))
        for (size_t r = lo; r < hi; r++)
            m = LK_MAX(m, (size_t)x->cp->acc[r] + 1);
    x->amax[task] = m;
    lk_cols_evict(x->cp, r0, r1);
}

static void seen_task(void *ctx, size_t task, unsigned worker)
{
    const scan_ctx *x = ctx;
    const size_t r0 = task * FILL_STEP, r1 = LK_MIN(x->ix->n, r0 + FILL_STEP);
    (void)worker;
    /* the same value from every thread: relaxed stores suffice */
    for (size_t r = r0; r < r1; r++)
        __atomic_store_n(&x->seen[x->cp->acc[r]], 1, __ATOMIC_RELAXED);
    lk_cols_evict(x->cp, r0, r1);
}

/* First object whose run starts at or after action r. */
static size_t object_at(const lk_objindex *ix, size_t r)
{
    size_t lo = 0, hi = ix->nobj;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if ((size_t)ix->start[mid] < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void idf_task(void *ctx, size_t task, unsigned worker)
{
    const scan_ctx *x = ctx;
    const lk_objindex *ix = x->ix;
    const uint32_t *acc = x->cp->acc;
    uint32_t *mark = x->mark[worker];
    /* the last task takes the objects left without actions at the end */
    const size_t o0 = object_at(ix, task * FILL_STEP),
                 o1 = (task + 1) * FILL_STEP >= ix->n ? ix->nobj
                                                      : object_at(ix, (task + 1) * FILL_STEP);
    for (size_t o = o0; o < o1; o++) {
        size_t k = 0;
        for (size_t r = (size_t)ix->start[o]; r < (size_t)ix->start[o + 1]; r++)
            if (mark[acc[r]] != (uint32_t)o) {
                mark[acc[r]] = (uint32_t)o;
                k++;
            }
        x->idf[o] = k ? log(x->active / (double)k) : 0.0;
    }
    if (o1 > o0)
        lk_cols_evict(x->cp, (size_t)ix->start[o0], (size_t)ix->start[o1]);
}

/* The number of accounts (largest id + 1) in the columns, or in those of
 * a share of the objects (may be NULL: all): then the largest over the
 * ranks', which every rank calls for. */
static lk_status count_accounts(const lk_objindex *ix, const lk_cols *cp, const lk_share *share,
                                unsigned threads, size_t *nacc, char *errbuf)
{
    const size_t ntasks = (ix->n + FILL_STEP - 1) / FILL_STEP;
    uint64_t most = 0;
    lk_status st;
    scan_ctx x;

    memset(&x, 0, sizeof x);
    x.ix = ix;
    x.cp = cp;
    x.share = share;
    x.amax = malloc(LK_MAX(ntasks, (size_t)1) * sizeof *x.amax);
    if (!x.amax)
        return LK_ENOMEM;
    (void)lk_par_run(threads, ntasks, nacc_task, &x);
    for (size_t t = 0; t < ntasks; t++)
        most = LK_MAX(most, (uint64_t)x.amax[t]);
    free(x.amax);
    if (share && ((st = lk_dist_agree(LK_OK, errbuf)) != LK_OK ||
                  (st = lk_dist_allreduce_u64(&most, 1, LK_DIST_MAX)) != LK_OK))
        return st;
    *nacc = (size_t)most;
    return LK_OK;
}

/* idf_o = log(A / k_o): k_o distinct accounts of object o, A accounts
 * with any action. */
static lk_status compute_idf(const lk_objindex *ix, const lk_cols *cp, size_t nacc,
                             unsigned threads, lk_net *net)
{
    const size_t ntasks = (ix->n + FILL_STEP - 1) / FILL_STEP, na = LK_MAX(nacc, (size_t)1);
    lk_status st = LK_ENOMEM;
    size_t active = 0;
    scan_ctx x;

    memset(&x, 0, sizeof x);
    x.ix = ix;
    x.cp = cp;
    net->idf = lk_huge_malloc(LK_MAX(ix->nobj, (size_t)1) * sizeof *net->idf);
    x.seen = calloc(na, 1);
    x.mark = calloc(threads, sizeof *x.mark);
    if (!net->idf || !x.seen || !x.mark)
        goto done;
    (void)lk_par_run(threads, ntasks, seen_task, &x);
    for (size_t a = 0; a < nacc; a++)
        active += x.seen[a];
    x.active = (double)active;
    x.idf = net->idf;
    for (unsigned w = 0; w < threads; w++) {
        if (!(x.mark[w] = malloc(na * sizeof **x.mark)))
            goto done;
        memset(x.mark[w], 0xff, na * sizeof **x.mark);
    }
    (void)lk_par_run(threads, LK_MAX(ntasks, (size_t)1), idf_task, &x);
    st = LK_OK;
done:
    for (unsigned w = 0; x.mark && w < threads; w++)
        free(x.mark[w]);
    free(x.mark);
    free(x.seen);
    return st;
}

static unsigned bits_for(uint64_t n)
{
    unsigned b = 1;
    while (b < 64 && (UINT64_C(1) << b) < n)
        b++;
    return b;
}

/* Worker w's two sorting buffers, grown to n records if they are smaller;
 * kept from one partition to the next (fresh pages for every partition
 * cost the kernel as much as the sort). */
static lk_status sort_bufs(job *j, unsigned w, size_t n)
{
    if (n <= j->scap[w])
        return LK_OK;
    free(j->sbuf[w][0]);
    free(j->sbuf[w][1]);
    j->sbuf[w][0] = lk_huge_malloc(n * sizeof(prec));
    j->sbuf[w][1] = lk_huge_malloc(n * sizeof(prec));
    if (!j->sbuf[w][0] || !j->sbuf[w][1]) {
        free(j->sbuf[w][0]);
        free(j->sbuf[w][1]);
        j->sbuf[w][0] = j->sbuf[w][1] = NULL;
        j->scap[w] = 0;
        return LK_ENOMEM;
    }
    j->scap[w] = n;
    return LK_OK;
}

/* Task t of this rank reduces partition t * nranks + rank. */
static void reduce_task(void *ctx, size_t task, unsigned worker)
{
    job *j = ctx;
    const size_t p = task * (size_t)j->nranks + (size_t)j->rank;
    const uint32_t lo = j->part_lo[p], hi = j->part_lo[p + 1];
    size_t n = 0, pos = 0;
    prec *buf;

    j->st[p] = LK_OK;
    for (size_t c = 0; c < j->nch; c++) {
        const blist *l = &j->bl[c * j->nparts + p];
        for (size_t k = 0; k < l->n; k++)
            n += l->b[k].n;
    }
    if (n == 0)
        return;
    if ((j->st[p] = sort_bufs(j, worker, n)) != LK_OK)
        return;
    buf = j->sbuf[worker][0];
    /* chunks in object order, blocks in sweep order: the records of a pair
     * come in sweep order, which the stable sort keeps */
    for (size_t c = 0; c < j->nch; c++) {
        blist *l = &j->bl[c * j->nparts + p];
        for (size_t k = 0; k < l->n; k++) {
            block *blk = &l->b[k];
            if (blk->mem) {
                memcpy(buf + pos, blk->mem, (size_t)blk->n * sizeof *buf);
                free(blk->mem);
                blk->mem = NULL;
            } else if ((j->st[p] = lk_net_spill_read(j, blk->file, buf + pos, blk->n, blk->off, 0,
                                                     j->msg[p])) != LK_OK) {
                return;
            }
            pos += blk->n;
        }
    }
    if ((j->st[p] = lk_net_sort_records(&j->sbuf[worker][0], &j->sbuf[worker][1], n,
                                        bits_for(hi - lo) + j->bits)) == LK_OK)
        j->st[p] = reduce(&j->out[p], j->net->idf, j->sbuf[worker][0], n, j->bits, lo, j->min_keep,
                          j->scores_only);
    if (j->st[p] == LK_OK && j->park && j->out[p].n) {
        /* to this worker's file at once: the partitions' edges never
         * pile up in memory */
        part_out *po = &j->out[p];
        spill *sp = &j->ep[worker];
        const size_t len = po->n * sizeof *po->e;
        if (sp->fd < 0 && (j->st[p] = lk_tmpfile_open(j->tmp_dir, &sp->fd, j->msg[p])) != LK_OK)
            return;
        if ((j->st[p] = lk_tmpfile_write(sp->fd, po->e, len, sp->size, j->tmp_dir, j->msg[p])) !=
            LK_OK)
            return;
        po->park_off = sp->size;
        po->park_file = worker;
        sp->size += len;
        free(po->e);
        po->e = NULL;
    }
}

typedef struct fill_ctx {
    const lk_objindex *ix;
    const lk_dataset *ds;
    lk_cols *cp;
} fill_ctx;

static void fill_task(void *ctx, size_t task, unsigned worker)
{
    const fill_ctx *f = ctx;
    const lk_objindex *ix = f->ix;
    const size_t end = LK_MIN(ix->n, (task + 1) * FILL_STEP);
    (void)worker;
    for (size_t r = task * FILL_STEP; r < end; r++) {
        f->cp->t[r] = ix->a[r].t;
        f->cp->acc[r] = ix->a[r].account;
        /* a post = an account's actions with one content id (all objects of
         * a native record; the rows of one post in a generic CSV) */
        if (f->ds || ix->content_fd1) {
            f->cp->post[r] = lk_post_hash(lk_objindex_chash(ix, f->ds, r), ix->a[r].account);
        } else {
            f->cp->post[r] = (uint32_t)lk_mix64(ix->a[r].content);
        }
    }
    lk_objindex_evict(ix, task * FILL_STEP, end);
    lk_cols_evict(f->cp, task * FILL_STEP, end);
}

/* The first failed task's status, its message in errbuf. */
static lk_status first_error(const job *j, size_t ntasks, char *errbuf)
{
    for (size_t t = 0; t < ntasks; t++)
        if (j->st[t] != LK_OK) {
            if (errbuf && j->msg[t][0])
                lk_errf(errbuf, "%s", j->msg[t]);
            return j->st[t];
        }
    return LK_OK;
}

static void job_release(job *j)
{
    if (j->bl)
        for (size_t k = 0; k < j->nch * j->nparts; k++) {
            for (size_t b = 0; b < j->bl[k].n; b++)
                free(j->bl[k].b[b].mem);
            free(j->bl[k].b);
        }
    for (unsigned w = 0; w < j->threads; w++) {
        if (j->sbuf) {
            free(j->sbuf[w][0]);
            free(j->sbuf[w][1]);
        }
        if (j->per_acc)
            free(j->per_acc[w]);
        if (j->wbuf)
            free(j->wbuf[w]);
        if (j->wfill)
            free(j->wfill[w]);
    }
    for (unsigned w = 0; j->sp && w <= j->threads; w++)
        if (j->sp[w].fd >= 0)
            lk_tmpfile_close(j->sp[w].fd);
    for (unsigned w = 0; j->ep && w < j->threads; w++)
        if (j->ep[w].fd >= 0)
            lk_tmpfile_close(j->ep[w].fd);
    free(j->ep);
    lk_table_free(j->sk, (size_t)j->sk_lines * 64);
    if (j->out)
        for (size_t p = 0; p < j->nparts; p++) {
            free(j->out[p].e);
            free(j->out[p].sk);
            free(j->out[p].whist);
        }
    free(j->bl);
    free(j->sbuf);
    free(j->scap);
    free(j->per_acc);
    free(j->wbuf);
    free(j->wfill);
    free(j->sp);
    free(j->out);
    free(j->ch);
    free(j->order);
    free(j->part_blk);
    free(j->part_lo);
    free(j->st);
    free(j->msg);
    if (j->own_cols)
        lk_cols_release(&j->cp);
}

/* Chunks per thread and rank.  The chunks hold about as many actions each,
 * but not as many pairs: at 10^8 simulated actions one of 16 held a fifth
 * of them, and the count and the scatter waited up to 8 s for it on one
 * thread.  Finer chunks, taken heaviest first (order_chunks), even out. */
#define CHUNKS_PER_THREAD 32

/* How many chunks the objects are cut into (make_chunks). */
static size_t chunks_wanted(unsigned lthreads, int nranks)
{
    return lthreads > 1 || nranks > 1 ? CHUNKS_PER_THREAD * (size_t)lthreads * (size_t)nranks : 1;
}

/* Where chunk c of `want` ends, given where it begins (o0). */
static size_t chunk_end(const lk_objindex *ix, size_t want, size_t c, size_t o0)
{
    const uint64_t target = (uint64_t)ix->n / want * (c + 1);
    size_t o1 = o0;

    if (c + 1 == want)
        return ix->nobj;
    while (o1 < ix->nobj && ix->start[o1] < target)
        o1++;
    return o1;
}

/* Cut the objects into chunks of about equal numbers of actions (the
 * results do not depend on the cut: chunks are concatenated in order).
 * `lthreads` is the thread count all ranks agreed on: every rank must cut
 * the same chunks, CHUNKS_PER_THREAD per thread and rank so that each
 * rank's share is spread over the whole object range. */
static lk_status make_chunks(job *j, unsigned lthreads)
{
    const lk_objindex *ix = j->ix;
    const size_t want = chunks_wanted(lthreads, j->nranks);
    size_t o0 = 0;

    j->ch = calloc(want, sizeof *j->ch);
    j->order = malloc(want * sizeof *j->order);
    if (!j->ch || !j->order)
        return LK_ENOMEM;
    for (size_t c = 0; c < want; c++) {
        const size_t o1 = chunk_end(ix, want, c, o0);
        j->ch[c].o0 = o0;
        j->ch[c].o1 = o1;
        o0 = o1;
    }
    j->nch = want;
    for (size_t t = 0; t < own_tasks(j, want); t++)
        j->order[t] = own_chunk(j, t);
    return LK_OK;
}

/* A chunk and its weight, for order_chunks. */
typedef struct wchunk {
    uint64_t w;
    size_t c;
} wchunk;

static int cmp_wchunk(const void *x, const void *y)
{
    const wchunk *a = x, *b = y;
    if (a->w != b->w)
        return a->w < b->w ? 1 : -1; /* heaviest first */
    return a->c < b->c ? -1 : a->c > b->c;
}

/* j->order: this rank's chunks by their counted pairs (by_pairs) or by
 * their bounds (before the count), heaviest first, so that the last tasks
 * of a sweep are small ones.  The order changes only which thread takes a
 * chunk and when: each chunk's records go to its own blocks (j->bl), read
 * in chunk order. */
static lk_status order_chunks(job *j, int by_pairs)
{
    const size_t n = own_tasks(j, j->nch);
    wchunk *w = malloc(LK_MAX(n, (size_t)1) * sizeof *w);

    if (!w)
        return LK_ENOMEM;
    for (size_t t = 0; t < n; t++) {
        w[t].c = own_chunk(j, t);
        w[t].w = by_pairs ? j->ch[w[t].c].pairs : j->ch[w[t].c].bound;
    }
    qsort(w, n, sizeof *w, cmp_wchunk);
    for (size_t t = 0; t < n; t++)
        j->order[t] = w[t].c;
    free(w);
    return LK_OK;
}

#define PART_MAX (UINT64_C(1) << 22)

/*
 * What a partition costs beside its records while they are scattered and
 * reduced: each worker's write buffer (BREC_MIN records at least), each
 * chunk's block list (with room for BLIST_MIN blocks), its task's status
 * and message and its result's header.
 */
static uint64_t part_overhead(const job *j, unsigned lthreads)
{
    return (uint64_t)lthreads * BREC_MIN * sizeof(prec) +
           (uint64_t)j->nch * (sizeof(blist) + BLIST_MIN * sizeof(block)) + LK_ERRMSG_MAX +
           sizeof(lk_status) + sizeof(part_out) + sizeof(part_view);
}

/*
 * Partition the accounts so that each partition's records fit the share
 * of the budget one of `lthreads` sorting workers may hold, and size the
 * scatter's write buffers.  per_acc[0] holds the pair counts of all ranks,
 * so that every rank cuts the same partitions; `local` pairs are this
 * rank's chunks', `pairs` all.
 */
static lk_status make_partitions(job *j, uint64_t budget, unsigned lthreads, uint64_t local,
                                 uint64_t pairs)
{
    const uint64_t rec = sizeof(prec);
    /* partitions never so small that their own costs outgrow their
     * records: P partitions of `cap` records cost the sorting workers
     * 2 * lthreads * cap * rec and the partitions P * part_overhead, whose
     * sum is least at this cap (with a budget far too small for the pairs,
     * 0.8 MB for 5.7 x 10^7 of them, 14,247 partitions took 600 MB) */
    const uint64_t least = (uint64_t)sqrt((double)pairs * (double)part_overhead(j, lthreads) /
                                          (2.0 * lthreads * (double)rec));
    /* else what half the budget sorts, at most PART_MAX records: smaller
     * sorts stay in cache longer and give the workers more partitions to
     * share */
    uint64_t cap = j->part_records ? j->part_records
                                   : LK_MIN(LK_MAX(budget / 2 / (2 * (uint64_t)lthreads * rec),
                                                   LK_MAX(least, (uint64_t)4096)),
                                            PART_MAX);
    const uint64_t *per = j->per_acc[0];
    uint64_t own = 0, held;
    size_t np = 0, blk_mask;

    /* distributed: at least two partitions a worker of every rank, or
     * the reduction would fall to a few ranks */
    if (j->nranks > 1)
        cap = LK_MIN(cap, LK_MAX(pairs / (2 * (uint64_t)j->nranks * lthreads), (uint64_t)4096));
    /* an account's partition: its block's, then the next ones' while it
     * lies past them (put_rec); a map of every account (20 MB at 10^8
     * actions) made the scatter wait for it on most records */
    j->blk_shift = bits_for(LK_MAX(j->nacc, (size_t)1)) > 16 ? bits_for(j->nacc) - 16 : 0;
    j->part_blk = malloc(((LK_MAX(j->nacc, (size_t)1) >> j->blk_shift) + 1) * sizeof *j->part_blk);
    j->part_lo = malloc((LK_MAX(j->nacc, (size_t)1) + 1) * sizeof *j->part_lo);
    if (!j->part_blk || !j->part_lo)
        return LK_ENOMEM;
    blk_mask = ((size_t)1 << j->blk_shift) - 1;
    for (size_t lo = 0; lo < LK_MAX(j->nacc, (size_t)1);) {
        size_t hi = lo;
        uint64_t sum = 0;
        /* at least one account per partition, even if it alone overflows */
        do {
            sum += j->nacc ? per[hi] : 0;
            if ((hi & blk_mask) == 0)
                j->part_blk[hi >> j->blk_shift] = (uint32_t)np;
            hi++;
        } while (hi < j->nacc && sum + per[hi] <= cap);
        if (np % (size_t)j->nranks == (size_t)j->rank)
            own += sum;
        j->part_lo[np++] = (uint32_t)lo;
        lo = hi;
    }
    j->part_lo[np] = (uint32_t)LK_MAX(j->nacc, (size_t)1);
    j->nparts = np;
    /* what this rank holds at most: its chunks' records, and during the
     * exchange those of its partitions as they arrive */
    held = j->nranks > 1 ? local + own : pairs;
    j->to_disk = held * rec > budget / 2;
    /* with a sketch the records are fewer than the pairs counted: spilling
     * or not is then decided block by block, as long as half the budget
     * holds them */
    j->room = j->to_disk && j->sk ? budget / 2 : 0;
    /* write buffers: a quarter of the budget when spilling, else blocks of
     * up to 16k records (they are copied out at their exact size) */
    j->brec = 16384;
    if (j->to_disk)
        j->brec = (size_t)LK_MIN(
            LK_MAX(budget / 4 / ((uint64_t)j->threads * np * rec), (uint64_t)BREC_MIN),
            (uint64_t)16384);
    return LK_OK;
}

/* The spill files' packing (reccodec) for the partitions just cut. */
static void set_codec(job *j, int64_t window_ms)
{
    unsigned span = 1;

    for (size_t p = 0; p < j->nparts; p++)
        span = LK_MAX(span, bits_for((uint64_t)(j->part_lo[p + 1] - j->part_lo[p])));
    j->codec.kbits = span + j->bits;
    j->codec.obits = bits_for(LK_MAX(j->ix->nobj, (size_t)1));
    /* null copies are scored alone, without the time differences */
    j->codec.dbits = j->scores_only ? 0 : bits_for((uint64_t)window_ms + 1);
    j->codec.size = (j->codec.kbits + j->codec.obits + j->codec.dbits + 32 + 7) / 8;
}

/* Tasks of this rank among n chunks or partitions dealt round robin. */
static size_t own_tasks(const job *j, size_t n)
{
    return n > (size_t)j->rank ? (n - (size_t)j->rank + (size_t)j->nranks - 1) / (size_t)j->nranks
                               : 0;
}

lk_status lk_net_share(const lk_objindex *ix, unsigned threads, lk_share *out, char *errbuf)
{
    const int nranks = lk_dist_size(), rank = lk_dist_rank();
    uint64_t lthreads = LK_MAX(threads, 1u);
    size_t want, n, o0 = 0;
    lk_status st;

    memset(out, 0, sizeof *out);
    /* the thread count the pair stage agrees on (lk_net_build_ex) */
    if ((st = lk_dist_agree(LK_OK, errbuf)) != LK_OK ||
        (st = lk_dist_allreduce_u64(&lthreads, 1, LK_DIST_MIN)) != LK_OK)
        return st;
    want = chunks_wanted((unsigned)lthreads, nranks);
    n = want > (size_t)rank ? (want - (size_t)rank + (size_t)nranks - 1) / (size_t)nranks : 0;
    out->o = malloc(LK_MAX(2 * n, (size_t)1) * sizeof *out->o);
    out->r = malloc(LK_MAX(2 * n, (size_t)1) * sizeof *out->r);
    if (!out->o || !out->r) {
        lk_share_release(out);
        return LK_ENOMEM;
    }
    for (size_t c = 0; c < want; c++) {
        const size_t o1 = chunk_end(ix, want, c, o0);
        if (c % (size_t)nranks == (size_t)rank && o1 > o0) {
            out->o[2 * out->n] = o0;
            out->o[2 * out->n + 1] = o1;
            out->r[2 * out->n] = (size_t)ix->start[o0];
            out->r[2 * out->n + 1] = (size_t)ix->start[o1];
            out->n++;
        }
        o0 = o1;
    }
    return LK_OK;
}

/* With o->share: this rank's chunks must be its objects (the same cut). */
static int share_matches(const job *j, const lk_share *s)
{
    size_t k = 0;

    for (size_t c = (size_t)j->rank; c < j->nch; c += (size_t)j->nranks) {
        if (j->ch[c].o1 == j->ch[c].o0)
            continue;
        if (k == s->n || s->o[2 * k] != j->ch[c].o0 || s->o[2 * k + 1] != j->ch[c].o1)
            return 0;
        k++;
    }
    return k == s->n;
}

/* Merge the partitions' results in partition order: partitions come in
 * account order and keys sorted within, so edges are in (a, b) order.
 * own (may be NULL) is where the views' edges live when they are this
 * rank's own results: each is freed once copied, so that the edges are
 * held about once, not twice (the edge list grows by exact reallocs, which
 * the allocator does in place for large blocks). */
static lk_status merge_parts(const part_view *v, size_t nparts, part_out *own, int scores_only,
                             lk_net *net)
{
    const size_t esz = scores_only ? sizeof(lk_kv) : sizeof(lk_edge);
    void **dst = scores_only ? (void **)&net->sk : (void **)&net->e;
    size_t freed = 0;
    for (size_t p = 0; p < nparts; p++) {
        const part_view *pv = &v[p];
        if (pv->n && pv->rec) {
            char *e = realloc(*dst, (net->n + pv->n) * esz);
            if (!e)
                return LK_ENOMEM;
            *dst = e;
            net->cap = net->n + pv->n;
            memcpy(e + net->n * esz, pv->rec, pv->n * esz);
        }
        if (own && (own[p].e || own[p].sk)) {
            free(own[p].e);
            free(own[p].sk);
            own[p].e = NULL;
            own[p].sk = NULL;
            /* a partition's edges are a few megabytes, which the allocator
             * keeps in its arenas once freed: given back every 64 MB, or the
             * merged list and the freed ones would be held together */
            if ((freed += pv->n * esz) >= (size_t)64 << 20) {
                (void)malloc_trim(0);
                freed = 0;
            }
        }
        net->n += pv->n;
        net->n_all += pv->n_all;
        if (pv->nwhist > net->nwhist) {
            uint64_t *h = realloc(net->whist, pv->nwhist * sizeof *h);
            if (!h)
                return LK_ENOMEM;
            memset(h + net->nwhist, 0, (pv->nwhist - net->nwhist) * sizeof *h);
            net->whist = h;
            net->nwhist = pv->nwhist;
        }
        for (size_t w = 0; w < pv->nwhist; w++)
            net->whist[w] += pv->whist[w];
    }
    return LK_OK;
}

lk_status lk_net_take_parked(job *j, const part_view *v, lk_net *net)
{
    size_t nseg = 0;

    for (size_t p = 0; p < j->nparts; p++)
        nseg += v[p].n > 0;
    net->park_fd = malloc(j->threads * sizeof *net->park_fd);
    net->seg = malloc(LK_MAX(nseg, (size_t)1) * sizeof *net->seg);
    if (!net->park_fd || !net->seg)
        return LK_ENOMEM;
    for (unsigned w = 0; w < j->threads; w++) {
        net->park_fd[w] = j->ep[w].fd;
        j->ep[w].fd = -1;
    }
    net->npark_fd = j->threads;
    net->park_dir = j->tmp_dir; /* resolved when the job was set up */
    for (size_t p = 0; p < j->nparts; p++)
        if (v[p].n) {
            lk_net_seg *g = &net->seg[net->nseg++];
            g->n = v[p].n;
            g->off = j->out[p].park_off;
            g->file = j->out[p].park_file;
        }
    return LK_OK;
}

/*
 * Distributed under lk_net_opts.local, after lk_net_gather: v[] (rank 0:
 * every partition's counts; elsewhere zeroed) holds this rank's own
 * partitions' kept edges (p % R == rank) and no other partition's, so
 * that the network is made of them as one process makes it of all (in
 * memory, or under j->park their segments of the workers' files), with
 * rank 0's counts of all.
 */
static void own_views(job *j, part_view *v)
{
    for (size_t p = 0; p < j->nparts; p++) {
        const int own = p % (size_t)j->nranks == (size_t)j->rank;
        v[p].rec = own ? j->out[p].e : NULL;
        v[p].n = own ? j->out[p].n : 0;
    }
}

/*
 * Distributed over R ranks (dist.h), rank r sweeps the chunks c with
 * c % R == r and reduces the partitions p with p % R == r; in between, the
 * records of each partition travel to its rank (lk_net_exchange), and
 * after the reduction rank 0 gathers all partitions' weight histograms
 * (lk_net_gather).  With o->local each rank keeps its partitions' edges
 * (own_views), which the calibration or lk_net_threshold_ranks judges
 * there; otherwise (the null copies' scores) rank 0 gathers them too
 * (lk_net_send_edges) and the other ranks free their share.  The
 * totals every rank needs alike (pairs, spilled, shuffled) are summed over
 * the ranks before.  The cut into chunks and partitions depends on the
 * thread count and budget, which the ranks agree on first (the smallest of
 * each); the result depends on neither.  Every collective step is preceded
 * by lk_dist_agree(), and a last agreement covers rank 0's merge, so a
 * failure on one rank stops all.
 */
lk_status lk_net_build_ex(const lk_objindex *ix, const lk_dataset *ds, const double *idf,
                          const lk_net_opts *o, lk_net *net)
{
    const unsigned threads = LK_MAX(o->threads, 1u);
    uint64_t budget = LK_MAX(o->budget, (uint64_t)1 << 20), layout[2], local = 0, sums[3];
    uint8_t *burst = NULL;
    part_view *views = NULL;
    void *gathered = NULL;
    size_t ntasks;
    job j;
    fill_ctx fc;
    lk_status st;
    double t[6]; /* -vv: start, columns and bursts, count, scatter, reduce, merge */

    t[0] = lk_mono_s();
    memset(net, 0, sizeof *net);
    memset(&j, 0, sizeof j);
    if (o->window_ms < 0 || (uint64_t)o->window_ms > UINT32_MAX)
        return LK_EINVAL;
    j.ix = ix;
    j.w = o->window_ms;
    j.threads = threads;
    j.rank = lk_dist_rank();
    j.nranks = lk_dist_size();
    j.min_keep = o->min_keep;
    j.part_records = o->part_records;
    j.scores_only = o->scores_only;
    j.net = net;
    j.tmp_dir = lk_tmpfile_dir(o->tmp_dir);
    /* under mpirun only a network kept where it was reduced is parked */
    j.local = o->local && !o->scores_only;
    j.park = o->park && !o->scores_only && (j.nranks == 1 || j.local);
    j.sample_mask = o->sample_log2 ? (UINT64_C(1) << LK_MIN(o->sample_log2, 16u)) - 1 : 0;
    j.per_acc = calloc(threads, sizeof *j.per_acc);
    j.wbuf = calloc(threads, sizeof(prec *)); // NOLINT(bugprone-sizeof-expression)
    j.wfill = calloc(threads, sizeof *j.wfill);
    j.sbuf = calloc(threads, sizeof *j.sbuf);
    j.scap = calloc(threads, sizeof *j.scap);
    if ((j.sp = malloc((threads + 1) * sizeof *j.sp)) != NULL)
        for (unsigned w = 0; w <= threads; w++) {
            j.sp[w].fd = -1;
            j.sp[w].size = 0;
        }
    if (j.park && (j.ep = malloc(threads * sizeof *j.ep)) != NULL)
        for (unsigned w = 0; w < threads; w++) {
            j.ep[w].fd = -1;
            j.ep[w].size = 0;
        }
    if (!j.per_acc || !j.wbuf || !j.wfill || !j.sbuf || !j.scap || !j.sp || (j.park && !j.ep)) {
        st = LK_ENOMEM;
        goto fail;
    }
    if (o->cols) {
        j.cp = *o->cols;
    } else {
        if ((st = lk_cols_alloc(&j.cp, ix->n, o->map_cols ? j.tmp_dir : NULL, o->errbuf)) != LK_OK)
            goto fail;
        j.own_cols = 1;
        fc.ix = ix;
        fc.ds = ds;
        fc.cp = &j.cp;
        st = lk_par_run(threads, (ix->n + FILL_STEP - 1) / FILL_STEP, fill_task, &fc);
        lk_objindex_evict(ix, 0, ix->n); /* a mapped index's pages go (window.h) */
        if (st != LK_OK)
            goto fail;
    }
    /* a share's columns are its own objects' alone: with the columns a
     * caller built for them (the null copies, scores only) */
    if (o->share && (!o->cols || !o->scores_only)) {
        st = LK_EINVAL;
        goto fail;
    }
    if ((st = count_accounts(ix, &j.cp, o->share, threads, &j.nacc, o->errbuf)) != LK_OK)
        goto fail;
    j.bits = bits_for(j.nacc);
    if (idf) {
        net->idf = lk_huge_malloc(LK_MAX(ix->nobj, (size_t)1) * sizeof *net->idf);
        if (!net->idf) {
            st = LK_ENOMEM;
            goto fail;
        }
        memcpy(net->idf, idf, ix->nobj * sizeof *idf);
    } else if ((st = compute_idf(ix, &j.cp, j.nacc, threads, net)) != LK_OK) {
        goto fail;
    }
    if ((st = lk_bursts_t(ix->start, ix->nobj, &j.cp, o->share, o->window_ms, o->max_burst, &burst,
                          &net->burst)) != LK_OK)
        goto fail;
    j.burst = burst;
    for (unsigned w = 0; w < threads; w++) {
        if (!(j.per_acc[w] = lk_huge_calloc(LK_MAX(j.nacc, (size_t)1), sizeof **j.per_acc))) {
            st = LK_ENOMEM;
            goto fail;
        }
    }
    {
        /* the budget is all the stage holds: what it has allocated so far
         * (its columns when it made them, the objects' idf, the burst
         * marks, the per-account counts and the partitions' first
         * accounts) comes out of it first, down to an eighth of it (0.4 GB
         * at 10^8 actions, which took the null copies' aggregations past
         * the cap) */
        const uint64_t fixed =
            (j.own_cols && !j.cp.map_fd1
                 ? (uint64_t)ix->n * (sizeof *j.cp.t + sizeof *j.cp.acc + sizeof *j.cp.post)
                 : 0) +
            (uint64_t)ix->nobj * sizeof *net->idf + (uint64_t)ix->n +
            (uint64_t)j.nacc * ((uint64_t)threads * sizeof **j.per_acc + sizeof(uint32_t));
        budget = budget - budget / 8 > fixed ? budget - fixed : budget / 8;
    }
    t[1] = lk_mono_s();
    /* the same cut on every rank: the smallest budget and thread count */
    layout[0] = budget;
    layout[1] = threads;
    if ((st = lk_dist_agree(LK_OK, o->errbuf)) != LK_OK ||
        (st = lk_dist_allreduce_u64(layout, 2, LK_DIST_MIN)) != LK_OK)
        goto fail;
    budget = layout[0];
    if ((st = make_chunks(&j, (unsigned)layout[1])) != LK_OK)
        goto fail;
    if (o->share && !share_matches(&j, o->share)) {
        lk_errf(o->errbuf, "internal error: a share of the objects unlike the pair stage's chunks");
        st = LK_EINVAL;
        goto fail;
    }
    /* size the job (and fill the sketch), then cut it so that the
     * partitions being sorted fit the budget */
    if (j.min_keep >= 2) {
        uint64_t bound = 0;
        /* every task runs even when a thread fails to start (lk_par_run) */
        (void)lk_par_run(threads, own_tasks(&j, j.nch), bound_chunk, &j);
        lk_cols_evict(&j.cp, 0, ix->n);
        for (size_t c = (size_t)j.rank; c < j.nch; c += (size_t)j.nranks)
            bound += j.ch[c].bound;
        if ((st = lk_dist_agree(LK_OK, o->errbuf)) != LK_OK ||
            (st = lk_dist_allreduce_u64(&bound, 1, LK_DIST_SUM)) != LK_OK)
            goto fail;
        if (j.sample_mask) /* the sample's share, and a quarter more for its spread */
            bound = bound / (j.sample_mask + 1) + bound / (4 * (j.sample_mask + 1));
        if ((st = make_sketch(&j, bound, budget, o->errbuf)) != LK_OK ||
            (st = order_chunks(&j, 0)) != LK_OK)
            goto fail;
    }
    (void)lk_par_run(threads, own_tasks(&j, j.nch), j.sk ? count_fill_chunk : count_chunk, &j);
    lk_cols_evict(&j.cp, 0, ix->n); /* the pages two chunks shared */
    for (size_t c = (size_t)j.rank; c < j.nch; c += (size_t)j.nranks)
        local += j.ch[c].pairs;
    for (unsigned w = 1; w < threads; w++)
        for (size_t a = 0; a < j.nacc; a++)
            j.per_acc[0][a] += j.per_acc[w][a];
    net->pairs = local;
    if ((st = lk_dist_agree(LK_OK, o->errbuf)) != LK_OK ||
        (st = lk_dist_allreduce_u64(j.per_acc[0], j.nacc, LK_DIST_SUM)) != LK_OK ||
        (st = lk_dist_allreduce_u64(&net->pairs, 1, LK_DIST_SUM)) != LK_OK)
        goto fail;
    if ((st = sum_sketch(&j, net->pairs, &budget, o->errbuf)) != LK_OK)
        goto fail;
    if ((st = make_partitions(&j, budget, (unsigned)layout[1], local, net->pairs)) != LK_OK)
        goto fail;
    t[2] = lk_mono_s();
    net->partitions = (unsigned)j.nparts;
    set_codec(&j, o->window_ms);
    net->spill_rec = j.codec.size;
    ntasks = LK_MAX(j.nch, j.nparts);
    j.st = calloc(LK_MAX(ntasks, (size_t)1), sizeof *j.st);
    j.msg = calloc(LK_MAX(ntasks, (size_t)1), sizeof *j.msg);
    j.bl = calloc(LK_MAX(j.nch * j.nparts, (size_t)1), sizeof *j.bl);
    j.out = calloc(LK_MAX(j.nparts, (size_t)1), sizeof *j.out);
    if (!j.st || !j.msg || !j.bl || !j.out) {
        st = LK_ENOMEM;
        goto fail;
    }
    for (unsigned w = 0; w < threads; w++) {
        free(j.per_acc[w]); /* done with the counts */
        j.per_acc[w] = NULL;
        j.wbuf[w] = malloc(LK_MAX(j.nparts, (size_t)1) * j.brec * sizeof **j.wbuf);
        j.wfill[w] = calloc(LK_MAX(j.nparts, (size_t)1), sizeof **j.wfill);
        if (!j.wbuf[w] || !j.wfill[w]) {
            st = LK_ENOMEM;
            goto fail;
        }
    }
    if ((st = order_chunks(&j, 1)) != LK_OK)
        goto fail;
    st = lk_par_run(threads, own_tasks(&j, j.nch), scatter_chunk, &j);
    lk_cols_evict(&j.cp, 0, ix->n);
    if (st != LK_OK || (st = first_error(&j, j.nch, o->errbuf)) != LK_OK)
        goto fail;
    for (unsigned w = 0; w < threads; w++) {
        free(j.wbuf[w]);
        j.wbuf[w] = NULL;
    }
    if (j.sk) { /* the sketch is done with: the reduction has its room */
        lk_table_free(j.sk, (size_t)j.sk_lines * 64);
        j.sk = NULL;
    }
    if (j.own_cols)
        lk_cols_release(&j.cp);
    memset(&j.cp, 0, sizeof j.cp);
    t[3] = lk_mono_s();
    if (j.nranks > 1) {
        /* each partition's records to its rank, in chunk order */
        st = lk_net_exchange(&j);
        if (st != LK_OK && o->errbuf && j.xmsg[0])
            lk_errf(o->errbuf, "%s", j.xmsg);
        if ((st = lk_dist_agree(st, o->errbuf)) != LK_OK)
            goto fail;
    }
    sums[0] = j.shuffled;
    sums[1] = 0;
    sums[2] = 0; /* the pairs the sketch left out, of this rank's chunks */
    for (unsigned w = 0; w <= threads; w++)
        sums[1] += j.sp[w].size;
    for (size_t c = (size_t)j.rank; c < j.nch; c += (size_t)j.nranks)
        sums[2] += j.ch[c].singles;
    if ((st = lk_dist_allreduce_u64(sums, 3, LK_DIST_SUM)) != LK_OK)
        goto fail;
    net->shuffled = sums[0];
    net->spilled = sums[1];
    memset(j.st, 0, ntasks * sizeof *j.st);
    st = lk_par_run(threads, own_tasks(&j, j.nparts), reduce_task, &j);
    for (unsigned w = 0; w < threads; w++) {
        free(j.sbuf[w][0]);
        free(j.sbuf[w][1]);
        j.sbuf[w][0] = j.sbuf[w][1] = NULL;
    }
    if (st != LK_OK || (st = first_error(&j, j.nparts, o->errbuf)) != LK_OK)
        goto fail;
    t[4] = lk_mono_s();
    if (!(views = calloc(LK_MAX(j.nparts, (size_t)1), sizeof *views))) {
        st = LK_ENOMEM;
        goto fail;
    }
    if (j.nranks > 1 && j.local) {
        /* rank 0 gets every partition's counts, and each rank keeps its
         * own partitions' edges, which the calibration judges there */
        st = lk_net_gather(&j, views, &gathered);
        if (st == LK_OK)
            own_views(&j, views);
        if (st != LK_OK && o->errbuf && j.xmsg[0])
            lk_errf(o->errbuf, "%s", j.xmsg);
    } else if (j.nranks > 1) {
        /* rank 0 gets every partition's scores (the null copies), the
         * other ranks none: rank 0 alone finds the null's scales */
        uint64_t moved = 0;
        st = lk_net_gather(&j, views, &gathered);
        st = lk_net_send_edges(&j, views, net, st, &moved);
        if (st == LK_OK && j.rank == 0)
            lk_log(LK_LOG_DEBUG, "pair aggregation: %" PRIu64 " bytes of %s received from %d ranks",
                   moved, j.scores_only ? "scores" : "kept edges", j.nranks - 1);
        if (st != LK_OK && o->errbuf && j.xmsg[0])
            lk_errf(o->errbuf, "%s", j.xmsg);
    } else {
        for (size_t p = 0; p < j.nparts; p++) {
            views[p].rec = j.scores_only ? (const void *)j.out[p].sk : (const void *)j.out[p].e;
            views[p].n = j.out[p].n;
            views[p].whist = j.out[p].whist;
            views[p].nwhist = j.out[p].nwhist;
            views[p].n_all = j.out[p].n_all;
        }
    }
    /* (parked in one process, or where the edges stay) */
    if (st == LK_OK && j.park)
        st = lk_net_take_parked(&j, views, net);
    if (st == LK_OK)
        st = merge_parts(views, j.nparts, j.nranks == 1 || j.local ? j.out : NULL, j.scores_only,
                         net);
    if (st == LK_OK && j.sk_lines && j.rank == 0) {
        /* the pairs left out (by every rank): edges of one record, hence
         * of weight 1; rank 0 holds the counts */
        const uint64_t singles = sums[2];
        if (singles && net->nwhist < 2) {
            uint64_t *h = realloc(net->whist, 2 * sizeof *h);
            if (!h) {
                st = LK_ENOMEM;
            } else {
                memset(h + net->nwhist, 0, (2 - net->nwhist) * sizeof *h);
                net->whist = h;
                net->nwhist = 2;
            }
        }
        if (st == LK_OK && singles) {
            net->whist[1] += singles;
            net->n_all += singles;
        }
        net->singles = singles;
    }
    /* whist ends at the heaviest edge, not at the largest capacity a
     * partition's histogram grew to (which depends on the cut) */
    while (net->nwhist > 0 && net->whist[net->nwhist - 1] == 0)
        net->nwhist--;
    free(views);
    views = NULL;
    free(gathered);
    gathered = NULL;
    t[5] = lk_mono_s();
    lk_log(LK_LOG_DEBUG,
           "pairs: columns and bursts %.3f s, count %.3f s, scatter %.3f s, shuffle and reduce "
           "%.3f s, merge %.3f s",
           t[1] - t[0], t[2] - t[1], t[3] - t[2], t[4] - t[3], t[5] - t[4]);
    job_release(&j);
    net->burst_mark = burst; /* the evidence pass must skip the same actions */
    burst = NULL;
    /* guards the invariant (glibc's qsort would take a copy's worth of
     * memory even for sorted edges) */
    for (size_t k = 1; st == LK_OK && !j.scores_only && net->e && k < net->n; k++)
        if (cmp_edge(&net->e[k - 1], &net->e[k]) > 0) {
            lk_qsort(net->e, net->n, sizeof *net->e, cmp_edge);
            break;
        }
    /* rank 0 alone merged, which may fail (memory): the other ranks learn
     * it here rather than at their next collective */
    if ((st = lk_dist_agree(st, o->errbuf)) != LK_OK) {
        lk_net_release(net);
        return st;
    }
    /* the kept edges over all ranks: rank 0's, or each rank's share */
    net->n_kept = net->n;
    if (j.nranks > 1 && (st = lk_dist_allreduce_u64(&net->n_kept, 1, LK_DIST_SUM)) != LK_OK)
        lk_net_release(net);
    return st;
fail:
    free(views);
    free(gathered);
    job_release(&j);
    free(burst);
    lk_net_release(net);
    return st;
}

lk_status lk_net_build(const lk_objindex *ix, int64_t window_ms, uint64_t max_burst,
                       uint32_t min_keep, uint64_t budget, lk_net *net)
{
    lk_net_opts o;
    memset(&o, 0, sizeof o);
    o.window_ms = window_ms;
    o.max_burst = max_burst;
    o.min_keep = min_keep;
    o.budget = budget;
    o.threads = 1;
    return lk_net_build_ex(ix, NULL, NULL, &o, net);
}

/* The k-th smallest weight (0-based) of the weight histogram. */
static double hist_nth(const void *ctx, uint64_t k)
{
    const lk_net *net = ctx;
    uint64_t seen = 0;
    for (size_t w = 0; w < net->nwhist; w++) {
        seen += net->whist[w];
        if (seen > k)
            return (double)w;
    }
    return net->nwhist ? (double)(net->nwhist - 1) : 0.0;
}

/* The cut of a threshold: the weight itself, or the quantile of every
 * edge's weight (net's counts: under mpirun rank 0's alone). */
static double cut_of(const lk_net *net, lk_threshold kind, double value)
{
    return kind == LK_THRESHOLD_QUANTILE ? lk_quantile7_nth(net->n_all, value, hist_nth, net)
                                         : value;
}

/* Whether an edge of weight wt passes the cut (lk_net_threshold). */
static int passes(lk_threshold kind, double wt, double cut)
{
    return kind == LK_THRESHOLD_QUANTILE ? wt > cut : wt >= cut;
}

lk_status lk_net_threshold_ranks(lk_net *net, lk_threshold kind, double value, double *cut,
                                 size_t *kept, char *errbuf)
{
    /* rank 0 holds every partition's counts: its cut, to all */
    uint64_t q = lk_dist_rank() == 0 ? lk_double_key(cut_of(net, kind, value)) : 0;
    size_t m = 0;
    lk_status st;

    *kept = 0;
    if ((st = lk_dist_agree(LK_OK, errbuf)) != LK_OK ||
        (st = lk_dist_allreduce_u64(&q, 1, LK_DIST_MAX)) != LK_OK)
        return st;
    *cut = lk_key_double(q);
    for (size_t k = 0; k < net->n; k++) {
        lk_edge *e = &net->e[k];
        if ((e->coord = (uint32_t)passes(kind, e->objects, *cut)) != 0)
            net->e[m++] = *e;
    }
    net->n = m;
    lk_log(LK_LOG_DEBUG, "rank %d: %zu of its share of the kept edges pass the threshold",
           lk_dist_rank(), m);
    if ((st = lk_net_edges_to_root(net, LK_OK, errbuf)) == LK_OK)
        *kept = net->n;
    return st;
}

size_t lk_net_threshold(lk_net *net, lk_threshold kind, double value, double *cut)
{
    size_t kept = 0;
    const double q = cut_of(net, kind, value);

    for (size_t k = 0; k < net->n; k++) {
        net->e[k].coord = (uint32_t)passes(kind, net->e[k].objects, q);
        kept += net->e[k].coord;
    }
    if (cut)
        *cut = q;
    return kept;
}

static void drop_parked(lk_net *net);

lk_status lk_net_park(lk_net *net, const char *dir, char *errbuf)
{
    int fd = -1;
    lk_status st;

    if (lk_net_parked(net) || !net->e || net->n == 0)
        return LK_OK;
    dir = lk_tmpfile_dir(dir);
    if (!(net->park_fd = malloc(sizeof *net->park_fd)) || !(net->seg = malloc(sizeof *net->seg))) {
        drop_parked(net);
        return LK_ENOMEM;
    }
    if ((st = lk_tmpfile_open(dir, &fd, errbuf)) != LK_OK ||
        (st = lk_tmpfile_write(fd, net->e, net->n * sizeof *net->e, 0, dir, errbuf)) != LK_OK) {
        lk_tmpfile_close(fd);
        drop_parked(net);
        return st;
    }
    net->park_fd[0] = fd;
    net->npark_fd = 1;
    net->seg[0].off = 0;
    net->seg[0].n = net->n;
    net->seg[0].file = 0;
    net->nseg = 1;
    net->park_dir = dir;
    free(net->e);
    net->e = NULL;
    net->cap = 0;
    return LK_OK;
}

/* Parked edges are read in pieces of this many. */
#define PARK_PIECE ((size_t)1 << 16)

/* Every parked edge in order to fn, or (keep) the kept ones appended to
 * net->e. */
static lk_status read_parked(lk_net *net, lk_edge_fn fn, void *ctx, int keep, char *errbuf)
{
    lk_edge *buf = malloc(PARK_PIECE * sizeof *buf);
    size_t k = 0, kept = 0;
    lk_status st = LK_OK;

    if (!buf)
        return LK_ENOMEM;
    for (size_t s = 0; s < net->nseg && st == LK_OK; s++) {
        const lk_net_seg *g = &net->seg[s];
        for (size_t i = 0; i < g->n && st == LK_OK;) {
            const size_t m = LK_MIN(PARK_PIECE, g->n - i);
            if ((st = lk_tmpfile_read(net->park_fd[g->file], buf, m * sizeof *buf,
                                      g->off + i * sizeof *buf, net->park_dir, errbuf)) != LK_OK)
                break;
            for (size_t x = 0; x < m; x++, k++) {
                const int take = fn ? fn(ctx, &buf[x], k) : 1;
                if (!keep || !take)
                    continue;
                if (LK_GROW(net->e, kept + 1, net->cap) != LK_OK) {
                    st = LK_ENOMEM;
                    break;
                }
                net->e[kept++] = buf[x];
            }
            i += m;
        }
    }
    free(buf);
    if (keep && st == LK_OK) {
        net->n = kept;
        if (kept && kept < net->cap) { /* give the growth slack back */
            lk_edge *x = realloc(net->e, kept * sizeof *x);
            net->e = x ? x : net->e;
            net->cap = kept;
        }
    }
    return st;
}

/* lk_net_scan's tasks: piece t is edges [k0[t], k0[t] + PARK_PIECE) of the
 * parked ones, read into the worker's buffer. */
typedef struct scanjob {
    const lk_net *net;
    lk_edge_fn fn;
    void *ctx;
    size_t *seg_of;  /* per piece: its segment */
    size_t *k0;      /* per piece: its first edge's index */
    uint64_t *first; /* per piece: its first edge's place in its segment */
    lk_edge **buf;   /* per worker */
    lk_status *st;   /* per piece */
    char (*msg)[LK_ERRMSG_MAX];
} scanjob;

static void scan_task(void *ctx, size_t task, unsigned worker)
{
    const scanjob *j = ctx;
    const lk_net_seg *g = &j->net->seg[j->seg_of[task]];
    const size_t m = (size_t)LK_MIN((uint64_t)PARK_PIECE, g->n - j->first[task]);
    lk_edge *buf = j->buf[worker];

    j->msg[task][0] = '\0';
    if ((j->st[task] = lk_tmpfile_read(j->net->park_fd[g->file], buf, m * sizeof *buf,
                                       g->off + j->first[task] * sizeof *buf, j->net->park_dir,
                                       j->msg[task])) != LK_OK)
        return;
    for (size_t x = 0; x < m; x++)
        (void)j->fn(j->ctx, &buf[x], j->k0[task] + x);
}

lk_status lk_net_scan(const lk_net *net, unsigned threads, lk_edge_fn fn, void *ctx, char *errbuf)
{
    const unsigned w = LK_MAX(LK_MIN(threads, (unsigned)LK_PAR_MAX), 1u);
    size_t np = 0, k = 0;
    scanjob j;
    lk_status st = LK_ENOMEM;

    if (w == 1) /* read_parked changes net only when keeping */
        return read_parked((lk_net *)net, fn, ctx, 0,
                           errbuf); // NOLINT(cppcoreguidelines-pro-type-const-cast)
    memset(&j, 0, sizeof j);
    j.net = net;
    j.fn = fn;
    j.ctx = ctx;
    for (size_t s = 0; s < net->nseg; s++)
        np += (net->seg[s].n + PARK_PIECE - 1) / PARK_PIECE;
    j.seg_of = malloc(LK_MAX(np, (size_t)1) * sizeof *j.seg_of);
    j.k0 = malloc(LK_MAX(np, (size_t)1) * sizeof *j.k0);
    j.first = malloc(LK_MAX(np, (size_t)1) * sizeof *j.first);
    j.st = malloc(LK_MAX(np, (size_t)1) * sizeof *j.st);
    j.msg = malloc(LK_MAX(np, (size_t)1) * sizeof *j.msg);
    j.buf = calloc(w, sizeof(lk_edge *)); // NOLINT(bugprone-sizeof-expression)
    if (!j.seg_of || !j.k0 || !j.first || !j.st || !j.msg || !j.buf)
        goto done;
    for (unsigned q = 0; q < w; q++)
        if (!(j.buf[q] = malloc(PARK_PIECE * sizeof **j.buf)))
            goto done;
    np = 0;
    for (size_t s = 0; s < net->nseg; s++)
        for (size_t i = 0; i < net->seg[s].n; i += PARK_PIECE, np++) {
            j.seg_of[np] = s;
            j.first[np] = i;
            j.k0[np] = k + i;
            if (i + PARK_PIECE >= net->seg[s].n)
                k += net->seg[s].n;
        }
    /* every task runs even when a thread fails to start */
    (void)lk_par_run(w, np, scan_task, &j);
    st = LK_OK;
    for (size_t t = 0; t < np && st == LK_OK; t++)
        if ((st = j.st[t]) != LK_OK && j.msg[t][0] && errbuf)
            (void)snprintf(errbuf, LK_ERRMSG_MAX, "%s", j.msg[t]);
done:
    for (unsigned q = 0; j.buf && q < w; q++)
        free(j.buf[q]);
    free(j.buf);
    free(j.seg_of);
    free(j.k0);
    free(j.first);
    free(j.st);
    free(j.msg);
    return st;
}

/* Close the parked edges' files and forget them. */
static void drop_parked(lk_net *net)
{
    for (unsigned f = 0; net->park_fd && f < net->npark_fd; f++)
        if (net->park_fd[f] >= 0)
            lk_tmpfile_close(net->park_fd[f]);
    free(net->park_fd);
    free(net->seg);
    net->park_fd = NULL;
    net->npark_fd = 0;
    net->seg = NULL;
    net->nseg = 0;
}

lk_status lk_net_unpark_if(lk_net *net, lk_edge_fn keep, void *ctx, char *errbuf)
{
    lk_status st;

    if (!lk_net_parked(net))
        return LK_OK;
    free(net->e);
    net->e = NULL;
    net->cap = 0;
    st = read_parked(net, keep, ctx, 1, errbuf);
    drop_parked(net);
    if (st != LK_OK) {
        free(net->e);
        net->e = NULL;
        net->n = net->cap = 0;
    }
    return st;
}

void lk_net_release(lk_net *net)
{
    drop_parked(net);
    free(net->e);
    free(net->sk);
    free(net->whist);
    free(net->idf);
    free(net->burst_mark);
    memset(net, 0, sizeof *net);
}
