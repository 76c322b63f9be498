/* gap_index.c: the wide steps' gaps (gap_index.h).  Per wide step two
 * treaps over one node per placed item live there: its spans by offset
 * (to find a new span's neighbours) and the gap just below each span by
 * (size, start), each subtree with its smallest start, so that both the
 * lowest and the smallest fitting gap are one split away.  A sentinel span
 * at UINT64_MAX carries the open gap above the highest span.
 *
 * Why the answer is place.c's: the placed items live at one step share
 * that step, so their spans are disjoint (a zero-byte span lies on a
 * boundary, never inside another span).  Sorted by offset, their ends then
 * rise too, and the scan's cursor before a span is the previous span's
 * end: each gap is [align(previous end), offset), which is what the nodes
 * hold.  The scan takes the first fitting gap, whose start is the lowest,
 * or the first of the smallest, whose start is the lowest among them. */
#include <stdlib.h>
#include <string.h>

#include "gap_index.h"

/* A step is wide from WIDE_STEP_ITEMS live items (below, sorting its few
 * spans costs less than the trees); at most GAP_INDEX_MAX_ENTRIES pairs of
 * a wide step and an item live there are indexed. */
enum { WIDE_STEP_ITEMS = 256, GAP_INDEX_MAX_ENTRIES = 1 << 20, NIL = -1 };

struct cosma_gap_node {
    uint64_t offset, end; /* the span [offset, end) */
    uint64_t gap_start;   /* its gap is [gap_start, offset) when has_gap */
    uint64_t min_start;   /* gap treap: the smallest gap_start below */
    int32_t id;           /* the item; INT32_MAX for the sentinel */
    int32_t span_left, span_right, gap_left, gap_right;
    uint32_t priority;
    int has_gap;
};

typedef cosma_gap_node_t node_t;

static int span_before(const node_t *a, const node_t *b)
{
    if (a->offset != b->offset)
        return a->offset < b->offset;
    if (a->end != b->end)
        return a->end < b->end;
    return a->id < b->id;
}

static int gap_before(const node_t *a, const node_t *b)
{
    uint64_t size_a = a->offset - a->gap_start, size_b = b->offset - b->gap_start;
    if (size_a != size_b)
        return size_a < size_b;
    if (a->gap_start != b->gap_start)
        return a->gap_start < b->gap_start;
    return a->id < b->id;
}

/* Span treap: *out_l gets the nodes before pivot, *out_r the rest. */
static void span_split(node_t *nodes, int32_t t, const node_t *pivot, int32_t *out_l, int32_t *out_r)
{
    if (t == NIL) {
        *out_l = *out_r = NIL;
    } else if (span_before(&nodes[t], pivot)) {
        span_split(nodes, nodes[t].span_right, pivot, &nodes[t].span_right, out_r);
        *out_l = t;
    } else {
        span_split(nodes, nodes[t].span_left, pivot, out_l, &nodes[t].span_left);
        *out_r = t;
    }
}

static int32_t span_merge(node_t *nodes, int32_t a, int32_t b)
{
    if (a == NIL || b == NIL)
        return a == NIL ? b : a;
    if (nodes[a].priority > nodes[b].priority) {
        nodes[a].span_right = span_merge(nodes, nodes[a].span_right, b);
        return a;
    }
    nodes[b].span_left = span_merge(nodes, a, nodes[b].span_left);
    return b;
}

static void gap_update(node_t *nodes, int32_t t)
{
    uint64_t m = nodes[t].gap_start;
    int32_t l = nodes[t].gap_left, r = nodes[t].gap_right;
    if (l != NIL && nodes[l].min_start < m)
        m = nodes[l].min_start;
    if (r != NIL && nodes[r].min_start < m)
        m = nodes[r].min_start;
    nodes[t].min_start = m;
}

static void gap_split(node_t *nodes, int32_t t, const node_t *pivot, int32_t *out_l, int32_t *out_r)
{
    if (t == NIL) {
        *out_l = *out_r = NIL;
        return;
    }
    if (gap_before(&nodes[t], pivot)) {
        gap_split(nodes, nodes[t].gap_right, pivot, &nodes[t].gap_right, out_r);
        *out_l = t;
    } else {
        gap_split(nodes, nodes[t].gap_left, pivot, out_l, &nodes[t].gap_left);
        *out_r = t;
    }
    gap_update(nodes, t);
}

static int32_t gap_merge(node_t *nodes, int32_t a, int32_t b)
{
    if (a == NIL || b == NIL)
        return a == NIL ? b : a;
    int32_t top;
    if (nodes[a].priority > nodes[b].priority) {
        nodes[a].gap_right = gap_merge(nodes, nodes[a].gap_right, b);
        top = a;
    } else {
        nodes[b].gap_left = gap_merge(nodes, a, nodes[b].gap_left);
        top = b;
    }
    gap_update(nodes, top);
    return top;
}

