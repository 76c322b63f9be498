/* baselines.c: the replacement baselines the COSMA paper compares against
 * (docs/baselines.md): a fixed schedule (the graph's default order or the
 * minimum-peak order), TFLite's linear best-fit arena (SimpleMemoryArena)
 * for offsets, and Belady's or the greedy-optimal replacement when the
 * arena has no room.  A step-by-step simulation that records the stays of
 * every tensor as plan intervals; the plan is verified before it leaves. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/verify.h>
#include "planner_internal.h"

const char *const cosma_baseline_names[] = {"default-belady", "default-greedy", "peak-belady", "peak-greedy", NULL};

/* Time for the exact minimum-peak search behind the "peak" schedules. */
#define PEAK_ORDER_SECONDS 10.0

typedef enum { POLICY_BELADY, POLICY_GREEDY } policy_t;

/* A resident tensor's bytes [offset, end) in the arena. */
typedef struct {
    uint64_t offset, end;
    int32_t tensor;
} block_t;

typedef struct {
    const cosma_graph_t *graph;
    const char *name;
    policy_t policy;
    uint64_t budget, align;
    const int32_t *order;
    uint64_t *size;
    int32_t *use_start, *uses; /* reading steps of each tensor, ascending (CSR) */
    int32_t *use_next;         /* index in uses of the next read at or after now */
    int32_t *last_step;        /* last read, or the producer's step if none */
    unsigned char *host;       /* host memory holds a valid copy */
    int32_t *stay_first;       /* step the current stay began, 0 = not resident */
    uint64_t *stay_offset;
    unsigned char *stay_load;  /* the current stay began with a load */
    /* The arena at the start of the step, sorted by offset, and the trial
     * copy a step is placed into until it succeeds. */
    block_t *layout, *trial;
    cosma_span_t *spans;         /* scratch for the gap rule, one per tensor */
    int32_t n_layout, n_trial;
    int32_t *evicted, n_evicted; /* trial evictions, in order */
    int32_t *placed, n_placed;   /* trial placements, in order */
    uint64_t *placed_offset;
    unsigned char *out;          /* evicted in the trial (operands may return) */
    unsigned char *operand;      /* an operand of the current step */
    int32_t *operands, n_operands, n_inputs; /* current step: inputs, then outputs */
    int32_t *resident_inputs;
    cosma_interval_t *intervals;
    int32_t n_intervals;
    size_t cap_intervals;
    int32_t replaced_steps, flushed_steps; /* steps that needed the fallback */
    int nomem;
} sim_t;

/* Whether an evicted tensor must be written back: an activation without
 * a host copy (every resident tensor is still needed: dead ones leave at
 * the end of their last step). */
static int needs_spill(const sim_t *s, int32_t x)
{
    return s->graph->tensors[x].kind == COSMA_TENSOR_ACTIVATION && !s->host[x];
}

/* The greedy policy's price of evicting x: its spill if it needs one,
 * plus the retrieve before its next use. */
static uint64_t evict_cost(const sim_t *s, int32_t x)
{
    return (needs_spill(s, x) ? s->size[x] : 0) + s->size[x];
}

static int32_t next_use(const sim_t *s, int32_t x)
{
    return s->use_next[x] < s->use_start[x + 1] ? s->uses[s->use_next[x]] : INT32_MAX;
}

/* ---- the arena: TFLite's SimpleMemoryArena::Allocate ------------------- */

/* Best fit among the gaps between resident blocks (cosma_place_gap's
 * rule: smallest gap that holds the aligned block, the lowest on ties);
 * when none fits, after the last block if that stays inside the budget.
 * Returns 1 and the offset, or 0.  spans: scratch of n entries. */
static int fit_best(const block_t *blocks, int32_t n, uint64_t bytes, uint64_t align, uint64_t budget,
                    cosma_span_t *spans, uint64_t *out_offset)
{
    for (int32_t i = 0; i < n; i++)
        spans[i] = (cosma_span_t){blocks[i].offset, blocks[i].end};
    uint64_t offset = cosma_place_gap(spans, n, bytes, align, COSMA_FIT_BEST);
    if (offset > budget || budget - offset < bytes)
        return 0;
    *out_offset = offset;
    return 1;
}

static void blocks_insert(block_t *blocks, int32_t *n, block_t block)
{
    int32_t at = *n;
    while (at > 0 && (blocks[at - 1].offset > block.offset ||
                      (blocks[at - 1].offset == block.offset && blocks[at - 1].tensor > block.tensor))) {
        blocks[at] = blocks[at - 1];
        at--;
    }
    blocks[at] = block;
    (*n)++;
}

