/* dc.c: divide-and-conquer for graphs whose whole joint model is too
 * large: an order improved window by window (docs/dc.md).  The windows
 * follow a low-peak reference order, cut first right after key points
 * (operators every order runs at the same step) and otherwise where few
 * bytes are live across the cut, each as large as a joint model of about
 * DC_WINDOW_COLUMNS columns allows.  Each window's joint model starts in
 * the state the previous one left and looks ahead past its cut; only the
 * steps before the cut are kept.  Windows with the same shape entered in
 * the same state are solved once.  The result is an order only: the
 * caller solves residency and placement for it as for any order, and the
 * verifier checks the plan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner_internal.h"

/* Columns a window's model aims at, and the most it may have with its
 * lookahead: GLPK closes models of this size in well under a second. */
enum { DC_WINDOW_COLUMNS = 700, DC_WINDOW_MAX_COLUMNS = 1000 };
/* The most operators a window (with its lookahead) has: its residency
 * buffer is this many steps per tensor. */
enum { DC_WINDOW_MAX_OPS = 512 };
/* The lookahead past the cut, as a fraction of the window (in operators). */
enum { DC_LOOKAHEAD_DIVISOR = 2 };
/* The share of a window's time for its reference order's model, and the
 * time a window with a cost may take for its free model. */
#define DC_FIXED_SHARE 0.3
#define DC_FREE_SECONDS 5.0
/* Operators a window grows by while it is sized, and the fewest it has. */
enum { DC_GROW_STEP = 4, DC_MIN_WINDOW = 2 };

void cosma_dc_options_init(cosma_dc_options_t *options)
{
    *options = (cosma_dc_options_t){.node_limit = COSMA_DC_NODE_LIMIT, .window_columns = DC_WINDOW_COLUMNS};
}

/* ---- repeated windows ------------------------------------------------- */

/* A solved window: its shape and entry state as a signature, and the
 * solution in the window's own terms (positions, local tensor numbers). */
typedef struct {
    int64_t *signature;
    int32_t n_signature;
    int32_t *perm;        /* perm[k]: position in the window of the k-th operator run */
    int32_t n_ops;
    uint8_t *out_state;   /* per local tensor */
    int32_t n_tensors;
} dc_cached_t;

typedef struct {
    dc_cached_t *entries;
    int32_t n, cap;
} dc_cache_t;

static void cache_free(dc_cache_t *cache)
{
    for (int32_t i = 0; i < cache->n; i++) {
        free(cache->entries[i].signature);
        free(cache->entries[i].perm);
        free(cache->entries[i].out_state);
    }
    free(cache->entries);
}

/* The working state of one run. */
typedef struct {
    const cosma_problem_t *problem;
    const cosma_dc_options_t *options;
    cosma_diag_t *diag;
    int32_t *order, *position; /* the order being improved and each operator's index in it */
    uint8_t *key;              /* per op: a key point */
    uint8_t *state, *next_state, *free_state, *after; /* per tensor */
    int32_t *local;            /* per tensor: local number in the current window, or -1 */
    int32_t *tensors;          /* the current window's tensors by local number */
    int32_t n_local;
    uint64_t *live;            /* live bytes across each cut position (n + 1) */
    uint8_t *resident;         /* the reference order's residency in a window (tensor x step) */
    int64_t *signature;        /* scratch */
    int32_t *solution;         /* scratch: a window's solved order */
    dc_cache_t cache;
    cosma_dc_stats_t stats;
} dc_t;

/* The key points: operators whose ancestors and descendants are all the
 * other operators.  Without an affordable closure there are none. */
static int find_key_points(dc_t *dc)
{
    const cosma_problem_t *problem = dc->problem;
    int32_t n = problem->n_ops;
    if (!cosma_problem_closure_affordable(problem))
        return 0;
    int32_t *ancestors = malloc(((size_t)n + 1) * sizeof(int32_t));
    int32_t *descendants = malloc(((size_t)n + 1) * sizeof(int32_t));
    int ok = ancestors != NULL && descendants != NULL &&
             cosma_problem_relative_counts(problem, ancestors, descendants) == 0;
    for (int32_t o = 0; ok && o < n; o++) {
        dc->key[o] = ancestors[o] + descendants[o] == n - 1;
        dc->stats.n_key_points += dc->key[o];
    }
    free(ancestors);
    free(descendants);
    return ok ? 0 : -1;
}

/* Live bytes across every cut of the current order: live[q] counts the
 * tensors resident-worthy between positions q - 1 and q (made before q,
 * read at q or later). */
