/* problem.c: the graph flattened for planning (sizes, operands, operator
 * adjacency) and order-independent facts derived from it. */
#include <stdlib.h>
#include <string.h>

#include <cosma/ilp.h>
#include "planner_internal.h"

void cosma_problem_free(cosma_problem_t *problem)
{
    free(problem->size);
    free(problem->operand_start);
    free(problem->operands);
    free(problem->n_inputs_planned);
    free(problem->pred_start);
    free(problem->preds);
    free(problem->succ_start);
    free(problem->succs);
    memset(problem, 0, sizeof *problem);
}

/* Builds the CSR lists of distinct predecessor operators, then inverts
 * them into successor lists. */
static int build_adjacency(cosma_problem_t *problem)
{
    const cosma_graph_t *graph = problem->graph;
    int32_t n = problem->n_ops;
    int32_t total = 0;
    for (int32_t c = 0; c < n; c++)
        total += graph->ops[c].n_inputs;
    problem->pred_start = calloc((size_t)n + 1, sizeof(int32_t));
    problem->preds = malloc(((size_t)total + 1) * sizeof(int32_t));
    problem->succ_start = calloc((size_t)n + 2, sizeof(int32_t));
    problem->succs = malloc(((size_t)total + 1) * sizeof(int32_t));
    int32_t *mark = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *fill = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (problem->pred_start == NULL || problem->preds == NULL || problem->succ_start == NULL ||
        problem->succs == NULL || mark == NULL || fill == NULL) {
        free(mark);
        free(fill);
        return -1;
    }
    for (int32_t o = 0; o < n; o++)
        mark[o] = -1;
    int32_t at = 0;
    for (int32_t c = 0; c < n; c++) {
        problem->pred_start[c] = at;
        const cosma_op_t *op = &graph->ops[c];
        for (int32_t i = 0; i < op->n_inputs; i++) {
            int32_t t = op->inputs[i];
            int32_t p = t >= 0 ? graph->tensors[t].producer : -1;
            if (p < 0 || mark[p] == c)
                continue;
            mark[p] = c;
            problem->preds[at++] = p;
            problem->succ_start[p + 1]++;
        }
    }
    problem->pred_start[n] = at;
    for (int32_t o = 0; o < n; o++)
        problem->succ_start[o + 1] += problem->succ_start[o];
    memcpy(fill, problem->succ_start, (size_t)n * sizeof(int32_t));
    for (int32_t c = 0; c < n; c++) /* ascending c keeps successor lists sorted */
        for (int32_t k = problem->pred_start[c]; k < problem->pred_start[c + 1]; k++)
            problem->succs[fill[problem->preds[k]]++] = c;
    free(mark);
    free(fill);
    return 0;
}

cosma_status_t cosma_problem_init(cosma_problem_t *problem, const cosma_graph_t *graph, const cosma_mode_t *mode,
                                  cosma_diag_t *diag)
{
    memset(problem, 0, sizeof *problem);
    problem->graph = graph;
    problem->mode = *mode;
    problem->n_ops = graph->n_ops;
    problem->n_tensors = graph->n_tensors;
    int32_t n = graph->n_ops;
    problem->size = calloc((size_t)graph->n_tensors + 1, sizeof(uint64_t));
    problem->operand_start = calloc((size_t)n + 1, sizeof(int32_t));
    problem->n_inputs_planned = calloc((size_t)n + 1, sizeof(int32_t));
    int32_t total = 0;
    for (int32_t o = 0; o < n; o++)
        total += graph->ops[o].n_inputs + graph->ops[o].n_outputs;
    problem->operands = malloc(((size_t)total + 1) * sizeof(int32_t));
    if (problem->size == NULL || problem->operand_start == NULL || problem->operands == NULL ||
        problem->n_inputs_planned == NULL) {
        cosma_problem_free(problem);
        return COSMA_ERR_NOMEM;
    }
    cosma_status_t status = cosma_graph_sizes(graph, mode, problem->size, diag);
    if (status != COSMA_OK) {
        cosma_problem_free(problem);
        return status;
    }
    int32_t at = 0;
    for (int32_t o = 0; o < n; o++) {
        problem->operand_start[o] = at;
        int32_t count = cosma_op_operands(graph, o, mode, problem->operands + at);
        int32_t inputs = 0;
        for (int32_t k = 0; k < count; k++) {
            int32_t t = problem->operands[at + k];
            if (graph->tensors[t].producer != o)
                inputs++;
        }
        problem->n_inputs_planned[o] = inputs;
        at += count;
    }
    problem->operand_start[n] = at;
    if (build_adjacency(problem) != 0) {
        cosma_problem_free(problem);
        return COSMA_ERR_NOMEM;
    }
    return COSMA_OK;
}

