/* plan.c: cosma_planner_plan: picks the order(s), solves residency and
 * placement, assembles the plan with its proven bound, and verifies it. */
#include <stdlib.h>
#include <string.h>

#include <cosma/verify.h>
#include "planner_internal.h"
#include "order_blocks.h"
#include "order_screen.h"
#include "order_sources.h"
#include "order_subtrees.h"

/* Moves tried by the order searches: a fixed amount of work, so results do
 * not depend on the machine (the time limit is only a guard). */
enum { MAX_ORDER_MOVES = 3000 };

/* How far (positions) the order local search moves one operator. */
enum { LOCAL_SEARCH_REACH = 6 };

/* Block moves (planner/order_blocks.c) of the order local search: trial
 * orders built per round (most are screened out before any ILP), places
 * tried per block and direction, and rounds of one-operator then block
 * moves. */
enum { BLOCK_MOVES = 20000, BLOCK_TARGETS = 16, LOCAL_SEARCH_ROUNDS = 3 };
#define BLOCK_ITERATIONS INT64_C(40000)
/* Subtree moves (planner/order_subtrees.c): trial orders per round,
 * distances tried per operator and direction, simplex iterations. */
enum { SUBTREE_MOVES = 20000, SUBTREE_TARGETS = 16 };
#define SUBTREE_ITERATIONS INT64_C(4000)
/* Source moves (planner/order_sources.c), each scored by the exact
 * residency of its order: trial orders in all and targets per source.  On
 * the Transformer at M_Rp the 19th trial reaches the bound (0.1-0.2 s a
 * trial on the 2-core machine). */
enum { SOURCE_MOVES = 32, SOURCE_TARGETS = 2 };

/* The simplex iterations the order local search may spend on its scores:
 * its fixed amount of work (moves are counted too, MAX_ORDER_MOVES).  On
 * the bundled Transformer, AmoebaNet and NASNet 7-15 s of the idle 2-core
 * machine, inside the search's share of the default time limit when busy. */
#define LOCAL_SEARCH_ITERATIONS INT64_C(400000)

/* Branch-and-bound nodes per ILP solve: the fixed work of the residency
 * (every order's, the local search's relaxed ones included), joint and
 * covering models, so that a slower machine reaches the same plan (the
 * clock is only a guard).  The most any solve took on the bundled models
 * (8-bit, M_R to M_Pp): residency 2,667 (Transformer M_Hp, about 1 ms a
 * node here), joint 1,483 (ResNet-50 M_Hp, about 6 ms a node), covering 1. */
enum { RESIDENCY_NODES = 10000, JOINT_NODES = 4000, COVER_NODES = 2000 };

/* How the planner spends its time limit.  The strategies run in turn;
 * each *_SHARE is the fraction of the limit, counted from the start, by
 * which that strategy must end (JOINT_SHARE: of the time still left). */
#define BOUNDS_SHARE 0.25          /* the minimum-peak order (M_P) */
#define ORDER_SEARCH_SHARE 0.5     /* placement and exhaustive order searches */
#define WINDOW_BOUND_SHARE 0.4     /* the windows' bound (a guard: its work is fixed) */
#define LOCAL_SEARCH_SHARE 0.6     /* the order local search */
#define SOURCE_MOVES_SHARE 0.65    /* the source moves after it */
#define JOINT_SHARE 0.7            /* the time-indexed joint model */
#define JOINT_MIN_SECONDS 2.0      /* less time left: the joint model is skipped */
#define COVER_BOUND_SECONDS 5.0    /* the order-free covering bound */
#define RELAXED_SECONDS 2.0        /* each relaxed residency of the local search */
#define RESIDENCY_MIN_SECONDS 1.0  /* every residency solve gets at least this */
/* A phase that ends this close to (or after) its deadline was ended by the
 * clock, not by its fixed work: GLPK returns a little after its limit. */
#define CLOCK_SLACK_SECONDS 0.01

/* A sink that passes messages on as warnings: for optional steps whose
 * failure the planner absorbs (the run still succeeds). */
static void emit_as_warning(void *ctx, cosma_severity_t severity, const char *message)
{
    (void)severity;
    cosma_diag_report((cosma_diag_t *)ctx, COSMA_SEV_WARNING, "%s", message);
}

/* Reports every operator whose working set exceeds the budget. */
static int report_oversized(const cosma_problem_t *problem, uint64_t budget, cosma_diag_t *diag)
{
    int count = 0;
    for (int32_t o = 0; o < problem->n_ops; o++) {
        uint64_t need = cosma_problem_working_set(problem, o);
        if (need <= budget)
            continue;
        const cosma_op_t *op = &problem->graph->ops[o];
        if (count < 10)
            cosma_diag_report(diag, COSMA_SEV_ERROR,
                              "operator '%s' (%s) needs %llu bytes for its operands, more than the budget of %llu",
                              op->name, op->type, (unsigned long long)need, (unsigned long long)budget);
        count++;
    }
    if (count > 10)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "... and %d more operators that do not fit", count - 10);
    return count;
}

/* Why no plan came out.  Infeasible only with a proof: the budget is below
 * an operator's working set (reported before), every order needs more live
 * bytes than the budget, or the exhaustive search placed none; otherwise
 * the search gave up, which is not a proof. */
static cosma_status_t report_no_plan(const cosma_problem_t *problem, const cosma_plan_options_t *options,
                                     const cosma_bounds_t *bounds, int zero_traffic_impossible, cosma_diag_t *diag)
{
    unsigned long long budget = (unsigned long long)options->budget_bytes;
    if (report_oversized(problem, options->budget_bytes, NULL) > 0)
        return COSMA_ERR_INFEASIBLE; /* the operators were named already */
    if (options->schedule != COSMA_SCHEDULE_PEAK) {
        /* A budget that holds every working set always has a plan (evict
         * everything after every use): reaching here is a bug. */
        cosma_diag_report(diag, COSMA_SEV_ERROR, "internal error: no plan found within %llu bytes", budget);
        return COSMA_ERR_INTERNAL;
    }
    if (bounds->m_p_lower > options->budget_bytes) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          bounds->m_p_exact ? "no zero-traffic plan within %llu bytes: the minimum-peak order needs %llu bytes"
                                            : "no zero-traffic plan within %llu bytes: every order needs at least %llu bytes",
                          budget, (unsigned long long)bounds->m_p_lower);
        return COSMA_ERR_INFEASIBLE;
    }
    if (zero_traffic_impossible) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "no zero-traffic plan within %llu bytes: every order whose live bytes fit was tried and "
                          "none of them places",
                          budget);
        return COSMA_ERR_INFEASIBLE;
    }
    cosma_diag_report(diag, COSMA_SEV_ERROR,
                      "no zero-traffic plan found within %llu bytes (the minimum-peak order needs %llu bytes and "
                      "could not be placed); the search is incomplete, so none is proven not to exist",
                      budget, (unsigned long long)bounds->m_p_upper);
    return COSMA_ERR_SOLVER;
}

