/* residency.c: which tensors stay in the scratchpad for a fixed order.
 *
 * Between two consecutive uses of a tensor (its producer's step, or a
 * reader's step) the tensor is either kept resident for the whole gap or
 * evicted right after the first use and loaded again at the second:
 * keeping it for part of a gap only takes space, and loading it earlier
 * than its use only takes space, so nothing else can be better.  This
 * holds for uses at adjacent steps too: evicting there (at the start of
 * the second step) and loading again is a relocation, the tensor comes
 * back at another offset.  It never saves capacity, but it is the way out
 * of fragmentation, so those gaps are binaries as well (fixed to "keep"
 * until a no-good cut involves them).  That leaves one binary per gap
 * (keep) and one per spillable activation (spilled), with one aggregated
 * capacity row per step:
 *
 *   min  sum_g size(g) (1 - keep_g) + sum_a size(a) spilled_a
 *   s.t. sum_{g covers t} size(g) keep_g <= budget - working_set(t)   per t
 *        spilled_a + keep_g >= 1                     per gap of activation a
 *
 * The capacity rows have the consecutive-ones property (each gap covers an
 * interval of steps), so the LP relaxation is tight and GLPK proves the
 * optimum quickly.  This model drops placement, so its optimum is a valid
 * lower bound for the order; when the intervals it keeps can be placed
 * within the budget the plan is optimal for the order.  When they cannot
 * (fragmentation), a proven-unplaceable residency is cut off (a no-good
 * cut, valid); else, while the residency meets the proven bound, other
 * residencies of that cost are tried (a plan that places and meets the
 * bound is optimal), and then heuristic repairs run; the last resort is the plan
 * that evicts every tensor after every use, which always places when each
 * step's working set fits, so a budget of at least M_R always has a plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/ilp.h>
#include "planner_internal.h"
#include "residency_layout.h"

void cosma_layout_free(cosma_layout_t *layout)
{
    free(layout->step);
    free(layout->use_start);
    free(layout->uses);
    free(layout->gaps);
    free(layout->base);
}

static int compare_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

cosma_status_t cosma_layout_build(const cosma_problem_t *problem, const int32_t *order, cosma_layout_t *layout)
{
    const cosma_graph_t *graph = problem->graph;
    memset(layout, 0, sizeof *layout);
    layout->problem = problem;
    int32_t n = problem->n_ops, m = problem->n_tensors;
    layout->n_steps = n;
    layout->step = malloc(((size_t)n + 1) * sizeof(int32_t));
    layout->use_start = calloc((size_t)m + 1, sizeof(int32_t));
    layout->base = calloc((size_t)n + 2, sizeof(uint64_t));
    int32_t total = 0;
    for (int32_t t = 0; t < m; t++)
        total += graph->tensors[t].n_consumers + 1;
    layout->uses = malloc(((size_t)total + 1) * sizeof(int32_t));
    layout->gaps = malloc(((size_t)total + 1) * sizeof(cosma_gap_t));
    if (layout->step == NULL || layout->use_start == NULL || layout->base == NULL || layout->uses == NULL ||
        layout->gaps == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t s = 0; s < n; s++)
        layout->step[order[s]] = s + 1;
    int32_t at = 0;
    for (int32_t t = 0; t < m; t++) {
        layout->use_start[t] = at;
        if (problem->size[t] == 0)
            continue;
        const cosma_tensor_t *tensor = &graph->tensors[t];
        int32_t first = at;
        if (tensor->producer >= 0)
            layout->uses[at++] = layout->step[tensor->producer];
        for (int32_t c = 0; c < tensor->n_consumers; c++)
            layout->uses[at++] = layout->step[tensor->consumers[c]];
        qsort(layout->uses + first, (size_t)(at - first), sizeof(int32_t), compare_i32);
        for (int32_t k = first + 1; k < at; k++)
            if (layout->uses[k] > layout->uses[k - 1])
                layout->gaps[layout->n_gaps++] = (cosma_gap_t){t, layout->uses[k - 1], layout->uses[k]};
    }
    layout->use_start[m] = at;
    for (int32_t s = 1; s <= n; s++)
        layout->base[s] = cosma_problem_working_set(problem, order[s - 1]);
    return COSMA_OK;
}

/* Cost of a keep/evict choice: reload per evicted gap, one spill per
 * activation with an evicted gap. */
uint64_t cosma_layout_choice_cost(const cosma_layout_t *layout, const unsigned char *keep)
{
    const cosma_graph_t *graph = layout->problem->graph;
    uint64_t cost = 0;
    int32_t last_spilled = -1;
    for (int32_t g = 0; g < layout->n_gaps; g++) {
        if (keep[g])
            continue;
        int32_t t = layout->gaps[g].tensor;
        cost += layout->problem->size[t];
        if (graph->tensors[t].kind == COSMA_TENSOR_ACTIVATION && last_spilled != t) {
            cost += layout->problem->size[t];
            last_spilled = t; /* gaps of one tensor are consecutive */
        }
    }
    return cost;
}

/* Belady-style start: walk the steps and, where the kept gaps exceed the
 * capacity, evict the gap whose next use is furthest away. */
