/* calibrate_cuda.c: measures the cost model on a GPU: pinned copies of
 * 4 KiB and 64 MiB each way on one stream (the line latency + bytes /
 * bandwidth), each direction while the other one streams (its duplex
 * slowdown), empty kernels back to back (the gap an operator costs beyond
 * its kernels' own time, and the host's launch cost), and chains of
 * kernels captured in CUDA graphs whose kernels wait on another stream,
 * are waited for, or alternate with copies (what a cross-lane dependency
 * costs).  Each figure is defined so that the simulation of cost.c,
 * given the figures, reproduces the chain it was measured on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_backend.h"

#define CAL_MAX_BYTES (64u << 20)
#define CAL_MIN_BYTES (4u << 10)
#define CAL_REPEAT 20
#define CAL_CHAIN 200
#define CAL_KERNELS 1000
#define CAL_DUPLEX_BYTES (4u << 20) /* the size of a typical large plan copy */
#define CAL_DUPLEX_COPIES 20        /* measured direction; the other runs 3x as many */
#define CAL_SPIN_NS 20000           /* kernels of the dependency chains */
#define CAL_TINY_BYTES 256
#define CAL_PING_BYTES CAL_MIN_BYTES
#define CAL_LINKS (CAL_CHAIN / 2) /* kernels per dependency chain */
#define CAL_REPLAYS 3

typedef struct {
    unsigned char *device, *host_in, *host_out;
    cudaStream_t a, b;
    cudaEvent_t start, stop, fork, join, *chain;
} cal_t;

#define CAL_TRY(call)                                                                                                  \
    do {                                                                                                               \
        cudaError_t cal_error_ = (call);                                                                               \
        if (cal_error_ != cudaSuccess) {                                                                               \
            cosma_diag_report(diag, COSMA_SEV_ERROR, "calibrate: %s failed: %s", #call,                               \
                              cudaGetErrorString(cal_error_));                                                         \
            return COSMA_ERR_INTERNAL;                                                                                 \
        }                                                                                                              \
    } while (0)

/* Seconds per copy of bytes in one direction, repeated back to back. */
static cosma_status_t time_copies(cal_t *c, size_t bytes, int to_device, double *out_seconds, cosma_diag_t *diag)
{
    CAL_TRY(cudaEventRecord(c->start, c->a));
    for (int r = 0; r < CAL_REPEAT; r++) {
        if (to_device)
            CAL_TRY(cudaMemcpyAsync(c->device, c->host_in, bytes, cudaMemcpyHostToDevice, c->a));
        else
            CAL_TRY(cudaMemcpyAsync(c->host_out, c->device, bytes, cudaMemcpyDeviceToHost, c->a));
    }
    CAL_TRY(cudaEventRecord(c->stop, c->a));
    CAL_TRY(cudaEventSynchronize(c->stop));
    float ms = 0;
    CAL_TRY(cudaEventElapsedTime(&ms, c->start, c->stop));
    *out_seconds = 1e-3 * ms / CAL_REPEAT;
    return COSMA_OK;
}

static cudaError_t copy_on(cal_t *c, unsigned char *device, size_t bytes, int to_device, cudaStream_t s)
{
    return to_device ? cudaMemcpyAsync(device, c->host_in, bytes, cudaMemcpyHostToDevice, s)
                     : cudaMemcpyAsync(c->host_out, device, bytes, cudaMemcpyDeviceToHost, s);
}

/* Seconds per copy of CAL_DUPLEX_BYTES in one direction while the other
 * direction copies three times the volume on a second stream, so that
 * every measured copy overlaps. */
static cosma_status_t time_duplex(cal_t *c, int to_device, double *out_seconds, cosma_diag_t *diag)
{
    unsigned char *device_b = c->device + CAL_MAX_BYTES;
    CAL_TRY(cudaDeviceSynchronize());
    for (int r = 0; r < 3 * CAL_DUPLEX_COPIES; r++)
        CAL_TRY(copy_on(c, device_b, CAL_DUPLEX_BYTES, !to_device, c->b));
    CAL_TRY(cudaEventRecord(c->start, c->a));
    for (int r = 0; r < CAL_DUPLEX_COPIES; r++)
        CAL_TRY(copy_on(c, c->device, CAL_DUPLEX_BYTES, to_device, c->a));
    CAL_TRY(cudaEventRecord(c->stop, c->a));
    CAL_TRY(cudaDeviceSynchronize());
    float ms = 0;
    CAL_TRY(cudaEventElapsedTime(&ms, c->start, c->stop));
    *out_seconds = 1e-3 * ms / CAL_DUPLEX_COPIES;
    return COSMA_OK;
}

