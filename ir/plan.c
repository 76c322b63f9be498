/* plan.c: the plan container and its traffic arithmetic. */
#include <stdlib.h>
#include <string.h>

#include <cosma/ir.h>
#include "ir_internal.h"

const char *cosma_plan_status_name(cosma_plan_status_t status)
{
    switch (status) {
    case COSMA_PLAN_OPTIMAL: return "optimal";
    case COSMA_PLAN_FEASIBLE: return "feasible";
    case COSMA_PLAN_INFEASIBLE: return "infeasible";
    }
    return "?";
}

const char *cosma_stop_name(cosma_stop_t stop)
{
    switch (stop) {
    case COSMA_STOP_NONE: return "complete";
    case COSMA_STOP_TIME_LIMIT: return "time-limit";
    case COSMA_STOP_INTERRUPT: return "interrupted";
    }
    return "?";
}

cosma_plan_t *cosma_plan_create(int32_t n_steps, int32_t n_intervals)
{
    if (n_steps < 0 || n_intervals < 0)
        return NULL;
    cosma_plan_t *plan = calloc(1, sizeof *plan);
    if (plan == NULL)
        return NULL;
    cosma_arena_init(&plan->arena);
    plan->n_steps = n_steps;
    plan->n_intervals = n_intervals;
    plan->order = cosma_arena_calloc(&plan->arena, (size_t)n_steps, sizeof(int32_t));
    plan->intervals = cosma_arena_calloc(&plan->arena, (size_t)n_intervals, sizeof(cosma_interval_t));
    plan->graph_name = "";
    plan->method = "";
    plan->status = COSMA_PLAN_FEASIBLE;
    if (plan->order == NULL || plan->intervals == NULL) {
        cosma_plan_destroy(plan);
        return NULL;
    }
    return plan;
}

void cosma_plan_destroy(cosma_plan_t *plan)
{
    if (plan == NULL)
        return;
    cosma_arena_free(&plan->arena);
    free(plan);
}

static int compare_intervals(const void *a, const void *b)
{
    const cosma_interval_t *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->tensor != y->tensor)
        return x->tensor < y->tensor ? -1 : 1;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->last > y->last) - (x->last < y->last);
}

void cosma_plan_sort_intervals(cosma_plan_t *plan)
{
    qsort(plan->intervals, (size_t)plan->n_intervals, sizeof(cosma_interval_t), compare_intervals);
}

void cosma_mark_compulsory_loads(const cosma_graph_t *graph, const cosma_interval_t *intervals, int32_t n,
                                 unsigned char *loaded, unsigned char *out_compulsory)
{
    for (int32_t i = 0; i < n; i++) {
        const cosma_interval_t *iv = &intervals[i];
        out_compulsory[i] = 0;
        if (iv->tensor < 0 || iv->tensor >= graph->n_tensors || iv->begin != COSMA_BEGIN_LOAD)
            continue;
        cosma_tensor_kind_t kind = graph->tensors[iv->tensor].kind;
        if ((kind == COSMA_TENSOR_INPUT || kind == COSMA_TENSOR_PARAM) && !loaded[iv->tensor]) {
            loaded[iv->tensor] = 1;
            out_compulsory[i] = 1;
        }
    }
}

cosma_status_t cosma_plan_traffic(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_traffic_t *out_traffic)
{
    cosma_traffic_t traffic;
    memset(&traffic, 0, sizeof traffic);
    unsigned char *loaded = calloc((size_t)graph->n_tensors + 1, 1);
    unsigned char *compulsory = calloc((size_t)plan->n_intervals + 1, 1);
    if (loaded == NULL || compulsory == NULL) {
        free(loaded);
        free(compulsory);
        return COSMA_ERR_NOMEM;
    }
    cosma_mark_compulsory_loads(graph, plan->intervals, plan->n_intervals, loaded, compulsory);
    int overflow = 0;
    for (int32_t i = 0; i < plan->n_intervals; i++) {
        const cosma_interval_t *iv = &plan->intervals[i];
        if (iv->tensor < 0 || iv->tensor >= graph->n_tensors)
            continue;
        cosma_tensor_kind_t kind = graph->tensors[iv->tensor].kind;
        uint64_t end;
        overflow |= cosma_u64_add(iv->offset, iv->bytes, &end);
        if (end > traffic.peak_bytes)
            traffic.peak_bytes = end;
        uint64_t *sum = NULL;
        if (iv->begin == COSMA_BEGIN_LOAD)
            sum = compulsory[i] ? &traffic.compulsory_load_bytes : &traffic.retrieve_bytes;
        else if (kind == COSMA_TENSOR_OUTPUT)
            sum = &traffic.compulsory_store_bytes;
        if (sum != NULL)
            overflow |= cosma_u64_add(*sum, iv->bytes, sum);
        if (iv->end == COSMA_END_SPILL)
            overflow |= cosma_u64_add(traffic.spill_bytes, iv->bytes, &traffic.spill_bytes);
    }
    free(loaded);
    free(compulsory);
    if (overflow)
        return COSMA_ERR_INPUT;
    *out_traffic = traffic;
    return COSMA_OK;
}

void cosma_plan_compute_traffic(const cosma_graph_t *graph, cosma_plan_t *plan)
{
    if (cosma_plan_traffic(graph, plan, &plan->traffic) != COSMA_OK)
        memset(&plan->traffic, 0xff, sizeof plan->traffic); /* never a plausible total */
}
