/* cmd_verify.c: `cosma verify GRAPH PLAN [--json]`: replays a plan file
 * against its graph with the independent verifier and prints the
 * recomputed traffic. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include <cosma/codegen.h>
#include <cosma/planner.h>
#include <cosma/verify.h>

static const char usage[] =
    "usage: cosma verify GRAPH.yaml|MODEL.onnx PLAN.json [--json] [--dim NAME=VALUE]...\n\n"
    "Checks every rule of the machine model (order, residency, host copies, spills,\n"
    "offsets, traffic and the plan's claims) and prints the recomputed traffic.\n"
    "The plan records its accounting mode (--params, --elem-bytes), so none is given here.\n"
    "  --json               print the totals as one JSON object\n"
    "  --dim NAME=VALUE     bind a symbolic ONNX dimension (repeatable)\n\n"
    "Exit status: 0 valid, 1 the plan breaks a rule (the rule is printed on standard\n"
    "error), 2 bad usage or an unreadable graph or plan file.\n";

static void print_text(const cosma_graph_t *graph, const cosma_plan_t *plan, const cosma_traffic_t *traffic)
{
    uint64_t non_compulsory = traffic->spill_bytes + traffic->retrieve_bytes;
    uint64_t compulsory = traffic->compulsory_load_bytes + traffic->compulsory_store_bytes;
    printf("plan for '%s' is valid (%s, %s)\n", graph->name != NULL ? graph->name : "",
           plan->method != NULL && plan->method[0] != '\0' ? plan->method : "unknown method",
           cosma_plan_status_name(plan->status));
    printf("  schedule length       %" PRId32 " steps\n", plan->n_steps);
    printf("  intervals             %" PRId32 "\n", plan->n_intervals);
    printf("  budget                %" PRIu64 " bytes\n", plan->budget_bytes);
    printf("  spill                 %" PRIu64 " bytes\n", traffic->spill_bytes);
    printf("  retrieve              %" PRIu64 " bytes\n", traffic->retrieve_bytes);
    printf("  non-compulsory        %" PRIu64 " bytes (lower bound %" PRIu64 ")\n", non_compulsory,
           plan->lower_bound_bytes);
    printf("  compulsory            %" PRIu64 " bytes (load %" PRIu64 ", store %" PRIu64 ")\n", compulsory,
           traffic->compulsory_load_bytes, traffic->compulsory_store_bytes);
    printf("  peak                  %" PRIu64 " bytes\n", traffic->peak_bytes);
}

/* Returns the exit code: out of memory is 3, a write error 2. */
static int print_json(const cosma_graph_t *graph, const cosma_plan_t *plan, const cosma_traffic_t *traffic)
{
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    cosma_buf_puts(&buf, "{\"valid\": true, \"graph\": ");
    cosma_buf_json_string(&buf, graph->name != NULL ? graph->name : "");
    cosma_buf_puts(&buf, ", \"method\": ");
    cosma_buf_json_string(&buf, plan->method != NULL ? plan->method : "");
    cosma_buf_printf(&buf,
                     ", \"status\": \"%s\", \"with_params\": %s, \"elem_bytes\": %" PRIu32 ", \"steps\": %" PRId32
                     ", \"intervals\": %" PRId32 ", \"budget_bytes\": %" PRIu64 ", \"spill_bytes\": %" PRIu64
                     ", \"retrieve_bytes\": %" PRIu64 ", \"non_compulsory_bytes\": %" PRIu64
                     ", \"lower_bound_bytes\": %" PRIu64 ", \"compulsory_load_bytes\": %" PRIu64
                     ", \"compulsory_store_bytes\": %" PRIu64 ", \"compulsory_bytes\": %" PRIu64
                     ", \"peak_bytes\": %" PRIu64 "}\n",
                     cosma_plan_status_name(plan->status), plan->mode.with_params ? "true" : "false",
                     plan->mode.elem_bytes, plan->n_steps, plan->n_intervals, plan->budget_bytes,
                     traffic->spill_bytes, traffic->retrieve_bytes, traffic->spill_bytes + traffic->retrieve_bytes,
                     plan->lower_bound_bytes, traffic->compulsory_load_bytes, traffic->compulsory_store_bytes,
                     traffic->compulsory_load_bytes + traffic->compulsory_store_bytes, traffic->peak_bytes);
    int code = buf.failed ? CLI_EXIT_FAILURE
               : fwrite(buf.data, 1, buf.length, stdout) == buf.length ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
    if (buf.failed)
        fprintf(stderr, "cosma: error: out of memory\n");
    cosma_buf_free(&buf);
    return code;
}

int cli_cmd_verify(int argc, char **argv)
{
    cosma_diag_t diag = cli_diag_stderr();
    cli_graph_options_t options = {0};
    const char *graph_path = NULL, *plan_path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv, &i, "--help") || cli_flag(argv, &i, "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        if (cli_flag(argv, &i, "--json")) {
            json = 1;
            continue;
        }
        int taken = cli_graph_option(argc, argv, &i, &options, &diag);
        if (taken < 0)
            return CLI_EXIT_BAD_INPUT;
        if (taken > 0) {
            /* The plan file decides the mode; a second opinion could only
             * disagree with it. */
            if (options.with_params || options.elem_bytes_given)
                return cli_usage_error("verify", "the plan records its mode: --params and --elem-bytes do not "
                                                 "apply to verify");
            continue;
        }
        const char **operands[] = {&graph_path, &plan_path};
        int code = cli_operand("verify", argv[i], operands, 2);
        if (code != CLI_EXIT_OK)
            return code;
    }
    if (graph_path == NULL)
        return cli_usage_error("verify", "missing the graph file");
    if (plan_path == NULL)
        return cli_usage_error("verify", "missing the plan file");

    cosma_graph_t *graph = NULL;
    cosma_plan_t *plan = NULL;
    int exit_code;
    cosma_status_t status = cli_load_graph(graph_path, &options, &graph, &diag);
    if (status == COSMA_OK)
        status = cosma_codegen_read_plan(plan_path, graph, &plan, &diag);
    if (status != COSMA_OK) {
        /* An unreadable or malformed file is bad input (2), not a plan
         * that breaks a rule (1). */
        exit_code = status == COSMA_ERR_IO ? CLI_EXIT_BAD_INPUT : cli_exit_code(status, &diag);
        goto done;
    }
    cosma_traffic_t traffic;
    status = cosma_plan_verify(graph, plan, &traffic, &diag);
    if (status == COSMA_ERR_INPUT) {
        exit_code = CLI_EXIT_NO_RESULT;
        goto done;
    }
    if (status != COSMA_OK) {
        exit_code = cli_exit_code(status, &diag);
        goto done;
    }
    if (json) {
        exit_code = print_json(graph, plan, &traffic);
    } else {
        print_text(graph, plan, &traffic);
        exit_code = CLI_EXIT_OK;
    }
done:
    cosma_plan_destroy(plan);
    cosma_graph_destroy(graph);
    return exit_code;
}
