/* verify_schedule.c: links only the verifier library and ir (graph, plan,
 * event schedule), with no solver, as a runtime would: a hand-made plan is
 * turned into events and checked, and the traffic the two independent
 * replays find agrees; a broken plan is rejected with its rule.  The test
 * `verify_without_glpk` also checks that no GLPK symbol got linked in. */
#include <check.h>
#include <stdlib.h>

#include <cosma/verify.h>
#include "test_support.h"

/* x (input 16), w (param 8), a (32), b (16), y (output 8);
 * op1: x, w -> a; op2: x -> b; op3: a, b -> y. */
static cosma_graph_t *tiny_graph(void)
{
    cosma_graph_t *graph = test_graph_new("tiny");
    test_graph_tensor(graph, "x", COSMA_TENSOR_INPUT, 16);
    test_graph_tensor(graph, "w", COSMA_TENSOR_PARAM, 8);
    test_graph_tensor(graph, "a", COSMA_TENSOR_ACTIVATION, 32);
    test_graph_tensor(graph, "b", COSMA_TENSOR_ACTIVATION, 16);
    test_graph_tensor(graph, "y", COSMA_TENSOR_OUTPUT, 8);
    test_graph_op(graph, "op1", "x,w", "a");
    test_graph_op(graph, "op2", "x", "b");
    test_graph_op(graph, "op3", "a,b", "y");
    ck_assert_int_eq(cosma_graph_finalize(graph, NULL), COSMA_OK);
    return graph;
}

/* a is spilled after step 1 and loaded back at step 3. */
static cosma_plan_t *tiny_plan(const cosma_graph_t *graph)
{
    static const cosma_interval_t intervals[] = {
        {.tensor = 0, .first = 1, .last = 2, .offset = 0, .bytes = 16, .begin = COSMA_BEGIN_LOAD, .end = COSMA_END_DROP},
        {.tensor = 2, .first = 1, .last = 1, .offset = 16, .bytes = 32, .begin = COSMA_BEGIN_CREATE,
         .end = COSMA_END_SPILL},
        {.tensor = 3, .first = 2, .last = 3, .offset = 16, .bytes = 16, .begin = COSMA_BEGIN_CREATE,
         .end = COSMA_END_DROP},
        {.tensor = 2, .first = 3, .last = 3, .offset = 32, .bytes = 32, .begin = COSMA_BEGIN_LOAD, .end = COSMA_END_DROP},
        {.tensor = 4, .first = 3, .last = 3, .offset = 0, .bytes = 8, .begin = COSMA_BEGIN_CREATE, .end = COSMA_END_DROP},
    };
    cosma_plan_t *plan = cosma_plan_create(3, 5);
    ck_assert_ptr_nonnull(plan);
    for (int32_t t = 0; t < 3; t++)
        plan->order[t] = t;
    for (int32_t i = 0; i < 5; i++)
        plan->intervals[i] = intervals[i];
    plan->budget_bytes = 64;
    plan->method = "hand";
    plan->graph_name = graph->name;
    plan->graph_hash = cosma_graph_hash(graph);
    cosma_plan_sort_intervals(plan);
    cosma_plan_compute_traffic(graph, plan);
    return plan;
}

START_TEST(test_events_and_verifier_agree)
{
    cosma_graph_t *graph = tiny_graph();
    cosma_plan_t *plan = tiny_plan(graph);
    cosma_traffic_t traffic;
    ck_assert_int_eq(cosma_plan_verify(graph, plan, &traffic, NULL), COSMA_OK);
    cosma_event_schedule_t *schedule = NULL;
    ck_assert_int_eq(cosma_schedule_build(graph, plan, &schedule, NULL), COSMA_OK);
    uint64_t spilled = 0, retrieved = 0, compulsory_loads = 0;
    int32_t runs = 0;
    for (int32_t e = 0; e < schedule->n_events; e++) {
        const cosma_event_t *event = &schedule->events[e];
        runs += event->kind == COSMA_EVENT_KIND_RUN;
        if (event->kind == COSMA_EVENT_KIND_SPILL)
            spilled += event->bytes;
        else if (event->kind == COSMA_EVENT_KIND_LOAD)
            *(event->compulsory ? &compulsory_loads : &retrieved) += event->bytes;
    }
    ck_assert_int_eq(runs, 3);
    ck_assert_uint_eq(spilled, 32);
    ck_assert_uint_eq(retrieved, 32);
    ck_assert_uint_eq(traffic.spill_bytes, spilled);
    ck_assert_uint_eq(traffic.retrieve_bytes, retrieved);
    ck_assert_uint_eq(traffic.compulsory_load_bytes, compulsory_loads);
    ck_assert_uint_eq(traffic.peak_bytes, 64);
    cosma_schedule_free(schedule);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_verifier_rejects_overlap)
{
    cosma_graph_t *graph = tiny_graph();
    cosma_plan_t *plan = tiny_plan(graph);
    for (int32_t i = 0; i < plan->n_intervals; i++)
        if (plan->intervals[i].tensor == 3)
            plan->intervals[i].offset = 0; /* b on top of x at step 2 */
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_plan_verify(graph, plan, NULL, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "overlap"));
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("verify_schedule");
    TCase *tc = tcase_create("verify_schedule");
    tcase_add_test(tc, test_events_and_verifier_agree);
    tcase_add_test(tc, test_verifier_rejects_overlap);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
