/* test_candidates.c: the relieved candidate order (planner/candidates.c).
 * On a small graph shaped like a Transformer decoder's cross-attention
 * (a bias Split read by the Q Add and by the KV Add, a full step between
 * them) the relieved order must take the Split past the full step with the Q
 * Add, and its residency must cost nothing where the given order's costs
 * a spill; on random layered graphs, at budgets from the largest working
 * set up, the relieved order must be a topological order whose live bytes
 * above the budget (then live bytes) summed over the steps are no more
 * than the given order's, and the same on every call. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>
#include "planner_internal.h"
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
