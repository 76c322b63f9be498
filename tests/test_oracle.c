/* test_oracle.c: the planner's public API against the exhaustive oracle
 * (tests/oracle/) on 1000 random tiny graphs (fixed seeds; two in three
 * chosen so that fragmentation matters), on the three reproducers of issue
 * 8 (tests/data/: reloc1, noplan1, peakmiss1) and on three more that this
 * test found (tests/data/oracle_*.yaml).
 *
 * Per graph and mode (activations only, with parameters):
 *  - cosma_planner_bounds: m_r equals the brute-force M_R, m_p_lower <= M_P
 *    <= m_p_upper, and m_p_upper == M_P when it says exact.
 * Per budget (M_R - 1, M_R, M_H, M_P, M_P + 1 and one in between), for each
 * schedule, against the optimum it promises:
 *  - joint: the optimum over every order;
 *  - fixed: the optimum over the given order only, once with the graph's
 *    default order and once with a random one passed as options.order;
 *  - peak ("minimum-peak order, no spills"): the optimum over every order
 *    among plans without spills (drops and retrieves of tensors with a host
 *    copy allowed); a plan it returns must have no spill.  Peak promises a
 *    plan when a zero-traffic one exists in some order within the budget;
 *    when the only spill-free plans retrieve (an input or output dropped and
 *    loaded again), "no spill-free plan" is counted, not failed
 *    (COSMA_ORACLE_STATS=1 prints the count).
 * The assertions: a returned plan verifies with the traffic it states and
 * stays within the budget; lower bound <= optimum <= traffic; `optimal`
 * only when traffic == optimum; infeasible (or any error) only when the
 * oracle proves that no plan exists (for peak: no zero-traffic plan).
 * Every oracle optimum's witness plan must pass cosma_plan_verify with
 * exactly that traffic.  The order-free windows' bound (planner/windows.c,
 * a private helper) is checked on its own, since the planner reaches for
 * it only on graphs larger than these: cut into windows of a few
 * operators (several model sizes, the default and the random order), it
 * must stay at or below the joint optimum.  So is the order screen's excess
 * bound (planner/order_screen.c): at or below the optimum of its order and
 * that order's capacity-relaxed traffic.
 * A failure prints one line per broken assertion, tagged with its class,
 * then the graph as YAML and the command that reproduces it. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cosma/frontend.h>
#include <cosma/planner.h>
#include <cosma/verify.h>
#include "oracle/oracle.h"
#include "order_screen.h"
#include "planner_internal.h"
#include "test_support.h"

enum {
    N_RANDOM_GRAPHS = 1000, /* seeds 1..N: each gives one graph, planned in both modes */
    ORACLE_STATES = 1 << 15, /* per question; a budget whose search is larger is skipped */
    MAX_BUDGETS = 8
};

/* What is asked of the planner, each against its own optimum. */
typedef enum {
    Q_JOINT = 0, /* joint schedule: every order */
    Q_FIXED,     /* fixed schedule, the graph's default order */
    Q_ORDER,     /* fixed schedule, a random topological order given as options.order */
    Q_PEAK,      /* peak schedule: every order, no spills */
    N_QUESTIONS
} question_t;

static const char *const question_names[N_QUESTIONS] = {"joint", "fixed", "fixed --order", "peak"};
static const cosma_schedule_t question_schedules[N_QUESTIONS] = {COSMA_SCHEDULE_JOINT, COSMA_SCHEDULE_FIXED,
                                                                 COSMA_SCHEDULE_FIXED, COSMA_SCHEDULE_PEAK};

/* Seconds per planner call: a guard these graphs never reach (at most about
 * 1 s for all of a graph's calls, measured).  Not smaller: with 2 s the
 * planner skips its time-indexed joint model (seen on tiny graphs that it
 * then solves in 0.1 s at 5 s), and that model's bound would go unchecked. */
static const double planner_time_limit = 10.0;

/* ---- random graphs ---------------------------------------------------- */

typedef struct {
    uint64_t state;
} rng_t;

static uint32_t rng_below(rng_t *rng, uint32_t n)
{
    rng->state = rng->state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng->state >> 33) % n);
}

enum { GEN_MAX_OPS = 8, GEN_MAX_TENSORS = 32, GEN_MAX_READS = 6 };

/* A graph before it is built: who reads what, so kinds can be decided. */
typedef struct {
    int n_ops, n_inputs, n_params, n_tensors;
    int n_outputs[GEN_MAX_OPS], outputs[GEN_MAX_OPS][3];
    int n_reads[GEN_MAX_OPS], reads[GEN_MAX_OPS][GEN_MAX_READS];
    uint64_t bytes[GEN_MAX_TENSORS];
    int readers[GEN_MAX_TENSORS];
    int other_kind[GEN_MAX_TENSORS]; /* a read output, or an unread activation */
    int producer[GEN_MAX_TENSORS];
} sketch_t;

/* Sizes of one graph: 1-4 (as in reloc1 and noplan1), 2-10 (as in
 * peakmiss1) or 1-10 mostly small; one of the three per graph. */
typedef struct {
    uint32_t low, high, p_small; /* p_small percent of the sizes are 1-4 */
} sizes_t;

static uint64_t size_draw(rng_t *rng, const sizes_t *z)
{
    if (rng_below(rng, 100) < z->p_small)
        return 1 + rng_below(rng, 4);
    return z->low + rng_below(rng, z->high - z->low + 1);
}

/* A share of what is left of target after *used, for one of n_left
 * tensors still to size (1-2 when nothing is left); at most 10. */
static uint64_t share_size(rng_t *rng, uint64_t target, uint64_t *used, int n_left)
{
    uint64_t left = target > *used ? target - *used : 0, size;
    if (left < (uint64_t)n_left)
        size = 1 + rng_below(rng, 2);
    else if (n_left == 1)
        size = left;
    else
        size = 1 + rng_below(rng, (uint32_t)(left - (uint64_t)n_left + 1));
    size = size > 10 ? 10 : size;
    *used += size;
    return size;
}

static void sketch_read(sketch_t *k, int op, int tensor)
{
    for (int i = 0; i < k->n_reads[op]; i++)
        if (k->reads[op][i] == tensor)
            return;
    if (k->n_reads[op] < GEN_MAX_READS) {
        k->reads[op][k->n_reads[op]++] = tensor;
        k->readers[tensor]++;
    }
}

/* Tensors an operator may read: graph inputs and earlier outputs. */
static int sketch_available(const sketch_t *k, int op, int *out)
{
    int n = 0;
    for (int t = 0; t < k->n_tensors; t++)
        if (t < k->n_inputs || (k->producer[t] >= 0 && k->producer[t] < op))
            out[n++] = t;
    return n;
}