static cosma_status_t assemble_plan(const cosma_problem_t *problem, const cosma_plan_options_t *options,
                                    const int32_t *order, const cosma_residency_t *residency, uint64_t lower_bound,
                                    const char *method, double seconds, cosma_plan_t **out_plan)
{
    const cosma_graph_t *graph = problem->graph;
    cosma_plan_t *plan = cosma_plan_create(graph->n_ops, residency->n_intervals);
    if (plan == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(plan->order, order, (size_t)graph->n_ops * sizeof(int32_t));
    memcpy(plan->intervals, residency->intervals, (size_t)residency->n_intervals * sizeof(cosma_interval_t));
    cosma_plan_sort_intervals(plan);
    plan->graph_name = cosma_arena_strdup(&plan->arena, graph->name);
    plan->method = cosma_arena_strdup(&plan->arena, method);
    if (plan->graph_name == NULL || plan->method == NULL) {
        cosma_plan_destroy(plan);
        return COSMA_ERR_NOMEM;
    }
    plan->graph_hash = cosma_graph_hash(graph);
    plan->mode = options->mode;
    plan->budget_bytes = options->budget_bytes;
    cosma_status_t status = cosma_plan_traffic(graph, plan, &plan->traffic);
    if (status != COSMA_OK) {
        cosma_plan_destroy(plan);
        return status;
    }
    uint64_t traffic = plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
    if (lower_bound > traffic)
        lower_bound = traffic;
    plan->lower_bound_bytes = lower_bound;
    plan->status = lower_bound == traffic ? COSMA_PLAN_OPTIMAL : COSMA_PLAN_FEASIBLE;
    plan->solve_seconds = seconds;
    *out_plan = plan;
    return COSMA_OK;
}

/* The order search's score: the capacity-relaxed traffic (solver trouble
 * only ends the search early: warnings).  Once the search has spent its
 * simplex iterations every further move fails at once, so the search ends
 * after the same moves on any machine.  The screen (order_screen.h) spends
 * the iterations where they can pay: a trial that changes the order only
 * between hot steps, or whose excess bound is no better than the current
 * order's score, is not solved (it cannot be kept).  On the Transformer
 * with parameters at M_Hp that halves the relaxed solves of the search. */
typedef struct {
    const cosma_problem_t *problem;
    uint64_t budget;
    cosma_diag_t *optional;
    int64_t work_left; /* simplex iterations */
    cosma_order_screen_t screen;
    uint64_t current, last; /* the search's order's score; the last one scored */
    int screening;          /* trials screened (not the first order's score) */
} relaxed_score_t;

static cosma_status_t relaxed_score(void *ctx, const int32_t *order, uint64_t *out_score)
{
    relaxed_score_t *r = ctx;
    *out_score = UINT64_MAX;
    if (r->work_left <= 0)
        return COSMA_OK;
    if (r->screening) {
        if (!cosma_order_screen_worth(&r->screen, order)) {
            *out_score = r->last = r->current;
            return COSMA_OK;
        }
        uint64_t bound = cosma_order_screen_excess(&r->screen, order);
        if (bound >= r->current) {
            *out_score = r->last = bound;
            return COSMA_OK;
        }
    }
    int64_t work = 0;
    uint64_t cost;
    cosma_status_t status =
        cosma_residency_relaxed(r->problem, order, r->budget, RELAXED_SECONDS, RESIDENCY_NODES, &cost, &work,
                                r->optional);
    r->work_left -= work > 0 ? work : 1;
    if (status == COSMA_OK)
        *out_score = r->last = cost;
    return status == COSMA_ERR_NOMEM ? status : COSMA_OK;
}

static int relaxed_movable(void *ctx, int32_t op)
{
    return cosma_order_screen_movable(&((relaxed_score_t *)ctx)->screen, op);
}

static int relaxed_touches_hot(void *ctx, int32_t op)
{
    return cosma_order_screen_touches_hot(&((relaxed_score_t *)ctx)->screen, op);
}

static cosma_status_t relaxed_accepted(void *ctx, const int32_t *order)
{
    relaxed_score_t *r = ctx;
    r->current = r->last;
    cosma_order_screen_update(&r->screen, order);
    return COSMA_OK;
}

/* Local search over orders on the capacity-relaxed traffic, down to
 * `floor` (a lower bound); *out_moved 1 if the order changed. */
static cosma_status_t improve_order(const cosma_problem_t *problem, int32_t *order, uint64_t budget, uint64_t floor,
                                    double deadline, int *out_moved, cosma_diag_t *diag)
{
    cosma_diag_t optional = {emit_as_warning, diag, 0};
    relaxed_score_t score = {problem, budget, &optional, LOCAL_SEARCH_ITERATIONS, {0}, 0, 0, 0};
    uint64_t cost;
    *out_moved = 0;
    cosma_status_t status = relaxed_score(&score, order, &cost);
    if (status != COSMA_OK || cost == UINT64_MAX)
        return status;
    if ((status = cosma_order_screen_init(&score.screen, problem, order, budget, LOCAL_SEARCH_REACH)) != COSMA_OK)
        return status;
    score.current = cost;
    score.screening = 1;
    cosma_order_search_t search = {.reach = LOCAL_SEARCH_REACH,
                                   .max_moves = MAX_ORDER_MOVES,
                                   .deadline = deadline,
                                   .target = floor,
                                   .score = relaxed_score,
                                   .movable = relaxed_movable,
                                   .accepted = relaxed_accepted,
                                   .ctx = &score};
    /* One-operator moves, then block and subtree moves, again while those help. */
    for (int32_t round = 0; status == COSMA_OK && round < LOCAL_SEARCH_ROUNDS; round++) {
        int moved = 0, blocks_moved = 0;
        status = cosma_order_local_search(problem, order, &search, &cost, &moved);
        *out_moved |= moved;
        if (status != COSMA_OK)
            break;
        cosma_order_search_t blocks = search;
        blocks.max_moves = BLOCK_MOVES;
        blocks.movable = relaxed_touches_hot;
        int64_t held = score.work_left > BLOCK_ITERATIONS ? score.work_left - BLOCK_ITERATIONS : 0;
        score.work_left -= held;
        status = cosma_order_block_search(problem, order, &blocks, BLOCK_TARGETS, &cost, &blocks_moved);
        score.work_left += held;
        *out_moved |= blocks_moved;
        if (status != COSMA_OK)
            break;
        int subtrees_moved = 0;
        cosma_order_search_t subtrees = search;
        subtrees.max_moves = SUBTREE_MOVES;
        held = score.work_left > SUBTREE_ITERATIONS ? score.work_left - SUBTREE_ITERATIONS : 0;
        score.work_left -= held;
        status = cosma_order_subtree_search(problem, order, budget, &subtrees, SUBTREE_TARGETS, &cost, &subtrees_moved);
        score.work_left += held;
        *out_moved |= subtrees_moved;
        if (!blocks_moved && !subtrees_moved)
            break;
    }
    cosma_order_screen_free(&score.screen);
    return status;
}

/* The best plan found so far while trying orders. */
typedef struct {
    cosma_residency_t residency;
    int32_t *order;
    const char *method;
    int have;
} incumbent_t;

/* Solves residency and placement for an order and keeps the result when
 * it beats the incumbent.  Returns 1 if it was kept. */
static int try_order(const cosma_problem_t *problem, const int32_t *order, uint64_t budget, int no_spills,
                     int heuristic, double time_left, const char *method, incumbent_t *incumbent, cosma_diag_t *diag)
{
    cosma_residency_options_t options = {.budget = budget,
                                         .time_limit = time_left > RESIDENCY_MIN_SECONDS ? time_left
                                                                                         : RESIDENCY_MIN_SECONDS,
                                         .node_limit = RESIDENCY_NODES,
                                         .no_spills = no_spills,
                                         .heuristic = heuristic,
                                         .cutoff = incumbent->have ? incumbent->residency.traffic : 0};
    cosma_residency_t result;
    if (cosma_residency_solve(problem, order, &options, &result, diag) == COSMA_OK &&
        (!incumbent->have || result.traffic < incumbent->residency.traffic)) {
        cosma_residency_free(&incumbent->residency);
        incumbent->residency = result;
        memcpy(incumbent->order, order, (size_t)problem->n_ops * sizeof(int32_t));
        incumbent->method = method;
        incumbent->have = 1;
        return 1;
    }
    cosma_residency_free(&result);
    return 0;
}

/* Arena alignments the baselines are run at when they serve as
 * incumbents: the paper's 64 bytes, and none. */
static const uint64_t baseline_alignments[] = {64, 1};

/* Makes a finished plan (a baseline's, a caller's seed) the incumbent when
 * it has less traffic.  The incumbent's order-specific bound is kept only
 * when the plan runs in the same order (an order's bound at this budget);
 * otherwise nothing is known about the new order.  A copy that cannot be
 * made leaves the incumbent as it was. */
static void adopt_plan(const cosma_problem_t *problem, const cosma_plan_t *plan, const char *method,
                       incumbent_t *incumbent)
{
    int32_t n = problem->n_ops;
    uint64_t traffic = plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
    if (incumbent->have && traffic >= incumbent->residency.traffic)
        return;
    cosma_interval_t *copy = malloc(((size_t)plan->n_intervals + 1) * sizeof(cosma_interval_t));
    if (copy == NULL)
        return;
    memcpy(copy, plan->intervals, (size_t)plan->n_intervals * sizeof(cosma_interval_t));
    int same_order = incumbent->have && memcmp(plan->order, incumbent->order, (size_t)n * sizeof(int32_t)) == 0;
    uint64_t bound = same_order ? incumbent->residency.lower_bound : 0;
    cosma_residency_free(&incumbent->residency);
    incumbent->residency = (cosma_residency_t){
        .traffic = traffic, .lower_bound = bound, .placed = 1, .intervals = copy, .n_intervals = plan->n_intervals};
    memcpy(incumbent->order, plan->order, (size_t)n * sizeof(int32_t));
    incumbent->method = method;
    incumbent->have = 1;
}

/* The method a baseline incumbent is reported with. */
static const char *baseline_method(int greedy, int fixed, int peak)
{
    static const char *const names[2][3] = {
        {"ilp-joint:baseline-incumbent(default order)", "ilp-joint:baseline-incumbent(min-peak order)",
         "ilp-fixed:baseline-incumbent"},
        {"greedy:baseline-incumbent(default order)", "greedy:baseline-incumbent(min-peak order)",
         "greedy-fixed:baseline-incumbent"}};
    return names[greedy != 0][fixed ? 2 : peak != 0];
}

/* Every baseline plan is a valid plan for the same budget: adopts the best
 * one when it beats the incumbent, so the result is never worse than any
 * baseline.  Joint schedule: the baselines in the default and the
 * minimum-peak order; fixed: both policies in the fixed order.  Baselines
 * that cannot run (alignment, a step that does not place) are skipped
 * silently. */
static cosma_status_t adopt_baselines(const cosma_problem_t *problem, const cosma_plan_options_t *options,
                                      const int32_t *fixed_order, const int32_t *peak_order, incumbent_t *incumbent)
{
    int32_t n = problem->n_ops;
    int32_t *identity = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (identity == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t o = 0; o < n; o++)
        identity[o] = o;
    for (int32_t b = 0; cosma_baseline_names[b] != NULL; b++) {
        const char *name = cosma_baseline_names[b];
        int peak = strncmp(name, "peak-", 5) == 0;
        const int32_t *order = fixed_order != NULL ? (peak ? NULL : fixed_order) : peak ? peak_order : identity;
        for (size_t a = 0; order != NULL && a < sizeof baseline_alignments / sizeof baseline_alignments[0]; a++) {
            cosma_plan_t *plan = NULL;
            if (cosma_baseline_plan_in_order(problem->graph, &options->mode, options->budget_bytes, name,
                                             baseline_alignments[a], order, &plan, NULL) != COSMA_OK)
                continue;
            adopt_plan(problem, plan, baseline_method(options->method == COSMA_METHOD_GREEDY, fixed_order != NULL, peak),
                       incumbent);
            cosma_plan_destroy(plan);
        }
    }
    free(identity);
    return COSMA_OK;
}

/* ---- the planner: strategies over one context ------------------------- */

/* What the strategies share: the problem, one clock, the incumbent and the
 * ledger of lower bounds.  Each strategy reads and improves it; only
 * ledger_bound turns the ledger into the plan's bound. */
typedef struct {
    const cosma_plan_options_t *options;
    cosma_problem_t problem;
    cosma_diag_t *diag;
    double started, limit;   /* seconds: clock at the start, time limit */
    incumbent_t incumbent;
    cosma_bounds_t bounds;   /* M_R / M_P and the minimum-peak order (not for a fixed schedule) */
    int32_t *given_order;    /* the fixed schedule's order, else the default order */
    int32_t *work_order;     /* scratch for the order searches */
    double phase_deadline;   /* clock reading by which the running phase must end; 0: none */
    cosma_stop_t stopped;    /* whether the clock ended a phase early */
    uint64_t offered_traffic; /* of the last plan handed to options->on_plan */
    int offered;
    int32_t strategy;        /* index of the running strategy (progress reports) */
    struct {
        uint64_t cover;          /* order-free covering bound (joint schedule) */
        uint64_t windows;        /* order-free sum of the windows' joint models (windows.c) */
        uint64_t gaps;           /* order-free key-point gap bound (bound_gaps.c) */
        uint64_t joint;          /* time-indexed joint model's bound (every order) */
        uint64_t order_relaxation; /* the best solved order's own bound, before the baselines */
        int zero_traffic_impossible; /* proven: no order places without spills */
    } ledger;
} plan_ctx_t;

typedef cosma_status_t (*strategy_fn_t)(plan_ctx_t *ctx);

static uint64_t ledger_bound(const plan_ctx_t *ctx);
static void report_progress(const plan_ctx_t *ctx, int32_t index);

/* Never 0 or less: a solver takes a limit of 0 as none. */
#define MIN_SECONDS_LEFT 1e-3

static double time_left(const plan_ctx_t *ctx)
{
    double left = ctx->limit - (cosma_clock_seconds() - ctx->started);
    return left > MIN_SECONDS_LEFT ? left : MIN_SECONDS_LEFT;
}

/* The clock reading by which a strategy holding `share` must end; noted
 * as the running phase's deadline, to tell afterwards whether it bound. */
static double deadline_at(plan_ctx_t *ctx, double share)
{
    ctx->phase_deadline = ctx->started + ctx->limit * share;
    return ctx->phase_deadline;
}

/* Gives the running phase `seconds` from now, noted like deadline_at. */
static double phase_seconds(plan_ctx_t *ctx, double seconds)
{
    ctx->phase_deadline = cosma_clock_seconds() + seconds;
    return seconds;
}

/* A bound's guard, within what is left of the time limit (a library
 * caller's limit holds without the CLI's watchdog). */
static double bound_seconds(plan_ctx_t *ctx, double guard)
{
    double left = time_left(ctx);
    return phase_seconds(ctx, guard < left ? guard : left);
}

static double phase_time_left(plan_ctx_t *ctx)
{
    return phase_seconds(ctx, time_left(ctx));
}

/* Ends the running phase: one that ended at its deadline rather than by
 * its fixed work makes the plan depend on the machine's speed. */
static void phase_end(plan_ctx_t *ctx)
{
    if (ctx->phase_deadline > 0.0 && cosma_clock_seconds() >= ctx->phase_deadline - CLOCK_SLACK_SECONDS)
        ctx->stopped = COSMA_STOP_TIME_LIMIT;
    ctx->phase_deadline = 0.0;
}

static int is_schedule(const plan_ctx_t *ctx, cosma_schedule_t schedule)
{
    return ctx->options->schedule == schedule;
}

/* Whether a spill-free plan is still wanted: no plan yet, or one with
 * traffic (a minimum-peak schedule without a plan counts as wanting one). */
static int wants_zero_traffic(const plan_ctx_t *ctx)
{
    const incumbent_t *inc = &ctx->incumbent;
    return inc->have ? inc->residency.traffic > 0 : is_schedule(ctx, COSMA_SCHEDULE_PEAK);
}

/* --method greedy: no ILP anywhere. */
static int is_greedy(const plan_ctx_t *ctx)
{
    return ctx->options->method == COSMA_METHOD_GREEDY;
}

static int has_traffic(const plan_ctx_t *ctx)
{
    return ctx->incumbent.have && ctx->incumbent.residency.traffic > 0;
}

/* Keeps an order found by a search when its residency beats the incumbent. */
static void adopt_order(plan_ctx_t *ctx, const int32_t *order, const char *joint_method, const char *peak_method)
{
    int peak = is_schedule(ctx, COSMA_SCHEDULE_PEAK);
    try_order(&ctx->problem, order, ctx->options->budget_bytes, peak, is_greedy(ctx), phase_time_left(ctx),
              peak ? peak_method : joint_method, &ctx->incumbent, ctx->diag);
}

/* The candidate orders, in the order they are solved: the minimum-peak
 * order, the default (or fixed) order, then each of the two with its
 * operators moved where that relieves the steps above the budget
 * (candidates.c). */
typedef enum {
    CANDIDATE_MIN_PEAK,
    CANDIDATE_GIVEN,
    CANDIDATE_RELIEVED_MIN_PEAK,
    CANDIDATE_RELIEVED_GIVEN,
    N_CANDIDATE_KINDS
} candidate_kind_t;

/* The method of a candidate order, solved by the ILP or greedily. */
static const char *candidate_method(const plan_ctx_t *ctx, candidate_kind_t kind, int greedy)
{
    static const char *const names[2][N_CANDIDATE_KINDS] = {
        {"ilp-joint:min-peak-order", "ilp-joint:default-order", "ilp-joint:relieved-min-peak-order",
         "ilp-joint:relieved-default-order"},
        {"greedy:min-peak-order", "greedy:default-order", "greedy:relieved-min-peak-order",
         "greedy:relieved-default-order"}};
    if (is_schedule(ctx, COSMA_SCHEDULE_PEAK))
        return "min-peak";
    if (is_schedule(ctx, COSMA_SCHEDULE_FIXED))
        return greedy ? "greedy-fixed" : "ilp-fixed";
    return names[greedy != 0][kind];
}

/* Graphs of more operators get a greedy plan first under --method auto:
 * the first residency ILP of a long order can take minutes (a generated
 * 5,000-operator DAG: over 300 s), the greedy residency seconds, and a
 * time limit then ends with it rather than with the flush plan.  The
 * bundled models have at most 879 operators. */
enum { GREEDY_FIRST_OPS = 1000 };

static cosma_status_t offer_plan(plan_ctx_t *ctx);

/* The greedy plan of the first candidate order, made the incumbent and
 * offered at once; the ILP's plans replace it only when they are better. */
static cosma_status_t greedy_first(plan_ctx_t *ctx, const int32_t *order)
{
    if (ctx->options->method != COSMA_METHOD_AUTO || ctx->problem.n_ops <= GREEDY_FIRST_OPS ||
        is_schedule(ctx, COSMA_SCHEDULE_PEAK))
        return COSMA_OK;
    try_order(&ctx->problem, order, ctx->options->budget_bytes, 0, 1, phase_time_left(ctx),
              candidate_method(ctx, CANDIDATE_MIN_PEAK, 1), &ctx->incumbent, ctx->diag);
    return offer_plan(ctx);
}

/* The candidate orders of this schedule, each once: the minimum-peak
 * order (not for a fixed schedule) and the given one (not for a
 * minimum-peak schedule); for a joint schedule also their relieved orders
 * (candidates.c), made only when they are solved (candidate_order). */
static int32_t list_candidates(const plan_ctx_t *ctx, candidate_kind_t *out_kinds)
{
    int32_t n = 0;
    if (!is_schedule(ctx, COSMA_SCHEDULE_FIXED))
        out_kinds[n++] = CANDIDATE_MIN_PEAK;
    if (!is_schedule(ctx, COSMA_SCHEDULE_PEAK) &&
        (n == 0 || memcmp(ctx->given_order, ctx->bounds.order, (size_t)ctx->problem.n_ops * sizeof(int32_t))))
        out_kinds[n++] = CANDIDATE_GIVEN; /* unless it is the same order */
    if (is_schedule(ctx, COSMA_SCHEDULE_JOINT)) {
        out_kinds[n++] = CANDIDATE_RELIEVED_MIN_PEAK;
        out_kinds[n++] = CANDIDATE_RELIEVED_GIVEN;
    }
    return n;
}

/* The order of a candidate kind; relieved orders are built into `relieved` (n_ops
 * entries for each kind).  *out_order NULL: the order repeats one of the
 * n_seen solved before (a relieved order that nothing moved, the default order
 * when it is the minimum-peak one). */
static cosma_status_t candidate_order(const plan_ctx_t *ctx, candidate_kind_t kind, int32_t *relieved,
                                      const int32_t *const *seen, int32_t n_seen, const int32_t **out_order)
{
    int32_t n = ctx->problem.n_ops;
    const int32_t *order = kind == CANDIDATE_MIN_PEAK || kind == CANDIDATE_RELIEVED_MIN_PEAK ? ctx->bounds.order
                                                                                         : ctx->given_order;
    *out_order = NULL;
    if (kind == CANDIDATE_RELIEVED_MIN_PEAK || kind == CANDIDATE_RELIEVED_GIVEN) {
        int32_t *out = relieved + (size_t)(kind - CANDIDATE_RELIEVED_MIN_PEAK) * (size_t)n;
        int changed;
        cosma_status_t status =
            cosma_candidate_relieved_order(&ctx->problem, order, ctx->options->budget_bytes, out, &changed);
        if (status != COSMA_OK || !changed)
            return status;
        order = out;
    }
    for (int32_t k = 0; k < n_seen; k++)
        if (memcmp(seen[k], order, (size_t)n * sizeof(int32_t)) == 0)
            return COSMA_OK;
    *out_order = order;
    return COSMA_OK;
}

/* Solves residency for one candidate order with `share` of the time left
 * and makes it the incumbent when it is cheaper. */
static cosma_status_t solve_candidate(plan_ctx_t *ctx, const int32_t *order, candidate_kind_t kind, int32_t share,
                                      int first)
{
    const cosma_plan_options_t *options = ctx->options;
    incumbent_t *inc = &ctx->incumbent;
    cosma_residency_options_t residency_options = {.budget = options->budget_bytes,
                                                   .time_limit = phase_seconds(ctx, time_left(ctx) / share),
                                                   .node_limit = RESIDENCY_NODES,
                                                   .heuristic = is_greedy(ctx),
                                                   .cutoff = inc->have ? inc->residency.traffic : 0,
                                                   .no_spills = is_schedule(ctx, COSMA_SCHEDULE_PEAK),
                                                   .export_model = first ? options->export_model : NULL};
    cosma_residency_t result;
    cosma_status_t attempt = cosma_residency_solve(&ctx->problem, order, &residency_options, &result, ctx->diag);
    phase_end(ctx);
    if (attempt != COSMA_OK || (inc->have && result.traffic >= inc->residency.traffic)) {
        /* Two bounds of one order (the greedy plan's, then the ILP's):
         * the larger holds. */
        if (attempt == COSMA_OK && result.lower_bound > inc->residency.lower_bound &&
            memcmp(inc->order, order, (size_t)ctx->problem.n_ops * sizeof(int32_t)) == 0)
            inc->residency.lower_bound = result.lower_bound;
        cosma_residency_free(&result);
        return attempt == COSMA_ERR_INFEASIBLE ? COSMA_OK : attempt;
    }
    cosma_residency_free(&inc->residency);
    inc->residency = result;
    memcpy(inc->order, order, (size_t)ctx->problem.n_ops * sizeof(int32_t));
    inc->have = 1;
    inc->method = candidate_method(ctx, kind, is_greedy(ctx));
    return COSMA_OK;
}

/* Strategy: residency for the candidate orders, best first (the
 * minimum-peak order: zero traffic when it fits; then the default or the
 * given order; then the relieved orders), until one has no traffic, sharing
 * the time left evenly. */
static cosma_status_t strategy_candidate_orders(plan_ctx_t *ctx)
{
    candidate_kind_t kinds[N_CANDIDATE_KINDS];
    const int32_t *seen[N_CANDIDATE_KINDS];
    int32_t n_kinds = list_candidates(ctx, kinds), n_seen = 0, n_base = 0;
    while (n_base < n_kinds && kinds[n_base] <= CANDIDATE_GIVEN)
        n_base++;
    const incumbent_t *inc = &ctx->incumbent;
    int32_t *relieved = malloc(((size_t)ctx->problem.n_ops + 1) * 2 * sizeof(int32_t));
    if (relieved == NULL)
        return COSMA_ERR_NOMEM;
    cosma_status_t status = greedy_first(ctx, kinds[0] == CANDIDATE_MIN_PEAK ? ctx->bounds.order : ctx->given_order);
    for (int32_t c = 0; c < n_kinds && status == COSMA_OK && !(inc->have && inc->residency.traffic == 0); c++) {
        const int32_t *order;
        status = candidate_order(ctx, kinds[c], relieved, seen, n_seen, &order);
        if (status != COSMA_OK || order == NULL)
            continue;
        seen[n_seen++] = order;
        /* The minimum-peak and the given order share the time as before
         * the relieved orders came; these share what the others left. */
        status = solve_candidate(ctx, order, kinds[c], c < n_base ? n_base - c : n_kinds - c, c == 0);
    }
    free(relieved);
    return status;
}

/* Strategy: the live bytes fit but the tensors did not place; look for a
 * nearby order whose zero-spill tensors do. */
static cosma_status_t strategy_placement_search(plan_ctx_t *ctx)
{
    uint64_t budget = ctx->options->budget_bytes;
    if (!wants_zero_traffic(ctx) || is_schedule(ctx, COSMA_SCHEDULE_FIXED) || ctx->bounds.m_p_upper > budget)
        return COSMA_OK;
    memcpy(ctx->work_order, ctx->bounds.order, (size_t)ctx->problem.n_ops * sizeof(int32_t));
    int found;
    cosma_status_t status = cosma_order_search_placeable(&ctx->problem, ctx->work_order, budget,
                                                         deadline_at(ctx, ORDER_SEARCH_SHARE), &found);
    if (status == COSMA_OK && found)
        adopt_order(ctx, ctx->work_order, is_greedy(ctx) ? "greedy:placement-search" : "ilp-joint:placement-search",
                    "min-peak:placement-search");
    return status;
}

/* Strategy: still no zero-traffic plan although the live bytes may fit: on
 * small graphs, search every order (a proof when none places). */
static cosma_status_t strategy_exhaustive_search(plan_ctx_t *ctx)
{
    ctx->ledger.zero_traffic_impossible = ctx->bounds.m_p_lower > ctx->options->budget_bytes;
    if (!wants_zero_traffic(ctx) || is_schedule(ctx, COSMA_SCHEDULE_FIXED) || ctx->ledger.zero_traffic_impossible ||
        is_greedy(ctx)) /* its exact placement is an ILP */
        return COSMA_OK;
    int found = cosma_order_search_zero_traffic(&ctx->problem, ctx->options->budget_bytes,
                                                deadline_at(ctx, ORDER_SEARCH_SHARE), ctx->work_order);
    if (found == 1)
        adopt_order(ctx, ctx->work_order, "ilp-joint:exhaustive-search", "min-peak:exhaustive-search");
    ctx->ledger.zero_traffic_impossible = found == 0;
    return COSMA_OK;
}

/* The cut bound's guard (bound_cut.c: its work is one linear program of
 * bounded size, 1.5 to 5 s of CPU on the Transformer).  Wide enough that a
 * machine several times slower, or as busy (load 7 on 2 cores: 12 s),
 * gets the same bound: at 10 s the guard ended it there, and the plan's
 * bound and "search" changed with the load. */
#define CUT_BOUND_SECONDS 30.0
/* The cut bound split's guard (bound_cut.c: its work is a few linear and
 * integer programs of bounded size and node limits, up to 15 s of CPU on
 * the Transformer at M_R): wide enough that a machine twice as slow or as
 * busy gets the same bound. */
#define SPLIT_BOUND_SECONDS 60.0
/* The key-point gap bound's guard (bound_gaps.c: its work is a node limit). */
#define GAP_BOUND_SECONDS 10.0

/* The order-free bounds, cheapest first, each only while the plan is not
 * proven: the covering ILP, the cut bound, the key-point gap bound, then
 * the joint models of windows of the incumbent's order (fixed work: their
 * node limit; skipped where a window has a solution of cost 0). */
static cosma_status_t order_free_bounds(plan_ctx_t *ctx)
{
    uint64_t budget = ctx->options->budget_bytes;
    cosma_diag_t optional = {emit_as_warning, ctx->diag, 0};
    cosma_diag_t *sink = ctx->diag != NULL ? &optional : NULL;
    ctx->ledger.cover = cosma_problem_traffic_lower_bound(&ctx->problem, budget, bound_seconds(ctx, COVER_BOUND_SECONDS),
                                                          COVER_NODES, sink);
    phase_end(ctx);
    if (ledger_bound(ctx) < ctx->incumbent.residency.traffic) {
        /* The cut bound (bound_cut.c) is the covering ILP's order-free
         * kind with each operator's position free: the ledger keeps the
         * larger of the two as its covering bound. */
        cosma_cut_bound_options_t cut = {.budget = budget,
                                         .time_limit = bound_seconds(ctx, CUT_BOUND_SECONDS),
                                         .target = ctx->incumbent.residency.traffic};
        uint64_t bound = cosma_cut_bound(&ctx->problem, &cut, sink);
        phase_end(ctx);
        if (bound > ctx->ledger.cover)
            ctx->ledger.cover = bound;
    }
    if (ledger_bound(ctx) < ctx->incumbent.residency.traffic) {
        cosma_gap_bound_options_t gaps;
        cosma_gap_bound_options_init(&gaps);
        gaps.budget = budget;
        gaps.time_limit = bound_seconds(ctx, GAP_BOUND_SECONDS);
        cosma_status_t status = cosma_gap_bound(&ctx->problem, &gaps, &ctx->ledger.gaps, NULL, sink);
        phase_end(ctx);
        if (status != COSMA_OK)
            return status;
    }
    if (ledger_bound(ctx) < ctx->incumbent.residency.traffic && ctx->ledger.cover > 0) {
        /* The cut bound split by whether a plan keeps its large tensors
         * resident (bound_cut.c): where the cut bound found something and
         * left a gap (the Transformer's floating weight slices). */
        cosma_cut_bound_options_t cut = {.budget = budget,
                                         .time_limit = bound_seconds(ctx, SPLIT_BOUND_SECONDS),
                                         .target = ctx->incumbent.residency.traffic};
        uint64_t bound = cosma_cut_bound_split(&ctx->problem, &cut, ctx->ledger.cover, sink);
        phase_end(ctx);
        if (bound > ctx->ledger.cover)
            ctx->ledger.cover = bound;
    }
    if (ledger_bound(ctx) >= ctx->incumbent.residency.traffic)
        return COSMA_OK;
    cosma_window_bound_options_t options;
    cosma_window_bound_options_init(&options);
    options.budget = budget;
    options.deadline = deadline_at(ctx, WINDOW_BOUND_SHARE);
    cosma_status_t status =
        cosma_window_bound(&ctx->problem, ctx->incumbent.order, &options, &ctx->ledger.windows, NULL, sink);
    phase_end(ctx);
    return status;
}

/* The exact score of a source move's trial order: its residency, kept as
 * the incumbent when cheaper (then the score is its traffic), within the
 * running phase's deadline. */
static cosma_status_t exact_score(void *arg, const int32_t *order, uint64_t *out_score)
{
    plan_ctx_t *ctx = arg;
    *out_score = UINT64_MAX;
    double left = ctx->phase_deadline - cosma_clock_seconds();
    if (try_order(&ctx->problem, order, ctx->options->budget_bytes, 0, 0, left,
                  "ilp-joint:source-moves", &ctx->incumbent, ctx->diag))
        *out_score = ctx->incumbent.residency.traffic;
    return COSMA_OK;
}

/* Source moves from the incumbent's order (order_sources.c) while the plan
 * is not proven: the few bytes of fragmentation they save are seen only
 * by the exact residency, so each trial is solved in full (the capacity-
 * relaxed score of the local search cannot rank them).  Not on graphs
 * whose exact residency can take minutes (GREEDY_FIRST_OPS). */
static cosma_status_t improve_sources(plan_ctx_t *ctx)
{
    uint64_t floor = ledger_bound(ctx), traffic = ctx->incumbent.residency.traffic;
    if (floor >= traffic || ctx->problem.n_ops > GREEDY_FIRST_OPS)
        return COSMA_OK;
    memcpy(ctx->work_order, ctx->incumbent.order, (size_t)ctx->problem.n_ops * sizeof(int32_t));
    cosma_order_search_t search = {.max_moves = SOURCE_MOVES,
                                   .deadline = deadline_at(ctx, SOURCE_MOVES_SHARE),
                                   .target = floor,
                                   .score = exact_score,
                                   .ctx = ctx};
    int moved = 0;
    cosma_status_t status =
        cosma_order_source_search(&ctx->problem, ctx->work_order, &search, SOURCE_TARGETS, &traffic, &moved);
    phase_end(ctx);
    return status;
}

/* Strategy (joint schedule): the order-free bounds, then a local search
 * over orders near the best one and the source moves while the plan is
 * not proven (the bounds are their target). */
static cosma_status_t strategy_local_search(plan_ctx_t *ctx)
{
    if (!is_schedule(ctx, COSMA_SCHEDULE_JOINT) || !has_traffic(ctx) || is_greedy(ctx))
        return COSMA_OK;
    cosma_status_t status = order_free_bounds(ctx);
    if (status != COSMA_OK)
        return status;
    report_progress(ctx, ctx->strategy); /* the bounds may take seconds: show what they proved */
    uint64_t budget = ctx->options->budget_bytes, floor = ledger_bound(ctx);
    memcpy(ctx->work_order, ctx->incumbent.order, (size_t)ctx->problem.n_ops * sizeof(int32_t));
    int moved = 0;
    if (floor < ctx->incumbent.residency.traffic)
        status = improve_order(&ctx->problem, ctx->work_order, budget, floor, deadline_at(ctx, LOCAL_SEARCH_SHARE),
                               &moved, ctx->diag);
    phase_end(ctx);
    if (status != COSMA_OK)
        return status;
    if (moved)
        try_order(&ctx->problem, ctx->work_order, budget, 0, 0, phase_time_left(ctx), "ilp-joint:local-search",
                  &ctx->incumbent, ctx->diag);
    phase_end(ctx);
    return improve_sources(ctx);
}

/* Whether a caller's seed plan is a valid plan here: this graph and mode,
 * within this budget, in the fixed order for a fixed schedule, and without
 * traffic for a minimum-peak one.  The final plan is verified anyway. */
static int seed_fits(const plan_ctx_t *ctx, const cosma_plan_t *seed)
{
    const cosma_plan_options_t *options = ctx->options;
    int32_t n = ctx->problem.n_ops;
    if (seed == NULL || seed->n_steps != n || seed->graph_hash != cosma_graph_hash(ctx->problem.graph) ||
        seed->mode.with_params != options->mode.with_params || seed->mode.elem_bytes != options->mode.elem_bytes ||
        seed->traffic.peak_bytes > options->budget_bytes)
        return 0;
    if (is_schedule(ctx, COSMA_SCHEDULE_FIXED) && memcmp(seed->order, ctx->given_order, (size_t)n * sizeof(int32_t)))
        return 0;
    return !is_schedule(ctx, COSMA_SCHEDULE_PEAK) || seed->traffic.spill_bytes + seed->traffic.retrieve_bytes == 0;
}

/* Strategy: the caller's seed plans (for example a sweep's plans at smaller
 * budgets) are incumbents when they fit, so more memory never gives a
 * worse plan. */
static cosma_status_t strategy_seeds(plan_ctx_t *ctx)
{
    for (int32_t k = 0; k < ctx->options->n_seeds; k++)
        if (seed_fits(ctx, ctx->options->seeds[k]))
            adopt_plan(&ctx->problem, ctx->options->seeds[k], "seed-plan", &ctx->incumbent);
    return COSMA_OK;
}

/* Strategy: never worse than a baseline: their plans are incumbents too
 * (before the joint model, which starts from the best plan).  The bound of
 * the best order solved so far is noted first: it decides whether the
 * joint model can prove more. */
static cosma_status_t strategy_baselines(plan_ctx_t *ctx)
{
    ctx->ledger.order_relaxation = ctx->incumbent.have ? ctx->incumbent.residency.lower_bound : 0;
    if (is_schedule(ctx, COSMA_SCHEDULE_PEAK) || (ctx->incumbent.have && ctx->incumbent.residency.traffic == 0))
        return COSMA_OK;
    const int32_t *fixed_order = is_schedule(ctx, COSMA_SCHEDULE_FIXED) ? ctx->given_order : NULL;
    return adopt_baselines(&ctx->problem, ctx->options, fixed_order, ctx->bounds.order, &ctx->incumbent);
}

/* The largest of the order-free ILP bounds: each holds for every plan on
 * its own (they may count the same bytes, so they are not added). */
static uint64_t order_free_bound(const plan_ctx_t *ctx)
{
    uint64_t bound = ctx->ledger.windows > ctx->ledger.cover ? ctx->ledger.windows : ctx->ledger.cover;
    return ctx->ledger.gaps > bound ? ctx->ledger.gaps : bound;
}

/* Strategy (joint schedule): the time-indexed model proves a bound for
 * every order and may find a better one; it starts from the best plan.
 * Its relaxation is no stronger than the best order's own: when the
 * order-free bound already reaches that, it can prove nothing more. */
static cosma_status_t strategy_joint_model(plan_ctx_t *ctx)
{
    incumbent_t *inc = &ctx->incumbent;
    double left = time_left(ctx);
    if (!is_schedule(ctx, COSMA_SCHEDULE_JOINT) || !has_traffic(ctx) || is_greedy(ctx) ||
        order_free_bound(ctx) >= ctx->ledger.order_relaxation || left <= JOINT_MIN_SECONDS ||
        ledger_bound(ctx) >= inc->residency.traffic) /* proven already */
        return COSMA_OK;
    cosma_diag_t optional = {emit_as_warning, ctx->diag, 0};
    cosma_joint_options_t joint_options;
    cosma_joint_options_init(&joint_options);
    joint_options.budget = ctx->options->budget_bytes;
    joint_options.time_limit = left * JOINT_SHARE;
    joint_options.node_limit = JOINT_NODES;
    phase_seconds(ctx, joint_options.time_limit);
    joint_options.start_order = inc->order;
    joint_options.start_intervals = inc->residency.intervals;
    joint_options.n_start_intervals = inc->residency.n_intervals;
    cosma_status_t joint = cosma_joint_solve(&ctx->problem, &joint_options, ctx->work_order, &ctx->ledger.joint,
                                             ctx->diag != NULL ? &optional : NULL);
    phase_end(ctx);
    if (joint == COSMA_OK && memcmp(ctx->work_order, inc->order, (size_t)ctx->problem.n_ops * sizeof(int32_t)) != 0)
        try_order(&ctx->problem, ctx->work_order, ctx->options->budget_bytes, 0, 0, phase_time_left(ctx),
                  "ilp-joint:time-indexed", inc, ctx->diag);
    else if (joint == COSMA_ERR_NOMEM)
        return joint;
    else if (joint == COSMA_ERR_SOLVER) {
        /* The joint model only strengthens the bound: the plan in hand
         * stands without it. */
        cosma_diag_report(ctx->diag, COSMA_SEV_WARNING, "the joint model was dropped after the solver failure "
                                                        "above; the plan stands, with the other bounds");
        ctx->ledger.joint = 0;
    }
    return COSMA_OK;
}

/* The ledger's one audited rule: the bound must hold for the problem as
 * asked.  For a fixed order the residency ILP's bound; for a minimum-peak
 * schedule none; for the joint problem only order-independent facts (the
 * ILP bound only when the graph has a single order). */
static uint64_t ledger_bound(const plan_ctx_t *ctx)
{
    const cosma_residency_t *best = &ctx->incumbent.residency;
    uint64_t budget = ctx->options->budget_bytes;
    if (is_schedule(ctx, COSMA_SCHEDULE_FIXED))
        return best->lower_bound;
    if (is_schedule(ctx, COSMA_SCHEDULE_PEAK))
        return 0;
    if (cosma_problem_order_is_unique(&ctx->problem))
        return best->lower_bound; /* joint == fixed: the ILP bound holds */
    uint64_t bound = best->traffic > 0 ? order_free_bound(ctx) : 0;
    /* Every order has a step with at least M_P live bytes: below it, the
     * excess leaves the scratchpad and comes back at least once, and what
     * has no host copy is spilled first (problem.c). */
    uint64_t excess = cosma_problem_peak_excess_bound(&ctx->problem, ctx->bounds.m_p_lower, budget);
    if (excess > bound)
        bound = excess;
    return ctx->ledger.joint > bound ? ctx->ledger.joint : bound;
}

/* A plan of `order` and `residency` with `bound`, checked by the verifier:
 * a plan it rejects is an internal error (reported through diag). */
static cosma_status_t verified_plan(const plan_ctx_t *ctx, const int32_t *order, const cosma_residency_t *residency,
                                    uint64_t bound, const char *method, cosma_diag_t *diag, cosma_plan_t **out_plan)
{
    cosma_status_t status = assemble_plan(&ctx->problem, ctx->options, order, residency, bound, method,
                                          cosma_clock_seconds() - ctx->started, out_plan);
    if (status != COSMA_OK)
        return status;
    (*out_plan)->stopped = ctx->stopped;
    cosma_traffic_t checked;
    if (cosma_plan_verify(ctx->problem.graph, *out_plan, &checked, diag) != COSMA_OK) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "internal error: the planner produced a plan the verifier rejects");
        cosma_plan_destroy(*out_plan);
        *out_plan = NULL;
        return COSMA_ERR_INTERNAL;
    }
    return COSMA_OK;
}