static void compute_live(dc_t *dc)
{
    const cosma_problem_t *problem = dc->problem;
    int32_t n = problem->n_ops;
    memset(dc->live, 0, ((size_t)n + 1) * sizeof(uint64_t));
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        const cosma_tensor_t *tensor = &problem->graph->tensors[a];
        if (problem->size[a] == 0 || tensor->n_consumers == 0)
            continue;
        int32_t first = tensor->producer >= 0 ? dc->position[tensor->producer] : n, last = -1;
        for (int32_t c = 0; c < tensor->n_consumers; c++) {
            int32_t p = dc->position[tensor->consumers[c]];
            if (tensor->producer < 0 && p < first)
                first = p;
            if (p > last)
                last = p;
        }
        if (last > first) {
            dc->live[first + 1] += problem->size[a];
            if (last + 1 <= n)
                dc->live[last + 1] -= problem->size[a];
        }
    }
    for (int32_t q = 1; q <= n; q++)
        dc->live[q] += dc->live[q - 1]; /* the differences summed up */
}

/* after[a]: tensor a is read at position p1 or later. */
static void mark_read_after(dc_t *dc, int32_t p1)
{
    const cosma_problem_t *problem = dc->problem;
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        const cosma_tensor_t *tensor = &problem->graph->tensors[a];
        dc->after[a] = 0;
        for (int32_t c = 0; c < tensor->n_consumers && !dc->after[a]; c++)
            dc->after[a] = dc->position[tensor->consumers[c]] >= p1;
    }
}

/* The window order[p0 .. p1) as the joint model sees it. */
static void set_window(dc_t *dc, int32_t p0, int32_t p1, cosma_joint_window_t *out_window)
{
    mark_read_after(dc, p1);
    *out_window = (cosma_joint_window_t){
        .ops = dc->order + p0, .n_ops = p1 - p0, .state = dc->state, .after = dc->after, .commit = p1 - p0};
}

static int64_t window_columns(dc_t *dc, int32_t p0, int32_t p1)
{
    cosma_joint_window_t window;
    set_window(dc, p0, p1, &window);
    return cosma_joint_columns(dc->problem, &window);
}

/* Where the window from p0 is cut: grown while its model stays within
 * the target, then cut right after its last key point, else at the
 * position with the fewest live bytes in its second half. */
static int32_t choose_cut(dc_t *dc, int32_t p0)
{
    int32_t n = dc->problem->n_ops, p1 = p0 + DC_MIN_WINDOW < n ? p0 + DC_MIN_WINDOW : n;
    while (p1 < n) {
        int32_t next = p1 + DC_GROW_STEP < n ? p1 + DC_GROW_STEP : n;
        if (next - p0 > DC_WINDOW_MAX_OPS / 2)
            break;
        int64_t columns = window_columns(dc, p0, next);
        if (columns < 0 || columns > dc->options->window_columns)
            break;
        p1 = next;
    }
    if (p1 == n)
        return n;
    for (int32_t q = p1; q > p0 + DC_MIN_WINDOW / 2; q--)
        if (dc->key[dc->order[q - 1]])
            return q;
    int32_t best = p1;
    for (int32_t q = p1; q > p0 + (p1 - p0) / 2; q--)
        if (dc->live[q] < dc->live[best])
            best = q;
    return best;
}

/* The window solved: from p0 to the cut and its lookahead, shrunk while
 * the model is over the column limit. */
static int32_t choose_end(dc_t *dc, int32_t p0, int32_t cut)
{
    int32_t n = dc->problem->n_ops, extra = (cut - p0) / DC_LOOKAHEAD_DIVISOR;
    for (; extra > 0; extra /= 2) {
        int32_t end = cut + extra < n ? cut + extra : n;
        int64_t columns = window_columns(dc, p0, end);
        if (columns >= 0 && columns <= DC_WINDOW_MAX_COLUMNS)
            return end;
    }
    return cut;
}

/* Gives every tensor of the window [p0, p1) a local number (operands in
 * order of appearance, then the tensors that only pass through it
 * resident) and writes the window's signature: its shape, sizes, entry
 * states and the commit point.  Two windows with the same signature have
 * the same model up to renaming. */
