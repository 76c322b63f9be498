/* candidates.c: candidate orders that the planner's first strategy
 * (strategy_candidate_orders in plan.c) solves besides the minimum-peak
 * and the default order.
 *
 * The relieved order (cosma_candidate_relieved_order): operators moved one
 * at a time, each as late as its readers allow (sunk) or as early as its
 * producers allow (hoisted), wherever that lowers the live bytes above the
 * budget summed over the steps (then the live bytes summed).  Why sink: an
 * operator that reads only parameters or graph inputs (a "source": a Split
 * or Transpose of a weight) can run anywhere before its first reader, and
 * an exported graph often lists it early, so that its outputs are live,
 * and evicted, across steps that have no byte to spare (the Transformer's
 * cross-attention bias Split: its slices were spilled at the full step of
 * the weight Transpose in every decoder layer).  A source is sunk together
 * with the reader it feeds first, so that a reader whose own move changes
 * nothing (the Q bias Add) can take the Split past the full step with it.
 * Why hoist: an operator that frees more than it makes live (a NAS cell's
 * pooling or Add of large inputs) relieves every step it jumps over.  The
 * result is only an order: the planner solves its residency like any
 * other and keeps it when cheaper, so nothing here touches a bound.  Each
 * kept move lowers the score, so the construction ends; its work is fixed
 * (operand visits of the live-bytes profiles), never the clock. */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

/* Sweeps over the order, each trying every operator once; a sweep that
 * moves nothing ends the construction earlier. */
enum { RELIEVE_SWEEPS = 4 };

/* Operand visits the profiles may take in all (the fixed work): about
 * 3,500 per profile on the bundled Transformer (693 operators), so it
 * gets every sweep; a 5,000-operator graph (about 25,000 a profile) about
 * 8,000 tried moves, less than one sweep. */
#define RELIEVE_WORK INT64_C(200000000)

/* The live-bytes profile's summary an order is judged by: the bytes above
 * the budget summed over the steps (what residency must evict), then the
 * live bytes summed over the steps (less is better with the same excess). */
typedef struct {
    uint64_t excess, live;
} relieve_score_t;

typedef struct {
    const cosma_problem_t *problem;
    uint64_t budget;
    int32_t *order;   /* the order being improved */
    int32_t *trial;   /* a move of it */
    int32_t *pos;     /* position of every operator in order */
    int32_t *first, *last; /* per tensor: first and last step touching it (0: none) */
    uint64_t *diff;   /* n_ops + 1 entries: the profile's differences */
    int32_t *group;   /* the operators moved together */
    int32_t *sweep;   /* the order as a sweep began */
    relieve_score_t score; /* of order */
    int64_t work_left;
} relieve_t;

static int relieve_score_less(relieve_score_t a, relieve_score_t b)
{
    return a.excess < b.excess || (a.excess == b.excess && a.live < b.live);
}

/* The profile of an order: a tensor is live from the first step that
 * touches it to the last (cosma_order_live_deltas); the sums wrap modulo
 * 2^64 in between and are exact at the end. */
static relieve_score_t relieve_profile(relieve_t *s, const int32_t *order)
{
    const cosma_problem_t *p = s->problem;
    int32_t n = p->n_ops;
    cosma_order_live_deltas(p, order, s->first, s->last, s->diff, NULL);
    relieve_score_t score = {0, 0};
    uint64_t live = 0;
    for (int32_t k = 0; k < n; k++) {
        live += s->diff[k];
        score.live += live;
        if (live > s->budget)
            score.excess += live - s->budget;
    }
    s->work_left -= (int64_t)n + p->n_tensors + p->operand_start[n];
    return score;
}

/* The earliest position of a reader of op other than `except`; n_ops when
 * it has none. */
static int32_t first_reader(const relieve_t *s, int32_t op, int32_t except)
{
    const cosma_problem_t *p = s->problem;
    int32_t j = p->n_ops;
    for (int32_t k = p->succ_start[op]; k < p->succ_start[op + 1]; k++)
        if (p->succs[k] != except && s->pos[p->succs[k]] < j)
            j = s->pos[p->succs[k]];
    return j;
}

/* The group moved with op: the sources whose first reader it is (in their
 * order), then op itself.  Returns its size; *out_target: the earliest
 * position of a reader of the group outside it. */
static int32_t sink_group(relieve_t *s, int32_t op, int32_t *out_target)
{
    const cosma_problem_t *p = s->problem;
    int32_t size = 0, target = first_reader(s, op, -1);
    for (int32_t k = p->pred_start[op]; k < p->pred_start[op + 1]; k++) {
        int32_t source = p->preds[k];
        if (cosma_problem_op_is_source(p, source) && first_reader(s, source, -1) == s->pos[op]) {
            s->group[size++] = source;
            int32_t other = first_reader(s, source, op);
            if (other < target)
                target = other;
        }
    }
    /* Sources in order positions: the move keeps their relative order. */
    for (int32_t i = 1; i < size; i++)
        for (int32_t k = i; k > 0 && s->pos[s->group[k - 1]] > s->pos[s->group[k]]; k--) {
            int32_t t = s->group[k];
            s->group[k] = s->group[k - 1];
            s->group[k - 1] = t;
        }
    s->group[size++] = op;
    *out_target = target;
    return size;
}

