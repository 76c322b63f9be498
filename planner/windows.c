/* windows.c: an order-free lower bound on the traffic of graphs whose
 * joint model is too large: the joint models (joint.c) of disjoint
 * windows of operators, each charged only with the traffic of some of the
 * tensors, summed (docs/planner.md, section 3, item 6).
 *
 * Why it is valid.  The windows are consecutive ranges of a topological
 * order.  Where a key point cuts the order (a clean position), every
 * order has the same operators before the cut, so every plan runs the
 * operators between two clean positions (a range) at the same steps, and
 * the loads and spills at those steps belong to that range alone.  Inside
 * a range, take any plan and a window W, and project the plan onto the
 * steps that run W's operators: a tensor is resident at W's k-th step
 * when the plan has it resident there (one that W produces is dropped
 * after its last reader in W).  That is a solution of W's joint model: a
 * topological order of W, operands resident, within the budget.  A
 * charged tensor the projection shows becoming resident again was loaded
 * by the plan in between, at a step of the range: after its creation when
 * W produces it, after the range began when an operator before the range
 * uses it (it was live there, so it enters W resident, free, and costs a
 * load wherever it becomes resident again), after its compulsory first
 * load for an input or parameter first read in the range; and a load of
 * an activation W produces means the plan spilled it in between.  Each
 * tensor is charged in one window of its range (the first that uses it);
 * elsewhere it is free (COSMA_JOINT_FREE: resident where used, at no
 * cost).  So the windows' optima, and the bounds GLPK proves for them, add
 * up to at most the plan's traffic.  Nothing in the argument depends on
 * the plan's order, placement or relocations.
 *
 * Two cuts, the larger sum is the bound.  The first cuts the given order
 * into windows whose models (columns) GLPK solves within its node limit.
 * The second cuts another topological order (big_first_order: each next
 * operator the ready one with the largest operand) into windows, each
 * solved by the exact search of bound_region.c (its optimum, or a lower
 * bound on it where its state limit stops it); each window is the largest
 * of search_window_sizes (32, 24, 16 operators) whose search finishes
 * from that start, else the 16-operator one with its stopped bound
 * (search_windows_sum).  The argument above holds for any topological order
 * and any cut into consecutive windows (however their ends were chosen:
 * a window tried and taken back leaves no trace), with ranges starting only at
 * windows that start at a clean position (the second cut does not pull
 * its windows back to clean positions: a range may hold several clean
 * positions, the operators before it are still the same in every order).
 * Why the second cut: the LP of a window's time-indexed model proves
 * about 0 where a few big tensors fight for the budget, and in the given
 * order those operators lie far apart (pnasnet5large's stem at M_H: the
 * LP windows prove 0, the searched window 3,548,448, the optimum). */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

/* A window's model, sized before its entry states are known, may grow by
 * this factor with them (tensors entering resident from its first step). */
enum { WINDOW_COLUMNS_SLACK = 4 };
/* Sizing a window costs time linear in the graph per operator it grows
 * by, so the cut is quadratic in the graph: larger graphs get no windows'
 * bound (0, still valid). */
enum { WINDOW_BOUND_MAX_OPS = 10000 };
/* The searched windows (bound_region.c): at most this many operators and
 * operand tensors each, a fixed number of search states each and in all
 * (the work limit; the bound does not depend on the machine). */
enum { SEARCH_WINDOW_OPS = 16, SEARCH_WINDOW_OPS_LARGE = 24, SEARCH_WINDOW_OPS_LARGEST = 32 };
enum { SEARCH_WINDOW_TENSORS = 64 };
enum { SEARCH_WINDOW_STATES = 200000, SEARCH_TOTAL_STATES = 2000000 };
/* The searched cut's window sizes (operators), tried largest first at
 * each window's start: the first whose search finishes is the window (a
 * larger window sees more of the operators that compete with its big
 * tensors: nasnetalarge's stem at M_R needs 24); when none finishes, the
 * last (SEARCH_WINDOW_OPS) is kept with its stopped bound. */
