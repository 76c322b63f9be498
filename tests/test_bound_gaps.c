/* test_bound_gaps.c: the key-point gap bound (planner/bound_gaps.c, a
 * private helper) against the exhaustive oracle (tests/oracle/, written
 * from the model alone, never from planner/).
 *
 * - A hand-made chain of two layers whose middle operator fills the
 *   budget: the bound is the residual's spill and reload plus the shared
 *   constant's reload, the optimum; and 0 where nothing binds or there is
 *   no key point.
 * - Generated "layered" graphs (what the bound is for, as in ViT-B/16):
 *   2-3 layers of 2-3 operators (5-8 in all) on a residual stream, each
 *   with a wide middle operator (a full step, often a key point), small
 *   shared constants (parameters or graph inputs) read in every layer,
 *   sometimes a per-layer weight, a side branch (then the middle operator
 *   is no key point) or a residual skip; in both modes at M_R, M_R + 1,
 *   M_R + 2 and M_H.  The bound must stay at or below the joint optimum,
 *   and so must the planner's (which takes it into its ledger), and
 *   `optimal` only at the optimum.
 * - Generic random DAGs of 5-8 operators (random reads of earlier
 *   tensors, inputs and parameters): the bound at or below the optimum.
 * Counts (checked, positive, equal to the optimum, above the covering
 * bound, skipped) go to stderr; the layered test fails if the bound is
 * never positive, never tight or never above the covering bound. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>
#include <cosma/verify.h>
#include "oracle/oracle.h"
#include "planner_internal.h"
#include "test_support.h"

enum {
    N_LAYERED_GRAPHS = 300,
    N_RANDOM_DAGS = 300,
    ORACLE_STATES = 1 << 16, /* per budget; a larger search is skipped */
    N_BUDGETS = 4,
    LAYER_MAX = 3,
    MAX_OPS = 8,
    DAG_MAX_TENSORS = 24
};

static const double planner_time_limit = 10.0;

/* The gap bound; *out_cover (NULL: not wanted) the covering bound, to
 * count where the gap bound sees more. */
static uint64_t gap_bound(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t budget,
                          cosma_gap_bound_stats_t *out_stats, uint64_t *out_cover)
{
    cosma_problem_t problem;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_problem_init(&problem, graph, mode, &diag.diag), COSMA_OK);
    cosma_gap_bound_options_t options;
    cosma_gap_bound_options_init(&options);
    options.budget = budget;
    uint64_t bound = 0;
    ck_assert_int_eq(cosma_gap_bound(&problem, &options, &bound, out_stats, &diag.diag), COSMA_OK);
    if (out_cover != NULL)
        *out_cover = cosma_problem_traffic_lower_bound(&problem, budget, planner_time_limit, 0, &diag.diag);
    cosma_problem_free(&problem);
    return bound;
}

/* A chain of two layers: norm_l reads the stream and the shared input c,
 * wide_l (a key point: the order is unique) writes a wide tensor, add_l
 * reads it and the stream; a final norm reads c again.  At M_R (18, the
 * adds) the wide operators have room 4 for 5 live bytes (the stream and
 * c) and the adds none: c, the cheapest, is out across both layers and
 * reloaded twice (one gap each), the optimum. */
