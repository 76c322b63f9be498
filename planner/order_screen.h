/* order_screen.h: which operators of an order are worth moving when the
 * score is the capacity-relaxed traffic (the order local search of
 * plan.c).  Internal to the planner. */
#ifndef COSMA_ORDER_SCREEN_H
#define COSMA_ORDER_SCREEN_H

#include "planner_internal.h"

/* The order's hot steps: those whose zero-spill live bytes (every planned
 * tensor resident from its first to its last use) exceed the budget.  Only
 * there does the relaxed residency pay traffic, so a move whose reach
 * covers no hot step is not scored. */
typedef struct {
    const cosma_problem_t *problem;
    uint64_t budget;
    int32_t reach;
    int32_t *order;     /* the order described */
    int32_t *position;  /* per op: its index in the order */
    int32_t *hot_below; /* n_ops + 1 entries: hot steps at indexes < k */
    unsigned char *hot_tensor; /* per tensor: live at some hot step */
    int32_t *first, *last;
    uint64_t *delta;    /* n_ops + 1 entries: live bytes' differences */
    uint64_t *delta_host; /* the same for tensors with a host copy */
} cosma_order_screen_t;

/* COSMA_ERR_NOMEM; on success screen describes order. */
cosma_status_t cosma_order_screen_init(cosma_order_screen_t *screen, const cosma_problem_t *problem,
                                       const int32_t *order, uint64_t budget, int32_t reach);
void cosma_order_screen_free(cosma_order_screen_t *screen);
/* Describes order (after a kept move). */
void cosma_order_screen_update(cosma_order_screen_t *screen, const int32_t *order);
/* 1 when some hot step lies within reach of op's index. */
int cosma_order_screen_movable(const cosma_order_screen_t *screen, int32_t op);
/* 1 when op reads or writes a tensor live at a hot step: only moving
 * such an operator far (a block move) can change what the hot steps
 * evict. */
int cosma_order_screen_touches_hot(const cosma_order_screen_t *screen, int32_t op);
/* 1 when trial differs from the screen's order somewhere around a hot
 * step.  A trial that differs only between hot steps keeps the live bytes
 * of every hot step and every tensor's uses on the same sides of them, so
 * its relaxed traffic can only be the same or (a new hot step) higher. */
int cosma_order_screen_worth(const cosma_order_screen_t *screen, const int32_t *trial);
/* A lower bound on the capacity-relaxed traffic of any order (not only the
 * screen's): at each step the live bytes above the budget are evicted and
 * read back later, an activation also written out first (it has no host
 * copy); the largest over the steps.  Uses the screen's scratch only. */
uint64_t cosma_order_screen_excess(cosma_order_screen_t *screen, const int32_t *order);

#endif