static const int32_t search_window_sizes[] = {SEARCH_WINDOW_OPS_LARGEST, SEARCH_WINDOW_OPS_LARGE, SEARCH_WINDOW_OPS};

void cosma_window_bound_options_init(cosma_window_bound_options_t *options)
{
    *options = (cosma_window_bound_options_t){.node_limit = COSMA_WINDOW_BOUND_NODES,
                                              .window_columns = COSMA_WINDOW_BOUND_COLUMNS};
}

/* clean[p] (p in 0..n): the operators before position p of the order are
 * the same in every order (p is 0 or n, or an operator next to p is a key
 * point: all the operators before it are its ancestors, all after it its
 * descendants).  Every plan then runs the operators between two clean
 * positions at the same steps.  Without the closure only 0 and n are
 * clean.  Returns -1 when out of memory. */
static int clean_positions(const cosma_problem_t *problem, const int32_t *order, uint8_t *clean)
{
    int32_t n = problem->n_ops;
    memset(clean, 0, (size_t)n + 1);
    clean[0] = clean[n] = 1;
    if (!cosma_problem_closure_affordable(problem))
        return 0;
    int32_t *anc = malloc(((size_t)n + 1) * sizeof(int32_t)), *desc = malloc(((size_t)n + 1) * sizeof(int32_t));
    int failed = anc == NULL || desc == NULL || cosma_problem_relative_counts(problem, anc, desc) != 0;
    for (int32_t p = 0; !failed && p < n; p++)
        if (anc[order[p]] == p && desc[order[p]] == n - 1 - p)
            clean[p] = clean[p + 1] = 1;
    free(anc);
    free(desc);
    return failed ? -1 : 0;
}

/* The largest end p1 > p0 (at most n) whose window order[p0..p1) has a
 * model within max_columns, pulled back to the last clean position in
 * that range if there is one; at least p0 + 1.  state: all clear (sizing
 * reads only its resident flag). */
static int32_t window_end(const cosma_problem_t *problem, const int32_t *order, int32_t p0, int64_t max_columns,
                          const uint8_t *clean, const uint8_t *state)
{
    int32_t n = problem->n_ops, best = p0 + 1;
    for (int32_t p1 = p0 + 1; p1 <= n; p1++) {
        cosma_joint_window_t window = {.ops = order + p0, .n_ops = p1 - p0, .state = state};
        int64_t columns = cosma_joint_columns(problem, &window);
        if (columns < 0 || columns > max_columns)
            break;
        best = p1;
    }
    for (int32_t p = best; p > p0; p--)
        if (clean[p])
            return p;
    return best;
}

/* The same for a searched window: the largest end with at most max_ops
 * operators and SEARCH_WINDOW_TENSORS distinct operands (not pulled back:
 * the top comment says why that is valid).  stamp: per tensor, all -1
 * (left so). */
static int32_t search_window_end(const cosma_problem_t *problem, const int32_t *order, int32_t p0, int32_t max_ops,
                                 int32_t *stamp)
{
    int32_t n = problem->n_ops, best = p0 + 1, n_tensors = 0;
    for (int32_t p1 = p0 + 1; p1 <= n && p1 - p0 <= max_ops; p1++) {
        int32_t op = order[p1 - 1];
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1]; e++)
            if (stamp[problem->operands[e]] != p0) {
                stamp[problem->operands[e]] = p0;
                n_tensors++;
            }
        if (n_tensors > SEARCH_WINDOW_TENSORS)
            break;
        best = p1;
    }
    for (int32_t p = p0; p < n && p < p0 + max_ops + 1; p++)
        for (int32_t e = problem->operand_start[order[p]]; e < problem->operand_start[order[p] + 1]; e++)
            stamp[problem->operands[e]] = -1;
    return best;
}