START_TEST(hand_made_chain)
{
    cosma_graph_t *g = test_graph_new("gaps_chain");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "c", COSMA_TENSOR_INPUT, 1);
    test_graph_tensor(g, "h0", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "u0", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "r0", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "h1", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "u1", COSMA_TENSOR_ACTIVATION, 10);
    test_graph_tensor(g, "r1", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 4);
    test_graph_op(g, "norm0", "x,c", "h0");
    test_graph_op(g, "wide0", "h0", "u0");
    test_graph_op(g, "add0", "u0,x", "r0");
    test_graph_op(g, "norm1", "r0,c", "h1");
    test_graph_op(g, "wide1", "h1", "u1");
    test_graph_op(g, "add1", "u1,r0", "r1");
    test_graph_op(g, "final", "r1,c", "y");
    test_graph_finalized(g);
    cosma_mode_t mode = {.with_params = 0, .elem_bytes = 0};
    cosma_gap_bound_stats_t stats;
    uint64_t bound = gap_bound(g, &mode, 18, &stats, NULL);
    ck_assert_int_eq(stats.n_key_points, 7);
    ck_assert_uint_eq(bound, 2);
    oracle_options_t options;
    oracle_options_init(&options);
    options.mode = mode;
    options.budget_bytes = 18;
    options.allow_spill = 1;
    oracle_result_t result;
    ck_assert_int_eq(oracle_plan_solve(g, &options, &result), ORACLE_FOUND);
    cosma_plan_destroy(result.witness);
    ck_assert_uint_le(bound, result.traffic);
    ck_assert_uint_eq(result.traffic, 2);
    /* At 23 the adds have room 5 too: nothing binds. */
    ck_assert_uint_eq(gap_bound(g, &mode, 23, &stats, NULL), 0);
    ck_assert_int_eq(stats.n_binding, 0);
    cosma_graph_destroy(g);
}
END_TEST

/* A diamond has no key point between its branches' ends: no gaps. */
START_TEST(no_key_point_no_bound)
{
    cosma_graph_t *g = test_graph_new("gaps_diamond");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 4);
    test_graph_tensor(g, "a", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "b", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 4);
    test_graph_op(g, "left", "x", "a");
    test_graph_op(g, "right", "x", "b");
    test_graph_op(g, "join", "a,b", "y");
    test_graph_finalized(g);
    cosma_mode_t mode = {.with_params = 0, .elem_bytes = 0};
    cosma_gap_bound_stats_t stats;
    ck_assert_uint_eq(gap_bound(g, &mode, 20, &stats, NULL), 0);
    ck_assert_int_eq(stats.n_gaps, 0);
    cosma_graph_destroy(g);
}
END_TEST

/* ---- generated graphs ---------------------------------------------------- */

typedef struct {
    int checked, positive, tight, above_cover, skipped, planner_checked, planner_tight;
} tally_t;

static void tally_print(const char *what, const tally_t *t)
{
    fprintf(stderr,
            "GAP-BOUND %s: %d checked, %d positive, %d equal to the optimum, %d above the covering bound, "
            "%d skipped (no plan or too large); planner: %d checked, %d proven\n",
            what, t->checked, t->positive, t->tight, t->above_cover, t->skipped, t->planner_checked,
            t->planner_tight);
}

static uint64_t non_compulsory(const cosma_traffic_t *t)
{
    return t->spill_bytes + t->retrieve_bytes;
}

/* The planner's plan (which takes the gap bound into its ledger) against
 * the optimum: verified, bound at or below it, `optimal` only there. */
static void check_planner(const cosma_graph_t *g, const cosma_mode_t *mode, uint64_t budget, uint64_t optimum,
                          tally_t *tally)
{
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.mode = *mode;
    options.budget_bytes = budget;
    options.time_limit = planner_time_limit;
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *plan = NULL;
    ck_assert_msg(cosma_planner_plan(g, &options, &plan, &diag.diag) == COSMA_OK, "%s budget %llu: %s", g->name,
                  (unsigned long long)budget, diag.text);
    cosma_traffic_t traffic;
    ck_assert_msg(cosma_plan_verify(g, plan, &traffic, &diag.diag) == COSMA_OK, "%s: %s", g->name, diag.text);
    uint64_t moved = non_compulsory(&traffic);
    ck_assert_msg(plan->lower_bound_bytes <= optimum && optimum <= moved,
                  "%s (%s) budget %llu: planner bound %llu, optimum %llu, traffic %llu", g->name,
                  mode->with_params ? "params" : "activations", (unsigned long long)budget,
                  (unsigned long long)plan->lower_bound_bytes, (unsigned long long)optimum, (unsigned long long)moved);
    ck_assert_msg(plan->status != COSMA_PLAN_OPTIMAL || moved == optimum, "%s: false optimal", g->name);
    tally->planner_checked++;
    tally->planner_tight += plan->status == COSMA_PLAN_OPTIMAL;
    cosma_plan_destroy(plan);
}

