/* backend_cuda.c: the plan on a GPU.  One cudaMalloc of the budget at open
 * and none during a run; one pinned host block; three non-blocking streams
 * (uploads, kernels, downloads) joined by one event per awaited node of
 * the dependency graph.  Graph mode captures the whole run once as a
 * multi-stream CUDA graph and replays it; streams mode issues it each run;
 * serial mode issues everything in plan order on one stream.  With CUPTI,
 * a profiled run's copies, kernels and fills are read back from the
 * driver's activity records and matched to the plan's nodes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_backend.h"

#ifdef COSMA_HAVE_CUPTI
#include <cupti.h>
#include <pthread.h>
#endif

typedef struct {
    cudaStream_t lane[RT_N_LANES];
    cudaStream_t probe;  /* captures one call of a registered kernel to count its launches */
    cudaEvent_t *events; /* per node; NULL where no node waits for it */
    cudaEvent_t fork, join[RT_N_LANES];
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    uint64_t *issued;    /* per node: bytes the last issue copied (0 for a skipped load) */
    int32_t *launches;   /* per node: kernel launches (runs), -1 unknown (registered kernel) */
    int kernels_version; /* of the kernels that launches and the captured graph reflect */
    int device;
} cuda_state_t;

static cosma_status_t fail_at(const cosma_runtime_t *rt, const rt_node_t *node, const char *call, cudaError_t error,
                              cosma_diag_t *diag)
{
    if (node == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cuda: %s failed: %s", call, cudaGetErrorString(error));
        return COSMA_ERR_INTERNAL;
    }
    const cosma_event_t *e = &rt->schedule->events[node->event];
    const char *what = node->kind == RT_NODE_RUN ? "operator" : "tensor";
    const char *name = node->kind == RT_NODE_RUN ? rt->graph->ops[e->op].name : rt->graph->tensors[e->tensor].name;
    cosma_diag_report(diag, COSMA_SEV_ERROR, "cuda: %s failed at step %" PRId32 " (%s '%s'): %s", call, node->step,
                      what, name, cudaGetErrorString(error));
    return COSMA_ERR_INTERNAL;
}

