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

/* ---- Twitter created_at, US dates, zone abbreviations -------------------- */

static const char WHY_ZONE[] = "unknown time zone";

/* Local date and time plus an offset east of UTC (minutes) to epoch ms,
 * with the range check.  The fields are already known to be valid. */
static lk_status civil_to_ms(int y, int mo, int d, int hh, int mi, int ss, int off_min,
                             int64_t *ms_out, const char **why)
{
    const int64_t ms =
        lk_days_from_civil(y, (unsigned)mo, (unsigned)d) * MS_PER_DAY +
        ((int64_t)hh * 3600 + (int64_t)mi * 60 + (ss == 60 ? 59 : ss) - (int64_t)off_min * 60) *
            1000;

    if (ms < 0 || ms > LK_TIME_MAX_MS) {
        *why = WHY_RANGE;
        return LK_EPARSE;
    }
    *ms_out = ms;
    return LK_OK;
}

/* Calendar and clock checks shared by the parsers below (":60" allowed). */
static int valid_civil(int y, int mo, int d, int hh, int mi, int ss)
{
    return mo >= 1 && mo <= 12 && d >= 1 && (unsigned)d <= days_in_month(y, (unsigned)mo) &&
           hh <= 23 && mi <= 59 && ss <= 60;
}

/* Index 0..n-1 of the three-letter English name at s[*i] (any case) in
 * names ("JanFebMar..."), advancing *i; -1 if it is none of them. */
static int name3(const char *s, size_t n, size_t *i, const char *names, int count)
{
    if (n - *i < 3)
        return -1;
    for (int k = 0; k < count; k++) {
        int j;
        for (j = 0; j < 3; j++)
            if ((s[*i + (size_t)j] | 0x20) != (names[3 * k + j] | 0x20))
                break;
        if (j == 3) {
            *i += 3;
            return k;
        }
    }
    return -1;
}

/* One or two digits at s[*i]; -1 if none. */
static int digits12(const char *s, size_t n, size_t *i)
{
    int v;

    if (*i >= n || !is_digit(s[*i]))
        return -1;
    v = s[(*i)++] - '0';
    if (*i < n && is_digit(s[*i]))
        v = v * 10 + (s[(*i)++] - '0');
    return v;
}

static int skip_char(const char *s, size_t n, size_t *i, char ch)
{
    if (*i >= n || s[*i] != ch)
        return 0;
    (*i)++;
    return 1;
}

/* Surrounding space and tab off s[0..*n), as lk_parse_time does. */
static const char *trim_blanks(const char *s, size_t *n)
{
    while (*n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        (*n)--;
    }
    while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
        (*n)--;
    return s;
}

lk_status lk_parse_time_twitter(const char *s, size_t n, int64_t *ms_out, const char **why)
{
    static const char days[] = "ThuFriSatSunMonTueWed"; /* 1970-01-01 was a Thursday */
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *dummy;
    size_t i = 0;
    int wd, mo, d, hh, mi, ss, oh, om, y, sign;
    int64_t day;

    if (!why)
        why = &dummy;
    if (!s || !ms_out) {
        *why = WHY_SYNTAX;
        return LK_EPARSE;
    }
    s = trim_blanks(s, &n);
    /* "Www Mmm DD HH:MM:SS +HHMM YYYY" */
    if ((wd = name3(s, n, &i, days, 7)) < 0 || !skip_char(s, n, &i, ' ') ||
        (mo = name3(s, n, &i, months, 12)) < 0 || !skip_char(s, n, &i, ' ') ||
        (d = digits12(s, n, &i)) < 0 || !skip_char(s, n, &i, ' ') ||
        (hh = fixed_digits(s, n, &i, 2)) < 0 || !skip_char(s, n, &i, ':') ||
        (mi = fixed_digits(s, n, &i, 2)) < 0 || !skip_char(s, n, &i, ':') ||
        (ss = fixed_digits(s, n, &i, 2)) < 0 || !skip_char(s, n, &i, ' ') || i >= n ||
        (s[i] != '+' && s[i] != '-'))
        goto syntax;
    sign = s[i++] == '-' ? -1 : 1;
    if ((oh = fixed_digits(s, n, &i, 2)) < 0 || (om = fixed_digits(s, n, &i, 2)) < 0 ||
        !skip_char(s, n, &i, ' ') || (y = fixed_digits(s, n, &i, 4)) < 0 || i != n)
        goto syntax;
    mo++;
    if (!valid_civil(y, mo, d, hh, mi, ss) || oh > 23 || om > 59)
        goto bad_date;
    /* The weekday names the local date; a mismatch means a damaged value. */
    day = lk_days_from_civil(y, (unsigned)mo, (unsigned)d);
    if (((day % 7) + 7) % 7 != wd)
        goto bad_date;
    return civil_to_ms(y, mo, d, hh, mi, ss, sign * (oh * 60 + om), ms_out, why);
syntax:
    *why = WHY_SYNTAX;
    return LK_EPARSE;
bad_date:
    *why = WHY_DATE;
    return LK_EPARSE;
}

