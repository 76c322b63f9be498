/* test_bound_pinned.c: the precedences of plans that keep their large
 * tensors resident (planner/bound_pinned.c) and the cut bound's case split
 * on them (cosma_cut_bound_split, planner/bound_cut.c), against brute
 * force written from the rule alone and the exhaustive oracle
 * (tests/oracle/, written from the model, never from planner/).
 *
 * - A hand-made floating weight split (the Transformer decoder's pattern):
 *   the K/V slice's Transpose fills the budget, so in a plan that keeps
 *   the slices resident it runs after the Q projection.
 * - Random DAGs of 5-8 operators, every threshold and budgets from M_R up:
 *   every topological order in which each pinned tensor fits beside every
 *   operator's operands from its producer to its last reader (what a plan
 *   that never evicts them needs) has every derived edge, and when the
 *   derivation says no such plan exists no such order does.  The test
 *   fails if no edge or no infeasibility is ever derived.
 * - The same DAGs: the split bound stays at or below the oracle's
 *   optimum. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle/oracle.h"
#include "planner_internal.h"
#include "test_support.h"

enum { N_RANDOM_DAGS = 400, MAX_OPS = 8, DAG_MAX_TENSORS = 24, ORACLE_STATES = 1 << 16 };

static const double planner_time_limit = 10.0;

static int before(const cosma_pinned_order_t *p, int32_t a, int32_t b)
{
    return (int)((p->desc[(size_t)a * p->words + (size_t)b / 64] >> (b % 64)) & 1u);
}

static int32_t op_named(const cosma_graph_t *g, const char *name)
{
    for (int32_t o = 0; o < g->n_ops; o++)
        if (strcmp(g->ops[o].name, name) == 0)
            return o;
    ck_abort_msg("no operator %s", name);
    return -1;
}

START_TEST(floating_split)
{
    cosma_graph_t *g = test_graph_new("pinned_split");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1);
    test_graph_tensor(g, "qs", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "kvs", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "qt", COSMA_TENSOR_ACTIVATION, 4);
    test_graph_tensor(g, "kvt", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "r", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "q", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "kv", COSMA_TENSOR_ACTIVATION, 2);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "split", "", "qs,kvs");
    test_graph_op(g, "q_transpose", "qs", "qt");
    test_graph_op(g, "kv_transpose", "kvs", "kvt");
    test_graph_op(g, "norm", "x", "r");
    test_graph_op(g, "q_matmul", "r,qt", "q");
    test_graph_op(g, "kv_matmul", "kvt", "kv");
    test_graph_op(g, "attention", "q,kv,r", "y");
    test_graph_finalized(g);
    cosma_mode_t mode = {.with_params = 0, .elem_bytes = 0};
    cosma_problem_t problem;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_problem_init(&problem, g, &mode, &diag.diag), COSMA_OK);
    cosma_pinned_order_t pinned;
    ck_assert_int_eq(cosma_pinned_order_derive(&problem, 16, 4, &pinned), COSMA_OK);
    ck_assert_int_eq(pinned.n_pinned, 4);
    ck_assert_int_eq(pinned.infeasible, 0);
    /* the K/V Transpose (16 bytes) cannot run while a Q slice is live */
    ck_assert(before(&pinned, op_named(g, "q_transpose"), op_named(g, "kv_transpose")));
    ck_assert(before(&pinned, op_named(g, "q_matmul"), op_named(g, "kv_transpose")));
    cosma_pinned_order_free(&pinned);
    /* with room for both beside it, nothing follows */
    ck_assert_int_eq(cosma_pinned_order_derive(&problem, 20, 4, &pinned), COSMA_OK);
    ck_assert_int_eq(pinned.n_edges, 0);
    cosma_pinned_order_free(&pinned);
    cosma_problem_free(&problem);
    cosma_graph_destroy(g);
}
END_TEST

/* 5-8 operators reading 1-3 earlier tensors each, one or two outputs
 * (an operator with no inputs floats, as the Transformer's Splits of a
 * parameter do); sizes so that a few tensors are large. */
