/* opts.c - global options, usage and diagnostic helpers shared by every subcommand. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"

/* Column where option descriptions start in --help output; wide enough for
 * "-m, --min-participation N" so that most flags fit on their line. */
#define HELP_COL 27

/* More worker threads than this is surely a typo (and would exhaust stacks). */
#define MAX_THREADS 4096

void lk_cli_init(lk_cli *c, const char *cmd)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    (void)snprintf(c->prog, sizeof c->prog, "lockstep %s", cmd);
    c->progress = LK_PROGRESS_AUTO;
}

/* Diagnostics must not overtake what was already written to stdout when
 * both go to the same terminal or file. */
static void vmessage(const lk_cli *c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vmessage(const lk_cli *c, const char *fmt, va_list ap)
{
    (void)fflush(stdout);
    (void)fprintf(stderr, "%s: ", c->prog);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputc('\n', stderr);
}

void lk_cli_msg(const lk_cli *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(c, fmt, ap);
    va_end(ap);
}

int lk_cli_usage_error(const lk_cli *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(c, fmt, ap);
    va_end(ap);
    (void)fprintf(stderr, "see 'lockstep %s --help'\n", c->cmd);
    return LK_EXIT_USAGE;
}

int lk_cli_global_opt(lk_cli *c, int opt, const char *arg)
{
    uint64_t v;

    switch (opt) {
    case 't':
        if (lk_cli_parse_u64(arg, MAX_THREADS, &v) != 0) {
            return lk_cli_usage_error(
                c, "bad --threads value '%s' (expected 0 to %d; 0 = all cores)", arg, MAX_THREADS);
        }
        c->threads = (int)v;
        return 0;
    case LK_OPT_MAX_MEM:
        if (lk_parse_size(arg, &c->max_mem) != LK_OK) {
            return lk_cli_usage_error(
                c, "bad --max-mem value '%s' (expected a size such as 512M or 2G)", arg);
        }
        return 0;
    case LK_OPT_TMP_DIR:
        if (!*arg) {
            return lk_cli_usage_error(c, "--tmp-dir needs a folder name");
        }
        c->tmp_dir = arg;
        return 0;
    case LK_OPT_SEED:
        if (lk_cli_parse_u64(arg, UINT64_MAX, &c->seed) != 0) {
            return lk_cli_usage_error(c, "bad --seed value '%s' (expected a whole number < 2^64)",
                                      arg);
        }
        return 0;
    case 'v':
        c->verbose++;
        return 0;
    case 'q':
        c->quiet = 1;
        return 0;
    case LK_OPT_PROGRESS:
        if (strcmp(arg, "auto") == 0)
            c->progress = LK_PROGRESS_AUTO;
        else if (strcmp(arg, "always") == 0)
            c->progress = LK_PROGRESS_ALWAYS;
        else if (strcmp(arg, "never") == 0)
            c->progress = LK_PROGRESS_NEVER;
        else {
            return lk_cli_usage_error(
                c, "bad --progress value '%s' (expected auto, always or never)", arg);
        }
        return 0;
    case 'h':
        c->help = 1;
        return 0;
    default:
        break;
    }
    (void)fflush(stdout);
    (void)fprintf(stderr, "%s: BUG: option %d has no handler\n", c->prog, opt);
    abort();
}

/* Name of the long option that `arg` ("--win=5") abbreviates, or NULL when
 * it matches none; *n_match tells an unknown option from an ambiguous one. */
static const char *match_long(const char *arg, const struct option *longopts, int *n_match)
{
    const size_t len = strcspn(arg, "=");
    const char *hit = NULL;

    *n_match = 0;
    for (const struct option *o = longopts; o->name; o++) {
        if (strncmp(o->name, arg, len) != 0)
            continue;
        if (strlen(o->name) == len) { /* an exact match is never ambiguous */
            *n_match = 1;
            return o->name;
        }
        ++*n_match;
        hit = o->name;
    }
    return hit;
}

int lk_cli_getopt_error(const lk_cli *c, int opt, char *const *argv, const struct option *longopts)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int n_match = 0;

    /* getopt_long leaves the offending word at argv[optind - 1] for long
     * options; inside a cluster of short ones ("-vx") only optopt is right. */
    if (strncmp(arg, "--", 2) == 0 && arg[2] != '\0') {
        const int len = (int)strcspn(arg, "=");
        const char *name = match_long(arg + 2, longopts, &n_match);
        if (n_match > 1)
            return lk_cli_usage_error(c, "ambiguous option '%.*s'", len, arg);
        if (!name)
            return lk_cli_usage_error(c, "unknown option '%.*s'", len, arg);
        if (opt == ':')
            return lk_cli_usage_error(c, "option '--%s' needs a value", name);
        return lk_cli_usage_error(c, "option '--%s' takes no value", name);
    }
    if (opt == ':')
        return lk_cli_usage_error(c, "option '-%c' needs a value", optopt);
    if (optopt > ' ' && optopt < 127)
        return lk_cli_usage_error(c, "unknown option '-%c'", optopt);
    return lk_cli_usage_error(c, "unknown option '%s'", arg);
}

