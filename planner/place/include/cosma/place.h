/* place.h: placement, the dynamic storage allocation problem in the
 * spirit of TFLite Micro's memory planner: lifetime items in (resident
 * during steps first..last, bytes), offsets out, so that items sharing a
 * step never overlap.  Every placer of cosma sits behind this one
 * interface and is picked from a table by cosma_placer_t. */
#ifndef COSMA_PLACE_H
#define COSMA_PLACE_H

#include <cosma/ir.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A block to place: resident during steps first..last (1-based,
 * inclusive).  Ties between items are broken by their index, so callers
 * that list items in tensor order get TFLite's tie-breaks. */
typedef struct {
    int32_t first, last;
    uint64_t bytes;
    uint64_t offset; /* out */
} cosma_place_item_t;

typedef enum {
    COSMA_PLACER_GREEDY_BY_SIZE = 0, /* TFLite: size descending, smallest fitting gap */
    COSMA_PLACER_FIRST_FIT,          /* TFLite Micro: size descending, lowest fitting gap */
    COSMA_PLACER_HILL_CLIMB,         /* TVM USMP hill climb over the first-fit order */
    COSMA_PLACER_COSMA,              /* ours: several greedy orders, then seeded perturbations */
    COSMA_PLACER_EXACT,              /* exhaustive search, then an ILP (GLPK); align 1 only */
    COSMA_PLACER_COUNT
} cosma_placer_t;

typedef struct {
    uint64_t capacity;  /* UINT64_MAX: just minimise the extent */
    uint64_t align;     /* offsets are multiples of it (0 or 1: none) */
    int effort;         /* COSMA placer: 0 = greedy orders only (for searches), 1 = full */
    int32_t max_items;  /* exact placer: undecided above this many items */
    double time_limit;  /* exact placer: seconds for the ILP */
} cosma_place_options_t;

/* Defaults: no capacity, no alignment, full effort, exact placer on up to
 * COSMA_PLACE_EXACT_MAX_ITEMS items for COSMA_PLACE_EXACT_SECONDS. */
#define COSMA_PLACE_EXACT_MAX_ITEMS 48
#define COSMA_PLACE_EXACT_SECONDS 2.0
void cosma_place_options_init(cosma_place_options_t *options);

/* Sets items[].offset and *out_extent (largest offset + bytes).  Returns 1
 * if every item ends at or below the capacity, 0 if not (the exact placer:
 * proven impossible; its offsets are then unset), -1 when out of memory or,
 * for the exact placer, undecided.  Deterministic. */
int cosma_place(cosma_placer_t placer, cosma_place_item_t *items, int32_t n_items,
                const cosma_place_options_t *options, uint64_t *out_extent);

/* An occupied range of the scratchpad, [offset, end). */
typedef struct {
    uint64_t offset, end;
} cosma_span_t;

typedef enum { COSMA_FIT_BEST = 0, COSMA_FIT_FIRST } cosma_fit_t;

/* TFLite's gap rule, shared by its placers and the replacement baselines:
 * among the gaps between spans (sorted by offset) that hold `bytes` at an
 * aligned offset, the smallest (COSMA_FIT_BEST, TFLite's
 * SimpleMemoryArena) or the lowest (COSMA_FIT_FIRST, TFLite Micro); with
 * none, the aligned end of the highest span.  Returns the offset. */
uint64_t cosma_place_gap(const cosma_span_t *spans, int32_t n_spans, uint64_t bytes, uint64_t align, cosma_fit_t fit);

/* Name of a placer ("greedy-by-size", "first-fit", "hill-climb", "cosma",
 * "exact"), and the placer of a name: 0, or -1 for an unknown name. */
const char *cosma_placer_name(cosma_placer_t placer);
int cosma_placer_find(const char *name, cosma_placer_t *out_placer);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_PLACE_H */
