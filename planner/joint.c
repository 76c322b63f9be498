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
 *
 * The same model solves a window of an order (divide-and-conquer, dc.c):
 * the window's operators take its steps 1..K, every tensor enters in the
 * state the steps before left (resident, with a host copy, first load
 * still due), and a tensor read after the window that is not resident at
 * its last step costs its reload there (plus its spill when it has no host
 * copy yet), so the window does not solve itself at the expense of the
 * steps after it.  For the whole graph nothing is resident at entry and
 * nothing is read after: the model above.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/ilp.h>
#include "planner_internal.h"

typedef struct {
    int32_t n_steps;          /* the window's steps (n_ops for the whole graph) */
    int32_t *asap, *alap;     /* per op, 1-based steps of the window; 0: not in it */
    int32_t *x_col;           /* per op: column of x[o, asap(o)] */
    int32_t *lo, *hi;         /* per tensor: residency window */
    int32_t *r_col, *l_col;   /* per tensor: column of r[a, lo(a)], l[a, lo(a)] */
    int32_t *s_col;           /* per tensor or -1 */
    uint8_t *own_state;       /* the whole graph's entry state (else NULL) */
    const uint8_t *state;     /* per tensor: COSMA_JOINT_* flags at entry */
    const uint8_t *after;     /* per tensor: read after the window, or NULL */
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
    free(j->own_state);
}

static int in_window(const joint_t *j, int32_t op)
{
    return op >= 0 && j->asap[op] > 0;
}

static int read_after(const joint_t *j, int32_t a)
{
    return j->after != NULL && j->after[a];
}

int cosma_problem_relative_counts(const cosma_problem_t *problem, int32_t *out_ancestors, int32_t *out_descendants)
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
        out_ancestors[o] = out_descendants[o] = 0;
        for (size_t w = 0; w < words; w++) {
            out_ancestors[o] += __builtin_popcountll(anc[(size_t)o * words + w]);
            out_descendants[o] += __builtin_popcountll(desc[(size_t)o * words + w]);
        }
    }
    free(anc);
    free(desc);
    return 0;
}

/* Operators before / after o in every order (ancestor / descendant
 * counts) bound the steps o can run at. */
static int whole_graph_windows(const cosma_problem_t *problem, joint_t *j)
{
    int32_t n = problem->n_ops;
    if (cosma_problem_relative_counts(problem, j->asap, j->alap) != 0)
        return -1;
    for (int32_t o = 0; o < n; o++) {
        j->asap[o] += 1;
        j->alap[o] = n - j->alap[o];
    }
    return 0;
}

/* The same for a window, counting only the window's operators: its
 * closure, built along its topological order.  -1: out of memory or the
 * operators are not in a topological order. */
static int window_windows(const cosma_problem_t *problem, const cosma_joint_window_t *window, joint_t *j)
{
    int32_t k_ops = window->n_ops;
    size_t words = ((size_t)k_ops + 63) / 64;
    uint64_t *anc = calloc((size_t)k_ops * words + 1, sizeof(uint64_t));
    uint64_t *desc = calloc((size_t)k_ops * words + 1, sizeof(uint64_t));
    int ok = anc != NULL && desc != NULL;
    for (int32_t k = 0; ok && k < k_ops; k++)
        j->asap[window->ops[k]] = k + 1; /* the step in the window's order, for now */
    for (int32_t k = 0; ok && k < k_ops; k++) {
        int32_t op = window->ops[k];
        for (int32_t e = problem->pred_start[op]; ok && e < problem->pred_start[op + 1]; e++) {
            int32_t p = j->asap[problem->preds[e]] - 1;
            ok = p < k;
            for (size_t w = 0; ok && p >= 0 && w < words; w++)
                anc[(size_t)k * words + w] |= anc[(size_t)p * words + w];
            if (ok && p >= 0)
                anc[(size_t)k * words + (size_t)p / 64] |= (uint64_t)1 << (p % 64);
        }
    }
    for (int32_t k = k_ops - 1; ok && k >= 0; k--) {
        int32_t op = window->ops[k];
        for (int32_t e = problem->succ_start[op]; e < problem->succ_start[op + 1]; e++) {
            int32_t s = j->asap[problem->succs[e]] - 1;
            for (size_t w = 0; s > k && w < words; w++)
                desc[(size_t)k * words + w] |= desc[(size_t)s * words + w];
            if (s > k)
                desc[(size_t)k * words + (size_t)s / 64] |= (uint64_t)1 << (s % 64);
        }
    }
    for (int32_t k = 0; ok && k < k_ops; k++) {
        int32_t before = 0, after = 0;
        for (size_t w = 0; w < words; w++) {
            before += __builtin_popcountll(anc[(size_t)k * words + w]);
            after += __builtin_popcountll(desc[(size_t)k * words + w]);
        }
        j->asap[window->ops[k]] = window->fixed ? k + 1 : before + 1;
        j->alap[window->ops[k]] = window->fixed ? k + 1 : k_ops - after;
    }
    free(anc);
    free(desc);
    return ok ? 0 : -1;
}

