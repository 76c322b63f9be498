/* lifetimes.c: steps of operators in an order, the zero-spill lifetime
 * of every planned tensor and the live bytes they make per step, shared by
 * the placement-only allocators, the baselines and the planner's order
 * searches. */
#include <string.h>

#include "planner_internal.h"

void cosma_order_steps(const cosma_graph_t *graph, const int32_t *order, int32_t *out_step)
{
    for (int32_t s = 0; s < graph->n_ops; s++)
        out_step[order[s]] = s + 1;
}

void cosma_order_lifetimes(const cosma_graph_t *graph, const cosma_mode_t *mode, const int32_t *order,
                           int32_t *out_first, int32_t *out_last)
{
    for (int32_t x = 0; x < graph->n_tensors; x++) {
        out_first[x] = 0;
        out_last[x] = 0;
    }
    /* Walking the order once needs no step table (so no allocation and no
     * failure path): the first step that touches a tensor is its producer's
     * (or, for inputs and params, its first reader's), the last one is its
     * last reader's, or the producer's when nobody reads it. */
    for (int32_t s = 0; s < graph->n_ops; s++) {
        const cosma_op_t *op = &graph->ops[order[s]];
        for (int pass = 0; pass < 2; pass++) {
            const int32_t *list = pass == 0 ? op->inputs : op->outputs;
            int32_t n = pass == 0 ? op->n_inputs : op->n_outputs;
            for (int32_t i = 0; i < n; i++) {
                int32_t x = list[i];
                if (x < 0 || !cosma_tensor_is_planned(graph, x, mode))
                    continue;
                if (out_first[x] == 0)
                    out_first[x] = s + 1;
                out_last[x] = s + 1;
            }
        }
    }
}

void cosma_order_live_deltas(const cosma_problem_t *problem, const int32_t *order, int32_t *first, int32_t *last,
                             uint64_t *delta, uint64_t *delta_host)
{
    size_t entries = (size_t)problem->n_ops + 1;
    cosma_order_lifetimes(problem->graph, &problem->mode, order, first, last);
    memset(delta, 0, entries * sizeof(uint64_t));
    if (delta_host != NULL)
        memset(delta_host, 0, entries * sizeof(uint64_t));
    for (int32_t t = 0; t < problem->n_tensors; t++) {
        if (problem->size[t] == 0 || first[t] == 0)
            continue;
        delta[first[t] - 1] += problem->size[t];
        delta[last[t]] -= problem->size[t];
        if (delta_host != NULL && problem->graph->tensors[t].kind != COSMA_TENSOR_ACTIVATION) {
            delta_host[first[t] - 1] += problem->size[t];
            delta_host[last[t]] -= problem->size[t];
        }
    }
}
