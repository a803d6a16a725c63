/*
 * parse_csv.h - RFC 4180 record scanner over an lk_stream.
 *
 * Quoted fields with "" escapes and embedded newlines, a leading UTF-8 BOM,
 * LF or CRLF line ends, a final record without newline.  Records are
 * returned as borrowed (pointer, length) fields; no allocation per record.
 * Depends on io_stream.
 *
 * Leniencies (as in Python's csv): a quote inside an unquoted field is data
 * (a"b); a lone CR outside quotes ends the record and counts as a line.
 * Inside quotes CR and LF are data; each LF there counts as a line.
 * Thread safety: one scanner per thread.
 */
#ifndef LK_PARSE_CSV_H
#define LK_PARSE_CSV_H

#include "io_stream.h"

/* Largest record accepted (raw bytes, quotes included, line end excluded);
 * longer ones are an LK_ELIMIT error.  Bounds the scanner's memory. */
#define LK_CSV_MAX_RECORD ((size_t)64 << 20)

typedef struct lk_csv lk_csv;

typedef struct lk_csv_row {
    size_t nfields;
    const char *const *field; /* field[i] is NUL-terminated (quotes removed) */
    const size_t *len;        /* len[i] bytes, embedded NULs possible */
    uint64_t line;            /* 1-based physical line where the record starts */
} lk_csv_row;

/**
 * Start scanning stream `s` (borrowed; must outlive the scanner).
 * @param sep field separator, usually ','; not '"', CR or LF.
 * @param out receives a scanner the caller frees with lk_csv_free().
 * @return LK_OK, LK_ENOMEM, LK_EINVAL (NULL argument or unusable sep).
 */
LK_RESULT_USED lk_status lk_csv_open(lk_stream *s, char sep, lk_csv **out);

/**
 * Scan the next record into *row (fields borrowed; valid until the next call).
 * Empty lines are skipped and not returned as records.
 * @return LK_OK, LK_EOF at a clean end, LK_EPARSE for a malformed record
 *         (unterminated quote, a character after a closing quote), LK_ELIMIT
 *         for a record over LK_CSV_MAX_RECORD, LK_EIO from the stream.
 *         After LK_EPARSE/LK_ELIMIT the scanner has resynchronised at the
 *         physical line after the start of the bad record, so the caller may
 *         count a skip and call again; lk_csv_errmsg() says what was wrong and
 *         lk_csv_errline() on which line.  After LK_EIO it must stop.
 *         LK_EIO and LK_ENOMEM are sticky: every later call returns them.
 *         LK_EINVAL for a NULL argument.
 * Cost: O(record length) amortised; fields are rewritten in place in the
 * read window, so records are not copied.
 */
LK_RESULT_USED lk_status lk_csv_next(lk_csv *c, lk_csv_row *row);

/** Message of the last error without file/line, e.g. "unterminated quoted field". */
const char *lk_csv_errmsg(const lk_csv *c);

/** The first byte of the data (after a BOM), once the first record was
 *  asked for; -1 before that or for empty data.  Lets a caller tell a JSON
 *  file given as CSV apart from a broken CSV header. */
int lk_csv_first_byte(const lk_csv *c);

/** The physical line the scanner is at (after the last record returned;
 *  at LK_EOF one past the last line). */
uint64_t lk_csv_line(const lk_csv *c);

/**
 * Make a new scanner continue a stream another scanner began: no BOM is
 * looked for, the next record is on physical line `line`, and skip_lf says
 * that the previous record ended in CR (a '\n' first belongs to it).
 * Call before the first lk_csv_next.
 */
void lk_csv_resume(lk_csv *c, uint64_t line, int skip_lf);

/**
 * The bytes read from the stream but not yet scanned (after the last
 * record returned), borrowed until the next call on c; *skip_lf as for
 * lk_csv_resume.  Lets a caller take over the stream after the header.
 */
void lk_csv_rest(const lk_csv *c, const char **p, size_t *n, int *skip_lf);

/** 1-based line of the last error. */
uint64_t lk_csv_errline(const lk_csv *c);

/** Free.  NULL-safe.  Does not close the stream. */
void lk_csv_free(lk_csv *c);

#endif