/* Reads of op: usually one output of the previous operator (a chain), plus
 * up to two random earlier tensors (skips, fan-out). */
static void sketch_pick_reads(sketch_t *k, rng_t *rng, int op)
{
    int avail[GEN_MAX_TENSORS];
    int n_avail = sketch_available(k, op, avail);
    if (op == 0) {
        for (int t = 0; t < k->n_inputs; t++)
            if (rng_below(rng, 2))
                sketch_read(k, 0, t);
        return;
    }
    if (rng_below(rng, 100) < 85)
        sketch_read(k, op, k->outputs[op - 1][rng_below(rng, (uint32_t)k->n_outputs[op - 1])]);
    uint32_t r = rng_below(rng, 100);
    int extra = r < 50 ? 0 : r < 85 ? 1 : 2;
    for (int e = 0; e < extra || k->n_reads[op] == 0; e++) {
        uint32_t recent = n_avail < 4 ? (uint32_t)n_avail : 4; /* mostly short skips */
        int pick = rng_below(rng, 100) < 60 ? n_avail - 1 - (int)rng_below(rng, recent)
                                            : (int)rng_below(rng, (uint32_t)n_avail);
        sketch_read(k, op, avail[pick]);
    }
}

/* Whether tensor t is live while op runs in the default order: produced
 * before it (or an input first read at or before it) and read at or after. */
static int sketch_live_at(const sketch_t *k, int t, int op)
{
    int first = -1, last = -1;
    for (int o = 0; o < k->n_ops; o++)
        for (int i = 0; i < k->n_reads[o]; i++)
            if (k->reads[o][i] == t) {
                first = first < 0 ? o : first;
                last = o;
            }
    int begin = k->producer[t] >= 0 ? k->producer[t] : first;
    return begin >= 0 && begin < op && last >= op;
}

/* Sizes of op's outputs in a full graph: what the tensors live across op
 * leave of the target, shared among them. */
static void sketch_fill(sketch_t *k, rng_t *rng, int op, uint64_t target)
{
    uint64_t used = 0;
    for (int t = 0; t < k->n_tensors; t++)
        if (sketch_live_at(k, t, op))
            used += k->bytes[t];
    for (int i = 0; i < k->n_outputs[op]; i++)
        k->bytes[k->outputs[op][i]] = share_size(rng, target, &used, k->n_outputs[op] - i);
}

static void sketch_make(sketch_t *k, uint32_t seed)
{
    rng_t rng = {seed * 0x9E3779B97F4A7C15ull + 1};
    memset(k, 0, sizeof *k);
    static const sizes_t flavours[3] = {{1, 4, 0}, {2, 10, 0}, {1, 10, 70}};
    const sizes_t z = flavours[seed % 3];
    k->n_ops = 5 + (int)rng_below(&rng, 4);
    k->n_inputs = (int)rng_below(&rng, 3);
    k->n_params = (int)rng_below(&rng, 3);
    for (int t = 0; t < GEN_MAX_TENSORS; t++)
        k->producer[t] = -1;
    k->n_tensors = k->n_inputs;
    for (int op = 0; op < k->n_ops; op++) {
        sketch_pick_reads(k, &rng, op);
        uint32_t r = rng_below(&rng, 10);
        k->n_outputs[op] = r < 6 ? 1 : r < 9 ? 2 : 3;
        for (int i = 0; i < k->n_outputs[op]; i++) {
            int t = k->n_tensors++;
            k->outputs[op][i] = t;
            k->producer[t] = op;
        }
    }
    /* Three sketches in four are full: outputs sized so that the live
     * bytes of every step of the default order come to one target (5-9),
     * so that M_P is close to M_R, binds at every step, and placement
     * decides (as in issue 8's reproducers); the others get sizes drawn
     * freely. */
    uint64_t full = rng_below(&rng, 4) != 0 ? 5 + rng_below(&rng, 5) : 0;
    for (int t = 0; t < k->n_tensors; t++)
        k->bytes[t] = full ? 1 + rng_below(&rng, 3) : size_draw(&rng, &z);
    for (int op = 0; op < k->n_ops && full; op++)
        sketch_fill(k, &rng, op, full);
    for (int p = 0; p < k->n_params; p++) {
        int t = k->n_tensors++;
        k->bytes[t] = size_draw(&rng, &z);
        int n_readers = 1 + (int)rng_below(&rng, 2);
        for (int r = 0; r < n_readers; r++)
            sketch_read(k, (int)rng_below(&rng, (uint32_t)k->n_ops), t);
    }
    /* Results are activations when read, outputs when not, except 40% of
     * the read ones (outputs: relocating them costs a load only) and 30% of
     * the unread ones (activations, as g in reloc1). */
    for (int t = 0; t < k->n_tensors; t++)
        k->other_kind[t] = k->producer[t] >= 0 && rng_below(&rng, 100) < (k->readers[t] > 0 ? 40u : 30u);
}

static cosma_tensor_kind_t sketch_kind(const sketch_t *k, int t)
{
    if (t < k->n_inputs)
        return COSMA_TENSOR_INPUT;
    if (k->producer[t] < 0)
        return COSMA_TENSOR_PARAM;
    int read = k->readers[t] > 0;
    return read == k->other_kind[t] ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION;
}

static cosma_graph_t *sketch_build(const sketch_t *k, uint32_t seed)
{
    char name[32];
    snprintf(name, sizeof name, "rand%u", seed);
    cosma_graph_t *g = test_graph_new(name);
    for (int t = 0; t < k->n_tensors; t++) {
        snprintf(name, sizeof name, "t%d", t);
        test_graph_tensor(g, name, sketch_kind(k, t), k->bytes[t]);
    }
    for (int op = 0; op < k->n_ops; op++) {
        int32_t in[GEN_MAX_READS], out[3];
        for (int i = 0; i < k->n_reads[op]; i++)
            in[i] = k->reads[op][i];
        for (int i = 0; i < k->n_outputs[op]; i++)
            out[i] = k->outputs[op][i];
        snprintf(name, sizeof name, "op%d", op);
        cosma_loc_t loc = {0};
        int32_t index;
        ck_assert_int_eq(
            cosma_graph_add_op(g, name, "T", in, k->n_reads[op], out, k->n_outputs[op], NULL, 0, loc, &index),
            COSMA_OK);
    }
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_msg(cosma_graph_finalize(g, &diag.diag) == COSMA_OK, "seed %u: %s", seed, diag.text);
    return g;
}

enum { GEN_ATTEMPTS = 64 };

/* Whether fragmentation matters: at B = M_P the live bytes of some order
 * fit, yet every plan has traffic (activations only). */
