/* test_verify.c: the independent plan verifier.  Hand-written valid plans
 * with traffic computed by hand, then one hand-broken plan per rule, each
 * checked for the rule's name in the message. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cosma/planner.h>
#include <cosma/verify.h>
#include "test_support.h"

/* ---- fixtures ---------------------------------------------------------- */

/* Graph "skip": x(10, input) -> op1 -> a(20) -> op2 -> b(30) -> op3 ->
 * c(40); op4(a, c) -> y(50, output).  a is read at steps 2 and 4, so a
 * plan under 110 bytes-ish pressure spills it after step 2. */
static cosma_graph_t *graph_skip(void)
{
    cosma_graph_t *g = test_graph_new("skip");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 10);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 20);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 30);
    test_graph_tensor(g, "c", COSMA_TENSOR_ACTIVATION, 40);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 50);
    test_graph_op(g, "op1", "x", "a");
    test_graph_op(g, "op2", "a", "b");
    test_graph_op(g, "op3", "b", "c");
    test_graph_op(g, "op4", "a,c", "y");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

enum { X = 0, A = 1, B = 2, C = 3, Y = 4 };

#define IV(tensor, first, last, offset, bytes, begin, end)                                                     \
    {(tensor), (first), (last), (offset), (bytes), COSMA_BEGIN_##begin, COSMA_END_##end}

/* The valid plan for "skip", budget 110:
 *   step 1: x [0,10) loaded, a [10,30) created
 *   step 2: a [10,30), b [40,70) created
 *   step 3: a spilled at the start; b [40,70), c [0,40) created in bytes
 *           a (and x) freed at this very step
 *   step 4: b dropped at the start; a loaded again into [40,60), b's old
 *           bytes; c [0,40); y [60,110) created
 * Traffic by hand: spill 20 (a), retrieve 20 (a again), compulsory load 10
 * (x), compulsory store 50 (y), peak 110. */
static const cosma_interval_t skip_intervals[] = {
    IV(X, 1, 1, 0, 10, LOAD, DROP),    IV(A, 1, 2, 10, 20, CREATE, SPILL), IV(B, 2, 3, 40, 30, CREATE, DROP),
    IV(C, 3, 4, 0, 40, CREATE, DROP),  IV(A, 4, 4, 40, 20, LOAD, DROP),    IV(Y, 4, 4, 60, 50, CREATE, DROP),
};
enum { SKIP_N = sizeof skip_intervals / sizeof skip_intervals[0] };
static const int32_t skip_order[] = {0, 1, 2, 3};

static cosma_plan_t *plan_new(const int32_t *order, int32_t n_steps, const cosma_interval_t *intervals,
                              int32_t n_intervals, uint64_t budget, cosma_traffic_t traffic)
{
    cosma_plan_t *plan = cosma_plan_create(n_steps, n_intervals);
    ck_assert_ptr_nonnull(plan);
    memcpy(plan->order, order, (size_t)n_steps * sizeof *order);
    memcpy(plan->intervals, intervals, (size_t)n_intervals * sizeof *intervals);
    plan->budget_bytes = budget;
    plan->traffic = traffic;
    plan->status = COSMA_PLAN_FEASIBLE;
    plan->mode.with_params = 0;
    plan->mode.elem_bytes = 0;
    plan->method = "hand";
    return plan;
}

static cosma_traffic_t traffic_of(uint64_t spill, uint64_t retrieve, uint64_t load, uint64_t store, uint64_t peak)
{
    cosma_traffic_t t = {spill, retrieve, load, store, peak};
    return t;
}

static cosma_plan_t *skip_plan(void)
{
    return plan_new(skip_order, 4, skip_intervals, SKIP_N, 110, traffic_of(20, 20, 10, 50, 110));
}

/* Verifies a plan expected to break `rule`: exactly one error, naming it.
 * Frees graph and plan. */
static void expect_rule(cosma_graph_t *g, cosma_plan_t *plan, const char *rule)
{
    test_diag_t rec;
    test_diag_init(&rec);
    cosma_traffic_t traffic;
    cosma_status_t status = cosma_plan_verify(g, plan, &traffic, &rec.diag);
    ck_assert_msg(status == COSMA_ERR_INPUT, "expected %s, got status %d", rule, (int)status);
    ck_assert_int_eq(rec.diag.n_errors, 1);
    char needle[128];
    snprintf(needle, sizeof needle, "rule %s:", rule);
    ck_assert_msg(test_diag_contains(&rec, needle), "expected '%s' in: %s", needle, rec.text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}

static void expect_valid(cosma_graph_t *g, cosma_plan_t *plan, cosma_traffic_t want)
{
    test_diag_t rec;
    test_diag_init(&rec);
    cosma_traffic_t got;
    memset(&got, 0xff, sizeof got);
    cosma_status_t status = cosma_plan_verify(g, plan, &got, &rec.diag);
    ck_assert_msg(status == COSMA_OK, "rejected: %s", rec.text);
    ck_assert_int_eq(rec.diag.n_errors, 0);
    ck_assert_uint_eq(got.spill_bytes, want.spill_bytes);
    ck_assert_uint_eq(got.retrieve_bytes, want.retrieve_bytes);
    ck_assert_uint_eq(got.compulsory_load_bytes, want.compulsory_load_bytes);
    ck_assert_uint_eq(got.compulsory_store_bytes, want.compulsory_store_bytes);
    ck_assert_uint_eq(got.peak_bytes, want.peak_bytes);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}

/* ---- valid plans -------------------------------------------------------- */

START_TEST(valid_skip_plan)
{
    expect_valid(graph_skip(), skip_plan(), traffic_of(20, 20, 10, 50, 110));
}
END_TEST

START_TEST(valid_interval_order_is_irrelevant)
{
    /* The verifier must not rely on the plan's canonical sort. */
    cosma_plan_t *plan = skip_plan();
    for (int32_t i = 0; i < SKIP_N; i++)
        plan->intervals[i] = skip_intervals[SKIP_N - 1 - i];
    expect_valid(graph_skip(), plan, traffic_of(20, 20, 10, 50, 110));
}
END_TEST

START_TEST(valid_optimal_claim)
{
    cosma_plan_t *plan = skip_plan();
    plan->status = COSMA_PLAN_OPTIMAL;
    plan->lower_bound_bytes = 40;
    expect_valid(graph_skip(), plan, traffic_of(20, 20, 10, 50, 110));
}
END_TEST

START_TEST(valid_reuse_of_bytes_freed_at_same_step)
{
    /* chain: x(8) -> a(8) -> b(8) -> y(8).  At step 2, x is dropped and b
     * is created in x's bytes; at step 3, a is dropped and y takes them. */
    cosma_graph_t *g = test_graph_new("chain");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 8);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 8);
    test_graph_op(g, "f", "x", "a");
    test_graph_op(g, "g", "a", "b");
    test_graph_op(g, "h", "b", "y");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    const cosma_interval_t ivs[] = {
        IV(0, 1, 1, 0, 8, LOAD, DROP),  IV(1, 1, 2, 8, 8, CREATE, DROP),
        IV(2, 2, 3, 0, 8, CREATE, DROP), IV(3, 3, 3, 8, 8, CREATE, DROP),
    };
    const int32_t order[] = {0, 1, 2};
    expect_valid(g, plan_new(order, 3, ivs, 4, 16, traffic_of(0, 0, 8, 8, 16)), traffic_of(0, 0, 8, 8, 16));
}
END_TEST

