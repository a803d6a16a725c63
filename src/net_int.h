/*
 * net_int.h - what the pair aggregation (net.c) and its distributed steps
 * (net_dist.c) share: the record, block and job types and the spill-file
 * helpers.  Internal to those two files.
 */
#ifndef LK_NET_INT_H
#define LK_NET_INT_H

#include "net.h"

/* A co-action as the sweep reports it; 24 bytes, so that a radix pass
 * streams through memory. */
typedef struct prec {
    uint64_t key; /* (a << bits) | b, a < b */
    uint32_t obj;
    uint32_t dt; /* |dt| in ms (the window is at most UINT32_MAX ms) */
    uint32_t ev; /* the pair of posts (hash): one co-action event */
    uint32_t pad;
} prec;

/*
 * Stable sort of (*src)[0..n) on the low `keybits` bits of key (no key has
 * a higher bit set), with *dst (n records) as scratch; the two pointers
 * are swapped when the result ends in the scratch, so that *src holds it.
 * Stability keeps the sweep order (object by object) inside each pair.
 * @return LK_OK or LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_net_sort_records(prec **src, prec **dst, size_t n, unsigned keybits);

/* A chunk: the objects [o0, o1), swept by one task. */
typedef struct chunk {
    size_t o0, o1;
    uint64_t pairs;
    uint64_t bound;   /* pairs bounded before the sketch is made (bound_chunk) */
    uint64_t singles; /* pairs the scatter left out as one-record edges (sketch) */
} chunk;

/* A block of pair records of one (chunk, partition): in memory, or at
 * `off` in the spill file of worker `file`. */
typedef struct block {
    prec *mem;
    uint64_t off;
    uint32_t n, file;
} block;

typedef struct blist {
    block *b;
    size_t n, cap;
} blist;

/*
 * Pair records as they are spilled: each field in as few bits as the job
 * needs (the key's, the object ids', the window's and the event hash's 32),
 * packed one after the other into `size` bytes, 13 to 16 where a record
 * takes 24 in memory.  The null aggregations (scores only) drop the time
 * difference.  Spill files never leave the process that wrote them.
 */
typedef struct reccodec {
    unsigned kbits, obits, dbits; /* key, object and |dt| bits; dbits 0: dt not kept */
    unsigned size;                /* bytes a record: ceil((kbits + obits + dbits + 32) / 8) */
} reccodec;

/* r[0..n) packed in place by c: record k to bytes [k c->size, (k + 1) c->size). */
void lk_net_encode(const reccodec *c, prec *r, size_t n);

/* The n records packed by c at the end of out[0..n) (its last n c->size
 * bytes) unpacked in place. */
void lk_net_decode(const reccodec *c, prec *out, size_t n);

/* A spill file: one per worker, and one for the records other ranks send. */
typedef struct spill {
    int fd; /* -1: not opened yet */
    uint64_t size;
} spill;

/* Partitions are ranges of the smaller account id of a pair, cut so that
 * each holds about the same number of pairs: the membership test is a
 * table lookup and the packed keys of a partition need fewer radix passes. */
typedef struct job {
    const lk_objindex *ix;
    lk_cols cp;   /* the actions' columns */
    int own_cols; /* 1: cp was filled here (and is freed here) */
    const uint8_t *burst;
    int64_t w;
    unsigned bits;    /* bits of the larger account id in the packed key */
    unsigned threads; /* this rank's workers */
    int rank, nranks; /* chunk c is swept and partition p reduced by rank c, p % nranks */
    size_t nacc;
    chunk *ch;
    size_t nch;         /* a multiple of nranks */
    size_t *order;      /* this rank's chunks, heaviest first (order_chunks) */
    uint64_t **per_acc; /* counting pass, per worker: pairs per smaller account */
    uint32_t *part_blk; /* block of 2^blk_shift accounts -> partition of its first */
    unsigned blk_shift; /* at most 2^16 blocks: part_blk stays in the caches */
    uint32_t *part_lo;  /* partition p: part_lo[p] <= min(a, b) < part_lo[p + 1] */
    size_t nparts;
    uint64_t part_records; /* lk_net_opts.part_records */
    size_t brec;           /* records per block */
    int to_disk;
    blist *bl;        /* [chunk * nparts + partition] */
    prec **wbuf;      /* per worker: nparts write buffers of brec records */
    uint32_t **wfill; /* per worker: records in each write buffer */
    prec *(*sbuf)[2]; /* per worker: its two sorting buffers (reduce_task), */
    size_t *scap;     /* of scap[w] records each */
    spill *sp;        /* per worker, then [threads]: records received from other ranks */
    reccodec codec;   /* how records are packed in the spill files */
    const char *tmp_dir;
    lk_status *st; /* per task */
    char (*msg)[LK_ERRMSG_MAX];
    const lk_net *net; /* idf */
    uint32_t min_keep;
    int scores_only;      /* lk_net_opts.scores_only */
    uint64_t sample_mask; /* 2^lk_net_opts.sample_log2 - 1: pairs of other hashes left out */
    struct part_out *out;
    int park;                 /* lk_net_opts.park (distributed: every rank parks its
                                 own, under local alone) */
    int local;                /* lk_net_opts.local: the edges stay (net.c, own_views) */
    spill *ep;                /* per worker: the file of the kept edges it parked */
    uint64_t *sk;             /* the pair sketch (net.c), NULL when not used */
    uint64_t sk_lines;        /* its lines of 64 bytes (fewer than 2^32); 0: none */
    uint64_t room;            /* bytes of blocks that may still stay in memory while
                                 spilling (with a sketch; else 0) */
    uint64_t shuffled;        /* bytes of records this rank sent to others */
    char xmsg[LK_ERRMSG_MAX]; /* what failed in the exchange */
} job;

