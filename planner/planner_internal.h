/* planner_internal.h: helpers shared by the files of planner/ only. */
#ifndef COSMA_PLANNER_INTERNAL_H
#define COSMA_PLANNER_INTERNAL_H

#include <cosma/place.h>
#include <cosma/planner.h>

/* Step (1-based) of every operator in order: out_step[op] = t. */
void cosma_order_steps(const cosma_graph_t *graph, const int32_t *order, int32_t *out_step);

/* Zero-spill lifetimes of every planned tensor in an order: first and
 * last step it must be resident (0, 0 for tensors that are not planned). */
void cosma_order_lifetimes(const cosma_graph_t *graph, const cosma_mode_t *mode, const int32_t *order,
                           int32_t *out_first, int32_t *out_last);

/* Greatest common divisor (gcd(0, b) = b): models count sizes in units of
 * their common divisor. */
uint64_t cosma_gcd_u64(uint64_t a, uint64_t b);

/* The graph flattened for planning under one mode: sizes and adjacency in
 * compressed-row form.  Built once per plan; owns its arrays. */
typedef struct {
    const cosma_graph_t *graph;
    cosma_mode_t mode;
    int32_t n_ops, n_tensors;
    uint64_t *size;          /* per tensor; 0 = not planned */
    int32_t *operand_start;  /* per op, n_ops + 1 entries */
    int32_t *operands;       /* distinct planned operands: inputs, then outputs */
    int32_t *n_inputs_planned; /* per op: how many of its operands are inputs */
    int32_t *pred_start;     /* per op: distinct predecessor ops */
    int32_t *preds;
    int32_t *succ_start;     /* per op: distinct successor ops */
    int32_t *succs;
} cosma_problem_t;

cosma_status_t cosma_problem_init(cosma_problem_t *problem, const cosma_graph_t *graph, const cosma_mode_t *mode,
                                  cosma_diag_t *diag);
void cosma_problem_free(cosma_problem_t *problem);

/* Strict ancestor and descendant sets of every operator as bitsets:
 * anc and desc hold n_ops rows of `words` 64-bit words, zeroed. */
void cosma_problem_closure(const cosma_problem_t *problem, uint64_t *anc, uint64_t *desc, size_t words);

/* Per operator: how many operators are its ancestors and descendants
 * (from the closure; -1 when out of memory). */
int cosma_problem_relative_counts(const cosma_problem_t *problem, int32_t *out_ancestors, int32_t *out_descendants);

/* The closure takes 2 n^2 bits: it is built only while that stays within
 * COSMA_CLOSURE_MAX_BYTES (about 46,000 operators).  Past it the analyses
 * that need it fall back to weaker bounds that are still valid, so memory
 * and time stay near-linear in the graph. */
#define COSMA_CLOSURE_MAX_BYTES ((uint64_t)512 << 20)
int cosma_problem_closure_affordable(const cosma_problem_t *problem);

/* Whether a tensor is live at op's step in every order of the closure
 * anc/desc (as cosma_problem_closure, or one with more precedences): op
 * comes after its start (its producer; for tensors loaded at first use,
 * some reader) and before one of its readers. */
int cosma_problem_forced_at(const cosma_tensor_t *tensor, int32_t op, const uint64_t *anc, const uint64_t *desc,
                            size_t words);

/* Whether op reads only parameters or graph inputs (or nothing): no
 * predecessor, so it may run anywhere before its readers (a "source"). */
int cosma_problem_op_is_source(const cosma_problem_t *problem, int32_t op);

/* Working set of an operator: the sum of its planned operands. */
uint64_t cosma_problem_working_set(const cosma_problem_t *problem, int32_t op);

/* Lower bound on the live bytes at op's step in ANY topological order:
 * its operands plus every tensor produced by an ancestor (or an input read
 * by an ancestor) and read by a descendant.  Optional per-operator outputs
 * (n_ops entries) split the non-operand part into tensors that have a host
 * copy (inputs, params, outputs) and activations.  Returns the maximum. */
uint64_t cosma_problem_forced_live(const cosma_problem_t *problem, uint64_t *out_forced_host,
                                   uint64_t *out_forced_activation);

