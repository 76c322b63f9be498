/* kernel.c: the kernel table, operand pointers for a run, the default
 * integrity kernel on the host and the seeded fill of unbound tensors.
 * runtime/cuda/kernels.cu computes the same bytes on the device. */
#include <string.h>

#include "runtime_internal.h"

cosma_status_t cosma_kernel_default_host(const cosma_kernel_args_t *args, void *user)
{
    (void)user;
    uint64_t digest = rt_mix_seed(args->op);
    for (int32_t k = 0; k < args->n_inputs; k++) {
        const unsigned char *in = args->inputs[k];
        if (in == NULL)
            continue;
        for (uint64_t j = 0; j < args->input_bytes[k]; j++)
            digest += rt_mix_input_byte((uint64_t)k, j, in[j]);
    }
    for (int32_t o = 0; o < args->n_outputs; o++) {
        unsigned char *out = args->outputs[o];
        uint64_t base = rt_mix_output_base(digest, o);
        for (uint64_t j = 0; j < args->output_bytes[o]; j++)
            out[j] = rt_mix_output_byte(base, j);
    }
    return COSMA_OK;
}

void rt_fill_random(unsigned char *data, uint64_t bytes, uint64_t seed, int32_t tensor)
{
    uint64_t base = rt_mix64(seed ^ (RT_MIX_GOLDEN * (uint64_t)(tensor + 1)));
    uint64_t j = 0;
    for (; j + 8 <= bytes; j += 8) {
        uint64_t word = rt_mix64(base + j);
        memcpy(data + j, &word, 8);
    }
    uint64_t word = rt_mix64(base + j);
    for (; j < bytes; j++, word >>= 8)
        data[j] = (unsigned char)word;
}

const rt_kernel_entry_t *rt_kernel_of(const cosma_runtime_t *rt, int32_t op)
{
    const char *type = rt->graph->ops[op].type;
    if (type == NULL)
        return NULL;
    for (int k = 0; k < rt->n_kernels; k++)
        if (strcmp(rt->kernels[k].type, type) == 0)
            return &rt->kernels[k];
    return NULL;
}

void rt_kernel_args(const cosma_runtime_t *rt, const cosma_event_t *run, unsigned char *arena, void **ptrs,
                    uint64_t *sizes, cosma_kernel_args_t *out_args)
{
    const cosma_operand_t *ops = &rt->schedule->operands[run->operands];
    int32_t n = run->n_inputs + run->n_outputs;
    for (int32_t k = 0; k < n; k++) {
        int32_t tensor = ops[k].tensor;
        if (tensor < 0) {
            ptrs[k] = NULL;
            sizes[k] = 0;
        } else if (ops[k].offset != COSMA_OFFSET_NONE) {
            ptrs[k] = arena + ops[k].offset;
            sizes[k] = rt->bytes[tensor];
        } else {
            ptrs[k] = rt->host + rt->host_offset[tensor];
            sizes[k] = rt->bytes[tensor];
        }
    }
    memset(out_args, 0, sizeof *out_args);
    out_args->graph = rt->graph;
    out_args->op = run->op;
    out_args->step = run->step;
    out_args->n_inputs = run->n_inputs;
    out_args->n_outputs = run->n_outputs;
    out_args->inputs = (const void *const *)ptrs;
    out_args->input_bytes = sizes;
    out_args->outputs = ptrs + run->n_inputs;
    out_args->output_bytes = sizes + run->n_inputs;
}
