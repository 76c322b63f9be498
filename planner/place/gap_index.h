/* gap_index.h: the free gaps of the placed items at very wide steps, so
 * that the COSMA placer finds an item's gap in logarithmic time where
 * thousands of items are live at one step (one operator with 100,000
 * inputs) instead of collecting and sorting every placed span each time.
 * It answers only when the placed items that share a step with the item
 * are exactly those live at one wide step, and then gives the offset that
 * place.c's own gap scan would give; otherwise the caller scans. */
#ifndef COSMA_GAP_INDEX_H
#define COSMA_GAP_INDEX_H

#include <cosma/place.h>

typedef struct cosma_gap_node cosma_gap_node_t;

typedef struct {
    uint64_t align;
    int32_t max_step;
    int32_t n_wide;       /* wide steps */
    int32_t *wide;        /* their step numbers, ascending */
    int32_t *span_root;   /* per wide step: its placed spans by offset */
    int32_t *gap_root;    /* per wide step: the gaps below them by size */
    int32_t *count;       /* per wide step: placed items live there */
    int32_t *by_last;     /* Fenwick trees over steps: placed items by */
    int32_t *by_first;    /* last step and by first step */
    int32_t placed;       /* items in the Fenwick trees */
    int broken;           /* an item was placed on another: scans only */
    uint64_t seed;        /* the treaps' priorities */
    cosma_gap_node_t *nodes;
    int32_t n_nodes, cap_nodes;
} cosma_gap_index_t;

/* 0 built, -1 not (no wide step, too many entries or out of memory: the
 * caller scans).  Items' steps are at most max_step. */
int cosma_gap_index_init(cosma_gap_index_t *index, const cosma_place_item_t *items, int32_t n, int32_t max_step,
                         uint64_t align);
/* Empties it for the next placement sequence. */
void cosma_gap_index_reset(cosma_gap_index_t *index);
void cosma_gap_index_free(cosma_gap_index_t *index);

/* 1 with *out_offset the gap rule's offset (lowest fitting gap, or with
 * best_fit the smallest) when the placed items sharing a step with item
 * are all live at one wide step; 0 when the caller must scan. */
int cosma_gap_index_find(cosma_gap_index_t *index, const cosma_place_item_t *item, int best_fit,
                         uint64_t *out_offset);
/* Records item `id` placed at `offset`, in a gap of the items placed
 * before it. */
void cosma_gap_index_add(cosma_gap_index_t *index, const cosma_place_item_t *item, int32_t id, uint64_t offset);
/* An item was placed where no gap held it: scans only until the reset. */
void cosma_gap_index_abandon(cosma_gap_index_t *index);

#endif /* COSMA_GAP_INDEX_H */
