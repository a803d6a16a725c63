/*
 * net_dist.c - the distributed steps of the pair aggregation (net_int.h):
 * pair records to the rank that reduces their partition, then every
 * partition's counts to rank 0, and the null copies' scores (the data's
 * edges stay where they were reduced until they pass their threshold).
 */
#include "dist.h"
#include "net_int.h"
#include "tmpfile.h"

/* Records a message of the exchange (3 MiB): big enough to stream, small
 * enough that the two staging buffers do not count against the budget. */
#define XMSG ((size_t)1 << 17)

/* Of n items dealt round robin to `ranks` ranks, how many rank r gets. */
static size_t dealt(size_t n, size_t r, size_t ranks)
{
    return n > r ? (n - r + ranks - 1) / ranks : 0;
}

/*
 * A position in the stream one rank sends another: the cells (chunk c of
 * the sender, partition p of the receiver) in (c, p) order, each cell's
 * blocks in order, which is the order reduce_task concatenates them in.
 */
typedef struct xcur {
    size_t cell, ncells;
    size_t c0, p0, nranks;
    size_t nprt;  /* partitions of the receiver: cells per chunk */
    size_t blk;   /* sender: block of the cell */
    uint64_t off; /* sender: records of the block sent; receiver: of the cell received */
} xcur;

static blist *cell_list(const job *j, const xcur *x)
{
    const size_t c = x->c0 + x->cell / x->nprt * x->nranks;
    const size_t p = x->p0 + x->cell % x->nprt * x->nranks;
    return &j->bl[c * j->nparts + p];
}

/* The next n records of the send stream into out; memory blocks are freed
 * once sent.  After a failure (*bad set) the stream still advances, so the
 * partner receives what it expects. */
static void pack(job *j, xcur *x, prec *out, size_t n, lk_status *bad)
{
    size_t got = 0;

    while (got < n) {
        blist *l;
        block *b;
        size_t m;
        if (x->cell >= x->ncells) {
            /* the counts sent say otherwise: a bug */
            lk_errf(j->xmsg, "pair exchange: send stream shorter than counted");
            *bad = LK_EINVAL;
            memset(out + got, 0, (n - got) * sizeof *out);
            return;
        }
        l = cell_list(j, x);
        if (x->blk == l->n) {
            x->cell++;
            x->blk = 0;
            x->off = 0;
            continue;
        }
        b = &l->b[x->blk];
        m = (size_t)LK_MIN((uint64_t)(n - got), b->n - x->off);
        if (b->mem)
            memcpy(out + got, b->mem + x->off, m * sizeof *out);
        else if (*bad != LK_OK || (*bad = lk_net_spill_read(j, b->file, out + got, m, b->off,
                                                            x->off, j->xmsg)) != LK_OK)
            memset(out + got, 0, m * sizeof *out);
        got += m;
        x->off += m;
        if (x->off == b->n) {
            free(b->mem);
            b->mem = NULL;
            x->blk++;
            x->off = 0;
        }
    }
}

/* Append m received records to a cell as one block (spilled, r[0..m) is
 * packed in place). */
static lk_status store(job *j, blist *l, prec *r, size_t m)
{
    block blk;

    memset(&blk, 0, sizeof blk);
    blk.n = (uint32_t)m; /* m <= XMSG */
    blk.file = j->threads;
    if (LK_GROW(l->b, l->n + 1, l->cap) != LK_OK)
        return LK_ENOMEM;
    if (!j->to_disk) {
        if (!(blk.mem = malloc(m * sizeof *r)))
            return LK_ENOMEM;
        memcpy(blk.mem, r, m * sizeof *r);
    } else {
        const lk_status st = lk_net_spill_write(j, j->threads, r, m, &blk.off, j->xmsg);
        if (st != LK_OK)
            return st;
    }
    l->b[l->n++] = blk;
    return LK_OK;
}

