/* test_ilp.c: the MILP interface on GLPK: optima known by hand, proven
 * infeasibility, starting solutions, bounds, and model export. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glpk.h>

#include <cosma/ilp.h>
#include "test_support.h"

/* max 5a + 4b + 3c  s.t. 2a + 3b + c <= 5, 4a + b + 2c <= 11,
 * 3a + 4b + 2c <= 8, binaries.  By enumeration: {a,b,c} breaks the first
 * row (6 > 5), {a,b} fits every row (5, 5, 7) with value 9, every other
 * set is worth less.  Minimising the negation gives -9. */
static cosma_milp_t *knapsack(void)
{
    cosma_milp_t *milp = cosma_milp_create("knapsack");
    ck_assert_int_eq(cosma_milp_add_col(milp, "a", 0, 1, -5, 1), 0);
    ck_assert_int_eq(cosma_milp_add_col(milp, "b", 0, 1, -4, 1), 1);
    ck_assert_int_eq(cosma_milp_add_col(milp, "c", 0, 1, -3, 1), 2);
    int32_t cols[3] = {0, 1, 2};
    double r1[3] = {2, 3, 1}, r2[3] = {4, 1, 2}, r3[3] = {3, 4, 2};
    ck_assert_int_ge(cosma_milp_add_row(milp, "r1", -COSMA_MILP_INF, 5, 3, cols, r1), 0);
    ck_assert_int_ge(cosma_milp_add_row(milp, "r2", -COSMA_MILP_INF, 11, 3, cols, r2), 0);
    ck_assert_int_ge(cosma_milp_add_row(milp, "r3", -COSMA_MILP_INF, 8, 3, cols, r3), 0);
    return milp;
}

START_TEST(solves_a_knapsack_to_optimality)
{
    cosma_milp_t *milp = knapsack();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_milp_options_t options = {.time_limit = 10, .objective_step = 1};
    cosma_milp_result_t result;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, &diag.diag), COSMA_OK);
    ck_assert_int_eq(result.status, COSMA_MILP_OPTIMAL);
    ck_assert_double_eq_tol(result.objective, -9, 1e-9);
    ck_assert_double_eq_tol(result.bound, -9, 1e-9);
    ck_assert_double_eq_tol(result.values[0], 1, 1e-9);
    ck_assert_double_eq_tol(result.values[1], 1, 1e-9);
    ck_assert_double_eq_tol(result.values[2], 0, 1e-9);
    free(result.values);
    /* GLPK printed nothing through the sink and nothing to stdout. */
    ck_assert_str_eq(diag.text, "");
    cosma_milp_destroy(milp);
}
END_TEST

/* A time limit that ends the search before GLPK ever asks for a heuristic
 * solution (where the start is offered) still returns the start. */
START_TEST(start_survives_a_limit_before_the_search)
{
    cosma_milp_t *milp = knapsack();
    double start[3] = {1, 0, 1}; /* value 8: feasible, not optimal */
    ck_assert_int_eq(cosma_milp_set_start(milp, start), COSMA_OK);
    cosma_milp_options_t options = {.time_limit = 1e-9, .objective_step = 1};
    cosma_milp_result_t result;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, NULL), COSMA_OK);
    ck_assert(result.status == COSMA_MILP_FEASIBLE || result.status == COSMA_MILP_OPTIMAL);
    ck_assert_double_le_tol(result.objective, -8, 1e-9);
    ck_assert_double_le_tol(result.bound, result.objective, 1e-9);
    if (result.status == COSMA_MILP_FEASIBLE && result.objective > -8.5)
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq_tol(result.values[j], start[j], 1e-9);
    free(result.values);
    cosma_milp_destroy(milp);
}
END_TEST

/* A host program's own GLPK environment and terminal hook on its thread. */
static int host_hook_calls;
static int host_hook(void *info, const char *text)
{
    (void)info;
    (void)text;
    host_hook_calls++;
    return 1; /* handled: GLPK prints nothing */
}

START_TEST(keeps_the_host_programs_glpk_hooks)
{
    ck_assert_int_eq(glp_init_env(), 0);
    glp_term_hook(host_hook, NULL);
    cosma_milp_t *milp = knapsack();
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_milp_options_t options = {.time_limit = 10, .objective_step = 1};
    cosma_milp_result_t result;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, &diag.diag), COSMA_OK);
    ck_assert_int_eq(result.status, COSMA_MILP_OPTIMAL);
    free(result.values);
    cosma_milp_destroy(milp);
    /* cosma's GLPK work neither reached the host's hook nor replaced it. */
    ck_assert_int_eq(host_hook_calls, 0);
    glp_printf("host message\n");
    ck_assert_int_eq(host_hook_calls, 1);
    glp_term_hook(NULL, NULL);
    glp_free_env();
}
END_TEST

