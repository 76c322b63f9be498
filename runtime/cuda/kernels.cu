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

/* Up to OPERANDS_PER_LAUNCH inputs or outputs per launch, passed by value;
 * blockIdx.y picks the operand, so most operators cost two launches. */
#define OPERANDS_PER_LAUNCH RT_OPERANDS_PER_LAUNCH

typedef struct {
    unsigned char *ptr[OPERANDS_PER_LAUNCH];
    uint64_t bytes[OPERANDS_PER_LAUNCH];
    int32_t index[OPERANDS_PER_LAUNCH]; /* the operand's position in the operator */
} operand_batch_t;

static __global__ void digest_inputs(operand_batch_t batch, int32_t slot)
{
    const unsigned char *in = batch.ptr[blockIdx.y];
    uint64_t bytes = batch.bytes[blockIdx.y], k = (uint64_t)batch.index[blockIdx.y];
    unsigned long long sum = 0;
    for (uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; j < bytes; j += (uint64_t)gridDim.x * blockDim.x)
        sum += rt_mix_input_byte(k, j, in[j]);
    for (int delta = 16; delta > 0; delta /= 2)
        sum += __shfl_down_sync(0xffffffffu, sum, delta);
    if ((threadIdx.x & 31) == 0 && sum != 0)
        atomicAdd(&rt_digests[slot], sum);
}

static __global__ void write_outputs(operand_batch_t batch, uint64_t seed, int32_t slot)
{
    unsigned char *out = batch.ptr[blockIdx.y];
    uint64_t bytes = batch.bytes[blockIdx.y];
    uint64_t base = rt_mix_output_base(seed + rt_digests[slot], batch.index[blockIdx.y]);
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

/* Busy for ns nanoseconds of the device's global timer. */
static __global__ void spin_kernel(long long ns)
{
    long long start, now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
    while (now - start < ns);
}

extern "C" cudaError_t rt_cuda_spin_kernel(cudaStream_t stream, long long ns)
{
    spin_kernel<<<1, 32, 0, stream>>>(ns);
    return cudaGetLastError();
}

extern "C" cudaError_t rt_cuda_reset_digests(cudaStream_t stream, int32_t n_steps)
{
    reset_digests<<<blocks_for((uint64_t)n_steps), THREADS, 0, stream>>>(n_steps);
    return cudaGetLastError();
}

/* Calls fn(batch, count) for the non-empty operands in batches. */
typedef cudaError_t (*batch_fn_t)(const operand_batch_t *batch, int32_t count, uint64_t most, const void *ctx);

static cudaError_t for_batches(void *const *ptrs, const uint64_t *bytes, int32_t n, batch_fn_t fn, const void *ctx)
{
    operand_batch_t batch;
    int32_t count = 0;
    uint64_t most = 0;
    for (int32_t k = 0; k < n; k++) {
        if (ptrs[k] == NULL || bytes[k] == 0)
            continue;
        batch.ptr[count] = (unsigned char *)ptrs[k];
        batch.bytes[count] = bytes[k];
        batch.index[count] = k;
        most = bytes[k] > most ? bytes[k] : most;
        if (++count == OPERANDS_PER_LAUNCH) {
            cudaError_t error = fn(&batch, count, most, ctx);
            if (error != cudaSuccess)
                return error;
            count = 0;
            most = 0;
        }
    }
    return count > 0 ? fn(&batch, count, most, ctx) : cudaSuccess;
}

static int32_t count_batches(void *const *ptrs, const uint64_t *bytes, int32_t n)
{
    int32_t nonempty = 0;
    for (int32_t k = 0; k < n; k++)
        nonempty += ptrs[k] != NULL && bytes[k] > 0;
    return (nonempty + OPERANDS_PER_LAUNCH - 1) / OPERANDS_PER_LAUNCH;
}

extern "C" int32_t rt_cuda_default_launches(const cosma_kernel_args_t *args)
{
    return count_batches((void *const *)args->inputs, args->input_bytes, args->n_inputs) +
           count_batches(args->outputs, args->output_bytes, args->n_outputs);
}

static cudaError_t launch_digest(const operand_batch_t *batch, int32_t count, uint64_t most, const void *ctx)
{
    const cosma_kernel_args_t *args = (const cosma_kernel_args_t *)ctx;
    dim3 grid(blocks_for(most), (unsigned)count);
    digest_inputs<<<grid, THREADS, 0, (cudaStream_t)args->stream>>>(*batch, args->step - 1);
    return cudaGetLastError();
}

static cudaError_t launch_write(const operand_batch_t *batch, int32_t count, uint64_t most, const void *ctx)
{
    const cosma_kernel_args_t *args = (const cosma_kernel_args_t *)ctx;
    dim3 grid(blocks_for(most), (unsigned)count);
    write_outputs<<<grid, THREADS, 0, (cudaStream_t)args->stream>>>(*batch, rt_mix_seed(args->op), args->step - 1);
    return cudaGetLastError();
}

extern "C" cudaError_t rt_cuda_default_kernel(const cosma_kernel_args_t *args)
{
    cudaError_t error = for_batches((void *const *)args->inputs, args->input_bytes, args->n_inputs, launch_digest, args);
    return error != cudaSuccess ? error : for_batches(args->outputs, args->output_bytes, args->n_outputs, launch_write, args);
}
