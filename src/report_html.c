/*
 * report_html.c - write report.html: the embedded template, style and
 * script (src/report/, compiled in by embed.cmake) around one JSON data
 * block.
 *
 * Safety rests on three rules, each enough to stop most attacks alone:
 *  1. Data only ever enters the page inside <script type="application/json">,
 *     as JSON whose strings went through lk_esc_json(): < > & U+2028/2029
 *     are \u escapes, so no string can close the element or open a comment,
 *     and invalid UTF-8 is U+FFFD.  Numbers are printed by us after parsing.
 *  2. The page's script renders strings with textContent and setAttribute
 *     only, and links only http(s) URLs (report.js).
 *  3. A Content-Security-Policy allows no fetch at all and runs only script
 *     and style elements carrying this page's nonce: a hash of the data, so
 *     injected markup could not know it in advance.
 * The output depends only on the loaded report, so it is byte-identical for
 * the same folder and options.
 */
#include <math.h>

#include "out_file.h"
#include "report.h"

static lk_status put_groups(const lk_report *r, lk_buf *b)
{
    const size_t n = LK_MIN(r->ngrp, (size_t)LK_REPORT_MAX_GROUPS);
    lk_status st = lk_buf_append(b, "\"groups\":[", 10);

    for (size_t g = 0; g < n && st == LK_OK; g++) {
        const lk_rgroup *p = &r->grp[g];
        st = lk_buf_printf(b, "%s\n[%zu", g ? "," : "", g + 1);
        for (size_t k = 0; k < RG_N && st == LK_OK; k++)
            if ((st = lk_buf_putc(b, ',')) == LK_OK)
                st = lk_report_num(b, p->v[k]);
        if (st == LK_OK && (st = lk_buf_putc(b, ',')) == LK_OK &&
            (st = lk_report_str(b, p->first_seen, strlen(p->first_seen))) == LK_OK &&
            (st = lk_buf_putc(b, ',')) == LK_OK &&
            (st = lk_report_str(b, p->last_seen, strlen(p->last_seen))) == LK_OK &&
            (st = lk_buf_putc(b, ',')) == LK_OK &&
            (st = lk_report_str(b, p->traces, strlen(p->traces))) == LK_OK &&
            (st = lk_buf_printf(b, ",%d,%u,", p->detail, p->drawn)) == LK_OK &&
            (st = lk_report_num(b, p->sync_n ? p->sync_sum / (double)p->sync_n : NAN)) == LK_OK &&
            (st = lk_buf_putc(b, ',')) == LK_OK)
            st = lk_report_num(b, p->nedges ? p->score_sum / (double)p->nedges : NAN);
        if (st == LK_OK)
            st = lk_buf_putc(b, ']');
    }
    return st == LK_OK ? lk_buf_append(b, "],\n", 3) : st;
}

static lk_status put_accounts(const lk_report *r, lk_buf *b)
{
    lk_status st = lk_buf_append(b, "\"accounts\":[", 12);
    size_t n = 0;

    for (size_t i = 0; i < r->nacc && st == LK_OK; i++) {
        const lk_racct *a = &r->acc[i];
        size_t len;
        const char *name;
        if (a->listed < 0)
            continue;
        name = lk_strpool_get(r->pool, a->name, &len);
        if ((st = lk_buf_printf(b, "%s\n[", n++ ? "," : "")) == LK_OK &&
            (st = lk_report_str(b, name, len)) == LK_OK)
            st = lk_buf_printf(b, ",%u", a->group + 1);
        for (size_t k = 0; k < RA_N && st == LK_OK; k++)
            if ((st = lk_buf_putc(b, ',')) == LK_OK)
                st = lk_report_num(b, a->v[k]);
        if (st == LK_OK)
            st = lk_buf_printf(b, ",%d]", (int)a->node);
    }
    return st == LK_OK ? lk_buf_append(b, "],\n", 3) : st;
}

static lk_status put_network(const lk_report *r, lk_buf *b)
{
    lk_status st = lk_buf_append(b, "\"nodes\":[", 9);

    for (size_t i = 0; i < r->nnodes && st == LK_OK; i++)
        st = lk_buf_printf(b, "%s[%d,%.1f,%.1f]", i ? "," : "", (int)r->acc[r->node_acc[i]].listed,
                           r->xy[2 * i], r->xy[2 * i + 1]);
    if (st == LK_OK)
        st = lk_buf_append(b, "],\n\"edges\":[", 12);
    for (size_t k = 0; k < r->nedges && st == LK_OK; k++) {
        const lk_redge *e = &r->edge[k];
        const double v[5] = {e->weight, e->score, e->sync, e->co_actions, e->mean_dt};
        st = lk_buf_printf(b, "%s[%u,%u", k ? (k % 8 ? "," : ",\n") : "", e->a, e->b);
        for (int j = 0; j < 5 && st == LK_OK; j++)
            if ((st = lk_buf_putc(b, ',')) == LK_OK)
                st = lk_report_num(b, v[j]);
        if (st == LK_OK)
            st = lk_buf_putc(b, ']');
    }
    return st == LK_OK ? lk_buf_append(b, "],\n", 3) : st;
}

