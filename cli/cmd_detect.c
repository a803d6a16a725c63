/* cmd_detect.c - `lockstep detect`: options -> lk_detect_opts, run, summary line. */
#include <string.h>
#include <sys/resource.h>

#include "cli.h"

enum {
    OPT_THRESHOLD = LK_OPT_INPUT_END,
    OPT_FDR,
    OPT_NEAR_TEXT,
    OPT_MIN_SYNC,
    OPT_NULL_SAMPLE,
    OPT_EDGE_QUANTILE,
    OPT_COMPAT,
    OPT_KEEP_LOOPS,
    OPT_RESOLUTION,
    OPT_NO_EVIDENCE,
    OPT_MAX_BURST,
    OPT_EVIDENCE_PER_EDGE,
    OPT_NO_REPORT
};

static const struct option longopts[] = {
    LK_INPUT_OPTIONS,
    {"window", required_argument, NULL, 'w'},
    {"min-participation", required_argument, NULL, 'm'},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"fdr", required_argument, NULL, OPT_FDR},
    {"near-text-threshold", required_argument, NULL, OPT_NEAR_TEXT},
    {"min-sync", required_argument, NULL, OPT_MIN_SYNC},
    {"null-sample", required_argument, NULL, OPT_NULL_SAMPLE},
    {"resolution", required_argument, NULL, OPT_RESOLUTION},
    {"compat", required_argument, NULL, OPT_COMPAT},
    {"edge-quantile", required_argument, NULL, OPT_EDGE_QUANTILE},
    {"keep-loops", no_argument, NULL, OPT_KEEP_LOOPS},
    {"out", required_argument, NULL, 'o'},
    {"no-evidence", no_argument, NULL, OPT_NO_EVIDENCE},
    {"max-burst", required_argument, NULL, OPT_MAX_BURST},
    {"evidence-per-edge", required_argument, NULL, OPT_EVIDENCE_PER_EDGE},
    {"no-report", no_argument, NULL, OPT_NO_REPORT},
    LK_GLOBAL_OPTIONS,
    {NULL, 0, NULL, 0},
};

/* Leading ':' makes getopt_long tell a missing value (':') from an unknown
 * option ('?') and stay silent, so that every message has our format. */
static const char shortopts[] = ":w:m:o:" LK_GLOBAL_SHORTOPTS;

static const char *compat_name(lk_compat c)
{
    switch (c) {
    case LK_COMPAT_COORTWEET:
        return "coortweet";
    case LK_COMPAT_QUT:
        return "qut";
    case LK_COMPAT_NONE:
        break;
    }
    return "none";
}

