/* place_internal.h: the placers behind cosma_place (placers.c holds the
 * table), one signature each. */
#ifndef COSMA_PLACE_INTERNAL_H
#define COSMA_PLACE_INTERNAL_H

#include <cosma/place.h>

/* Each returns as cosma_place does; n_items > 0 and options are valid. */
typedef int (*cosma_placer_fn_t)(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                                 uint64_t *out_extent);

int cosma_place_greedy_by_size(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                               uint64_t *out_extent);
int cosma_place_first_fit(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                          uint64_t *out_extent);
int cosma_place_hill_climb(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                           uint64_t *out_extent);
int cosma_place_cosma(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                      uint64_t *out_extent);
int cosma_place_exact(cosma_place_item_t *items, int32_t n_items, const cosma_place_options_t *options,
                      uint64_t *out_extent);

#endif /* COSMA_PLACE_INTERNAL_H */
