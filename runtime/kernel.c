/* kernel.c: the kernel table, operand pointers for a run, the default
 * integrity kernel on the host and the seeded fill of unbound tensors.
 * runtime/cuda/kernels.cu computes the same bytes on the device. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "runtime_internal.h"

/* Large operands are split over threads: the digest is a sum, so chunks
 * add up in any order, and output bytes depend only on their position. */
#define PARALLEL_MIN_BYTES (1u << 20)
#define MAX_THREADS 16

typedef struct {
    const unsigned char *in;
    unsigned char *out;
    uint64_t begin, end, k, base, sum;
} chunk_t;

static void *digest_chunk(void *arg)
{
    chunk_t *c = arg;
    uint64_t sum = 0;
    for (uint64_t j = c->begin; j < c->end; j++)
        sum += rt_mix_input_byte(c->k, j, c->in[j]);
    c->sum = sum;
    return NULL;
}

static void *write_chunk(void *arg)
{
    chunk_t *c = arg;
    for (uint64_t j = c->begin; j < c->end; j++)
        c->out[j] = rt_mix_output_byte(c->base, j);
    return NULL;
}

static int thread_count(uint64_t bytes)
{
    if (bytes < PARALLEL_MIN_BYTES)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (int)cores;
}

/* Runs fn over [0, bytes) in chunks; returns the sum of the chunks' sums.
 * Falls back to fewer threads when one cannot be started. */
static uint64_t for_chunks(void *(*fn)(void *), const unsigned char *in, unsigned char *out, uint64_t bytes,
                           uint64_t k, uint64_t base)
{
    chunk_t chunks[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    int n = thread_count(bytes), started[MAX_THREADS];
    for (int c = 0; c < n; c++) {
        chunks[c] = (chunk_t){in, out, bytes * (uint64_t)c / (uint64_t)n, bytes * (uint64_t)(c + 1) / (uint64_t)n, k,
                              base, 0};
        started[c] = c > 0 && pthread_create(&threads[c], NULL, fn, &chunks[c]) == 0;
    }
    uint64_t sum = 0;
    for (int c = 0; c < n; c++) {
        if (c == 0 || !started[c])
            fn(&chunks[c]);
        else
            pthread_join(threads[c], NULL);
        sum += chunks[c].sum;
    }
    return sum;
}

cosma_status_t cosma_kernel_default_host(const cosma_kernel_args_t *args, void *user)
{
    (void)user;
    uint64_t digest = rt_mix_seed(args->op);
    for (int32_t k = 0; k < args->n_inputs; k++)
        if (args->inputs[k] != NULL)
            digest += for_chunks(digest_chunk, args->inputs[k], NULL, args->input_bytes[k], (uint64_t)k, 0);
    for (int32_t o = 0; o < args->n_outputs; o++)
        for_chunks(write_chunk, NULL, args->outputs[o], args->output_bytes[o], 0, rt_mix_output_base(digest, o));
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