/* Graph "params": op1(x 10, w 5) -> h 20; op2(h, w) -> y 10. */
static cosma_graph_t *graph_params(void)
{
    cosma_graph_t *g = test_graph_new("params");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 10);
    test_graph_tensor(g, "w", COSMA_TENSOR_PARAM, 5);
    test_graph_tensor(g, "h", COSMA_TENSOR_ACTIVATION, 20);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 10);
    test_graph_op(g, "op1", "x,w", "h");
    test_graph_op(g, "op2", "h,w", "y");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

/* w is loaded at step 1, dropped, and loaded again at step 2: the first
 * load is compulsory (5), the second a retrieve (5).  Compulsory load 15
 * (x + w), store 10 (y), peak 45 (y at [35,45)). */
static const cosma_interval_t params_intervals[] = {
    IV(0, 1, 1, 0, 10, LOAD, DROP),   IV(1, 1, 1, 10, 5, LOAD, DROP), IV(2, 1, 2, 15, 20, CREATE, DROP),
    IV(1, 2, 2, 0, 5, LOAD, DROP),    IV(3, 2, 2, 35, 10, CREATE, DROP),
};
static const int32_t params_order[] = {0, 1};

static cosma_plan_t *params_plan(void)
{
    cosma_plan_t *plan = plan_new(params_order, 2, params_intervals, 5, 45, traffic_of(0, 5, 15, 10, 45));
    plan->mode.with_params = 1;
    return plan;
}

