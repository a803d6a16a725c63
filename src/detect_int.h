/*
 * detect_int.h - state shared by the detect orchestrator (detect.c) and the
 * writers of its native output folder (detect_out.c).
 */
#ifndef LK_DETECT_INT_H
#define LK_DETECT_INT_H

#include "calibrate.h"
#include "compat.h"
#include "neartext.h"
#include "net.h"
#include "progress.h"
#include "window_auto.h"

struct lk_detect {
    lk_detect_opts o;
    char **inputs;
    size_t ninputs, cap_inputs;
    lk_input_stats *in_stats;
    lk_dataset ds;
    int ds_ready;
    lk_detect_stats stats;
    lk_compat_stats cstats;
    double cut;             /* threshold actually applied */
    uint64_t accounts_kept; /* accounts passing min participation */
    uint64_t components;
    lk_sweep_stats burst; /* what the burst cap left out */
    /* --window auto (window_auto.c): while a run with o.window_ms ==
     * LK_WINDOW_AUTO is under way, o.window_ms holds the estimate */
    int window_auto; /* 1: the window was estimated (wauto holds how) */
    lk_window_auto_result wauto;
    lk_calib_stats calib;   /* LK_THRESHOLD_FDR */
    lk_neartext_stats ntst; /* near-text clustering */
    lk_progress prog;       /* the meter of the run under way */
    const char *stage;      /* the stage under way (the meter's name for it) */
    char errmsg[LK_ERRMSG_MAX];
};

/* The coordinated network, ready to write. */
typedef struct lk_coordnet {
    size_t n;          /* nodes */
    uint32_t *account; /* node -> account id (nodes in account-string order) */
    uint32_t *node_of; /* account id -> node, UINT32_MAX when absent */
    uint32_t *component, *community;
    uint64_t *degree, *co_actions;
    double *strength;
    size_t m;          /* coordinated edges, in (node a, node b) order */
    uint32_t *eu, *ev; /* node indices, eu < ev */
    lk_edge **edge;    /* the edge statistics */
    size_t ngroups;
} lk_coordnet;

/** Build the coordinated network from the thresholded edges and cluster it. */
LK_RESULT_USED lk_status lk_coordnet_build(const lk_dataset *ds, lk_net *net,
                                           const lk_detect_opts *o, lk_coordnet *cn, char *errbuf);
void lk_coordnet_release(lk_coordnet *cn);

/** Write accounts.csv, groups.csv, edges.csv, evidence.csv, network.graphml/gexf. */
/* rows[account] = the account's input actions */
LK_RESULT_USED lk_status lk_write_native(const lk_dataset *ds, const lk_objindex *ix,
                                         const lk_net *net, const lk_coordnet *cn,
                                         const uint64_t *rows, const lk_detect_opts *o,
                                         char *errbuf);

/** Write summary.json (last, only on success). */
LK_RESULT_USED lk_status lk_write_summary(const lk_detect *d, char *errbuf);

/** Names of every file a detect run may write (NULL-terminated). */
extern const char *const lk_detect_outputs[];

#endif
