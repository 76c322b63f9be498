/* bound_cut.c: an order-free lower bound on the traffic from the operators
 * whose working set leaves little room in the scratchpad (the "cut"
 * bound; docs/planner.md, section 3, item 7).
 *
 * Why it is valid.  Take any plan.  Call a tensor evicted (e_t = 1) when
 * the plan takes it out of the scratchpad at some step while a later step
 * still reads it; it is then loaded again (its size), and an activation,
 * which has no host copy, is spilled first (its size again, once): the
 * plan's traffic is at least sum_t c(t) e_t with c(t) = 2 size(t) for an
 * activation and size(t) otherwise.  A tensor that is never evicted is
 * resident at every step from its start (its producer; for an input or a
 * parameter, its first reader) to its last reader.  At the step of an
 * operator o, the operators before o form a downset D of the graph (it
 * holds o's ancestors and none of o's descendants); a tensor that is not
 * an operand of o, starts in D and has a reader outside D + {o}, is live
 * across o; the live tensors that were never evicted are resident there,
 * beside o's operands, within the budget.  So the plan gives a solution
 * of the model below (x_{o,v} = [v runs before o], e_t as defined), and
 * the model's optimum, or any bound GLPK proves for it, is at most the
 * plan's traffic, whatever its order, placement or relocations (a
 * relocation is an eviction: it only raises the plan's side).  For a
 * selected set of operators o (those with the least room left):
 *
 *   min sum_t c(t) e_t
 *   x_{o,u} >= x_{o,v}       for each edge u -> v between operators free
 *                            for o (neither ancestor nor descendant)
 *   x = 1 on o's ancestors, 0 on o itself and its descendants
 *   live_{o,t} >= S_{o,t} - x_{o,r}  for each reader r of t, where S is
 *                            x at t's producer, or for a tensor without
 *                            one a variable s >= x at each of its readers
 *   e_t >= live_{o,t}        when size(t) > slack(o) = budget - W(o): such
 *                            a tensor never fits beside o's operands
 *   kept_{o,t} >= live_{o,t} - e_t, sum_t size(t) kept_{o,t} <= slack(o)
 *                            (the others), and in counts: of those of at
 *                            least size z, at most floor(slack(o) / z)
 *   x_{a,b} + x_{b,a} = 1    for two selected operators a, b of which
 *                            neither precedes the other in every order
 *
 * with 0 <= x, e, kept <= 1: the bound is this linear program's optimum
 * (its columns are not integral: GLPK's branching and feasibility pump
 * took seconds on these models without raising the bound much), so the
 * work is one simplex solve of at most CUT_MAX_COLUMNS columns and
 * CUT_MAX_OPS operators, the same on every machine; the clock is only a
 * guard.  Each operator picks its own downset (a relaxation: a real
 * order makes them nested), but one eviction of a tensor pays for every
 * selected operator it is evicted across, and the pair rows tie two
 * operators' choices together.  Operators placed freely (the
 * Transformer decoder's Split/Transpose of a parameter, which float
 * across the whole decoder) are what the covering ILP (problem.c)
 * cannot see: wherever such an operator runs, some tensor of every path
 * from its ancestors to its descendants is live across it, and with no
 * room left that tensor is out.  Reloads beyond the first (a tensor out
 * at several selected steps with some read between each two) are the
 * reload chains of add_chains and the sums of add_ordered_sum, whose
 * comments say why each row holds in every plan. */
#include <stdlib.h>
#include <string.h>

#include <cosma/ilp.h>
#include "planner_internal.h"

typedef uint64_t word_t;

/* The model's size limit: the selected operators (least room first) are
 * taken while their columns fit. */
enum { CUT_PICK_OPS = 12, CUT_MAX_COLUMNS = 16000, CUT_COUNT_LEVELS = 8 };
/* The split's cases pick CUT_EXTRA_PICKS operators more (pick_operators),
 * its case A (every pinned tensor kept) CUT_EXTRA_PICKS_KEPT: there the
 * pinned precedences fix most downsets, so its program stays small.  On
 * the Transformer at M_Hp case A needs the feed-forward MatMul pairs of
 * the decoder layers, whose room the next layer's Q slice would take:
 * with the first layer's pair 395,776, with four 397,312, with five (10)
 * 398,848 = the plan (11 s), with 12 the same in 20 s.  CUT_MAX_OPS
 * bounds the arrays. */
enum { CUT_EXTRA_PICKS = 2, CUT_EXTRA_PICKS_KEPT = 10, CUT_MAX_OPS = CUT_PICK_OPS + CUT_EXTRA_PICKS_KEPT };
/* Reload chains run over CUT_CHAIN_CLASSES of the smallest slacks in
 * every combination and over CUT_CHAIN_LEVELS "at most k of its size fit"
 * levels (add_chains), at most CUT_MAX_SEQUENCES distinct sequences. */
enum { CUT_CHAIN_CLASSES = 3, CUT_CHAIN_LEVELS = 1, CUT_MAX_SEQUENCES = 2 + CUT_CHAIN_LEVELS + (1 << CUT_CHAIN_CLASSES) };
/* The split's integer programs: branch-and-bound nodes (each case's bound
 * is GLPK's proven one at that limit, its work fixed). */
enum { CUT_NODES_KEPT = 200, CUT_NODES_GROUPS = 30 };

/* x_{o,v} seen from operator o: a column, or the constant 1 (an ancestor)
 * or 0 (o itself or a descendant). */
typedef struct {
    int32_t col;  /* >= 0: a column */
    int constant; /* when col < 0 */
} term_t;

typedef struct {
    const cosma_problem_t *problem;
    const cosma_pinned_order_t *pinned; /* the pinned case: its closure, edges, e_t = 0 */
    cosma_milp_t *milp;
    word_t *anc, *desc; /* closure: n_ops rows of `words` words */
    size_t words;
    uint64_t budget, unit;
    int32_t *x_col;     /* per op: column of x_{o,v}, -1 when fixed (the current block) */
    int32_t *x_all;     /* per picked op k: its block's x columns, n_ops each */
    int32_t *n_all;     /* per picked op k: per tensor, the column of "live and
                           out" (-1 none), n_tensors each */
    int32_t *n_chain;   /* per tensor: picked operators where it may be live
                           (out columns only when >= 2, see count_chains) */
    int32_t *e_col;     /* per tensor: column of e_t, -1 none yet */
    uint8_t *operand;   /* per tensor: an operand of the current op */
    int32_t *row_cols;  /* scratch of one row */
    double *row_vals;
    int32_t row_cap;
    int failed;
    int integer;          /* e, out and kept integer (the split's cases) */
    const uint8_t *heavy; /* the pinned tensors of the split's cases, for the extra picks */
    int32_t extra_picks;  /* how many (CUT_EXTRA_PICKS or CUT_EXTRA_PICKS_KEPT) */
} cut_t;

static int has(const word_t *set, int32_t i)
{
    return (int)((set[(size_t)i / 64] >> (i % 64)) & 1u);
}

static term_t x_term(const cut_t *c, int32_t o, int32_t v)
{
    if (c->x_col[v] >= 0)
        return (term_t){c->x_col[v], 0};
    return (term_t){-1, has(c->anc + (size_t)o * c->words, v)};
}

/* Whether a tensor can be live across a step that does not use it: a
 * producer and a reader, or two readers. */