/* Hands a verified plan of `traffic` bytes to options->on_plan (which owns
 * it); later plans are offered only when they beat it. */
static void hand_over(plan_ctx_t *ctx, cosma_plan_t *plan, uint64_t traffic)
{
    ctx->offered = 1;
    ctx->offered_traffic = traffic;
    ctx->options->on_plan(ctx->options->on_plan_ctx, plan);
}

/* A plan a caller can stop with before the first strategy ends: every
 * tensor evicted after each use (linear time), handed to on_plan only; a
 * strategy's plan is offered when it beats it.  None for a minimum-peak
 * schedule (it must have no traffic) or when a working set does not fit. */
static void offer_first_plan(plan_ctx_t *ctx)
{
    const cosma_plan_options_t *options = ctx->options;
    if (options->on_plan == NULL || is_schedule(ctx, COSMA_SCHEDULE_PEAK))
        return;
    cosma_residency_t flush;
    cosma_plan_t *plan = NULL;
    /* No message: a flush plan that cannot be made is only not offered. */
    if (cosma_residency_flush(&ctx->problem, ctx->given_order, options->budget_bytes, &flush) == COSMA_OK &&
        verified_plan(ctx, ctx->given_order, &flush, 0, "flush:first-plan", NULL, &plan) == COSMA_OK)
        hand_over(ctx, plan, plan->traffic.spill_bytes + plan->traffic.retrieve_bytes);
    cosma_residency_free(&flush);
}

