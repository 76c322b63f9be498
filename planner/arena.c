/* arena.c: placement-only allocators (no spills): every planned tensor is
 * resident from its first to its last step in a given order, and a placer
 * of planner/place/ only picks offsets.  The arena size each one needs is what the
 * COSMA planner's zero-traffic plans are compared against at M_P.
 * docs/baselines.md names the published algorithm behind each. */
#include <stdlib.h>
#include <string.h>

#include <cosma/place.h>
#include "planner_internal.h"

const char *const cosma_arena_algos[] = {"greedy-by-size", "first-fit", "hill-climb", "cosma", NULL};

/* The TFLite-style allocators (greedy-by-size, first-fit, hill-climb)
 * list every pair of tensors live at a common step: quadratic in the
 * tensors live at one step.  Beyond this many they are refused with a
 * message instead of running out of memory after minutes. */
#define PAIRWISE_MAX_LIVE 20000

/* The most items live at one step (steps 1..n_steps). */
static int32_t max_live_items(const cosma_place_item_t *items, int32_t n, int32_t n_steps, int32_t *out_step,
                              cosma_status_t *out_status)
{
    int32_t *delta = calloc((size_t)n_steps + 2, sizeof(int32_t));
    int32_t best = 0, live = 0;
    *out_step = 1;
    *out_status = delta == NULL ? COSMA_ERR_NOMEM : COSMA_OK;
    if (delta == NULL)
        return 0;
    for (int32_t i = 0; i < n; i++) {
        delta[items[i].first]++;
        delta[items[i].last + 1]--;
    }
    for (int32_t t = 1; t <= n_steps; t++) {
        live += delta[t];
        if (live > best) {
            best = live;
            *out_step = t;
        }
    }
    free(delta);
    return best;
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
    cosma_placer_t placer = COSMA_PLACER_COSMA;
    if (cosma_placer_find(algo, &placer) != 0 || placer == COSMA_PLACER_EXACT) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "arena size: unknown allocator '%s' (known: greedy-by-size, first-fit, hill-climb, cosma)", algo);
        return COSMA_ERR_USAGE;
    }
    int32_t n_ops = graph->n_ops, n_tensors = graph->n_tensors;
    cosma_status_t status = COSMA_OK;
    int32_t *default_order = NULL, *first = NULL, *last = NULL;
    uint64_t *sizes = NULL;
    cosma_place_item_t *items = NULL;
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
    int topological = 0;
    status = cosma_order_check(graph, order, &topological);
    if (status != COSMA_OK)
        goto done;
    if (!topological) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "arena size: the order is not a topological order of the operators of '%s'", graph->name);
        status = COSMA_ERR_INPUT;
        goto done;
    }
    sizes = malloc(((size_t)n_tensors + 1) * sizeof(uint64_t));
    first = malloc(((size_t)n_tensors + 1) * sizeof(int32_t));
    last = malloc(((size_t)n_tensors + 1) * sizeof(int32_t));
    items = calloc((size_t)n_tensors + 1, sizeof(cosma_place_item_t));
    if (sizes == NULL || first == NULL || last == NULL || items == NULL) {
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
        /* In tensor order: TFLite breaks ties by tensor index. */
        items[n] = (cosma_place_item_t){.first = first[x], .last = last[x], .bytes = sizes[x]};
        /* The sum of aligned sizes bounds every offset: check it once. */
        if (cosma_u64_add(total, cosma_align_up(sizes[x], align), &total) || total > (UINT64_MAX >> 1)) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "arena size: total tensor bytes of '%s' overflow 64 bits",
                              graph->name);
            status = COSMA_ERR_INPUT;
            goto done;
        }
        n++;
    }
    if (placer != COSMA_PLACER_COSMA) {
        int32_t step;
        int32_t widest = max_live_items(items, n, n_ops, &step, &status);
        if (status != COSMA_OK)
            goto done;
        if (widest > PAIRWISE_MAX_LIVE) {
            cosma_diag_report(diag, COSMA_SEV_ERROR,
                              "arena size: '%s' compares every pair of tensors live at one step, and %d are live at "
                              "step %d of '%s' (its limit is %d); --algo cosma has no such limit",
                              algo, (int)widest, (int)step, graph->name, PAIRWISE_MAX_LIVE);
            status = COSMA_ERR_INPUT;
            goto done;
        }
    }
    cosma_place_options_t options;
    cosma_place_options_init(&options);
    options.align = align;
    if (cosma_place(placer, items, n, &options, out_bytes) < 0)
        status = COSMA_ERR_NOMEM;
done:
    if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "arena size: out of memory");
    free(default_order);
    free(sizes);
    free(first);
    free(last);
    free(items);
    return status;
}