static int can_span(const cosma_problem_t *problem, int32_t t)
{
    const cosma_tensor_t *tensor = &problem->graph->tensors[t];
    return problem->size[t] > 0 && tensor->n_consumers >= (tensor->producer >= 0 ? 1 : 2);
}

static uint64_t cost_of(const cosma_problem_t *problem, int32_t t)
{
    return (problem->graph->tensors[t].kind == COSMA_TENSOR_ACTIVATION ? 2 : 1) * problem->size[t];
}

/* Whether t can be live across o in some order: it is not o's operand,
 * it can start before o (its producer, or some reader, is not o or a
 * descendant of o) and some other reader can run after o (it is not o or
 * an ancestor of o). */
static int may_be_live(const cut_t *c, int32_t o, int32_t t)
{
    const cosma_tensor_t *tensor = &c->problem->graph->tensors[t];
    const word_t *anc = c->anc + (size_t)o * c->words, *desc = c->desc + (size_t)o * c->words;
    if (c->operand[t] || !can_span(c->problem, t))
        return 0;
    if (tensor->producer >= 0 && has(desc, tensor->producer))
        return 0;
    int starts = tensor->producer >= 0, ends = 0;
    for (int32_t k = 0; k < tensor->n_consumers; k++) {
        int32_t r = tensor->consumers[k];
        if (!has(desc, r))
            starts = 1;
        if (!has(anc, r))
            ends = 1;
    }
    return starts && ends;
}

static void mark_operands(cut_t *c, int32_t o, uint8_t value)
{
    const cosma_problem_t *p = c->problem;
    for (int32_t k = p->operand_start[o]; k < p->operand_start[o + 1]; k++)
        c->operand[p->operands[k]] = value;
}

/* The room o's operands leave. */
static uint64_t slack_of(const cut_t *c, int32_t o)
{
    uint64_t need = cosma_problem_working_set(c->problem, o);
    return need < c->budget ? c->budget - need : 0;
}

/* Bytes that may be live across o: when they fit the slack, o says
 * nothing.  *out_columns: the columns o's block would add (an upper
 * estimate: free operators and one or two per tensor). */
static uint64_t potential_live(cut_t *c, int32_t o, int64_t *out_columns)
{
    const cosma_problem_t *p = c->problem;
    uint64_t live = 0;
    int64_t columns = 0;
    mark_operands(c, o, 1);
    for (int32_t t = 0; t < p->n_tensors; t++)
        if (may_be_live(c, o, t)) {
            live += p->size[t];
            columns += 2;
        }
    mark_operands(c, o, 0);
    const word_t *anc = c->anc + (size_t)o * c->words, *desc = c->desc + (size_t)o * c->words;
    for (int32_t v = 0; v < p->n_ops; v++)
        columns += v != o && !has(anc, v) && !has(desc, v);
    *out_columns = columns;
    return live;
}

/* Adds  sum coef_k * term_k + sum extra >= lower, constants moved to the
 * right-hand side.  A row left without columns is dropped when it holds
 * (and marks the model infeasible, which cannot happen here, otherwise). */
static void add_row(cut_t *c, int32_t n_extra, const int32_t *extra_cols, const double *extra_vals, int32_t n_terms,
                    const term_t *terms, const double *coefs, double lower)
{
    if (c->failed)
        return;
    int32_t n = 0;
    int32_t need = n_extra + n_terms;
    if (need > c->row_cap) {
        int32_t cap = need * 2;
        int32_t *cols = realloc(c->row_cols, (size_t)cap * sizeof(int32_t));
        double *vals = cols != NULL ? realloc(c->row_vals, (size_t)cap * sizeof(double)) : NULL;
        if (cols != NULL)
            c->row_cols = cols;
        if (vals == NULL) {
            c->failed = 1;
            return;
        }
        c->row_vals = vals;
        c->row_cap = cap;
    }
    for (int32_t k = 0; k < n_extra; k++) {
        c->row_cols[n] = extra_cols[k];
        c->row_vals[n++] = extra_vals[k];
    }
    for (int32_t k = 0; k < n_terms; k++) {
        if (terms[k].col >= 0) {
            c->row_cols[n] = terms[k].col;
            c->row_vals[n++] = coefs[k];
        } else
            lower -= coefs[k] * terms[k].constant;
    }
    if (n == 0)
        return; /* a constant row: holds, or it could not in any plan */
    if (cosma_milp_add_row(c->milp, "cut", lower, COSMA_MILP_INF, n, c->row_cols, c->row_vals) < 0)
        c->failed = 1;
}

static int32_t e_column(cut_t *c, int32_t t)
{
    if (c->e_col[t] < 0 && !c->failed) {
        double upper = c->pinned != NULL && c->pinned->pinned[t] ? 0 : 1; /* never evicted there */
        c->e_col[t] = cosma_milp_add_col(c->milp, c->problem->graph->tensors[t].name, 0, upper,
                                         (double)(cost_of(c->problem, t) / c->unit), c->integer);
        if (c->e_col[t] < 0)
            c->failed = 1;
    }
    return c->e_col[t];
}

/* The start of t seen from o (x at its producer, or a variable above x
 * at every reader). */
static term_t start_term(cut_t *c, int32_t o, int32_t t)
{
    const cosma_tensor_t *tensor = &c->problem->graph->tensors[t];
    if (tensor->producer >= 0)
        return x_term(c, o, tensor->producer);
    for (int32_t k = 0; k < tensor->n_consumers; k++) {
        term_t x = x_term(c, o, tensor->consumers[k]);
        if (x.col < 0 && x.constant)
            return x; /* a reader runs before o: started */
    }
    int32_t s = cosma_milp_add_col(c->milp, "start", 0, 1, 0, 0);
    if (s < 0) {
        c->failed = 1;
        return (term_t){-1, 0};
    }
    for (int32_t k = 0; k < tensor->n_consumers; k++) {
        term_t x = x_term(c, o, tensor->consumers[k]);
        double one = 1.0, minus = -1.0;
        add_row(c, 1, &s, &one, 1, &x, &minus, 0); /* s - x_r >= 0 */
    }
    return (term_t){s, 0};
}

static int size_descending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* The room row's knapsack, in counts the LP sees: of the tensors of at
 * least size z, at most floor(slack / z) stay (each takes z or more), for
 * the CUT_COUNT_LEVELS largest sizes z.  cols/vals: the kept columns and
 * their sizes (vals is reordered). */
static void add_count_rows(cut_t *c, uint64_t slack, int32_t n, const int32_t *cols, double *vals)
{
    if (n == 0 || c->failed)
        return;
    double *sizes = malloc((size_t)n * sizeof(double));
    int32_t *picked = malloc((size_t)n * sizeof(int32_t));
    double *ones = malloc((size_t)n * sizeof(double));
    if (sizes == NULL || picked == NULL || ones == NULL) {
        c->failed = 1;
    } else {
        memcpy(sizes, vals, (size_t)n * sizeof(double));
        qsort(sizes, (size_t)n, sizeof(double), size_descending);
        int32_t levels = 0;
        for (int32_t k = 0; k < n && levels < CUT_COUNT_LEVELS && !c->failed; k++) {
            if (k + 1 < n && sizes[k + 1] == sizes[k])
                continue; /* the level is the last tensor of its size */
            double most = (double)(slack / (uint64_t)sizes[k]);
            if (most >= (double)(k + 1))
                continue; /* all k + 1 of them may stay */
            int32_t m = 0;
            for (int32_t i = 0; i < n; i++)
                if (vals[i] >= sizes[k]) {
                    picked[m] = cols[i];
                    ones[m++] = 1.0;
                }
            levels++;
            if (cosma_milp_add_row(c->milp, "count", -COSMA_MILP_INF, most, m, picked, ones) < 0)
                c->failed = 1;
        }
    }
    free(sizes);
    free(picked);
    free(ones);
}

