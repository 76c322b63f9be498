/* test_schedule.c: the event schedule (ir/schedule.c).  The events of a
 * hand-made plan are checked one by one; on bundled graphs, baseline plans
 * with spills in both accounting modes are written out as the plan file's
 * "steps" text from the schedule and compared byte for byte with what the
 * plan writer emits. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/codegen.h>
#include <cosma/frontend.h>
#include <cosma/planner.h>
#include "test_support.h"

static void assert_event(const cosma_event_t *e, cosma_event_kind_t kind, int32_t step, int32_t tensor,
                         uint64_t offset, uint64_t bytes, int compulsory)
{
    ck_assert_str_eq(cosma_event_kind_name(e->kind), cosma_event_kind_name(kind));
    ck_assert_int_eq(e->step, step);
    ck_assert_int_eq(e->tensor, tensor);
    ck_assert_uint_eq(e->offset, offset);
    ck_assert_uint_eq(e->bytes, bytes);
    ck_assert_int_eq(e->compulsory, compulsory);
}

START_TEST(test_tiny_events)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    cosma_event_schedule_t *s = NULL;
    ck_assert_int_eq(cosma_schedule_build(graph, plan, &s, NULL), COSMA_OK);
    ck_assert_int_eq(s->n_steps, 3);
    ck_assert_int_eq(s->n_events, 8);
    ck_assert_int_eq(s->step_events[0], 0);
    ck_assert_int_eq(s->step_events[1], 2);
    ck_assert_int_eq(s->step_events[2], 4);
    ck_assert_int_eq(s->step_events[3], 8);
    assert_event(&s->events[0], COSMA_EVENT_KIND_LOAD, 1, 0, 0, 16, 1);
    assert_event(&s->events[1], COSMA_EVENT_KIND_RUN, 1, -1, 0, 0, 0);
    assert_event(&s->events[2], COSMA_EVENT_KIND_SPILL, 2, 2, 16, 32, 0);
    assert_event(&s->events[3], COSMA_EVENT_KIND_RUN, 2, -1, 0, 0, 0);
    assert_event(&s->events[4], COSMA_EVENT_KIND_DROP, 3, 0, 0, 16, 0);
    assert_event(&s->events[5], COSMA_EVENT_KIND_LOAD, 3, 2, 32, 32, 0);
    assert_event(&s->events[6], COSMA_EVENT_KIND_RUN, 3, -1, 0, 0, 0);
    assert_event(&s->events[7], COSMA_EVENT_KIND_STORE, 3, 4, 0, 8, 1);
    /* Intervals in canonical order; events point into them. */
    ck_assert_int_eq(s->n_intervals, 5);
    ck_assert_int_eq(s->intervals[s->events[5].interval].first, 3);
    ck_assert_int_eq(s->intervals[0].tensor, 0);
    /* Operands: op1 x@0 w(none) a@16 | op2 x@0 b@16 | op3 a@32 b@16 y@0 */
    ck_assert_int_eq(s->n_operands, 8);
    const cosma_event_t *run1 = &s->events[1], *run3 = &s->events[6];
    ck_assert_int_eq(run1->op, 0);
    ck_assert_int_eq(run1->n_inputs, 2);
    ck_assert_int_eq(run1->n_outputs, 1);
    ck_assert_uint_eq(s->operands[run1->operands + 1].offset, COSMA_OFFSET_NONE);
    ck_assert_int_eq(s->operands[run1->operands + 2].is_output, 1);
    ck_assert_uint_eq(s->operands[run1->operands + 2].offset, 16);
    ck_assert_int_eq(run3->op, 2);
    ck_assert_uint_eq(s->operands[run3->operands].offset, 32);
    ck_assert_int_eq(s->operands[run3->operands + 2].tensor, 4);
    cosma_schedule_free(s);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