/* The dependency chains, each CAL_LINKS kernels of CAL_SPIN_NS on stream a
 * (b is the other lane):
 *   NONE         kernels back to back;
 *   WAIT         kernel i also waits for a tiny copy i on b, issued first
 *                (done long before: the wait is satisfied);
 *   WAIT_SIGNAL  as WAIT, and a tiny copy on b waits for each kernel;
 *   PING_PONG    copy i on b, then kernel i waiting for it, then copy i+1
 *                waiting for kernel i: every dependency is on the path. */
typedef enum { CHAIN_NONE, CHAIN_WAIT, CHAIN_WAIT_SIGNAL, CHAIN_PING_PONG } chain_t;

static cudaError_t issue_chain(cal_t *c, chain_t chain)
{
    cudaEvent_t *in = c->chain, *out = c->chain + CAL_LINKS;
    cudaError_t e = cudaEventRecord(c->fork, c->a);
    if (e == cudaSuccess)
        e = cudaStreamWaitEvent(c->b, c->fork, 0);
    for (int k = 0; k < CAL_LINKS && e == cudaSuccess && (chain == CHAIN_WAIT || chain == CHAIN_WAIT_SIGNAL); k++)
        if ((e = copy_on(c, c->device + (size_t)k * CAL_MIN_BYTES, CAL_TINY_BYTES, 1, c->b)) == cudaSuccess)
            e = cudaEventRecord(in[k], c->b);
    for (int k = 0; k < CAL_LINKS && e == cudaSuccess; k++) {
        if (chain == CHAIN_PING_PONG) {
            if (k > 0)
                e = cudaStreamWaitEvent(c->b, out[k - 1], 0);
            if (e == cudaSuccess && (e = copy_on(c, c->device, CAL_PING_BYTES, 1, c->b)) == cudaSuccess)
                e = cudaEventRecord(in[k], c->b);
        }
        if (e == cudaSuccess && chain != CHAIN_NONE)
            e = cudaStreamWaitEvent(c->a, in[k], 0);
        if (e == cudaSuccess)
            e = rt_cuda_spin_kernel(c->a, CAL_SPIN_NS);
        if (e == cudaSuccess && (chain == CHAIN_WAIT_SIGNAL || chain == CHAIN_PING_PONG))
            e = cudaEventRecord(out[k], c->a);
        if (e == cudaSuccess && chain == CHAIN_WAIT_SIGNAL && (e = cudaStreamWaitEvent(c->b, out[k], 0)) == cudaSuccess)
            e = copy_on(c, c->device + CAL_MAX_BYTES, CAL_TINY_BYTES, 1, c->b);
    }
    if (e == cudaSuccess)
        e = cudaEventRecord(c->join, c->b);
    if (e == cudaSuccess)
        e = cudaStreamWaitEvent(c->a, c->join, 0);
    return e;
}

/* Seconds per kernel of a chain captured as one CUDA graph and replayed
 * (the best of CAL_REPLAYS after one that uploads the graph). */
static cosma_status_t time_chain(cal_t *c, chain_t chain, double *out_seconds, cosma_diag_t *diag)
{
    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    CAL_TRY(cudaStreamBeginCapture(c->a, cudaStreamCaptureModeThreadLocal));
    cudaError_t issued = issue_chain(c, chain);
    cudaError_t ended = cudaStreamEndCapture(c->a, &graph);
    CAL_TRY(issued);
    CAL_TRY(ended);
    cudaError_t error = cudaGraphInstantiate(&exec, graph, 0);
    double best = INFINITY;
    for (int r = 0; r <= CAL_REPLAYS && error == cudaSuccess; r++) {
        float ms = 0;
        if ((error = cudaEventRecord(c->start, c->a)) == cudaSuccess &&
            (error = cudaGraphLaunch(exec, c->a)) == cudaSuccess &&
            (error = cudaEventRecord(c->stop, c->a)) == cudaSuccess &&
            (error = cudaEventSynchronize(c->stop)) == cudaSuccess &&
            (error = cudaEventElapsedTime(&ms, c->start, c->stop)) == cudaSuccess && r > 0)
            best = fmin(best, 1e-3 * ms / CAL_LINKS);
    }
    if (exec != NULL)
        cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    CAL_TRY(error);
    *out_seconds = best;
    return COSMA_OK;
}

