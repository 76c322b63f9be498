/* schedule.c: the event schedule, the per-step events (spill, drop, load,
 * run, store) that a plan implies.  The only implementation of the event
 * rules of docs/plan-format.md; the plan writer, the C header, the SVG and
 * the runtime all read these events instead of re-deriving them. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/ir.h>
#include "ir_internal.h"

const char *cosma_event_kind_name(cosma_event_kind_t kind)
{
    switch (kind) {
    case COSMA_EVENT_KIND_SPILL: return "spill";
    case COSMA_EVENT_KIND_DROP: return "drop";
    case COSMA_EVENT_KIND_LOAD: return "load";
    case COSMA_EVENT_KIND_RUN: return "run";
    case COSMA_EVENT_KIND_STORE: return "store";
    }
    return "?";
}

/* Interval indices (canonical order) grouped by a key, each group a
 * contiguous range: group k is items[at[k]] .. items[at[k + 1] - 1]. */
typedef struct {
    int32_t *items;
    int32_t *at;
} groups_t;

typedef enum { KEY_FIRST, KEY_LAST, KEY_TENSOR } group_key_t;

typedef struct {
    const cosma_graph_t *graph;
    const cosma_plan_t *plan;
    cosma_event_schedule_t *out;
    groups_t starting, ending, of_tensor;
    unsigned char *compulsory; /* per interval */
} builder_t;

static int32_t key_of(const cosma_interval_t *iv, group_key_t key)
{
    return key == KEY_FIRST ? iv->first : key == KEY_LAST ? iv->last : iv->tensor;
}

/* Counting sort by key: stable, so canonical order survives in a group. */
static cosma_status_t groups_build(cosma_arena_t *arena, const cosma_interval_t *iv, int32_t n, int32_t n_keys,
                                   group_key_t key, groups_t *out)
{
    out->items = cosma_arena_calloc(arena, (size_t)n + 1, sizeof(int32_t));
    out->at = cosma_arena_calloc(arena, (size_t)n_keys + 1, sizeof(int32_t));
    int32_t *fill = cosma_arena_calloc(arena, (size_t)n_keys + 1, sizeof(int32_t));
    if (out->items == NULL || out->at == NULL || fill == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t i = 0; i < n; i++)
        out->at[key_of(&iv[i], key) + 1]++;
    for (int32_t k = 0; k < n_keys; k++)
        out->at[k + 1] += out->at[k];
    memcpy(fill, out->at, (size_t)n_keys * sizeof(int32_t));
    for (int32_t i = 0; i < n; i++)
        out->items[fill[key_of(&iv[i], key)]++] = i;
    return COSMA_OK;
}

/* Ends within a step go by (tensor, offset, canonical index): a total
 * order, sorted with ir's stable index sort (O(n log n) even when every
 * interval of a hand-made plan ends at one step). */
static int compare_ends(const void *ctx, int32_t a, int32_t b)
{
    const cosma_interval_t *x = (const cosma_interval_t *)ctx + a, *y = (const cosma_interval_t *)ctx + b;
    if (x->tensor != y->tensor)
        return x->tensor < y->tensor ? -1 : 1;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (a > b) - (a < b);
}

static cosma_status_t check_order(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_diag_t *diag)
{
    unsigned char *seen = calloc((size_t)graph->n_ops + 1, 1);
    if (seen == NULL)
        return COSMA_ERR_NOMEM;
    cosma_status_t status = COSMA_OK;
    for (int32_t t = 0; t < plan->n_steps && status == COSMA_OK; t++) {
        int32_t op = plan->order[t];
        if (op < 0 || op >= graph->n_ops || seen[op]) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "schedule: plan step %" PRId32 ": operator index %" PRId32 " is %s",
                              t + 1, op, op < 0 || op >= graph->n_ops ? "out of range" : "scheduled twice");
            status = COSMA_ERR_INPUT;
        } else {
            seen[op] = 1;
        }
    }
    free(seen);
    return status;
}

static cosma_status_t check_plan(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_diag_t *diag)
{
    if (graph == NULL || plan == NULL || !graph->finalized) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "schedule: no plan, or no finalized graph, given");
        return COSMA_ERR_USAGE;
    }
    if ((plan->n_steps != 0 && plan->n_steps != graph->n_ops) || plan->n_steps < 0 || plan->n_intervals < 0 ||
        (plan->n_intervals > 0 && plan->intervals == NULL) || (plan->n_steps > 0 && plan->order == NULL)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "schedule: plan has %" PRId32 " steps and %" PRId32
                          " intervals but graph '%s' has %" PRId32 " operators",
                          plan->n_steps, plan->n_intervals, graph->name, graph->n_ops);
        return COSMA_ERR_INPUT;
    }
    cosma_status_t status = check_order(graph, plan, diag);
    if (status != COSMA_OK)
        return status;
    for (int32_t i = 0; i < plan->n_intervals; i++) {
        const cosma_interval_t *iv = &plan->intervals[i];
        const char *problem = NULL;
        if (iv->tensor < 0 || iv->tensor >= graph->n_tensors)
            problem = "its tensor index is out of range";
        else if (iv->first < 1 || iv->last < iv->first || iv->last > plan->n_steps)
            problem = "its steps are out of range";
        else if ((iv->begin != COSMA_BEGIN_CREATE && iv->begin != COSMA_BEGIN_LOAD) ||
                 (iv->end != COSMA_END_DROP && iv->end != COSMA_END_SPILL))
            problem = "it begins or ends in an unknown way";
        if (problem != NULL) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "schedule: plan interval %" PRId32 ": %s", i, problem);
            return COSMA_ERR_INPUT;
        }
    }
    return COSMA_OK;
}