void lk_cli_help_heading(FILE *f, const char *title)
{
    (void)fprintf(f, "\n%s:\n", title);
}

void lk_cli_help_opt(FILE *f, const char *flags, const char *fmt, ...)
{
    char text[512];
    const char *p = text;
    va_list ap;
    int col;

    va_start(ap, fmt);
    (void)vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    col = fprintf(f, "  %s", flags);
    if (col < 0)
        return;
    /* Flags too long for the column get the text on the next line. */
    if (col >= HELP_COL - 1) {
        (void)fputc('\n', f);
        col = 0;
    }
    for (;;) {
        const size_t n = strcspn(p, "\n");
        (void)fprintf(f, "%*s%.*s\n", HELP_COL - col, "", (int)n, p);
        if (!p[n])
            break;
        p += n + 1;
        col = 0;
    }
}

static const char *progress_name(lk_cli_progress p)
{
    switch (p) {
    case LK_PROGRESS_ALWAYS:
        return "always";
    case LK_PROGRESS_NEVER:
        return "never";
    case LK_PROGRESS_AUTO:
        break;
    }
    return "auto";
}

void lk_cli_help_global(FILE *f, const lk_cli *c, int which)
{
    char size[32];

    lk_cli_help_heading(f, "Global");
    if (which & (LK_CLI_G_RESOURCES | LK_CLI_G_THREADS))
        lk_cli_help_opt(f, "-t, --threads N",
                        "worker threads; 0 = all cores (under mpirun, this\n"
                        "rank's share of them); the output is the same for\n"
                        "any N [%d]",
                        c->threads);
    if (which & LK_CLI_G_RESOURCES) {
        lk_cli_help_opt(f, "--max-mem SIZE",
                        "memory cap (K, M, G, T): pair records beyond it and\n"
                        "the aggregations' columns go to --tmp-dir, the\n"
                        "actions, content ids, post keys and the ids the\n"
                        "tables leave out as they are read (and, past the\n"
                        "keys' share, the records), and the tables, index,\n"
                        "near-text signatures and kept edges while unused;\n"
                        "0 = 60%% of RAM, no parking [%s]",
                        lk_cli_fmt_size(c->max_mem, size, sizeof size));
        lk_cli_help_opt(f, "--tmp-dir DIR",
                        "folder for spilled and parked data (removed at\n"
                        "once, whatever ends the run) [%s]",
                        c->tmp_dir ? c->tmp_dir : "$TMPDIR or /tmp");
    }
    lk_cli_help_opt(f, "--seed N", "seed of every random choice [%llu]",
                    (unsigned long long)c->seed);
    lk_cli_help_opt(f, "--progress WHEN",
                    "progress meter on stderr (detect): auto (when it is\n"
                    "a terminal), always, never [%s]",
                    progress_name(c->progress));
    lk_cli_help_opt(f, "-v, --verbose", "more messages; repeat for debug output");
    lk_cli_help_opt(f, "-q, --quiet", "errors only; no summary line");
    lk_cli_help_opt(f, "-h, --help", "show this help and exit");
    if (which & LK_CLI_G_THREADS)
        (void)fprintf(f, "  (--max-mem and --tmp-dir are accepted and ignored)\n");
    else if (!(which & LK_CLI_G_RESOURCES))
        (void)fprintf(f, "  (--threads, --max-mem and --tmp-dir are accepted and ignored)\n");
}

FILE *lk_cli_rank_debug;

/* Library messages carry no prefix; the level decides the tag, in the
 * "warning: " style that users of git and samtools already read. */
static void log_sink(int level, const char *msg, void *userdata)
{
    const char *prog = userdata;
    const char *tag = "";
    FILE *f = stderr;

    if (level == LK_LOG_WARN)
        tag = "warning: ";
    else if (level == LK_LOG_DEBUG)
        tag = "debug: ";
    /* rank 0 speaks for all; at -vv every rank shows its debug lines */
    if (level == LK_LOG_DEBUG && lk_cli_rank_debug)
        f = lk_cli_rank_debug;
    (void)fflush(stdout);
    (void)fprintf(f, "%s: %s%s\n", prog, tag, msg);
}

void lk_cli_log_install(const lk_cli *c)
{
    int level = LK_LOG_WARN + c->verbose;

    if (level > LK_LOG_DEBUG)
        level = LK_LOG_DEBUG;
    if (c->quiet)
        level = LK_LOG_ERROR;
    /* c->prog lives in the command's frame, which outlives the run. */
    lk_set_log_fn(log_sink, (void *)c->prog, level);
}

