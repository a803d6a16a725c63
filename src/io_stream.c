/*
 * io_stream.c - the lk_stream front end: opening files, stdin and memory
 * blocks, sniffing the codec from magic bytes, and the plain backend.
 *
 * The codec is decided by content only: files named .gz are often plain and
 * Pushshift dumps carry .zst with no other hint, so extensions are ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_backend.h"

/* One read(2) never asks for more than this: POSIX leaves counts above
 * SSIZE_MAX undefined and Linux caps a single read near 2 GiB anyway. */
#define RAW_READ_MAX ((size_t)1 << 30)

static const unsigned char gz_magic[2] = {0x1f, 0x8b};
static const unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

ptrdiff_t lk_stream_raw_read(lk_stream *s, void *buf, size_t n)
{
    unsigned char *out = buf;

    if (n == 0)
        return 0;
    if (n > RAW_READ_MAX)
        n = RAW_READ_MAX;

    /* Replay the sniffed bytes before touching the source again; returning
     * them alone keeps this simple and costs one extra call per stream. */
    if (s->peek_pos < s->peek_len) {
        const size_t k = LK_MIN(n, s->peek_len - s->peek_pos);
        memcpy(out, s->peek + s->peek_pos, k);
        s->peek_pos += k;
        s->raw_bytes += k;
        return (ptrdiff_t)k;
    }

    if (s->fd < 0) {
        const size_t k = LK_MIN(n, s->mem_len - s->mem_pos);
        if (k > 0)
            memcpy(out, s->mem + s->mem_pos, k);
        s->mem_pos += k;
        s->raw_bytes += k;
        return (ptrdiff_t)k;
    }

    for (;;) {
        const ssize_t got = read(s->fd, out, n);
        if (got >= 0) {
            s->raw_bytes += (uint64_t)got;
            return (ptrdiff_t)got;
        }
        if (errno != EINTR)
            break;
    }
    lk_errf(s->errmsg, "%s: read error: %s", s->name, strerror(errno));
    return LK_EIO;
}

/* ---- plain backend ------------------------------------------------------ */

/* Plain data goes straight into the caller's buffer: the line reader above
 * already reads in large blocks, so a second buffer here would only add a
 * copy. */
static lk_status plain_init(lk_stream *s)
{
    (void)s;
    return LK_OK;
}

static ptrdiff_t plain_read(lk_stream *s, void *buf, size_t n)
{
    return lk_stream_raw_read(s, buf, n);
}

static void plain_close(lk_stream *s)
{
    (void)s;
}

static const lk_stream_backend plain_backend = {"plain", plain_init, plain_read, plain_close};

/* ---- open / sniff --------------------------------------------------------- */

/* zstd skippable frames (magic 0x184D2A50..5F, little-endian) may open a
 * zstd file: pzstd writes one first to index its parallel frames.  No text
 * file starts with these bytes (the last is a control character). */
static int is_skippable(const unsigned char *b)
{
    return (b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18;
}

/* Fill s->peek with up to LK_STREAM_PEEK bytes.  Pipes may deliver them one
 * at a time, so loop until the buffer is full or the source ends. */
static lk_status sniff(lk_stream *s)
{
    unsigned char tmp[LK_STREAM_PEEK];
    size_t have = 0;

    while (have < LK_STREAM_PEEK) {
        const ptrdiff_t got = lk_stream_raw_read(s, tmp + have, LK_STREAM_PEEK - have);
        if (got < 0)
            return LK_EIO;
        if (got == 0)
            break;
        have += (size_t)got;
    }
    memcpy(s->peek, tmp, have);
    s->peek_len = have;
    s->peek_pos = 0;
    /* The sniffed bytes are counted again when they are replayed. */
    s->raw_bytes = 0;

    if (have >= sizeof gz_magic && memcmp(tmp, gz_magic, sizeof gz_magic) == 0)
        s->be = &lk_stream_gz_backend;
    else if (have == LK_STREAM_PEEK &&
             (memcmp(tmp, zstd_magic, sizeof zstd_magic) == 0 || is_skippable(tmp)))
        s->be = &lk_stream_zstd_backend;
    else
        s->be = &plain_backend;
    return LK_OK;
}

static char *dup_str(const char *str)
{
    const size_t n = strlen(str) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, str, n);
    return p;
}

/* Allocate a stream with no source yet; the fields left zero mean "nothing
 * to free", so lk_stream_close() works at every stage of a failed open. */
static lk_stream *stream_new(const char *name)
{
    lk_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = -1;
    s->name = dup_str(name);
    if (!s->name) {
        free(s);
        return NULL;
    }
    return s;
}

/* Sniff, pick the backend and let it set up.  Errors are copied to the
 * caller's errbuf because the stream is freed on failure. */
static lk_status stream_start(lk_stream *s, char *errbuf)
{
    lk_status st = sniff(s);
    if (st == LK_OK)
        st = s->be->init(s);
    if (st != LK_OK)
        lk_errf(errbuf, "%s", s->errmsg);
    return st;
}

