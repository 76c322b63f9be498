/* static_plan.c: a graph and a plan rebuilt from the static tables of a
 * header written by `cosma plan --emit-c`, for deployments without a file
 * system: tensors sized in bytes, kinds read off the events, intervals
 * read off the loads, runs and ends.  The rebuilt plan's event schedule
 * must reproduce the tables exactly, so a hand-edited or truncated table
 * is refused before the verifier even looks at the plan. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

#define STATIC_UNUSED_BYTES 1 /* a tensor nobody touches still needs a size */

typedef struct {
    const cosma_static_plan_t *tables;
    cosma_diag_t *diag;
    unsigned char *stored, *created, *streamed;
} static_reader_t;

static cosma_status_t fail(cosma_diag_t *diag, const char *what, int32_t where)
{
    cosma_diag_report(diag, COSMA_SEV_ERROR, "static plan: %s (at %" PRId32 ")", what, where);
    return COSMA_ERR_INPUT;
}

/* Bounds of every table index, before anything is dereferenced. */
static cosma_status_t check_tables(const cosma_static_plan_t *p, cosma_diag_t *diag)
{
    if (p->n_steps != p->n_ops && p->n_steps != 0)
        return fail(diag, "the step count differs from the operator count", p->n_steps);
    if (p->step_events[0] != 0 || p->step_operands[0] != 0)
        return fail(diag, "the step tables do not start at 0", 0);
    for (int32_t t = 0; t < p->n_steps; t++) {
        if (p->step_events[t + 1] < p->step_events[t] || p->step_events[t + 1] > p->n_events ||
            p->step_operands[t + 1] < p->step_operands[t] || p->step_operands[t + 1] > p->n_operands)
            return fail(diag, "the step tables are not ascending within the tables", t + 1);
        if (p->schedule[t] < 0 || p->schedule[t] >= p->n_ops)
            return fail(diag, "a scheduled operator is out of range", t + 1);
    }
    for (uint32_t k = 0; k < p->n_events; k++) {
        const cosma_plan_event_t *e = &p->events[k];
        int32_t limit = e->kind == COSMA_EVENT_RUN ? p->n_ops : p->n_tensors;
        if ((int)e->kind < COSMA_EVENT_SPILL || (int)e->kind > COSMA_EVENT_STORE || e->index < 0 || e->index >= limit)
            return fail(diag, "an event has an unknown kind or an index out of range", (int32_t)k);
    }
    for (uint32_t k = 0; k < p->n_operands; k++)
        if (p->operands[k].tensor < -1 || p->operands[k].tensor >= p->n_tensors)
            return fail(diag, "an operand's tensor is out of range", (int32_t)k);
    return COSMA_OK;
}

static void classify(static_reader_t *r)
{
    const cosma_static_plan_t *p = r->tables;
    for (uint32_t k = 0; k < p->n_events; k++)
        if (p->events[k].kind == COSMA_EVENT_STORE)
            r->stored[p->events[k].index] = 1;
    for (uint32_t k = 0; k < p->n_operands; k++) {
        const cosma_plan_operand_t *o = &p->operands[k];
        if (o->tensor >= 0 && o->is_output)
            r->created[o->tensor] = 1;
        else if (o->tensor >= 0 && o->offset == COSMA_PLAN_NO_OFFSET)
            r->streamed[o->tensor] = 1;
    }
}

static cosma_status_t add_tensors(static_reader_t *r, cosma_graph_t *graph, const uint64_t *param_bytes)
{
    const cosma_static_plan_t *p = r->tables;
    cosma_loc_t loc = {p->name, 0, 0};
    for (int32_t t = 0; t < p->n_tensors; t++) {
        cosma_tensor_kind_t kind = r->stored[t]    ? COSMA_TENSOR_OUTPUT
                                   : r->created[t] ? COSMA_TENSOR_ACTIVATION
                                   : r->streamed[t] ? COSMA_TENSOR_PARAM
                                                    : COSMA_TENSOR_INPUT;
        uint64_t bytes = p->tensor_bytes[t];
        if (r->streamed[t]) {
            bytes = param_bytes != NULL ? param_bytes[t] : 0;
            if (bytes == 0) {
                cosma_diag_report(r->diag, COSMA_SEV_ERROR,
                                  "static plan: parameter '%s' is streamed from host memory and a header does not "
                                  "hold its size: give it in param_bytes",
                                  p->tensor_names[t]);
                return COSMA_ERR_USAGE;
            }
        }
        int32_t index;
        cosma_status_t status = cosma_graph_add_tensor(graph, p->tensor_names[t], kind, COSMA_DTYPE_RAW, -1, NULL,
                                                       bytes > 0 ? bytes : STATIC_UNUSED_BYTES, loc, &index);
        if (status != COSMA_OK)
            return status;
    }
    return COSMA_OK;
}

