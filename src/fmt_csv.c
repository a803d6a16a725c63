/*
 * fmt_csv.c - the CSV formats (FORMATS.md): header sniffing, column maps,
 * and one data row to one sink record.
 *
 * Every format is a table of columns, each with a role (account, time, a
 * trace's object, ...) and the header spellings it is known by.  A format
 * is recognised by its required columns only, so exports with extra or
 * missing optional columns still match; a missing optional column simply
 * gives no objects.  Header names of the platform formats are compared
 * ignoring case, spaces and '_' (the 2021 Twitter archives are reported to
 * use camelCase: tweetId, tweetTime, userMentions); the generic and QUT
 * headers are compared exactly, as before this file existed.
 *
 * List cells (Python-list and JSON-list) are split in fmt_csv_list.c.
 */
#include "fmt_csv_int.h"

#include <strings.h>

#include "parse_time.h"
#include "textscan.h"

/* What a column is used for. */
enum role {
    R_OBJECT,      /* generic: object_id */
    R_ACCOUNT,     /* the acting account */
    R_ACCOUNT2,    /* fallback account when R_ACCOUNT is empty (MCL post_owner.id) */
    R_CONTENT,     /* the post's own id (also the dedup key for platform formats) */
    R_TIME,        /* timestamp */
    R_DATE,        /* CrowdTangle: date part, when there is no single time column */
    R_CLOCK,       /* CrowdTangle: time-of-day part */
    R_TRACE,       /* generic: optional trace name per row */
    R_SHARE,       /* id of the shared post */
    R_QUOTE,       /* id of the quoted post */
    R_REPLY,       /* id of the post replied to */
    R_IS_RETWEET,  /* Twitter archive: True/False */
    R_URLS,        /* list cell of URLs */
    R_HASHTAGS,    /* list cell of hashtags */
    R_MENTIONS,    /* list cell of mentions */
    R_TEXT,        /* post text */
    R_DESCRIPTION, /* CrowdTangle: second text searched for ":=:" links */
    R_LINK_TEXT,   /* CrowdTangle: "This is a re-share of a post" */
    R_URL1,        /* single-URL columns, in order of preference */
    R_URL2,
    R_URL3,
    R_URL4,
    R_N
};

#define NO_COL SIZE_MAX

typedef struct colspec {
    int role;
    int required;
    const char *names[3]; /* spellings, in order of preference */
} colspec;

typedef struct fmtspec {
    lk_format f;
    const colspec *cols;
    size_t ncols;
} fmtspec;

/* Twitter information-operations archive, tweets file (FORMATS A.1). */
static const colspec io_cols[] = {
    {R_CONTENT, 1, {"tweetid"}},           {R_ACCOUNT, 1, {"userid"}},
    {R_TIME, 1, {"tweet_time"}},           {R_TEXT, 0, {"tweet_text"}},
    {R_REPLY, 0, {"in_reply_to_tweetid"}}, {R_QUOTE, 0, {"quoted_tweet_tweetid"}},
    {R_IS_RETWEET, 0, {"is_retweet"}},     {R_SHARE, 0, {"retweet_tweetid"}},
    {R_HASHTAGS, 0, {"hashtags"}},         {R_URLS, 0, {"urls"}},
    {R_MENTIONS, 0, {"user_mentions"}},
};

/* twarc-csv output of Twitter API v2 (FORMATS A.3). */
static const colspec twarc_cols[] = {
    {R_CONTENT, 1, {"id"}},
    {R_ACCOUNT, 1, {"author_id"}},
    {R_TIME, 1, {"created_at"}},
    {R_TEXT, 0, {"text"}},
    {R_SHARE, 0, {"referenced_tweets.retweeted.id"}},
    {R_QUOTE, 0, {"referenced_tweets.quoted.id"}},
    {R_REPLY, 0, {"referenced_tweets.replied_to.id"}},
    {R_HASHTAGS, 0, {"entities.hashtags"}},
    {R_MENTIONS, 0, {"entities.mentions"}},
    {R_URLS, 0, {"entities.urls"}},
};

/* FiveThirtyEight / Clemson IRA tweets (FORMATS A.7). */
static const colspec ira_cols[] = {
    {R_ACCOUNT, 1, {"author"}},   {R_TEXT, 1, {"content"}},     {R_TIME, 1, {"publish_date"}},
    {R_CONTENT, 0, {"tweet_id"}}, {R_URL1, 0, {"tco1_step1"}},  {R_URL2, 0, {"tco2_step1"}},
    {R_URL3, 0, {"tco3_step1"}},  {R_URL4, 0, {"article_url"}},
};

