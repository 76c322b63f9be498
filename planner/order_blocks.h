/* order_blocks.h: block moves for the order local search: a chain of
 * operators (an operator with the consumers that only it feeds, or with
 * the producers that only feed it) moved as one, as far as its dependencies
 * allow.  Internal to the planner. */
#ifndef COSMA_ORDER_BLOCKS_H
#define COSMA_ORDER_BLOCKS_H

#include "planner_internal.h"

/* First-improvement search over block moves with search's score and
 * callbacks (reach is not used: a block goes anywhere its dependencies
 * allow, at most max_targets places tried per block and direction; a block
 * is tried when movable says so of one of its operators).  max_moves counts every trial order built.  Same contract
 * as cosma_order_local_search. */
cosma_status_t cosma_order_block_search(const cosma_problem_t *problem, int32_t *order,
                                        const cosma_order_search_t *search, int32_t max_targets,
                                        uint64_t *inout_score, int *out_changed);

#endif
