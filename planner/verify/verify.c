/* verify.c: the independent plan verifier.  Replays a plan against its
 * graph and checks every rule of the machine model (docs/design.md),
 * trusting nothing the optimiser computed: steps, lifetimes, host copies
 * and traffic are all derived again from the graph and the intervals. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/verify.h>

/* Everything the checks share, derived once from the graph and the order. */
typedef struct {
    const cosma_graph_t *graph;
    const cosma_plan_t *plan;
    cosma_diag_t *diag;
    uint64_t *sizes;        /* bytes of each tensor in plan->mode, 0 = unplanned */
    int32_t *op_step;       /* 1-based step of each operator */
    int32_t *producer_step; /* step that creates each tensor, 0 = no producer */
    int32_t *last_read;     /* last step that reads each tensor, 0 = no reader */
    int32_t *by_tensor;     /* interval indices grouped by tensor, by first step */
    int32_t *tensor_start;  /* tensor t owns by_tensor[tensor_start[t] .. tensor_start[t+1]) */
    cosma_traffic_t traffic;
} verifier_t;

/* Reports a violated rule; always returns COSMA_ERR_INPUT so the checks
 * can `return violation(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static cosma_status_t violation(verifier_t *v, const char *rule, const char *fmt, ...)
{
    char message[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cosma_diag_report(v->diag, COSMA_SEV_ERROR, "rule %s: %s", rule, message);
    return COSMA_ERR_INPUT;
}

static const cosma_interval_t *interval_at(const verifier_t *v, int32_t index)
{
    return &v->plan->intervals[index];
}

static const char *tensor_name(const verifier_t *v, int32_t tensor)
{
    return v->graph->tensors[tensor].name;
}

static const char *op_name(const verifier_t *v, int32_t op)
{
    return v->graph->ops[op].name;
}

/* "interval #i of 'x' (steps a..b, bytes [o, e))": the same wording in
 * every message, so a reader can find the interval in the plan file.
 * Only valid after rule interval-tensor has passed. */
static const char *describe(const verifier_t *v, int32_t index, char *text, size_t size)
{
    const cosma_interval_t *iv = interval_at(v, index);
    uint64_t end;
    if (cosma_u64_add(iv->offset, iv->bytes, &end))
        snprintf(text, size, "interval #%" PRId32 " of '%s' (steps %" PRId32 "..%" PRId32 ", offset %" PRIu64
                             ", %" PRIu64 " bytes)",
                 index, tensor_name(v, iv->tensor), iv->first, iv->last, iv->offset, iv->bytes);
    else
        snprintf(text, size, "interval #%" PRId32 " of '%s' (steps %" PRId32 "..%" PRId32 ", bytes [%" PRIu64
                             ", %" PRIu64 "))",
                 index, tensor_name(v, iv->tensor), iv->first, iv->last, iv->offset, end);
    return text;
}

static const char *kind_name(const verifier_t *v, int32_t tensor)
{
    return cosma_tensor_kind_name(v->graph->tensors[tensor].kind);
}

static int has_host_copy_from_start(const verifier_t *v, int32_t tensor)
{
    cosma_tensor_kind_t kind = v->graph->tensors[tensor].kind;
    return kind == COSMA_TENSOR_INPUT || kind == COSMA_TENSOR_PARAM;
}

/* ---- rule 12 (first half): only a plan that claims to exist ---------- */

static cosma_status_t check_status(verifier_t *v)
{
    switch (v->plan->status) {
    case COSMA_PLAN_OPTIMAL:
    case COSMA_PLAN_FEASIBLE: return COSMA_OK;
    case COSMA_PLAN_INFEASIBLE:
        return violation(v, "claim-status", "the plan's status is infeasible: an infeasible plan has nothing to verify");
    }
    return violation(v, "claim-status", "unknown plan status %d", (int)v->plan->status);
}

/* ---- rule 2: the order ----------------------------------------------- */

