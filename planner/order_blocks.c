/* order_blocks.c: block moves for the order local search (order_blocks.h).
 * One operator moves only within a few positions (orders.c); some better
 * orders need a whole chain moved far, for example a Pad -> Pool -> Conv
 * chain of a NAS stem moved after every other reader of the stem's big
 * tensor, so that the chain's big Pad output is its last use. */
#include <stdlib.h>
#include <string.h>

#include "order_blocks.h"

/* Longest chain moved as one block. */
enum { BLOCK_MAX_OPS = 8 };

typedef struct {
    const cosma_problem_t *problem;
    unsigned char *in_block; /* per op */
    int32_t *rest;          /* the order without the block */
    int32_t *rest_index;    /* per op: index in rest (-1: in the block) */
    int32_t block[BLOCK_MAX_OPS];
    int32_t n_block;
} block_ctx_t;

/* The chain from op: forward, its successor while that successor is the
 * only one and reads nothing else from outside the chain; backward, its
 * predecessor while that predecessor is the only one and feeds nothing
 * outside the chain.  Members in order positions (ascending). */
static void block_chain(block_ctx_t *b, int32_t op, int forward)
{
    const cosma_problem_t *p = b->problem;
    b->n_block = 0;
    b->block[b->n_block++] = op;
    b->in_block[op] = 1;
    int32_t cur = op;
    while (b->n_block < BLOCK_MAX_OPS) {
        int32_t start = forward ? p->succ_start[cur] : p->pred_start[cur];
        int32_t end = forward ? p->succ_start[cur + 1] : p->pred_start[cur + 1];
        if (end - start != 1)
            break;
        int32_t next = forward ? p->succs[start] : p->preds[start];
        const int32_t *other = forward ? p->preds : p->succs;
        int32_t o_start = forward ? p->pred_start[next] : p->succ_start[next];
        int32_t o_end = forward ? p->pred_start[next + 1] : p->succ_start[next + 1];
        int closed = 1;
        for (int32_t k = o_start; k < o_end && closed; k++)
            closed = b->in_block[other[k]];
        if (!closed)
            break;
        b->block[b->n_block++] = next;
        b->in_block[next] = 1;
        cur = next;
    }
    if (!forward) /* collected last first */
        for (int32_t l = 0, r = b->n_block - 1; l < r; l++, r--) {
            int32_t t = b->block[l];
            b->block[l] = b->block[r];
            b->block[r] = t;
        }
}

/* rest = order without the block; [*out_lo, *out_hi] the indexes of rest
 * before which the block may go; *out_at where it is now. */
static void block_window(block_ctx_t *b, const int32_t *order, int32_t *out_lo, int32_t *out_hi, int32_t *out_at)
{
    const cosma_problem_t *p = b->problem;
    int32_t n = p->n_ops, m = 0, at = -1;
    for (int32_t s = 0; s < n; s++) {
        if (b->in_block[order[s]]) {
            if (at < 0)
                at = m;
            b->rest_index[order[s]] = -1;
            continue;
        }
        b->rest_index[order[s]] = m;
        b->rest[m++] = order[s];
    }
    int32_t lo = 0, hi = m;
    for (int32_t k = 0; k < b->n_block; k++) {
        int32_t op = b->block[k];
        for (int32_t e = p->pred_start[op]; e < p->pred_start[op + 1]; e++)
            if (b->rest_index[p->preds[e]] >= 0 && b->rest_index[p->preds[e]] + 1 > lo)
                lo = b->rest_index[p->preds[e]] + 1;
        for (int32_t e = p->succ_start[op]; e < p->succ_start[op + 1]; e++)
            if (b->rest_index[p->succs[e]] >= 0 && b->rest_index[p->succs[e]] < hi)
                hi = b->rest_index[p->succs[e]];
    }
    *out_lo = lo;
    *out_hi = hi;
    *out_at = at;
}

