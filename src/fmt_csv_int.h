/*
 * fmt_csv_int.h - private to the CSV format readers: what fmt_csv.c (header
 * sniffing, column maps, rows) and fmt_csv_list.c (list cells) share.
 * Nothing else includes it; the API is lk_csvfmt_* in fmt.h.
 */
#ifndef LK_FMT_CSV_INT_H
#define LK_FMT_CSV_INT_H

#include "fmt.h"

static inline int lk_cf_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Drop spaces and tabs around (*s, *n). */
static inline void lk_cf_trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/** Called once per element of a list cell, in order; (s, n) is borrowed:
 *  valid during the call only.  A status other than LK_OK stops the split
 *  and is returned. */
typedef lk_status (*lk_cf_elem_fn)(void *ctx, const char *s, size_t n);

/**
 * The elements of a Python-list cell (Twitter archives): ['a', 'b'], [a, b],
 * [] or empty.  scratch holds decoded escaped elements.
 * @return LK_OK, LK_ENOMEM, or the first failing status of fn.
 */
LK_RESULT_USED lk_status lk_cf_split_pylist(const char *s, size_t n, lk_buf *scratch,
                                            lk_cf_elem_fn fn, void *ctx);

/**
 * The elements of a JSON-list cell (twarc-csv), or of a Python list when
 * the cell is not a JSON list.  *json is a parser made on first use (the
 * caller frees it with lk_json_free); scratch holds decoded elements.
 * @return LK_OK, LK_ENOMEM, or the first failing status of fn.
 */
LK_RESULT_USED lk_status lk_cf_split_jsonlist(lk_json **json, const char *s, size_t n,
                                              lk_buf *scratch, const char *const *keys,
                                              lk_cf_elem_fn fn, void *ctx);

#endif
