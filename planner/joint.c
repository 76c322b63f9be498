/* joint.c: the joint model: operator order and residency chosen together,
 * as the paper's time-indexed ILP with placement relaxed to one capacity
 * row per step (placement is then solved for the order it picks, see
 * residency.c).  Its bound is valid for every order, so it is the proof
 * of optimality for the joint problem.
 *
 *   x[o,t]  operator o runs at step t, t in [asap(o), alap(o)]
 *   r[a,t]  tensor a is resident at step t
 *   l[a,t]  a is loaded at step t (retrieve, or the first load of an
 *           input/param, which is compulsory and subtracted)
 *   s[a]    activation a is spilled (once)
 *
 *   sum_t x[o,t] = 1, sum_o x[o,t] = 1
 *   sum_{tau<=t} x[c,tau] <= sum_{tau<t} x[p,tau]      for every edge p -> c
 *   r[a,t] >= x[o,t]                                    o reads or writes a
 *   r[a,t] <= sum_{tau<=t} x[p,tau]                     not before its producer
 *   l[a,t] >= r[a,t] - r[a,t-1] - x[p,t]               (no load at creation)
 *   s[a] >= l[a,t]                                      activations
 *   sum_a size(a) r[a,t] <= budget
 *   min sum size(a) (sum_t l[a,t] + s[a]) - sum_{inputs, params} size(a)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/ilp.h>
#include "planner_internal.h"

typedef struct {
    int32_t *asap, *alap;     /* per op, 1-based steps */
    int32_t *x_col;           /* per op: column of x[o, asap(o)] */
    int32_t *lo, *hi;         /* per tensor: residency window */
    int32_t *r_col, *l_col;   /* per tensor: column of r[a, lo(a)], l[a, lo(a)] */
    int32_t *s_col;           /* per tensor or -1 */
} joint_t;

static void joint_free(joint_t *j)
{
    free(j->asap);
    free(j->alap);
    free(j->x_col);
    free(j->lo);
    free(j->hi);
    free(j->r_col);
    free(j->l_col);
    free(j->s_col);
}

/* Operators before / after o in every order (ancestor / descendant
 * counts) bound the steps o can run at. */
static int windows(const cosma_problem_t *problem, joint_t *j)
{
    int32_t n = problem->n_ops;
    size_t words = ((size_t)n + 63) / 64;
    uint64_t *anc = calloc((size_t)n * words + 1, sizeof(uint64_t));
    uint64_t *desc = calloc((size_t)n * words + 1, sizeof(uint64_t));
    if (anc == NULL || desc == NULL) {
        free(anc);
        free(desc);
        return -1;
    }
    cosma_problem_closure(problem, anc, desc, words);
    for (int32_t o = 0; o < n; o++) {
        int32_t before = 0, after = 0;
        for (size_t w = 0; w < words; w++) {
            before += __builtin_popcountll(anc[(size_t)o * words + w]);
            after += __builtin_popcountll(desc[(size_t)o * words + w]);
        }
        j->asap[o] = before + 1;
        j->alap[o] = n - after;
    }
    free(anc);
    free(desc);
    return 0;
}

static int32_t x_of(const joint_t *j, int32_t op, int32_t t)
{
    return t < j->asap[op] || t > j->alap[op] ? -1 : j->x_col[op] + (t - j->asap[op]);
}