#define CUDA_TRY(call, node)                                                                                           \
    do {                                                                                                               \
        cudaError_t try_error_ = (call);                                                                               \
        if (try_error_ != cudaSuccess)                                                                                 \
            return fail_at(rt, (node), #call, try_error_, diag);                                                       \
    } while (0)

/* ---- issuing the dependency graph ----------------------------------------- */

static void run_args(cosma_runtime_t *rt, const rt_node_t *node, cudaStream_t stream, cosma_kernel_args_t *out_args)
{
    rt_kernel_args(rt, &rt->schedule->events[node->event], rt->arena, rt->ptrs, rt->sizes, out_args);
    out_args->stream = stream;
}

static cosma_status_t issue_run(cosma_runtime_t *rt, cuda_state_t *st, int32_t n, cudaStream_t stream,
                                cosma_diag_t *diag)
{
    const rt_node_t *node = &rt->deps.nodes[n];
    const cosma_event_t *run = &rt->schedule->events[node->event];
    cosma_kernel_args_t args;
    run_args(rt, node, stream, &args);
    const rt_kernel_entry_t *kernel = rt_kernel_of(rt, run->op);
    if (kernel != NULL) {
        cosma_status_t status = kernel->fn(&args, kernel->user);
        if (status != COSMA_OK)
            cosma_diag_report(diag, COSMA_SEV_ERROR, "cuda: kernel of operator '%s' failed at step %" PRId32 " (%s)",
                              rt->graph->ops[run->op].name, run->step, cosma_status_name(status));
        return status;
    }
    st->launches[n] = rt_cuda_default_launches(&args);
    CUDA_TRY(rt_cuda_default_kernel(&args), node);
    return COSMA_OK;
}

/* The kernel nodes of a captured graph; -1 if it holds other work (which
 * CUPTI's records would not match by count). */
static int32_t count_kernel_nodes(cudaGraph_t graph)
{
    size_t count = 0;
    if (cudaGraphGetNodes(graph, NULL, &count) != cudaSuccess)
        return -1;
    cudaGraphNode_t *nodes = calloc(count + 1, sizeof *nodes);
    int32_t kernels = nodes != NULL && cudaGraphGetNodes(graph, nodes, &count) == cudaSuccess ? 0 : -1;
    for (size_t k = 0; k < count && kernels >= 0; k++) {
        enum cudaGraphNodeType type;
        if (cudaGraphNodeGetType(nodes[k], &type) != cudaSuccess ||
            (type != cudaGraphNodeTypeKernel && type != cudaGraphNodeTypeEmpty))
            kernels = -1;
        else
            kernels += type == cudaGraphNodeTypeKernel;
    }
    free(nodes);
    return kernels;
}

/* How many kernels a registered kernel launches for node n, counted the
 * way the default kernel's are known: one call captured on a stream of
 * its own (never launched), so that the profiled run's records match it.
 * -1 when the call cannot be captured. */
static int32_t probe_launches(cosma_runtime_t *rt, cuda_state_t *st, int32_t n, const rt_kernel_entry_t *kernel)
{
    cosma_kernel_args_t args;
    run_args(rt, &rt->deps.nodes[n], st->probe, &args);
    if (cudaStreamBeginCapture(st->probe, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
        cudaGetLastError();
        return -1;
    }
    cosma_status_t status = kernel->fn(&args, kernel->user);
    cudaGraph_t graph = NULL;
    cudaError_t ended = cudaStreamEndCapture(st->probe, &graph);
    int32_t launches = status == COSMA_OK && ended == cudaSuccess ? count_kernel_nodes(graph) : -1;
    if (graph != NULL)
        cudaGraphDestroy(graph);
    cudaGetLastError(); /* a call that could not be captured leaves no error behind */
    return launches;
}

static void probe_registered(cosma_runtime_t *rt, cuda_state_t *st)
{
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        const rt_node_t *node = &rt->deps.nodes[n];
        const rt_kernel_entry_t *kernel =
            node->kind == RT_NODE_RUN ? rt_kernel_of(rt, rt->schedule->events[node->event].op) : NULL;
        if (kernel != NULL)
            st->launches[n] = probe_launches(rt, st, n, kernel);
    }
}

static cosma_status_t sync_lanes(cosma_runtime_t *rt, cuda_state_t *st, cosma_diag_t *diag)
{
    for (int l = 0; l < RT_N_LANES; l++)
        CUDA_TRY(cudaStreamSynchronize(st->lane[l]), NULL);
    return COSMA_OK;
}

static cosma_status_t issue_node(cosma_runtime_t *rt, cuda_state_t *st, int32_t n, cudaStream_t s, int32_t *loads,
                                 int checked, cosma_diag_t *diag)
{
    const rt_node_t *node = &rt->deps.nodes[n];
    int32_t tensor = rt->schedule->events[node->event].tensor;
    unsigned char *host = tensor >= 0 && rt->host_offset[tensor] != RT_NO_HOST ? rt->host + rt->host_offset[tensor]
                                                                                : NULL;
    unsigned char *device = rt->arena + node->offset;
    st->issued[n] = 0;
    switch (node->kind) {
    case RT_NODE_LOAD:
        if (++*loads == rt->options.test_skip_load)
            break;
        CUDA_TRY(cudaMemcpyAsync(device, host, node->bytes, cudaMemcpyHostToDevice, s), node);
        st->issued[n] = node->bytes;
        break;
    case RT_NODE_SPILL:
    case RT_NODE_STORE:
        CUDA_TRY(cudaMemcpyAsync(host, device, node->bytes, cudaMemcpyDeviceToHost, s), node);
        st->issued[n] = node->bytes;
        break;
    case RT_NODE_POISON: CUDA_TRY(cudaMemsetAsync(device, RT_POISON_BYTE, node->bytes, s), node); break;
    case RT_NODE_RUN:
        if (checked) {
            cosma_status_t status = sync_lanes(rt, st, diag);
            if (status == COSMA_OK)
                status = rt_check_operands(rt, &rt->schedule->events[node->event], diag);
            if (status != COSMA_OK)
                return status;
        }
        return issue_run(rt, st, n, s, diag);
    }
    return COSMA_OK;
}

/* Enqueues every node: on its lane's stream after waiting for the events
 * of its dependencies on other lanes, or all on one stream (serial). */
static cosma_status_t issue(cosma_runtime_t *rt, cuda_state_t *st, int serial, int checked, cosma_diag_t *diag)
{
    cudaStream_t kernels = st->lane[RT_LANE_KERNEL];
    CUDA_TRY(rt_cuda_reset_digests(kernels, rt->plan->n_steps), NULL);
    int32_t loads = 0;
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        const rt_node_t *node = &rt->deps.nodes[n];
        cudaStream_t s = serial ? kernels : st->lane[node->lane];
        for (int l = 0; l < RT_N_LANES && !serial; l++)
            if (node->wait[l] >= 0)
                CUDA_TRY(cudaStreamWaitEvent(s, st->events[node->wait[l]], 0), node);
        cosma_status_t status = issue_node(rt, st, n, s, &loads, checked, diag);
        if (status != COSMA_OK)
            return status;
        if (!serial && node->waited_on)
            CUDA_TRY(cudaEventRecord(st->events[n], s), node);
    }
    return COSMA_OK;
}

