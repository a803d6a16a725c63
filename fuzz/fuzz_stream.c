/*
 * fuzz_stream.c - lk_stream over arbitrary bytes (plain, gzip, zstd and
 * everything in between) must never crash, and must decode the same bytes
 * whatever the read size: the input is decoded twice, in 4 KiB reads and in
 * 1-byte reads, and the results are compared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io_stream.h"

/* Decompression bombs are legal input; stop after this much output so a
 * run stays fast.  The 1-byte pass compares a shorter prefix. */
#define BULK_CAP ((size_t)1 << 20)
#define TINY_CAP ((size_t)1 << 16)

/* Decode into out[0..cap).  Returns the last read result: 0 (clean end),
 * negative (error), or 1 when the cap was reached first. */
static ptrdiff_t decode(const uint8_t *data, size_t size, size_t chunk, unsigned char *out,
                        size_t cap, size_t *len)
{
    char err[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    ptrdiff_t got = 1;

    *len = 0;
    if (lk_stream_open_mem(data, size, "fuzz", &s, err) != LK_OK)
        return LK_ENOMEM; /* the only way open_mem can fail */
    while (*len < cap) {
        got = lk_stream_read(s, out + *len, LK_MIN(chunk, cap - *len));
        if (got <= 0)
            break;
        *len += (size_t)got;
        got = 1;
    }
    if (got < 0 && lk_stream_errmsg(s)[0] == '\0')
        __builtin_trap(); /* every error must explain itself */
    lk_stream_close(s);
    return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *bulk = malloc(BULK_CAP);
    unsigned char *tiny = malloc(TINY_CAP);
    size_t bulk_len, tiny_len;
    ptrdiff_t bulk_st, tiny_st;

    if (!bulk || !tiny)
        goto cleanup;
    bulk_st = decode(data, size, 4096, bulk, BULK_CAP, &bulk_len);
    if (bulk_st == LK_ENOMEM)
        goto cleanup;
    tiny_st = decode(data, size, 1, tiny, TINY_CAP, &tiny_len);
    if (tiny_st == LK_ENOMEM)
        goto cleanup;

    /* Same bytes as far as both got, and the same ending when neither was
     * capped.  On an error the lengths may differ: bytes the decoder wrote
     * in the failing call are dropped, and a larger read holds more. */
    if (memcmp(bulk, tiny, LK_MIN(bulk_len, tiny_len)) != 0)
        __builtin_trap();
    if (bulk_st != 1 && tiny_st != 1) {
        if (bulk_st != tiny_st)
            __builtin_trap();
        if (bulk_st == 0 && bulk_len != tiny_len)
            __builtin_trap();
    }

cleanup:
    free(bulk);
    free(tiny);
    return 0;
}
