/* planner.h: everything that decides: memory bounds (M_R, M_P, M_H),
 * schedules, the COSMA planner (ILP with heuristic fallbacks), the
 * baselines and divide-and-conquer.  The verifier is its own library
 * (<cosma/verify.h>). */
#ifndef COSMA_PLANNER_H
#define COSMA_PLANNER_H

#include <cosma/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bounds and schedules -------------------------------------------- */

typedef struct {
    uint64_t m_r;          /* largest single-operator working set */
    int32_t m_r_op;        /* an operator that needs m_r */
    uint64_t m_p_upper;    /* peak of the best order found */
    uint64_t m_p_lower;    /* proven lower bound on the minimum peak */
    int m_p_exact;         /* m_p_upper == m_p_lower */
    uint64_t m_h;          /* (m_r + m_p_upper) / 2 */
    int32_t *order;        /* the best order found (n_ops entries, malloc'd) */
    int stopped_by_clock;  /* the time limit cut the M_P search short */
} cosma_bounds_t;

/* Computes M_R and M_P for a mode.  The search for M_P is limited by a
 * fixed amount of work, so every command that asks gets the same M_P;
 * time_limit (seconds) is only a guard, and when it cuts the search short
 * stopped_by_clock says so.  out_bounds->order is the caller's to free. */
cosma_status_t cosma_planner_bounds(const cosma_graph_t *graph, const cosma_mode_t *mode, double time_limit,
                                    cosma_bounds_t *out_bounds, cosma_diag_t *diag);
void cosma_bounds_free(cosma_bounds_t *bounds);

/* ---- the planner ----------------------------------------------------- */

typedef enum {
    COSMA_SCHEDULE_JOINT = 0, /* order chosen together with residency */
    COSMA_SCHEDULE_FIXED,     /* the graph's default order or a given one */
    COSMA_SCHEDULE_PEAK       /* minimum-peak order, no spills */
} cosma_schedule_t;

/* How the joint schedule is solved on large graphs. */
typedef enum {
    COSMA_METHOD_AUTO = 0, /* today the same as COSMA_METHOD_ILP (docs/dc.md) */
    COSMA_METHOD_ILP,      /* whole-graph models only */
    COSMA_METHOD_DC,       /* divide-and-conquer too, whatever the size */
    COSMA_METHOD_GREEDY    /* no ILP: the candidate orders' Belady-style
                            * residency, placed, and the baselines; fast on
                            * any size, no bound beyond the ILP-free ones */
} cosma_method_t;

/* Where a solve stands, reported before each of its phases and once at
 * the end (phase "done"). */
typedef struct {
    const char *phase;            /* the strategy about to run */
    int32_t phase_index, n_phases; /* 1-based; n_phases + 1 at the end */
    double elapsed;               /* seconds since the solve started */
    int have_plan;                /* an incumbent exists */
    uint64_t traffic;             /* its non-compulsory bytes */
    uint64_t bound;               /* the lower bound it would have now */
} cosma_progress_t;

typedef void (*cosma_progress_fn)(void *ctx, const cosma_progress_t *progress);

/* Receives a verified plan, better than every one handed over before, and
 * owns it (free with cosma_plan_destroy).  Called from the solving thread. */
typedef void (*cosma_plan_fn)(void *ctx, cosma_plan_t *plan);

typedef struct {
    cosma_mode_t mode;
    uint64_t budget_bytes;
    cosma_schedule_t schedule;
    cosma_method_t method;    /* joint schedule: COSMA_METHOD_AUTO by default */
    const int32_t *order;     /* fixed schedule: NULL = default order */
    double time_limit;        /* seconds for the whole solve */
    int threads;              /* 0 = 1 (GLPK is single-threaded) */
    const char *export_model; /* write the ILP as .lp or .mps; NULL = no */
    const cosma_bounds_t *bounds; /* this graph and mode's bounds, when the
                                   * caller has them (a symbolic budget); NULL:
                                   * the planner computes them */
    const cosma_plan_t *const *seeds; /* valid plans of this graph and mode
                                       * (e.g. at smaller budgets): each that
                                       * fits the budget is an incumbent */
    int32_t n_seeds;
    cosma_progress_fn progress;   /* optional: told where the solve stands */
    void *progress_ctx;
    cosma_plan_fn on_plan;        /* optional: handed each better verified plan
                                   * while the solve runs (for a caller that
                                   * must be able to stop early) */
    void *on_plan_ctx;
} cosma_plan_options_t;

/* Defaults: activations only with each tensor's element size, no budget,
 * the joint schedule, COSMA_METHOD_AUTO, COSMA_PLAN_DEFAULT_SECONDS, one
 * thread, no export.  Set fields by name after it, so that new fields keep
 * their defaults. */
#define COSMA_PLAN_DEFAULT_SECONDS 60.0
void cosma_plan_options_init(cosma_plan_options_t *options);

/* Plans a graph within a budget.  Every plan is checked with
 * cosma_plan_verify before it is returned.  COSMA_ERR_INFEASIBLE (with the
 * operators that do not fit reported through diag) when the budget is
 * below what the schedule needs. */
cosma_status_t cosma_planner_plan(const cosma_graph_t *graph, const cosma_plan_options_t *options,
                                  cosma_plan_t **out_plan, cosma_diag_t *diag);

/* ---- baselines (docs/baselines.md) ----------------------------------- */

/* Replacement baselines: "default-belady", "default-greedy",
 * "peak-belady", "peak-greedy", on a TFLite-style best-fit arena with
 * alignment align (bytes, power of two).  *out_plan is a verified plan;
 * COSMA_ERR_INFEASIBLE when the policy cannot place a step at all. */
cosma_status_t cosma_baseline_plan(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t budget_bytes,
                                   const char *name, uint64_t align, cosma_plan_t **out_plan, cosma_diag_t *diag);
/* Names accepted by cosma_baseline_plan, NULL-terminated. */
extern const char *const cosma_baseline_names[];

/* Placement-only allocators: every tensor stays resident from creation to
 * last use (no spills); the result is the arena size the allocator needs.
 * Names: "greedy-by-size" (TFLite), "first-fit" (TFLite Micro),
 * "hill-climb" (TVM-style), "cosma" (ours). */
cosma_status_t cosma_arena_size(const cosma_graph_t *graph, const cosma_mode_t *mode, const int32_t *order,
                                const char *algo, uint64_t align, uint64_t *out_bytes, cosma_diag_t *diag);
extern const char *const cosma_arena_algos[];

#ifdef __cplusplus
}
#endif

#endif /* COSMA_PLANNER_H */