static int fragmentation_matters(const cosma_graph_t *g)
{
    cosma_mode_t plain = {0, 0};
    oracle_bounds_t b;
    ck_assert_int_eq(oracle_bounds_compute(g, &plain, &b), ORACLE_FOUND);
    oracle_options_t options;
    oracle_options_init(&options);
    options.budget_bytes = b.m_p;
    options.max_states = ORACLE_STATES / 8;
    oracle_result_t result;
    oracle_outcome_t outcome = oracle_plan_solve(g, &options, &result);
    cosma_plan_destroy(result.witness);
    return outcome == ORACLE_FOUND && result.traffic > 0;
}

/* The graph of a seed: one seed in three takes its first sketch, the
 * others the first of up to GEN_ATTEMPTS sketches where fragmentation
 * matters (the rest rarely need more than capacity to be planned right). */
static cosma_graph_t *random_graph(uint32_t seed)
{
    for (uint32_t attempt = 0;; attempt++) {
        sketch_t k;
        sketch_make(&k, seed + 1000003u * attempt);
        cosma_graph_t *g = sketch_build(&k, seed);
        if (seed % 3 == 0 || attempt + 1 == GEN_ATTEMPTS || fragmentation_matters(g))
            return g;
        cosma_graph_destroy(g);
    }
}

/* ---- checking one graph in one mode ----------------------------------- */

typedef struct {
    const cosma_graph_t *graph;
    cosma_mode_t mode;
    int32_t default_order[ORACLE_MAX_OPS];
    int32_t given_order[ORACLE_MAX_OPS]; /* Q_ORDER's */
    cosma_buf_t report; /* one line per broken assertion */
    int n_failures;
    int n_questions, n_skipped; /* (budget, question) pairs; skipped: the oracle's search was too large */
    int n_above_optimum;        /* allowed (status feasible) but counted */
    int n_peak_retrieve_only;   /* peak said no plan; the only spill-free plans retrieve */
    int n_window_positive, n_window_tight; /* windows' bounds above 0, equal to the optimum */
    int n_excess_positive;                 /* the order screen's excess bounds above 0 */
    int n_windows, n_windows_free;        /* windows cut, ... with a solution of cost 0 at hand */
    int n_cut_checked, n_cut_positive, n_cut_tight; /* cut bounds computed, above 0, equal to the optimum */
    int n_cut_above_cover;                          /* ... above the covering ILP's bound */
    double oracle_seconds, planner_seconds; /* printed with COSMA_ORACLE_STATS=1 */
    size_t oracle_states;
} check_t;

static double now_seconds(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void check_fail(check_t *c, const char *what, uint64_t budget, const char *schedule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char detail[512];
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    cosma_buf_printf(&c->report, "ORACLE-FAIL [%s] graph %s, %s, budget %llu, schedule %s: %s\n", what,
                     c->graph->name, c->mode.with_params ? "--params" : "activations only",
                     (unsigned long long)budget, schedule, detail);
    c->n_failures++;
}

static uint64_t non_compulsory(const cosma_traffic_t *t)
{
    return t->spill_bytes + t->retrieve_bytes;
}

/* The order a question fixes, or NULL. */
static const int32_t *question_order(const check_t *c, question_t q)
{
    return q == Q_FIXED ? c->default_order : q == Q_ORDER ? c->given_order : NULL;
}

/* The oracle's answer to a question; its witness must verify with exactly
 * the optimum (a check of the oracle's reading of the model). */
static oracle_outcome_t oracle_answer(check_t *c, uint64_t budget, question_t q, uint64_t *out_optimum)
{
    oracle_options_t options;
    oracle_options_init(&options);
    options.mode = c->mode;
    options.budget_bytes = budget;
    options.order = question_order(c, q);
    options.allow_spill = q != Q_PEAK;
    options.max_states = ORACLE_STATES;
    oracle_result_t result;
    double start = now_seconds();
    oracle_outcome_t outcome = oracle_plan_solve(c->graph, &options, &result);
    c->oracle_seconds += now_seconds() - start;
    c->oracle_states += result.states;
    *out_optimum = result.traffic;
    if (outcome == ORACLE_NOMEM) {
        check_fail(c, "oracle-out-of-memory", budget, question_names[q], "%zu states", result.states);
    } else if (outcome == ORACLE_FOUND) {
        test_diag_t diag;
        test_diag_init(&diag);
        cosma_traffic_t traffic;
        if (cosma_plan_verify(c->graph, result.witness, &traffic, &diag.diag) != COSMA_OK)
            check_fail(c, "oracle-witness", budget, question_names[q], "verifier rejects: %s", diag.text);
        else if (non_compulsory(&traffic) != result.traffic)
            check_fail(c, "oracle-witness", budget, question_names[q], "traffic %llu, oracle says %llu",
                       (unsigned long long)non_compulsory(&traffic), (unsigned long long)result.traffic);
        cosma_plan_destroy(result.witness);
    }
    return outcome;
}

/* A plan the planner returned, against the oracle's optimum. */
static void check_plan(check_t *c, uint64_t budget, question_t q, const cosma_plan_t *plan, oracle_outcome_t oracle,
                       uint64_t optimum)
{
    const char *name = question_names[q];
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_traffic_t traffic;
    if (cosma_plan_verify(c->graph, plan, &traffic, &diag.diag) != COSMA_OK) {
        check_fail(c, "plan-rejected", budget, name, "verifier: %s", diag.text);
        return;
    }
    uint64_t moved = non_compulsory(&traffic), bound = plan->lower_bound_bytes;
    if (moved != non_compulsory(&plan->traffic) || traffic.peak_bytes > budget)
        check_fail(c, "plan-totals", budget, name, "plan says %llu bytes, verifier %llu, peak %llu",
                   (unsigned long long)non_compulsory(&plan->traffic), (unsigned long long)moved,
                   (unsigned long long)traffic.peak_bytes);
    if (oracle == ORACLE_NO_PLAN) {
        check_fail(c, "plan-without-oracle-plan", budget, name, "planner traffic %llu, oracle: no plan",
                   (unsigned long long)moved);
        return;
    }
    if (oracle != ORACLE_FOUND)
        return;
    if (moved < optimum)
        check_fail(c, "traffic-below-optimum", budget, name, "traffic %llu < optimum %llu", (unsigned long long)moved,
                   (unsigned long long)optimum);
    if (bound > optimum)
        check_fail(c, "bound-above-optimum", budget, name, "lower bound %llu > optimum %llu (traffic %llu, %s)",
                   (unsigned long long)bound, (unsigned long long)optimum, (unsigned long long)moved,
                   cosma_plan_status_name(plan->status));
    c->n_above_optimum += moved > optimum;
    if (plan->status == COSMA_PLAN_OPTIMAL && moved != optimum)
        check_fail(c, "false-optimal", budget, name, "status optimal, traffic %llu, optimum %llu",
                   (unsigned long long)moved, (unsigned long long)optimum);
    const int32_t *order = question_order(c, q);
    if (order != NULL && memcmp(plan->order, order, (size_t)c->graph->n_ops * sizeof(int32_t)) != 0)
        check_fail(c, "fixed-order-changed", budget, name, "the plan's order is not the one asked for");
    if (q == Q_PEAK && traffic.spill_bytes != 0)
        check_fail(c, "peak-spills", budget, name, "spill bytes %llu", (unsigned long long)traffic.spill_bytes);
}

static void check_question(check_t *c, uint64_t budget, question_t q, oracle_outcome_t oracle, uint64_t optimum)
{
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.mode = c->mode;
    options.budget_bytes = budget;
    options.schedule = question_schedules[q];
    options.order = question_order(c, q);
    options.time_limit = planner_time_limit;
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_plan_t *plan = NULL;
    double start = now_seconds();
    cosma_status_t status = cosma_planner_plan(c->graph, &options, &plan, &diag.diag);
    c->planner_seconds += now_seconds() - start;
    int retrieve_only = q == Q_PEAK && optimum > 0;
    if (status == COSMA_OK) {
        check_plan(c, budget, q, plan, oracle, optimum);
    } else if (oracle == ORACLE_FOUND && status == COSMA_ERR_INFEASIBLE && retrieve_only) {
        c->n_peak_retrieve_only++;
    } else if (oracle == ORACLE_FOUND) {
        const char *what = status != COSMA_ERR_INFEASIBLE ? "planner-error"
                           : q != Q_PEAK                     ? "false-infeasible"
                                                             : "peak-misses-zero-traffic";
        char first_line[200];
        snprintf(first_line, sizeof first_line, "%.199s", diag.text);
        first_line[strcspn(first_line, "\n")] = '\0';
        check_fail(c, what, budget, question_names[q], "%s (\"%s\"), oracle optimum %llu",
                   cosma_status_name(status), first_line, (unsigned long long)optimum);
    }
    cosma_plan_destroy(plan);
}

/* Model sizes (columns) the windows' bound is cut at: from one operator
 * per window to a few. */
static const int64_t window_columns[] = {12, 30, 60, 120};
enum { N_WINDOW_SIZES = sizeof window_columns / sizeof window_columns[0] };
/* With each, the searched cut's window size (operators; 0: the default
 * sizes, which hold a whole oracle graph in one window): small ones make
 * several searched windows, so their sum, ranges and entry states are
 * checked too. */
static const int32_t search_window_ops[N_WINDOW_SIZES] = {2, 3, 5, 0};

/* The windows' bound of the default and the random order at every size,
 * against the joint optimum. */
static void check_window_bound(check_t *c, uint64_t budget, uint64_t optimum)
{
    cosma_problem_t problem;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_problem_init(&problem, c->graph, &c->mode, &diag.diag), COSMA_OK);
    for (int k = 0; k < 2 * N_WINDOW_SIZES; k++) {
        cosma_window_bound_options_t options;
        cosma_window_bound_options_init(&options);
        options.budget = budget;
        options.deadline = now_seconds() + planner_time_limit;
        options.window_columns = window_columns[k % N_WINDOW_SIZES];
        options.search_window_ops = search_window_ops[k % N_WINDOW_SIZES];
        uint64_t bound = 0;
        const int32_t *order = k < N_WINDOW_SIZES ? c->default_order : c->given_order;
        cosma_window_bound_stats_t stats;
        ck_assert_int_eq(cosma_window_bound(&problem, order, &options, &bound, &stats, &diag.diag), COSMA_OK);
        c->n_windows += stats.n_windows;
        c->n_windows_free += stats.n_free;
        if (bound > optimum)
            check_fail(c, "window-bound-above-optimum", budget, "joint",
                       "windows of %lld columns, searched windows of %d operators (%s order): bound %llu > optimum %llu",
                       (long long)options.window_columns, (int)options.search_window_ops, k < N_WINDOW_SIZES ? "default" : "given",
                       (unsigned long long)bound, (unsigned long long)optimum);
        c->n_window_positive += bound > 0;
        c->n_window_tight += bound > 0 && bound == optimum;
    }
    cosma_problem_free(&problem);
}