lk_status lk_stream_open(const char *path, lk_stream **out, char *errbuf)
{
    lk_stream *s = NULL;
    lk_status st = LK_OK;
    const int is_stdin = strcmp(path, "-") == 0;

    *out = NULL;
    s = stream_new(is_stdin ? "(stdin)" : path);
    if (!s) {
        lk_errf(errbuf, "out of memory opening '%s'", path);
        st = LK_ENOMEM;
        goto cleanup;
    }
    if (is_stdin) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            lk_errf(errbuf, "cannot open '%s': %s", path, strerror(errno));
            st = LK_EIO;
            goto cleanup;
        }
        s->own_fd = 1;
    }
    st = stream_start(s, errbuf);
    if (st != LK_OK)
        goto cleanup;
    *out = s;
    s = NULL;

cleanup:
    lk_stream_close(s);
    return st;
}

static lk_status open_mem(const void *data, size_t n, const char *name, int plain, lk_stream **out,
                          char *errbuf)
{
    lk_stream *s = NULL;
    lk_status st = LK_OK;

    *out = NULL;
    s = stream_new(name ? name : "(memory)");
    if (!s) {
        lk_errf(errbuf, "out of memory opening '%s'", name ? name : "(memory)");
        st = LK_ENOMEM;
        goto cleanup;
    }
    /* A NULL block of length 0 is a valid empty stream; memcpy from NULL is
     * not, so point at something harmless. */
    s->mem = n > 0 ? data : (const unsigned char *)"";
    s->mem_len = n;
    if (plain) {
        s->be = &plain_backend;
        st = s->be->init(s);
    } else {
        st = stream_start(s, errbuf);
    }
    if (st != LK_OK)
        goto cleanup;
    *out = s;
    s = NULL;

cleanup:
    lk_stream_close(s);
    return st;
}

lk_status lk_stream_open_mem(const void *data, size_t n, const char *name, lk_stream **out,
                             char *errbuf)
{
    return open_mem(data, n, name, 0, out, errbuf);
}

lk_status lk_stream_open_mem_plain(const void *data, size_t n, const char *name, lk_stream **out,
                                   char *errbuf)
{
    return open_mem(data, n, name, 1, out, errbuf);
}

/* ---- reading and accessors ---------------------------------------------- */

ptrdiff_t lk_stream_read(lk_stream *s, void *buf, size_t n)
{
    ptrdiff_t got;

    /* Errors are sticky and EOF is latched: a backend is never re-entered
     * after it has given up, so a caller that keeps reading sees the same
     * answer instead of undefined decoder state. */
    if (s->back_pos < s->back_len && n > 0) {
        const size_t k = LK_MIN(n, s->back_len - s->back_pos);
        memcpy(buf, s->back + s->back_pos, k);
        s->back_pos += k;
        return (ptrdiff_t)k;
    }
    if (s->done < 0)
        return s->done;
    if (s->done > 0 || n == 0)
        return 0;
    if (n > PTRDIFF_MAX)
        n = PTRDIFF_MAX;
    got = s->be->read(s, buf, n);
    if (got < 0)
        s->done = (int)got;
    else if (got == 0)
        s->done = 1;
    return got;
}

lk_status lk_stream_unread(lk_stream *s, const void *data, size_t n)
{
    unsigned char *p;

    if (s->back_pos < s->back_len)
        return LK_EINVAL; /* one give-back at a time */
    if (n == 0)
        return LK_OK;
    p = realloc(s->back, n);
    if (!p)
        return LK_ENOMEM;
    memcpy(p, data, n);
    s->back = p;
    s->back_len = n;
    s->back_pos = 0;
    return LK_OK;
}

const char *lk_stream_errmsg(const lk_stream *s)
{
    return s->errmsg;
}

const char *lk_stream_name(const lk_stream *s)
{
    return s->name;
}

const char *lk_stream_codec(const lk_stream *s)
{
    return s->be ? s->be->codec : "plain";
}

uint64_t lk_stream_raw_bytes(const lk_stream *s)
{
    return s->raw_bytes;
}

int lk_stream_seekable(const lk_stream *s, uint64_t *size)
{
    struct stat sb;

    if (s->be != &plain_backend || s->fd < 0 || !s->own_fd || fstat(s->fd, &sb) != 0 ||
        !S_ISREG(sb.st_mode))
        return 0;
    *size = (uint64_t)sb.st_size;
    return 1;
}

uint64_t lk_stream_tell(const lk_stream *s)
{
    return s->raw_bytes - (s->back_len - s->back_pos);
}

ptrdiff_t lk_stream_pread(lk_stream *s, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;

    if (n > RAW_READ_MAX)
        n = RAW_READ_MAX;
    while (got < n) {
        const ssize_t r = pread(s->fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0)
            break;
        if (errno == EINTR)
            continue;
        lk_errf(s->errmsg, "%s: read error: %s", s->name, strerror(errno));
        return LK_EIO;
    }
    return (ptrdiff_t)got;
}

lk_status lk_stream_seek(lk_stream *s, uint64_t off)
{
    if (lseek(s->fd, (off_t)off, SEEK_SET) < 0) {
        lk_errf(s->errmsg, "%s: cannot seek: %s", s->name, strerror(errno));
        return LK_EIO;
    }
    s->peek_pos = s->peek_len;
    s->back_pos = s->back_len;
    s->raw_bytes = off;
    s->done = 0;
    return LK_OK;
}

void lk_stream_close(lk_stream *s)
{
    if (!s)
        return;
    const int saved_errno = errno;
    if (s->be)
        s->be->close(s);
    if (s->own_fd && s->fd >= 0)
        (void)close(s->fd);
    free(s->name);
    free(s->back);
    free(s);
    errno = saved_errno;
}
