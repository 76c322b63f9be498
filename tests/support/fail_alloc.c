/* fail_alloc.c: allocation-failure injection for tests, loaded with
 * LD_PRELOAD into an unchanged cosma binary (it is never part of cosma).
 * With COSMA_FAIL_ALLOC=N the N-th call of malloc, calloc or realloc made
 * after the program's libraries are loaded returns NULL (errno ENOMEM);
 * the later ones succeed.  When COSMA_FAIL_ALLOC_MARK names a file, it is
 * created at that moment, so a test knows the N-th allocation happened
 * (a run with fewer allocations leaves no mark).  COSMA_FAIL_ALLOC=0
 * fails nothing and COSMA_FAIL_ALLOC_COUNT names a file that receives the
 * number of allocations at exit. */
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

static unsigned long calls, fail_at;
static int active;

static void write_count(void)
{
    const char *path = getenv("COSMA_FAIL_ALLOC_COUNT");
    if (path == NULL)
        return;
    char text[32];
    int n = snprintf(text, sizeof text, "%lu\n", calls);
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
    active = 1;
    atexit(write_count);
}

static int fail_now(void)
{
    if (!active)
        return 0;
    calls++;
    if (fail_at == 0 || calls != fail_at)
        return 0;
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
    return fail_now() ? NULL : __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    return fail_now() ? NULL : __libc_calloc(count, size);
}

void *realloc(void *p, size_t size)
{
    return fail_now() ? NULL : __libc_realloc(p, size);
}

void free(void *p)
{
    __libc_free(p);
}