static void blocks_remove_at(block_t *blocks, int32_t *n, int32_t at)
{
    memmove(&blocks[at], &blocks[at + 1], (size_t)(*n - at - 1) * sizeof *blocks);
    (*n)--;
}

static void blocks_remove(block_t *blocks, int32_t *n, int32_t tensor)
{
    for (int32_t i = 0; i < *n; i++)
        if (blocks[i].tensor == tensor) {
            blocks_remove_at(blocks, n, i);
            return;
        }
}

/* ---- the trial: one attempt at placing a step -------------------------- */

static void trial_reset(sim_t *s)
{
    for (int32_t i = 0; i < s->n_evicted; i++)
        s->out[s->evicted[i]] = 0;
    s->n_evicted = 0;
    s->n_placed = 0;
    memcpy(s->trial, s->layout, (size_t)s->n_layout * sizeof *s->trial);
    s->n_trial = s->n_layout;
}

static void trial_evict_at(sim_t *s, int32_t at)
{
    int32_t x = s->trial[at].tensor;
    s->evicted[s->n_evicted++] = x;
    s->out[x] = 1;
    blocks_remove_at(s->trial, &s->n_trial, at);
}

/* Belady: evict the block whose next use is furthest away (then the
 * larger, then the lower tensor index).  Returns 0 when nothing may go. */
static int make_room_belady(sim_t *s)
{
    int32_t victim = -1;
    for (int32_t i = 0; i < s->n_trial; i++) {
        int32_t x = s->trial[i].tensor;
        if (s->operand[x])
            continue;
        if (victim < 0) {
            victim = i;
            continue;
        }
        int32_t v = s->trial[victim].tensor;
        int32_t nx = next_use(s, x), nv = next_use(s, v);
        if (nx > nv || (nx == nv && (s->size[x] > s->size[v] || (s->size[x] == s->size[v] && x < v))))
            victim = i;
    }
    if (victim < 0)
        return 0;
    trial_evict_at(s, victim);
    return 1;
}

/* Greedy-optimal: among all runs of consecutive evictable blocks whose
 * removal opens a gap that holds the block, evict the cheapest run (then
 * the one freeing fewer bytes, then the lowest).  Returns 0 when no run
 * works. */
static int make_room_greedy(sim_t *s, uint64_t bytes)
{
    int32_t best_i = -1, best_j = -1;
    uint64_t best_cost = UINT64_MAX, best_freed = UINT64_MAX;
    uint64_t left = 0; /* end of the blocks before i */
    for (int32_t i = 0; i < s->n_trial; i++) {
        uint64_t cost = 0, freed = 0;
        for (int32_t j = i; j < s->n_trial && !s->operand[s->trial[j].tensor]; j++) {
            int32_t x = s->trial[j].tensor;
            uint64_t c = evict_cost(s, x);
            cost = cost > UINT64_MAX - c ? UINT64_MAX : cost + c; /* saturate: only compared */
            freed += s->size[x];
            uint64_t right = j + 1 < s->n_trial ? s->trial[j + 1].offset : s->budget;
            uint64_t candidate = cosma_align_up(left, s->align);
            if (candidate <= right && right - candidate >= bytes) {
                if (cost < best_cost || (cost == best_cost && freed < best_freed)) {
                    best_i = i;
                    best_j = j;
                    best_cost = cost;
                    best_freed = freed;
                }
                break; /* a longer run only costs more */
            }
        }
        if (s->trial[i].end > left)
            left = s->trial[i].end;
    }
    if (best_i < 0)
        return 0;
    for (int32_t k = best_j; k >= best_i; k--)
        trial_evict_at(s, k);
    return 1;
}

/* Places x into the trial arena, evicting with the policy as needed. */
static int trial_place(sim_t *s, int32_t x)
{
    for (;;) {
        uint64_t offset;
        if (fit_best(s->trial, s->n_trial, s->size[x], s->align, s->budget, s->spans, &offset)) {
            block_t block = {offset, offset + s->size[x], x};
            blocks_insert(s->trial, &s->n_trial, block);
            s->placed[s->n_placed] = x;
            s->placed_offset[s->n_placed++] = offset;
            return 1;
        }
        int progress = s->policy == POLICY_BELADY ? make_room_belady(s) : make_room_greedy(s, s->size[x]);
        if (!progress)
            return 0;
    }
}

