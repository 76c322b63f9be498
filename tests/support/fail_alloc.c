/* fail_alloc.c: allocation-failure injection for tests, loaded with
 * LD_PRELOAD into an unchanged cosma binary (it is never part of cosma).
 * Counting starts once the program's libraries are loaded:
 *   COSMA_FAIL_ALLOC=N       the N-th call of malloc, calloc or realloc
 *                            returns NULL (errno ENOMEM), later ones succeed;
 *   COSMA_FAIL_ALLOC_SITE=N  the first call from the N-th distinct call site
 *                            (return address, in the order first reached)
 *                            fails: one run per site, not per allocation.
 * When COSMA_FAIL_ALLOC_MARK names a file, it is created when the failure
 * is injected, so a test knows the N-th allocation or site was reached.
 * COSMA_FAIL_ALLOC_COUNT names a file that receives, at exit, the number of
 * allocations and of distinct sites. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

/* Test-only state: a preloaded allocator has no other place for it. */
static unsigned long calls, fail_at, fail_site;
static int active, failed;
#define MAX_SITES 16384
static void *sites[MAX_SITES];
static unsigned long n_sites;

static void write_count(void)
{
    const char *path = getenv("COSMA_FAIL_ALLOC_COUNT");
    if (path == NULL)
        return;
    char text[48];
    int n = snprintf(text, sizeof text, "%lu %lu\n", calls, n_sites);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, text, (size_t)n) != n)
            n = 0;
        close(fd);
    }
}

__attribute__((constructor)) static void start(void)
{
    const char *n = getenv("COSMA_FAIL_ALLOC");
    fail_at = n != NULL ? strtoul(n, NULL, 10) : 0;
    const char *site = getenv("COSMA_FAIL_ALLOC_SITE");
    fail_site = site != NULL ? strtoul(site, NULL, 10) : 0;
    active = 1;
    atexit(write_count);
}

/* Whether site is met for the first time, and its number if so. */
static unsigned long new_site(void *site)
{
    for (unsigned long k = 0; k < n_sites; k++)
        if (sites[k] == site)
            return 0;
    if (n_sites < MAX_SITES)
        sites[n_sites] = site;
    return ++n_sites;
}

static int fail_now(void *site)
{
    if (!active)
        return 0;
    calls++;
    unsigned long site_number = new_site(site);
    int fail = (fail_at != 0 && calls == fail_at) || (fail_site != 0 && site_number == fail_site);
    if (!fail || failed)
        return 0;
    failed = 1;
    const char *mark = getenv("COSMA_FAIL_ALLOC_MARK");
    if (mark != NULL) {
        int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            close(fd);
    }
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t size)
{
    return fail_now(__builtin_return_address(0)) ? NULL : __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    return fail_now(__builtin_return_address(0)) ? NULL : __libc_calloc(count, size);
}

void *realloc(void *p, size_t size)
{
    return fail_now(__builtin_return_address(0)) ? NULL : __libc_realloc(p, size);
}

void free(void *p)
{
    __libc_free(p);
}
