/* split.c: placement of a residency that may split an interval.
 *
 * The residency ILP keeps intervals whose live bytes fit every step, but
 * fragmentation can leave no contiguous hole for some of them.  Instead
 * of evicting by capacity (which pays for bytes that fit), this placer
 * evicts exactly where placement fails: items are placed one by one in a
 * greedy order; an item that fits nowhere whole gets the offset, among
 * the free holes at its first use, where the longest run of its uses
 * fits, and the tensor leaves after that run and comes back at its next
 * use as a new item (a reload, and a spill the first time an activation
 * leaves).  Where no hole holds an item even at its first use, the
 * cheapest placed item that passes through that step unused and frees a
 * hole for it is evicted there instead.  Sizes descending come first, so
 * the items split are the small, cheap ones.  A merge pass then keeps a
 * tensor resident across an eviction wherever the placement leaves its
 * offset free, which also undoes evictions the ILP made for capacity that
 * the placement does not need.  Several greedy orders are tried, then
 * seeded changes aimed at the split items; the cheapest plan wins. */
#include <stdlib.h>
#include <string.h>

#include "residency_layout.h"

/* The greedy orders: GREEDY_KEYS sort keys, each with every hole rule
 * (fit_rule_t).  Merge passes stop after MERGE_PASSES. */
enum { GREEDY_KEYS = 4, MERGE_PASSES = 3 };
/* Perturbation rounds of the best greedy order, at most.  A sequence
 * costs about pieces^2 pair checks; all of them together at most
 * SPLIT_WORK, so large residencies get fewer rounds, and none of this when
 * even the greedy orders would exceed it. */
enum { PERTURB_ROUNDS = 400 };
#define SPLIT_WORK 4e8

/* A run of a tensor's distinct uses a..b (local indices) at one offset. */
typedef struct {
    int32_t tensor;
    int32_t a, b;
    int32_t first, last; /* steps of uses a and b */
    uint64_t bytes, offset;
    int alive;           /* 0: merged into the piece before it */
    int32_t origin;      /* the initial piece it comes from */
} piece_t;

typedef struct {
    uint64_t offset, end;
} hole_span_t;

/* Where a piece that fits whole goes. */
typedef enum { FIT_LOWEST = 0, FIT_BEST, FIT_TOP, FIT_RULES } fit_rule_t;

/* Distinct uses per tensor and the first gap of each (gaps of a tensor
 * are consecutive in the layout, between consecutive distinct uses). */
typedef struct {
    const cosma_layout_t *layout;
    uint64_t budget;
    int32_t *dstart;   /* per tensor, CSR into d */
    int32_t *d;        /* distinct use steps */
    int32_t *gbase;    /* per tensor: index of its first gap */
    unsigned char *keep;
    piece_t *pieces;   /* placed, in placement order */
    int32_t n_pieces;
    piece_t *initial;  /* the runs of the input keep[] */
    int32_t n_initial;
    int32_t *sequence, *scratch_sequence;
    unsigned char *rule; /* per initial piece: its hole rule (fit_rule_t) */
    int32_t *split;      /* the initial pieces split, in order */
    int32_t n_split;
    piece_t *pending;    /* pieces evicted, to be placed again */
    int32_t n_pending;
    int rounds;          /* perturbation rounds */
    hole_span_t *spans;
    int32_t *by_tensor; /* scratch for the merge pass */
} split_t;

static int uses_build(split_t *s)
{
    const cosma_layout_t *layout = s->layout;
    int32_t m = layout->problem->n_tensors;
    int32_t total = layout->use_start[m];
    s->dstart = malloc(((size_t)m + 1) * sizeof(int32_t));
    s->d = malloc(((size_t)total + 1) * sizeof(int32_t));
    s->gbase = malloc(((size_t)m + 1) * sizeof(int32_t));
    if (s->dstart == NULL || s->d == NULL || s->gbase == NULL)
        return -1;
    int32_t at = 0, g = 0;
    for (int32_t t = 0; t < m; t++) {
        s->dstart[t] = at;
        s->gbase[t] = g;
        for (int32_t k = layout->use_start[t]; k < layout->use_start[t + 1]; k++)
            if (at == s->dstart[t] || layout->uses[k] > s->d[at - 1])
                s->d[at++] = layout->uses[k];
        if (at > s->dstart[t])
            g += at - s->dstart[t] - 1;
    }
    s->dstart[m] = at;
    return g == layout->n_gaps ? 0 : -1;
}