/* The cut bound (planner/bound_cut.c) against the joint optimum; like the
 * windows' bound it is a private helper, reached by the planner only when
 * its other bounds fall short. */
static void check_cut_bound(check_t *c, uint64_t budget, uint64_t optimum)
{
    cosma_problem_t problem;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_problem_init(&problem, c->graph, &c->mode, &diag.diag), COSMA_OK);
    cosma_cut_bound_options_t options = {.budget = budget, .time_limit = planner_time_limit};
    uint64_t bound = cosma_cut_bound(&problem, &options, &diag.diag);
    if (bound > optimum)
        check_fail(c, "cut-bound-above-optimum", budget, "joint", "cut bound %llu > optimum %llu",
                   (unsigned long long)bound, (unsigned long long)optimum);
    c->n_cut_checked++;
    c->n_cut_positive += bound > 0;
    c->n_cut_tight += bound > 0 && bound == optimum;
    c->n_cut_above_cover += bound > cosma_problem_traffic_lower_bound(&problem, budget, planner_time_limit, 0, &diag.diag);
    cosma_problem_free(&problem);
}

/* The order local search's screen (planner/order_screen.c) skips a trial
 * order whose excess bound is no better than the current score: the bound
 * must stay at or below the optimum of that order (question) and below
 * the capacity-relaxed traffic the search would have solved for it. */
static void check_excess_bound(check_t *c, uint64_t budget, question_t question, uint64_t optimum)
{
    const int32_t *order = question == Q_FIXED ? c->default_order : c->given_order;
    cosma_problem_t problem;
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_int_eq(cosma_problem_init(&problem, c->graph, &c->mode, &diag.diag), COSMA_OK);
    cosma_order_screen_t screen;
    ck_assert_int_eq(cosma_order_screen_init(&screen, &problem, order, budget, 1), COSMA_OK);
    uint64_t bound = cosma_order_screen_excess(&screen, order), relaxed = UINT64_MAX;
    int64_t work = 0;
    if (cosma_residency_relaxed(&problem, order, budget, planner_time_limit, 10000, &relaxed, &work, &diag.diag) !=
        COSMA_OK)
        relaxed = UINT64_MAX; /* an operator does not fit: no relaxed traffic to compare */
    if (bound > optimum || bound > relaxed)
        check_fail(c, "excess-bound-above-optimum", budget, question_names[question],
                   "excess bound %llu > optimum %llu or relaxed traffic %llu", (unsigned long long)bound,
                   (unsigned long long)optimum, (unsigned long long)relaxed);
    c->n_excess_positive += bound > 0;
    cosma_order_screen_free(&screen);
    cosma_problem_free(&problem);
}

