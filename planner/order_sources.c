/* order_sources.c: source moves for the exact-score order pass
 * (order_sources.h).  A source (a Split or Transpose of a parameter) can
 * run anywhere before its first reader, and so can the part of its
 * descendants that reads nothing else made late.  Where that part runs
 * decides which large tensors share a step, and the differences are often
 * a few bytes of fragmentation that only the exact residency (placement
 * included) sees.  The Transformer at M_Rp is the example: each decoder
 * layer's cross-attention weight and bias Splits, with the key and value
 * projections of the encoder output they feed, run either early (where
 * the minimum-peak order puts them) or right after the layer's
 * self-attention LayerNorm; moving them late in every other layer lowers
 * the plan from 1,122,992 to 1,122,977 bytes, the proven bound
 * (bench/split_orders.py lists all 64 choices).  Moving one Split without
 * the other costs more than it saves (the bias slices then stay live
 * across the layer), which is why a trial takes the sources that share
 * descendants before the target with it.  The moves only propose orders:
 * the caller scores them, so nothing here touches a bound.  The work is
 * fixed (the search's trial limit), the clock only a guard. */
#include <stdlib.h>
#include <string.h>

#include "order_sources.h"

typedef struct {
    const cosma_problem_t *problem;
    int32_t *order;       /* the order being improved */
    int32_t *trial;
    int32_t *pos;         /* per operator: its index in order */
    unsigned char *mark;  /* per operator: moved with the seeds */
    unsigned char *taken; /* per operator: already a target of this source */
    int32_t *seeds;       /* the sources moved together */
    int32_t *targets;     /* feeders of one source's descendants */
    int32_t *sources;     /* every source, the latest first */
    int32_t n_sources;
} source_search_t;

static void note_positions(source_search_t *s)
{
    for (int32_t i = 0; i < s->problem->n_ops; i++)
        s->pos[s->order[i]] = i;
}

/* The earliest index of a seed. */
static int32_t seeds_start(const source_search_t *s, int32_t n_seeds)
{
    int32_t lo = s->problem->n_ops;
    for (int32_t k = 0; k < n_seeds; k++)
        if (s->pos[s->seeds[k]] < lo)
            lo = s->pos[s->seeds[k]];
    return lo;
}

/* Marks the seeds and their descendants among order[lo..last]: an
 * operator with a marked producer (producers come first in order). */
static void mark_descendants(source_search_t *s, int32_t n_seeds, int32_t last)
{
    const cosma_problem_t *p = s->problem;
    memset(s->mark, 0, (size_t)p->n_ops);
    for (int32_t k = 0; k < n_seeds; k++)
        s->mark[s->seeds[k]] = 1;
    for (int32_t i = seeds_start(s, n_seeds) + 1; i <= last; i++) {
        int32_t op = s->order[i];
        for (int32_t e = p->pred_start[op]; e < p->pred_start[op + 1] && !s->mark[op]; e++)
            s->mark[op] = s->mark[p->preds[e]];
    }
}

/* The `wanted` earliest of ops[0..n) (by position) to its front, in
 * position order: a partial selection, `wanted` passes over the rest
 * (positions are distinct, so the result is the same on every machine). */
static void select_nearest(int32_t *ops, int32_t n, int32_t wanted, const int32_t *pos)
{
    for (int32_t i = 0; i < wanted && i < n; i++) {
        int32_t best = i;
        for (int32_t k = i + 1; k < n; k++)
            if (pos[ops[k]] < pos[ops[best]])
                best = k;
        int32_t t = ops[i];
        ops[i] = ops[best];
        ops[best] = t;
    }
}

/* The targets of source op: operators that are not sources, not its
 * descendants, come after it and feed one of its descendants, with a
 * descendant between it and them (else the move is only the source's
 * own, which the relieved candidate order covers), the nearest first, at
 * most max_targets.  Returns how many. */
static int32_t source_targets(source_search_t *s, int32_t op, int32_t max_targets)
{
    const cosma_problem_t *p = s->problem;
    int32_t n = p->n_ops, count = 0, first_descendant = n;
    s->seeds[0] = op;
    mark_descendants(s, 1, n - 1);
    for (int32_t i = s->pos[op] + 1; i < n; i++) {
        int32_t d = s->order[i];
        if (!s->mark[d])
            continue;
        if (first_descendant == n)
            first_descendant = i;
        for (int32_t e = p->pred_start[d]; e < p->pred_start[d + 1]; e++) {
            int32_t f = p->preds[e];
            if (s->mark[f] || s->taken[f] || cosma_problem_op_is_source(p, f) || s->pos[f] <= first_descendant)
                continue;
            s->taken[f] = 1;
            s->targets[count++] = f;
        }
    }
    for (int32_t k = 0; k < count; k++)
        s->taken[s->targets[k]] = 0;
    select_nearest(s->targets, count, max_targets, s->pos);
    return count < max_targets ? count : max_targets;
}

/* Whether source op shares a descendant before target with the marked
 * set: one of its readers before the target is marked. */
static int shares_marked(const source_search_t *s, int32_t op, int32_t target)
{
    const cosma_problem_t *p = s->problem;
    for (int32_t e = p->succ_start[op]; e < p->succ_start[op + 1]; e++)
        if (s->mark[p->succs[e]] && s->pos[p->succs[e]] < s->pos[target])
            return 1;
    return 0;
}

