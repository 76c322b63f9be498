/* arena.c: placement-only allocators (no spills): every planned tensor is
 * resident from its first to its last step in a given order, and the
 * allocator only picks offsets.  The arena size each one needs is what the
 * COSMA planner's zero-traffic plans are compared against at M_P.
 * docs/baselines.md names the published algorithm behind each. */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

const char *const cosma_arena_algos[] = {"greedy-by-size", "first-fit", "hill-climb", "cosma", NULL};

typedef struct {
    int32_t tensor;
    int32_t first, last;
    uint64_t bytes;
    uint64_t offset;
    int placed;
} block_t;

/* Conflicts (items whose lifetimes share a step), as a CSR table. */
typedef struct {
    int32_t *start; /* n + 1 */
    int32_t *list;
} conflicts_t;

typedef enum { FIT_BEST, FIT_FIRST } fit_t;

/* Size descending, then earlier first use, then lower tensor index: the
 * order of TFLite's ArenaPlanner::CreateTensorAllocationVector. */
static int compare_by_size(const void *ctx, int32_t a, int32_t b)
{
    const block_t *x = (const block_t *)ctx + a, *y = (const block_t *)ctx + b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->tensor > y->tensor) - (x->tensor < y->tensor);
}

static int compare_by_offset(const void *ctx, int32_t a, int32_t b)
{
    const block_t *x = (const block_t *)ctx + a, *y = (const block_t *)ctx + b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->tensor > y->tensor) - (x->tensor < y->tensor);
}

static int compare_by_first(const void *ctx, int32_t a, int32_t b)
{
    const block_t *x = (const block_t *)ctx + a, *y = (const block_t *)ctx + b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->tensor > y->tensor) - (x->tensor < y->tensor);
}

static void conflicts_free(conflicts_t *c)
{
    free(c->start);
    free(c->list);
    c->start = c->list = NULL;
}

/* Every pair of blocks alive at a common step, found with a sweep over the
 * blocks sorted by first step.  Returns 0, or -1 when out of memory. */
static int conflicts_build(const block_t *blocks, int32_t n, conflicts_t *out)
{
    out->start = calloc((size_t)n + 1, sizeof(int32_t));
    out->list = NULL;
    int32_t *by_first = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *tmp = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *fill = calloc((size_t)n + 1, sizeof(int32_t));
    int ok = out->start != NULL && by_first != NULL && tmp != NULL && fill != NULL;
    if (ok) {
        for (int32_t i = 0; i < n; i++)
            by_first[i] = i;
        cosma_sort_indices_in(by_first, tmp, n, compare_by_first, blocks);
        size_t pairs = 0;
        for (int32_t a = 0; a < n; a++)
            for (int32_t b = a + 1; b < n && blocks[by_first[b]].first <= blocks[by_first[a]].last; b++) {
                out->start[by_first[a] + 1]++;
                out->start[by_first[b] + 1]++;
                pairs++;
            }
        ok = pairs <= (size_t)INT32_MAX / 2;
        if (ok) {
            for (int32_t i = 0; i < n; i++)
                out->start[i + 1] += out->start[i];
            out->list = malloc((2 * pairs + 1) * sizeof(int32_t));
            ok = out->list != NULL;
        }
        if (ok)
            for (int32_t a = 0; a < n; a++)
                for (int32_t b = a + 1; b < n && blocks[by_first[b]].first <= blocks[by_first[a]].last; b++) {
                    int32_t x = by_first[a], y = by_first[b];
                    out->list[out->start[x] + fill[x]++] = y;
                    out->list[out->start[y] + fill[y]++] = x;
                }
    }
    free(by_first);
    free(tmp);
    free(fill);
    if (!ok)
        conflicts_free(out);
    return ok ? 0 : -1;
}

/* Places blocks in the given order; each goes into a gap between the
 * already placed blocks it conflicts with (scanned in offset order):
 * FIT_BEST takes the smallest gap that fits (TFLite SimpleMemoryArena),
 * FIT_FIRST the lowest one (TFLite Micro GreedyMemoryPlanner, TVM); with
 * no fitting gap the block goes after the highest conflicting one.
 * scratch holds n + 1 entries.  Returns the extent. */
static uint64_t place_in_order(block_t *blocks, int32_t n, const int32_t *order, const conflicts_t *conflicts,
                               fit_t fit, uint64_t align, int32_t *scratch, int32_t *tmp)
{
    uint64_t extent = 0;
    for (int32_t i = 0; i < n; i++)
        blocks[i].placed = 0;
    for (int32_t k = 0; k < n; k++) {
        block_t *b = &blocks[order[k]];
        int32_t m = 0;
        for (int32_t c = conflicts->start[order[k]]; c < conflicts->start[order[k] + 1]; c++)
            if (blocks[conflicts->list[c]].placed)
                scratch[m++] = conflicts->list[c];
        cosma_sort_indices_in(scratch, tmp, m, compare_by_offset, blocks);
        uint64_t current = 0, best = UINT64_MAX, best_gap = UINT64_MAX;
        for (int32_t j = 0; j < m; j++) {
            const block_t *other = &blocks[scratch[j]];
            uint64_t candidate = cosma_align_up(current, align);
            if (candidate <= other->offset && other->offset - candidate >= b->bytes) {
                uint64_t gap = other->offset - current;
                if (fit == FIT_FIRST) {
                    best = candidate;
                    break;
                }
                if (gap < best_gap) {
                    best = candidate;
                    best_gap = gap;
                }
            }
            if (other->offset + other->bytes > current)
                current = other->offset + other->bytes;
        }
        if (best == UINT64_MAX)
            best = cosma_align_up(current, align);
        b->offset = best;
        b->placed = 1;
        if (best + b->bytes > extent)
            extent = best + b->bytes;
    }
    return extent;
}

static uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* TVM's hill climb (src/tir/usmp/algo/hill_climb.cc), made deterministic:
 * pick a block at the top of the arena, swap one of its neighbours placed
 * before it (first level) with a neighbour of a neighbour (second level)
 * or another first-level one, re-place everything first-fit, keep the swap
 * only if the arena shrank (TVM also accepts worse orders at random).  The number of attempts is
 * bounded by TVM's 500 and by a work budget so large graphs stay fast. */
#define HILL_CLIMB_ATTEMPTS 500
#define HILL_CLIMB_WORK 40000000.0

static int hill_climb(block_t *blocks, int32_t n, int32_t *order, const conflicts_t *conflicts, uint64_t align,
                      uint64_t *out_extent)
{
    int32_t *scratch = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *tmp = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *pos = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *top = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *first_level = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *second_level = malloc(((size_t)conflicts->start[n] + 1) * sizeof(int32_t));
    uint64_t *saved = malloc(((size_t)n + 1) * sizeof(uint64_t));
    if (scratch == NULL || tmp == NULL || pos == NULL || top == NULL || first_level == NULL ||
        second_level == NULL || saved == NULL) {
        free(saved);
        free(scratch);
        free(tmp);
        free(pos);
        free(top);
        free(first_level);
        free(second_level);
        return -1;
    }
    uint64_t best = place_in_order(blocks, n, order, conflicts, FIT_FIRST, align, scratch, tmp);
    for (int32_t k = 0; k < n; k++)
        pos[order[k]] = k;
    for (int32_t i = 0; i < n; i++)
        saved[i] = blocks[i].offset;
    double cost = (double)n + (double)conflicts->start[n];
    int32_t attempts = HILL_CLIMB_ATTEMPTS;
    if (cost * attempts > HILL_CLIMB_WORK)
        attempts = (int32_t)(HILL_CLIMB_WORK / cost);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (int32_t attempt = 0; attempt < attempts; attempt++) {
        /* Offsets are those of the best order here (a rejected swap
         * restores them), so "top" reads the current best layout. */
        int32_t n_top = 0;
        for (int32_t k = 0; k < n; k++)
            if (blocks[order[k]].offset + blocks[order[k]].bytes == best)
                top[n_top++] = order[k];
        if (n_top == 0)
            break;
        int32_t node = top[xorshift64(&rng) % (uint64_t)n_top];
        int32_t n_first = 0, n_second = 0;
        for (int32_t c = conflicts->start[node]; c < conflicts->start[node + 1]; c++) {
            int32_t c1 = conflicts->list[c];
            if (pos[c1] < pos[node])
                first_level[n_first++] = c1;
            for (int32_t d = conflicts->start[c1]; d < conflicts->start[c1 + 1]; d++)
                if (pos[conflicts->list[d]] < pos[c1] && n_second < conflicts->start[n])
                    second_level[n_second++] = conflicts->list[d];
        }
        if (n_first == 0)
            break; /* the top block sits alone at offset 0: the extent is its size, optimal */
        int32_t a = first_level[xorshift64(&rng) % (uint64_t)n_first], b = a;
        for (int tries = 0; tries < 8 && b == a; tries++) {
            if (n_second > 0 && xorshift64(&rng) % 100 > 25)
                b = second_level[xorshift64(&rng) % (uint64_t)n_second];
            else
                b = first_level[xorshift64(&rng) % (uint64_t)n_first];
        }
        if (b == a)
            continue;
        int32_t pa = pos[a], pb = pos[b];
        order[pa] = b;
        order[pb] = a;
        pos[a] = pb;
        pos[b] = pa;
        uint64_t extent = place_in_order(blocks, n, order, conflicts, FIT_FIRST, align, scratch, tmp);
        if (extent < best) {
            best = extent;
            for (int32_t i = 0; i < n; i++)
                saved[i] = blocks[i].offset;
        } else {
            order[pa] = a;
            order[pb] = b;
            pos[a] = pa;
            pos[b] = pb;
            for (int32_t i = 0; i < n; i++)
                blocks[i].offset = saved[i];
        }
    }
    free(scratch);
    free(tmp);
    free(pos);
    free(top);
    free(first_level);
    free(second_level);
    free(saved);
    *out_extent = best;
    return 0;
}

