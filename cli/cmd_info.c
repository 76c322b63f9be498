/* cmd_info.c: `cosma info GRAPH`: sizes and memory bounds of a graph. */
#include <string.h>

#include "cli.h"
#include <cosma/planner.h>

static const char usage[] =
    "usage: cosma info GRAPH [--params] [--elem-bytes N] [--dim NAME=VALUE] [--time-limit S] [--json]\n\n"
    "Prints operator and tensor counts, activation and parameter bytes, and the\n"
    "memory bounds of the COSMA paper:\n"
    "  m_r           largest single-operator working set (activations only)\n"
    "  m_r_params    the same with parameters resident while their operator runs\n"
    "  peak_default  peak of live bytes in the graph's default order\n"
    "  m_p           minimum peak over all topological orders (exact when\n"
    "                m_p_exact; otherwise m_p is the best order found and\n"
    "                m_p_lower a proven lower bound), m_p_params likewise\n"
    "  m_h           (m_r + m_p) / 2, m_h_params likewise\n"
    "GRAPH is a YAML graph or an ONNX model.\n"
    "  --elem-bytes N   count every element as N bytes (the paper uses 1)\n"
    "  --time-limit S   seconds for the minimum-peak searches of both modes\n"
    "                   together (default 10; a graph without parameters\n"
    "                   needs one search)\n"
    "  --json           print one JSON object\n";

