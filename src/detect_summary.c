/*
 * detect_summary.c - summary.json: input accounting (read = used + skipped by
 * reason, per file and in total), parameters and counts.  Written last and
 * only on success, so its presence marks a complete output folder.  It holds
 * no timings or dates: the same input and options give the same bytes.
 */
#include "detect_int.h"
#include "out_escape.h"
#include "out_file.h"

static lk_status jstr(lk_buf *b, const char *s)
{
    if (lk_buf_putc(b, '"') || lk_esc_json(b, s, strlen(s)) || lk_buf_putc(b, '"'))
        return LK_ENOMEM;
    return LK_OK;
}

static lk_status skipped(lk_buf *b, const uint64_t *sk, const char *indent)
{
    uint64_t total = 0;
    for (int k = 0; k < LK_SKIP_N; k++)
        total += sk[k];
    if (lk_buf_printf(b, "{\n%s  \"total\": %llu", indent, (unsigned long long)total))
        return LK_ENOMEM;
    for (int k = 0; k < LK_SKIP_N; k++)
        if (lk_buf_printf(b, ",\n%s  \"%s\": %llu", indent, lk_skip_name((lk_skip)k),
                          (unsigned long long)sk[k]))
            return LK_ENOMEM;
    return lk_buf_printf(b, "\n%s}", indent);
}

/* {"share": 3, "url": 2}: the non-zero counts of an array indexed by enum. */
static lk_status counts(lk_buf *b, const uint64_t *c, int n, const char *(*name)(int))
{
    int first = 1;
    if (lk_buf_putc(b, '{'))
        return LK_ENOMEM;
    for (int k = 0; k < n; k++) {
        if (!c[k])
            continue;
        if (lk_buf_printf(b, "%s\"%s\": %llu", first ? "" : ", ", name(k),
                          (unsigned long long)c[k]))
            return LK_ENOMEM;
        first = 0;
    }
    return lk_buf_putc(b, '}');
}

static const char *trace_name(int k)
{
    return lk_trace_name((lk_trace)k);
}

static const char *format_name(int k)
{
    return lk_format_name((lk_format)k);
}

static const char *compat_name(lk_compat c)
{
    return c == LK_COMPAT_COORTWEET ? "coortweet" : c == LK_COMPAT_QUT ? "qut" : "none";
}

