/* deps.c: compiles an event schedule into the dependency graph the
 * backends issue: loads on the upload lane, kernels (and poison fills) on
 * the kernel lane, spills and stores on the download lane.  A node waits
 * for whatever wrote the data it reads (read-after-write, on the
 * scratchpad and on host buffers) and, before it writes scratchpad bytes,
 * for every earlier access of an interval whose bytes overlap
 * (write-after-read, write-after-write), so that a load never lands on
 * bytes a kernel still reads or a spill has not copied out yet. */
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

/* The accesses of one interval so far (node indices, -1 none). */
typedef struct {
    int32_t writer, last_run, download, poison;
} access_t;

typedef struct {
    const cosma_graph_t *graph;
    const cosma_event_schedule_t *s;
    rt_deps_t *out;
    access_t *acc;          /* per interval */
    int32_t *host_writer;   /* per tensor: last spill or store */
    int32_t *host_reader;   /* per tensor: last load */
    int32_t *resident;      /* per tensor: interval resident now, or -1 */
    int32_t *by_tensor;     /* interval indices grouped by tensor ... */
    int32_t *tensor_start;  /* ... tensor t's at by_tensor[tensor_start[t] .. tensor_start[t + 1]) */
    rt_access_map_t *map;   /* every access so far, by scratchpad bytes */
} deps_builder_t;

static void depend(deps_builder_t *b, rt_node_t *node, int32_t on)
{
    if (on < 0)
        return;
    const rt_node_t *dep = &b->out->nodes[on];
    if (dep->lane != node->lane && on > node->wait[dep->lane])
        node->wait[dep->lane] = on;
}

static void depend_on_interval(deps_builder_t *b, rt_node_t *node, int32_t interval)
{
    const access_t *a = &b->acc[interval];
    depend(b, node, a->writer);
    depend(b, node, a->last_run);
    depend(b, node, a->download);
    depend(b, node, a->poison);
}

/* Before writing interval i: every access of an ended interval whose bytes
 * overlap (an interval live at the same time never overlaps it in a
 * verified plan, and a later one has no access yet, so the latest access
 * of each lane over i's bytes is the one to wait for). */
static void depend_on_overlaps(deps_builder_t *b, rt_node_t *node, int32_t i)
{
    const cosma_interval_t *mine = &b->s->intervals[i];
    int32_t latest[RT_N_LANES];
    rt_access_map_latest(b->map, mine->offset, mine->bytes, latest);
    for (int l = 0; l < RT_N_LANES; l++)
        depend(b, node, latest[l]);
}

/* Records that node accesses interval i. */
static void touch(deps_builder_t *b, int32_t i, int32_t node)
{
    const cosma_interval_t *iv = &b->s->intervals[i];
    rt_access_map_touch(b->map, iv->offset, iv->bytes, b->out->nodes[node].lane, node);
}

/* The interval of tensor that begins at step (-1 none). */
static int32_t interval_from(const deps_builder_t *b, int32_t tensor, int32_t step)
{
    for (int32_t k = b->tensor_start[tensor]; k < b->tensor_start[tensor + 1]; k++)
        if (b->s->intervals[b->by_tensor[k]].first == step)
            return b->by_tensor[k];
    return -1;
}

static rt_node_t *add_node(deps_builder_t *b, rt_node_kind_t kind, rt_lane_t lane, int32_t event, int32_t interval)
{
    rt_node_t *node = &b->out->nodes[b->out->n_nodes++];
    const cosma_event_t *e = &b->s->events[event];
    node->kind = kind;
    node->lane = lane;
    node->event = event;
    node->interval = interval;
    node->step = e->step;
    node->offset = interval >= 0 ? b->s->intervals[interval].offset : 0;
    node->bytes = interval >= 0 ? b->s->intervals[interval].bytes : 0;
    for (int l = 0; l < RT_N_LANES; l++)
        node->wait[l] = -1;
    return node;
}

static void add_load(deps_builder_t *b, int32_t event)
{
    const cosma_event_t *e = &b->s->events[event];
    int32_t self = b->out->n_nodes;
    rt_node_t *node = add_node(b, RT_NODE_LOAD, RT_LANE_UP, event, e->interval);
    depend(b, node, b->host_writer[e->tensor]);
    depend_on_overlaps(b, node, e->interval);
    b->acc[e->interval].writer = self;
    touch(b, e->interval, self);
    b->host_reader[e->tensor] = self;
    b->resident[e->tensor] = e->interval;
}