int cli_cmd_info(int argc, char **argv)
{
    cosma_diag_t diag = cli_diag_stderr();
    cli_graph_options_t options = {0};
    const char *path = NULL, *value;
    int json = 0;
    double time_limit = 10.0;
    for (int i = 1; i < argc; i++) {
        if (cli_flag(argv, &i, "--help") || cli_flag(argv, &i, "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        int taken = cli_graph_option(argc, argv, &i, &options, &diag);
        if (taken < 0)
            return CLI_EXIT_BAD_INPUT;
        if (taken > 0)
            continue;
        if (cli_flag(argv, &i, "--json")) {
            json = 1;
        } else if (cli_option(argc, argv, &i, "--time-limit", &value)) {
            if (!cli_parse_double(value, &time_limit) || time_limit <= 0)
                return cli_usage_error("info", "--time-limit needs a positive number of seconds");
        } else {
            const char **operands[] = {&path};
            int code = cli_operand("info", argv[i], operands, 1);
            if (code != CLI_EXIT_OK)
                return code;
        }
    }
    if (path == NULL)
        return cli_usage_error("info", "missing the graph file");
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cli_load_graph(path, &options, &graph, &diag);
    if (status != COSMA_OK)
        return cli_exit_code(status, &diag);
    cosma_mode_t mode = cli_mode(graph, &options);
    cosma_graph_stats_t stats;
    cosma_bounds_t plain = {0}, params = {0};
    cosma_mode_t plain_mode = {0, mode.elem_bytes}, params_mode = {1, mode.elem_bytes};
    status = cosma_graph_stats(graph, mode.elem_bytes, &stats, &diag);
    /* Without parameters both modes are the same problem: one search
     * takes the whole limit.  With them each gets half. */
    int has_params = status == COSMA_OK && stats.n_params > 0;
    double started = cosma_clock_seconds();
    if (status == COSMA_OK)
        status = cosma_planner_bounds(graph, &plain_mode, has_params ? time_limit / 2 : time_limit, &plain, &diag);
    double left = time_limit - (cosma_clock_seconds() - started);
    if (status == COSMA_OK && has_params)
        status = cosma_planner_bounds(graph, &params_mode, left > 1e-3 ? left : 1e-3, &params, &diag);
    else if (status == COSMA_OK) {
        params = plain;
        params.order = NULL; /* not printed; plain owns it */
    }
    if (status != COSMA_OK) {
        cosma_bounds_free(&plain);
        cosma_bounds_free(&params);
        cosma_graph_destroy(graph);
        return cli_exit_code(status, &diag);
    }
    if (plain.stopped_by_clock || params.stopped_by_clock)
        cosma_diag_report(&diag, COSMA_SEV_WARNING,
                          "the time limit cut the search for M_P short: m_p is from the best order found so far");
    cosma_buf_t out;
    cosma_buf_init(&out);
    if (json) {
        cosma_buf_puts(&out, "{\"graph\": ");
        cosma_buf_json_string(&out, graph->name);
        cosma_buf_printf(&out,
                         ", \"elem_bytes\": %u, \"operators\": %d, \"tensors\": %d, \"inputs\": %d, "
                         "\"activations\": %d, \"outputs\": %d, \"params\": %d, \"input_bytes\": %llu, "
                         "\"activation_bytes\": %llu, \"output_bytes\": %llu, \"param_bytes\": %llu, "
                         "\"m_r\": %llu, \"m_r_params\": %llu, \"peak_default\": %llu, "
                         "\"peak_default_params\": %llu, \"m_p\": %llu, \"m_p_lower\": %llu, "
                         "\"m_p_exact\": %s, \"m_p_params\": %llu, \"m_p_params_lower\": %llu, "
                         "\"m_p_params_exact\": %s, \"m_h\": %llu, \"m_h_params\": %llu}\n",
                         mode.elem_bytes, stats.n_ops, stats.n_tensors, stats.n_inputs, stats.n_activations,
                         stats.n_outputs, stats.n_params, (unsigned long long)stats.input_bytes,
                         (unsigned long long)stats.activation_bytes, (unsigned long long)stats.output_bytes,
                         (unsigned long long)stats.param_bytes, (unsigned long long)stats.m_r,
                         (unsigned long long)stats.m_r_params, (unsigned long long)stats.peak_default,
                         (unsigned long long)stats.peak_default_params, (unsigned long long)plain.m_p_upper,
                         (unsigned long long)plain.m_p_lower, plain.m_p_exact ? "true" : "false",
                         (unsigned long long)params.m_p_upper, (unsigned long long)params.m_p_lower,
                         params.m_p_exact ? "true" : "false", (unsigned long long)plain.m_h,
                         (unsigned long long)params.m_h);
    } else {
        cosma_buf_printf(&out, "graph           %s\n", graph->name);
        cosma_buf_printf(&out, "element size    %s\n", mode.elem_bytes ? "overridden" : "native");
        if (mode.elem_bytes)
            cosma_buf_printf(&out, "                %u byte(s) per element\n", mode.elem_bytes);
        cosma_buf_printf(&out, "operators       %d\n", stats.n_ops);
        cosma_buf_printf(&out, "tensors         %d (%d inputs, %d activations, %d outputs, %d params)\n",
                         stats.n_tensors, stats.n_inputs, stats.n_activations, stats.n_outputs, stats.n_params);
        cosma_buf_printf(&out, "activations     %llu bytes\n", (unsigned long long)stats.activation_bytes);
        cosma_buf_printf(&out, "params          %llu bytes\n", (unsigned long long)stats.param_bytes);
        cosma_buf_printf(&out, "m_r             %llu bytes (operator '%s')\n", (unsigned long long)stats.m_r,
                         graph->ops[stats.m_r_op].name);
        cosma_buf_printf(&out, "m_r_params      %llu bytes (operator '%s')\n",
                         (unsigned long long)stats.m_r_params, graph->ops[stats.m_r_params_op].name);
        cosma_buf_printf(&out, "peak_default    %llu bytes (%llu with params)\n",
                         (unsigned long long)stats.peak_default, (unsigned long long)stats.peak_default_params);
        for (int with = 0; with < 2; with++) {
            const cosma_bounds_t *b = with ? &params : &plain;
            cosma_buf_printf(&out, "%-15s %llu bytes", with ? "m_p_params" : "m_p", (unsigned long long)b->m_p_upper);
            if (b->m_p_exact)
                cosma_buf_puts(&out, " (exact)\n");
            else
                cosma_buf_printf(&out, " (best order found; lower bound %llu)\n", (unsigned long long)b->m_p_lower);
        }
        cosma_buf_printf(&out, "m_h             %llu bytes\n", (unsigned long long)plain.m_h);
        cosma_buf_printf(&out, "m_h_params      %llu bytes\n", (unsigned long long)params.m_h);
    }
    /* A short write leaves stdout's error flag set: cli_finish_stdout
     * reports it. */
    int code = CLI_EXIT_OK;
    if (out.failed) {
        cosma_diag_report(&diag, COSMA_SEV_ERROR, "out of memory");
        code = CLI_EXIT_FAILURE;
    } else {
        fwrite(out.data, 1, out.length, stdout);
    }
    cosma_buf_free(&out);
    cosma_bounds_free(&plain);
    cosma_bounds_free(&params);
    cosma_graph_destroy(graph);
    return code;
}