/* Per kernel of empty kernels back to back: issued from the host
 * (launch cost) and replayed from a captured graph (the device's gap). */
static cosma_status_t time_kernels(cal_t *c, double *out_launch, double *out_gap, cosma_diag_t *diag)
{
    CAL_TRY(rt_cuda_empty_kernels(c->a, CAL_KERNELS)); /* warm-up */
    CAL_TRY(cudaDeviceSynchronize());
    double t0 = rt_clock_seconds();
    CAL_TRY(rt_cuda_empty_kernels(c->a, CAL_KERNELS));
    CAL_TRY(cudaStreamSynchronize(c->a));
    *out_launch = (rt_clock_seconds() - t0) / CAL_KERNELS;
    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    CAL_TRY(cudaStreamBeginCapture(c->a, cudaStreamCaptureModeThreadLocal));
    cudaError_t launched = rt_cuda_empty_kernels(c->a, CAL_KERNELS);
    CAL_TRY(cudaStreamEndCapture(c->a, &graph));
    CAL_TRY(launched);
    cudaError_t error = cudaGraphInstantiate(&exec, graph, 0);
    float ms = 0;
    for (int r = 0; r < 2 && error == cudaSuccess; r++) { /* the first replay uploads the graph */
        if ((error = cudaEventRecord(c->start, c->a)) == cudaSuccess &&
            (error = cudaGraphLaunch(exec, c->a)) == cudaSuccess &&
            (error = cudaEventRecord(c->stop, c->a)) == cudaSuccess &&
            (error = cudaEventSynchronize(c->stop)) == cudaSuccess)
            error = cudaEventElapsedTime(&ms, c->start, c->stop);
    }
    if (exec != NULL)
        cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    CAL_TRY(error);
    *out_gap = 1e-3 * ms / CAL_KERNELS;
    return COSMA_OK;
}

static cosma_status_t measure_copies(cal_t *c, cosma_cost_model_t *m, cosma_diag_t *diag)
{
    double small[2], big[2], alone[2], duplex[2], warm = 0;
    cosma_status_t status = time_copies(c, CAL_MAX_BYTES, 1, &warm, diag); /* wakes the link */
    for (int d = 0; d < 2 && status == COSMA_OK; d++)
        if ((status = time_copies(c, CAL_MIN_BYTES, d == 0, &small[d], diag)) == COSMA_OK &&
            (status = time_copies(c, CAL_MAX_BYTES, d == 0, &big[d], diag)) == COSMA_OK &&
            (status = time_copies(c, CAL_DUPLEX_BYTES, d == 0, &alone[d], diag)) == COSMA_OK)
            status = time_duplex(c, d == 0, &duplex[d], diag);
    if (status != COSMA_OK)
        return status;
    double latency[2], bandwidth[2];
    for (int d = 0; d < 2; d++) {
        /* Two equations, t = latency + bytes / bandwidth, two unknowns. */
        bandwidth[d] = (double)(CAL_MAX_BYTES - CAL_MIN_BYTES) / fmax(big[d] - small[d], 1e-12);
        latency[d] = fmax(0.0, small[d] - CAL_MIN_BYTES / bandwidth[d]);
    }
    m->h2d_latency_seconds = latency[0];
    m->h2d_bytes_per_second = bandwidth[0];
    m->d2h_latency_seconds = latency[1];
    m->d2h_bytes_per_second = bandwidth[1];
    /* The simulation slows only the bytes, not the latency. */
    for (int d = 0; d < 2; d++) {
        double bytes_time = alone[d] - latency[d];
        double slowdown = fmax(1.0, (duplex[d] - latency[d]) / fmax(bytes_time, 1e-12));
        *(d == 0 ? &m->h2d_duplex_slowdown : &m->d2h_duplex_slowdown) = slowdown;
    }
    return COSMA_OK;
}

/* The chains' differences, in the simulation's terms: a kernel that waits
 * costs wait more, one that is also waited for signal more again, and a
 * ping-pong link is a copy, a kernel that waits and signals, and two
 * dependency latencies. */
