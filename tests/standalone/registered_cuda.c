/* registered_cuda.c: kernels registered on the cuda backend after the plan
 * was opened.  In graph and in streams mode they must be the ones that run
 * (the captured graph is captured again), their outputs must be the
 * default kernel's (they call it), and a profiled run must know every
 * kernel's time from CUPTI, as for the default kernel.  Exit 0 when all
 * holds, 1 when not, 77 without a GPU (CTest's skip code). */
#include <stdio.h>
#include <string.h>

#include "cuda/cuda_backend.h" /* the default kernel on the device */
#include "example_plan.h"

#define EXIT_SKIP 77

static void print_diag(void *ctx, cosma_severity_t severity, const char *message)
{
    (void)ctx;
    fprintf(stderr, "registered_cuda: %s: %s\n", severity == COSMA_SEV_ERROR ? "error" : "note", message);
}

static cosma_status_t counted_kernel(const cosma_kernel_args_t *args, void *user)
{
    ++*(int *)user;
    return rt_cuda_default_kernel(args) == cudaSuccess ? COSMA_OK : COSMA_ERR_INTERNAL;
}

static int fail(const char *what, cosma_run_mode_t mode)
{
    fprintf(stderr, "registered_cuda: %s mode: %s\n", cosma_run_mode_name(mode), what);
    return 1;
}

/* One mode: a plain runtime and one with every operator type registered
 * give identical outputs; the registered kernels ran; CUPTI timed them. */
static int check_mode(const cosma_graph_t *graph, const cosma_plan_t *plan, cosma_run_mode_t mode, cosma_diag_t *diag)
{
    cosma_runtime_options_t options;
    cosma_runtime_options_init(&options);
    options.backend = COSMA_BACKEND_CUDA;
    options.mode = mode;
    cosma_runtime_t *plain = NULL, *rt = NULL;
    int calls = 0, rc = 0;
    if (cosma_runtime_open(graph, plan, &options, &plain, diag) != COSMA_OK ||
        cosma_runtime_open(graph, plan, &options, &rt, diag) != COSMA_OK)
        rc = fail("open failed", mode);
    for (int32_t o = 0; rc == 0 && o < graph->n_ops; o++)
        if (cosma_runtime_set_kernel(rt, graph->ops[o].type, counted_kernel, &calls, diag) != COSMA_OK)
            rc = fail("set_kernel failed", mode);
    if (rc == 0) {
        cosma_runtime_set_profiling(plain, 1); /* the control: the default kernel, timed */
        cosma_runtime_set_profiling(rt, 1);
        if (cosma_runtime_run(plain, diag) != COSMA_OK || cosma_runtime_run(rt, diag) != COSMA_OK)
            rc = fail("run failed", mode);
    }
    if (rc == 0 && calls == 0)
        rc = fail("the registered kernels did not run", mode);
    for (int32_t t = 0; rc == 0 && t < graph->n_tensors; t++) {
        if (graph->tensors[t].kind != COSMA_TENSOR_OUTPUT)
            continue;
        const char *name = graph->tensors[t].name;
        const void *a = NULL, *b = NULL;
        uint64_t na = 0, nb = 0;
        if (cosma_runtime_output(plain, name, &a, &na, diag) != COSMA_OK ||
            cosma_runtime_output(rt, name, &b, &nb, diag) != COSMA_OK || na != nb || memcmp(a, b, na) != 0)
            rc = fail("an output differs from the default kernel's", mode);
    }
    for (int32_t n = 0; rc == 0 && plain->trace.from_cupti && n < plain->deps.n_nodes; n++)
        if (plain->deps.nodes[n].kind == RT_NODE_RUN && !plain->trace.nodes[n].measured)
            rc = fail("a default kernel has no CUPTI time", mode);
    for (int32_t n = 0; rc == 0 && rt->trace.from_cupti && n < rt->deps.n_nodes; n++)
        if (rt->deps.nodes[n].kind == RT_NODE_RUN && !rt->trace.nodes[n].measured) {
            fprintf(stderr, "registered_cuda: node %d (step %d) not timed; %s\n", (int)n, (int)rt->deps.nodes[n].step,
                    rt->trace.source);
            rc = fail("a registered kernel has no CUPTI time", mode);
        }
    if (rc == 0)
        printf("registered_cuda: %s mode: %d calls, outputs identical, kernel times from %s\n",
               cosma_run_mode_name(mode), calls, rt->trace.source);
    cosma_runtime_close(rt);
    cosma_runtime_close(plain);
    return rc;
}

int main(void)
{
    if (cosma_backend_devices(COSMA_BACKEND_CUDA) == 0) {
        fprintf(stderr, "registered_cuda: no cuda device here: skipped\n");
        return EXIT_SKIP;
    }
    cosma_diag_t diag = {print_diag, NULL, 0};
    static const cosma_static_plan_t tables = COSMA_STATIC_PLAN("example", cosma_example, COSMA_EXAMPLE);
    cosma_graph_t *graph = NULL;
    cosma_plan_t *plan = NULL;
    int rc = 2;
    if (cosma_static_plan_load(&tables, NULL, &graph, &plan, &diag) == COSMA_OK)
        rc = check_mode(graph, plan, COSMA_RUN_GRAPH, &diag) | check_mode(graph, plan, COSMA_RUN_STREAMS, &diag);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return rc;
}
