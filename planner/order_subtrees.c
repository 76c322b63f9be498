/* order_subtrees.c: subtree moves for the order local search
 * (order_subtrees.h).  A block move (order_blocks.c) takes a chain, which
 * stops at the first operator that reads two tensors; some better orders
 * need an operator moved far together with a whole cone of the graph.  The
 * NAS stems are the example: NASNet's big `relu` (1,182,816 bytes) is read
 * last by a Pad whose 1,182,816-byte output leaves room for little else,
 * so what the stem cell has made by then is evicted.  Delaying that Pad,
 * and with it everything that depends on it, past the first stem cell and
 * the half of the second that does not need it, lets those cells shrink
 * their results before the Pad runs (nasnetalarge at M_H: 1,053,696 ->
 * 658,560 bytes).  The moves only propose orders; the planner scores them
 * with the capacity-relaxed residency and solves the one it keeps like any
 * other order, so nothing here touches a bound.  The work is fixed (the
 * search's move and iteration limits), the clock only a guard. */
#include <stdlib.h>
#include <string.h>

#include "order_subtrees.h"

/* The k-th distance an operator is moved by (k = 0, 1, ...): 2, 3, 4, 6,
 * 8, 12, 16, 24, ...: near places densely, far ones sparsely, about
 * 2 log2(n) places per direction in all. */
static int32_t subtree_distance(int32_t k)
{
    int32_t power = (int32_t)1 << (k / 2 + 1);
    return k % 2 == 0 ? power : power + power / 2;
}

int32_t cosma_order_subtree_move(const cosma_problem_t *problem, const int32_t *order, int32_t i, int32_t j,
                                 unsigned char *mark, int32_t *trial)
{
    const cosma_problem_t *p = problem;
    int32_t n = p->n_ops, lo = i < j ? i : j, hi = i < j ? j : i, moved = 0;
    mark[order[i]] = 1;
    if (j > i) {
        /* Descendants: an operator after i one of whose producers is
         * marked.  Its producers all come before it in order. */
        for (int32_t k = i + 1; k <= hi; k++) {
            int32_t op = order[k];
            for (int32_t e = p->pred_start[op]; e < p->pred_start[op + 1] && !mark[op]; e++)
                mark[op] = mark[p->preds[e]];
        }
    } else {
        /* Ancestors: an operator before i one of whose readers is marked. */
        for (int32_t k = i - 1; k >= lo; k--) {
            int32_t op = order[k];
            for (int32_t e = p->succ_start[op]; e < p->succ_start[op + 1] && !mark[op]; e++)
                mark[op] = mark[p->succs[e]];
        }
    }
    memcpy(trial, order, (size_t)lo * sizeof(int32_t));
    int32_t m = lo;
    /* A delay puts the unmarked first, an advance the marked. */
    for (int pass = 0; pass < 2; pass++) {
        unsigned char wanted = (unsigned char)((j > i) == (pass == 1));
        for (int32_t k = lo; k <= hi; k++)
            if (mark[order[k]] == wanted)
                trial[m++] = order[k];
    }
    for (int32_t k = lo; k <= hi; k++) {
        moved += mark[order[k]];
        mark[order[k]] = 0;
    }
    memcpy(trial + m, order + m, (size_t)(n - m) * sizeof(int32_t));
    return moved;
}

/* Tries the operator at index i delayed (forward) or advanced by the
 * distances in turn; keeps the first trial that scores lower (*out_kept
 * 1). */
