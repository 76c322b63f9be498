/* order_screen.c: the hot steps of an order (zero-spill live bytes above
 * the budget), which screen the order local search's moves before the
 * expensive relaxed residency scores them (order_screen.h). */
#include <stdlib.h>
#include <string.h>

#include "order_screen.h"

cosma_status_t cosma_order_screen_init(cosma_order_screen_t *screen, const cosma_problem_t *problem,
                                       const int32_t *order, uint64_t budget, int32_t reach)
{
    size_t n = (size_t)problem->n_ops + 1, m = (size_t)problem->n_tensors + 1;
    *screen = (cosma_order_screen_t){.problem = problem,
                                     .budget = budget,
                                     .reach = reach,
                                     .order = malloc(n * sizeof(int32_t)),
                                     .position = malloc(n * sizeof(int32_t)),
                                     .hot_below = malloc((n + 1) * sizeof(int32_t)),
                                     .hot_tensor = malloc(m),
                                     .first = malloc(m * sizeof(int32_t)),
                                     .last = malloc(m * sizeof(int32_t)),
                                     .delta = malloc((n + 1) * sizeof(uint64_t)),
                                     .delta_host = malloc((n + 1) * sizeof(uint64_t))};
    if (screen->order == NULL || screen->position == NULL || screen->hot_below == NULL || screen->hot_tensor == NULL || screen->first == NULL || screen->last == NULL ||
        screen->delta == NULL || screen->delta_host == NULL) {
        cosma_order_screen_free(screen);
        return COSMA_ERR_NOMEM;
    }
    cosma_order_screen_update(screen, order);
    return COSMA_OK;
}

void cosma_order_screen_free(cosma_order_screen_t *screen)
{
    free(screen->order);
    free(screen->position);
    free(screen->hot_below);
    free(screen->hot_tensor);
    free(screen->first);
    free(screen->last);
    free(screen->delta);
    free(screen->delta_host);
    memset(screen, 0, sizeof *screen);
}

static void screen_live_deltas(cosma_order_screen_t *screen, const int32_t *order)
{
    cosma_order_live_deltas(screen->problem, order, screen->first, screen->last, screen->delta, screen->delta_host);
}

void cosma_order_screen_update(cosma_order_screen_t *screen, const int32_t *order)
{
    int32_t n = screen->problem->n_ops;
    memcpy(screen->order, order, (size_t)n * sizeof(int32_t));
    for (int32_t s = 0; s < n; s++)
        screen->position[order[s]] = s;
    screen_live_deltas(screen, order);
    uint64_t live = 0;
    screen->hot_below[0] = 0;
    for (int32_t s = 0; s < n; s++) {
        live += screen->delta[s];
        screen->hot_below[s + 1] = screen->hot_below[s] + (live > screen->budget);
    }
    const cosma_problem_t *problem = screen->problem;
    for (int32_t t = 0; t < problem->n_tensors; t++)
        screen->hot_tensor[t] = problem->size[t] > 0 && screen->first[t] > 0 &&
                                screen->hot_below[screen->last[t]] > screen->hot_below[screen->first[t] - 1];
}

int cosma_order_screen_touches_hot(const cosma_order_screen_t *screen, int32_t op)
{
    const cosma_problem_t *problem = screen->problem;
    for (int32_t k = problem->operand_start[op]; k < problem->operand_start[op + 1]; k++)
        if (screen->hot_tensor[problem->operands[k]])
            return 1;
    return 0;
}

uint64_t cosma_order_screen_excess(cosma_order_screen_t *screen, const int32_t *order)
{
    screen_live_deltas(screen, order);
    uint64_t live = 0, host = 0, bound = 0;
    for (int32_t s = 0; s < screen->problem->n_ops; s++) {
        live += screen->delta[s];
        host += screen->delta_host[s];
        if (live <= screen->budget)
            continue;
        /* The cheapest eviction of the excess: host copies first (a read
         * back each), then activations (a write and a read). */
        uint64_t excess = live - screen->budget;
        uint64_t cost = host >= excess ? excess : 2 * excess - host;
        if (cost > bound)
            bound = cost;
    }
    return bound;
}

int cosma_order_screen_movable(const cosma_order_screen_t *screen, int32_t op)
{
    int32_t n = screen->problem->n_ops, i = screen->position[op];
    int32_t lo = i - screen->reach < 0 ? 0 : i - screen->reach;
    int32_t hi = i + screen->reach >= n ? n - 1 : i + screen->reach;
    return screen->hot_below[hi + 1] > screen->hot_below[lo];
}

int cosma_order_screen_worth(const cosma_order_screen_t *screen, const int32_t *trial)
{
    int32_t n = screen->problem->n_ops, lo = 0, hi = n - 1;
    while (lo < n && trial[lo] == screen->order[lo])
        lo++;
    while (hi > lo && trial[hi] == screen->order[hi])
        hi--;
    return lo < n && screen->hot_below[hi + 1] > screen->hot_below[lo];
}