/* The order the searched windows cut: order's operators, each next one
 * the ready operator with the largest operand (the earliest in order on
 * ties).  The operators that fight over the scratchpad's bytes (those of
 * the big tensors) then share windows, where the small operators of the
 * cells between them would push them apart.  Any topological order
 * serves the windows' argument.  position: per operator, its index in
 * order; -1 when out of memory. */
static int big_first_order(const cosma_problem_t *problem, const int32_t *position, int32_t *out_order)
{
    int32_t n = problem->n_ops, n_ready = 0;
    int32_t *waiting = malloc(((size_t)n + 1) * sizeof(int32_t)), *ready = malloc(((size_t)n + 1) * sizeof(int32_t));
    uint64_t *largest = malloc(((size_t)n + 1) * sizeof(uint64_t));
    int failed = waiting == NULL || ready == NULL || largest == NULL;
    for (int32_t o = 0; o < n && !failed; o++) {
        waiting[o] = problem->pred_start[o + 1] - problem->pred_start[o];
        largest[o] = 0;
        for (int32_t e = problem->operand_start[o]; e < problem->operand_start[o + 1]; e++)
            if (problem->size[problem->operands[e]] > largest[o])
                largest[o] = problem->size[problem->operands[e]];
        if (waiting[o] == 0)
            ready[n_ready++] = o;
    }
    for (int32_t p = 0; p < n && !failed; p++) {
        int32_t best = 0;
        for (int32_t i = 1; i < n_ready; i++)
            if (largest[ready[i]] > largest[ready[best]] ||
                (largest[ready[i]] == largest[ready[best]] && position[ready[i]] < position[ready[best]]))
                best = i;
        int32_t op = out_order[p] = ready[best];
        ready[best] = ready[--n_ready];
        for (int32_t e = problem->succ_start[op]; e < problem->succ_start[op + 1]; e++)
            if (--waiting[problem->succs[e]] == 0)
                ready[n_ready++] = problem->succs[e];
    }
    free(waiting);
    free(ready);
    free(largest);
    return failed ? -1 : 0;
}

/* The bookkeeping of one run: which window owns (is charged with) each
 * tensor in the current range between clean positions. */
typedef struct {
    const cosma_problem_t *problem;
    const int32_t *order;
    int32_t *window_of;   /* per op */
    int32_t *position;    /* per op: its index in order */
    int32_t *owner;       /* per tensor: the window charged with it in owner_range */
    int32_t *owner_range; /* per tensor: the range owner refers to, -1 none */
    uint8_t *state;       /* per tensor: the window's entry state */
    int32_t *first, *last, *stamp; /* per tensor: scratch of window_costs_nothing */
    int32_t *used;        /* per operand (all operators): scratch of window_costs_nothing */
} windows_t;

/* Windows whose models are the same (the same operators' structure,
 * sizes and entry states, as in the repeated layers of a transformer)
 * have the same bound: each is solved once.  A signature lists, per
 * operator of the window, its predecessors inside the window (positions)
 * and its operands (local number, size, kind, entry state, produced
 * here). */
typedef struct {
    int64_t *signature;
    int32_t length;
    uint64_t bound;
    int exact; /* the search finished (the model's optimum) */
} solved_t;

typedef struct {
    solved_t *items;
    int32_t n;
    size_t cap;
    int64_t *scratch; /* the signature being built */
    size_t scratch_cap;
    int32_t *local;   /* per tensor: local number + 1 in the window, 0 none */
} solved_cache_t;

static int signature_push(solved_cache_t *c, int32_t *length, int64_t value)
{
    if (cosma_array_reserve((void **)&c->scratch, &c->scratch_cap, (size_t)*length + 1, sizeof(int64_t)) != 0)
        return -1;
    c->scratch[(*length)++] = value;
    return 0;
}

/* The signature of window order[p0..p1) with entry states ws->state into
 * c->scratch; returns its length or -1 when out of memory. */
