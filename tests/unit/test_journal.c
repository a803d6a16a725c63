/*
 * test_journal.c - the packed form the ranks exchange journals in
 * (src/journal.c): every field of every entry and object, the sketches and
 * the strings come back exactly, whatever their values (lines that jump
 * back, times at both ends of int64, ids and hashes of all 32 bits,
 * sketches shared or out of order, formats and reasons of any byte), and a
 * journal packed again gives the same bytes; a journal shaped like reading's
 * takes a fraction of its size in memory; and a packed journal cut short
 * or with any byte of its entries, objects or header changed either fails
 * with LK_EINVAL or unpacks to entries whose objects, sketches and strings
 * lie within the journal (ASan and UBSan run it in CI).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "lk_internal.h"

#include "lk_testutil.h"

/* The header's size (journal.c's jwire: seven 64-bit counts). */
#define HEAD 56

static uint32_t r32(uint64_t *s)
{
    return (uint32_t)next_u64(s);
}

/* One of the values a 32-bit id can take at its ends, or a random one. */
static uint32_t id32(uint64_t *s)
{
    static const uint32_t ends[] = {0, 1, 127, 128, NO_ID - 1u, NO_ID};
    const uint32_t r = r32(s) % 8;
    return r < 6 ? ends[r] : r == 6 ? r32(s) % 5000000 : r32(s);
}

static void add_bytes(lk_journal *j, const char *p, size_t n)
{
    assert_int_equal(lk_buf_append(&j->bytes, p, n), LK_OK);
}

static void add_random(lk_journal *j, uint64_t *s, size_t n)
{
    char b[64];
    assert_true(n <= sizeof b);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)('a' + r32(s) % 26);
    add_bytes(j, b, n);
}

/*
 * A journal of n entries.  wild: any value in every field the packed form
 * must carry (lines and times anywhere, sketches shared); else shaped like
 * the simulated input's reading: records of one to three objects on
 * consecutive lines, a post's actions at one time, a text's sketch in
 * three records of four.
 */
static void gen(lk_journal *j, uint64_t *s, size_t n, int resolved, int wild)
{
    uint64_t line = 1;
    int64_t t = INT64_C(1675060777000);

    j->n = j->nob = j->nsig = 0;
    lk_buf_reset(&j->bytes);
    j->resolved = resolved;
    assert_int_equal(LK_GROW(j->e, n, j->cap), LK_OK);
    for (size_t i = 0; i < n; i++) {
        jent *e = &j->e[j->n++];
        const uint32_t r = r32(s) % 16;
        memset(e, 0, sizeof *e);
        e->sig = NO_SIG;
        e->fmt = -1;
        e->kind = (uint8_t)(!wild || r < 10 ? J_REC : (uint8_t)(J_SKIP + r % 5));
        e->flags = (uint8_t)(r32(s) % 8 < 7 ? F_ROW : 0);
        if (wild) {
            static const int64_t tends[] = {INT64_MIN, INT64_MAX, 0, -1};
            /* a line before, the same or the next; or anywhere */
            line = r32(s) % 4 ? line + (uint64_t)(r32(s) % 3) - 1 : next_u64(s);
            /* a step of up to a second either way, wrapping at the ends
             * (in unsigned arithmetic: no signed overflow) */
            t = r32(s) % 4 ? (int64_t)((uint64_t)t + (uint64_t)(r32(s) % 2001) - 1000u)
                           : tends[r32(s) % 4];
            if (r32(s) % 8 == 0)
                e->fmt = (int8_t)r32(s);
            if (e->kind != J_REC || r32(s) % 8 == 0)
                e->why = (uint8_t)r32(s);
        } else {
            line += 1 + (r32(s) % 64 == 0);
            t += r32(s) % 4 ? 0 : (int64_t)(r32(s) % 60000);
        }
        e->line = line;
        e->t = t;
        if (e->kind == J_BAD && r32(s) % 2) {
            e->off = j->bytes.len;
            add_random(j, s, 1 + r32(s) % 40);
            add_bytes(j, "", 1);
        }
        if (e->kind != J_REC)
            continue;
        {
            const uint32_t nob = wild ? r32(s) % 5 : 1 + r32(s) % 3;
            uint32_t at = 0;
            e->flags |= (uint8_t)((r32(s) % 2 ? F_KEY : 0) | (r32(s) % 4 < 3 ? F_NT : 0));
            e->off = j->bytes.len;
            e->acc_len = wild ? r32(s) % 40 : 16;
            e->content_len = wild ? r32(s) % 40 : 16;
            e->key_len = e->flags & F_KEY ? 1 + r32(s) % 20 : 0;
            add_random(j, s, e->acc_len);
            add_bytes(j, "", 1);
            add_random(j, s, e->content_len);
            add_bytes(j, "", 1);
            add_random(j, s, e->key_len);
            add_bytes(j, "", 1);
            e->ob0 = (uint32_t)j->nob;
            e->nob = nob;
            assert_int_equal(LK_GROW(j->ob, j->nob + nob, j->obcap), LK_OK);
            assert_int_equal(LK_GROW(j->oh, j->nob + nob, j->ohcap), LK_OK);
            assert_int_equal(LK_GROW(j->oid, j->nob + nob, j->oidcap), LK_OK);
            for (uint32_t k = 0; k < nob; k++) {
                const uint32_t len = 1 + r32(s) % 30;
                recobj *o = &j->ob[j->nob];
                o->off = at;
                o->len = len;
                add_random(j, s, len);
                at += len;
                j->oh[j->nob] = r32(s);
                j->oid[j->nob++] = id32(s);
            }
            e->objs_len = at;
            add_bytes(j, "", 1);
            e->acc_h = r32(s);
            e->acc_id = resolved ? id32(s) : 0;
            if ((e->flags & F_NT) && j->nsig && wild && r32(s) % 4 == 0) {
                /* a sketch shared with an earlier entry */
                e->sig = (r32(s) % (uint32_t)(j->nsig / LK_NEARTEXT_K)) * LK_NEARTEXT_K;
            } else if (e->flags & F_NT) {
                assert_int_equal(LK_GROW(j->sig, j->nsig + LK_NEARTEXT_K, j->sigcap), LK_OK);
                for (size_t k = 0; k < LK_NEARTEXT_K; k++)
                    j->sig[j->nsig + k] = (uint16_t)r32(s);
                e->sig = (uint32_t)j->nsig;
                j->nsig += LK_NEARTEXT_K;
            }
        }
    }
}

