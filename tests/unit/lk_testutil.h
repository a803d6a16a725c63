/*
 * lk_testutil.h - small helpers shared by the cmocka unit tests: a scratch
 * folder per test binary (cmocka group setup/teardown) and a deterministic
 * generator.  Header-only; include after <cmocka.h>.
 */
#ifndef LK_TESTUTIL_H
#define LK_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The scratch folder of this test binary, made by lk_test_setup_tmpdir. */
static char tmpdir[256] __attribute__((unused));

/* cmocka group setup: a fresh folder under /tmp. */
static inline int lk_test_setup_tmpdir(void **state)
{
    (void)state;
    (void)snprintf(tmpdir, sizeof tmpdir, "/tmp/lk_unit_test.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* cmocka group teardown: remove the folder and everything in it. */
static inline int lk_test_teardown_tmpdir(void **state)
{
    char cmd[300];
    (void)state;
    (void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* splitmix64: a tiny deterministic generator, written out here so that the
 * tests do not share code with the library they check. */
static inline uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#endif
