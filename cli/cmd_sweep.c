/* cmd_sweep.c: `cosma sweep`: plans one graph at several budgets, each
 * seeded with the plans of the smaller ones (so more memory never gives a
 * worse plan), and writes the trade-off as a table (Markdown on stdout,
 * optionally CSV and Markdown files) and an SVG of traffic against budget. */
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    "  --time-limit S      seconds for the whole sweep (default 60 per budget);\n"
    "                      each budget gets an equal share of what is left\n"
    "  --csv FILE          also write the table as CSV\n"
    "  --markdown FILE     also write the table as Markdown\n"
    "  --svg FILE          draw traffic and lower bound against the budget\n"
    "  -q, --quiet         no progress line on stderr (by default one line, updated\n"
    "                      in place on a terminal, else printed every 5 s)\n"
    "The search column says whether a budget's search ran to its end\n"
    "(complete) or was cut by the time limit or a signal; a budget the sweep\n"
    "did not reach is a row marked unplanned.\n"
    "Exit status: 0 table written (a budget below what an operator needs is a\n"
    "row marked infeasible), 2 bad usage or input, 3 internal or solver failure\n"
    "(also: the time limit passed before the first plan), 128 + N ended by\n"
    "signal N (SIGINT 130, SIGTERM 143, SIGHUP 129): the table of what was\n"
    "planned so far was written, with the other files.\n";

enum { SWEEP_MAX_BUDGETS = 64 };

/* Default time limit per budget when --time-limit is not given. */
#define SWEEP_SECONDS_PER_BUDGET 60.0

typedef struct {
    const char *label;    /* as the user wrote it */
    int symbol;           /* 'R', 'H', 'P' (resolved from the bounds) or 0 */
    uint64_t bytes;
    cosma_status_t status; /* COSMA_OK: plan holds the result */
    cosma_plan_t *plan;   /* NULL with COSMA_OK: not planned (time limit) */
} sweep_row_t;

typedef struct {
    const char *path, *budgets, *csv, *markdown, *svg;
    double time_limit;    /* 0: not given */
    int quiet;
    cli_graph_options_t graph;
} sweep_args_t;

/* Checks one budget: symbolic (its value comes from the bounds later) or
 * bytes.  0 or 2. */
static int parse_budget(sweep_row_t *row, int with_params)
{
    const char *text = row->label;
    size_t n = strlen(text);
    if ((n == 3 || (n == 4 && text[3] == 'p')) && strncmp(text, "M_", 2) == 0) {
        if ((n == 4) != (with_params != 0))
            return cli_usage_error("sweep", "budget %s %s --params", text, n == 4 ? "needs" : "is not for");
        int params;
        if ((row->symbol = cli_budget_symbol(text, &params)) != 0)
            return 0;
    }
    uint64_t *out_bytes = &row->bytes;
    if (!cli_parse_bytes(text, out_bytes) || *out_bytes == 0)
        return cli_usage_error("sweep", "--budgets: '%s' is not a budget (bytes such as 802816 or 2MiB, or "
                                        "M_R, M_H, M_P)", text);
    return 0;
}