static void heuristic_choice(const cosma_layout_t *layout, const uint64_t *capacity, unsigned char *keep)
{
    int32_t n = layout->n_steps;
    uint64_t *load = calloc((size_t)n + 2, sizeof(uint64_t));
    for (int32_t g = 0; g < layout->n_gaps; g++)
        keep[g] = load != NULL; /* out of memory: evicting all always fits */
    if (load == NULL)
        return;
    for (int32_t g = 0; g < layout->n_gaps; g++)
        for (int32_t s = layout->gaps[g].from + 1; s < layout->gaps[g].to; s++)
            load[s] += layout->problem->size[layout->gaps[g].tensor];
    for (int32_t s = 1; s <= n; s++) {
        while (layout->base[s] + load[s] > capacity[s]) {
            int32_t victim = -1;
            for (int32_t g = 0; g < layout->n_gaps; g++) {
                const cosma_gap_t *gap = &layout->gaps[g];
                if (!keep[g] || gap->from >= s || gap->to <= s)
                    continue;
                if (victim < 0 || gap->to > layout->gaps[victim].to ||
                    (gap->to == layout->gaps[victim].to &&
                     layout->problem->size[gap->tensor] > layout->problem->size[layout->gaps[victim].tensor]))
                    victim = g;
            }
            if (victim < 0)
                break;
            keep[victim] = 0;
            for (int32_t q = layout->gaps[victim].from + 1; q < layout->gaps[victim].to; q++)
                load[q] -= layout->problem->size[layout->gaps[victim].tensor];
        }
    }
    free(load);
}

typedef struct {
    uint64_t objective;
    uint64_t bound;
    int proven;
    int64_t work;  /* the solver's simplex iterations: deterministic effort */
} solve_outcome_t;

/* No-good cuts: sets of gaps that cannot all be kept (their intervals
 * cannot be placed).  CSR: cut c is gaps[start[c]..start[c+1]). */
typedef struct {
    int32_t *start;
    int32_t *gaps;
    int32_t n_cuts, n_gaps;
    size_t cap_start, cap_gaps;
} cuts_t;

static int cuts_add(cuts_t *cuts, const int32_t *gaps, int32_t n)
{
    if (cosma_array_reserve((void **)&cuts->start, &cuts->cap_start, (size_t)cuts->n_cuts + 2, sizeof(int32_t)) != 0 ||
        cosma_array_reserve((void **)&cuts->gaps, &cuts->cap_gaps, (size_t)cuts->n_gaps + (size_t)n + 1,
                            sizeof(int32_t)) != 0)
        return -1;
    cuts->start[cuts->n_cuts] = cuts->n_gaps;
    memcpy(cuts->gaps + cuts->n_gaps, gaps, (size_t)n * sizeof(int32_t));
    cuts->n_gaps += n;
    cuts->n_cuts++;
    cuts->start[cuts->n_cuts] = cuts->n_gaps;
    return 0;
}

/* The start must respect the cuts: evicting more keeps capacity. */
static void start_within_cuts(const cuts_t *cuts, unsigned char *keep)
{
    for (int32_t c = 0; c < cuts->n_cuts; c++) {
        int32_t last_kept = -1, kept = 0;
        for (int32_t k = cuts->start[c]; k < cuts->start[c + 1]; k++)
            if (keep[cuts->gaps[k]]) {
                kept++;
                last_kept = cuts->gaps[k];
            }
        if (kept == cuts->start[c + 1] - cuts->start[c] && last_kept >= 0)
            keep[last_kept] = 0;
    }
}

/* The residency ILP under construction.  Every coefficient is counted in
 * units of the sizes' common divisor: smaller numbers keep GLPK's cuts and
 * tolerances honest, and a capacity rounded down to whole units loses
 * nothing. */
typedef struct {
    const cosma_layout_t *layout;
    const cuts_t *cuts;
    cosma_milp_t *milp;
    uint64_t unit;
    int32_t *spill_col;          /* per tensor or -1 */
    unsigned char *relocatable;  /* per gap: named by some cut */
    double *coef;                /* row buffer */
} model_t;

static void model_free(model_t *m)
{
    free(m->spill_col);
    free(m->relocatable);
    free(m->coef);
    cosma_milp_destroy(m->milp);
}

/* An adjacent gap can only matter through a no-good cut: elsewhere keeping
 * it is free, so it is fixed (a smaller model, same optimum). */
static int gap_is_fixed(const model_t *m, int32_t g)
{
    return gap_is_adjacent(&m->layout->gaps[g]) && !m->relocatable[g];
}

/* keep[g] for every gap (column g), then spill[t] per activation. */
static int add_model_columns(model_t *m)
{
    const cosma_layout_t *layout = m->layout;
    const cosma_problem_t *problem = layout->problem;
    uint64_t constant = 0;
    char name[48];
    for (int32_t g = 0; g < layout->n_gaps; g++) {
        int32_t t = layout->gaps[g].tensor;
        uint64_t size = problem->size[t] / m->unit;
        snprintf(name, sizeof name, "keep_%d_%d", (int)t, (int)layout->gaps[g].from);
        if (cosma_milp_add_col(m->milp, name, gap_is_fixed(m, g) ? 1 : 0, 1, -(double)size, 1) != g)
            return -1;
        constant += size;
    }
    for (int32_t g = 0; g < layout->n_gaps; g++) {
        int32_t t = layout->gaps[g].tensor;
        if (problem->graph->tensors[t].kind != COSMA_TENSOR_ACTIVATION || m->spill_col[t] >= 0 || gap_is_fixed(m, g))
            continue;
        snprintf(name, sizeof name, "spill_%d", (int)t);
        m->spill_col[t] = cosma_milp_add_col(m->milp, name, 0, 1, (double)(problem->size[t] / m->unit), 1);
        if (m->spill_col[t] < 0)
            return -1;
    }
    cosma_milp_set_objective_constant(m->milp, (double)constant);
    return 0;
}

/* One capacity row per step, over the gaps covering it (counting pass),
 * left out where it can never bind. */