/* The positions the operator at order[i] may move to without breaking a
 * dependency, at most `reach` away (position[op] = index in order). */
void cosma_order_move_window(const cosma_problem_t *problem, const int32_t *order, const int32_t *position,
                             int32_t i, int32_t reach, int32_t *out_lo, int32_t *out_hi);
/* trial = order with the operator at i moved to j. */
void cosma_order_move(const int32_t *order, int32_t n, int32_t i, int32_t j, int32_t *trial);
/* The one order local search: first-improvement moves of one operator
 * within its dependency window (at most reach positions), kept when the
 * score drops; stops at target, after max_moves moves, at the deadline, or
 * when no move helps.  score gives the order's score (UINT64_MAX rejects
 * it); movable (NULL: all) skips operators not worth moving; accepted
 * (NULL: none) hears of every kept order.  A failure of either callback
 * ends the search with that status. */
typedef struct {
    int32_t reach;
    int64_t max_moves;
    double deadline;
    uint64_t target;
    cosma_status_t (*score)(void *ctx, const int32_t *order, uint64_t *out_score);
    int (*movable)(void *ctx, int32_t op);
    cosma_status_t (*accepted)(void *ctx, const int32_t *order);
    void *ctx;
} cosma_order_search_t;

/* Improves order in place; *inout_score is the order's score on entry and
 * the result's on exit; *out_changed 1 if the order changed.
 * COSMA_ERR_NOMEM or a callback's failure. */
cosma_status_t cosma_order_local_search(const cosma_problem_t *problem, int32_t *order,
                                        const cosma_order_search_t *search, uint64_t *inout_score, int *out_changed);

/* When an order's live bytes fit the budget but its zero-spill tensors do
 * not place, moves the operators around the tensors that end up above
 * the budget (keeping the peak within it) while the greedy arena shrinks.
 * *out_found 1 (order updated) when an order whose arena fits was found.
 * COSMA_ERR_NOMEM (order then valid but maybe moved). */
cosma_status_t cosma_order_search_placeable(const cosma_problem_t *problem, int32_t *order, uint64_t budget,
                                            double deadline, int *out_found);

/* The greedy zero-spill arena of an order, the placement search's score:
 * the arena when it fits the budget, else the budget plus the bytes placed
 * above it.  COSMA_ERR_NOMEM, or the live bytes' overflow. */
cosma_status_t cosma_order_arena_score(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                       uint64_t *out_score);

/* Exhaustive search (bounded by fixed work limits and the deadline) over
 * the topological orders whose live bytes fit the budget, for one whose
 * zero-spill tensors place: 1 found (out_order set), 0 proven that none
 * exists, -1 undecided within the limits. */
int cosma_order_search_zero_traffic(const cosma_problem_t *problem, uint64_t budget, double deadline,
                                    int32_t *out_order);

/* Candidate order (candidates.c): order with operators moved, one at a
 * time, as late as their readers allow (an operator that reads only
 * parameters or graph inputs together with the reader it feeds first) or
 * as early as their producers allow, wherever that lowers the live bytes
 * above the budget summed over the steps (then the live bytes summed).  Fixed work; *out_changed 1 when
 * out_order (n_ops entries) differs from order.  COSMA_ERR_NOMEM. */
cosma_status_t cosma_candidate_relieved_order(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                              int32_t *out_order, int *out_changed);

/* cosma_baseline_plan in a given order (the default or a minimum-peak
 * one), for callers that have the order already; name and align are
 * trusted (a known name, a power of two). */
cosma_status_t cosma_baseline_plan_in_order(const cosma_graph_t *graph, const cosma_mode_t *mode,
                                            uint64_t budget_bytes, const char *name, uint64_t align,
                                            const int32_t *order, cosma_plan_t **out_plan, cosma_diag_t *diag);

/* Whether the graph has exactly one topological order (then the joint
 * problem is the fixed-order problem). */
int cosma_problem_order_is_unique(const cosma_problem_t *problem);

/* Residency for a fixed order: which tensors stay in the scratchpad
 * between their uses, as intervals with offsets. */
