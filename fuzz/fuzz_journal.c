/*
 * fuzz_journal.c - a journal's packed form (journal.c) from arbitrary
 * bytes.  lk_journal_unpack must refuse what does not decode (LK_EINVAL)
 * or give entries whose objects, sketches and strings lie within the
 * journal; a journal it gave must pack again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

static void check_within(const lk_journal *j)
{
    for (size_t i = 0; i < j->n; i++) {
        const jent *e = &j->e[i];
        CHECK(e->kind <= J_FMT && e->off <= j->bytes.len);
        CHECK((uint64_t)e->ob0 + e->nob <= j->nob);
        CHECK(e->sig == NO_SIG || (uint64_t)e->sig + LK_NEARTEXT_K <= j->nsig);
        if (e->kind != J_REC)
            continue;
        CHECK((uint64_t)e->off + e->acc_len + e->content_len + e->key_len + e->objs_len + 4 <=
              j->bytes.len);
        for (size_t k = e->ob0; k < (size_t)e->ob0 + e->nob; k++)
            CHECK((uint64_t)j->ob[k].off + j->ob[k].len <= e->objs_len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lk_journal *j = NULL, *j2 = NULL;
    lk_buf p;
    lk_status st;

    lk_buf_init(&p);
    if (lk_journal_new(&j) != LK_OK || lk_journal_new(&j2) != LK_OK)
        goto done;
    st = lk_journal_unpack(j, data, size);
    CHECK(st == LK_OK || st == LK_EINVAL || st == LK_ENOMEM);
    if (st != LK_OK) {
        CHECK(j->n == 0);
        goto done;
    }
    check_within(j);
    /* packed again: a canonical form, which unpacks to the same journal */
    if (lk_journal_pack(j, &p) != LK_OK)
        goto done;
    CHECK(p.len <= size);
    CHECK(lk_journal_unpack(j2, p.p, p.len) == LK_OK);
    CHECK(j2->n == j->n && j2->nob == j->nob && j2->nsig == j->nsig);
    CHECK(j2->bytes.len == j->bytes.len && memcmp(j2->bytes.p, j->bytes.p, j->bytes.len) == 0);
    CHECK(j->n == 0 || memcmp(j2->e, j->e, j->n * sizeof *j->e) == 0);
done:
    lk_buf_release(&p);
    lk_journal_free(j);
    lk_journal_free(j2);
    return 0;
}