/* Deal n received records into their cells, whose sizes cnt[] says. */
static void unpack(job *j, xcur *x, const uint64_t *cnt, prec *in, size_t n, lk_status *bad)
{
    size_t used = 0;

    while (used < n) {
        size_t m;
        if (x->cell >= x->ncells) {
            lk_errf(j->xmsg, "pair exchange: received more than counted");
            *bad = LK_EINVAL;
            return;
        }
        if (x->off == cnt[x->cell]) {
            x->cell++;
            x->off = 0;
            continue;
        }
        m = (size_t)LK_MIN((uint64_t)(n - used), cnt[x->cell] - x->off);
        if (*bad == LK_OK)
            *bad = store(j, cell_list(j, x), in + used, m);
        used += m;
        x->off += m;
    }
}

/*
 * R - 1 rounds; in round k every rank sends to rank + k and receives from
 * rank - k, so each pair of ranks meets once and no rank waits on one
 * that is not sending to it.  A round first swaps the record count of
 * every cell, then the records in messages of XMSG.
 */
lk_status lk_net_exchange(job *j)
{
    const size_t nr = (size_t)j->nranks, me = (size_t)j->rank, myc = j->nch / nr;
    const size_t maxc = myc * dealt(j->nparts, 0, nr);
    uint64_t *scnt = malloc(LK_MAX(maxc, (size_t)1) * sizeof *scnt);
    uint64_t *rcnt = malloc(LK_MAX(maxc, (size_t)1) * sizeof *rcnt);
    prec *sbuf = malloc(XMSG * sizeof *sbuf), *rbuf = malloc(XMSG * sizeof *rbuf);
    lk_status st, bad = LK_OK;

    st = scnt && rcnt && sbuf && rbuf ? LK_OK : LK_ENOMEM;
    /* (a missing buffer means a failed agreement; the test is for the analyser) */
    if ((st = lk_dist_agree(st, j->xmsg)) != LK_OK || !scnt || !rcnt || !sbuf || !rbuf) {
        st = st != LK_OK ? st : LK_ENOMEM;
        goto done;
    }
    for (size_t k = 1; k < nr; k++) {
        const size_t dst = (me + k) % nr, src = (me + nr - k) % nr;
        xcur sx, rx;
        uint64_t stot = 0, rtot = 0;

        memset(&sx, 0, sizeof sx);
        memset(&rx, 0, sizeof rx);
        sx.c0 = me;
        sx.p0 = dst;
        sx.nranks = nr;
        sx.nprt = dealt(j->nparts, dst, nr);
        sx.ncells = myc * sx.nprt;
        rx.c0 = src;
        rx.p0 = me;
        rx.nranks = nr;
        rx.nprt = dealt(j->nparts, me, nr);
        rx.ncells = myc * rx.nprt;
        for (sx.cell = 0; sx.cell < sx.ncells; sx.cell++) {
            const blist *l = cell_list(j, &sx);
            scnt[sx.cell] = 0;
            for (size_t b = 0; b < l->n; b++)
                scnt[sx.cell] += l->b[b].n;
            stot += scnt[sx.cell];
        }
        sx.cell = 0;
        if ((st = lk_dist_sendrecv(scnt, sx.ncells * sizeof *scnt, (int)dst, rcnt,
                                   rx.ncells * sizeof *rcnt, (int)src)) != LK_OK)
            goto done;
        for (size_t c = 0; c < rx.ncells; c++)
            rtot += rcnt[c];
        for (uint64_t sd = 0, rd = 0; sd < stot || rd < rtot;) {
            const size_t sn = (size_t)LK_MIN((uint64_t)XMSG, stot - sd);
            const size_t rn = (size_t)LK_MIN((uint64_t)XMSG, rtot - rd);
            pack(j, &sx, sbuf, sn, &bad);
            /* packed as in the spill files (every rank cut the same
             * partitions, so all have the same codec) */
            lk_net_encode(&j->codec, sbuf, sn);
            if ((st = lk_dist_sendrecv(sbuf, sn * j->codec.size, (int)dst,
                                       (uint8_t *)rbuf + rn * (sizeof *rbuf - j->codec.size),
                                       rn * j->codec.size, (int)src)) != LK_OK)
                goto done;
            lk_net_decode(&j->codec, rbuf, rn);
            unpack(j, &rx, rcnt, rbuf, rn, &bad);
            sd += sn;
            rd += rn;
        }
        j->shuffled += stot * j->codec.size;
    }
    st = bad;
done:
    free(scnt);
    free(rcnt);
    free(sbuf);
    free(rbuf);
    return st;
}