typedef struct {
    uint64_t traffic;        /* non-compulsory bytes of the result */
    uint64_t lower_bound;    /* valid for this order */
    int proven;              /* traffic == lower_bound */
    int placed;              /* offsets found within the budget */
    cosma_interval_t *intervals; /* malloc'd */
    int32_t n_intervals;
    double seconds;
} cosma_residency_t;

typedef struct {
    uint64_t budget;
    double time_limit;
    int no_spills;            /* keep every tensor from first to last use */
    int heuristic;            /* no ILP: the Belady-style choice, placed (what does
                                 not fit is split or evicted); no bound */
    uint64_t cutoff;          /* > 0: stop once the order's bound reaches it (the
                                 caller's incumbent: no plan of this order can beat
                                 it); the result then has traffic UINT64_MAX */
    int64_t node_limit;       /* branch-and-bound nodes per residency ILP solve; 0: none */
    const char *export_model; /* write the first ILP here (.lp / .mps) */
} cosma_residency_options_t;

/* Solves residency (capacity-relaxed ILP, GLPK) for an order, then places
 * the intervals, tightening capacity where placement fails.  Returns
 * COSMA_ERR_INFEASIBLE when an operator's working set exceeds the budget
 * (reported) or no placement was found. */
cosma_status_t cosma_residency_solve(const cosma_problem_t *problem, const int32_t *order,
                                     const cosma_residency_options_t *options, cosma_residency_t *out_result,
                                     cosma_diag_t *diag);
void cosma_residency_free(cosma_residency_t *result);
/* The residency that keeps nothing between uses (each step holds only its
 * operator's operands, stacked from offset 0): it exists whenever every
 * working set fits the budget and takes time linear in the uses; no bound
 * (lower_bound 0).  COSMA_ERR_INFEASIBLE when a working set does not fit. */
cosma_status_t cosma_residency_flush(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                     cosma_residency_t *out_result);

/* The capacity-relaxed traffic of an order (no placement): the score the
 * order search optimises.  *out_work: the simplex iterations it took (a
 * measure of effort that does not depend on the machine). */
cosma_status_t cosma_residency_relaxed(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                       double time_limit, int64_t node_limit, uint64_t *out_cost, int64_t *out_work,
                                       cosma_diag_t *diag);

/* A tensor's state where a window of an order begins or ends (flags).
 * COSMA_JOINT_FREE: its loads and spills cost nothing in the window's
 * model (it must still be resident where the window uses it): a tensor
 * whose traffic another window's bound counts (windows.c). */
enum { COSMA_JOINT_RESIDENT = 1, COSMA_JOINT_HOST_COPY = 2, COSMA_JOINT_FIRST_LOAD = 4, COSMA_JOINT_FREE = 8 };

/* A window for the joint model (divide-and-conquer): its operators take
 * steps 1..n_ops, every tensor enters in state[a], and after[a] says that
 * an operator after the window reads it (left non-resident, it costs its
 * reload and, without a host copy, its spill).  The solver starts from the
 * operators in the given order with start_resident (by default every
 * tensor resident only where used). */
typedef struct {
    const int32_t *ops;       /* the window's operators in a topological order */
    int32_t n_ops;
    const uint8_t *state;     /* per tensor: COSMA_JOINT_* at entry */
    const uint8_t *after;     /* per tensor: read after the window */
    int fixed;                /* keep the operators in the given order */
    const uint8_t *start_resident; /* NULL, or the start's residency, [a * n_ops + t - 1] */
    uint8_t *out_resident;    /* NULL, or written on success: the solution's, same layout */
    int32_t commit;           /* out_state is the state after this many steps */
    uint8_t *out_state;       /* per tensor, written on success; NULL: not wanted */
    uint64_t out_cost;        /* on success: the solution's cost (bytes, with the reloads after) */
} cosma_joint_window_t;

/* The joint time-indexed model (see joint.c): solves order and residency
 * together with placement relaxed, for the whole graph or a window. */
