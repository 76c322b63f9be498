/* test_planner.c: the planner against optima computed by hand, on small
 * graphs (sizes in bytes, raw tensors). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/frontend.h>
#include <cosma/planner.h>
#include <cosma/verify.h>
#include "test_support.h"

static const cosma_mode_t plain = {0, 0};
static const cosma_mode_t with_params = {1, 0};

static cosma_graph_t *finalize(cosma_graph_t *graph)
{
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_graph_finalize(graph, &diag.diag), COSMA_OK);
    return graph;
}

/* x(1) -> op1 -> a(10) -> op2 -> b(10) -> op3 -> c(10); op4 reads a and c
 * and writes d(1).  One topological order.  Working sets 11, 20, 20, 21:
 * M_R = 21.  At step 3, a (kept for op4), b and c need 30 bytes: below 30,
 * a must leave during step 3: spill 10 + retrieve 10 = 20. */
static cosma_graph_t *skip_chain(void)
{
    cosma_graph_t *g = test_graph_new("skip_chain");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "c", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "d", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "op1", "x", "a");
    test_graph_op(g, "op2", "a", "b");
    test_graph_op(g, "op3", "b", "c");
    test_graph_op(g, "op4", "a,c", "d");
    return finalize(g);
}

/* Two branches from x(1): A1 -> a1(10) -> A2 -> a2(1) and B1 -> b1(10) ->
 * B2 -> b2(1), joined by C -> out(1).  Default order A1 B1 A2 B2 C keeps a1
 * across B1 and b1 across A2: at 12 bytes both must be spilled and
 * retrieved (2 x 20 = 40).  The order A1 A2 B1 B2 C peaks at 12: zero. */
static cosma_graph_t *two_branches(void)
{
    cosma_graph_t *g = test_graph_new("two_branches");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1);
    test_graph_tensor(g, "a1", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "a2", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "b1", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "b2", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "A1", "x", "a1");
    test_graph_op(g, "B1", "x", "b1");
    test_graph_op(g, "A2", "a1", "a2");
    test_graph_op(g, "B2", "b1", "b2");
    test_graph_op(g, "C", "a2,b2", "out");
    return finalize(g);
}

/* With parameters: x(1) -> op1 [w(5)] -> a(2) -> op2 -> b(6) -> op3 [w] ->
 * c(1).  Working sets 8, 8, 12: M_Rp = 12.  Keeping w across op2 needs
 * 2 + 6 + 5 = 13 > 12, so w is dropped (it has a host copy) and loaded
 * again: retrieve 5, no spill. */
static cosma_graph_t *shared_weight(void)
{
    cosma_graph_t *g = test_graph_new("shared_weight");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1);
    test_graph_tensor(g, "w", COSMA_TENSOR_PARAM, 5);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 2);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 6);
    test_graph_tensor(g, "c", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "op1", "x,w", "a");
    test_graph_op(g, "op2", "a", "b");
    test_graph_op(g, "op3", "b,w", "c");
    return finalize(g);
}

/* Fragmentation.  Eleven tensors, one per interval (steps first..last,
 * produced at `first` and read at `last`), plus two 1-byte outputs that
 * give steps 3 and 9 an operator to run.  Live bytes per step:
 * 11 23 18 20 19 23 22 22 13, so 23 bytes hold everything at every step.
 * Yet the intervals cannot be placed in 23 bytes without moving a tensor
 * (proven by exhaustive search over bottom-left placements, and by
 * cosma_place_exact).  Moving one costs a spill and a retrieve, twice its
 * size, so no plan costs less than 2 bytes (two of the 1-byte tensors).
 * Relocating t0 (1 byte, steps 5..6) reaches that: spilled at the start
 * of step 6 and loaded again at another offset in the same step.  One
 * placement that works (check any two tensors sharing a step): t4 17,
 * t6 0, t2 5, t10 11, o3 17, t8 20, t9 22, t5 16, t7 11, t1 5, t3 16,
 * o9 0, and t0 at 11 for step 5, then at 22 for step 6.  (Before the
 * planner knew relocation it called 4 bytes optimal here.) */