/* CrowdTangle Facebook and Instagram exports (FORMATS A.4).  The account
 * column is chosen per file: a page's numeric id when the export has one. */
static const colspec ct_cols[] = {
    {R_ACCOUNT, 1, {"Facebook Id", "User Name", "Account"}},
    {R_CONTENT, 1, {"URL"}},
    {R_TIME, 0, {"Post Created", "Created"}},
    {R_DATE, 0, {"Post Created Date"}},
    {R_CLOCK, 0, {"Post Created Time"}},
    {R_URL1, 0, {"Final Link"}},
    {R_URL2, 0, {"Link"}},
    {R_LINK_TEXT, 0, {"Link Text"}},
    {R_TEXT, 0, {"Message", "Description"}},
    {R_DESCRIPTION, 0, {"Description"}},
};

/* Meta Content Library CSV (FORMATS A.4). */
static const colspec mcl_cols[] = {
    {R_CONTENT, 1, {"id"}},
    {R_TIME, 1, {"creation_time", "creation_time (UTC)"}},
    {R_ACCOUNT, 0, {"surface.id"}},
    {R_ACCOUNT2, 0, {"post_owner.id"}},
    {R_SHARE, 0, {"shared_post_id"}},
    {R_URL1, 0, {"link_attachment.link"}},
    {R_TEXT, 0, {"text"}},
};

#define SPEC(f, c)                           \
    {                                        \
        (f), (c), sizeof(c) / sizeof((c)[0]) \
    }

/* In sniffing order: the most specific required sets first. */
static const fmtspec specs[] = {
    SPEC(LK_FMT_TWITTER_IO, io_cols), SPEC(LK_FMT_TWARC_CSV, twarc_cols),
    SPEC(LK_FMT_MCL, mcl_cols),       SPEC(LK_FMT_CROWDTANGLE, ct_cols),
    SPEC(LK_FMT_IRA_538, ira_cols),
};

/* The generic format's default column names (--col-* may rename them). */
static const char *const generic_default[4] = {"object_id", "account_id", "content_id",
                                               "timestamp_share"};

/* The QUT toolkit's CSV: positional columns, header names not checked by the
 * toolkit itself, but we need them to tell the format apart. */
static const char *const qut_cols[8] = {"message_id", "user_id", "username",  "repost_id",
                                        "reply_id",   "message", "timestamp", "urls"};

#define NAME_MAX_SHOWN 48

struct lk_csvfmt {
    lk_format f;
    size_t nfields;
    size_t col[R_N];                /* field index per role, NO_COL when absent */
    char name[R_N][NAME_MAX_SHOWN]; /* header spelling, for messages */
    lk_buf tmp;                     /* lower-cased account, joined date, key */
    lk_buf list;                    /* decoded list elements */
    lk_json *json;                  /* twarc-csv list cells, made on first use */
};

/* ---- header matching -------------------------------------------------------- */

/* Exact match, tolerating spaces around the header name. */
static int field_is(const lk_csv_row *r, size_t i, const char *name)
{
    const char *f = r->field[i];
    size_t n = r->len[i];
    lk_cf_trim(&f, &n);
    return n == strlen(name) && memcmp(f, name, n) == 0;
}

static size_t find_col(const lk_csv_row *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (field_is(r, i, name))
            return i;
    return NO_COL;
}

static char ascii_lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c + ('a' - 'A'));
    return c;
}

/* Loose match: ASCII case, ' ' and '_' ignored ("tweet_time" == "tweetTime"). */
static int loose_is(const char *f, size_t n, const char *name)
{
    size_t i = 0;
    for (;;) {
        while (i < n && (f[i] == ' ' || f[i] == '_'))
            i++;
        while (*name == ' ' || *name == '_')
            name++;
        if (i == n || !*name)
            return i == n && !*name;
        if (ascii_lower(f[i]) != ascii_lower(*name))
            return 0;
        i++;
        name++;
    }
}

static size_t find_loose(const lk_csv_row *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (loose_is(r->field[i], r->len[i], name))
            return i;
    return NO_COL;
}

/* First column matching any spelling of c (spellings in preference order). */
static size_t find_spec(const lk_csv_row *r, const colspec *c)
{
    for (size_t s = 0; s < 3 && c->names[s]; s++) {
        const size_t i = find_loose(r, c->names[s]);
        if (i != NO_COL)
            return i;
    }
    return NO_COL;
}