/* The bound (and, when asked, the planner) on one graph in both modes at
 * M_R, M_R + 1, M_R + 2 and M_H. */
static void check_graph(const cosma_graph_t *g, int with_planner, tally_t *tally)
{
    for (int with_params = 0; with_params <= 1; with_params++) {
        cosma_mode_t mode = {.with_params = with_params, .elem_bytes = 0};
        oracle_bounds_t brute;
        if (oracle_bounds_compute(g, &mode, &brute) != ORACLE_FOUND) {
            tally->skipped += N_BUDGETS;
            continue;
        }
        uint64_t budgets[N_BUDGETS] = {brute.m_r, brute.m_r + 1, brute.m_r + 2, (brute.m_r + brute.m_p) / 2};
        for (int i = 0; i < N_BUDGETS; i++) {
            if (budgets[i] > ORACLE_MAX_BUDGET || (i == 3 && budgets[3] <= brute.m_r + 2)) {
                tally->skipped += budgets[i] > ORACLE_MAX_BUDGET;
                continue;
            }
            uint64_t optimum;
            if (oracle_joint_optimum(g, &mode, budgets[i], ORACLE_STATES, &optimum) != ORACLE_FOUND) {
                tally->skipped++;
                continue;
            }
            uint64_t cover = 0, bound = gap_bound(g, &mode, budgets[i], NULL, &cover);
            ck_assert_msg(bound <= optimum, "%s (%s) budget %llu: gap bound %llu > optimum %llu", g->name,
                          with_params ? "params" : "activations", (unsigned long long)budgets[i],
                          (unsigned long long)bound, (unsigned long long)optimum);
            tally->checked++;
            tally->positive += bound > 0;
            tally->tight += bound > 0 && bound == optimum;
            tally->above_cover += bound > cover;
            if (with_planner)
                check_planner(g, &mode, budgets[i], optimum, tally);
        }
    }
}

/* A constant shared by every layer: a parameter (planned only with
 * parameters) or a graph input, 1-2 bytes. */
static int32_t shared_constant(cosma_graph_t *g, uint64_t *rng, int k)
{
    char name[16];
    snprintf(name, sizeof name, "c%d", k);
    return test_graph_tensor(g, name, test_random_below(rng, 2) ? COSMA_TENSOR_PARAM : COSMA_TENSOR_INPUT,
                             1 + test_random_below(rng, 2));
}

static void add_op(cosma_graph_t *g, const char *name, const int32_t *in, int n_in, int32_t out)
{
    cosma_loc_t loc = {0};
    int32_t index;
    ck_assert_int_eq(cosma_graph_add_op(g, name, "T", in, (size_t)n_in, &out, 1, NULL, 0, loc, &index), COSMA_OK);
}

/* One layer on stream s: norm (s, constants) -> h; wide (h, maybe a
 * weight) -> u, the full step; optionally a side branch (s -> v, read by
 * the add: the wide operator is then no key point); add (u, s or the
 * stream before it, v) -> the new stream.  Returns it. */