/* Splits the list (modified in place) into rows.  0 or an exit code. */
static int parse_budgets(char *list, int with_params, sweep_row_t *rows, int32_t *out_n)
{
    int32_t n = 0;
    for (char *item = list, *next; item != NULL; item = next) {
        next = strchr(item, ',');
        if (next != NULL)
            *next++ = '\0';
        if (n == SWEEP_MAX_BUDGETS)
            return cli_usage_error("sweep", "--budgets: at most %d budgets", SWEEP_MAX_BUDGETS);
        rows[n] = (sweep_row_t){.label = item, .status = COSMA_OK};
        int rc = parse_budget(&rows[n], with_params);
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

static uint64_t plan_traffic(const cosma_plan_t *plan)
{
    return plan->traffic.spill_bytes + plan->traffic.retrieve_bytes;
}

/* Whether a row has a plan (not infeasible, not unplanned). */
static int row_planned(const sweep_row_t *row)
{
    return row->status == COSMA_OK && row->plan != NULL;
}

/* The progress line names the budget being planned: the planner's
 * reports pass through here on their way to the supervisor. */
typedef struct {
    cosma_progress_fn forward;
    void *forward_ctx;
    const char *label;
    int32_t row, n_rows;
} row_progress_t;

static void row_progress(void *ctx, const cosma_progress_t *progress)
{
    const row_progress_t *rp = ctx;
    char phase[96]; /* "%.30s, budget %d/%d (%.12s)" fits */
    snprintf(phase, sizeof phase, "%.30s, budget %d/%d (%.12s)", progress->phase != NULL ? progress->phase : "",
             (int)rp->row + 1, (int)rp->n_rows, rp->label);
    cosma_progress_t named = *progress;
    named.phase = phase;
    rp->forward(rp->forward_ctx, &named);
}

/* What the sweep needs and gives, shared with the worker thread.  n_done
 * is -1 until the rows are resolved and sorted; after a signal or the time
 * limit the command's thread reads the labels and bytes of every row and
 * all of rows[0..n_done), which the worker no longer writes. */
typedef struct {
    const cosma_graph_t *graph;
    cosma_mode_t mode;
    double started, time_limit; /* the command's clock and limit */
    sweep_row_t *rows;
    int32_t n;
    cosma_bounds_t bounds;
    cosma_diag_t diag;
    atomic_int n_done;
} sweep_job_t;

/* Plans every row in turn, seeding each with the plans before it and
 * giving it an equal share of the time left. */
static cosma_status_t plan_rows(sweep_job_t *job, cli_solve_t *solve)
{
    const cosma_plan_t *seeds[SWEEP_MAX_BUDGETS];
    int32_t n_seeds = 0;
    sweep_row_t *rows = job->rows;
    for (int32_t r = 0; r < job->n; r++) {
        double left = job->time_limit - (cosma_clock_seconds() - job->started);
        cosma_plan_options_t options;
        cosma_plan_options_init(&options);
        options.mode = job->mode;
        options.budget_bytes = rows[r].bytes;
        options.time_limit = left > 0.0 ? left / (double)(job->n - r) : 1e-3;
        options.bounds = &job->bounds;
        options.seeds = seeds;
        options.n_seeds = n_seeds;
        cli_solve_hook(solve, &options);
        row_progress_t progress = {options.progress, options.progress_ctx, rows[r].label, r, job->n};
        options.progress = row_progress;
        options.progress_ctx = &progress;
        rows[r].status = cosma_planner_plan(job->graph, &options, &rows[r].plan, &job->diag);
        if (rows[r].status != COSMA_OK && rows[r].status != COSMA_ERR_INFEASIBLE)
            return rows[r].status; /* out of memory, a solver or internal failure */
        if (rows[r].status == COSMA_OK)
            seeds[n_seeds++] = rows[r].plan;
        atomic_store(&job->n_done, r + 1);
    }
    return COSMA_OK;
}

/* The sweep, on the worker thread: the bounds (every symbolic budget from
 * the same ones), the rows in ascending order, then their plans. */
static cosma_status_t sweep_job(void *ctx, cli_solve_t *solve)
{
    sweep_job_t *job = ctx;
    cosma_status_t status = cosma_planner_bounds(job->graph, &job->mode, job->time_limit * CLI_BUDGET_BOUNDS_SHARE,
                                                 &job->bounds, &job->diag);
    if (status != COSMA_OK)
        return status;
    for (int32_t r = 0; r < job->n; r++)
        if (job->rows[r].symbol)
            job->rows[r].bytes = cli_budget_bytes(&job->bounds, job->rows[r].symbol);
    sort_rows(job->rows, job->n);
    atomic_store(&job->n_done, 0);
    return plan_rows(job, solve);
}

/* After a signal or the time limit, into out_rows (the worker may still
 * write the row it plans): the rows done so far stand; the row being
 * planned gets the best plan offered for it when that keeps the traffic
 * from growing with the budget; the others are unplanned.  Takes best.
 * COSMA_ERR_SOLVER when not one row has a plan. */
static cosma_status_t early_rows(cli_solve_end_t end, const sweep_job_t *job, cosma_plan_t *best,
                                 sweep_row_t *out_rows, cosma_diag_t *diag)
{
    int32_t done = atomic_load(&job->n_done);
    const sweep_row_t *rows = job->rows;
    const cosma_plan_t *previous = NULL;
    for (int32_t r = 0; r < job->n && done >= 0; r++) {
        out_rows[r] = r < done ? rows[r] : (sweep_row_t){.label = rows[r].label, .bytes = rows[r].bytes};
        if (r < done && rows[r].status == COSMA_OK)
            previous = rows[r].plan;
    }
    if (done >= 0 && done < job->n && best != NULL && best->budget_bytes == rows[done].bytes &&
        (previous == NULL || plan_traffic(best) <= plan_traffic(previous))) {
        best->stopped = end == CLI_SOLVE_INTERRUPTED ? COSMA_STOP_INTERRUPT : COSMA_STOP_TIME_LIMIT;
        out_rows[done].plan = best;
    } else {
        cosma_plan_destroy(best);
    }
    for (int32_t r = 0; r < job->n && done >= 0; r++)
        if (row_planned(&out_rows[r]))
            return COSMA_OK;
    cosma_diag_report(diag, COSMA_SEV_ERROR, "stopped by %s (%g s) before any plan was found: nothing written",
                      end == CLI_SOLVE_TIMED_OUT ? "the time limit" : "a signal", job->time_limit);
    return COSMA_ERR_SOLVER;
}

static void emit_table(const sweep_row_t *rows, int32_t n, int csv, cosma_buf_t *out)
{
    static const char csv_header[] =
        "budget,budget_bytes,non_compulsory_bytes,lower_bound_bytes,gap,status,method,solve_seconds,search\n";
    static const char markdown_header[] =
        "| budget | bytes | traffic | lower bound | gap | status | method | solve s | search |\n"
        "|---|---:|---:|---:|---:|---|---|---:|---|\n";
    cosma_buf_puts(out, csv ? csv_header : markdown_header);
    const char *sep = csv ? "," : " | ", *end = csv ? "\n" : " |\n";
    for (int32_t r = 0; r < n; r++) {
        const sweep_row_t *row = &rows[r];
        cosma_buf_printf(out, "%s%s%s%" PRIu64, csv ? "" : "| ", row->label, sep, row->bytes);
        if (!row_planned(row)) {
            /* An infeasible budget is proven so (complete); an unplanned
             * one was not reached. */
            int infeasible = row->status != COSMA_OK;
            cosma_buf_printf(out, "%s%s%s%s%s%s%s%s%s", sep, sep, sep, sep, infeasible ? "infeasible" : "unplanned",
                             sep, sep, sep, infeasible ? "complete" : "");
            cosma_buf_puts(out, end);
            continue;
        }
        const cosma_plan_t *plan = row->plan;
        uint64_t traffic = plan_traffic(plan), bound = plan->lower_bound_bytes;
        double gap = traffic > 0 ? (double)(traffic - bound) / (double)traffic : 0.0;
        cosma_buf_printf(out, "%s%" PRIu64 "%s%" PRIu64 "%s%.4f%s%s%s%s%s%.3f%s%s%s", sep, traffic, sep, bound, sep,
                         gap, sep, cosma_plan_status_name(plan->status), sep, plan->method, sep, plan->solve_seconds,
                         sep, cosma_stop_name(plan->stopped), end);
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
        if (row_planned(&rows[r]) && plan_traffic(rows[r].plan) > y_max)
            y_max = plan_traffic(rows[r].plan);
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
            if (!row_planned(&rows[r]))
                continue;
            uint64_t y = series == 0 ? plan_traffic(rows[r].plan) : rows[r].plan->lower_bound_bytes;
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
    *args = (sweep_args_t){.time_limit = 0.0};
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
        } else if (strcmp(name, "--quiet") == 0 || strcmp(name, "-q") == 0) {
            args->quiet = 1;
            continue;
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
        } else {
            const char **operands[] = {&args->path};
            int code = cli_operand("sweep", name, operands, 1);
            if (code != CLI_EXIT_OK)
                return code;
            continue;
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
    double started = cosma_clock_seconds();
    cosma_diag_t diag = cli_diag_stderr();
    sweep_args_t args;
    int rc = parse_args(argc, argv, &args, &diag);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cosma_graph_t *graph = NULL;
    cosma_status_t status = cli_load_graph(args.path, &args.graph, &graph, &diag);
    if (status != COSMA_OK)
        return cosma_status_exit_code(status);
    sweep_row_t rows[SWEEP_MAX_BUDGETS], early[SWEEP_MAX_BUDGETS];
    sweep_job_t job = {.graph = graph, .mode = cli_mode(graph, &args.graph), .started = started, .rows = rows};
    atomic_init(&job.n_done, -1);
    char *list = malloc(strlen(args.budgets) + 1);
    if (list == NULL)
        status = COSMA_ERR_NOMEM;
    else {
        strcpy(list, args.budgets);
        rc = parse_budgets(list, job.mode.with_params, rows, &job.n);
    }
    cli_solve_end_t end = CLI_SOLVE_FINISHED;
    int signal_number = 0;
    const sweep_row_t *result = rows;
    if (status == COSMA_OK && rc == 0) {
        job.time_limit = args.time_limit > 0 ? args.time_limit : SWEEP_SECONDS_PER_BUDGET * job.n;
        job.diag = diag;
        cosma_plan_t *best = NULL;
        end = cli_solve_run(sweep_job, &job, started, job.time_limit, args.quiet, &status, &best, &signal_number);
        diag.n_errors = job.diag.n_errors; /* the job reported through a copy of diag */
        if (end != CLI_SOLVE_FINISHED) {
            status = early_rows(end, &job, best, early, &diag);
            result = early;
            if (status == COSMA_OK)
                cosma_diag_report(&diag, COSMA_SEV_WARNING, "stopped by %s: writing the budgets planned so far",
                                  end == CLI_SOLVE_TIMED_OUT ? "the time limit" : "a signal");
        }
        if (status == COSMA_OK)
            status = write_results(&args, graph, result, job.n, &diag);
    }
    int code = rc != 0 ? rc : signal_number != 0 ? 128 + signal_number : cli_exit_code(status, &diag);
    if (end != CLI_SOLVE_FINISHED) {
        /* The sweep still runs on its thread and reads the graph and the
         * rows: nothing it uses is freed; the process ends here. */
        fflush(stderr);
        _exit(cli_finish_stdout(code));
    }
    for (int32_t r = 0; r < job.n; r++)
        cosma_plan_destroy(rows[r].plan);
    free(list);
    cosma_bounds_free(&job.bounds);
    cosma_graph_destroy(graph);
    return code;
}