/* Ours: the placer the COSMA planner itself uses (planner/place.c). */
static cosma_status_t place_cosma(const block_t *blocks, int32_t n, uint64_t align, uint64_t *out_extent)
{
    cosma_place_item_t *items = calloc((size_t)n + 1, sizeof *items);
    if (items == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++) {
        items[i].first = blocks[i].first;
        items[i].last = blocks[i].last;
        items[i].bytes = blocks[i].bytes;
    }
    int placed = cosma_place_items(items, n, UINT64_MAX, align, out_extent);
    free(items);
    return placed < 0 ? COSMA_ERR_NOMEM : COSMA_OK;
}

static int is_power_of_two(uint64_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

cosma_status_t cosma_arena_size(const cosma_graph_t *graph, const cosma_mode_t *mode, const int32_t *order,
                                const char *algo, uint64_t align, uint64_t *out_bytes, cosma_diag_t *diag)
{
    if (graph == NULL || mode == NULL || algo == NULL || out_bytes == NULL || !graph->finalized) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "arena size: missing graph, mode, algorithm or result");
        return COSMA_ERR_USAGE;
    }
    if (!is_power_of_two(align)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "arena size: alignment %llu is not a power of two",
                          (unsigned long long)align);
        return COSMA_ERR_USAGE;
    }
    int known = 0;
    for (int32_t a = 0; cosma_arena_algos[a] != NULL && !known; a++)
        known = strcmp(algo, cosma_arena_algos[a]) == 0;
    if (!known) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "arena size: unknown allocator '%s' (known: greedy-by-size, first-fit, hill-climb, cosma)", algo);
        return COSMA_ERR_USAGE;
    }
    int32_t n_ops = graph->n_ops, n_tensors = graph->n_tensors;
    cosma_status_t status = COSMA_OK;
    int32_t *default_order = NULL, *first = NULL, *last = NULL, *sorted = NULL, *tmp = NULL, *scratch = NULL;
    uint64_t *sizes = NULL;
    block_t *blocks = NULL;
    conflicts_t conflicts = {NULL, NULL};
    if (order == NULL) {
        default_order = malloc(((size_t)n_ops + 1) * sizeof(int32_t));
        if (default_order == NULL) {
            status = COSMA_ERR_NOMEM;
            goto done;
        }
        for (int32_t o = 0; o < n_ops; o++)
            default_order[o] = o;
        order = default_order;
    }
    if (!cosma_order_is_topological(graph, order)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "arena size: the order is not a topological order of the operators of '%s'", graph->name);
        status = COSMA_ERR_INPUT;
        goto done;
    }
    sizes = malloc(((size_t)n_tensors + 1) * sizeof(uint64_t));
    first = malloc(((size_t)n_tensors + 1) * sizeof(int32_t));
    last = malloc(((size_t)n_tensors + 1) * sizeof(int32_t));
    blocks = calloc((size_t)n_tensors + 1, sizeof(block_t));
    if (sizes == NULL || first == NULL || last == NULL || blocks == NULL) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    status = cosma_graph_sizes(graph, mode, sizes, diag);
    if (status != COSMA_OK)
        goto done;
    cosma_order_lifetimes(graph, mode, order, first, last);
    int32_t n = 0;
    uint64_t total = 0;
    for (int32_t x = 0; x < n_tensors; x++) {
        if (first[x] == 0)
            continue;
        blocks[n].tensor = x;
        blocks[n].first = first[x];
        blocks[n].last = last[x];
        blocks[n].bytes = sizes[x];
        /* The sum of aligned sizes bounds every offset: check it once. */
        if (cosma_u64_add(total, cosma_align_up(sizes[x], align), &total) || total > (UINT64_MAX >> 1)) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "arena size: total tensor bytes of '%s' overflow 64 bits",
                              graph->name);
            status = COSMA_ERR_INPUT;
            goto done;
        }
        n++;
    }
    sorted = malloc(((size_t)n + 1) * sizeof(int32_t));
    tmp = malloc(((size_t)n + 1) * sizeof(int32_t));
    scratch = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (sorted == NULL || tmp == NULL || scratch == NULL || conflicts_build(blocks, n, &conflicts) != 0) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    for (int32_t i = 0; i < n; i++)
        sorted[i] = i;
    cosma_sort_indices_in(sorted, tmp, n, compare_by_size, blocks);
    if (strcmp(algo, "greedy-by-size") == 0) {
        *out_bytes = place_in_order(blocks, n, sorted, &conflicts, FIT_BEST, align, scratch, tmp);
    } else if (strcmp(algo, "first-fit") == 0) {
        *out_bytes = place_in_order(blocks, n, sorted, &conflicts, FIT_FIRST, align, scratch, tmp);
    } else if (strcmp(algo, "hill-climb") == 0) {
        if (hill_climb(blocks, n, sorted, &conflicts, align, out_bytes) != 0)
            status = COSMA_ERR_NOMEM;
    } else {
        status = place_cosma(blocks, n, align, out_bytes);
    }
done:
    if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "arena size: out of memory");
    conflicts_free(&conflicts);
    free(default_order);
    free(sizes);
    free(first);
    free(last);
    free(blocks);
    free(sorted);
    free(tmp);
    free(scratch);
    return status;
}
