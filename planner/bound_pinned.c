/* bound_pinned.c: the precedences that every plan keeping its large
 * tensors resident must respect, for the cut bound's case split
 * (bound_cut.c, cosma_cut_bound_split; docs/planner.md, section 3, item 10).
 *
 * Pinned plans.  Call an activation heavy when it is at least min_bytes
 * large.  A plan that never evicts a heavy tensor (never takes it out of
 * the scratchpad between its producer's step and its last reader's) keeps
 * it resident at every step in between.  A chain is a path t_1 .. t_k of
 * heavy tensors where t_{j+1}'s producer reads t_j: at every step after
 * t_1's producer and before t_k's last reader, of an operator that neither
 * produces nor reads a chain tensor, some t_j is live (take the last j
 * whose producer ran; t_j's readers include t_{j+1}'s producer), so at
 * least min_j size(t_j) bytes of the chain are resident there.  For a set
 * S of chains (one, or two that start at the same operator and share no
 * tensor), an operator v that uses none of their tensors and whose working
 * set plus those bytes exceeds the budget cannot run inside all of their
 * spans in a pinned plan: it runs before some chain's first producer, or
 * after every reader of some chain's last tensor.  When the order's
 * closure leaves only one of those options (v descends from the others'
 * producers, or is an ancestor of a reader), that option is a precedence
 * of every pinned plan: edges v -> producer, or reader -> v for each
 * reader.  The edges are added to the closure and the rules applied again
 * until nothing changes; when no option is left, or an edge would close a
 * cycle, no pinned plan exists (`infeasible`).
 *
 * Work: chains of at most PINNED_CHAIN_MAX tensors, at most
 * PINNED_MAX_SETS sets, each checked against every operator per round, at
 * most PINNED_MAX_ROUNDS rounds, an edge update of O(n_ops) closure words,
 * and in all at most PINNED_MAX_WORK operator visits and closure words:
 * fixed limits, so the result does not depend on the machine.  Stopping
 * early is safe: the edges found so far hold in every pinned plan. */
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

enum { PINNED_CHAIN_MAX = 6, PINNED_MAX_CHAINS = 4096, PINNED_MAX_SETS = 8192, PINNED_MAX_ROUNDS = 8 };
#define PINNED_MAX_WORK ((int64_t)200000000)

typedef struct {
    int32_t first, last; /* tensors: t_1 and t_k */
    int32_t start;       /* t_1's producer */
    uint64_t bytes;      /* the smallest of its tensors */
    int32_t tensors[PINNED_CHAIN_MAX];
    int32_t length;
} chain_t;

typedef struct {
    const cosma_problem_t *problem;
    cosma_pinned_order_t *out;
    uint64_t budget;
    chain_t *chains;
    int32_t n_chains;
    int32_t (*sets)[2]; /* chain indices; [1] = -1 for a single chain */
    int32_t n_sets;
    uint8_t *user; /* scratch: per op, uses a tensor of the current set */
    uint64_t *below, *above; /* scratch of add_edge: one closure row each */
    int64_t work;  /* operator visits and closure words so far */
} derive_t;

static int has(const uint64_t *set, int32_t i)
{
    return (int)((set[(size_t)i / 64] >> (i % 64)) & 1u);
}

static int is_heavy(const derive_t *d, int32_t t)
{
    return d->out->pinned[t] != 0;
}

/* Paths of heavy tensors from `path`, depth first, each a chain. */
static void chains_from(derive_t *d, int32_t *path, int32_t length)
{
    const cosma_problem_t *p = d->problem;
    if (d->n_chains >= PINNED_MAX_CHAINS)
        return;
    chain_t *c = &d->chains[d->n_chains++];
    memset(c, 0, sizeof *c);
    c->first = path[0];
    c->last = path[length - 1];
    c->start = p->graph->tensors[path[0]].producer;
    c->bytes = UINT64_MAX;
    c->length = length;
    for (int32_t j = 0; j < length; j++) {
        c->tensors[j] = path[j];
        if (p->size[path[j]] < c->bytes)
            c->bytes = p->size[path[j]];
    }
    if (length == PINNED_CHAIN_MAX)
        return;
    const cosma_tensor_t *last = &p->graph->tensors[path[length - 1]];
    for (int32_t k = 0; k < last->n_consumers; k++) {
        int32_t r = last->consumers[k];
        for (int32_t i = p->operand_start[r] + p->n_inputs_planned[r]; i < p->operand_start[r + 1]; i++) {
            int32_t u = p->operands[i];
            int seen = 0;
            for (int32_t j = 0; j < length; j++)
                seen |= path[j] == u;
            if (is_heavy(d, u) && !seen) {
                path[length] = u;
                chains_from(d, path, length + 1);
            }
        }
    }
}