static cosma_graph_t *random_dag(uint32_t seed)
{
    uint64_t rng = (seed * 0xA0761D6478BD642Full + 7) | 1;
    char name[32];
    snprintf(name, sizeof name, "pin%u", seed);
    cosma_graph_t *g = test_graph_new(name);
    int n_ops = 5 + (int)test_random_below(&rng, 4), n_tensors = 0;
    int32_t id[DAG_MAX_TENSORS];
    int read[DAG_MAX_TENSORS] = {0};
    int32_t outs[MAX_OPS][2], n_outs[MAX_OPS], ins[MAX_OPS][3], n_ins[MAX_OPS];
    id[n_tensors++] = test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1 + test_random_below(&rng, 3));
    for (int o = 0; o < n_ops; o++) {
        n_ins[o] = 0;
        int want = o > 0 && test_random_below(&rng, 5) == 0 ? 0 : 1 + (int)test_random_below(&rng, 3);
        while (n_ins[o] < want) {
            int32_t t = (int32_t)test_random_below(&rng, (uint32_t)n_tensors), dup = 0;
            for (int k = 0; k < n_ins[o]; k++)
                dup |= ins[o][k] == t;
            if (dup)
                break;
            ins[o][n_ins[o]++] = t;
            read[t] = 1;
        }
        n_outs[o] = 1 + (test_random_below(&rng, 4) == 0);
        for (int k = 0; k < n_outs[o] && n_tensors < DAG_MAX_TENSORS; k++) {
            outs[o][k] = n_tensors;
            snprintf(name, sizeof name, "t%d", n_tensors);
            uint64_t bytes = test_random_below(&rng, 3) == 0 ? 4 + test_random_below(&rng, 6) : 1 + test_random_below(&rng, 3);
            id[n_tensors++] = test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, bytes);
        }
    }
    for (int t = 1; t < n_tensors; t++)
        if (!read[t])
            g->tensors[id[t]].kind = COSMA_TENSOR_OUTPUT;
    for (int o = 0; o < n_ops; o++) {
        char in[64] = "", out[64] = "";
        for (int k = 0; k < n_ins[o]; k++)
            snprintf(in + strlen(in), sizeof in - strlen(in), "%s%s", k ? "," : "", g->tensors[id[ins[o][k]]].name);
        for (int k = 0; k < n_outs[o]; k++)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", k ? "," : "",
                     g->tensors[id[outs[o][k]]].name);
        snprintf(name, sizeof name, "op%d", o);
        test_graph_op(g, name, in, out);
    }
    return test_graph_finalized(g);
}

/* random_dag(seed) in activation mode, its problem and its M_R (the
 * largest working set). */
static cosma_graph_t *random_problem(uint32_t seed, cosma_problem_t *out_problem, uint64_t *out_m_r)
{
    cosma_graph_t *g = random_dag(seed);
    cosma_mode_t mode = {.with_params = 0, .elem_bytes = 0};
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_problem_init(out_problem, g, &mode, &diag.diag), COSMA_OK);
    *out_m_r = 0;
    for (int32_t o = 0; o < out_problem->n_ops; o++)
        if (cosma_problem_working_set(out_problem, o) > *out_m_r)
            *out_m_r = cosma_problem_working_set(out_problem, o);
    return g;
}

typedef struct {
    const cosma_problem_t *problem;
    const cosma_pinned_order_t *pinned;
    uint64_t budget;
    int32_t order[MAX_OPS], pos[MAX_OPS];
    uint8_t placed[MAX_OPS];
    int pinnable_orders;
} brute_t;

/* Whether every pinned tensor fits beside every operator's operands over
 * its span in the order (rule-level: what never evicting them needs). */
static int order_pinnable(const brute_t *b)
{
    const cosma_problem_t *p = b->problem;
    for (int32_t v = 0; v < p->n_ops; v++) {
        uint64_t bytes = cosma_problem_working_set(p, v);
        for (int32_t t = 0; t < p->n_tensors; t++) {
            const cosma_tensor_t *tensor = &p->graph->tensors[t];
            int operand = 0;
            for (int32_t k = p->operand_start[v]; k < p->operand_start[v + 1]; k++)
                operand |= p->operands[k] == t;
            if (!b->pinned->pinned[t] || operand || b->pos[tensor->producer] > b->pos[v])
                continue;
            int read_after = 0;
            for (int32_t k = 0; k < tensor->n_consumers; k++)
                read_after |= b->pos[tensor->consumers[k]] > b->pos[v];
            bytes += read_after ? p->size[t] : 0;
        }
        if (bytes > b->budget)
            return 0;
    }
    return 1;
}

static void check_order(brute_t *b)
{
    if (!order_pinnable(b))
        return;
    b->pinnable_orders++;
    ck_assert_msg(!b->pinned->infeasible, "%s budget %llu: said infeasible, an order keeps them",
                  b->problem->graph->name, (unsigned long long)b->budget);
    for (int32_t k = 0; k < b->pinned->n_edges; k++) {
        int32_t from = b->pinned->edges[k][0], to = b->pinned->edges[k][1];
        ck_assert_msg(b->pos[from] < b->pos[to], "%s budget %llu: edge %s -> %s fails in a pinnable order",
                      b->problem->graph->name, (unsigned long long)b->budget, b->problem->graph->ops[from].name,
                      b->problem->graph->ops[to].name);
    }
}

