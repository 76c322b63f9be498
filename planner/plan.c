/* plan.c: cosma_planner_plan: picks the order(s), solves residency and
 * placement, assembles the plan with its proven bound, and verifies it. */
#include <stdlib.h>
#include <string.h>

#include <cosma/verify.h>
#include "planner_internal.h"

/* Largest time-indexed joint model tried (columns).  Past this GLPK's
 * node LPs can run far beyond the time limit (GLPK does not look at the
 * clock inside one LP solve: seen on ViT-B/16, 27,000 columns). */
enum { JOINT_MAX_COLUMNS = 15000 };

/* Moves tried by the order searches: a fixed amount of work, so results do
 * not depend on the machine (the time limit is only a guard). */
enum { MAX_ORDER_MOVES = 3000 };

/* A sink that passes messages on as warnings: for optional steps whose
 * failure the planner absorbs (the run still succeeds). */
static void emit_as_warning(void *ctx, cosma_severity_t severity, const char *message)
{
    (void)severity;
    cosma_diag_report((cosma_diag_t *)ctx, COSMA_SEV_WARNING, "%s", message);
}

/* Reports every operator whose working set exceeds the budget. */
static int report_oversized(const cosma_problem_t *problem, uint64_t budget, cosma_diag_t *diag)
{
    int count = 0;
    for (int32_t o = 0; o < problem->n_ops; o++) {
        uint64_t need = cosma_problem_working_set(problem, o);
        if (need <= budget)
            continue;
        const cosma_op_t *op = &problem->graph->ops[o];
        if (count < 10)
            cosma_diag_report(diag, COSMA_SEV_ERROR,
                              "operator '%s' (%s) needs %llu bytes for its operands, more than the budget of %llu",
                              op->name, op->type, (unsigned long long)need, (unsigned long long)budget);
        count++;
    }
    if (count > 10)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "... and %d more operators that do not fit", count - 10);
    return count;
}

/* Why no plan came out.  Infeasible only with a proof: the budget is below
 * an operator's working set (reported before), every order needs more live
 * bytes than the budget, or the exhaustive search placed none; otherwise
 * the search gave up, which is not a proof. */
static cosma_status_t report_no_plan(const cosma_problem_t *problem, const cosma_plan_options_t *options,
                                     const cosma_bounds_t *bounds, int zero_traffic_impossible, cosma_diag_t *diag)
{
    unsigned long long budget = (unsigned long long)options->budget_bytes;
    for (int32_t o = 0; o < problem->n_ops; o++)
        if (cosma_problem_working_set(problem, o) > options->budget_bytes)
            return COSMA_ERR_INFEASIBLE; /* the operator was named already */
    if (options->schedule != COSMA_SCHEDULE_PEAK) {
        /* A budget that holds every working set always has a plan (evict
         * everything after every use): reaching here is a bug. */
        cosma_diag_report(diag, COSMA_SEV_ERROR, "internal error: no plan found within %llu bytes", budget);
        return COSMA_ERR_INTERNAL;
    }
    if (bounds->m_p_lower > options->budget_bytes) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          bounds->m_p_exact ? "no spill-free plan within %llu bytes: the minimum-peak order needs %llu bytes"
                                            : "no spill-free plan within %llu bytes: every order needs at least %llu bytes",
                          budget, (unsigned long long)bounds->m_p_lower);
        return COSMA_ERR_INFEASIBLE;
    }
    if (zero_traffic_impossible) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "no spill-free plan within %llu bytes: every order whose live bytes fit was tried and "
                          "none of them places",
                          budget);
        return COSMA_ERR_INFEASIBLE;
    }
    cosma_diag_report(diag, COSMA_SEV_ERROR,
                      "no spill-free plan found within %llu bytes (the minimum-peak order needs %llu bytes and "
                      "could not be placed); the search is incomplete, so none is proven not to exist",
                      budget, (unsigned long long)bounds->m_p_upper);
    return COSMA_ERR_SOLVER;
}