static void add_run(deps_builder_t *b, int32_t event)
{
    const cosma_event_t *e = &b->s->events[event];
    int32_t self = b->out->n_nodes;
    rt_node_t *node = add_node(b, RT_NODE_RUN, RT_LANE_KERNEL, event, -1);
    const cosma_operand_t *ops = &b->s->operands[e->operands];
    for (int32_t k = 0; k < e->n_inputs + e->n_outputs; k++) {
        int32_t tensor = ops[k].tensor;
        if (tensor < 0 || ops[k].offset == COSMA_OFFSET_NONE)
            continue; /* empty, or read from host memory that nobody writes */
        if (ops[k].is_output) {
            /* The interval this output creates starts at this step. */
            int32_t i = interval_from(b, tensor, e->step);
            if (i < 0)
                continue;
            depend_on_overlaps(b, node, i);
            b->acc[i].writer = self;
            b->resident[tensor] = i;
        }
        int32_t i = b->resident[tensor];
        if (i >= 0) {
            depend(b, node, b->acc[i].writer);
            b->acc[i].last_run = self;
            touch(b, i, self);
        }
    }
}

static void add_download(deps_builder_t *b, int32_t event, rt_node_kind_t kind)
{
    const cosma_event_t *e = &b->s->events[event];
    int32_t self = b->out->n_nodes;
    rt_node_t *node = add_node(b, kind, RT_LANE_DOWN, event, e->interval);
    depend(b, node, b->acc[e->interval].writer);
    depend(b, node, b->host_reader[e->tensor]); /* host write-after-read */
    b->acc[e->interval].download = self;
    touch(b, e->interval, self);
    b->host_writer[e->tensor] = self;
}

static void add_poison(deps_builder_t *b, int32_t event)
{
    const cosma_event_t *e = &b->s->events[event];
    int32_t self = b->out->n_nodes;
    rt_node_t *node = add_node(b, RT_NODE_POISON, RT_LANE_KERNEL, event, e->interval);
    depend_on_interval(b, node, e->interval);
    b->acc[e->interval].poison = self;
    touch(b, e->interval, self);
}

/* Drops every wait that lane order and the other waits already imply, so
 * that a run issues (and a GPU resolves) fewer cross-lane dependencies:
 * each one costs time even when it is satisfied (docs/runtime.md).  A
 * node's clock is, per lane, the latest node known to have finished
 * before it starts; nodes are in a topological order. */
static cosma_status_t reduce_waits(rt_deps_t *deps)
{
    int32_t (*clock)[RT_N_LANES] = malloc(((size_t)deps->n_nodes + 1) * sizeof *clock);
    if (clock == NULL)
        return COSMA_ERR_NOMEM;
    int32_t last[RT_N_LANES] = {-1, -1, -1}; /* previous node per lane */
    for (int32_t n = 0; n < deps->n_nodes; n++) {
        rt_node_t *node = &deps->nodes[n];
        int32_t known[RT_N_LANES] = {-1, -1, -1};
        int32_t before = last[node->lane];
        for (int l = 0; l < RT_N_LANES && before >= 0; l++)
            known[l] = clock[before][l];
        for (int l = 0; l < RT_N_LANES; l++) {
            int32_t w = node->wait[l];
            if (w < 0)
                continue;
            int implied = known[l] >= w;
            for (int m = 0; m < RT_N_LANES && !implied; m++)
                implied = m != l && node->wait[m] >= 0 && clock[node->wait[m]][l] >= w;
            if (implied)
                node->wait[l] = -1;
        }
        for (int l = 0; l < RT_N_LANES; l++)
            for (int m = 0; m < RT_N_LANES; m++)
                if (node->wait[m] >= 0 && clock[node->wait[m]][l] > known[l])
                    known[l] = clock[node->wait[m]][l];
        known[node->lane] = n;
        memcpy(clock[n], known, sizeof known);
        last[node->lane] = n;
    }
    free(clock);
    return COSMA_OK;
}