static void enumerate(brute_t *b, int32_t depth)
{
    const cosma_problem_t *p = b->problem;
    if (depth == p->n_ops) {
        check_order(b);
        return;
    }
    for (int32_t v = 0; v < p->n_ops; v++) {
        if (b->placed[v])
            continue;
        int ready = 1;
        for (int32_t k = p->pred_start[v]; k < p->pred_start[v + 1]; k++)
            ready &= b->placed[p->preds[k]];
        if (!ready)
            continue;
        b->placed[v] = 1;
        b->pos[v] = depth;
        b->order[depth] = v;
        enumerate(b, depth + 1);
        b->placed[v] = 0;
    }
}

START_TEST(random_dags_derivation_holds)
{
    int derived = 0, infeasible = 0, checked = 0;
    for (uint32_t seed = 1; seed <= N_RANDOM_DAGS; seed++) {
        cosma_problem_t problem;
        uint64_t m_r;
        cosma_graph_t *g = random_problem(seed, &problem, &m_r);
        for (uint64_t extra = 0; extra <= 4; extra += 2)
            for (uint64_t threshold = 2; threshold <= 8; threshold += 2) {
                cosma_pinned_order_t pinned;
                ck_assert_int_eq(cosma_pinned_order_derive(&problem, m_r + extra, threshold, &pinned), COSMA_OK);
                brute_t b = {.problem = &problem, .pinned = &pinned, .budget = m_r + extra};
                enumerate(&b, 0);
                if (pinned.infeasible)
                    ck_assert_int_eq(b.pinnable_orders, 0);
                derived += pinned.n_edges > 0;
                infeasible += pinned.infeasible;
                checked++;
                cosma_pinned_order_free(&pinned);
            }
        cosma_problem_free(&problem);
        cosma_graph_destroy(g);
    }
    fprintf(stderr, "PINNED derivation: %d checked, %d with edges, %d infeasible\n", checked, derived, infeasible);
    ck_assert_int_gt(derived, 0);
    ck_assert_int_gt(infeasible, 0);
}
END_TEST

START_TEST(random_dags_split_below_the_optimum)
{
    int checked = 0, positive = 0, tight = 0, skipped = 0;
    for (uint32_t seed = 1; seed <= N_RANDOM_DAGS; seed++) {
        cosma_problem_t problem;
        uint64_t m_r;
        cosma_graph_t *g = random_problem(seed, &problem, &m_r);
        cosma_mode_t mode = problem.mode;
        test_diag_t diag;
        test_diag_init(&diag);
        for (uint64_t extra = 0; extra <= 2; extra++) {
            uint64_t optimum;
            if (m_r + extra > ORACLE_MAX_BUDGET ||
                oracle_joint_optimum(g, &mode, m_r + extra, ORACLE_STATES, &optimum) != ORACLE_FOUND) {
                skipped++;
                continue;
            }
            cosma_cut_bound_options_t cut = {.budget = m_r + extra, .time_limit = planner_time_limit};
            uint64_t bound = cosma_cut_bound_split(&problem, &cut, 0, &diag.diag);
            ck_assert_msg(bound <= optimum, "%s budget %llu: split bound %llu > optimum %llu", g->name,
                          (unsigned long long)(m_r + extra), (unsigned long long)bound,
                          (unsigned long long)optimum);
            checked++;
            positive += bound > 0;
            tight += bound > 0 && bound == optimum;
        }
        cosma_problem_free(&problem);
        cosma_graph_destroy(g);
    }
    fprintf(stderr, "PINNED split bound: %d checked, %d positive, %d equal to the optimum, %d skipped\n", checked,
            positive, tight, skipped);
    ck_assert_int_gt(positive, 0);
}
END_TEST

static Suite *pinned_suite(void)
{
    Suite *suite = suite_create("bound_pinned");
    TCase *unit = tcase_create("hand-made");
    tcase_add_test(unit, floating_split);
    suite_add_tcase(suite, unit);
    TCase *oracle = tcase_create("oracle");
    tcase_set_timeout(oracle, 600);
    tcase_add_test(oracle, random_dags_derivation_holds);
    tcase_add_test(oracle, random_dags_split_below_the_optimum);
    suite_add_tcase(suite, oracle);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(pinned_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