static void drop_graph(cuda_state_t *st)
{
    if (st->exec != NULL)
        cudaGraphExecDestroy(st->exec);
    if (st->graph != NULL)
        cudaGraphDestroy(st->graph);
    st->exec = NULL;
    st->graph = NULL;
}

/* The whole run as one CUDA graph: the upload stream forks the other two
 * and joins them at the end. */
static cosma_status_t capture(cosma_runtime_t *rt, cuda_state_t *st, cosma_diag_t *diag)
{
    cudaStream_t origin = st->lane[RT_LANE_UP];
    CUDA_TRY(cudaStreamBeginCapture(origin, cudaStreamCaptureModeThreadLocal), NULL);
    cosma_status_t status = COSMA_OK;
    cudaError_t error = cudaEventRecord(st->fork, origin);
    for (int l = RT_LANE_KERNEL; l < RT_N_LANES && error == cudaSuccess; l++)
        error = cudaStreamWaitEvent(st->lane[l], st->fork, 0);
    if (error == cudaSuccess)
        status = issue(rt, st, 0, 0, diag);
    for (int l = RT_LANE_KERNEL; l < RT_N_LANES && error == cudaSuccess && status == COSMA_OK; l++) {
        error = cudaEventRecord(st->join[l], st->lane[l]);
        if (error == cudaSuccess)
            error = cudaStreamWaitEvent(origin, st->join[l], 0);
    }
    cudaError_t end = cudaStreamEndCapture(origin, &st->graph);
    if (status != COSMA_OK)
        return status;
    if (error != cudaSuccess || end != cudaSuccess)
        return fail_at(rt, NULL, "capturing the run as a CUDA graph", error != cudaSuccess ? error : end, diag);
    CUDA_TRY(cudaGraphInstantiate(&st->exec, st->graph, 0), NULL);
    /* Uploaded now, so that no timed or profiled run pays for it. */
    CUDA_TRY(cudaGraphUpload(st->exec, origin), NULL);
    CUDA_TRY(cudaStreamSynchronize(origin), NULL);
    return COSMA_OK;
}

/* ---- CUPTI ------------------------------------------------------------------ */