static const struct {
    int first, last;
    uint64_t bytes;
} fragment_intervals[11] = {{5, 6, 1}, {7, 9, 6}, {2, 6, 6}, {8, 9, 6}, {1, 2, 6}, {5, 7, 4},
                            {1, 8, 5}, {6, 8, 5}, {4, 7, 2}, {4, 5, 1}, {2, 4, 6}};

static cosma_graph_t *fragmenting(void)
{
    cosma_graph_t *g = test_graph_new("fragmenting");
    char name[16], inputs[128], outputs[128];
    for (int i = 0; i < 11; i++) {
        snprintf(name, sizeof name, "t%d", i);
        test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, fragment_intervals[i].bytes);
    }
    test_graph_tensor(g, "o3", COSMA_TENSOR_OUTPUT, 1);
    test_graph_tensor(g, "o9", COSMA_TENSOR_OUTPUT, 1);
    for (int step = 1; step <= 9; step++) {
        inputs[0] = outputs[0] = '\0';
        for (int i = 0; i < 11; i++) {
            char *list = fragment_intervals[i].first == step ? outputs
                         : fragment_intervals[i].last == step ? inputs
                                                             : NULL;
            if (list == NULL)
                continue;
            snprintf(list + strlen(list), 128 - strlen(list), "%st%d", list[0] ? "," : "", i);
        }
        if (step == 3 || step == 9)
            snprintf(outputs + strlen(outputs), 128 - strlen(outputs), "%so%d", outputs[0] ? "," : "", step);
        snprintf(name, sizeof name, "op%d", step);
        test_graph_op(g, name, inputs, outputs);
    }
    return finalize(g);
}

static cosma_plan_t *plan_or_fail(const cosma_graph_t *graph, cosma_mode_t mode, uint64_t budget,
                                  cosma_schedule_t schedule, cosma_status_t expected)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.mode = mode;
    options.budget_bytes = budget;
    options.schedule = schedule;
    options.time_limit = 20.0;
    cosma_plan_t *plan = NULL;
    cosma_status_t status = cosma_planner_plan(graph, &options, &plan, &diag.diag);
    ck_assert_msg(status == expected, "status %d, expected %d: %s", status, expected, diag.text);
    if (plan != NULL) {
        cosma_traffic_t traffic;
        test_diag_t verify;
        test_diag_init(&verify);
        ck_assert_msg(cosma_plan_verify(graph, plan, &traffic, &verify.diag) == COSMA_OK, "%s", verify.text);
        ck_assert_uint_le(plan->traffic.peak_bytes, budget);
    }
    return plan;
}

static uint64_t non_compulsory(const cosma_plan_t *plan)
{
    return plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
}