/* The whole graph's entry state: inputs and parameters are on the host,
 * their first load still due; outputs get their host copy when stored. */
static int whole_graph_state(const cosma_problem_t *problem, joint_t *j)
{
    j->own_state = calloc((size_t)problem->n_tensors + 1, 1);
    if (j->own_state == NULL)
        return -1;
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        const cosma_tensor_t *tensor = &problem->graph->tensors[a];
        if (tensor->kind != COSMA_TENSOR_ACTIVATION)
            j->own_state[a] = COSMA_JOINT_HOST_COPY;
        if (tensor->producer < 0)
            j->own_state[a] |= COSMA_JOINT_FIRST_LOAD;
    }
    j->state = j->own_state;
    return 0;
}

static int32_t x_of(const joint_t *j, int32_t op, int32_t t)
{
    return !in_window(j, op) || t < j->asap[op] || t > j->alap[op] ? -1 : j->x_col[op] + (t - j->asap[op]);
}

/* The model under construction: the windows, the MILP and row buffers. */
typedef struct {
    const cosma_problem_t *problem;
    joint_t j;
    cosma_milp_t *milp;
    int32_t *cols;   /* one row's columns and coefficients */
    double *vals;
    uint64_t unit;   /* common divisor of the sizes: the model counts in units of it */
} builder_t;

static int add_row(builder_t *b, double lower, double upper, int32_t k)
{
    return cosma_milp_add_row(b->milp, NULL, lower, upper, k, b->cols, b->vals) < 0 ? -1 : 0;
}

static int joint_alloc(joint_t *j, int32_t n, int32_t m)
{
    j->asap = calloc((size_t)n + 1, sizeof(int32_t));
    j->alap = calloc((size_t)n + 1, sizeof(int32_t));
    j->x_col = malloc(((size_t)n + 1) * sizeof(int32_t));
    j->lo = malloc(((size_t)m + 1) * sizeof(int32_t));
    j->hi = malloc(((size_t)m + 1) * sizeof(int32_t));
    j->r_col = malloc(((size_t)m + 1) * sizeof(int32_t));
    j->l_col = malloc(((size_t)m + 1) * sizeof(int32_t));
    j->s_col = malloc(((size_t)m + 1) * sizeof(int32_t));
    return j->asap == NULL || j->alap == NULL || j->x_col == NULL || j->lo == NULL || j->hi == NULL ||
                   j->r_col == NULL || j->l_col == NULL || j->s_col == NULL
               ? -1
               : 0;
}

/* Steps, windows and entry state of the whole graph or of a window. */
static int joint_setup(const cosma_problem_t *problem, const cosma_joint_window_t *window, joint_t *j)
{
    if (joint_alloc(j, problem->n_ops, problem->n_tensors) != 0)
        return -1;
    if (window == NULL) {
        j->n_steps = problem->n_ops;
        return whole_graph_windows(problem, j) != 0 || whole_graph_state(problem, j) != 0 ? -1 : 0;
    }
    j->n_steps = window->n_ops;
    j->state = window->state;
    j->after = window->after;
    return window_windows(problem, window, j);
}

