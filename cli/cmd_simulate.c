/* cmd_simulate.c - `lockstep simulate`: seeded synthetic data with planted groups. */
#include <string.h>

#include "cli.h"

enum {
    OPT_ACTIONS = LK_OPT_CMD_BASE,
    OPT_ACCOUNTS,
    OPT_GROUPS,
    OPT_GROUP_SIZE,
    OPT_MAX_POPULARITY,
    OPT_SPAN,
    OPT_KINDS,
    OPT_NO_TWEETS
};

static const struct option longopts[] = {
    {"actions", required_argument, NULL, OPT_ACTIONS},
    {"accounts", required_argument, NULL, OPT_ACCOUNTS},
    {"groups", required_argument, NULL, OPT_GROUPS},
    {"group-size", required_argument, NULL, OPT_GROUP_SIZE},
    {"max-popularity", required_argument, NULL, OPT_MAX_POPULARITY},
    {"span", required_argument, NULL, OPT_SPAN},
    {"kinds", required_argument, NULL, OPT_KINDS},
    {"no-tweets", no_argument, NULL, OPT_NO_TWEETS},
    {"out", required_argument, NULL, 'o'},
    LK_GLOBAL_OPTIONS,
    {NULL, 0, NULL, 0},
};

static const char shortopts[] = ":o:" LK_GLOBAL_SHORTOPTS;

static void usage(FILE *f, const lk_simulate_opts *o, const lk_cli *c)
{
    char dur[32];

    (void)fprintf(
        f, "Usage: lockstep simulate [options]\n"
           "\n"
           "Write synthetic posts (retweets, replies, quotes, originals with text, links,\n"
           "hashtags, mentions) of an organic population with planted coordinated groups:\n"
           "actions.csv (generic object_id,account_id,content_id,timestamp_share,trace;\n"
           "one row per action), tweets.csv (the same posts as a Twitter IO-archive tweets\n"
           "file) and truth.csv (account_id,label,group,kind).  The same options and --seed\n"
           "give byte-identical files.  Counts accept K, M, G (x1000).\n");

    lk_cli_help_heading(f, "Data");
    lk_cli_help_opt(f, "--actions N", "approximate number of action rows [%llu]",
                    (unsigned long long)o->actions);
    if (o->accounts)
        lk_cli_help_opt(f, "--accounts N", "organic accounts [%llu]",
                        (unsigned long long)o->accounts);
    else
        lk_cli_help_opt(f, "--accounts N", "organic accounts; 0 = actions / 20 [0]");
    lk_cli_help_opt(f, "--groups N", "planted coordinated groups [%u]", o->groups);
    lk_cli_help_opt(f, "--group-size N", "members per planted group [%u]", o->group_size);
    lk_cli_help_opt(f, "--max-popularity N", "posts in the largest cascade [%llu]",
                    (unsigned long long)o->max_popularity);
    lk_cli_help_opt(f, "--span DUR", "time span of the data; s, m, h, d [%s]",
                    lk_cli_fmt_duration(o->span_s * 1000, dur, sizeof dur));
    lk_cli_help_opt(f, "--kinds LIST",
                    "planted group kinds, given to the groups in turn:\n"
                    "retweet_ring, link_pusher, copypasta, hashtag_flood,\n"
                    "reply_swarm, slow_ring; all = these six [%s]",
                    o->kinds && *o->kinds ? o->kinds : "all");

    lk_cli_help_heading(f, "Output");
    lk_cli_help_opt(f, "-o, --out DIR", "output folder, created if missing [%s]", o->out_dir);
    lk_cli_help_opt(f, "--no-tweets", "do not write tweets.csv (the largest file)");

    lk_cli_help_global(f, c, 0);
    (void)fprintf(f, "\nExit status: 0 success, 1 runtime error, 2 usage error.\n");
}

/* A count option bounded by `max`; 0 or LK_EXIT_USAGE. */
static int count_opt(const lk_cli *c, const char *name, const char *arg, uint64_t min, uint64_t max,
                     uint64_t *out)
{
    if (lk_cli_parse_count(arg, max, out) != 0 || *out < min)
        return lk_cli_usage_error(
            c, "bad --%s value '%s' (expected a whole number >= %llu, such as 5000 or 10K)", name,
            arg, (unsigned long long)min);
    return 0;
}

static int set_option(lk_cli *c, int opt, const char *arg, lk_simulate_opts *o)
{
    uint64_t v = 0;
    int64_t ms;
    int rc;

    switch (opt) {
    case OPT_ACTIONS:
        return count_opt(c, "actions", arg, 1, (uint64_t)INT64_MAX, &o->actions);
    case OPT_ACCOUNTS:
        return count_opt(c, "accounts", arg, 0, UINT32_MAX, &o->accounts);
    case OPT_GROUPS:
        rc = count_opt(c, "groups", arg, 0, UINT32_MAX, &v);
        o->groups = (uint32_t)v;
        return rc;
    case OPT_GROUP_SIZE:
        /* A "group" of one account cannot co-act with anybody. */
        rc = count_opt(c, "group-size", arg, 2, UINT32_MAX, &v);
        o->group_size = (uint32_t)v;
        return rc;
    case OPT_MAX_POPULARITY:
        return count_opt(c, "max-popularity", arg, 1, (uint64_t)INT64_MAX, &o->max_popularity);
    case OPT_SPAN:
        /* The generator works in whole seconds. */
        if (lk_parse_duration_ms(arg, &ms) != LK_OK || ms < 1000 || ms % 1000 != 0)
            return lk_cli_usage_error(
                c, "bad --span value '%s' (expected whole seconds >= 1s, such as 3600 or 30d)",
                arg);
        o->span_s = ms / 1000;
        return 0;
    case OPT_KINDS: {
        char msg[256];

        if (lk_simulate_kinds_check(arg, msg, sizeof msg) != LK_OK)
            return lk_cli_usage_error(c, "bad --kinds value: %s", msg);
        o->kinds = arg;
        return 0;
    }
    case OPT_NO_TWEETS:
        o->write_tweets = 0;
        return 0;
    case 'o':
        if (!*arg)
            return lk_cli_usage_error(c, "--out needs a folder name");
        o->out_dir = arg;
        return 0;
    default:
        break;
    }
    return lk_cli_global_opt(c, opt, arg);
}

int lk_cmd_simulate(int argc, char **argv)
{
    const double t0 = lk_cli_now();
    char errbuf[512] = "";
    lk_simulate_opts o;
    lk_status st;
    lk_cli c;
    int opt;

    lk_simulate_opts_init(&o);
    lk_cli_init(&c, "simulate");
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
    if (optind < argc)
        return lk_cli_usage_error(&c, "unexpected argument '%s'", argv[optind]);

    o.seed = c.seed;
    lk_cli_log_install(&c);
    st = lk_simulate(&o, errbuf, sizeof errbuf);
    lk_set_log_fn(NULL, NULL, LK_LOG_ERROR); /* the sink points into this frame */
    if (st != LK_OK) {
        lk_cli_msg(&c, "%s", errbuf[0] ? errbuf : lk_strerror(st));
        return LK_EXIT_FAILURE;
    }
    if (!c.quiet)
        lk_cli_msg(&c,
                   "about %llu actions, %u groups of %u, seed %llu; %.2f s wall; "
                   "results in '%s'",
                   (unsigned long long)o.actions, o.groups, o.group_size,
                   (unsigned long long)o.seed, lk_cli_now() - t0, o.out_dir);
    return LK_EXIT_OK;
}
