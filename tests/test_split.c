/* test_split.c: the placement that splits what does not fit
 * (planner/split.c).  On random layered graphs whose zero-spill intervals
 * do not fit the budget, it must return offsets that place the intervals
 * of the keep[] it returns (rebuilt here from the uses, independently of
 * residency.c) within the budget without overlaps, every use resident, at
 * a cost no lower than the capacity-relaxed bound of the order; and it
 * must need to split on some of them.  A full plan through the planner
 * must verify. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>
#include <cosma/verify.h>
#include "residency_layout.h"
#include "test_support.h"

static const cosma_mode_t plain = {0, 0};

enum { LAYERS = 8, WIDTH = 5, SEEDS = 12 };

/* A layered graph (test_graph_layered), sizes 4..35 bytes. */
static cosma_graph_t *layered(uint32_t seed)
{
    return test_graph_layered(LAYERS, WIDTH, seed, 8, 32);
}

/* One stay of a tensor, rebuilt from the layout and keep[]. */
typedef struct {
    int32_t tensor, first, last;
    uint64_t offset, bytes;
} stay_t;

/* The stays of keep[] by tensor, then step (the offsets' order), with the
 * offsets; checks that each covers only its tensor's uses.  Returns the
 * number of stays. */
static int32_t rebuild_stays(const cosma_layout_t *layout, const unsigned char *keep, const uint64_t *offsets,
                             stay_t *stays)
{
    int32_t n = 0, g = 0;
    for (int32_t t = 0; t < layout->problem->n_tensors; t++) {
        int32_t lo = layout->use_start[t], hi = layout->use_start[t + 1];
        if (lo == hi)
            continue;
        stays[n] = (stay_t){t, layout->uses[lo], layout->uses[lo], 0, layout->problem->size[t]};
        for (int32_t k = lo + 1; k < hi; k++) {
            if (layout->uses[k] == layout->uses[k - 1])
                continue;
            ck_assert_int_eq(layout->gaps[g].tensor, t);
            if (keep[g++]) {
                stays[n].last = layout->uses[k];
            } else {
                n++;
                stays[n] = (stay_t){t, layout->uses[k], layout->uses[k], 0, layout->problem->size[t]};
            }
        }
        n++;
    }
    ck_assert_int_eq(g, layout->n_gaps);
    for (int32_t i = 0; i < n; i++)
        stays[i].offset = offsets[i];
    return n;
}

static void assert_placed(const stay_t *stays, int32_t n, uint64_t budget)
{
    for (int32_t i = 0; i < n; i++) {
        ck_assert_uint_le(stays[i].offset + stays[i].bytes, budget);
        for (int32_t j = i + 1; j < n; j++)
            if (stays[i].first <= stays[j].last && stays[j].first <= stays[i].last)
                ck_assert_msg(stays[i].offset + stays[i].bytes <= stays[j].offset ||
                                  stays[j].offset + stays[j].bytes <= stays[i].offset,
                              "tensors %d and %d overlap", (int)stays[i].tensor, (int)stays[j].tensor);
    }
}

/* The budget of a seed: the largest working set of the default order
 * (the smallest budget) and 8 bytes per seed. */
static uint64_t seed_budget(const cosma_problem_t *problem, uint32_t seed)
{
    uint64_t most = 0;
    for (int32_t op = 0; op < problem->n_ops; op++)
        if (cosma_problem_working_set(problem, op) > most)
            most = cosma_problem_working_set(problem, op);
    return most + 8 * seed;
}

/* Splits the zero-spill residency of the default order and checks the
 * result; returns its traffic. */
static uint64_t check_split(const cosma_problem_t *problem, uint64_t budget, test_diag_t *diag)
{
    int32_t *order = malloc((size_t)problem->n_ops * sizeof(int32_t));
    for (int32_t s = 0; s < problem->n_ops; s++)
        order[s] = s;
    cosma_layout_t layout;
    ck_assert_int_eq(cosma_layout_build(problem, order, &layout), COSMA_OK);
    int32_t total = layout.use_start[problem->n_tensors] + 1;
    unsigned char *keep = malloc((size_t)layout.n_gaps + 1);
    uint64_t *offsets = malloc((size_t)total * sizeof(uint64_t));
    stay_t *stays = malloc((size_t)total * sizeof(stay_t));
    memset(keep, 1, (size_t)layout.n_gaps + 1);
    ck_assert_int_eq(cosma_split_place(&layout, keep, budget, offsets), 1);
    int32_t n = rebuild_stays(&layout, keep, offsets, stays);
    assert_placed(stays, n, budget);
    uint64_t cost = cosma_layout_choice_cost(&layout, keep), relaxed = 0;
    int64_t work = 0;
    ck_assert_int_eq(cosma_residency_relaxed(problem, order, budget, 10, 0, &relaxed, &work, &diag->diag), COSMA_OK);
    ck_assert_uint_ge(cost, relaxed);
    free(keep);
    free(offsets);
    free(stays);
    cosma_layout_free(&layout);
    free(order);
    return cost;
}

/* The fixed-order plan at a budget verifies. */
static void check_plan(const cosma_graph_t *g, uint64_t budget, test_diag_t *diag)
{
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.mode = plain;
    options.budget_bytes = budget;
    options.schedule = COSMA_SCHEDULE_FIXED;
    options.time_limit = 20;
    cosma_plan_t *plan = NULL;
    ck_assert_int_eq(cosma_planner_plan(g, &options, &plan, &diag->diag), COSMA_OK);
    cosma_traffic_t traffic;
    ck_assert_msg(cosma_plan_verify(g, plan, &traffic, &diag->diag) == COSMA_OK, "%s", diag->text);
    cosma_plan_destroy(plan);
}

/* The split placement places; most seeds need it to split; the planner's
 * plans at the same budgets verify. */
START_TEST(split_places_within_the_budget)
{
    int split_needed = 0;
    for (uint32_t seed = 1; seed <= SEEDS; seed++) {
        cosma_graph_t *g = layered(seed);
        test_diag_t diag;
        test_diag_init(&diag);
        cosma_problem_t problem;
        ck_assert_int_eq(cosma_problem_init(&problem, g, &plain, &diag.diag), COSMA_OK);
        split_needed += check_split(&problem, seed_budget(&problem, seed), &diag) > 0;
        check_plan(g, seed_budget(&problem, seed), &diag);
        cosma_problem_free(&problem);
        cosma_graph_destroy(g);
    }
    ck_assert_int_ge(split_needed, SEEDS / 2);
}
END_TEST

static Suite *split_suite(void)
{
    Suite *suite = suite_create("split");
    TCase *tc = tcase_create("split placement");
    tcase_add_test(tc, split_places_within_the_budget);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(split_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