static void usage(FILE *f, const lk_detect_opts *o, const lk_cli *c)
{
    char dur[32], thr[48];

    (void)fprintf(f,
                  "Usage: lockstep detect [options] INPUT...\n"
                  "\n"
                  "Find groups of accounts that act on the same objects within a short time\n"
                  "window, again and again.  INPUT is a file of any supported format (CSV\n"
                  "exports, JSON lines, Telegram's result.json), plain, gzip or zstd ('-' reads\n"
                  "standard input).  Tables and summary.json are written to the --out folder.\n");

    lk_cli_help_heading(f, "Input");
    lk_cli_help_opt(f, "--format FMT",
                    "input format, sniffed when auto: generic, qut,\n"
                    "twitter-io, twarc-csv, ira-538, crowdtangle, mcl,\n"
                    "twitter-v1, twitter-v2, pushshift, telegram, bluesky,\n"
                    "mastodon [%s]",
                    o->format);
    lk_cli_help_opt(f, "--traces LIST",
                    "what counts as the same object: share, quote, reply,\n"
                    "url, domain, hashtag, mention, text, near-text; all;\n"
                    "default = all but domain [%s]",
                    o->traces);
    lk_cli_help_opt(f, "--near-text-threshold J",
                    "near-text: least Jaccard similarity of word pairs [%.6g]",
                    o->near_text_threshold);
    lk_cli_help_columns(f, o->col_object, o->col_account, o->col_content, o->col_time, o->on_error);

    lk_cli_help_heading(f, "Detection");
    lk_cli_help_opt(f, "-w, --window DUR",
                    "co-action window |dt| <= DUR (ms, s, m, h, d); DUR\n"
                    "or auto (estimated from the data, see\n"
                    "lockstep-detect(1)) [%s]",
                    o->window_ms == LK_WINDOW_AUTO
                        ? "auto"
                        : lk_cli_fmt_duration(o->window_ms, dur, sizeof dur));
    lk_cli_help_opt(f, "-m, --min-participation N", "ignore accounts with fewer actions [%lld]",
                    (long long)o->min_participation);
    if (o->threshold == LK_THRESHOLD_FDR)
        (void)snprintf(thr, sizeof thr, "fdr");
    else
        (void)snprintf(thr, sizeof thr, "%s:%.6g",
                       o->threshold == LK_THRESHOLD_QUANTILE ? "quantile" : "weight",
                       o->threshold_value);
    lk_cli_help_opt(f, "--threshold KIND",
                    "fdr: calibrated against a null model (see --fdr,\n"
                    "--min-sync); weight:N keeps edges of weight >= N;\n"
                    "quantile:P keeps edges above the P-quantile of all\n"
                    "weights.  --compat modes use their tool's rule [%s]",
                    thr);
    lk_cli_help_opt(f, "--fdr P", "false-discovery rate of the calibrated threshold [%.6g]",
                    o->fdr);
    lk_cli_help_opt(f, "--min-sync S",
                    "calibrated: least share of the objects two accounts\n"
                    "both acted on that they acted on within the window [%.6g]",
                    o->min_sync);
    if (o->null_sample)
        (void)snprintf(thr, sizeof thr, "%u", o->null_sample);
    else
        (void)snprintf(thr, sizeof thr, "auto");
    lk_cli_help_opt(f, "--null-sample N",
                    "calibrated: the null models aggregate one in N\n"
                    "account pairs (1, 2, 4 .. 65536), each of their\n"
                    "edges counted N times; auto: 1 up to 2^27 pairs in\n"
                    "the window, then enough for 2^26 of them [%s]",
                    thr);
    lk_cli_help_opt(f, "--resolution R", "Leiden resolution; higher gives smaller groups [%.6g]",
                    o->resolution);
    lk_cli_help_opt(f, "--compat MODE", "tables of another tool: none, coortweet, qut [%s]",
                    compat_name(o->compat));
    lk_cli_help_opt(f, "--edge-quantile Q", "coortweet: quantile for weight_threshold [%.6g]",
                    o->edge_quantile);
    lk_cli_help_opt(f, "--keep-loops", "compat modes: keep self-loops and same-content pairs");
    lk_cli_help_opt(f, "--max-burst N",
                    "ignore co-actions of an action with more than N others\n"
                    "on its object within the window (viral bursts); 0 = all [%llu]",
                    (unsigned long long)o->max_burst);

    lk_cli_help_heading(f, "Output");
    lk_cli_help_opt(f, "-o, --out DIR", "output folder, created if missing [%s]", o->out_dir);
    lk_cli_help_opt(f, "--no-evidence", "do not write evidence.csv");
    lk_cli_help_opt(f, "--evidence-per-edge N",
                    "evidence.csv: the N rarest objects of each edge;\n"
                    "0 = every object [%u]",
                    o->evidence_per_edge);
    lk_cli_help_opt(f, "--no-report", "do not write report.html (never written under --compat)");

    lk_cli_help_global(f, c, LK_CLI_G_RESOURCES);
    (void)fprintf(f, "\nExit status: 0 success, 1 runtime or data error, 2 usage error.\n");
}

static int parse_threshold(const lk_cli *c, const char *arg, lk_detect_opts *o)
{
    const char *colon = strchr(arg, ':');
    const size_t klen = colon ? (size_t)(colon - arg) : strlen(arg);
    double v;

    if (klen == 3 && strncmp(arg, "fdr", 3) == 0) {
        if (colon) {
            if (lk_cli_parse_double(colon + 1, 1e-12, 0.999999, &v) != 0)
                return lk_cli_usage_error(c, "bad --threshold fdr '%s' (expected 0 < P < 1)",
                                          colon + 1);
            o->fdr = v;
        }
        o->threshold = LK_THRESHOLD_FDR;
        return 0;
    }
    if (colon && klen == 6 && strncmp(arg, "weight", 6) == 0) {
        if (lk_cli_parse_double(colon + 1, 0.0, 1e18, &v) != 0)
            return lk_cli_usage_error(c, "bad --threshold weight '%s' (expected a number >= 0)",
                                      colon + 1);
        o->threshold = LK_THRESHOLD_WEIGHT;
        o->threshold_value = v;
        return 0;
    }
    if (colon && klen == 8 && strncmp(arg, "quantile", 8) == 0) {
        if (lk_cli_parse_double(colon + 1, 0.0, 1.0, &v) != 0)
            return lk_cli_usage_error(c, "bad --threshold quantile '%s' (expected 0 to 1)",
                                      colon + 1);
        o->threshold = LK_THRESHOLD_QUANTILE;
        o->threshold_value = v;
        return 0;
    }
    return lk_cli_usage_error(
        c, "bad --threshold value '%s' (expected fdr, fdr:P, weight:N or quantile:P)", arg);
}