static piece_t make_piece(const split_t *s, int32_t t, int32_t a, int32_t b)
{
    const int32_t *d = s->d + s->dstart[t];
    return (piece_t){t, a, b, d[a], d[b], s->layout->problem->size[t], 0, 1, -1};
}

/* The runs of kept gaps of keep[]: the intervals residency.c builds. */
static void initial_pieces(split_t *s, const unsigned char *keep)
{
    int32_t m = s->layout->problem->n_tensors;
    s->n_initial = 0;
    for (int32_t t = 0; t < m; t++) {
        int32_t n_uses = s->dstart[t + 1] - s->dstart[t];
        for (int32_t a = 0; a < n_uses;) {
            int32_t b = a;
            while (b + 1 < n_uses && keep[s->gbase[t] + b])
                b++;
            s->initial[s->n_initial] = make_piece(s, t, a, b);
            s->initial[s->n_initial].origin = s->n_initial;
            s->n_initial++;
            a = b + 1;
        }
    }
}

static int compare_spans(const void *x, const void *y)
{
    const hole_span_t *p = x, *q = y;
    if (p->offset != q->offset)
        return p->offset < q->offset ? -1 : 1;
    return (p->end > q->end) - (p->end < q->end);
}

/* Spans of the placed pieces live during steps lo..hi, sorted. */
static int32_t spans_between(split_t *s, int32_t lo, int32_t hi)
{
    int32_t n = 0;
    for (int32_t i = 0; i < s->n_pieces; i++)
        if (s->pieces[i].first <= hi && lo <= s->pieces[i].last)
            s->spans[n++] = (hole_span_t){s->pieces[i].offset, s->pieces[i].offset + s->pieces[i].bytes};
    qsort(s->spans, (size_t)n, sizeof(hole_span_t), compare_spans);
    return n;
}

/* The holes below the budget between sorted spans, one at a time:
 * returns 1 with [*out_lo, *out_hi) for hole k, 0 past the last. */
static int hole_at(const split_t *s, int32_t n_spans, int32_t *inout_k, uint64_t *inout_cursor, uint64_t *out_lo,
                   uint64_t *out_hi)
{
    while (*inout_k <= n_spans) {
        int32_t k = (*inout_k)++;
        uint64_t end = k < n_spans && s->spans[k].offset < s->budget ? s->spans[k].offset : s->budget;
        uint64_t lo = *inout_cursor;
        if (k < n_spans && s->spans[k].end > *inout_cursor)
            *inout_cursor = s->spans[k].end;
        if (lo < end) {
            *out_lo = lo;
            *out_hi = end;
            return 1;
        }
    }
    return 0;
}

/* A hole for the whole piece by the rule: the lowest hole's bottom, the
 * smallest hole's bottom, or the highest hole's top. */
static int whole_fit(split_t *s, const piece_t *p, int rule, uint64_t *out_offset)
{
    int32_t n_spans = spans_between(s, p->first, p->last), k = 0;
    uint64_t cursor = 0, lo, hi, best_size = UINT64_MAX;
    int found = 0;
    while (hole_at(s, n_spans, &k, &cursor, &lo, &hi)) {
        if (hi - lo < p->bytes || (found && rule == FIT_BEST && hi - lo >= best_size))
            continue;
        *out_offset = rule == FIT_TOP ? hi - p->bytes : lo;
        best_size = hi - lo;
        found = 1;
        if (rule == FIT_LOWEST)
            break;
    }
    return found;
}

/* The last use of p that stays free at `offset` (p is free there at its
 * first use): the use before the first step where a placed piece
 * overlaps. */
static int32_t reach_at(const split_t *s, const piece_t *p, uint64_t offset)
{
    int32_t conflict = p->last + 1;
    for (int32_t i = 0; i < s->n_pieces; i++) {
        const piece_t *q = &s->pieces[i];
        if (q->offset < offset + p->bytes && offset < q->offset + q->bytes && q->last >= p->first &&
            q->first <= p->last) {
            int32_t step = q->first > p->first ? q->first : p->first;
            if (step < conflict)
                conflict = step;
        }
    }
    const int32_t *d = s->d + s->dstart[p->tensor];
    int32_t b = p->a;
    while (b < p->b && d[b + 1] < conflict)
        b++;
    return b;
}

