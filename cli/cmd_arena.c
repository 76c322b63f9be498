/* cmd_arena.c: `cosma arena GRAPH`: the zero-spill arena size that each
 * placement-only allocator needs for an order, against the order's peak
 * of live bytes (a lower bound for any allocator). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include <cosma/planner.h>

static const char usage[] =
    "usage: cosma arena GRAPH [--order default|peak|FILE] [--algo NAME|all] [--align N]\n"
    "                   [--elem-bytes N] [--params] [--dim NAME=VALUE] [--time-limit S] [--json]\n\n"
    "Keeps every tensor resident from its first to its last use in an order (no\n"
    "spills) and prints the arena size each placement-only allocator needs, with\n"
    "its overhead over the order's peak of live bytes, a lower bound for any\n"
    "allocator (docs/baselines.md describes the allocators).\n"
    "  --order default     the graph's own operator order (the default)\n"
    "  --order peak        the minimum-peak order found by `cosma info`'s search\n"
    "  --order FILE        operator names, one per line, in run order; blank lines\n"
    "                      and lines starting with '#' are ignored (write ./peak\n"
    "                      for a file named 'peak')\n"
    "  --algo NAME|all     greedy-by-size, first-fit, hill-climb, cosma, or all\n"
    "                      (the default)\n"
    "  --align N           offsets are multiples of N bytes, a power of two\n"
    "                      (default 64, as TFLite's arena)\n"
    "  --elem-bytes N      count every element as N bytes (the paper uses 1)\n"
    "  --params            parameters take arena space while their operator runs\n"
    "  --time-limit S      seconds for the minimum-peak search (default 10)\n"
    "  --json              print one JSON object\n";

static int is_power_of_two(uint64_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

int cli_cmd_arena(int argc, char **argv)
{
    cosma_diag_t diag = cli_diag_stderr();
    cli_graph_options_t options = {0};
    const char *path = NULL, *order_text = "default", *algo = "all", *value;
    uint64_t align = 64;
    double time_limit = 10.0;
    int json = 0;
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
        } else if (cli_option(argc, argv, &i, "--order", &value)) {
            if (value == NULL || *value == '\0')
                return cli_usage_error("arena", "--order needs default, peak or a file name");
            order_text = value;
        } else if (cli_option(argc, argv, &i, "--algo", &value)) {
            if (value == NULL)
                return cli_usage_error("arena", "--algo needs an allocator name or 'all'");
            int known = strcmp(value, "all") == 0;
            for (int a = 0; cosma_arena_algos[a] != NULL && !known; a++)
                known = strcmp(value, cosma_arena_algos[a]) == 0;
            if (!known)
                return cli_usage_error("arena", "unknown allocator '%s' (greedy-by-size, first-fit, hill-climb, "
                                       "cosma or all)", value);
            algo = value;
        } else if (cli_option(argc, argv, &i, "--align", &value)) {
            if (!cli_parse_u64(value, &align) || !is_power_of_two(align))
                return cli_usage_error("arena", "--align needs a power of two (1, 2, 4, ... bytes), got '%s'",
                                       value != NULL ? value : "");
        } else if (cli_option(argc, argv, &i, "--time-limit", &value)) {
            if (!cli_parse_double(value, &time_limit) || time_limit <= 0)
                return cli_usage_error("arena", "--time-limit needs a positive number of seconds");
        } else {
            const char **operands[] = {&path};
            int code = cli_operand("arena", argv[i], operands, 1);
            if (code != CLI_EXIT_OK)
                return code;
        }
    }
    if (path == NULL)
        return cli_usage_error("arena", "missing the graph file");

    cosma_graph_t *graph = NULL;
    cosma_status_t status = cli_load_graph(path, &options, &graph, &diag);
    if (status != COSMA_OK)
        return cli_exit_code(status, &diag);
    cosma_mode_t mode = cli_mode(graph, &options);
    int32_t *order = malloc(((size_t)graph->n_ops + 1) * sizeof(int32_t));
    uint64_t *sizes = malloc(((size_t)graph->n_tensors + 1) * sizeof(uint64_t));
    const char *order_kind = "file";
    int peak_exact = -1; /* only known for --order peak */
    if (order == NULL || sizes == NULL) {
        status = COSMA_ERR_NOMEM;
        cosma_diag_report(&diag, COSMA_SEV_ERROR, "out of memory");
    } else if (strcmp(order_text, "default") == 0) {
        order_kind = "default";
        for (int32_t o = 0; o < graph->n_ops; o++)
            order[o] = o;
    } else if (strcmp(order_text, "peak") == 0) {
        order_kind = "peak";
        cosma_bounds_t bounds = {0};
        status = cosma_planner_bounds(graph, &mode, time_limit, &bounds, &diag);
        if (status == COSMA_OK) {
            memcpy(order, bounds.order, (size_t)graph->n_ops * sizeof(int32_t));
            peak_exact = bounds.m_p_exact;
        }
        cosma_bounds_free(&bounds);
    } else {
        status = cli_read_order(order_text, graph, order, &diag);
    }
    if (status == COSMA_OK)
        status = cosma_graph_sizes(graph, &mode, sizes, &diag);

    /* One row per allocator; a failing allocator stops the command. */
    int32_t n_algos = 0;
    while (cosma_arena_algos[n_algos] != NULL)
        n_algos++;
    uint64_t *bytes = calloc((size_t)n_algos + 1, sizeof(uint64_t));
    unsigned char *chosen = calloc((size_t)n_algos + 1, 1);
    if (status == COSMA_OK && (bytes == NULL || chosen == NULL)) {
        status = COSMA_ERR_NOMEM;
        cosma_diag_report(&diag, COSMA_SEV_ERROR, "out of memory");
    }
    uint64_t peak = 0;
    if (status == COSMA_OK) {
        status = cosma_order_peak_checked(graph, order, sizes, &peak);
        if (status == COSMA_ERR_INPUT)
            cosma_diag_report(&diag, COSMA_SEV_ERROR, "%s: live bytes in the order overflow 64 bits", path);
        for (int32_t a = 0; a < n_algos && status == COSMA_OK; a++) {
            chosen[a] = strcmp(algo, "all") == 0 || strcmp(algo, cosma_arena_algos[a]) == 0;
            if (chosen[a])
                status = cosma_arena_size(graph, &mode, order, cosma_arena_algos[a], align, &bytes[a], &diag);
        }
    }
    int code = cli_exit_code(status, &diag);
    if (status == COSMA_OK) {
        cosma_buf_t out;
        cosma_buf_init(&out);
        if (json) {
            cosma_buf_puts(&out, "{\"graph\": ");
            cosma_buf_json_string(&out, graph->name);
            cosma_buf_puts(&out, ", \"order\": ");
            cosma_buf_json_string(&out, order_kind);
            if (strcmp(order_kind, "file") == 0) {
                cosma_buf_puts(&out, ", \"order_file\": ");
                cosma_buf_json_string(&out, order_text);
            }
            if (peak_exact >= 0)
                cosma_buf_printf(&out, ", \"order_peak_exact\": %s", peak_exact ? "true" : "false");
            cosma_buf_printf(&out, ", \"with_params\": %s, \"elem_bytes\": %u, \"align\": %llu, \"peak_bytes\": %llu, "
                             "\"algos\": [",
                             mode.with_params ? "true" : "false", mode.elem_bytes, (unsigned long long)align,
                             (unsigned long long)peak);
            const char *sep = "";
            for (int32_t a = 0; a < n_algos; a++) {
                if (!chosen[a])
                    continue;
                cosma_buf_printf(&out, "%s{\"name\": ", sep);
                cosma_buf_json_string(&out, cosma_arena_algos[a]);
                cosma_buf_printf(&out, ", \"bytes\": %llu, \"overhead\": %.6f}", (unsigned long long)bytes[a],
                                 peak > 0 ? ((double)bytes[a] - (double)peak) / (double)peak : 0.0);
                sep = ", ";
            }
            cosma_buf_puts(&out, "]}\n");
        } else {
            cosma_buf_printf(&out, "graph       %s\n", graph->name);
            cosma_buf_printf(&out, "order       %s%s%s\n", order_kind, strcmp(order_kind, "file") == 0 ? " " : "",
                             strcmp(order_kind, "file") == 0 ? order_text : "");
            cosma_buf_printf(&out, "mode        %s, ", mode.with_params ? "parameters counted" : "activations only");
            if (mode.elem_bytes)
                cosma_buf_printf(&out, "%u byte(s) per element", mode.elem_bytes);
            else
                cosma_buf_puts(&out, "native element sizes");
            cosma_buf_printf(&out, ", offsets aligned to %llu bytes\n", (unsigned long long)align);
            cosma_buf_printf(&out, "peak        %llu bytes live at once (lower bound)\n", (unsigned long long)peak);
            cosma_buf_printf(&out, "%-16s %16s %10s\n", "allocator", "arena bytes", "over peak");
            for (int32_t a = 0; a < n_algos; a++) {
                if (!chosen[a])
                    continue;
                double over = peak > 0 ? 100.0 * ((double)bytes[a] - (double)peak) / (double)peak : 0.0;
                cosma_buf_printf(&out, "%-16s %16llu %9.2f%%\n", cosma_arena_algos[a], (unsigned long long)bytes[a],
                                 over);
            }
        }
        if (out.failed) {
            cosma_diag_report(&diag, COSMA_SEV_ERROR, "out of memory");
            code = CLI_EXIT_FAILURE;
        } else {
            fwrite(out.data, 1, out.length, stdout); /* errors: cli_finish_stdout */
        }
        cosma_buf_free(&out);
    }
    free(bytes);
    free(chosen);
    free(order);
    free(sizes);
    cosma_graph_destroy(graph);
    return code;
}
