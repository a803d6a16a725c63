/* main.c - the lockstep command: dispatch, help, version, exit status. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One row per subcommand, in the order `lockstep help` lists them.  A
 * command appears here only once it works end to end. */
static const struct lk_cmd {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} cmds[] = {
    {"detect", lk_cmd_detect, "find coordinated groups in activity data; writes --out DIR"},
    {"report", lk_cmd_report, "(re)build report.html from a detect output folder"},
    {"simulate", lk_cmd_simulate, "write synthetic activity with planted groups + truth.csv"},
    {"evaluate", lk_cmd_evaluate, "precision / recall / F1 of a detect output against truth"},
    {"convert", lk_cmd_convert, "any supported input -> the generic action CSV (with traces)"},
};

#define N_CMDS (sizeof cmds / sizeof cmds[0])

static void usage(FILE *f)
{
    (void)fprintf(f,
                  "Usage: lockstep <command> [options] [arguments]\n"
                  "\n"
                  "Detect coordinated inauthentic behaviour: groups of accounts that act on the\n"
                  "same posts, links or hashtags within seconds of each other, again and again.\n"
                  "\n"
                  "Commands:\n");
    for (size_t i = 0; i < N_CMDS; i++)
        (void)fprintf(f, "  %-10s  %s\n", cmds[i].name, cmds[i].summary);
    (void)fprintf(f,
                  "\n"
                  "Help and version:\n"
                  "  %-10s  %s\n"
                  "  %-10s  %s\n"
                  "\n"
                  "Run 'lockstep help <command>' for the options of one command.\n"
                  "Exit status: 0 success, 1 runtime or data error, 2 usage error.\n",
                  "help [CMD]", "show this list, or the options of CMD", "--version",
                  "print the version and exit");
}

static const struct lk_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < N_CMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static int not_a_command(const char *name)
{
    (void)fprintf(stderr, "lockstep: '%s' is not a lockstep command; see 'lockstep help'\n", name);
    return LK_EXIT_USAGE;
}

/* `lockstep help CMD` runs `lockstep CMD --help`, so there is a single
 * source of truth for each command's help text. */
static int help(int argc, char **argv)
{
    const struct lk_cmd *cmd;
    char help_opt[] = "--help";
    char *sub_argv[3];

    if (argc < 2) {
        usage(stdout);
        return LK_EXIT_OK;
    }
    if (argc > 2) {
        (void)fprintf(stderr, "lockstep: help takes at most one command; see 'lockstep help'\n");
        return LK_EXIT_USAGE;
    }
    cmd = find_cmd(argv[1]);
    if (!cmd)
        return not_a_command(argv[1]);
    sub_argv[0] = argv[1];
    sub_argv[1] = help_opt;
    sub_argv[2] = NULL;
    return cmd->fn(2, sub_argv);
}

/*
 * A full disk or closed pipe must not pass for success: output is only
 * known to be written once stdout is flushed and closed.  EPIPE (the reader
 * went away, e.g. `| head`) and EBADF (stdout was closed by the caller) are
 * not our failure, as in git and samtools.
 */
static int close_stdout(int rc)
{
    int err = 0;

    errno = 0;
    if (fflush(stdout) != 0)
        err = errno;
    else if (ferror(stdout))
        err = errno ? errno : EIO;
    if (fclose(stdout) != 0 && err == 0)
        err = errno;
    if (err == 0 || err == EPIPE || err == EBADF)
        return rc;
    (void)fprintf(stderr, "lockstep: cannot write to standard output: %s\n", strerror(err));
    return rc == LK_EXIT_OK ? LK_EXIT_FAILURE : rc;
}

/* mpirun (Open MPI's, or any PMIx launcher) marks the processes it starts:
 * only then is MPI initialised, so a plain run never touches it. */
static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}

/*
 * Join the MPI job.  Rank 0 speaks for all: the other ranks' stdout and
 * stderr streams go to /dev/null (glibc's are assignable variables; file
 * descriptors 1 and 2 stay, so a crash or sanitizer report still shows).
 * Their debug messages (-vv) alone still reach the real stderr
 * (lk_cli_rank_debug).
 * @return 0, or LK_EXIT_FAILURE after a message.
 */
static int join_mpi(int *argc, char ***argv)
{
    char msg[256];
    FILE *devnull;

    msg[0] = '\0';
    if (lk_dist_init(argc, argv, msg, sizeof msg) != LK_OK) {
        if (msg[0]) /* empty on the ranks rank 0 speaks for */
            (void)fprintf(stderr, "lockstep: started by mpirun, but %s\n", msg);
        lk_dist_finalize(); /* a rank that could not allocate is still in the job */
        return LK_EXIT_FAILURE;
    }
    if (lk_dist_rank() != 0 && (devnull = fopen("/dev/null", "w")) != NULL) {
        lk_cli_rank_debug = stderr;
        stdout = devnull;
        stderr = devnull;
    }
    return 0;
}

static void print_version(int argc, char **argv)
{
    (void)printf("lockstep %s\n", lk_version());
    /* `--version -v`: what this build can do (tests ask for "mpi") */
    if (argc > 2 && (strcmp(argv[2], "-v") == 0 || strcmp(argv[2], "--verbose") == 0))
        (void)printf("features: threads%s\n", lk_dist_available() ? " mpi" : "");
}

static int dispatch(int argc, char **argv)
{
    const struct lk_cmd *cmd;
    const char *name;

    if (argc < 2) {
        usage(stderr);
        return LK_EXIT_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return help(argc - 1, argv + 1);
    if (strcmp(name, "--version") == 0) {
        print_version(argc, argv);
        return LK_EXIT_OK;
    }
    if (name[0] == '-') {
        (void)fprintf(stderr, "lockstep: unknown option '%s'; see 'lockstep help'\n", name);
        return LK_EXIT_USAGE;
    }
    if ((cmd = find_cmd(name)) != NULL)
        return cmd->fn(argc - 1, argv + 1);
    return not_a_command(name);
}

int main(int argc, char **argv)
{
    const int mpi = launched_by_mpirun();
    int rc;

    /* a file size limit (ulimit -f) makes a write fail with EFBIG, which
     * says "File too large" about the file, instead of killing the process
     * without a word (under mpirun, the job with status 153) */
    (void)signal(SIGXFSZ, SIG_IGN);
    if (mpi && (rc = join_mpi(&argc, &argv)) != 0)
        return close_stdout(rc);
    /* only detect is distributed: any other command runs on rank 0 alone */
    if (mpi && lk_dist_rank() != 0 && !(argc >= 2 && strcmp(argv[1], "detect") == 0))
        rc = LK_EXIT_OK;
    else
        rc = dispatch(argc, argv);
    rc = close_stdout(rc);
    if (mpi)
        lk_dist_finalize();
    return rc;
}