START_TEST(test_bad_plans)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    cosma_event_schedule_t *s = NULL;
    test_diag_t diag;
    test_diag_init(&diag);
    plan->order[2] = 0;
    ck_assert_int_eq(cosma_schedule_build(graph, plan, &s, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "plan step 3: operator index 0 is scheduled twice"));
    ck_assert_ptr_null(s);
    plan->order[2] = 2;
    plan->intervals[1].last = 4;
    ck_assert_int_eq(cosma_schedule_build(graph, plan, &s, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "plan interval 1: its steps are out of range"));
    plan->intervals[1].last = 3;
    plan->intervals[0].tensor = 9;
    ck_assert_int_eq(cosma_schedule_build(graph, plan, &s, &diag.diag), COSMA_ERR_INPUT);
    ck_assert(test_diag_contains(&diag, "plan interval 0: its tensor index is out of range"));
    ck_assert_int_eq(cosma_schedule_build(graph, plan, NULL, &diag.diag), COSMA_ERR_USAGE);
    /* An infeasible plan has no steps and no events. */
    cosma_plan_t *none = cosma_plan_create(0, 0);
    ck_assert_int_eq(cosma_schedule_build(graph, none, &s, &diag.diag), COSMA_OK);
    ck_assert_int_eq(s->n_events, 0);
    ck_assert_int_eq(s->step_events[0], 0);
    cosma_schedule_free(s);
    cosma_plan_destroy(none);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

/* ---- the plan file's "steps", written from the schedule ------------------ */

static void put_copy(cosma_buf_t *buf, const cosma_graph_t *graph, const cosma_event_t *e)
{
    cosma_buf_printf(buf, "{\"%s\": ", cosma_event_kind_name(e->kind));
    cosma_buf_json_string(buf, graph->tensors[e->tensor].name);
    cosma_buf_printf(buf, ", \"offset\": %" PRIu64 ", \"bytes\": %" PRIu64, e->offset, e->bytes);
    if (e->kind == COSMA_EVENT_KIND_LOAD && e->compulsory)
        cosma_buf_puts(buf, ", \"compulsory\": true");
    cosma_buf_puts(buf, "}");
}

static void put_operands(cosma_buf_t *buf, const cosma_graph_t *graph, const cosma_operand_t *o, int32_t count)
{
    cosma_buf_puts(buf, "[");
    for (int32_t k = 0; k < count; k++) {
        cosma_buf_puts(buf, k > 0 ? ", {\"tensor\": " : "{\"tensor\": ");
        if (o[k].tensor >= 0)
            cosma_buf_json_string(buf, graph->tensors[o[k].tensor].name);
        else
            cosma_buf_puts(buf, "null");
        if (o[k].offset != COSMA_OFFSET_NONE)
            cosma_buf_printf(buf, ", \"offset\": %" PRIu64 "}", o[k].offset);
        else
            cosma_buf_puts(buf, ", \"offset\": null}");
    }
    cosma_buf_puts(buf, "]");
}

static void put_steps(cosma_buf_t *buf, const cosma_graph_t *graph, const cosma_event_schedule_t *s)
{
    cosma_buf_puts(buf, s->n_steps > 0 ? "  \"steps\": [\n" : "  \"steps\": [");
    for (int32_t t = 1; t <= s->n_steps; t++) {
        const cosma_event_t *run = NULL;
        for (int32_t k = s->step_events[t - 1]; k < s->step_events[t]; k++)
            if (s->events[k].kind == COSMA_EVENT_KIND_RUN)
                run = &s->events[k];
        ck_assert_ptr_nonnull(run);
        cosma_buf_printf(buf, "    {\"step\": %" PRId32 ", \"operator\": ", t);
        cosma_buf_json_string(buf, graph->ops[run->op].name);
        cosma_buf_puts(buf, ", \"events\": [\n");
        for (int32_t k = s->step_events[t - 1]; k < s->step_events[t]; k++) {
            const cosma_event_t *e = &s->events[k];
            cosma_buf_puts(buf, k > s->step_events[t - 1] ? ",\n      " : "      ");
            if (e->kind != COSMA_EVENT_KIND_RUN) {
                put_copy(buf, graph, e);
                continue;
            }
            cosma_buf_puts(buf, "{\"run\": ");
            cosma_buf_json_string(buf, graph->ops[e->op].name);
            cosma_buf_puts(buf, ", \"inputs\": ");
            put_operands(buf, graph, &s->operands[e->operands], e->n_inputs);
            cosma_buf_puts(buf, ", \"outputs\": ");
            put_operands(buf, graph, &s->operands[e->operands + e->n_inputs], e->n_outputs);
            cosma_buf_puts(buf, "}");
        }
        cosma_buf_puts(buf, "\n    ]}");
        cosma_buf_puts(buf, t < s->n_steps ? ",\n" : "\n  ");
    }
    cosma_buf_puts(buf, "],\n");
}

