/* fit.c: the published size-ordered placers behind cosma_place: TFLite's
 * greedy-by-size (best fit), TFLite Micro's first fit and TVM's hill
 * climb over it.  docs/baselines.md names the source of each. */
#include <stdlib.h>
#include <string.h>

#include "place_internal.h"

typedef struct {
    int32_t index; /* the item's, for tie-breaks */
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

/* Size descending, then earlier first use, then lower item index: the
 * order of TFLite's ArenaPlanner::CreateTensorAllocationVector. */
static int compare_by_size(const void *ctx, int32_t a, int32_t b)
{
    const block_t *x = (const block_t *)ctx + a, *y = (const block_t *)ctx + b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int compare_by_offset(const void *ctx, int32_t a, int32_t b)
{
    const block_t *x = (const block_t *)ctx + a, *y = (const block_t *)ctx + b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int compare_by_first(const void *ctx, int32_t a, int32_t b)
{
    const block_t *x = (const block_t *)ctx + a, *y = (const block_t *)ctx + b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
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

static int conflicts_build_items(const cosma_place_item_t *items, int32_t n, block_t *blocks, conflicts_t *out)
{
    for (int32_t i = 0; i < n; i++)
        blocks[i] = (block_t){.index = i, .first = items[i].first, .last = items[i].last, .bytes = items[i].bytes};
    return conflicts_build(blocks, n, out);
}

uint64_t cosma_place_gap(const cosma_span_t *spans, int32_t n_spans, uint64_t bytes, uint64_t align, cosma_fit_t fit)
{
    uint64_t current = 0, best = UINT64_MAX, best_gap = UINT64_MAX;
    for (int32_t j = 0; j < n_spans; j++) {
        uint64_t candidate = cosma_align_up(current, align);
        if (candidate <= spans[j].offset && spans[j].offset - candidate >= bytes) {
            uint64_t gap = spans[j].offset - current;
            if (fit == COSMA_FIT_FIRST)
                return candidate;
            if (gap < best_gap) {
                best = candidate;
                best_gap = gap;
            }
        }
        if (spans[j].end > current)
            current = spans[j].end;
    }
    return best != UINT64_MAX ? best : cosma_align_up(current, align);
}

/* Places blocks in the given order; each goes into a gap between the
 * already placed blocks it conflicts with, by cosma_place_gap's rule.
 * scratch and spans hold n + 1 entries.  Returns the extent. */
static uint64_t place_in_order(block_t *blocks, int32_t n, const int32_t *order, const conflicts_t *conflicts,
                               cosma_fit_t fit, uint64_t align, int32_t *scratch, int32_t *tmp, cosma_span_t *spans)
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
        for (int32_t j = 0; j < m; j++) {
            const block_t *other = &blocks[scratch[j]];
            spans[j] = (cosma_span_t){other->offset, other->offset + other->bytes};
        }
        b->offset = cosma_place_gap(spans, m, b->bytes, align, fit);
        b->placed = 1;
        if (b->offset + b->bytes > extent)
            extent = b->offset + b->bytes;
    }
    return extent;
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
    cosma_span_t *spans = malloc(((size_t)n + 1) * sizeof(cosma_span_t));
    int result = -1;
    if (scratch == NULL || tmp == NULL || pos == NULL || top == NULL || first_level == NULL ||
        second_level == NULL || saved == NULL || spans == NULL)
        goto done;
    uint64_t best = place_in_order(blocks, n, order, conflicts, COSMA_FIT_FIRST, align, scratch, tmp, spans);
    for (int32_t k = 0; k < n; k++)
        pos[order[k]] = k;
    for (int32_t i = 0; i < n; i++)
        saved[i] = blocks[i].offset;
    double cost = (double)n + (double)conflicts->start[n];
    int32_t attempts = HILL_CLIMB_ATTEMPTS;
    if (cost * attempts > HILL_CLIMB_WORK)
        attempts = (int32_t)(HILL_CLIMB_WORK / cost);
    uint64_t rng = COSMA_RANDOM_SEED;
    for (int32_t attempt = 0; attempt < attempts; attempt++) {
        /* Offsets are those of the best order here (a rejected swap
         * restores them), so "top" reads the current best layout. */
        int32_t n_top = 0;
        for (int32_t k = 0; k < n; k++)
            if (blocks[order[k]].offset + blocks[order[k]].bytes == best)
                top[n_top++] = order[k];
        if (n_top == 0)
            break;
        int32_t node = top[cosma_random_next(&rng) % (uint64_t)n_top];
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
        int32_t a = first_level[cosma_random_next(&rng) % (uint64_t)n_first], b = a;
        for (int tries = 0; tries < 8 && b == a; tries++) {
            if (n_second > 0 && cosma_random_next(&rng) % 100 > 25)
                b = second_level[cosma_random_next(&rng) % (uint64_t)n_second];
            else
                b = first_level[cosma_random_next(&rng) % (uint64_t)n_first];
        }
        if (b == a)
            continue;
        int32_t pa = pos[a], pb = pos[b];
        order[pa] = b;
        order[pb] = a;
        pos[a] = pb;
        pos[b] = pa;
        uint64_t extent = place_in_order(blocks, n, order, conflicts, COSMA_FIT_FIRST, align, scratch, tmp, spans);
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
    *out_extent = best;
    result = 0;
done:
    free(scratch);
    free(tmp);
    free(pos);
    free(top);
    free(first_level);
    free(second_level);
    free(saved);
    free(spans);
    return result;
}

typedef enum { RUN_BEST_FIT, RUN_FIRST_FIT, RUN_HILL_CLIMB } run_t;

/* Items become blocks (in item order, for the tie-breaks), sorted by
 * size as TFLite does, then placed by the chosen rule. */
static int fit_run(run_t run, cosma_place_item_t *items, int32_t n, const cosma_place_options_t *options,
                   uint64_t *out_extent)
{
    uint64_t align = options->align > 1 ? options->align : 1;
    block_t *blocks = calloc((size_t)n + 1, sizeof(block_t));
    int32_t *sorted = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *tmp = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *scratch = malloc(((size_t)n + 1) * sizeof(int32_t));
    cosma_span_t *spans = malloc(((size_t)n + 1) * sizeof(cosma_span_t));
    conflicts_t conflicts = {NULL, NULL};
    int result = -1;
    if (blocks == NULL || sorted == NULL || tmp == NULL || scratch == NULL || spans == NULL ||
        conflicts_build_items(items, n, blocks, &conflicts) != 0)
        goto done;
    for (int32_t i = 0; i < n; i++)
        sorted[i] = i;
    cosma_sort_indices_in(sorted, tmp, n, compare_by_size, blocks);
    uint64_t extent = 0;
    if (run == RUN_HILL_CLIMB) {
        if (hill_climb(blocks, n, sorted, &conflicts, align, &extent) != 0)
            goto done;
    } else {
        extent = place_in_order(blocks, n, sorted, &conflicts, run == RUN_BEST_FIT ? COSMA_FIT_BEST : COSMA_FIT_FIRST,
                                align, scratch, tmp, spans);
    }
    for (int32_t i = 0; i < n; i++)
        items[i].offset = blocks[i].offset;
    *out_extent = extent;
    result = extent <= options->capacity;
done:
    conflicts_free(&conflicts);
    free(blocks);
    free(sorted);
    free(tmp);
    free(scratch);
    free(spans);
    return result;
}

int cosma_place_greedy_by_size(cosma_place_item_t *items, int32_t n, const cosma_place_options_t *options,
                               uint64_t *out_extent)
{
    return fit_run(RUN_BEST_FIT, items, n, options, out_extent);
}

int cosma_place_first_fit(cosma_place_item_t *items, int32_t n, const cosma_place_options_t *options,
                          uint64_t *out_extent)
{
    return fit_run(RUN_FIRST_FIT, items, n, options, out_extent);
}

int cosma_place_hill_climb(cosma_place_item_t *items, int32_t n, const cosma_place_options_t *options,
                           uint64_t *out_extent)
{
    return fit_run(RUN_HILL_CLIMB, items, n, options, out_extent);
}