/* min sum x_i  s.t.  sum w_i x_i = 24 over 24 binaries with odd weights
 * w_i = 1, 3, 5, 7, 9, 1, ...: the model of the two tests below. */
static cosma_milp_t *parity_model(void)
{
    enum { ITEMS = 24 };
    cosma_milp_t *milp = cosma_milp_create("parity");
    int32_t cols[ITEMS];
    double weights[ITEMS];
    for (int32_t i = 0; i < ITEMS; i++) {
        cols[i] = cosma_milp_add_col(milp, NULL, 0, 1, 1, 1);
        weights[i] = 2 * (i % 5) + 1;
    }
    ck_assert_int_ge(cosma_milp_add_row(milp, "parity", 24, 24, ITEMS, cols, weights), 0);
    return milp;
}

/* An equality knapsack with odd weights and an even right-hand side: the
 * LP relaxation is fractional and no cut GLPK has closes it at the root,
 * so branch-and-bound needs many nodes; a node limit stops it after the
 * same number of nodes on any machine, and the clock is not the reason. */
START_TEST(node_limit_stops_the_search_deterministically)
{
    cosma_milp_t *milp = parity_model();
    int64_t nodes[2];
    for (int run = 0; run < 2; run++) {
        cosma_milp_options_t options = {.time_limit = 30, .objective_step = 1, .node_limit = 5};
        cosma_milp_result_t result;
        ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, NULL), COSMA_OK);
        /* Stopped, not solved: at the first callback past the limit
         * (a branching creates two nodes at once). */
        ck_assert_int_ne(result.status, COSMA_MILP_OPTIMAL);
        ck_assert_int_gt(result.nodes, 5);
        ck_assert_int_le(result.nodes, 5 + 2);
        ck_assert_int_eq(result.stopped_by_clock, 0);
        nodes[run] = result.nodes;
        free(result.values);
    }
    ck_assert_int_eq(nodes[0], nodes[1]);
    cosma_milp_destroy(milp);
}
END_TEST

/* The parity model without a node limit: LP bound
 * 24/9 (3 on the grid), optimum 4 (an even number of odd weights makes
 * 24, and two make at most 18).  A target the relaxation reaches stops
 * before any branching and returns that bound; a target at the optimum
 * stops once the search proves it, after no more nodes than a search
 * without one; neither bound is above the optimum. */
START_TEST(bound_target_stops_the_search)
{
    cosma_milp_t *milp = parity_model();
    cosma_milp_options_t options = {.time_limit = 60, .objective_step = 1};
    cosma_milp_result_t full, at_root, at_optimum;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &full, NULL), COSMA_OK);
    ck_assert_int_eq(full.status, COSMA_MILP_OPTIMAL);
    ck_assert_double_eq_tol(full.objective, 4, 1e-9);
    ck_assert_int_gt(full.nodes, 1); /* the relaxation alone does not prove it */
    options.bound_target = 3;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &at_root, NULL), COSMA_OK);
    ck_assert_int_eq(at_root.nodes, 0); /* no search */
    ck_assert_double_eq_tol(at_root.bound, 3, 1e-9);
    options.bound_target = 4;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &at_optimum, NULL), COSMA_OK);
    ck_assert_double_eq_tol(at_optimum.bound, 4, 1e-9);
    ck_assert_int_le(at_optimum.nodes, full.nodes);
    ck_assert_int_eq(at_optimum.stopped_by_clock, 0);
    free(full.values);
    free(at_root.values);
    free(at_optimum.values);
    cosma_milp_destroy(milp);
}
END_TEST

START_TEST(objective_constant_and_start)
{
    cosma_milp_t *milp = knapsack();
    cosma_milp_set_objective_constant(milp, 100);
    double start[3] = {1, 0, 1}; /* value 8: feasible, not optimal */
    ck_assert_int_eq(cosma_milp_set_start(milp, start), COSMA_OK);
    cosma_milp_options_t options = {.time_limit = 10, .objective_step = 1};
    cosma_milp_result_t result;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, NULL), COSMA_OK);
    ck_assert_int_eq(result.status, COSMA_MILP_OPTIMAL);
    ck_assert_double_eq_tol(result.objective, 91, 1e-9);
    free(result.values);
    cosma_milp_destroy(milp);
}
END_TEST