/* A partition's counts on the wire: n, nwhist, n_all, then its weight
 * histogram (all multiples of 8 bytes: views stay aligned). */
#define HDR 3

lk_status lk_net_gather(job *j, part_view *v, void **buf)
{
    const size_t nr = (size_t)j->nranks, me = (size_t)j->rank;
    uint64_t *lens = malloc(nr * sizeof *lens);
    size_t len = 0, off = 0;
    char *mine;
    const char *all;
    lk_status st;

    *buf = NULL;
    for (size_t p = me; p < j->nparts; p += nr)
        len += HDR * sizeof(uint64_t) + j->out[p].nwhist * sizeof(uint64_t);
    mine = malloc(LK_MAX(len, (size_t)1));
    /* a rank that failed before this step tells the others why, in j->xmsg */
    st = lk_dist_agree(mine && lens ? LK_OK : LK_ENOMEM, j->xmsg);
    if (st != LK_OK || !mine || !lens) {
        st = st != LK_OK ? st : LK_ENOMEM;
        goto done;
    }
    for (size_t p = me; p < j->nparts; p += nr) {
        const part_out *po = &j->out[p];
        const uint64_t hdr[HDR] = {po->n, po->nwhist, po->n_all};
        memcpy(mine + off, hdr, sizeof hdr);
        off += sizeof hdr;
        if (po->nwhist)
            memcpy(mine + off, po->whist, po->nwhist * sizeof *po->whist);
        off += po->nwhist * sizeof *po->whist;
    }
    if ((st = lk_dist_gather(mine, len, buf, lens)) != LK_OK)
        goto done;
    /* only rank 0 receives: the other ranks' views stay empty */
    if (j->rank != 0)
        goto done;
    all = *buf;
    off = 0;
    for (size_t r = 0; r < nr; r++) {
        const size_t end = off + (size_t)lens[r];
        for (size_t p = r; p < j->nparts; p += nr) {
            uint64_t hdr[HDR];
            if (end - off < sizeof hdr)
                goto corrupt;
            memcpy(hdr, all + off, sizeof hdr);
            off += sizeof hdr;
            if (hdr[0] > SIZE_MAX || hdr[1] > (end - off) / sizeof(uint64_t))
                goto corrupt;
            v[p].n = (size_t)hdr[0];
            v[p].nwhist = (size_t)hdr[1];
            v[p].n_all = hdr[2];
            v[p].rec = NULL;
            v[p].whist = (const uint64_t *)(const void *)(all + off);
            off += v[p].nwhist * sizeof(uint64_t);
        }
        if (off != end)
            goto corrupt;
    }
    st = LK_OK;
    goto done;
corrupt:
    /* a bug; rank 0 alone sees it, and the caller's agreement tells the
     * others */
    lk_errf(j->xmsg, "edge gather: partition counts do not match their lengths");
    st = LK_EINVAL;
done:
    free(mine);
    free(lens);
    return st;
}

/* A partition's edges (or scores) in this rank's memory. */
static void *part_mem(const job *j, size_t p)
{
    return j->scores_only ? (void *)j->out[p].sk : (void *)j->out[p].e;
}

static void part_free(job *j, size_t p)
{
    free(j->out[p].e);
    free(j->out[p].sk);
    j->out[p].e = NULL;
    j->out[p].sk = NULL;
}