static int share_tensor(const chain_t *a, const chain_t *b)
{
    for (int32_t i = 0; i < a->length; i++)
        for (int32_t j = 0; j < b->length; j++)
            if (a->tensors[i] == b->tensors[j])
                return 1;
    return 0;
}

/* Adds a -> b to the closure (0: already implied, 1: added, -1: it
 * would close a cycle, -2: out of memory). */
static int add_edge(derive_t *d, int32_t a, int32_t b)
{
    cosma_pinned_order_t *o = d->out;
    size_t w = o->words;
    if (has(o->desc + (size_t)a * w, b))
        return 0;
    if (a == b || has(o->desc + (size_t)b * w, a))
        return -1;
    if (o->n_edges == o->edge_cap) {
        int32_t cap = o->edge_cap > 0 ? 2 * o->edge_cap : 64;
        int32_t (*edges)[2] = realloc(o->edges, (size_t)cap * sizeof *edges);
        if (edges == NULL)
            return -2;
        o->edges = edges;
        o->edge_cap = cap;
    }
    o->edges[o->n_edges][0] = a;
    o->edges[o->n_edges][1] = b;
    o->n_edges++;
    /* below: {b} + desc(b); above: {a} + anc(a), copied before they change */
    uint64_t *below = d->below, *above = d->above;
    memcpy(below, o->desc + (size_t)b * w, w * sizeof(uint64_t));
    below[b / 64] |= (uint64_t)1 << (b % 64);
    memcpy(above, o->anc + (size_t)a * w, w * sizeof(uint64_t));
    above[a / 64] |= (uint64_t)1 << (a % 64);
    d->work += (int64_t)d->problem->n_ops * (int64_t)w;
    for (int32_t x = 0; x < d->problem->n_ops; x++) {
        if (has(above, x))
            for (size_t k = 0; k < w; k++)
                o->desc[(size_t)x * w + k] |= below[k];
        if (has(below, x))
            for (size_t k = 0; k < w; k++)
                o->anc[(size_t)x * w + k] |= above[k];
    }
    return 1;
}

/* Whether v may run after every reader of t (it is none of them and an
 * ancestor of none). */
static int may_follow(const derive_t *d, int32_t v, int32_t t)
{
    const cosma_tensor_t *tensor = &d->problem->graph->tensors[t];
    for (int32_t k = 0; k < tensor->n_consumers; k++) {
        int32_t r = tensor->consumers[k];
        if (r == v || has(d->out->anc + (size_t)r * d->out->words, v))
            return 0;
    }
    return 1;
}

static void mark_users(derive_t *d, const chain_t *c, uint8_t value)
{
    const cosma_problem_t *p = d->problem;
    for (int32_t j = 0; j < c->length; j++) {
        const cosma_tensor_t *t = &p->graph->tensors[c->tensors[j]];
        d->user[t->producer] = value;
        for (int32_t k = 0; k < t->n_consumers; k++)
            d->user[t->consumers[k]] = value;
    }
}

/* One set against every operator: 1 when an edge was added, 0 none, -1
 * no pinned plan, -2 out of memory. */
static int apply_set(derive_t *d, const int32_t set[2])
{
    const cosma_problem_t *p = d->problem;
    const chain_t *c[2] = {&d->chains[set[0]], set[1] >= 0 ? &d->chains[set[1]] : NULL};
    int32_t n = c[1] != NULL ? 2 : 1;
    uint64_t bytes = c[0]->bytes + (n == 2 ? c[1]->bytes : 0);
    int changed = 0, status = 0;
    for (int32_t k = 0; k < n; k++)
        mark_users(d, c[k], 1);
    d->work += p->n_ops;
    for (int32_t v = 0; v < p->n_ops && status >= 0; v++) {
        if (d->user[v] || cosma_problem_working_set(p, v) + bytes <= d->budget)
            continue;
        /* the options: before a start, or after a chain's last readers */
        int32_t n_options = 0, option_start = -1, option_chain = -1;
        for (int32_t k = 0; k < n; k++) {
            int32_t s = c[k]->start;
            if (!has(d->out->desc + (size_t)s * d->out->words, v) && s != option_start) {
                n_options++;
                option_start = s;
            }
            if (may_follow(d, v, c[k]->last)) {
                n_options++;
                option_chain = k;
            }
        }
        if (n_options == 0) {
            status = -1;
        } else if (n_options == 1 && option_chain < 0) {
            int r = add_edge(d, v, option_start);
            status = r < 0 ? r : 0;
            changed |= r > 0;
        } else if (n_options == 1) {
            const cosma_tensor_t *last = &p->graph->tensors[c[option_chain]->last];
            for (int32_t k = 0; k < last->n_consumers && status >= 0; k++) {
                int r = add_edge(d, last->consumers[k], v);
                status = r < 0 ? r : 0;
                changed |= r > 0;
            }
        }
    }
    for (int32_t k = 0; k < n; k++)
        mark_users(d, c[k], 0);
    return status < 0 ? status : changed;
}

