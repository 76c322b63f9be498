/* test_peak.c: minimum-peak scheduling (cosma_planner_bounds) on graphs
 * whose optimum is known by hand: one whose default order is far from it,
 * one that a greedy order misses, one where the search's one-child rule
 * (planner/bounds.c, ready_deltas) must not fire, one too wide to prove,
 * and one proven only because it is cut at key points into blocks; and the
 * bounds against the oracle's brute-force M_P (tests/oracle/) on random
 * graphs made of parallel chains, where the one-child rule fires most. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>
#include "oracle/oracle.h"
#include "test_support.h"

/* Seconds for one bounds call: a guard these graphs never reach. */
static const double time_limit = 30.0;

/* Bounds of g (activations only, raw byte sizes); the order the search
 * returns must be topological and peak at exactly m_p_upper. */
static cosma_bounds_t bounds_checked(const cosma_graph_t *g)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_mode_t mode = {0, 0};
    cosma_bounds_t b;
    ck_assert_int_eq(cosma_planner_bounds(g, &mode, time_limit, &b, &diag.diag), COSMA_OK);
    uint64_t *sizes = calloc((size_t)g->n_tensors + 1, sizeof(uint64_t));
    ck_assert_ptr_nonnull(sizes);
    ck_assert_int_eq(cosma_graph_sizes(g, &mode, sizes, &diag.diag), COSMA_OK);
    int topological = 0;
    ck_assert_int_eq(cosma_order_check(g, b.order, &topological), COSMA_OK);
    ck_assert(topological);
    ck_assert_uint_eq(cosma_order_peak(g, b.order, sizes), b.m_p_upper);
    ck_assert_uint_le(b.m_p_lower, b.m_p_upper);
    ck_assert_int_eq(b.m_p_exact, b.m_p_lower == b.m_p_upper);
    free(sizes);
    return b;
}

/* Finalizes g, checks that its minimum peak is m_p, proven, and that its
 * M_R is m_r, and destroys it. */
static void expect_exact_peak(cosma_graph_t *g, uint64_t m_r, uint64_t m_p)
{
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    cosma_bounds_t b = bounds_checked(g);
    ck_assert_uint_eq(b.m_r, m_r);
    ck_assert_uint_eq(b.m_p_upper, m_p);
    ck_assert(b.m_p_exact);
    cosma_bounds_free(&b);
    cosma_graph_destroy(g);
}

/* One block of k parallel chains, each make_i -> big_i (10 bytes) ->
 * shrink_i -> small_i (1 byte), and a join of every small_i into
 * `result` (1 byte).  With `from` (a tensor name) a fork reads it first
 * and every make_i reads the fork's 1-byte output.  The block's default
 * order is the bad one that makes every big tensor first.  By hand: the
 * chains one after the other peak at k + 10 (the last chain's shrink holds
 * big, small and the k - 1 other small tensors; before it, a make or a
 * shrink holds at most that, the fork's output included), and no order
 * does better: some shrink runs last, and it holds those k + 10 bytes. */
static void add_block(cosma_graph_t *g, int block, int k, const char *from, const char *result, int output)
{
    char name[32], in[32], out[32], fork[32] = "", inputs[1024] = "";
    if (from != NULL) {
        snprintf(fork, sizeof fork, "f%d", block);
        test_graph_tensor(g, fork, COSMA_TENSOR_ACTIVATION, 1);
        snprintf(name, sizeof name, "fork%d", block);
        test_graph_op(g, name, from, fork);
    }
    for (int i = 0; i < k; i++) {
        snprintf(name, sizeof name, "big%d_%d", block, i);
        test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, 10);
        snprintf(name, sizeof name, "small%d_%d", block, i);
        test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, 1);
    }
    test_graph_tensor(g, result, output ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION, 1);
    for (int i = 0; i < k; i++) {
        snprintf(name, sizeof name, "make%d_%d", block, i);
        snprintf(out, sizeof out, "big%d_%d", block, i);
        test_graph_op(g, name, fork, out);
    }
    for (int i = 0; i < k; i++) {
        snprintf(name, sizeof name, "shrink%d_%d", block, i);
        snprintf(in, sizeof in, "big%d_%d", block, i);
        snprintf(out, sizeof out, "small%d_%d", block, i);
        test_graph_op(g, name, in, out);
        size_t at = strlen(inputs);
        snprintf(inputs + at, sizeof inputs - at, "%s%s", i > 0 ? "," : "", out);
    }
    snprintf(name, sizeof name, "join%d", block);
    test_graph_op(g, name, inputs, result);
}