/* The offset, among the holes at p's first use, where the longest run of
 * its uses fits (both ends of each hole are tried; ties: the lowest).
 * Returns that run's last use, or -1 when no hole holds p at all. */
static int32_t longest_run(split_t *s, const piece_t *p, uint64_t *out_offset)
{
    int32_t n_spans = spans_between(s, p->first, p->first), k = 0, best = -1;
    uint64_t cursor = 0, lo, hi;
    while (hole_at(s, n_spans, &k, &cursor, &lo, &hi)) {
        if (hi - lo < p->bytes)
            continue;
        uint64_t candidates[2] = {lo, hi - p->bytes};
        for (int c = 0; c < 2; c++) {
            int32_t b = reach_at(s, p, candidates[c]);
            if (b > best) {
                best = b;
                *out_offset = candidates[c];
            }
        }
    }
    return best;
}

/* Records that a piece of initial piece `origin` was split. */
static void note_split(split_t *s, int32_t origin)
{
    if (s->n_split == 0 || s->split[s->n_split - 1] != origin)
        s->split[s->n_split++] = origin;
}

/* What evicting a piece of tensor t costs: its reload, and its spill when
 * it is an activation that has no host copy yet. */
static uint64_t eviction_cost(const split_t *s, int32_t t)
{
    uint64_t bytes = s->layout->problem->size[t];
    if (s->layout->problem->graph->tensors[t].kind != COSMA_TENSOR_ACTIVATION)
        return bytes;
    int32_t n_gaps = s->dstart[t + 1] - s->dstart[t] - 1;
    for (int32_t g = 0; g < n_gaps; g++)
        if (!s->keep[s->gbase[t] + g])
            return bytes;
    return 2 * bytes;
}

/* The free bytes around placed piece q at a step (spans sorted, q among
 * them) as one hole: [*out_lo, *out_hi) once q leaves. */
static void hole_around(const split_t *s, int32_t n_spans, const piece_t *q, uint64_t *out_lo, uint64_t *out_hi)
{
    uint64_t lo = 0, hi = s->budget;
    for (int32_t k = 0; k < n_spans; k++) {
        if (s->spans[k].end <= q->offset && s->spans[k].end > lo)
            lo = s->spans[k].end;
        if (s->spans[k].offset >= q->offset + q->bytes && s->spans[k].offset < hi)
            hi = s->spans[k].offset;
    }
    *out_lo = lo;
    *out_hi = hi;
}

/* No hole holds p at its first use: evicts there the cheapest placed
 * piece that is resident at that step without being used by it and whose
 * bytes, with the free space around them, hold p.  The victim keeps its
 * uses before that step; the rest is pushed to be placed again.  Returns
 * 1 when one was evicted.  Each eviction empties one kept gap, so the
 * evictions of one sequence are finite. */
static int evict_for(split_t *s, const piece_t *p)
{
    int32_t step = p->first, victim = -1, victim_j = -1;
    uint64_t victim_cost = UINT64_MAX;
    int32_t n_spans = spans_between(s, step, step);
    for (int32_t i = 0; i < s->n_pieces; i++) {
        const piece_t *q = &s->pieces[i];
        if (q->first >= step || q->last < step)
            continue;
        const int32_t *d = s->d + s->dstart[q->tensor];
        int32_t j = q->a;
        while (d[j + 1] < step) /* q->last >= step, so j < q->b */
            j++;
        if (d[j + 1] == step)
            continue; /* an operand of this step */
        uint64_t lo, hi, cost = eviction_cost(s, q->tensor);
        hole_around(s, n_spans, q, &lo, &hi);
        if (hi - lo >= p->bytes && cost < victim_cost) {
            victim = i;
            victim_j = j;
            victim_cost = cost;
        }
    }
    if (victim < 0)
        return 0;
    piece_t *q = &s->pieces[victim];
    piece_t rest = make_piece(s, q->tensor, victim_j + 1, q->b);
    rest.origin = q->origin;
    s->keep[s->gbase[q->tensor] + victim_j] = 0;
    q->b = victim_j;
    q->last = s->d[s->dstart[q->tensor] + victim_j];
    note_split(s, q->origin);
    s->pending[s->n_pending++] = rest;
    return 1;
}

/* Places p, splitting it where it does not fit whole and evicting for it
 * where no hole holds it, then whatever was evicted: 1 placed, 0 a use
 * fits nowhere. */