static int32_t window_signature(solved_cache_t *c, const windows_t *ws, int32_t p0, int32_t p1)
{
    const cosma_problem_t *problem = ws->problem;
    int32_t length = 0, n_local = 0, failed = 0;
    for (int32_t p = p0; p < p1 && !failed; p++) {
        int32_t op = ws->order[p];
        for (int32_t e = problem->pred_start[op]; e < problem->pred_start[op + 1] && !failed; e++) {
            int32_t pred = problem->preds[e];
            if (ws->window_of[pred] == ws->window_of[op])
                for (int32_t q = p0; q < p; q++)
                    if (ws->order[q] == pred)
                        failed |= signature_push(c, &length, -1 - (int64_t)(q - p0));
        }
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1] && !failed; e++) {
            int32_t a = problem->operands[e];
            const cosma_tensor_t *tensor = &problem->graph->tensors[a];
            if (c->local[a] == 0)
                c->local[a] = ++n_local;
            failed |= signature_push(c, &length, c->local[a]) ||
                      signature_push(c, &length, (int64_t)problem->size[a]) ||
                      signature_push(c, &length, (int64_t)tensor->kind << 16 | (int64_t)ws->state[a] << 1 |
                                                     (tensor->producer == op));
        }
        failed |= signature_push(c, &length, INT64_MIN); /* end of the operator */
    }
    for (int32_t p = p0; p < p1; p++)
        for (int32_t e = problem->operand_start[ws->order[p]]; e < problem->operand_start[ws->order[p] + 1]; e++)
            c->local[problem->operands[e]] = 0;
    return failed ? -1 : length;
}

/* The solved window with this signature, or NULL. */
static const solved_t *cache_find(const solved_cache_t *c, int32_t length)
{
    for (int32_t i = 0; i < c->n; i++)
        if (c->items[i].length == length &&
            memcmp(c->items[i].signature, c->scratch, (size_t)length * sizeof(int64_t)) == 0)
            return &c->items[i];
    return NULL;
}

/* Remembers the bound of the window whose signature is in c->scratch
 * (out of memory only loses the reuse). */
static void cache_add(solved_cache_t *c, int32_t length, uint64_t bound, int exact)
{
    int64_t *copy = malloc(((size_t)length + 1) * sizeof(int64_t));
    if (copy == NULL || cosma_array_reserve((void **)&c->items, &c->cap, (size_t)c->n + 1, sizeof(solved_t)) != 0) {
        free(copy);
        return;
    }
    memcpy(copy, c->scratch, (size_t)length * sizeof(int64_t));
    c->items[c->n++] = (solved_t){copy, length, bound, exact};
}

static void cache_free(solved_cache_t *c)
{
    for (int32_t i = 0; i < c->n; i++)
        free(c->items[i].signature);
    free(c->items);
    free(c->scratch);
    free(c->local);
}

/* Whether an operator before position p0 (a clean position: the same
 * operators in every order) produces or reads tensor a. */
static int used_before(const windows_t *ws, int32_t a, int32_t p0)
{
    const cosma_tensor_t *tensor = &ws->problem->graph->tensors[a];
    int used = tensor->producer >= 0 && ws->position[tensor->producer] < p0;
    for (int32_t c = 0; c < tensor->n_consumers && !used; c++)
        used = ws->position[tensor->consumers[c]] < p0;
    return used;
}

/* Entry state of the operands of window w = order[p0..p1) in range
 * `range`: the window charged with a tensor is the first of the range
 * that uses it (so each tensor is charged once per range).  A charged
 * tensor w produces enters as in the whole graph's model (an output gets
 * its host copy for free); one that some operator before the range uses
 * is live when w begins, so it enters resident (kept from before, free)
 * and costs a load wherever it becomes resident again (in every order
 * that load falls in the range's steps); any other charged tensor (an
 * input or a parameter first read in the range) has its first load
 * free, the compulsory one, and every reload costs; the rest cost
 * nothing (COSMA_JOINT_FREE).  Spills are charged only where a window
 * produces the tensor. */
