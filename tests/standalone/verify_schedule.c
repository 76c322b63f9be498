/* verify_schedule.c: links only the verifier library and ir (graph, plan,
 * event schedule), with no solver, as a runtime would: a hand-made plan is
 * turned into events and checked, and the traffic the two independent
 * replays find agrees; a broken plan is rejected with its rule.  The test
 * `verify_without_glpk` also checks that no GLPK symbol got linked in. */
#include <check.h>
#include <stdlib.h>

#include <cosma/verify.h>
#include "test_support.h"

/* The plan-format example (test_doc_graph, test_doc_plan): a is spilled
 * after step 1 and loaded back at step 3. */
START_TEST(test_events_and_verifier_agree)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
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
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
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