static int add_capacity_rows(model_t *m, const uint64_t *capacity)
{
    const cosma_layout_t *layout = m->layout;
    const uint64_t *size = layout->problem->size;
    int32_t n = layout->n_steps;
    int32_t *cover_start = calloc((size_t)n + 2, sizeof(int32_t));
    int32_t *cover = NULL, *fill = malloc(((size_t)n + 2) * sizeof(int32_t));
    int ok = cover_start != NULL && fill != NULL;
    for (int32_t g = 0; ok && g < layout->n_gaps; g++)
        for (int32_t s = layout->gaps[g].from + 1; s < layout->gaps[g].to; s++)
            cover_start[s + 1]++;
    for (int32_t s = 0; ok && s <= n; s++)
        cover_start[s + 1] += cover_start[s];
    if (ok) {
        cover = malloc(((size_t)cover_start[n + 1] + 1) * sizeof(int32_t));
        m->coef = malloc(((size_t)cover_start[n + 1] + (size_t)layout->n_gaps + 2) * sizeof(double));
        ok = cover != NULL && m->coef != NULL;
    }
    if (ok) {
        memcpy(fill, cover_start, ((size_t)n + 2) * sizeof(int32_t));
        for (int32_t g = 0; g < layout->n_gaps; g++)
            for (int32_t s = layout->gaps[g].from + 1; s < layout->gaps[g].to; s++)
                cover[fill[s]++] = g;
    }
    char name[48];
    for (int32_t s = 1; ok && s <= n; s++) {
        int32_t count = cover_start[s + 1] - cover_start[s];
        uint64_t total = 0;
        for (int32_t k = 0; k < count; k++) {
            m->coef[k] = (double)(size[layout->gaps[cover[cover_start[s] + k]].tensor] / m->unit);
            total += size[layout->gaps[cover[cover_start[s] + k]].tensor];
        }
        if (count == 0 || layout->base[s] + total <= capacity[s])
            continue; /* can never bind */
        snprintf(name, sizeof name, "capacity_%d", (int)s);
        ok = cosma_milp_add_row(m->milp, name, -COSMA_MILP_INF, (double)((capacity[s] - layout->base[s]) / m->unit),
                                count, cover + cover_start[s], m->coef) >= 0;
    }
    free(cover_start);
    free(cover);
    free(fill);
    return ok ? 0 : -1;
}

/* An evicted gap of an activation means it was spilled; no-good cuts:
 * not every gap of a cut is kept. */
static int add_spill_and_cut_rows(model_t *m)
{
    const cosma_layout_t *layout = m->layout;
    const cuts_t *cuts = m->cuts;
    char name[48];
    for (int32_t g = 0; g < layout->n_gaps; g++) {
        int32_t t = layout->gaps[g].tensor;
        if (m->spill_col[t] < 0 || gap_is_fixed(m, g))
            continue;
        int32_t cols[2] = {m->spill_col[t], g};
        double ones[2] = {1, 1};
        snprintf(name, sizeof name, "spilled_%d_%d", (int)t, (int)layout->gaps[g].from);
        if (cosma_milp_add_row(m->milp, name, 1, COSMA_MILP_INF, 2, cols, ones) < 0)
            return -1;
    }
    for (int32_t c = 0; c < cuts->n_cuts; c++) {
        int32_t count = cuts->start[c + 1] - cuts->start[c];
        for (int32_t k = 0; k < count; k++)
            m->coef[k] = 1;
        snprintf(name, sizeof name, "nogood_%d", (int)c);
        if (cosma_milp_add_row(m->milp, name, -COSMA_MILP_INF, (double)(count - 1), count,
                               cuts->gaps + cuts->start[c], m->coef) < 0)
            return -1;
    }
    return 0;
}

/* keep[] (and the spills it implies) as the solver's start. */
static cosma_status_t set_model_start(const model_t *m, const unsigned char *keep)
{
    const cosma_layout_t *layout = m->layout;
    double *start = calloc((size_t)cosma_milp_n_cols(m->milp) + 1, sizeof(double));
    if (start == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t g = 0; g < layout->n_gaps; g++) {
        start[g] = keep[g];
        int32_t t = layout->gaps[g].tensor;
        if (!keep[g] && m->spill_col[t] >= 0)
            start[m->spill_col[t]] = 1;
    }
    cosma_status_t status = cosma_milp_set_start(m->milp, start);
    free(start);
    return status;
}

/* Takes the solver's choice unless the start was better, and its bound. */
static cosma_status_t read_choice(const model_t *m, const cosma_milp_result_t *result, unsigned char *keep,
                                  solve_outcome_t *out, cosma_diag_t *diag)
{
    const cosma_layout_t *layout = m->layout;
    if (result->status == COSMA_MILP_OPTIMAL || result->status == COSMA_MILP_FEASIBLE) {
        unsigned char *candidate = malloc((size_t)layout->n_gaps + 1);
        if (candidate == NULL)
            return COSMA_ERR_NOMEM;
        for (int32_t g = 0; g < layout->n_gaps; g++)
            candidate[g] = result->values[g] > 0.5;
        uint64_t cost = cosma_layout_choice_cost(layout, candidate);
        if (cost <= out->objective) {
            memcpy(keep, candidate, (size_t)layout->n_gaps);
            out->objective = cost;
        }
        free(candidate);
    }
    if (result->status == COSMA_MILP_INFEASIBLE) {
        /* The start satisfies every row, so this is GLPK losing its way
         * numerically: keep the start and claim no bound. */
        cosma_diag_report(diag, COSMA_SEV_WARNING, "GLPK reported a residency model infeasible although a "
                                                   "feasible start was given; keeping the start");
        return COSMA_OK;
    }
    if (result->bound > 0)
        out->bound = (uint64_t)(result->bound + 0.5) * m->unit;
    if (out->bound > out->objective)
        out->bound = out->objective;
    out->proven = out->bound == out->objective;
    return COSMA_OK;
}

/* Builds and solves the ILP for the given per-step capacity; keep[] holds
 * the start on entry and the solution on exit. */