static int looks_qut(const lk_csv_row *r)
{
    if (r->nfields != 8)
        return 0;
    for (size_t i = 0; i < 8; i++)
        if (!field_is(r, i, qut_cols[i]))
            return 0;
    return 1;
}

/* The first required column of spec that the header lacks, or NULL.
 * Formats with alternatives (CrowdTangle's time, MCL's account) are checked
 * here too. */
static const char *missing_col(const lk_csv_row *r, const fmtspec *sp)
{
    int time_ok = 0, date = 0, clock = 0, acc = 0, acc2 = 0;

    for (size_t k = 0; k < sp->ncols; k++) {
        const colspec *c = &sp->cols[k];
        const int found = find_spec(r, c) != NO_COL;
        if (c->required && !found)
            return c->names[0];
        time_ok |= c->role == R_TIME && found;
        date |= c->role == R_DATE && found;
        clock |= c->role == R_CLOCK && found;
        acc |= c->role == R_ACCOUNT && found;
        acc2 |= c->role == R_ACCOUNT2 && found;
    }
    if (sp->f == LK_FMT_CROWDTANGLE && !time_ok && !(date && clock))
        return "Post Created";
    if (sp->f == LK_FMT_MCL && !acc && !acc2)
        return "surface.id";
    return NULL;
}

lk_format lk_csvfmt_sniff(const lk_csv_row *hdr)
{
    int generic = 1;

    for (size_t k = 0; k < 4; k++)
        generic &= find_col(hdr, generic_default[k]) != NO_COL;
    if (generic)
        return LK_FMT_GENERIC;
    if (looks_qut(hdr))
        return LK_FMT_QUT;
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++)
        if (!missing_col(hdr, &specs[s]))
            return specs[s].f;
    return LK_FMT_GENERIC;
}

static void list_header(const lk_csv_row *r, char *out, size_t outlen)
{
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->nfields && pos + 8 < outlen; i++) {
        int k = snprintf(out + pos, outlen - pos, "%s'%.*s'", i ? ", " : "",
                         (int)LK_MIN(r->len[i], 40), r->field[i]);
        if (k < 0)
            break;
        pos += (size_t)k;
    }
}

static lk_status missing(const lk_csv_row *r, const char *col, const char *name, char *errbuf)
{
    char cols[200];
    list_header(r, cols, sizeof cols);
    lk_errf(errbuf, "%s:%llu: missing column '%s' (the header has %s)", name,
            (unsigned long long)r->line, col, cols);
    return LK_EPARSE;
}

static void set_col(lk_csvfmt *cf, const lk_csv_row *r, int role, size_t i)
{
    const char *f = r->field[i];
    size_t n = r->len[i];
    lk_cf_trim(&f, &n);
    cf->col[role] = i;
    (void)snprintf(cf->name[role], sizeof cf->name[role], "%.*s", (int)LK_MIN(n, 47), f);
}

static lk_status map_generic(lk_csvfmt *cf, const lk_csv_row *r, const lk_csv_cols *cols,
                             const char *name, char *errbuf)
{
    const char *names[4] = {cols ? cols->object : NULL, cols ? cols->account : NULL,
                            cols ? cols->content : NULL, cols ? cols->time : NULL};
    const int roles[4] = {R_OBJECT, R_ACCOUNT, R_CONTENT, R_TIME};

    for (int k = 0; k < 4; k++) {
        const char *want = names[k] ? names[k] : generic_default[k];
        const size_t i = find_col(r, want);
        if (i == NO_COL)
            return missing(r, want, name, errbuf);
        set_col(cf, r, roles[k], i);
    }
    {
        const size_t i = find_col(r, "trace");
        if (i != NO_COL)
            set_col(cf, r, R_TRACE, i);
    }
    return LK_OK;
}

static lk_status map_qut(lk_csvfmt *cf, const lk_csv_row *r, const char *name, char *errbuf)
{
    if (r->nfields != 8) {
        lk_errf(errbuf, "%s:%llu: QUT format needs 8 columns, the header has %zu", name,
                (unsigned long long)r->line, r->nfields);
        return LK_EPARSE;
    }
    /* positional: the toolkit never reads its header names */
    cf->col[R_CONTENT] = 0;
    cf->col[R_ACCOUNT] = 1;
    cf->col[R_OBJECT] = 3;
    cf->col[R_TIME] = 6;
    (void)snprintf(cf->name[R_CONTENT], NAME_MAX_SHOWN, "message_id");
    (void)snprintf(cf->name[R_ACCOUNT], NAME_MAX_SHOWN, "user_id");
    (void)snprintf(cf->name[R_OBJECT], NAME_MAX_SHOWN, "repost_id");
    (void)snprintf(cf->name[R_TIME], NAME_MAX_SHOWN, "timestamp");
    return LK_OK;
}