static int32_t window_signature(dc_t *dc, int32_t p0, int32_t p1, int32_t commit)
{
    const cosma_problem_t *problem = dc->problem;
    int64_t *sig = dc->signature;
    int32_t k = 0;
    for (int32_t i = 0; i < dc->n_local; i++)
        dc->local[dc->tensors[i]] = -1;
    dc->n_local = 0;
    sig[k++] = p1 - p0;
    sig[k++] = commit;
    for (int32_t p = p0; p < p1; p++) {
        int32_t op = dc->order[p];
        sig[k++] = problem->n_inputs_planned[op];
        sig[k++] = problem->operand_start[op + 1] - problem->operand_start[op];
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1]; e++) {
            int32_t a = problem->operands[e];
            if (dc->local[a] < 0) {
                dc->local[a] = dc->n_local;
                dc->tensors[dc->n_local++] = a;
            }
            sig[k++] = dc->local[a];
        }
    }
    for (int32_t a = 0; a < problem->n_tensors; a++)
        if (dc->local[a] < 0 && (dc->state[a] & COSMA_JOINT_RESIDENT) && dc->after[a]) {
            dc->local[a] = dc->n_local;
            dc->tensors[dc->n_local++] = a;
        }
    for (int32_t i = 0; i < dc->n_local; i++) {
        int32_t a = dc->tensors[i];
        sig[k++] = (int64_t)problem->size[a];
        sig[k++] = dc->state[a] | dc->after[a] << 4 | (int64_t)problem->graph->tensors[a].kind << 5;
    }
    return k;
}

static const dc_cached_t *cache_find(const dc_cache_t *cache, const int64_t *signature, int32_t n)
{
    for (int32_t i = 0; i < cache->n; i++)
        if (cache->entries[i].n_signature == n &&
            memcmp(cache->entries[i].signature, signature, (size_t)n * sizeof(int64_t)) == 0)
            return &cache->entries[i];
    return NULL;
}

/* Remembers a solved window (dc->solution, dc->next_state); running out
 * of memory only loses the reuse. */
static void cache_add(dc_t *dc, int32_t p0, int32_t p1, int32_t n_signature)
{
    dc_cache_t *cache = &dc->cache;
    if (cache->n == cache->cap) {
        int32_t cap = cache->cap > 0 ? 2 * cache->cap : 16;
        dc_cached_t *grown = realloc(cache->entries, (size_t)cap * sizeof(dc_cached_t));
        if (grown == NULL)
            return;
        cache->entries = grown;
        cache->cap = cap;
    }
    dc_cached_t entry = {.signature = malloc((size_t)n_signature * sizeof(int64_t)),
                         .n_signature = n_signature,
                         .perm = malloc(((size_t)(p1 - p0) + 1) * sizeof(int32_t)),
                         .n_ops = p1 - p0,
                         .out_state = malloc((size_t)dc->n_local + 1),
                         .n_tensors = dc->n_local};
    if (entry.signature == NULL || entry.perm == NULL || entry.out_state == NULL) {
        free(entry.signature);
        free(entry.perm);
        free(entry.out_state);
        return;
    }
    memcpy(entry.signature, dc->signature, (size_t)n_signature * sizeof(int64_t));
    for (int32_t k = 0; k < p1 - p0; k++)
        entry.perm[k] = dc->position[dc->solution[k]] - p0;
    for (int32_t i = 0; i < dc->n_local; i++)
        entry.out_state[i] = dc->next_state[dc->tensors[i]];
    cache->entries[cache->n++] = entry;
}

/* ---- one window ------------------------------------------------------- */

/* The state after a window whose model gave no solution, kept in its
 * reference order: every tensor evicted (an activation still needed
 * spilled), as in the plan that evicts everything after every use. */
static void fallback_state(dc_t *dc, int32_t p0, int32_t commit)
{
    const cosma_problem_t *problem = dc->problem;
    for (int32_t a = 0; a < problem->n_tensors; a++) {
        const cosma_tensor_t *tensor = &problem->graph->tensors[a];
        uint8_t state = dc->state[a] & (uint8_t)~COSMA_JOINT_RESIDENT;
        if (tensor->kind == COSMA_TENSOR_ACTIVATION && dc->position[tensor->producer] < p0 + commit)
            state |= COSMA_JOINT_HOST_COPY; /* made before the cut */
        dc->next_state[a] = state;
    }
    for (int32_t p = p0; p < p0 + commit; p++) {
        int32_t op = dc->order[p];
        for (int32_t e = problem->operand_start[op]; e < problem->operand_start[op + 1]; e++)
            dc->next_state[problem->operands[e]] &= (uint8_t)~COSMA_JOINT_FIRST_LOAD;
    }
}

/* Solves the window [p0, end) with its operators in the given order
 * (fixed) or free; the solution's order goes to dc->solution, the state
 * after `commit` steps to out_state.  Returns 1 with its cost, 0 without
 * a solution, -1 out of memory. */
