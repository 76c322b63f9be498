/* cmd_sweep.c: `cosma sweep`: plans one graph at several budgets, each
 * seeded with the plans of the smaller ones (so more memory never gives a
 * worse plan), and writes the trade-off as a table (Markdown on stdout,
 * optionally CSV and Markdown files) and an SVG of traffic against budget. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cosma/planner.h>

#include "cli.h"

static const char usage[] =
    "usage: cosma sweep GRAPH --budgets B1,B2,... [options]\n\n"
    "Plans GRAPH at every budget of the list (bytes with an optional unit, or\n"
    "M_R, M_H, M_P; M_Rp, M_Hp, M_Pp with --params), from the smallest up;\n"
    "each plan starts from the plans of the smaller budgets, so the traffic\n"
    "never grows with the budget.  Prints a Markdown table: budget, traffic,\n"
    "lower bound, gap, status, method, solve time.\n\n"
    "  --budgets LIST      comma-separated budgets (at most 64)\n"
    "  --params            parameters must be resident while their operator runs\n"
    "  --elem-bytes N      count every element as N bytes (the paper uses 1)\n"
    "  --dim NAME=VALUE    bind a symbolic ONNX dimension\n"
    "  --time-limit S      seconds for each budget's solve (default 60)\n"
    "  --csv FILE          also write the table as CSV\n"
    "  --markdown FILE     also write the table as Markdown\n"
    "  --svg FILE          draw traffic and lower bound against the budget\n"
    "Exit status: 0 table written (a budget below what an operator needs is a\n"
    "row marked infeasible), 2 bad usage or input, 3 internal or solver failure.\n";

enum { SWEEP_MAX_BUDGETS = 64 };

typedef struct {
    const char *label;    /* as the user wrote it */
    uint64_t bytes;
    cosma_status_t status; /* COSMA_OK: plan holds the result */
    cosma_plan_t *plan;
} sweep_row_t;

typedef struct {
    const char *path, *budgets, *csv, *markdown, *svg;
    double time_limit;
    cli_graph_options_t graph;
} sweep_args_t;

/* Resolves one budget: symbolic (from the bounds) or bytes.  0 or 2. */
static int resolve_budget(const char *text, const cosma_bounds_t *bounds, int with_params, uint64_t *out_bytes)
{
    size_t n = strlen(text);
    if ((n == 3 || (n == 4 && text[3] == 'p')) && strncmp(text, "M_", 2) == 0) {
        if ((n == 4) != (with_params != 0))
            return cli_usage_error("sweep", "budget %s %s --params", text, n == 4 ? "needs" : "is not for");
        int params, symbol = cli_budget_symbol(text, &params);
        if (symbol) {
            *out_bytes = cli_budget_bytes(bounds, symbol);
            return 0;
        }
    }
    if (!cli_parse_bytes(text, out_bytes) || *out_bytes == 0)
        return cli_usage_error("sweep", "--budgets: '%s' is not a budget (bytes such as 802816 or 2MiB, or "
                                        "M_R, M_H, M_P)", text);
    return 0;
}

/* Splits the list (modified in place) into rows.  0 or an exit code. */
static int parse_budgets(char *list, const cosma_bounds_t *bounds, int with_params, sweep_row_t *rows,
                         int32_t *out_n)
{
    int32_t n = 0;
    for (char *item = list, *next; item != NULL; item = next) {
        next = strchr(item, ',');
        if (next != NULL)
            *next++ = '\0';
        if (n == SWEEP_MAX_BUDGETS)
            return cli_usage_error("sweep", "--budgets: at most %d budgets", SWEEP_MAX_BUDGETS);
        rows[n] = (sweep_row_t){.label = item, .status = COSMA_OK};
        int rc = resolve_budget(item, bounds, with_params, &rows[n].bytes);
        if (rc != 0)
            return rc;
        n++;
    }
    *out_n = n;
    return 0;
}

/* Ascending budgets, the user's order among equal ones. */
static void sort_rows(sweep_row_t *rows, int32_t n)
{
    for (int32_t i = 1; i < n; i++) {
        sweep_row_t row = rows[i];
        int32_t j = i;
        for (; j > 0 && rows[j - 1].bytes > row.bytes; j--)
            rows[j] = rows[j - 1];
        rows[j] = row;
    }
}

/* Plans every row in turn, seeding each with the plans before it. */
static cosma_status_t plan_rows(const cosma_graph_t *graph, const cosma_mode_t *mode, const cosma_bounds_t *bounds,
                                double time_limit, sweep_row_t *rows, int32_t n, cosma_diag_t *diag)
{
    const cosma_plan_t *seeds[SWEEP_MAX_BUDGETS];
    int32_t n_seeds = 0;
    for (int32_t r = 0; r < n; r++) {
        cosma_plan_options_t options;
        cosma_plan_options_init(&options);
        options.mode = *mode;
        options.budget_bytes = rows[r].bytes;
        options.time_limit = time_limit;
        options.bounds = bounds;
        options.seeds = seeds;
        options.n_seeds = n_seeds;
        rows[r].status = cosma_planner_plan(graph, &options, &rows[r].plan, diag);
        if (rows[r].status == COSMA_OK)
            seeds[n_seeds++] = rows[r].plan;
        else if (rows[r].status != COSMA_ERR_INFEASIBLE)
            return rows[r].status; /* out of memory, a solver or internal failure */
    }
    return COSMA_OK;
}