static lk_status map_spec(lk_csvfmt *cf, const lk_csv_row *r, const fmtspec *sp, const char *name,
                          char *errbuf)
{
    const char *miss = missing_col(r, sp);

    if (miss)
        return missing(r, miss, name, errbuf);
    for (size_t k = 0; k < sp->ncols; k++) {
        const size_t i = find_spec(r, &sp->cols[k]);
        if (i != NO_COL)
            set_col(cf, r, sp->cols[k].role, i);
    }
    /* CrowdTangle Instagram: Description is the caption, already the text */
    if (cf->col[R_DESCRIPTION] == cf->col[R_TEXT])
        cf->col[R_DESCRIPTION] = NO_COL;
    return LK_OK;
}

lk_status lk_csvfmt_open(lk_format f, const lk_csv_row *hdr, const lk_csv_cols *cols,
                         const char *name, lk_csvfmt **out, char *errbuf)
{
    lk_csvfmt *cf;
    lk_status st = LK_OK;

    if (!hdr || !out)
        return LK_EINVAL;
    if (!name)
        name = "(input)";
    if (f == LK_FMT_AUTO)
        f = lk_csvfmt_sniff(hdr);
    if (!lk_format_is_csv(f)) {
        lk_errf(errbuf, "%s: format '%s' is not a CSV format", name, lk_format_name(f));
        return LK_EINVAL;
    }
    cf = calloc(1, sizeof *cf);
    if (!cf) {
        lk_errf(errbuf, "%s: out of memory", name);
        return LK_ENOMEM;
    }
    cf->f = f;
    cf->nfields = hdr->nfields;
    for (int k = 0; k < R_N; k++)
        cf->col[k] = NO_COL;
    lk_buf_init(&cf->tmp);
    lk_buf_init(&cf->list);
    if (f == LK_FMT_GENERIC) {
        st = map_generic(cf, hdr, cols, name, errbuf);
    } else if (f == LK_FMT_QUT) {
        st = map_qut(cf, hdr, name, errbuf);
    } else {
        for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++)
            if (specs[s].f == f)
                st = map_spec(cf, hdr, &specs[s], name, errbuf);
    }
    if (st != LK_OK) {
        lk_csvfmt_free(cf);
        return st;
    }
    *out = cf;
    return LK_OK;
}

lk_status lk_csvfmt_clone(const lk_csvfmt *cf, lk_csvfmt **out)
{
    lk_csvfmt *c = malloc(sizeof *c);

    if (!c)
        return LK_ENOMEM;
    *c = *cf;
    lk_buf_init(&c->tmp);
    lk_buf_init(&c->list);
    c->json = NULL;
    *out = c;
    return LK_OK;
}

void lk_csvfmt_free(lk_csvfmt *cf)
{
    if (!cf)
        return;
    lk_buf_release(&cf->tmp);
    lk_buf_release(&cf->list);
    lk_json_free(cf->json);
    free(cf);
}

/* ---- row helpers ------------------------------------------------------------ */

/* The cell of `role`, or "" when the file has no such column. */
static const char *cell(const lk_csvfmt *cf, const lk_csv_row *r, int role, size_t *n)
{
    const size_t i = cf->col[role];
    if (i == NO_COL || i >= r->nfields) {
        *n = 0;
        return "";
    }
    *n = r->len[i];
    return r->field[i];
}