static cosma_status_t check_order(verifier_t *v)
{
    const cosma_graph_t *g = v->graph;
    const cosma_plan_t *p = v->plan;
    if (p->n_steps != g->n_ops)
        return violation(v, "order-length", "the plan has %" PRId32 " steps but graph '%s' has %" PRId32 " operators",
                         p->n_steps, g->name != NULL ? g->name : "", g->n_ops);
    for (int32_t t = 1; t <= p->n_steps; t++) {
        int32_t op = p->order[t - 1];
        if (op < 0 || op >= g->n_ops)
            return violation(v, "order-permutation", "step %" PRId32 " runs operator index %" PRId32
                             ", outside 0..%" PRId32, t, op, g->n_ops - 1);
        if (v->op_step[op] != 0)
            return violation(v, "order-permutation", "operator '%s' runs twice, at steps %" PRId32 " and %" PRId32,
                             op_name(v, op), v->op_step[op], t);
        v->op_step[op] = t;
    }
    /* n_steps == n_ops and no repeats, so every operator has a step; the
     * loop above cannot leave one out, but say so plainly if it did. */
    for (int32_t op = 0; op < g->n_ops; op++)
        if (v->op_step[op] == 0)
            return violation(v, "order-permutation", "operator '%s' never runs", op_name(v, op));
    /* Producers from the operators' own output lists, not from the
     * graph's derived fields: the verifier recomputes what it relies on. */
    for (int32_t op = 0; op < g->n_ops; op++)
        for (int32_t k = 0; k < g->ops[op].n_outputs; k++) {
            int32_t t = g->ops[op].outputs[k];
            if (t >= 0 && t < g->n_tensors)
                v->producer_step[t] = v->op_step[op];
        }
    for (int32_t op = 0; op < g->n_ops; op++) {
        int32_t step = v->op_step[op];
        for (int32_t k = 0; k < g->ops[op].n_inputs; k++) {
            int32_t t = g->ops[op].inputs[k];
            if (t < 0 || t >= g->n_tensors)
                continue;
            if (v->producer_step[t] >= step) {
                int32_t producer = p->order[v->producer_step[t] - 1];
                return violation(v, "order-topological",
                                 "step %" PRId32 " runs operator '%s', which reads '%s', but its producer '%s' runs "
                                 "only at step %" PRId32,
                                 step, op_name(v, op), tensor_name(v, t), op_name(v, producer), v->producer_step[t]);
            }
            if (step > v->last_read[t])
                v->last_read[t] = step;
        }
    }
    return COSMA_OK;
}

/* ---- rules 1 and 3: each interval on its own -------------------------- */

static cosma_status_t check_interval_fields(verifier_t *v)
{
    const cosma_plan_t *p = v->plan;
    char text[512];
    for (int32_t i = 0; i < p->n_intervals; i++) {
        const cosma_interval_t *iv = interval_at(v, i);
        if (iv->tensor < 0 || iv->tensor >= v->graph->n_tensors)
            return violation(v, "interval-tensor", "interval #%" PRId32 " names tensor index %" PRId32
                             ", outside 0..%" PRId32, i, iv->tensor, v->graph->n_tensors - 1);
        if (!cosma_tensor_is_planned(v->graph, iv->tensor, &p->mode))
            return violation(v, "interval-tensor", "%s: %s '%s' takes no scratchpad space in this plan's mode "
                             "(params %s), so it can have no interval",
                             describe(v, i, text, sizeof text), kind_name(v, iv->tensor), tensor_name(v, iv->tensor),
                             p->mode.with_params ? "counted" : "not counted");
        if (iv->bytes != v->sizes[iv->tensor])
            return violation(v, "interval-bytes", "%s: holds %" PRIu64 " bytes, but '%s' is %" PRIu64
                             " bytes in this plan's mode (elem_bytes %" PRIu32 "%s)",
                             describe(v, i, text, sizeof text), iv->bytes, tensor_name(v, iv->tensor),
                             v->sizes[iv->tensor], p->mode.elem_bytes,
                             p->mode.elem_bytes == 0 ? ": native element sizes" : "");
        if (iv->begin != COSMA_BEGIN_CREATE && iv->begin != COSMA_BEGIN_LOAD)
            return violation(v, "interval-events", "%s: unknown begin event %d", describe(v, i, text, sizeof text),
                             (int)iv->begin);
        if (iv->end != COSMA_END_DROP && iv->end != COSMA_END_SPILL)
            return violation(v, "interval-events", "%s: unknown end event %d", describe(v, i, text, sizeof text),
                             (int)iv->end);
        if (iv->first < 1 || iv->first > iv->last || iv->last > p->n_steps)
            return violation(v, "interval-steps", "%s: steps must satisfy 1 <= first <= last <= %" PRId32,
                             describe(v, i, text, sizeof text), p->n_steps);
        /* bytes <= budget first, so budget - bytes cannot wrap. */
        if (iv->bytes > p->budget_bytes || iv->offset > p->budget_bytes - iv->bytes)
            return violation(v, "interval-budget", "%s: offset %" PRIu64 " + %" PRIu64 " bytes exceeds the budget of %"
                             PRIu64 " bytes", describe(v, i, text, sizeof text), iv->offset, iv->bytes,
                             p->budget_bytes);
    }
    return COSMA_OK;
}