lk_status lk_parse_time_mdy(const char *s, size_t n, int64_t *ms_out, const char **why)
{
    const char *dummy;
    size_t i = 0;
    int mo, d, y, hh = 0, mi = 0, ss = 0;

    if (!why)
        why = &dummy;
    if (!s || !ms_out) {
        *why = WHY_SYNTAX;
        return LK_EPARSE;
    }
    s = trim_blanks(s, &n);
    if ((mo = digits12(s, n, &i)) < 0 || !skip_char(s, n, &i, '/') ||
        (d = digits12(s, n, &i)) < 0 || !skip_char(s, n, &i, '/') ||
        (y = fixed_digits(s, n, &i, 4)) < 0)
        goto syntax;
    if (i < n) {
        if (!skip_char(s, n, &i, ' ') || (hh = digits12(s, n, &i)) < 0 ||
            !skip_char(s, n, &i, ':') || (mi = fixed_digits(s, n, &i, 2)) < 0)
            goto syntax;
        if (i < n && (!skip_char(s, n, &i, ':') || (ss = fixed_digits(s, n, &i, 2)) < 0))
            goto syntax;
        if (i != n)
            goto syntax;
    }
    if (!valid_civil(y, mo, d, hh, mi, ss)) {
        *why = WHY_DATE;
        return LK_EPARSE;
    }
    return civil_to_ms(y, mo, d, hh, mi, ss, 0, ms_out, why);
syntax:
    *why = WHY_SYNTAX;
    return LK_EPARSE;
}

/* Fixed offsets (minutes east of UTC) of the abbreviations CrowdTangle and
 * similar dashboards print.  Ambiguous ones take the reading common in
 * those exports: CST is US Central (not China), IST is India (not Ireland
 * or Israel), AST is Atlantic (not Arabia), BST is British Summer Time,
 * GST is Gulf Standard Time. */
static const struct {
    char name[5];
    short off;
} zones[] = {
    {"UTC", 0},     {"GMT", 0},    {"Z", 0},      {"EST", -300}, {"EDT", -240}, {"CST", -360},
    {"CDT", -300},  {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420}, {"AKST", -540},
    {"AKDT", -480}, {"HST", -600}, {"AST", -240}, {"ADT", -180}, {"NST", -210}, {"NDT", -150},
    {"BST", 60},    {"IST", 330},  {"WET", 0},    {"WEST", 60},  {"CET", 60},   {"CEST", 120},
    {"EET", 120},   {"EEST", 180}, {"MSK", 180},  {"GST", 240},  {"PKT", 300},  {"WIB", 420},
    {"SGT", 480},   {"HKT", 480},  {"PHT", 480},  {"KST", 540},  {"JST", 540},  {"AWST", 480},
    {"ACST", 570},  {"ACDT", 630}, {"AEST", 600}, {"AEDT", 660}, {"NZST", 720}, {"NZDT", 780},
};

/* Offset of the zone token s[0..n): an abbreviation (any case) or
 * "+HH", "+HHMM", "+HH:MM" (or '-').  Returns 0, -1 for an unknown
 * abbreviation, -2 for a malformed numeric offset, -3 for an impossible
 * one. */
static int zone_offset(const char *s, size_t n, int *off_min)
{
    if (s[0] == '+' || s[0] == '-') {
        const int r = parse_zone(s, n, 0, off_min);
        return r == -1 ? -2 : r == -2 ? -3 : 0;
    }
    for (size_t k = 0; k < sizeof zones / sizeof *zones; k++) {
        size_t j;
        if (strlen(zones[k].name) != n)
            continue;
        for (j = 0; j < n && (s[j] & ~0x20) == zones[k].name[j]; j++)
            ;
        if (j == n) {
            *off_min = zones[k].off;
            return 0;
        }
    }
    return -1;
}

lk_status lk_parse_time_zoned(const char *s, size_t n, int64_t *ms_out, const char **why)
{
    const char *dummy;
    size_t t, j;
    int off = 0, alpha = 1, r;
    int64_t local;
    lk_status st;

    if (!why)
        why = &dummy;
    if (!s || !ms_out) {
        *why = WHY_SYNTAX;
        return LK_EPARSE;
    }
    s = trim_blanks(s, &n);
    /* The zone is the last word, if that word is letters or starts with a
     * sign; anything else is plain lk_parse_time. */
    for (t = n; t > 0 && s[t - 1] != ' ' && s[t - 1] != '\t'; t--)
        ;
    for (j = t; j < n; j++)
        alpha &= (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= 'a' && s[j] <= 'z');
    if (t == 0 || t == n || !(alpha || s[t] == '+' || s[t] == '-'))
        return lk_parse_time(s, n, ms_out, why);
    /* The local part must be a date: epoch seconds have no zone, and one
     * that carries its own offset or 'Z' is contradictory. */
    for (j = t; j > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t'); j--)
        ;
    if (j < 10 || s[4] != '-' || s[j - 1] == 'Z' || s[j - 1] == 'z' || memchr(s, '+', j) ||
        memchr(s + 8, '-', j - 8)) {
        *why = WHY_SYNTAX;
        return LK_EPARSE;
    }
    /* A local time before 1970 is refused here even when its zone would
     * move it past the epoch: no export goes back that far. */
    if ((st = lk_parse_time(s, j, &local, why)) != LK_OK)
        return st;
    r = zone_offset(s + t, n - t, &off);
    if (r < 0) {
        *why = r == -1 ? WHY_ZONE : r == -2 ? WHY_SYNTAX : WHY_DATE;
        return LK_EPARSE;
    }
    local -= (int64_t)off * 60000;
    if (local < 0 || local > LK_TIME_MAX_MS) {
        *why = WHY_RANGE;
        return LK_EPARSE;
    }
    *ms_out = local;
    return LK_OK;
}