/* One option of the detect table; returns 0 or LK_EXIT_USAGE. */
static int set_option(lk_cli *c, int opt, const char *arg, lk_detect_opts *o)
{
    uint64_t u;
    double v;

    if (lk_cli_is_input_opt(opt)) {
        const lk_cli_input in = {&o->format,      &o->traces,   &o->col_object, &o->col_account,
                                 &o->col_content, &o->col_time, &o->on_error};
        return lk_cli_input_set(c, (lk_cli_input_opt)(opt - LK_OPT_INPUT_BASE), arg, &in);
    }
    switch (opt) {
    case 'w':
        if (strcmp(arg, "auto") == 0)
            o->window_ms = LK_WINDOW_AUTO;
        else if (lk_parse_duration_ms(arg, &o->window_ms) != LK_OK)
            return lk_cli_usage_error(c,
                                      "bad --window value '%s' (expected a duration such as 60, "
                                      "30s, 5m or 250ms, or auto)",
                                      arg);
        return 0;
    case 'm':
        if (lk_cli_parse_u64(arg, (uint64_t)INT64_MAX, &u) != 0)
            return lk_cli_usage_error(
                c, "bad --min-participation value '%s' (expected a whole number)", arg);
        o->min_participation = (int64_t)u;
        return 0;
    case OPT_FDR:
        if (lk_cli_parse_double(arg, 1e-12, 0.999999, &v) != 0)
            return lk_cli_usage_error(c, "bad --fdr value '%s' (expected 0 < P < 1)", arg);
        o->fdr = v;
        o->threshold = LK_THRESHOLD_FDR;
        return 0;
    case OPT_NEAR_TEXT:
        if (lk_cli_parse_double(arg, 1e-9, 1.0, &v) != 0)
            return lk_cli_usage_error(
                c, "bad --near-text-threshold value '%s' (expected 0 < J <= 1)", arg);
        o->near_text_threshold = v;
        return 0;
    case OPT_MIN_SYNC:
        if (lk_cli_parse_double(arg, 0.0, 1.0, &v) != 0)
            return lk_cli_usage_error(c, "bad --min-sync value '%s' (expected 0 to 1)", arg);
        o->min_sync = v;
        return 0;
    case OPT_NULL_SAMPLE:
        if (strcmp(arg, "auto") == 0) {
            o->null_sample = 0;
            return 0;
        }
        if (lk_cli_parse_u64(arg, 65536, &u) != 0 || u == 0 || (u & (u - 1)) != 0)
            return lk_cli_usage_error(
                c, "bad --null-sample value '%s' (expected auto or a power of two, 1 to 65536)",
                arg);
        o->null_sample = (unsigned)u;
        return 0;
    case OPT_THRESHOLD:
        return parse_threshold(c, arg, o);
    case OPT_RESOLUTION:
        if (lk_cli_parse_double(arg, 0.0, 1e9, &v) != 0 || v <= 0.0)
            return lk_cli_usage_error(c, "bad --resolution value '%s' (expected a number > 0)",
                                      arg);
        o->resolution = v;
        return 0;
    case OPT_COMPAT:
        if (strcmp(arg, "none") == 0)
            o->compat = LK_COMPAT_NONE;
        else if (strcmp(arg, "coortweet") == 0)
            o->compat = LK_COMPAT_COORTWEET;
        else if (strcmp(arg, "qut") == 0)
            o->compat = LK_COMPAT_QUT;
        else
            return lk_cli_usage_error(
                c, "bad --compat value '%s' (expected none, coortweet or qut)", arg);
        return 0;
    case OPT_EDGE_QUANTILE:
        if (lk_cli_parse_double(arg, 0.0, 1.0, &o->edge_quantile) != 0)
            return lk_cli_usage_error(c, "bad --edge-quantile value '%s' (expected 0 to 1)", arg);
        return 0;
    case OPT_KEEP_LOOPS:
        o->keep_loops = 1;
        return 0;
    case 'o':
        if (!*arg)
            return lk_cli_usage_error(c, "--out needs a folder name");
        o->out_dir = arg;
        return 0;
    case OPT_EVIDENCE_PER_EDGE: {
        uint64_t n;
        if (lk_cli_parse_u64(arg, UINT32_MAX, &n) != 0)
            return lk_cli_usage_error(
                c, "bad --evidence-per-edge value '%s' (expected a count; 0 = all)", arg);
        o->evidence_per_edge = (uint32_t)n;
        return 0;
    }
    case OPT_MAX_BURST:
        if (lk_cli_parse_u64(arg, UINT64_MAX, &o->max_burst) != 0)
            return lk_cli_usage_error(
                c, "bad --max-burst value '%s' (expected a count; 0 = no cap)", arg);
        return 0;
    case OPT_NO_EVIDENCE:
        o->write_evidence = 0;
        return 0;
    case OPT_NO_REPORT:
        o->write_report = 0;
        return 0;
    default:
        break;
    }
    return lk_cli_global_opt(c, opt, arg);
}

