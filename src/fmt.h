/*
 * fmt.h - the format readers: one input record in, one sink record out.
 *
 * fmt_csv.c holds the CSV formats (header sniffing and column maps),
 * fmt_json.c the JSON ones (line classification and field extraction).
 * reader.c opens the stream, decides CSV or JSON, and drives them.
 */
#ifndef LK_FMT_H
#define LK_FMT_H

#include "json.h"
#include "parse_csv.h"
#include "sink.h"

/* ---- CSV formats ---------------------------------------------------------- */

typedef struct lk_csvfmt lk_csvfmt;

/** Which CSV format a header row belongs to: LK_FMT_QUT, LK_FMT_TWITTER_IO,
 *  LK_FMT_TWARC_CSV, LK_FMT_IRA_538, LK_FMT_CROWDTANGLE, LK_FMT_MCL, or
 *  LK_FMT_GENERIC when none of them (the generic columns are checked by
 *  lk_csvfmt_open).  A UTF-8 BOM has been removed by the scanner. */
lk_format lk_csvfmt_sniff(const lk_csv_row *hdr);

/** Column names for the generic format (--col-*). */
typedef struct lk_csv_cols {
    const char *object, *account, *content, *time;
} lk_csv_cols;

/**
 * Map the header of a CSV file of format f.
 * @param errbuf "FILE:LINE: missing column 'x' (the header has ...)".
 */
LK_RESULT_USED lk_status lk_csvfmt_open(lk_format f, const lk_csv_row *hdr, const lk_csv_cols *cols,
                                        const char *name, lk_csvfmt **out, char *errbuf);

/** One data row: lk_sink_begin .. lk_sink_end/bad.  The field count has
 *  already been checked against the header. */
LK_RESULT_USED lk_status lk_csvfmt_row(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k);

/** A copy of cf's column map with scratch of its own, for another thread
 *  (the parallel reader maps the header once and clones it per worker). */
LK_RESULT_USED lk_status lk_csvfmt_clone(const lk_csvfmt *cf, lk_csvfmt **out);

void lk_csvfmt_free(lk_csvfmt *cf);

/* ---- JSON formats --------------------------------------------------------- */

typedef struct lk_jsonfmt lk_jsonfmt;

/** forced: LK_FMT_AUTO (classify every line by its keys) or one JSON format. */
LK_RESULT_USED lk_status lk_jsonfmt_new(lk_format forced, lk_jsonfmt **out);
void lk_jsonfmt_free(lk_jsonfmt *jf);

/**
 * One parsed JSON line: classify it (FORMATS.md: `data`/`includes` -> v2
 * page, `author_id`+`created_at` -> v2 flattened, `id_str`+`user` -> v1.1,
 * `delete`/`limit`/`warning`/... -> control line, `created_utc`+`author`
 * -> Pushshift, `did`+`time_us` or `kind` -> Jetstream, `account`+`uri` ->
 * Mastodon) and give its posts to the sink (a v2 page holds many; a control
 * line none: lk_sink_not_post).  A line that is none of these is a bad
 * record ("not a post of any known format").
 */
LK_RESULT_USED lk_status lk_jsonfmt_line(lk_jsonfmt *jf, const lk_json *j, uint64_t line,
                                         lk_sink *k);

/** 1 once a line was read whose reading depends on earlier lines (a
 *  Mastodon status: the serving instance is learned from earlier ones).
 *  The parallel reader reads such input serially. */
int lk_jsonfmt_stateful(const lk_jsonfmt *jf);

/**
 * A whole JSON document (Telegram Desktop's result.json, a single chat or a
 * full export with chats.list).  text/n is the document, for line numbers.
 */
LK_RESULT_USED lk_status lk_jsonfmt_document(lk_jsonfmt *jf, const lk_json *j, const char *text,
                                             size_t n, lk_sink *k);

#endif