/* One attempt: evict the first k of the operator's resident inputs (the
 * fallback's re-placement), then place every operand that is not resident
 * in operand order.  Returns 1 when the whole step fits. */
static int trial_step(sim_t *s, int32_t k)
{
    trial_reset(s);
    for (int32_t i = 0; i < k; i++) {
        int32_t x = s->resident_inputs[i];
        for (int32_t at = 0; at < s->n_trial; at++)
            if (s->trial[at].tensor == x) {
                trial_evict_at(s, at);
                break;
            }
    }
    for (int32_t i = 0; i < s->n_operands; i++) {
        int32_t x = s->operands[i];
        if ((s->stay_first[x] == 0 || s->out[x]) && !trial_place(s, x))
            return 0;
    }
    return 1;
}

/* Last resort: everything resident leaves and the step's operands are
 * stacked into the empty arena, the one with the most alignment padding
 * last (that order needs the least space).  Returns 1 when they fit;
 * *out_need is the bytes they take. */
static int trial_flush(sim_t *s, uint64_t *out_need)
{
    trial_reset(s);
    while (s->n_trial > 0)
        trial_evict_at(s, s->n_trial - 1);
    int32_t last = -1;
    uint64_t need = 0, worst_pad = 0;
    for (int32_t i = 0; i < s->n_operands; i++) {
        int32_t x = s->operands[i];
        uint64_t pad = cosma_align_up(s->size[x], s->align) - s->size[x];
        if (last < 0 || pad > worst_pad) {
            last = i;
            worst_pad = pad;
        }
    }
    int fits = 1;
    for (int32_t pass = 0; pass < 2; pass++)
        for (int32_t i = 0; i < s->n_operands; i++) {
            if ((pass == 0) == (i == last))
                continue;
            int32_t x = s->operands[i];
            uint64_t add = pass == 0 ? cosma_align_up(s->size[x], s->align) : s->size[x];
            need = need > UINT64_MAX - add ? UINT64_MAX : need + add;
            if (fits && !trial_place(s, x))
                fits = 0;
        }
    *out_need = need;
    return fits;
}

/* ---- committing a step ------------------------------------------------- */

static void close_stay(sim_t *s, int32_t x, int32_t last, cosma_end_t end)
{
    if (cosma_array_reserve((void **)&s->intervals, &s->cap_intervals, (size_t)s->n_intervals + 1,
                            sizeof *s->intervals) != 0) {
        s->nomem = 1;
        return;
    }
    cosma_interval_t *iv = &s->intervals[s->n_intervals++];
    iv->tensor = x;
    iv->first = s->stay_first[x];
    iv->last = last;
    iv->offset = s->stay_offset[x];
    iv->bytes = s->size[x];
    iv->begin = s->stay_load[x] ? COSMA_BEGIN_LOAD : COSMA_BEGIN_CREATE;
    iv->end = end;
    s->stay_first[x] = 0;
}

/* Evictions take effect at the start of step t (their stays end at t-1),
 * then the step's loads and creations begin their stays. */
static void commit_step(sim_t *s, int32_t t)
{
    for (int32_t i = 0; i < s->n_evicted; i++) {
        int32_t x = s->evicted[i];
        int spill = needs_spill(s, x);
        close_stay(s, x, t - 1, spill ? COSMA_END_SPILL : COSMA_END_DROP);
        if (spill)
            s->host[x] = 1;
        s->out[x] = 0;
    }
    s->n_evicted = 0;
    for (int32_t i = 0; i < s->n_placed; i++) {
        int32_t x = s->placed[i];
        int created = s->graph->tensors[x].producer >= 0 && s->graph->tensors[x].producer == s->order[t - 1];
        s->stay_first[x] = t;
        s->stay_offset[x] = s->placed_offset[i];
        s->stay_load[x] = !created;
        if (created && s->graph->tensors[x].kind == COSMA_TENSOR_OUTPUT)
            s->host[x] = 1; /* the compulsory store right after its producer */
    }
    s->n_placed = 0;
    memcpy(s->layout, s->trial, (size_t)s->n_trial * sizeof *s->layout);
    s->n_layout = s->n_trial;
}

