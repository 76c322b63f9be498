/* test_dc.c: divide-and-conquer: the state a window hands to the next is
 * exact (it prices the cut as the whole model does), the stitched order is
 * a topological order found window by window, the windows keep their
 * deadline, and `--method dc` gives a verified plan no worse than the
 * greedy baselines. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>
#include <cosma/verify.h>
#include "planner_internal.h"
#include "test_support.h"

static const cosma_mode_t plain = {0, 0};

static cosma_graph_t *finalize(cosma_graph_t *graph)
{
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_graph_finalize(graph, &diag.diag), COSMA_OK);
    return graph;
}

/* x(1) -> op1 -> a(10) -> op2 -> b(10) -> op3 -> c(10); op4 reads a and c
 * and writes d(1).  At 21 bytes, a must leave the scratchpad during op3:
 * the whole graph's optimum is spill 10 + retrieve 10 = 20. */
static const struct {
    const char *name;
    cosma_tensor_kind_t kind;
    uint64_t bytes;
} chain_tensors[] = {{"x", COSMA_TENSOR_INPUT, 1},
                     {"a", COSMA_TENSOR_ACTIVATION, 10},
                     {"b", COSMA_TENSOR_ACTIVATION, 10},
                     {"c", COSMA_TENSOR_ACTIVATION, 10},
                     {"d", COSMA_TENSOR_OUTPUT, 1}};
static const char *const chain_ops[][3] = {{"op1", "x", "a"}, {"op2", "a", "b"}, {"op3", "b", "c"}, {"op4", "a,c", "d"}};

static cosma_graph_t *skip_chain(void)
{
    cosma_graph_t *g = test_graph_new("skip_chain");
    for (size_t k = 0; k < sizeof chain_tensors / sizeof chain_tensors[0]; k++)
        test_graph_tensor(g, chain_tensors[k].name, chain_tensors[k].kind, chain_tensors[k].bytes);
    for (size_t k = 0; k < sizeof chain_ops / sizeof chain_ops[0]; k++)
        test_graph_op(g, chain_ops[k][0], chain_ops[k][1], chain_ops[k][2]);
    return finalize(g);
}

/* A layered graph of `layers` x `width` operators, sizes 4..19 bytes
 * (test_graph_layered). */
static cosma_graph_t *layered(int layers, int width)
{
    return test_graph_layered(layers, width, 12345, 4, 16);
}

/* Solves the window ops[0 .. n) of skip_chain at 21 bytes entered in
 * `state`; returns the window model's optimum (its proven bound). */
static uint64_t solve_window(const cosma_problem_t *problem, const int32_t *ops, int32_t n, const uint8_t *state,
                             const uint8_t *after, int32_t commit, uint8_t *out_state)
{
    cosma_joint_window_t window = {
        .ops = ops, .n_ops = n, .state = state, .after = after, .commit = commit, .out_state = out_state};
    cosma_joint_options_t options;
    cosma_joint_options_init(&options);
    options.budget = 21;
    options.window = &window;
    int32_t order[4];
    uint64_t bound;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_joint_solve(problem, &options, order, &bound, &diag.diag), COSMA_OK);
    return bound;
}

/* The cut after op2 of skip_chain: the first window keeps a and b
 * (leaving either would cost its reload and spill), so a enters the second
 * window resident without a host copy, and op3 forces it out: spill and
 * retrieve, 20, the whole graph's optimum.  Entered with a host copy (a
 * state that forgot nothing but was made up) the same window costs only
 * the retrieve: the price depends on the carried state, exactly. */
START_TEST(state_across_a_cut_is_exact)
{
    cosma_graph_t *g = skip_chain();
    cosma_problem_t problem;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, &diag.diag), COSMA_OK);
    enum { X, A, B, C, D };
    uint8_t state[5] = {COSMA_JOINT_HOST_COPY | COSMA_JOINT_FIRST_LOAD, 0, 0, 0, COSMA_JOINT_HOST_COPY};
    uint8_t after[5] = {0, 1, 1, 0, 0}, middle[5], end[5];
    const int32_t first[2] = {0, 1}, second[2] = {2, 3};
    ck_assert_uint_eq(solve_window(&problem, first, 2, state, after, 2, middle), 0);
    ck_assert_int_eq(middle[X], COSMA_JOINT_HOST_COPY); /* loaded once, dropped */
    ck_assert_int_eq(middle[A], COSMA_JOINT_RESIDENT);
    ck_assert_int_eq(middle[B], COSMA_JOINT_RESIDENT);
    const uint8_t none[5] = {0};
    ck_assert_uint_eq(solve_window(&problem, second, 2, middle, none, 1, end), 20);
    ck_assert_int_eq(end[A], COSMA_JOINT_HOST_COPY); /* spilled, not resident */
    ck_assert_int_eq(end[B], 0);                     /* dead after op3 */
    ck_assert_int_eq(end[C], COSMA_JOINT_RESIDENT);
    middle[A] |= COSMA_JOINT_HOST_COPY;
    ck_assert_uint_eq(solve_window(&problem, second, 2, middle, none, 1, end), 10);
    middle[A] = 0; /* not resident, host copy forgotten: no model can load it */
    cosma_joint_window_t window = {.ops = second, .n_ops = 2, .state = middle, .after = none, .commit = 1};
    ck_assert_int_gt(cosma_joint_columns(&problem, &window), 0);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* The problem of g and its default order as the reference. */