typedef struct {
    uint64_t budget;
    double time_limit;     /* seconds */
    int64_t node_limit;    /* branch-and-bound nodes; 0: none (deterministic effort) */
    int64_t max_columns;   /* larger models are not built */
    const int32_t *start_order; /* a plan handed to the solver as its incumbent, or NULL */
    const cosma_interval_t *start_intervals;
    int32_t n_start_intervals;
    cosma_joint_window_t *window; /* NULL: the whole graph; its out_ fields are written */
} cosma_joint_options_t;

/* Columns of the joint model of the whole graph (window NULL) or of a
 * window; -1 when it cannot be sized (out of memory, no closure). */
int64_t cosma_joint_columns(const cosma_problem_t *problem, const cosma_joint_window_t *window);

/* Largest model tried (columns).  Past this GLPK's node LPs can run far
 * beyond the time limit (GLPK does not look at the clock inside one LP
 * solve: seen on ViT-B/16, 27,000 columns). */
#define COSMA_JOINT_MAX_COLUMNS 15000
#define COSMA_JOINT_DEFAULT_SECONDS 60.0
/* Defaults: no budget, COSMA_JOINT_DEFAULT_SECONDS, COSMA_JOINT_MAX_COLUMNS, no start. */
void cosma_joint_options_init(cosma_joint_options_t *options);

/* Returns COSMA_OK with the order of the best solution (n_ops entries, or
 * the window's) and its proven bound (valid for every order; for a window
 * it bounds nothing outside the model), or COSMA_ERR_INFEASIBLE when the model
 * would exceed max_columns or found no solution (*out_bound still holds
 * any bound it proved). */
cosma_status_t cosma_joint_solve(const cosma_problem_t *problem, const cosma_joint_options_t *options,
                                 int32_t *out_order, uint64_t *out_bound, cosma_diag_t *diag);

/* Order-independent lower bound on non-compulsory traffic from a lower
 * bound on the minimum peak: the excess over the budget is evicted at the
 * peak step and costs a reload, and for activations also a spill
 * (see problem.c).  0 when m_p_lower <= budget. */
uint64_t cosma_problem_peak_excess_bound(const cosma_problem_t *problem, uint64_t m_p_lower, uint64_t budget);

/* Differences of an order's zero-spill live bytes per step (n_ops + 1
 * entries): every planned tensor adds its size at its first step and
 * removes it after its last (steps 1-based; unsigned wrap-around cancels
 * on the running sums); delta_host (NULL: not wanted) the same for the
 * tensors with a host copy (not activations).  first and last get the
 * lifetimes (cosma_order_lifetimes). */
void cosma_order_live_deltas(const cosma_problem_t *problem, const int32_t *order, int32_t *first, int32_t *last,
                             uint64_t *delta, uint64_t *delta_host);

/* Divide-and-conquer (dc.c): improves an order window by window with the
 * joint model of each window, entered in the state the windows before it
 * left (docs/dc.md).  Only the order comes out: residency, placement and
 * the plan's bound are the caller's, as for any order. */
typedef struct {
    uint64_t budget;
    double deadline;        /* clock reading (cosma_clock_seconds) to stop by */
    int64_t node_limit;     /* per window's model; 0: none */
    int64_t window_columns; /* a window grows while its model stays within this */
    int32_t search_window_ops; /* the windows' bound only: its searched windows' one size in
                                  operators (tests: several windows on small graphs); 0: the
                                  default sizes (windows.c) */
} cosma_dc_options_t;

/* Branch-and-bound nodes per window: the deterministic limit on effort. */
#define COSMA_DC_NODE_LIMIT 500
/* Defaults: no budget or deadline, COSMA_DC_NODE_LIMIT, dc.c's window size. */
void cosma_dc_options_init(cosma_dc_options_t *options);

typedef struct {
    int32_t n_key_points;   /* operators every order runs at the same step */
    int32_t n_windows;      /* windows stepped through */
    int32_t n_solved;       /* ... reordered by their joint model */
    int32_t n_reused;       /* ... that repeated a solved one (same shape and state) */
    int32_t n_fixed;        /* ... kept in the reference order (no cheaper order found) */
    int stopped_by_clock;   /* the deadline came first: the rest kept the reference order */
} cosma_dc_stats_t;

