/* bound_region.c: an exact search for the optimum of one window's joint
 * model (the model of joint.c with placement relaxed, for a window of an
 * order entered in given states: windows.c), without an LP.  The
 * time-indexed LP of a window is weak where the traffic comes from a few
 * large tensors competing for the scratchpad (the stems of the NAS
 * networks: its relaxation proves 0 there); a best-first search over the
 * window's schedules and residencies proves the model's optimum, or a
 * valid lower bound on it when its fixed work limit stops it first.
 *
 * The model searched (the window model of joint.c, term by term): the
 * window's operators run one per step in a topological order of the
 * window; every operand of the running operator is resident at its step;
 * the resident bytes at a step are within the budget; a tensor is resident
 * only from its creation (produced in the window), from the start (it
 * enters resident), or from a load; loading costs its size, except the
 * first load of a tensor entering with COSMA_JOINT_FIRST_LOAD (the
 * compulsory one); an activation without a host copy that leaves while a
 * reader in the window is still to run is spilled (its size, once); a
 * COSMA_JOINT_FREE tensor costs nothing; after the last reader in the
 * window a tensor is dropped at no cost.  A window with `after` (tensors
 * charged for a reload after it) is not searched (bound 0): charging
 * those would not be valid in the windows' sum, where an operator outside
 * a window may run between its steps.
 *
 * Why the search finds that model's optimum.  States are (operators run,
 * tensors kept resident, tensors with a host copy).  In any solution of
 * the model, take its order and change its residency so that between two
 * consecutive uses of a tensor (or from the window's start to the first
 * use, for one entering resident) the tensor is either resident over the
 * whole gap (where the solution keeps it so) or leaves right after the
 * first use and is loaded at the second: the solution had it non-resident
 * somewhere in that gap, so it loaded it again in the gap (or, for a
 * first use, paid nothing that the change pays), and spilled it if it is
 * an activation without a host copy; the changed residency holds a subset
 * of the solution's tensors at every step besides the operands, so it
 * fits.  A free tensor is never kept between uses (leaving costs it
 * nothing).  So some optimal solution keeps or evicts each tensor only
 * right after a use (or at the start), and the search branches on exactly
 * those choices: after each step, keep or evict each operand still read
 * later in the window; at the start, keep or evict each tensor entering
 * resident.  Every edge costs what the model charges for that step.
 *
 * Why a stopped search still bounds it.  The search is A*: states leave
 * the queue in order of their cost plus region_ahead's term, a lower
 * bound on what any completion still pays (the loads still due of
 * tensors that exist and are not resident), which is consistent (along
 * every edge it falls by at most the edge's cost: region_ahead says why)
 * and 0 at a complete state.  So, as in Dijkstra's search, a state
 * leaves the queue at its least cost, the first complete state to leave
 * is an optimum, and while none has left, the cheapest complete solution
 * passes through a queued state whose cost plus term is at most its own:
 * the smallest cost plus term in the queue is a lower bound on the
 * model's optimum.  That is what a search stopped by its state limit
 * returns (the
 * limit is a count: the same work and the same bound on any machine). */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

/* The window's operators and operand tensors are bit positions. */
enum { REGION_MAX_BITS = 64 };
/* An operator keeps or evicts each of its operands read later: at most
 * 2^this children per ready operator, else the window is not searched. */
enum { REGION_MAX_BRANCH = 8 };
/* Entry-resident tensors branched on at the start (2^this states). */
enum { REGION_MAX_ENTRY = 10 };
/* The queue holds at most this many entries per allowed state. */
enum { REGION_QUEUE_FACTOR = 4 };

typedef struct {
    uint64_t done, kept, host; /* operators run; tensors resident; tensors with a host copy */
} region_key_t;

typedef struct {
    int32_t n_ops, n_tensors;
    uint64_t budget;
    uint64_t pred[REGION_MAX_BITS];     /* per operator: its predecessors in the window */
    uint64_t operand[REGION_MAX_BITS];  /* per operator: its operands */
    uint64_t input[REGION_MAX_BITS];    /* per operator: its inputs */
    uint64_t working[REGION_MAX_BITS];  /* per operator: its working set */
    uint64_t readers[REGION_MAX_BITS];  /* per tensor: the operators reading it */
    uint64_t size[REGION_MAX_BITS];     /* per tensor: bytes */
    uint64_t free_mask, first_load, spillable, entry_resident;
    uint64_t produced[REGION_MAX_BITS]; /* per operator: the tensors it produces */
    uint64_t made_here; /* tensors some operator of the window produces */
    uint64_t all;   /* every operator */
} region_t;

/* The search's states: an open-addressing table and a binary heap of
 * (cost, state) entries. */
