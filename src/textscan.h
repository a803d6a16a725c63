/*
 * textscan.h - entities found in free text, for formats that carry no
 * entity lists (Reddit bodies, Telegram strings, IRA tweets, CrowdTangle
 * messages).  Each scanner calls fn once per match, left to right, with a
 * span into s; a non-LK_OK return from fn stops the scan and is returned.
 */
#ifndef LK_TEXTSCAN_H
#define LK_TEXTSCAN_H

#include "lk_internal.h"

typedef lk_status (*lk_span_fn)(void *ctx, const char *s, size_t n);

/** "#tag": '#' at the start or after a non-word character, then one or more
 *  word characters (ASCII letters, digits, '_', any byte >= 0x80); tags of
 *  digits only are not tags.  The span excludes the '#'. */
LK_RESULT_USED lk_status lk_scan_hashtags(const char *s, size_t n, lk_span_fn fn, void *ctx);

/** "@handle": '@' at the start or after a non-word character, then
 *  [A-Za-z0-9_] and inner '.' (Bluesky handles); a trailing '.' is not part
 *  of it.  The span excludes the '@'. */
LK_RESULT_USED lk_status lk_scan_mentions(const char *s, size_t n, lk_span_fn fn, void *ctx);

/** URLs: "http://" or "https://" (any case) up to white space, '<', '>',
 *  '"', or the end; trailing ".,;:!?'" and an unbalanced ')' or ']' are
 *  trimmed.  The span includes the scheme. */
LK_RESULT_USED lk_status lk_scan_urls(const char *s, size_t n, lk_span_fn fn, void *ctx);

#endif
