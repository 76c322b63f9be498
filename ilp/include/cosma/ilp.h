/* ilp.h: mixed-integer linear programs behind a solver-neutral interface.
 * The planner states its models through this API; ilp/ turns them into
 * GLPK problems (the only place that includes glpk.h), solves them with a
 * time limit and an optional starting solution, and reports the proven
 * bound next to the solution.  Adding a solver touches this folder only. */
#ifndef COSMA_ILP_H
#define COSMA_ILP_H

#include <cosma/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COSMA_MILP_INF 1e300

typedef struct cosma_milp cosma_milp_t;

/* A minimisation problem. */
cosma_milp_t *cosma_milp_create(const char *name);
void cosma_milp_destroy(cosma_milp_t *milp);

/* Adds a column; returns its index (0-based) or -1 when out of memory.
 * integer: 0 continuous, 1 integer (bounds 0..1 make it binary). */
int32_t cosma_milp_add_col(cosma_milp_t *milp, const char *name, double lower, double upper, double objective,
                           int integer);
/* Adds lower <= sum(values[k] * x[cols[k]]) <= upper (use
 * +-COSMA_MILP_INF for a free side).  Returns the row index or -1. */
int32_t cosma_milp_add_row(cosma_milp_t *milp, const char *name, double lower, double upper, int32_t n,
                           const int32_t *cols, const double *values);
/* Constant added to the objective. */
void cosma_milp_set_objective_constant(cosma_milp_t *milp, double constant);
/* A feasible integer solution offered to the solver as its first incumbent
 * (copied; n_cols entries). */
cosma_status_t cosma_milp_set_start(cosma_milp_t *milp, const double *values);
int32_t cosma_milp_n_cols(const cosma_milp_t *milp);
int32_t cosma_milp_n_rows(const cosma_milp_t *milp);

typedef enum {
    COSMA_MILP_OPTIMAL = 0,  /* solution proven optimal */
    COSMA_MILP_FEASIBLE,     /* solution found, limit reached before proof */
    COSMA_MILP_INFEASIBLE,   /* proven: no solution */
    COSMA_MILP_NO_SOLUTION   /* limit reached with no solution */
} cosma_milp_status_t;

typedef struct {
    cosma_milp_status_t status;
    double objective;  /* of the solution, constant included */
    double bound;      /* proven lower bound, constant included */
    double seconds;
    int64_t nodes;     /* branch-and-bound nodes created */
    int64_t iterations; /* simplex iterations, the LP relaxation's included */
    int stopped_by_clock; /* the time limit, not the node limit or a proof,
                             ended the search: the result depends on speed */
    double *values;    /* n_cols entries, malloc'd: caller frees */
} cosma_milp_result_t;

typedef struct {
    double time_limit;      /* seconds; <= 0: none.  A guard: results that
                               stop on it depend on the machine's speed */
    double objective_step;  /* > 0 when every solution's objective is a
                               multiple of it (bounds are rounded up to it) */
    int64_t node_limit;     /* branch-and-bound nodes; <= 0: none.  The
                               deterministic way to bound the effort */
    int safe_cuts;          /* only cover and clique cuts: on big-M models
                               GLPK's Gomory and MIR cuts together have cut
                               off every integer point of a feasible model */
    double bound_target;    /* > 0: stop once the proven bound (rounded up to
                               objective_step) reaches it, the LP relaxation's
                               included: a caller that needs only a bound
                               needs no more (the result may then have no
                               solution; GLPK's feasibility pump is off) */
} cosma_milp_options_t;

/* Solves the problem.  GLPK's terminal output is captured (notes go to
 * diag) and its fatal errors come back as COSMA_ERR_SOLVER, never as an
 * abort. */
cosma_status_t cosma_milp_solve(cosma_milp_t *milp, const cosma_milp_options_t *options,
                                cosma_milp_result_t *out_result, cosma_diag_t *diag);

/* Writes the model as CPLEX LP (".lp") or free MPS (".mps", by suffix). */
cosma_status_t cosma_milp_write(cosma_milp_t *milp, const char *path, cosma_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_ILP_H */