/* trial = order with the group moved to just before position target. */
static void sink_build_trial(relieve_t *s, int32_t group_size, int32_t target)
{
    int32_t n = s->problem->n_ops, m = 0;
    for (int32_t k = 0; k < n; k++) {
        int32_t op = s->order[k];
        if (k == target)
            for (int32_t g = 0; g < group_size; g++)
                s->trial[m++] = s->group[g];
        int in_group = 0;
        for (int32_t g = 0; g < group_size && !in_group; g++)
            in_group = s->group[g] == op;
        if (!in_group)
            s->trial[m++] = op;
    }
}

/* Keeps the trial when its profile is better than the order's. */
static int relieve_keep_if_better(relieve_t *s)
{
    const cosma_problem_t *p = s->problem;
    relieve_score_t score = relieve_profile(s, s->trial);
    if (!relieve_score_less(score, s->score))
        return 0;
    memcpy(s->order, s->trial, (size_t)p->n_ops * sizeof(int32_t));
    for (int32_t k = 0; k < p->n_ops; k++)
        s->pos[s->order[k]] = k;
    s->score = score;
    return 1;
}

/* Tries to move op (and its group) to just before its first reader; keeps
 * the move when the profile improves.  Returns 1 if it moved. */
static int sink_try(relieve_t *s, int32_t op)
{
    const cosma_problem_t *p = s->problem;
    int32_t target, size;
    if (cosma_problem_op_is_source(p, op)) {
        s->group[0] = op;
        size = 1;
        target = first_reader(s, op, -1);
    } else {
        size = sink_group(s, op, &target);
    }
    if (target >= p->n_ops || target <= s->pos[op] + 1)
        return 0; /* no reader, or already right before it */
    sink_build_trial(s, size, target);
    return relieve_keep_if_better(s);
}

/* Tries to move op to just after its last producer (a source stays: it
 * has none, and the start is where sinking took it from); keeps the move
 * when the profile improves.  Returns 1 if it moved. */
static int hoist_try(relieve_t *s, int32_t op)
{
    const cosma_problem_t *p = s->problem;
    if (cosma_problem_op_is_source(p, op))
        return 0;
    int32_t target = 0;
    for (int32_t k = p->pred_start[op]; k < p->pred_start[op + 1]; k++)
        if (s->pos[p->preds[k]] + 1 > target)
            target = s->pos[p->preds[k]] + 1;
    if (target >= s->pos[op])
        return 0;
    int32_t m = 0;
    for (int32_t k = 0; k < p->n_ops; k++) {
        if (k == target)
            s->trial[m++] = op;
        if (s->order[k] != op)
            s->trial[m++] = s->order[k];
    }
    return relieve_keep_if_better(s);
}

/* One sweep: sinking, the last operator first (so that a reader has moved
 * before the operators that feed it are tried), the sources, then the
 * others; then hoisting, the first operator first.  Returns the moves
 * kept. */
static int32_t relieve_sweep(relieve_t *s)
{
    const cosma_problem_t *p = s->problem;
    int32_t moved = 0;
    for (int pass = 0; pass < 2; pass++) {
        /* Positions shift as operators move: the sweep goes over the order
         * as it was when the pass began. */
        memcpy(s->sweep, s->order, (size_t)p->n_ops * sizeof(int32_t));
        for (int32_t k = p->n_ops - 1; k >= 0 && s->work_left > 0; k--)
            if (cosma_problem_op_is_source(p, s->sweep[k]) == (pass == 0))
                moved += sink_try(s, s->sweep[k]);
    }
    memcpy(s->sweep, s->order, (size_t)p->n_ops * sizeof(int32_t));
    for (int32_t k = 0; k < p->n_ops && s->work_left > 0; k++)
        moved += hoist_try(s, s->sweep[k]);
    return moved;
}

cosma_status_t cosma_candidate_relieved_order(const cosma_problem_t *problem, const int32_t *order, uint64_t budget,
                                              int32_t *out_order, int *out_changed)
{
    int32_t n = problem->n_ops;
    *out_changed = 0;
    memcpy(out_order, order, (size_t)n * sizeof(int32_t));
    if (n == 0)
        return COSMA_OK;
    relieve_t s = {.problem = problem, .budget = budget, .order = out_order, .work_left = RELIEVE_WORK};
    s.trial = malloc((size_t)n * sizeof(int32_t));
    s.pos = malloc((size_t)n * sizeof(int32_t));
    s.group = malloc((size_t)n * sizeof(int32_t));
    s.sweep = malloc((size_t)n * sizeof(int32_t));
    s.first = malloc((size_t)(problem->n_tensors + 1) * sizeof(int32_t));
    s.last = malloc((size_t)(problem->n_tensors + 1) * sizeof(int32_t));
    s.diff = malloc((size_t)(n + 1) * sizeof(uint64_t));
    cosma_status_t status = COSMA_OK;
    if (s.trial == NULL || s.pos == NULL || s.group == NULL || s.sweep == NULL || s.first == NULL || s.last == NULL ||
        s.diff == NULL) {
        status = COSMA_ERR_NOMEM;
    } else {
        for (int32_t k = 0; k < n; k++)
            s.pos[out_order[k]] = k;
        s.score = relieve_profile(&s, out_order);
        int32_t moved = 1;
        for (int32_t sweep = 0; sweep < RELIEVE_SWEEPS && moved > 0 && s.work_left > 0; sweep++) {
            moved = relieve_sweep(&s);
            *out_changed |= moved > 0;
        }
    }
    free(s.trial);
    free(s.pos);
    free(s.group);
    free(s.sweep);
    free(s.first);
    free(s.last);
    free(s.diff);
    return status;
}