static int solve_window(dc_t *dc, int32_t p0, int32_t end, int32_t commit, int fixed, double seconds,
                        uint8_t *out_state, uint64_t *out_cost)
{
    /* No time left is no solve: a limit of 0 or less means none to GLPK. */
    if (!(seconds > 0))
        return 0;
    cosma_joint_window_t window;
    set_window(dc, p0, end, &window);
    window.fixed = fixed;
    /* The reference order's solution is the free model's start. */
    window.out_resident = fixed ? dc->resident : NULL;
    window.start_resident = fixed ? NULL : dc->resident;
    window.commit = commit;
    window.out_state = out_state;
    cosma_joint_options_t options;
    cosma_joint_options_init(&options);
    options.budget = dc->options->budget;
    options.time_limit = seconds;
    options.node_limit = dc->options->node_limit;
    options.max_columns = DC_WINDOW_MAX_COLUMNS;
    options.window = &window;
    uint64_t bound;
    cosma_status_t status = cosma_joint_solve(dc->problem, &options, dc->solution, &bound, dc->diag);
    if (status == COSMA_ERR_NOMEM)
        return -1;
    *out_cost = window.out_cost;
    return status == COSMA_OK;
}

/* A window's new order (in dc->solution) is kept only when it costs less
 * than the reference order of the same window from the same state (so a
 * window never makes the order worse by its own measure); the reference
 * order's state is next_state otherwise.  Returns 1 reordered, 0 kept (the
 * caller restores the reference order), -1 out of memory. */
static int reorder_window(dc_t *dc, int32_t p0, int32_t end, int32_t commit, double seconds)
{
    uint64_t kept_cost = UINT64_MAX, cost;
    int kept = solve_window(dc, p0, end, commit, 1, seconds * DC_FIXED_SHARE, dc->next_state, &kept_cost);
    if (kept < 0)
        return -1;
    if (kept == 0) {
        fallback_state(dc, p0, commit);
        return 0; /* no start for the free model either */
    }
    if (kept_cost == 0)
        return 0; /* nothing to gain */
    /* Only windows with a cost can gain: they get the time the others
     * did not need, up to DC_FREE_SECONDS, at most half of what is left. */
    double left = dc->options->deadline - cosma_clock_seconds(), free_seconds = seconds * (1 - DC_FIXED_SHARE);
    if (free_seconds < DC_FREE_SECONDS)
        free_seconds = DC_FREE_SECONDS < left / 2 ? DC_FREE_SECONDS : left / 2;
    int solved = solve_window(dc, p0, end, commit, 0, free_seconds, dc->free_state, &cost);
    if (solved < 0)
        return -1;
    if (solved && cost < kept_cost) {
        memcpy(dc->next_state, dc->free_state, (size_t)dc->problem->n_tensors);
        return 1;
    }
    return 0;
}

/* Writes a window's order into the order being improved. */
static void apply_order(dc_t *dc, int32_t p0, int32_t n_ops)
{
    for (int32_t k = 0; k < n_ops; k++) {
        dc->order[p0 + k] = dc->solution[k];
        dc->position[dc->solution[k]] = p0 + k;
    }
}

/* One window from p0: reused from the cache, solved, or kept in the
 * reference order; the state moves on to the cut.  Returns the cut, or -1
 * when out of memory. */
static int32_t step_window(dc_t *dc, int32_t p0, double seconds_left)
{
    int32_t n = dc->problem->n_ops, cut = choose_cut(dc, p0), end = choose_end(dc, p0, cut), commit = cut - p0;
    /* The time left shared by the windows still to come, if all were this long. */
    double seconds = seconds_left * (double)commit / (double)(n - p0);
    dc->stats.n_windows++;
    mark_read_after(dc, end);
    int32_t n_signature = window_signature(dc, p0, end, commit);
    const dc_cached_t *hit = cache_find(&dc->cache, dc->signature, n_signature);
    if (hit != NULL) {
        for (int32_t k = 0; k < hit->n_ops; k++)
            dc->solution[k] = dc->order[p0 + hit->perm[k]];
        memcpy(dc->next_state, dc->state, (size_t)dc->problem->n_tensors);
        for (int32_t i = 0; i < hit->n_tensors; i++)
            dc->next_state[dc->tensors[i]] = hit->out_state[i];
        dc->stats.n_reused++;
    } else {
        int reordered = reorder_window(dc, p0, end, commit, seconds);
        if (reordered < 0)
            return -1;
        if (!reordered)
            memcpy(dc->solution, dc->order + p0, (size_t)(end - p0) * sizeof(int32_t));
        cache_add(dc, p0, end, n_signature);
        *(reordered ? &dc->stats.n_solved : &dc->stats.n_fixed) += 1;
    }
    apply_order(dc, p0, end - p0);
    uint8_t *swap = dc->state;
    dc->state = dc->next_state;
    dc->next_state = swap;
    return cut;
}

