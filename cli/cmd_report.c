/* cmd_report.c - `lockstep report`: (re)build report.html from a detect output folder. */
#include <string.h>

#include "cli.h"

enum { OPT_MAX_NODES = LK_OPT_CMD_BASE, OPT_MAX_EDGES, OPT_MAX_ACCOUNTS };

static const struct option longopts[] = {
    {"out", required_argument, NULL, 'o'},
    {"max-nodes", required_argument, NULL, OPT_MAX_NODES},
    {"max-edges", required_argument, NULL, OPT_MAX_EDGES},
    {"max-accounts", required_argument, NULL, OPT_MAX_ACCOUNTS},
    LK_GLOBAL_OPTIONS,
    {NULL, 0, NULL, 0},
};

static const char shortopts[] = ":o:" LK_GLOBAL_SHORTOPTS;

static void usage(FILE *f, const lk_report_opts *o, const lk_cli *c)
{
    (void)fprintf(f, "Usage: lockstep report [options] DIR\n"
                     "\n"
                     "Write the analyst's report of the detect output folder DIR: one\n"
                     "self-contained HTML file (no network requests) with the run summary, the\n"
                     "coordinated network, a section per group (members, binding objects, a\n"
                     "timeline, evidence), account search and sortable tables.  detect writes\n"
                     "the same file into its folder unless --no-report; this command rebuilds it,\n"
                     "byte for byte with the default limits.  Folders of --compat runs have no\n"
                     "report.\n");
    lk_cli_help_heading(f, "Output");
    lk_cli_help_opt(f, "-o, --out FILE", "the HTML file [DIR/report.html]");
    lk_cli_help_heading(f, "Limits");
    lk_cli_help_opt(f, "--max-nodes N",
                    "accounts drawn: the largest groups that fit whole;\n"
                    "the other groups are summarised [%u]",
                    o->max_nodes);
    lk_cli_help_opt(f, "--max-edges N", "edges drawn, the heaviest first [%u]", o->max_edges);
    lk_cli_help_opt(f, "--max-accounts N", "accounts listed for the search box [%u]",
                    o->max_accounts);
    lk_cli_help_global(f, c, 0);
    (void)fprintf(f, "  (--seed is ignored too: the layout uses the run's seed)\n");
    (void)fprintf(f, "\nExit status: 0 success, 1 input or runtime error, 2 usage error.\n");
}

static int set_limit(const lk_cli *c, const char *name, const char *arg, uint32_t *out)
{
    uint64_t v;

    if (lk_cli_parse_count(arg, UINT32_MAX, &v) != 0 || v == 0)
        return lk_cli_usage_error(c, "bad --%s value '%s' (expected a count > 0)", name, arg);
    *out = (uint32_t)v;
    return 0;
}

int lk_cmd_report(int argc, char **argv)
{
    char errbuf[512] = "";
    lk_report_opts o;
    lk_status st;
    lk_cli c;
    int opt, bad = 0;

    lk_report_opts_init(&o);
    lk_cli_init(&c, "report");

    opterr = 0;
    optind = 0; /* GNU: also resets getopt's internal state between commands */
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (opt == '?' || opt == ':')
            return lk_cli_getopt_error(&c, opt, argv, longopts);
        if (opt == 'o') {
            if (!*optarg)
                return lk_cli_usage_error(&c, "--out needs a file name");
            o.out = optarg;
        } else if (opt == OPT_MAX_NODES) {
            bad = set_limit(&c, "max-nodes", optarg, &o.max_nodes);
        } else if (opt == OPT_MAX_EDGES) {
            bad = set_limit(&c, "max-edges", optarg, &o.max_edges);
        } else if (opt == OPT_MAX_ACCOUNTS) {
            bad = set_limit(&c, "max-accounts", optarg, &o.max_accounts);
        } else {
            bad = lk_cli_global_opt(&c, opt, optarg);
        }
        if (bad)
            return LK_EXIT_USAGE;
    }
    if (c.help) {
        usage(stdout, &o, &c);
        return LK_EXIT_OK;
    }
    if (optind >= argc)
        return lk_cli_usage_error(&c, "missing the detect output folder DIR");
    if (optind + 1 < argc)
        return lk_cli_usage_error(&c, "unexpected argument '%s' (one DIR only)", argv[optind + 1]);
    o.dir = argv[optind];
    if (o.max_accounts < o.max_nodes)
        o.max_accounts = o.max_nodes; /* every drawn account is searchable */

    lk_cli_log_install(&c);
    st = lk_report_write(&o, errbuf, sizeof errbuf);
    lk_set_log_fn(NULL, NULL, LK_LOG_ERROR); /* the sink points into this frame */
    if (st != LK_OK) {
        lk_cli_msg(&c, "%s", errbuf[0] ? errbuf : lk_strerror(st));
        return LK_EXIT_FAILURE;
    }
    if (!c.quiet) {
        if (o.out)
            lk_cli_msg(&c, "report in '%s'", o.out);
        else
            lk_cli_msg(&c, "report in '%s/report.html'", o.dir);
    }
    return LK_EXIT_OK;
}
