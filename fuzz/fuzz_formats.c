/*
 * fuzz_formats.c - the whole reader (sniffing, CSV and JSON-lines and
 * document formats, every trace, normalisation, the sink) over arbitrary
 * bytes, under --on-error skip: it must never crash, and the accounting must
 * hold: rows read = used + skipped, each used row gave at least one action,
 * and every action has a non-empty account, a valid trace and valid UTF-8.
 * The same bytes are read a second time, forced to each JSON format in turn
 * and to each CSV format, with the same invariants (forced formats exercise
 * extractors that sniffing would not pick).
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
} fctx;

static lk_status on_action(void *vctx, const lk_sink_action *a)
{
    fctx *c = vctx;
    CHECK(a->account_len > 0);
    CHECK((unsigned)a->trace < LK_TR_N);
    CHECK(lk_utf8_valid(a->account, a->account_len));
    CHECK(lk_utf8_valid(a->object, a->object_len));
    CHECK(a->object[a->object_len] == '\0');
    CHECK(a->t >= 0);
    c->actions++;
    return LK_OK;
}

static void read_once(const uint8_t *data, size_t size, lk_format f)
{
    char eb[LK_ERRMSG_MAX];
    lk_sink_opts so;
    lk_read_opts ro;
    lk_input_stats st;
    lk_stream *s = NULL;
    lk_sink *k = NULL;
    fctx c;
    uint64_t skipped = 0;

    memset(&so, 0, sizeof so);
    memset(&st, 0, sizeof st);
    memset(&c, 0, sizeof c);
    so.traces = (1u << LK_TR_N) - 1u;
    so.skip_bad_rows = 1;
    ro.format = f;
    ro.col_object = "object_id";
    ro.col_account = "account_id";
    ro.col_content = "content_id";
    ro.col_time = "timestamp_share";
    if (lk_sink_new(&so, on_action, &c, NULL, &k) != LK_OK)
        return;
    if (lk_stream_open_mem(data, size, "fuzz", &s, eb) == LK_OK) {
        const lk_status ret = lk_read_stream(s, 0, &ro, k, &st, eb);
        (void)ret; /* any outcome is fine; the accounting must hold */
        for (int r = 0; r < LK_SKIP_N; r++)
            skipped += st.skipped[r];
        CHECK(st.rows_read == st.rows_used + skipped);
        CHECK(c.actions >= st.rows_used);
    }
    lk_stream_close(s);
    lk_sink_free(k);
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
        read_once(data, size, forced[i]);
    return 0;
}
