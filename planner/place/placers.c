/* placers.c: the table of placers and cosma_place, the one entry point
 * (names are looked up here only, never compared elsewhere). */
#include <string.h>

#include "place_internal.h"

static const struct {
    const char *name;
    cosma_placer_fn_t place;
} PLACERS[COSMA_PLACER_COUNT] = {
    [COSMA_PLACER_GREEDY_BY_SIZE] = {"greedy-by-size", cosma_place_greedy_by_size},
    [COSMA_PLACER_FIRST_FIT] = {"first-fit", cosma_place_first_fit},
    [COSMA_PLACER_HILL_CLIMB] = {"hill-climb", cosma_place_hill_climb},
    [COSMA_PLACER_COSMA] = {"cosma", cosma_place_cosma},
    [COSMA_PLACER_EXACT] = {"exact", cosma_place_exact},
};

void cosma_place_options_init(cosma_place_options_t *options)
{
    *options = (cosma_place_options_t){.capacity = UINT64_MAX,
                                       .align = 1,
                                       .effort = 1,
                                       .max_items = COSMA_PLACE_EXACT_MAX_ITEMS,
                                       .time_limit = COSMA_PLACE_EXACT_SECONDS};
}

int cosma_place(cosma_placer_t placer, cosma_place_item_t *items, int32_t n_items,
                const cosma_place_options_t *options, uint64_t *out_extent)
{
    if ((unsigned)placer >= COSMA_PLACER_COUNT || options == NULL || out_extent == NULL || n_items < 0 ||
        (n_items > 0 && items == NULL))
        return -1;
    if (n_items == 0) {
        *out_extent = 0;
        return 1;
    }
    return PLACERS[placer].place(items, n_items, options, out_extent);
}

const char *cosma_placer_name(cosma_placer_t placer)
{
    return (unsigned)placer < COSMA_PLACER_COUNT ? PLACERS[placer].name : "?";
}

int cosma_placer_find(const char *name, cosma_placer_t *out_placer)
{
    for (int p = 0; p < COSMA_PLACER_COUNT && name != NULL; p++)
        if (strcmp(name, PLACERS[p].name) == 0) {
            *out_placer = (cosma_placer_t)p;
            return 0;
        }
    return -1;
}
