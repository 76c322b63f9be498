/* test_baselines.c: the replacement baselines (Belady, greedy-optimal on a
 * best-fit arena, with the fallback) and the placement-only allocators.
 * Every expected number is derived by hand in the comment above its test;
 * alignment is 1 byte unless a test is about alignment. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>
#include <cosma/verify.h>
#include "planner_internal.h"
#include "test_support.h"

static const cosma_mode_t ACT = {0, 0};    /* activations only */
static const cosma_mode_t PARAMS = {1, 0}; /* parameters counted */

/* Runs a baseline that must succeed; checks the plan with the verifier
 * independently of the check inside cosma_baseline_plan. */
static cosma_plan_t *run_baseline(const cosma_graph_t *g, const cosma_mode_t *mode, uint64_t budget,
                                  const char *name, uint64_t align)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *plan = NULL;
    cosma_status_t status = cosma_baseline_plan(g, mode, budget, name, align, &plan, &diag.diag);
    ck_assert_msg(status == COSMA_OK, "%s at %llu: %s\n%s", name, (unsigned long long)budget,
                  cosma_status_name(status), diag.text);
    ck_assert_ptr_nonnull(plan);
    cosma_traffic_t traffic;
    ck_assert_int_eq(cosma_plan_verify(g, plan, &traffic, &diag.diag), COSMA_OK);
    ck_assert_uint_eq(traffic.spill_bytes, plan->traffic.spill_bytes);
    ck_assert_uint_eq(traffic.retrieve_bytes, plan->traffic.retrieve_bytes);
    ck_assert_int_eq(plan->status, COSMA_PLAN_FEASIBLE);
    ck_assert_uint_eq(plan->lower_bound_bytes, 0);
    ck_assert_uint_eq(plan->budget_bytes, budget);
    return plan;
}

static uint64_t non_compulsory(const cosma_plan_t *plan)
{
    return plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
}

/* The i-th stay (by first step) of a tensor, or NULL. */
static const cosma_interval_t *stay(const cosma_plan_t *plan, int32_t tensor, int32_t nth)
{
    for (int32_t i = 0; i < plan->n_intervals; i++)
        if (plan->intervals[i].tensor == tensor && nth-- == 0)
            return &plan->intervals[i];
    return NULL;
}

static int32_t count_stays(const cosma_plan_t *plan, int32_t tensor)
{
    int32_t n = 0;
    for (int32_t i = 0; i < plan->n_intervals; i++)
        n += plan->intervals[i].tensor == tensor;
    return n;
}

/* ---- graphs ----------------------------------------------------------- */

/* "furthest": every tensor 10 bytes.
 *   1 A: in -> y     2 B: in -> x     3 C: in -> z
 *   4 D: y, z -> w   5 E: x, w -> out
 * At step 3 the arena (30) holds in, y, x; z needs room and in is an
 * operand, so y (next use 4) or x (next use 5) must go. */
