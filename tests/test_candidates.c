/* test_candidates.c: the relieved candidate order (planner/candidates.c).
 * On a small graph shaped like a Transformer decoder's cross-attention
 * (a bias Split read by the Q Add and by the KV Add, a full step between
 * them) the relieved order must take the Split past the full step with the Q
 * Add, and its residency must cost nothing where the given order's costs
 * a spill; on random layered graphs, at budgets from the largest working
 * set up, the relieved order must be a topological order whose live bytes
 * above the budget (then live bytes) summed over the steps are no more
 * than the given order's, and the same on every call.
 *
 * The subtree moves (planner/order_subtrees.c): on a small graph shaped
 * like a NAS stem (a big tensor read last by a Pad whose output fills the
 * scratchpad, and by a cell branch that shrinks its result) the search must
 * delay the Pad, with the pool that reads it, past the branch's shrinking
 * step, and so remove the given order's spill; on random layered graphs
 * every move must give a topological order that moves exactly the
 * operator's descendants (or ancestors) in the range and keeps the others'
 * relative order.
 *
 * The source moves (planner/order_sources.c): on a small graph shaped
 * like a decoder layer's cross-attention (a weight Split and a bias Split
 * that share the K bias Add) the search must propose the bias Split alone
 * past the Q projection, then both Splits with the K projection and the K
 * bias Add past the LayerNorm that feeds the Q projection, and keep the
 * second when it scores lower; on random layered graphs every trial must
 * be a topological order that differs from the current one. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>
#include "planner_internal.h"
#include "order_sources.h"
#include "order_subtrees.h"
#include "test_support.h"

static const cosma_mode_t plain = {0, 0};
static const cosma_mode_t with_params = {1, 0};

/* "cross": activations only, sizes in bytes.
 *   1 P:    in -> q0 (8)              the Q projection
 *   2 S:    w -> b0 (1), b1 (2)       the bias Split (reads a parameter)
 *   3 Qadd: q0, b0 -> q (8)           the Q bias Add
 *   4 F:    w2 -> big (12)            the KV weight Transpose
 *   5 K:    big -> kv (4)             the KV projection
 *   6 K2:   kv, b1 -> kvb (4)         the KV bias Add
 *   7 Out:  q, kvb -> out (4)
 * Live bytes in this order: 12, 11, 19, 22, 26, 18, 16; at budget 24 step
 * 5 holds 2 bytes too many (b1, spilled and reloaded: 4 bytes of traffic,
 * the cheapest way).  Sinking Qadd to just before K2 takes S with it
 * (S's first reader is Qadd; K2 reads S too, so that is as far as they
 * go): P, F, K, S, Qadd, K2, Out, live 12, 20, 24, 15, 23, 18, 16: it
 * fits, traffic 0.  The hoisting pass of the same sweep then moves K2
 * (it frees kv and b1, 6 bytes, and makes kvb live, 4) to just after S,
 * its last producer; the next sweep sinks P, which reads only the graph
 * input, to just before Qadd: F, K, S, K2, P, Qadd, Out, live 12, 16, 7,
 * 11, 17, 21, 16. */