/* The operator's distinct planned inputs, then its outputs. */
static void collect_operands(sim_t *s, int32_t op)
{
    const cosma_op_t *o = &s->graph->ops[op];
    s->n_operands = 0;
    for (int pass = 0; pass < 2; pass++) {
        const int32_t *list = pass == 0 ? o->inputs : o->outputs;
        int32_t n = pass == 0 ? o->n_inputs : o->n_outputs;
        for (int32_t i = 0; i < n; i++) {
            int32_t x = list[i];
            if (x < 0 || s->size[x] == 0 || s->operand[x]) /* size 0: not planned in this mode */
                continue;
            s->operand[x] = 1;
            s->operands[s->n_operands++] = x;
        }
        if (pass == 0)
            s->n_inputs = s->n_operands;
    }
}

/* Runs step t; returns COSMA_OK or COSMA_ERR_INFEASIBLE (reported). */
static cosma_status_t run_step(sim_t *s, int32_t t, cosma_diag_t *diag)
{
    int32_t op = s->order[t - 1];
    collect_operands(s, op);
    /* Resident inputs, cheapest to move first, for the fallback. */
    int32_t n_resident = 0;
    for (int32_t i = 0; i < s->n_inputs; i++) {
        int32_t x = s->operands[i];
        if (s->stay_first[x] == 0)
            continue;
        int32_t at = n_resident++;
        while (at > 0 && (evict_cost(s, s->resident_inputs[at - 1]) > evict_cost(s, x) ||
                          (evict_cost(s, s->resident_inputs[at - 1]) == evict_cost(s, x) &&
                           s->resident_inputs[at - 1] > x))) {
            s->resident_inputs[at] = s->resident_inputs[at - 1];
            at--;
        }
        s->resident_inputs[at] = x;
    }
    int done = 0;
    for (int32_t k = 0; k <= n_resident && !done; k++) {
        done = trial_step(s, k);
        if (done && k > 0)
            s->replaced_steps++;
    }
    if (!done) {
        uint64_t need;
        if (!trial_flush(s, &need)) {
            cosma_diag_report(diag, COSMA_SEV_ERROR,
                              "baseline %s: operator '%s' (step %" PRId32 ") needs %" PRIu64
                              " bytes with its operands at %" PRIu64 "-byte aligned offsets, more than the budget of %"
                              PRIu64 " bytes",
                              s->name, s->graph->ops[op].name, t, need, s->align, s->budget);
            for (int32_t i = 0; i < s->n_operands; i++)
                s->operand[s->operands[i]] = 0;
            trial_reset(s);
            return COSMA_ERR_INFEASIBLE;
        }
        s->flushed_steps++;
    }
    commit_step(s, t);
    /* The operator has run: its reads are consumed, and tensors whose
     * last step this was leave at no cost. */
    for (int32_t i = 0; i < s->n_operands; i++) {
        int32_t x = s->operands[i];
        s->operand[x] = 0;
        if (i < s->n_inputs)
            s->use_next[x]++;
        if (s->last_step[x] == t) {
            close_stay(s, x, t, COSMA_END_DROP);
            blocks_remove(s->layout, &s->n_layout, x);
        }
    }
    return COSMA_OK;
}

/* ---- setup -------------------------------------------------------------- */

static void sim_free(sim_t *s)
{
    free(s->size);
    free(s->use_start);
    free(s->uses);
    free(s->use_next);
    free(s->last_step);
    free(s->host);
    free(s->stay_first);
    free(s->stay_offset);
    free(s->stay_load);
    free(s->layout);
    free(s->trial);
    free(s->spans);
    free(s->evicted);
    free(s->placed);
    free(s->placed_offset);
    free(s->out);
    free(s->operand);
    free(s->operands);
    free(s->resident_inputs);
    free(s->intervals);
}

