/* place.c: the COSMA placer and the exact placer behind cosma_place.
 * COSMA's: several greedy orders are tried (by size as in TFLite's greedy
 * planner, by start, by lifetime, by area), each with lowest-offset and
 * best-fit gap choice, then seeded random perturbations of the best order;
 * the smallest extent wins.  The exact one decides whether the items fit a
 * capacity at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/ilp.h>
#include "gap_index.h"
#include "place_internal.h"

/* The COSMA placer's perturbation effort: a fixed amount of work (about
 * PERTURB_WORK pair checks), never a clock, so the same input always gives
 * the same offsets; between PERTURB_MIN_ROUNDS and PERTURB_MAX_ROUNDS
 * rounds, stopping after PERTURB_STALE_ROUNDS without improvement. */
#define PERTURB_WORK 2e8
#define PERTURB_MIN_ROUNDS 40
#define PERTURB_MAX_ROUNDS 1500
#define PERTURB_STALE_ROUNDS 400
/* Rounds of the flip search at most (the same work limit otherwise). */
#define FLIP_MAX_ROUNDS 1000
/* A round swaps 1 to PERTURB_MAX_SWAPS pairs at most PERTURB_NEAR apart;
 * every PERTURB_GLOBAL_EVERY-th round one pair anywhere.  The greedy
 * orders use GREEDY_ORDER_KEYS sort keys. */
enum { PERTURB_MAX_SWAPS = 4, PERTURB_NEAR = 8, PERTURB_GLOBAL_EVERY = 3, GREEDY_ORDER_KEYS = 4 };
/* The exact placer's exhaustive search stops after this many nodes. */
#define EXACT_SEARCH_NODES 2000000
/* Branch-and-bound nodes of the placement ILP: its fixed work (the time
 * limit is a guard); past it the question stays open. */
#define EXACT_ILP_NODES 20000

typedef struct {
    const cosma_place_item_t *items;
    const uint64_t *pressure; /* per item, or NULL */
    int key;
} sort_ctx_t;

typedef struct {
    uint64_t offset, end;
} span_t;

