/* kernels.cu: the default integrity kernel on the device, the same bytes
 * as cosma_kernel_default_host (runtime/kernel.c): each operator's digest
 * is its seed plus the mix of every input byte (a sum, so the order in
 * which threads add is irrelevant), and output byte j is a mix of the
 * digest, the output's position and j.  The digests live in a table of
 * static device memory, one slot per step, so the runtime's only
 * cudaMalloc stays the arena. */
#include <cuda_runtime.h>

#include "cuda_backend.h"

#define THREADS 256
#define MAX_BLOCKS 2048

__device__ unsigned long long rt_digests[RT_CUDA_MAX_STEPS];

static __global__ void reset_digests(int32_t n)
{
    for (int32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        rt_digests[i] = 0;
}

static __global__ void digest_input(const unsigned char *in, uint64_t bytes, uint64_t k, int32_t slot)
{
    unsigned long long sum = 0;
    for (uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; j < bytes; j += (uint64_t)gridDim.x * blockDim.x)
        sum += rt_mix_input_byte(k, j, in[j]);
    for (int delta = 16; delta > 0; delta /= 2)
        sum += __shfl_down_sync(0xffffffffu, sum, delta);
    if ((threadIdx.x & 31) == 0)
        atomicAdd(&rt_digests[slot], sum);
}

static __global__ void write_output(unsigned char *out, uint64_t bytes, uint64_t seed, int32_t o, int32_t slot)
{
    uint64_t base = rt_mix_output_base(seed + rt_digests[slot], o);
    for (uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; j < bytes; j += (uint64_t)gridDim.x * blockDim.x)
        out[j] = rt_mix_output_byte(base, j);
}

static unsigned blocks_for(uint64_t bytes)
{
    uint64_t blocks = (bytes + THREADS - 1) / THREADS;
    return (unsigned)(blocks < MAX_BLOCKS ? (blocks > 0 ? blocks : 1) : MAX_BLOCKS);
}

static __global__ void empty_kernel(void) {}

extern "C" cudaError_t rt_cuda_empty_kernels(cudaStream_t stream, int32_t count)
{
    for (int32_t k = 0; k < count; k++)
        empty_kernel<<<1, 32, 0, stream>>>();
    return cudaGetLastError();
}

extern "C" cudaError_t rt_cuda_reset_digests(cudaStream_t stream, int32_t n_steps)
{
    reset_digests<<<blocks_for((uint64_t)n_steps), THREADS, 0, stream>>>(n_steps);
    return cudaGetLastError();
}

extern "C" int32_t rt_cuda_default_launches(const cosma_kernel_args_t *args)
{
    int32_t n = 0;
    for (int32_t k = 0; k < args->n_inputs; k++)
        n += args->inputs[k] != NULL && args->input_bytes[k] > 0;
    for (int32_t o = 0; o < args->n_outputs; o++)
        n += args->output_bytes[o] > 0;
    return n;
}

extern "C" cudaError_t rt_cuda_default_kernel(const cosma_kernel_args_t *args)
{
    cudaStream_t stream = (cudaStream_t)args->stream;
    int32_t slot = args->step - 1;
    for (int32_t k = 0; k < args->n_inputs; k++) {
        if (args->inputs[k] == NULL || args->input_bytes[k] == 0)
            continue;
        digest_input<<<blocks_for(args->input_bytes[k]), THREADS, 0, stream>>>(
            (const unsigned char *)args->inputs[k], args->input_bytes[k], (uint64_t)k, slot);
        cudaError_t error = cudaGetLastError();
        if (error != cudaSuccess)
            return error;
    }
    uint64_t seed = rt_mix_seed(args->op);
    for (int32_t o = 0; o < args->n_outputs; o++) {
        if (args->output_bytes[o] == 0)
            continue;
        write_output<<<blocks_for(args->output_bytes[o]), THREADS, 0, stream>>>(
            (unsigned char *)args->outputs[o], args->output_bytes[o], seed, o, slot);
        cudaError_t error = cudaGetLastError();
        if (error != cudaSuccess)
            return error;
    }
    return cudaSuccess;
}