/* out_order (n_ops entries) is reference improved window by window;
 * COSMA_ERR_NOMEM is the only failure (a window without a solution keeps
 * its reference order). */
cosma_status_t cosma_dc_order(const cosma_problem_t *problem, const int32_t *reference,
                              const cosma_dc_options_t *options, int32_t *out_order, cosma_dc_stats_t *out_stats,
                              cosma_diag_t *diag);

/* Order-independent lower bound on non-compulsory traffic from the joint
 * models of disjoint windows of a reference order (windows.c): each window
 * pays only for the tensors it owns, so the bounds add up. */
/* The same settings as divide-and-conquer's windows: budget, deadline,
 * node limit per window's model, the columns a window grows to. */
typedef cosma_dc_options_t cosma_window_bound_options_t;

/* Branch-and-bound nodes per window and the model size a window grows to. */
#define COSMA_WINDOW_BOUND_NODES 50
#define COSMA_WINDOW_BOUND_COLUMNS 500
/* Defaults: no budget or deadline, the two limits above. */
void cosma_window_bound_options_init(cosma_window_bound_options_t *options);

typedef struct {
    int32_t n_windows;    /* windows the order was cut into */
    int32_t n_bounded;    /* ... with a positive bound */
    int32_t n_reused;     /* ... whose bound a window of the same model gave */
    int32_t n_free;       /* ... not solved: a solution of cost 0 is at hand */
} cosma_window_bound_stats_t;

/* *out_bound: the sum of the windows' proven bounds (0 when none, and on
 * graphs of more than 10,000 operators), valid for every plan whatever
 * its order.  order: any topological order (the windows are its
 * consecutive ranges); out_stats may be NULL.  Fails only with
 * COSMA_ERR_NOMEM. */
cosma_status_t cosma_window_bound(const cosma_problem_t *problem, const int32_t *order,
                                  const cosma_window_bound_options_t *options, uint64_t *out_bound,
                                  cosma_window_bound_stats_t *out_stats, cosma_diag_t *diag);

/* The optimum of one window's joint model (the window of
 * cosma_joint_window_t with its entry states; no `after`, not fixed) by a
 * best-first search over its schedules and residencies (bound_region.c),
 * or, when max_states states do not finish it, a lower bound on that
 * optimum (*out_exact 0).  Windows of more than 64 operators or operand
 * tensors, or with an operator of more than 8 operands, get 0.
 * *out_states: the states the search made (at most max_states), for the
 * caller's work limit.  Fails only with COSMA_ERR_NOMEM. */
cosma_status_t cosma_region_search_bound(const cosma_problem_t *problem, const cosma_joint_window_t *window,
                                         uint64_t budget, int64_t max_states, uint64_t *out_bound, int *out_exact,
                                         int64_t *out_states);

/* Order-independent lower bound on non-compulsory traffic at a budget
 * (a covering ILP over the forced-live tensors, at most node_limit
 * branch-and-bound nodes, 0: none; see problem.c). */
uint64_t cosma_problem_traffic_lower_bound(const cosma_problem_t *problem, uint64_t budget, double time_limit,
                                           int64_t node_limit, cosma_diag_t *diag);

/* The precedences of every plan that never evicts an activation of at
 * least min_bytes (bound_pinned.c): the closure with them added, the
 * edges, and whether no such plan exists.  Owns its arrays. */
typedef struct {
    size_t words;
    uint64_t *anc, *desc;  /* n_ops rows of `words` words, as cosma_problem_closure */
    int32_t (*edges)[2];   /* the added edges, from -> to */
    int32_t n_edges, edge_cap;
    uint8_t *pinned;       /* per tensor: one of those activations */
    int32_t n_pinned;
    int infeasible;        /* no plan keeps them all resident */
} cosma_pinned_order_t;
cosma_status_t cosma_pinned_order_derive(const cosma_problem_t *problem, uint64_t budget, uint64_t min_bytes,
                                         cosma_pinned_order_t *out);
