/* out_file.c - checked, all-or-nothing output files. */
#include "out_file.h"

#include <errno.h>
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
    snprintf(f->path, len, "%s/%s", dir, name);
    f->fp = fopen(f->path, "wb");
    if (!f->fp) {
        lk_errf(errbuf, "cannot create '%s': %s", f->path, strerror(errno));
        free(f->path);
        free(f->vbuf);
        free(f);
        return LK_EIO;
    }
    setvbuf(f->fp, f->vbuf, _IOFBF, (size_t)1 << 20);
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
        lk_errf(errbuf, "cannot write '%s': %s", f->path, strerror(err));
        (void)remove(f->path);
        out_free(f);
        return LK_EIO;
    }
    out_free(f);
    return LK_OK;
}

void lk_out_abort(lk_outfile *f)
{
    if (!f)
        return;
    (void)fclose(f->fp);
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
    if (v == (double)(int64_t)v && v > -1e15 && v < 1e15)
        return lk_buf_printf(b, "%lld", (long long)v);
    return lk_buf_printf(b, "%.15g", v);
}

lk_status lk_buf_secs(lk_buf *b, int64_t ms)
{
    int64_t s = ms / 1000, r = ms % 1000;
    if (r < 0) {
        r += 1000;
        s -= 1;
    }
    if (r == 0)
        return lk_buf_printf(b, "%lld", (long long)s);
    if (r % 100 == 0)
        return lk_buf_printf(b, "%lld.%lld", (long long)s, (long long)(r / 100));
    if (r % 10 == 0)
        return lk_buf_printf(b, "%lld.%02lld", (long long)s, (long long)(r / 10));
    return lk_buf_printf(b, "%lld.%03lld", (long long)s, (long long)r);
}
