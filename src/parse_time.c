/*
 * parse_time.c - timestamps as found in real exports, to epoch milliseconds.
 *
 * Hand-written rather than strptime()/timegm(): those depend on the locale
 * and TZ, accept more than we want (e.g. signs, padding) and cannot report
 * why a value was refused.  Calendar arithmetic is the proleptic Gregorian
 * day count in closed form, so no table or time zone database is involved.
 *
 * Decisions the header leaves open:
 *  - A leap second ":60" is read as ":59" (fraction kept).  Epoch time has
 *    no leap seconds; this keeps the value in range and ordered before the
 *    next minute.
 *  - Negative epoch values ("-5") are "out of range" (the range starts at
 *    1970); scientific notation ("1.6e9") is "not a timestamp".
 *  - Only space and tab count as surrounding space.
 *  - Offsets may be at most 23:59 in either direction.
 */
#include "parse_time.h"

#define MS_PER_DAY INT64_C(86400000)

static const char WHY_SYNTAX[] = "not a timestamp";
static const char WHY_RANGE[] = "out of range";
static const char WHY_DATE[] = "invalid date";

int64_t lk_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Count from 0000-03-01 so that the leap day is the last day of the
     * year, then split into 400-year eras of 146097 days each. */
    const int64_t yy = m <= 2 ? y - 1 : y;
    const int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    const int64_t yoe = yy - era * 400;                         /* [0, 399] */
    const int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9; /* March = 0 */
    const int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;    /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  /* [0, 146096] */
    return era * 146097 + doe - 719468; /* 719468 = days 0000-03-01 .. 1970-01-01 */
}

/* Inverse of lk_days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Exactly `k` digits at s[*i]; advances *i.  Returns -1 if not all digits. */
static int fixed_digits(const char *s, size_t n, size_t *i, unsigned k)
{
    int v = 0;

    if (n - *i < k)
        return -1;
    for (unsigned j = 0; j < k; j++) {
        const char ch = s[*i + j];
        if (!is_digit(ch))
            return -1;
        v = v * 10 + (ch - '0');
    }
    *i += k;
    return v;
}

/* ".ddd..." at s[*i] (the dot already checked): milliseconds, digits past
 * the third truncated.  Returns -1 without digits. */
static int fraction_ms(const char *s, size_t n, size_t *i)
{
    int ms = 0;
    unsigned nd = 0;

    for (; *i < n && is_digit(s[*i]); (*i)++, nd++)
        if (nd < 3)
            ms = ms * 10 + (s[*i] - '0');
    if (nd == 0)
        return -1;
    for (; nd < 3; nd++)
        ms *= 10;
    return ms;
}

/* Epoch seconds with an optional fraction; the whole string must match. */
static lk_status parse_epoch(const char *s, size_t n, int64_t *ms_out, const char **why)
{
    const int64_t max_sec = LK_TIME_MAX_MS / 1000;
    int64_t sec = 0;
    int over = 0, frac = 0;
    size_t i = 0;

    /* Keep scanning after an overflow so that trailing junk still reads as
     * "not a timestamp" rather than "out of range". */
    for (; i < n && is_digit(s[i]); i++) {
        if (!over)
            sec = sec * 10 + (s[i] - '0');
        if (sec > max_sec)
            over = 1;
    }
    if (i < n && s[i] == '.') {
        i++;
        frac = fraction_ms(s, n, &i);
        if (frac < 0) {
            *why = WHY_SYNTAX;
            return LK_EPARSE;
        }
    }
    if (i != n) {
        *why = WHY_SYNTAX;
        return LK_EPARSE;
    }
    if (over || sec * 1000 + frac > LK_TIME_MAX_MS) {
        *why = WHY_RANGE;
        return LK_EPARSE;
    }
    *ms_out = sec * 1000 + frac;
    return LK_OK;
}

/* "Z", "+HH:MM", "+HHMM" or "+HH" (or '-') from s[*i] to the end.
 * Returns 0 and the offset east of UTC in minutes, -1 on bad syntax, -2 on
 * impossible values. */
static int parse_zone(const char *s, size_t n, size_t i, int *off_min)
{
    int sign, hh, mm = 0;

    *off_min = 0;
    if (i == n)
        return 0;
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1 == n ? 0 : -1;
    if (s[i] != '+' && s[i] != '-')
        return -1;
    sign = s[i] == '-' ? -1 : 1;
    i++;
    if ((hh = fixed_digits(s, n, &i, 2)) < 0)
        return -1;
    if (i < n) {
        if (s[i] == ':')
            i++;
        if ((mm = fixed_digits(s, n, &i, 2)) < 0 || i != n)
            return -1;
    }
    if (hh > 23 || mm > 59)
        return -2;
    *off_min = sign * (hh * 60 + mm);
    return 0;
}