/* Bytes as "12.3 MB" / "5.1 GB" (decimal units, as the labels say). */
static const char *fmt_mem(uint64_t bytes, char *buf, size_t len)
{
    if (bytes >= 1000ull * 1000 * 1000)
        (void)snprintf(buf, len, "%.1f GB", (double)bytes / 1e9);
    else
        (void)snprintf(buf, len, "%.1f MB", (double)bytes / 1e6);
    return buf;
}

/* The process's peak RSS when the library did not measure it. */
static uint64_t own_peak_rss(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
}

static void print_summary(const lk_cli *c, const lk_detect_opts *o, const lk_detect_stats *s,
                          double wall)
{
    char mem[32];
    const uint64_t rss = s->peak_rss_bytes ? s->peak_rss_bytes : own_peak_rss();

    lk_cli_msg(c,
               "%llu rows (%llu used, %llu skipped), %llu accounts, %llu edges, "
               "%llu coordinated edges, %llu groups; %.2f s wall, %.2f s CPU, peak RSS %s; "
               "results in '%s'",
               (unsigned long long)s->rows_read, (unsigned long long)s->rows_used,
               (unsigned long long)s->rows_skipped, (unsigned long long)s->accounts,
               (unsigned long long)s->edges, (unsigned long long)s->coord_edges,
               (unsigned long long)s->groups, wall, lk_cli_cpu_seconds(),
               fmt_mem(rss, mem, sizeof mem), o->out_dir);
}

int lk_cmd_detect(int argc, char **argv)
{
    const double t0 = lk_cli_now();
    lk_detect_opts o;
    lk_detect_stats stats;
    lk_detect *d = NULL;
    lk_status st = LK_OK;
    lk_cli c;
    int opt, rc = LK_EXIT_OK;

    lk_detect_opts_init(&o);
    lk_cli_init(&c, "detect");
    c.threads = o.threads;
    c.max_mem = o.max_mem;
    c.tmp_dir = o.tmp_dir;
    c.seed = o.seed;

    opterr = 0;
    optind = 0; /* GNU: also resets getopt's internal state between commands */
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (opt == '?' || opt == ':')
            return lk_cli_getopt_error(&c, opt, argv, longopts);
        if (set_option(&c, opt, optarg, &o) != 0)
            return LK_EXIT_USAGE;
    }
    if (c.help) {
        usage(stdout, &o, &c);
        return LK_EXIT_OK;
    }
    if (optind >= argc)
        return lk_cli_usage_error(&c, "no INPUT given");

    o.threads = c.threads;
    o.max_mem = c.max_mem;
    o.tmp_dir = c.tmp_dir;
    o.seed = c.seed;
    o.progress = c.progress;
    lk_cli_log_install(&c);

    d = lk_detect_new(&o);
    if (!d) {
        lk_cli_msg(&c, "out of memory setting up the run");
        return LK_EXIT_FAILURE;
    }
    for (int i = optind; i < argc && st == LK_OK; i++)
        st = lk_detect_add_input(d, argv[i]);
    if (st == LK_OK)
        st = lk_detect_run(d);
    if (st != LK_OK) {
        const char *msg = lk_detect_errmsg(d);
        lk_cli_msg(&c, "%s", msg && *msg ? msg : lk_strerror(st));
        rc = LK_EXIT_FAILURE;
    } else if (!c.quiet) {
        lk_detect_get_stats(d, &stats);
        print_summary(&c, &o, &stats, lk_cli_now() - t0);
    }
    lk_detect_free(d);
    lk_set_log_fn(NULL, NULL, LK_LOG_ERROR); /* the sink points into this frame */
    return rc;
}
