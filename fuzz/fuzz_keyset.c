/*
 * fuzz_keyset.c - the post keys seen (keyset.h) over arbitrary bytes.  The
 * input after its first byte is split on '\n' into keys (any bytes, NULs
 * included).  The first byte picks the mode: bit 0 spills the set's arena
 * to $TMPDIR or /tmp; bits 1-7 pad every key with that many KiB of bytes
 * derived from the key (so that equal keys stay equal and different ones
 * different, and a few keys fill the arena's 1 MiB chunks and reach the
 * file).  Every answer must be the one a plain scan of the earlier keys
 * gives, and the count the number of distinct keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

/* key (s, n) padded with pad bytes that depend on the key alone */
static char *padded(const char *s, size_t n, size_t pad, size_t *len)
{
    char *k = malloc(n + pad + 1);
    unsigned char x = (unsigned char)n;

    if (!k)
        return NULL;
    memcpy(k, s, n);
    for (size_t i = 0; i < n; i++)
        x = (unsigned char)(x * 31u + (unsigned char)s[i]);
    for (size_t i = 0; i < pad; i++)
        k[n + i] = (char)(x + (unsigned char)i);
    *len = n + pad;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    lk_keyset *ks = NULL;
    size_t *start = NULL, *len = NULL, nk = 0, distinct = 0, pad;
    int spill;

    if (size == 0)
        return 0;
    spill = data[0] & 1;
    pad = (size_t)(data[0] >> 1) * 1024;
    start = malloc(size * sizeof *start);
    len = malloc(size * sizeof *len);
    if (!start || !len || lk_keyset_new(&ks) != LK_OK)
        goto cleanup;
    if (spill)
        lk_keyset_spill(ks, NULL);
    for (size_t i = 1; i <= size;) {
        size_t e = i;
        int fresh = -1, want = 1;
        char *k;
        size_t klen;
        lk_status st;

        while (e < size && s[e] != '\n')
            e++;
        for (size_t j = 0; j < nk && want; j++)
            if (len[j] == e - i && memcmp(s + start[j], s + i, e - i) == 0)
                want = 0;
        start[nk] = i;
        len[nk++] = e - i;
        if (!(k = padded(s + i, e - i, pad, &klen)))
            goto cleanup;
        st = lk_keyset_add(ks, k, klen, &fresh);
        free(k);
        if (st == LK_ENOMEM || st == LK_EIO) /* no memory, or no room in /tmp */
            goto cleanup;
        CHECK(st == LK_OK);
        CHECK(fresh == want);
        distinct += (size_t)want;
        CHECK(lk_keyset_count(ks) == distinct);
        i = e + 1;
    }
    CHECK(!spill || lk_keyset_bytes(ks) < (size_t)64 << 20);
cleanup:
    lk_keyset_free(ks);
    free(start);
    free(len);
    return 0;
}