/* ISO 8601 / RFC 3339 date with optional time and zone. */
static lk_status parse_iso(const char *s, size_t n, int64_t *ms_out, const char **why)
{
    int y, mo, d, hh = 0, mi = 0, ss = 0, frac = 0, off = 0, zr;
    size_t i = 0;
    int64_t ms;

    if ((y = fixed_digits(s, n, &i, 4)) < 0 || i == n || s[i++] != '-' ||
        (mo = fixed_digits(s, n, &i, 2)) < 0 || i == n || s[i++] != '-' ||
        (d = fixed_digits(s, n, &i, 2)) < 0)
        goto syntax;
    if (i < n) {
        /* A date alone takes no zone: "2021-06-16Z" is ambiguous at best. */
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            goto syntax;
        i++;
        if ((hh = fixed_digits(s, n, &i, 2)) < 0 || i == n || s[i++] != ':' ||
            (mi = fixed_digits(s, n, &i, 2)) < 0)
            goto syntax;
        if (i < n && s[i] == ':') {
            i++;
            if ((ss = fixed_digits(s, n, &i, 2)) < 0)
                goto syntax;
            if (i < n && s[i] == '.') {
                i++;
                if ((frac = fraction_ms(s, n, &i)) < 0)
                    goto syntax;
            }
        }
        zr = parse_zone(s, n, i, &off);
        if (zr == -1)
            goto syntax;
        if (zr == -2)
            goto bad_date;
    }
    if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo) || hh > 23 ||
        mi > 59 || ss > 60)
        goto bad_date;
    if (ss == 60)
        ss = 59;
    /* Years are 0000..9999, so none of this can overflow int64. */
    ms = lk_days_from_civil(y, (unsigned)mo, (unsigned)d) * MS_PER_DAY +
         ((int64_t)hh * 3600 + (int64_t)mi * 60 + ss - (int64_t)off * 60) * 1000 + frac;
    if (ms < 0 || ms > LK_TIME_MAX_MS) {
        *why = WHY_RANGE;
        return LK_EPARSE;
    }
    *ms_out = ms;
    return LK_OK;
syntax:
    *why = WHY_SYNTAX;
    return LK_EPARSE;
bad_date:
    *why = WHY_DATE;
    return LK_EPARSE;
}

lk_status lk_parse_time(const char *s, size_t n, int64_t *ms_out, const char **why)
{
    const char *dummy;
    size_t i;

    if (!why)
        why = &dummy;
    if (!s || !ms_out) {
        *why = WHY_SYNTAX;
        return LK_EPARSE;
    }
    while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    for (i = 0; i < n && is_digit(s[i]); i++)
        ;
    /* Four digits and a dash start a date; any other digit run is epoch. */
    if (i == 4 && i < n && s[i] == '-')
        return parse_iso(s, n, ms_out, why);
    if (i > 0)
        return parse_epoch(s, n, ms_out, why);
    if (n > 1 && s[0] == '-' && is_digit(s[1])) {
        int64_t ignored;
        /* A negative number is well-formed but before 1970. */
        if (parse_epoch(s + 1, n - 1, &ignored, why) == LK_OK || *why == WHY_RANGE) {
            *why = WHY_RANGE;
            return LK_EPARSE;
        }
        return LK_EPARSE;
    }
    *why = WHY_SYNTAX;
    return LK_EPARSE;
}

char *lk_format_time_iso(int64_t ms, char *buf, size_t n)
{
    int64_t days, rem, y;
    unsigned m, d;
    int hh, mi, ss, frac;

    if (!buf || n == 0)
        return buf;
    /* Floor division, so that a (never produced) negative value still
     * formats as a valid instant. */
    days = ms / MS_PER_DAY;
    rem = ms % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    hh = (int)(rem / 3600000);
    mi = (int)(rem / 60000 % 60);
    ss = (int)(rem / 1000 % 60);
    frac = (int)(rem % 1000);
    if (frac)
        (void)snprintf(buf, n, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d, hh, mi,
                       ss, frac);
    else
        (void)snprintf(buf, n, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, hh, mi, ss);
    return buf;
}
