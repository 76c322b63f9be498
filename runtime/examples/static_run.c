/* static_run.c: deployment without a file system.  The plan comes from a
 * header written by `cosma plan --emit-c` and compiled in; the graph and
 * the plan are rebuilt from its tables, checked by the verifier when the
 * runtime opens them, and executed; the outputs are compared with a
 * reference execution.  Usage: static_run [cpu|cuda]; exit 0 when the
 * outputs are identical, 1 when not, 2 on a refused plan, 77 when the
 * backend or its device is missing (CTest's skip code). */
#include <stdio.h>
#include <string.h>

#include "example_plan.h"
#include <cosma/runtime.h>

#define EXIT_SKIP 77

static void print_diag(void *ctx, cosma_severity_t severity, const char *message)
{
    (void)ctx;
    fprintf(stderr, "static_run: %s: %s\n", severity == COSMA_SEV_ERROR ? "error" : "note", message);
}

int main(int argc, char **argv)
{
    cosma_diag_t diag = {print_diag, NULL, 0};
    cosma_runtime_options_t options;
    cosma_runtime_options_init(&options);
    if (argc > 1 && cosma_backend_parse(argv[1], &options.backend) != 0) {
        fprintf(stderr, "usage: static_run [cpu|cuda]\n");
        return 2;
    }
    if (cosma_backend_devices(options.backend) == 0) {
        fprintf(stderr, "static_run: no %s device here: skipped\n", cosma_backend_name(options.backend));
        return EXIT_SKIP;
    }
    options.poison = 1;
    options.check_all = 1;
    static const cosma_static_plan_t tables = COSMA_STATIC_PLAN("example", cosma_example, COSMA_EXAMPLE);
    cosma_graph_t *graph = NULL;
    cosma_plan_t *plan = NULL;
    cosma_runtime_t *rt = NULL;
    int rc = 2;
    if (cosma_static_plan_load(&tables, NULL, &graph, &plan, &diag) == COSMA_OK &&
        cosma_runtime_open(graph, plan, &options, &rt, &diag) == COSMA_OK) {
        /* A deployment binds its real input; this one a ramp. */
        unsigned char image[sizeof(float) * 3 * 32 * 32];
        for (size_t j = 0; j < sizeof image; j++)
            image[j] = (unsigned char)(j * 7);
        rc = cosma_runtime_bind(rt, "image", image, sizeof image, &diag) == COSMA_OK &&
                     cosma_runtime_run(rt, &diag) == COSMA_OK && cosma_runtime_check_outputs(rt, &diag) == COSMA_OK
                 ? 0
                 : 1;
        const cosma_run_stats_t *stats = cosma_runtime_stats(rt);
        printf("static_run: %s, %d steps, %llu bytes in, %llu out: outputs %s the reference\n",
               cosma_backend_name(options.backend), (int)COSMA_EXAMPLE_N_STEPS, (unsigned long long)stats->h2d_bytes,
               (unsigned long long)stats->d2h_bytes, rc == 0 ? "identical to" : "differ from");
    }
    cosma_runtime_close(rt);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return rc;
}
