/*
 * test_stream.c - lk_stream: sniffing, every codec against the plain
 * fixture, multi-member / multi-frame, long zstd windows, truncated and
 * corrupt input, tiny files, tiny reads, stdin and memory blocks; reads
 * at an offset, tell and seek on a plain file (what distributed reading by
 * byte range uses), and which streams allow them.
 *
 * Fixtures live in tests/data/stream (see README there for how they were
 * made); every compressed one decodes to plain.csv unless it is broken.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "io_stream.h"

#define FIX(name) LK_TEST_DATA "/stream/" name

/* Read size of the long test, matching what the line reader will use. */
#define LK_STREAM_TEST_BUF ((size_t)128 * 1024)

/* Whole file into memory (test-side reference reader, plain stdio). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p = NULL;
    long sz;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    sz = ftell(f);
    assert_true(sz >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    p = malloc((size_t)sz + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *len = (size_t)sz;
    return p;
}

/* Drain a stream in `chunk`-byte reads.  Returns the final read result (0 on
 * a clean end, negative on error) and the bytes decoded before it. */
static ptrdiff_t drain(lk_stream *s, size_t chunk, unsigned char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    unsigned char *p = malloc(cap);
    ptrdiff_t got;

    assert_non_null(p);
    for (;;) {
        if (cap - n < chunk) {
            cap = cap * 2 + chunk;
            p = realloc(p, cap);
            assert_non_null(p);
        }
        got = lk_stream_read(s, p + n, chunk);
        if (got <= 0)
            break;
        assert_true((size_t)got <= chunk);
        n += (size_t)got;
    }
    *out = p;
    *len = n;
    return got;
}

/* Open `path`, check its codec, decode it in `chunk`-byte reads and compare
 * with plain.csv. */
static void expect_plain(const char *path, const char *codec, size_t chunk)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    unsigned char *want, *got;
    size_t want_len, got_len, raw_len;

    want = slurp(FIX("plain.csv"), &want_len);
    free(slurp(path, &raw_len));
    assert_int_equal(lk_stream_open(path, &s, err), LK_OK);
    assert_string_equal(lk_stream_codec(s), codec);
    assert_string_equal(lk_stream_name(s), path);
    assert_int_equal(drain(s, chunk, &got, &got_len), 0);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    /* Every compressed byte was consumed, and counted once. */
    assert_int_equal(lk_stream_raw_bytes(s), raw_len);
    /* EOF is latched. */
    assert_int_equal(lk_stream_read(s, got, 16), 0);
    lk_stream_close(s);
    free(want);
    free(got);
}

static void test_plain(void **state)
{
    (void)state;
    expect_plain(FIX("plain.csv"), "plain", 65536);
}

static void test_gzip(void **state)
{
    (void)state;
    expect_plain(FIX("plain.csv.gz"), "gzip", 65536);
}

static void test_gzip_multi_member(void **state)
{
    (void)state;
    expect_plain(FIX("multi_member.csv.gz"), "gzip", 65536);
}

static void test_zstd(void **state)
{
    (void)state;
    expect_plain(FIX("plain.csv.zst"), "zstd", 65536);
}

static void test_zstd_multi_frame(void **state)
{
    (void)state;
    expect_plain(FIX("multi_frame.csv.zst"), "zstd", 65536);
}

/* Made with `zstd --long=31` from a pipe, so the header declares a 2 GiB
 * window and no content size: the default decoder limit (2^27) rejects it. */
static void test_zstd_long_window(void **state)
{
    (void)state;
    expect_plain(FIX("long_window.csv.zst"), "zstd", 65536);
}

/* pzstd opens its output with a skippable frame, not the zstd magic. */
static void test_zstd_skippable_first(void **state)
{
    (void)state;
    expect_plain(FIX("pzstd.csv.zst"), "zstd", 65536);
}

/* One byte per read must give exactly what bulk reads give, for every codec
 * (exercises the backends' "no output yet" loops and partial flushes). */
static void test_tiny_reads(void **state)
{
    (void)state;
    expect_plain(FIX("plain.csv"), "plain", 1);
    expect_plain(FIX("plain.csv.gz"), "gzip", 1);
    expect_plain(FIX("multi_member.csv.gz"), "gzip", 1);
    expect_plain(FIX("plain.csv.zst"), "zstd", 1);
    expect_plain(FIX("multi_frame.csv.zst"), "zstd", 1);
    expect_plain(FIX("long_window.csv.zst"), "zstd", 3);
    expect_plain(FIX("pzstd.csv.zst"), "zstd", 1);
}

/* Open a broken fixture, read it all, expect LK_EIO with `needle` in the
 * message, and the same error again on the next read. */