static cosma_status_t solve_choice(const cosma_layout_t *layout, const uint64_t *capacity, const cuts_t *cuts,
                                   double time_limit, int64_t node_limit, const char *export_model,
                                   unsigned char *keep, solve_outcome_t *out, cosma_diag_t *diag)
{
    const cosma_problem_t *problem = layout->problem;
    start_within_cuts(cuts, keep);
    out->objective = cosma_layout_choice_cost(layout, keep);
    out->bound = 0;
    out->proven = 0;
    out->work = 0;
    if (layout->n_gaps == 0) {
        out->proven = 1;
        return COSMA_OK;
    }
    model_t m = {.layout = layout,
                 .cuts = cuts,
                 .milp = cosma_milp_create("cosma_residency"),
                 .spill_col = malloc(((size_t)problem->n_tensors + 1) * sizeof(int32_t)),
                 .relocatable = calloc((size_t)layout->n_gaps + 1, 1)};
    cosma_milp_result_t result = {0};
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (m.milp == NULL || m.spill_col == NULL || m.relocatable == NULL)
        goto done;
    for (int32_t t = 0; t < problem->n_tensors; t++)
        m.spill_col[t] = -1;
    for (int32_t g = 0; g < layout->n_gaps; g++)
        m.unit = cosma_gcd_u64(m.unit, problem->size[layout->gaps[g].tensor]);
    if (m.unit == 0)
        m.unit = 1;
    for (int32_t k = 0; k < cuts->n_gaps; k++)
        m.relocatable[cuts->gaps[k]] = 1;
    if (add_model_columns(&m) != 0 || add_capacity_rows(&m, capacity) != 0 || add_spill_and_cut_rows(&m) != 0)
        goto done;
    if ((status = set_model_start(&m, keep)) != COSMA_OK ||
        (export_model != NULL && (status = cosma_milp_write(m.milp, export_model, diag)) != COSMA_OK))
        goto done;
    cosma_milp_options_t options = {.time_limit = time_limit, .objective_step = 1, .node_limit = node_limit};
    status = cosma_milp_solve(m.milp, &options, &result, diag);
    out->work = result.iterations;
    if (status == COSMA_ERR_SOLVER) {
        /* Keep the heuristic start (it satisfies every row) with no bound. */
        cosma_diag_report(diag, COSMA_SEV_WARNING, "continuing with the heuristic residency after the solver "
                                                   "failure above; its optimality is not proven");
        status = COSMA_OK;
    } else if (status == COSMA_OK) {
        status = read_choice(&m, &result, keep, out, diag);
    }
done:
    free(result.values);
    model_free(&m);
    return status;
}

/* Turns a keep/evict choice into intervals (offsets not yet set). */
static cosma_status_t build_intervals(const cosma_layout_t *layout, const unsigned char *keep,
                                      cosma_interval_t **out_intervals, int32_t *out_n)
{
    const cosma_problem_t *problem = layout->problem;
    const cosma_graph_t *graph = problem->graph;
    int32_t total = layout->use_start[problem->n_tensors];
    cosma_interval_t *intervals = malloc(((size_t)total + 1) * sizeof(cosma_interval_t));
    if (intervals == NULL)
        return COSMA_ERR_NOMEM;
    int32_t count = 0, g = 0;
    for (int32_t t = 0; t < problem->n_tensors; t++) {
        int32_t lo = layout->use_start[t], hi = layout->use_start[t + 1];
        if (lo == hi)
            continue;
        const cosma_tensor_t *tensor = &graph->tensors[t];
        int32_t first_interval = count;
        cosma_interval_t current = {t, layout->uses[lo], layout->uses[lo], 0, problem->size[t],
                                    tensor->producer >= 0 ? COSMA_BEGIN_CREATE : COSMA_BEGIN_LOAD, COSMA_END_DROP};
        for (int32_t k = lo + 1; k < hi; k++) {
            int32_t from = layout->uses[k - 1], to = layout->uses[k];
            int kept = 1;
            if (to > from) {
                kept = keep[g];
                g++;
            }
            if (kept) {
                current.last = to;
            } else {
                intervals[count++] = current;
                current = (cosma_interval_t){t, to, to, 0, problem->size[t], COSMA_BEGIN_LOAD, COSMA_END_DROP};
            }
        }
        intervals[count++] = current;
        /* An activation evicted while still needed is written back once,
         * when it first leaves. */
        if (tensor->kind == COSMA_TENSOR_ACTIVATION && count - first_interval > 1)
            intervals[first_interval].end = COSMA_END_SPILL;
    }
    *out_intervals = intervals;
    *out_n = count;
    return COSMA_OK;
}

void cosma_residency_free(cosma_residency_t *result)
{
    free(result->intervals);
    memset(result, 0, sizeof *result);
}

/* Intervals of a keep choice as placement items. */
static cosma_status_t choice_items(const cosma_layout_t *layout, const unsigned char *keep,
                                   cosma_interval_t **out_intervals, int32_t *out_n, cosma_place_item_t **out_items)
{
    cosma_status_t status = build_intervals(layout, keep, out_intervals, out_n);
    if (status != COSMA_OK)
        return status;
    cosma_place_item_t *items = malloc(((size_t)*out_n + 1) * sizeof(cosma_place_item_t));
    if (items == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t i = 0; i < *out_n; i++)
        items[i] = (cosma_place_item_t){(*out_intervals)[i].first, (*out_intervals)[i].last, (*out_intervals)[i].bytes,
                                        0};
    *out_items = items;
    return COSMA_OK;
}

/* COSMA's placer within the budget: 1 fits, 0 not, -1 out of memory. */
static int place_greedy(cosma_place_item_t *items, int32_t n, uint64_t budget, uint64_t *out_extent)
{
    const cosma_place_options_t options = {.capacity = budget, .align = 1, .effort = 1};
    return cosma_place(COSMA_PLACER_COSMA, items, n, &options, out_extent);
}

/* The exact placer within the budget, with its default limits
 * (COSMA_PLACE_EXACT_MAX_ITEMS intervals, COSMA_PLACE_EXACT_SECONDS): 1
 * placed, 0 proven impossible, -1 unknown. */