/* The count rows lifted by the large tensors: one of more than half the
 * slack leaves at most rest = slack - (the least of them) beside it, so of
 * the other tensors of at least size z at most q = floor(rest / z) stay
 * with it, and at most c = floor(slack / z) (or all of them) without:
 * sum kept_small + (c - q) sum kept_large <= c, for the CUT_COUNT_LEVELS
 * largest small sizes z.  Valid for every plan: at most one large tensor
 * stays (two exceed the slack), and either case meets the row.  Where the
 * Transformer's residual or encoder output fills a Split's room, this is
 * what tells the program that at most one of the 512-byte parameters the
 * layers share stays beside it (the plain count rows allow three). */
static void add_lifted_count_rows(cut_t *c, uint64_t slack, int32_t n, const int32_t *cols, const double *vals)
{
    double least_large = 0;
    int32_t n_large = 0;
    for (int32_t i = 0; i < n; i++)
        if (2 * vals[i] > (double)slack) {
            least_large = n_large == 0 || vals[i] < least_large ? vals[i] : least_large;
            n_large++;
        }
    if (n_large == 0 || n_large == n || c->failed)
        return;
    uint64_t rest = slack - (uint64_t)least_large;
    int32_t *row_cols = malloc((size_t)n * sizeof(int32_t));
    double *row_vals = malloc((size_t)n * sizeof(double)), *sizes = malloc((size_t)n * sizeof(double));
    int32_t n_small = 0;
    for (int32_t i = 0; sizes != NULL && i < n; i++)
        if (2 * vals[i] <= (double)slack)
            sizes[n_small++] = vals[i];
    c->failed |= row_cols == NULL || row_vals == NULL || sizes == NULL;
    if (!c->failed)
        qsort(sizes, (size_t)n_small, sizeof(double), size_descending);
    for (int32_t k = 0, levels = 0; !c->failed && k < n_small && levels < CUT_COUNT_LEVELS; k++) {
        if (k + 1 < n_small && sizes[k + 1] == sizes[k])
            continue; /* the level is the last tensor of its size */
        uint64_t z = (uint64_t)sizes[k], most = slack / z, beside = rest / z;
        if (most > (uint64_t)(k + 1))
            most = (uint64_t)(k + 1); /* there are only k + 1 of them */
        if (beside >= most)
            continue; /* a large one takes no count away */
        int32_t m = 0;
        for (int32_t i = 0; i < n; i++)
            if (2 * vals[i] <= (double)slack && vals[i] >= sizes[k]) {
                row_cols[m] = cols[i];
                row_vals[m++] = 1.0;
            } else if (2 * vals[i] > (double)slack) {
                row_cols[m] = cols[i];
                row_vals[m++] = (double)(most - beside);
            }
        levels++;
        if (cosma_milp_add_row(c->milp, "lifted", -COSMA_MILP_INF, (double)most, m, row_cols, row_vals) < 0)
            c->failed = 1;
    }
    free(row_cols);
    free(row_vals);
    free(sizes);
}

/* o's block: its downset variables, precedence rows, and for each tensor
 * that may be live across it either e_t >= live (too large to stay) or a
 * share of the room it leaves. */
static void add_operator(cut_t *c, int32_t k_pick, int32_t o)
{
    c->x_col = c->x_all + (size_t)k_pick * (size_t)c->problem->n_ops;
    const cosma_problem_t *p = c->problem;
    const word_t *anc = c->anc + (size_t)o * c->words, *desc = c->desc + (size_t)o * c->words;
    uint64_t slack = slack_of(c, o);
    for (int32_t v = 0; v < p->n_ops && !c->failed; v++) {
        c->x_col[v] = -1;
        if (v != o && !has(anc, v) && !has(desc, v) &&
            (c->x_col[v] = cosma_milp_add_col(c->milp, "before", 0, 1, 0, 0)) < 0)
            c->failed = 1;
    }
    for (int32_t v = 0; v < p->n_ops && !c->failed; v++)
        for (int32_t k = p->pred_start[v]; k < p->pred_start[v + 1]; k++) {
            int32_t u = p->preds[k];
            if (c->x_col[u] >= 0 && c->x_col[v] >= 0) {
                term_t terms[2] = {{c->x_col[u], 0}, {c->x_col[v], 0}};
                double coefs[2] = {1, -1};
                add_row(c, 0, NULL, NULL, 2, terms, coefs, 0); /* x_u - x_v >= 0 */
            }
        }
    for (int32_t k = 0; c->pinned != NULL && k < c->pinned->n_edges && !c->failed; k++) {
        int32_t u = c->pinned->edges[k][0], v = c->pinned->edges[k][1];
        if (c->x_col[u] >= 0 && c->x_col[v] >= 0) {
            term_t terms[2] = {{c->x_col[u], 0}, {c->x_col[v], 0}};
            double coefs[2] = {1, -1};
            add_row(c, 0, NULL, NULL, 2, terms, coefs, 0); /* x_u - x_v >= 0 */
        }
    }
    mark_operands(c, o, 1);
    int32_t *room_cols = NULL;
    double *room_vals = NULL;
    int32_t n_room = 0;
    if (p->n_tensors > 0) {
        room_cols = malloc((size_t)p->n_tensors * sizeof(int32_t));
        room_vals = malloc((size_t)p->n_tensors * sizeof(double));
        c->failed |= room_cols == NULL || room_vals == NULL;
    }
    for (int32_t t = 0; t < p->n_tensors && !c->failed; t++) {
        if (!may_be_live(c, o, t))
            continue;
        const cosma_tensor_t *tensor = &p->graph->tensors[t];
        term_t start = start_term(c, o, t);
        if (start.col < 0 && !start.constant)
            continue;
        int32_t e = e_column(c, t);
        int32_t keep = -1; /* the share that stays, for a tensor that fits */
        if (p->size[t] <= slack && !c->failed) {
            if ((keep = cosma_milp_add_col(c->milp, "kept", 0, 1, 0, c->integer)) < 0)
                c->failed = 1;
            room_cols[n_room] = keep;
            room_vals[n_room++] = (double)p->size[t];
        }
        if (!c->failed && c->n_chain[t] >= 2) {
            /* out_{o,t} <= e_t: live across o and not kept there (for the
             * reload chains of add_chains) */
            int32_t out = cosma_milp_add_col(c->milp, "out", 0, 1, 0, c->integer);
            c->n_all[(size_t)k_pick * (size_t)p->n_tensors + (size_t)t] = out;
            int32_t cols[2] = {e, out};
            double vals[2] = {1, -1};
            if (out < 0 || cosma_milp_add_row(c->milp, "evicted", 0, COSMA_MILP_INF, 2, cols, vals) < 0)
                c->failed = 1;
            e = out;
        }
        for (int32_t k = 0; k < tensor->n_consumers && !c->failed; k++) {
            term_t x = x_term(c, o, tensor->consumers[k]);
            if (x.col < 0 && x.constant)
                continue; /* a reader before o says nothing */
            term_t terms[2] = {start, x};
            double coefs[2] = {-1, 1};
            int32_t cols[2] = {e, keep};
            double ones[2] = {1, 1};
            /* out or e (+ kept) - start + x_r >= 0 */
            add_row(c, keep >= 0 ? 2 : 1, cols, ones, 2, terms, coefs, 0);
        }
    }
    mark_operands(c, o, 0);
    if (n_room > 0 && !c->failed &&
        cosma_milp_add_row(c->milp, "room", -COSMA_MILP_INF, (double)slack, n_room, room_cols, room_vals) < 0)
        c->failed = 1;
    add_lifted_count_rows(c, slack, n_room, room_cols, room_vals);
    add_count_rows(c, slack, n_room, room_cols, room_vals);
    free(room_cols);
    free(room_vals);
}

