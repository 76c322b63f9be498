/* runtime.c: opening a plan (verification, host buffers, the dependency
 * graph), binding, running through a backend, and the integrity checks
 * against a reference execution with unlimited memory. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/verify.h>

#include "runtime_internal.h"

const char *cosma_backend_name(cosma_backend_t backend)
{
    return backend == COSMA_BACKEND_CUDA ? "cuda" : "cpu";
}

const char *cosma_run_mode_name(cosma_run_mode_t mode)
{
    return mode == COSMA_RUN_GRAPH ? "graph" : mode == COSMA_RUN_STREAMS ? "streams" : "serial";
}

int cosma_backend_parse(const char *name, cosma_backend_t *out_backend)
{
    if (strcmp(name, "cpu") == 0 || strcmp(name, "cuda") == 0) {
        *out_backend = name[1] == 'p' ? COSMA_BACKEND_CPU : COSMA_BACKEND_CUDA;
        return 0;
    }
    return -1;
}

int cosma_run_mode_parse(const char *name, cosma_run_mode_t *out_mode)
{
    static const char *const names[] = {"graph", "streams", "serial"};
    for (int m = 0; m < 3; m++)
        if (strcmp(name, names[m]) == 0) {
            *out_mode = (cosma_run_mode_t)m;
            return 0;
        }
    return -1;
}

int cosma_backend_available(cosma_backend_t backend)
{
#ifdef COSMA_HAVE_CUDA
    (void)backend;
    return 1;
#else
    return backend == COSMA_BACKEND_CPU;
#endif
}

int cosma_backend_devices(cosma_backend_t backend)
{
    if (backend == COSMA_BACKEND_CPU)
        return 1;
#ifdef COSMA_HAVE_CUDA
    return rt_cuda_devices();
#else
    return 0;
#endif
}

void cosma_runtime_options_init(cosma_runtime_options_t *options)
{
    memset(options, 0, sizeof *options);
    options->backend = COSMA_BACKEND_CPU;
    options->mode = COSMA_RUN_GRAPH;
    options->seed = 1;
    options->align = 1;
}

double rt_clock_seconds(void)
{
    return cosma_clock_seconds(); /* ir's one clock */
}

static uint64_t align_host(uint64_t bytes)
{
    return cosma_align_up(bytes, RT_HOST_ALIGN);
}

/* Refuses what the verifier refuses, plus a plan made for another graph
 * (the plan reader checks that for files, not for plans built in memory),
 * an infeasible plan and offsets off the required alignment. */
static cosma_status_t validate(const cosma_graph_t *graph, const cosma_plan_t *plan,
                               const cosma_runtime_options_t *options, cosma_diag_t *diag)
{
    if (plan->status == COSMA_PLAN_INFEASIBLE) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: the plan for graph '%s' is infeasible: nothing to run",
                          graph->name);
        return COSMA_ERR_INFEASIBLE;
    }
    uint64_t hash = cosma_graph_hash(graph);
    if (plan->graph_hash != hash) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "runtime: the plan was made for graph hash %016" PRIx64 ", not for graph '%s' (hash %016" PRIx64
                          ")",
                          plan->graph_hash, graph->name, hash);
        return COSMA_ERR_INPUT;
    }
    cosma_traffic_t traffic;
    if (cosma_plan_verify(graph, plan, &traffic, diag) != COSMA_OK) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: plan for graph '%s' refused at open (see above)",
                          graph->name);
        return COSMA_ERR_INPUT;
    }
    for (int32_t i = 0; i < plan->n_intervals; i++) {
        const cosma_interval_t *iv = &plan->intervals[i];
        if (options->align > 1 && iv->offset % options->align != 0) {
            cosma_diag_report(diag, COSMA_SEV_ERROR,
                              "runtime: tensor '%s' at offset %" PRIu64 " (steps %" PRId32 "..%" PRId32
                              ") is not aligned to %" PRIu64 " bytes",
                              graph->tensors[iv->tensor].name, iv->offset, iv->first, iv->last, options->align);
            return COSMA_ERR_INPUT;
        }
    }
    return COSMA_OK;
}

/* Which tensors need a host buffer: inputs and parameters that someone
 * reads, outputs, and activations that are spilled. */
