/*
 * fuzz_units.c - lk_parse_duration_ms and lk_parse_size on arbitrary bytes.
 *
 * Besides memory safety this checks the parsers against an independent
 * oracle: whenever a string is accepted, its value must agree with strtod()
 * of the numeric part scaled in long double (within rounding), because the
 * exact integer scaling in units.c is easy to get subtly wrong.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lk_internal.h"

/* Inputs longer than this add nothing that shorter ones do not cover. */
#define MAX_INPUT 256

static long double numeric_prefix(const char *s, const char **end)
{
    char *e;
    const long double v = strtold(s, &e);
    *end = e;
    return v;
}

/* |got - want| within half a unit plus the relative error of long double. */
static void check_close(long double want, long double got)
{
    const long double tol = 0.5L + fabsl(want) * 1e-15L;
    if (fabsl(want - got) > tol + 1e-9L)
        __builtin_trap();
}

static void check_duration(const char *s)
{
    int64_t ms = -1;
    const char *unit;

    if (lk_parse_duration_ms(s, &ms) != LK_OK)
        return;
    if (ms < 0 || s[0] == '-' || s[0] == '+')
        __builtin_trap();
    const long double num = numeric_prefix(s, &unit);
    long double mult = 1000.0L;
    if (strcmp(unit, "ms") == 0)
        mult = 1.0L;
    else if (strcmp(unit, "m") == 0)
        mult = 60000.0L;
    else if (strcmp(unit, "h") == 0)
        mult = 3600000.0L;
    else if (strcmp(unit, "d") == 0)
        mult = 86400000.0L;
    else if (strcmp(unit, "s") != 0 && unit[0] != '\0')
        __builtin_trap(); /* accepted a unit the oracle does not know */
    check_close(num * mult, (long double)ms);
}

static void check_size(const char *s)
{
    uint64_t b = 0;
    const char *suffix;

    if (lk_parse_size(s, &b) != LK_OK)
        return;
    if (s[0] == '-' || s[0] == '+')
        __builtin_trap();
    const long double num = numeric_prefix(s, &suffix);
    /* Position in "KMGT" gives the power of 1024; anything else must be
     * a plain byte count. */
    long double mult = 1.0L;
    const int up = (suffix[0] >= 'a' && suffix[0] <= 'z') ? suffix[0] - ('a' - 'A') : suffix[0];
    const char *pos = up ? strchr("KMGT", up) : NULL;
    if (pos) {
        for (const char *q = "KMGT"; q <= pos; q++)
            mult *= 1024.0L;
    } else if (up != 'B' && up != '\0') {
        __builtin_trap();
    }
    check_close(num * mult, (long double)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[MAX_INPUT + 1];

    if (size > MAX_INPUT)
        return 0;
    /* The parsers take C strings: NUL-terminate a copy (bytes after an
     * embedded NUL are simply ignored, as a C caller would). */
    memcpy(buf, data, size);
    buf[size] = '\0';
    check_duration(buf);
    check_size(buf);
    return 0;
}
