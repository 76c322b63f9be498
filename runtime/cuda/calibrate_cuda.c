/* calibrate_cuda.c: measures the cost model on a GPU: pinned copies of
 * 4 KiB..64 MiB each way on one stream (latency from the smallest,
 * bandwidth from the largest), both ways at once on two streams (the
 * duplex slowdown), and a chain of small copies that alternate between two
 * streams through events against the same chain on one stream (the cost of
 * one cross-stream dependency), and empty kernels back to back (the gap an
 * operator costs beyond its kernels' own time). */
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

typedef struct {
    unsigned char *device, *host_in, *host_out;
    cudaStream_t a, b;
    cudaEvent_t start, stop, *chain;
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

/* Per copy of the largest size with both directions busy at once. */
static cosma_status_t time_duplex(cal_t *c, double *out_seconds, cosma_diag_t *diag)
{
    unsigned char *device_b = c->device + CAL_MAX_BYTES;
    CAL_TRY(cudaDeviceSynchronize());
    double t0 = rt_clock_seconds();
    for (int r = 0; r < CAL_REPEAT; r++) {
        CAL_TRY(cudaMemcpyAsync(c->device, c->host_in, CAL_MAX_BYTES, cudaMemcpyHostToDevice, c->a));
        CAL_TRY(cudaMemcpyAsync(c->host_out, device_b, CAL_MAX_BYTES, cudaMemcpyDeviceToHost, c->b));
    }
    CAL_TRY(cudaDeviceSynchronize());
    *out_seconds = (rt_clock_seconds() - t0) / CAL_REPEAT;
    return COSMA_OK;
}

/* A chain of small copies; alternate: every copy waits for the previous
 * one on the other stream. */
static cosma_status_t time_chain(cal_t *c, int alternate, double *out_seconds, cosma_diag_t *diag)
{
    CAL_TRY(cudaDeviceSynchronize());
    double t0 = rt_clock_seconds();
    for (int k = 0; k < CAL_CHAIN; k++) {
        cudaStream_t s = alternate && k % 2 == 1 ? c->b : c->a;
        if (alternate && k > 0)
            CAL_TRY(cudaStreamWaitEvent(s, c->chain[k - 1], 0));
        if (k % 2 == 0)
            CAL_TRY(cudaMemcpyAsync(c->device, c->host_in, CAL_MIN_BYTES, cudaMemcpyHostToDevice, s));
        else
            CAL_TRY(cudaMemcpyAsync(c->host_out, c->device, CAL_MIN_BYTES, cudaMemcpyDeviceToHost, s));
        CAL_TRY(cudaEventRecord(c->chain[k], s));
    }
    CAL_TRY(cudaDeviceSynchronize());
    *out_seconds = rt_clock_seconds() - t0;
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

static cosma_status_t measure(cal_t *c, cosma_cost_model_t *m, cosma_diag_t *diag)
{
    double small[2], big[2], duplex = 0, one = 0, two = 0, warm = 0, gap = 0, launch = 0;
    cosma_status_t status = time_copies(c, CAL_MAX_BYTES, 1, &warm, diag); /* wakes the link */
    for (int d = 0; d < 2 && status == COSMA_OK; d++) {
        if ((status = time_copies(c, CAL_MIN_BYTES, d == 0, &small[d], diag)) == COSMA_OK)
            status = time_copies(c, CAL_MAX_BYTES, d == 0, &big[d], diag);
    }
    if (status == COSMA_OK && (status = time_duplex(c, &duplex, diag)) == COSMA_OK &&
        (status = time_chain(c, 0, &one, diag)) == COSMA_OK && (status = time_chain(c, 1, &two, diag)) == COSMA_OK)
        status = time_kernels(c, &launch, &gap, diag);
    if (status != COSMA_OK)
        return status;
    double latency[2], bandwidth[2];
    for (int d = 0; d < 2; d++) {
        /* Two equations, t = latency + bytes / bandwidth, two unknowns. */
        bandwidth[d] = (double)(CAL_MAX_BYTES - CAL_MIN_BYTES) / fmax(big[d] - small[d], 1e-12);
        latency[d] = fmax(0.0, small[d] - CAL_MIN_BYTES / bandwidth[d]);
    }
    snprintf(m->backend, sizeof m->backend, "cuda");
    m->h2d_latency_seconds = latency[0];
    m->h2d_bytes_per_second = bandwidth[0];
    m->d2h_latency_seconds = latency[1];
    m->d2h_bytes_per_second = bandwidth[1];
    m->duplex_slowdown = fmax(1.0, duplex / fmax(big[0], big[1]));
    m->dependency_seconds = fmax(0.0, (two - one) / CAL_CHAIN);
    m->kernel_gap_seconds = gap;
    m->launch_seconds = launch;
    return COSMA_OK;
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