static cosma_status_t layout_host(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    const cosma_graph_t *graph = rt->graph;
    size_t n = (size_t)graph->n_tensors + 1;
    rt->bytes = calloc(n, sizeof(uint64_t));
    rt->host_offset = malloc(n * sizeof(uint64_t));
    rt->bound = calloc(n, 1);
    if (rt->bytes == NULL || rt->host_offset == NULL || rt->bound == NULL)
        return COSMA_ERR_NOMEM;
    unsigned char *spilled = calloc(n, 1);
    if (spilled == NULL)
        return COSMA_ERR_NOMEM;
    for (int32_t i = 0; i < rt->plan->n_intervals; i++)
        if (rt->plan->intervals[i].end == COSMA_END_SPILL)
            spilled[rt->plan->intervals[i].tensor] = 1;
    uint64_t at = 0;
    cosma_status_t status = COSMA_OK;
    for (int32_t t = 0; t < graph->n_tensors; t++) {
        const cosma_tensor_t *tensor = &graph->tensors[t];
        rt->host_offset[t] = RT_NO_HOST;
        if (cosma_tensor_bytes(tensor, rt->plan->mode.elem_bytes, &rt->bytes[t]) != 0) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: the size of tensor '%s' overflows", tensor->name);
            status = COSMA_ERR_INPUT;
            break;
        }
        int from_host = (tensor->kind == COSMA_TENSOR_INPUT || tensor->kind == COSMA_TENSOR_PARAM) &&
                        tensor->n_consumers > 0;
        if (from_host || tensor->kind == COSMA_TENSOR_OUTPUT || spilled[t]) {
            rt->host_offset[t] = at;
            at += align_host(rt->bytes[t]);
        }
    }
    free(spilled);
    rt->host_bytes = at;
    return status;
}

static void fill_unbound(cosma_runtime_t *rt)
{
    for (int32_t t = 0; t < rt->graph->n_tensors; t++) {
        cosma_tensor_kind_t kind = rt->graph->tensors[t].kind;
        if ((kind == COSMA_TENSOR_INPUT || kind == COSMA_TENSOR_PARAM) && rt->host_offset[t] != RT_NO_HOST &&
            !rt->bound[t])
            rt_fill_random(rt->host + rt->host_offset[t], rt->bytes[t], rt->options.seed, t);
    }
}

cosma_status_t cosma_runtime_open(const cosma_graph_t *graph, const cosma_plan_t *plan,
                                  const cosma_runtime_options_t *options, cosma_runtime_t **out_runtime,
                                  cosma_diag_t *diag)
{
    if (out_runtime == NULL || graph == NULL || plan == NULL || options == NULL)
        return COSMA_ERR_USAGE;
    *out_runtime = NULL;
    if (!cosma_backend_available(options->backend)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "runtime: backend '%s' is not in this build (the CUDA Toolkit was not found)",
                          cosma_backend_name(options->backend));
        return COSMA_ERR_USAGE;
    }
    if (cosma_backend_devices(options->backend) <= options->device) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: no %s device %d is visible here",
                          cosma_backend_name(options->backend), options->device);
        return COSMA_ERR_USAGE;
    }
    cosma_status_t status = validate(graph, plan, options, diag);
    if (status != COSMA_OK)
        return status;
    cosma_runtime_t *rt = calloc(1, sizeof *rt);
    if (rt == NULL)
        return COSMA_ERR_NOMEM;
    rt->graph = graph;
    rt->plan = plan;
    rt->options = *options;
    rt->arena_bytes = plan->budget_bytes > 0 ? plan->budget_bytes : 1;
#ifdef COSMA_HAVE_CUDA
    rt->backend = options->backend == COSMA_BACKEND_CUDA ? &rt_backend_cuda : &rt_backend_cpu;
#else
    rt->backend = &rt_backend_cpu;