/* In canonical order (cosma_mark_compulsory_loads, as the traffic). */
static void mark_compulsory(builder_t *b)
{
    const cosma_event_schedule_t *s = b->out;
    unsigned char *loaded = cosma_arena_calloc(&b->out->arena, (size_t)b->graph->n_tensors + 1, 1);
    if (loaded != NULL)
        cosma_mark_compulsory_loads(b->graph, s->intervals, s->n_intervals, loaded, b->compulsory);
}

/* The interval holding tensor at step t, or -1. */
static int32_t resident_at(const builder_t *b, int32_t tensor, int32_t t)
{
    const groups_t *g = &b->of_tensor;
    for (int32_t k = g->at[tensor]; k < g->at[tensor + 1]; k++) {
        const cosma_interval_t *iv = &b->out->intervals[g->items[k]];
        if (iv->first <= t && t <= iv->last)
            return g->items[k];
    }
    return -1;
}

static void add_copy(builder_t *b, cosma_event_kind_t kind, int32_t t, int32_t i)
{
    cosma_event_schedule_t *s = b->out;
    const cosma_interval_t *iv = &s->intervals[i];
    cosma_event_t *e = &s->events[s->n_events++];
    e->kind = kind;
    e->step = t;
    e->tensor = iv->tensor;
    e->op = b->plan->order[t - 1];
    e->interval = i;
    e->offset = iv->offset;
    e->bytes = iv->bytes;
    e->compulsory = kind == COSMA_EVENT_KIND_STORE || (kind == COSMA_EVENT_KIND_LOAD && b->compulsory[i]);
    e->operands = -1;
}

static void add_operands(builder_t *b, const int32_t *tensors, int32_t count, int is_output, int32_t t)
{
    cosma_event_schedule_t *s = b->out;
    for (int32_t k = 0; k < count; k++) {
        cosma_operand_t *o = &s->operands[s->n_operands++];
        int32_t tensor = tensors[k];
        int known = tensor >= 0 && tensor < b->graph->n_tensors;
        int32_t where = known ? resident_at(b, tensor, t) : -1;
        o->tensor = known ? tensor : -1;
        o->is_output = is_output;
        o->offset = where >= 0 ? s->intervals[where].offset : COSMA_OFFSET_NONE;
    }
}

static void add_run(builder_t *b, int32_t t)
{
    cosma_event_schedule_t *s = b->out;
    int32_t op_index = b->plan->order[t - 1];
    const cosma_op_t *op = &b->graph->ops[op_index];
    cosma_event_t *e = &s->events[s->n_events++];
    memset(e, 0, sizeof *e);
    e->kind = COSMA_EVENT_KIND_RUN;
    e->step = t;
    e->tensor = -1;
    e->op = op_index;
    e->interval = -1;
    e->operands = s->n_operands;
    e->n_inputs = op->n_inputs;
    e->n_outputs = op->n_outputs;
    add_operands(b, op->inputs, op->n_inputs, 0, t);
    add_operands(b, op->outputs, op->n_outputs, 1, t);
}

static void add_step(builder_t *b, int32_t t)
{
    const cosma_interval_t *iv = b->out->intervals;
    /* Ends happen at the start of the step after an interval's last one. */
    for (int pass = 0; pass < 2; pass++) {
        cosma_end_t want = pass == 0 ? COSMA_END_SPILL : COSMA_END_DROP;
        for (int32_t k = b->ending.at[t - 1]; k < b->ending.at[t]; k++)
            if (iv[b->ending.items[k]].end == want)
                add_copy(b, pass == 0 ? COSMA_EVENT_KIND_SPILL : COSMA_EVENT_KIND_DROP, t, b->ending.items[k]);
    }
    for (int32_t k = b->starting.at[t]; k < b->starting.at[t + 1]; k++)
        if (iv[b->starting.items[k]].begin == COSMA_BEGIN_LOAD)
            add_copy(b, COSMA_EVENT_KIND_LOAD, t, b->starting.items[k]);
    add_run(b, t);
    for (int32_t k = b->starting.at[t]; k < b->starting.at[t + 1]; k++) {
        int32_t i = b->starting.items[k];
        if (iv[i].begin == COSMA_BEGIN_CREATE && b->graph->tensors[iv[i].tensor].kind == COSMA_TENSOR_OUTPUT)
            add_copy(b, COSMA_EVENT_KIND_STORE, t, i);
    }
}