static uint64_t row_traffic(const sweep_row_t *row)
{
    return row->plan->traffic.spill_bytes + row->plan->traffic.retrieve_bytes;
}

static void emit_table(const sweep_row_t *rows, int32_t n, int csv, cosma_buf_t *out)
{
    static const char csv_header[] =
        "budget,budget_bytes,non_compulsory_bytes,lower_bound_bytes,gap,status,method,solve_seconds\n";
    static const char markdown_header[] = "| budget | bytes | traffic | lower bound | gap | status | method | solve s |\n"
                                          "|---|---:|---:|---:|---:|---|---|---:|\n";
    cosma_buf_puts(out, csv ? csv_header : markdown_header);
    for (int32_t r = 0; r < n; r++) {
        const sweep_row_t *row = &rows[r];
        const char *sep = csv ? "," : " | ";
        cosma_buf_printf(out, "%s%s%s%" PRIu64, csv ? "" : "| ", row->label, sep, row->bytes);
        if (row->status != COSMA_OK) {
            cosma_buf_printf(out, "%s%s%s%sinfeasible%s%s%s", sep, sep, sep, sep, sep, sep, csv ? "\n" : " |\n");
            continue;
        }
        uint64_t traffic = row_traffic(row), bound = row->plan->lower_bound_bytes;
        double gap = traffic > 0 ? (double)(traffic - bound) / (double)traffic : 0.0;
        cosma_buf_printf(out, "%s%" PRIu64 "%s%" PRIu64 "%s%.4f%s%s%s%s%s%.3f%s", sep, traffic, sep, bound, sep, gap,
                         sep, cosma_plan_status_name(row->plan->status), sep, row->plan->method, sep,
                         row->plan->solve_seconds, csv ? "\n" : " |\n");
    }
}

/* Traffic (solid) and lower bound (dashed) against the budget. */
static void emit_svg(const cosma_graph_t *graph, const sweep_row_t *rows, int32_t n, cosma_buf_t *out)
{
    const double width = 640, height = 400, left = 90, right = 20, top = 40, bottom = 60;
    uint64_t x_min = UINT64_MAX, x_max = 0, y_max = 1;
    for (int32_t r = 0; r < n; r++) {
        x_min = rows[r].bytes < x_min ? rows[r].bytes : x_min;
        x_max = rows[r].bytes > x_max ? rows[r].bytes : x_max;
        if (rows[r].status == COSMA_OK && row_traffic(&rows[r]) > y_max)
            y_max = row_traffic(&rows[r]);
    }
    double x_span = x_max > x_min ? (double)(x_max - x_min) : 1.0;
    cosma_buf_printf(out,
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                     "font-family=\"sans-serif\" font-size=\"12\">\n"
                     "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"24\">",
                     width, height, left);
    cosma_buf_xml_text(out, graph->name, 200);
    cosma_buf_printf(out, ": non-compulsory traffic against the scratchpad budget</text>\n"
                          "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n"
                          "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n"
                          "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">budget (bytes)</text>\n"
                          "<text x=\"14\" y=\"%.0f\" transform=\"rotate(-90 14 %.0f)\" text-anchor=\"middle\">"
                          "traffic (bytes)</text>\n<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%" PRIu64
                          "</text>\n<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0</text>\n",
                     left, height - bottom, width - right, height - bottom, left, top, left, height - bottom,
                     (left + width - right) / 2, height - 15, (top + height - bottom) / 2, (top + height - bottom) / 2,
                     left - 6, top + 4, y_max, left - 6, height - bottom);
    for (int series = 0; series < 2; series++) {
        cosma_buf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                         series == 0 ? "#1f77b4" : "#d62728", series == 0 ? "" : " stroke-dasharray=\"6 4\"");
        for (int32_t r = 0; r < n; r++) {
            if (rows[r].status != COSMA_OK)
                continue;
            uint64_t y = series == 0 ? row_traffic(&rows[r]) : rows[r].plan->lower_bound_bytes;
            double px = left + (width - left - right) * (double)(rows[r].bytes - x_min) / x_span;
            double py = (height - bottom) - (height - top - bottom) * (double)y / (double)y_max;
            cosma_buf_printf(out, "%.1f,%.1f ", px, py);
        }
        cosma_buf_puts(out, "\"/>\n");
    }
    for (int32_t r = 0; r < n; r++) {
        double px = left + (width - left - right) * (double)(rows[r].bytes - x_min) / x_span;
        cosma_buf_printf(out, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">", px, height - bottom + 16);
        cosma_buf_xml_text(out, rows[r].label, 40);
        cosma_buf_puts(out, "</text>\n");
    }
    cosma_buf_printf(out,
                     "<text x=\"%.0f\" y=\"%.0f\" fill=\"#1f77b4\">traffic</text>\n"
                     "<text x=\"%.0f\" y=\"%.0f\" fill=\"#d62728\">lower bound (dashed)</text>\n</svg>\n",
                     width - 200, top + 14, width - 200, top + 30);
}