static int place_exact(cosma_place_item_t *items, int32_t n, uint64_t budget)
{
    cosma_place_options_t options;
    cosma_place_options_init(&options);
    options.capacity = budget;
    uint64_t extent = 0;
    return cosma_place(COSMA_PLACER_EXACT, items, n, &options, &extent);
}

/* Exact placement of the intervals of a keep choice: 1 placed, 0 proven
 * impossible, -1 unknown. */
static int exact_placement(const cosma_layout_t *layout, const unsigned char *keep, uint64_t budget)
{
    cosma_interval_t *intervals = NULL;
    cosma_place_item_t *items = NULL;
    int32_t n = 0;
    int verdict = -1;
    if (choice_items(layout, keep, &intervals, &n, &items) == COSMA_OK)
        verdict = place_exact(items, n, budget);
    free(intervals);
    free(items);
    return verdict;
}

/* A no-good cut for a keep choice whose intervals cannot be placed:
 * the kept gaps, reduced (deletion filter) to a set that still cannot be
 * placed when every other gap is evicted. */
static cosma_status_t make_cut(const cosma_layout_t *layout, const unsigned char *keep, uint64_t budget,
                               double deadline, cuts_t *cuts)
{
    unsigned char *subset = malloc((size_t)layout->n_gaps + 1);
    int32_t *members = malloc(((size_t)layout->n_gaps + 1) * sizeof(int32_t));
    if (subset == NULL || members == NULL) {
        free(subset);
        free(members);
        return COSMA_ERR_NOMEM;
    }
    memcpy(subset, keep, (size_t)layout->n_gaps);
    /* A cut not fully reduced is still valid: stop at the deadline. */
    for (int32_t g = 0; g < layout->n_gaps && cosma_clock_seconds() < deadline; g++) {
        if (!subset[g])
            continue;
        subset[g] = 0;
        if (exact_placement(layout, subset, budget) != 0)
            subset[g] = 1; /* needed (or unknown: keep it, still valid) */
    }
    int32_t count = 0;
    for (int32_t g = 0; g < layout->n_gaps; g++)
        if (subset[g])
            members[count++] = g;
    cosma_status_t status = cuts_add(cuts, members, count) == 0 ? COSMA_OK : COSMA_ERR_NOMEM;
    free(subset);
    free(members);
    return status;
}

/* Placement that splits what does not fit (split.c), from keep[]: 1 with
 * the plan's intervals placed within the budget, 0 when it found none,
 * -1 out of memory. */
static int split_repair(const cosma_layout_t *layout, unsigned char *keep, uint64_t budget,
                        cosma_interval_t **out_intervals, int32_t *out_n)
{
    uint64_t *offsets = malloc(((size_t)layout->use_start[layout->problem->n_tensors] + 1) * sizeof(uint64_t));
    int placed = offsets == NULL ? -1 : cosma_split_place(layout, keep, budget, offsets);
    if (placed == 1 && build_intervals(layout, keep, out_intervals, out_n) != COSMA_OK)
        placed = -1;
    for (int32_t i = 0; placed == 1 && i < *out_n; i++)
        (*out_intervals)[i].offset = offsets[i];
    free(offsets);
    return placed;
}

/* The last resort: every tensor leaves after every use and comes back for
 * the next, so each step holds exactly its operator's operands, stacked
 * from offset 0.  It places whenever each working set fits the budget. */
static cosma_status_t evict_all_plan(const cosma_layout_t *layout, unsigned char *keep,
                                     cosma_interval_t **out_intervals, int32_t *out_n)
{
    memset(keep, 0, (size_t)layout->n_gaps + 1);
    cosma_status_t status = build_intervals(layout, keep, out_intervals, out_n);
    if (status != COSMA_OK)
        return status;
    uint64_t *top = calloc((size_t)layout->n_steps + 2, sizeof(uint64_t));
    if (top == NULL) {
        free(*out_intervals);
        *out_intervals = NULL;
        return COSMA_ERR_NOMEM;
    }
    for (int32_t i = 0; i < *out_n; i++) {
        cosma_interval_t *interval = &(*out_intervals)[i];
        interval->offset = top[interval->first];
        top[interval->first] += interval->bytes;
    }
    free(top);
    return COSMA_OK;
}

cosma_status_t cosma_residency_flush(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                     cosma_residency_t *out_result)
{
    memset(out_result, 0, sizeof *out_result);
    cosma_layout_t layout;
    cosma_status_t status = cosma_layout_build(problem, order, &layout);
    unsigned char *keep = status == COSMA_OK ? malloc((size_t)layout.n_gaps + 1) : NULL;
    if (status == COSMA_OK && keep == NULL)
        status = COSMA_ERR_NOMEM;
    for (int32_t s = 1; s <= problem->n_ops && status == COSMA_OK; s++)
        if (layout.base[s] > budget)
            status = COSMA_ERR_INFEASIBLE;
    if (status == COSMA_OK)
        status = evict_all_plan(&layout, keep, &out_result->intervals, &out_result->n_intervals);
    if (status == COSMA_OK) {
        out_result->traffic = cosma_layout_choice_cost(&layout, keep);
        out_result->placed = 1;
    }
    free(keep);
    cosma_layout_free(&layout);
    return status;
}

/* Placement attempts after the first residency: each one cuts off a
 * residency proven unplaceable or tightens the capacity where placement
 * overflowed; from REPAIR_LAST_TIGHTEN on every interval's steps drop to
 * their base.  Each re-solve gets at least REPAIR_MIN_SECONDS, and past
 * the time limit one last REPAIR_LATE_SECONDS attempt. */