enum { F_IN, F_Y, F_X, F_Z, F_W, F_OUT };
static cosma_graph_t *graph_furthest(void)
{
    cosma_graph_t *g = test_graph_new("furthest");
    test_graph_tensor(g, "in", COSMA_TENSOR_INPUT, 10);
    test_graph_tensor(g, "y", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "x", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "z", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "w", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 10);
    test_graph_op(g, "A", "in", "y");
    test_graph_op(g, "B", "in", "x");
    test_graph_op(g, "C", "in", "z");
    test_graph_op(g, "D", "y,z", "w");
    test_graph_op(g, "E", "x,w", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

/* "fragment": p is a parameter (no scratchpad in activations-only mode),
 * so A, B, C, D read nothing planned.
 *   1 A -> a(10)   2 B -> b(10)   3 C -> c(10)   4 D -> d(20, output, unread)
 *   5 F: b -> f(10, output)   6 G: c -> g(10, output)   7 H: a -> h(10, output)
 * Next uses at step 4: a 7, b 5, c 6.  Budget 30: a, b, c fill the arena
 * [0,10) [10,20) [20,30) and d needs 20 contiguous bytes. */
enum { R_P, R_A, R_B, R_C, R_D, R_F, R_G, R_H };
static cosma_graph_t *graph_fragment(void)
{
    cosma_graph_t *g = test_graph_new("fragment");
    test_graph_tensor(g, "p", COSMA_TENSOR_PARAM, 5);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "c", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "d", COSMA_TENSOR_OUTPUT, 20);
    test_graph_tensor(g, "f", COSMA_TENSOR_OUTPUT, 10);
    test_graph_tensor(g, "g", COSMA_TENSOR_OUTPUT, 10);
    test_graph_tensor(g, "h", COSMA_TENSOR_OUTPUT, 10);
    test_graph_op(g, "A", "p", "a");
    test_graph_op(g, "B", "p", "b");
    test_graph_op(g, "C", "p", "c");
    test_graph_op(g, "D", "p", "d");
    test_graph_op(g, "F", "b", "f");
    test_graph_op(g, "G", "c", "g");
    test_graph_op(g, "H", "a", "h");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

/* "split": the operator's own inputs cut the free space in two.
 *   1 A -> u(10)   2 B -> v(10)   3 C -> s(10)   4 D: v -> o(10, output)
 *   5 X: u, s -> r(20, output)
 * Budget 40 (X's working set, M_R). */
enum { S_P, S_U, S_V, S_S, S_O, S_R };
static cosma_graph_t *graph_split(void)
{
    cosma_graph_t *g = test_graph_new("split");
    test_graph_tensor(g, "p", COSMA_TENSOR_PARAM, 5);
    test_graph_tensor(g, "u", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "v", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "s", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "o", COSMA_TENSOR_OUTPUT, 10);
    test_graph_tensor(g, "r", COSMA_TENSOR_OUTPUT, 20);
    test_graph_op(g, "A", "p", "u");
    test_graph_op(g, "B", "p", "v");
    test_graph_op(g, "C", "p", "s");
    test_graph_op(g, "D", "v", "o");
    test_graph_op(g, "X", "u,s", "r");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

/* "flush": a load lands in a hole and blocks the output.
 *   1 A -> n1(10)   2 B -> m(10)   3 C: m -> n2(20)
 *   4 X: in(10, input) -> r(30, output)   5 Y: n1 -> o1(10)   6 Z: n2 -> o2(10)
 * Budget 40 (X's working set). */
enum { L_P, L_IN, L_N1, L_M, L_N2, L_R, L_O1, L_O2 };
static cosma_graph_t *graph_flush(void)
{
    cosma_graph_t *g = test_graph_new("flush");
    test_graph_tensor(g, "p", COSMA_TENSOR_PARAM, 5);
    test_graph_tensor(g, "in", COSMA_TENSOR_INPUT, 10);
    test_graph_tensor(g, "n1", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "m", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "n2", COSMA_TENSOR_ACTIVATION, 20);
    test_graph_tensor(g, "r", COSMA_TENSOR_OUTPUT, 30);
    test_graph_tensor(g, "o1", COSMA_TENSOR_OUTPUT, 10);
    test_graph_tensor(g, "o2", COSMA_TENSOR_OUTPUT, 10);
    test_graph_op(g, "A", "p", "n1");
    test_graph_op(g, "B", "p", "m");
    test_graph_op(g, "C", "m", "n2");
    test_graph_op(g, "X", "in", "r");
    test_graph_op(g, "Y", "n1", "o1");
    test_graph_op(g, "Z", "n2", "o2");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

/* "weights": with parameters counted.
 *   1 A: in(10), w(10, param) -> a(10)   2 B: a -> b(20)   3 C: b, w -> out(10)
 * M_Rp = 40 (C: b 20 + w 10 + out 10). */
enum { W_IN, W_W, W_A, W_B, W_OUT };
static cosma_graph_t *graph_weights(void)
{
    cosma_graph_t *g = test_graph_new("weights");
    test_graph_tensor(g, "in", COSMA_TENSOR_INPUT, 10);
    test_graph_tensor(g, "w", COSMA_TENSOR_PARAM, 10);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 20);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 10);
    test_graph_op(g, "A", "in,w", "a");
    test_graph_op(g, "B", "a", "b");
    test_graph_op(g, "C", "b,w", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

/* ---- Belady and greedy ------------------------------------------------ */

/* "furthest", budget 30, default-belady:
 *   1: in [0,10) loaded, y [10,20)        2: x [20,30)
 *   3: no room for z; evictable y (next use 4), x (next use 5): Belady
 *      evicts x (spill 10); z takes [20,30); in dies
 *   4: w [0,10); y and z die           5: x retrieved [10,20) (10), out [20,30)
 * Traffic: spill 10 + retrieve 10; compulsory load 10 (in), store 10. */
START_TEST(belady_evicts_furthest_next_use)
{
    cosma_graph_t *g = graph_furthest();
    cosma_plan_t *plan = run_baseline(g, &ACT, 30, "default-belady", 1);
    ck_assert_str_eq(plan->method, "baseline:default-belady");
    ck_assert_uint_eq(plan->traffic.spill_bytes, 10);
    ck_assert_uint_eq(plan->traffic.retrieve_bytes, 10);
    ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, 10);
    ck_assert_uint_eq(plan->traffic.compulsory_store_bytes, 10);
    ck_assert_uint_eq(plan->traffic.peak_bytes, 30);
    /* x, not y, was the victim. */
    ck_assert_int_eq(count_stays(plan, F_Y), 1);
    ck_assert_int_eq(count_stays(plan, F_X), 2);
    const cosma_interval_t *x0 = stay(plan, F_X, 0), *x1 = stay(plan, F_X, 1), *z = stay(plan, F_Z, 0);
    ck_assert_int_eq(x0->first, 2);
    ck_assert_int_eq(x0->last, 2);
    ck_assert_int_eq(x0->end, COSMA_END_SPILL);
    ck_assert_int_eq(x1->first, 5);
    ck_assert_int_eq(x1->begin, COSMA_BEGIN_LOAD);
    ck_assert_uint_eq(x1->offset, 10);
    ck_assert_uint_eq(z->offset, 20); /* the bytes x left */
    for (int32_t k = 0; k < 5; k++)
        ck_assert_int_eq(plan->order[k], k);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

/* "furthest", budget 30, default-greedy: Belady wins here.
 *   3: y [10,20) and x [20,30) each cost 20 (spill + retrieve); tie ->
 *      the lower one, y (spill 10); z takes [10,20)
 *   4: y retrieved into [0,10) (10); w finds no room, x is the only
 *      evictable block: spill 10; w [20,30)
 *   5: x retrieved [0,10) (10), out [10,20)
 * Traffic: spill 20 + retrieve 20 = 40, against Belady's 20. */
START_TEST(greedy_is_myopic_on_furthest)
{
    cosma_graph_t *g = graph_furthest();
    cosma_plan_t *plan = run_baseline(g, &ACT, 30, "default-greedy", 1);
    ck_assert_uint_eq(plan->traffic.spill_bytes, 20);
    ck_assert_uint_eq(plan->traffic.retrieve_bytes, 20);
    ck_assert_int_eq(count_stays(plan, F_Y), 2);
    ck_assert_int_eq(stay(plan, F_Y, 0)->end, COSMA_END_SPILL);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

/* "fragment", budget 30.  Belady at step 4 evicts a (7), then c (6): the
 * holes [0,10) and [20,30) are not contiguous, so b (5) goes too: spill 30.
 * d [0,20) dies at once; steps 5, 6, 7 retrieve b, c, a (30).  Belady: 60.
 * Greedy at step 4 looks at runs of consecutive blocks that open 20 bytes:
 * {a, b} over [0,20) and {b, c} over [10,30), 40 each (spill + retrieve),
 * tie -> the lower run: spill a, b (20); d [0,20); c stays at [20,30);
 * step 5: b retrieved [0,10), f [10,20); 6: g [0,10); 7: a [0,10), h.
 * Greedy: spill 20 + retrieve 20 = 40.  Compulsory store 20+10+10+10. */
START_TEST(greedy_beats_belady_on_fragment)
{
    cosma_graph_t *g = graph_fragment();
    cosma_plan_t *belady = run_baseline(g, &ACT, 30, "default-belady", 1);
    cosma_plan_t *greedy = run_baseline(g, &ACT, 30, "default-greedy", 1);
    ck_assert_uint_eq(belady->traffic.spill_bytes, 30);
    ck_assert_uint_eq(belady->traffic.retrieve_bytes, 30);
    ck_assert_uint_eq(greedy->traffic.spill_bytes, 20);
    ck_assert_uint_eq(greedy->traffic.retrieve_bytes, 20);
    ck_assert_uint_lt(non_compulsory(greedy), non_compulsory(belady));
    ck_assert_uint_eq(belady->traffic.compulsory_store_bytes, 50);
    ck_assert_uint_eq(greedy->traffic.compulsory_store_bytes, 50);
    ck_assert_uint_eq(belady->traffic.compulsory_load_bytes, 0);
    ck_assert_int_eq(count_stays(greedy, R_C), 1);
    ck_assert_uint_eq(stay(greedy, R_C, 0)->offset, 20);
    ck_assert_int_eq(count_stays(belady, R_C), 2);
    ck_assert_str_eq(greedy->method, "baseline:default-greedy");
    cosma_plan_destroy(belady);
    cosma_plan_destroy(greedy);
    cosma_graph_destroy(g);
}
END_TEST

/* "weights" with parameters, budget 40:
 *   1: in [0,10), w [10,20), a [20,30); in dies
 *   2: b (20) fits neither [0,10) nor after a; w (next use 3) is the only
 *      evictable block, and it has a host copy: dropped for free; b [0,20)
 *   3: w loaded again [20,30): a retrieve of 10; out [30,40)
 * Traffic: spill 0, retrieve 10; compulsory load 20 (in, w), store 10. */
START_TEST(params_are_dropped_and_reloaded)
{
    cosma_graph_t *g = graph_weights();
    const char *names[] = {"default-belady", "default-greedy"};
    for (int i = 0; i < 2; i++) {
        cosma_plan_t *plan = run_baseline(g, &PARAMS, 40, names[i], 1);
        ck_assert_uint_eq(plan->traffic.spill_bytes, 0);
        ck_assert_uint_eq(plan->traffic.retrieve_bytes, 10);
        ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, 20);
        ck_assert_uint_eq(plan->traffic.compulsory_store_bytes, 10);
        ck_assert_int_eq(count_stays(plan, W_W), 2);
        ck_assert_int_eq(stay(plan, W_W, 0)->end, COSMA_END_DROP);
        ck_assert_uint_eq(stay(plan, W_W, 1)->offset, 20);
        ck_assert_int_eq(plan->mode.with_params, 1);
        cosma_plan_destroy(plan);
    }
    /* Activations only, budget 40: w takes no space.  1: in [0,10), a
     * [10,20); in dies.  2: b (20) does not fit the hole [0,10), goes
     * after a at [20,40); a dies.  3: out takes the hole [0,20) at 0.
     * Zero traffic. */
    cosma_plan_t *plan = run_baseline(g, &ACT, 40, "default-belady", 1);
    ck_assert_uint_eq(non_compulsory(plan), 0);
    ck_assert_int_eq(count_stays(plan, W_W), 0);
    ck_assert_uint_eq(stay(plan, W_B, 0)->offset, 20);
    ck_assert_uint_eq(stay(plan, W_OUT, 0)->offset, 0);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

/* ---- schedules -------------------------------------------------------- */

/* "fragment" in a minimum-peak order: every order with peak 20 runs each
 * reader right after its producer (a with h, b with f, c with g; d alone),
 * so at budget 20 nothing is ever evicted: zero traffic, while the default
 * order at 30 already needed 60 (Belady) and 40 (greedy). */
START_TEST(peak_order_avoids_spills)
{
    cosma_graph_t *g = graph_fragment();
    const char *names[] = {"peak-belady", "peak-greedy"};
    for (int i = 0; i < 2; i++) {
        cosma_plan_t *plan = run_baseline(g, &ACT, 20, names[i], 1);
        ck_assert_uint_eq(non_compulsory(plan), 0);
        ck_assert_uint_eq(plan->traffic.peak_bytes, 20);
        ck_assert_uint_eq(plan->traffic.compulsory_store_bytes, 50);
        ck_assert(cosma_order_is_topological(g, plan->order));
        int differs = 0;
        for (int32_t k = 0; k < g->n_ops; k++)
            differs |= plan->order[k] != k;
        ck_assert(differs);
        cosma_plan_destroy(plan);
    }
    cosma_graph_destroy(g);
}
END_TEST

/* ---- the fallback ----------------------------------------------------- */

/* "split", budget 40: after step 4 the arena holds u [0,10) and s [20,30)
 * (v and o died at step 4).  X needs r (20) but the free bytes are
 * [10,20) and [30,40), and nothing but X's own inputs is resident.
 * Fallback: re-place the cheapest resident inputs first (u and s cost 20
 * each, tie -> lower index u).  Evicting u alone puts u back at [0,10)
 * (best fit) and r still has no 20-byte gap; evicting both leaves the
 * arena empty: u [0,10), s [10,20), r [20,40).  Traffic: u and s spilled
 * (20) and retrieved (20). */
START_TEST(fallback_replaces_own_inputs)
{
    cosma_graph_t *g = graph_split();
    const char *names[] = {"default-belady", "default-greedy"};
    for (int i = 0; i < 2; i++) {
        test_diag_t diag;
        test_diag_init(&diag);
        cosma_plan_t *plan = NULL;
        ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 40, names[i], 1, &plan, &diag.diag), COSMA_OK);
        ck_assert(test_diag_contains(&diag, "fallback used at 1 of 5 steps (1 re-placed inputs, 0 flushed"));
        ck_assert_uint_eq(plan->traffic.spill_bytes, 20);
        ck_assert_uint_eq(plan->traffic.retrieve_bytes, 20);
        ck_assert_ptr_nonnull(strstr(plan->method, "+fallback"));
        ck_assert_uint_eq(stay(plan, S_R, 0)->offset, 20);
        ck_assert_uint_eq(stay(plan, S_S, 1)->offset, 10);
        ck_assert_int_eq(stay(plan, S_S, 0)->end, COSMA_END_SPILL);
        ck_assert_int_eq(stay(plan, S_S, 0)->last, 4);
        ck_assert_int_eq(cosma_plan_verify(g, plan, NULL, NULL), COSMA_OK);
        cosma_plan_destroy(plan);
    }
    cosma_graph_destroy(g);
}
END_TEST

/* "flush", budget 40: after step 3, n1 [0,10) and n2 [20,40) with the hole
 * [10,20) that m left.  X loads in into the hole (best fit), then r (30)
 * has no room even after evicting n1 and n2 (in sits at [10,20)), and X
 * has no resident inputs to re-place: the arena is flushed (n1 and n2
 * spilled: 30) and X's tensors are stacked: r [0,30), in [30,40).  Steps
 * 5 and 6 retrieve n1 and n2 (30).  Traffic 60 for both policies. */
START_TEST(fallback_flushes_the_arena)
{
    cosma_graph_t *g = graph_flush();
    const char *names[] = {"default-belady", "default-greedy"};
    for (int i = 0; i < 2; i++) {
        test_diag_t diag;
        test_diag_init(&diag);
        cosma_plan_t *plan = NULL;
        ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 40, names[i], 1, &plan, &diag.diag), COSMA_OK);
        ck_assert(test_diag_contains(&diag, "(0 re-placed inputs, 1 flushed the arena)"));
        ck_assert_uint_eq(plan->traffic.spill_bytes, 30);
        ck_assert_uint_eq(plan->traffic.retrieve_bytes, 30);
        ck_assert_uint_eq(plan->traffic.compulsory_load_bytes, 10);
        ck_assert_uint_eq(plan->traffic.compulsory_store_bytes, 50);
        ck_assert_uint_eq(stay(plan, L_R, 0)->offset, 0);
        ck_assert_uint_eq(stay(plan, L_IN, 0)->offset, 30);
        ck_assert_ptr_nonnull(strstr(plan->method, "+fallback"));
        cosma_plan_destroy(plan);
    }
    cosma_graph_destroy(g);
}
END_TEST

/* ---- infeasible budgets ----------------------------------------------- */

/* in (96) -> A -> out (96): M_R = 192.  With 64-byte alignment the second
 * tensor starts at 128 at best: 128 + 96 = 224 > 192, so even the empty
 * arena cannot hold step 1.  With 1-byte alignment 192 is enough. */
START_TEST(alignment_makes_m_r_infeasible)
{
    cosma_graph_t *g = test_graph_new("aligned");
    test_graph_tensor(g, "in", COSMA_TENSOR_INPUT, 96);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 96);
    test_graph_op(g, "conv", "in", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    for (int32_t b = 0; cosma_baseline_names[b] != NULL; b++) {
        test_diag_t diag;
        test_diag_init(&diag);
        cosma_plan_t *plan = (cosma_plan_t *)&diag; /* must be reset to NULL */
        ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 192, cosma_baseline_names[b], 64, &plan, &diag.diag),
                         COSMA_ERR_INFEASIBLE);
        ck_assert_ptr_null(plan);
        ck_assert(test_diag_contains(&diag, "operator 'conv' (step 1) needs 224 bytes"));
        ck_assert(test_diag_contains(&diag, "64-byte aligned"));
        plan = run_baseline(g, &ACT, 192, cosma_baseline_names[b], 1);
        ck_assert_uint_eq(non_compulsory(plan), 0);
        cosma_plan_destroy(plan);
    }
    /* 224 is enough at 64-byte alignment: in is loaded first at 0, out
     * goes after it at 128. */
    cosma_plan_t *plan = run_baseline(g, &ACT, 224, "default-belady", 64);
    ck_assert_uint_eq(stay(plan, 1, 0)->offset, 128);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