/* Operator o's operands are those of the RUN event of the step running it. */
static cosma_status_t add_ops(const cosma_static_plan_t *p, cosma_graph_t *graph, cosma_diag_t *diag)
{
    int32_t *step_of = malloc(((size_t)p->n_ops + 1) * sizeof(int32_t));
    int32_t *tensors = malloc(((size_t)p->n_operands + 1) * sizeof(int32_t));
    if (step_of == NULL || tensors == NULL) {
        free(step_of);
        free(tensors);
        return COSMA_ERR_NOMEM;
    }
    for (int32_t o = 0; o < p->n_ops; o++)
        step_of[o] = -1;
    for (int32_t t = 0; t < p->n_steps; t++)
        step_of[p->schedule[t]] = t;
    cosma_status_t status = COSMA_OK;
    cosma_loc_t loc = {p->name, 0, 0};
    for (int32_t o = 0; o < p->n_ops && status == COSMA_OK; o++) {
        int32_t t = step_of[o], n_in = 0, n_out = 0;
        if (t < 0) {
            status = fail(diag, "an operator is never scheduled", o);
            break;
        }
        for (uint32_t k = p->step_operands[t]; k < p->step_operands[t + 1]; k++)
            if (!p->operands[k].is_output)
                tensors[n_in++] = p->operands[k].tensor;
        for (uint32_t k = p->step_operands[t]; k < p->step_operands[t + 1]; k++)
            if (p->operands[k].is_output)
                tensors[n_in + n_out++] = p->operands[k].tensor;
        int32_t index;
        status = cosma_graph_add_op(graph, p->op_names[o], "", tensors, n_in, tensors + n_in, n_out, NULL, 0, loc,
                                    &index);
    }
    free(step_of);
    free(tensors);
    return status;
}

static void open_interval(cosma_plan_t *plan, int32_t *open, int32_t tensor, int32_t step, uint64_t offset,
                          uint64_t bytes, cosma_begin_t begin)
{
    cosma_interval_t *iv = &plan->intervals[plan->n_intervals];
    *iv = (cosma_interval_t){.tensor = tensor, .first = step, .last = step, .offset = offset, .bytes = bytes,
                             .begin = begin, .end = COSMA_END_DROP};
    open[tensor] = plan->n_intervals++;
}

/* Intervals: a load or a created output opens one, a spill or drop at
 * step t closes it with last = t - 1, the end of the plan closes the rest. */
static cosma_status_t read_intervals(const cosma_static_plan_t *p, cosma_plan_t *plan, cosma_diag_t *diag)
{
    int32_t *open = malloc(((size_t)p->n_tensors + 1) * sizeof(int32_t));
    if (open == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t t = 0; t < p->n_tensors; t++)
        open[t] = -1;
    plan->n_intervals = 0;
    cosma_status_t status = COSMA_OK;
    for (int32_t t = 0; t < p->n_steps && status == COSMA_OK; t++) {
        for (uint32_t k = p->step_events[t]; k < p->step_events[t + 1] && status == COSMA_OK; k++) {
            const cosma_plan_event_t *e = &p->events[k];
            if (e->kind == COSMA_EVENT_SPILL || e->kind == COSMA_EVENT_DROP) {
                if (open[e->index] < 0 || t == 0) {
                    status = fail(diag, "a spill or drop of a tensor that is not resident", (int32_t)k);
                    break;
                }
                cosma_interval_t *iv = &plan->intervals[open[e->index]];
                iv->last = t; /* 1-based step t + 1, so last = t */
                iv->end = e->kind == COSMA_EVENT_SPILL ? COSMA_END_SPILL : COSMA_END_DROP;
                open[e->index] = -1;
            } else if (e->kind == COSMA_EVENT_LOAD) {
                open_interval(plan, open, e->index, t + 1, e->offset, e->bytes, COSMA_BEGIN_LOAD);
            } else if (e->kind == COSMA_EVENT_RUN) {
                for (uint32_t o = p->step_operands[t]; o < p->step_operands[t + 1]; o++) {
                    const cosma_plan_operand_t *op = &p->operands[o];
                    if (op->is_output && op->tensor >= 0 && op->offset != COSMA_PLAN_NO_OFFSET)
                        open_interval(plan, open, op->tensor, t + 1, op->offset, p->tensor_bytes[op->tensor],
                                      COSMA_BEGIN_CREATE);
                }
            }
        }
    }
    for (int32_t x = 0; x < p->n_tensors; x++)
        if (open[x] >= 0)
            plan->intervals[open[x]].last = p->n_steps;
    free(open);
    return status;
}

