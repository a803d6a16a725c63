/*
 * cli.h - what the lockstep subcommands share: the global options spliced
 * into every getopt_long table, usage and diagnostic helpers, strict value
 * parsers and the stderr log sink.
 *
 * The CLI is a thin layer over liblockstep: it includes only the public
 * header, parses options, wires up streams and maps lk_status to exit codes.
 */
#ifndef LK_CLI_H
#define LK_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include <lockstep/lockstep.h>

/* Exit codes; fixed forever and documented in lockstep(1). */
enum {
    LK_EXIT_OK = 0,      /* success, and --help */
    LK_EXIT_FAILURE = 1, /* runtime, data or I/O failure */
    LK_EXIT_USAGE = 2    /* bad option, bad value, missing argument */
};

/* Values of long-only options.  They start above every byte value so that
 * they can never collide with a short option letter. */
enum {
    LK_OPT_MAX_MEM = 0x100,
    LK_OPT_TMP_DIR,
    LK_OPT_SEED,
    LK_OPT_PROGRESS,
    LK_OPT_CMD_BASE = 0x200 /* first value for a subcommand's own long-only options */
};

/* Short letters of the global options, to append to a command's optstring. */
#define LK_GLOBAL_SHORTOPTS "t:vqh"

/* Spliced into every subcommand's struct option table (samtools-style), so
 * that the same spelling works everywhere. */
#define LK_GLOBAL_OPTIONS                                                                          \
    {"threads", required_argument, NULL, 't'},                                                     \
        {"max-mem", required_argument, NULL, LK_OPT_MAX_MEM},                                      \
        {"tmp-dir", required_argument, NULL, LK_OPT_TMP_DIR},                                      \
        {"seed", required_argument, NULL, LK_OPT_SEED}, {"verbose", no_argument, NULL, 'v'},       \
        {"quiet", no_argument, NULL, 'q'}, {"progress", required_argument, NULL, LK_OPT_PROGRESS}, \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

/* --progress: LK_PROGRESS_AUTO (the CLI's default), _ALWAYS or _NEVER. */
typedef lk_progress_mode lk_cli_progress;

/* One subcommand invocation: its message prefix and the global options.
 * Commands copy their library defaults into threads/max_mem/tmp_dir/seed
 * before parsing so that --help can show them. */
typedef struct lk_cli {
    const char *cmd;  /* "detect" */
    char prog[64];    /* "lockstep detect": the prefix of every message */
    int threads;      /* 0 = all cores */
    uint64_t max_mem; /* bytes; 0 = unlimited */
    const char *tmp_dir;
    uint64_t seed;
    int verbose; /* number of -v */
    int quiet;   /* -q: errors only, no summary line */
    lk_cli_progress progress;
    int help; /* --help seen */
} lk_cli;

/* Which global options apply to a command; the others are accepted for
 * uniformity and said to be ignored in its help. */
enum {
    LK_CLI_G_RESOURCES = 1, /* --threads, --max-mem, --tmp-dir */
    LK_CLI_G_THREADS = 2    /* --threads only */
};

void lk_cli_init(lk_cli *c, const char *cmd);

/*
 * Handle one getopt_long result that the command did not handle itself.
 * An option value that is not global either means a command's table and
 * its switch disagree: that bug aborts.
 * @return 0, or LK_EXIT_USAGE after printing a usage error.
 */
int lk_cli_global_opt(lk_cli *c, int opt, const char *arg);

/*
 * Report getopt_long's '?' or ':' result (opterr must be 0 and the
 * optstring must start with ':').  `argv` and `longopts` are the ones passed
 * to getopt_long.
 * @return LK_EXIT_USAGE.
 */
int lk_cli_getopt_error(const lk_cli *c, int opt, char *const *argv, const struct option *longopts);

/* Print "lockstep CMD: <message>" and "see 'lockstep CMD --help'" on stderr.
 * @return LK_EXIT_USAGE. */