static cosma_status_t sim_init(sim_t *s, const cosma_graph_t *graph, const cosma_mode_t *mode, const int32_t *order,
                               cosma_diag_t *diag)
{
    size_t nt = (size_t)graph->n_tensors + 1, no = (size_t)graph->n_ops + 1;
    s->size = malloc(nt * sizeof *s->size);
    s->use_start = calloc(nt + 1, sizeof *s->use_start);
    s->use_next = calloc(nt, sizeof *s->use_next);
    s->last_step = calloc(nt, sizeof *s->last_step);
    s->host = calloc(nt, 1);
    s->stay_first = calloc(nt, sizeof *s->stay_first);
    s->stay_offset = calloc(nt, sizeof *s->stay_offset);
    s->stay_load = calloc(nt, 1);
    s->layout = malloc(nt * sizeof *s->layout);
    s->trial = malloc(nt * sizeof *s->trial);
    s->spans = malloc(nt * sizeof *s->spans);
    s->evicted = malloc(2 * nt * sizeof *s->evicted);
    s->placed = malloc(nt * sizeof *s->placed);
    s->placed_offset = malloc(nt * sizeof *s->placed_offset);
    s->out = calloc(nt, 1);
    s->operand = calloc(nt, 1);
    s->operands = malloc(nt * sizeof *s->operands);
    s->resident_inputs = malloc(nt * sizeof *s->resident_inputs);
    int32_t *step = malloc(no * sizeof *step);
    if (s->size == NULL || s->use_start == NULL || s->use_next == NULL || s->last_step == NULL || s->host == NULL ||
        s->stay_first == NULL || s->stay_offset == NULL || s->stay_load == NULL || s->layout == NULL ||
        s->trial == NULL || s->spans == NULL || s->evicted == NULL || s->placed == NULL || s->placed_offset == NULL ||
        s->out == NULL || s->operand == NULL || s->operands == NULL || s->resident_inputs == NULL || step == NULL) {
        free(step);
        return COSMA_ERR_NOMEM;
    }
    cosma_status_t status = cosma_graph_sizes(graph, mode, s->size, diag);
    if (status != COSMA_OK) {
        free(step);
        return status;
    }
    cosma_order_steps(graph, order, step);
    size_t n_uses = 0;
    for (int32_t x = 0; x < graph->n_tensors; x++) {
        const cosma_tensor_t *tensor = &graph->tensors[x];
        s->use_start[x + 1] = s->use_start[x] + (s->size[x] > 0 ? tensor->n_consumers : 0);
        n_uses += (size_t)(s->size[x] > 0 ? tensor->n_consumers : 0);
        s->host[x] = tensor->kind == COSMA_TENSOR_INPUT || tensor->kind == COSMA_TENSOR_PARAM;
    }
    s->uses = malloc((n_uses + 1) * sizeof *s->uses);
    if (s->uses == NULL) {
        free(step);
        return COSMA_ERR_NOMEM;
    }
    for (int32_t x = 0; x < graph->n_tensors; x++) {
        const cosma_tensor_t *tensor = &graph->tensors[x];
        if (s->size[x] == 0)
            continue;
        int32_t *list = &s->uses[s->use_start[x]];
        for (int32_t c = 0; c < tensor->n_consumers; c++) {
            /* Consumers are few per tensor: insertion sort by step. */
            int32_t at = c, value = step[tensor->consumers[c]];
            while (at > 0 && list[at - 1] > value) {
                list[at] = list[at - 1];
                at--;
            }
            list[at] = value;
        }
        s->use_next[x] = s->use_start[x];
        s->last_step[x] = tensor->n_consumers > 0 ? list[tensor->n_consumers - 1] : step[tensor->producer];
    }
    free(step);
    return COSMA_OK;
}

static int is_power_of_two(uint64_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

/* Builds the plan from the recorded stays and checks it with the
 * independent verifier: a rejection here is a bug in this file. */
static cosma_status_t build_plan(const sim_t *s, const cosma_graph_t *graph, const cosma_mode_t *mode,
                                 const int32_t *order, double started, cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    cosma_plan_t *plan = cosma_plan_create(graph->n_ops, s->n_intervals);
    if (plan == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(plan->order, order, (size_t)graph->n_ops * sizeof *order);
    if (s->n_intervals > 0)
        memcpy(plan->intervals, s->intervals, (size_t)s->n_intervals * sizeof *s->intervals);
    plan->graph_name = cosma_arena_strdup(&plan->arena, graph->name != NULL ? graph->name : "");
    plan->graph_hash = cosma_graph_hash(graph);
    plan->mode = *mode;
    plan->budget_bytes = s->budget;
    plan->status = COSMA_PLAN_FEASIBLE;
    plan->lower_bound_bytes = 0;
    char method[128];
    int fallback = s->replaced_steps > 0 || s->flushed_steps > 0;
    snprintf(method, sizeof method, "baseline:%s%s", s->name, fallback ? "+fallback" : "");
    plan->method = cosma_arena_strdup(&plan->arena, method);
    if (plan->graph_name == NULL || plan->method == NULL) {
        cosma_plan_destroy(plan);
        return COSMA_ERR_NOMEM;
    }
    cosma_plan_sort_intervals(plan);
    cosma_status_t status = cosma_plan_traffic(graph, plan, &plan->traffic);
    if (status != COSMA_OK) {
        if (status != COSMA_ERR_NOMEM)
            cosma_diag_report(diag, COSMA_SEV_ERROR, "baseline %s: the traffic totals of '%s' overflow 64 bits",
                              s->name, graph->name);
        cosma_plan_destroy(plan);
        return status;
    }
    plan->solve_seconds = cosma_clock_seconds() - started; /* the schedule search included */
    cosma_traffic_t checked;
    status = cosma_plan_verify(graph, plan, &checked, diag);
    if (status == COSMA_ERR_NOMEM) {
        cosma_plan_destroy(plan);
        return status;
    }
    if (status != COSMA_OK || checked.spill_bytes != plan->traffic.spill_bytes ||
        checked.retrieve_bytes != plan->traffic.retrieve_bytes) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "internal error: the verifier rejects the %s baseline plan of '%s'",
                          s->name, graph->name);
        cosma_plan_destroy(plan);
        return COSMA_ERR_INTERNAL;
    }
    *out_plan = plan;
    return COSMA_OK;
}