static cosma_status_t assemble_plan(const cosma_problem_t *problem, const cosma_plan_options_t *options,
                                    const int32_t *order, const cosma_residency_t *residency, uint64_t lower_bound,
                                    const char *method, double seconds, cosma_plan_t **out_plan)
{
    const cosma_graph_t *graph = problem->graph;
    cosma_plan_t *plan = cosma_plan_create(graph->n_ops, residency->n_intervals);
    if (plan == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(plan->order, order, (size_t)graph->n_ops * sizeof(int32_t));
    memcpy(plan->intervals, residency->intervals, (size_t)residency->n_intervals * sizeof(cosma_interval_t));
    cosma_plan_sort_intervals(plan);
    plan->graph_name = cosma_arena_strdup(&plan->arena, graph->name);
    plan->method = cosma_arena_strdup(&plan->arena, method);
    if (plan->graph_name == NULL || plan->method == NULL) {
        cosma_plan_destroy(plan);
        return COSMA_ERR_NOMEM;
    }
    plan->graph_hash = cosma_graph_hash(graph);
    plan->mode = options->mode;
    plan->budget_bytes = options->budget_bytes;
    cosma_plan_compute_traffic(graph, plan);
    uint64_t traffic = plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
    if (lower_bound > traffic)
        lower_bound = traffic;
    plan->lower_bound_bytes = lower_bound;
    plan->status = lower_bound == traffic ? COSMA_PLAN_OPTIMAL : COSMA_PLAN_FEASIBLE;
    plan->solve_seconds = seconds;
    *out_plan = plan;
    return COSMA_OK;
}

/* Local search over orders: move one operator at a time within its
 * dependency window (at most `reach` positions away) and keep a move when
 * the capacity-relaxed traffic drops.  Stops at `floor` (a lower bound),
 * at the deadline, or when no move helps.  Returns 1 if the order changed. */
static int improve_order(const cosma_problem_t *problem, int32_t *order, uint64_t budget, uint64_t floor,
                         double deadline, cosma_diag_t *diag)
{
    int32_t n = problem->n_ops;
    int32_t *position = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *trial = malloc(((size_t)n + 1) * sizeof(int32_t));
    uint64_t cost;
    int changed = 0;
    /* Solver trouble here only ends the search early: warnings. */
    cosma_diag_t optional = {emit_as_warning, diag, 0};
    if (position == NULL || trial == NULL ||
        cosma_residency_relaxed(problem, order, budget, 2.0, &cost, &optional) != COSMA_OK)
        goto done;
    const int32_t reach = 6;
    int64_t moves = 0;
    for (int improved = 1; improved && cost > floor && moves < MAX_ORDER_MOVES && cosma_clock_seconds() < deadline;) {
        improved = 0;
        for (int32_t s = 0; s < n; s++)
            position[order[s]] = s;
        for (int32_t i = 0; i < n && !improved && moves < MAX_ORDER_MOVES && cosma_clock_seconds() < deadline; i++) {
            int32_t lo, hi;
            cosma_order_move_window(problem, order, position, i, reach, &lo, &hi);
            for (int32_t j = lo; j <= hi && !improved; j++) {
                if (j == i)
                    continue;
                cosma_order_move(order, n, i, j, trial);
                moves++;
                uint64_t trial_cost;
                if (cosma_residency_relaxed(problem, trial, budget, 2.0, &trial_cost, &optional) == COSMA_OK &&
                    trial_cost < cost) {
                    memcpy(order, trial, (size_t)n * sizeof(int32_t));
                    cost = trial_cost;
                    improved = changed = 1;
                }
            }
        }
    }
done:
    free(position);
    free(trial);
    return changed;
}

/* The best plan found so far while trying orders. */
typedef struct {
    cosma_residency_t residency;
    int32_t *order;
    const char *method;
    int have;
} incumbent_t;

/* Solves residency and placement for an order and keeps the result when
 * it beats the incumbent.  Returns 1 if it was kept. */
static int try_order(const cosma_problem_t *problem, const int32_t *order, uint64_t budget, int no_spills,
                     double time_left, const char *method, incumbent_t *incumbent, cosma_diag_t *diag)
{
    cosma_residency_options_t options = {budget, time_left > 1 ? time_left : 1, no_spills, NULL};
    cosma_residency_t result;
    if (cosma_residency_solve(problem, order, &options, &result, diag) == COSMA_OK &&
        (!incumbent->have || result.traffic < incumbent->residency.traffic)) {
        cosma_residency_free(&incumbent->residency);
        incumbent->residency = result;
        memcpy(incumbent->order, order, (size_t)problem->n_ops * sizeof(int32_t));
        incumbent->method = method;
        incumbent->have = 1;
        return 1;
    }
    cosma_residency_free(&result);
    return 0;
}

/* Arena alignments the baselines are run at when they serve as
 * incumbents: the paper's 64 bytes, and none. */
static const uint64_t baseline_alignments[] = {64, 1};

/* Every baseline plan is a valid plan for the same budget: adopts the best
 * one when it beats the incumbent, so the result is never worse than any
 * baseline.  Joint schedule: the baselines in the default and the
 * minimum-peak order; fixed: both policies in the fixed order.  The
 * incumbent's order-specific bound is kept only when the baseline runs in
 * the same order.  Baselines that cannot run (alignment, a step that does
 * not place) are skipped silently. */
static cosma_status_t adopt_baselines(const cosma_problem_t *problem, const cosma_plan_options_t *options,
                                      const int32_t *fixed_order, const int32_t *peak_order, incumbent_t *incumbent)
{
    int32_t n = problem->n_ops;
    int32_t *identity = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (identity == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t o = 0; o < n; o++)
        identity[o] = o;
    for (int32_t b = 0; cosma_baseline_names[b] != NULL; b++) {
        const char *name = cosma_baseline_names[b];
        int peak = strncmp(name, "peak-", 5) == 0;
        const int32_t *order = fixed_order != NULL ? (peak ? NULL : fixed_order) : peak ? peak_order : identity;
        for (size_t a = 0; order != NULL && a < sizeof baseline_alignments / sizeof baseline_alignments[0]; a++) {
            cosma_plan_t *plan = NULL;
            if (cosma_baseline_plan_in_order(problem->graph, &options->mode, options->budget_bytes, name,
                                             baseline_alignments[a], order, &plan, NULL) != COSMA_OK)
                continue;
            uint64_t traffic = plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
            cosma_interval_t *copy = NULL;
            if (!incumbent->have || traffic < incumbent->residency.traffic)
                copy = malloc(((size_t)plan->n_intervals + 1) * sizeof(cosma_interval_t));
            if (copy != NULL) {
                memcpy(copy, plan->intervals, (size_t)plan->n_intervals * sizeof(cosma_interval_t));
                int same_order = incumbent->have && memcmp(order, incumbent->order, (size_t)n * sizeof(int32_t)) == 0;
                uint64_t bound = same_order ? incumbent->residency.lower_bound : 0;
                cosma_residency_free(&incumbent->residency);
                incumbent->residency = (cosma_residency_t){
                    .traffic = traffic, .lower_bound = bound, .placed = 1, .intervals = copy,
                    .n_intervals = plan->n_intervals};
                memcpy(incumbent->order, order, (size_t)n * sizeof(int32_t));
                incumbent->method = fixed_order != NULL ? "ilp-fixed:baseline-incumbent"
                                    : peak              ? "ilp-joint:baseline-incumbent(min-peak order)"
                                                        : "ilp-joint:baseline-incumbent(default order)";
                incumbent->have = 1;
            }
            cosma_plan_destroy(plan);
        }
    }
    free(identity);
    return COSMA_OK;
}

/* The graph's bounds: the caller's when it passed them (a copy, so that
 * they are freed like our own), else computed here. */
static cosma_status_t planner_bounds(const cosma_graph_t *graph, const cosma_plan_options_t *options,
                                     double time_limit, cosma_bounds_t *out_bounds, cosma_diag_t *diag)
{
    if (options->bounds == NULL)
        return cosma_planner_bounds(graph, &options->mode, time_limit, out_bounds, diag);
    *out_bounds = *options->bounds;
    out_bounds->order = malloc(((size_t)graph->n_ops + 1) * sizeof(int32_t));
    if (out_bounds->order == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(out_bounds->order, options->bounds->order, (size_t)graph->n_ops * sizeof(int32_t));
    return COSMA_OK;
}

cosma_status_t cosma_planner_plan(const cosma_graph_t *graph, const cosma_plan_options_t *options,
                                  cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    *out_plan = NULL;
    double started = cosma_clock_seconds();
    double limit = options->time_limit > 0 ? options->time_limit : 60.0;
    cosma_problem_t problem;
    cosma_status_t status = cosma_problem_init(&problem, graph, &options->mode, diag);
    if (status != COSMA_OK)
        return status;
    int32_t n = graph->n_ops;
    incumbent_t incumbent = {{0}, malloc(((size_t)n + 1) * sizeof(int32_t)), "", 0};
    cosma_residency_t *best = &incumbent.residency;
    cosma_bounds_t bounds = {0};
    uint64_t lower_bound = 0;
    if (incumbent.order == NULL) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    if (options->schedule == COSMA_SCHEDULE_FIXED && options->order != NULL &&
        !cosma_order_is_topological(graph, options->order)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "the given order is not a complete topological order");
        status = COSMA_ERR_INPUT;
        goto done;
    }
    if (options->schedule != COSMA_SCHEDULE_FIXED && report_oversized(&problem, options->budget_bytes, diag) > 0) {
        status = COSMA_ERR_INFEASIBLE;
        goto done;
    }

    /* Candidate orders, best first: for the joint schedule the minimum-peak
     * order (zero traffic when it fits), then the default order. */
    int32_t *candidates[2] = {NULL, NULL};
    int32_t *default_order = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (default_order == NULL) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    for (int32_t o = 0; o < n; o++)
        default_order[o] = options->schedule == COSMA_SCHEDULE_FIXED && options->order != NULL ? options->order[o] : o;
    int n_candidates = 0;
    if (options->schedule != COSMA_SCHEDULE_FIXED) {
        status = planner_bounds(graph, options, limit * 0.25, &bounds, diag);
        if (status != COSMA_OK) {
            free(default_order);
            goto done;
        }
        candidates[n_candidates++] = bounds.order;
    }
    if (options->schedule != COSMA_SCHEDULE_PEAK)
        candidates[n_candidates++] = default_order;

    for (int c = 0; c < n_candidates; c++) {
        double left = limit - (cosma_clock_seconds() - started);
        cosma_residency_options_t residency_options = {options->budget_bytes, left / (n_candidates - c),
                                                       options->schedule == COSMA_SCHEDULE_PEAK,
                                                       c == 0 ? options->export_model : NULL};
        cosma_residency_t result;
        cosma_status_t attempt = cosma_residency_solve(&problem, candidates[c], &residency_options, &result, diag);
        if (attempt == COSMA_ERR_INFEASIBLE) {
            cosma_residency_free(&result);
            continue;
        }
        if (attempt != COSMA_OK) {
            cosma_residency_free(&result);
            status = attempt;
            free(default_order);
            goto done;
        }
        if (!incumbent.have || result.traffic < best->traffic) {
            cosma_residency_free(best);
            *best = result;
            memcpy(incumbent.order, candidates[c], (size_t)n * sizeof(int32_t));
            incumbent.have = 1;
            incumbent.method = options->schedule == COSMA_SCHEDULE_FIXED  ? "ilp-fixed"
                               : options->schedule == COSMA_SCHEDULE_PEAK ? "min-peak"
                               : c == 0                                   ? "ilp-joint:min-peak-order"
                                                                          : "ilp-joint:default-order";
        } else {
            cosma_residency_free(&result);
        }
        if (incumbent.have && best->traffic == 0)
            break; /* nothing beats zero */
    }
    /* Live bytes fit but the tensors did not place: look for a nearby
     * order whose zero-spill tensors do. */
    int unplaced = incumbent.have ? best->traffic > 0 : options->schedule == COSMA_SCHEDULE_PEAK;
    if (unplaced && options->schedule != COSMA_SCHEDULE_FIXED && bounds.m_p_upper <= options->budget_bytes) {
        memcpy(default_order, bounds.order, (size_t)n * sizeof(int32_t));
        if (cosma_order_search_placeable(&problem, default_order, options->budget_bytes, started + limit * 0.5))
            try_order(&problem, default_order, options->budget_bytes, options->schedule == COSMA_SCHEDULE_PEAK,
                      limit - (cosma_clock_seconds() - started),
                      options->schedule == COSMA_SCHEDULE_PEAK ? "min-peak:placement-search"
                                                               : "ilp-joint:placement-search",
                      &incumbent, diag);
    }
    /* Still no zero-traffic plan although the live bytes may fit: on small
     * graphs, search every order (a proof when none places). */
    int zero_traffic_impossible = bounds.m_p_lower > options->budget_bytes;
    unplaced = incumbent.have ? best->traffic > 0 : options->schedule == COSMA_SCHEDULE_PEAK;
    if (unplaced && options->schedule != COSMA_SCHEDULE_FIXED && !zero_traffic_impossible) {
        int found = cosma_order_search_zero_traffic(&problem, options->budget_bytes, started + limit * 0.5,
                                                    default_order);
        if (found == 1)
            try_order(&problem, default_order, options->budget_bytes, options->schedule == COSMA_SCHEDULE_PEAK,
                      limit - (cosma_clock_seconds() - started),
                      options->schedule == COSMA_SCHEDULE_PEAK ? "min-peak:exhaustive-search"
                                                               : "ilp-joint:exhaustive-search",
                      &incumbent, diag);
        zero_traffic_impossible = found == 0;
    }
    /* Joint schedule: the order-free covering bound, then a local search
     * over orders near the best one while it pays. */
    uint64_t cover_bound = 0;
    if (incumbent.have && options->schedule == COSMA_SCHEDULE_JOINT && best->traffic > 0) {
        cosma_diag_t optional = {emit_as_warning, diag, 0};
        cover_bound = cosma_problem_traffic_lower_bound(&problem, options->budget_bytes, 5.0,
                                                        diag != NULL ? &optional : NULL);
        memcpy(default_order, incumbent.order, (size_t)n * sizeof(int32_t));
        if (cover_bound < best->traffic &&
            improve_order(&problem, default_order, options->budget_bytes, cover_bound, started + limit * 0.6, diag))
            try_order(&problem, default_order, options->budget_bytes, 0, limit - (cosma_clock_seconds() - started),
                      "ilp-joint:local-search", &incumbent, diag);
    }
    /* Never worse than a baseline: their plans are incumbents too (before
     * the joint model, which starts from the best plan).  The relaxation
     * of the best order the planner solved decides below whether the joint
     * model can prove more. */
    uint64_t order_relaxation = incumbent.have ? best->lower_bound : 0;
    if (options->schedule != COSMA_SCHEDULE_PEAK && (!incumbent.have || best->traffic > 0)) {
        status = adopt_baselines(&problem, options,
                                 options->schedule == COSMA_SCHEDULE_FIXED ? candidates[0] : NULL, bounds.order,
                                 &incumbent);
        if (status != COSMA_OK) {
            free(default_order);
            goto done;
        }
    }
    /* Joint schedule: the time-indexed model proves a bound for every
     * order and may find a better one; it starts from the best plan. */
    uint64_t joint_bound = 0;
    /* The joint relaxation is no stronger than the best order's own
     * relaxation: when the order-free bound already reaches that, the
     * model can prove nothing more (what remains is placement). */
    if (incumbent.have && options->schedule == COSMA_SCHEDULE_JOINT && best->traffic > 0 &&
        cover_bound < order_relaxation) {
        double left = limit - (cosma_clock_seconds() - started);
        if (left > 2) {
            cosma_diag_t optional = {emit_as_warning, diag, 0};
            cosma_status_t joint =
                cosma_joint_solve(&problem, options->budget_bytes, left * 0.7, JOINT_MAX_COLUMNS, incumbent.order,
                                  best->intervals, best->n_intervals, default_order, &joint_bound,
                                  diag != NULL ? &optional : NULL);
            if (joint == COSMA_OK && memcmp(default_order, incumbent.order, (size_t)n * sizeof(int32_t)) != 0) {
                try_order(&problem, default_order, options->budget_bytes, 0, limit - (cosma_clock_seconds() - started),
                          "ilp-joint:time-indexed", &incumbent, diag);
            } else if (joint == COSMA_ERR_NOMEM) {
                status = joint;
                free(default_order);
                goto done;
            } else if (joint == COSMA_ERR_SOLVER) {
                /* The joint model only strengthens the bound: the plan in
                 * hand stands without it. */
                cosma_diag_report(diag, COSMA_SEV_WARNING, "the joint model was dropped after the solver failure "
                                                           "above; the plan stands, with the other bounds");
                joint_bound = 0;
            }
        }
    }
    free(default_order);
    if (!incumbent.have) {
        status = report_no_plan(&problem, options, &bounds, zero_traffic_impossible, diag);
        goto done;
    }
    /* The bound must hold for the problem as asked: for a fixed order the
     * ILP's bound; for the joint problem only order-independent facts. */
    if (options->schedule == COSMA_SCHEDULE_FIXED)
        lower_bound = best->lower_bound;
    else if (options->schedule == COSMA_SCHEDULE_PEAK)
        lower_bound = 0;
    else if (cosma_problem_order_is_unique(&problem))
        lower_bound = best->lower_bound; /* joint == fixed: the ILP bound holds */
    else {
        lower_bound = best->traffic > 0 ? cover_bound : 0;
        /* Every order has a step with at least M_P live bytes: below it,
         * the excess leaves the scratchpad and comes back at least once. */
        if (bounds.m_p_lower > options->budget_bytes && bounds.m_p_lower - options->budget_bytes > lower_bound)
            lower_bound = bounds.m_p_lower - options->budget_bytes;
        if (joint_bound > lower_bound)
            lower_bound = joint_bound;
    }
    status = assemble_plan(&problem, options, incumbent.order, best, lower_bound, incumbent.method,
                           cosma_clock_seconds() - started, out_plan);
    if (status != COSMA_OK)
        goto done;
    cosma_traffic_t checked;
    if (cosma_plan_verify(graph, *out_plan, &checked, diag) != COSMA_OK) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "internal error: the planner produced a plan the verifier rejects");
        cosma_plan_destroy(*out_plan);
        *out_plan = NULL;
        status = COSMA_ERR_INTERNAL;
    }
done:
    cosma_residency_free(best);
    cosma_bounds_free(&bounds);
    free(incumbent.order);
    cosma_problem_free(&problem);
    return status;
}
