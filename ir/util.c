/* util.c: the one copy of each small utility every module shares: FNV-1a
 * hashing, alignment, a seeded pseudo-random sequence, the monotonic
 * clock, a stable index sort and growable arrays. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cosma/ir.h>

#define FNV1A_PRIME 1099511628211ull
#define ARRAY_MIN_CAPACITY 16

uint64_t cosma_hash_bytes(uint64_t hash, const void *data, size_t length)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < length; i++) {
        hash ^= bytes[i];
        hash *= FNV1A_PRIME;
    }
    return hash;
}

uint64_t cosma_hash_string(uint64_t hash, const char *text)
{
    return cosma_hash_bytes(hash, text, strlen(text));
}

uint64_t cosma_align_up(uint64_t value, uint64_t align)
{
    if (align <= 1)
        return value;
    uint64_t rem = value % align;
    if (rem == 0)
        return value;
    return value > UINT64_MAX - (align - rem) ? UINT64_MAX : value + (align - rem);
}

uint64_t cosma_random_next(uint64_t *state)
{
    /* xorshift64 (Marsaglia 2003): shifts 13, 7, 17. */
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

double cosma_clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One bottom-up merge pass of runs of `width` from `from` into `to`. */
static void merge_pass(const int32_t *from, int32_t *to, int32_t n, int32_t width, cosma_index_cmp_t compare,
                       const void *ctx)
{
    for (int32_t lo = 0; lo < n; lo += 2 * width) {
        int32_t mid = width < n - lo ? lo + width : n;
        int32_t hi = 2 * width < n - lo ? lo + 2 * width : n;
        int32_t a = lo, b = mid, k = lo;
        while (a < mid && b < hi)
            to[k++] = compare(ctx, from[b], from[a]) < 0 ? from[b++] : from[a++];
        while (a < mid)
            to[k++] = from[a++];
        while (b < hi)
            to[k++] = from[b++];
    }
}

void cosma_sort_indices_in(int32_t *items, int32_t *scratch, int32_t n, cosma_index_cmp_t compare, const void *ctx)
{
    int32_t *from = items, *to = scratch;
    for (int32_t width = 1; width < n; width = width > n / 2 ? n : width * 2) {
        merge_pass(from, to, n, width, compare, ctx);
        int32_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != items)
        memcpy(items, from, (size_t)n * sizeof(int32_t));
}

int cosma_sort_indices(int32_t *items, int32_t n, cosma_index_cmp_t compare, const void *ctx)
{
    if (n < 2)
        return 0;
    int32_t *scratch = malloc((size_t)n * sizeof(int32_t));
    if (scratch == NULL)
        return -1;
    cosma_sort_indices_in(items, scratch, n, compare, ctx);
    free(scratch);
    return 0;
}

int cosma_array_reserve(void **items, size_t *capacity, size_t count, size_t elem_bytes)
{
    if (count <= *capacity)
        return 0;
    size_t grown_cap = *capacity < ARRAY_MIN_CAPACITY ? ARRAY_MIN_CAPACITY : *capacity;
    while (grown_cap < count) {
        if (grown_cap > SIZE_MAX / 2)
            return -1;
        grown_cap *= 2;
    }
    if (grown_cap > SIZE_MAX / elem_bytes)
        return -1;
    void *grown = realloc(*items, grown_cap * elem_bytes);
    if (grown == NULL)
        return -1;
    *items = grown;
    *capacity = grown_cap;
    return 0;
}