/* ---- the run ---------------------------------------------------------- */

static int dc_alloc(dc_t *dc, int32_t n, int32_t m)
{
    size_t signature = 2 + 2 * (size_t)n + (size_t)dc->problem->operand_start[n] + 2 * (size_t)m;
    dc->order = malloc(((size_t)n + 1) * sizeof(int32_t));
    dc->position = malloc(((size_t)n + 1) * sizeof(int32_t));
    dc->solution = malloc(((size_t)n + 1) * sizeof(int32_t));
    dc->key = calloc((size_t)n + 1, 1);
    dc->state = calloc((size_t)m + 1, 1);
    dc->next_state = calloc((size_t)m + 1, 1);
    dc->free_state = calloc((size_t)m + 1, 1);
    dc->after = calloc((size_t)m + 1, 1);
    dc->local = malloc(((size_t)m + 1) * sizeof(int32_t));
    dc->tensors = malloc(((size_t)m + 1) * sizeof(int32_t));
    dc->live = malloc(((size_t)n + 1) * sizeof(uint64_t));
    dc->signature = malloc((signature + 1) * sizeof(int64_t));
    dc->resident = malloc((size_t)m * DC_WINDOW_MAX_OPS + 1);
    if (dc->order == NULL || dc->position == NULL || dc->solution == NULL || dc->key == NULL || dc->state == NULL ||
        dc->next_state == NULL || dc->free_state == NULL || dc->after == NULL || dc->local == NULL || dc->tensors == NULL || dc->live == NULL ||
        dc->signature == NULL || dc->resident == NULL)
        return -1;
    for (int32_t a = 0; a < m; a++)
        dc->local[a] = -1;
    return 0;
}

static void dc_free(dc_t *dc)
{
    free(dc->order);
    free(dc->position);
    free(dc->solution);
    free(dc->key);
    free(dc->state);
    free(dc->next_state);
    free(dc->free_state);
    free(dc->after);
    free(dc->local);
    free(dc->tensors);
    free(dc->live);
    free(dc->signature);
    free(dc->resident);
    cache_free(&dc->cache);
}

/* The whole graph's entry state: inputs and parameters on the host with
 * their first load due, outputs stored when made. */
static void initial_state(dc_t *dc)
{
    const cosma_graph_t *graph = dc->problem->graph;
    for (int32_t a = 0; a < dc->problem->n_tensors; a++) {
        dc->state[a] = graph->tensors[a].kind != COSMA_TENSOR_ACTIVATION ? COSMA_JOINT_HOST_COPY : 0;
        if (graph->tensors[a].producer < 0)
            dc->state[a] |= COSMA_JOINT_FIRST_LOAD;
    }
}

cosma_status_t cosma_dc_order(const cosma_problem_t *problem, const int32_t *reference,
                              const cosma_dc_options_t *options, int32_t *out_order, cosma_dc_stats_t *out_stats,
                              cosma_diag_t *diag)
{
    int32_t n = problem->n_ops;
    dc_t dc = {.problem = problem, .options = options, .diag = diag};
    cosma_status_t status = COSMA_ERR_NOMEM;
    if (dc_alloc(&dc, n, problem->n_tensors) != 0 || find_key_points(&dc) != 0)
        goto done;
    memcpy(dc.order, reference, (size_t)n * sizeof(int32_t));
    for (int32_t p = 0; p < n; p++)
        dc.position[dc.order[p]] = p;
    initial_state(&dc);
    status = COSMA_OK;
    for (int32_t p0 = 0; p0 < n;) {
        double left = options->deadline - cosma_clock_seconds();
        if (left <= 0) {
            dc.stats.stopped_by_clock = 1;
            break; /* the rest stays in the reference order */
        }
        compute_live(&dc);
        int32_t cut = step_window(&dc, p0, left);
        if (cut < 0) {
            status = COSMA_ERR_NOMEM;
            goto done;
        }
        p0 = cut;
    }
    memcpy(out_order, dc.order, (size_t)n * sizeof(int32_t));
    if (out_stats != NULL)
        *out_stats = dc.stats;
done:
    dc_free(&dc);
    return status;
}