typedef enum { REC_H2D, REC_D2H, REC_KERNEL, REC_MEMSET, REC_OTHER } rec_kind_t;

typedef struct {
    rec_kind_t kind;
    uint64_t bytes, start, end;
} rec_t;

#ifdef COSMA_HAVE_CUPTI
#define CUPTI_BUFFER_BYTES (8u << 20)

/* CUPTI hands completed buffers to a callback without a context pointer,
 * so the records of a profiled run collect here: the runtime's one piece
 * of process-wide state, guarded by a lock. */
static struct {
    pthread_mutex_t lock;
    rec_t *recs;
    size_t n, cap;
    int failed, registered;
} collector = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0};

static void CUPTIAPI buffer_requested(uint8_t **buffer, size_t *size, size_t *max_records)
{
    *buffer = aligned_alloc(8, CUPTI_BUFFER_BYTES);
    *size = *buffer != NULL ? CUPTI_BUFFER_BYTES : 0;
    *max_records = 0;
}

static void collect(rec_kind_t kind, uint64_t bytes, uint64_t start, uint64_t end)
{
    if (collector.n == collector.cap) {
        size_t cap = collector.cap > 0 ? 2 * collector.cap : 4096;
        rec_t *grown = realloc(collector.recs, cap * sizeof(rec_t));
        if (grown == NULL) {
            collector.failed = 1;
            return;
        }
        collector.recs = grown;
        collector.cap = cap;
    }
    collector.recs[collector.n++] = (rec_t){kind, bytes, start, end};
}

static void CUPTIAPI buffer_completed(CUcontext context, uint32_t stream, uint8_t *buffer, size_t size, size_t valid)
{
    (void)context;
    (void)stream;
    (void)size;
    CUpti_Activity *record = NULL;
    pthread_mutex_lock(&collector.lock);
    while (valid > 0 && cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
        if (record->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
            const CUpti_ActivityMemcpy6 *m = (const CUpti_ActivityMemcpy6 *)record;
            rec_kind_t kind = m->copyKind == CUPTI_ACTIVITY_MEMCPY_KIND_HTOD   ? REC_H2D
                              : m->copyKind == CUPTI_ACTIVITY_MEMCPY_KIND_DTOH ? REC_D2H
                                                                                : REC_OTHER;
            collect(kind, m->bytes, m->start, m->end);
        } else if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
            const CUpti_ActivityKernel10 *k = (const CUpti_ActivityKernel10 *)record;
            collect(REC_KERNEL, 0, k->start, k->end);
        } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMSET) {
            const CUpti_ActivityMemset4 *m = (const CUpti_ActivityMemset4 *)record;
            collect(REC_MEMSET, m->bytes, m->start, m->end);
        }
    }
    pthread_mutex_unlock(&collector.lock);
    free(buffer);
}

static const CUpti_ActivityKind profiled_kinds[] = {CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,
                                                    CUPTI_ACTIVITY_KIND_MEMSET};
#define N_PROFILED_KINDS ((int)(sizeof profiled_kinds / sizeof profiled_kinds[0]))

/* Starts recording; on failure says why in reason (a profiler may hold
 * CUPTI already) and records nothing. */
static int cupti_start(uint64_t *out_t0, char *reason, size_t reason_size)
{
    const char *why = NULL;
    CUptiResult result = CUPTI_SUCCESS;
    pthread_mutex_lock(&collector.lock);
    collector.n = 0;
    collector.failed = 0;
    pthread_mutex_unlock(&collector.lock);
    if (!collector.registered) {
        result = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
        collector.registered = result == CUPTI_SUCCESS;
    }
    for (int k = 0; k < N_PROFILED_KINDS && result == CUPTI_SUCCESS; k++)
        result = cuptiActivityEnable(profiled_kinds[k]);
    if (result == CUPTI_SUCCESS)
        result = cuptiGetTimestamp(out_t0);
    if (result != CUPTI_SUCCESS) {
        cuptiGetResultString(result, &why);
        snprintf(reason, reason_size, "runtime counters (CUPTI unavailable: %s)", why != NULL ? why : "unknown");
        for (int k = 0; k < N_PROFILED_KINDS; k++)
            cuptiActivityDisable(profiled_kinds[k]);
        return 0;
    }
    return 1;
}