int lk_cli_usage_error(const lk_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "lockstep CMD: <message>" on stderr after flushing stdout: errors
 * and the final summary line. */
void lk_cli_msg(const lk_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Help layout: a heading line, and one option per call with its text
 * starting in a fixed column; '\n' in the text starts an indented line. */
void lk_cli_help_heading(FILE *f, const char *title);
void lk_cli_help_opt(FILE *f, const char *flags, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The "Global:" section, showing the defaults currently in `c`.
 * `which` is a mask of LK_CLI_G_*. */
void lk_cli_help_global(FILE *f, const lk_cli *c, int which);

/* Route library diagnostics to stderr as "lockstep CMD: msg" at the level
 * chosen by -v/-q (warnings by default). */
void lk_cli_log_install(const lk_cli *c);

/* In an MPI run, on ranks other than 0, the standard error that main()
 * silenced (stderr points to /dev/null there): debug messages (-vv) still
 * go to it, so that each rank can report its own state.  NULL elsewhere. */
extern FILE *lk_cli_rank_debug;

/* Strict value parsers: no blanks, signs or trailing junk.  Return 0 or -1. */
int lk_cli_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A count with an optional K, M or G suffix (powers of 1000: "10M"). */
int lk_cli_parse_count(const char *s, uint64_t max, uint64_t *out);
/* A finite decimal number in [lo, hi] (no hex, inf or nan). */
int lk_cli_parse_double(const char *s, double lo, double hi, double *out);

/* Defaults in help text: "60s", "250ms", "30d"; "2G", "0". */
const char *lk_cli_fmt_duration(int64_t ms, char *buf, size_t len);
const char *lk_cli_fmt_size(uint64_t bytes, char *buf, size_t len);

/* Seconds on the monotonic clock, and CPU seconds used by the process. */
double lk_cli_now(void);
double lk_cli_cpu_seconds(void);

/* Subcommands: argv[0] is the command name ("detect"). */
/* The input options detect and convert share, and where each value goes. */
typedef enum lk_cli_input_opt {
    LK_IN_FORMAT,
    LK_IN_TRACES,
    LK_IN_ON_ERROR,
    LK_IN_COL_OBJECT,
    LK_IN_COL_ACCOUNT,
    LK_IN_COL_CONTENT,
    LK_IN_COL_TIME
} lk_cli_input_opt;

typedef struct lk_cli_input {
    const char **format, **traces;
    const char **col_object, **col_account, **col_content, **col_time;
    lk_on_error *on_error;
} lk_cli_input;

/* Long-option codes of the shared input options: LK_OPT_INPUT_BASE + the
 * lk_cli_input_opt; a command's own codes start at LK_OPT_INPUT_END. */
#define LK_OPT_INPUT_BASE LK_OPT_CMD_BASE
#define LK_OPT_INPUT_END  (LK_OPT_INPUT_BASE + LK_IN_COL_TIME + 1)

/* Spliced into the option tables of detect and convert. */
#define LK_INPUT_OPTIONS                                                                 \
    {"format", required_argument, NULL, LK_OPT_INPUT_BASE + LK_IN_FORMAT},               \
        {"traces", required_argument, NULL, LK_OPT_INPUT_BASE + LK_IN_TRACES},           \
        {"on-error", required_argument, NULL, LK_OPT_INPUT_BASE + LK_IN_ON_ERROR},       \
        {"col-object", required_argument, NULL, LK_OPT_INPUT_BASE + LK_IN_COL_OBJECT},   \
        {"col-account", required_argument, NULL, LK_OPT_INPUT_BASE + LK_IN_COL_ACCOUNT}, \
        {"col-content", required_argument, NULL, LK_OPT_INPUT_BASE + LK_IN_COL_CONTENT}, \
    {                                                                                    \
        "col-time", required_argument, NULL, LK_OPT_INPUT_BASE + LK_IN_COL_TIME          \
    }

/** 1 when a getopt code is one of LK_INPUT_OPTIONS. */
static inline int lk_cli_is_input_opt(int opt)
{
    return opt >= LK_OPT_INPUT_BASE && opt < LK_OPT_INPUT_END;
}

/** Help lines of the --col-* options and --on-error, with their current values. */
void lk_cli_help_columns(FILE *f, const char *col_object, const char *col_account,
                         const char *col_content, const char *col_time, lk_on_error on_error);

/** Check and store one input option; 0 or LK_EXIT_USAGE (message printed). */
int lk_cli_input_set(const lk_cli *c, lk_cli_input_opt which, const char *arg,
                     const lk_cli_input *in);

int lk_cmd_detect(int argc, char **argv);
int lk_cmd_report(int argc, char **argv);
int lk_cmd_simulate(int argc, char **argv);
int lk_cmd_evaluate(int argc, char **argv);
int lk_cmd_convert(int argc, char **argv);

#endif /* LK_CLI_H */