static void expect_error(const char *path, const char *codec, const char *needle, size_t chunk)
{
    char err[LK_ERRMSG_MAX] = "";
    char want_prefix[LK_ERRMSG_MAX];
    lk_stream *s = NULL;
    unsigned char *got, buf[8];
    size_t got_len;

    assert_int_equal(lk_stream_open(path, &s, err), LK_OK);
    assert_string_equal(lk_stream_codec(s), codec);
    assert_int_equal(drain(s, chunk, &got, &got_len), LK_EIO);
    snprintf(want_prefix, sizeof want_prefix, "%s: ", path);
    assert_true(strncmp(lk_stream_errmsg(s), want_prefix, strlen(want_prefix)) == 0);
    assert_non_null(strstr(lk_stream_errmsg(s), needle));
    /* Sticky: no retry into a decoder that already failed. */
    assert_int_equal(lk_stream_read(s, buf, sizeof buf), LK_EIO);
    lk_stream_close(s);
    free(got);
}

static void test_truncated_gzip(void **state)
{
    (void)state;
    expect_error(FIX("truncated.csv.gz"), "gzip", "truncated gzip stream", 65536);
    expect_error(FIX("truncated.csv.gz"), "gzip", "truncated gzip stream", 1);
}

static void test_truncated_zstd(void **state)
{
    (void)state;
    expect_error(FIX("truncated.csv.zst"), "zstd", "truncated zstd stream", 65536);
    expect_error(FIX("truncated.csv.zst"), "zstd", "truncated zstd stream", 1);
}

static void test_corrupt_gzip(void **state)
{
    (void)state;
    expect_error(FIX("corrupt.csv.gz"), "gzip", "corrupt gzip data (", 65536);
}

static void test_corrupt_zstd(void **state)
{
    (void)state;
    expect_error(FIX("corrupt.csv.zst"), "zstd", "corrupt zstd data: ", 65536);
}

/* A member followed by bytes that are not another member is not silently
 * accepted (gzip(1) warns "trailing garbage"); neither is a lone magic. */
static void test_gzip_trailing_garbage_and_bare_magic(void **state)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    unsigned char *gz, *got;
    size_t gz_len, got_len;
    static const unsigned char magic_only[] = {0x1f, 0x8b};
    static const unsigned char zmagic_only[] = {0x28, 0xb5, 0x2f, 0xfd};

    (void)state;
    gz = slurp(FIX("plain.csv.gz"), &gz_len);
    gz = realloc(gz, gz_len + 5);
    assert_non_null(gz);
    memcpy(gz + gz_len, "junk\n", 5);
    assert_int_equal(lk_stream_open_mem(gz, gz_len + 5, "mem.gz", &s, err), LK_OK);
    assert_int_equal(drain(s, 65536, &got, &got_len), LK_EIO);
    assert_non_null(strstr(lk_stream_errmsg(s), "mem.gz: corrupt gzip data ("));
    lk_stream_close(s);
    free(got);
    free(gz);

    assert_int_equal(lk_stream_open_mem(magic_only, 2, "m", &s, err), LK_OK);
    assert_string_equal(lk_stream_codec(s), "gzip");
    assert_int_equal(drain(s, 64, &got, &got_len), LK_EIO);
    assert_string_equal(lk_stream_errmsg(s), "m: truncated gzip stream");
    lk_stream_close(s);
    free(got);

    assert_int_equal(lk_stream_open_mem(zmagic_only, 4, "z", &s, err), LK_OK);
    assert_string_equal(lk_stream_codec(s), "zstd");
    assert_int_equal(drain(s, 64, &got, &got_len), LK_EIO);
    assert_string_equal(lk_stream_errmsg(s), "z: truncated zstd stream");
    lk_stream_close(s);
    free(got);
}

static void test_empty_file(void **state)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    unsigned char buf[16];

    (void)state;
    assert_int_equal(lk_stream_open(FIX("empty.csv"), &s, err), LK_OK);
    assert_string_equal(lk_stream_codec(s), "plain");
    assert_int_equal(lk_stream_read(s, buf, sizeof buf), 0);
    assert_int_equal(lk_stream_read(s, buf, sizeof buf), 0);
    assert_int_equal(lk_stream_raw_bytes(s), 0);
    lk_stream_close(s);

    assert_int_equal(lk_stream_open_mem(NULL, 0, NULL, &s, err), LK_OK);
    assert_string_equal(lk_stream_name(s), "(memory)");
    assert_int_equal(lk_stream_read(s, buf, sizeof buf), 0);
    lk_stream_close(s);
}

