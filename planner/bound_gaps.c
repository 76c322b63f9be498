/* bound_gaps.c: an order-free lower bound on the traffic from the key
 * points (docs/planner.md, section 3, item 9): the operators that run at
 * the same step in every order, and the tensors that every order keeps
 * live across them.
 *
 * The bound.  A key point k is an operator whose ancestors and descendants
 * are all the other operators; its room is r_k = budget - working_set(k).
 * Every other operator is an ancestor or a descendant of k, so whether a
 * use of a tensor t (its producer, its readers) runs before or after k is
 * the same in every order.  t is *live across* k when it is not k's
 * operand, some use of it runs before k and some reader after k.  List
 * the uses of t by the range (between two key points, or at one) they
 * fall in: the key points t is live across, between two consecutive
 * ranges of its uses, form one *gap* of t (g: a run of consecutive key
 * points with no use of t between them; uses within one range make no
 * gap).  One 0-1 program over the gaps that pass a key point with too
 * little room:
 *
 *   min  sum_g size(t_g) e_g + sum_{activations a} size(a) s_a
 *   s.t. sum_{g passes k} size(t_g) e_g >= live(k) - r_k   (live(k) > r_k)
 *        e_g = 1                           where size(t_g) > r_k, k in g
 *        s_a >= e_g                        for every gap g of activation a
 *
 * live(k) being the bytes of the tensors live across k.  e_g = 1 says t_g
 * is out of the scratchpad at one of g's key points at least.
 *
 * Why it is valid.  Take any plan (any order, placement, relocation
 * through host memory, re-loads) and set e_g = 1 when t_g is not resident
 * at the step of some key point of g, s_a = 1 when activation a is
 * spilled.  At k's step its operands and the resident tensors live across
 * it occupy disjoint bytes of the budget, so the resident ones take at
 * most r_k bytes: the capacity rows hold (a tensor larger than r_k is out
 * there), and so do the e_g = 1 rows.  If t_g is out at k in g, a reader
 * of t runs after k (t is live across k), so the plan loads t again at a
 * step after k and at or before the first reader after k; that reader
 * runs before the key points of t's next gap (a use of t lies between two
 * gaps, and every use after g's key points is a reader), so the loads
 * counted for different gaps of t are different loads of the plan, none
 * of them the compulsory first load of an input or a parameter (that one
 * happens at or before the first reader, which runs before k).  An
 * activation loaded again has no host copy unless it was spilled, once
 * (s_a = 1 whenever some e_g = 1 of it); an input, a parameter or a graph
 * output has one and is only charged its loads.  So the plan's traffic is
 * at least the program's objective at this point, hence at least its
 * optimum and any bound GLPK proves for it.  Nothing depends on the order
 * (the key points and the sides of every use are the same in all),
 * placement (only capacity is used) or relocation (an extra load or
 * eviction only adds to the plan's side).
 *
 * The capacity rows of one tensor's gaps cover consecutive key points, so
 * the program is nearly an interval matrix; its effort is bounded by a
 * node limit and by COSMA_GAP_BOUND_MAX_NONZEROS (fixed work); the clock
 * is a guard, and a solve it stops gives no bound. */
#include <stdlib.h>

#include <cosma/ilp.h>

#include "planner_internal.h"

/* A graph without a key point, or past the closure's size, has no gaps. */
enum { GAPS_NONE = -1 };
/* The default guard (seconds): the node limit is the work. */
#define GAP_BOUND_DEFAULT_SECONDS 10.0

void cosma_gap_bound_options_init(cosma_gap_bound_options_t *options)
{
    *options = (cosma_gap_bound_options_t){.node_limit = COSMA_GAP_BOUND_NODES, .time_limit = GAP_BOUND_DEFAULT_SECONDS};
}

/* One gap: tensor t is live across the key points lo..hi (indices into
 * the key points in their order), with no use between them. */
typedef struct {
    int32_t tensor, lo, hi;
    int32_t column; /* e_g, or -1 when no key point of it lacks room */
} gap_t;

typedef struct {
    const cosma_problem_t *problem;
    uint64_t budget;
    int32_t n_keys;
    int32_t *slot;      /* per op: 2j + 1 at key point j, 2j between key points j - 1 and j */
    int32_t *key_op;    /* per key point: its operator */
    uint64_t *live;     /* per key point: bytes live across it */
    uint64_t *room;     /* per key point: budget - working set */
    int32_t *binding_before; /* per key point j: how many before j bind (live > room); n_keys + 1 */
    gap_t *gaps;
    int32_t n_gaps;
    size_t gaps_cap;
    int32_t *scratch;   /* the use slots of one tensor */
} gaps_t;

