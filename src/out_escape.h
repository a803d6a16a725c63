/*
 * out_escape.h - escaping of user-supplied strings for every output context.
 * Every string that came from input data goes through one of these before it
 * is written anywhere.
 */
#ifndef LK_OUT_ESCAPE_H
#define LK_OUT_ESCAPE_H

#include "lk_internal.h"

/*
 * All three decode UTF-8 strictly: each maximal ill-formed subsequence becomes
 * one U+FFFD (as browsers and Python's errors="replace" do), so the output is
 * always valid UTF-8.  They append to b; on LK_ENOMEM b holds a partial
 * escape and should be discarded.  Thread-safe.
 */

/** Append s as one CSV field: quoted (RFC 4180, "" for ") when it holds
 *  , " CR or LF or starts or ends with a space or tab; otherwise verbatim,
 *  except that NUL bytes also become U+FFFD (CSV readers stop at NUL).
 *  Markup and bidi characters are data in CSV and are kept.
 *  @return LK_OK or LK_ENOMEM. */
LK_RESULT_USED lk_status lk_esc_csv(lk_buf *b, const char *s, size_t n);

/** Append s as a JSON string body (no surrounding quotes): escapes " \ and
 *  control characters (C0, DEL, C1; NUL as \u0000), writes U+2028/2029 and
 *  '<' '>' '&' as \uXXXX so the result is also safe inside an HTML <script>,
 *  and bidi controls (U+202A..202E, U+2066..2069, U+061C, U+200E/200F) as
 *  \uXXXX so they are visible and inert; invalid UTF-8 becomes U+FFFD.
 *  @return LK_OK or LK_ENOMEM. */
LK_RESULT_USED lk_status lk_esc_json(lk_buf *b, const char *s, size_t n);

/** Append s as XML/HTML text or attribute content (either quote style):
 *  & < > " ' escaped (' as &#39;); TAB, LF, CR as &#x9; &#xA; &#xD; so they
 *  survive attribute normalisation; characters not allowed in XML 1.0 (other
 *  C0 controls incl. NUL, U+FFFE, U+FFFF) dropped; DEL, C1 and the bidi
 *  controls listed above as references such as &#x202E;; invalid UTF-8 ->
 *  U+FFFD.  Escaping does not make a URL safe to put in href/src.
 *  @return LK_OK or LK_ENOMEM. */
LK_RESULT_USED lk_status lk_esc_xml(lk_buf *b, const char *s, size_t n);

#endif