/* Residency window of tensor a: from its creation (or step 1 when it
 * enters resident, or its first reader's earliest step) to its last
 * reader's latest step (the last step when it is read after the window). */
static void tensor_window(const builder_t *b, int32_t a, int32_t *out_lo, int32_t *out_hi)
{
    const joint_t *j = &b->j;
    const cosma_tensor_t *tensor = &b->problem->graph->tensors[a];
    int produced = in_window(j, tensor->producer);
    int32_t lo = j->n_steps + 1, hi = 0;
    if (produced) {
        lo = j->asap[tensor->producer];
        hi = j->alap[tensor->producer];
    } else if (j->state[a] & COSMA_JOINT_RESIDENT)
        lo = 1;
    for (int32_t c = 0; c < tensor->n_consumers; c++) {
        int32_t reader = tensor->consumers[c];
        if (!in_window(j, reader))
            continue;
        if (!produced && j->asap[reader] < lo)
            lo = j->asap[reader];
        if (j->alap[reader] > hi)
            hi = j->alap[reader];
    }
    if (read_after(j, a) && (produced || lo <= j->n_steps))
        hi = j->n_steps;
    *out_lo = lo;
    *out_hi = hi;
}

/* Residency windows of the tensors and the size unit; returns the number
 * of columns the model will have (checked before building anything). */
static int64_t size_model(builder_t *b)
{
    const cosma_problem_t *problem = b->problem;
    joint_t *j = &b->j;
    int64_t columns = 0;
    for (int32_t o = 0; o < problem->n_ops; o++)
        if (in_window(j, o))
            columns += j->alap[o] - j->asap[o] + 1;
    b->unit = 0;
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        j->lo[a] = 0;
        j->hi[a] = -1;
        if (problem->size[a] == 0)
            continue;
        tensor_window(b, a, &j->lo[a], &j->hi[a]);
        if (j->hi[a] < j->lo[a])
            continue;
        columns += 2 * (int64_t)(j->hi[a] - j->lo[a] + 1) + 1;
        b->unit = cosma_gcd_u64(b->unit, problem->size[a]);
    }
    if (b->unit == 0)
        b->unit = 1;
    return columns;
}

/* The columns x, then r, l (and s) per tensor.  The objective constant
 * takes off the compulsory first loads and adds the reload of every
 * tensor read after the window (taken off again by r at the last step). */
static int add_columns(builder_t *b)
{
    const cosma_problem_t *problem = b->problem;
    joint_t *j = &b->j;
    char name[64];
    for (int32_t o = 0; o < problem->n_ops; o++)
        for (int32_t t = j->asap[o]; in_window(j, o) && t <= j->alap[o]; t++) {
            snprintf(name, sizeof name, "x_%d_%d", (int)o, (int)t);
            int32_t col = cosma_milp_add_col(b->milp, name, 0, 1, 0, 1);
            if (col < 0)
                return -1;
            if (t == j->asap[o])
                j->x_col[o] = col;
        }
    double constant = 0;
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        j->r_col[a] = j->l_col[a] = j->s_col[a] = -1;
        if (problem->size[a] == 0 || j->hi[a] < j->lo[a])
            continue;
        int free_traffic = (j->state[a] & COSMA_JOINT_FREE) != 0;
        double size = free_traffic ? 0 : (double)(problem->size[a] / b->unit);
        int after = read_after(j, a);
        for (int32_t pass = 0; pass < 2; pass++)
            for (int32_t t = j->lo[a]; t <= j->hi[a]; t++) {
                double cost = pass == 1 ? size : after && t == j->n_steps ? -size : 0;
                snprintf(name, sizeof name, pass == 0 ? "r_%d_%d" : "l_%d_%d", (int)a, (int)t);
                int32_t col = cosma_milp_add_col(b->milp, name, 0, 1, cost, pass == 0);
                if (col < 0)
                    return -1;
                if (t == j->lo[a])
                    *(pass == 0 ? &j->r_col[a] : &j->l_col[a]) = col;
            }
        if (problem->graph->tensors[a].kind == COSMA_TENSOR_ACTIVATION && !free_traffic &&
            !(j->state[a] & COSMA_JOINT_HOST_COPY)) {
            snprintf(name, sizeof name, "s_%d", (int)a);
            j->s_col[a] = cosma_milp_add_col(b->milp, name, 0, 1, size, 0);
            if (j->s_col[a] < 0)
                return -1;
        }
        if (j->state[a] & COSMA_JOINT_FIRST_LOAD)
            constant -= size; /* the first load is compulsory */
        if (after)
            constant += size;
    }
    cosma_milp_set_objective_constant(b->milp, constant);
    size_t cap = (size_t)cosma_milp_n_cols(b->milp) + 16;
    b->cols = malloc(cap * sizeof(int32_t));
    b->vals = malloc(cap * sizeof(double));
    return b->cols == NULL || b->vals == NULL ? -1 : 0;
}

