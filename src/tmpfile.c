/* tmpfile.c - nameless temporary files (tmpfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "par.h"
#include "tmpfile.h"

lk_status lk_tmpfile_map_new(const char *dir, size_t len, int *fd, void **map, char *errbuf)
{
    const size_t whole[2] = {0, len};
    return lk_tmpfile_map_pieces(dir, len, whole, 1, fd, map, errbuf);
}

static int cmp_piece(const void *x, const void *y)
{
    const size_t *a = x, *b = y;
    return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* A file from the pool keeps the blocks it had: those of [0, len) outside
 * the pieces go (a hole reads as zeros), so that the file takes the
 * pieces' room alone.  Where holes cannot be punched the blocks stay. */
static void punch_gaps(int fd, size_t len, const size_t *piece, size_t npieces)
{
    size_t *p = malloc(2 * LK_MAX(npieces, (size_t)1) * sizeof *p), at = 0;

    if (!p)
        return;
    memcpy(p, piece, 2 * npieces * sizeof *p);
    qsort(p, npieces, 2 * sizeof *p, cmp_piece);
    for (size_t k = 0; k <= npieces; k++) {
        const size_t b = k < npieces ? LK_MIN(p[2 * k], len) : len;
        if (b > at &&
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)at, (off_t)(b - at)))
            break;
        if (k < npieces)
            at = LK_MAX(at, LK_MIN(p[2 * k + 1], len));
    }
    free(p);
}

lk_status lk_tmpfile_map_pieces(const char *dir, size_t len, const size_t *piece, size_t npieces,
                                int *fd, void **map, char *errbuf)
{
    struct stat sb;
    size_t room = 0; /* what the pieces take in all, for the message */
    void *m;
    int err = 0;
    lk_status st;

    for (size_t k = 0; k < npieces; k++)
        room += piece[2 * k + 1] > piece[2 * k] ? piece[2 * k + 1] - piece[2 * k] : 0;
    dir = lk_tmpfile_dir(dir);
    if ((st = lk_tmpfile_open(dir, fd, errbuf)) != LK_OK)
        return st;
    /* the length first (a hole; a file from the pool may be longer),
     * then the room of each piece */
    if (fstat(*fd, &sb) != 0 ||
        ((uint64_t)sb.st_size < (uint64_t)len && ftruncate(*fd, (off_t)len) != 0))
        err = errno;
    else if (sb.st_size > 0)
        punch_gaps(*fd, len, piece, npieces);
    for (size_t k = 0; !err && k < npieces; k++)
        if (piece[2 * k + 1] > piece[2 * k])
            err =
                posix_fallocate(*fd, (off_t)piece[2 * k], (off_t)(piece[2 * k + 1] - piece[2 * k]));
    if (err) {
        lk_errf(errbuf, "no room for %zu bytes of a temporary file in %s: %s", room, dir,
                strerror(err));
        lk_tmpfile_close(*fd);
        *fd = -1;
        return LK_EIO;
    }
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
    if (m == MAP_FAILED) {
        lk_errf(errbuf, "cannot map a temporary file in %s: %s", dir, strerror(errno));
        lk_tmpfile_close(*fd);
        *fd = -1;
        return LK_EIO;
    }
    *map = m;
    return LK_OK;
}

lk_status lk_tmpfile_map_ro(int fd, size_t len, const char *dir, void **map, char *errbuf)
{
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);

    if (m == MAP_FAILED) {
        lk_errf(errbuf, "cannot map a temporary file in %s: %s", lk_tmpfile_dir(dir),
                strerror(errno));
        return LK_EIO;
    }
    *map = m;
    return LK_OK;
}

/* Files kept by lk_tmpfile_close() for reuse. */
#define LK_TMPFILE_POOL 16

static struct {
    pthread_mutex_t lock;
    size_t n;
    int fd[LK_TMPFILE_POOL];
    dev_t dev[LK_TMPFILE_POOL];  /* the filesystem each lives on */
    off_t size[LK_TMPFILE_POOL]; /* its length when given back */
} pool = {PTHREAD_MUTEX_INITIALIZER, 0, {0}, {0}, {0}};

