/* lifetimes.c: steps of operators in an order and the zero-spill lifetime
 * of every planned tensor, shared by the placement-only allocators, the
 * baselines and the planner. */
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