static void window_state(windows_t *ws, int32_t p0, int32_t p1, int32_t w, int32_t range, int32_t range_start)
{
    const cosma_problem_t *problem = ws->problem;
    for (int pass = 0; pass < 2; pass++)
        for (int32_t p = p0; p < p1; p++)
            for (int32_t e = problem->operand_start[ws->order[p]]; e < problem->operand_start[ws->order[p] + 1]; e++) {
                int32_t a = problem->operands[e];
                const cosma_tensor_t *tensor = &problem->graph->tensors[a];
                if (pass == 0 && ws->owner_range[a] != range) {
                    ws->owner_range[a] = range;
                    ws->owner[a] = w;
                }
                if (pass == 0)
                    continue;
                if (ws->owner[a] != w)
                    ws->state[a] = COSMA_JOINT_FREE | COSMA_JOINT_HOST_COPY;
                else if (tensor->producer >= 0 && ws->window_of[tensor->producer] == w)
                    ws->state[a] = tensor->kind != COSMA_TENSOR_ACTIVATION ? COSMA_JOINT_HOST_COPY : 0;
                else if (used_before(ws, a, range_start))
                    ws->state[a] = COSMA_JOINT_RESIDENT | COSMA_JOINT_HOST_COPY;
                else
                    ws->state[a] = COSMA_JOINT_HOST_COPY | COSMA_JOINT_FIRST_LOAD;
            }
}

/* Whether the window's model has a solution of cost 0 in the window's
 * own order: every charged tensor resident from its first use in the
 * window (from the start when it enters resident) to its last, every free
 * one only where used, within the budget at every step.  Then its bound
 * is 0 and the model need not be solved. */
static int window_costs_nothing(windows_t *ws, int32_t p0, int32_t p1, uint64_t budget)
{
    const cosma_problem_t *problem = ws->problem;
    int32_t *first = ws->first, *last = ws->last, *stamp = ws->stamp, *used = ws->used;
    int32_t n_used = 0;
    for (int32_t p = p0; p < p1; p++)
        for (int32_t e = problem->operand_start[ws->order[p]]; e < problem->operand_start[ws->order[p] + 1]; e++) {
            int32_t a = problem->operands[e];
            if (stamp[a] != -2) {
                stamp[a] = -2;
                first[a] = p;
                used[n_used++] = a;
            }
            last[a] = p;
        }
    for (int32_t k = 0; k < n_used; k++)
        if (ws->state[used[k]] & COSMA_JOINT_RESIDENT)
            first[used[k]] = p0 - 1; /* resident from the start */
    int fits = 1;
    for (int32_t p = p0; p < p1 && fits; p++) {
        int32_t op = ws->order[p];
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1]; e++)
            stamp[problem->operands[e]] = p;
        uint64_t live = cosma_problem_working_set(problem, op);
        for (int32_t k = 0; k < n_used; k++) {
            int32_t a = used[k];
            if (!(ws->state[a] & COSMA_JOINT_FREE) && first[a] < p && last[a] > p && stamp[a] != p)
                live += problem->size[a];
        }
        fits = live <= budget;
    }
    for (int32_t k = 0; k < n_used; k++)
        stamp[used[k]] = -1;
    return fits;
}

/* The bound of one window's model (0 when it proves none or fails). */
static cosma_status_t window_solve(const cosma_problem_t *problem, const cosma_window_bound_options_t *options,
                                   cosma_joint_window_t *window, int32_t *scratch, uint64_t *out_bound,
                                   cosma_diag_t *diag)
{
    cosma_joint_options_t joint;
    cosma_joint_options_init(&joint);
    joint.budget = options->budget;
    joint.time_limit = options->deadline - cosma_clock_seconds();
    joint.node_limit = options->node_limit;
    /* Sized without entry states, which can lengthen residency windows. */
    joint.max_columns = WINDOW_COLUMNS_SLACK * options->window_columns;
    joint.window = window;
    *out_bound = 0;
    if (!(joint.time_limit > 0))
        return COSMA_OK; /* a limit of 0 or less is none to GLPK */
    cosma_status_t status = cosma_joint_solve(problem, &joint, scratch, out_bound, diag);
    return status == COSMA_ERR_NOMEM ? status : COSMA_OK;
}