START_TEST(valid_params_loaded_twice)
{
    expect_valid(graph_params(), params_plan(), traffic_of(0, 5, 15, 10, 45));
}
END_TEST

START_TEST(valid_output_reloaded_after_store)
{
    /* y is a graph output that a later operator also reads: once stored
     * (right after step 1) it has a host copy and may be dropped and
     * loaded back (a retrieve, 6 bytes). */
    cosma_graph_t *g = test_graph_new("reread");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 6);
    test_graph_tensor(g, "z", COSMA_TENSOR_OUTPUT, 7);
    test_graph_op(g, "f", "x", "y");
    test_graph_op(g, "g", "y", "z");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    const cosma_interval_t ivs[] = {
        IV(0, 1, 1, 0, 4, LOAD, DROP), IV(1, 1, 1, 4, 6, CREATE, DROP),
        IV(1, 2, 2, 0, 6, LOAD, DROP), IV(2, 2, 2, 6, 7, CREATE, DROP),
    };
    const int32_t order[] = {0, 1};
    expect_valid(g, plan_new(order, 2, ivs, 4, 13, traffic_of(0, 6, 4, 13, 13)), traffic_of(0, 6, 4, 13, 13));
}
END_TEST

START_TEST(valid_large_chain_is_fast)
{
    /* 2000 operators in a chain, 2001 intervals alternating between two
     * slots: the sweep must be near-linear. */
    enum { N = 2000 };
    cosma_graph_t *g = test_graph_new("long");
    char name[32], in[32];
    test_graph_tensor(g, "t0", COSMA_TENSOR_INPUT, 16);
    for (int i = 1; i <= N; i++) {
        snprintf(name, sizeof name, "t%d", i);
        test_graph_tensor(g, name, i == N ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION, 16);
    }
    for (int i = 1; i <= N; i++) {
        snprintf(name, sizeof name, "op%d", i);
        char outs[32];
        snprintf(in, sizeof in, "t%d", i - 1);
        snprintf(outs, sizeof outs, "t%d", i);
        test_graph_op(g, name, in, outs);
    }
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    cosma_plan_t *plan = cosma_plan_create(N, N + 1);
    for (int i = 0; i < N; i++)
        plan->order[i] = i;
    for (int i = 0; i <= N; i++) {
        cosma_interval_t iv = {i, i == 0 ? 1 : i, i == N ? N : i + 1, (uint64_t)(i % 2) * 16, 16,
                               i == 0 ? COSMA_BEGIN_LOAD : COSMA_BEGIN_CREATE, COSMA_END_DROP};
        plan->intervals[i] = iv;
    }
    plan->budget_bytes = 32;
    plan->traffic = traffic_of(0, 0, 16, 16, 32);
    clock_t start = clock();
    expect_valid(g, plan, traffic_of(0, 0, 16, 16, 32));
    ck_assert_msg((double)(clock() - start) / CLOCKS_PER_SEC < 1.0, "verifier too slow");
}
END_TEST

/* ---- one broken plan per rule ------------------------------------------ */

START_TEST(broken_infeasible_status)
{
    cosma_plan_t *plan = skip_plan();
    plan->status = COSMA_PLAN_INFEASIBLE;
    expect_rule(graph_skip(), plan, "claim-status");
}
END_TEST

START_TEST(broken_order_not_topological)
{
    cosma_plan_t *plan = skip_plan();
    plan->order[1] = 2; /* op3 reads b before op2 made it */
    plan->order[2] = 1;
    expect_rule(graph_skip(), plan, "order-topological");
}
END_TEST

START_TEST(broken_order_duplicated_step)
{
    cosma_plan_t *plan = skip_plan();
    plan->order[2] = 1; /* op2 twice, op3 never */
    expect_rule(graph_skip(), plan, "order-permutation");
}
END_TEST

START_TEST(broken_order_operator_out_of_range)
{
    cosma_plan_t *plan = skip_plan();
    plan->order[3] = 4;
    expect_rule(graph_skip(), plan, "order-permutation");
}
END_TEST

START_TEST(broken_order_missing_operator)
{
    cosma_plan_t *plan = plan_new(skip_order, 3, skip_intervals, 4, 110, traffic_of(0, 0, 10, 0, 70));
    expect_rule(graph_skip(), plan, "order-length");
}
END_TEST

