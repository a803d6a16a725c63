/*
 * out_escape.h - escaping of user-supplied strings for every output context.
 * Every string that came from input data goes through one of these before it
 * is written anywhere.
 */
#ifndef LK_OUT_ESCAPE_H
#define LK_OUT_ESCAPE_H

#include "lk_internal.h"

/** Append s as one CSV field: quoted (RFC 4180) when it holds , " CR LF or
 *  leading/trailing space; otherwise verbatim. */
LK_RESULT_USED lk_status lk_esc_csv(lk_buf *b, const char *s, size_t n);

/** Append s as a JSON string body (no surrounding quotes): escapes " \ and
 *  control characters, writes U+2028/2029 and '<' '>' '&' as \uXXXX so the
 *  result is also safe inside an HTML <script>; invalid UTF-8 becomes U+FFFD. */
LK_RESULT_USED lk_status lk_esc_json(lk_buf *b, const char *s, size_t n);

/** Append s as XML/HTML text or attribute content: & < > " ' escaped,
 *  characters not allowed in XML 1.0 dropped, invalid UTF-8 -> U+FFFD. */
LK_RESULT_USED lk_status lk_esc_xml(lk_buf *b, const char *s, size_t n);

#endif