/* Checks the request and sets up the context: the orders, and the
 * minimum-peak order unless the schedule is fixed. */
static cosma_status_t ctx_init(plan_ctx_t *ctx, const cosma_graph_t *graph, const cosma_plan_options_t *options,
                               cosma_diag_t *diag)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->options = options;
    ctx->diag = diag;
    ctx->started = cosma_clock_seconds();
    ctx->limit = options->time_limit > 0 ? options->time_limit : COSMA_PLAN_DEFAULT_SECONDS;
    cosma_status_t status = cosma_problem_init(&ctx->problem, graph, &options->mode, diag);
    if (status != COSMA_OK)
        return status;
    int32_t n = graph->n_ops;
    ctx->incumbent = (incumbent_t){.order = malloc(((size_t)n + 1) * sizeof(int32_t)), .method = ""};
    ctx->given_order = malloc(((size_t)n + 1) * sizeof(int32_t));
    ctx->work_order = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (ctx->incumbent.order == NULL || ctx->given_order == NULL || ctx->work_order == NULL)
        return COSMA_ERR_NOMEM;
    int fixed = options->schedule == COSMA_SCHEDULE_FIXED;
    if (fixed && options->order != NULL) {
        int topological = 0;
        if ((status = cosma_order_check(graph, options->order, &topological)) != COSMA_OK)
            return status;
        if (!topological) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "the given order is not a complete topological order");
            return COSMA_ERR_INPUT;
        }
    }
    if (!fixed && report_oversized(&ctx->problem, options->budget_bytes, diag) > 0)
        return COSMA_ERR_INFEASIBLE;
    for (int32_t o = 0; o < n; o++)
        ctx->given_order[o] = fixed && options->order != NULL ? options->order[o] : o;
    offer_first_plan(ctx);
    if (fixed)
        return COSMA_OK;
    if (options->bounds == NULL) {
        status = cosma_planner_bounds(graph, &options->mode, ctx->limit * BOUNDS_SHARE, &ctx->bounds, diag);
        if (ctx->bounds.stopped_by_clock)
            ctx->stopped = COSMA_STOP_TIME_LIMIT;
        return status;
    }
    /* The caller's bounds (a symbolic budget): a copy, freed like ours. */
    ctx->bounds = *options->bounds;
    if (ctx->bounds.stopped_by_clock)
        ctx->stopped = COSMA_STOP_TIME_LIMIT;
    ctx->bounds.order = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (ctx->bounds.order == NULL)
        return COSMA_ERR_NOMEM;
    memcpy(ctx->bounds.order, options->bounds->order, (size_t)n * sizeof(int32_t));
    return COSMA_OK;
}