static int32_t gap_insert(node_t *nodes, int32_t root, int32_t x)
{
    int32_t l, r;
    nodes[x].gap_left = nodes[x].gap_right = NIL;
    gap_update(nodes, x);
    gap_split(nodes, root, &nodes[x], &l, &r);
    return gap_merge(nodes, gap_merge(nodes, l, x), r);
}

static int32_t gap_erase(node_t *nodes, int32_t t, int32_t x)
{
    if (t == x)
        return gap_merge(nodes, nodes[t].gap_left, nodes[t].gap_right);
    if (gap_before(&nodes[x], &nodes[t]))
        nodes[t].gap_left = gap_erase(nodes, nodes[t].gap_left, x);
    else
        nodes[t].gap_right = gap_erase(nodes, nodes[t].gap_right, x);
    gap_update(nodes, t);
    return t;
}

/* The gap below a span whose lower neighbour ends at `below`. */
static void set_gap(node_t *node, uint64_t below, uint64_t align)
{
    node->gap_start = cosma_align_up(below, align);
    node->has_gap = node->gap_start <= node->offset;
}

/* Treap priorities: ir's seeded pseudo-random sequence, so that no order
 * of insertion can line priorities up with offsets (a deep treap). */
static uint32_t next_priority(cosma_gap_index_t *index)
{
    return (uint32_t)(cosma_random_next(&index->seed) >> 32);
}

/* Fenwick tree over steps 0..max_step: count of entries at steps <= s. */
static int32_t fenwick_sum(const int32_t *tree, int32_t s)
{
    int32_t sum = 0;
    for (int32_t i = s + 1; i > 0; i -= i & -i)
        sum += tree[i];
    return sum;
}

static void fenwick_add(int32_t *tree, int32_t max_step, int32_t s)
{
    for (int32_t i = s + 1; i <= max_step + 1; i += i & -i)
        tree[i]++;
}