cosma_status_t cosma_joint_solve(const cosma_problem_t *problem, uint64_t budget, double time_limit,
                                 int64_t max_columns, const int32_t *start_order,
                                 const cosma_interval_t *start_intervals, int32_t n_start_intervals,
                                 int32_t *out_order, uint64_t *out_bound, cosma_diag_t *diag)
{
    const cosma_graph_t *graph = problem->graph;
    int32_t n = problem->n_ops, m = problem->n_tensors;
    joint_t j = {0};
    cosma_milp_t *milp = NULL;
    int32_t *cols = NULL;
    double *vals = NULL, *start = NULL;
    cosma_milp_result_t result = {0};
    cosma_status_t status = COSMA_ERR_NOMEM;
    *out_bound = 0;
    if (!cosma_problem_closure_affordable(problem))
        return COSMA_ERR_INFEASIBLE; /* far above any column limit */
    j.asap = malloc(((size_t)n + 1) * sizeof(int32_t));
    j.alap = malloc(((size_t)n + 1) * sizeof(int32_t));
    j.x_col = malloc(((size_t)n + 1) * sizeof(int32_t));
    j.lo = malloc(((size_t)m + 1) * sizeof(int32_t));
    j.hi = malloc(((size_t)m + 1) * sizeof(int32_t));
    j.r_col = malloc(((size_t)m + 1) * sizeof(int32_t));
    j.l_col = malloc(((size_t)m + 1) * sizeof(int32_t));
    j.s_col = malloc(((size_t)m + 1) * sizeof(int32_t));
    if (j.asap == NULL || j.alap == NULL || j.x_col == NULL || j.lo == NULL || j.hi == NULL || j.r_col == NULL ||
        j.l_col == NULL || j.s_col == NULL || windows(problem, &j) != 0)
        goto done;
    /* Size check before building anything. */
    int64_t columns = 0;
    for (int32_t o = 0; o < n; o++)
        columns += j.alap[o] - j.asap[o] + 1;
    uint64_t unit = 0;
    for (int32_t a = 0; a < m; a++) {
        j.lo[a] = 0;
        j.hi[a] = -1;
        if (problem->size[a] == 0)
            continue;
        const cosma_tensor_t *tensor = &graph->tensors[a];
        int32_t lo = n + 1, hi = 0;
        if (tensor->producer >= 0) {
            lo = j.asap[tensor->producer];
            hi = j.alap[tensor->producer];
        }
        for (int32_t c = 0; c < tensor->n_consumers; c++) {
            int32_t reader = tensor->consumers[c];
            if (tensor->producer < 0 && j.asap[reader] < lo)
                lo = j.asap[reader];
            if (j.alap[reader] > hi)
                hi = j.alap[reader];
        }
        j.lo[a] = lo;
        j.hi[a] = hi;
        columns += 2 * (int64_t)(hi - lo + 1) + 1;
        unit = cosma_gcd_u64(unit, problem->size[a]);
    }
    if (columns > max_columns) {
        status = COSMA_ERR_INFEASIBLE; /* too large: the caller keeps its bound */
        goto done;
    }
    if (unit == 0)
        unit = 1;
    milp = cosma_milp_create("cosma_joint");
    if (milp == NULL)
        goto done;
    char name[64];
    for (int32_t o = 0; o < n; o++)
        for (int32_t t = j.asap[o]; t <= j.alap[o]; t++) {
            snprintf(name, sizeof name, "x_%d_%d", (int)o, (int)t);
            int32_t col = cosma_milp_add_col(milp, name, 0, 1, 0, 1);
            if (col < 0)
                goto done;
            if (t == j.asap[o])
                j.x_col[o] = col;
        }
    double constant = 0;
    for (int32_t a = 0; a < m; a++) {
        j.r_col[a] = j.l_col[a] = j.s_col[a] = -1;
        if (problem->size[a] == 0 || j.hi[a] < j.lo[a])
            continue;
        double size = (double)(problem->size[a] / unit);
        const cosma_tensor_t *tensor = &graph->tensors[a];
        for (int32_t t = j.lo[a]; t <= j.hi[a]; t++) {
            snprintf(name, sizeof name, "r_%d_%d", (int)a, (int)t);
            int32_t col = cosma_milp_add_col(milp, name, 0, 1, 0, 1);
            if (col < 0)
                goto done;
            if (t == j.lo[a])
                j.r_col[a] = col;
        }
        for (int32_t t = j.lo[a]; t <= j.hi[a]; t++) {
            snprintf(name, sizeof name, "l_%d_%d", (int)a, (int)t);
            int32_t col = cosma_milp_add_col(milp, name, 0, 1, size, 0);
            if (col < 0)
                goto done;
            if (t == j.lo[a])
                j.l_col[a] = col;
        }
        if (tensor->kind == COSMA_TENSOR_ACTIVATION) {
            snprintf(name, sizeof name, "s_%d", (int)a);
            j.s_col[a] = cosma_milp_add_col(milp, name, 0, 1, size, 0);
            if (j.s_col[a] < 0)
                goto done;
        }
        if (tensor->producer < 0)
            constant -= size; /* the first load is compulsory */
    }
    cosma_milp_set_objective_constant(milp, constant);
    size_t cap = (size_t)cosma_milp_n_cols(milp) + 16;
    cols = malloc(cap * sizeof(int32_t));
    vals = malloc(cap * sizeof(double));
    if (cols == NULL || vals == NULL)
        goto done;
    /* One operator per step, each operator once. */
    for (int32_t o = 0; o < n; o++) {
        int32_t k = 0;
        for (int32_t t = j.asap[o]; t <= j.alap[o]; t++, k++) {
            cols[k] = x_of(&j, o, t);
            vals[k] = 1;
        }
        if (cosma_milp_add_row(milp, NULL, 1, 1, k, cols, vals) < 0)
            goto done;
    }
    for (int32_t t = 1; t <= n; t++) {
        int32_t k = 0;
        for (int32_t o = 0; o < n; o++)
            if (x_of(&j, o, t) >= 0) {
                cols[k] = x_of(&j, o, t);
                vals[k++] = 1;
            }
        if (cosma_milp_add_row(milp, NULL, 1, 1, k, cols, vals) < 0)
            goto done;
    }
    /* Precedence, in the strong time-indexed form. */
    for (int32_t c = 0; c < n; c++)
        for (int32_t e = problem->pred_start[c]; e < problem->pred_start[c + 1]; e++) {
            int32_t p = problem->preds[e];
            for (int32_t t = j.asap[c]; t <= j.alap[c] && t <= j.alap[p] + 1; t++) {
                int32_t k = 0;
                for (int32_t tau = j.asap[c]; tau <= t; tau++) {
                    cols[k] = x_of(&j, c, tau);
                    vals[k++] = 1;
                }
                for (int32_t tau = j.asap[p]; tau <= t - 1 && tau <= j.alap[p]; tau++) {
                    cols[k] = x_of(&j, p, tau);
                    vals[k++] = -1;
                }
                if (cosma_milp_add_row(milp, NULL, -COSMA_MILP_INF, 0, k, cols, vals) < 0)
                    goto done;
            }
        }
    for (int32_t a = 0; a < m; a++) {
        if (j.r_col[a] < 0)
            continue;
        const cosma_tensor_t *tensor = &graph->tensors[a];
        int32_t producer = tensor->producer;
        for (int32_t t = j.lo[a]; t <= j.hi[a]; t++) {
            int32_t r = j.r_col[a] + (t - j.lo[a]);
            /* Resident while used. */
            for (int32_t c = -1; c < tensor->n_consumers; c++) {
                int32_t user = c < 0 ? producer : tensor->consumers[c];
                if (user < 0 || x_of(&j, user, t) < 0)
                    continue;
                cols[0] = r;
                vals[0] = 1;
                cols[1] = x_of(&j, user, t);
                vals[1] = -1;
                if (cosma_milp_add_row(milp, NULL, 0, COSMA_MILP_INF, 2, cols, vals) < 0)
                    goto done;
            }
            int32_t k = 0;
            if (producer >= 0) {
                /* Not before creation. */
                cols[k] = r;
                vals[k++] = 1;
                for (int32_t tau = j.asap[producer]; tau <= t && tau <= j.alap[producer]; tau++) {
                    cols[k] = x_of(&j, producer, tau);
                    vals[k++] = -1;
                }
                if (cosma_milp_add_row(milp, NULL, -COSMA_MILP_INF, 0, k, cols, vals) < 0)
                    goto done;
            }
            /* Dropped once dead: resident at t only if some user runs at
             * t or later (valid in the model, and it tightens the LP). */
            k = 0;
            cols[k] = r;
            vals[k++] = 1;
            for (int32_t c = -1; c < tensor->n_consumers; c++) {
                int32_t user = c < 0 ? producer : tensor->consumers[c];
                if (user < 0)
                    continue;
                for (int32_t tau = t > j.asap[user] ? t : j.asap[user]; tau <= j.alap[user]; tau++) {
                    cols[k] = x_of(&j, user, tau);
                    vals[k++] = -1;
                }
            }
            if (cosma_milp_add_row(milp, NULL, -COSMA_MILP_INF, 0, k, cols, vals) < 0)
                goto done;
            /* Load: l >= r[t] - r[t-1] - x[p,t]. */
            k = 0;
            cols[k] = j.l_col[a] + (t - j.lo[a]);
            vals[k++] = 1;
            cols[k] = r;
            vals[k++] = -1;
            if (t > j.lo[a]) {
                cols[k] = r - 1;
                vals[k++] = 1;
            }
            if (producer >= 0 && x_of(&j, producer, t) >= 0) {
                cols[k] = x_of(&j, producer, t);
                vals[k++] = 1;
            }
            if (cosma_milp_add_row(milp, NULL, 0, COSMA_MILP_INF, k, cols, vals) < 0)
                goto done;
            if (j.s_col[a] >= 0) {
                cols[0] = j.s_col[a];
                vals[0] = 1;
                cols[1] = j.l_col[a] + (t - j.lo[a]);
                vals[1] = -1;
                if (cosma_milp_add_row(milp, NULL, 0, COSMA_MILP_INF, 2, cols, vals) < 0)
                    goto done;
            }
        }
    }
    for (int32_t t = 1; t <= n; t++) {
        int32_t k = 0;
        for (int32_t a = 0; a < m; a++)
            if (j.r_col[a] >= 0 && t >= j.lo[a] && t <= j.hi[a]) {
                cols[k] = j.r_col[a] + (t - j.lo[a]);
                vals[k++] = (double)(problem->size[a] / unit);
            }
        if (k > 0 && cosma_milp_add_row(milp, NULL, -COSMA_MILP_INF, (double)(budget / unit), k, cols, vals) < 0)
            goto done;
    }
    /* The start: the caller's plan (order and intervals). */
    if (start_order != NULL) {
        int32_t n_cols = cosma_milp_n_cols(milp);
        start = calloc((size_t)n_cols + 1, sizeof(double));
        if (start == NULL)
            goto done;
        int ok = 1;
        for (int32_t s = 0; s < n && ok; s++) {
            int32_t col = x_of(&j, start_order[s], s + 1);
            ok = col >= 0;
            if (ok)
                start[col] = 1;
        }
        for (int32_t i = 0; i < n_start_intervals && ok; i++) {
            const cosma_interval_t *iv = &start_intervals[i];
            int32_t a = iv->tensor;
            ok = j.r_col[a] >= 0 && iv->first >= j.lo[a] && iv->last <= j.hi[a];
            for (int32_t t = iv->first; ok && t <= iv->last; t++)
                start[j.r_col[a] + (t - j.lo[a])] = 1;
            if (ok && iv->begin == COSMA_BEGIN_LOAD)
                start[j.l_col[a] + (iv->first - j.lo[a])] = 1;
            if (ok && iv->end == COSMA_END_SPILL && j.s_col[a] >= 0)
                start[j.s_col[a]] = 1;
        }
        if (ok && (status = cosma_milp_set_start(milp, start)) != COSMA_OK)
            goto done;
    }
    cosma_milp_options_t options = {time_limit, 1};
    if ((status = cosma_milp_solve(milp, &options, &result, diag)) != COSMA_OK)
        goto done;
    if (result.bound > 0)
        *out_bound = (uint64_t)(result.bound + 0.5) * unit;
    status = COSMA_ERR_INFEASIBLE;
    if (result.status == COSMA_MILP_OPTIMAL || result.status == COSMA_MILP_FEASIBLE) {
        for (int32_t s = 0; s < n; s++)
            out_order[s] = -1;
        for (int32_t o = 0; o < n; o++)
            for (int32_t t = j.asap[o]; t <= j.alap[o]; t++)
                if (result.values[x_of(&j, o, t)] > 0.5)
                    out_order[t - 1] = o;
        /* Trust the solver's order only once it is a topological order. */
        int complete = 1;
        for (int32_t s = 0; s < n && complete; s++)
            complete = out_order[s] >= 0;
        if (complete && cosma_order_is_topological(graph, out_order))
            status = COSMA_OK;
    }
done:
    free(result.values);
    free(start);
    free(cols);
    free(vals);
    cosma_milp_destroy(milp);
    joint_free(&j);
    return status;
}