enum { X_P, X_S, X_QADD, X_F, X_K, X_K2, X_OUT, X_OPS };
static cosma_graph_t *graph_cross(void)
{
    cosma_graph_t *g = test_graph_new("cross");
    test_graph_tensor(g, "in", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "w", COSMA_TENSOR_PARAM, 3);
    test_graph_tensor(g, "w2", COSMA_TENSOR_PARAM, 12);
    test_graph_tensor(g, "q0", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "b0", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "b1", COSMA_TENSOR_ACTIVATION, 2);
    test_graph_tensor(g, "q", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "big", COSMA_TENSOR_ACTIVATION, 12);
    test_graph_tensor(g, "kv", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "kvb", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 4);
    test_graph_op(g, "P", "in", "q0");
    test_graph_op(g, "S", "w", "b0,b1");
    test_graph_op(g, "Qadd", "q0,b0", "q");
    test_graph_op(g, "F", "w2", "big");
    test_graph_op(g, "K", "big", "kv");
    test_graph_op(g, "K2", "kv,b1", "kvb");
    test_graph_op(g, "Out", "q,kvb", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

static uint64_t residency_traffic(const cosma_problem_t *problem, const int32_t *order, uint64_t budget)
{
    cosma_residency_options_t options = {.budget = budget, .time_limit = 30, .node_limit = 1000};
    cosma_residency_t result;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_msg(cosma_residency_solve(problem, order, &options, &result, &diag.diag) == COSMA_OK, "%s", diag.text);
    uint64_t traffic = result.traffic;
    cosma_residency_free(&result);
    return traffic;
}

static int32_t position(const int32_t *order, int32_t n, int32_t op)
{
    for (int32_t k = 0; k < n; k++)
        if (order[k] == op)
            return k;
    return -1;
}

START_TEST(sink_takes_the_split_past_the_full_step)
{
    cosma_graph_t *g = graph_cross();
    cosma_problem_t problem;
    ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, NULL), COSMA_OK);
    int32_t given[X_OPS], sunk[X_OPS];
    for (int32_t o = 0; o < X_OPS; o++)
        given[o] = o;
    int changed = 0;
    ck_assert_int_eq(cosma_candidate_relieved_order(&problem, given, 24, sunk, &changed), COSMA_OK);
    ck_assert_int_eq(changed, 1);
    int topological = 0;
    ck_assert_int_eq(cosma_order_check(g, sunk, &topological), COSMA_OK);
    ck_assert_int_eq(topological, 1);
    /* The Split and the Q Add run after the KV projection. */
    ck_assert_int_gt(position(sunk, X_OPS, X_S), position(sunk, X_OPS, X_K));
    ck_assert_int_gt(position(sunk, X_OPS, X_QADD), position(sunk, X_OPS, X_K));
    /* The whole result, as derived above the graph. */
    const int32_t expected[X_OPS] = {X_F, X_K, X_S, X_K2, X_P, X_QADD, X_OUT};
    ck_assert_mem_eq(sunk, expected, sizeof expected);
    ck_assert_uint_eq(residency_traffic(&problem, given, 24), 4);
    ck_assert_uint_eq(residency_traffic(&problem, sunk, 24), 0);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* With a budget that nothing exceeds there is no excess to lower, but the
 * live bytes still fall: the Split and the Q Add still go later, and the
 * order stays a topological one.  An empty move list (an order already
 * sunk) changes nothing. */
START_TEST(sink_is_idempotent_on_its_result)
{
    cosma_graph_t *g = graph_cross();
    cosma_problem_t problem;
    ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, NULL), COSMA_OK);
    int32_t given[X_OPS], sunk[X_OPS], again[X_OPS];
    for (int32_t o = 0; o < X_OPS; o++)
        given[o] = o;
    int changed = 0;
    ck_assert_int_eq(cosma_candidate_relieved_order(&problem, given, 1000, sunk, &changed), COSMA_OK);
    ck_assert_int_eq(changed, 1);
    ck_assert_int_gt(position(sunk, X_OPS, X_S), position(sunk, X_OPS, X_K));
    ck_assert_int_eq(cosma_candidate_relieved_order(&problem, sunk, 1000, again, &changed), COSMA_OK);
    ck_assert_int_eq(changed, 0);
    ck_assert_mem_eq(again, sunk, sizeof sunk);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* The score the construction lowers, computed here independently from the
 * zero-spill lifetimes of the order. */
typedef struct {
    uint64_t excess, live;
} score_t;

static score_t order_score(const cosma_graph_t *g, const cosma_problem_t *problem, const cosma_mode_t *mode,
                           const int32_t *order, uint64_t budget)
{
    int32_t *first = malloc((size_t)g->n_tensors * sizeof(int32_t));
    int32_t *last = malloc((size_t)g->n_tensors * sizeof(int32_t));
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(last);
    cosma_order_lifetimes(g, mode, order, first, last);
    score_t score = {0, 0};
    for (int32_t t = 1; t <= g->n_ops; t++) {
        uint64_t live = 0;
        for (int32_t a = 0; a < g->n_tensors; a++)
            if (first[a] > 0 && first[a] <= t && t <= last[a])
                live += problem->size[a];
        score.live += live;
        score.excess += live > budget ? live - budget : 0;
    }
    free(first);
    free(last);
    return score;
}