/* The first wide step at or after `step` (n_wide when none). */
static int32_t first_wide_from(const cosma_gap_index_t *index, int32_t step)
{
    int32_t lo = 0, hi = index->n_wide;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (index->wide[mid] < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void cosma_gap_index_free(cosma_gap_index_t *index)
{
    free(index->wide);
    free(index->span_root);
    free(index->gap_root);
    free(index->count);
    free(index->by_last);
    free(index->by_first);
    free(index->nodes);
    memset(index, 0, sizeof *index);
}

/* Counts the items live at each step into live (max_step + 2 entries);
 * -1 when an item's steps are negative or empty (place.c's scans do not
 * agree on those, so the index stays out). */
static int count_live(const cosma_place_item_t *items, int32_t n, int32_t max_step, int64_t *live)
{
    for (int32_t i = 0; i < n; i++) {
        if (items[i].first < 0 || items[i].last < items[i].first || items[i].last > max_step)
            return -1;
        live[items[i].first]++;
        live[items[i].last + 1]--;
    }
    for (int32_t t = 1; t <= max_step; t++)
        live[t] += live[t - 1];
    return 0;
}

/* Picks the wide steps; their live items are the nodes besides the
 * sentinels.  -1 when there is none or they are too many. */
static int pick_wide(cosma_gap_index_t *index, const int64_t *live, int32_t max_step, int64_t *out_entries)
{
    int64_t entries = 0;
    int32_t n_wide = 0;
    for (int32_t t = 0; t <= max_step; t++)
        if (live[t] >= WIDE_STEP_ITEMS) {
            entries += live[t];
            n_wide++;
        }
    if (n_wide == 0 || entries > GAP_INDEX_MAX_ENTRIES)
        return -1;
    index->wide = malloc((size_t)n_wide * sizeof(int32_t));
    if (index->wide == NULL)
        return -1;
    for (int32_t t = 0; t <= max_step; t++)
        if (live[t] >= WIDE_STEP_ITEMS)
            index->wide[index->n_wide++] = t;
    *out_entries = entries;
    return 0;
}

int cosma_gap_index_init(cosma_gap_index_t *index, const cosma_place_item_t *items, int32_t n, int32_t max_step,
                         uint64_t align)
{
    memset(index, 0, sizeof *index);
    if (max_step < 0)
        return -1;
    int64_t *live = calloc((size_t)max_step + 2, sizeof(int64_t));
    int64_t entries = 0;
    int ok = live != NULL && count_live(items, n, max_step, live) == 0 && pick_wide(index, live, max_step, &entries) == 0;
    free(live);
    if (ok) {
        size_t w = (size_t)index->n_wide, steps = (size_t)max_step + 2;
        index->align = align;
        index->max_step = max_step;
        index->cap_nodes = index->n_wide + (int32_t)entries;
        index->span_root = malloc(w * sizeof(int32_t));
        index->gap_root = malloc(w * sizeof(int32_t));
        index->count = malloc(w * sizeof(int32_t));
        index->by_last = malloc(steps * sizeof(int32_t));
        index->by_first = malloc(steps * sizeof(int32_t));
        index->nodes = malloc((size_t)index->cap_nodes * sizeof(node_t));
        ok = index->span_root != NULL && index->gap_root != NULL && index->count != NULL &&
             index->by_last != NULL && index->by_first != NULL && index->nodes != NULL;
    }
    if (!ok) {
        cosma_gap_index_free(index);
        return -1;
    }
    cosma_gap_index_reset(index);
    return 0;
}

void cosma_gap_index_reset(cosma_gap_index_t *index)
{
    index->seed = COSMA_RANDOM_SEED;
    for (int32_t w = 0; w < index->n_wide; w++) {
        /* The sentinel: the open gap [0, UINT64_MAX) of an empty step. */
        index->nodes[w] = (node_t){.offset = UINT64_MAX, .end = UINT64_MAX, .gap_start = 0, .min_start = 0,
                                   .id = INT32_MAX, .span_left = NIL, .span_right = NIL, .gap_left = NIL,
                                   .gap_right = NIL, .priority = next_priority(index), .has_gap = 1};
        index->span_root[w] = index->gap_root[w] = w;
        index->count[w] = 0;
    }
    index->n_nodes = index->n_wide;
    memset(index->by_last, 0, ((size_t)index->max_step + 2) * sizeof(int32_t));
    memset(index->by_first, 0, ((size_t)index->max_step + 2) * sizeof(int32_t));
    index->placed = 0;
    index->broken = 0;
}

/* The gap rule among the spans of wide step w; 0 when nothing fits. */
static int query_step(cosma_gap_index_t *index, int32_t w, uint64_t bytes, int best_fit, uint64_t *out_offset)
{
    node_t *nodes = index->nodes;
    node_t pivot = {.offset = bytes, .gap_start = 0, .id = INT32_MIN};
    int32_t small, fitting;
    gap_split(nodes, index->gap_root[w], &pivot, &small, &fitting);
    int found = fitting != NIL;
    if (found && best_fit) {
        int32_t t = fitting;
        while (nodes[t].gap_left != NIL)
            t = nodes[t].gap_left;
        *out_offset = nodes[t].gap_start;
    } else if (found) {
        *out_offset = nodes[fitting].min_start;
    }
    index->gap_root[w] = gap_merge(nodes, small, fitting);
    return found;
}

int cosma_gap_index_find(cosma_gap_index_t *index, const cosma_place_item_t *item, int best_fit,
                         uint64_t *out_offset)
{
    int32_t lo = item->first, hi = item->last;
    if (index->broken)
        return 0;
    /* Placed items sharing a step with [lo, hi]: those starting by hi less
     * those ending before lo. */
    int32_t overlap = fenwick_sum(index->by_first, hi) - fenwick_sum(index->by_last, lo - 1);
    for (int32_t w = first_wide_from(index, lo); w < index->n_wide && index->wide[w] <= hi; w++) {
        if (index->count[w] != overlap)
            continue;
        if (query_step(index, w, item->bytes, best_fit, out_offset))
            return 1;
        /* Nothing fits: the caller's scan places it at 0, over others. */
        cosma_gap_index_abandon(index);
        return 0;
    }
    return 0;
}

/* Inserts span [offset, end) of item id into wide step w. */
static void insert_span(cosma_gap_index_t *index, int32_t w, int32_t id, uint64_t offset, uint64_t end)
{
    node_t *nodes = index->nodes;
    int32_t x = index->n_nodes++;
    nodes[x] = (node_t){.offset = offset, .end = end, .id = id, .span_left = NIL, .span_right = NIL,
                        .gap_left = NIL, .gap_right = NIL, .priority = next_priority(index)};
    int32_t l, r;
    span_split(nodes, index->span_root[w], &nodes[x], &l, &r);
    int32_t below = l, above = r; /* above is never NIL: the sentinel */
    while (below != NIL && nodes[below].span_right != NIL)
        below = nodes[below].span_right;
    while (nodes[above].span_left != NIL)
        above = nodes[above].span_left;
    if (nodes[above].has_gap)
        index->gap_root[w] = gap_erase(nodes, index->gap_root[w], above);
    set_gap(&nodes[above], end, index->align);
    if (nodes[above].has_gap)
        index->gap_root[w] = gap_insert(nodes, index->gap_root[w], above);
    set_gap(&nodes[x], below == NIL ? 0 : nodes[below].end, index->align);
    if (nodes[x].has_gap)
        index->gap_root[w] = gap_insert(nodes, index->gap_root[w], x);
    index->span_root[w] = span_merge(nodes, span_merge(nodes, l, x), r);
    index->count[w]++;
}

void cosma_gap_index_abandon(cosma_gap_index_t *index)
{
    /* Spans would overlap: the gaps stop being those of place.c's scan. */
    index->broken = 1;
}

void cosma_gap_index_add(cosma_gap_index_t *index, const cosma_place_item_t *item, int32_t id, uint64_t offset)
{
    if (index->broken)
        return;
    fenwick_add(index->by_first, index->max_step, item->first);
    fenwick_add(index->by_last, index->max_step, item->last);
    index->placed++;
    for (int32_t w = first_wide_from(index, item->first); w < index->n_wide && index->wide[w] <= item->last; w++)
        insert_span(index, w, id, offset, offset + item->bytes);
}