START_TEST(bounds_of_skip_chain)
{
    cosma_graph_t *g = skip_chain();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_bounds_t bounds;
    ck_assert_int_eq(cosma_planner_bounds(g, &plain, 5, &bounds, &diag.diag), COSMA_OK);
    ck_assert_uint_eq(bounds.m_r, 21);
    ck_assert_int_eq(bounds.m_r_op, 3);
    /* Only order: step 3 holds a, b, c. */
    ck_assert_uint_eq(bounds.m_p_upper, 30);
    ck_assert(bounds.m_p_exact);
    ck_assert_uint_eq(bounds.m_h, 25);
    cosma_bounds_free(&bounds);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(skip_chain_spills_once)
{
    cosma_graph_t *g = skip_chain();
    for (int schedule = COSMA_SCHEDULE_JOINT; schedule <= COSMA_SCHEDULE_FIXED; schedule++) {
        cosma_plan_t *plan = plan_or_fail(g, plain, 21, (cosma_schedule_t)schedule, COSMA_OK);
        ck_assert_uint_eq(plan->traffic.spill_bytes, 10);
        ck_assert_uint_eq(plan->traffic.retrieve_bytes, 10);
        ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, 1);
        ck_assert_uint_eq(plan->traffic.compulsory_store_bytes, 1);
        ck_assert_uint_eq(plan->lower_bound_bytes, 20);
        ck_assert_int_eq(plan->status, COSMA_PLAN_OPTIMAL);
        cosma_plan_destroy(plan);
    }
    /* At 29 bytes still one spill; at 30 none. */
    cosma_plan_t *plan = plan_or_fail(g, plain, 29, COSMA_SCHEDULE_JOINT, COSMA_OK);
    ck_assert_uint_eq(non_compulsory(plan), 20);
    cosma_plan_destroy(plan);
    plan = plan_or_fail(g, plain, 30, COSMA_SCHEDULE_JOINT, COSMA_OK);
    ck_assert_uint_eq(non_compulsory(plan), 0);
    ck_assert_int_eq(plan->status, COSMA_PLAN_OPTIMAL);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(budget_below_m_r_names_the_operator)
{
    cosma_graph_t *g = skip_chain();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.mode = plain;
    options.budget_bytes = 20;
    options.time_limit = 5.0;
    cosma_plan_t *plan = NULL;
    ck_assert_int_eq(cosma_planner_plan(g, &options, &plan, &diag.diag), COSMA_ERR_INFEASIBLE);
    ck_assert_ptr_null(plan);
    ck_assert_msg(test_diag_contains(&diag, "'op4'") && test_diag_contains(&diag, "21 bytes"), "%s", diag.text);
    ck_assert(!test_diag_contains(&diag, "'op2'"));
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(joint_schedule_beats_default_order)
{
    cosma_graph_t *g = two_branches();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_bounds_t bounds;
    ck_assert_int_eq(cosma_planner_bounds(g, &plain, 5, &bounds, &diag.diag), COSMA_OK);
    ck_assert_uint_eq(bounds.m_r, 11);
    ck_assert_uint_eq(bounds.m_p_upper, 12);
    ck_assert(bounds.m_p_exact);
    cosma_bounds_free(&bounds);

    cosma_plan_t *fixed = plan_or_fail(g, plain, 12, COSMA_SCHEDULE_FIXED, COSMA_OK);
    ck_assert_uint_eq(fixed->traffic.spill_bytes, 20);
    ck_assert_uint_eq(fixed->traffic.retrieve_bytes, 20);
    ck_assert_int_eq(fixed->status, COSMA_PLAN_OPTIMAL);
    cosma_plan_t *joint = plan_or_fail(g, plain, 12, COSMA_SCHEDULE_JOINT, COSMA_OK);
    ck_assert_uint_eq(non_compulsory(joint), 0);
    ck_assert_int_eq(joint->status, COSMA_PLAN_OPTIMAL);
    /* The joint order runs A2 right after A1. */
    ck_assert_int_eq(joint->order[0], 0);
    ck_assert_int_eq(joint->order[1], 2);
    cosma_plan_destroy(fixed);
    cosma_plan_destroy(joint);

    /* Spill-free at the minimum peak; no spill-free plan below it. */
    cosma_plan_t *peak = plan_or_fail(g, plain, 12, COSMA_SCHEDULE_PEAK, COSMA_OK);
    ck_assert_uint_eq(non_compulsory(peak), 0);
    cosma_plan_destroy(peak);
    cosma_plan_t *none = plan_or_fail(g, plain, 11, COSMA_SCHEDULE_PEAK, COSMA_ERR_INFEASIBLE);
    ck_assert_ptr_null(none);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(shared_parameter_is_reloaded_not_spilled)
{
    cosma_graph_t *g = shared_weight();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_bounds_t bounds;
    ck_assert_int_eq(cosma_planner_bounds(g, &with_params, 5, &bounds, &diag.diag), COSMA_OK);
    ck_assert_uint_eq(bounds.m_r, 12);
    ck_assert_uint_eq(bounds.m_p_upper, 13);
    cosma_bounds_free(&bounds);
    cosma_plan_t *plan = plan_or_fail(g, with_params, 12, COSMA_SCHEDULE_JOINT, COSMA_OK);
    ck_assert_uint_eq(plan->traffic.spill_bytes, 0);
    ck_assert_uint_eq(plan->traffic.retrieve_bytes, 5);
    ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, 6); /* x and w once */
    ck_assert_int_eq(plan->status, COSMA_PLAN_OPTIMAL);
    cosma_plan_destroy(plan);
    /* Without parameters the weight takes no space: nothing to move. */
    plan = plan_or_fail(g, plain, 8, COSMA_SCHEDULE_JOINT, COSMA_OK);
    ck_assert_uint_eq(non_compulsory(plan), 0);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(fragmentation_forces_a_spill)
{
    cosma_graph_t *g = fragmenting();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_bounds_t bounds;
    ck_assert_int_eq(cosma_planner_bounds(g, &plain, 5, &bounds, &diag.diag), COSMA_OK);
    cosma_bounds_free(&bounds);
    int32_t order[9];
    for (int32_t o = 0; o < 9; o++)
        order[o] = o;
    uint64_t sizes[13];
    ck_assert_int_eq(cosma_graph_sizes(g, &plain, sizes, &diag.diag), COSMA_OK);
    ck_assert_uint_eq(cosma_order_peak(g, order, sizes), 23);
    cosma_plan_t *plan = plan_or_fail(g, plain, 23, COSMA_SCHEDULE_FIXED, COSMA_OK);
    ck_assert_uint_eq(plan->traffic.spill_bytes, 1);
    ck_assert_uint_eq(plan->traffic.retrieve_bytes, 1);
    ck_assert_uint_eq(plan->lower_bound_bytes, 2);
    ck_assert_int_eq(plan->status, COSMA_PLAN_OPTIMAL);
    cosma_plan_destroy(plan);
    /* One byte more and nothing moves. */
    plan = plan_or_fail(g, plain, 24, COSMA_SCHEDULE_FIXED, COSMA_OK);
    ck_assert_uint_eq(non_compulsory(plan), 0);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(same_input_same_plan)
{
    cosma_graph_t *g = two_branches();
    cosma_plan_t *first = plan_or_fail(g, plain, 12, COSMA_SCHEDULE_FIXED, COSMA_OK);
    cosma_plan_t *second = plan_or_fail(g, plain, 12, COSMA_SCHEDULE_FIXED, COSMA_OK);
    ck_assert_int_eq(first->n_intervals, second->n_intervals);
    ck_assert_mem_eq(first->order, second->order, (size_t)g->n_ops * sizeof(int32_t));
    for (int32_t i = 0; i < first->n_intervals; i++) {
        const cosma_interval_t *x = &first->intervals[i], *y = &second->intervals[i];
        ck_assert(x->tensor == y->tensor && x->first == y->first && x->last == y->last && x->offset == y->offset &&
                  x->bytes == y->bytes && x->begin == y->begin && x->end == y->end);
    }
    cosma_plan_destroy(first);
    cosma_plan_destroy(second);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(bundled_example_plans_verify)
{
    /* The example graph through the whole pipeline at its three budgets. */
    cosma_graph_t *g = NULL;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_frontend_read_yaml(test_source_path("graphs/example.yaml"), &g, &diag.diag), COSMA_OK);
    cosma_mode_t mode = {0, 1};
    cosma_bounds_t bounds;
    ck_assert_int_eq(cosma_planner_bounds(g, &mode, 5, &bounds, &diag.diag), COSMA_OK);
    uint64_t budgets[3] = {bounds.m_r, bounds.m_h, bounds.m_p_upper};
    for (int b = 0; b < 3; b++) {
        cosma_plan_t *plan = plan_or_fail(g, mode, budgets[b], COSMA_SCHEDULE_JOINT, COSMA_OK);
        ck_assert_uint_le(plan->lower_bound_bytes, non_compulsory(plan));
        if (b == 2)
            ck_assert_uint_eq(non_compulsory(plan), 0);
        cosma_plan_destroy(plan);
    }
    cosma_bounds_free(&bounds);
    cosma_graph_destroy(g);
}
END_TEST

static Suite *planner_suite(void)
{
    Suite *suite = suite_create("planner");
    TCase *tc = tcase_create("hand-computed optima");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bounds_of_skip_chain);
    tcase_add_test(tc, skip_chain_spills_once);
    tcase_add_test(tc, budget_below_m_r_names_the_operator);
    tcase_add_test(tc, joint_schedule_beats_default_order);
    tcase_add_test(tc, shared_parameter_is_reloaded_not_spilled);
    tcase_add_test(tc, fragmentation_forces_a_spill);
    tcase_add_test(tc, same_input_same_plan);
    tcase_add_test(tc, bundled_example_plans_verify);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(planner_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
