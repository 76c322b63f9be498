/* oracle.h: an exhaustive exact solver for tiny planning instances and
 * brute-force M_R / M_P, written from docs/model.md, docs/design.md ("The
 * machine model as implemented") and docs/plan-format.md alone, never from
 * planner/, so that tests can check the planner against an independent
 * reading of the model.  Every optimum comes with a witness plan. */
#ifndef COSMA_TEST_ORACLE_H
#define COSMA_TEST_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include <cosma/ir.h>

/* Instance limits: masks are 32-bit and offsets are stored in one byte. */
#define ORACLE_MAX_OPS 16
#define ORACLE_MAX_TENSORS 32
#define ORACLE_MAX_BUDGET 254
#define ORACLE_MAX_OPERANDS 12

typedef enum {
    ORACLE_FOUND = 0, /* an optimum and its witness */
    ORACLE_NO_PLAN,   /* proven: no plan exists under the options */
    ORACLE_TOO_BIG,   /* outside the limits above or over max_states */
    ORACLE_NOMEM
} oracle_outcome_t;

typedef struct {
    cosma_mode_t mode;
    uint64_t budget_bytes;
    const int32_t *order; /* NULL: any topological order; else this one only */
    int allow_spill;      /* 0: no spills (drops and retrieves of tensors with a host copy stay allowed) */
    size_t max_states;    /* search states before giving up (ORACLE_TOO_BIG) */
} oracle_options_t;

void oracle_options_init(oracle_options_t *options);

typedef struct {
    oracle_outcome_t outcome;
    uint64_t traffic;      /* ORACLE_FOUND: the optimum, spill + retrieve bytes */
    cosma_plan_t *witness; /* ORACLE_FOUND: a plan with that traffic; the caller destroys it */
    size_t states;         /* search states created */
} oracle_result_t;

/* The minimum non-compulsory traffic over every plan of the model within
 * the options (orders x residencies x offsets, relocation included). */
oracle_outcome_t oracle_plan_solve(const cosma_graph_t *graph, const oracle_options_t *options,
                                   oracle_result_t *out_result);

/* oracle_plan_solve in any order with spills allowed, the witness
 * dropped: *out_traffic is the optimum when ORACLE_FOUND. */
oracle_outcome_t oracle_joint_optimum(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t budget_bytes,
                                      size_t max_states, uint64_t *out_traffic);

typedef struct {
    uint64_t m_r; /* largest sum of one operator's distinct planned operands */
    uint64_t m_p; /* min over topological orders of the peak of live bytes */
} oracle_bounds_t;

/* Brute force over every topological order (a DP over scheduled sets). */
oracle_outcome_t oracle_bounds_compute(const cosma_graph_t *graph, const cosma_mode_t *mode,
                                       oracle_bounds_t *out_bounds);

#endif
