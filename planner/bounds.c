/* bounds.c: M_R, and M_P (the minimum over topological orders of the peak
 * of live bytes) by a dynamic program over scheduled-operator sets, pruned
 * to a beam when the state space is too large, and to one child per state
 * where an exchange argument shows that loses nothing, block by block
 * between key points.  Without beam pruning the result is exact; a lower
 * bound comes from the order-independent forced-live analysis
 * (cosma_problem_forced_live) and from every block solved exactly. */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

typedef uint64_t word_t;

/* One DP state: the set of scheduled operators, its ready list and costs.
 * Bitsets and ready lists live in per-layer pools. */
typedef struct {
    uint64_t peak;    /* largest step live bytes so far */
    uint64_t carried; /* live bytes carried into the next step */
    uint64_t hash;
    int32_t parent;   /* index in the previous layer */
    int32_t op;       /* operator added last */
    int32_t ready_at, n_ready;
    int32_t seq;      /* creation order, for deterministic ties */
} state_t;

typedef struct {
    state_t *states;
    int32_t n_states;
    size_t cap_states, cap_bits; /* in states */
    word_t *bits;      /* n_states * words */
    int32_t *ready;    /* pool of ready lists */
    int32_t n_ready;
    size_t cap_ready;
} layer_t;

static int has_bit(const word_t *bits, int32_t i)
{
    return (int)((bits[i / 64] >> (i % 64)) & 1u);
}

/* Zobrist hashing: a set's hash is the XOR of its operators' keys, so a
 * child's hash is its parent's with one key toggled (O(1) per candidate
 * instead of hashing the whole bitset).  Keys are splitmix64 of the
 * operator index: fixed, so the search is deterministic. */
