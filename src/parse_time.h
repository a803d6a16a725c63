/*
 * parse_time.h - timestamps as found in real exports, to epoch milliseconds.
 * Depends on nothing but lk_internal.h.
 */
#ifndef LK_PARSE_TIME_H
#define LK_PARSE_TIME_H

#include "lk_internal.h"

/* Accepted range: 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z. */
#define LK_TIME_MAX_MS INT64_C(253402300799999)

/**
 * Parse a timestamp into milliseconds since the Unix epoch (UTC).
 * Accepted: integer epoch seconds ("1623881091"); decimal epoch seconds
 * ("1623881091.25", digits beyond milliseconds truncated); ISO 8601 /
 * RFC 3339 "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", "YYYY-MM-DD HH:MM[:SS[.frac]]"
 * with optional "Z", "+HH:MM", "+HHMM", "+HH" (also with 'T').  Surrounding
 * ASCII spaces and tabs are ignored.  No locale, no time zone database.
 * A leap second ":60" is read as ":59"; 't' and 'z' are accepted as 'T'
 * and 'Z'; offsets are at most 23:59.  Negative epoch values are "out of
 * range"; scientific notation ("1.6e9") is "not a timestamp".
 * *ms_out is written only on success.  Thread-safe.
 * @param why on failure receives a static reason ("not a timestamp",
 *        "out of range", "invalid date").
 * @return LK_OK or LK_EPARSE.
 */
LK_RESULT_USED lk_status lk_parse_time(const char *s, size_t n, int64_t *ms_out, const char **why);

/** Days since 1970-01-01 of a proleptic Gregorian date (valid y/m/d assumed). */
int64_t lk_days_from_civil(int64_t y, unsigned m, unsigned d);

/**
 * Format epoch ms as "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into buf (>= 32 bytes;
 * a shorter buffer gets a truncated, NUL-terminated string, n == 0 nothing).
 * ".mmm" appears only when the milliseconds are not zero.
 * @return buf.
 */
char *lk_format_time_iso(int64_t ms, char *buf, size_t n);

#endif