static int place_piece(split_t *s, piece_t p)
{
    s->n_pending = 0;
    s->pending[s->n_pending++] = p;
    while (s->n_pending > 0) {
        p = s->pending[--s->n_pending];
        int rule = s->rule[p.origin];
        for (;;) {
            uint64_t offset = 0;
            if (whole_fit(s, &p, rule, &offset)) {
                p.offset = offset;
                s->pieces[s->n_pieces++] = p;
                break;
            }
            int32_t b = longest_run(s, &p, &offset);
            if (b < 0) {
                if (!evict_for(s, &p))
                    return 0;
                continue;
            }
            piece_t head = make_piece(s, p.tensor, p.a, b);
            head.offset = offset;
            head.origin = p.origin;
            s->pieces[s->n_pieces++] = head;
            if (b == p.b)
                break;
            s->keep[s->gbase[p.tensor] + b] = 0;
            note_split(s, p.origin);
            piece_t rest = make_piece(s, p.tensor, b + 1, p.b);
            rest.origin = p.origin;
            p = rest;
        }
    }
    return 1;
}

/* Whether [offset, offset + bytes) is free during steps lo..hi, ignoring
 * pieces x and y. */
static int free_during(const split_t *s, uint64_t offset, uint64_t bytes, int32_t lo, int32_t hi, int32_t x, int32_t y)
{
    for (int32_t i = 0; i < s->n_pieces; i++) {
        const piece_t *q = &s->pieces[i];
        if (i == x || i == y || !q->alive)
            continue;
        if (q->first <= hi && lo <= q->last && q->offset < offset + bytes && offset < q->offset + q->bytes)
            return 0;
    }
    return 1;
}

static int compare_by_tensor(const void *ctx, int32_t i, int32_t j)
{
    const piece_t *p = &((const piece_t *)ctx)[i], *q = &((const piece_t *)ctx)[j];
    if (p->tensor != q->tensor)
        return p->tensor < q->tensor ? -1 : 1;
    return (p->a > q->a) - (p->a < q->a);
}

/* Keeps a tensor resident across an eviction wherever one of its two
 * pieces' offsets stays free for the other's steps and the gap between. */
static void merge_pieces(split_t *s)
{
    for (int32_t i = 0; i < s->n_pieces; i++)
        s->by_tensor[i] = i;
    cosma_sort_indices_in(s->by_tensor, s->sequence, s->n_pieces, compare_by_tensor, s->pieces);
    for (int pass = 0, merged = 1; pass < MERGE_PASSES && merged; pass++) {
        merged = 0;
        for (int32_t k = 0; k + 1 < s->n_pieces; k++) {
            int32_t x = s->by_tensor[k];
            if (!s->pieces[x].alive)
                continue;
            int32_t next = k + 1;
            while (next < s->n_pieces && !s->pieces[s->by_tensor[next]].alive)
                next++;
            if (next == s->n_pieces)
                break;
            int32_t y = s->by_tensor[next];
            piece_t *p = &s->pieces[x], *q = &s->pieces[y];
            if (p->tensor != q->tensor)
                continue;
            uint64_t offset;
            if (free_during(s, p->offset, p->bytes, p->last + 1, q->last, x, y))
                offset = p->offset;
            else if (free_during(s, q->offset, q->bytes, p->first, q->first - 1, x, y))
                offset = q->offset;
            else
                continue;
            s->keep[s->gbase[p->tensor] + p->b] = 1;
            p->b = q->b;
            p->last = q->last;
            p->offset = offset;
            q->alive = 0;
            merged = 1;
            k--; /* p may merge with the piece after q too */
        }
    }
}

typedef struct {
    const piece_t *pieces;
    int key;
} order_ctx_t;

/* The greedy orders' keys (descending), as in the COSMA placer: size,
 * start (earliest first), length, area; ties by size, start, index. */
static int compare_order(const void *context, int32_t i, int32_t j)
{
    const order_ctx_t *ctx = context;
    const piece_t *x = &ctx->pieces[i], *y = &ctx->pieces[j];
    uint64_t kx, ky;
    switch (ctx->key) {
    case 0: kx = x->bytes; ky = y->bytes; break;
    case 1: kx = UINT64_MAX - (uint64_t)x->first; ky = UINT64_MAX - (uint64_t)y->first; break;
    case 2: kx = (uint64_t)(x->last - x->first); ky = (uint64_t)(y->last - y->first); break;
    default:
        kx = x->bytes * (uint64_t)(x->last - x->first + 1);
        ky = y->bytes * (uint64_t)(y->last - y->first + 1);
        break;
    }
    if (kx != ky)
        return kx > ky ? -1 : 1;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (i > j) - (i < j);
}