/* Below M_R (40 for "split") no policy helps: a clear error, no plan. */
START_TEST(budget_below_m_r_is_infeasible)
{
    cosma_graph_t *g = graph_split();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *plan = NULL;
    ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 39, "default-greedy", 1, &plan, &diag.diag),
                     COSMA_ERR_INFEASIBLE);
    ck_assert_ptr_null(plan);
    ck_assert(test_diag_contains(&diag, "operator 'X' (step 5) needs 40 bytes"));
    ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 0, "peak-belady", 64, &plan, &diag.diag), COSMA_ERR_INFEASIBLE);
    ck_assert_ptr_null(plan);
    cosma_graph_destroy(g);
}
END_TEST

START_TEST(bad_arguments)
{
    cosma_graph_t *g = graph_split();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *plan = NULL;
    ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 100, "lru", 64, &plan, &diag.diag), COSMA_ERR_USAGE);
    ck_assert(test_diag_contains(&diag, "unknown baseline 'lru'"));
    ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 100, "default-belady", 48, &plan, &diag.diag), COSMA_ERR_USAGE);
    ck_assert_int_eq(cosma_baseline_plan(g, &ACT, 100, "default-belady", 0, &plan, &diag.diag), COSMA_ERR_USAGE);
    ck_assert_ptr_null(plan);
    uint64_t bytes;
    ck_assert_int_eq(cosma_arena_size(g, &ACT, NULL, "tetris", 64, &bytes, &diag.diag), COSMA_ERR_USAGE);
    ck_assert_int_eq(cosma_arena_size(g, &ACT, NULL, "first-fit", 3, &bytes, &diag.diag), COSMA_ERR_USAGE);
    int32_t backwards[] = {4, 3, 2, 1, 0};
    ck_assert_int_eq(cosma_arena_size(g, &ACT, backwards, "first-fit", 1, &bytes, &diag.diag), COSMA_ERR_INPUT);
    cosma_graph_destroy(g);
}
END_TEST