/* Rank 0: net's one edge list (or scores) for every partition's, at[p]
 * the byte where partition p's start (partition order, which is (a, b)
 * order), with rank 0's own partitions moved in. */
static lk_status dest_memory(job *j, const part_view *v, lk_net *net, uint64_t *at)
{
    const size_t nr = (size_t)j->nranks, esz = j->scores_only ? sizeof(lk_kv) : sizeof(lk_edge);
    size_t n = 0;
    char *dst;

    for (size_t p = 0; p < j->nparts; p++) {
        at[p] = (uint64_t)n * esz;
        n += v[p].n;
    }
    if (!n)
        return LK_OK;
    if (!(dst = malloc(n * esz)))
        return LK_ENOMEM;
    if (j->scores_only)
        net->sk = (lk_kv *)(void *)dst;
    else
        net->e = (lk_edge *)(void *)dst;
    net->cap = n;
    for (size_t p = 0; p < j->nparts; p += nr) {
        if (v[p].n)
            memcpy(dst + at[p], part_mem(j, p), v[p].n * esz);
        part_free(j, p);
    }
    return LK_OK;
}

lk_status lk_net_send_edges(job *j, const part_view *v, lk_net *net, lk_status st, uint64_t *moved)
{
    const size_t nr = (size_t)j->nranks, me = (size_t)j->rank;
    const size_t esz = j->scores_only ? sizeof(lk_kv) : sizeof(lk_edge);
    uint64_t *at = NULL, total = 0;

    *moved = 0;
    for (size_t p = 0; p < j->nparts; p++)
        if (me ? p % nr == me : p % nr != 0)
            total += (uint64_t)(me ? j->out[p].n : v[p].n) * esz;
    if (st == LK_OK && me == 0 && !(at = calloc(LK_MAX(j->nparts, (size_t)1), sizeof *at)))
        st = LK_ENOMEM;
    if (st == LK_OK && me == 0)
        st = dest_memory(j, v, net, at);
    /* rank 0's destination exists, or nothing travels (nor after the
     * gather failed, on rank 0 alone or on all) */
    if ((st = lk_dist_agree(st, j->xmsg)) != LK_OK)
        goto done;
    if (me == 0 && !at) { /* agreed above: for the analyser */
        st = LK_ENOMEM;
        goto done;
    }
    for (size_t r = 1; r < nr; r++) {
        if (me != r && me != 0)
            continue;
        for (size_t p = r; p < j->nparts; p += nr) {
            const size_t len = (me ? j->out[p].n : v[p].n) * esz;
            if (me) {
                st = lk_dist_sendrecv(part_mem(j, p), len, 0, NULL, 0, 0);
                part_free(j, p);
            } else {
                char *dst = j->scores_only ? (char *)net->sk : (char *)net->e;
                st = lk_dist_sendrecv(NULL, 0, 0, dst + at[p], len, (int)r);
            }
            if (st != LK_OK)
                goto done;
        }
    }
    *moved = me ? 0 : total;
    st = lk_dist_agree(LK_OK, j->xmsg);
done:
    free(at);
    return st;
}

static int cmp_ab(const void *x, const void *y)
{
    const lk_edge *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

lk_status lk_net_edges_to_root(lk_net *net, lk_status st, char *errbuf)
{
    void *all = NULL;
    size_t len = 0;

    if (st == LK_OK && lk_net_parked(net))
        st = LK_EINVAL; /* a bug */
    st = lk_dist_to_root(net->e, net->n * sizeof *net->e, st, &all, &len, errbuf);
    if (st != LK_OK)
        return st;
    free(net->e);
    net->e = all;
    net->n = net->cap = len / sizeof *net->e;
    if (net->n > 1)
        lk_qsort(net->e, net->n, sizeof *net->e, cmp_ab);
    return LK_OK;
}