/* Slack a file taken for a size may have beyond twice that size. */
#define SIZED_SLACK ((uint64_t)64 << 20)

/* A kept file on dir's filesystem, taken out of the pool; else -1.  With
 * want == 0 the largest (of equal ones the last given back): the largest
 * has the most pages to write over, and a large stage taking a small file
 * would make it grow while the large one sits idle.  With want > 0 (a
 * file that will hold about that many bytes, for long) the smallest of at
 * least that length if it is not much longer (twice, and SIZED_SLACK),
 * else the largest shorter one, else none: a park kept through a long
 * stage that took a large file would keep its room from the stage's own
 * files, which would then need new ones (2.5 GB more disk at 2 x 10^8
 * actions).  A file without a name belongs to no folder, only to a
 * filesystem. */
static int pool_take(const char *dir, uint64_t want)
{
    struct stat sb;
    size_t best = SIZE_MAX, fit = SIZE_MAX, under = SIZE_MAX;
    int fd = -1;

    if (stat(dir, &sb) != 0)
        return -1;
    pthread_mutex_lock(&pool.lock);
    for (size_t i = pool.n; i-- > 0;) {
        const uint64_t size = (uint64_t)pool.size[i];
        if (pool.dev[i] != sb.st_dev)
            continue;
        if (best == SIZE_MAX || pool.size[i] > pool.size[best])
            best = i;
        if (size >= want && (fit == SIZE_MAX || pool.size[i] < pool.size[fit]))
            fit = i;
        if (size < want && (under == SIZE_MAX || pool.size[i] > pool.size[under]))
            under = i;
    }
    if (want)
        best = fit != SIZE_MAX && (uint64_t)pool.size[fit] <= 2 * want + SIZED_SLACK ? fit : under;
    if (best != SIZE_MAX) {
        const size_t i = best, m = pool.n - i - 1;
        fd = pool.fd[i];
        memmove(pool.fd + i, pool.fd + i + 1, m * sizeof *pool.fd);
        memmove(pool.dev + i, pool.dev + i + 1, m * sizeof *pool.dev);
        memmove(pool.size + i, pool.size + i + 1, m * sizeof *pool.size);
        pool.n--;
    }
    pthread_mutex_unlock(&pool.lock);
    return fd;
}

const char *lk_tmpfile_dir(const char *dir)
{
    if (!dir || !dir[0])
        dir = getenv("TMPDIR");
    return dir && dir[0] ? dir : "/tmp";
}

lk_status lk_tmpfile_open(const char *dir, int *fd, char *errbuf)
{
    return lk_tmpfile_open_sized(dir, 0, fd, errbuf);
}