/* Every baseline at a sweep of budgets on every graph: either a plan the
 * verifier accepts, or COSMA_ERR_INFEASIBLE; and traffic never grows
 * past the all-spill worst case. */
START_TEST(every_plan_verifies)
{
    cosma_graph_t *graphs[] = {graph_furthest(), graph_fragment(), graph_split(), graph_flush(), graph_weights()};
    const cosma_mode_t *modes[] = {&ACT, &PARAMS};
    for (size_t gi = 0; gi < sizeof graphs / sizeof graphs[0]; gi++)
        for (int m = 0; m < 2; m++)
            for (uint64_t budget = 10; budget <= 90; budget += 5)
                for (int32_t b = 0; cosma_baseline_names[b] != NULL; b++)
                    for (uint64_t align = 1; align <= 16; align *= 4) {
                        cosma_plan_t *plan = NULL;
                        cosma_status_t status = cosma_baseline_plan(graphs[gi], modes[m], budget,
                                                                    cosma_baseline_names[b], align, &plan, NULL);
                        ck_assert_msg(status == COSMA_OK || status == COSMA_ERR_INFEASIBLE, "%s %s %llu: %s",
                                      graphs[gi]->name, cosma_baseline_names[b], (unsigned long long)budget,
                                      cosma_status_name(status));
                        if (status != COSMA_OK)
                            continue;
                        ck_assert_int_eq(cosma_plan_verify(graphs[gi], plan, NULL, NULL), COSMA_OK);
                        ck_assert_uint_le(plan->traffic.peak_bytes, budget);
                        cosma_plan_destroy(plan);
                    }
    for (size_t gi = 0; gi < sizeof graphs / sizeof graphs[0]; gi++)
        cosma_graph_destroy(graphs[gi]);
}
END_TEST