/* The key points and every operator's slot.  Returns the number of key
 * points, GAPS_NONE when the closure is too large or memory runs out. */
static int32_t find_key_points(gaps_t *gs)
{
    const cosma_problem_t *problem = gs->problem;
    int32_t n = problem->n_ops, n_keys = 0;
    if (!cosma_problem_closure_affordable(problem))
        return GAPS_NONE;
    int32_t *anc = malloc(((size_t)n + 1) * sizeof(int32_t)), *desc = malloc(((size_t)n + 1) * sizeof(int32_t));
    int failed = anc == NULL || desc == NULL || cosma_problem_relative_counts(problem, anc, desc) != 0;
    /* The default order is topological (cosma_graph_finalize checks it),
     * and the key points sit at the same positions in every order. */
    for (int32_t op = 0; !failed && op < n; op++) {
        if (anc[op] + desc[op] == n - 1) {
            gs->key_op[n_keys] = op;
            gs->slot[op] = 2 * n_keys++ + 1;
        } else {
            gs->slot[op] = 2 * n_keys;
        }
    }
    free(anc);
    free(desc);
    return failed ? GAPS_NONE : n_keys;
}

static int compare_int32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int gap_push(gaps_t *gs, int32_t t, int32_t lo, int32_t hi)
{
    if (cosma_array_reserve((void **)&gs->gaps, &gs->gaps_cap, (size_t)gs->n_gaps + 1, sizeof(gap_t)) != 0)
        return -1;
    gs->gaps[gs->n_gaps++] = (gap_t){t, lo, hi, -1};
    return 0;
}

/* The gaps of tensor t: between two consecutive distinct slots of its
 * uses, the key points strictly between them (slots 2j + 1), if any. */
static int tensor_gaps(gaps_t *gs, int32_t t)
{
    const cosma_tensor_t *tensor = &gs->problem->graph->tensors[t];
    if (gs->problem->size[t] == 0 || tensor->n_consumers == 0)
        return 0;
    int32_t n_uses = 0;
    if (tensor->producer >= 0)
        gs->scratch[n_uses++] = gs->slot[tensor->producer];
    for (int32_t c = 0; c < tensor->n_consumers; c++)
        gs->scratch[n_uses++] = gs->slot[tensor->consumers[c]];
    qsort(gs->scratch, (size_t)n_uses, sizeof(int32_t), compare_int32);
    for (int32_t i = 0; i + 1 < n_uses; i++) {
        int32_t lo = (gs->scratch[i] + 1) / 2, hi = gs->scratch[i + 1] / 2 - 1;
        if (lo <= hi && gap_push(gs, t, lo, hi) != 0)
            return -1;
    }
    return 0;
}

/* live[], room[] and binding_before[] per key point (a difference array
 * over the gaps: time linear in gaps plus key points, however long the
 * gaps); returns the number of key points whose live bytes exceed their
 * room. */
static int32_t key_point_pressure(gaps_t *gs)
{
    int32_t k = gs->n_keys;
    /* live[] gets k + 1 entries (the difference array's end); the sums
     * wrap modulo 2^64 in between and end exact. */
    for (int32_t j = 0; j <= k; j++)
        gs->live[j] = 0;
    for (int32_t j = 0; j < k; j++)
        gs->room[j] = gs->budget - cosma_problem_working_set(gs->problem, gs->key_op[j]);
    for (int32_t g = 0; g < gs->n_gaps; g++) {
        gs->live[gs->gaps[g].lo] += gs->problem->size[gs->gaps[g].tensor];
        gs->live[gs->gaps[g].hi + 1] -= gs->problem->size[gs->gaps[g].tensor];
    }
    gs->binding_before[0] = 0;
    for (int32_t j = 0; j < k; j++) {
        if (j > 0)
            gs->live[j] += gs->live[j - 1];
        gs->binding_before[j + 1] = gs->binding_before[j] + (gs->live[j] > gs->room[j]);
    }
    return gs->binding_before[k];
}

/* Whether gap g passes a key point without room for all that is live
 * there (constant time). */
static int gap_binding(const gaps_t *gs, const gap_t *g)
{
    return gs->binding_before[g->hi + 1] > gs->binding_before[g->lo];
}

/* Whether g passes a key point whose room is smaller than its tensor
 * (time: its length, paid only for binding gaps, whose lengths the
 * nonzero limit caps). */