/* One operator per step, each operator once; precedence in the strong
 * time-indexed form. */
static int add_order_rows(builder_t *b)
{
    const cosma_problem_t *problem = b->problem;
    const joint_t *j = &b->j;
    int32_t n = problem->n_ops;
    for (int32_t o = 0; o < n; o++) {
        int32_t k = 0;
        for (int32_t t = j->asap[o]; in_window(j, o) && t <= j->alap[o]; t++, k++) {
            b->cols[k] = x_of(j, o, t);
            b->vals[k] = 1;
        }
        if (k > 0 && add_row(b, 1, 1, k) != 0)
            return -1;
    }
    for (int32_t t = 1; t <= j->n_steps; t++) {
        int32_t k = 0;
        for (int32_t o = 0; o < n; o++)
            if (x_of(j, o, t) >= 0) {
                b->cols[k] = x_of(j, o, t);
                b->vals[k++] = 1;
            }
        if (add_row(b, 1, 1, k) != 0)
            return -1;
    }
    for (int32_t c = 0; c < n; c++)
        for (int32_t e = problem->pred_start[c]; in_window(j, c) && e < problem->pred_start[c + 1]; e++) {
            int32_t p = problem->preds[e];
            for (int32_t t = j->asap[c]; in_window(j, p) && t <= j->alap[c] && t <= j->alap[p] + 1; t++) {
                int32_t k = 0;
                for (int32_t tau = j->asap[c]; tau <= t; tau++) {
                    b->cols[k] = x_of(j, c, tau);
                    b->vals[k++] = 1;
                }
                for (int32_t tau = j->asap[p]; tau <= t - 1 && tau <= j->alap[p]; tau++) {
                    b->cols[k] = x_of(j, p, tau);
                    b->vals[k++] = -1;
                }
                if (add_row(b, -COSMA_MILP_INF, 0, k) != 0)
                    return -1;
            }
        }
    return 0;
}

/* Tensor a at step t: resident while used, not before creation, dropped
 * once dead (unless read after the window). */