lk_status lk_tmpfile_open_sized(const char *dir, uint64_t want, int *fd, char *errbuf)
{
    char path[4096];

    dir = lk_tmpfile_dir(dir); /* callers may pass --tmp-dir unset */
    if ((*fd = pool_take(dir, want)) >= 0)
        return LK_OK;
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

void lk_tmpfile_close(int fd)
{
    struct stat sb;
    struct statvfs vf;

    if (fd < 0)
        return;
    /* kept only while the filesystem has room for as much again: near a
     * full disk, files go as they used to */
    if (fstat(fd, &sb) == 0 && fstatvfs(fd, &vf) == 0 &&
        (uint64_t)vf.f_bavail * vf.f_frsize >= (uint64_t)sb.st_size) {
        pthread_mutex_lock(&pool.lock);
        if (pool.n < LK_TMPFILE_POOL) {
            pool.fd[pool.n] = fd;
            pool.dev[pool.n] = sb.st_dev;
            pool.size[pool.n++] = sb.st_size;
            fd = -1;
        }
        pthread_mutex_unlock(&pool.lock);
    }
    if (fd >= 0)
        (void)close(fd);
}

static void *close_one(void *arg)
{
    (void)close(*(const int *)arg);
    return NULL;
}

/* Close fd[0..n) side by side: a close waits for the pages of its file the
 * kernel is writing back (0.05-0.5 s a file at 10^7 actions), and the
 * waits of several files overlap. */
static void close_all(const int *fd, size_t n)
{
    pthread_t th[LK_TMPFILE_POOL];
    size_t started = 0;
    for (size_t i = 0; i < n; i++) {
        if (pthread_create(&th[started], NULL, close_one, (void *)&fd[i]) == 0)
            started++;
        else
            (void)close(fd[i]);
    }
    for (size_t i = 0; i < started; i++)
        (void)pthread_join(th[i], NULL);
}

/* Take every kept file out of the pool into fd[] (LK_TMPFILE_POOL slots). */
static size_t pool_take_all(int *fd)
{
    size_t n;
    pthread_mutex_lock(&pool.lock);
    n = pool.n;
    memcpy(fd, pool.fd, n * sizeof *fd);
    pool.n = 0;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

uint64_t lk_tmpfile_kept(size_t *files)
{
    uint64_t bytes = 0;
    pthread_mutex_lock(&pool.lock);
    *files = pool.n;
    for (size_t i = 0; i < pool.n; i++)
        bytes += (uint64_t)pool.size[i];
    pthread_mutex_unlock(&pool.lock);
    return bytes;
}

void lk_tmpfile_drain(void)
{
    int fd[LK_TMPFILE_POOL];
    const size_t n = pool_take_all(fd);
    close_all(fd, n);
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
            lk_errf(errbuf, "cannot write a temporary file in %s: %s", lk_tmpfile_dir(dir),
                    r < 0 ? strerror(errno) : "no space written");
            return LK_EIO;
        }
        q += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return LK_OK;
}

lk_status lk_tmpfile_corrupt(const char *dir, char *errbuf)
{
    lk_errf(errbuf, "a temporary file in %s was read back corrupt", dir);
    return LK_EIO;
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
            lk_errf(errbuf, "cannot read back a temporary file in %s: %s", lk_tmpfile_dir(dir),
                    r < 0 ? strerror(errno) : "file shorter than written");
            return LK_EIO;
        }
        q += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return LK_OK;
}

/* lk_tmpfile_read_par: a piece a task, each with its own status and
 * message. */
#define READ_PIECES    16
#define READ_PIECE_MIN ((size_t)64 << 20)

typedef struct readpar {
    int fd;
    char *buf;
    size_t len, pieces;
    uint64_t off;
    const char *dir;
    lk_status st[READ_PIECES];
    char msg[READ_PIECES][LK_ERRMSG_MAX];
} readpar;

static void read_piece(void *ctx, size_t task, unsigned worker)
{
    readpar *r = ctx;
    const size_t lo = r->len / r->pieces * task,
                 hi = task + 1 == r->pieces ? r->len : r->len / r->pieces * (task + 1);
    (void)worker;
    r->st[task] = lk_tmpfile_read(r->fd, r->buf + lo, hi - lo, r->off + lo, r->dir, r->msg[task]);
}

lk_status lk_tmpfile_read_par(int fd, void *buf, size_t len, uint64_t off, unsigned threads,
                              const char *dir, char *errbuf)
{
    readpar *r;
    size_t pieces = LK_MIN((size_t)LK_MIN(threads, (unsigned)READ_PIECES), len / READ_PIECE_MIN);
    lk_status st = LK_OK;

    if (pieces <= 1 || !(r = calloc(1, sizeof *r)))
        return lk_tmpfile_read(fd, buf, len, off, dir, errbuf);
    r->fd = fd;
    r->buf = buf;
    r->len = len;
    r->pieces = pieces;
    r->off = off;
    r->dir = dir;
    /* every piece runs, on the threads that started */
    (void)lk_par_run(threads, pieces, read_piece, r);
    for (size_t i = 0; i < pieces && st == LK_OK; i++)
        if ((st = r->st[i]) != LK_OK)
            (void)snprintf(errbuf, LK_ERRMSG_MAX, "%s", r->msg[i]);
    free(r);
    return st;
}