/* The seeds for moving op past target: op, then every source before the
 * target that shares descendants there with those already taken, unless
 * the target depends on it.  Leaves the seeds' descendants up to the
 * target marked; returns how many seeds, 0 when the target depends on op. */
static int32_t gather_seeds(source_search_t *s, int32_t op, int32_t target)
{
    int32_t n_seeds = 1, last = s->pos[target];
    s->seeds[0] = op;
    mark_descendants(s, n_seeds, last);
    if (s->mark[target])
        return 0;
    for (int grew = 1; grew;) {
        grew = 0;
        for (int32_t k = 0; k < s->n_sources; k++) {
            int32_t other = s->sources[k];
            if (s->mark[other] || s->pos[other] > last || !shares_marked(s, other, target))
                continue;
            s->seeds[n_seeds] = other;
            mark_descendants(s, n_seeds + 1, last);
            if (s->mark[target]) { /* the target reads it: it stays */
                mark_descendants(s, n_seeds, last);
                continue;
            }
            n_seeds++;
            grew = 1;
        }
    }
    return n_seeds;
}

/* trial = order with the marked operators before target moved to just
 * after it.  Returns 0 when that is order itself. */
static int build_trial(source_search_t *s, int32_t n_seeds, int32_t target)
{
    int32_t n = s->problem->n_ops, lo = seeds_start(s, n_seeds), last = s->pos[target], m = lo;
    memcpy(s->trial, s->order, (size_t)lo * sizeof(int32_t));
    for (int pass = 0; pass < 2; pass++)
        for (int32_t i = lo; i <= last; i++)
            if (s->mark[s->order[i]] == pass) /* the target is not marked: it goes first */
                s->trial[m++] = s->order[i];
    memcpy(s->trial + m, s->order + m, (size_t)(n - m) * sizeof(int32_t));
    return memcmp(s->trial, s->order, (size_t)n * sizeof(int32_t)) != 0;
}

static int search_over(const cosma_order_search_t *search, int64_t moves, uint64_t score)
{
    return moves >= search->max_moves || score <= search->target || cosma_clock_seconds() >= search->deadline;
}

/* Tries op moved past each of its targets; keeps the first trial that
 * scores lower. */
static cosma_status_t source_try(source_search_t *s, const cosma_order_search_t *search, int32_t op,
                                 int32_t max_targets, uint64_t *inout_score, int64_t *inout_moves, int *out_kept)
{
    int32_t n_targets = source_targets(s, op, max_targets);
    *out_kept = 0;
    for (int32_t k = 0; k < n_targets && !search_over(search, *inout_moves, *inout_score); k++) {
        int32_t target = s->targets[k], n_seeds = gather_seeds(s, op, target);
        if (n_seeds == 0 || !build_trial(s, n_seeds, target))
            continue;
        (*inout_moves)++;
        uint64_t score = UINT64_MAX;
        cosma_status_t status = search->score(search->ctx, s->trial, &score);
        if (status != COSMA_OK)
            return status;
        if (score < *inout_score) {
            memcpy(s->order, s->trial, (size_t)s->problem->n_ops * sizeof(int32_t));
            note_positions(s);
            *inout_score = score;
            *out_kept = 1;
            return search->accepted != NULL ? search->accepted(search->ctx, s->order) : COSMA_OK;
        }
    }
    return COSMA_OK;
}

cosma_status_t cosma_order_source_search(const cosma_problem_t *problem, int32_t *order,
                                         const cosma_order_search_t *search, int32_t max_targets,
                                         uint64_t *inout_score, int *out_changed)
{
    int32_t n = problem->n_ops;
    *out_changed = 0;
    source_search_t s = {.problem = problem, .order = order};
    s.trial = malloc(((size_t)n + 1) * sizeof(int32_t));
    s.pos = malloc(((size_t)n + 1) * sizeof(int32_t));
    s.mark = malloc((size_t)n + 1);
    s.taken = calloc((size_t)n + 1, 1);
    s.seeds = malloc(((size_t)n + 1) * sizeof(int32_t));
    s.targets = malloc(((size_t)n + 1) * sizeof(int32_t));
    s.sources = malloc(((size_t)n + 1) * sizeof(int32_t));
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (s.trial == NULL || s.pos == NULL || s.mark == NULL || s.taken == NULL || s.seeds == NULL ||
        s.targets == NULL || s.sources == NULL)
        goto done;
    status = COSMA_OK;
    note_positions(&s);
    for (int32_t i = n - 1; i >= 0; i--) /* the latest first */
        if (cosma_problem_op_is_source(problem, order[i]))
            s.sources[s.n_sources++] = order[i];
    int64_t moves = 0;
    for (int32_t k = 0; k < s.n_sources && status == COSMA_OK && !search_over(search, moves, *inout_score); k++) {
        int kept = 0;
        status = source_try(&s, search, s.sources[k], max_targets, inout_score, &moves, &kept);
        *out_changed |= kept;
    }
done:
    free(s.trial);
    free(s.pos);
    free(s.mark);
    free(s.taken);
    free(s.seeds);
    free(s.targets);
    free(s.sources);
    return status;
}