/* Cuts the order into windows sized by their models' columns (for
 * GLPK): starts[0..n_windows], window_of. */
static int32_t cut_windows(windows_t *ws, int64_t max_columns, const uint8_t *clean, int32_t *starts)
{
    int32_t n = ws->problem->n_ops, n_windows = 0;
    for (int32_t p0 = 0; p0 < n; p0 = starts[n_windows]) {
        starts[n_windows++] = p0;
        starts[n_windows] = window_end(ws->problem, ws->order, p0, max_columns, clean, ws->state);
        for (int32_t p = p0; p < starts[n_windows]; p++)
            ws->window_of[ws->order[p]] = n_windows - 1;
    }
    return n_windows;
}

/* One cut's solver: the window's joint model by GLPK, or by the search
 * with what is left of its states. */
typedef struct {
    const cosma_window_bound_options_t *options;
    int search;
    int64_t states_left;
    int32_t *scratch;
    cosma_diag_t *diag;
} window_solver_t;

static cosma_status_t solver_bound(window_solver_t *solver, const cosma_problem_t *problem,
                                   cosma_joint_window_t *window, uint64_t *out_bound, int *out_exact)
{
    *out_exact = 0;
    if (!solver->search)
        return window_solve(problem, solver->options, window, solver->scratch, out_bound, solver->diag);
    int64_t states = solver->states_left < SEARCH_WINDOW_STATES ? solver->states_left : SEARCH_WINDOW_STATES;
    *out_bound = 0;
    /* The clock is only a guard: past the deadline the caller's phase is
     * reported as stopped by the time limit (plan.c), and the windows not
     * searched count 0 (still a bound). */
    if (states <= 0 || cosma_clock_seconds() >= solver->options->deadline)
        return COSMA_OK;
    int64_t used = 0;
    cosma_status_t status =
        cosma_region_search_bound(problem, window, solver->options->budget, states, out_bound, out_exact, &used);
    solver->states_left -= used; /* what the search made, not its allowance */
    return status;
}

/* The bound of window w = order[p0..p1), its entry states set: 0 when
 * it costs nothing, a solved twin's, or its solver's (*out_exact: the
 * model's optimum, or 0 as a 0 is for a window that costs nothing). */
static cosma_status_t window_bound_of(windows_t *ws, solved_cache_t *cache, int32_t p0, int32_t p1,
                                      window_solver_t *solver, cosma_window_bound_stats_t *stats,
                                      uint64_t *out_bound, int *out_exact)
{
    cosma_joint_window_t window = {.ops = ws->order + p0, .n_ops = p1 - p0, .state = ws->state};
    cosma_status_t status = COSMA_OK;
    *out_bound = 0;
    *out_exact = 0;
    int32_t length = window_signature(cache, ws, p0, p1);
    const solved_t *solved = length >= 0 ? cache_find(cache, length) : NULL;
    if (window_costs_nothing(ws, p0, p1, solver->options->budget)) {
        stats->n_free++;
        *out_exact = 1;
    } else if (solved != NULL) {
        *out_bound = solved->bound;
        *out_exact = solved->exact;
        stats->n_reused++;
    } else if ((status = solver_bound(solver, ws->problem, &window, out_bound, out_exact)) == COSMA_OK && length >= 0)
        cache_add(cache, length, *out_bound, *out_exact);
    return status;
}

/* Starts a cut's bookkeeping: no tensor owned, every stamp -1. */
static void windows_reset(windows_t *ws)
{
    for (int32_t a = 0; a < ws->problem->n_tensors; a++)
        ws->owner_range[a] = ws->stamp[a] = -1;
    for (int32_t o = 0; o < ws->problem->n_ops; o++)
        ws->window_of[o] = -1;
}