lk_status lk_write_summary(const lk_detect *d, char *errbuf)
{
    const lk_detect_opts *o = &d->o;
    uint64_t tot[LK_SKIP_N], tot_tr[LK_TR_N], tot_fmt[LK_FMT_N];
    lk_outfile *f;
    lk_buf b;
    lk_status st;
    double thr = o->threshold_value;

    memset(tot, 0, sizeof tot);
    memset(tot_tr, 0, sizeof tot_tr);
    memset(tot_fmt, 0, sizeof tot_fmt);
    lk_buf_init(&b);
    if (thr < 0)
        thr = o->compat == LK_COMPAT_QUT ? 1 : 2;
    if (lk_buf_printf(&b, "{\n  \"lockstep_version\": \"%s\",\n  \"command\": \"detect\",\n",
                      lk_version()) ||
        lk_buf_printf(&b, "  \"parameters\": {\n    \"format\": ") || jstr(&b, o->format) ||
        lk_buf_printf(&b, ",\n    \"traces\": ") || jstr(&b, o->traces ? o->traces : "default") ||
        lk_buf_printf(&b, ",\n    \"columns\": {\"object\": ") || jstr(&b, o->col_object) ||
        lk_buf_printf(&b, ", \"account\": ") || jstr(&b, o->col_account) ||
        lk_buf_printf(&b, ", \"content\": ") || jstr(&b, o->col_content) ||
        lk_buf_printf(&b, ", \"time\": ") || jstr(&b, o->col_time) ||
        lk_buf_printf(&b, "},\n    \"window_s\": %.6g,\n    \"min_participation\": %lld,\n",
                      (double)o->window_ms / 1000.0, (long long)o->min_participation) ||
        (o->threshold == LK_THRESHOLD_FDR && o->compat == LK_COMPAT_NONE
             ? lk_buf_printf(&b,
                             "    \"threshold\": \"fdr:%.6g\",\n    \"min_sync\": %.6g,\n"
                             "    \"near_text_threshold\": %.6g,\n",
                             o->fdr, o->min_sync, o->near_text_threshold)
         /* CooRTweet's rule is its edge quantile (weight > q) */
         : o->compat == LK_COMPAT_COORTWEET
             ? lk_buf_printf(&b, "    \"threshold\": \"quantile:%.6g\",\n", o->edge_quantile)
             : lk_buf_printf(&b, "    \"threshold\": \"%s:%.6g\",\n",
                             o->threshold == LK_THRESHOLD_QUANTILE ? "quantile" : "weight", thr)) ||
        lk_buf_printf(&b, "    \"compat\": \"%s\",\n    \"edge_quantile\": %.6g,\n",
                      compat_name(o->compat), o->edge_quantile) ||
        lk_buf_printf(&b, "    \"keep_loops\": %s,\n    \"on_error\": \"%s\",\n",
                      o->keep_loops ? "true" : "false",
                      o->on_error == LK_ON_ERROR_SKIP ? "skip" : "fail") ||
        lk_buf_printf(&b, "    \"max_burst\": %llu,\n", (unsigned long long)o->max_burst) ||
        lk_buf_printf(&b, "    \"evidence_per_edge\": %u,\n", o->evidence_per_edge) ||
        lk_buf_printf(&b, "    \"seed\": %llu,\n    \"resolution\": %.6g\n  },\n",
                      (unsigned long long)o->seed, o->resolution) ||
        (d->window_auto && lk_window_auto_json(&b, &d->wauto)) ||
        lk_buf_printf(&b, "  \"inputs\": ["))
        goto nomem;
    for (size_t i = 0; i < d->ninputs; i++) {
        const lk_input_stats *s = &d->in_stats[i];
        for (int k = 0; k < LK_SKIP_N; k++)
            tot[k] += s->skipped[k];
        for (int k = 0; k < LK_TR_N; k++)
            tot_tr[k] += s->actions[k];
        for (int k = 0; k < LK_FMT_N; k++)
            tot_fmt[k] += s->format_rows[k];
        if (lk_buf_printf(&b, "%s\n    {\n      \"path\": ", i ? "," : "") ||
            jstr(&b, d->inputs[i]) || lk_buf_printf(&b, ",\n      \"codec\": ") ||
            jstr(&b, s->codec) || lk_buf_printf(&b, ",\n      \"format\": ") ||
            jstr(&b, s->format) ||
            lk_buf_printf(&b, ",\n      \"rows_read\": %llu,\n      \"rows_used\": %llu,\n",
                          (unsigned long long)s->rows_read, (unsigned long long)s->rows_used) ||
            lk_buf_printf(&b, "      \"rows_skipped\": ") || skipped(&b, s->skipped, "      ") ||
            lk_buf_printf(&b, ",\n      \"rows_by_format\": ") ||
            counts(&b, s->format_rows, LK_FMT_N, format_name) ||
            lk_buf_printf(&b, ",\n      \"actions_by_trace\": ") ||
            counts(&b, s->actions, LK_TR_N, trace_name) || lk_buf_printf(&b, "\n    }"))
            goto nomem;
    }
    if (lk_buf_printf(&b, "\n  ],\n  \"rows_read\": %llu,\n  \"rows_used\": %llu,\n",
                      (unsigned long long)d->stats.rows_read,
                      (unsigned long long)d->stats.rows_used) ||
        lk_buf_printf(&b, "  \"rows_skipped\": ") || skipped(&b, tot, "  ") ||
        lk_buf_printf(&b, ",\n  \"rows_by_format\": ") ||
        counts(&b, tot_fmt, LK_FMT_N, format_name) ||
        lk_buf_printf(&b, ",\n  \"actions_by_trace\": ") ||
        counts(&b, tot_tr, LK_TR_N, trace_name) ||
        lk_buf_printf(&b, ",\n  \"counts\": {\n    \"accounts\": %llu,\n",
                      (unsigned long long)d->stats.accounts) ||
        lk_buf_printf(&b, "    \"objects\": %zu,\n", lk_strpool_count(d->ds.objects)) ||
        lk_buf_printf(&b, "    \"actions\": %zu,\n", d->ds.n))
        goto nomem;
    if (o->compat == LK_COMPAT_NONE) {
        if (lk_buf_printf(&b, "    \"accounts_kept\": %llu,\n    \"pairs\": %llu,\n",
                          (unsigned long long)d->accounts_kept,
                          (unsigned long long)d->stats.pairs) ||
            lk_buf_printf(&b, "    \"burst_actions\": %llu,\n    \"burst_objects\": %llu,\n",
                          (unsigned long long)d->burst.burst_actions,
                          (unsigned long long)d->burst.burst_objects) ||
            lk_buf_printf(&b, "    \"edges\": %llu,\n    \"threshold_cut\": %.6g,\n",
                          (unsigned long long)d->stats.edges, d->cut) ||
            (d->ntst.posts &&
             lk_buf_printf(&b,
                           "    \"near_text\": {\"threshold\": %.6g, \"texts\": %llu, "
                           "\"sketched\": %llu, \"candidates\": %llu, \"clusters\": %llu, "
                           "\"clustered\": %llu, \"bands\": %u, \"rows\": %u},\n",
                           o->near_text_threshold, (unsigned long long)d->ntst.posts,
                           (unsigned long long)d->ntst.sketched,
                           (unsigned long long)d->ntst.candidates,
                           (unsigned long long)d->ntst.clusters,
                           (unsigned long long)d->ntst.clustered, d->ntst.bands, d->ntst.rows)) ||
            (o->threshold == LK_THRESHOLD_FDR &&
             (lk_buf_printf(
                 &b,
                 "    \"calibration\": {\"strata\": %llu, \"null_sample\": %u, "
                 "\"null_pairs\": %llu, \"null_edges\": %llu, \"edges_passing_fdr\": %llu, "
                 "\"score_cut\": %.6g, \"edges_passing_sync\": %llu},\n",
                 (unsigned long long)d->calib.strata, (unsigned)d->calib.null_sample,
                 (unsigned long long)d->calib.null_pairs, (unsigned long long)d->calib.null_edges,
                 (unsigned long long)d->calib.pass_score, d->calib.score_cut,
                 (unsigned long long)d->calib.pass_sync))) ||
            lk_buf_printf(&b, "    \"coordinated_edges\": %llu,\n",
                          (unsigned long long)d->stats.coord_edges) ||
            lk_buf_printf(&b, "    \"coordinated_accounts\": %llu,\n",
                          (unsigned long long)d->stats.coord_accounts) ||
            lk_buf_printf(&b, "    \"components\": %llu,\n    \"groups\": %llu\n  }\n}\n",
                          (unsigned long long)d->components, (unsigned long long)d->stats.groups))
            goto nomem;
    } else {
        const lk_compat_stats *c = &d->cstats;
        if (lk_buf_printf(&b, "    \"pairs\": %llu,\n    \"edges\": %llu,\n",
                          (unsigned long long)c->pairs, (unsigned long long)c->edges) ||
            lk_buf_printf(&b, "    \"self_loops\": %llu,\n    \"edge_accounts\": %llu,\n",
                          (unsigned long long)c->self_loops, (unsigned long long)c->accounts) ||
            lk_buf_printf(&b, "    \"max_weight\": %llu,\n", (unsigned long long)c->max_weight))
            goto nomem;
        if (o->compat == LK_COMPAT_COORTWEET) {
            if (lk_buf_printf(&b, "    \"weight_quantile\": %.15g,\n", c->quantile) ||
                lk_buf_printf(&b, "    \"edges_above_quantile\": %llu,\n",
                              (unsigned long long)c->edges_above) ||
                lk_buf_printf(&b, "    \"accounts_above_quantile\": %llu\n  }\n}\n",
                              (unsigned long long)c->accounts_above))
                goto nomem;
        } else if (lk_buf_printf(&b, "    \"duplicate_messages_ignored\": %llu\n  }\n}\n",
                                 (unsigned long long)c->duplicates)) {
            goto nomem;
        }
    }
    st = lk_out_open(o->out_dir, "summary.json", &f, errbuf);
    if (st != LK_OK) {
        lk_buf_release(&b);
        return st;
    }
    lk_out_flush_buf(f, &b);
    lk_buf_release(&b);
    return lk_out_close(f, errbuf);
nomem:
    lk_buf_release(&b);
    lk_errf(errbuf, "out of memory writing summary.json");
    return LK_ENOMEM;
}
