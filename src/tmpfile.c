/* tmpfile.c - nameless temporary files (tmpfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "tmpfile.h"

const char *lk_tmpfile_dir(const char *dir)
{
    if (!dir || !dir[0])
        dir = getenv("TMPDIR");
    return dir && dir[0] ? dir : "/tmp";
}

lk_status lk_tmpfile_open(const char *dir, int *fd, char *errbuf)
{
    char path[4096];

    /* a file without a name (Linux, most local filesystems): nothing can
     * ever be left behind, however the process ends */
    *fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (*fd >= 0)
        return LK_OK;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        lk_errf(errbuf, "cannot create a temporary file in %s: %s", dir, strerror(errno));
        return LK_EIO;
    }
    /* elsewhere a named file, unlinked at once: its space is freed when the
     * process ends, however it ends */
    if (snprintf(path, sizeof path, "%s/lockstep-tmp-XXXXXX", dir) >= (int)sizeof path) {
        lk_errf(errbuf, "temporary folder name too long: %s", dir);
        return LK_EIO;
    }
    *fd = mkstemp(path);
    if (*fd < 0) {
        lk_errf(errbuf, "cannot create a temporary file in %s: %s", dir, strerror(errno));
        return LK_EIO;
    }
    (void)unlink(path);
    return LK_OK;
}

lk_status lk_tmpfile_write(int fd, const void *buf, size_t len, uint64_t off, const char *dir,
                           char *errbuf)
{
    const char *q = buf;
    while (len > 0) {
        ssize_t r = pwrite(fd, q, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            lk_errf(errbuf, "cannot write a temporary file in %s: %s", dir,
                    r < 0 ? strerror(errno) : "no space written");
            return LK_EIO;
        }
        q += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return LK_OK;
}

lk_status lk_tmpfile_read(int fd, void *buf, size_t len, uint64_t off, const char *dir,
                          char *errbuf)
{
    char *q = buf;
    while (len > 0) {
        ssize_t r = pread(fd, q, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            lk_errf(errbuf, "cannot read back a temporary file in %s: %s", dir,
                    r < 0 ? strerror(errno) : "file shorter than written");
            return LK_EIO;
        }
        q += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return LK_OK;
}