static void setup(const cosma_graph_t *g, cosma_problem_t *problem, test_diag_t *diag, int32_t *reference)
{
    test_diag_init(diag);
    ck_assert_int_eq(cosma_problem_init(problem, g, &plain, &diag->diag), COSMA_OK);
    for (int32_t o = 0; o < g->n_ops; o++)
        reference[o] = o;
}

/* Small windows on a 30-operator graph: several windows, each solved or
 * reused, the stitched order topological, and the same twice. */
START_TEST(windows_stitch_a_topological_order)
{
    cosma_graph_t *g = layered(10, 3);
    cosma_problem_t problem;
    test_diag_t diag;
    int32_t reference[30], order[30], again[30];
    setup(g, &problem, &diag, reference);
    cosma_dc_options_t options;
    cosma_dc_options_init(&options);
    options.budget = 60;
    options.deadline = cosma_clock_seconds() + 60;
    options.window_columns = 150;
    options.node_limit = 20; /* ends every search before the clock: deterministic */
    cosma_dc_stats_t stats;
    ck_assert_int_eq(cosma_dc_order(&problem, reference, &options, order, &stats, &diag.diag), COSMA_OK);
    ck_assert(cosma_order_is_topological(g, order));
    ck_assert_int_ge(stats.n_windows, 3);
    ck_assert_int_eq(stats.n_windows, stats.n_solved + stats.n_reused + stats.n_fixed);
    ck_assert_int_ge(stats.n_solved, 1);
    ck_assert_int_eq(stats.stopped_by_clock, 0);
    ck_assert_int_eq(cosma_dc_order(&problem, reference, &options, again, NULL, &diag.diag), COSMA_OK);
    ck_assert_mem_eq(order, again, sizeof order);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* A graph built to be slow (160 operators, windows whose models do not
 * close, no node limit): the run stops within 10% of its deadline, the
 * windows not reached keep the reference order. */
START_TEST(windows_keep_the_deadline)
{
    cosma_graph_t *g = layered(40, 4);
    cosma_problem_t problem;
    test_diag_t diag;
    int32_t reference[160], order[160];
    setup(g, &problem, &diag, reference);
    const double seconds = 2.0;
    cosma_dc_options_t options;
    cosma_dc_options_init(&options);
    options.budget = 60;
    options.node_limit = 0;
    double started = cosma_clock_seconds();
    options.deadline = started + seconds;
    cosma_dc_stats_t stats;
    ck_assert_int_eq(cosma_dc_order(&problem, reference, &options, order, &stats, &diag.diag), COSMA_OK);
    double elapsed = cosma_clock_seconds() - started;
    /* 10%, plus half a second for a runner whose two cores are taken by
     * other tests (the command's own limit is tested by cli/anytime.sh). */
    ck_assert_msg(elapsed <= 1.1 * seconds + 0.5, "%.2f s for a %.1f s deadline", elapsed, seconds);
    ck_assert(cosma_order_is_topological(g, order));
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

static uint64_t non_compulsory(const cosma_plan_t *plan)
{
    return plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
}

/* The plan of --method dc is verified and no worse than any greedy
 * baseline that can run, at M_R and half-way to the minimum peak. */
START_TEST(method_dc_no_worse_than_greedy)
{
    cosma_graph_t *graphs[2] = {skip_chain(), layered(6, 3)};
    for (int k = 0; k < 2; k++) {
        cosma_graph_t *g = graphs[k];
        test_diag_t diag;
        test_diag_init(&diag);
        cosma_bounds_t bounds;
        ck_assert_int_eq(cosma_planner_bounds(g, &plain, 5, &bounds, &diag.diag), COSMA_OK);
        uint64_t budgets[2] = {bounds.m_r, bounds.m_h};
        for (int b = 0; b < 2; b++) {
            cosma_plan_options_t options;
            cosma_plan_options_init(&options);
            options.mode = plain;
            options.budget_bytes = budgets[b];
            options.method = COSMA_METHOD_DC;
            options.time_limit = 4;
            cosma_plan_t *plan = NULL;
            ck_assert_int_eq(cosma_planner_plan(g, &options, &plan, &diag.diag), COSMA_OK);
            cosma_traffic_t traffic;
            ck_assert_int_eq(cosma_plan_verify(g, plan, &traffic, &diag.diag), COSMA_OK);
            for (const char *const *name = (const char *const[]){"default-greedy", "peak-greedy", NULL}; *name;
                 name++) {
                cosma_plan_t *greedy = NULL;
                if (cosma_baseline_plan(g, &plain, budgets[b], *name, 1, &greedy, NULL) == COSMA_OK)
                    ck_assert_uint_le(non_compulsory(plan), non_compulsory(greedy));
                cosma_plan_destroy(greedy);
            }
            cosma_plan_destroy(plan);
        }
        cosma_bounds_free(&bounds);
        cosma_graph_destroy(g);
    }
}
END_TEST

static Suite *dc_suite(void)
{
    Suite *suite = suite_create("dc");
    TCase *tc = tcase_create("divide-and-conquer");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, state_across_a_cut_is_exact);
    tcase_add_test(tc, windows_stitch_a_topological_order);
    tcase_add_test(tc, windows_keep_the_deadline);
    tcase_add_test(tc, method_dc_no_worse_than_greedy);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(dc_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
