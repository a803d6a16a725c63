/*
 * test_keyset.c - the post keys seen (keyset.h).
 *
 * The set's answers (new or seen) are checked against a plain chained hash
 * set written here (FNV-1a, copies of the keys), over keys that repeat,
 * differ in one byte or in length alone, are empty, contain NUL bytes, or
 * are longer than the arena's 1 MiB chunks; in memory and spilled to a
 * temporary folder, where only the table and one chunk may stay resident.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <string.h>
#include <sys/stat.h>

#include "keyset.h"

/* ---- the reference: chained hash set of copies ---------------------------- */

typedef struct ref_node {
    struct ref_node *next;
    size_t n;
    char key[];
} ref_node;

typedef struct ref_set {
    ref_node **b;
    size_t nb;
} ref_set;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* 1 when (s, n) was new (and is now in). */
static int ref_add(ref_set *r, const char *s, size_t n)
{
    ref_node **p = &r->b[fnv(s, n) % r->nb], *x;

    for (x = *p; x; x = x->next)
        if (x->n == n && memcmp(x->key, s, n) == 0)
            return 0;
    x = malloc(sizeof *x + n + 1);
    assert_non_null(x);
    x->n = n;
    memcpy(x->key, s, n);
    x->next = *p;
    *p = x;
    return 1;
}

static void ref_free(ref_set *r)
{
    for (size_t i = 0; i < r->nb; i++)
        while (r->b[i]) {
            ref_node *x = r->b[i];

            r->b[i] = x->next;
            free(x);
        }
    free(r->b);
}

/* ---- keys ---------------------------------------------------------------- */

/* Key number i of a stream whose keys repeat: about one in three is an
 * earlier one again; some differ from another only in their last byte or
 * their length, some are empty, some hold NUL bytes, a few are long. */
static size_t make_key(uint64_t *s, uint64_t i, char *buf, size_t cap)
{
    const uint64_t r = next_u64(s);
    const uint64_t id = r % 3 == 0 && i > 0 ? next_u64(s) % i : i;
    size_t n = (size_t)snprintf(buf, cap, "tweet:%llu", (unsigned long long)id * 7919u);

    switch (id % 16) {
    case 1: /* the same but one byte */
        buf[n - 1] = (char)(buf[n - 1] ^ 1);
        break;
    case 2: /* a prefix of another */
        n -= 1;
        break;
    case 3: /* NUL bytes inside */
        buf[2] = '\0';
        buf[n++] = '\0';
        break;
    case 4:
        n = id % 64 == 4 ? 0 : n; /* empty now and then */
        break;
    case 5: /* long: 100 to 4,000 bytes */
        while (n < 100 + (id % 3900) && n < cap) {
            buf[n] = (char)('a' + (id + n) % 26);
            n++;
        }
        break;
    default:
        break;
    }
    return n;
}

static void run(int spill, uint64_t nkeys)
{
    static char buf[2 * 1024 * 1024 + 64];
    uint64_t s = 17, fresh_count = 0;
    size_t max_bytes = 0, n;
    unsigned grows = 0;
    lk_keyset *ks = NULL;
    ref_set ref = {calloc(1 << 16, sizeof(ref_node *)), 1 << 16};

    assert_non_null(ref.b);
    assert_int_equal(lk_keyset_new(&ks), LK_OK);
    if (spill)
        lk_keyset_spill(ks, tmpdir);
    for (uint64_t i = 0; i < nkeys; i++) {
        size_t grow, before;
        int fresh = -1, found = -1;

        if (i == nkeys / 2 || i == nkeys / 2 + 1 || i == nkeys - 1) {
            /* a key longer than a chunk (the same one twice, then once more
             * at the end) */
            n = sizeof buf - 64;
            memset(buf, 'k', n);
            buf[0] = (char)('0' + (i == nkeys - 1));
        } else {
            n = make_key(&s, i, buf, sizeof buf);
        }
        /* a lookup alone says what the add will, and changes nothing */
        assert_int_equal(lk_keyset_find(ks, buf, n, &found), LK_OK);
        assert_int_equal(lk_keyset_count(ks), fresh_count);
        grow = lk_keyset_grow_bytes(ks);
        before = lk_keyset_bytes(ks);
        assert_int_equal(lk_keyset_add(ks, buf, n, &fresh), LK_OK);
        assert_int_equal(fresh, ref_add(&ref, buf, n));
        assert_int_equal(found, !fresh);
        /* the growth foretold: the table doubles by the old one's size */
        if (grow) {
            assert_true(lk_keyset_bytes(ks) >= before + grow);
            grows++;
        }
        fresh_count += (uint64_t)fresh;
        max_bytes = LK_MAX(max_bytes, lk_keyset_bytes(ks));
    }
    assert_int_equal(lk_keyset_count(ks), fresh_count);
    /* from 1,024 slots to the first power of two that holds the distinct
     * keys at a load of 3/4 at most: one growth a doubling */
    {
        uint64_t slots = 1024;
        unsigned want = 0;
        while (fresh_count * 4 > slots * 3) {
            slots *= 2;
            want++;
        }
        assert_int_equal(grows, want);
    }
    /* keys never added are not found (their first byte is one make_key
     * never starts with: a 0xff byte then 'z') */
    for (int i = 0; i < 1000; i++) {
        int found = -1;
        n = (size_t)snprintf(buf, 64, "\xffz%d", i);
        assert_int_equal(lk_keyset_find(ks, buf, n, &found), LK_OK);
        assert_int_equal(found, 0);
    }
    print_message("%s: %llu keys, %llu distinct, at most %zu bytes held\n",
                  spill ? "spilled" : "in memory", (unsigned long long)nkeys,
                  (unsigned long long)fresh_count, max_bytes);
    assert_true(fresh_count > nkeys / 2 && fresh_count < nkeys * 4 / 5);
    if (spill) {
        /* the table (8 bytes a slot, at most 2^19 slots here), one chunk
         * (1 MiB, or the 2 MiB key's) and a record read back */
        assert_true(max_bytes < ((size_t)1 << 19) * 8 + (size_t)6 * 1024 * 1024);
    } else {
        /* every key's record: more than 20 bytes a distinct key */
        assert_true(max_bytes > fresh_count * 20);
    }
    lk_keyset_free(ks);
    ref_free(&ref);
}

