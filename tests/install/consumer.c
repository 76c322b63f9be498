/* consumer.c: a program outside the tree that uses an installed cosma: reads
 * a graph (frontend), plans it (planner, GLPK), verifies the plan, writes
 * it as JSON (codegen) and runs it on the cpu backend, outputs checked
 * against the reference (runtime).  Built by tests/install/install.sh
 * through pkg-config and through find_package(cosma). */
#include <cosma/codegen.h>
#include <cosma/frontend.h>
#include <cosma/planner.h>
#include <cosma/runtime.h>
#include <cosma/verify.h>
#include <stdio.h>
#include <string.h>

static void print_message(void *ctx, cosma_severity_t severity, const char *message)
{
    (void)ctx;
    (void)severity;
    fprintf(stderr, "%s\n", message);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer GRAPH.yaml\n");
        return 2;
    }
    cosma_diag_t diag = {print_message, NULL, 0};
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cosma_frontend_read_yaml(argv[1], &graph, &diag);
    if (status != COSMA_OK)
        return cosma_status_exit_code(status);
    cosma_plan_options_t options;
    cosma_plan_options_init(&options);
    options.mode.elem_bytes = 1;
    options.budget_bytes = 1u << 20;
    options.time_limit = 10;
    cosma_plan_t *plan = NULL;
    status = cosma_planner_plan(graph, &options, &plan, &diag);
    cosma_traffic_t traffic;
    if (status == COSMA_OK)
        status = cosma_plan_verify(graph, plan, &traffic, &diag);
    cosma_buf_t json;
    cosma_buf_init(&json);
    if (status == COSMA_OK)
        status = cosma_codegen_emit_plan(graph, plan, &json);
    int ok = status == COSMA_OK && !json.failed && strstr(json.data, "\"cosma-plan\"") != NULL;
    cosma_runtime_options_t run_options;
    cosma_runtime_options_init(&run_options);
    run_options.poison = 1;
    cosma_runtime_t *rt = NULL;
    ok = ok && cosma_runtime_open(graph, plan, &run_options, &rt, &diag) == COSMA_OK &&
         cosma_runtime_run(rt, &diag) == COSMA_OK && cosma_runtime_check_outputs(rt, &diag) == COSMA_OK;
    cosma_runtime_close(rt);
    if (ok)
        printf("cosma %s (%d.%d.%d): planned %s, peak %llu bytes, ran it on cpu: outputs as the reference\n", COSMA_VERSION, COSMA_VERSION_MAJOR,
               COSMA_VERSION_MINOR, COSMA_VERSION_PATCH, argv[1], (unsigned long long)traffic.peak_bytes);
    cosma_buf_free(&json);
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return ok ? 0 : 3;
}
