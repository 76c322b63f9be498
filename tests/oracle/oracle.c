/* oracle.c: exhaustive exact planning of tiny graphs by an A* search over
 * step boundaries, independent of planner/ (see oracle.h).
 *
 * The model (docs/model.md, docs/design.md, docs/plan-format.md): one
 * operator per step in a topological order; at its step all its distinct
 * planned operands are resident, each in one interval [offset, offset +
 * bytes) of [0, budget); resident tensors do not overlap and keep their
 * offset while they stay; inside a step, spills, drops and loads happen
 * before the run, so a tensor loaded or created at t may reuse bytes freed
 * at t.  Graph inputs and parameters have a host copy from the start, a
 * graph output from its store right after its producer, an activation from
 * its spill.  Evicting a tensor with a host copy is a free drop; an
 * activation without one must be spilled (its size, at most once since it
 * then has a copy).  Every load costs its size except the first load of an
 * input or parameter (compulsory).  No interval outlives the tensor's last
 * reader.  The search state after a step: the scheduled set, the resident
 * tensors with their offsets, the spilled activations; everything else
 * (host copies of outputs and inputs, whether an input was loaded before)
 * follows from the scheduled set.
 *
 * Dominance rules (each loses no optimum):
 *  (D1) A load happens only at a step that reads the tensor.  Proof: an
 *       interval that begins with a load at a step that does not read it
 *       can begin at its first reading step instead (same offset, same
 *       cost; a sub-interval never creates an overlap) or, if nothing in it
 *       reads it, be removed (one load less).
 *  (D2) An eviction happens only at the start of the step right after a
 *       use (creation or read).  Proof: an interval whose last step l does
 *       not use the tensor can end at its last use l' < l (l' exists: by
 *       D1 its first step creates or reads it).  A spill stays legal (the
 *       activation still has no host copy and a later step reads it) and a
 *       drop too (every host copy comes from the start, a store at the
 *       creation step or an earlier spill, all before l' + 1).  So after
 *       step t, every resident tensor that step t did not use stays, and
 *       each operand of t that a later step reads is kept or evicted.
 *  (D3) The offset of a tensor created or loaded at t and evicted right
 *       after t (a transient) matters only for step t, so the search only
 *       asks whether the transients fit into the free gaps of step t; one
 *       step is one-dimensional, where items fit into gaps iff they can be
 *       split into groups whose sums fit the gaps (each packed from its
 *       gap's start).  Offsets of tensors that stay are enumerated in full.
 *  (D4) A state and its mirror image (every offset o of a tensor of size z
 *       replaced by budget - o - z) have the same cost to go, since
 *       mirroring a whole plan keeps it valid and its traffic unchanged.
 */
#include "oracle.h"

#include <stdlib.h>
#include <string.h>

#define ORACLE_DEFAULT_MAX_STATES ((size_t)1 << 20)

/* ---- the instance ---------------------------------------------------- */

typedef struct {
    int32_t n_ops, n_tensors;
    uint32_t budget;
    uint32_t size[ORACLE_MAX_TENSORS];    /* 0: not planned in this mode */
    uint32_t readers[ORACLE_MAX_TENSORS]; /* operators reading it (mask) */
    int host_start[ORACLE_MAX_TENSORS];   /* input or parameter */
    int activation[ORACLE_MAX_TENSORS];   /* needs a spill to be evicted */
    uint32_t inputs[ORACLE_MAX_OPS];      /* distinct planned inputs (mask) */
    uint32_t outputs[ORACLE_MAX_OPS];
    uint32_t preds[ORACLE_MAX_OPS];       /* producers of its inputs (mask) */
} instance_t;

static uint32_t bit(int32_t i)
{
    return (uint32_t)1 << i;
}