static cosma_graph_t *chains_graph(int k)
{
    cosma_graph_t *g = test_graph_new("chains");
    add_block(g, 0, k, NULL, "y", 1);
    return g;
}

START_TEST(chains_in_a_bad_default_order)
{
    expect_exact_peak(chains_graph(4), 11, 14); /* default order: 41 */
}
END_TEST

/* 20 chains: the sets of finished chains of one length, C(20, 10) =
 * 184,756 at the widest step, are more than the widest beam within the
 * search's fixed work keeps, so it cannot prove its order; it must still
 * find the optimum and keep a valid bound (here the join's operands,
 * k + 1 = 21). */
START_TEST(too_wide_to_prove)
{
    cosma_graph_t *g = chains_graph(20);
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    cosma_bounds_t b = bounds_checked(g);
    ck_assert_uint_eq(b.m_p_upper, 30);
    ck_assert(!b.m_p_exact);
    ck_assert_uint_ge(b.m_p_lower, 21);
    ck_assert_uint_le(b.m_p_lower, 30);
    cosma_bounds_free(&b);
    cosma_graph_destroy(g);
}
END_TEST

/* Three blocks of 16 chains in a row, each block's fork reading the
 * previous join: forks and joins are key points (every other operator is
 * their ancestor or descendant), so the search solves the 34-operator
 * blocks one by one, each from the fixed state the one before leaves, with
 * a beam as wide as one block's length allows.  In one piece, the 102
 * operators at once, the search's fixed work does not reach a beam wide
 * enough (measured: the result is then not proven).  The minimum is each
 * block's, k + 10 (see add_block; the fork's output is dead after the
 * last make). */
enum { BLOCK_CHAINS = 16 };

START_TEST(blocks_between_key_points)
{
    cosma_graph_t *g = test_graph_new("blocks");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1);
    add_block(g, 0, BLOCK_CHAINS, "x", "y0", 0);
    add_block(g, 1, BLOCK_CHAINS, "y0", "y1", 0);
    add_block(g, 2, BLOCK_CHAINS, "y1", "y", 1);
    expect_exact_peak(g, BLOCK_CHAINS + 1, BLOCK_CHAINS + 10); /* M_R at a join */
}
END_TEST

/* A hill before a valley: chain A makes a1 -> A1 (1), a2(A1) -> A2 (8),
 * a3(A2) -> A3 (1); chain B makes b1 -> B1 (4), b2(B1) -> B2 (2); the
 * join reads A3 and B2 (-> y, 1).  The default order is the greedy one
 * that always runs the operator whose step holds the fewest bytes: a1 (1),
 * b1 (5), b2 (7), then a2 climbs A's hill beside A1 and B2: 3 + 8 = 11.
 * By hand the minimum is 9, A's working set at a2 or a3 (M_R): run A to
 * its valley first (9, leaving A3 = 1), then B (1 + 4 + 2 = 7). */
START_TEST(hill_before_a_valley)
{
    cosma_graph_t *g = test_graph_new("hill");
    const char *tensors[] = {"A1", "A2", "A3", "B1", "B2"};
    const uint64_t bytes[] = {1, 8, 1, 4, 2};
    for (int i = 0; i < 5; i++)
        test_graph_tensor(g, tensors[i], COSMA_TENSOR_ACTIVATION, bytes[i]);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "a1", "", "A1");
    test_graph_op(g, "b1", "", "B1");
    test_graph_op(g, "b2", "B1", "B2");
    test_graph_op(g, "a2", "A1", "A2");
    test_graph_op(g, "a3", "A2", "A3");
    test_graph_op(g, "join", "A3,B2", "y");
    expect_exact_peak(g, 9, 9);
}
END_TEST

/* Where the one-child rule must not fire: s makes x and w (8 each); u(x)
 * -> z (8) frees what it adds, v(w) -> q (1), join(z, q) -> y (1).  After
 * s, u is memory-neutral but its step would hold w, x and z = 24; v first
 * holds 17, then u holds q, x, z = 17: the minimum is 17, above M_R (16,
 * at s and at u), so only the search can prove it. */
START_TEST(neutral_step_not_first)
{
    cosma_graph_t *g = test_graph_new("neutral");
    test_graph_tensor(g, "x", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "w", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "z", COSMA_TENSOR_ACTIVATION, 8);
    test_graph_tensor(g, "q", COSMA_TENSOR_ACTIVATION, 1);
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "s", "", "x,w");
    test_graph_op(g, "u", "x", "z");
    test_graph_op(g, "v", "w", "q");
    test_graph_op(g, "join", "z,q", "y");
    expect_exact_peak(g, 16, 17);
}
END_TEST