static int add_residency_rows(builder_t *b, int32_t a, int32_t t)
{
    const joint_t *j = &b->j;
    const cosma_tensor_t *tensor = &b->problem->graph->tensors[a];
    int32_t producer = tensor->producer, r = j->r_col[a] + (t - j->lo[a]);
    for (int32_t c = -1; c < tensor->n_consumers; c++) {
        int32_t user = c < 0 ? producer : tensor->consumers[c];
        if (x_of(j, user, t) < 0)
            continue;
        b->cols[0] = r;
        b->vals[0] = 1;
        b->cols[1] = x_of(j, user, t);
        b->vals[1] = -1;
        if (add_row(b, 0, COSMA_MILP_INF, 2) != 0)
            return -1;
    }
    int32_t k = 0;
    if (in_window(j, producer)) {
        b->cols[k] = r;
        b->vals[k++] = 1;
        for (int32_t tau = j->asap[producer]; tau <= t && tau <= j->alap[producer]; tau++) {
            b->cols[k] = x_of(j, producer, tau);
            b->vals[k++] = -1;
        }
        if (add_row(b, -COSMA_MILP_INF, 0, k) != 0)
            return -1;
    }
    if (read_after(j, a))
        return 0;
    /* Resident at t only if some user runs at t or later (valid in the
     * model, and it tightens the LP). */
    k = 0;
    b->cols[k] = r;
    b->vals[k++] = 1;
    for (int32_t c = -1; c < tensor->n_consumers; c++) {
        int32_t user = c < 0 ? producer : tensor->consumers[c];
        if (!in_window(j, user))
            continue;
        for (int32_t tau = t > j->asap[user] ? t : j->asap[user]; tau <= j->alap[user]; tau++) {
            b->cols[k] = x_of(j, user, tau);
            b->vals[k++] = -1;
        }
    }
    return add_row(b, -COSMA_MILP_INF, 0, k);
}

/* Tensor a at step t: a load wherever it becomes resident other than at
 * its creation (l >= r[t] - r[t-1] - x[p,t]; a tensor resident at entry
 * needs none at step 1); a spill before any load of an activation. */
static int add_traffic_rows(builder_t *b, int32_t a, int32_t t)
{
    const joint_t *j = &b->j;
    int32_t producer = b->problem->graph->tensors[a].producer, r = j->r_col[a] + (t - j->lo[a]);
    int32_t k = 0;
    b->cols[k] = j->l_col[a] + (t - j->lo[a]);
    b->vals[k++] = 1;
    b->cols[k] = r;
    b->vals[k++] = -1;
    if (t > j->lo[a]) {
        b->cols[k] = r - 1;
        b->vals[k++] = 1;
    }
    if (x_of(j, producer, t) >= 0) {
        b->cols[k] = x_of(j, producer, t);
        b->vals[k++] = 1;
    }
    int continues = t == j->lo[a] && !in_window(j, producer) && (j->state[a] & COSMA_JOINT_RESIDENT);
    if (!continues && add_row(b, 0, COSMA_MILP_INF, k) != 0)
        return -1;
    if (j->s_col[a] < 0)
        return 0;
    b->cols[0] = j->s_col[a];
    b->vals[0] = 1;
    b->cols[1] = j->l_col[a] + (t - j->lo[a]);
    b->vals[1] = -1;
    return add_row(b, 0, COSMA_MILP_INF, 2);
}

/* The per-tensor rows (an activation read after the window and not
 * resident at its end is spilled), then one capacity row per step. */
static int add_tensor_rows(builder_t *b, uint64_t budget)
{
    const cosma_problem_t *problem = b->problem;
    const joint_t *j = &b->j;
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        for (int32_t t = j->lo[a]; j->r_col[a] >= 0 && t <= j->hi[a]; t++)
            if (add_residency_rows(b, a, t) != 0 || add_traffic_rows(b, a, t) != 0)
                return -1;
        if (j->s_col[a] >= 0 && read_after(j, a)) {
            b->cols[0] = j->s_col[a];
            b->cols[1] = j->r_col[a] + (j->hi[a] - j->lo[a]);
            b->vals[0] = b->vals[1] = 1;
            if (add_row(b, 1, COSMA_MILP_INF, 2) != 0)
                return -1;
        }
    }
    for (int32_t t = 1; t <= j->n_steps; t++) {
        int32_t k = 0;
        for (int32_t a = 0; a < problem->n_tensors; a++)
            if (j->r_col[a] >= 0 && t >= j->lo[a] && t <= j->hi[a]) {
                b->cols[k] = j->r_col[a] + (t - j->lo[a]);
                b->vals[k++] = (double)(problem->size[a] / b->unit);
            }
        if (k > 0 && add_row(b, -COSMA_MILP_INF, (double)(budget / b->unit), k) != 0)
            return -1;
    }
    return 0;
}

