/* cmd_import.c: `cosma import MODEL -o GRAPH.yaml`. */
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: cosma import MODEL.onnx|GRAPH.yaml -o GRAPH.yaml [--elem-bytes N] [--dim NAME=VALUE]...\n\n"
    "Converts a model to cosma's YAML graph format (docs/graph-format.md).\n"
    "  -o, --output FILE    where to write the YAML ('-' for standard output)\n"
    "  --elem-bytes N       record N bytes per element as the graph's default size\n"
    "                       override (the COSMA paper counts every element as 1 byte)\n"
    "  --dim NAME=VALUE     bind a symbolic ONNX dimension (repeatable)\n";

int cli_cmd_import(int argc, char **argv)
{
    cosma_diag_t diag = cli_diag_stderr();
    cli_graph_options_t options = {0};
    const char *input = NULL, *output = NULL, *value;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv, &i, "--help") || cli_flag(argv, &i, "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        int taken = cli_graph_option(argc, argv, &i, &options, &diag);
        if (taken < 0)
            return CLI_EXIT_BAD_INPUT;
        if (taken > 0) {
            if (options.with_params)
                return cli_usage_error("import", "--params does not apply to import");
            continue;
        }
        if (cli_option(argc, argv, &i, "-o", &value) || cli_option(argc, argv, &i, "--output", &value)) {
            if (value == NULL)
                return cli_usage_error("import", "-o needs a file name");
            output = value;
        } else {
            const char **operands[] = {&input};
            int code = cli_operand("import", argv[i], operands, 1);
            if (code != CLI_EXIT_OK)
                return code;
        }
    }
    if (input == NULL)
        return cli_usage_error("import", "missing the model file");
    if (output == NULL)
        return cli_usage_error("import", "missing -o OUTPUT");
    cosma_outputs_t *outs = cosma_outputs_create();
    if (outs == NULL) {
        cosma_diag_report(&diag, COSMA_SEV_ERROR, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cosma_outputs_add_input(outs, input);
    if (status == COSMA_OK)
        status = cosma_outputs_add(outs, output, &diag);
    if (status == COSMA_OK)
        status = cli_load_graph(input, &options, &graph, &diag);
    sigset_t old;
    cli_signals_defer(&old);
    const char *target = output;
    if (status == COSMA_OK && strcmp(output, "-") != 0)
        status = cosma_outputs_temp(outs, output, &target, &diag);
    if (status == COSMA_OK) {
        if (options.elem_bytes_given)
            graph->elem_bytes = options.elem_bytes;
        status = cosma_frontend_write_yaml(graph, target, &diag);
    }
    if (status == COSMA_OK)
        status = cosma_outputs_commit(outs, &diag);
    cosma_outputs_destroy(outs);
    cli_signals_restore(&old);
    cosma_graph_destroy(graph);
    return cli_exit_code(status, &diag);
}