static uint64_t op_key(int32_t op)
{
    uint64_t z = (uint64_t)op * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int layer_reserve(layer_t *layer, int32_t states, int32_t ready, size_t words)
{
    /* bits holds one bitset of `words` words per state. */
    if (cosma_array_reserve((void **)&layer->states, &layer->cap_states, (size_t)states, sizeof(state_t)) != 0 ||
        cosma_array_reserve((void **)&layer->bits, &layer->cap_bits, (size_t)states, words * sizeof(word_t)) != 0 ||
        cosma_array_reserve((void **)&layer->ready, &layer->cap_ready, (size_t)ready, sizeof(int32_t)) != 0)
        return -1;
    return 0;
}

static void layer_free(layer_t *layer)
{
    free(layer->states);
    free(layer->bits);
    free(layer->ready);
    memset(layer, 0, sizeof *layer);
}

/* Bytes that start being live when op runs after the set `bits`, and
 * bytes freed after it runs. */
static void step_delta(const cosma_problem_t *problem, const word_t *bits, int32_t op, uint64_t *out_new,
                       uint64_t *out_freed)
{
    const cosma_graph_t *graph = problem->graph;
    uint64_t added = 0, freed = 0;
    for (int32_t k = problem->operand_start[op]; k < problem->operand_start[op + 1]; k++) {
        int32_t t = problem->operands[k];
        const cosma_tensor_t *tensor = &graph->tensors[t];
        int started = tensor->producer >= 0 ? tensor->producer != op : 0;
        int all_read = 1;
        for (int32_t c = 0; c < tensor->n_consumers; c++) {
            int32_t reader = tensor->consumers[c];
            if (reader == op)
                continue;
            if (has_bit(bits, reader))
                started |= tensor->producer < 0;
            else
                all_read = 0;
        }
        if (!started)
            added += problem->size[t];
        if (all_read)
            freed += problem->size[t];
    }
    *out_new = added;
    *out_freed = freed;
}

static int compare_states(const void *a, const void *b)
{
    const state_t *x = a, *y = b;
    if (x->peak != y->peak)
        return x->peak < y->peak ? -1 : 1;
    if (x->carried != y->carried)
        return x->carried < y->carried ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One beam search in progress: two layers of states (sets of scheduled
 * operators), the dedup table of the layer being built, and the history
 * that rebuilds the order. */
typedef struct {
    const cosma_problem_t *problem;
    size_t words;            /* per bitset */
    layer_t layers[2];
    layer_t *cur, *next;
    int32_t *table;          /* open addressing: state index or -1 */
    size_t table_cap, table_size;
    int32_t *hist_parent, *hist_op, *hist_start; /* per layer, per kept state */
    size_t hist_parent_cap, hist_op_cap, hist_len;
    uint64_t *added, *freed; /* per ready operator of the state expanded (n_ops) */
    uint64_t floor;          /* a proven lower bound on the minimum peak */
    int one_child;           /* use the one-child rule (ready_deltas) */
    double work;             /* children evaluated x bitset words: the search's cost */
} beam_t;

static void beam_free(beam_t *b)
{
    layer_free(&b->layers[0]);
    layer_free(&b->layers[1]);
    free(b->hist_parent);
    free(b->hist_op);
    free(b->hist_start);
    free(b->table);
    free(b->added);
    free(b->freed);
}

/* A range of the default order that every topological order runs as one
 * block: operators [begin, end), after all of [0, begin) (the prefix). */
typedef struct {
    int32_t begin, end;
    const word_t *prefix; /* bits of [0, begin) */
    uint64_t carried;     /* live bytes after the prefix */
} segment_t;

/* Layer 0: the prefix; ready = the segment's operators whose
 * predecessors all ran in it.  Hashes are relative to the prefix. */
static int beam_start(beam_t *b, const segment_t *seg)
{
    const cosma_problem_t *problem = b->problem;
    int32_t n = problem->n_ops;
    b->words = ((size_t)n + 63) / 64;
    b->cur = &b->layers[0];
    b->next = &b->layers[1];
    b->hist_start = calloc((size_t)n + 2, sizeof(int32_t));
    b->added = malloc(((size_t)n + 1) * sizeof(uint64_t));
    b->freed = malloc(((size_t)n + 1) * sizeof(uint64_t));
    layer_t *cur = b->cur;
    if (b->hist_start == NULL || b->added == NULL || b->freed == NULL || layer_reserve(cur, 1, n, b->words) != 0)
        return -1;
    memcpy(cur->bits, seg->prefix, b->words * sizeof(word_t));
    cur->n_states = 1;
    cur->n_ready = 0;
    for (int32_t o = seg->begin; o < seg->end; o++) {
        int ready = 1;
        for (int32_t k = problem->pred_start[o]; k < problem->pred_start[o + 1] && ready; k++)
            ready = problem->preds[k] < seg->begin;
        if (ready)
            cur->ready[cur->n_ready++] = o;
    }
    cur->states[0] = (state_t){0, seg->carried, 0, -1, -1, 0, cur->n_ready, 0};
    return 0;
}

/* An empty dedup table for up to `candidates` children. */
static int table_reset(beam_t *b, int64_t candidates)
{
    size_t want = 1;
    while (want < (size_t)candidates * 2 + 2)
        want *= 2;
    if (want > b->table_cap) {
        free(b->table);
        b->table = malloc(want * sizeof(int32_t));
        if (b->table == NULL)
            return -1;
        b->table_cap = want;
    }
    b->table_size = want;
    for (size_t i = 0; i < want; i++)
        b->table[i] = -1;
    return 0;
}

/* The slot of the next layer's state with these bits, or the free slot
 * where it goes; *out_found is its index or -1. */
static size_t table_find(const beam_t *b, const word_t *bits, uint64_t h, int32_t *out_found)
{
    size_t slot = (size_t)h & (b->table_size - 1);
    *out_found = -1;
    while (b->table[slot] >= 0) {
        int32_t other = b->table[slot];
        if (b->next->states[other].hash == h &&
            memcmp(b->next->bits + (size_t)other * b->words, bits, b->words * sizeof(word_t)) == 0) {
            *out_found = other;
            return slot;
        }
        slot = (slot + 1) & (b->table_size - 1);
    }
    return slot;
}

/* Adds the child of state s that runs op (bits already include op): its
 * ready list is the parent's minus op plus the successors of op whose
 * predecessors are all scheduled. */
static int add_child(beam_t *b, int32_t s, int32_t op, const word_t *bits, state_t child, size_t slot)
{
    const cosma_problem_t *problem = b->problem;
    const state_t *state = &b->cur->states[s];
    layer_t *next = b->next;
    int32_t n_succ = problem->succ_start[op + 1] - problem->succ_start[op];
    if (layer_reserve(next, next->n_states + 1, next->n_ready + state->n_ready + n_succ, b->words) != 0)
        return -1;
    int32_t index = next->n_states++;
    memcpy(next->bits + (size_t)index * b->words, bits, b->words * sizeof(word_t));
    child.ready_at = next->n_ready;
    for (int32_t q = 0; q < state->n_ready; q++) {
        int32_t other = b->cur->ready[state->ready_at + q];
        if (other != op)
            next->ready[next->n_ready++] = other;
    }
    for (int32_t k = problem->succ_start[op]; k < problem->succ_start[op + 1]; k++) {
        int32_t succ = problem->succs[k];
        int ok = 1;
        for (int32_t j = problem->pred_start[succ]; j < problem->pred_start[succ + 1] && ok; j++)
            ok = has_bit(bits, problem->preds[j]);
        if (ok)
            next->ready[next->n_ready++] = succ;
    }
    child.n_ready = next->n_ready - child.ready_at;
    next->states[index] = child;
    b->table[slot] = index;
    return 0;
}

/* Fills b->added and b->freed for every ready operator of state s and
 * returns the index (in its ready list) of one that an optimal completion
 * may run first, or -1.  Exchange argument: when op frees at least the
 * bytes it makes live and its own step stays within max(state peak,
 * floor), moving op to the front of any completion raises no step (the
 * steps it jumps over hold its outputs earlier but no longer its freed
 * inputs) and its own step is at most the state's peak or the floor,
 * which the completion's peak reaches anyway (every order peaks at floor
 * or more).  So the search stays exact with that one child; it
 * is what makes the chains of NAS cells and transformer layers cheap. */
static int32_t ready_deltas(beam_t *b, int32_t s)
{
    const state_t *state = &b->cur->states[s];
    const word_t *bits = b->cur->bits + (size_t)s * b->words;
    uint64_t limit = state->peak > b->floor ? state->peak : b->floor;
    for (int32_t r = 0; r < state->n_ready; r++) {
        step_delta(b->problem, bits, b->cur->ready[state->ready_at + r], &b->added[r], &b->freed[r]);
        if (b->one_child && b->added[r] <= b->freed[r] && state->carried + b->added[r] <= limit)
            return r;
    }
    return -1;
}

/* Builds the next layer: every state expanded by every ready operator (or
 * by its dominant one, see ready_deltas), children with the same set
 * merged (keeping the lower peak), children above the cutoff dropped. */
static int expand_layer(beam_t *b, uint64_t cutoff)
{
    layer_t *cur = b->cur, *next = b->next;
    int64_t candidates = 0;
    for (int32_t s = 0; s < cur->n_states; s++)
        candidates += cur->states[s].n_ready;
    if (candidates > INT32_MAX / 4 || table_reset(b, candidates) != 0)
        return -1;
    next->n_states = 0;
    next->n_ready = 0;
    int32_t seq = 0;
    for (int32_t s = 0; s < cur->n_states; s++) {
        const state_t *state = &cur->states[s];
        word_t *bits = cur->bits + (size_t)s * b->words;
        int32_t dominant = ready_deltas(b, s);
        b->work += (double)state->n_ready * (double)b->words;
        int32_t r_first = dominant >= 0 ? dominant : 0, r_end = dominant >= 0 ? dominant + 1 : state->n_ready;
        for (int32_t r = r_first; r < r_end; r++) {
            int32_t op = cur->ready[state->ready_at + r];
            uint64_t added = b->added[r], freed = b->freed[r];
            uint64_t live = state->carried + added;
            uint64_t peak = live > state->peak ? live : state->peak;
            if (peak > cutoff)
                continue;
            /* Hash and compare the child set in place, then restore. */
            word_t saved = bits[op / 64];
            bits[op / 64] = saved | ((word_t)1 << (op % 64));
            uint64_t h = state->hash ^ op_key(op);
            int32_t found;
            size_t slot = table_find(b, bits, h, &found);
            int failed = 0;
            if (found >= 0 && peak < next->states[found].peak) {
                next->states[found].peak = peak;
                next->states[found].parent = s;
                next->states[found].op = op;
            } else if (found < 0) {
                failed = add_child(b, s, op, bits, (state_t){peak, live - freed, h, s, op, 0, 0, seq++}, slot);
            }
            bits[op / 64] = saved;
            if (failed)
                return -1;
        }
    }
    return 0;
}

/* Keeps the best `width` states of the next layer (by peak, then carried
 * bytes, then creation), compacting bitsets and ready lists. */
static int prune_layer(beam_t *b, int32_t width)
{
    layer_t *next = b->next;
    state_t *sorted = malloc((size_t)next->n_states * sizeof(state_t));
    int32_t *keep = malloc((size_t)next->n_states * sizeof(int32_t));
    if (sorted == NULL || keep == NULL) {
        free(sorted);
        free(keep);
        return -1;
    }
    for (int32_t i = 0; i < next->n_states; i++) {
        sorted[i] = next->states[i];
        sorted[i].seq = i; /* stable: creation order */
    }
    qsort(sorted, (size_t)next->n_states, sizeof(state_t), compare_states);
    /* Kept in creation order so compaction can move data down
     * (insertion sort on width items). */
    for (int32_t i = 0; i < width; i++) {
        int32_t v = sorted[i].seq, j = i - 1;
        while (j >= 0 && keep[j] > v) {
            keep[j + 1] = keep[j];
            j--;
        }
        keep[j + 1] = v;
    }
    int32_t ready_fill = 0;
    for (int32_t i = 0; i < width; i++) {
        state_t moved = next->states[keep[i]];
        memmove(next->bits + (size_t)i * b->words, next->bits + (size_t)keep[i] * b->words,
                b->words * sizeof(word_t));
        memmove(next->ready + ready_fill, next->ready + moved.ready_at, (size_t)moved.n_ready * sizeof(int32_t));
        moved.ready_at = ready_fill;
        ready_fill += moved.n_ready;
        next->states[i] = moved;
    }
    next->n_states = width;
    next->n_ready = ready_fill;
    free(sorted);
    free(keep);
    return 0;
}

/* Records the next layer's (parent, op) pairs and makes it current. */
static int record_layer(beam_t *b, int32_t depth)
{
    layer_t *next = b->next;
    size_t need = b->hist_len + (size_t)next->n_states;
    if (cosma_array_reserve((void **)&b->hist_parent, &b->hist_parent_cap, need, sizeof(int32_t)) != 0 ||
        cosma_array_reserve((void **)&b->hist_op, &b->hist_op_cap, need, sizeof(int32_t)) != 0)
        return -1;
    b->hist_start[depth + 1] = (int32_t)b->hist_len;
    for (int32_t i = 0; i < next->n_states; i++) {
        b->hist_parent[b->hist_len + (size_t)i] = next->states[i].parent;
        b->hist_op[b->hist_len + (size_t)i] = next->states[i].op;
    }
    b->hist_len = need;
    b->next = b->cur;
    b->cur = next;
    return 0;
}

/* The M_P search, per segment: beams of BEAM_FIRST_WIDTH states, growing
 * by BEAM_WIDTH_GROWTH while width x operators of the segment (the states
 * the search keeps) stays within BEAM_MAX_STATES and the next round's
 * cost, predicted as the last one's times the growth, within what is left
 * of BEAM_WORK (children evaluated x bitset words, about 4 ns each on a
 * 2-core EPYC).  A fixed amount of work, so the result does not depend on
 * the machine; the time limit, BOUNDS_DEFAULT_SECONDS when none is given,
 * is a guard, and the search for a placeable order of that peak keeps to
 * it too.  The limits allow width 16,384 on NASNet-A's 879 operators,
 * where the exact dynamic program needs it (about 1.5e8 of work), and
 * hold a 5,000-operator random DAG to width 64.  Segments shorter than
 * SEGMENT_MIN_OPS are merged with the next: a union of blocks is a block,
 * and tiny searches cost more in setup than they save. */
enum { BEAM_FIRST_WIDTH = 64, BEAM_WIDTH_GROWTH = 4, SEGMENT_MIN_OPS = 32 };
#define BEAM_MAX_STATES 2e7
#define BEAM_WORK 8e8
#define BOUNDS_DEFAULT_SECONDS 10.0

/* One beam search of width `width` over a segment: 0 with *out_peak the
 * best peak of its steps and out_order (end - begin entries) its order,
 * or UINT64_MAX when every state went above `cutoff` (states above it are
 * dropped without loss of exactness); -1 when out of memory or time
 * (*out_timed_out).  *out_work: its cost (see beam_t).  *out_pruned
 * tells whether a state was dropped for width: if not, *out_peak is the
 * exact minimum (or at most the floor, see ready_deltas), or no order
 * peaks within the cutoff.  floor: a proven
 * lower bound on the minimum peak of the whole graph; one_child: use the
 * rule of ready_deltas. */
static int beam_search(const cosma_problem_t *problem, const segment_t *seg, int32_t width, uint64_t cutoff,
                       uint64_t floor, int one_child, double deadline, int32_t *out_order, uint64_t *out_peak,
                       int *out_pruned, int *out_timed_out, double *out_work)
{
    int32_t n = seg->end - seg->begin;
    beam_t b = {.problem = problem, .floor = floor, .one_child = one_child};
    int failed = -1;
    *out_peak = UINT64_MAX;
    *out_pruned = 0;
    *out_timed_out = 0;
    if (beam_start(&b, seg) != 0)
        goto done;
    for (int32_t depth = 0; depth < n; depth++) {
        if (cosma_clock_seconds() > deadline) {
            *out_timed_out = 1;
            goto done;
        }
        if (expand_layer(&b, cutoff) != 0)
            goto done;
        if (b.next->n_states == 0) { /* all above the cutoff */
            failed = 0;
            goto done;
        }
        if (b.next->n_states > width) {
            *out_pruned = 1;
            if (prune_layer(&b, width) != 0)
                goto done;
        }
        if (record_layer(&b, depth) != 0)
            goto done;
    }
    /* cur holds exactly one state: every operator of the segment ran. */
    *out_peak = b.cur->states[0].peak;
    int32_t index = 0;
    for (int32_t depth = n; depth >= 1; depth--) {
        size_t at = (size_t)b.hist_start[depth] + (size_t)index;
        out_order[depth - 1] = b.hist_op[at];
        index = b.hist_parent[at];
    }
    failed = 0;
done:
    *out_work = b.work;
    beam_free(&b);
    return failed;
}

/* Where the segments start.  A key point (ROAM's term) is an operator
 * whose ancestors and descendants are all the others: every order runs
 * its ancestors, [0, k) in the topological default order, before it and
 * its descendants after it, so the minimum peak of the graph is the
 * largest of the minimum peaks of the blocks between key points, each
 * solved from the fixed prefix before it.  out_starts gets the first
 * operator of every segment after the first (ascending); returns their
 * count.  Without the closure (too large a graph): no cut. */
static int32_t segment_starts(const cosma_problem_t *problem, int32_t *out_starts)
{
    int32_t n = problem->n_ops, count = 0;
    if (!cosma_problem_closure_affordable(problem))
        return 0;
    size_t words = ((size_t)n + 63) / 64;
    word_t *anc = calloc((size_t)n * words + 1, sizeof(word_t));
    word_t *desc = calloc((size_t)n * words + 1, sizeof(word_t));
    if (anc != NULL && desc != NULL) {
        cosma_problem_closure(problem, anc, desc, words);
        int32_t last = 0;
        for (int32_t k = 1; k < n; k++) {
            int64_t ancestors = 0, descendants = 0;
            for (size_t w = 0; w < words; w++) {
                ancestors += __builtin_popcountll(anc[(size_t)k * words + w]);
                descendants += __builtin_popcountll(desc[(size_t)k * words + w]);
            }
            if (ancestors == k && descendants == n - 1 - k && k - last >= SEGMENT_MIN_OPS &&
                n - k >= SEGMENT_MIN_OPS)
                out_starts[count++] = last = k;
        }
    }
    free(anc);
    free(desc);
    return count;
}

/* Runs the segment's operators in the default order from its prefix:
 * returns the peak of their steps and leaves bits and *inout_carried at
 * the segment's end (the next one's prefix). */
static uint64_t segment_walk(const cosma_problem_t *problem, const segment_t *seg, word_t *bits,
                             uint64_t *inout_carried)
{
    uint64_t peak = 0, carried = *inout_carried;
    for (int32_t o = seg->begin; o < seg->end; o++) {
        uint64_t added, freed;
        step_delta(problem, bits, o, &added, &freed);
        uint64_t live = carried + added;
        peak = live > peak ? live : peak;
        carried = live - freed;
        bits[o / 64] |= (word_t)1 << (o % 64);
    }
    *inout_carried = carried;
    return peak;
}

typedef struct {
    const cosma_problem_t *problem;
    uint64_t floor;     /* proven lower bound on the minimum peak */
    double work_left;   /* of BEAM_WORK */
    double deadline;
    int32_t *trial;     /* scratch order */
    int32_t max_width;  /* widest beam tried */
    int one_child;      /* use the one-child rule (ready_deltas) */
    int stopped_by_clock;
} peak_search_t;

/* Widens the beam over one segment until it is exact, proves the
 * incumbent (the default order's peak `best`, order[begin..end) holding
 * it), or hits the width or work limit or the clock.  Leaves the best
 * order found in order[begin..end); *out_exact when its peak is the
 * segment's minimum or within the floor. */
static uint64_t segment_solve(peak_search_t *p, const segment_t *seg, uint64_t best, int32_t *order, int *out_exact)
{
    int32_t len = seg->end - seg->begin;
    int exact = best <= p->floor;
    double predicted = 0; /* the first round always runs */
    for (int32_t width = BEAM_FIRST_WIDTH; !exact && width <= p->max_width; width *= BEAM_WIDTH_GROWTH) {
        if ((double)width * (double)len > BEAM_MAX_STATES || predicted > p->work_left)
            break;
        int pruned = 0, timed_out = 0;
        uint64_t peak;
        double work = 0;
        int failed = beam_search(p->problem, seg, width, best, p->floor, p->one_child, p->deadline, p->trial,
                                 &peak, &pruned, &timed_out, &work);
        p->work_left -= work;
        predicted = work * BEAM_WIDTH_GROWTH;
        if (failed) {
            p->stopped_by_clock |= timed_out;
            break; /* out of time or memory: nothing proven by this round */
        }
        /* A narrow beam can lose every state to the cutoff (it kept states
         * that all peak higher later): a wider one may not. */
        if (peak <= best) {
            if (peak < best || !pruned)
                memcpy(order + seg->begin, p->trial, (size_t)len * sizeof(int32_t));
            best = peak;
        }
        /* Nothing dropped for width: best is the minimum (states above the
         * incumbent were cut without loss). */
        exact = !pruned || best <= p->floor;
    }
    *out_exact = exact;
    return best;
}

/* The minimum-peak order, segment by segment.  *inout_lower (a proven
 * bound on entry) rises to the largest exact segment minimum: every
 * order holds that peak in that block.  Returns the peak of order. */
static uint64_t peak_order_search(peak_search_t *p, int32_t *order, uint64_t *inout_lower)
{
    const cosma_problem_t *problem = p->problem;
    int32_t n = problem->n_ops;
    size_t words = ((size_t)n + 63) / 64;
    int32_t *starts = malloc(((size_t)n + 1) * sizeof(int32_t));
    word_t *bits = calloc(words + 1, sizeof(word_t)), *prefix = calloc(words + 1, sizeof(word_t));
    uint64_t best = UINT64_MAX, lower = *inout_lower, carried = 0;
    for (int32_t o = 0; o < n; o++)
        order[o] = o;
    if (starts == NULL || bits == NULL || prefix == NULL)
        goto done;
    int32_t n_starts = segment_starts(problem, starts);
    starts[n_starts] = n;
    best = 0;
    for (int32_t i = 0, begin = 0; i <= n_starts; begin = starts[i++]) {
        memcpy(prefix, bits, words * sizeof(word_t));
        segment_t seg = {begin, starts[i], prefix, carried};
        uint64_t incumbent = segment_walk(problem, &seg, bits, &carried);
        int exact = 0;
        uint64_t peak = segment_solve(p, &seg, incumbent, order, &exact);
        best = peak > best ? peak : best;
        if (exact && peak > lower)
            lower = peak;
    }
    *inout_lower = lower;
done:
    free(starts);
    free(bits);
    free(prefix);
    return best;
}

/* Among orders of peak `best`, prefers one whose zero-spill tensors also
 * place within it, so that a spill-free plan at M_P exists when we can
 * find one: the order found, else another from one beam of the narrowest
 * width without the one-child rule (its own fixed work; on pnasnet5large
 * its order places and the rule's does not), else whichever of the two
 * has the smaller greedy arena.  other: scratch of n_ops entries.
 * COSMA_ERR_NOMEM (order is then still one of peak `best`). */
static cosma_status_t prefer_placeable(const peak_search_t *found, int32_t *order, int32_t *other, uint64_t best)
{
    const cosma_problem_t *problem = found->problem;
    size_t bytes = (size_t)problem->n_ops * sizeof(int32_t);
    int placed;
    cosma_status_t status = cosma_order_search_placeable(problem, order, best, found->deadline, &placed);
    if (status != COSMA_OK || placed)
        return status;
    peak_search_t search = *found;
    search.work_left = BEAM_WORK;
    search.max_width = BEAM_FIRST_WIDTH;
    search.one_child = 0;
    uint64_t lower = search.floor, peak = peak_order_search(&search, other, &lower);
    if (peak == UINT64_MAX)
        return COSMA_ERR_NOMEM; /* as for the first search */
    if (peak != best || memcmp(order, other, bytes) == 0)
        return COSMA_OK;
    if ((status = cosma_order_search_placeable(problem, other, best, found->deadline, &placed)) != COSMA_OK)
        return status;
    uint64_t arena_other = 0, arena_order = 0;
    if (!placed && ((status = cosma_order_arena_score(problem, other, best, &arena_other)) != COSMA_OK ||
                    (status = cosma_order_arena_score(problem, order, best, &arena_order)) != COSMA_OK))
        return status;
    if (placed || arena_other < arena_order)
        memcpy(order, other, bytes);
    return COSMA_OK;
}

cosma_status_t cosma_planner_bounds(const cosma_graph_t *graph, const cosma_mode_t *mode, double time_limit,
                                    cosma_bounds_t *out_bounds, cosma_diag_t *diag)
{
    memset(out_bounds, 0, sizeof *out_bounds);
    cosma_problem_t problem;
    cosma_status_t status = cosma_problem_init(&problem, graph, mode, diag);
    if (status != COSMA_OK)
        return status;
    int32_t n = graph->n_ops;
    int32_t *order = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *trial = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *other = malloc(((size_t)n + 1) * sizeof(int32_t));
    uint64_t best = UINT64_MAX;
    status = COSMA_ERR_NOMEM;
    if (order == NULL || trial == NULL || other == NULL)
        goto done;
    for (int32_t o = 0; o < n; o++) {
        uint64_t need = cosma_problem_working_set(&problem, o);
        if (need > out_bounds->m_r) {
            out_bounds->m_r = need;
            out_bounds->m_r_op = o;
        }
    }
    uint64_t lower = cosma_problem_forced_live(&problem, NULL, NULL);
    if (lower < out_bounds->m_r)
        lower = out_bounds->m_r;
    peak_search_t search = {.problem = &problem, .floor = lower, .work_left = BEAM_WORK, .trial = trial,
                            .max_width = INT32_MAX / BEAM_WIDTH_GROWTH, .one_child = 1};
    search.deadline = cosma_clock_seconds() + (time_limit > 0 ? time_limit : BOUNDS_DEFAULT_SECONDS);
    if ((best = peak_order_search(&search, order, &lower)) == UINT64_MAX)
        goto done;
    if ((status = prefer_placeable(&search, order, other, best)) != COSMA_OK)
        goto done;
    int exact = best <= lower;
    out_bounds->m_p_upper = best;
    out_bounds->m_p_lower = exact ? best : lower;
    out_bounds->m_p_exact = exact;
    out_bounds->m_h = (out_bounds->m_r + best) / 2;
    out_bounds->stopped_by_clock = search.stopped_by_clock;
    out_bounds->order = order;
    order = NULL;
    status = COSMA_OK;
done:
    free(order);
    free(trial);
    free(other);
    cosma_problem_free(&problem);
    return status;
}

void cosma_bounds_free(cosma_bounds_t *bounds)
{
    free(bounds->order);
    bounds->order = NULL;
}