static void check_budget(check_t *c, uint64_t budget)
{
    oracle_outcome_t oracle[N_QUESTIONS];
    uint64_t optimum[N_QUESTIONS];
    for (int q = 0; q < N_QUESTIONS; q++)
        oracle[q] = oracle_answer(c, budget, (question_t)q, &optimum[q]);
    /* The joint optimum is the least of all (a sanity check of the oracle). */
    for (int s = 1; s < N_QUESTIONS; s++)
        if (oracle[s] == ORACLE_FOUND && oracle[0] != ORACLE_TOO_BIG &&
            (oracle[0] != ORACLE_FOUND || optimum[0] > optimum[s]))
            check_fail(c, "oracle-inconsistent", budget, question_names[s], "optimum %llu below the joint one",
                       (unsigned long long)optimum[s]);
    if (oracle[Q_JOINT] == ORACLE_FOUND) {
        check_window_bound(c, budget, optimum[Q_JOINT]);
        check_cut_bound(c, budget, optimum[Q_JOINT]);
    }
    for (int q = Q_FIXED; q <= Q_ORDER; q++)
        if (oracle[q] == ORACLE_FOUND)
            check_excess_bound(c, budget, (question_t)q, optimum[q]);
    for (int q = 0; q < N_QUESTIONS; q++) {
        if (oracle[q] == ORACLE_TOO_BIG)
            c->n_skipped++;
        else
            check_question(c, budget, (question_t)q, oracle[q], optimum[q]);
        c->n_questions++;
    }
}

static void check_bounds(check_t *c, const oracle_bounds_t *brute)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_bounds_t b;
    if (cosma_planner_bounds(c->graph, &c->mode, planner_time_limit, &b, &diag.diag) != COSMA_OK) {
        check_fail(c, "bounds-error", 0, "-", "%s", diag.text);
        return;
    }
    if (b.m_r != brute->m_r)
        check_fail(c, "bounds-m_r", 0, "-", "m_r %llu, brute force %llu", (unsigned long long)b.m_r,
                   (unsigned long long)brute->m_r);
    if (b.m_p_lower > brute->m_p || b.m_p_upper < brute->m_p || (b.m_p_exact && b.m_p_upper != brute->m_p))
        check_fail(c, "bounds-m_p", 0, "-", "m_p in [%llu, %llu] (exact %d), brute force %llu",
                   (unsigned long long)b.m_p_lower, (unsigned long long)b.m_p_upper, b.m_p_exact,
                   (unsigned long long)brute->m_p);
    cosma_bounds_free(&b);
}

/* Adds budget to the list unless it is there already. */
static int budget_add(uint64_t *budgets, int n, uint64_t budget)
{
    for (int i = 0; i < n; i++)
        if (budgets[i] == budget)
            return n;
    budgets[n] = budget;
    return n + 1;
}

/* M_R - 1 (no plan), M_R, M_H, M_P, M_P + 1 and one more in [M_R, M_P + 2]. */
static int budgets_pick(const oracle_bounds_t *b, uint32_t seed, uint64_t *out)
{
    int n = 0;
    if (b->m_r > 1)
        n = budget_add(out, n, b->m_r - 1);
    n = budget_add(out, n, b->m_r);
    n = budget_add(out, n, (b->m_r + b->m_p) / 2);
    n = budget_add(out, n, b->m_p);
    n = budget_add(out, n, b->m_p + 1);
    rng_t rng = {seed};
    return budget_add(out, n, b->m_r + rng_below(&rng, (uint32_t)(b->m_p - b->m_r + 3)));
}

/* A topological order drawn at random: each step runs one of the ready
 * operators, chosen by the seed. */
static void random_order(const cosma_graph_t *graph, uint32_t seed, int32_t *out)
{
    rng_t rng = {seed * 0xD1B54A32D192ED03ull + 7};
    int done[ORACLE_MAX_OPS] = {0};
    for (int32_t step = 0; step < graph->n_ops; step++) {
        int32_t ready[ORACLE_MAX_OPS], n_ready = 0;
        for (int32_t o = 0; o < graph->n_ops; o++) {
            int ok = !done[o];
            for (int32_t i = 0; i < graph->ops[o].n_inputs && ok; i++) {
                int32_t x = graph->ops[o].inputs[i];
                ok = x < 0 || graph->tensors[x].producer < 0 || done[graph->tensors[x].producer];
            }
            if (ok)
                ready[n_ready++] = o;
        }
        out[step] = ready[rng_below(&rng, (uint32_t)n_ready)];
        done[out[step]] = 1;
    }
}

static void check_init(check_t *c, const cosma_graph_t *graph, uint32_t seed)
{
    memset(c, 0, sizeof *c);
    c->graph = graph;
    ck_assert_int_le(graph->n_ops, ORACLE_MAX_OPS);
    for (int32_t o = 0; o < graph->n_ops; o++)
        c->default_order[o] = o;
    random_order(graph, seed, c->given_order);
    cosma_buf_init(&c->report);
}

/* Fails the test with the report, the graph as YAML and a command line. */
static void check_finish(check_t *c)
{
    const char *stats = getenv("COSMA_ORACLE_STATS");
    if (stats != NULL && strcmp(stats, "1") == 0)
        fprintf(stderr, "ORACLE-STATS %s: oracle %.3f s (%zu states), planner %.3f s, %d questions, %d skipped, %d above the optimum, "
                "%d peak retrieve-only, windows' bounds %d positive (%d tight) over %d windows (%d of cost 0), "
                "cut bounds %d checked, %d positive (%d tight, %d above the covering bound), "
                "excess bounds %d positive, %d failures\n",
                c->graph->name, c->oracle_seconds, c->oracle_states, c->planner_seconds, c->n_questions, c->n_skipped,
                c->n_above_optimum, c->n_peak_retrieve_only, c->n_window_positive, c->n_window_tight, c->n_windows, c->n_windows_free,
                c->n_cut_checked, c->n_cut_positive, c->n_cut_tight, c->n_cut_above_cover, c->n_excess_positive, c->n_failures);
    if (c->n_failures > 0) {
        cosma_buf_puts(&c->report, "--- graph (save as g.yaml):\n");
        cosma_frontend_emit_yaml(c->graph, &c->report);
        cosma_buf_puts(&c->report, "--- order for 'fixed --order' (save as order.txt):");
        for (int32_t step = 0; step < c->graph->n_ops; step++)
            cosma_buf_printf(&c->report, " %s", c->graph->ops[c->given_order[step]].name);
        cosma_buf_puts(&c->report, "\n--- reproduce: cosma plan g.yaml --budget B [--params] --schedule S "
                                   "[--order order.txt] -o p.json, B, mode and S as in a line above\n");
        fprintf(stderr, "%s", c->report.data);
    }
    int n_failures = c->n_failures;
    char head[1024];
    snprintf(head, sizeof head, "%s", c->n_failures > 0 ? c->report.data : "ORACLE-FAIL none");
    head[strcspn(head, "\n")] = '\0';
    cosma_buf_free(&c->report);
    ck_assert_msg(n_failures == 0, "%d broken assertion(s) (the report above on stderr); the first: %.400s", n_failures,
                  head + strlen("ORACLE-FAIL "));
}