enum { REPAIR_ATTEMPTS = 24, REPAIR_LAST_TIGHTEN = 20 };
/* Before the repairs add traffic, up to ALTERNATIVE_ATTEMPTS other
 * residencies of the bound's cost are tried (exclude_residency). */
enum { ALTERNATIVE_ATTEMPTS = 12 };
#define REPAIR_MIN_SECONDS 1.0
#define REPAIR_LATE_SECONDS 0.5

/* A residency solve in progress: the choice, the capacity it is solved
 * for, the cuts, the fallback from the split repair and the bound. */
typedef struct {
    const cosma_residency_options_t *options;
    double started;
    cosma_layout_t layout;
    cuts_t cuts;
    uint64_t *capacity;      /* per step */
    unsigned char *keep;     /* per gap */
    cosma_place_item_t *items;
    cosma_interval_t *repaired; /* the split repair's plan */
    int32_t n_repaired;
    uint64_t repaired_traffic;
    solve_outcome_t outcome;
    uint64_t lower_bound;
    int bound_valid;         /* the ILPs so far relax the problem (capacity rows, valid cuts) */
    /* The residency before the first alternative, restored for the
     * repairs when none of the alternatives places. */
    unsigned char *saved_keep;   /* NULL: no alternative tried */
    solve_outcome_t saved_outcome;
    int32_t saved_cuts;
    int saved_bound_valid;
} search_t;

/* Full capacity at every step; every operator must fit on its own. */
static cosma_status_t check_steps_fit(search_t *rs, const cosma_problem_t *problem, const int32_t *order,
                                      cosma_diag_t *diag)
{
    cosma_status_t status = COSMA_OK;
    uint64_t budget = rs->options->budget;
    for (int32_t s = 1; s <= problem->n_ops; s++) {
        rs->capacity[s] = budget;
        if (rs->layout.base[s] > budget) {
            const cosma_op_t *op = &problem->graph->ops[order[s - 1]];
            cosma_diag_report(diag, COSMA_SEV_ERROR,
                              "budget %llu bytes is below what operator '%s' (%s, step %d) needs: %llu bytes",
                              (unsigned long long)budget, op->name, op->type, (int)s,
                              (unsigned long long)rs->layout.base[s]);
            status = COSMA_ERR_INFEASIBLE;
        }
    }
    return status;
}

/* The split placement of the current choice becomes the repaired plan
 * when it is cheaper than the one kept so far. */