/* The schedule's steps equal the writer's, byte for byte.  Returns the
 * number of spill events, so callers know the plan exercised them. */
static int32_t assert_steps_match(const cosma_graph_t *graph, const cosma_plan_t *plan)
{
    cosma_buf_t file, mine;
    cosma_buf_init(&file);
    cosma_buf_init(&mine);
    ck_assert_int_eq(cosma_codegen_emit_plan(graph, plan, &file), COSMA_OK);
    cosma_event_schedule_t *s = NULL;
    ck_assert_int_eq(cosma_schedule_build(graph, plan, &s, NULL), COSMA_OK);
    put_steps(&mine, graph, s);
    ck_assert(!mine.failed);
    const char *begin = strstr(file.data, "  \"steps\": [");
    const char *end = strstr(file.data, "  \"intervals\": [");
    ck_assert_ptr_nonnull(begin);
    ck_assert_ptr_nonnull(end);
    size_t length = (size_t)(end - begin);
    if (length != mine.length || memcmp(begin, mine.data, length) != 0) {
        size_t at = 0;
        while (at < length && at < mine.length && begin[at] == mine.data[at])
            at++;
        ck_abort_msg("graph %s: schedule differs from the plan file at byte %zu: '%.60s' vs '%.60s'", graph->name,
                     at, begin + at, mine.data + at);
    }
    int32_t spills = 0;
    for (int32_t k = 0; k < s->n_events; k++)
        spills += s->events[k].kind == COSMA_EVENT_KIND_SPILL;
    cosma_schedule_free(s);
    cosma_buf_free(&file);
    cosma_buf_free(&mine);
    return spills;
}

START_TEST(test_tiny_matches_writer)
{
    cosma_graph_t *graph = test_doc_graph();
    cosma_plan_t *plan = test_doc_plan(graph);
    assert_steps_match(graph, plan);
    cosma_plan_t *none = cosma_plan_create(0, 0);
    none->status = COSMA_PLAN_INFEASIBLE;
    assert_steps_match(graph, none);
    cosma_plan_destroy(none);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
}
END_TEST

static const char *const GRAPHS[] = {"example", "resnet50", "transformer", "densenet121", "lraspp_mobilenet_v3_large"};

/* Baseline plans at budgets between M_R and the default order's peak, so
 * that they spill, retrieve, reload parameters and stream them. */
START_TEST(test_bundled_match_writer)
{
    char relative[128];
    snprintf(relative, sizeof relative, "graphs/%s.yaml", GRAPHS[_i]);
    cosma_graph_t *graph = NULL;
    ck_assert_int_eq(cosma_frontend_load(test_source_path(relative), NULL, &graph, NULL), COSMA_OK);
    int n_plans = 0, n_spills = 0;
    for (int params = 0; params <= 1; params++) {
        cosma_mode_t mode = {.with_params = params, .elem_bytes = 1};
        cosma_graph_stats_t stats;
        ck_assert_int_eq(cosma_graph_stats(graph, 1, &stats, NULL), COSMA_OK);
        uint64_t low = params ? stats.m_r_params : stats.m_r;
        uint64_t high = params ? stats.peak_default_params : stats.peak_default;
        for (int k = 1; k <= 3; k++) {
            uint64_t budget = low + (high - low) * (uint64_t)k / 8;
            cosma_plan_t *plan = NULL;
            if (cosma_baseline_plan(graph, &mode, budget, "default-belady", 1, &plan, NULL) != COSMA_OK)
                continue;
            n_spills += assert_steps_match(graph, plan);
            n_plans++;
            cosma_plan_destroy(plan);
        }
    }
    ck_assert_int_gt(n_plans, 0);
    ck_assert_int_gt(n_spills, 0);
    cosma_graph_destroy(graph);
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *suite = suite_create("schedule");
    TCase *events = tcase_create("events");
    tcase_add_test(events, test_tiny_events);
    tcase_add_test(events, test_bad_plans);
    tcase_add_test(events, test_tiny_matches_writer);
    suite_add_tcase(suite, events);
    TCase *bundled = tcase_create("bundled");
    tcase_set_timeout(bundled, 120);
    tcase_add_loop_test(bundled, test_bundled_match_writer, 0, (int)(sizeof GRAPHS / sizeof GRAPHS[0]));
    suite_add_tcase(suite, bundled);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(schedule_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