static int graph_has_params(const cosma_graph_t *graph)
{
    for (int32_t t = 0; t < graph->n_tensors; t++)
        if (graph->tensors[t].kind == COSMA_TENSOR_PARAM && graph->tensors[t].n_consumers > 0)
            return 1;
    return 0;
}

/* Every check on a graph, in both modes (one when it has no parameters). */
static void check_graph(const cosma_graph_t *graph, uint32_t seed)
{
    check_t c;
    check_init(&c, graph, seed);
    for (int with_params = 0; with_params <= graph_has_params(graph); with_params++) {
        c.mode.with_params = with_params;
        c.mode.elem_bytes = 0;
        oracle_bounds_t brute;
        ck_assert_int_eq(oracle_bounds_compute(graph, &c.mode, &brute), ORACLE_FOUND);
        check_bounds(&c, &brute);
        uint64_t budgets[MAX_BUDGETS];
        int n = budgets_pick(&brute, seed, budgets);
        for (int i = 0; i < n; i++)
            check_budget(&c, budgets[i]);
    }
    check_finish(&c);
}

START_TEST(random_graphs_match_the_oracle)
{
    uint32_t seed = (uint32_t)_i;
    cosma_graph_t *g = random_graph(seed);
    check_graph(g, seed);
    cosma_graph_destroy(g);
}
END_TEST

/* ---- issue 8's reproducers -------------------------------------------- */

static cosma_graph_t *read_graph(const char *relative)
{
    test_diag_t diag;
    test_diag_init(&diag);
    cosma_graph_t *g = NULL;
    ck_assert_msg(cosma_frontend_read_yaml(test_source_path(relative), &g, &diag.diag) == COSMA_OK, "%s", diag.text);
    return g;
}

/* The reproducer's claim about the optimum of a schedule's promise
 * (activations only), then every check at its budget. */
static void check_reproducer(const char *file, uint64_t budget, question_t q, uint64_t expected)
{
    cosma_graph_t *g = read_graph(file);
    check_t c;
    check_init(&c, g, 0);
    uint64_t optimum = 0;
    ck_assert_int_eq(oracle_answer(&c, budget, q, &optimum), ORACLE_FOUND);
    ck_assert_uint_eq(optimum, expected);
    check_budget(&c, budget);
    check_finish(&c);
    cosma_graph_destroy(g);
}

/* Each reproducer: its budget, the question, and the true optimum. */
typedef struct {
    const char *file;
    uint64_t budget;
    question_t question;
    uint64_t optimum;
} reproducer_t;

static const reproducer_t reproducers[] = {
    /* issue 8: e is stored, dropped at step 4 and loaded at another offset */
    {"tests/data/reloc1.yaml", 6, Q_JOINT, 1},
    /* issue 8, budget M_R: e spilled and loaded back at offset 0 */
    {"tests/data/noplan1.yaml", 6, Q_JOINT, 2},
    /* issue 8, budget M_P: zero traffic in the order op0 op1 op2 op4 op3 op5 */
    {"tests/data/peakmiss1.yaml", 20, Q_PEAK, 0},
    /* found by this test: M_R = M_P = 9, the planner claimed 6 optimal */
    {"tests/data/oracle_optimal1.yaml", 9, Q_JOINT, 2},
    /* found by this test: M_R = M_P = 8, the planner found no plan */
    {"tests/data/oracle_noplan1.yaml", 8, Q_JOINT, 1},
    /* found by this test: the default order, the planner claimed 4 optimal */
    {"tests/data/oracle_fixed1.yaml", 6, Q_FIXED, 2},
};
enum { N_REPRODUCERS = sizeof reproducers / sizeof reproducers[0] };

START_TEST(reproducer_matches_the_oracle)
{
    const reproducer_t *r = &reproducers[_i];
    check_reproducer(r->file, r->budget, r->question, r->optimum);
}
END_TEST

/* ---- floating operators: the cut bound ------------------------------- */

/* Graphs where the cut bound has something to see (planner/bound_cut.c):
 * a main chain from an input (with residual skips), and one to three
 * floating branches, each an operator reading only a parameter (so it has
 * no planned input in the activations-only mode, and no predecessor in
 * either) with a large output, sometimes passed through a second
 * operator, read by one main operator.  Wherever a branch runs, its large
 * tensor is live from there to its reader, or the chain's tensors are
 * live across its full step. */
enum { N_FLOATING_GRAPHS = 400, FLOAT_MAX_MAIN = 7, FLOAT_MAX_BRANCHES = 3 };

static cosma_graph_t *floating_graph(uint32_t seed)
{
    rng_t rng = {seed * 0xD1B54A32D192ED03ull + 7};
    char name[32];
    snprintf(name, sizeof name, "float%u", seed);
    cosma_graph_t *g = test_graph_new(name);
    int n_main = 3 + (int)rng_below(&rng, FLOAT_MAX_MAIN - 2), n_branches = 1 + (int)rng_below(&rng, FLOAT_MAX_BRANCHES);
    int32_t x = test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, 1 + rng_below(&rng, 3));
    int32_t main_out[FLOAT_MAX_MAIN], joins[FLOAT_MAX_MAIN][FLOAT_MAX_BRANCHES], n_joins[FLOAT_MAX_MAIN] = {0};
    for (int k = 0; k < n_main; k++) {
        snprintf(name, sizeof name, "m%d", k);
        main_out[k] = test_graph_tensor(g, name, k + 1 == n_main ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION,
                                        1 + rng_below(&rng, 4));
    }
    cosma_loc_t loc = {0};
    int32_t index;
    for (int b = 0; b < n_branches; b++) {
        snprintf(name, sizeof name, "w%d", b);
        int32_t w = test_graph_tensor(g, name, COSMA_TENSOR_PARAM, 1 + rng_below(&rng, 6));
        snprintf(name, sizeof name, "s%d", b);
        int32_t split = test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, 3 + rng_below(&rng, 6)), last = split;
        snprintf(name, sizeof name, "split%d", b);
        ck_assert_int_eq(cosma_graph_add_op(g, name, "T", &w, 1, &split, 1, NULL, 0, loc, &index), COSMA_OK);
        if (rng_below(&rng, 2)) {
            snprintf(name, sizeof name, "v%d", b);
            last = test_graph_tensor(g, name, COSMA_TENSOR_ACTIVATION, 3 + rng_below(&rng, 6));
            snprintf(name, sizeof name, "transpose%d", b);
            ck_assert_int_eq(cosma_graph_add_op(g, name, "T", &split, 1, &last, 1, NULL, 0, loc, &index), COSMA_OK);
        }
        int k = 1 + (int)rng_below(&rng, (uint32_t)(n_main - 1));
        joins[k][n_joins[k]++] = last;
    }
    for (int k = 0; k < n_main; k++) {
        int32_t in[2 + FLOAT_MAX_BRANCHES];
        int n_in = 0;
        in[n_in++] = k == 0 ? x : main_out[k - 1];
        if (k >= 2 && rng_below(&rng, 2))
            in[n_in++] = main_out[k - 2]; /* a residual skip */
        for (int j = 0; j < n_joins[k]; j++)
            in[n_in++] = joins[k][j];
        snprintf(name, sizeof name, "op%d", k);
        ck_assert_int_eq(cosma_graph_add_op(g, name, "T", in, n_in, &main_out[k], 1, NULL, 0, loc, &index), COSMA_OK);
    }
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_msg(cosma_graph_finalize(g, &diag.diag) == COSMA_OK, "seed %u: %s", seed, diag.text);
    return g;
}