int cosma_problem_op_is_source(const cosma_problem_t *problem, int32_t op)
{
    return problem->pred_start[op + 1] == problem->pred_start[op];
}

uint64_t cosma_problem_working_set(const cosma_problem_t *problem, int32_t op)
{
    uint64_t need = 0;
    for (int32_t k = problem->operand_start[op]; k < problem->operand_start[op + 1]; k++)
        need += problem->size[problem->operands[k]];
    return need;
}

typedef uint64_t word_t;

/* Whether op reads tensor (consumer lists are sorted ascending). */
static int reads(const cosma_tensor_t *tensor, int32_t op)
{
    int32_t lo = 0, hi = tensor->n_consumers - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (tensor->consumers[mid] == op)
            return 1;
        if (tensor->consumers[mid] < op)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

void cosma_problem_closure(const cosma_problem_t *problem, uint64_t *anc, uint64_t *desc, size_t words)
{
    int32_t n = problem->n_ops;
    /* The default order is topological: one pass each way. */
    for (int32_t o = 0; o < n; o++)
        for (int32_t k = problem->pred_start[o]; k < problem->pred_start[o + 1]; k++) {
            int32_t p = problem->preds[k];
            for (size_t w = 0; w < words; w++)
                anc[(size_t)o * words + w] |= anc[(size_t)p * words + w];
            anc[(size_t)o * words + (size_t)p / 64] |= (word_t)1 << (p % 64);
        }
    for (int32_t o = n - 1; o >= 0; o--)
        for (int32_t k = problem->succ_start[o]; k < problem->succ_start[o + 1]; k++) {
            int32_t s = problem->succs[k];
            for (size_t w = 0; w < words; w++)
                desc[(size_t)o * words + w] |= desc[(size_t)s * words + w];
            desc[(size_t)o * words + (size_t)s / 64] |= (word_t)1 << (s % 64);
        }
}

int cosma_problem_closure_affordable(const cosma_problem_t *problem)
{
    uint64_t words = ((uint64_t)problem->n_ops + 63) / 64;
    return 2 * (uint64_t)problem->n_ops * words * sizeof(word_t) <= COSMA_CLOSURE_MAX_BYTES;
}

static int has(const word_t *set, int32_t i)
{
    return (int)((set[(size_t)i / 64] >> (i % 64)) & 1u);
}

int cosma_problem_forced_at(const cosma_tensor_t *tensor, int32_t op, const uint64_t *anc, const uint64_t *desc,
                            size_t words)
{
    const word_t *op_anc = anc + (size_t)op * words;
    int after_start = tensor->producer >= 0 ? has(op_anc, tensor->producer) : 0;
    int before_reader = 0;
    for (int32_t c = 0; c < tensor->n_consumers; c++) {
        int32_t reader = tensor->consumers[c];
        if (tensor->producer < 0 && has(op_anc, reader))
            after_start = 1;
        if (has(desc + (size_t)op * words, reader))
            before_reader = 1;
    }
    return after_start && before_reader;
}

uint64_t cosma_problem_forced_live(const cosma_problem_t *problem, uint64_t *out_forced_host,
                                   uint64_t *out_forced_activation)
{
    const cosma_graph_t *graph = problem->graph;
    int32_t n = problem->n_ops;
    if (!cosma_problem_closure_affordable(problem)) {
        /* Too large for the closure: the operands alone, still a bound. */
        uint64_t largest = 0;
        for (int32_t o = 0; o < n; o++) {
            uint64_t need = cosma_problem_working_set(problem, o);
            largest = need > largest ? need : largest;
            if (out_forced_host != NULL)
                out_forced_host[o] = 0;
            if (out_forced_activation != NULL)
                out_forced_activation[o] = 0;
        }
        return largest;
    }
    size_t words = ((size_t)n + 63) / 64;
    word_t *anc = calloc((size_t)n * words + 1, sizeof(word_t));  /* anc[o]: strict ancestors */
    word_t *desc = calloc((size_t)n * words + 1, sizeof(word_t)); /* desc[o]: strict descendants */
    word_t *lo = calloc(words + 1, sizeof(word_t)), *hi = calloc(words + 1, sizeof(word_t));
    uint64_t *forced = calloc((size_t)n + 1, sizeof(uint64_t));
    uint64_t *forced_act = calloc((size_t)n + 1, sizeof(uint64_t));
    uint64_t best = 0;
    if (anc == NULL || desc == NULL || lo == NULL || hi == NULL || forced == NULL || forced_act == NULL)
        goto done;
    cosma_problem_closure(problem, anc, desc, words);
    for (int32_t t = 0; t < problem->n_tensors; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        if (problem->size[t] == 0 || tensor->n_consumers == 0)
            continue;
        /* Live at o in every order if o comes after its start and before
         * some reader: lo = after the producer (or after some reader, for
         * tensors loaded at first use), hi = before some reader. */
        memset(lo, 0, words * sizeof(word_t));
        memset(hi, 0, words * sizeof(word_t));
        if (tensor->producer >= 0)
            memcpy(lo, desc + (size_t)tensor->producer * words, words * sizeof(word_t));
        for (int32_t c = 0; c < tensor->n_consumers; c++) {
            int32_t reader = tensor->consumers[c];
            for (size_t w = 0; w < words; w++) {
                hi[w] |= anc[(size_t)reader * words + w];
                if (tensor->producer < 0)
                    lo[w] |= desc[(size_t)reader * words + w];
            }
        }
        for (size_t w = 0; w < words; w++) {
            word_t both = lo[w] & hi[w];
            while (both != 0) {
                int bit = __builtin_ctzll(both);
                both &= both - 1;
                int32_t o = (int32_t)(w * 64 + (size_t)bit);
                if (reads(tensor, o)) /* operands are counted below */
                    continue;
                if (tensor->kind == COSMA_TENSOR_ACTIVATION)
                    forced_act[o] += problem->size[t];
                else
                    forced[o] += problem->size[t];
            }
        }
    }
    for (int32_t o = 0; o < n; o++) {
        uint64_t live = forced[o] + forced_act[o] + cosma_problem_working_set(problem, o);
        if (live > best)
            best = live;
        if (out_forced_host != NULL)
            out_forced_host[o] = forced[o];
        if (out_forced_activation != NULL)
            out_forced_activation[o] = forced_act[o];
    }
done:
    free(anc);
    free(desc);
    free(lo);
    free(hi);
    free(forced);
    free(forced_act);
    return best;
}

uint64_t cosma_gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* The order-independent lower bound.  At every operator o, in any order,
 * its operands and the tensors forced live across it (F(o)) compete for
 * the budget; the excess must be evicted.  A forced tensor that is not
 * resident at o is read again later, so it costs at least one reload, and
 * an activation also its one spill.  Letting one eviction of a tensor
 * count for every operator it is forced across gives a covering problem
 *
 *   min sum_a cost(a) e_a   s.t.  sum_{a in F(o)} size(a) e_a >= excess(o)
 *
 * whose optimum (or any proven bound of it) is a valid lower bound on the
 * non-compulsory traffic of every plan, whatever its order. */
uint64_t cosma_problem_traffic_lower_bound(const cosma_problem_t *problem, uint64_t budget, double time_limit,
                                           int64_t node_limit, cosma_diag_t *diag)
{
    const cosma_graph_t *graph = problem->graph;
    int32_t n = problem->n_ops, m = problem->n_tensors;
    if (!cosma_problem_closure_affordable(problem))
        return 0; /* no bound from this analysis (0 is valid) */
    size_t words = ((size_t)n + 63) / 64;
    word_t *anc = calloc((size_t)n * words + 1, sizeof(word_t));
    word_t *desc = calloc((size_t)n * words + 1, sizeof(word_t));
    int32_t *column = malloc(((size_t)m + 1) * sizeof(int32_t));
    int32_t *members = malloc(((size_t)m + 1) * sizeof(int32_t));
    double *sizes = malloc(((size_t)m + 1) * sizeof(double));
    cosma_milp_t *milp = cosma_milp_create("cosma_joint_bound");
    uint64_t bound = 0, unit = 0;
    if (anc == NULL || desc == NULL || column == NULL || members == NULL || sizes == NULL || milp == NULL)
        goto done;
    cosma_problem_closure(problem, anc, desc, words);
    for (int32_t t = 0; t < m; t++)
        column[t] = -1;
    /* Pass 1: the unit (gcd of sizes involved); pass 2: the model. */
    for (int pass = 0; pass < 2; pass++) {
        for (int32_t o = 0; o < n; o++) {
            uint64_t live = cosma_problem_working_set(problem, o);
            int32_t count = 0;
            for (int32_t t = 0; t < m; t++) {
                const cosma_tensor_t *tensor = &graph->tensors[t];
                if (problem->size[t] == 0 || tensor->n_consumers == 0 || reads(tensor, o) ||
                    !cosma_problem_forced_at(tensor, o, anc, desc, words))
                    continue;
                live += problem->size[t];
                members[count++] = t;
            }
            if (live <= budget)
                continue;
            if (pass == 0) {
                for (int32_t k = 0; k < count; k++)
                    unit = cosma_gcd_u64(unit, problem->size[members[k]]);
                unit = cosma_gcd_u64(unit, live - budget);
                continue;
            }
            for (int32_t k = 0; k < count; k++) {
                int32_t t = members[k];
                if (column[t] < 0) {
                    uint64_t factor = graph->tensors[t].kind == COSMA_TENSOR_ACTIVATION ? 2 : 1;
                    column[t] = cosma_milp_add_col(milp, graph->tensors[t].name, 0, 1,
                                                   (double)(factor * (problem->size[t] / unit)), 1);
                    if (column[t] < 0)
                        goto done;
                }
                members[k] = column[t];
                sizes[k] = (double)(problem->size[t] / unit);
            }
            /* excess / unit is whole: unit divides it */
            if (cosma_milp_add_row(milp, graph->ops[o].name, (double)((live - budget) / unit), COSMA_MILP_INF, count,
                                   members, sizes) < 0)
                goto done;
        }
        if (unit == 0)
            goto done; /* no operator exceeds the budget in any order */
    }
    /* safe_cuts: a cut too deep (GLPK's Gomory and MIR cuts together have
     * cut off every integer point of a feasible model, place.c) would make
     * this bound too high. */
    cosma_milp_options_t options = {
        .time_limit = time_limit, .objective_step = 1, .node_limit = node_limit, .safe_cuts = 1};
    cosma_milp_result_t result;
    if (cosma_milp_solve(milp, &options, &result, diag) == COSMA_OK) {
        if (result.bound > 0)
            bound = (uint64_t)(result.bound + 0.5) * unit;
        free(result.values);
    }
done:
    cosma_milp_destroy(milp);
    free(anc);
    free(desc);
    free(column);
    free(members);
    free(sizes);
    return bound;
}

/* Whether a tensor can be resident at a step without being its operand:
 * it has uses at two distinct steps in some order (a producer and a
 * reader, or two readers). */
static int can_span_a_step(const cosma_tensor_t *tensor)
{
    return tensor->n_consumers >= (tensor->producer >= 0 ? 1 : 2);
}

/* At the step of any order where the zero-spill live bytes reach the
 * minimum peak (at least m_p_lower), at most `budget` bytes are resident,
 * so tensors of at least excess = m_p_lower - budget bytes are live but
 * not resident there: none is an operand of that step, each is evicted
 * between two of its uses and loaded again (its size), and an activation
 * is also spilled once (its size again).  Only tensors with a host copy
 * (inputs, parameters, outputs) that can span a step escape the spill,
 * and there are `host` bytes of them, so every plan moves at least
 * max(excess, 2 excess - host) bytes. */
uint64_t cosma_problem_peak_excess_bound(const cosma_problem_t *problem, uint64_t m_p_lower, uint64_t budget)
{
    if (m_p_lower <= budget)
        return 0;
    uint64_t excess = m_p_lower - budget, host = 0;
    for (int32_t t = 0; t < problem->n_tensors && host < excess; t++) {
        const cosma_tensor_t *tensor = &problem->graph->tensors[t];
        if (problem->size[t] > 0 && tensor->kind != COSMA_TENSOR_ACTIVATION && can_span_a_step(tensor))
            host += problem->size[t];
    }
    return host < excess ? 2 * excess - host : excess;
}

int cosma_problem_order_is_unique(const cosma_problem_t *problem)
{
    /* Unique iff each operator of the (topological) default order depends
     * directly on the one before it. */
    for (int32_t o = 1; o < problem->n_ops; o++) {
        int linked = 0;
        for (int32_t k = problem->pred_start[o]; k < problem->pred_start[o + 1] && !linked; k++)
            linked = problem->preds[k] == o - 1;
        if (!linked)
            return 0;
    }
    return 1;
}