static int32_t layered_layer(cosma_graph_t *g, uint64_t *rng, int l, int32_t s, int32_t prev, const int32_t *c,
                             int n_c, int last, int *inout_ops)
{
    char name[16];
    int32_t in[4];
    int n_in = 0;
    in[n_in++] = s;
    for (int k = 0; k < n_c; k++)
        if (k == 0 || test_random_below(rng, 2))
            in[n_in++] = c[k];
    snprintf(name, sizeof name, "h%d", l);
    int32_t h = test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, 1 + test_random_below(rng, 4));
    snprintf(name, sizeof name, "norm%d", l);
    add_op(g, name, in, n_in, h);
    n_in = 0;
    in[n_in++] = h;
    if (test_random_below(rng, 2)) {
        snprintf(name, sizeof name, "w%d", l);
        in[n_in++] = test_graph_tensor(g, name, COSMA_TENSOR_PARAM, 2 + test_random_below(rng, 6));
    }
    snprintf(name, sizeof name, "u%d", l);
    int32_t u = test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, 4 + test_random_below(rng, 8));
    snprintf(name, sizeof name, "wide%d", l);
    add_op(g, name, in, n_in, u);
    *inout_ops += 2;
    n_in = 0;
    in[n_in++] = u;
    in[n_in++] = prev >= 0 && test_random_below(rng, 4) == 0 ? prev : s; /* sometimes a skip over a layer */
    if (*inout_ops + 2 < MAX_OPS && test_random_below(rng, 4) == 0) {
        snprintf(name, sizeof name, "v%d", l);
        int32_t v = test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, 1 + test_random_below(rng, 3));
        snprintf(name, sizeof name, "side%d", l);
        add_op(g, name, &s, 1, v);
        in[n_in++] = v;
        (*inout_ops)++;
    }
    if (test_random_below(rng, 2))
        in[n_in++] = c[test_random_below(rng, (uint32_t)n_c)];
    snprintf(name, sizeof name, "r%d", l);
    int32_t r = test_graph_tensor(g, name, last ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION,
                                  1 + test_random_below(rng, 4));
    snprintf(name, sizeof name, "add%d", l);
    add_op(g, name, in, n_in, r);
    (*inout_ops)++;
    return r;
}

/* 2-3 layers (within MAX_OPS operators), then sometimes a final norm
 * reading the stream and a constant. */
static cosma_graph_t *layered_graph(uint32_t seed)
{
    uint64_t rng = (seed * 0x9E3779B97F4A7C15ull + 11) | 1; /* xorshift: never 0 */
    char name[32];
    snprintf(name, sizeof name, "gaps%u", seed);
    cosma_graph_t *g = test_graph_new(name);
    int32_t c[2];
    int n_c = 1 + (int)test_random_below(&rng, 2), n_ops = 0, final = test_random_below(&rng, 2);
    int32_t s = test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1 + test_random_below(&rng, 4)), prev = -1;
    for (int k = 0; k < n_c; k++)
        c[k] = shared_constant(g, &rng, k);
    int n_layers = 2 + (int)test_random_below(&rng, LAYER_MAX - 1);
    for (int l = 0; l < n_layers && n_ops + 3 + final <= MAX_OPS; l++) {
        int last = !final && (l + 1 == n_layers || n_ops + 6 > MAX_OPS);
        int32_t r = layered_layer(g, &rng, l, s, prev, c, n_c, last, &n_ops);
        prev = s;
        s = r;
        if (last)
            break;
    }
    if (g->tensors[s].kind != COSMA_TENSOR_OUTPUT) {
        int32_t in[2] = {s, c[0]}, y = test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 1 + test_random_below(&rng, 4));
        add_op(g, "final", in, 2, y);
    }
    return test_graph_finalized(g);
}

START_TEST(layered_graphs_stay_below_the_optimum)
{
    tally_t tally = {0};
    for (uint32_t seed = 1; seed <= N_LAYERED_GRAPHS; seed++) {
        cosma_graph_t *g = layered_graph(seed);
        check_graph(g, 1, &tally);
        cosma_graph_destroy(g);
    }
    tally_print("layered graphs", &tally);
    ck_assert_int_gt(tally.positive, 0);
    ck_assert_int_gt(tally.tight, 0);
    ck_assert_int_gt(tally.above_cover, 0);
}
END_TEST