static int popcount32(uint32_t x)
{
    int n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

static uint32_t mask_bytes(const instance_t *in, uint32_t tensors)
{
    uint32_t sum = 0;
    for (int32_t x = 0; x < in->n_tensors; x++)
        if (tensors & bit(x))
            sum += in->size[x];
    return sum;
}

/* Planned tensors a later step (not in done) still reads. */
static uint32_t needed_after(const instance_t *in, uint32_t done)
{
    uint32_t needed = 0;
    for (int32_t x = 0; x < in->n_tensors; x++)
        if (in->readers[x] & ~done)
            needed |= bit(x);
    return needed;
}

static void instance_add_op(instance_t *in, const cosma_graph_t *graph, int32_t o)
{
    const cosma_op_t *op = &graph->ops[o];
    for (int32_t i = 0; i < op->n_inputs; i++) {
        int32_t x = op->inputs[i];
        if (x < 0)
            continue;
        if (graph->tensors[x].producer >= 0)
            in->preds[o] |= bit(graph->tensors[x].producer);
        if (in->size[x] > 0) {
            in->inputs[o] |= bit(x);
            in->readers[x] |= bit(o);
        }
    }
    for (int32_t i = 0; i < op->n_outputs; i++)
        in->outputs[o] |= bit(op->outputs[i]);
}

/* 0, or nonzero when the graph is outside the oracle's limits. */
static int instance_build(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t budget, instance_t *out)
{
    memset(out, 0, sizeof *out);
    if (graph->n_ops > ORACLE_MAX_OPS || graph->n_tensors > ORACLE_MAX_TENSORS)
        return -1;
    out->n_ops = graph->n_ops;
    out->n_tensors = graph->n_tensors;
    if (budget > ORACLE_MAX_BUDGET)
        return -1;
    out->budget = (uint32_t)budget;
    uint64_t sizes[ORACLE_MAX_TENSORS];
    if (cosma_graph_sizes(graph, mode, sizes, NULL) != COSMA_OK)
        return -1;
    for (int32_t x = 0; x < graph->n_tensors; x++) {
        if (sizes[x] > ORACLE_MAX_BUDGET)
            return -1;
        out->size[x] = (uint32_t)sizes[x];
        cosma_tensor_kind_t kind = graph->tensors[x].kind;
        out->host_start[x] = kind == COSMA_TENSOR_INPUT || kind == COSMA_TENSOR_PARAM;
        out->activation[x] = kind == COSMA_TENSOR_ACTIVATION;
    }
    for (int32_t o = 0; o < graph->n_ops; o++) {
        instance_add_op(out, graph, o);
        if (popcount32(out->inputs[o] | out->outputs[o]) > ORACLE_MAX_OPERANDS)
            return -1;
    }
    return 0;
}

/* ---- search states --------------------------------------------------- */

typedef struct {
    uint32_t done;                   /* scheduled operators */
    uint32_t spilled;                /* activations with a host copy */
    uint8_t off[ORACLE_MAX_TENSORS]; /* offset + 1 of resident tensors, 0 = not resident */
} state_key_t;

/* A state and the step that reached it at its best known cost. */
typedef struct {
    state_key_t key;
    uint32_t cost;
    int32_t parent; /* -1 for the start */
    int8_t op;
    uint8_t closed;
    uint8_t mirrored; /* the key is the mirror image of the state op reached (D4) */
    uint8_t n_placed; /* tensors created or loaded by op, offsets as seen from the parent's key */
    uint8_t placed_tensor[ORACLE_MAX_OPERANDS];
    uint8_t placed_offset[ORACLE_MAX_OPERANDS];
} node_t;

typedef struct {
    uint32_t priority; /* cost + a lower bound on the cost still to come (A*) */
    uint32_t cost;
    int32_t depth;     /* deeper first among equal priorities: reaches a goal sooner */
    int32_t node;
} heap_entry_t;

typedef struct {
    const instance_t *in;
    const oracle_options_t *options;
    node_t *nodes;
    size_t n_nodes, cap_nodes;
    int32_t *table; /* node index + 1, 0 = empty; open addressing */
    size_t table_size;
    heap_entry_t *heap;
    size_t n_heap, cap_heap;
    oracle_outcome_t failure; /* ORACLE_TOO_BIG or ORACLE_NOMEM once the search must stop */
    int failed;
} search_t;

static uint64_t key_hash(const state_key_t *key)
{
    return cosma_hash_bytes(COSMA_HASH_INIT, key, sizeof *key);
}

static void search_fail(search_t *s, oracle_outcome_t why)
{
    if (!s->failed)
        s->failure = why;
    s->failed = 1;
}

/* Slot of key in the table: its node's slot, or the empty slot for it. */
static size_t table_slot(const search_t *s, const state_key_t *key)
{
    size_t slot = (size_t)key_hash(key) & (s->table_size - 1);
    while (s->table[slot] != 0 && memcmp(&s->nodes[s->table[slot] - 1].key, key, sizeof *key) != 0)
        slot = (slot + 1) & (s->table_size - 1);
    return slot;
}

static int table_grow(search_t *s)
{
    size_t size = s->table_size == 0 ? 4096 : s->table_size * 2;
    int32_t *table = calloc(size, sizeof *table);
    if (table == NULL)
        return -1;
    free(s->table);
    s->table = table;
    s->table_size = size;
    for (size_t n = 0; n < s->n_nodes; n++)
        s->table[table_slot(s, &s->nodes[n].key)] = (int32_t)n + 1;
    return 0;
}

static int entry_before(const heap_entry_t *a, const heap_entry_t *b)
{
    if (a->priority != b->priority)
        return a->priority < b->priority;
    if (a->depth != b->depth)
        return a->depth > b->depth;
    return a->node < b->node;
}

static void heap_push(search_t *s, uint32_t priority, uint32_t cost, int32_t depth, int32_t node)
{
    if (s->n_heap == s->cap_heap) {
        size_t cap = s->cap_heap == 0 ? 1024 : s->cap_heap * 2;
        heap_entry_t *heap = realloc(s->heap, cap * sizeof *heap);
        if (heap == NULL) {
            search_fail(s, ORACLE_NOMEM);
            return;
        }
        s->heap = heap;
        s->cap_heap = cap;
    }
    heap_entry_t e = {priority, cost, depth, node};
    size_t i = s->n_heap++;
    while (i > 0) {
        heap_entry_t *p = &s->heap[(i - 1) / 2];
        if (!entry_before(&e, p))
            break;
        s->heap[i] = *p;
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
}

static heap_entry_t heap_pop(search_t *s)
{
    heap_entry_t top = s->heap[0], last = s->heap[--s->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_heap)
            break;
        if (c + 1 < s->n_heap && entry_before(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!entry_before(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_heap > 0)
        s->heap[i] = last;
    return top;
}

/* How a step reached a state: the operator and the offsets it used. */
typedef struct {
    int32_t op;
    int32_t parent;
    uint32_t cost;
    int mirrored;
    int n_placed;
    uint8_t placed_tensor[ORACLE_MAX_OPERANDS];
    uint8_t placed_offset[ORACLE_MAX_OPERANDS];
} arrival_t;

static void node_set_arrival(node_t *n, const arrival_t *a)
{
    n->cost = a->cost;
    n->parent = a->parent;
    n->op = (int8_t)a->op;
    n->mirrored = (uint8_t)a->mirrored;
    n->n_placed = (uint8_t)a->n_placed;
    memcpy(n->placed_tensor, a->placed_tensor, sizeof n->placed_tensor);
    memcpy(n->placed_offset, a->placed_offset, sizeof n->placed_offset);
}

/* A lower bound on the traffic still to come: every tensor that is out of
 * the scratchpad, has been there before (or, for an activation, been
 * produced) and is still read must be loaded again, at its size.  It is
 * consistent (a step lowers it by at most the retrieves it pays), so A*
 * with closed states keeps every optimum. */
static uint32_t remaining_bound(const instance_t *in, const state_key_t *key)
{
    uint32_t bound = 0;
    for (int32_t x = 0; x < in->n_tensors; x++) {
        if (key->off[x] || !(in->readers[x] & ~key->done))
            continue;
        int been_in = in->host_start[x] ? (in->readers[x] & key->done) != 0 : 0;
        for (int32_t o = 0; o < in->n_ops && !been_in; o++)
            been_in = (key->done & bit(o)) && (in->outputs[o] & bit(x));
        if (been_in)
            bound += in->size[x];
    }
    return bound;
}

/* The mirror image of a state: offset o of a tensor of size z becomes
 * budget - o - z.  (D4) Mirroring every interval of a plan gives a plan
 * with the same traffic, so a state and its image have the same cost to
 * go; the search keeps the smaller key of the two. */
static int key_canonicalize(const instance_t *in, state_key_t *key)
{
    state_key_t image = *key;
    for (int32_t x = 0; x < in->n_tensors; x++)
        if (key->off[x])
            image.off[x] = (uint8_t)(in->budget - (key->off[x] - 1u) - in->size[x] + 1u);
    if (memcmp(&image, key, sizeof image) >= 0)
        return 0;
    *key = image;
    return 1;
}

/* Records a state reached at a cost; keeps the cheaper arrival. */
static void search_relax(search_t *s, const state_key_t *reached, arrival_t *a)
{
    if (s->failed)
        return;
    state_key_t canonical = *reached, *key = &canonical;
    a->mirrored = key_canonicalize(s->in, key);
    if (2 * (s->n_nodes + 1) > s->table_size && table_grow(s) != 0) {
        search_fail(s, ORACLE_NOMEM);
        return;
    }
    size_t slot = table_slot(s, key);
    if (s->table[slot] != 0) {
        node_t *n = &s->nodes[s->table[slot] - 1];
        if (!n->closed && a->cost < n->cost) {
            node_set_arrival(n, a);
            heap_push(s, a->cost + remaining_bound(s->in, key), a->cost, popcount32(key->done), s->table[slot] - 1);
        }
        return;
    }
    if (s->n_nodes >= s->options->max_states) {
        search_fail(s, ORACLE_TOO_BIG);
        return;
    }
    if (s->n_nodes == s->cap_nodes) {
        size_t cap = s->cap_nodes == 0 ? 1024 : s->cap_nodes * 2;
        node_t *nodes = realloc(s->nodes, cap * sizeof *nodes);
        if (nodes == NULL) {
            search_fail(s, ORACLE_NOMEM);
            return;
        }
        s->nodes = nodes;
        s->cap_nodes = cap;
    }
    node_t *n = &s->nodes[s->n_nodes];
    memset(n, 0, sizeof *n);
    n->key = *key;
    node_set_arrival(n, a);
    s->table[slot] = (int32_t)s->n_nodes + 1;
    heap_push(s, a->cost + remaining_bound(s->in, key), a->cost, popcount32(key->done), (int32_t)s->n_nodes);
    s->n_nodes++;
}

/* ---- one step: choose what stays and where the new tensors go --------- */

typedef struct {
    state_key_t to;                /* offsets of the tensors that stay after the step */
    arrival_t arrival;
    uint8_t occ[ORACLE_MAX_BUDGET + 1]; /* bytes in use during the step */
    int32_t kept_new[ORACLE_MAX_OPERANDS], n_kept_new;
    int32_t transient[ORACLE_MAX_OPERANDS], n_transient;
} step_t;

static int range_free(const step_t *st, uint32_t offset, uint32_t size)
{
    for (uint32_t b = offset; b < offset + size; b++)
        if (st->occ[b])
            return 0;
    return 1;
}

static void range_mark(step_t *st, uint32_t offset, uint32_t size, uint8_t value)
{
    memset(st->occ + offset, value, size);
}

typedef struct {
    uint32_t start[ORACLE_MAX_BUDGET + 1], room[ORACLE_MAX_BUDGET + 1];
    int n;
} gaps_t;

/* Assigns transients j.. (largest first) to gaps; D3 in the header. */
static int transients_pack(const instance_t *in, step_t *st, gaps_t *g, int j)
{
    if (j == st->n_transient)
        return 1;
    int32_t x = st->transient[j];
    for (int k = 0; k < g->n; k++) {
        if (g->room[k] < in->size[x])
            continue;
        int same = 0; /* a gap with the same room as an earlier one gives the same outcome */
        for (int e = 0; e < k && !same; e++)
            same = g->room[e] == g->room[k];
        if (same)
            continue;
        uint32_t offset = g->start[k];
        g->start[k] += in->size[x];
        g->room[k] -= in->size[x];
        int ok = transients_pack(in, st, g, j + 1);
        g->start[k] -= in->size[x];
        g->room[k] += in->size[x];
        if (ok) {
            int p = st->arrival.n_placed++;
            st->arrival.placed_tensor[p] = (uint8_t)x;
            st->arrival.placed_offset[p] = (uint8_t)offset;
            return 1;
        }
    }
    return 0;
}

static int transients_fit(const instance_t *in, step_t *st)
{
    gaps_t g;
    g.n = 0;
    for (uint32_t b = 0; b < in->budget;) {
        if (st->occ[b]) {
            b++;
            continue;
        }
        uint32_t e = b;
        while (e < in->budget && !st->occ[e])
            e++;
        g.start[g.n] = b;
        g.room[g.n++] = e - b;
        b = e;
    }
    return transients_pack(in, st, &g, 0);
}

static void step_emit(search_t *s, step_t *st)
{
    int n_placed = st->arrival.n_placed;
    for (int i = 0; i < st->n_kept_new; i++) {
        int32_t x = st->kept_new[i];
        st->arrival.placed_tensor[st->arrival.n_placed] = (uint8_t)x;
        st->arrival.placed_offset[st->arrival.n_placed++] = (uint8_t)(st->to.off[x] - 1);
    }
    if (transients_fit(s->in, st))
        search_relax(s, &st->to, &st->arrival);
    st->arrival.n_placed = n_placed;
}

/* Enumerates every offset of the kept new tensors i.. */
static void step_place(search_t *s, step_t *st, int i)
{
    if (s->failed)
        return;
    if (i == st->n_kept_new) {
        step_emit(s, st);
        return;
    }
    int32_t x = st->kept_new[i];
    uint32_t size = s->in->size[x];
    for (uint32_t offset = 0; offset + size <= s->in->budget; offset++) {
        if (!range_free(st, offset, size))
            continue;
        range_mark(st, offset, size, 1);
        st->to.off[x] = (uint8_t)(offset + 1);
        step_place(s, st, i + 1);
        st->to.off[x] = 0;
        range_mark(st, offset, size, 0);
    }
}

static int list_mask(int32_t n_tensors, uint32_t mask, int32_t *out)
{
    int n = 0;
    for (int32_t x = 0; x < n_tensors; x++)
        if (mask & bit(x))
            out[n++] = x;
    return n;
}

/* Step o from state u with the operands in keep staying afterwards. */
static void step_try_keep(search_t *s, int32_t u, const state_key_t *from, uint32_t base_cost, int32_t o,
                          uint32_t keep, uint32_t evict)
{
    const instance_t *in = s->in;
    uint32_t resident = 0;
    for (int32_t x = 0; x < in->n_tensors; x++)
        if (from->off[x])
            resident |= bit(x);
    uint32_t spills = evict & ~from->spilled;
    for (int32_t x = 0; x < in->n_tensors; x++)
        if ((spills & bit(x)) && !in->activation[x])
            spills &= ~bit(x);
    if (spills != 0 && !s->options->allow_spill)
        return;
    uint32_t operands = in->inputs[o] | in->outputs[o];
    uint32_t fresh = operands & ~resident;
    step_t st;
    memset(&st, 0, sizeof st);
    st.to.done = from->done | bit(o);
    st.to.spilled = from->spilled | spills;
    uint32_t stays = (resident & ~operands) | (resident & keep);
    for (int32_t x = 0; x < in->n_tensors; x++) {
        if (!from->off[x])
            continue;
        range_mark(&st, from->off[x] - 1u, in->size[x], 1);
        if (stays & bit(x))
            st.to.off[x] = from->off[x];
    }
    st.n_kept_new = list_mask(in->n_tensors, fresh & keep, st.kept_new);
    st.n_transient = list_mask(in->n_tensors, fresh & ~keep, st.transient);
    for (int a = 1; a < st.n_transient; a++) /* largest first, then index */
        for (int b = a; b > 0 && in->size[st.transient[b]] > in->size[st.transient[b - 1]]; b--) {
            int32_t t = st.transient[b];
            st.transient[b] = st.transient[b - 1];
            st.transient[b - 1] = t;
        }
    st.arrival.op = o;
    st.arrival.parent = u;
    st.arrival.cost = base_cost + mask_bytes(in, spills);
    step_place(s, &st, 0);
}

/* Retrieve bytes of step o: every load but an input's or parameter's first. */
static uint32_t step_load_cost(const instance_t *in, const state_key_t *from, int32_t o)
{
    uint32_t cost = 0;
    for (int32_t x = 0; x < in->n_tensors; x++) {
        if (!(in->inputs[o] & bit(x)) || from->off[x])
            continue;
        int first_load = in->host_start[x] && !(in->readers[x] & from->done);
        if (!first_load)
            cost += in->size[x];
    }
    return cost;
}

static void step_try(search_t *s, int32_t u, const state_key_t *from, uint32_t cost, int32_t o)
{
    const instance_t *in = s->in;
    uint32_t resident = 0;
    for (int32_t x = 0; x < in->n_tensors; x++)
        if (from->off[x])
            resident |= bit(x);
    uint32_t operands = in->inputs[o] | in->outputs[o];
    if (mask_bytes(in, resident | operands) > in->budget)
        return;
    uint32_t base = cost + step_load_cost(in, from, o);
    uint32_t choice = operands & needed_after(in, from->done | bit(o));
    /* Every submask of choice, from all kept down to none (D2). */
    for (uint32_t keep = choice;; keep = (keep - 1) & choice) {
        step_try_keep(s, u, from, base, o, keep, choice & ~keep);
        if (keep == 0 || s->failed)
            break;
    }
}

static void search_expand(search_t *s, int32_t u)
{
    state_key_t from = s->nodes[u].key; /* copied: relaxing may move nodes */
    uint32_t cost = s->nodes[u].cost;
    int step = popcount32(from.done);
    for (int32_t o = 0; o < s->in->n_ops && !s->failed; o++) {
        if ((from.done & bit(o)) || (s->in->preds[o] & ~from.done))
            continue;
        if (s->options->order != NULL && s->options->order[step] != o)
            continue;
        step_try(s, u, &from, cost, o);
    }
}

/* ---- the witness ------------------------------------------------------ */

static cosma_plan_t *witness_build(const cosma_graph_t *graph, const instance_t *in, const search_t *s,
                                   int32_t goal, const oracle_options_t *options, uint32_t traffic)
{
    int32_t path[ORACLE_MAX_OPS + 1];
    int n = 0;
    for (int32_t v = goal; v >= 0; v = s->nodes[v].parent)
        path[n++] = v;
    /* path[n - 1] is the start; step t is path[n - 1 - t].  Offsets are
     * recorded in the parent's frame, which is mirrored when an odd number
     * of keys above it are (D4). */
    int cap = 0;
    for (int i = 0; i < n; i++)
        cap += s->nodes[path[i]].n_placed;
    cosma_interval_t *ivs = calloc((size_t)cap + 1, sizeof *ivs);
    if (ivs == NULL)
        return NULL;
    int n_ivs = 0, open[ORACLE_MAX_TENSORS];
    for (int x = 0; x < ORACLE_MAX_TENSORS; x++)
        open[x] = -1;
    int n_steps = n - 1, flipped = 0;
    for (int t = 1; t <= n_steps; t++) {
        const node_t *node = &s->nodes[path[n - 1 - t]], *prev = &s->nodes[path[n - t]];
        for (int p = 0; p < node->n_placed; p++) {
            int32_t x = node->placed_tensor[p];
            uint32_t offset = node->placed_offset[p];
            if (flipped)
                offset = in->budget - offset - in->size[x];
            cosma_interval_t iv = {x, t, t, offset, in->size[x],
                                   (in->outputs[node->op] & bit(x)) ? COSMA_BEGIN_CREATE : COSMA_BEGIN_LOAD,
                                   COSMA_END_DROP};
            open[x] = n_ivs;
            ivs[n_ivs++] = iv;
        }
        for (int32_t x = 0; x < in->n_tensors; x++) {
            if (open[x] < 0)
                continue;
            ivs[open[x]].last = t;
            if (node->key.off[x] == 0 && t < n_steps) {
                int spilled = (node->key.spilled & bit(x)) && !(prev->key.spilled & bit(x));
                ivs[open[x]].end = spilled ? COSMA_END_SPILL : COSMA_END_DROP;
                open[x] = -1;
            }
        }
        flipped ^= node->mirrored;
    }
    cosma_plan_t *plan = cosma_plan_create(n_steps, n_ivs);
    if (plan != NULL) {
        memcpy(plan->intervals, ivs, (size_t)n_ivs * sizeof *ivs);
        for (int t = 1; t <= n_steps; t++)
            plan->order[t - 1] = s->nodes[path[n - 1 - t]].op;
        plan->graph_name = graph->name;
        plan->graph_hash = cosma_graph_hash(graph);
        plan->mode = options->mode;
        plan->budget_bytes = options->budget_bytes;
        plan->method = "oracle";
        plan->lower_bound_bytes = traffic;
        plan->status = COSMA_PLAN_OPTIMAL;
        cosma_plan_sort_intervals(plan);
        cosma_plan_compute_traffic(graph, plan);
    }
    free(ivs);
    return plan;
}

/* ---- entry points ----------------------------------------------------- */

void oracle_options_init(oracle_options_t *options)
{
    memset(options, 0, sizeof *options);
    options->allow_spill = 1;
    options->max_states = ORACLE_DEFAULT_MAX_STATES;
}

static void search_free(search_t *s)
{
    free(s->nodes);
    free(s->table);
    free(s->heap);
}

/* Runs the search; returns the goal node, or -1 (see s->failed). */
static int32_t search_run(search_t *s)
{
    uint32_t all = s->in->n_ops == 32 ? UINT32_MAX : bit(s->in->n_ops) - 1;
    state_key_t start;
    memset(&start, 0, sizeof start);
    arrival_t none;
    memset(&none, 0, sizeof none);
    none.op = -1;
    none.parent = -1;
    search_relax(s, &start, &none);
    while (s->n_heap > 0 && !s->failed) {
        heap_entry_t e = heap_pop(s);
        node_t *n = &s->nodes[e.node];
        if (n->closed || e.cost != n->cost)
            continue;
        n->closed = 1;
        if (n->key.done == all)
            return e.node;
        search_expand(s, e.node);
    }
    return -1;
}

oracle_outcome_t oracle_plan_solve(const cosma_graph_t *graph, const oracle_options_t *options,
                                   oracle_result_t *out_result)
{
    memset(out_result, 0, sizeof *out_result);
    instance_t in;
    if (instance_build(graph, &options->mode, options->budget_bytes, &in) != 0)
        return out_result->outcome = ORACLE_TOO_BIG;
    for (int32_t o = 0; o < in.n_ops; o++)
        if (mask_bytes(&in, in.inputs[o] | in.outputs[o]) > in.budget)
            return out_result->outcome = ORACLE_NO_PLAN; /* o can never run */
    search_t s;
    memset(&s, 0, sizeof s);
    s.in = &in;
    s.options = options;
    int32_t goal = search_run(&s);
    out_result->states = s.n_nodes;
    if (s.failed) {
        out_result->outcome = s.failure;
    } else if (goal < 0) {
        out_result->outcome = ORACLE_NO_PLAN;
    } else {
        out_result->traffic = s.nodes[goal].cost;
        out_result->witness = witness_build(graph, &in, &s, goal, options, s.nodes[goal].cost);
        out_result->outcome = out_result->witness != NULL ? ORACLE_FOUND : ORACLE_NOMEM;
    }
    search_free(&s);
    return out_result->outcome;
}

oracle_outcome_t oracle_joint_optimum(const cosma_graph_t *graph, const cosma_mode_t *mode, uint64_t budget_bytes,
                                      size_t max_states, uint64_t *out_traffic)
{
    oracle_options_t options;
    oracle_options_init(&options);
    options.mode = *mode;
    options.budget_bytes = budget_bytes;
    options.allow_spill = 1;
    options.max_states = max_states;
    oracle_result_t result;
    oracle_outcome_t outcome = oracle_plan_solve(graph, &options, &result);
    cosma_plan_destroy(result.witness);
    *out_traffic = result.traffic;
    return outcome;
}

/* Live bytes while o runs after the set done: its operands, and every
 * tensor available before (produced, or an input or parameter already read)
 * that o or a later operator reads. */
static uint32_t live_bytes(const instance_t *in, uint32_t done, int32_t o)
{
    uint32_t produced = 0;
    for (int32_t p = 0; p < in->n_ops; p++)
        if (done & bit(p))
            produced |= in->outputs[p];
    uint32_t live = in->inputs[o] | in->outputs[o];
    for (int32_t x = 0; x < in->n_tensors; x++) {
        int available = (produced & bit(x)) || (in->host_start[x] && (in->readers[x] & done));
        if (available && (in->readers[x] & ~done))
            live |= bit(x);
    }
    return mask_bytes(in, live);
}

oracle_outcome_t oracle_bounds_compute(const cosma_graph_t *graph, const cosma_mode_t *mode,
                                       oracle_bounds_t *out_bounds)
{
    instance_t in;
    memset(out_bounds, 0, sizeof *out_bounds);
    if (instance_build(graph, mode, 0, &in) != 0)
        return ORACLE_TOO_BIG;
    for (int32_t o = 0; o < in.n_ops; o++) {
        uint32_t working = mask_bytes(&in, in.inputs[o] | in.outputs[o]);
        if (working > out_bounds->m_r)
            out_bounds->m_r = working;
    }
    size_t n_sets = (size_t)1 << in.n_ops;
    uint32_t *peak = malloc(n_sets * sizeof *peak); /* best peak to schedule exactly a set first */
    if (peak == NULL)
        return ORACLE_NOMEM;
    for (size_t set = 0; set < n_sets; set++)
        peak[set] = UINT32_MAX;
    peak[0] = 0;
    for (size_t set = 0; set < n_sets; set++) {
        if (peak[set] == UINT32_MAX)
            continue;
        for (int32_t o = 0; o < in.n_ops; o++) {
            if ((set & bit(o)) || (in.preds[o] & ~(uint32_t)set))
                continue;
            uint32_t live = live_bytes(&in, (uint32_t)set, o);
            uint32_t value = live > peak[set] ? live : peak[set];
            size_t next = set | bit(o);
            if (value < peak[next])
                peak[next] = value;
        }
    }
    out_bounds->m_p = peak[n_sets - 1];
    free(peak);
    return ORACLE_FOUND;
}
