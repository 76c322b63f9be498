/* orders.c: moving operators within their dependency windows, and the
 * search for an order whose zero-spill tensors fit a budget once placed. */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

/* Moves tried by the placement search: a fixed amount of work, so results
 * do not depend on the machine (the deadline is only a guard).  Each move
 * places every tensor again, so on large graphs the moves are fewer:
 * at most PLACEMENT_WORK tensors placed in all (the Transformer with
 * parameters, 815 tensors, gets 122 moves; a 5,000-operator graph 20). */
enum { MAX_PLACEMENT_MOVES = 600, PLACEMENT_WORK = 100000 };

/* How far (positions) the placement search moves one operator. */
enum { PLACEMENT_SEARCH_REACH = 8 };

/* The positions operator order[i] may move to without breaking a
 * dependency, at most `reach` away.  position[op] = index in order. */
void cosma_order_move_window(const cosma_problem_t *problem, const int32_t *order, const int32_t *position, int32_t i,
                        int32_t reach, int32_t *out_lo, int32_t *out_hi)
{
    int32_t n = problem->n_ops, op = order[i];
    int32_t lo = i - reach < 0 ? 0 : i - reach, hi = i + reach >= n ? n - 1 : i + reach;
    for (int32_t k = problem->pred_start[op]; k < problem->pred_start[op + 1]; k++)
        if (position[problem->preds[k]] + 1 > lo)
            lo = position[problem->preds[k]] + 1;
    for (int32_t k = problem->succ_start[op]; k < problem->succ_start[op + 1]; k++)
        if (position[problem->succs[k]] - 1 < hi)
            hi = position[problem->succs[k]] - 1;
    *out_lo = lo;
    *out_hi = hi;
}

/* trial = order with the operator at i moved to j, the ones between
 * shifted by one. */
void cosma_order_move(const int32_t *order, int32_t n, int32_t i, int32_t j, int32_t *trial)
{
    int32_t op = order[i];
    memcpy(trial, order, (size_t)n * sizeof(int32_t));
    if (j < i)
        memmove(trial + j + 1, trial + j, (size_t)(i - j) * sizeof(int32_t));
    else
        memmove(trial + i, trial + i + 1, (size_t)(j - i) * sizeof(int32_t));
    trial[j] = op;
}

/* The zero-spill intervals of an order (each planned tensor resident from
 * its first to its last use) as placement items; first and last are
 * scratch of n_tensors entries, tensor_of (optional) gets each item's
 * tensor.  Returns the number of items. */
static int32_t zero_spill_items(const cosma_problem_t *problem, const int32_t *order, int32_t *first, int32_t *last,
                                cosma_place_item_t *items, int32_t *tensor_of)
{
    cosma_order_lifetimes(problem->graph, &problem->mode, order, first, last);
    int32_t n_items = 0;
    for (int32_t t = 0; t < problem->n_tensors; t++)
        if (problem->size[t] > 0 && first[t] > 0) {
            if (tensor_of != NULL)
                tensor_of[n_items] = t;
            items[n_items++] = (cosma_place_item_t){first[t], last[t], problem->size[t], 0};
        }
    return n_items;
}

/* Zero-spill arena of an order (greedy placement only) in *out_extent:
 * the arena when it fits the budget, else the budget plus the bytes
 * placed above it.  Also the peak of live bytes, and (out_hot, optional)
 * the operators that touch a tensor placed above the budget.
 * COSMA_ERR_NOMEM, or the peak's overflow error. */
