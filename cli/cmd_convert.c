/* cmd_convert.c - `lockstep convert`: any supported input -> generic action CSV. */
#include <string.h>

#include "cli.h"

static const struct option longopts[] = {
    LK_INPUT_OPTIONS,
    {"out", required_argument, NULL, 'o'},
    LK_GLOBAL_OPTIONS,
    {NULL, 0, NULL, 0},
};

static const char shortopts[] = ":o:" LK_GLOBAL_SHORTOPTS;

static void usage(FILE *f, const lk_convert_opts *o, const lk_cli *c)
{
    (void)fprintf(f,
                  "Usage: lockstep convert [options] INPUT...\n"
                  "\n"
                  "Read any supported input (the formats of lockstep detect, plain, gzip or zstd)\n"
                  "and write the generic action CSV, one row per action:\n"
                  "  object_id,account_id,content_id,timestamp_share,trace\n"
                  "Objects are normalised as detect sees them (URL keys, folded hashtags,\n"
                  "normalised texts; near-text is computed by detect, not written); timestamps\n"
                  "are epoch seconds.  lockstep detect, R, pandas, CooRTweet\n"
                  "and the QUT toolkit read it.  The run summary goes to standard error.\n");
    lk_cli_help_heading(f, "Input");
    lk_cli_help_opt(f, "--format FMT", "input format (see lockstep help detect) [%s]", o->format);
    lk_cli_help_opt(f, "--traces LIST", "traces to extract (see lockstep help detect) [%s]",
                    o->traces);
    lk_cli_help_columns(f, o->col_object, o->col_account, o->col_content, o->col_time, o->on_error);
    lk_cli_help_heading(f, "Output");
    lk_cli_help_opt(f, "-o, --out FILE", "output file; - is standard output [%s]", o->out);
    lk_cli_help_global(f, c, LK_CLI_G_THREADS);
    (void)fprintf(f, "\nExit status: 0 success, 1 input or runtime error, 2 usage error.\n");
}

static int set_option(lk_cli *c, int opt, const char *arg, lk_convert_opts *o)
{
    if (lk_cli_is_input_opt(opt)) {
        const lk_cli_input in = {&o->format,      &o->traces,   &o->col_object, &o->col_account,
                                 &o->col_content, &o->col_time, &o->on_error};
        return lk_cli_input_set(c, (lk_cli_input_opt)(opt - LK_OPT_INPUT_BASE), arg, &in);
    }
    switch (opt) {
    case 'o':
        if (!*arg)
            return lk_cli_usage_error(c, "--out needs a file name (or -)");
        o->out = arg;
        return 0;
    default:
        break;
    }
    return lk_cli_global_opt(c, opt, arg);
}

int lk_cmd_convert(int argc, char **argv)
{
    const double t0 = lk_cli_now();
    char errbuf[512] = "", why[512] = "";
    lk_convert_opts o;
    lk_convert_stats stats;
    lk_status st;
    lk_cli c;
    int opt;

    lk_convert_opts_init(&o);
    lk_cli_init(&c, "convert");
    c.threads = o.threads;
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
    lk_cli_log_install(&c);
    o.threads = c.threads;
    st = lk_convert(&o, (const char *const *)(argv + optind), (size_t)(argc - optind), &stats, why,
                    sizeof why, errbuf, sizeof errbuf);
    lk_set_log_fn(NULL, NULL, LK_LOG_ERROR); /* the sink points into this frame */
    if (st != LK_OK) {
        lk_cli_msg(&c, "%s", errbuf[0] ? errbuf : lk_strerror(st));
        return LK_EXIT_FAILURE;
    }
    if (!c.quiet)
        lk_cli_msg(&c, "%llu rows (%llu used, %llu skipped%s%s), %llu actions; %.2f s wall",
                   (unsigned long long)stats.rows_read, (unsigned long long)stats.rows_used,
                   (unsigned long long)stats.rows_skipped, why[0] ? ": " : "", why,
                   (unsigned long long)stats.actions, lk_cli_now() - t0);
    return LK_EXIT_OK;
}