enum { LAYERS = 8, WIDTH = 5, SEEDS = 40 };

START_TEST(sink_never_raises_the_score_on_random_graphs)
{
    int32_t n_changed = 0, n_lowered = 0;
    for (uint32_t seed = 1; seed <= SEEDS; seed++)
        for (int m = 0; m < 2; m++) {
            const cosma_mode_t *mode = m == 0 ? &plain : &with_params;
            cosma_graph_t *g = test_graph_layered(LAYERS, WIDTH, seed, 8, 32);
            cosma_problem_t problem;
            ck_assert_int_eq(cosma_problem_init(&problem, g, mode, NULL), COSMA_OK);
            int32_t n = g->n_ops;
            uint64_t m_r = 0;
            for (int32_t o = 0; o < n; o++)
                if (cosma_problem_working_set(&problem, o) > m_r)
                    m_r = cosma_problem_working_set(&problem, o);
            int32_t *given = malloc((size_t)n * sizeof(int32_t));
            int32_t *sunk = malloc((size_t)n * sizeof(int32_t));
            int32_t *again = malloc((size_t)n * sizeof(int32_t));
            for (int32_t o = 0; o < n; o++)
                given[o] = o;
            for (uint64_t budget = m_r; budget <= 2 * m_r; budget += m_r / 4 + 1) {
                int changed = 0, changed_again = 0;
                ck_assert_int_eq(cosma_candidate_relieved_order(&problem, given, budget, sunk, &changed), COSMA_OK);
                ck_assert_int_eq(cosma_candidate_relieved_order(&problem, given, budget, again, &changed_again),
                                 COSMA_OK);
                ck_assert_int_eq(changed, changed_again);
                ck_assert_mem_eq(sunk, again, (size_t)n * sizeof(int32_t));
                int topological = 0;
                ck_assert_int_eq(cosma_order_check(g, sunk, &topological), COSMA_OK);
                ck_assert_int_eq(topological, 1);
                score_t before = order_score(g, &problem, mode, given, budget);
                score_t after = order_score(g, &problem, mode, sunk, budget);
                ck_assert_uint_le(after.excess, before.excess);
                if (after.excess == before.excess)
                    ck_assert_uint_le(after.live, before.live);
                ck_assert_int_eq(changed, memcmp(sunk, given, (size_t)n * sizeof(int32_t)) != 0);
                n_changed += changed;
                n_lowered += after.excess < before.excess;
            }
            free(given);
            free(sunk);
            free(again);
            cosma_problem_free(&problem);
            cosma_graph_destroy(g);
        }
    /* Not vacuous: the construction moves operators, and lowers the
     * excess, on some of them. */
    ck_assert_int_gt(n_changed, 0);
    ck_assert_int_gt(n_lowered, 0);
}
END_TEST

/* Through the planner: the cross graph's plan at 24 bytes verifies and has
 * no traffic (the sunk order's, or an order at least as good). */