static void ctx_free(plan_ctx_t *ctx)
{
    cosma_residency_free(&ctx->incumbent.residency);
    cosma_bounds_free(&ctx->bounds);
    free(ctx->incumbent.order);
    free(ctx->given_order);
    free(ctx->work_order);
    cosma_problem_free(&ctx->problem);
}

/* The incumbent as a plan with the ledger's bound, checked by the verifier. */
static cosma_status_t incumbent_plan(const plan_ctx_t *ctx, cosma_plan_t **out_plan)
{
    const incumbent_t *inc = &ctx->incumbent;
    return verified_plan(ctx, inc->order, &inc->residency, ledger_bound(ctx), inc->method, ctx->diag, out_plan);
}

static cosma_status_t finish_plan(const plan_ctx_t *ctx, cosma_plan_t **out_plan)
{
    if (!ctx->incumbent.have)
        return report_no_plan(&ctx->problem, ctx->options, &ctx->bounds, ctx->ledger.zero_traffic_impossible,
                              ctx->diag);
    return incumbent_plan(ctx, out_plan);
}

/* Hands a plan better than the last one handed over to options->on_plan
 * (a caller that may have to stop before the solve ends keeps it).  A
 * plan that cannot be built now is not offered: the final one will be. */
static cosma_status_t offer_plan(plan_ctx_t *ctx)
{
    const incumbent_t *inc = &ctx->incumbent;
    if (ctx->options->on_plan == NULL || !inc->have || (ctx->offered && inc->residency.traffic >= ctx->offered_traffic))
        return COSMA_OK;
    cosma_plan_t *plan = NULL;
    cosma_status_t status = incumbent_plan(ctx, &plan);
    if (status == COSMA_OK) {
        hand_over(ctx, plan, inc->residency.traffic);
        report_progress(ctx, ctx->strategy); /* a strategy may run for minutes after its first plan */
    }
    return status;
}