static void build_sets(derive_t *d)
{
    for (int32_t i = 0; i < d->n_chains && d->n_sets < PINNED_MAX_SETS; i++) {
        d->sets[d->n_sets][0] = i;
        d->sets[d->n_sets++][1] = -1;
    }
    for (int32_t i = 0; i < d->n_chains; i++)
        for (int32_t j = i + 1; j < d->n_chains && d->n_sets < PINNED_MAX_SETS; j++)
            if (d->chains[i].start == d->chains[j].start && !share_tensor(&d->chains[i], &d->chains[j])) {
                d->sets[d->n_sets][0] = i;
                d->sets[d->n_sets++][1] = j;
            }
}

cosma_status_t cosma_pinned_order_derive_except(const cosma_problem_t *problem, uint64_t budget, uint64_t min_bytes,
                                                const uint8_t *except, cosma_pinned_order_t *out)
{
    memset(out, 0, sizeof *out);
    int32_t n = problem->n_ops, m = problem->n_tensors;
    out->words = ((size_t)n + 63) / 64;
    out->anc = calloc((size_t)n * out->words + 1, sizeof(uint64_t));
    out->desc = calloc((size_t)n * out->words + 1, sizeof(uint64_t));
    out->pinned = calloc((size_t)m + 1, 1);
    derive_t d = {.problem = problem, .out = out, .budget = budget};
    d.chains = malloc(PINNED_MAX_CHAINS * sizeof *d.chains);
    d.sets = malloc(PINNED_MAX_SETS * sizeof *d.sets);
    d.user = calloc((size_t)n + 1, 1);
    d.below = calloc(out->words + 1, sizeof(uint64_t));
    d.above = calloc(out->words + 1, sizeof(uint64_t));
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (out->anc == NULL || out->desc == NULL || out->pinned == NULL || d.chains == NULL || d.sets == NULL ||
        d.user == NULL || d.below == NULL || d.above == NULL)
        goto done;
    cosma_problem_closure(problem, out->anc, out->desc, out->words);
    for (int32_t t = 0; t < m; t++) {
        const cosma_tensor_t *tensor = &problem->graph->tensors[t];
        out->pinned[t] = (uint8_t)(tensor->kind == COSMA_TENSOR_ACTIVATION && tensor->producer >= 0 &&
                                   tensor->n_consumers > 0 && problem->size[t] >= min_bytes && min_bytes > 0 &&
                                   (except == NULL || !except[t]));
        out->n_pinned += out->pinned[t];
    }
    int32_t path[PINNED_CHAIN_MAX];
    for (int32_t t = 0; t < m; t++)
        if (out->pinned[t]) {
            path[0] = t;
            chains_from(&d, path, 1);
        }
    build_sets(&d);
    status = COSMA_OK;
    for (int32_t round = 0; round < PINNED_MAX_ROUNDS; round++) {
        int changed = 0;
        for (int32_t s = 0; s < d.n_sets && !out->infeasible && d.work < PINNED_MAX_WORK; s++) {
            int r = apply_set(&d, d.sets[s]);
            if (r == -2) {
                status = COSMA_ERR_NOMEM;
                goto done;
            }
            out->infeasible |= r == -1;
            changed |= r > 0;
        }
        if (!changed || out->infeasible)
            break;
    }
done:
    free(d.chains);
    free(d.sets);
    free(d.user);
    free(d.below);
    free(d.above);
    if (status != COSMA_OK)
        cosma_pinned_order_free(out);
    return status;
}

cosma_status_t cosma_pinned_order_derive(const cosma_problem_t *problem, uint64_t budget, uint64_t min_bytes,
                                         cosma_pinned_order_t *out)
{
    return cosma_pinned_order_derive_except(problem, budget, min_bytes, NULL, out);
}

void cosma_pinned_order_free(cosma_pinned_order_t *pinned)
{
    free(pinned->anc);
    free(pinned->desc);
    free(pinned->pinned);
    free(pinned->edges);
    memset(pinned, 0, sizeof *pinned);
}
