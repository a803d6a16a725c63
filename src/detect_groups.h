/*
 * detect_groups.h - group and account characterisation for the native
 * output folder, collected during the evidence sweep (detect_out.c).
 */
#ifndef LK_DETECT_GROUPS_H
#define LK_DETECT_GROUPS_H

#include "window.h"

/* One co-action of two members of the same group. */
typedef struct lk_gco {
    uint32_t group, obj;
    int64_t dt;    /* |dt| ms */
    uint32_t i, j; /* sub-index actions */
} lk_gco;

typedef struct lk_gchar {
    lk_gco *c;
    size_t n, cap;
    uint8_t *mark; /* per sub-index action: part of a coordinated co-action */
    size_t nmark;
} lk_gchar;

LK_RESULT_USED lk_status lk_gchar_init(lk_gchar *g, size_t nactions);
void lk_gchar_release(lk_gchar *g);

/** An in-group co-action (i, j: sub-index actions). */
LK_RESULT_USED lk_status lk_gchar_add(lk_gchar *g, uint32_t group, uint32_t obj, size_t i, size_t j,
                                      int64_t dt);

/** A co-action on any coordinated edge: both actions were coordinated. */
void lk_gchar_mark(lk_gchar *g, size_t i, size_t j);

/** median_s[group] = median |dt| in seconds of the group's co-actions (0 if none).
 *  Reorders the collected co-actions. */
LK_RESULT_USED lk_status lk_gchar_medians(lk_gchar *g, size_t ngroups, double *median_s);

/** per_account[account] += coordinated actions of the account. */
void lk_gchar_coordinated(const lk_gchar *g, const lk_objindex *sub, uint64_t *per_account);

/**
 * group_objects.csv: per group its `top` objects with the most members
 * acting on them together (then the rarest), each with every member's time:
 * group_id,rank,trace,object,members,first_time,last_time,spread_s,member_times
 * ("account@time;..." in time order).
 */
LK_RESULT_USED lk_status lk_gchar_write_objects(const lk_gchar *g, const lk_objindex *sub,
                                                const lk_dataset *ds, const double *idf,
                                                uint32_t top, const char *dir, char *errbuf);

#endif
