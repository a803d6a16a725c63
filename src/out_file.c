/* out_file.c - checked, all-or-nothing output files. */
#include "out_file.h"
#include "parse_time.h"

#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/types.h>

struct lk_outfile {
    FILE *fp;
    char *path;
    char *vbuf;
    int err; /* first errno seen */
};

lk_status lk_out_open(const char *dir, const char *name, lk_outfile **out, char *errbuf)
{
    lk_outfile *f = calloc(1, sizeof *f);
    size_t len;

    if (!f)
        return LK_ENOMEM;
    len = strlen(dir) + strlen(name) + 2;
    f->path = malloc(len);
    f->vbuf = malloc((size_t)1 << 20);
    if (!f->path || !f->vbuf) {
        free(f->path);
        free(f->vbuf);
        free(f);
        return LK_ENOMEM;
    }
    (void)snprintf(f->path, len, "%s/%s", dir, name);
    f->fp = fopen(f->path, "wb");
    if (!f->fp) {
        lk_errf(errbuf, "cannot create '%s': %s", f->path, strerror(errno));
        free(f->path);
        free(f->vbuf);
        free(f);
        return LK_EIO;
    }
    (void)setvbuf(f->fp, f->vbuf, _IOFBF, (size_t)1 << 20);
    *out = f;
    return LK_OK;
}

void lk_out_write(lk_outfile *f, const void *p, size_t n)
{
    if (f->err || n == 0)
        return;
    if (fwrite(p, 1, n, f->fp) != n)
        f->err = errno ? errno : EIO;
}

void lk_out_flush_buf(lk_outfile *f, lk_buf *b)
{
    lk_out_write(f, b->p, b->len);
    lk_buf_reset(b);
}

static void out_free(lk_outfile *f)
{
    free(f->path);
    free(f->vbuf);
    free(f);
}

lk_status lk_out_close(lk_outfile *f, char *errbuf)
{
    int err;
    if (!f)
        return LK_OK;
    err = f->err;
    if (fflush(f->fp) != 0 && !err)
        err = errno ? errno : EIO;
    if (ferror(f->fp) && !err)
        err = EIO;
    if (fclose(f->fp) != 0 && !err)
        err = errno ? errno : EIO;
    if (err) {
        struct stat st;
        lk_errf(errbuf, "cannot write '%s': %s", f->path, strerror(err));
        /* never remove a device or anything else that is not our file */
        if (lstat(f->path, &st) == 0 && S_ISREG(st.st_mode))
            (void)remove(f->path);
        out_free(f);
        return LK_EIO;
    }
    out_free(f);
    return LK_OK;
}

void lk_out_abort(lk_outfile *f)
{
    struct stat st;
    if (!f)
        return;
    (void)fclose(f->fp);
    if (lstat(f->path, &st) == 0 && S_ISREG(st.st_mode))
        (void)remove(f->path);
    out_free(f);
}

lk_status lk_mkdirs(const char *dir, char *errbuf)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof path) {
        lk_errf(errbuf, "invalid output folder '%s'", dir);
        return LK_EINVAL;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char c = path[i];
            path[i] = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                lk_errf(errbuf, "cannot create folder '%s': %s", path, strerror(errno));
                return LK_EIO;
            }
            path[i] = c;
        }
    }
    {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            lk_errf(errbuf, "'%s' is not a folder", dir);
            return LK_EIO;
        }
    }
    return LK_OK;
}

lk_status lk_buf_num15(lk_buf *b, double v)
{
    char ref[40], sci[40], fix[400];
    int d, e10;

    if (!isfinite(v))
        return lk_buf_printf(b, "%s", isnan(v) ? "NA" : v > 0 ? "Inf" : "-Inf");
    if (v == 0)
        return lk_buf_putc(b, '0');
    /* R (formatReal, digits = 15, scipen = 0): the fewest significant
     * digits that give the value to 15 digits, then fixed notation unless
     * scientific is shorter: 17.5, 0.333333333333333, 1e+05, 1e-20 */
    (void)snprintf(ref, sizeof ref, "%.14e", v);
    for (d = 1; d < 15; d++) {
        (void)snprintf(sci, sizeof sci, "%.*e", d - 1, v);
        if (strtod(sci, NULL) == strtod(ref, NULL))
            break;
    }
    (void)snprintf(sci, sizeof sci, "%.*e", d - 1, v);
    e10 = (int)strtol(strchr(sci, 'e') + 1, NULL, 10);
    (void)snprintf(fix, sizeof fix, "%.*f", d - 1 - e10 > 0 ? d - 1 - e10 : 0, v);
    return lk_buf_printf(b, "%s", strlen(fix) <= strlen(sci) ? fix : sci);
}

lk_status lk_buf_u64(lk_buf *b, uint64_t v)
{
    char tmp[24];
    size_t k = sizeof tmp;
    do {
        tmp[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return lk_buf_append(b, tmp + k, sizeof tmp - k);
}

/* Append v as exactly `width` digits (v < 10^width). */
static void put_fixed(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

lk_status lk_buf_secs(lk_buf *b, int64_t ms)
{
    /* magnitude as unsigned, so that INT64_MIN works too */
    uint64_t m = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    unsigned r = (unsigned)(m % 1000);
    char frac[5];
    size_t fl;

    if (ms < 0 && lk_buf_putc(b, '-'))
        return LK_ENOMEM;
    if (lk_buf_u64(b, m / 1000))
        return LK_ENOMEM;
    if (r == 0)
        return LK_OK;
    frac[0] = '.';
    put_fixed(frac + 1, r, 3);
    fl = 4;
    while (frac[fl - 1] == '0')
        fl--;
    return lk_buf_append(b, frac, fl);
}

/* Gregorian date of a day count since 1970-01-01 (Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

lk_status lk_buf_time_iso(lk_buf *b, int64_t ms)
{
    const int64_t day = INT64_C(86400000);
    int64_t days = ms / day, rem = ms % day, y;
    unsigned m, d, r;
    char t[32];

    if (rem < 0) {
        rem += day;
        days--;
    }
    civil(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        char tb[40];
        return lk_buf_printf(b, "%s", lk_format_time_iso(ms, tb, sizeof tb));
    }
    r = (unsigned)rem;
    put_fixed(t, (unsigned)y, 4);
    t[4] = '-';
    put_fixed(t + 5, m, 2);
    t[7] = '-';
    put_fixed(t + 8, d, 2);
    t[10] = 'T';
    put_fixed(t + 11, r / 3600000, 2);
    t[13] = ':';
    put_fixed(t + 14, r / 60000 % 60, 2);
    t[16] = ':';
    put_fixed(t + 17, r / 1000 % 60, 2);
    if (r % 1000) {
        t[19] = '.';
        put_fixed(t + 20, r % 1000, 3);
        t[23] = 'Z';
        return lk_buf_append(b, t, 24);
    }
    t[19] = 'Z';
    return lk_buf_append(b, t, 20);
}