/* Files of 1-3 bytes, including prefixes of both magics: all plain, and the
 * sniffed bytes come back unchanged. */
static void test_short_files(void **state)
{
    static const char *const inputs[] = {"x", "\x1f", "ab\n", "\x8b", "\x28\xb5\x2f", "\x28\xb5"};
    static const size_t lens[] = {1, 1, 3, 1, 3, 2};
    char path[] = "/tmp/lk_test_stream_XXXXXX";
    char err[LK_ERRMSG_MAX] = "";

    (void)state;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        const int fd = mkstemp(path);
        lk_stream *s = NULL;
        unsigned char *got;
        size_t got_len;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, inputs[i], lens[i]), (ssize_t)lens[i]);
        close(fd);
        for (size_t chunk = 1; chunk <= 4; chunk += 3) {
            assert_int_equal(lk_stream_open(path, &s, err), LK_OK);
            assert_string_equal(lk_stream_codec(s), "plain");
            assert_int_equal(drain(s, chunk, &got, &got_len), 0);
            assert_int_equal(got_len, lens[i]);
            assert_memory_equal(got, inputs[i], lens[i]);
            lk_stream_close(s);
            free(got);
        }
        unlink(path);
        memcpy(path + sizeof path - 7, "XXXXXX", 6);
    }
}

static void test_open_errors(void **state)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = (lk_stream *)&err; /* must be reset to NULL on failure */

    (void)state;
    assert_int_equal(lk_stream_open(FIX("no_such_file.csv"), &s, err), LK_EIO);
    assert_null(s);
    assert_string_equal(err,
                        "cannot open '" FIX("no_such_file.csv") "': No such file or directory");

    /* A directory opens but cannot be read: the sniff reports it. */
    assert_int_equal(lk_stream_open(FIX(""), &s, err), LK_EIO);
    assert_null(s);
    assert_string_equal(err, FIX("") ": read error: Is a directory");

    /* NULL errbuf is allowed. */
    assert_int_equal(lk_stream_open(FIX("no_such_file.csv"), &s, NULL), LK_EIO);
    lk_stream_close(NULL);
}

/* Memory streams sniff and decode like files. */
static void test_open_mem(void **state)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    unsigned char *want, *gz, *got;
    size_t want_len, gz_len, got_len;

    (void)state;
    want = slurp(FIX("plain.csv"), &want_len);
    gz = slurp(FIX("multi_member.csv.gz"), &gz_len);
    assert_int_equal(lk_stream_open_mem(gz, gz_len, "in.gz", &s, err), LK_OK);
    assert_string_equal(lk_stream_codec(s), "gzip");
    assert_string_equal(lk_stream_name(s), "in.gz");
    assert_int_equal(drain(s, 7, &got, &got_len), 0);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    assert_int_equal(lk_stream_raw_bytes(s), gz_len);
    lk_stream_close(s);
    free(got);
    free(gz);
    free(want);
}

/* stdin: named "(stdin)", sniffed without seeking even when the bytes
 * trickle in one at a time, and never closed. */
static void test_stdin(void **state)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    unsigned char *want, *zst, *got;
    size_t want_len, zst_len, got_len;
    int pfd[2], status;
    pid_t pid;
    const int saved = dup(STDIN_FILENO);

    (void)state;
    assert_true(saved >= 0);
    want = slurp(FIX("plain.csv"), &want_len);
    zst = slurp(FIX("multi_frame.csv.zst"), &zst_len);
    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        /* The first bytes one by one, so the sniff sees short reads. */
        for (size_t i = 0; i < zst_len; i++) {
            if (write(pfd[1], zst + i, 1) != 1)
                _exit(1);
            if (i < 6)
                usleep(5000);
        }
        _exit(0);
    }
    close(pfd[1]);
    assert_true(dup2(pfd[0], STDIN_FILENO) >= 0);
    close(pfd[0]);

    assert_int_equal(lk_stream_open("-", &s, err), LK_OK);
    assert_string_equal(lk_stream_name(s), "(stdin)");
    assert_string_equal(lk_stream_codec(s), "zstd");
    assert_int_equal(drain(s, 1000, &got, &got_len), 0);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    lk_stream_close(s);
    assert_true(fcntl(STDIN_FILENO, F_GETFD) != -1);

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    free(got);
    free(zst);
    free(want);
}

