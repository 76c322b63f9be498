/* arena.c: bump allocation for graph- and plan-sized data, and checked
 * 64-bit arithmetic. */
#include <stdlib.h>
#include <string.h>

#include <cosma/ir.h>

struct cosma_arena_block {
    cosma_arena_block_t *next;
    size_t used, capacity;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_BLOCK_BYTES = 64 * 1024 };

void cosma_arena_init(cosma_arena_t *arena)
{
    arena->head = NULL;
    arena->total_bytes = 0;
}

void cosma_arena_free(cosma_arena_t *arena)
{
    cosma_arena_block_t *block = arena->head;
    while (block != NULL) {
        cosma_arena_block_t *next = block->next;
        free(block);
        block = next;
    }
    arena->head = NULL;
    arena->total_bytes = 0;
}

void *cosma_arena_alloc(cosma_arena_t *arena, size_t bytes)
{
    size_t rounded = (bytes + 15u) & ~(size_t)15u;
    if (rounded < bytes)
        return NULL;
    cosma_arena_block_t *block = arena->head;
    if (block == NULL || block->capacity - block->used < rounded) {
        size_t capacity = rounded > ARENA_BLOCK_BYTES ? rounded : ARENA_BLOCK_BYTES;
        if (capacity > SIZE_MAX - sizeof(cosma_arena_block_t))
            return NULL;
        block = malloc(sizeof(cosma_arena_block_t) + capacity);
        if (block == NULL)
            return NULL;
        block->used = 0;
        block->capacity = capacity;
        /* A big allocation goes behind the head so the head's spare room
         * stays usable. */
        if (arena->head != NULL && rounded > ARENA_BLOCK_BYTES) {
            block->next = arena->head->next;
            arena->head->next = block;
        } else {
            block->next = arena->head;
            arena->head = block;
        }
        arena->total_bytes += capacity;
    }
    void *result = block->data + block->used;
    block->used += rounded;
    memset(result, 0, rounded);
    return result;
}

void *cosma_arena_calloc(cosma_arena_t *arena, size_t count, size_t elem_bytes)
{
    if (elem_bytes != 0 && count > SIZE_MAX / elem_bytes)
        return NULL;
    return cosma_arena_alloc(arena, count * elem_bytes == 0 ? 1 : count * elem_bytes);
}

char *cosma_arena_strndup(cosma_arena_t *arena, const char *text, size_t length)
{
    char *copy = cosma_arena_alloc(arena, length + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}

char *cosma_arena_strdup(cosma_arena_t *arena, const char *text)
{
    return cosma_arena_strndup(arena, text, strlen(text));
}

int cosma_u64_add(uint64_t a, uint64_t b, uint64_t *out_sum)
{
    *out_sum = a + b;
    return *out_sum < a;
}

int cosma_u64_mul(uint64_t a, uint64_t b, uint64_t *out_product)
{
    if (a != 0 && b > UINT64_MAX / a)
        return 1;
    *out_product = a * b;
    return 0;
}