static cosma_status_t measure_dependencies(cal_t *c, cosma_cost_model_t *m, cosma_diag_t *diag)
{
    double none = 0, wait = 0, signal = 0, ping = 0;
    cosma_status_t status = time_chain(c, CHAIN_NONE, &none, diag);
    if (status == COSMA_OK && (status = time_chain(c, CHAIN_WAIT, &wait, diag)) == COSMA_OK &&
        (status = time_chain(c, CHAIN_WAIT_SIGNAL, &signal, diag)) == COSMA_OK)
        status = time_chain(c, CHAIN_PING_PONG, &ping, diag);
    if (status != COSMA_OK)
        return status;
    m->wait_seconds = fmax(0.0, wait - none);
    m->signal_seconds = fmax(0.0, signal - wait);
    double copy = m->h2d_latency_seconds + CAL_PING_BYTES / m->h2d_bytes_per_second;
    m->dependency_seconds = fmax(0.0, (ping - copy - none - m->wait_seconds - m->signal_seconds) / 2);
    return COSMA_OK;
}

static cosma_status_t measure(cal_t *c, cosma_cost_model_t *m, cosma_diag_t *diag)
{
    snprintf(m->backend, sizeof m->backend, "cuda");
    cosma_status_t status = measure_copies(c, m, diag);
    if (status == COSMA_OK)
        status = time_kernels(c, &m->launch_seconds, &m->kernel_gap_seconds, diag);
    if (status == COSMA_OK)
        status = measure_dependencies(c, m, diag);
    return status;
}

static void release(cal_t *c)
{
    if (c->chain != NULL)
        for (int k = 0; k < CAL_CHAIN; k++)
            if (c->chain[k] != NULL)
                cudaEventDestroy(c->chain[k]);
    free(c->chain);
    if (c->start != NULL)
        cudaEventDestroy(c->start);
    if (c->stop != NULL)
        cudaEventDestroy(c->stop);
    if (c->fork != NULL)
        cudaEventDestroy(c->fork);
    if (c->join != NULL)
        cudaEventDestroy(c->join);
    if (c->a != NULL)
        cudaStreamDestroy(c->a);
    if (c->b != NULL)
        cudaStreamDestroy(c->b);
    cudaFree(c->device);
    cudaFreeHost(c->host_in);
    cudaFreeHost(c->host_out);
}

static cosma_status_t setup(cal_t *c, int device, cosma_diag_t *diag)
{
    CAL_TRY(cudaSetDevice(device));
    CAL_TRY(cudaMalloc((void **)&c->device, 2 * (size_t)CAL_MAX_BYTES));
    CAL_TRY(cudaHostAlloc((void **)&c->host_in, CAL_MAX_BYTES, cudaHostAllocPortable));
    CAL_TRY(cudaHostAlloc((void **)&c->host_out, CAL_MAX_BYTES, cudaHostAllocPortable));
    memset(c->host_in, 1, CAL_MAX_BYTES);
    CAL_TRY(cudaStreamCreateWithFlags(&c->a, cudaStreamNonBlocking));
    CAL_TRY(cudaStreamCreateWithFlags(&c->b, cudaStreamNonBlocking));
    CAL_TRY(cudaEventCreate(&c->start));
    CAL_TRY(cudaEventCreate(&c->stop));
    CAL_TRY(cudaEventCreateWithFlags(&c->fork, cudaEventDisableTiming));
    CAL_TRY(cudaEventCreateWithFlags(&c->join, cudaEventDisableTiming));
    c->chain = calloc(CAL_CHAIN, sizeof(cudaEvent_t));
    if (c->chain == NULL)
        return COSMA_ERR_NOMEM;
    for (int k = 0; k < CAL_CHAIN; k++)
        CAL_TRY(cudaEventCreateWithFlags(&c->chain[k], cudaEventDisableTiming));
    return COSMA_OK;
}

cosma_status_t rt_cuda_calibrate(int device, cosma_cost_model_t *out_model, cosma_diag_t *diag)
{
    cal_t c;
    memset(&c, 0, sizeof c);
    cosma_status_t status = setup(&c, device, diag);
    if (status == COSMA_OK)
        status = measure(&c, out_model, diag);
    release(&c);
    return status;
}