/* ---- rule 4: one stay at a time per tensor ---------------------------- */

typedef struct {
    int32_t tensor, first, index;
} interval_key_t;

static int compare_keys(const void *a, const void *b)
{
    const interval_key_t *x = a, *y = b;
    if (x->tensor != y->tensor)
        return x->tensor < y->tensor ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static cosma_status_t group_by_tensor(verifier_t *v)
{
    int32_t n = v->plan->n_intervals;
    interval_key_t *keys = malloc(((size_t)n + 1) * sizeof *keys);
    if (keys == NULL) {
        cosma_diag_report(v->diag, COSMA_SEV_ERROR, "out of memory while verifying the plan");
        return COSMA_ERR_NOMEM;
    }
    for (int32_t i = 0; i < n; i++) {
        keys[i].tensor = interval_at(v, i)->tensor;
        keys[i].first = interval_at(v, i)->first;
        keys[i].index = i;
    }
    qsort(keys, (size_t)n, sizeof *keys, compare_keys);
    for (int32_t i = 0; i < n; i++) {
        v->by_tensor[i] = keys[i].index;
        v->tensor_start[keys[i].tensor + 1]++;
    }
    for (int32_t t = 0; t < v->graph->n_tensors; t++)
        v->tensor_start[t + 1] += v->tensor_start[t];
    free(keys);
    return COSMA_OK;
}

static cosma_status_t check_time_overlap(verifier_t *v)
{
    char a[512], b[512];
    for (int32_t t = 0; t < v->graph->n_tensors; t++)
        for (int32_t k = v->tensor_start[t] + 1; k < v->tensor_start[t + 1]; k++) {
            int32_t prev = v->by_tensor[k - 1], cur = v->by_tensor[k];
            if (interval_at(v, prev)->last >= interval_at(v, cur)->first)
                return violation(v, "tensor-time-overlap", "%s and %s are both resident at step %" PRId32
                                 ": a tensor has one offset at a time",
                                 describe(v, prev, a, sizeof a), describe(v, cur, b, sizeof b),
                                 interval_at(v, cur)->first);
        }
    return COSMA_OK;
}

/* ---- rule 5: creation ------------------------------------------------- */

static cosma_status_t check_creation(verifier_t *v)
{
    char a[512], b[512];
    for (int32_t t = 0; t < v->graph->n_tensors; t++) {
        int32_t begin = v->tensor_start[t], end = v->tensor_start[t + 1];
        int32_t create = -1;
        for (int32_t k = begin; k < end; k++) {
            int32_t i = v->by_tensor[k];
            if (interval_at(v, i)->begin != COSMA_BEGIN_CREATE)
                continue;
            if (v->producer_step[t] == 0)
                return violation(v, "create-no-producer", "%s begins with create, but %s '%s' has no producer: it "
                                 "can only be loaded", describe(v, i, a, sizeof a), kind_name(v, t),
                                 tensor_name(v, t));
            if (create >= 0)
                return violation(v, "create-twice", "%s and %s both create '%s': a tensor is produced once",
                                 describe(v, create, a, sizeof a), describe(v, i, b, sizeof b), tensor_name(v, t));
            create = i;
        }
        if (v->producer_step[t] == 0 || !cosma_tensor_is_planned(v->graph, t, &v->plan->mode))
            continue;
        int32_t producer = v->plan->order[v->producer_step[t] - 1];
        if (create < 0)
            return violation(v, "create-missing", "%s '%s' is produced by '%s' at step %" PRId32
                             " but no interval creates it", kind_name(v, t), tensor_name(v, t),
                             op_name(v, producer), v->producer_step[t]);
        if (interval_at(v, create)->first != v->producer_step[t])
            return violation(v, "create-step", "%s: '%s' is created by '%s', which runs at step %" PRId32,
                             describe(v, create, a, sizeof a), tensor_name(v, t), op_name(v, producer),
                             v->producer_step[t]);
        if (v->by_tensor[begin] != create)
            return violation(v, "create-not-first", "%s comes before %s, the tensor's creation",
                             describe(v, v->by_tensor[begin], a, sizeof a), describe(v, create, b, sizeof b));
    }
    return COSMA_OK;
}

/* ---- rule 6: loads need a host copy ----------------------------------- */

static cosma_status_t check_loads(verifier_t *v)
{
    char a[512];
    for (int32_t t = 0; t < v->graph->n_tensors; t++) {
        int spilled = 0; /* an earlier stay ended with spill */
        for (int32_t k = v->tensor_start[t]; k < v->tensor_start[t + 1]; k++) {
            int32_t i = v->by_tensor[k];
            const cosma_interval_t *iv = interval_at(v, i);
            if (iv->begin == COSMA_BEGIN_LOAD && !has_host_copy_from_start(v, t)) {
                cosma_tensor_kind_t kind = v->graph->tensors[t].kind;
                if (kind == COSMA_TENSOR_OUTPUT && iv->first <= v->producer_step[t])
                    return violation(v, "load-no-host-copy", "%s loads graph output '%s', which reaches host memory "
                                     "only after its producer runs at step %" PRId32,
                                     describe(v, i, a, sizeof a), tensor_name(v, t), v->producer_step[t]);
                if (kind == COSMA_TENSOR_ACTIVATION && !spilled)
                    return violation(v, "load-no-host-copy", "%s loads activation '%s', but no earlier interval of it "
                                     "ended with spill, so host memory has no copy",
                                     describe(v, i, a, sizeof a), tensor_name(v, t));
            }
            if (iv->end == COSMA_END_SPILL)
                spilled = 1;
        }
    }
    return COSMA_OK;
}

/* ---- rule 7: spills only when they buy something ---------------------- */

static cosma_status_t check_spills(verifier_t *v)
{
    char a[512], b[512];
    for (int32_t t = 0; t < v->graph->n_tensors; t++) {
        int32_t spilled = -1; /* the interval whose spill made the host copy */
        for (int32_t k = v->tensor_start[t]; k < v->tensor_start[t + 1]; k++) {
            int32_t i = v->by_tensor[k];
            const cosma_interval_t *iv = interval_at(v, i);
            if (iv->end != COSMA_END_SPILL)
                continue;
            if (v->graph->tensors[t].kind != COSMA_TENSOR_ACTIVATION)
                return violation(v, "spill-kind", "%s ends with spill, but '%s' is a graph %s: it already has a host "
                                 "copy and is dropped for free", describe(v, i, a, sizeof a), tensor_name(v, t),
                                 kind_name(v, t));
            if (spilled >= 0)
                return violation(v, "spill-twice", "%s ends with spill, but %s already spilled '%s' at the start of "
                                 "step %" PRId32 ": tensors are immutable, the host copy is still valid",
                                 describe(v, i, a, sizeof a), describe(v, spilled, b, sizeof b), tensor_name(v, t),
                                 interval_at(v, spilled)->last + 1);
            if (v->last_read[t] <= iv->last)
                return violation(v, "spill-dead", "%s ends with spill, but no step after %" PRId32 " reads '%s' "
                                 "(last read at step %" PRId32 "): a wasted write",
                                 describe(v, i, a, sizeof a), iv->last, tensor_name(v, t), v->last_read[t]);
            spilled = i;
        }
    }
    return COSMA_OK;
}

/* ---- rule 8: operands resident when their operator runs --------------- */

static int32_t interval_covering(const verifier_t *v, int32_t tensor, int32_t step)
{
    for (int32_t k = v->tensor_start[tensor]; k < v->tensor_start[tensor + 1]; k++) {
        const cosma_interval_t *iv = interval_at(v, v->by_tensor[k]);
        if (iv->first > step)
            break;
        if (iv->last >= step)
            return v->by_tensor[k];
    }
    return -1;
}

static cosma_status_t check_operands(verifier_t *v)
{
    const cosma_graph_t *g = v->graph;
    for (int32_t step = 1; step <= v->plan->n_steps; step++) {
        int32_t op = v->plan->order[step - 1];
        for (int32_t pass = 0; pass < 2; pass++) {
            const int32_t *list = pass == 0 ? g->ops[op].inputs : g->ops[op].outputs;
            int32_t n = pass == 0 ? g->ops[op].n_inputs : g->ops[op].n_outputs;
            for (int32_t k = 0; k < n; k++) {
                int32_t t = list[k];
                if (t < 0 || t >= g->n_tensors || !cosma_tensor_is_planned(g, t, &v->plan->mode))
                    continue;
                if (interval_covering(v, t, step) < 0)
                    return violation(v, "operand-resident", "step %" PRId32 " runs '%s', but its %s '%s' is not "
                                     "resident at that step", step, op_name(v, op), pass == 0 ? "input" : "output",
                                     tensor_name(v, t));
            }
        }
    }
    return COSMA_OK;
}

/* ---- rule 9: dead tensors leave --------------------------------------- */

static cosma_status_t check_dead(verifier_t *v)
{
    char a[512];
    for (int32_t i = 0; i < v->plan->n_intervals; i++) {
        const cosma_interval_t *iv = interval_at(v, i);
        int32_t t = iv->tensor;
        int32_t limit = v->last_read[t] > 0 ? v->last_read[t] : v->producer_step[t];
        if (iv->last > limit) {
            if (v->last_read[t] > 0)
                return violation(v, "dead-tensor", "%s stays past step %" PRId32 ", the last step that reads '%s'",
                                 describe(v, i, a, sizeof a), limit, tensor_name(v, t));
            return violation(v, "dead-tensor", "%s stays past step %" PRId32 ", where '%s' is produced: no "
                             "operator reads it", describe(v, i, a, sizeof a), limit, tensor_name(v, t));
        }
    }
    return COSMA_OK;
}

/* ---- rule 10: no two residents share a byte --------------------------- */

typedef struct {
    uint64_t offset, bytes;
    int32_t index;
} placed_t;

static int compare_placed(const void *a, const void *b)
{
    const placed_t *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Sweep over steps with the resident set: before step t it is free of
 * overlaps (checked at earlier steps; removals cannot create one), so
 * checking neighbours by offset whenever intervals arrive finds the first
 * step where two residents collide.  Bytes freed at t are reusable at t:
 * an interval is resident only for first..last. */
static cosma_status_t check_space(verifier_t *v)
{
    const cosma_plan_t *p = v->plan;
    int32_t n = p->n_intervals;
    int32_t *start = calloc((size_t)p->n_steps + 2, sizeof *start);
    int32_t *by_first = malloc(((size_t)n + 1) * sizeof *by_first);
    placed_t *resident = malloc(((size_t)n + 1) * sizeof *resident);
    cosma_status_t status = COSMA_OK;
    if (start == NULL || by_first == NULL || resident == NULL) {
        cosma_diag_report(v->diag, COSMA_SEV_ERROR, "out of memory while verifying the plan");
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    /* Counting sort by first step, stable in interval index. */
    for (int32_t i = 0; i < n; i++)
        start[interval_at(v, i)->first + 1]++;
    for (int32_t t = 1; t <= p->n_steps + 1; t++)
        start[t] += start[t - 1];
    for (int32_t i = 0; i < n; i++)
        by_first[start[interval_at(v, i)->first]++] = i;
    for (int32_t t = p->n_steps + 1; t > 0; t--)
        start[t] = start[t - 1];
    start[0] = 0;

    int32_t n_resident = 0;
    char a[512], b[512];
    for (int32_t step = 1; step <= p->n_steps && status == COSMA_OK; step++) {
        int32_t kept = 0;
        for (int32_t r = 0; r < n_resident; r++)
            if (interval_at(v, resident[r].index)->last >= step)
                resident[kept++] = resident[r];
        n_resident = kept;
        if (start[step] == start[step + 1])
            continue;
        for (int32_t k = start[step]; k < start[step + 1]; k++) {
            const cosma_interval_t *iv = interval_at(v, by_first[k]);
            placed_t item = {iv->offset, iv->bytes, by_first[k]};
            resident[n_resident++] = item;
        }
        qsort(resident, (size_t)n_resident, sizeof *resident, compare_placed);
        int32_t prev = -1; /* last non-empty range; empty ones occupy nothing */
        for (int32_t r = 0; r < n_resident && status == COSMA_OK; r++) {
            if (resident[r].bytes == 0)
                continue;
            /* Offsets are sorted and ranges are within the budget, so no
             * sum here can wrap. */
            if (prev >= 0 && resident[prev].offset + resident[prev].bytes > resident[r].offset)
                status = violation(v, "space-overlap", "at step %" PRId32 ", %s and %s share bytes", step,
                                   describe(v, resident[prev].index, a, sizeof a),
                                   describe(v, resident[r].index, b, sizeof b));
            prev = r;
        }
    }
done:
    free(start);
    free(by_first);
    free(resident);
    return status;
}

/* ---- rule 11: traffic recomputed -------------------------------------- */

static cosma_status_t add_bytes(verifier_t *v, uint64_t *sum, uint64_t bytes, const char *field)
{
    if (cosma_u64_add(*sum, bytes, sum))
        return violation(v, "traffic", "%s overflows 64 bits", field);
    return COSMA_OK;
}

static cosma_status_t recompute_traffic(verifier_t *v)
{
    cosma_traffic_t *tr = &v->traffic;
    cosma_status_t status = COSMA_OK;
    memset(tr, 0, sizeof *tr);
    for (int32_t t = 0; t < v->graph->n_tensors && status == COSMA_OK; t++) {
        int loaded = 0; /* the first load of an input / param is compulsory */
        for (int32_t k = v->tensor_start[t]; k < v->tensor_start[t + 1] && status == COSMA_OK; k++) {
            const cosma_interval_t *iv = interval_at(v, v->by_tensor[k]);
            if (iv->offset + iv->bytes > tr->peak_bytes)
                tr->peak_bytes = iv->offset + iv->bytes;
            if (iv->begin == COSMA_BEGIN_LOAD && has_host_copy_from_start(v, t) && !loaded) {
                loaded = 1;
                status = add_bytes(v, &tr->compulsory_load_bytes, iv->bytes, "compulsory_load_bytes");
            } else if (iv->begin == COSMA_BEGIN_LOAD) {
                status = add_bytes(v, &tr->retrieve_bytes, iv->bytes, "retrieve_bytes");
            } else if (v->graph->tensors[t].kind == COSMA_TENSOR_OUTPUT) {
                status = add_bytes(v, &tr->compulsory_store_bytes, iv->bytes, "compulsory_store_bytes");
            }
            if (status == COSMA_OK && iv->end == COSMA_END_SPILL)
                status = add_bytes(v, &tr->spill_bytes, iv->bytes, "spill_bytes");
        }
    }
    return status;
}

static cosma_status_t check_traffic(verifier_t *v)
{
    const cosma_traffic_t *claimed = &v->plan->traffic, *actual = &v->traffic;
    const struct {
        const char *field;
        uint64_t claimed, actual;
    } fields[] = {
        {"spill_bytes", claimed->spill_bytes, actual->spill_bytes},
        {"retrieve_bytes", claimed->retrieve_bytes, actual->retrieve_bytes},
        {"compulsory_load_bytes", claimed->compulsory_load_bytes, actual->compulsory_load_bytes},
        {"compulsory_store_bytes", claimed->compulsory_store_bytes, actual->compulsory_store_bytes},
        {"peak_bytes", claimed->peak_bytes, actual->peak_bytes},
    };
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        if (fields[f].claimed != fields[f].actual)
            return violation(v, "traffic", "the plan claims %s = %" PRIu64 " but its intervals give %" PRIu64,
                             fields[f].field, fields[f].claimed, fields[f].actual);
    return COSMA_OK;
}

/* ---- rule 12 (second half): the optimality claim ---------------------- */

static cosma_status_t check_claims(verifier_t *v)
{
    uint64_t traffic;
    if (cosma_u64_add(v->traffic.spill_bytes, v->traffic.retrieve_bytes, &traffic))
        return violation(v, "traffic", "spill_bytes + retrieve_bytes overflows 64 bits");
    if (v->plan->lower_bound_bytes > traffic)
        return violation(v, "claim-lower-bound", "the plan claims a lower bound of %" PRIu64
                         " bytes, above its own non-compulsory traffic of %" PRIu64 " bytes",
                         v->plan->lower_bound_bytes, traffic);
    if (v->plan->status == COSMA_PLAN_OPTIMAL && v->plan->lower_bound_bytes != traffic)
        return violation(v, "claim-optimal", "the plan claims status optimal, but its lower bound of %" PRIu64
                         " bytes is below its non-compulsory traffic of %" PRIu64 " bytes",
                         v->plan->lower_bound_bytes, traffic);
    return COSMA_OK;
}

/* ---- driver ----------------------------------------------------------- */

static cosma_status_t run_checks(verifier_t *v)
{
    cosma_status_t status;
    if ((status = check_status(v)) != COSMA_OK)
        return status;
    if (cosma_graph_sizes(v->graph, &v->plan->mode, v->sizes, v->diag) != COSMA_OK)
        return violation(v, "plan-mode", "tensor sizes overflow in the plan's mode (elem_bytes %" PRIu32 ")",
                         v->plan->mode.elem_bytes);
    if ((status = check_order(v)) != COSMA_OK || (status = check_interval_fields(v)) != COSMA_OK ||
        (status = group_by_tensor(v)) != COSMA_OK || (status = check_time_overlap(v)) != COSMA_OK ||
        (status = check_creation(v)) != COSMA_OK || (status = check_loads(v)) != COSMA_OK ||
        (status = check_spills(v)) != COSMA_OK || (status = check_operands(v)) != COSMA_OK ||
        (status = check_dead(v)) != COSMA_OK || (status = check_space(v)) != COSMA_OK ||
        (status = recompute_traffic(v)) != COSMA_OK || (status = check_traffic(v)) != COSMA_OK ||
        (status = check_claims(v)) != COSMA_OK)
        return status;
    return COSMA_OK;
}

cosma_status_t cosma_plan_verify(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                 cosma_traffic_t *out_traffic, cosma_diag_t *diag)
{
    if (out_traffic != NULL)
        memset(out_traffic, 0, sizeof *out_traffic);
    if (graph == NULL || plan == NULL || !graph->finalized) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cosma_plan_verify needs a finalized graph and a plan");
        return COSMA_ERR_USAGE;
    }
    if (plan->n_steps < 0 || plan->n_intervals < 0 || (plan->n_steps > 0 && plan->order == NULL) ||
        (plan->n_intervals > 0 && plan->intervals == NULL)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cosma_plan_verify: malformed plan container");
        return COSMA_ERR_USAGE;
    }
    verifier_t v;
    memset(&v, 0, sizeof v);
    v.graph = graph;
    v.plan = plan;
    v.diag = diag;
    size_t n_tensors = (size_t)graph->n_tensors + 1, n_ops = (size_t)graph->n_ops + 1;
    v.sizes = calloc(n_tensors, sizeof *v.sizes);
    v.op_step = calloc(n_ops, sizeof *v.op_step);
    v.producer_step = calloc(n_tensors, sizeof *v.producer_step);
    v.last_read = calloc(n_tensors, sizeof *v.last_read);
    v.by_tensor = calloc((size_t)plan->n_intervals + 1, sizeof *v.by_tensor);
    v.tensor_start = calloc(n_tensors + 1, sizeof *v.tensor_start);
    cosma_status_t status;
    if (v.sizes == NULL || v.op_step == NULL || v.producer_step == NULL || v.last_read == NULL ||
        v.by_tensor == NULL || v.tensor_start == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "out of memory while verifying the plan");
        status = COSMA_ERR_NOMEM;
    } else {
        status = run_checks(&v);
    }
    if (status == COSMA_OK && out_traffic != NULL)
        *out_traffic = v.traffic;
    free(v.sizes);
    free(v.op_step);
    free(v.producer_step);
    free(v.last_read);
    free(v.by_tensor);
    free(v.tensor_start);
    return status;
}