static int gap_forced(const gaps_t *gs, const gap_t *g)
{
    for (int32_t j = g->lo; j <= g->hi; j++)
        if (gs->problem->size[g->tensor] > gs->room[j])
            return 1;
    return 0;
}

/* The columns: e_g for every binding gap, s_a for the activations among
 * them (with its rows s_a >= e_g).  *out_unit: the sizes' gcd.  -1 when
 * out of memory or too large. */
static int build_columns(gaps_t *gs, cosma_milp_t *milp, int32_t *spill_column, uint64_t *out_unit,
                         int64_t *inout_nonzeros)
{
    const cosma_problem_t *problem = gs->problem;
    uint64_t unit = 0;
    int64_t row_nonzeros = 0; /* the capacity rows' (build_rows), checked before any work on them */
    for (int32_t g = 0; g < gs->n_gaps; g++)
        if (gap_binding(gs, &gs->gaps[g])) {
            unit = cosma_gcd_u64(unit, problem->size[gs->gaps[g].tensor]);
            row_nonzeros += (int64_t)gs->gaps[g].hi - gs->gaps[g].lo + 1;
        }
    *out_unit = unit;
    if (*inout_nonzeros + row_nonzeros > COSMA_GAP_BOUND_MAX_NONZEROS)
        return -1;
    for (int32_t g = 0; g < gs->n_gaps && unit > 0; g++) {
        gap_t *gap = &gs->gaps[g];
        if (!gap_binding(gs, gap))
            continue;
        int32_t t = gap->tensor;
        double units = (double)(problem->size[t] / unit);
        gap->column = cosma_milp_add_col(milp, problem->graph->tensors[t].name, gap_forced(gs, gap) ? 1 : 0, 1, units, 1);
        if (gap->column < 0)
            return -1;
        if (problem->graph->tensors[t].kind != COSMA_TENSOR_ACTIVATION)
            continue;
        if (spill_column[t] < 0 &&
            (spill_column[t] = cosma_milp_add_col(milp, problem->graph->tensors[t].name, 0, 1, units, 1)) < 0)
            return -1;
        int32_t cols[2] = {spill_column[t], gap->column};
        double values[2] = {1, -1};
        if (cosma_milp_add_row(milp, "spill", 0, COSMA_MILP_INF, 2, cols, values) < 0)
            return -1;
        if ((*inout_nonzeros += 2) > COSMA_GAP_BOUND_MAX_NONZEROS)
            return -1;
    }
    return 0;
}

/* One capacity row per key point whose live bytes exceed its room, from
 * the binding gaps listed per key point (compressed rows: work linear in
 * the nonzeros). */
static int build_rows(gaps_t *gs, cosma_milp_t *milp, uint64_t unit, int64_t *inout_nonzeros)
{
    const cosma_problem_t *problem = gs->problem;
    int32_t k = gs->n_keys;
    int32_t *start = calloc((size_t)k + 2, sizeof(int32_t));
    int failed = start == NULL;
    for (int32_t g = 0; g < gs->n_gaps && !failed; g++)
        if (gs->gaps[g].column >= 0)
            for (int32_t j = gs->gaps[g].lo; j <= gs->gaps[g].hi; j++)
                start[j + 2]++;
    for (int32_t j = 0; j < k && !failed; j++)
        start[j + 2] += start[j + 1];
    int64_t total = failed ? 0 : start[k + 1];
    failed |= (*inout_nonzeros += total) > COSMA_GAP_BOUND_MAX_NONZEROS;
    int32_t *cols = failed ? NULL : malloc(((size_t)total + 1) * sizeof(int32_t));
    double *values = failed ? NULL : malloc(((size_t)total + 1) * sizeof(double));
    failed |= cols == NULL || values == NULL;
    for (int32_t g = 0; g < gs->n_gaps && !failed; g++)
        if (gs->gaps[g].column >= 0)
            for (int32_t j = gs->gaps[g].lo; j <= gs->gaps[g].hi; j++) {
                int32_t at = start[j + 1]++;
                cols[at] = gs->gaps[g].column;
                values[at] = (double)(problem->size[gs->gaps[g].tensor] / unit);
            }
    for (int32_t j = 0; j < k && !failed; j++) {
        if (gs->live[j] <= gs->room[j])
            continue;
        /* The kept bytes are whole units: the excess rounds up to one. */
        uint64_t excess = gs->live[j] - gs->room[j], units = (excess + unit - 1) / unit;
        failed = cosma_milp_add_row(milp, problem->graph->ops[gs->key_op[j]].name, (double)units, COSMA_MILP_INF,
                                    start[j + 1] - start[j], cols + start[j], values + start[j]) < 0;
    }
    free(start);
    free(cols);
    free(values);
    return failed ? -1 : 0;
}

