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

/**
 * Twitter API v1.1 `created_at`: "Wed May 24 20:32:51 +0000 2017" (weekday
 * and month names in English, any case; any +HHMM / -HHMM offset up to
 * 23:59).  The weekday must match the (local) date.  Same conventions as
 * lk_parse_time: surrounding space/tab ignored, ":60" read as ":59",
 * *ms_out written only on success, why = "not a timestamp",
 * "invalid date" (also a wrong weekday) or "out of range".  Thread-safe.
 * @return LK_OK or LK_EPARSE.
 */
LK_RESULT_USED lk_status lk_parse_time_twitter(const char *s, size_t n, int64_t *ms_out,
                                               const char **why);

/** US dates "M/D/YYYY H:MM" or "M/D/YYYY H:MM:SS" (FiveThirtyEight IRA
 *  publish_date), UTC; also "M/D/YYYY" alone.  M, D and H take one or two
 *  digits.  Conventions and reasons as lk_parse_time_twitter.
 *  @return LK_OK or LK_EPARSE. */
LK_RESULT_USED lk_status lk_parse_time_mdy(const char *s, size_t n, int64_t *ms_out,
                                           const char **why);

/**
 * A timestamp followed by a time-zone abbreviation, as CrowdTangle writes:
 * "2021-03-01 17:05:09 EST".  The abbreviation maps to a fixed offset from a
 * built-in table (UTC, GMT, Z, EST, EDT, CST, CDT, MST, MDT, PST, PDT, AKST,
 * AKDT, HST, AST, ADT, NST, NDT, BST, IST, WET, WEST, CET, CEST, EET, EEST,
 * MSK, GST, PKT, WIB, SGT, HKT, PHT, KST, JST, AWST, ACST, ACDT, AEST, AEDT,
 * NZST, NZDT, any case, and "+HH", "+HHMM", "-HH:MM" numeric forms).  The
 * part before the zone must be an ISO date[-time] without its own offset.
 * Without a zone word (the last word is neither letters nor signed) this is
 * lk_parse_time.  An abbreviation not in the table gives the static reason
 * "unknown time zone" (the name is not in it: why must stay static); the
 * others are those of lk_parse_time.
 * @return LK_OK or LK_EPARSE.
 */
LK_RESULT_USED lk_status lk_parse_time_zoned(const char *s, size_t n, int64_t *ms_out,
                                             const char **why);

#endif