/* The real thing: a Pushshift comment dump compressed with --long=31. */
static void test_pushshift_long_window(void **state)
{
    static const char path[] = LK_SHARED_DATA "/pushshift/RC_2005-12.zst";
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    unsigned char *buf;
    uint64_t lines = 0, bytes = 0;
    ptrdiff_t got;

    (void)state;
    if (access(path, R_OK) != 0)
        skip();
    assert_int_equal(lk_stream_open(path, &s, err), LK_OK);
    assert_string_equal(lk_stream_codec(s), "zstd");
    buf = malloc(LK_STREAM_TEST_BUF);
    assert_non_null(buf);
    while ((got = lk_stream_read(s, buf, LK_STREAM_TEST_BUF)) > 0) {
        bytes += (uint64_t)got;
        for (ptrdiff_t i = 0; i < got; i++)
            lines += buf[i] == '\n';
    }
    if (got < 0)
        fail_msg("%s", lk_stream_errmsg(s));
    assert_int_equal(lines, 1075);
    assert_true(bytes > lk_stream_raw_bytes(s));
    lk_stream_close(s);
    free(buf);
}

/* A plain file: seekable with its size; tell follows reads and give-backs;
 * pread at any offset returns the file's bytes without moving the stream
 * (short at the end, 0 past it); seek moves it, drops a give-back and sets
 * the bytes counted.  Compressed files and memory blocks are not
 * seekable. */
static void test_pread_seek(void **state)
{
    char err[LK_ERRMSG_MAX] = "";
    lk_stream *s = NULL;
    unsigned char *want, buf[300], tail[64];
    size_t len;
    uint64_t size = 0;

    (void)state;
    want = slurp(FIX("plain.csv"), &len);
    assert_true(len > 1000);
    assert_int_equal(lk_stream_open(FIX("plain.csv"), &s, err), LK_OK);
    assert_true(lk_stream_seekable(s, &size));
    assert_int_equal(size, len);
    assert_int_equal(lk_stream_tell(s), 0);
    assert_int_equal(lk_stream_read(s, buf, 100), 4); /* the sniffed bytes first */
    assert_int_equal(lk_stream_read(s, buf + 4, 96), 96);
    assert_int_equal(lk_stream_tell(s), 100);
    assert_int_equal(lk_stream_unread(s, buf + 60, 40), LK_OK);
    assert_int_equal(lk_stream_tell(s), 60);
    for (size_t off = 0; off < len; off += 97) {
        const size_t n = LK_MIN(sizeof buf, len - off);
        assert_int_equal(lk_stream_pread(s, buf, sizeof buf, off), (ptrdiff_t)n);
        assert_memory_equal(buf, want + off, n);
    }
    assert_int_equal(lk_stream_pread(s, buf, sizeof buf, len), 0);
    assert_int_equal(lk_stream_pread(s, buf, sizeof buf, len + 10), 0);
    /* the give-back still comes first: pread did not move the stream */
    assert_int_equal(lk_stream_read(s, buf, 40), 40);
    assert_memory_equal(buf, want + 60, 40);
    assert_int_equal(lk_stream_unread(s, buf, 40), LK_OK);
    assert_int_equal(lk_stream_seek(s, len - sizeof tail), LK_OK);
    assert_int_equal(lk_stream_tell(s), len - sizeof tail);
    assert_int_equal(lk_stream_raw_bytes(s), len - sizeof tail);
    assert_int_equal(lk_stream_read(s, tail, sizeof tail), (ptrdiff_t)sizeof tail);
    assert_memory_equal(tail, want + len - sizeof tail, sizeof tail);
    assert_int_equal(lk_stream_read(s, tail, sizeof tail), 0);
    /* back from the end: the end-of-stream latch is cleared */
    assert_int_equal(lk_stream_seek(s, 7), LK_OK);
    assert_int_equal(lk_stream_read(s, buf, 10), 10);
    assert_memory_equal(buf, want + 7, 10);
    lk_stream_close(s);

    assert_int_equal(lk_stream_open(FIX("plain.csv.zst"), &s, err), LK_OK);
    assert_false(lk_stream_seekable(s, &size));
    lk_stream_close(s);
    assert_int_equal(lk_stream_open(FIX("plain.csv.gz"), &s, err), LK_OK);
    assert_false(lk_stream_seekable(s, &size));
    lk_stream_close(s);
    assert_int_equal(lk_stream_open_mem_plain(want, len, NULL, &s, err), LK_OK);
    assert_false(lk_stream_seekable(s, &size));
    lk_stream_close(s);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_gzip_multi_member),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_zstd_multi_frame),
        cmocka_unit_test(test_zstd_long_window),
        cmocka_unit_test(test_zstd_skippable_first),
        cmocka_unit_test(test_tiny_reads),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_truncated_zstd),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_corrupt_zstd),
        cmocka_unit_test(test_gzip_trailing_garbage_and_bare_magic),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_short_files),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_open_mem),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_pushshift_long_window),
        cmocka_unit_test(test_pread_seek),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