static void mark_waits(rt_deps_t *deps)
{
    for (int32_t n = 0; n < deps->n_nodes; n++)
        for (int l = 0; l < RT_N_LANES; l++)
            if (deps->nodes[n].wait[l] >= 0)
                deps->nodes[deps->nodes[n].wait[l]].waited_on = 1;
}

/* Counting sort of the intervals by tensor (their order kept within one). */
static void group_by_tensor(deps_builder_t *b)
{
    const cosma_event_schedule_t *s = b->s;
    for (int32_t i = 0; i < s->n_intervals; i++)
        b->tensor_start[s->intervals[i].tensor + 1]++;
    for (int32_t t = 0; t < b->graph->n_tensors; t++)
        b->tensor_start[t + 1] += b->tensor_start[t];
    int32_t *next = b->host_writer; /* scratch, reset by the caller */
    memcpy(next, b->tensor_start, (size_t)b->graph->n_tensors * sizeof(int32_t));
    for (int32_t i = 0; i < s->n_intervals; i++)
        b->by_tensor[next[s->intervals[i].tensor]++] = i;
}

cosma_status_t rt_deps_build(const cosma_graph_t *graph, const cosma_event_schedule_t *schedule, int poison,
                             rt_deps_t *out_deps)
{
    memset(out_deps, 0, sizeof *out_deps);
    size_t n_tensors = (size_t)graph->n_tensors + 1, n_intervals = (size_t)schedule->n_intervals + 1;
    deps_builder_t b = {.graph = graph, .s = schedule, .out = out_deps};
    out_deps->nodes = calloc((size_t)schedule->n_events * 2 + 1, sizeof(rt_node_t));
    b.acc = malloc(n_intervals * sizeof(access_t));
    b.host_writer = malloc(n_tensors * sizeof(int32_t));
    b.host_reader = malloc(n_tensors * sizeof(int32_t));
    b.resident = malloc(n_tensors * sizeof(int32_t));
    b.by_tensor = malloc(n_intervals * sizeof(int32_t));
    b.tensor_start = calloc(n_tensors + 1, sizeof(int32_t));
    cosma_status_t status = COSMA_OK;
    if (out_deps->nodes == NULL || b.acc == NULL || b.host_writer == NULL || b.host_reader == NULL ||
        b.resident == NULL || b.by_tensor == NULL || b.tensor_start == NULL ||
        rt_access_map_create(schedule->intervals, schedule->n_intervals, &b.map) != COSMA_OK) {
        status = COSMA_ERR_NOMEM;
        goto done;
    }
    group_by_tensor(&b);
    for (size_t i = 0; i < n_intervals; i++)
        b.acc[i] = (access_t){-1, -1, -1, -1};
    for (size_t t = 0; t < n_tensors; t++)
        b.host_writer[t] = b.host_reader[t] = b.resident[t] = -1;
    for (int32_t k = 0; k < schedule->n_events; k++) {
        const cosma_event_t *e = &schedule->events[k];
        switch (e->kind) {
        case COSMA_EVENT_KIND_LOAD: add_load(&b, k); break;
        case COSMA_EVENT_KIND_RUN: add_run(&b, k); break;
        case COSMA_EVENT_KIND_SPILL: add_download(&b, k, RT_NODE_SPILL); break;
        case COSMA_EVENT_KIND_STORE: add_download(&b, k, RT_NODE_STORE); break;
        case COSMA_EVENT_KIND_DROP: break;
        }
        if ((e->kind == COSMA_EVENT_KIND_SPILL || e->kind == COSMA_EVENT_KIND_DROP)) {
            b.resident[e->tensor] = -1;
            if (poison)
                add_poison(&b, k);
        }
    }
    if ((status = reduce_waits(out_deps)) == COSMA_OK)
        mark_waits(out_deps);
done:
    free(b.acc);
    free(b.host_writer);
    free(b.host_reader);
    free(b.resident);
    free(b.by_tensor);
    free(b.tensor_start);
    rt_access_map_destroy(b.map);
    if (status != COSMA_OK)
        rt_deps_free(out_deps);
    return status;
}

void rt_deps_free(rt_deps_t *deps)
{
    free(deps->nodes);
    memset(deps, 0, sizeof *deps);
}