static void assert_same(const lk_journal *a, const lk_journal *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nob, b->nob);
    assert_int_equal(a->nsig, b->nsig);
    assert_int_equal(a->resolved, b->resolved);
    assert_int_equal(a->bytes.len, b->bytes.len);
    if (a->bytes.len)
        assert_memory_equal(a->bytes.p, b->bytes.p, a->bytes.len);
    if (a->nsig)
        assert_memory_equal(a->sig, b->sig, a->nsig * sizeof *a->sig);
    for (size_t i = 0; i < a->n; i++) {
        const jent *x = &a->e[i], *y = &b->e[i];
        assert_int_equal(x->line, y->line);
        assert_true(x->t == y->t);
        assert_int_equal(x->off, y->off);
        assert_int_equal(x->acc_len, y->acc_len);
        assert_int_equal(x->content_len, y->content_len);
        assert_int_equal(x->key_len, y->key_len);
        assert_int_equal(x->objs_len, y->objs_len);
        assert_int_equal(x->ob0, y->ob0);
        assert_int_equal(x->nob, y->nob);
        assert_int_equal(x->sig, y->sig);
        assert_int_equal(x->acc_h, y->acc_h);
        assert_int_equal(x->acc_id, y->acc_id);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->why, y->why);
        assert_int_equal(x->flags, y->flags);
        assert_int_equal(x->fmt, y->fmt);
    }
    for (size_t i = 0; i < a->nob; i++) {
        assert_int_equal(a->ob[i].off, b->ob[i].off);
        assert_int_equal(a->ob[i].len, b->ob[i].len);
        assert_int_equal(a->oh[i], b->oh[i]);
        if (a->resolved)
            assert_int_equal(a->oid[i], b->oid[i]);
    }
}

static void test_roundtrip(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 7, 300, 20000};
    lk_journal *a, *b;
    lk_buf p1, p2;
    uint64_t s = 42;
    (void)state;

    assert_int_equal(lk_journal_new(&a), LK_OK);
    assert_int_equal(lk_journal_new(&b), LK_OK);
    lk_buf_init(&p1);
    lk_buf_init(&p2);
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++)
        for (int resolved = 0; resolved < 2; resolved++)
            for (int wild = 0; wild < 2; wild++) {
                gen(a, &s, sizes[z], resolved, wild);
                /* packed after bytes already there, as a rank packs its
                 * journals one after another */
                lk_buf_reset(&p1);
                assert_int_equal(lk_buf_append(&p1, "xyz", 3), LK_OK);
                assert_int_equal(lk_journal_pack(a, &p1), LK_OK);
                /* into a journal that held another (b is reused) */
                assert_int_equal(lk_journal_unpack(b, p1.p + 3, p1.len - 3), LK_OK);
                assert_same(a, b);
                lk_buf_reset(&p2);
                assert_int_equal(lk_journal_pack(b, &p2), LK_OK);
                assert_int_equal(p2.len, p1.len - 3);
                assert_memory_equal(p2.p, p1.p + 3, p2.len);
            }
    lk_buf_release(&p1);
    lk_buf_release(&p2);
    lk_journal_free(a);
    lk_journal_free(b);
}

