/*
 * report.h - report.html from a detect output folder (report.c loads the
 * folder and picks what is drawn; report_html.c writes the page).
 *
 * The report is built from the finished folder, never from detect's memory,
 * so that `lockstep report DIR` and detect write the same bytes.  Every
 * string from the folder reaches the page through lk_esc_json() inside one
 * <script type="application/json"> element; the page's own script renders it
 * as text.
 */
#ifndef LK_REPORT_H
#define LK_REPORT_H

#include "lk_internal.h"
#include "strpool.h"

/* Per-object member actions kept for the timeline plot; a group of
 * thousands on one object would otherwise dominate the file. */
#define LK_REPORT_MAX_TIMES 1000
/* evidence.csv rows kept per detailed group */
#define LK_REPORT_MAX_EVIDENCE 100
/* rows of the group table: the largest groups (the file stays bounded when
 * a huge network falls apart into pairs) */
#define LK_REPORT_MAX_GROUPS 20000

/* The page's static parts, embedded at build time from src/report/ by
 * src/report/embed.cmake (report_assets.c in the build tree). */
extern const unsigned char lk_report_html[], lk_report_css[], lk_report_js[];
extern const size_t lk_report_html_len, lk_report_css_len, lk_report_js_len;

/* numeric columns of accounts.csv after account_id and group_id */
enum { RA_DEGREE, RA_CO_ACTIONS, RA_COMPONENT, RA_STRENGTH, RA_ACTIONS, RA_COORD, RA_SHARE, RA_N };

typedef struct lk_racct {
    uint32_t name;  /* id in the report's pool */
    uint32_t group; /* index into groups */
    int32_t node;   /* drawn node, or -1 */
    int32_t listed; /* index in the page's account list, or -1 */
    double v[RA_N]; /* NAN = empty cell */
} lk_racct;

/* numeric columns of groups.csv */
enum {
    RG_SIZE,
    RG_EDGES,
    RG_DENSITY,
    RG_CO_ACTIONS,
    RG_OBJECTS,
    RG_COMPONENT,
    RG_MEAN_DT,
    RG_MEDIAN_DT,
    RG_N
};

typedef struct lk_rgroup {
    double v[RG_N];
    char *first_seen, *last_seen, *traces; /* owned; "" when empty */
    int detail;                            /* 0 summarised, 1 drawn whole, 2 drawn in part */
    uint32_t drawn;                        /* members drawn */
    double sync_sum, score_sum;            /* over its edges in edges.csv */
    uint64_t sync_n, nedges;
    lk_buf objects, evidence; /* JSON rows (detailed groups only) */
    uint32_t nevidence;
} lk_rgroup;

typedef struct lk_redge {
    uint32_t a, b; /* nodes */
    uint64_t order;
    double weight, score, sync, co_actions, mean_dt;
} lk_redge;

typedef struct lk_report {
    lk_report_opts o;
    char *dir;
    lk_buf summary; /* summary.json re-serialised as safe JSON */
    uint64_t seed;
    lk_strpool *pool; /* account names */
    lk_racct *acc;
    size_t nacc, cap_acc;
    uint32_t *acc_of_name; /* pool id -> account index */
    lk_rgroup *grp;
    size_t ngrp, cap_grp;
    uint32_t *node_acc; /* node -> account index */
    size_t nnodes;
    double *xy; /* 2 per node, scaled to [0, 1000] */
    lk_redge *edge;
    size_t nedges, cap_edges;
    uint64_t edges_total; /* rows of edges.csv */
    size_t nlisted;
    int have_evidence;
    char *errmsg; /* LK_ERRMSG_MAX bytes */
} lk_report;

/** Write the page for a loaded report r to path dir/name.  report_html.c. */
LK_RESULT_USED lk_status lk_report_emit(const lk_report *r, const char *dir, const char *name);

/** Append a JSON number for v: null for NAN, else "%.15g" (integers exact). */
LK_RESULT_USED lk_status lk_report_num(lk_buf *b, double v);

/** Append s as a quoted JSON string, safe inside <script> (lk_esc_json). */
LK_RESULT_USED lk_status lk_report_str(lk_buf *b, const char *s, size_t n);

/** Build report.html in a native detect folder with the default options
 *  (detect calls this after summary.json).  errbuf: LK_ERRMSG_MAX bytes. */
LK_RESULT_USED lk_status lk_report_dir(const char *dir, char *errbuf);

#endif