static cosma_status_t allocate(builder_t *b)
{
    cosma_event_schedule_t *s = b->out;
    const cosma_plan_t *plan = b->plan;
    size_t n_operands = 1;
    for (int32_t t = 0; t < plan->n_steps; t++) {
        const cosma_op_t *op = &b->graph->ops[plan->order[t]];
        n_operands += (size_t)op->n_inputs + (size_t)op->n_outputs;
    }
    /* Each interval begins with at most one event (load or store) and ends
     * with at most one; each step has one run. */
    size_t n_events = 2 * (size_t)plan->n_intervals + (size_t)plan->n_steps + 1;
    s->events = cosma_arena_calloc(&s->arena, n_events, sizeof(cosma_event_t));
    s->operands = cosma_arena_calloc(&s->arena, n_operands, sizeof(cosma_operand_t));
    s->step_events = cosma_arena_calloc(&s->arena, (size_t)plan->n_steps + 1, sizeof(int32_t));
    s->intervals = cosma_arena_calloc(&s->arena, (size_t)plan->n_intervals + 1, sizeof(cosma_interval_t));
    b->compulsory = cosma_arena_calloc(&s->arena, (size_t)plan->n_intervals + 1, 1);
    if (s->events == NULL || s->operands == NULL || s->step_events == NULL || s->intervals == NULL ||
        b->compulsory == NULL)
        return COSMA_ERR_NOMEM;
    return COSMA_OK;
}

static cosma_status_t build(builder_t *b)
{
    cosma_event_schedule_t *s = b->out;
    const cosma_plan_t *plan = b->plan;
    cosma_status_t status = allocate(b);
    if (status != COSMA_OK)
        return status;
    s->n_steps = plan->n_steps;
    s->n_intervals = plan->n_intervals;
    if (plan->n_intervals > 0)
        memcpy(s->intervals, plan->intervals, (size_t)plan->n_intervals * sizeof(cosma_interval_t));
    /* The ir's own sort defines the canonical order; borrow it on a copy. */
    cosma_plan_t canonical = *plan;
    canonical.intervals = s->intervals;
    cosma_plan_sort_intervals(&canonical);
    int32_t n = s->n_intervals;
    if ((status = groups_build(&s->arena, s->intervals, n, plan->n_steps + 1, KEY_FIRST, &b->starting)) != COSMA_OK ||
        (status = groups_build(&s->arena, s->intervals, n, plan->n_steps + 1, KEY_LAST, &b->ending)) != COSMA_OK ||
        (status = groups_build(&s->arena, s->intervals, n, b->graph->n_tensors, KEY_TENSOR, &b->of_tensor)) !=
            COSMA_OK)
        return status;
    int32_t *scratch = cosma_arena_calloc(&s->arena, (size_t)n + 1, sizeof(int32_t));
    if (scratch == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t t = 0; t <= plan->n_steps; t++)
        cosma_sort_indices_in(b->ending.items + b->ending.at[t], scratch, b->ending.at[t + 1] - b->ending.at[t],
                              compare_ends, s->intervals);
    mark_compulsory(b);
    for (int32_t t = 1; t <= plan->n_steps; t++) {
        s->step_events[t - 1] = s->n_events;
        add_step(b, t);
    }
    s->step_events[plan->n_steps] = s->n_events;
    return COSMA_OK;
}

cosma_status_t cosma_schedule_build(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                    cosma_event_schedule_t **out_schedule, cosma_diag_t *diag)
{
    if (out_schedule == NULL)
        return COSMA_ERR_USAGE;
    *out_schedule = NULL;
    cosma_status_t status = check_plan(graph, plan, diag);
    if (status != COSMA_OK)
        return status;
    cosma_event_schedule_t *schedule = calloc(1, sizeof *schedule);
    if (schedule == NULL)
        return COSMA_ERR_NOMEM;
    cosma_arena_init(&schedule->arena);
    builder_t builder = {.graph = graph, .plan = plan, .out = schedule};
    status = build(&builder);
    if (status != COSMA_OK) {
        if (status == COSMA_ERR_NOMEM)
            cosma_diag_report(diag, COSMA_SEV_ERROR, "schedule: out of memory for the events of graph '%s'",
                              graph->name);
        cosma_schedule_free(schedule);
        return status;
    }
    *out_schedule = schedule;
    return COSMA_OK;
}

void cosma_schedule_free(cosma_event_schedule_t *schedule)
{
    if (schedule == NULL)
        return;
    cosma_arena_free(&schedule->arena);
    free(schedule);
}
