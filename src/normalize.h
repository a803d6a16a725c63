/*
 * normalize.h - object keys per trace (DESIGN.md, "Traces").
 *
 * Each function appends the normalised key for its trace to *out (it does
 * not reset it) and leaves out->len unchanged when the input gives no
 * object (an empty hashtag, a text of nothing but mentions and links, a
 * string that is not a URL).  Input is UTF-8 (the sink has validated it);
 * invalid sequences are copied through byte for byte rather than failing.
 * All functions are deterministic, locale-independent and thread-safe; s
 * must not point into out.  A NULL s gives no object.
 * Every function returns LK_OK, or LK_ENOMEM with out as it was.
 */
#ifndef LK_NORMALIZE_H
#define LK_NORMALIZE_H

#include "lk_internal.h"

/**
 * URL key: scheme and host lower-cased, "www." dropped, default ports
 * (:80 and :443, whatever the scheme: the key has none, and a key read
 * again must give itself) dropped, fragment dropped, tracking query
 * parameters dropped (utm_*, fbclid, gclid, dclid, msclkid, mc_cid, mc_eid,
 * igshid, si, ref, ref_src, ref_url, rss, feature=share, _ga, yclid, ...; the
 * others keep their order), an empty query dropped, trailing '/' of the
 * path dropped, "http" and "https" made equal (key starts with the host),
 * percent-escapes of unreserved characters decoded and hex upper-cased.
 * youtu.be/ID and m.youtube.com become youtube.com/watch?v=ID.  A URL
 * without a scheme ("example.com/x") is read as http.  Not a URL (no host,
 * spaces inside, "javascript:", "mailto:") gives no key.  A display URL cut
 * with "…" or "..." gives no key.
 */
LK_RESULT_USED lk_status lk_norm_url(const char *s, size_t n, lk_buf *out);

/**
 * Registrable host of a URL key made by lk_norm_url (the host up to the
 * first '/', '?' or ':'): the last two labels, or three when the last two
 * are a known public second-level suffix (co.uk, com.au, co.jp, ...; a
 * built-in list of the common ones).  IP addresses are kept whole.
 */
LK_RESULT_USED lk_status lk_norm_domain(const char *url_key, size_t n, lk_buf *out);

/** Hashtag key: surrounding space and leading '#' / '＃' removed, Unicode
 *  NFC + full case folding (utf8proc; NFKC_Casefold is *not* used, so
 *  fullwidth and other compatibility forms stay distinct, while full
 *  folding still maps 'ß' to "ss" and 'ﬁ' to "fi"; see the .c file). */
LK_RESULT_USED lk_status lk_norm_hashtag(const char *s, size_t n, lk_buf *out);

/** Mention key: leading '@' removed; a handle (not all digits) lower-cased
 *  (ASCII: handles are ASCII on every platform we read). */
LK_RESULT_USED lk_status lk_norm_mention(const char *s, size_t n, lk_buf *out);

/**
 * Normalised text: a leading "RT @handle:" removed, URLs (http://, https://,
 * www.) removed, @mentions removed, Unicode NFC + case folding, every run of
 * white space (Unicode White_Space) collapsed to one ' ', trimmed.  Punctuation,
 * hashtags and emoji are kept (copypasta is about exact wording; near-text
 * handles edits).
 */
LK_RESULT_USED lk_status lk_norm_text(const char *s, size_t n, lk_buf *out);

/** Text key: 32 lower-case hex digits (canonical, big-endian: as
 *  `xxhsum -H2` prints) of the 128-bit XXH3 hash of lk_norm_text(s)
 *  (nothing appended when that is empty). */
LK_RESULT_USED lk_status lk_norm_text_key(const char *s, size_t n, lk_buf *out);

/** Bytes of a text key as lk_text_key() gives it: the hash itself. */
#define LK_TEXT_KEY_RAW ((size_t)16)

/** The same key of a text lk_norm_text() already gave (norm[0..n)), without
 *  normalising it again (normalised text is a fixed point of lk_norm_text;
 *  fuzz_normalize checks it on every input), as the LK_TEXT_KEY_RAW bytes
 *  of the canonical hash rather than their 32 hex digits: what the dataset
 *  holds of a text object, half the bytes (0.66 GB of the string tables at
 *  2 x 10^8 simulated actions); lk_text_key_hex() gives the digits that
 *  lk_norm_text_key() would.  Nothing is appended for an empty text. */
LK_RESULT_USED lk_status lk_text_key(const char *norm, size_t n, lk_buf *out);

/** The 32 hex digits (no NUL) of the raw key lk_text_key() gave. */
void lk_text_key_hex(const char raw[LK_TEXT_KEY_RAW], char hex32[32]);

/**
 * Plain text of HTML (Mastodon's `content`): tags removed ("<br>" and
 * "</p><p>" become a space), character references decoded (&amp; &lt; &gt;
 * &quot; &#39; &apos; &nbsp; and numeric &#NNN; / &#xHH;).
 */
LK_RESULT_USED lk_status lk_html_to_text(const char *s, size_t n, lk_buf *out);

#endif
