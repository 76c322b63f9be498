/* order_subtrees.h: subtree moves for the order local search: an operator
 * moved far together with everything between it and the target that
 * depends on it (delayed), or with everything between the target and it
 * that it depends on (advanced).  Internal to the planner. */
#ifndef COSMA_ORDER_SUBTREES_H
#define COSMA_ORDER_SUBTREES_H

#include "planner_internal.h"

/* trial = order with the operator at i delayed to just after index j > i,
 * together with its descendants among order[i..j]; or (j < i) advanced to
 * just before index j, together with its ancestors among order[j..i].
 * The others keep their relative order, so trial is topological when
 * order is.  mark: n_ops bytes of zeroed scratch, zeroed again on return.
 * Returns the number of operators moved. */
int32_t cosma_order_subtree_move(const cosma_problem_t *problem, const int32_t *order, int32_t i, int32_t j,
                                 unsigned char *mark, int32_t *trial);

/* First-improvement search over subtree moves with search's score and
 * callbacks (reach and movable are not used): the operator at each step
 * whose zero-spill live bytes exceed budget, the largest excess first, is
 * delayed, then advanced, by 2, 3, 4, 6, 8, 12, ... positions (at most
 * max_targets of them per direction).  max_moves counts every trial order
 * scored.  Same contract as cosma_order_local_search. */
cosma_status_t cosma_order_subtree_search(const cosma_problem_t *problem, int32_t *order, uint64_t budget,
                                          const cosma_order_search_t *search, int32_t max_targets,
                                          uint64_t *inout_score, int *out_changed);

#endif