START_TEST(broken_interval_tensor_out_of_range)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[2].tensor = 5;
    expect_rule(graph_skip(), plan, "interval-tensor");
}
END_TEST

START_TEST(broken_param_planned_without_params_mode)
{
    cosma_plan_t *plan = params_plan();
    plan->mode.with_params = 0; /* w takes no space: its intervals are wrong */
    expect_rule(graph_params(), plan, "interval-tensor");
}
END_TEST

START_TEST(broken_wrong_bytes)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[2].bytes = 31;
    expect_rule(graph_skip(), plan, "interval-bytes");
}
END_TEST

START_TEST(broken_elem_bytes_mode)
{
    /* Typed tensors: with elem_bytes 1 a 2x3 f32 tensor is 6 bytes, not 24. */
    cosma_graph_t *g = test_graph_new("typed");
    int64_t dims[] = {2, 3};
    cosma_loc_t loc = {0};
    int32_t index;
    ck_assert_int_eq(cosma_graph_add_tensor(g, "x", COSMA_TENSOR_INPUT, COSMA_DTYPE_F32, 2, dims, 0, loc, &index),
                     COSMA_OK);
    ck_assert_int_eq(cosma_graph_add_tensor(g, "y", COSMA_TENSOR_OUTPUT, COSMA_DTYPE_F32, 2, dims, 0, loc, &index),
                     COSMA_OK);
    test_graph_op(g, "f", "x", "y");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    const cosma_interval_t ivs[] = {IV(0, 1, 1, 0, 24, LOAD, DROP), IV(1, 1, 1, 24, 24, CREATE, DROP)};
    const int32_t order[] = {0};
    cosma_plan_t *plan = plan_new(order, 1, ivs, 2, 48, traffic_of(0, 0, 24, 24, 48));
    plan->mode.elem_bytes = 1;
    expect_rule(g, plan, "interval-bytes");
}
END_TEST

START_TEST(broken_interval_steps)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[3].last = 5; /* past the last step */
    expect_rule(graph_skip(), plan, "interval-steps");
    plan = skip_plan();
    plan->intervals[0].first = 0;
    expect_rule(graph_skip(), plan, "interval-steps");
    plan = skip_plan();
    plan->intervals[2].first = 4; /* first > last */
    expect_rule(graph_skip(), plan, "interval-steps");
}
END_TEST

START_TEST(broken_interval_out_of_budget)
{
    cosma_plan_t *plan = skip_plan();
    plan->budget_bytes = 100; /* y sits at [60,110) */
    expect_rule(graph_skip(), plan, "interval-budget");
}
END_TEST

START_TEST(broken_interval_offset_overflow)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[5].offset = UINT64_MAX - 10; /* offset + bytes wraps */
    expect_rule(graph_skip(), plan, "interval-budget");
}
END_TEST

START_TEST(broken_tensor_overlaps_itself_in_time)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[4].first = 2; /* a loaded at 2..4 while 1..2 still holds it */
    expect_rule(graph_skip(), plan, "tensor-time-overlap");
}
END_TEST

START_TEST(broken_two_creates)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[4].begin = COSMA_BEGIN_CREATE; /* a created again at 4 */
    expect_rule(graph_skip(), plan, "create-twice");
}
END_TEST

START_TEST(broken_create_at_wrong_step)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[2].first = 3; /* b made by op2 at step 2 */
    expect_rule(graph_skip(), plan, "create-step");
}
END_TEST

START_TEST(broken_create_missing)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[3].begin = COSMA_BEGIN_LOAD; /* c never created */
    expect_rule(graph_skip(), plan, "create-missing");
}
END_TEST

START_TEST(broken_create_not_first)
{
    /* b "loaded" at step 1 (into [40,70), free then) before op2 creates it. */
    cosma_interval_t ivs[SKIP_N + 1];
    memcpy(ivs, skip_intervals, sizeof skip_intervals);
    cosma_interval_t early = IV(B, 1, 1, 40, 30, LOAD, DROP);
    ivs[SKIP_N] = early;
    cosma_plan_t *plan = plan_new(skip_order, 4, ivs, SKIP_N + 1, 110, traffic_of(20, 50, 10, 50, 110));
    expect_rule(graph_skip(), plan, "create-not-first");
}
END_TEST

START_TEST(broken_create_of_input)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[0].begin = COSMA_BEGIN_CREATE;
    expect_rule(graph_skip(), plan, "create-no-producer");
}
END_TEST