static void cupti_stop(void)
{
    cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    for (int k = 0; k < N_PROFILED_KINDS; k++)
        cuptiActivityDisable(profiled_kinds[k]);
}

static int by_start(const void *a, const void *b)
{
    const rec_t *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static void set_trace(rt_trace_node_t *t, const rec_t *first, const rec_t *last, uint64_t t0, uint64_t bytes)
{
    t->start = 1e-9 * (double)(int64_t)(first->start - t0);
    t->end = 1e-9 * (double)(int64_t)(last->end - t0);
    t->bytes = bytes;
    t->measured = 1;
}

/* Each lane is a chain, so its records in time order are its nodes in
 * issue order: the k-th host-to-device record is the k-th issued load. */
static void match_records(cosma_runtime_t *rt, const cuda_state_t *st, uint64_t t0)
{
    qsort(collector.recs, collector.n, sizeof(rec_t), by_start);
    size_t next[REC_OTHER] = {0, 0, 0, 0};
    size_t n_kind[REC_OTHER] = {0, 0, 0, 0};
    for (size_t r = 0; r < collector.n; r++)
        if (collector.recs[r].kind < REC_OTHER)
            n_kind[collector.recs[r].kind]++;
    const rec_t *by_kind[REC_OTHER];
    rec_t *sorted = malloc((collector.n + 1) * sizeof(rec_t));
    size_t at = 0;
    for (int k = 0; k < REC_OTHER; k++) {
        by_kind[k] = sorted + at;
        for (size_t r = 0; sorted != NULL && r < collector.n; r++)
            if (collector.recs[r].kind == (rec_kind_t)k)
                sorted[at++] = collector.recs[r];
    }
    if (sorted == NULL)
        return;
    next[REC_KERNEL] = 1; /* the digest reset comes first */
    int kernels_known = 1;
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        const rt_node_t *node = &rt->deps.nodes[n];
        rt_trace_node_t *t = &rt->trace.nodes[n];
        rec_kind_t kind = node->kind == RT_NODE_LOAD     ? REC_H2D
                          : node->kind == RT_NODE_RUN    ? REC_KERNEL
                          : node->kind == RT_NODE_POISON ? REC_MEMSET
                                                         : REC_D2H;
        int32_t count = kind == REC_KERNEL ? st->launches[n] : st->issued[n] > 0 || kind == REC_MEMSET;
        kernels_known &= kind != REC_KERNEL || count >= 0;
        memset(t, 0, sizeof *t);
        if (count <= 0 || (kind == REC_KERNEL && !kernels_known) || next[kind] + (size_t)count > n_kind[kind]) {
            t->measured = count == 0 && kind != REC_KERNEL; /* a skipped load: known to move 0 bytes */
            continue;
        }
        const rec_t *first = &by_kind[kind][next[kind]], *last = &by_kind[kind][next[kind] + (size_t)count - 1];
        set_trace(t, first, last, t0, kind == REC_KERNEL ? 0 : first->bytes);
        next[kind] += (size_t)count;
    }
    free(sorted);
}
#endif

/* Without CUPTI records: the runtime's own account of each copy. */
static void trace_from_counters(cosma_runtime_t *rt, const cuda_state_t *st, const char *source)
{
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        rt->trace.nodes[n] = (rt_trace_node_t){-1, -1, st->issued[n], 0};
    }
    rt->trace.from_cupti = 0;
    snprintf(rt->trace.source, sizeof rt->trace.source, "%s", source);
}

/* ---- the backend ------------------------------------------------------------ */

