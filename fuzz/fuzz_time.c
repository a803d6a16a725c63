/*
 * fuzz_time.c - lk_parse_time over arbitrary bytes: never crash, always give
 * a reason on failure, and every accepted value must be in range and
 * survive lk_format_time_iso -> lk_parse_time unchanged.
 */
#include <stdint.h>
#include <string.h>

#include "parse_time.h"

#define CHECK(cond)           \
    do {                      \
        if (!(cond))          \
            __builtin_trap(); \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char iso[32];
    int64_t ms = -1, back = -1;
    const char *why = NULL;

    if (lk_parse_time((const char *)data, size, &ms, &why) != LK_OK) {
        CHECK(why != NULL && why[0] != '\0');
        return 0;
    }
    CHECK(ms >= 0 && ms <= LK_TIME_MAX_MS);
    lk_format_time_iso(ms, iso, sizeof iso);
    CHECK(lk_parse_time(iso, strlen(iso), &back, &why) == LK_OK);
    CHECK(back == ms);
    return 0;
}