static cosma_status_t order_extent(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                   unsigned char *out_hot, uint64_t *out_extent, uint64_t *out_peak)
{
    const cosma_graph_t *graph = problem->graph;
    int32_t m = problem->n_tensors;
    int32_t *first = malloc(((size_t)m + 1) * sizeof(int32_t));
    int32_t *last = malloc(((size_t)m + 1) * sizeof(int32_t));
    int32_t *tensor_of = malloc(((size_t)m + 1) * sizeof(int32_t));
    cosma_place_item_t *items = malloc(((size_t)m + 1) * sizeof(cosma_place_item_t));
    uint64_t extent = UINT64_MAX;
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (first == NULL || last == NULL || tensor_of == NULL || items == NULL)
        goto done;
    int32_t n_items = zero_spill_items(problem, order, first, last, items, tensor_of);
    if ((status = cosma_order_peak_checked(graph, order, problem->size, out_peak)) != COSMA_OK)
        goto done;
    const cosma_place_options_t quick = {.capacity = budget, .align = 1, .effort = 0};
    if (cosma_place(COSMA_PLACER_COSMA, items, n_items, &quick, &extent) < 0) {
        status = COSMA_ERR_NOMEM; /* the greedy placer decides every set */
        goto done;
    }
    /* Score: the extent, refined by how many bytes sit above the budget,
     * so that moves which shrink the overflow count even when the extent
     * stays put. */
    uint64_t above = 0;
    for (int32_t i = 0; i < n_items; i++)
        if (items[i].offset + items[i].bytes > budget)
            above += items[i].offset + items[i].bytes - (items[i].offset > budget ? items[i].offset : budget);
    extent = extent > budget ? budget + above : extent;
    if (out_hot != NULL) {
        memset(out_hot, 0, (size_t)problem->n_ops);
        for (int32_t i = 0; i < n_items; i++) {
            if (items[i].offset + items[i].bytes <= budget)
                continue;
            const cosma_tensor_t *tensor = &graph->tensors[tensor_of[i]];
            if (tensor->producer >= 0)
                out_hot[tensor->producer] = 1;
            for (int32_t c = 0; c < tensor->n_consumers; c++)
                out_hot[tensor->consumers[c]] = 1;
        }
    }
done:
    free(first);
    free(last);
    free(tensor_of);
    free(items);
    *out_extent = extent;
    return status;
}

cosma_status_t cosma_order_arena_score(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                       uint64_t *out_score)
{
    uint64_t peak;
    return order_extent(problem, order, budget, NULL, out_score, &peak);
}

cosma_status_t cosma_order_local_search(const cosma_problem_t *problem, int32_t *order,
                                        const cosma_order_search_t *search, uint64_t *inout_score, int *out_changed)
{
    int32_t n = problem->n_ops;
    int32_t *position = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *trial = malloc(((size_t)n + 1) * sizeof(int32_t));
    int64_t moves = 0;
    uint64_t score = *inout_score;
    cosma_status_t status = position == NULL || trial == NULL ? COSMA_ERR_NOMEM : COSMA_OK;
    *out_changed = 0;
    if (status != COSMA_OK)
        n = 0;
    for (int32_t s = 0; s < n; s++)
        position[order[s]] = s;
    /* First improvement, scanning on from the operator that improved (a
     * restart from the first would repeat the moves just found useless):
     * the search ends after a whole round of operators without one. */
    for (int32_t i = 0, quiet = 0; status == COSMA_OK && quiet < n && score > search->target &&
                                   moves < search->max_moves && cosma_clock_seconds() < search->deadline;
         i = (i + 1) % n, quiet++) {
        if (search->movable != NULL && !search->movable(search->ctx, order[i]))
            continue;
        int32_t lo, hi;
        cosma_order_move_window(problem, order, position, i, search->reach, &lo, &hi);
        for (int32_t j = lo; j <= hi && moves < search->max_moves; j++) {
            if (j == i)
                continue;
            cosma_order_move(order, n, i, j, trial);
            moves++;
            uint64_t trial_score = UINT64_MAX;
            if ((status = search->score(search->ctx, trial, &trial_score)) != COSMA_OK)
                break;
            if (trial_score < score) {
                memcpy(order, trial, (size_t)n * sizeof(int32_t));
                for (int32_t s = 0; s < n; s++)
                    position[order[s]] = s;
                score = trial_score;
                if (search->accepted != NULL && (status = search->accepted(search->ctx, order)) != COSMA_OK)
                    break;
                *out_changed = 1;
                quiet = -1; /* the loop's increment makes it 0 */
                break;
            }
        }
    }
    free(position);
    free(trial);
    *inout_score = score;
    return status;
}

/* The placement search's view of an order: the arena score (orders whose
 * live bytes exceed the budget are rejected) and the operators next to a
 * tensor placed above the budget (the only ones worth moving). */
typedef struct {
    const cosma_problem_t *problem;
    uint64_t budget;
    unsigned char *hot; /* per operator */
} placeable_t;

static cosma_status_t placeable_score(void *ctx, const int32_t *order, uint64_t *out_score)
{
    const placeable_t *p = ctx;
    uint64_t peak = 0, extent;
    cosma_status_t status = order_extent(p->problem, order, p->budget, NULL, &extent, &peak);
    *out_score = peak <= p->budget ? extent : UINT64_MAX;
    return status;
}

static int placeable_movable(void *ctx, int32_t op)
{
    return ((const placeable_t *)ctx)->hot[op];
}