typedef struct {
    int32_t op;
    uint64_t slack;
    uint64_t order; /* the pick order: the slack, less the pinned bytes live across it in every order */
} pick_t;

/* Two picked operators of which neither runs before the other in every
 * order: in each order exactly one runs first, x_{b,a} + x_{a,b} = 1
 * (each in the other's block).  This is what ties the floating ones to
 * the rest: a Split that its own block would run first of all then puts
 * its outputs in the blocks of the operators it runs before. */
static void add_pairs(cut_t *c, const pick_t *picks, int32_t n_picks)
{
    int32_t n = c->problem->n_ops;
    for (int32_t i = 0; i < n_picks && !c->failed; i++)
        for (int32_t j = i + 1; j < n_picks && !c->failed; j++) {
            int32_t a = picks[i].op, b = picks[j].op;
            int32_t ab = c->x_all[(size_t)i * n + b], ba = c->x_all[(size_t)j * n + a];
            if (ab < 0 || ba < 0)
                continue; /* one is an ancestor of the other */
            term_t terms[2] = {{ab, 0}, {ba, 0}};
            double up[2] = {1, 1}, down[2] = {-1, -1};
            add_row(c, 0, NULL, NULL, 2, terms, up, 1);    /* x_{a,b} + x_{b,a} >= 1 */
            add_row(c, 0, NULL, NULL, 2, terms, down, -1); /* ... <= 1 */
        }
}

/* n_chain: in how many picked operators' blocks each tensor may be live
 * (0 when no run of add_chains can start at it: none of them has a reader
 * of it below). */
static void count_chains(cut_t *c, const pick_t *picks, int32_t n_picks)
{
    const cosma_problem_t *p = c->problem;
    int32_t m = p->n_tensors;
    uint8_t *starts = calloc((size_t)m + 1, 1); /* big somewhere with a reader below */
    if (starts == NULL) {
        c->failed = 1;
        return;
    }
    for (int32_t k = 0; k < n_picks; k++) {
        int32_t o = picks[k].op;
        mark_operands(c, o, 1);
        for (int32_t t = 0; t < m; t++) {
            if (!may_be_live(c, o, t))
                continue;
            c->n_chain[t]++;
            const cosma_tensor_t *tensor = &p->graph->tensors[t];
            for (int32_t r = 0; r < tensor->n_consumers && !starts[t]; r++)
                starts[t] = (uint8_t)has(c->desc + (size_t)o * c->words, tensor->consumers[r]);
        }
        mark_operands(c, o, 0);
    }
    for (int32_t t = 0; t < m; t++)
        if (!starts[t])
            c->n_chain[t] = 0; /* no run of add_chains can start at it */
    free(starts);
}

/* b_{a,b}: "some reader of t runs after a and before b", a column (or
 * -1 when no reader can: each is a, an ancestor of a, b or a descendant
 * of b).  In a plan's solution it is 0 or 1, and at least
 * x_{b,r} - x_{a,r} for each reader r (1 exactly when r runs before b
 * and not before a): the rows below.  The LP sets it to the largest of
 * them, so a chain row sees whichever reader lies between, not one
 * chosen in advance.  *cache: per pair of chain positions, the column
 * made for this tensor (-2 none yet). */
static int32_t between_column(cut_t *c, const pick_t *picks, int32_t t, int32_t ka, int32_t kb, int32_t *cache)
{
    if (cache[ka * CUT_MAX_OPS + kb] != -2)
        return cache[ka * CUT_MAX_OPS + kb];
    int32_t a = picks[ka].op, b = picks[kb].op;
    const cosma_problem_t *p = c->problem;
    const cosma_tensor_t *tensor = &p->graph->tensors[t];
    const int32_t *xa = c->x_all + (size_t)ka * (size_t)p->n_ops, *xb = c->x_all + (size_t)kb * (size_t)p->n_ops;
    int32_t col = -1;
    for (int32_t k = 0; k < tensor->n_consumers && !c->failed; k++) {
        int32_t r = tensor->consumers[k];
        if (r == a || r == b || has(c->anc + (size_t)a * c->words, r) || has(c->desc + (size_t)b * c->words, r))
            continue;
        if (col < 0 && (col = cosma_milp_add_col(c->milp, "between", 0, 1, 0, 0)) < 0) {
            c->failed = 1;
            break;
        }
        /* b - x_{b,r} + x_{a,r} >= 0; x_{a,r} is a column or 0 (r is
         * not a's ancestor), x_{b,r} a column or 1 (b's ancestor) */
        term_t terms[2] = {xb[r] >= 0 ? (term_t){xb[r], 0} : (term_t){-1, has(c->anc + (size_t)b * c->words, r)},
                           xa[r] >= 0 ? (term_t){xa[r], 0} : (term_t){-1, 0}};
        double coefs[2] = {-1, 1}, one = 1;
        add_row(c, 1, &col, &one, 2, terms, coefs, 0);
    }
    cache[ka * CUT_MAX_OPS + kb] = col;
    return col;
}

/* Reloads beyond the first.  Take the picked operators a_1 .. a_m where a
 * tensor t has an out column (in the default order, a topological one)
 * and a run a_k .. a_l of them where, for each j < l, some reader of t
 * may run after a_j and before a_{j+1} (between_column's b_j).  When t
 * is out at every a_j and b_j = 1 for every j < l, a reader r_j runs
 * after a_j and before a_{j+1}, so a_j < r_j < a_{j+1} in time.  Out at
 * a_j means not resident during a_j's step, so t is loaded in (a_j, r_j]
 * for each j < l, and in (a_l, end) too (out at a_l means live across
 * it: a reader follows): l - k + 1 loads in disjoint intervals, l - k
 * more than e_t pays for:
 *
 *   extra_t >= L (sum_{j=k..l} out_{a_j,t} + sum_{j=k..l-1} b_j - 2 L),
 *   L = l - k,
 *
 * (the bracket is 1 only when all 2L + 1 terms are; otherwise it is at
 * most 0 and the row asks nothing), each extra load costing size(t). */
/* t's extra column (the loads beyond the first reload, each costing
 * size(t)), made at its first use; -1 when it cannot be. */
static int32_t extra_column(cut_t *c, int32_t t, int32_t *extra, int32_t max_extra)
{
    if (*extra < 0 && !c->failed &&
        (*extra = cosma_milp_add_col(c->milp, "extra", 0, max_extra, (double)(c->problem->size[t] / c->unit), 0)) < 0)
        c->failed = 1;
    return *extra;
}