static cosma_status_t cuda_open(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    if (rt->plan->n_steps > RT_CUDA_MAX_STEPS) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cuda: plans of over %d steps are not supported", RT_CUDA_MAX_STEPS);
        return COSMA_ERR_USAGE;
    }
    cuda_state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return COSMA_ERR_NOMEM;
    rt->backend_state = st;
    st->device = rt->options.device;
    size_t n = (size_t)rt->deps.n_nodes + 1;
    st->events = calloc(n, sizeof(cudaEvent_t));
    st->issued = calloc(n, sizeof(uint64_t));
    st->launches = calloc(n, sizeof(int32_t));
    if (st->events == NULL || st->issued == NULL || st->launches == NULL)
        return COSMA_ERR_NOMEM;
    CUDA_TRY(cudaSetDevice(st->device), NULL);
    CUDA_TRY(cudaMalloc((void **)&rt->arena, rt->arena_bytes), NULL);
    CUDA_TRY(cudaHostAlloc((void **)&rt->host, rt->host_bytes + 1, cudaHostAllocPortable | cudaHostAllocMapped), NULL);
    CUDA_TRY(cudaMemset(rt->arena, RT_POISON_BYTE, rt->arena_bytes), NULL);
    for (int l = 0; l < RT_N_LANES; l++) {
        CUDA_TRY(cudaStreamCreateWithFlags(&st->lane[l], cudaStreamNonBlocking), NULL);
        CUDA_TRY(cudaEventCreateWithFlags(&st->join[l], cudaEventDisableTiming), NULL);
    }
    CUDA_TRY(cudaEventCreateWithFlags(&st->fork, cudaEventDisableTiming), NULL);
    CUDA_TRY(cudaStreamCreateWithFlags(&st->probe, cudaStreamNonBlocking), NULL);
    for (int32_t k = 0; k < rt->deps.n_nodes; k++)
        if (rt->deps.nodes[k].waited_on)
            CUDA_TRY(cudaEventCreateWithFlags(&st->events[k], cudaEventDisableTiming), &rt->deps.nodes[k]);
    if (rt->options.mode == COSMA_RUN_GRAPH)
        return capture(rt, st, diag);
    return COSMA_OK;
}

static void cuda_close(cosma_runtime_t *rt)
{
    cuda_state_t *st = rt->backend_state;
    drop_graph(st);
    for (int32_t k = 0; st->events != NULL && k < rt->deps.n_nodes; k++)
        if (st->events[k] != NULL)
            cudaEventDestroy(st->events[k]);
    for (int l = 0; l < RT_N_LANES; l++) {
        if (st->lane[l] != NULL)
            cudaStreamDestroy(st->lane[l]);
        if (st->join[l] != NULL)
            cudaEventDestroy(st->join[l]);
    }
    if (st->fork != NULL)
        cudaEventDestroy(st->fork);
    if (st->probe != NULL)
        cudaStreamDestroy(st->probe);
    if (rt->arena != NULL)
        cudaFree(rt->arena);
    if (rt->host != NULL)
        cudaFreeHost(rt->host);
    rt->arena = rt->host = NULL;
    free(st->events);
    free(st->issued);
    free(st->launches);
    free(st);
    rt->backend_state = NULL;
}

static cosma_status_t cuda_read(cosma_runtime_t *rt, uint64_t offset, uint64_t bytes, void *dst, cosma_diag_t *diag)
{
    CUDA_TRY(cudaMemcpy(dst, rt->arena + offset, bytes, cudaMemcpyDeviceToHost), NULL);
    return COSMA_OK;
}

/* One run: replay the graph, or issue; check_all issues serially and
 * synchronises before every kernel to compare its operands. */