static int compare_spans(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Which placed items share a step with an item: per step, the placed
 * items covering it (CSR sized for all items, filled as they are placed).
 * A query scans the buckets of the item's steps when they hold fewer
 * entries than there are items, else every item: never worse than the
 * plain scan, and near-linear when lifetimes are short (a 200,000-node
 * chain).  Built only while it stays within a fixed size. */
typedef struct {
    int32_t max_step;
    int32_t *start;   /* max_step + 2 entries */
    int32_t *fill;    /* per step: placed items so far */
    int32_t *members; /* start[max_step + 1] entries */
    int32_t *seen;    /* per item: stamp of the last query that listed it */
} conflict_index_t;

enum { CONFLICT_INDEX_MAX_ENTRIES = 1 << 25 };

static void conflict_index_free(conflict_index_t *index)
{
    free(index->start);
    free(index->fill);
    free(index->members);
    free(index->seen);
    memset(index, 0, sizeof *index);
}

/* 0 built, -1 not built (too large or out of memory: plain scans). */
static int conflict_index_init(conflict_index_t *index, const cosma_place_item_t *items, int32_t n, int32_t max_step)
{
    memset(index, 0, sizeof *index);
    int64_t entries = 0;
    for (int32_t i = 0; i < n; i++)
        entries += items[i].last >= items[i].first ? (int64_t)items[i].last - items[i].first + 1 : 0;
    if (entries > CONFLICT_INDEX_MAX_ENTRIES || max_step < 0)
        return -1;
    index->max_step = max_step;
    index->start = calloc((size_t)max_step + 2, sizeof(int32_t));
    index->fill = calloc((size_t)max_step + 1, sizeof(int32_t));
    index->members = malloc(((size_t)entries + 1) * sizeof(int32_t));
    index->seen = calloc((size_t)n + 1, sizeof(int32_t));
    if (index->start == NULL || index->fill == NULL || index->members == NULL || index->seen == NULL) {
        conflict_index_free(index);
        return -1;
    }
    for (int32_t i = 0; i < n; i++)
        for (int32_t t = items[i].first > 0 ? items[i].first : 0; t <= items[i].last; t++)
            index->start[t + 1]++;
    for (int32_t t = 0; t <= max_step; t++)
        index->start[t + 1] += index->start[t];
    return 0;
}

static void conflict_index_reset(conflict_index_t *index, int32_t n)
{
    memset(index->fill, 0, ((size_t)index->max_step + 1) * sizeof(int32_t));
    memset(index->seen, 0, ((size_t)n + 1) * sizeof(int32_t));
}

static void conflict_index_add(conflict_index_t *index, const cosma_place_item_t *item, int32_t i)
{
    for (int32_t t = item->first > 0 ? item->first : 0; t <= item->last; t++)
        index->members[index->start[t] + index->fill[t]++] = i;
}

/* The spans of the placed items that share a step with item i. */
static int32_t collect_spans(const cosma_place_item_t *items, int32_t n, int32_t i, int32_t stamp,
                             const uint64_t *offsets, const unsigned char *placed, conflict_index_t *index,
                             span_t *spans)
{
    int32_t n_spans = 0;
    const cosma_place_item_t *item = &items[i];
    int32_t lo = item->first > 0 ? item->first : 0;
    if (index != NULL && item->last >= lo && index->start[item->last + 1] - index->start[lo] < n) {
        for (int32_t t = lo; t <= item->last; t++)
            for (int32_t k = index->start[t]; k < index->start[t] + index->fill[t]; k++) {
                int32_t j = index->members[k];
                if (index->seen[j] == stamp)
                    continue;
                index->seen[j] = stamp;
                spans[n_spans++] = (span_t){offsets[j], offsets[j] + items[j].bytes};
            }
        return n_spans;
    }
    for (int32_t j = 0; j < n; j++)
        if (placed[j] && items[j].first <= item->last && item->first <= items[j].last)
            spans[n_spans++] = (span_t){offsets[j], offsets[j] + items[j].bytes};
    return n_spans;
}

/* The gap rule over spans sorted by offset: the lowest gap that holds
 * `bytes` at an aligned offset or, with best_fit, the smallest (the first
 * of equals); 0 with *out_offset 0 when none does. */
static int scan_gaps(const span_t *spans, int32_t n_spans, uint64_t bytes, uint64_t align, int best_fit,
                     uint64_t *out_offset)
{
    uint64_t cursor = 0, chosen = 0, chosen_gap = 0;
    int found = 0;
    for (int32_t s = 0; s <= n_spans; s++) {
        uint64_t start = cosma_align_up(cursor, align);
        uint64_t gap_end = s < n_spans ? spans[s].offset : UINT64_MAX;
        if (start <= gap_end && gap_end - start >= bytes) {
            uint64_t gap = gap_end - start;
            if (!best_fit) {
                chosen = start;
                found = 1;
                break;
            }
            if (!found || gap < chosen_gap) {
                chosen_gap = gap;
                chosen = start;
                found = 1;
            }
        }
        if (s < n_spans && spans[s].end > cursor)
            cursor = spans[s].end;
    }
    *out_offset = chosen;
    return found;
}

/* The placer's scratch for one sequence: which items are placed, the
 * spans of one query, and the two indexes (either may be NULL). */
typedef struct {
    unsigned char *placed;
    span_t *spans;
    conflict_index_t *conflicts;
    cosma_gap_index_t *gaps;
    const unsigned char *top; /* per item: at the top of the highest gap below the capacity; NULL: none */
    uint64_t capacity;
} sequence_scratch_t;

/* The top rule: the highest gap between sorted spans that holds `bytes`
 * below the capacity, and the highest aligned offset in it; 0 when none. */
static int top_gap(const span_t *spans, int32_t n_spans, uint64_t bytes, uint64_t align, uint64_t capacity,
                   uint64_t *out_offset)
{
    uint64_t cursor = 0;
    int found = 0;
    for (int32_t s = 0; s <= n_spans && cursor < capacity; s++) {
        uint64_t start = cosma_align_up(cursor, align);
        uint64_t end = s < n_spans && spans[s].offset < capacity ? spans[s].offset : capacity;
        if (start <= end && end - start >= bytes) {
            *out_offset = (end - bytes) / align * align;
            found = 1;
        }
        if (s < n_spans && spans[s].end > cursor)
            cursor = spans[s].end;
    }
    return found;
}

/* The offset of item i given the items placed so far: from the wide
 * steps' gap index where it answers, else by sorting the spans of the
 * placed items that share a step with i. */
static uint64_t choose_offset(const cosma_place_item_t *items, int32_t n, int32_t i, int32_t stamp,
                              const uint64_t *offsets, uint64_t align, int best_fit, sequence_scratch_t *scratch)
{
    uint64_t chosen;
    if (scratch->gaps != NULL && cosma_gap_index_find(scratch->gaps, &items[i], best_fit, &chosen))
        return chosen;
    int32_t n_spans = collect_spans(items, n, i, stamp, offsets, scratch->placed, scratch->conflicts, scratch->spans);
    qsort(scratch->spans, (size_t)n_spans, sizeof(span_t), compare_spans);
    if (scratch->top != NULL && scratch->top[i] &&
        top_gap(scratch->spans, n_spans, items[i].bytes, align, scratch->capacity, &chosen))
        return chosen;
    if (!scan_gaps(scratch->spans, n_spans, items[i].bytes, align, best_fit, &chosen) && scratch->gaps != NULL)
        cosma_gap_index_abandon(scratch->gaps);
    return chosen;
}

/* Places items in the given sequence; returns the extent.  best_fit picks
 * the smallest gap that fits instead of the lowest. */
static uint64_t place_sequence(const cosma_place_item_t *items, const int32_t *sequence, int32_t n, uint64_t align,
                               int best_fit, uint64_t *offsets, sequence_scratch_t *scratch)
{
    uint64_t extent = 0;
    memset(scratch->placed, 0, (size_t)n);
    if (scratch->conflicts != NULL)
        conflict_index_reset(scratch->conflicts, n);
    if (scratch->gaps != NULL) {
        cosma_gap_index_reset(scratch->gaps);
        if (scratch->top != NULL)
            cosma_gap_index_abandon(scratch->gaps); /* it knows no top rule */
    }
    for (int32_t k = 0; k < n; k++) {
        int32_t i = sequence[k];
        uint64_t chosen = choose_offset(items, n, i, k + 1, offsets, align, best_fit, scratch);
        offsets[i] = chosen;
        scratch->placed[i] = 1;
        if (scratch->conflicts != NULL)
            conflict_index_add(scratch->conflicts, &items[i], i);
        if (scratch->gaps != NULL)
            cosma_gap_index_add(scratch->gaps, &items[i], i, chosen);
        if (chosen + items[i].bytes > extent)
            extent = chosen + items[i].bytes;
    }
    return extent;
}

/* Sort keys for the greedy orders; ties by index keep them deterministic. */
static int compare_items(const void *context, int32_t i, int32_t j)
{
    const sort_ctx_t *ctx = context;
    const cosma_place_item_t *x = &ctx->items[i], *y = &ctx->items[j];
    uint64_t kx = 0, ky = 0;
    switch (ctx->key) {
    case 0: kx = x->bytes; ky = y->bytes; break;
    case 1: kx = UINT64_MAX - (uint64_t)x->first; ky = UINT64_MAX - (uint64_t)y->first; break;
    case 2: kx = (uint64_t)(x->last - x->first); ky = (uint64_t)(y->last - y->first); break;
    case 3:
        kx = x->bytes * (uint64_t)(x->last - x->first + 1);
        ky = y->bytes * (uint64_t)(y->last - y->first + 1);
        break;
    default: /* the fullest step first, then the longest lifetime */
        kx = ctx->pressure[i];
        ky = ctx->pressure[j];
        if (kx == ky) {
            kx = (uint64_t)(x->last - x->first);
            ky = (uint64_t)(y->last - y->first);
        }
        break;
    }
    if (kx != ky)
        return kx > ky ? -1 : 1; /* descending */
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return (i > j) - (i < j);
}

/* The COSMA placer's working state: the order being tried and the best. */
typedef struct {
    const cosma_place_item_t *items;
    int32_t n;
    uint64_t align;
    int32_t *sequence, *best_sequence;
    uint64_t *offsets, *best_offsets;
    uint64_t *pressure; /* per item: the most live bytes at one of its steps; NULL: not computed */
    conflict_index_t index;
    cosma_gap_index_t gap_index;
    sequence_scratch_t scratch; /* its indexes: &index and &gap_index, or NULL when not built */
    uint64_t best;
    int best_fit_mode;
} cosma_run_t;

static void run_free(cosma_run_t *r)
{
    if (r->scratch.conflicts != NULL)
        conflict_index_free(r->scratch.conflicts);
    if (r->scratch.gaps != NULL)
        cosma_gap_index_free(r->scratch.gaps);
    free(r->sequence);
    free(r->best_sequence);
    free(r->offsets);
    free(r->best_offsets);
    free(r->pressure);
    free(r->scratch.placed);
    free(r->scratch.spans);
}

/* The live bytes of the aligned items at every step, a lower bound on any
 * extent at its peak, their last step and, when pressure is not NULL and
 * the lifetimes are not too long in all, each item's pressure: the most
 * live bytes at one of its steps (else *pressure is set to NULL).  -1 when
 * out of memory (without the bound the placer would search further and
 * could return other offsets). */
static int live_peak(const cosma_place_item_t *items, int32_t n, uint64_t align, uint64_t *out_lower,
                     int32_t *out_max_step, uint64_t **pressure)
{
    int32_t max_step = 0;
    int64_t entries = 0;
    for (int32_t i = 0; i < n; i++) {
        if (items[i].last > max_step)
            max_step = items[i].last;
        entries += items[i].last >= items[i].first ? (int64_t)items[i].last - items[i].first + 1 : 0;
    }
    *out_max_step = max_step;
    uint64_t *live = calloc((size_t)max_step + 2, sizeof(uint64_t));
    if (live == NULL)
        return -1;
    for (int32_t i = 0; i < n; i++)
        for (int32_t t = items[i].first; t <= items[i].last; t++)
            live[t] += cosma_align_up(items[i].bytes, align);
    uint64_t lower = 0;
    for (int32_t t = 0; t <= max_step; t++)
        if (live[t] > lower)
            lower = live[t];
    if (pressure != NULL && (entries > CONFLICT_INDEX_MAX_ENTRIES ||
                             (*pressure = calloc((size_t)n + 1, sizeof(uint64_t))) == NULL))
        *pressure = NULL; /* that key is left out */
    for (int32_t i = 0; pressure != NULL && *pressure != NULL && i < n; i++)
        for (int32_t t = items[i].first; t <= items[i].last; t++)
            if (live[t] > (*pressure)[i])
                (*pressure)[i] = live[t];
    free(live);
    *out_lower = lower;
    return 0;
}

/* Places in run->sequence with one gap rule and keeps the result when it
 * is at most (accept_equal) or below the best. */
static int try_sequence(cosma_run_t *r, int best_fit, int accept_equal)
{
    uint64_t extent = place_sequence(r->items, r->sequence, r->n, r->align, best_fit, r->offsets, &r->scratch);
    int better = extent < r->best;
    if (better || (accept_equal && extent == r->best)) {
        r->best = extent;
        r->best_fit_mode = best_fit;
        memcpy(r->best_offsets, r->offsets, (size_t)r->n * sizeof(uint64_t));
        memcpy(r->best_sequence, r->sequence, (size_t)r->n * sizeof(int32_t));
    }
    return better;
}

/* The greedy orders (by size, start, lifetime, area, pressure), each with
 * both gap rules, until one meets the lower bound.  Pressure first packs
 * the steps whose live bytes leave no room, where any gap is fatal. */
static void greedy_orders(cosma_run_t *r, uint64_t lower)
{
    for (int key = 0; key < GREEDY_ORDER_KEYS + (r->pressure != NULL) && r->best > lower; key++) {
        for (int32_t i = 0; i < r->n; i++)
            r->sequence[i] = i;
        sort_ctx_t ctx = {r->items, r->pressure, key};
        cosma_sort_indices(r->sequence, r->n, compare_items, &ctx);
        for (int fit = 0; fit < 2 && r->best > lower; fit++)
            try_sequence(r, fit, 0);
    }
}

/* Seeded perturbations of the best order: mostly swaps of near neighbours
 * in the order; every PERTURB_GLOBAL_EVERY-th round one swap across the
 * whole order, as TVM's hill climb does. */
static void perturb(cosma_run_t *r, uint64_t lower, int effort)
{
    int32_t n = r->n;
    uint64_t seed = COSMA_RANDOM_SEED;
    double per_round = (double)n * (double)n + 1.0;
    int32_t rounds = (int32_t)(PERTURB_WORK / per_round);
    if (rounds > PERTURB_MAX_ROUNDS)
        rounds = PERTURB_MAX_ROUNDS;
    if (rounds < PERTURB_MIN_ROUNDS)
        rounds = PERTURB_MIN_ROUNDS;
    if (effort <= 0)
        rounds = 0;
    int32_t stale = 0;
    for (int32_t round = 0; round < rounds && stale < PERTURB_STALE_ROUNDS && r->best > lower && n > 1; round++) {
        memcpy(r->sequence, r->best_sequence, (size_t)n * sizeof(int32_t));
        int global = round % PERTURB_GLOBAL_EVERY == PERTURB_GLOBAL_EVERY - 1;
        int32_t swaps = global ? 1 : 1 + (int32_t)(cosma_random_next(&seed) % PERTURB_MAX_SWAPS);
        for (int32_t s = 0; s < swaps; s++) {
            int32_t a = (int32_t)(cosma_random_next(&seed) % (uint64_t)n);
            int32_t b = global ? (int32_t)(cosma_random_next(&seed) % (uint64_t)n)
                               : a + 1 + (int32_t)(cosma_random_next(&seed) % PERTURB_NEAR);
            if (b >= n)
                b = n - 1;
            int32_t swap = r->sequence[a];
            r->sequence[a] = r->sequence[b];
            r->sequence[b] = swap;
        }
        stale = try_sequence(r, r->best_fit_mode, 1) ? 0 : stale + 1;
    }
}

/* Items that end above the capacity. */
static int32_t count_above(const cosma_place_item_t *items, int32_t n, const uint64_t *offsets, uint64_t capacity)
{
    int32_t count = 0;
    for (int32_t i = 0; i < n; i++)
        count += offsets[i] + items[i].bytes > capacity;
    return count;
}

/* A random item whose steps overlap item v's (v itself included). */
static int32_t random_overlapping(const cosma_place_item_t *items, int32_t n, int32_t v, uint64_t *seed)
{
    int32_t count = 0;
    for (int32_t i = 0; i < n; i++)
        count += items[i].first <= items[v].last && items[v].first <= items[i].last;
    int32_t pick = (int32_t)(cosma_random_next(seed) % (uint64_t)count);
    for (int32_t i = 0; i < n; i++)
        if (items[i].first <= items[v].last && items[v].first <= items[i].last && pick-- == 0)
            return i;
    return v;
}

/* When the best order still ends above the capacity: seeded flips of
 * single items between the gap rule and the top rule, aimed at the items
 * that end above it (another item alive beside one of them moves to the
 * top of its highest gap), kept while no more items end above it.  A
 * fixed number of rounds: deterministic.  -1 when out of memory. */
static int flip_search(cosma_run_t *r, uint64_t lower, uint64_t capacity, int effort)
{
    int32_t n = r->n;
    if (effort <= 0 || capacity == UINT64_MAX || r->best <= capacity || n < 2 ||
        PERTURB_WORK / ((double)n * (double)n + 1.0) < 1)
        return 0;
    unsigned char *top = calloc((size_t)n, 1), *best_top = calloc((size_t)n, 1);
    uint64_t *current = malloc((size_t)n * sizeof(uint64_t));
    if (top == NULL || best_top == NULL || current == NULL) {
        free(top);
        free(best_top);
        free(current);
        return -1;
    }
    /* From the pressure order with the lowest gaps (at full steps the
     * fewest items overflow), else the best order. */
    int fit = r->best_fit_mode;
    if (r->pressure != NULL) {
        for (int32_t i = 0; i < n; i++)
            r->sequence[i] = i;
        sort_ctx_t ctx = {r->items, r->pressure, GREEDY_ORDER_KEYS};
        cosma_sort_indices(r->sequence, n, compare_items, &ctx);
        fit = 0;
    } else {
        memcpy(r->sequence, r->best_sequence, (size_t)n * sizeof(int32_t));
    }
    r->scratch.top = top;
    r->scratch.capacity = capacity;
    uint64_t seed = COSMA_RANDOM_SEED;
    uint64_t extent = place_sequence(r->items, r->sequence, n, r->align, fit, current, &r->scratch);
    int32_t above = count_above(r->items, n, current, capacity);
    if (extent < r->best) {
        r->best = extent; /* the start itself may be the best */
        memcpy(r->best_offsets, current, (size_t)n * sizeof(uint64_t));
    }
    /* No minimum: a round may scan every pair (the gap index is off). */
    int32_t rounds = (int32_t)(PERTURB_WORK / ((double)n * (double)n + 1.0));
    rounds = rounds > FLIP_MAX_ROUNDS ? FLIP_MAX_ROUNDS : rounds;
    for (int32_t round = 0; round < rounds && above > 0 && r->best > lower; round++) {
        int32_t pick = (int32_t)(cosma_random_next(&seed) % (uint64_t)above), v = 0;
        for (int32_t i = 0; i < n; i++)
            if (current[i] + r->items[i].bytes > capacity && pick-- == 0)
                v = i;
        memcpy(top, best_top, (size_t)n);
        int32_t w = random_overlapping(r->items, n, v, &seed);
        top[w] = !top[w];
        uint64_t trial = place_sequence(r->items, r->sequence, n, r->align, fit, r->offsets, &r->scratch);
        int32_t trial_above = count_above(r->items, n, r->offsets, capacity);
        if (trial_above > above)
            continue;
        above = trial_above;
        memcpy(best_top, top, (size_t)n);
        memcpy(current, r->offsets, (size_t)n * sizeof(uint64_t));
        if (trial < r->best) {
            r->best = trial;
            memcpy(r->best_offsets, r->offsets, (size_t)n * sizeof(uint64_t));
        }
    }
    r->scratch.top = NULL;
    free(top);
    free(best_top);
    free(current);
    return 0;
}

int cosma_place_cosma(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                      uint64_t *out_extent)
{
    int32_t n = n_items;
    cosma_run_t r = {.items = items, .n = n, .align = options->align > 1 ? options->align : 1, .best = UINT64_MAX};
    r.sequence = malloc((size_t)n * sizeof(int32_t));
    r.best_sequence = malloc((size_t)n * sizeof(int32_t));
    r.offsets = malloc((size_t)n * sizeof(uint64_t));
    r.best_offsets = malloc((size_t)n * sizeof(uint64_t));
    r.scratch.placed = malloc((size_t)n);
    r.scratch.spans = malloc(((size_t)n + 1) * sizeof(span_t));
    int result = -1;
    int32_t max_step = 0;
    uint64_t lower = 0;
    if (r.sequence != NULL && r.best_sequence != NULL && r.offsets != NULL && r.best_offsets != NULL &&
        r.scratch.placed != NULL && r.scratch.spans != NULL &&
        live_peak(items, n, r.align, &lower, &max_step, &r.pressure) == 0) {
        r.scratch.conflicts = conflict_index_init(&r.index, items, n, max_step) == 0 ? &r.index : NULL;
        r.scratch.gaps = cosma_gap_index_init(&r.gap_index, items, n, max_step, r.align) == 0 ? &r.gap_index : NULL;
        greedy_orders(&r, lower);
        perturb(&r, lower, options->effort);
        if (flip_search(&r, lower, options->capacity, options->effort) != 0) {
            run_free(&r);
            return -1;
        }
        for (int32_t i = 0; i < n; i++)
            items[i].offset = r.best_offsets[i];
        *out_extent = r.best;
        result = r.best <= options->capacity ? 1 : 0;
    }
    run_free(&r);
    return result;
}

/* Exhaustive search over bottom-left placements: some packing, if any
 * exists, has every item at offset 0 or on top of an item it shares a step
 * with; placing items in increasing (offset, index) order, each item's
 * support is already placed.  Deterministic: limited by nodes, not time. */
typedef struct {
    const cosma_place_item_t *items;
    int32_t n;
    uint64_t capacity;
    uint64_t *offset;
    unsigned char *placed;
    int64_t nodes, node_limit;
} search_t;

static int conflict(const cosma_place_item_t *a, const cosma_place_item_t *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* 1 found, 0 none below this node, -1 node limit. */
static int search_packing(search_t *s, int32_t depth, uint64_t last_offset, int32_t last_index)
{
    if (depth == s->n)
        return 1;
    if (++s->nodes > s->node_limit)
        return -1;
    /* Everything not yet placed goes at or above last_offset: at every
     * step it must fit there beside what placed items occupy up there. */
    for (int32_t i = 0; i < s->n; i++) {
        if (s->placed[i])
            continue;
        for (int32_t t = s->items[i].first; t <= s->items[i].last; t++) {
            uint64_t need = 0;
            for (int32_t j = 0; j < s->n; j++) {
                const cosma_place_item_t *item = &s->items[j];
                if (item->first > t || item->last < t)
                    continue;
                if (!s->placed[j])
                    need += item->bytes;
                else if (s->offset[j] + item->bytes > last_offset)
                    need += s->offset[j] + item->bytes - (s->offset[j] > last_offset ? s->offset[j] : last_offset);
            }
            if (need > s->capacity - last_offset)
                return 0;
        }
    }
    int undecided = 0;
    for (int32_t i = 0; i < s->n; i++) {
        if (s->placed[i])
            continue;
        /* Candidates: 0 and the tops of placed items it conflicts with. */
        for (int32_t k = -1; k < s->n; k++) {
            uint64_t at = 0;
            if (k >= 0) {
                if (!s->placed[k] || !conflict(&s->items[i], &s->items[k]))
                    continue;
                at = s->offset[k] + s->items[k].bytes;
            }
            if (at < last_offset || (at == last_offset && i < last_index))
                continue; /* canonical order: each packing once */
            if (at + s->items[i].bytes > s->capacity)
                continue;
            int duplicate = 0;
            for (int32_t q = -1; q < k && !duplicate; q++) {
                uint64_t other = 0;
                if (q >= 0) {
                    if (!s->placed[q] || !conflict(&s->items[i], &s->items[q]))
                        continue;
                    other = s->offset[q] + s->items[q].bytes;
                }
                duplicate = other == at;
            }
            int fits = !duplicate;
            for (int32_t j = 0; j < s->n && fits; j++)
                if (s->placed[j] && conflict(&s->items[i], &s->items[j]) &&
                    at < s->offset[j] + s->items[j].bytes && s->offset[j] < at + s->items[i].bytes)
                    fits = 0;
            if (!fits)
                continue;
            s->placed[i] = 1;
            s->offset[i] = at;
            int found = search_packing(s, depth + 1, at, i);
            s->placed[i] = 0;
            if (found == 1) {
                s->placed[i] = 1;
                return 1;
            }
            if (found < 0)
                undecided = 1;
            if (undecided)
                return -1;
        }
    }
    return 0;
}

/* Exhaustive search first, then the ILP for what the search left open:
 * 1 placed within capacity, 0 proven impossible, -1 undecided. */
static int decide_exact(cosma_place_item_t *items, int32_t n_items, uint64_t capacity, double time_limit)
{
    for (int32_t i = 0; i < n_items; i++)
        if (items[i].bytes > capacity)
            return 0;
    {
        search_t s = {items, n_items, capacity, calloc((size_t)n_items + 1, sizeof(uint64_t)),
                      calloc((size_t)n_items + 1, 1), 0, EXACT_SEARCH_NODES};
        int found = s.offset != NULL && s.placed != NULL ? search_packing(&s, 0, 0, -1) : -1;
        if (found == 1)
            for (int32_t i = 0; i < n_items; i++)
                items[i].offset = s.offset[i];
        free(s.offset);
        free(s.placed);
        if (found >= 0)
            return found;
    }
    cosma_milp_t *milp = cosma_milp_create("cosma_placement");
    if (milp == NULL)
        return -1;
    int verdict = -1;
    double cap = (double)capacity;
    char name[48];
    for (int32_t i = 0; i < n_items; i++) {
        snprintf(name, sizeof name, "offset_%d", (int)i);
        if (cosma_milp_add_col(milp, name, 0, cap - (double)items[i].bytes, 0, 0) != i)
            goto done;
    }
    for (int32_t i = 0; i < n_items; i++)
        for (int32_t j = i + 1; j < n_items; j++) {
            if (items[i].first > items[j].last || items[j].first > items[i].last)
                continue;
            snprintf(name, sizeof name, "above_%d_%d", (int)i, (int)j);
            int32_t z = cosma_milp_add_col(milp, name, 0, 1, 0, 1);
            if (z < 0)
                goto done;
            /* z = 0: i below j; z = 1: j below i. */
            int32_t cols[3] = {i, j, z};
            double below[3] = {1, -1, -cap};
            double above[3] = {-1, 1, cap};
            if (cosma_milp_add_row(milp, NULL, -COSMA_MILP_INF, -(double)items[i].bytes, 3, cols, below) < 0 ||
                cosma_milp_add_row(milp, NULL, -COSMA_MILP_INF, cap - (double)items[j].bytes, 3, cols, above) < 0)
                goto done;
        }
    /* "Infeasible" here becomes a no-good cut: only cuts that cannot cut
     * off a placement (safe_cuts). */
    cosma_milp_options_t options = {.time_limit = time_limit, .node_limit = EXACT_ILP_NODES, .safe_cuts = 1};
    cosma_milp_result_t result;
    /* A solver failure only leaves the question open (-1): no message. */
    if (cosma_milp_solve(milp, &options, &result, NULL) != COSMA_OK)
        goto done;
    if (result.status == COSMA_MILP_INFEASIBLE) {
        verdict = 0;
    } else if (result.status == COSMA_MILP_OPTIMAL || result.status == COSMA_MILP_FEASIBLE) {
        /* Offsets are continuous in the model; the vertices GLPK returns
         * are sums of sizes, hence whole numbers. */
        verdict = 1;
        for (int32_t i = 0; i < n_items; i++) {
            double value = result.values[i] + 0.5;
            items[i].offset = value < 0 ? 0 : (uint64_t)value;
        }
        for (int32_t i = 0; i < n_items && verdict == 1; i++) {
            if (items[i].offset + items[i].bytes > capacity)
                verdict = -1;
            for (int32_t j = i + 1; j < n_items && verdict == 1; j++)
                if (items[i].first <= items[j].last && items[j].first <= items[i].last &&
                    items[i].offset < items[j].offset + items[j].bytes &&
                    items[j].offset < items[i].offset + items[i].bytes)
                    verdict = -1;
        }
    }
    free(result.values);
done:
    cosma_milp_destroy(milp);
    return verdict;
}

int cosma_place_exact(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                      uint64_t *out_extent)
{
    if (n_items > options->max_items || options->align > 1)
        return -1;
    int verdict = decide_exact(items, n_items, options->capacity, options->time_limit);
    *out_extent = 0;
    for (int32_t i = 0; i < n_items && verdict == 1; i++)
        if (items[i].offset + items[i].bytes > *out_extent)
            *out_extent = items[i].offset + items[i].bytes;
    return verdict;
}