/* The reload count over picks a_1 .. a_n (by chain position) that run in
 * that order in every plan (each an ancestor of the next).  Where t is
 * out at a_j it is loaded in (a_j, r_j], r_j its first reader after a_j.
 * Two such intervals of a_j < a_j' are disjoint when a reader runs
 * between some pair a_i, a_{i+1} in between (b_i = 1): r_j < a_{i+1} <=
 * a_j'.  So the loads number at least sum_j out_j less one for each pair
 * without a reader between (b_i = 0: only there may two outs share a
 * load), and e_t pays for one of them:
 *
 *   extra_t >= sum_j out_{a_j,t} - 1 - sum_i (1 - b_i).
 *
 * Unlike the pair sums above, it counts outs that a kept pick separates
 * (out, kept, out: two loads).  On the Transformer at M_Hp, where the
 * program keeps a third of each shared 512-byte parameter at each of
 * the six cross-attention Splits, case A rises from 394,923 to 395,776
 * with it. */
static void add_ordered_count(cut_t *c, const pick_t *picks, int32_t t, const int32_t *chain, int32_t n,
                              int32_t *extra, int32_t max_extra, int32_t *cache)
{
    int32_t m = c->problem->n_tensors, n_cols = 1;
    int32_t cols[2 * CUT_MAX_OPS + 1];
    double vals[2 * CUT_MAX_OPS + 1];
    for (int32_t j = 0; j < n; j++) {
        cols[n_cols] = c->n_all[(size_t)chain[j] * (size_t)m + (size_t)t];
        vals[n_cols++] = -1;
        int32_t b = j + 1 < n ? between_column(c, picks, t, chain[j], chain[j + 1], cache) : -1;
        if (b >= 0) {
            cols[n_cols] = b;
            vals[n_cols++] = -1;
        }
    }
    if (c->failed || (cols[0] = extra_column(c, t, extra, max_extra)) < 0)
        return;
    vals[0] = 1;
    /* extra - sum out - sum b >= -1 - (n - 1): the pairs without a b
     * column have b = 0 (no reader can run between them) */
    if (cosma_milp_add_row(c->milp, "count", (double)(-n), COSMA_MILP_INF, n_cols, cols, vals) < 0)
        c->failed = 1;
}

/* The reload sum over a sequence of picks (by operator) where each is an
 * ancestor of the next, so that they run in that order in every plan.
 * For each consecutive pair a_j, a_{j+1}, w_j >= out_{a_j} + out_{a_{j+1}}
 * + b_j - 2 is 1 when t is out at both with a reader r_j between: a load
 * in (a_j, r_j], and these intervals are disjoint (r_j < a_{j+1} <=
 * a_{j'} for j < j').  The last such a_{j+1} needs one more load after
 * it.  So the loads beyond the first reload number at least sum_j w_j:
 * extra_t >= sum_j w_j.  Unlike the runs of add_chains, this adds up
 * reloads that a pair without a reader between separates.  *extra: t's
 * extra column, made here when it does not exist yet (max_extra its
 * upper bound). */
static void add_ordered_sum(cut_t *c, const pick_t *picks, int32_t t, const int32_t *chain, int32_t len,
                            int32_t *extra, int32_t max_extra, int32_t *cache)
{
    const cosma_problem_t *p = c->problem;
    int32_t m = p->n_tensors;
    int32_t cols[CUT_MAX_OPS];
    double vals[CUT_MAX_OPS];
    for (int32_t k = 0; k + 1 < len && !c->failed;) {
        int32_t n_cols = 1, l = k;
        for (; l + 1 < len && !c->failed; l++) {
            int32_t ka = chain[l], kb = chain[l + 1];
            if (!has(c->anc + (size_t)picks[kb].op * c->words, picks[ka].op))
                break; /* not ordered: the segment ends at l */
            int32_t b = between_column(c, picks, t, ka, kb, cache);
            if (b < 0)
                continue; /* no reader between: w_j = 0 */
            int32_t w = cosma_milp_add_col(c->milp, "reload", 0, 1, 0, c->integer);
            int32_t wcols[4] = {w, c->n_all[(size_t)ka * (size_t)m + (size_t)t], c->n_all[(size_t)kb * (size_t)m + (size_t)t], b};
            double wvals[4] = {1, -1, -1, -1};
            if (w < 0 || cosma_milp_add_row(c->milp, "reload", -2, COSMA_MILP_INF, 4, wcols, wvals) < 0) {
                c->failed = 1;
                break;
            }
            cols[n_cols] = w;
            vals[n_cols++] = -1;
        }
        if (n_cols >= 3 && !c->failed) { /* two pairs or more: one alone is a run's row */
            if ((cols[0] = extra_column(c, t, extra, max_extra)) < 0)
                break;
            vals[0] = 1;
            if (cosma_milp_add_row(c->milp, "reloads", 0, COSMA_MILP_INF, n_cols, cols, vals) < 0)
                c->failed = 1;
        }
        if (l > k && !c->failed)
            add_ordered_count(c, picks, t, chain + k, l - k + 1, extra, max_extra, cache);
        k = l + 1;
    }
}