/* Hands the caller's plan (order and intervals) to the solver as its
 * start, when the model can express it. */
static cosma_status_t set_start(builder_t *b, const cosma_joint_options_t *options)
{
    const joint_t *j = &b->j;
    int32_t n = b->problem->n_ops;
    double *start = calloc((size_t)cosma_milp_n_cols(b->milp) + 1, sizeof(double));
    if (start == NULL)
        return COSMA_ERR_NOMEM;
    int ok = 1;
    for (int32_t s = 0; s < n && ok; s++) {
        int32_t col = x_of(j, options->start_order[s], s + 1);
        ok = col >= 0;
        if (ok)
            start[col] = 1;
    }
    for (int32_t i = 0; i < options->n_start_intervals && ok; i++) {
        const cosma_interval_t *iv = &options->start_intervals[i];
        int32_t a = iv->tensor;
        ok = j->r_col[a] >= 0 && iv->first >= j->lo[a] && iv->last <= j->hi[a];
        for (int32_t t = iv->first; ok && t <= iv->last; t++)
            start[j->r_col[a] + (t - j->lo[a])] = 1;
        if (ok && iv->begin == COSMA_BEGIN_LOAD)
            start[j->l_col[a] + (iv->first - j->lo[a])] = 1;
        if (ok && iv->end == COSMA_END_SPILL && j->s_col[a] >= 0)
            start[j->s_col[a]] = 1;
    }
    cosma_status_t status = ok ? cosma_milp_set_start(b->milp, start) : COSMA_OK;
    free(start);
    return status;
}

/* A window's start: its operators in the given order, every tensor
 * resident where start_resident says (a solution with that order) or else
 * only at the steps that use it (always within the budget, since every
 * working set fits), loaded where it becomes resident, spilled when it is
 * loaded or left behind without a host copy. */
static cosma_status_t set_window_start(builder_t *b, const cosma_joint_window_t *window)
{
    const joint_t *j = &b->j;
    const cosma_problem_t *problem = b->problem;
    double *start = calloc((size_t)cosma_milp_n_cols(b->milp) + 1, sizeof(double));
    if (start == NULL)
        return COSMA_ERR_NOMEM;
    int32_t n_steps = window->n_ops;
    for (int32_t a = 0; a < problem->n_tensors && window->start_resident != NULL; a++)
        for (int32_t t = j->lo[a]; j->r_col[a] >= 0 && t <= j->hi[a]; t++)
            start[j->r_col[a] + (t - j->lo[a])] = window->start_resident[(size_t)a * (size_t)n_steps + (size_t)t - 1];
    for (int32_t k = 0; k < n_steps; k++) {
        int32_t op = window->ops[k], x = x_of(j, op, k + 1);
        if (x < 0)
            continue; /* not a step the model allows op: no start for it */
        start[x] = 1;
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1]; e++) {
            int32_t a = problem->operands[e];
            if (j->r_col[a] >= 0 && k + 1 >= j->lo[a] && k + 1 <= j->hi[a])
                start[j->r_col[a] + (k + 1 - j->lo[a])] = 1;
        }
    }
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        int32_t producer = problem->graph->tensors[a].producer, loads = 0;
        for (int32_t t = j->lo[a]; j->r_col[a] >= 0 && t <= j->hi[a]; t++) {
            int was = t > j->lo[a] ? start[j->r_col[a] + (t - 1 - j->lo[a])] > 0.5
                                   : !in_window(j, producer) && (j->state[a] & COSMA_JOINT_RESIDENT);
            int load = start[j->r_col[a] + (t - j->lo[a])] > 0.5 && !was && x_of(j, producer, t) < 0;
            start[j->l_col[a] + (t - j->lo[a])] = load;
            loads += load;
        }
        int left = j->r_col[a] >= 0 && read_after(j, a) && start[j->r_col[a] + (j->hi[a] - j->lo[a])] < 0.5;
        if (j->s_col[a] >= 0 && (loads > 0 || left))
            start[j->s_col[a]] = 1;
    }
    cosma_status_t status = cosma_milp_set_start(b->milp, start);
    free(start);
    return status;
}