static cosma_status_t cuda_execute(cosma_runtime_t *rt, cuda_state_t *st, cosma_diag_t *diag)
{
    int checked = rt->options.check_all;
    if (!checked && rt->options.mode == COSMA_RUN_GRAPH) {
        CUDA_TRY(cudaGraphLaunch(st->exec, st->lane[RT_LANE_UP]), NULL);
        CUDA_TRY(cudaStreamSynchronize(st->lane[RT_LANE_UP]), NULL);
        return COSMA_OK;
    }
    cosma_status_t status = issue(rt, st, checked || rt->options.mode == COSMA_RUN_SERIAL, checked, diag);
    if (status == COSMA_OK)
        status = sync_lanes(rt, st, diag);
    return status;
}

/* Before a run is timed or profiled: after set_kernel, count the registered
 * kernels' launches (the captured run is stale then); in graph mode, capture
 * the run if it is not captured (open captures it in graph mode only). */
static cosma_status_t refresh(cosma_runtime_t *rt, cuda_state_t *st, cosma_diag_t *diag)
{
    if (st->kernels_version != rt->kernels_version) {
        probe_registered(rt, st);
        st->kernels_version = rt->kernels_version;
        drop_graph(st);
    }
    if (rt->options.mode != COSMA_RUN_GRAPH || st->exec != NULL)
        return COSMA_OK;
    return capture(rt, st, diag);
}

static cosma_status_t cuda_run(cosma_runtime_t *rt, cosma_diag_t *diag)
{
    cuda_state_t *st = rt->backend_state;
    CUDA_TRY(cudaSetDevice(st->device), NULL);
    cosma_status_t refreshed = refresh(rt, st, diag);
    if (refreshed != COSMA_OK)
        return refreshed;
    char source[160] = "runtime counters (CUPTI off for this run)";
#ifdef COSMA_HAVE_CUPTI
    uint64_t t0 = 0;
    /* --check-all reads the scratchpad back, which the driver would count. */
    if (rt->options.profile && rt->options.check_all)
        snprintf(source, sizeof source, "runtime counters (CUPTI off: --check-all reads operands back)");
    int profiling = rt->options.profile && !rt->options.check_all && cupti_start(&t0, source, sizeof source);
#else
    if (rt->options.profile)
        snprintf(source, sizeof source, "runtime counters (built without CUPTI)");
#endif
    double start = rt_clock_seconds();
    cosma_status_t status = cuda_execute(rt, st, diag);
    double end = rt_clock_seconds();
#ifdef COSMA_HAVE_CUPTI
    if (profiling) {
        cudaDeviceSynchronize();
        cupti_stop();
        pthread_mutex_lock(&collector.lock);
        if (collector.failed) {
            trace_from_counters(rt, st, "runtime counters (out of memory for CUPTI records)");
        } else {
            match_records(rt, st, t0);
            rt->trace.from_cupti = 1;
            snprintf(rt->trace.source, sizeof rt->trace.source, "CUPTI activity records (%zu)", collector.n);
        }
        pthread_mutex_unlock(&collector.lock);
    } else
#endif
        trace_from_counters(rt, st, source);
    if (status != COSMA_OK)
        return status;
    for (int32_t n = 0; n < rt->deps.n_nodes; n++) {
        rt_node_kind_t kind = rt->deps.nodes[n].kind;
        if (kind == RT_NODE_LOAD && st->issued[n] > 0) {
            rt->stats.h2d_bytes += st->issued[n];
            rt->stats.n_h2d++;
        } else if (kind == RT_NODE_SPILL || kind == RT_NODE_STORE) {
            rt->stats.d2h_bytes += st->issued[n];
            rt->stats.n_d2h++;
        } else if (kind == RT_NODE_RUN) {
            rt->stats.n_kernels++;
        }
    }
    rt->stats.wall_seconds = rt->trace.wall_seconds = end - start;
    rt->trace.valid = 1;
    return COSMA_OK;
}

int rt_cuda_devices(void)
{
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

const rt_backend_t rt_backend_cuda = {cuda_open, cuda_close, cuda_run, cuda_read};