static cosma_status_t placeable_accepted(void *ctx, const int32_t *order)
{
    placeable_t *p = ctx;
    uint64_t peak, extent;
    return order_extent(p->problem, order, p->budget, p->hot, &extent, &peak);
}

/* When an order's live bytes fit the budget but its tensors do not place,
 * move the operators around the tensors that end up above the budget
 * (keeping the peak within it) while the greedy arena shrinks.  Returns 1
 * when it found an order whose arena fits.  Work is bounded by a move
 * count, not a clock. */
cosma_status_t cosma_order_search_placeable(const cosma_problem_t *problem, int32_t *order, uint64_t budget,
                                            double deadline, int *out_found)
{
    placeable_t p = {problem, budget, malloc((size_t)problem->n_ops + 1)};
    uint64_t peak = 0, extent = UINT64_MAX;
    int64_t planned = 0;
    *out_found = 0;
    for (int32_t t = 0; t < problem->n_tensors; t++)
        planned += problem->size[t] > 0;
    int64_t max_moves = MAX_PLACEMENT_MOVES;
    if (planned > 0 && PLACEMENT_WORK / planned < max_moves)
        max_moves = PLACEMENT_WORK / planned;
    cosma_status_t status = p.hot == NULL ? COSMA_ERR_NOMEM : order_extent(problem, order, budget, p.hot, &extent, &peak);
    if (status == COSMA_OK && peak <= budget) {
        cosma_order_search_t search = {.reach = PLACEMENT_SEARCH_REACH,
                                       .max_moves = max_moves,
                                       .deadline = deadline,
                                       .target = budget,
                                       .score = placeable_score,
                                       .movable = placeable_movable,
                                       .accepted = placeable_accepted,
                                       .ctx = &p};
        int changed;
        status = cosma_order_local_search(problem, order, &search, &extent, &changed);
        *out_found = status == COSMA_OK && extent <= budget;
    }
    free(p.hot);
    return status;
}

/* ---- exhaustive search for a zero-traffic order ------------------------ */

/* Work limits of the exhaustive search: complete orders whose placement
 * is checked, and search nodes.  Fixed amounts, so the answer does not
 * depend on the machine (the deadline is only a guard). */
enum { ZERO_TRAFFIC_MAX_ORDERS = 4000, ZERO_TRAFFIC_MAX_NODES = 400000, ZERO_TRAFFIC_EXACT_ITEMS = 48 };
#define ZERO_TRAFFIC_EXACT_SECONDS 1.0
/* Larger graphs have far too many orders for the search to decide
 * anything: it is not tried on them. */
enum { ZERO_TRAFFIC_MAX_OPS = 24 };

typedef struct {
    const cosma_problem_t *problem;
    uint64_t budget;
    double deadline;
    int32_t *order;         /* the prefix being built */
    int32_t *remaining;     /* per tensor: readers not yet scheduled */
    unsigned char *open;    /* per tensor: resident, still read later */
    unsigned char *saved;   /* per operand slot: open[] before its op ran */
    unsigned char *done;    /* per op */
    int32_t *first, *last;  /* scratch for lifetimes */
    cosma_place_item_t *items;
    int64_t orders, nodes;
    int complete;           /* every order was decided */
} zero_search_t;

/* Placement of the zero-spill intervals of a complete order: 1 placed,
 * 0 proven impossible, -1 undecided. */
static int zero_search_place(zero_search_t *z)
{
    const cosma_problem_t *problem = z->problem;
    int32_t n_items = zero_spill_items(problem, z->order, z->first, z->last, z->items, NULL);
    uint64_t extent = 0;
    const cosma_place_options_t options = {.capacity = z->budget, .align = 1, .effort = 1,
                                           .max_items = ZERO_TRAFFIC_EXACT_ITEMS,
                                           .time_limit = ZERO_TRAFFIC_EXACT_SECONDS};
    int fits = cosma_place(COSMA_PLACER_COSMA, z->items, n_items, &options, &extent);
    if (fits != 0)
        return fits;
    return cosma_place(COSMA_PLACER_EXACT, z->items, n_items, &options, &extent);
}

/* Live bytes while op runs next: tensors open and still read, plus the
 * op's operands that open now. */
static uint64_t zero_search_live(const zero_search_t *z, int32_t op, uint64_t open_bytes)
{
    const cosma_problem_t *problem = z->problem;
    uint64_t live = open_bytes;
    for (int32_t k = problem->operand_start[op]; k < problem->operand_start[op + 1]; k++)
        if (!z->open[problem->operands[k]])
            live += problem->size[problem->operands[k]];
    return live;
}