typedef struct {
    region_key_t *keys;
    uint64_t *cost, *ahead; /* per state: its cost, its remaining-cost bound */
    uint8_t *used, *closed;
    size_t capacity, n_states;
    struct heap_entry {
        uint64_t cost;
        uint32_t state;
    } *heap;
    size_t n_heap, heap_cap;
} region_search_t;

static uint64_t key_hash(const region_key_t *k)
{
    uint64_t h = k->done * 0x9E3779B97F4A7C15ull ^ k->kept * 0xC2B2AE3D27D4EB4Full ^ k->host * 0x165667B19E3779F9ull;
    return h ^ (h >> 29);
}

static int heap_push(region_search_t *s, uint64_t cost, uint32_t state)
{
    if (cosma_array_reserve((void **)&s->heap, &s->heap_cap, s->n_heap + 1, sizeof *s->heap) != 0)
        return -1;
    size_t i = s->n_heap++;
    while (i > 0 && s->heap[(i - 1) / 2].cost > cost) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = (struct heap_entry){cost, state};
    return 0;
}

static struct heap_entry heap_pop(region_search_t *s)
{
    struct heap_entry top = s->heap[0], last = s->heap[--s->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_heap)
            break;
        if (c + 1 < s->n_heap && s->heap[c + 1].cost < s->heap[c].cost)
            c++;
        if (s->heap[c].cost >= last.cost)
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_heap > 0)
        s->heap[i] = last;
    return top;
}

static uint64_t mask_bytes(const region_t *r, uint64_t mask);

/* A lower bound on what any completion of state k still pays (the A*
 * term): every tensor that exists now (entered the window, or its
 * producer has run), is not resident, is read by an operator still to
 * run and costs its load (free tensors do not; one with its compulsory
 * first load still due does not) is loaded again before that reader, at
 * its size, once per tensor.  Consistent: running an operator removes a
 * tensor's term only by paying that load on the step (an input loaded
 * then), and only ever adds terms (evicted operands), so along any edge
 * the term falls by at most the edge's cost; hence the search's order by
 * cost + term still closes every state at its least cost, and the least
 * cost + term in the queue still bounds the optimum (the top comment). */
static uint64_t region_ahead(const region_t *r, const region_key_t *k)
{
    uint64_t pending = 0;
    for (int32_t o = 0; o < r->n_ops; o++)
        if (!(k->done >> o & 1))
            pending |= r->input[o];
    uint64_t exists = ~r->made_here;
    for (uint64_t m = k->done; m != 0; m &= m - 1)
        exists |= r->produced[__builtin_ctzll(m)];
    uint64_t first_due = r->first_load & ~k->host;
    return mask_bytes(r, pending & exists & ~k->kept & ~r->free_mask & ~first_due);
}

/* Records a state reached at `cost` (queued when new or cheaper than
 * before, by cost + its region_ahead).  The table is sized so it never
 * fills: the caller stops first. */
static int region_reach(const region_t *r, region_search_t *s, const region_key_t *key, uint64_t cost)
{
    size_t i = (size_t)(key_hash(key) & (s->capacity - 1));
    while (s->used[i] && memcmp(&s->keys[i], key, sizeof *key) != 0)
        i = (i + 1) & (s->capacity - 1);
    if (!s->used[i]) {
        s->used[i] = 1;
        s->keys[i] = *key;
        s->ahead[i] = region_ahead(r, key);
        s->n_states++;
    } else if (s->closed[i] || s->cost[i] <= cost)
        return 0;
    s->cost[i] = cost;
    return heap_push(s, cost + s->ahead[i], (uint32_t)i);
}

static uint64_t mask_bytes(const region_t *r, uint64_t mask)
{
    uint64_t bytes = 0;
    for (; mask != 0; mask &= mask - 1)
        bytes += r->size[__builtin_ctzll(mask)];
    return bytes;
}

/* The children of state `from` (cost `cost`) that run operator o. */
static int region_run(const region_t *r, region_search_t *s, const region_key_t *from, uint64_t cost, int32_t o)
{
    uint64_t bit = (uint64_t)1 << o;
    uint64_t others = from->kept & ~r->operand[o];
    if (mask_bytes(r, others) + r->working[o] > r->budget)
        return 0;
    region_key_t next = {.done = from->done | bit, .kept = others, .host = from->host};
    for (uint64_t load = r->input[o] & ~from->kept & ~r->free_mask; load != 0; load &= load - 1) {
        int32_t a = __builtin_ctzll(load);
        if ((r->first_load >> a & 1) && !(next.host >> a & 1))
            next.host |= (uint64_t)1 << a; /* the compulsory first load */
        else
            cost += r->size[a];
    }
    /* Operands read later in the window: each kept or evicted now. */
    uint64_t later = 0;
    for (uint64_t m = r->operand[o] & ~r->free_mask; m != 0; m &= m - 1) {
        int32_t a = __builtin_ctzll(m);
        if (r->readers[a] & ~next.done)
            later |= (uint64_t)1 << a;
    }
    int32_t n_later = __builtin_popcountll(later);
    int32_t pos[REGION_MAX_BITS], k = 0;
    for (uint64_t m = later; m != 0; m &= m - 1)
        pos[k++] = __builtin_ctzll(m);
    for (uint32_t choice = 0; choice < (1u << n_later); choice++) {
        region_key_t child = next;
        uint64_t child_cost = cost;
        for (int32_t i = 0; i < n_later; i++) {
            uint64_t a = (uint64_t)1 << pos[i];
            if (choice >> i & 1)
                child.kept |= a;
            else if ((r->spillable & a) && !(child.host & a)) {
                child.host |= a; /* leaves while still read: spilled once */
                child_cost += r->size[pos[i]];
            }
        }
        if (region_reach(r, s, &child, child_cost) != 0)
            return -1;
    }
    return 0;
}