START_TEST(proves_infeasibility)
{
    /* x + y >= 3 with binaries. */
    cosma_milp_t *milp = cosma_milp_create("infeasible");
    cosma_milp_add_col(milp, "x", 0, 1, 1, 1);
    cosma_milp_add_col(milp, "y", 0, 1, 1, 1);
    int32_t cols[2] = {0, 1};
    double ones[2] = {1, 1};
    cosma_milp_add_row(milp, "need", 3, COSMA_MILP_INF, 2, cols, ones);
    cosma_milp_options_t options = {.time_limit = 10, .objective_step = 1};
    cosma_milp_result_t result;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, NULL), COSMA_OK);
    ck_assert_int_eq(result.status, COSMA_MILP_INFEASIBLE);
    ck_assert_ptr_null(result.values);
    cosma_milp_destroy(milp);

    /* 2x + 2y = 1 is LP-feasible but has no integer point. */
    milp = cosma_milp_create("parity");
    cosma_milp_add_col(milp, "x", 0, 1, 0, 1);
    cosma_milp_add_col(milp, "y", 0, 1, 0, 1);
    double twos[2] = {2, 2};
    cosma_milp_add_row(milp, "odd", 1, 1, 2, cols, twos);
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, NULL), COSMA_OK);
    ck_assert_int_eq(result.status, COSMA_MILP_INFEASIBLE);
    cosma_milp_destroy(milp);
}
END_TEST

START_TEST(rejects_bad_columns)
{
    cosma_milp_t *milp = cosma_milp_create("bad");
    cosma_milp_add_col(milp, "x", 0, 1, 1, 1);
    int32_t cols[1] = {5};
    double one[1] = {1};
    ck_assert_int_eq(cosma_milp_add_row(milp, "r", 0, 1, 1, cols, one), -1);
    cosma_milp_destroy(milp);
}
END_TEST

START_TEST(bound_rounds_up_to_the_grid)
{
    /* min x + y, 2x + 2y >= 3, integers in 0..5: LP bound 1.5, the
     * objective moves in steps of 1, so the bound is 2 = the optimum. */
    cosma_milp_t *milp = cosma_milp_create("grid");
    cosma_milp_add_col(milp, "x", 0, 5, 1, 1);
    cosma_milp_add_col(milp, "y", 0, 5, 1, 1);
    int32_t cols[2] = {0, 1};
    double twos[2] = {2, 2};
    cosma_milp_add_row(milp, "cover", 3, COSMA_MILP_INF, 2, cols, twos);
    cosma_milp_options_t options = {.time_limit = 10, .objective_step = 1};
    cosma_milp_result_t result;
    ck_assert_int_eq(cosma_milp_solve(milp, &options, &result, NULL), COSMA_OK);
    ck_assert_int_eq(result.status, COSMA_MILP_OPTIMAL);
    ck_assert_double_eq_tol(result.objective, 2, 1e-9);
    ck_assert_double_eq_tol(result.bound, 2, 1e-9);
    free(result.values);
    cosma_milp_destroy(milp);
}
END_TEST

static int file_contains(const char *path, const char *needle)
{
    char *text = NULL;
    size_t length = 0;
    if (cosma_file_read(path, &text, &length, NULL) != COSMA_OK)
        return 0;
    int found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

START_TEST(exports_lp_and_mps)
{
    cosma_milp_t *milp = knapsack();
    char dir[] = "/tmp/cosma-ilp-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char lp[256], mps[256];
    snprintf(lp, sizeof lp, "%s/model.lp", dir);
    snprintf(mps, sizeof mps, "%s/model.mps", dir);
    ck_assert_int_eq(cosma_milp_write(milp, lp, NULL), COSMA_OK);
    ck_assert_int_eq(cosma_milp_write(milp, mps, NULL), COSMA_OK);
    ck_assert(file_contains(lp, "Minimize"));
    ck_assert(file_contains(lp, "r1:"));
    ck_assert(file_contains(mps, "ROWS"));
    ck_assert(file_contains(mps, "COLUMNS"));
    test_diag_t diag;
    test_diag_init(&diag);
    char bad[256];
    snprintf(bad, sizeof bad, "%s/missing/model.lp", dir);
    ck_assert_int_ne(cosma_milp_write(milp, bad, &diag.diag), COSMA_OK);
    ck_assert(test_diag_contains(&diag, "model.lp"));
    remove(lp);
    remove(mps);
    rmdir(dir);
    cosma_milp_destroy(milp);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("ilp");
    TCase *tc = tcase_create("glpk");
    tcase_add_test(tc, solves_a_knapsack_to_optimality);
    tcase_add_test(tc, objective_constant_and_start);
    tcase_add_test(tc, node_limit_stops_the_search_deterministically);
    tcase_add_test(tc, bound_target_stops_the_search);
    tcase_add_test(tc, proves_infeasibility);
    tcase_add_test(tc, rejects_bad_columns);
    tcase_add_test(tc, bound_rounds_up_to_the_grid);
    tcase_add_test(tc, exports_lp_and_mps);
    tcase_add_test(tc, keeps_the_host_programs_glpk_hooks);
    tcase_add_test(tc, start_survives_a_limit_before_the_search);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