/* The order of a solution (n_steps operators), trusted only once every
 * step has one operator and every edge inside the window goes forward. */
static cosma_status_t read_order(const builder_t *b, const cosma_milp_result_t *result, int32_t *out_order)
{
    const joint_t *j = &b->j;
    const cosma_problem_t *problem = b->problem;
    int32_t n = problem->n_ops;
    for (int32_t s = 0; s < j->n_steps; s++)
        out_order[s] = -1;
    for (int32_t o = 0; o < n; o++)
        for (int32_t t = j->asap[o]; in_window(j, o) && t <= j->alap[o]; t++)
            if (result->values[x_of(j, o, t)] > 0.5)
                out_order[t - 1] = o;
    for (int32_t s = 0; s < j->n_steps; s++)
        if (out_order[s] < 0)
            return COSMA_ERR_INFEASIBLE;
    for (int32_t s = 0; s < j->n_steps; s++)
        for (int32_t e = problem->pred_start[out_order[s]]; e < problem->pred_start[out_order[s] + 1]; e++) {
            int32_t p = problem->preds[e];
            int32_t same = x_of(j, p, s + 1); /* -1 outside p's steps */
            if (same >= 0 && result->values[same] > 0.5)
                return COSMA_ERR_INFEASIBLE; /* same step: cannot happen */
            int32_t t = 0;
            for (int32_t tau = j->asap[p]; in_window(j, p) && tau <= j->alap[p]; tau++)
                if (result->values[x_of(j, p, tau)] > 0.5)
                    t = tau;
            if (in_window(j, p) && t > s + 1)
                return COSMA_ERR_INFEASIBLE;
        }
    return COSMA_OK;
}

/* Whether tensor a is read after step c of a window's solution. */
static int read_later(const builder_t *b, const cosma_milp_result_t *result, int32_t a, int32_t c)
{
    const joint_t *j = &b->j;
    const cosma_tensor_t *tensor = &b->problem->graph->tensors[a];
    int later = read_after(j, a);
    for (int32_t k = 0; k < tensor->n_consumers && !later; k++)
        for (int32_t t = c + 1; t <= j->alap[tensor->consumers[k]]; t++)
            later |= x_of(j, tensor->consumers[k], t) >= 0 && result->values[x_of(j, tensor->consumers[k], t)] > 0.5;
    return later;
}

/* Every tensor's state after step `commit` of a window's solution
 * (resident: kept into the next step for a later reader). */
static void read_state(const builder_t *b, const cosma_milp_result_t *result, cosma_joint_window_t *window)
{
    const joint_t *j = &b->j;
    int32_t c = window->commit;
    for (int32_t a = 0; a < b->problem->n_tensors; a++) {
        uint8_t state = j->state[a] & (COSMA_JOINT_HOST_COPY | COSMA_JOINT_FIRST_LOAD);
        if (j->r_col[a] < 0) {
            window->out_state[a] = state; /* not in the model: not resident (or dead) */
            continue;
        }
        int resident = c >= j->lo[a] && c <= j->hi[a] && result->values[j->r_col[a] + (c - j->lo[a])] > 0.5 &&
                       read_later(b, result, a, c);
        int loaded = 0;
        for (int32_t t = j->lo[a]; t <= j->hi[a] && t <= c; t++)
            loaded |= result->values[j->l_col[a] + (t - j->lo[a])] > 0.5;
        int spilled = j->s_col[a] >= 0 && result->values[j->s_col[a]] > 0.5 && (loaded || !resident);
        if (loaded || resident)
            state &= (uint8_t)~COSMA_JOINT_FIRST_LOAD;
        if (spilled)
            state |= COSMA_JOINT_HOST_COPY;
        window->out_state[a] = (uint8_t)(state | (resident ? COSMA_JOINT_RESIDENT : 0));
    }
}