/* Runs one strategy and notes whether its deadline, rather than its fixed
 * work, ended it. */
static cosma_status_t run_strategy(plan_ctx_t *ctx, strategy_fn_t run)
{
    ctx->phase_deadline = 0.0;
    cosma_status_t status = run(ctx);
    phase_end(ctx);
    return status == COSMA_OK ? offer_plan(ctx) : status;
}

/* Divide-and-conquer (after the local search, from its order) ends by
 * this share of the limit, leaving time for its order's residency and the
 * baselines. */
#define DC_SHARE 0.8

/* Only on request (--method dc): on every case measured so far (the NAS
 * graphs, the Transformer, docs/results-nas.md) its order was no better
 * than the local search's, while it took most of the time limit and made
 * the plan depend on the clock, so auto leaves it out until it pays. */
static int dc_wanted(const plan_ctx_t *ctx)
{
    return ctx->options->method == COSMA_METHOD_DC;
}

/* Strategy (joint schedule, when dc_wanted): divide-and-conquer improves
 * the incumbent's order window by window (planner/dc.c, docs/dc.md); the
 * new order gets its residency and placement like any other. */
static cosma_status_t strategy_divide_and_conquer(plan_ctx_t *ctx)
{
    if (!is_schedule(ctx, COSMA_SCHEDULE_JOINT) || !has_traffic(ctx) || !dc_wanted(ctx))
        return COSMA_OK;
    cosma_dc_options_t options;
    cosma_dc_options_init(&options);
    options.budget = ctx->options->budget_bytes;
    options.deadline = deadline_at(ctx, DC_SHARE);
    cosma_diag_t optional = {emit_as_warning, ctx->diag, 0};
    cosma_status_t status = cosma_dc_order(&ctx->problem, ctx->incumbent.order, &options, ctx->work_order, NULL,
                                           ctx->diag != NULL ? &optional : NULL);
    phase_end(ctx);
    if (status == COSMA_OK)
        try_order(&ctx->problem, ctx->work_order, ctx->options->budget_bytes, 0, 0, phase_time_left(ctx),
                  "ilp-joint:divide-and-conquer", &ctx->incumbent, ctx->diag);
    return status;
}