START_TEST(planner_plans_the_cross_graph)
{
    cosma_graph_t *g = graph_cross();
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.budget_bytes = 24;
    options.time_limit = 30;
    cosma_plan_t *plan = NULL;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_msg(cosma_planner_plan(g, &options, &plan, &diag.diag) == COSMA_OK, "%s", diag.text);
    ck_assert_uint_eq(plan->traffic.spill_bytes + plan->traffic.retrieve_bytes, 0);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

/* "stem": activations only, sizes in bytes.
 *   0 A:   in -> r (10)        the stem's big tensor
 *   1 B:   r -> b (2)          a cell branch reading it
 *   2 Pd:  r -> p (10)         the Pad, r's last reader
 *   3 Q:   p -> q (1)          the pool after the Pad
 *   4 C:   b -> c (1)          the branch shrinks its result
 *   5 Out: q, c -> out (1)
 * Live bytes in this order: 11, 12, 22, 14, 4, 3; at budget 21 the Pad's
 * step holds 1 byte too many, and b (2 bytes, the smallest tensor there
 * that is not an operand) is spilled and read back: 4 bytes of traffic.
 * Delaying Pd by 2 (to after C) takes Q with it (it reads p): A, B, C, Pd,
 * Q, Out, live 11, 12, 13, 21, 12, 3: it fits, traffic 0. */
enum { T_A, T_B, T_PD, T_Q, T_C, T_OUT, T_OPS };
static cosma_graph_t *graph_stem(void)
{
    cosma_graph_t *g = test_graph_new("stem");
    test_graph_tensor(g, "in", COSMA_TENSOR_INPUT, 1);
    test_graph_tensor(g, "r", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 2);
    test_graph_tensor(g, "p", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "q", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "c", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "A", "in", "r");
    test_graph_op(g, "B", "r", "b");
    test_graph_op(g, "Pd", "r", "p");
    test_graph_op(g, "Q", "p", "q");
    test_graph_op(g, "C", "b", "c");
    test_graph_op(g, "Out", "q,c", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

START_TEST(subtree_move_takes_descendants_and_ancestors)
{
    cosma_graph_t *g = graph_stem();
    cosma_problem_t problem;
    ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, NULL), COSMA_OK);
    const int32_t given[T_OPS] = {T_A, T_B, T_PD, T_Q, T_C, T_OUT};
    unsigned char mark[T_OPS] = {0};
    int32_t trial[T_OPS];
    /* Pd delayed to after C: Q goes with it. */
    ck_assert_int_eq(cosma_order_subtree_move(&problem, given, 2, 4, mark, trial), 2);
    const int32_t delayed[T_OPS] = {T_A, T_B, T_C, T_PD, T_Q, T_OUT};
    ck_assert_mem_eq(trial, delayed, sizeof delayed);
    /* C advanced to before Pd: nothing in between feeds it. */
    ck_assert_int_eq(cosma_order_subtree_move(&problem, given, 4, 2, mark, trial), 1);
    ck_assert_mem_eq(trial, delayed, sizeof delayed);
    /* Q advanced to before B takes Pd along, B stays after them. */
    ck_assert_int_eq(cosma_order_subtree_move(&problem, given, 3, 1, mark, trial), 2);
    const int32_t advanced[T_OPS] = {T_A, T_PD, T_Q, T_B, T_C, T_OUT};
    ck_assert_mem_eq(trial, advanced, sizeof advanced);
    /* Out advanced to before B: everything between is its ancestor. */
    ck_assert_int_eq(cosma_order_subtree_move(&problem, given, 5, 1, mark, trial), 5);
    ck_assert_mem_eq(trial, given, sizeof given);
    for (int32_t o = 0; o < T_OPS; o++)
        ck_assert_int_eq(mark[o], 0);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* The subtree search's score in these tests: the residency's traffic. */
static cosma_status_t stem_score(void *ctx, const int32_t *order, uint64_t *out_score)
{
    *out_score = residency_traffic(ctx, order, 21);
    return COSMA_OK;
}

START_TEST(subtree_search_delays_the_pad)
{
    cosma_graph_t *g = graph_stem();
    cosma_problem_t problem;
    ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, NULL), COSMA_OK);
    int32_t order[T_OPS] = {T_A, T_B, T_PD, T_Q, T_C, T_OUT};
    uint64_t score = residency_traffic(&problem, order, 21);
    ck_assert_uint_eq(score, 4);
    cosma_order_search_t search = {.max_moves = 100, .deadline = cosma_clock_seconds() + 60, .target = 0,
                                   .score = stem_score, .ctx = &problem};
    int changed = 0;
    ck_assert_int_eq(cosma_order_subtree_search(&problem, order, 21, &search, 8, &score, &changed), COSMA_OK);
    ck_assert_int_eq(changed, 1);
    ck_assert_uint_eq(score, 0);
    const int32_t delayed[T_OPS] = {T_A, T_B, T_C, T_PD, T_Q, T_OUT};
    ck_assert_mem_eq(order, delayed, sizeof delayed);
    /* Nothing is hot any more: a second search changes nothing. */
    ck_assert_int_eq(cosma_order_subtree_search(&problem, order, 21, &search, 8, &score, &changed), COSMA_OK);
    ck_assert_int_eq(changed, 0);
    ck_assert_mem_eq(order, delayed, sizeof delayed);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* Whether op b depends on op a (a path a -> ... -> b), by a search over
 * the readers: independent of the move's own scan. */
static int depends_on(const cosma_problem_t *p, int32_t a, int32_t b, unsigned char *seen)
{
    if (a == b)
        return 1;
    if (seen[a])
        return 0;
    seen[a] = 1;
    for (int32_t k = p->succ_start[a]; k < p->succ_start[a + 1]; k++)
        if (depends_on(p, p->succs[k], b, seen))
            return 1;
    return 0;
}

START_TEST(subtree_moves_keep_orders_topological)
{
    int32_t n_nontrivial = 0;
    for (uint32_t seed = 1; seed <= 10; seed++) {
        cosma_graph_t *g = test_graph_layered(LAYERS, WIDTH, seed, 8, 32);
        cosma_problem_t problem;
        ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, NULL), COSMA_OK);
        int32_t n = g->n_ops;
        int32_t *order = malloc((size_t)n * sizeof(int32_t));
        int32_t *trial = malloc((size_t)n * sizeof(int32_t));
        unsigned char *mark = calloc((size_t)n, 1);
        unsigned char *seen = calloc((size_t)n, 1);
        for (int32_t o = 0; o < n; o++)
            order[o] = o;
        for (int32_t i = 0; i < n; i++)
            for (int32_t j = 0; j < n; j++) {
                if (i == j)
                    continue;
                int32_t moved = cosma_order_subtree_move(&problem, order, i, j, mark, trial);
                int topological = 0;
                ck_assert_int_eq(cosma_order_check(g, trial, &topological), COSMA_OK);
                ck_assert_int_eq(topological, 1);
                int32_t lo = i < j ? i : j, hi = i < j ? j : i, expected = 0;
                /* The moved ones: the operator's descendants (delay) or
                 * ancestors (advance) in the range, in their order, after
                 * (delay) or before (advance) the others. */
                int32_t in_moved[2] = {0, 0}, m = lo;
                for (int pass = 0; pass < 2; pass++)
                    for (int32_t k = lo; k <= hi; k++) {
                        memset(seen, 0, (size_t)n);
                        int related = j > i ? depends_on(&problem, order[i], order[k], seen)
                                            : depends_on(&problem, order[k], order[i], seen);
                        if (related == ((j > i) == (pass == 1)))
                            ck_assert_int_eq(trial[m++], order[k]);
                        in_moved[pass] += related == ((j > i) == (pass == 1));
                    }
                expected = j > i ? in_moved[1] : in_moved[0];
                ck_assert_int_eq(moved, expected);
                ck_assert_mem_eq(trial, order, (size_t)lo * sizeof(int32_t));
                ck_assert_mem_eq(trial + hi + 1, order + hi + 1, (size_t)(n - hi - 1) * sizeof(int32_t));
                n_nontrivial += moved > 1 && moved < hi - lo + 1;
            }
        for (int32_t o = 0; o < n; o++)
            ck_assert_int_eq(mark[o], 0);
        free(order);
        free(trial);
        free(mark);
        free(seen);
        cosma_problem_free(&problem);
        cosma_graph_destroy(g);
    }
    /* Not vacuous: many moves take some operators along, not all. */
    ck_assert_int_gt(n_nontrivial, 100);
}
END_TEST