/* The sum of the windows' bounds of one cut (the top comment's argument). */
static cosma_status_t windows_sum(windows_t *ws, const int32_t *starts, int32_t n_windows, const uint8_t *clean,
                                  window_solver_t *solver, cosma_window_bound_stats_t *stats, uint64_t *out_sum)
{
    const cosma_problem_t *problem = ws->problem;
    solved_cache_t cache = {.local = calloc((size_t)problem->n_tensors + 1, sizeof(int32_t))};
    cosma_status_t status = cache.local == NULL ? COSMA_ERR_NOMEM : COSMA_OK;
    for (int32_t a = 0; a < problem->n_tensors; a++)
        ws->owner_range[a] = ws->stamp[a] = -1;
    *out_sum = 0;
    for (int32_t w = 0, range = -1, range_start = 0; w < n_windows && status == COSMA_OK; w++) {
        if (clean[starts[w]]) {
            range++;
            range_start = starts[w];
        }
        window_state(ws, starts[w], starts[w + 1], w, range, range_start);
        uint64_t bound = 0;
        int exact = 0;
        status = window_bound_of(ws, &cache, starts[w], starts[w + 1], solver, stats, &bound, &exact);
        *out_sum += bound;
        stats->n_bounded += bound > 0;
    }
    stats->n_windows += n_windows;
    cache_free(&cache);
    return status;
}

/* Takes back a tried window w = order[p0..p1) of range `range`: its
 * operators belong to no window, and the tensors it was the first of the
 * range to use (owner w) to none, as before it was tried. */
static void window_untry(windows_t *ws, int32_t p0, int32_t p1, int32_t w, int32_t range)
{
    const cosma_problem_t *problem = ws->problem;
    for (int32_t p = p0; p < p1; p++) {
        int32_t op = ws->order[p];
        ws->window_of[op] = -1;
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1]; e++)
            if (ws->owner_range[problem->operands[e]] == range && ws->owner[problem->operands[e]] == w)
                ws->owner_range[problem->operands[e]] = -1;
    }
}

/* The searched cut: consecutive windows of the order, each the largest of
 * search_window_sizes whose search finishes (the last size when none
 * does), summed.  Any cut into consecutive windows is one the top
 * comment's argument covers, whatever decided the windows' ends: the
 * windows tried and taken back leave nothing behind (window_untry). */
static cosma_status_t search_windows_sum(windows_t *ws, const uint8_t *clean, window_solver_t *solver,
                                         cosma_window_bound_stats_t *stats, uint64_t *out_sum)
{
    const cosma_problem_t *problem = ws->problem;
    enum { N_SIZES = sizeof search_window_sizes / sizeof search_window_sizes[0] };
    int32_t one_size = solver->options->search_window_ops;
    const int32_t *sizes = one_size > 0 ? &one_size : search_window_sizes;
    int32_t n_sizes = one_size > 0 ? 1 : N_SIZES;
    solved_cache_t cache = {.local = calloc((size_t)problem->n_tensors + 1, sizeof(int32_t))};
    cosma_status_t status = cache.local == NULL ? COSMA_ERR_NOMEM : COSMA_OK;
    windows_reset(ws);
    *out_sum = 0;
    int32_t n = problem->n_ops, w = 0;
    for (int32_t p0 = 0, range = -1, range_start = 0, p1 = 0; p0 < n && status == COSMA_OK; p0 = p1, w++) {
        if (clean[p0]) {
            range++;
            range_start = p0;
        }
        uint64_t bound = 0;
        p1 = p0;
        for (int32_t i = 0; i < n_sizes && status == COSMA_OK; i++) {
            int32_t end = search_window_end(problem, ws->order, p0, sizes[i], ws->stamp);
            if (end == p1)
                continue; /* the same window as the larger size's (its tensors' limit) */
            if (p1 > p0)
                window_untry(ws, p0, p1, w, range);
            p1 = end;
            for (int32_t p = p0; p < p1; p++)
                ws->window_of[ws->order[p]] = w;
            window_state(ws, p0, p1, w, range, range_start);
            int exact = 0;
            status = window_bound_of(ws, &cache, p0, p1, solver, stats, &bound, &exact);
            if (exact)
                break;
        }
        *out_sum += bound;
        stats->n_bounded += bound > 0;
    }
    stats->n_windows += w;
    cache_free(&cache);
    return status;
}