static void test_memory(void **state)
{
    (void)state;
    run(0, 300000);
}

static void test_spilled(void **state)
{
    (void)state;
    run(1, 300000);
}

typedef struct hk {
    uint64_t k;
    uint32_t i;
} hk;

static int cmp_hk(const void *x, const void *y)
{
    const hk *a = x, *b = y;

    return a->k < b->k ? -1 : a->k > b->k;
}

/* Keys whose hashes share the 24 bits the table keeps and the low 10 bits
 * (their first place in a table of 1,024 slots): found here by brute force
 * among 2^19 keys (about 8 pairs expected).  Each such pair must still be
 * two keys, whether the first one's record is in memory or, spilled, read
 * back from the file (a 1.5 MiB key between them closes its chunk). */
static void test_tag_collision(void **state)
{
    const uint32_t n = 1u << 19;
    hk *v = malloc(n * sizeof *v);
    static char big[1536 * 1024];
    int pairs = 0;

    (void)state;
    assert_non_null(v);
    memset(big, 'b', sizeof big);
    for (uint32_t i = 0; i < n; i++) {
        char key[32];
        const int len = snprintf(key, sizeof key, "collide:%u", i);
        const uint64_t h = lk_hash64(key, (size_t)len);

        v[i].k = (h >> 40) << 10 | (h & 1023);
        v[i].i = i;
    }
    qsort(v, n, sizeof *v, cmp_hk);
    for (uint32_t i = 1; i < n; i++) {
        char a[32], b[32];
        int la, lb;

        if (v[i].k != v[i - 1].k)
            continue;
        la = snprintf(a, sizeof a, "collide:%u", v[i - 1].i);
        lb = snprintf(b, sizeof b, "collide:%u", v[i].i);
        for (int spill = 0; spill < 2; spill++) {
            lk_keyset *ks = NULL;
            int fresh = -1;

            assert_int_equal(lk_keyset_new(&ks), LK_OK);
            if (spill)
                lk_keyset_spill(ks, tmpdir);
            assert_int_equal(lk_keyset_add(ks, a, (size_t)la, &fresh), LK_OK);
            assert_int_equal(fresh, 1);
            if (spill) {
                assert_int_equal(lk_keyset_add(ks, big, sizeof big, &fresh), LK_OK);
                assert_int_equal(fresh, 1);
            }
            assert_int_equal(lk_keyset_add(ks, b, (size_t)lb, &fresh), LK_OK);
            assert_int_equal(fresh, 1);
            assert_int_equal(lk_keyset_add(ks, a, (size_t)la, &fresh), LK_OK);
            assert_int_equal(fresh, 0);
            assert_int_equal(lk_keyset_add(ks, b, (size_t)lb, &fresh), LK_OK);
            assert_int_equal(fresh, 0);
            assert_int_equal(lk_keyset_count(ks), 2 + (uint64_t)spill);
            lk_keyset_free(ks);
        }
        pairs++;
    }
    print_message("%d pairs of keys sharing a slot and the table's hash bits\n", pairs);
    assert_true(pairs >= 1);
    free(v);
}

/* A folder that cannot hold the file: the first key fails with LK_EIO and
 * a message naming the folder. */
static void test_spill_error(void **state)
{
    lk_keyset *ks = NULL;
    int fresh = -1;

    (void)state;
    assert_int_equal(lk_keyset_new(&ks), LK_OK);
    lk_keyset_spill(ks, "/nonexistent/lockstep-keys");
    assert_int_equal(lk_keyset_add(ks, "a", 1, &fresh), LK_EIO);
    assert_non_null(strstr(lk_keyset_errmsg(ks), "/nonexistent/lockstep-keys"));
    lk_keyset_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_spilled),
        cmocka_unit_test(test_tag_collision),
        cmocka_unit_test(test_spill_error),
    };
    return cmocka_run_group_tests(tests, lk_test_setup_tmpdir, lk_test_teardown_tmpdir);
}
