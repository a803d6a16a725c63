/*
 * fuzz_formats.c - the whole reader (sniffing, CSV and JSON-lines and
 * document formats, every trace, normalisation, the sink) over arbitrary
 * bytes, under --on-error skip: it must never crash, and the accounting must
 * hold: rows read = used + skipped, each used row gave at least one action,
 * and every action has a non-empty account, a valid trace and valid UTF-8.
 * The same bytes are read a second time, forced to each JSON format in turn
 * and to each CSV format, with the same invariants (forced formats exercise
 * extractors that sniffing would not pick).  Each read is done serially and
 * again on three threads in chunks of a few bytes (reader_par.c): the
 * status, message, counts and actions must be the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

typedef struct fctx {
    uint64_t actions;
    uint64_t hash; /* of every action, in order */
} fctx;

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

static lk_status on_action(void *vctx, const lk_sink_action *a)
{
    fctx *c = vctx;
    CHECK(a->account_len > 0);
    CHECK((unsigned)a->trace < LK_TR_N);
    CHECK(lk_utf8_valid(a->account, a->account_len));
    CHECK(lk_utf8_valid(a->object, a->object_len));
    CHECK(a->object[a->object_len] == '\0');
    c->hash = mix(c->hash, a->account, a->account_len + 1);
    c->hash = mix(c->hash, a->object, a->object_len + 1);
    c->hash = mix(c->hash, a->content, a->content_len + 1);
    c->hash = mix(c->hash, &a->t, sizeof a->t);
    c->hash = mix(c->hash, &a->line, sizeof a->line);
    c->hash = mix(c->hash, &a->trace, sizeof a->trace);
    CHECK(a->t >= 0);
    c->actions++;
    return LK_OK;
}

typedef struct outcome {
    lk_status ret;
    lk_input_stats st;
    fctx c;
    char eb[LK_ERRMSG_MAX];
} outcome;

static void read_once(const uint8_t *data, size_t size, lk_format f, unsigned threads, size_t chunk,
                      int skip, outcome *o)
{
    lk_sink_opts so;
    lk_read_opts ro;
    lk_stream *s = NULL;
    lk_sink *k = NULL;
    uint64_t skipped = 0;

    memset(&so, 0, sizeof so);
    memset(&ro, 0, sizeof ro);
    memset(o, 0, sizeof *o);
    o->ret = LK_EINVAL;
    so.traces = (1u << LK_TR_N) - 1u;
    so.skip_bad_rows = skip;
    ro.format = f;
    ro.col_object = "object_id";
    ro.col_account = "account_id";
    ro.col_content = "content_id";
    ro.col_time = "timestamp_share";
    ro.threads = threads;
    ro.chunk_bytes = chunk;
    o->c.hash = UINT64_C(0xcbf29ce484222325);
    if (lk_sink_new(&so, on_action, &o->c, NULL, &k) != LK_OK)
        return;
    if (lk_stream_open_mem(data, size, "fuzz", &s, o->eb) == LK_OK) {
        o->ret = lk_read_stream(s, 0, &ro, k, &o->st, o->eb);
        for (int r = 0; r < LK_SKIP_N; r++)
            skipped += o->st.skipped[r];
        if (skip) { /* any outcome is fine; the accounting must hold */
            CHECK(o->st.rows_read == o->st.rows_used + skipped);
            CHECK(o->c.actions >= o->st.rows_used);
        }
    }
    lk_stream_close(s);
    lk_sink_free(k);
}

/* Serial and parallel reads agree. */
static void read_both(const uint8_t *data, size_t size, lk_format f, int skip)
{
    static outcome a, b;

    read_once(data, size, f, 1, 0, skip, &a);
    read_once(data, size, f, 3, 16, skip, &b);
    CHECK(a.ret == b.ret);
    CHECK(strcmp(a.eb, b.eb) == 0);
    CHECK(a.c.actions == b.c.actions && a.c.hash == b.c.hash);
    if (skip || a.ret == LK_OK) {
        CHECK(a.st.rows_read == b.st.rows_read && a.st.rows_used == b.st.rows_used);
        CHECK(memcmp(a.st.skipped, b.st.skipped, sizeof a.st.skipped) == 0);
        CHECK(memcmp(a.st.actions, b.st.actions, sizeof a.st.actions) == 0);
        CHECK(memcmp(a.st.format_rows, b.st.format_rows, sizeof a.st.format_rows) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const lk_format forced[] = {LK_FMT_AUTO,      LK_FMT_TWITTER_V1,  LK_FMT_TWITTER_V2,
                                       LK_FMT_PUSHSHIFT, LK_FMT_TELEGRAM,    LK_FMT_BLUESKY,
                                       LK_FMT_MASTODON,  LK_FMT_TWITTER_IO,  LK_FMT_TWARC_CSV,
                                       LK_FMT_IRA_538,   LK_FMT_CROWDTANGLE, LK_FMT_MCL};
    if (size > ((size_t)1 << 20))
        return 0;
    for (size_t i = 0; i < sizeof forced / sizeof forced[0]; i++)
        read_both(data, size, forced[i], 1);
    read_both(data, size, LK_FMT_AUTO, 0); /* --on-error fail: the same first error */
    return 0;
}