/* Depth-first over topological orders whose live bytes fit; 1 when a
 * placeable one is in z->order. */
static int zero_search_dfs(zero_search_t *z, int32_t depth, uint64_t open_bytes)
{
    const cosma_problem_t *problem = z->problem;
    int32_t n = problem->n_ops;
    if (depth == n) {
        if (++z->orders > ZERO_TRAFFIC_MAX_ORDERS) {
            z->complete = 0;
            return 0;
        }
        int placed = zero_search_place(z);
        if (placed < 0)
            z->complete = 0;
        return placed == 1;
    }
    if (++z->nodes > ZERO_TRAFFIC_MAX_NODES || z->orders > ZERO_TRAFFIC_MAX_ORDERS || cosma_clock_seconds() > z->deadline) {
        z->complete = 0;
        return 0;
    }
    for (int32_t op = 0; op < n; op++) {
        if (z->done[op])
            continue;
        int ready = 1;
        for (int32_t k = problem->pred_start[op]; k < problem->pred_start[op + 1] && ready; k++)
            ready = z->done[problem->preds[k]];
        if (!ready || zero_search_live(z, op, open_bytes) > z->budget)
            continue;
        /* Run op: its inputs lose a reader; an operand is open while some
         * later operator reads it.  saved[] undoes this on the way back. */
        uint64_t next = open_bytes;
        int32_t begin = problem->operand_start[op], end = problem->operand_start[op + 1];
        int32_t inputs_end = begin + problem->n_inputs_planned[op];
        for (int32_t k = begin; k < end; k++) {
            int32_t t = problem->operands[k];
            z->saved[k] = z->open[t];
            if (k < inputs_end)
                z->remaining[t]--;
            unsigned char now = z->remaining[t] > 0;
            if (now && !z->open[t])
                next += problem->size[t];
            else if (!now && z->open[t])
                next -= problem->size[t];
            z->open[t] = now;
        }
        z->done[op] = 1;
        z->order[depth] = op;
        if (zero_search_dfs(z, depth + 1, next))
            return 1;
        z->done[op] = 0;
        for (int32_t k = end - 1; k >= begin; k--) {
            int32_t t = problem->operands[k];
            if (k < inputs_end)
                z->remaining[t]++;
            z->open[t] = z->saved[k];
        }
        if (!z->complete && (z->orders > ZERO_TRAFFIC_MAX_ORDERS || z->nodes > ZERO_TRAFFIC_MAX_NODES))
            return 0;
    }
    return 0;
}

int cosma_order_search_zero_traffic(const cosma_problem_t *problem, uint64_t budget, double deadline,
                                    int32_t *out_order)
{
    int32_t n = problem->n_ops, m = problem->n_tensors;
    if (n > ZERO_TRAFFIC_MAX_OPS)
        return -1;
    zero_search_t z = {
        .problem = problem,
        .budget = budget,
        .deadline = deadline,
        .order = malloc(((size_t)n + 1) * sizeof(int32_t)),
        .remaining = calloc((size_t)m + 1, sizeof(int32_t)),
        .open = calloc((size_t)m + 1, 1),
        .saved = malloc((size_t)problem->operand_start[n] + 1),
        .done = calloc((size_t)n + 1, 1),
        .first = malloc(((size_t)m + 1) * sizeof(int32_t)),
        .last = malloc(((size_t)m + 1) * sizeof(int32_t)),
        .items = malloc(((size_t)m + 1) * sizeof(cosma_place_item_t)),
        .complete = 1,
    };
    int verdict = -1;
    if (z.order != NULL && z.remaining != NULL && z.open != NULL && z.saved != NULL && z.done != NULL &&
        z.first != NULL && z.last != NULL && z.items != NULL) {
        for (int32_t op = 0; op < n; op++)
            for (int32_t k = problem->operand_start[op]; k < problem->operand_start[op] + problem->n_inputs_planned[op];
                 k++)
                z.remaining[problem->operands[k]]++;
        if (zero_search_dfs(&z, 0, 0)) {
            memcpy(out_order, z.order, (size_t)n * sizeof(int32_t));
            verdict = 1;
        } else {
            verdict = z.complete ? 0 : -1;
        }
    }
    free(z.order);
    free(z.remaining);
    free(z.open);
    free(z.saved);
    free(z.done);
    free(z.first);
    free(z.last);
    free(z.items);
    return verdict;
}