static void add_chains(cut_t *c, const pick_t *picks, int32_t n_picks)
{
    const cosma_problem_t *p = c->problem;
    int32_t m = p->n_tensors;
    int32_t by_op[CUT_MAX_OPS], chain[CUT_MAX_OPS], between[CUT_MAX_OPS];
    int32_t cache[CUT_MAX_OPS * CUT_MAX_OPS]; /* between_column's, per tensor */
    int32_t cols[2 * CUT_MAX_OPS + 1];
    double vals[2 * CUT_MAX_OPS + 1];
    for (int32_t k = 0; k < n_picks; k++) { /* picks by operator (insertion sort) */
        int32_t j = k;
        while (j > 0 && picks[by_op[j - 1]].op > picks[k].op) {
            by_op[j] = by_op[j - 1];
            j--;
        }
        by_op[j] = k;
    }
    uint64_t classes[CUT_CHAIN_CLASSES];
    int32_t n_classes = 0, want_classes = CUT_CHAIN_CLASSES;
    for (int32_t k = 0; k < n_picks; k++) { /* the smallest distinct slacks */
        uint64_t v = picks[k].slack;
        int32_t q = 0;
        while (q < n_classes && classes[q] != v)
            q++;
        if (q < n_classes)
            continue;
        if (n_classes < want_classes)
            classes[n_classes++] = v;
        else {
            int32_t big = -1;
            for (q = 0; q < n_classes; q++)
                if (classes[q] > v && (big < 0 || classes[q] > classes[big]))
                    big = q;
            if (big >= 0)
                classes[big] = v;
        }
    }
    for (int32_t t = 0; t < m && !c->failed; t++) {
        int32_t extra = -1, first_len = 0;
        for (int32_t q = 0; q < CUT_MAX_OPS * CUT_MAX_OPS; q++)
            cache[q] = -2;
        int32_t n_levels = CUT_CHAIN_LEVELS;
        int32_t n_passes = 2 + n_levels + (n_classes > 1 ? (1 << n_classes) - 1 : 0);
        int32_t seen[CUT_MAX_SEQUENCES][CUT_MAX_OPS], seen_len[CUT_MAX_SEQUENCES], n_seen = 0;
        /* Sequences: every picked operator with an out column, then
         * only those where t cannot stay (whose runs do not break where it
         * may stay), those where at most one tensor of t's size fits, and
         * those of each set of the smallest slacks (so that a chain links
         * the six K/V Transposes of the Transformer directly, past the Q
         * Transposes between them).  A row over any subsequence holds: its
         * argument only needs a_j < r_j < a_{j+1} in time, which its own
         * terms ask; all rows of t bound one extra column. */
        for (int32_t pass = 0; pass < n_passes && !c->failed; pass++) {
            int32_t len = 0;
            for (int32_t k = 0; k < n_picks; k++) {
                if (c->n_all[(size_t)by_op[k] * (size_t)m + (size_t)t] < 0)
                    continue;
                uint64_t slack = picks[by_op[k]].slack;
                int in;
                if (pass == 0)
                    in = 1;
                else if (pass < 2 + n_levels)
                    in = slack / p->size[t] <= (uint64_t)(pass - 1);
                else {
                    int32_t mask = pass - 1 - n_levels, cls = -1;
                    for (int32_t q = 0; q < n_classes; q++)
                        if (classes[q] == slack)
                            cls = q;
                    in = cls >= 0 && ((mask >> cls) & 1);
                }
                if (in)
                    chain[len++] = by_op[k];
            }
            if (pass == 0)
                first_len = len;
            int dup = len < 2;
            for (int32_t q = 0; q < n_seen && !dup; q++)
                dup = seen_len[q] == len && memcmp(seen[q], chain, (size_t)len * sizeof(int32_t)) == 0;
            if (dup)
                continue; /* the same sequence */
            if (n_seen < CUT_MAX_SEQUENCES) {
                memcpy(seen[n_seen], chain, (size_t)len * sizeof(int32_t));
                seen_len[n_seen++] = len;
            }
            for (int32_t k = 0; k + 1 < len && !c->failed; k++)
                for (int32_t l = k + 1; l < len && !c->failed; l++) {
                    int32_t ka = chain[l - 1], kb = chain[l];
                    if ((between[l - 1] = between_column(c, picks, t, ka, kb, cache)) < 0)
                        break; /* the run ends */
                    int32_t L = l - k, n_cols = 0;
                    if ((cols[n_cols] = extra_column(c, t, &extra, first_len - 1)) < 0)
                        break;
                    vals[n_cols++] = 1;
                    for (int32_t j = k; j <= l; j++) {
                        cols[n_cols] = c->n_all[(size_t)chain[j] * (size_t)m + (size_t)t];
                        vals[n_cols++] = -L;
                    }
                    for (int32_t j = k; j < l; j++) {
                        cols[n_cols] = between[j];
                        vals[n_cols++] = -L;
                    }
                    add_row(c, n_cols, cols, vals, 0, NULL, NULL, -2.0 * L * L);
                }
            add_ordered_sum(c, picks, t, chain, len, &extra, first_len - 1, cache);
        }
    }
}

/* The other case: some tensor of `set` is evicted (its e_t is 1 in the
 * plan's solution), sum_{t in set} e_t >= 1. */
static void add_some_evicted(cut_t *c, const uint8_t *set)
{
    const cosma_problem_t *p = c->problem;
    int32_t *cols = malloc(((size_t)p->n_tensors + 1) * sizeof(int32_t));
    double *ones = malloc(((size_t)p->n_tensors + 1) * sizeof(double));
    int32_t n = 0;
    c->failed |= cols == NULL || ones == NULL;
    for (int32_t t = 0; t < p->n_tensors && !c->failed; t++)
        if (set[t]) {
            cols[n] = e_column(c, t);
            ones[n++] = 1;
        }
    if (!c->failed && cosma_milp_add_row(c->milp, "some evicted", 1, COSMA_MILP_INF, n, cols, ones) < 0)
        c->failed = 1;
    free(cols);
    free(ones);
}

/* Plans that evict tensors of at least `least` groups: y_g <= sum_{t in g}
 * e_t, y_g <= 1, sum_g y_g >= least. */
static void add_groups_evicted(cut_t *c, const int32_t *groups, int32_t n_groups, int32_t least)
{
    const cosma_problem_t *p = c->problem;
    int32_t *cols = malloc(((size_t)p->n_tensors + (size_t)n_groups + 1) * sizeof(int32_t));
    double *vals = malloc(((size_t)p->n_tensors + (size_t)n_groups + 1) * sizeof(double));
    int32_t *y = malloc(((size_t)n_groups + 1) * sizeof(int32_t));
    c->failed |= cols == NULL || vals == NULL || y == NULL;
    for (int32_t g = 0; g < n_groups && !c->failed; g++) {
        y[g] = cosma_milp_add_col(c->milp, "group", 0, 1, 0, 0);
        int32_t n = 0;
        cols[n] = y[g];
        vals[n++] = -1;
        for (int32_t t = 0; t < p->n_tensors; t++)
            if (groups[t] == g) {
                cols[n] = e_column(c, t);
                vals[n++] = 1;
            }
        if (y[g] < 0 || cosma_milp_add_row(c->milp, "group", 0, COSMA_MILP_INF, n, cols, vals) < 0)
            c->failed = 1;
    }
    for (int32_t g = 0; g < n_groups && !c->failed; g++)
        vals[g] = 1;
    if (!c->failed && cosma_milp_add_row(c->milp, "groups", least, COSMA_MILP_INF, n_groups, y, vals) < 0)
        c->failed = 1;
    free(cols);
    free(vals);
    free(y);
}

static int pick_compare(const void *a, const void *b)
{
    const pick_t *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->op > y->op) - (x->op < y->op);
}

/* In the pinned case, the pinned tensors live across o in every order (a
 * producer above, a reader below): resident there, they take its room. */
static uint64_t pinned_live(cut_t *c, int32_t o)
{
    const cosma_problem_t *p = c->problem;
    if (c->pinned == NULL)
        return 0;
    uint64_t bytes = 0;
    for (int32_t t = 0; t < p->n_tensors; t++)
        if (c->pinned->pinned[t] && cosma_problem_forced_at(&p->graph->tensors[t], o, c->anc, c->desc, c->words))
            bytes += p->size[t];
    return bytes;
}

/* The operators the model covers, least room first (in the pinned case,
 * less the pinned bytes that take it), while their columns fit
 * CUT_MAX_COLUMNS: those whose possibly-live bytes exceed the room. */
