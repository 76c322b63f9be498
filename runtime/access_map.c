/* access_map.c: the latest access, per lane, of every byte range of the
 * scratchpad, so that deps.c finds the write-after-read and
 * write-after-write edges of a write in O(log n) instead of comparing it
 * with every interval of the plan (quadratic: 100,000 intervals took
 * minutes).  A segment tree per lane over the intervals' boundaries;
 * updates raise a range to a node index, queries take the largest index
 * over a range. */
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

struct rt_access_map {
    uint64_t *points;  /* sorted distinct interval boundaries */
    int32_t n_points;  /* segments: n_points - 1 */
    int32_t size;      /* leaves of the tree (a power of two) */
    int32_t *tag[RT_N_LANES];  /* raised over the node's whole range */
    int32_t *best[RT_N_LANES]; /* largest index within the node's range */
};

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

cosma_status_t rt_access_map_create(const cosma_interval_t *intervals, int32_t n_intervals,
                                    rt_access_map_t **out_map)
{
    *out_map = NULL;
    rt_access_map_t *map = calloc(1, sizeof *map);
    if (map == NULL)
        return COSMA_ERR_NOMEM;
    map->points = malloc(((size_t)n_intervals * 2 + 1) * sizeof(uint64_t));
    if (map->points == NULL) {
        rt_access_map_destroy(map);
        return COSMA_ERR_NOMEM;
    }
    int32_t n = 0;
    for (int32_t i = 0; i < n_intervals; i++)
        if (intervals[i].bytes > 0) {
            map->points[n++] = intervals[i].offset;
            map->points[n++] = intervals[i].offset + intervals[i].bytes; /* within the verified budget */
        }
    qsort(map->points, (size_t)n, sizeof(uint64_t), compare_u64);
    int32_t distinct = 0;
    for (int32_t k = 0; k < n; k++)
        if (distinct == 0 || map->points[k] != map->points[distinct - 1])
            map->points[distinct++] = map->points[k];
    map->n_points = distinct;
    map->size = 1;
    while (map->size < distinct)
        map->size *= 2;
    for (int l = 0; l < RT_N_LANES; l++) {
        map->tag[l] = malloc((size_t)map->size * 2 * sizeof(int32_t));
        map->best[l] = malloc((size_t)map->size * 2 * sizeof(int32_t));
        if (map->tag[l] == NULL || map->best[l] == NULL) {
            rt_access_map_destroy(map);
            return COSMA_ERR_NOMEM;
        }
        memset(map->tag[l], 0xff, (size_t)map->size * 2 * sizeof(int32_t)); /* -1 */
        memset(map->best[l], 0xff, (size_t)map->size * 2 * sizeof(int32_t));
    }
    *out_map = map;
    return COSMA_OK;
}

void rt_access_map_destroy(rt_access_map_t *map)
{
    if (map == NULL)
        return;
    for (int l = 0; l < RT_N_LANES; l++) {
        free(map->tag[l]);
        free(map->best[l]);
    }
    free(map->points);
    free(map);
}

/* The segments [lo, hi) of a byte range (an interval's own boundaries). */
static int segments_of(const rt_access_map_t *map, uint64_t offset, uint64_t bytes, int32_t *out_lo, int32_t *out_hi)
{
    if (bytes == 0 || map->n_points < 2)
        return 0;
    const uint64_t end = offset + bytes;
    const uint64_t *lo = bsearch(&offset, map->points, (size_t)map->n_points, sizeof(uint64_t), compare_u64);
    const uint64_t *hi = bsearch(&end, map->points, (size_t)map->n_points, sizeof(uint64_t), compare_u64);
    if (lo == NULL || hi == NULL)
        return 0; /* not an interval of the plan: nothing overlaps it */
    *out_lo = (int32_t)(lo - map->points);
    *out_hi = (int32_t)(hi - map->points);
    return *out_lo < *out_hi;
}

static void tree_raise(rt_access_map_t *map, int lane, int32_t node, int32_t lo, int32_t hi, int32_t at, int32_t from,
                  int32_t to)
{
    if (hi <= from || to <= lo)
        return;
    int32_t *tag = map->tag[lane], *best = map->best[lane];
    if (lo <= from && to <= hi) {
        tag[at] = node > tag[at] ? node : tag[at];
        best[at] = node > best[at] ? node : best[at];
        return;
    }
    int32_t mid = from + (to - from) / 2;
    tree_raise(map, lane, node, lo, hi, 2 * at, from, mid);
    tree_raise(map, lane, node, lo, hi, 2 * at + 1, mid, to);
    int32_t below = best[2 * at] > best[2 * at + 1] ? best[2 * at] : best[2 * at + 1];
    best[at] = below > tag[at] ? below : tag[at];
}

static int32_t tree_latest(const rt_access_map_t *map, int lane, int32_t lo, int32_t hi, int32_t at, int32_t from,
                      int32_t to)
{
    if (hi <= from || to <= lo)
        return -1;
    if (lo <= from && to <= hi)
        return map->best[lane][at];
    int32_t mid = from + (to - from) / 2;
    int32_t left = tree_latest(map, lane, lo, hi, 2 * at, from, mid);
    int32_t right = tree_latest(map, lane, lo, hi, 2 * at + 1, mid, to);
    int32_t found = left > right ? left : right;
    return found > map->tag[lane][at] ? found : map->tag[lane][at];
}

void rt_access_map_touch(rt_access_map_t *map, uint64_t offset, uint64_t bytes, rt_lane_t lane, int32_t node)
{
    int32_t lo, hi;
    if (segments_of(map, offset, bytes, &lo, &hi))
        tree_raise(map, (int)lane, node, lo, hi, 1, 0, map->size);
}

void rt_access_map_latest(const rt_access_map_t *map, uint64_t offset, uint64_t bytes,
                          int32_t out_latest[RT_N_LANES])
{
    int32_t lo, hi;
    int found = segments_of(map, offset, bytes, &lo, &hi);
    for (int l = 0; l < RT_N_LANES; l++)
        out_latest[l] = found ? tree_latest(map, l, lo, hi, 1, 0, map->size) : -1;
}