/* Writes the requested files as one set (all or none) and the Markdown
 * table to stdout. */
static cosma_status_t write_results(const sweep_args_t *args, const cosma_graph_t *graph, const sweep_row_t *rows,
                                    int32_t n, cosma_diag_t *diag)
{
    cosma_outputs_t *outs = cosma_outputs_create();
    if (outs == NULL)
        return COSMA_ERR_NOMEM;
    const char *paths[3] = {args->csv, args->markdown, args->svg};
    cosma_status_t status = cosma_outputs_add_input(outs, args->path);
    for (int k = 0; k < 3 && status == COSMA_OK; k++)
        if (paths[k] != NULL)
            status = cosma_outputs_add(outs, paths[k], diag);
    cosma_buf_t text[3];
    for (int k = 0; k < 3; k++)
        cosma_buf_init(&text[k]);
    emit_table(rows, n, 1, &text[0]);
    emit_table(rows, n, 0, &text[1]);
    emit_svg(graph, rows, n, &text[2]);
    sigset_t old;
    cli_signals_defer(&old);
    for (int k = 0; k < 3 && status == COSMA_OK; k++)
        if (paths[k] != NULL)
            status = cosma_outputs_write(outs, paths[k], text[k].data, text[k].length, diag);
    if (status == COSMA_OK)
        status = cosma_outputs_commit(outs, diag);
    cosma_outputs_destroy(outs);
    cli_signals_restore(&old);
    if (status == COSMA_OK)
        fwrite(text[1].data, 1, text[1].length, stdout);
    for (int k = 0; k < 3; k++)
        cosma_buf_free(&text[k]);
    return status;
}

/* 0 parsed, -1 help printed, else an exit code. */
static int parse_args(int argc, char **argv, sweep_args_t *args, cosma_diag_t *diag)
{
    *args = (sweep_args_t){.time_limit = 60.0};
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i], *value = NULL, **target = NULL;
        int graph_option = cli_graph_option(argc, argv, &i, &args->graph, diag);
        if (graph_option < 0)
            return CLI_EXIT_BAD_INPUT;
        if (graph_option > 0)
            continue;
        if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (cli_option(argc, argv, &i, "--budgets", &value)) {
            target = &args->budgets;
        } else if (cli_option(argc, argv, &i, "--csv", &value)) {
            target = &args->csv;
        } else if (cli_option(argc, argv, &i, "--markdown", &value)) {
            target = &args->markdown;
        } else if (cli_option(argc, argv, &i, "--svg", &value)) {
            target = &args->svg;
        } else if (cli_option(argc, argv, &i, "--time-limit", &value)) {
            if (value != NULL && (!cli_parse_double(value, &args->time_limit) || args->time_limit <= 0))
                return cli_usage_error("sweep", "--time-limit needs a positive number of seconds");
            if (value != NULL)
                continue;
        } else if (name[0] == '-' && name[1] != '\0') {
            return cli_usage_error("sweep", "unknown option '%s'", name);
        } else if (args->path == NULL) {
            args->path = name;
            continue;
        } else {
            return cli_usage_error("sweep", "unexpected argument '%s'", name);
        }
        if (value == NULL)
            return cli_usage_error("sweep", "%s needs a value", name);
        *target = value;
    }
    if (args->path == NULL)
        return cli_usage_error("sweep", "missing the graph file");
    if (args->budgets == NULL || args->budgets[0] == '\0')
        return cli_usage_error("sweep", "missing --budgets");
    return 0;
}

int cli_cmd_sweep(int argc, char **argv)
{
    cosma_diag_t diag = cli_diag_stderr();
    sweep_args_t args;
    int rc = parse_args(argc, argv, &args, &diag);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cli_load_graph(args.path, &args.graph, &graph, &diag);
    if (status != COSMA_OK)
        return cosma_status_exit_code(status);
    cosma_mode_t mode = cli_mode(graph, &args.graph);
    cosma_bounds_t bounds = {0};
    sweep_row_t rows[SWEEP_MAX_BUDGETS];
    int32_t n = 0;
    char *list = malloc(strlen(args.budgets) + 1);
    status = list == NULL ? COSMA_ERR_NOMEM : cosma_planner_bounds(graph, &mode, args.time_limit * CLI_BUDGET_BOUNDS_SHARE, &bounds, &diag);
    if (status == COSMA_OK) {
        strcpy(list, args.budgets);
        rc = parse_budgets(list, &bounds, mode.with_params, rows, &n);
    }
    if (status == COSMA_OK && rc == 0) {
        sort_rows(rows, n);
        status = plan_rows(graph, &mode, &bounds, args.time_limit, rows, n, &diag);
        if (status == COSMA_OK)
            status = write_results(&args, graph, rows, n, &diag);
    }
    for (int32_t r = 0; r < n; r++)
        cosma_plan_destroy(rows[r].plan);
    free(list);
    cosma_bounds_free(&bounds);
    cosma_graph_destroy(graph);
    return rc != 0 ? rc : cosma_status_exit_code(status);
}