/* Builds the window's bit tables; 0, or 1 when the window is too large to
 * search (more than REGION_MAX_BITS operators or tensors, or an operator
 * with too many operands to branch on). */
static int region_build(const cosma_problem_t *problem, const cosma_joint_window_t *window, uint64_t budget,
                        int32_t *local, region_t *r)
{
    const int32_t *ops = window->ops;
    const uint8_t *state = window->state;
    int32_t n_ops = window->n_ops;
    memset(r, 0, sizeof *r);
    r->budget = budget;
    if (n_ops > REGION_MAX_BITS)
        return 1;
    r->n_ops = n_ops;
    r->all = n_ops == REGION_MAX_BITS ? ~(uint64_t)0 : ((uint64_t)1 << n_ops) - 1;
    int too_large = 0;
    for (int32_t k = 0; k < n_ops && !too_large; k++) {
        int32_t op = ops[k];
        local[op] = k;
        for (int32_t e = problem->pred_start[op]; e < problem->pred_start[op + 1]; e++)
            if (local[problem->preds[e]] >= 0)
                r->pred[k] |= (uint64_t)1 << local[problem->preds[e]];
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1] && !too_large; e++) {
            int32_t a = problem->operands[e];
            int32_t t = local[problem->n_ops + a];
            if (t < 0) {
                too_large = r->n_tensors >= REGION_MAX_BITS;
                if (too_large)
                    break;
                t = r->n_tensors++;
                local[problem->n_ops + a] = t;
                r->size[t] = problem->size[a];
                uint64_t bit = (uint64_t)1 << t;
                uint8_t st = state[a];
                const cosma_tensor_t *tensor = &problem->graph->tensors[a];
                int produced = tensor->producer >= 0 && local[tensor->producer] >= 0;
                if (st & COSMA_JOINT_FREE)
                    r->free_mask |= bit;
                else if (st & COSMA_JOINT_RESIDENT && !produced)
                    r->entry_resident |= bit;
                if (st & COSMA_JOINT_FIRST_LOAD && !produced)
                    r->first_load |= bit;
                if (tensor->kind == COSMA_TENSOR_ACTIVATION && !(st & COSMA_JOINT_HOST_COPY))
                    r->spillable |= bit;
            }
            uint64_t bit = (uint64_t)1 << t;
            r->operand[k] |= bit;
            r->working[k] += problem->size[a];
            if (problem->graph->tensors[a].producer == op) {
                r->produced[k] |= bit;
                r->made_here |= bit;
            }
            if (e - problem->operand_start[op] < problem->n_inputs_planned[op]) {
                r->input[k] |= bit;
                r->readers[t] |= (uint64_t)1 << k;
            }
        }
        too_large |= __builtin_popcountll(r->operand[k]) > REGION_MAX_BRANCH;
    }
    too_large |= __builtin_popcountll(r->entry_resident) > REGION_MAX_ENTRY;
    return too_large;
}

/* A ready operator that some optimal completion of state k runs next, or
 * -1: one whose inputs are all kept (or free), whose outputs take no
 * more bytes than the kept inputs it is the last reader of, and whose
 * step fits.  Exchange argument: take an optimal completion (in the
 * top comment's form: each kept input stays until its next use) and move
 * o to the front.  Every step it jumps over now also holds o's outputs
 * (until o's old step, then as before) but no longer the inputs that only
 * o still reads (kept until o in that form): no more bytes.  o loads
 * nothing (its inputs are resident), the other steps pay what they paid.
 * So a completion that starts with o costs no more, and only that child
 * need be searched. */