static cosma_status_t subtree_try(const cosma_problem_t *problem, int32_t *order, const cosma_order_search_t *search,
                                  int32_t i, int forward, int32_t max_targets, unsigned char *mark, int32_t *trial,
                                  uint64_t *inout_score, int64_t *inout_moves, int *out_kept)
{
    int32_t n = problem->n_ops;
    *out_kept = 0;
    for (int32_t k = 0; k < max_targets && *inout_moves < search->max_moves && cosma_clock_seconds() < search->deadline;
         k++) {
        int32_t d = subtree_distance(k);
        int32_t j = forward ? i + d : i - d;
        if (j < 0 || j >= n)
            break;
        if (cosma_order_subtree_move(problem, order, i, j, mark, trial) == d + 1)
            continue; /* everything between moved with it: the order is the same */
        (*inout_moves)++;
        uint64_t score = UINT64_MAX;
        cosma_status_t status = search->score(search->ctx, trial, &score);
        if (status != COSMA_OK)
            return status;
        if (score < *inout_score) {
            memcpy(order, trial, (size_t)n * sizeof(int32_t));
            *inout_score = score;
            *out_kept = 1;
            return search->accepted != NULL ? search->accepted(search->ctx, order) : COSMA_OK;
        }
    }
    return COSMA_OK;
}

/* A hot step: zero-spill live bytes above the budget. */
typedef struct {
    uint64_t excess;
    int32_t step;
} subtree_hot_t;

/* The largest excess first, then the earlier step: a total order, so
 * qsort's result is the same on every machine. */
static int subtree_hot_compare(const void *a, const void *b)
{
    const subtree_hot_t *x = a, *y = b;
    if (x->excess != y->excess)
        return x->excess > y->excess ? -1 : 1;
    return (x->step > y->step) - (x->step < y->step);
}

/* The order's hot steps (every planned tensor resident from its first to
 * its last use, as the screen of order_screen.c counts them), hottest
 * first: the steps a subtree move is tried at.  Returns how many; first,
 * last and delta are scratch. */
static int32_t subtree_hot_steps(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                 int32_t *first, int32_t *last, uint64_t *delta, subtree_hot_t *out_hot)
{
    int32_t n = problem->n_ops, n_hot = 0;
    cosma_order_live_deltas(problem, order, first, last, delta, NULL);
    uint64_t live = 0;
    for (int32_t k = 0; k < n; k++) {
        live += delta[k];
        if (live > budget)
            out_hot[n_hot++] = (subtree_hot_t){live - budget, k};
    }
    qsort(out_hot, (size_t)n_hot, sizeof(subtree_hot_t), subtree_hot_compare);
    return n_hot;
}

cosma_status_t cosma_order_subtree_search(const cosma_problem_t *problem, int32_t *order, uint64_t budget,
                                          const cosma_order_search_t *search, int32_t max_targets,
                                          uint64_t *inout_score, int *out_changed)
{
    int32_t n = problem->n_ops;
    unsigned char *mark = calloc((size_t)n + 1, 1);
    int32_t *trial = malloc(((size_t)n + 1) * sizeof(int32_t));
    subtree_hot_t *hot = malloc(((size_t)n + 1) * sizeof(subtree_hot_t));
    int32_t *first = malloc(((size_t)problem->n_tensors + 1) * sizeof(int32_t));
    int32_t *last = malloc(((size_t)problem->n_tensors + 1) * sizeof(int32_t));
    uint64_t *delta = malloc(((size_t)n + 1) * sizeof(uint64_t));
    uint64_t score = *inout_score;
    int64_t moves = 0;
    cosma_status_t status = COSMA_OK;
    *out_changed = 0;
    if (mark == NULL || trial == NULL || hot == NULL || first == NULL || last == NULL || delta == NULL)
        status = COSMA_ERR_NOMEM;
    /* The operator at each hot step, the hottest first, delayed then
     * advanced; after a kept move the hot steps are those of the new
     * order.  Ends when no hot step's moves help. */
    for (int kept = 1; status == COSMA_OK && kept;) {
        kept = 0;
        int32_t n_hot = subtree_hot_steps(problem, order, budget, first, last, delta, hot);
        for (int32_t h = 0; h < 2 * n_hot && !kept && status == COSMA_OK; h++) {
            if (score <= search->target || moves >= search->max_moves || cosma_clock_seconds() >= search->deadline)
                break;
            status = subtree_try(problem, order, search, hot[h / 2].step, h % 2 == 0, max_targets, mark, trial, &score,
                                 &moves, &kept);
        }
        *out_changed |= kept;
    }
    free(mark);
    free(trial);
    free(hot);
    free(first);
    free(last);
    free(delta);
    *inout_score = score;
    return status;
}
