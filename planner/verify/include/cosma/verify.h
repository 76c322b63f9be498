/* verify.h: the independent plan verifier, a library of its own that
 * depends on ir only (no solver), so a runtime can check a plan before it
 * runs it. */
#ifndef COSMA_VERIFY_H
#define COSMA_VERIFY_H

#include <cosma/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Replays a plan against its graph, independently of how it was made (and
 * of cosma_schedule_build), and checks every rule of the model (see
 * docs/plan-format.md).  Returns COSMA_OK and the recomputed traffic, or
 * COSMA_ERR_INPUT with the first violated rule reported through diag. */
cosma_status_t cosma_plan_verify(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                 cosma_traffic_t *out_traffic, cosma_diag_t *diag);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_VERIFY_H */