START_TEST(broken_load_of_activation_never_spilled)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[1].end = COSMA_END_DROP; /* then the load at 4 has no source */
    plan->traffic.spill_bytes = 0;
    expect_rule(graph_skip(), plan, "load-no-host-copy");
}
END_TEST

START_TEST(broken_spill_of_input)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[0].end = COSMA_END_SPILL;
    expect_rule(graph_skip(), plan, "spill-kind");
}
END_TEST

START_TEST(broken_spill_of_output)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[5].end = COSMA_END_SPILL;
    expect_rule(graph_skip(), plan, "spill-kind");
}
END_TEST

START_TEST(broken_spill_twice)
{
    /* a: created 1..2 and spilled, loaded 3..3 into [70,90) and spilled
     * again (the host copy is still valid), loaded 4..4. */
    cosma_interval_t ivs[SKIP_N + 1];
    memcpy(ivs, skip_intervals, sizeof skip_intervals);
    cosma_interval_t again = IV(A, 3, 3, 70, 20, LOAD, SPILL);
    ivs[SKIP_N] = again;
    cosma_plan_t *plan = plan_new(skip_order, 4, ivs, SKIP_N + 1, 110, traffic_of(40, 40, 10, 50, 110));
    expect_rule(graph_skip(), plan, "spill-twice");
}
END_TEST

START_TEST(broken_spill_of_dead_tensor)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[2].end = COSMA_END_SPILL; /* b's last reader runs at step 3 */
    plan->traffic.spill_bytes = 50;
    expect_rule(graph_skip(), plan, "spill-dead");
}
END_TEST

START_TEST(broken_operand_not_resident)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[3].last = 3; /* op4 at step 4 reads c */
    expect_rule(graph_skip(), plan, "operand-resident");
}
END_TEST

START_TEST(broken_param_not_resident)
{
    /* In +p mode w must be resident at step 2 as well. */
    cosma_plan_t *plan = params_plan();
    plan->n_intervals = 4;
    plan->intervals[3] = params_intervals[4];
    expect_rule(graph_params(), plan, "operand-resident");
}
END_TEST

START_TEST(broken_interval_past_last_use)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[0].last = 2; /* x is read only at step 1 */
    expect_rule(graph_skip(), plan, "dead-tensor");
}
END_TEST

START_TEST(broken_unread_output_kept)
{
    /* y is read by nobody: it must leave right after its producer's step. */
    cosma_graph_t *g = test_graph_new("two");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 4);
    test_graph_tensor(g, "z", COSMA_TENSOR_OUTPUT, 4);
    test_graph_op(g, "f", "x", "y");
    test_graph_op(g, "g", "x", "z");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    const cosma_interval_t ivs[] = {
        IV(0, 1, 2, 0, 4, LOAD, DROP), IV(1, 1, 2, 4, 4, CREATE, DROP), IV(2, 2, 2, 8, 4, CREATE, DROP)};
    const int32_t order[] = {0, 1};
    expect_rule(g, plan_new(order, 2, ivs, 3, 12, traffic_of(0, 0, 4, 8, 12)), "dead-tensor");
}
END_TEST

