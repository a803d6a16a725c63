/*
 * lk_faultmem.c - an LD_PRELOAD shim for tests: the Nth memory allocation
 * that lockstep's own code makes (malloc, calloc, realloc, aligned_alloc,
 * posix_memalign called from the program itself, not from a library)
 * fails, once, so that every allocation's error path runs in turn
 * (tests/py/test_faults.py).  The libraries' own allocations are left
 * alone: their error paths are theirs (igraph 0.10.2's Leiden, for one,
 * frees its aggregate graph twice when an allocation inside it fails).
 *
 *   LK_FAULT_AT     the counted allocation that fails (1-based); 0 or unset:
 *                   none, the allocations are only counted.
 *   LK_FAULT_COUNT  a file that receives, at exit, the number counted.
 *   LK_FAULT_TRACE  set: the failing allocation's call stack goes to stderr
 *                   (addr2line turns its program offsets into lines).
 *   LK_FAULT_RANK   under mpirun, the one rank (OMPI_COMM_WORLD_RANK) on
 *                   which the shim counts and fails; the others only forward.
 *
 * It forwards to glibc's __libc_* allocators, so it cannot be used with a
 * sanitizer's allocator (the test skips it in an ASan build).  The
 * allocations of several threads are counted in the order they come.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);

static atomic_ullong count;
static unsigned long long fail_at;
static uintptr_t prog_lo, prog_hi; /* the program's loaded segments */
static atomic_int ready;
static int trace;

static int find_program(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (!prog_lo || lo < prog_lo)
            prog_lo = lo;
        if (hi > prog_hi)
            prog_hi = hi;
    }
    return 1; /* the first object is the program */
}

__attribute__((constructor)) static void faultmem_init(void)
{
    const char *a = getenv("LK_FAULT_AT");
    const char *r = getenv("LK_FAULT_RANK");
    const char *me = getenv("OMPI_COMM_WORLD_RANK");
    if (r && *r && !(me && strcmp(r, me) == 0))
        return; /* not the rank that fails: never ready, nothing counted */
    fail_at = a ? strtoull(a, NULL, 10) : 0;
    trace = getenv("LK_FAULT_TRACE") != NULL;
    if (trace) { /* loads libgcc's unwinder now, not inside an allocation */
        void *b[1];
        (void)backtrace(b, 1);
    }
    dl_iterate_phdr(find_program, NULL);
    atomic_store(&ready, 1);
}

__attribute__((destructor)) static void faultmem_fini(void)
{
    const char *c = getenv("LK_FAULT_COUNT");
    if (!atomic_exchange(&ready, 0) || !c || !*c)
        return;
    FILE *f = fopen(c, "w");
    if (!f)
        return;
    fprintf(f, "%llu\n", (unsigned long long)atomic_load(&count));
    fclose(f);
}

/* 1 when this allocation, made from `caller`, is to fail. */
static int fail(const void *caller)
{
    uintptr_t c = (uintptr_t)caller;
    if (!atomic_load(&ready) || c < prog_lo || c >= prog_hi)
        return 0;
    if (atomic_fetch_add(&count, 1) + 1 != fail_at)
        return 0;
    if (trace) {
        void *b[48];
        backtrace_symbols_fd(b, backtrace(b, 48), 2);
    }
    return 1;
}

void *malloc(size_t n)
{
    if (fail(__builtin_return_address(0))) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (fail(__builtin_return_address(0))) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (fail(__builtin_return_address(0))) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    if (fail(__builtin_return_address(0))) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (fail(__builtin_return_address(0)))
        return ENOMEM;
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