static cosma_status_t offer_split(search_t *rs)
{
    const cosma_layout_t *layout = &rs->layout;
    unsigned char *copy = malloc((size_t)layout->n_gaps + 1);
    if (copy == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(copy, rs->keep, (size_t)layout->n_gaps + 1);
    cosma_interval_t *intervals = NULL;
    int32_t n = 0;
    int placed = split_repair(layout, copy, rs->options->budget, &intervals, &n);
    uint64_t cost = placed == 1 ? cosma_layout_choice_cost(layout, copy) : UINT64_MAX;
    if (cost < rs->repaired_traffic) {
        free(rs->repaired);
        rs->repaired = intervals;
        rs->n_repaired = n;
        rs->repaired_traffic = cost;
        intervals = NULL;
    }
    free(intervals);
    free(copy);
    return placed < 0 ? COSMA_ERR_NOMEM : COSMA_OK;
}

/* Intervals of the current choice, placed: 1 within the budget (offsets
 * set, or the repaired plan taken when it is cheaper), 0 proven
 * unplaceable, -1 undecided; an error status through *out_status. */
static int place_choice(search_t *rs, cosma_residency_t *out_result, uint64_t *out_extent, cosma_status_t *out_status)
{
    uint64_t budget = rs->options->budget;
    cosma_residency_free(out_result);
    free(rs->items);
    rs->items = NULL;
    *out_status = choice_items(&rs->layout, rs->keep, &out_result->intervals, &out_result->n_intervals, &rs->items);
    if (*out_status != COSMA_OK)
        return -1;
    int fits = place_greedy(rs->items, out_result->n_intervals, budget, out_extent);
    if (fits < 0) {
        *out_status = COSMA_ERR_NOMEM;
        return -1;
    }
    /* Unless this choice is proven optimal, splitting may place it, or
     * merging may undo evictions its placement does not need. */
    if (!rs->options->no_spills && (!fits || rs->outcome.objective > rs->lower_bound) &&
        (*out_status = offer_split(rs)) != COSMA_OK)
        return -1;
    int exact = fits ? 1 : place_exact(rs->items, out_result->n_intervals, budget);
    if (exact == 1 && rs->repaired != NULL && rs->repaired_traffic < rs->outcome.objective) {
        free(out_result->intervals);
        out_result->intervals = rs->repaired;
        out_result->n_intervals = rs->n_repaired;
        rs->repaired = NULL;
        rs->outcome.objective = rs->repaired_traffic;
    } else if (exact == 1) {
        for (int32_t i = 0; i < out_result->n_intervals; i++)
            out_result->intervals[i].offset = rs->items[i].offset;
    }
    return exact;
}

/* Placement undecided: tighten the capacity where placement overflowed
 * (a heuristic: the bound is not improved from here on; the split
 * placement of each choice is kept as a fallback by place_choice). */
static cosma_status_t repair_undecided(search_t *rs, const cosma_residency_t *placed, uint64_t extent, int attempt)
{
    const cosma_layout_t *layout = &rs->layout;
    uint64_t budget = rs->options->budget;
    rs->bound_valid = 0;
    uint64_t overflow = extent - budget;
    int last = attempt >= REPAIR_LAST_TIGHTEN;
    for (int32_t i = 0; i < placed->n_intervals; i++)
        if (last || rs->items[i].offset + rs->items[i].bytes > budget)
            for (int32_t s = rs->items[i].first; s <= rs->items[i].last; s++)
                rs->capacity[s] = !last && rs->capacity[s] > layout->base[s] + overflow ? rs->capacity[s] - overflow
                                                                                        : layout->base[s];
    return COSMA_OK;
}

/* Placement undecided for a residency that meets the bound: another
 * residency of the same cost may place.  Cuts this one off where the
 * greedy placement overflowed (not all of its kept gaps that reach the
 * overflowing steps stay kept).  Nothing proves that cut, so while it is
 * in the model its bounds are not used; the bound already proven stands,
 * and a plan that meets it is optimal.  Returns 1 with the
 * cut added, 0 when no kept gap reaches those steps, -1 out of memory. */
static int exclude_residency(search_t *rs, int32_t n_items)
{
    const cosma_layout_t *layout = &rs->layout;
    uint64_t budget = rs->options->budget;
    unsigned char *overflow = calloc((size_t)layout->n_steps + 2, 1);
    int32_t *members = malloc(((size_t)layout->n_gaps + 1) * sizeof(int32_t));
    int32_t count = 0;
    if (overflow == NULL || members == NULL) {
        free(overflow);
        free(members);
        return -1;
    }
    for (int32_t i = 0; i < n_items; i++)
        if (rs->items[i].offset + rs->items[i].bytes > budget)
            for (int32_t s = rs->items[i].first; s <= rs->items[i].last; s++)
                overflow[s] = 1;
    for (int32_t g = 0; g < layout->n_gaps; g++) {
        const cosma_gap_t *gap = &layout->gaps[g];
        int touches = 0;
        for (int32_t s = gap->from; s <= gap->to && !touches; s++)
            touches = overflow[s];
        if (rs->keep[g] && touches)
            members[count++] = g;
    }
    if (count > 0 && rs->saved_keep == NULL && (rs->saved_keep = malloc((size_t)layout->n_gaps + 1)) != NULL) {
        memcpy(rs->saved_keep, rs->keep, (size_t)layout->n_gaps);
        rs->saved_outcome = rs->outcome;
        rs->saved_cuts = rs->cuts.n_cuts;
        rs->saved_bound_valid = rs->bound_valid;
    }
    int added = count == 0 ? 0 : rs->saved_keep == NULL || cuts_add(&rs->cuts, members, count) != 0 ? -1 : 1;
    if (added > 0)
        rs->bound_valid = 0;
    free(overflow);
    free(members);
    return added;
}

/* No alternative placed: back to the residency before them, without
 * their cuts (so the model is a relaxation again) for the repairs. */
static void restore_residency(search_t *rs)
{
    memcpy(rs->keep, rs->saved_keep, (size_t)rs->layout.n_gaps);
    rs->outcome = rs->saved_outcome;
    rs->cuts.n_cuts = rs->saved_cuts;
    rs->cuts.n_gaps = rs->cuts.start != NULL ? rs->cuts.start[rs->saved_cuts] : 0;
    rs->bound_valid = rs->saved_bound_valid;
    free(rs->saved_keep);
    rs->saved_keep = NULL;
}

/* The residency ILP again for the changed capacity or cuts; a valid
 * bound can only rise. */
static cosma_status_t solve_again(search_t *rs, double seconds, cosma_diag_t *diag)
{
    heuristic_choice(&rs->layout, rs->capacity, rs->keep);
    solve_outcome_t again;
    cosma_status_t status = solve_choice(&rs->layout, rs->capacity, &rs->cuts, seconds, rs->options->node_limit,
                                         NULL, rs->keep, &again, diag);
    if (status != COSMA_OK)
        return status;
    if (rs->bound_valid && again.bound > rs->lower_bound)
        rs->lower_bound = again.bound;
    rs->outcome = again;
    return COSMA_OK;
}

/* No attempt placed: the split repair's plan, or else evicting everything
 * after every use (always placeable). */
static cosma_status_t fallback_plan(search_t *rs, cosma_residency_t *out_result)
{
    if (rs->repaired == NULL) {
        cosma_status_t status = evict_all_plan(&rs->layout, rs->keep, &rs->repaired, &rs->n_repaired);
        if (status != COSMA_OK)
            return status;
        rs->repaired_traffic = cosma_layout_choice_cost(&rs->layout, rs->keep);
    }
    cosma_residency_free(out_result);
    out_result->intervals = rs->repaired;
    out_result->n_intervals = rs->n_repaired;
    rs->repaired = NULL;
    out_result->traffic = rs->repaired_traffic;
    out_result->lower_bound = rs->lower_bound;
    out_result->proven = rs->repaired_traffic == rs->lower_bound; /* a valid bound: never above */
    out_result->placed = 1;
    return COSMA_OK;
}

/* Solves and places until a placement holds or the attempts run out. */
static cosma_status_t place_until_fit(search_t *rs, cosma_residency_t *out_result, cosma_diag_t *diag)
{
    const cosma_residency_options_t *options = rs->options;
    for (int attempt = 0, alternatives = 0; attempt < REPAIR_ATTEMPTS;) {
        uint64_t extent = 0;
        cosma_status_t status = COSMA_OK;
        int excluded = 0;
        int exact = place_choice(rs, out_result, &extent, &status);
        if (status != COSMA_OK)
            return status;
        if (exact == 1) {
            out_result->traffic = rs->outcome.objective;
            out_result->lower_bound = rs->lower_bound;
            out_result->placed = 1;
            /* lower_bound only ever comes from valid relaxations */
            out_result->proven = options->no_spills || rs->lower_bound == rs->outcome.objective;
            return COSMA_OK;
        }
        if (options->no_spills)
            break;
        if (rs->repaired != NULL && rs->repaired_traffic == rs->lower_bound)
            return fallback_plan(rs, out_result); /* the split placement meets the bound */
        double left = options->time_limit - (cosma_clock_seconds() - rs->started);
        if (left < REPAIR_MIN_SECONDS && attempt + alternatives > 0)
            left = REPAIR_LATE_SECONDS; /* past the limit: one last quick attempt at most */
        if (left < REPAIR_MIN_SECONDS)
            left = REPAIR_MIN_SECONDS;
        /* Proven unplaceable: cut this residency off and solve again; the
         * bound stays valid and can only rise.  Undecided: first another
         * residency of the bound's cost, then the repairs. */
        if (exact == 0) {
            status = make_cut(&rs->layout, rs->keep, options->budget, rs->started + options->time_limit, &rs->cuts);
            attempt++;
        } else if (alternatives < ALTERNATIVE_ATTEMPTS && rs->outcome.objective == rs->lower_bound &&
                   (excluded = exclude_residency(rs, out_result->n_intervals)) != 0) {
            status = excluded > 0 ? COSMA_OK : COSMA_ERR_NOMEM;
            alternatives++;
        } else if (rs->saved_keep != NULL) {
            restore_residency(rs);
            alternatives = ALTERNATIVE_ATTEMPTS;
            continue; /* place it again, then repair it */
        } else {
            status = repair_undecided(rs, out_result, extent, attempt);
            attempt++;
        }
        if (status == COSMA_OK)
            status = solve_again(rs, left, diag);
        if (status != COSMA_OK)
            return status;
    }
    if (options->no_spills) {
        out_result->placed = 0;
        return COSMA_ERR_INFEASIBLE;
    }
    return fallback_plan(rs, out_result);
}

/* Without an ILP: the heuristic choice placed once, or split where it
 * does not fit; no bound but zero. */
static cosma_status_t place_heuristic(search_t *rs, cosma_residency_t *out_result)
{
    rs->outcome.objective = cosma_layout_choice_cost(&rs->layout, rs->keep);
    rs->lower_bound = 0;
    uint64_t extent = 0;
    cosma_status_t status = COSMA_OK;
    int placed = place_choice(rs, out_result, &extent, &status);
    if (status != COSMA_OK)
        return status;
    if (placed != 1)
        return fallback_plan(rs, out_result);
    out_result->traffic = rs->outcome.objective;
    out_result->lower_bound = 0;
    out_result->proven = out_result->traffic == 0;
    out_result->placed = 1;
    return COSMA_OK;
}

cosma_status_t cosma_residency_solve(const cosma_problem_t *problem, const int32_t *order,
                                     const cosma_residency_options_t *options, cosma_residency_t *out_result,
                                     cosma_diag_t *diag)
{
    memset(out_result, 0, sizeof *out_result);
    search_t rs = {.options = options, .started = cosma_clock_seconds(), .repaired_traffic = UINT64_MAX,
                   .outcome = {.proven = 1}, .bound_valid = 1};
    cosma_status_t status = cosma_layout_build(problem, order, &rs.layout);
    rs.capacity = calloc((size_t)problem->n_ops + 2, sizeof(uint64_t));
    rs.keep = malloc((size_t)rs.layout.n_gaps + 1);
    if (status == COSMA_OK && (rs.capacity == NULL || rs.keep == NULL))
        status = COSMA_ERR_NOMEM;
    if (status == COSMA_OK)
        status = check_steps_fit(&rs, problem, order, diag);
    if (status != COSMA_OK)
        goto done;
    for (int32_t g = 0; g < rs.layout.n_gaps; g++)
        rs.keep[g] = 1;
    if (!options->no_spills)
        heuristic_choice(&rs.layout, rs.capacity, rs.keep);
    if (!options->no_spills && options->heuristic) {
        status = place_heuristic(&rs, out_result);
        goto done;
    }
    if (!options->no_spills) {
        status = solve_choice(&rs.layout, rs.capacity, &rs.cuts, options->time_limit, options->node_limit,
                              options->export_model, rs.keep, &rs.outcome, diag);
        if (status != COSMA_OK)
            goto done;
        rs.lower_bound = rs.outcome.bound;
        if (options->cutoff > 0 && rs.lower_bound >= options->cutoff) {
            /* Every plan of this order costs at least the bound: the
             * placement attempts could not beat the caller's plan. */
            out_result->traffic = UINT64_MAX;
            out_result->lower_bound = rs.lower_bound;
            goto done;
        }
    }
    status = place_until_fit(&rs, out_result, diag);
done:
    free(rs.repaired);
    out_result->seconds = cosma_clock_seconds() - rs.started;
    free(rs.items);
    free(rs.keep);
    free(rs.saved_keep);
    free(rs.capacity);
    free(rs.cuts.start);
    free(rs.cuts.gaps);
    cosma_layout_free(&rs.layout);
    return status;
}

cosma_status_t cosma_residency_relaxed(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                       double time_limit, int64_t node_limit, uint64_t *out_cost, int64_t *out_work,
                                       cosma_diag_t *diag)
{
    cosma_layout_t layout;
    cuts_t cuts = {0};
    cosma_status_t status = cosma_layout_build(problem, order, &layout);
    int32_t n = problem->n_ops;
    uint64_t *capacity = calloc((size_t)n + 2, sizeof(uint64_t));
    unsigned char *keep = malloc((size_t)layout.n_gaps + 1);
    if (status == COSMA_OK && (capacity == NULL || keep == NULL))
        status = COSMA_ERR_NOMEM;
    for (int32_t s = 1; s <= n && status == COSMA_OK; s++) {
        capacity[s] = budget;
        if (layout.base[s] > budget)
            status = COSMA_ERR_INFEASIBLE;
    }
    if (status == COSMA_OK) {
        solve_outcome_t outcome;
        heuristic_choice(&layout, capacity, keep);
        status = solve_choice(&layout, capacity, &cuts, time_limit, node_limit, NULL, keep, &outcome, diag);
        *out_cost = outcome.objective;
        *out_work = outcome.work;
    }
    free(capacity);
    free(keep);
    cosma_layout_free(&layout);
    return status;
}
