/*
 * json.h - a strict, allocation-free-per-value JSON parser for one JSON text
 * (a line of JSON lines, or a whole document), building a flat *tape* of
 * nodes that readers query by key.  Strings are not copied: a node points
 * into the input, and lk_json_str() decodes escapes only when there are any.
 *
 * Strictness follows RFC 8259 (as jansson does, which the tests compare
 * against): no trailing commas, no comments, no NaN, no leading zeros, no
 * control bytes in strings, valid escapes only, strings valid UTF-8 (no
 * overlongs, no surrogates encoded in UTF-8), nesting at most 512 deep, one
 * value per text (surrounding whitespace allowed).  A "\u" escape of a lone
 * surrogate is accepted and decoded as U+FFFD.
 *
 * Tape layout: node 0 is the root.  A container's children follow it
 * directly; an object's children alternate key (a string node) and value,
 * and a value always sits right after its key.  Each node records the index
 * one past its subtree (`next`), so skipping a value is O(1).
 */
#ifndef LK_JSON_H
#define LK_JSON_H

#include "lk_internal.h"

typedef enum lk_json_type {
    LK_JSON_NULL = 0,
    LK_JSON_FALSE,
    LK_JSON_TRUE,
    LK_JSON_NUMBER,
    LK_JSON_STRING,
    LK_JSON_ARRAY,
    LK_JSON_OBJECT
} lk_json_type;

/* "no such node" */
#define LK_JSON_NONE UINT32_MAX

/* Texts longer than this are refused (offsets are 32-bit). */
#define LK_JSON_MAX_TEXT ((size_t)UINT32_MAX - 1)

typedef struct lk_json lk_json;

/** A parser whose tape is reused from text to text.  Free with lk_json_free. */
LK_RESULT_USED lk_status lk_json_new(lk_json **out);
void lk_json_free(lk_json *j);

/**
 * Parse one JSON text (s, n).  The input must stay alive and unchanged while
 * the tape is used.
 * @return LK_OK; LK_EPARSE (lk_json_errmsg, lk_json_erroff say what and
 *         where: "unexpected end of input", "invalid UTF-8 in a string",
 *         ...); LK_ELIMIT (text too long, nesting too deep); LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_json_parse(lk_json *j, const char *s, size_t n);

/** What was wrong with the last failed parse (static or owned by j). */
const char *lk_json_errmsg(const lk_json *j);

/** Byte offset of the error in the last failed parse. */
size_t lk_json_erroff(const lk_json *j);

/** 1 when the last failure was invalid UTF-8 (a distinct skip reason). */
int lk_json_err_is_utf8(const lk_json *j);

/** The root node: 0 after a successful parse. */
static inline uint32_t lk_json_root(const lk_json *j)
{
    (void)j;
    return 0;
}

lk_json_type lk_json_type_of(const lk_json *j, uint32_t node);

/** Number of elements (array) or members (object); 0 for scalars. */
uint32_t lk_json_count(const lk_json *j, uint32_t node);

/**
 * Member `key` of object `obj` (the value node), comparing with the decoded
 * key; the first match when a key repeats.  LK_JSON_NONE when obj is
 * LK_JSON_NONE, not an object, or has no such member.
 */
uint32_t lk_json_get(const lk_json *j, uint32_t obj, const char *key);

/** lk_json_get along a dotted path: "retweeted_status.user.id_str". */
uint32_t lk_json_path(const lk_json *j, uint32_t node, const char *dotted);

/**
 * Iteration.  For an array: first element, then lk_json_next() of each
 * element.  For an object: the first *key*; its value is key + 1; the next
 * key is lk_json_next(j, key + 1).  LK_JSON_NONE at the end.
 */
uint32_t lk_json_first(const lk_json *j, uint32_t node);
uint32_t lk_json_next(const lk_json *j, uint32_t node);

/**
 * Text of a string node, escapes decoded (UTF-8 out), or the literal text
 * of a number node (ids stored as JSON numbers).  Without escapes the
 * result points into the input (no copy); otherwise it is decoded into
 * *scratch (reset first), valid until scratch is next changed.
 * @return LK_OK; LK_EINVAL for other node types or LK_JSON_NONE; LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_json_str(const lk_json *j, uint32_t node, lk_buf *scratch,
                                     const char **s, size_t *n);

/** 1 when node is a string equal to (decoded) lit. */
int lk_json_str_eq(const lk_json *j, uint32_t node, const char *lit);

/** Raw bytes of any node's value in the input (strings: between the quotes,
 *  escapes not decoded; containers: from the bracket to the matching one). */
void lk_json_raw(const lk_json *j, uint32_t node, const char **s, size_t *n);

/** Integer value of a number node, or of a string of decimal digits
 *  ("created_utc" is either); 0 and *ok = 0 when not an integer in range. */
int64_t lk_json_int(const lk_json *j, uint32_t node, int *ok);

/* ---- JSON lines --------------------------------------------------------- */

typedef struct lk_stream lk_stream;
typedef struct lk_lines lk_lines;

/**
 * Line reader over a stream: lines end at '\n' (a '\r' before it is
 * dropped); the last line needs no '\n'.  Lines longer than max_line bytes
 * are reported, not returned.
 */
LK_RESULT_USED lk_status lk_lines_open(lk_stream *s, size_t max_line, lk_lines **out);
void lk_lines_free(lk_lines *l);

/**
 * Next line (without its end), valid until the next call.
 * @return LK_OK; LK_EOF at the end; LK_ELIMIT when the line at *line_no is
 *         longer than max_line (it has been skipped: the next call returns
 *         the line after it); LK_EIO (lk_stream_errmsg of the stream);
 *         LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_lines_next(lk_lines *l, const char **p, size_t *n, uint64_t *line_no);

/** Lines passed so far (the next line is number lk_lines_line() + 1). */
uint64_t lk_lines_line(const lk_lines *l);

/** Number the lines as if `passed` lines came before (call before the first
 *  lk_lines_next: a reader continuing a stream another one began). */
void lk_lines_set_line(lk_lines *l, uint64_t passed);

/**
 * Everything not yet returned by lk_lines_next, appended to *out: for
 * whole-document formats (Telegram's result.json).  At most max bytes.
 * @return LK_OK; LK_ELIMIT when longer than max; LK_EIO; LK_ENOMEM.
 */
LK_RESULT_USED lk_status lk_lines_rest(lk_lines *l, lk_buf *out, size_t max);

#endif