/* The cut bound and the pinned case split (bound_cut.c) at a budget,
 * each asserted to be at most the joint optimum; returns the cut bound,
 * *out_split (NULL: not wanted) the split's. */
static uint64_t checked_cut_bounds(const cosma_problem_t *problem, const cosma_graph_t *g, uint64_t budget,
                                   uint64_t optimum, uint64_t *out_split, cosma_diag_t *diag)
{
    const char *mode = problem->mode.with_params ? "params" : "activations";
    cosma_cut_bound_options_t cut = {.budget = budget, .time_limit = planner_time_limit};
    uint64_t bound = cosma_cut_bound(problem, &cut, diag);
    ck_assert_msg(bound <= optimum, "%s (%s) budget %llu: cut bound %llu > optimum %llu", g->name, mode,
                  (unsigned long long)budget, (unsigned long long)bound, (unsigned long long)optimum);
    uint64_t split = cosma_cut_bound_split(problem, &cut, 0, diag);
    ck_assert_msg(split <= optimum, "%s (%s) budget %llu: split bound %llu > optimum %llu", g->name, mode,
                  (unsigned long long)budget, (unsigned long long)split, (unsigned long long)optimum);
    if (out_split != NULL)
        *out_split = split;
    return bound;
}

/* The cut bound against the joint optimum on the floating graphs, in both
 * modes, at M_R, M_R + 1 and M_H: never above it, and above the covering
 * bound on some (the operators it adds are what it is for). */
START_TEST(cut_bound_on_floating_graphs)
{
    int checked = 0, positive = 0, tight = 0, above_cover = 0, skipped = 0, split_above = 0;
    for (uint32_t seed = 1; seed <= N_FLOATING_GRAPHS; seed++) {
        cosma_graph_t *g = floating_graph(seed);
        for (int with_params = 0; with_params <= 1; with_params++) {
            cosma_mode_t mode = {.with_params = with_params, .elem_bytes = 0};
            oracle_bounds_t brute;
            ck_assert_int_eq(oracle_bounds_compute(g, &mode, &brute), ORACLE_FOUND);
            uint64_t budgets[3] = {brute.m_r, brute.m_r + 1, (brute.m_r + brute.m_p) / 2};
            cosma_problem_t problem;
            test_diag_t diag;
            test_diag_init(&diag);
            ck_assert_int_eq(cosma_problem_init(&problem, g, &mode, &diag.diag), COSMA_OK);
            for (int i = 0; i < 3; i++) {
                uint64_t optimum, split;
                if (oracle_joint_optimum(g, &mode, budgets[i], ORACLE_STATES, &optimum) != ORACLE_FOUND) {
                    skipped++;
                    continue;
                }
                uint64_t bound = checked_cut_bounds(&problem, g, budgets[i], optimum, &split, &diag.diag);
                uint64_t cover = cosma_problem_traffic_lower_bound(&problem, budgets[i], planner_time_limit, 0, &diag.diag);
                checked++;
                positive += bound > 0;
                tight += bound > 0 && bound == optimum;
                above_cover += bound > cover;
                split_above += split > bound;
            }
            cosma_problem_free(&problem);
        }
        cosma_graph_destroy(g);
    }
    fprintf(stderr, "CUT-BOUND floating graphs: %d checked, %d positive, %d equal to the optimum, "
                    "%d above the covering bound, %d skipped (no plan or too large); the split above the "
                    "cut bound on %d\n",
            checked, positive, tight, above_cover, skipped, split_above);
    ck_assert_int_gt(above_cover, 0);
}
END_TEST

/* Graphs where the reload sums of the cut bound (add_ordered_sum in
 * planner/bound_cut.c) meet picked operators that the closure does not
 * order.  A main chain m0 .. m_{n-1} (6 or 7 operators) carries t, made
 * by m0 (or an input m0 reads), read by a middle operator r = m_mid and
 * by the last one.  A floating operator, split (it reads only a
 * parameter w), makes s, read by a later main operator; it is added
 * after some main operator a past r, so it comes after a in the default
 * order although it may run before r.  Private parameters fill each
 * main operator's working set to a few bytes below the budget, and w
 * fills split's, so t never stays beside them and whatever split runs
 * beside is evicted.  Where every optimal plan runs split before r, t is
 * out at m1, split, a and the reader of s: two loads (before r and
 * before the last reader), each pair (m1, a) and (split, reader of s)
 * with r between.  A sum over m1, a, split, reader of s, taken across
 * the unordered pair (a, split), would count a load for each pair where
 * one load serves both. */
enum { N_RELOAD_GRAPHS = 400, RELOAD_MAX_MAIN = 7 };