START_TEST(broken_overlap_in_space)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[2].offset = 20; /* b [20,50) meets a [10,30) at step 2 */
    test_diag_t rec;
    test_diag_init(&rec);
    cosma_graph_t *g = graph_skip();
    ck_assert_int_eq(cosma_plan_verify(g, plan, NULL, &rec.diag), COSMA_ERR_INPUT);
    ck_assert_msg(test_diag_contains(&rec, "rule space-overlap: at step 2,"), "%s", rec.text);
    ck_assert_msg(test_diag_contains(&rec, "'a' (steps 1..2, bytes [10, 30))"), "%s", rec.text);
    ck_assert_msg(test_diag_contains(&rec, "'b' (steps 2..3, bytes [20, 50))"), "%s", rec.text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(broken_overlap_one_byte)
{
    cosma_plan_t *plan = skip_plan();
    plan->intervals[4].offset = 39; /* a [39,59) meets c [0,40) at step 4 */
    expect_rule(graph_skip(), plan, "space-overlap");
}
END_TEST

START_TEST(broken_traffic_mismatch)
{
    cosma_plan_t *plan = skip_plan();
    plan->traffic.retrieve_bytes = 0;
    test_diag_t rec;
    test_diag_init(&rec);
    cosma_graph_t *g = graph_skip();
    ck_assert_int_eq(cosma_plan_verify(g, plan, NULL, &rec.diag), COSMA_ERR_INPUT);
    ck_assert_msg(test_diag_contains(&rec, "rule traffic: the plan claims retrieve_bytes = 0 but its intervals "
                                           "give 20"),
                  "%s", rec.text);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(broken_traffic_peak_and_compulsory)
{
    cosma_plan_t *plan = skip_plan();
    plan->traffic.peak_bytes = 100;
    expect_rule(graph_skip(), plan, "traffic");
    plan = params_plan();
    plan->traffic.compulsory_load_bytes = 20; /* w counted twice as compulsory */
    plan->traffic.retrieve_bytes = 0;
    expect_rule(graph_params(), plan, "traffic");
}
END_TEST

START_TEST(broken_optimal_below_traffic)
{
    cosma_plan_t *plan = skip_plan();
    plan->status = COSMA_PLAN_OPTIMAL;
    plan->lower_bound_bytes = 39;
    expect_rule(graph_skip(), plan, "claim-optimal");
}
END_TEST

START_TEST(broken_lower_bound_above_traffic)
{
    cosma_plan_t *plan = skip_plan();
    plan->lower_bound_bytes = 41;
    expect_rule(graph_skip(), plan, "claim-lower-bound");
}
END_TEST

START_TEST(broken_usage)
{
    test_diag_t rec;
    test_diag_init(&rec);
    cosma_graph_t *g = graph_skip();
    ck_assert_int_eq(cosma_plan_verify(g, NULL, NULL, &rec.diag), COSMA_ERR_USAGE);
    cosma_graph_destroy(g);
}
END_TEST

static Suite *verify_suite(void)
{
    Suite *s = suite_create("verify");
    TCase *valid = tcase_create("valid");
    tcase_add_test(valid, valid_skip_plan);
    tcase_add_test(valid, valid_interval_order_is_irrelevant);
    tcase_add_test(valid, valid_optimal_claim);
    tcase_add_test(valid, valid_reuse_of_bytes_freed_at_same_step);
    tcase_add_test(valid, valid_params_loaded_twice);
    tcase_add_test(valid, valid_output_reloaded_after_store);
    tcase_add_test(valid, valid_large_chain_is_fast);
    suite_add_tcase(s, valid);
    TCase *broken = tcase_create("broken");
    tcase_add_test(broken, broken_infeasible_status);
    tcase_add_test(broken, broken_order_not_topological);
    tcase_add_test(broken, broken_order_duplicated_step);
    tcase_add_test(broken, broken_order_operator_out_of_range);
    tcase_add_test(broken, broken_order_missing_operator);
    tcase_add_test(broken, broken_interval_tensor_out_of_range);
    tcase_add_test(broken, broken_param_planned_without_params_mode);
    tcase_add_test(broken, broken_wrong_bytes);
    tcase_add_test(broken, broken_elem_bytes_mode);
    tcase_add_test(broken, broken_interval_steps);
    tcase_add_test(broken, broken_interval_out_of_budget);
    tcase_add_test(broken, broken_interval_offset_overflow);
    tcase_add_test(broken, broken_tensor_overlaps_itself_in_time);
    tcase_add_test(broken, broken_two_creates);
    tcase_add_test(broken, broken_create_at_wrong_step);
    tcase_add_test(broken, broken_create_missing);
    tcase_add_test(broken, broken_create_not_first);
    tcase_add_test(broken, broken_create_of_input);
    tcase_add_test(broken, broken_load_of_activation_never_spilled);
    tcase_add_test(broken, broken_spill_of_input);
    tcase_add_test(broken, broken_spill_of_output);
    tcase_add_test(broken, broken_spill_twice);
    tcase_add_test(broken, broken_spill_of_dead_tensor);
    tcase_add_test(broken, broken_operand_not_resident);
    tcase_add_test(broken, broken_param_not_resident);
    tcase_add_test(broken, broken_interval_past_last_use);
    tcase_add_test(broken, broken_unread_output_kept);
    tcase_add_test(broken, broken_overlap_in_space);
    tcase_add_test(broken, broken_overlap_one_byte);
    tcase_add_test(broken, broken_traffic_mismatch);
    tcase_add_test(broken, broken_traffic_peak_and_compulsory);
    tcase_add_test(broken, broken_optimal_below_traffic);
    tcase_add_test(broken, broken_lower_bound_above_traffic);
    tcase_add_test(broken, broken_usage);
    suite_add_tcase(s, broken);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(verify_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