/* Places the initial pieces in s->sequence: 1 placed (s->keep and
 * s->pieces hold the plan, after the merge pass), 0 not. */
static int place_sequence(split_t *s, const unsigned char *keep)
{
    memcpy(s->keep, keep, (size_t)s->layout->n_gaps + 1);
    s->n_pieces = 0;
    s->n_split = 0;
    for (int32_t k = 0; k < s->n_initial; k++)
        if (!place_piece(s, s->initial[s->sequence[k]]))
            return 0;
    merge_pieces(s);
    return 1;
}

/* The cheapest plan so far: its cost, keep[], offsets and sequence. */
typedef struct {
    uint64_t cost;
    unsigned char *rule;
    int32_t *split;
    int32_t n_split;
    unsigned char *keep;
    uint64_t *offsets;
    int32_t *sequence;
} best_t;

/* Places s->sequence and keeps the plan when it costs at most (accept
 * equal) or less than the best.  Returns 1 when kept. */
static int try_sequence(split_t *s, const unsigned char *keep, int accept_equal, best_t *best)
{
    memcpy(s->scratch_sequence, s->sequence, (size_t)s->n_initial * sizeof(int32_t));
    if (!place_sequence(s, keep))
        return 0;
    uint64_t cost = cosma_layout_choice_cost(s->layout, s->keep);
    if (cost > best->cost || (cost == best->cost && !accept_equal))
        return 0;
    best->cost = cost;
    memcpy(best->rule, s->rule, (size_t)s->n_initial);
    memcpy(best->split, s->split, (size_t)s->n_split * sizeof(int32_t));
    best->n_split = s->n_split;
    memcpy(best->keep, s->keep, (size_t)s->layout->n_gaps + 1);
    memcpy(best->sequence, s->scratch_sequence, (size_t)s->n_initial * sizeof(int32_t));
    /* by_tensor holds the pieces by (tensor, first use) after the merge:
     * the order of residency.c's intervals. */
    int32_t n = 0;
    for (int32_t k = 0; k < s->n_pieces; k++)
        if (s->pieces[s->by_tensor[k]].alive)
            best->offsets[n++] = s->pieces[s->by_tensor[k]].offset;
    return 1;
}

/* The greedy orders, each with every hole rule for all pieces. */
static void greedy_orders(split_t *s, const unsigned char *keep, best_t *best)
{
    for (int key = 0; key < GREEDY_KEYS; key++)
        for (int rule = 0; rule < FIT_RULES; rule++) {
            for (int32_t i = 0; i < s->n_initial; i++)
                s->sequence[i] = i;
            memset(s->rule, rule, (size_t)s->n_initial);
            order_ctx_t ctx = {s->initial, key};
            cosma_sort_indices_in(s->sequence, s->by_tensor, s->n_initial, compare_order, &ctx);
            try_sequence(s, keep, 0, best);
        }
}

/* A random initial piece other than v whose steps overlap v's: the
 * pieces that can block it.  -1 when there is none. */
static int32_t random_neighbour(const split_t *s, int32_t v, uint64_t *state)
{
    const piece_t *p = &s->initial[v];
    int32_t count = 0;
    for (int32_t i = 0; i < s->n_initial; i++)
        count += i != v && s->initial[i].first <= p->last && p->first <= s->initial[i].last;
    if (count == 0)
        return -1;
    int32_t pick = (int32_t)(cosma_random_next(state) % (uint64_t)count);
    for (int32_t i = 0; i < s->n_initial; i++)
        if (i != v && s->initial[i].first <= p->last && p->first <= s->initial[i].last && pick-- == 0)
            return i;
    return -1;
}

static void next_rule(unsigned char *rule, uint64_t *state)
{
    *rule = (unsigned char)((*rule + 1 + cosma_random_next(state) % (FIT_RULES - 1)) % FIT_RULES);
}

/* Moves initial piece v to just before w in s->sequence, when it comes
 * after it. */
