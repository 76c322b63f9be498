/* order_sources.h: source moves for the planner's exact-score order pass:
 * the descendants of an operator that reads only parameters or graph
 * inputs, moved past an operator that feeds them.  Internal to the
 * planner. */
#ifndef COSMA_ORDER_SOURCES_H
#define COSMA_ORDER_SOURCES_H

#include "planner_internal.h"

/* First-improvement search over source moves with search's score and
 * callbacks (reach and movable are not used): each source (an operator
 * without predecessors), the latest first, with at most max_targets of
 * the operators that feed its descendants and come after it, the nearest
 * first.  A trial moves the source, the sources that share its
 * descendants there, and every descendant of theirs that comes before the
 * target, to just after the target; the others keep their relative order,
 * so the trial is topological when order is.  max_moves counts every
 * trial order scored.  Same contract as cosma_order_local_search. */
cosma_status_t cosma_order_source_search(const cosma_problem_t *problem, int32_t *order,
                                         const cosma_order_search_t *search, int32_t max_targets,
                                         uint64_t *inout_score, int *out_changed);

#endif