/* What the reduction of one partition gives: its kept edges and the weight
 * histogram of all its edges, merged in partition order afterwards. */
typedef struct part_out {
    lk_edge *e; /* its kept edges; under scores_only sk instead */
    lk_kv *sk;
    size_t n, cap;
    uint64_t n_all;
    uint64_t *whist;
    size_t nwhist;
    uint64_t park_off; /* under job.park: where its n edges went (e freed) */
    unsigned park_file;
} part_out;

/* Open the spill file `file` (a worker's, or [threads] for received
 * records) on first use: created in tmp_dir and unlinked at once. */
LK_RESULT_USED lk_status lk_net_spill_open(job *j, unsigned file, char *msg);

/* Append the n records r[0..n) to spill file `file`, packed (j->codec;
 * this overwrites r); *off receives where they start. */
LK_RESULT_USED lk_status lk_net_spill_write(job *j, unsigned file, prec *r, size_t n, uint64_t *off,
                                            char *msg);

/* Read records [first, first + n) of the block at off of spill file
 * `file` back into out[0..n). */
LK_RESULT_USED lk_status lk_net_spill_read(const job *j, unsigned file, prec *out, size_t n,
                                           uint64_t off, uint64_t first, char *msg);

/**
 * Distributed runs: send the blocks of this rank's chunks that belong to
 * other ranks' partitions, and receive the blocks of this rank's
 * partitions from theirs, appended to bl[] (in memory or to the receive
 * spill file).  Every rank must call it; a local failure (memory, spill
 * file) does not stop the exchange, it is returned afterwards with its
 * message in j->xmsg.  Adds the bytes sent to j->shuffled.
 */
LK_RESULT_USED lk_status lk_net_exchange(job *j);

/* A partition's reduction, as merged into the network. */
typedef struct part_view {
    const void *rec; /* n lk_edge, or n lk_kv under scores_only */
    size_t n;
    const uint64_t *whist;
    size_t nwhist;
    uint64_t n_all;
} part_view;

/**
 * Distributed runs: gather every rank's reduced partitions' counts and
 * weight histograms (j->out[p] for its own p) on rank 0.  There
 * v[0..nparts) receives each partition's counts, rec NULL (the edges
 * follow, lk_net_send_edges), its histogram into *buf (caller frees with
 * free()); on the other ranks v[] is left as it is (the caller's zeroed
 * views: no edges) and *buf is NULL.  Collective; a failure to allocate
 * is agreed (the same status on all ranks), while records that do not
 * parse (a bug) fail rank 0 alone, with the message in j->xmsg.
 */
LK_RESULT_USED lk_status lk_net_gather(job *j, part_view *v, void **buf);

/**
 * Under j->park, the reduced partitions' kept edges parked in the workers'
 * files: net takes those files over, and each partition p with v[p].n
 * edges becomes a segment, in partition order (which is (a, b) order).
 * Distributed (lk_net_opts.local), v[] holds this rank's partitions
 * alone.
 */
LK_RESULT_USED lk_status lk_net_take_parked(job *j, const part_view *v, lk_net *net);

/**
 * Distributed runs, after lk_net_gather, for the null copies' scores (and
 * a network not kept where it was reduced, lk_net_opts.local 0): every
 * partition's scores (or edges) go to rank 0, straight to their place in
 * the network there, so no rank holds them twice: rank 0 allocates net's
 * list for all partitions and receives each in place, its own moved in.
 * Each rank frees its partitions once sent.  On rank 0 *moved receives
 * the bytes received.  Collective, called by every rank with
 * lk_net_gather's status st (which may have failed on rank 0 alone): a
 * failure on any rank is agreed, with its message in j->xmsg.
 */
LK_RESULT_USED lk_status lk_net_send_edges(job *j, const part_view *v, lk_net *net, lk_status st,
                                           uint64_t *moved);

#endif
