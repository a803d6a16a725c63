/*
 * units.c - strict parsers for durations ("90s", "1.5m") and byte sizes
 * ("512M", "1.5GiB").
 *
 * strtod() is deliberately not used: it accepts leading blanks, signs, hex
 * floats, "inf"/"nan" and depends on the locale's decimal point, and a binary
 * double cannot round "0.0005s" to the nearest millisecond reliably.  Instead
 * the decimal string is scaled exactly in integer arithmetic, so every value
 * that fits is rounded correctly (half up) whatever its number of digits.
 */
#include "lk_internal.h"

/* A decimal number split into its digit runs; both point into the input. */
struct decimal {
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;
    size_t frac_len;
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Accept [0-9]+ ( '.' [0-9]+ )?  or  '.' [0-9]+ .  A lone "." or a trailing
 * "5." is rejected: both are more likely typos than intent.  Returns a
 * pointer just past the number, or NULL when there is none.
 */
static const char *scan_decimal(const char *s, struct decimal *d)
{
    const char *p = s;

    d->int_digits = p;
    while (is_digit(*p))
        p++;
    d->int_len = (size_t)(p - s);
    d->frac_digits = p;
    d->frac_len = 0;
    if (*p == '.') {
        const char *f = ++p;
        while (is_digit(*p))
            p++;
        d->frac_digits = f;
        d->frac_len = (size_t)(p - f);
        if (d->frac_len == 0)
            return NULL;
    }
    if (d->int_len == 0 && d->frac_len == 0)
        return NULL;
    return p;
}

/*
 * *out = round(d * mult), half rounded up, failing when the result exceeds
 * `max`.  mult must be below 2^59 so that 2 * mult * 9 cannot overflow.
 *
 * The fraction is folded from its last digit to its first with
 * t = floor((digit * 2 * mult + t) / 10); floor((n + x) / 10) equals
 * floor((n + floor(x)) / 10) for integer n, so t ends as exactly
 * floor(2 * mult * fraction), and (t + 1) / 2 is the fraction's share rounded
 * half up.  t stays below 2 * mult, so no digit count can overflow it.
 */
static int scale_decimal(const struct decimal *d, uint64_t mult, uint64_t max, uint64_t *out)
{
    uint64_t ip = 0, t = 0, v;

    for (size_t i = 0; i < d->int_len; i++) {
        const uint64_t digit = (uint64_t)(d->int_digits[i] - '0');
        if (__builtin_mul_overflow(ip, 10, &ip) || __builtin_add_overflow(ip, digit, &ip))
            return -1;
    }
    for (size_t i = d->frac_len; i-- > 0;) {
        const uint64_t digit = (uint64_t)(d->frac_digits[i] - '0');
        t = (digit * 2 * mult + t) / 10;
    }
    if (__builtin_mul_overflow(ip, mult, &v) || __builtin_add_overflow(v, (t + 1) / 2, &v))
        return -1;
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

lk_status lk_parse_duration_ms(const char *s, int64_t *ms_out)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {
        {"", 1000}, /* a bare number is seconds, like --window 60 */
        {"ms", 1},
        {"s", 1000},
        {"m", UINT64_C(60000)},
        {"h", UINT64_C(3600000)},
        {"d", UINT64_C(86400000)},
    };
    struct decimal d;
    const char *unit;
    uint64_t v;

    if (!s || !ms_out)
        return LK_EINVAL;
    unit = scan_decimal(s, &d);
    if (!unit)
        return LK_EINVAL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].name) != 0)
            continue;
        if (scale_decimal(&d, units[i].ms, (uint64_t)INT64_MAX, &v) != 0)
            return LK_EINVAL;
        *ms_out = (int64_t)v;
        return LK_OK;
    }
    return LK_EINVAL;
}

lk_status lk_parse_size(const char *s, uint64_t *bytes_out)
{
    static const char prefixes[] = "KMGT";
    struct decimal d;
    const char *p;
    uint64_t mult = 1, v;

    if (!s || !bytes_out)
        return LK_EINVAL;
    p = scan_decimal(s, &d);
    if (!p)
        return LK_EINVAL;
    /* Prefix letters are case-insensitive ("2g" as in samtools sort -m);
     * "B" stays upper case because "b" commonly means bits. */
    if (*p) {
        const int up = (*p >= 'a' && *p <= 'z') ? *p - ('a' - 'A') : *p;
        const char *hit = strchr(prefixes, up);
        if (hit) {
            for (const char *q = prefixes; q <= hit; q++)
                mult *= 1024;
            p++;
            if (*p == 'i' && p[1] == 'B')
                p++;
        }
        if (*p == 'B')
            p++;
    }
    if (*p != '\0')
        return LK_EINVAL;
    if (scale_decimal(&d, mult, UINT64_MAX, &v) != 0)
        return LK_EINVAL;
    *bytes_out = v;
    return LK_OK;
}
