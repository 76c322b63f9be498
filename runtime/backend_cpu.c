/* backend_cpu.c: the plan on a host arena with memcpy.  Serial mode runs
 * the nodes in plan order; graph and streams modes interleave the three
 * lanes in a seeded pseudo-random order, taking any lane whose head node's
 * dependencies are done: the orders a GPU may pick, so a dependency the
 * graph lacks shows up as a stale read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

static cosma_status_t cpu_open(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    rt->arena = malloc(rt->arena_bytes);
    rt->host = malloc(rt->host_bytes + 1);
    rt->backend_state = rt; /* non-NULL: close frees whatever was allocated */
    if (rt->arena == NULL || rt->host == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: cannot allocate a %llu-byte arena and %llu host bytes",
                          (unsigned long long)rt->arena_bytes, (unsigned long long)rt->host_bytes);
        return COSMA_ERR_NOMEM;
    }
    /* Never-written bytes are poison too, so a read before any write fails. */
    memset(rt->arena, RT_POISON_BYTE, rt->arena_bytes);
    return COSMA_OK;
}

static void cpu_close(cosma_runtime_t *rt)
{
    free(rt->arena);
    free(rt->host);
    rt->arena = rt->host = NULL;
    rt->backend_state = NULL;
}

static cosma_status_t cpu_read(cosma_runtime_t *rt, uint64_t offset, uint64_t bytes, void *dst, cosma_diag_t *diag)
{
    (void)diag;
    memcpy(dst, rt->arena + offset, bytes);
    return COSMA_OK;
}

static cosma_status_t cpu_kernel(cosma_runtime_t *rt, const rt_node_t *node, cosma_diag_t *diag)
{
    const cosma_event_t *run = &rt->schedule->events[node->event];
    if (rt->options.check_all) {
        cosma_status_t status = rt_check_operands(rt, run, diag);
        if (status != COSMA_OK)
            return status;
    }
    cosma_kernel_args_t args;
    rt_kernel_args(rt, run, rt->arena, rt->ptrs, rt->sizes, &args);
    const rt_kernel_entry_t *kernel = rt_kernel_of(rt, run->op);
    cosma_status_t status = kernel != NULL ? kernel->fn(&args, kernel->user) : cosma_kernel_default_host(&args, NULL);
    if (status != COSMA_OK)
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: kernel of operator '%s' failed at step %d (%s)",
                          rt->graph->ops[run->op].name, (int)run->step, cosma_status_name(status));
    rt->stats.n_kernels++;
    return status;
}

/* Executes one node; *loads counts loads for the fault injection. */
static cosma_status_t cpu_node(cosma_runtime_t *rt, int32_t n, int32_t *loads, cosma_diag_t *diag)
{
    const rt_node_t *node = &rt->deps.nodes[n];
    int32_t tensor = rt->schedule->events[node->event].tensor;
    unsigned char *host = tensor >= 0 && rt->host_offset[tensor] != RT_NO_HOST ? rt->host + rt->host_offset[tensor]
                                                                                : NULL;
    double start = rt_clock_seconds();
    cosma_status_t status = COSMA_OK;
    switch (node->kind) {
    case RT_NODE_LOAD:
        if (++*loads == rt->options.test_skip_load)
            break;
        memcpy(rt->arena + node->offset, host, node->bytes);
        rt->stats.h2d_bytes += node->bytes;
        rt->stats.n_h2d++;
        break;
    case RT_NODE_SPILL:
    case RT_NODE_STORE:
        memcpy(host, rt->arena + node->offset, node->bytes);
        rt->stats.d2h_bytes += node->bytes;
        rt->stats.n_d2h++;
        break;
    case RT_NODE_POISON: memset(rt->arena + node->offset, RT_POISON_BYTE, node->bytes); break;
    case RT_NODE_RUN: status = cpu_kernel(rt, node, diag); break;
    }
    rt_trace_node_t *trace = &rt->trace.nodes[n];
    trace->start = start;
    trace->end = rt_clock_seconds();
    trace->bytes = node->kind == RT_NODE_LOAD && *loads == rt->options.test_skip_load ? 0 : node->bytes;
    trace->measured = 1;
    return status;
}

static uint64_t next_random(uint64_t *state)
{
    *state = rt_mix64(*state + RT_MIX_GOLDEN);
    return *state;
}

/* Moves lane l's cursor to its next node; returns it, or -1 when the lane
 * is done (the cursor then stays at the end). */
static int32_t lane_head(const rt_deps_t *deps, int32_t *cursor, rt_lane_t l)
{
    while (cursor[l] < deps->n_nodes && deps->nodes[cursor[l]].lane != l)
        cursor[l]++;
    return cursor[l] < deps->n_nodes ? cursor[l] : -1;
}

static cosma_status_t cpu_run_interleaved(cosma_runtime_t *rt, int32_t *loads, cosma_diag_t *diag)
{
    const rt_deps_t *deps = &rt->deps;
    unsigned char *done = calloc((size_t)deps->n_nodes + 1, 1);
    if (done == NULL)
        return COSMA_ERR_NOMEM;
    int32_t cursor[RT_N_LANES] = {0, 0, 0};
    uint64_t state = rt->options.seed ^ (uint64_t)rt->stats.n_runs;
    cosma_status_t status = COSMA_OK;
    for (int32_t executed = 0; executed < deps->n_nodes && status == COSMA_OK; executed++) {
        int32_t ready[RT_N_LANES], n_ready = 0;
        for (int l = 0; l < RT_N_LANES; l++) {
            int32_t head = lane_head(deps, cursor, (rt_lane_t)l);
            if (head < 0)
                continue;
            int ok = 1;
            for (int w = 0; w < RT_N_LANES; w++)
                ok &= deps->nodes[head].wait[w] < 0 || done[deps->nodes[head].wait[w]];
            if (ok)
                ready[n_ready++] = head;
        }
        if (n_ready == 0) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: the dependency graph deadlocked (a bug)");
            status = COSMA_ERR_INTERNAL;
            break;
        }
        int32_t n = ready[next_random(&state) % (uint64_t)n_ready];
        status = cpu_node(rt, n, loads, diag);
        done[n] = 1;
        cursor[deps->nodes[n].lane] = n + 1;
    }
    free(done);
    return status;
}

static cosma_status_t cpu_run(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    int32_t loads = 0;
    double start = rt_clock_seconds();
    cosma_status_t status = COSMA_OK;
    if (rt->options.mode == COSMA_RUN_SERIAL)
        for (int32_t n = 0; n < rt->deps.n_nodes && status == COSMA_OK; n++)
            status = cpu_node(rt, n, &loads, diag);
    else
        status = cpu_run_interleaved(rt, &loads, diag);
    double end = rt_clock_seconds();
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        rt->trace.nodes[n].start -= start;
        rt->trace.nodes[n].end -= start;
    }
    rt->stats.wall_seconds = end - start;
    rt->trace.wall_seconds = end - start;
    rt->trace.from_cupti = 0;
    snprintf(rt->trace.source, sizeof rt->trace.source, "runtime counters (cpu backend)");
    rt->trace.valid = status == COSMA_OK;
    return status;
}

const rt_backend_t rt_backend_cpu = {cpu_open, cpu_close, cpu_run, cpu_read};