/* Quote a field for an error message: at most 40 bytes, control bytes as '?'. */
static const char *show(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap && i < 40; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            buf[k++] = '?';
        else
            buf[k++] = s[i];
    }
    if (n > 40 && k + 4 < cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

static lk_status bad_time(lk_sink *k, const lk_csvfmt *cf, int role, const char *why, const char *s,
                          size_t n)
{
    char tmp[64];
    return lk_sink_bad(k, LK_SKIP_BAD_TIMESTAMP, "field %zu ('%s'): %s: '%s'", cf->col[role] + 1,
                       cf->name[role], why ? why : "invalid", show(s, n, tmp, sizeof tmp));
}

/* Time of the standard single column, parsed with `parse`. */
typedef lk_status (*time_fn)(const char *s, size_t n, int64_t *ms, const char **why);

static lk_status take_time(lk_sink *k, const lk_csvfmt *cf, const lk_csv_row *r, time_fn parse,
                           int *ok)
{
    size_t n;
    const char *s = cell(cf, r, R_TIME, &n);
    const char *why = NULL;
    int64_t t;

    if (parse(s, n, &t, &why) != LK_OK) {
        *ok = 0;
        return bad_time(k, cf, R_TIME, why, s, n);
    }
    lk_sink_time(k, t);
    *ok = 1;
    return LK_OK;
}

/* Digits only after dropping a float's ".0" (pandas writes ids of columns
 * with gaps as 1234.0): the id, or 0 when the cell is not a plain id
 * ("9.06E+17" has lost digits and must not be used as one). */
static size_t plain_id(const char *s, size_t n)
{
    if (n > 2 && s[n - 2] == '.' && s[n - 1] == '0')
        n -= 2;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n;
}

/* An id cell: ".0" of a float-formatted integer dropped, else verbatim. */
static size_t id_len(const char *s, size_t n)
{
    const size_t k = plain_id(s, n);
    return k ? k : n;
}

static lk_status obj(lk_sink *k, lk_trace tr, const char *s, size_t n)
{
    return n ? lk_sink_obj(k, tr, s, n) : LK_OK;
}

static lk_status obj_id(lk_sink *k, lk_trace tr, const lk_csvfmt *cf, const lk_csv_row *r, int role)
{
    size_t n;
    const char *s = cell(cf, r, role, &n);
    return obj(k, tr, s, id_len(s, n));
}

typedef struct obj_ctx {
    lk_sink *k;
    lk_trace tr;
} obj_ctx;

static lk_status obj_cb(void *ctx, const char *s, size_t n)
{
    const obj_ctx *c = ctx;
    return obj(c->k, c->tr, s, n);
}

/* Each element of a Python-list cell (Twitter archive). */
static lk_status obj_pylist(lk_csvfmt *cf, lk_sink *k, lk_trace tr, const lk_csv_row *r, int role)
{
    size_t n;
    const char *s = cell(cf, r, role, &n);
    obj_ctx c = {k, tr};
    if (!n || !lk_sink_wants(k, tr))
        return LK_OK;
    return lk_cf_split_pylist(s, n, &cf->list, obj_cb, &c);
}

/* Each element of a JSON-list cell (twarc-csv): see lk_cf_split_jsonlist. */
static lk_status obj_jsonlist(lk_csvfmt *cf, lk_sink *k, lk_trace tr, const lk_csv_row *r, int role,
                              const char *const *keys)
{
    size_t n;
    const char *s = cell(cf, r, role, &n);
    obj_ctx c = {k, tr};

    if (!n || !lk_sink_wants(k, tr))
        return LK_OK;
    return lk_cf_split_jsonlist(&cf->json, s, n, &cf->list, keys, obj_cb, &c);
}

/* Objects found in free text by a textscan scanner. */
static lk_status obj_scan(lk_sink *k, lk_trace tr, const char *s, size_t n,
                          lk_status (*scan)(const char *, size_t, lk_span_fn, void *))
{
    obj_ctx c = {k, tr};
    if (!n || !lk_sink_wants(k, tr))
        return LK_OK;
    return scan(s, n, obj_cb, &c);
}

static lk_status account(lk_sink *k, const lk_csvfmt *cf, const lk_csv_row *r, int role)
{
    size_t n;
    const char *s = cell(cf, r, role, &n);
    return lk_sink_account(k, s, n);
}

/* Content id and, when the post has one, its dedup key (prefix + id). */
static lk_status content_key(lk_sink *k, lk_csvfmt *cf, const char *prefix, const char *s, size_t n)
{
    lk_status st;
    if (!n)
        return LK_OK;
    if ((st = lk_sink_content(k, s, n)) != LK_OK)
        return st;
    if (!prefix)
        return lk_sink_key(k, s, n);
    lk_buf_reset(&cf->tmp);
    if ((st = lk_buf_append(&cf->tmp, prefix, strlen(prefix))) != LK_OK ||
        (st = lk_buf_append(&cf->tmp, s, n)) != LK_OK)
        return st;
    return lk_sink_key(k, cf->tmp.p, cf->tmp.len);
}

/* ---- the formats ------------------------------------------------------------ */

/* Generic and QUT: one object per row, taken verbatim; no dedup key (the
 * CooRTweet and QUT semantics count every row).  The checks run in the
 * order reader.c has always used, so that compat runs skip the same rows
 * for the same reasons. */
static lk_status row_simple(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k)
{
    static const int order[3] = {R_ACCOUNT, R_OBJECT, R_CONTENT};
    lk_trace tr = LK_TR_GENERIC;
    size_t n;
    const char *s;
    int ok;
    lk_status st;

    for (int j = 0; j < 3; j++) {
        s = cell(cf, r, order[j], &n);
        if (!lk_utf8_valid(s, n))
            return lk_sink_bad(k, LK_SKIP_INVALID_UTF8, "field %zu ('%s'): invalid UTF-8",
                               cf->col[order[j]] + 1, cf->name[order[j]]);
    }
    if ((st = take_time(k, cf, r, lk_parse_time, &ok)) != LK_OK || !ok)
        return st;
    s = cell(cf, r, R_TRACE, &n);
    if (n) { /* an empty trace cell is the generic trace */
        const int t = lk_trace_from_name(s, n);
        char tmp[64];
        if (t < 0)
            return lk_sink_bad(k, LK_SKIP_BAD_FIELD, "field %zu ('%s'): unknown trace '%s'",
                               cf->col[R_TRACE] + 1, cf->name[R_TRACE],
                               show(s, n, tmp, sizeof tmp));
        tr = (lk_trace)t;
    }
    if ((st = account(k, cf, r, R_ACCOUNT)) != LK_OK)
        return st;
    s = cell(cf, r, R_CONTENT, &n);
    if ((st = lk_sink_content(k, s, n)) != LK_OK)
        return st;
    /* a trace column makes the row an action like any native one, object
     * normalised for its trace (convert's output reads back unchanged: its
     * objects are normalised already, and normalising is idempotent); the
     * generic trace is taken verbatim, as CooRTweet does */
    s = cell(cf, r, R_OBJECT, &n);
    st = tr == LK_TR_GENERIC ? lk_sink_obj_verbatim(k, tr, s, n) : lk_sink_obj_key(k, tr, s, n);
    if (st != LK_OK)
        return st;
    return lk_sink_end(k);
}

static int is_true(const char *s, size_t n)
{
    return (n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1');
}

static lk_status row_twitter_io(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k)
{
    size_t n, nr;
    const char *s;
    int ok;
    lk_status st;

    if ((st = take_time(k, cf, r, lk_parse_time, &ok)) != LK_OK || !ok)
        return st;
    if ((st = account(k, cf, r, R_ACCOUNT)) != LK_OK)
        return st;
    s = cell(cf, r, R_CONTENT, &n);
    if ((st = content_key(k, cf, NULL, s, id_len(s, n))) != LK_OK)
        return st;
    (void)cell(cf, r, R_SHARE, &nr);
    if ((st = obj_id(k, LK_TR_SHARE, cf, r, R_SHARE)) != LK_OK ||
        (st = obj_id(k, LK_TR_QUOTE, cf, r, R_QUOTE)) != LK_OK ||
        (st = obj_id(k, LK_TR_REPLY, cf, r, R_REPLY)) != LK_OK ||
        (st = obj_pylist(cf, k, LK_TR_URL, r, R_URLS)) != LK_OK ||
        (st = obj_pylist(cf, k, LK_TR_HASHTAG, r, R_HASHTAGS)) != LK_OK ||
        (st = obj_pylist(cf, k, LK_TR_MENTION, r, R_MENTIONS)) != LK_OK)
        return st;
    /* a retweet's text is the original's ("RT @x: ..."): the share object
     * already says what was amplified, and a text object would only repeat
     * it under another trace */
    s = cell(cf, r, R_IS_RETWEET, &n);
    if (!nr && !is_true(s, n)) {
        s = cell(cf, r, R_TEXT, &n);
        if ((st = obj(k, LK_TR_TEXT, s, n)) != LK_OK)
            return st;
    }
    return lk_sink_end(k);
}

static lk_status row_twarc(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k)
{
    static const char *const tag_keys[] = {"tag", "text", NULL};
    /* the id is the account; the handle only when the object has no id */
    static const char *const mention_keys[] = {"id", "id_str", "username", "screen_name", NULL};
    static const char *const url_keys[] = {"unwound_url", "expanded_url", "url", NULL};
    size_t n, nr;
    const char *s;
    int ok;
    lk_status st;

    if ((st = take_time(k, cf, r, lk_parse_time, &ok)) != LK_OK || !ok)
        return st;
    if ((st = account(k, cf, r, R_ACCOUNT)) != LK_OK)
        return st;
    s = cell(cf, r, R_CONTENT, &n);
    if ((st = content_key(k, cf, NULL, s, n)) != LK_OK)
        return st;
    (void)cell(cf, r, R_SHARE, &nr);
    if ((st = obj_id(k, LK_TR_SHARE, cf, r, R_SHARE)) != LK_OK ||
        (st = obj_id(k, LK_TR_QUOTE, cf, r, R_QUOTE)) != LK_OK ||
        (st = obj_id(k, LK_TR_REPLY, cf, r, R_REPLY)) != LK_OK ||
        (st = obj_jsonlist(cf, k, LK_TR_URL, r, R_URLS, url_keys)) != LK_OK ||
        (st = obj_jsonlist(cf, k, LK_TR_HASHTAG, r, R_HASHTAGS, tag_keys)) != LK_OK ||
        (st = obj_jsonlist(cf, k, LK_TR_MENTION, r, R_MENTIONS, mention_keys)) != LK_OK)
        return st;
    if (!nr) { /* twarc-csv merges retweets: their text is the original's */
        s = cell(cf, r, R_TEXT, &n);
        if ((st = obj(k, LK_TR_TEXT, s, n)) != LK_OK)
            return st;
    }
    return lk_sink_end(k);
}

/* publish_date is "M/D/YYYY H:MM" in the original release and ISO in the
 * by-author re-cut. */
static lk_status parse_ira_time(const char *s, size_t n, int64_t *ms, const char **why)
{
    const char *why2 = NULL;
    if (lk_parse_time_mdy(s, n, ms, why) == LK_OK)
        return LK_OK;
    if (lk_parse_time(s, n, ms, &why2) == LK_OK)
        return LK_OK;
    if (!memchr(s, '/', n))
        *why = why2;
    return LK_EPARSE;
}

static lk_status row_ira(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k)
{
    static const int url_roles[4] = {R_URL1, R_URL2, R_URL3, R_URL4};
    size_t n;
    const char *s;
    int ok;
    lk_status st;

    if ((st = take_time(k, cf, r, parse_ira_time, &ok)) != LK_OK || !ok)
        return st;
    /* external_author_id is float-formatted (9.06E+17) and has lost digits;
     * the handle is the only exact account key in this release */
    s = cell(cf, r, R_ACCOUNT, &n);
    lk_buf_reset(&cf->tmp);
    for (size_t i = 0; i < n; i++)
        if ((st = lk_buf_putc(&cf->tmp, ascii_lower(s[i]))) != LK_OK)
            return st;
    if ((st = lk_sink_account(k, cf->tmp.p, cf->tmp.len)) != LK_OK)
        return st;
    s = cell(cf, r, R_CONTENT, &n);
    if ((st = content_key(k, cf, NULL, s, plain_id(s, n))) != LK_OK)
        return st;
    for (int j = 0; j < 4; j++) {
        s = cell(cf, r, url_roles[j], &n);
        if ((st = obj(k, LK_TR_URL, s, n)) != LK_OK)
            return st;
    }
    /* A retweet's content is the original text without "RT @x:" and without
     * the original's id, so for retweets the text object is the only trace
     * of what was amplified: it is kept for every row. */
    s = cell(cf, r, R_TEXT, &n);
    if ((st = obj(k, LK_TR_TEXT, s, n)) != LK_OK ||
        (st = obj_scan(k, LK_TR_HASHTAG, s, n, lk_scan_hashtags)) != LK_OK ||
        (st = obj_scan(k, LK_TR_MENTION, s, n, lk_scan_mentions)) != LK_OK)
        return st;
    return lk_sink_end(k);
}

/* The link CooRnet finds after ":=:" in a message (up to white space). */
static const char *after_marker(const char *s, size_t n, size_t *len)
{
    const char *m = n >= 3 ? memmem(s, n, ":=:", 3) : NULL;
    size_t i, e;
    if (!m)
        return NULL;
    i = (size_t)(m - s) + 3;
    while (i < n && lk_cf_is_space(s[i]))
        i++;
    for (e = i; e < n && !lk_cf_is_space(s[e]);)
        e++;
    *len = e - i;
    return e > i ? s + i : NULL;
}

static lk_status row_crowdtangle(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k)
{
    size_t n, nurl, nlt, nfin, nlink;
    const char *s, *url, *lt, *fin, *link;
    int ok = 1;
    lk_status st;

    if (cf->col[R_TIME] != NO_COL) {
        if ((st = take_time(k, cf, r, lk_parse_time_zoned, &ok)) != LK_OK || !ok)
            return st;
    } else { /* older exports: "Post Created Date" + "Post Created Time" */
        const char *d = cell(cf, r, R_DATE, &n), *why = NULL;
        int64_t t;
        size_t nc;
        const char *c = cell(cf, r, R_CLOCK, &nc);
        lk_buf_reset(&cf->tmp);
        if ((st = lk_buf_append(&cf->tmp, d, n)) != LK_OK ||
            (st = lk_buf_putc(&cf->tmp, ' ')) != LK_OK ||
            (st = lk_buf_append(&cf->tmp, c, nc)) != LK_OK)
            return st;
        if (lk_parse_time_zoned(cf->tmp.p, cf->tmp.len, &t, &why) != LK_OK)
            return bad_time(k, cf, R_DATE, why, cf->tmp.p, cf->tmp.len);
        lk_sink_time(k, t);
    }
    if ((st = account(k, cf, r, R_ACCOUNT)) != LK_OK)
        return st;
    url = cell(cf, r, R_CONTENT, &nurl);
    if ((st = content_key(k, cf, NULL, url, nurl)) != LK_OK)
        return st;
    lt = cell(cf, r, R_LINK_TEXT, &nlt);
    fin = cell(cf, r, R_URL1, &nfin);
    link = cell(cf, r, R_URL2, &nlink);
    if (nlt == 28 && memcmp(lt, "This is a re-share of a post", 28) == 0) {
        /* Link is the re-shared post; only a resolved Final Link is a URL */
        if ((st = obj(k, LK_TR_SHARE, link, nlink)) != LK_OK ||
            (st = obj(k, LK_TR_URL, fin, nfin)) != LK_OK)
            return st;
    } else if (nfin) {
        if ((st = obj(k, LK_TR_URL, fin, nfin)) != LK_OK)
            return st;
    } else if (nlink && !(nlink == nurl && memcmp(link, url, nurl) == 0)) {
        /* Instagram's Link can be the post itself: not an object */
        if ((st = obj(k, LK_TR_URL, link, nlink)) != LK_OK)
            return st;
    } else {
        size_t nm;
        const char *m = cell(cf, r, R_TEXT, &n), *l = after_marker(m, n, &nm);
        if (!l) {
            m = cell(cf, r, R_DESCRIPTION, &n);
            l = after_marker(m, n, &nm);
        }
        if (l && (st = obj(k, LK_TR_URL, l, nm)) != LK_OK)
            return st;
    }
    s = cell(cf, r, R_TEXT, &n);
    if ((st = obj(k, LK_TR_TEXT, s, n)) != LK_OK ||
        (st = obj_scan(k, LK_TR_HASHTAG, s, n, lk_scan_hashtags)) != LK_OK)
        return st;
    return lk_sink_end(k);
}

static lk_status row_mcl(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k)
{
    size_t n;
    const char *s;
    int ok;
    lk_status st;

    if ((st = take_time(k, cf, r, lk_parse_time_zoned, &ok)) != LK_OK || !ok)
        return st;
    s = cell(cf, r, R_ACCOUNT, &n);
    if (!n) /* the page or group posted in; else the poster */
        s = cell(cf, r, R_ACCOUNT2, &n);
    if ((st = lk_sink_account(k, s, n)) != LK_OK)
        return st;
    s = cell(cf, r, R_CONTENT, &n);
    /* Meta ids are bare numbers: prefixed so that they never meet a tweet id */
    if ((st = content_key(k, cf, "meta:", s, id_len(s, n))) != LK_OK)
        return st;
    if ((st = obj_id(k, LK_TR_SHARE, cf, r, R_SHARE)) != LK_OK)
        return st;
    s = cell(cf, r, R_URL1, &n);
    if ((st = obj(k, LK_TR_URL, s, n)) != LK_OK)
        return st;
    s = cell(cf, r, R_TEXT, &n);
    if ((st = obj(k, LK_TR_TEXT, s, n)) != LK_OK ||
        (st = obj_scan(k, LK_TR_HASHTAG, s, n, lk_scan_hashtags)) != LK_OK)
        return st;
    return lk_sink_end(k);
}

lk_status lk_csvfmt_row(lk_csvfmt *cf, const lk_csv_row *r, lk_sink *k)
{
    lk_sink_begin(k, r->line);
    switch (cf->f) {
    case LK_FMT_GENERIC:
    case LK_FMT_QUT:
        return row_simple(cf, r, k);
    case LK_FMT_TWITTER_IO:
        return row_twitter_io(cf, r, k);
    case LK_FMT_TWARC_CSV:
        return row_twarc(cf, r, k);
    case LK_FMT_IRA_538:
        return row_ira(cf, r, k);
    case LK_FMT_CROWDTANGLE:
        return row_crowdtangle(cf, r, k);
    case LK_FMT_MCL:
        return row_mcl(cf, r, k);
    default: /* open accepts CSV formats only */
        return LK_EINVAL;
    }
}