int lk_cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
            return -1;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int lk_cli_parse_count(const char *s, uint64_t max, uint64_t *out)
{
    char digits[32];
    size_t n = strspn(s, "0123456789");
    uint64_t mult = 1, v;

    if (n == 0 || n >= sizeof digits)
        return -1;
    switch (s[n]) {
    case '\0':
        break;
    case 'K':
    case 'k':
        mult = 1000;
        break;
    case 'M':
    case 'm':
        mult = UINT64_C(1000000);
        break;
    case 'G':
    case 'g':
        mult = UINT64_C(1000000000);
        break;
    default:
        return -1;
    }
    if (s[n] && s[n + 1])
        return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (lk_cli_parse_u64(digits, UINT64_MAX, &v) != 0 || __builtin_mul_overflow(v, mult, &v) ||
        v > max)
        return -1;
    *out = v;
    return 0;
}

int lk_cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    /* strtod would also take blanks, signs, hex, "inf" and "nan". */
    if (!((*s >= '0' && *s <= '9') || *s == '.') || strpbrk(s, "xXpP"))
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno == ERANGE || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

const char *lk_cli_fmt_duration(int64_t ms, char *buf, size_t len)
{
    const int64_t s = ms / 1000;

    if (ms % 1000 != 0)
        (void)snprintf(buf, len, "%lldms", (long long)ms);
    else if (s == 0)
        (void)snprintf(buf, len, "0s");
    else if (s % 86400 == 0)
        (void)snprintf(buf, len, "%lldd", (long long)(s / 86400));
    else if (s % 3600 == 0)
        (void)snprintf(buf, len, "%lldh", (long long)(s / 3600));
    else
        (void)snprintf(buf, len, "%llds", (long long)s);
    return buf;
}

const char *lk_cli_fmt_size(uint64_t bytes, char *buf, size_t len)
{
    static const char units[] = "KMGT";
    const char *u = NULL;

    while (bytes != 0 && bytes % 1024 == 0 && (u ? u[1] : units[0])) {
        bytes /= 1024;
        u = u ? u + 1 : units;
    }
    if (u)
        (void)snprintf(buf, len, "%llu%c", (unsigned long long)bytes, *u);
    else
        (void)snprintf(buf, len, "%llu", (unsigned long long)bytes);
    return buf;
}

double lk_cli_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double lk_cli_cpu_seconds(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

int lk_cli_input_set(const lk_cli *c, lk_cli_input_opt which, const char *arg,
                     const lk_cli_input *in)
{
    char msg[512];

    switch (which) {
    case LK_IN_FORMAT:
        if (!lk_format_known(arg))
            return lk_cli_usage_error(c, "bad --format value '%s' (expected one of %s)", arg,
                                      lk_format_names());
        *in->format = arg;
        return 0;
    case LK_IN_TRACES:
        if (lk_traces_check(arg, msg, sizeof msg) != LK_OK)
            return lk_cli_usage_error(c, "%s", msg);
        *in->traces = arg;
        return 0;
    case LK_IN_ON_ERROR:
        if (strcmp(arg, "fail") == 0)
            *in->on_error = LK_ON_ERROR_FAIL;
        else if (strcmp(arg, "skip") == 0)
            *in->on_error = LK_ON_ERROR_SKIP;
        else
            return lk_cli_usage_error(c, "bad --on-error value '%s' (expected fail or skip)", arg);
        return 0;
    case LK_IN_COL_OBJECT:
    case LK_IN_COL_ACCOUNT:
    case LK_IN_COL_CONTENT:
    case LK_IN_COL_TIME:
        if (!*arg)
            return lk_cli_usage_error(c, "column names cannot be empty");
        *(which == LK_IN_COL_OBJECT    ? in->col_object
          : which == LK_IN_COL_ACCOUNT ? in->col_account
          : which == LK_IN_COL_CONTENT ? in->col_content
                                       : in->col_time) = arg;
        return 0;
    }
    return LK_EXIT_USAGE;
}

void lk_cli_help_columns(FILE *f, const char *col_object, const char *col_account,
                         const char *col_content, const char *col_time, lk_on_error on_error)
{
    lk_cli_help_opt(f, "--col-object NAME", "generic CSV: column of the object [%s]", col_object);
    lk_cli_help_opt(f, "--col-account NAME", "generic CSV: column of the account [%s]",
                    col_account);
    lk_cli_help_opt(f, "--col-content NAME", "generic CSV: column of the content [%s]",
                    col_content);
    lk_cli_help_opt(f, "--col-time NAME", "generic CSV: column of the time [%s]", col_time);
    lk_cli_help_opt(f, "--on-error MODE", "bad row: fail, or skip and count it [%s]",
                    on_error == LK_ON_ERROR_SKIP ? "skip" : "fail");
}