#endif
    if ((status = cosma_schedule_build(graph, plan, &rt->schedule, diag)) == COSMA_OK &&
        (status = rt_deps_build(graph, rt->schedule, options->poison, &rt->deps)) == COSMA_OK &&
        (status = layout_host(rt, diag)) == COSMA_OK) {
        int32_t most = 1;
        for (int32_t o = 0; o < graph->n_ops; o++)
            if (graph->ops[o].n_inputs + graph->ops[o].n_outputs > most)
                most = graph->ops[o].n_inputs + graph->ops[o].n_outputs;
        rt->ptrs = calloc((size_t)most, sizeof(void *));
        rt->sizes = calloc((size_t)most, sizeof(uint64_t));
        rt->trace.nodes = calloc((size_t)rt->deps.n_nodes + 1, sizeof(rt_trace_node_t));
        status = rt->trace.nodes == NULL || rt->ptrs == NULL || rt->sizes == NULL ? COSMA_ERR_NOMEM
                                                                                 : rt->backend->open(rt, diag);
    }
    if (status != COSMA_OK) {
        if (status == COSMA_ERR_NOMEM)
            cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: out of memory opening the plan of graph '%s'",
                              graph->name);
        cosma_runtime_close(rt);
        return status;
    }
    fill_unbound(rt);
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        const rt_node_t *node = &rt->deps.nodes[n];
        if (node->kind == RT_NODE_LOAD)
            rt->stats.planned_h2d_bytes += node->bytes;
        else if (node->kind == RT_NODE_SPILL || node->kind == RT_NODE_STORE)
            rt->stats.planned_d2h_bytes += node->bytes;
    }
    *out_runtime = rt;
    return COSMA_OK;
}

void cosma_runtime_close(cosma_runtime_t *rt)
{
    if (rt == NULL)
        return;
    if (rt->backend != NULL && rt->backend_state != NULL)
        rt->backend->close(rt);
    cosma_schedule_free(rt->schedule);
    rt_deps_free(&rt->deps);
    free(rt->bytes);
    free(rt->host_offset);
    free(rt->bound);
    free(rt->reference);
    free(rt->ref_offset);
    free(rt->trace.nodes);
    free(rt->ptrs);
    free(rt->sizes);
    free(rt);
}

cosma_status_t cosma_runtime_set_kernel(cosma_runtime_t *rt, const char *op_type, cosma_kernel_fn_t kernel,
                                        void *user, cosma_diag_t *diag)
{
    if (rt == NULL || op_type == NULL || kernel == NULL || strlen(op_type) >= sizeof rt->kernels[0].type) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: set_kernel needs a runtime, a type of under 64 bytes "
                                                 "and a kernel");
        return COSMA_ERR_USAGE;
    }
    rt_kernel_entry_t *entry = NULL;
    for (int k = 0; k < rt->n_kernels && entry == NULL; k++)
        if (strcmp(rt->kernels[k].type, op_type) == 0)
            entry = &rt->kernels[k];
    if (entry == NULL) {
        if (rt->n_kernels == RT_MAX_KERNELS) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: more than %d kernel types", RT_MAX_KERNELS);
            return COSMA_ERR_USAGE;
        }
        entry = &rt->kernels[rt->n_kernels++];
        strcpy(entry->type, op_type);
    }
    entry->fn = kernel;
    entry->user = user;
    rt->kernels_version++;
    rt->reference_ready = 0;
    return COSMA_OK;
}

cosma_status_t cosma_runtime_bind(cosma_runtime_t *rt, const char *name, const void *data, uint64_t bytes,
                                  cosma_diag_t *diag)
{
    int32_t t = rt != NULL && name != NULL ? cosma_graph_find_tensor(rt->graph, name) : -1;
    if (t < 0) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: bind: no tensor '%s' in the graph",
                          name != NULL ? name : "(null)");
        return COSMA_ERR_USAGE;
    }
    cosma_tensor_kind_t kind = rt->graph->tensors[t].kind;
    if (kind != COSMA_TENSOR_INPUT && kind != COSMA_TENSOR_PARAM) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: bind: tensor '%s' is an %s, not an input or parameter",
                          name, cosma_tensor_kind_name(kind));
        return COSMA_ERR_USAGE;
    }
    if (bytes != rt->bytes[t]) {
        cosma_diag_report(diag, COSMA_SEV_ERROR,
                          "runtime: bind: tensor '%s' has %" PRIu64 " bytes in this plan, not %" PRIu64, name,
                          rt->bytes[t], bytes);
        return COSMA_ERR_USAGE;
    }
    if (rt->host_offset[t] != RT_NO_HOST && bytes > 0)
        memcpy(rt->host + rt->host_offset[t], data, bytes);
    rt->bound[t] = 1;
    rt->reference_ready = 0;
    return COSMA_OK;
}