/* Builds and solves the program; *out_bound 0 when it proves nothing. */
static cosma_status_t gaps_solve(gaps_t *gs, const cosma_gap_bound_options_t *options, uint64_t *out_bound,
                                 cosma_gap_bound_stats_t *stats, cosma_diag_t *diag)
{
    int32_t m = gs->problem->n_tensors;
    int32_t *spill_column = malloc(((size_t)m + 1) * sizeof(int32_t));
    cosma_milp_t *milp = cosma_milp_create("cosma_gap_bound");
    cosma_status_t status = COSMA_ERR_NOMEM;
    uint64_t unit = 0;
    int64_t nonzeros = 0;
    if (spill_column == NULL || milp == NULL)
        goto done;
    for (int32_t t = 0; t < m; t++)
        spill_column[t] = -1;
    status = COSMA_OK;
    if (build_columns(gs, milp, spill_column, &unit, &nonzeros) != 0 || unit == 0 ||
        build_rows(gs, milp, unit, &nonzeros) != 0)
        goto done; /* nothing binds, or too large: no bound (0 is valid) */
    stats->n_columns = cosma_milp_n_cols(milp);
    /* safe_cuts: GLPK's Gomory and MIR cuts together have cut off every
     * integer point of a feasible model here (place.c), and a cut too deep
     * would make this bound too high. */
    cosma_milp_options_t milp_options = {.time_limit = options->time_limit,
                                         .objective_step = 1,
                                         .node_limit = options->node_limit,
                                         .safe_cuts = 1};
    cosma_milp_result_t result;
    cosma_status_t solved = cosma_milp_solve(milp, &milp_options, &result, diag);
    if (solved == COSMA_ERR_NOMEM)
        status = solved;
    if (solved != COSMA_OK)
        goto done;
    stats->stopped_by_clock = result.stopped_by_clock;
    stats->proven = result.status == COSMA_MILP_OPTIMAL;
    if (!result.stopped_by_clock && result.bound > 0)
        *out_bound = (uint64_t)(result.bound + 0.5) * unit;
    free(result.values);
done:
    cosma_milp_destroy(milp);
    free(spill_column);
    return status;
}

cosma_status_t cosma_gap_bound(const cosma_problem_t *problem, const cosma_gap_bound_options_t *options,
                               uint64_t *out_bound, cosma_gap_bound_stats_t *out_stats, cosma_diag_t *diag)
{
    int32_t n = problem->n_ops, m = problem->n_tensors;
    gaps_t gs = {.problem = problem,
                 .budget = options->budget,
                 .slot = malloc(((size_t)n + 1) * sizeof(int32_t)),
                 .key_op = malloc(((size_t)n + 1) * sizeof(int32_t)),
                 .live = malloc(((size_t)n + 2) * sizeof(uint64_t)),
                 .room = malloc(((size_t)n + 1) * sizeof(uint64_t)),
                 .binding_before = malloc(((size_t)n + 2) * sizeof(int32_t)),
                 .scratch = malloc(((size_t)n + 2) * sizeof(int32_t))};
    cosma_gap_bound_stats_t stats = {0};
    cosma_status_t status = COSMA_ERR_NOMEM;
    *out_bound = 0;
    if (gs.slot == NULL || gs.key_op == NULL || gs.live == NULL || gs.room == NULL || gs.binding_before == NULL ||
        gs.scratch == NULL)
        goto done;
    for (int32_t o = 0; o < n; o++)
        if (cosma_problem_working_set(problem, o) > options->budget) {
            status = COSMA_OK; /* no plan at all: nothing to bound */
            goto done;
        }
    gs.n_keys = find_key_points(&gs);
    status = COSMA_OK;
    if (gs.n_keys <= 0)
        goto done; /* no key point (or no closure): no bound */
    stats.n_key_points = gs.n_keys;
    for (int32_t t = 0; t < m && status == COSMA_OK; t++)
        if (tensor_gaps(&gs, t) != 0)
            status = COSMA_ERR_NOMEM;
    stats.n_gaps = gs.n_gaps;
    if (status == COSMA_OK && (stats.n_binding = key_point_pressure(&gs)) > 0)
        status = gaps_solve(&gs, options, out_bound, &stats, diag);
done:
    if (out_stats != NULL)
        *out_stats = stats;
    free(gs.slot);
    free(gs.key_op);
    free(gs.live);
    free(gs.room);
    free(gs.binding_before);
    free(gs.scratch);
    free(gs.gaps);
    return status;
}