static cosma_graph_t *reload_graph(uint32_t seed)
{
    rng_t rng = {seed * 0x9E3779B97F4A7C15ull + 11};
    char name[32];
    snprintf(name, sizeof name, "reload%u", seed);
    cosma_graph_t *g = test_graph_new(name);
    int n_main = 6 + (int)rng_below(&rng, 2);
    int mid = 2 + (int)rng_below(&rng, (uint32_t)(n_main - 5));                   /* t's middle reader */
    int after = mid + 1 + (int)rng_below(&rng, (uint32_t)(n_main - 3 - mid));     /* split is added after it */
    int reader = after + 1 + (int)rng_below(&rng, (uint32_t)(n_main - 2 - after)); /* s's reader */
    int t_input = (int)rng_below(&rng, 2);
    uint64_t x_size = 1 + rng_below(&rng, 3), t_size = 2 + rng_below(&rng, 3);
    uint64_t s_size = 1 + rng_below(&rng, (uint32_t)t_size - 1);
    uint64_t out[RELOAD_MAX_MAIN], need[RELOAD_MAX_MAIN], budget = 0;
    for (int k = 0; k < n_main; k++)
        out[k] = 1 + rng_below(&rng, 4);
    for (int k = 0; k < n_main; k++) { /* the working sets before the parameters */
        need[k] = out[k] + (k == 0 ? x_size : out[k - 1]) + (k == 0 || k == mid || k == n_main - 1 ? t_size : 0) +
                  (k == reader ? s_size : 0);
        budget = need[k] > budget ? need[k] : budget;
    }
    budget += rng_below(&rng, 3);
    int32_t x = test_graph_tensor(g, "x", COSMA_TENSOR_INPUT, x_size);
    int32_t t = test_graph_tensor(g, "t", t_input ? COSMA_TENSOR_INPUT : COSMA_TENSOR_ACTIVATION, t_size);
    int32_t w = test_graph_tensor(g, "w", COSMA_TENSOR_PARAM, budget - s_size - rng_below(&rng, 2));
    int32_t s = test_graph_tensor(g, "s", COSMA_TENSOR_ACTIVATION, s_size);
    int32_t main_out[RELOAD_MAX_MAIN], param[RELOAD_MAX_MAIN];
    for (int k = 0; k < n_main; k++) {
        snprintf(name, sizeof name, "m%d", k);
        main_out[k] = test_graph_tensor(g, name, k + 1 == n_main ? COSMA_TENSOR_OUTPUT : COSMA_TENSOR_ACTIVATION, out[k]);
        uint64_t slack = rng_below(&rng, 4); /* what the parameter leaves */
        param[k] = -1;
        if (need[k] + slack < budget) {
            snprintf(name, sizeof name, "p%d", k);
            param[k] = test_graph_tensor(g, name, COSMA_TENSOR_PARAM, budget - slack - need[k]);
        }
    }
    cosma_loc_t loc = {0};
    int32_t index;
    for (int k = 0; k < n_main; k++) {
        int32_t in[4], outs[2];
        int n_in = 0, n_out = 0;
        in[n_in++] = k == 0 ? x : main_out[k - 1];
        if ((k == 0 && t_input) || k == mid || k == n_main - 1)
            in[n_in++] = t;
        if (k == reader)
            in[n_in++] = s;
        if (param[k] >= 0)
            in[n_in++] = param[k];
        outs[n_out++] = main_out[k];
        if (k == 0 && !t_input)
            outs[n_out++] = t;
        snprintf(name, sizeof name, "op%d", k);
        ck_assert_int_eq(cosma_graph_add_op(g, name, "T", in, n_in, outs, n_out, NULL, 0, loc, &index), COSMA_OK);
        if (k == after)
            ck_assert_int_eq(cosma_graph_add_op(g, "split", "T", &w, 1, &s, 1, NULL, 0, loc, &index), COSMA_OK);
    }
    test_diag_t diag;
    test_diag_init(&diag);
    ck_assert_msg(cosma_graph_finalize(g, &diag.diag) == COSMA_OK, "seed %u: %s", seed, diag.text);
    return g;
}

/* The cut bound and the split bound against the joint optimum on the
 * reload graphs, in both modes, at M_R, M_R + 1, M_R + 2 and between M_R
 * and M_P: never above it.  With the parameters, the budgets near M_R
 * leave split and the main operators no room, and a reload sum that ran
 * across an unordered pair of picks (the ordering check of
 * add_ordered_sum, which the reload counts share) put both bounds above
 * the optimum on 11 of these instances when the test was written, all
 * with the parameters (seeds 2, 19, 36, 147, 155, 161, 207, 326, 347,
 * 394 and 396; seed 36 at M_R = 10: 12 against the optimum 9).
 * Non-vacuous: the bound is positive and equal to the optimum on some. */
START_TEST(cut_bound_on_reload_graphs)
{
    int checked = 0, positive = 0, tight = 0, skipped = 0;
    for (uint32_t seed = 1; seed <= N_RELOAD_GRAPHS; seed++) {
        cosma_graph_t *g = reload_graph(seed);
        for (int with_params = 0; with_params <= 1; with_params++) {
            cosma_mode_t mode = {.with_params = with_params, .elem_bytes = 0};
            oracle_bounds_t brute;
            ck_assert_int_eq(oracle_bounds_compute(g, &mode, &brute), ORACLE_FOUND);
            uint64_t budgets[4] = {brute.m_r, brute.m_r + 1, brute.m_r + 2, (brute.m_r + brute.m_p) / 2};
            cosma_problem_t problem;
            test_diag_t diag;
            test_diag_init(&diag);
            ck_assert_int_eq(cosma_problem_init(&problem, g, &mode, &diag.diag), COSMA_OK);
            for (int i = 0; i < 4; i++) {
                uint64_t optimum;
                if (oracle_joint_optimum(g, &mode, budgets[i], ORACLE_STATES, &optimum) != ORACLE_FOUND) {
                    skipped++;
                    continue;
                }
                uint64_t bound = checked_cut_bounds(&problem, g, budgets[i], optimum, NULL, &diag.diag);
                checked++;
                positive += bound > 0;
                tight += bound > 0 && bound == optimum;
            }
            cosma_problem_free(&problem);
        }
        cosma_graph_destroy(g);
    }
    fprintf(stderr, "CUT-BOUND reload graphs: %d checked, %d positive, %d equal to the optimum, %d skipped (no plan or "
                    "too large)\n",
            checked, positive, tight, skipped);
    ck_assert_int_gt(tight, 0);
}
END_TEST

static Suite *oracle_suite(void)
{
    Suite *suite = suite_create("oracle");
    TCase *regressions = tcase_create("reproducers");
    tcase_add_loop_test(regressions, reproducer_matches_the_oracle, 0, N_REPRODUCERS);
    suite_add_tcase(suite, regressions);
    TCase *random = tcase_create("random graphs");
    tcase_set_timeout(random, 120);
    tcase_add_loop_test(random, random_graphs_match_the_oracle, 1, N_RANDOM_GRAPHS + 1);
    suite_add_tcase(suite, random);
    TCase *floating = tcase_create("floating operators");
    tcase_set_timeout(floating, 300);
    tcase_add_test(floating, cut_bound_on_floating_graphs);
    tcase_add_test(floating, cut_bound_on_reload_graphs);
    suite_add_tcase(suite, floating);
    return suite;
}

int main(void)
{
    SRunner *runner = srunner_create(oracle_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