/* trial = rest with the block inserted before rest[k]. */
static void block_place(const block_ctx_t *b, int32_t n, int32_t k, int32_t *trial)
{
    memcpy(trial, b->rest, (size_t)k * sizeof(int32_t));
    memcpy(trial + k, b->block, (size_t)b->n_block * sizeof(int32_t));
    memcpy(trial + k + b->n_block, b->rest + k, (size_t)(n - b->n_block - k) * sizeof(int32_t));
}

/* The k-th of n_targets places spread evenly over [lo, hi]. */
static int32_t block_target(int32_t lo, int32_t hi, int32_t k, int32_t n_targets)
{
    if (n_targets <= 1)
        return lo;
    return lo + (int32_t)((int64_t)(hi - lo) * k / (n_targets - 1));
}

cosma_status_t cosma_order_block_search(const cosma_problem_t *problem, int32_t *order,
                                        const cosma_order_search_t *search, int32_t max_targets,
                                        uint64_t *inout_score, int *out_changed)
{
    int32_t n = problem->n_ops;
    block_ctx_t b = {.problem = problem,
                     .in_block = calloc((size_t)n + 1, 1),
                     .rest = malloc(((size_t)n + 1) * sizeof(int32_t)),
                     .rest_index = malloc(((size_t)n + 1) * sizeof(int32_t))};
    int32_t *trial = malloc(((size_t)n + 1) * sizeof(int32_t));
    uint64_t score = *inout_score;
    int64_t moves = 0;
    cosma_status_t status = COSMA_OK;
    *out_changed = 0;
    if (b.in_block == NULL || b.rest == NULL || b.rest_index == NULL || trial == NULL) {
        status = COSMA_ERR_NOMEM;
        n = 0;
    }
    /* Scanning on from the operator that improved, as the one-operator
     * search does; a whole round without a kept move ends it. */
    for (int32_t i = 0, quiet = 0; status == COSMA_OK && quiet < 2 * n && score > search->target &&
                                   moves < search->max_moves && cosma_clock_seconds() < search->deadline;
         i = (i + 1) % (2 * n), quiet++) {
        int32_t op = order[i / 2], lo, hi, at;
        block_chain(&b, op, i % 2 == 0);
        int wanted = search->movable == NULL;
        for (int32_t k = 0; k < b.n_block && !wanted; k++)
            wanted = search->movable(search->ctx, b.block[k]);
        block_window(&b, order, &lo, &hi, &at);
        int32_t span = hi - lo + 1, n_targets = !wanted ? 0 : span < max_targets ? span : max_targets;
        int kept = 0;
        int32_t first = 0; /* where a kept move changed the order */
        for (int32_t k = 0, last = -1; k < n_targets && moves < search->max_moves && !kept; k++) {
            int32_t place = block_target(lo, hi, k, n_targets);
            if (place == last || place == at)
                continue;
            last = place;
            block_place(&b, n, place, trial);
            moves++;
            uint64_t trial_score = UINT64_MAX;
            if ((status = search->score(search->ctx, trial, &trial_score)) != COSMA_OK)
                break;
            if (trial_score < score) {
                while (order[first] == trial[first])
                    first++;
                memcpy(order, trial, (size_t)n * sizeof(int32_t));
                score = trial_score;
                if (search->accepted != NULL && (status = search->accepted(search->ctx, order)) != COSMA_OK)
                    break;
                *out_changed = 1;
                kept = 1;
            }
        }
        for (int32_t k = 0; k < b.n_block; k++)
            b.in_block[b.block[k]] = 0;
        if (kept) {
            /* Go on from the first place the move changed: a block moved
             * often makes room for its neighbours' moves. */
            i = 2 * first - 1; /* the loop's increment makes it 2 * first */
            quiet = -1;
        }
    }
    free(b.in_block);
    free(b.rest);
    free(b.rest_index);
    free(trial);
    *inout_score = score;
    return status;
}