/* ---- against brute force ------------------------------------------------ */

enum { N_RANDOM = 300, MAX_CHAINS = 5, MAX_CHAIN_OPS = 4 };

/* A random graph of parallel chains in the shape of a NAS cell: an input
 * read by the first operator of every chain, chains of 1-4 operators whose
 * sizes often repeat (the memory-neutral steps the one-child rule takes),
 * some chains reading a second tensor of an earlier chain, and a join.
 * At most 1 + 5 x 4 + 1 = 22 tensors and 21 operators: within the oracle
 * when the chains are short enough, skipped otherwise. */
static cosma_graph_t *random_chains(uint32_t seed)
{
    uint64_t rng = (uint64_t)seed * 2654435761u + 1; /* never 0 */
    cosma_graph_t *g = test_graph_new("chains");
    test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1 + test_random_below(&rng, 6));
    int n_chains = 2 + (int)test_random_below(&rng, MAX_CHAINS - 1);
    char last[MAX_CHAINS][32], join[256] = "", name[32], in[80];
    int budget_ops = ORACLE_MAX_OPS - 1;
    for (int c = 0; c < n_chains; c++) {
        snprintf(last[c], sizeof last[c], "x");
        int len = 1 + (int)test_random_below(&rng, MAX_CHAIN_OPS);
        uint64_t size = 1 + test_random_below(&rng, 8);
        for (int s = 0; s < len && budget_ops > 0; s++, budget_ops--) {
            if (test_random_below(&rng, 3) == 0)
                size = 1 + test_random_below(&rng, 8); /* else: the same size again */
            snprintf(name, sizeof name, "t%d_%d", c, s);
            test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, size);
            if (c > 0 && s == 0 && test_random_below(&rng, 3) == 0)
                snprintf(in, sizeof in, "%s,%s", last[c], last[test_random_below(&rng, (uint32_t)c)]);
            else
                snprintf(in, sizeof in, "%s", last[c]);
            char op[32];
            snprintf(op, sizeof op, "o%d_%d", c, s);
            test_graph_op(g, op, in, name);
            snprintf(last[c], sizeof last[c], "%s", name);
        }
        if (strcmp(last[c], "x") != 0) {
            size_t at = strlen(join);
            snprintf(join + at, sizeof join - at, "%s%s", at > 0 ? "," : "", last[c]);
        }
    }
    test_graph_tensor(g, "y", COSMA_TENSOR_OUTPUT, 1);
    test_graph_op(g, "join", join, "y");
    ck_assert_int_eq(cosma_graph_finalize(g, NULL), COSMA_OK);
    return g;
}

START_TEST(random_chains_match_brute_force)
{
    int compared = 0;
    for (uint32_t seed = 1; seed <= N_RANDOM; seed++) {
        cosma_graph_t *g = random_chains(seed);
        cosma_mode_t mode = {0, 0};
        oracle_bounds_t brute;
        if (oracle_bounds_compute(g, &mode, &brute) == ORACLE_FOUND) {
            cosma_bounds_t b = bounds_checked(g);
            ck_assert_msg(b.m_p_lower <= brute.m_p && brute.m_p <= b.m_p_upper,
                          "seed %u: m_p in [%llu, %llu], brute force %llu", seed,
                          (unsigned long long)b.m_p_lower, (unsigned long long)b.m_p_upper,
                          (unsigned long long)brute.m_p);
            ck_assert_msg(b.m_p_exact && b.m_p_upper == brute.m_p, "seed %u: not exact (%llu, brute force %llu)",
                          seed, (unsigned long long)b.m_p_upper, (unsigned long long)brute.m_p);
            ck_assert_uint_eq(b.m_r, brute.m_r);
            cosma_bounds_free(&b);
            compared++;
        }
        cosma_graph_destroy(g);
    }
    ck_assert_int_ge(compared, N_RANDOM / 2); /* most fit the oracle */
}
END_TEST

static Suite *peak_suite(void)
{
    Suite *suite = suite_create("peak");
    TCase *hand = tcase_create("known by hand");
    tcase_add_test(hand, chains_in_a_bad_default_order);
    tcase_add_test(hand, too_wide_to_prove);
    tcase_add_test(hand, blocks_between_key_points);
    tcase_add_test(hand, hill_before_a_valley);
    tcase_add_test(hand, neutral_step_not_first);
    suite_add_tcase(suite, hand);
    TCase *brute = tcase_create("brute force");
    tcase_set_timeout(brute, 120);
    tcase_add_test(brute, random_chains_match_brute_force);
    suite_add_tcase(suite, brute);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(peak_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