/* "xattn": a decoder layer's cross-attention, sizes 1 (the moves only).
 *   M:  in -> mem              the encoder output
 *   W:  w -> wq, wk            the weight Split (a source)
 *   B:  wb -> bq, bk           the bias Split (a source)
 *   K:  mem, wk -> k0          the K projection
 *   KB: k0, bk -> k            the K bias Add (reads both Splits)
 *   L:  mem -> h               the LayerNorm before the Q projection
 *   Q:  h, wq -> q0
 *   QB: q0, bq -> q
 *   O:  q, k -> out
 * B (the later source) is tried first: its only target is Q (K feeds
 * KB, but no descendant of B lies between them), and nothing else shares
 * KB before Q, so B and KB go past Q alone.  W's target is L: K and KB go
 * with it, and B too (it shares KB, and L does not read it). */
enum { A_M, A_W, A_B, A_K, A_KB, A_L, A_Q, A_QB, A_O, A_OPS };
static cosma_graph_t *graph_xattn(void)
{
    cosma_graph_t *g = test_graph_new("xattn");
    const char *inputs[] = {"in", "w", "wb"};
    const cosma_tensor_kind_t kinds[] = {COSMA_TENSOR_INPUT, COSMA_TENSOR_PARAM, COSMA_TENSOR_PARAM};
    for (int k = 0; k < 3; k++)
        test_graph_tensor(g, inputs[k], kinds[k], 1);
    const char *activations[] = {"mem", "wq", "wk", "bq", "bk", "k0", "k", "h", "q0", "q"};
    for (int k = 0; k < 10; k++)
        test_graph_tensor(g, activations[k], COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "M", "in", "mem");
    test_graph_op(g, "W", "w", "wq,wk");
    test_graph_op(g, "B", "wb", "bq,bk");
    test_graph_op(g, "K", "mem,wk", "k0");
    test_graph_op(g, "KB", "k0,bk", "k");
    test_graph_op(g, "L", "mem", "h");
    test_graph_op(g, "Q", "h,wq", "q0");
    test_graph_op(g, "QB", "q0,bq", "q");
    test_graph_op(g, "O", "q,k", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

/* Records the trials; scores the wanted one 1, the others 10. */
typedef struct {
    int32_t trials[4][A_OPS];
    int32_t n_trials;
    const int32_t *wanted;
} xattn_trials_t;

static cosma_status_t xattn_score(void *ctx, const int32_t *order, uint64_t *out_score)
{
    xattn_trials_t *t = ctx;
    ck_assert_int_lt(t->n_trials, 4);
    memcpy(t->trials[t->n_trials++], order, sizeof t->trials[0]);
    *out_score = memcmp(order, t->wanted, sizeof t->trials[0]) == 0 ? 1 : 10;
    return COSMA_OK;
}

START_TEST(source_search_moves_sources_sharing_descendants)
{
    cosma_graph_t *g = graph_xattn();
    cosma_problem_t problem;
    ck_assert_int_eq(cosma_problem_init(&problem, g, &with_params, NULL), COSMA_OK);
    int32_t order[A_OPS] = {A_M, A_W, A_B, A_K, A_KB, A_L, A_Q, A_QB, A_O};
    const int32_t bias_past_q[A_OPS] = {A_M, A_W, A_K, A_L, A_Q, A_B, A_KB, A_QB, A_O};
    const int32_t both_past_l[A_OPS] = {A_M, A_L, A_W, A_B, A_K, A_KB, A_Q, A_QB, A_O};
    xattn_trials_t trials = {.wanted = both_past_l};
    cosma_order_search_t search = {.max_moves = 10, .deadline = cosma_clock_seconds() + 60, .target = 0,
                                   .score = xattn_score, .ctx = &trials};
    uint64_t score = 5;
    int changed = 0;
    ck_assert_int_eq(cosma_order_source_search(&problem, order, &search, 2, &score, &changed), COSMA_OK);
    ck_assert_int_eq(trials.n_trials, 2);
    ck_assert_mem_eq(trials.trials[0], bias_past_q, sizeof bias_past_q);
    ck_assert_mem_eq(trials.trials[1], both_past_l, sizeof both_past_l);
    ck_assert_int_eq(changed, 1);
    ck_assert_uint_eq(score, 1);
    ck_assert_mem_eq(order, both_past_l, sizeof both_past_l);
    /* At the target score the search tries nothing. */
    search.target = 1;
    trials.n_trials = 0;
    ck_assert_int_eq(cosma_order_source_search(&problem, order, &search, 2, &score, &changed), COSMA_OK);
    ck_assert_int_eq(trials.n_trials, 0);
    ck_assert_int_eq(changed, 0);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* Checks every trial (a topological order, not the current one) and
 * keeps every second one, so the search goes on from moved orders. */
typedef struct {
    const cosma_graph_t *graph;
    const int32_t *current;
    int32_t n_trials;
} random_trials_t;

static cosma_status_t random_score(void *ctx, const int32_t *order, uint64_t *out_score)
{
    random_trials_t *t = ctx;
    int topological = 0;
    ck_assert_int_eq(cosma_order_check(t->graph, order, &topological), COSMA_OK);
    ck_assert_int_eq(topological, 1);
    ck_assert_int_ne(memcmp(order, t->current, (size_t)t->graph->n_ops * sizeof(int32_t)), 0);
    *out_score = t->n_trials++ % 2 == 0 ? UINT64_MAX : 1000 - (uint64_t)t->n_trials;
    return COSMA_OK;
}

START_TEST(source_moves_keep_orders_topological)
{
    int32_t n_trials = 0;
    for (uint32_t seed = 1; seed <= 10; seed++) {
        cosma_graph_t *g = test_graph_layered(LAYERS, WIDTH, seed, 8, 32);
        cosma_problem_t problem;
        ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, NULL), COSMA_OK);
        int32_t *order = malloc((size_t)g->n_ops * sizeof(int32_t));
        for (int32_t o = 0; o < g->n_ops; o++)
            order[o] = o;
        random_trials_t trials = {.graph = g, .current = order};
        cosma_order_search_t search = {.max_moves = 1000, .deadline = cosma_clock_seconds() + 60, .target = 0,
                                       .score = random_score, .ctx = &trials};
        uint64_t score = 1000;
        int changed = 0;
        ck_assert_int_eq(cosma_order_source_search(&problem, order, &search, 3, &score, &changed), COSMA_OK);
        int topological = 0;
        ck_assert_int_eq(cosma_order_check(g, order, &topological), COSMA_OK);
        ck_assert_int_eq(topological, 1);
        ck_assert_int_eq(changed, trials.n_trials >= 2);
        n_trials += trials.n_trials;
        free(order);
        cosma_problem_free(&problem);
        cosma_graph_destroy(g);
    }
    ck_assert_int_gt(n_trials, 20); /* not vacuous */
}
END_TEST

static Suite *candidates_suite(void)
{
    Suite *suite = suite_create("candidates");
    TCase *sink = tcase_create("sink");
    tcase_set_timeout(sink, 300);
    tcase_add_test(sink, sink_takes_the_split_past_the_full_step);
    tcase_add_test(sink, sink_is_idempotent_on_its_result);
    tcase_add_test(sink, sink_never_raises_the_score_on_random_graphs);
    tcase_add_test(sink, planner_plans_the_cross_graph);
    suite_add_tcase(suite, sink);
    TCase *subtrees = tcase_create("subtrees");
    tcase_set_timeout(subtrees, 300);
    tcase_add_test(subtrees, subtree_move_takes_descendants_and_ancestors);
    tcase_add_test(subtrees, subtree_search_delays_the_pad);
    tcase_add_test(subtrees, subtree_moves_keep_orders_topological);
    suite_add_tcase(suite, subtrees);
    TCase *sources = tcase_create("sources");
    tcase_add_test(sources, source_search_moves_sources_sharing_descendants);
    tcase_add_test(sources, source_moves_keep_orders_topological);
    suite_add_tcase(suite, sources);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(candidates_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
