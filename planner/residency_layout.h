/* residency_layout.h: the uses and gaps of every tensor in a fixed order,
 * shared by the residency ILP (residency.c) and the placement that splits
 * what does not fit (split.c).  Internal to the planner. */
#ifndef COSMA_RESIDENCY_LAYOUT_H
#define COSMA_RESIDENCY_LAYOUT_H

#include "planner_internal.h"

/* The time between two consecutive distinct uses of a tensor (its
 * producer's step or a reader's): kept resident, or evicted after the
 * first use and loaded again at the second. */
typedef struct {
    int32_t tensor;
    int32_t from, to; /* the uses around the gap: interior is from+1..to-1 */
} cosma_gap_t;

/* A gap between uses at adjacent steps covers no step: keeping it costs no
 * capacity, evicting it is a relocation. */
static inline int gap_is_adjacent(const cosma_gap_t *gap)
{
    return gap->to - gap->from == 1;
}

typedef struct {
    const cosma_problem_t *problem;
    int32_t n_steps;
    int32_t *step;        /* per op */
    int32_t *use_start;   /* per tensor, CSR of its use steps, sorted (a step may repeat) */
    int32_t *uses;
    cosma_gap_t *gaps;    /* by tensor, then by step */
    int32_t n_gaps;
    uint64_t *base;       /* per step (1-based): working set */
} cosma_layout_t;

/* The uses and gaps of every tensor of the problem in an order.
 * COSMA_ERR_NOMEM; the layout is then still safe to free. */
cosma_status_t cosma_layout_build(const cosma_problem_t *problem, const int32_t *order, cosma_layout_t *layout);
void cosma_layout_free(cosma_layout_t *layout);

/* Cost of a keep/evict choice (keep[g] per gap): a reload per evicted
 * gap, one spill per activation with an evicted gap. */
uint64_t cosma_layout_choice_cost(const cosma_layout_t *layout, const unsigned char *keep);

/* Placement that may split: places the intervals of keep[] within the
 * budget, and where one does not fit whole, places the longest run of
 * its uses that fits and evicts the tensor after it (keep[] changes; it
 * comes back at its next use, maybe at another offset).  Several greedy
 * orders are tried, each followed by merging the pieces of a tensor again
 * wherever placement leaves room; the cheapest result is kept.  Returns 1
 * with keep[] updated and out_offsets[i] the offset of the i-th interval
 * of keep[] in the order residency.c builds them (by tensor, then step),
 * 0 when no order placed (keep[] unchanged), -1 when out of memory. */
int cosma_split_place(const cosma_layout_t *layout, unsigned char *keep, uint64_t budget, uint64_t *out_offsets);

#endif /* COSMA_RESIDENCY_LAYOUT_H */