/* The strategies in the order they run; each decides from the context
 * whether it applies. */
static const struct {
    strategy_fn_t run;
    const char *name; /* for progress reports */
} STRATEGIES[] = {
    {strategy_candidate_orders, "candidate orders"}, {strategy_seeds, "seed plans"},
    {strategy_placement_search, "placement search"}, {strategy_exhaustive_search, "exhaustive order search"},
    {strategy_local_search, "order local search"},   {strategy_divide_and_conquer, "divide and conquer"},
    {strategy_baselines, "baselines"},
    {strategy_joint_model, "joint model"},
};
enum { N_STRATEGIES = sizeof STRATEGIES / sizeof STRATEGIES[0] };

static void report_progress(const plan_ctx_t *ctx, int32_t index)
{
    if (ctx->options->progress == NULL)
        return;
    const incumbent_t *inc = &ctx->incumbent;
    cosma_progress_t progress = {.phase = index < N_STRATEGIES ? STRATEGIES[index].name : "done",
                                 .phase_index = index + 1,
                                 .n_phases = N_STRATEGIES,
                                 .elapsed = cosma_clock_seconds() - ctx->started,
                                 .have_plan = inc->have,
                                 .traffic = inc->have ? inc->residency.traffic : 0,
                                 .bound = inc->have ? ledger_bound(ctx) : 0};
    if (progress.bound > progress.traffic)
        progress.bound = progress.traffic;
    ctx->options->progress(ctx->options->progress_ctx, &progress);
}

void cosma_plan_options_init(cosma_plan_options_t *options)
{
    *options = (cosma_plan_options_t){.schedule = COSMA_SCHEDULE_JOINT,
                                      .time_limit = COSMA_PLAN_DEFAULT_SECONDS,
                                      .threads = 1};
}

cosma_status_t cosma_planner_plan(const cosma_graph_t *graph, const cosma_plan_options_t *options,
                                  cosma_plan_t **out_plan, cosma_diag_t *diag)
{
    *out_plan = NULL;
    plan_ctx_t ctx;
    cosma_status_t status = ctx_init(&ctx, graph, options, diag);
    for (int32_t s = 0; status == COSMA_OK && s < N_STRATEGIES; s++) {
        ctx.strategy = s;
        report_progress(&ctx, s);
        status = run_strategy(&ctx, STRATEGIES[s].run);
    }
    if (status == COSMA_OK)
        report_progress(&ctx, N_STRATEGIES);
    if (status == COSMA_OK)
        status = finish_plan(&ctx, out_plan);
    ctx_free(&ctx);
    return status;
}