cosma_status_t cosma_baseline_plan(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t budget_bytes,
                                   const char *name, uint64_t align, cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    if (out_plan != NULL)
        *out_plan = NULL;
    if (graph == NULL || mode == NULL || name == NULL || out_plan == NULL || !graph->finalized) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "baseline: missing graph, mode, name or result");
        return COSMA_ERR_USAGE;
    }
    int known = 0;
    for (int32_t b = 0; cosma_baseline_names[b] != NULL && !known; b++)
        known = strcmp(name, cosma_baseline_names[b]) == 0;
    if (!known) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "unknown baseline '%s' (known: default-belady, default-greedy, peak-belady, peak-greedy)",
                          name);
        return COSMA_ERR_USAGE;
    }
    if (!is_power_of_two(align)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "baseline %s: alignment %" PRIu64 " is not a power of two", name,
                          align);
        return COSMA_ERR_USAGE;
    }
    int32_t *order = NULL;
    cosma_status_t status = COSMA_OK;
    if (strncmp(name, "peak-", 5) == 0) {
        cosma_bounds_t bounds;
        status = cosma_planner_bounds(graph, mode, PEAK_ORDER_SECONDS, &bounds, diag);
        if (status != COSMA_OK)
            return status;
        order = bounds.order; /* ours to free now */
        bounds.order = NULL;
    } else {
        order = malloc(((size_t)graph->n_ops + 1) * sizeof *order);
        if (order == NULL) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "baseline %s: out of memory", name);
            return COSMA_ERR_NOMEM;
        }
        for (int32_t o = 0; o < graph->n_ops; o++)
            order[o] = o;
    }
    status = cosma_baseline_plan_in_order(graph, mode, budget_bytes, name, align, order, out_plan, diag);
    free(order);
    return status;
}

cosma_status_t cosma_baseline_plan_in_order(const cosma_graph_t *graph, const cosma_mode_t *mode,
                                            uint64_t budget_bytes, const char *name, uint64_t align,
                                            const int32_t *order, cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    double started = cosma_clock_seconds();
    sim_t s;
    memset(&s, 0, sizeof s);
    s.graph = graph;
    s.name = name;
    s.policy = strstr(name, "belady") != NULL ? POLICY_BELADY : POLICY_GREEDY;
    s.budget = budget_bytes;
    s.align = align;
    s.order = order;
    cosma_status_t status = sim_init(&s, graph, mode, order, diag);
    for (int32_t t = 1; t <= graph->n_ops && status == COSMA_OK; t++) {
        status = run_step(&s, t, diag);
        if (status == COSMA_OK && s.nomem)
            status = COSMA_ERR_NOMEM;
    }
    if (status == COSMA_OK) {
        if (s.replaced_steps > 0 || s.flushed_steps > 0)
            cosma_diag_report(diag, COSMA_SEV_NOTE,
                              "baseline %s: fallback used at %" PRId32 " of %" PRId32
                              " steps (%" PRId32 " re-placed inputs, %" PRId32 " flushed the arena)",
                              name, s.replaced_steps + s.flushed_steps, graph->n_ops, s.replaced_steps,
                              s.flushed_steps);
        status = build_plan(&s, graph, mode, order, started, out_plan, diag);
    }
    if (status == COSMA_ERR_NOMEM)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "baseline %s: out of memory", name);
    sim_free(&s);
    return status;
}