static int same_event(const cosma_plan_event_t *want, const cosma_event_t *got)
{
    int index = got->kind == COSMA_EVENT_KIND_RUN ? got->op : got->tensor;
    uint64_t offset = got->kind == COSMA_EVENT_KIND_RUN ? 0 : got->offset;
    uint64_t bytes = got->kind == COSMA_EVENT_KIND_RUN ? 0 : got->bytes;
    int compulsory = got->kind == COSMA_EVENT_KIND_LOAD && got->compulsory;
    return (int)want->kind == (int)got->kind && want->index == index && want->offset == offset &&
           want->bytes == bytes && (want->compulsory != 0) == compulsory;
}

static cosma_status_t check_round_trip(const cosma_static_plan_t *p, const cosma_graph_t *graph,
                                       const cosma_plan_t *plan, cosma_diag_t *diag)
{
    cosma_event_schedule_t *s = NULL;
    cosma_status_t status = cosma_schedule_build(graph, plan, &s, diag);
    if (status != COSMA_OK)
        return status;
    if ((uint32_t)s->n_events != p->n_events || (uint32_t)s->n_operands != p->n_operands)
        status = fail(diag, "the tables hold other events than their intervals imply", s->n_events);
    for (int32_t k = 0; k < s->n_events && status == COSMA_OK; k++)
        if (!same_event(&p->events[k], &s->events[k]))
            status = fail(diag, "an event differs from what the tables' intervals imply", k);
    for (int32_t k = 0; k < s->n_operands && status == COSMA_OK; k++)
        if (s->operands[k].tensor != p->operands[k].tensor || s->operands[k].offset != p->operands[k].offset)
            status = fail(diag, "an operand differs from what the tables' intervals imply", k);
    cosma_schedule_free(s);
    return status;
}

static cosma_status_t build(const cosma_static_plan_t *p, const uint64_t *param_bytes, cosma_graph_t *graph,
                            cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    static_reader_t r = {.tables = p, .diag = diag};
    size_t n = (size_t)p->n_tensors + 1;
    r.stored = calloc(n, 1);
    r.created = calloc(n, 1);
    r.streamed = calloc(n, 1);
    cosma_status_t status = r.stored == NULL || r.created == NULL || r.streamed == NULL ? COSMA_ERR_NOMEM : COSMA_OK;
    if (status == COSMA_OK) {
        classify(&r);
        status = add_tensors(&r, graph, param_bytes);
    }
    free(r.stored);
    free(r.created);
    free(r.streamed);
    if (status == COSMA_OK)
        status = add_ops(p, graph, diag);
    if (status == COSMA_OK)
        status = cosma_graph_finalize(graph, diag);
    if (status != COSMA_OK)
        return status;
    /* Each interval begins with a load or a created output. */
    cosma_plan_t *plan = cosma_plan_create(p->n_steps, (int32_t)(p->n_events + p->n_operands));
    if (plan == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(plan->order, p->schedule, (size_t)p->n_steps * sizeof(int32_t));
    plan->budget_bytes = p->budget_bytes;
    plan->mode.with_params = p->params;
    plan->mode.elem_bytes = p->elem_bytes;
    plan->method = "static";
    plan->graph_name = graph->name;
    plan->graph_hash = cosma_graph_hash(graph);
    if ((status = read_intervals(p, plan, diag)) == COSMA_OK) {
        cosma_plan_sort_intervals(plan);
        status = cosma_plan_traffic(graph, plan, &plan->traffic);
        if (status == COSMA_ERR_INPUT)
            cosma_diag_report(diag, COSMA_SEV_ERROR, "static plan '%s': the traffic totals of its intervals overflow "
                              "64 bits", plan->graph_name);
        if (status == COSMA_OK)
            status = check_round_trip(p, graph, plan, diag);
    }
    if (status != COSMA_OK) {
        cosma_plan_destroy(plan);
        return status;
    }
    *out_plan = plan;
    return COSMA_OK;
}

cosma_status_t cosma_static_plan_load(const cosma_static_plan_t *tables, const uint64_t *param_bytes,
                                      cosma_graph_t **out_graph, cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    if (tables == NULL || out_graph == NULL || out_plan == NULL)
        return COSMA_ERR_USAGE;
    *out_graph = NULL;
    *out_plan = NULL;
    if (tables->n_steps == 0) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "static plan '%s' has no steps (an infeasible plan)",
                          tables->name != NULL ? tables->name : "");
        return COSMA_ERR_INFEASIBLE;
    }
    cosma_status_t status = check_tables(tables, diag);
    if (status != COSMA_OK)
        return status;
    cosma_graph_t *graph = cosma_graph_create(tables->name != NULL ? tables->name : "static");
    if (graph == NULL)
        return COSMA_ERR_NOMEM;
    status = build(tables, param_bytes, graph, out_plan, diag);
    if (status != COSMA_OK) {
        cosma_graph_destroy(graph);
        return status;
    }
    *out_graph = graph;
    return COSMA_OK;
}
