/* cuda_backend.h: what the cuda backend's C side (backend_cuda.c) and its
 * kernels (kernels.cu) share. */
#ifndef COSMA_CUDA_BACKEND_H
#define COSMA_CUDA_BACKEND_H

#include <cuda_runtime_api.h>

#include "runtime_internal.h"

#define RT_CUDA_MAX_STEPS (1 << 16) /* digest slots of the default kernel */

#ifdef __cplusplus
extern "C" {
#endif

/* Launches count empty kernels (calibration of the kernel gap). */
cudaError_t rt_cuda_empty_kernels(cudaStream_t stream, int32_t count);
/* One kernel that stays busy for ns nanoseconds (calibration chains). */
cudaError_t rt_cuda_spin_kernel(cudaStream_t stream, long long ns);
/* Zeroes the digest slots of steps 1..n_steps. */
cudaError_t rt_cuda_reset_digests(cudaStream_t stream, int32_t n_steps);
/* Enqueues the default kernel of one operator on args->stream. */
cudaError_t rt_cuda_default_kernel(const cosma_kernel_args_t *args);
/* How many kernel launches rt_cuda_default_kernel makes for args. */
int32_t rt_cuda_default_launches(const cosma_kernel_args_t *args);

#ifdef __cplusplus
}
#endif

#endif /* COSMA_CUDA_BACKEND_H */