/* The solution's residency of every tensor at every step of a window. */
static void read_resident(const builder_t *b, const cosma_milp_result_t *result, cosma_joint_window_t *window)
{
    const joint_t *j = &b->j;
    size_t n_steps = (size_t)window->n_ops;
    memset(window->out_resident, 0, (size_t)b->problem->n_tensors * n_steps);
    for (int32_t a = 0; a < b->problem->n_tensors; a++)
        for (int32_t t = j->lo[a]; j->r_col[a] >= 0 && t <= j->hi[a]; t++)
            window->out_resident[(size_t)a * n_steps + (size_t)t - 1] =
                result->values[j->r_col[a] + (t - j->lo[a])] > 0.5;
}

void cosma_joint_options_init(cosma_joint_options_t *options)
{
    *options = (cosma_joint_options_t){.time_limit = COSMA_JOINT_DEFAULT_SECONDS,
                                       .max_columns = COSMA_JOINT_MAX_COLUMNS};
}

int64_t cosma_joint_columns(const cosma_problem_t *problem, const cosma_joint_window_t *window)
{
    builder_t b = {.problem = problem};
    int64_t columns = -1;
    if ((window != NULL || cosma_problem_closure_affordable(problem)) && joint_setup(problem, window, &b.j) == 0)
        columns = size_model(&b);
    joint_free(&b.j);
    return columns;
}

/* Builds the model with its start; COSMA_ERR_INFEASIBLE when it would
 * exceed the column limit. */
static cosma_status_t build(builder_t *b, const cosma_joint_options_t *options)
{
    if (joint_setup(b->problem, options->window, &b->j) != 0)
        return COSMA_ERR_NOMEM;
    if (size_model(b) > options->max_columns)
        return COSMA_ERR_INFEASIBLE; /* too large: the caller keeps its bound */
    if ((b->milp = cosma_milp_create("cosma_joint")) == NULL || add_columns(b) != 0 || add_order_rows(b) != 0 ||
        add_tensor_rows(b, options->budget) != 0)
        return COSMA_ERR_NOMEM;
    if (options->window != NULL)
        return set_window_start(b, options->window);
    return options->start_order != NULL ? set_start(b, options) : COSMA_OK;
}

cosma_status_t cosma_joint_solve(const cosma_problem_t *problem, const cosma_joint_options_t *options,
                                 int32_t *out_order, uint64_t *out_bound, cosma_diag_t *diag)
{
    builder_t b = {.problem = problem};
    cosma_milp_result_t result = {0};
    cosma_status_t status;
    *out_bound = 0;
    if (options->window == NULL && !cosma_problem_closure_affordable(problem))
        return COSMA_ERR_INFEASIBLE; /* far above any column limit */
    if ((status = build(&b, options)) != COSMA_OK)
        goto done;
    cosma_milp_options_t milp_options = {
        .time_limit = options->time_limit, .objective_step = 1, .node_limit = options->node_limit};
    if ((status = cosma_milp_solve(b.milp, &milp_options, &result, diag)) != COSMA_OK)
        goto done;
    if (result.bound > 0)
        *out_bound = (uint64_t)(result.bound + 0.5) * b.unit;
    status = COSMA_ERR_INFEASIBLE;
    if (result.status == COSMA_MILP_OPTIMAL || result.status == COSMA_MILP_FEASIBLE)
        status = read_order(&b, &result, out_order);
    if (status == COSMA_OK && options->window != NULL) {
        cosma_joint_window_t *window = options->window;
        window->out_cost = result.objective > 0 ? (uint64_t)(result.objective + 0.5) * b.unit : 0;
        if (window->out_state != NULL)
            read_state(&b, &result, window);
        if (window->out_resident != NULL)
            read_resident(&b, &result, window);
    }
done:
    free(result.values);
    free(b.cols);
    free(b.vals);
    cosma_milp_destroy(b.milp);
    joint_free(&b.j);
    return status;
}
