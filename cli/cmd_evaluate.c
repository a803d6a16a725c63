/* cmd_evaluate.c - `lockstep evaluate`: score a detect output folder against truth.csv. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_TRUTH = LK_OPT_CMD_BASE };

static const struct option longopts[] = {
    {"truth", required_argument, NULL, OPT_TRUTH},
    {"out", required_argument, NULL, 'o'},
    LK_GLOBAL_OPTIONS,
    {NULL, 0, NULL, 0},
};

static const char shortopts[] = ":o:" LK_GLOBAL_SHORTOPTS;

static void usage(FILE *f, const lk_cli *c)
{
    (void)fprintf(f,
                  "Usage: lockstep evaluate --truth FILE [options] DIR\n"
                  "\n"
                  "Score the output folder DIR of lockstep detect against the truth.csv of\n"
                  "lockstep simulate (account_id,label,group; columns found by name).  Positives\n"
                  "are accounts labelled coordinated; DIR/accounts.csv lists the flagged ones.\n"
                  "Prints precision, recall and F1, the false-positive rate of every other label\n"
                  "and, per planted group, the share of its members found together in one\n"
                  "detected group.  Ratios with a zero denominator are 0.  Plain, gzip or zstd.\n");
    lk_cli_help_heading(f, "Input");
    lk_cli_help_opt(f, "--truth FILE", "truth CSV written by lockstep simulate (required)");
    lk_cli_help_heading(f, "Output");
    lk_cli_help_opt(f, "-o, --out FILE",
                    "JSON report; - is standard output (then no summary)\n"
                    "[DIR/evaluation.json]");
    lk_cli_help_global(f, c, 0);
    (void)fprintf(f, "  (--seed is ignored too: nothing here is random)\n");
    (void)fprintf(f, "\nExit status: 0 success, 1 input or runtime error, 2 usage error.\n");
}

/* The compact summary: one headline, one line per other label, one per
 * planted group.  The JSON report has the same numbers. */
static void print_summary(const lk_eval_result *r)
{
    (void)printf("precision %.6g recall %.6g F1 %.6g; TP %llu FP %llu FN %llu; "
                 "%llu flagged (%llu unknown), %llu coordinated; group recovery %.6g\n",
                 r->precision, r->recall, r->f1, (unsigned long long)r->tp,
                 (unsigned long long)r->fp, (unsigned long long)r->fn,
                 (unsigned long long)r->flagged, (unsigned long long)r->unknown_accounts,
                 (unsigned long long)r->positives, r->group_recovery);
    for (size_t i = 0; i < r->nclasses; i++) {
        const lk_eval_class *k = &r->classes[i];
        (void)printf("FPR %s %.6g (%llu of %llu)\n", k->label, k->rate,
                     (unsigned long long)k->flagged, (unsigned long long)k->accounts);
    }
    for (size_t i = 0; i < r->ngroups; i++) {
        const lk_eval_group *g = &r->groups[i];
        (void)printf("group %s: found %llu of %llu; share %.6g", g->group,
                     (unsigned long long)g->found, (unsigned long long)g->size, g->share);
        if (g->best)
            (void)printf(" in detected group %s (+%llu others)", g->best,
                         (unsigned long long)g->best_others);
        (void)printf("\n");
    }
}

int lk_cmd_evaluate(int argc, char **argv)
{
    char errbuf[512] = "";
    char *def_out = NULL;
    lk_eval_opts o;
    lk_eval_result r;
    lk_status st;
    lk_cli c;
    int opt, rc = LK_EXIT_OK;

    lk_eval_opts_init(&o);
    lk_cli_init(&c, "evaluate");

    opterr = 0;
    optind = 0; /* GNU: also resets getopt's internal state between commands */
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (opt == '?' || opt == ':')
            return lk_cli_getopt_error(&c, opt, argv, longopts);
        if (opt == OPT_TRUTH || opt == 'o') {
            if (!*optarg)
                return lk_cli_usage_error(&c, "--%s needs a file name",
                                          opt == 'o' ? "out" : "truth");
            *(opt == 'o' ? &o.out : &o.truth) = optarg;
        } else if (lk_cli_global_opt(&c, opt, optarg) != 0) {
            return LK_EXIT_USAGE;
        }
    }
    if (c.help) {
        usage(stdout, &c);
        return LK_EXIT_OK;
    }
    if (!o.truth)
        return lk_cli_usage_error(&c, "missing --truth FILE");
    if (optind >= argc)
        return lk_cli_usage_error(&c, "missing the detect output folder DIR");
    if (optind + 1 < argc)
        return lk_cli_usage_error(&c, "unexpected argument '%s' (one DIR only)", argv[optind + 1]);
    o.dir = argv[optind];
    if (!o.out) {
        const size_t len = strlen(o.dir) + sizeof "/evaluation.json";
        if (!(def_out = malloc(len))) {
            lk_cli_msg(&c, "out of memory");
            return LK_EXIT_FAILURE;
        }
        (void)snprintf(def_out, len, "%s/evaluation.json", o.dir);
        o.out = def_out;
    }

    lk_cli_log_install(&c);
    st = lk_evaluate(&o, &r, errbuf, sizeof errbuf);
    lk_set_log_fn(NULL, NULL, LK_LOG_ERROR); /* the sink points into this frame */
    if (st != LK_OK) {
        lk_cli_msg(&c, "%s", errbuf[0] ? errbuf : lk_strerror(st));
        rc = LK_EXIT_FAILURE;
        goto cleanup;
    }
    /* with --out - standard output holds the JSON and nothing else; -q
     * means errors only, here as in every command */
    if (strcmp(o.out, "-") != 0 && !c.quiet) {
        print_summary(&r);
        lk_cli_msg(&c, "report in '%s'", o.out);
    }
    lk_eval_result_release(&r);

cleanup:
    free(def_out);
    return rc;
}