cosma_status_t cosma_runtime_run(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    if (rt == NULL)
        return COSMA_ERR_USAGE;
    if (rt->options.check_all && !rt->reference_ready) {
        cosma_status_t status = rt_reference_build(rt, diag);
        if (status != COSMA_OK)
            return status;
    }
    rt->stats.h2d_bytes = rt->stats.d2h_bytes = 0;
    rt->stats.n_h2d = rt->stats.n_d2h = rt->stats.n_kernels = 0;
    rt->trace.valid = 0;
    cosma_status_t status = rt->backend->run(rt, diag);
    if (status == COSMA_OK)
        rt->stats.n_runs++;
    return status;
}

cosma_status_t cosma_runtime_output(const cosma_runtime_t *rt, const char *name, const void **out_data,
                                    uint64_t *out_bytes, cosma_diag_t *diag)
{
    int32_t t = rt != NULL && name != NULL ? cosma_graph_find_tensor(rt->graph, name) : -1;
    if (t < 0 || rt->graph->tensors[t].kind != COSMA_TENSOR_OUTPUT) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: no graph output '%s'", name != NULL ? name : "(null)");
        return COSMA_ERR_USAGE;
    }
    *out_data = rt->host + rt->host_offset[t];
    *out_bytes = rt->bytes[t];
    return COSMA_OK;
}

cosma_status_t cosma_runtime_set_mode(cosma_runtime_t *rt, cosma_run_mode_t mode, cosma_diag_t *diag)
{
    if (rt == NULL || (mode != COSMA_RUN_GRAPH && mode != COSMA_RUN_STREAMS && mode != COSMA_RUN_SERIAL)) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: set_mode needs a runtime and graph, streams or serial");
        return COSMA_ERR_USAGE;
    }
    rt->options.mode = mode;
    return COSMA_OK;
}

void cosma_runtime_set_profiling(cosma_runtime_t *rt, int on)
{
    rt->options.profile = on;
}

const cosma_run_stats_t *cosma_runtime_stats(const cosma_runtime_t *rt)
{
    return &rt->stats;
}

/* ---- reference execution and integrity checks ------------------------ */

cosma_status_t rt_reference_build(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    const cosma_graph_t *graph = rt->graph;
    if (rt->ref_offset == NULL) {
        rt->ref_offset = malloc(((size_t)graph->n_tensors + 1) * sizeof(uint64_t));
        uint64_t total = 0;
        for (int32_t t = 0; rt->ref_offset != NULL && t < graph->n_tensors; t++) {
            rt->ref_offset[t] = total;
            total += align_host(rt->bytes[t]);
        }
        rt->reference = rt->ref_offset != NULL ? malloc(total + 1) : NULL;
        if (rt->reference == NULL) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: out of memory for the reference execution");
            return COSMA_ERR_NOMEM;
        }
    }
    for (int32_t t = 0; t < graph->n_tensors; t++)
        if (rt->host_offset[t] != RT_NO_HOST && graph->tensors[t].producer < 0)
            memcpy(rt->reference + rt->ref_offset[t], rt->host + rt->host_offset[t], rt->bytes[t]);
    void **ptrs = rt->ptrs;
    uint64_t *sizes = rt->sizes;
    for (int32_t step = 1; step <= rt->plan->n_steps; step++) {
        int32_t op = rt->plan->order[step - 1];
        const cosma_op_t *o = &graph->ops[op];
        for (int32_t k = 0; k < o->n_inputs + o->n_outputs; k++) {
            int32_t t = k < o->n_inputs ? o->inputs[k] : o->outputs[k - o->n_inputs];
            ptrs[k] = t >= 0 ? rt->reference + rt->ref_offset[t] : NULL;
            sizes[k] = t >= 0 ? rt->bytes[t] : 0;
        }
        cosma_kernel_args_t args = {.graph = graph, .op = op, .step = step, .n_inputs = o->n_inputs,
                                    .n_outputs = o->n_outputs, .inputs = (const void *const *)ptrs,
                                    .input_bytes = sizes, .outputs = ptrs + o->n_inputs,
                                    .output_bytes = sizes + o->n_inputs};
        const rt_kernel_entry_t *kernel = rt_kernel_of(rt, op);
        if (kernel != NULL && rt->options.backend != COSMA_BACKEND_CPU) {
            cosma_diag_report(diag, COSMA_SEV_ERROR,
                              "runtime: operator '%s' has a registered device kernel; the reference execution "
                              "needs host kernels",
                              o->name);
            return COSMA_ERR_USAGE;
        }
        cosma_status_t status = kernel != NULL ? kernel->fn(&args, kernel->user)
                                               : cosma_kernel_default_host(&args, NULL);
        if (status != COSMA_OK) {
            cosma_diag_report(diag, COSMA_SEV_ERROR, "runtime: reference kernel of '%s' failed (%s)", o->name,
                              cosma_status_name(status));
            return status;
        }
    }
    rt->reference_ready = 1;
    return COSMA_OK;
}