static int32_t pick_operators(cut_t *c, pick_t *picks)
{
    const cosma_problem_t *p = c->problem;
    int32_t n = 0;
    for (int32_t o = 0; o < p->n_ops; o++) {
        int64_t columns;
        uint64_t slack = slack_of(c, o);
        if (potential_live(c, o, &columns) > slack) {
            uint64_t pinned = pinned_live(c, o);
            picks[n++] = (pick_t){o, slack, pinned < slack ? slack - pinned : 0};
        }
    }
    qsort(picks, (size_t)n, sizeof *picks, pick_compare);
    int64_t total = 0;
    int32_t kept = 0;
    int32_t max_ops = CUT_PICK_OPS;
    int64_t max_columns = CUT_MAX_COLUMNS;
    int32_t k_end = 0;
    for (; k_end < n && kept < max_ops; k_end++) {
        int64_t columns;
        potential_live(c, picks[k_end].op, &columns);
        if (total + columns > max_columns)
            break;
        total += columns;
        picks[kept++] = picks[k_end];
    }
    /* In the split's cases a few more operators, those with the least room
     * once the largest pinned tensor that may be live across them is
     * resident too (ties: the earliest): where a floating slice could sit
     * beside another wide step (the Transformer's encoder feed-forward). */
    int32_t more = c->heavy == NULL ? 0 : c->extra_picks;
    memmove(picks + kept, picks + k_end, (size_t)(n - k_end) * sizeof *picks); /* the candidates left */
    n = kept + (n - k_end);
    k_end = kept;
    for (int32_t round = 0; round < more && kept < CUT_MAX_OPS; round++) {
        int32_t best = -1;
        uint64_t best_score = 0;
        for (int32_t k = kept; k < n; k++) {
            int32_t o = picks[k].op;
            uint64_t largest = 0;
            mark_operands(c, o, 1);
            for (int32_t t = 0; t < p->n_tensors; t++)
                if (c->heavy[t] && p->size[t] > largest && may_be_live(c, o, t))
                    largest = p->size[t];
            mark_operands(c, o, 0);
            uint64_t score = picks[k].order > largest ? picks[k].order - largest : 0;
            if (best < 0 || score < best_score || (score == best_score && o < picks[best].op)) {
                best = k;
                best_score = score;
            }
        }
        if (best < 0)
            break;
        pick_t tmp = picks[best];
        picks[best] = picks[kept];
        picks[kept++] = tmp;
    }
    return kept;
}

uint64_t cosma_cut_bound(const cosma_problem_t *problem, const cosma_cut_bound_options_t *options,
                         cosma_diag_t *diag)
{
    int32_t n = problem->n_ops, m = problem->n_tensors;
    if (n == 0 || !cosma_problem_closure_affordable(problem))
        return 0; /* no bound from this analysis (0 is valid) */
    for (int32_t o = 0; o < n; o++)
        if (cosma_problem_working_set(problem, o) > options->budget)
            return 0; /* infeasible: others say so */
    if (options->pinned != NULL && options->pinned->infeasible)
        return 0; /* the caller knows: no pinned plan */
    cut_t c = {.problem = problem, .pinned = options->pinned, .budget = options->budget, .words = ((size_t)n + 63) / 64};
    c.anc = calloc((size_t)n * c.words + 1, sizeof(word_t));
    c.desc = calloc((size_t)n * c.words + 1, sizeof(word_t));
    c.x_all = malloc(((size_t)n * CUT_MAX_OPS + 1) * sizeof(int32_t));
    c.n_all = malloc(((size_t)m * CUT_MAX_OPS + 1) * sizeof(int32_t));
    c.n_chain = calloc((size_t)m + 1, sizeof(int32_t));
    c.e_col = malloc(((size_t)m + 1) * sizeof(int32_t));
    c.operand = calloc((size_t)m + 1, 1);
    pick_t *picks = malloc(((size_t)n + 1) * sizeof(pick_t));
    c.milp = cosma_milp_create("cosma_cut_bound");
    uint64_t bound = 0;
    if (c.anc == NULL || c.desc == NULL || c.x_all == NULL || c.n_all == NULL || c.n_chain == NULL || c.e_col == NULL || c.operand == NULL ||
        picks == NULL || c.milp == NULL)
        goto done;
    /* e, out and kept are 0 or 1 in every plan's solution: integer in the
     * split's cases, where the programs are small (the closure fixes most
     * x) or their node limit is small */
    c.integer = c.pinned != NULL || options->groups != NULL;
    c.heavy = c.pinned != NULL ? c.pinned->pinned : options->some_evicted != NULL ? options->some_evicted : options->heavy;
    c.extra_picks = c.pinned != NULL && options->some_evicted == NULL ? CUT_EXTRA_PICKS_KEPT : CUT_EXTRA_PICKS;
    if (c.pinned != NULL) {
        memcpy(c.anc, c.pinned->anc, (size_t)n * c.words * sizeof(word_t));
        memcpy(c.desc, c.pinned->desc, (size_t)n * c.words * sizeof(word_t));
    } else {
        cosma_problem_closure(problem, c.anc, c.desc, c.words);
    }
    for (size_t i = 0; i < (size_t)m * CUT_MAX_OPS; i++)
        c.n_all[i] = -1;
    for (int32_t t = 0; t < m; t++) {
        c.e_col[t] = -1;
        if (can_span(problem, t))
            c.unit = cosma_gcd_u64(c.unit, problem->size[t]); /* divides every cost too */
    }
    if (c.unit == 0)
        goto done;
    int32_t n_picks = pick_operators(&c, picks);
    count_chains(&c, picks, n_picks);
    for (int32_t k = 0; k < n_picks && !c.failed; k++)
        add_operator(&c, k, picks[k].op);
    add_pairs(&c, picks, n_picks);

    add_chains(&c, picks, n_picks);
    if (options->some_evicted != NULL)
        add_some_evicted(&c, options->some_evicted);
    if (options->groups != NULL && options->min_groups > 0)
        add_groups_evicted(&c, options->groups, options->n_groups, options->min_groups);

    if (c.failed || n_picks == 0)
        goto done;
    cosma_milp_options_t milp_options = {.time_limit = options->time_limit, .objective_step = 1,
                                         .node_limit = c.pinned != NULL    ? CUT_NODES_KEPT
                                                      : options->groups != NULL ? CUT_NODES_GROUPS
                                                                                : 1,
                                         .safe_cuts = 1, /* a cut too deep would raise the bound */
                                         .bound_target = (double)((options->target + c.unit - 1) / c.unit)};
    cosma_milp_result_t result;
    if (cosma_milp_solve(c.milp, &milp_options, &result, diag) == COSMA_OK) {
        if (result.bound > 0)
            bound = (uint64_t)(result.bound + 0.5) * c.unit;
        free(result.values);
    }
done:
    cosma_milp_destroy(c.milp);
    free(c.anc);
    free(c.desc);
    free(c.x_all);
    free(c.n_all);
    free(c.n_chain);
    free(c.e_col);
    free(c.operand);
    free(c.row_cols);
    free(c.row_vals);
    free(picks);
    return bound;
}

/* The tensors the case split pins: activations of at least half the
 * largest that can be live across an operator (on the Transformer at M_R:
 * its 4u and 8u weight slices and feed-forward tensors, whose eviction
 * costs at least 8 of the 37 units its plan moves). */
enum { CUT_PIN_DIVISOR = 2 };

static uint64_t pin_threshold(const cosma_problem_t *problem)
{
    uint64_t largest = 0;
    for (int32_t t = 0; t < problem->n_tensors; t++)
        if (problem->graph->tensors[t].kind == COSMA_TENSOR_ACTIVATION && can_span(problem, t) &&
            problem->size[t] > largest)
            largest = problem->size[t];
    return (largest + CUT_PIN_DIVISOR - 1) / CUT_PIN_DIVISOR;
}