static void move_before(split_t *s, int32_t v, int32_t w)
{
    int32_t pv = -1, pw = -1;
    for (int32_t k = 0; k < s->n_initial; k++) {
        if (s->sequence[k] == v)
            pv = k;
        if (s->sequence[k] == w)
            pw = k;
    }
    if (pv <= pw)
        return;
    memmove(s->sequence + pw + 1, s->sequence + pw, (size_t)(pv - pw) * sizeof(int32_t));
    s->sequence[pw] = v;
}

/* Seeded changes of the best sequence aimed at its splits (a fixed
 * number of rounds: deterministic): for a piece that was split and a
 * piece whose steps overlap it, another hole rule for either, or the
 * split one placed first; kept when the plan is no dearer. */
static void perturb(split_t *s, const unsigned char *keep, best_t *best)
{
    uint64_t state = COSMA_RANDOM_SEED;
    int32_t n = s->n_initial;
    for (int round = 0; round < s->rounds && best->n_split > 0 && best->cost > 0; round++) {
        memcpy(s->sequence, best->sequence, (size_t)n * sizeof(int32_t));
        memcpy(s->rule, best->rule, (size_t)n);
        int32_t v = best->split[cosma_random_next(&state) % (uint64_t)best->n_split];
        int32_t w = random_neighbour(s, v, &state);
        uint64_t action = cosma_random_next(&state) % 3;
        if (w < 0 || action == 0)
            next_rule(&s->rule[v], &state);
        else if (action == 1)
            next_rule(&s->rule[w], &state);
        else
            move_before(s, v, w);
        try_sequence(s, keep, 1, best);
    }
}

static void split_free(split_t *s)
{
    free(s->dstart);
    free(s->d);
    free(s->gbase);
    free(s->keep);
    free(s->pieces);
    free(s->initial);
    free(s->sequence);
    free(s->scratch_sequence);
    free(s->rule);
    free(s->split);
    free(s->pending);
    free(s->spans);
    free(s->by_tensor);
}

int cosma_split_place(const cosma_layout_t *layout, unsigned char *keep, uint64_t budget, uint64_t *out_offsets)
{
    split_t s = {.layout = layout, .budget = budget};
    int32_t total = layout->use_start[layout->problem->n_tensors] + 1;
    best_t best = {.cost = UINT64_MAX,
                   .keep = malloc((size_t)layout->n_gaps + 1),
                   .offsets = out_offsets,
                   .sequence = malloc((size_t)total * sizeof(int32_t)),
                   .rule = malloc((size_t)total),
                   .split = malloc((size_t)total * sizeof(int32_t))};
    s.keep = malloc((size_t)layout->n_gaps + 1);
    s.pieces = malloc((size_t)total * sizeof(piece_t));
    s.initial = malloc((size_t)total * sizeof(piece_t));
    s.sequence = malloc((size_t)total * sizeof(int32_t));
    s.scratch_sequence = malloc((size_t)total * sizeof(int32_t));
    s.by_tensor = malloc((size_t)total * sizeof(int32_t));
    s.spans = malloc((size_t)total * sizeof(hole_span_t));
    s.rule = malloc((size_t)total);
    s.split = malloc((size_t)total * sizeof(int32_t));
    s.pending = malloc((size_t)total * sizeof(piece_t));
    int result = -1;
    if (best.keep == NULL || best.sequence == NULL || best.rule == NULL || best.split == NULL || s.keep == NULL ||
        s.pieces == NULL || s.initial == NULL || s.sequence == NULL || s.scratch_sequence == NULL ||
        s.by_tensor == NULL || s.spans == NULL || s.rule == NULL || s.split == NULL || s.pending == NULL ||
        uses_build(&s) != 0)
        goto done;
    initial_pieces(&s, keep);
    double sequences = SPLIT_WORK / ((double)s.n_initial * (double)s.n_initial + 1.0);
    result = 0;
    if (sequences < GREEDY_KEYS * FIT_RULES)
        goto done;
    s.rounds = sequences - GREEDY_KEYS * FIT_RULES < PERTURB_ROUNDS ? (int)(sequences - GREEDY_KEYS * FIT_RULES)
                                                                     : PERTURB_ROUNDS;
    greedy_orders(&s, keep, &best);
    result = best.cost < UINT64_MAX;
    if (result) {
        perturb(&s, keep, &best);
        memcpy(keep, best.keep, (size_t)layout->n_gaps + 1);
    }
done:
    free(best.keep);
    free(best.sequence);
    free(best.rule);
    free(best.split);
    split_free(&s);
    return result;
}
