/*
 * lk_faultfs.c - an LD_PRELOAD shim for tests: the disk under a folder
 * fills up (or starts failing reads) at the Nth operation on a file made
 * there, so that every temporary-file path of a run can be made to fail
 * in turn (tests/py/test_faults.py).  Nothing of lockstep is changed or
 * linked: the shim sits between the binary and the C library.
 *
 *   LK_FAULT_DIR    the folder watched: files opened under it (by name or
 *                   with O_TMPFILE on it) are counted; no other file is.
 *   LK_FAULT_OPS    which operations are counted and fail: "write" (pwrite,
 *                   write: ENOSPC, the default), "alloc" (posix_fallocate:
 *                   ENOSPC), "open" (a new file under the folder: ENOSPC)
 *                   or "read" (pread, read: EIO).
 *   LK_FAULT_AT     the first counted operation that fails (1-based); every
 *                   later one fails too, as a full disk stays full.  0 or
 *                   unset: nothing fails, the operations are only counted.
 *   LK_FAULT_COUNT  a file that receives, at exit, the number of counted
 *                   operations (the test's range for LK_FAULT_AT).
 *   LK_FAULT_RANK   under mpirun, the one rank (OMPI_COMM_WORLD_RANK) on
 *                   which the shim counts and fails; on the others it only
 *                   forwards.
 *
 * The operations of several threads are counted in the order they reach
 * the shim, so the Nth may differ from run to run; the tests assert what
 * must hold whichever it is.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FD 65536

static atomic_uchar watched[MAX_FD];
static atomic_ullong ops;
static const char *dir;
static size_t dir_len;

enum { OP_OPEN, OP_ALLOC, OP_WRITE, OP_READ };

static int mode = OP_WRITE;
static unsigned long long fail_at;

__attribute__((constructor)) static void faultfs_init(void)
{
    const char *d = getenv("LK_FAULT_DIR");
    const char *o = getenv("LK_FAULT_OPS");
    const char *a = getenv("LK_FAULT_AT");
    const char *r = getenv("LK_FAULT_RANK");
    const char *me = getenv("OMPI_COMM_WORLD_RANK");
    if (r && *r && !(me && strcmp(r, me) == 0))
        return; /* not the rank that fails: nothing watched */
    if (d && *d) {
        dir = d;
        dir_len = strlen(d);
        while (dir_len > 1 && dir[dir_len - 1] == '/')
            dir_len--;
    }
    static const char *const names[] = {"open", "alloc", "write", "read"};
    for (int k = 0; o && k < 4; k++)
        if (strcmp(o, names[k]) == 0)
            mode = k;
    fail_at = a ? strtoull(a, NULL, 10) : 0;
}

__attribute__((destructor)) static void faultfs_fini(void)
{
    const char *c = getenv("LK_FAULT_COUNT");
    if (!dir || !c || !*c)
        return;
    FILE *f = fopen(c, "w");
    if (!f)
        return;
    fprintf(f, "%llu\n", (unsigned long long)atomic_load(&ops));
    fclose(f);
}

static void *real(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        static const char msg[] = "lk_faultfs: a C library function is missing\n";
        (void)!write(2, msg, sizeof msg - 1);
        abort();
    }
    return p;
}

static int under_dir(const char *path)
{
    return dir && path && strncmp(path, dir, dir_len) == 0 &&
           (path[dir_len] == '\0' || path[dir_len] == '/');
}

/* 1 when an operation of kind op is to fail (it is counted either way). */
static int fail_now(int op)
{
    if (op != mode)
        return 0;
    unsigned long long n = atomic_fetch_add(&ops, 1) + 1;
    return fail_at && n >= fail_at;
}

static int fault(int fd, int op)
{
    return fd >= 0 && fd < MAX_FD && atomic_load(&watched[fd]) && fail_now(op);
}

static int note_open(int fd, const char *path)
{
    if (fd >= 0 && fd < MAX_FD)
        atomic_store(&watched[fd], (unsigned char)under_dir(path));
    return fd;
}