/* ---- lifetimes and placement-only allocators -------------------------- */

/* "gaps": six tensors, steps 1..4 (sizes; lifetime in steps):
 *   t0 50 [1,1] (output, unread)   t1 30 [1,4]   t2 10 [2,4]
 *   t3 10 [3,3] (output, unread)   t4 10 [3,4]   t5 30 [4,4] (output)
 *   1 A -> t0, t1   2 B -> t2   3 C -> t3, t4   4 D: t1, t2, t4 -> t5
 * Peak live bytes: step 4: 30 + 10 + 10 + 30 = 80 (step 1 also 80). */
static cosma_graph_t *graph_gaps(void)
{
    cosma_graph_t *g = test_graph_new("gaps");
    test_graph_tensor(g, "t0", COSMA_TENSOR_OUTPUT, 50);
    test_graph_tensor(g, "t1", COSMA_TENSOR_ACTIVATION, 30);
    test_graph_tensor(g, "t2", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "t3", COSMA_TENSOR_OUTPUT, 10);
    test_graph_tensor(g, "t4", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "t5", COSMA_TENSOR_OUTPUT, 30);
    test_graph_op(g, "A", "", "t0,t1");
    test_graph_op(g, "B", "", "t2");
    test_graph_op(g, "C", "", "t3,t4");
    test_graph_op(g, "D", "t1,t2,t4", "t5");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

START_TEST(lifetimes_follow_the_order)
{
    cosma_graph_t *g = graph_furthest();
    int32_t first[6], last[6], step[5];
    const int32_t order[] = {0, 2, 1, 3, 4}; /* A, C, B, D, E */
    cosma_order_steps(g, order, step);
    ck_assert_int_eq(step[0], 1);
    ck_assert_int_eq(step[1], 3);
    ck_assert_int_eq(step[2], 2);
    cosma_order_lifetimes(g, &ACT, order, first, last);
    ck_assert_int_eq(first[F_IN], 1); /* from its first reader */
    ck_assert_int_eq(last[F_IN], 3);
    ck_assert_int_eq(first[F_X], 3);
    ck_assert_int_eq(last[F_X], 5);
    ck_assert_int_eq(first[F_Z], 2);
    ck_assert_int_eq(last[F_Z], 4);
    ck_assert_int_eq(first[F_OUT], 5); /* nobody reads it: its producer's step */
    ck_assert_int_eq(last[F_OUT], 5);
    cosma_graph_destroy(g);

    /* A parameter is planned only with parameters counted. */
    g = graph_weights();
    const int32_t plain[] = {0, 1, 2};
    cosma_order_lifetimes(g, &ACT, plain, first, last);
    ck_assert_int_eq(first[W_W], 0);
    ck_assert_int_eq(last[W_W], 0);
    cosma_order_lifetimes(g, &PARAMS, plain, first, last);
    ck_assert_int_eq(first[W_W], 1);
    ck_assert_int_eq(last[W_W], 3);
    cosma_graph_destroy(g);
}
END_TEST

static uint64_t arena_of(const cosma_graph_t *g, const cosma_mode_t *mode, const int32_t *order, const char *algo,
                         uint64_t align)
{
    test_diag_t diag;
    test_diag_init(&diag);
    uint64_t bytes = 0;
    ck_assert_msg(cosma_arena_size(g, mode, order, algo, align, &bytes, &diag.diag) == COSMA_OK, "%s: %s", algo,
                  diag.text);
    return bytes;
}

/* "gaps", placed by size (50, 30, 30, 10, 10, 10; ties by first use):
 *   t0 [0,50); t1 conflicts with t0 -> [50,80); t5 (step 4) conflicts
 *   with t1 only -> [0,30); t2 (steps 2-4) between t5 and t1 -> [30,40).
 *   t3 (step 3) sees t2 [30,40) and t1 [50,80): gaps [0,30) and [40,50).
 *     best fit (greedy-by-size): the smaller, [40,50); then t4 (steps
 *     3-4) finds [0,30) blocked by t5, [40,50) by t3: on top at 80 -> 90.
 *     first fit (first-fit): the lower, [0,10); then t4 takes [40,50) -> 80.
 * 80 is the peak, so first-fit is optimal, and hill-climb (which starts
 * from first-fit and keeps only improvements) and cosma stop there. */
START_TEST(arena_sizes_by_hand)
{
    cosma_graph_t *g = graph_gaps();
    ck_assert_uint_eq(cosma_order_peak(g, (const int32_t[]){0, 1, 2, 3}, (const uint64_t[]){50, 30, 10, 10, 10, 30}),
                      80);
    ck_assert_uint_eq(arena_of(g, &ACT, NULL, "greedy-by-size", 1), 90);
    ck_assert_uint_eq(arena_of(g, &ACT, NULL, "first-fit", 1), 80);
    ck_assert_uint_eq(arena_of(g, &ACT, NULL, "hill-climb", 1), 80);
    ck_assert_uint_eq(arena_of(g, &ACT, NULL, "cosma", 1), 80);
    cosma_graph_destroy(g);
}
END_TEST

/* in (10) -> A -> a (10) -> B -> out (10): lifetimes in [1,1], a [1,2],
 * out [2,2].  Every allocator: in at 0, a after it, out where in was.
 * 1-byte alignment: a at 10, extent 20.  64-byte: a at 64, extent 74. */
START_TEST(arena_alignment)
{
    cosma_graph_t *g = test_graph_new("chain");
    test_graph_tensor(g, "in", COSMA_TENSOR_INPUT, 10);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 10);
    test_graph_op(g, "A", "in", "a");
    test_graph_op(g, "B", "a", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    for (int32_t a = 0; cosma_arena_algos[a] != NULL; a++) {
        ck_assert_uint_eq(arena_of(g, &ACT, NULL, cosma_arena_algos[a], 1), 20);
        ck_assert_uint_eq(arena_of(g, &ACT, NULL, cosma_arena_algos[a], 64), 74);
    }
    cosma_graph_destroy(g);
}
END_TEST

/* The order matters.  "fragment" in its default order: lifetimes a [1,7],
 * b [2,5], c [3,6], d [4,4], f [5,5], g [6,6], h [7,7]; peak 50 at step 4.
 * By size: d [0,20); a after d [20,30); b [30,40); c [40,50); f sees a, b,
 * c: the hole [0,20) -> 0; g sees a [20,30), c [40,50): holes [0,20) and
 * [30,40) (best fit takes 30, first fit 0: no matter); h -> 0.  Extent 50
 * for every allocator.  In the order A, H, B, F, C, G, D each tensor dies
 * one step after it is made: a, b, c at 0, h, f, g at 10, d at 0:
 * extent 20, the peak. */
START_TEST(arena_respects_the_order)
{
    cosma_graph_t *g = graph_fragment();
    const int32_t low[] = {0, 6, 1, 4, 2, 5, 3};
    for (int32_t a = 0; cosma_arena_algos[a] != NULL; a++) {
        ck_assert_uint_eq(arena_of(g, &ACT, NULL, cosma_arena_algos[a], 1), 50);
        ck_assert_uint_eq(arena_of(g, &ACT, low, cosma_arena_algos[a], 1), 20);
    }
    cosma_graph_destroy(g);
}
END_TEST

/* Every placer behind cosma_place: found by its name; on three items where
 * a (steps 1-2, 4 bytes) and b (2-3, 4) overlap and c (3, 4) only meets
 * b, the extent is 8 and no two items sharing a step overlap. */
START_TEST(placement_interface)
{
    for (int p = 0; p < COSMA_PLACER_COUNT; p++) {
        cosma_placer_t found = COSMA_PLACER_COUNT;
        ck_assert_int_eq(cosma_placer_find(cosma_placer_name((cosma_placer_t)p), &found), 0);
        ck_assert_int_eq(found, p);
        cosma_place_item_t items[3] = {{.first = 1, .last = 2, .bytes = 4}, {.first = 2, .last = 3, .bytes = 4},
                                       {.first = 3, .last = 3, .bytes = 4}};
        cosma_place_options_t options;
        cosma_place_options_init(&options);
        options.capacity = 8;
        uint64_t extent = 0;
        ck_assert_int_eq(cosma_place((cosma_placer_t)p, items, 3, &options, &extent), 1);
        ck_assert_uint_eq(extent, 8);
        ck_assert(items[0].offset != items[1].offset && items[1].offset != items[2].offset);
        /* Below the live peak nothing fits; the exact placer proves it. */
        options.capacity = 7;
        ck_assert_int_eq(cosma_place((cosma_placer_t)p, items, 3, &options, &extent), 0);
    }
    cosma_placer_t unused;
    ck_assert_int_eq(cosma_placer_find("tetris", &unused), -1);
}
END_TEST

/* "excess": 1 A: x -> a, b   2 B: a -> c   3 C: b, c, y -> out.  The
 * order is unique and its peak is at B (a, b, c: 30 + y).  With y read
 * once nothing with a host copy can span a step: below the peak every
 * evicted byte is an activation, spilled and loaded again. */
static cosma_graph_t *graph_excess(int y_read_twice)
{
    cosma_graph_t *g = test_graph_new("excess");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1);
    test_graph_tensor(g, "y", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "c", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "out", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "A", y_read_twice ? "x,y" : "x", "a,b");
    test_graph_op(g, "B", "a", "c");
    test_graph_op(g, "C", "b,c,y", "out");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

START_TEST(peak_excess_costs_spill_and_reload)
{
    for (int twice = 0; twice < 2; twice++) {
        cosma_graph_t *g = graph_excess(twice);
        cosma_problem_t problem;
        ck_assert_int_eq(cosma_problem_init(&problem, g, &ACT, NULL), COSMA_OK);
        /* y spans a step only when read twice: 4 bytes that need no spill */
        ck_assert_uint_eq(cosma_problem_peak_excess_bound(&problem, 30, 20), twice ? 16 : 20);
        ck_assert_uint_eq(cosma_problem_peak_excess_bound(&problem, 23, 20), twice ? 3 : 6);
        ck_assert_uint_eq(cosma_problem_peak_excess_bound(&problem, 30, 30), 0);
        cosma_problem_free(&problem);
        cosma_graph_destroy(g);
    }
    /* At 25 bytes (C's operands) one 10-byte activation leaves at B and
     * comes back: 20 bytes, at least the bound's 2 x 5. */
    cosma_graph_t *g = graph_excess(0);
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.budget_bytes = 25;
    cosma_plan_t *plan = NULL;
    ck_assert_int_eq(cosma_planner_plan(g, &options, &plan, NULL), COSMA_OK);
    ck_assert_uint_eq(non_compulsory(plan), 20);
    ck_assert_int_eq(plan->status, COSMA_PLAN_OPTIMAL);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(g);
}
END_TEST

static Suite *baselines_suite(void)
{
    Suite *suite = suite_create("baselines");
    TCase *replace = tcase_create("replacement");
    tcase_add_test(replace, belady_evicts_furthest_next_use);
    tcase_add_test(replace, greedy_is_myopic_on_furthest);
    tcase_add_test(replace, greedy_beats_belady_on_fragment);
    tcase_add_test(replace, params_are_dropped_and_reloaded);
    tcase_add_test(replace, peak_order_avoids_spills);
    tcase_add_test(replace, fallback_replaces_own_inputs);
    tcase_add_test(replace, fallback_flushes_the_arena);
    tcase_add_test(replace, alignment_makes_m_r_infeasible);
    tcase_add_test(replace, budget_below_m_r_is_infeasible);
    tcase_add_test(replace, bad_arguments);
    tcase_add_test(replace, every_plan_verifies);
    tcase_add_test(replace, peak_excess_costs_spill_and_reload);
    suite_add_tcase(suite, replace);
    TCase *arena = tcase_create("arena");
    tcase_add_test(arena, lifetimes_follow_the_order);
    tcase_add_test(arena, arena_sizes_by_hand);
    tcase_add_test(arena, arena_alignment);
    tcase_add_test(arena, arena_respects_the_order);
    tcase_add_test(arena, placement_interface);
    suite_add_tcase(suite, arena);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(baselines_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