/* The same with the tensors marked in except left unpinned. */
cosma_status_t cosma_pinned_order_derive_except(const cosma_problem_t *problem, uint64_t budget, uint64_t min_bytes,
                                                const uint8_t *except, cosma_pinned_order_t *out);
void cosma_pinned_order_free(cosma_pinned_order_t *pinned);

/* Order-independent lower bound from the operators with the least room
 * beside their operands (bound_cut.c): each picks its own downset, and a
 * tensor live across it that cannot stay is evicted (a reload, and a
 * spill for an activation), paid once however many operators it is
 * evicted across.  One linear program of bounded size (its fixed work);
 * 0 when nothing is proven or the clock stopped it. */
typedef struct {
    uint64_t budget;
    double time_limit;  /* seconds: a guard, the model's size is the work */
    uint64_t target;    /* > 0: a bound of this much is all the caller needs
                           (its incumbent's traffic): a program stops once it
                           proves that much, so the bound may be lower than
                           without it but never lower than this when reached */
    /* Optional, one case of cosma_cut_bound_split: plans that keep these
     * tensors resident (the bound then holds for those plans only; 0 when
     * none exists), or plans that evict one of the tensors marked here. */
    const cosma_pinned_order_t *pinned;
    const uint8_t *some_evicted; /* per tensor */
    /* Optional, a case of the split's evicted plans: those that evict
     * tensors of at least min_groups of these groups (per tensor: a group
     * id, -1 none). */
    const int32_t *groups;
    int32_t n_groups, min_groups;
    const uint8_t *heavy; /* with groups: the pinned tensors, for the extra picks */
} cosma_cut_bound_options_t;
uint64_t cosma_cut_bound(const cosma_problem_t *problem, const cosma_cut_bound_options_t *options,
                         cosma_diag_t *diag);
/* The smaller of the cut bounds of the plans that keep every large
 * activation resident (at least `floor`, a bound the caller has for all
 * plans) and of those that evict one: a bound for every plan (bound_cut.c
 * says why).  options->pinned and some_evicted are ignored; time_limit is
 * for both programs. */
uint64_t cosma_cut_bound_split(const cosma_problem_t *problem, const cosma_cut_bound_options_t *options,
                               uint64_t floor, cosma_diag_t *diag);

/* Order-free lower bound from the key points (bound_gaps.c): a tensor live
 * across a key point without room for it there is loaded again after it,
 * once per gap between two consecutive ranges of its uses, and an
 * activation so evicted is spilled once.  One 0-1 program (which gaps stay
 * resident within each key point's room) with a node limit; 0 when nothing
 * binds, the graph has no key point, or the clock stopped the solve. */
typedef struct {
    uint64_t budget;
    double time_limit;  /* seconds: a guard, the node limit is the work */
    int64_t node_limit; /* branch-and-bound nodes; 0: none */
} cosma_gap_bound_options_t;

/* Branch-and-bound nodes, and the program's size past which it is not
 * solved (no bound: the fixed work). */
#define COSMA_GAP_BOUND_NODES 2000
#define COSMA_GAP_BOUND_MAX_NONZEROS 2000000
/* Defaults: no budget, COSMA_GAP_BOUND_NODES, a 10 s guard. */
void cosma_gap_bound_options_init(cosma_gap_bound_options_t *options);

typedef struct {
    int32_t n_key_points; /* operators at the same step in every order */
    int32_t n_gaps;       /* (tensor, run of key points it is live across) */
    int32_t n_binding;    /* key points whose live bytes exceed their room */
    int32_t n_columns;    /* of the program */
    int proven;           /* the program was solved to optimality */
    int stopped_by_clock; /* the guard ended the solve: no bound given */
} cosma_gap_bound_stats_t;

/* *out_bound: valid for every plan whatever its order; out_stats may be
 * NULL.  Fails only with COSMA_ERR_NOMEM. */
cosma_status_t cosma_gap_bound(const cosma_problem_t *problem, const cosma_gap_bound_options_t *options,
                               uint64_t *out_bound, cosma_gap_bound_stats_t *out_stats, cosma_diag_t *diag);

#endif