/* A new file under the folder that is to fail: not made at all. */
static int open_fails(const char *path)
{
    if (!under_dir(path) || !fail_now(OP_OPEN))
        return 0;
    errno = ENOSPC;
    return 1;
}

static int open_mode(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

#define OPEN_SHIM(name)                                       \
    int name(const char *path, int flags, ...)                \
    {                                                         \
        static int (*f)(const char *, int, ...);              \
        va_list ap;                                           \
        va_start(ap, flags);                                  \
        int mode = open_mode(flags, ap);                      \
        va_end(ap);                                           \
        if (open_fails(path))                                 \
            return -1;                                        \
        if (!f)                                               \
            f = (int (*)(const char *, int, ...))real(#name); \
        return note_open(f(path, flags, mode), path);         \
    }
OPEN_SHIM(open)
OPEN_SHIM(open64)

#define OPENAT_SHIM(name)                                                         \
    int name(int at, const char *path, int flags, ...)                            \
    {                                                                             \
        static int (*f)(int, const char *, int, ...);                             \
        va_list ap;                                                               \
        va_start(ap, flags);                                                      \
        int mode = open_mode(flags, ap);                                          \
        va_end(ap);                                                               \
        if (at == AT_FDCWD && open_fails(path))                                   \
            return -1;                                                            \
        if (!f)                                                                   \
            f = (int (*)(int, const char *, int, ...))real(#name);                \
        return note_open(f(at, path, flags, mode), at == AT_FDCWD ? path : NULL); \
    }
OPENAT_SHIM(openat)
OPENAT_SHIM(openat64)

int mkstemp(char *tmpl)
{
    static int (*f)(char *);
    if (!f)
        f = (int (*)(char *))real("mkstemp");
    if (open_fails(tmpl))
        return -1;
    return note_open(f(tmpl), tmpl);
}

int close(int fd)
{
    static int (*f)(int);
    if (!f)
        f = (int (*)(int))real("close");
    if (fd >= 0 && fd < MAX_FD)
        atomic_store(&watched[fd], 0);
    return f(fd);
}

#define FALLOCATE_SHIM(name)                             \
    int name(int fd, off_t off, off_t len)               \
    {                                                    \
        static int (*f)(int, off_t, off_t);              \
        if (fault(fd, OP_ALLOC))                         \
            return ENOSPC;                               \
        if (!f)                                          \
            f = (int (*)(int, off_t, off_t))real(#name); \
        return f(fd, off, len);                          \
    }
FALLOCATE_SHIM(posix_fallocate)
FALLOCATE_SHIM(posix_fallocate64)

#define PIO_SHIM(name, op, buftype, err)                              \
    ssize_t name(int fd, buftype buf, size_t n, off_t off)            \
    {                                                                 \
        static ssize_t (*f)(int, buftype, size_t, off_t);             \
        if (fault(fd, op)) {                                          \
            errno = err;                                              \
            return -1;                                                \
        }                                                             \
        if (!f)                                                       \
            f = (ssize_t(*)(int, buftype, size_t, off_t))real(#name); \
        return f(fd, buf, n, off);                                    \
    }
PIO_SHIM(pwrite, OP_WRITE, const void *, ENOSPC)
PIO_SHIM(pwrite64, OP_WRITE, const void *, ENOSPC)
PIO_SHIM(pread, OP_READ, void *, EIO)
PIO_SHIM(pread64, OP_READ, void *, EIO)

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*f)(int, const void *, size_t);
    if (fault(fd, OP_WRITE)) {
        errno = ENOSPC;
        return -1;
    }
    if (!f)
        f = (ssize_t(*)(int, const void *, size_t))real("write");
    return f(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
    static ssize_t (*f)(int, void *, size_t);
    if (fault(fd, OP_READ)) {
        errno = EIO;
        return -1;
    }
    if (!f)
        f = (ssize_t(*)(int, void *, size_t))real("read");
    return f(fd, buf, n);
}