/* 5-8 operators, each reading 1-3 distinct tensors among the graph's
 * inputs, parameters and the earlier operators' outputs, writing one;
 * unread outputs are graph outputs. */
static cosma_graph_t *random_dag(uint32_t seed)
{
    uint64_t rng = (seed * 0xD1B54A32D192ED03ull + 3) | 1; /* xorshift: never 0 */
    char name[32];
    snprintf(name, sizeof name, "dag%u", seed);
    int n_ops = 5 + (int)test_random_below(&rng, 4), n_sources = 2 + (int)test_random_below(&rng, 3);
    int reads[MAX_OPS][3], n_reads[MAX_OPS], read[DAG_MAX_TENSORS] = {0};
    uint64_t bytes[DAG_MAX_TENSORS];
    for (int t = 0; t < n_sources + n_ops; t++)
        bytes[t] = test_random_below(&rng, 3) == 0 ? 1 + test_random_below(&rng, 2) : 2 + test_random_below(&rng, 8);
    for (int o = 0; o < n_ops; o++) {
        int avail = n_sources + o, want = 1 + (int)test_random_below(&rng, 3);
        n_reads[o] = 0;
        /* the previous output first, so the graph is mostly connected */
        if (o > 0)
            reads[o][n_reads[o]++] = n_sources + o - 1;
        while (n_reads[o] < want && n_reads[o] < avail) {
            int t = (int)test_random_below(&rng, (uint32_t)avail), dup = 0;
            for (int k = 0; k < n_reads[o]; k++)
                dup |= reads[o][k] == t;
            if (!dup)
                reads[o][n_reads[o]++] = t;
            else if (test_random_below(&rng, 2))
                break;
        }
        for (int k = 0; k < n_reads[o]; k++)
            read[reads[o][k]] = 1;
    }
    cosma_graph_t *g = test_graph_new(name);
    int32_t id[DAG_MAX_TENSORS];
    for (int t = 0; t < n_sources + n_ops; t++) {
        cosma_tensor_kind_t kind = t < n_sources ? (t == 0 || test_random_below(&rng, 2) ? COSMA_TENSOR_INPUT
                                                                                  : COSMA_TENSOR_PARAM)
                                   : read[t] && test_random_below(&rng, 8) != 0 ? COSMA_TENSOR_ACTIVATION
                                                                         : COSMA_TENSOR_OUTPUT;
        snprintf(name, sizeof name, "t%d", t);
        id[t] = test_graph_tensor(g, name, kind, bytes[t]);
    }
    for (int o = 0; o < n_ops; o++) {
        int32_t in[3];
        for (int k = 0; k < n_reads[o]; k++)
            in[k] = id[reads[o][k]];
        snprintf(name, sizeof name, "op%d", o);
        add_op(g, name, in, n_reads[o], id[n_sources + o]);
    }
    return test_graph_finalized(g);
}

START_TEST(random_dags_stay_below_the_optimum)
{
    tally_t tally = {0};
    for (uint32_t seed = 1; seed <= N_RANDOM_DAGS; seed++) {
        cosma_graph_t *g = random_dag(seed);
        check_graph(g, 0, &tally);
        cosma_graph_destroy(g);
    }
    tally_print("random DAGs", &tally);
}
END_TEST

static Suite *gaps_suite(void)
{
    Suite *suite = suite_create("bound_gaps");
    TCase *unit = tcase_create("hand-made");
    tcase_add_test(unit, hand_made_chain);
    tcase_add_test(unit, no_key_point_no_bound);
    suite_add_tcase(suite, unit);
    TCase *oracle = tcase_create("oracle");
    tcase_set_timeout(oracle, 600);
    tcase_add_test(oracle, layered_graphs_stay_below_the_optimum);
    tcase_add_test(oracle, random_dags_stay_below_the_optimum);
    suite_add_tcase(suite, oracle);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(gaps_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