static int32_t find_root(int32_t *parent, int32_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

/* The evicted case split further.  Group the pinned tensors (a pinned
 * tensor with the pinned outputs of its readers and its producer's other
 * pinned outputs: on the Transformer each layer's two weight slices and
 * their Transposes, each feed-forward's three tensors).  A plan that
 * evicts a pinned tensor evicts pinned tensors of exactly one group g and
 * keeps every other pinned tensor resident (the cut bound with the
 * precedences derived for the others, their e_t = 0, and sum_{t in g} e_t
 * >= 1), or evicts tensors of two groups or more (y_g <= sum_{t in g} e_t,
 * y_g = [g evicted] in the plan, sum_g y_g >= 2).  The least of these;
 * 0 when one is not computed. */
/* Puts op's pinned outputs in t's group. */
static void join_outputs(const cosma_problem_t *problem, const cosma_pinned_order_t *pinned, int32_t *parent,
                         int32_t op, int32_t t)
{
    for (int32_t i = problem->operand_start[op] + problem->n_inputs_planned[op]; i < problem->operand_start[op + 1];
         i++)
        if (pinned->pinned[problem->operands[i]])
            parent[find_root(parent, problem->operands[i])] = find_root(parent, t);
}

/* threshold: the one `pinned` was derived with. */
static uint64_t split_groups(const cosma_problem_t *problem, const cosma_cut_bound_options_t *options,
                             const cosma_pinned_order_t *pinned, uint64_t threshold, double started,
                             cosma_diag_t *diag)
{
    int32_t m = problem->n_tensors;
    int32_t *parent = malloc(((size_t)m + 1) * sizeof(int32_t)), *group = malloc(((size_t)m + 1) * sizeof(int32_t));
    uint8_t *mask = calloc((size_t)m + 1, 1);
    uint64_t best = UINT64_MAX;
    if (parent == NULL || group == NULL || mask == NULL)
        goto fail;
    for (int32_t t = 0; t < m; t++)
        parent[t] = t;
    for (int32_t t = 0; t < m; t++) {
        if (!pinned->pinned[t])
            continue;
        const cosma_tensor_t *tensor = &problem->graph->tensors[t];
        join_outputs(problem, pinned, parent, tensor->producer, t);
        for (int32_t k = 0; k < tensor->n_consumers; k++)
            join_outputs(problem, pinned, parent, tensor->consumers[k], t);
    }
    int32_t n_groups = 0;
    for (int32_t t = 0; t < m; t++)
        group[t] = -1;
    for (int32_t t = 0; t < m; t++)
        if (pinned->pinned[t] && find_root(parent, t) == t)
            group[t] = n_groups++;
    for (int32_t t = 0; t < m; t++)
        if (pinned->pinned[t])
            group[t] = group[find_root(parent, t)];
    for (int32_t g = 0; g < n_groups; g++) {
        for (int32_t t = 0; t < m; t++)
            mask[t] = group[t] == g;
        cosma_pinned_order_t others; /* the threshold's set less g */
        if (cosma_pinned_order_derive_except(problem, options->budget, threshold, mask, &others) != COSMA_OK)
            goto fail;
        uint64_t b = UINT64_MAX; /* no such plan */
        if (!others.infeasible) {
            cosma_cut_bound_options_t one = *options;
            one.pinned = &others;
            one.some_evicted = mask;
            one.groups = NULL;
            one.time_limit = options->time_limit - (cosma_clock_seconds() - started);
            b = one.time_limit > 0 ? cosma_cut_bound(problem, &one, diag) : 0;
        }
        cosma_pinned_order_free(&others);
        if (b < best)
            best = b;
        if (best == 0)
            break;
    }
    if (best > 0) {
        cosma_cut_bound_options_t one = *options;
        one.pinned = NULL;
        one.some_evicted = NULL;
        one.groups = group;
        one.n_groups = n_groups;
        one.min_groups = 2;
        one.heavy = pinned->pinned;
        one.time_limit = options->time_limit - (cosma_clock_seconds() - started);
        uint64_t b = one.time_limit > 0 ? cosma_cut_bound(problem, &one, diag) : 0;
        if (b < best)
            best = b;
    }
    free(parent);
    free(group);
    free(mask);
    return best == UINT64_MAX ? 0 : best;
fail:
    free(parent);
    free(group);
    free(mask);
    return 0;
}

/* The least a plan that evicts a pinned activation pays: its spill and
 * its reload, or floor. */
static uint64_t evicted_floor(const cosma_problem_t *problem, const cosma_pinned_order_t *pinned, uint64_t floor)
{
    uint64_t least = UINT64_MAX;
    for (int32_t t = 0; t < problem->n_tensors; t++)
        if (pinned->pinned[t] && problem->size[t] < least)
            least = problem->size[t];
    uint64_t cost = least == UINT64_MAX || least > UINT64_MAX / 2 ? 0 : 2 * least;
    return cost > floor ? cost : floor;
}

/* The case split (docs/planner.md, section 3, item 10).  Every plan either
 * keeps each pinned activation (pin_threshold) resident from its producer
 * to its last reader, or evicts one of them.  The first kind respects the
 * precedences of bound_pinned.c and never evicts those tensors: the cut
 * bound with that closure and their e_t fixed at 0 holds for it, and so
 * does `floor`, a bound for every plan (nothing is needed when no plan of
 * that kind exists).  The second kind has e_t = 1 for one of them: the
 * cut bound with sum e_t >= 1 over them holds for it.  The smaller of the
 * two holds for every plan.  0 when a case is not computed (out of
 * memory, the clock, nothing to pin). */
uint64_t cosma_cut_bound_split(const cosma_problem_t *problem, const cosma_cut_bound_options_t *options,
                               uint64_t floor, cosma_diag_t *diag)
{
    if (problem->n_ops == 0 || !cosma_problem_closure_affordable(problem))
        return 0;
    double started = cosma_clock_seconds();
    cosma_pinned_order_t pinned;
    uint64_t threshold = pin_threshold(problem);
    if (cosma_pinned_order_derive(problem, options->budget, threshold, &pinned) != COSMA_OK)
        return 0;
    uint64_t bound = 0;
    if (pinned.n_pinned > 0) {
        cosma_cut_bound_options_t one = *options;
        uint64_t kept = UINT64_MAX; /* no plan of that kind: no bound needed */
        if (!pinned.infeasible) {
            one.pinned = &pinned;
            one.some_evicted = NULL;
            kept = cosma_cut_bound(problem, &one, diag);
            if (kept < floor)
                kept = floor;
        }
        one.pinned = NULL;
        one.some_evicted = pinned.pinned;
        one.time_limit = options->time_limit - (cosma_clock_seconds() - started);
        /* An evicted activation is spilled and loaded again: twice its
         * size at least, and `floor` holds for these plans too.  Where
         * that reaches the target the program is not needed (the
         * Transformer at M_Hp: 524,288 of 398,848 bytes, a 5 s solve). */
        uint64_t evicted = evicted_floor(problem, &pinned, floor);
        if (kept > 0 && one.time_limit > 0 && (options->target == 0 || evicted < options->target)) {
            uint64_t cut = cosma_cut_bound(problem, &one, diag);
            if (cut > evicted)
                evicted = cut;
        }
        /* the evicted case split by groups, where it decides the bound */
        if (evicted < kept) {
            uint64_t groups = split_groups(problem, options, &pinned, threshold, started, diag);
            if (groups > evicted)
                evicted = groups;
        }
        bound = kept < evicted ? kept : evicted;
    }
    cosma_pinned_order_free(&pinned);
    return bound;
}