cosma_status_t cosma_window_bound(const cosma_problem_t *problem, const int32_t *order,
                                  const cosma_window_bound_options_t *options, uint64_t *out_bound,
                                  cosma_window_bound_stats_t *out_stats, cosma_diag_t *diag)
{
    int32_t n = problem->n_ops, m = problem->n_tensors;
    windows_t ws = {.problem = problem,
                    .order = order,
                    .window_of = malloc(((size_t)n + 1) * sizeof(int32_t)),
                    .position = malloc(((size_t)n + 1) * sizeof(int32_t)),
                    .owner = malloc(((size_t)m + 1) * sizeof(int32_t)),
                    .owner_range = malloc(((size_t)m + 1) * sizeof(int32_t)),
                    .state = calloc((size_t)m + 1, 1),
                    .first = malloc(((size_t)m + 1) * sizeof(int32_t)),
                    .last = malloc(((size_t)m + 1) * sizeof(int32_t)),
                    .stamp = malloc(((size_t)m + 1) * sizeof(int32_t)),
                    .used = malloc(((size_t)problem->operand_start[n] + 1) * sizeof(int32_t))};
    int32_t *starts = malloc(((size_t)n + 2) * sizeof(int32_t));
    int32_t *scratch = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *search_order = malloc(((size_t)n + 1) * sizeof(int32_t));
    uint8_t *clean = malloc((size_t)n + 1);
    cosma_window_bound_stats_t stats = {0};
    cosma_status_t status = COSMA_ERR_NOMEM;
    *out_bound = 0;
    if (n > WINDOW_BOUND_MAX_OPS) {
        status = COSMA_OK;
        goto done;
    }
    if (ws.first == NULL || ws.last == NULL || ws.stamp == NULL || ws.used == NULL || ws.window_of == NULL ||
        ws.position == NULL || ws.owner == NULL || ws.owner_range == NULL || ws.state == NULL || starts == NULL ||
        scratch == NULL || search_order == NULL || clean == NULL || clean_positions(problem, order, clean) != 0)
        goto done;
    for (int32_t p = 0; p < n; p++)
        ws.position[order[p]] = p;
    for (int32_t a = 0; a < m; a++)
        ws.stamp[a] = -1;
    /* Two cuts of the same order: windows sized by their models' columns
     * for GLPK, then longer windows for the search (bound_region.c).  Each
     * sum bounds every plan; the larger is the bound. */
    window_solver_t solver = {.options = options, .states_left = SEARCH_TOTAL_STATES, .scratch = scratch, .diag = diag};
    status = COSMA_OK;
    for (solver.search = 0; solver.search <= 1 && status == COSMA_OK; solver.search++) {
        if (solver.search) {
            if (big_first_order(problem, ws.position, search_order) != 0 ||
                clean_positions(problem, search_order, clean) != 0) {
                status = COSMA_ERR_NOMEM;
                break;
            }
            ws.order = search_order;
            for (int32_t p = 0; p < n; p++)
                ws.position[search_order[p]] = p;
        }
        uint64_t sum = 0;
        if (solver.search)
            status = search_windows_sum(&ws, clean, &solver, &stats, &sum);
        else
            status = windows_sum(&ws, starts, cut_windows(&ws, options->window_columns, clean, starts), clean,
                                 &solver, &stats, &sum);
        if (sum > *out_bound)
            *out_bound = sum;
    }
done:
    if (out_stats != NULL)
        *out_stats = stats;
    free(ws.window_of);
    free(ws.position);
    free(ws.owner);
    free(ws.owner_range);
    free(ws.state);
    free(ws.first);
    free(ws.last);
    free(ws.stamp);
    free(ws.used);
    free(starts);
    free(scratch);
    free(search_order);
    free(clean);
    return status;
}