static lk_status put_details(const lk_report *r, lk_buf *b)
{
    lk_status st = lk_buf_append(b, "\"details\":{", 11);
    size_t n = 0;

    for (size_t g = 0; g < r->ngrp && st == LK_OK; g++) {
        const lk_rgroup *p = &r->grp[g];
        if (!p->detail)
            continue;
        if ((st = lk_buf_printf(b, "%s\n\"%zu\":{\"objects\":[", n++ ? "," : "", g + 1)) == LK_OK &&
            (st = lk_buf_append(b, p->objects.p, p->objects.len)) == LK_OK &&
            (st = lk_buf_append(b, "],\"evidence\":[", 14)) == LK_OK &&
            (st = lk_buf_append(b, p->evidence.p, p->evidence.len)) == LK_OK)
            st = lk_buf_append(b, "]}", 2);
    }
    return st == LK_OK ? lk_buf_append(b, "}\n", 2) : st;
}

/* The data block: every table of the page in one JSON object. */
static lk_status put_data(const lk_report *r, lk_buf *b)
{
    lk_status st = lk_buf_printf(
        b,
        "{\"generator\":\"lockstep %s\",\n"
        "\"limits\":{\"max_nodes\":%u,\"max_edges\":%u,\"max_accounts\":%u,"
        "\"max_times\":%d,\"max_evidence\":%d,\"max_groups\":%d},\n"
        "\"totals\":{\"accounts\":%zu,\"edges\":%llu,\"groups\":%zu,\"nodes\":%zu,"
        "\"drawn_edges\":%zu,\"listed\":%zu,\"evidence\":%s},\n\"summary\":",
        lk_version(), r->o.max_nodes, r->o.max_edges, r->o.max_accounts, LK_REPORT_MAX_TIMES,
        LK_REPORT_MAX_EVIDENCE, LK_REPORT_MAX_GROUPS, r->nacc, (unsigned long long)r->edges_total,
        r->ngrp, r->nnodes, r->nedges, r->nlisted, r->have_evidence ? "true" : "false");

    if (st == LK_OK && (st = lk_buf_append(b, r->summary.p, r->summary.len)) == LK_OK &&
        (st = lk_buf_append(b, ",\n", 2)) == LK_OK && (st = put_groups(r, b)) == LK_OK &&
        (st = put_accounts(r, b)) == LK_OK && (st = put_network(r, b)) == LK_OK &&
        (st = put_details(r, b)) == LK_OK)
        st = lk_buf_putc(b, '}');
    return st;
}

/* One template marker and what replaces it. */
typedef struct marker {
    const char *name;
    const void *text;
    size_t len;
} marker;

lk_status lk_report_emit(const lk_report *r, const char *dir, const char *name)
{
    const char *tpl = (const char *)lk_report_html;
    const size_t tlen = lk_report_html_len;
    char nonce[24];
    lk_buf data;
    lk_outfile *f = NULL;
    lk_status st;
    size_t pos = 0, run = 0;

    lk_buf_init(&data);
    if ((st = put_data(r, &data)) != LK_OK)
        goto fail;
    (void)snprintf(nonce, sizeof nonce, "%016llx", (unsigned long long)lk_hash64(data.p, data.len));
    {
        const marker marks[] = {
            {"@LK_NONCE@", nonce, strlen(nonce)},
            {"@LK_CSS@", lk_report_css, lk_report_css_len},
            {"@LK_JS@", lk_report_js, lk_report_js_len},
            {"@LK_DATA@", data.p, data.len},
        };
        if ((st = lk_out_open(dir, name, &f, r->errmsg)) != LK_OK)
            goto fail;
        while (pos < tlen) {
            const char *at = memchr(tpl + pos, '@', tlen - pos);
            size_t k = 0;
            if (!at)
                break;
            pos = (size_t)(at - tpl);
            while (k < sizeof marks / sizeof marks[0] &&
                   (tlen - pos < strlen(marks[k].name) ||
                    memcmp(tpl + pos, marks[k].name, strlen(marks[k].name)) != 0))
                k++;
            if (k == sizeof marks / sizeof marks[0]) {
                pos++;
                continue;
            }
            lk_out_write(f, tpl + run, pos - run);
            lk_out_write(f, marks[k].text, marks[k].len);
            pos += strlen(marks[k].name);
            run = pos;
        }
        lk_out_write(f, tpl + run, tlen - run);
    }
    lk_buf_release(&data);
    return lk_out_close(f, r->errmsg);
fail:
    lk_buf_release(&data);
    lk_out_abort(f);
    return st;
}