static cosma_status_t report_difference(cosma_runtime_t *rt, const char *what, int32_t tensor, int32_t step,
                                        const unsigned char *got, const unsigned char *want, uint64_t bytes,
                                        cosma_diag_t *diag)
{
    uint64_t at = 0;
    while (at < bytes && got[at] == want[at])
        at++;
    if (at == bytes)
        return COSMA_OK;
    rt->stats.integrity_failed = 1;
    int32_t op = step > 0 ? rt->plan->order[step - 1] : -1;
    cosma_diag_report(diag, COSMA_SEV_ERROR,
                      "runtime: %s '%s' differs from the reference at byte %" PRIu64 " of %" PRIu64
                      " (step %" PRId32 ", operator '%s')",
                      what, rt->graph->tensors[tensor].name, at, bytes, step, op >= 0 ? rt->graph->ops[op].name : "");
    return COSMA_ERR_INTERNAL;
}

cosma_status_t rt_check_operands(cosma_runtime_t *rt, const cosma_event_t *run, cosma_diag_t *diag)
{
    const cosma_operand_t *ops = &rt->schedule->operands[run->operands];
    for (int32_t k = 0; k < run->n_inputs; k++) {
        int32_t t = ops[k].tensor;
        if (t < 0 || rt->bytes[t] == 0)
            continue;
        const unsigned char *want = rt->reference + rt->ref_offset[t];
        const unsigned char *got = rt->host + rt->host_offset[t];
        unsigned char *copy = NULL;
        if (ops[k].offset != COSMA_OFFSET_NONE) {
            copy = malloc(rt->bytes[t]);
            cosma_status_t status = copy == NULL ? COSMA_ERR_NOMEM
                                                 : rt->backend->read(rt, ops[k].offset, rt->bytes[t], copy, diag);
            if (status != COSMA_OK) {
                free(copy);
                return status;
            }
            got = copy;
        }
        cosma_status_t status = report_difference(rt, "input", t, run->step, got, want, rt->bytes[t], diag);
        free(copy);
        if (status != COSMA_OK)
            return status;
    }
    return COSMA_OK;
}

cosma_status_t cosma_runtime_check_outputs(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    if (!rt->reference_ready) {
        cosma_status_t status = rt_reference_build(rt, diag);
        if (status != COSMA_OK)
            return status;
    }
    for (int32_t t = 0; t < rt->graph->n_tensors; t++) {
        if (rt->graph->tensors[t].kind != COSMA_TENSOR_OUTPUT)
            continue;
        int32_t producer = rt->graph->tensors[t].producer, step = 0;
        for (int32_t s = 0; s < rt->plan->n_steps; s++)
            if (rt->plan->order[s] == producer)
                step = s + 1;
        cosma_status_t status = report_difference(rt, "output", t, step, rt->host + rt->host_offset[t],
                                                  rt->reference + rt->ref_offset[t], rt->bytes[t], diag);
        if (status != COSMA_OK)
            return status;
    }
    return COSMA_OK;
}