/* Reading's journals take a fraction of their memory: the entries and
 * objects (a jent, and a recobj and two 32-bit words each in memory)
 * packed in under half of it. */
static void test_compact(void **state)
{
    lk_journal *a;
    lk_buf p;
    uint64_t s = 7;
    size_t fixed;
    (void)state;

    assert_int_equal(lk_journal_new(&a), LK_OK);
    lk_buf_init(&p);
    gen(a, &s, 50000, 1, 0);
    assert_int_equal(lk_journal_pack(a, &p), LK_OK);
    fixed = p.len - HEAD - a->bytes.len - a->nsig * sizeof *a->sig;
    print_message("%zu entries, %zu objects: %zu bytes packed beside the strings and sketches\n",
                  a->n, a->nob, fixed);
    assert_true(2 * fixed < a->n * sizeof(jent) + a->nob * (sizeof(recobj) + 8));
    lk_buf_release(&p);
    lk_journal_free(a);
}

/* What lk_sink_replay relies on: every entry's objects, sketch and
 * strings within the journal. */
static void assert_within(const lk_journal *j)
{
    for (size_t i = 0; i < j->n; i++) {
        const jent *e = &j->e[i];
        assert_true(e->kind <= J_FMT);
        assert_true(e->off <= j->bytes.len);
        assert_true((uint64_t)e->ob0 + e->nob <= j->nob);
        assert_true(e->sig == NO_SIG || (uint64_t)e->sig + LK_NEARTEXT_K <= j->nsig);
        if (e->kind != J_REC)
            continue;
        assert_true((uint64_t)e->off + e->acc_len + e->content_len + e->key_len + e->objs_len + 4 <=
                    j->bytes.len);
        for (size_t k = e->ob0; k < (size_t)e->ob0 + e->nob; k++)
            assert_true((uint64_t)j->ob[k].off + j->ob[k].len <= e->objs_len);
    }
}

static void test_damaged(void **state)
{
    static const uint8_t flips[] = {0x01, 0x02, 0x40, 0x7f, 0x80, 0xff};
    lk_journal *a, *b;
    lk_buf p;
    char *d;
    uint64_t s = 99, cnt[3];
    size_t body;
    (void)state;

    assert_int_equal(lk_journal_new(&a), LK_OK);
    assert_int_equal(lk_journal_new(&b), LK_OK);
    lk_buf_init(&p);
    gen(a, &s, 40, 1, 1);
    assert_int_equal(lk_journal_pack(a, &p), LK_OK);
    d = malloc(p.len);
    assert_non_null(d);
    /* cut short anywhere */
    for (size_t len = 0; len < p.len; len++) {
        memcpy(d, p.p, len);
        assert_int_equal(lk_journal_unpack(b, d, len), LK_EINVAL);
        assert_int_equal(b->n, 0);
    }
    /* any byte of the header, the entries and the objects changed: the
     * sketches and the strings after them are only copied */
    body = p.len - a->bytes.len - a->nsig * sizeof *a->sig;
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < body; i++)
        for (size_t f = 0; f < sizeof flips; f++) {
            lk_status st;
            memcpy(d, p.p, p.len);
            d[i] = (char)(d[i] ^ flips[f]);
            st = lk_journal_unpack(b, d, p.len);
            assert_true(st == LK_OK || st == LK_EINVAL);
            if (st == LK_OK)
                assert_within(b);
            else
                assert_int_equal(b->n, 0);
            cnt[st == LK_OK]++;
        }
    print_message("%zu bytes changed 6 ways: %llu unpacked, %llu refused\n", body,
                  (unsigned long long)cnt[1], (unsigned long long)cnt[0]);
    /* both happen: a changed length is refused, a changed hash is not */
    assert_true(cnt[0] > 0 && cnt[1] > 0);
    free(d);
    lk_buf_release(&p);
    lk_journal_free(a);
    lk_journal_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