static int32_t region_first_op(const region_t *r, const region_key_t *k)
{
    for (int32_t o = 0; o < r->n_ops; o++) {
        uint64_t inputs = r->input[o] & ~r->free_mask, freed = 0;
        if ((k->done >> o & 1) || (r->pred[o] & ~k->done) != 0 || (inputs & ~k->kept) != 0)
            continue;
        for (uint64_t m = inputs; m != 0; m &= m - 1)
            if ((r->readers[__builtin_ctzll(m)] & ~k->done) == (uint64_t)1 << o)
                freed |= m & -m;
        if (mask_bytes(r, r->operand[o] & ~r->input[o]) <= mask_bytes(r, freed) &&
            mask_bytes(r, k->kept & ~r->operand[o]) + r->working[o] <= r->budget)
            return o;
    }
    return -1;
}

static void region_search_free(region_search_t *s)
{
    free(s->keys);
    free(s->cost);
    free(s->ahead);
    free(s->used);
    free(s->closed);
    free(s->heap);
}

/* The most states one expansion can add: each operator's choices. */
static size_t region_max_children(const region_t *r)
{
    size_t children = 0;
    for (int32_t k = 0; k < r->n_ops; k++)
        children += (size_t)1 << __builtin_popcountll(r->operand[k]);
    return children;
}

/* Dijkstra's search from the window's start; *out_bound as the top
 * comment says, *out_states the states it made.  It stops, with the
 * queue's least cost, before the states could pass max_states or the
 * queue (where a state improved before it leaves is queued again)
 * REGION_QUEUE_FACTOR times that: memory stays linear in max_states.
 * -1 when out of memory. */
static int region_search(const region_t *r, int64_t max_states, uint64_t *out_bound, int *out_exact,
                         int64_t *out_states)
{
    region_search_t s = {0};
    size_t children = region_max_children(r), starts = (size_t)1 << __builtin_popcountll(r->entry_resident);
    s.capacity = 1; /* at most half full: the probes end */
    while (s.capacity < 2 * ((size_t)max_states + children + starts))
        s.capacity *= 2;
    s.keys = malloc(s.capacity * sizeof *s.keys);
    s.cost = malloc(s.capacity * sizeof *s.cost);
    s.ahead = malloc(s.capacity * sizeof *s.ahead);
    s.used = calloc(s.capacity, 1);
    s.closed = calloc(s.capacity, 1);
    int failed = s.keys == NULL || s.cost == NULL || s.ahead == NULL || s.used == NULL || s.closed == NULL;
    /* At the start each tensor entering resident is kept or let go (it
     * has a host copy: leaving is free). */
    uint64_t entry = r->entry_resident;
    for (uint64_t sub = entry;; sub = (sub - 1) & entry) {
        region_key_t start = {.kept = sub};
        failed = failed || region_reach(r, &s, &start, 0) != 0;
        if (sub == 0)
            break;
    }
    *out_bound = 0;
    *out_exact = 0;
    size_t max_queue = (size_t)max_states * REGION_QUEUE_FACTOR;
    while (!failed && s.n_heap > 0) {
        if (s.n_states + children > (size_t)max_states || s.n_heap + children > max_queue) {
            *out_bound = s.heap[0].cost; /* the queue's least cost: a bound */
            break;
        }
        struct heap_entry top = heap_pop(&s);
        if (s.closed[top.state] || top.cost > s.cost[top.state] + s.ahead[top.state])
            continue; /* a stale entry */
        s.closed[top.state] = 1;
        region_key_t key = s.keys[top.state];
        if (key.done == r->all) {
            *out_bound = top.cost; /* its term is 0: nothing is read later */
            *out_exact = 1;
            break;
        }
        int32_t first = region_first_op(r, &key);
        for (int32_t o = first >= 0 ? first : 0; o < r->n_ops && !failed; o = first >= 0 ? r->n_ops : o + 1)
            if (!(key.done >> o & 1) && (r->pred[o] & ~key.done) == 0)
                failed = region_run(r, &s, &key, s.cost[top.state], o) != 0;
    }
    *out_states = (int64_t)s.n_states;
    region_search_free(&s);
    return failed ? -1 : 0;
}

cosma_status_t cosma_region_search_bound(const cosma_problem_t *problem, const cosma_joint_window_t *window,
                                         uint64_t budget, int64_t max_states, uint64_t *out_bound, int *out_exact,
                                         int64_t *out_states)
{
    int32_t *local = malloc(((size_t)problem->n_ops + (size_t)problem->n_tensors + 1) * sizeof(int32_t));
    region_t *r = malloc(sizeof *r);
    *out_bound = 0;
    *out_exact = 0;
    *out_states = 0;
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (local != NULL && r != NULL) {
        for (int32_t i = 0; i < problem->n_ops + problem->n_tensors; i++)
            local[i] = -1;
        status = COSMA_OK;
        if (window->after == NULL && region_build(problem, window, budget, local, r) == 0 &&
            region_search(r, max_states, out_bound, out_exact, out_states) != 0)
            status = COSMA_ERR_NOMEM;
    }
    free(local);
    free(r);
    return status;
}
